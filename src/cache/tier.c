/* The shared entry tier (cache.h, "The shared entry tier"): an entry of a
 * team's shared cache brought into the local cache, verified, and a
 * locally built entry published there. The tier is a cache directory in
 * the local layout, so both directions are the local protocol (stage,
 * hash, rename; key lock; use fence) pointed at the other directory. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdarg.h>
#include <string.h>
#include <uv.h>

#include "../common/json.h"
#include "cache_internal.h"
#include "../common/fs.h"

/* How long a publisher waits for the tier's key lock by default: another
 * machine publishing the same key holds it for the time of a copy. */
#define TIER_LOCK_MS 10000u

/* Members of a manifest that rimport__stage_publish writes itself, and
 * the record of where an entry came from (written afresh). */
static const char *const not_copied[] = {
    "format", "crate", "key", "created", "artifacts", "shared_cache"};

static void warn(const rimport__tier *t, const char *crate, const char *fmt,
                 ...) RIMPORT__PRINTF(3, 4);

/* A WARNING progress report ("warning: " and the text); the error record
 * is cleared: what failed is said, and the caller goes on without it. */
static void warn(const rimport__tier *t, const char *crate, const char *fmt,
                 ...) {
  rimport_buf msg = RIMPORT_BUF_INIT;
  rimport_progress p;
  va_list ap;
  if (t->progress != NULL && rimport__buf_puts(&msg, "warning: ") == 0) {
    va_start(ap, fmt);
    rimport__buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    memset(&p, 0, sizeof(p));
    p.phase = RIMPORT_PROGRESS_WARNING;
    p.plugin = crate;
    p.message = msg.ptr;
    t->progress(&p, t->payload);
  }
  rimport_buf_dispose(&msg);
  rimport_error_clear();
}

static const char *last_message(void) {
  const rimport_error *e = rimport_error_last();
  return e != NULL && e->message != NULL ? e->message : "unknown failure";
}

/* NULL when the manifest records what this session builds with, else a
 * phrase saying what differs (in `why`). */
static const char *other_toolchain(const cJSON *m,
                                   const rimport__tier_expect *want,
                                   rimport_buf *why) {
  const cJSON *tc = cJSON_GetObjectItemCaseSensitive(m, "toolchain");
  const cJSON *abi = cJSON_GetObjectItemCaseSensitive(m, "kayton_abi");
  const char *fp = rimport__json_str(tc, "fingerprint");
  const char *target = rimport__json_str(tc, "target");
  const char *built_in = rimport__json_str(m, "cache_dir");
  const char *sources = rimport__json_str(m, "crate_sources");
  rimport__buf_clear(why);
  if (want == NULL)
    return NULL;
  if (want->fingerprint != NULL &&
      (fp == NULL || strcmp(fp, want->fingerprint) != 0))
    rimport__buf_printf(why,
                        "its manifest records the toolchain fingerprint %s, "
                        "this session's is %s",
                        fp ? fp : "(none)", want->fingerprint);
  else if (want->target != NULL &&
           (target == NULL || strcmp(target, want->target) != 0))
    rimport__buf_printf(why,
                        "its manifest records the target %s, this session "
                        "builds for %s",
                        target ? target : "(none)", want->target);
  else if (want->cache_dir != NULL &&
           (built_in == NULL || strcmp(built_in, want->cache_dir) != 0))
    rimport__buf_printf(
        why,
        "it was built in a local cache at %s, and this session's is %s; "
        "cargo's crate hashes hold that path, so it would not load beside "
        "plugins built here. Give every machine the same local cache path "
        "(RIMPORT_CACHE_DIR or --cache-dir, e.g. /var/cache/rimport)",
        built_in ? built_in : "(a path not recorded)", want->cache_dir);
  else if (want->crate_sources != NULL &&
           (sources == NULL || strcmp(sources, want->crate_sources) != 0))
    rimport__buf_printf(
        why,
        "it was built from the crates of %s, and this session takes them "
        "from %s; rustc's crate hashes hold the sources' paths, so cells "
        "and plugins built here would see two versions of its crates. Give "
        "every machine the same crate source (the same CARGO_HOME, or the "
        "same directory source)",
        sources ? sources : "(a source not recorded)", want->crate_sources);
  else if (!cJSON_IsNumber(abi) || abi->valuedouble != (double)want->kayton_abi)
    rimport__buf_printf(why,
                        "its manifest records kayton_api ABI %s, this "
                        "rimport has %d",
                        cJSON_IsNumber(abi) ? "another version" : "(none)",
                        want->kayton_abi);
  else
    return NULL;
  return why->ptr ? why->ptr : "its manifest records another toolchain";
}

/* Every artifact the manifest `m` of the entry in `from_dir` lists, into
 * the stage, checked against the manifest's size and XXH3. */
static int stage_artifacts(rimport__stage *st, const char *from_dir,
                           const cJSON *m, int try_link) {
  const cJSON *arts = cJSON_GetObjectItemCaseSensitive(m, "artifacts"), *a;
  rimport_buf src = RIMPORT_BUF_INIT;
  int rc = 0;
  cJSON_ArrayForEach(a, arts) {
    const char *rel = rimport__json_str(a, "path");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(a, "size");
    if (rel == NULL || !cJSON_IsNumber(size)) {
      rc = rimport__error_set(RIMPORT_ECORRUPT,
                              "the manifest of \"%s\" has an artifact "
                              "without a path or size",
                              from_dir);
      break;
    }
    if ((rc = rimport__cache_join_rel(&src, from_dir, rel)) != 0 ||
        (rc = rimport__stage_add_checked(
             st, src.ptr, rel, rimport__json_str(a, "kind"),
             (uint64_t)size->valuedouble, rimport__json_str(a, "xxh3"),
             try_link, NULL)) != 0)
      break;
  }
  rimport_buf_dispose(&src);
  return rc;
}

/* The manifest's members that are not rimport__stage_publish's own, for
 * the new entry's manifest; with "shared_cache": {"from", "created"}
 * when from_dir is not NULL. NULL: out of memory. */
static cJSON *extra_of(const cJSON *m, const char *from_dir) {
  cJSON *extra = cJSON_CreateObject(), *copy, *from;
  const cJSON *member;
  size_t i;
  if (extra == NULL)
    return NULL;
  cJSON_ArrayForEach(member, m) {
    int own = member->string == NULL;
    for (i = 0; !own && i < RIMPORT__ARRAY_SIZE(not_copied); i++)
      own = strcmp(member->string, not_copied[i]) == 0;
    if (own)
      continue;
    if ((copy = cJSON_Duplicate(member, 1)) == NULL ||
        !cJSON_AddItemToObject(extra, member->string, copy)) {
      cJSON_Delete(copy);
      cJSON_Delete(extra);
      return NULL;
    }
  }
  if (from_dir != NULL) {
    const char *created = rimport__json_str(m, "created");
    if ((from = cJSON_AddObjectToObject(extra, "shared_cache")) == NULL ||
        !cJSON_AddStringToObject(from, "from", from_dir) ||
        !cJSON_AddStringToObject(from, "created", created ? created : "")) {
      cJSON_Delete(extra);
      return NULL;
    }
  }
  return extra;
}

/* After the tier's entry failed while it was copied: checks it in full
 * in the tier and, when it is corrupt there, moves it aside (when
 * allowed). The phrase for the warning goes into `said`. */
static void recheck_in_tier(const rimport__tier *t, const char *crate,
                            const char *key, rimport_buf *said) {
  rimport__entry *e = NULL;
  char *aside = NULL;
  int rc = rimport__cache_lookup_ex(t->dir, crate, key, RIMPORT__VERIFY_FULL,
                                    !t->readonly, &e, &aside);
  if (rc == RIMPORT_ECORRUPT && aside != NULL)
    rimport__buf_printf(said,
                        "; it was moved aside in the shared cache to \"%s\" "
                        "(`rimport --cache-dir %s cache gc` removes it)",
                        aside, t->dir);
  else if (rc == RIMPORT_ECORRUPT)
    rimport__buf_printf(said,
                        "; it stays in the shared cache (read-only here): "
                        "run `rimport --cache-dir %s cache verify` where it "
                        "is writable",
                        t->dir);
  rimport__entry_free(e);
  rimport__free(aside);
  rimport_error_clear();
}

int rimport__tier_fetch(const rimport__tier *t, const char *cache_dir,
                        const char *crate, const char *key,
                        const rimport__tier_expect *want,
                        rimport__entry **out) {
  rimport__entry *te = NULL, *pub = NULL;
  rimport__lock *use = NULL;
  rimport__stage *st = NULL;
  rimport_buf why = RIMPORT_BUF_INIT, said = RIMPORT_BUF_INIT;
  cJSON *extra = NULL;
  const char *differs;
  int rc;
  *out = NULL;
  if (t == NULL || t->dir == NULL)
    return RIMPORT_ENOTFOUND;
  if ((rc = rimport__cache_check_names("looking up the shared cache", crate,
                                       key)) != 0)
    return rc;
  if (!rimport__fs_is_dir(t->dir)) {
    warn(t, crate,
         "the shared cache directory \"%s\" does not exist or cannot be "
         "reached (is the share mounted?), so the plugin of %s (%s) is not "
         "looked up there; mount it, or unset shared_cache_dir "
         "(RIMPORT_SHARED_CACHE_DIR)",
         t->dir, crate, key);
    return RIMPORT_ENOTFOUND;
  }
  /* The fence keeps a gc of the tier from removing the entry while it is
   * copied (a read-only user makes no files there). */
  if (!t->readonly && (rc = rimport__cache_use(t->dir, crate, key, &use)) != 0)
    goto refused;
  rc = rimport__cache_lookup_ex(t->dir, crate, key, 0, !t->readonly, &te, NULL);
  if (rc == RIMPORT_ENOTFOUND) {
    rimport_error_clear();
    goto done;
  }
  if (rc != 0)
    goto refused;
  if ((differs = other_toolchain(te->manifest, want, &why)) != NULL) {
    rc = rimport__error_set(RIMPORT_ECORRUPT,
                            "the entry \"%s\" cannot be used here: %s", te->dir,
                            differs);
    goto refused;
  }
  if ((rc = rimport__stage_begin(cache_dir, crate, key, &st)) != 0) {
    warn(t, crate,
         "bringing the plugin of %s (%s) from the shared cache into the "
         "local cache failed: %s; it is built here instead",
         crate, key, last_message());
    rc = RIMPORT_ENOTFOUND;
    goto done;
  }
  if ((rc = stage_artifacts(st, te->dir, te->manifest, 1)) != 0) {
    rimport__stage_abort(st);
    st = NULL;
    if (rc == RIMPORT_ECORRUPT || rc == RIMPORT_ENOTFOUND) {
      rimport__buf_puts(&said, last_message());
      recheck_in_tier(t, crate, key, &said);
      rimport__error_set(RIMPORT_ECORRUPT, "the entry \"%s\" is corrupt: %s",
                         te->dir, said.ptr ? said.ptr : "");
      rc = RIMPORT_ECORRUPT;
    }
    goto refused;
  }
  if ((extra = extra_of(te->manifest, te->dir)) == NULL) {
    rimport__stage_abort(st);
    rc = rimport__error_nomem();
    goto done;
  }
  rc = rimport__stage_publish(st, extra, &pub);
  if (rc == 0) {
    rimport__entry_free(pub);
    /* What a build's lookup sees: the local entry, as any other. */
    rc =
        rimport__cache_lookup(cache_dir, crate, key, RIMPORT__VERIFY_STAT, out);
  }
  if (rc != 0 && rc != RIMPORT_ENOMEM) {
    warn(t, crate,
         "bringing the plugin of %s (%s) from the shared cache into the "
         "local cache failed: %s; it is built here instead",
         crate, key, last_message());
    rc = RIMPORT_ENOTFOUND;
  }
  goto done;
refused:
  if (rc == RIMPORT_ENOMEM)
    goto done;
  warn(t, crate,
       "the shared cache's plugin of %s (%s) is not used: %s; it is built "
       "here instead (the local cache is not affected)",
       crate, key, last_message());
  rc = RIMPORT_ENOTFOUND;
done:
  cJSON_Delete(extra);
  rimport__entry_free(te);
  rimport__cache_unlock(use);
  rimport_buf_dispose(&why);
  rimport_buf_dispose(&said);
  return rc;
}

int rimport__tier_publish(const rimport__tier *t, const char *crate,
                          const char *key, const rimport__entry *local) {
  rimport__lock *lock = NULL;
  rimport__entry *have = NULL;
  rimport__stage *st = NULL;
  cJSON *extra = NULL;
  int rc;
  if (t == NULL || t->dir == NULL || t->readonly)
    return 0;
  if (local == NULL || local->manifest == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport__tier_publish: no local entry");
  if (!rimport__fs_is_dir(t->dir)) {
    rc = rimport__error_set(RIMPORT_ENOTFOUND,
                            "the directory does not exist or cannot be "
                            "reached (is the share mounted?)");
    goto failed;
  }
  if ((rc = rimport__cache_lock(t->dir, crate, key,
                                t->lock_timeout_ms ? t->lock_timeout_ms
                                                   : TIER_LOCK_MS,
                                NULL, NULL, NULL, &lock)) != 0)
    goto failed;
  /* Another machine may have published it meanwhile (a corrupt one is
   * replaced by rimport__stage_publish). */
  rc = rimport__cache_lookup_ex(t->dir, crate, key, 0, 0, &have, NULL);
  if (rc == 0 || rc == RIMPORT_ENOMEM)
    goto done;
  rimport_error_clear();
  if ((rc = rimport__stage_begin(t->dir, crate, key, &st)) != 0)
    goto failed;
  if ((rc = stage_artifacts(st, local->dir, local->manifest, 0)) != 0) {
    rimport__stage_abort(st);
    goto failed;
  }
  if ((extra = extra_of(local->manifest, NULL)) == NULL) {
    rimport__stage_abort(st);
    rc = rimport__error_nomem();
    goto done;
  }
  rc = rimport__stage_publish(st, extra, &have);
  if (rc == 0)
    goto done;
failed:
  if (rc != RIMPORT_ENOMEM) {
    rimport_buf msg = RIMPORT_BUF_INIT;
    /* The reason is kept for the caller (tests) after the warning. */
    int ok = rimport__buf_puts(&msg, last_message()) == 0;
    warn(t, crate,
         "publishing the plugin of %s (%s) to the shared cache \"%s\" "
         "failed: %s; the plugin is built and in the local cache. Check that "
         "the directory is mounted, writable and has space, or set "
         "shared_cache_readonly (RIMPORT_SHARED_CACHE_READONLY=1) to only "
         "look plugins up there",
         crate, key, t->dir, ok ? msg.ptr : "unknown failure");
    rimport__error_set(rc, "publishing %s (%s) to the shared cache \"%s\": %s",
                       crate, key, t->dir, ok ? msg.ptr : "unknown failure");
    rimport_buf_dispose(&msg);
  }
done:
  cJSON_Delete(extra);
  rimport__entry_free(have);
  rimport__cache_unlock(lock);
  return rc;
}
