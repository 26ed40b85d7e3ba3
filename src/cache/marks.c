/* Use marks (cache.h, "Use marks"): a process's session file, which lists
 * the entries it uses, and the view of every live session's list that gc
 * and clear read. Platform code stays behind src/platform.h (the file
 * locks); the list is written and read with libuv's file calls. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <xxhash.h>

#include "cache_internal.h"
#include "../common/fs.h"
#include "../common/names.h"
#include "../platform.h"

#define KEYS_HEADER                                                            \
  "# rimport use marks, format 1: one \"<crate> <key>\" a line\n"
#define READ_CHUNK 65536u
#define OPEN_TRIES 20

/* ------------------------------------------------- a set of crate/key */

/* "<crate>/<key>" → value (the session side: 1 once the fence passed; the
 * gc side: the pid of a session that marked it, or 0). Open addressing,
 * at most half full. */
typedef struct mark_slot {
  char *name;
  int value;
} mark_slot;

typedef struct mark_set {
  mark_slot *slots;
  size_t cap; /* a power of two, or 0 */
  size_t count;
} mark_set;

static size_t slot_of(const mark_set *s, const char *name, size_t len) {
  size_t i = (size_t)XXH3_64bits(name, len) & (s->cap - 1);
  while (s->slots[i].name != NULL &&
         !(strncmp(s->slots[i].name, name, len) == 0 &&
           s->slots[i].name[len] == '\0'))
    i = (i + 1) & (s->cap - 1);
  return i;
}

static mark_slot *set_find(const mark_set *s, const char *name, size_t len) {
  size_t i;
  if (s->cap == 0)
    return NULL;
  i = slot_of(s, name, len);
  return s->slots[i].name != NULL ? &s->slots[i] : NULL;
}

/* The slot of name (added with value when it was not there). 0 or
 * ENOMEM. */
static int set_add(mark_set *s, const char *name, size_t len, int value,
                   mark_slot **out) {
  size_t i;
  if ((*out = set_find(s, name, len)) != NULL)
    return 0;
  if ((s->count + 1) * 2 > s->cap) {
    mark_set bigger;
    bigger.cap = s->cap ? s->cap * 2 : 64;
    bigger.count = s->count;
    if ((bigger.slots = rimport__calloc(bigger.cap, sizeof(mark_slot))) == NULL)
      return rimport__error_nomem();
    for (i = 0; i < s->cap; i++)
      if (s->slots[i].name != NULL)
        bigger.slots[slot_of(&bigger, s->slots[i].name,
                             strlen(s->slots[i].name))] = s->slots[i];
    rimport__free(s->slots);
    *s = bigger;
  }
  i = slot_of(s, name, len);
  if ((s->slots[i].name = rimport__malloc(len + 1)) == NULL)
    return rimport__error_nomem();
  memcpy(s->slots[i].name, name, len);
  s->slots[i].name[len] = '\0';
  s->slots[i].value = value;
  s->count++;
  *out = &s->slots[i];
  return 0;
}

static void set_free(mark_set *s) {
  size_t i;
  for (i = 0; i < s->cap; i++)
    rimport__free(s->slots[i].name);
  rimport__free(s->slots);
  memset(s, 0, sizeof(*s));
}

/* "<crate>/<key>" (key: klen chars) into out. */
static int set_name(rimport_buf *out, const char *crate, const char *key,
                    size_t klen) {
  rimport__buf_clear(out);
  return rimport__buf_printf(out, "%s/%.*s", crate, (int)klen, key);
}

static int uv_fail(int uv_rc, const char *what, const char *path) {
  if (uv_rc == UV_ENOMEM)
    return rimport__error_nomem();
  return rimport__error_set(uv_rc == UV_ENOENT || uv_rc == UV_ENOTDIR
                                ? RIMPORT_ENOTFOUND
                                : RIMPORT_EIO,
                            "%s \"%s\" failed: %s (%s)", what, path,
                            uv_strerror(uv_rc), uv_err_name(uv_rc));
}

/* ------------------------------------------------------- the session */

struct rimport__marks {
  uv_mutex_t mutex;
  char *cache_dir;          /* as given: the fences use it */
  char *keys_path;          /* <cache>/_sessions/<id>.keys */
  rimport__file_lock *lock; /* <cache>/_sessions/<id>.use, exclusive */
  uv_file fd;               /* keys_path, appending */
  int cut_line;             /* an append was cut short: the next one ends
                               that line first */
  mark_set set;             /* what is listed; value 1: fenced too */
};

/* Appends all of data to the keys file. Call with the mutex held. */
static int append(rimport__marks *m, const char *data, size_t len) {
  size_t off = 0;
  while (off < len) {
    uv_fs_t req;
    uv_buf_t b = uv_buf_init((char *)data + off, (unsigned)(len - off));
    int n = uv_fs_write(NULL, &req, m->fd, &b, 1, -1, NULL);
    uv_fs_req_cleanup(&req);
    if (n <= 0) {
      if (off > 0)
        m->cut_line = 1;
      return uv_fail(n < 0 ? n : UV_EIO, "appending to the use marks file",
                     m->keys_path);
    }
    off += (size_t)n;
  }
  return 0;
}

/* One try at <dir>/<id>.use and .keys: 0 (made: *out), 1 (take another
 * name: the lock was taken away or the directory went), or an error. */
static int open_once(const char *dir, const char *cache_dir,
                     rimport__marks **out) {
  rimport_buf name = RIMPORT_BUF_INIT, use = RIMPORT_BUF_INIT,
              keys = RIMPORT_BUF_INIT;
  rimport__file_lock *lock = NULL;
  rimport__marks *m = NULL;
  uv_fs_t req;
  uv_file fd = -1;
  int rc;
  if ((rc = rimport__buf_printf(&name, "%d-%llx-%u", (int)uv_os_getpid(),
                                (unsigned long long)uv_hrtime(),
                                rimport__cache_counter())) != 0 ||
      (rc = rimport__path_join(&use, dir, name.ptr)) != 0 ||
      (rc = rimport__buf_puts(&use, ".use")) != 0 ||
      (rc = rimport__path_join(&keys, dir, name.ptr)) != 0 ||
      (rc = rimport__buf_puts(&keys, ".keys")) != 0)
    goto done;
  if ((rc = rimport__file_lock_open(use.ptr, &lock)) == RIMPORT_ENOTFOUND ||
      (rc == 0 &&
       (rc = rimport__file_lock_try(lock, NULL)) == RIMPORT_ELOCKED)) {
    rimport_error_clear();
    rc = 1; /* clear removed the directory; gc took the new file as dead */
  }
  if (rc != 0)
    goto done;
  fd = uv_fs_open(NULL, &req, keys.ptr,
                  UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_TRUNC |
                      UV_FS_O_APPEND,
                  0644, NULL);
  uv_fs_req_cleanup(&req);
  if (fd < 0) {
    rc = fd == UV_ENOENT ? 1 : uv_fail(fd, "creating", keys.ptr);
    fd = -1;
    goto done;
  }
  if ((m = rimport__calloc(1, sizeof(*m))) == NULL ||
      (m->cache_dir = rimport__strdup(cache_dir)) == NULL) {
    rc = rimport__error_nomem();
    goto done;
  }
  if (uv_mutex_init(&m->mutex) != 0) {
    rc = rimport__error_set(RIMPORT_EIO,
                            "making the use marks of \"%s\": "
                            "no mutex could be made (out of "
                            "resources?)",
                            cache_dir);
    goto done;
  }
  m->fd = fd;
  m->lock = lock;
  m->keys_path = rimport__buf_detach(&keys);
  fd = -1;
  lock = NULL;
  if (m->keys_path == NULL) {
    rc = RIMPORT_ENOMEM;
    rimport__marks_close(m);
  } else if ((rc = append(m, KEYS_HEADER, strlen(KEYS_HEADER))) != 0) {
    rimport__marks_close(m);
  } else {
    *out = m;
  }
  m = NULL;
done:
  if (m != NULL) {
    rimport__free(m->cache_dir);
    rimport__free(m);
  }
  if (fd >= 0) {
    uv_fs_close(NULL, &req, fd, NULL);
    uv_fs_req_cleanup(&req);
    uv_fs_unlink(NULL, &req, keys.ptr, NULL);
    uv_fs_req_cleanup(&req);
  }
  if (lock != NULL) {
    if (rc == 1)
      rimport__file_lock_close(lock);
    else
      rimport__file_lock_remove(lock);
  }
  rimport_buf_dispose(&name);
  rimport_buf_dispose(&use);
  rimport_buf_dispose(&keys);
  return rc;
}

int rimport__marks_open(const char *cache_dir, rimport__marks **out) {
  rimport_buf dir = RIMPORT_BUF_INIT, top = RIMPORT_BUF_INIT;
  int rc, tries;
  *out = NULL;
  if (cache_dir == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "making the use marks of a cache: cache_dir is "
                              "NULL");
  if ((rc = rimport__cache_path(&dir, cache_dir, RIMPORT__CACHE_SESSIONS,
                                NULL)) != 0 ||
      (rc = rimport__path_dir(dir.ptr, &top)) != 0)
    goto done;
  for (tries = 0; tries < OPEN_TRIES; tries++) {
    if ((rc = rimport__fs_mkdir_p(dir.ptr)) == 0)
      rc = open_once(dir.ptr, cache_dir, out);
    if (rc != 1)
      break;
  }
  if (rc == 1)
    rc = rimport__error_set(RIMPORT_EIO,
                            "its directory or lock kept being taken away "
                            "(%d tries); is another program deleting files "
                            "in the cache directory?",
                            OPEN_TRIES);
  if (rc != 0 && rc != RIMPORT_ENOMEM &&
      !(rimport__fs_is_dir(dir.ptr) ? rimport__cache_dir_writable(dir.ptr)
                                    : rimport__cache_dir_writable(top.ptr))) {
    /* A cache this process may not write in: it cannot remove entries
     * there either, and uses them unmarked. */
    rimport_error_clear();
    rc = 0;
  } else if (rc != 0 && rc != RIMPORT_ENOMEM) {
    rimport__error_prefix("making this process's use marks file in \"%s\" "
                          "(it stays open while the process runs; if the "
                          "process ran out of descriptors, raise its limit)",
                          dir.ptr);
  }
done:
  rimport_buf_dispose(&dir);
  rimport_buf_dispose(&top);
  return rc;
}

int rimport__marks_add(rimport__marks *m, const char *crate, const char *key) {
  rimport_buf name = RIMPORT_BUF_INIT, line = RIMPORT_BUF_INIT;
  mark_slot *slot;
  int rc;
  if (m == NULL)
    return 0;
  if ((rc = rimport__cache_check_names("marking a cache entry in use", crate,
                                       key)) != 0 ||
      (rc = set_name(&name, crate, key, strlen(key))) != 0)
    goto done;
  uv_mutex_lock(&m->mutex);
  slot = set_find(&m->set, name.ptr, name.size);
  if (slot == NULL) {
    /* Listed first (invariant A in cache.h), in one write of a line. */
    rc = rimport__buf_printf(&line, "%s%s %s\n", m->cut_line ? "\n" : "", crate,
                             key);
    if (rc == 0 && (rc = append(m, line.ptr, line.size)) == 0) {
      m->cut_line = 0;
      rc = set_add(&m->set, name.ptr, name.size, 0, &slot);
    }
  }
  if (rc == 0 && slot->value) {
    uv_mutex_unlock(&m->mutex);
    goto done; /* listed and fenced before */
  }
  uv_mutex_unlock(&m->mutex);
  if (rc != 0) {
    rimport__error_prefix("marking the cache entry %s (%s) in use", crate, key);
    goto done;
  }
  /* The fence (invariant B): past it, no gc or clear that missed the line
   * is still at work on this key. */
  if ((rc = rimport__cache_fence(m->cache_dir, crate, key)) == 0) {
    uv_mutex_lock(&m->mutex);
    if ((slot = set_find(&m->set, name.ptr, name.size)) != NULL)
      slot->value = 1;
    uv_mutex_unlock(&m->mutex);
  }
done:
  rimport_buf_dispose(&name);
  rimport_buf_dispose(&line);
  return rc;
}

const char *rimport__marks_path(const rimport__marks *m) {
  return m != NULL ? m->keys_path : NULL;
}

void rimport__marks_close(rimport__marks *m) {
  uv_fs_t req;
  if (m == NULL)
    return;
  /* The list first: a gc that sees the lock held and no list keeps
   * nothing, which is what is wanted now. */
  uv_fs_close(NULL, &req, m->fd, NULL);
  uv_fs_req_cleanup(&req);
  if (m->keys_path != NULL) {
    uv_fs_unlink(NULL, &req, m->keys_path, NULL);
    uv_fs_req_cleanup(&req);
  }
  rimport__file_lock_remove(m->lock);
  uv_mutex_destroy(&m->mutex);
  set_free(&m->set);
  rimport__free(m->keys_path);
  rimport__free(m->cache_dir);
  rimport__free(m);
}

/* ----------------------------------------------------- gc's view */

typedef struct live_session {
  char *id;        /* "<pid>-<…>" */
  char *keys_path; /* <cache>/_sessions/<id>.keys */
  int pid;         /* the holder, or 0 */
  uint64_t offset; /* bytes of the list read, up to a line's end */
} live_session;

struct rimport__live_marks {
  char *dir; /* <cache>/_sessions */
  live_session *sessions;
  size_t count, cap;
  mark_set set; /* value: the pid of a session that lists it */
  rimport_buf last_id, carry, name;
};

int rimport__live_marks_new(const char *cache_dir, rimport__live_marks **out) {
  rimport_buf dir = RIMPORT_BUF_INIT;
  int rc;
  *out = NULL;
  if ((rc = rimport__cache_path(&dir, cache_dir, RIMPORT__CACHE_SESSIONS,
                                NULL)) != 0)
    return rc;
  if ((*out = rimport__calloc(1, sizeof(**out))) == NULL) {
    rimport_buf_dispose(&dir);
    return rimport__error_nomem();
  }
  (*out)->dir = rimport__buf_detach(&dir);
  return (*out)->dir != NULL ? 0 : RIMPORT_ENOMEM;
}

void rimport__live_marks_free(rimport__live_marks *v) {
  size_t i;
  if (v == NULL)
    return;
  for (i = 0; i < v->count; i++) {
    rimport__free(v->sessions[i].id);
    rimport__free(v->sessions[i].keys_path);
  }
  rimport__free(v->sessions);
  set_free(&v->set);
  rimport_buf_dispose(&v->last_id);
  rimport_buf_dispose(&v->carry);
  rimport_buf_dispose(&v->name);
  rimport__free(v->dir);
  rimport__free(v);
}

/* One line of a list ("<crate> <key>"): added to the set; anything else
 * (the header, a line cut short) is skipped. */
static int take_line(rimport__live_marks *v, const char *s, size_t len,
                     int pid) {
  const char *sp = memchr(s, ' ', len);
  mark_slot *slot;
  size_t clen, klen;
  int rc;
  if (len > 0 && s[len - 1] == '\r')
    len--;
  if (sp == NULL || s[0] == '#')
    return 0;
  clen = (size_t)(sp - s);
  klen = len - clen - 1;
  if (rimport__check_crate_name(s, clen) != NULL ||
      !rimport__cache_key_ok(sp + 1, klen))
    return 0;
  rimport__buf_clear(&v->name);
  if ((rc = rimport__buf_put(&v->name, s, clen)) != 0 ||
      (rc = rimport__buf_puts(&v->name, "/")) != 0 ||
      (rc = rimport__buf_put(&v->name, sp + 1, klen)) != 0)
    return rc;
  return set_add(&v->set, v->name.ptr, v->name.size, pid, &slot);
}

/* Reads what was appended to a live session's list since the last time:
 * whole lines only (a line being written is read next time). */
static int read_more(rimport__live_marks *v, live_session *s) {
  uv_fs_t req;
  uv_file fd;
  char *chunk;
  int rc = 0;
  fd = uv_fs_open(NULL, &req, s->keys_path, UV_FS_O_RDONLY, 0, NULL);
  uv_fs_req_cleanup(&req);
  if (fd == UV_ENOENT)
    return 0; /* not made yet (or the session is closing) */
  if (fd < 0)
    return uv_fail(fd, "opening the use marks file", s->keys_path);
  if ((chunk = rimport__malloc(READ_CHUNK)) == NULL) {
    rc = rimport__error_nomem();
    goto done;
  }
  rimport__buf_clear(&v->carry);
  for (;;) {
    uv_buf_t b = uv_buf_init(chunk, READ_CHUNK);
    const char *p, *nl, *end;
    int n = uv_fs_read(NULL, &req, fd, &b, 1,
                       (int64_t)(s->offset + v->carry.size), NULL);
    uv_fs_req_cleanup(&req);
    if (n < 0) {
      rc = uv_fail(n, "reading the use marks file", s->keys_path);
      break;
    }
    if (n == 0)
      break;
    if ((rc = rimport__buf_put(&v->carry, chunk, (size_t)n)) != 0)
      break;
    /* Every whole line in carry; the rest stays for the next chunk. */
    p = v->carry.ptr;
    end = v->carry.ptr + v->carry.size;
    while (rc == 0 && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
      rc = take_line(v, p, (size_t)(nl - p), s->pid);
      p = nl + 1;
    }
    if (rc != 0)
      break;
    s->offset += (uint64_t)(p - v->carry.ptr);
    memmove(v->carry.ptr, p, (size_t)(end - p));
    v->carry.size = (size_t)(end - p);
    v->carry.ptr[v->carry.size] = '\0';
  }
done:
  rimport__free(chunk);
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  return rc;
}

/* "<id>.use" / "<id>.keys" → the length of id, else 0. An id is what
 * rimport__marks_open makes: digits, lowercase hex and '-'. */
static size_t session_id(const char *name) {
  const char *dot = strrchr(name, '.');
  size_t i, n;
  if (dot == NULL || (strcmp(dot, ".use") != 0 && strcmp(dot, ".keys") != 0))
    return 0;
  n = (size_t)(dot - name);
  if (n == 0 || n > 64)
    return 0;
  for (i = 0; i < n; i++)
    if (!((name[i] >= '0' && name[i] <= '9') ||
          (name[i] >= 'a' && name[i] <= 'f') || name[i] == '-'))
      return 0;
  return n;
}

typedef struct scan_ctx {
  rimport__live_marks *v;
  rimport_buf path;
  int first_error;
} scan_ctx;

static int known(const rimport__live_marks *v, const char *id, size_t n) {
  size_t i;
  for (i = 0; i < v->count; i++)
    if (strncmp(v->sessions[i].id, id, n) == 0 && v->sessions[i].id[n] == '\0')
      return 1;
  return 0;
}

/* A session's files: a lock nobody holds is a dead session's (its files
 * are removed, the list first); a held one a live session's (added). */
static int scan_one(const rimport__dirent *ent, void *payload) {
  scan_ctx *c = payload;
  rimport__live_marks *v = c->v;
  rimport__file_lock *lock = NULL;
  rimport_buf keys = RIMPORT_BUF_INIT;
  size_t n = session_id(ent->name);
  int rc, pid = 0;
  if (n == 0 || ent->is_dir || known(v, ent->name, n) ||
      (v->last_id.size == n && memcmp(v->last_id.ptr, ent->name, n) == 0))
    return 0; /* not a session's, or seen already */
  rimport__buf_clear(&v->last_id);
  if ((rc = rimport__buf_put(&v->last_id, ent->name, n)) != 0 ||
      (rc = rimport__path_join(&c->path, v->dir, v->last_id.ptr)) != 0 ||
      (rc = rimport__buf_puts(&keys, c->path.ptr)) != 0 ||
      (rc = rimport__buf_puts(&keys, ".keys")) != 0 ||
      (rc = rimport__buf_puts(&c->path, ".use")) != 0)
    goto done;
  if ((rc = rimport__file_lock_open(c->path.ptr, &lock)) == 0)
    rc = rimport__file_lock_try(lock, &pid);
  if (rc == 0) { /* dead: nobody will read or write its list again */
    uv_fs_t req;
    int urc = uv_fs_unlink(NULL, &req, keys.ptr, NULL);
    uv_fs_req_cleanup(&req);
    if (urc < 0 && urc != UV_ENOENT)
      rc = uv_fail(urc, "removing the use marks file of an ended process",
                   keys.ptr);
    rimport__file_lock_remove(lock);
    lock = NULL;
  } else if (rc == RIMPORT_ELOCKED) {
    live_session *s;
    if ((rc = rimport__grow((void **)&v->sessions, &v->cap, v->count + 1,
                            sizeof(*v->sessions))) != 0)
      goto done;
    s = &v->sessions[v->count];
    memset(s, 0, sizeof(*s));
    s->pid = pid;
    s->id = rimport__strdup(v->last_id.ptr);
    s->keys_path = rimport__buf_detach(&keys);
    if (s->id == NULL || s->keys_path == NULL) {
      rimport__free(s->id);
      rimport__free(s->keys_path);
      rc = rimport__error_nomem();
      goto done;
    }
    v->count++;
  }
done:
  rimport__file_lock_close(lock);
  rimport_buf_dispose(&keys);
  if (rc == RIMPORT_ENOMEM)
    return rc;
  if (rc != 0 && c->first_error == 0)
    c->first_error = rc;
  return 0;
}

int rimport__live_marks_refresh(rimport__live_marks *v) {
  scan_ctx c;
  size_t i;
  int rc;
  memset(&c, 0, sizeof(c));
  c.v = v;
  rimport__buf_clear(&v->last_id);
  rc = rimport__fs_list_dir(v->dir, scan_one, &c);
  if (rc == RIMPORT_ENOTFOUND) {
    rimport_error_clear(); /* no session has marked anything yet */
    rc = 0;
  }
  if (rc == 0)
    rc = c.first_error;
  for (i = 0; rc == 0 && i < v->count; i++)
    rc = read_more(v, &v->sessions[i]);
  rimport_buf_dispose(&c.path);
  if (rc != 0)
    rimport__error_prefix("reading which cache entries running processes use "
                          "(\"%s\")",
                          v->dir);
  return rc;
}

int rimport__live_marks_find(rimport__live_marks *v, const char *crate,
                             const char *key, size_t klen, int *pid) {
  const mark_slot *slot;
  if (set_name(&v->name, crate, key, klen) != 0)
    return 1; /* out of memory: in use, to be safe */
  slot = set_find(&v->set, v->name.ptr, v->name.size);
  if (slot != NULL && pid != NULL)
    *pid = slot->value;
  return slot != NULL;
}

int rimport__live_marks_count(const rimport__live_marks *v) {
  return v != NULL ? (int)v->count : 0;
}
