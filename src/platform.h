/* The one header in front of platform code (src/unix/, src/win/). Stages
 * include it and never test _WIN32 themselves. File system calls that libuv
 * already makes portable live in src/common/fs.c, not here. */
#ifndef RIMPORT_SRC_PLATFORM_H
#define RIMPORT_SRC_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "rimport.h"

/* Path list separator of PATH (':' or ';') and the preferred directory
 * separator ('/' or '\\'). */
extern const char rimport__path_list_sep;
extern const char rimport__dir_sep;
/* What executables' file names end with: "" or ".exe". */
extern const char rimport__exe_suffix[];
/* Non-zero when rustc is given the cells' libraries and output by paths
 * relative to its working directory. unix: 1 (rustc resolves each path of
 * a crate it loads with realpath, several times, and the linker driver each
 * library; a relative path is walked from the working directory, not from
 * the root: cell 200 of a chain loads 200 crates). Windows: 0 (absolute
 * paths, as tested: the test stage's stand-in for rustc.exe translates
 * absolute Windows paths only, DESIGN.md fact 15). */
extern const int rimport__relative_tool_paths;

/* Non-zero when `path` is absolute on this platform. */
int rimport__path_is_absolute(const char *path);

/* Non-zero when `c` separates directories on this platform. */
int rimport__is_dir_sep(char c);

/* The thread-local slot that holds the error record (src/common/error.c).
 * The platform runs rimport__error_tls_destroy on the value when a thread
 * ends. */
void *rimport__error_tls_get(void);
int rimport__error_tls_set(void *value);
void rimport__error_tls_destroy(void *value);

/* The target triple plugins and cells are built for when the session names
 * none and the rustc's host is `host`: NULL when a library built for host
 * loads into this process (the usual case: rustc's host is the default);
 * else the triple of the platform rimport runs on. On Windows, a rustc
 * whose host is not a Windows one (Linux rustc run through a stand-in, as
 * under wine, DESIGN.md fact 15) gets x86_64-pc-windows-gnu (mingw build)
 * or x86_64-pc-windows-msvc (MSVC build), or their i686/aarch64 forms. */
const char *rimport__platform_target(const char *host);

/* The program's arguments as UTF-8: on Windows main's argv is in the ANSI
 * code page (a file name in another script arrives as '?'), so they are
 * read again from GetCommandLineW; elsewhere argv as it is. *out is
 * allocated once and lives until the process ends (NULL-terminated, like
 * argv). 0, or RIMPORT_ENOMEM with the message set. */
int rimport__utf8_argv(int argc, char **argv, int *out_argc, char ***out);

/* Windows: `path` in extended-length form ("\\?\C:\dir\file",
 * "\\?\UNC\server\share\…"): absolute, '\' only, which the system
 * takes past MAX_PATH without a long-path opt-in. unix: `path`. 0, ENOMEM,
 * or RIMPORT_EINVAL (not valid UTF-8). */
int rimport__path_extended(const char *path, rimport_buf *out);

/* The default cache directory, without creating it: $RIMPORT_CACHE_DIR, else
 * $XDG_CACHE_HOME/rimport or ~/.cache/rimport (unix), or
 * %LOCALAPPDATA%\rimport\cache (Windows). 0, or an error with the message
 * set. */
int rimport__default_cache_dir(rimport_buf *out);

/* Finds an executable named `name` (no directory part) on PATH, adding the
 * platform's executable suffixes (PATHEXT on Windows). 0 and the absolute
 * path in `out`, or RIMPORT_ENOTFOUND (message not set: the caller says
 * what was wanted). */
int rimport__find_executable(const char *name, rimport_buf *out);

/* --- child process trees (used by src/proc) ------------------------------
 * A running child and everything it started, so that a timeout or a cancel
 * can stop all of it.
 *
 * unix: the child is spawned with the flags below (UV_PROCESS_DETACHED:
 *   setsid(), so it leads a new session and process group whose id is its
 *   pid); killing the tree is kill(-pid, SIGKILL). A grandchild that calls
 *   setsid() itself escapes. Also: a child in its own session does not get
 *   the terminal's Ctrl-C; rimport stops it on timeout or cancel only.
 * Windows: libuv has no job support, so rimport__proc_tree_open creates a
 *   Job Object and assigns the freshly spawned process to it (there is a
 *   short window between CreateProcess and the assignment in which a
 *   grandchild could start outside the job); killing is
 *   TerminateJobObject. If the job cannot be created or assigned (e.g. a
 *   parent job forbids it on an old Windows), killing falls back to
 *   TerminateProcess on the child alone. The job is not "kill on close":
 *   a child that ended normally may leave helpers running, as on unix.
 *   A grandchild started detached stays in the job (it does not break
 *   away), so unlike on unix a tree kill reaches it. Windows has no
 *   signals: the kill ends the processes with the exit code 1, as libuv's
 *   uv_process_kill does, and rimport__proc_tree_killed_it recognizes
 *   it, so that the child is reported killed by SIGKILL on both
 *   platforms (as libuv reports a process it killed itself). */
typedef struct rimport__proc_tree rimport__proc_tree;

/* uv_process_options_t.flags that the platform needs (see above). */
unsigned int rimport__proc_spawn_flags(void);

/* The system's own code for why the uv_spawn just made failed, read right
 * after it returned: Windows: GetLastError() (libuv reports codes it does
 * not map as UV_UNKNOWN, and the code is what says what happened); unix:
 * 0 (libuv maps every errno). */
unsigned long rimport__proc_spawn_os_error(void);

/* The working directory to start a child in, into *out: unix: `cwd`.
 * Windows starts a program only in a directory whose path is shorter than
 * MAX_PATH (CreateProcess, even for a program that handles long paths):
 * a longer `cwd` is given by its short (8.3) name when that fits, else
 * RIMPORT_EINVAL naming the directory, its length and what to do. 0, or
 * ENOMEM, or that error. */
int rimport__proc_child_cwd(const char *cwd, rimport_buf *out);

/* Starts tracking the tree of the just-spawned child `pid`. 0, or
 * RIMPORT_ENOMEM. A tree whose job could not be set up still works, with
 * the fallback described above. */
int rimport__proc_tree_open(int pid, rimport__proc_tree **out);

/* Kills every process of the tree that can still be reached. 0 when a kill
 * was sent, -1 when nothing was left to kill. Safe to call repeatedly, also
 * after the child itself has been reaped. */
int rimport__proc_tree_kill(rimport__proc_tree *tree);

/* Non-zero when the child, which ended with `exit_status` and no signal,
 * was ended by rimport__proc_tree_kill (its caller then reports SIGKILL).
 * unix: 0, the signal says so already; Windows: a kill was sent while the
 * child still ran, and it ended with the kill's exit code. */
int rimport__proc_tree_killed_it(const rimport__proc_tree *tree,
                                 int64_t exit_status);

/* Releases the tracking (does not kill anything). NULL is a no-op. */
void rimport__proc_tree_close(rimport__proc_tree *tree);

/* Non-zero while a process with this id runs (tests use it to check that a
 * killed tree is gone). A zombie (ended, not yet reaped) counts as gone
 * where the platform can tell (Linux /proc). */
int rimport__proc_alive(int pid);

/* Non-zero when the environment variable names a[0..alen) and b[0..blen)
 * name the same variable (case-insensitive on Windows). */
int rimport__env_name_equal(const char *a, size_t alen, const char *b,
                            size_t blen);

/* --- file locks (src/unix/lock.c, src/win/lock.c) -------------------------
 * An exclusive, advisory lock on a file, between processes and between
 * threads of one process, that never blocks: callers poll
 * rimport__file_lock_try (src/cache/lock.c does, with progress, timeout and
 * cancel). The holder's pid is written into the file so that others can
 * say whom they wait for.
 *
 * A lock belongs to the process that took it, and the operating system
 * drops it when that process ends, however it ends (crash, SIGKILL,
 * TerminateProcess): a lock left by a dead process is simply free, so
 * taking over a stale lock needs no pid check and cannot race.
 *
 * unix: fcntl(F_SETLK, F_WRLCK) on the whole file. fcntl locks belong to
 *   the process, not to a descriptor, so threads of one process would all
 *   "hold" it, and closing any descriptor of the file would drop it. Both
 *   are handled by a process-wide registry (guarded by a uv_mutex) of the
 *   lock files this process has open, by device and inode: every handle of
 *   one file shares one descriptor, which stays open while any handle does
 *   (a second handle of an open file does not open it again: closing that
 *   descriptor would drop the lock), and a second handle sees the lock as
 *   held (ELOCKED, owner = own pid)
 *   while another handle of this process holds it. Nothing else in the
 *   process may open a lock file (that would drop the lock on close). A
 *   lock file removed while another process had it open is noticed after
 *   locking (the path no longer names the locked inode) and reopened, so
 *   rimport__file_lock_remove is safe. On NFS, fcntl locks go through the
 *   NFS lock manager (NLM/NFSv4): they work if it runs, and a dead
 *   client's locks are freed only when its lease expires.
 * Windows: LockFileEx (exclusive, fail immediately) of one byte at offset
 *   1 MiB, beyond the pid that is written at offset 0 (a locked range
 *   cannot be read by others, the pid must be). Locks are per handle, so
 *   two handles of one process exclude each other without a registry. The
 *   file is opened without FILE_SHARE_DELETE: it cannot be deleted while
 *   any process has it open. Windows releases the locks of an ended
 *   process "at the discretion of the system", usually at once. */
typedef struct rimport__file_lock rimport__file_lock;

/* Opens (creating, 0644) the lock file `path` without locking it. 0 or
 * RIMPORT_EIO (ENOTFOUND when the directory is missing), message naming the
 * path and the OS reason. */
int rimport__file_lock_open(const char *path, rimport__file_lock **out);

/* Tries once to take the lock, without waiting. 0: held through this
 * handle, the pid written. RIMPORT_ELOCKED (message not set): another
 * process, or another handle in this process, holds it; *owner_pid (when
 * not NULL) gets the holder's pid, or 0 when it is not known yet. A handle
 * that already holds the lock gets 0 again. Other errors: RIMPORT_EIO. */
int rimport__file_lock_try(rimport__file_lock *lock, int *owner_pid);

/* Tries once to take the lock shared, without waiting: any number of
 * handles, in this process and others, hold it shared together, and no
 * one can take it exclusively meanwhile (rimport__file_lock_try is then
 * RIMPORT_ELOCKED, *owner_pid one of the sharers when the system says so,
 * else 0). 0: held shared through this handle (again 0 if it is already);
 * RIMPORT_ELOCKED (message not set) while a handle, of this process or
 * another, holds it exclusively, *owner_pid as for rimport__file_lock_try.
 * No pid is written. A handle holds the lock one way at a time: a handle
 * holding it exclusively gets RIMPORT_EINVAL. unix: fcntl F_RDLCK, once
 * per process (the registry counts the sharing handles); Windows:
 * LockFileEx without LOCKFILE_EXCLUSIVE_LOCK, per handle. Release, remove
 * and close work as for the exclusive lock (remove deletes the file only
 * when the handle holds it exclusively). */
int rimport__file_lock_try_shared(rimport__file_lock *lock, int *owner_pid);

/* Releases the lock if this handle holds it (the file stays). 0 or EIO. */
int rimport__file_lock_release(rimport__file_lock *lock);

/* Removes the lock file and closes the handle, which must hold the lock.
 * unix: unlinked while still held (others that have the old file open
 * notice and reopen). Windows: released and closed first, then deleted;
 * the delete fails quietly when another process has the file open. Errors
 * are ignored: a lock file that stays is harmless. */
void rimport__file_lock_remove(rimport__file_lock *lock);

/* Releases (if held) and closes the handle. NULL is a no-op. */
void rimport__file_lock_close(rimport__file_lock *lock);

/* --- dynamic libraries (src/unix/dl.c, src/win/dl.c) ----------------------
 * Loading a library by absolute path, for the rest of the process: rimport
 * never unloads what it loaded (a plugin's code and statics must outlive
 * every cell that uses them), so there is no close, only
 * rimport__dl_free, which frees the bookkeeping at session close and leaves
 * the library loaded.
 *
 * unix: dlopen(path, RTLD_NOW | RTLD_LOCAL). A DT_NEEDED entry of a later
 *   library is satisfied by an already loaded one with the same SONAME
 *   (DESIGN.md fact 1), so no LD_LIBRARY_PATH is needed.
 * Windows: the path is converted to UTF-16 and loaded with
 *   LoadLibraryExW(path, NULL, LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR |
 *   LOAD_LIBRARY_SEARCH_DEFAULT_DIRS); before the first load the process's
 *   default search is set once with
 *   SetDefaultDllDirectories(LOAD_LIBRARY_SEARCH_DEFAULT_DIRS) (fact 9;
 *   this is process-wide: the current directory and PATH are no longer
 *   searched by plain LoadLibrary calls of the host either). An import of a
 *   DLL already loaded under the same base name uses that DLL. */
typedef struct rimport__dl rimport__dl;

/* Loads the library at `abs_path` (UTF-8). 0 and *out; RIMPORT_EINVAL for
 * a path that is not absolute; RIMPORT_ELOAD with a message naming the
 * path, the OS message (dlerror / FormatMessageW) and what to do;
 * RIMPORT_ENOMEM. Loading one path twice gives two handles of one loaded
 * library. Thread-safe. */
int rimport__dl_open(const char *abs_path, rimport__dl **out);

/* The address of the exported symbol `name`, or NULL when the library does
 * not export it (no error is set). A function's address is copied out of
 * the result with memcpy. */
void *rimport__dl_sym(rimport__dl *dl, const char *name);

/* Frees the handle's bookkeeping; the library stays loaded. NULL is a
 * no-op. */
void rimport__dl_free(rimport__dl *dl);

/* The file name of the library `name` as the platform's Rust toolchain
 * makes it: prefix "lib" (unix) or "" (Windows), suffix ".so", ".dylib"
 * (macOS) or ".dll". */
const char *rimport__dl_prefix(void);
const char *rimport__dl_ext(void);

#endif
