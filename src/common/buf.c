#include <stdio.h>
#include <string.h>

#include "common.h"

void rimport_buf_dispose(rimport_buf *buf) {
  if (buf == NULL)
    return;
  if (buf->reserved > 0)
    rimport__free(buf->ptr);
  buf->ptr = NULL;
  buf->size = 0;
  buf->reserved = 0;
}

int rimport__buf_grow(rimport_buf *buf, size_t extra) {
  size_t need, cap;
  char *p;
  if (extra > ((size_t)-1) - buf->size - 1)
    return rimport__error_nomem();
  need = buf->size + extra + 1;
  if (buf->reserved >= need)
    return 0;
  cap = buf->reserved ? buf->reserved : 64;
  while (cap < need)
    cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
  /* A buffer that does not own its pointer (reserved == 0) is copied. */
  p = rimport__realloc(buf->reserved ? buf->ptr : NULL, cap);
  if (p == NULL)
    return rimport__error_nomem();
  if (buf->reserved == 0 && buf->ptr != NULL && buf->size > 0)
    memcpy(p, buf->ptr, buf->size);
  buf->ptr = p;
  buf->reserved = cap;
  buf->ptr[buf->size] = '\0';
  return 0;
}

int rimport__buf_put(rimport_buf *buf, const char *data, size_t len) {
  int rc = rimport__buf_grow(buf, len);
  if (rc != 0)
    return rc;
  if (len > 0)
    memcpy(buf->ptr + buf->size, data, len);
  buf->size += len;
  buf->ptr[buf->size] = '\0';
  return 0;
}

int rimport__buf_puts(rimport_buf *buf, const char *s) {
  return rimport__buf_put(buf, s, strlen(s));
}

int rimport__buf_putc(rimport_buf *buf, char c) {
  return rimport__buf_put(buf, &c, 1);
}

int rimport__buf_vprintf(rimport_buf *buf, const char *fmt, va_list ap) {
  va_list copy;
  int n, rc;
  va_copy(copy, ap);
  n = vsnprintf(NULL, 0, fmt, copy);
  va_end(copy);
  if (n < 0)
    return rimport__error_set(
        RIMPORT_EINTERNAL, "formatting a message failed (format \"%s\")", fmt);
  rc = rimport__buf_grow(buf, (size_t)n);
  if (rc != 0)
    return rc;
  vsnprintf(buf->ptr + buf->size, (size_t)n + 1, fmt, ap);
  buf->size += (size_t)n;
  return 0;
}

int rimport__buf_printf(rimport_buf *buf, const char *fmt, ...) {
  va_list ap;
  int rc;
  va_start(ap, fmt);
  rc = rimport__buf_vprintf(buf, fmt, ap);
  va_end(ap);
  return rc;
}

void rimport__buf_clear(rimport_buf *buf) {
  buf->size = 0;
  if (buf->reserved > 0)
    buf->ptr[0] = '\0';
}

char *rimport__buf_detach(rimport_buf *buf) {
  char *s;
  if (buf->reserved == 0) {
    s = rimport__strndup(buf->ptr ? buf->ptr : "", buf->size);
    if (s == NULL)
      rimport__error_nomem();
  } else {
    s = buf->ptr;
  }
  buf->ptr = NULL;
  buf->size = 0;
  buf->reserved = 0;
  return s;
}
