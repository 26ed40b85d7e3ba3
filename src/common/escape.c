#include <string.h>

#include "escape.h"
#include "names.h"

int rimport__escape(rimport_buf *out, const char *s, rimport__quote mode,
                    size_t *bad) {
  const unsigned char *u = (const unsigned char *)s;
  size_t len = strlen(s), i = 0;
  int rc = 0;
  while (rc == 0 && i < len) {
    unsigned char c = u[i];
    if (c >= 0x80) {
      uint32_t cp;
      size_t n = rimport__utf8_decode(u + i, len - i, &cp);
      if (n == 0) {
        if (bad != NULL)
          *bad = i;
        return RIMPORT_EINVAL;
      }
      rc = rimport__buf_put(out, s + i, n);
      i += n;
      continue;
    }
    i++;
    if (c == '\\')
      rc = rimport__buf_puts(out, "\\\\");
    else if (c == '"')
      rc = rimport__buf_puts(out, "\\\"");
    else if (c == '\n')
      rc = rimport__buf_puts(out, "\\n");
    else if (c == '\r')
      rc = rimport__buf_puts(out, "\\r");
    else if (c == '\t')
      rc = rimport__buf_puts(out, "\\t");
    else if (mode == RIMPORT__QUOTE_TOML && c == '\b')
      rc = rimport__buf_puts(out, "\\b");
    else if (mode == RIMPORT__QUOTE_TOML && c == '\f')
      rc = rimport__buf_puts(out, "\\f");
    else if (mode == RIMPORT__QUOTE_RUST && c == 0)
      rc = rimport__buf_puts(out, "\\0");
    else if (c < 0x20 || c == 0x7f)
      rc = mode == RIMPORT__QUOTE_TOML
               ? rimport__buf_printf(out, "\\u%04X", (unsigned)c)
               : rimport__buf_printf(out, "\\u{%x}", (unsigned)c);
    else
      rc = rimport__buf_putc(out, (char)c);
  }
  return rc;
}

static int quoted(rimport_buf *out, const char *s, rimport__quote mode) {
  size_t bad = 0;
  int rc = rimport__buf_putc(out, '"');
  if (rc == 0 && (rc = rimport__escape(out, s, mode, &bad)) == RIMPORT_EINVAL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "the value \"%s\" is not valid UTF-8 (byte %zu); "
                              "names and paths must be UTF-8",
                              s, bad);
  return rc == 0 ? rimport__buf_putc(out, '"') : rc;
}

int rimport__toml_string(rimport_buf *out, const char *s) {
  return quoted(out, s, RIMPORT__QUOTE_TOML);
}

int rimport__put_utf8(rimport_buf *b, uint32_t cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) {
    u[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return rimport__buf_put(b, u, n);
}

int rimport__hex_value(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}
