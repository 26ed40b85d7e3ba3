/* Plans and cache keys (src/plan). Descriptors are made here by hand, as a
 * front-end would, so these tests do not depend on the parser; the toolchain
 * is a fixed record so that keys are known. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "common/common.h"
#include "plan/plan.h"
#include "session.h"
#include "stack/stack.h"
#include "common/fs.h"

typedef struct fixture {
  rimport_session *s;
  char dir[4096];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  char cache[4200];
  snprintf(f->dir, sizeof(f->dir), "%s", rimport_test_tmpdir("plan"));
  snprintf(cache, sizeof(cache), "%s/cache", f->dir);
  f->s = rimport_test_session_open(cache, NULL);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  rimport_session_close(f->s);
  free(f);
  rimport_error_clear();
  return 0;
}

static rimport_import crate_import(const char *crate, const char *stmt,
                                   unsigned line) {
  rimport_import imp;
  memset(&imp, 0, sizeof(imp));
  imp.kind = RIMPORT_IMPORT_CRATE;
  imp.crate = crate;
  imp.default_features = RIMPORT_UNSET;
  imp.statement = stmt;
  imp.span.line = line;
  return imp;
}

static rimport_import items_import(const char *crate, const char *module,
                                   const rimport_item *items, size_t n) {
  rimport_import imp = crate_import(crate, NULL, 0);
  imp.kind = RIMPORT_IMPORT_ITEMS;
  imp.module = module;
  imp.items = items;
  imp.item_count = n;
  return imp;
}

static rimport_cell_plan *plan_ok(fixture *f, const rimport_import *imps,
                                  size_t n) {
  rimport_plan_options po = RIMPORT_PLAN_OPTIONS_INIT;
  rimport_cell_plan *plan = NULL;
  int rc;
  po.base_dir = f->dir;
  rc = rimport__plan_make(rimport__session_plans(f->s),
                          rimport__session_stack(f->s),
                          &rimport_test_fake_toolchain, imps, n, &po, &plan);
  if (rc != 0)
    fail_msg("plan failed: %s", rimport_error_last()->message);
  assert_non_null(plan);
  return plan;
}

static int plan_err(fixture *f, const rimport_import *imps, size_t n) {
  rimport_plan_options po = RIMPORT_PLAN_OPTIONS_INIT;
  rimport_cell_plan *plan = (rimport_cell_plan *)1;
  int rc;
  po.base_dir = f->dir;
  rc = rimport__plan_make(rimport__session_plans(f->s),
                          rimport__session_stack(f->s),
                          &rimport_test_fake_toolchain, imps, n, &po, &plan);
  assert_int_not_equal(rc, 0);
  assert_null(plan == (rimport_cell_plan *)1 ? NULL : plan);
  return rc;
}

/* The key of a one-plugin plan, in a fresh session (so nothing is
 * inherited). */
static void key_of(const rimport_toolchain *tc, const rimport_import *imps,
                   size_t n, char out[33]) {
  rimport__plan_state *st = NULL;
  rimport__stack *stack = NULL;
  rimport_plan_options po = RIMPORT_PLAN_OPTIONS_INIT;
  rimport_cell_plan *plan;
  assert_int_equal(rimport__plan_state_new(&st), 0);
  assert_int_equal(rimport__stack_new(&stack), 0);
  po.base_dir = "/";
  if (rimport__plan_make(st, stack, tc, imps, n, &po, &plan) != 0)
    fail_msg("plan failed: %s", rimport_error_last()->message);
  assert_int_equal(rimport_cell_plan_count(plan), 1);
  memcpy(out, rimport_cell_plan_array(plan)[0].key, 33);
  rimport_cell_plan_free(plan);
  rimport__stack_free(stack);
  rimport__plan_state_free(st);
}

static int is_hex32(const char *k) {
  size_t i;
  if (k == NULL || strlen(k) != 32)
    return 0;
  for (i = 0; i < 32; i++)
    if (!strchr("0123456789abcdef", k[i]))
      return 0;
  return 1;
}

/* --- grouping ----------------------------------------------------------- */

static void whole_crate_import(void **state) {
  fixture *f = *state;
  rimport_import imp = crate_import("reqwest", "rimport reqwest", 1);
  rimport_cell_plan *plan = plan_ok(f, &imp, 1);
  const rimport_plugin *p = rimport_cell_plan_array(plan);
  assert_int_equal(rimport_cell_plan_count(plan), 1);
  assert_string_equal(p->crate, "reqwest");
  assert_string_equal(p->plugin, "kayton_rplugin__reqwest");
  assert_int_equal(p->source, RIMPORT_FROM_REGISTRY);
  assert_null(p->version);
  assert_null(p->path);
  assert_null(p->package);
  assert_int_equal(p->default_features, 1);
  assert_true(p->whole_crate);
  assert_int_equal(p->item_count, 0);
  assert_int_equal(p->binding_count, 1);
  assert_string_equal(p->bindings[0].name, "reqwest");
  assert_null(p->bindings[0].item);
  assert_true(is_hex32(p->key));
  assert_non_null(strstr(p->key_input, "crate 7:reqwest\n"));
  assert_int_equal(p->key_input_len, strlen(p->key_input));
  rimport_cell_plan_free(plan);
}

static void items_with_module_and_alias(void **state) {
  fixture *f = *state;
  rimport_item items[] = {{"Client", NULL, NULL, 0, {0}},
                          {"Method", "M", NULL, 0, {0}}};
  rimport_import imp = items_import("reqwest", "blocking", items, 2);
  rimport_cell_plan *plan = plan_ok(f, &imp, 1);
  const rimport_plugin *p = rimport_cell_plan_array(plan);
  assert_false(p->whole_crate);
  assert_int_equal(p->item_count, 2);
  assert_string_equal(p->items[0].module, "blocking");
  assert_string_equal(p->items[0].name, "Client");
  assert_string_equal(p->items[1].name, "Method");
  assert_int_equal(p->binding_count, 2);
  assert_string_equal(p->bindings[1].name, "M");
  assert_string_equal(p->bindings[1].item, "Method");
  assert_string_equal(p->bindings[1].module, "blocking");
  rimport_cell_plan_free(plan);
}

static void repeated_imports_merge(void **state) {
  fixture *f = *state;
  const char *f1[] = {"json", "blocking"};
  const char *f2[] = {"blocking", "cookies"};
  rimport_shape i64 = RIMPORT_SHAPE_I64, f64 = RIMPORT_SHAPE_F64;
  rimport_item it1[] = {{"largest", NULL, &i64, 1, {0}},
                        {"StatusCode", NULL, NULL, 0, {0}}};
  rimport_item it2[] = {{"largest", NULL, &f64, 1, {0}},
                        {"largest", NULL, &i64, 1, {0}},
                        {"StatusCode", NULL, NULL, 0, {0}}};
  rimport_import imps[4];
  rimport_cell_plan *plan;
  const rimport_plugin *p;
  imps[0] = crate_import("reqwest", "rimport reqwest(...)", 1);
  imps[0].features = f1;
  imps[0].feature_count = 2;
  imps[0].version = "0.11";
  imps[1] = items_import("reqwest", NULL, it1, 2);
  imps[2] = crate_import("reqwest", NULL, 0);
  imps[2].features = f2;
  imps[2].feature_count = 2;
  imps[3] = items_import("reqwest", NULL, it2, 3);
  plan = plan_ok(f, imps, 4);
  assert_int_equal(rimport_cell_plan_count(plan), 1);
  p = rimport_cell_plan_array(plan);
  assert_string_equal(p->version, "0.11");
  assert_int_equal(p->feature_count, 3);
  assert_string_equal(p->features[0], "blocking");
  assert_string_equal(p->features[1], "cookies");
  assert_string_equal(p->features[2], "json");
  /* StatusCode, largest[i64], largest[f64]: sorted, no repeats */
  assert_int_equal(p->item_count, 3);
  assert_string_equal(p->items[0].name, "StatusCode");
  assert_string_equal(p->items[1].name, "largest");
  assert_int_equal(p->items[1].shapes[0], RIMPORT_SHAPE_I64);
  assert_int_equal(p->items[2].shapes[0], RIMPORT_SHAPE_F64);
  /* reqwest, largest, StatusCode: repeats of one binding collapse */
  assert_int_equal(p->binding_count, 3);
  rimport_cell_plan_free(plan);
}

static void dash_and_underscore_are_one_crate(void **state) {
  fixture *f = *state;
  rimport_item it[] = {{"codec", NULL, NULL, 0, {0}}};
  rimport_import imps[2];
  rimport_cell_plan *plan;
  imps[0] = crate_import("tokio-util", "rimport tokio-util", 1);
  imps[1] = items_import("tokio_util", NULL, it, 1);
  plan = plan_ok(f, imps, 2);
  assert_int_equal(rimport_cell_plan_count(plan), 1);
  assert_string_equal(rimport_cell_plan_array(plan)->crate, "tokio_util");
  assert_string_equal(rimport_cell_plan_array(plan)->bindings[0].name,
                      "tokio_util");
  assert_string_equal(rimport_cell_plan_array(plan)->plugin,
                      "kayton_rplugin__tokio_util");
  rimport_cell_plan_free(plan);
}

static void several_crates_keep_order(void **state) {
  fixture *f = *state;
  rimport_import imps[3];
  rimport_cell_plan *plan;
  imps[0] = crate_import("serde", NULL, 0);
  imps[1] = crate_import("anyhow", NULL, 0);
  imps[2] = crate_import("serde", NULL, 0);
  plan = plan_ok(f, imps, 3);
  assert_int_equal(rimport_cell_plan_count(plan), 2);
  assert_string_equal(rimport_cell_plan_array(plan)[0].crate, "serde");
  assert_string_equal(rimport_cell_plan_array(plan)[1].crate, "anyhow");
  assert_string_not_equal(rimport_cell_plan_array(plan)[0].key,
                          rimport_cell_plan_array(plan)[1].key);
  rimport_cell_plan_free(plan);
}

static void empty_cell_plans_nothing(void **state) {
  fixture *f = *state;
  rimport_cell_plan *plan = plan_ok(f, NULL, 0);
  rimport_buf json = RIMPORT_BUF_INIT;
  assert_int_equal(rimport_cell_plan_count(plan), 0);
  assert_int_equal(rimport_cell_plan_to_json(plan, 0, &json), 0);
  assert_non_null(strstr(json.ptr, "\"plugins\":[]"));
  rimport_buf_dispose(&json);
  rimport_cell_plan_free(plan);
}

/* --- conflicts ------------------------------------------------------------ */

static void conflict_version_in_one_cell(void **state) {
  fixture *f = *state;
  rimport_import imps[2];
  imps[0] = crate_import("reqwest", "rimport reqwest(version=\"0.11\")", 1);
  imps[0].version = "0.11";
  imps[1] = crate_import("reqwest", "rimport reqwest(version=\"0.12\")", 4);
  imps[1].version = "0.12";
  rimport_test_assert_error(plan_err(f, imps, 2), RIMPORT_ECONFLICT,
                            "conflicting imports of the crate `reqwest`");
  assert_non_null(strstr(rimport_error_last()->message,
                         "line 4: `rimport reqwest(version=\"0.12\")` asks "
                         "for version \"0.12\""));
  assert_non_null(strstr(rimport_error_last()->message,
                         "line 1: `rimport reqwest(version=\"0.11\")`"));
}

static void conflict_path_and_registry(void **state) {
  fixture *f = *state;
  rimport_import imps[2];
  imps[0] = crate_import("mycrate", "rimport mycrate(version=\"1\")", 1);
  imps[0].version = "1";
  imps[1] = crate_import("mycrate", "rimport mycrate(path=\"x\")", 2);
  imps[1].path = "x";
  rimport_test_assert_error(plan_err(f, imps, 2), RIMPORT_ECONFLICT,
                            "takes it from a local path");
}

static void conflict_default_features(void **state) {
  fixture *f = *state;
  rimport_import imps[2];
  imps[0] = crate_import("a", "rimport a(default_features=False)", 1);
  imps[0].default_features = RIMPORT_FALSE;
  imps[1] = crate_import("a", "rimport a(default_features=True)", 2);
  imps[1].default_features = RIMPORT_TRUE;
  rimport_test_assert_error(plan_err(f, imps, 2), RIMPORT_ECONFLICT,
                            "default_features=True");
}

static void conflict_package(void **state) {
  fixture *f = *state;
  rimport_import imps[2];
  imps[0] = crate_import("a", NULL, 0);
  imps[0].package = "a-rs";
  imps[1] = crate_import("a", NULL, 0);
  imps[1].package = "a-sys";
  rimport_test_assert_error(plan_err(f, imps, 2), RIMPORT_ECONFLICT,
                            "package \"a-sys\"");
}

static void conflict_across_cells_names_both(void **state) {
  fixture *f = *state;
  rimport_import a =
      crate_import("reqwest", "rimport reqwest(version=\"0.11\")", 1);
  rimport_import b =
      crate_import("reqwest", "rimport reqwest(version=\"0.12\")", 2);
  rimport_cell_plan *plan;
  a.version = "0.11";
  b.version = "0.12";
  plan = plan_ok(f, &a, 1);
  rimport_cell_plan_free(plan);
  rimport_test_assert_error(plan_err(f, &b, 1), RIMPORT_ECONFLICT,
                            "cell 2, line 2");
  assert_non_null(strstr(rimport_error_last()->message, "cell 1, line 1"));
  assert_non_null(strstr(rimport_error_last()->message, "restart the session"));
}

static void later_cells_inherit_source_and_features(void **state) {
  fixture *f = *state;
  const char *feats[] = {"blocking"};
  rimport_item it[] = {{"StatusCode", NULL, NULL, 0, {0}}};
  rimport_import a = crate_import("reqwest", NULL, 0);
  rimport_import b = items_import("reqwest", NULL, it, 1);
  rimport_cell_plan *p1, *p2;
  a.version = "0.11";
  a.features = feats;
  a.feature_count = 1;
  a.default_features = RIMPORT_FALSE;
  p1 = plan_ok(f, &a, 1);
  p2 = plan_ok(f, &b, 1);
  assert_string_equal(rimport_cell_plan_array(p2)->version, "0.11");
  assert_int_equal(rimport_cell_plan_array(p2)->feature_count, 1);
  assert_string_equal(rimport_cell_plan_array(p2)->features[0], "blocking");
  assert_int_equal(rimport_cell_plan_array(p2)->default_features, 0);
  rimport_cell_plan_free(p1);
  rimport_cell_plan_free(p2);
  /* Repeating the same settings is fine too. */
  p2 = plan_ok(f, &a, 1);
  rimport_cell_plan_free(p2);
}

static void later_cell_cannot_add_features(void **state) {
  fixture *f = *state;
  const char *f1[] = {"blocking"}, *f2[] = {"json"};
  rimport_import a =
      crate_import("reqwest", "rimport reqwest(features=...)", 1);
  rimport_import b =
      crate_import("reqwest", "rimport reqwest(features=[json])", 3);
  rimport_cell_plan *p1;
  a.features = f1;
  a.feature_count = 1;
  b.features = f2;
  b.feature_count = 1;
  p1 = plan_ok(f, &a, 1);
  rimport_cell_plan_free(p1);
  rimport_test_assert_error(plan_err(f, &b, 1), RIMPORT_ECONFLICT,
                            "asks for the feature \"json\"");
  assert_non_null(strstr(rimport_error_last()->message, "cell 1, line 1"));
}

static void failed_plan_changes_nothing(void **state) {
  fixture *f = *state;
  rimport_import imps[2];
  rimport_import later;
  rimport_cell_plan *plan;
  imps[0] = crate_import("serde", NULL, 0);
  imps[0].version = "1";
  imps[1] = crate_import("reqwest", NULL, 0);
  imps[1].path = "does/not/exist";
  rimport_test_assert_error(plan_err(f, imps, 2), RIMPORT_ENOTFOUND,
                            "does/not/exist");
  /* serde was not recorded: another version is still possible. */
  later = crate_import("serde", NULL, 0);
  later.version = "2";
  plan = plan_ok(f, &later, 1);
  assert_string_equal(rimport_cell_plan_array(plan)->version, "2");
  /* and the failed plan did not count as a cell */
  rimport_cell_plan_free(plan);
}

static void one_name_bound_twice(void **state) {
  fixture *f = *state;
  rimport_item a[] = {{"Client", NULL, NULL, 0, {0}}};
  rimport_item b[] = {{"Client", NULL, NULL, 0, {0}}};
  rimport_import imps[2];
  imps[0] = items_import("reqwest", "blocking", a, 1);
  imps[1] = items_import("ureq", NULL, b, 1);
  rimport_test_assert_error(plan_err(f, imps, 2), RIMPORT_ECONFLICT,
                            "binds the name `Client` twice");
}

/* --- descriptors a front-end made ---------------------------------------- */

static void bad_descriptors_are_refused(void **state) {
  fixture *f = *state;
  rimport_item glob_alias[] = {{"*", "x", NULL, 0, {0}}};
  rimport_item kw[] = {{"fn", NULL, NULL, 0, {0}}};
  rimport_shape bad_shape = (rimport_shape)99;
  rimport_item shape[] = {{"f", NULL, &bad_shape, 1, {0}}};
  const char *bad_feature[] = {"a b"};
  rimport_import imp;

  imp = crate_import("../etc", NULL, 0);
  rimport_test_assert_error(plan_err(f, &imp, 1), RIMPORT_EINVAL, "../etc");
  imp = crate_import(NULL, NULL, 0);
  rimport_test_assert_error(plan_err(f, &imp, 1), RIMPORT_EINVAL, "missing");
  imp = crate_import("a", NULL, 0);
  imp.version = "1";
  imp.path = "p";
  rimport_test_assert_error(plan_err(f, &imp, 1), RIMPORT_EINVAL,
                            "together with a version");
  imp = crate_import("a", NULL, 0);
  imp.features = bad_feature;
  imp.feature_count = 1;
  rimport_test_assert_error(plan_err(f, &imp, 1), RIMPORT_EINVAL, "a b");
  imp = crate_import("a", NULL, 0);
  imp.version = "zero";
  rimport_test_assert_error(plan_err(f, &imp, 1), RIMPORT_EINVAL,
                            "no version number");
  imp = items_import("a", NULL, NULL, 0);
  rimport_test_assert_error(plan_err(f, &imp, 1), RIMPORT_EINVAL, "empty list");
  imp = items_import("a", "x::..::y", kw, 1);
  rimport_test_assert_error(plan_err(f, &imp, 1), RIMPORT_EINVAL,
                            "module path");
  imp = items_import("a", NULL, kw, 1);
  rimport_test_assert_error(plan_err(f, &imp, 1), RIMPORT_EINVAL,
                            "Rust keyword");
  imp = items_import("a", NULL, glob_alias, 1);
  rimport_test_assert_error(plan_err(f, &imp, 1), RIMPORT_EINVAL, "glob");
  imp = items_import("a", NULL, shape, 1);
  rimport_test_assert_error(plan_err(f, &imp, 1), RIMPORT_EINVAL,
                            "rimport_shape");
  imp = crate_import("a", NULL, 0);
  imp.kind = (rimport_import_kind)7;
  rimport_test_assert_error(plan_err(f, &imp, 1), RIMPORT_EINVAL, "kind");
}

/* --- path sources ----------------------------------------------------------
 */

static void path_source_is_resolved(void **state) {
  fixture *f = *state;
  char dir[4200], file[4300], real[4300];
  rimport_import imp = crate_import("mycrate", "rimport mycrate(path=...)", 1);
  rimport_cell_plan *plan;
  rimport_buf rp = RIMPORT_BUF_INIT;
  snprintf(dir, sizeof(dir), "%s/mycrate", f->dir);
  assert_int_equal(rimport__fs_mkdir_p(dir), 0);
  imp.path = "mycrate/../mycrate";
  /* No Cargo.toml yet: not a crate. */
  rimport_test_assert_error(plan_err(f, &imp, 1), RIMPORT_ENOTFOUND,
                            "no Cargo.toml");
  snprintf(file, sizeof(file), "%s/Cargo.toml", dir);
  rimport_test_write_file(file, "[package]\nname = \"mycrate\"\n");
  plan = plan_ok(f, &imp, 1);
  assert_int_equal(rimport__fs_realpath(dir, &rp), 0);
  snprintf(real, sizeof(real), "%s", rp.ptr);
  assert_int_equal(rimport_cell_plan_array(plan)->source, RIMPORT_FROM_PATH);
  assert_string_equal(rimport_cell_plan_array(plan)->path, real);
  assert_non_null(
      strstr(rimport_cell_plan_array(plan)->key_input, "source-stamp 32:"));
  rimport_cell_plan_free(plan);
  rimport_buf_dispose(&rp);
}

/* --- a crate the session already links -------------------------------------
 */

#define CRATES_IO "\"registry+https://github.com/rust-lang/crates.io-index\""

/* serde_json's plugin as the build stage leaves it on the stack: its
 * resolved graph has serde 1.0.152 with `std` only. */
#define SERDE_JSON_GRAPH                                                       \
  "[{\"name\":\"itoa\",\"version\":\"1.0.1\",\"features\":[],"                 \
  "\"source\":" CRATES_IO "},"                                                 \
  "{\"name\":\"serde\",\"version\":\"1.0.152\",\"features\":[\"std\"],"        \
  "\"source\":" CRATES_IO "},"                                                 \
  "{\"name\":\"serde_json\",\"version\":\"1.0.87\","                           \
  "\"features\":[\"default\",\"std\"],\"source\":" CRATES_IO "}]"

/* Puts a plugin for `crate` on the session's stack, as the build stage
 * does, with the resolved graph `graph` (JSON); its keys are 32 times
 * `digit`. Returns the key (static storage, one per digit). */
static const char *push_loaded(fixture *f, const char *crate, char digit,
                               const char *graph) {
  static char keys[16][33];
  char plugin[128], base[33];
  char *key = keys[digit & 15];
  rimport__built b;
  memset(&b, 0, sizeof(b));
  snprintf(plugin, sizeof(plugin), "kayton_rplugin__%s", crate);
  memset(key, digit, 32);
  key[32] = '\0';
  memset(base, digit == 'f' ? 'e' : 'f', 32);
  base[32] = '\0';
  b.crate = crate;
  b.plugin = plugin;
  b.key = key;
  b.base_key = base;
  b.key_input = "loaded\n";
  b.crates = cJSON_Parse(graph);
  assert_non_null(b.crates);
  assert_int_equal(rimport__stack_push(rimport__session_stack(f->s), &b), 0);
  cJSON_Delete(b.crates);
  return key;
}

/* The "adopted" object of the plan's first plugin as JSON (cJSON NULL
 * for null), checked to be there; the caller deletes root. */
static const cJSON *adopted_of(const rimport_cell_plan *plan, cJSON **root) {
  rimport_buf json = RIMPORT_BUF_INIT;
  const cJSON *p, *ad;
  assert_int_equal(rimport_cell_plan_to_json(plan, 0, &json), 0);
  *root = cJSON_Parse(json.ptr);
  rimport_buf_dispose(&json);
  assert_non_null(*root);
  p = cJSON_GetArrayItem(cJSON_GetObjectItem(*root, "plugins"), 0);
  ad = cJSON_GetObjectItem(p, "adopted");
  assert_non_null(ad);
  return cJSON_IsNull(ad) ? NULL : ad;
}

static void assert_features(const rimport_plugin *p, const char *const *want,
                            size_t n) {
  size_t i;
  assert_int_equal(p->feature_count, n);
  for (i = 0; i < n; i++)
    assert_string_equal(p->features[i], want[i]);
}

/* `from serde rimport Serialize` after serde_json: the plugin takes serde
 * as serde_json's plugin links it — its exact version, default features
 * off, no features of its own: cargo unites them with those of the plugin
 * it stacks on, which are the loaded copy's. */
static void loaded_crate_is_taken_as_it_is(void **state) {
  fixture *f = *state;
  rimport_item it[] = {{"Serialize", NULL, NULL, 0, {0}}};
  rimport_import imp = items_import("serde", NULL, it, 1);
  const char *parent = push_loaded(f, "serde_json", 'a', SERDE_JSON_GRAPH);
  rimport_cell_plan *plan = plan_ok(f, &imp, 1), *again;
  const rimport_plugin *p = rimport_cell_plan_array(plan);
  const cJSON *ad;
  cJSON *root;
  char key[33];
  assert_int_equal(p->source, RIMPORT_FROM_REGISTRY);
  assert_string_equal(p->version, "=1.0.152");
  assert_int_equal(p->default_features, 0);
  assert_int_equal(p->feature_count, 0);
  assert_null(p->package);
  assert_string_equal(p->plugin, "kayton_rplugin__serde");
  assert_int_equal(p->parent_count, 1);
  assert_string_equal(p->parents[0], parent);
  /* In the key as any version and features are. */
  assert_non_null(strstr(p->key_input, "source-registry 8:=1.0.152\n"
                                       "default-features 0\n"
                                       "whole-crate 0\n"));
  /* `rimport plan --json` says what was taken from where. */
  ad = adopted_of(plan, &root);
  assert_non_null(ad);
  assert_string_equal(cJSON_GetObjectItem(ad, "plugin")->valuestring,
                      "kayton_rplugin__serde_json");
  assert_string_equal(cJSON_GetObjectItem(ad, "version")->valuestring,
                      "1.0.152");
  assert_string_equal(cJSON_GetObjectItem(ad, "package")->valuestring, "serde");
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(ad, "path")));
  assert_string_equal(
      cJSON_GetArrayItem(cJSON_GetObjectItem(ad, "features"), 0)->valuestring,
      "std");
  cJSON_Delete(root);
  /* The same statement later: the same plugin (the stack is the record). */
  memcpy(key, p->key, 33);
  again = plan_ok(f, &imp, 1);
  assert_string_equal(rimport_cell_plan_array(again)->key, key);
  rimport_cell_plan_free(again);
  rimport_cell_plan_free(plan);
}

/* Features, default_features=False and a version the loaded copy has:
 * taken as it is too, asking for the features named. */
static void named_features_the_copy_has_take_it(void **state) {
  fixture *f = *state;
  static const char *const std_only[] = {"std"};
  const char *feats[] = {"std"};
  rimport_import imp = crate_import("serde", "rimport serde(...)", 1);
  rimport_cell_plan *plan;
  cJSON *root;
  push_loaded(f, "serde_json", 'a', SERDE_JSON_GRAPH);
  imp.features = feats;
  imp.feature_count = 1;
  imp.default_features = RIMPORT_FALSE;
  imp.version = "1.0";
  plan = plan_ok(f, &imp, 1);
  assert_string_equal(rimport_cell_plan_array(plan)->version, "=1.0.152");
  assert_int_equal(rimport_cell_plan_array(plan)->default_features, 0);
  assert_features(rimport_cell_plan_array(plan), std_only, 1);
  assert_non_null(adopted_of(plan, &root));
  cJSON_Delete(root);
  rimport_cell_plan_free(plan);
  /* Another plugin links a crate with default features on: a statement
   * that wants them (by naming a feature, a version, or
   * default_features=True) takes that copy. */
  push_loaded(f, "toml", 'b',
              "[{\"name\":\"indexmap\",\"version\":\"1.9.2\","
              "\"features\":[\"default\",\"std\"],\"source\":" CRATES_IO "}]");
  imp = crate_import("indexmap", NULL, 0);
  imp.features = feats;
  imp.feature_count = 1;
  plan = plan_ok(f, &imp, 1);
  assert_string_equal(rimport_cell_plan_array(plan)->version, "=1.9.2");
  assert_int_equal(rimport_cell_plan_array(plan)->default_features, 0);
  assert_features(rimport_cell_plan_array(plan), std_only, 1);
  rimport_cell_plan_free(plan);
  imp = crate_import("indexmap", NULL, 0);
  imp.default_features = RIMPORT_TRUE;
  imp.version = ">=1.9, <2";
  plan = plan_ok(f, &imp, 1);
  assert_string_equal(rimport_cell_plan_array(plan)->version, "=1.9.2");
  assert_int_equal(rimport_cell_plan_array(plan)->default_features, 0);
  assert_int_equal(rimport_cell_plan_array(plan)->feature_count, 0);
  rimport_cell_plan_free(plan);
}

/* A statement that asks for what the loaded copy lacks is planned as
 * written (so the build refuses it, naming the plugin that has the crate),
 * and records nothing: a later statement that fits still takes the copy. */
static void features_the_copy_lacks_are_left_as_asked(void **state) {
  fixture *f = *state;
  static const char *const derive[] = {"derive"};
  const char *feats[] = {"derive"};
  rimport_import imp = crate_import("serde", "rimport serde(...)", 1);
  rimport_item it[] = {{"Serialize", NULL, NULL, 0, {0}}};
  rimport_import bare = items_import("serde", NULL, it, 1);
  rimport_cell_plan *plan;
  cJSON *root;
  push_loaded(f, "serde_json", 'a', SERDE_JSON_GRAPH);
  imp.features = feats;
  imp.feature_count = 1;
  plan = plan_ok(f, &imp, 1);
  assert_null(rimport_cell_plan_array(plan)->version);
  assert_int_equal(rimport_cell_plan_array(plan)->default_features, 1);
  assert_features(rimport_cell_plan_array(plan), derive, 1);
  assert_null(adopted_of(plan, &root));
  cJSON_Delete(root);
  rimport_cell_plan_free(plan);
  plan = plan_ok(f, &bare, 1);
  assert_string_equal(rimport_cell_plan_array(plan)->version, "=1.0.152");
  rimport_cell_plan_free(plan);
}

/* Default features asked for without saying so: the copy must have
 * `default`. serde_json's serde has only `std`. */
static void implicit_default_features_must_be_loaded(void **state) {
  fixture *f = *state;
  const char *feats[] = {"std"};
  rimport_import imp = crate_import("serde", NULL, 0);
  rimport_cell_plan *plan;
  push_loaded(f, "serde_json", 'a', SERDE_JSON_GRAPH);
  imp.features = feats;
  imp.feature_count = 1;
  plan = plan_ok(f, &imp, 1);
  assert_null(rimport_cell_plan_array(plan)->version);
  assert_int_equal(rimport_cell_plan_array(plan)->default_features, 1);
  rimport_cell_plan_free(plan);
  imp = crate_import("serde", NULL, 0);
  imp.version = "1";
  plan = plan_ok(f, &imp, 1);
  assert_string_equal(rimport_cell_plan_array(plan)->version, "1");
  assert_int_equal(rimport_cell_plan_array(plan)->default_features, 1);
  rimport_cell_plan_free(plan);
  imp.default_features = RIMPORT_FALSE; /* then it fits */
  plan = plan_ok(f, &imp, 1);
  assert_string_equal(rimport_cell_plan_array(plan)->version, "=1.0.152");
  rimport_cell_plan_free(plan);
}

static void version_the_copy_lacks_is_left_as_asked(void **state) {
  fixture *f = *state;
  rimport_import imp = crate_import("serde", NULL, 0);
  rimport_cell_plan *plan;
  push_loaded(f, "serde_json", 'a', SERDE_JSON_GRAPH);
  imp.version = "=1.0.100";
  imp.default_features = RIMPORT_FALSE;
  plan = plan_ok(f, &imp, 1);
  assert_string_equal(rimport_cell_plan_array(plan)->version, "=1.0.100");
  assert_int_equal(rimport_cell_plan_array(plan)->feature_count, 0);
  rimport_cell_plan_free(plan);
}

/* A statement names the crate as Rust does; the graph has the package
 * name, maybe with '-'. */
static void dash_package_in_the_graph_is_matched(void **state) {
  fixture *f = *state;
  rimport_import imp = crate_import("tokio_util", NULL, 0);
  rimport_cell_plan *plan;
  const cJSON *ad;
  cJSON *root;
  push_loaded(f, "reqwest", 'a',
              "[{\"name\":\"tokio-util\",\"version\":\"0.7.4\","
              "\"features\":[\"codec\",\"io\"],\"source\":" CRATES_IO "}]");
  plan = plan_ok(f, &imp, 1);
  assert_string_equal(rimport_cell_plan_array(plan)->crate, "tokio_util");
  assert_string_equal(rimport_cell_plan_array(plan)->version, "=0.7.4");
  assert_int_equal(rimport_cell_plan_array(plan)->feature_count, 0);
  ad = adopted_of(plan, &root);
  assert_string_equal(cJSON_GetObjectItem(ad, "package")->valuestring,
                      "tokio-util");
  cJSON_Delete(root);
  rimport_cell_plan_free(plan);
}

/* A local crate in the graph is taken from its directory (never from the
 * registry, where another crate may have its name), by a statement that
 * names no source or names that directory; a version or another directory
 * is left as asked. */
static void loaded_path_crate_keeps_its_directory(void **state) {
  fixture *f = *state;
  char graph[8400], other[4200], *dir = f->dir;
  char core[4200], file[4300];
  const char *alpha[] = {"alpha"};
  rimport_import imp = crate_import("feat_core", NULL, 0);
  rimport_cell_plan *plan;
  rimport_buf real = RIMPORT_BUF_INIT;
  cJSON *root;
  snprintf(core, sizeof(core), "%s/feat_core", dir);
  snprintf(other, sizeof(other), "%s/elsewhere", dir);
  assert_int_equal(rimport__fs_mkdir_p(core), 0);
  assert_int_equal(rimport__fs_mkdir_p(other), 0);
  snprintf(file, sizeof(file), "%s/Cargo.toml", core);
  rimport_test_write_file(file, "[package]\nname = \"feat_core\"\n");
  snprintf(file, sizeof(file), "%s/Cargo.toml", other);
  rimport_test_write_file(file, "[package]\nname = \"feat_core\"\n");
  assert_int_equal(rimport__fs_realpath(core, &real), 0);
  {
    /* built with cJSON: a Windows path has backslashes to escape */
    cJSON *g = cJSON_Parse("[{\"name\":\"feat_core\",\"version\":\"0.1.0\","
                           "\"features\":[\"alpha\"],\"source\":null}]");
    char *text;
    assert_non_null(g);
    assert_non_null(
        cJSON_AddStringToObject(cJSON_GetArrayItem(g, 0), "path", real.ptr));
    text = cJSON_PrintUnformatted(g);
    assert_non_null(text);
    snprintf(graph, sizeof(graph), "%s", text);
    cJSON_free(text);
    cJSON_Delete(g);
  }
  push_loaded(f, "feat_x", 'a', graph);
  plan = plan_ok(f, &imp, 1);
  assert_int_equal(rimport_cell_plan_array(plan)->source, RIMPORT_FROM_PATH);
  assert_string_equal(rimport_cell_plan_array(plan)->path, real.ptr);
  assert_int_equal(rimport_cell_plan_array(plan)->default_features, 0);
  assert_int_equal(rimport_cell_plan_array(plan)->feature_count, 0);
  assert_non_null(adopted_of(plan, &root));
  cJSON_Delete(root);
  rimport_cell_plan_free(plan);
  /* Named by another spelling of the same directory, with a feature it
   * has. */
  imp.path = "feat_core/../feat_core";
  imp.features = alpha;
  imp.feature_count = 1;
  imp.default_features = RIMPORT_FALSE;
  plan = plan_ok(f, &imp, 1);
  assert_string_equal(rimport_cell_plan_array(plan)->path, real.ptr);
  assert_int_equal(rimport_cell_plan_array(plan)->feature_count, 1);
  assert_non_null(adopted_of(plan, &root));
  cJSON_Delete(root);
  rimport_cell_plan_free(plan);
  /* Another directory: another crate of that name. */
  imp.path = "elsewhere";
  plan = plan_ok(f, &imp, 1);
  assert_non_null(strstr(rimport_cell_plan_array(plan)->path, "elsewhere"));
  assert_null(adopted_of(plan, &root));
  cJSON_Delete(root);
  rimport_cell_plan_free(plan);
  /* A version: a registry crate, not the loaded one. */
  imp = crate_import("feat_core", NULL, 0);
  imp.version = "0.1";
  plan = plan_ok(f, &imp, 1);
  assert_int_equal(rimport_cell_plan_array(plan)->source,
                   RIMPORT_FROM_REGISTRY);
  assert_string_equal(rimport_cell_plan_array(plan)->version, "0.1");
  rimport_cell_plan_free(plan);
  rimport_buf_dispose(&real);
}

/* A graph from an entry built before sources were recorded, or a crate
 * from git or another registry: where it came from cannot be named, so
 * the statement is planned as written. */
static void copy_of_unknown_source_is_left_as_asked(void **state) {
  fixture *f = *state;
  rimport_import imp = crate_import("serde", NULL, 0);
  rimport_import other = crate_import("anyhow", NULL, 0);
  rimport_cell_plan *plan;
  push_loaded(f, "serde_json", 'a',
              "[{\"name\":\"serde\",\"version\":\"1.0.152\","
              "\"features\":[\"std\"]},"
              "{\"name\":\"anyhow\",\"version\":\"1.0.0\",\"features\":[],"
              "\"source\":\"git+https://example.com/anyhow#abc\"}]");
  plan = plan_ok(f, &imp, 1);
  assert_null(rimport_cell_plan_array(plan)->version);
  assert_int_equal(rimport_cell_plan_array(plan)->default_features, 1);
  rimport_cell_plan_free(plan);
  plan = plan_ok(f, &other, 1);
  assert_null(rimport_cell_plan_array(plan)->version);
  rimport_cell_plan_free(plan);
}

/* Two copies of one name from crates.io (rand 0.7 for one crate, 0.8 for
 * another): the highest the statement takes. */
static void two_loaded_versions_take_the_highest_that_fits(void **state) {
  fixture *f = *state;
  rimport_import imp = crate_import("rand", NULL, 0);
  rimport_cell_plan *plan;
  push_loaded(f, "a", 'a',
              "[{\"name\":\"rand\",\"version\":\"0.7.3\","
              "\"features\":[\"default\",\"std\"],\"source\":" CRATES_IO "},"
              "{\"name\":\"rand\",\"version\":\"0.8.5\","
              "\"features\":[\"default\",\"std\"],\"source\":" CRATES_IO "}]");
  plan = plan_ok(f, &imp, 1);
  assert_string_equal(rimport_cell_plan_array(plan)->version, "=0.8.5");
  rimport_cell_plan_free(plan);
  imp.version = "0.7";
  plan = plan_ok(f, &imp, 1);
  assert_string_equal(rimport_cell_plan_array(plan)->version, "=0.7.3");
  rimport_cell_plan_free(plan);
}

/* A crate an earlier plan of the session named keeps what that plan
 * fixed (it may be the plugin the graph has it from). */
static void crate_named_before_keeps_its_record(void **state) {
  fixture *f = *state;
  rimport_import first = crate_import("serde", NULL, 0);
  rimport_item it[] = {{"Serialize", NULL, NULL, 0, {0}}};
  rimport_import later = items_import("serde", NULL, it, 1);
  rimport_cell_plan *plan = plan_ok(f, &first, 1);
  rimport_cell_plan_free(plan);
  push_loaded(f, "serde", 'a',
              "[{\"name\":\"serde\",\"version\":\"1.0.152\","
              "\"features\":[\"default\",\"std\"],\"source\":" CRATES_IO "}]");
  plan = plan_ok(f, &later, 1);
  assert_null(rimport_cell_plan_array(plan)->version);
  assert_int_equal(rimport_cell_plan_array(plan)->default_features, 1);
  assert_int_equal(rimport_cell_plan_array(plan)->feature_count, 0);
  rimport_cell_plan_free(plan);
}

/* --- a crate an earlier plugin of the same plan links (build time) ------ */

/* A session's plan records and stack, without a session: two of them
 * stand for two sessions on one cache. */
typedef struct plan_session {
  rimport__plan_state *st;
  rimport__stack *stack;
} plan_session;

static plan_session plan_session_new(void) {
  plan_session ps;
  assert_int_equal(rimport__plan_state_new(&ps.st), 0);
  assert_int_equal(rimport__stack_new(&ps.stack), 0);
  return ps;
}

static void plan_session_free(plan_session *ps) {
  rimport__stack_free(ps->stack);
  rimport__plan_state_free(ps->st);
}

static rimport_cell_plan *plan_in(plan_session *ps, const char *base_dir,
                                  const rimport_import *imps, size_t n) {
  rimport_plan_options po = RIMPORT_PLAN_OPTIONS_INIT;
  rimport_cell_plan *plan = NULL;
  po.base_dir = base_dir;
  if (rimport__plan_make(ps->st, ps->stack, &rimport_test_fake_toolchain, imps,
                         n, &po, &plan) != 0)
    fail_msg("plan failed: %s", rimport_error_last()->message);
  return plan;
}

/* What the build stage does with plugin i of a plan: it looks again
 * (rimport__plan_readopt); returns whether keys changed. */
static int readopt(plan_session *ps, rimport_cell_plan *plan, size_t i) {
  int changed = -1;
  if (rimport__plan_readopt(plan, i, ps->st, ps->stack,
                            &rimport_test_fake_toolchain, &changed) != 0)
    fail_msg("readopt failed: %s", rimport_error_last()->message);
  assert_true(changed == 0 || changed == 1);
  return changed;
}

/* ... then builds it and pushes it on the stack, with the resolved graph
 * `graph` (JSON). */
static void push_built(plan_session *ps, const rimport_cell_plan *plan,
                       size_t i, const char *graph) {
  const rimport_plugin *p = &rimport_cell_plan_array(plan)[i];
  rimport__built b;
  memset(&b, 0, sizeof(b));
  b.crate = p->crate;
  b.plugin = p->plugin;
  b.base_key = plan->base_keys[i];
  b.key = p->key;
  b.key_input = p->key_input;
  b.parents = p->parents;
  b.parent_count = p->parent_count;
  b.crates = cJSON_Parse(graph);
  assert_non_null(b.crates);
  assert_int_equal(rimport__stack_push(ps->stack, &b), 0);
  cJSON_Delete(b.crates);
}

/* A plan that must fail in `ps`, with `code` and `needle`. */
static void plan_in_fails(plan_session *ps, const rimport_import *imps,
                          size_t n, int code, const char *needle) {
  rimport_plan_options po = RIMPORT_PLAN_OPTIONS_INIT;
  rimport_cell_plan *plan = NULL;
  po.base_dir = "/";
  rimport_test_assert_error(rimport__plan_make(ps->st, ps->stack,
                                               &rimport_test_fake_toolchain,
                                               imps, n, &po, &plan),
                            code, needle);
  assert_null(plan);
}

#define TOML_GRAPH                                                             \
  "[{\"name\":\"toml\",\"version\":\"0.5.9\",\"features\":[\"default\"],"      \
  "\"source\":" CRATES_IO "}]"
#define SERDE_GRAPH                                                            \
  "[{\"name\":\"serde\",\"version\":\"1.0.152\",\"features\":[\"std\"],"       \
  "\"source\":" CRATES_IO "}]"

/* `rimport serde_json` and `rimport toml` in one cell: serde_json's graph
 * has no toml, so toml stays as planned, and the plan's records of both
 * stay (a later cell cannot add a feature to toml). Nothing changes
 * before the first plugin is built either. */
static void readopt_with_nothing_to_take(void **state) {
  plan_session ps = plan_session_new();
  const char *feats[] = {"preserve_order"};
  rimport_import imps[2], later;
  rimport_cell_plan *plan;
  char key0[33], key1[33];
  (void)state;
  imps[0] = crate_import("serde_json", "rimport serde_json", 1);
  imps[1] = crate_import("toml", "rimport toml", 2);
  plan = plan_in(&ps, "/", imps, 2);
  memcpy(key0, rimport_cell_plan_array(plan)[0].key, 33);
  memcpy(key1, rimport_cell_plan_array(plan)[1].key, 33);
  assert_int_equal(readopt(&ps, plan, 0), 0);
  push_built(&ps, plan, 0, SERDE_JSON_GRAPH);
  assert_int_equal(readopt(&ps, plan, 1), 0);
  assert_string_equal(rimport_cell_plan_array(plan)[0].key, key0);
  assert_string_equal(rimport_cell_plan_array(plan)[1].key, key1);
  assert_null(rimport_cell_plan_array(plan)[1].version);
  assert_int_equal(rimport_cell_plan_array(plan)[1].default_features, 1);
  assert_null(plan->adopted[1]);
  /* past the end, and a second look: nothing */
  assert_int_equal(readopt(&ps, plan, 2), 0);
  assert_int_equal(readopt(&ps, plan, 1), 0);
  later = crate_import("toml", "rimport toml(features=[...])", 1);
  later.features = feats;
  later.feature_count = 1;
  plan_in_fails(&ps, &later, 1, RIMPORT_ECONFLICT,
                "asks for the feature \"preserve_order\"");
  rimport_cell_plan_free(plan);
  plan_session_free(&ps);
}

/* `rimport serde_json`, `from serde rimport Serialize` and `rimport toml`
 * in one cell. Planned, serde is as written; once serde_json's plugin is
 * built, serde takes its copy: exact version, default features off, no
 * features; its key changes, and so does toml's (it stacks on serde);
 * serde_json's does not. The record the plan made of serde is gone:
 * serde is a loaded crate now, so a later `rimport serde(features=
 * ["derive"])` is planned as written (the build refuses it) and a later
 * `from serde rimport Deserialize` takes the copy again. */
static void readopt_changes_this_key_and_later_ones(void **state) {
  plan_session ps = plan_session_new();
  static const char *const derive[] = {"derive"};
  rimport_item it[] = {{"Serialize", NULL, NULL, 0, {0}}};
  rimport_item de[] = {{"Deserialize", NULL, NULL, 0, {0}}};
  rimport_import imps[3], later;
  rimport_cell_plan *plan, *p2;
  const rimport_plugin *p;
  char key0[33], key1[33], key2[33];
  cJSON *root;
  (void)state;
  imps[0] = crate_import("serde_json", "rimport serde_json", 1);
  imps[1] = items_import("serde", NULL, it, 1);
  imps[2] = crate_import("toml", "rimport toml", 3);
  plan = plan_in(&ps, "/", imps, 3);
  p = rimport_cell_plan_array(plan);
  assert_null(p[1].version);
  assert_int_equal(p[1].default_features, 1);
  memcpy(key0, p[0].key, 33);
  memcpy(key1, p[1].key, 33);
  memcpy(key2, p[2].key, 33);
  assert_int_equal(readopt(&ps, plan, 0), 0);
  push_built(&ps, plan, 0, SERDE_JSON_GRAPH);
  assert_int_equal(readopt(&ps, plan, 1), 1);
  assert_string_equal(p[0].key, key0);
  assert_string_not_equal(p[1].key, key1);
  assert_string_not_equal(p[2].key, key2);
  assert_string_equal(p[1].version, "=1.0.152");
  assert_int_equal(p[1].source, RIMPORT_FROM_REGISTRY);
  assert_int_equal(p[1].default_features, 0);
  assert_int_equal(p[1].feature_count, 0);
  assert_string_equal(p[1].plugin, "kayton_rplugin__serde");
  assert_non_null(strstr(p[1].key_input, "source-registry 8:=1.0.152\n"
                                         "default-features 0\n"));
  assert_int_equal(p[1].parent_count, 1);
  assert_string_equal(p[1].parents[0], key0);
  /* toml stacks on both, with serde's new key */
  assert_int_equal(p[2].parent_count, 2);
  assert_string_equal(p[2].parents[0], key0);
  assert_string_equal(p[2].parents[1], p[1].key);
  /* the plan's JSON says where serde comes from */
  {
    const cJSON *ad;
    rimport_buf json = RIMPORT_BUF_INIT;
    assert_int_equal(rimport_cell_plan_to_json(plan, 0, &json), 0);
    root = cJSON_Parse(json.ptr);
    rimport_buf_dispose(&json);
    ad = cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(root, "plugins"), 1), "adopted");
    assert_true(cJSON_IsObject(ad));
    assert_string_equal(cJSON_GetObjectItem(ad, "plugin")->valuestring,
                        "kayton_rplugin__serde_json");
    assert_string_equal(
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(root, "plugins"), 1), "key")
            ->valuestring,
        p[1].key);
    cJSON_Delete(root);
  }
  /* once: the same plugin is not looked at again (its own graph is on
   * the stack after its build) */
  memcpy(key1, p[1].key, 33);
  push_built(&ps, plan, 1, SERDE_GRAPH);
  assert_int_equal(readopt(&ps, plan, 1), 0);
  assert_string_equal(p[1].key, key1);
  assert_int_equal(readopt(&ps, plan, 2), 0);
  push_built(&ps, plan, 2, TOML_GRAPH);
  /* a later cell: the feature serde_json's serde lacks, as written */
  later = crate_import("serde", "rimport serde(features=[\"derive\"])", 1);
  later.features = derive;
  later.feature_count = 1;
  p2 = plan_in(&ps, "/", &later, 1);
  assert_null(rimport_cell_plan_array(p2)->version);
  assert_int_equal(rimport_cell_plan_array(p2)->default_features, 1);
  assert_features(rimport_cell_plan_array(p2), derive, 1);
  assert_null(p2->adopted[0]);
  rimport_cell_plan_free(p2);
  /* ... and another item: the copy again */
  later = items_import("serde", NULL, de, 1);
  p2 = plan_in(&ps, "/", &later, 1);
  assert_string_equal(rimport_cell_plan_array(p2)->version, "=1.0.152");
  assert_int_equal(rimport_cell_plan_array(p2)->default_features, 0);
  assert_non_null(p2->adopted[0]);
  rimport_cell_plan_free(p2);
  /* serde_json and toml were named first by the plan: they keep it */
  later = crate_import("toml", "rimport toml(default_features=False)", 1);
  later.default_features = RIMPORT_FALSE;
  plan_in_fails(&ps, &later, 1, RIMPORT_ECONFLICT, "default_features=False");
  rimport_cell_plan_free(plan);
  plan_session_free(&ps);
}

/* The keys of a plan that took a copy at build time are the keys two
 * cells would have: after a cell that imported toml, one cell with
 * `rimport serde_json`, `from serde rimport Serialize`, `from toml
 * rimport Value` and a local crate, or serde_json in one cell and the
 * rest in the next — so both ways share the cache entries. toml's second
 * plugin is a thin one, whose name has its key: it changes too. */
static void readopted_keys_are_a_later_cells_keys(void **state) {
  fixture *f = *state;
  plan_session one = plan_session_new(), two = plan_session_new();
  rimport_item it[] = {{"Serialize", NULL, NULL, 0, {0}}};
  rimport_item val[] = {{"Value", NULL, NULL, 0, {0}}};
  rimport_import imps[4], toml = crate_import("toml", "rimport toml", 1);
  rimport_cell_plan *t1, *t2, *a, *b1, *b2;
  const rimport_plugin *pa, *pb;
  char local[4200], file[4300], thin[128];
  size_t i, k;
  snprintf(local, sizeof(local), "%s/local", f->dir);
  assert_int_equal(rimport__fs_mkdir_p(local), 0);
  snprintf(file, sizeof(file), "%s/Cargo.toml", local);
  rimport_test_write_file(file, "[package]\nname = \"local\"\n");
  imps[0] = crate_import("serde_json", "rimport serde_json", 1);
  imps[1] = items_import("serde", NULL, it, 1);
  imps[2] = items_import("toml", NULL, val, 1);
  imps[3] = crate_import("local", "rimport local(path=\"local\")", 4);
  imps[3].path = "local";
  /* both sessions: toml first */
  t1 = plan_in(&one, f->dir, &toml, 1);
  push_built(&one, t1, 0, TOML_GRAPH);
  t2 = plan_in(&two, f->dir, &toml, 1);
  push_built(&two, t2, 0, TOML_GRAPH);
  /* one cell, built plugin by plugin */
  a = plan_in(&one, f->dir, imps, 4);
  snprintf(thin, sizeof(thin), "%s", rimport_cell_plan_array(a)[2].plugin);
  assert_non_null(strstr(thin, "kayton_rplugin__toml__"));
  for (i = 0; i < 4; i++) {
    (void)readopt(&one, a, i);
    push_built(&one, a, i, i == 0 ? SERDE_JSON_GRAPH : "[]");
  }
  assert_non_null(a->adopted[1]);
  assert_string_not_equal(rimport_cell_plan_array(a)[2].plugin, thin);
  /* two cells */
  b1 = plan_in(&two, f->dir, imps, 1);
  assert_int_equal(readopt(&two, b1, 0), 0);
  push_built(&two, b1, 0, SERDE_JSON_GRAPH);
  b2 = plan_in(&two, f->dir, imps + 1, 3);
  for (i = 0; i < 3; i++)
    assert_int_equal(readopt(&two, b2, i), 0); /* planned as loaded */
  assert_non_null(b2->adopted[0]);
  pa = rimport_cell_plan_array(a);
  assert_string_equal(pa[0].key, rimport_cell_plan_array(b1)[0].key);
  for (i = 0; i < 3; i++) {
    pa = &rimport_cell_plan_array(a)[i + 1];
    pb = &rimport_cell_plan_array(b2)[i];
    assert_string_equal(pa->key, pb->key);
    assert_string_equal(pa->key_input, pb->key_input);
    assert_string_equal(pa->plugin, pb->plugin);
    assert_string_equal(a->base_keys[i + 1], b2->base_keys[i]);
    assert_int_equal(pa->parent_count, pb->parent_count);
    for (k = 0; k < pa->parent_count; k++)
      assert_string_equal(pa->parents[k], pb->parents[k]);
  }
  rimport_cell_plan_free(t1);
  rimport_cell_plan_free(t2);
  rimport_cell_plan_free(a);
  rimport_cell_plan_free(b1);
  rimport_cell_plan_free(b2);
  plan_session_free(&one);
  plan_session_free(&two);
}

/* Cargo's requirement syntax, as the semver crate reads it. */
static void version_requirements_match_as_cargo_does(void **state) {
  static const struct {
    const char *req, *version;
    int want;
  } cases[] = {
      {"1.0", "1.0.152", 1},
      {"1", "1.9.0", 1},
      {"^1.2.3", "1.2.2", 0},
      {"^1.2.3", "1.9.0", 1},
      {"1.2.3", "2.0.0", 0},
      {"0.11", "0.11.14", 1},
      {"0.11", "0.12.0", 0},
      {"^0.0.3", "0.0.4", 0},
      {"0", "0.9.9", 1},
      {"~1.2", "1.2.9", 1},
      {"~1.2", "1.3.0", 0},
      {"~1.2.3", "1.2.2", 0},
      {"=1.0.152", "1.0.152", 1},
      {"=1.0.152", "1.0.153", 0},
      {"=1.0", "1.0.7", 1},
      {">=0.11, <0.13", "0.12.28", 1},
      {">=0.11, <0.13", "0.13.0", 0},
      {">1.0", "1.0.9", 0},
      {">1.0", "1.1.0", 1},
      {"<=1.2", "1.2.9", 1},
      {"<=1.2", "1.3.0", 0},
      {"*", "3.4.5", 1},
      {"1.*", "1.7.0", 1},
      {"1.2.*", "1.3.0", 0},
      {" >= 1.0 ,< 2 ", "1.5.0", 1},
      {"1.0", "1.0.0-beta.1", 0},
      {"*", "1.0.0-rc.1", 0},
      {">=1.0.0-beta.2", "1.0.0-beta.10", 1},
      {">=1.0.0-beta.2", "1.0.0-alpha", 0},
      {"1.0", "1.0.0+build.5", 1},
      {"1.0 2.0", "1.0.0", 0},
      {"", "1.0.0", 0},
      {"1.0", "1.0", 0},
      {"nonsense", "1.0.0", 0},
      {"1.0", "99999999999999999999.0.0", 0},
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    if (rimport__plan_version_matches(cases[i].req, cases[i].version) !=
        cases[i].want)
      fail_msg("\"%s\" against %s: expected %d", cases[i].req, cases[i].version,
               cases[i].want);
}

/* --- keys ----------------------------------------------------------------- */

static void key_ignores_order_and_aliases(void **state) {
  rimport_item ab[] = {{"A", NULL, NULL, 0, {0}}, {"B", "Bee", NULL, 0, {0}}};
  rimport_item ba[] = {{"B", NULL, NULL, 0, {0}}, {"A", "Ay", NULL, 0, {0}}};
  const char *f1[] = {"x", "y", "x"}, *f2[] = {"y", "x"};
  rimport_import i1 = items_import("c", NULL, ab, 2);
  rimport_import i2 = items_import("c", NULL, ba, 2);
  char k1[33], k2[33];
  (void)state;
  i1.features = f1;
  i1.feature_count = 3;
  i2.features = f2;
  i2.feature_count = 2;
  key_of(&rimport_test_fake_toolchain, &i1, 1, k1);
  key_of(&rimport_test_fake_toolchain, &i2, 1, k2);
  assert_string_equal(k1, k2);
}

static void key_changes_with_every_input(void **state) {
  rimport_shape i64 = RIMPORT_SHAPE_I64, f64 = RIMPORT_SHAPE_F64;
  rimport_item base_items[] = {{"largest", NULL, &i64, 1, {0}}};
  rimport_item other_shape[] = {{"largest", NULL, &f64, 1, {0}}};
  rimport_item other_name[] = {{"smallest", NULL, &i64, 1, {0}}};
  rimport_item plain[] = {{"largest", NULL, NULL, 0, {0}}};
  const char *feats[] = {"std"}, *feats2[] = {"alloc"};
  rimport_import base = items_import("c", NULL, base_items, 1), v;
  rimport_import pair[2];
  rimport_toolchain tc2;
  char k0[33], k[33];
  (void)state;
  base.version = "1.0";
  base.features = feats;
  base.feature_count = 1;
  key_of(&rimport_test_fake_toolchain, &base, 1, k0);
  key_of(&rimport_test_fake_toolchain, &base, 1, k);
  assert_string_equal(k0, k); /* stable */

#define EXPECT_CHANGE(tc, imps, n)                                             \
  do {                                                                         \
    key_of(tc, imps, n, k);                                                    \
    assert_string_not_equal(k0, k);                                            \
  } while (0)
  v = base, v.crate = "d";
  EXPECT_CHANGE(&rimport_test_fake_toolchain, &v, 1);
  v = base, v.version = "1.1";
  EXPECT_CHANGE(&rimport_test_fake_toolchain, &v, 1);
  v = base, v.version = NULL;
  EXPECT_CHANGE(&rimport_test_fake_toolchain, &v, 1);
  v = base, v.package = "c-rs";
  EXPECT_CHANGE(&rimport_test_fake_toolchain, &v, 1);
  v = base, v.features = feats2;
  EXPECT_CHANGE(&rimport_test_fake_toolchain, &v, 1);
  v = base, v.feature_count = 0;
  EXPECT_CHANGE(&rimport_test_fake_toolchain, &v, 1);
  v = base, v.default_features = RIMPORT_FALSE;
  EXPECT_CHANGE(&rimport_test_fake_toolchain, &v, 1);
  v = base, v.items = other_shape;
  EXPECT_CHANGE(&rimport_test_fake_toolchain, &v, 1);
  v = base, v.items = other_name;
  EXPECT_CHANGE(&rimport_test_fake_toolchain, &v, 1);
  v = base, v.items = plain;
  EXPECT_CHANGE(&rimport_test_fake_toolchain, &v, 1);
  v = base, v.module = "m";
  EXPECT_CHANGE(&rimport_test_fake_toolchain, &v, 1);
  pair[0] = base;
  pair[1] = crate_import("c", NULL, 0); /* + whole crate */
  EXPECT_CHANGE(&rimport_test_fake_toolchain, pair, 2);
  tc2 = rimport_test_fake_toolchain,
  tc2.fingerprint = "ffffffffffffffffffffffffffffffff";
  EXPECT_CHANGE(&tc2, &base, 1);
  /* The target is an input; rustc's host only through the fingerprint. */
  tc2 = rimport_test_fake_toolchain, tc2.target = "x86_64-pc-windows-gnu";
  EXPECT_CHANGE(&tc2, &base, 1);
#undef EXPECT_CHANGE
}

static void key_changes_when_a_path_crate_changes(void **state) {
  fixture *f = *state;
  char dir[4200], file[4300], k1[33], k2[33], k3[33];
  rimport_import imp = crate_import("pc", NULL, 0);
  snprintf(dir, sizeof(dir), "%s/pc/src", f->dir);
  assert_int_equal(rimport__fs_mkdir_p(dir), 0);
  snprintf(file, sizeof(file), "%s/pc/Cargo.toml", f->dir);
  rimport_test_write_file(file, "[package]\nname = \"pc\"\n");
  snprintf(file, sizeof(file), "%s/pc/src/lib.rs", f->dir);
  rimport_test_write_file(file, "pub fn a() {}\n");
  snprintf(dir, sizeof(dir), "%s/pc", f->dir);
  imp.path = dir;
  key_of(&rimport_test_fake_toolchain, &imp, 1, k1);
  /* target/ is cargo's output: it does not count. */
  snprintf(file, sizeof(file), "%s/pc/target", f->dir);
  assert_int_equal(rimport__fs_mkdir_p(file), 0);
  snprintf(file, sizeof(file), "%s/pc/target/junk", f->dir);
  rimport_test_write_file(file, "x");
  key_of(&rimport_test_fake_toolchain, &imp, 1, k2);
  assert_string_equal(k1, k2);
  snprintf(file, sizeof(file), "%s/pc/src/lib.rs", f->dir);
  rimport_test_write_file(file, "pub fn a() { /* changed */ }\n");
  rimport_test_set_mtime(file, 1000000000, 0);
  key_of(&rimport_test_fake_toolchain, &imp, 1, k3);
  assert_string_not_equal(k1, k3);
}

/* The child prints the key of a fixed plan; the parent checks that another
 * process gets the same key, and that it is the recorded one (a change of
 * the key format must be deliberate: then update this value and bump
 * RIMPORT__KEY_FORMAT).
 *
 * The key holds the hash of every embedded template (plugin_templates/,
 * rimport__template_hash), so any edit of a template — even a comment
 * in it — changes this value too: that is intended (new templates, new
 * plugins). Then update it, with the golden files of test_gen. */
static const char golden_key[] = "e84d3f09327f53885123415ce104fc8f";

static void golden_inputs(rimport_import *imp, rimport_item *items) {
  static const char *feats[] = {"blocking", "json"};
  static const rimport_shape shapes[] = {RIMPORT_SHAPE_VEC_I64,
                                         RIMPORT_SHAPE_STR};
  memset(items, 0, 2 * sizeof(*items));
  items[0].name = "StatusCode";
  items[1].name = "Pair";
  items[1].shapes = shapes;
  items[1].shape_count = 2;
  *imp = items_import("reqwest", NULL, items, 2);
  imp->version = "0.11";
  imp->features = feats;
  imp->feature_count = 2;
  imp->default_features = RIMPORT_FALSE;
}

/* key: prints the key of the golden inputs */
static int child_key(int argc, char **argv) {
  rimport_import imp;
  rimport_item items[2];
  char k[33];
  (void)argc;
  (void)argv;
  golden_inputs(&imp, items);
  key_of(&rimport_test_fake_toolchain, &imp, 1, k);
  printf("%s\n", k);
  rimport_error_clear();
  return 0;
}

static int child_main(int argc, char **argv) {
  static const rimport_test_child_def children[] = {
      {"key", child_key, 1},
  };
  return rimport_test_child_dispatch(children, RIMPORT__ARRAY_SIZE(children),
                                     argc, argv);
}

static void key_is_stable_across_processes(void **state) {
  rimport_import imp;
  rimport_item items[2];
  static const char *const child[] = {"key", NULL};
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  char k[33];
  (void)state;
  golden_inputs(&imp, items);
  key_of(&rimport_test_fake_toolchain, &imp, 1, k);
  rimport_test_exec_self(&out, child, 60000);
  assert_int_equal(out.status, 0);
  assert_int_equal(out.term_signal, 0);
  out.out.ptr[strcspn(out.out.ptr, "\n")] = '\0';
  assert_string_equal(out.out.ptr, k);
  rimport_test_output_free(&out);
  assert_string_equal(k, golden_key);
}

/* --- JSON ------------------------------------------------------------------
 */

static void plan_as_json(void **state) {
  fixture *f = *state;
  rimport_shape sh = RIMPORT_SHAPE_VEC_F64;
  rimport_item it[] = {{"Stack", "S", &sh, 1, {0}}};
  const char *feats[] = {"ünï-cödé"};
  rimport_import imps[2];
  rimport_cell_plan *plan;
  rimport_buf json = RIMPORT_BUF_INIT;
  cJSON *root, *p, *item;
  imps[0] = crate_import("mycrate", NULL, 0);
  imps[0].features = feats;
  imps[0].feature_count = 1;
  imps[0].alias = "mc";
  imps[1] = items_import("mycrate", "a::b", it, 1);
  plan = plan_ok(f, imps, 2);
  assert_int_equal(rimport_cell_plan_to_json(plan, 1, &json), 0);
  root = cJSON_Parse(json.ptr);
  assert_non_null(root);
  assert_string_equal(cJSON_GetObjectItem(root, "origin")->valuestring,
                      "cell 1");
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetObjectItem(root, "toolchain"), "host")
          ->valuestring,
      "x86_64-unknown-linux-gnu");
  p = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "plugins"), 0);
  assert_string_equal(cJSON_GetObjectItem(p, "key")->valuestring,
                      rimport_cell_plan_array(plan)->key);
  assert_string_equal(
      cJSON_GetArrayItem(cJSON_GetObjectItem(p, "features"), 0)->valuestring,
      "ünï-cödé");
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetObjectItem(p, "source"), "version")
          ->valuestring,
      "*");
  item = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "items"), 0);
  assert_string_equal(cJSON_GetObjectItem(item, "module")->valuestring, "a::b");
  assert_string_equal(
      cJSON_GetArrayItem(cJSON_GetObjectItem(item, "instance"), 0)->valuestring,
      "Vec[f64]");
  assert_string_equal(
      cJSON_GetObjectItem(
          cJSON_GetArrayItem(cJSON_GetObjectItem(p, "bindings"), 0), "name")
          ->valuestring,
      "mc");
  cJSON_Delete(root);
  rimport_buf_dispose(&json);
  rimport_cell_plan_free(plan);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(whole_crate_import, setup, teardown),
    cmocka_unit_test_setup_teardown(items_with_module_and_alias, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(repeated_imports_merge, setup, teardown),
    cmocka_unit_test_setup_teardown(dash_and_underscore_are_one_crate, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(several_crates_keep_order, setup, teardown),
    cmocka_unit_test_setup_teardown(empty_cell_plans_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(conflict_version_in_one_cell, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(conflict_path_and_registry, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(conflict_default_features, setup, teardown),
    cmocka_unit_test_setup_teardown(conflict_package, setup, teardown),
    cmocka_unit_test_setup_teardown(conflict_across_cells_names_both, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(later_cells_inherit_source_and_features,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(later_cell_cannot_add_features, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(failed_plan_changes_nothing, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(one_name_bound_twice, setup, teardown),
    cmocka_unit_test_setup_teardown(bad_descriptors_are_refused, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(path_source_is_resolved, setup, teardown),
    cmocka_unit_test_setup_teardown(loaded_crate_is_taken_as_it_is, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(named_features_the_copy_has_take_it, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(features_the_copy_lacks_are_left_as_asked,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(implicit_default_features_must_be_loaded,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(version_the_copy_lacks_is_left_as_asked,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(dash_package_in_the_graph_is_matched, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(loaded_path_crate_keeps_its_directory,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(copy_of_unknown_source_is_left_as_asked,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(
        two_loaded_versions_take_the_highest_that_fits, setup, teardown),
    cmocka_unit_test_setup_teardown(crate_named_before_keeps_its_record, setup,
                                    teardown),
    cmocka_unit_test(readopt_with_nothing_to_take),
    cmocka_unit_test(readopt_changes_this_key_and_later_ones),
    cmocka_unit_test_setup_teardown(readopted_keys_are_a_later_cells_keys,
                                    setup, teardown),
    cmocka_unit_test(version_requirements_match_as_cargo_does),
    cmocka_unit_test(key_ignores_order_and_aliases),
    cmocka_unit_test(key_changes_with_every_input),
    cmocka_unit_test_setup_teardown(key_changes_when_a_path_crate_changes,
                                    setup, teardown),
    cmocka_unit_test(key_is_stable_across_processes),
    cmocka_unit_test_setup_teardown(plan_as_json, setup, teardown),
};

RIMPORT_TEST_MAIN(tests, child_main)
