/* The session: the options it was opened with and the parts each stage
 * uses (src/session.h hands them out). This file is the top of the
 * library's layering: it makes and frees every part, and nothing below
 * knows the struct. The public calls of each stage live in the stage's
 * folder. */
#include <string.h>

#include "session.h"
#include "api/api.h"
#include "cell/cell.h"
#include "common/fs.h"
#include "dyncall/dyncall.h"
#include "load/load.h"
#include "plan/plan.h"
#include "platform.h"
#include "stack/stack.h"
#include "toolchain/toolchain.h"
#include "vm/vm.h"

struct rimport_session {
  rimport_session_options opts; /* string fields point at the copies below */
  char *cache_dir;              /* absolute, created */
  char *cargo_path;
  char *rustc_path;
  char *target;
  char *source;
  struct rimport__toolchain *toolchain; /* probed on first use */
  rimport__stack *stack;                /* src/stack */
  rimport__plan_state *plans;           /* src/plan */
  rimport__loader *loader;              /* src/load */
  rimport__vm *vm; /* the reference VM, unless the host gave a context */
  rimport__cell_state *cells;     /* src/cell */
  rimport__api_state *api;        /* src/api */
  rimport__dyncall_memo *dyncall; /* src/dyncall */
  atomic_int cancel;              /* rimport_cancel sets it */
};

int rimport_session_options_init(rimport_session_options *opts,
                                 unsigned int version) {
  RIMPORT__INIT_OPTIONS(opts, version, RIMPORT_SESSION_OPTIONS_VERSION,
                        rimport_session_options, RIMPORT_SESSION_OPTIONS_INIT);
}

static int copy_opt(char **dst, const char *src) {
  if (src == NULL)
    return 0;
  *dst = rimport__strdup(src);
  return *dst == NULL ? rimport__error_nomem() : 0;
}

static int check_options(const rimport_session_options *o) {
  RIMPORT__CHECK_VERSION(o, RIMPORT_SESSION_OPTIONS_VERSION,
                         rimport_session_options, "rimport_session_open");
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

/* The reference VM's output goes to the output option. */
static void vm_output(int32_t level, const char *text, size_t len,
                      void *payload) {
  const rimport_session *s = payload;
  if (s->opts.output != NULL)
    s->opts.output((rimport_output_level)level, text, len,
                   s->opts.output_payload);
}

static int open_vm(rimport_session *s) {
  int rc = rimport__vm_new(&s->vm);
  if (rc == 0)
    rimport__vm_set_output(s->vm, vm_output, s);
  return rc;
}

int rimport_session_open(rimport_session **out,
                         const rimport_session_options *opts) {
  static const rimport_session_options defaults = RIMPORT_SESSION_OPTIONS_INIT;
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
      (rc = copy_opt(&s->target, opts->target)) != 0 ||
      (rc = copy_opt(&s->source, opts->source)) != 0 ||
      (rc = open_cache_dir(s, opts->cache_dir)) != 0) {
    rimport_session_close(s);
    return rc;
  }
  s->opts.cache_dir = s->cache_dir;
  s->opts.cargo_path = s->cargo_path;
  s->opts.rustc_path = s->rustc_path;
  s->opts.target = s->target;
  s->opts.source = s->source;
  atomic_init(&s->cancel, 0);
  if ((rc = rimport__stack_new(&s->stack)) != 0 ||
      (rc = rimport__plan_state_new(&s->plans)) != 0 ||
      (rc = rimport__loader_new(&s->loader)) != 0 ||
      (rc = rimport__cell_state_new(&s->cells)) != 0 ||
      (rc = rimport__api_state_new(&s->api)) != 0 ||
      (rc = rimport__dyncall_memo_new(&s->dyncall)) != 0 ||
      (opts->context == NULL && (rc = open_vm(s)) != 0)) {
    rimport_session_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

void rimport_session_close(rimport_session *s) {
  if (s == NULL)
    return;
  rimport__cell_state_free(s->cells);
  rimport__api_state_free(s->api);
  rimport__dyncall_memo_free(s->dyncall);
  /* Every value kept in the VM is dropped here (drop functions live in
   * libraries that stay loaded: the loader unloads nothing). */
  rimport__vm_free(s->vm);
  rimport__loader_free(s->loader);
  rimport__plan_state_free(s->plans);
  rimport__stack_free(s->stack);
  rimport__toolchain_free(s->toolchain);
  rimport__free(s->cache_dir);
  rimport__free(s->cargo_path);
  rimport__free(s->rustc_path);
  rimport__free(s->target);
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
           s->rustc_path, s->target, s->cache_dir, s->opts.probe_timeout_ms,
           s->opts.progress, s->opts.progress_payload, &s->toolchain)) != 0)
    return rc;
  *out = &s->toolchain->pub;
  return 0;
}

struct KaytonContext *rimport_session_context(rimport_session *s) {
  if (s == NULL)
    return NULL;
  return s->vm != NULL ? rimport__vm_context(s->vm) : s->opts.context;
}

/* --- the parts (session.h) ------------------------------------------------ */

const rimport_session_options *
rimport__session_options(const rimport_session *s) {
  return &s->opts;
}

rimport__stack *rimport__session_stack(rimport_session *s) {
  return s->stack;
}

rimport__plan_state *rimport__session_plans(rimport_session *s) {
  return s->plans;
}

rimport__loader *rimport__session_loader(rimport_session *s) {
  return s->loader;
}

rimport__vm *rimport__session_vm(rimport_session *s) {
  return s->vm;
}

rimport__cell_state *rimport__session_cells(rimport_session *s) {
  return s->cells;
}

rimport__api_state *rimport__session_api(rimport_session *s) {
  return s->api;
}

rimport__dyncall_memo *rimport__session_dyncall(rimport_session *s) {
  return s->dyncall;
}

atomic_int *rimport__session_cancel(rimport_session *s) {
  return &s->cancel;
}
