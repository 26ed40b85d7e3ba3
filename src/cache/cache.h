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
 *   <cache>/<crate>/<key>.use       the key's use fence: held shared for an
 *                                   instant by a process marking the entry
 *                                   in use, exclusively by gc and clear
 *                                   while they decide on and remove
 *                                   anything of the key (rimport__cache_use)
 *   <cache>/<crate>/.stage-<key>-…  an entry being built (never loaded)
 *
 *   <cache>/<crate>/.corrupt-<key>-… an entry that failed verification,
 *                                   moved aside (removed by gc)
 *
 *   <cache>/_sessions/<id>.use      a process's session lock: held
 *                                   exclusively for the process's life
 *                                   (holds its pid); <id> is
 *                                   "<pid>-<hex time>-<n>"
 *   <cache>/_sessions/<id>.keys     that process's use marks: a header
 *                                   line starting with '#', then one
 *                                   "<crate> <key>" line per entry it has
 *                                   loaded or is about to load
 *
 * Names starting with '_' directly under <cache> belong to rimport
 * (_target/, _work/, _kayton_api/, _sessions/); so does toolchain/
 * (toolchain records, README "The toolchain"). Crate names cannot start
 * with '_'.
 *
 * crate: a crates.io name (src/common/names.h); key: 16 to 64 lowercase
 * hex digits (plan keys are 32). Other values are RIMPORT_EINVAL, so that
 * nothing outside <cache>/<crate>/ is ever touched.
 *
 * manifest.json (format 1), written by rimport__stage_publish:
 *   { "format": 1, "crate": "<crate>", "key": "<key>",
 *     "created": "2026-11-23T22:45:31Z",          (UTC)
 *     "artifacts": [ { "path": "lib/libx.so",      (relative, '/')
 *                      "kind": "dylib",     (or "dep", "source", "api")
 *                      "size": 5712344,            (bytes)
 *                      "xxh3": "<32 hex>" }, … ],  (XXH3-128, canonical)
 *     …members of `extra` }
 *
 * A process killed at any point leaves at most a .stage-* directory (and
 * its lock file, which the OS unlocks): publication is one rename. Lookups
 * never look at stages; gc removes those whose key lock is free and whose
 * creator (the pid in the name) is gone.
 *
 * Thread-safety: every call may be made from any thread; calls on one
 * rimport__stage or rimport__lock must not overlap. */
#ifndef RIMPORT_SRC_CACHE_H
#define RIMPORT_SRC_CACHE_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdint.h>

#include "../common/common.h"

typedef struct rimport__entry {
  char *dir;               /* <cache>/<crate>/<key> */
  char *dylib;             /* absolute path of the plugin dylib */
  char *deps_dir;          /* absolute path of deps/ */
  char *crate_dir;         /* absolute path of crate/ (generated sources) */
  cJSON *manifest;         /* parsed manifest.json */
  unsigned long long size; /* sum of the artifacts' sizes (manifest) */
} rimport__entry;

/* How much a lookup checks (its `verify`): 0 the manifest and that the
 * dylib and deps/ exist; STAT also every artifact's size, and the XXH3 of
 * each artifact whose mtime is not the one recorded when it was hashed (as
 * git's index does); QUICK as STAT but the dylib is always hashed (what the
 * loader uses, right before it loads); FULL the XXH3 of every artifact. */
#define RIMPORT__VERIFY_QUICK 1
#define RIMPORT__VERIFY_FULL  2
#define RIMPORT__VERIFY_STAT  3

/* Finds a published entry. Always checks the manifest (format, crate, key,
 * artifact records) and that the dylib and deps/ exist; verify: also every
 * artifact's size and XXH3 (streamed, never read whole). Returns 0 and
 * *out; RIMPORT_ENOTFOUND (message not set: absence is normal);
 * RIMPORT_ECORRUPT when the entry is incomplete or an artifact does not
 * match (the entry is then moved aside to <cache>/<crate>/.corrupt-<key>-
 * <pid>-<n> so that a rebuild can publish; the message names the file and
 * the mismatch); RIMPORT_EINVAL for a bad crate or key; RIMPORT_EIO. Paths
 * in the entry are absolute (cache_dir may be relative). */
int rimport__cache_lookup(const char *cache_dir, const char *crate,
                          const char *key, int verify, rimport__entry **out);
void rimport__entry_free(rimport__entry *e);

/* Per-key lock between processes (fcntl on unix, LockFileEx on Windows,
 * behind src/platform.h) and between threads of one process. Waits for the
 * owner, polling every 50 ms, reporting phase WAIT ("waiting for process
 * <pid>, which is building <crate> (<key>)") through progress (may be NULL)
 * once, then every 5 s and whenever the owner changes; a lock whose owner
 * died is free (the OS drops it), so a stale lock is taken over at once.
 * timeout_ms 0: wait forever; on timeout RIMPORT_ELOCKED names the owner
 * pid and what to do. *cancel (may be NULL) set non-zero from another
 * thread: RIMPORT_ECANCELED within 50 ms. Creates <cache>/<crate>/ if
 * needed. */
typedef struct rimport__lock rimport__lock;
int rimport__cache_lock(const char *cache_dir, const char *crate,
                        const char *key, unsigned int timeout_ms,
                        rimport_progress_cb progress, void *payload,
                        const atomic_int *cancel, rimport__lock **out);
void rimport__cache_unlock(rimport__lock *lock);

/* Use marks. A process that loads an entry (a plugin, a compiled cell)
 * marks it in use for the rest of its life (DLLs are never unloaded), and
 * gc and clear leave marked entries alone: a loaded DLL cannot be removed
 * on Windows, and a process compiles its later cells against the entry's
 * files on every platform.
 *
 * How (rimport__marks_*): each process has one session file per cache,
 * <cache>/_sessions/<id>.keys, beside its session lock <id>.use, which it
 * holds exclusively from the first mark until it ends; a mark is a line
 * "<crate> <key>" appended to the file. So a process holds two
 * descriptors (handles) per cache for its marks, however many entries it
 * loads (before, it held one per entry: a notebook of 1000 cells ran out
 * of descriptors). gc and clear list _sessions/: a lock they can take
 * belongs to a process that has ended (the OS drops the locks of a dead
 * process, however it died), and they remove its two files; a lock they
 * cannot take belongs to a live process, whose list they read, and every
 * listed key is in use.
 *
 * The race: a process marks a key while gc decides on it. The per-key
 * file <crate>/<key>.use is the fence between them:
 *   A. the marking process appends its line (one write, flushed to the
 *      OS before the call returns: any later read sees it) BEFORE
 *   B. it takes <key>.use shared and lets it go at once (waiting, up to
 *      60 s, while gc or clear hold it), and only then looks the entry up
 *      and loads it;
 *   C. gc and clear take <key>.use exclusively (for an entry, after its
 *      key lock <key>.lock, as before: the protocol with builders is
 *      unchanged; a corrupt copy moved aside is removed under the fence
 *      alone, as before), only then read the live sessions' lists again
 *      (what was appended since their last read, and sessions that
 *      appeared), and hold <key>.use until they have moved or removed
 *      what they decided to.
 * The fence's shared hold (B) and gc's exclusive hold (C) cannot overlap,
 * so one came first. If B came first, A came before C's read, which sees
 * the line: the entry is kept. If C came first, B waited until gc was
 * done: the process's lookup sees the cache as gc left it (the entry
 * there, or gone: ENOTFOUND, and it is built again), never half an entry.
 * When <crate>/ does not exist at B (no entry of the crate yet, or clear
 * removed it, which it does only after its trees and locks are gone), B
 * is skipped: no gc or clear is at work on the key then, and any later
 * one reads the line of A.
 * A session's files are removed only by whoever holds its lock: gc and
 * clear when they can take it (the process has ended; a process just
 * making its files that finds its new lock taken picks another name), or
 * the process itself (rimport__marks_close). A gc or clear in a process
 * that has marks opens that process's session lock through the lock
 * registry (src/platform.h), which keeps the process's lock.
 * gc and clear never wait for a fence, so there is no deadlock; a
 * marking process waits for a fence only, holding at most a key lock
 * (a cell marks its key again after publishing it), which gc and clear
 * only try.
 *
 * Older rimport processes held <key>.use shared for their whole life
 * instead of listing keys: gc and clear still honour that (they cannot
 * take the fence exclusively, and keep the entry), so old and new
 * processes can share a cache.
 *
 * A mark lasts until the process ends (or rimport__marks_close), also
 * when the load that made it failed (a failed load may have loaded the
 * library anyway); then the key's corrupt copy moved aside stays until
 * the process ends. On NFS, the list is read after the fence as on a
 * local disk only if the client's cache does not hide the append (fcntl
 * locks revalidate the locked file, not the list); use a local cache
 * directory. */

/* The fence of <crate>/<key>, and the whole mark of an older rimport:
 * until rimport__cache_unlock(*out), a shared lock on
 * <cache>/<crate>/<key>.use (src/platform.h), which any number of
 * processes (and threads of one process) hold together, and which gc and
 * clear take exclusively before they move or remove anything of the key.
 * While gc or clear holds it, this waits (polling every 50 ms) up to 60 s,
 * then RIMPORT_ELOCKED (naming the process). When it cannot be taken at
 * all (no <crate>/ directory: there is no entry; a cache directory this
 * user may not write), *out is NULL and 0 is returned. ENOMEM is an
 * error. */
int rimport__cache_use(const char *cache_dir, const char *crate,
                       const char *key, rimport__lock **out);

/* A process's use marks on one cache (see "Use marks"). Thread-safe: one
 * object may be used from any number of threads at once. */
typedef struct rimport__marks rimport__marks;
/* Makes <cache>/_sessions/<id>.use (locked exclusively) and <id>.keys.
 * *out NULL and 0 when the cache is one this process may not write in
 * (it cannot remove entries there either: they are used unmarked); other
 * failures are errors (RIMPORT_EIO naming the file and the OS reason, e.g.
 * out of descriptors; RIMPORT_ENOMEM). */
int rimport__marks_open(const char *cache_dir, rimport__marks **out);
/* Marks <crate>/<key> in use: A and B above, once per key (0 at once for
 * a key marked before). Call it before the entry is looked up (or built)
 * and loaded. m NULL: 0 (unmarked). Errors: RIMPORT_EINVAL (bad crate or
 * key), RIMPORT_EIO (the line could not be written: the message names the
 * file and the OS reason), RIMPORT_ELOCKED (the fence: gc or clear held
 * it for 60 s). */
int rimport__marks_add(rimport__marks *m, const char *crate, const char *key);
/* The session file's path (for messages and tests), or NULL. */
const char *rimport__marks_path(const rimport__marks *m);
/* Ends the marks: removes the list, then the session lock. NULL is a
 * no-op. A process that keeps its DLLs loaded never calls it. */
void rimport__marks_close(rimport__marks *m);

/* Building an entry aside and publishing it by rename. */
typedef struct rimport__stage rimport__stage;
int rimport__stage_begin(const char *cache_dir, const char *crate,
                         const char *key, rimport__stage **out);
const char *rimport__stage_dir(const rimport__stage *st);
/* Copies src into the stage at rel ("deps/libfoo.rlib"), hashing it on the
 * way; kind is "dylib", "dep", "source" or "api" (the API index). */
int rimport__stage_add(rimport__stage *st, const char *src, const char *rel,
                       const char *kind);
/* rimport__stage_add for a file whose size and XXH3 are known (an artifact
 * of another entry, with its manifest's record): the bytes put in the
 * stage are hashed and must match, else RIMPORT_ECORRUPT naming src and
 * the mismatch (nothing is added). try_link: hard-link src instead of
 * copying it when the file system allows (then the linked file is read
 * and hashed), else copy it; *linked (may be NULL) says which. */
int rimport__stage_add_checked(rimport__stage *st, const char *src,
                               const char *rel, const char *kind, uint64_t size,
                               const char *xxh3, int try_link, int *linked);
/* Writes manifest.json (extra: an object whose members are added, e.g. key
 * inputs, toolchain, build duration; ownership stays with the caller; a
 * member named like one of rimport's is RIMPORT_EINVAL), flushes, makes the
 * files read-only (chmod a-w; on Windows the read-only attribute) and
 * renames the stage to <cache>/<crate>/<key>. If an entry is already there
 * (another process won), it is verified, the stage is dropped and that
 * entry returned (a corrupt one is moved aside and the rename retried).
 * At least one "dylib" artifact is required (RIMPORT_EINVAL). The stage is
 * consumed whatever the result: on failure its directory is removed. */
int rimport__stage_publish(rimport__stage *st, const cJSON *extra,
                           rimport__entry **out);
/* Removes a stage that will not be published. NULL is a no-op. */
void rimport__stage_abort(rimport__stage *st);
/* The entry is cheap to make again (a compiled cell: one rustc run):
 * rimport__stage_publish then flushes nothing (no fsync of the manifest or
 * of the directories). What a power cut leaves half-written fails the
 * manifest's checks or the dylib's XXH3 at the next lookup and is made
 * again; a plugin's entry, an hour of cargo on a slow machine, is flushed. */
void rimport__stage_set_unflushed(rimport__stage *st);

/* The shared entry tier (tier.c): a second cache directory, in this
 * layout, that a team shares on a network file system (README "A shared
 * cache for a team"). Nothing is ever loaded from it: an entry found there
 * is verified in full and brought into the local cache first; an entry
 * built here is published there as well. Reaching, reading or writing the
 * tier never fails a build: every failure is a warning (phase WARNING
 * through `progress`) and the plugin is built, or stays, locally.
 *
 * The protocol is the local one, run in the tier directory: a published
 * tier entry is complete or absent (a stage renamed into place), a
 * publisher holds the tier's per-key lock (waiting lock_timeout_ms at
 * most, then giving up with a warning), a reader holds the tier key's use
 * fence while it copies (so a `rimport cache gc` of the tier does not
 * remove the entry under it), and gc/clear of the tier work as on a local
 * cache. */
typedef struct rimport__tier {
  const char *dir; /* the shared cache directory (absolute) */
  int readonly;    /* look up only: never publish, move aside nor lock */
  unsigned int lock_timeout_ms; /* for the tier's key lock; 0: 10 s */
  rimport_progress_cb progress; /* warnings; may be NULL */
  void *payload;
} rimport__tier;

/* What a tier entry's manifest must record for this session (the key
 * covers them; an entry whose manifest says otherwise is refused). */
typedef struct rimport__tier_expect {
  const char *fingerprint; /* toolchain.fingerprint */
  const char *target;      /* toolchain.target */
  int kayton_abi;          /* kayton_abi */
  /* cache_dir: the local cache the entry was built in. cargo's crate
   * hashes (-C metadata, hence symbol names) embed the absolute paths of
   * the workshop and kayton_api under it, so a plugin built in a cache at
   * another path cannot be loaded beside plugins built in this one (an
   * undefined kayton_api symbol), nor can one be stacked on it. NULL: not
   * checked. */
  const char *cache_dir;
  /* crate_sources: where cargo took the crates' sources from (the
   * directory source, or the registry in CARGO_HOME): rustc's crate hashes
   * (SVH) hold the source files' paths, so a cell compiled against an
   * entry from other sources and a plugin stacked on it here would see two
   * versions of a crate (E0460). NULL: not checked. */
  const char *crate_sources;
} rimport__tier_expect;

/* Brings <tier>/<crate>/<key> into the local cache. Call it holding the
 * local key lock (rimport__cache_lock on cache_dir), after a local lookup
 * found nothing. The tier entry's manifest is checked (format, crate, key,
 * artifact records; toolchain, ABI and the builder's cache path against
 * `want`), then every artifact
 * is hard-linked (same file system) or copied into a local stage and
 * hashed there: its size and XXH3 must be the tier manifest's (the
 * verification is of the bytes the local entry gets, in the one read that
 * brings them); the stage is published locally (rimport__stage_publish:
 * manifest regenerated with the tier's other members, plus "shared_cache":
 * {"from": <tier entry>, "created": <its creation time>}) and looked up
 * again as a build's lookup does (RIMPORT__VERIFY_STAT).
 * Returns 0 and *out (the local entry); RIMPORT_ENOTFOUND when the tier has
 * no such entry (silently), or when the tier cannot be reached or read,
 * or its entry is refused (each with a warning); RIMPORT_ENOMEM. A tier
 * entry that fails verification (incomplete, unreadable manifest, a size
 * or XXH3 that differs) is moved aside in the tier
 * (<tier>/<crate>/.corrupt-<key>-…, removed by `rimport cache gc` on the
 * tier) when the tier is writable and not readonly, so that the next
 * publish can replace it; one whose manifest names another toolchain or
 * ABI, or another cache path, is only refused. The local cache is never
 * left with part of it. */
int rimport__tier_fetch(const rimport__tier *t, const char *cache_dir,
                        const char *crate, const char *key,
                        const rimport__tier_expect *want, rimport__entry **out);

/* Publishes the local entry `local` of <crate>/<key> to the tier: under
 * the tier's key lock (lock_timeout_ms at most), unless the tier has the
 * key already, every artifact is copied (never linked: the tier keeps its
 * own copy) into a tier stage, hashed against the local manifest (a local
 * entry that changed is not published), and the stage renamed into place.
 * readonly: nothing (0). Returns 0 when the tier has the entry
 * afterwards; any failure (tier missing or unwritable, disk full, lock
 * timeout, a changed local file) is reported as a warning and returned,
 * for tests: callers go on. */
int rimport__tier_publish(const rimport__tier *t, const char *crate,
                          const char *key, const rimport__entry *local);

/* For `rimport cache list|verify|gc|clear`. */
typedef void (*rimport__cache_visit_fn)(const char *crate, const char *key,
                                        const rimport__entry *entry,
                                        int verify_rc, void *payload);
/* Visits every entry, sorted by crate and key. entry is NULL when
 * verify_rc != 0, and rimport_error_last() then says why. verify 0: the
 * cheap checks of rimport__cache_lookup, nothing is moved; verify 1: also
 * sizes and hashes, and a corrupt entry is moved aside as by lookup.
 * A missing cache dir has no entries (0). */
int rimport__cache_walk(const char *cache_dir, int verify,
                        rimport__cache_visit_fn fn, void *payload);
/* Removes stages, lock files and use fences no process holds, corrupt
 * entries (the cheap checks of lookup; `rimport cache verify` checks
 * hashes), and the cargo workshop (_target, _work) when no lock is held;
 * never an entry or stage whose key lock is held, nor a stage whose
 * creating process is alive, nor an entry (corrupt or aside) of a key that
 * a live process has marked in use (see "Use marks"): those are reported
 * as kept, with the reason. Each is taken under its key lock (and use
 * fence) while it is removed. The session files of processes that have
 * ended are removed. *freed (may be NULL) gets the bytes removed. Caveat: a
 * build that starts while gc removes the workshop may fail (and can be
 * retried); no entry is ever left half. */
int rimport__cache_gc(const char *cache_dir, unsigned long long *freed);
/* Called by rimport__cache_gc_report and rimport__cache_clear_report for
 * each thing removed (path absolute, with its size; kept NULL), and for
 * each entry left in place because it is in use (bytes 0; kept: why, a
 * phrase naming the process and what to do). */
typedef void (*rimport__cache_gc_fn)(const char *path, unsigned long long bytes,
                                     const char *kept, void *payload);
/* rimport__cache_gc that also reports what it removes and keeps (fn may be
 * NULL). */
int rimport__cache_gc_report(const char *cache_dir, rimport__cache_gc_fn fn,
                             void *payload, unsigned long long *freed);
/* Removes everything under the cache dir that rimport made: in each crate
 * directory the entries, stages, corrupt entries, lock files and use fences
 * (the directory itself when that empties it), toolchain/ records, and
 * every name starting with '_' except _sessions/, where only the files of
 * processes that have ended go. Anything else is left alone (a cache_dir
 * set to a directory of other things loses nothing else). Refuses with
 * RIMPORT_ELOCKED, removing nothing, while any key lock is held (message:
 * which process builds which crate); otherwise holds every key lock while
 * it removes, and removes the lock files last. An entry some live process
 * has marked in use is kept, with its use fence, and the rest is
 * removed: 0, and fn (may be NULL) is told of each kept entry. So is
 * each entry or stage of a key whose build began after clear took the
 * locks (clear takes the key's lock before it removes anything of it, and
 * leaves a key whose lock is held alone). A build starting in that last
 * moment may find its crate directory gone: rimport__cache_lock makes it
 * again. */
int rimport__cache_clear_report(const char *cache_dir, rimport__cache_gc_fn fn,
                                void *payload);
int rimport__cache_clear(const char *cache_dir);

#endif
