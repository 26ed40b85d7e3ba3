/* Preloading built plugins (load.h): verify the entry, load std,
 * kayton_api and the plugin by absolute path, check the plugin's own
 * manifest, and call its C registration entry point. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include "../common/json.h"
#include "load.h"
#include "../session.h"
#include "../vm/vm.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "../cache/cache.h"
#include "../common/fs.h"
#include "../platform.h"

/* The use marks of the entries this process loaded (src/cache/cache.h,
 * "Use marks"): one rimport__marks per cache directory, made at the first
 * mark and kept for the life of the process, as the DLLs are (nothing is
 * ever unloaded), so that no `rimport cache gc` or `clear` removes an
 * entry while it is loaded here. Two descriptors per cache directory,
 * however many entries (plugins, cells) are marked. A child forked
 * without exec does not hold its parent's session lock (fcntl locks are
 * not inherited): it makes marks of its own, and leaves the parent's (and
 * their descriptors) alone. */
typedef struct cache_marks {
  char *cache_dir;
  int pid; /* the process that made them (a forked child makes its own) */
  rimport__marks *marks;
} cache_marks;

static uv_once_t marks_once = UV_ONCE_INIT;
static uv_mutex_t marks_mutex;
static cache_marks *caches;
static size_t cache_count, cache_cap;

static void marks_init(void) {
  if (uv_mutex_init(&marks_mutex) != 0)
    abort(); /* cannot happen short of resource exhaustion */
}

/* This process's marks on cache_dir, made at the first call: 0 and *out
 * (NULL when the cache cannot hold marks: its directory is not writable,
 * so no one removes anything from it; tried again next time), or the
 * error of rimport__marks_open (EIO, ENOMEM). */
static int marks_of(const char *cache_dir, rimport__marks **out) {
  rimport__marks *m = NULL;
  char *copy = NULL;
  size_t i;
  int rc = 0;
  *out = NULL;
  uv_once(&marks_once, marks_init);
  uv_mutex_lock(&marks_mutex);
  for (i = 0; i < cache_count; i++)
    if (caches[i].pid == (int)uv_os_getpid() &&
        strcmp(caches[i].cache_dir, cache_dir) == 0) {
      *out = caches[i].marks;
      break;
    }
  if (*out == NULL && (rc = rimport__marks_open(cache_dir, &m)) == 0 &&
      m != NULL) {
    if ((copy = rimport__strdup(cache_dir)) == NULL)
      rc = rimport__error_nomem();
    else
      rc = rimport__grow((void **)&caches, &cache_cap, cache_count + 1,
                         sizeof(*caches));
    if (rc == 0) {
      caches[cache_count].cache_dir = copy;
      caches[cache_count].pid = (int)uv_os_getpid();
      caches[cache_count++].marks = m;
      *out = m;
    } else {
      rimport__free(copy);
      rimport__marks_close(m);
    }
  }
  uv_mutex_unlock(&marks_mutex);
  return rc;
}

/* A library this loader loaded (or found loaded under the same file
 * name): std, kayton_api or a plugin. */
typedef struct lib {
  char *path; /* absolute */
  char *xxh3; /* from the entry's manifest, NULL when not known */
  rimport__dl *dl;
} lib;

typedef struct plugin {
  rimport__loaded pub;
  char *crate, *key, *entry_dir, *dylib, *deps_dir, *lib_name, *lib_path;
  size_t lib; /* index into libs */
} plugin;

struct rimport__loader {
  size_t api; /* index of kayton_api in libs, + 1; 0 while none */
  lib *libs;
  size_t lib_count, lib_cap;
  plugin **plugins;
  size_t plugin_count, plugin_cap;
  size_t registered; /* plugins[0, registered) were registered */
};

int rimport__loader_new(rimport__loader **out) {
  *out = rimport__calloc(1, sizeof(**out));
  return *out ? 0 : rimport__error_nomem();
}

static void plugin_free(plugin *p) {
  if (p == NULL)
    return;
  rimport__free(p->crate);
  rimport__free(p->key);
  rimport__free(p->entry_dir);
  rimport__free(p->dylib);
  rimport__free(p->deps_dir);
  rimport__free(p->lib_name);
  rimport__free(p->lib_path);
  rimport__free(p);
}

void rimport__loader_free(rimport__loader *ld) {
  size_t i;
  if (ld == NULL)
    return;
  for (i = 0; i < ld->lib_count; i++) {
    rimport__free(ld->libs[i].path);
    rimport__free(ld->libs[i].xxh3);
    rimport__dl_free(ld->libs[i].dl); /* stays loaded */
  }
  for (i = 0; i < ld->plugin_count; i++)
    plugin_free(ld->plugins[i]);
  rimport__free(ld->libs);
  rimport__free(ld->plugins);
  rimport__free(ld);
}

const rimport__loaded *rimport__loader_find(const rimport__loader *ld,
                                            const char *key) {
  size_t i;
  if (ld == NULL || key == NULL)
    return NULL;
  for (i = 0; i < ld->plugin_count; i++)
    if (strcmp(ld->plugins[i]->key, key) == 0)
      return &ld->plugins[i]->pub;
  return NULL;
}

size_t rimport__loader_count(const rimport__loader *ld) {
  return ld ? ld->plugin_count : 0;
}

const rimport__loaded *rimport__loader_at(const rimport__loader *ld, size_t i) {
  return ld && i < ld->plugin_count ? &ld->plugins[i]->pub : NULL;
}

size_t rimport__loader_library_count(const rimport__loader *ld) {
  return ld ? ld->lib_count : 0;
}

const char *rimport__loader_library_path(const rimport__loader *ld, size_t i) {
  return ld && i < ld->lib_count ? ld->libs[i].path : NULL;
}

const char *rimport__loader_kayton_api(const rimport__loader *ld) {
  return ld && ld->api ? ld->libs[ld->api - 1].path : NULL;
}

static plugin *find_plugin(const rimport__loader *ld, const char *key) {
  const rimport__loaded *l = rimport__loader_find(ld, key);
  return l ? ld->plugins[l->index] : NULL;
}

void *rimport__loader_symbol(rimport__loader *ld, const char *plugin_key,
                             const char *name) {
  plugin *p = find_plugin(ld, plugin_key);
  return p ? rimport__dl_sym(ld->libs[p->lib].dl, name) : NULL;
}

/* --- libraries ------------------------------------------------------------ */

static int find_lib_path(const rimport__loader *ld, const char *path,
                         size_t *idx) {
  size_t i;
  for (i = 0; i < ld->lib_count; i++)
    if (strcmp(ld->libs[i].path, path) == 0) {
      *idx = i;
      return 1;
    }
  return 0;
}

static int find_lib_base(const rimport__loader *ld, const char *base,
                         size_t *idx) {
  size_t i;
  for (i = 0; i < ld->lib_count; i++)
    if (strcmp(rimport__path_base(ld->libs[i].path), base) == 0) {
      *idx = i;
      return 1;
    }
  return 0;
}

/* Loads `path` unless this loader has loaded it already; with `shared`,
 * also unless a library of the same file name is loaded (whose XXH3 must
 * then be `xxh3` when both are known). */
static int load_lib(rimport__loader *ld, const char *path, const char *xxh3,
                    int shared, size_t *idx) {
  rimport__dl *dl = NULL;
  lib *l;
  int rc;
  if (find_lib_path(ld, path, idx))
    return 0;
  if (shared && find_lib_base(ld, rimport__path_base(path), idx)) {
    const lib *o = &ld->libs[*idx];
    if (xxh3 && o->xxh3 && strcmp(xxh3, o->xxh3) != 0)
      return rimport__error_set(
          RIMPORT_EMISMATCH,
          "loading \"%s\" refused: another build of %s (XXH3 %s) is already "
          "loaded from \"%s\" (XXH3 %s), and a process can hold only one "
          "(plugins bind to it by name); rebuild the plugin in this session "
          "so that it uses the loaded one, or restart the session",
          path, rimport__path_base(path), xxh3, o->path, o->xxh3);
    return 0;
  }
  if ((rc = rimport__grow((void **)&ld->libs, &ld->lib_cap, ld->lib_count + 1,
                          sizeof(*ld->libs))) != 0)
    return rc;
  if ((rc = rimport__dl_open(path, &dl)) != 0)
    return rc;
  l = &ld->libs[ld->lib_count];
  memset(l, 0, sizeof(*l));
  l->dl = dl;
  l->path = rimport__strdup(path);
  l->xxh3 = rimport__strdup(xxh3);
  if (l->path == NULL || (xxh3 && l->xxh3 == NULL)) {
    /* Loaded but not recorded: it stays loaded, which is harmless. */
    rimport__free(l->path);
    rimport__free(l->xxh3);
    rimport__dl_free(dl);
    return rimport__error_nomem();
  }
  *idx = ld->lib_count++;
  return 0;
}

int rimport__loader_load_std(rimport__loader *ld, const rimport_toolchain *tc) {
  size_t idx;
  int rc = 0;
  /* A DLL already loaded satisfies later imports of its base name (fact 9):
   * the runtime DLL first, by its absolute path, then std. */
  if (tc->runtime_dll != NULL)
    rc = load_lib(ld, tc->runtime_dll, NULL, 0, &idx);
  if (rc == 0)
    rc = load_lib(ld, tc->std_dylib, NULL, 0, &idx);
  return rc;
}

/* --- checks --------------------------------------------------------------- */

/* The artifact's recorded XXH3 (rel: "deps/libkayton_api.so"), or NULL. */
static const char *artifact_xxh3(const cJSON *manifest, const char *rel) {
  const cJSON *a;
  cJSON_ArrayForEach(a,
                     cJSON_GetObjectItemCaseSensitive(manifest, "artifacts")) {
    const char *p = rimport__json_str(a, "path");
    if (p && strcmp(p, rel) == 0)
      return rimport__json_str(a, "xxh3");
  }
  return NULL;
}

static int same_number(const cJSON *n, int want) {
  return cJSON_IsNumber(n) && n->valuedouble == (double)want;
}

static const char *number_text(const cJSON *n, char *buf, size_t size) {
  if (!cJSON_IsNumber(n))
    return "(none)";
  snprintf(buf, size, "%.17g", n->valuedouble);
  return buf;
}

/* Invariant 5, before loading: the entry's manifest against the host. */
static int check_entry(const rimport__loader *ld, const rimport_toolchain *tc,
                       const rimport__entry *e, const char *what) {
  const cJSON *m = e->manifest, *parent;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "toolchain");
  const cJSON *abi = cJSON_GetObjectItemCaseSensitive(m, "kayton_abi");
  const char *fp = rimport__json_str(t, "fingerprint");
  char num[64];
  if (fp == NULL || strcmp(fp, tc->fingerprint) != 0)
    return rimport__error_set(
        RIMPORT_EMISMATCH,
        "loading %s refused: the entry %s was built by the Rust toolchain "
        "with fingerprint %s (rustc %s), but this session uses %s (rustc %s, "
        "%s); a Rust dylib only loads into the toolchain that built it — "
        "rebuild the plugin with this toolchain (rimport_build makes a new "
        "entry: the key covers the toolchain) or open the session with the "
        "rustc that built it",
        what, e->dir, fp ? fp : "(none)",
        rimport__json_str(t, "release") ? rimport__json_str(t, "release")
                                        : "unknown",
        tc->fingerprint, tc->release ? tc->release : "unknown",
        tc->rustc ? tc->rustc : "");
  if (!same_number(abi, KAYTON_API_ABI_VERSION))
    return rimport__error_set(
        RIMPORT_EMISMATCH,
        "loading %s refused: the entry %s was built for the kayton_api ABI "
        "version %s, but this host speaks version %d; rebuild the plugin "
        "with this rimport (rimport_build makes a new entry: the key covers "
        "the ABI version)",
        what, e->dir, number_text(abi, num, sizeof(num)),
        KAYTON_API_ABI_VERSION);
  cJSON_ArrayForEach(parent, cJSON_GetObjectItemCaseSensitive(m, "parents")) {
    const char *pk = cJSON_GetStringValue(parent);
    if (pk == NULL || rimport__loader_find(ld, pk) == NULL)
      return rimport__error_set(
          RIMPORT_EINVAL,
          "loading %s refused: it stacks on the plugin with key %s, which "
          "this session has not loaded; load the plugins of a stack "
          "bottom-up (in the order the plan lists them)",
          what, pk ? pk : "(not a string)");
  }
  return 0;
}

/* Invariant 5, after loading: the plugin's embedded manifest. */
static int check_embedded(rimport__dl *dl, const rimport_toolchain *tc,
                          const char *key, const char *what,
                          const char *dylib) {
  const char *(*manifest_fn)(void);
  const char *text, *got_key, *got_fp;
  void *sym = rimport__dl_sym(dl, "kayton_plugin_manifest");
  cJSON *j;
  const cJSON *abi;
  char num[64];
  int rc = 0;
  if (sym == NULL)
    return rimport__error_set(
        RIMPORT_EMISMATCH,
        "%s: \"%s\" exports no kayton_plugin_manifest, so it is not a rimport "
        "plugin (or was built from other templates); rebuild it with "
        "rimport_build",
        what, dylib);
  memcpy(&manifest_fn, &sym, sizeof(sym));
  text = manifest_fn();
  j = text ? cJSON_Parse(text) : NULL;
  if (j == NULL)
    return rimport__error_set(
        RIMPORT_EMISMATCH,
        "%s: the manifest embedded in \"%s\" is not JSON; rebuild the plugin "
        "with rimport_build",
        what, dylib);
  got_key = rimport__json_str(j, "key");
  got_fp = rimport__json_str(cJSON_GetObjectItemCaseSensitive(j, "rustc"),
                             "fingerprint");
  abi = cJSON_GetObjectItemCaseSensitive(j, "abi_version");
  if (got_key == NULL || strcmp(got_key, key) != 0)
    rc = rimport__error_set(
        RIMPORT_EMISMATCH,
        "%s: the loaded \"%s\" says it is the plugin with key %s, not %s; "
        "the cache entry holds another build's dylib — remove the entry "
        "(`rimport cache clear`) and rebuild",
        what, dylib, got_key ? got_key : "(none)", key);
  else if (got_fp == NULL || strcmp(got_fp, tc->fingerprint) != 0)
    rc = rimport__error_set(
        RIMPORT_EMISMATCH,
        "%s: the loaded \"%s\" was built by the Rust toolchain with "
        "fingerprint %s, but this session uses %s; rebuild the plugin with "
        "this toolchain",
        what, dylib, got_fp ? got_fp : "(none)", tc->fingerprint);
  else if (!same_number(abi, KAYTON_API_ABI_VERSION))
    rc = rimport__error_set(
        RIMPORT_EMISMATCH,
        "%s: the loaded \"%s\" speaks the kayton_api ABI version %s, but "
        "this host speaks %d; rebuild the plugin with this rimport",
        what, dylib, number_text(abi, num, sizeof(num)),
        KAYTON_API_ABI_VERSION);
  cJSON_Delete(j);
  return rc;
}

int rimport__loader_mark_in_use(const char *cache_dir, const char *crate,
                                const char *key) {
  rimport__marks *m;
  int rc;
  if (cache_dir == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "marking a cache entry in use: cache_dir is "
                              "NULL");
  if ((rc = marks_of(cache_dir, &m)) != 0)
    return rc;
  return rimport__marks_add(m, crate, key);
}

/* --- loading -------------------------------------------------------------- */

/* The wrapped crate's library from the manifest's "extern" ({"name",
 * "file"}): the file is in this entry's deps/ or, when a parent had it
 * already, in a loaded parent's. Absent or not found: left NULL. */
static int wrapped_lib(const rimport__loader *ld, const rimport__entry *e,
                       plugin *p) {
  const cJSON *ext = cJSON_GetObjectItemCaseSensitive(e->manifest, "extern");
  const char *name = rimport__json_str(ext, "name"),
             *file = rimport__json_str(ext, "file");
  rimport_buf path = RIMPORT_BUF_INIT;
  size_t i;
  int rc = 0;
  if (name == NULL || file == NULL || strchr(file, '/') != NULL ||
      strchr(file, '\\') != NULL)
    return 0;
  for (i = 0; i <= ld->plugin_count && rc == 0; i++) {
    const char *dir = i == 0 ? e->deps_dir : ld->plugins[i - 1]->deps_dir;
    if ((rc = rimport__path_join(&path, dir, file)) == 0 &&
        rimport__fs_is_file(path.ptr)) {
      p->lib_name = rimport__strdup(name);
      p->lib_path = rimport__buf_detach(&path);
      if (p->lib_name == NULL || p->lib_path == NULL)
        rc = rimport__error_nomem();
      break;
    }
  }
  rimport_buf_dispose(&path);
  return rc;
}

static int add_plugin(rimport__loader *ld, const rimport__entry *e,
                      const char *crate, const char *key, size_t lib_idx,
                      const rimport__loaded **out) {
  plugin *p;
  int rc;
  if ((rc = rimport__grow((void **)&ld->plugins, &ld->plugin_cap,
                          ld->plugin_count + 1, sizeof(*ld->plugins))) != 0)
    return rc;
  if ((p = rimport__calloc(1, sizeof(*p))) == NULL)
    return rimport__error_nomem();
  p->crate = rimport__strdup(crate);
  p->key = rimport__strdup(key);
  p->entry_dir = rimport__strdup(e->dir);
  p->dylib = rimport__strdup(e->dylib);
  p->deps_dir = rimport__strdup(e->deps_dir);
  if (!p->crate || !p->key || !p->entry_dir || !p->dylib || !p->deps_dir) {
    plugin_free(p);
    return rimport__error_nomem();
  }
  if ((rc = wrapped_lib(ld, e, p)) != 0) {
    plugin_free(p);
    return rc;
  }
  p->lib = lib_idx;
  p->pub.crate = p->crate;
  p->pub.key = p->key;
  p->pub.entry_dir = p->entry_dir;
  p->pub.dylib = p->dylib;
  p->pub.deps_dir = p->deps_dir;
  p->pub.lib_name = p->lib_name;
  p->pub.lib_path = p->lib_path;
  p->pub.index = ld->plugin_count;
  ld->plugins[ld->plugin_count++] = p;
  if (out)
    *out = &p->pub;
  return 0;
}

/* Loads kayton_api: the entry's deps/ copy, or (a stacked entry, which has
 * none) the one already loaded. */
static int load_kayton_api(rimport__loader *ld, const rimport__entry *e,
                           const char *what) {
  rimport_buf name = RIMPORT_BUF_INIT, path = RIMPORT_BUF_INIT,
              rel = RIMPORT_BUF_INIT;
  size_t idx;
  int rc;
  rc = rimport__buf_printf(&name, "%skayton_api%s", rimport__dl_prefix(),
                           rimport__dl_ext());
  if (rc == 0)
    rc = rimport__path_join(&path, e->deps_dir, name.ptr);
  if (rc == 0)
    rc = rimport__buf_printf(&rel, "deps/%s", name.ptr);
  if (rc == 0) {
    if (rimport__fs_is_file(path.ptr)) {
      rc = load_lib(ld, path.ptr, artifact_xxh3(e->manifest, rel.ptr), 1, &idx);
      if (rc == 0 && ld->api == 0)
        ld->api = idx + 1;
    } else if (!find_lib_base(ld, name.ptr, &idx))
      rc = rimport__error_set(
          RIMPORT_ELOAD,
          "loading %s failed: its entry %s has no %s in deps/ and no plugin "
          "loaded before it brought one; load the plugins it stacks on "
          "first, or rebuild it",
          what, e->dir, name.ptr);
  }
  rimport_buf_dispose(&name);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&rel);
  return rc;
}

int rimport__loader_load(rimport__loader *ld, const rimport_toolchain *tc,
                         const char *cache_dir, const char *crate,
                         const char *key, const rimport__loaded **out) {
  rimport__entry *e = NULL;
  rimport_buf what = RIMPORT_BUF_INIT;
  const rimport__loaded *done;
  size_t idx;
  int rc;
  if (out)
    *out = NULL;
  if (ld == NULL || tc == NULL || tc->fingerprint == NULL ||
      cache_dir == NULL || crate == NULL || key == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "loading a plugin: a required argument is NULL");
  if ((done = rimport__loader_find(ld, key)) != NULL) {
    if (out)
      *out = done;
    return 0;
  }
  if ((rc = rimport__buf_printf(&what, "plugin %s (%s)", crate, key)) != 0)
    return rc;
  /* In use before it is looked at: gc and clear then leave it alone (a
   * mark stays when the load fails: the library may be loaded anyway). */
  rc = rimport__loader_mark_in_use(cache_dir, crate, key);
  if (rc == 0)
    rc =
        rimport__cache_lookup(cache_dir, crate, key, RIMPORT__VERIFY_QUICK, &e);
  if (rc == RIMPORT_ENOTFOUND)
    rc = rimport__error_set(RIMPORT_ENOTFOUND,
                            "loading %s failed: there is no cache entry for "
                            "it under %s; build it first (rimport_build)",
                            what.ptr, cache_dir);
  else if (rc == RIMPORT_ECORRUPT)
    rimport__error_prefix("loading %s refused", what.ptr);
  if (rc == 0)
    rc = check_entry(ld, tc, e, what.ptr);
  if (rc == 0 && tc->std_dylib == NULL)
    rc = rimport__error_set(
        RIMPORT_ETOOLCHAIN,
        "loading %s failed: the toolchain %s has no std dylib in %s, and "
        "plugins link std dynamically; install the toolchain's rust-std "
        "component (rustup component add rust-std) or use a complete "
        "toolchain",
        what.ptr, tc->rustc ? tc->rustc : "rustc",
        tc->target_libdir ? tc->target_libdir : "its target-libdir");
  /* std → kayton_api → (parents, loaded already) → the plugin. */
  if (rc == 0)
    rc = rimport__loader_load_std(ld, tc);
  if (rc == 0)
    rc = load_kayton_api(ld, e, what.ptr);
  if (rc == 0)
    rc = load_lib(ld, e->dylib, NULL, 0, &idx);
  if (rc == 0)
    rc = check_embedded(ld->libs[idx].dl, tc, key, what.ptr, e->dylib);
  if (rc == 0)
    rc = add_plugin(ld, e, crate, key, idx, out);
  rimport__entry_free(e);
  rimport_buf_dispose(&what);
  return rc;
}

/* --- registering ---------------------------------------------------------- */

static const char *kayton_code_name(int32_t code) {
  switch (code) {
  case KAYTON_EINVAL:
    return "KAYTON_EINVAL";
  case KAYTON_ENOTFOUND:
    return "KAYTON_ENOTFOUND";
  case KAYTON_EKIND:
    return "KAYTON_EKIND";
  case KAYTON_ENOMEM:
    return "KAYTON_ENOMEM";
  case KAYTON_ERUST:
    return "KAYTON_ERUST: a panic or an error";
  default:
    return "an unknown code";
  }
}

int rimport__loader_register(rimport__loader *ld, const char *key,
                             KaytonContext *ctx,
                             rimport__last_error_fn last_error, void *payload) {
  int32_t (*reg)(KaytonContext *);
  plugin *p = find_plugin(ld, key);
  const char *text;
  void *sym;
  int32_t code;
  if (p == NULL || ctx == NULL)
    return rimport__error_set(
        RIMPORT_EINVAL,
        "registering the plugin %s: %s; load it first (rimport_load)",
        key ? key : "(null)",
        p == NULL ? "it is not loaded" : "the context is NULL");
  sym = rimport__dl_sym(ld->libs[p->lib].dl, "kayton_plugin_register_c");
  if (sym == NULL)
    return rimport__error_set(
        RIMPORT_EMISMATCH,
        "registering plugin %s (%s): \"%s\" exports no "
        "kayton_plugin_register_c; rebuild it with rimport_build",
        p->crate, p->key, p->dylib);
  memcpy(&reg, &sym, sizeof(sym));
  code = reg(ctx);
  if (code >= 0)
    return 0;
  text = last_error ? last_error(payload) : NULL;
  return rimport__error_set(
      RIMPORT_EPANIC,
      "registering plugin %s (%s) failed: kayton_plugin_register_c returned "
      "%d (%s)%s%s; a panic inside the plugin is caught and reported this "
      "way — fix the crate, or report it if the plugin was generated as is",
      p->crate, p->key, (int)code, kayton_code_name(code), text ? ": " : "",
      text ? text : "");
}

/* --- the public calls ----------------------------------------------------- */

int rimport__loader_load_built(rimport__loader *ld, const rimport_toolchain *tc,
                               const char *cache_dir,
                               const rimport_build_result *built) {
  size_t i, n = rimport_build_result_count(built);
  const rimport_built_plugin *ps = rimport_build_result_array(built);
  int rc = 0;
  for (i = 0; rc == 0 && i < n; i++)
    rc = rimport__loader_load(ld, tc, cache_dir, ps[i].crate, ps[i].key, NULL);
  return rc;
}

static const char *vm_last_error(void *payload) {
  return rimport__vm_last_error(payload);
}

int rimport__loader_register_new(rimport__loader *ld, KaytonContext *ctx,
                                 rimport__vm *vm) {
  int rc;
  for (; ld->registered < ld->plugin_count; ld->registered++) {
    if (vm != NULL)
      rimport__vm_cell_begin(vm); /* a fresh error record */
    rc = rimport__loader_register(ld, ld->plugins[ld->registered]->key, ctx,
                                  vm ? vm_last_error : NULL, vm);
    if (rc != 0) {
      ld->registered++; /* a failed plugin is not tried again */
      return rc;
    }
  }
  return 0;
}

int rimport_load(rimport_session *s, const rimport_build_result *built) {
  const rimport_toolchain *tc;
  int rc;
  if (s == NULL || built == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_load: session and build result are "
                              "needed");
  if ((rc = rimport_session_toolchain(s, &tc)) != 0)
    return rc;
  return rimport__loader_load_built(rimport__session_loader(s), tc,
                                    rimport__session_options(s)->cache_dir,
                                    built);
}

int rimport_register(rimport_session *s) {
  if (s == NULL)
    return rimport__error_set(RIMPORT_EINVAL, "rimport_register: no session");
  return rimport__loader_register_new(rimport__session_loader(s),
                                      rimport_session_context(s),
                                      rimport__session_vm(s));
}
