/* Building argv and environment arrays (proc.h). */
#include <stdarg.h>
#include <string.h>

#include "proc.h"

int rimport__argv_add(rimport__argv *a, const char *s) {
  if (a->rc == 0)
    a->rc = rimport__grow((void **)&a->v, &a->cap, a->count + 2, sizeof(*a->v));
  if (a->rc == 0) {
    a->v[a->count++] = s;
    a->v[a->count] = NULL;
  }
  return a->rc;
}

int rimport__argv_addv(rimport__argv *a, ...) {
  va_list ap;
  const char *s;
  va_start(ap, a);
  while ((s = va_arg(ap, const char *)) != NULL)
    rimport__argv_add(a, s);
  va_end(ap);
  return a->rc;
}

int rimport__argv_addf(rimport__argv *a, const char *fmt, ...) {
  rimport_buf b = RIMPORT_BUF_INIT;
  va_list ap;
  char *s;
  if (a->rc != 0)
    return a->rc;
  va_start(ap, fmt);
  a->rc = rimport__buf_vprintf(&b, fmt, ap);
  va_end(ap);
  if (a->rc != 0)
    return a->rc;
  if ((s = rimport__buf_detach(&b)) == NULL)
    return a->rc = RIMPORT_ENOMEM;
  if ((a->rc = rimport__grow((void **)&a->owned, &a->owned_cap,
                             a->owned_count + 1, sizeof(*a->owned))) != 0) {
    rimport__free(s);
    return a->rc;
  }
  a->owned[a->owned_count++] = s;
  return rimport__argv_add(a, s);
}

void rimport__argv_dispose(rimport__argv *a) {
  size_t i;
  for (i = 0; i < a->owned_count; i++)
    rimport__free(a->owned[i]);
  rimport__free(a->owned);
  rimport__free(a->v);
  memset(a, 0, sizeof(*a));
}
