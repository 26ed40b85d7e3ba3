/* Child processes (src/proc): the test binary re-runs itself as the child
 * (`--child <name> …`, see child_main). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <uv.h>

#include "support.h"
#include "common/common.h"
#include "common/fs.h"
#include "platform.h"
#include "proc/proc.h"

/* ------------------------------------------------------------ children */

static void write_pid_file(const char *path) {
  char tmp[4200];
  FILE *f;
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  f = fopen(tmp, "w");
  if (f == NULL)
    exit(3);
  fprintf(f, "%d\n", (int)uv_os_getpid());
  fclose(f);
  rename(tmp, path); /* readers never see a partial pid */
}

/* Starts `<self> --child <name> <arg>` without waiting for it; stdout and
 * stderr are inherited, so the grandchild holds our pipes. */
static void spawn_self(const char *name, const char *arg, unsigned int flags) {
  const char *args[] = {name, arg, NULL};
  rimport_test_child_forget(rimport_test_child_start(args, flags));
}

/* exit <status>: prints to both */
static int child_exit(int argc, char **argv) {
  fputs("to stdout\n", stdout);
  fputs("to stderr\n", stderr);
  return argc > 1 ? atoi(argv[1]) : 0;
}

static int child_crash(int argc, char **argv) {
  (void)argc;
  (void)argv;
  rimport_test_die(RIMPORT_TEST_KILLED); /* SIGKILL; Windows: terminated */
  return 1;
}

/* env NAME…: prints each value */
static int child_env(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++) {
    const char *v = getenv(argv[i]);
    printf("%s%s%s\n", argv[i], v ? "=" : " unset", v ? v : "");
  }
  return 0;
}

static int child_cwd(int argc, char **argv) {
  char buf[4096];
  size_t n = sizeof(buf);
  (void)argc;
  (void)argv;
  if (uv_cwd(buf, &n) != 0)
    return 1;
  printf("%s", buf);
  return 0;
}

/* sleeper [<pidfile>] */
static int child_sleeper(int argc, char **argv) {
  if (argc > 1)
    write_pid_file(argv[1]);
  uv_sleep(60000);
  return 0;
}

/* spawner <pidfile>: hangs */
static int child_spawner(int argc, char **argv) {
  (void)argc;
  spawn_self("sleeper", argv[1], 0);
  if (!rimport_test_wait_for_file(argv[1], 5000))
    return 4;
  fputs("grandchild started\n", stdout);
  fflush(stdout);
  uv_sleep(60000);
  return 0;
}

/* escaper <pidfile>: returns */
static int child_escaper(int argc, char **argv) {
  (void)argc;
  /* The grandchild leaves our session (UV_PROCESS_DETACHED: setsid), so
   * a tree kill cannot reach it, and it keeps our stdout open. (On
   * Windows it stays in our job: see the case.) */
  spawn_self("sleeper", argv[1], RIMPORT_TEST_CHILD_DETACHED);
  if (!rimport_test_wait_for_file(argv[1], 5000))
    return 4;
  return 0;
}

/* flood <megabytes> */
static int child_flood(int argc, char **argv) {
  static char block[65536];
  long i, n = atol(argv[1]) * 16;
  (void)argc;
  memset(block, 'x', sizeof(block));
  for (i = 0; i < n; i++)
    if (fwrite(block, 1, sizeof(block), stdout) != sizeof(block))
      return 5;
  fputs("flood done\n", stderr);
  return 0;
}

/* echo <text> <ms>: sleeps, prints */
static int child_echo(int argc, char **argv) {
  (void)argc;
  uv_sleep((unsigned int)atoi(argv[2]));
  printf("%s\n", argv[1]);
  return 0;
}

/* cat: copies stdin to stdout, then says how many bytes it read */
static int child_cat(int argc, char **argv) {
  char block[4096];
  size_t n, total = 0;
  (void)argc;
  (void)argv;
  while ((n = fread(block, 1, sizeof(block), stdin)) > 0) {
    fwrite(block, 1, n, stdout);
    total += n;
  }
  fprintf(stderr, "read %zu\n", total);
  return 0;
}

static int child_main(int argc, char **argv) {
  static const rimport_test_child_def children[] = {
      {"cat", child_cat, 1},         {"exit", child_exit, 1},
      {"crash", child_crash, 1},     {"env", child_env, 1},
      {"cwd", child_cwd, 1},         {"sleeper", child_sleeper, 1},
      {"spawner", child_spawner, 2}, {"escaper", child_escaper, 2},
      {"flood", child_flood, 2},     {"echo", child_echo, 3},
  };
  return rimport_test_child_dispatch(children, RIMPORT__ARRAY_SIZE(children),
                                     argc, argv);
}

/* --------------------------------------------------------------- helpers */

static void opts_for(rimport__proc_opts *opts, const char **args) {
  memset(opts, 0, sizeof(*opts));
  opts->file = args[0];
  opts->args = args;
}

static int read_pid(const char *path) {
  rimport_buf text = RIMPORT_BUF_INIT;
  int pid;
  assert_int_equal(rimport__fs_read_file(path, 100, &text), 0);
  pid = atoi(text.ptr);
  rimport_buf_dispose(&text);
  return pid;
}

static int gone_within(int pid, unsigned int ms) {
  unsigned int waited;
  for (waited = 0; waited <= ms; waited += 20) {
    if (!rimport__proc_alive(pid))
      return 1;
    uv_sleep(20);
  }
  return 0;
}

/* ----------------------------------------------------------------- tests */

static void proc_exit_status_and_capture(void **state) {
  static const char *const child[] = {"exit", "7", NULL};
  const char *args[8];
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  (void)state;
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
  opts_for(&opts, args);
  assert_int_equal(rimport__proc_run(&opts, &res), 0);
  assert_int_equal(res.exit_status, 7);
  assert_int_equal(res.term_signal, 0);
  assert_string_equal(res.out.ptr, "to stdout\n");
  assert_string_equal(res.err.ptr, "to stderr\n");
  assert_false(res.out_truncated || res.err_truncated || res.timed_out ||
               res.canceled);
  assert_true(res.duration_ns > 0);
  rimport__proc_result_dispose(&res);
}

/* stdin: the null device by default, or a file the caller names. */
static void proc_stdin_from_a_file(void **state) {
  static const char *const child[] = {"cat", NULL};
  const char *args[8];
  char input[4200];
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  (void)state;
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
  opts_for(&opts, args);
  assert_int_equal(rimport__proc_run(&opts, &res), 0);
  assert_string_equal(res.out.ptr, "");
  assert_string_equal(res.err.ptr, "read 0\n");
  rimport__proc_result_dispose(&res);
  snprintf(input, sizeof(input), "%s/input.txt",
           rimport_test_tmpdir("proc_stdin"));
  rimport_test_write_file(input, "line one\nline two\n");
  opts.stdin_path = input;
  assert_int_equal(rimport__proc_run(&opts, &res), 0);
  assert_int_equal(res.exit_status, 0);
  assert_string_equal(res.out.ptr, "line one\nline two\n");
  assert_string_equal(res.err.ptr, "read 18\n");
  rimport__proc_result_dispose(&res);
  /* A missing input: an error naming it, and no child. */
  strcat(input, ".missing");
  rimport_test_assert_error(rimport__proc_run(&opts, &res), RIMPORT_EIO,
                            "input.txt.missing");
  rimport__proc_result_dispose(&res);
}

static void proc_signal_is_reported(void **state) {
  static const char *const child[] = {"crash", NULL};
  const char *args[8];
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  (void)state;
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
  opts_for(&opts, args);
  assert_int_equal(rimport__proc_run(&opts, &res), 0);
  rimport_test_assert_died(res.exit_status, res.term_signal,
                           RIMPORT_TEST_KILLED);
  assert_string_equal(res.out.ptr, ""); /* empty, never NULL */
  rimport__proc_result_dispose(&res);
}

static size_t streamed;

static void count_cb(const char *data, size_t len, void *payload) {
  (void)data;
  assert_ptr_equal(payload, &streamed);
  streamed += len;
}

static void proc_callbacks_see_every_chunk(void **state) {
  static const char *const child[] = {"exit", "0", NULL};
  const char *args[8];
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  (void)state;
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
  opts_for(&opts, args);
  opts.on_stdout = count_cb;
  opts.on_stderr = count_cb;
  opts.payload = &streamed;
  streamed = 0;
  assert_int_equal(rimport__proc_run(&opts, &res), 0);
  assert_int_equal(streamed, strlen("to stdout\n") + strlen("to stderr\n"));
  rimport__proc_result_dispose(&res);
}

static void proc_env_override_and_removal(void **state) {
  static const char *const child[] = {
      "env",           "RIMPORT_T_KEEP", "RIMPORT_T_GONE",
      "RIMPORT_T_NEW", "RIMPORT_T_SET",  NULL};
  static const char *const env[] = {"RIMPORT_T_NEW=hello world",
                                    "RIMPORT_T_GONE", "RIMPORT_T_SET=first",
                                    "RIMPORT_T_SET=second", NULL};
  const char *args[10];
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  (void)state;
  assert_int_equal(uv_os_setenv("RIMPORT_T_KEEP", "kept"), 0);
  assert_int_equal(uv_os_setenv("RIMPORT_T_GONE", "x"), 0);
  assert_int_equal(uv_os_setenv("RIMPORT_T_SET", "old"), 0);
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
  opts_for(&opts, args);
  opts.env = env;
  assert_int_equal(rimport__proc_run(&opts, &res), 0);
  assert_int_equal(res.exit_status, 0);
  assert_string_equal(res.out.ptr, "RIMPORT_T_KEEP=kept\n"
                                   "RIMPORT_T_GONE unset\n"
                                   "RIMPORT_T_NEW=hello world\n"
                                   "RIMPORT_T_SET=second\n");
  rimport__proc_result_dispose(&res);
  uv_os_unsetenv("RIMPORT_T_KEEP");
  uv_os_unsetenv("RIMPORT_T_GONE");
  uv_os_unsetenv("RIMPORT_T_SET");
}

static void proc_cwd(void **state) {
  static const char *const child[] = {"cwd", NULL};
  const char *args[8];
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  rimport_buf real = RIMPORT_BUF_INIT;
  (void)state;
  assert_int_equal(rimport__fs_realpath(rimport_test_tmpdir("proc_cwd"), &real),
                   0);
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
  opts_for(&opts, args);
  opts.cwd = real.ptr;
  assert_int_equal(rimport__proc_run(&opts, &res), 0);
  assert_string_equal(res.out.ptr, real.ptr);
  rimport__proc_result_dispose(&res);
  rimport_buf_dispose(&real);
}

static void proc_spawn_failure_names_program(void **state) {
  static const char *const missing[] = {"/nonexistent/dir/rimport-prog", "x",
                                        NULL};
  static const char *const not_on_path[] = {"rimport-no-such-program-42", NULL};
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  (void)state;
  opts_for(&opts, (const char **)missing);
  rimport_test_assert_error(rimport__proc_run(&opts, &res), RIMPORT_ESPAWN,
                            "\"/nonexistent/dir/rimport-prog\"");
  rimport_test_assert_error(RIMPORT_ESPAWN, RIMPORT_ESPAWN, "ENOENT");
  rimport_test_assert_error(RIMPORT_ESPAWN, RIMPORT_ESPAWN, "full path");
  rimport__proc_result_dispose(&res);
  opts_for(&opts, (const char **)not_on_path);
  rimport_test_assert_error(rimport__proc_run(&opts, &res), RIMPORT_ESPAWN,
                            "rimport-no-such-program-42");
  rimport__proc_result_dispose(&res);
  /* A cwd that does not exist also fails to start, and says so. */
  {
    static const char *const child[] = {"cwd", NULL};
    const char *args[8];
    rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
    opts_for(&opts, args);
    opts.cwd = "/nonexistent/cwd";
    rimport_test_assert_error(rimport__proc_run(&opts, &res), RIMPORT_ESPAWN,
                              "/nonexistent/cwd");
    rimport__proc_result_dispose(&res);
  }
  rimport_error_clear();
}

static void proc_timeout_kills_the_tree(void **state) {
  char pidfile[4200];
  const char *child[3];
  const char *args[8];
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  int pid;
  (void)state;
  snprintf(pidfile, sizeof(pidfile), "%s/grandchild.pid",
           rimport_test_tmpdir("proc_timeout"));
  child[0] = "spawner";
  child[1] = pidfile;
  child[2] = NULL;
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
  opts_for(&opts, args);
  opts.timeout_ms = 1500;
  rimport_test_assert_error(rimport__proc_run(&opts, &res), RIMPORT_ETIMEDOUT,
                            "did not finish within 1500 ms and was stopped "
                            "(its process tree was killed)");
  assert_true(res.timed_out);
  assert_int_equal(res.term_signal, SIGKILL);
  assert_string_equal(res.out.ptr, "grandchild started\n");
  assert_true(res.duration_ns < 10ull * 1000 * 1000 * 1000);
  pid = read_pid(pidfile);
  assert_true(pid > 0);
  assert_true(gone_within(pid, 3000));
  rimport__proc_result_dispose(&res);
  rimport_error_clear();
}

static void proc_escaped_grandchild_does_not_hang(void **state) {
  char pidfile[4200];
  const char *child[3];
  const char *args[8];
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  int pid;
  (void)state;
  snprintf(pidfile, sizeof(pidfile), "%s/escaped.pid",
           rimport_test_tmpdir("proc_escaped"));
  child[0] = "escaper";
  child[1] = pidfile;
  child[2] = NULL;
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
  opts_for(&opts, args);
  opts.timeout_ms = 1000;
  /* The child itself ends at once; its escaped grandchild keeps stdout
   * open until the time limit, when the pipes are given up (and the tree
   * is killed). */
  assert_int_equal(rimport__proc_run(&opts, &res), 0);
  assert_int_equal(res.exit_status, 0);
  assert_false(res.timed_out);
  assert_true(res.duration_ns < 10ull * 1000 * 1000 * 1000);
  pid = read_pid(pidfile);
  if (rimport_test_detached_escapes_tree_kill()) {
    assert_true(rimport__proc_alive(pid)); /* it escaped: clean it up */
    assert_int_equal(uv_kill(pid, SIGKILL), 0);
  }
  /* Windows: a detached process stays in the child's job, which the time
   * limit killed. */
  assert_true(gone_within(pid, 3000));
  rimport__proc_result_dispose(&res);
}

static void proc_flood_is_truncated(void **state) {
  static const char *const child[] = {"flood", "50", NULL};
  const char *args[8];
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  (void)state;
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
  opts_for(&opts, args);
  opts.max_capture = (size_t)1 << 20;
  opts.on_stdout = count_cb;
  opts.payload = &streamed;
  opts.timeout_ms = 120000;
  streamed = 0;
  assert_int_equal(rimport__proc_run(&opts, &res), 0);
  assert_int_equal(res.exit_status, 0);
  assert_int_equal(streamed, (size_t)50 << 20); /* all of it was read */
  assert_int_equal(res.out.size, (size_t)1 << 20);
  assert_true(res.out_truncated);
  assert_true(res.out.reserved <= ((size_t)2 << 20) + 64); /* bounded */
  assert_false(res.err_truncated);
  assert_string_equal(res.err.ptr, "flood done\n");
  rimport__proc_result_dispose(&res);
}

typedef struct cancel_arg {
  atomic_int flag;
} cancel_arg;

static void cancel_thread(void *p) {
  cancel_arg *a = p;
  uv_sleep(300);
  atomic_store(&a->flag, 1);
}

static void proc_cancel_from_another_thread(void **state) {
  char pidfile[4200];
  const char *child[3];
  const char *args[8];
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  cancel_arg arg;
  uv_thread_t t;
  int pid;
  (void)state;
  snprintf(pidfile, sizeof(pidfile), "%s/grandchild.pid",
           rimport_test_tmpdir("proc_cancel"));
  child[0] = "spawner";
  child[1] = pidfile;
  child[2] = NULL;
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
  opts_for(&opts, args);
  atomic_init(&arg.flag, 0);
  opts.cancel = &arg.flag;
  assert_int_equal(uv_thread_create(&t, cancel_thread, &arg), 0);
  rimport_test_assert_error(rimport__proc_run(&opts, &res), RIMPORT_ECANCELED,
                            "canceled");
  assert_int_equal(uv_thread_join(&t), 0);
  assert_true(res.canceled);
  assert_false(res.timed_out);
  assert_true(res.duration_ns < 10ull * 1000 * 1000 * 1000);
  if (rimport__fs_is_file(pidfile)) {
    pid = read_pid(pidfile);
    assert_true(gone_within(pid, 3000));
  }
  rimport__proc_result_dispose(&res);
  rimport_error_clear();
}

typedef struct concurrent_arg {
  const char *text;
  int failures;
} concurrent_arg;

static void concurrent_thread(void *p) {
  concurrent_arg *a = p;
  const char *child[4];
  const char *args[8];
  rimport__proc_opts opts;
  int i;
  child[0] = "echo";
  child[1] = a->text;
  child[2] = "200";
  child[3] = NULL;
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
  for (i = 0; i < 4; i++) {
    rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
    char want[64];
    opts_for(&opts, args);
    opts.timeout_ms = 30000;
    snprintf(want, sizeof(want), "%s\n", a->text);
    if (rimport__proc_run(&opts, &res) != 0 || res.exit_status != 0 ||
        strcmp(res.out.ptr, want) != 0)
      a->failures++;
    rimport__proc_result_dispose(&res);
  }
  rimport__error_free_thread();
}

static void proc_two_threads_at_once(void **state) {
  concurrent_arg a = {"first", 0}, b = {"second", 0};
  uv_thread_t ta, tb;
  uint64_t start = uv_hrtime();
  (void)state;
  assert_int_equal(uv_thread_create(&ta, concurrent_thread, &a), 0);
  assert_int_equal(uv_thread_create(&tb, concurrent_thread, &b), 0);
  assert_int_equal(uv_thread_join(&ta), 0);
  assert_int_equal(uv_thread_join(&tb), 0);
  assert_int_equal(a.failures, 0);
  assert_int_equal(b.failures, 0);
  /* 4 runs of 200 ms each per thread; the threads overlapped. */
  assert_true(uv_hrtime() - start < 20ull * 1000 * 1000 * 1000);
}

static void proc_format_argv_quotes(void **state) {
  static const char *const args[] = {"rustc",   "--print", "a b", "it's",
                                     "",        "x$y",     "-C",  "opt=2",
                                     "/p/a.rs", NULL};
  rimport_buf out = RIMPORT_BUF_INIT;
  (void)state;
  assert_int_equal(rimport__proc_format_argv(&out, args), 0);
  assert_string_equal(
      out.ptr, "rustc --print 'a b' 'it'\\''s' '' 'x$y' -C opt=2 /p/a.rs");
  rimport_buf_dispose(&out);
}

static void proc_rejects_missing_argv(void **state) {
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  (void)state;
  memset(&opts, 0, sizeof(opts));
  rimport_test_assert_error(rimport__proc_run(&opts, &res), RIMPORT_EINVAL,
                            "argv");
  rimport_error_clear();
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(proc_exit_status_and_capture),
    cmocka_unit_test(proc_stdin_from_a_file),
    cmocka_unit_test(proc_signal_is_reported),
    cmocka_unit_test(proc_callbacks_see_every_chunk),
    cmocka_unit_test(proc_env_override_and_removal),
    cmocka_unit_test(proc_cwd),
    cmocka_unit_test(proc_spawn_failure_names_program),
    cmocka_unit_test(proc_timeout_kills_the_tree),
    cmocka_unit_test(proc_escaped_grandchild_does_not_hang),
    cmocka_unit_test(proc_flood_is_truncated),
    cmocka_unit_test(proc_cancel_from_another_thread),
    cmocka_unit_test(proc_two_threads_at_once),
    cmocka_unit_test(proc_format_argv_quotes),
    cmocka_unit_test(proc_rejects_missing_argv),
};

RIMPORT_TEST_MAIN(tests, child_main)
