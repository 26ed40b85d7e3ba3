/* A light Python tokenizer: just enough to know where logical lines start
 * and to hand the rimport statement parser its tokens. It never fails:
 * unbalanced or unterminated things in ordinary Kayton code are the Kayton
 * compiler's to report. */
#include <string.h>

#include "parse_internal.h"

static int cur(const rimport__lexer *lx) {
  return lx->pos < lx->len ? (unsigned char)lx->src[lx->pos] : -1;
}

static int at(const rimport__lexer *lx, size_t k) {
  return lx->len - lx->pos > k ? (unsigned char)lx->src[lx->pos + k] : -1;
}

/* Steps over one byte, keeping line and column (in code points: UTF-8
 * continuation bytes do not move the column). */
static void adv(rimport__lexer *lx) {
  unsigned char c = (unsigned char)lx->src[lx->pos++];
  if (c == '\n') {
    lx->line++;
    lx->col = 1;
  } else if ((c & 0xC0) != 0x80) {
    lx->col++;
  }
}

static int is_word_byte(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

static int is_blank(int c) {
  return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

void rimport__lex_init(rimport__lexer *lx, const char *src, size_t len) {
  lx->src = src;
  lx->len = len;
  lx->pos = 0;
  lx->line = 1;
  lx->col = 1;
}

/* Steps over a backslash that joins this line to the next (`\` then `\n`
 * or `\r\n`); 0 if none is here. */
static int skip_line_join(rimport__lexer *lx) {
  if (cur(lx) != '\\')
    return 0;
  if (at(lx, 1) == '\n') {
    adv(lx);
    adv(lx);
    return 1;
  }
  if (at(lx, 1) == '\r' && at(lx, 2) == '\n') {
    adv(lx);
    adv(lx);
    adv(lx);
    return 1;
  }
  return 0;
}

static void skip_space(rimport__lexer *lx, int in_brackets) {
  for (;;) {
    int c = cur(lx);
    if (is_blank(c) || (c == '\n' && in_brackets)) {
      adv(lx);
    } else if (c == '#') {
      while (cur(lx) != -1 && cur(lx) != '\n')
        adv(lx);
    } else if (!skip_line_join(lx)) {
      return;
    }
  }
}

/* Starts the token `t` here; the blanks before it began at `before`. */
static void tok_begin(const rimport__lexer *lx, size_t before,
                      rimport__tok *t) {
  memset(t, 0, sizeof(*t));
  t->space_before = lx->pos != before;
  t->start = lx->pos;
  t->line = lx->line;
  t->col = lx->col;
  t->terminated = 1;
}

/* r, b, f, u, rb, br, fr, rf in any case. */
static int is_string_prefix(const char *s, size_t n) {
  char a, b;
  if (n == 1) {
    a = (char)(s[0] | 0x20);
    return a == 'r' || a == 'b' || a == 'f' || a == 'u';
  }
  if (n != 2)
    return 0;
  a = (char)(s[0] | 0x20);
  b = (char)(s[1] | 0x20);
  return (a == 'r' && (b == 'b' || b == 'f')) ||
         ((a == 'b' || a == 'f') && b == 'r');
}

/* At an opening quote. */
static void lex_string(rimport__lexer *lx, int lenient, rimport__tok *t) {
  int q = cur(lx), c;
  t->kind = RIMPORT__TOK_STRING;
  t->terminated = 0;
  if (lenient && at(lx, 1) == q && at(lx, 2) == q) {
    adv(lx);
    adv(lx);
    adv(lx);
    while ((c = cur(lx)) != -1) {
      if (c == '\\') {
        adv(lx);
        if (cur(lx) != -1)
          adv(lx);
      } else if (c == q && at(lx, 1) == q && at(lx, 2) == q) {
        adv(lx);
        adv(lx);
        adv(lx);
        t->terminated = 1;
        return;
      } else {
        adv(lx);
      }
    }
    return;
  }
  adv(lx);
  while ((c = cur(lx)) != -1 && c != '\n') {
    if (c == q) {
      adv(lx);
      t->terminated = 1;
      return;
    }
    if (c == '\\') {
      if (lenient) {
        adv(lx);
        if (cur(lx) == '\r' && at(lx, 1) == '\n')
          adv(lx);
        if (cur(lx) != -1)
          adv(lx);
        continue;
      }
      if (at(lx, 1) == -1 || at(lx, 1) == '\n') {
        adv(lx);
        return;
      }
      adv(lx);
    }
    adv(lx);
  }
}

void rimport__lex_next(rimport__lexer *lx, int in_brackets, int lenient,
                       rimport__tok *t) {
  size_t before = lx->pos;
  int c;
  skip_space(lx, in_brackets);
  tok_begin(lx, before, t);
  c = cur(lx);
  if (c == -1) {
    t->kind = RIMPORT__TOK_EOF;
  } else if (c == '\n') {
    adv(lx);
    t->kind = RIMPORT__TOK_NEWLINE;
  } else if (c == '\'' || c == '"') {
    lex_string(lx, lenient, t);
  } else if (is_word_byte(c)) {
    while (is_word_byte(cur(lx)))
      adv(lx);
    t->kind = RIMPORT__TOK_WORD;
    if (lenient && (cur(lx) == '\'' || cur(lx) == '"') &&
        is_string_prefix(lx->src + t->start, lx->pos - t->start))
      lex_string(lx, lenient, t);
  } else {
    adv(lx);
    t->kind = RIMPORT__TOK_PUNCT;
    t->punct = (char)c;
  }
  t->end = lx->pos;
  t->end_line = t->kind == RIMPORT__TOK_NEWLINE ? t->line : lx->line;
}

void rimport__lex_crate(rimport__lexer *lx, int allow_dot, rimport__tok *t) {
  size_t before = lx->pos;
  int c;
  for (;;) {
    if (is_blank(cur(lx)))
      adv(lx);
    else if (!skip_line_join(lx))
      break;
  }
  tok_begin(lx, before, t);
  t->kind = RIMPORT__TOK_WORD;
  while ((c = cur(lx)) != -1 && c != '\n' && !is_blank(c) &&
         strchr("#()[]{},;:='\"\\", c) == NULL && c != '\0' &&
         (allow_dot || c != '.'))
    adv(lx);
  t->end = lx->pos;
  t->end_line = t->line;
}

unsigned int rimport__lex_column(const char *src, size_t from,
                                 unsigned int from_col, size_t to) {
  unsigned int col = from_col;
  size_t i;
  for (i = from; i < to; i++)
    if (((unsigned char)src[i] & 0xC0) != 0x80)
      col++;
  return col;
}
