/**
 * @file rimport/parse.h
 * @brief Import descriptors and the parser that finds rimport statements in
 *        a Kayton cell.
 *
 * Included by rimport.h; do not include it on its own.
 */
#ifndef RIMPORT_PARSE_H
#define RIMPORT_PARSE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The shapes a generic item can be instantiated with. */
typedef enum rimport_shape {
  RIMPORT_SHAPE_I64 = 1,     /**< `i64` */
  RIMPORT_SHAPE_F64 = 2,     /**< `f64` */
  RIMPORT_SHAPE_STR = 3,     /**< `&str` */
  RIMPORT_SHAPE_STRING = 4,  /**< `String` */
  RIMPORT_SHAPE_VEC_I64 = 5, /**< `Vec[i64]` (Rust `Vec<i64>`) */
  RIMPORT_SHAPE_VEC_F64 = 6, /**< `Vec[f64]` (Rust `Vec<f64>`) */
  RIMPORT_SHAPE_DYNAMIC = 7  /**< `Dynamic`, an opaque VM handle */
} rimport_shape;

/**
 * The shape's name as a Kayton cell spells it ("Vec[i64]"), or NULL for a
 * value that is not a shape. Static string. Thread-safe.
 */
RIMPORT_EXTERN const char *rimport_shape_name(rimport_shape shape);

/**
 * The shape's Rust type ("Vec<i64>"), or NULL for a value that is not a
 * shape. Static string. Thread-safe.
 */
RIMPORT_EXTERN const char *rimport_shape_rust(rimport_shape shape);

/** Where in the cell text a statement or item stands. */
typedef struct rimport_span {
  size_t start;          /**< byte offset of its first byte */
  size_t end;            /**< byte offset one past its last byte */
  unsigned int line;     /**< 1-based line of `start` */
  unsigned int column;   /**< 1-based column of `start`, in characters */
  unsigned int end_line; /**< 1-based line of the last byte */
} rimport_span;

/**
 * One requested item: `Method as M`, `largest[i64]`, or `*`.
 * A generic instantiation lists its shapes (`Pair[i64, f64]` has two).
 */
typedef struct rimport_item {
  const char *name;  /**< the item's name in its module; "*" for a glob */
  const char *alias; /**< the name bound in the cell; NULL means `name`
                          (always NULL for a glob) */
  const rimport_shape *shapes; /**< generic arguments, or NULL */
  size_t shape_count;          /**< 0 when the item is not instantiated */
  rimport_span span;           /**< set by the parser; may be zero */
} rimport_item;

/** Whether a statement imports a whole crate or items from it. */
typedef enum rimport_import_kind {
  RIMPORT_IMPORT_CRATE = 1, /**< `rimport reqwest [as rq]` */
  RIMPORT_IMPORT_ITEMS = 2  /**< `from reqwest[.mod] rimport A, B as C` */
} rimport_import_kind;

/** default_features as written: not said, False, or True. */
typedef enum rimport_tristate {
  RIMPORT_UNSET = -1,
  RIMPORT_FALSE = 0,
  RIMPORT_TRUE = 1
} rimport_tristate;

/**
 * One import descriptor. The parser makes them from rimport statements; a
 * front-end that parses the statements itself fills them in the same way
 * (every pointer it sets is its own and must live as long as the call that
 * takes the descriptor).
 *
 * Strings are UTF-8 and NUL-terminated. Unset optional strings are NULL.
 */
typedef struct rimport_import {
  rimport_import_kind kind;
  const char *crate;   /**< crate name as written, e.g. "tokio-util" */
  const char *alias;   /**< CRATE: `as` name; NULL means the crate name with
                            '-' turned into '_'. ITEMS: always NULL */
  const char *module;  /**< ITEMS: module path inside the crate with `::`
                            separators ("blocking"), or NULL for the root */
  const char *version; /**< `version="…"`: a Cargo version requirement */
  const char *path;    /**< `path="…"`: a local crate directory, as written */
  const char *package; /**< `package="…"`: the package name on the registry */
  const char *const *features; /**< `features=[…]`, in the order written */
  size_t feature_count;
  rimport_tristate default_features; /**< `default_features=` */
  const rimport_item *items;         /**< ITEMS: the requested items */
  size_t item_count;
  const char *statement; /**< the statement's text as written, from its
                              first token to the end of its last one
                              (comments inside a parenthesised list
                              included, a trailing comment not), or NULL.
                              `rimport a, b` gives two descriptors that
                              share one statement and one span */
  rimport_span span;     /**< the statement's place in the cell */
} rimport_import;

/** The imports found in one cell. Opaque; free with rimport_imports_free. */
typedef struct rimport_imports rimport_imports;

/**
 * Finds every rimport statement in a Kayton cell.
 *
 * A rimport statement is a logical line that begins with the keyword
 * `rimport`, or with `from <crate>[.<module>…]` followed by `rimport`.
 * Everything else, including the word rimport inside strings, comments or
 * other statements, is left alone. Each statement's byte span lets the
 * front-end blank it out before compiling the rest of the cell.
 *
 * Crate names follow crates.io's rules; module paths, items and aliases
 * are Rust identifiers; keyword arguments (`version`, `path`, `package`,
 * `features`, `default_features`) go on `rimport crate(...)` only; generic
 * items take the shapes listed in rimport_shape. A name bound twice in one
 * cell to different things is an error. The first problem stops the parse.
 * Only rimport statements are checked: unbalanced brackets or unterminated
 * strings in ordinary code are the Kayton compiler's to report.
 *
 * @param src  the cell text (UTF-8; need not be NUL-terminated)
 * @param len  its length in bytes
 * @param out  receives the imports on success (owned by the caller, free
 *             with rimport_imports_free); set to NULL on failure
 * @return 0; RIMPORT_EPARSE with line, column and text in
 *         rimport_error_last(); RIMPORT_EINVAL; RIMPORT_ENOMEM.
 * Thread-safe: no shared state.
 */
RIMPORT_EXTERN int rimport_parse(const char *src, size_t len,
                                 rimport_imports **out);

/** How many imports were found. NULL gives 0. */
RIMPORT_EXTERN size_t rimport_imports_count(const rimport_imports *imports);

/**
 * The imports as an array of rimport_imports_count() descriptors, in the
 * order they stand in the cell, or NULL when there are none. Owned by
 * `imports`: valid until rimport_imports_free.
 */
RIMPORT_EXTERN const rimport_import *
rimport_imports_array(const rimport_imports *imports);

/** Frees what rimport_parse returned. NULL is a no-op. */
RIMPORT_EXTERN void rimport_imports_free(rimport_imports *imports);

#ifdef __cplusplus
}
#endif

#endif /* RIMPORT_PARSE_H */
