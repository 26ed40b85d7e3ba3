/* The rustsrc stage's internals: a Rust tokenizer good enough for
 * structure (lex.c) and the scanner that finds top-level items among the
 * tokens (scan.c), which the split (split.c), the names (names.c) and the
 * visibility pass (public.c) share. */
#ifndef RIMPORT_SRC_RUSTSRC_INTERNAL_H
#define RIMPORT_SRC_RUSTSRC_INTERNAL_H

#include <stddef.h>

#include "rustsrc.h"

/* "No token": an index that is never valid. */
#define RIMPORT__RS_NO ((size_t)-1)

typedef enum rimport__rs_tok_kind {
  RIMPORT__RS_EOF = 0,
  RIMPORT__RS_TIDENT,    /* identifier or keyword; `raw` for r#ident */
  RIMPORT__RS_TLIFETIME, /* 'a, 'static, a label */
  RIMPORT__RS_TCHAR,     /* 'x', '\n', b'x' (and a suffix, if any) */
  RIMPORT__RS_TSTRING,   /* "…", b"…", c"…", r#"…"#, br"…", cr"…" */
  RIMPORT__RS_TNUMBER,   /* 1_000u64, 0x1F, 1e-3, 1.0f32 */
  RIMPORT__RS_TPUNCT,    /* one byte of anything else, delimiters too */
  RIMPORT__RS_TCOMMENT   /* a line or block comment, doc or not */
} rimport__rs_tok_kind;

/* Doc comments (RIMPORT__RS_TCOMMENT's `doc`). */
enum { RIMPORT__RS_DOC_OUTER = 1, RIMPORT__RS_DOC_INNER = 2 };

typedef struct rimport__rs_tok {
  size_t start, end;          /* byte offsets: [start, end) */
  size_t match;               /* a delimiter: its partner's index (when the
                                 tokens were matched), else RIMPORT__RS_NO */
  unsigned char kind;         /* rimport__rs_tok_kind */
  unsigned char doc;          /* comments: 0, RIMPORT__RS_DOC_OUTER or _INNER */
  unsigned char line_comment; /* comments: `//…` (ends before the '\n') */
  unsigned char raw;          /* identifiers: written r#… */
  char punct;                 /* punctuation: the byte */
} rimport__rs_tok;

/* The tokenizer's position and its first problem. */
typedef struct rimport__rs_lexer {
  const char *src;
  size_t len, pos;
  const char *err_what;  /* "string", "block comment", …; NULL: none */
  const char *err_close; /* what would close it ("`\"`") */
  size_t err_at;         /* where the unterminated thing starts */
  size_t err_hashes;     /* a raw string: its number of '#' */
} rimport__rs_lexer;

void rimport__rs_lex_init(rimport__rs_lexer *lx, const char *src, size_t len);

/* The next token into *t: 1, or 0 at the end of the text. Whitespace is
 * skipped; comments are tokens. An unterminated string, character or
 * block comment ends at the end of the text (a character literal: where
 * it stopped) and sets err_what (the first one only). Never reads outside
 * [src, src + len). */
int rimport__rs_lex_next(rimport__rs_lexer *lx, rimport__rs_tok *t);

/* A whole text's tokens, and an EOF token at v[count] (start = end =
 * len) so that v[i] is readable for every i <= count. */
typedef struct rimport__rs_toks {
  const char *src;
  size_t len;
  rimport__rs_tok *v;
  size_t count, cap;
} rimport__rs_toks;

#define RIMPORT__RS_TOKS_INIT                                                  \
  { NULL, 0, NULL, 0, 0 }

/* Tokenizes `src`. With `balance`, every ( [ { must be closed by its kind
 * of ) ] } and each delimiter's `match` is set; otherwise `match` stays
 * RIMPORT__RS_NO. Fails with RIMPORT_EPARSE on the first unterminated
 * literal or comment (or unbalanced delimiter), with "<doing>: …" and the
 * line:column in the message and in the error record; RIMPORT_ENOMEM. *out
 * must be RIMPORT__RS_TOKS_INIT; free it with rimport__rs_toks_free (also
 * after a failure). */
int rimport__rs_tokenize(const char *src, size_t len, int balance,
                         const char *doing, rimport__rs_toks *out);

void rimport__rs_toks_free(rimport__rs_toks *t);

/* The 1-based line and character column of byte `off`. */
void rimport__rs_position(const char *src, size_t len, size_t off,
                          unsigned int *line, unsigned int *column);

/* --- token tests (scan.c) ------------------------------------------------ */

/* Non-zero when s is a strict or reserved keyword of Rust 2021 (with
 * `self`, `Self`, `super` and `crate`). */
int rimport__rs_is_keyword(const char *s, size_t len);

/* v[i] is the punctuation byte c. */
int rimport__rs_is_punct(const rimport__rs_toks *t, size_t i, char c);

/* v[i] is the identifier w, not written raw (so a keyword test). */
int rimport__rs_is_word(const rimport__rs_toks *t, size_t i, const char *w);

/* v[i] is an identifier that can name something: raw, or neither a
 * keyword nor `_`. */
int rimport__rs_is_name(const rimport__rs_toks *t, size_t i);

/* The first index >= i and < hi that is not a comment, else hi. */
size_t rimport__rs_sig(const rimport__rs_toks *t, size_t i, size_t hi);

/* The last index < i and >= lo that is not a comment, else
 * RIMPORT__RS_NO. */
size_t rimport__rs_sig_before(const rimport__rs_toks *t, size_t i, size_t lo);

/* v[i] is `>` that is not the end of `->`. */
int rimport__rs_is_angle_close(const rimport__rs_toks *t, size_t i);

/* --- the item scanner (scan.c) -------------------------------------------
 * Among matched tokens [lo, hi), at delimiter depth 0: the boundaries are
 * lo, the token after a `;`, after a `}` that closes a group opened at
 * depth 0, and after an inner attribute `#![…]` or inner doc comment. At
 * a boundary, past outer attributes and doc comments, an item starts when
 * the next tokens are a visibility or an item keyword (see scan.c);
 * anything else is a statement, which runs to the next boundary where an
 * item starts. */
typedef struct rimport__rs_item {
  rimport__rs_kind kind;
  size_t first;     /* its first token: an outer attribute or doc comment, else
                       head */
  size_t head;      /* the first token after the attributes: `pub` or the
                       first keyword (`unsafe` of `unsafe fn`) */
  int has_vis;      /* head is `pub` */
  size_t kw;        /* the keyword that says the kind (`fn`, `struct`, `impl`,
                       `const` of a const item, `crate` of extern crate,
                       `macro_rules`, …); head for RIMPORT__RS_OTHER */
  size_t name;      /* the name's token, or RIMPORT__RS_NO */
  size_t body;      /* the `{` of its body, or RIMPORT__RS_NO */
  size_t paren;     /* the first `(` at depth 0 after kw (outside `<…>`):
                       a tuple struct's fields, a fn's parameters; or
                       RIMPORT__RS_NO */
  size_t last;      /* its last token (the `;` or `}` that ends it) */
  int macro_export; /* one of its attributes is #[macro_export…] */
} rimport__rs_item;

typedef struct rimport__rs_scan {
  const rimport__rs_toks *t;
  size_t pos, hi;
} rimport__rs_scan;

void rimport__rs_scan_init(rimport__rs_scan *s, const rimport__rs_toks *t,
                           size_t lo, size_t hi);

/* The next item into *it: 1, or 0 when no item is left. Statements between
 * items are stepped over. */
int rimport__rs_scan_next(rimport__rs_scan *s, rimport__rs_item *it);

/* An impl item whose header (up to its body) has no `for` outside `<…>`
 * other than a `for<…>` bound: an inherent impl. */
int rimport__rs_impl_is_inherent(const rimport__rs_toks *t,
                                 const rimport__rs_item *it);

#endif
