#include <string.h>

#include "names.h"

static const char *const rust_keywords[] = {
    "Self",    "abstract", "as",     "async",    "await",   "become",
    "box",     "break",    "const",  "continue", "crate",   "do",
    "dyn",     "else",     "enum",   "extern",   "false",   "final",
    "fn",      "for",      "gen",    "if",       "impl",    "in",
    "let",     "loop",     "macro",  "match",    "mod",     "move",
    "mut",     "override", "priv",   "pub",      "ref",     "return",
    "self",    "static",   "struct", "super",    "trait",   "true",
    "try",     "type",     "typeof", "unsafe",   "unsized", "use",
    "virtual", "where",    "while",  "yield"};

int rimport__is_rust_keyword(const char *s, size_t len) {
  size_t i;
  for (i = 0; i < sizeof(rust_keywords) / sizeof(rust_keywords[0]); i++)
    if (strlen(rust_keywords[i]) == len &&
        memcmp(rust_keywords[i], s, len) == 0)
      return 1;
  return 0;
}

static int is_alpha(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}

size_t rimport__utf8_decode(const unsigned char *s, size_t len, uint32_t *cp) {
  uint32_t c, min;
  size_t n, i;
  if (len == 0)
    return 0;
  c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if ((c & 0xE0) == 0xC0) {
    n = 2, c &= 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, c &= 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, c &= 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (len < n)
    return 0;
  for (i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return n;
}

const char *rimport__check_crate_name(const char *s, size_t len) {
  size_t i;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x80)
      return "it contains a non-ASCII character";
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_')
      return "it contains a character other than ASCII letters, digits, `-` "
             "and `_`";
  }
  if (len == 0)
    return "it is empty";
  if (!is_alpha((unsigned char)s[0]))
    return "it does not start with an ASCII letter";
  if (len > RIMPORT__CRATE_NAME_MAX)
    return "it is longer than 64 characters";
  if (rimport__is_rust_keyword(s, len))
    return "it is a Rust keyword";
  return NULL;
}

const char *rimport__check_ident(const char *s, size_t len) {
  size_t i;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x80)
      return "it contains a non-ASCII character";
    if (!is_alpha(c) && !is_digit(c) && c != '_')
      return "it contains a character other than ASCII letters, digits and "
             "`_`";
  }
  if (len == 0)
    return "it is empty";
  if (is_digit((unsigned char)s[0]))
    return "it starts with a digit";
  if (len == 1 && s[0] == '_')
    return "`_` alone is not a name";
  if (rimport__is_rust_keyword(s, len))
    return "it is a Rust keyword";
  return NULL;
}

const char *rimport__check_module_path(const char *s, size_t len) {
  size_t start = 0, i;
  if (len == 0)
    return "it is empty";
  for (i = 0; i <= len; i++) {
    if (i == len || (s[i] == ':' && i + 1 < len && s[i + 1] == ':')) {
      if (rimport__check_ident(s + start, i - start) != NULL)
        return "it has a part that is not a Rust identifier";
      start = i + 2;
      i++;
    } else if (s[i] == ':') {
      return "it has a `:` that is not part of `::`";
    }
  }
  return NULL;
}

const char *rimport__check_feature(const char *s, size_t len) {
  size_t i = 0, n;
  uint32_t cp;
  if (len == 0)
    return "it is empty";
  while (i < len) {
    n = rimport__utf8_decode((const unsigned char *)s + i, len - i, &cp);
    if (n == 0)
      return "it is not valid UTF-8";
    if (cp < 0x80 && !is_alpha((unsigned char)cp) &&
        !is_digit((unsigned char)cp) && cp != '_') {
      if (i == 0)
        return "it does not start with a letter, a digit or `_`";
      if (cp != '-' && cp != '+' && cp != '.')
        return "it has a character other than letters, digits, `_`, `-`, `+` "
               "and `.`";
    }
    i += n;
  }
  return NULL;
}

const char *rimport__check_version_req(const char *s, size_t len) {
  size_t i;
  int has_digit_or_star = 0;
  if (len == 0)
    return "it is empty";
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (is_digit(c) || c == '*')
      has_digit_or_star = 1;
    if (!is_alpha(c) && !is_digit(c) &&
        (c == '\0' || !strchr(".*^~<>=,+- ", c)))
      return "it may contain only letters, digits, spaces and . * ^ ~ < > = "
             ", + -";
  }
  if (!has_digit_or_star)
    return "it has no version number";
  return NULL;
}

const char *rimport__check_path(const char *s, size_t len) {
  size_t i = 0, n;
  uint32_t cp;
  if (len == 0)
    return "it is empty";
  while (i < len) {
    n = rimport__utf8_decode((const unsigned char *)s + i, len - i, &cp);
    if (n == 0)
      return "it is not valid UTF-8";
    if (cp < 0x20 || cp == 0x7F)
      return "it contains a control character (newline, tab, NUL, ...)";
    i += n;
  }
  return NULL;
}
