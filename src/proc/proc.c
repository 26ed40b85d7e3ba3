/* Running one child process on a private libuv loop. See proc.h.
 *
 * Every call owns its loop and handles (nothing global), so threads may run
 * children at the same time: libuv keeps its SIGCHLD bookkeeping per loop.
 * The run ends when the child has exited and both pipes are closed. After a
 * kill (timeout, cancel) pipes still held open by a process that escaped
 * the kill are closed after a short grace period instead of waited for. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <string.h>
#include <uv.h>

#include "proc.h"
#include "../platform.h"

#define PROC_DEFAULT_CAPTURE ((size_t)16 << 20)
#define PROC_CANCEL_POLL_MS  50
/* How long to wait for pipes to reach EOF once the child is gone after a
 * kill (a process outside the tree may still hold them). */
#define PROC_KILL_GRACE_MS 500
#define PROC_READ_CHUNK    65536

typedef struct proc_stream {
  uv_pipe_t pipe;
  int open; /* initialized and not yet closed */
  int reading;
  rimport_buf *capture;
  int *truncated;
  rimport__proc_data_cb cb;
  char chunk[PROC_READ_CHUNK];
} proc_stream;

typedef struct proc_run {
  uv_loop_t loop;
  uv_process_t process;
  uv_timer_t timeout_timer;
  uv_timer_t cancel_timer;
  uv_timer_t grace_timer;
  int process_open, timeout_open, cancel_open, grace_open;
  int exited;
  int killed;
  int nomem;
  proc_stream out, err;
  rimport__proc_tree *tree;
  const rimport__proc_opts *opts;
  rimport__proc_result *result;
  size_t max_capture;
  rimport_buf cwd; /* opts->cwd as the child gets it */
} proc_run;

static void close_handle(uv_handle_t *h, int *open) {
  if (*open) {
    *open = 0;
    uv_close(h, NULL);
  }
}

static void close_stream(proc_stream *s) {
  if (s->reading) {
    uv_read_stop((uv_stream_t *)&s->pipe);
    s->reading = 0;
  }
  close_handle((uv_handle_t *)&s->pipe, &s->open);
}

/* Ends the run once the child is gone and both pipes are closed. */
static void maybe_finish(proc_run *run) {
  if (!run->exited || run->out.open || run->err.open)
    return;
  close_handle((uv_handle_t *)&run->timeout_timer, &run->timeout_open);
  close_handle((uv_handle_t *)&run->cancel_timer, &run->cancel_open);
  close_handle((uv_handle_t *)&run->grace_timer, &run->grace_open);
  close_handle((uv_handle_t *)&run->process, &run->process_open);
}

static void grace_cb(uv_timer_t *t) {
  proc_run *run = t->data;
  close_stream(&run->out);
  close_stream(&run->err);
  maybe_finish(run);
}

static void start_grace(proc_run *run) {
  if (run->grace_open && run->killed && run->exited)
    uv_timer_start(&run->grace_timer, grace_cb, PROC_KILL_GRACE_MS, 0);
}

static void kill_tree(proc_run *run) {
  run->killed = 1;
  if (rimport__proc_tree_kill(run->tree) != 0 && !run->exited)
    uv_process_kill(&run->process, SIGKILL);
  start_grace(run);
}

static void exit_cb(uv_process_t *p, int64_t exit_status, int term_signal) {
  proc_run *run = p->data;
  /* A tree kill is SIGKILL on every platform (Windows, which has no
   * signals, recognizes its own kill by the exit code). */
  if (term_signal == 0 && run->killed &&
      rimport__proc_tree_killed_it(run->tree, exit_status))
    term_signal = SIGKILL;
  run->exited = 1;
  run->result->exit_status = exit_status;
  run->result->term_signal = term_signal;
  start_grace(run);
  maybe_finish(run);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  proc_stream *s = h->data;
  (void)suggested;
  *buf = uv_buf_init(s->chunk, sizeof(s->chunk));
}

static proc_run *stream_run(uv_stream_t *stream) {
  return stream->loop->data;
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  proc_stream *s = stream->data;
  proc_run *run = stream_run(stream);
  if (nread < 0) { /* UV_EOF or a read error: this stream is done */
    close_stream(s);
    maybe_finish(run);
    return;
  }
  if (nread == 0)
    return;
  if (s->cb != NULL)
    s->cb(buf->base, (size_t)nread, run->opts->payload);
  if (s->capture->size < run->max_capture && !run->nomem) {
    size_t room = run->max_capture - s->capture->size;
    size_t n = (size_t)nread < room ? (size_t)nread : room;
    if (rimport__buf_put(s->capture, buf->base, n) != 0)
      run->nomem = 1;
    if (n < (size_t)nread)
      *s->truncated = 1;
  } else {
    *s->truncated = 1;
  }
}

static void timeout_cb(uv_timer_t *t) {
  proc_run *run = t->data;
  /* A child that has exited but left a process holding its pipes: stop
   * that tree too, but the child itself finished in time. */
  if (!run->exited)
    run->result->timed_out = 1;
  kill_tree(run);
}

static void cancel_cb(uv_timer_t *t) {
  proc_run *run = t->data;
  if (atomic_load(run->opts->cancel) && !run->killed) {
    if (!run->exited)
      run->result->canceled = 1;
    uv_timer_stop(t);
    kill_tree(run);
  }
}

/* The environment for the child: this process's, with opts->env applied.
 * *out is a NULL-terminated array whose strings live in one allocation
 * after the pointers. */
static int build_env(const char *const *overrides, char ***out) {
  uv_env_item_t *items = NULL;
  int count = 0, i, rc;
  size_t n_over = 0, j, k, n = 0, bytes = 0;
  char **env, *p;

  *out = NULL;
  while (overrides[n_over] != NULL)
    n_over++;
  rc = uv_os_environ(&items, &count);
  if (rc != 0)
    return rimport__error_set(RIMPORT_ESPAWN,
                              "reading this process's environment failed: "
                              "%s; a child process cannot be started",
                              uv_strerror(rc));
  for (i = 0; i < count; i++)
    bytes += strlen(items[i].name) + strlen(items[i].value) + 2;
  for (j = 0; j < n_over; j++)
    bytes += strlen(overrides[j]) + 1;
  env = rimport__malloc(((size_t)count + n_over + 1) * sizeof(char *) + bytes);
  if (env == NULL) {
    uv_os_free_environ(items, count);
    return rimport__error_nomem();
  }
  p = (char *)(env + (size_t)count + n_over + 1);
  /* Inherited variables that no override names. */
  for (i = 0; i < count; i++) {
    size_t nlen = strlen(items[i].name), vlen = strlen(items[i].value);
    int replaced = 0;
    for (j = 0; j < n_over && !replaced; j++) {
      const char *eq = strchr(overrides[j], '=');
      size_t olen = eq ? (size_t)(eq - overrides[j]) : strlen(overrides[j]);
      replaced =
          rimport__env_name_equal(items[i].name, nlen, overrides[j], olen);
    }
    if (replaced)
      continue;
    env[n++] = p;
    memcpy(p, items[i].name, nlen);
    p[nlen] = '=';
    memcpy(p + nlen + 1, items[i].value, vlen + 1);
    p += nlen + vlen + 2;
  }
  /* Overrides that set a value; the last one for a name wins. */
  for (j = 0; j < n_over; j++) {
    const char *eq = strchr(overrides[j], '=');
    size_t olen, len = strlen(overrides[j]);
    int later = 0;
    if (eq == NULL)
      continue;
    olen = (size_t)(eq - overrides[j]);
    for (k = j + 1; k < n_over && !later; k++) {
      const char *eq2 = strchr(overrides[k], '=');
      size_t l2 = eq2 ? (size_t)(eq2 - overrides[k]) : strlen(overrides[k]);
      later = rimport__env_name_equal(overrides[j], olen, overrides[k], l2);
    }
    if (later)
      continue;
    env[n++] = p;
    memcpy(p, overrides[j], len + 1);
    p += len + 1;
  }
  env[n] = NULL;
  uv_os_free_environ(items, count);
  *out = env;
  return 0;
}

static int spawn_error(const rimport__proc_opts *opts, int uv_rc,
                       unsigned long os_error) {
  rimport_buf line = RIMPORT_BUF_INIT;
  const char *hint;
  char os_text[48] = "";
  int rc;
  if (uv_rc == UV_ENOENT)
    hint = "check that the program is installed and on PATH, or give its "
           "full path";
  else if (uv_rc == UV_EACCES || uv_rc == UV_EPERM)
    hint = "check that the file is an executable program and that you may "
           "run it";
  else if (uv_rc == UV_ENOMEM || uv_rc == UV_EAGAIN)
    hint = "the system is out of memory or processes; close some programs "
           "and try again";
  else
    hint = "check the program path and the working directory";
  if (uv_rc == UV_UNKNOWN && os_error != 0)
    snprintf(os_text, sizeof(os_text), ", system error %lu", os_error);
  rimport__proc_format_argv(&line, opts->args);
  rc = rimport__error_set(
      RIMPORT_ESPAWN,
      "starting \"%s\" failed: %s (%s%s)%s%s%s; command: %s; %s", opts->file,
      uv_strerror(uv_rc), uv_err_name(uv_rc), os_text,
      opts->cwd ? " (working directory \"" : "", opts->cwd ? opts->cwd : "",
      opts->cwd ? "\")" : "", line.ptr ? line.ptr : opts->file, hint);
  rimport_buf_dispose(&line);
  return rc;
}

static void result_reset(rimport__proc_result *result) {
  rimport__proc_result init = RIMPORT__PROC_RESULT_INIT;
  *result = init;
}

/* The child's stdin: the file opts->stdin_path (its descriptor into *fd,
 * closed by the caller after the spawn), else the null device. */
static int stdin_of(const rimport__proc_opts *opts, uv_stdio_container_t *in,
                    uv_file *fd) {
  uv_fs_t req;
  *fd = -1;
  in->flags = UV_IGNORE; /* libuv opens /dev/null (NUL) for it */
  if (opts->stdin_path == NULL)
    return 0;
  *fd = uv_fs_open(NULL, &req, opts->stdin_path, UV_FS_O_RDONLY, 0, NULL);
  uv_fs_req_cleanup(&req);
  if (*fd < 0)
    return rimport__error_set(RIMPORT_EIO,
                              "running %s: opening its input \"%s\" failed: "
                              "%s",
                              opts->file, opts->stdin_path, uv_strerror(*fd));
  in->flags = UV_INHERIT_FD;
  in->data.fd = *fd;
  return 0;
}

static int run_child(proc_run *run, char **env) {
  const rimport__proc_opts *opts = run->opts;
  uv_process_options_t po;
  uv_stdio_container_t stdio[3];
  uv_fs_t req;
  uv_file in_fd;
  unsigned long os_error;
  int rc;

  memset(&po, 0, sizeof(po));
  memset(stdio, 0, sizeof(stdio));
  if ((rc = stdin_of(opts, &stdio[0], &in_fd)) != 0) {
    close_stream(&run->out);
    close_stream(&run->err);
    return rc;
  }
  stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[1].data.stream = (uv_stream_t *)&run->out.pipe;
  stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[2].data.stream = (uv_stream_t *)&run->err.pipe;
  po.exit_cb = exit_cb;
  po.file = opts->file;
  po.args = (char **)opts->args;
  po.env = env;
  if (opts->cwd != NULL) {
    if ((rc = rimport__proc_child_cwd(opts->cwd, &run->cwd)) != 0) {
      if (in_fd >= 0) {
        uv_fs_close(NULL, &req, in_fd, NULL);
        uv_fs_req_cleanup(&req);
      }
      close_stream(&run->out);
      close_stream(&run->err);
      return rc;
    }
    po.cwd = run->cwd.ptr;
  }
  po.flags = rimport__proc_spawn_flags();
  po.stdio_count = 3;
  po.stdio = stdio;

  run->process.data = run;
  rc = uv_spawn(&run->loop, &run->process, &po);
  os_error = rc != 0 ? rimport__proc_spawn_os_error() : 0;
  run->process_open = 1; /* closed even after a failed spawn */
  if (in_fd >= 0) {      /* the child has its own copy */
    uv_fs_close(NULL, &req, in_fd, NULL);
    uv_fs_req_cleanup(&req);
  }
  if (rc != 0) {
    close_stream(&run->out);
    close_stream(&run->err);
    close_handle((uv_handle_t *)&run->process, &run->process_open);
    return spawn_error(opts, rc, os_error);
  }
  if ((rc = rimport__proc_tree_open(run->process.pid, &run->tree)) != 0) {
    uv_process_kill(&run->process, SIGKILL);
    run->nomem = 1;
  }
  run->out.reading =
      uv_read_start((uv_stream_t *)&run->out.pipe, alloc_cb, read_cb) == 0;
  if (!run->out.reading)
    close_stream(&run->out);
  run->err.reading =
      uv_read_start((uv_stream_t *)&run->err.pipe, alloc_cb, read_cb) == 0;
  if (!run->err.reading)
    close_stream(&run->err);
  if (opts->timeout_ms > 0)
    uv_timer_start(&run->timeout_timer, timeout_cb, opts->timeout_ms, 0);
  if (opts->cancel != NULL)
    uv_timer_start(&run->cancel_timer, cancel_cb, 0, PROC_CANCEL_POLL_MS);
  return 0;
}

static int init_handles(proc_run *run) {
  int rc;
  if ((rc = uv_loop_init(&run->loop)) != 0)
    return rc;
  run->loop.data = run;
  uv_pipe_init(&run->loop, &run->out.pipe, 0);
  run->out.open = 1;
  run->out.pipe.data = &run->out;
  uv_pipe_init(&run->loop, &run->err.pipe, 0);
  run->err.open = 1;
  run->err.pipe.data = &run->err;
  uv_timer_init(&run->loop, &run->timeout_timer);
  run->timeout_timer.data = run;
  run->timeout_open = 1;
  uv_timer_init(&run->loop, &run->cancel_timer);
  run->cancel_timer.data = run;
  run->cancel_open = 1;
  uv_timer_init(&run->loop, &run->grace_timer);
  run->grace_timer.data = run;
  run->grace_open = 1;
  return 0;
}

static void close_all_cb(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static void shutdown_loop(proc_run *run) {
  /* Normally every handle is closed by now; this is the safety net. */
  while (uv_loop_close(&run->loop) == UV_EBUSY) {
    uv_walk(&run->loop, close_all_cb, NULL);
    uv_run(&run->loop, UV_RUN_DEFAULT);
  }
}

int rimport__proc_run(const rimport__proc_opts *opts,
                      rimport__proc_result *result) {
  proc_run *run;
  char **env = NULL;
  uint64_t start;
  int rc;

  if (opts == NULL || result == NULL || opts->file == NULL ||
      opts->args == NULL || opts->args[0] == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport__proc_run: the program and its argv "
                              "(with args[0]) must be given");
  result_reset(result);
  if (rimport__buf_grow(&result->out, 0) != 0 ||
      rimport__buf_grow(&result->err, 0) != 0) {
    rimport__proc_result_dispose(result);
    return RIMPORT_ENOMEM;
  }
  if (opts->env != NULL && (rc = build_env(opts->env, &env)) != 0)
    return rc;
  run = rimport__calloc(1, sizeof(*run));
  if (run == NULL) {
    rimport__free(env);
    return rimport__error_nomem();
  }
  run->opts = opts;
  run->result = result;
  run->max_capture =
      opts->max_capture ? opts->max_capture : PROC_DEFAULT_CAPTURE;
  run->out.capture = &result->out;
  run->out.truncated = &result->out_truncated;
  run->out.cb = opts->on_stdout;
  run->err.capture = &result->err;
  run->err.truncated = &result->err_truncated;
  run->err.cb = opts->on_stderr;

  if ((rc = init_handles(run)) != 0) {
    rimport__free(run);
    rimport__free(env);
    return rimport__error_set(RIMPORT_ESPAWN,
                              "creating an event loop for \"%s\" failed: %s",
                              opts->file, uv_strerror(rc));
  }
  start = uv_hrtime();
  rc = run_child(run, env);
  if (rc != 0) {
    /* Only the timers are still open. */
    run->exited = 1;
    maybe_finish(run);
  }
  uv_run(&run->loop, UV_RUN_DEFAULT);
  result->duration_ns = uv_hrtime() - start;
  shutdown_loop(run);
  rimport__proc_tree_close(run->tree);
  rimport_buf_dispose(&run->cwd);
  rimport__free(env);

  if (rc == 0 && run->nomem)
    rc = rimport__error_nomem();
  if (rc == 0 && (result->timed_out || result->canceled)) {
    rimport_buf line = RIMPORT_BUF_INIT;
    rimport__proc_format_argv(&line, opts->args);
    if (result->timed_out)
      rc = rimport__error_set(
          RIMPORT_ETIMEDOUT,
          "`%s` did not finish within %u ms and was stopped (its process "
          "tree was killed); raise the time limit if it is just slow, or "
          "run the command by hand to see why it hangs",
          line.ptr ? line.ptr : opts->file, opts->timeout_ms);
    else
      rc = rimport__error_set(RIMPORT_ECANCELED,
                              "`%s` was canceled and stopped (its process "
                              "tree was killed)",
                              line.ptr ? line.ptr : opts->file);
    rimport_buf_dispose(&line);
  }
  rimport__free(run);
  return rc;
}

void rimport__proc_result_dispose(rimport__proc_result *result) {
  if (result == NULL)
    return;
  rimport_buf_dispose(&result->out);
  rimport_buf_dispose(&result->err);
  result_reset(result);
}

/* Characters that never need quoting in a POSIX shell word. */
static int shell_safe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || strchr("@%+=:,./_-", c) != NULL;
}

int rimport__proc_format_argv(rimport_buf *out, const char *const *args) {
  size_t i;
  const char *p;
  int rc = 0;
  for (i = 0; args != NULL && args[i] != NULL && rc == 0; i++) {
    int plain = args[i][0] != '\0';
    if (i > 0)
      rc = rimport__buf_putc(out, ' ');
    for (p = args[i]; *p != '\0' && plain; p++)
      plain = shell_safe(*p);
    if (rc != 0)
      break;
    if (plain) {
      rc = rimport__buf_puts(out, args[i]);
      continue;
    }
    rc = rimport__buf_putc(out, '\'');
    for (p = args[i]; *p != '\0' && rc == 0; p++)
      rc = *p == '\'' ? rimport__buf_puts(out, "'\\''")
                      : rimport__buf_putc(out, *p);
    if (rc == 0)
      rc = rimport__buf_putc(out, '\'');
  }
  if (rc == 0 && out->ptr == NULL)
    rc = rimport__buf_grow(out, 0);
  return rc;
}
