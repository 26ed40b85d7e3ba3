/* rimport_build with real cargo on the local fixture crates (no network:
 * path crates, --offline), and with a fake cargo (this binary) for the
 * faults: a hang, a crash, garbage, a timeout, a cancel, a kill. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "support.h"
#include "cache/cache.h"
#include "common/common.h"
#include "common/fs.h"
#include "common/json.h"
#include "platform.h"

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
                            "(did you mean `kitchen::Point`?)");
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
  s = debian_session();
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

static int child_main(int argc, char **argv) {
  static const rimport_test_child_def children[] = {
      {"fake-cargo", fake_cargo, 1},
      {"build", child_build, 2},
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
    cmocka_unit_test_setup_teardown(fake_cargo_crash, setup, teardown),
    cmocka_unit_test_setup_teardown(fake_cargo_garbage, setup, teardown),
    cmocka_unit_test_setup_teardown(fake_cargo_reports_no_dylib, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(build_timeout_kills_cargo, setup, teardown),
    cmocka_unit_test_setup_teardown(cancel_from_another_thread, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(two_processes_one_build, setup, teardown),
    cmocka_unit_test_setup_teardown(killed_build_leaves_no_entry, setup,
                                    teardown),
};

RIMPORT_TEST_MAIN(tests, child_main)
