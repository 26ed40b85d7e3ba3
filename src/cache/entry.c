/* Cache entries: names and paths, XXH3 of artifacts, lookup and
 * verification, moving a corrupt entry aside. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <string.h>
#include <uv.h>
#include <xxhash.h>

#include "../common/json.h"
#include "cache_internal.h"
#include "../common/fs.h"
#include "../common/names.h"
#include "../platform.h"

/* ---------------------------------------------------------------- names */

int rimport__cache_key_ok(const char *s, size_t len) {
  size_t i;
  if (len < RIMPORT__CACHE_KEY_MIN || len > RIMPORT__CACHE_KEY_MAX)
    return 0;
  for (i = 0; i < len; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return 1;
}

int rimport__cache_check_names(const char *what, const char *crate,
                               const char *key) {
  const char *why;
  if (crate == NULL || key == NULL)
    return rimport__error_set(RIMPORT_EINVAL, "%s: crate or key is NULL", what);
  if ((why = rimport__check_crate_name(crate, strlen(crate))) != NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "%s: crate \"%s\": %s; give the crate name of "
                              "the plan",
                              what, crate, why);
  if (!rimport__cache_key_ok(key, strlen(key)))
    return rimport__error_set(RIMPORT_EINVAL,
                              "%s: key \"%s\": not %d to %d lowercase hex "
                              "digits; give the key of the plan",
                              what, key, RIMPORT__CACHE_KEY_MIN,
                              RIMPORT__CACHE_KEY_MAX);
  return 0;
}

static uv_once_t counter_once = UV_ONCE_INIT;
static uv_mutex_t counter_mutex;
static int counter_mutex_ok;
static unsigned int counter;

static void counter_init(void) {
  counter_mutex_ok = uv_mutex_init(&counter_mutex) == 0;
}

unsigned int rimport__cache_counter(void) {
  unsigned int n;
  uv_once(&counter_once, counter_init);
  if (counter_mutex_ok)
    uv_mutex_lock(&counter_mutex);
  n = counter++;
  if (counter_mutex_ok)
    uv_mutex_unlock(&counter_mutex);
  return n;
}

const char *rimport__cache_check_rel(const char *rel) {
  const char *p = rel, *end;
  if (rel == NULL || *rel == '\0')
    return "is empty";
  if (*rel == '/')
    return "is absolute (give a path inside the entry)";
  if (strchr(rel, '\\') != NULL || strchr(rel, ':') != NULL)
    return "holds '\\' or ':' (use '/' between directories)";
  if (rimport__check_path(rel, strlen(rel)) != NULL)
    return rimport__check_path(rel, strlen(rel));
  for (;;) {
    size_t n;
    end = strchr(p, '/');
    n = end ? (size_t)(end - p) : strlen(p);
    if (n == 0)
      return "has an empty component (\"//\" or a trailing '/')";
    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
      return "has a \".\" or \"..\" component";
    if (end == NULL)
      return NULL;
    p = end + 1;
  }
}

int rimport__cache_kind_ok(const char *kind) {
  return kind != NULL &&
         (strcmp(kind, "dylib") == 0 || strcmp(kind, "dep") == 0 ||
          strcmp(kind, "source") == 0 || strcmp(kind, "api") == 0);
}

/* ---------------------------------------------------------------- paths */

int rimport__cache_join_rel(rimport_buf *out, const char *dir,
                            const char *rel) {
  size_t start, i;
  int rc = rimport__path_join(out, dir, "");
  if (rc != 0)
    return rc;
  start = out->size;
  if ((rc = rimport__buf_puts(out, rel)) != 0)
    return rc;
  for (i = start; i < out->size; i++)
    if (out->ptr[i] == '/')
      out->ptr[i] = rimport__dir_sep;
  return 0;
}

int rimport__cache_path(rimport_buf *out, const char *cache_dir,
                        const char *crate, const char *name) {
  rimport_buf abs = RIMPORT_BUF_INIT;
  int rc = 0;
  if (!rimport__path_is_absolute(cache_dir)) {
    rimport_buf cwd = RIMPORT_BUF_INIT;
    rc = rimport__cwd(&cwd);
    if (rc == 0)
      rc = rimport__path_join(&abs, cwd.ptr, cache_dir);
    rimport_buf_dispose(&cwd);
    cache_dir = abs.ptr;
  }
  if (rc == 0)
    rc = rimport__path_join(out, cache_dir, crate);
  if (rc == 0 && name != NULL) {
    rimport_buf tmp = RIMPORT_BUF_INIT;
    rc = rimport__path_join(&tmp, out->ptr, name);
    if (rc == 0) {
      rimport_buf_dispose(out);
      *out = tmp;
    } else {
      rimport_buf_dispose(&tmp);
    }
  }
  rimport_buf_dispose(&abs);
  return rc;
}

/* -------------------------------------------------------------- hashing */

struct rimport__hasher {
  XXH3_state_t *state;
};

int rimport__hasher_new(rimport__hasher **out) {
  rimport__hasher *h = rimport__calloc(1, sizeof(*h));
  *out = NULL;
  if (h == NULL)
    return rimport__error_nomem();
  if ((h->state = XXH3_createState()) == NULL) {
    rimport__free(h);
    return rimport__error_nomem();
  }
  XXH3_128bits_reset(h->state);
  *out = h;
  return 0;
}

int rimport__hasher_update(const char *data, size_t len, void *payload) {
  rimport__hasher *h = payload;
  if (XXH3_128bits_update(h->state, data, len) != XXH_OK)
    return rimport__error_set(RIMPORT_EINTERNAL, "XXH3_128bits_update failed");
  return 0;
}

void rimport__hasher_hex(rimport__hasher *h, char out[33]) {
  static const char digits[] = "0123456789abcdef";
  XXH128_canonical_t c;
  size_t i;
  XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->state));
  for (i = 0; i < sizeof(c.digest); i++) {
    out[2 * i] = digits[c.digest[i] >> 4];
    out[2 * i + 1] = digits[c.digest[i] & 15];
  }
  out[32] = '\0';
}

void rimport__hasher_free(rimport__hasher *h) {
  if (h == NULL)
    return;
  XXH3_freeState(h->state);
  rimport__free(h);
}

/* ----------------------------------------------------------------- time */

void rimport__cache_now_utc(char out[32]) {
  uv_timeval64_t tv;
  int64_t secs, days, rem, z, era, doe, yoe, y, doy, mp, d, m;
  if (uv_gettimeofday(&tv) != 0)
    tv.tv_sec = 0;
  secs = tv.tv_sec;
  days = secs / 86400;
  rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  /* civil_from_days (H. Hinnant): days since 1970-01-01 → y-m-d. */
  z = days + 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2)
    y++;
  /* The ranges are spelled out for the compiler's truncation check. */
  snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02uZ",
           (unsigned)(y < 0 ? 0 : y % 10000), (unsigned)(m % 13),
           (unsigned)(d % 32), (unsigned)(rem / 3600 % 24),
           (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
}

/* --------------------------------------------------------------- lookup */

void rimport__entry_free(rimport__entry *e) {
  if (e == NULL)
    return;
  rimport__free(e->dir);
  rimport__free(e->dylib);
  rimport__free(e->deps_dir);
  rimport__free(e->crate_dir);
  cJSON_Delete(e->manifest);
  rimport__free(e);
}

typedef struct lookup_ctx {
  const char *cache_dir, *crate, *key;
  rimport_buf dir;
  int move_aside;
  char *aside; /* where a corrupt entry went */
} lookup_ctx;

/* Moves the entry to .corrupt-<key>-<pid>-<n>. 0, or the rename error.
 * An entry that is gone already (another process moved it) is fine. */
static int move_aside(lookup_ctx *c) {
  rimport_buf to = RIMPORT_BUF_INIT, name = RIMPORT_BUF_INIT;
  int rc = 0, uv_code = 0, tries;
  for (tries = 0; tries < 100; tries++) {
    rimport__buf_clear(&name);
    if ((rc = rimport__buf_printf(&name, ".corrupt-%s-%d-%u", c->key,
                                  (int)uv_os_getpid(),
                                  rimport__cache_counter())) != 0 ||
        (rc = rimport__cache_path(&to, c->cache_dir, c->crate, name.ptr)) != 0)
      break;
    if (rimport__fs_is_dir(to.ptr) || rimport__fs_is_file(to.ptr))
      continue; /* left by an earlier process with our pid */
    rc = rimport__fs_rename(c->dir.ptr, to.ptr, &uv_code);
    if (rc == 0) {
      c->aside = rimport__buf_detach(&to);
      if (c->aside == NULL)
        rc = RIMPORT_ENOMEM;
    } else if (uv_code == UV_ENOENT) {
      rc = 0; /* someone else moved it */
    }
    break;
  }
  rimport_buf_dispose(&to);
  rimport_buf_dispose(&name);
  return rc;
}

static int corrupt(lookup_ctx *c, const char *fmt, ...) RIMPORT__PRINTF(2, 3);

static int corrupt(lookup_ctx *c, const char *fmt, ...) {
  rimport_buf msg = RIMPORT_BUF_INIT;
  va_list ap;
  int rc;
  va_start(ap, fmt);
  rc = rimport__buf_vprintf(&msg, fmt, ap);
  va_end(ap);
  if (rc != 0)
    return rc;
  if (c->move_aside) {
    if (move_aside(c) != 0) {
      const rimport_error *e = rimport_error_last();
      rimport__buf_printf(&msg,
                          "; moving it aside failed (%s): remove it by hand",
                          e ? e->message : "unknown reason");
    } else if (c->aside != NULL) {
      rimport__buf_printf(&msg,
                          "; it was moved aside to \"%s\" (`rimport cache "
                          "gc` removes it) and will be rebuilt",
                          c->aside);
    }
  } else {
    rimport__buf_puts(&msg, "; run `rimport cache verify` (moves it aside "
                            "to be rebuilt) or `rimport cache gc`");
  }
  rc = rimport__error_set(RIMPORT_ECORRUPT, "the cache entry \"%s\" is %s",
                          c->dir.ptr, msg.ptr ? msg.ptr : "corrupt");
  rimport_buf_dispose(&msg);
  return rc;
}

/* --------------------------------------------------------- the manifest */

/* Sets *why (replaced) to a phrase; RIMPORT_ECORRUPT, or ENOMEM. */
static int manifest_bad(rimport_buf *why, const char *fmt, ...)
    RIMPORT__PRINTF(2, 3);

static int manifest_bad(rimport_buf *why, const char *fmt, ...) {
  va_list ap;
  int rc;
  rimport__buf_clear(why);
  va_start(ap, fmt);
  rc = rimport__buf_vprintf(why, fmt, ap);
  va_end(ap);
  return rc != 0 ? rimport__error_nomem() : RIMPORT_ECORRUPT;
}

/* One artifact record: path, kind, size (a whole number of bytes) and
 * xxh3. */
static int check_record(const cJSON *a, rimport_buf *why) {
  const char *rel = rimport__json_str(a, "path");
  const char *kind = rimport__json_str(a, "kind");
  const char *hash = rimport__json_str(a, "xxh3");
  const cJSON *size = cJSON_GetObjectItemCaseSensitive(a, "size");
  const char *bad;
  if (!cJSON_IsObject(a))
    return manifest_bad(why, "corrupt: manifest.json has an artifact record "
                             "that is not a JSON object");
  if (rel == NULL || (bad = rimport__cache_check_rel(rel)) != NULL)
    return manifest_bad(why,
                        "corrupt: manifest.json has an artifact whose path %s",
                        rel ? bad : "is missing");
  if (strcmp(rel, "manifest.json") == 0)
    return manifest_bad(why, "corrupt: manifest.json lists itself as an "
                             "artifact");
  if (!rimport__cache_kind_ok(kind) || !cJSON_IsNumber(size) ||
      !(size->valuedouble >= 0 && size->valuedouble <= 9007199254740992.0) ||
      (double)(uint64_t)size->valuedouble != size->valuedouble ||
      hash == NULL || strlen(hash) != 32 || !rimport__cache_key_ok(hash, 32))
    return manifest_bad(why,
                        "corrupt: manifest.json's record of \"%s\" lacks a "
                        "valid kind, size or xxh3",
                        rel);
  return 0;
}

int rimport__cache_manifest_parse(const char *text, size_t len,
                                  const char *crate, const char *key,
                                  cJSON **out, rimport_buf *why) {
  const cJSON *fmt, *arts, *a;
  const char *s;
  cJSON *m;
  int rc = 0, dylibs = 0;
  *out = NULL;
  if ((m = cJSON_ParseWithLength(text, len)) == NULL || !cJSON_IsObject(m))
    rc = manifest_bad(why, "corrupt: manifest.json is not a JSON object");
  else if (!cJSON_IsNumber(fmt =
                               cJSON_GetObjectItemCaseSensitive(m, "format")) ||
           fmt->valuedouble != RIMPORT__CACHE_FORMAT)
    rc = manifest_bad(why,
                      "corrupt: manifest.json is not of format %d (written "
                      "by another program or rimport version?)",
                      RIMPORT__CACHE_FORMAT);
  else if ((s = rimport__json_str(m, "crate")) == NULL ||
           strcmp(s, crate) != 0 || (s = rimport__json_str(m, "key")) == NULL ||
           strcmp(s, key) != 0)
    rc = manifest_bad(why,
                      "corrupt: manifest.json names another crate or key "
                      "than %s %s",
                      crate, key);
  else if (!cJSON_IsArray(arts =
                              cJSON_GetObjectItemCaseSensitive(m, "artifacts")))
    rc = manifest_bad(why, "corrupt: manifest.json has no \"artifacts\" list");
  else {
    cJSON_ArrayForEach(a, arts) {
      if ((rc = check_record(a, why)) != 0)
        break;
      dylibs += strcmp(rimport__json_str(a, "kind"), "dylib") == 0;
    }
    if (rc == 0 && dylibs == 0)
      rc = manifest_bad(why, "corrupt: manifest.json lists no dylib");
  }
  if (rc != 0) {
    cJSON_Delete(m);
    return rc;
  }
  *out = m;
  return 0;
}

/* Checks one artifact's file (its record was checked with the manifest),
 * as `verify` asks. 0, ECORRUPT (via corrupt()), or another error. */
static int check_artifact(lookup_ctx *c, const cJSON *a, int verify,
                          rimport_buf *path, uint64_t *size_out) {
  const char *rel = rimport__json_str(a, "path");
  const char *kind = rimport__json_str(a, "kind");
  const char *want_hash = rimport__json_str(a, "xxh3");
  const cJSON *size = cJSON_GetObjectItemCaseSensitive(a, "size");
  rimport__stat st;
  uint64_t want_size;
  int rc;
  want_size = (uint64_t)size->valuedouble;
  *size_out = want_size;
  if ((rc = rimport__cache_join_rel(path, c->dir.ptr, rel)) != 0)
    return rc;
  if (!verify)
    return 0;
  rc = rimport__fs_stat(path->ptr, &st);
  if (rc == RIMPORT_ENOTFOUND)
    return corrupt(c, "incomplete: \"%s\" is missing", rel);
  if (rc != 0)
    return rc;
  if (!st.is_file)
    return corrupt(c, "corrupt: \"%s\" is not a regular file", rel);
  if (st.size != want_size)
    return corrupt(c, "corrupt: \"%s\" has %llu bytes, its manifest says %llu",
                   rel, (unsigned long long)st.size,
                   (unsigned long long)want_size);
  if (verify == RIMPORT__VERIFY_STAT ||
      (verify == RIMPORT__VERIFY_QUICK && strcmp(kind, "dylib") != 0)) {
    /* Same size and mtime as when it was copied in and hashed: taken as
     * unchanged (as git's index does). With QUICK the dylib, which gets
     * loaded, is always hashed; `rimport cache verify` hashes everything. */
    const char *want_mtime = rimport__json_str(a, "mtime");
    char have[48];
    snprintf(have, sizeof(have), "%lld.%09lld", (long long)st.mtime_sec,
             (long long)st.mtime_nsec);
    if (want_mtime != NULL && strcmp(want_mtime, have) == 0)
      return 0;
  }
  {
    rimport__hasher *h;
    char got[33];
    uint64_t read = 0;
    if ((rc = rimport__hasher_new(&h)) != 0)
      return rc;
    rc = rimport__fs_read_chunks(path->ptr, rimport__hasher_update, h, &read);
    rimport__hasher_hex(h, got);
    rimport__hasher_free(h);
    if (rc == RIMPORT_ENOTFOUND)
      return corrupt(c, "incomplete: \"%s\" is missing", rel);
    if (rc != 0)
      return rc;
    if (read != want_size)
      return corrupt(
          c, "corrupt: \"%s\" has %llu bytes, its manifest says %llu", rel,
          (unsigned long long)read, (unsigned long long)want_size);
    if (strcmp(got, want_hash) != 0)
      return corrupt(c,
                     "corrupt: \"%s\" has XXH3 %s, its manifest says %s (the "
                     "file was changed after it was published)",
                     rel, got, want_hash);
  }
  return 0;
}

/* Reads the entry's manifest.json and checks it
 * (rimport__cache_manifest_parse); *out gets the document. */
static int read_manifest(lookup_ctx *c, cJSON **out) {
  rimport_buf text = RIMPORT_BUF_INIT, path = RIMPORT_BUF_INIT,
              why = RIMPORT_BUF_INIT;
  int rc = rimport__path_join(&path, c->dir.ptr, "manifest.json");
  *out = NULL;
  if (rc == 0)
    rc = rimport__fs_read_file(path.ptr, RIMPORT__CACHE_MANIFEST_MAX, &text);
  if (rc == RIMPORT_ENOTFOUND)
    rc = corrupt(c, "incomplete: it has no manifest.json");
  else if (rc == RIMPORT_ECORRUPT)
    rc = corrupt(c, "corrupt: manifest.json is too large");
  else if (rc == 0 && (rc = rimport__cache_manifest_parse(
                           text.ptr ? text.ptr : "", text.size, c->crate,
                           c->key, out, &why)) == RIMPORT_ECORRUPT)
    rc = corrupt(c, "%s", why.ptr ? why.ptr : "corrupt: manifest.json");
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&why);
  return rc;
}

/* Checks every artifact the manifest lists (as `verify` asks) and finds
 * the dylib, which must be there. */
static int check_artifacts(lookup_ctx *c, const cJSON *m, int verify,
                           rimport__entry *e) {
  const cJSON *a;
  rimport_buf path = RIMPORT_BUF_INIT;
  int rc = 0;
  cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(m, "artifacts")) {
    uint64_t size = 0;
    if ((rc = check_artifact(c, a, verify, &path, &size)) != 0)
      break;
    e->size += size;
    if (e->dylib == NULL &&
        strcmp(rimport__json_str(a, "kind"), "dylib") == 0 &&
        (e->dylib = rimport__strdup(path.ptr)) == NULL) {
      rc = rimport__error_nomem();
      break;
    }
  }
  rimport_buf_dispose(&path);
  if (rc == 0 && e->dylib == NULL)
    rc = corrupt(c, "corrupt: manifest.json lists no dylib");
  else if (rc == 0 && !rimport__fs_is_file(e->dylib))
    rc = corrupt(c, "incomplete: its dylib \"%s\" is missing", e->dylib);
  return rc;
}

/* The entry's directories: deps/ must be there. */
static int entry_dirs(lookup_ctx *c, rimport__entry *e) {
  rimport_buf path = RIMPORT_BUF_INIT;
  int rc = rimport__path_join(&path, c->dir.ptr, "deps");
  if (rc == 0 && !rimport__fs_is_dir(path.ptr))
    rc = corrupt(c, "incomplete: it has no deps directory");
  else if (rc == 0 && ((e->deps_dir = rimport__strdup(path.ptr)) == NULL ||
                       rimport__path_join(&path, c->dir.ptr, "crate") != 0 ||
                       (e->crate_dir = rimport__strdup(path.ptr)) == NULL ||
                       (e->dir = rimport__strdup(c->dir.ptr)) == NULL))
    rc = rimport__error_nomem();
  rimport_buf_dispose(&path);
  return rc;
}

static int build_entry(lookup_ctx *c, int verify, rimport__entry **out) {
  rimport__entry *e = NULL;
  cJSON *m = NULL;
  int rc;
  if ((rc = read_manifest(c, &m)) != 0)
    return rc;
  if ((e = rimport__calloc(1, sizeof(*e))) == NULL)
    rc = rimport__error_nomem();
  if (rc == 0 && (rc = check_artifacts(c, m, verify, e)) == 0 &&
      (rc = entry_dirs(c, e)) == 0) {
    e->manifest = m;
    *out = e;
    return 0;
  }
  rimport__entry_free(e);
  cJSON_Delete(m);
  return rc;
}

int rimport__cache_lookup_ex(const char *cache_dir, const char *crate,
                             const char *key, int verify, int move_aside_,
                             rimport__entry **out, char **aside) {
  lookup_ctx c;
  int rc;
  *out = NULL;
  if (aside != NULL)
    *aside = NULL;
  if (cache_dir == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport__cache_lookup: cache_dir is NULL");
  if ((rc = rimport__cache_check_names("looking up a cache entry", crate,
                                       key)) != 0)
    return rc;
  memset(&c, 0, sizeof(c));
  c.cache_dir = cache_dir;
  c.crate = crate;
  c.key = key;
  c.move_aside = move_aside_;
  if ((rc = rimport__cache_path(&c.dir, cache_dir, crate, key)) != 0)
    return rc;
  if (!rimport__fs_is_dir(c.dir.ptr)) {
    rimport_buf_dispose(&c.dir);
    return RIMPORT_ENOTFOUND;
  }
  rc = build_entry(&c, verify, out);
  if (aside != NULL)
    *aside = c.aside;
  else
    rimport__free(c.aside);
  rimport_buf_dispose(&c.dir);
  return rc;
}

int rimport__cache_lookup(const char *cache_dir, const char *crate,
                          const char *key, int verify, rimport__entry **out) {
  return rimport__cache_lookup_ex(cache_dir, crate, key, verify, 1, out, NULL);
}
