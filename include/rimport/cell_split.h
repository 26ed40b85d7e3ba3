/**
 * @file rimport/cell_split.h
 * @brief Splitting the Rust text of a Kayton cell into its items and its
 *        statements.
 *
 * Included by rimport.h; do not include it on its own.
 */
#ifndef RIMPORT_CELL_SPLIT_H
#define RIMPORT_CELL_SPLIT_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Splits a cell's Rust text into the items (fn, struct, enum, union, trait,
 * impl, type, const, static, mod, use, extern crate, extern blocks,
 * macro_rules!), which rimport compiles as items of the cell crate so that
 * later cells can use them, and the statements (let, expressions, macro
 * calls, inner attributes), which it compiles inside the cell's entry
 * function.
 *
 * Both outputs have exactly the length and the line structure of the
 * input, so that line and column numbers stay the user's: `items` is the
 * text with every byte of the statements blanked (made a space; '\n' and
 * '\r' are kept), `statements` the text with every byte of the items
 * blanked. Comments and whitespace outside items go with the statements.
 * (A blanked non-ASCII character becomes one space per byte: code after it
 * on its line keeps its byte column, not its character column.)
 *
 * At the top level (outside every ( [ {), the start of the text, the
 * token after a `;` and the token after a `}` that closes a group are
 * boundaries. At a boundary, past outer attributes `#[…]` and doc comments
 * (which then belong to the item), an item starts with a visibility
 * (`pub`, `pub(crate)`, …) or an item keyword: `fn`, `struct`, `enum`,
 * `trait`, `impl`, `type`, `mod`, `use`, `union NAME`, `const NAME`,
 * `const _`, `const fn` (not `const {`), `static NAME`, `static mut`,
 * `extern crate`, `extern "C"`, `extern fn`, `extern {`, `unsafe fn` /
 * `impl` / `trait` / `extern` / `mod` (not `unsafe {`), `async fn` (not
 * `async {` or `async move`), `auto trait`, `macro_rules! NAME`. `use`,
 * `type`, `const`, `static` and `extern crate` end at their first `;`
 * outside brackets; the others at the `}` that closes their first `{` (or
 * at a `;` that comes first: `struct P;`, `mod m;`, `macro_rules! m ( … );`).
 * Everything else is a statement, which runs to the next boundary where
 * an item starts. An inner attribute `#![…]` or inner doc comment is a
 * statement of its own.
 *
 * The cell's rimport statements (`rimport x`, `from x rimport y`) are
 * found first (rimport_parse) and blanked in both texts.
 *
 * @param text        the cell's Rust text (UTF-8; need not be
 *                    NUL-terminated); NULL with len 0 is an empty cell
 * @param len         its length in bytes
 * @param items       receives the items text (NUL-terminated, `len`
 *                    bytes before the NUL); what it held is replaced. The
 *                    caller owns it: rimport_buf_dispose.
 * @param statements  receives the statements text, the same way
 * @return 0; RIMPORT_EPARSE for a rimport statement that does not parse
 *         (rimport_parse's error), an unterminated string, character, raw
 *         string or block comment, or an unbalanced ( [ { ) ] } (the
 *         message says what and where, as line:column, and
 *         rimport_error_last() has the line, column and text), with both
 *         buffers left empty; RIMPORT_EINVAL; RIMPORT_ENOMEM.
 * Thread-safe: no shared state.
 */
RIMPORT_EXTERN int rimport_cell_split(const char *text, size_t len,
                                      rimport_buf *items,
                                      rimport_buf *statements);

#ifdef __cplusplus
}
#endif

#endif /* RIMPORT_CELL_SPLIT_H */
