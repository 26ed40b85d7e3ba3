/* Finding, probing and remembering the Rust toolchain. See toolchain.h. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <cjson/cJSON.h>
#include <stdio.h>
#include <ctype.h>
#include <string.h>
#include <uv.h>
#include <xxhash.h>

#include "../common/json.h"
#include "toolchain.h"
#include "../common/fs.h"
#include "../platform.h"
#include "../proc/proc.h"

/* Bumped whenever the record's layout or meaning changes; a record with
 * another version is ignored and rewritten. */
#define RECORD_VERSION        2
#define RECORD_MAX_SIZE       ((size_t)4 << 20)
#define PROBE_DEFAULT_TIMEOUT 30000u
#define STDERR_QUOTE_MAX      2048
#define MAX_STAMPS            8

/* What a record remembers about one file: it is unchanged while it still
 * (does not) exist with the same size and mtime. */
typedef struct file_stamp {
  char *path;
  int exists;
  rimport__stat st;
} file_stamp;

/* An environment variable the result depends on. */
typedef struct env_stamp {
  const char *name;
  int set;
  char *value;
} env_stamp;

typedef struct stamps {
  file_stamp files[MAX_STAMPS];
  size_t n_files;
  env_stamp env[2];
  size_t n_env;
  int proxy;
} stamps;

static void stamps_dispose(stamps *s) {
  size_t i;
  for (i = 0; i < s->n_files; i++)
    rimport__free(s->files[i].path);
  for (i = 0; i < s->n_env; i++)
    rimport__free(s->env[i].value);
  memset(s, 0, sizeof(*s));
}

static int stamp_file(stamps *s, const char *path) {
  file_stamp *f;
  if (s->n_files == MAX_STAMPS)
    return rimport__error_set(RIMPORT_EINTERNAL,
                              "too many toolchain stamps (internal limit)");
  f = &s->files[s->n_files];
  memset(f, 0, sizeof(*f));
  if ((f->path = rimport__strdup(path)) == NULL)
    return rimport__error_nomem();
  f->exists = rimport__fs_stat(path, &f->st) == 0;
  if (!f->exists)
    memset(&f->st, 0, sizeof(f->st));
  s->n_files++;
  return 0;
}

static int stamp_env(stamps *s, const char *name) {
  rimport_buf v = RIMPORT_BUF_INIT;
  env_stamp *e = &s->env[s->n_env];
  e->name = name;
  e->set = rimport__env_get(name, &v) == 0;
  e->value = rimport__strdup(e->set ? v.ptr : "");
  rimport_buf_dispose(&v);
  if (e->value == NULL)
    return rimport__error_nomem();
  s->n_env++;
  return 0;
}

/* ---------------------------------------------------------------- parse */

static char *dup_trimmed(const char *p, size_t n) {
  while (n > 0 && (p[0] == ' ' || p[0] == '\t')) {
    p++;
    n--;
  }
  while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' ||
                   p[n - 1] == '\n'))
    n--;
  return rimport__strndup(p, n);
}

static void hex_of(char *out, const unsigned char *bytes, size_t n) {
  static const char digits[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < n; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  out[2 * n] = '\0';
}

static void set_field(char **field, char *value) {
  rimport__free(*field);
  *field = value;
}

/* The first line of text, shortened, for messages. */
static char *first_line(const char *text, size_t len) {
  size_t n = 0;
  while (n < len && text[n] != '\n' && text[n] != '\r' && n < 200)
    n++;
  return rimport__strndup(text, n);
}

/* tc->target = target (NULL: the host, or the platform's triple when the
 * host's libraries cannot load here: rimport__platform_target) and the
 * fingerprint: the XXH3-128
 * of `rustc -vV`, followed by "target: <triple>\n" for another target. */
static int set_target(rimport__toolchain *tc, const char *target) {
  XXH3_state_t *st;
  XXH128_canonical_t canon;
  const char *vv = tc->verbose_version;
  char *t;
  size_t i;
  if (target != NULL && strcmp(target, tc->host) == 0)
    target = NULL; /* asked for the host: the host, here too */
  else if (target == NULL)
    target = rimport__platform_target(tc->host);
  for (i = 0; target != NULL && target[i] != '\0'; i++)
    if (!isalnum((unsigned char)target[i]) && !strchr("_-.", target[i]))
      break;
  if (target != NULL && (i == 0 || target[i] != '\0' || i > 128))
    return rimport__error_set(
        RIMPORT_EINVAL,
        "the target \"%s\" is not a target triple (letters, digits, `_`, "
        "`-` and `.`, such as x86_64-pc-windows-gnu); `rustc --print "
        "target-list` lists them",
        target);
  if ((t = rimport__strdup(target ? target : tc->host)) == NULL)
    return rimport__error_nomem();
  set_field(&tc->target, t);
  if ((st = XXH3_createState()) == NULL)
    return rimport__error_nomem();
  XXH3_128bits_reset(st);
  XXH3_128bits_update(st, vv, strlen(vv));
  if (target != NULL) {
    XXH3_128bits_update(st, "target: ", 8);
    XXH3_128bits_update(st, target, strlen(target));
    XXH3_128bits_update(st, "\n", 1);
  }
  XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(st));
  XXH3_freeState(st);
  hex_of(tc->fingerprint, canon.digest, sizeof(canon.digest));
  return 0;
}

int rimport__toolchain_parse_vv(rimport__toolchain *tc, const char *text,
                                size_t len, const char *target) {
  static const struct {
    const char *key;
    size_t off;
  } keys[] = {
      {"release: ", offsetof(rimport__toolchain, release)},
      {"commit-hash: ", offsetof(rimport__toolchain, commit_hash)},
      {"commit-date: ", offsetof(rimport__toolchain, commit_date)},
      {"host: ", offsetof(rimport__toolchain, host)},
      {"LLVM version: ", offsetof(rimport__toolchain, llvm_version)},
  };
  char *found[RIMPORT__ARRAY_SIZE(keys)] = {NULL};
  const char *p = text, *end = text + len, *missing = NULL;
  size_t i;
  int rc = 0;

  /* Skip leading blank lines, then expect "rustc X.Y.Z (...)". */
  while (p < end && (*p == '\n' || *p == '\r' || *p == ' '))
    p++;
  if ((size_t)(end - p) < 6 || memcmp(p, "rustc ", 6) != 0 ||
      memchr(text, '\0', len) != NULL) {
    char *line = first_line(p, (size_t)(end - p));
    rc = rimport__error_set(
        RIMPORT_ETOOLCHAIN,
        "it printed something that is not `rustc -vV` output: \"%s\"%s; "
        "check that the program is really rustc (RUSTC / the rustc_path "
        "option may point at something else)",
        line ? line : "", p == end ? " (nothing at all)" : "");
    rimport__free(line);
    return rc;
  }
  while (p < end && rc == 0) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    size_t n;
    if (eol == NULL)
      eol = end;
    n = (size_t)(eol - p);
    for (i = 0; i < RIMPORT__ARRAY_SIZE(keys); i++) {
      size_t klen = strlen(keys[i].key);
      if (n >= klen && memcmp(p, keys[i].key, klen) == 0 && found[i] == NULL) {
        if ((found[i] = dup_trimmed(p + klen, n - klen)) == NULL)
          rc = rimport__error_nomem();
        else if (found[i][0] == '\0') {
          rimport__free(found[i]);
          found[i] = NULL;
        }
        break;
      }
    }
    p = eol + (eol < end);
  }
  if (rc == 0 && found[0] == NULL)
    missing = "release";
  else if (rc == 0 && found[3] == NULL)
    missing = "host";
  if (missing != NULL) {
    char *line = first_line(text, len);
    rc = rimport__error_set(
        RIMPORT_ETOOLCHAIN,
        "its `rustc -vV` output (\"%s\"…) has no \"%s:\" line; this rustc "
        "is too old or not a real rustc; install a current one with rustup "
        "(https://rustup.rs)",
        line ? line : "", missing);
    rimport__free(line);
  }
  for (i = 0; rc == 0 && i < RIMPORT__ARRAY_SIZE(keys); i++)
    if (found[i] == NULL && (found[i] = rimport__strdup("unknown")) == NULL)
      rc = rimport__error_nomem();
  if (rc == 0) {
    char *vv = rimport__strndup(text, len);
    if (vv == NULL)
      rc = rimport__error_nomem();
    else
      set_field(&tc->verbose_version, vv);
  }
  if (rc != 0) {
    for (i = 0; i < RIMPORT__ARRAY_SIZE(keys); i++)
      rimport__free(found[i]);
    return rc;
  }
  for (i = 0; i < RIMPORT__ARRAY_SIZE(keys); i++)
    set_field((char **)((char *)tc + keys[i].off), found[i]);
  return set_target(tc, target);
}

/* ----------------------------------------------------------- find rustc */

static int has_dir_sep(const char *s) {
  for (; *s != '\0'; s++)
    if (rimport__is_dir_sep(*s))
      return 1;
  return 0;
}

/* A program given as a path (made absolute) or as a name (on PATH). */
static int locate_one(const char *what, rimport_buf *out) {
  if (!has_dir_sep(what))
    return rimport__find_executable(what, out);
  rimport__buf_clear(out);
  if (!rimport__path_is_absolute(what)) {
    rimport_buf cwd = RIMPORT_BUF_INIT;
    int rc = rimport__cwd(&cwd);
    if (rc == 0)
      rc = rimport__path_join(out, cwd.ptr, what);
    rimport_buf_dispose(&cwd);
    if (rc != 0)
      return rc;
  } else if (rimport__buf_puts(out, what) != 0) {
    return RIMPORT_ENOMEM;
  }
  return rimport__fs_is_file(out->ptr) ? 0 : RIMPORT_ENOTFOUND;
}

static int locate_rustc(const char *wanted, rimport_buf *out) {
  rimport_buf env = RIMPORT_BUF_INIT, path = RIMPORT_BUF_INIT,
              looked = RIMPORT_BUF_INIT;
  int rc;
  if (wanted != NULL && wanted[0] != '\0') {
    rc = locate_one(wanted, out);
    rimport__buf_printf(&looked, "the rustc_path option \"%s\"", wanted);
  } else if (rimport__env_get("RUSTC", &env) == 0 && env.size > 0) {
    rc = locate_one(env.ptr, out);
    rimport__buf_printf(&looked, "RUSTC=\"%s\"", env.ptr);
  } else {
    rc = rimport__find_executable("rustc", out);
    rimport__buf_puts(&looked, "`rustc` on PATH (RUSTC is not set)");
  }
  if (rc == RIMPORT_ENOTFOUND) {
    if (rimport__env_get("PATH", &path) != 0)
      rimport__buf_puts(&path, "(not set)");
    rc = rimport__error_set(
        RIMPORT_ETOOLCHAIN,
        "rustc was not found (looked for: %s; PATH=%s); install Rust with "
        "rustup (https://rustup.rs) or `apt-get install rustc cargo`, or set "
        "RUSTC / the rustc_path option",
        looked.ptr ? looked.ptr : "rustc", path.ptr ? path.ptr : "");
  }
  rimport_buf_dispose(&env);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&looked);
  return rc;
}

/* ---------------------------------------------------------------- probe */

typedef struct probe_ctx {
  const char *rustc; /* the path to run */
  const char *cwd;
  unsigned int timeout_ms;
} probe_ctx;

/* Runs `<rustc> <args…>` (args: NULL-terminated); 0 and its stdout, or
 * an error that quotes the command and what it said. */
static int probe_run(const probe_ctx *ctx, const char *const *more,
                     rimport_buf *out) {
  const char *args[8];
  rimport__proc_opts opts;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  rimport_buf line = RIMPORT_BUF_INIT;
  size_t n = 0;
  int rc;

  args[n++] = ctx->rustc;
  while (*more != NULL && n + 1 < RIMPORT__ARRAY_SIZE(args))
    args[n++] = *more++;
  args[n] = NULL;
  memset(&opts, 0, sizeof(opts));
  opts.file = ctx->rustc;
  opts.args = args;
  opts.cwd = ctx->cwd;
  opts.timeout_ms = ctx->timeout_ms;
  opts.max_capture = (size_t)1 << 20;
  if (rimport__proc_format_argv(&line, args) != 0)
    return RIMPORT_ENOMEM;

  rc = rimport__proc_run(&opts, &res);
  if (rc == RIMPORT_ETIMEDOUT) {
    rimport__error_prefix("probing the Rust toolchain");
  } else if (rc == RIMPORT_ESPAWN) {
    rc =
        rimport__error_set(RIMPORT_ETOOLCHAIN, "probing the Rust toolchain: %s",
                           rimport_error_last()->message);
  } else if (rc == 0 && (res.term_signal != 0 || res.exit_status != 0)) {
    char *err = dup_trimmed(res.err.ptr, res.err.size > STDERR_QUOTE_MAX
                                             ? STDERR_QUOTE_MAX
                                             : res.err.size);
    char status[64];
    if (res.term_signal != 0)
      snprintf(status, sizeof(status), "was killed by signal %d",
               res.term_signal);
    else
      snprintf(status, sizeof(status), "exited with status %lld",
               (long long)res.exit_status);
    rc = rimport__error_set(
        RIMPORT_ETOOLCHAIN,
        "probing the Rust toolchain: `%s` %s; it said: %s%s; run that "
        "command yourself to see what is wrong (with rustup, `rustup "
        "default stable` or `rustup toolchain install stable` may be "
        "needed), or point RUSTC / the rustc_path option at a working rustc",
        line.ptr, status,
        err != NULL && err[0] != '\0' ? err : "(nothing on stderr)",
        res.err.size > STDERR_QUOTE_MAX || res.err_truncated ? " […]" : "");
    rimport__free(err);
  } else if (rc == 0) {
    rimport_buf_dispose(out);
    *out = res.out;
    res.out.ptr = NULL;
    res.out.size = res.out.reserved = 0;
  }
  rimport__proc_result_dispose(&res);
  rimport_buf_dispose(&line);
  return rc;
}

/* A `--print` result (for `target`, NULL: the host's): one non-empty
 * line. */
static int probe_print(const probe_ctx *ctx, const char *what,
                       const char *target, char **out) {
  const char *args[] = {"--print", what, target ? "--target" : NULL, target,
                        NULL};
  rimport_buf text = RIMPORT_BUF_INIT;
  int rc = probe_run(ctx, args, &text);
  if (rc == 0) {
    char *v = dup_trimmed(text.ptr, text.size);
    if (v == NULL)
      rc = rimport__error_nomem();
    else if (v[0] == '\0' || strchr(v, '\n') != NULL) {
      char *line = first_line(text.ptr, text.size);
      rc = rimport__error_set(
          RIMPORT_ETOOLCHAIN,
          "probing the Rust toolchain: `%s --print %s` printed something "
          "that is not a directory: \"%s\"; check that \"%s\" is a working "
          "rustc",
          ctx->rustc, what, line ? line : "", ctx->rustc);
      rimport__free(line);
      rimport__free(v);
    } else {
      set_field(out, v);
    }
  }
  rimport_buf_dispose(&text);
  return rc;
}

const char *rimport__toolchain_dylib_ext(const char *target) {
  if (strstr(target, "windows") != NULL)
    return ".dll";
  return strstr(target, "apple") != NULL ? ".dylib" : ".so";
}

/* The std dylib's name pattern is chosen by the target triple (data, not
 * the platform rimport was built on): windows → std-*.dll, apple →
 * libstd-*.dylib, anything else → libstd-*.so. */
static void std_pattern(const char *host, const char **prefix,
                        const char **suffix) {
  if (strstr(host, "windows") != NULL) {
    *prefix = "std-";
    *suffix = ".dll";
  } else if (strstr(host, "apple") != NULL) {
    *prefix = "libstd-";
    *suffix = ".dylib";
  } else {
    *prefix = "libstd-";
    *suffix = ".so";
  }
}

/* Looking for the std dylib: the lexically first name that matches. */
typedef struct std_search {
  const char *prefix, *suffix;
  char *best;
} std_search;

static int std_candidate(const rimport__dirent *ent, void *payload) {
  std_search *q = payload;
  size_t n = strlen(ent->name), plen = strlen(q->prefix),
         slen = strlen(q->suffix);
  if (n > plen + slen && memcmp(ent->name, q->prefix, plen) == 0 &&
      memcmp(ent->name + n - slen, q->suffix, slen) == 0 &&
      (q->best == NULL || strcmp(ent->name, q->best) < 0)) {
    rimport__free(q->best);
    if ((q->best = rimport__strdup(ent->name)) == NULL)
      return rimport__error_nomem();
  }
  return 0;
}

/* The lexically first matching file in dir, joined to dir; NULL if none. */
static int find_std_in(const char *dir, const char *prefix, const char *suffix,
                       char **out) {
  std_search q = {prefix, suffix, NULL};
  char *best;
  int rc = rimport__fs_list_dir(dir, std_candidate, &q);
  if (rc != 0 && rc != RIMPORT_ENOMEM) {
    rimport_error_clear(); /* an unreadable directory has no std */
    rc = 0;
  }
  best = q.best;
  if (rc == 0 && best != NULL) {
    rimport_buf path = RIMPORT_BUF_INIT;
    if ((rc = rimport__path_join(&path, dir, best)) == 0 &&
        (*out = rimport__buf_detach(&path)) == NULL)
      rc = RIMPORT_ENOMEM;
    rimport_buf_dispose(&path);
  }
  rimport__free(best);
  return rc;
}

static int find_std_dylib(rimport__toolchain *tc) {
  const char *prefix, *suffix;
  int rc;
  std_pattern(tc->target, &prefix, &suffix);
  rc = find_std_in(tc->target_libdir, prefix, suffix, &tc->std_dylib);
  /* windows-gnu toolchains also keep the std DLL in <sysroot>/bin. */
  if (rc == 0 && tc->std_dylib == NULL && strcmp(suffix, ".dll") == 0) {
    rimport_buf bin = RIMPORT_BUF_INIT;
    if ((rc = rimport__path_join(&bin, tc->sysroot, "bin")) == 0)
      rc = find_std_in(bin.ptr, prefix, suffix, &tc->std_dylib);
    rimport_buf_dispose(&bin);
  }
  return rc;
}

const char *rimport__toolchain_runtime_dll_name(const char *target) {
  if (strstr(target, "windows-gnullvm") != NULL)
    return "libunwind.dll";
  if (strstr(target, "windows-gnu") == NULL)
    return NULL;
  return strncmp(target, "i686", 4) == 0 ? "libgcc_s_dw2-1.dll"
                                         : "libgcc_s_seh-1.dll";
}

typedef struct runtime_search {
  const char *name;
  const char *gcc_dir;  /* the directory runtime_in_gcc lists */
  int any_thread_model; /* 0: only <version>-win32 directories */
  rimport_buf *found;   /* set when found */
} runtime_search;

static int runtime_in(const char *dir, runtime_search *q) {
  rimport_buf path = RIMPORT_BUF_INIT;
  int rc = rimport__path_join(&path, dir, q->name);
  if (rc == 0 && rimport__fs_is_file(path.ptr)) {
    rimport__buf_clear(q->found);
    rc = rimport__buf_puts(q->found, path.ptr);
  }
  rimport_buf_dispose(&path);
  return rc;
}

/* <sysroot>/lib/gcc/<arch>-w64-mingw32/<version>/: where a mingw-w64 gcc
 * (the windows-gnu linker) keeps its runtime DLLs on Debian. */
static int runtime_in_gcc(const rimport__dirent *ent, void *payload) {
  runtime_search *q = payload;
  rimport_buf dir = RIMPORT_BUF_INIT;
  int rc = 0;
  size_t n = strlen(ent->name);
  /* The win32 thread model's libgcc_s needs no libwinpthread-1.dll. */
  int win32 = n > 6 && strcmp(ent->name + n - 6, "-win32") == 0;
  if (ent->is_dir && q->found->size == 0 && (win32 || q->any_thread_model) &&
      (rc = rimport__path_join(&dir, q->gcc_dir, ent->name)) == 0)
    rc = runtime_in(dir.ptr, q);
  rimport_buf_dispose(&dir);
  return rc;
}

/* Finds the target's runtime DLL where its toolchain keeps it: the target
 * libdir and its self-contained/, <sysroot>/bin, the mingw-w64 gcc's
 * library directory under the sysroot, then PATH (MSYS2's mingw64/bin).
 * Not found is not an error here: loading std says what is missing. */
static int find_runtime_dll(rimport__toolchain *tc) {
  const char *name = rimport__toolchain_runtime_dll_name(tc->target), *p, *end;
  const char *subs[] = {"", "self-contained"};
  rimport_buf found = RIMPORT_BUF_INIT, dir = RIMPORT_BUF_INIT,
              path = RIMPORT_BUF_INIT;
  runtime_search q;
  size_t i;
  int rc = 0;
  if (name == NULL)
    return 0;
  q.name = name;
  q.gcc_dir = NULL;
  q.any_thread_model = 0;
  q.found = &found;
  for (i = 0; rc == 0 && found.size == 0 && i < RIMPORT__ARRAY_SIZE(subs);
       i++) {
    rimport__buf_clear(&dir);
    if ((rc = rimport__path_join(&dir, tc->target_libdir, subs[i])) == 0)
      rc = runtime_in(subs[i][0] ? dir.ptr : tc->target_libdir, &q);
  }
  rimport__buf_clear(&dir);
  if (rc == 0 && found.size == 0 &&
      (rc = rimport__path_join(&dir, tc->sysroot, "bin")) == 0)
    rc = runtime_in(dir.ptr, &q);
  rimport__buf_clear(&dir);
  if (rc == 0 && found.size == 0 &&
      (rc = rimport__path_join(&dir, tc->sysroot, "lib")) == 0 &&
      (rc = rimport__buf_printf(
           &dir, "%cgcc%c%.*s-w64-mingw32", rimport__dir_sep, rimport__dir_sep,
           (int)strcspn(tc->target, "-"), tc->target)) == 0 &&
      rimport__fs_is_dir(dir.ptr) && (q.gcc_dir = dir.ptr) != NULL &&
      (rc = rimport__fs_list_dir(dir.ptr, runtime_in_gcc, &q)) == 0 &&
      found.size == 0 && (q.any_thread_model = 1) != 0)
    rc = rimport__fs_list_dir(dir.ptr, runtime_in_gcc, &q);
  if (rc != 0 && rc != RIMPORT_ENOMEM) {
    rimport_error_clear(); /* an unreadable directory holds nothing */
    rc = 0;
  }
  if (rc == 0 && found.size == 0 && rimport__env_get("PATH", &path) == 0) {
    for (p = path.ptr; rc == 0 && found.size == 0 && *p; p = end) {
      end = strchr(p, rimport__path_list_sep);
      if (end == NULL)
        end = p + strlen(p);
      rimport__buf_clear(&dir);
      if (end > p && (rc = rimport__buf_put(&dir, p, (size_t)(end - p))) == 0 &&
          rimport__path_is_absolute(dir.ptr))
        rc = runtime_in(dir.ptr, &q);
      if (*end != '\0')
        end++;
    }
  }
  if (rc == 0 && found.size > 0 &&
      (tc->runtime_dll = rimport__buf_detach(&found)) == NULL)
    rc = rimport__error_nomem();
  rimport_buf_dispose(&found);
  rimport_buf_dispose(&dir);
  rimport_buf_dispose(&path);
  return rc;
}

/* Is the binary a rustup proxy? Yes when the resolved file is rustup itself
 * (~/.cargo/bin/rustc is a symlink or hard link to rustup), when a `rustup`
 * beside the invoked rustc has the same size and mtime (a hard link), or
 * when the toolchain's own bin/rustc is another file. On yes, fills
 * real_rustc with that file. */
static int detect_proxy(const rimport__toolchain *tc, const char *resolved,
                        rimport_buf *real_rustc) {
  rimport_buf tmp = RIMPORT_BUF_INIT, real = RIMPORT_BUF_INIT;
  rimport__stat a, b;
  int proxy = strncmp(rimport__path_base(resolved), "rustup", 6) == 0;
  const char *exe = strstr(tc->host, "windows") != NULL ? ".exe" : "";
  size_t dir_len = (size_t)(rimport__path_base(tc->rustc) - tc->rustc);

  if (!proxy && dir_len > 0 &&
      rimport__buf_put(&tmp, tc->rustc, dir_len) == 0 &&
      rimport__buf_printf(&tmp, "rustup%s", exe) == 0 &&
      rimport__fs_is_file(tmp.ptr) && rimport__fs_stat(tmp.ptr, &a) == 0 &&
      rimport__fs_stat(resolved, &b) == 0 && a.size == b.size &&
      a.mtime_sec == b.mtime_sec && a.mtime_nsec == b.mtime_nsec)
    proxy = 1;
  rimport__buf_clear(&tmp);
  rimport__buf_clear(real_rustc);
  if (rimport__path_join(&tmp, tc->sysroot, "bin") == 0 &&
      rimport__buf_printf(&tmp, "%crustc%s", rimport__dir_sep, exe) == 0) {
    if (rimport__fs_realpath(tmp.ptr, &real) == 0) {
      if (strcmp(real.ptr, resolved) != 0)
        proxy = 1;
    }
    rimport__buf_puts(real_rustc, tmp.ptr);
  }
  rimport_buf_dispose(&tmp);
  rimport_buf_dispose(&real);
  return proxy;
}

/* Stamps that depend on the probe: the std dylib, and for a rustup proxy
 * what rustup chooses by (RUSTUP_TOOLCHAIN, RUSTUP_HOME, settings.toml)
 * and the real compiler. */
static int stamp_after_probe(stamps *s, const rimport__toolchain *tc,
                             const char *resolved) {
  rimport_buf real = RIMPORT_BUF_INIT, home = RIMPORT_BUF_INIT,
              settings = RIMPORT_BUF_INIT;
  int rc = 0;
  if (tc->std_dylib != NULL)
    rc = stamp_file(s, tc->std_dylib);
  s->proxy = rc == 0 && detect_proxy(tc, resolved, &real);
  if (s->proxy) {
    if (rc == 0 && real.size > 0)
      rc = stamp_file(s, real.ptr);
    if (rc == 0)
      rc = stamp_env(s, "RUSTUP_TOOLCHAIN");
    if (rc == 0)
      rc = stamp_env(s, "RUSTUP_HOME");
    if (rc == 0 &&
        (rimport__env_get("RUSTUP_HOME", &home) != 0 || home.size == 0)) {
      rimport_buf user = RIMPORT_BUF_INIT;
      rc = rimport__home_dir(&user);
      if (rc == 0)
        rc = rimport__path_join(&home, user.ptr, ".rustup");
      rimport_buf_dispose(&user);
    }
    if (rc == 0)
      rc = rimport__path_join(&settings, home.ptr, "settings.toml");
    if (rc == 0)
      rc = stamp_file(s, settings.ptr);
  }
  rimport_buf_dispose(&real);
  rimport_buf_dispose(&home);
  rimport_buf_dispose(&settings);
  return rc;
}

/* --------------------------------------------------------------- record */

static int record_path(const char *cache_dir, const char *resolved,
                       const char *invoked, const char *target,
                       rimport_buf *dir, rimport_buf *out) {
  XXH3_state_t *st;
  unsigned long long h;
  int rc;
  /* rustup acts on the name it runs as, so a symlink's own path is part of
   * the key when it differs from the file it resolves to; and a target
   * asked for has a record of its own. */
  if (strcmp(resolved, invoked) == 0 && target == NULL) {
    h = XXH3_64bits(resolved, strlen(resolved));
  } else {
    st = XXH3_createState();
    if (st == NULL)
      return rimport__error_nomem();
    XXH3_64bits_reset(st);
    XXH3_64bits_update(st, resolved, strlen(resolved) + 1);
    XXH3_64bits_update(st, invoked, strlen(invoked));
    if (target != NULL) {
      XXH3_64bits_update(st, "", 1);
      XXH3_64bits_update(st, target, strlen(target));
    }
    h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
  }
  if ((rc = rimport__path_join(dir, cache_dir, "toolchain")) != 0)
    return rc;
  rimport__buf_clear(out);
  return rimport__buf_printf(out, "%s%c%016llx.json", dir->ptr,
                             rimport__dir_sep, h);
}

static int json_num(const cJSON *obj, const char *key, double *out) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!cJSON_IsNumber(item))
    return -1;
  *out = item->valuedouble;
  return 0;
}

/* Is the file as the stamp remembers it? */
static int file_stamp_matches(const cJSON *j) {
  const char *path = rimport__json_str(j, "path");
  const cJSON *exists = cJSON_GetObjectItemCaseSensitive(j, "exists");
  double size, sec, nsec;
  rimport__stat st;
  int now;
  if (path == NULL || !cJSON_IsBool(exists) || json_num(j, "size", &size) ||
      json_num(j, "mtime_sec", &sec) || json_num(j, "mtime_nsec", &nsec))
    return 0;
  now = rimport__fs_stat(path, &st) == 0;
  if (now != cJSON_IsTrue(exists))
    return 0;
  return !now || ((double)st.size == size && (double)st.mtime_sec == sec &&
                  (double)st.mtime_nsec == nsec);
}

static int env_stamp_matches(const cJSON *j) {
  const char *name = rimport__json_str(j, "name"),
             *value = rimport__json_str(j, "value");
  const cJSON *set = cJSON_GetObjectItemCaseSensitive(j, "set");
  rimport_buf v = RIMPORT_BUF_INIT;
  int now, ok;
  if (name == NULL || value == NULL || !cJSON_IsBool(set))
    return 0;
  now = rimport__env_get(name, &v) == 0;
  ok = now == cJSON_IsTrue(set) && (!now || strcmp(v.ptr, value) == 0);
  rimport_buf_dispose(&v);
  return ok;
}

static int dup_json(char **field, const cJSON *obj, const char *key) {
  const char *s = rimport__json_str(obj, key);
  if (s == NULL)
    return -1;
  set_field(field, rimport__strdup(s));
  return *field == NULL ? -1 : 0;
}

/* dup_json for a key whose value may be null (field left NULL). */
static int dup_json_or_null(char **field, const cJSON *obj, const char *key) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (cJSON_IsNull(item))
    return 0;
  return cJSON_IsString(item) ? dup_json(field, obj, key) : -1;
}

/* 1 and tc filled when the record at `path` is valid and current; 0
 * otherwise (a missing, corrupt, stale or other-version record). Sets no
 * error. */
static int record_load(const char *path, const char *invoked,
                       const char *resolved, const char *target,
                       rimport__toolchain *tc) {
  rimport_buf text = RIMPORT_BUF_INIT;
  cJSON *root = NULL;
  const cJSON *item, *version;
  const char *fp;
  double d;
  int ok = 0;

  if (rimport__fs_read_file(path, RECORD_MAX_SIZE, &text) != 0)
    goto done;
  root = cJSON_ParseWithLength(text.ptr, text.size);
  if (!cJSON_IsObject(root))
    goto done;
  version = cJSON_GetObjectItemCaseSensitive(root, "format");
  if (json_num(root, "format", &d) != 0 || d != RECORD_VERSION ||
      !cJSON_IsNumber(version))
    goto done;
  if (rimport__json_str(root, "rustc") == NULL ||
      strcmp(rimport__json_str(root, "rustc"), invoked) != 0 ||
      rimport__json_str(root, "resolved") == NULL ||
      strcmp(rimport__json_str(root, "resolved"), resolved) != 0)
    goto done;
  item = cJSON_GetObjectItemCaseSensitive(root, "files");
  if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) < 1)
    goto done;
  for (item = item->child; item != NULL; item = item->next)
    if (!file_stamp_matches(item))
      goto done;
  item = cJSON_GetObjectItemCaseSensitive(root, "env");
  if (!cJSON_IsArray(item))
    goto done;
  for (item = item->child; item != NULL; item = item->next)
    if (!env_stamp_matches(item))
      goto done;
  item = cJSON_GetObjectItemCaseSensitive(root, "verbose_version");
  fp = rimport__json_str(root, "fingerprint");
  if (!cJSON_IsString(item) || fp == NULL ||
      rimport__toolchain_parse_vv(tc, item->valuestring,
                                  strlen(item->valuestring), target) != 0 ||
      strcmp(fp, tc->fingerprint) != 0)
    goto done;
  if (dup_json(&tc->sysroot, root, "sysroot") != 0 ||
      dup_json(&tc->target_libdir, root, "target_libdir") != 0)
    goto done;
  if (dup_json_or_null(&tc->std_dylib, root, "std_dylib") != 0 ||
      dup_json_or_null(&tc->runtime_dll, root, "runtime_dll") != 0)
    goto done;
  ok = 1;
done:
  cJSON_Delete(root);
  rimport_buf_dispose(&text);
  rimport_error_clear();
  return ok;
}

static int add_str(cJSON *obj, const char *key, const char *value) {
  return (value ? cJSON_AddStringToObject(obj, key, value)
                : cJSON_AddNullToObject(obj, key)) == NULL;
}

static int record_store(const char *dir, const char *path,
                        const rimport__toolchain *tc, const char *resolved,
                        const stamps *s) {
  cJSON *root = cJSON_CreateObject(), *files, *env, *o;
  rimport_buf text = RIMPORT_BUF_INIT;
  size_t i;
  int bad = root == NULL, rc;

  bad = bad || cJSON_AddNumberToObject(root, "format", RECORD_VERSION) == NULL;
  bad = bad || add_str(root, "rustc", tc->rustc) ||
        add_str(root, "resolved", resolved) ||
        cJSON_AddBoolToObject(root, "rustup_proxy", s->proxy) == NULL;
  files = bad ? NULL : cJSON_AddArrayToObject(root, "files");
  env = bad ? NULL : cJSON_AddArrayToObject(root, "env");
  bad = bad || files == NULL || env == NULL;
  for (i = 0; !bad && i < s->n_files; i++) {
    const file_stamp *f = &s->files[i];
    bad = (o = cJSON_CreateObject()) == NULL ||
          !cJSON_AddItemToArray(files, o) || add_str(o, "path", f->path) ||
          cJSON_AddBoolToObject(o, "exists", f->exists) == NULL ||
          cJSON_AddNumberToObject(o, "size", (double)f->st.size) == NULL ||
          cJSON_AddNumberToObject(o, "mtime_sec", (double)f->st.mtime_sec) ==
              NULL ||
          cJSON_AddNumberToObject(o, "mtime_nsec", (double)f->st.mtime_nsec) ==
              NULL;
  }
  for (i = 0; !bad && i < s->n_env; i++) {
    const env_stamp *e = &s->env[i];
    bad = (o = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(env, o) ||
          add_str(o, "name", e->name) ||
          cJSON_AddBoolToObject(o, "set", e->set) == NULL ||
          add_str(o, "value", e->value);
  }
  bad = bad || add_str(root, "verbose_version", tc->verbose_version) ||
        add_str(root, "fingerprint", tc->fingerprint) ||
        add_str(root, "release", tc->release) ||
        add_str(root, "commit_hash", tc->commit_hash) ||
        add_str(root, "commit_date", tc->commit_date) ||
        add_str(root, "host", tc->host) ||
        add_str(root, "target", tc->target) ||
        add_str(root, "llvm_version", tc->llvm_version) ||
        add_str(root, "sysroot", tc->sysroot) ||
        add_str(root, "target_libdir", tc->target_libdir) ||
        add_str(root, "std_dylib", tc->std_dylib) ||
        add_str(root, "runtime_dll", tc->runtime_dll);
  rc = rimport__json_print(bad ? NULL : root, 1, &text);
  cJSON_Delete(root);
  if (rc == 0)
    rc = rimport__fs_mkdir_p(dir);
  if (rc == 0)
    rc = rimport__fs_write_atomic(path, text.ptr, text.size);
  rimport_buf_dispose(&text);
  return rc;
}

/* ----------------------------------------------------------------- find */

static void clear_probed(rimport__toolchain *tc) {
  char **fields[] = {
      &tc->release,       &tc->commit_hash,  &tc->commit_date,
      &tc->host,          &tc->llvm_version, &tc->sysroot,
      &tc->target_libdir, &tc->std_dylib,    &tc->verbose_version,
      &tc->target,        &tc->runtime_dll};
  size_t i;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(fields); i++)
    set_field(fields[i], NULL);
  tc->fingerprint[0] = '\0';
}

static int set_pub(rimport__toolchain *tc) {
  tc->pub.rustc = tc->rustc;
  tc->pub.release = tc->release;
  tc->pub.commit_hash = tc->commit_hash;
  tc->pub.commit_date = tc->commit_date;
  tc->pub.host = tc->host;
  tc->pub.target = tc->target;
  tc->pub.llvm_version = tc->llvm_version;
  tc->pub.sysroot = tc->sysroot;
  tc->pub.target_libdir = tc->target_libdir;
  tc->pub.std_dylib = tc->std_dylib;
  tc->pub.runtime_dll = tc->runtime_dll;
  tc->pub.fingerprint = tc->fingerprint;
  return 0;
}

static int probe(rimport__toolchain *tc, const char *target, const char *cwd,
                 unsigned int timeout_ms, rimport_progress_cb progress,
                 void *payload) {
  static const char *const vv_args[] = {"-vV", NULL};
  probe_ctx ctx;
  rimport_buf vv = RIMPORT_BUF_INIT, line = RIMPORT_BUF_INIT;
  int rc;

  ctx.rustc = tc->rustc;
  ctx.cwd = cwd;
  ctx.timeout_ms = timeout_ms ? timeout_ms : PROBE_DEFAULT_TIMEOUT;
  if (progress != NULL) {
    rimport_progress pr;
    memset(&pr, 0, sizeof(pr));
    pr.phase = RIMPORT_PROGRESS_TOOLCHAIN;
    if (rimport__buf_printf(&line, "probing rustc at %s", tc->rustc) != 0)
      return RIMPORT_ENOMEM;
    pr.message = line.ptr;
    progress(&pr, payload);
    rimport_buf_dispose(&line);
  }
  rc = probe_run(&ctx, vv_args, &vv);
  if (rc == 0) {
    rc = rimport__toolchain_parse_vv(tc, vv.ptr, vv.size, target);
    if (rc == RIMPORT_ETOOLCHAIN)
      rimport__error_prefix("probing the Rust toolchain: `%s -vV`", tc->rustc);
  }
  if (rc == 0)
    rc = probe_print(&ctx, "sysroot", NULL, &tc->sysroot);
  /* A target other than the host: its own library directory (rustc says
   * there which targets it knows when this one is not installed). */
  if (rc == 0)
    rc = probe_print(&ctx, "target-libdir",
                     strcmp(tc->target, tc->host) != 0 ? tc->target : NULL,
                     &tc->target_libdir);
  if (rc == 0)
    rc = find_std_dylib(tc);
  if (rc == 0)
    rc = find_runtime_dll(tc);
  rimport_buf_dispose(&vv);
  return rc;
}

int rimport__toolchain_find(const char *rustc, const char *target,
                            const char *cache_dir, unsigned int timeout_ms,
                            rimport_progress_cb progress, void *payload,
                            rimport__toolchain **out) {
  rimport__toolchain *tc;
  rimport_buf invoked = RIMPORT_BUF_INIT, resolved = RIMPORT_BUF_INIT,
              dir = RIMPORT_BUF_INIT, rec = RIMPORT_BUF_INIT;
  stamps s;
  int rc;

  memset(&s, 0, sizeof(s));
  if (out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport__toolchain_find: out is NULL");
  *out = NULL;
  if ((tc = rimport__calloc(1, sizeof(*tc))) == NULL)
    return rimport__error_nomem();
  rc = locate_rustc(rustc, &invoked);
  if (rc == 0 && (rc = rimport__fs_realpath(invoked.ptr, &resolved)) != 0)
    rimport__error_prefix("finding rustc");
  if (rc == 0 && (tc->rustc = rimport__strdup(invoked.ptr)) == NULL)
    rc = rimport__error_nomem();
  if (rc == 0 && (tc->resolved = rimport__strdup(resolved.ptr)) == NULL)
    rc = rimport__error_nomem();
  if (rc == 0 && cache_dir != NULL)
    rc = record_path(cache_dir, resolved.ptr, invoked.ptr, target, &dir, &rec);
  if (rc == 0 && cache_dir != NULL &&
      record_load(rec.ptr, invoked.ptr, resolved.ptr, target, tc)) {
    tc->pub.from_cache = 1;
    goto done;
  }
  clear_probed(tc); /* what a rejected record may have filled in */
  /* The probe runs in the cache directory, where cargo runs too (rustup
   * overrides are per directory). Failing to create it is not fatal here. */
  if (rc == 0 && cache_dir != NULL && rimport__fs_mkdir_p(cache_dir) != 0)
    rimport_error_clear();
  /* Stamp the binary before running it: a change during the probe makes
   * the next call probe again. */
  if (rc == 0)
    rc = stamp_file(&s, resolved.ptr);
  if (rc == 0)
    rc = probe(tc, target,
               cache_dir != NULL && rimport__fs_is_dir(cache_dir) ? cache_dir
                                                                  : NULL,
               timeout_ms, progress, payload);
  if (rc == 0)
    rc = stamp_after_probe(&s, tc, resolved.ptr);
  if (rc == 0 && cache_dir != NULL &&
      record_store(dir.ptr, rec.ptr, tc, resolved.ptr, &s) != 0) {
    /* The record is an optimization: without it the next call probes. */
    if (rimport_error_last()->code == RIMPORT_ENOMEM)
      rc = RIMPORT_ENOMEM;
    else
      rimport_error_clear();
  }
done:
  stamps_dispose(&s);
  rimport_buf_dispose(&invoked);
  rimport_buf_dispose(&resolved);
  rimport_buf_dispose(&dir);
  rimport_buf_dispose(&rec);
  if (rc != 0) {
    rimport__toolchain_free(tc);
    return rc;
  }
  set_pub(tc);
  *out = tc;
  return 0;
}

void rimport__toolchain_free(rimport__toolchain *tc) {
  if (tc == NULL)
    return;
  rimport__free(tc->rustc);
  rimport__free(tc->resolved);
  rimport__free(tc->release);
  rimport__free(tc->commit_hash);
  rimport__free(tc->commit_date);
  rimport__free(tc->host);
  rimport__free(tc->llvm_version);
  rimport__free(tc->sysroot);
  rimport__free(tc->target_libdir);
  rimport__free(tc->std_dylib);
  rimport__free(tc->runtime_dll);
  rimport__free(tc->verbose_version);
  rimport__free(tc->target);
  rimport__free(tc);
}
