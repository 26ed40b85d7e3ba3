/* Reading cargo: the JSON message stream, the progress line, the errors,
 * and the command line and environment rimport gives it. A fake cargo (this
 * binary as a child) floods, prints garbage, crashes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "support.h"
#include "build/cargo.h"
#include "common/common.h"
#include "proc/proc.h"

static const char artifact_line[] =
    "{\"reason\":\"compiler-artifact\",\"package_id\":\"serde 1.0.152 "
    "(registry+x)\",\"target\":{\"kind\":[\"lib\"],\"crate_types\":[\"lib\"],"
    "\"name\":\"serde\"},\"filenames\":[\"/t/release/deps/"
    "libserde-1.rlib\",\"/t/release/deps/libserde-1.rmeta\"],\"fresh\":true}\n";
static const char error_line[] =
    "{\"reason\":\"compiler-message\",\"package_id\":\"bad 0.1.0\","
    "\"message\":{\"level\":\"error\",\"rendered\":\"error[E0425]: cannot find "
    "value `x` in this scope\\n --> src/lib.rs:2:5\\n\"}}\n";
static const char warning_line[] =
    "{\"reason\":\"compiler-message\",\"message\":{\"level\":\"warning\","
    "\"rendered\":\"warning: unused\\n\"}}\n";
static const char finished_ok[] =
    "{\"reason\":\"build-finished\",\"success\":true}\n";

static void feed_all(rimport__cargo_report *r, const char *s) {
  assert_int_equal(rimport__cargo_feed_stdout(r, s, strlen(s)), 0);
}

static void artifacts_are_read(void **state) {
  rimport__cargo_report r;
  (void)state;
  rimport__cargo_report_init(&r);
  feed_all(&r, artifact_line);
  feed_all(&r, finished_ok);
  assert_int_equal(rimport__cargo_feed_end(&r), 0);
  assert_int_equal(r.artifact_count, 1);
  assert_string_equal(r.artifacts[0].target_name, "serde");
  assert_string_equal(r.artifacts[0].kind, "lib");
  assert_int_equal(r.artifacts[0].filename_count, 2);
  assert_string_equal(r.artifacts[0].filenames[1],
                      "/t/release/deps/libserde-1.rmeta");
  assert_true(r.artifacts[0].fresh);
  assert_true(r.finished);
  assert_true(r.success);
  rimport__cargo_report_dispose(&r);
}

static void lines_split_anywhere(void **state) {
  rimport__cargo_report r;
  char all[4096];
  size_t n, i;
  (void)state;
  snprintf(all, sizeof(all), "%s%s%s%s", artifact_line, error_line,
           warning_line, finished_ok);
  n = strlen(all);
  /* One byte at a time: every split point. */
  rimport__cargo_report_init(&r);
  for (i = 0; i < n; i++)
    assert_int_equal(rimport__cargo_feed_stdout(&r, all + i, 1), 0);
  assert_int_equal(rimport__cargo_feed_end(&r), 0);
  assert_int_equal(r.artifact_count, 1);
  assert_int_equal(r.error_count, 1); /* the warning is not an error */
  assert_non_null(strstr(r.diagnostics.ptr, "error[E0425]"));
  assert_null(strstr(r.diagnostics.ptr, "warning"));
  assert_true(r.finished);
  rimport__cargo_report_dispose(&r);
}

static void last_line_without_newline(void **state) {
  rimport__cargo_report r;
  (void)state;
  rimport__cargo_report_init(&r);
  feed_all(&r, "{\"reason\":\"build-finished\",\"success\":false}");
  assert_false(r.finished);
  assert_int_equal(rimport__cargo_feed_end(&r), 0);
  assert_true(r.finished);
  assert_false(r.success);
  rimport__cargo_report_dispose(&r);
}

static void garbage_is_kept_aside(void **state) {
  rimport__cargo_report r;
  int i;
  (void)state;
  rimport__cargo_report_init(&r);
  feed_all(&r, "hello from a build script\n{not json\n\x01\x02\xff\n");
  feed_all(&r, "{\"no_reason\":1}\n[1,2]\n{\"reason\":42}\n");
  feed_all(&r, "{\"reason\":\"compiler-artifact\"}\n"); /* no fields */
  for (i = 0; i < 1000; i++)
    feed_all(&r, "more noise, more noise, more noise\n");
  assert_int_equal(rimport__cargo_feed_end(&r), 0);
  assert_non_null(strstr(r.stdout_noise.ptr, "hello from a build script"));
  assert_true(r.stdout_noise.size <= 4096);
  assert_int_equal(r.artifact_count, 1);
  assert_null(r.artifacts[0].target_name);
  assert_int_equal(r.artifacts[0].filename_count, 0);
  assert_false(r.finished);
  rimport__cargo_report_dispose(&r);
}

/* Every report must be cargo building reqwest's plugin. */
static void build_log(rimport_test_progress *log) {
  memset(log, 0, sizeof(*log));
  log->want_phase = RIMPORT_PROGRESS_BUILD;
  log->want_plugin = "reqwest";
  log->want_message = "building reqwest";
}

static void progress_line_is_read(void **state) {
  rimport__cargo_report r;
  rimport_test_progress log;
  const char *chunks[] = {"   Compiling libc v0.2.139\n\r    Buil",
                          "ding [=====>      ] 12/87: serde, tokio(bui",
                          "ld)\r                    \r",
                          "\r    Building [==",
                          "==] 86/87: kayton_rplugin__reqwest\r",
                          NULL};
  int i;
  (void)state;
  build_log(&log);
  rimport__cargo_report_init(&r);
  for (i = 0; chunks[i] != NULL; i++) {
    assert_int_equal(rimport__cargo_feed_stderr(&r, chunks[i],
                                                strlen(chunks[i]), "reqwest",
                                                rimport_test_on_progress, &log),
                     0);
    if (i == 2) {
      assert_int_equal(log.done, 12);
      assert_int_equal(log.total, 87);
      assert_string_equal(log.unit, "serde");
    }
  }
  assert_int_equal(log.calls, 2);
  assert_int_equal(log.done, 86);
  assert_string_equal(log.unit, "kayton_rplugin__reqwest");
  assert_int_equal(rimport__cargo_feed_end(&r), 0);
  /* The tail keeps real lines, not progress bars. */
  assert_non_null(strstr(r.stderr_tail.ptr, "Compiling libc"));
  assert_null(strstr(r.stderr_tail.ptr, "Building ["));
  rimport__cargo_report_dispose(&r);
}

static void progress_garbage_is_ignored(void **state) {
  rimport__cargo_report r;
  rimport_test_progress log;
  const char *bad[] = {
      "Building [", "Building []", "Building [] x/y", "Building [==] 9/3: a",
      "Building [==] 3/0: a", "Building [==] 18446744073709551617/3",
      /* past what a report holds (found by fuzz_cargo_json):
       * not "3 of 0" */
      "Building [==] 3/4294967296: a", "Building [==] 3/4294967299: a", NULL};
  int i;
  (void)state;
  build_log(&log);
  rimport__cargo_report_init(&r);
  for (i = 0; bad[i] != NULL; i++) {
    assert_int_equal(rimport__cargo_feed_stderr(&r, bad[i], strlen(bad[i]), "x",
                                                rimport_test_on_progress, &log),
                     0);
    assert_int_equal(rimport__cargo_feed_stderr(&r, "\r", 1, "x",
                                                rimport_test_on_progress, &log),
                     0);
  }
  assert_int_equal(log.calls, 0);
  rimport__cargo_report_dispose(&r);
}

/* A NUL byte where the unit's name starts ends the name (found by
 * fuzz_cargo_json): no unit, not an empty one. */
static void progress_unit_stops_at_nul(void **state) {
  static const char seg[] = "    Building [==>  ] 7/11: \0serde, itoa\r";
  rimport__cargo_report r;
  rimport_test_progress log;
  (void)state;
  build_log(&log);
  rimport__cargo_report_init(&r);
  assert_int_equal(rimport__cargo_feed_stderr(&r, seg, sizeof(seg) - 1,
                                              "reqwest",
                                              rimport_test_on_progress, &log),
                   0);
  assert_int_equal(log.calls, 1);
  assert_int_equal(log.done, 7);
  assert_int_equal(log.total, 11);
  assert_string_equal(log.unit, "");
  assert_string_equal(log.message, "building reqwest: 7/11");
  rimport__cargo_report_dispose(&r);
}

static void stderr_tail_is_bounded(void **state) {
  rimport__cargo_report r;
  char line[200];
  int i;
  (void)state;
  rimport__cargo_report_init(&r);
  for (i = 0; i < 100000; i++) {
    snprintf(line, sizeof(line), "warning: line %d of noise\n", i);
    assert_int_equal(
        rimport__cargo_feed_stderr(&r, line, strlen(line), "x", NULL, NULL), 0);
  }
  assert_true(r.stderr_tail.size <= 2 * 16 * 1024);
  assert_non_null(strstr(r.stderr_tail.ptr, "line 99999 of noise"));
  rimport__cargo_report_dispose(&r);
}

/* --- errors -----------------------------------------------------------------
 */

static rimport_session_options dir_source(void) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  o.source_kind = RIMPORT_SOURCE_DIRECTORY;
  o.source = "/usr/share/cargo/registry";
  o.offline = 1;
  return o;
}

static void error_for_missing_crate(void **state) {
  rimport__cargo_report r;
  rimport_session_options o = dir_source();
  const char *err = "    Updating crates.io index\nerror: no matching package "
                    "named `nosuchcrate` found\nlocation searched: "
                    "directory source `/usr/share/cargo/registry`\n";
  (void)state;
  rimport__cargo_report_init(&r);
  rimport__cargo_feed_stderr(&r, err, strlen(err), "x", NULL, NULL);
  rimport__cargo_feed_end(&r);
  rimport_test_assert_error(
      rimport__cargo_error(&r, &o, "building the plugin for nosuchcrate",
                           "nosuchcrate", 101, 0),
      RIMPORT_ENOTFOUND,
      "the crate `nosuchcrate` was not found in the "
      "directory source /usr/share/cargo/registry");
  assert_non_null(strstr(rimport_error_last()->message, "offline"));
  rimport__cargo_report_dispose(&r);
}

static void error_for_missing_version(void **state) {
  rimport__cargo_report r;
  rimport_session_options o = dir_source();
  const char *err =
      "error: failed to select a version for the requirement `reqwest = "
      "\"^0.99\"`\ncandidate versions found which didn't match: 0.11.13\n"
      "location searched: directory source\n";
  (void)state;
  rimport__cargo_report_init(&r);
  rimport__cargo_feed_stderr(&r, err, strlen(err), "x", NULL, NULL);
  rimport__cargo_feed_end(&r);
  rimport_test_assert_error(
      rimport__cargo_error(&r, &o, "resolving", "reqwest", 101, 0),
      RIMPORT_ENOTFOUND, "versions there: 0.11.13");
  assert_non_null(strstr(rimport_error_last()->message, "^0.99"));
  rimport__cargo_report_dispose(&r);
}

static void error_for_compile_failure(void **state) {
  rimport__cargo_report r;
  rimport_session_options o = dir_source();
  (void)state;
  rimport__cargo_report_init(&r);
  feed_all(&r, error_line);
  feed_all(&r, error_line);
  rimport__cargo_feed_end(&r);
  rimport_test_assert_error(
      rimport__cargo_error(&r, &o, "building bad", "bad", 101, 0),
      RIMPORT_EBUILD, "failed to compile (2 errors)");
  assert_non_null(strstr(rimport_error_last()->message, "src/lib.rs:2:5"));
  rimport__cargo_report_dispose(&r);
}

/* A plugin DLL over the Windows export limit, in each linker's words
 * (DESIGN.md fact 10): a clear error naming the crate and what to do. */
static void error_for_dll_export_limit(void **state) {
  static const char *const lines[] = {
      "{\"reason\":\"compiler-message\",\"message\":{\"level\":\"error\","
      "\"rendered\":\"error: linking with `x86_64-w64-mingw32-gcc` failed: "
      "exit status: 1\\n  = note: ld: error: export ordinal too large: "
      "65536\\n\"}}\n",
      "{\"reason\":\"compiler-message\",\"message\":{\"level\":\"error\","
      "\"rendered\":\"error: linking with `link.exe` failed: exit code: "
      "1189\\n  = note: LINK : fatal error LNK1189: library limit of 65535 "
      "objects exceeded\\n\"}}\n",
      "{\"reason\":\"compiler-message\",\"message\":{\"level\":\"error\","
      "\"rendered\":\"error: linking with `rust-lld` failed: exit code: 1\\n"
      "  = note: rust-lld: error: too many exported symbols (got 70123, max "
      "65535)\\n\"}}\n"};
  static const char *const words[] = {"export ordinal too large", "LNK1189",
                                      "too many exported symbols"};
  rimport_session_options o = dir_source();
  size_t i;
  (void)state;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(lines); i++) {
    rimport__cargo_report r;
    const char *m;
    rimport__cargo_report_init(&r);
    feed_all(&r, lines[i]);
    rimport__cargo_feed_end(&r);
    rimport_test_assert_error(
        rimport__cargo_error(&r, &o, "building the plugin for windows",
                             "windows", 101, 0),
        RIMPORT_EBUILD, "would export more symbols than a Windows DLL can");
    m = rimport_error_last()->message;
    assert_non_null(strstr(m, "the plugin DLL for `windows`"));
    assert_non_null(strstr(m, "opt-level at 2 or more"));
    assert_non_null(
        strstr(m, "in a cell before the one that imports `windows`"));
    /* the linker's line, not rustc's note around it */
    m = strstr(m, "The linker said: ");
    assert_non_null(m);
    assert_non_null(strstr(m, words[i]));
    assert_null(strstr(m, "= note"));
    assert_null(strstr(m, "linking with"));
    rimport__cargo_report_dispose(&r);
  }
}

/* cargo or rustc saying the disk is full: EIO naming ENOSPC, the cache
 * directory and what to do, with the line that said it. */
static void error_for_full_disk(void **state) {
  static const char *const said[] = {
      "error: failed to write `/c/_target/release/.fingerprint/x/lib-x`\n\n"
      "Caused by:\n  No space left on device (os error 28)\n",
      "error: could not compile `x`\n\nCaused by:\n  There is not enough "
      "space on the disk. (os error 112)\n"};
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  size_t i;
  (void)state;
  o.cache_dir = "/the/cache";
  for (i = 0; i < RIMPORT__ARRAY_SIZE(said); i++) {
    rimport__cargo_report r;
    rimport__cargo_report_init(&r);
    rimport__cargo_feed_stderr(&r, said[i], strlen(said[i]), "x", NULL, NULL);
    rimport__cargo_feed_end(&r);
    rimport_test_assert_error(
        rimport__cargo_error(&r, &o, "building the plugin for x", "x", 101, 0),
        RIMPORT_EIO, "ran out of space (ENOSPC)");
    assert_non_null(strstr(rimport_error_last()->message, "\"/the/cache\""));
    assert_non_null(strstr(rimport_error_last()->message, "RIMPORT_CACHE_DIR"));
    assert_non_null(strstr(rimport_error_last()->message,
                           i == 0 ? "No space left on device (os error 28)"
                                  : "not enough space on the disk"));
    rimport__cargo_report_dispose(&r);
  }
}

static void error_for_crash_and_garbage(void **state) {
  rimport__cargo_report r;
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  (void)state;
  rimport__cargo_report_init(&r);
  feed_all(&r, "complete garbage\n");
  rimport__cargo_feed_end(&r);
  rimport_test_assert_error(rimport__cargo_error(&r, &o, "building", "x", 0, 9),
                            RIMPORT_ECHILD, "killed by signal 9");
  rimport_test_assert_error(rimport__cargo_error(&r, &o, "building", "x", 3, 0),
                            RIMPORT_ECHILD, "exit status 3");
  assert_non_null(strstr(rimport_error_last()->message, "complete garbage"));
  assert_non_null(
      strstr(rimport_error_last()->message, "without finishing the build"));
  rimport__cargo_report_dispose(&r);
}

/* --- command line -------------------------------------------------------- */

static int has_arg(const rimport__argv *a, const char *s) {
  size_t i;
  for (i = 0; i < a->count; i++)
    if (strcmp(a->v[i], s) == 0)
      return 1;
  return 0;
}

static void source_configuration_args(void **state) {
  rimport__argv a;
  rimport_session_options o = dir_source();
  (void)state;
  memset(&a, 0, sizeof(a));
  o.source = "/odd \"dir\"\\x";
  assert_int_equal(rimport__cargo_common_args(&a, &o), 0);
  assert_true(has_arg(&a, "--offline"));
  assert_true(has_arg(&a, "source.crates-io.replace-with=\"rimport-source\""));
  assert_true(
      has_arg(&a, "source.rimport-source.directory=\"/odd \\\"dir\\\"\\\\x\""));
  assert_null(a.v[a.count]);
  rimport__argv_dispose(&a);

  memset(&a, 0, sizeof(a));
  o = (rimport_session_options)RIMPORT_SESSION_OPTIONS_INIT;
  o.source_kind = RIMPORT_SOURCE_REGISTRY;
  o.source = "sparse+https://mirror.example/index/";
  assert_int_equal(rimport__cargo_common_args(&a, &o), 0);
  assert_true(has_arg(&a, "source.rimport-source.registry=\"sparse+https://"
                          "mirror.example/index/\""));
  assert_false(has_arg(&a, "--offline"));
  rimport__argv_dispose(&a);

  memset(&a, 0, sizeof(a));
  o = (rimport_session_options)RIMPORT_SESSION_OPTIONS_INIT;
  o.source_kind = RIMPORT_SOURCE_CONFIG;
  o.source = "/etc/my-cargo.toml";
  assert_int_equal(rimport__cargo_common_args(&a, &o), 0);
  assert_int_equal(a.count, 2);
  assert_string_equal(a.v[1], "/etc/my-cargo.toml");
  rimport__argv_dispose(&a);

  memset(&a, 0, sizeof(a));
  o = (rimport_session_options)
      RIMPORT_SESSION_OPTIONS_INIT; /* cargo's own config */
  assert_int_equal(rimport__cargo_common_args(&a, &o), 0);
  assert_int_equal(a.count, 0);
  rimport__argv_dispose(&a);
}

static void environment_makes_every_unit_dynamic(void **state) {
  rimport__argv a;
  (void)state;
  memset(&a, 0, sizeof(a));
  assert_int_equal(rimport__cargo_env(&a, "/opt/rust/bin/rustc", NULL), 0);
  assert_true(has_arg(&a, "CARGO_ENCODED_RUSTFLAGS=-Cprefer-dynamic"));
  assert_true(has_arg(&a, "RUSTFLAGS")); /* removed: it would be ignored */
  assert_true(has_arg(&a, "RUSTC=/opt/rust/bin/rustc"));
  assert_true(has_arg(&a, "CARGO_TERM_PROGRESS_WHEN=always"));
  /* RUSTC_WRAPPER: inherited as cargo would when no option says */
  assert_false(has_arg(&a, "RUSTC_WRAPPER"));
  rimport__argv_dispose(&a);
}

/* The rustc_wrapper option sets RUSTC_WRAPPER for cargo; "" removes it
 * (and cargo's other spelling of it). */
static void environment_sets_or_removes_the_rustc_wrapper(void **state) {
  rimport__argv a;
  (void)state;
  memset(&a, 0, sizeof(a));
  assert_int_equal(rimport__cargo_env(&a, NULL, "/usr/bin/sccache"), 0);
  assert_true(has_arg(&a, "RUSTC_WRAPPER=/usr/bin/sccache"));
  rimport__argv_dispose(&a);
  memset(&a, 0, sizeof(a));
  assert_int_equal(rimport__cargo_env(&a, NULL, ""), 0);
  assert_true(has_arg(&a, "RUSTC_WRAPPER"));
  assert_true(has_arg(&a, "CARGO_BUILD_RUSTC_WRAPPER"));
  rimport__argv_dispose(&a);
}

/* --- a fake cargo through a real pipe ----------------------------------- */

/* flood: 40 MB of one unterminated line, then a real message. */
static int child_flood(int argc, char **argv) {
  static char chunk[65536];
  long i;
  (void)argc;
  (void)argv;
  memset(chunk, 'x', sizeof(chunk));
  for (i = 0; i < 600; i++)
    fwrite(chunk, 1, sizeof(chunk), stdout);
  fputs("\n", stdout);
  fputs(finished_ok, stdout);
  return 0;
}

static int child_many(int argc, char **argv) {
  long i;
  (void)argc;
  (void)argv;
  for (i = 0; i < 20000; i++)
    fputs(artifact_line, stdout);
  fputs(finished_ok, stdout);
  return 0;
}

static int child_crash(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fputs(artifact_line, stdout);
  rimport_test_die(RIMPORT_TEST_ABORTED); /* flushes stdout first */
  return 1;
}

static int child_main(int argc, char **argv) {
  static const rimport_test_child_def children[] = {
      {"flood", child_flood, 1},
      {"many", child_many, 1},
      {"crash", child_crash, 1},
  };
  return rimport_test_child_dispatch(children, RIMPORT__ARRAY_SIZE(children),
                                     argc, argv);
}

static void on_out(const char *data, size_t len, void *payload) {
  assert_int_equal(rimport__cargo_feed_stdout(payload, data, len), 0);
}

static void run_fake(const char *mode, rimport__cargo_report *r,
                     rimport__proc_result *res) {
  const char *child[] = {mode, NULL};
  const char *args[4];
  rimport__proc_opts o;
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child);
  memset(&o, 0, sizeof(o));
  o.file = args[0];
  o.args = args;
  o.max_capture = 1;
  o.on_stdout = on_out;
  o.payload = r;
  o.timeout_ms = 120000;
  assert_int_equal(rimport__proc_run(&o, res), 0);
  assert_int_equal(rimport__cargo_feed_end(r), 0);
}

static void fake_cargo_floods(void **state) {
  rimport__cargo_report r;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  (void)state;
  rimport__cargo_report_init(&r);
  run_fake("flood", &r, &res);
  assert_int_equal(res.exit_status, 0);
  assert_true(r.finished); /* the over-long line was dropped, not the rest */
  assert_true(r.line.reserved < 80u * 1024 * 1024);
  rimport__proc_result_dispose(&res);
  rimport__cargo_report_dispose(&r);
}

static void fake_cargo_many_messages(void **state) {
  rimport__cargo_report r;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  (void)state;
  rimport__cargo_report_init(&r);
  run_fake("many", &r, &res);
  assert_int_equal(r.artifact_count, 20000);
  assert_true(r.finished);
  rimport__proc_result_dispose(&res);
  rimport__cargo_report_dispose(&r);
}

static void fake_cargo_crashes(void **state) {
  rimport__cargo_report r;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  (void)state;
  rimport__cargo_report_init(&r);
  run_fake("crash", &r, &res);
  /* SIGABRT; Windows: abort()'s exit code. */
  rimport_test_assert_died(res.exit_status, res.term_signal,
                           RIMPORT_TEST_ABORTED);
  assert_int_equal(r.artifact_count, 1);
  assert_false(r.finished);
  rimport_test_assert_error(
      rimport__cargo_error(&r, &o, "building x", "x", res.exit_status,
                           res.term_signal),
      RIMPORT_ECHILD, rimport_test_death_words(RIMPORT_TEST_ABORTED));
  rimport__proc_result_dispose(&res);
  rimport__cargo_report_dispose(&r);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(artifacts_are_read),
    cmocka_unit_test(lines_split_anywhere),
    cmocka_unit_test(last_line_without_newline),
    cmocka_unit_test(garbage_is_kept_aside),
    cmocka_unit_test(progress_line_is_read),
    cmocka_unit_test(progress_garbage_is_ignored),
    cmocka_unit_test(progress_unit_stops_at_nul),
    cmocka_unit_test(stderr_tail_is_bounded),
    cmocka_unit_test(error_for_missing_crate),
    cmocka_unit_test(error_for_missing_version),
    cmocka_unit_test(error_for_compile_failure),
    cmocka_unit_test(error_for_dll_export_limit),
    cmocka_unit_test(error_for_full_disk),
    cmocka_unit_test(error_for_crash_and_garbage),
    cmocka_unit_test(source_configuration_args),
    cmocka_unit_test(environment_makes_every_unit_dynamic),
    cmocka_unit_test(environment_sets_or_removes_the_rustc_wrapper),
    cmocka_unit_test(fake_cargo_floods),
    cmocka_unit_test(fake_cargo_many_messages),
    cmocka_unit_test(fake_cargo_crashes),
};

RIMPORT_TEST_MAIN(tests, child_main)
