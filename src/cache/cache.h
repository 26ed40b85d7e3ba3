/* The content-addressed plugin cache (DESIGN.md invariants 2 and 4).
 *
 *   <cache>/<crate>/<key>/          an entry: complete or absent, never
 *                                   rewritten once published
 *       manifest.json               key inputs, toolchain, artifacts with
 *                                   their XXH3-128, build duration
 *       lib/<dylib>                 the plugin dylib
 *       deps/                       .rlib/.rmeta/dylibs of every crate
 *                                   behind the plugin (for cell compiles)
 *       crate/Cargo.toml, crate/Cargo.lock, crate/src/lib.rs
 *   <cache>/<crate>/<key>.lock      per-key lock file (holds the owner pid)
 *   <cache>/<crate>/.stage-<key>-…  an entry being built (never loaded)
 *
 * Names starting with '_' directly under <cache> belong to rimport
 * (_target/, _work/, _kayton_api/, toolchain records); crate names cannot
 * start with '_'. */
#ifndef RIMPORT_SRC_CACHE_H
#define RIMPORT_SRC_CACHE_H

#include <cjson/cJSON.h>

#include "../common/common.h"

typedef struct rimport__entry {
  char *dir;      /* <cache>/<crate>/<key> */
  char *dylib;    /* absolute path of the plugin dylib */
  char *deps_dir; /* absolute path of deps/ */
  char *crate_dir; /* absolute path of crate/ (generated sources) */
  cJSON *manifest; /* parsed manifest.json */
} rimport__entry;

/* Finds a published entry. verify: check every artifact's size and XXH3
 * against the manifest. Returns 0 and *out; RIMPORT_ENOTFOUND (message not
 * set: absence is normal); RIMPORT_ECORRUPT when the entry is incomplete or
 * an artifact does not match (the entry is then moved aside so that a
 * rebuild can publish; message names the file). */
int rimport__cache_lookup(const char *cache_dir, const char *crate,
                          const char *key, int verify, rimport__entry **out);
void rimport__entry_free(rimport__entry *e);

/* Per-key lock between processes (fcntl on unix, LockFileEx on Windows,
 * behind src/platform.h). Waits for the owner, reporting phase WAIT with
 * the owner's pid through progress once, then every few seconds; a lock
 * whose owner died is free (the OS drops it). timeout_ms 0: wait forever;
 * on timeout RIMPORT_ELOCKED names the owner pid. */
typedef struct rimport__lock rimport__lock;
int rimport__cache_lock(const char *cache_dir, const char *crate,
                        const char *key, unsigned int timeout_ms,
                        rimport_progress_cb progress, void *payload,
                        volatile int *cancel, rimport__lock **out);
void rimport__cache_unlock(rimport__lock *lock);

/* Building an entry aside and publishing it by rename. */
typedef struct rimport__stage rimport__stage;
int rimport__stage_begin(const char *cache_dir, const char *crate,
                         const char *key, rimport__stage **out);
const char *rimport__stage_dir(const rimport__stage *st);
/* Copies src into the stage at rel ("deps/libfoo.rlib"), hashing it on the
 * way; kind is "dylib", "dep" or "source". */
int rimport__stage_add(rimport__stage *st, const char *src, const char *rel,
                       const char *kind);
/* Writes manifest.json (extra: an object whose members are added, e.g. key
 * inputs, toolchain, build duration; ownership stays with the caller),
 * flushes, and renames the stage to <cache>/<crate>/<key>. If an entry is
 * already there (another process won), the stage is dropped and that entry
 * returned. */
int rimport__stage_publish(rimport__stage *st, const cJSON *extra,
                           rimport__entry **out);
/* Removes a stage that will not be published. NULL is a no-op. */
void rimport__stage_abort(rimport__stage *st);

/* For `rimport cache list|verify|gc|clear`. */
typedef void (*rimport__cache_visit_fn)(const char *crate, const char *key,
                                        const rimport__entry *entry,
                                        int verify_rc, void *payload);
/* Visits every entry (verify: also checks hashes, verify_rc the result). */
int rimport__cache_walk(const char *cache_dir, int verify,
                        rimport__cache_visit_fn fn, void *payload);
/* Removes stages and lock files no process holds, corrupt entries, and the
 * cargo workshop (_target, _work) when no lock is held; never an entry in
 * use by a live lock. *freed gets the bytes removed. */
int rimport__cache_gc(const char *cache_dir, unsigned long long *freed);
/* Removes everything under the cache dir that rimport made. */
int rimport__cache_clear(const char *cache_dir);

#endif
