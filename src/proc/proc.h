/* Running a child process through libuv: an argv (never a shell), optional
 * cwd and environment overrides, captured or streamed stdout/stderr, a
 * timeout that kills the whole process tree, and cancellation. */
#ifndef RIMPORT_SRC_PROC_H
#define RIMPORT_SRC_PROC_H

#include <stdatomic.h>
#include <stdint.h>

#include "../common/common.h"

/* Called with each chunk a stream delivers (not split at lines). */
typedef void (*rimport__proc_data_cb)(const char *data, size_t len,
                                      void *payload);

typedef struct rimport__proc_opts {
  const char *file;        /* program: a path, or a name looked up on PATH */
  const char *const *args; /* argv, args[0] included, NULL-terminated */
  const char *cwd;         /* NULL: inherit */
  const char *stdin_path; /* a file to read stdin from; NULL: the null device */
  /* "NAME=value" entries that override or add to the inherited environment,
   * and "NAME" entries (no '=') that remove a variable; NULL-terminated or
   * NULL. */
  const char *const *env;
  unsigned int timeout_ms; /* 0: no limit */
  /* Bytes kept per stream in the result; more is drained and dropped, and
   * the result says it was truncated. 0: 16 MiB. */
  size_t max_capture;
  rimport__proc_data_cb on_stdout; /* NULL: only capture */
  rimport__proc_data_cb on_stderr;
  void *payload;
  /* When non-NULL and set to non-zero from another thread, the child tree is
   * killed and the run ends with RIMPORT_ECANCELED. */
  const atomic_int *cancel;
} rimport__proc_opts;

typedef struct rimport__proc_result {
  int64_t exit_status; /* valid when term_signal == 0 */
  /* Non-zero when a signal ended the child. A kill of its tree (timeout,
   * cancel) is SIGKILL on every platform, Windows included. */
  int term_signal;
  int timed_out;
  int canceled;
  rimport_buf out; /* captured stdout (NUL-terminated) */
  rimport_buf err; /* captured stderr */
  int out_truncated;
  int err_truncated;
  uint64_t duration_ns;
} rimport__proc_result;

#define RIMPORT__PROC_RESULT_INIT                                              \
  { 0, 0, 0, 0, RIMPORT_BUF_INIT, RIMPORT_BUF_INIT, 0, 0, 0 }

/* Runs the child to its end on a private event loop (thread-safe: nothing is
 * shared between calls). Returns 0 when the child ran and ended, whatever its
 * exit status (the caller judges it); RIMPORT_ESPAWN when it could not start
 * (message names the program and the OS reason); RIMPORT_ETIMEDOUT or
 * RIMPORT_ECANCELED after killing the tree (result still filled);
 * RIMPORT_EINVAL without file/args; RIMPORT_ENOMEM.
 *
 * `result` must hold no memory (RIMPORT__PROC_RESULT_INIT or disposed); it
 * is filled on every return that got as far as running (out/err are ""
 * rather than NULL), and must be disposed whatever the return value.
 *
 * Details: stdin is the null device. The child is spawned in a way that
 * lets its whole tree be killed (src/platform.h: rimport__proc_tree_*; on
 * unix it leads a new session, so it does not get the terminal's Ctrl-C).
 * opts->cancel is polled every 50 ms. The run ends when the child has
 * exited and both pipes reached EOF; after a kill, pipes still held open by
 * a process that escaped the kill are closed 500 ms after the child's exit.
 * When the time limit passes after the child itself exited (a process it
 * left behind holds its pipes), that tree is killed the same way but the
 * run still counts as finished in time (0, timed_out == 0). */
int rimport__proc_run(const rimport__proc_opts *opts,
                      rimport__proc_result *result);

void rimport__proc_result_dispose(rimport__proc_result *result);

/* Formats argv as a line a person can read and paste (quoted where
 * needed, POSIX shell style: 'a b', 'it'\''s', ''), for error messages
 * only (nothing ever runs it). Appends to out. */
int rimport__proc_format_argv(rimport_buf *out, const char *const *args);

/* An argv (or environment) under construction: NULL-terminated `v`.
 * Adding never needs a check in between: the first failure is kept in
 * `rc`, later adds do nothing and return it, so a caller adds everything
 * and looks once at the end. */
typedef struct rimport__argv {
  const char **v;
  size_t count, cap;
  char **owned; /* what addf made */
  size_t owned_count, owned_cap;
  int rc; /* 0, or the first failure */
} rimport__argv;

#define RIMPORT__ARGV_INIT                                                     \
  { NULL, 0, 0, NULL, 0, 0, 0 }

/* Adds one string (borrowed: it must outlive the argv). Returns a->rc. */
int rimport__argv_add(rimport__argv *a, const char *s);
/* Adds every string up to a NULL (borrowed). Returns a->rc. */
int rimport__argv_addv(rimport__argv *a, ...);
/* Adds a formatted string (owned by the argv). Returns a->rc. */
int rimport__argv_addf(rimport__argv *a, const char *fmt, ...)
    RIMPORT__PRINTF(2, 3);
/* Frees it and makes it RIMPORT__ARGV_INIT again. */
void rimport__argv_dispose(rimport__argv *a);

#endif
