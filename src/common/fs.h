/* File system and environment helpers over libuv's synchronous calls (a NULL
 * loop and a NULL callback: no event loop is involved). Portable: libuv does
 * the UTF-8 ⇄ UTF-16 work on Windows. Every failure sets the error record
 * with the path and the OS reason. */
#ifndef RIMPORT_SRC_FS_H
#define RIMPORT_SRC_FS_H

#include <stdint.h>

#include "common.h"

typedef struct rimport__stat {
  uint64_t size;
  int64_t mtime_sec;
  int64_t mtime_nsec;
  int is_dir;
  int is_file;
} rimport__stat;

/* 0; RIMPORT_ENOTFOUND (message set); RIMPORT_EIO. */
int rimport__fs_stat(const char *path, rimport__stat *st);
int rimport__fs_is_file(const char *path);
int rimport__fs_is_dir(const char *path);
/* The canonical absolute path (symlinks resolved) into out (replaced). */
int rimport__fs_realpath(const char *path, rimport_buf *out);
/* Creates `path` and its missing parents. */
int rimport__fs_mkdir_p(const char *path);
/* Reads a whole file into out (replaced); files over max_size bytes are
 * RIMPORT_ECORRUPT. */
int rimport__fs_read_file(const char *path, size_t max_size, rimport_buf *out);
/* Writes data to a temporary file beside `path`, then renames it over
 * `path`: readers see the old content or the new, never a part. */
int rimport__fs_write_atomic(const char *path, const char *data, size_t len);
/* Removes a file; a missing file is not an error. */
int rimport__fs_unlink(const char *path);

/* An environment variable into out (replaced): 0, or RIMPORT_ENOTFOUND when
 * unset (message not set). */
int rimport__env_get(const char *name, rimport_buf *out);
/* The user's home directory into out (replaced). */
int rimport__home_dir(rimport_buf *out);
/* The current directory into out (replaced). */
int rimport__cwd(rimport_buf *out);
/* out = a + separator + b (out replaced). */
int rimport__path_join(rimport_buf *out, const char *a, const char *b);

#endif
