/* Dynamic libraries on Windows: LoadLibraryExW by absolute path with the
 * safe search flags (src/platform.h, DESIGN.md fact 9). */
#include <windows.h>
#include <string.h>

#include "../common/common.h"
#include "../platform.h"
#include "win.h"

struct rimport__dl {
  HMODULE module;
};

static INIT_ONCE dirs_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK dirs_init(PINIT_ONCE once, void *param, void **ctx) {
  (void)once;
  (void)param;
  (void)ctx;
  /* Failing (Windows 7 without KB2533623) is not fatal: LoadLibraryExW
   * below passes the same flags itself. */
  (void)SetDefaultDllDirectories(LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
  return TRUE;
}

/* The system's text for `code` as UTF-8 (trailing ". \r\n" removed), or
 * NULL. Free with rimport__free. */
static char *system_message(DWORD code) {
  wchar_t *w = NULL;
  char *s;
  DWORD len;
  len = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER |
                           FORMAT_MESSAGE_FROM_SYSTEM |
                           FORMAT_MESSAGE_IGNORE_INSERTS,
                       NULL, code, 0, (LPWSTR)&w, 0, NULL);
  if (len == 0 || w == NULL)
    return NULL;
  while (len > 0 && (w[len - 1] == L'\r' || w[len - 1] == L'\n' ||
                     w[len - 1] == L' ' || w[len - 1] == L'.'))
    len--;
  s = rimport__win_utf8(w, (int)len);
  LocalFree(w);
  return s;
}

int rimport__dl_open(const char *abs_path, rimport__dl **out) {
  rimport__dl *dl;
  wchar_t *wpath;
  HMODULE m;
  DWORD code;
  char *why;
  int nomem, rc;
  *out = NULL;
  if (abs_path == NULL || !rimport__path_is_absolute(abs_path))
    return rimport__error_set(
        RIMPORT_EINVAL,
        "loading the library \"%s\" refused: rimport loads libraries by "
        "absolute path only (a bare name would be searched for); pass the "
        "full path",
        abs_path ? abs_path : "(null)");
  if ((wpath = rimport__win_utf16(abs_path, &nomem)) == NULL)
    return nomem ? rimport__error_nomem()
                 : rimport__error_set(RIMPORT_EINVAL,
                                      "loading the library \"%s\" refused: "
                                      "the path is not valid UTF-8",
                                      abs_path);
  if ((dl = rimport__malloc(sizeof(*dl))) == NULL) {
    rimport__free(wpath);
    return rimport__error_nomem();
  }
  InitOnceExecuteOnce(&dirs_once, dirs_init, NULL, NULL);
  m = LoadLibraryExW(wpath, NULL,
                     LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR |
                         LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
  code = GetLastError();
  rimport__free(wpath);
  if (m == NULL) {
    rimport__free(dl);
    why = system_message(code);
    rc = rimport__error_set(
        RIMPORT_ELOAD,
        "loading the library \"%s\" failed: %s (error %lu); check that the "
        "file exists, is readable and was built for this machine, that the "
        "DLLs it imports are loaded first or lie in its directory (the Rust "
        "std DLL needs libgcc_s_seh-1.dll beside it), and that kayton_api "
        "and the parent plugins are loaded first; a damaged cache entry is "
        "rebuilt after `rimport cache verify` moves it aside",
        abs_path, why ? why : "unknown error", (unsigned long)code);
    rimport__free(why);
    return rc;
  }
  dl->module = m;
  *out = dl;
  return 0;
}

void *rimport__dl_sym(rimport__dl *dl, const char *name) {
  FARPROC f;
  void *p = NULL;
  if (dl == NULL || name == NULL)
    return NULL;
  f = GetProcAddress(dl->module, name);
  if (f != NULL)
    memcpy(&p, &f, sizeof(p));
  return p;
}

void rimport__dl_free(rimport__dl *dl) {
  /* No FreeLibrary: what rimport loaded stays loaded (src/platform.h). */
  rimport__free(dl);
}

const char *rimport__dl_prefix(void) {
  return "";
}

const char *rimport__dl_ext(void) {
  return ".dll";
}
