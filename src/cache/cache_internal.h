/* Shared by the files of src/cache: names, paths, hashing, moving a corrupt
 * entry aside. Not used outside src/cache. */
#ifndef RIMPORT_SRC_CACHE_INTERNAL_H
#define RIMPORT_SRC_CACHE_INTERNAL_H

#include <stdint.h>

#include "cache.h"

#define RIMPORT__CACHE_FORMAT  1
#define RIMPORT__CACHE_KEY_MIN 16
#define RIMPORT__CACHE_KEY_MAX 64
/* <cache>/<this>: the use marks of processes (cache.h, "Use marks"). */
#define RIMPORT__CACHE_SESSIONS "_sessions"
/* Longest manifest read back (a plugin with thousands of deps is far
 * below). */
#define RIMPORT__CACHE_MANIFEST_MAX (64u * 1024u * 1024u)

/* Non-zero when s[0..len) is a valid key (lowercase hex, 16–64). */
int rimport__cache_key_ok(const char *s, size_t len);
/* 0, or RIMPORT_EINVAL naming `what` (the calling function) and the bad
 * value. */
int rimport__cache_check_names(const char *what, const char *crate,
                               const char *key);
/* A number unique in this process (for .stage-/.corrupt- names). */
unsigned int rimport__cache_counter(void);

/* out = dir + native separator + rel, with rel's '/' turned into the
 * platform's separator. */
int rimport__cache_join_rel(rimport_buf *out, const char *dir, const char *rel);
/* out = <cache>/<crate> (and /<name> when name is not NULL); cache_dir is
 * made absolute first. */
int rimport__cache_path(rimport_buf *out, const char *cache_dir,
                        const char *crate, const char *name);

/* XXH3-128 of a stream, as 32 lowercase hex digits. */
typedef struct rimport__hasher rimport__hasher;
int rimport__hasher_new(rimport__hasher **out);
/* An rimport__fs_chunk_fn: payload is the hasher. */
int rimport__hasher_update(const char *data, size_t len, void *payload);
void rimport__hasher_hex(rimport__hasher *h, char out[33]);
void rimport__hasher_free(rimport__hasher *h);

/* Checks an artifact path: relative, '/'-separated, no empty, "." or ".."
 * component, no '\\' or ':' (so it means the same on Windows). NULL when
 * fine, else a phrase. */
const char *rimport__cache_check_rel(const char *rel);
/* Non-zero for "dylib", "dep", "source". */
int rimport__cache_kind_ok(const char *kind);

/* Checks the text of an entry's manifest.json (text[0..len), not
 * NUL-terminated), all that rimport__cache_lookup checks before it looks
 * at any file: a JSON object of format RIMPORT__CACHE_FORMAT naming
 * `crate` and `key`, an "artifacts" list of records each with a path
 * inside the entry (rimport__cache_check_rel; not manifest.json), a kind
 * (rimport__cache_kind_ok), a size (a whole number of bytes, at most
 * 2^53) and an xxh3 (32 lowercase hex digits), at least one of kind
 * "dylib". 0 and *out, the document (the caller cJSON_Deletes it);
 * RIMPORT_ECORRUPT with *why (replaced) a phrase starting "corrupt: "
 * that names what is wrong (no error record: the caller names the
 * entry); RIMPORT_ENOMEM. */
int rimport__cache_manifest_parse(const char *text, size_t len,
                                  const char *crate, const char *key,
                                  cJSON **out, rimport_buf *why);

/* rimport__cache_lookup with control over moving a corrupt entry aside;
 * *aside (when not NULL and the entry was moved) gets the new directory
 * (caller frees). */
int rimport__cache_lookup_ex(const char *cache_dir, const char *crate,
                             const char *key, int verify, int move_aside,
                             rimport__entry **out, char **aside);

/* Non-zero when this process may write in the directory `dir` (it
 * exists; no descriptor is used, so this works when they ran out). */
int rimport__cache_dir_writable(const char *dir);

/* After rc, a failure to write in the cache: when cache_dir (or dir, a
 * directory in it, when it exists; may be NULL) may not be written by
 * this process, adds to the error record (code kept) that it cannot be,
 * and what to do. Returns rc. */
int rimport__cache_explain_unwritable(const char *cache_dir, const char *dir,
                                      int rc);

/* B of cache.h's "Use marks": takes <crate>/<key>.use shared, waiting
 * as rimport__cache_use does, and lets it go. 0 also when <crate>/ does
 * not exist or this process may not write in it (then it cannot remove
 * anything there either); any other failure to open the fence (out of
 * descriptors) is an error (EIO, with the message), as is
 * RIMPORT_ELOCKED after 60 s. */
int rimport__cache_fence(const char *cache_dir, const char *crate,
                         const char *key);

/* What gc and clear know of the use marks of live processes (cache.h,
 * "Use marks"; marks.c). */
typedef struct rimport__live_marks rimport__live_marks;
/* An empty view of <cache>/_sessions. 0 or ENOMEM. */
int rimport__live_marks_new(const char *cache_dir, rimport__live_marks **out);
/* Reads again: sessions that appeared, and what live ones appended since
 * the last read; the files of sessions whose lock is free (the process
 * ended) are removed. Call it after taking a key's use fence
 * exclusively, before deciding on that key. A session seen live stays
 * live for the view's life (it is only ever more careful). 0, or the
 * first error (the view may then lack marks: callers keep what they were
 * deciding on). */
int rimport__live_marks_refresh(rimport__live_marks *v);
/* Non-zero when a live session lists <crate>/<key> (klen chars); *pid
 * (may be NULL) gets its pid, or 0 when unknown. */
int rimport__live_marks_find(rimport__live_marks *v, const char *crate,
                             const char *key, size_t klen, int *pid);
/* How many live sessions the view has seen. */
int rimport__live_marks_count(const rimport__live_marks *v);
void rimport__live_marks_free(rimport__live_marks *v);

/* The ISO-8601 UTC time now ("2026-11-23T22:45:31Z"). */
void rimport__cache_now_utc(char out[32]);

#endif
