/* The wine shim (tests/wine/linux_exec.c, a Windows build only): copied as
 * <name>.exe it runs the Linux program RIMPORT_LINUX_<NAME>, started
 * through the library's child runner like any Windows program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <windows.h>

#include "support.h"
#include "common/common.h"
#include "common/fs.h"
#include "proc/proc.h"
#include "win/win.h"

/* <scratch dir>/<name>.exe, a copy of linux_exec.exe, into out. */
static void shim_as(const char *name, rimport_buf *out) {
  rimport_buf src = RIMPORT_BUF_INIT;
  const char *dir = rimport_test_tmpdir(name);
  rimport_test_native_path(RIMPORT_LINUX_EXEC_PATH, &src);
  rimport__buf_clear(out);
  assert_int_equal(rimport__buf_printf(out, "%s\\%s.exe", dir, name), 0);
  if (rimport__fs_copy_file(src.ptr, out->ptr, NULL, NULL, NULL) != 0)
    fail_msg("copying %s to %s: %s", src.ptr, out->ptr,
             rimport_error_last()->message);
  rimport_buf_dispose(&src);
}

/* Runs `sh -c <script>` (the Linux /bin/sh) through the shim as sh.exe. */
static void run_sh(const char *script, rimport_test_output *r) {
  rimport_buf exe = RIMPORT_BUF_INIT;
  const char *args[] = {"sh.exe", "-c", script, NULL};
  const char *env[] = {"RIMPORT_LINUX_SH=/bin/sh", NULL};
  shim_as("sh", &exe);
  args[0] = exe.ptr;
  rimport_test_exec(r, args, NULL, env, 60000);
  rimport_buf_dispose(&exe);
}

static void wine_echo_translates_a_path(void **state) {
  rimport_buf exe = RIMPORT_BUF_INIT;
  const char *args[] = {"echo.exe", "hello", "Z:\\tmp", NULL};
  const char *env[] = {"RIMPORT_LINUX_ECHO=/bin/echo", NULL};
  rimport__proc_opts o;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  (void)state;
  shim_as("echo", &exe);
  memset(&o, 0, sizeof(o));
  o.file = exe.ptr;
  o.args = args;
  o.env = env;
  o.timeout_ms = 60000;
  assert_int_equal(rimport__proc_run(&o, &res), 0);
  /* Z:\tmp reached echo as /tmp, and echo's /tmp came back as Z:/tmp */
  assert_string_equal(res.out.ptr, "hello Z:/tmp\n");
  assert_string_equal(res.err.ptr, "");
  assert_int_equal(res.term_signal, 0);
  assert_int_equal(res.exit_status, 0);
  rimport__proc_result_dispose(&res);
  rimport_buf_dispose(&exe);
}

static void wine_exit_status_comes_back(void **state) {
  rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
  (void)state;
  run_sh("exit 3", &r);
  assert_int_equal(r.term_signal, 0);
  assert_int_equal(r.status, 3);
  rimport_test_output_free(&r);
}

static void wine_signal_is_128_plus(void **state) {
  rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
  (void)state;
  run_sh("kill -TERM $$", &r);
  assert_int_equal(r.term_signal, 0);
  assert_int_equal(r.status, 128 + 15);
  rimport_test_output_free(&r);
}

static void wine_stderr_is_pumped(void **state) {
  rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
  (void)state;
  run_sh("echo out; echo oops >&2; echo more; exit 0", &r);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out.ptr, "out\nmore\n");
  assert_string_equal(r.err.ptr, "oops\n");
  rimport_test_output_free(&r);
}

/* The translation rules of the header comment: a path ('\\' or '/'), a
 * ';' list, the part after '=' of an argument (a path, a list, a TOML
 * string holding a path), both sides of "path=path", a stand-in's path;
 * environment values too; and what is no path stays as it is. (The child
 * prints each value after '<' with '/' made '#', which keeps the output's
 * own translation out of it.) */
static void wine_arguments_and_environment_are_translated(void **state) {
  rimport_buf exe = RIMPORT_BUF_INIT, tool = RIMPORT_BUF_INIT;
  const char *args[] = {
      "sh.exe",
      "-c",
      "printf '<%s' \"$@\" \"$T_ONE\" \"$T_LIST\" \"$T_PLAIN\" | tr / '#'; "
      "echo",
      "sh",
      "Z:/tmp",
      "--dir=Z:\\tmp",
      "-Ldependency=Z:\\usr;Z:\\tmp",
      "a;b",
      "x=y",
      "source.d.directory=\"Z:\\\\usr\\\\lib\"",
      "Z:\\tmp=Z:\\usr",
      "Z:\\tmp=cell 1",
      NULL, /* the stand-in tool.exe beside sh.exe */
      NULL};
  const char *env[] = {"RIMPORT_LINUX_SH=/bin/sh",
                       "RIMPORT_LINUX_TOOL=/bin/true",
                       "T_ONE=Z:\\tmp",
                       "T_LIST=Z:\\usr;Z:\\tmp",
                       "T_PLAIN=a=Z:\\tmp",
                       NULL};
  rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
  (void)state;
  shim_as("sh", &exe);
  args[0] = exe.ptr;
  assert_int_equal(rimport__path_dir(exe.ptr, &tool), 0);
  assert_int_equal(rimport__buf_puts(&tool, "\\tool.exe"), 0);
  args[12] = tool.ptr;
  rimport_test_exec(&r, args, NULL, env, 60000);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out.ptr,
                      "<#tmp<--dir=#tmp<-Ldependency=#usr:#tmp<a;b<x=y"
                      "<source.d.directory=\"#usr#lib\"<#tmp=#usr"
                      "<#tmp=cell 1<#bin#true<#tmp<#usr:#tmp<a=Z:\\tmp\n");
  rimport_test_output_free(&r);
  rimport_buf_dispose(&tool);
  rimport_buf_dispose(&exe);
}

/* The output: a Linux absolute path whose top directory exists, at the
 * start of a line or after one of `"' =(,[`, gets "Z:"; nothing else. */
static void wine_output_paths_become_windows_paths(void **state) {
  rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
  (void)state;
  run_sh("echo '/usr/lib \"/tmp\" x=/tmp 12/87 http://a/b /nonexistent/x "
         "a/usr'; echo '(/usr' >&2",
         &r);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out.ptr, "Z:/usr/lib \"Z:/tmp\" x=Z:/tmp 12/87 "
                                 "http://a/b /nonexistent/x a/usr\n");
  assert_string_equal(r.err.ptr, "(Z:/usr\n");
  rimport_test_output_free(&r);
}

static void wine_missing_program_is_127(void **state) {
  rimport_buf exe = RIMPORT_BUF_INIT;
  const char *args[] = {"nosuch.exe", NULL};
  const char *env[] = {"RIMPORT_LINUX_NOSUCH=/nonexistent/nosuch", NULL};
  rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
  (void)state;
  shim_as("nosuch", &exe);
  args[0] = exe.ptr;
  rimport_test_exec(&r, args, NULL, env, 60000);
  assert_int_equal(r.status, 127);
  assert_non_null(strstr(r.err.ptr, "/nonexistent/nosuch"));
  rimport_test_output_free(&r);
  rimport_buf_dispose(&exe);
}

/* Fails unless the Linux process whose id the file `pidfile` (a Windows
 * path) holds is gone or dead (a zombie until whoever inherited it reaps
 * it) within 10 s: signals are asynchronous and a loaded machine slow to
 * reap. */
static void assert_linux_process_ends(const char *pidfile) {
  rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
  const char *script = "test -s \"$0\" || exit 2; p=$(cat \"$0\"); i=0; "
                       "while [ $i -lt 50 ]; do "
                       "s=$(sed 's/.*) //' /proc/$p/stat 2>/dev/null); "
                       "case \"$s\" in ''|Z*|X*) exit 1;; esac; "
                       "sleep 0.2; i=$((i+1)); done; exit 0";
  rimport_buf exe = RIMPORT_BUF_INIT;
  const char *a[] = {NULL, "-c", script, pidfile, NULL};
  const char *env[] = {"RIMPORT_LINUX_PROCSTAT=/bin/sh", NULL};
  shim_as("procstat", &exe); /* sh, in a scratch dir of its own */
  a[0] = exe.ptr;
  rimport_test_exec(&r, a, NULL, env, 60000);
  if (r.status == 2)
    fail_msg("no process id in %s", pidfile);
  if (r.status != 1)
    fail_msg("the Linux process named in %s still runs 10 s after its tree "
             "was ended (exit %d: %s)",
             pidfile, (int)r.status, r.err.ptr);
  rimport_test_output_free(&r);
  rimport_buf_dispose(&exe);
}

/* A time limit kills the shim (its job object), and with it the Linux
 * tree below: the child (PR_SET_PDEATHSIG) and the grandchild (the
 * watcher kills the child's process group), as a job object ends a
 * Windows tree. A second shim then finds neither. */
static void wine_kill_reaches_the_linux_tree(void **state) {
  rimport_buf exe = RIMPORT_BUF_INIT, pidfile = RIMPORT_BUF_INIT,
              grandchild = RIMPORT_BUF_INIT;
  const char *env[] = {"RIMPORT_LINUX_SH=/bin/sh", NULL};
  rimport__proc_opts o;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  (void)state;
  shim_as("sh", &exe);
  assert_int_equal(rimport__buf_printf(&pidfile, "%s.pid", exe.ptr), 0);
  assert_int_equal(
      rimport__buf_printf(&grandchild, "%s.grandchild.pid", exe.ptr), 0);
  {
    /* $0 and $1: the pid files, Windows paths that the shim translates;
     * sh is the shim's child, sleep its grandchild */
    const char *a[] = {exe.ptr,
                       "-c",
                       "echo $$ > \"$0\"; sleep 60 & echo $! > \"$1\"; wait",
                       pidfile.ptr,
                       grandchild.ptr,
                       NULL};
    memset(&o, 0, sizeof(o));
    o.file = exe.ptr;
    o.args = a;
    o.env = env;
    o.timeout_ms = 1500;
    assert_int_equal(rimport__proc_run(&o, &res), RIMPORT_ETIMEDOUT);
  }
  assert_true(res.timed_out);
  assert_true(res.duration_ns < 20000000000u);
  rimport__proc_result_dispose(&res);
  rimport_error_clear();
  assert_linux_process_ends(pidfile.ptr);
  assert_linux_process_ends(grandchild.ptr);
  rimport_buf_dispose(&grandchild);
  rimport_buf_dispose(&pidfile);
  rimport_buf_dispose(&exe);
}

/* Not a check: how long one spawn through the shim takes (printed). */
static void wine_spawn_time(void **state) {
  rimport_buf exe = RIMPORT_BUF_INIT;
  const char *args[] = {"true.exe", NULL};
  const char *env[] = {"RIMPORT_LINUX_TRUE=/bin/true", NULL};
  uint64_t t0;
  int i, n = 10;
  (void)state;
  shim_as("true", &exe);
  args[0] = exe.ptr;
  t0 = uv_hrtime();
  for (i = 0; i < n; i++) {
    rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
    rimport_test_exec(&r, args, NULL, env, 60000);
    assert_int_equal(r.status, 0);
    rimport_test_output_free(&r);
  }
  printf("linux_exec: %.1f ms per spawn (%d spawns)\n",
         (double)(uv_hrtime() - t0) / 1e6 / n, n);
  rimport_buf_dispose(&exe);
}

/* --- the whole pipeline: rimport.exe under wine ----------------------------
 * rimport.exe plans, builds windows-gnu plugins with the cargo.exe stand-in
 * (Debian's cargo and rustc 1.63), publishes them, loads std → kayton_api →
 * plugins with LoadLibraryExW, compiles the cell with the rustc.exe stand-in
 * and runs it, for crates from Debian's directory source. */

static const char crates_cell[] =
    "# semver, regex and serde_json, from Debian's crates\n"
    "from semver rimport Version, VersionReq\n"
    "from regex rimport Regex\n"
    "rimport serde_json\n"
    "let v = Version::parse(\"1.2.3\").unwrap();\n"
    "let req = VersionReq::parse(\">=1.0, <2\").unwrap();\n"
    "let re = Regex::new(r\"^(\\d+)-(\\w+)$\").unwrap();\n"
    "let caps = re.captures(\"42-wine\").unwrap();\n"
    "let j: serde_json::Value = serde_json::from_str(\"{\\\"a\\\": [1, "
    "2]}\").unwrap();\n"
    "kprintln!(\"minor {} matches {} caps {} {} json {}\", v.minor, "
    "req.matches(&v), &caps[1], &caps[2], j[\"a\"][1]);\n";

/* Runs `rimport --source-dir <Debian's crates> --offline run <cell>`. */
/* Skips the case without Debian's semver crate (apt-get install
 * librust-semver-dev) or the stand-ins for cargo on PATH. */
static void need_semver_and_cargo(void) {
  if (!rimport__fs_is_dir("Z:\\usr\\share\\cargo\\registry\\semver-1.0.14") ||
      !rimport_test_have_program("cargo"))
    skip();
}

static void run_crates_cell(const char *cache, const char *cell,
                            rimport_test_output *o) {
  const char *args[] = {"--source-dir", "Z:\\usr\\share\\cargo\\registry",
                        "--offline",    "run",
                        cell,           NULL};
  rimport_test_run_cli(o, cache, args, 600000);
  if (o->status != 0)
    fail_msg("rimport run %s: exit %d\nstdout:\n%s\nstderr:\n%s", cell,
             (int)o->status, o->out.ptr, o->err.ptr);
}

static void pipeline_crates_then_a_warm_run(void **state) {
  rimport_test_output o = RIMPORT_TEST_OUTPUT_INIT;
  rimport_buf log = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT;
  char cache[4300], cell[4300];
  const char *dir = rimport_test_tmpdir("pipeline");
  (void)state;
  need_semver_and_cargo();
  snprintf(cache, sizeof(cache), "%s\\cache", dir);
  snprintf(cell, sizeof(cell), "%s\\crates.cell", dir);
  rimport_test_write_file(cell, crates_cell);
  run_crates_cell(cache, cell, &o);
  assert_non_null(
      strstr(o.out.ptr, "minor 2 matches true caps 42 wine json 2"));
  assert_non_null(strstr(o.err.ptr, "kayton_rplugin__regex built"));
  rimport_test_output_free(&o);
  /* Again: every plugin and the compiled cell from the cache; the
   * stand-ins (which log each start) show no cargo and no rustc. */
  assert_int_equal(rimport__buf_printf(&log, "%s\\starts.log", dir), 0);
  rimport_test_setenv("RIMPORT_LINUX_EXEC_LOG", log.ptr);
  run_crates_cell(cache, cell, &o);
  rimport_test_setenv("RIMPORT_LINUX_EXEC_LOG", NULL);
  assert_non_null(
      strstr(o.out.ptr, "minor 2 matches true caps 42 wine json 2"));
  assert_non_null(
      strstr(o.err.ptr, "kayton_rplugin__regex found in the cache"));
  assert_null(strstr(o.err.ptr, " built"));
  if (rimport__fs_is_file(log.ptr)) {
    assert_int_equal(rimport__fs_read_file(log.ptr, 1 << 20, &text), 0);
    if (text.size > 0)
      fail_msg("the warm run started programs:\n%s", text.ptr);
  }
  rimport_test_output_free(&o);
  rimport_buf_dispose(&log);
  rimport_buf_dispose(&text);
}

/* A cache directory and a cell file whose names hold spaces and
 * non-ASCII characters (UTF-8 here, UTF-16 for Windows): planned, built,
 * loaded, compiled and run; the cell's header names the file. */
static void pipeline_paths_with_spaces_and_non_ascii(void **state) {
  static const char cell_text[] =
      "from semver rimport Version\n"
      "kprintln!(\"major {}\", Version::parse(\"7.0.1\").unwrap().major);\n";
  rimport_test_output o = RIMPORT_TEST_OUTPUT_INIT;
  char cache[4300], dir[4300], cell[4400];
  (void)state;
  need_semver_and_cargo();
  snprintf(dir, sizeof(dir), "%s\\Cellules d\xc3\xa9j\xc3\xa0 vues",
           rimport_test_tmpdir("unicode"));
  snprintf(cache, sizeof(cache), "%s\\cache \xc3\xbc \xe6\x97\xa5", dir);
  snprintf(cell, sizeof(cell), "%s\\zelle \xc3\xa4.cell", dir);
  assert_int_equal(rimport__fs_mkdir_p(dir), 0);
  rimport_test_write_file(cell, cell_text);
  run_crates_cell(cache, cell, &o);
  assert_non_null(strstr(o.out.ptr, "major 7"));
  assert_non_null(strstr(o.out.ptr, "zelle \xc3\xa4.cell"));
  assert_non_null(strstr(o.err.ptr, "kayton_rplugin__semver built"));
  assert_true(rimport_test_count_prefixed(cache, "semver") == 1);
  rimport_test_output_free(&o);
}

/* A cache directory whose path is longer than MAX_PATH (260): cargo and
 * rustc start in the short (8.3) names of their working directories, and
 * the pipeline runs; a second run finds the plugin in the cache. */
static void pipeline_cache_path_past_max_path(void **state) {
  static const char cell_text[] =
      "from semver rimport Version\n"
      "kprintln!(\"minor {}\", Version::parse(\"7.3.1\").unwrap().minor);\n";
  rimport_test_output o = RIMPORT_TEST_OUTPUT_INIT;
  rimport_buf cache = RIMPORT_BUF_INIT;
  char cell[4400];
  int i;
  (void)state;
  need_semver_and_cargo();
  assert_int_equal(rimport__buf_puts(&cache, rimport_test_tmpdir("long")), 0);
  snprintf(cell, sizeof(cell), "%s\\long.cell", cache.ptr);
  for (i = 0; i < 4; i++)
    assert_int_equal(rimport__buf_printf(&cache,
                                         "\\%c-a-directory-name-of-some-length-"
                                         "as-people-make-them-%d",
                                         'p' + i, i),
                     0);
  assert_int_equal(rimport__buf_puts(&cache, "\\cache"), 0);
  assert_true(cache.size > 260);
  rimport_test_write_file(cell, cell_text);
  run_crates_cell(cache.ptr, cell, &o);
  assert_non_null(strstr(o.out.ptr, "minor 3"));
  assert_non_null(strstr(o.err.ptr, "kayton_rplugin__semver built"));
  rimport_test_output_free(&o);
  run_crates_cell(cache.ptr, cell, &o);
  assert_non_null(strstr(o.out.ptr, "minor 3"));
  assert_non_null(strstr(o.err.ptr, "found in the cache"));
  rimport_test_output_free(&o);
  rimport_buf_dispose(&cache);
}

typedef struct racer {
  const char *cache, *cell;
  rimport_test_output out;
} racer;

static void race(void *arg) {
  racer *r = arg;
  const char *args[] = {"--source-dir", "Z:\\usr\\share\\cargo\\registry",
                        "--offline",    "run",
                        r->cell,        NULL};
  rimport_test_run_cli(&r->out, r->cache, args, 600000);
}

/* Two rimport.exe processes build the same plugin (one key) at once in one
 * cache: one builds, the other waits for its lock and takes its entry;
 * both run the cell, one entry is published, no stage is left. */
static void pipeline_two_processes_race_on_one_key(void **state) {
  static const char cell_text[] =
      "from semver rimport Version\n"
      "kprintln!(\"patch {}\", Version::parse(\"7.3.9\").unwrap().patch);\n";
  racer a, b;
  uv_thread_t ta, tb;
  char cache[4300], cell[4300], crate_dir[4400];
  const char *dir = rimport_test_tmpdir("race");
  (void)state;
  need_semver_and_cargo();
  snprintf(cache, sizeof(cache), "%s\\cache", dir);
  snprintf(cell, sizeof(cell), "%s\\race.cell", dir);
  rimport_test_write_file(cell, cell_text);
  memset(&a, 0, sizeof(a));
  memset(&b, 0, sizeof(b));
  a.cache = b.cache = cache;
  a.cell = b.cell = cell;
  assert_int_equal(uv_thread_create(&ta, race, &a), 0);
  assert_int_equal(uv_thread_create(&tb, race, &b), 0);
  assert_int_equal(uv_thread_join(&ta), 0);
  assert_int_equal(uv_thread_join(&tb), 0);
  if (a.out.status != 0 || b.out.status != 0)
    fail_msg("exit %d and %d\nstderr a:\n%s\nstderr b:\n%s", (int)a.out.status,
             (int)b.out.status, a.out.err.ptr, b.out.err.ptr);
  assert_non_null(strstr(a.out.out.ptr, "patch 9"));
  assert_non_null(strstr(b.out.out.ptr, "patch 9"));
  /* One built it; the other waited for it, or found it done. */
  if ((strstr(a.out.err.ptr, "kayton_rplugin__semver built") != NULL) +
          (strstr(b.out.err.ptr, "kayton_rplugin__semver built") != NULL) !=
      1)
    fail_msg("not one build:\nstderr a:\n%s\nstderr b:\n%s", a.out.err.ptr,
             b.out.err.ptr);
  snprintf(crate_dir, sizeof(crate_dir), "%s\\semver", cache);
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ".stage-"), 0);
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ".corrupt-"), 0);
  assert_int_equal(rimport_test_count_prefixed(cache, "semver"), 1);
  rimport_test_output_free(&a.out);
  rimport_test_output_free(&b.out);
}

/* RIMPORT_TEST_FIXTURES as a Windows path with '/' (Z:/…/crates), for a
 * `path="…"` in a cell. */
static void fixtures_dir(rimport_buf *out) {
  size_t i;
  rimport_test_native_path(RIMPORT_TEST_FIXTURES, out);
  for (i = 0; i < out->size; i++)
    if (out->ptr[i] == '\\')
      out->ptr[i] = '/';
}

/* A plugin build that runs past --build-timeout: rimport.exe's job object
 * ends the cargo.exe stand-in, and with it the Linux tree below (cargo and
 * the fixture's build script, a grandchild that sleeps for 5 minutes); the
 * error names the limit, and no stage is left in the cache. */
static void pipeline_build_past_its_timeout(void **state) {
  rimport_test_output o = RIMPORT_TEST_OUTPUT_INIT;
  rimport_buf fixture = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT;
  char cache[4300], cell[4300], pidfile[4300], crate_dir[4400];
  const char *dir = rimport_test_tmpdir("timeout");
  const char *args[] = {"--offline", "--build-timeout", "8", "run", cell, NULL};
  (void)state;
  need_semver_and_cargo();
  snprintf(cache, sizeof(cache), "%s\\cache", dir);
  snprintf(cell, sizeof(cell), "%s\\slow.cell", dir);
  snprintf(pidfile, sizeof(pidfile), "%s\\build-script.pid", dir);
  fixtures_dir(&fixture);
  assert_int_equal(rimport__buf_printf(&text,
                                       "rimport slow_build(path=\"%s/"
                                       "slow_build\")\n"
                                       "kprintln!(\"never\");\n",
                                       fixture.ptr),
                   0);
  rimport_test_write_file(cell, text.ptr);
  rimport_test_setenv("RIMPORT_TEST_PID_FILE", pidfile);
  rimport_test_run_cli(&o, cache, args, 300000);
  rimport_test_setenv("RIMPORT_TEST_PID_FILE", NULL);
  if (o.status == 0 || strstr(o.err.ptr, "8 s") == NULL)
    fail_msg("exit %d, expected a time limit of 8 s\nstdout:\n%s\nstderr:\n%s",
             (int)o.status, o.out.ptr, o.err.ptr);
  assert_null(strstr(o.out.ptr, "never"));
  assert_linux_process_ends(pidfile);
  snprintf(crate_dir, sizeof(crate_dir), "%s\\slow_build", cache);
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ".stage-"), 0);
  rimport_test_output_free(&o);
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&fixture);
}

/* DESIGN.md fact 10: a DLL exports at most 65535 symbols. exports_b's
 * plugin would link exports_a and exports_b statically, 72000 public
 * statics: the linker refuses, and rimport says so, naming the crate,
 * the limit and what to do. Done as the error says (exports_a imported
 * first, so that it gets a DLL of its own), each DLL stays under the
 * limit and the cell runs. */
static void pipeline_dll_export_limit(void **state) {
  rimport_test_output o = RIMPORT_TEST_OUTPUT_INIT;
  rimport_buf fixtures = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT;
  char cache[4300], cell[4300];
  const char *dir = rimport_test_tmpdir("exports");
  const char *args[] = {"--offline", "run", cell, NULL};
  (void)state;
  need_semver_and_cargo();
  fixtures_dir(&fixtures);
  snprintf(cache, sizeof(cache), "%s\\cache", dir);
  snprintf(cell, sizeof(cell), "%s\\exports.cell", dir);
  assert_int_equal(
      rimport__buf_printf(&text,
                          "rimport exports_b(path=\"%s/exports_b\")\n"
                          "kprintln!(\"total {}\", exports_b::total(1));\n",
                          fixtures.ptr),
      0);
  rimport_test_write_file(cell, text.ptr);
  rimport_test_run_cli(&o, cache, args, 600000);
  if (o.status == 0 || strstr(o.err.ptr, "`exports_b` would export more "
                                         "symbols than a Windows DLL can "
                                         "(65535") == NULL)
    fail_msg("exit %d, expected the export limit\nstdout:\n%s\nstderr:\n%s",
             (int)o.status, o.out.ptr, o.err.ptr);
  assert_non_null(strstr(o.err.ptr, "in a cell before"));
  rimport_test_output_free(&o);
  rimport__buf_clear(&text);
  assert_int_equal(
      rimport__buf_printf(&text,
                          "rimport exports_a(path=\"%s/exports_a\")\n"
                          "%%%%\n"
                          "rimport exports_b(path=\"%s/exports_b\")\n"
                          "kprintln!(\"total {}\", exports_b::total(1));\n",
                          fixtures.ptr, fixtures.ptr),
      0);
  rimport_test_write_file(cell, text.ptr);
  rimport_test_run_cli(&o, cache, args, 600000);
  if (o.status != 0)
    fail_msg("exit %d\nstdout:\n%s\nstderr:\n%s", (int)o.status, o.out.ptr,
             o.err.ptr);
  assert_non_null(strstr(o.out.ptr, "total 15"));
  rimport_test_output_free(&o);
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&fixtures);
}

/* rimport.exe carries its application manifest (src/cli/rimport.rc):
 * resource 1 of type RT_MANIFEST, long-path aware and UTF-8, which real
 * Windows needs to open paths longer than MAX_PATH without \\?\\ (wine
 * does not look at it). */
static void cli_manifest_is_long_path_aware(void **state) {
  rimport_buf exe = RIMPORT_BUF_INIT;
  wchar_t *w;
  HMODULE m;
  HRSRC res;
  const char *text;
  char *copy;
  DWORD n;
  (void)state;
#ifndef RIMPORT_CLI_PATH
  skip();
#else
  rimport_test_native_path(RIMPORT_CLI_PATH, &exe);
#endif
  w = rimport__win_utf16(exe.ptr, NULL);
  assert_non_null(w);
  m = LoadLibraryExW(w, NULL,
                     LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_AS_IMAGE_RESOURCE);
  if (m == NULL)
    fail_msg("cannot open %s for its resources: system error %lu", exe.ptr,
             (unsigned long)GetLastError());
  res = FindResourceW(m, MAKEINTRESOURCEW(1), MAKEINTRESOURCEW(24));
  if (res == NULL)
    fail_msg("%s has no application manifest (resource 1, RT_MANIFEST)",
             exe.ptr);
  n = SizeofResource(m, res);
  text = LockResource(LoadResource(m, res));
  assert_non_null(text);
  copy = malloc((size_t)n + 1);
  assert_non_null(copy);
  memcpy(copy, text, n);
  copy[n] = '\0';
  if (strstr(copy, ">true</longPathAware>") == NULL ||
      strstr(copy, ">UTF-8</activeCodePage>") == NULL)
    fail_msg("the manifest of %s is not long-path aware and UTF-8:\n%s",
             exe.ptr, copy);
  free(copy);
  FreeLibrary(m);
  rimport__free(w);
  rimport_buf_dispose(&exe);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(wine_echo_translates_a_path),
    cmocka_unit_test(wine_exit_status_comes_back),
    cmocka_unit_test(wine_signal_is_128_plus),
    cmocka_unit_test(wine_stderr_is_pumped),
    cmocka_unit_test(wine_arguments_and_environment_are_translated),
    cmocka_unit_test(wine_output_paths_become_windows_paths),
    cmocka_unit_test(wine_missing_program_is_127),
    cmocka_unit_test(wine_kill_reaches_the_linux_tree),
    cmocka_unit_test(wine_spawn_time),
    cmocka_unit_test(pipeline_crates_then_a_warm_run),
    cmocka_unit_test(pipeline_paths_with_spaces_and_non_ascii),
    cmocka_unit_test(pipeline_cache_path_past_max_path),
    cmocka_unit_test(pipeline_two_processes_race_on_one_key),
    cmocka_unit_test(pipeline_build_past_its_timeout),
    cmocka_unit_test(pipeline_dll_export_limit),
    cmocka_unit_test(cli_manifest_is_long_path_aware),
};

RIMPORT_TEST_MAIN(tests, NULL)
