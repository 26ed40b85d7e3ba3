/* Dynamic libraries on unix: dlopen by absolute path (src/platform.h). */
#include <dlfcn.h>
#include <string.h>

#include "../common/common.h"
#include "../platform.h"

struct rimport__dl {
  void *handle;
};

int rimport__dl_open(const char *abs_path, rimport__dl **out) {
  rimport__dl *dl;
  const char *why;
  void *h;
  *out = NULL;
  if (abs_path == NULL || !rimport__path_is_absolute(abs_path))
    return rimport__error_set(
        RIMPORT_EINVAL,
        "loading the library \"%s\" refused: rimport loads libraries by "
        "absolute path only (a bare name would be searched for); pass the "
        "full path",
        abs_path ? abs_path : "(null)");
  if ((dl = rimport__malloc(sizeof(*dl))) == NULL)
    return rimport__error_nomem();
  (void)dlerror(); /* forget an earlier message of this thread */
  h = dlopen(abs_path, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    why = dlerror();
    rimport__free(dl);
    return rimport__error_set(
        RIMPORT_ELOAD,
        "loading the library \"%s\" failed: %s; check that the file exists, "
        "is readable and was built for this machine, and that the libraries "
        "it needs are loaded first (the Rust std dylib, kayton_api, the "
        "parent plugins); a damaged cache entry is rebuilt after "
        "`rimport cache verify` moves it aside",
        abs_path, why ? why : "unknown error");
  }
  dl->handle = h;
  *out = dl;
  return 0;
}

void *rimport__dl_sym(rimport__dl *dl, const char *name) {
  if (dl == NULL || name == NULL)
    return NULL;
  return dlsym(dl->handle, name);
}

void rimport__dl_free(rimport__dl *dl) {
  /* No dlclose: what rimport loaded stays loaded (src/platform.h). */
  rimport__free(dl);
}

const char *rimport__dl_prefix(void) {
  return "lib";
}

const char *rimport__dl_ext(void) {
#if defined(__APPLE__)
  return ".dylib";
#else
  return ".so";
#endif
}
