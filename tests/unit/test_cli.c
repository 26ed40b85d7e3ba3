/* The `rimport` command, run as a child process the way a user runs it. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "support.h"
#include "cli/cli.h"
#include "common/common.h"
#include "common/fs.h"
#include "platform.h"
#include "proc/proc.h"

#ifndef RIMPORT_CLI_PATH
#error "test_cli needs the rimport command (RIMPORT_BUILD_CLI=ON)"
#endif

typedef struct run_result {
  int status;
  char *out, *err;
} run_result;

static char cache_dir[4096];

/* Runs `rimport --cache-dir <cache> args…` in the source directory. */
static run_result run_cli(const char *const *args) {
  rimport_test_output o = RIMPORT_TEST_OUTPUT_INIT;
  run_result rr;
  rimport_test_run_cli(&o, cache_dir, args, 120000);
  rr.status = (int)o.status;
  rr.out = strdup(o.out.ptr ? o.out.ptr : "");
  rr.err = strdup(o.err.ptr ? o.err.ptr : "");
  rimport_test_output_free(&o);
  return rr;
}

static void run_free(run_result *r) {
  free(r->out);
  free(r->err);
}

static int setup(void **state) {
  (void)state;
  snprintf(cache_dir, sizeof(cache_dir), "%s/cache",
           rimport_test_tmpdir("cli"));
  return 0;
}

static void plan_prints_plugins_and_keys(void **state) {
  const char *args[] = {"plan", "examples/reqwest.cell", NULL};
  run_result r = run_cli(args);
  (void)state;
  if (r.status != 0)
    fail_msg("exit %d: %s", r.status, r.err);
  assert_non_null(strstr(r.out, "examples/reqwest.cell, cell 1: 1 plugin"));
  assert_non_null(strstr(r.out, "kayton_rplugin__reqwest  key "));
  assert_non_null(strstr(r.out, "version \"0.11\""));
  assert_non_null(strstr(r.out, "M = Method"));
  assert_non_null(strstr(r.out, "Client = blocking::Client"));
  /* cell 2 inherits version and features */
  assert_non_null(strstr(r.out, "examples/reqwest.cell, cell 2: 1 plugin"));
  run_free(&r);
}

static void plan_json_reads_back(void **state) {
  const char *args[] = {"plan", "examples/kitchen.cell", "--json", NULL};
  run_result r = run_cli(args);
  cJSON *root, *p;
  (void)state;
  if (r.status != 0)
    fail_msg("exit %d: %s", r.status, r.err);
  root = cJSON_Parse(r.out);
  assert_non_null(root);
  assert_int_equal(cJSON_GetArraySize(root), 2); /* two cells */
  p = cJSON_GetArrayItem(
      cJSON_GetObjectItem(cJSON_GetArrayItem(root, 0), "plugins"), 0);
  assert_string_equal(cJSON_GetObjectItem(p, "crate")->valuestring, "kitchen");
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetObjectItem(p, "source"), "kind")
          ->valuestring,
      "path");
  assert_int_equal(strlen(cJSON_GetObjectItem(p, "key")->valuestring), 32);
  cJSON_Delete(root);
  run_free(&r);
}

/* Every file in tests/fixtures/cells/bad starts with
 *   # expect: LINE:COLUMN text-the-message-contains
 * and must fail with exactly that position, exit status 1, no crash. */
static void malformed_cells_fail_with_position(void **state) {
  const char *dir = RIMPORT_SOURCE_DIR "/tests/fixtures/cells/bad";
  uv_fs_t req;
  uv_dirent_t ent;
  int checked = 0;
  (void)state;
  assert_true(uv_fs_scandir(NULL, &req, dir, 0, NULL) > 0);
  while (uv_fs_scandir_next(&req, &ent) != UV_EOF) {
    char rel[512], path[4096], first[512], want[600], *sp;
    unsigned line, col;
    FILE *f;
    const char *args[] = {"plan", rel, NULL};
    run_result r;
    snprintf(rel, sizeof(rel), "tests/fixtures/cells/bad/%s", ent.name);
    snprintf(path, sizeof(path), "%s/%s", dir, ent.name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_non_null(fgets(first, sizeof(first), f));
    fclose(f);
    first[strcspn(first, "\r\n")] = '\0';
    if (sscanf(first, "# expect: %u:%u", &line, &col) != 2)
      fail_msg("%s: first line must be '# expect: L:C text'", rel);
    sp = strchr(first + 10, ' ');
    r = run_cli(args);
    if (r.status != 1)
      fail_msg("%s: exit %d, want 1; stderr: %s", rel, r.status, r.err);
    snprintf(want, sizeof(want), "%s:%u:%u: error: ", rel, line, col);
    if (strstr(r.err, want) == NULL)
      fail_msg("%s: stderr lacks \"%s\":\n%s", rel, want, r.err);
    if (sp != NULL && strstr(r.err, sp + 1) == NULL)
      fail_msg("%s: stderr lacks \"%s\":\n%s", rel, sp + 1, r.err);
    assert_non_null(strstr(r.err, "^\n")); /* the caret line */
    run_free(&r);
    checked++;
  }
  uv_fs_req_cleanup(&req);
  assert_true(checked >= 10);
}

static void conflicts_name_both_statements(void **state) {
  const char *args[] = {"plan", "tests/fixtures/cells/conflict.cell", NULL};
  run_result r = run_cli(args);
  (void)state;
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, "conflicting imports of the crate `serde`"));
  assert_non_null(strstr(r.err, "line 5: `rimport serde(version=\"2\")`"));
  assert_non_null(strstr(r.err, "line 2: `rimport serde(version=\"1\")`"));
  assert_non_null(strstr(r.err, "[ECONFLICT]"));
  run_free(&r);
}

static void usage_errors_exit_2(void **state) {
  const char *a1[] = {"plan", NULL};
  const char *a2[] = {"frobnicate", NULL};
  const char *a3[] = {"--jobs", "many", "plan", "x", NULL};
  const char *a4[] = {"plan", "tests/fixtures/cells/does-not-exist.cell", NULL};
  run_result r;
  (void)state;
  r = run_cli(a1);
  assert_int_equal(r.status, 2);
  assert_non_null(strstr(r.err, "needs a cell file"));
  run_free(&r);
  r = run_cli(a2);
  assert_int_equal(r.status, 2);
  assert_non_null(strstr(r.err, "unknown command \"frobnicate\""));
  run_free(&r);
  r = run_cli(a3);
  assert_int_equal(r.status, 2);
  assert_non_null(strstr(r.err, "whole number"));
  run_free(&r);
  r = run_cli(a4);
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, "does-not-exist.cell"));
  run_free(&r);
}

static void doctor_reports_each_check(void **state) {
  const char *args[] = {"--source-dir", RIMPORT_SOURCE_DIR "/tests/fixtures",
                        "doctor", NULL};
  run_result r = run_cli(args);
  (void)state;
  assert_non_null(strstr(r.out, "ok   cache"));
  assert_non_null(strstr(r.out, "ok   rustc"));
  assert_non_null(strstr(r.out, "std dylib"));
  assert_non_null(strstr(r.out, "cargo"));
  assert_non_null(strstr(r.out, "ok   source     directory source"));
  if (r.status != 0)
    fail_msg("doctor failed:\n%s%s", r.out, r.err);
  run_free(&r);
}

static void doctor_says_what_to_do(void **state) {
  const char *args[] = {"--rustc", "/nonexistent/rustc",
                        "--cargo", "/nonexistent/cargo",
                        "doctor",  NULL};
  run_result r = run_cli(args);
  (void)state;
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.out, "FAIL rustc"));
  assert_non_null(strstr(r.out, "/nonexistent/rustc"));
  assert_non_null(strstr(r.out, "FAIL cargo"));
  run_free(&r);
}

/* doctor reports the shared cache (reachable and writable with working
 * locks; read-only; missing) and the rustc wrapper (found or not). */
static void doctor_reports_shared_cache_and_wrapper(void **state) {
  char tier[4200], missing[4200];
  const char *ok[] = {"--shared-cache-dir", tier,     "--rustc-wrapper",
                      "/bin/true",          "doctor", NULL};
  const char *ro[] = {"--shared-cache-dir", tier, "--shared-cache-readonly",
                      "doctor", NULL};
  const char *bad[] = {"--shared-cache-dir",   missing,  "--rustc-wrapper",
                       "no-such-wrapper-here", "doctor", NULL};
  run_result r;
  (void)state;
  snprintf(tier, sizeof(tier), "%s-tier", cache_dir);
  snprintf(missing, sizeof(missing), "%s-not-mounted", cache_dir);
  assert_int_equal(rimport__fs_mkdir_p(tier), 0);
  r = run_cli(ok);
  if (strstr(r.out, "ok   shared     ") == NULL ||
      strstr(r.out, "reachable and writable, file locks work") == NULL ||
      strstr(r.out, "ok   wrapper    /bin/true (from --rustc-wrapper)") == NULL)
    fail_msg("doctor:\n%s%s", r.out, r.err);
  assert_false(rimport__fs_is_file(tier) ||
               rimport_test_count_prefixed(tier, "_doctor") > 0);
  run_free(&r);
  r = run_cli(ro);
  assert_non_null(strstr(r.out, "ok   shared     "));
  assert_non_null(strstr(r.out, "read-only: plugins are taken from it"));
  assert_non_null(strstr(r.out, "ok   wrapper    none"));
  run_free(&r);
  r = run_cli(bad);
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.out, "FAIL shared     "));
  assert_non_null(strstr(r.out, "mount the share"));
  assert_non_null(strstr(r.out, "FAIL wrapper    --rustc-wrapper "
                                "\"no-such-wrapper-here\" was not found"));
  run_free(&r);
}

/* Runs `rimport [--source-dir <source_dir>] <command> <cell>` once cold,
 * then again under strace: the warm run starts no child process (one
 * execve, the command's own; no fork or clone). Its stdout must contain
 * `expect`. source_dir: NULL for none. */
static void warm_run_from_spawns_nothing(const char *source_dir,
                                         const char *command, const char *cell,
                                         const char *expect) {
  char log[4200];
  const char *cold[] = {"--offline", command, cell, NULL, NULL, NULL};
  const char *argv[] = {RIMPORT_CLI_PATH,
                        "--cache-dir",
                        cache_dir,
                        "--offline",
                        command,
                        cell,
                        NULL,
                        NULL,
                        NULL};
  run_result r;
  rimport_test_output w = RIMPORT_TEST_OUTPUT_INIT;
  if (source_dir != NULL) { /* a global option: before the command */
    cold[1] = argv[4] = "--source-dir";
    cold[2] = argv[5] = source_dir;
    cold[3] = argv[6] = command;
    cold[4] = argv[7] = cell;
  }
  if (!rimport_test_have_program("strace"))
    skip();
  r = run_cli(cold); /* cold: probes rustc (and builds) */
  if (r.status != 0)
    fail_msg("cold %s failed: %s", command, r.err);
  run_free(&r);
  snprintf(log, sizeof(log), "%s/../strace.log", cache_dir);
  if (rimport_test_exec_spawning_nothing(&w, argv, NULL, RIMPORT_SOURCE_DIR,
                                         log, 60000) != 0)
    skip();
  if (w.status != 0)
    fail_msg("warm %s failed: %s", command, w.err.ptr);
  if (strstr(w.out.ptr, expect) == NULL)
    fail_msg("warm %s printed:\n%s", command, w.out.ptr);
  rimport_test_output_free(&w);
}

static void warm_run_spawns_nothing(const char *command, const char *cell,
                                    const char *expect) {
  warm_run_from_spawns_nothing(NULL, command, cell, expect);
}

static void warm_plan_spawns_nothing(void **state) {
  (void)state;
  warm_run_spawns_nothing("plan", "examples/reqwest.cell",
                          "examples/reqwest.cell, cell 2");
}

/* The warm path of `rimport build`: plan, then a verified cache hit. */
static void warm_build_spawns_nothing(void **state) {
  (void)state;
  warm_run_spawns_nothing("build", "examples/kitchen.cell", "cache hit");
}

/* `rimport run`: plugins built, loaded and registered, cells compiled and
 * run in one session; a value kept in cell 1 is there in cell 3; a panic in
 * cell 2 is an error and the session goes on. */
static void run_keeps_values_and_survives_a_panic(void **state) {
  const char *args[] = {"--offline", "run",
                        "tests/fixtures/cells/run/persist_and_panic.cell",
                        NULL};
  run_result r = run_cli(args);
  (void)state;
  assert_int_equal(r.status, 1); /* one cell failed */
  assert_non_null(strstr(r.out, "cell 1 kept a point"));
  assert_non_null(strstr(r.out, "cell 2 is about to panic"));
  assert_non_null(strstr(r.out, "cell 3 sees Point { x: 1.0, y: 2.0 }"));
  /* The panic's report, once, with where it happened; then a line that
   * says the session goes on. */
  assert_non_null(strstr(r.err, "panicked at "));
  assert_non_null(strstr(r.err, "persist_and_panic.cell:"));
  assert_non_null(strstr(r.err, ": boom in cell 2"));
  assert_null(strstr(strstr(r.err, ": boom in cell 2") + 16, "boom in cell 2"));
  assert_non_null(strstr(r.err, "cell 2 of "));
  assert_non_null(strstr(r.err, "panicked (above); the session goes on"));
  run_free(&r);
}

/* --- cells as a session ----------------------------------------------------
 */

/* Items defined in one cell are used by later ones: a function and a
 * struct with an inherent impl (cell 1), a trait, its impl for cell 1's
 * type, a constant, a macro_rules! and an enum (cell 2), all used in cell
 * 3 with the value kept in cell 1; cell 4 defines add and Point again,
 * which cell 5 gets. */
static void run_items_across_cells(void **state) {
  const char *args[] = {"--offline", "run",
                        "tests/fixtures/cells/run/session.cell", NULL};
  run_result r = run_cli(args);
  (void)state;
  if (r.status != 0)
    fail_msg("exit %d:\n%s\n%s", r.status, r.out, r.err);
  assert_non_null(strstr(r.out, "cell 1: add 5\n"));
  assert_non_null(
      strstr(r.out, "cell 3: 11 5 (3, 4) Point { x: 3.0, y: 4.0 }\n"));
  assert_non_null(strstr(r.out, "cell 3: twice 42 area 4\n"));
  assert_non_null(strstr(r.out, "cell 4: add 102\n"));
  assert_non_null(strstr(r.out, "cell 5: add 102 q 7\n"));
  run_free(&r);
}

/* The same file again: every cell comes from the cache (strace: no
 * process at all is started). */
static void warm_run_compiles_nothing(void **state) {
  (void)state;
  warm_run_spawns_nothing("run", "tests/fixtures/cells/run/session.cell",
                          "cell 5: add 102 q 7");
}

/* A derive, an attribute and a function-like procedural macro whose
 * expansions name their runtime crate (::kruntime), and a macro_rules!
 * with $crate, imported by name and used by path, across cells. */
static void run_macros_of_an_imported_crate(void **state) {
  const char *args[] = {"--offline", "run",
                        "tests/fixtures/cells/run/macros.cell", NULL};
  run_result r = run_cli(args);
  (void)state;
  if (r.status != 0)
    fail_msg("exit %d:\n%s\n%s", r.status, r.out, r.err);
  assert_non_null(strstr(r.out, "Dog (described by kmacros) 8 42 49\n"));
  assert_non_null(strstr(r.out, "Cat (described by kmacros) 3 9 traced 3\n"));
  run_free(&r);
}

/* Debian's serde (derive), serde_json and thiserror: a derive round trip
 * by path (serde::Serialize) and by name (from serde rimport Serialize),
 * a type of cell 1 serialized in cell 2, thiserror's derive. Skipped
 * without Debian's crates (apt-get install librust-serde-json-dev
 * librust-serde-derive-dev librust-thiserror-dev). */
static void run_derives_of_debian_crates(void **state) {
  const char *args[] = {"--source-dir",
                        "/usr/share/cargo/registry",
                        "--offline",
                        "run",
                        "tests/fixtures/cells/run/derive.cell",
                        NULL};
  run_result r;
  (void)state;
  if (!rimport__fs_is_dir("/usr/share/cargo/registry/serde_derive-1.0.152") ||
      !rimport__fs_is_dir("/usr/share/cargo/registry/thiserror-1.0.38") ||
      !rimport__fs_is_dir("/usr/share/cargo/registry/serde_json-1.0.87"))
    skip();
  r = run_cli(args);
  if (r.status != 0)
    fail_msg("exit %d:\n%s\n%s", r.status, r.out, r.err);
  assert_non_null(
      strstr(r.out, "{\"sensor\":\"t1\",\"value\":21.5} round trip true\n"));
  assert_non_null(
      strstr(r.out, "[{\"Circle\":{\"r\":1.5}},{\"Square\":2.0}] true\n"));
  assert_non_null(strstr(r.out, "sensor t9 is out of range\n"));
  run_free(&r);
}

/* `rimport serde_json` and `from serde rimport Serialize` in one cell:
 * serde's plugin takes serde as serde_json's plugin (built first) links
 * it, and the cell uses both; run again in a new process, the same file
 * builds and compiles nothing (strace: no process is started). Skipped
 * without Debian's crates (librust-serde-json-dev). */
static void run_same_cell_takes_a_loaded_crate(void **state) {
  char cell[4200];
  (void)state;
  if (!rimport__fs_is_dir("/usr/share/cargo/registry/serde_json-1.0.87") ||
      !rimport__fs_is_dir("/usr/share/cargo/registry/serde-1.0.152"))
    skip();
  /* beside the cache, which the cold run makes */
  snprintf(cell, sizeof(cell), "%.*s/same_cell.cell",
           (int)(strlen(cache_dir) - strlen("/cache")), cache_dir);
  rimport_test_write_file(cell, "rimport serde_json\n"
                                "from serde rimport Serialize\n"
                                "fn show<T: Serialize>(t: &T) -> String {\n"
                                "    serde_json::to_string(t).unwrap()\n"
                                "}\n"
                                "kprintln!(\"{}\", show(&(1, \"two\")));\n");
  warm_run_from_spawns_nothing("/usr/share/cargo/registry", "run", cell,
                               "[1,\"two\"]\n");
}

/* A panic's report has a backtrace when RUST_BACKTRACE asks for one, and
 * none otherwise; either way it comes once, and not from Rust's own hook
 * ("thread '…' panicked"). */
static void run_panic_backtrace_as_asked(void **state) {
  const char *args[] = {"--offline", "run",
                        "tests/fixtures/cells/run/persist_and_panic.cell",
                        NULL};
  run_result r;
  (void)state;
  rimport_test_setenv("RUST_BACKTRACE", "1");
  r = run_cli(args);
  rimport_test_setenv("RUST_BACKTRACE", "0");
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, ": boom in cell 2\n"));
  assert_null(strstr(r.err, "thread '"));
  if (strstr(r.err, "stack backtrace:") == NULL &&
      strstr(r.err, "(no backtrace: it needs Rust 1.65 or later)") == NULL)
    fail_msg("RUST_BACKTRACE=1 gave no backtrace:\n%s", r.err);
  run_free(&r);
  r = run_cli(args);
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, ": boom in cell 2\n"));
  assert_null(strstr(r.err, "stack backtrace:"));
  assert_null(strstr(r.err, "thread '"));
  run_free(&r);
}

/* rustc's diagnostics point into the cell file as the user wrote it. */
static void run_maps_compile_errors_to_the_file(void **state) {
  const char *args[] = {"--offline", "run",
                        "tests/fixtures/cells/run/compile_error.cell", NULL};
  run_result r = run_cli(args);
  (void)state;
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, "error[E0308]: mismatched types"));
  assert_non_null(
      strstr(r.err, "--> tests/fixtures/cells/run/compile_error.cell:5:17"));
  assert_non_null(strstr(r.err, "5 | let s: String = n;"));
  run_free(&r);
}

/* The kitchen example: each import form, generic instances, a module item,
 * the crate under an alias, and a kept value. */
static void run_kitchen_example(void **state) {
  const char *args[] = {"--offline", "run", "examples/kitchen.cell", NULL};
  run_result r = run_cli(args);
  (void)state;
  if (r.status != 0)
    fail_msg("exit %d:\n%s\n%s", r.status, r.out, r.err);
  assert_non_null(strstr(r.out, "|p| = 5, 2 + 3 = 5, largest = 5 and 0.5"));
  assert_non_null(strstr(r.out, "Green, circle area 3.14, hello, kitchen"));
  assert_non_null(strstr(r.out, "kept from cell 1: Point { x: 3.0, y: 4.0 }"));
  run_free(&r);
}

/* counter_a and counter_b share counter_core's static: stacked, it exists
 * once, so bumps through either plugin from any cell count 1, 2, 3. */
static void run_shared_counter_counts_once(void **state) {
  const char *args[] = {"--offline", "run",
                        "tests/fixtures/cells/run/shared_counter.cell", NULL};
  run_result r = run_cli(args);
  (void)state;
  if (r.status != 0)
    fail_msg("exit %d:\n%s\n%s", r.status, r.out, r.err);
  assert_non_null(strstr(r.out, "a: 1\n"));
  assert_non_null(strstr(r.out, "b: 2\n"));
  assert_non_null(strstr(r.out, "a: 3, value seen by b: 3\n"));
  run_free(&r);
}

/* A session of 200 cells: each keeps a value and prints; the last cells
 * read values kept long before. Run by the ASan build too, where
 * LeakSanitizer fails the command on any leak at exit. */
static void run_200_cells(void **state) {
  char path[4300];
  const char *args[] = {"--offline", "run", path, NULL};
  FILE *f;
  run_result r;
  int i;
  (void)state;
  snprintf(path, sizeof(path), "%s-many.cell", cache_dir);
  f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f,
          "rimport kitchen(path=\"%s/tests/fixtures/crates/kitchen\")\n"
          "from kitchen rimport Point\n",
          RIMPORT_SOURCE_DIR);
  for (i = 1; i <= 200; i++)
    fprintf(f,
            "%skeep!(\"p%d\", Point::new(%d.0, 0.0));\n"
            "kprintln!(\"cell %d: {}\", get!(Point, \"p%d\").x);\n",
            i > 1 ? "%%\n" : "", i, i, i, i > 100 ? i - 100 : i);
  assert_int_equal(fclose(f), 0);
  r = run_cli(args);
  if (r.status != 0)
    fail_msg("exit %d:\n%s", r.status, r.err);
  assert_non_null(strstr(r.out, "cell 1: 1\n"));
  assert_non_null(strstr(r.out, "cell 200: 100\n"));
  run_free(&r);
}

/* rimport repl: cells typed on stdin (here a pipe), ended by empty lines;
 * a cell that fails to compile is reported and the session goes on. */
static void repl_runs_typed_cells(void **state) {
  char input[4300];
  const char *argv[] = {RIMPORT_CLI_PATH, "--cache-dir", cache_dir,
                        "--offline",      "repl",        NULL};
  rimport__proc_opts o;
  rimport__proc_result r = RIMPORT__PROC_RESULT_INIT;
  rimport_buf all = RIMPORT_BUF_INIT;
  (void)state;
  snprintf(input, sizeof(input), "%s-repl.txt", cache_dir);
  rimport_test_write_file(
      input, "rimport kitchen(path=\"" RIMPORT_SOURCE_DIR
             "/tests/fixtures/crates/kitchen\")\n"
             "from kitchen rimport add\nkprintln!(\"sum {}\", add(40, 2));\n\n"
             "let x: i64 = \"no\";\n\n"
             "keep!(\"n\", add(1, 1));\n\n"
             "kprintln!(\"kept {}\", get!(i64, \"n\"));\n:quit\n");
  memset(&o, 0, sizeof(o));
  o.file = RIMPORT_CLI_PATH;
  o.args = argv;
  o.stdin_path = input; /* cells typed on stdin */
  o.timeout_ms = 300000;
  assert_int_equal(rimport__proc_run(&o, &r), 0);
  assert_int_equal(r.term_signal, 0);
  assert_int_equal(r.exit_status, 0);
  rimport__buf_puts(&all, r.out.ptr ? r.out.ptr : "");
  rimport__buf_puts(&all, r.err.ptr ? r.err.ptr : "");
  if (strstr(r.out.ptr, "sum 42\n") == NULL ||
      strstr(all.ptr, "cell 2:2:14") == NULL ||
      strstr(r.out.ptr, "kept 2\n") == NULL)
    fail_msg("repl printed:\n%s", all.ptr);
  rimport__proc_result_dispose(&r);
  rimport_buf_dispose(&all);
}

/* Generated crates (plugin, build root, kayton_api, cell) compile with Rust
 * 1.63 too, the rustc Debian ships (and the Windows stage uses): the
 * kitchen cells with Debian's rustc and cargo, in a cache of their own.
 * Skipped where Debian's rustc is not installed. */
static void runs_with_debian_rust_163(void **state) {
  const char *args[] = {"--rustc",
                        "/usr/bin/rustc",
                        "--cargo",
                        "/usr/bin/cargo",
                        "--source-dir",
                        "/usr/share/cargo/registry",
                        "--offline",
                        "run",
                        "examples/kitchen.cell",
                        NULL};
  rimport_test_output o = RIMPORT_TEST_OUTPUT_INIT;
  char cache[4300];
  (void)state;
  if (!rimport__fs_is_file("/usr/bin/rustc") ||
      !rimport__fs_is_file("/usr/bin/cargo"))
    skip(); /* apt-get install rustc cargo */
  snprintf(cache, sizeof(cache), "%s-rust163", cache_dir);
  rimport_test_run_cli(&o, cache, args, 300000);
  if (o.status != 0 ||
      strstr(o.out.ptr, "kept from cell 1: Point { x: 3.0, y: 4.0 }") == NULL)
    fail_msg("exit %d\nstdout:\n%s\nstderr:\n%s", (int)o.status, o.out.ptr,
             o.err.ptr);
  rimport_test_output_free(&o);
}

/* --- help, from the command table (src/cli/cmd.c cli_cmds[]) ------------ */

/* Every line of a help text fits in 80 columns. */
static void assert_lines_fit(const char *what, const char *text) {
  const char *p = text;
  while (*p != '\0') {
    size_t n = strcspn(p, "\n");
    if (n > 80)
      fail_msg("%s: a line of %zu columns:\n%.*s", what, n, (int)n, p);
    p += n + (p[n] == '\n');
  }
}

/* `rimport help` lists every command of the table, with its summary; the
 * table holds exactly the commands the README documents. */
static void help_lists_every_command(void **state) {
  static const char *const documented[] = {"plan",  "build",   "run",
                                           "repl",  "doc",     "doctor",
                                           "cache", "version", "help"};
  const char *args[] = {"help", NULL};
  const cli_cmd *cmd;
  size_t count = 0, i;
  run_result r = run_cli(args);
  (void)state;
  assert_int_equal(r.status, 0);
  assert_string_equal(r.err, "");
  for (cmd = cli_cmds; cmd->name != NULL; cmd++) {
    char line[64];
    snprintf(line, sizeof(line), "\n  %s ", cmd->name);
    if (strstr(r.out, line) == NULL || strstr(r.out, cmd->summary) == NULL)
      fail_msg("`rimport help` lacks the command %s:\n%s", cmd->name, r.out);
    count++;
  }
  assert_int_equal(count, RIMPORT__ARRAY_SIZE(documented));
  for (i = 0; i < RIMPORT__ARRAY_SIZE(documented); i++)
    if (cli_cmd_lookup(documented[i]) == NULL)
      fail_msg("the command table lacks %s", documented[i]);
  assert_lines_fit("rimport help", r.out);
  run_free(&r);
}

/* `rimport help <command>`, `rimport <command> --help` and `-h` print the
 * same help, exit 0 and do nothing else. */
static void each_command_has_help(void **state) {
  const cli_cmd *cmd;
  (void)state;
  for (cmd = cli_cmds; cmd->name != NULL; cmd++) {
    const char *a1[] = {"help", cmd->name, NULL};
    const char *a2[] = {cmd->name, "--help", NULL};
    const char *a3[] = {cmd->name, "-h", NULL};
    char want[64];
    run_result r1 = run_cli(a1), r2 = run_cli(a2), r3 = run_cli(a3);
    snprintf(want, sizeof(want), "usage: rimport [options] %s", cmd->name);
    if (r1.status != 0 || strncmp(r1.out, want, strlen(want)) != 0)
      fail_msg("help %s: exit %d\n%s%s", cmd->name, r1.status, r1.out, r1.err);
    assert_non_null(strstr(r1.out, cmd->help));
    assert_int_equal(r2.status, 0);
    assert_int_equal(r3.status, 0);
    assert_string_equal(r1.out, r2.out);
    assert_string_equal(r1.out, r3.out);
    assert_lines_fit(cmd->name, r1.out);
    run_free(&r1);
    run_free(&r2);
    run_free(&r3);
  }
}

/* cache's help lists its subcommands from their table; `cache help` (and a
 * subcommand's --help) still print it. */
static void cache_help_lists_subcommands(void **state) {
  const char *a1[] = {"help", "cache", NULL};
  const char *a2[] = {"cache", "help", NULL};
  const char *a3[] = {"cache", "gc", "--help", NULL};
  const cli_subcmd *sub;
  run_result r1 = run_cli(a1), r2 = run_cli(a2), r3 = run_cli(a3);
  size_t count = 0;
  (void)state;
  assert_int_equal(r1.status, 0);
  assert_int_equal(r2.status, 0);
  assert_int_equal(r3.status, 0);
  assert_non_null(
      strstr(r1.out, "usage: rimport [options] cache <list|verify|gc|clear>"));
  for (sub = cli_cache_cmds; sub->name != NULL; sub++, count++) {
    char line[64];
    snprintf(line, sizeof(line), "\n  %-7s ", sub->name);
    if (strstr(r1.out, line) == NULL)
      fail_msg("`rimport help cache` lacks %s:\n%s", sub->name, r1.out);
  }
  assert_int_equal(count, 4);
  assert_string_equal(r1.out, r2.out);
  assert_string_equal(r1.out, r3.out);
  run_free(&r1);
  run_free(&r2);
  run_free(&r3);
}

/* The cache directory's default, as src/unix/platform.c and
 * src/win/platform.c find it. */
static void help_gives_the_cache_default(void **state) {
  const char *args[] = {"--help", NULL};
  run_result r = run_cli(args);
  (void)state;
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "--cache-dir DIR"));
  assert_non_null(strstr(r.out, "$RIMPORT_CACHE_DIR"));
  assert_non_null(strstr(r.out, "$XDG_CACHE_HOME/rimport"));
  assert_non_null(strstr(r.out, "~/.cache/rimport"));
  assert_non_null(strstr(r.out, "%LOCALAPPDATA%\\rimport\\cache"));
  run_free(&r);
}

/* A usage error exits 2 and says what was wrong and where help is. */
static void unknown_commands_and_options_exit_2(void **state) {
  static const struct {
    const char *args[5];
    const char *says;
  } cases[] = {
      {{"frobnicate", NULL},
       "unknown command \"frobnicate\"; see `rimport help`"},
      {{"--frobnicate", "plan", "x", NULL},
       "unknown option \"--frobnicate\"; see `rimport help`"},
      {{"plan", "x.cell", "--frobnicate", NULL},
       "unknown option \"--frobnicate\" for plan; see `rimport help plan`"},
      {{"run", "--jsn", "x.cell", NULL},
       "unknown option \"--jsn\" for run; see `rimport help run`"},
      {{"build", "-x", "x.cell", NULL},
       "unknown option \"-x\" for build; see `rimport help build`"},
      {{"help", "frobnicate", NULL},
       "unknown command \"frobnicate\"; see `rimport help`"},
      {{"cache", "frobnicate", NULL},
       "unknown cache command \"frobnicate\"; see `rimport help cache`"},
      {{"cache", "list", "--all", NULL},
       "unknown option \"--all\" for cache; see `rimport help cache`"},
      {{"doctor", "extra", NULL}, "doctor takes no arguments"},
      {{"--jobs", NULL}, "--jobs needs a value"},
  };
  size_t i;
  (void)state;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(cases); i++) {
    run_result r = run_cli(cases[i].args);
    if (r.status != 2 || strstr(r.err, cases[i].says) == NULL)
      fail_msg("rimport %s ...: exit %d, want 2 and \"%s\":\n%s",
               cases[i].args[0], r.status, cases[i].says, r.err);
    assert_string_equal(r.out, "");
    run_free(&r);
  }
}

/* --- --json: one object per cell, one per line ------------------------- */

/* Parses stdout as JSON Lines: exactly `want` lines, each one object. */
static cJSON *json_lines(const char *out, int want) {
  cJSON *all = cJSON_CreateArray();
  const char *p = out;
  while (*p != '\0') {
    size_t n = strcspn(p, "\n");
    char *line = rimport__strndup(p, n);
    cJSON *o = cJSON_Parse(line);
    if (!cJSON_IsObject(o))
      fail_msg("not a JSON object: %s\nstdout:\n%s", line, out);
    cJSON_AddItemToArray(all, o);
    rimport__free(line);
    if (p[n] != '\n')
      fail_msg("the last line has no newline:\n%s", out);
    p += n + 1;
  }
  if (cJSON_GetArraySize(all) != want)
    fail_msg("%d JSON lines, want %d:\n%s", cJSON_GetArraySize(all), want, out);
  return all;
}

static const cJSON *field(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  if (v == NULL)
    fail_msg("no \"%s\" in %s", name, cJSON_PrintUnformatted(o));
  return v;
}

static const char *str(const cJSON *o, const char *name) {
  const cJSON *v = field(o, name);
  assert_true(cJSON_IsString(v));
  return v->valuestring;
}

static int num(const cJSON *o, const char *name) {
  const cJSON *v = field(o, name);
  assert_true(cJSON_IsNumber(v));
  return v->valueint;
}

/* The fields every cell object has; returns its plugins. */
static const cJSON *check_cell(const cJSON *o, int cell, const char *file,
                               int line, int ok) {
  const cJSON *error = field(o, "error");
  assert_int_equal(num(o, "cell"), cell);
  assert_string_equal(str(o, "file"), file);
  assert_int_equal(num(o, "line"), line);
  assert_true(cJSON_IsBool(field(o, "ok")));
  assert_int_equal(cJSON_IsTrue(field(o, "ok")), ok);
  if (ok)
    assert_true(cJSON_IsNull(error));
  else
    assert_true(cJSON_IsObject(error));
  assert_true(cJSON_IsArray(field(o, "plugins")));
  return field(o, "plugins");
}

/* The error object: its code, and file:line:column. */
static const char *check_error(const cJSON *o, const char *code,
                               const char *file, int line, int column) {
  const cJSON *e = field(o, "error");
  assert_string_equal(str(e, "code"), code);
  assert_string_equal(str(e, "file"), file);
  assert_int_equal(num(e, "line"), line);
  assert_int_equal(num(e, "column"), column);
  return str(e, "message");
}

/* run --json: cell 1 keeps a value, cell 2 panics, cell 3 reads the value;
 * each is one line of stdout with what it printed, nothing else there. */
static void run_json_has_an_object_per_cell(void **state) {
  const char *file = "tests/fixtures/cells/run/persist_and_panic.cell";
  const char *args[] = {"--offline", "run", "--json", file, NULL};
  run_result r = run_cli(args);
  cJSON *all;
  const cJSON *o, *plugins;
  (void)state;
  assert_int_equal(r.status, 1); /* cell 2 failed */
  all = json_lines(r.out, 3);
  o = cJSON_GetArrayItem(all, 0);
  plugins = check_cell(o, 1, file, 1, 1);
  assert_int_equal(cJSON_GetArraySize(plugins), 1);
  assert_string_equal(str(cJSON_GetArrayItem(plugins, 0), "crate"), "kitchen");
  assert_string_equal(str(o, "output"), "cell 1 kept a point\n");
  o = cJSON_GetArrayItem(all, 1);
  plugins = check_cell(o, 2, file, 7, 0);
  assert_int_equal(cJSON_GetArraySize(plugins), 0);
  assert_string_equal(str(o, "output"), "cell 2 is about to panic\n");
  assert_non_null(
      strstr(check_error(o, "EPANIC", file, 7, 1), "boom in cell 2"));
  o = cJSON_GetArrayItem(all, 2);
  check_cell(o, 3, file, 11, 1);
  assert_string_equal(str(o, "output"),
                      "cell 3 sees Point { x: 1.0, y: 2.0 }\n");
  /* The progress and the panic went to stderr. */
  assert_non_null(strstr(r.err, "boom in cell 2"));
  cJSON_Delete(all);
  run_free(&r);
}

/* A compile error's position is rustc's first `-->` in the cell file. */
static void run_json_points_at_the_compile_error(void **state) {
  const char *file = "tests/fixtures/cells/run/compile_error.cell";
  const char *args[] = {"--offline", "run", file, "--json", NULL};
  run_result r = run_cli(args);
  cJSON *all;
  const cJSON *o;
  (void)state;
  assert_int_equal(r.status, 1);
  all = json_lines(r.out, 1);
  o = cJSON_GetArrayItem(all, 0);
  check_cell(o, 1, file, 1, 0);
  assert_string_equal(str(o, "output"), "");
  assert_non_null(strstr(check_error(o, "ECOMPILE", file, 5, 17),
                         "error[E0308]: mismatched types"));
  cJSON_Delete(all);
  run_free(&r);
}

/* A parse error's position is the statement's, counted in the file: here
 * in the second cell. */
static void run_json_points_at_the_parse_error(void **state) {
  char path[4300];
  const char *args[] = {"--offline", "run", "--json", path, NULL};
  run_result r;
  cJSON *all;
  const cJSON *o;
  FILE *f;
  (void)state;
  snprintf(path, sizeof(path), "%s-parse.cell", cache_dir);
  f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f, "kprintln!(\"first\");\n%%%%\n# a comment\n"
             "from kitchen rimport (Point,\n");
  assert_int_equal(fclose(f), 0);
  r = run_cli(args);
  assert_int_equal(r.status, 1);
  all = json_lines(r.out, 2);
  o = cJSON_GetArrayItem(all, 0);
  check_cell(o, 1, path, 1, 1);
  assert_string_equal(str(o, "output"), "first\n");
  o = cJSON_GetArrayItem(all, 1);
  check_cell(o, 2, path, 3, 0);
  assert_string_equal(str(o, "output"), "");
  assert_non_null(
      strstr(check_error(o, "EPARSE", path, 4, 22), "is never closed"));
  cJSON_Delete(all);
  run_free(&r);
}

static void check_plugin(const cJSON *p, int from_cache) {
  const char *key = str(p, "key");
  assert_string_equal(str(p, "crate"), "kitchen");
  assert_int_equal(strlen(key), 32);
  assert_int_equal(strspn(key, "0123456789abcdef"), 32);
  assert_string_equal(str(p, "version"), "0.1.0");
  assert_true(rimport__path_is_absolute(str(p, "dylib")));
  assert_true(rimport__fs_is_file(str(p, "dylib")));
  assert_true(cJSON_IsBool(field(p, "from_cache")));
  assert_true(cJSON_IsNumber(field(p, "build_seconds")));
  assert_true(field(p, "build_seconds")->valuedouble >= 0);
  if (from_cache) {
    assert_true(cJSON_IsTrue(field(p, "from_cache")));
    assert_true(field(p, "build_seconds")->valuedouble == 0);
  }
}

/* build --json: a line per cell with its plugins, no "output"; built once,
 * then found in the cache. */
static void build_json_lists_each_cells_plugins(void **state) {
  const char *file = "examples/kitchen.cell";
  const char *args[] = {"--offline", "build", "--json", file, NULL};
  int round;
  (void)state;
  for (round = 0; round < 2; round++) {
    run_result r = run_cli(args);
    cJSON *all;
    const cJSON *o, *plugins;
    if (r.status != 0)
      fail_msg("exit %d:\n%s", r.status, r.err);
    all = json_lines(r.out, 2);
    o = cJSON_GetArrayItem(all, 0);
    plugins = check_cell(o, 1, file, 1, 1);
    assert_null(cJSON_GetObjectItem(o, "output"));
    assert_int_equal(cJSON_GetArraySize(plugins), 1);
    check_plugin(cJSON_GetArrayItem(plugins, 0), round == 1);
    o = cJSON_GetArrayItem(all, 1);
    plugins = check_cell(o, 2, file, 17, 1);
    assert_null(cJSON_GetObjectItem(o, "output"));
    assert_int_equal(cJSON_GetArraySize(plugins), 0);
    cJSON_Delete(all);
    run_free(&r);
  }
}

/* A plugin that does not build: the cell's object says EBUILD. */
static void build_json_reports_a_failed_build(void **state) {
  char path[4300];
  const char *args[] = {"--offline", "build", "--json", path, NULL};
  run_result r;
  cJSON *all;
  const cJSON *o;
  FILE *f;
  (void)state;
  snprintf(path, sizeof(path), "%s-broken.cell", cache_dir);
  f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f, "# nothing to build here\n%%%%\n\nrimport broken(path=\"%s\")\n",
          RIMPORT_SOURCE_DIR "/tests/fixtures/crates/broken");
  assert_int_equal(fclose(f), 0);
  r = run_cli(args);
  assert_int_equal(r.status, 1);
  all = json_lines(r.out, 2);
  check_cell(cJSON_GetArrayItem(all, 0), 1, path, 1, 1);
  o = cJSON_GetArrayItem(all, 1);
  assert_int_equal(cJSON_GetArraySize(check_cell(o, 2, path, 3, 0)), 0);
  assert_null(cJSON_GetObjectItem(o, "output"));
  assert_non_null(strstr(check_error(o, "EBUILD", path, 3, 1), "forty-two"));
  cJSON_Delete(all);
  run_free(&r);
}

/* The location taken from rustc's rendered diagnostics (in-process). */
static void rustc_location_is_the_first_arrow(void **state) {
  const char *file;
  size_t len;
  unsigned int line, col;
  (void)state;
  assert_int_equal(
      cli_rustc_location("error[E0308]: mismatched types\n"
                         " --> a/b.cell:5:17\n  |\n --> other.rs:1:1\n",
                         &file, &len, &line, &col),
      0);
  assert_int_equal(len, strlen("a/b.cell"));
  assert_memory_equal(file, "a/b.cell", len);
  assert_int_equal(line, 5);
  assert_int_equal(col, 17);
  /* A path with ':' (a Windows drive), CRLF. */
  assert_int_equal(cli_rustc_location("x\r\n  --> C:\\w\\x.cell:12:3\r\n",
                                      &file, &len, &line, &col),
                   0);
  assert_memory_equal(file, "C:\\w\\x.cell", len);
  assert_int_equal(len, strlen("C:\\w\\x.cell"));
  assert_int_equal(line, 12);
  assert_int_equal(col, 3);
  /* Arrows without a position are passed over. */
  assert_int_equal(cli_rustc_location("--> nowhere\n--> :1:2\n--> f:x:2\n"
                                      "--> g:3:4",
                                      &file, &len, &line, &col),
                   0);
  assert_memory_equal(file, "g", len);
  assert_int_equal(len, 1);
  assert_int_equal(line, 3);
  assert_int_equal(
      cli_rustc_location("no arrow at all", &file, &len, &line, &col), -1);
  assert_int_equal(cli_rustc_location("--> f:1:", &file, &len, &line, &col),
                   -1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(repl_runs_typed_cells, setup),
    cmocka_unit_test_setup(runs_with_debian_rust_163, setup),
    cmocka_unit_test_setup(run_shared_counter_counts_once, setup),
    cmocka_unit_test_setup(run_200_cells, setup),
    cmocka_unit_test_setup(run_keeps_values_and_survives_a_panic, setup),
    cmocka_unit_test_setup(run_maps_compile_errors_to_the_file, setup),
    cmocka_unit_test_setup(run_kitchen_example, setup),
    cmocka_unit_test_setup(plan_prints_plugins_and_keys, setup),
    cmocka_unit_test_setup(plan_json_reads_back, setup),
    cmocka_unit_test_setup(malformed_cells_fail_with_position, setup),
    cmocka_unit_test_setup(conflicts_name_both_statements, setup),
    cmocka_unit_test_setup(usage_errors_exit_2, setup),
    cmocka_unit_test_setup(doctor_reports_each_check, setup),
    cmocka_unit_test_setup(doctor_says_what_to_do, setup),
    cmocka_unit_test_setup(doctor_reports_shared_cache_and_wrapper, setup),
    cmocka_unit_test_setup(warm_plan_spawns_nothing, setup),
    cmocka_unit_test_setup(warm_build_spawns_nothing, setup),
    cmocka_unit_test_setup(help_lists_every_command, setup),
    cmocka_unit_test_setup(each_command_has_help, setup),
    cmocka_unit_test_setup(cache_help_lists_subcommands, setup),
    cmocka_unit_test_setup(help_gives_the_cache_default, setup),
    cmocka_unit_test_setup(unknown_commands_and_options_exit_2, setup),
    cmocka_unit_test_setup(run_json_has_an_object_per_cell, setup),
    cmocka_unit_test_setup(run_json_points_at_the_compile_error, setup),
    cmocka_unit_test_setup(run_json_points_at_the_parse_error, setup),
    cmocka_unit_test_setup(build_json_lists_each_cells_plugins, setup),
    cmocka_unit_test_setup(build_json_reports_a_failed_build, setup),
    cmocka_unit_test(rustc_location_is_the_first_arrow),
    cmocka_unit_test_setup(run_items_across_cells, setup),
    cmocka_unit_test_setup(warm_run_compiles_nothing, setup),
    cmocka_unit_test_setup(run_macros_of_an_imported_crate, setup),
    cmocka_unit_test_setup(run_derives_of_debian_crates, setup),
    cmocka_unit_test_setup(run_same_cell_takes_a_loaded_crate, setup),
    cmocka_unit_test_setup(run_panic_backtrace_as_asked, setup),
};

RIMPORT_TEST_MAIN(tests, NULL)
