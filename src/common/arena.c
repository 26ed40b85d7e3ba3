#include <stdalign.h>
#include <stddef.h>
#include <string.h>

#include "arena.h"
#include "common.h"

#define BLOCK_SIZE 4096

struct rimport__arena_block {
  rimport__arena_block *next;
  size_t used, size;
  alignas(max_align_t) unsigned char data[];
};

void *rimport__arena_alloc(rimport__arena *a, size_t size) {
  rimport__arena_block *b = a->head;
  size_t align = alignof(max_align_t);
  size = (size + align - 1) / align * align;
  if (size == 0)
    size = align;
  if (b == NULL || b->size - b->used < size) {
    size_t cap = size > BLOCK_SIZE ? size : BLOCK_SIZE;
    if (cap > ((size_t)-1) - sizeof(*b)) {
      rimport__error_nomem();
      return NULL;
    }
    b = rimport__malloc(sizeof(*b) + cap);
    if (b == NULL) {
      rimport__error_nomem();
      return NULL;
    }
    b->used = 0;
    b->size = cap;
    /* A big one-off block goes behind the current one so that the rest of
     * the current block stays in use. */
    if (a->head != NULL && size > BLOCK_SIZE) {
      b->next = a->head->next;
      a->head->next = b;
    } else {
      b->next = a->head;
      a->head = b;
    }
  }
  b->used += size;
  memset(b->data + b->used - size, 0, size);
  return b->data + b->used - size;
}

char *rimport__arena_strndup(rimport__arena *a, const char *s, size_t n) {
  char *p;
  if (s == NULL)
    return NULL;
  p = rimport__arena_alloc(a, n + 1);
  if (p != NULL) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

char *rimport__arena_strdup(rimport__arena *a, const char *s) {
  return s == NULL ? NULL : rimport__arena_strndup(a, s, strlen(s));
}

void *rimport__arena_memdup(rimport__arena *a, const void *p, size_t size) {
  void *q = rimport__arena_alloc(a, size);
  if (q != NULL && size > 0)
    memcpy(q, p, size);
  return q;
}

void rimport__arena_free(rimport__arena *a) {
  rimport__arena_block *b = a->head, *next;
  for (; b != NULL; b = next) {
    next = b->next;
    rimport__free(b);
  }
  a->head = NULL;
}
