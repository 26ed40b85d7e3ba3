/* Plugin generation (src/gen): the renderer, escaping, golden files for
 * every import form, the kayton_api crate, the template hash, and real
 * cargo builds of generated plugins that are then loaded and called
 * (DESIGN.md fact 1: std, then kayton_api, then the plugin, then a cell).
 *
 * Golden files live in tests/fixtures/golden/<case>.Cargo.toml and
 * <case>.lib.rs. They hold the template hash (in the manifest), so any
 * template edit changes them: review the new output, then run the suite
 * with RIMPORT_UPDATE_GOLDEN=1 to rewrite them. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kayton_api.h"
#include "support.h"
#include "common/common.h"
#include "common/fs.h"
#include "gen/gen.h"
#include "template/template.h"
#include "plan/plan.h"
#include "platform.h"
#include "toolchain/toolchain.h"

static const char test_key[] = "00112233445566778899aabbccddeeff";

/* --- helpers ---------------------------------------------------------------
 */

static char *read_text(const char *path) {
  rimport_buf b = RIMPORT_BUF_INIT;
  char *s;
  if (rimport__fs_read_file(path, 16u << 20, &b) != 0) {
    rimport_error_clear();
    return NULL;
  }
  s = rimport__buf_detach(&b);
  rimport_buf_dispose(&b);
  return s;
}

static char *render(const char *tpl, const rimport__tpl_record *root) {
  rimport_buf out = RIMPORT_BUF_INIT;
  char *s;
  int rc = rimport__render("test", tpl, strlen(tpl), root, &out);
  if (rc != 0)
    fail_msg("render failed: %s", rimport_error_last()->message);
  s = rimport__buf_detach(&out);
  rimport_buf_dispose(&out);
  return s;
}

static void render_fails(const char *tpl, const rimport__tpl_record *root,
                         int code, const char *needle) {
  rimport_buf out = RIMPORT_BUF_INIT;
  int rc = rimport__render("test", tpl, strlen(tpl), root, &out);
  rimport_test_assert_error(rc, code, needle);
  rimport_buf_dispose(&out);
  rimport_error_clear();
}

static rimport_plugin plugin_of(const char *crate, const char *plugin) {
  rimport_plugin p;
  memset(&p, 0, sizeof(p));
  p.crate = crate;
  p.plugin = plugin;
  p.source = RIMPORT_FROM_REGISTRY;
  p.default_features = 1;
  p.key = test_key;
  return p;
}

static rimport__gen_input input_of(const rimport_plugin *p) {
  rimport__gen_input in;
  memset(&in, 0, sizeof(in));
  in.plugin = p;
  in.kayton_api_dir = "/opt/rimport/kayton_api";
  in.toolchain = &rimport_test_fake_toolchain;
  in.resolved_version = "1.2.3";
  return in;
}

static int gen_into(const rimport__gen_input *in, const char *dir) {
  return rimport__gen_plugin(in, dir);
}

/* Renders the plugin into a fresh directory; returns the directory. */
static const char *gen_ok(const rimport__gen_input *in, const char *name) {
  const char *dir = rimport_test_tmpdir(name);
  int rc = gen_into(in, dir);
  if (rc != 0)
    fail_msg("rimport__gen_plugin: %s", rimport_error_last()->message);
  return dir;
}

static char *gen_file(const char *dir, const char *rel) {
  char path[8400];
  char *s;
  snprintf(path, sizeof(path), "%s/%s", dir, rel);
  s = read_text(path);
  if (s == NULL)
    fail_msg("not written: %s", path);
  return s;
}

/* The first line where a and b differ (1-based), and the lines. */
static unsigned first_diff(const char *a, const char *b, const char **la,
                           const char **lb) {
  unsigned line = 1;
  *la = a;
  *lb = b;
  while (*a && *a == *b) {
    if (*a == '\n') {
      line++;
      *la = a + 1;
      *lb = b + 1;
    }
    a++;
    b++;
  }
  return line;
}

static int line_len(const char *s) {
  return (int)strcspn(s, "\n");
}

static void check_golden_file(const char *actual, const char *golden) {
  char path[4200], keep[4300];
  const char *update = getenv("RIMPORT_UPDATE_GOLDEN");
  char *expected;
  const char *le, *la;
  unsigned line;
  snprintf(path, sizeof(path), "%s/tests/fixtures/golden/%s",
           RIMPORT_SOURCE_DIR, golden);
  if (update && strcmp(update, "1") == 0) {
    rimport_test_write_file(path, actual);
    return;
  }
  expected = read_text(path);
  if (expected == NULL)
    fail_msg("golden file %s is missing: review the output, then run with "
             "RIMPORT_UPDATE_GOLDEN=1 to write it",
             path);
  if (strcmp(expected, actual) == 0) {
    free(expected);
    return;
  }
  snprintf(keep, sizeof(keep), "%s/%s.actual", rimport_test_tmpdir("golden"),
           golden);
  rimport_test_write_file(keep, actual);
  line = first_diff(expected, actual, &le, &la);
  print_error("golden mismatch in %s at line %u\n"
              "  expected: %.*s\n"
              "  actual:   %.*s\n"
              "  see: diff -u %s %s\n"
              "  if the change is intended: RIMPORT_UPDATE_GOLDEN=1 ctest\n",
              golden, line, line_len(le), le, line_len(la), la, path, keep);
  free(expected);
  fail();
}

static void check_golden(const rimport__gen_input *in, const char *name) {
  const char *dir = gen_ok(in, name);
  char golden[256], saved[4200];
  char *toml, *lib;
  snprintf(saved, sizeof(saved), "%s", dir);
  toml = gen_file(saved, "Cargo.toml");
  lib = gen_file(saved, "src/lib.rs");
  snprintf(golden, sizeof(golden), "%s.Cargo.toml", name);
  check_golden_file(toml, golden);
  snprintf(golden, sizeof(golden), "%s.lib.rs", name);
  check_golden_file(lib, golden);
  free(toml);
  free(lib);
}

/* The manifest literal of a generated lib.rs, unescaped and parsed. */
static cJSON *manifest_of(const char *lib) {
  const char *p = strstr(lib, "static MANIFEST: &str = \"");
  rimport_buf json = RIMPORT_BUF_INIT;
  cJSON *j;
  assert_non_null(p);
  p += strlen("static MANIFEST: &str = \"");
  while (*p && *p != '"') {
    if (*p != '\\') {
      rimport__buf_putc(&json, *p++);
      continue;
    }
    p++;
    switch (*p) {
    case 'n':
      rimport__buf_putc(&json, '\n');
      p++;
      break;
    case 'r':
      rimport__buf_putc(&json, '\r');
      p++;
      break;
    case 't':
      rimport__buf_putc(&json, '\t');
      p++;
      break;
    case '0':
      p++; /* the terminating NUL */
      break;
    case 'u': {
      unsigned v = 0;
      assert_int_equal(sscanf(p, "u{%x}", &v), 1);
      rimport__buf_putc(&json, (char)v);
      p = strchr(p, '}') + 1;
      break;
    }
    default:
      rimport__buf_putc(&json, *p++);
    }
  }
  assert_int_equal(*p, '"');
  j = cJSON_Parse(json.ptr);
  assert_non_null(j);
  rimport_buf_dispose(&json);
  return j;
}

static const char *jstr(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* --- the renderer ------------------------------------------------------------
 */

static void render_placeholders(void **state) {
  rimport__tpl_var vars[] = {{"a", "1"}, {"b", "two"}};
  rimport__tpl_record root = {vars, 2, NULL, 0};
  char *s;
  (void)state;
  s = render("x{{a}}y{{b}}{{a}}", &root);
  assert_string_equal(s, "x1ytwo1");
  free(s);
  s = render("no tags at all { } }}", &root);
  assert_string_equal(s, "no tags at all { } }}");
  free(s);
  s = render("", &root);
  assert_string_equal(s, "");
  free(s);
}

static void render_nested_sections(void **state) {
  rimport__tpl_var outer[] = {{"crate", "k"}, {"sep", ","}};
  rimport__tpl_var m1[] = {{"name", "a"}}, m2[] = {{"name", "b"}};
  rimport__tpl_var i1[] = {{"item", "X"}}, i2[] = {{"item", "Y"}};
  rimport__tpl_record items1[] = {{i1, 1, NULL, 0}, {i2, 1, NULL, 0}};
  rimport__tpl_list l1[] = {{"items", items1, 2}};
  rimport__tpl_list l2[] = {{"items", NULL, 0}};
  rimport__tpl_record mods[] = {{m1, 1, l1, 1}, {m2, 1, l2, 1}};
  rimport__tpl_list top[] = {{"mods", mods, 2}};
  rimport__tpl_record root = {outer, 2, top, 1};
  char *s;
  (void)state;
  /* Inside, a name is looked up in the record first, then outward. */
  s = render("{{#mods}}[{{name}}:{{#items}}{{crate}}::{{name}}::{{item}}{{sep}}"
             "{{/items}}{{^items}}none{{/items}}]{{/mods}}",
             &root);
  assert_string_equal(s, "[a:k::a::X,k::a::Y,][b:none]");
  free(s);
}

static void render_empty_list_sections(void **state) {
  rimport__tpl_list lists[] = {{"none", NULL, 0}};
  rimport__tpl_record root = {NULL, 0, lists, 1};
  char *s;
  (void)state;
  s = render("a{{#none}}never{{/none}}b{{^none}}empty{{/none}}c", &root);
  assert_string_equal(s, "abemptyc");
  free(s);
}

static void render_standalone_section_lines(void **state) {
  rimport__tpl_var v1[] = {{"x", "1"}}, v2[] = {{"x", "2"}};
  rimport__tpl_record recs[] = {{v1, 1, NULL, 0}, {v2, 1, NULL, 0}};
  rimport__tpl_list lists[] = {{"l", recs, 2}};
  rimport__tpl_record root = {NULL, 0, lists, 1};
  char *s;
  (void)state;
  /* A line holding only a section tag disappears, newline and all; a tag
   * that shares its line with text keeps the line. */
  s = render("begin\n  {{#l}}  \n    v{{x}}\n  {{/l}}\nend {{#l}}.{{/l}}\n",
             &root);
  assert_string_equal(s, "begin\n    v1\n    v2\nend ..\n");
  free(s);
  s = render("{{#l}}\n{{x}}\n{{/l}}", &root);
  assert_string_equal(s, "1\n2\n");
  free(s);
}

static void render_unknown_names(void **state) {
  rimport__tpl_var vars[] = {{"a", "1"}, {"nul", NULL}};
  rimport__tpl_list lists[] = {{"l", NULL, 0}};
  rimport__tpl_record root = {vars, 2, lists, 1};
  (void)state;
  render_fails("ok {{a}}\n{{missing}}", &root, RIMPORT_EINTERNAL,
               "line 2 (offset 9): unknown name `missing`");
  render_fails("{{#nosuch}}{{/nosuch}}", &root, RIMPORT_EINTERNAL,
               "unknown section `nosuch`");
  render_fails("{{l}}", &root, RIMPORT_EINTERNAL, "is a list");
  render_fails("{{#a}}{{/a}}", &root, RIMPORT_EINTERNAL, "is a value");
  render_fails("{{nul}}", &root, RIMPORT_EINTERNAL, "has no value");
}

static void render_unbalanced_sections(void **state) {
  rimport__tpl_list lists[] = {{"a", NULL, 0}, {"b", NULL, 0}};
  rimport__tpl_record root = {NULL, 0, lists, 2};
  (void)state;
  render_fails("{{#a}}x", &root, RIMPORT_EINTERNAL,
               "section `a` is never closed");
  render_fails("x{{/a}}", &root, RIMPORT_EINTERNAL,
               "`{{/a}}` closes no open section");
  render_fails("{{#a}}{{#b}}{{/a}}{{/b}}", &root, RIMPORT_EINTERNAL,
               "`{{/a}}` where `{{/b}}` (opened at offset 6) must come first");
  render_fails("abc {{a", &root, RIMPORT_EINTERNAL, "without its `}}`");
  render_fails("{{a b}}", &root, RIMPORT_EINTERNAL, "malformed tag `{{a b}}`");
  render_fails("{{}}", &root, RIMPORT_EINTERNAL, "malformed tag");
  render_fails("{{#}}{{/}}", &root, RIMPORT_EINTERNAL, "malformed tag");
  render_fails("{{html:a}}", &root, RIMPORT_EINTERNAL, "malformed tag");
  /* An error inside a section that renders zero times is still found. */
  render_fails("{{#a}}{{#b}}{{/a}}", &root, RIMPORT_EINTERNAL, "must come");
}

static void render_deep_nesting_is_refused(void **state) {
  char tpl[600] = "";
  rimport__tpl_list lists[] = {{"a", NULL, 0}};
  rimport__tpl_record root = {NULL, 0, lists, 1};
  int i;
  (void)state;
  for (i = 0; i < 33; i++)
    strcat(tpl, "{{#a}}");
  render_fails(tpl, &root, RIMPORT_EINTERNAL, "nested deeper than 32");
}

static void render_escaping_modes(void **state) {
  rimport__tpl_var vars[] = {
      {"v", "q\"b\\n\nr\rt\tf\fb\bc\001d\x7f-\xc3\xa9\xe2\x82\xac"}};
  rimport__tpl_record root = {vars, 1, NULL, 0};
  char *s;
  (void)state;
  s = render("{{v}}", &root);
  assert_string_equal(s, vars[0].value);
  free(s);
  s = render("\"{{toml:v}}\"", &root);
  assert_string_equal(s, "\"q\\\"b\\\\n\\nr\\rt\\tf\\fb\\bc\\u0001d\\u007F-"
                         "\xc3\xa9\xe2\x82\xac\"");
  free(s);
  s = render("\"{{rust:v}}\"", &root);
  assert_string_equal(s, "\"q\\\"b\\\\n\\nr\\rt\\tf\\u{c}b\\u{8}c\\u{1}d\\u{7f}"
                         "-\xc3\xa9\xe2\x82\xac\"");
  free(s);
}

static void render_rejects_invalid_utf8(void **state) {
  rimport__tpl_var vars[] = {{"v", "ab\xc3("}, {"w", "\xed\xa0\x80"}};
  rimport__tpl_record root = {vars, 2, NULL, 0};
  (void)state;
  render_fails("{{toml:v}}", &root, RIMPORT_EINVAL, "not valid UTF-8");
  render_fails("{{rust:w}}", &root, RIMPORT_EINVAL, "not valid UTF-8");
}

/* --- golden files: one per import form -------------------------------------
 */

static void golden_whole_crate(void **state) {
  rimport_plugin p = plugin_of("reqwest", "kayton_rplugin__reqwest");
  rimport_binding b[] = {{"rq_alias_not_rendered", NULL, NULL}};
  rimport__gen_input in;
  (void)state;
  p.version = "0.11";
  p.whole_crate = 1;
  p.bindings = b;
  p.binding_count = 1;
  in = input_of(&p);
  check_golden(&in, "whole_crate");
}

static void golden_items(void **state) {
  /* Root and module items; equal names in different modules; aliases. */
  rimport_plugin_item items[] = {
      {NULL, "Method", NULL, 0},
      {NULL, "StatusCode", NULL, 0},
      {"async_impl", "Client", NULL, 0},
      {"blocking", "Client", NULL, 0},
      {"blocking", "Response", NULL, 0},
      {"blocking::multipart", "Form", NULL, 0},
  };
  rimport_binding b[] = {{"AliasNotRendered", NULL, "Method"},
                         {"BlockingClient", "blocking", "Client"}};
  rimport_plugin p = plugin_of("reqwest", "kayton_rplugin__reqwest");
  rimport__gen_input in;
  char *lib;
  const char *dir;
  (void)state;
  p.items = items;
  p.item_count = RIMPORT__ARRAY_SIZE(items);
  p.bindings = b;
  p.binding_count = 2;
  in = input_of(&p);
  check_golden(&in, "items");
  dir = gen_ok(&in, "items-alias");
  lib = gen_file(dir, "src/lib.rs");
  assert_null(strstr(lib, "AliasNotRendered"));
  assert_null(strstr(lib, "BlockingClient"));
  free(lib);
}

static void golden_glob(void **state) {
  /* A glob at the root and in a module; a module asked for as an item
   * together with items from inside it. */
  rimport_plugin_item items[] = {
      {NULL, "*", NULL, 0},
      {NULL, "blocking", NULL, 0},
      {"blocking", "Client", NULL, 0},
      {"header", "*", NULL, 0},
      {"header", "HeaderMap", NULL, 0},
  };
  rimport_plugin p = plugin_of("reqwest", "kayton_rplugin__reqwest");
  rimport__gen_input in;
  (void)state;
  p.items = items;
  p.item_count = RIMPORT__ARRAY_SIZE(items);
  in = input_of(&p);
  check_golden(&in, "glob");
}

static void golden_generics(void **state) {
  static const rimport_shape i64[] = {RIMPORT_SHAPE_I64};
  static const rimport_shape f64[] = {RIMPORT_SHAPE_F64};
  static const rimport_shape veci[] = {RIMPORT_SHAPE_VEC_I64};
  static const rimport_shape sf[] = {RIMPORT_SHAPE_STRING, RIMPORT_SHAPE_F64};
  static const rimport_shape all[] = {RIMPORT_SHAPE_STR, RIMPORT_SHAPE_VEC_F64,
                                      RIMPORT_SHAPE_DYNAMIC};
  rimport_plugin_item items[] = {
      {NULL, "Pair", sf, 2},           {NULL, "Stack", NULL, 0},
      {NULL, "Stack", veci, 1},        {NULL, "largest", f64, 1},
      {NULL, "largest", i64, 1},       {"deep::inner", "Triple", all, 3},
      {"deep::inner", "pick", i64, 1},
  };
  rimport_plugin p = plugin_of("kitchen", "kayton_rplugin__kitchen");
  rimport__gen_input in;
  (void)state;
  p.source = RIMPORT_FROM_PATH;
  p.path = "/src/kitchen";
  p.items = items;
  p.item_count = RIMPORT__ARRAY_SIZE(items);
  in = input_of(&p);
  check_golden(&in, "generics");
}

static void golden_path_source(void **state) {
  rimport_plugin_item items[] = {{NULL, "add", NULL, 0}};
  rimport_plugin p = plugin_of("kitchen", "kayton_rplugin__kitchen");
  rimport__gen_input in;
  (void)state;
  p.source = RIMPORT_FROM_PATH;
  p.path = "/home/user/src/kitchen";
  p.items = items;
  p.item_count = 1;
  in = input_of(&p);
  in.resolved_version = NULL; /* "unknown" in the manifest */
  check_golden(&in, "path_source");
}

static void golden_registry_features(void **state) {
  static const char *const feats[] = {"blocking", "json", "rustls-tls"};
  rimport_plugin p = plugin_of("reqwest", "kayton_rplugin__reqwest");
  rimport__gen_input in;
  (void)state;
  p.version = ">=0.11, <0.13";
  p.features = feats;
  p.feature_count = 3;
  p.default_features = 0;
  p.whole_crate = 1;
  in = input_of(&p);
  check_golden(&in, "registry_features");
}

static void golden_package_rename(void **state) {
  rimport_plugin_item items[] = {{"codec", "LinesCodec", NULL, 0}};
  rimport_plugin p = plugin_of("tokio-util", "kayton_rplugin__tokio_util");
  rimport__gen_input in;
  (void)state;
  p.items = items;
  p.item_count = 1;
  in = input_of(&p);
  in.package = "tokio-util";
  check_golden(&in, "package_rename");
}

static void golden_parent(void **state) {
  rimport__gen_parent parents[] = {
      {"kayton_rplugin__serde", "/cache/serde/0123/crate"},
      {"kayton_rplugin__itoa", "/cache/itoa/4567/crate"}};
  rimport_plugin p = plugin_of("serde_json", "kayton_rplugin__serde_json");
  rimport__gen_input in;
  (void)state;
  p.whole_crate = 1;
  in = input_of(&p);
  in.parents = parents;
  in.parent_count = 2;
  check_golden(&in, "parent");
}

static void golden_whole_crate_and_items(void **state) {
  rimport_plugin_item items[] = {{NULL, "StatusCode", NULL, 0},
                                 {"blocking", "Client", NULL, 0}};
  rimport_plugin p = plugin_of("reqwest", "kayton_rplugin__reqwest");
  rimport__gen_input in;
  (void)state;
  p.whole_crate = 1;
  p.items = items;
  p.item_count = 2;
  in = input_of(&p);
  check_golden(&in, "whole_crate_and_items");
}

/* --- the manifest and escaping ----------------------------------------------
 */

static void manifest_is_valid_json(void **state) {
  static const rimport_shape sf[] = {RIMPORT_SHAPE_STRING, RIMPORT_SHAPE_F64};
  rimport_plugin_item items[] = {{NULL, "Pair", sf, 2},
                                 {"shapes", "circle_area", NULL, 0},
                                 {"shapes", "*", NULL, 0}};
  rimport__gen_parent parents[] = {{"kayton_rplugin__serde", "/p"}};
  rimport_plugin p = plugin_of("kitchen", "kayton_rplugin__kitchen");
  rimport__gen_input in;
  const cJSON *it, *j2;
  cJSON *j;
  char *lib;
  const char *dir;
  (void)state;
  p.items = items;
  p.item_count = 3;
  p.whole_crate = 1;
  in = input_of(&p);
  in.parents = parents;
  in.parent_count = 1;
  /* Quotes, backslashes, controls and non-ASCII survive JSON and Rust. */
  in.resolved_version = "1.0.0 \"q\" \\b\\ \n\t\001 \xc3\xa9";
  dir = gen_ok(&in, "manifest");
  lib = gen_file(dir, "src/lib.rs");
  j = manifest_of(lib);
  assert_int_equal(cJSON_GetObjectItem(j, "format")->valueint, 1);
  assert_string_equal(jstr(j, "plugin"), "kayton_rplugin__kitchen");
  assert_string_equal(jstr(j, "crate"), "kitchen");
  assert_string_equal(jstr(j, "package"), "kitchen");
  assert_string_equal(jstr(j, "version"), in.resolved_version);
  assert_string_equal(jstr(j, "key"), test_key);
  assert_string_equal(jstr(j, "template"), rimport__template_hash());
  assert_int_equal(cJSON_GetObjectItem(j, "abi_version")->valueint,
                   KAYTON_API_ABI_VERSION);
  j2 = cJSON_GetObjectItem(j, "rustc");
  assert_string_equal(jstr(j2, "fingerprint"),
                      rimport_test_fake_toolchain.fingerprint);
  assert_string_equal(jstr(j2, "release"), "1.95.0");
  assert_string_equal(jstr(j2, "host"), rimport_test_fake_toolchain.host);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "whole_crate")));
  assert_string_equal(jstr(j, "exports"), "exports");
  it = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 0);
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(it, "module")));
  assert_string_equal(jstr(it, "name"), "Pair");
  assert_string_equal(
      cJSON_GetArrayItem(cJSON_GetObjectItem(it, "instance"), 0)->valuestring,
      "String");
  assert_string_equal(jstr(it, "kind"), "type");
  assert_string_equal(jstr(it, "export"), "inst::Pair__String_f64");
  it = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 1);
  assert_string_equal(jstr(it, "module"), "shapes");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(it, "instance")), 0);
  assert_string_equal(jstr(it, "export"), "items::shapes::circle_area");
  it = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 2);
  assert_string_equal(jstr(it, "export"), "items::shapes::*");
  assert_string_equal(
      cJSON_GetArrayItem(cJSON_GetObjectItem(j, "parents"), 0)->valuestring,
      "kayton_rplugin__serde");
  cJSON_Delete(j);
  free(lib);
}

static void escaping_in_paths_and_features(void **state) {
  static const char *const feats[] = {"caf\xc3\xa9", "\xce\xbb-x"};
  rimport__gen_parent parents[] = {
      {"kayton_rplugin__serde", "/c/\"quoted\"/back\\slash"}};
  rimport_plugin p = plugin_of("kitchen", "kayton_rplugin__kitchen");
  rimport__gen_input in;
  char *toml;
  const char *dir;
  (void)state;
  p.source = RIMPORT_FROM_PATH;
  p.path = "/tmp/we\"ird\\dir\nnew line/\xc3\xbcnicode\tx";
  p.features = feats;
  p.feature_count = 2;
  in = input_of(&p);
  in.kayton_api_dir = "C:\\Users\\k\\kayton_api";
  in.parents = parents;
  in.parent_count = 1;
  dir = gen_ok(&in, "escaping");
  toml = gen_file(dir, "Cargo.toml");
  assert_non_null(strstr(
      toml,
      "\npath = \"/tmp/we\\\"ird\\\\dir\\nnew line/\xc3\xbcnicode\\tx\"\n"));
  assert_non_null(strstr(
      toml, "kayton_api = { path = \"C:\\\\Users\\\\k\\\\kayton_api\" }"));
  assert_non_null(strstr(toml, "kayton_rplugin__serde = { path = "
                               "\"/c/\\\"quoted\\\"/back\\\\slash\" }"));
  assert_non_null(strstr(toml, "  \"caf\xc3\xa9\",\n  \"\xce\xbb-x\",\n"));
  free(toml);
}

static void gen_refuses_bad_names(void **state) {
  rimport_plugin_item bad_module[] = {{"a::1b", "X", NULL, 0}};
  rimport_plugin_item bad_item[] = {{NULL, "fn", NULL, 0}};
  rimport_plugin_item bad_item2[] = {{NULL, "a b", NULL, 0}};
  rimport_plugin_item bad_module2[] = {{"a::super", "X", NULL, 0}};
  static const rimport_shape i64[] = {RIMPORT_SHAPE_I64};
  static const rimport_shape bogus[] = {(rimport_shape)42};
  rimport_plugin_item glob_shapes[] = {{NULL, "*", i64, 1}};
  rimport_plugin_item bad_shape[] = {{NULL, "F", bogus, 1}};
  static const char *const bad_feat[] = {"a\"b"};
  rimport__gen_parent bad_parent[] = {{"kayton-rplugin", "/x"}};
  rimport__gen_parent no_dir[] = {{"kayton_rplugin__a", ""}};
  const char *dir = rimport_test_tmpdir("bad");
  rimport_plugin p;
  rimport__gen_input in;
  char path[4200];
  (void)state;
#define EXPECT_BAD(setup, needle)                                              \
  do {                                                                         \
    p = plugin_of("kitchen", "kayton_rplugin__kitchen");                       \
    in = input_of(&p);                                                         \
    setup;                                                                     \
    rimport_test_assert_error(gen_into(&in, dir), RIMPORT_EINVAL, needle);     \
    rimport_error_clear();                                                     \
  } while (0)
  EXPECT_BAD((p.items = bad_module, p.item_count = 1), "\"a::1b\"");
  EXPECT_BAD((p.items = bad_module2, p.item_count = 1), "\"a::super\"");
  EXPECT_BAD((p.items = bad_item, p.item_count = 1), "the item \"fn\"");
  EXPECT_BAD((p.items = bad_item2, p.item_count = 1), "the item \"a b\"");
  EXPECT_BAD((p.items = glob_shapes, p.item_count = 1), "generic arguments");
  EXPECT_BAD((p.items = bad_shape, p.item_count = 1), "unknown generic shape");
  EXPECT_BAD(p.crate = "1abc", "the crate name \"1abc\"");
  EXPECT_BAD(p.crate = "kayton_api", "rimport's own");
  EXPECT_BAD(p.plugin = "kayton rplugin", "the plugin name");
  EXPECT_BAD(in.package = "bad package", "the package");
  EXPECT_BAD((p.features = bad_feat, p.feature_count = 1), "the feature");
  EXPECT_BAD(p.version = "1.0; rm", "the version requirement");
  EXPECT_BAD((p.source = RIMPORT_FROM_PATH, p.path = NULL), "the path");
  EXPECT_BAD(p.key = "XYZ", "the cache key");
  EXPECT_BAD((in.parents = bad_parent, in.parent_count = 1),
             "the parent plugin \"kayton-rplugin\"");
  EXPECT_BAD((in.parents = no_dir, in.parent_count = 1), "directory");
  EXPECT_BAD(in.kayton_api_dir = NULL, "kayton_api directory");
  EXPECT_BAD(in.toolchain = NULL, "toolchain");
  EXPECT_BAD((p.source = RIMPORT_FROM_PATH, p.path = "/x\xff"),
             "not valid UTF-8");
#undef EXPECT_BAD
  /* Nothing was written by any of them (the last fails while rendering,
   * before writing). */
  snprintf(path, sizeof(path), "%s/Cargo.toml", dir);
  assert_false(rimport__fs_is_file(path));
  rimport_error_clear();
}

static void gen_writes_only_changed_files(void **state) {
  rimport_plugin_item items[] = {{NULL, "add", NULL, 0}};
  rimport_plugin p = plugin_of("kitchen", "kayton_rplugin__kitchen");
  rimport__gen_input in;
  char dir[4096], toml[4200], lib[4200];
  rimport__stat st;
  (void)state;
  p.items = items;
  p.item_count = 1;
  in = input_of(&p);
  snprintf(dir, sizeof(dir), "%s/deep/er", rimport_test_tmpdir("fresh"));
  assert_int_equal(gen_into(&in, dir), 0);
  snprintf(toml, sizeof(toml), "%s/Cargo.toml", dir);
  snprintf(lib, sizeof(lib), "%s/src/lib.rs", dir);
  rimport_test_set_mtime(toml, 1000000000, 0);
  rimport_test_set_mtime(lib, 1000000000, 0);
  /* The same input again: nothing is rewritten. */
  assert_int_equal(gen_into(&in, dir), 0);
  assert_int_equal(rimport__fs_stat(toml, &st), 0);
  assert_int_equal(st.mtime_sec, 1000000000);
  assert_int_equal(rimport__fs_stat(lib, &st), 0);
  assert_int_equal(st.mtime_sec, 1000000000);
  /* Another item: lib.rs changes, Cargo.toml does not. */
  items[0].name = "greet";
  assert_int_equal(gen_into(&in, dir), 0);
  assert_int_equal(rimport__fs_stat(toml, &st), 0);
  assert_int_equal(st.mtime_sec, 1000000000);
  assert_int_equal(rimport__fs_stat(lib, &st), 0);
  assert_int_not_equal(st.mtime_sec, 1000000000);
}

/* --- the kayton_api crate and the template hash ------------------------------
 */

static void kayton_api_crate_is_written(void **state) {
  char dir[4096], path[4200];
  char *lib, *toml;
  const char *p;
  unsigned v = 0;
  (void)state;
  snprintf(dir, sizeof(dir), "%s/kayton_api", rimport_test_tmpdir("kapi"));
  assert_int_equal(rimport__gen_kayton_api(dir), 0);
  snprintf(path, sizeof(path), "%s/src/lib.rs", dir);
  lib = read_text(path);
  assert_non_null(lib);
  snprintf(path, sizeof(path), "%s/Cargo.toml", dir);
  toml = read_text(path);
  assert_non_null(toml);
  assert_true(strncmp(lib, "// generated by rimport ", 24) == 0);
  assert_true(strncmp(toml, "# generated by rimport ", 23) == 0);
  assert_non_null(strstr(toml, "name = \"kayton_api\""));
  assert_non_null(strstr(toml, "crate-type = [\"dylib\"]"));
  /* The Rust crate speaks the header's ABI version. */
  p = strstr(lib, "pub const ABI_VERSION: u32 = ");
  assert_non_null(p);
  assert_int_equal(sscanf(p, "pub const ABI_VERSION: u32 = %u;", &v), 1);
  assert_int_equal(v, KAYTON_API_ABI_VERSION);
  free(lib);
  free(toml);
  assert_int_equal(rimport__gen_kayton_api(NULL), RIMPORT_EINVAL);
  rimport_error_clear();
}

static void template_hash_is_stable(void **state) {
  const char *h = rimport__template_hash();
  size_t i;
  (void)state;
  assert_non_null(h);
  assert_int_equal(strlen(h), 32);
  assert_int_equal(strspn(h, "0123456789abcdef"), 32);
  assert_ptr_equal(h, rimport__template_hash());
  assert_string_equal(h, rimport__template_hash());
  /* Every template is embedded, sorted, NUL-terminated; README is not. */
  assert_true(rimport__template_count >= 4);
  for (i = 0; i < rimport__template_count; i++) {
    assert_int_equal(rimport__templates[i].text[rimport__templates[i].len], 0);
    assert_null(strstr(rimport__templates[i].path, "README"));
    if (i > 0)
      assert_true(strcmp(rimport__templates[i - 1].path,
                         rimport__templates[i].path) < 0);
  }
}

static void key_holds_template_hash(void **state) {
  rimport_plugin p = plugin_of("kitchen", "kayton_rplugin__kitchen");
  rimport_buf in = RIMPORT_BUF_INIT;
  char key[33], line[64];
  (void)state;
  assert_int_equal(rimport__plan_key(&p, &rimport_test_fake_toolchain, NULL,
                                     NULL, 0, &in, key),
                   0);
  snprintf(line, sizeof(line), "\ntemplate %s\n", rimport__template_hash());
  assert_non_null(strstr(in.ptr, line));
  rimport_buf_dispose(&in);
}

/* --- real builds
 * -------------------------------------------------------------- Need cargo and
 * rustc on PATH; no network (path crates only, --offline). */

/* A reference host for kayton_plugin_register_c: counts set_error calls. */
static int host_errors;
static void host_set_error(KaytonContext *ctx, const char *text, size_t len) {
  (void)ctx;
  (void)text;
  (void)len;
  host_errors++;
}

typedef struct built {
  char target[4200]; /* CARGO_TARGET_DIR */
  rimport__toolchain *tc;
  rimport__dl *libs[8]; /* what was loaded (the libraries stay loaded) */
  size_t lib_count;
} built;

static void built_free(built *b) {
  size_t i;
  for (i = 0; i < b->lib_count; i++)
    rimport__dl_free(b->libs[i]);
  rimport__toolchain_free(b->tc);
}

/* cargo build of the crate into b's target dir, for the toolchain's
 * target (named when it is not rustc's host: a Windows process). */
static void cargo_build(const char *crate_dir, const built *b) {
  rimport_test_output res = RIMPORT_TEST_OUTPUT_INIT;
  char manifest[4400], target_env[4400];
  const char *target = b->target;
  const char *args[] = {
      "cargo",           "build",  "--release", "--offline",       "--quiet",
      "--manifest-path", manifest, "--target",  b->tc->pub.target, NULL};
  if (strcmp(b->tc->pub.target, b->tc->pub.host) == 0)
    args[7] = NULL;
  const char *env[] = {"CARGO_ENCODED_RUSTFLAGS=-Cprefer-dynamic", target_env,
                       "CARGO_TERM_COLOR=never", "RUSTFLAGS", NULL};
  snprintf(manifest, sizeof(manifest), "%s/Cargo.toml", crate_dir);
  snprintf(target_env, sizeof(target_env), "CARGO_TARGET_DIR=%s", target);
  rimport_test_exec(&res, args, crate_dir, env, 280000);
  if (res.status != 0 || res.term_signal != 0)
    fail_msg("cargo build of %s failed (exit %lld, signal %d):\n%s", crate_dir,
             (long long)res.status, res.term_signal, res.err.ptr);
  rimport_test_output_free(&res);
}

/* Loads the library at path (for the rest of the process). */
static rimport__dl *load_or_fail(built *b, const char *path) {
  rimport__dl *dl = NULL;
  if (rimport__dl_open(path, &dl) != 0)
    fail_msg("%s", rimport_error_last()->message);
  assert_true(b->lib_count < RIMPORT__ARRAY_SIZE(b->libs));
  b->libs[b->lib_count++] = dl;
  return dl;
}

/* The toolchain's runtime DLL (windows-gnu), then its std. */
static void load_std(built *b) {
  if (b->tc->pub.runtime_dll != NULL)
    load_or_fail(b, b->tc->pub.runtime_dll);
  assert_non_null(b->tc->pub.std_dylib);
  load_or_fail(b, b->tc->pub.std_dylib);
}

/* The path of the dylib `name` that cargo built into <target>/release. */
static void release_dylib(rimport_buf *out, const built *b, const char *name) {
  char release[4400];
  if (strcmp(b->tc->pub.target, b->tc->pub.host) == 0)
    snprintf(release, sizeof(release), "%s/release", b->target);
  else
    snprintf(release, sizeof(release), "%s/%s/release", b->target,
             b->tc->pub.target);
  rimport_test_dylib_path(out, release, name);
}

/* Renders a kitchen plugin (and the kayton_api crate) with the gen stage
 * and builds it with cargo, without the build stage, under a fresh
 * directory; b->target is the cargo target dir. */
static void gen_and_build(const char *name, const rimport_plugin *p, built *b) {
  char base[4096], kapi[4200], crate[4200];
  rimport__gen_input in;
  memset(b, 0, sizeof(*b));
  snprintf(base, sizeof(base), "%s", rimport_test_tmpdir(name));
  snprintf(kapi, sizeof(kapi), "%s/kayton_api", base);
  snprintf(crate, sizeof(crate), "%s/crate", base);
  snprintf(b->target, sizeof(b->target), "%s/target", base);
  if (rimport__toolchain_find(NULL, NULL, NULL, 0, NULL, NULL, &b->tc) != 0)
    fail_msg("toolchain: %s", rimport_error_last()->message);
  assert_int_equal(rimport__gen_kayton_api(kapi), 0);
  in = input_of(p);
  in.kayton_api_dir = kapi;
  in.toolchain = &b->tc->pub;
  in.resolved_version = "0.1.0";
  assert_int_equal(rimport__gen_plugin(&in, crate), 0);
  cargo_build(crate, b);
}

/* Loads std, kayton_api and the plugin (in that order, by absolute path)
 * and returns the plugin's handle. */
static rimport__dl *load_plugin(built *b, const char *plugin) {
  rimport_buf path = RIMPORT_BUF_INIT;
  rimport__dl *dl;
  load_std(b);
  release_dylib(&path, b, "kayton_api");
  load_or_fail(b, path.ptr);
  release_dylib(&path, b, plugin);
  dl = load_or_fail(b, path.ptr);
  rimport_buf_dispose(&path);
  return dl;
}

/* The address of an exported symbol (NULL when there is none). */
#define SYM(fn, dl, name)                                                      \
  do {                                                                         \
    void *sym_ = rimport__dl_sym(dl, name);                                    \
    memcpy(&(fn), &sym_, sizeof(sym_));                                        \
  } while (0)

static void kitchen_plugin_builds_and_loads(void **state) {
  static const rimport_shape i64[] = {RIMPORT_SHAPE_I64};
  static const rimport_shape f64[] = {RIMPORT_SHAPE_F64};
  static const rimport_shape veci[] = {RIMPORT_SHAPE_VEC_I64};
  static const rimport_shape sf[] = {RIMPORT_SHAPE_STRING, RIMPORT_SHAPE_F64};
  static const rimport_shape dyn[] = {RIMPORT_SHAPE_DYNAMIC};
  static const rimport_shape strs[] = {RIMPORT_SHAPE_STR,
                                       RIMPORT_SHAPE_VEC_F64};
  rimport_plugin_item items[] = {
      {NULL, "Color", NULL, 0},
      {NULL, "Pair", sf, 2},
      {NULL, "Pair", strs, 2},
      {NULL, "Point", NULL, 0},
      {NULL, "Stack", dyn, 1},
      {NULL, "Stack", veci, 1},
      {NULL, "add", NULL, 0},
      {NULL, "greet", NULL, 0},
      {NULL, "largest", f64, 1},
      {NULL, "largest", i64, 1},
      {NULL, "shapes", NULL, 0},
      {"shapes", "*", NULL, 0},
      {"shapes", "circle_area", NULL, 0},
  };
  rimport_plugin p = plugin_of("kitchen", "kayton_rplugin__kitchen");
  const char *(*manifest)(void);
  int32_t (*reg)(KaytonContext *);
  KaytonApi api;
  KaytonContext ctx;
  built b;
  rimport__dl *h;
  cJSON *j, *it;
  int n = 0;
  (void)state;
  if (!rimport_test_have_program("cargo"))
    skip();
  p.source = RIMPORT_FROM_PATH;
  p.path = RIMPORT_SOURCE_DIR "/tests/fixtures/crates/kitchen";
  p.items = items;
  p.item_count = RIMPORT__ARRAY_SIZE(items);
  gen_and_build("build-kitchen", &p, &b);
  h = load_plugin(&b, "kayton_rplugin__kitchen");
  SYM(manifest, h, "kayton_plugin_manifest");
  SYM(reg, h, "kayton_plugin_register_c");
  assert_non_null(manifest);
  assert_non_null(reg);
  assert_non_null(rimport__dl_sym(h, "kayton_plugin_register"));
  j = cJSON_Parse(manifest());
  assert_non_null(j);
  assert_string_equal(jstr(j, "key"), test_key);
  assert_string_equal(jstr(j, "crate"), "kitchen");
  assert_string_equal(jstr(j, "version"), "0.1.0");
  assert_string_equal(jstr(j, "template"), rimport__template_hash());
  assert_string_equal(jstr(cJSON_GetObjectItem(j, "rustc"), "fingerprint"),
                      b.tc->pub.fingerprint);
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items")) n++;
  assert_int_equal(n, (int)RIMPORT__ARRAY_SIZE(items));
  it = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 5);
  assert_string_equal(jstr(it, "export"), "inst::Stack__Vec_i64");
  cJSON_Delete(j);

  /* The C entry point: 0 for a good context; a code for a bad one. */
  memset(&api, 0, sizeof(api));
  api.size = sizeof(api);
  api.abi_version = KAYTON_API_ABI_VERSION;
  api.set_error = host_set_error;
  ctx.size = sizeof(ctx);
  ctx.abi_version = KAYTON_API_ABI_VERSION;
  ctx.host_data = NULL;
  ctx.api = &api;
  host_errors = 0;
  assert_int_equal(reg(&ctx), KAYTON_OK);
  assert_int_equal(reg(NULL), KAYTON_EINVAL);
  ctx.abi_version = 99;
  assert_int_equal(reg(&ctx), KAYTON_EINVAL);
  ctx.abi_version = KAYTON_API_ABI_VERSION;
  ctx.size = 4;
  assert_int_equal(reg(&ctx), KAYTON_EINVAL);
  ctx.size = sizeof(ctx);
  ctx.api = NULL;
  assert_int_equal(reg(&ctx), KAYTON_EINVAL);
  /* Each failure is in the context or its table: nothing could be reported
   * through it. */
  assert_int_equal(host_errors, 0);
  built_free(&b);
}

/* A whole-crate import plus items (no E0252 between the glob and the
 * items), and a cell compiled against it the way the cell stage will
 * (rustc --extern), loaded after the plugin and run. */
static void whole_crate_and_items_build_and_a_cell_runs(void **state) {
  static const rimport_shape i64[] = {RIMPORT_SHAPE_I64};
  static const rimport_shape veci[] = {RIMPORT_SHAPE_VEC_I64};
  rimport_plugin_item items[] = {
      {NULL, "Point", NULL, 0},
      {NULL, "Stack", veci, 1},
      {NULL, "add", NULL, 0},
      {NULL, "largest", i64, 1},
      {"shapes", "circle_area", NULL, 0},
  };
  static const char cell_src[] =
      "use kayton_rplugin__kitchen::exports as kitchen;\n"
      "use kayton_rplugin__kitchen::items::Point;\n"
      "use kayton_rplugin__kitchen::items::shapes::circle_area;\n"
      "use kayton_rplugin__kitchen::inst::{Stack__Vec_i64, largest__i64};\n"
      "#[no_mangle]\n"
      "pub extern \"C\" fn cell_run() -> i64 {\n"
      "    let p = Point::new(3.0, 4.0);\n"
      "    let mut s = Stack__Vec_i64::new();\n"
      "    s.push(vec![1, 2]);\n"
      "    let c: kitchen::Color = kitchen::Color::Green;\n"
      "    p.norm() as i64 + largest__i64(&[1, 5, 3]) + kitchen::add(1, 2)\n"
      "        + circle_area(1.0) as i64 + s.len() as i64\n"
      "        + (c == kitchen::Color::Green) as i64\n"
      "}\n";
  rimport_plugin p = plugin_of("kitchen", "kayton_rplugin__kitchen");
  rimport_test_output res = RIMPORT_TEST_OUTPUT_INIT;
  rimport_buf so = RIMPORT_BUF_INIT;
  char cell[4500], out_dir[4300], ext[4400], deps[4400];
  const char *args[] = {NULL,
                        "--edition",
                        "2021",
                        "--crate-type",
                        "dylib",
                        "-C",
                        "prefer-dynamic",
                        "-O",
                        "--extern",
                        ext,
                        "-L",
                        deps,
                        "--out-dir",
                        out_dir,
                        cell,
                        "--target",
                        NULL,
                        NULL};
  int64_t (*run)(void);
  built b;
  rimport__dl *h;
  (void)state;
  if (!rimport_test_have_program("cargo"))
    skip();
  p.source = RIMPORT_FROM_PATH;
  p.path = RIMPORT_SOURCE_DIR "/tests/fixtures/crates/kitchen";
  p.whole_crate = 1;
  p.items = items;
  p.item_count = RIMPORT__ARRAY_SIZE(items);
  gen_and_build("build-whole", &p, &b);
  h = load_plugin(&b, "kayton_rplugin__kitchen");
  assert_non_null(rimport__dl_sym(h, "kayton_plugin_manifest"));

  snprintf(out_dir, sizeof(out_dir), "%s/cell", b.target);
  snprintf(cell, sizeof(cell), "%s/cell.rs", out_dir);
  assert_int_equal(rimport__fs_mkdir_p(out_dir), 0);
  rimport_test_write_file(cell, cell_src);
  release_dylib(&so, &b, "kayton_rplugin__kitchen");
  snprintf(ext, sizeof(ext), "kayton_rplugin__kitchen=%s", so.ptr);
  release_dylib(&so, &b, "x");
  snprintf(deps, sizeof(deps), "dependency=%.*s/deps",
           (int)(rimport__path_base(so.ptr) - so.ptr - 1), so.ptr);
  release_dylib(&so, &b, "kayton_rplugin__kitchen");
  args[0] = b.tc->pub.rustc; /* the program run */
  if (strcmp(b.tc->pub.target, b.tc->pub.host) != 0)
    args[16] = b.tc->pub.target; /* after "--target" */
  else
    args[15] = NULL;
  rimport_test_exec(&res, args, NULL, NULL, 120000);
  if (res.status != 0)
    fail_msg("the cell did not compile:\n%s", res.err.ptr);
  rimport_test_output_free(&res);
  rimport_test_dylib_path(&so, out_dir, "cell");
  h = load_or_fail(&b, so.ptr);
  SYM(run, h, "cell_run");
  assert_non_null(run);
  rimport_buf_dispose(&so);
  /* 5 + 5 + 3 + 3 + 1 + 1 */
  assert_int_equal(run(), 18);
  built_free(&b);
}

/* Stacking (DESIGN.md invariant 1, fact 4): plugin B for a crate that uses
 * kitchen lists plugin A (kitchen) as its parent; B takes kitchen from A's
 * dylib, so B needs A loaded first and a cell can use both. */
static void plugin_with_parent_links_to_it(void **state) {
  rimport_plugin_item a_items[] = {{NULL, "greet", NULL, 0}};
  rimport_plugin_item b_items[] = {{NULL, "hello", NULL, 0}};
  rimport_plugin a = plugin_of("kitchen", "kayton_rplugin__kitchen");
  rimport_plugin bp = plugin_of("kuser", "kayton_rplugin__kuser");
  rimport__gen_parent parent;
  rimport__gen_input in;
  char base[4200], user[4300], file[4400], a_dir[4300], b_dir[4300], text[4800];
  rimport_buf kuser = RIMPORT_BUF_INIT, kitchen = RIMPORT_BUF_INIT;
  rimport__dl *early = NULL;
  const char *(*manifest)(void);
  cJSON *j;
  built b;
  rimport__dl *h;
  (void)state;
  if (!rimport_test_have_program("cargo"))
    skip();
  a.source = RIMPORT_FROM_PATH;
  a.path = RIMPORT_SOURCE_DIR "/tests/fixtures/crates/kitchen";
  a.items = a_items;
  a.item_count = 1;
  gen_and_build("build-stack", &a, &b);
  snprintf(base, sizeof(base), "%s", b.target);
  base[strlen(base) - strlen("/target")] = '\0';
  snprintf(a_dir, sizeof(a_dir), "%s/crate", base);
  /* A local crate that depends on kitchen. */
  snprintf(user, sizeof(user), "%s/kuser", base);
  snprintf(file, sizeof(file), "%s/src", user);
  assert_int_equal(rimport__fs_mkdir_p(file), 0);
  snprintf(file, sizeof(file), "%s/Cargo.toml", user);
  /* kitchen by a relative path, as rimport writes paths (any cargo reads
   * it: under wine a Linux one) */
  assert_int_equal(
      rimport__path_relative(user, RIMPORT_TEST_FIXTURES "/kitchen", &kitchen),
      0);
  snprintf(text, sizeof(text),
           "[package]\nname = \"kuser\"\nversion = \"0.2.0\"\n"
           "edition = \"2021\"\n\n[dependencies]\nkitchen = { path = \"%s\" "
           "}\n",
           kitchen.ptr);
  rimport_test_write_file(file, text);
  snprintf(file, sizeof(file), "%s/src/lib.rs", user);
  rimport_test_write_file(file, "pub fn hello() -> String {\n"
                                "    kitchen::greet(\"stack\")\n}\n");
  bp.source = RIMPORT_FROM_PATH;
  bp.path = user;
  bp.items = b_items;
  bp.item_count = 1;
  parent.plugin = "kayton_rplugin__kitchen";
  parent.crate_dir = a_dir;
  in = input_of(&bp);
  snprintf(file, sizeof(file), "%s/kayton_api", base);
  in.kayton_api_dir = file;
  in.toolchain = &b.tc->pub;
  in.parents = &parent;
  in.parent_count = 1;
  snprintf(b_dir, sizeof(b_dir), "%s/crate_b", base);
  assert_int_equal(rimport__gen_plugin(&in, b_dir), 0);
  cargo_build(b_dir, &b);
  /* B needs A (a NEEDED entry): loading it before A fails, after A works. */
  load_std(&b);
  release_dylib(&kuser, &b, "kayton_api");
  load_or_fail(&b, kuser.ptr);
  release_dylib(&kuser, &b, "kayton_rplugin__kuser");
  /* The loader's message holds the OS's, which names what is missing.
   * (Windows finds kitchen's plugin itself: cargo put it beside kuser's;
   * in the cache each plugin has a directory of its own.) */
  rimport_test_dylib_path(&kitchen, NULL, "kayton_rplugin__kitchen");
  if (!rimport_test_dl_finds_imports_beside_it()) {
    rimport_test_assert_error(rimport__dl_open(kuser.ptr, &early),
                              RIMPORT_ELOAD, kitchen.ptr);
    assert_null(early);
  }
  h = load_plugin(&b, "kayton_rplugin__kitchen");
  assert_non_null(h);
  h = load_or_fail(&b, kuser.ptr);
  SYM(manifest, h, "kayton_plugin_manifest");
  assert_non_null(manifest);
  rimport_buf_dispose(&kuser);
  rimport_buf_dispose(&kitchen);
  j = cJSON_Parse(manifest());
  assert_non_null(j);
  assert_string_equal(jstr(j, "crate"), "kuser");
  assert_string_equal(
      cJSON_GetArrayItem(cJSON_GetObjectItem(j, "parents"), 0)->valuestring,
      "kayton_rplugin__kitchen");
  cJSON_Delete(j);
  built_free(&b);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(render_placeholders),
    cmocka_unit_test(render_nested_sections),
    cmocka_unit_test(render_empty_list_sections),
    cmocka_unit_test(render_standalone_section_lines),
    cmocka_unit_test(render_unknown_names),
    cmocka_unit_test(render_unbalanced_sections),
    cmocka_unit_test(render_deep_nesting_is_refused),
    cmocka_unit_test(render_escaping_modes),
    cmocka_unit_test(render_rejects_invalid_utf8),
    cmocka_unit_test(golden_whole_crate),
    cmocka_unit_test(golden_items),
    cmocka_unit_test(golden_glob),
    cmocka_unit_test(golden_generics),
    cmocka_unit_test(golden_path_source),
    cmocka_unit_test(golden_registry_features),
    cmocka_unit_test(golden_package_rename),
    cmocka_unit_test(golden_parent),
    cmocka_unit_test(golden_whole_crate_and_items),
    cmocka_unit_test(manifest_is_valid_json),
    cmocka_unit_test(escaping_in_paths_and_features),
    cmocka_unit_test(gen_refuses_bad_names),
    cmocka_unit_test(gen_writes_only_changed_files),
    cmocka_unit_test(kayton_api_crate_is_written),
    cmocka_unit_test(template_hash_is_stable),
    cmocka_unit_test(key_holds_template_hash),
    cmocka_unit_test(kitchen_plugin_builds_and_loads),
    cmocka_unit_test(whole_crate_and_items_build_and_a_cell_runs),
    cmocka_unit_test(plugin_with_parent_links_to_it),
};

RIMPORT_TEST_MAIN(tests, NULL)
