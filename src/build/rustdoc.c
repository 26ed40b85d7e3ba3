/* rustdoc JSON of a crate from the artifacts a cargo build made
 * (rustdoc.h): the command cargo would give rustc for the crate, rebuilt
 * from cargo's messages and `cargo metadata`, run with rustdoc. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "../common/fs.h"
#include "../common/json.h"
#include "../platform.h"
#include "../proc/proc.h"
#include "rustdoc.h"

#define TAIL_MAX (8 * 1024)

/* --- finding things ------------------------------------------------------- */

int rimport__rustdoc_find(const rimport_toolchain *tc, const char *rustdoc,
                          rimport_buf *out) {
  rimport_buf at_sysroot = RIMPORT_BUF_INIT, beside = RIMPORT_BUF_INIT,
              dir = RIMPORT_BUF_INIT;
  const char *p;
  int rc = 0, has_dir = 0;
  rimport__buf_clear(out);
  if (rustdoc != NULL && rustdoc[0] != '\0') {
    for (p = rustdoc; *p; p++)
      has_dir |= rimport__is_dir_sep(*p);
    if (has_dir)
      return rimport__buf_puts(out, rustdoc);
    if (rimport__find_executable(rustdoc, out) == 0)
      return 0;
    return rimport__error_set(RIMPORT_ETOOLCHAIN,
                              "rustdoc \"%s\" was not found on PATH; give its "
                              "full path",
                              rustdoc);
  }
  if (tc == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "finding rustdoc: no toolchain was given");
  if (tc->sysroot != NULL && tc->sysroot[0] != '\0') {
    rc = rimport__buf_printf(&at_sysroot, "%s%cbin%crustdoc%s", tc->sysroot,
                             rimport__dir_sep, rimport__dir_sep,
                             rimport__exe_suffix);
    if (rc == 0 && rimport__fs_is_file(at_sysroot.ptr)) {
      rc = rimport__buf_puts(out, at_sysroot.ptr);
      goto done;
    }
  }
  if (rc == 0 && tc->rustc != NULL && tc->rustc[0] != '\0' &&
      (rc = rimport__path_dir(tc->rustc, &dir)) == 0) {
    rc = rimport__buf_printf(&beside, "%s%crustdoc%s", dir.ptr,
                             rimport__dir_sep, rimport__exe_suffix);
    if (rc == 0 && rimport__fs_is_file(beside.ptr)) {
      rc = rimport__buf_puts(out, beside.ptr);
      goto done;
    }
  }
  if (rc == 0)
    rc = rimport__error_set(
        RIMPORT_ETOOLCHAIN,
        "no rustdoc was found for the rustc %s (looked at %s and %s); "
        "rustdoc comes with rustc (every rustup toolchain has it; Debian's "
        "package rustc installs /usr/bin/rustdoc): install it beside that "
        "rustc",
        tc->rustc ? tc->rustc : "(none)",
        at_sysroot.size ? at_sysroot.ptr : "(no sysroot)",
        beside.size ? beside.ptr : "(no rustc path)");
done:
  rimport_buf_dispose(&at_sysroot);
  rimport_buf_dispose(&beside);
  rimport_buf_dispose(&dir);
  return rc;
}

const char *rimport__rustdoc_package_id(const cJSON *metadata, const char *name,
                                        const char *version) {
  const cJSON *pkg,
      *pkgs = cJSON_GetObjectItemCaseSensitive(metadata, "packages");
  if (name == NULL || version == NULL || !cJSON_IsArray(pkgs))
    return NULL;
  cJSON_ArrayForEach(pkg, pkgs) {
    const char *n = rimport__json_str(pkg, "name"),
               *v = rimport__json_str(pkg, "version"),
               *id = rimport__json_str(pkg, "id");
    if (n != NULL && v != NULL && id != NULL && strcmp(n, name) == 0 &&
        strcmp(v, version) == 0)
      return id;
  }
  return NULL;
}

/* The element of the array `arr` whose "id" is `id`, or NULL. */
static const cJSON *by_id(const cJSON *arr, const char *id) {
  const cJSON *e, *list = cJSON_IsArray(arr) ? arr : NULL;
  cJSON_ArrayForEach(e, list) {
    const char *eid = rimport__json_str(e, "id");
    if (eid != NULL && strcmp(eid, id) == 0)
      return e;
  }
  return NULL;
}

static int has_string(const rimport__cargo_strings *l, const char *s) {
  size_t i;
  for (i = 0; i < l->count; i++)
    if (strcmp(l->v[i], s) == 0)
      return 1;
  return 0;
}

static int ends_with(const char *s, const char *tail) {
  size_t n = strlen(s), t = strlen(tail);
  return n > t && strcmp(s + n - t, tail) == 0;
}

/* A library (something a crate can depend on) of a package: not a build
 * script, binary, test, bench or example. */
static int is_library(const rimport__cargo_artifact *a) {
  static const char *const libs[] = {"lib", "rlib", "dylib", "proc-macro"};
  static const char *const others[] = {"custom-build", "bin", "test", "bench",
                                       "example"};
  size_t i;
  if (a->package_id == NULL || a->target_name == NULL || a->kind == NULL)
    return 0;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(others); i++)
    if (strcmp(a->kind, others[i]) == 0)
      return 0;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(libs); i++)
    if (a->crate_types.count == 0 ? strcmp(a->kind, libs[i]) == 0
                                  : has_string(&a->crate_types, libs[i]))
      return 1;
  return 0;
}

static int is_proc_macro(const rimport__cargo_artifact *a) {
  return has_string(&a->crate_types, "proc-macro") ||
         strcmp(a->kind, "proc-macro") == 0;
}

/* The file of a library that `--extern` takes: its .rmeta, else its .rlib,
 * else its shared library (a proc-macro's, a dylib's); NULL when it has
 * none of them (a cdylib or staticlib alone). */
static const char *extern_file(const rimport__cargo_artifact *a) {
  const char *rmeta = NULL, *rlib = NULL, *shared = NULL;
  size_t i;
  for (i = 0; i < a->filename_count; i++) {
    const char *f = a->filenames[i];
    if (ends_with(f, ".rmeta"))
      rmeta = f;
    else if (ends_with(f, ".rlib"))
      rlib = f;
    else if (ends_with(f, ".so") || ends_with(f, ".dylib") ||
             ends_with(f, ".dll"))
      shared = f;
  }
  if (is_proc_macro(a))
    return shared;
  return rmeta ? rmeta : rlib ? rlib : shared;
}

/* The length of the directory part of `path`, its last separator
 * included. */
static size_t dir_len(const char *path) {
  size_t n = strlen(path);
  while (n > 0 && !rimport__is_dir_sep(path[n - 1]))
    n--;
  return n;
}

static int same_dir(const char *a, const char *b) {
  size_t n = dir_len(a);
  return n > 0 && n == dir_len(b) && memcmp(a, b, n) == 0;
}

static int same_str(const char *a, const char *b) {
  return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* The length of the start of `path` that names the directory `dir` and
 * the separator after it (any separator matches any), or 0. cargo's
 * paths and the caller's may spell separators differently (Windows). */
static size_t under_dir(const char *path, const char *dir) {
  size_t i;
  for (i = 0; dir[i] != '\0'; i++)
    if (path[i] != dir[i] &&
        !(rimport__is_dir_sep(path[i]) && rimport__is_dir_sep(dir[i])))
      return 0;
  if (i > 0 && rimport__is_dir_sep(dir[i - 1]))
    return i;
  return rimport__is_dir_sep(path[i]) ? i + 1 : 0;
}

/* Is `path` under <target_dir>/<triple>/, where cargo puts what it builds
 * for --target <triple>? */
static int in_target_dir(const rimport__rustdoc_job *job, const char *path) {
  size_t n = under_dir(path, job->target_dir), t = strlen(job->tc->target);
  return n > 0 && strncmp(path + n, job->tc->target, t) == 0 &&
         rimport__is_dir_sep(path[n + t]);
}

static int cross(const rimport__rustdoc_job *job) {
  return job->tc->host != NULL && job->tc->target != NULL &&
         strcmp(job->tc->host, job->tc->target) != 0;
}

/* The library cargo built for the package `id` that a crate built as
 * `like` was compiled against (like == NULL: the package's library as
 * built for the target). NULL when the build made none. cargo builds a
 * package twice when build scripts or proc-macros need it as well (for the
 * host, with the build-override profile, or other features): then the
 * copy in the same directory and at the same opt-level as `like` wins, or
 * for like == NULL, the copy in the target's directory (cross) and at the
 * opt-level of the package cargo was asked to build (the last library it
 * reported, always built for the target). */
static const rimport__cargo_artifact *
find_library(const rimport__rustdoc_job *job, const char *id,
             const rimport__cargo_artifact *like) {
  const rimport__cargo_report *r = job->report;
  const rimport__cargo_artifact *best = NULL, *root = NULL;
  const char *like_file = like ? extern_file(like) : NULL;
  int best_score = -1;
  size_t i;
  for (i = r->artifact_count; like == NULL && root == NULL && i > 0; i--)
    if (is_library(&r->artifacts[i - 1]))
      root = &r->artifacts[i - 1];
  for (i = 0; i < r->artifact_count; i++) {
    const rimport__cargo_artifact *a = &r->artifacts[i];
    const char *file;
    int score = 0;
    if (!is_library(a) || strcmp(a->package_id, id) != 0 ||
        (file = extern_file(a)) == NULL)
      continue;
    if (like != NULL) {
      score += like_file != NULL && same_dir(file, like_file) ? 4 : 0;
      score += same_str(a->opt_level, like->opt_level) ? 2 : 0;
    } else {
      score += cross(job) && in_target_dir(job, file) ? 4 : 0;
      score += root != NULL && same_str(a->opt_level, root->opt_level) ? 2 : 0;
    }
    if (score > best_score) {
      best = a;
      best_score = score;
    }
  }
  return best;
}

/* The package's build script run that its library `lib` was compiled
 * with, or NULL when it has no build script. */
static const rimport__cargo_build_script *
find_script(const rimport__rustdoc_job *job, const char *id,
            const rimport__cargo_artifact *lib) {
  const rimport__cargo_report *r = job->report;
  const rimport__cargo_build_script *best = NULL;
  int best_score = -1;
  size_t i;
  for (i = 0; i < r->script_count; i++) {
    const rimport__cargo_build_script *b = &r->scripts[i];
    int score = 0;
    if (strcmp(b->package_id, id) != 0)
      continue;
    if (cross(job) && b->out_dir != NULL && !is_proc_macro(lib))
      score = in_target_dir(job, b->out_dir);
    if (score >= best_score) { /* a tie: the later run */
      best = b;
      best_score = score;
    }
  }
  return best;
}

/* --- the command ---------------------------------------------------------- */

/* Letters, digits and '_', not starting with a digit. */
static int is_ident(const char *s) {
  const char *p;
  if (s == NULL || s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
    return 0;
  for (p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '_'))
      return 0;
  return 1;
}

static int is_digits(const char *s) {
  const char *p;
  if (s == NULL || s[0] == '\0')
    return 0;
  for (p = s; *p; p++)
    if (*p < '0' || *p > '9')
      return 0;
  return 1;
}

/* A string member of a package, "" when missing or null (cargo sets the
 * variable to "" then). */
static const char *pkg_str(const cJSON *pkg, const char *name) {
  const char *v = rimport__json_str(pkg, name);
  return v ? v : "";
}

/* The environment variables cargo gives rustc for the package `pkg`
 * (cargo's own list: CARGO_PKG_*, CARGO_MANIFEST_*, CARGO_CRATE_NAME,
 * CARGO, OUT_DIR), then the build script's, then RUSTC_BOOTSTRAP. */
static void package_env(rimport__argv *env, const rimport__rustdoc_job *job,
                        const cJSON *pkg, const char *crate_name,
                        const char *manifest_dir,
                        const rimport__cargo_build_script *script) {
  const char *version = pkg_str(pkg, "version"), *p = version;
  const char *part[3] = {"", "", ""};
  size_t len[3] = {0, 0, 0}, i;
  const cJSON *a, *list = cJSON_GetObjectItemCaseSensitive(pkg, "authors");
  rimport_buf authors = RIMPORT_BUF_INIT;
  int rc = 0;
  /* MAJOR.MINOR.PATCH[-PRE][+BUILD] */
  for (i = 0; i < 3; i++) {
    part[i] = p;
    while (*p >= '0' && *p <= '9')
      p++;
    len[i] = (size_t)(p - part[i]);
    if (i < 2 && *p == '.')
      p++;
    else if (i < 2)
      break;
  }
  if (!cJSON_IsArray(list))
    list = NULL;
  cJSON_ArrayForEach(a, list) {
    if (!cJSON_IsString(a))
      continue;
    if (rc == 0 && authors.size > 0)
      rc = rimport__buf_putc(&authors, ':');
    if (rc == 0)
      rc = rimport__buf_puts(&authors, a->valuestring);
  }
  if (rc != 0 && env->rc == 0)
    env->rc = rc;
  /* A variable inherited from a process cargo started this one from
   * would mean another package. */
  rimport__argv_addv(env, "CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR",
                     "CARGO_BIN_NAME", NULL);
  if (job->cargo != NULL)
    rimport__argv_addf(env, "CARGO=%s", job->cargo);
  rimport__argv_addf(env, "CARGO_PKG_NAME=%s", pkg_str(pkg, "name"));
  rimport__argv_addf(env, "CARGO_PKG_VERSION=%s", version);
  rimport__argv_addf(env, "CARGO_PKG_VERSION_MAJOR=%.*s", (int)len[0], part[0]);
  rimport__argv_addf(env, "CARGO_PKG_VERSION_MINOR=%.*s", (int)len[1], part[1]);
  rimport__argv_addf(env, "CARGO_PKG_VERSION_PATCH=%.*s", (int)len[2], part[2]);
  rimport__argv_addf(env, "CARGO_PKG_VERSION_PRE=%.*s",
                     *p == '-' ? (int)strcspn(p + 1, "+") : 0,
                     *p == '-' ? p + 1 : "");
  rimport__argv_addf(env, "CARGO_PKG_AUTHORS=%s",
                     authors.ptr ? authors.ptr : "");
  rimport__argv_addf(env, "CARGO_PKG_DESCRIPTION=%s",
                     pkg_str(pkg, "description"));
  rimport__argv_addf(env, "CARGO_PKG_HOMEPAGE=%s", pkg_str(pkg, "homepage"));
  rimport__argv_addf(env, "CARGO_PKG_REPOSITORY=%s",
                     pkg_str(pkg, "repository"));
  rimport__argv_addf(env, "CARGO_PKG_LICENSE=%s", pkg_str(pkg, "license"));
  rimport__argv_addf(env, "CARGO_PKG_LICENSE_FILE=%s",
                     pkg_str(pkg, "license_file"));
  rimport__argv_addf(env, "CARGO_PKG_RUST_VERSION=%s",
                     pkg_str(pkg, "rust_version"));
  rimport__argv_addf(env, "CARGO_PKG_README=%s", pkg_str(pkg, "readme"));
  rimport__argv_addf(env, "CARGO_MANIFEST_DIR=%s", manifest_dir);
  rimport__argv_addf(env, "CARGO_MANIFEST_PATH=%s",
                     pkg_str(pkg, "manifest_path"));
  rimport__argv_addf(env, "CARGO_CRATE_NAME=%s", crate_name);
  if (script != NULL && script->out_dir != NULL)
    rimport__argv_addf(env, "OUT_DIR=%s", script->out_dir);
  for (i = 0; script != NULL && i < script->env.count; i++)
    rimport__argv_add(env, script->env.v[i]);
  rimport__argv_add(env, "RUSTC_BOOTSTRAP=1");
  rimport_buf_dispose(&authors);
}

/* Adds `feature="name"` (`"` and `\` escaped, as a string in a cfg). */
static void feature_cfg(rimport__argv *argv, const char *feature) {
  rimport_buf b = RIMPORT_BUF_INIT;
  const char *p;
  rimport__buf_puts(&b, "feature=\"");
  for (p = feature; *p; p++) {
    if (*p == '"' || *p == '\\')
      rimport__buf_putc(&b, '\\');
    rimport__buf_putc(&b, *p);
  }
  if (rimport__buf_putc(&b, '"') != 0 && argv->rc == 0)
    argv->rc = RIMPORT_ENOMEM;
  rimport__argv_addv(argv, "--cfg", NULL);
  rimport__argv_addf(argv, "%s", b.ptr ? b.ptr : "");
  rimport_buf_dispose(&b);
}

/* Adds -L dependency=<the directory of file> unless `dirs` (the
 * directories added so far, one per line) has it. */
static void dependency_dir(rimport__argv *argv, rimport_buf *dirs,
                           const char *file) {
  size_t n = dir_len(file);
  const char *p = dirs->ptr;
  if (n <= 1)
    return;
  while (p != NULL && *p != '\0') {
    size_t l = strcspn(p, "\n");
    if (l == n - 1 && memcmp(p, file, n - 1) == 0)
      return;
    p += l + (p[l] == '\n');
  }
  rimport__buf_put(dirs, file, n - 1);
  if (rimport__buf_putc(dirs, '\n') != 0 && argv->rc == 0)
    argv->rc = RIMPORT_ENOMEM;
  rimport__argv_add(argv, "-L");
  rimport__argv_addf(argv, "dependency=%.*s", (int)(n - 1), file);
}

/* Adds --extern name=file for each normal dependency of the package
 * (node: its resolve node) that the build made a library for; the names
 * of those it made none for go to `left_out` (", "-separated). */
static void add_externs(rimport__argv *argv, rimport_buf *dirs,
                        rimport_buf *left_out, const rimport__rustdoc_job *job,
                        const cJSON *node, const rimport__cargo_artifact *lib) {
  const cJSON *dep, *k, *deps = cJSON_GetObjectItemCaseSensitive(node, "deps");
  if (!cJSON_IsArray(deps))
    return;
  cJSON_ArrayForEach(dep, deps) {
    const char *name = rimport__json_str(dep, "name"),
               *pkg = rimport__json_str(dep, "pkg");
    const cJSON *kinds = cJSON_GetObjectItemCaseSensitive(dep, "dep_kinds");
    const cJSON *list = cJSON_IsArray(kinds) ? kinds : NULL;
    const rimport__cargo_artifact *a;
    const char *file;
    int normal = list == NULL; /* cargo before 1.41: all normal */
    cJSON_ArrayForEach(k, list) {
      if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(k, "kind")))
        normal = 1;
    }
    if (!normal || !is_ident(name) || pkg == NULL)
      continue;
    if ((a = find_library(job, pkg, lib)) == NULL ||
        (file = extern_file(a)) == NULL) {
      if (left_out->size > 0)
        rimport__buf_puts(left_out, ", ");
      rimport__buf_puts(left_out, name);
      continue;
    }
    rimport__argv_add(argv, "--extern");
    rimport__argv_addf(argv, "%s=%s", name, file);
    dependency_dir(argv, dirs, file);
  }
}

/* --- running it ----------------------------------------------------------- */

/* The last TAIL_MAX bytes of rustdoc's stderr. */
static void on_stderr(const char *data, size_t len, void *payload) {
  rimport_buf *tail = payload;
  if (len >= TAIL_MAX) {
    data += len - TAIL_MAX;
    len = TAIL_MAX;
  }
  if (tail->size + len > 2 * TAIL_MAX) {
    size_t keep = TAIL_MAX - len;
    memmove(tail->ptr, tail->ptr + tail->size - keep, keep);
    tail->size = keep;
    tail->ptr[keep] = '\0';
  }
  rimport__buf_put(tail, data, len);
}

static void progress(const rimport__rustdoc_job *job, const char *message) {
  rimport_progress pr;
  if (job->opts == NULL || job->opts->progress == NULL)
    return;
  memset(&pr, 0, sizeof(pr));
  pr.phase = RIMPORT_PROGRESS_BUILD;
  pr.plugin = job->plugin;
  pr.message = message;
  job->opts->progress(&pr, job->opts->progress_payload);
}

/* What to do about a rustdoc failure, from what it said. */
static const char *failure_hint(const char *said) {
  if (strstr(said, "E0514") != NULL ||
      strstr(said, "incompatible version of rustc") != NULL)
    return " This rustdoc is not of the rustc that built the crates: use "
           "the rustdoc of the same toolchain.";
  if (strstr(said, "output-format") != NULL ||
      strstr(said, "unstable-options") != NULL)
    return " This rustdoc cannot write JSON (rustdoc 1.54 or later can, "
           "with RUSTC_BOOTSTRAP=1).";
  return "";
}

typedef struct run_ctx {
  const rimport__rustdoc_job *job;
  const char *crate_name; /* validated */
  const char *version;
  const char *manifest_dir;
  const char *json; /* <out_dir>/<crate_name>.json */
  const char *rustdoc;
  rimport_buf what; /* "documenting `serde_json` 1.0.87 (rustdoc JSON)" */
  rimport_buf left_out;
} run_ctx;

static int run(run_ctx *c, const char *const *argv, const char *const *env) {
  const rimport__rustdoc_job *job = c->job;
  rimport__proc_opts po;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  rimport_buf tail = RIMPORT_BUF_INIT, cmd = RIMPORT_BUF_INIT;
  size_t i;
  int rc;
  memset(&po, 0, sizeof(po));
  po.file = c->rustdoc;
  po.args = argv;
  po.cwd = c->manifest_dir;
  po.env = env;
  po.timeout_ms = job->opts != NULL ? job->opts->build_timeout_ms : 0;
  po.max_capture = 1; /* stdout: nothing; stderr: on_stderr */
  po.on_stderr = on_stderr;
  po.payload = &tail;
  po.cancel = job->cancel;
  progress(job, c->what.ptr);
  rc = rimport__proc_run(&po, &res);
  if (rc == RIMPORT_ESPAWN) {
    rc = rimport__error_set(
        RIMPORT_ETOOLCHAIN,
        "%s: rustdoc could not be started: %s; rustdoc comes with rustc "
        "(every rustup toolchain has it; Debian's package rustc installs "
        "/usr/bin/rustdoc)",
        c->what.ptr, rimport_error_last()->message);
  } else if (rc == RIMPORT_ETIMEDOUT) {
    rimport__error_prefix("%s: rustdoc took longer than the build timeout of "
                          "%u ms; raise build_timeout_ms (rimport "
                          "--build-timeout SECS)",
                          c->what.ptr, po.timeout_ms);
  } else if (rc == RIMPORT_ECANCELED) {
    rc = rimport__error_set(RIMPORT_ECANCELED, "%s: canceled (rimport_cancel)",
                            c->what.ptr);
  } else if (rc == 0 && (res.exit_status != 0 || res.term_signal != 0 ||
                         !rimport__fs_is_file(c->json))) {
    /* The command as one can run it by hand, with the variables that
     * matter (the CARGO_* ones are cargo's usual). */
    for (i = 0; env[i] != NULL; i++)
      if (strncmp(env[i], "RUSTC_BOOTSTRAP=", 16) == 0 ||
          strncmp(env[i], "OUT_DIR=", 8) == 0)
        rimport__buf_printf(&cmd, "%s ", env[i]);
    rimport__proc_format_argv(&cmd, argv);
    if (res.exit_status == 0 && res.term_signal == 0)
      rc = rimport__error_set(
          RIMPORT_ECHILD,
          "%s: rustdoc finished but wrote no %s; rustdoc said:\n%s\nIt ran "
          "in %s as:\n%s",
          c->what.ptr, c->json, tail.ptr ? tail.ptr : "", c->manifest_dir,
          cmd.ptr ? cmd.ptr : "");
    else {
      char status[64];
      if (res.term_signal != 0)
        snprintf(status, sizeof(status), "killed by signal %d",
                 res.term_signal);
      else
        snprintf(status, sizeof(status), "exit status %lld",
                 (long long)res.exit_status);
      rc = rimport__error_set(
          RIMPORT_ECHILD,
          "%s failed (%s); the plugin is not affected, only its API index "
          "is missing.%s rustdoc said:\n%s%s%s\nIt ran in %s as:\n%s",
          c->what.ptr, status, failure_hint(tail.ptr ? tail.ptr : ""),
          tail.ptr ? tail.ptr : "(nothing)",
          c->left_out.size ? "\nDependencies the build made no library "
                             "for, not given to rustdoc: "
                           : "",
          c->left_out.size ? c->left_out.ptr : "", c->manifest_dir,
          cmd.ptr ? cmd.ptr : "");
    }
  }
  rimport__proc_result_dispose(&res);
  rimport_buf_dispose(&tail);
  rimport_buf_dispose(&cmd);
  return rc;
}

int rimport__rustdoc_json(const rimport__rustdoc_job *job,
                          const char *package_id, const char *out_dir,
                          rimport_buf *json_path) {
  rimport__argv argv = RIMPORT__ARGV_INIT, env = RIMPORT__ARGV_INIT;
  rimport_buf rustdoc = RIMPORT_BUF_INIT, manifest_dir = RIMPORT_BUF_INIT,
              json = RIMPORT_BUF_INIT, dirs = RIMPORT_BUF_INIT,
              crate = RIMPORT_BUF_INIT, out = RIMPORT_BUF_INIT,
              cwd = RIMPORT_BUF_INIT;
  const cJSON *pkg, *node, *t, *targets;
  const rimport__cargo_artifact *lib;
  const rimport__cargo_build_script *script;
  const char *edition, *manifest;
  run_ctx c;
  size_t i;
  int rc, proc_macro;
  memset(&c, 0, sizeof(c));
  if (job == NULL || package_id == NULL || out_dir == NULL ||
      json_path == NULL || job->tc == NULL || job->tc->target == NULL ||
      job->metadata == NULL || job->report == NULL || job->target_dir == NULL)
    return rimport__error_set(
        RIMPORT_EINVAL, "rimport__rustdoc_json: a job with toolchain, "
                        "metadata, report and target_dir, a package id, an "
                        "out_dir and json_path are needed");
  pkg = by_id(cJSON_GetObjectItemCaseSensitive(job->metadata, "packages"),
              package_id);
  node = by_id(
      cJSON_GetObjectItemCaseSensitive(
          cJSON_GetObjectItemCaseSensitive(job->metadata, "resolve"), "nodes"),
      package_id);
  manifest = rimport__json_str(pkg, "manifest_path");
  if (pkg == NULL || manifest == NULL)
    return rimport__error_set(
        RIMPORT_ENOTFOUND,
        "documenting the package %s: it is not among the packages (with a "
        "manifest_path) of the build's `cargo metadata`; give the id of a "
        "package of that graph",
        package_id);
  c.job = job;
  c.version = pkg_str(pkg, "version");
  if ((rc = rimport__buf_printf(&c.what, "documenting `%s`%s%s (rustdoc JSON)",
                                pkg_str(pkg, "name"), c.version[0] ? " " : "",
                                c.version)) != 0)
    goto done;
  if ((lib = find_library(job, package_id, NULL)) == NULL) {
    rc = rimport__error_set(
        RIMPORT_ENOTFOUND,
        "%s: the build reported no library of it (cargo sent no "
        "compiler-artifact message for a lib or proc-macro target of %s); "
        "only a package the build compiled as a library can be documented",
        c.what.ptr, package_id);
    goto done;
  }
  /* The crate's name in Rust: the target's, '-' made '_'. */
  if ((rc = rimport__buf_puts(&crate, lib->target_name)) != 0)
    goto done;
  for (i = 0; i < crate.size; i++)
    if (crate.ptr[i] == '-')
      crate.ptr[i] = '_';
  if (!is_ident(crate.ptr)) {
    rc = rimport__error_set(RIMPORT_EINVAL,
                            "%s: cargo named its library `%s`, which is not "
                            "a crate name",
                            c.what.ptr, lib->target_name);
    goto done;
  }
  c.crate_name = crate.ptr;
  proc_macro = is_proc_macro(lib);
  /* The root source file and the edition: the message's, else the
   * metadata's lib target's. */
  targets = cJSON_GetObjectItemCaseSensitive(pkg, "targets");
  if (!cJSON_IsArray(targets))
    targets = NULL;
  cJSON_ArrayForEach(t, targets) {
    if (same_str(rimport__json_str(t, "name"), lib->target_name))
      break;
  }
  edition = is_digits(lib->edition) ? lib->edition
            : is_digits(rimport__json_str(t, "edition"))
                ? rimport__json_str(t, "edition")
            : is_digits(rimport__json_str(pkg, "edition"))
                ? rimport__json_str(pkg, "edition")
                : "2015";
  if (lib->src_path == NULL && rimport__json_str(t, "src_path") == NULL) {
    rc = rimport__error_set(RIMPORT_ENOTFOUND,
                            "%s: neither cargo's messages nor its metadata "
                            "name the library's source file",
                            c.what.ptr);
    goto done;
  }
  script = find_script(job, package_id, lib);
  /* rustdoc runs elsewhere: out_dir made absolute. */
  if (rimport__path_is_absolute(out_dir))
    rc = rimport__buf_puts(&out, out_dir);
  else if ((rc = rimport__cwd(&cwd)) == 0)
    rc = rimport__path_join(&out, cwd.ptr, out_dir);
  if (rc == 0)
    rc = rimport__path_dir(manifest, &manifest_dir);
  if (rc == 0)
    rc = rimport__path_join(&json, out.ptr, crate.ptr);
  if (rc == 0)
    rc = rimport__buf_puts(&json, ".json");
  if (rc == 0)
    rc = rimport__rustdoc_find(job->tc, job->rustdoc, &rustdoc);
  if (rc != 0) {
    if (rc == RIMPORT_ETOOLCHAIN)
      rimport__error_prefix("%s", c.what.ptr);
    goto done;
  }
  c.manifest_dir = manifest_dir.ptr;
  c.json = json.ptr;
  c.rustdoc = rustdoc.ptr;

  rimport__argv_addv(&argv, rustdoc.ptr, "--crate-name", crate.ptr, "--edition",
                     edition, "--crate-type", proc_macro ? "proc-macro" : "lib",
                     NULL);
  if (proc_macro)
    rimport__argv_addv(&argv, "--extern", "proc_macro", NULL);
  if (c.version[0] != '\0')
    rimport__argv_addv(&argv, "--crate-version", c.version, NULL);
  rimport__argv_addv(&argv, "--cap-lints", "allow", NULL);
  for (i = 0; i < lib->features.count; i++)
    feature_cfg(&argv, lib->features.v[i]);
  for (i = 0; script != NULL && i < script->cfgs.count; i++)
    rimport__argv_addv(&argv, "--cfg", script->cfgs.v[i], NULL);
  rimport__argv_addv(&argv, "-Z", "unstable-options", "--output-format", "json",
                     "-o", out.ptr, NULL);
  add_externs(&argv, &dirs, &c.left_out, job, node, lib);
  dependency_dir(&argv, &dirs, extern_file(lib));
  if (cross(job) && !proc_macro)
    rimport__argv_addv(&argv, "--target", job->tc->target, NULL);
  rimport__argv_add(&argv, lib->src_path ? lib->src_path
                                         : rimport__json_str(t, "src_path"));
  package_env(&env, job, pkg, crate.ptr, manifest_dir.ptr, script);
  if ((rc = argv.rc) != 0 || (rc = env.rc) != 0)
    goto done;
  /* No older JSON may pass for this run's. */
  if ((rc = rimport__fs_mkdir_p(out.ptr)) != 0 ||
      (rc = rimport__fs_unlink(json.ptr)) != 0) {
    rimport__error_prefix("%s", c.what.ptr);
    goto done;
  }
  if ((rc = run(&c, argv.v, env.v)) == 0) {
    rimport__buf_clear(json_path);
    rc = rimport__buf_puts(json_path, json.ptr);
  } else if (rimport__fs_is_file(json.ptr)) {
    rimport__fs_unlink(json.ptr); /* a part, if rustdoc wrote one */
  }
done:
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&cwd);
  rimport__argv_dispose(&argv);
  rimport__argv_dispose(&env);
  rimport_buf_dispose(&rustdoc);
  rimport_buf_dispose(&manifest_dir);
  rimport_buf_dispose(&json);
  rimport_buf_dispose(&dirs);
  rimport_buf_dispose(&crate);
  rimport_buf_dispose(&c.what);
  rimport_buf_dispose(&c.left_out);
  return rc;
}
