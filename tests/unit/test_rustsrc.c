/* The rustsrc stage (src/rustsrc): the Rust tokenizer's corners, the split
 * of a cell into items and statements (every item kind, the statement forms
 * that look like items, exact line and column preservation, the errors),
 * the names the items bind, the visibility pass (every rule, where the text
 * goes, and a real rustc compiling a crate that uses another's items made
 * public), and the identifiers a text mentions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "common/common.h"
#include "rustsrc/rustsrc.h"
#include "rustsrc/rustsrc_internal.h"

/* --- helpers ----------------------------------------------------------- */

/* Whitespace runs as one space, none at the ends (a static buffer per
 * slot, so two can be compared). */
static const char *squeeze_slot(const char *s, size_t len, int slot) {
  static char bufs[2][8192];
  char *out = bufs[slot];
  size_t i, n = 0;
  int space = 0;
  for (i = 0; i < len; i++) {
    char c = s[i];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = n > 0;
      continue;
    }
    if (space && n + 1 < sizeof(bufs[0]))
      out[n++] = ' ';
    space = 0;
    if (n + 1 < sizeof(bufs[0]))
      out[n++] = c;
  }
  out[n] = '\0';
  return out;
}

/* The split's promises: both outputs have the input's length and line
 * breaks, and every other byte is the input's in exactly one of them (a
 * space in the other). */
static void check_split(const char *text, size_t len, const rimport_buf *items,
                        const rimport_buf *stmts) {
  size_t i;
  assert_int_equal(items->size, len);
  assert_int_equal(stmts->size, len);
  assert_non_null(items->ptr);
  assert_non_null(stmts->ptr);
  assert_int_equal(items->ptr[len], '\0');
  assert_int_equal(stmts->ptr[len], '\0');
  for (i = 0; i < len; i++) {
    char c = text[i], a = items->ptr[i], b = stmts->ptr[i];
    if (c == '\n' || c == '\r') {
      assert_int_equal(a, c);
      assert_int_equal(b, c);
    } else if (!((a == c && b == ' ') || (a == ' ' && b == c))) {
      fail_msg("byte %zu: input '%c', items '%c', statements '%c'", i, c, a, b);
    }
  }
}

/* Splits `text` and compares both outputs, whitespace squeezed. */
static void split_is(const char *text, const char *items, const char *stmts) {
  rimport_buf it = RIMPORT_BUF_INIT, st = RIMPORT_BUF_INIT;
  size_t len = strlen(text);
  int rc = rimport_cell_split(text, len, &it, &st);
  if (rc != 0)
    fail_msg("rimport_cell_split failed: %s", rimport_error_last()->message);
  check_split(text, len, &it, &st);
  if (strcmp(squeeze_slot(it.ptr, it.size, 0), items) != 0)
    fail_msg("items of\n%s\nare\n  %s\nexpected\n  %s", text,
             squeeze_slot(it.ptr, it.size, 0), items);
  if (strcmp(squeeze_slot(st.ptr, st.size, 1), stmts) != 0)
    fail_msg("statements of\n%s\nare\n  %s\nexpected\n  %s", text,
             squeeze_slot(st.ptr, st.size, 1), stmts);
  rimport_buf_dispose(&it);
  rimport_buf_dispose(&st);
}

/* Splitting fails with EPARSE at line:col, the message containing each
 * needle; both buffers are left empty. */
static void split_fails(const char *text, unsigned line, unsigned col,
                        const char *needle, const char *needle2) {
  rimport_buf it = RIMPORT_BUF_INIT, st = RIMPORT_BUF_INIT;
  const rimport_error *err;
  int rc;
  rimport__buf_puts(&it, "old");
  rc = rimport_cell_split(text, strlen(text), &it, &st);
  rimport_test_assert_error(rc, RIMPORT_EPARSE, needle);
  if (needle2 != NULL)
    rimport_test_assert_error(rc, RIMPORT_EPARSE, needle2);
  err = rimport_error_last();
  if (err->line != line || err->column != col)
    fail_msg("error at %u:%u, expected %u:%u: %s", err->line, err->column, line,
             col, err->message);
  assert_non_null(err->text);
  assert_int_equal(it.size, 0);
  assert_int_equal(st.size, 0);
  rimport_buf_dispose(&it);
  rimport_buf_dispose(&st);
  rimport_error_clear();
}

/* "kind name" lines of a names list, one per name. */
static const char *names_text(const rimport__rs_names *n) {
  static char buf[4096];
  size_t i, used = 0;
  buf[0] = '\0';
  for (i = 0; i < n->count && used < sizeof(buf); i++)
    used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s %s",
                             i ? ", " : "", rimport__rs_kind_name(n->v[i].kind),
                             n->v[i].name);
  return buf;
}

static void names_are(const char *items, const char *want, int glob,
                      int nameless) {
  rimport__rs_names n = RIMPORT__RS_NAMES_INIT;
  int rc = rimport__rs_item_names(items, strlen(items), &n);
  if (rc != 0)
    fail_msg("rimport__rs_item_names failed: %s",
             rimport_error_last()->message);
  if (strcmp(names_text(&n), want) != 0)
    fail_msg("names of\n%s\nare\n  %s\nexpected\n  %s", items, names_text(&n),
             want);
  assert_int_equal(n.has_glob, glob);
  assert_int_equal(n.has_nameless, nameless);
  rimport__rs_names_dispose(&n);
}

/* make_public of `items` is exactly `want`. */
static void public_is(const char *items, const char *want) {
  rimport_buf out = RIMPORT_BUF_INIT;
  int rc = rimport__rs_make_public(items, strlen(items), &out);
  if (rc != 0)
    fail_msg("rimport__rs_make_public failed: %s",
             rimport_error_last()->message);
  if (strcmp(out.ptr, want) != 0)
    fail_msg("make_public of\n%s\ngave\n%s\nexpected\n%s", items, out.ptr,
             want);
  /* Once public, nothing more to do. */
  {
    rimport_buf again = RIMPORT_BUF_INIT;
    assert_int_equal(rimport__rs_make_public(out.ptr, out.size, &again), 0);
    assert_string_equal(again.ptr, out.ptr);
    rimport_buf_dispose(&again);
  }
  rimport_buf_dispose(&out);
}

static const char *idents_text(const char *text) {
  rimport__rs_names n = RIMPORT__RS_NAMES_INIT;
  static char buf[4096];
  size_t i, used = 0;
  int rc = rimport__rs_idents(text, strlen(text), &n);
  if (rc != 0)
    fail_msg("rimport__rs_idents failed: %s", rimport_error_last()->message);
  buf[0] = '\0';
  for (i = 0; i < n.count && used < sizeof(buf); i++) {
    assert_int_equal(n.v[i].kind, RIMPORT__RS_IDENT);
    used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s",
                             i ? " " : "", n.v[i].name);
  }
  rimport__rs_names_dispose(&n);
  return buf;
}

/* --- the tokenizer ------------------------------------------------------- */

/* "kind:text" of each token, space-separated. */
static const char *tokens_of(const char *src) {
  static char buf[4096];
  static const char *const kinds[] = {"eof", "id",  "lt", "ch",
                                      "str", "num", "p",  "cm"};
  rimport__rs_lexer lx;
  rimport__rs_tok t;
  size_t used = 0;
  buf[0] = '\0';
  rimport__rs_lex_init(&lx, src, strlen(src));
  while (rimport__rs_lex_next(&lx, &t) && used < sizeof(buf))
    used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s%s:%.*s",
                             used ? " " : "", t.raw ? "raw" : "", kinds[t.kind],
                             (int)(t.end - t.start), src + t.start);
  assert_null(lx.err_what);
  return buf;
}

static void lex_literals_and_numbers(void **state) {
  (void)state;
  assert_string_equal(tokens_of("1..2 1_000u64 0x1F 1e-3 1.0f32 x.0.1 1.max"),
                      "num:1 p:. p:. num:2 num:1_000u64 num:0x1F num:1e-3 "
                      "num:1.0f32 id:x p:. num:0.1 num:1 p:. id:max");
  assert_string_equal(tokens_of("r#type r#\"a\"# b'x' b'\\'' c\"c\" cr\"c\" "
                                "br##\"a\"#b\"## b\"\\\"\""),
                      "rawid:r#type str:r#\"a\"# ch:b'x' ch:b'\\'' str:c\"c\" "
                      "str:cr\"c\" str:br##\"a\"#b\"## str:b\"\\\"\"");
  assert_string_equal(tokens_of("'a 'static '\\n' '\\u{1F600}' '\\'' 'x' '}' "
                                "'é' '\xf0\x9f\x98\x80'"),
                      "lt:'a lt:'static ch:'\\n' ch:'\\u{1F600}' ch:'\\'' "
                      "ch:'x' ch:'}' ch:'é' ch:'\xf0\x9f\x98\x80'");
  assert_string_equal(tokens_of("/// o\n//! i\n//// no\n/** o */ /*! i */ "
                                "/**/ /*** no */ /* a /* b */ c */x"),
                      "cm:/// o cm://! i cm://// no cm:/** o */ cm:/*! i */ "
                      "cm:/**/ cm:/*** no */ cm:/* a /* b */ c */ id:x");
  assert_string_equal(tokens_of("f<'a>(x: &'a str) -> char { '}' }"),
                      "id:f p:< lt:'a p:> p:( id:x p:: p:& lt:'a id:str p:) "
                      "p:- p:> id:char p:{ ch:'}' p:}");
  assert_string_equal(tokens_of("é名 _x"), "id:é名 id:_x");
}

static void lex_doc_comment_kinds(void **state) {
  rimport__rs_lexer lx;
  rimport__rs_tok t;
  static const struct {
    const char *src;
    int doc;
  } cases[] = {{"/// d", RIMPORT__RS_DOC_OUTER},
               {"//! d", RIMPORT__RS_DOC_INNER},
               {"//// d", 0},
               {"// d", 0},
               {"/** d */", RIMPORT__RS_DOC_OUTER},
               {"/*! d */", RIMPORT__RS_DOC_INNER},
               {"/**/", 0},
               {"/*** d */", 0},
               {"///", RIMPORT__RS_DOC_OUTER}};
  size_t i;
  (void)state;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(cases); i++) {
    rimport__rs_lex_init(&lx, cases[i].src, strlen(cases[i].src));
    assert_int_equal(rimport__rs_lex_next(&lx, &t), 1);
    assert_int_equal(t.kind, RIMPORT__RS_TCOMMENT);
    if (t.doc != cases[i].doc)
      fail_msg("%s: doc %d, expected %d", cases[i].src, t.doc, cases[i].doc);
    assert_int_equal(t.end, strlen(cases[i].src));
  }
}

/* The text ends inside a token: no read past it (the copy has no NUL and
 * ASan or valgrind would see one), and the problem is flagged. */
static void lex_stops_at_the_end(void **state) {
  static const char *const cuts[] = {"\"abc\\", "r##\"abc\"#", "b'",
                                     "'\\",     "/* /* */",    "br#\"",
                                     "'",       "'\\u{1F",     "c\"x"};
  size_t i;
  (void)state;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(cuts); i++) {
    size_t len = strlen(cuts[i]);
    char *copy = malloc(len);
    rimport__rs_lexer lx;
    rimport__rs_tok t;
    int n = 0;
    memcpy(copy, cuts[i], len);
    rimport__rs_lex_init(&lx, copy, len);
    while (rimport__rs_lex_next(&lx, &t)) {
      assert_true(t.end <= len && t.start < t.end);
      n++;
    }
    assert_true(n >= 1);
    if (lx.err_what == NULL)
      fail_msg("%s: no error flagged", cuts[i]);
    assert_int_equal(lx.err_at, 0);
    free(copy);
  }
}

/* --- split: the rules ------------------------------------------------------
 */

static void split_interleaved_over_many_lines(void **state) {
  (void)state;
  split_is("// set up\n"
           "let mut total = 0;\n"
           "#[derive(Debug, Clone)]\n"
           "struct Point {\n"
           "    x: f64,\n"
           "    y: f64,\n"
           "}\n"
           "let p = Point { x: 1.0, y: 2.0 };\n"
           "impl Point {\n"
           "    fn norm(&self) -> f64 {\n"
           "        (self.x * self.x + self.y * self.y).sqrt()\n"
           "    }\n"
           "}\n"
           "total += 1;\n"
           "kprintln!(\"{}\", p.norm());\n"
           "fn helper(v: i32) -> i32 { v + 1 }\n"
           "helper(total)\n",
           "#[derive(Debug, Clone)] struct Point { x: f64, y: f64, } impl "
           "Point { fn norm(&self) -> f64 { (self.x * self.x + self.y * "
           "self.y).sqrt() } } fn helper(v: i32) -> i32 { v + 1 }",
           "// set up let mut total = 0; let p = Point { x: 1.0, y: 2.0 }; "
           "total += 1; kprintln!(\"{}\", p.norm()); helper(total)");
}

static void split_each_item_kind(void **state) {
  (void)state;
  split_is("fn f() {}\nstruct S;\nstruct T(i32);\nstruct U { a: u8 }\n"
           "enum E { A, B }\ntrait Tr { fn t(&self); }\nimpl Tr for S { fn "
           "t(&self) {} }\ntype Ty = u8;\nmod m;\nmod n { fn g() {} }\n"
           "use std::fmt;\nunion Un { a: u32 }\nconst C: u8 = 1;\n"
           "const _: () = ();\nconst fn cf() {}\nconst unsafe fn cuf() {}\n"
           "static X: u8 = 1;\nstatic mut Y: u8 = 1;\nextern crate core;\n"
           "extern \"C\" { fn abs(x: i32) -> i32; }\nextern \"C\" fn cb() {}\n"
           "extern fn cb2() {}\nextern { }\nunsafe fn uf() {}\n"
           "unsafe impl Send for S {}\nunsafe trait UT {}\nunsafe extern "
           "\"C\" {}\nasync fn af() {}\nasync unsafe fn auf() {}\n"
           "auto trait At {}\nunsafe auto trait Uat {}\n"
           "macro_rules! m1 { () => {} }\nmacro_rules! m2 ( () => {} );\n"
           "pub fn p() {}\npub(crate) fn pc() {}\npub(super) struct Ps;\n"
           "pub(in crate::a) enum Pe {}\n",
           "fn f() {} struct S; struct T(i32); struct U { a: u8 } enum E { A, "
           "B } trait Tr { fn t(&self); } impl Tr for S { fn t(&self) {} } "
           "type Ty = u8; mod m; mod n { fn g() {} } use std::fmt; union Un "
           "{ a: u32 } const C: u8 = 1; const _: () = (); const fn cf() {} "
           "const unsafe fn cuf() {} static X: u8 = 1; static mut Y: u8 = 1; "
           "extern crate core; extern \"C\" { fn abs(x: i32) -> i32; } extern "
           "\"C\" fn cb() {} extern fn cb2() {} extern { } unsafe fn uf() {} "
           "unsafe impl Send for S {} unsafe trait UT {} unsafe extern \"C\" "
           "{} async fn af() {} async unsafe fn auf() {} auto trait At {} "
           "unsafe auto trait Uat {} macro_rules! m1 { () => {} } "
           "macro_rules! m2 ( () => {} ); pub fn p() {} pub(crate) fn pc() {} "
           "pub(super) struct Ps; pub(in crate::a) enum Pe {}",
           "");
}

/* What looks like an item but is a statement. */
static void split_statements_that_look_like_items(void **state) {
  (void)state;
  split_is("const { assert!(true) };\n"
           "unsafe { f() };\n"
           "let a = async move { 1 };\n"
           "async { 2 };\n"
           "static || 3;\n"
           "let union = 4;\n"
           "union = 5;\n"
           "if a { 1 } else { 2 }\n"
           "match a { 1 => {} _ => {} }\n"
           "let f: fn(i32) -> i32 = |x| x;\n"
           "let g = |h: fn() -> fn()| h();\n"
           "kprintln!(\"{}\", 1);\n"
           "name! { struct X; }\n"
           "'outer: loop { break 'outer; }\n"
           "for i in 0..3 {}\n"
           "while false {}\n"
           "{ fn inner() {} }\n"
           "a + 1\n",
           "",
           "const { assert!(true) }; unsafe { f() }; let a = async move { 1 "
           "}; async { 2 }; static || 3; let union = 4; union = 5; if a { 1 "
           "} else { 2 } match a { 1 => {} _ => {} } let f: fn(i32) -> i32 = "
           "|x| x; let g = |h: fn() -> fn()| h(); kprintln!(\"{}\", 1); name! "
           "{ struct X; } 'outer: loop { break 'outer; } for i in 0..3 {} "
           "while false {} { fn inner() {} } a + 1");
}

static void split_statement_after_item_on_one_line(void **state) {
  (void)state;
  split_is("fn f() {} let x = f(); struct S; x", "fn f() {} struct S;",
           "let x = f(); x");
  split_is("let x = 1; fn f() {} f()", "fn f() {}", "let x = 1; f()");
  split_is("use a::b; b(); const C: u8 = { 1 }; C",
           "use a::b; const C: u8 = { 1 };", "b(); C");
}

static void split_raw_strings_with_hashes(void **state) {
  (void)state;
  split_is("let s = r#\"a \"quoted\" } { str\"#;\n"
           "fn f() -> &'static str { r##\"x \"# } \"## }\n"
           "let b = br#\"}\"#; let c = cr\"{\";\n",
           "fn f() -> &'static str { r##\"x \"# } \"## }",
           "let s = r#\"a \"quoted\" } { str\"#; let b = br#\"}\"#; let c = "
           "cr\"{\";");
}

static void split_chars_and_lifetimes(void **state) {
  (void)state;
  split_is("fn f<'a>(x: &'a str) -> char { '}' }\n"
           "let c = '{';\nlet d = '\\'';\nlet e = b'}';\n"
           "struct R<'a> { s: &'a str }\n"
           "'l: { break 'l; }\n"
           "fn g() -> char { '\\u{7D}' }\n",
           "fn f<'a>(x: &'a str) -> char { '}' } struct R<'a> { s: &'a str } "
           "fn g() -> char { '\\u{7D}' }",
           "let c = '{'; let d = '\\''; let e = b'}'; 'l: { break 'l; }");
}

static void split_nested_block_comments(void **state) {
  (void)state;
  split_is("/* a { /* nested } */ still { */\n"
           "fn f() { /* } */ }\n"
           "let x = 1; /* { */\n",
           "fn f() { /* } */ }",
           "/* a { /* nested } */ still { */ let x = 1; /* { */");
}

static void split_braces_in_strings(void **state) {
  (void)state;
  split_is("let s = \"}\";\nfn f() -> &'static str { \"}}{\" }\n"
           "kprintln!(\"{{ {} }}\", \"\\\"}\");\n",
           "fn f() -> &'static str { \"}}{\" }",
           "let s = \"}\"; kprintln!(\"{{ {} }}\", \"\\\"}\");");
}

static void split_attributes_and_doc_comments(void **state) {
  (void)state;
  split_is("#[derive(Debug)]\n#[cfg_attr(test, derive(Clone, [x]))]\n"
           "struct S;\n"
           "/// Docs.\n/// More.\nfn f() {}\n"
           "/** Block docs. */\n#[inline]\nfn g() {}\n"
           "/// Not an item next.\nlet x = 1;\n"
           "#[allow(unused)]\nlet y = 2;\n"
           "// plain\n/// doc\n// plain inside\nfn h() {}\n",
           "#[derive(Debug)] #[cfg_attr(test, derive(Clone, [x]))] struct S; "
           "/// Docs. /// More. fn f() {} /** Block docs. */ #[inline] fn g() "
           "{} /// doc // plain inside fn h() {}",
           "/// Not an item next. let x = 1; #[allow(unused)] let y = 2; // "
           "plain");
}

static void split_inner_attributes(void **state) {
  (void)state;
  split_is("#![allow(unused)]\nfn f() {}\n//! inner doc\nfn g() {}\n"
           "#![cfg_attr(x, y)] struct S;",
           "fn f() {} fn g() {} struct S;",
           "#![allow(unused)] //! inner doc #![cfg_attr(x, y)]");
}

/* Item extents: generics with braces, where clauses, `;` inside groups. */
static void split_item_extents(void **state) {
  (void)state;
  split_is("fn f<const N: usize>() -> Foo<{ N + 1 }> { Foo }\nx;\n"
           "impl<T> Tr for Vec<T> where T: Fn() -> u8 { }\ny;\n"
           "const A: [u8; 2] = [1; 2];\nz;\n"
           "type F = fn(u8) -> u8;\nw;\n"
           "struct W<T>(T) where T: Copy;\nv;\n"
           "static S: &str = \"a;b\";\nu;\n",
           "fn f<const N: usize>() -> Foo<{ N + 1 }> { Foo } impl<T> Tr for "
           "Vec<T> where T: Fn() -> u8 { } const A: [u8; 2] = [1; 2]; type "
           "F = fn(u8) -> u8; struct W<T>(T) where T: Copy; static S: &str = "
           "\"a;b\";",
           "x; y; z; w; v; u;");
}

/* Line and column of every byte stay: same length, newlines (and CRLF) at
 * the same offsets, each kept byte at its offset. */
static void split_keeps_lines_and_columns(void **state) {
  const char *text = "let a = 1;\r\n  fn f() {\r\n    a\r\n  }\r\n"
                     "let b = \"é\"; struct S; /* x\n y */ b;\n\tconst C: u8 "
                     "= 2;";
  rimport_buf it = RIMPORT_BUF_INIT, st = RIMPORT_BUF_INIT;
  size_t len = strlen(text);
  const char *p;
  (void)state;
  assert_int_equal(rimport_cell_split(text, len, &it, &st), 0);
  check_split(text, len, &it, &st);
  p = strstr(text, "fn f");
  assert_memory_equal(it.ptr + (p - text), "fn f() {\r\n    a\r\n  }", 20);
  p = strstr(text, "struct S;");
  assert_memory_equal(it.ptr + (p - text), "struct S;", 9);
  assert_memory_equal(st.ptr + (p - text), "         ", 9);
  p = strstr(text, "const C");
  assert_memory_equal(it.ptr + (p - text), "const C: u8 = 2;", 16);
  assert_int_equal(it.ptr[p - text - 1], ' '); /* the tab, blanked */
  p = strstr(text, "/* x");
  assert_memory_equal(st.ptr + (p - text), "/* x\n y */ b;\n", 14);
  assert_memory_equal(it.ptr + (p - text), "    \n        \n", 14);
  rimport_buf_dispose(&it);
  rimport_buf_dispose(&st);
}

static void split_empty_and_null(void **state) {
  rimport_buf it = RIMPORT_BUF_INIT, st = RIMPORT_BUF_INIT;
  (void)state;
  assert_int_equal(rimport_cell_split(NULL, 0, &it, &st), 0);
  assert_int_equal(it.size, 0);
  assert_string_equal(it.ptr, "");
  assert_string_equal(st.ptr, "");
  assert_int_equal(rimport_cell_split("  \n// c\n", 8, &it, &st), 0);
  assert_string_equal(it.ptr, "  \n    \n");
  assert_string_equal(st.ptr, "  \n// c\n");
  rimport_test_assert_error(rimport_cell_split(NULL, 3, &it, &st),
                            RIMPORT_EINVAL, "NULL");
  assert_int_equal(it.size, 0);
  rimport_test_assert_error(rimport_cell_split("x", 1, NULL, &st),
                            RIMPORT_EINVAL, "RIMPORT_BUF_INIT");
  rimport_test_assert_error(rimport_cell_split("x", 1, &it, &it),
                            RIMPORT_EINVAL, "different");
  rimport_buf_dispose(&it);
  rimport_buf_dispose(&st);
  rimport_error_clear();
}

/* A text that is not NUL-terminated, cut inside a token. */
static void split_reads_only_len_bytes(void **state) {
  const char *full = "fn f() { 1 } let s = \"abc\";";
  rimport_buf it = RIMPORT_BUF_INIT, st = RIMPORT_BUF_INIT;
  size_t cut = 12; /* "fn f() { 1 }" */
  char *copy = malloc(cut);
  (void)state;
  memcpy(copy, full, cut);
  assert_int_equal(rimport_cell_split(copy, cut, &it, &st), 0);
  check_split(copy, cut, &it, &st);
  assert_string_equal(it.ptr, "fn f() { 1 }");
  free(copy);
  copy = malloc(24);
  memcpy(copy, full, 24); /* ends inside the string */
  rimport_test_assert_error(rimport_cell_split(copy, 24, &it, &st),
                            RIMPORT_EPARSE, "unterminated string");
  free(copy);
  rimport_buf_dispose(&it);
  rimport_buf_dispose(&st);
  rimport_error_clear();
}

static void split_errors_name_line_and_column(void **state) {
  (void)state;
  split_fails("let a = 1;\nfn f() {\n  let s = \"abc;\n}\n", 3, 11,
              "unterminated string starting at 3:11", "close it with `\"`");
  split_fails("let a = 1;\n/* open /* nested */\nfn f() {}\n", 2, 1,
              "unterminated block comment starting at 2:1", "`*/`");
  split_fails("x;\n  let r = r##\"abc\"#;\n", 2, 11,
              "unterminated raw string starting at 2:11", "`\"##`");
  split_fails("let b = b\"abc", 1, 9, "unterminated byte string", NULL);
  split_fails("let c = '{;\n", 1, 9, "unterminated character literal", NULL);
  split_fails("fn f() {}\n}\n", 2, 1, "unbalanced `}` at 2:1",
              "nothing before it is open");
  split_fails("fn f() {\n  let v = (1, 2];\n}\n", 2, 16,
              "unbalanced `]` at 2:16", "the `(` opened at 2:11");
  split_fails("fn main() {\n  if x {\n  }\n", 1, 11, "unbalanced `{` at 1:11",
              "never closed");
  split_fails("let é = \"ü\"; \"", 1, 14,
              "unterminated string starting at 1:14", NULL);
}

/* --- names ---------------------------------------------------------------- */

static void names_each_item_kind(void **state) {
  (void)state;
  names_are("fn f() {}\nstruct S;\nenum E { A }\nunion U { a: u32 }\n"
            "trait T {}\ntype Ty = u8;\nconst C: u8 = 1;\nconst _: () = ();\n"
            "static X: u8 = 1;\nstatic mut Y: u8 = 1;\nmod m {}\nmod n;\n"
            "macro_rules! mac { () => {} }\nasync unsafe fn af() {}\n"
            "pub(crate) const fn cf() {}\nauto trait At {}\n",
            "fn f, struct S, enum E, union U, trait T, type Ty, const C, "
            "static X, static Y, mod m, mod n, macro mac, fn af, fn cf, "
            "trait At",
            0, 0);
}

static void names_extern(void **state) {
  (void)state;
  names_are("extern crate alloc;\nextern crate core as kore;\n"
            "extern crate std as _;\nextern crate self as me;\n"
            "extern \"C\" { fn ext_f(); static EXT_S: i32; static mut E2: u8; "
            "pub fn ext_g(x: i32) -> i32; }\n"
            "unsafe extern \"C\" { safe fn sf(); }\n",
            "extern crate alloc, extern crate kore, extern crate me, fn ext_f, "
            "static EXT_S, static E2, fn ext_g, fn sf",
            0, 1);
}

static void names_use_trees(void **state) {
  (void)state;
  names_are(
      "use a::b;\nuse a::b as c;\nuse a::{b2, c2::{d, e as f2}, self};\n"
      "use ::std::fmt;\nuse self::x::y;\nuse super::z;\n"
      "use crate::{w, v::{self as vv}};\nuse {p, q::r};\n"
      "use a::{};\npub use t::u;\n",
      "use b, use c, use b2, use d, use f2, use a, use fmt, use y, use z, "
      "use w, use vv, use p, use r, use u",
      0, 0);
}

static void names_globs_and_nameless(void **state) {
  rimport__rs_names n = RIMPORT__RS_NAMES_INIT;
  const char *items = "use std::io::*;\nuse ::core::{fmt::*, self as k};\n"
                      "use self::*;\nuse x as _;\nuse t::{Tr as _, b};\n";
  (void)state;
  assert_int_equal(rimport__rs_item_names(items, strlen(items), &n), 0);
  assert_string_equal(names_text(&n), "use k, use b");
  assert_int_equal(n.has_glob, 1);
  assert_int_equal(n.has_nameless, 1);
  assert_int_equal(n.has_underscore_use, 1);
  assert_int_equal(n.glob_count, 3);
  assert_string_equal(n.globs[0], "std::io");
  assert_string_equal(n.globs[1], "::core::fmt");
  assert_string_equal(n.globs[2], "self");
  rimport__rs_names_dispose(&n);
  assert_int_equal(n.count, 0);
  names_are("use x as _;", "", 0, 1);
  names_are("impl S { fn f() {} }", "", 0, 1);
  assert_int_equal(rimport__rs_item_names("impl T for S {}", 15, &n), 0);
  assert_int_equal(n.has_nameless, 1);
  assert_int_equal(n.has_underscore_use, 0);
  assert_int_equal(n.has_glob, 0);
  rimport__rs_names_dispose(&n);
  assert_int_equal(rimport__rs_item_names("use std::io::*;", 15, &n), 0);
  assert_int_equal(n.has_underscore_use, 0);
  assert_int_equal(n.has_glob, 1);
  rimport__rs_names_dispose(&n);
  names_are("const _: u8 = 1;", "", 0, 0);
}

static void names_raw_and_repeated(void **state) {
  rimport__rs_names n = RIMPORT__RS_NAMES_INIT;
  const char *items = "fn r#match() {}\nuse r#type::r#fn;\nfn f() {}\n"
                      "use m::f;\nstruct r#S;\n";
  (void)state;
  names_are(items, "fn r#match, use r#fn, fn f, use f, struct r#S", 0, 0);
  assert_int_equal(rimport__rs_item_names(items, strlen(items), &n), 0);
  assert_int_equal(n.v[0].offset, 3);
  assert_int_equal(n.v[0].len, 7);
  assert_int_equal(n.v[2].kind, RIMPORT__RS_FN);
  assert_int_equal(n.v[3].kind, RIMPORT__RS_USE);
  rimport__rs_names_dispose(&n);
  rimport__rs_names_dispose(NULL);
}

static void names_ignore_statements_inside_items(void **state) {
  (void)state;
  /* Only the crate root: nothing inside fn bodies, modules or impls. */
  names_are("fn f() { fn inner() {} struct In; }\nmod m { fn g() {} }\n"
            "impl S { const K: u8 = 1; }\ntrait T { type A; }\n",
            "fn f, mod m, trait T", 0, 1);
  rimport_test_assert_error(rimport__rs_item_names("fn f() {", 8, NULL),
                            RIMPORT_EINVAL, NULL);
  {
    rimport__rs_names n = RIMPORT__RS_NAMES_INIT;
    rimport_test_assert_error(rimport__rs_item_names("fn f() {", 8, &n),
                              RIMPORT_EPARSE, "unbalanced `{` at 1:8");
    rimport__rs_names_dispose(&n);
  }
  rimport_error_clear();
}

/* --- make public ------------------------------------------------------- */

static void public_items_get_pub(void **state) {
  (void)state;
  public_is("fn f() {}\nstruct S;\nenum E { A(u8), B { x: u8 } }\n"
            "trait T { fn t(&self); }\ntype Ty = u8;\nconst C: u8 = 1;\n"
            "const _: () = ();\nstatic X: u8 = 1;\nstatic mut Y: u8 = 1;\n"
            "mod m;\nuse std::fmt;\nextern crate core;\nunsafe fn uf() {}\n"
            "const fn cf() {}\nasync fn af() {}\nextern \"C\" fn cb() {}\n"
            "impl S {}\nimpl T for S { fn t(&self) {} }\n",
            "pub fn f() {} pub\nstruct S; pub\nenum E { A(u8), B { x: u8 } } "
            "pub\n"
            "trait T { fn t(&self); } pub\ntype Ty = u8; pub\nconst C: u8 = "
            "1;\nconst _: () = (); pub\nstatic X: u8 = 1; pub\nstatic mut Y: "
            "u8 = 1; pub\nmod m; pub\nuse std::fmt; pub\nextern crate core; "
            "pub\nunsafe fn uf() {} pub\nconst fn cf() {} pub\nasync fn af() "
            "{} pub\nextern \"C\" fn cb() {}\nimpl S {}\nimpl T for S { fn "
            "t(&self) {} }\n");
  /* The first item of the text: nothing before it, so inline. */
  public_is("fn f() {}", "pub fn f() {}");
  public_is("\n\nfn f() {}", "\n\npub fn f() {}");
  /* Any visibility already: left alone. */
  public_is("pub fn a() {}\npub(crate) fn b() {}\npub(super) struct C;\n"
            "pub(in crate::m) enum D {}\npub(self) type E = u8;\n",
            "pub fn a() {}\npub(crate) fn b() {}\npub(super) struct C;\n"
            "pub(in crate::m) enum D {}\npub(self) type E = u8;\n");
}

static void public_fields(void **state) {
  (void)state;
  public_is("struct P { x: f64, y: f64 }",
            "pub struct P { pub x: f64, pub y: f64 }");
  public_is("struct P(f64, String);", "pub struct P(pub f64, pub String);");
  public_is("struct P((u8, u8), pub u8, pub(crate) u8,);",
            "pub struct P(pub (u8, u8), pub u8, pub(crate) u8,);");
  public_is("pub struct G<T>(T, Vec<T>) where T: Copy;",
            "pub struct G<T>(pub T, pub Vec<T>) where T: Copy;");
  public_is("pub struct P {\n"
            "    /// the x\n"
            "    x: HashMap<String, Vec<(u8, u8)>>,\n"
            "    #[allow(dead_code)]\n"
            "    pub(crate) y: fn(u8) -> u8,\n"
            "    #[cfg(all())] z: [u8; 3],\n"
            "    w: <T as Tr>::Out,\n"
            "}\n",
            "pub struct P {\n"
            "    #[doc = r#\" the x\"#] pub\n"
            "    x: HashMap<String, Vec<(u8, u8)>>,\n"
            "    #[allow(dead_code)]\n"
            "    pub(crate) y: fn(u8) -> u8,\n"
            "    #[cfg(all())] pub z: [u8; 3], pub\n"
            "    w: <T as Tr>::Out,\n"
            "}\n");
  public_is("pub struct Q<T> where T: Copy { t: T }",
            "pub struct Q<T> where T: Copy { pub t: T }");
  public_is("union U { a: u32, b: f32 }",
            "pub union U { pub a: u32, pub b: f32 }");
  /* Enum variants and their fields: nothing. */
  public_is("pub enum E { A(u8), B { x: u8 } }",
            "pub enum E { A(u8), B { x: u8 } }");
}

static void public_impls(void **state) {
  (void)state;
  public_is("impl P {\n    fn new() -> Self { P }\n    const Z: u8 = 0;\n"
            "    type T = u8;\n    pub fn done(&self) {}\n"
            "    unsafe fn u() {}\n    async fn a() {}\n}\n",
            "impl P { pub\n    fn new() -> Self { P } pub\n    const Z: u8 = "
            "0; pub\n    type T = u8;\n    pub fn done(&self) {} pub\n    "
            "unsafe fn u() {} pub\n    async fn a() {}\n}\n");
  public_is("impl<T: Clone> W<T> where T: Copy { fn get(&self) {} }",
            "impl<T: Clone> W<T> where T: Copy { pub fn get(&self) {} }");
  public_is("impl<F> Q<F> where F: for<'a> Fn(&'a u8) { fn q(&self) {} }",
            "impl<F> Q<F> where F: for<'a> Fn(&'a u8) { pub fn q(&self) {} }");
  public_is("impl dyn Tr + 'static { fn d(&self) {} }",
            "impl dyn Tr + 'static { pub fn d(&self) {} }");
  /* Trait impls and traits: nothing inside. */
  public_is("impl Tr for P { fn t(&self) {} }",
            "impl Tr for P { fn t(&self) {} }");
  public_is("impl<T> Tr for Vec<T> where for<'a> &'a T: Copy { fn t() {} }",
            "impl<T> Tr for Vec<T> where for<'a> &'a T: Copy { fn t() {} }");
  public_is("unsafe impl Send for P {}", "unsafe impl Send for P {}");
  public_is("impl !Send for P {}", "impl !Send for P {}");
  public_is("trait T { fn t(&self); const K: u8; }",
            "pub trait T { fn t(&self); const K: u8; }");
}

static void public_mods_and_extern_blocks(void **state) {
  (void)state;
  public_is("mod m {\n    //! inner doc\n    fn a() {}\n"
            "    struct S { f: u8 }\n    impl S { fn g(&self) {} }\n"
            "    mod deeper { fn b() {} }\n    pub(crate) fn c() {}\n}\n",
            "pub mod m {\n    #![doc = r#\" inner doc\"#] pub\n    fn a() {} "
            "pub\n    struct S { pub f: u8 }\n    impl S { pub fn g(&self) {} "
            "} pub\n    mod deeper { pub fn b() {} }\n    pub(crate) fn c() "
            "{}\n}\n");
  public_is("extern \"C\" {\n    fn abs(x: i32) -> i32;\n    static errno: "
            "i32;\n    pub fn p();\n}\n",
            "extern \"C\" { pub\n    fn abs(x: i32) -> i32; pub\n    static "
            "errno: i32;\n    pub fn p();\n}\n");
  public_is("extern { fn f(); }", "extern { pub fn f(); }");
}

static void public_macro_rules(void **state) {
  (void)state;
  public_is("macro_rules! sq { ($x:expr) => { $x * $x }; }",
            "#[macro_export] macro_rules! sq { ($x:expr) => { $x * $x }; }");
  public_is("fn f() {}\n#[allow(unused)]\nmacro_rules! m ( () => {} );\n",
            "pub fn f() {}\n#[allow(unused)] #[macro_export]\nmacro_rules! m "
            "( () => {} );\n");
  public_is("#[macro_export]\nmacro_rules! m { () => {} }\n"
            "#[macro_export(local_inner_macros)]\nmacro_rules! n { () => {} "
            "}\n",
            "#[macro_export]\nmacro_rules! m { () => {} }\n"
            "#[macro_export(local_inner_macros)]\nmacro_rules! n { () => {} "
            "}\n");
  public_is("mod m { macro_rules! inner { () => {} } }",
            "pub mod m { #[macro_export] macro_rules! inner { () => {} } }");
}

/* Where the text goes: after the previous token when that is on an earlier
 * line (even before a comment there), else inline. */
static void public_placement(void **state) {
  (void)state;
  public_is("struct A; // note\nfn f() {}\n",
            "pub struct A; pub // note\nfn f() {}\n");
  public_is("struct A; /* block\n comment */ fn f() {}\n",
            "pub struct A; pub /* block\n comment */ fn f() {}\n");
  public_is("struct A; /* c */ fn f() {}\n",
            "pub struct A; /* c */ pub fn f() {}\n");
  public_is("#[inline] fn f() {}\n", "#[inline] pub fn f() {}\n");
  public_is("#[inline]\n// plain\nfn f() {}\n",
            "#[inline] pub\n// plain\nfn f() {}\n");
  /* A line doc comment before the item would swallow " pub": it becomes
   * the attribute it means, on its own line. */
  public_is("/// Docs with \"# and ##\"\nfn f() {}\n",
            "#[doc = r###\" Docs with \"# and ##\"\"###] pub\nfn f() {}\n");
  public_is("/// a\r\nfn f() {}\r\n",
            "#[doc = r#\" a\"#] pub\r\nfn f() {}\r\n");
  public_is("/** block */\nfn f() {}\n", "/** block */ pub\nfn f() {}\n");
  public_is("/** block */ fn f() {}\n", "/** block */ pub fn f() {}\n");
}

/* The shifts: only the inline insertions, with their line and column. */
static void public_reports_inline_shifts(void **state) {
  const char *items = "fn a() {}\nstruct S { x: u8 }\nstruct T;\n"
                      "  fn b() {} fn c() {}\n";
  rimport_buf out = RIMPORT_BUF_INIT;
  rimport__rs_shifts sh = RIMPORT__RS_SHIFTS_INIT;
  (void)state;
  assert_int_equal(rimport__rs_make_public_ex(items, strlen(items), &out, &sh),
                   0);
  assert_string_equal(out.ptr, "pub fn a() {} pub\nstruct S { pub x: u8 } "
                               "pub\nstruct T; pub\n  fn b() {} pub fn c() "
                               "{}\n");
  assert_int_equal(sh.count, 3);
  assert_int_equal(sh.v[0].line, 1);
  assert_int_equal(sh.v[0].column, 1);
  assert_int_equal(sh.v[0].added, 4);
  assert_int_equal(sh.v[1].line, 2);
  assert_int_equal(sh.v[1].column, 12);
  assert_int_equal(sh.v[2].line, 4);
  assert_int_equal(sh.v[2].column, 13);
  assert_int_equal(sh.v[2].offset, (size_t)(strstr(items, "fn c") - items));
  rimport__rs_shifts_free(&sh);
  rimport_buf_dispose(&out);
}

/* Each (line, column, text) of a text's tokens other than comments. */
typedef struct place {
  unsigned line, col;
  const char *text;
  size_t len;
} place;

static size_t places(const char *src, place *out, size_t cap) {
  rimport__rs_lexer lx;
  rimport__rs_tok t;
  size_t n = 0;
  rimport__rs_lex_init(&lx, src, strlen(src));
  while (rimport__rs_lex_next(&lx, &t)) {
    if (t.kind == RIMPORT__RS_TCOMMENT)
      continue;
    assert_true(n < cap);
    rimport__rs_position(src, strlen(src), t.start, &out[n].line, &out[n].col);
    out[n].text = src + t.start;
    out[n].len = t.end - t.start;
    n++;
  }
  return n;
}

/* Every token of a multi-line items text keeps its line and column. */
static void public_keeps_lines_and_columns(void **state) {
  static place in[512], out[1024];
  const char *items = "use std::fmt;\n"
                      "/// A point.\n"
                      "#[derive(Debug)]\n"
                      "struct Point {\n"
                      "    /// x\n"
                      "    x: f64,\n"
                      "    y: f64, // trailing\n"
                      "}\n"
                      "struct Pair(\n"
                      "    i32,\n"
                      "    String,\n"
                      ");\n"
                      "impl Point {\n"
                      "    const ZERO: f64 = 0.0;\n"
                      "    fn new() -> Self {\n"
                      "        Point { x: 0.0, y: 0.0 }\n"
                      "    }\n"
                      "}\n"
                      "mod m {\n"
                      "    fn inner() {}\n"
                      "}\n"
                      "macro_rules! sq {\n"
                      "    ($x:expr) => { $x * $x };\n"
                      "}\n"
                      "const K: u8 = 1;\n"
                      "static S: u8 = 2;\n"
                      "type T = u8;\n";
  rimport_buf pub = RIMPORT_BUF_INIT;
  rimport__rs_shifts sh = RIMPORT__RS_SHIFTS_INIT;
  size_t n_in, n_out, i, j;
  (void)state;
  assert_int_equal(rimport__rs_make_public_ex(items, strlen(items), &pub, &sh),
                   0);
  assert_int_equal(sh.count, 1); /* `use` on the first line: inline */
  assert_int_equal(sh.v[0].line, 1);
  n_in = places(items, in, RIMPORT__ARRAY_SIZE(in));
  n_out = places(pub.ptr, out, RIMPORT__ARRAY_SIZE(out));
  for (i = 0; i < n_in; i++) {
    int found = 0;
    unsigned want_col = in[i].col + (in[i].line == 1 ? 4 : 0);
    for (j = 0; j < n_out && !found; j++)
      found = out[j].line == in[i].line && out[j].col == want_col &&
              out[j].len == in[i].len &&
              memcmp(out[j].text, in[i].text, in[i].len) == 0;
    if (!found)
      fail_msg("`%.*s` at %u:%u moved in\n%s", (int)in[i].len, in[i].text,
               in[i].line, in[i].col, pub.ptr);
  }
  /* And the output has as many lines. */
  {
    size_t a = 0, b = 0;
    for (i = 0; items[i]; i++)
      a += items[i] == '\n';
    for (i = 0; i < pub.size; i++)
      b += pub.ptr[i] == '\n';
    assert_int_equal(a, b);
  }
  rimport__rs_shifts_free(&sh);
  rimport_buf_dispose(&pub);
}

static void public_errors(void **state) {
  rimport_buf out = RIMPORT_BUF_INIT;
  rimport_buf deep = RIMPORT_BUF_INIT;
  int i;
  (void)state;
  rimport_test_assert_error(rimport__rs_make_public("fn f() {", 8, &out),
                            RIMPORT_EPARSE, "unbalanced `{` at 1:8");
  assert_int_equal(out.size, 0);
  rimport_test_assert_error(rimport__rs_make_public("x", 1, NULL),
                            RIMPORT_EINVAL, NULL);
  /* Modules nested past the limit: an error, not a deep recursion. */
  for (i = 0; i < 200; i++)
    rimport__buf_puts(&deep, "mod m {");
  for (i = 0; i < 200; i++)
    rimport__buf_puts(&deep, "}");
  rimport_test_assert_error(rimport__rs_make_public(deep.ptr, deep.size, &out),
                            RIMPORT_EUNSUPPORTED,
                            "nested more than 128 modules deep");
  assert_int_equal(out.size, 0);
  assert_int_equal(rimport__rs_make_public(NULL, 0, &out), 0);
  assert_string_equal(out.ptr, "");
  rimport_buf_dispose(&deep);
  rimport_buf_dispose(&out);
  rimport_error_clear();
}

/* A real rustc: crate `a` is make_public's output of a rich items text;
 * crate `b` uses every field, method, const, nested module item and the
 * macro of `a` from outside. Both are libraries, so that nothing is linked
 * or run: the check holds wherever rustc's default target is (under wine
 * the rustc.exe stand-in makes Linux code). */
static const char rich_items[] =
    "use std::fmt;\n"
    "use std::collections::HashMap;\n"
    "\n"
    "/// A point.\n"
    "#[derive(Debug, Clone, Copy, PartialEq)]\n"
    "struct Point {\n"
    "    x: f64,\n"
    "    /// The y.\n"
    "    y: f64,\n"
    "}\n"
    "\n"
    "struct Pair(i32, String);\n"
    "\n"
    "struct Wrapper<T>(T) where T: Clone;\n"
    "\n"
    "struct Table {\n"
    "    rows: HashMap<String, Vec<(u8, u8)>>,\n"
    "    count: usize,\n"
    "}\n"
    "\n"
    "impl Point {\n"
    "    const ORIGIN: Point = Point { x: 0.0, y: 0.0 };\n"
    "    fn new(x: f64, y: f64) -> Self { Point { x, y } }\n"
    "    fn norm(&self) -> f64 { (self.x * self.x + self.y * self.y).sqrt() }\n"
    "}\n"
    "\n"
    "impl<T: Clone> Wrapper<T> where T: fmt::Debug {\n"
    "    fn get(&self) -> T { self.0.clone() }\n"
    "}\n"
    "\n"
    "trait Shape {\n"
    "    fn area(&self) -> f64;\n"
    "    fn name(&self) -> String { String::from(\"shape\") }\n"
    "}\n"
    "\n"
    "impl Shape for Point {\n"
    "    fn area(&self) -> f64 { 0.0 }\n"
    "}\n"
    "\n"
    "impl fmt::Display for Pair {\n"
    "    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {\n"
    "        write!(f, \"{} {}\", self.0, self.1)\n"
    "    }\n"
    "}\n"
    "\n"
    "enum Color { Red, Green(u8), Blue { level: u8 } }\n"
    "\n"
    "mod geometry {\n"
    "    //! Geometry helpers.\n"
    "    const SCALE: f64 = 2.0;\n"
    "    fn scale(v: f64) -> f64 { v * SCALE }\n"
    "    struct Inner { value: i32 }\n"
    "    impl Inner { fn value(&self) -> i32 { self.value } }\n"
    "    mod deep {\n"
    "        fn answer() -> i32 { 42 }\n"
    "    }\n"
    "}\n"
    "\n"
    "macro_rules! square {\n"
    "    ($x:expr) => { $x * $x };\n"
    "}\n"
    "\n"
    "const LIMIT: u32 = 10;\n"
    "static GREETING: &str = \"hi\";\n"
    "static mut COUNTER: u32 = 0;\n"
    "type Score = u64;\n"
    "\n"
    "#[repr(C)]\n"
    "union Bits { int: u32, float: f32 }\n"
    "\n"
    "extern \"C\" {\n"
    "    fn abs(x: i32) -> i32;\n"
    "}\n"
    "\n"
    "extern crate core;\n"
    "fn first<'a>(s: &'a str) -> char { s.chars().next().unwrap_or('}') }\n"
    "fn helper() -> u32 { LIMIT }\n";

static const char user_crate[] =
    "pub fn check() -> usize {\n"
    "    let p = a::Point::new(3.0, 4.0);\n"
    "    let q = a::Point { x: p.x, y: p.y };\n"
    "    assert_eq!(q.norm(), 5.0);\n"
    "    assert_eq!(a::Point::ORIGIN.x, 0.0);\n"
    "    let pair = a::Pair(1, String::from(\"one\"));\n"
    "    assert_eq!(format!(\"{} {} {}\", pair.0, pair.1, pair), \"1 one 1 "
    "one\");\n"
    "    let w = a::Wrapper(7u8);\n"
    "    assert_eq!(w.get(), 7);\n"
    "    assert_eq!(w.0, 7);\n"
    "    let mut t = a::Table { rows: a::HashMap::new(), count: 0 };\n"
    "    t.count += 1;\n"
    "    t.rows.insert(\"r\".to_string(), vec![(1, 2)]);\n"
    "    use a::Shape;\n"
    "    assert_eq!(p.area(), 0.0);\n"
    "    assert_eq!(p.name(), \"shape\");\n"
    "    let colors = [a::Color::Red, a::Color::Green(1), a::Color::Blue { "
    "level: 2 }];\n"
    "    assert_eq!(colors.len(), 3);\n"
    "    assert_eq!(a::geometry::scale(1.0), a::geometry::SCALE);\n"
    "    let inner = a::geometry::Inner { value: 5 };\n"
    "    assert_eq!(inner.value(), 5);\n"
    "    assert_eq!(inner.value, 5);\n"
    "    assert_eq!(a::geometry::deep::answer(), 42);\n"
    "    assert_eq!(a::square!(3), 9);\n"
    "    assert_eq!(a::LIMIT, 10);\n"
    "    assert_eq!(a::GREETING, \"hi\");\n"
    "    unsafe { a::COUNTER += 1; }\n"
    "    let s: a::Score = 3;\n"
    "    assert_eq!(s, 3);\n"
    "    let b = a::Bits { int: 0 };\n"
    "    assert_eq!(unsafe { b.float }, 0.0);\n"
    "    assert_eq!(unsafe { a::abs(-3) }, 3);\n"
    "    let r: a::fmt::Result = Ok(());\n"
    "    assert!(r.is_ok());\n"
    "    assert_eq!(a::core::mem::size_of::<u16>(), 2);\n"
    "    assert_eq!(a::first(\"xy\"), 'x');\n"
    "    assert_eq!(a::helper(), 10);\n"
    "    t.count\n"
    "}\n";

static void run_or_fail(const char *const *args, const char *what) {
  rimport_test_output res = RIMPORT_TEST_OUTPUT_INIT;
  rimport_test_exec(&res, args, NULL, NULL, 240000);
  if (res.status != 0 || res.term_signal != 0)
    fail_msg("%s failed (status %d):\n%s%s", what, (int)res.status, res.out.ptr,
             res.err.ptr);
  rimport_test_output_free(&res);
}

static void public_compiles_with_rustc(void **state) {
  rimport_buf pub = RIMPORT_BUF_INIT, path = RIMPORT_BUF_INIT;
  rimport_buf lib = RIMPORT_BUF_INIT, ext = RIMPORT_BUF_INIT,
              blib = RIMPORT_BUF_INIT, bsrc = RIMPORT_BUF_INIT;
  rimport_test_output res = RIMPORT_TEST_OUTPUT_INIT;
  const char *dir;
  (void)state;
  if (!rimport_test_have_program("rustc"))
    skip();
  dir = rimport_test_tmpdir("rustsrc_rustc");
  assert_int_equal(
      rimport__rs_make_public(rich_items, strlen(rich_items), &pub), 0);
  rimport__buf_printf(&path, "%s/a.rs", dir);
  rimport_test_write_file(path.ptr, pub.ptr);
  rimport__buf_printf(&lib, "%s/liba.rlib", dir);
  {
    const char *args[] = {"rustc",    "--edition",    "2021",  "--crate-type",
                          "rlib",     "--crate-name", "a",     "-D",
                          "warnings", "-o",           lib.ptr, path.ptr,
                          NULL};
    run_or_fail(args, "compiling crate a (the items made public)");
  }
  rimport__buf_printf(&bsrc, "%s/b.rs", dir);
  rimport_test_write_file(bsrc.ptr, user_crate);
  rimport__buf_printf(&ext, "a=%s", lib.ptr);
  rimport__buf_printf(&blib, "%s/libb.rlib", dir);
  {
    const char *args[] = {"rustc",  "--edition",    "2021",     "--crate-type",
                          "rlib",   "--crate-name", "b",        "--extern",
                          ext.ptr,  "-D",           "warnings", "-o",
                          blib.ptr, bsrc.ptr,       NULL};
    run_or_fail(args, "compiling crate b (using a's items)");
  }
  /* The items text as written, not made public: b does not compile. */
  rimport_test_write_file(path.ptr, rich_items);
  {
    const char *args[] = {"rustc", "--edition",    "2021", "--crate-type",
                          "rlib",  "--crate-name", "a",    "-o",
                          lib.ptr, path.ptr,       NULL};
    run_or_fail(args, "compiling crate a as written");
  }
  {
    const char *args[] = {"rustc", "--edition",    "2021",   "--crate-type",
                          "rlib",  "--crate-name", "b",      "--extern",
                          ext.ptr, "-o",           blib.ptr, bsrc.ptr,
                          NULL};
    rimport_test_exec(&res, args, NULL, NULL, 240000);
    assert_int_not_equal(res.status, 0);
    assert_non_null(strstr(res.err.ptr, "private"));
    rimport_test_output_free(&res);
  }
  rimport_buf_dispose(&pub);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&lib);
  rimport_buf_dispose(&ext);
  rimport_buf_dispose(&blib);
  rimport_buf_dispose(&bsrc);
}

/* --- identifiers ---------------------------------------------------------- */

static void idents_of_code_and_macros(void **state) {
  (void)state;
  assert_string_equal(
      idents_text("let x = foo(bar, \"baz qux\", 'c'); // comment\n"
                  "/* block ident */ kprintln!(\"{}\", quux + x);\n"
                  "fn f<'a>(s: &'a str) -> Self { self.r#type + super::crate_x "
                  "}\n_ = r#match; gen; union; 1u8; b'z';"),
      "x foo bar kprintln quux f s str type crate_x match gen union");
  assert_string_equal(idents_text(""), "");
  assert_string_equal(idents_text("if else match loop while as dyn async "
                                  "await try abstract yield macro_rules"),
                      "macro_rules");
}

static void idents_dedup_and_append(void **state) {
  rimport__rs_names n = RIMPORT__RS_NAMES_INIT;
  rimport_buf big = RIMPORT_BUF_INIT;
  int i;
  (void)state;
  assert_int_equal(rimport__rs_item_names("fn a() {}", 9, &n), 0);
  assert_int_equal(rimport__rs_idents("a b a", 5, &n), 0);
  assert_int_equal(rimport__rs_idents("b c r#a", 7, &n), 0);
  assert_string_equal(names_text(&n), "fn a, ident a, ident b, ident c");
  assert_int_equal(n.v[1].offset, 0);
  assert_int_equal(n.v[3].offset, 2);
  /* Many identifiers, many repeats: the set grows. */
  for (i = 0; i < 3000; i++)
    rimport__buf_printf(&big, "v%d v%d ", i % 1000, i);
  assert_int_equal(rimport__rs_idents(big.ptr, big.size, &n), 0);
  assert_int_equal(n.count, 4 + 3000);
  /* Unbalanced delimiters are fine here; unterminated strings are not. */
  assert_int_equal(rimport__rs_idents("f(}", 3, &n), 0);
  rimport_test_assert_error(rimport__rs_idents("x \"y", 4, &n), RIMPORT_EPARSE,
                            "unterminated string starting at 1:3");
  rimport_buf_dispose(&big);
  rimport__rs_names_dispose(&n);
  rimport_error_clear();
}

/* --- scale ---------------------------------------------------------------- */

/* A long cell, deep nesting: linear time, no recursion on the C stack. */
static void large_and_deep_inputs(void **state) {
  rimport_buf text = RIMPORT_BUF_INIT, it = RIMPORT_BUF_INIT,
              st = RIMPORT_BUF_INIT, pub = RIMPORT_BUF_INIT;
  rimport__rs_names n = RIMPORT__RS_NAMES_INIT;
  int i;
  (void)state;
  for (i = 0; i < 20000; i++)
    rimport__buf_printf(&text,
                        "struct S%d { x: u8 }\nlet v%d = S%d { x: 1 };\n"
                        "/// d\n#[inline]\nfn f%d() {}\n",
                        i, i, i, i);
  assert_int_equal(rimport_cell_split(text.ptr, text.size, &it, &st), 0);
  check_split(text.ptr, text.size, &it, &st);
  assert_int_equal(rimport__rs_item_names(it.ptr, it.size, &n), 0);
  assert_int_equal(n.count, 40000);
  assert_int_equal(rimport__rs_make_public(it.ptr, it.size, &pub), 0);
  rimport__rs_names_dispose(&n);
  assert_int_equal(rimport__rs_idents(text.ptr, text.size, &n), 0);
  rimport__rs_names_dispose(&n);
  /* 100000 nested brackets and a deep use tree. */
  rimport__buf_clear(&text);
  rimport__buf_puts(&text, "use a::");
  for (i = 0; i < 100000; i++)
    rimport__buf_puts(&text, "{b::");
  rimport__buf_puts(&text, "c");
  for (i = 0; i < 100000; i++)
    rimport__buf_puts(&text, "}");
  rimport__buf_puts(&text, "; let x = ((((1))));");
  assert_int_equal(rimport_cell_split(text.ptr, text.size, &it, &st), 0);
  assert_int_equal(rimport__rs_item_names(it.ptr, it.size, &n), 0);
  assert_string_equal(names_text(&n), "use c");
  assert_int_equal(rimport__rs_make_public(it.ptr, it.size, &pub), 0);
  assert_int_equal(strncmp(pub.ptr, "pub use a::{b::", 15), 0);
  rimport__rs_names_dispose(&n);
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&it);
  rimport_buf_dispose(&st);
  rimport_buf_dispose(&pub);
}

/* The tail of a cell's statements: after the last `;` at depth 0. */
static void tail_of_statements(void **state) {
  static const struct {
    const char *text;
    const char *tail; /* NULL: none */
  } cases[] = {
      {"let a = 1;\na + 1", "\na + 1"},
      {"f(1);", NULL},
      {"f(1); // done;", NULL},
      {"for x in v { f(x); }", "for x in v { f(x); }"},
      {"let s = \"a;b\"; s", " s"},
      {"let c = ';'; c", " c"},
      {"/* ; */ x", "/* ; */ x"},
      {"{ a; b }", "{ a; b }"},
      {"#[allow(x)] let a = [1; 3]; a", " a"},
      {"", NULL},
  };
  size_t i, start;
  int has;
  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *t = cases[i].text;
    assert_int_equal(rimport__rs_tail(t, strlen(t), &start, &has), 0);
    if (cases[i].tail == NULL) {
      if (has)
        fail_msg("%s: a tail at %zu", t, start);
    } else if (!has || strcmp(t + start, cases[i].tail) != 0) {
      fail_msg("%s: tail \"%s\" (%d), not \"%s\"", t, t + start, has,
               cases[i].tail);
    }
  }
  rimport_test_assert_error(rimport__rs_tail("f(\"x", 4, &start, &has),
                            RIMPORT_EPARSE, "1:3");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(lex_literals_and_numbers),
    cmocka_unit_test(lex_doc_comment_kinds),
    cmocka_unit_test(lex_stops_at_the_end),
    cmocka_unit_test(split_interleaved_over_many_lines),
    cmocka_unit_test(split_each_item_kind),
    cmocka_unit_test(split_statements_that_look_like_items),
    cmocka_unit_test(split_statement_after_item_on_one_line),
    cmocka_unit_test(split_raw_strings_with_hashes),
    cmocka_unit_test(split_chars_and_lifetimes),
    cmocka_unit_test(split_nested_block_comments),
    cmocka_unit_test(split_braces_in_strings),
    cmocka_unit_test(split_attributes_and_doc_comments),
    cmocka_unit_test(split_inner_attributes),
    cmocka_unit_test(split_item_extents),
    cmocka_unit_test(split_keeps_lines_and_columns),
    cmocka_unit_test(split_empty_and_null),
    cmocka_unit_test(split_reads_only_len_bytes),
    cmocka_unit_test(split_errors_name_line_and_column),
    cmocka_unit_test(names_each_item_kind),
    cmocka_unit_test(names_extern),
    cmocka_unit_test(names_use_trees),
    cmocka_unit_test(names_globs_and_nameless),
    cmocka_unit_test(names_raw_and_repeated),
    cmocka_unit_test(names_ignore_statements_inside_items),
    cmocka_unit_test(public_items_get_pub),
    cmocka_unit_test(public_fields),
    cmocka_unit_test(public_impls),
    cmocka_unit_test(public_mods_and_extern_blocks),
    cmocka_unit_test(public_macro_rules),
    cmocka_unit_test(public_placement),
    cmocka_unit_test(public_reports_inline_shifts),
    cmocka_unit_test(public_keeps_lines_and_columns),
    cmocka_unit_test(public_errors),
    cmocka_unit_test(public_compiles_with_rustc),
    cmocka_unit_test(idents_of_code_and_macros),
    cmocka_unit_test(idents_dedup_and_append),
    cmocka_unit_test(large_and_deep_inputs),
    cmocka_unit_test(tail_of_statements),
};

RIMPORT_TEST_MAIN(tests, NULL)
