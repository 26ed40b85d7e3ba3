#include <stdio.h>

#include "escape.h"

int rimport__toml_string(rimport_buf *out, const char *s) {
  int rc = rimport__buf_putc(out, '"');
  for (; rc == 0 && *s; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '"':
      rc = rimport__buf_puts(out, "\\\"");
      break;
    case '\\':
      rc = rimport__buf_puts(out, "\\\\");
      break;
    case '\n':
      rc = rimport__buf_puts(out, "\\n");
      break;
    case '\t':
      rc = rimport__buf_puts(out, "\\t");
      break;
    case '\r':
      rc = rimport__buf_puts(out, "\\r");
      break;
    default:
      rc = (c < 0x20 || c == 0x7F) ? rimport__buf_printf(out, "\\u%04X", c)
                                   : rimport__buf_putc(out, (char)c);
    }
  }
  return rc == 0 ? rimport__buf_putc(out, '"') : rc;
}

int rimport__rust_string(rimport_buf *out, const char *s) {
  int rc = rimport__buf_putc(out, '"');
  for (; rc == 0 && *s; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '"':
      rc = rimport__buf_puts(out, "\\\"");
      break;
    case '\\':
      rc = rimport__buf_puts(out, "\\\\");
      break;
    case '\n':
      rc = rimport__buf_puts(out, "\\n");
      break;
    case '\t':
      rc = rimport__buf_puts(out, "\\t");
      break;
    case '\r':
      rc = rimport__buf_puts(out, "\\r");
      break;
    default:
      rc = (c < 0x20 || c == 0x7F) ? rimport__buf_printf(out, "\\u{%x}", c)
                                   : rimport__buf_putc(out, (char)c);
    }
  }
  return rc == 0 ? rimport__buf_putc(out, '"') : rc;
}
