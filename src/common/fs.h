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
  unsigned int mode; /* permission bits (st_mode & 0777) */
} rimport__stat;

/* 0; RIMPORT_ENOTFOUND (message set); RIMPORT_EIO. */
int rimport__fs_stat(const char *path, rimport__stat *st);
int rimport__fs_is_file(const char *path);
int rimport__fs_is_dir(const char *path);
/* Non-zero when `path` is a file this process may run (access X_OK; on
 * Windows, where libuv ignores X_OK, a file that exists). */
int rimport__fs_is_executable(const char *path);
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
/* rimport__fs_write_atomic without flushing the file to the disk first: for
 * files whose loss or truncation after a power cut is caught (a cache
 * entry's hashes) or does not matter (a compile's inputs). */
int rimport__fs_write_unflushed(const char *path, const char *data, size_t len);
/* Creates and removes a file in dir (nothing is flushed): 0 when dir is
 * writable, else the error naming dir and the OS reason. */
int rimport__fs_check_writable(const char *dir);

/* The bytes this user may still write on the file system of `path`
 * (statfs: f_bavail blocks; Windows: the caller's free bytes) into *out.
 * 0, or RIMPORT_EIO / RIMPORT_ENOTFOUND naming the path. */
int rimport__fs_free_bytes(const char *path, uint64_t *out);
/* Removes a file; a missing file is not an error. */
int rimport__fs_unlink(const char *path);

/* Creates one directory whose parent exists. 0 when it was created, 1
 * (message not set) when `path` already exists, else a negative error
 * naming the path. For names that must be new (stage directories). */
int rimport__fs_mkdir_new(const char *path);
/* Renames a file or directory (within one file system). Replaces an
 * existing file; never a non-empty directory (that fails, RIMPORT_EIO).
 * *uv_code, when not NULL, gets libuv's code (0 on success) so that the
 * caller can tell "target exists" from other failures. */
int rimport__fs_rename(const char *from, const char *to, int *uv_code);
/* Sets the permission bits (on Windows only the read-only attribute:
 * clear when mode has 0200). */
int rimport__fs_chmod(const char *path, int mode);

/* Called with each chunk of a file, in order. Non-zero stops the read and
 * is returned by the caller. */
typedef int (*rimport__fs_chunk_fn)(const char *data, size_t len,
                                    void *payload);
/* Streams a file through fn in chunks of at most 1 MiB (never reads it
 * whole). *size, when not NULL, gets the bytes read. */
int rimport__fs_read_chunks(const char *path, rimport__fs_chunk_fn fn,
                            void *payload, uint64_t *size);
/* Copies src to the new file dst (which must not exist; parents must),
 * with src's permission bits, passing every chunk to fn (NULL: none) on the
 * way. dst is not flushed to disk (callers that need durability check
 * content hashes instead). A failed copy removes dst. *size, when not
 * NULL, gets the bytes copied. */
int rimport__fs_copy_file(const char *src, const char *dst,
                          rimport__fs_chunk_fn fn, void *payload,
                          uint64_t *size);
/* Makes the new name dst for the file src (a hard link; dst must not
 * exist). Both must be on one file system: across file systems, or where
 * the file system (FAT, some network shares) or the OS (Linux's
 * protected_hardlinks for another user's read-only file) refuses, it
 * fails and the caller copies instead. libuv's uv_fs_link: link(2), and
 * CreateHardLinkW on Windows. *uv_code, when not NULL, gets libuv's code
 * (0 on success). The error record is set on failure. */
int rimport__fs_link(const char *src, const char *dst, int *uv_code);
/* Flushes a directory's entries to disk where the platform can (best
 * effort: errors are ignored; Windows has no directory fsync). */
void rimport__fs_sync_dir(const char *path);

/* One entry of a directory listing. */
typedef struct rimport__dirent {
  const char *name; /* no directory part */
  int is_dir;       /* a directory, not a symlink to one */
  int is_link;      /* a symbolic link (or junction) */
} rimport__dirent;
/* Called for each entry of a directory, sorted by name (bytewise); the
 * listing is read before the first call, so fn may remove or add entries.
 * Non-zero from fn stops the walk and is returned. */
typedef int (*rimport__fs_dir_fn)(const rimport__dirent *ent, void *payload);
/* Lists `path` ("." and ".." excluded). RIMPORT_ENOTFOUND when it does not
 * exist (message set). */
int rimport__fs_list_dir(const char *path, rimport__fs_dir_fn fn,
                         void *payload);
/* Removes a file, or a directory with everything in it (symbolic links are
 * removed, never followed; read-only files are made writable first). A
 * missing path is not an error. Goes on after a failure and returns the
 * first one. *freed, when not NULL, is increased by the sizes of the files
 * removed. */
int rimport__fs_remove_tree(const char *path, uint64_t *freed);

/* An environment variable into out (replaced): 0, or RIMPORT_ENOTFOUND when
 * unset (message not set). */
int rimport__env_get(const char *name, rimport_buf *out);
/* The user's home directory into out (replaced). */
int rimport__home_dir(rimport_buf *out);
/* The current directory into out (replaced). */
int rimport__cwd(rimport_buf *out);
/* out = a + separator + b (out replaced). */
int rimport__path_join(rimport_buf *out, const char *a, const char *b);
/* The last component of `path` (a pointer into it): "c" for "a/b/c", the
 * whole of a path without separators. */
const char *rimport__path_base(const char *path);
/* Everything before the last component into out (replaced), without the
 * separator: "a/b" for "a/b/c", "." for "c", "/" for "/c". */
int rimport__path_dir(const char *path, rimport_buf *out);
/* `to` as seen from the directory `from_dir`, into out (replaced): the
 * relative path between their real paths, '/'-separated ("../x-key",
 * "../../lib/k", "." for the same directory); the real path of `to` when
 * the two lie under different roots (drives, shares); `to` itself when
 * either cannot be resolved (does not exist). What generated files (a
 * Cargo.toml's path dependencies, a #[path]) hold, so that they name the
 * same place whichever way the reader spells paths. 0 or RIMPORT_ENOMEM. */
int rimport__path_relative(const char *from_dir, const char *to,
                           rimport_buf *out);

#endif
