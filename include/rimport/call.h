/**
 * @file rimport/call.h
 * @brief Dynamic calls: call a function of an imported crate from C with
 *        tagged values, through the plugin's thunk and libffi — no rustc,
 *        no cell.
 *
 * A plugin compiles an `extern "C"` thunk for every requested function,
 * associated function and inherent method whose receiver, parameters and
 * result map to VM shapes (include/kayton_api.h, "thunks"; README "The
 * API index"). rimport_call finds the item in the API index
 * (include/rimport/api.h), checks the arguments against its signature,
 * converts them to the thunk's C parameters, calls the thunk in the
 * session's loaded plugin with the session's context (the reference VM's,
 * or the host's `context` option) and turns the thunk's KaytonValue into a
 * rimport_value. The libffi call interface of a C signature is prepared
 * once per session and reused by every item with that signature.
 *
 * The thunk of the item at canonical path `a::B::c` is exported as
 * `kayton_thunk_1a1B1c`: "kayton_thunk_" followed, for each segment of
 * the path, by its length in decimal and the segment
 * (`reqwest::StatusCode::from_u16` →
 * `kayton_thunk_7reqwest10StatusCode8from_u16`).
 *
 * Ownership: arguments are borrowed for the call. A result's STR and VEC
 * buffers are the caller's (copied out of the plugin, which gets its own
 * back at once): free them with rimport_value_dispose. A HANDLE result is
 * a new handle of the session's context whose one reference the caller
 * owns: release it with the context's `release_handle`
 * (rimport_session_context), or leave it to the session (the reference VM
 * drops every live handle when the session closes).
 *
 * Thread-safety: as every call on a session, one thread at a time.
 *
 * Included by rimport.h; do not include it on its own.
 */
#ifndef RIMPORT_CALL_H
#define RIMPORT_CALL_H

#include <stdint.h>

#include "common.h"
#include "session.h"
#include "api.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a rimport_value holds. The numbers are kayton_api.h's
 *  KAYTON_VALUE_*. */
typedef enum rimport_value_tag {
  RIMPORT_VALUE_UNIT = 0,    /**< `()`: nothing */
  RIMPORT_VALUE_I64 = 1,     /**< as.i64: every integer type */
  RIMPORT_VALUE_F64 = 2,     /**< as.f64: f32, f64 */
  RIMPORT_VALUE_BOOL = 3,    /**< as.boolean: 0 or 1 */
  RIMPORT_VALUE_STR = 4,     /**< as.str: UTF-8 bytes */
  RIMPORT_VALUE_VEC_I64 = 5, /**< as.vec_i64 */
  RIMPORT_VALUE_VEC_F64 = 6, /**< as.vec_f64 */
  RIMPORT_VALUE_HANDLE = 7,  /**< as.handle: an HKayRef of the context */
  RIMPORT_VALUE_NONE = 8     /**< an `Option`'s None (results only) */
} rimport_value_tag;

/** A tagged value: an argument of rimport_call or its result. */
typedef struct rimport_value {
  rimport_value_tag tag;
  union {
    int64_t i64;
    double f64;
    int boolean;
    uint64_t handle;
    /** ptr may be NULL when len is 0. A result's string is also
     *  NUL-terminated (after len bytes; it may hold NULs of its own). */
    struct {
      const char *ptr;
      size_t len;
    } str;
    struct {
      const int64_t *ptr;
      size_t len;
    } vec_i64;
    struct {
      const double *ptr;
      size_t len;
    } vec_f64;
  } as;
} rimport_value;

/** A UNIT value. */
#define RIMPORT_VALUE_INIT                                                     \
  {                                                                            \
    RIMPORT_VALUE_UNIT, {                                                      \
      0                                                                        \
    }                                                                          \
  }

/**
 * Finds the function that rimport_call(session, path, …) calls.
 *
 * `path` is a Rust path whose first segment is the crate of a plugin the
 * session has built ("reqwest::StatusCode::from_u16", looked up as
 * rimport_api_lookup does, re-exports followed), or else a name a cell
 * binds, optionally followed by a path ("StatusCode::from_u16" after
 * `from reqwest rimport StatusCode`, looked up as rimport_api_lookup_name
 * does).
 *
 * @param out receives the item (owned by the session), NULL on failure
 * @return 0; the errors of the lookups (RIMPORT_ENOTFOUND with near names,
 *         …); RIMPORT_EINVAL for NULL arguments or an item that is not a
 *         function (a struct, a module, …).
 */
RIMPORT_EXTERN int rimport_call_lookup(rimport_session *session,
                                       const char *path,
                                       const rimport_api_item **out);

/**
 * Calls the function at `path` (as rimport_call_lookup finds it) with
 * `args` and writes its result to `*result`.
 *
 * Arguments, in order: a method's receiver (`self`, `&self`, `&mut self`)
 * is a HANDLE of its type, then one value per parameter: an i64 parameter
 * takes an I64 in the Rust type's range, an f64 one an F64 (or an I64,
 * converted), a bool one a BOOL, a str one a STR (valid UTF-8), a vec_i64
 * one a VEC_I64 (each element in range), a vec_f64 one a VEC_F64 (or a
 * VEC_I64, converted), an opaque one a HANDLE (`&T` borrows the value, `T`
 * moves it out: the handle stays, empty, and is still the caller's to
 * release). An `Option<T>` parameter takes a NONE for `None`, or what a T
 * parameter takes.
 *
 * The result is UNIT, I64, F64, BOOL, STR, VEC_I64, VEC_F64 or HANDLE as
 * the function's output shape says, or NONE for an `Option`'s None.
 *
 * @return 0;
 *   RIMPORT_EINVAL: a NULL argument, an item that is not a function, the
 *     wrong number of arguments (`reqwest::StatusCode::from_u16(src: u16)
 *     takes 1 argument, got 2`), an argument of the wrong tag or out of
 *     range (`argument 1 (src) of reqwest::StatusCode::from_u16 is u16
 *     (i64 in 0..=65535); got a str`), or a handle of another kind (the
 *     thunk said KAYTON_EKIND; its message);
 *   RIMPORT_EUNSUPPORTED: a receiver, parameter or result that no VM value
 *     represents (`none`, with why), a `()` or `Result` parameter —
 *     refused before anything is called; use the item in a cell;
 *   RIMPORT_ENOTFOUND: no such item (as rimport_call_lookup), or the
 *     plugin of the item's crate is not loaded (rimport_load), or it has
 *     no thunk for the item (built before thunks existed: rebuild), or a
 *     handle that does not exist (KAYTON_ENOTFOUND);
 *   RIMPORT_EPANIC: the thunk returned KAYTON_ERUST (an `Err`, a panic it
 *     caught, an argument it refused) or another negative code: the
 *     message is the text it gave set_error (with a host's context, which
 *     got that text, the message says the code);
 *   RIMPORT_EMISMATCH: the thunk returned a value of another tag than its
 *     signature says, or the plugin lacks kayton_plugin_free_value (a
 *     plugin that does not follow kayton_api.h; rebuild it);
 *   RIMPORT_ENOMEM.
 * On failure `*result` is UNIT. The session goes on in every case.
 */
RIMPORT_EXTERN int rimport_call(rimport_session *session, const char *path,
                                const rimport_value *args, size_t nargs,
                                rimport_value *result);

/**
 * rimport_call of an item the caller has already looked up (with
 * rimport_call_lookup, rimport_api_lookup or rimport_api_lookup_name; the
 * item must belong to this session).
 */
RIMPORT_EXTERN int rimport_call_item(rimport_session *session,
                                     const rimport_api_item *item,
                                     const rimport_value *args, size_t nargs,
                                     rimport_value *result);

/**
 * Frees the STR or VEC buffer of a value that rimport_call returned and
 * makes it UNIT. A HANDLE is not released (see above). NULL is a no-op.
 * Never call it on a value whose buffers the caller made.
 */
RIMPORT_EXTERN void rimport_value_dispose(rimport_value *value);

/**
 * The text of the value behind `handle` (a HANDLE result of rimport_call,
 * say), as its type shows it: its Display text, or its Debug text when
 * `debug` is non-zero and the type has Debug (or has only Debug), through
 * the render thunk a plugin has for the handle's kind (kayton_api.h).
 *
 * @param out receives the text (replaced; free with rimport_buf_dispose)
 * @return 0; RIMPORT_ENOTFOUND (no such live handle, or no plugin renders
 *         its kind: its type implements neither Display nor Debug);
 *         RIMPORT_EPANIC (the plugin's Display or Debug failed: the
 *         message); RIMPORT_EUNSUPPORTED (the session runs with the host's
 *         own VM context); RIMPORT_EINVAL.
 */
RIMPORT_EXTERN int rimport_value_render(rimport_session *session,
                                        uint64_t handle, int debug,
                                        rimport_buf *out);

/**
 * The value a cell kept with `keep!("name", value)`, as a HANDLE: pass it
 * to rimport_call (a method of its type takes it as its receiver, when a
 * plugin of the session gives that type to the VM: the value then has the
 * plugin's kind) or to rimport_value_render. The handle belongs to the
 * kept name (do not release it): it stays valid until a cell keeps
 * another value under the name, or the session closes.
 *
 * @return 0; RIMPORT_ENOTFOUND (nothing is kept under that name);
 *         RIMPORT_EINVAL (the name is a global that is not a kept value,
 *         such as a thunk's; NULL arguments); RIMPORT_EUNSUPPORTED (the
 *         session runs with the host's own VM context). On failure `*out`
 *         is UNIT.
 */
RIMPORT_EXTERN int rimport_kept(rimport_session *session, const char *name,
                                rimport_value *out);

/** The name of a tag: "unit", "i64", "f64", "bool", "str", "vec_i64",
 *  "vec_f64", "handle", "none"; "unknown" for others. Static. */
RIMPORT_EXTERN const char *rimport_value_tag_name(rimport_value_tag tag);

#ifdef __cplusplus
}
#endif

#endif /* RIMPORT_CALL_H */
