/* The rimport statement parser (src/parse): accepted forms with every
 * descriptor field and span, one case per error class, and the lexing
 * corners (strings, comments, CRLF, tabs, UTF-8 columns, NUL bytes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "support.h"
#include "common/common.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* --- helpers ----------------------------------------------------------- */

static rimport_imports *parse_len(const char *src, size_t len) {
  rimport_imports *im = NULL;
  int rc = rimport_parse(src, len, &im);
  if (rc != 0)
    fail_msg("rimport_parse failed: %s (%s)", rimport_err_name(rc),
             rimport_error_last() ? rimport_error_last()->message : "");
  return im;
}

static rimport_imports *parse_ok(const char *src) {
  return parse_len(src, strlen(src));
}

static const rimport_import *nth(const rimport_imports *im, size_t i) {
  assert_true(i < rimport_imports_count(im));
  return &rimport_imports_array(im)[i];
}

/* Parses `src`, expects EPARSE at line:col whose message contains
 * `needle`. */
static void parse_fails(const char *src, unsigned line, unsigned col,
                        const char *needle) {
  rimport_imports *im = (rimport_imports *)&im;
  const rimport_error *err;
  int rc = rimport_parse(src, strlen(src), &im);
  rimport_test_assert_error(rc, RIMPORT_EPARSE, needle);
  assert_null(im);
  err = rimport_error_last();
  if (err->line != line || err->column != col)
    fail_msg("error at %u:%u, expected %u:%u: %s", err->line, err->column, line,
             col, err->message);
  assert_non_null(err->text);
  rimport_error_clear();
}

static void assert_span(const rimport_span *sp, size_t start, size_t end,
                        unsigned line, unsigned col, unsigned end_line) {
  assert_int_equal(sp->start, start);
  assert_int_equal(sp->end, end);
  assert_int_equal(sp->line, line);
  assert_int_equal(sp->column, col);
  assert_int_equal(sp->end_line, end_line);
}

/* Offset of the first `needle` in `hay`. */
static size_t off(const char *hay, const char *needle) {
  const char *p = strstr(hay, needle);
  assert_non_null(p);
  return (size_t)(p - hay);
}

static void assert_plain_crate(const rimport_import *im, const char *crate,
                               const char *alias) {
  assert_int_equal(im->kind, RIMPORT_IMPORT_CRATE);
  assert_string_equal(im->crate, crate);
  if (alias == NULL)
    assert_null(im->alias);
  else
    assert_string_equal(im->alias, alias);
  assert_null(im->module);
  assert_null(im->version);
  assert_null(im->path);
  assert_null(im->package);
  assert_null(im->features);
  assert_int_equal(im->feature_count, 0);
  assert_int_equal(im->default_features, RIMPORT_UNSET);
  assert_null(im->items);
  assert_int_equal(im->item_count, 0);
}

static void assert_item(const rimport_item *it, const char *name,
                        const char *alias, size_t shape_count) {
  assert_string_equal(it->name, name);
  if (alias == NULL)
    assert_null(it->alias);
  else
    assert_string_equal(it->alias, alias);
  assert_int_equal(it->shape_count, shape_count);
  if (shape_count == 0)
    assert_null(it->shapes);
}

/* --- accepted forms ------------------------------------------------------ */

static void crate_plain(void **state) {
  const char *src = "rimport reqwest\n";
  rimport_imports *im;
  (void)state;
  im = parse_ok(src);
  assert_int_equal(rimport_imports_count(im), 1);
  assert_plain_crate(nth(im, 0), "reqwest", NULL);
  assert_string_equal(nth(im, 0)->statement, "rimport reqwest");
  assert_span(&nth(im, 0)->span, 0, 15, 1, 1, 1);
  rimport_imports_free(im);
}

static void crate_alias(void **state) {
  const char *src = "x = 1\nrimport reqwest as rq  # the client\n";
  rimport_imports *im;
  (void)state;
  im = parse_ok(src);
  assert_int_equal(rimport_imports_count(im), 1);
  assert_plain_crate(nth(im, 0), "reqwest", "rq");
  assert_string_equal(nth(im, 0)->statement, "rimport reqwest as rq");
  assert_span(&nth(im, 0)->span, 6, 27, 2, 1, 2);
  rimport_imports_free(im);
}

static void crate_list(void **state) {
  const char *src = "rimport a, b as c, tokio-util\n";
  rimport_imports *im;
  size_t i;
  (void)state;
  im = parse_ok(src);
  assert_int_equal(rimport_imports_count(im), 3);
  assert_plain_crate(nth(im, 0), "a", NULL);
  assert_plain_crate(nth(im, 1), "b", "c");
  assert_plain_crate(nth(im, 2), "tokio-util", NULL);
  /* One statement: every descriptor shares its text and span. */
  for (i = 0; i < 3; i++) {
    assert_string_equal(nth(im, i)->statement, "rimport a, b as c, tokio-util");
    assert_span(&nth(im, i)->span, 0, strlen(src) - 1, 1, 1, 1);
  }
  rimport_imports_free(im);
}

static void crate_hyphen_name(void **state) {
  rimport_imports *im;
  (void)state;
  im = parse_ok("rimport tokio-util\nrimport A_b-9\n");
  assert_plain_crate(nth(im, 0), "tokio-util", NULL);
  assert_plain_crate(nth(im, 1), "A_b-9", NULL);
  rimport_imports_free(im);
}

static void crate_args_full(void **state) {
  const char *src = "rimport reqwest(version=\"0.11\", features=[\"blocking\", "
                    "\"json\"], default_features=False)";
  rimport_imports *im;
  const rimport_import *r;
  (void)state;
  im = parse_ok(src);
  assert_int_equal(rimport_imports_count(im), 1);
  r = nth(im, 0);
  assert_int_equal(r->kind, RIMPORT_IMPORT_CRATE);
  assert_string_equal(r->crate, "reqwest");
  assert_null(r->alias);
  assert_null(r->module);
  assert_string_equal(r->version, "0.11");
  assert_null(r->path);
  assert_null(r->package);
  assert_int_equal(r->feature_count, 2);
  assert_string_equal(r->features[0], "blocking");
  assert_string_equal(r->features[1], "json");
  assert_int_equal(r->default_features, RIMPORT_FALSE);
  assert_int_equal(r->item_count, 0);
  assert_string_equal(r->statement, src);
  assert_span(&r->span, 0, strlen(src), 1, 1, 1);
  rimport_imports_free(im);
}

static void crate_args_multiline(void **state) {
  const char *src = "rimport reqwest(\n"
                    "    version = '>=0.11, <0.12',  # pinned\n"
                    "\n"
                    "    features=[\n"
                    "        \"blocking\",  # sync client\n"
                    "        'json',\n"
                    "    ],\n"
                    "    default_features=true,\n"
                    ") as rq  # done\n"
                    "print(rq)\n";
  rimport_imports *im;
  const rimport_import *r;
  (void)state;
  im = parse_ok(src);
  assert_int_equal(rimport_imports_count(im), 1);
  r = nth(im, 0);
  assert_string_equal(r->version, ">=0.11, <0.12");
  assert_int_equal(r->feature_count, 2);
  assert_string_equal(r->features[1], "json");
  assert_int_equal(r->default_features, RIMPORT_TRUE);
  assert_string_equal(r->alias, "rq");
  assert_span(&r->span, 0, off(src, " as rq") + 6, 1, 1, 9);
  assert_int_equal(strlen(r->statement), r->span.end);
  assert_memory_equal(r->statement, src, r->span.end);
  rimport_imports_free(im);
}

static void crate_path_and_package(void **state) {
  rimport_imports *im;
  (void)state;
  im = parse_ok("rimport mycrate(path=\"../mycrate\")\n"
                "rimport tokio_util(package=\"tokio-util\", version=\"0.7\",)\n"
                "rimport empty()\n"
                "rimport nofeat(features=[], default_features=True)\n");
  assert_int_equal(rimport_imports_count(im), 4);
  assert_string_equal(nth(im, 0)->path, "../mycrate");
  assert_null(nth(im, 0)->version);
  assert_string_equal(nth(im, 1)->crate, "tokio_util");
  assert_string_equal(nth(im, 1)->package, "tokio-util");
  assert_string_equal(nth(im, 1)->version, "0.7");
  assert_plain_crate(nth(im, 2), "empty", NULL);
  assert_int_equal(nth(im, 3)->feature_count, 0);
  assert_null(nth(im, 3)->features);
  assert_int_equal(nth(im, 3)->default_features, RIMPORT_TRUE);
  rimport_imports_free(im);
}

static void from_items(void **state) {
  const char *src = "from reqwest rimport StatusCode, Method as M\n";
  rimport_imports *im;
  const rimport_import *r;
  (void)state;
  im = parse_ok(src);
  assert_int_equal(rimport_imports_count(im), 1);
  r = nth(im, 0);
  assert_int_equal(r->kind, RIMPORT_IMPORT_ITEMS);
  assert_string_equal(r->crate, "reqwest");
  assert_null(r->alias);
  assert_null(r->module);
  assert_null(r->version);
  assert_null(r->path);
  assert_null(r->package);
  assert_int_equal(r->feature_count, 0);
  assert_int_equal(r->default_features, RIMPORT_UNSET);
  assert_int_equal(r->item_count, 2);
  assert_item(&r->items[0], "StatusCode", NULL, 0);
  assert_span(&r->items[0].span, 21, 31, 1, 22, 1);
  assert_item(&r->items[1], "Method", "M", 0);
  assert_span(&r->items[1].span, 33, 44, 1, 34, 1);
  assert_string_equal(r->statement,
                      "from reqwest rimport StatusCode, Method as M");
  assert_span(&r->span, 0, 44, 1, 1, 1);
  rimport_imports_free(im);
}

static void from_module(void **state) {
  rimport_imports *im;
  (void)state;
  im = parse_ok("from reqwest.blocking rimport Client\n"
                "from a.b.c_d rimport E\n");
  assert_int_equal(rimport_imports_count(im), 2);
  assert_string_equal(nth(im, 0)->crate, "reqwest");
  assert_string_equal(nth(im, 0)->module, "blocking");
  assert_item(&nth(im, 0)->items[0], "Client", NULL, 0);
  assert_string_equal(nth(im, 1)->crate, "a");
  assert_string_equal(nth(im, 1)->module, "b::c_d");
  assert_span(&nth(im, 1)->span, 37, 59, 2, 1, 2);
  rimport_imports_free(im);
}

static void from_paren_multiline(void **state) {
  const char *src = "from reqwest rimport (StatusCode,  # first\n"
                    "    # a comment line\n"
                    "\n"
                    "    Method as M,)  # after\n";
  rimport_imports *im;
  const rimport_import *r;
  (void)state;
  im = parse_ok(src);
  assert_int_equal(rimport_imports_count(im), 1);
  r = nth(im, 0);
  assert_int_equal(r->item_count, 2);
  assert_item(&r->items[0], "StatusCode", NULL, 0);
  assert_span(&r->items[0].span, 22, 32, 1, 23, 1);
  assert_item(&r->items[1], "Method", "M", 0);
  assert_span(&r->items[1].span, off(src, "Method"), off(src, ",)"), 4, 5, 4);
  assert_span(&r->span, 0, off(src, ")") + 1, 1, 1, 4);
  assert_memory_equal(r->statement, src, r->span.end);
  assert_int_equal(strlen(r->statement), r->span.end);
  rimport_imports_free(im);
}

static void from_generics(void **state) {
  const char *src = "from mycrate rimport largest[i64], largest[f64], "
                    "Stack[Vec[i64]], Pair[i64, f64], largest[i64] as "
                    "largest_i64, f[&str, String, Vec[f64], Dynamic,]\n";
  rimport_imports *im;
  const rimport_import *r;
  const rimport_item *it;
  (void)state;
  im = parse_ok(src);
  r = nth(im, 0);
  assert_int_equal(r->item_count, 6);
  it = r->items;
  assert_item(&it[0], "largest", NULL, 1);
  assert_int_equal(it[0].shapes[0], RIMPORT_SHAPE_I64);
  assert_span(&it[0].span, off(src, "largest[i64]"),
              off(src, "largest[i64]") + 12, 1, 22, 1);
  assert_item(&it[1], "largest", NULL, 1);
  assert_int_equal(it[1].shapes[0], RIMPORT_SHAPE_F64);
  assert_item(&it[2], "Stack", NULL, 1);
  assert_int_equal(it[2].shapes[0], RIMPORT_SHAPE_VEC_I64);
  assert_item(&it[3], "Pair", NULL, 2);
  assert_int_equal(it[3].shapes[0], RIMPORT_SHAPE_I64);
  assert_int_equal(it[3].shapes[1], RIMPORT_SHAPE_F64);
  assert_item(&it[4], "largest", "largest_i64", 1);
  assert_int_equal(it[4].shapes[0], RIMPORT_SHAPE_I64);
  assert_span(&it[4].span, off(src, "largest[i64] as"),
              off(src, "largest_i64") + 11, 1, 83, 1);
  assert_item(&it[5], "f", NULL, 4);
  assert_int_equal(it[5].shapes[0], RIMPORT_SHAPE_STR);
  assert_int_equal(it[5].shapes[1], RIMPORT_SHAPE_STRING);
  assert_int_equal(it[5].shapes[2], RIMPORT_SHAPE_VEC_F64);
  assert_int_equal(it[5].shapes[3], RIMPORT_SHAPE_DYNAMIC);
  rimport_imports_free(im);
}

static void from_glob(void **state) {
  const char *src = "from reqwest.header rimport *  # all\n";
  rimport_imports *im;
  const rimport_import *r;
  (void)state;
  im = parse_ok(src);
  r = nth(im, 0);
  assert_string_equal(r->module, "header");
  assert_int_equal(r->item_count, 1);
  assert_item(&r->items[0], "*", NULL, 0);
  assert_span(&r->items[0].span, 28, 29, 1, 29, 1);
  assert_string_equal(r->statement, "from reqwest.header rimport *");
  rimport_imports_free(im);
}

static void from_glob_in_parens(void **state) {
  rimport_imports *im;
  (void)state;
  im = parse_ok("from a rimport (*)\n");
  assert_item(&nth(im, 0)->items[0], "*", NULL, 0);
  rimport_imports_free(im);
}

static void indented_and_blank_lines(void **state) {
  const char *src =
      "\n\n# header\nif True:\n    rimport a\n\n\tfrom b rimport C\n";
  rimport_imports *im;
  (void)state;
  im = parse_ok(src);
  assert_int_equal(rimport_imports_count(im), 2);
  assert_span(&nth(im, 0)->span, off(src, "rimport a"),
              off(src, "rimport a") + 9, 5, 5, 5);
  assert_span(&nth(im, 1)->span, off(src, "from b"), strlen(src) - 1, 7, 2, 7);
  rimport_imports_free(im);
}

static void source_order_mixed_with_code(void **state) {
  rimport_imports *im;
  (void)state;
  im = parse_ok("import os\nrimport a\nx = [1,\n 2]\nfrom b rimport C\n"
                "def f():\n    return 1\nrimport d as e\n");
  assert_int_equal(rimport_imports_count(im), 3);
  assert_string_equal(nth(im, 0)->crate, "a");
  assert_string_equal(nth(im, 1)->crate, "b");
  assert_string_equal(nth(im, 2)->crate, "d");
  assert_int_equal(nth(im, 2)->span.line, 8);
  rimport_imports_free(im);
}

static void backslash_continuation(void **state) {
  const char *src = "rimport a, \\\n  b\nx = 1 + \\\n  2\n";
  rimport_imports *im;
  (void)state;
  im = parse_ok(src);
  assert_int_equal(rimport_imports_count(im), 2);
  assert_string_equal(nth(im, 1)->crate, "b");
  assert_span(&nth(im, 1)->span, 0, off(src, "b\n") + 1, 1, 1, 2);
  rimport_imports_free(im);
}

static void same_import_twice_is_fine(void **state) {
  rimport_imports *im;
  (void)state;
  im = parse_ok("from a rimport X\nfrom a rimport X\nrimport b\n"
                "rimport b(version=\"1\")\nfrom m rimport f[i64] as g\n"
                "from m rimport f[i64] as g\n");
  assert_int_equal(rimport_imports_count(im), 6);
  rimport_imports_free(im);
}

static void generic_instantiations_share_name(void **state) {
  rimport_imports *im;
  (void)state;
  im = parse_ok("from m rimport largest[i64]\nfrom m rimport largest[f64]\n"
                "from m rimport largest\n");
  assert_int_equal(rimport_imports_count(im), 3);
  rimport_imports_free(im);
}

/* --- not imports ------------------------------------------------------------
 */

static void rimport_in_strings_and_comments(void **state) {
  rimport_imports *im;
  (void)state;
  im = parse_ok("x = \"rimport a\"\n"
                "y = 'from a rimport b'\n"
                "# rimport c\n"
                "s = \"\"\"\nrimport d\nfrom e rimport f\n\"\"\"\n"
                "t = r'''\nrimport g\n'''\n"
                "u = Rb\"\\\"rimport h\"\n"
                "v = f'{x}' # rimport i\n"
                "w = \"esc \\\" rimport j\"\n"
                "z = 'line \\\nrimport k'\n");
  assert_int_equal(rimport_imports_count(im), 0);
  assert_null(rimport_imports_array(im));
  rimport_imports_free(im);
}

static void rimport_not_a_whole_word_or_not_first(void **state) {
  rimport_imports *im;
  (void)state;
  im = parse_ok("rimports = 1\nmy_rimport = 2\nx.rimport = 3\n"
                "print(rimport)\nfoo(\nrimport)\nx = [\n  rimport,\n]\n"
                "from x import rimport\nfrom x.rimport import y\n"
                "from . import z\nfrom .rimport import w\nimport rimport\n"
                "y = 1 + \\\nrimport\n");
  assert_int_equal(rimport_imports_count(im), 0);
  rimport_imports_free(im);
}

static void unbalanced_code_is_not_an_error(void **state) {
  rimport_imports *im;
  (void)state;
  im = parse_ok("x = )]}\nrimport a\ny = 'unterminated\nrimport b\n"
                "z = (((\nrimport c\n");
  /* After the unclosed `(` the rest is one logical line: no more imports. */
  assert_int_equal(rimport_imports_count(im), 2);
  assert_string_equal(nth(im, 1)->crate, "b");
  rimport_imports_free(im);
  im = parse_ok("s = \"\"\"never closed\nrimport a\n");
  assert_int_equal(rimport_imports_count(im), 0);
  rimport_imports_free(im);
  im = parse_ok("s = 'x\\");
  assert_int_equal(rimport_imports_count(im), 0);
  rimport_imports_free(im);
}

static void empty_and_blank_input(void **state) {
  rimport_imports *im = (rimport_imports *)&im;
  (void)state;
  assert_int_equal(rimport_parse(NULL, 0, &im), 0);
  assert_non_null(im);
  assert_int_equal(rimport_imports_count(im), 0);
  assert_null(rimport_imports_array(im));
  rimport_imports_free(im);
  im = parse_ok("");
  rimport_imports_free(im);
  im = parse_ok("\n\n   \n# only a comment");
  assert_int_equal(rimport_imports_count(im), 0);
  rimport_imports_free(im);
  assert_int_equal(rimport_imports_count(NULL), 0);
  assert_null(rimport_imports_array(NULL));
  rimport_imports_free(NULL);
}

static void invalid_arguments(void **state) {
  rimport_imports *im = (rimport_imports *)&im;
  (void)state;
  rimport_test_assert_error(rimport_parse(NULL, 3, &im), RIMPORT_EINVAL,
                            "NULL");
  assert_null(im);
  rimport_test_assert_error(rimport_parse("rimport a", 9, NULL), RIMPORT_EINVAL,
                            "out");
  rimport_error_clear();
}

/* --- lexing corners ---------------------------------------------------------
 */

static void crlf_line_endings(void **state) {
  const char *src = "x = 1\r\nrimport a  # c\r\nfrom b rimport (C,\r\n  D)\r\n";
  rimport_imports *im;
  (void)state;
  im = parse_ok(src);
  assert_int_equal(rimport_imports_count(im), 2);
  assert_string_equal(nth(im, 0)->statement, "rimport a");
  assert_span(&nth(im, 0)->span, 7, 16, 2, 1, 2);
  assert_string_equal(nth(im, 1)->statement, "from b rimport (C,\r\n  D)");
  assert_span(&nth(im, 1)->items[1].span, off(src, "D)"), off(src, "D)") + 1, 4,
              3, 4);
  rimport_imports_free(im);
  /* A lone CR is a blank, not a line end. */
  parse_fails("rimport a\r\rrimport_b = 1\n", 1, 12, "end of the line");
  im = parse_ok("x = 1\r\r\nrimport a\r");
  assert_int_equal(rimport_imports_count(im), 1);
  rimport_imports_free(im);
  parse_fails("x = 1\r\nrimport a;\r\n", 2, 10, "stand alone");
}

static void tabs_count_one_column(void **state) {
  const char *src = "\trimport\ta\tas\tb\n";
  rimport_imports *im;
  (void)state;
  im = parse_ok(src);
  assert_span(&nth(im, 0)->span, 1, 15, 1, 2, 1);
  assert_string_equal(nth(im, 0)->statement, "rimport\ta\tas\tb");
  rimport_imports_free(im);
  parse_fails("\t\trimport a b", 1, 13, "end of the line");
}

static void unicode_columns(void **state) {
  /* é is 2 bytes, 😀 is 4: columns count characters. */
  const char *src = "s = \"é😀\"\n"
                    "from a rimport (é_x,)\n";
  (void)state;
  parse_fails(src, 2, 17, "non-ASCII");
  parse_fails("x = 'éé'; rimport a", 1, 11, "must start its own line");
  parse_fails("rimport a(features=[\"é\", \"ü x\"])", 1, 26,
              "invalid feature name");
}

static void not_nul_terminated(void **state) {
  const char *text = "rimport reqwest as rq";
  size_t n = strlen(text) - 1; /* cut "rq" to "r" */
  char *buf = malloc(n);
  rimport_imports *im;
  (void)state;
  assert_non_null(buf);
  memcpy(buf, text, n);
  im = parse_len(buf, n);
  assert_string_equal(nth(im, 0)->alias, "r");
  assert_span(&nth(im, 0)->span, 0, n, 1, 1, 1);
  rimport_imports_free(im);
  /* An error at the very end of an exact buffer. */
  memcpy(buf, "rimport a(version=\"1", 20);
  assert_int_equal(rimport_parse(buf, 20, &im), RIMPORT_EPARSE);
  assert_int_equal(rimport_error_last()->column, 19);
  free(buf);
  rimport_error_clear();
}

static void nul_bytes(void **state) {
  static const char src[] = "x = '\0rimport a'\n\0\nrimport b\0";
  rimport_imports *im;
  (void)state;
  /* NUL in code is just a byte; a NUL after a statement is an error. */
  assert_int_equal(rimport_parse(src, sizeof(src) - 1, &im), RIMPORT_EPARSE);
  assert_int_equal(rimport_error_last()->line, 3);
  assert_int_equal(rimport_error_last()->column, 10);
  assert_non_null(strstr(rimport_error_last()->message, "0x00"));
  assert_null(im);
  im = parse_len(src, sizeof(src) - 2);
  assert_int_equal(rimport_imports_count(im), 1);
  assert_string_equal(nth(im, 0)->crate, "b");
  rimport_imports_free(im);
  rimport_error_clear();
}

static void string_escapes(void **state) {
  rimport_imports *im;
  (void)state;
  im = parse_ok("rimport a(path=\"d\\u00e9j\\U0001F600\\x41 \\\\x\\'\\\"\", "
                "features=['caf\\u00e9', \"x\\x2Dy\"])\n");
  assert_string_equal(nth(im, 0)->path, "d\xc3\xa9j\xf0\x9f\x98\x80"
                                        "A \\x'\"");
  assert_string_equal(nth(im, 0)->features[0], "caf\xc3\xa9");
  assert_string_equal(nth(im, 0)->features[1], "x-y");
  rimport_imports_free(im);
}

static void accepted_names_and_values(void **state) {
  char name[70];
  char src[128];
  rimport_imports *im;
  (void)state;
  memset(name, 'a', 64);
  name[64] = '\0';
  snprintf(src, sizeof(src), "rimport %s\n", name);
  im = parse_ok(src);
  assert_string_equal(nth(im, 0)->crate, name);
  rimport_imports_free(im);
  im = parse_ok(
      "from a rimport _x, x9 as _y\n"
      "rimport b(version=\"^1.2.3-beta.1+b, <2, *, ~1, =1\","
      " features=[\"_a\", \"9b\", \"a-b+c.d\", \"\xc3\xa9t\xc3\xa9\"])\n"
      "rimport c(path=\"../../x y/..\")\n");
  assert_item(&nth(im, 0)->items[1], "x9", "_y", 0);
  assert_string_equal(nth(im, 1)->version, "^1.2.3-beta.1+b, <2, *, ~1, =1");
  assert_int_equal(nth(im, 1)->feature_count, 4);
  assert_string_equal(nth(im, 2)->path, "../../x y/..");
  rimport_imports_free(im);
}

static void shapes_have_names(void **state) {
  (void)state;
  assert_string_equal(rimport_shape_name(RIMPORT_SHAPE_I64), "i64");
  assert_string_equal(rimport_shape_name(RIMPORT_SHAPE_STR), "&str");
  assert_string_equal(rimport_shape_name(RIMPORT_SHAPE_VEC_F64), "Vec[f64]");
  assert_string_equal(rimport_shape_name(RIMPORT_SHAPE_DYNAMIC), "Dynamic");
  assert_string_equal(rimport_shape_rust(RIMPORT_SHAPE_VEC_I64), "Vec<i64>");
  assert_string_equal(rimport_shape_rust(RIMPORT_SHAPE_STRING), "String");
  assert_string_equal(rimport_shape_rust(RIMPORT_SHAPE_F64), "f64");
  assert_null(rimport_shape_name((rimport_shape)0));
  assert_null(rimport_shape_name((rimport_shape)8));
  assert_null(rimport_shape_rust((rimport_shape)-1));
}

/* --- errors --------------------------------------------------------------- */

static void err_rimport_after_semicolon(void **state) {
  (void)state;
  parse_fails("x = 1; rimport foo\n", 1, 8, "must start its own line");
  parse_fails("import os; from a rimport b\n", 1, 12,
              "must start its own line");
}

static void err_code_after_statement(void **state) {
  (void)state;
  parse_fails("rimport a; x = 1\n", 1, 10, "stand alone on its line");
  parse_fails("from a rimport B x\n", 1, 18, "end of the line");
  parse_fails("rimport a)\n", 1, 10, "found `)`");
}

static void err_bad_crate_names(void **state) {
  char src[128];
  (void)state;
  parse_fails("rimport ../x\n", 1, 9, "path=");
  parse_fails("rimport .x\n", 1, 9, "invalid crate name `.x`");
  parse_fails("rimport a/b\n", 1, 9, "invalid crate name `a/b`");
  parse_fails("rimport 1abc\n", 1, 9, "does not start with an ASCII letter");
  parse_fails("rimport _abc\n", 1, 9, "does not start with an ASCII letter");
  parse_fails("rimport caf\xc3\xa9\n", 1, 9, "non-ASCII");
  parse_fails("rimport self\n", 1, 9, "Rust keyword");
  parse_fails("rimport crate\n", 1, 9, "Rust keyword");
  parse_fails("from super rimport x\n", 1, 6, "Rust keyword");
  parse_fails("rimport a.b\n", 1, 9, "from crate.module rimport");
  memset(src, 0, sizeof(src));
  memcpy(src, "rimport ", 8);
  memset(src + 8, 'a', 65);
  parse_fails(src, 1, 9, "longer than 64");
}

static void err_bad_module_paths(void **state) {
  (void)state;
  parse_fails("from a..b rimport X\n", 1, 8, "module name right after `.`");
  parse_fails("from a. rimport X\n", 1, 9, "module name right after `.`");
  parse_fails("from .a rimport X\n", 1, 6, "no relative imports");
  parse_fails("from a.self rimport X\n", 1, 8, "invalid module name `self`");
  parse_fails("from a.9x rimport X\n", 1, 8, "starts with a digit");
  parse_fails("from a.b-c rimport X\n", 1, 9, "expected `rimport`");
}

static void err_bad_item_and_alias_names(void **state) {
  (void)state;
  parse_fails("from a rimport fn\n", 1, 16, "invalid item name `fn`");
  parse_fails("from a rimport _\n", 1, 16, "`_` alone");
  parse_fails("from a rimport 9x\n", 1, 16, "starts with a digit");
  parse_fails("from a rimport X as Self\n", 1, 21, "invalid alias `Self`");
  parse_fails("rimport a as super\n", 1, 14, "invalid alias `super`");
  parse_fails("rimport a as\n", 1, 13, "alias name after `as`");
  parse_fails("from a rimport X as 'y'\n", 1, 21, "alias name after `as`");
}

static void err_from_with_arguments(void **state) {
  (void)state;
  parse_fails("from a(version=\"1\") rimport X\n", 1, 7,
              "put them on a `rimport a(...)` statement");
}

static void err_missing_rimport_keyword(void **state) {
  (void)state;
  parse_fails("from a rimport\nfrom a X rimport Y\n", 1, 15,
              "empty import list");
  parse_fails("from a X rimport Y\n", 1, 8, "expected `rimport`");
  parse_fails("rimport\n", 1, 8, "crate name after `rimport`");
  parse_fails("rimport", 1, 8, "found end of input");
  parse_fails("rimport (a)\n", 1, 9, "crate name after `rimport`");
}

static void err_empty_import_list(void **state) {
  (void)state;
  parse_fails("from a rimport\n", 1, 15, "empty import list");
  parse_fails("from a rimport ()\n", 1, 17, "empty import list");
  parse_fails("from a rimport (\n  # nothing\n)\n", 3, 1, "empty import list");
  parse_fails("from a rimport X,\n", 1, 18, "trailing `,`");
  parse_fails("from a rimport (X,,)\n", 1, 19, "an item name");
}

static void err_glob_misuse(void **state) {
  (void)state;
  parse_fails("from r rimport * as x\n", 1, 18, "cannot be renamed");
  parse_fails("from r rimport *, X\n", 1, 19, "cannot be combined");
  parse_fails("from r rimport X, *\n", 1, 19, "cannot be combined");
}

static void err_unsupported_shapes(void **state) {
  (void)state;
  parse_fails("from m rimport largest[u8]\n", 1, 24,
              "supported shapes are i64, f64, &str, String, Vec[i64], "
              "Vec[f64] and Dynamic");
  parse_fails("from m rimport f[Vec[u8]]\n", 1, 22, "`Vec[u8]`");
  parse_fails("from m rimport f[Vec]\n", 1, 18, "`Vec` without");
  parse_fails("from m rimport f[&i64]\n", 1, 19, "`&i64`");
  parse_fails("from m rimport f[]\n", 1, 18, "expected a shape");
  parse_fails("from m rimport f[i64\n", 1, 17, "`[` is never closed");
  parse_fails("from m rimport f[i64 f64]\n", 1, 22, "`,` or `]`");
}

static void err_version_and_path(void **state) {
  (void)state;
  parse_fails("rimport a(version=\"1\", path=\"../a\")\n", 1, 24,
              "version and path cannot both be given");
  parse_fails("rimport a(path=\"../a\",\n  version=\"1\")\n", 2, 3,
              "version and path");
}

static void err_duplicate_keyword(void **state) {
  (void)state;
  parse_fails("rimport a(features=[], version=\"1\", features=[])\n", 1, 37,
              "duplicate keyword argument `features`");
}

static void err_unknown_keyword(void **state) {
  (void)state;
  parse_fails("rimport a(feature=[\"x\"])\n", 1, 11,
              "known arguments are version, path, package, features and "
              "default_features");
  parse_fails("rimport a(\"1.0\")\n", 1, 11, "keyword argument");
  parse_fails("rimport a as b(version=\"1\")\n", 1, 15, "before `as`");
}

static void err_wrong_argument_types(void **state) {
  (void)state;
  parse_fails("rimport a(features=\"x\")\n", 1, 20,
              "features expects a list of strings, found a string");
  parse_fails("rimport a(version=1.0)\n", 1, 19, "version expects a string");
  parse_fails("rimport a(path=[\"x\"])\n", 1, 16, "found a list");
  parse_fails("rimport a(default_features=\"no\")\n", 1, 28,
              "default_features expects True or False");
  parse_fails("rimport a(default_features=None)\n", 1, 28, "True or False");
  parse_fails("rimport a(features=[1])\n", 1, 21, "feature name in quotes");
  parse_fails("rimport a(version=)\n", 1, 19, "a string after `=`");
}

static void err_missing_equals(void **state) {
  (void)state;
  parse_fails("rimport a(version \"1\")\n", 1, 19,
              "expected `=` after `version`");
  parse_fails("rimport a(version=\"1\" path=\"x\")\n", 1, 23, "`,` or `)`");
}

static void err_bad_string_values(void **state) {
  (void)state;
  parse_fails("rimport a(version=\"\")\n", 1, 19, "empty string for version");
  parse_fails("rimport a(version=\"1;rm\")\n", 1, 19,
              "invalid version requirement");
  parse_fails("rimport a(path=\"a\\nb\")\n", 1, 16, "control character");
  parse_fails("rimport a(path=\"a\\0\")\n", 1, 16, "control character");
  parse_fails("rimport a(path=\"\")\n", 1, 16, "empty string for path");
  parse_fails("rimport a(package=\"../x\")\n", 1, 19, "invalid package name");
  parse_fails("rimport a(features=[\"-x\"])\n", 1, 21, "invalid feature name");
  parse_fails("rimport a(features=[\"a/b\"])\n", 1, 21, "invalid feature");
  parse_fails("rimport a(features=[\"\"])\n", 1, 21,
              "empty string for a feature");
}

static void err_bad_escapes(void **state) {
  (void)state;
  parse_fails("rimport a(path=\"x\\q\")\n", 1, 18, "unknown escape `\\q`");
  parse_fails("rimport a(path=\"x\\xff\")\n", 1, 18, "above \\x7f");
  parse_fails("rimport a(path=\"\\ud800\")\n", 1, 17, "not a Unicode scalar");
  parse_fails("rimport a(path=\"\\U00110000\")\n", 1, 17, "not a Unicode");
  parse_fails("rimport a(path=\"\\u12g4\")\n", 1, 17, "hex digits");
  parse_fails("rimport a(path=\"\\u12\")\n", 1, 17, "incomplete escape");
}

static void err_invalid_utf8_in_string(void **state) {
  (void)state;
  parse_fails("rimport a(path=\"ab\xff\")\n", 1, 19, "invalid UTF-8");
  parse_fails("rimport a(path=\"\xc3\xa9\xc3\")\n", 1, 18, "invalid UTF-8");
  parse_fails("rimport a(path=\"\xed\xa0\x80\")\n", 1, 17, "invalid UTF-8");
  parse_fails("rimport a(path=\"\xc0\xaf\")\n", 1, 17, "invalid UTF-8");
}

static void err_unterminated_string(void **state) {
  (void)state;
  parse_fails("rimport a(version=\"1.0)\n", 1, 19, "unterminated string");
  parse_fails("rimport a(features=['x', 'y\n", 1, 26, "unterminated string");
  parse_fails("rimport a(path=\"x\\", 1, 16, "unterminated string");
}

static void err_duplicate_alias(void **state) {
  (void)state;
  parse_fails("rimport a as b\nrimport c as b\n", 2, 14,
              "`b` is already bound on line 1 to crate `a`");
  parse_fails("from a rimport X\n\nfrom b rimport X\n", 3, 16,
              "already bound on line 1 to `a::X`");
  parse_fails("rimport tokio-util\nfrom x rimport tokio_util\n", 2, 16,
              "line 1");
  parse_fails("rimport reqwest\nfrom a rimport X as reqwest\n", 2, 21,
              "crate `reqwest`");
  parse_fails("from m rimport f[i64] as g, f[f64] as g\n", 1, 39,
              "`m::f[i64]`");
  parse_fails("from m.n rimport A as B, C as B\n", 1, 31, "`m::n::C`");
}

static void err_unbalanced_brackets(void **state) {
  (void)state;
  parse_fails("rimport a(version=\"1\"\n", 1, 10, "`(` is never closed");
  parse_fails("from a rimport (X,\n  Y\n", 1, 16, "`(` is never closed");
  parse_fails("rimport a(features=[\"x\")\n", 1, 24, "`,` or `]`");
  parse_fails("from a rimport (X]\n", 1, 18, "`,` or `)`");
  parse_fails("from a rimport X)\n", 1, 17, "found `)`");
}

static void err_end_of_input_mid_statement(void **state) {
  (void)state;
  parse_fails("rimport a(version=", 1, 10, "found end of input");
  parse_fails("from a rimport X[", 1, 17, "`[` is never closed");
  parse_fails("from a rimport X as", 1, 20, "found end of input");
  parse_fails("rimport a(features=[", 1, 20, "`[` is never closed");
}

static void err_first_problem_wins(void **state) {
  (void)state;
  /* Two bad statements: the error is about the first. */
  parse_fails("x = 1\nrimport 1a\nrimport 2b\n", 2, 9, "`1a`");
  parse_fails("rimport a(bad=1, version=\"\")\n", 1, 11, "unknown keyword");
}

static void error_leaves_nothing_behind(void **state) {
  rimport_imports *im = NULL;
  (void)state;
  /* Many good imports, then an error: all of it is freed (ASan/valgrind). */
  const char *src = "rimport a(features=[\"x\"])\nfrom b rimport "
                    "C[i64], D\nrimport e as 9\n";
  (void)state;
  assert_int_equal(rimport_parse(src, strlen(src), &im), RIMPORT_EPARSE);
  assert_null(im);
  rimport_error_clear();
}

/* --- scale ------------------------------------------------------------------
 */

/* Time limits are for native and sanitizer runs; valgrind is ~50x slower. */
static double time_limit(double s) {
  return RUNNING_ON_VALGRIND ? s * 100 : s;
}

static double seconds(void) {
  return (double)uv_hrtime() / 1e9;
}

static void large_input_is_linear(void **state) {
  const size_t size = 1 << 20;
  char *buf = malloc(size);
  rimport_imports *im;
  size_t n = 0, lines = 0;
  double t0;
  (void)state;
  assert_non_null(buf);
  /* 1 MB of imports and code. */
  while (n + 64 < size) {
    n += (size_t)sprintf(buf + n,
                         lines % 2 ? "from c%zu.m rimport X%zu, Y%zu[i64]\n"
                                   : "x = 'rimport a' # %zu %zu %zu\n",
                         lines, lines, lines);
    lines++;
  }
  t0 = seconds();
  im = parse_len(buf, n);
  assert_true(seconds() - t0 < time_limit(1.0));
  assert_int_equal(rimport_imports_count(im), lines / 2);
  rimport_imports_free(im);
  /* One 1 MB statement: a parenthesised list of 100k items. */
  n = (size_t)sprintf(buf, "from a rimport (");
  while (n + 32 < size)
    n += (size_t)sprintf(buf + n, "I%zu,\n", n);
  buf[n++] = ')';
  t0 = seconds();
  im = parse_len(buf, n);
  assert_true(seconds() - t0 < time_limit(1.0));
  assert_true(nth(im, 0)->item_count > 50000);
  rimport_imports_free(im);
  free(buf);
}

static void deep_nesting_and_long_tokens(void **state) {
  const size_t size = 1 << 20;
  char *buf = malloc(size);
  rimport_imports *im;
  double t0;
  (void)state;
  assert_non_null(buf);
  /* 1 MB of open brackets in code: no recursion, no error. */
  memset(buf, '(', size);
  t0 = seconds();
  im = parse_len(buf, size);
  assert_int_equal(rimport_imports_count(im), 0);
  rimport_imports_free(im);
  /* `from` and a 1 MB unclosed bracket: scanned a bounded number of times. */
  memcpy(buf, "from ", 5);
  im = parse_len(buf, size);
  rimport_imports_free(im);
  /* 1 MB of `x; from a import b;` statements. */
  {
    size_t n = 0;
    while (n + 32 < size)
      n += (size_t)sprintf(buf + n, "x; from a import b; ");
    im = parse_len(buf, n);
    rimport_imports_free(im);
  }
  /* A 1 MB crate name and a 1 MB item name: errors, quoted briefly. */
  memcpy(buf, "rimport ", 8);
  memset(buf + 8, 'a', size - 8);
  assert_int_equal(rimport_parse(buf, size, &im), RIMPORT_EPARSE);
  assert_true(strlen(rimport_error_last()->text) <= 80);
  assert_true(strlen(rimport_error_last()->message) < 1000);
  memcpy(buf, "from a rimport ", 15);
  memset(buf + 15, 'b', size - 15);
  im = parse_len(buf, size);
  assert_int_equal(strlen(nth(im, 0)->items[0].name), size - 15);
  rimport_imports_free(im);
  assert_true(seconds() - t0 < time_limit(2.0));
  free(buf);
  rimport_error_clear();
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(crate_plain),
    cmocka_unit_test(crate_alias),
    cmocka_unit_test(crate_list),
    cmocka_unit_test(crate_hyphen_name),
    cmocka_unit_test(crate_args_full),
    cmocka_unit_test(crate_args_multiline),
    cmocka_unit_test(crate_path_and_package),
    cmocka_unit_test(from_items),
    cmocka_unit_test(from_module),
    cmocka_unit_test(from_paren_multiline),
    cmocka_unit_test(from_generics),
    cmocka_unit_test(from_glob),
    cmocka_unit_test(from_glob_in_parens),
    cmocka_unit_test(indented_and_blank_lines),
    cmocka_unit_test(source_order_mixed_with_code),
    cmocka_unit_test(backslash_continuation),
    cmocka_unit_test(same_import_twice_is_fine),
    cmocka_unit_test(generic_instantiations_share_name),
    cmocka_unit_test(rimport_in_strings_and_comments),
    cmocka_unit_test(rimport_not_a_whole_word_or_not_first),
    cmocka_unit_test(unbalanced_code_is_not_an_error),
    cmocka_unit_test(empty_and_blank_input),
    cmocka_unit_test(invalid_arguments),
    cmocka_unit_test(crlf_line_endings),
    cmocka_unit_test(tabs_count_one_column),
    cmocka_unit_test(unicode_columns),
    cmocka_unit_test(not_nul_terminated),
    cmocka_unit_test(nul_bytes),
    cmocka_unit_test(string_escapes),
    cmocka_unit_test(accepted_names_and_values),
    cmocka_unit_test(shapes_have_names),
    cmocka_unit_test(err_rimport_after_semicolon),
    cmocka_unit_test(err_code_after_statement),
    cmocka_unit_test(err_bad_crate_names),
    cmocka_unit_test(err_bad_module_paths),
    cmocka_unit_test(err_bad_item_and_alias_names),
    cmocka_unit_test(err_from_with_arguments),
    cmocka_unit_test(err_missing_rimport_keyword),
    cmocka_unit_test(err_empty_import_list),
    cmocka_unit_test(err_glob_misuse),
    cmocka_unit_test(err_unsupported_shapes),
    cmocka_unit_test(err_version_and_path),
    cmocka_unit_test(err_duplicate_keyword),
    cmocka_unit_test(err_unknown_keyword),
    cmocka_unit_test(err_wrong_argument_types),
    cmocka_unit_test(err_missing_equals),
    cmocka_unit_test(err_bad_string_values),
    cmocka_unit_test(err_bad_escapes),
    cmocka_unit_test(err_invalid_utf8_in_string),
    cmocka_unit_test(err_unterminated_string),
    cmocka_unit_test(err_duplicate_alias),
    cmocka_unit_test(err_unbalanced_brackets),
    cmocka_unit_test(err_end_of_input_mid_statement),
    cmocka_unit_test(err_first_problem_wins),
    cmocka_unit_test(error_leaves_nothing_behind),
    cmocka_unit_test(large_input_is_linear),
    cmocka_unit_test(deep_nesting_and_long_tokens),
};

RIMPORT_TEST_MAIN(tests, NULL)
