#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "fs.h"
#include "../platform.h"

static int fs_error(int uv_rc, const char *what, const char *path) {
  int code = (uv_rc == UV_ENOENT || uv_rc == UV_ENOTDIR) ? RIMPORT_ENOTFOUND
                                                         : RIMPORT_EIO;
  if (uv_rc == UV_ENOMEM)
    return rimport__error_nomem();
  if (uv_rc == UV_ENOSPC)
    return rimport__error_set(code,
                              "%s \"%s\" failed: %s (%s); the disk is full: "
                              "free space on it, or use a directory on a "
                              "disk with room",
                              what, path, uv_strerror(uv_rc),
                              uv_err_name(uv_rc));
  return rimport__error_set(code, "%s \"%s\" failed: %s (%s)", what, path,
                            uv_strerror(uv_rc), uv_err_name(uv_rc));
}

int rimport__fs_stat(const char *path, rimport__stat *st) {
  uv_fs_t req;
  int rc = uv_fs_stat(NULL, &req, path, NULL);
  if (rc == 0) {
    const uv_stat_t *s = &req.statbuf;
    st->size = s->st_size;
    st->mtime_sec = s->st_mtim.tv_sec;
    st->mtime_nsec = s->st_mtim.tv_nsec;
    st->is_dir = (s->st_mode & S_IFMT) == S_IFDIR;
    st->is_file = (s->st_mode & S_IFMT) == S_IFREG;
    st->mode = (unsigned int)(s->st_mode & 0777);
  }
  uv_fs_req_cleanup(&req);
  return rc == 0 ? 0 : fs_error(rc, "reading the status of", path);
}

static int stat_quiet(const char *path, rimport__stat *st) {
  uv_fs_t req;
  int rc = uv_fs_stat(NULL, &req, path, NULL);
  if (rc == 0) {
    st->is_dir = (req.statbuf.st_mode & S_IFMT) == S_IFDIR;
    st->is_file = (req.statbuf.st_mode & S_IFMT) == S_IFREG;
  }
  uv_fs_req_cleanup(&req);
  return rc;
}

int rimport__fs_is_file(const char *path) {
  rimport__stat st;
  return stat_quiet(path, &st) == 0 && st.is_file;
}

int rimport__fs_is_dir(const char *path) {
  rimport__stat st;
  return stat_quiet(path, &st) == 0 && st.is_dir;
}

int rimport__fs_realpath(const char *path, rimport_buf *out) {
  uv_fs_t req;
  rimport_buf ext = RIMPORT_BUF_INIT;
  int rc = uv_fs_realpath(NULL, &req, path, NULL);
  if (rc != 0) {
    int ext_rc = rimport__path_extended(path, &ext);
    if (ext_rc == RIMPORT_ENOMEM) {
      uv_fs_req_cleanup(&req);
      return ext_rc;
    }
    if (ext_rc == 0 && strcmp(ext.ptr, path) != 0) {
      /* Windows past MAX_PATH: the extended form opens (libuv strips the
       * prefix from the answer). Where the system cannot name the opened
       * file (wine past MAX_PATH), the full path of an existing file is
       * the answer: links are not resolved then. */
      uv_fs_req_cleanup(&req);
      rc = uv_fs_realpath(NULL, &req, ext.ptr, NULL);
      if (rc != 0 &&
          rimport__fs_is_file(ext.ptr) + rimport__fs_is_dir(ext.ptr)) {
        int unc = strncmp(ext.ptr, "\\\\?\\UNC\\", 8) == 0;
        rimport__buf_clear(out);
        rc = unc ? rimport__buf_printf(out, "\\\\%s", ext.ptr + 8)
                 : rimport__buf_puts(out, ext.ptr + 4);
        uv_fs_req_cleanup(&req);
        rimport_buf_dispose(&ext);
        return rc;
      }
    }
    rimport_buf_dispose(&ext);
  }
  if (rc == 0) {
    rimport__buf_clear(out);
    rc = rimport__buf_puts(out, req.ptr);
    uv_fs_req_cleanup(&req);
    return rc;
  }
  uv_fs_req_cleanup(&req);
  return fs_error(rc, "resolving the path", path);
}

static int mkdir_one(const char *path) {
  uv_fs_t req;
  int rc = uv_fs_mkdir(NULL, &req, path, 0777, NULL);
  uv_fs_req_cleanup(&req);
  if (rc == 0 || (rc == UV_EEXIST && rimport__fs_is_dir(path)))
    return 0;
  return rc;
}

int rimport__fs_mkdir_p(const char *path) {
  rimport_buf tmp = RIMPORT_BUF_INIT;
  size_t i;
  int rc;
  if (rimport__fs_is_dir(path))
    return 0;
  if ((rc = rimport__buf_puts(&tmp, path)) != 0)
    return rc;
  /* Create each parent in turn; skip the root and a drive prefix. */
  for (i = 1; i < tmp.size; i++) {
    if (!rimport__is_dir_sep(tmp.ptr[i]) || tmp.ptr[i - 1] == ':')
      continue;
    tmp.ptr[i] = '\0';
    rc = mkdir_one(tmp.ptr);
    tmp.ptr[i] = rimport__dir_sep;
    if (rc != 0 && rc != UV_EPERM && rc != UV_EACCES)
      break; /* a parent we may not create can still exist: go on */
    rc = 0;
  }
  if (rc == 0)
    rc = mkdir_one(tmp.ptr);
  rimport_buf_dispose(&tmp);
  if (rc != 0)
    return rimport__error_set(
        RIMPORT_EIO,
        "creating the directory \"%s\" failed: %s (%s); check that its "
        "parent exists and is writable, or choose another directory",
        path, uv_strerror(rc), uv_err_name(rc));
  return 0;
}

typedef struct read_state {
  rimport_buf *out;
  size_t max;
  const char *path;
} read_state;

static int append_chunk(const char *data, size_t len, void *payload) {
  read_state *st = payload;
  if (st->out->size + len > st->max)
    return rimport__error_set(RIMPORT_ECORRUPT,
                              "the file \"%s\" is larger than %zu bytes, "
                              "more than such a file can be; delete it",
                              st->path, st->max);
  return rimport__buf_put(st->out, data, len);
}

int rimport__fs_read_file(const char *path, size_t max_size, rimport_buf *out) {
  read_state st;
  int rc;
  rimport__buf_clear(out);
  st.out = out;
  st.max = max_size;
  st.path = path;
  rc = rimport__fs_read_chunks(path, append_chunk, &st, NULL);
  if (rc == 0 && out->ptr == NULL)
    rc = rimport__buf_grow(out, 0); /* an empty file reads as "" */
  return rc;
}

static int write_via_tmp(const char *path, const char *data, size_t len,
                         int flush) {
  rimport_buf tmp = RIMPORT_BUF_INIT;
  uv_fs_t req;
  uv_file fd;
  size_t off = 0;
  int rc;
  if ((rc = rimport__buf_printf(&tmp, "%s.tmp-%d-%llu", path,
                                (int)uv_os_getpid(),
                                (unsigned long long)uv_hrtime())) != 0)
    return rc;
  fd = uv_fs_open(NULL, &req, tmp.ptr,
                  UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_EXCL, 0644, NULL);
  uv_fs_req_cleanup(&req);
  if (fd < 0) {
    rc = fs_error(fd, "creating", tmp.ptr);
    rimport_buf_dispose(&tmp);
    return rc;
  }
  while (off < len) {
    uv_buf_t b = uv_buf_init((char *)data + off, (unsigned)(len - off));
    int n = uv_fs_write(NULL, &req, fd, &b, 1, -1, NULL);
    uv_fs_req_cleanup(&req);
    if (n <= 0) {
      rc = fs_error(n < 0 ? n : UV_EIO, "writing", tmp.ptr);
      break;
    }
    off += (size_t)n;
  }
  if (rc == 0 && flush) {
    int frc = uv_fs_fsync(NULL, &req, fd, NULL);
    uv_fs_req_cleanup(&req);
    if (frc < 0)
      rc = fs_error(frc, "flushing", tmp.ptr);
  }
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  if (rc == 0) {
    int rrc = uv_fs_rename(NULL, &req, tmp.ptr, path, NULL);
    uv_fs_req_cleanup(&req);
    if (rrc < 0)
      rc = fs_error(rrc, "renaming a temporary file to", path);
  }
  if (rc != 0) {
    uv_fs_unlink(NULL, &req, tmp.ptr, NULL);
    uv_fs_req_cleanup(&req);
  }
  rimport_buf_dispose(&tmp);
  return rc;
}

int rimport__fs_write_atomic(const char *path, const char *data, size_t len) {
  return write_via_tmp(path, data, len, 1);
}

int rimport__fs_write_unflushed(const char *path, const char *data,
                                size_t len) {
  return write_via_tmp(path, data, len, 0);
}

int rimport__fs_unlink(const char *path) {
  uv_fs_t req;
  int rc = uv_fs_unlink(NULL, &req, path, NULL);
  uv_fs_req_cleanup(&req);
  if (rc == 0 || rc == UV_ENOENT)
    return 0;
  return fs_error(rc, "removing", path);
}

int rimport__env_get(const char *name, rimport_buf *out) {
  size_t size = 256;
  int rc;
  for (;;) {
    rimport__buf_clear(out);
    if ((rc = rimport__buf_grow(out, size)) != 0)
      return rc;
    size = out->reserved;
    rc = uv_os_getenv(name, out->ptr, &size);
    if (rc == UV_ENOBUFS)
      continue; /* size now holds what is needed */
    if (rc != 0) {
      out->ptr[0] = '\0';
      return RIMPORT_ENOTFOUND;
    }
    out->size = size;
    return 0;
  }
}

int rimport__home_dir(rimport_buf *out) {
  char path[4096];
  size_t size = sizeof(path);
  int rc = uv_os_homedir(path, &size);
  if (rc != 0)
    return rimport__error_set(RIMPORT_ENOTFOUND,
                              "finding the home directory failed: %s; set "
                              "HOME (or pass a cache directory explicitly)",
                              uv_strerror(rc));
  rimport__buf_clear(out);
  return rimport__buf_put(out, path, size);
}

int rimport__cwd(rimport_buf *out) {
  char path[4096];
  size_t size = sizeof(path);
  int rc = uv_cwd(path, &size);
  if (rc != 0)
    return rimport__error_set(RIMPORT_EIO,
                              "reading the current directory failed: %s",
                              uv_strerror(rc));
  rimport__buf_clear(out);
  return rimport__buf_put(out, path, size);
}

const char *rimport__path_base(const char *path) {
  const char *b = path, *p;
  for (p = path; *p; p++)
    if (rimport__is_dir_sep(*p))
      b = p + 1;
  return b;
}

int rimport__path_dir(const char *path, rimport_buf *out) {
  const char *base = rimport__path_base(path);
  rimport__buf_clear(out);
  if (base == path)
    return rimport__buf_puts(out, ".");
  if (base - path == 1)
    return rimport__buf_put(out, path, 1); /* the root */
  return rimport__buf_put(out, path, (size_t)(base - path - 1));
}

int rimport__path_join(rimport_buf *out, const char *a, const char *b) {
  size_t alen = strlen(a);
  rimport__buf_clear(out);
  if (rimport__buf_put(out, a, alen) != 0)
    return RIMPORT_ENOMEM;
  if (alen > 0 && !rimport__is_dir_sep(a[alen - 1]) &&
      rimport__buf_putc(out, rimport__dir_sep) != 0)
    return RIMPORT_ENOMEM;
  return rimport__buf_puts(out, b);
}

int rimport__fs_mkdir_new(const char *path) {
  uv_fs_t req;
  int rc = uv_fs_mkdir(NULL, &req, path, 0777, NULL);
  uv_fs_req_cleanup(&req);
  if (rc == 0)
    return 0;
  if (rc == UV_EEXIST)
    return 1;
  return fs_error(rc, "creating the directory", path);
}

int rimport__fs_rename(const char *from, const char *to, int *uv_code) {
  uv_fs_t req;
  int rc = uv_fs_rename(NULL, &req, from, to, NULL);
  uv_fs_req_cleanup(&req);
  if (uv_code != NULL)
    *uv_code = rc;
  if (rc == 0)
    return 0;
  if (rc == UV_ENOMEM)
    return rimport__error_nomem();
  return rimport__error_set(rc == UV_ENOENT ? RIMPORT_ENOTFOUND : RIMPORT_EIO,
                            "renaming \"%s\" to \"%s\" failed: %s (%s)", from,
                            to, uv_strerror(rc), uv_err_name(rc));
}

int rimport__fs_chmod(const char *path, int mode) {
  uv_fs_t req;
  int rc = uv_fs_chmod(NULL, &req, path, mode, NULL);
  uv_fs_req_cleanup(&req);
  return rc == 0 ? 0 : fs_error(rc, "changing the permissions of", path);
}

#define FS_CHUNK (1024 * 1024) /* few syscalls for hundreds of MB */

int rimport__fs_read_chunks(const char *path, rimport__fs_chunk_fn fn,
                            void *payload, uint64_t *size) {
  uv_fs_t req;
  uv_file fd;
  char *chunk;
  uint64_t total = 0;
  int rc = 0;
  if ((chunk = rimport__malloc(FS_CHUNK)) == NULL)
    return rimport__error_nomem();
  fd = uv_fs_open(NULL, &req, path, UV_FS_O_RDONLY, 0, NULL);
  uv_fs_req_cleanup(&req);
  if (fd < 0) {
    rimport__free(chunk);
    return fs_error(fd, "opening", path);
  }
  for (;;) {
    uv_buf_t b = uv_buf_init(chunk, FS_CHUNK);
    int n = uv_fs_read(NULL, &req, fd, &b, 1, -1, NULL);
    uv_fs_req_cleanup(&req);
    if (n < 0) {
      rc = fs_error(n, "reading", path);
      break;
    }
    if (n == 0)
      break;
    total += (uint64_t)n;
    if ((rc = fn(chunk, (size_t)n, payload)) != 0)
      break;
  }
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  rimport__free(chunk);
  if (size != NULL)
    *size = total;
  return rc;
}

static int write_all(uv_file fd, const char *data, size_t len,
                     const char *path) {
  uv_fs_t req;
  size_t off = 0;
  while (off < len) {
    uv_buf_t b = uv_buf_init((char *)data + off, (unsigned)(len - off));
    int n = uv_fs_write(NULL, &req, fd, &b, 1, -1, NULL);
    uv_fs_req_cleanup(&req);
    if (n <= 0)
      return fs_error(n < 0 ? n : UV_EIO, "writing", path);
    off += (size_t)n;
  }
  return 0;
}

typedef struct copy_state {
  uv_file fd;
  const char *dst;
  rimport__fs_chunk_fn fn;
  void *payload;
} copy_state;

static int copy_chunk(const char *data, size_t len, void *payload) {
  copy_state *cs = payload;
  int rc = write_all(cs->fd, data, len, cs->dst);
  if (rc == 0 && cs->fn != NULL)
    rc = cs->fn(data, len, cs->payload);
  return rc;
}

int rimport__fs_copy_file(const char *src, const char *dst,
                          rimport__fs_chunk_fn fn, void *payload,
                          uint64_t *size) {
  uv_fs_t req;
  copy_state cs;
  int rc, mode = 0644;
  rc = uv_fs_stat(NULL, &req, src, NULL);
  if (rc == 0)
    mode = (int)(req.statbuf.st_mode & 0777);
  uv_fs_req_cleanup(&req);
  if (rc != 0)
    return fs_error(rc, "reading the status of", src);
  cs.fd =
      uv_fs_open(NULL, &req, dst, UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_EXCL,
                 mode | 0600, NULL);
  uv_fs_req_cleanup(&req);
  if (cs.fd < 0)
    return fs_error(cs.fd, "creating", dst);
  cs.dst = dst;
  cs.fn = fn;
  cs.payload = payload;
  rc = rimport__fs_read_chunks(src, copy_chunk, &cs, size);
  /* No fsync per file: a cache entry is checked against the hashes in its
   * manifest before use, so a file a power loss left short or zeroed makes
   * the entry fail verification and be rebuilt; flushing every artifact of
   * a build (hundreds of MB) would cost seconds for nothing else. */
  uv_fs_close(NULL, &req, cs.fd, NULL);
  uv_fs_req_cleanup(&req);
  if (rc != 0) {
    uv_fs_unlink(NULL, &req, dst, NULL);
    uv_fs_req_cleanup(&req);
  }
  return rc;
}

int rimport__fs_link(const char *src, const char *dst, int *uv_code) {
  uv_fs_t req;
  int rc = uv_fs_link(NULL, &req, src, dst, NULL);
  uv_fs_req_cleanup(&req);
  if (uv_code != NULL)
    *uv_code = rc;
  if (rc == 0)
    return 0;
  return fs_error(rc, "linking to", src);
}

void rimport__fs_sync_dir(const char *path) {
  uv_fs_t req;
  uv_file fd = uv_fs_open(NULL, &req, path, UV_FS_O_RDONLY, 0, NULL);
  uv_fs_req_cleanup(&req);
  if (fd < 0)
    return;
  uv_fs_fsync(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
}

typedef struct dir_item {
  char *name;
  uv_dirent_type_t type;
} dir_item;

static int dir_item_cmp(const void *a, const void *b) {
  return strcmp(((const dir_item *)a)->name, ((const dir_item *)b)->name);
}

int rimport__fs_list_dir(const char *path, rimport__fs_dir_fn fn,
                         void *payload) {
  uv_fs_t req;
  uv_dirent_t ent;
  dir_item *items = NULL;
  size_t count = 0, cap = 0, i;
  rimport_buf child = RIMPORT_BUF_INIT;
  int rc = uv_fs_scandir(NULL, &req, path, 0, NULL);
  if (rc < 0) {
    uv_fs_req_cleanup(&req);
    return fs_error(rc, "listing the directory", path);
  }
  rc = 0;
  while (rc == 0 && uv_fs_scandir_next(&req, &ent) != UV_EOF) {
    if ((rc = rimport__grow((void **)&items, &cap, count + 1,
                            sizeof(*items))) != 0)
      break;
    items[count].type = ent.type;
    if ((items[count].name = rimport__strdup(ent.name)) == NULL)
      rc = rimport__error_nomem();
    else
      count++;
  }
  uv_fs_req_cleanup(&req);
  if (count > 1)
    qsort(items, count, sizeof(*items), dir_item_cmp);
  for (i = 0; rc == 0 && i < count; i++) {
    rimport__dirent d;
    d.name = items[i].name;
    d.is_dir = items[i].type == UV_DIRENT_DIR;
    d.is_link = items[i].type == UV_DIRENT_LINK;
    if (items[i].type == UV_DIRENT_UNKNOWN &&
        (rc = rimport__path_join(&child, path, d.name)) == 0) {
      /* Some file systems do not say: ask without following links. */
      if (uv_fs_lstat(NULL, &req, child.ptr, NULL) == 0) {
        d.is_dir = (req.statbuf.st_mode & S_IFMT) == S_IFDIR;
        d.is_link = (req.statbuf.st_mode & S_IFMT) == S_IFLNK;
      }
      uv_fs_req_cleanup(&req);
    }
    if (rc == 0)
      rc = fn(&d, payload);
  }
  for (i = 0; i < count; i++)
    rimport__free(items[i].name);
  rimport__free(items);
  rimport_buf_dispose(&child);
  return rc;
}

typedef struct remove_state {
  const char *dir;
  uint64_t *freed;
  int first_error;
} remove_state;

static int remove_entry(const rimport__dirent *ent, void *payload) {
  remove_state *rs = payload;
  rimport_buf child = RIMPORT_BUF_INIT;
  int rc = rimport__path_join(&child, rs->dir, ent->name);
  if (rc == 0)
    rc = rimport__fs_remove_tree(child.ptr, rs->freed);
  if (rc != 0 && rs->first_error == 0)
    rs->first_error = rc;
  rimport_buf_dispose(&child);
  return rc == RIMPORT_ENOMEM ? rc : 0; /* go on after other failures */
}

int rimport__fs_remove_tree(const char *path, uint64_t *freed) {
  uv_fs_t req;
  uint64_t size = 0;
  int rc, is_dir;
  rc = uv_fs_lstat(NULL, &req, path, NULL);
  if (rc == 0) {
    is_dir = (req.statbuf.st_mode & S_IFMT) == S_IFDIR;
    size = req.statbuf.st_size;
  }
  uv_fs_req_cleanup(&req);
  if (rc == UV_ENOENT || rc == UV_ENOTDIR)
    return 0;
  if (rc != 0)
    return fs_error(rc, "reading the status of", path);
  if (is_dir) {
    remove_state rs;
    rs.dir = path;
    rs.freed = freed;
    rs.first_error = 0;
    rc = rimport__fs_list_dir(path, remove_entry, &rs);
    if (rc == 0)
      rc = rs.first_error;
    if (rc == 0) {
      rc = uv_fs_rmdir(NULL, &req, path, NULL);
      uv_fs_req_cleanup(&req);
      if (rc != 0 && rc != UV_ENOENT)
        return fs_error(rc, "removing the directory", path);
      rc = 0;
    }
    return rc;
  }
  rc = uv_fs_unlink(NULL, &req, path, NULL);
  uv_fs_req_cleanup(&req);
  if (rc == UV_EPERM || rc == UV_EACCES) {
    /* A read-only file (Windows refuses to delete it): make it writable. */
    uv_fs_chmod(NULL, &req, path, 0666, NULL);
    uv_fs_req_cleanup(&req);
    rc = uv_fs_unlink(NULL, &req, path, NULL);
    uv_fs_req_cleanup(&req);
  }
  if (rc != 0 && rc != UV_ENOENT)
    return fs_error(rc, "removing", path);
  if (rc == 0 && freed != NULL)
    *freed += size;
  return 0;
}

int rimport__fs_free_bytes(const char *path, uint64_t *out) {
  uv_fs_t req;
  int rc = uv_fs_statfs(NULL, &req, path, NULL);
  *out = 0;
  if (rc == 0 && req.ptr != NULL) {
    const uv_statfs_t *st = req.ptr;
    *out = st->f_bavail * st->f_bsize;
  }
  uv_fs_req_cleanup(&req);
  return rc == 0 ? 0 : fs_error(rc, "reading the free space of", path);
}

#ifndef X_OK /* access(2)'s value, where uv.h does not give it */
#define X_OK 1
#endif

int rimport__fs_is_executable(const char *path) {
  uv_fs_t req;
  int rc;
  if (!rimport__fs_is_file(path))
    return 0;
  rc = uv_fs_access(NULL, &req, path, X_OK, NULL);
  uv_fs_req_cleanup(&req);
  return rc == 0;
}

int rimport__fs_check_writable(const char *dir) {
  rimport_buf probe = RIMPORT_BUF_INIT;
  uv_fs_t req;
  uv_file fd;
  int rc = rimport__buf_printf(&probe, "%s%c.write-check-%d", dir,
                               rimport__dir_sep, (int)uv_os_getpid());
  if (rc != 0)
    return rc;
  fd = uv_fs_open(NULL, &req, probe.ptr,
                  UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_TRUNC, 0600, NULL);
  uv_fs_req_cleanup(&req);
  if (fd < 0) {
    rc = fs_error(fd, "creating a file in", dir);
  } else {
    uv_fs_close(NULL, &req, fd, NULL);
    uv_fs_req_cleanup(&req);
    uv_fs_unlink(NULL, &req, probe.ptr, NULL);
    uv_fs_req_cleanup(&req);
  }
  rimport_buf_dispose(&probe);
  return rc;
}

/* The length of path's root ("/", "C:\", "\\server\share\"): the part two
 * paths must share for one to be reached from the other by a relative
 * path. 0 when path is not absolute. */
static size_t root_length(const char *path) {
  size_t n;
  int seps;
  if (!rimport__path_is_absolute(path))
    return 0;
  if (rimport__is_dir_sep(path[0]) && rimport__is_dir_sep(path[1])) {
    for (n = 2, seps = 0; path[n] != '\0' && seps < 2; n++)
      if (rimport__is_dir_sep(path[n]))
        seps++; /* \\server\share\ */
    return n;
  }
  for (n = 0; path[n] != '\0' && !rimport__is_dir_sep(path[n]); n++)
    ;
  return path[n] != '\0' ? n + 1 : n;
}

/* Are a[0..n) and b[0..n) the same path text? Case-insensitive where
 * paths are (Windows: '\\' is the separator). */
static int same_text(const char *a, const char *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (rimport__is_dir_sep((char)x) && rimport__is_dir_sep((char)y))
      continue;
    if (rimport__dir_sep == '\\' && x < 128 && y < 128) {
      x = (unsigned char)tolower(x);
      y = (unsigned char)tolower(y);
    }
    if (x != y)
      return 0;
  }
  return 1;
}

/* The next component of p (separators skipped first): its start, its
 * length in *len; NULL at the end. */
static const char *next_component(const char *p, size_t *len) {
  while (*p != '\0' && rimport__is_dir_sep(*p))
    p++;
  if (*p == '\0')
    return NULL;
  for (*len = 0; p[*len] != '\0' && !rimport__is_dir_sep(p[*len]); (*len)++)
    ;
  return p;
}

int rimport__path_relative(const char *from_dir, const char *to,
                           rimport_buf *out) {
  rimport_buf from = RIMPORT_BUF_INIT, dest = RIMPORT_BUF_INIT;
  const char *f, *t, *fc, *tc;
  size_t root, flen = 0, tlen = 0;
  int rc, first = 1;
  rimport__buf_clear(out);
  /* Real paths on both sides: ".." then means the same lexically (cargo)
   * and physically (the kernel, rustc's #[path]). */
  if (rimport__fs_realpath(from_dir, &from) != 0 ||
      rimport__fs_realpath(to, &dest) != 0) {
    rimport_error_clear();
    rc = rimport__buf_puts(out, to);
    goto done;
  }
  root = root_length(from.ptr);
  if (root == 0 || root != root_length(dest.ptr) ||
      !same_text(from.ptr, dest.ptr, root)) {
    rc = rimport__buf_puts(out, dest.ptr); /* another drive or share */
    goto done;
  }
  f = from.ptr + root;
  t = dest.ptr + root;
  for (;;) { /* the common part */
    fc = next_component(f, &flen);
    tc = next_component(t, &tlen);
    if (fc == NULL || tc == NULL || flen != tlen || !same_text(fc, tc, flen))
      break;
    f = fc + flen;
    t = tc + tlen;
  }
  rc = 0;
  for (; rc == 0 && (fc = next_component(f, &flen)) != NULL; f = fc + flen) {
    rc = rimport__buf_puts(out, first ? ".." : "/..");
    first = 0;
  }
  for (; rc == 0 && (tc = next_component(t, &tlen)) != NULL; t = tc + tlen) {
    if (!first)
      rc = rimport__buf_putc(out, '/');
    if (rc == 0)
      rc = rimport__buf_put(out, tc, tlen);
    first = 0;
  }
  if (rc == 0 && first)
    rc = rimport__buf_putc(out, '.');
done:
  rimport_buf_dispose(&from);
  rimport_buf_dispose(&dest);
  return rc;
}
