/* The session: the options it was opened with and the parts each stage
 * uses (src/session.h hands them out). This file is the top of the
 * library's layering: it makes and frees every part, and nothing below
 * knows the struct. The public calls of each stage live in the stage's
 * folder. */
#include <stddef.h>
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
  char *shared_cache_dir;  /* absolute, or NULL: none */
  char *rustc_wrapper;     /* the option as given */
  char *wrapper_in_effect; /* the option, else $RUSTC_WRAPPER, or NULL */
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

/* The bytes a version-1 struct has: every field before shared_cache_dir. */
#define SESSION_OPTIONS_V1_SIZE                                                \
  offsetof(rimport_session_options, shared_cache_dir)

int rimport_session_options_init(rimport_session_options *opts,
                                 unsigned int version) {
  static const rimport_session_options defaults = RIMPORT_SESSION_OPTIONS_INIT;
  if (opts != NULL && version == 1) { /* an older rimport.h: its fields only */
    memcpy(opts, &defaults, SESSION_OPTIONS_V1_SIZE);
    opts->version = 1;
    return 0;
  }
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
  if (o->version != 1) /* version 1 is read with the later fields' defaults */
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

/* The shared cache (tier): the option, else $RIMPORT_SHARED_CACHE_DIR; ""
 * is none. Made absolute (its real path when it exists), but not checked:
 * a share that is not mounted now is a warning when it is used, not a
 * session that cannot open. It must not be the local cache itself. */
static int open_shared_cache_dir(rimport_session *s, const char *wanted) {
  rimport_buf dir = RIMPORT_BUF_INIT, abs = RIMPORT_BUF_INIT,
              env = RIMPORT_BUF_INIT;
  int rc = 0;
  if (wanted == NULL && rimport__env_get("RIMPORT_SHARED_CACHE_DIR", &env) == 0)
    wanted = env.ptr;
  if (wanted == NULL || wanted[0] == '\0')
    goto done;
  if (rimport__fs_is_dir(wanted))
    rc = rimport__fs_realpath(wanted, &abs);
  else if (rimport__path_is_absolute(wanted))
    rc = rimport__buf_puts(&abs, wanted);
  else if ((rc = rimport__cwd(&dir)) == 0)
    rc = rimport__path_join(&abs, dir.ptr, wanted);
  if (rc != 0) {
    rimport__error_prefix("the shared cache directory \"%s\" (shared_cache_dir "
                          "or RIMPORT_SHARED_CACHE_DIR)",
                          wanted);
    goto done;
  }
  if (strcmp(abs.ptr, s->cache_dir) == 0) {
    rc = rimport__error_set(RIMPORT_EINVAL,
                            "rimport_session_open: the shared cache "
                            "directory \"%s\" is the local cache directory "
                            "itself; give the team's shared directory in "
                            "shared_cache_dir (RIMPORT_SHARED_CACHE_DIR), or "
                            "none",
                            wanted);
    goto done;
  }
  if ((s->shared_cache_dir = rimport__buf_detach(&abs)) == NULL)
    rc = RIMPORT_ENOMEM;
done:
  rimport_buf_dispose(&dir);
  rimport_buf_dispose(&abs);
  rimport_buf_dispose(&env);
  return rc;
}

/* RUSTC_WRAPPER: the option as given (cargo's environment, src/build), and
 * the wrapper in effect (rimport_session_rustc_wrapper). */
static int open_rustc_wrapper(rimport_session *s, const char *wanted) {
  rimport_buf env = RIMPORT_BUF_INIT;
  int rc = copy_opt(&s->rustc_wrapper, wanted);
  if (rc == 0 && wanted == NULL &&
      rimport__env_get("RUSTC_WRAPPER", &env) == 0 && env.size > 0)
    wanted = env.ptr;
  if (rc == 0 && wanted != NULL && wanted[0] != '\0')
    rc = copy_opt(&s->wrapper_in_effect, wanted);
  rimport_buf_dispose(&env);
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
  if (opts->version == 1) { /* the later fields keep their defaults */
    s->opts = defaults;
    memcpy(&s->opts, opts, SESSION_OPTIONS_V1_SIZE);
    s->opts.version = RIMPORT_SESSION_OPTIONS_VERSION;
  } else {
    s->opts = *opts;
  }
  if ((rc = copy_opt(&s->cargo_path, s->opts.cargo_path)) != 0 ||
      (rc = copy_opt(&s->rustc_path, s->opts.rustc_path)) != 0 ||
      (rc = copy_opt(&s->target, s->opts.target)) != 0 ||
      (rc = copy_opt(&s->source, s->opts.source)) != 0 ||
      (rc = open_cache_dir(s, s->opts.cache_dir)) != 0 ||
      (rc = open_shared_cache_dir(s, s->opts.shared_cache_dir)) != 0 ||
      (rc = open_rustc_wrapper(s, s->opts.rustc_wrapper)) != 0) {
    rimport_session_close(s);
    return rc;
  }
  s->opts.cache_dir = s->cache_dir;
  s->opts.cargo_path = s->cargo_path;
  s->opts.rustc_path = s->rustc_path;
  s->opts.target = s->target;
  s->opts.source = s->source;
  s->opts.shared_cache_dir = s->shared_cache_dir;
  s->opts.rustc_wrapper = s->rustc_wrapper;
  if (!s->opts.shared_cache_readonly) {
    rimport_buf ro = RIMPORT_BUF_INIT;
    if (rimport__env_get("RIMPORT_SHARED_CACHE_READONLY", &ro) == 0 &&
        strcmp(ro.ptr, "1") == 0)
      s->opts.shared_cache_readonly = 1;
    rimport_buf_dispose(&ro);
  }
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
  rimport__free(s->shared_cache_dir);
  rimport__free(s->rustc_wrapper);
  rimport__free(s->wrapper_in_effect);
  rimport__free(s);
}

const char *rimport_session_cache_dir(const rimport_session *s) {
  return s == NULL ? NULL : s->cache_dir;
}

const char *rimport_session_shared_cache_dir(const rimport_session *s,
                                             int *readonly) {
  if (readonly != NULL)
    *readonly = s != NULL && s->opts.shared_cache_readonly;
  return s == NULL ? NULL : s->shared_cache_dir;
}

const char *rimport_session_rustc_wrapper(const rimport_session *s) {
  return s == NULL ? NULL : s->wrapper_in_effect;
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
