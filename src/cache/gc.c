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

/* "<key><suffix>" → key length, else 0. */
static size_t suffixed_key(const char *name, const char *suffix) {
  size_t n = strlen(name), m = strlen(suffix);
  if (n > m && strcmp(name + n - m, suffix) == 0 &&
      rimport__cache_key_ok(name, n - m))
    return n - m;
  return 0;
}

/* "<key>.lock" → key length, else 0. */
static size_t lock_file_key(const char *name) {
  return suffixed_key(name, ".lock");
}

/* Why an entry of a key in use stays (kept_in_use). */
static int in_use_reason(rimport_buf *out, int owner, const char *command) {
  rimport__buf_clear(out);
  if (owner > 0)
    return rimport__buf_printf(out,
                               "in use: process %d has it loaded (a loaded "
                               "DLL cannot be removed, and the process "
                               "compiles its cells against it); run `%s` "
                               "again once it has ended",
                               owner, command);
  return rimport__buf_printf(out,
                             "in use: a running process has it loaded (a "
                             "loaded DLL cannot be removed, and the process "
                             "compiles its cells against it); run `%s` "
                             "again once it has ended",
                             command);
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
  rimport_buf reason;
  rimport__live_marks *marks; /* what live processes have marked */
  int first_error;
} gc_ctx;

static void gc_error(gc_ctx *g, int rc) {
  if (rc != 0 && g->first_error == 0)
    g->first_error = rc;
}

/* Takes <crate_dir>/<key><suffix> (key: klen chars) exclusively without
 * waiting. 0 and *out, or RIMPORT_ELOCKED (*owner: a holder's pid, or 0),
 * or an error. */
static int try_key_file(const char *crate_dir, const char *key, size_t klen,
                        const char *suffix, rimport__file_lock **out,
                        int *owner) {
  rimport_buf name = RIMPORT_BUF_INIT, path = RIMPORT_BUF_INIT;
  int rc;
  *out = NULL;
  if ((rc = rimport__buf_put(&name, key, klen)) == 0 &&
      (rc = rimport__buf_puts(&name, suffix)) == 0 &&
      (rc = rimport__path_join(&path, crate_dir, name.ptr)) == 0 &&
      (rc = rimport__file_lock_open(path.ptr, out)) == 0) {
    rc = rimport__file_lock_try(*out, owner);
    if (rc != 0) {
      rimport__file_lock_close(*out);
      *out = NULL;
    }
  }
  rimport_buf_dispose(&name);
  rimport_buf_dispose(&path);
  return rc;
}

/* The key lock, without waiting: as try_key_file; RIMPORT_ELOCKED sets
 * g->any_held. */
static int gc_try_lock(gc_ctx *g, const char *key, size_t klen,
                       rimport__file_lock **out) {
  int rc = try_key_file(g->crate_dir.ptr, key, klen, ".lock", out, NULL);
  if (rc == RIMPORT_ELOCKED)
    g->any_held = 1;
  return rc;
}

/* Reports <crate_dir>/<name> kept: in use by `owner` (0: unknown). */
static void gc_kept(gc_ctx *g, const char *name, int owner) {
  rimport_buf path = RIMPORT_BUF_INIT;
  if (g->fn != NULL && rimport__path_join(&path, g->crate_dir.ptr, name) == 0 &&
      in_use_reason(&g->reason, owner, "rimport cache gc") == 0)
    g->fn(path.ptr, 0, g->reason.ptr, g->payload);
  rimport_buf_dispose(&path);
}

/* Call with the key's use fence held exclusively (cache.h, "Use marks",
 * C): non-zero when a live process has marked <crate>/<key> (*owner: its
 * pid, or 0). When the marks cannot be read, the key counts as in use and
 * the error is recorded. */
static int gc_marked(gc_ctx *g, const char *key, size_t klen, int *owner) {
  int rc = rimport__live_marks_refresh(g->marks);
  if (rc != 0) {
    gc_error(g, rc);
    *owner = 0;
    return 1;
  }
  return rimport__live_marks_find(g->marks, g->crate, key, klen, owner);
}

/* The use fence of the key of `name`, without waiting: 0 and *out (nobody
 * uses the key); RIMPORT_ELOCKED: in use (an older process holds the
 * fence, or a live one has marked the key), `name` reported kept; or an
 * error (recorded). */
static int gc_try_use(gc_ctx *g, const char *name, const char *key, size_t klen,
                      rimport__file_lock **out) {
  int owner = 0;
  int rc = try_key_file(g->crate_dir.ptr, key, klen, ".use", out, &owner);
  if (rc == 0 && gc_marked(g, key, klen, &owner)) {
    rimport__file_lock_close(*out);
    *out = NULL;
    rc = RIMPORT_ELOCKED;
  }
  if (rc == RIMPORT_ELOCKED)
    gc_kept(g, name, owner);
  else if (rc != 0)
    gc_error(g, rc);
  return rc;
}

static void gc_remove(gc_ctx *g, const char *path) {
  uint64_t freed = 0;
  int rc = rimport__fs_remove_tree(path, &freed);
  g->freed += freed;
  if (freed > 0 || rc == 0) {
    if (g->fn != NULL)
      g->fn(path, freed, NULL, g->payload);
  }
  gc_error(g, rc);
}

/* Pass 1: entries that fail the cheap checks are moved aside, unless a
 * process uses them (then kept: reported when corrupt). */
static int gc_entry(const rimport__dirent *ent, void *payload) {
  gc_ctx *g = payload;
  rimport__file_lock *lock, *use = NULL;
  rimport__entry *e = NULL;
  size_t klen = strlen(ent->name);
  int rc, in_use, owner = 0;
  if (!ent->is_dir || ent->is_link || !rimport__cache_key_ok(ent->name, klen))
    return 0;
  if ((rc = gc_try_lock(g, ent->name, klen, &lock)) != 0) {
    if (rc != RIMPORT_ELOCKED)
      gc_error(g, rc);
    return 0; /* being built */
  }
  rc = try_key_file(g->crate_dir.ptr, ent->name, klen, ".use", &use, &owner);
  in_use = rc == RIMPORT_ELOCKED ||
           (rc == 0 && gc_marked(g, ent->name, klen, &owner));
  if (rc != 0 && !in_use)
    gc_error(g, rc);
  if (rc == 0 || in_use) {
    rc = rimport__cache_lookup_ex(g->cache_dir, g->crate, ent->name, 0, !in_use,
                                  &e, NULL);
    rimport__entry_free(e);
    if (rc == RIMPORT_ECORRUPT && in_use) {
      rimport_error_clear();
      gc_kept(g, ent->name, owner);
    } else if (rc != 0 && rc != RIMPORT_ECORRUPT && rc != RIMPORT_ENOTFOUND) {
      gc_error(g, rc);
    }
  }
  rimport__file_lock_close(use);
  rimport__file_lock_close(lock);
  return 0;
}

/* Pass 2: stages of dead builders and corrupt entries nobody uses. */
static int gc_aside(const rimport__dirent *ent, void *payload) {
  gc_ctx *g = payload;
  rimport__file_lock *lock = NULL, *use = NULL;
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
  } else if ((klen = aside_key(ent->name, ".corrupt-", &pid)) == 0) {
    return 0;
  }
  if ((rc = rimport__path_join(&path, g->crate_dir.ptr, ent->name)) != 0) {
    gc_error(g, rc);
  } else if (ent->name[1] == 's' ||
             gc_try_use(g, ent->name, ent->name + 9, klen, &use) == 0) {
    gc_remove(g, path.ptr); /* a stage, or an aside entry nobody uses */
  }
  rimport__file_lock_close(use);
  rimport__file_lock_close(lock);
  rimport_buf_dispose(&path);
  return 0;
}

/* Pass 3: lock files and use fences nobody holds. */
static int gc_lock_file(const rimport__dirent *ent, void *payload) {
  gc_ctx *g = payload;
  rimport__file_lock *lock;
  size_t klen = lock_file_key(ent->name);
  const char *suffix = ".lock";
  int rc;
  if (klen == 0) {
    klen = suffixed_key(ent->name, ".use");
    suffix = ".use";
  }
  if (klen == 0 || ent->is_dir)
    return 0;
  if ((rc = try_key_file(g->crate_dir.ptr, ent->name, klen, suffix, &lock,
                         NULL)) != 0) {
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
  /* Also removes the session files of processes that have ended. */
  if ((rc = rimport__live_marks_new(cache_dir, &g.marks)) == 0)
    gc_error(&g, rimport__live_marks_refresh(g.marks));
  if (rc == 0)
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
  rimport__live_marks_free(g.marks);
  rimport_buf_dispose(&g.crate_dir);
  rimport_buf_dispose(&g.reason);
  rimport_buf_dispose(&path);
  return rc;
}

int rimport__cache_gc(const char *cache_dir, unsigned long long *freed) {
  return rimport__cache_gc_report(cache_dir, NULL, NULL, freed);
}

/* ---------------------------------------------------------------- clear */

/* A use fence clear tried: held by clear (lock), or in use (owner). */
typedef struct use_mark {
  char *path;
  rimport__file_lock *lock; /* NULL: an older process holds the fence */
  int marked;               /* a live process has marked the key */
  int owner;                /* in use: a user's pid, or 0 */
} use_mark;

typedef struct clear_ctx {
  const char *cache_dir;
  rimport__cache_gc_fn fn;
  void *payload;
  const char *crate;
  rimport_buf crate_dir;
  rimport__live_marks *marks; /* what live processes have marked */
  rimport__file_lock **locks; /* the key locks clear holds */
  char **lock_paths;          /* their files, in the same order */
  size_t count, cap, pcap;
  use_mark *uses;
  size_t ucount, ucap;
  rimport_buf reason;
  int first_error;
} clear_ctx;

/* The use fence of <crate_dir>/<key> (klen chars), taken exclusively
 * once per clear and held to the end, and whether a live process has
 * marked the key (read after it was taken: cache.h, "Use marks", C): 0
 * (held, not marked), RIMPORT_ELOCKED (in use; *owner: a user, or 0), or
 * an error. */
static int clear_use(clear_ctx *c, const char *key, size_t klen, int *owner) {
  rimport_buf name = RIMPORT_BUF_INIT, path = RIMPORT_BUF_INIT;
  use_mark *m = NULL;
  size_t i;
  int rc;
  *owner = 0;
  if ((rc = rimport__buf_put(&name, key, klen)) != 0 ||
      (rc = rimport__buf_puts(&name, ".use")) != 0 ||
      (rc = rimport__path_join(&path, c->crate_dir.ptr, name.ptr)) != 0)
    goto done;
  for (i = 0; i < c->ucount && m == NULL; i++)
    if (strcmp(c->uses[i].path, path.ptr) == 0)
      m = &c->uses[i];
  if (m == NULL) {
    if ((rc = rimport__grow((void **)&c->uses, &c->ucap, c->ucount + 1,
                            sizeof(*c->uses))) != 0)
      goto done;
    m = &c->uses[c->ucount];
    memset(m, 0, sizeof(*m));
    if ((rc = rimport__file_lock_open(path.ptr, &m->lock)) == 0 &&
        (rc = rimport__file_lock_try(m->lock, &m->owner)) != 0) {
      rimport__file_lock_close(m->lock);
      m->lock = NULL;
    }
    if (rc != 0 && rc != RIMPORT_ELOCKED)
      goto done;
    if (rc == 0) {
      int mrc = rimport__live_marks_refresh(c->marks);
      if (mrc != 0 && c->first_error == 0)
        c->first_error = mrc; /* and the key is kept, to be safe */
      m->marked = mrc != 0 || rimport__live_marks_find(c->marks, c->crate, key,
                                                       klen, &m->owner);
    }
    m->path = rimport__buf_detach(&path);
    c->ucount++;
  }
  *owner = m->owner;
  rc = m->lock != NULL && !m->marked ? 0 : RIMPORT_ELOCKED;
done:
  rimport_buf_dispose(&name);
  rimport_buf_dispose(&path);
  return rc;
}

/* Pass 1 in a crate directory: every key lock (refusing while one is
 * held) and every use mark. */
static int clear_take_lock(const rimport__dirent *ent, void *payload) {
  clear_ctx *c = payload;
  rimport_buf path = RIMPORT_BUF_INIT;
  rimport__file_lock *lock = NULL;
  size_t klen = lock_file_key(ent->name);
  int rc, owner = 0;
  if (ent->is_dir)
    return 0;
  if (klen == 0) {
    klen = suffixed_key(ent->name, ".use");
    rc = klen > 0 ? clear_use(c, ent->name, klen, &owner) : 0;
    return rc == RIMPORT_ELOCKED ? 0 : rc;
  }
  if ((rc = rimport__grow((void **)&c->locks, &c->cap, c->count + 1,
                          sizeof(*c->locks))) != 0 ||
      (rc = rimport__grow((void **)&c->lock_paths, &c->pcap, c->count + 1,
                          sizeof(*c->lock_paths))) != 0 ||
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
    if ((c->lock_paths[c->count] = rimport__buf_detach(&path)) == NULL) {
      rc = RIMPORT_ENOMEM;
      goto done;
    }
    c->locks[c->count++] = lock;
    lock = NULL;
  }
done:
  rimport__file_lock_close(lock);
  rimport_buf_dispose(&path);
  return rc;
}

/* The key lock of <crate_dir>/<key> (klen chars), which clear must hold
 * while it removes anything of the key: 0 when it does (taken in pass 1,
 * or now: a key whose first build began after pass 1 listed the lock
 * files); RIMPORT_ELOCKED while a process holds it, i.e. builds the key
 * now (*owner: its pid), or an error. */
static int clear_key_lock(clear_ctx *c, const char *key, size_t klen,
                          int *owner) {
  rimport_buf name = RIMPORT_BUF_INIT, path = RIMPORT_BUF_INIT;
  rimport__file_lock *lock = NULL;
  size_t i;
  int rc;
  *owner = 0;
  if ((rc = rimport__buf_put(&name, key, klen)) != 0 ||
      (rc = rimport__buf_puts(&name, ".lock")) != 0 ||
      (rc = rimport__path_join(&path, c->crate_dir.ptr, name.ptr)) != 0)
    goto done;
  for (i = 0; i < c->count; i++)
    if (strcmp(c->lock_paths[i], path.ptr) == 0)
      goto done; /* held */
  if ((rc = rimport__grow((void **)&c->locks, &c->cap, c->count + 1,
                          sizeof(*c->locks))) != 0 ||
      (rc = rimport__grow((void **)&c->lock_paths, &c->pcap, c->count + 1,
                          sizeof(*c->lock_paths))) != 0 ||
      (rc = rimport__file_lock_open(path.ptr, &lock)) != 0 ||
      (rc = rimport__file_lock_try(lock, owner)) != 0)
    goto done;
  if ((c->lock_paths[c->count] = rimport__buf_detach(&path)) == NULL) {
    rc = RIMPORT_ENOMEM;
    goto done;
  }
  c->locks[c->count++] = lock;
  lock = NULL;
done:
  rimport__file_lock_close(lock);
  rimport_buf_dispose(&name);
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
  c->crate = ent->name;
  rc = rimport__fs_list_dir(c->crate_dir.ptr, clear_take_lock, c);
  return rc == RIMPORT_ENOTFOUND ? 0 : rc;
}

/* In a crate directory: entries, stages, corrupt entries; an entry (or
 * an aside one) of a key in use is kept and reported. Lock files and use
 * marks stay until every tree is gone: they are held, and Windows cannot
 * delete a held one. */
static int clear_in_crate(const rimport__dirent *ent, void *payload) {
  clear_ctx *c = payload;
  rimport_buf path = RIMPORT_BUF_INIT;
  const char *key = ent->name;
  size_t klen = 0;
  int pid, rc, owner = 0;
  int stage = 0;
  if (ent->is_dir && rimport__cache_key_ok(ent->name, strlen(ent->name)))
    klen = strlen(ent->name);
  else if ((klen = aside_key(ent->name, ".corrupt-", &pid)) > 0)
    key = ent->name + 9;
  else if ((klen = aside_key(ent->name, ".stage-", &pid)) > 0) {
    key = ent->name + 7;
    stage = 1;
  } else
    return 0; /* a lock file, a use mark, or not rimport's */
  rc = rimport__path_join(&path, c->crate_dir.ptr, ent->name);
  /* Under the key's lock: a build of the key that began after pass 1
   * listed the lock files is left alone (its stage, and the entry it is
   * renaming into place). */
  if (rc == 0 &&
      (rc = clear_key_lock(c, key, klen, &owner)) == RIMPORT_ELOCKED) {
    rc = 0;
    if (c->fn != NULL &&
        rimport__buf_printf(&c->reason,
                            "being built by process %d; run `rimport cache "
                            "clear` again once it has finished",
                            owner) == 0)
      c->fn(path.ptr, 0, c->reason.ptr, c->payload);
    rimport__buf_clear(&c->reason);
  } else if (rc == 0 && !stage &&
             (rc = clear_use(c, key, klen, &owner)) == RIMPORT_ELOCKED) {
    rc = 0;
    if (c->fn != NULL &&
        in_use_reason(&c->reason, owner, "rimport cache clear") == 0)
      c->fn(path.ptr, 0, c->reason.ptr, c->payload);
  } else if (rc == 0) {
    rc = rimport__fs_remove_tree(path.ptr, NULL);
  }
  if (rc != 0 && c->first_error == 0)
    c->first_error = rc;
  rimport_buf_dispose(&path);
  return rc == RIMPORT_ENOMEM ? rc : 0;
}

static int clear_top(const rimport__dirent *ent, void *payload) {
  clear_ctx *c = payload;
  int rc = 0;
  if (strcmp(ent->name, RIMPORT__CACHE_SESSIONS) == 0) {
    /* Live processes' marks: only those of ended ones went (refresh). */
  } else if (strcmp(ent->name, "_cells") == 0 && c->marks != NULL &&
             rimport__live_marks_count(c->marks) > 0) {
    /* A live session's cells link each other through the lib farm in
     * _cells/lib and compile in _cells/<key>: kept while one runs (the
     * farm holds links to entries, a few KiB). */
    if (c->fn != NULL &&
        rimport__path_join(&c->crate_dir, c->cache_dir, ent->name) == 0)
      c->fn(c->crate_dir.ptr, 0,
            "kept: a live session compiles cells with it (rimport cache "
            "clear removes it once no session uses this cache)",
            c->payload);
  } else if (ent->name[0] == '_' || strcmp(ent->name, "toolchain") == 0) {
    if ((rc = rimport__path_join(&c->crate_dir, c->cache_dir, ent->name)) == 0)
      rc = rimport__fs_remove_tree(c->crate_dir.ptr, NULL);
  } else if (is_crate_dir(ent)) {
    c->crate = ent->name;
    if ((rc = rimport__cache_path(&c->crate_dir, c->cache_dir, ent->name,
                                  NULL)) == 0)
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

int rimport__cache_clear_report(const char *cache_dir, rimport__cache_gc_fn fn,
                                void *payload) {
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
  c.fn = fn;
  c.payload = payload;
  /* The session files of processes that have ended go first. */
  if ((rc = rimport__live_marks_new(cache_dir, &c.marks)) == 0) {
    int mrc = rimport__live_marks_refresh(c.marks);
    if (mrc != 0)
      c.first_error = mrc;
  }
  /* Every key lock first, held until the trees are gone: nothing is
   * removed while anyone builds. */
  if (rc == 0)
    rc = rimport__fs_list_dir(cache_dir, clear_lock_crate, &c);
  if (rc == 0)
    rc = rimport__fs_list_dir(cache_dir, clear_top, &c);
  for (i = 0; i < c.count; i++) {
    if (rc == 0)
      rimport__file_lock_remove(c.locks[i]);
    else
      rimport__file_lock_close(c.locks[i]);
    rimport__free(c.lock_paths[i]);
  }
  rimport__free(c.locks);
  rimport__free(c.lock_paths);
  for (i = 0; i < c.ucount; i++) {
    if (rc == 0)
      rimport__file_lock_remove(c.uses[i].lock);
    else
      rimport__file_lock_close(c.uses[i].lock);
    rimport__free(c.uses[i].path);
  }
  rimport__free(c.uses);
  if (rc == 0)
    rc = rimport__fs_list_dir(cache_dir, clear_rmdir, &c);
  if (rc == 0 &&
      rimport__path_join(&c.crate_dir, cache_dir, RIMPORT__CACHE_SESSIONS) ==
          0) { /* gone when no process has marks left in it */
    uv_fs_t req;
    uv_fs_rmdir(NULL, &req, c.crate_dir.ptr, NULL);
    uv_fs_req_cleanup(&req);
  }
  if (rc == 0)
    rc = c.first_error;
  if (rc != 0 && rc != RIMPORT_ELOCKED)
    rimport__error_prefix("clearing the cache \"%s\"", cache_dir);
  rimport__live_marks_free(c.marks);
  rimport_buf_dispose(&c.crate_dir);
  rimport_buf_dispose(&c.reason);
  return rc;
}

int rimport__cache_clear(const char *cache_dir) {
  return rimport__cache_clear_report(cache_dir, NULL, NULL);
}
