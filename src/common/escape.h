/* Quoting values for the languages rimport writes: TOML (Cargo.toml, cargo
 * --config values) and Rust string literals. Non-ASCII UTF-8 passes
 * through; control characters are escaped; invalid UTF-8 is refused. */
#ifndef RIMPORT_SRC_ESCAPE_H
#define RIMPORT_SRC_ESCAPE_H

#include <stdint.h>

#include "common.h"

typedef enum rimport__quote {
  RIMPORT__QUOTE_TOML = 1, /* a TOML basic string: \uXXXX for controls */
  RIMPORT__QUOTE_RUST = 2  /* a Rust string literal: \u{X} for controls */
} rimport__quote;

/* Appends s escaped for `mode`, without quotes. RIMPORT_EINVAL (no message
 * set; *bad gets the byte offset) when s is not valid UTF-8. */
int rimport__escape(rimport_buf *out, const char *s, rimport__quote mode,
                    size_t *bad);
/* "…" as a TOML basic string (EINVAL with a message for invalid UTF-8).
 * Rust string literals are written by the template renderer. */
int rimport__toml_string(rimport_buf *out, const char *s);

/* Appends code point cp (at most 0x10FFFF) as UTF-8. */
int rimport__put_utf8(rimport_buf *b, uint32_t cp);

/* The value of a hex digit, or -1. */
int rimport__hex_value(int c);

#endif
