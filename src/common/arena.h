/* An arena: many allocations freed at once. Plans (and parse results) keep
 * every string and array they hand out in one, so that one free releases a
 * whole result. */
#ifndef RIMPORT_SRC_ARENA_H
#define RIMPORT_SRC_ARENA_H

#include <stddef.h>

typedef struct rimport__arena_block rimport__arena_block;

typedef struct rimport__arena {
  rimport__arena_block *head;
} rimport__arena;

#define RIMPORT__ARENA_INIT                                                    \
  { NULL }

/* Zeroed memory aligned for any type, or NULL (error record set). */
void *rimport__arena_alloc(rimport__arena *a, size_t size);
/* Copies; NULL in gives NULL out without error. On failure returns NULL
 * with the error record set: check with the `src != NULL` case. */
char *rimport__arena_strdup(rimport__arena *a, const char *s);
char *rimport__arena_strndup(rimport__arena *a, const char *s, size_t n);
void *rimport__arena_memdup(rimport__arena *a, const void *p, size_t size);
void rimport__arena_free(rimport__arena *a);

#endif
