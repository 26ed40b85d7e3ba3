/* The one header in front of platform code (src/unix/, src/win/). Stages
 * include it and never test _WIN32 themselves. File system calls that libuv
 * already makes portable live in src/common/fs.c, not here. */
#ifndef RIMPORT_SRC_PLATFORM_H
#define RIMPORT_SRC_PLATFORM_H

#include <stddef.h>

#include "rimport.h"

/* Path list separator of PATH (':' or ';') and the preferred directory
 * separator ('/' or '\\'). */
extern const char rimport__path_list_sep;
extern const char rimport__dir_sep;

/* Non-zero when `path` is absolute on this platform. */
int rimport__path_is_absolute(const char *path);

/* Non-zero when `c` separates directories on this platform. */
int rimport__is_dir_sep(char c);

/* The thread-local slot that holds the error record (src/common/error.c).
 * The platform runs rimport__error_tls_destroy on the value when a thread
 * ends. */
void *rimport__error_tls_get(void);
int rimport__error_tls_set(void *value);
void rimport__error_tls_destroy(void *value);

/* The default cache directory, without creating it: $RIMPORT_CACHE_DIR, else
 * $XDG_CACHE_HOME/rimport or ~/.cache/rimport (unix), or
 * %LOCALAPPDATA%\rimport\cache (Windows). 0, or an error with the message
 * set. */
int rimport__default_cache_dir(rimport_buf *out);

/* Finds an executable named `name` (no directory part) on PATH, adding the
 * platform's executable suffixes (PATHEXT on Windows). 0 and the absolute
 * path in `out`, or RIMPORT_ENOTFOUND (message not set: the caller says
 * what was wanted). */
int rimport__find_executable(const char *name, rimport_buf *out);

#endif
