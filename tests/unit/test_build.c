/* rimport_build with real cargo on the local fixture crates (no network:
 * path crates, --offline), and with a fake cargo (this binary) for the
 * faults: a hang, a crash, garbage, a timeout, a cancel, a kill. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "support.h"
#include "build/cargo.h"
#include "build/rustdoc.h"
#include "cache/cache.h"
#include "common/common.h"
#include "common/fs.h"
#include "common/json.h"
#include "platform.h"
#include "proc/proc.h"
#include "session.h"

static char cache_dir[4096];

static int setup(void **state) {
  (void)state;
  snprintf(cache_dir, sizeof(cache_dir), "%s/cache",
           rimport_test_tmpdir("build"));
  rimport_test_fake_end("FAKE_CARGO", NULL);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  rimport_test_fake_end("FAKE_CARGO", NULL);
  rimport_error_clear();
  return 0;
}

/* A session on this case's cache; cargo: NULL for the real one. */
static rimport_session *open_session(const char *cargo, unsigned timeout_ms) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  o.cargo_path = cargo;
  o.build_timeout_ms = timeout_ms;
  return rimport_test_session_open(cache_dir, &o);
}

/* Directory entries under <cache>/<crate> whose name starts with prefix. */
static int count_named(const char *crate, const char *prefix) {
  char dir[4200];
  snprintf(dir, sizeof(dir), "%s/%s", cache_dir, crate);
  return rimport_test_count_prefixed(dir, prefix);
}

/* --- real cargo ----------------------------------------------------------- */

/* A plugin for another target: kitchen for x86_64-pc-windows-gnu with
 * Debian's rustc 1.63 and cargo and its Windows std (libstd-rust-dev-
 * windows). cargo gets --target; the entry's dylib is the DLL (not the
 * .dll.a import library cargo lists with it), a PE file; the manifest
 * names the target; the key differs from the host's. Skipped where those
 * packages are not installed. */
static void builds_for_another_target(void **state) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  rimport__entry *e = NULL;
  const rimport_built_plugin *p;
  const rimport_toolchain *tc;
  rimport_buf head = RIMPORT_BUF_INIT;
  const cJSON *mtc;
  (void)state;
  if (!rimport__fs_is_file("/usr/bin/rustc") ||
      !rimport__fs_is_file("/usr/bin/cargo") ||
      !rimport__fs_is_dir("/usr/lib/rustlib/x86_64-pc-windows-gnu/lib"))
    skip(); /* apt-get install rustc cargo libstd-rust-dev-windows */
  o.rustc_path = "/usr/bin/rustc";
  o.cargo_path = "/usr/bin/cargo";
  o.target = "x86_64-pc-windows-gnu";
  s = rimport_test_session_open(cache_dir, &o);
  assert_int_equal(rimport_session_toolchain(s, &tc), 0);
  assert_string_equal(tc->target, "x86_64-pc-windows-gnu");
  assert_non_null(strstr(tc->std_dylib, "std-"));
  assert_true(strlen(tc->std_dylib) > 4 &&
              strcmp(tc->std_dylib + strlen(tc->std_dylib) - 4, ".dll") == 0);
  plan = rimport_test_plan(s, RIMPORT_TEST_KITCHEN);
  assert_non_null(strstr(rimport_cell_plan_array(plan)[0].key_input,
                         "x86_64-pc-windows-gnu"));
  r = rimport_test_build(s, plan);
  p = rimport_build_result_array(r);
  assert_non_null(strstr(p->dylib, "kayton_rplugin__kitchen.dll"));
  assert_null(strstr(p->dylib, ".dll.a"));
  assert_int_equal(rimport__fs_read_file(p->dylib, 1 << 24, &head), 0);
  assert_true(head.size > 2 && head.ptr[0] == 'M' && head.ptr[1] == 'Z');
  assert_int_equal(rimport__cache_lookup(cache_dir, "kitchen", p->key, 1, &e),
                   0);
  mtc = cJSON_GetObjectItemCaseSensitive(e->manifest, "toolchain");
  assert_string_equal(rimport__json_str(mtc, "target"),
                      "x86_64-pc-windows-gnu");
  assert_string_equal(rimport__json_str(mtc, "fingerprint"), tc->fingerprint);
  rimport__entry_free(e);
  rimport_buf_dispose(&head);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

static void builds_then_hits_the_cache(void **state) {
  static const char cell[] =
      "from kitchen rimport Point, add, largest[i64], Stack[Vec[i64]]\n";
  rimport_session *s = open_session(NULL, 0);
  rimport_cell_plan *plan;
  rimport_build_result *r;
  rimport__entry *e = NULL;
  const rimport_built_plugin *p;
  char key[33], name[64];
  (void)state;
  /* The first cell fixes where kitchen comes from; the second inherits it. */
  plan = rimport_test_plan(s, RIMPORT_TEST_KITCHEN);
  rimport_cell_plan_free(plan);
  plan = rimport_test_plan(s, cell);
  r = rimport_test_build(s, plan);
  p = rimport_build_result_array(r);
  assert_false(p->from_cache);
  assert_string_equal(p->version, "0.1.0");
  assert_true(rimport__fs_is_file(p->dylib));
  assert_true(rimport__fs_is_dir(p->deps_dir));
  memcpy(key, p->key, 33);
  /* A verified entry with the plugin and the metadata cells need. */
  assert_int_equal(rimport__cache_lookup(cache_dir, "kitchen", key, 1, &e), 0);
  snprintf(name, sizeof(name), "%skayton_rplugin__kitchen%s",
           rimport__dl_prefix(), rimport__dl_ext());
  assert_string_equal(rimport__path_base(e->dylib), name);
  rimport__entry_free(e);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);

  /* A new session finds it: nothing is built. */
  s = open_session(NULL, 0);
  plan = rimport_test_plan(s, RIMPORT_TEST_KITCHEN);
  rimport_cell_plan_free(plan);
  plan = rimport_test_plan(s, cell);
  r = rimport_test_build(s, plan);
  assert_true(rimport_build_result_array(r)->from_cache);
  assert_string_equal(rimport_build_result_array(r)->key, key);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* A later cell that imports what an earlier cell of the session built
 * gets that plugin again (same key, no parents), not a new one on top. */
static void same_import_reuses_the_plugin(void **state) {
  static const char cell[] = RIMPORT_TEST_KITCHEN "from kitchen rimport add\n";
  rimport_session *s = open_session(NULL, 0);
  rimport_cell_plan *p1 = rimport_test_plan(s, cell), *p2, *p3;
  rimport_build_result *r1 = rimport_test_build(s, p1), *r2;
  (void)state;
  p2 = rimport_test_plan(s, cell);
  assert_string_equal(rimport_cell_plan_array(p2)->key,
                      rimport_cell_plan_array(p1)->key);
  assert_int_equal(rimport_cell_plan_array(p2)->parent_count, 0);
  assert_string_equal(rimport_cell_plan_array(p2)->plugin,
                      "kayton_rplugin__kitchen");
  r2 = rimport_test_build(s, p2);
  assert_true(rimport_build_result_array(r2)->from_cache);
  /* Other items: a thin plugin stacked on the first. */
  p3 = rimport_test_plan(s, "from kitchen rimport Point\n");
  assert_int_equal(rimport_cell_plan_array(p3)->parent_count, 1);
  assert_string_equal(rimport_cell_plan_array(p3)->parents[0],
                      rimport_cell_plan_array(p1)->key);
  assert_non_null(
      strstr(rimport_cell_plan_array(p3)->plugin, "kayton_rplugin__kitchen__"));
  rimport_build_result_free(r1);
  rimport_build_result_free(r2);
  rimport_cell_plan_free(p1);
  rimport_cell_plan_free(p2);
  rimport_cell_plan_free(p3);
  rimport_session_close(s);
}

/* How many lines of text contain needle. */
/* counter_a and counter_b share counter_core, which holds a static. The
 * second plugin stacks on the first: counter_core is linked into one dylib
 * only, and the parent stayed fresh (rimport_build checks that). */
static void shared_crate_is_linked_once(void **state) {
  rimport_session *s = open_session(NULL, 0);
  rimport_cell_plan *plan;
  rimport_build_result *r;
  const rimport_built_plugin *p;
  int defs[2] = {0, 0}, i;
  (void)state;
  plan = rimport_test_plan(s, "rimport counter_a(path=\"counter_a\")\n"
                              "rimport counter_b(path=\"counter_b\")\n");
  assert_int_equal(rimport_cell_plan_array(plan)[1].parent_count, 1);
  assert_string_equal(rimport_cell_plan_array(plan)[1].parents[0],
                      rimport_cell_plan_array(plan)[0].key);
  r = rimport_test_build(s, plan);
  p = rimport_build_result_array(r);
  for (i = 0; i < 2; i++)
    defs[i] = rimport_test_count_exports(p[i].dylib, "12counter_core7COUNTER");
  assert_int_equal(defs[0], 1); /* counter_a's plugin has the static */
  assert_int_equal(defs[1], 0); /* counter_b's takes it from there */
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

static void compile_failure_leaves_nothing(void **state) {
  rimport_session *s = open_session(NULL, 0);
  rimport_cell_plan *plan =
      rimport_test_plan(s, "rimport broken(path=\"broken\")\n");
  rimport_build_result *r = NULL;
  rimport__entry *e = NULL;
  (void)state;
  rimport_test_assert_error(rimport_build(s, plan, &r), RIMPORT_EBUILD,
                            "failed to compile");
  assert_null(r);
  assert_non_null(strstr(rimport_error_last()->message, "mismatched types"));
  assert_non_null(strstr(rimport_error_last()->message, "src/lib.rs:3"));
  assert_int_equal(rimport__cache_lookup(cache_dir, "broken",
                                         rimport_cell_plan_array(plan)->key, 1,
                                         &e),
                   RIMPORT_ENOTFOUND);
  assert_int_equal(count_named("broken", ".stage"), 0);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* An item the crate does not have: ENOTFOUND in the user's terms, with
 * rustc's near match. */
static void missing_item_names_the_near_match(void **state) {
  rimport_session *s = open_session(NULL, 0);
  rimport_cell_plan *plan = rimport_test_plan(s, RIMPORT_TEST_KITCHEN
                                              "from kitchen rimport Pointt\n");
  rimport_build_result *r = NULL;
  (void)state;
  rimport_test_assert_error(rimport_build(s, plan, &r), RIMPORT_ENOTFOUND,
                            "`kitchen::Pointt` does not exist in the crate "
                            "`kitchen`; it has kitchen::Point");
  /* said at the statement: line 2 of the cell, column 1 */
  assert_int_equal(rimport_error_last()->line, 2);
  assert_int_equal(rimport_error_last()->column, 1);
  assert_non_null(
      strstr(rimport_error_last()->message, ", line 2, column 1: "));
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

static void features_that_conflict_are_refused(void **state) {
  rimport_session *s = open_session(NULL, 0);
  rimport_cell_plan *p1, *p2;
  rimport_build_result *r = NULL;
  (void)state;
  p1 = rimport_test_plan(s, "rimport feat_x(path=\"feat_x\")\n");
  r = rimport_test_build(s, p1);
  rimport_build_result_free(r);
  r = NULL;
  p2 = rimport_test_plan(s, "rimport feat_y(path=\"feat_y\")\n");
  rimport_test_assert_error(rimport_build(s, p2, &r), RIMPORT_ECONFLICT,
                            "shares the crate `feat_core`");
  assert_non_null(strstr(rimport_error_last()->message, "(alpha)"));
  assert_non_null(strstr(rimport_error_last()->message, "(alpha, beta)"));
  assert_non_null(
      strstr(rimport_error_last()->message, "kayton_rplugin__feat_x"));
  /* Refused before the build: no entry, and cargo never built feat_y. */
  assert_int_equal(count_named("feat_y", "."), 0);
  rimport_cell_plan_free(p1);
  rimport_cell_plan_free(p2);
  rimport_session_close(s);
}

/* Debian's crates through a directory source: reqwest (blocking) builds as
 * a plugin; a crate written with '_' finds its '-' package; a version that
 * is not there lists what is. Skipped without librust-reqwest-dev. */
#define DEBIAN_REGISTRY "/usr/share/cargo/registry"

static rimport_session *debian_session(void) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  o.source_kind = RIMPORT_SOURCE_DIRECTORY;
  o.source = DEBIAN_REGISTRY;
  return rimport_test_session_open(cache_dir, &o);
}

static int have_debian_crate(const char *prefix) {
  return rimport_test_count_prefixed(DEBIAN_REGISTRY, prefix) > 0;
}

static void reqwest_from_debian(void **state) {
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  (void)state;
  if (!have_debian_crate("reqwest-0.11"))
    skip();
  s = debian_session();
  plan = rimport_test_plan(s, "rimport reqwest(version=\"0.11\", "
                              "features=[\"blocking\"])\n"
                              "from reqwest.blocking rimport Client\n"
                              "from reqwest rimport StatusCode\n");
  r = rimport_test_build(s, plan);
  assert_false(rimport_build_result_array(r)->from_cache);
  assert_true(strncmp(rimport_build_result_array(r)->version, "0.11.", 5) == 0);
  assert_true(rimport__fs_is_file(rimport_build_result_array(r)->dylib));
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

static void underscore_name_finds_dash_package(void **state) {
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  (void)state;
  if (!have_debian_crate("tokio-util-"))
    skip();
  s = debian_session();
  plan = rimport_test_plan(s, "rimport tokio_util(default_features=False)\n");
  r = rimport_test_build(s, plan);
  {
    rimport__entry *e = NULL;
    const cJSON *pkg;
    assert_int_equal(rimport__cache_lookup(cache_dir, "tokio_util",
                                           rimport_build_result_array(r)->key,
                                           0, &e),
                     0);
    pkg = cJSON_GetObjectItem(e->manifest, "package");
    assert_string_equal(pkg->valuestring, "tokio-util");
    rimport__entry_free(e);
  }
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

static void missing_crate_and_version(void **state) {
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r = NULL;
  (void)state;
  if (!have_debian_crate("serde-1"))
    skip();
  s = debian_session();
  plan = rimport_test_plan(s, "rimport no_such_crate_here\n");
  rimport_test_assert_error(rimport_build(s, plan, &r), RIMPORT_ENOTFOUND,
                            "the crate `no_such_crate_here` or "
                            "`no-such-crate-here` was not found in the "
                            "directory source " DEBIAN_REGISTRY);
  rimport_cell_plan_free(plan);
  plan = rimport_test_plan(s, "rimport serde(version=\"99\")\n");
  rimport_test_assert_error(rimport_build(s, plan, &r), RIMPORT_ENOTFOUND,
                            "no version of `serde`");
  assert_non_null(strstr(rimport_error_last()->message, "versions there: 1."));
  {
    rimport__entry *e = NULL;
    assert_int_equal(rimport__cache_lookup(cache_dir, "serde",
                                           rimport_cell_plan_array(plan)->key,
                                           0, &e),
                     RIMPORT_ENOTFOUND);
  }
  assert_int_equal(count_named("serde", ".stage"), 0);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* --- a crate the session already links ----------------------------------- */

/* Loads and registers the plugins of `built` (the cell's; those of the
 * cells before are loaded), compiles `cell` against them and runs it; the
 * cell's output in out. */
static void run_cell(rimport_session *s, const char *cell,
                     const rimport_cell_plan *plan,
                     const rimport_build_result *built, rimport_buf *out) {
  rimport_cell *compiled = NULL;
  if (rimport_load(s, built) != 0 || rimport_register(s) != 0 ||
      rimport_cell_compile(s, cell, strlen(cell), plan, NULL, &compiled) != 0 ||
      rimport_cell_run(s, compiled, out) != 0)
    fail_msg("running the cell: %s", rimport_error_last()->message);
  rimport_cell_free(compiled);
}

/* The "adopted" object of a plan's plugin i, as `rimport plan --json`
 * prints it: the plugin it names ("" for null) into `plugin`. */
static void adopted_from_at(const rimport_cell_plan *plan, int i, char *plugin,
                            size_t size) {
  rimport_buf json = RIMPORT_BUF_INIT;
  cJSON *root, *ad;
  assert_int_equal(rimport_cell_plan_to_json(plan, 0, &json), 0);
  root = cJSON_Parse(json.ptr);
  ad = cJSON_GetObjectItem(
      cJSON_GetArrayItem(cJSON_GetObjectItem(root, "plugins"), i), "adopted");
  assert_non_null(ad);
  snprintf(plugin, size, "%s",
           cJSON_IsNull(ad) ? ""
                            : cJSON_GetObjectItem(ad, "plugin")->valuestring);
  cJSON_Delete(root);
  rimport_buf_dispose(&json);
}

/* The same, of the plan's first plugin. */
static void adopted_from(const rimport_cell_plan *plan, char *plugin,
                         size_t size) {
  adopted_from_at(plan, 0, plugin, size);
}

/* `rimport serde_json`, then `from serde rimport Serialize` in a later
 * cell: serde's plugin takes serde as serde_json's plugin links it (exact
 * version, default features off; the features come from serde_json's
 * plugin), builds stacked on it without compiling serde again, and a cell
 * uses the trait with serde_json. Skipped without librust-serde-json-dev. */
static void loaded_crate_is_imported_as_it_is(void **state) {
  rimport_session *s;
  rimport_cell_plan *p1, *p2;
  rimport_build_result *r1, *r2;
  const rimport_plugin *p;
  const rimport_built_plugin *b;
  rimport_buf out = RIMPORT_BUF_INIT;
  char from[128];
  static const char cell1[] =
      "rimport serde_json\n"
      "kprintln!(\"{}\", serde_json::to_string(&vec![1, 2]).unwrap());\n";
  static const char cell[] = "from serde rimport Serialize\n"
                             "fn show<T: Serialize>(t: &T) -> String {\n"
                             "    serde_json::to_string(t).unwrap()\n"
                             "}\n"
                             "kprintln!(\"{}\", show(&(1, \"two\")));\n";
  (void)state;
  if (!have_debian_crate("serde_json-1") || !have_debian_crate("serde-1"))
    skip();
  s = debian_session();
  p1 = rimport_test_plan(s, cell1);
  r1 = rimport_test_build(s, p1);
  run_cell(s, cell1, p1, r1, &out);
  assert_string_equal(out.ptr, "[1,2]\n");
  p2 = rimport_test_plan(s, cell);
  p = rimport_cell_plan_array(p2);
  assert_true(strncmp(p->version, "=1.0.", 5) == 0);
  assert_int_equal(p->default_features, 0);
  assert_int_equal(p->feature_count, 0); /* serde_json's plugin brings them */
  assert_int_equal(p->parent_count, 1);
  assert_string_equal(p->parents[0], rimport_build_result_array(r1)->key);
  adopted_from(p2, from, sizeof(from));
  assert_string_equal(from, "kayton_rplugin__serde_json");
  r2 = rimport_test_build(s, p2);
  b = rimport_build_result_array(r2);
  assert_false(b->from_cache);
  assert_string_equal(b->version, p->version + 1);
  print_message("serde_json's plugin built in %.1f s, serde's on it in "
                "%.1f s\n",
                rimport_build_result_array(r1)->build_seconds,
                b->build_seconds);
  /* serde itself stayed in serde_json's entry: one copy. */
  assert_int_equal(rimport_test_count_prefixed(b->deps_dir, "libserde-"), 0);
  run_cell(s, cell, p2, r2, &out);
  assert_string_equal(out.ptr, "[1,\"two\"]\n");
  rimport_buf_dispose(&out);
  rimport_build_result_free(r1);
  rimport_build_result_free(r2);
  rimport_cell_plan_free(p1);
  rimport_cell_plan_free(p2);
  rimport_session_close(s);
}

/* A feature the loaded serde lacks is refused by the build with the
 * message that names the crate, the plugin and both feature sets; the
 * refused statement fixes nothing, so a later one that fits still takes
 * the loaded copy. */
static void feature_the_loaded_copy_lacks_is_refused(void **state) {
  rimport_session *s;
  rimport_cell_plan *p1, *p2, *p3;
  rimport_build_result *r1, *r2 = NULL, *r3;
  rimport__entry *e = NULL;
  const char *msg;
  char from[128];
  (void)state;
  if (!have_debian_crate("serde_json-1") || !have_debian_crate("serde-1") ||
      !have_debian_crate("serde_derive-1"))
    skip();
  s = debian_session();
  p1 = rimport_test_plan(s, "rimport serde_json\n");
  r1 = rimport_test_build(s, p1);
  p2 = rimport_test_plan(s, "rimport serde(features=[\"derive\"])\n");
  adopted_from(p2, from, sizeof(from));
  assert_string_equal(from, "");
  rimport_test_assert_error(rimport_build(s, p2, &r2), RIMPORT_ECONFLICT,
                            "shares the crate `serde` with the plugin "
                            "kayton_rplugin__serde_json");
  msg = rimport_error_last()->message;
  assert_non_null(strstr(msg, "(std)"));
  assert_non_null(strstr(msg, "derive"));
  assert_non_null(strstr(msg, "takes the loaded copy as it is"));
  assert_null(r2);
  assert_int_equal(rimport__cache_lookup(cache_dir, "serde",
                                         rimport_cell_plan_array(p2)->key, 0,
                                         &e),
                   RIMPORT_ENOTFOUND);
  p3 = rimport_test_plan(s, "from serde rimport Serialize\n");
  adopted_from(p3, from, sizeof(from));
  assert_string_equal(from, "kayton_rplugin__serde_json");
  r3 = rimport_test_build(s, p3);
  rimport_build_result_free(r1);
  rimport_build_result_free(r3);
  rimport_cell_plan_free(p1);
  rimport_cell_plan_free(p2);
  rimport_cell_plan_free(p3);
  rimport_session_close(s);
}

/* --- ... and one the same cell's plan builds first ------------------------ */

/* What a cell does with serde's trait and serde_json. */
#define SHOW_CELL                                                              \
  "fn show<T: Serialize>(t: &T) -> String {\n"                                 \
  "    serde_json::to_string(t).unwrap()\n"                                    \
  "}\n"                                                                        \
  "kprintln!(\"{}\", show(&(1, \"two\")));\n"

/* `rimport serde_json` and `from serde rimport Serialize` in one cell.
 * Planned, serde is as written (nothing loaded links it yet); once
 * serde_json's plugin is built, serde's takes serde as it links it, as a
 * later cell would: the build updates the plan (the plugin's version,
 * default features, adopted, key) and builds that, one copy of serde, and
 * the cell runs. Building the plan again builds nothing. serde is a
 * loaded crate now: a later cell that asks for derive is refused by the
 * build with the usual message, a later one that names no features takes
 * the copy. A new session that imports the two in two cells gets the same
 * keys, all from the cache. */
/* Keeps the last progress message that says a plugin takes a crate. */
static char taken_note[1024];
static void keep_taken_note(const rimport_progress *p, void *payload) {
  (void)payload;
  if (strstr(p->message, "takes ") != NULL)
    snprintf(taken_note, sizeof(taken_note), "%s", p->message);
}

static void same_cell_takes_what_an_earlier_plugin_links(void **state) {
  static const char cell[] = "rimport serde_json\n"
                             "from serde rimport Serialize\n" SHOW_CELL;
  rimport_session *s;
  rimport_cell_plan *plan, *later;
  rimport_build_result *r, *again, *refused = NULL;
  const rimport_plugin *p;
  const rimport_built_plugin *b;
  rimport_buf out = RIMPORT_BUF_INIT;
  char planned[33], keys[2][33], from[128];
  (void)state;
  if (!have_debian_crate("serde_json-1") || !have_debian_crate("serde-1") ||
      !have_debian_crate("serde_derive-1"))
    skip();
  {
    rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
    o.source_kind = RIMPORT_SOURCE_DIRECTORY;
    o.source = DEBIAN_REGISTRY;
    o.progress = keep_taken_note;
    s = rimport_test_session_open(cache_dir, &o);
  }
  taken_note[0] = '\0';
  plan = rimport_test_plan(s, cell);
  p = rimport_cell_plan_array(plan);
  assert_null(p[1].version);
  assert_int_equal(p[1].default_features, 1);
  adopted_from_at(plan, 1, from, sizeof(from));
  assert_string_equal(from, "");
  memcpy(planned, p[1].key, 33);
  r = rimport_test_build(s, plan);
  b = rimport_build_result_array(r);
  assert_string_not_equal(p[1].key, planned);
  assert_string_equal(b[0].key, p[0].key);
  assert_string_equal(b[1].key, p[1].key);
  assert_true(strncmp(p[1].version, "=1.0.", 5) == 0);
  assert_string_equal(b[1].version, p[1].version + 1);
  assert_int_equal(p[1].default_features, 0);
  assert_int_equal(p[1].feature_count, 0);
  assert_int_equal(p[1].parent_count, 1);
  assert_string_equal(p[1].parents[0], p[0].key);
  adopted_from_at(plan, 1, from, sizeof(from));
  assert_string_equal(from, "kayton_rplugin__serde_json");
  /* The note names the features the copy has, and what to do for another
   * (serde's derive macros are behind its feature "derive"). */
  assert_non_null(strstr(taken_note, "takes serde 1.0."));
  assert_non_null(strstr(taken_note, "(features: std)"));
  assert_non_null(strstr(taken_note, "as kayton_rplugin__serde_json links"));
  assert_non_null(strstr(taken_note, "import serde first, naming the feature"));
  assert_int_equal(rimport_test_count_prefixed(b[1].deps_dir, "libserde-"), 0);
  run_cell(s, cell, plan, r, &out);
  assert_string_equal(out.ptr, "[1,\"two\"]\n");
  rimport_buf_dispose(&out);
  memcpy(keys[0], p[0].key, 33);
  memcpy(keys[1], p[1].key, 33);
  again = rimport_test_build(s, plan);
  assert_string_equal(rimport_build_result_array(again)[1].key, keys[1]);
  assert_true(rimport_build_result_array(again)[0].from_cache);
  assert_true(rimport_build_result_array(again)[1].from_cache);
  rimport_build_result_free(again);
  /* later cells */
  later = rimport_test_plan(s, "rimport serde(features=[\"derive\"])\n");
  rimport_test_assert_error(rimport_build(s, later, &refused),
                            RIMPORT_ECONFLICT,
                            "shares the crate `serde` with the plugin "
                            "kayton_rplugin__serde_json");
  assert_non_null(
      strstr(rimport_error_last()->message, "takes the loaded copy as it is"));
  assert_null(strstr(rimport_error_last()->message, "of this cell"));
  assert_null(refused);
  rimport_cell_plan_free(later);
  later = rimport_test_plan(s, "from serde rimport Deserialize\n");
  adopted_from(later, from, sizeof(from));
  assert_string_equal(from, "kayton_rplugin__serde_json");
  again = rimport_test_build(s, later);
  rimport_build_result_free(again);
  rimport_cell_plan_free(later);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
  /* two cells in a new session: the same plugins */
  s = debian_session();
  plan = rimport_test_plan(s, "rimport serde_json\n");
  r = rimport_test_build(s, plan);
  assert_string_equal(rimport_build_result_array(r)->key, keys[0]);
  assert_true(rimport_build_result_array(r)->from_cache);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  plan = rimport_test_plan(s, "from serde rimport Serialize\n");
  assert_string_equal(rimport_cell_plan_array(plan)->key, keys[1]);
  r = rimport_test_build(s, plan);
  assert_true(rimport_build_result_array(r)->from_cache);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* The other order: `from serde rimport Serialize`, then `rimport
 * serde_json`. serde is built first, as written (default features on:
 * nothing links it yet), and serde_json's plugin stacks on it, taking
 * serde from it; nothing is adopted and the cell runs. The cell named
 * serde first, so serde keeps that cell's settings: a later cell cannot
 * add derive (the plan says so). */
static void same_cell_crate_named_first_is_built_first(void **state) {
  static const char cell[] = "from serde rimport Serialize\n"
                             "rimport serde_json\n" SHOW_CELL;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  const rimport_plugin *p;
  rimport_buf out = RIMPORT_BUF_INIT;
  rimport_imports *imps = NULL;
  rimport_cell_plan *refused = NULL;
  char planned[2][33], from[128];
  static const char derive[] = "rimport serde(features=[\"derive\"])\n";
  (void)state;
  if (!have_debian_crate("serde_json-1") || !have_debian_crate("serde-1"))
    skip();
  s = debian_session();
  plan = rimport_test_plan(s, cell);
  p = rimport_cell_plan_array(plan);
  memcpy(planned[0], p[0].key, 33);
  memcpy(planned[1], p[1].key, 33);
  r = rimport_test_build(s, plan);
  assert_string_equal(p[0].key, planned[0]);
  assert_string_equal(p[1].key, planned[1]);
  assert_null(p[0].version);
  assert_int_equal(p[0].default_features, 1);
  adopted_from_at(plan, 0, from, sizeof(from));
  assert_string_equal(from, "");
  adopted_from_at(plan, 1, from, sizeof(from));
  assert_string_equal(from, "");
  /* serde_json's entry has no serde of its own: serde's plugin has it */
  assert_int_equal(rimport_test_count_prefixed(
                       rimport_build_result_array(r)[1].deps_dir, "libserde-"),
                   0);
  run_cell(s, cell, plan, r, &out);
  assert_string_equal(out.ptr, "[1,\"two\"]\n");
  assert_int_equal(rimport_parse(derive, strlen(derive), &imps), 0);
  rimport_test_assert_error(
      rimport_plan(s, rimport_imports_array(imps), rimport_imports_count(imps),
                   NULL, &refused),
      RIMPORT_ECONFLICT, "asks for the feature \"derive\"");
  assert_null(refused);
  rimport_imports_free(imps);
  rimport_buf_dispose(&out);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* `rimport serde_json`, then `rimport serde(features=["derive"])` in one
 * cell: serde_json's serde has no derive, so serde is built as written
 * and refused, with the message that names both feature sets and says
 * that serde_json's plugin came from this cell; nothing is published for
 * serde. Naming serde first with derive works: serde_json then stacks on
 * it (a new session), and a derive runs. */
static void same_cell_feature_the_copy_lacks_is_refused(void **state) {
  static const char cell[] = "rimport serde_json\n"
                             "rimport serde(features=[\"derive\"])\n";
  static const char first[] = "rimport serde(features=[\"derive\"])\n"
                              "rimport serde_json\n"
                              "#[derive(serde::Serialize)]\n"
                              "struct P { x: i64 }\n"
                              "kprintln!(\"{}\", "
                              "serde_json::to_string(&P { x: 1 }).unwrap());\n";
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r = NULL;
  rimport__entry *e = NULL;
  rimport_buf out = RIMPORT_BUF_INIT;
  const char *msg;
  char from[128];
  (void)state;
  if (!have_debian_crate("serde_json-1") || !have_debian_crate("serde-1") ||
      !have_debian_crate("serde_derive-1"))
    skip();
  s = debian_session();
  plan = rimport_test_plan(s, cell);
  rimport_test_assert_error(rimport_build(s, plan, &r), RIMPORT_ECONFLICT,
                            "shares the crate `serde` with the plugin "
                            "kayton_rplugin__serde_json");
  msg = rimport_error_last()->message;
  assert_non_null(strstr(msg, "(std)"));
  assert_non_null(strstr(msg, "derive"));
  assert_non_null(strstr(msg, "kayton_rplugin__serde_json was built for an "
                              "earlier import of this cell"));
  assert_null(r);
  assert_null(rimport_cell_plan_array(plan)[1].version);
  adopted_from_at(plan, 1, from, sizeof(from));
  assert_string_equal(from, "");
  assert_int_equal(rimport__cache_lookup(cache_dir, "serde",
                                         rimport_cell_plan_array(plan)[1].key,
                                         0, &e),
                   RIMPORT_ENOTFOUND);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
  s = debian_session();
  plan = rimport_test_plan(s, first);
  r = rimport_test_build(s, plan);
  run_cell(s, first, plan, r, &out);
  assert_string_equal(out.ptr, "{\"x\":1}\n");
  rimport_buf_dispose(&out);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* A local crate that another local crate of the same cell brings:
 * `rimport feat_x(path="feat_x")` and `from feat_core rimport features`.
 * feat_core's plugin takes feat_core from its directory with the features
 * feat_x's plugin has (alpha), after that plugin is built; nothing is
 * compiled twice, and the cell sees the one copy. */
static void same_cell_local_crate_is_taken_from_its_directory(void **state) {
  static const char cell[] =
      "rimport feat_x(path=\"feat_x\")\n"
      "from feat_core rimport features\n"
      "kprintln!(\"{} {}\", feat_x::core_features(), features());\n";
  rimport_session *s = open_session(NULL, 0);
  rimport_cell_plan *plan;
  rimport_build_result *r;
  const rimport_plugin *p;
  rimport_buf out = RIMPORT_BUF_INIT, real = RIMPORT_BUF_INIT;
  char from[128];
  (void)state;
  plan = rimport_test_plan(s, cell);
  p = rimport_cell_plan_array(plan);
  assert_int_equal(p[1].default_features, 1);
  r = rimport_test_build(s, plan);
  assert_int_equal(
      rimport__fs_realpath(RIMPORT_TEST_FIXTURES "/feat_core", &real), 0);
  assert_int_equal(p[1].source, RIMPORT_FROM_PATH);
  assert_string_equal(p[1].path, real.ptr);
  assert_int_equal(p[1].default_features, 0);
  assert_int_equal(p[1].feature_count, 0);
  assert_string_equal(rimport_build_result_array(r)[1].key, p[1].key);
  adopted_from_at(plan, 1, from, sizeof(from));
  assert_string_equal(from, "kayton_rplugin__feat_x");
  assert_int_equal(
      rimport_test_count_prefixed(rimport_build_result_array(r)[1].deps_dir,
                                  "libfeat_core-"),
      0);
  run_cell(s, cell, plan, r, &out);
  assert_string_equal(out.ptr, "alpha alpha\n");
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&real);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* `cargo metadata` lists tokio behind tokio-util (feature net) with
 * `winapi`, a feature only Windows dependencies turn on; the Linux build
 * does not have it. The plugin that takes the loaded tokio asks for no
 * feature of its own, so nothing loaded is compiled again (asking for the
 * listed features would rebuild tokio and the parent plugin, which the
 * build refuses). Skipped without librust-tokio-util-dev. */
static void loaded_copy_gets_no_other_platforms_features(void **state) {
  rimport_session *s;
  rimport_cell_plan *p1, *p2;
  rimport_build_result *r1, *r2;
  char from[128];
  (void)state;
  if (!have_debian_crate("tokio-util-0.7") || !have_debian_crate("tokio-1"))
    skip();
  s = debian_session();
  p1 = rimport_test_plan(s, "rimport tokio_util(features=[\"net\"])\n");
  r1 = rimport_test_build(s, p1);
  p2 = rimport_test_plan(s, "rimport tokio\n");
  adopted_from(p2, from, sizeof(from));
  assert_string_equal(from, "kayton_rplugin__tokio_util");
  assert_int_equal(rimport_cell_plan_array(p2)->feature_count, 0);
  r2 = rimport_test_build(s, p2);
  assert_false(rimport_build_result_array(r2)->from_cache);
  assert_int_equal(rimport_test_count_prefixed(
                       rimport_build_result_array(r2)->deps_dir, "libtokio-"),
                   0);
  rimport_build_result_free(r1);
  rimport_build_result_free(r2);
  rimport_cell_plan_free(p1);
  rimport_cell_plan_free(p2);
  rimport_session_close(s);
}

/* A local crate in a loaded plugin's graph (feat_core, behind feat_x) is
 * imported from the directory it was built from, with the features it
 * has (alpha); it is not compiled again, and the cell sees the one copy. */
static void loaded_path_crate_is_imported_from_its_directory(void **state) {
  rimport_session *s = open_session(NULL, 0);
  rimport_cell_plan *p1, *p2;
  rimport_build_result *r1, *r2;
  const rimport_plugin *p;
  rimport_buf out = RIMPORT_BUF_INIT, real = RIMPORT_BUF_INIT;
  static const char cell1[] = "rimport feat_x(path=\"feat_x\")\n"
                              "kprintln!(\"{}\", feat_x::core_features());\n";
  static const char cell[] = "from feat_core rimport features\n"
                             "kprintln!(\"{}\", features());\n";
  (void)state;
  p1 = rimport_test_plan(s, cell1);
  r1 = rimport_test_build(s, p1);
  run_cell(s, cell1, p1, r1, &out);
  assert_string_equal(out.ptr, "alpha\n");
  p2 = rimport_test_plan(s, cell);
  p = rimport_cell_plan_array(p2);
  assert_int_equal(
      rimport__fs_realpath(RIMPORT_TEST_FIXTURES "/feat_core", &real), 0);
  assert_int_equal(p->source, RIMPORT_FROM_PATH);
  assert_string_equal(p->path, real.ptr);
  assert_int_equal(p->default_features, 0);
  assert_int_equal(p->feature_count, 0); /* feat_x's plugin brings alpha */
  r2 = rimport_test_build(s, p2);
  assert_int_equal(
      rimport_test_count_prefixed(rimport_build_result_array(r2)->deps_dir,
                                  "libfeat_core-"),
      0);
  run_cell(s, cell, p2, r2, &out);
  assert_string_equal(out.ptr, "alpha\n");
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&real);
  rimport_build_result_free(r1);
  rimport_build_result_free(r2);
  rimport_cell_plan_free(p1);
  rimport_cell_plan_free(p2);
  rimport_session_close(s);
}

static void missing_cargo_is_a_toolchain_error(void **state) {
  rimport_session *s = open_session("/nonexistent/bin/cargo", 0);
  rimport_cell_plan *plan = rimport_test_plan(s, RIMPORT_TEST_KITCHEN);
  rimport_build_result *r = NULL;
  (void)state;
  rimport_test_assert_error(rimport_build(s, plan, &r), RIMPORT_ETOOLCHAIN,
                            "/nonexistent/bin/cargo");
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* --- rustdoc JSON from a finished build (build/rustdoc.h) ----------------- */

/* What a finished plugin build leaves for rustdoc, as build.c holds it
 * after its `cargo build`: cargo's messages and the `cargo metadata`
 * document of the graph. */
typedef struct built_graph {
  rimport__cargo_report report;
  cJSON *metadata;
  rimport_buf cargo, root, manifest, target;
  rimport__rustdoc_job job;
} built_graph;

static void graph_stdout(const char *data, size_t len, void *payload) {
  rimport__cargo_report *r = payload;
  if (rimport__cargo_feed_stdout(r, data, len) != 0)
    r->overflow = 1;
}

/* Runs `cargo <sub…>` on the plugin's build root as build.c does (the
 * session's source, --offline, the environment); its stdout is captured,
 * or fed to g->report when `feed` is set. */
static void graph_cargo(built_graph *g, rimport_session *s,
                        const char *const *sub, int feed,
                        rimport__proc_result *res) {
  const rimport_session_options *o = rimport__session_options(s);
  const rimport_toolchain *tc;
  rimport__argv argv = RIMPORT__ARGV_INIT, env = RIMPORT__ARGV_INIT;
  rimport__proc_opts po;
  size_t i;
  assert_int_equal(rimport_session_toolchain(s, &tc), 0);
  rimport__argv_add(&argv, g->cargo.ptr);
  for (i = 0; sub[i] != NULL; i++)
    rimport__argv_add(&argv, sub[i]);
  rimport__argv_addv(&argv, "--manifest-path", g->manifest.ptr, NULL);
  rimport__cargo_common_args(&argv, o);
  rimport__cargo_env(&env, tc->rustc, NULL);
  assert_int_equal(argv.rc, 0);
  assert_int_equal(env.rc, 0);
  memset(&po, 0, sizeof(po));
  po.file = g->cargo.ptr;
  po.args = argv.v;
  po.cwd = g->root.ptr;
  po.env = env.v;
  po.max_capture = 256u * 1024 * 1024;
  po.on_stdout = feed ? graph_stdout : NULL;
  po.payload = &g->report;
  if (rimport__proc_run(&po, res) != 0)
    fail_msg("cargo %s: %s", sub[0], rimport_error_last()->message);
  if (feed)
    rimport__cargo_feed_end(&g->report);
  if (res->exit_status != 0 || res->term_signal != 0)
    fail_msg("cargo %s failed:\n%s", sub[0], res->err.ptr);
  rimport__argv_dispose(&argv);
  rimport__argv_dispose(&env);
}

/* The messages and metadata of the build of `bp` in `s`: its `cargo
 * build` and `cargo metadata` run again on the plugin's build root, where
 * every unit is fresh (checked: nothing is compiled again), and a job for
 * rimport__rustdoc_json from them. */
static void graph_of(built_graph *g, rimport_session *s,
                     const rimport_built_plugin *bp) {
  const rimport_session_options *o = rimport__session_options(s);
  const rimport_toolchain *tc;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  size_t i;
  int cross;
  memset(g, 0, sizeof(*g));
  rimport__cargo_report_init(&g->report);
  assert_int_equal(rimport_session_toolchain(s, &tc), 0);
  cross = strcmp(tc->target, tc->host) != 0;
  assert_int_equal(rimport__cargo_find(o, &g->cargo), 0);
  assert_int_equal(rimport__buf_printf(&g->root, "%s%c_work%c%s-%s.root",
                                       o->cache_dir, rimport__dir_sep,
                                       rimport__dir_sep, bp->crate, bp->key),
                   0);
  assert_int_equal(rimport__path_join(&g->manifest, g->root.ptr, "Cargo.toml"),
                   0);
  assert_int_equal(rimport__buf_printf(&g->target, "%s%c_target", o->cache_dir,
                                       rimport__dir_sep),
                   0);
  {
    const char *const meta[] = {"metadata", "--format-version",
                                "1",        cross ? "--filter-platform" : NULL,
                                tc->target, NULL};
    const char *const build[] = {
        "build",        "--release",   "--message-format=json",
        "--target-dir", g->target.ptr, cross ? "--target" : NULL,
        tc->target,     NULL};
    graph_cargo(g, s, meta, 0, &res);
    g->metadata = cJSON_Parse(res.out.ptr);
    assert_non_null(g->metadata);
    rimport__proc_result_dispose(&res);
    graph_cargo(g, s, build, 1, &res);
    rimport__proc_result_dispose(&res);
  }
  assert_true(g->report.success);
  assert_true(g->report.artifact_count > 0);
  for (i = 0; i < g->report.artifact_count; i++)
    if (!g->report.artifacts[i].fresh)
      fail_msg("cargo compiled %s again: the build was not reproduced",
               g->report.artifacts[i].target_name);
  g->job.tc = tc;
  g->job.metadata = g->metadata;
  g->job.report = &g->report;
  g->job.target_dir = g->target.ptr;
  g->job.cargo = g->cargo.ptr;
  g->job.opts = o;
  g->job.plugin = bp->crate;
}

static void graph_dispose(built_graph *g) {
  rimport__cargo_report_dispose(&g->report);
  cJSON_Delete(g->metadata);
  rimport_buf_dispose(&g->cargo);
  rimport_buf_dispose(&g->root);
  rimport_buf_dispose(&g->manifest);
  rimport_buf_dispose(&g->target);
}

/* Where the cases have rustdoc write: beside the cache. */
static const char *doc_dir(void) {
  static char dir[4200];
  snprintf(dir, sizeof(dir), "%s-doc", cache_dir);
  return dir;
}

/* The JSON file at `path`, parsed (the test fails when it is not JSON). */
static cJSON *read_json(const char *path) {
  rimport_buf text = RIMPORT_BUF_INIT;
  cJSON *doc;
  if (rimport__fs_read_file(path, 256u * 1024 * 1024, &text) != 0)
    fail_msg("reading %s: %s", path, rimport_error_last()->message);
  doc = cJSON_ParseWithLength(text.ptr, text.size);
  if (doc == NULL)
    fail_msg("%s is not JSON", path);
  rimport_buf_dispose(&text);
  return doc;
}

/* rimport__rustdoc_json for the package `name` at `version` of the graph;
 * the parsed JSON (the test fails when rustdoc fails). *seconds, when not
 * NULL, gets how long it took. */
static cJSON *rustdoc_of(const built_graph *g, const char *name,
                         const char *version, double *seconds) {
  const char *id = rimport__rustdoc_package_id(g->metadata, name, version);
  rimport_buf path = RIMPORT_BUF_INIT;
  uint64_t t0 = uv_hrtime();
  cJSON *doc;
  char file[128];
  if (id == NULL)
    fail_msg("%s %s is not in the build's metadata", name, version);
  if (rimport__rustdoc_json(&g->job, id, doc_dir(), &path) != 0)
    fail_msg("rustdoc of %s: %s", name, rimport_error_last()->message);
  if (seconds != NULL)
    *seconds = (double)(uv_hrtime() - t0) / 1e9;
  snprintf(file, sizeof(file), "%s.json", name);
  assert_true(rimport_test_path_ends_with(path.ptr, file));
  doc = read_json(path.ptr);
  rimport_buf_dispose(&path);
  return doc;
}

/* An item's kind: formats up to ~35 say it in "kind"; later ones name it
 * as the only key of "inner". "" when neither. */
static const char *item_kind(const cJSON *item) {
  const char *k = rimport__json_str(item, "kind");
  const cJSON *inner = cJSON_GetObjectItemCaseSensitive(item, "inner");
  if (k != NULL)
    return k;
  if (cJSON_IsObject(inner) && inner->child != NULL &&
      inner->child->string != NULL)
    return inner->child->string;
  return "";
}

/* The item `name` of kind `kind` of the documented crate (crate_id 0), or
 * NULL. */
static const cJSON *local_item(const cJSON *doc, const char *name,
                               const char *kind) {
  const cJSON *item;
  cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "index")) {
    const cJSON *crate = cJSON_GetObjectItemCaseSensitive(item, "crate_id");
    const char *n = rimport__json_str(item, "name");
    if (cJSON_IsNumber(crate) && crate->valueint == 0 && n != NULL &&
        strcmp(n, name) == 0 && strcmp(item_kind(item), kind) == 0)
      return item;
  }
  return NULL;
}

/* The docs of local_item(name, kind); the test fails when there is no
 * such item. */
static const char *item_docs(const cJSON *doc, const char *name,
                             const char *kind) {
  const cJSON *item = local_item(doc, name, kind);
  const char *docs;
  if (item == NULL)
    fail_msg("the rustdoc JSON has no %s `%s`", kind, name);
  docs = rimport__json_str(item, "docs");
  return docs ? docs : "";
}

static int format_version(const cJSON *doc) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "format_version");
  assert_true(cJSON_IsNumber(v));
  return v->valueint;
}

/* Every library file the build reported (.rmeta, .rlib, …) with its
 * mtime, "path\tsec.nsec\n" each, into out. */
static void lib_mtimes(const built_graph *g, rimport_buf *out) {
  size_t i, k;
  rimport__buf_clear(out);
  for (i = 0; i < g->report.artifact_count; i++) {
    const rimport__cargo_artifact *a = &g->report.artifacts[i];
    for (k = 0; k < a->filename_count; k++) {
      rimport__stat st;
      if (rimport__fs_stat(a->filenames[k], &st) != 0)
        fail_msg("%s: %s", a->filenames[k], rimport_error_last()->message);
      rimport__buf_printf(out, "%s\t%lld.%09lld\n", a->filenames[k],
                          (long long)st.mtime_sec, (long long)st.mtime_nsec);
    }
  }
}

/* serde_json's rustdoc JSON from its plugin's build (Debian's crates):
 * it parses, has a format_version and serde_json::to_string, took a
 * fraction of the build's time, and compiled nothing (the deps' files are
 * untouched). Skipped without librust-serde-json-dev. */
static void rustdoc_json_of_serde_json(void **state) {
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  const rimport_built_plugin *bp;
  rimport_session_options o;
  rimport_test_progress pr;
  rimport_buf before = RIMPORT_BUF_INIT, after = RIMPORT_BUF_INIT;
  built_graph g;
  cJSON *doc;
  double secs;
  (void)state;
  if (!have_debian_crate("serde_json-1"))
    skip();
  s = debian_session();
  plan = rimport_test_plan(s, "rimport serde_json\n");
  r = rimport_test_build(s, plan);
  bp = rimport_build_result_array(r);
  graph_of(&g, s, bp);
  o = *g.job.opts;
  memset(&pr, 0, sizeof(pr));
  o.progress = rimport_test_on_progress;
  o.progress_payload = &pr;
  g.job.opts = &o;
  lib_mtimes(&g, &before);
  doc = rustdoc_of(&g, "serde_json", bp->version, &secs);
  lib_mtimes(&g, &after);
  assert_string_equal(after.ptr, before.ptr);
  assert_true(format_version(doc) > 0);
  assert_string_equal(rimport__json_str(doc, "crate_version"), bp->version);
  assert_non_null(local_item(doc, "to_string", "function"));
  assert_non_null(local_item(doc, "Value", "enum"));
  assert_int_equal(pr.calls, 1);
  assert_non_null(strstr(pr.message, "documenting `serde_json`"));
  assert_null(getenv("RUSTC_BOOTSTRAP")); /* rustdoc's environment only */
  print_message("rustdoc JSON of serde_json %s: %.2f s (its plugin's build: "
                "%.1f s), format_version %d, %d items\n",
                bp->version, secs, bp->build_seconds, format_version(doc),
                cJSON_GetArraySize(cJSON_GetObjectItem(doc, "index")));
  assert_true(secs < bp->build_seconds);
  cJSON_Delete(doc);
  rimport_buf_dispose(&before);
  rimport_buf_dispose(&after);
  graph_dispose(&g);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* Debian's Rust 1.63 (rustc, cargo and rustdoc in /usr/bin) documents
 * serde_json from its own build: rustdoc JSON format_version 15, whose
 * items name their kind in "kind". Skipped without Debian's toolchain or
 * crates; and on Windows, where the stage runs every case with that
 * toolchain already (behind the wine stand-ins) and this case's Linux
 * paths name programs a Windows process cannot start. */
static void rustdoc_json_with_debian_rust_163(void **state) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  const rimport_built_plugin *bp;
  const rimport_toolchain *tc;
  built_graph g;
  cJSON *doc;
  rimport_buf rustdoc = RIMPORT_BUF_INIT;
  double secs;
  (void)state;
  if (rimport__exe_suffix[0] != '\0' ||
      !rimport__fs_is_file("/usr/bin/rustc") ||
      !rimport__fs_is_file("/usr/bin/cargo") ||
      !rimport__fs_is_file("/usr/bin/rustdoc") ||
      !have_debian_crate("serde_json-1"))
    skip(); /* apt-get install rustc cargo librust-serde-json-dev */
  o.rustc_path = "/usr/bin/rustc";
  o.cargo_path = "/usr/bin/cargo";
  o.source_kind = RIMPORT_SOURCE_DIRECTORY;
  o.source = DEBIAN_REGISTRY;
  s = rimport_test_session_open(cache_dir, &o);
  assert_int_equal(rimport_session_toolchain(s, &tc), 0);
  assert_string_equal(tc->release, "1.63.0");
  assert_int_equal(rimport__rustdoc_find(tc, NULL, &rustdoc), 0);
  assert_string_equal(rustdoc.ptr, "/usr/bin/rustdoc");
  plan = rimport_test_plan(s, "rimport serde_json\n");
  r = rimport_test_build(s, plan);
  bp = rimport_build_result_array(r);
  graph_of(&g, s, bp);
  doc = rustdoc_of(&g, "serde_json", bp->version, &secs);
  assert_int_equal(format_version(doc), 15);
  assert_string_equal(item_kind(local_item(doc, "to_string", "function")),
                      "function");
  print_message("rustdoc 1.63 JSON of serde_json: %.2f s (build %.1f s)\n",
                secs, bp->build_seconds);
  cJSON_Delete(doc);
  rimport_buf_dispose(&rustdoc);
  graph_dispose(&g);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* reqwest 0.11 (blocking) from Debian's crates: its rustdoc JSON from the
 * plugin's build, with the time it takes. Skipped without
 * librust-reqwest-dev, and for Windows targets (Debian's crates cannot
 * build reqwest there: see reqwest_from_debian). */
static void rustdoc_json_of_reqwest(void **state) {
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  const rimport_built_plugin *bp;
  const rimport_toolchain *tc;
  built_graph g;
  cJSON *doc;
  double secs;
  (void)state;
  if (!have_debian_crate("reqwest-0.11"))
    skip();
  s = debian_session();
  assert_int_equal(rimport_session_toolchain(s, &tc), 0);
  if (strstr(tc->target, "windows") != NULL) {
    rimport_session_close(s);
    skip();
  }
  plan = rimport_test_plan(s, "rimport reqwest(version=\"0.11\", "
                              "features=[\"blocking\"])\n");
  r = rimport_test_build(s, plan);
  bp = rimport_build_result_array(r);
  graph_of(&g, s, bp);
  doc = rustdoc_of(&g, "reqwest", bp->version, &secs);
  assert_non_null(local_item(doc, "get", "function"));
  assert_non_null(local_item(doc, "Client", "struct"));
  assert_non_null(local_item(doc, "blocking", "module"));
  print_message("rustdoc JSON of reqwest %s: %.2f s (its plugin's build: "
                "%.1f s), format_version %d, %d items\n",
                bp->version, secs, bp->build_seconds, format_version(doc),
                cJSON_GetArraySize(cJSON_GetObjectItem(doc, "index")));
  assert_true(secs < bp->build_seconds);
  cJSON_Delete(doc);
  graph_dispose(&g);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* The kdoc fixture built as a plugin, and its rustdoc JSON. kdoc compiles
 * only with its build script's cfg, env and OUT_DIR, its feature, cargo's
 * CARGO_PKG_* variables and its renamed dependency. */
static cJSON *kdoc_json(void) {
  rimport_session *s = open_session(NULL, 0);
  rimport_cell_plan *plan =
      rimport_test_plan(s, "rimport kdoc(path=\"kdoc\")\n");
  rimport_build_result *r = rimport_test_build(s, plan);
  built_graph g;
  cJSON *doc;
  graph_of(&g, s, rimport_build_result_array(r));
  doc = rustdoc_of(&g, "kdoc", "0.3.1-rc.2", NULL);
  graph_dispose(&g);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
  return doc;
}

/* The build script's cargo:rustc-cfg (kfix_cfg, without which the crate
 * is a compile_error!), cargo:rustc-env (KFIX_ENV) and the file it writes
 * into OUT_DIR (include!d) reach rustdoc. */
static void rustdoc_gets_build_script_cfg_env_out_dir(void **state) {
  cJSON *doc = kdoc_json();
  (void)state;
  assert_string_equal(item_docs(doc, "from_build_script", "function"),
                      "KFIX_ENV=yes");
  assert_string_equal(item_docs(doc, "generated", "function"),
                      "generated in OUT_DIR by build.rs");
  cJSON_Delete(doc);
}

/* env!("CARGO_PKG_VERSION") and cargo's other variables have the values
 * cargo gives rustc. */
static void rustdoc_gets_cargo_pkg_variables(void **state) {
  cJSON *doc = kdoc_json();
  const char *dir;
  (void)state;
  assert_string_equal(item_docs(doc, "version", "function"),
                      "version 0.3.1-rc.2 major 0 minor 3 patch 1 pre rc.2");
  assert_string_equal(item_docs(doc, "about", "function"),
                      "by Ada <ada@example.org>:Bo <bo@example.org>; name "
                      "kdoc; crate kdoc; license MIT");
  dir = item_docs(doc, "manifest_dir", "function");
  assert_true(rimport_test_path_ends_with(dir, "fixtures/crates/kdoc"));
  assert_string_equal(rimport__json_str(doc, "crate_version"), "0.3.1-rc.2");
  cJSON_Delete(doc);
}

/* kdoc names its dependency kdoc_dep `kren` (package = "kdoc_dep"): rustdoc
 * gets --extern kren=…, and the JSON knows the type by its crate's name. */
static void rustdoc_gets_renamed_dependency(void **state) {
  cJSON *doc = kdoc_json();
  const cJSON *p, *c;
  int found = 0;
  (void)state;
  assert_non_null(local_item(doc, "dep_thing", "function"));
  cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "paths")) {
    const cJSON *path = cJSON_GetObjectItem(p, "path");
    if (cJSON_GetArraySize(path) == 2 &&
        strcmp(cJSON_GetArrayItem(path, 0)->valuestring, "kdoc_dep") == 0 &&
        strcmp(cJSON_GetArrayItem(path, 1)->valuestring, "DepThing") == 0)
      found = 1;
  }
  assert_true(found);
  found = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "external_crates")) {
    found |= strcmp(rimport__json_str(c, "name"), "kdoc_dep") == 0;
  }
  assert_true(found);
  cJSON_Delete(doc);
}

/* kruntime and the proc-macro crate it re-exports macros of (kmacros):
 * kmacros is documented as a proc-macro crate (its derive, attribute and
 * function-like macros), kruntime with kmacros's shared library as
 * --extern. */
static void rustdoc_json_of_proc_macro_crates(void **state) {
  rimport_session *s = open_session(NULL, 0);
  rimport_cell_plan *plan =
      rimport_test_plan(s, "rimport kruntime(path=\"kruntime\")\n");
  rimport_build_result *r = rimport_test_build(s, plan);
  built_graph g;
  cJSON *doc;
  (void)state;
  graph_of(&g, s, rimport_build_result_array(r));
  doc = rustdoc_of(&g, "kmacros", "0.1.0", NULL);
  assert_non_null(local_item(doc, "Describe", "proc_macro"));
  assert_non_null(local_item(doc, "traced", "proc_macro"));
  cJSON_Delete(doc);
  doc = rustdoc_of(&g, "kruntime", "0.1.0", NULL);
  assert_non_null(local_item(doc, "Describe", "trait"));
  assert_non_null(local_item(doc, "traced_calls", "function"));
  cJSON_Delete(doc);
  graph_dispose(&g);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* Acts as rustdoc: $FAKE_RUSTDOC "fail" says what it got on stderr and
 * exits 1; "nofile" exits 0 without writing anything. */
static int fake_rustdoc(int argc, char **argv) {
  const char *mode = getenv("FAKE_RUSTDOC");
  const char *bootstrap = getenv("RUSTC_BOOTSTRAP"),
             *name = getenv("CARGO_PKG_NAME");
  int i;
  if (mode != NULL && strcmp(mode, "nofile") == 0)
    return 0;
  for (i = 1; i < argc; i++)
    fprintf(stderr, "arg %s\n", argv[i]);
  fprintf(stderr,
          "error: fake rustdoc failed on purpose (RUSTC_BOOTSTRAP %s, "
          "CARGO_PKG_NAME %s)\n",
          bootstrap ? bootstrap : "unset", name ? name : "unset");
  return 1;
}

/* A rustdoc that fails: ECHILD naming the crate, with the end of its
 * stderr and the command; an older JSON file is gone; a rustdoc that
 * writes nothing, one that cannot start, a package not in the graph and
 * a toolchain without rustdoc are errors too, and nothing crashes. */
static void rustdoc_failure_names_crate_and_stderr(void **state) {
  rimport_session *s = open_session(NULL, 0);
  rimport_cell_plan *plan = rimport_test_plan(s, RIMPORT_TEST_KITCHEN);
  rimport_build_result *r = rimport_test_build(s, plan);
  rimport_buf path = RIMPORT_BUF_INIT, old = RIMPORT_BUF_INIT;
  rimport_toolchain no_rustdoc = rimport_test_fake_toolchain;
  const char *id, *msg;
  built_graph g;
  (void)state;
  graph_of(&g, s, rimport_build_result_array(r));
  id = rimport__rustdoc_package_id(g.metadata, "kitchen", "0.1.0");
  assert_non_null(id);
  assert_int_equal(rimport__fs_mkdir_p(doc_dir()), 0);
  assert_int_equal(rimport__path_join(&old, doc_dir(), "kitchen.json"), 0);
  rimport_test_write_file(old.ptr, "{\"format_version\": 1}");

  g.job.rustdoc = rimport_test_fake_begin("fake-rustdoc", NULL, NULL);
  rimport_test_setenv("FAKE_RUSTDOC", "fail");
  rimport_test_assert_error(rimport__rustdoc_json(&g.job, id, doc_dir(), &path),
                            RIMPORT_ECHILD,
                            "documenting `kitchen` 0.1.0 (rustdoc JSON) "
                            "failed (exit status 1)");
  msg = rimport_error_last()->message;
  assert_non_null(strstr(msg, "fake rustdoc failed on purpose "
                              "(RUSTC_BOOTSTRAP 1, CARGO_PKG_NAME kitchen)"));
  assert_non_null(strstr(msg, "arg --crate-name\narg kitchen\n"));
  assert_non_null(strstr(msg, "arg --output-format\narg json\n"));
  assert_non_null(strstr(msg, "It ran in "));
  assert_null(path.ptr);
  assert_false(rimport__fs_is_file(old.ptr));

  rimport_test_setenv("FAKE_RUSTDOC", "nofile");
  rimport_test_assert_error(rimport__rustdoc_json(&g.job, id, doc_dir(), &path),
                            RIMPORT_ECHILD, "rustdoc finished but wrote no");
  rimport_test_fake_end("FAKE_RUSTDOC", NULL);

  g.job.rustdoc = "/nonexistent/bin/rustdoc";
  rimport_test_assert_error(rimport__rustdoc_json(&g.job, id, doc_dir(), &path),
                            RIMPORT_ETOOLCHAIN, "could not be started");
  assert_non_null(
      strstr(rimport_error_last()->message, "documenting `kitchen`"));
  g.job.rustdoc = NULL;
  rimport_test_assert_error(
      rimport__rustdoc_json(&g.job, "no-such-package 1.0.0", doc_dir(), &path),
      RIMPORT_ENOTFOUND, "no-such-package 1.0.0");
  rimport_test_assert_error(rimport__rustdoc_json(NULL, id, doc_dir(), &path),
                            RIMPORT_EINVAL, NULL);
  no_rustdoc.rustc = "/nonexistent/bin/rustc";
  rimport_test_assert_error(rimport__rustdoc_find(&no_rustdoc, NULL, &path),
                            RIMPORT_ETOOLCHAIN, "/sysroot");
  assert_non_null(strstr(rimport_error_last()->message, "/nonexistent/bin"));
  assert_null(path.ptr);
  rimport_buf_dispose(&old);
  graph_dispose(&g);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* cargo's messages with fields of other types, missing or odd, are read
 * without a crash (what is unusable is left out), and so is metadata of
 * the wrong shape; rustdoc gets only what is well-formed. */
static void rustdoc_odd_cargo_messages_are_safe(void **state) {
  static const char *const lines[] = {
      "{\"reason\":\"compiler-artifact\",\"package_id\":7,\"target\":\"x\","
      "\"filenames\":{\"a\":1},\"features\":[1,null,\"f\"],\"profile\":[]}\n",
      "{\"reason\":\"compiler-artifact\",\"package_id\":\"p\",\"target\":{"
      "\"name\":\"p\",\"kind\":[\"lib\"],\"crate_types\":[\"lib\",3],"
      "\"src_path\":5,\"edition\":[]},\"filenames\":[\"/x/libp.rmeta\",2],"
      "\"features\":\"f\",\"profile\":{\"opt_level\":3}}\n",
      "{\"reason\":\"build-script-executed\"}\n",
      "{\"reason\":\"build-script-executed\",\"package_id\":\"p\",\"cfgs\":"
      "\"c\",\"env\":[[1,2],[\"A\"],[\"=x\",\"y\"],[\"\",\"v\"],[\"OK\",\"v\"],"
      "\"s\",[\"B\",\"w\",\"x\"],{\"K\":\"V\"}],\"out_dir\":1}\n",
      "{\"reason\":\"build-script-executed\",\"package_id\":\"p\",\"cfgs\":["
      "\"c\",1,{}],\"env\":{\"K\":\"V\"},\"out_dir\":null}\n",
      "{\"reason\":[],\"package_id\":\"p\"}\n",
      "[1,2,3]\n",
      "{\"reason\":\"compiler-artifact\"}\n",
      "{\"reason\":\"compiler-artifact\",\"target\":{\"kind\":{\"a\":\"b\"},"
      "\"crate_types\":{\"x\":\"lib\"}}}\n",
      "{\n"};
  static const char meta[] =
      "{\"packages\":[{\"id\":\"p\",\"name\":\"p\",\"version\":1,\"authors\":"
      "\"me\",\"targets\":{\"name\":\"p\"}}],\"resolve\":{\"nodes\":[{\"id\":"
      "\"p\",\"deps\":[{\"name\":\"a b\",\"pkg\":\"q\"},{\"name\":\"q\","
      "\"pkg\":7},{\"name\":\"r\",\"pkg\":\"r\",\"dep_kinds\":[{\"kind\":"
      "\"dev\"}]},{\"name\":\"s\",\"pkg\":\"s\",\"dep_kinds\":\"x\"},"
      "{\"name\":\"t\",\"pkg\":\"t\",\"dep_kinds\":[7,{\"kind\":null}]}]}]}}";
  rimport__cargo_report rep;
  rimport__rustdoc_job job;
  rimport_toolchain tc = rimport_test_fake_toolchain;
  rimport_buf path = RIMPORT_BUF_INIT, manifest = RIMPORT_BUF_INIT,
              dir = RIMPORT_BUF_INIT;
  cJSON *doc, *pkg, *targets;
  const char *msg;
  size_t i;
  (void)state;
  rimport__cargo_report_init(&rep);
  for (i = 0; i < RIMPORT__ARRAY_SIZE(lines); i++)
    assert_int_equal(
        rimport__cargo_feed_stdout(&rep, lines[i], strlen(lines[i])), 0);
  assert_int_equal(rimport__cargo_feed_end(&rep), 0);
  assert_int_equal(rep.artifact_count, 4);
  assert_null(rep.artifacts[0].package_id);
  assert_int_equal(rep.artifacts[0].filename_count, 0);
  assert_int_equal(rep.artifacts[0].features.count, 1);
  assert_string_equal(rep.artifacts[0].features.v[0], "f");
  assert_null(rep.artifacts[0].opt_level);
  assert_string_equal(rep.artifacts[1].package_id, "p");
  assert_int_equal(rep.artifacts[1].crate_types.count, 1);
  assert_null(rep.artifacts[1].src_path);
  assert_null(rep.artifacts[1].edition);
  assert_null(rep.artifacts[1].opt_level);
  assert_int_equal(rep.artifacts[1].filename_count, 1);
  assert_int_equal(rep.artifacts[1].features.count, 0);
  assert_int_equal(rep.artifacts[3].crate_types.count, 0);
  assert_int_equal(rep.script_count, 2);
  assert_null(rep.scripts[0].out_dir);
  assert_int_equal(rep.scripts[0].cfgs.count, 0);
  assert_int_equal(rep.scripts[0].env.count, 1);
  assert_string_equal(rep.scripts[0].env.v[0], "OK=v");
  assert_int_equal(rep.scripts[1].cfgs.count, 1);
  assert_int_equal(rep.scripts[1].env.count, 0);

  /* The job, with metadata of odd shapes. */
  memset(&job, 0, sizeof(job));
  job.tc = &tc;
  job.report = &rep;
  job.target_dir = "/x";
  job.metadata = doc = cJSON_Parse("{\"packages\":{\"id\":\"p\"}}");
  rimport_test_assert_error(rimport__rustdoc_json(&job, "p", doc_dir(), &path),
                            RIMPORT_ENOTFOUND, "documenting the package p");
  assert_null(rimport__rustdoc_package_id(doc, "p", "1"));
  cJSON_Delete(doc);
  job.metadata = doc = cJSON_Parse(meta);
  assert_non_null(doc);
  pkg = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "packages"), 0);
  rimport_test_assert_error(rimport__rustdoc_json(&job, "p", doc_dir(), &path),
                            RIMPORT_ENOTFOUND, "manifest_path");
  /* A manifest in a directory that exists (rustdoc runs there). */
  assert_int_equal(rimport__buf_printf(&dir, "%s-odd", cache_dir), 0);
  assert_int_equal(rimport__fs_mkdir_p(dir.ptr), 0);
  assert_int_equal(rimport__path_join(&manifest, dir.ptr, "Cargo.toml"), 0);
  cJSON_AddStringToObject(pkg, "manifest_path", manifest.ptr);
  rimport_test_assert_error(rimport__rustdoc_json(&job, "p", doc_dir(), &path),
                            RIMPORT_ENOTFOUND, "source file");
  targets = cJSON_Parse("[{\"name\":\"p\",\"src_path\":\"/x/src/lib.rs\","
                        "\"edition\":\"2021\"}]");
  cJSON_ReplaceItemInObject(pkg, "targets", targets);
  job.rustdoc = rimport_test_fake_begin("fake-rustdoc", NULL, NULL);
  rimport_test_setenv("FAKE_RUSTDOC", "fail");
  rimport_test_assert_error(rimport__rustdoc_json(&job, "p", doc_dir(), &path),
                            RIMPORT_ECHILD, "documenting `p` (rustdoc JSON)");
  rimport_test_fake_end("FAKE_RUSTDOC", NULL);
  msg = rimport_error_last()->message;
  assert_non_null(strstr(msg, "arg --edition\narg 2021\n"));
  assert_non_null(strstr(msg, "arg --cfg\narg c\n"));
  assert_non_null(strstr(msg, "arg -L\narg dependency=/x\n"));
  assert_non_null(strstr(msg, "arg /x/src/lib.rs\n"));
  assert_null(strstr(msg, "--extern"));
  assert_null(strstr(msg, "--crate-version"));
  assert_non_null(strstr(msg, "no library for, not given to rustdoc: s, t"));
  cJSON_Delete(doc);
  rimport_buf_dispose(&manifest);
  rimport_buf_dispose(&dir);
  rimport__cargo_report_dispose(&rep);
}

/* --- a fake cargo --------------------------------------------------------- */

/* Acts as cargo: `metadata` prints a small graph; `build` does what
 * $FAKE_CARGO says. */
static int fake_cargo(int argc, char **argv) {
  const char *mode = getenv("FAKE_CARGO");
  int i;
  if (argc >= 2 && strcmp(argv[1], "metadata") == 0) {
    printf("{\"packages\":[{\"name\":\"kitchen\",\"version\":\"0.1.0\","
           "\"id\":\"k\"}],\"resolve\":{\"nodes\":[{\"id\":\"k\","
           "\"features\":[]}]}}\n");
    return 0;
  }
  if (mode == NULL)
    return 3;
  if (strcmp(mode, "hang") == 0) {
    for (;;)
      uv_sleep(1000);
  }
  if (strcmp(mode, "slow") == 0) {
    uv_sleep(4000);
    return 1;
  }
  if (strcmp(mode, "crash") == 0) {
    printf("{\"reason\":\"compiler-artifact\",\"target\":{\"name\":\"x\"}}\n");
    fflush(stdout);
    rimport_test_die(RIMPORT_TEST_ABORTED);
  }
  if (strcmp(mode, "garbage") == 0) {
    for (i = 0; i < 1000; i++)
      printf("%c%s\x01\xff{[\n", 'a' + i % 26, "garbage");
    return 0; /* success, but no build-finished and no artifacts */
  }
  if (strcmp(mode, "no-dylib") == 0) {
    printf("{\"reason\":\"build-finished\",\"success\":true}\n");
    return 0;
  }
  return 3;
}

/* Makes this binary, as cargo (the cargo_path), act as the fake cargo in
 * `mode`; returns that path. */
static const char *use_fake_cargo(const char *mode) {
  const char *cargo = rimport_test_fake_begin("fake-cargo", NULL, NULL);
  rimport_test_setenv("FAKE_CARGO", mode);
  return cargo;
}

/* build <cache> [<cargo> <fake mode>]: builds the kitchen plugin, prints
 * built/cached. With a fake mode, cargo is this binary acting as the fake
 * cargo. */
static int child_build(int argc, char **argv) {
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r = NULL;
  int rc;
  snprintf(cache_dir, sizeof(cache_dir), "%s", argv[1]);
  if (argc >= 4)
    use_fake_cargo(argv[3]);
  s = open_session(argc >= 3 ? argv[2] : NULL, 0);
  plan = rimport_test_plan(s, RIMPORT_TEST_KITCHEN);
  rc = rimport_build(s, plan, &r);
  if (rc == 0)
    printf("%s\n",
           rimport_build_result_array(r)->from_cache ? "cached" : "built");
  else
    printf("error %s\n", rimport_error_last()->message);
  fflush(stdout);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
  rimport_error_clear();
  return rc == 0 ? 0 : 1;
}

/* Acts as a RUSTC_WRAPPER (sccache's place): appends the crate it
 * compiles ("--crate-name X", else "-") as a line to $FAKE_WRAPPER_LOG,
 * then runs the rest of its arguments (rustc and its arguments) and
 * passes on their output and exit status. */
static int fake_wrapper(int argc, char **argv) {
  const char *log = getenv("FAKE_WRAPPER_LOG");
  const char *crate = "-";
  rimport__proc_opts po;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  FILE *f;
  int i, rc;
  if (argc < 2)
    return 2;
  for (i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--crate-name") == 0)
      crate = argv[i + 1];
  if (log != NULL && (f = fopen(log, "a")) != NULL) {
    fprintf(f, "%s\n", crate);
    fclose(f);
  }
  memset(&po, 0, sizeof(po));
  po.file = argv[1];
  po.args = (const char *const *)(argv + 1);
  po.max_capture = 256u << 20;
  rc = rimport__proc_run(&po, &res);
  if (rc != 0) {
    fprintf(stderr, "fake wrapper: %s\n", rimport_error_last()->message);
    return 2;
  }
  fwrite(res.out.ptr, 1, res.out.size, stdout);
  fwrite(res.err.ptr, 1, res.err.size, stderr);
  rc = res.term_signal != 0 ? 1 : (int)res.exit_status;
  rimport__proc_result_dispose(&res);
  return rc;
}

static int child_main(int argc, char **argv) {
  static const rimport_test_child_def children[] = {
      {"fake-cargo", fake_cargo, 1},
      {"fake-rustdoc", fake_rustdoc, 1},
      {"build", child_build, 2},
      {"fake-wrapper", fake_wrapper, 1},
  };
  return rimport_test_child_dispatch(children, RIMPORT__ARRAY_SIZE(children),
                                     argc, argv);
}

/* A build of kitchen with the fake cargo in `mode` (which fails). */
static int fake_build(const char *mode, unsigned timeout_ms) {
  rimport_session *s = open_session(use_fake_cargo(mode), timeout_ms);
  rimport_cell_plan *plan = rimport_test_plan(s, RIMPORT_TEST_KITCHEN);
  rimport_build_result *r = NULL;
  int rc = rimport_build(s, plan, &r);
  assert_null(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
  return rc;
}

static void fake_cargo_crash(void **state) {
  (void)state;
  rimport_test_assert_error(fake_build("crash", 0), RIMPORT_ECHILD,
                            rimport_test_death_words(RIMPORT_TEST_ABORTED));
  assert_int_equal(count_named("kitchen", ".stage"), 0);
}

static void fake_cargo_garbage(void **state) {
  (void)state;
  rimport_test_assert_error(fake_build("garbage", 0), RIMPORT_ECHILD,
                            "without finishing the build");
  assert_non_null(strstr(rimport_error_last()->message, "agarbage"));
}

static void fake_cargo_reports_no_dylib(void **state) {
  (void)state;
  rimport_test_assert_error(fake_build("no-dylib", 0), RIMPORT_EBUILD,
                            "reported no dylib");
}

static void build_timeout_kills_cargo(void **state) {
  uint64_t t0 = uv_hrtime();
  (void)state;
  rimport_test_assert_error(fake_build("hang", 500), RIMPORT_ETIMEDOUT,
                            "build timeout");
  assert_true(uv_hrtime() - t0 < 20ull * 1000 * 1000 * 1000);
  assert_int_equal(count_named("kitchen", ".stage"), 0);
}

typedef struct cancel_arg {
  rimport_session *s;
} cancel_arg;

static void cancel_soon(void *arg) {
  cancel_arg *c = arg;
  uv_sleep(500);
  rimport_cancel(c->s);
}

static void cancel_from_another_thread(void **state) {
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r = NULL;
  uv_thread_t t;
  cancel_arg arg;
  (void)state;
  s = open_session(use_fake_cargo("hang"), 0);
  plan = rimport_test_plan(s, RIMPORT_TEST_KITCHEN);
  arg.s = s;
  assert_int_equal(uv_thread_create(&t, cancel_soon, &arg), 0);
  rimport_test_assert_error(rimport_build(s, plan, &r), RIMPORT_ECANCELED,
                            "canceled");
  assert_int_equal(uv_thread_join(&t), 0);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* --- processes --------------------------------------------------------------
 */

/* Two processes build one key at once: one cargo build, both succeed. */
static void two_processes_one_build(void **state) {
  const char *args[] = {"build", cache_dir, NULL};
  rimport_test_child *child[2];
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  int i, built = 0, cached = 0;
  (void)state;
  assert_int_equal(rimport__fs_mkdir_p(cache_dir), 0);
  for (i = 0; i < 2; i++)
    child[i] = rimport_test_child_start(args, RIMPORT_TEST_CHILD_CAPTURE);
  for (i = 0; i < 2; i++) {
    rimport_test_child_wait(child[i], &out);
    assert_int_equal(out.term_signal, 0);
    if (out.status != 0)
      fail_msg("child %d failed: %s", i, out.out.ptr);
    built += strncmp(out.out.ptr, "built", 5) == 0;
    cached += strncmp(out.out.ptr, "cached", 6) == 0;
    rimport_test_output_free(&out);
  }
  assert_int_equal(built, 1);
  assert_int_equal(cached, 1);
}

/* A build killed with SIGKILL half-way leaves no entry, and the next build
 * (the lock of the dead process is free) succeeds. */
static void killed_build_leaves_no_entry(void **state) {
  const char *args[] = {"build", cache_dir, rimport_test_self(), "slow", NULL};
  rimport_test_child *child;
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  int waited;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  (void)state;
  child = rimport_test_child_start(args, 0); /* its fake cargo sleeps */
  /* Wait until it holds the key lock, i.e. is building. */
  for (waited = 0; waited < 200 && count_named("kitchen", "") == 0; waited++)
    uv_sleep(50);
  assert_true(count_named("kitchen", "") > 0);
  uv_sleep(300);
  rimport_test_child_kill(child, &out);
  assert_int_not_equal(out.term_signal, 0);
  rimport_test_output_free(&out);
  /* No entry; the real build now goes through. */
  s = open_session(NULL, 0);
  plan = rimport_test_plan(s, RIMPORT_TEST_KITCHEN);
  {
    rimport__entry *e = NULL;
    assert_int_equal(rimport__cache_lookup(cache_dir, "kitchen",
                                           rimport_cell_plan_array(plan)->key,
                                           1, &e),
                     RIMPORT_ENOTFOUND);
  }
  r = rimport_test_build(s, plan);
  assert_false(rimport_build_result_array(r)->from_cache);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* --- the shared cache and RUSTC_WRAPPER ------------------------------------
 */

#define COUNTER_A "rimport counter_a(path=\"counter_a\")\n"

/* A progress callback that keeps the warnings only (in a
 * rimport_test_progress: calls and the last message). */
static void keep_warnings(const rimport_progress *p, void *payload) {
  if (p->phase == RIMPORT_PROGRESS_WARNING)
    rimport_test_on_progress(p, payload);
}

/* "Machine 1" builds counter_a with a shared cache, which gets the entry
 * too. "Machine 2" has a local cache at the same path (the first is moved
 * away: a fresh cache, target dir and workshop), finds counter_a in the
 * shared cache, brings it into its local cache without starting cargo (its
 * cargo does not exist), then builds counter_b stacked on it (with cargo)
 * and loads and registers both: the plugin from the shared cache and the
 * one built here share kayton_api's and counter_core's symbols. A machine
 * whose local cache is at another path does not take it (cargo's crate
 * hashes hold the path), with a warning saying so. */
static void shared_cache_saves_a_build(void **state) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  rimport__entry *e = NULL;
  rimport_test_progress log;
  char tier[4200], moved[4200], elsewhere[4200], key[33];
  const rimport_built_plugin *p;
  (void)state;
  snprintf(tier, sizeof(tier), "%s-tier", cache_dir);
  snprintf(moved, sizeof(moved), "%s-machine1", cache_dir);
  snprintf(elsewhere, sizeof(elsewhere), "%s-elsewhere", cache_dir);
  assert_int_equal(rimport__fs_mkdir_p(tier), 0);
  o.shared_cache_dir = tier;
  s = rimport_test_session_open(cache_dir, &o);
  plan = rimport_test_plan(s, COUNTER_A);
  r = rimport_test_build(s, plan);
  assert_false(rimport_build_result_array(r)->from_cache);
  snprintf(key, sizeof(key), "%s", rimport_build_result_array(r)->key);
  /* Published to the tier, sound. */
  assert_int_equal(
      rimport__cache_lookup(tier, "counter_a", key, RIMPORT__VERIFY_FULL, &e),
      0);
  rimport__entry_free(e);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
  assert_int_equal(rimport__fs_rename(cache_dir, moved, NULL), 0);

  /* Machine 2, without cargo. */
  memset(&log, 0, sizeof(log));
  o.cargo_path = "/nonexistent/cargo-is-not-run";
  o.progress = rimport_test_on_progress;
  o.progress_payload = &log;
  s = rimport_test_session_open(cache_dir, &o);
  plan = rimport_test_plan(s, COUNTER_A);
  assert_string_equal(rimport_cell_plan_array(plan)->key, key);
  r = rimport_test_build(s, plan);
  p = rimport_build_result_array(r);
  assert_true(p->from_cache);
  assert_non_null(strstr(log.message, "found in the shared cache"));
  assert_null(strstr(p->dylib, tier));
  assert_int_equal(rimport__cache_lookup(cache_dir, "counter_a", key,
                                         RIMPORT__VERIFY_FULL, &e),
                   0);
  {
    const char *from = rimport__json_str(
        cJSON_GetObjectItemCaseSensitive(e->manifest, "shared_cache"), "from");
    char tail[64];
    snprintf(tail, sizeof(tail), "counter_a/%s", key);
    assert_non_null(from);
    assert_true(rimport_test_path_ends_with(from, tail));
    assert_non_null(strstr(from, "-tier"));
  }
  rimport__entry_free(e);
  {
    char target[4300]; /* cargo never ran here */
    snprintf(target, sizeof(target), "%s/_target", cache_dir);
    assert_false(rimport__fs_is_dir(target));
  }
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  /* Stacking on it, with cargo this time. */
  o.cargo_path = NULL;
  o.progress = NULL;
  rimport_session_close(s);
  s = rimport_test_session_open(cache_dir, &o);
  plan =
      rimport_test_plan(s, COUNTER_A "rimport counter_b(path=\"counter_b\")\n");
  r = rimport_test_build(s, plan);
  p = rimport_build_result_array(r);
  assert_true(p[0].from_cache);
  assert_false(p[1].from_cache);
  if (rimport_load(s, r) != 0 || rimport_register(s) != 0)
    fail_msg("loading a plugin from the shared cache and one stacked on it: "
             "%s",
             rimport_error_last()->message);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);

  /* A local cache at another path: not taken, and said why. */
  memset(&log, 0, sizeof(log));
  o.cargo_path = "/nonexistent/cargo";
  o.progress = keep_warnings;
  o.progress_payload = &log;
  s = rimport_test_session_open(elsewhere, &o);
  plan = rimport_test_plan(s, COUNTER_A);
  r = NULL;
  assert_int_not_equal(rimport_build(s, plan, &r), 0); /* no cargo */
  assert_int_equal(log.calls, 1);
  assert_non_null(strstr(log.message, "same local cache path"));
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* The wrapper's log: how many lines name `crate`. */
static int wrapper_calls(const char *log, const char *crate) {
  rimport_buf text = RIMPORT_BUF_INIT;
  const char *p;
  size_t n = strlen(crate);
  int count = 0;
  if (rimport__fs_read_file(log, 1u << 20, &text) != 0) {
    rimport_error_clear();
    return 0;
  }
  for (p = text.ptr; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (strncmp(p, crate, n) == 0 && p[n] == '\n')
      count++;
  rimport_buf_dispose(&text);
  return count;
}

/* Builds counter_a in the cache `dir` with the wrapper option `wrapper`;
 * the key must be `key`. */
static void build_with_wrapper(const char *dir, const char *wrapper,
                               const char *key) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  o.rustc_wrapper = wrapper;
  s = rimport_test_session_open(dir, &o);
  plan = rimport_test_plan(s, COUNTER_A);
  assert_string_equal(rimport_cell_plan_array(plan)->key, key);
  r = rimport_test_build(s, plan);
  assert_false(rimport_build_result_array(r)->from_cache);
  assert_string_equal(rimport_build_result_array(r)->key, key);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* A plugin build runs rustc through the wrapper the rustc_wrapper option
 * names, and through $RUSTC_WRAPPER when no option says (as cargo does);
 * the plugin's key is the same with and without one. */
static void rustc_wrapper_is_used_and_not_keyed(void **state) {
  rimport_session *s;
  rimport_cell_plan *plan;
  char dir[4300], log[4300], key[33];
  const char *wrapper;
  (void)state;
  assert_int_equal(rimport__fs_mkdir_p(cache_dir), 0);
  s = open_session(NULL, 0); /* no wrapper */
  assert_null(rimport_session_rustc_wrapper(s));
  plan = rimport_test_plan(s, COUNTER_A);
  snprintf(key, sizeof(key), "%s", rimport_cell_plan_array(plan)->key);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
  snprintf(log, sizeof(log), "%s/wrapper.log", cache_dir);
  snprintf(dir, sizeof(dir), "%s-bin", cache_dir);
  assert_int_equal(rimport__fs_mkdir_p(dir), 0);
  wrapper = rimport_test_fake_begin("fake-wrapper", dir, "wrapper");
  rimport_test_setenv("FAKE_WRAPPER_LOG", log);
  /* the option */
  snprintf(dir, sizeof(dir), "%s-option", cache_dir);
  build_with_wrapper(dir, wrapper, key);
  assert_true(wrapper_calls(log, "kayton_rplugin__counter_a") >= 1);
  assert_true(wrapper_calls(log, "counter_core") >= 1);
  /* the environment */
  assert_int_equal(rimport__fs_unlink(log), 0);
  rimport_test_setenv("RUSTC_WRAPPER", wrapper);
  snprintf(dir, sizeof(dir), "%s-env", cache_dir);
  s = rimport_test_session_open(dir, NULL);
  assert_string_equal(rimport_session_rustc_wrapper(s), wrapper);
  rimport_session_close(s);
  build_with_wrapper(dir, NULL, key);
  rimport_test_setenv("RUSTC_WRAPPER", NULL);
  assert_true(wrapper_calls(log, "kayton_rplugin__counter_a") >= 1);
  rimport_test_fake_end("FAKE_WRAPPER_LOG", NULL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(builds_for_another_target, setup, teardown),
    cmocka_unit_test_setup_teardown(builds_then_hits_the_cache, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(shared_crate_is_linked_once, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(same_import_reuses_the_plugin, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(compile_failure_leaves_nothing, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(features_that_conflict_are_refused, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(missing_item_names_the_near_match, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(reqwest_from_debian, setup, teardown),
    cmocka_unit_test_setup_teardown(underscore_name_finds_dash_package, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(missing_crate_and_version, setup, teardown),
    cmocka_unit_test_setup_teardown(loaded_crate_is_imported_as_it_is, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(
        same_cell_takes_what_an_earlier_plugin_links, setup, teardown),
    cmocka_unit_test_setup_teardown(same_cell_crate_named_first_is_built_first,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(same_cell_feature_the_copy_lacks_is_refused,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(
        same_cell_local_crate_is_taken_from_its_directory, setup, teardown),
    cmocka_unit_test_setup_teardown(feature_the_loaded_copy_lacks_is_refused,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(
        loaded_path_crate_is_imported_from_its_directory, setup, teardown),
    cmocka_unit_test_setup_teardown(
        loaded_copy_gets_no_other_platforms_features, setup, teardown),
    cmocka_unit_test_setup_teardown(missing_cargo_is_a_toolchain_error, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(rustdoc_json_of_serde_json, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(rustdoc_json_with_debian_rust_163, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(rustdoc_json_of_reqwest, setup, teardown),
    cmocka_unit_test_setup_teardown(rustdoc_gets_build_script_cfg_env_out_dir,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(rustdoc_gets_cargo_pkg_variables, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(rustdoc_gets_renamed_dependency, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(rustdoc_json_of_proc_macro_crates, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(rustdoc_failure_names_crate_and_stderr,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(rustdoc_odd_cargo_messages_are_safe, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(fake_cargo_crash, setup, teardown),
    cmocka_unit_test_setup_teardown(fake_cargo_garbage, setup, teardown),
    cmocka_unit_test_setup_teardown(fake_cargo_reports_no_dylib, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(build_timeout_kills_cargo, setup, teardown),
    cmocka_unit_test_setup_teardown(cancel_from_another_thread, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(two_processes_one_build, setup, teardown),
    cmocka_unit_test_setup_teardown(shared_cache_saves_a_build, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(rustc_wrapper_is_used_and_not_keyed, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(killed_build_leaves_no_entry, setup,
                                    teardown),
};

RIMPORT_TEST_MAIN(tests, child_main)
