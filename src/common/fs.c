#include <fcntl.h>
#include <string.h>
#include <uv.h>

#include "fs.h"
#include "../platform.h"

static int fs_error(int uv_rc, const char *what, const char *path) {
  int code = (uv_rc == UV_ENOENT || uv_rc == UV_ENOTDIR) ? RIMPORT_ENOTFOUND
                                                         : RIMPORT_EIO;
  if (uv_rc == UV_ENOMEM)
    return rimport__error_nomem();
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
  int rc = uv_fs_realpath(NULL, &req, path, NULL);
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

int rimport__fs_read_file(const char *path, size_t max_size, rimport_buf *out) {
  uv_fs_t req;
  uv_file fd;
  int rc;
  char chunk[16384];
  rimport__buf_clear(out);
  fd = uv_fs_open(NULL, &req, path, UV_FS_O_RDONLY, 0, NULL);
  uv_fs_req_cleanup(&req);
  if (fd < 0)
    return fs_error(fd, "opening", path);
  for (;;) {
    uv_buf_t b = uv_buf_init(chunk, sizeof(chunk));
    int n = uv_fs_read(NULL, &req, fd, &b, 1, -1, NULL);
    uv_fs_req_cleanup(&req);
    if (n < 0) {
      rc = fs_error(n, "reading", path);
      break;
    }
    if (n == 0) {
      rc = 0;
      break;
    }
    if (out->size + (size_t)n > max_size) {
      rc = rimport__error_set(RIMPORT_ECORRUPT,
                              "the file \"%s\" is larger than %zu bytes, "
                              "more than such a file can be; delete it",
                              path, max_size);
      break;
    }
    if ((rc = rimport__buf_put(out, chunk, (size_t)n)) != 0)
      break;
  }
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  if (rc == 0 && out->ptr == NULL)
    rc = rimport__buf_grow(out, 0); /* an empty file reads as "" */
  return rc;
}

int rimport__fs_write_atomic(const char *path, const char *data, size_t len) {
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
  if (rc == 0) {
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
