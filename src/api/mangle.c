/* The symbol name of an item's thunk (include/kayton_api.h, "thunks"):
 * one rule, used by the plugin generator that names the thunks and by the
 * dynamic calls (src/dyncall) that look them up. */
#include <string.h>

#include "api.h"

static int ident_char(char c, int first) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

int rimport__api_thunk_symbol(const char *path, rimport_buf *out) {
  rimport_buf sym = RIMPORT_BUF_INIT;
  const char *p = path, *end;
  size_t n, i;
  int rc;
  if (path == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "naming a thunk: the path is NULL");
  if (strncmp(p, "::", 2) == 0)
    p += 2;
  rc = rimport__buf_puts(&sym, RIMPORT__API_THUNK_PREFIX);
  while (rc == 0) {
    end = strstr(p, "::");
    n = end ? (size_t)(end - p) : strlen(p);
    if (n > 2 && p[0] == 'r' && p[1] == '#') { /* a raw identifier */
      p += 2;
      n -= 2;
    }
    for (i = 0; i < n && ident_char(p[i], i == 0); i++)
      ;
    if (n == 0 || i < n) {
      rimport_buf_dispose(&sym);
      return rimport__error_set(
          RIMPORT_EINVAL,
          "naming the thunk of `%s`: \"%.*s\" is not an ASCII identifier "
          "(a path is identifiers joined by ::); no thunk has such a name",
          path, (int)n, p);
    }
    rc = rimport__buf_printf(&sym, "%zu%.*s", n, (int)n, p);
    if (end == NULL)
      break;
    p = end + 2;
  }
  if (rc == 0) {
    rimport_buf_dispose(out);
    *out = sym;
  } else {
    rimport_buf_dispose(&sym);
  }
  return rc;
}
