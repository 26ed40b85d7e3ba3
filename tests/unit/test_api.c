/* The api stage (src/api): rustdoc JSON → the API index (every item kind,
 * shapes, receivers, traits, re-exports to public paths) with the
 * toolchain's rustdoc and, when installed, Debian's 1.63 (format 15); the
 * documents it refuses (other formats, garbage, truncations) without a
 * crash; and the public lookups over a session's plugins: by path, by
 * member, by a bound name, near names, a crate without a plugin, a plugin
 * without an index, and the JSON of an item. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "api/api.h"
#include "common/common.h"
#include "common/fs.h"
#include "kayton_api.h"
#include "load/load.h"
#include "platform.h"
#include "vm/vm.h"
#include "session.h"
#include "stack/stack.h"

#define FIXTURE RIMPORT_TEST_FIXTURES "/apidoc/src/lib.rs"

/* rustdoc's JSON of the apidoc fixture by `rustdoc` (a name on PATH or a
 * path), in *json; 0 when that rustdoc is not there. */
static int rustdoc_json(const char *rustdoc, const char *tag,
                        rimport_buf *json) {
  rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
  rimport_buf out = RIMPORT_BUF_INIT, file = RIMPORT_BUF_INIT;
  const char *env[] = {"RUSTC_BOOTSTRAP=1", NULL};
  const char *dir;
  if (strchr(rustdoc, '/') ? !rimport__fs_is_file(rustdoc)
                           : !rimport_test_have_program(rustdoc))
    return 0;
  dir = rimport_test_tmpdir(tag);
  rimport__buf_printf(&out, "%s/out", dir);
  {
    const char *argv[] = {rustdoc,           "--edition", "2018",
                          "--crate-type",    "lib",       "--crate-name",
                          "apidoc",          "-Z",        "unstable-options",
                          "--output-format", "json",      "-o",
                          out.ptr,           FIXTURE,     NULL};
    rimport_test_exec(&r, argv, NULL, env, 120000);
  }
  if (r.status != 0 || r.term_signal != 0)
    fail_msg("%s failed: %s", rustdoc, r.err.ptr);
  rimport__buf_printf(&file, "%s/apidoc.json", out.ptr);
  assert_int_equal(rimport__fs_read_file(file.ptr, 64u << 20, json), 0);
  rimport_test_output_free(&r);
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&file);
  return 1;
}

static cJSON *convert(const rimport_buf *json) {
  rimport__rustdoc_doc d = {json->ptr, json->size, "rustdoc JSON of apidoc"};
  rimport_buf out = RIMPORT_BUF_INIT;
  cJSON *index;
  if (rimport__api_from_rustdoc(&d, 1, "apidoc", "0.3.1", &out) != 0)
    fail_msg("converting: %s", rimport_error_last()->message);
  index = cJSON_Parse(out.ptr);
  assert_non_null(index);
  rimport_buf_dispose(&out);
  return index;
}

static const cJSON *item(const cJSON *index, const char *path) {
  const cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(index, "items")) {
    const cJSON *p = cJSON_GetObjectItem(it, "path");
    if (cJSON_IsString(p) && strcmp(p->valuestring, path) == 0)
      return it;
  }
  fail_msg("the index has no item %s", path);
  return NULL;
}

static const char *str(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItem(o, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *param(const cJSON *fn, int i) {
  return cJSON_GetArrayItem(cJSON_GetObjectItem(fn, "params"), i);
}

static const cJSON *member(const cJSON *ty, const char *name) {
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItem(ty, "members")) {
    if (strcmp(str(m, "name"), name) == 0)
      return m;
  }
  fail_msg("%s has no member %s", str(ty, "path"), name);
  return NULL;
}

static int has_string(const cJSON *arr, const char *s) {
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
      return 1;
  }
  return 0;
}

/* What both formats must give for the fixture. */
static void check_fixture_index(const cJSON *index, int format) {
  const cJSON *it, *m, *p;
  assert_int_equal(cJSON_GetObjectItem(index, "rustdoc_format")->valueint,
                   format);
  assert_string_equal(str(index, "crate"), "apidoc");
  /* the crate root: a module with its items, docs' first paragraph */
  it = item(index, "apidoc");
  assert_string_equal(str(it, "kind"), "module");
  assert_non_null(strstr(str(it, "docs"), "one item of each kind"));
  assert_null(strstr(str(it, "docs"), "Second paragraph"));
  assert_true(has_string(cJSON_GetObjectItem(it, "items"), "Counter"));
  /* a struct from a private module, listed at its public path */
  it = item(index, "apidoc::Counter");
  assert_string_equal(str(it, "kind"), "struct");
  assert_string_equal(str(it, "docs"),
                      "A counter kept in a private module and re-exported "
                      "at the root.");
  assert_true(has_string(cJSON_GetObjectItem(it, "traits"), "Display"));
  assert_true(has_string(cJSON_GetObjectItem(it, "traits"), "Debug"));
  assert_true(has_string(cJSON_GetObjectItem(it, "traits"), "Clone"));
  assert_true(has_string(cJSON_GetObjectItem(it, "traits"), "Default"));
  assert_true(has_string(cJSON_GetObjectItem(it, "traits"), "Send"));
  assert_true(has_string(cJSON_GetObjectItem(it, "traits"), "Sync"));
  p = cJSON_GetArrayItem(cJSON_GetObjectItem(it, "fields"), 0);
  assert_string_equal(str(p, "name"), "count");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(it, "fields")), 1);
  /* members: constructor, receivers, an associated const */
  m = member(it, "new");
  assert_null(str(m, "receiver"));
  assert_string_equal(str(cJSON_GetObjectItem(m, "output"), "shape"), "opaque");
  assert_string_equal(str(cJSON_GetObjectItem(m, "output"), "opaque"),
                      "apidoc::Counter");
  assert_string_equal(str(member(it, "bump"), "receiver"), "&mut self");
  assert_string_equal(str(member(it, "get"), "receiver"), "&self");
  assert_string_equal(str(member(it, "into_inner"), "receiver"), "self");
  assert_string_equal(str(member(it, "get"), "sig"),
                      "pub fn get(&self) -> i64");
  m = member(it, "MAX");
  assert_string_equal(str(m, "kind"), "assoc_const");
  /* shapes */
  it = item(index, "apidoc::shapes::ints");
  assert_string_equal(str(param(it, 0), "shape"), "i64");
  assert_string_equal(str(param(it, 0), "min"), "0");
  assert_string_equal(str(param(it, 0), "max"), "255");
  assert_string_equal(str(param(it, 1), "min"), "-32768");
  assert_string_equal(str(param(it, 4), "max"), "18446744073709551615");
  assert_string_equal(str(param(it, 5), "shape"), "f64");
  assert_string_equal(str(param(it, 6), "shape"), "bool");
  assert_string_equal(str(cJSON_GetObjectItem(it, "output"), "shape"), "f64");
  it = item(index, "apidoc::shapes::greet");
  assert_string_equal(str(param(it, 0), "shape"), "str");
  assert_string_equal(str(param(it, 0), "type"), "&str");
  assert_string_equal(str(param(it, 1), "shape"), "str");
  assert_string_equal(str(cJSON_GetObjectItem(it, "output"), "shape"), "str");
  it = item(index, "apidoc::shapes::sum");
  assert_string_equal(str(param(it, 0), "shape"), "vec_i64");
  assert_string_equal(str(param(it, 0), "max"), "2147483647");
  assert_string_equal(str(param(it, 1), "shape"), "vec_f64");
  it = item(index, "apidoc::shapes::parse");
  p = cJSON_GetObjectItem(it, "output");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(p, "fallible")));
  assert_string_equal(str(p, "shape"), "i64");
  assert_string_equal(str(p, "error"), "ParseIntError");
  it = item(index, "apidoc::shapes::maybe");
  p = cJSON_GetObjectItem(it, "output");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(p, "optional")));
  assert_string_equal(str(p, "opaque"), "apidoc::Counter");
  it = item(index, "apidoc::shapes::nothing");
  assert_string_equal(str(cJSON_GetObjectItem(it, "output"), "shape"), "unit");
  it = item(index, "apidoc::shapes::odd");
  assert_string_equal(str(param(it, 0), "why"), "a tuple");
  assert_string_equal(str(param(it, 1), "why"), "a slice or array");
  assert_string_equal(str(param(it, 2), "why"), "a char");
  assert_string_equal(str(param(it, 3), "why"), "a generic parameter");
  assert_string_equal(str(param(it, 4), "why"), "impl Trait");
  assert_string_equal(str(it, "generics"), "<T: Clone>");
  it = item(index, "apidoc::shapes::peek");
  assert_string_equal(str(param(it, 0), "ref"), "&");
  assert_string_equal(str(param(it, 1), "ref"), "&mut");
  assert_string_equal(str(param(it, 1), "opaque"), "apidoc::Counter");
  /* a type alias is followed: Res<i64> is a fallible i64 */
  it = item(index, "apidoc::checked");
  p = cJSON_GetObjectItem(it, "output");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(p, "fallible")));
  assert_string_equal(str(p, "shape"), "i64");
  assert_string_equal(str(item(index, "apidoc::Res"), "kind"), "type_alias");
  /* enums, generic types, traits, consts, statics, macros, unions */
  it = item(index, "apidoc::Fruit");
  assert_string_equal(str(it, "kind"), "enum");
  assert_true(has_string(cJSON_GetObjectItem(it, "variants"), "Pear(u32)"));
  assert_true(has_string(cJSON_GetObjectItem(it, "variants"), "Plum { .. }"));
  assert_false(has_string(cJSON_GetObjectItem(it, "traits"), "Display"));
  it = item(index, "apidoc::Stack");
  assert_string_equal(str(it, "generics"), "<T>");
  assert_string_equal(
      str(cJSON_GetObjectItem(member(it, "new"), "output"), "shape"), "none");
  it = item(index, "apidoc::largest");
  assert_string_equal(str(it, "sig"),
                      "pub fn largest<T: PartialOrd + Copy>(a: T, b: T) -> T");
  it = item(index, "apidoc::Speak");
  assert_string_equal(str(it, "kind"), "trait");
  assert_string_equal(str(member(it, "twice"), "receiver"), "&self");
  it = item(index, "apidoc::ANSWER");
  assert_string_equal(str(it, "kind"), "constant");
  assert_string_equal(str(cJSON_GetObjectItem(it, "type"), "max"),
                      "4294967295");
  assert_string_equal(str(item(index, "apidoc::GREETING"), "kind"), "static");
  it = item(index, "apidoc::fruit");
  assert_string_equal(str(it, "kind"), "macro");
  assert_string_equal(str(it, "macro"), "macro_rules");
  assert_string_equal(str(item(index, "apidoc::Bits"), "kind"), "union");
  /* re-exports: the other public paths lead to the canonical ones */
  p = cJSON_GetObjectItem(index, "aliases");
  assert_string_equal(str(p, "apidoc::prelude::greet"),
                      "apidoc::shapes::greet");
  assert_string_equal(str(p, "apidoc::prelude::Kind"), "apidoc::Fruit");
  /* a private module's path is nowhere */
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(index, "items")) {
    assert_null(strstr(str(it, "path"), "inner"));
  }
}

static void index_of_current_rustdoc(void **state) {
  rimport_buf json = RIMPORT_BUF_INIT;
  cJSON *index;
  (void)state;
  if (!rustdoc_json("rustdoc", "api-current", &json))
    skip();
  index = convert(&json);
  check_fixture_index(
      index, (int)cJSON_GetObjectItem(index, "rustdoc_format")->valuedouble);
  assert_true(cJSON_GetObjectItem(index, "rustdoc_format")->valueint >= 15);
  cJSON_Delete(index);
  rimport_buf_dispose(&json);
}

static void index_of_debian_rustdoc_163(void **state) {
  rimport_buf json = RIMPORT_BUF_INIT;
  cJSON *index;
  (void)state;
  if (!rustdoc_json("/usr/bin/rustdoc", "api-163", &json))
    skip();
  index = convert(&json);
  check_fixture_index(index, 15);
  cJSON_Delete(index);
  rimport_buf_dispose(&json);
}

static void refuses_other_formats_and_garbage(void **state) {
  static const char *const corrupt[] = {
      "",
      "not json",
      "[1,2,3]",
      "{\"format_version\": 57}",
      "{\"format_version\": \"57\", \"index\": {}, \"paths\": {}}",
      "{\"format_version\": 57, \"index\": [], \"paths\": {}}",
      "{\"format_version\": 57, \"index\": {}, \"paths\": {}, \"root\": 1}",
  };
  rimport_buf out = RIMPORT_BUF_INIT;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
    rimport__rustdoc_doc d = {corrupt[i], strlen(corrupt[i]), "doc"};
    assert_int_equal(rimport__api_from_rustdoc(&d, 1, "x", "1", &out),
                     RIMPORT_ECORRUPT);
    assert_non_null(strstr(rimport_error_last()->message, "reading the doc"));
  }
  {
    const char *future =
        "{\"format_version\": 99, \"index\": {}, \"paths\": {}, \"root\": 0}";
    rimport__rustdoc_doc d = {future, strlen(future), "rustdoc JSON of x"};
    rimport_test_assert_error(rimport__api_from_rustdoc(&d, 1, "x", "1", &out),
                              RIMPORT_EUNSUPPORTED,
                              "its format_version is 99, and this rimport "
                              "reads 15 to 57");
  }
  assert_int_equal(rimport__api_from_rustdoc(NULL, 0, "x", "1", &out),
                   RIMPORT_EINVAL);
  rimport_buf_dispose(&out);
}

/* Documents whose parts are of the wrong types, point nowhere, or go round
 * in circles give an index (maybe a poor one), never a crash. */
static void odd_documents_give_an_index(void **state) {
  static const char *const odd[] = {
      /* a module that re-exports itself by a glob, and one by name */
      "{\"format_version\":57,\"root\":0,\"paths\":{},\"index\":{"
      "\"0\":{\"id\":0,\"name\":\"x\",\"inner\":{\"module\":{\"items\":[1,2]}}}"
      ","
      "\"1\":{\"id\":1,\"name\":null,\"inner\":{\"use\":{\"name\":\"x\","
      "\"id\":0,\"is_glob\":true}}},"
      "\"2\":{\"id\":2,\"name\":null,\"inner\":{\"use\":{\"name\":\"again\","
      "\"id\":0,\"is_glob\":false}}}}}",
      /* items of the wrong types, ids that point nowhere */
      "{\"format_version\":57,\"root\":0,\"paths\":{\"5\":7},\"index\":{"
      "\"0\":{\"id\":0,\"name\":\"x\",\"inner\":{\"module\":{\"items\":[1,2,3,"
      "\"q\",null,{}]}}},"
      "\"1\":{\"id\":1,\"name\":\"f\",\"inner\":{\"function\":{\"sig\":{"
      "\"inputs\":[[\"a\",{\"resolved_path\":{\"path\":7,\"id\":99}}],[],"
      "null,[1,2]],\"output\":{\"tuple\":7}}}}},"
      "\"2\":{\"id\":2,\"name\":\"S\",\"inner\":{\"struct\":{\"kind\":7,"
      "\"impls\":[0,1,2,44],\"generics\":{\"params\":[{\"name\":1}]}}}},"
      "\"3\":{\"id\":3,\"name\":\"E\",\"inner\":{\"enum\":{\"variants\":[0,1,"
      "2,3]}}}}}",
      /* deep nesting of references */
      "{\"format_version\":57,\"root\":0,\"paths\":{},\"index\":{"
      "\"0\":{\"id\":0,\"name\":\"x\",\"inner\":{\"module\":{\"items\":[1]}}},"
      "\"1\":{\"id\":1,\"name\":\"f\",\"inner\":{\"function\":{\"sig\":{"
      "\"inputs\":[[\"a\",{\"borrowed_ref\":{\"type\":{\"borrowed_ref\":{"
      "\"type\":{\"slice\":{\"slice\":{\"slice\":{\"primitive\":\"u8\"}}}}}}}}"
      "]],\"output\":null}}}}}}",
  };
  rimport_buf out = RIMPORT_BUF_INIT;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
    rimport__rustdoc_doc d = {odd[i], strlen(odd[i]), "odd"};
    int rc = rimport__api_from_rustdoc(&d, 1, "x", "1", &out);
    if (rc != 0)
      fail_msg("document %zu: %s", i, rimport_error_last()->message);
    assert_non_null(strstr(out.ptr, "\"format\":1"));
  }
  rimport_buf_dispose(&out);
}

/* Every prefix of a real document: refused or read, never a crash. */
static void truncated_documents(void **state) {
  rimport_buf json = RIMPORT_BUF_INIT, out = RIMPORT_BUF_INIT;
  size_t n, step;
  (void)state;
  if (!rustdoc_json("rustdoc", "api-trunc", &json))
    skip();
  step = json.size / 40 + 1;
  for (n = 0; n < json.size; n += step) {
    rimport__rustdoc_doc d = {json.ptr, n, "cut"};
    assert_int_equal(rimport__api_from_rustdoc(&d, 1, "apidoc", "1", &out),
                     RIMPORT_ECORRUPT);
  }
  rimport_buf_dispose(&json);
  rimport_buf_dispose(&out);
}

/* --- lookups ------------------------------------------------------------ */

/* A session whose stack has the apidoc plugin (an entry directory holding
 * the index made from `json`; NULL: an entry without one). */
static rimport_session *session_with(const char *tag, const rimport_buf *json) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s = NULL;
  rimport__built b;
  rimport_buf entry = RIMPORT_BUF_INIT, file = RIMPORT_BUF_INIT,
              index = RIMPORT_BUF_INIT, cache = RIMPORT_BUF_INIT;
  const char *dir = rimport_test_tmpdir(tag);
  rimport__buf_printf(&cache, "%s/cache", dir);
  o.cache_dir = cache.ptr;
  if (rimport_session_open(&s, &o) != 0)
    fail_msg("session: %s", rimport_error_last()->message);
  rimport__buf_printf(&entry, "%s/entry", dir);
  assert_int_equal(rimport__fs_mkdir_p(entry.ptr), 0);
  if (json != NULL) {
    rimport__rustdoc_doc d = {json->ptr, json->size, "rustdoc JSON of apidoc"};
    assert_int_equal(
        rimport__api_from_rustdoc(&d, 1, "apidoc", "0.3.1", &index), 0);
    rimport__buf_printf(&file, "%s/%s", entry.ptr, RIMPORT__API_INDEX_FILE);
    rimport_test_write_file(file.ptr, index.ptr);
  }
  memset(&b, 0, sizeof(b));
  b.crate = "apidoc";
  b.plugin = "kayton_rplugin__apidoc";
  b.base_key = b.key = json ? "0123456789abcdef0123456789abcdef"
                            : "fedcba9876543210fedcba9876543210";
  b.key_input = "";
  b.work_dir = entry.ptr;
  b.entry_dir = entry.ptr;
  b.dylib = entry.ptr;
  b.deps_dir = entry.ptr;
  b.version = "0.3.1";
  assert_int_equal(rimport__stack_push(rimport__session_stack(s), &b), 0);
  rimport_buf_dispose(&entry);
  rimport_buf_dispose(&file);
  rimport_buf_dispose(&index);
  rimport_buf_dispose(&cache);
  return s;
}

static void lookups_by_path_member_and_name(void **state) {
  rimport_buf json = RIMPORT_BUF_INIT, out = RIMPORT_BUF_INIT;
  const rimport_api_item *it = NULL;
  rimport_session *s;
  (void)state;
  if (!rustdoc_json("rustdoc", "api-lookup-doc", &json))
    skip();
  s = session_with("api-lookup", &json);
  assert_int_equal(rimport_api_lookup(s, "apidoc::Counter", &it), 0);
  assert_int_equal(it->kind, RIMPORT_API_STRUCT);
  assert_string_equal(it->kind_name, "struct");
  assert_string_equal(it->crate, "apidoc");
  assert_int_equal(it->traits, RIMPORT_TRAIT_DISPLAY | RIMPORT_TRAIT_DEBUG |
                                   RIMPORT_TRAIT_CLONE | RIMPORT_TRAIT_DEFAULT |
                                   RIMPORT_TRAIT_SEND | RIMPORT_TRAIT_SYNC);
  assert_int_equal(it->field_count, 1);
  assert_string_equal(it->fields[0].name, "count");
  assert_true(it->member_count >= 5);
  /* a member, and a leading :: */
  assert_int_equal(rimport_api_lookup(s, "::apidoc::Counter::bump", &it), 0);
  assert_int_equal(it->kind, RIMPORT_API_FUNCTION);
  assert_string_equal(it->receiver, "&mut self");
  assert_int_equal(it->param_count, 0);
  assert_int_equal(it->output->kind, RIMPORT_VM_I64);
  /* a function's parameters */
  assert_int_equal(rimport_api_lookup(s, "apidoc::shapes::peek", &it), 0);
  assert_int_equal(it->param_count, 2);
  assert_string_equal(it->params[1].name, "m");
  assert_int_equal(it->params[1].shape.kind, RIMPORT_VM_OPAQUE);
  assert_int_equal(it->params[1].shape.by_ref, 2);
  assert_string_equal(it->params[1].shape.opaque, "apidoc::Counter");
  assert_null(it->receiver);
  /* a re-export leads to the canonical item; so does its member */
  assert_int_equal(rimport_api_lookup(s, "apidoc::prelude::greet", &it), 0);
  assert_string_equal(it->path, "apidoc::shapes::greet");
  assert_int_equal(it->params[0].shape.kind, RIMPORT_VM_STR);
  assert_int_equal(rimport_api_lookup(s, "apidoc::prelude::Kind", &it), 0);
  assert_string_equal(it->path, "apidoc::Fruit");
  assert_int_equal(it->variant_count, 3);
  /* the crate: its root module */
  assert_int_equal(rimport_api_lookup(s, "apidoc", &it), 0);
  assert_int_equal(it->kind, RIMPORT_API_MODULE);
  assert_true(it->item_count >= 10);
  /* fallible, optional, the alias followed */
  assert_int_equal(rimport_api_lookup(s, "apidoc::checked", &it), 0);
  assert_true(it->output->fallible);
  assert_string_equal(it->output->error, "String");
  assert_int_equal(rimport_api_lookup(s, "apidoc::shapes::maybe", &it), 0);
  assert_true(it->output->optional);
  assert_string_equal(rimport_vm_shape_name(it->output->kind), "opaque");
  /* by a bound name, and a path after it */
  assert_int_equal(
      rimport__api_bind(rimport__session_api(s), "C", "apidoc::Counter"), 0);
  assert_int_equal(rimport_api_lookup_name(s, "C::get", &it), 0);
  assert_string_equal(it->path, "apidoc::Counter::get");
  assert_int_equal(
      rimport__api_bind(rimport__session_api(s), "C", "apidoc::shapes::greet"),
      0); /* bound again: the latest counts */
  assert_int_equal(rimport_api_lookup_name(s, "C", &it), 0);
  assert_string_equal(it->path, "apidoc::shapes::greet");
  rimport_test_assert_error(rimport_api_lookup_name(s, "Nope", &it),
                            RIMPORT_ENOTFOUND,
                            "no rimport statement built so far binds it");
  assert_null(it);
  /* JSON */
  assert_int_equal(rimport_api_lookup(s, "apidoc::Counter", &it), 0);
  assert_int_equal(rimport_api_item_json(it, &out), 0);
  assert_non_null(strstr(out.ptr, "\"path\":\"apidoc::Counter\""));
  assert_non_null(strstr(out.ptr, "\"receiver\":\"&mut self\""));
  assert_non_null(strstr(out.ptr, "\"traits\":[\"Display\""));
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&json);
  rimport_session_close(s);
}

static void lookups_that_fail_say_why(void **state) {
  rimport_buf json = RIMPORT_BUF_INIT;
  const rimport_api_item *it = (const rimport_api_item *)1;
  rimport_session *s, *bare;
  (void)state;
  if (!rustdoc_json("rustdoc", "api-fail-doc", &json))
    skip();
  s = session_with("api-fail", &json);
  /* near names: a typo, and the same name in another module */
  rimport_test_assert_error(rimport_api_lookup(s, "apidoc::Countr", &it),
                            RIMPORT_ENOTFOUND, "apidoc::Counter");
  assert_null(it);
  rimport_test_assert_error(rimport_api_lookup(s, "apidoc::greet", &it),
                            RIMPORT_ENOTFOUND, "apidoc::shapes::greet");
  rimport_test_assert_error(rimport_api_lookup(s, "apidoc::Counter::bmp", &it),
                            RIMPORT_ENOTFOUND, "apidoc::Counter::bump");
  /* private paths are not the API */
  rimport_test_assert_error(
      rimport_api_lookup(s, "apidoc::inner::Counter", &it), RIMPORT_ENOTFOUND,
      "no such public item");
  rimport_test_assert_error(rimport_api_lookup(s, "reqwest::Client", &it),
                            RIMPORT_ENOTFOUND,
                            "no plugin of this session imports the crate "
                            "`reqwest`");
  rimport_test_assert_error(rimport_api_lookup(s, "::", &it), RIMPORT_EINVAL,
                            "a path such as");
  rimport_test_assert_error(rimport_api_lookup(NULL, "x", &it), RIMPORT_EINVAL,
                            "rimport_api_lookup");
  rimport_session_close(s);
  /* a plugin whose entry has no index */
  bare = session_with("api-noindex", NULL);
  rimport_test_assert_error(rimport_api_lookup(bare, "apidoc::Counter", &it),
                            RIMPORT_ENOTFOUND, "has no API index");
  rimport_session_close(bare);
  rimport_buf_dispose(&json);
}

static void corrupt_index_is_an_error(void **state) {
  rimport_session *s = session_with("api-corrupt", NULL);
  const rimport__built *b = rimport__stack_at(rimport__session_stack(s), 0);
  const rimport_api_item *it;
  rimport_buf file = RIMPORT_BUF_INIT;
  (void)state;
  rimport__buf_printf(&file, "%s/%s", b->entry_dir, RIMPORT__API_INDEX_FILE);
  rimport_test_write_file(file.ptr, "{\"format\": 1, \"items\": [");
  rimport_test_assert_error(rimport_api_lookup(s, "apidoc::Counter", &it),
                            RIMPORT_ECORRUPT, "it is not JSON");
  /* read once: then it is a plugin without an index */
  rimport_test_assert_error(rimport_api_lookup(s, "apidoc::Counter", &it),
                            RIMPORT_ENOTFOUND, "has no API index");
  rimport_buf_dispose(&file);
  rimport_session_close(s);
}

/* --- the index of a real build ------------------------------------------ */

typedef struct warnings {
  unsigned int count;
  char last[8192];
} warnings;

static void on_progress(const rimport_progress *p, void *payload) {
  warnings *w = payload;
  if (p->phase != RIMPORT_PROGRESS_WARNING)
    return;
  assert_non_null(p->message);
  assert_int_equal(strncmp(p->message, "warning: ", 9), 0);
  w->count++;
  snprintf(w->last, sizeof(w->last), "%s", p->message);
}

/* A session on <dir>/cache (dir: a rimport_test_tmpdir). */
static rimport_session *build_session(const char *dir, warnings *w) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  char cache[4200];
  snprintf(cache, sizeof(cache), "%s/cache", dir);
  o.progress = on_progress;
  o.progress_payload = w;
  return rimport_test_session_open(cache, &o);
}

static const char apidoc_cell[] =
    "rimport apidoc(path=\"apidoc\")\n"
    "from apidoc rimport Counter\n"
    "from apidoc.prelude rimport greet as hello\n";

/* Whether the entry's manifest lists api.json as its "api" artifact. */
static int manifest_lists_index(const char *entry_dir) {
  rimport_buf path = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT;
  cJSON *m;
  const cJSON *a;
  int found = 0;
  rimport__buf_printf(&path, "%s/manifest.json", entry_dir);
  assert_int_equal(rimport__fs_read_file(path.ptr, 1u << 24, &text), 0);
  m = cJSON_Parse(text.ptr);
  assert_non_null(m);
  cJSON_ArrayForEach(a, cJSON_GetObjectItem(m, "artifacts")) {
    if (strcmp(str(a, "path"), "api.json") == 0 &&
        strcmp(str(a, "kind"), "api") == 0)
      found = 1;
  }
  cJSON_Delete(m);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&text);
  return found;
}

static void build_makes_an_index(void **state) {
  warnings w;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  const rimport_api_item *it;
  rimport_buf file = RIMPORT_BUF_INIT;
  const char *dir = rimport_test_tmpdir("api-build");
  int round;
  (void)state;
  memset(&w, 0, sizeof(w));
  for (round = 0; round < 2; round++) { /* built, then from the cache */
    s = build_session(dir, &w);
    plan = rimport_test_plan(s, apidoc_cell);
    r = rimport_test_build(s, plan);
    assert_int_equal(rimport_build_result_array(r)->from_cache, round == 1);
    assert_int_equal(w.count, 0);
    rimport__buf_clear(&file);
    rimport__buf_printf(&file, "%s/%s",
                        rimport_build_result_array(r)->entry_dir,
                        RIMPORT__API_INDEX_FILE);
    assert_true(rimport__fs_is_file(file.ptr));
    assert_true(manifest_lists_index(rimport_build_result_array(r)->entry_dir));
    assert_int_equal(rimport_api_lookup(s, "apidoc::Counter::bump", &it), 0);
    assert_string_equal(it->receiver, "&mut self");
    /* the names the cell binds */
    assert_int_equal(rimport_api_lookup_name(s, "Counter::get", &it), 0);
    assert_string_equal(it->path, "apidoc::Counter::get");
    assert_int_equal(rimport_api_lookup_name(s, "hello", &it), 0);
    assert_string_equal(it->path, "apidoc::shapes::greet");
    assert_int_equal(rimport_api_lookup_name(s, "apidoc", &it), 0);
    assert_int_equal(it->kind, RIMPORT_API_MODULE);
    rimport_build_result_free(r);
    rimport_cell_plan_free(plan);
    rimport_session_close(s);
  }
  rimport_buf_dispose(&file);
}

#ifndef _WIN32
#include <sys/stat.h>

/* A fake rustdoc (a shell script) as RIMPORT_RUSTDOC. */
static void fake_rustdoc(const char *tag, const char *body) {
  rimport_buf path = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT;
  char bin[200];
  snprintf(bin, sizeof(bin), "%s-bin", tag);
  rimport__buf_printf(&path, "%s/rustdoc", rimport_test_tmpdir(bin));
  rimport__buf_printf(&text, "#!/bin/sh\n%s", body);
  rimport_test_write_file(path.ptr, text.ptr);
  assert_int_equal(chmod(path.ptr, 0755), 0);
  rimport_test_setenv("RIMPORT_RUSTDOC", path.ptr);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&text);
}
#endif

/* An import whose rustdoc fails (or speaks a format this rimport does not
 * read) works as before: a warning says why, the entry has no index, the
 * cell runs. (One per process: a process loads one kayton_api, and each
 * case has a cache of its own.) */
static void index_failure_is_a_warning(const char *tag, const char *script,
                                       const char *said) {
#ifdef _WIN32
  (void)tag;
  (void)script;
  (void)said;
  skip(); /* the fake rustdoc is a shell script */
#else
  static const char code[] = "kprintln!(\"{}\", Counter::new(41).bump());";
  warnings w;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  const rimport_api_item *it;
  rimport_buf out = RIMPORT_BUF_INIT, file = RIMPORT_BUF_INIT;
  rimport_cell *cell = NULL;
  memset(&w, 0, sizeof(w));
  fake_rustdoc(tag, script);
  s = build_session(rimport_test_tmpdir(tag), &w);
  plan = rimport_test_plan(s, apidoc_cell);
  r = rimport_test_build(s, plan);
  rimport_test_setenv("RIMPORT_RUSTDOC", NULL);
  assert_int_equal(w.count, 1);
  if (strstr(w.last, "warning: no API index for apidoc") == NULL ||
      strstr(w.last, said) == NULL)
    fail_msg("the warning: %s", w.last);
  rimport__buf_printf(&file, "%s/%s", rimport_build_result_array(r)->entry_dir,
                      RIMPORT__API_INDEX_FILE);
  assert_false(rimport__fs_is_file(file.ptr));
  rimport_test_assert_error(rimport_api_lookup(s, "apidoc::Counter", &it),
                            RIMPORT_ENOTFOUND, "has no API index");
  if (rimport_load(s, r) != 0 || rimport_register(s) != 0 ||
      rimport_cell_compile(s, code, strlen(code), plan, NULL, &cell) != 0 ||
      rimport_cell_run(s, cell, &out) != 0)
    fail_msg("the cell: %s", rimport_error_last()->message);
  assert_string_equal(out.ptr, "42\n");
  rimport_cell_free(cell);
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&file);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
#endif
}

static void rustdoc_failure_is_a_warning(void **state) {
  (void)state;
  index_failure_is_a_warning("api-rustdoc-fails",
                             "echo 'rustdoc: simulated failure' >&2\nexit 3\n",
                             "simulated failure");
}

static void rustdoc_format_unknown_is_a_warning(void **state) {
  (void)state;
  index_failure_is_a_warning(
      "api-rustdoc-future",
      "while [ $# -gt 0 ]; do case \"$1\" in -o) o=\"$2\"; shift;; "
      "--crate-name) n=\"$2\"; shift;; esac; shift; done\n"
      "mkdir -p \"$o\" && echo '{\"format_version\": 99, \"index\": {}, "
      "\"paths\": {}, \"root\": 0}' > \"$o/$n.json\"\n",
      "its format_version is 99");
}

/* Thunks that do not compile (here: an index that says Counter::new takes
 * two integers, through a rustdoc whose JSON is doctored after the real
 * rustdoc wrote it) are a warning with rustc's words: the plugin is built
 * again without thunks, its index is kept (lookups work), cells run, and
 * a dynamic call says the plugin has no thunk. */
static void thunks_that_do_not_compile_are_a_warning(void **state) {
#ifdef _WIN32
  (void)state;
  skip(); /* the fake rustdoc is a shell script */
#else
  static const char code[] = "kprintln!(\"{}\", Counter::new(41).bump());";
  rimport_buf real = RIMPORT_BUF_INIT, script = RIMPORT_BUF_INIT;
  warnings w;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  const rimport_api_item *it;
  rimport_buf out = RIMPORT_BUF_INIT;
  rimport_cell *cell = NULL;
  rimport_value arg = RIMPORT_VALUE_INIT, res = RIMPORT_VALUE_INIT;
  (void)state;
  if (rimport__find_executable("rustdoc", &real) != 0) {
    rimport_buf_dispose(&real);
    skip();
  }
  rimport__buf_printf(
      &script,
      "\"%s\" \"$@\" || exit $?\n"
      "while [ $# -gt 0 ]; do case \"$1\" in -o) o=\"$2\"; shift;; "
      "--crate-name) n=\"$2\"; shift;; esac; shift; done\n"
      "[ \"$n\" = apidoc ] || exit 0\n"
      "sed -i 's/\"inputs\":\\[\\[\"start\",{\"primitive\":\"i64\"}\\]\\]/"
      "\"inputs\":[[\"start\",{\"primitive\":\"i64\"}],[\"extra\","
      "{\"primitive\":\"i64\"}]]/' \"$o/$n.json\"\n"
      "grep -q '\"extra\"' \"$o/$n.json\"\n",
      real.ptr);
  memset(&w, 0, sizeof(w));
  fake_rustdoc("api-thunks-fail", script.ptr);
  s = build_session(rimport_test_tmpdir("api-thunks-fail"), &w);
  plan = rimport_test_plan(s, apidoc_cell);
  r = rimport_test_build(s, plan);
  rimport_test_setenv("RIMPORT_RUSTDOC", NULL);
  assert_int_equal(w.count, 1);
  if (strstr(w.last, "warning: the plugin's thunks for dynamic calls did "
                     "not compile, so apidoc has none") == NULL ||
      strstr(w.last, "E0061") == NULL)
    fail_msg("the warning: %s", w.last);
  /* the index says what the doctored JSON said */
  assert_int_equal(rimport_api_lookup(s, "apidoc::Counter::new", &it), 0);
  assert_int_equal(it->param_count, 2);
  if (rimport_load(s, r) != 0 || rimport_register(s) != 0 ||
      rimport_cell_compile(s, code, strlen(code), plan, NULL, &cell) != 0 ||
      rimport_cell_run(s, cell, &out) != 0)
    fail_msg("the cell: %s", rimport_error_last()->message);
  assert_string_equal(out.ptr, "42\n");
  arg.tag = RIMPORT_VALUE_I64;
  arg.as.i64 = 1;
  rimport_test_assert_error(rimport_call(s, "Counter::get", &arg, 1, &res),
                            RIMPORT_ENOTFOUND, "has no thunk for it");
  rimport_cell_free(cell);
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&real);
  rimport_buf_dispose(&script);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
#endif
}

/* --- thunks of a real plugin (kayton_api.h "thunks") -------------------- */

typedef int32_t (*thunk0)(KaytonContext *, KaytonValue *);
typedef int32_t (*thunk_i)(KaytonContext *, KaytonValue *, int64_t);
typedef int32_t (*thunk_h)(KaytonContext *, KaytonValue *, HKayRef);
typedef int32_t (*thunk_s)(KaytonContext *, KaytonValue *, const uint8_t *,
                           size_t);
typedef int32_t (*thunk_ss)(KaytonContext *, KaytonValue *, const uint8_t *,
                            size_t, const uint8_t *, size_t);
typedef int32_t (*thunk_ints)(KaytonContext *, KaytonValue *, int64_t, int64_t,
                              int64_t, int64_t, int64_t, double, int32_t);
typedef void (*free_value_fn)(KaytonValue *);

/* The plugin's exported symbol `name` (the test fails without it). */
static void *symbol(rimport_session *s, const char *key, const char *name) {
  void *f = rimport__loader_symbol(rimport__session_loader(s), key, name);
  if (f == NULL)
    fail_msg("the plugin has no %s", name);
  return f;
}

/* The apidoc plugin gets a thunk for each requested function, method and
 * associated function whose signature maps to VM shapes; called through
 * their C ABI with the reference VM: values and handles in and out, ranges
 * checked, errors and Option's None, a value moved out by `self`, the
 * registered kind and the thunk globals. */
static void plugin_thunks_run(void **state) {
  static const char cell[] =
      "rimport apidoc(path=\"apidoc\")\n"
      "from apidoc rimport Counter, checked, largest\n"
      "from apidoc.shapes rimport greet, ints, parse, maybe, nothing\n";
  warnings w;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  const char *key;
  KaytonContext *ctx;
  rimport__vm *vm;
  KaytonValue v;
  HKayRef h;
  KaytonKind kind;
  free_value_fn free_value;
  (void)state;
  memset(&w, 0, sizeof(w));
  s = build_session(rimport_test_tmpdir("api-thunks"), &w);
  plan = rimport_test_plan(s, cell);
  r = rimport_test_build(s, plan);
  assert_int_equal(w.count, 0);
  if (rimport_load(s, r) != 0 || rimport_register(s) != 0)
    fail_msg("load: %s", rimport_error_last()->message);
  key = rimport_build_result_array(r)->key;
  vm = rimport__session_vm(s);
  ctx = rimport__vm_context(vm);
  free_value = (free_value_fn)symbol(s, key, "kayton_plugin_free_value");
  /* registration: the kind and a global per thunk */
  assert_int_equal(rimport__vm_kind_by_name(vm, "apidoc::Counter", &kind), 0);
  /* a constructor gives a handle; methods borrow it */
  assert_int_equal(
      ((thunk_i)symbol(s, key, "kayton_thunk_6apidoc7Counter3new"))(ctx, &v,
                                                                    41),
      0);
  assert_int_equal(v.tag, KAYTON_VALUE_HANDLE);
  h = v.h;
  assert_int_equal(
      ((thunk_h)symbol(s, key, "kayton_thunk_6apidoc7Counter4bump"))(ctx, &v,
                                                                     h),
      0);
  assert_int_equal(v.tag, KAYTON_VALUE_I64);
  assert_int_equal(v.i, 42);
  /* strings in and out; the buffer goes back to the plugin */
  assert_int_equal(
      ((thunk_ss)symbol(s, key, "kayton_thunk_6apidoc6shapes5greet"))(
          ctx, &v, (const uint8_t *)"ab", 2, (const uint8_t *)"cd", 2),
      0);
  assert_int_equal(v.tag, KAYTON_VALUE_STR);
  assert_int_equal(v.len, 4);
  assert_memory_equal(v.ptr, "abcd", 4);
  free_value(&v);
  assert_null(v.ptr);
  /* every integer width checked: 300 is not a u8 */
  assert_int_equal(
      ((thunk_ints)symbol(s, key, "kayton_thunk_6apidoc6shapes4ints"))(
          ctx, &v, 1, 2, 3, 4, 5, 0.5, 1),
      0);
  assert_true(v.tag == KAYTON_VALUE_F64 && v.f == 16.5);
  assert_int_equal(
      ((thunk_ints)symbol(s, key, "kayton_thunk_6apidoc6shapes4ints"))(
          ctx, &v, 300, 2, 3, 4, 5, 0.5, 1),
      KAYTON_ERUST);
  assert_non_null(strstr(rimport__vm_last_error(vm),
                         "argument 1 (a): 300 is out of range for u8"));
  /* an Err's Display is the error; an Option's None is NONE */
  assert_int_equal(
      ((thunk_s)symbol(s, key, "kayton_thunk_6apidoc6shapes5parse"))(
          ctx, &v, (const uint8_t *)"x1", 2),
      KAYTON_ERUST);
  assert_non_null(strstr(rimport__vm_last_error(vm), "invalid digit"));
  assert_int_equal(
      ((thunk_i)symbol(s, key, "kayton_thunk_6apidoc6shapes5maybe"))(ctx, &v,
                                                                     0),
      0);
  assert_int_equal(v.tag, KAYTON_VALUE_NONE);
  assert_int_equal(
      ((thunk_i)symbol(s, key, "kayton_thunk_6apidoc7checked"))(ctx, &v, -1),
      KAYTON_ERUST);
  assert_non_null(strstr(rimport__vm_last_error(vm), "negative"));
  assert_int_equal(
      ((thunk0)symbol(s, key, "kayton_thunk_6apidoc6shapes7nothing"))(ctx, &v),
      0);
  assert_int_equal(v.tag, KAYTON_VALUE_UNIT);
  /* the kind's render thunk: Display, or Debug on request */
  {
    typedef int32_t (*render_fn)(KaytonContext *, KaytonValue *, HKayRef,
                                 int32_t);
    render_fn render =
        (render_fn)symbol(s, key, "kayton_render_6apidoc7Counter");
    assert_int_equal(render(ctx, &v, h, 0), 0);
    assert_int_equal(v.tag, KAYTON_VALUE_STR);
    assert_memory_equal(v.ptr, "Counter(42)", 11);
    free_value(&v);
    assert_int_equal(render(ctx, &v, h, 1), 0);
    assert_int_equal(v.len, strlen("Counter { count: 42, hidden: 0 }"));
    assert_memory_equal(v.ptr, "Counter { count: 42, hidden: 0 }", v.len);
    free_value(&v);
  }
  /* `self` moves the value out: the handle stays, empty */
  assert_int_equal(
      ((thunk_h)symbol(s, key, "kayton_thunk_6apidoc7Counter10into_inner"))(
          ctx, &v, h),
      0);
  assert_int_equal(v.i, 42);
  assert_int_equal(
      ((thunk_h)symbol(s, key, "kayton_thunk_6apidoc7Counter3get"))(ctx, &v, h),
      KAYTON_ERUST);
  assert_non_null(strstr(rimport__vm_last_error(vm), "was moved out"));
  /* a generic function gets no thunk */
  assert_null(rimport__loader_symbol(rimport__session_loader(s), key,
                                     "kayton_thunk_6apidoc7largest"));
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* `largest[i64]` compiles into the plugin as a concrete function (with a
 * thunk and an index record); a shape that does not satisfy the item's
 * bounds is an error at its statement naming the bound. */
static void instances_are_concrete(void **state) {
  static const char cell[] = "rimport apidoc(path=\"apidoc\")\n"
                             "from apidoc rimport largest[i64], largest[f64]\n";
  static const char code[] = "kprintln!(\"{}\", largest__i64(3, 9));";
  typedef int32_t (*thunk_ii)(KaytonContext *, KaytonValue *, int64_t, int64_t);
  warnings w;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  rimport_cell *compiled = NULL;
  const rimport_api_item *it;
  rimport_buf src = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT,
              out = RIMPORT_BUF_INIT;
  KaytonValue v;
  (void)state;
  memset(&w, 0, sizeof(w));
  s = build_session(rimport_test_tmpdir("api-inst"), &w);
  plan = rimport_test_plan(s, cell);
  r = rimport_test_build(s, plan);
  assert_int_equal(w.count, 0);
  rimport__buf_printf(&src, "%s/crate/src/lib.rs",
                      rimport_build_result_array(r)->entry_dir);
  assert_int_equal(rimport__fs_read_file(src.ptr, 1u << 24, &text), 0);
  assert_non_null(strstr(text.ptr, "pub fn largest__i64(a0: i64, a1: i64) -> "
                                   "i64 { ::apidoc::largest::<i64>(a0, a1) }"));
  assert_int_equal(rimport_api_lookup(s, "apidoc::largest__f64", &it), 0);
  assert_int_equal(it->param_count, 2);
  assert_int_equal(it->params[0].shape.kind, RIMPORT_VM_F64);
  assert_int_equal(it->output->kind, RIMPORT_VM_F64);
  if (rimport_load(s, r) != 0 || rimport_register(s) != 0 ||
      rimport_cell_compile(s, code, strlen(code), plan, NULL, &compiled) != 0 ||
      rimport_cell_run(s, compiled, &out) != 0)
    fail_msg("the cell: %s", rimport_error_last()->message);
  assert_string_equal(out.ptr, "9\n");
  assert_int_equal(((thunk_ii)symbol(s, rimport_build_result_array(r)->key,
                                     "kayton_thunk_6apidoc12largest__i64"))(
                       rimport__vm_context(rimport__session_vm(s)), &v, 3, 9),
                   0);
  assert_int_equal(v.i, 9);
  rimport_cell_free(compiled);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
  rimport_buf_dispose(&src);
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&out);
}

/* `Stack[Vec[i64]]`: the alias, and concrete wrappers of its constructor
 * and method with thunks (the kind: the instance) and index records. */
static void type_instances_get_wrappers(void **state) {
  static const char cell[] = "rimport apidoc(path=\"apidoc\")\n"
                             "from apidoc rimport Stack[Vec[i64]]\n";
  typedef int32_t (*push_fn)(KaytonContext *, KaytonValue *, HKayRef,
                             const int64_t *, size_t);
  static const int64_t items[] = {1, 2, 3};
  warnings w;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  const rimport_api_item *it;
  rimport_buf src = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT;
  KaytonContext *ctx;
  KaytonValue v;
  const char *key;
  (void)state;
  memset(&w, 0, sizeof(w));
  s = build_session(rimport_test_tmpdir("api-tinst"), &w);
  plan = rimport_test_plan(s, cell);
  r = rimport_test_build(s, plan);
  assert_int_equal(w.count, 0);
  key = rimport_build_result_array(r)->key;
  rimport__buf_printf(&src, "%s/crate/src/lib.rs",
                      rimport_build_result_array(r)->entry_dir);
  assert_int_equal(rimport__fs_read_file(src.ptr, 1u << 24, &text), 0);
  assert_non_null(strstr(text.ptr, "pub type Stack__Vec_i64 = "
                                   "::apidoc::Stack<Vec<i64>>;"));
  assert_non_null(strstr(text.ptr, "pub fn Stack__Vec_i64__push(this: &mut "
                                   "Stack__Vec_i64, a0: Vec<i64>)"));
  assert_int_equal(rimport_api_lookup(s, "apidoc::Stack__Vec_i64::push", &it),
                   0);
  assert_string_equal(it->receiver, "&mut self");
  assert_int_equal(it->params[0].shape.kind, RIMPORT_VM_VEC_I64);
  if (rimport_load(s, r) != 0 || rimport_register(s) != 0)
    fail_msg("load: %s", rimport_error_last()->message);
  ctx = rimport__vm_context(rimport__session_vm(s));
  assert_int_equal(
      ((thunk0)symbol(s, key, "kayton_thunk_6apidoc14Stack__Vec_i643new"))(ctx,
                                                                           &v),
      0);
  assert_int_equal(v.tag, KAYTON_VALUE_HANDLE);
  assert_int_equal(
      ((push_fn)symbol(s, key, "kayton_thunk_6apidoc14Stack__Vec_i644push"))(
          ctx, &v, v.h, items, 3),
      0);
  assert_int_equal(v.tag, KAYTON_VALUE_UNIT);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
  rimport_buf_dispose(&src);
  rimport_buf_dispose(&text);
}

static void unmet_bound_is_an_error_at_the_statement(void **state) {
  static const char cell[] = "rimport apidoc(path=\"apidoc\")\n"
                             "from apidoc rimport largest[Vec[i64]]\n";
  warnings w;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r = NULL;
  (void)state;
  memset(&w, 0, sizeof(w));
  s = build_session(rimport_test_tmpdir("api-bound"), &w);
  plan = rimport_test_plan(s, cell);
  rimport_test_assert_error(rimport_build(s, plan, &r), RIMPORT_EBUILD,
                            "`largest[Vec[i64]]`: `Vec<i64>` does not "
                            "satisfy the bound `Copy` of `apidoc::largest`");
  assert_int_equal(rimport_error_last()->line, 2);
  assert_int_equal(rimport_error_last()->column, 1);
  assert_null(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* rimport_value_render: a handle's text through its kind's render thunk
 * (Display, or Debug on request). */
static void handles_render_as_their_type_shows_them(void **state) {
  static const char cell[] = "rimport apidoc(path=\"apidoc\")\n"
                             "from apidoc rimport Counter\n";
  warnings w;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  rimport_value arg = RIMPORT_VALUE_INIT, res = RIMPORT_VALUE_INIT;
  rimport_buf text = RIMPORT_BUF_INIT;
  (void)state;
  memset(&w, 0, sizeof(w));
  s = build_session(rimport_test_tmpdir("api-render"), &w);
  plan = rimport_test_plan(s, cell);
  r = rimport_test_build(s, plan);
  if (rimport_load(s, r) != 0 || rimport_register(s) != 0)
    fail_msg("load: %s", rimport_error_last()->message);
  arg.tag = RIMPORT_VALUE_I64;
  arg.as.i64 = 41;
  if (rimport_call(s, "apidoc::Counter::new", &arg, 1, &res) != 0)
    fail_msg("call: %s", rimport_error_last()->message);
  assert_int_equal(res.tag, RIMPORT_VALUE_HANDLE);
  assert_int_equal(rimport_value_render(s, res.as.handle, 0, &text), 0);
  assert_string_equal(text.ptr, "Counter(41)");
  assert_int_equal(rimport_value_render(s, res.as.handle, 1, &text), 0);
  assert_string_equal(text.ptr, "Counter { count: 41, hidden: 0 }");
  rimport_test_assert_error(rimport_value_render(s, 987654, 0, &text),
                            RIMPORT_ENOTFOUND, "no such live handle");
  rimport_test_assert_error(rimport_value_render(NULL, 1, 0, &text),
                            RIMPORT_EINVAL, "rimport_value_render");
  rimport_value_dispose(&res);
  rimport_buf_dispose(&text);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* Compiles and runs `text` as the session's next cell; returns what it
 * printed (free it), or fails. */
static char *run_cell(rimport_session *s, const rimport_cell_plan *plan,
                      const char *text) {
  rimport_cell *c = NULL;
  rimport_buf out = RIMPORT_BUF_INIT;
  if (rimport_cell_compile(s, text, strlen(text), plan, NULL, &c) != 0)
    fail_msg("cell: %s", rimport_error_last()->message);
  if (rimport_cell_run(s, c, &out) != 0) {
    rimport_cell_free(c);
    rimport_buf_dispose(&out);
    return NULL;
  }
  rimport_cell_free(c);
  return out.ptr ? out.ptr : rimport__strdup("");
}

/* A value a cell keeps with keep! is a handle of the kind the plugin gave
 * its type: the host finds it (rimport_kept), renders it and passes it to
 * the type's thunks, and get! in a later cell sees what a thunk did to
 * it; a value a thunk moved out is an error in get!, not a crash. A kept
 * value of a type no plugin renders, a name nothing is kept under, and a
 * global that is no kept value are errors that say so. */
static void kept_values_are_handles_of_the_plugin_kind(void **state) {
  static const char cell[] = "rimport apidoc(path=\"apidoc\")\n"
                             "from apidoc rimport Counter\n";
  warnings w;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r;
  rimport_value kept = RIMPORT_VALUE_INIT, res = RIMPORT_VALUE_INIT;
  rimport_buf text = RIMPORT_BUF_INIT;
  char *out;
  (void)state;
  memset(&w, 0, sizeof(w));
  s = build_session(rimport_test_tmpdir("api-kept"), &w);
  plan = rimport_test_plan(s, cell);
  r = rimport_test_build(s, plan);
  if (rimport_load(s, r) != 0 || rimport_register(s) != 0)
    fail_msg("load: %s", rimport_error_last()->message);
  out = run_cell(s, plan,
                 "keep!(\"c\", Counter::new(41));\nkeep!(\"n\", 5i64);\n");
  assert_non_null(out);
  rimport__free(out);
  assert_int_equal(rimport_kept(s, "c", &kept), 0);
  assert_int_equal(kept.tag, RIMPORT_VALUE_HANDLE);
  assert_int_equal(rimport_value_render(s, kept.as.handle, 0, &text), 0);
  assert_string_equal(text.ptr, "Counter(41)");
  if (rimport_call(s, "Counter::bump", &kept, 1, &res) != 0)
    fail_msg("bump: %s", rimport_error_last()->message);
  assert_int_equal(res.as.i64, 42);
  out = run_cell(s, NULL,
                 "let c = get!(Counter, \"c\");\n"
                 "kprintln!(\"{} {}\", c.get(), get!(i64, \"n\"));\n");
  assert_non_null(out);
  assert_string_equal(out, "42 5\n");
  rimport__free(out);
  /* i64 has no plugin kind: a handle no plugin renders */
  assert_int_equal(rimport_kept(s, "n", &res), 0);
  rimport_test_assert_error(rimport_value_render(s, res.as.handle, 0, &text),
                            RIMPORT_ENOTFOUND, "no plugin of the session");
  rimport_test_assert_error(rimport_kept(s, "nothing", &res), RIMPORT_ENOTFOUND,
                            "nothing is kept as \"nothing\"");
  assert_int_equal(res.tag, RIMPORT_VALUE_UNIT);
  rimport_test_assert_error(rimport_kept(s, "apidoc::Counter::new", &res),
                            RIMPORT_EINVAL, "not a value a cell kept");
  rimport_test_assert_error(rimport_kept(NULL, "c", &res), RIMPORT_EINVAL,
                            "rimport_kept");
  /* a thunk that takes self moves the kept value out */
  assert_int_equal(rimport_call(s, "Counter::into_inner", &kept, 1, &res), 0);
  assert_int_equal(res.as.i64, 42);
  {
    rimport_cell *c = NULL;
    static const char moved[] = "let c = get!(Counter, \"c\");\n"
                                "kprintln!(\"{}\", c.get());\n";
    assert_int_equal(
        rimport_cell_compile(s, moved, strlen(moved), NULL, NULL, &c), 0);
    rimport_test_assert_error(rimport_cell_run(s, c, NULL), RIMPORT_EPANIC,
                              "was moved out by a call that took it by value");
    rimport_cell_free(c);
  }
  rimport_buf_dispose(&text);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(index_of_current_rustdoc),
    cmocka_unit_test(index_of_debian_rustdoc_163),
    cmocka_unit_test(refuses_other_formats_and_garbage),
    cmocka_unit_test(odd_documents_give_an_index),
    cmocka_unit_test(truncated_documents),
    cmocka_unit_test(lookups_by_path_member_and_name),
    cmocka_unit_test(lookups_that_fail_say_why),
    cmocka_unit_test(corrupt_index_is_an_error),
    cmocka_unit_test(build_makes_an_index),
    cmocka_unit_test(rustdoc_failure_is_a_warning),
    cmocka_unit_test(rustdoc_format_unknown_is_a_warning),
    cmocka_unit_test(thunks_that_do_not_compile_are_a_warning),
    cmocka_unit_test(plugin_thunks_run),
    cmocka_unit_test(instances_are_concrete),
    cmocka_unit_test(type_instances_get_wrappers),
    cmocka_unit_test(handles_render_as_their_type_shows_them),
    cmocka_unit_test(kept_values_are_handles_of_the_plugin_kind),
    cmocka_unit_test(unmet_bound_is_an_error_at_the_statement),
};

RIMPORT_TEST_MAIN(tests, NULL)
