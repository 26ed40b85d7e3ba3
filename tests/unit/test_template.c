/* The embedded templates (src/template): lookup, hash, and the templates
 * other stages rely on — the cell source keeps the cell's lines, the one
 * release profile stands in every root package. The renderer's own rules
 * are tested in test_gen.c, where they grew. */
#include <string.h>

#include "support.h"
#include "template/template.h"

static void every_template_is_found(void **state) {
  size_t i;
  (void)state;
  assert_true(rimport__template_count > 0);
  for (i = 0; i < rimport__template_count; i++) {
    const rimport__template *t =
        rimport__templates[i].path
            ? rimport__template_find(rimport__templates[i].path)
            : NULL;
    assert_ptr_equal(t, &rimport__templates[i]);
    assert_int_equal(strlen(t->text), t->len); /* NUL-terminated, no NUL */
    if (i > 0) /* sorted: lookups and the hash depend on the order */
      assert_true(strcmp(rimport__templates[i - 1].path, t->path) < 0);
  }
  rimport_test_assert_error(
      rimport__template_find("plugin/nothing.tpl") == NULL ? RIMPORT_EINTERNAL
                                                           : 0,
      RIMPORT_EINTERNAL, "\"plugin/nothing.tpl\" is not embedded");
}

static void hash_is_hex_and_stable(void **state) {
  const char *h = rimport__template_hash();
  size_t i;
  (void)state;
  assert_int_equal(strlen(h), 32);
  for (i = 0; i < 32; i++)
    assert_non_null(strchr("0123456789abcdef", h[i]));
  assert_ptr_equal(rimport__template_hash(), h);
}

/* Renders cell/lib.rs.tpl (the crate root: the items after `lead` blank
 * lines) and cell/body.rs.tpl (the statements, after `body_lead` blank
 * lines and the entry point's opening) into root and body. */
static void render_cell(const char *lead, const char *items,
                        const char *body_lead, const char *statements,
                        int own_line, rimport_buf *root, rimport_buf *body) {
  static const rimport__tpl_record none = {NULL, 0, NULL, 0};
  rimport__tpl_var vars[5] = {
      {"lead", lead},
      {"items", items},
      {"manifest", "{\"kind\":\"cell\"}"},
      {"body", "x.cell (statements)"},
      {"cell_api_crate", "kayton_cellapi_0123456789abcdef"}};
  rimport__tpl_var bvars[3] = {
      {"lead", body_lead}, {"head", statements}, {"tail", ""}};
  rimport__tpl_list lists[4] = {{"cell_api", &none, 1},
                                {"plugins", &none, 0},
                                {"cells", &none, 0},
                                {"scope", &none, 0}};
  rimport__tpl_list blists[3] = {{"own_line", &none, 0},
                                 {"tail_first", &none, 0},
                                 {"tail_later", &none, 0}};
  rimport__tpl_record r = {vars, 5, lists, 4}, br = {bvars, 3, blists, 3};
  blists[0].count = own_line ? 1 : 0;
  if (rimport__template_render("cell/lib.rs.tpl", &r, root) != 0 ||
      rimport__template_render("cell/body.rs.tpl", &br, body) != 0)
    fail_msg("render: %s", rimport_error_last()->message);
}

/* The line (1-based) of `needle` in text, 0 if absent. */
static unsigned line_of(const char *text, const char *needle) {
  const char *p = strstr(text, needle), *q;
  unsigned line = 1;
  if (p == NULL)
    return 0;
  for (q = text; q < p; q++)
    line += *q == '\n';
  return line;
}

/* A cell that starts on line 5 of its file: in the crate root its items
 * from line 5 on, nothing before them; in the body module the entry
 * point's opening on line 4 (the `%%` line) and the statements on 5 and
 * 6. */
static void cell_source_keeps_the_cells_lines(void **state) {
  rimport_buf root = RIMPORT_BUF_INIT, body = RIMPORT_BUF_INIT;
  (void)state;
  render_cell("\n\n\n\n", "fn f() {}\n          ", "\n\n\n",
              "          \nlet a = f();\nkprintln!(\"{:?}\", a);", 1, &root,
              &body);
  assert_memory_equal(root.ptr, "\n\n\n\nfn f() {}\n", 14);
  assert_int_equal(line_of(body.ptr, "fn __kayton_cell_run"), 4);
  assert_int_equal(line_of(body.ptr, "let a = f();"), 6);
  assert_int_equal(line_of(body.ptr, "kprintln!(\"{:?}\", a);"), 7);
  /* Columns too: the statements' lines hold the cell's text alone. */
  assert_non_null(strstr(body.ptr, "\nlet a = f();\n"));
  assert_non_null(strstr(body.ptr, "use super::*;"));
  assert_non_null(strstr(root.ptr,
                         "extern crate kayton_cellapi_0123456789abcdef as "
                         "kayton_api;"));
  assert_non_null(strstr(
      root.ptr, "#[path = \"x.cell (statements)\"] mod __kayton_cell_body;"));
  assert_null(strstr(root.ptr, "extern crate kayton_api;"));
  assert_non_null(strstr(root.ptr, "concat!(\"{\\\"kind\\\":\\\"cell\\\"}\""));
  /* A cell on line 1 shares the opening's line. */
  render_cell("", "", "", "x();", 0, &root, &body);
  assert_int_equal(line_of(body.ptr, "fn __kayton_cell_run"), 1);
  assert_int_equal(line_of(body.ptr, "x();"), 1);
  rimport_buf_dispose(&root);
  rimport_buf_dispose(&body);
}

/* One release profile: the template every root package inserts. */
static void one_release_profile(void **state) {
  const rimport__template *p = rimport__template_find("profile.toml");
  const rimport__template *plugin =
      rimport__template_find("plugin/Cargo.toml.tpl");
  (void)state;
  assert_non_null(p);
  assert_non_null(strstr(p->text, "[profile.release]"));
  assert_non_null(strstr(p->text, "opt-level = 3"));
  assert_non_null(strstr(p->text, "panic = \"unwind\""));
  assert_non_null(
      strstr(rimport__template_find("build_root/Cargo.toml.tpl")->text,
             "{{profile}}"));
  assert_non_null(strstr(rimport__template_find("cell/Cargo.toml.tpl")->text,
                         "{{profile}}"));
  /* A plugin is always a dependency: a profile there would be ignored. */
  assert_non_null(plugin);
  assert_null(strstr(plugin->text, "[profile.release]"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(every_template_is_found),
    cmocka_unit_test(hash_is_hex_and_stable),
    cmocka_unit_test(cell_source_keeps_the_cells_lines),
    cmocka_unit_test(one_release_profile),
};

RIMPORT_TEST_MAIN(tests, NULL)
