/* Rules for the names and strings a rimport statement carries, shared by the
 * parser and by the plan (which also takes descriptors a front-end made).
 * Each returns NULL when the value is valid, or a static phrase saying what
 * is wrong ("starts with a digit"), to be put into an error message. */
#ifndef RIMPORT_SRC_NAMES_H
#define RIMPORT_SRC_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define RIMPORT__CRATE_NAME_MAX 64

/* crates.io: ASCII letters, digits, '-' and '_', at most 64 characters,
 * starting with a letter, and not a Rust keyword. */
const char *rimport__check_crate_name(const char *s, size_t len);
/* A Rust identifier: [A-Za-z_][A-Za-z0-9_]*, not "_", not a keyword. */
const char *rimport__check_ident(const char *s, size_t len);
/* A Cargo feature: first a letter (any non-ASCII code point counts), digit
 * or '_'; then letters, digits, '_', '-', '+', '.'. Valid UTF-8. */
const char *rimport__check_feature(const char *s, size_t len);
/* A Cargo version requirement: 0-9 A-Z a-z . * ^ ~ < > = , + - and space. */
const char *rimport__check_version_req(const char *s, size_t len);
/* A path: non-empty, no control characters, valid UTF-8. */
const char *rimport__check_path(const char *s, size_t len);
/* A module path "a::b::c": identifiers joined by "::". */
const char *rimport__check_module_path(const char *s, size_t len);
/* Non-zero when s is a Rust keyword (strict or reserved). */
int rimport__is_rust_keyword(const char *s, size_t len);
/* Length in bytes of the valid UTF-8 sequence at s (at most len bytes), or
 * 0 when it is not valid UTF-8 (overlong, surrogate, > U+10FFFF). *cp gets
 * the code point. */
size_t rimport__utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

#endif
