/* Preloading built plugins: the library side of rimport_load (DESIGN.md
 * invariants 2, 4, 5 and 6; facts 1, 8, 9, 12).
 *
 * A loader belongs to one session and remembers what it loaded, by
 * absolute path and in load order. Nothing it loads is ever unloaded
 * (src/platform.h): rimport__loader_free frees the bookkeeping only.
 *
 * Loading the plugin entry <cache>/<crate>/<key>/ (src/cache/cache.h):
 *   1. the entry is looked up with RIMPORT__VERIFY_QUICK (the manifest,
 *      every artifact's size, the XXH3 of the dylib): a damaged entry is
 *      RIMPORT_ECORRUPT, moved aside by the cache so that a rebuild can
 *      publish; an absent one RIMPORT_ENOTFOUND;
 *   2. its manifest's "toolchain"."fingerprint" must be the session
 *      toolchain's and "kayton_abi" KAYTON_API_ABI_VERSION, else
 *      RIMPORT_EMISMATCH; every key in "parents" must already be loaded
 *      by this loader (the caller loads a stack bottom-up), else
 *      RIMPORT_EINVAL — all before anything is loaded;
 *   3. loaded in this order, each by absolute path, each at most once per
 *      loader: the Rust std dylib (tc->std_dylib), kayton_api
 *      (deps/<prefix>kayton_api<ext> of the entry; a stacked entry has
 *      none and uses the one its bottom plugin loaded), the plugin dylib.
 *      A library whose file name is already loaded from another entry is
 *      not loaded again (the dynamic loader would bind the plugin to the
 *      first one by SONAME anyway): it must be the same file (XXH3 in the
 *      manifests), else RIMPORT_EMISMATCH;
 *   4. the plugin's own `kayton_plugin_manifest()` JSON must name the same
 *      "key", "rustc"."fingerprint" and "abi_version", else
 *      RIMPORT_EMISMATCH (the library stays loaded but is never used).
 * Loading a key that is already loaded returns its record (no-op).
 *
 * Not thread-safe: a loader is used by one thread at a time (its
 * session's). */
#ifndef RIMPORT_SRC_LOAD_H
#define RIMPORT_SRC_LOAD_H

#include "../common/common.h"
#include "kayton_api.h"

typedef struct rimport__loader rimport__loader;

/* A loaded plugin. Strings and pointers are owned by the loader and valid
 * until rimport__loader_free. */
typedef struct rimport__loaded {
  const char *crate;
  const char *key;
  const char *entry_dir; /* <cache>/<crate>/<key>, absolute */
  const char *dylib;     /* absolute */
  const char *deps_dir;  /* absolute */
  /* The wrapped crate's library, for cells that name the crate itself
   * (`--extern <lib_name>=<lib_path>`: derives expand to `::serde::…`):
   * its name in Rust (`serde`, `tokio_util`) and the absolute path of its
   * .rlib (or proc-macro library) in this entry's or a parent's deps/.
   * NULL for an entry whose manifest does not say (made before rimport
   * recorded it). */
  const char *lib_name;
  const char *lib_path;
  size_t index; /* load order among the plugins, from 0 */
} rimport__loaded;

int rimport__loader_new(rimport__loader **out);
/* Frees the bookkeeping; nothing is unloaded. NULL is a no-op. */
void rimport__loader_free(rimport__loader *ld);

/* Loads the plugin entry <cache_dir>/<crate>/<key> as described above.
 * tc: the session's toolchain (fingerprint, std_dylib). *out (may be NULL)
 * gets the record. Errors: RIMPORT_EINVAL, RIMPORT_ENOTFOUND,
 * RIMPORT_ECORRUPT, RIMPORT_EMISMATCH, RIMPORT_ETOOLCHAIN (no std dylib),
 * RIMPORT_ELOAD (with the OS message), RIMPORT_EIO, RIMPORT_ENOMEM; the
 * message names the entry and says what to do. */
int rimport__loader_load(rimport__loader *ld, const rimport_toolchain *tc,
                         const char *cache_dir, const char *crate,
                         const char *key, const rimport__loaded **out);

/* Marks the cache entry <cache_dir>/<crate>/<key> in use by this process
 * for the process's life (src/cache/cache.h, "Use marks"; the process's
 * one session file per cache directory, so a process holds two
 * descriptors for its marks however many entries it marks): what
 * rimport__loader_load does before it looks an entry up, for other
 * entries that a process loads (compiled cells). Call it before the
 * entry is looked up or built; again for the same key is cheap (0).
 * Thread-safe. 0, or the error of rimport__marks_add (RIMPORT_EINVAL,
 * RIMPORT_EIO, RIMPORT_ELOCKED), of rimport__marks_open (RIMPORT_EIO:
 * the session file could not be made) or RIMPORT_ENOMEM. */
int rimport__loader_mark_in_use(const char *cache_dir, const char *crate,
                                const char *key);

/* The loaded plugin with this key, or NULL. */
const rimport__loaded *rimport__loader_find(const rimport__loader *ld,
                                            const char *key);
/* Plugins in load order. */
size_t rimport__loader_count(const rimport__loader *ld);
const rimport__loaded *rimport__loader_at(const rimport__loader *ld, size_t i);
/* The kayton_api library that is loaded (absolute path), or NULL before
 * the first plugin. */
const char *rimport__loader_kayton_api(const rimport__loader *ld);

/* Libraries (std, kayton_api, plugins) in load order: absolute paths. */
size_t rimport__loader_library_count(const rimport__loader *ld);

/* Loads the toolchain's runtime DLL (when it has one) and then its std
 * dylib (which must not be NULL) into ld, each once. */
int rimport__loader_load_std(rimport__loader *ld, const rimport_toolchain *tc);
const char *rimport__loader_library_path(const rimport__loader *ld, size_t i);

/* The address of `name` exported by the plugin `plugin_key`, or NULL
 * (plugin not loaded, or no such symbol; no error set). */
void *rimport__loader_symbol(rimport__loader *ld, const char *plugin_key,
                             const char *name);

/* The text the host recorded with set_error during the last plugin call,
 * or NULL (e.g. the reference VM's last error). */
typedef const char *(*rimport__last_error_fn)(void *payload);

/* Calls the plugin's `kayton_plugin_register_c(ctx)`. A negative return
 * (the plugin's error, or a panic it caught: DESIGN.md fact 12) is
 * RIMPORT_EPANIC with the plugin's code and, when last_error (may be NULL)
 * gives one, its text. RIMPORT_EINVAL for a key that is not loaded or a
 * NULL ctx; RIMPORT_EMISMATCH when the plugin has no such entry point.
 * Registering twice calls the plugin twice. */
int rimport__loader_register(rimport__loader *ld, const char *key,
                             KaytonContext *ctx,
                             rimport__last_error_fn last_error, void *payload);

/* rimport_load without the session: loads every plugin of `built`, in
 * order, as rimport__loader_load does. */
int rimport__loader_load_built(rimport__loader *ld, const rimport_toolchain *tc,
                               const char *cache_dir,
                               const rimport_build_result *built);

struct rimport__vm;

/* rimport_register without the session: registers, in load order, every
 * plugin loaded since the last call (each once: a plugin whose
 * registration failed is not tried again). With the reference VM (`vm`
 * may be NULL for a host's context) each call starts a fresh error record
 * and a failure carries the VM's last error text. */
int rimport__loader_register_new(rimport__loader *ld, KaytonContext *ctx,
                                 struct rimport__vm *vm);

#endif
