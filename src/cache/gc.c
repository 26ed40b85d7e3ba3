/* Walking the cache, garbage collection and clearing (`rimport cache`). */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cache_internal.h"
#include "../common/fs.h"
#include "../common/names.h"
#include "../platform.h"

/* A directory directly under <cache> that holds crate entries. */
static int is_crate_dir(const rimport__dirent *ent) {
  return ent->is_dir && !ent->is_link &&
         rimport__check_crate_name(ent->name, strlen(ent->name)) == NULL;
}

/* "<key>.lock" → key length, else 0. */
static size_t lock_file_key(const char *name) {
  size_t n = strlen(name);
  if (n > 5 && strcmp(name + n - 5, ".lock") == 0 &&
      rimport__cache_key_ok(name, n - 5))
    return n - 5;
  return 0;
}

/* ".stage-<key>-<pid>-<n>" / ".corrupt-<key>-<pid>-<n>" → key length, and
 * *pid; 0 when the name is not one. */
static size_t aside_key(const char *name, const char *prefix, int *pid) {
  size_t plen = strlen(prefix), klen;
  const char *key, *dash;
  if (strncmp(name, prefix, plen) != 0)
    return 0;
  key = name + plen;
  dash = strchr(key, '-');
  if (dash == NULL)
    return 0;
  klen = (size_t)(dash - key);
  if (!rimport__cache_key_ok(key, klen))
    return 0;
  *pid = atoi(dash + 1);
  return klen;
}

/* ----------------------------------------------------------------- walk */

typedef struct walk_ctx {
  const char *cache_dir;
  int verify;
  rimport__cache_visit_fn fn;
  void *payload;
  const char *crate;
  rimport_buf path;
} walk_ctx;

static int walk_key(const rimport__dirent *ent, void *payload) {
  walk_ctx *w = payload;
  rimport__entry *e = NULL;
  int rc;
  if (!ent->is_dir || ent->is_link ||
      !rimport__cache_key_ok(ent->name, strlen(ent->name)))
    return 0;
  rc = rimport__cache_lookup_ex(w->cache_dir, w->crate, ent->name, w->verify,
                                w->verify, &e, NULL);
  if (rc == RIMPORT_ENOTFOUND)
    return 0; /* removed meanwhile */
  if (rc == RIMPORT_ENOMEM)
    return rc;
  w->fn(w->crate, ent->name, e, rc, w->payload);
  rimport__entry_free(e);
  return 0;
}

static int walk_crate(const rimport__dirent *ent, void *payload) {
  walk_ctx *w = payload;
  int rc;
  if (!is_crate_dir(ent))
    return 0;
  if ((rc = rimport__cache_path(&w->path, w->cache_dir, ent->name, NULL)) != 0)
    return rc;
  w->crate = ent->name;
  rc = rimport__fs_list_dir(w->path.ptr, walk_key, w);
  return rc == RIMPORT_ENOTFOUND ? 0 : rc;
}

int rimport__cache_walk(const char *cache_dir, int verify,
                        rimport__cache_visit_fn fn, void *payload) {
  walk_ctx w;
  int rc;
  if (cache_dir == NULL || fn == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport__cache_walk: cache_dir or fn is NULL");
  if (!rimport__fs_is_dir(cache_dir))
    return 0;
  memset(&w, 0, sizeof(w));
  w.cache_dir = cache_dir;
  w.verify = verify;
  w.fn = fn;
  w.payload = payload;
  rc = rimport__fs_list_dir(cache_dir, walk_crate, &w);
  rimport_buf_dispose(&w.path);
  return rc;
}

/* ------------------------------------------------------------------- gc */

typedef struct gc_ctx {
  const char *cache_dir;
  rimport__cache_gc_fn fn;
  void *payload;
  uint64_t freed;
  int any_held; /* some key lock is held by someone */
  const char *crate;
  rimport_buf crate_dir;
  int first_error;
} gc_ctx;

static void gc_error(gc_ctx *g, int rc) {
  if (rc != 0 && g->first_error == 0)
    g->first_error = rc;
}

/* Takes the lock of key (klen chars of name) without waiting. 0 and *out,
 * or RIMPORT_ELOCKED (then g->any_held is set), or an error. */
static int gc_try_lock(gc_ctx *g, const char *key, size_t klen,
                       rimport__file_lock **out) {
  rimport_buf name = RIMPORT_BUF_INIT, path = RIMPORT_BUF_INIT;
  int rc;
  *out = NULL;
  if ((rc = rimport__buf_put(&name, key, klen)) == 0 &&
      (rc = rimport__buf_puts(&name, ".lock")) == 0 &&
      (rc = rimport__path_join(&path, g->crate_dir.ptr, name.ptr)) == 0 &&
      (rc = rimport__file_lock_open(path.ptr, out)) == 0) {
    rc = rimport__file_lock_try(*out, NULL);
    if (rc != 0) {
      rimport__file_lock_close(*out);
      *out = NULL;
    }
  }
  if (rc == RIMPORT_ELOCKED)
    g->any_held = 1;
  rimport_buf_dispose(&name);
  rimport_buf_dispose(&path);
  return rc;
}

static void gc_remove(gc_ctx *g, const char *path) {
  uint64_t freed = 0;
  int rc = rimport__fs_remove_tree(path, &freed);
  g->freed += freed;
  if (freed > 0 || rc == 0) {
    if (g->fn != NULL)
      g->fn(path, freed, g->payload);
  }
  gc_error(g, rc);
}

/* Pass 1: entries that fail the cheap checks are moved aside. */
static int gc_entry(const rimport__dirent *ent, void *payload) {
  gc_ctx *g = payload;
  rimport__file_lock *lock;
  rimport__entry *e = NULL;
  size_t klen = strlen(ent->name);
  int rc;
  if (!ent->is_dir || ent->is_link || !rimport__cache_key_ok(ent->name, klen))
    return 0;
  if ((rc = gc_try_lock(g, ent->name, klen, &lock)) != 0) {
    if (rc != RIMPORT_ELOCKED)
      gc_error(g, rc);
    return 0; /* in use */
  }
  rc = rimport__cache_lookup_ex(g->cache_dir, g->crate, ent->name, 0, 1, &e,
                                NULL);
  rimport__entry_free(e);
  if (rc != 0 && rc != RIMPORT_ECORRUPT && rc != RIMPORT_ENOTFOUND)
    gc_error(g, rc);
  rimport__file_lock_close(lock);
  return 0;
}

/* Pass 2: stages of dead builders and corrupt entries. */
static int gc_aside(const rimport__dirent *ent, void *payload) {
  gc_ctx *g = payload;
  rimport__file_lock *lock = NULL;
  rimport_buf path = RIMPORT_BUF_INIT;
  size_t klen;
  int pid = 0, rc;
  if ((klen = aside_key(ent->name, ".stage-", &pid)) > 0) {
    if (pid > 0 && rimport__proc_alive(pid))
      return 0; /* its builder may still be at work */
    if ((rc = gc_try_lock(g, ent->name + 7, klen, &lock)) != 0) {
      if (rc != RIMPORT_ELOCKED)
        gc_error(g, rc);
      return 0;
    }
  } else if (aside_key(ent->name, ".corrupt-", &pid) == 0) {
    return 0;
  }
  if ((rc = rimport__path_join(&path, g->crate_dir.ptr, ent->name)) == 0)
    gc_remove(g, path.ptr);
  else
    gc_error(g, rc);
  rimport__file_lock_close(lock);
  rimport_buf_dispose(&path);
  return 0;
}

/* Pass 3: lock files nobody holds. */
static int gc_lock_file(const rimport__dirent *ent, void *payload) {
  gc_ctx *g = payload;
  rimport__file_lock *lock;
  size_t klen = lock_file_key(ent->name);
  int rc;
  if (klen == 0 || ent->is_dir)
    return 0;
  if ((rc = gc_try_lock(g, ent->name, klen, &lock)) != 0) {
    if (rc != RIMPORT_ELOCKED)
      gc_error(g, rc);
    return 0;
  }
  rimport__file_lock_remove(lock);
  return 0;
}

static int gc_crate(const rimport__dirent *ent, void *payload) {
  gc_ctx *g = payload;
  int rc;
  if (!is_crate_dir(ent))
    return 0;
  if ((rc = rimport__cache_path(&g->crate_dir, g->cache_dir, ent->name,
                                NULL)) != 0)
    return rc;
  g->crate = ent->name;
  if ((rc = rimport__fs_list_dir(g->crate_dir.ptr, gc_entry, g)) == 0 &&
      (rc = rimport__fs_list_dir(g->crate_dir.ptr, gc_aside, g)) == 0)
    rc = rimport__fs_list_dir(g->crate_dir.ptr, gc_lock_file, g);
  if (rc == RIMPORT_ENOMEM)
    return rc;
  gc_error(g, rc == RIMPORT_ENOTFOUND ? 0 : rc);
  return 0;
}

int rimport__cache_gc_report(const char *cache_dir, rimport__cache_gc_fn fn,
                             void *payload, unsigned long long *freed) {
  static const char *const workshop[] = {"_target", "_work"};
  gc_ctx g;
  rimport_buf path = RIMPORT_BUF_INIT;
  size_t i;
  int rc;
  if (freed != NULL)
    *freed = 0;
  if (cache_dir == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport__cache_gc: cache_dir is NULL");
  if (!rimport__fs_is_dir(cache_dir))
    return 0;
  memset(&g, 0, sizeof(g));
  g.cache_dir = cache_dir;
  g.fn = fn;
  g.payload = payload;
  rc = rimport__fs_list_dir(cache_dir, gc_crate, &g);
  if (rc == 0 && !g.any_held) {
    /* No build runs: cargo's workshop can go (it is rebuilt as needed). */
    for (i = 0; i < RIMPORT__ARRAY_SIZE(workshop); i++) {
      if ((rc = rimport__path_join(&path, cache_dir, workshop[i])) != 0)
        break;
      if (rimport__fs_is_dir(path.ptr))
        gc_remove(&g, path.ptr);
    }
  }
  if (rc == 0)
    rc = g.first_error;
  if (rc != 0)
    rimport__error_prefix("collecting garbage in the cache \"%s\" (what could "
                          "be removed was)",
                          cache_dir);
  if (freed != NULL)
    *freed = g.freed;
  rimport_buf_dispose(&g.crate_dir);
  rimport_buf_dispose(&path);
  return rc;
}

int rimport__cache_gc(const char *cache_dir, unsigned long long *freed) {
  return rimport__cache_gc_report(cache_dir, NULL, NULL, freed);
}

/* ---------------------------------------------------------------- clear */

typedef struct clear_ctx {
  const char *cache_dir;
  rimport_buf crate_dir;
  rimport__file_lock **locks;
  size_t count, cap;
  int first_error;
} clear_ctx;

static int clear_take_lock(const rimport__dirent *ent, void *payload) {
  clear_ctx *c = payload;
  rimport_buf path = RIMPORT_BUF_INIT;
  rimport__file_lock *lock = NULL;
  size_t klen = lock_file_key(ent->name);
  int rc, owner = 0;
  if (klen == 0 || ent->is_dir)
    return 0;
  if ((rc = rimport__grow((void **)&c->locks, &c->cap, c->count + 1,
                          sizeof(*c->locks))) != 0 ||
      (rc = rimport__path_join(&path, c->crate_dir.ptr, ent->name)) != 0 ||
      (rc = rimport__file_lock_open(path.ptr, &lock)) != 0)
    goto done;
  rc = rimport__file_lock_try(lock, &owner);
  if (rc == RIMPORT_ELOCKED) {
    char *crate = strrchr(c->crate_dir.ptr, rimport__dir_sep);
    rc = rimport__error_set(
        RIMPORT_ELOCKED,
        "not clearing the cache \"%s\": process %d is building %s (%.*s) "
        "(it holds \"%s\"); wait for it to finish, or stop it, and clear "
        "again",
        c->cache_dir, owner, crate ? crate + 1 : c->crate_dir.ptr, (int)klen,
        ent->name, path.ptr);
  }
  if (rc == 0) {
    c->locks[c->count++] = lock;
    lock = NULL;
  }
done:
  rimport__file_lock_close(lock);
  rimport_buf_dispose(&path);
  return rc;
}

static int clear_lock_crate(const rimport__dirent *ent, void *payload) {
  clear_ctx *c = payload;
  int rc;
  if (!is_crate_dir(ent))
    return 0;
  if ((rc = rimport__cache_path(&c->crate_dir, c->cache_dir, ent->name,
                                NULL)) != 0)
    return rc;
  rc = rimport__fs_list_dir(c->crate_dir.ptr, clear_take_lock, c);
  return rc == RIMPORT_ENOTFOUND ? 0 : rc;
}

/* In a crate directory: entries, stages, corrupt entries. Lock files stay
 * until every tree is gone: they are held, and Windows cannot delete a
 * held one. */
static int clear_in_crate(const rimport__dirent *ent, void *payload) {
  clear_ctx *c = payload;
  rimport_buf path = RIMPORT_BUF_INIT;
  int pid, rc;
  if (!((ent->is_dir && rimport__cache_key_ok(ent->name, strlen(ent->name))) ||
        aside_key(ent->name, ".stage-", &pid) > 0 ||
        aside_key(ent->name, ".corrupt-", &pid) > 0))
    return 0; /* a lock file, or not rimport's */
  if ((rc = rimport__path_join(&path, c->crate_dir.ptr, ent->name)) == 0)
    rc = rimport__fs_remove_tree(path.ptr, NULL);
  if (rc != 0 && c->first_error == 0)
    c->first_error = rc;
  rimport_buf_dispose(&path);
  return rc == RIMPORT_ENOMEM ? rc : 0;
}

static int clear_top(const rimport__dirent *ent, void *payload) {
  clear_ctx *c = payload;
  int rc = 0;
  if (ent->name[0] == '_' || strcmp(ent->name, "toolchain") == 0) {
    if ((rc = rimport__path_join(&c->crate_dir, c->cache_dir, ent->name)) == 0)
      rc = rimport__fs_remove_tree(c->crate_dir.ptr, NULL);
  } else if (is_crate_dir(ent)) {
    if ((rc = rimport__path_join(&c->crate_dir, c->cache_dir, ent->name)) == 0)
      rc = rimport__fs_list_dir(c->crate_dir.ptr, clear_in_crate, c);
  }
  if (rc != 0 && c->first_error == 0)
    c->first_error = rc;
  return rc == RIMPORT_ENOMEM ? rc : 0;
}

/* After the lock files: a crate directory goes if that emptied it. */
static int clear_rmdir(const rimport__dirent *ent, void *payload) {
  clear_ctx *c = payload;
  uv_fs_t req;
  if (!is_crate_dir(ent) ||
      rimport__path_join(&c->crate_dir, c->cache_dir, ent->name) != 0)
    return 0;
  uv_fs_rmdir(NULL, &req, c->crate_dir.ptr, NULL);
  uv_fs_req_cleanup(&req);
  return 0;
}

int rimport__cache_clear(const char *cache_dir) {
  clear_ctx c;
  size_t i;
  int rc;
  if (cache_dir == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport__cache_clear: cache_dir is NULL");
  if (!rimport__fs_is_dir(cache_dir))
    return 0;
  memset(&c, 0, sizeof(c));
  c.cache_dir = cache_dir;
  /* Every key lock first, held until the trees are gone: nothing is
   * removed while anyone builds. */
  rc = rimport__fs_list_dir(cache_dir, clear_lock_crate, &c);
  if (rc == 0)
    rc = rimport__fs_list_dir(cache_dir, clear_top, &c);
  for (i = 0; i < c.count; i++) {
    if (rc == 0)
      rimport__file_lock_remove(c.locks[i]);
    else
      rimport__file_lock_close(c.locks[i]);
  }
  rimport__free(c.locks);
  if (rc == 0)
    rc = rimport__fs_list_dir(cache_dir, clear_rmdir, &c);
  if (rc == 0)
    rc = c.first_error;
  if (rc != 0 && rc != RIMPORT_ELOCKED)
    rimport__error_prefix("clearing the cache \"%s\"", cache_dir);
  rimport_buf_dispose(&c.crate_dir);
  return rc;
}
