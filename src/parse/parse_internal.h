/* The parse stage's internals: a light Python tokenizer (lex.c) that the
 * statement parser (parse.c) drives. */
#ifndef RIMPORT_SRC_PARSE_INTERNAL_H
#define RIMPORT_SRC_PARSE_INTERNAL_H

#include <stddef.h>

#include "../common/common.h"

typedef enum rimport__tok_kind {
  RIMPORT__TOK_EOF = 0,
  RIMPORT__TOK_NEWLINE, /* a line break that ends a logical line */
  RIMPORT__TOK_WORD,    /* a run of [A-Za-z0-9_] and bytes >= 0x80 */
  RIMPORT__TOK_STRING,  /* a string literal, quotes (and prefix) included */
  RIMPORT__TOK_PUNCT    /* any other single byte, in `punct` */
} rimport__tok_kind;

typedef struct rimport__tok {
  rimport__tok_kind kind;
  size_t start, end;          /* byte offsets: [start, end) */
  unsigned int line;          /* 1-based line of `start` */
  unsigned int col;           /* 1-based column of `start`, in code points */
  unsigned int end_line;      /* line of the token's last byte */
  char punct;                 /* RIMPORT__TOK_PUNCT: the byte */
  unsigned char space_before; /* blanks, a comment or a joined line precede */
  unsigned char terminated;   /* RIMPORT__TOK_STRING: the closing quote was
                                 found */
} rimport__tok;

/* A position in the cell. Copying the struct saves the position (lookahead
 * is "copy, lex, restore"). */
typedef struct rimport__lexer {
  const char *src;
  size_t len;
  size_t pos;
  unsigned int line, col;
} rimport__lexer;

void rimport__lex_init(rimport__lexer *lx, const char *src, size_t len);

/* Lexes the next token into *t. Blanks, `#` comments and backslash line
 * joins are skipped; so are line breaks when `in_brackets` is non-zero
 * (otherwise a line break is a RIMPORT__TOK_NEWLINE). `lenient` lexes
 * strings as Python does (r/b/f/u prefixes, triple quotes spanning lines,
 * backslash-newline) for code that is not a rimport statement; otherwise a
 * string is '…' or "…" on one line. An unterminated string stops before the
 * line break (or at the end of input) with `terminated` 0. Never fails. */
void rimport__lex_next(rimport__lexer *lx, int in_brackets, int lenient,
                       rimport__tok *t);

/* Skips blanks (not line breaks) and lexes the longest run of bytes that
 * could be meant as a crate name: everything up to a blank, a line break,
 * a comment or one of ()[]{},;:='"\ (and '.' unless `allow_dot`). The run
 * may be empty (t->start == t->end). */
void rimport__lex_crate(rimport__lexer *lx, int allow_dot, rimport__tok *t);

/* The column of byte `to`, given that byte `from` on the same line is at
 * column `from_col`. */
unsigned int rimport__lex_column(const char *src, size_t from,
                                 unsigned int from_col, size_t to);

#endif
