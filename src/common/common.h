/* Internal helpers every stage uses: allocation, growable buffers, errors. */
#ifndef RIMPORT_SRC_COMMON_H
#define RIMPORT_SRC_COMMON_H

#include <stdarg.h>
#include <stddef.h>

#include "rimport.h"

#if defined(__MINGW32__)
/* With __USE_MINGW_ANSI_STDIO (set by the build) printf is C99's. */
#include <stdio.h>
#define RIMPORT__PRINTF(fmt, args)                                             \
  __attribute__((format(__MINGW_PRINTF_FORMAT, fmt, args)))
#elif defined(__GNUC__)
#define RIMPORT__PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define RIMPORT__PRINTF(fmt, args)
#endif

#if defined(_MSC_VER)
#define RIMPORT__THREAD_LOCAL __declspec(thread)
#else
#define RIMPORT__THREAD_LOCAL _Thread_local
#endif

#define RIMPORT__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- allocation (alloc.c): every allocation goes through these --------- */
void *rimport__malloc(size_t size);
void *rimport__realloc(void *ptr, size_t size);
void *rimport__calloc(size_t count, size_t size);
void rimport__free(void *ptr);
/* NUL-terminated copies; NULL in gives NULL out. NULL on failure. */
char *rimport__strdup(const char *s);
char *rimport__strndup(const char *s, size_t n);
/* Grows *ptr (an array of *cap elements of elem_size) to hold at least
 * need elements. Returns 0 or RIMPORT_ENOMEM (with the error set). */
int rimport__grow(void **ptr, size_t *cap, size_t need, size_t elem_size);

/* --- buffers (buf.c): rimport_buf used as a growable string ------------- */
int rimport__buf_grow(rimport_buf *buf, size_t extra);
int rimport__buf_put(rimport_buf *buf, const char *data, size_t len);
int rimport__buf_puts(rimport_buf *buf, const char *s);
int rimport__buf_putc(rimport_buf *buf, char c);
int rimport__buf_printf(rimport_buf *buf, const char *fmt, ...)
    RIMPORT__PRINTF(2, 3);
int rimport__buf_vprintf(rimport_buf *buf, const char *fmt, va_list ap)
    RIMPORT__PRINTF(2, 0);
void rimport__buf_clear(rimport_buf *buf);
/* Hands the buffer's string to the caller (never NULL on success: an empty
 * buffer gives ""), leaving the buffer empty. NULL on ENOMEM. */
char *rimport__buf_detach(rimport_buf *buf);

/* --- errors (error.c) ----------------------------------------------------
 * Each sets the calling thread's record and returns `code`, so a failing
 * path can say `return rimport__error_set(RIMPORT_EIO, "…", …);`. */
int rimport__error_set(int code, const char *fmt, ...) RIMPORT__PRINTF(2, 3);
/* A parse error: line and column (1-based) and the offending text. */
int rimport__error_set_at(int code, unsigned line, unsigned column,
                          const char *text, size_t text_len, const char *fmt,
                          ...) RIMPORT__PRINTF(6, 7);
/* Out of memory: sets a static message (allocates nothing). */
int rimport__error_nomem(void);
/* Prepends "prefix: " to the current message (for context). */
int rimport__error_prefix(const char *fmt, ...) RIMPORT__PRINTF(1, 2);
/* Frees this thread's record (tests call it before leak checks). */
void rimport__error_free_thread(void);

/* RIMPORT_EVERSION for an options struct of version `got` where this
 * library knows `known`: "<call>: <type> version 7 is not known to rimport
 * 0.2.0 (it knows version 1); initialize it with <TYPE>_INIT or
 * <type>_init()". */
int rimport__error_version(const char *call, const char *type, unsigned int got,
                           unsigned int known);

/* Every versioned options struct is checked by this one macro (libgit2's
 * GIT_ERROR_CHECK_VERSION): a non-NULL `opts` whose version is not
 * `known` makes the calling function return RIMPORT_EVERSION. `type` is
 * the struct's name without quotes (rimport_plan_options). */
#define RIMPORT__CHECK_VERSION(opts, known, type, call)                        \
  do {                                                                         \
    if ((opts) != NULL && (opts)->version != (known))                          \
      return rimport__error_version(call, #type, (opts)->version, known);      \
  } while (0)

/* The body of every public <type>_init(opts, version): checks the version
 * asked for, then copies the defaults. */
#define RIMPORT__INIT_OPTIONS(opts, version, known, type, init)                \
  do {                                                                         \
    static const type defaults_ = init;                                        \
    if ((opts) == NULL)                                                        \
      return rimport__error_set(RIMPORT_EINVAL, #type "_init: opts is NULL");  \
    if ((version) != (known))                                                  \
      return rimport__error_version(#type "_init", #type, version, known);     \
    *(opts) = defaults_;                                                       \
    return 0;                                                                  \
  } while (0)

#endif
