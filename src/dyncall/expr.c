/* The REPL's call syntax (dyncall.h): `path(value, …)` with literal
 * values, parsed into a path and tagged values; and the text the REPL
 * prints for a value. Every input gives an expression or a parse error
 * with its column: nothing is read past `len`. */
#include <errno.h>
#include <math.h> /* isnan, isinf: macros, no libm */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dyncall.h"
#include "../common/escape.h"
#include "../common/names.h"

#define MAX_ARGS     256
#define MAX_ELEMENTS (1u << 20)
#define NUMBER_MAX   400 /* characters of one numeric literal */

typedef struct parser {
  const char *s;
  size_t len, pos;
  rimport__dyncall_ref_fn ref;
  void *payload;
  rimport__dyncall_expr *out;
} parser;

/* The column (in characters, from 1) of byte offset `at`. */
static unsigned column_of(const parser *p, size_t at) {
  size_t i;
  unsigned col = 1;
  for (i = 0; i < at && i < p->len; i++)
    if (((unsigned char)p->s[i] & 0xC0) != 0x80)
      col++;
  return col;
}

static int fail_at(const parser *p, size_t at, const char *fmt, ...)
    RIMPORT__PRINTF(3, 4);

static int fail_at(const parser *p, size_t at, const char *fmt, ...) {
  rimport_buf msg = RIMPORT_BUF_INIT;
  va_list ap;
  int rc;
  va_start(ap, fmt);
  rc = rimport__buf_vprintf(&msg, fmt, ap);
  va_end(ap);
  if (rc == 0)
    rc =
        rimport__error_set_at(RIMPORT_EPARSE, 1, column_of(p, at), p->s, p->len,
                              "column %u: %s", column_of(p, at), msg.ptr);
  rimport_buf_dispose(&msg);
  return rc;
}

static int at_end(const parser *p) {
  return p->pos >= p->len;
}

static char peek(const parser *p) {
  return at_end(p) ? '\0' : p->s[p->pos];
}

static void blanks(parser *p) {
  while (!at_end(p) && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                        p->s[p->pos] == '\r' || p->s[p->pos] == '\n'))
    p->pos++;
}

static int ident_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int ident_char(char c) {
  return ident_start(c) || is_digit(c);
}

/* What stands at the position, for messages: `x`, or "the end". */
static const char *what_here(const parser *p, char *buf, size_t size) {
  uint32_t cp;
  size_t n;
  if (at_end(p))
    return "the end of the line";
  n = rimport__utf8_decode((const unsigned char *)p->s + p->pos,
                           p->len - p->pos, &cp);
  if (n == 0 || cp < 0x20 || cp == 0x7F)
    snprintf(buf, size, "the byte 0x%02X",
             (unsigned)(unsigned char)p->s[p->pos]);
  else
    snprintf(buf, size, "`%.*s`", (int)n, p->s + p->pos);
  return buf;
}

static const char *const VALUE_WORDS =
    "a value (an integer, a float, true, false, None, a \"string\", a "
    "[list] of numbers, or $N)";

/* --- the path ------------------------------------------------------------ */

static int parse_path(parser *p) {
  size_t start = p->pos;
  char buf[32];
  if (p->len - p->pos >= 2 && p->s[p->pos] == ':' && p->s[p->pos + 1] == ':')
    p->pos += 2;
  for (;;) {
    if (!ident_start(peek(p)))
      return fail_at(p, p->pos,
                     "expected %s (a path such as "
                     "reqwest::StatusCode::from_u16, or a name a cell "
                     "binds), got %s",
                     p->pos == start ? "the function to call"
                                     : "an identifier after ::",
                     what_here(p, buf, sizeof(buf)));
    while (ident_char(peek(p)))
      p->pos++;
    if (p->len - p->pos >= 2 && p->s[p->pos] == ':' &&
        p->s[p->pos + 1] == ':') {
      p->pos += 2;
      continue;
    }
    break;
  }
  if ((p->out->path = rimport__strndup(p->s + start, p->pos - start)) == NULL)
    return rimport__error_nomem();
  return 0;
}

/* --- values -------------------------------------------------------------- */

/* A number at the position: an I64 or, with a '.' or an exponent, an
 * F64. */
static int parse_number(parser *p, rimport_value *v) {
  size_t start = p->pos, n;
  char text[NUMBER_MAX + 1], buf[32], *end;
  int is_float = 0;
  if (peek(p) == '-' || peek(p) == '+')
    p->pos++;
  if (!is_digit(peek(p)))
    return fail_at(p, p->pos, "expected a digit after the sign, got %s",
                   what_here(p, buf, sizeof(buf)));
  while (is_digit(peek(p)))
    p->pos++;
  if (peek(p) == '.') {
    is_float = 1;
    p->pos++;
    while (is_digit(peek(p)))
      p->pos++;
  }
  if (peek(p) == 'e' || peek(p) == 'E') {
    is_float = 1;
    p->pos++;
    if (peek(p) == '-' || peek(p) == '+')
      p->pos++;
    if (!is_digit(peek(p)))
      return fail_at(p, p->pos, "expected the digits of the exponent, got %s",
                     what_here(p, buf, sizeof(buf)));
    while (is_digit(peek(p)))
      p->pos++;
  }
  if (ident_char(peek(p)) || peek(p) == '.')
    return fail_at(p, p->pos,
                   "a number may not be followed by %s (numbers are "
                   "decimal: 42, -7, 1.5, 2e-3)",
                   what_here(p, buf, sizeof(buf)));
  n = p->pos - start;
  if (n > NUMBER_MAX)
    return fail_at(p, start, "a number of more than %d characters", NUMBER_MAX);
  memcpy(text, p->s + start, n);
  text[n] = '\0';
  errno = 0;
  if (is_float) {
    double d = strtod(text, &end);
    if (*end != '\0' || (errno == ERANGE && (d > 1.0 || d < -1.0)))
      return fail_at(p, start, "%s is out of the range of f64", text);
    v->tag = RIMPORT_VALUE_F64;
    v->as.f64 = d;
  } else {
    long long i = strtoll(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
      return fail_at(p, start,
                     "%s is out of the range of i64 "
                     "(-9223372036854775808..=9223372036854775807)",
                     text);
    v->tag = RIMPORT_VALUE_I64;
    v->as.i64 = (int64_t)i;
  }
  return 0;
}

/* One escape after the backslash at p->pos - 1. */
static int parse_escape(parser *p, rimport_buf *b) {
  size_t at = p->pos - 1;
  char c = peek(p), buf[32];
  int h1, h2, rc = 0;
  uint32_t cp = 0;
  size_t digits = 0;
  if (at_end(p))
    return fail_at(p, at, "a string ends in the middle of an escape");
  p->pos++;
  switch (c) {
  case 'n':
    return rimport__buf_putc(b, '\n');
  case 'r':
    return rimport__buf_putc(b, '\r');
  case 't':
    return rimport__buf_putc(b, '\t');
  case '0':
    return rimport__buf_putc(b, '\0');
  case '\\':
  case '"':
  case '\'':
    return rimport__buf_putc(b, c);
  case 'x':
    h1 = p->len - p->pos >= 1 ? rimport__hex_value(p->s[p->pos]) : -1;
    h2 = p->len - p->pos >= 2 ? rimport__hex_value(p->s[p->pos + 1]) : -1;
    if (h1 < 0 || h2 < 0 || h1 > 7)
      return fail_at(p, at,
                     "\\x takes two hex digits, 00 to 7F (\\u{…} for "
                     "other characters)");
    p->pos += 2;
    return rimport__buf_putc(b, (char)(h1 * 16 + h2));
  case 'u':
    if (peek(p) != '{')
      return fail_at(p, at, "\\u takes a code point in braces: \\u{e9}");
    p->pos++;
    while (!at_end(p) && peek(p) != '}') {
      int h = rimport__hex_value(peek(p));
      if (h < 0 || digits == 6)
        return fail_at(p, at, "\\u{…} takes 1 to 6 hex digits, got %s",
                       what_here(p, buf, sizeof(buf)));
      cp = cp * 16 + (uint32_t)h;
      digits++;
      p->pos++;
    }
    if (at_end(p) || digits == 0)
      return fail_at(p, at, "\\u{…} takes 1 to 6 hex digits and a }");
    p->pos++;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return fail_at(p, at, "\\u{%X} is not a Unicode scalar value",
                     (unsigned)cp);
    rc = rimport__put_utf8(b, cp);
    return rc;
  default:
    p->pos--;
    return fail_at(p, at,
                   "unknown escape: a backslash and %s (the escapes are "
                   "\\n \\r \\t \\0 \\\\ \\\" \\' \\xHH \\u{H…})",
                   what_here(p, buf, sizeof(buf)));
  }
}

static int parse_string(parser *p, rimport_value *v) {
  rimport_buf b = RIMPORT_BUF_INIT;
  size_t start = p->pos;
  int rc = 0;
  p->pos++; /* the opening quote */
  while (rc == 0) {
    char c;
    if (at_end(p)) {
      rc = fail_at(p, start, "this string has no closing \"");
      break;
    }
    c = p->s[p->pos++];
    if (c == '"')
      break;
    if (c == '\\')
      rc = parse_escape(p, &b);
    else
      rc = rimport__buf_putc(&b, c);
  }
  if (rc != 0) {
    rimport_buf_dispose(&b);
    return rc;
  }
  v->tag = RIMPORT_VALUE_STR;
  v->as.str.len = b.size;
  if ((v->as.str.ptr = rimport__buf_detach(&b)) == NULL) {
    v->tag = RIMPORT_VALUE_UNIT;
    return rimport__error_nomem();
  }
  return 0;
}

static int parse_list(parser *p, rimport_value *v) {
  int64_t *ints = NULL;
  double *floats = NULL;
  size_t n = 0, cap_i = 0, cap_f = 0, start = p->pos;
  int any_float = 0, rc = 0;
  char buf[32];
  p->pos++; /* [ */
  blanks(p);
  while (rc == 0 && peek(p) != ']') {
    rimport_value e = RIMPORT_VALUE_INIT;
    char c = peek(p);
    if (at_end(p)) {
      rc = fail_at(p, start, "this list has no closing ]");
      break;
    }
    if (!(is_digit(c) || c == '-' || c == '+')) {
      rc = fail_at(p, p->pos,
                   "a list holds integers or floats (a vec_i64 or "
                   "vec_f64), got %s",
                   what_here(p, buf, sizeof(buf)));
      break;
    }
    if (n == MAX_ELEMENTS) {
      rc = fail_at(p, p->pos, "a list of more than %u elements", MAX_ELEMENTS);
      break;
    }
    if ((rc = parse_number(p, &e)) != 0)
      break;
    if ((rc = rimport__grow((void **)&ints, &cap_i, n + 1, sizeof(*ints))) !=
            0 ||
        (rc = rimport__grow((void **)&floats, &cap_f, n + 1,
                            sizeof(*floats))) != 0)
      break;
    if (e.tag == RIMPORT_VALUE_F64) {
      any_float = 1;
      floats[n] = e.as.f64;
      ints[n] = 0;
    } else {
      floats[n] = (double)e.as.i64;
      ints[n] = e.as.i64;
    }
    n++;
    blanks(p);
    if (peek(p) == ',') {
      p->pos++;
      blanks(p);
    } else if (peek(p) != ']') {
      rc = at_end(p) ? fail_at(p, start, "this list has no closing ]")
                     : fail_at(p, p->pos, "expected , or ] in the list, got %s",
                               what_here(p, buf, sizeof(buf)));
    }
  }
  if (rc == 0) {
    p->pos++; /* ] */
    if (any_float) {
      v->tag = RIMPORT_VALUE_VEC_F64;
      v->as.vec_f64.ptr = floats;
      v->as.vec_f64.len = n;
      floats = NULL;
    } else {
      v->tag = RIMPORT_VALUE_VEC_I64;
      v->as.vec_i64.ptr = ints;
      v->as.vec_i64.len = n;
      ints = NULL;
    }
  }
  rimport__free(ints);
  rimport__free(floats);
  return rc;
}

static int parse_ref(parser *p, rimport_value *v) {
  size_t start = p->pos;
  unsigned long n = 0;
  char buf[32];
  int rc;
  p->pos++; /* $ */
  if (!is_digit(peek(p)))
    return fail_at(p, p->pos,
                   "$ is followed by the number of a handle a :call "
                   "returned ($1, $2, …), got %s",
                   what_here(p, buf, sizeof(buf)));
  while (is_digit(peek(p))) {
    if (n > 99999999UL)
      return fail_at(p, start, "no handle has so large a number");
    n = n * 10 + (unsigned long)(peek(p) - '0');
    p->pos++;
  }
  if (ident_char(peek(p)))
    return fail_at(p, p->pos, "$N may not be followed by %s",
                   what_here(p, buf, sizeof(buf)));
  if (n == 0)
    return fail_at(p, start, "$0 is no handle: they count from $1");
  if (p->ref == NULL)
    return fail_at(p, start, "$%lu: there are no kept handles here", n);
  if ((rc = p->ref(p->payload, n, v)) != 0)
    rimport__error_prefix("column %u", column_of(p, start));
  return rc;
}

static int parse_value(parser *p, rimport_value *v) {
  char c = peek(p), buf[32];
  size_t start = p->pos, n;
  if (c == '"')
    return parse_string(p, v);
  if (c == '[')
    return parse_list(p, v);
  if (c == '$')
    return parse_ref(p, v);
  if (is_digit(c) || c == '-' || c == '+')
    return parse_number(p, v);
  if (ident_start(c)) {
    while (ident_char(peek(p)))
      p->pos++;
    n = p->pos - start;
    if (n == 4 && memcmp(p->s + start, "true", 4) == 0) {
      v->tag = RIMPORT_VALUE_BOOL;
      v->as.boolean = 1;
      return 0;
    }
    if (n == 5 && memcmp(p->s + start, "false", 5) == 0) {
      v->tag = RIMPORT_VALUE_BOOL;
      v->as.boolean = 0;
      return 0;
    }
    if (n == 4 && memcmp(p->s + start, "None", 4) == 0) {
      v->tag = RIMPORT_VALUE_NONE; /* for an Option parameter */
      return 0;
    }
    return fail_at(p, start, "expected %s, got `%.*s`", VALUE_WORDS,
                   (int)(n > 40 ? 40 : n), p->s + start);
  }
  return fail_at(p, start, "expected %s, got %s", VALUE_WORDS,
                 what_here(p, buf, sizeof(buf)));
}

static int parse_args(parser *p) {
  size_t cap = 0;
  char buf[32];
  int rc;
  p->pos++; /* ( */
  blanks(p);
  while (peek(p) != ')') {
    if (at_end(p))
      return fail_at(p, p->pos, "expected ) to end the arguments");
    if (p->out->nargs == MAX_ARGS)
      return fail_at(p, p->pos, "more than %d arguments", MAX_ARGS);
    if ((rc = rimport__grow((void **)&p->out->args, &cap, p->out->nargs + 1,
                            sizeof(*p->out->args))) != 0)
      return rc;
    memset(&p->out->args[p->out->nargs], 0, sizeof(*p->out->args));
    rc = parse_value(p, &p->out->args[p->out->nargs]);
    if (rc != 0) {
      /* a value half made (a list that failed) holds nothing */
      rimport_value_dispose(&p->out->args[p->out->nargs]);
      return rc;
    }
    p->out->nargs++;
    blanks(p);
    if (peek(p) == ',') {
      p->pos++;
      blanks(p);
    } else if (peek(p) != ')') {
      return fail_at(p, p->pos, "expected , or ) after an argument, got %s",
                     what_here(p, buf, sizeof(buf)));
    }
  }
  p->pos++; /* ) */
  return 0;
}

int rimport__dyncall_parse(const char *text, size_t len,
                           rimport__dyncall_ref_fn ref, void *payload,
                           rimport__dyncall_expr *out) {
  parser p;
  size_t i, n;
  uint32_t cp;
  char buf[32];
  int rc;
  if (out == NULL)
    return rimport__error_set(RIMPORT_EINVAL, "parsing a call: out is NULL");
  memset(out, 0, sizeof(*out));
  if (text == NULL)
    return rimport__error_set(RIMPORT_EINVAL, "parsing a call: no text");
  memset(&p, 0, sizeof(p));
  p.s = text;
  p.len = len;
  p.ref = ref;
  p.payload = payload;
  p.out = out;
  for (i = 0; i < len; i += n) {
    n = rimport__utf8_decode((const unsigned char *)text + i, len - i, &cp);
    if (n == 0)
      return fail_at(&p, i, "the line is not UTF-8 here");
    if (cp == 0)
      return fail_at(&p, i, "a NUL byte (write \\0 in a string)");
  }
  blanks(&p);
  rc = parse_path(&p);
  if (rc == 0) {
    blanks(&p);
    if (peek(&p) != '(')
      rc = fail_at(&p, p.pos,
                   "expected ( and the arguments after the function%s, got "
                   "%s",
                   peek(&p) == '.' ? " (paths use ::, not .)" : "",
                   what_here(&p, buf, sizeof(buf)));
  }
  if (rc == 0)
    rc = parse_args(&p);
  if (rc == 0) {
    blanks(&p);
    if (!at_end(&p))
      rc = fail_at(&p, p.pos, "unexpected %s after the closing )",
                   what_here(&p, buf, sizeof(buf)));
  }
  if (rc != 0)
    rimport__dyncall_expr_free(out);
  return rc;
}

void rimport__dyncall_expr_free(rimport__dyncall_expr *e) {
  size_t i;
  if (e == NULL)
    return;
  for (i = 0; i < e->nargs; i++)
    rimport_value_dispose(&e->args[i]); /* a handle is only a number */
  rimport__free(e->args);
  rimport__free(e->path);
  memset(e, 0, sizeof(*e));
}

/* --- printing ------------------------------------------------------------- */

/* The shortest %g that reads back as d, with a . so that it reads as a
 * float. */
static int put_double(rimport_buf *out, double d) {
  char text[64];
  int prec;
  if (isnan(d))
    return rimport__buf_puts(out, "NaN");
  if (isinf(d))
    return rimport__buf_puts(out, d < 0 ? "-inf" : "inf");
  for (prec = 15; prec <= 17; prec++) {
    snprintf(text, sizeof(text), "%.*g", prec, d);
    if (strtod(text, NULL) == d)
      break;
  }
  if (strpbrk(text, ".e") == NULL)
    strcat(text, ".0");
  return rimport__buf_puts(out, text);
}

static int put_string(rimport_buf *out, const char *s, size_t len) {
  size_t i = 0, n;
  uint32_t cp;
  int rc = rimport__buf_putc(out, '"');
  while (rc == 0 && i < len) {
    unsigned char c = (unsigned char)s[i];
    n = rimport__utf8_decode((const unsigned char *)s + i, len - i, &cp);
    if (n == 0) { /* not UTF-8 (a plugin's bug): shown, not copied */
      rc = rimport__buf_printf(out, "\\u{FFFD}");
      i++;
      continue;
    }
    if (c == '"' || c == '\\')
      rc = rimport__buf_printf(out, "\\%c", c);
    else if (c == '\n')
      rc = rimport__buf_puts(out, "\\n");
    else if (c == '\r')
      rc = rimport__buf_puts(out, "\\r");
    else if (c == '\t')
      rc = rimport__buf_puts(out, "\\t");
    else if (c == 0)
      rc = rimport__buf_puts(out, "\\0");
    else if (cp < 0x20 || cp == 0x7F)
      rc = rimport__buf_printf(out, "\\u{%x}", (unsigned)cp);
    else
      rc = rimport__buf_put(out, s + i, n);
    i += n;
  }
  if (rc == 0)
    rc = rimport__buf_putc(out, '"');
  return rc;
}

int rimport__dyncall_value_text(const rimport_value *v, rimport_buf *out) {
  size_t i;
  int rc = 0;
  switch (v->tag) {
  case RIMPORT_VALUE_UNIT:
    return rimport__buf_puts(out, "()");
  case RIMPORT_VALUE_NONE:
    return rimport__buf_puts(out, "None");
  case RIMPORT_VALUE_I64:
    return rimport__buf_printf(out, "%lld", (long long)v->as.i64);
  case RIMPORT_VALUE_F64:
    return put_double(out, v->as.f64);
  case RIMPORT_VALUE_BOOL:
    return rimport__buf_puts(out, v->as.boolean ? "true" : "false");
  case RIMPORT_VALUE_STR:
    return put_string(out, v->as.str.ptr, v->as.str.len);
  case RIMPORT_VALUE_VEC_I64:
    rc = rimport__buf_putc(out, '[');
    for (i = 0; rc == 0 && i < v->as.vec_i64.len; i++)
      rc = rimport__buf_printf(out, "%s%lld", i ? ", " : "",
                               (long long)v->as.vec_i64.ptr[i]);
    return rc == 0 ? rimport__buf_putc(out, ']') : rc;
  case RIMPORT_VALUE_VEC_F64:
    rc = rimport__buf_putc(out, '[');
    for (i = 0; rc == 0 && i < v->as.vec_f64.len; i++) {
      if (i > 0)
        rc = rimport__buf_puts(out, ", ");
      if (rc == 0)
        rc = put_double(out, v->as.vec_f64.ptr[i]);
    }
    return rc == 0 ? rimport__buf_putc(out, ']') : rc;
  case RIMPORT_VALUE_HANDLE:
    return rimport__buf_printf(out, "handle %llu",
                               (unsigned long long)v->as.handle);
  default:
    return rimport__buf_printf(out, "<a value of tag %d>", (int)v->tag);
  }
}
