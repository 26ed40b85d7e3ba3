/* rimport_build: every plugin of a plan gets a verified cache entry.
 *
 * Per plugin: the session's own stack, else the cache (a warm path that
 * starts no child process); else, under the key's lock, generate the crate
 * in the workshop (<cache>/_work/<crate>-<key>), resolve it with
 * `cargo metadata` (which also picks the published spelling of a name),
 * build it with `cargo build --release` into the shared target dir
 * (<cache>/_target), check that the parents stayed fresh, and publish the
 * artifacts as an entry. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "../common/json.h"
#include "cargo.h"
#include "../cache/cache.h"
#include "../common/arena.h"
#include "../common/fs.h"
#include "../gen/gen.h"
#include "../plan/plan.h"
#include "build.h"
#include "apiindex.h"
#include "../api/api.h"
#include "../platform.h"
#include "../proc/proc.h"
#include "../session.h"
#include "../stack/stack.h"
#include "../toolchain/toolchain.h"

struct rimport_build_result {
  rimport__arena arena;
  rimport_built_plugin *plugins;
  size_t count;
};

size_t rimport_build_result_count(const rimport_build_result *r) {
  return r == NULL ? 0 : r->count;
}

const rimport_built_plugin *
rimport_build_result_array(const rimport_build_result *r) {
  return r == NULL ? NULL : r->plugins;
}

void rimport_build_result_free(rimport_build_result *r) {
  if (r == NULL)
    return;
  rimport__arena_free(&r->arena);
  rimport__free(r);
}

void rimport_cancel(rimport_session *s) {
  if (s != NULL)
    atomic_store(rimport__session_cancel(s), 1);
}

/* --- the stack ------------------------------------------------------------ */

static const rimport__built *find_built(const rimport__build_env *env,
                                        const char *key) {
  return rimport__stack_find(env->stack, key);
}

/* Adds the plugin to the stack. base: its key without parents. */
static int push_built(const rimport__build_env *env, const rimport_plugin *p,
                      const char *base, const char *work_dir,
                      const rimport__entry *e, const char *version) {
  rimport__built b;
  memset(&b, 0, sizeof(b));
  b.crate = p->crate;
  b.plugin = p->plugin;
  b.base_key = base;
  b.key = p->key;
  b.key_input = p->key_input;
  b.parents = p->parents;
  b.parent_count = p->parent_count;
  b.work_dir = work_dir;
  b.entry_dir = e->dir;
  b.dylib = e->dylib;
  b.deps_dir = e->deps_dir;
  b.version = version;
  b.crates = cJSON_GetObjectItemCaseSensitive(e->manifest, "crates");
  if (!cJSON_IsArray(b.crates))
    b.crates = NULL;
  return rimport__stack_push(env->stack, &b);
}

/* --- one build ------------------------------------------------------------ */

typedef struct job {
  const rimport__build_env *env;
  const rimport_session_options *opts; /* env->opts */
  const rimport_toolchain *tc;
  const rimport_plugin *p;
  rimport_buf cargo;    /* the cargo binary */
  rimport_buf work;     /* <cache>/_work/<crate>-<key>: the plugin crate */
  rimport_buf root;     /* <work>.root: the package cargo builds */
  rimport_buf target;   /* <cache>/_target */
  rimport_buf api_dir;  /* <cache>/_kayton_api/<template hash> */
  rimport_buf manifest; /* <work>/Cargo.toml */
  rimport_buf package;  /* the package name that resolved */
  rimport_buf version;  /* the version that resolved */
  rimport_buf what;     /* "building the plugin for reqwest" */
  rimport__cargo_report report;
  cJSON *crates; /* resolved graph: [{name, version, features}] */
  /* The whole `cargo metadata` document of the graph that resolved
   * (packages, resolve.nodes), for rustdoc (rustdoc.h). */
  cJSON *metadata;
  /* The API index once made (api.json's text), for the plugin's thunks
   * (gen_crate); empty before. */
  rimport_buf index_text;
  uint64_t started;
} job;

/* A progress report about the plugin for `crate`. */
static void report(const rimport_session_options *o,
                   rimport_progress_phase phase, const char *crate,
                   const char *message) {
  rimport_progress pr;
  if (o->progress == NULL)
    return;
  memset(&pr, 0, sizeof(pr));
  pr.phase = phase;
  pr.plugin = crate;
  pr.message = message;
  o->progress(&pr, o->progress_payload);
}

static void progress(const job *j, rimport_progress_phase phase,
                     const char *message) {
  report(j->opts, phase, j->p->crate, message);
}

/* The plugin's workshop: <cache>/_work/<crate>-<key> (out replaced). */
static int work_dir(const char *cache_dir, const rimport_plugin *p,
                    rimport_buf *out) {
  rimport__buf_clear(out);
  return rimport__buf_printf(out, "%s%c_work%c%s-%s", cache_dir,
                             rimport__dir_sep, rimport__dir_sep, p->crate,
                             p->key);
}

static void on_cargo_stdout(const char *data, size_t len, void *payload) {
  job *j = payload;
  if (rimport__cargo_feed_stdout(&j->report, data, len) != 0)
    j->report.overflow = 1; /* out of memory: the rest is dropped */
}

static void on_cargo_stderr(const char *data, size_t len, void *payload) {
  job *j = payload;
  rimport__cargo_feed_stderr(&j->report, data, len, j->p->crate,
                             j->opts->progress, j->opts->progress_payload);
}

/* Runs cargo with the session's source, offline and environment settings.
 * `sub` is the subcommand and its own arguments. stdout is streamed into
 * j->report (and captured when `capture` is set, for `cargo metadata`). */
static int run_cargo(job *j, const char *const *sub, int capture,
                     rimport__proc_result *res) {
  rimport__argv argv = RIMPORT__ARGV_INIT, env = RIMPORT__ARGV_INIT;
  rimport__proc_opts po;
  size_t i;
  int rc;
  rimport__cargo_report_dispose(&j->report);
  rimport__cargo_report_init(&j->report);
  rimport__argv_add(&argv, j->cargo.ptr);
  for (i = 0; sub[i] != NULL; i++)
    rimport__argv_add(&argv, sub[i]);
  rimport__argv_addv(&argv, "--manifest-path", j->manifest.ptr, NULL);
  rimport__cargo_common_args(&argv, j->opts);
  if ((rc = argv.rc) == 0)
    rc = rimport__cargo_env(&env, j->tc->rustc, j->opts->rustc_wrapper);
  if (rc == 0) {
    memset(&po, 0, sizeof(po));
    po.file = j->cargo.ptr;
    po.args = argv.v;
    po.cwd = j->root.ptr;
    po.env = env.v;
    po.timeout_ms = j->opts->build_timeout_ms;
    po.max_capture = capture ? 256u * 1024 * 1024 : 1;
    po.on_stdout = capture ? NULL : on_cargo_stdout;
    po.on_stderr = on_cargo_stderr;
    po.payload = j;
    po.cancel = j->env->cancel;
    rc = rimport__proc_run(&po, res);
    rimport__cargo_feed_end(&j->report);
    if (rc == RIMPORT_ETIMEDOUT)
      rimport__error_prefix("%s: the build took longer than the build "
                            "timeout of %u s; raise build_timeout_ms (rimport "
                            "--build-timeout SECS) or "
                            "build fewer features",
                            j->what.ptr, j->opts->build_timeout_ms / 1000);
    else if (rc == RIMPORT_ECANCELED)
      rimport__error_set(RIMPORT_ECANCELED,
                         "%s: canceled (rimport_cancel); no cache entry was "
                         "written",
                         j->what.ptr);
    else if (rc == RIMPORT_ESPAWN)
      rc = rimport__error_set(RIMPORT_ETOOLCHAIN,
                              "%s: cargo could not be started: %s", j->what.ptr,
                              rimport_error_last()->message);
  }
  rimport__argv_dispose(&argv);
  rimport__argv_dispose(&env);
  return rc;
}

/* A parent's workshop crate must be where cargo saw it when it built the
 * parent. If the workshop was cleaned, it is restored from the parent's
 * entry, byte for byte, with old mtimes so that cargo still takes the
 * parent as fresh when its target dir is intact (when it is not, cargo
 * rebuilds the parent and the fresh check refuses the build). */
static int restore_parent(const rimport__built *b) {
  static const char *const files[] = {"Cargo.toml", "src/lib.rs"};
  rimport_buf from = RIMPORT_BUF_INIT, to = RIMPORT_BUF_INIT;
  size_t i;
  int rc;
  if ((rc = rimport__path_join(&to, b->work_dir, "Cargo.toml")) != 0 ||
      rimport__fs_is_file(to.ptr)) {
    rimport_buf_dispose(&to);
    return rc;
  }
  for (i = 0; rc == 0 && i < RIMPORT__ARRAY_SIZE(files); i++) {
    uv_fs_t req;
    rimport__buf_clear(&from);
    rc = rimport__buf_printf(&from, "%s%ccrate%c%s", b->entry_dir,
                             rimport__dir_sep, rimport__dir_sep, files[i]);
    if (rc == 0)
      rc = rimport__path_join(&to, b->work_dir, files[i]);
    if (rc == 0 && i == 1) {
      rimport_buf dir = RIMPORT_BUF_INIT;
      rc = rimport__path_join(&dir, b->work_dir, "src");
      if (rc == 0)
        rc = rimport__fs_mkdir_p(dir.ptr);
      rimport_buf_dispose(&dir);
    } else if (rc == 0) {
      rc = rimport__fs_mkdir_p(b->work_dir);
    }
    if (rc == 0)
      rc = rimport__fs_copy_file(from.ptr, to.ptr, NULL, NULL, NULL);
    if (rc == 0) {
      uv_fs_utime(NULL, &req, to.ptr, 1.0, 1.0, NULL);
      uv_fs_req_cleanup(&req);
    }
  }
  rimport_buf_dispose(&from);
  rimport_buf_dispose(&to);
  return rc;
}

static int gen_crate(job *j, const char *package) {
  rimport__gen_parent *parents = NULL;
  rimport__gen_input in;
  size_t i;
  int rc = 0;
  if (j->p->parent_count > 0 &&
      (parents = rimport__calloc(j->p->parent_count, sizeof(*parents))) == NULL)
    return rimport__error_nomem();
  for (i = 0; i < j->p->parent_count; i++) {
    const rimport__built *b = find_built(j->env, j->p->parents[i]);
    if (b == NULL) {
      rc = rimport__error_set(
          RIMPORT_EINVAL,
          "rimport_build: plugin %s stacks on %s, which this session has not "
          "built; build the plans of a session in the order they were made",
          j->p->key, j->p->parents[i]);
      break;
    }
    if ((rc = restore_parent(b)) != 0)
      break;
    parents[i].plugin = b->plugin;
    parents[i].crate_dir = b->work_dir;
  }
  memset(&in, 0, sizeof(in));
  in.plugin = j->p;
  in.package = package;
  in.resolved_version = j->version.size ? j->version.ptr : NULL;
  in.kayton_api_dir = j->api_dir.ptr;
  in.parents = parents;
  in.parent_count = j->p->parent_count;
  in.toolchain = j->tc;
  in.api_index = j->index_text.size ? j->index_text.ptr : NULL;
  in.api_index_len = j->index_text.size;
  if (rc == 0)
    rc = rimport__gen_plugin(&in, j->work.ptr);
  if (rc == 0)
    rc = rimport__gen_build_root(j->p->plugin, j->work.ptr, j->root.ptr);
  rimport__free(parents);
  return rc;
}

/* Records where a package comes from: "source" is cargo's (a registry's
 * "registry+<url>") or null for a local crate, whose directory is "path"
 * (resolved, as the host spells paths). The plan stage reads both to import a
 * crate the session already links as it is (src/plan/adopt.c). */
static int add_source(cJSON *c, const cJSON *pkg) {
  const char *source = rimport__json_str(pkg, "source");
  const char *manifest = rimport__json_str(pkg, "manifest_path");
  rimport_buf dir = RIMPORT_BUF_INIT;
  int ok;
  if (source != NULL)
    return cJSON_AddStringToObject(c, "source", source) != NULL;
  ok = cJSON_AddNullToObject(c, "source") != NULL;
  if (ok && manifest != NULL) {
    rimport_buf real = RIMPORT_BUF_INIT;
    /* In the host's own spelling (cargo under wine says Z:/…): the plan
     * compares it with the paths statements name. */
    ok = rimport__path_dir(manifest, &dir) == 0;
    if (ok && rimport__fs_realpath(dir.ptr, &real) == 0)
      ok = cJSON_AddStringToObject(c, "path", real.ptr) != NULL;
    else if (ok)
      ok = cJSON_AddStringToObject(c, "path", dir.ptr) != NULL;
    rimport_buf_dispose(&real);
    rimport_error_clear();
  }
  rimport_buf_dispose(&dir);
  return ok;
}

/* The crates of the resolved graph with their versions, features and
 * sources, from `cargo metadata`:
 * [{"name","version","features":[…],"source"[,"path"]}], sorted by name.
 * rimport's own packages (the plugins, the build root, kayton_api) are
 * left out. */
static cJSON *graph_crates(const cJSON *root) {
  const cJSON *pkgs = cJSON_GetObjectItemCaseSensitive(root, "packages");
  const cJSON *resolve = cJSON_GetObjectItemCaseSensitive(root, "resolve");
  const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(resolve, "nodes");
  const cJSON *node, *pkg;
  cJSON *out = cJSON_CreateArray();
  if (out == NULL)
    return NULL;
  cJSON_ArrayForEach(node, nodes) {
    const char *id = rimport__json_str(node, "id");
    cJSON *c, *feats;
    if (id == NULL)
      continue;
    cJSON_ArrayForEach(pkg, pkgs) {
      const char *pid = rimport__json_str(pkg, "id");
      if (pid != NULL && strcmp(pid, id) == 0)
        break;
    }
    if (pkg == NULL || rimport__json_str(pkg, "name") == NULL ||
        strncmp(rimport__json_str(pkg, "name"), "kayton_", 7) == 0)
      continue;
    c = cJSON_CreateObject();
    feats =
        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(node, "features"), 1);
    if (c == NULL || !cJSON_AddItemToArray(out, c) ||
        !cJSON_AddStringToObject(c, "name", rimport__json_str(pkg, "name")) ||
        !cJSON_AddStringToObject(c, "version",
                                 rimport__json_str(pkg, "version")
                                     ? rimport__json_str(pkg, "version")
                                     : "?") ||
        !cJSON_AddItemToObject(c, "features",
                               feats ? feats : cJSON_CreateArray()) ||
        !add_source(c, pkg)) {
      cJSON_Delete(out);
      return NULL;
    }
  }
  return out;
}

/* "a, b" of a JSON array of strings, sorted as cargo gives them. */
static void join_strings(const cJSON *arr, rimport_buf *out) {
  const cJSON *v;
  rimport__buf_clear(out);
  cJSON_ArrayForEach(v, arr) {
    if (!cJSON_IsString(v))
      continue;
    if (out->size > 0)
      rimport__buf_puts(out, ", ");
    rimport__buf_puts(out, v->valuestring);
  }
  if (out->size == 0)
    rimport__buf_puts(out, "no features");
}

/* Whether `b` is a plugin of the plan being built that was not on the
 * stack when the plan was made: built for an earlier import of the cell. */
static int built_for_this_plan(const job *j, const rimport__built *b) {
  const rimport_cell_plan *plan = j->env->plan;
  size_t i;
  if (plan == NULL)
    return 0;
  for (i = 0; i < plan->stack_count; i++) {
    const rimport__built *had = rimport__stack_at(j->env->stack, i);
    if (had != NULL && strcmp(had->key, b->key) == 0)
      return 0;
  }
  for (i = 0; i < plan->count; i++)
    if (&plan->plugins[i] != j->p && strcmp(plan->plugins[i].key, b->key) == 0)
      return 1;
  return 0;
}

/* Every crate this plugin shares with a plugin it stacks on must resolve to
 * the same version with the same features: one copy of each crate in the
 * process (invariant 1). Said before the long build. */
static int check_shared(job *j) {
  const cJSON *mine, *theirs;
  size_t i;
  for (i = 0; i < j->p->parent_count; i++) {
    const rimport__built *b = find_built(j->env, j->p->parents[i]);
    if (b == NULL || b->crates == NULL)
      continue;
    cJSON_ArrayForEach(mine, j->crates) {
      const char *name = rimport__json_str(mine, "name");
      cJSON_ArrayForEach(theirs, b->crates) {
        rimport_buf mf = RIMPORT_BUF_INIT, tf = RIMPORT_BUF_INIT;
        int rc;
        if (name == NULL || rimport__json_str(theirs, "name") == NULL ||
            strcmp(name, rimport__json_str(theirs, "name")) != 0)
          continue;
        join_strings(cJSON_GetObjectItemCaseSensitive(mine, "features"), &mf);
        join_strings(cJSON_GetObjectItemCaseSensitive(theirs, "features"), &tf);
        if (strcmp(rimport__json_str(mine, "version")
                       ? rimport__json_str(mine, "version")
                       : "",
                   rimport__json_str(theirs, "version")
                       ? rimport__json_str(theirs, "version")
                       : "") == 0 &&
            strcmp(mf.ptr, tf.ptr) == 0) {
          rimport_buf_dispose(&mf);
          rimport_buf_dispose(&tf);
          continue;
        }
        rc = rimport__error_set(
            RIMPORT_ECONFLICT,
            "%s: it shares the crate `%s` with the plugin %s already in this "
            "session, which has %s %s (%s), but %s needs %s %s (%s). A crate "
            "exists once in a session, so once loaded its version and "
            "features cannot change: restart the session and import `%s` "
            "first, with the version and every feature the plugins need "
            "(here: %s), then the others; or leave %s out of this "
            "session%s%s%s%s",
            j->what.ptr, name, b->plugin, name,
            rimport__json_str(theirs, "version"), tf.ptr, j->p->crate, name,
            rimport__json_str(mine, "version"), mf.ptr, name, mf.ptr,
            j->p->crate,
            /* the crate itself: its loaded copy can be imported (plan) */
            strcmp(name, j->package.ptr) == 0 && rimport__plan_can_adopt(theirs)
                ? "; or import it naming no features, default_features, "
                  "version or path, which takes the loaded copy as it is"
                : "",
            built_for_this_plan(j, b) ? " (" : "",
            built_for_this_plan(j, b) ? b->plugin : "",
            built_for_this_plan(j, b)
                ? " was built for an earlier import of this cell: a cell's "
                  "plugins are built in the order their crates are first "
                  "named)"
                : "");
        rimport_buf_dispose(&mf);
        rimport_buf_dispose(&tf);
        return rc;
      }
    }
  }
  return 0;
}

/* The version of `package` that cargo metadata resolved, or an error. */
static int read_resolved(job *j, const char *json) {
  cJSON *root = cJSON_Parse(json), *pkg;
  const cJSON *pkgs = cJSON_GetObjectItemCaseSensitive(root, "packages");
  int rc = RIMPORT_ENOTFOUND;
  if (root == NULL)
    return rimport__error_set(RIMPORT_ECHILD,
                              "%s: `cargo metadata` printed something that "
                              "is not JSON; run it by hand in %s to see why",
                              j->what.ptr, j->work.ptr);
  cJSON_ArrayForEach(pkg, pkgs) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(pkg, "name");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(pkg, "version");
    if (cJSON_IsString(name) && cJSON_IsString(ver) &&
        strcmp(name->valuestring, j->package.ptr) == 0) {
      rimport__buf_clear(&j->version);
      rc = rimport__buf_puts(&j->version, ver->valuestring);
      break;
    }
  }
  if (rc == 0) {
    cJSON_Delete(j->crates);
    if ((j->crates = graph_crates(root)) == NULL)
      rc = rimport__error_nomem();
  }
  if (rc == 0) { /* kept for rustdoc */
    cJSON_Delete(j->metadata);
    j->metadata = root;
  } else {
    cJSON_Delete(root);
  }
  if (rc == RIMPORT_ENOTFOUND)
    rc = rimport__error_set(RIMPORT_ECHILD,
                            "%s: cargo resolved the plugin but `%s` is not "
                            "among its packages",
                            j->what.ptr, j->package.ptr);
  return rc;
}

/* A stacked plugin resolves from the lock file of the plugin it stacks on
 * last, so that the crates they share keep their versions (invariant 1). */
static int start_from_parent_lock(job *j) {
  rimport_buf from = RIMPORT_BUF_INIT, to = RIMPORT_BUF_INIT;
  const rimport__built *b;
  int rc = 0;
  if (j->p->parent_count == 0)
    return 0;
  b = find_built(j->env, j->p->parents[j->p->parent_count - 1]);
  if (b == NULL)
    return 0;
  if ((rc = rimport__buf_printf(&from, "%s.root%cCargo.lock", b->work_dir,
                                rimport__dir_sep)) == 0 &&
      (rc = rimport__path_join(&to, j->root.ptr, "Cargo.lock")) == 0 &&
      rimport__fs_is_file(from.ptr) && !rimport__fs_is_file(to.ptr) &&
      (rc = rimport__fs_mkdir_p(j->root.ptr)) == 0)
    rc = rimport__fs_copy_file(from.ptr, to.ptr, NULL, NULL, NULL);
  rimport_buf_dispose(&from);
  rimport_buf_dispose(&to);
  return rc;
}

/* Resolves the dependency graph (writing Cargo.lock). A crate named with
 * '_' that is published with '-' (or the other way round) is found without
 * the user spelling it, unless `package=` was given. */
static int resolve(job *j) {
  /* For another target, the graph of that platform's dependencies. */
  const int cross = strcmp(j->tc->target, j->tc->host) != 0;
  const char *const sub[] = {"metadata",    "--format-version",
                             "1",           cross ? "--filter-platform" : NULL,
                             j->tc->target, NULL};
  char alt[128];
  const char *tries[2];
  size_t ntries = 1, t, i;
  int rc = 0;
  tries[0] = j->p->package ? j->p->package : j->p->crate;
  if (j->p->package == NULL && j->p->source == RIMPORT_FROM_REGISTRY &&
      strlen(j->p->crate) < sizeof(alt)) {
    for (i = 0; j->p->crate[i]; i++)
      alt[i] = j->p->crate[i] == '_' ? '-' : j->p->crate[i];
    alt[i] = '\0';
    if (strcmp(alt, tries[0]) != 0)
      tries[ntries++] = alt;
  }
  progress(j, RIMPORT_PROGRESS_RESOLVE, "resolving dependencies");
  if ((rc = start_from_parent_lock(j)) != 0)
    return rc;
  for (t = 0; t < ntries; t++) {
    rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
    rimport__buf_clear(&j->package);
    if ((rc = rimport__buf_puts(&j->package, tries[t])) != 0 ||
        (rc = gen_crate(j, tries[t])) != 0)
      return rc;
    rc = run_cargo(j, sub, 1, &res);
    if (rc == 0 && res.exit_status == 0 && res.term_signal == 0 &&
        (rc = read_resolved(j, res.out.ptr)) == 0)
      rc = check_shared(j);
    else if (rc == 0) {
      /* stderr went through the report's tail */
      const char *tail =
          j->report.stderr_tail.ptr ? j->report.stderr_tail.ptr : "";
      int missing = strstr(tail, "no matching package named") != NULL ||
                    strstr(tail, "no matching package found") != NULL;
      if (missing && t + 1 < ntries) {
        rimport__proc_result_dispose(&res);
        continue; /* try the other spelling */
      }
      {
        rimport_buf names = RIMPORT_BUF_INIT;
        if (ntries > 1)
          rimport__buf_printf(&names, "%s` or `%s", tries[0], tries[1]);
        rc =
            rimport__cargo_error(&j->report, j->opts, j->what.ptr,
                                 ntries > 1 && names.ptr ? names.ptr : tries[0],
                                 res.exit_status, res.term_signal);
        rimport_buf_dispose(&names);
      }
    }
    rimport__proc_result_dispose(&res);
    return rc;
  }
  return rc;
}

static int is_parent_plugin(const job *j, const char *target_name) {
  size_t i;
  for (i = 0; i < j->p->parent_count; i++) {
    const rimport__built *b = find_built(j->env, j->p->parents[i]);
    if (b != NULL && target_name && strcmp(b->plugin, target_name) == 0)
      return 1;
  }
  return 0;
}

/* Whether a parent's entry already holds the artifact `name` in its deps/:
 * the parents stayed fresh, so the file is the same; a stacked plugin's
 * entry then holds only what is new, and a cell compile gets -L for every
 * entry of the stack. */
static int in_parent_deps(const job *j, const char *name) {
  rimport_buf path = RIMPORT_BUF_INIT;
  size_t i;
  int found = 0;
  for (i = 0; !found && i < j->p->parent_count; i++) {
    const rimport__built *b = find_built(j->env, j->p->parents[i]);
    if (b != NULL && rimport__path_join(&path, b->deps_dir, name) == 0)
      found = rimport__fs_is_file(path.ptr);
  }
  rimport_buf_dispose(&path);
  return found;
}

/* Does `name` end with `ext`? */
static int ends_with(const char *name, const char *ext) {
  size_t n = strlen(name), e = strlen(ext);
  return n > e && strcmp(name + n - e, ext) == 0;
}

/* The plugin's dylib among cargo's artifacts — of the files cargo lists
 * for it, the one with the target's extension (a windows-gnu dylib comes
 * with its import library, .dll.a) — and the parents must have stayed
 * fresh: a parent rebuilt now would be a second copy of its crates
 * (invariant 1). */
static int built_dylib(const job *j, const char **dylib) {
  const char *ext = rimport__toolchain_dylib_ext(j->tc->target);
  size_t i, k;
  *dylib = NULL;
  for (i = 0; i < j->report.artifact_count; i++) {
    const rimport__cargo_artifact *a = &j->report.artifacts[i];
    if (a->target_name && strcmp(a->target_name, j->p->plugin) == 0 &&
        strcmp(a->kind, "dylib") == 0)
      for (k = 0; k < a->filename_count; k++)
        if (ends_with(a->filenames[k], ext))
          *dylib = a->filenames[k];
    if (!a->fresh && is_parent_plugin(j, a->target_name))
      return rimport__error_set(
          RIMPORT_EBUILD,
          "%s: cargo rebuilt the parent plugin %s instead of reusing it, so "
          "its crates would be loaded twice; this happens when a feature "
          "this plugin asks for changes a crate the parent links (one "
          "`cargo metadata` lists but only another platform turns on, say) "
          "— ask for fewer features — or when the shared target dir %s was "
          "changed by hand — restart the session (a new session builds a "
          "fresh stack)",
          j->what.ptr, a->target_name, j->target.ptr);
  }
  if (*dylib == NULL)
    return rimport__error_set(RIMPORT_EBUILD,
                              "%s: cargo finished but reported no dylib for "
                              "%s; the generated crate is in %s",
                              j->what.ptr, j->p->plugin, j->work.ptr);
  return 0;
}

/* Stages `src` as <dir>/<its file name>. */
static int stage_file(rimport__stage *st, const char *src, const char *dir,
                      const char *kind) {
  rimport_buf rel = RIMPORT_BUF_INIT;
  int rc = rimport__buf_printf(&rel, "%s/%s", dir, rimport__path_base(src));
  if (rc == 0)
    rc = rimport__stage_add(st, src, rel.ptr, kind);
  rimport_buf_dispose(&rel);
  return rc;
}

/* Everything a cell compile needs to find the metadata of every crate
 * behind the plugin, and the dylibs it links (kayton_api, parents); and the
 * generated sources. */
static int stage_artifacts(const job *j, rimport__stage *st) {
  static const char *const sources[] = {"Cargo.toml", "Cargo.lock",
                                        "src/lib.rs"};
  rimport_buf rel = RIMPORT_BUF_INIT, src = RIMPORT_BUF_INIT;
  size_t i, k;
  int rc = 0;
  for (i = 0; rc == 0 && i < j->report.artifact_count; i++) {
    const rimport__cargo_artifact *a = &j->report.artifacts[i];
    if (strcmp(a->kind, "custom-build") == 0)
      continue; /* build scripts */
    for (k = 0; rc == 0 && k < a->filename_count; k++)
      if (!in_parent_deps(j, rimport__path_base(a->filenames[k])))
        rc = stage_file(st, a->filenames[k], "deps", "dep");
    /* (a parent's entry has what it skips: it stayed fresh) */
  }
  for (i = 0; rc == 0 && i < RIMPORT__ARRAY_SIZE(sources); i++) {
    /* The lock file is the build root's. */
    rc = rimport__path_join(&src, i == 1 ? j->root.ptr : j->work.ptr,
                            sources[i]);
    rimport__buf_clear(&rel);
    if (rc == 0)
      rc = rimport__buf_printf(&rel, "crate/%s", sources[i]);
    if (rc == 0)
      rc = rimport__stage_add(st, src.ptr, rel.ptr, "source");
  }
  rimport_buf_dispose(&rel);
  rimport_buf_dispose(&src);
  return rc;
}

/* Is the cargo package id `id` the package `name` at `version`? Both
 * forms: "name version (source)" (cargo before 1.77) and
 * "source#name@version", or "source#version" when the name is the
 * source's last path segment. */
static int package_id_is(const char *id, const char *name,
                         const char *version) {
  const char *frag = strrchr(id, '#'), *at;
  size_t n = strlen(name);
  if (frag == NULL) /* "name version (source)" */
    return strncmp(id, name, n) == 0 && id[n] == ' ' &&
           strncmp(id + n + 1, version, strlen(version)) == 0 &&
           id[n + 1 + strlen(version)] == ' ';
  frag++;
  if ((at = strchr(frag, '@')) != NULL)
    return (size_t)(at - frag) == n && strncmp(frag, name, n) == 0 &&
           strcmp(at + 1, version) == 0;
  if (strcmp(frag, version) != 0)
    return 0;
  /* the name is the last segment of the source's path */
  at = frag - 1;
  while (at > id && at[-1] != '/')
    at--;
  return (size_t)(frag - 1 - at) == n && strncmp(at, name, n) == 0;
}

/* The wrapped crate's library among cargo's artifacts (its .rlib, or a
 * proc-macro crate's library), for cells that name the crate itself:
 * `"extern": {"name": <its name in Rust>, "file": <file name>}` in the
 * manifest (src/load reads it). Absent when cargo did not report it. */
static int add_extern(const job *j, cJSON *extra) {
  size_t i, k;
  for (i = 0; i < j->report.artifact_count; i++) {
    const rimport__cargo_artifact *a = &j->report.artifacts[i];
    const char *file = NULL;
    cJSON *ext;
    if (a->package_id == NULL || a->target_name == NULL ||
        strcmp(a->kind, "custom-build") == 0 || strcmp(a->kind, "bin") == 0 ||
        !package_id_is(a->package_id, j->package.ptr, j->version.ptr))
      continue;
    for (k = 0; k < a->filename_count; k++)
      if (ends_with(a->filenames[k], ".rlib") ||
          (file == NULL && !ends_with(a->filenames[k], ".rmeta")))
        file = a->filenames[k];
    if (file == NULL)
      continue;
    if ((ext = cJSON_AddObjectToObject(extra, "extern")) == NULL ||
        !cJSON_AddStringToObject(ext, "name", a->target_name) ||
        !cJSON_AddStringToObject(ext, "file", rimport__path_base(file)))
      return rimport__error_nomem();
    return 0;
  }
  return 0;
}

/* What the entry's manifest.json says besides its artifacts. NULL: out of
 * memory. */
/* Where cargo takes the crates' sources from, for the manifest and the
 * shared cache: the directory source, or a registry (crates.io, another
 * one, or what a cargo config says) unpacked in CARGO_HOME. */
static int crate_sources(const rimport_session_options *o, rimport_buf *out) {
  rimport_buf home = RIMPORT_BUF_INIT, tmp = RIMPORT_BUF_INIT;
  const char *h = getenv("CARGO_HOME");
  int rc = 0;
  rimport__buf_clear(out);
  if (o->source_kind == RIMPORT_SOURCE_DIRECTORY)
    return rimport__buf_printf(out, "the directory source %s", o->source);
  if (h == NULL || *h == '\0') {
    const char *user = getenv("HOME");
#ifdef _WIN32
    if (user == NULL || *user == '\0')
      user = getenv("USERPROFILE");
#endif
    rc = rimport__path_join(&home, user ? user : "", ".cargo");
    h = home.ptr;
  }
  if (rc == 0)
    rc = rimport__buf_printf(out, "%s, unpacked in the CARGO_HOME %s",
                             o->source_kind == RIMPORT_SOURCE_DEFAULT
                                 ? "crates.io"
                                 : rimport__cargo_source_text(o, &tmp),
                             h);
  rimport_buf_dispose(&home);
  rimport_buf_dispose(&tmp);
  return rc;
}

static cJSON *manifest_extra(const job *j) {
  rimport_buf sources = RIMPORT_BUF_INIT;
  cJSON *extra = cJSON_CreateObject();
  cJSON *tc = cJSON_AddObjectToObject(extra, "toolchain");
  cJSON *parents = cJSON_AddArrayToObject(extra, "parents");
  size_t i;
  int ok = tc != NULL && parents != NULL;
  for (i = 0; ok && i < j->p->parent_count; i++)
    ok = cJSON_AddItemToArray(parents, cJSON_CreateString(j->p->parents[i]));
  ok =
      ok && cJSON_AddStringToObject(tc, "release", j->tc->release) &&
      cJSON_AddStringToObject(tc, "host", j->tc->host) &&
      cJSON_AddStringToObject(tc, "target", j->tc->target) &&
      cJSON_AddStringToObject(tc, "fingerprint", j->tc->fingerprint) &&
      /* cargo's crate hashes embed the workshop's absolute path: the
       * shared cache takes entries built at this path only */
      cJSON_AddStringToObject(extra, "cache_dir", j->opts->cache_dir) &&
      crate_sources(j->opts, &sources) == 0 &&
      cJSON_AddStringToObject(extra, "crate_sources", sources.ptr) &&
      cJSON_AddStringToObject(extra, "plugin", j->p->plugin) &&
      cJSON_AddStringToObject(extra, "package", j->package.ptr) &&
      cJSON_AddStringToObject(extra, "version", j->version.ptr) &&
      cJSON_AddNumberToObject(extra, "kayton_abi", KAYTON_API_ABI_VERSION) &&
      cJSON_AddStringToObject(extra, "key_input", j->p->key_input) &&
      (j->crates == NULL ||
       cJSON_AddItemToObject(extra, "crates", cJSON_Duplicate(j->crates, 1))) &&
      cJSON_AddNumberToObject(extra, "build_seconds",
                              (double)(uv_hrtime() - j->started) / 1e9) &&
      add_extern(j, extra) == 0;
  rimport_buf_dispose(&sources);
  if (!ok) {
    cJSON_Delete(extra);
    return NULL;
  }
  return extra;
}

/* The API index of the crate (apiindex.c): its file in *path, or empty
 * when there is none (a warning said why). */
static int api_index(const job *j, rimport_buf *path) {
  rimport__rustdoc_job rj;
  memset(&rj, 0, sizeof(rj));
  rj.tc = j->tc;
  rj.metadata = j->metadata;
  rj.report = &j->report;
  rj.target_dir = j->target.ptr;
  rj.cargo = j->cargo.ptr;
  rj.opts = j->opts;
  rj.cancel = j->env->cancel;
  rj.plugin = j->p->crate;
  /* Another rustdoc than the toolchain's (a minimal toolchain has none). */
  rj.rustdoc = getenv("RIMPORT_RUSTDOC");
  if (rj.rustdoc != NULL && rj.rustdoc[0] == '\0')
    rj.rustdoc = NULL;
  return rimport__build_api_index(&rj, j->p->crate, j->package.ptr,
                                  j->version.ptr, j->work.ptr, path);
}

/* Copies what the build made into a stage and publishes it; `index`: the
 * API index file, or empty. */
static int publish(job *j, const rimport_buf *index, rimport__entry **out) {
  rimport__stage *st = NULL;
  cJSON *extra = NULL;
  const char *dylib;
  int rc;
  if ((rc = built_dylib(j, &dylib)) != 0 ||
      (rc = rimport__stage_begin(j->opts->cache_dir, j->p->crate, j->p->key,
                                 &st)) != 0)
    return rc;
  if ((rc = stage_file(st, dylib, "lib", "dylib")) == 0 &&
      (index->size == 0 ||
       (rc = rimport__stage_add(st, index->ptr, RIMPORT__API_INDEX_FILE,
                                "api")) == 0) &&
      (rc = stage_artifacts(j, st)) == 0) {
    if ((extra = manifest_extra(j)) == NULL)
      rc = rimport__error_nomem();
    else {
      rc = rimport__stage_publish(st, extra, out);
      st = NULL;
    }
  }
  rimport__stage_abort(st);
  cJSON_Delete(extra);
  return rc;
}

/* Where a statement stands, for messages: "x.cell:3:1" for a file, "cell
 * 2, line 3, column 1" when the front-end named no origin. */
static void statement_place(const rimport_cell_plan *plan,
                            const rimport_span *sp, char *out, size_t size) {
  const char *o = plan && plan->origin ? plan->origin : "the cell";
  int numbered = strncmp(o, "cell ", 5) == 0 && o[5] != '\0' &&
                 strspn(o + 5, "0123456789") == strlen(o + 5);
  snprintf(out, size, numbered ? "%s, line %u, column %u" : "%s:%u:%u", o,
           sp->line, sp->column);
}

/* A requested item the crate lacks (rustc's "unresolved import" in the
 * generated plugin): said at the statement that asks for it, with the
 * items of that name in other modules and the near names, from the API
 * index of the crate cargo built before the plugin failed. Keeps the
 * error as it is when the index cannot be made. */
static int missing_item(const job *j, int rc) {
  static const char mark[] = "unresolved import `";
  const rimport_cell_plan *plan = j->env->plan;
  const char *d = j->report.diagnostics.ptr, *p, *e;
  rimport_buf want = RIMPORT_BUF_INIT, index = RIMPORT_BUF_INIT,
              text = RIMPORT_BUF_INIT, hints = RIMPORT_BUF_INIT,
              item = RIMPORT_BUF_INIT, said = RIMPORT_BUF_INIT;
  const rimport_span *span = NULL;
  size_t k, pi;
  if (rc != RIMPORT_ENOTFOUND || d == NULL || (p = strstr(d, mark)) == NULL ||
      (e = strchr(p + sizeof(mark) - 1, '`')) == NULL)
    return rc;
  p += sizeof(mark) - 1;
  if (strncmp(p, "::", 2) == 0)
    p += 2;
  if (rimport__buf_put(&want, p, (size_t)(e - p)) != 0 ||
      rimport__buf_puts(&said, rimport_error_last()->message) != 0)
    goto done;
  /* the statement that asks for it */
  pi = plan && j->p >= plan->plugins && j->p < plan->plugins + plan->count
           ? (size_t)(j->p - plan->plugins)
           : (size_t)-1;
  for (k = 0; pi != (size_t)-1 && plan->spans && k < j->p->item_count; k++) {
    const rimport_plugin_item *it = &j->p->items[k];
    rimport__buf_clear(&item);
    if (rimport__buf_printf(&item, "%s%s%s::%s", j->p->crate,
                            it->module ? "::" : "",
                            it->module ? it->module : "", it->name) != 0)
      goto done;
    if (strcmp(item.ptr, want.ptr) == 0)
      span = &plan->spans[pi][k];
  }
  if (api_index(j, &index) != 0 || index.size == 0 ||
      rimport__fs_read_file(index.ptr, 256u << 20, &text) != 0 ||
      rimport__api_suggest(text.ptr, text.size, j->p->crate, want.ptr,
                           &hints) != 0) {
    rimport_error_clear();
    rimport__error_set(RIMPORT_ENOTFOUND, "%s", said.ptr);
    goto done;
  }
  if (span != NULL && span->line > 0) {
    char where[512];
    statement_place(plan, span, where, sizeof(where));
    rc = rimport__error_set_at(
        RIMPORT_ENOTFOUND, span->line, span->column, NULL, 0,
        "%s: `%s` does not exist in the crate `%s`%s. Check the item's name "
        "and its module (`from crate.module rimport Item`)",
        where, want.ptr, j->p->crate, hints.size ? hints.ptr : "");
  } else
    rc = rimport__error_set(
        RIMPORT_ENOTFOUND,
        "%s: `%s` does not exist in the crate `%s`%s. Check the item's name "
        "and its module (`from crate.module rimport Item`)",
        j->what.ptr, want.ptr, j->p->crate, hints.size ? hints.ptr : "");
done:
  rimport_buf_dispose(&want);
  rimport_buf_dispose(&index);
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&hints);
  rimport_buf_dispose(&item);
  rimport_buf_dispose(&said);
  return rc;
}

/* `cargo build` of the plugin's build root: 0 with the report, or the
 * error in the user's terms. */
static int cargo_build(job *j) {
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  rimport__argv sub = RIMPORT__ARGV_INIT;
  int rc;
  rimport__argv_addv(&sub, "build", "--release", "--message-format=json",
                     "--target-dir", j->target.ptr, NULL);
  if (strcmp(j->tc->target, j->tc->host) !=
      0) /* cross: <target-dir>/<triple> */
    rimport__argv_addv(&sub, "--target", j->tc->target, NULL);
  if (j->opts->jobs > 0)
    rimport__argv_addf(&sub, "-j%u", j->opts->jobs);
  if ((rc = sub.rc) == 0) {
    progress(j, RIMPORT_PROGRESS_BUILD, "building");
    rc = run_cargo(j, sub.v, 0, &res);
  }
  if (rc == 0 &&
      (res.exit_status != 0 || res.term_signal != 0 || !j->report.success))
    rc = missing_item(j, rimport__cargo_error(&j->report, j->opts, j->what.ptr,
                                              j->package.ptr, res.exit_status,
                                              res.term_signal));
  rimport__proc_result_dispose(&res);
  rimport__argv_dispose(&sub);
  return rc;
}

/* A generic instance whose shapes do not satisfy the item's bounds: the
 * concrete wrapper (gen.c) did not compile with E0277. Said at the
 * statement, naming the bound; 1 when the failure is something else. */
static int unmet_bound(const job *j) {
  static const char mark[] = "the trait bound `";
  const char *d = j->report.diagnostics.ptr, *b, *e, *colon;
  const rimport_cell_plan *plan = j->env->plan;
  rimport_buf name = RIMPORT_BUF_INIT, fn = RIMPORT_BUF_INIT,
              shapes = RIMPORT_BUF_INIT;
  size_t k, s, pi;
  int rc = 1;
  if (d == NULL || strstr(d, "E0277") == NULL ||
      (b = strstr(d, mark)) == NULL ||
      (e = strstr(b + sizeof(mark) - 1, "` is not satisfied")) == NULL)
    return 1;
  b += sizeof(mark) - 1;
  for (colon = e; colon > b && !(colon[0] == ':' && colon[1] == ' '); colon--)
    ;
  if (colon == b)
    return 1;
  for (k = 0; rc == 1 && k < j->p->item_count; k++) {
    const rimport_plugin_item *it = &j->p->items[k];
    if (it->shape_count == 0)
      continue;
    rimport__buf_clear(&name);
    rimport__buf_clear(&fn);
    if (rimport__gen_instance_name(it, &name) != 0 ||
        rimport__buf_printf(&fn, "fn %s(", name.ptr) != 0)
      break;
    if (strstr(d, fn.ptr) == NULL)
      continue;
    rimport__buf_clear(&shapes);
    for (s = 0; s < it->shape_count; s++)
      rimport__buf_printf(&shapes, "%s%s", s ? ", " : "",
                          rimport_shape_name(it->shapes[s]));
    pi = plan && j->p >= plan->plugins && j->p < plan->plugins + plan->count
             ? (size_t)(j->p - plan->plugins)
             : (size_t)-1;
    {
      const rimport_span *sp =
          pi != (size_t)-1 && plan->spans ? &plan->spans[pi][k] : NULL;
      char where[512];
      if (sp != NULL && sp->line > 0)
        statement_place(plan, sp, where, sizeof(where));
      else
        snprintf(where, sizeof(where), "%s", j->what.ptr);
      rc = rimport__error_set_at(
          RIMPORT_EBUILD, sp ? sp->line : 0, sp ? sp->column : 0, NULL, 0,
          "%s: `%s[%s]`: `%.*s` does not satisfy the bound `%.*s` of "
          "`%s%s%s::%s`; instantiate it with a shape that does (rustc "
          "said:\n%s)",
          where, it->name, shapes.ptr, (int)(colon - b), b,
          (int)(e - colon - 2), colon + 2, j->p->crate, it->module ? "::" : "",
          it->module ? it->module : "", it->name, d);
    }
  }
  rimport_buf_dispose(&name);
  rimport_buf_dispose(&fn);
  rimport_buf_dispose(&shapes);
  return rc;
}

/* The plugin again, with thunks for what the API index describes
 * (kayton_api.h "thunks"); only the plugin's own unit recompiles. When
 * that fails (a signature the generator read wrong), a warning says so
 * and the plugin is built as before, without thunks. */
static int with_thunks(job *j, const rimport_buf *index) {
  int rc;
  if ((rc = rimport__fs_read_file(index->ptr, 256u << 20, &j->index_text)) !=
      0) {
    rimport_error_clear();
    return 0;
  }
  if ((rc = gen_crate(j, j->package.ptr)) != 0 || (rc = cargo_build(j)) == 0)
    return rc;
  if (rc == RIMPORT_ECANCELED || rc == RIMPORT_ETIMEDOUT ||
      rc == RIMPORT_ENOMEM)
    return rc;
  if (unmet_bound(j) != 1)
    return RIMPORT_EBUILD;
  {
    rimport_buf msg = RIMPORT_BUF_INIT;
    if (rimport__buf_printf(&msg,
                            "warning: the plugin's thunks for dynamic calls "
                            "did not compile, so %s has none (cells are not "
                            "affected); rustc said: %s",
                            j->p->crate, rimport_error_last()->message) == 0)
      report(j->opts, RIMPORT_PROGRESS_WARNING, j->p->crate, msg.ptr);
    rimport_buf_dispose(&msg);
  }
  rimport_error_clear();
  rimport__buf_clear(&j->index_text);
  if ((rc = gen_crate(j, j->package.ptr)) == 0)
    rc = cargo_build(j);
  return rc;
}

/* The concrete generic instances the plugin now has (gen.h
 * RIMPORT__GEN_INSTANCES) go into the API index, so that lookups and
 * dynamic calls find them. A failure leaves the index as it was. */
static int add_instances(const job *j, const rimport_buf *index) {
  rimport_buf path = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT,
              idx = RIMPORT_BUF_INIT, out = RIMPORT_BUF_INIT;
  cJSON *inst = NULL, *doc = NULL, *it;
  int rc = 0;
  if (rimport__path_join(&path, j->work.ptr, RIMPORT__GEN_INSTANCES) != 0 ||
      !rimport__fs_is_file(path.ptr) ||
      rimport__fs_read_file(path.ptr, 64u << 20, &text) != 0 ||
      (inst = cJSON_Parse(text.ptr)) == NULL || cJSON_GetArraySize(inst) == 0 ||
      rimport__fs_read_file(index->ptr, 256u << 20, &idx) != 0 ||
      (doc = cJSON_Parse(idx.ptr)) == NULL ||
      !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "items")))
    goto done;
  while ((it = inst->child) != NULL) {
    cJSON_DetachItemViaPointer(inst, it);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(doc, "items"), it);
  }
  if ((rc = rimport__json_print(doc, 0, &out)) == 0)
    rc = rimport__fs_write_atomic(index->ptr, out.ptr, out.size);
done:
  rimport_error_clear();
  cJSON_Delete(inst);
  cJSON_Delete(doc);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&idx);
  rimport_buf_dispose(&out);
  return rc == RIMPORT_ENOMEM ? rc : 0;
}

static int build_one(job *j, rimport__entry **out) {
  rimport_buf index = RIMPORT_BUF_INIT;
  int rc;
  if ((rc = resolve(j)) != 0)
    return rc;
  /* Render again with the resolved version in the manifest; unchanged
   * files are not rewritten. */
  if ((rc = gen_crate(j, j->package.ptr)) != 0)
    return rc;
  if ((rc = cargo_build(j)) == 0 && (rc = api_index(j, &index)) == 0 &&
      index.size > 0 && (rc = with_thunks(j, &index)) == 0 &&
      j->index_text.size > 0)
    rc = add_instances(j, &index);
  if (rc == 0)
    rc = publish(j, &index, out);
  rimport_buf_dispose(&index);
  return rc;
}

static void job_dispose(job *j) {
  rimport_buf_dispose(&j->cargo);
  rimport_buf_dispose(&j->work);
  rimport_buf_dispose(&j->root);
  rimport_buf_dispose(&j->target);
  rimport_buf_dispose(&j->api_dir);
  rimport_buf_dispose(&j->manifest);
  rimport_buf_dispose(&j->package);
  rimport_buf_dispose(&j->version);
  rimport_buf_dispose(&j->what);
  rimport_buf_dispose(&j->index_text);
  rimport__cargo_report_dispose(&j->report);
  cJSON_Delete(j->crates);
  cJSON_Delete(j->metadata);
}

/* Fills the job's paths and makes the workshop directories. */
static int job_init(job *j, const rimport__build_env *env,
                    const rimport_plugin *p) {
  const char *cache_dir = env->opts->cache_dir;
  int rc;
  memset(j, 0, sizeof(*j));
  j->env = env;
  j->opts = env->opts;
  j->tc = env->tc;
  j->p = p;
  j->started = uv_hrtime();
  rimport__cargo_report_init(&j->report);
  if ((rc = rimport__buf_printf(&j->what, "building the plugin for %s",
                                p->crate)) != 0 ||
      (rc = work_dir(cache_dir, p, &j->work)) != 0 ||
      (rc = rimport__buf_printf(&j->target, "%s%c_target", cache_dir,
                                rimport__dir_sep)) != 0 ||
      (rc = rimport__gen_kayton_api_dir(cache_dir, &j->api_dir)) != 0 ||
      (rc = rimport__buf_printf(&j->root, "%s.root", j->work.ptr)) != 0 ||
      (rc = rimport__path_join(&j->manifest, j->root.ptr, "Cargo.toml")) != 0)
    return rc;
  if ((rc = rimport__cargo_find(env->opts, &j->cargo)) != 0)
    return rimport__error_prefix("%s", j->what.ptr);
  if ((rc = rimport__fs_mkdir_p(j->work.ptr)) != 0 ||
      (rc = rimport__gen_kayton_api(j->api_dir.ptr)) != 0)
    return rc;
  return 0;
}

/* The session's shared cache (cache.h, "The shared entry tier"), or
 * NULL. */
static const rimport__tier *tier_of(const rimport__build_env *env,
                                    rimport__tier *t) {
  const rimport_session_options *o = env->opts;
  if (o->shared_cache_dir == NULL || o->shared_cache_dir[0] == '\0')
    return NULL;
  memset(t, 0, sizeof(*t));
  t->dir = o->shared_cache_dir;
  t->readonly = o->shared_cache_readonly;
  t->progress = o->progress;
  t->payload = o->progress_payload;
  return t;
}

/* The plugin's verified entry from the cache, else from the shared cache
 * (brought into the local one), else built under the key's lock (whoever
 * held the lock may have published it meanwhile) and then published to
 * the shared cache too. *built or *fetched say which. */
static int find_or_build(const rimport__build_env *env, const rimport_plugin *p,
                         rimport__entry **e, int *built, int *fetched) {
  const rimport_session_options *o = env->opts;
  rimport__tier tier_buf;
  const rimport__tier *tier = tier_of(env, &tier_buf);
  rimport__lock *lock = NULL;
  rimport_buf sources = RIMPORT_BUF_INIT;
  job j;
  int rc;
  *built = 0;
  *fetched = 0;
  /* Sizes and recorded mtimes: the dylib is hashed by the loader, right
   * before it is loaded, not here as well. */
  rc = rimport__cache_lookup(o->cache_dir, p->crate, p->key,
                             RIMPORT__VERIFY_STAT, e);
  if (rc != RIMPORT_ENOTFOUND && rc != RIMPORT_ECORRUPT)
    return rc;
  if ((rc = rimport__cache_lock(o->cache_dir, p->crate, p->key, 0, o->progress,
                                o->progress_payload, env->cancel, &lock)) != 0)
    return rc;
  rc = rimport__cache_lookup(o->cache_dir, p->crate, p->key,
                             RIMPORT__VERIFY_STAT, e);
  if ((rc == RIMPORT_ENOTFOUND || rc == RIMPORT_ECORRUPT) && tier != NULL) {
    rimport__tier_expect want;
    want.fingerprint = env->tc->fingerprint;
    want.target = env->tc->target;
    want.kayton_abi = (int)KAYTON_API_ABI_VERSION;
    want.cache_dir = o->cache_dir;
    want.crate_sources = crate_sources(o, &sources) == 0 ? sources.ptr : NULL;
    rimport_error_clear();
    rc = rimport__tier_fetch(tier, o->cache_dir, p->crate, p->key, &want, e);
    *fetched = rc == 0;
  }
  if (rc == RIMPORT_ENOTFOUND || rc == RIMPORT_ECORRUPT) {
    if ((rc = job_init(&j, env, p)) == 0)
      rc = build_one(&j, e);
    job_dispose(&j);
    *built = 1;
    /* A failure there is a warning: the plugin is built. */
    if (rc == 0 && tier != NULL) {
      rimport__tier_publish(tier, p->crate, p->key, *e);
      rimport_error_clear();
    }
  }
  rimport__cache_unlock(lock);
  rimport_buf_dispose(&sources);
  return rc;
}

/* A plugin of the plan: from the session's stack, the cache, or a build;
 * a plugin not in the stack yet is pushed on it. */
static int ensure_plugin(const rimport__build_env *env, const rimport_plugin *p,
                         const char *base, rimport_built_plugin *out,
                         rimport__arena *a) {
  const rimport__built *have = find_built(env, p->key);
  rimport__entry *e = NULL;
  uint64_t t0 = uv_hrtime();
  rimport_buf work = RIMPORT_BUF_INIT, msg = RIMPORT_BUF_INIT;
  const char *version = NULL;
  int rc, built = 0, fetched = 0;
  if (have != NULL) {
    out->entry_dir = rimport__arena_strdup(a, have->entry_dir);
    out->dylib = rimport__arena_strdup(a, have->dylib);
    out->deps_dir = rimport__arena_strdup(a, have->deps_dir);
    out->version = rimport__arena_strdup(a, have->version);
    out->from_cache = 1;
    return 0;
  }
  if ((rc = find_or_build(env, p, &e, &built, &fetched)) == 0 &&
      (rc = work_dir(env->opts->cache_dir, p, &work)) == 0) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e->manifest, "version");
    version = cJSON_IsString(v) ? v->valuestring : "unknown";
    rc = push_built(env, p, base, work.ptr, e, version);
  }
  if (rc == 0) {
    out->entry_dir = rimport__arena_strdup(a, e->dir);
    out->dylib = rimport__arena_strdup(a, e->dylib);
    out->deps_dir = rimport__arena_strdup(a, e->deps_dir);
    out->version = rimport__arena_strdup(a, version);
    out->from_cache = !built;
    out->build_seconds = built ? (double)(uv_hrtime() - t0) / 1e9 : 0;
    if (rimport__buf_printf(&msg, "%s %s", p->plugin,
                            built     ? "built"
                            : fetched ? "found in the shared cache"
                                      : "found in the cache") == 0)
      report(env->opts, RIMPORT_PROGRESS_DONE, p->crate, msg.ptr);
  }
  rimport__entry_free(e);
  rimport_buf_dispose(&work);
  rimport_buf_dispose(&msg);
  return rc;
}

/* Says that a plugin takes the copy of its crate an earlier plugin of
 * its plan links, with the features that copy has: a feature it lacks
 * (serde's derive macros, after serde_json) cannot be added later, and
 * rustc's own error would not say why. */
static void report_taken(const rimport_session_options *o,
                         const rimport_plugin *p, const rimport__adopted *ad) {
  rimport_buf msg = RIMPORT_BUF_INIT, feats = RIMPORT_BUF_INIT;
  size_t i;
  int rc = 0;
  if (ad == NULL)
    return;
  for (i = 0; rc == 0 && i < ad->feature_count; i++)
    rc = rimport__buf_printf(&feats, "%s%s", i ? ", " : "", ad->features[i]);
  if (rc == 0 &&
      rimport__buf_printf(
          &msg,
          "takes %s %s%s%s (features: %s) as %s links it (an earlier import "
          "of this cell); a crate exists once in a session, so for a feature "
          "it lacks (a derive, say) import %s first, naming the feature, in "
          "a new session",
          ad->package, ad->version, ad->path ? " from " : "",
          ad->path ? ad->path : "", feats.size ? feats.ptr : "none", ad->plugin,
          p->crate) == 0)
    report(o, RIMPORT_PROGRESS_RESOLVE, p->crate, msg.ptr);
  rimport_buf_dispose(&feats);
  rimport_buf_dispose(&msg);
}

int rimport__build_plan(const rimport__build_env *env, rimport_cell_plan *plan,
                        rimport_build_result **out) {
  rimport_build_result *r;
  rimport__build_env with_plan = *env;
  size_t n = rimport_cell_plan_count(plan), i;
  const rimport_plugin *ps = rimport_cell_plan_array(plan);
  int rc, changed;
  *out = NULL;
  with_plan.plan = plan;
  env = &with_plan;
  if ((r = rimport__calloc(1, sizeof(*r))) == NULL)
    return rimport__error_nomem();
  if (n > 0 && (r->plugins = rimport__arena_alloc(
                    &r->arena, n * sizeof(*r->plugins))) == NULL) {
    rimport_build_result_free(r);
    return RIMPORT_ENOMEM;
  }
  for (i = 0; i < n; i++) {
    rimport_built_plugin *bp = &r->plugins[i];
    /* The plugins before it are on the stack now: a crate one of them
     * links is taken as it has it (its key and the later ones change). */
    if ((rc = rimport__plan_readopt(plan, i, env->plans, env->stack, env->tc,
                                    &changed)) != 0) {
      rimport__error_prefix("building the plugin for %s", ps[i].crate);
      rimport_build_result_free(r);
      return rc;
    }
    if (changed)
      report_taken(env->opts, &ps[i], plan->adopted[i]);
    bp->crate = rimport__arena_strdup(&r->arena, ps[i].crate);
    bp->key = rimport__arena_strdup(&r->arena, ps[i].key);
    if ((rc = ensure_plugin(env, &ps[i], plan->base_keys[i], bp, &r->arena)) !=
        0) {
      rimport_build_result_free(r);
      return rc;
    }
    r->count = i + 1;
  }
  *out = r;
  return 0;
}

/* The names the plan's statements bind, for rimport_api_lookup_name:
 * "<crate>[::<module>][::<item>]". */
static int bind_names(rimport__api_state *api, const rimport_cell_plan *plan) {
  const rimport_plugin *ps = rimport_cell_plan_array(plan);
  rimport_buf path = RIMPORT_BUF_INIT;
  size_t i, k;
  int rc = 0;
  for (i = 0; rc == 0 && i < rimport_cell_plan_count(plan); i++)
    for (k = 0; rc == 0 && k < ps[i].binding_count; k++) {
      const rimport_binding *b = &ps[i].bindings[k];
      rimport__buf_clear(&path);
      rc =
          rimport__buf_printf(&path, "%s%s%s%s%s", ps[i].crate,
                              b->module ? "::" : "", b->module ? b->module : "",
                              b->item ? "::" : "", b->item ? b->item : "");
      if (rc == 0)
        rc = rimport__api_bind(api, b->name, path.ptr);
    }
  rimport_buf_dispose(&path);
  return rc;
}

int rimport_build(rimport_session *s, const rimport_cell_plan *plan,
                  rimport_build_result **out) {
  rimport__build_env env;
  int rc;
  if (out != NULL)
    *out = NULL;
  if (s == NULL || plan == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_build: session, plan and out are "
                              "needed");
  memset(&env, 0, sizeof(env));
  env.opts = rimport__session_options(s);
  env.stack = rimport__session_stack(s);
  env.plans = rimport__session_plans(s);
  /* A new build: no request yet (env.cancel is read-only below). */
  atomic_store(rimport__session_cancel(s), 0);
  env.cancel = rimport__session_cancel(s);
  if ((rc = rimport_session_toolchain(s, &env.tc)) != 0)
    return rc;
  /* The plan is the caller's and rimport_build's contract says that it
   * updates it (a crate an earlier plugin of the plan links is taken as
   * loaded); it was allocated writable by rimport_plan. */
  if ((rc = rimport__build_plan(&env, (rimport_cell_plan *)plan, out)) == 0 &&
      (rc = bind_names(rimport__session_api(s), plan)) != 0) {
    rimport_build_result_free(*out);
    *out = NULL;
  }
  return rc;
}
