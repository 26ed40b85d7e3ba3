/* Building an entry aside (<cache>/<crate>/.stage-<key>-<pid>-<n>) and
 * publishing it with one rename, so that an entry is complete or absent
 * (DESIGN.md invariant 4). */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cache_internal.h"
#include "../common/fs.h"
#include "../platform.h"

typedef struct stage_artifact {
  char *path; /* relative, '/' */
  char *kind;
  uint64_t size;
  char xxh3[33];
  char mtime[48]; /* "sec.nsec" of the copy, for the quick check */
} stage_artifact;

struct rimport__stage {
  char *cache_dir;
  char *crate;
  char *key;
  char *dir; /* absolute */
  stage_artifact *arts;
  size_t count, cap;
  int unflushed; /* rimport__stage_set_unflushed */
};

static void stage_free(rimport__stage *st) {
  size_t i;
  if (st == NULL)
    return;
  for (i = 0; i < st->count; i++) {
    rimport__free(st->arts[i].path);
    rimport__free(st->arts[i].kind);
  }
  rimport__free(st->arts);
  rimport__free(st->cache_dir);
  rimport__free(st->crate);
  rimport__free(st->key);
  rimport__free(st->dir);
  rimport__free(st);
}

/* After a failed write into the cache: when the disk was full (libuv's
 * ENOSPC, which the message of src/common/fs.c names; Windows' disk-full
 * errors map to it too), says so with the cache directory and what to
 * do. The record keeps its code; returns rc. */
static int explain_full(const rimport__stage *st, int rc) {
  const rimport_error *e = rimport_error_last();
  char *was;
  if (rc == 0 || rc == RIMPORT_ENOMEM || e->message == NULL ||
      strstr(e->message, "(ENOSPC)") == NULL ||
      (was = rimport__strdup(e->message)) == NULL)
    return rc;
  rc = rimport__error_set(
      rc,
      "%s. This was the cache entry of %s (%s) in the cache directory \"%s\", "
      "whose disk is full (nothing of the entry is kept): `rimport cache gc` "
      "removes what no process uses there, `rimport cache clear` all of "
      "rimport's files; or set RIMPORT_CACHE_DIR (the cache_dir option) to "
      "a directory on a disk with room; then build again",
      was, st->crate, st->key, st->cache_dir);
  rimport__free(was);
  return rc;
}

static int make_stage_dir(rimport__stage *st) {
  static const char *const subdirs[] = {"lib", "deps", "crate"};
  rimport_buf crate_dir = RIMPORT_BUF_INIT, name = RIMPORT_BUF_INIT,
              path = RIMPORT_BUF_INIT;
  size_t i;
  int rc, tries;
  if ((rc = rimport__cache_path(&crate_dir, st->cache_dir, st->crate, NULL)) !=
          0 ||
      (rc = rimport__fs_mkdir_p(crate_dir.ptr)) != 0)
    goto done;
  for (tries = 0;; tries++) {
    rimport__buf_clear(&name);
    if ((rc = rimport__buf_printf(&name, ".stage-%s-%d-%u", st->key,
                                  (int)uv_os_getpid(),
                                  rimport__cache_counter())) != 0 ||
        (rc = rimport__path_join(&path, crate_dir.ptr, name.ptr)) != 0)
      goto done;
    rc = rimport__fs_mkdir_new(path.ptr);
    if (rc <= 0)
      break;
    if (tries >= 1000) { /* left by earlier processes with our pid */
      rc = rimport__error_set(RIMPORT_EIO,
                              "no free stage directory name in \"%s\"; run "
                              "`rimport cache gc`",
                              crate_dir.ptr);
      goto done;
    }
  }
  if (rc != 0)
    goto done;
  if ((st->dir = rimport__buf_detach(&path)) == NULL) {
    rc = RIMPORT_ENOMEM;
    goto done;
  }
  for (i = 0; i < RIMPORT__ARRAY_SIZE(subdirs) && rc == 0; i++)
    if ((rc = rimport__path_join(&path, st->dir, subdirs[i])) == 0)
      rc = rimport__fs_mkdir_p(path.ptr);
done:
  rimport_buf_dispose(&crate_dir);
  rimport_buf_dispose(&name);
  rimport_buf_dispose(&path);
  return rc;
}

int rimport__stage_begin(const char *cache_dir, const char *crate,
                         const char *key, rimport__stage **out) {
  rimport__stage *st;
  int rc;
  *out = NULL;
  if (cache_dir == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport__stage_begin: cache_dir is NULL");
  if ((rc = rimport__cache_check_names("starting a cache entry", crate, key)) !=
      0)
    return rc;
  if ((st = rimport__calloc(1, sizeof(*st))) == NULL)
    return rimport__error_nomem();
  if ((st->cache_dir = rimport__strdup(cache_dir)) == NULL ||
      (st->crate = rimport__strdup(crate)) == NULL ||
      (st->key = rimport__strdup(key)) == NULL) {
    stage_free(st);
    return rimport__error_nomem();
  }
  if ((rc = make_stage_dir(st)) != 0) {
    rimport__error_prefix("starting a cache entry for %s (%s) in \"%s\"", crate,
                          key, cache_dir);
    rc = explain_full(st,
                      rimport__cache_explain_unwritable(cache_dir, NULL, rc));
    rimport__stage_abort(st);
    return rc;
  }
  *out = st;
  return 0;
}

const char *rimport__stage_dir(const rimport__stage *st) {
  return st->dir;
}

/* Hard-links (try_link) or copies src to dst, hashing the bytes: those of
 * the copy as they are read from src, or those of the link's file. */
static int put_file(const char *src, const char *dst, int try_link,
                    rimport__hasher *h, uint64_t *size, int *linked) {
  *linked = 0;
  if (try_link) {
    if (rimport__fs_link(src, dst, NULL) == 0) {
      int rc = rimport__fs_read_chunks(dst, rimport__hasher_update, h, size);
      if (rc != 0)
        rimport__fs_unlink(dst);
      else
        *linked = 1;
      return rc;
    }
    rimport_error_clear(); /* no link (another file system…): a copy */
  }
  return rimport__fs_copy_file(src, dst, rimport__hasher_update, h, size);
}

/* rimport__stage_add and rimport__stage_add_checked (want_hash NULL: no
 * check). */
static int add_file(rimport__stage *st, const char *src, const char *rel,
                    const char *kind, uint64_t want_size, const char *want_hash,
                    int try_link, int *linked) {
  rimport_buf dst = RIMPORT_BUF_INIT, parent = RIMPORT_BUF_INIT;
  rimport__hasher *h = NULL;
  stage_artifact *a;
  const char *why, *slash;
  size_t i;
  uint64_t size = 0;
  int rc, was_linked = 0;
  if (linked != NULL)
    *linked = 0;
  if (src == NULL || (why = rimport__cache_check_rel(rel)) != NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "adding \"%s\" to the cache entry of %s: the "
                              "path in the entry \"%s\" %s",
                              src ? src : "(null)", st->crate,
                              rel ? rel : "(null)",
                              src ? why : "(no source file)");
  if (strcmp(rel, "manifest.json") == 0)
    return rimport__error_set(RIMPORT_EINVAL,
                              "adding \"%s\" to the cache entry of %s: "
                              "manifest.json is rimport's own file",
                              src, st->crate);
  if (!rimport__cache_kind_ok(kind))
    return rimport__error_set(RIMPORT_EINVAL,
                              "adding \"%s\" to the cache entry of %s: kind "
                              "\"%s\" is not dylib, dep or source",
                              src, st->crate, kind ? kind : "(null)");
  for (i = 0; i < st->count; i++)
    if (strcmp(st->arts[i].path, rel) == 0)
      return rimport__error_set(RIMPORT_EINVAL,
                                "adding \"%s\" to the cache entry of %s: "
                                "\"%s\" was added already",
                                src, st->crate, rel);
  if ((rc = rimport__grow((void **)&st->arts, &st->cap, st->count + 1,
                          sizeof(*st->arts))) != 0 ||
      (rc = rimport__cache_join_rel(&dst, st->dir, rel)) != 0)
    goto done;
  if ((slash = strrchr(rel, '/')) != NULL) {
    /* The parent is dst without its last component. */
    if ((rc = rimport__buf_put(&parent, dst.ptr, dst.size - strlen(slash))) !=
            0 ||
        (rc = rimport__fs_mkdir_p(parent.ptr)) != 0)
      goto done;
  }
  if ((rc = rimport__hasher_new(&h)) != 0)
    goto done;
  if ((rc = put_file(src, dst.ptr, try_link, h, &size, &was_linked)) != 0) {
    rimport__error_prefix("adding \"%s\" to the cache entry of %s", src,
                          st->crate);
    rc = explain_full(st, rc);
    goto done;
  }
  a = &st->arts[st->count];
  memset(a, 0, sizeof(*a));
  a->size = size;
  rimport__hasher_hex(h, a->xxh3);
  if (want_hash != NULL && (size != want_size || strcmp(a->xxh3, want_hash))) {
    if (size != want_size)
      rc = rimport__error_set(
          RIMPORT_ECORRUPT, "\"%s\" has %llu bytes, its manifest says %llu",
          src, (unsigned long long)size, (unsigned long long)want_size);
    else
      rc = rimport__error_set(RIMPORT_ECORRUPT,
                              "\"%s\" has XXH3 %s, its manifest says %s (the "
                              "file was changed after it was published)",
                              src, a->xxh3, want_hash);
    rimport__fs_unlink(dst.ptr);
    goto done;
  }
  {
    rimport__stat fst;
    if (rimport__fs_stat(dst.ptr, &fst) == 0)
      snprintf(a->mtime, sizeof(a->mtime), "%lld.%09lld",
               (long long)fst.mtime_sec, (long long)fst.mtime_nsec);
  }
  if ((a->path = rimport__strdup(rel)) == NULL ||
      (a->kind = rimport__strdup(kind)) == NULL) {
    rimport__free(a->path);
    rc = rimport__error_nomem();
    goto done;
  }
  st->count++;
  if (linked != NULL)
    *linked = was_linked;
done:
  rimport__hasher_free(h);
  rimport_buf_dispose(&dst);
  rimport_buf_dispose(&parent);
  return rc;
}

int rimport__stage_add(rimport__stage *st, const char *src, const char *rel,
                       const char *kind) {
  return add_file(st, src, rel, kind, 0, NULL, 0, NULL);
}

int rimport__stage_add_checked(rimport__stage *st, const char *src,
                               const char *rel, const char *kind, uint64_t size,
                               const char *xxh3, int try_link, int *linked) {
  if (xxh3 == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "adding \"%s\" to the cache entry of %s: no "
                              "XXH3 to check it against",
                              src ? src : "(null)", st->crate);
  return add_file(st, src, rel, kind, size, xxh3, try_link, linked);
}

void rimport__stage_set_unflushed(rimport__stage *st) {
  if (st != NULL)
    st->unflushed = 1;
}

void rimport__stage_abort(rimport__stage *st) {
  if (st == NULL)
    return;
  if (st->dir != NULL)
    rimport__fs_remove_tree(st->dir, NULL); /* gc retries what stays */
  stage_free(st);
}

static const char *const own_members[] = {"format", "crate", "key", "created",
                                          "artifacts"};

static int build_manifest(const rimport__stage *st, const cJSON *extra,
                          char **text) {
  cJSON *root = NULL, *arts, *item;
  const cJSON *member;
  char created[32];
  size_t i;
  int rc = 0;
  *text = NULL;
  if (extra != NULL && !cJSON_IsObject(extra))
    return rimport__error_set(RIMPORT_EINVAL,
                              "publishing the cache entry of %s: `extra` is "
                              "not a JSON object",
                              st->crate);
  rimport__cache_now_utc(created);
  if ((root = cJSON_CreateObject()) == NULL ||
      !cJSON_AddNumberToObject(root, "format", RIMPORT__CACHE_FORMAT) ||
      !cJSON_AddStringToObject(root, "crate", st->crate) ||
      !cJSON_AddStringToObject(root, "key", st->key) ||
      !cJSON_AddStringToObject(root, "created", created) ||
      (arts = cJSON_AddArrayToObject(root, "artifacts")) == NULL)
    goto nomem;
  for (i = 0; i < st->count; i++) {
    const stage_artifact *a = &st->arts[i];
    if ((item = cJSON_CreateObject()) == NULL)
      goto nomem;
    cJSON_AddItemToArray(arts, item);
    if (!cJSON_AddStringToObject(item, "path", a->path) ||
        !cJSON_AddStringToObject(item, "kind", a->kind) ||
        !cJSON_AddNumberToObject(item, "size", (double)a->size) ||
        !cJSON_AddStringToObject(item, "xxh3", a->xxh3) ||
        (a->mtime[0] && !cJSON_AddStringToObject(item, "mtime", a->mtime)))
      goto nomem;
  }
  if (extra != NULL)
    cJSON_ArrayForEach(member, extra) {
      for (i = 0; i < RIMPORT__ARRAY_SIZE(own_members); i++)
        if (member->string != NULL &&
            strcmp(member->string, own_members[i]) == 0) {
          rc = rimport__error_set(RIMPORT_EINVAL,
                                  "publishing the cache entry of %s: `extra` "
                                  "has a member \"%s\", which is rimport's "
                                  "own; rename it",
                                  st->crate, member->string);
          goto done;
        }
      if (member->string == NULL || (item = cJSON_Duplicate(member, 1)) == NULL)
        goto nomem;
      cJSON_AddItemToObject(root, member->string, item);
    }
  if ((*text = cJSON_Print(root)) == NULL)
    goto nomem;
  goto done;
nomem:
  rc = rimport__error_nomem();
done:
  cJSON_Delete(root);
  return rc;
}

/* chmod a-w on every file of the entry (DESIGN.md invariant 2): a loaded
 * artifact is not rewritten by accident. Best effort (a failure leaves the
 * error record set, as any failed step does, but publishing goes on). */
static void make_read_only(const rimport__stage *st, const char *manifest) {
  rimport_buf path = RIMPORT_BUF_INIT;
  rimport__stat sb;
  size_t i;
  for (i = 0; i < st->count; i++)
    if (rimport__cache_join_rel(&path, st->dir, st->arts[i].path) == 0 &&
        rimport__fs_stat(path.ptr, &sb) == 0)
      rimport__fs_chmod(path.ptr, (int)(sb.mode & ~0222u));
  rimport__fs_chmod(manifest, 0444);
  rimport_buf_dispose(&path);
}

int rimport__stage_publish(rimport__stage *st, const cJSON *extra,
                           rimport__entry **out) {
  rimport_buf manifest = RIMPORT_BUF_INIT, target = RIMPORT_BUF_INIT,
              crate_dir = RIMPORT_BUF_INIT;
  char *text = NULL;
  size_t i;
  int rc, tries, uv_code, have_dylib = 0;
  *out = NULL;
  for (i = 0; i < st->count; i++)
    have_dylib |= strcmp(st->arts[i].kind, "dylib") == 0;
  if (!have_dylib) {
    rc = rimport__error_set(RIMPORT_EINVAL,
                            "publishing the cache entry of %s (%s): no "
                            "artifact of kind \"dylib\" was added",
                            st->crate, st->key);
    goto done;
  }
  if ((rc = build_manifest(st, extra, &text)) != 0 ||
      (rc = rimport__path_join(&manifest, st->dir, "manifest.json")) != 0 ||
      (rc = (st->unflushed ? rimport__fs_write_unflushed
                           : rimport__fs_write_atomic)(manifest.ptr, text,
                                                       strlen(text))) != 0 ||
      (rc = rimport__cache_path(&crate_dir, st->cache_dir, st->crate, NULL)) !=
          0 ||
      (rc = rimport__path_join(&target, crate_dir.ptr, st->key)) != 0)
    goto done;
  make_read_only(st, manifest.ptr);
  for (i = 0; i < 3 && !st->unflushed; i++) {
    static const char *const subdirs[] = {"lib", "deps", "crate"};
    if (rimport__path_join(&manifest, st->dir, subdirs[i]) == 0)
      rimport__fs_sync_dir(manifest.ptr);
  }
  if (!st->unflushed)
    rimport__fs_sync_dir(st->dir);
  for (tries = 0;; tries++) {
    rc = rimport__fs_rename(st->dir, target.ptr, &uv_code);
    if (rc == 0) {
      if (!st->unflushed)
        rimport__fs_sync_dir(crate_dir.ptr);
      rimport__free(st->dir); /* it is the entry now: not to be removed */
      st->dir = NULL;
      rc = rimport__cache_lookup(st->cache_dir, st->crate, st->key, 0, out);
      break;
    }
    if (!rimport__fs_is_dir(target.ptr) || tries >= 3) {
      rimport__error_prefix("publishing the cache entry of %s (%s)", st->crate,
                            st->key);
      break;
    }
    /* Another process published first: use its entry if it is sound. */
    rc = rimport__cache_lookup(st->cache_dir, st->crate, st->key, 1, out);
    if (rc != RIMPORT_ECORRUPT)
      break; /* 0 (theirs), or an error */
    /* It was moved aside: try again. */
  }
done:
  rc = explain_full(st, rc);
  if (text != NULL)
    cJSON_free(text);
  rimport_buf_dispose(&manifest);
  rimport_buf_dispose(&target);
  rimport_buf_dispose(&crate_dir);
  rimport__stage_abort(st);
  return rc;
}
