#include <windows.h>

#include <shellapi.h>
#include <string.h>

#include "../common/common.h"
#include "../common/fs.h"
#include "../platform.h"
#include "win.h"

const char rimport__path_list_sep = ';';
const char rimport__exe_suffix[] = ".exe";
const char rimport__dir_sep = '\\';
const int rimport__relative_tool_paths = 0;

int rimport__path_is_absolute(const char *path) {
  if (path == NULL)
    return 0;
  /* C:\x, C:/x, \\server\share, \\?\ */
  if (((path[0] >= 'A' && path[0] <= 'Z') ||
       (path[0] >= 'a' && path[0] <= 'z')) &&
      path[1] == ':' && (path[2] == '\\' || path[2] == '/'))
    return 1;
  return (path[0] == '\\' || path[0] == '/') &&
         (path[1] == '\\' || path[1] == '/');
}

int rimport__is_dir_sep(char c) {
  return c == '\\' || c == '/';
}

/* A fiber-local slot whose callback frees the record when a thread ends. */
static INIT_ONCE error_slot_once = INIT_ONCE_STATIC_INIT;
static DWORD error_slot = FLS_OUT_OF_INDEXES;

static void WINAPI error_slot_free(void *value) {
  rimport__error_tls_destroy(value);
}

static BOOL CALLBACK error_slot_init(PINIT_ONCE once, void *param, void **ctx) {
  (void)once;
  (void)param;
  (void)ctx;
  error_slot = FlsAlloc(error_slot_free);
  return TRUE;
}

void *rimport__error_tls_get(void) {
  InitOnceExecuteOnce(&error_slot_once, error_slot_init, NULL, NULL);
  return error_slot == FLS_OUT_OF_INDEXES ? NULL : FlsGetValue(error_slot);
}

int rimport__error_tls_set(void *value) {
  InitOnceExecuteOnce(&error_slot_once, error_slot_init, NULL, NULL);
  if (error_slot == FLS_OUT_OF_INDEXES || !FlsSetValue(error_slot, value))
    return -1;
  return 0;
}

#if defined(_MSC_VER)
#define PLATFORM_ENV "msvc"
#else
#define PLATFORM_ENV "gnu"
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
#define PLATFORM_ARCH "aarch64"
#elif defined(__i386__) || defined(_M_IX86)
#define PLATFORM_ARCH "i686"
#else
#define PLATFORM_ARCH "x86_64"
#endif

int rimport__utf8_argv(int argc, char **argv, int *out_argc, char ***out) {
  int n = 0, i, len;
  LPWSTR *w = CommandLineToArgvW(GetCommandLineW(), &n);
  char **r;
  (void)argc;
  (void)argv;
  if (w == NULL)
    return rimport__error_nomem();
  if ((r = rimport__calloc((size_t)n + 1, sizeof(*r))) == NULL) {
    LocalFree(w);
    return rimport__error_nomem();
  }
  for (i = 0; i < n; i++) {
    len = WideCharToMultiByte(CP_UTF8, 0, w[i], -1, NULL, 0, NULL, NULL);
    if (len <= 0 || (r[i] = rimport__malloc((size_t)len)) == NULL) {
      while (i-- > 0)
        rimport__free(r[i]);
      rimport__free(r);
      LocalFree(w);
      return rimport__error_nomem();
    }
    WideCharToMultiByte(CP_UTF8, 0, w[i], -1, r[i], len, NULL, NULL);
  }
  LocalFree(w);
  *out_argc = n;
  *out = r;
  return 0;
}

const char *rimport__platform_target(const char *host) {
  if (host != NULL && strstr(host, "windows") != NULL)
    return NULL;
  return PLATFORM_ARCH "-pc-windows-" PLATFORM_ENV;
}

int rimport__path_extended(const char *path, rimport_buf *out) {
  wchar_t *w, *full = NULL;
  char *s = NULL;
  DWORD n;
  int nomem = 0, rc;
  rimport__buf_clear(out);
  if (strncmp(path, "\\\\?\\", 4) == 0)
    return rimport__buf_puts(out, path);
  if ((w = rimport__win_utf16(path, &nomem)) == NULL)
    return nomem
               ? rimport__error_nomem()
               : rimport__error_set(RIMPORT_EINVAL,
                                    "the path \"%s\" is not valid UTF-8", path);
  n = GetFullPathNameW(w, 0, NULL, NULL); /* also turns '/' into '\\' */
  if (n > 0 && (full = rimport__malloc((size_t)n * sizeof(wchar_t))) != NULL &&
      GetFullPathNameW(w, n, full, NULL) < n)
    s = rimport__win_utf8(full, -1);
  rimport__free(w);
  rimport__free(full);
  if (s == NULL) /* memory, or a path the system cannot make full */
    return n == 0 ? rimport__buf_puts(out, path) : rimport__error_nomem();
  if (s[0] == '\\' && s[1] == '\\') /* \\server\share */
    rc = rimport__buf_printf(out, "\\\\?\\UNC\\%s", s + 2);
  else
    rc = rimport__buf_printf(out, "\\\\?\\%s", s);
  rimport__free(s);
  return rc;
}

int rimport__default_cache_dir(rimport_buf *out) {
  if (rimport__env_get("RIMPORT_CACHE_DIR", out) == 0 && out->size > 0)
    return 0;
  rimport__buf_clear(out);
  if (rimport__env_get("LOCALAPPDATA", out) == 0 && out->size > 0)
    return rimport__buf_puts(out, "\\rimport\\cache");
  return rimport__error_set(
      RIMPORT_ENOTFOUND,
      "finding the cache directory failed: LOCALAPPDATA is not set; set "
      "RIMPORT_CACHE_DIR or pass a cache directory explicitly");
}

int rimport__find_executable(const char *name, rimport_buf *out) {
  rimport_buf path = RIMPORT_BUF_INIT, exts = RIMPORT_BUF_INIT;
  const char *p, *end, *e, *eend;
  int rc = RIMPORT_ENOTFOUND;
  if (rimport__env_get("PATH", &path) != 0 || path.size == 0) {
    rimport_buf_dispose(&path);
    return RIMPORT_ENOTFOUND;
  }
  if (rimport__env_get("PATHEXT", &exts) != 0 || exts.size == 0) {
    rimport__buf_clear(&exts);
    rimport__buf_puts(&exts, ".COM;.EXE;.BAT;.CMD");
  }
  for (p = path.ptr; rc != 0; p = end + 1) {
    end = strchr(p, ';');
    if (end == NULL)
      end = p + strlen(p);
    for (e = exts.ptr; rc != 0 && end > p; e = eend + 1) {
      eend = strchr(e, ';');
      if (eend == NULL)
        eend = e + strlen(e);
      rimport__buf_clear(out);
      if (rimport__buf_put(out, p, (size_t)(end - p)) == 0 &&
          rimport__buf_printf(out, "\\%s", name) == 0 &&
          rimport__buf_put(out, e, (size_t)(eend - e)) == 0 &&
          rimport__fs_is_file(out->ptr))
        rc = 0;
      if (*eend == '\0')
        break;
    }
    if (*end == '\0')
      break;
  }
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&exts);
  return rc;
}

wchar_t *rimport__win_utf16(const char *s, int *nomem) {
  wchar_t *w;
  int n;
  if (nomem != NULL)
    *nomem = 0;
  n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
  if (n <= 0)
    return NULL;
  if ((w = rimport__malloc((size_t)n * sizeof(wchar_t))) == NULL) {
    if (nomem != NULL)
      *nomem = 1;
    return NULL;
  }
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
    rimport__free(w);
    return NULL;
  }
  return w;
}

char *rimport__win_utf8(const wchar_t *w, int len) {
  char *s;
  int n = WideCharToMultiByte(CP_UTF8, 0, w, len, NULL, 0, NULL, NULL);
  if (n <= 0 || (s = rimport__malloc((size_t)n + 1)) == NULL)
    return NULL;
  if (WideCharToMultiByte(CP_UTF8, 0, w, len, s, n, NULL, NULL) != n) {
    rimport__free(s);
    return NULL;
  }
  s[n] = '\0';
  return s;
}
