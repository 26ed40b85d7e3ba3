/* A Rust tokenizer good enough for structure: identifiers (raw too, any
 * byte >= 0x80 counting as a letter), lifetimes and labels, character and
 * byte literals, strings of every kind (byte, C, raw with any number of
 * '#'), numbers, comments (block comments nest; doc comments are told
 * apart) and single bytes of punctuation. Not a full Rust lexer: what a
 * literal holds is not checked. It never reads outside the text. */
#include <stdio.h>
#include <string.h>

#include "rustsrc_internal.h"

static int is_ident_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c >= 0x80;
}

static int is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}

static int is_ident_continue(unsigned char c) {
  return is_ident_start(c) || is_digit(c);
}

static int is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

/* The byte at p, or -1 past the end. */
static int at(const rimport__rs_lexer *lx, size_t p) {
  return p < lx->len ? (unsigned char)lx->src[p] : -1;
}

static size_t skip_ident(const rimport__rs_lexer *lx, size_t p) {
  while (p < lx->len && is_ident_continue((unsigned char)lx->src[p]))
    p++;
  return p;
}

/* A literal's suffix (`1u8`, `"x"suffix`): an identifier right after it. */
static size_t skip_suffix(const rimport__rs_lexer *lx, size_t p) {
  if (p < lx->len && is_ident_start((unsigned char)lx->src[p]))
    return skip_ident(lx, p);
  return p;
}

static void fail(rimport__rs_lexer *lx, const char *what, const char *close,
                 size_t at_pos, size_t hashes) {
  if (lx->err_what != NULL)
    return;
  lx->err_what = what;
  lx->err_close = close;
  lx->err_at = at_pos;
  lx->err_hashes = hashes;
}

/* The length of the UTF-8 sequence that lead byte c starts (1 for ASCII
 * and for bytes that start none). */
static size_t utf8_len(unsigned char c) {
  if (c >= 0xF0 && c <= 0xF7)
    return 4;
  if (c >= 0xE0)
    return c <= 0xEF ? 3 : 1;
  if (c >= 0xC0)
    return 2;
  return 1;
}

/* A quoted string: p is at the opening '"'. Returns the end (after the
 * closing quote and any suffix), or len when it is unterminated. */
static size_t scan_string(rimport__rs_lexer *lx, size_t start, size_t p,
                          const char *what) {
  p++;
  while (p < lx->len) {
    char c = lx->src[p];
    if (c == '\\') {
      p = lx->len - p > 2 ? p + 2 : lx->len;
      continue;
    }
    if (c == '"')
      return skip_suffix(lx, p + 1);
    p++;
  }
  fail(lx, what, "`\"`", start, 0);
  return lx->len;
}

/* A raw string: p is after the `r`, at the '#'s or the '"'. Returns its
 * end, len when it is unterminated, or 0 when this is not a raw string
 * (no '"' after the '#'s). */
static size_t scan_raw_string(rimport__rs_lexer *lx, size_t start, size_t p,
                              const char *what) {
  size_t hashes = 0;
  while (p < lx->len && lx->src[p] == '#') {
    hashes++;
    p++;
  }
  if (at(lx, p) != '"')
    return 0;
  p++;
  while (p < lx->len) {
    if (lx->src[p] == '"') {
      size_t k = 0;
      while (k < hashes && lx->len - (p + 1) > k && lx->src[p + 1 + k] == '#')
        k++;
      if (k == hashes)
        return skip_suffix(lx, p + 1 + hashes);
    }
    p++;
  }
  fail(lx, what, "`\"`", start, hashes);
  return lx->len;
}

/* A character or byte literal: p is after the opening '\''. Returns its
 * end; an unterminated one stops where it stopped. */
static size_t scan_char(rimport__rs_lexer *lx, size_t start, size_t p,
                        const char *what) {
  int c = at(lx, p);
  if (c == '\\') {
    /* The escaped byte, then the closing quote within a few bytes
     * ('\x7f', '\u{10FFFF}'), on this line. */
    size_t q = lx->len - p > 2 ? p + 2 : lx->len;
    size_t limit = q + 16;
    while (q < lx->len && q < limit && lx->src[q] != '\n') {
      if (lx->src[q] == '\'')
        return skip_suffix(lx, q + 1);
      q++;
    }
    fail(lx, what, "`'`", start, 0);
    return q;
  }
  if (c < 0 || c == '\n' || c == '\r') {
    fail(lx, what, "`'`", start, 0);
    return p;
  }
  p += utf8_len((unsigned char)c);
  if (p > lx->len)
    p = lx->len;
  if (at(lx, p) == '\'')
    return skip_suffix(lx, p + 1);
  fail(lx, what, "`'`", start, 0);
  return p;
}

/* A line comment or a (nested) block comment: p is at the first slash. */
static void scan_comment(rimport__rs_lexer *lx, rimport__rs_tok *t) {
  size_t p = lx->pos;
  int c3 = at(lx, p + 2), c4 = at(lx, p + 3);
  t->kind = RIMPORT__RS_TCOMMENT;
  if (at(lx, p + 1) == '/') {
    const char *nl = memchr(lx->src + p, '\n', lx->len - p);
    t->line_comment = 1;
    if (c3 == '/' && c4 != '/')
      t->doc = RIMPORT__RS_DOC_OUTER;
    else if (c3 == '!')
      t->doc = RIMPORT__RS_DOC_INNER;
    t->end = nl != NULL ? (size_t)(nl - lx->src) : lx->len;
    return;
  }
  if (c3 == '*' && c4 != '*' && c4 != '/')
    t->doc = RIMPORT__RS_DOC_OUTER;
  else if (c3 == '!')
    t->doc = RIMPORT__RS_DOC_INNER;
  {
    size_t depth = 1;
    p += 2;
    while (p < lx->len) {
      char c = lx->src[p];
      if (c == '/' && at(lx, p + 1) == '*') {
        depth++;
        p += 2;
      } else if (c == '*' && at(lx, p + 1) == '/') {
        p += 2;
        if (--depth == 0) {
          t->end = p;
          return;
        }
      } else {
        p++;
      }
    }
    fail(lx, "block comment", "`*/`", lx->pos, depth);
    t->end = lx->len;
  }
}

static size_t scan_number(const rimport__rs_lexer *lx, size_t p) {
  int c1 = at(lx, p + 1);
  if (lx->src[p] == '0' && (c1 == 'x' || c1 == 'o' || c1 == 'b')) {
    p += 2;
    while (p < lx->len && is_ident_continue((unsigned char)lx->src[p]))
      p++;
    return p;
  }
  while (p < lx->len &&
         (is_digit((unsigned char)lx->src[p]) || lx->src[p] == '_'))
    p++;
  /* A fraction, unless `1..2` (a range) or `1.max(2)` (a method). */
  if (at(lx, p) == '.' && at(lx, p + 1) != '.' &&
      !(at(lx, p + 1) >= 0 && is_ident_start((unsigned char)at(lx, p + 1)))) {
    p++;
    while (p < lx->len &&
           (is_digit((unsigned char)lx->src[p]) || lx->src[p] == '_'))
      p++;
  }
  if (at(lx, p) == 'e' || at(lx, p) == 'E') {
    size_t q = p + 1;
    if (at(lx, q) == '+' || at(lx, q) == '-')
      q++;
    if (at(lx, q) >= 0 &&
        (is_digit((unsigned char)at(lx, q)) || at(lx, q) == '_')) {
      p = q;
      while (p < lx->len &&
             (is_digit((unsigned char)lx->src[p]) || lx->src[p] == '_'))
        p++;
    }
  }
  return skip_suffix(lx, p);
}

/* An identifier, or a literal with a prefix (r"…", b'…', br#"…"#, c"…",
 * cr"…") or a raw identifier (r#x). */
static void scan_word(rimport__rs_lexer *lx, rimport__rs_tok *t) {
  size_t p = lx->pos, end;
  char c = lx->src[p];
  int c1 = at(lx, p + 1), c2 = at(lx, p + 2);
  if (c == 'r' && (c1 == '"' || c1 == '#')) {
    end = scan_raw_string(lx, p, p + 1, "raw string");
    if (end != 0) {
      t->kind = RIMPORT__RS_TSTRING;
      t->end = end;
      return;
    }
    if (c1 == '#' && c2 >= 0 && is_ident_start((unsigned char)c2)) {
      t->kind = RIMPORT__RS_TIDENT;
      t->raw = 1;
      t->end = skip_ident(lx, p + 2);
      return;
    }
  } else if (c == 'b' && c1 == '\'') {
    t->kind = RIMPORT__RS_TCHAR;
    t->end = scan_char(lx, p, p + 2, "byte literal");
    return;
  } else if ((c == 'b' || c == 'c') && c1 == '"') {
    t->kind = RIMPORT__RS_TSTRING;
    t->end = scan_string(lx, p, p + 1, c == 'b' ? "byte string" : "C string");
    return;
  } else if ((c == 'b' || c == 'c') && c1 == 'r' && (c2 == '"' || c2 == '#')) {
    end = scan_raw_string(lx, p, p + 2,
                          c == 'b' ? "raw byte string" : "raw C string");
    if (end != 0) {
      t->kind = RIMPORT__RS_TSTRING;
      t->end = end;
      return;
    }
  }
  t->kind = RIMPORT__RS_TIDENT;
  t->end = skip_ident(lx, p);
}

/* `'`: a lifetime or label ('a, 'static), or a character literal. */
static void scan_quote(rimport__rs_lexer *lx, rimport__rs_tok *t) {
  size_t p = lx->pos + 1;
  int c = at(lx, p);
  if (c >= 0 && c != '\\' && is_ident_start((unsigned char)c)) {
    size_t one = p + utf8_len((unsigned char)c);
    size_t run = skip_ident(lx, p);
    /* 'a' is a character; 'ab' is not valid Rust, but a character is what
     * was meant: a lifetime is never followed by a quote. */
    if (at(lx, one) == '\'' || at(lx, run) == '\'') {
      t->kind = RIMPORT__RS_TCHAR;
      t->end = skip_suffix(lx, (at(lx, one) == '\'' ? one : run) + 1);
      return;
    }
    t->kind = RIMPORT__RS_TLIFETIME;
    t->end = run;
    return;
  }
  t->kind = RIMPORT__RS_TCHAR;
  t->end = scan_char(lx, lx->pos, p, "character literal");
}

void rimport__rs_lex_init(rimport__rs_lexer *lx, const char *src, size_t len) {
  memset(lx, 0, sizeof(*lx));
  lx->src = src;
  lx->len = len;
}

int rimport__rs_lex_next(rimport__rs_lexer *lx, rimport__rs_tok *t) {
  unsigned char c;
  while (lx->pos < lx->len && is_space((unsigned char)lx->src[lx->pos]))
    lx->pos++;
  memset(t, 0, sizeof(*t));
  t->match = RIMPORT__RS_NO;
  t->start = t->end = lx->pos;
  if (lx->pos >= lx->len)
    return 0;
  c = (unsigned char)lx->src[lx->pos];
  if (c == '/' && (at(lx, lx->pos + 1) == '/' || at(lx, lx->pos + 1) == '*')) {
    scan_comment(lx, t);
  } else if (c == '"') {
    t->kind = RIMPORT__RS_TSTRING;
    t->end = scan_string(lx, lx->pos, lx->pos, "string");
  } else if (c == '\'') {
    scan_quote(lx, t);
  } else if (is_digit(c)) {
    t->kind = RIMPORT__RS_TNUMBER;
    t->end = scan_number(lx, lx->pos);
  } else if (is_ident_start(c)) {
    scan_word(lx, t);
  } else {
    t->kind = RIMPORT__RS_TPUNCT;
    t->punct = (char)c;
    t->end = lx->pos + 1;
  }
  if (t->end <= lx->pos) /* never stand still */
    t->end = lx->pos + 1;
  if (t->end > lx->len)
    t->end = lx->len;
  lx->pos = t->end;
  return 1;
}

void rimport__rs_position(const char *src, size_t len, size_t off,
                          unsigned int *line, unsigned int *column) {
  size_t i;
  unsigned int l = 1, col = 1;
  if (off > len)
    off = len;
  for (i = 0; i < off; i++) {
    unsigned char c = (unsigned char)src[i];
    if (c == '\n') {
      l++;
      col = 1;
    } else if ((c & 0xC0) != 0x80) {
      col++;
    }
  }
  *line = l;
  *column = col;
}

/* The text an error shows: from `off` to the end of its line, at most 40
 * bytes. */
static size_t quote_len(const char *src, size_t len, size_t off) {
  size_t n = 0;
  while (off + n < len && n < 40 && src[off + n] != '\n' &&
         src[off + n] != '\r')
    n++;
  return n;
}

static int fail_at(const char *src, size_t len, size_t off, const char *doing,
                   const char *what, const char *advice) {
  unsigned int line, col;
  rimport__rs_position(src, len, off, &line, &col);
  return rimport__error_set_at(RIMPORT_EPARSE, line, col, src + off,
                               quote_len(src, len, off), "%s: %s at %u:%u; %s",
                               doing, what, line, col, advice);
}

static int fail_lex(const rimport__rs_lexer *lx, const char *doing) {
  char what[96], advice[160];
  unsigned int line, col;
  rimport__rs_position(lx->src, lx->len, lx->err_at, &line, &col);
  if (strcmp(lx->err_what, "block comment") == 0) {
    snprintf(what, sizeof(what), "unterminated block comment starting");
    snprintf(advice, sizeof(advice),
             "close it with `*/` (%zu still open: block comments nest, so "
             "every `/*` inside needs its own `*/`)",
             lx->err_hashes);
  } else if (strstr(lx->err_what, "raw") != NULL) {
    static const char hashes[] = "################################";
    int n = lx->err_hashes < sizeof(hashes) - 1 ? (int)lx->err_hashes
                                                : (int)sizeof(hashes) - 1;
    snprintf(what, sizeof(what), "unterminated %s starting", lx->err_what);
    snprintf(advice, sizeof(advice), "close it with `\"%.*s`%s", n, hashes,
             lx->err_hashes >= sizeof(hashes) ? " (and more `#`)" : "");
  } else if (strstr(lx->err_what, "literal") != NULL) {
    snprintf(what, sizeof(what), "unterminated %s starting", lx->err_what);
    snprintf(advice, sizeof(advice),
             "close it with `'` (a quote inside one is written `'\\''`)");
  } else {
    snprintf(what, sizeof(what), "unterminated %s starting", lx->err_what);
    snprintf(advice, sizeof(advice),
             "close it with `\"` (a quote inside one is written `\\\"`)");
  }
  return fail_at(lx->src, lx->len, lx->err_at, doing, what, advice);
}

static int push_tok(rimport__rs_toks *out, const rimport__rs_tok *t) {
  /* One more than count: room for the EOF token. */
  int rc = rimport__grow((void **)&out->v, &out->cap, out->count + 2,
                         sizeof(*out->v));
  if (rc != 0)
    return rc;
  out->v[out->count++] = *t;
  return 0;
}

static char closer_of(char open) {
  return open == '(' ? ')' : open == '[' ? ']' : '}';
}

int rimport__rs_tokenize(const char *src, size_t len, int balance,
                         const char *doing, rimport__rs_toks *out) {
  rimport__rs_lexer lx;
  rimport__rs_tok t;
  size_t *stack = NULL, depth = 0, stack_cap = 0;
  int rc = 0;
  if (src == NULL) { /* an empty text: no arithmetic on NULL later */
    src = "";
    len = 0;
  }
  out->src = src;
  out->len = len;
  rimport__rs_lex_init(&lx, src, len);
  while (rimport__rs_lex_next(&lx, &t)) {
    if (lx.err_what != NULL) {
      rc = fail_lex(&lx, doing);
      goto done;
    }
    if ((rc = push_tok(out, &t)) != 0)
      goto done;
    if (!balance || t.kind != RIMPORT__RS_TPUNCT)
      continue;
    if (t.punct == '(' || t.punct == '[' || t.punct == '{') {
      rc =
          rimport__grow((void **)&stack, &stack_cap, depth + 1, sizeof(*stack));
      if (rc != 0)
        goto done;
      stack[depth++] = out->count - 1;
    } else if (t.punct == ')' || t.punct == ']' || t.punct == '}') {
      char what[64], advice[128];
      size_t open;
      if (depth == 0) {
        snprintf(what, sizeof(what), "unbalanced `%c`", t.punct);
        rc = fail_at(src, len, t.start, doing, what,
                     "nothing before it is open: remove it, or add the "
                     "opening delimiter it closes");
        goto done;
      }
      open = stack[--depth];
      if (closer_of(out->v[open].punct) != t.punct) {
        unsigned int line, col;
        rimport__rs_position(src, len, out->v[open].start, &line, &col);
        snprintf(what, sizeof(what), "unbalanced `%c`", t.punct);
        snprintf(advice, sizeof(advice),
                 "the `%c` opened at %u:%u is still open: close it with "
                 "`%c` first",
                 out->v[open].punct, line, col, closer_of(out->v[open].punct));
        rc = fail_at(src, len, t.start, doing, what, advice);
        goto done;
      }
      out->v[open].match = out->count - 1;
      out->v[out->count - 1].match = open;
    }
  }
  if (lx.err_what != NULL) {
    rc = fail_lex(&lx, doing);
    goto done;
  }
  if (depth > 0) {
    char what[64], advice[64];
    const rimport__rs_tok *open = &out->v[stack[depth - 1]];
    snprintf(what, sizeof(what), "unbalanced `%c`", open->punct);
    snprintf(advice, sizeof(advice), "it is never closed: add a `%c`",
             closer_of(open->punct));
    rc = fail_at(src, len, open->start, doing, what, advice);
    goto done;
  }
  if (out->v == NULL && (rc = rimport__grow((void **)&out->v, &out->cap, 1,
                                            sizeof(*out->v))) != 0)
    goto done;
  memset(&out->v[out->count], 0, sizeof(out->v[0]));
  out->v[out->count].kind = RIMPORT__RS_EOF;
  out->v[out->count].start = out->v[out->count].end = len;
  out->v[out->count].match = RIMPORT__RS_NO;
done:
  rimport__free(stack);
  return rc;
}

void rimport__rs_toks_free(rimport__rs_toks *t) {
  if (t == NULL)
    return;
  rimport__free(t->v);
  t->v = NULL;
  t->count = t->cap = 0;
}
