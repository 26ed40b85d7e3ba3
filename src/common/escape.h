/* Quoting values for the languages rimport writes: TOML (Cargo.toml, cargo
 * --config values) and Rust string literals. Each appends the value with
 * its quotes to `out`. Non-ASCII UTF-8 passes through; control characters
 * are escaped. */
#ifndef RIMPORT_SRC_ESCAPE_H
#define RIMPORT_SRC_ESCAPE_H

#include "common.h"

/* "…" as a TOML basic string. */
int rimport__toml_string(rimport_buf *out, const char *s);
/* "…" as a Rust string literal. */
int rimport__rust_string(rimport_buf *out, const char *s);

#endif
