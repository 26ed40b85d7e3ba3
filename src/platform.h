/* The one header in front of platform code (src/unix/, src/win/). Stages
 * include it and never test _WIN32 themselves. File system calls that libuv
 * already makes portable live in src/common/fs.c, not here. */
#ifndef RIMPORT_SRC_PLATFORM_H
#define RIMPORT_SRC_PLATFORM_H

#include <stddef.h>

#include "rimport.h"

/* Path list separator of PATH (':' or ';') and the preferred directory
 * separator ('/' or '\\'). */
extern const char rimport__path_list_sep;
extern const char rimport__dir_sep;

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
 *   a child that ended normally may leave helpers running, as on unix. */
typedef struct rimport__proc_tree rimport__proc_tree;

/* uv_process_options_t.flags that the platform needs (see above). */
unsigned int rimport__proc_spawn_flags(void);

/* Starts tracking the tree of the just-spawned child `pid`. 0, or
 * RIMPORT_ENOMEM. A tree whose job could not be set up still works, with
 * the fallback described above. */
int rimport__proc_tree_open(int pid, rimport__proc_tree **out);

/* Kills every process of the tree that can still be reached. 0 when a kill
 * was sent, -1 when nothing was left to kill. Safe to call repeatedly, also
 * after the child itself has been reaped. */
int rimport__proc_tree_kill(rimport__proc_tree *tree);

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

#endif
