/**
 * @file rimport/common.h
 * @brief Export macro, version, error codes, the per-thread error record,
 *        the replaceable allocator and the rimport_buf string buffer.
 *
 * Included by rimport.h; do not include it on its own.
 */
#ifndef RIMPORT_COMMON_H
#define RIMPORT_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#if defined(RIMPORT_BUILDING_SHARED)
#define RIMPORT_EXTERN __declspec(dllexport)
#elif defined(RIMPORT_USING_SHARED)
#define RIMPORT_EXTERN __declspec(dllimport)
#else
#define RIMPORT_EXTERN /* static library */
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define RIMPORT_EXTERN __attribute__((visibility("default")))
#else
#define RIMPORT_EXTERN
#endif

#define RIMPORT_VERSION_MAJOR 0
#define RIMPORT_VERSION_MINOR 2
#define RIMPORT_VERSION_PATCH 0
/** The version as one number: 0xMMmmpp. */
#define RIMPORT_VERSION_HEX                                                    \
  ((RIMPORT_VERSION_MAJOR << 16) | (RIMPORT_VERSION_MINOR << 8) |              \
   (RIMPORT_VERSION_PATCH))

/**
 * The version of the library that is linked, as "MAJOR.MINOR.PATCH".
 * The string is static; do not free it. Thread-safe.
 */
RIMPORT_EXTERN const char *rimport_version(void);

/**
 * The version of the library that is linked, as RIMPORT_VERSION_HEX would
 * give it. Thread-safe.
 */
RIMPORT_EXTERN unsigned int rimport_version_hex(void);

/**
 * Every error code: XX(name, value, description). Functions return 0 on
 * success or one of the negative RIMPORT_E* values this list makes.
 */
#define RIMPORT_ERRNO_MAP(XX)                                                  \
  XX(EINVAL, -1, "invalid argument")                                           \
  XX(ENOMEM, -2, "out of memory")                                              \
  XX(EPARSE, -3, "syntax error in a rimport statement")                        \
  XX(ECONFLICT, -4, "conflicting imports of one crate")                        \
  XX(ETOOLCHAIN, -5, "Rust toolchain missing or unusable")                     \
  XX(EIO, -6, "file system error")                                             \
  XX(ETIMEDOUT, -7, "timed out")                                               \
  XX(ECANCELED, -8, "canceled")                                                \
  XX(ENOTFOUND, -9, "not found")                                               \
  XX(EBUILD, -10, "plugin build failed")                                       \
  XX(ELOAD, -11, "loading a library failed")                                   \
  XX(EMISMATCH, -12, "toolchain or ABI mismatch")                              \
  XX(EPANIC, -13, "Rust code panicked")                                        \
  XX(ECOMPILE, -14, "cell compile failed")                                     \
  XX(EVERSION, -15, "unsupported struct version")                              \
  XX(ESPAWN, -16, "starting a child process failed")                           \
  XX(ECHILD, -17, "child process failed")                                      \
  XX(ECORRUPT, -18, "cache entry or file is corrupt")                          \
  XX(EUNSUPPORTED, -19, "not supported")                                       \
  XX(ELOCKED, -20, "locked by another process")                                \
  XX(EINTERNAL, -21, "internal error")

/** Error codes. 0 (RIMPORT_OK) is success. */
typedef enum rimport_error_code {
  RIMPORT_OK = 0,
#define RIMPORT_ERR_ENUM_(name, value, desc) RIMPORT_##name = value,
  RIMPORT_ERRNO_MAP(RIMPORT_ERR_ENUM_)
#undef RIMPORT_ERR_ENUM_
/* One past the last code: -(number of codes) - 1. */
#define RIMPORT_ERR_COUNT_(name, value, desc) +1
      RIMPORT_ERRNO_LAST_ = -(0 RIMPORT_ERRNO_MAP(RIMPORT_ERR_COUNT_)) - 1
#undef RIMPORT_ERR_COUNT_
} rimport_error_code;

/**
 * A short description of an error code ("out of memory"). Unknown codes give
 * "unknown error". The string is static. Thread-safe.
 */
RIMPORT_EXTERN const char *rimport_strerror(int code);

/**
 * The code's name without prefix ("ENOMEM"). Unknown codes give "EUNKNOWN".
 * The string is static. Thread-safe.
 */
RIMPORT_EXTERN const char *rimport_err_name(int code);

/**
 * The detail of the last error raised on this thread.
 *
 * Every call that fails fills it; a call that succeeds leaves it alone.
 * `message` says what failed, with which input, and what to do. For a
 * parse error `line` and `column` (1-based; the column counts characters,
 * not bytes) point at the offending text, which `text` repeats; otherwise
 * they are 0 and `text` is NULL.
 */
typedef struct rimport_error {
  int code;            /**< one of RIMPORT_E* */
  const char *message; /**< never NULL while code != 0 */
  unsigned int line;   /**< 1-based, 0 when not about a source position */
  unsigned int column; /**< 1-based, in characters; 0 when not applicable */
  const char *text;    /**< the offending text, or NULL */
} rimport_error;

/**
 * The last error raised on the calling thread. Never NULL: when nothing has
 * failed (or after rimport_error_clear) it is a static record with code
 * RIMPORT_OK and the message "no error". The record belongs to the library
 * and stays valid until the next rimport call on this thread that fails or
 * clears it. Thread-safe (per thread).
 */
RIMPORT_EXTERN const rimport_error *rimport_error_last(void);

/** Forgets the calling thread's last error. Thread-safe (per thread). */
RIMPORT_EXTERN void rimport_error_clear(void);

/** Allocator functions, in the shape of the C library's. */
typedef void *(*rimport_malloc_func)(size_t size);
typedef void *(*rimport_realloc_func)(void *ptr, size_t size);
typedef void *(*rimport_calloc_func)(size_t count, size_t size);
typedef void (*rimport_free_func)(void *ptr);

/**
 * Replaces the allocator every rimport allocation goes through (as
 * uv_replace_allocator). Call it before any other rimport call, and never
 * while memory allocated by the old functions is still alive. All four
 * functions must be given. Not thread-safe.
 * @return 0, or RIMPORT_EINVAL if a function is NULL.
 */
RIMPORT_EXTERN int rimport_replace_allocator(rimport_malloc_func malloc_fn,
                                             rimport_realloc_func realloc_fn,
                                             rimport_calloc_func calloc_fn,
                                             rimport_free_func free_fn);

/**
 * A string the library hands to the caller. `ptr` is NUL-terminated (or
 * NULL when nothing was written); `size` excludes the NUL. The caller owns
 * it and releases it with rimport_buf_dispose(). Initialize with
 * RIMPORT_BUF_INIT.
 */
typedef struct rimport_buf {
  char *ptr;
  size_t size;
  size_t reserved; /**< capacity; 0 if ptr is not owned by the buffer */
} rimport_buf;

#define RIMPORT_BUF_INIT                                                       \
  { NULL, 0, 0 }

/**
 * Frees the buffer's memory and resets it to RIMPORT_BUF_INIT. NULL or an
 * empty buffer is a no-op.
 */
RIMPORT_EXTERN void rimport_buf_dispose(rimport_buf *buf);

#ifdef __cplusplus
}
#endif

#endif /* RIMPORT_COMMON_H */
