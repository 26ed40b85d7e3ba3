#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "../common/common.h"
#include "../common/fs.h"
#include "../platform.h"

const char rimport__path_list_sep = ':';
const char rimport__exe_suffix[] = "";
const char rimport__dir_sep = '/';
const int rimport__relative_tool_paths = 1;

int rimport__path_is_absolute(const char *path) {
  return path != NULL && path[0] == '/';
}

int rimport__is_dir_sep(char c) {
  return c == '/';
}

static pthread_key_t error_key;
static pthread_once_t error_key_once = PTHREAD_ONCE_INIT;
static int error_key_ok;

static void error_key_init(void) {
  error_key_ok =
      pthread_key_create(&error_key, rimport__error_tls_destroy) == 0;
}

void *rimport__error_tls_get(void) {
  pthread_once(&error_key_once, error_key_init);
  return error_key_ok ? pthread_getspecific(error_key) : NULL;
}

int rimport__error_tls_set(void *value) {
  pthread_once(&error_key_once, error_key_init);
  if (!error_key_ok || pthread_setspecific(error_key, value) != 0)
    return -1;
  return 0;
}

int rimport__utf8_argv(int argc, char **argv, int *out_argc, char ***out) {
  *out_argc = argc; /* unix arguments are bytes, UTF-8 in practice */
  *out = argv;
  return 0;
}

const char *rimport__platform_target(const char *host) {
  (void)host; /* a unix rustc's host is a unix triple */
  return NULL;
}

int rimport__path_extended(const char *path, rimport_buf *out) {
  rimport__buf_clear(out);
  return rimport__buf_puts(out, path);
}

int rimport__default_cache_dir(rimport_buf *out) {
  rimport_buf home = RIMPORT_BUF_INIT;
  int rc;
  if (rimport__env_get("RIMPORT_CACHE_DIR", out) == 0 && out->size > 0)
    return 0;
  rimport__buf_clear(out);
  if (rimport__env_get("XDG_CACHE_HOME", out) == 0 && out->size > 0 &&
      out->ptr[0] == '/')
    return rimport__buf_puts(out, "/rimport");
  rimport__buf_clear(out);
  rc = rimport__home_dir(&home);
  if (rc == 0)
    rc = rimport__buf_printf(out, "%s/.cache/rimport", home.ptr);
  rimport_buf_dispose(&home);
  return rc;
}

int rimport__find_executable(const char *name, rimport_buf *out) {
  rimport_buf path = RIMPORT_BUF_INIT;
  const char *p, *end;
  int rc = RIMPORT_ENOTFOUND;
  if (rimport__env_get("PATH", &path) != 0 || path.size == 0) {
    rimport_buf_dispose(&path);
    return RIMPORT_ENOTFOUND;
  }
  for (p = path.ptr; rc != 0; p = end + 1) {
    end = strchr(p, ':');
    if (end == NULL)
      end = p + strlen(p);
    rimport__buf_clear(out);
    if (end > p && rimport__buf_put(out, p, (size_t)(end - p)) == 0 &&
        rimport__buf_printf(out, "/%s", name) == 0 &&
        access(out->ptr, X_OK) == 0 && rimport__fs_is_file(out->ptr))
      rc = 0;
    if (*end == '\0')
      break;
  }
  rimport_buf_dispose(&path);
  return rc;
}
