/* The public session calls. Each stage's work lives in its folder; this file
 * holds the session and hands its parts to the stages. */
#include <string.h>

#include "session.h"
#include "common/fs.h"
#include "platform.h"
#include "build/build.h"
#include "cell/cell.h"
#include "plan/plan.h"
#include "toolchain/toolchain.h"

int rimport_options_init(rimport_options *opts, unsigned int version) {
  static const rimport_options defaults = RIMPORT_OPTIONS_INIT;
  if (opts == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_options_init: opts is NULL");
  if (version != RIMPORT_OPTIONS_VERSION)
    return rimport__error_set(
        RIMPORT_EVERSION,
        "rimport_options_init: options version %u is not known to rimport "
        "%s (it knows version %u); rebuild against this rimport.h",
        version, rimport_version(), RIMPORT_OPTIONS_VERSION);
  *opts = defaults;
  return 0;
}

static int copy_opt(char **dst, const char *src) {
  if (src == NULL)
    return 0;
  *dst = rimport__strdup(src);
  return *dst == NULL ? rimport__error_nomem() : 0;
}

static int check_options(const rimport_options *o) {
  if (o->version != RIMPORT_OPTIONS_VERSION)
    return rimport__error_set(
        RIMPORT_EVERSION,
        "rimport_session_open: options version %u is not known to rimport %s "
        "(it knows version %u); initialize options with RIMPORT_OPTIONS_INIT",
        o->version, rimport_version(), RIMPORT_OPTIONS_VERSION);
  if (o->source_kind < RIMPORT_SOURCE_DEFAULT ||
      o->source_kind > RIMPORT_SOURCE_CONFIG)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_session_open: source_kind %d is not a "
                              "rimport_source_kind value",
                              (int)o->source_kind);
  if (o->source_kind != RIMPORT_SOURCE_DEFAULT &&
      (o->source == NULL || o->source[0] == '\0'))
    return rimport__error_set(
        RIMPORT_EINVAL,
        "rimport_session_open: source_kind %s needs `source` (the %s)",
        o->source_kind == RIMPORT_SOURCE_DIRECTORY  ? "DIRECTORY"
        : o->source_kind == RIMPORT_SOURCE_REGISTRY ? "REGISTRY"
                                                    : "CONFIG",
        o->source_kind == RIMPORT_SOURCE_DIRECTORY  ? "crate directory"
        : o->source_kind == RIMPORT_SOURCE_REGISTRY ? "registry index URL"
                                                    : "cargo config file");
  if (o->source_kind == RIMPORT_SOURCE_DIRECTORY &&
      !rimport__fs_is_dir(o->source))
    return rimport__error_set(
        RIMPORT_ENOTFOUND,
        "rimport_session_open: the crate directory source \"%s\" is not a "
        "directory; give a directory of unpacked crates (e.g. "
        "/usr/share/cargo/registry from Debian's librust-*-dev packages)",
        o->source);
  if (o->source_kind == RIMPORT_SOURCE_CONFIG &&
      !rimport__fs_is_file(o->source))
    return rimport__error_set(RIMPORT_ENOTFOUND,
                              "rimport_session_open: the cargo config file "
                              "\"%s\" does not exist",
                              o->source);
  return 0;
}

/* Makes the cache directory absolute, creates it and checks that it can be
 * written to (a file is created and removed). */
static int open_cache_dir(rimport_session *s, const char *wanted) {
  rimport_buf dir = RIMPORT_BUF_INIT, probe = RIMPORT_BUF_INIT;
  int rc;
  if (wanted != NULL)
    rc = rimport__buf_puts(&dir, wanted);
  else
    rc = rimport__default_cache_dir(&dir);
  if (rc == 0 && dir.size == 0)
    rc = rimport__error_set(RIMPORT_EINVAL,
                            "rimport_session_open: the cache directory is "
                            "an empty string; give a directory or NULL");
  if (rc == 0)
    rc = rimport__fs_mkdir_p(dir.ptr);
  if (rc == 0)
    rc = rimport__fs_realpath(dir.ptr, &probe);
  if (rc == 0) {
    rimport_buf_dispose(&dir);
    dir = probe;
    probe = (rimport_buf)RIMPORT_BUF_INIT;
    rc = rimport__fs_check_writable(dir.ptr);
  }
  if (rc != 0)
    rimport__error_prefix("the cache directory \"%s\" is not usable (set "
                          "RIMPORT_CACHE_DIR or the cache_dir option to a "
                          "writable directory)",
                          dir.ptr ? dir.ptr : "");
  else if ((s->cache_dir = rimport__buf_detach(&dir)) == NULL)
    rc = RIMPORT_ENOMEM;
  rimport_buf_dispose(&dir);
  rimport_buf_dispose(&probe);
  return rc;
}

int rimport_session_open(rimport_session **out, const rimport_options *opts) {
  static const rimport_options defaults = RIMPORT_OPTIONS_INIT;
  rimport_session *s;
  int rc;
  if (out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_session_open: out is NULL");
  *out = NULL;
  if (opts == NULL)
    opts = &defaults;
  if ((rc = check_options(opts)) != 0)
    return rc;
  s = rimport__calloc(1, sizeof(*s));
  if (s == NULL)
    return rimport__error_nomem();
  s->opts = *opts;
  if ((rc = copy_opt(&s->cargo_path, opts->cargo_path)) != 0 ||
      (rc = copy_opt(&s->rustc_path, opts->rustc_path)) != 0 ||
      (rc = copy_opt(&s->source, opts->source)) != 0 ||
      (rc = open_cache_dir(s, opts->cache_dir)) != 0) {
    rimport_session_close(s);
    return rc;
  }
  s->opts.cache_dir = s->cache_dir;
  s->opts.cargo_path = s->cargo_path;
  s->opts.rustc_path = s->rustc_path;
  s->opts.source = s->source;
  *out = s;
  return 0;
}

void rimport_session_close(rimport_session *s) {
  if (s == NULL)
    return;
  rimport__cell_session_free(s);
  rimport__build_session_free(s);
  rimport__plan_session_free(s);
  rimport__toolchain_free(s->toolchain);
  rimport__free(s->cache_dir);
  rimport__free(s->cargo_path);
  rimport__free(s->rustc_path);
  rimport__free(s->source);
  rimport__free(s);
}

const char *rimport_session_cache_dir(const rimport_session *s) {
  return s == NULL ? NULL : s->cache_dir;
}

int rimport_session_toolchain(rimport_session *s,
                              const rimport_toolchain **out) {
  int rc;
  if (s == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_session_toolchain: session and out "
                              "are needed");
  if (s->toolchain == NULL &&
      (rc = rimport__toolchain_find(
           s->rustc_path, s->cache_dir, s->opts.probe_timeout_ms,
           s->opts.progress, s->opts.progress_payload, &s->toolchain)) != 0)
    return rc;
  *out = &s->toolchain->pub;
  return 0;
}

int rimport_plan(rimport_session *s, const rimport_import *imports,
                 size_t count, const rimport_plan_options *opts,
                 rimport_cell_plan **out) {
  static const rimport_plan_options defaults = RIMPORT_PLAN_OPTIONS_INIT;
  const rimport_toolchain *tc;
  int rc;
  if (out != NULL)
    *out = NULL;
  if (s == NULL || out == NULL || (imports == NULL && count > 0))
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_plan: session, out and (with a count) "
                              "imports are needed");
  if (opts == NULL)
    opts = &defaults;
  if (opts->version != RIMPORT_PLAN_OPTIONS_VERSION)
    return rimport__error_set(
        RIMPORT_EVERSION,
        "rimport_plan: plan options version %u is not known to rimport %s "
        "(it knows version %u); initialize with RIMPORT_PLAN_OPTIONS_INIT",
        opts->version, rimport_version(), RIMPORT_PLAN_OPTIONS_VERSION);
  if ((rc = rimport_session_toolchain(s, &tc)) != 0)
    return rc;
  return rimport__plan_make(s, tc, imports, count, opts, out);
}
