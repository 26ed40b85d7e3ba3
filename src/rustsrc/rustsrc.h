/* The rustsrc stage's interface to the stages above it: what the Rust text
 * of a cell defines, makes public and mentions. rimport_cell_split (public,
 * include/rimport/cell_split.h) splits a cell into its items text and its
 * statements text; the calls here work on those texts.
 *
 * Every text is (ptr, len): it need not be NUL-terminated. A text with an
 * unterminated literal or comment (or, where a call says so, unbalanced
 * delimiters) gives RIMPORT_EPARSE with the line:column in
 * rimport_error_last(). Thread-safe: no shared state. */
#ifndef RIMPORT_SRC_RUSTSRC_H
#define RIMPORT_SRC_RUSTSRC_H

#include <stddef.h>

#include "../common/common.h"

/* Blanks the rimport statements (`rimport x`, `from x rimport y`: the
 * spans rimport_parse gives) of the text in b: every byte but '\n' and
 * '\r' becomes ' ', so lines and columns stay. 0, or rimport_parse's
 * error. */
int rimport__rs_blank_imports(rimport_buf *b);

/* What a name is (or what an item is: the scanner uses the same list). */
typedef enum rimport__rs_kind {
  RIMPORT__RS_NONE = 0,
  RIMPORT__RS_FN,           /* fn, and a foreign fn of an extern block */
  RIMPORT__RS_STRUCT,       /* struct */
  RIMPORT__RS_ENUM,         /* enum */
  RIMPORT__RS_UNION,        /* union */
  RIMPORT__RS_TRAIT,        /* trait, auto trait */
  RIMPORT__RS_TYPE,         /* type alias */
  RIMPORT__RS_CONST,        /* const */
  RIMPORT__RS_STATIC,       /* static, static mut, a foreign static */
  RIMPORT__RS_MOD,          /* mod */
  RIMPORT__RS_MACRO,        /* macro_rules! */
  RIMPORT__RS_USE,          /* a leaf of a use tree */
  RIMPORT__RS_EXTERN_CRATE, /* extern crate */
  RIMPORT__RS_IMPL,         /* impl block (items only: binds no name) */
  RIMPORT__RS_EXTERN_BLOCK, /* extern "C" { … } (items only) */
  RIMPORT__RS_OTHER,        /* items only: `pub` and something unknown */
  RIMPORT__RS_IDENT         /* names: an identifier that a text mentions */
} rimport__rs_kind;

/* The kind's word ("fn", "macro", "use", "ident"); static. */
const char *rimport__rs_kind_name(rimport__rs_kind kind);

/* One name. */
typedef struct rimport__rs_name {
  char *name;            /* NUL-terminated, as written (`r#` kept, except
                            for rimport__rs_idents); owned by the list */
  size_t len;            /* strlen(name) */
  rimport__rs_kind kind; /* what binds it */
  size_t offset;         /* byte offset of (the first) occurrence */
} rimport__rs_name;

/* A list of names and what else was seen. Initialize with
 * RIMPORT__RS_NAMES_INIT, free with rimport__rs_names_dispose. */
typedef struct rimport__rs_names {
  rimport__rs_name *v; /* in the order written */
  size_t count;
  /* `use …::*`: a glob import (its names are unknown here). */
  int has_glob;
  /* Items that bind no name a later crate can `use`: an impl block, a glob
   * import, `use x as _`, `extern crate x as _`: only linking the cell
   * gives them to a later crate. */
  int has_nameless;
  /* `use x as _` (a trait imported for its methods): it binds no name. */
  int has_underscore_use;
  /* The path of each glob, segments joined by "::" as written ("std::io",
   * "::core::fmt", "self" for `use self::*`, "" for `use *`). */
  char **globs;
  size_t glob_count;
  /* private */
  size_t cap, glob_cap;
  size_t *set; /* rimport__rs_idents: a hash set of 1 + indices into v of
                  the RIMPORT__RS_IDENT names */
  size_t set_cap, set_used, set_seen;
} rimport__rs_names;

#define RIMPORT__RS_NAMES_INIT                                                 \
  { NULL, 0, 0, 0, 0, NULL, 0, 0, 0, NULL, 0, 0, 0 }

/* Frees the names and resets the list to RIMPORT__RS_NAMES_INIT (the list
 * itself is the caller's). NULL is a no-op. */
void rimport__rs_names_dispose(rimport__rs_names *names);

/* The names that the top-level items of `items` (an items text from
 * rimport_cell_split, or any text of items) bind at the crate root, in the
 * order written, appended to *out (which the caller frees, also on
 * failure): fn/struct/enum/union/trait/type/const/static/mod NAME, macro_rules!
 * NAME (kind RIMPORT__RS_MACRO), extern crate x [as y], each foreign fn and
 * static of an extern block, each leaf of a use tree (a `self` leaf binds
 * the prefix's last segment). `_` is never a name. Needs balanced
 * delimiters. Returns 0, RIMPORT_EPARSE or RIMPORT_ENOMEM. */
int rimport__rs_item_names(const char *items, size_t len,
                           rimport__rs_names *out);

/* Every identifier token of `text` (in code and in macro invocations; not
 * in strings, characters or comments; not keywords of Rust 2021, `self`,
 * `Self`, `super`, `crate` or `_`), once each, in the order first seen,
 * appended to *out with kind RIMPORT__RS_IDENT. A raw identifier `r#x` is
 * given as "x". Delimiters need not balance. Returns 0, RIMPORT_EPARSE (an
 * unterminated literal or comment) or RIMPORT_ENOMEM. */
int rimport__rs_idents(const char *text, size_t len, rimport__rs_names *out);

/* An inline insertion of rimport__rs_make_public_ex: `added` bytes were
 * put in front of the input's byte `offset` (on 1-based `line`, at
 * 1-based character `column`), so the code after it on that line moved
 * right by `added` columns. */
typedef struct rimport__rs_shift {
  size_t offset;
  unsigned int line, column;
  size_t added;
} rimport__rs_shift;

typedef struct rimport__rs_shifts {
  rimport__rs_shift *v; /* in the order of the text */
  size_t count, cap;
} rimport__rs_shifts;

#define RIMPORT__RS_SHIFTS_INIT                                                \
  { NULL, 0, 0 }

void rimport__rs_shifts_free(rimport__rs_shifts *shifts);

/* The items text with visibility added so that another crate can use all
 * of it, into *out (replacing what it held; empty on failure):
 *  - each item without a visibility gets `pub` (fn, struct, enum, union,
 *    trait, type, const but not `const _`, static, mod, use, extern
 *    crate); impl and extern blocks get none; items with any visibility
 *    are left alone;
 *  - macro_rules! without #[macro_export] gets #[macro_export];
 *  - struct and union fields (named and tuple) without a visibility get
 *    `pub`; enums get nothing;
 *  - in an inherent impl each fn, const and type without a visibility gets
 *    `pub`; trait impls and traits get nothing;
 *  - mod bodies get the same rules (nested at most 128 deep:
 *    RIMPORT_EUNSUPPORTED beyond), extern blocks' fns and statics `pub`.
 * Lines and columns of the input's code do not move: when the token before
 * the insertion point ends on an earlier line, " pub" goes right after that
 * token (a line doc comment there, `/// x` or `//! x`, is first rewritten
 * as `#[doc = r"x"]` or `#![doc = r"x"]`, so that the comment does not
 * swallow it); only when it is on the same line (or there is none) does
 * "pub " go in front of the item, on the item's line. Needs balanced
 * delimiters. Returns 0, RIMPORT_EPARSE, RIMPORT_EUNSUPPORTED or
 * RIMPORT_ENOMEM. */
int rimport__rs_make_public(const char *items, size_t len, rimport_buf *out);

/* rimport__rs_make_public, and when `shifts` is not NULL the inline
 * insertions (the ones that move code right on their line) appended to
 * *shifts, which the caller frees (also on failure). */
int rimport__rs_make_public_ex(const char *items, size_t len, rimport_buf *out,
                               rimport__rs_shifts *shifts);

/* The tail of a cell's statements: the text after the last `;` at
 * delimiter depth 0 (comments, strings and attributes understood), when
 * something other than comments follows it — the expression whose value a
 * notebook shows (with any block-like statements before it: wrapped in a
 * block, they keep their meaning). *start is that offset (0 when there is
 * no `;`), *has_tail whether anything but blanks and comments follows.
 * RIMPORT_EPARSE for an unterminated literal or unbalanced delimiters. */
int rimport__rs_tail(const char *text, size_t len, size_t *start,
                     int *has_tail);

#endif
