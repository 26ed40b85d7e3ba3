#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static struct {
  rimport_malloc_func malloc_fn;
  rimport_realloc_func realloc_fn;
  rimport_calloc_func calloc_fn;
  rimport_free_func free_fn;
} allocator = {malloc, realloc, calloc, free};

int rimport_replace_allocator(rimport_malloc_func malloc_fn,
                              rimport_realloc_func realloc_fn,
                              rimport_calloc_func calloc_fn,
                              rimport_free_func free_fn) {
  if (malloc_fn == NULL || realloc_fn == NULL || calloc_fn == NULL ||
      free_fn == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_replace_allocator: all four functions "
                              "(malloc, realloc, calloc, free) must be given");
  allocator.malloc_fn = malloc_fn;
  allocator.realloc_fn = realloc_fn;
  allocator.calloc_fn = calloc_fn;
  allocator.free_fn = free_fn;
  {
    /* cJSON's allocations (plans, manifests) go the same way. */
    cJSON_Hooks hooks = {malloc_fn, free_fn};
    cJSON_InitHooks(&hooks);
  }
  return 0;
}

void *rimport__malloc(size_t size) {
  return allocator.malloc_fn(size ? size : 1);
}

void *rimport__realloc(void *ptr, size_t size) {
  return allocator.realloc_fn(ptr, size ? size : 1);
}

void *rimport__calloc(size_t count, size_t size) {
  return allocator.calloc_fn(count ? count : 1, size ? size : 1);
}

void rimport__free(void *ptr) {
  if (ptr != NULL)
    allocator.free_fn(ptr);
}

char *rimport__strndup(const char *s, size_t n) {
  char *copy;
  if (s == NULL)
    return NULL;
  copy = rimport__malloc(n + 1);
  if (copy == NULL)
    return NULL;
  memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

char *rimport__strdup(const char *s) {
  return s == NULL ? NULL : rimport__strndup(s, strlen(s));
}

int rimport__grow(void **ptr, size_t *cap, size_t need, size_t elem_size) {
  size_t new_cap;
  void *p;
  if (need <= *cap)
    return 0;
  new_cap = *cap ? *cap : 4;
  while (new_cap < need) {
    if (new_cap > ((size_t)-1) / 2 / elem_size)
      return rimport__error_nomem();
    new_cap *= 2;
  }
  p = rimport__realloc(*ptr, new_cap * elem_size);
  if (p == NULL)
    return rimport__error_nomem();
  *ptr = p;
  *cap = new_cap;
  return 0;
}
