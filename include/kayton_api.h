/**
 * @file kayton_api.h
 * @brief The Kayton VM ABI shared by the host (the Kayton kernel, or
 *        rimport's reference VM) and plugins.
 *
 * A host fills one KaytonApi table (function pointers) and passes a
 * KaytonContext that points to it to every plugin entry point
 * (`kayton_plugin_register_c`). The Rust crate `kayton_api`
 * (plugin_templates/kayton_api) mirrors these types with `#[repr(C)]`.
 *
 * Versioning: both structs start with `size` (sizeof as the host built it)
 * and `abi_version` (KAYTON_API_ABI_VERSION). Functions are only ever added
 * at the end of KaytonApi; a plugin checks that `api->size` covers a
 * function pointer (and that the pointer is not NULL) before calling it, so
 * a plugin built against a newer header still runs on an older host. A
 * different `abi_version` means an incompatible layout: a plugin refuses it.
 *
 * Conventions for every function:
 * - strings are (pointer, length) pairs, UTF-8, not NUL-terminated; the
 *   host copies what it keeps, so the caller's buffer may be freed after
 *   the call;
 * - functions returning int32_t return KAYTON_OK (0) or a negative
 *   KAYTON_E* code; `out` parameters are written only on success;
 * - calls for one context come from the thread the host called the plugin
 *   on, unless the host documents otherwise.
 *
 * Self-contained: C11 or C++, no dependencies beyond <stddef.h> and
 * <stdint.h>.
 */
#ifndef KAYTON_API_H
#define KAYTON_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes. */
#define KAYTON_API_ABI_VERSION 1u

/** @name Return codes */
/**@{*/
#define KAYTON_OK        0  /**< success */
#define KAYTON_EINVAL    -1 /**< invalid argument (NULL, bad name, …) */
#define KAYTON_ENOTFOUND -2 /**< no such global, handle or kind */
#define KAYTON_EKIND     -3 /**< the value exists but has another kind */
#define KAYTON_ENOMEM    -4 /**< out of memory */
/**@}*/

/** @name Report levels (KaytonApi::report) */
/**@{*/
#define KAYTON_REPORT_STDOUT  0 /**< program output (a cell's `__stdout`) */
#define KAYTON_REPORT_STDERR  1 /**< program error output */
#define KAYTON_REPORT_INFO    2 /**< a diagnostic for the user */
#define KAYTON_REPORT_WARNING 3 /**< a warning */
#define KAYTON_REPORT_ERROR   4 /**< an error that does not stop the call */
/**@}*/

/** A VM handle: a counted reference to a host-owned value. 0 is no
 * handle. */
/** A Rust error or panic in a plugin's thunk: the message went to
 *  set_error. */
#define KAYTON_ERUST -5

typedef uint64_t HKayRef;

/** A kind of value (a Rust type a plugin registered). 0 is invalid. */
typedef uint32_t KaytonKind;

/** Frees a value of some kind; called by the host, never with NULL. Must
 * not unwind (a Rust plugin catches panics inside). */
typedef void (*kayton_drop_fn)(void *ptr);

/** The per-session context a host hands to plugins. */
typedef struct KaytonContext KaytonContext;

/** The host's functions. Filled and owned by the host; never written by a
 * plugin. */
typedef struct KaytonApi {
  /** sizeof(KaytonApi) as the host built it: a plugin checks that a
   * function lies inside it before calling. */
  uint32_t size;
  /** KAYTON_API_ABI_VERSION of the host. */
  uint32_t abi_version;

  /**
   * Registers a kind named `name` (its Rust type path, e.g.
   * "kitchen::Point"), or finds the one already registered under that name.
   * `drop` (may be NULL: nothing to free) frees a value of that kind when
   * its last handle is released; registering an existing name again keeps
   * the first drop function. Writes the kind to `*out`.
   * @return KAYTON_OK, KAYTON_EINVAL (empty name, NULL out), KAYTON_ENOMEM.
   */
  int32_t (*register_kind)(KaytonContext *ctx, const char *name,
                           size_t name_len, kayton_drop_fn drop,
                           KaytonKind *out);

  /**
   * Sets the global `name` to `ptr` of `kind`. The host does not own `ptr`
   * (globals are not dropped); replacing a global forgets the old pointer.
   * @return KAYTON_OK, KAYTON_EINVAL, KAYTON_ENOTFOUND (unknown kind),
   *         KAYTON_ENOMEM.
   */
  int32_t (*set_global_ptr)(KaytonContext *ctx, const char *name,
                            size_t name_len, KaytonKind kind, void *ptr);

  /**
   * Reads the global `name`, which must have `kind`.
   * @return KAYTON_OK, KAYTON_EINVAL, KAYTON_ENOTFOUND (no such global),
   *         KAYTON_EKIND (it has another kind).
   */
  int32_t (*get_global_ptr)(KaytonContext *ctx, const char *name,
                            size_t name_len, KaytonKind kind, void **out);

  /**
   * Makes a handle (reference count 1) for `ptr` of `kind`. On success the
   * host owns `ptr`: the kind's drop function runs when the last reference
   * is released or when the session closes. On failure the caller still
   * owns `ptr`.
   * @return KAYTON_OK, KAYTON_EINVAL, KAYTON_ENOTFOUND (unknown kind),
   *         KAYTON_ENOMEM.
   */
  int32_t (*new_handle)(KaytonContext *ctx, KaytonKind kind, void *ptr,
                        HKayRef *out);

  /**
   * The pointer behind handle `h`, which must have `kind`. The pointer
   * stays valid while the caller holds a reference to `h`.
   * @return KAYTON_OK, KAYTON_EINVAL, KAYTON_ENOTFOUND (no such live
   *         handle), KAYTON_EKIND.
   */
  int32_t (*get_handle)(KaytonContext *ctx, HKayRef h, KaytonKind kind,
                        void **out);

  /** Adds a reference to `h`.
   * @return KAYTON_OK, KAYTON_ENOTFOUND. */
  int32_t (*retain_handle)(KaytonContext *ctx, HKayRef h);

  /** Drops a reference to `h`; the last one drops the value.
   * @return KAYTON_OK, KAYTON_ENOTFOUND. */
  int32_t (*release_handle)(KaytonContext *ctx, HKayRef h);

  /** Reports `text` at `level` (KAYTON_REPORT_*): program output or a
   * diagnostic. The host copies the text. */
  void (*report)(KaytonContext *ctx, int32_t level, const char *text,
                 size_t len);

  /** Records the error of the current call (a plugin sets it before
   * returning a negative code). The host copies the text; a later call
   * replaces it. */
  void (*set_error)(KaytonContext *ctx, const char *text, size_t len);
} KaytonApi;

/** The context: versioned like KaytonApi. `host_data` is the host's own;
 * a plugin never reads it. Owned by the host; valid during the call it is
 * passed to (and for the session, for a plugin that keeps it). */
struct KaytonContext {
  uint32_t size;        /**< sizeof(KaytonContext) as the host built it */
  uint32_t abi_version; /**< KAYTON_API_ABI_VERSION */
  void *host_data;      /**< the host's state */
  const KaytonApi *api; /**< the host's functions */
};

/* --- thunks -----------------------------------------------------------------
 * A plugin compiles an `extern "C"` thunk for every requested function,
 * associated function and inherent method whose parameters and result map
 * to VM shapes (README "The API index"), named in its manifest
 * (`kayton_plugin_manifest`: "thunks": [{"path", "symbol", "receiver",
 * "params", "output"}]) and published as a VM global of kind
 * "kayton.thunk" under its path. A thunk is
 *
 *   int32_t thunk(KaytonContext *ctx, KaytonValue *out, <parameters>);
 *
 * with, in order, the receiver (a method's `self`, `&self` or `&mut self`:
 * an HKayRef) and one or two C parameters per Rust parameter:
 *
 *   shape i64      int64_t (checked against the Rust type's range)
 *   shape f64      double
 *   shape bool     int32_t (0 false, else true)
 *   shape str      const uint8_t *ptr, size_t len (UTF-8, checked)
 *   shape vec_i64  const int64_t *ptr, size_t len (each element checked)
 *   shape vec_f64  const double *ptr, size_t len
 *   shape opaque   HKayRef: `&T`/`&mut T` borrow the handle's value, `T`
 *                  (and an owned `self`) moves it out: the handle stays
 *                  valid and the caller still releases it, but the value
 *                  is gone (a later use is KAYTON_EKIND with a message)
 *
 * An `Option<T>` parameter (T of the shapes above, but `&String`) is an
 * int32_t first — 0 for `None`, else `Some` — then T's C parameters
 * (ignored, and best zero, for `None`); the manifest writes its shape
 * with a '?' ("i64?").
 *
 * It returns KAYTON_OK with the result in *out, or a negative KAYTON_E*
 * code after set_error with the message (an `Err`'s Display, a panic, an
 * argument out of range: KAYTON_ERUST; a handle of another kind:
 * KAYTON_EKIND; …). It never unwinds. A result's buffers (STR, VEC_*)
 * belong to the plugin until the host gives them back with
 * `kayton_plugin_free_value(KaytonValue *)`; a HANDLE result is a new
 * handle whose one reference the caller owns.
 *
 * For each kind whose type implements Display or Debug, the plugin also
 * exports a render thunk (in the manifest's "kinds": {"name", "render",
 * "display", "debug"}), named "kayton_render_" and the kind's path
 * mangled as for thunks:
 *
 *   int32_t render(KaytonContext *ctx, KaytonValue *out, HKayRef h,
 *                  int32_t debug);
 *
 * which gives the value's Display text (its Debug text when `debug` is
 * non-zero and the type has Debug, or when it has only Debug) as STR. */

#define KAYTON_VALUE_UNIT    0u /**< `()` */
#define KAYTON_VALUE_I64     1u /**< `i`; also every integer type */
#define KAYTON_VALUE_F64     2u /**< `f` */
#define KAYTON_VALUE_BOOL    3u /**< `i`: 0 or 1 */
#define KAYTON_VALUE_STR     4u /**< `ptr`/`len`: UTF-8 bytes */
#define KAYTON_VALUE_VEC_I64 5u /**< `ptr`/`len`: int64_t elements */
#define KAYTON_VALUE_VEC_F64 6u /**< `ptr`/`len`: double elements */
#define KAYTON_VALUE_HANDLE  7u /**< `h`: a new handle (kind: the type) */
#define KAYTON_VALUE_NONE    8u /**< an `Option`'s `None` */

/** A thunk's result. */
typedef struct KaytonValue {
  uint32_t tag;      /**< KAYTON_VALUE_* */
  uint32_t reserved; /**< 0 */
  int64_t i;         /**< I64, BOOL */
  double f;          /**< F64 */
  void *ptr;         /**< STR, VEC_I64, VEC_F64 */
  size_t len;        /**< bytes (STR) or elements (VEC_*) */
  HKayRef h;         /**< HANDLE */
} KaytonValue;

#ifdef __cplusplus
}
#endif

#endif /* KAYTON_API_H */
