/* The public pipeline end to end through the C API, on the kitchen fixture:
 * plan → build → load → register → cell compile → run; values kept across
 * cells; a panicking cell; a compile error with the cell's line; the cargo
 * route (ExtraDeps / a Cargo.toml for a cell crate). Real cargo and rustc,
 * offline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "cache/cache.h"
#include "common/common.h"
#include "common/fs.h"

static char cache_dir[4096];

typedef struct out_log {
  rimport_buf text;
} out_log;

static void on_output(rimport_output_level level, const char *text, size_t len,
                      void *p) {
  out_log *log = p;
  if (level == 0)
    rimport__buf_put(&log->text, text, len);
}

/* A session on the cache cache_dir whose cells' output goes to log. */
static rimport_session *open_session_again(out_log *log) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  o.output = on_output;
  o.output_payload = log;
  return rimport_test_session_open(cache_dir, &o);
}

/* A session on a new cache whose cells' output goes to log. */
static rimport_session *open_session(out_log *log) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  snprintf(cache_dir, sizeof(cache_dir), "%s/cache",
           rimport_test_tmpdir("cell"));
  o.output = on_output;
  o.output_payload = log;
  return rimport_test_session_open(cache_dir, &o);
}

/* Plans, builds, loads and registers what `cell` imports, then compiles
 * and runs it. Returns rimport_cell_run's result (compile errors fail). */
static int run_cell(rimport_session *s, const char *cell, rimport_buf *out) {
  rimport_cell_plan *plan = rimport_test_plan(s, cell);
  rimport_build_result *built = rimport_test_build(s, plan);
  rimport_cell *compiled = NULL;
  int rc;
  if (rimport_load(s, built) != 0 || rimport_register(s) != 0 ||
      rimport_cell_compile(s, cell, strlen(cell), plan, NULL, &compiled) != 0)
    fail_msg("preparing the cell: %s", rimport_error_last()->message);
  rc = rimport_cell_run(s, compiled, out);
  rimport_cell_free(compiled);
  rimport_build_result_free(built);
  rimport_cell_plan_free(plan);
  return rc;
}

static void cells_keep_values_and_survive_panics(void **state) {
  out_log log = {RIMPORT_BUF_INIT};
  rimport_session *s = open_session(&log);
  rimport_buf out = RIMPORT_BUF_INIT;
  (void)state;
  assert_int_equal(
      run_cell(s,
               RIMPORT_TEST_KITCHEN
               "from kitchen rimport Point, largest[i64]\n"
               "keep!(\"p\", Point::new(3.0, 4.0));\n"
               "kprintln!(\"{} {}\", largest__i64(&[4, 9, 2]), kitchen::add(1, "
               "2));\n",
               &out),
      0);
  assert_string_equal(out.ptr, "9 3\n");
  rimport_test_assert_error(run_cell(s, "panic!(\"no {}\", 42);\n", &out),
                            RIMPORT_EPANIC, "panicked at cell 2/cell.rs:1:");
  assert_non_null(strstr(rimport_error_last()->message, ": no 42"));
  rimport_test_assert_error(
      run_cell(s, "let e: Result<(), String> = Err(\"bad\".into());\ne?;\n",
               &out),
      RIMPORT_EPANIC, "bad");
  assert_int_equal(
      run_cell(s, "kprintln!(\"{}\", get!(Point, \"p\").norm());\n", &out), 0);
  assert_string_equal(out.ptr, "5\n");
  /* The output callback saw every cell's output. */
  assert_non_null(strstr(log.text.ptr, "9 3\n"));
  assert_non_null(strstr(log.text.ptr, "5\n"));
  rimport_buf_dispose(&out);
  rimport_session_close(s);
  rimport_buf_dispose(&log.text);
}

static void compile_error_points_at_the_cell_line(void **state) {
  out_log log = {RIMPORT_BUF_INIT};
  rimport_session *s = open_session(&log);
  rimport_cell *cell = NULL;
  rimport_cell_options co = RIMPORT_CELL_OPTIONS_INIT;
  static const char text[] = "let a = 1;\nlet b: String = a;\n";
  (void)state;
  co.source_path = "notebook/session.kay";
  co.first_line = 10;
  rimport_test_assert_error(
      rimport_cell_compile(s, text, strlen(text), NULL, &co, &cell),
      RIMPORT_ECOMPILE, "mismatched types");
  assert_null(cell);
  assert_non_null(
      strstr(rimport_error_last()->message, "notebook/session.kay:11:17"));
  rimport_session_close(s);
  rimport_buf_dispose(&log.text);
}

/* Splits `text` into items and statements, compiles it (no new imports)
 * and runs it; *reused: whether it came from the cache. Returns
 * rimport_cell_run's result; a compile error fails the test. */
static int split_run(rimport_session *s, const char *text, int *reused,
                     rimport_buf *out) {
  rimport_buf items = RIMPORT_BUF_INIT, stmts = RIMPORT_BUF_INIT;
  rimport_cell_options co = RIMPORT_CELL_OPTIONS_INIT;
  rimport_cell *cell = NULL;
  int rc;
  assert_int_equal(rimport_cell_split(text, strlen(text), &items, &stmts), 0);
  co.items = items.ptr;
  co.items_len = items.size;
  if (rimport_cell_compile(s, stmts.ptr, stmts.size, NULL, &co, &cell) != 0)
    fail_msg("compiling %s: %s", text, rimport_error_last()->message);
  *reused = rimport_cell_reused(cell);
  rc = rimport_cell_run(s, cell, out);
  rimport_cell_free(cell);
  rimport_buf_dispose(&items);
  rimport_buf_dispose(&stmts);
  return rc;
}

/* Runs the n cells in `sessions` sessions on one cache (the first on a new
 * one); in the last session cell changed_at is `changed` instead. Fails
 * unless cell i came from the cache in session r exactly when
 * expect[r * n + i], and cell out_at printed outs[r]. */
static void run_sessions(const char *const *cells, int n, int sessions,
                         int changed_at, const char *changed, const int *expect,
                         int out_at, const char *const *outs) {
  out_log log = {RIMPORT_BUF_INIT};
  rimport_buf out = RIMPORT_BUF_INIT;
  int run, i, reused;
  for (run = 0; run < sessions; run++) {
    rimport_session *s =
        run == 0 ? open_session(&log) : open_session_again(&log);
    for (i = 0; i < n; i++) {
      int last = run == sessions - 1 && i == changed_at;
      assert_int_equal(split_run(s, last ? changed : cells[i], &reused, &out),
                       0);
      if (reused != expect[run * n + i])
        fail_msg("session %d, cell %d: reused %d, expected %d", run + 1, i + 1,
                 reused, expect[run * n + i]);
      if (i == out_at)
        assert_string_equal(out.ptr, outs[run]);
    }
    rimport_session_close(s);
  }
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&log.text);
}

/* Four cells in three sessions on one cache: the second session compiles
 * nothing; in the third, cell 2 changed: it is compiled again, and so is
 * cell 3, which uses its function; cells 1 and 4 (which uses only cell
 * 1's) come from the cache. */
static void changed_cell_recompiles_only_its_dependents(void **state) {
  static const char *const cells[] = {
      "fn one() -> i64 { 1 }\n",
      "fn two() -> i64 { 2 }\n",
      "kprintln!(\"sum {}\", one() + two());\n",
      "kprintln!(\"one {}\", one());\n",
  };
  static const char changed[] = "fn two() -> i64 { 20 }\n";
  static const int expect[3 * 4] = {0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1};
  static const char *const outs[] = {"sum 3\n", "sum 3\n", "sum 21\n"};
  (void)state;
  run_sessions(cells, 4, 3, 1, changed, expect, 2, outs);
}

/* What a glob import brings, and a trait imported `as _` for its methods,
 * reach the later cells (they have no name to be bound by): std's globs, a
 * glob of the cell's own module, a later cell's item over a glob's name. */
static void glob_and_underscore_imports_reach_later_cells(void **state) {
  static const char *const cells[] = {
      "use std::collections::*;\nuse std::fmt::Write as _;\n"
      "mod geo { pub fn area(r: i64) -> i64 { 3 * r * r } }\nuse geo::*;\n",
      "let mut m: HashMap<i32, i32> = HashMap::new();\nm.insert(1, 2);\n"
      "let mut s = String::new();\nwrite!(s, \"w{}\", m.len())?;\n"
      "let b: BTreeSet<u8> = [3u8, 1].into_iter().collect();\n"
      "kprintln!(\"{} {} {:?} {}\", m[&1], s, b, area(2));\n",
      "fn area(r: i64) -> i64 { r }\nkprintln!(\"{}\", area(2));\n",
      "kprintln!(\"{}\", area(7));\n",
  };
  static const char *const expect[] = {"", "2 w1 {1, 3} 12\n", "2\n", "7\n"};
  out_log log = {RIMPORT_BUF_INIT};
  rimport_session *s = open_session(&log);
  rimport_buf out = RIMPORT_BUF_INIT;
  int i, reused;
  (void)state;
  for (i = 0; i < 4; i++) {
    assert_int_equal(split_run(s, cells[i], &reused, &out), 0);
    assert_string_equal(out.ptr ? out.ptr : "", expect[i]);
  }
  rimport_buf_dispose(&out);
  rimport_session_close(s);
  rimport_buf_dispose(&log.text);
}

/* A trait impl goes with its type: a later cell that does not name the
 * type does not link the impl's cell, so a change to that cell leaves it
 * in the cache; one that gets the type through a function of the cell
 * uses the impl, and is compiled again. */
static void trait_impl_goes_with_its_type(void **state) {
  static const char *const cells[] = {
      "struct Temp(f64);\n"
      "impl std::fmt::Display for Temp {\n"
      "    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {\n"
      "        write!(f, \"{:.1} C\", self.0)\n"
      "    }\n"
      "}\n"
      "fn make(x: f64) -> Temp { Temp(x) }\n",
      "kprintln!(\"plain {}\", 40 + 2);\n",
      "kprintln!(\"{}\", make(21.5));\n",
  };
  static const char changed[] =
      "struct Temp(f64);\n"
      "impl std::fmt::Display for Temp {\n"
      "    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {\n"
      "        write!(f, \"{:.2} degrees\", self.0)\n"
      "    }\n"
      "}\n"
      "fn make(x: f64) -> Temp { Temp(x) }\n";
  static const int expect[2 * 3] = {0, 0, 0, 0, 1, 0};
  static const char *const outs[] = {"21.5 C\n", "21.50 degrees\n"};
  (void)state;
  run_sessions(cells, 3, 2, 0, changed, expect, 2, outs);
}

/* An impl for a type of an earlier cell is refused by rustc (E0116,
 * E0117: the type is another crate's); the error says what that means in
 * a session and what to do. */
static void impl_for_an_earlier_cells_type_is_explained(void **state) {
  static const char *const impls[] = {
      "impl Meters { fn twice(&self) -> f64 { self.0 * 2.0 } }\n",
      "impl std::fmt::Display for Meters {\n"
      "    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {\n"
      "        write!(f, \"{} m\", self.0)\n"
      "    }\n"
      "}\n"};
  out_log log = {RIMPORT_BUF_INIT};
  rimport_session *s = open_session(&log);
  rimport_buf out = RIMPORT_BUF_INIT;
  int i, reused;
  (void)state;
  assert_int_equal(split_run(s, "struct Meters(f64);\n", &reused, &out), 0);
  for (i = 0; i < 2; i++) {
    rimport_cell_options co = RIMPORT_CELL_OPTIONS_INIT;
    rimport_cell *cell = NULL;
    co.items = impls[i];
    co.items_len = strlen(impls[i]);
    rimport_test_assert_error(rimport_cell_compile(s, "", 0, NULL, &co, &cell),
                              RIMPORT_ECOMPILE,
                              i == 0 ? "error[E0116]" : "error[E0117]");
    assert_non_null(strstr(rimport_error_last()->message,
                           "Each cell is a crate of its own"));
    assert_null(cell);
  }
  rimport_buf_dispose(&out);
  rimport_session_close(s);
  rimport_buf_dispose(&log.text);
}

/* A type defined again in a later cell is a new type: a value kept with
 * the old one is refused by get! of the new one, with a message that says
 * so; the new one's values work; the old value is dropped at close. */
static void kept_value_of_a_shadowed_type(void **state) {
  out_log log = {RIMPORT_BUF_INIT};
  rimport_session *s = open_session(&log);
  rimport_buf out = RIMPORT_BUF_INIT;
  int reused;
  (void)state;
  assert_int_equal(split_run(s,
                             "struct Meter(f64);\n"
                             "keep!(\"m\", Meter(2.5));\n",
                             &reused, &out),
                   0);
  assert_int_equal(split_run(s,
                             "struct Meter(String);\n"
                             "keep!(\"n\", Meter(\"new\".into()));\n",
                             &reused, &out),
                   0);
  assert_int_equal(
      split_run(s, "kprintln!(\"{}\", get!(Meter, \"n\").0);\n", &reused, &out),
      0);
  assert_string_equal(out.ptr, "new\n");
  rimport_test_assert_error(
      split_run(s, "kprintln!(\"{}\", get!(Meter, \"m\").0);\n", &reused, &out),
      RIMPORT_EPANIC, "the value kept as \"m\" is not a ");
  assert_non_null(strstr(rimport_error_last()->message,
                         "a type defined again in a later cell is a new type"));
  rimport_session_close(s);
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&log.text);
}

/* The cargo route: a Cargo.toml whose path dependencies are the session's
 * plugins; cargo builds the cell against them and finds them fresh. */
static void cargo_route_builds_a_cell_crate(void **state) {
  out_log log = {RIMPORT_BUF_INIT};
  rimport_session *s = open_session(&log);
  rimport_buf out = RIMPORT_BUF_INIT, toml = RIMPORT_BUF_INIT,
              dir = RIMPORT_BUF_INIT, path = RIMPORT_BUF_INIT,
              target = RIMPORT_BUF_INIT;
  rimport_extra_deps *list = NULL, *again = NULL;
  const rimport_extra_dep *deps;
  const rimport_toolchain *tc;
  rimport_test_output res = RIMPORT_TEST_OUTPUT_INIT;
  rimport_buf so = RIMPORT_BUF_INIT;
  char rustc_env[4200];
  const char *env[3];
  const char *args[] = {"cargo",
                        "build",
                        "--release",
                        "--offline",
                        "--message-format=json",
                        "--target-dir",
                        NULL,
                        NULL};
  (void)state;
  assert_int_equal(run_cell(s, RIMPORT_TEST_KITCHEN, &out), 0);
  assert_int_equal(rimport_session_extra_deps(s, &list), 0);
  assert_int_equal(rimport_extra_deps_count(list), 2);
  deps = rimport_extra_deps_array(list);
  /* A second list is a new snapshot: the first one stays as it was. */
  assert_int_equal(rimport_session_extra_deps(s, &again), 0);
  assert_ptr_not_equal(rimport_extra_deps_array(again), deps);
  rimport_extra_deps_free(again);
  assert_string_equal(deps[0].name, "kayton_api");
  assert_string_equal(deps[1].name, "kayton_rplugin__kitchen");
  assert_true(rimport__fs_is_file(deps[1].path) == 0 &&
              rimport__fs_is_dir(deps[1].path));
  rimport_test_assert_error(
      rimport_extra_deps_cargo_toml(list, "my-cell", &toml), RIMPORT_EINVAL,
      "not a Rust identifier");
  assert_int_equal(rimport_extra_deps_cargo_toml(list, "my_cell", &toml), 0);
  rimport_extra_deps_free(list);
  assert_non_null(strstr(toml.ptr, "kayton_rplugin__kitchen = { path = \""));
  assert_int_equal(rimport__buf_printf(&dir, "%s/../cargo-cell", cache_dir), 0);
  assert_int_equal(rimport__fs_mkdir_p(dir.ptr), 0);
  assert_int_equal(rimport__path_join(&path, dir.ptr, "Cargo.toml"), 0);
  rimport_test_write_file(path.ptr, toml.ptr);
  assert_int_equal(rimport__path_join(&path, dir.ptr, "lib.rs"), 0);
  rimport_test_write_file(path.ptr,
                          "pub fn three() -> i64 { "
                          "kayton_rplugin__kitchen::exports::add(1, 2) }\n");
  assert_int_equal(rimport__buf_printf(&target, "%s/_target", cache_dir), 0);
  args[6] = target.ptr;
  assert_int_equal(rimport_session_toolchain(s, &tc), 0);
  snprintf(rustc_env, sizeof(rustc_env), "RUSTC=%s", tc->rustc);
  env[0] = "CARGO_ENCODED_RUSTFLAGS=-Cprefer-dynamic";
  env[1] = rustc_env;
  env[2] = NULL;
  rimport_test_exec(&res, args, dir.ptr, env, 300000);
  if (res.status != 0)
    fail_msg("cargo failed:\n%s", res.err.ptr);
  /* The plugin was reused, not rebuilt; the cell crate was built. */
  assert_non_null(strstr(res.out.ptr, "\"name\":\"kayton_rplugin__kitchen\""));
  assert_null(strstr(res.err.ptr, "Compiling kayton_rplugin__kitchen"));
  rimport_test_dylib_path(&so, NULL, "my_cell");
  assert_non_null(strstr(res.out.ptr, so.ptr));
  rimport_buf_dispose(&so);
  rimport_test_output_free(&res);
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&toml);
  rimport_buf_dispose(&dir);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&target);
  rimport_session_close(s);
  rimport_buf_dispose(&log.text);
}

/* A cell that imports nothing, in a session that has loaded no plugin: it
 * still has kprintln!, keep! and get! (kayton_api compiled into it). */
static void cell_without_plugins(void **state) {
  out_log log = {RIMPORT_BUF_INIT};
  rimport_session *s = open_session(&log);
  rimport_buf out = RIMPORT_BUF_INIT;
  (void)state;
  assert_int_equal(run_cell(s, "keep!(\"n\", 41i64);\n", &out), 0);
  assert_int_equal(
      run_cell(s, "kprintln!(\"{}\", get!(i64, \"n\") + 1);\n", &out), 0);
  assert_string_equal(out.ptr, "42\n");
  rimport_buf_dispose(&out);
  rimport_session_close(s);
  rimport_buf_dispose(&log.text);
}

static void count_kept(const char *path, unsigned long long bytes,
                       const char *kept, void *payload) {
  (void)path;
  (void)bytes;
  *(int *)payload += kept != NULL;
}

/* More cells than descriptors: each cell is a cache entry the session
 * marks in use, and the marks hold two descriptors in all (before, one a
 * cell: the 46th cell failed, rustc could not be started). A clear while
 * the session runs keeps every cell, and the session goes on. */
static void many_cells_under_a_low_descriptor_limit(void **state) {
  enum { CELLS = 80 };
  out_log log = {RIMPORT_BUF_INIT};
  rimport_session *s = open_session(&log);
  rimport_buf out = RIMPORT_BUF_INIT;
  char cell[64], dir[4200];
  unsigned long long saved;
  int i, reused, kept = 0, entries;
  (void)state;
  saved = rimport_test_limit_descriptors(64);
  for (i = 0; i < CELLS; i++) {
    snprintf(cell, sizeof(cell), "fn f_%d() -> i64 { %d }\n", i, i);
    assert_int_equal(split_run(s, cell, &reused, &out), 0);
    assert_int_equal(reused, 0);
  }
  assert_int_equal(
      split_run(s, "kprintln!(\"{}\", f_0() + f_79());\n", &reused, &out), 0);
  assert_string_equal(out.ptr, "79\n");
  snprintf(dir, sizeof(dir), "%s/kayton_cell", cache_dir);
  entries = rimport_test_count_prefixed(dir, "");
  /* clear holds a lock of every key while it works: its own limit. */
  rimport_test_restore_descriptors(saved);
  if (rimport__cache_clear_report(cache_dir, count_kept, &kept) != 0)
    fail_msg("clear: %s", rimport_error_last()->message);
  /* every cell and the cell API's entry, and _cells (the lib farm the
   * live session links through) */
  assert_int_equal(kept, CELLS + 3);
  assert_int_equal(rimport_test_count_prefixed(dir, ""), kept - 1);
  {
    char farm[4200];
    snprintf(farm, sizeof(farm), "%s/_cells/lib", cache_dir);
    assert_true(rimport__fs_is_dir(farm));
  }
  assert_true(entries >= kept);
  saved = rimport_test_limit_descriptors(64);
  assert_int_equal(
      split_run(s, "kprintln!(\"{}\", f_5() * 2);\n", &reused, &out), 0);
  assert_string_equal(out.ptr, "10\n");
  rimport_test_restore_descriptors(saved);
  rimport_buf_dispose(&out);
  rimport_session_close(s);
  rimport_buf_dispose(&log.text);
}

/* A cell's last expression is shown in its output, as a notebook shows
 * it: Debug, else Display, else the type's name; nothing for () or a cell
 * that ends with `;`; a `let` without its `;` is no expression. */
static void cell_shows_its_last_value(void **state) {
  static const struct {
    const char *cell, *out;
  } cases[] = {
      {"let a = 40;\na + 2\n", "42\n"},
      {"\"hi\"", "\"hi\"\n"},
      {"let v = vec![1, 2];\nfor x in &v { kprintln!(\"{}\", x); }\n"
       "v.len() * 10 // a comment; with a semicolon\n",
       "1\n2\n20\n"},
      {"kprintln!(\"x\");\n", "x\n"},
      {"kprintln!(\"y\")\n", "y\n"},
      {"()", ""},
      {"struct Q;\nQ\n", "<Q>\n"},
      {"let s = \"a;b\"; s.len()", "3\n"},
      {"let z = 5\n", ""},
      {"if 1 > 0 { Some(\"yes\") } else { None }", "Some(\"yes\")\n"},
  };
  out_log log = {RIMPORT_BUF_INIT};
  rimport_session *s = open_session(&log);
  rimport_buf out = RIMPORT_BUF_INIT;
  size_t i;
  int reused;
  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    rimport__buf_clear(&out);
    assert_int_equal(split_run(s, cases[i].cell, &reused, &out), 0);
    if (strcmp(out.ptr ? out.ptr : "", cases[i].out) != 0)
      fail_msg("cell %zu (%s) printed \"%s\", not \"%s\"", i, cases[i].cell,
               out.ptr ? out.ptr : "", cases[i].out);
  }
  rimport_buf_dispose(&out);
  rimport_session_close(s);
  rimport_buf_dispose(&log.text);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(cell_without_plugins),
    cmocka_unit_test(cells_keep_values_and_survive_panics),
    cmocka_unit_test(compile_error_points_at_the_cell_line),
    cmocka_unit_test(cargo_route_builds_a_cell_crate),
    cmocka_unit_test(changed_cell_recompiles_only_its_dependents),
    cmocka_unit_test(glob_and_underscore_imports_reach_later_cells),
    cmocka_unit_test(trait_impl_goes_with_its_type),
    cmocka_unit_test(impl_for_an_earlier_cells_type_is_explained),
    cmocka_unit_test(kept_value_of_a_shadowed_type),
    cmocka_unit_test(many_cells_under_a_low_descriptor_limit),
    cmocka_unit_test(cell_shows_its_last_value),
};

RIMPORT_TEST_MAIN(tests, NULL)
