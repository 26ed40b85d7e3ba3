/* rimport_parse: finds the rimport statements in a Kayton cell and turns
 * them into import descriptors. The lexer (lex.c) walks the whole cell so
 * that only statements that start a logical line count; this file parses
 * the statements themselves, validates every name and string, and owns the
 * descriptors' memory (one arena per result). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "parse_internal.h"
#include "../common/arena.h"
#include "../common/escape.h"
#include "../common/names.h"

/* --- shapes --------------------------------------------------------------- */

static const struct {
  const char *name;
  const char *rust;
} shape_table[] = {
    {"i64", "i64"},         {"f64", "f64"},           {"&str", "&str"},
    {"String", "String"},   {"Vec[i64]", "Vec<i64>"}, {"Vec[f64]", "Vec<f64>"},
    {"Dynamic", "Dynamic"},
};

#define SHAPES_LIST "i64, f64, &str, String, Vec[i64], Vec[f64] and Dynamic"
#define SHAPES_HINT "use one of the supported shapes"

const char *rimport_shape_name(rimport_shape shape) {
  int i = (int)shape;
  if (i < RIMPORT_SHAPE_I64 || i > RIMPORT_SHAPE_DYNAMIC)
    return NULL;
  return shape_table[i - 1].name;
}

const char *rimport_shape_rust(rimport_shape shape) {
  int i = (int)shape;
  if (i < RIMPORT_SHAPE_I64 || i > RIMPORT_SHAPE_DYNAMIC)
    return NULL;
  return shape_table[i - 1].rust;
}

/* --- the result and its arena ------------------------------------------- */

struct rimport_imports {
  rimport_import *v;
  size_t count, cap;
  rimport__arena arena; /* every string and array the descriptors use */
};

size_t rimport_imports_count(const rimport_imports *imports) {
  return imports == NULL ? 0 : imports->count;
}

const rimport_import *rimport_imports_array(const rimport_imports *imports) {
  return imports == NULL || imports->count == 0 ? NULL : imports->v;
}

void rimport_imports_free(rimport_imports *imports) {
  if (imports == NULL)
    return;
  rimport__arena_free(&imports->arena);
  rimport__free(imports->v);
  rimport__free(imports);
}

/* --- parser state --------------------------------------------------------- */

/* A name bound in the cell and what it names. */
typedef struct binding {
  const char *name; /* NULL: empty slot */
  int is_crate;
  const char *crate;
  const char *module; /* items: NULL for the crate root */
  const char *item;
  const rimport_shape *shapes;
  size_t shape_count;
  int shapes_matter; /* an aliased instantiation names one shape list */
  unsigned int line;
} binding;

typedef struct open_bracket {
  char c;
  size_t pos;
  unsigned int line, col;
} open_bracket;

#define MAX_DEPTH 8 /* the grammar nests at most ( [ [ */

typedef struct parser {
  rimport__lexer lx;
  rimport_imports *im;
  int depth;
  open_bracket open[MAX_DEPTH];
  rimport__tok last; /* the statement's last token so far */
  rimport_item *items;
  size_t item_count, item_cap;
  int has_glob;
  rimport_shape *shapes;
  size_t shape_count, shape_cap;
  const char **features;
  size_t feature_count, feature_cap;
  binding *bind;
  size_t bind_count, bind_cap;
  rimport_buf buf; /* decoded strings, module paths */
} parser;

static void parser_dispose(parser *p) {
  rimport__free(p->items);
  rimport__free(p->shapes);
  rimport__free(p->features);
  rimport__free(p->bind);
  rimport_buf_dispose(&p->buf);
}

/* --- tokens -----------------------------------------------------------------
 */

static void peek(parser *p, rimport__tok *t) {
  rimport__lexer save = p->lx;
  rimport__lex_next(&p->lx, p->depth > 0, 0, t);
  p->lx = save;
}

static void next(parser *p, rimport__tok *t) {
  rimport__lex_next(&p->lx, p->depth > 0, 0, t);
  if (t->kind != RIMPORT__TOK_EOF && t->kind != RIMPORT__TOK_NEWLINE)
    p->last = *t;
}

static int is_punct(const rimport__tok *t, char c) {
  return t->kind == RIMPORT__TOK_PUNCT && t->punct == c;
}

static int is_word(const parser *p, const rimport__tok *t, const char *w) {
  size_t n = strlen(w);
  return t->kind == RIMPORT__TOK_WORD && t->end - t->start == n &&
         memcmp(p->lx.src + t->start, w, n) == 0;
}

static int is_end(const rimport__tok *t) {
  return t->kind == RIMPORT__TOK_EOF || t->kind == RIMPORT__TOK_NEWLINE;
}

static const char *tok_text(const parser *p, const rimport__tok *t) {
  return p->lx.src + t->start;
}

static int tok_len(const rimport__tok *t) {
  size_t n = t->end - t->start;
  return n > 64 ? 64 : (int)n;
}

/* --- errors -----------------------------------------------------------------
 */

/* How much of the offending text to quote: at most 80 bytes, cut at a
 * character boundary. */
static size_t quote_len(const char *s, size_t n) {
  if (n <= 80)
    return n;
  n = 80;
  while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
    n--;
  return n;
}

static int vfail_at(parser *p, size_t pos, size_t len, unsigned int line,
                    unsigned int col, const char *fmt, va_list ap)
    RIMPORT__PRINTF(6, 0);

static int vfail_at(parser *p, size_t pos, size_t len, unsigned int line,
                    unsigned int col, const char *fmt, va_list ap) {
  rimport_buf msg = RIMPORT_BUF_INIT;
  int rc;
  if (rimport__buf_vprintf(&msg, fmt, ap) != 0) {
    rimport_buf_dispose(&msg);
    return rimport__error_nomem();
  }
  rc = rimport__error_set_at(RIMPORT_EPARSE, line, col, p->lx.src + pos,
                             quote_len(p->lx.src + pos, len), "%s", msg.ptr);
  rimport_buf_dispose(&msg);
  return rc;
}

static int fail_at(parser *p, size_t pos, size_t len, unsigned int line,
                   unsigned int col, const char *fmt, ...)
    RIMPORT__PRINTF(6, 7);

static int fail_at(parser *p, size_t pos, size_t len, unsigned int line,
                   unsigned int col, const char *fmt, ...) {
  va_list ap;
  int rc;
  va_start(ap, fmt);
  rc = vfail_at(p, pos, len, line, col, fmt, ap);
  va_end(ap);
  return rc;
}

static int fail_tok(parser *p, const rimport__tok *t, const char *fmt, ...)
    RIMPORT__PRINTF(3, 4);

static int fail_tok(parser *p, const rimport__tok *t, const char *fmt, ...) {
  va_list ap;
  int rc;
  va_start(ap, fmt);
  rc = vfail_at(p, t->start, t->end - t->start, t->line, t->col, fmt, ap);
  va_end(ap);
  return rc;
}

/* Error at a byte inside a one-line token. */
static int fail_in(parser *p, const rimport__tok *t, size_t pos, size_t len,
                   const char *fmt, ...) RIMPORT__PRINTF(5, 6);

static int fail_in(parser *p, const rimport__tok *t, size_t pos, size_t len,
                   const char *fmt, ...) {
  va_list ap;
  int rc;
  unsigned int col = rimport__lex_column(p->lx.src, t->start, t->col, pos);
  va_start(ap, fmt);
  rc = vfail_at(p, pos, len, t->line, col, fmt, ap);
  va_end(ap);
  return rc;
}

/* "end of input", "end of line", "`text`" or "a control character". */
static void describe(const parser *p, const rimport__tok *t, char *out,
                     size_t n) {
  const char *s = tok_text(p, t);
  size_t len = t->end - t->start;
  if (t->kind == RIMPORT__TOK_EOF)
    snprintf(out, n, "end of input");
  else if (t->kind == RIMPORT__TOK_NEWLINE)
    snprintf(out, n, "end of line");
  else if (t->kind == RIMPORT__TOK_PUNCT &&
           ((unsigned char)t->punct < 0x20 || t->punct == 0x7F))
    snprintf(out, n, "control character 0x%02X", (unsigned char)t->punct);
  else if (t->kind == RIMPORT__TOK_STRING)
    snprintf(out, n, "the string %.*s", (int)quote_len(s, len), s);
  else
    snprintf(out, n, "`%.*s`", (int)quote_len(s, len), s);
}

static char closing(char c) {
  return c == '(' ? ')' : c == '[' ? ']' : '}';
}

static int fail_unterminated(parser *p, const rimport__tok *t) {
  return fail_at(p, t->start, 1, t->line, t->col,
                 "unterminated string: the string that starts here has no "
                 "closing %c on its line; close it with %c (strings in "
                 "rimport statements are on one line)",
                 tok_text(p, t)[0], tok_text(p, t)[0]);
}

/* "expected <what>, found <t>; <hint>". End of input inside brackets is
 * reported at the bracket that is still open. */
static int expected(parser *p, const rimport__tok *t, const char *what,
                    const char *hint) {
  char found[160];
  if (t->kind == RIMPORT__TOK_STRING && !t->terminated)
    return fail_unterminated(p, t);
  if (t->kind == RIMPORT__TOK_EOF && p->depth > 0) {
    const open_bracket *o = &p->open[p->depth - 1];
    return fail_at(p, o->pos, 1, o->line, o->col,
                   "`%c` is never closed: expected %s, found end of input; "
                   "close it with `%c`",
                   o->c, what, closing(o->c));
  }
  describe(p, t, found, sizeof(found));
  return fail_tok(p, t, "expected %s, found %s; %s", what, found, hint);
}

static int push_open(parser *p, const rimport__tok *t) {
  open_bracket *o;
  if (p->depth >= MAX_DEPTH)
    return fail_tok(p, t, "brackets nested too deeply in a rimport statement");
  o = &p->open[p->depth++];
  o->c = t->punct;
  o->pos = t->start;
  o->line = t->line;
  o->col = t->col;
  return 0;
}

/* After an entry of a bracketed list: takes the `,` before the next entry,
 * or the `close` that ends the list (then *closed is 1). */
static int list_next(parser *p, char close, const char *what, const char *hint,
                     int *closed) {
  rimport__tok t;
  next(p, &t);
  *closed = is_punct(&t, close);
  if (*closed || is_punct(&t, ','))
    return 0;
  return expected(p, &t, what, hint);
}

/* --- names ------------------------------------------------------------------
 */

static int check_crate(parser *p, const rimport__tok *t, const char *hint) {
  const char *why =
      rimport__check_crate_name(tok_text(p, t), t->end - t->start);
  if (why == NULL)
    return 0;
  return fail_tok(p, t,
                  "invalid crate name `%.*s`: %s; a crate name starts with "
                  "an ASCII letter and has only ASCII letters, digits, `-` "
                  "and `_` (at most 64 characters)%s",
                  (int)quote_len(tok_text(p, t), t->end - t->start),
                  tok_text(p, t), why, hint);
}

/* `kind` ("item name") says what the identifier `t` is for. */
static int check_ident(parser *p, const rimport__tok *t, const char *kind) {
  const char *why = rimport__check_ident(tok_text(p, t), t->end - t->start);
  if (why == NULL)
    return 0;
  return fail_tok(p, t,
                  "invalid %s `%.*s`: %s; it must be a Rust identifier "
                  "(ASCII letters, digits and `_`, not starting with a "
                  "digit, not a Rust keyword)",
                  kind, tok_len(t), tok_text(p, t), why);
}

/* Takes the next token as an identifier (`what`: "an alias name after
 * `as`"). */
static int expect_ident(parser *p, rimport__tok *t, const char *what,
                        const char *kind) {
  next(p, t);
  if (t->kind != RIMPORT__TOK_WORD)
    return expected(p, t, what,
                    "names are Rust identifiers such as `Client` or "
                    "`read_to_string`");
  return check_ident(p, t, kind);
}

/* --- string literals --------------------------------------------------------
 */

/* How many hex digits the escape `\e` takes; 0 if it takes none. */
static int hex_digits(int e) {
  return e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
}

/* The character a one-letter escape `\e` stands for, or -1 if `\e` is not
 * one. */
static int short_escape(int e) {
  switch (e) {
  case '\\':
  case '"':
  case '\'':
    return e;
  case 'n':
    return '\n';
  case 't':
    return '\t';
  case 'r':
    return '\r';
  case '0':
    return 0;
  default:
    return -1;
  }
}

/* The `digits` hex digits of the escape `\e` whose backslash is at s[i]. */
static int decode_hex_escape(parser *p, const rimport__tok *t, size_t i,
                             size_t end, int digits, uint32_t *out) {
  const unsigned char *s = (const unsigned char *)p->lx.src;
  int e = s[i + 1], k;
  uint32_t cp = 0;
  if (end - i - 2 < (size_t)digits)
    return fail_in(p, t, i, end - i,
                   "incomplete escape `\\%c` in a string: expected %d "
                   "hex digits",
                   e, digits);
  for (k = 0; k < digits; k++) {
    int h = rimport__hex_value(s[i + 2 + (size_t)k]);
    if (h < 0)
      return fail_in(p, t, i, (size_t)digits + 2,
                     "invalid escape `\\%c`: expected %d hex digits "
                     "after it, found `%.*s`",
                     e, digits, digits, (const char *)s + i + 2);
    cp = cp * 16 + (uint32_t)h;
  }
  if (e == 'x' && cp >= 0x80)
    return fail_in(p, t, i, 4,
                   "escape `\\x%.2s` is above \\x7f: a string is UTF-8 "
                   "text, not bytes; write the character as "
                   "\\u00%.2s",
                   (const char *)s + i + 2, (const char *)s + i + 2);
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return fail_in(p, t, i, (size_t)digits + 2,
                   "escape `\\%c%.*s` is not a Unicode scalar value "
                   "(surrogates and values above 10FFFF are not "
                   "characters)",
                   e, digits, (const char *)s + i + 2);
  *out = cp;
  return 0;
}

/* The escape whose backslash is at s[i]: the character it stands for and
 * how many bytes it takes. */
static int decode_escape(parser *p, const rimport__tok *t, size_t i, size_t end,
                         uint32_t *cp, size_t *len) {
  const unsigned char *s = (const unsigned char *)p->lx.src;
  int e = s[i + 1], digits = hex_digits(e), c = short_escape(e), rc;
  *len = 2 + (size_t)digits;
  if (digits > 0) {
    if ((rc = decode_hex_escape(p, t, i, end, digits, cp)) != 0)
      return rc;
  } else if (c >= 0) {
    *cp = (uint32_t)c;
  } else {
    uint32_t unused;
    size_t n = rimport__utf8_decode(s + i + 1, end - i - 1, &unused);
    return fail_in(p, t, i, 1 + (n ? n : 1),
                   "unknown escape `\\%.*s` in a string: the escapes are "
                   "\\\\ \\\" \\' \\n \\t \\r \\0 \\xHH \\uXXXX and "
                   "\\UXXXXXXXX; write a backslash as \\\\",
                   (int)(n ? n : 1), (const char *)s + i + 1);
  }
  return 0;
}

/* Decodes the string token `t` into p->buf (which may then hold NUL bytes
 * that came from escapes). */
static int decode_string(parser *p, const rimport__tok *t) {
  const unsigned char *s = (const unsigned char *)p->lx.src;
  size_t i = t->start + 1, end = t->end - 1, n;
  uint32_t cp;
  int rc;
  if (!t->terminated)
    return fail_unterminated(p, t);
  rimport__buf_clear(&p->buf);
  if ((rc = rimport__buf_grow(&p->buf, end - i)) != 0)
    return rc;
  while (i < end) {
    if (s[i] == '\\') {
      if ((rc = decode_escape(p, t, i, end, &cp, &n)) != 0 ||
          (rc = rimport__put_utf8(&p->buf, cp)) != 0)
        return rc;
    } else {
      if ((n = rimport__utf8_decode(s + i, end - i, &cp)) == 0)
        return fail_in(p, t, i, 1,
                       "invalid UTF-8 in a string (byte 0x%02X): the cell "
                       "must be UTF-8 text; re-type the string",
                       s[i]);
      if ((rc = rimport__buf_put(&p->buf, (const char *)s + i, n)) != 0)
        return rc;
    }
    i += n;
  }
  return 0;
}

typedef enum arg_kind {
  ARG_VERSION,
  ARG_PATH,
  ARG_PACKAGE,
  ARG_FEATURES,
  ARG_DEFAULT_FEATURES,
  ARG_COUNT
} arg_kind;

static const char *const arg_names[ARG_COUNT] = {
    "version", "path", "package", "features", "default_features"};

#define KNOWN_ARGS "version, path, package, features and default_features"

/* Checks p->buf (the decoded string of token t) for argument `kind`. */
static int check_string(parser *p, const rimport__tok *t, arg_kind kind) {
  const unsigned char *s = (const unsigned char *)p->buf.ptr;
  size_t n = p->buf.size, i;
  const char *why;
  if (n == 0)
    return fail_tok(p, t, "empty string for %s: expected %s; %s",
                    kind == ARG_FEATURES ? "a feature" : arg_names[kind],
                    kind == ARG_VERSION   ? "a version requirement such as "
                                            "\"0.11\""
                    : kind == ARG_PATH    ? "a crate directory such as "
                                            "\"../mycrate\""
                    : kind == ARG_PACKAGE ? "a package name such as "
                                            "\"tokio-util\""
                                          : "a feature name such as \"json\"",
                    "fill in the value or leave the argument out");
  switch (kind) {
  case ARG_VERSION:
    if ((why = rimport__check_version_req((const char *)s, n)) != NULL)
      return fail_tok(p, t,
                      "invalid version requirement %.*s: %s; write a Cargo "
                      "requirement such as \"0.11\" or \">=1.2, <2\"",
                      (int)quote_len(tok_text(p, t), t->end - t->start),
                      tok_text(p, t), why);
    return 0;
  case ARG_PATH:
    for (i = 0; i < n; i++)
      if (s[i] < 0x20 || s[i] == 0x7F)
        return fail_tok(p, t,
                        "invalid path %.*s: it contains a control character "
                        "(0x%02X); give the crate's directory as plain text",
                        (int)quote_len(tok_text(p, t), t->end - t->start),
                        tok_text(p, t), s[i]);
    return 0;
  case ARG_PACKAGE:
    why = rimport__check_crate_name((const char *)s, n);
    if (why != NULL)
      return fail_tok(p, t,
                      "invalid package name %.*s: %s; a package name starts "
                      "with an ASCII letter and has only ASCII letters, "
                      "digits, `-` and `_` (at most 64 characters)",
                      (int)quote_len(tok_text(p, t), t->end - t->start),
                      tok_text(p, t), why);
    return 0;
  case ARG_FEATURES:
    if ((why = rimport__check_feature((const char *)s, n)) != NULL)
      return fail_tok(p, t,
                      "invalid feature name %.*s: %s; a feature name starts "
                      "with a letter, digit or `_` and has only letters, "
                      "digits, `_`, `-`, `+` and `.`; check the crate's "
                      "[features]",
                      (int)quote_len(tok_text(p, t), t->end - t->start),
                      tok_text(p, t), why);
    return 0;
  default:
    return 0;
  }
}

/* --- bindings (duplicate-name check) ------------------------------------- */

static uint64_t hash_name(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  while (*s)
    h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
  return h;
}

static int same_target(const binding *a, const binding *b) {
  if (a->is_crate != b->is_crate || strcmp(a->crate, b->crate) != 0)
    return 0;
  if (a->is_crate)
    return 1;
  if ((a->module == NULL) != (b->module == NULL))
    return 0;
  if (a->module != b->module && strcmp(a->module, b->module) != 0)
    return 0;
  if (strcmp(a->item, b->item) != 0)
    return 0;
  if (a->shapes_matter || b->shapes_matter)
    return a->shape_count == b->shape_count &&
           (a->shape_count == 0 ||
            memcmp(a->shapes, b->shapes, a->shape_count * sizeof(*a->shapes)) ==
                0);
  return 1;
}

static int describe_target(rimport_buf *b, const binding *x) {
  size_t i;
  int rc;
  if (x->is_crate)
    return rimport__buf_printf(b, "crate `%s`", x->crate);
  rc = rimport__buf_printf(b, "`%s::%s%s%s", x->crate,
                           x->module ? x->module : "", x->module ? "::" : "",
                           x->item);
  if (rc == 0 && x->shapes_matter && x->shape_count > 0) {
    for (i = 0; rc == 0 && i < x->shape_count; i++)
      rc = rimport__buf_printf(b, "%s%s", i ? ", " : "[",
                               rimport_shape_name(x->shapes[i]));
    if (rc == 0)
      rc = rimport__buf_putc(b, ']');
  }
  return rc == 0 ? rimport__buf_putc(b, '`') : rc;
}

static int bind_fail(parser *p, const binding *old, const binding *b,
                     const rimport__tok *at) {
  rimport_buf a = RIMPORT_BUF_INIT, c = RIMPORT_BUF_INIT;
  int rc;
  if (describe_target(&a, old) != 0 || describe_target(&c, b) != 0) {
    rimport_buf_dispose(&a);
    rimport_buf_dispose(&c);
    return rimport__error_nomem();
  }
  rc = fail_tok(p, at,
                "`%s` is already bound on line %u to %s; here it would name "
                "%s; give one of them another name with `as`",
                b->name, old->line, a.ptr, c.ptr);
  rimport_buf_dispose(&a);
  rimport_buf_dispose(&c);
  return rc;
}

/* Records that `b->name` names `b`, or fails if it already names something
 * else. `at` is the token that binds it. */
static int bind(parser *p, binding *b, const rimport__tok *at) {
  size_t mask, i;
  b->line = at->line;
  if ((p->bind_count + 1) * 2 > p->bind_cap) {
    size_t cap = p->bind_cap ? p->bind_cap * 2 : 64, j;
    binding *nb = rimport__calloc(cap, sizeof(*nb));
    if (nb == NULL)
      return rimport__error_nomem();
    for (j = 0; j < p->bind_cap; j++) {
      if (p->bind[j].name == NULL)
        continue;
      i = hash_name(p->bind[j].name) & (cap - 1);
      while (nb[i].name != NULL)
        i = (i + 1) & (cap - 1);
      nb[i] = p->bind[j];
    }
    rimport__free(p->bind);
    p->bind = nb;
    p->bind_cap = cap;
  }
  mask = p->bind_cap - 1;
  for (i = hash_name(b->name) & mask; p->bind[i].name != NULL;
       i = (i + 1) & mask) {
    if (strcmp(p->bind[i].name, b->name) == 0)
      return same_target(&p->bind[i], b) ? 0 : bind_fail(p, &p->bind[i], b, at);
  }
  p->bind[i] = *b;
  p->bind_count++;
  return 0;
}

/* --- statements ----------------------------------------------------------- */

static int push_import(parser *p, const rimport_import *imp) {
  rimport_imports *im = p->im;
  if (rimport__grow((void **)&im->v, &im->cap, im->count + 1, sizeof(*im->v)) !=
      0)
    return RIMPORT_ENOMEM;
  im->v[im->count++] = *imp;
  return 0;
}

/* After the statement's last token: only a comment may follow. Then fills
 * in the statement text and span of imports [first, count). */
static int finish_statement(parser *p, const rimport__tok *kw, size_t first) {
  rimport__tok t;
  rimport_span span;
  const char *text;
  size_t i;
  peek(p, &t);
  if (is_punct(&t, ';'))
    return fail_tok(p, &t,
                    "a rimport statement must stand alone on its line: found "
                    "`;` after it; put the next statement on a line of its "
                    "own");
  if (!is_end(&t))
    return expected(p, &t, "the end of the line after the rimport statement",
                    "only a comment may follow a rimport statement on its "
                    "line");
  next(p, &t);
  span.start = kw->start;
  span.end = p->last.end;
  span.line = kw->line;
  span.column = kw->col;
  span.end_line = p->last.end_line;
  text = rimport__arena_strndup(&p->im->arena, p->lx.src + span.start,
                                span.end - span.start);
  if (text == NULL)
    return rimport__error_nomem();
  for (i = first; i < p->im->count; i++) {
    p->im->v[i].statement = text;
    p->im->v[i].span = span;
  }
  return 0;
}

/* Copies the decoded string in p->buf into the arena. */
static const char *buf_copy(parser *p) {
  return rimport__arena_strndup(&p->im->arena, p->buf.ptr ? p->buf.ptr : "",
                                p->buf.size);
}

static const char *tok_dup(parser *p, const rimport__tok *t) {
  return rimport__arena_strndup(&p->im->arena, tok_text(p, t),
                                t->end - t->start);
}

/* The string token `v`, decoded and checked as a value of `kind`, into
 * the arena. */
static int string_value(parser *p, const rimport__tok *v, arg_kind kind,
                        const char **out) {
  int rc;
  if ((rc = decode_string(p, v)) != 0 || (rc = check_string(p, v, kind)) != 0)
    return rc;
  if ((*out = buf_copy(p)) == NULL)
    return rimport__error_nomem();
  return 0;
}

static int parse_string_arg(parser *p, arg_kind kind, const char **out) {
  rimport__tok v;
  char found[160];
  next(p, &v);
  if (v.kind != RIMPORT__TOK_STRING) {
    if (is_end(&v) || (v.kind == RIMPORT__TOK_PUNCT && v.punct == ')') ||
        is_punct(&v, ','))
      return expected(p, &v, "a string after `=`",
                      "write the value in quotes, as in version=\"0.11\"");
    describe(p, &v, found, sizeof(found));
    return fail_tok(p, &v,
                    "%s expects a string, found %s%s; write it in quotes, "
                    "as in %s",
                    arg_names[kind], is_punct(&v, '[') ? "a list " : "", found,
                    kind == ARG_VERSION ? "version=\"0.11\""
                    : kind == ARG_PATH  ? "path=\"../mycrate\""
                                        : "package=\"tokio-util\"");
  }
  return string_value(p, &v, kind, out);
}

/* One feature name of features=[…], decoded and checked, onto
 * p->features. */
static int add_feature(parser *p, const rimport__tok *v) {
  const char *f;
  int rc;
  if (v->kind != RIMPORT__TOK_STRING)
    return expected(p, v, "a feature name in quotes or `]`",
                    "features is a list of strings, as in "
                    "features=[\"blocking\", \"json\"]");
  if ((rc = string_value(p, v, ARG_FEATURES, &f)) != 0)
    return rc;
  if (rimport__grow((void **)&p->features, &p->feature_cap,
                    p->feature_count + 1, sizeof(*p->features)) != 0)
    return RIMPORT_ENOMEM;
  p->features[p->feature_count++] = f;
  return 0;
}

static int parse_features(parser *p) {
  rimport__tok v;
  int rc, closed = 0;
  next(p, &v);
  if (!is_punct(&v, '[')) {
    if (v.kind == RIMPORT__TOK_STRING && v.terminated)
      return fail_tok(p, &v,
                      "features expects a list of strings, found a string; "
                      "write features=[%.*s]",
                      tok_len(&v), tok_text(p, &v));
    return expected(p, &v, "a list of strings after `features=`",
                    "write features=[\"name\", …]");
  }
  if ((rc = push_open(p, &v)) != 0)
    return rc;
  p->feature_count = 0;
  while (!closed) {
    next(p, &v);
    if (is_punct(&v, ']'))
      break;
    if ((rc = add_feature(p, &v)) != 0 ||
        (rc = list_next(p, ']', "`,` or `]` after the feature",
                        "separate features with `,` and close the list with "
                        "`]`",
                        &closed)) != 0)
      return rc;
  }
  p->depth--;
  return 0;
}

/* features=[…]: an empty list leaves imp->features NULL. */
static int parse_features_arg(parser *p, rimport_import *imp) {
  const char **arr;
  int rc;
  if ((rc = parse_features(p)) != 0)
    return rc;
  arr = rimport__arena_memdup(&p->im->arena, p->features,
                              p->feature_count * sizeof(*arr));
  if (arr == NULL)
    return rimport__error_nomem();
  imp->features = p->feature_count ? arr : NULL;
  imp->feature_count = p->feature_count;
  return 0;
}

static int parse_default_features(parser *p, rimport_import *imp) {
  rimport__tok t;
  char found[160];
  next(p, &t);
  if (is_word(p, &t, "True") || is_word(p, &t, "true")) {
    imp->default_features = RIMPORT_TRUE;
    return 0;
  }
  if (is_word(p, &t, "False") || is_word(p, &t, "false")) {
    imp->default_features = RIMPORT_FALSE;
    return 0;
  }
  if (t.kind != RIMPORT__TOK_STRING && t.kind != RIMPORT__TOK_WORD &&
      !is_punct(&t, '['))
    return expected(p, &t, "True or False after `default_features=`",
                    "write default_features=False");
  if (t.kind == RIMPORT__TOK_STRING && !t.terminated)
    return fail_unterminated(p, &t);
  describe(p, &t, found, sizeof(found));
  return fail_tok(p, &t,
                  "default_features expects True or False, found %s; "
                  "write default_features=False",
                  found);
}

/* The keyword arguments given so far in one `(…)`. */
typedef struct arg_keys {
  int seen[ARG_COUNT];
  rimport__tok at[ARG_COUNT]; /* where each was given */
} arg_keys;

/* The argument that `key` names, or ARG_COUNT. */
static int arg_by_name(const parser *p, const rimport__tok *key) {
  int which;
  for (which = 0; which < ARG_COUNT; which++)
    if (is_word(p, key, arg_names[which]))
      break;
  return which;
}

/* `name=` of a keyword argument, `key` being the name's token. */
static int parse_arg_key(parser *p, const rimport__tok *key, arg_keys *keys,
                         arg_kind *out) {
  rimport__tok t;
  int which;
  if (key->kind != RIMPORT__TOK_WORD)
    return expected(p, key,
                    "a keyword argument such as version=\"0.11\" "
                    "or `)`",
                    "the known arguments are " KNOWN_ARGS);
  if ((which = arg_by_name(p, key)) == ARG_COUNT)
    return fail_tok(p, key,
                    "unknown keyword argument `%.*s`: the known arguments "
                    "are " KNOWN_ARGS "; check the spelling",
                    tok_len(key), tok_text(p, key));
  if (keys->seen[which])
    return fail_tok(p, key,
                    "duplicate keyword argument `%s`: it was already given "
                    "at line %u, column %u; give each argument once",
                    arg_names[which], keys->at[which].line,
                    keys->at[which].col);
  keys->seen[which] = 1;
  keys->at[which] = *key;
  next(p, &t);
  if (!is_punct(&t, '=')) {
    char what[64];
    snprintf(what, sizeof(what), "`=` after `%s`", arg_names[which]);
    return expected(p, &t, what, "write keyword arguments as name=value");
  }
  *out = (arg_kind)which;
  return 0;
}

static int parse_arg_value(parser *p, arg_kind kind, rimport_import *imp) {
  switch (kind) {
  case ARG_VERSION:
    return parse_string_arg(p, ARG_VERSION, &imp->version);
  case ARG_PATH:
    return parse_string_arg(p, ARG_PATH, &imp->path);
  case ARG_PACKAGE:
    return parse_string_arg(p, ARG_PACKAGE, &imp->package);
  case ARG_FEATURES:
    return parse_features_arg(p, imp);
  default:
    return parse_default_features(p, imp);
  }
}

/* Reported at whichever of the two comes later. */
static int check_version_or_path(parser *p, const arg_keys *keys) {
  const rimport__tok *later;
  if (!keys->seen[ARG_VERSION] || !keys->seen[ARG_PATH])
    return 0;
  later = keys->at[ARG_PATH].start > keys->at[ARG_VERSION].start
              ? &keys->at[ARG_PATH]
              : &keys->at[ARG_VERSION];
  return fail_tok(p, later,
                  "version and path cannot both be given: a crate comes "
                  "either from the registry (version=) or from a local "
                  "directory (path=); keep one of them");
}

/* `(` key=value, … `)` after a crate name. */
static int parse_args(parser *p, rimport_import *imp) {
  rimport__tok t, key;
  arg_keys keys;
  arg_kind kind = ARG_VERSION; /* parse_arg_key sets it; gcc -Os cannot tell */
  int rc, closed = 0;
  memset(&keys, 0, sizeof(keys));
  next(p, &t);
  if ((rc = push_open(p, &t)) != 0)
    return rc;
  while (!closed) {
    next(p, &key);
    if (is_punct(&key, ')'))
      break;
    if ((rc = parse_arg_key(p, &key, &keys, &kind)) != 0 ||
        (rc = parse_arg_value(p, kind, imp)) != 0 ||
        (rc = list_next(p, ')', "`,` or `)` after the keyword argument",
                        "separate arguments with `,` and close the list "
                        "with `)`",
                        &closed)) != 0)
      return rc;
  }
  p->depth--;
  return check_version_or_path(p, &keys);
}

/* The crate name after `rimport` or `from`; it becomes the statement's last
 * token. `allow_dot`: see rimport__lex_crate. */
static int lex_crate_name(parser *p, int allow_dot, const char *what,
                          const char *hint, rimport__tok *ct) {
  rimport__tok t;
  rimport__lex_crate(&p->lx, allow_dot, ct);
  if (ct->start == ct->end) {
    peek(p, &t);
    return expected(p, &t, what, hint);
  }
  p->last = *ct;
  return 0;
}

/* `as alias`, at `as`: *at becomes the alias's token. */
static int parse_alias(parser *p, rimport__tok *at, const char **alias) {
  rimport__tok t;
  int rc;
  next(p, &t);
  if ((rc = expect_ident(p, at, "an alias name after `as`", "alias")) != 0)
    return rc;
  if ((*alias = tok_dup(p, at)) == NULL)
    return rimport__error_nomem();
  return 0;
}

/* What to suggest when the name after `rimport` is not a crate name: it
 * may be a path or a module. */
static const char *crate_hint(const parser *p, const rimport__tok *ct) {
  const char *txt = tok_text(p, ct);
  size_t n = ct->end - ct->start;
  if (memchr(txt, '/', n) != NULL || txt[0] == '.')
    return "; for a local crate write `rimport name(path=\"../dir\")`";
  if (memchr(txt, '.', n) != NULL)
    return "; to import from a module write `from crate.module rimport "
           "Item`";
  return "";
}

/* The name `rimport crate` binds: Rust spells the crate's `-` as `_`. */
static const char *crate_binding_name(parser *p, const char *crate, size_t n) {
  char *name = rimport__arena_strndup(&p->im->arena, crate, n), *s;
  if (name != NULL)
    for (s = name; *s; s++)
      if (*s == '-')
        *s = '_';
  return name;
}

/* `rimport crate as alias(...)`: the arguments come too late. */
static int check_no_args_after_alias(parser *p, const rimport_import *imp) {
  rimport__tok t;
  peek(p, &t);
  if (!is_punct(&t, '('))
    return 0;
  return fail_tok(p, &t,
                  "keyword arguments go right after the crate name, "
                  "before `as`: write `rimport %s(...) as %s`",
                  imp->crate, imp->alias);
}

/* One `crate [(args)] [as alias]` of a rimport statement. */
static int parse_crate_import(parser *p) {
  rimport_import imp;
  rimport__tok ct, t, at;
  binding b;
  int rc;
  memset(&imp, 0, sizeof(imp));
  imp.kind = RIMPORT_IMPORT_CRATE;
  imp.default_features = RIMPORT_UNSET;
  if ((rc = lex_crate_name(p, 1, "a crate name after `rimport`",
                           "write the crate's name, as in `rimport reqwest`",
                           &ct)) != 0 ||
      (rc = check_crate(p, &ct, crate_hint(p, &ct))) != 0)
    return rc;
  if ((imp.crate = tok_dup(p, &ct)) == NULL)
    return rimport__error_nomem();
  peek(p, &t);
  if (is_punct(&t, '(')) {
    if ((rc = parse_args(p, &imp)) != 0)
      return rc;
    peek(p, &t);
  }
  at = ct;
  memset(&b, 0, sizeof(b));
  b.is_crate = 1;
  b.crate = imp.crate;
  if (is_word(p, &t, "as")) {
    if ((rc = parse_alias(p, &at, &imp.alias)) != 0 ||
        (rc = check_no_args_after_alias(p, &imp)) != 0)
      return rc;
    b.name = imp.alias;
  } else if ((b.name = crate_binding_name(p, imp.crate, ct.end - ct.start)) ==
             NULL) {
    return rimport__error_nomem();
  }
  if ((rc = bind(p, &b, &at)) != 0)
    return rc;
  return push_import(p, &imp);
}

/* rimport crate [(args)] [as alias] {, crate …} */
static int parse_crate_statement(parser *p, const rimport__tok *kw) {
  size_t first = p->im->count;
  rimport__tok t;
  int rc;
  p->last = *kw;
  for (;;) {
    if ((rc = parse_crate_import(p)) != 0)
      return rc;
    peek(p, &t);
    if (!is_punct(&t, ','))
      break;
    next(p, &t);
  }
  return finish_statement(p, kw, first);
}

/* `&str`, after the `&`. */
static int parse_ref_shape(parser *p, rimport_shape *out) {
  rimport__tok e;
  next(p, &e);
  if (is_word(p, &e, "str")) {
    *out = RIMPORT_SHAPE_STR;
    return 0;
  }
  if (e.kind != RIMPORT__TOK_WORD)
    return expected(p, &e, "`str` after `&`",
                    "the only reference shape is "
                    "&str");
  return fail_tok(p, &e,
                  "unsupported generic shape `&%.*s`: supported shapes "
                  "are " SHAPES_LIST "; " SHAPES_HINT,
                  tok_len(&e), tok_text(p, &e));
}

/* `[i64]` or `[f64]` after `Vec` (the token `vec`). */
static int parse_vec_shape(parser *p, const rimport__tok *vec,
                           rimport_shape *out) {
  rimport__tok c, e;
  int rc;
  peek(p, &c);
  if (!is_punct(&c, '['))
    return fail_tok(p, vec,
                    "unsupported generic shape `Vec` without an element "
                    "shape: supported shapes are " SHAPES_LIST
                    "; " SHAPES_HINT);
  next(p, &c);
  if ((rc = push_open(p, &c)) != 0)
    return rc;
  next(p, &e);
  if (is_word(p, &e, "i64"))
    *out = RIMPORT_SHAPE_VEC_I64;
  else if (is_word(p, &e, "f64"))
    *out = RIMPORT_SHAPE_VEC_F64;
  else if (e.kind == RIMPORT__TOK_WORD || is_punct(&e, '&'))
    return fail_tok(p, &e,
                    "unsupported generic shape `Vec[%.*s]`: supported "
                    "shapes are " SHAPES_LIST "; " SHAPES_HINT,
                    tok_len(&e), tok_text(p, &e));
  else
    return expected(p, &e, "i64 or f64 inside Vec[…]",
                    "the supported vector shapes are Vec[i64] and "
                    "Vec[f64]");
  next(p, &c);
  if (!is_punct(&c, ']'))
    return expected(p, &c, "`]` after the vector's element shape",
                    "write Vec[i64] or Vec[f64]");
  p->depth--;
  return 0;
}

static int parse_shape(parser *p, rimport_shape *out) {
  rimport__tok t;
  next(p, &t);
  if (is_punct(&t, '&'))
    return parse_ref_shape(p, out);
  if (t.kind != RIMPORT__TOK_WORD)
    return expected(p, &t, "a shape (" SHAPES_LIST ")",
                    "write the instantiation as item[i64]");
  if (is_word(p, &t, "i64"))
    *out = RIMPORT_SHAPE_I64;
  else if (is_word(p, &t, "f64"))
    *out = RIMPORT_SHAPE_F64;
  else if (is_word(p, &t, "String"))
    *out = RIMPORT_SHAPE_STRING;
  else if (is_word(p, &t, "Dynamic"))
    *out = RIMPORT_SHAPE_DYNAMIC;
  else if (is_word(p, &t, "Vec"))
    return parse_vec_shape(p, &t, out);
  else
    return fail_tok(p, &t,
                    "unsupported generic shape `%.*s`: supported shapes "
                    "are " SHAPES_LIST "; " SHAPES_HINT,
                    tok_len(&t), tok_text(p, &t));
  return 0;
}

static int fail_glob_mixed(parser *p, const rimport__tok *t) {
  return fail_tok(p, t,
                  "`*` cannot be combined with other names: it already "
                  "imports everything public; import `*` alone or list "
                  "the names");
}

/* `*` as an entry of a `from` list (`nt`). */
static int parse_glob_item(parser *p, const rimport__tok *nt,
                           rimport_item *item) {
  rimport__tok t;
  if (p->item_count > 0)
    return fail_glob_mixed(p, nt);
  p->has_glob = 1;
  item->name = "*";
  peek(p, &t);
  if (is_word(p, &t, "as"))
    return fail_tok(p, &t,
                    "`*` cannot be renamed: `* as name` is not allowed; "
                    "use `rimport crate as name` to name a whole crate, or "
                    "list the items");
  return 0;
}

/* `nt`, where an entry of a `from` list should be, is not a name. An empty
 * list is named as such, unless the input ends inside brackets (then the
 * open bracket is what to report). */
static int fail_no_item(parser *p, const rimport__tok *nt) {
  if (p->item_count == 0 && !p->has_glob && (is_end(nt) || is_punct(nt, ')')) &&
      !(nt->kind == RIMPORT__TOK_EOF && p->depth > 0))
    return fail_tok(p, nt,
                    "empty import list: expected an item name after "
                    "`rimport`, found %s; list the items to import, as "
                    "in `from reqwest rimport StatusCode`",
                    is_punct(nt, ')')              ? "`)`"
                    : nt->kind == RIMPORT__TOK_EOF ? "end of input"
                                                   : "end of line");
  return expected(p, nt, "an item name or `*`",
                  "list the items to import, as in `from reqwest "
                  "rimport StatusCode, Method`");
}

/* `[shape, …]` after an item name. */
static int parse_shape_list(parser *p, rimport_item *item) {
  rimport__tok t;
  const rimport_shape *arr;
  int rc, closed = 0;
  next(p, &t);
  if ((rc = push_open(p, &t)) != 0)
    return rc;
  p->shape_count = 0;
  while (!closed) {
    rimport_shape s = RIMPORT_SHAPE_I64;
    peek(p, &t);
    if (is_punct(&t, ']') && p->shape_count > 0) {
      next(p, &t);
      break;
    }
    if ((rc = parse_shape(p, &s)) != 0)
      return rc;
    if (rimport__grow((void **)&p->shapes, &p->shape_cap, p->shape_count + 1,
                      sizeof(*p->shapes)) != 0)
      return RIMPORT_ENOMEM;
    p->shapes[p->shape_count++] = s;
    if ((rc = list_next(p, ']', "`,` or `]` after the shape",
                        "separate shapes with `,` and close the list with "
                        "`]`",
                        &closed)) != 0)
      return rc;
  }
  p->depth--;
  arr = rimport__arena_memdup(&p->im->arena, p->shapes,
                              p->shape_count * sizeof(*arr));
  if (arr == NULL)
    return rimport__error_nomem();
  item->shapes = arr;
  item->shape_count = p->shape_count;
  return 0;
}

/* Binds the name that `item` puts in the cell (`at`: its token). */
static int bind_item(parser *p, const rimport_item *item, const char *crate,
                     const char *module, const rimport__tok *at) {
  binding b;
  memset(&b, 0, sizeof(b));
  b.name = item->alias ? item->alias : item->name;
  b.crate = crate;
  b.module = module;
  b.item = item->name;
  b.shapes = item->shapes;
  b.shape_count = item->shape_count;
  b.shapes_matter = item->alias != NULL;
  return bind(p, &b, at);
}

/* `Name`, `Name[shapes]`, `… as alias` as an entry of a `from` list, `nt`
 * being its first token. */
static int parse_named_item(parser *p, const rimport__tok *nt,
                            const char *crate, const char *module,
                            rimport_item *item) {
  rimport__tok t, at = *nt;
  int rc;
  if (nt->kind != RIMPORT__TOK_WORD)
    return fail_no_item(p, nt);
  if (p->has_glob)
    return fail_glob_mixed(p, nt);
  if ((rc = check_ident(p, nt, "item name")) != 0)
    return rc;
  if ((item->name = tok_dup(p, nt)) == NULL)
    return rimport__error_nomem();
  peek(p, &t);
  if (is_punct(&t, '[') && (rc = parse_shape_list(p, item)) != 0)
    return rc;
  peek(p, &t);
  if (is_word(p, &t, "as") && (rc = parse_alias(p, &at, &item->alias)) != 0)
    return rc;
  return bind_item(p, item, crate, module, &at);
}

/* Appends `item`, which starts at `nt` and ends at the last token, to
 * p->items. */
static int push_item(parser *p, rimport_item *item, const rimport__tok *nt) {
  item->span.start = nt->start;
  item->span.end = p->last.end;
  item->span.line = nt->line;
  item->span.column = nt->col;
  item->span.end_line = p->last.end_line;
  if (rimport__grow((void **)&p->items, &p->item_cap, p->item_count + 1,
                    sizeof(*p->items)) != 0)
    return RIMPORT_ENOMEM;
  p->items[p->item_count++] = *item;
  return 0;
}

/* One entry of a `from` list: `*`, `Name`, `Name[shapes]`, `… as alias`. */
static int parse_item(parser *p, const char *crate, const char *module) {
  rimport__tok nt;
  rimport_item item;
  int rc;
  memset(&item, 0, sizeof(item));
  next(p, &nt);
  if (is_punct(&nt, '*'))
    rc = parse_glob_item(p, &nt, &item);
  else
    rc = parse_named_item(p, &nt, crate, module, &item);
  if (rc != 0)
    return rc;
  return push_item(p, &item, &nt);
}

/* What to suggest when the name after `from` is not a crate name: it may
 * be a path. */
static const char *from_crate_hint(const parser *p, const rimport__tok *ct) {
  if (memchr(tok_text(p, ct), '/', ct->end - ct->start) != NULL)
    return "; for a local crate write `rimport name(path=\"../dir\")` on "
           "an earlier line";
  return "";
}

/* One `.module` of a module path, appended to p->buf after a `::`. */
static int parse_module_segment(parser *p) {
  rimport__tok seg;
  const char *why;
  int rc;
  peek(p, &seg);
  if (seg.kind != RIMPORT__TOK_WORD || seg.space_before)
    return expected(p, &seg, "a module name right after `.`",
                    "write the module path as crate.module.submodule, "
                    "without spaces");
  next(p, &seg);
  why = rimport__check_ident(tok_text(p, &seg), seg.end - seg.start);
  if (why != NULL)
    return fail_tok(p, &seg,
                    "invalid module name `%.*s`: %s; a module name is a "
                    "Rust identifier (ASCII letters, digits and `_`, not "
                    "starting with a digit, not a Rust keyword)",
                    tok_len(&seg), tok_text(p, &seg), why);
  if ((p->buf.size > 0 && (rc = rimport__buf_puts(&p->buf, "::")) != 0) ||
      (rc = rimport__buf_put(&p->buf, tok_text(p, &seg),
                             seg.end - seg.start)) != 0)
    return rc;
  return 0;
}

/* `.module.submodule…` after the crate name, as `module::submodule`;
 * *module stays NULL when there is none. */
static int parse_module_path(parser *p, const char **module) {
  rimport__tok t;
  int rc;
  rimport__buf_clear(&p->buf);
  for (;;) {
    peek(p, &t);
    if (!is_punct(&t, '.'))
      break;
    next(p, &t);
    if ((rc = parse_module_segment(p)) != 0)
      return rc;
  }
  if (p->buf.size > 0 && (*module = buf_copy(p)) == NULL)
    return rimport__error_nomem();
  return 0;
}

/* `rimport` after `from crate.module`. */
static int expect_rimport(parser *p, const char *crate) {
  rimport__tok t;
  peek(p, &t);
  if (is_punct(&t, '('))
    return fail_tok(p, &t,
                    "keyword arguments are not allowed after `from %s`: put "
                    "them on a `rimport %s(...)` statement on an earlier "
                    "line, then write `from %s rimport Item`",
                    crate, crate, crate);
  next(p, &t);
  if (!is_word(p, &t, "rimport"))
    return expected(p, &t, "`rimport` after the module path",
                    "write `from crate.module rimport Item`");
  return 0;
}

/* In a list without parentheses, a `,` must be followed by an item on the
 * same line. */
static int check_bare_comma(parser *p) {
  rimport__tok t;
  peek(p, &t);
  if (!is_end(&t))
    return 0;
  return expected(p, &t, "an item name after `,`",
                  "remove the trailing `,`, or put the list in "
                  "parentheses to continue it on the next line");
}

/* The entries after `from … rimport`, bare or in parentheses, into
 * p->items. */
static int parse_item_list(parser *p, const char *crate, const char *module) {
  rimport__tok t;
  int rc, paren = 0;
  peek(p, &t);
  if (is_punct(&t, '(')) {
    next(p, &t);
    if ((rc = push_open(p, &t)) != 0)
      return rc;
    paren = 1;
  }
  p->item_count = 0;
  p->has_glob = 0;
  for (;;) {
    if (paren) {
      peek(p, &t);
      if (is_punct(&t, ')') && p->item_count > 0) {
        next(p, &t);
        p->depth--;
        return 0;
      }
    }
    if ((rc = parse_item(p, crate, module)) != 0)
      return rc;
    peek(p, &t);
    if (is_punct(&t, ',')) {
      next(p, &t);
      if (!paren && (rc = check_bare_comma(p)) != 0)
        return rc;
    } else if (!paren) {
      return 0;
    } else if (!is_punct(&t, ')')) {
      return expected(p, &t, "`,` or `)` in the import list",
                      "separate items with `,` and close the list with `)`");
    }
  }
}

/* from crate[.module…] rimport items */
static int parse_from_statement(parser *p, const rimport__tok *kw) {
  size_t first = p->im->count;
  rimport__tok ct;
  rimport_import imp;
  int rc;
  p->last = *kw;
  memset(&imp, 0, sizeof(imp));
  imp.kind = RIMPORT_IMPORT_ITEMS;
  imp.default_features = RIMPORT_UNSET;
  if ((rc = lex_crate_name(p, 0, "a crate name after `from`",
                           "rimport has no relative imports: name the crate, "
                           "as in `from reqwest rimport Client`",
                           &ct)) != 0 ||
      (rc = check_crate(p, &ct, from_crate_hint(p, &ct))) != 0)
    return rc;
  if ((imp.crate = tok_dup(p, &ct)) == NULL)
    return rimport__error_nomem();
  if ((rc = parse_module_path(p, &imp.module)) != 0 ||
      (rc = expect_rimport(p, imp.crate)) != 0 ||
      (rc = parse_item_list(p, imp.crate, imp.module)) != 0)
    return rc;
  imp.items = rimport__arena_memdup(&p->im->arena, p->items,
                                    p->item_count * sizeof(*p->items));
  if (imp.items == NULL)
    return rimport__error_nomem();
  imp.item_count = p->item_count;
  if ((rc = push_import(p, &imp)) != 0)
    return rc;
  return finish_statement(p, kw, first);
}

/* --- the cell ---------------------------------------------------------------
 */

/* Keeps `depth` in step with the punctuation token `t`. A stray closing
 * bracket is the Kayton compiler's to report, so it is passed over. */
static void track_brackets(const rimport__tok *t, size_t *depth) {
  if (t->punct == '\0')
    return;
  if (strchr("([{", t->punct) != NULL)
    (*depth)++;
  else if (strchr(")]}", t->punct) != NULL && *depth > 0)
    (*depth)--;
}

/* After `from` at the start of a statement: does the statement say
 * `rimport` (at bracket depth 0, not as `.rimport`) before `import`? */
static int from_is_rimport(parser *p) {
  rimport__lexer save = p->lx;
  rimport__tok t, prev;
  size_t depth = 0;
  int result = 0;
  memset(&prev, 0, sizeof(prev));
  for (;;) {
    rimport__lex_next(&p->lx, depth > 0, 1, &t);
    if (is_end(&t) || (depth == 0 && is_punct(&t, ';')))
      break;
    if (t.kind == RIMPORT__TOK_PUNCT)
      track_brackets(&t, &depth);
    else if (depth == 0 && is_word(p, &t, "import"))
      break;
    else if (depth == 0 && is_word(p, &t, "rimport") &&
             !(is_punct(&prev, '.') && !t.space_before)) {
      result = 1;
      break;
    }
    prev = t;
  }
  p->lx = save;
  return result;
}

enum { AT_NONE, AT_LINE, AT_SEMI };

static int scan_cell(parser *p) {
  rimport__tok t;
  size_t depth = 0;
  int state = AT_LINE, rc;
  for (;;) {
    rimport__lex_next(&p->lx, depth > 0, 1, &t);
    switch (t.kind) {
    case RIMPORT__TOK_EOF:
      return 0;
    case RIMPORT__TOK_NEWLINE:
      state = AT_LINE;
      break;
    case RIMPORT__TOK_WORD:
      if (depth == 0 && state != AT_NONE) {
        int is_r = is_word(p, &t, "rimport");
        int is_f = !is_r && is_word(p, &t, "from") && from_is_rimport(p);
        if (is_r || is_f) {
          if (state == AT_SEMI)
            return fail_tok(p, &t,
                            "a rimport statement must start its own line: "
                            "found `%s` after `;`; move the rimport "
                            "statement to a line of its own",
                            is_r ? "rimport" : "from");
          p->depth = 0;
          rc =
              is_r ? parse_crate_statement(p, &t) : parse_from_statement(p, &t);
          if (rc != 0)
            return rc;
          state = AT_LINE;
          break;
        }
      }
      state = AT_NONE;
      break;
    case RIMPORT__TOK_PUNCT:
      track_brackets(&t, &depth);
      state = depth == 0 && t.punct == ';' ? AT_SEMI : AT_NONE;
      break;
    default:
      state = AT_NONE;
      break;
    }
  }
}

int rimport_parse(const char *src, size_t len, rimport_imports **out) {
  parser p;
  int rc;
  if (out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_parse: `out` is NULL; pass the address "
                              "of a rimport_imports pointer");
  *out = NULL;
  if (src == NULL && len > 0)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_parse: `src` is NULL but `len` is %zu; "
                              "pass the cell text, or len 0 for an empty cell",
                              len);
  memset(&p, 0, sizeof(p));
  p.im = rimport__calloc(1, sizeof(*p.im));
  if (p.im == NULL)
    return rimport__error_nomem();
  rimport__lex_init(&p.lx, src != NULL ? src : "", len);
  rc = scan_cell(&p);
  parser_dispose(&p);
  if (rc != 0) {
    rimport_imports_free(p.im);
    return rc;
  }
  *out = p.im;
  return 0;
}
