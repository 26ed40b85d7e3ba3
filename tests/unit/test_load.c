/* Preloading built plugins (src/load): real cargo on the local fixture
 * crates (no network: path crates, --offline), built through the public
 * API as test_build.c does; loaded std → kayton_api → plugin; the entry
 * refused before anything is loaded when its manifest or dylib does not
 * match (DESIGN.md invariants 4 and 5). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>
#endif

#include "support.h"
#include "cache/cache.h"
#include "common/common.h"
#include "common/fs.h"
#include "load/load.h"

/* Built entries are shared by the cases (and reused by later runs: the key
 * covers every input); a case that damages an entry damages a copy. */
static char shared_cache[4096];

static int setup(void **state) {
  (void)state;
  snprintf(shared_cache, sizeof(shared_cache), "%s/load-cache",
           rimport_test_tmp_base());
  return 0;
}

static int teardown(void **state) {
  (void)state;
  rimport_error_clear();
  return 0;
}

typedef struct built {
  rimport_session *s;
  const rimport_toolchain *tc;
  int count;
  char crate[4][64];
  char key[4][65];
  char entry_dir[4][4200];
} built;

/* 1 when the toolchain has a runtime DLL, which the loader loads before
 * std (windows-gnu), else 0: where std stands among the loaded. */
static size_t runtime(const built *b) {
  return b->tc->runtime_dll != NULL;
}

/* Plans and builds `cell` in the shared cache. */
static void build(const char *cell, built *b) {
  rimport_cell_plan *plan = NULL;
  rimport_build_result *r = NULL;
  const rimport_built_plugin *p;
  int i;
  memset(b, 0, sizeof(*b));
  b->s = rimport_test_session_open(shared_cache, NULL);
  plan = rimport_test_plan(b->s, cell);
  r = rimport_test_build(b->s, plan);
  if (rimport_session_toolchain(b->s, &b->tc) != 0)
    fail_msg("toolchain: %s", rimport_error_last()->message);
  b->count = (int)rimport_build_result_count(r);
  assert_true(b->count <= 4);
  p = rimport_build_result_array(r);
  for (i = 0; i < b->count; i++) {
    snprintf(b->crate[i], sizeof(b->crate[i]), "%s", p[i].crate);
    snprintf(b->key[i], sizeof(b->key[i]), "%s", p[i].key);
    snprintf(b->entry_dir[i], sizeof(b->entry_dir[i]), "%s", p[i].entry_dir);
  }
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
}

static void build_kitchen(built *b) {
  build(RIMPORT_TEST_KITCHEN, b);
  assert_int_equal(b->count, 1);
}

/* Copies the entry into a private cache <tmp>/cache/<crate>/<key> (key:
 * as_key, the manifest's "key" rewritten to match) and makes it writable.
 * Returns the private cache dir (static storage). */
static const char *copy_entry(const built *b, const char *name,
                              const char *as_key, char *entry, size_t size) {
  static char cache[4200];
  snprintf(cache, sizeof(cache), "%s/cache", rimport_test_tmpdir(name));
  if (snprintf(entry, size, "%s/%s/%s", cache, b->crate[0], as_key) >=
      (int)size)
    fail_msg("path too long: %s/%s/%s", cache, b->crate[0], as_key);
  rimport_test_copy_tree(b->entry_dir[0], entry);
  return cache;
}

/* Rewrites <entry>/manifest.json: member `name` of `obj` (NULL: the root)
 * set to `value` (a JSON text). */
static void edit_manifest(const char *entry, const char *obj, const char *name,
                          const char *value) {
  char path[4400];
  rimport_buf text = RIMPORT_BUF_INIT;
  cJSON *j, *where, *v;
  char *out;
  snprintf(path, sizeof(path), "%s/manifest.json", entry);
  assert_int_equal(rimport__fs_read_file(path, 1 << 24, &text), 0);
  j = cJSON_Parse(text.ptr);
  assert_non_null(j);
  where = obj ? cJSON_GetObjectItem(j, obj) : j;
  assert_non_null(where);
  v = cJSON_Parse(value);
  assert_non_null(v);
  assert_true(cJSON_ReplaceItemInObject(where, name, v));
  out = cJSON_PrintUnformatted(j);
  rimport_test_write_file(path, out);
  cJSON_free(out);
  cJSON_Delete(j);
  rimport_buf_dispose(&text);
}

static int first_name(const rimport__dirent *ent, void *payload) {
  return rimport__buf_puts(payload, ent->name) == 0 ? 1 : -1;
}

/* The plugin dylib of an entry (lib/ holds one file). */
static void entry_dylib(const char *entry, char *out, size_t size) {
  char lib[4400];
  rimport_buf name = RIMPORT_BUF_INIT;
  snprintf(lib, sizeof(lib), "%s/lib", entry);
  assert_int_equal(rimport__fs_list_dir(lib, first_name, &name), 1);
  if (snprintf(out, size, "%s/%s", lib, name.ptr) >= (int)size)
    fail_msg("path too long: %s/%s", lib, name.ptr);
  rimport_buf_dispose(&name);
}

/* --- a minimal host: stubs that count calls ------------------------------ */

static int host_kinds, host_reports;
static char host_error[512];

static int32_t h_register_kind(KaytonContext *c, const char *n, size_t l,
                               kayton_drop_fn d, KaytonKind *out) {
  (void)c;
  (void)n;
  (void)l;
  (void)d;
  *out = (KaytonKind)++host_kinds;
  return KAYTON_OK;
}
static int32_t h_set_global(KaytonContext *c, const char *n, size_t l,
                            KaytonKind k, void *p) {
  (void)c;
  (void)n;
  (void)l;
  (void)k;
  (void)p;
  return KAYTON_OK;
}
static int32_t h_get_global(KaytonContext *c, const char *n, size_t l,
                            KaytonKind k, void **out) {
  (void)c;
  (void)n;
  (void)l;
  (void)k;
  (void)out;
  return KAYTON_ENOTFOUND;
}
static int32_t h_new_handle(KaytonContext *c, KaytonKind k, void *p,
                            HKayRef *out) {
  (void)c;
  (void)k;
  (void)p;
  *out = 1;
  return KAYTON_OK;
}
static int32_t h_get_handle(KaytonContext *c, HKayRef h, KaytonKind k,
                            void **out) {
  (void)c;
  (void)h;
  (void)k;
  (void)out;
  return KAYTON_ENOTFOUND;
}
static int32_t h_ref(KaytonContext *c, HKayRef h) {
  (void)c;
  (void)h;
  return KAYTON_OK;
}
static void h_report(KaytonContext *c, int32_t level, const char *t, size_t l) {
  (void)c;
  (void)level;
  (void)t;
  (void)l;
  host_reports++;
}
static void h_set_error(KaytonContext *c, const char *t, size_t l) {
  (void)c;
  snprintf(host_error, sizeof(host_error), "%.*s", (int)l, t);
}
static const char *h_last_error(void *payload) {
  (void)payload;
  return host_error[0] ? host_error : NULL;
}

static const KaytonApi host_api = {sizeof(KaytonApi),
                                   KAYTON_API_ABI_VERSION,
                                   h_register_kind,
                                   h_set_global,
                                   h_get_global,
                                   h_new_handle,
                                   h_get_handle,
                                   h_ref,
                                   h_ref,
                                   h_report,
                                   h_set_error};

static KaytonContext host_context(void) {
  KaytonContext ctx;
  ctx.size = sizeof(ctx);
  ctx.abi_version = KAYTON_API_ABI_VERSION;
  ctx.host_data = NULL;
  ctx.api = &host_api;
  return ctx;
}

/* Non-zero when path ends with /deps/<the kayton_api dylib's file name>. */
static int is_kayton_api(const char *path) {
  rimport_buf name = RIMPORT_BUF_INIT, dir = RIMPORT_BUF_INIT;
  int yes;
  rimport_test_dylib_path(&name, NULL, "kayton_api");
  assert_int_equal(rimport__path_dir(path, &dir), 0);
  yes = strcmp(rimport__path_base(path), name.ptr) == 0 &&
        strcmp(rimport__path_base(dir.ptr), "deps") == 0;
  rimport_buf_dispose(&name);
  rimport_buf_dispose(&dir);
  return yes;
}

/* --- cases ---------------------------------------------------------------- */

static void loads_in_order_and_registers(void **state) {
  built b;
  rimport__loader *ld = NULL;
  const rimport__loaded *l = NULL, *again = NULL;
  const char *(*manifest)(void);
  KaytonContext ctx = host_context();
  void *sym;
  cJSON *j;
  (void)state;
  build_kitchen(&b);
  assert_int_equal(rimport__loader_new(&ld), 0);
  if (rimport__loader_load(ld, b.tc, shared_cache, "kitchen", b.key[0], &l) !=
      0)
    fail_msg("load: %s", rimport_error_last()->message);
  assert_non_null(l);
  assert_string_equal(l->key, b.key[0]);
  rimport_test_assert_path_equal(l->entry_dir, b.entry_dir[0]);
  assert_int_equal(l->index, 0);
  /* std → kayton_api → plugin, by absolute path. */
  assert_int_equal(rimport__loader_library_count(ld), 3 + runtime(&b));
  assert_string_equal(rimport__loader_library_path(ld, runtime(&b)),
                      b.tc->std_dylib);
  assert_true(is_kayton_api(rimport__loader_library_path(ld, 1 + runtime(&b))));
  assert_string_equal(rimport__loader_library_path(ld, 2 + runtime(&b)),
                      l->dylib);
  /* Its embedded manifest. */
  sym = rimport__loader_symbol(ld, b.key[0], "kayton_plugin_manifest");
  assert_non_null(sym);
  memcpy(&manifest, &sym, sizeof(sym));
  j = cJSON_Parse(manifest());
  assert_non_null(j);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "key")),
                      b.key[0]);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
                          cJSON_GetObjectItem(j, "rustc"), "fingerprint")),
                      b.tc->fingerprint);
  cJSON_Delete(j);
  assert_null(rimport__loader_symbol(ld, b.key[0], "no_such_symbol"));
  assert_null(rimport__loader_symbol(ld, "0123456789abcdef", "x"));
  /* Registering through the C entry point. */
  assert_int_equal(
      rimport__loader_register(ld, b.key[0], &ctx, h_last_error, NULL), 0);
  /* Loading it again is a no-op. */
  assert_int_equal(
      rimport__loader_load(ld, b.tc, shared_cache, "kitchen", b.key[0], &again),
      0);
  assert_ptr_equal(again, l);
  assert_int_equal(rimport__loader_library_count(ld), 3 + runtime(&b));
  assert_int_equal(rimport__loader_count(ld), 1);
  assert_ptr_equal(rimport__loader_at(ld, 0), l);
  assert_ptr_equal(rimport__loader_find(ld, b.key[0]), l);
  /* A context the plugin refuses: an error, not an abort. */
  ctx.abi_version = 99;
  rimport_test_assert_error(
      rimport__loader_register(ld, b.key[0], &ctx, h_last_error, NULL),
      RIMPORT_EPANIC, "kayton_plugin_register_c returned");
  rimport_test_assert_error(
      rimport__loader_register(ld, "0123456789abcdef", &ctx, NULL, NULL),
      RIMPORT_EINVAL, "not loaded");
  rimport__loader_free(ld);
  rimport_session_close(b.s);
}

/* Refused before anything is loaded: the loader loaded no library. */
static void assert_refused(const built *b, const char *cache, const char *key,
                           int code, const char *needle) {
  rimport__loader *ld = NULL;
  const rimport__loaded *l = NULL;
  assert_int_equal(rimport__loader_new(&ld), 0);
  rimport_test_assert_error(
      rimport__loader_load(ld, b->tc, cache, b->crate[0], key, &l), code,
      needle);
  assert_null(l);
  assert_int_equal(rimport__loader_library_count(ld), 0);
  assert_int_equal(rimport__loader_count(ld), 0);
  rimport__loader_free(ld);
}

static void other_toolchain_is_refused(void **state) {
  built b;
  char entry[4400];
  const char *cache;
  (void)state;
  build_kitchen(&b);
  cache = copy_entry(&b, "load-fp", b.key[0], entry, sizeof(entry));
  edit_manifest(entry, "toolchain", "fingerprint",
                "\"00000000000000000000000000000000\"");
  assert_refused(&b, cache, b.key[0], RIMPORT_EMISMATCH,
                 "00000000000000000000000000000000");
  assert_non_null(strstr(rimport_error_last()->message, b.tc->fingerprint));
  assert_non_null(strstr(rimport_error_last()->message, "rebuild"));
  rimport_session_close(b.s);
}

static void other_abi_is_refused(void **state) {
  built b;
  char entry[4400];
  const char *cache;
  (void)state;
  build_kitchen(&b);
  cache = copy_entry(&b, "load-abi", b.key[0], entry, sizeof(entry));
  edit_manifest(entry, NULL, "kayton_abi", "999");
  assert_refused(&b, cache, b.key[0], RIMPORT_EMISMATCH, "version 999");
  assert_non_null(strstr(rimport_error_last()->message, "speaks version 1"));
  rimport_session_close(b.s);
}

static void altered_byte_is_corrupt(void **state) {
  built b;
  char entry[4400], dylib[4400];
  const char *cache;
  rimport__stat st;
  (void)state;
  build_kitchen(&b);
  cache = copy_entry(&b, "load-byte", b.key[0], entry, sizeof(entry));
  entry_dylib(entry, dylib, sizeof(dylib));
  assert_int_equal(rimport__fs_stat(dylib, &st), 0);
  assert_true(st.size > 1000);
  rimport_test_flip_byte(dylib, (long)(st.size / 2), 0x5a);
  assert_refused(&b, cache, b.key[0], RIMPORT_ECORRUPT, "has XXH3");
  rimport_session_close(b.s);
}

static void truncated_dylib_is_corrupt(void **state) {
  built b;
  char entry[4400], dylib[4400];
  const char *cache;
  rimport__stat st;
  (void)state;
  build_kitchen(&b);
  cache = copy_entry(&b, "load-trunc", b.key[0], entry, sizeof(entry));
  entry_dylib(entry, dylib, sizeof(dylib));
  assert_int_equal(rimport__fs_stat(dylib, &st), 0);
  rimport_test_truncate(dylib, st.size / 2);
  assert_refused(&b, cache, b.key[0], RIMPORT_ECORRUPT, "bytes");
  rimport_session_close(b.s);
}

/* An entry whose manifest passes, holding a dylib that is another key's:
 * the plugin's embedded manifest gives it away after loading. */
static void embedded_manifest_is_checked(void **state) {
  static const char other[] = "0123456789abcdef0123456789abcdef";
  built b;
  char entry[4400], quoted[64];
  const char *cache;
  rimport__loader *ld = NULL;
  (void)state;
  build_kitchen(&b);
  cache = copy_entry(&b, "load-embedded", other, entry, sizeof(entry));
  snprintf(quoted, sizeof(quoted), "\"%s\"", other);
  edit_manifest(entry, NULL, "key", quoted);
  assert_int_equal(rimport__loader_new(&ld), 0);
  rimport_test_assert_error(
      rimport__loader_load(ld, b.tc, cache, "kitchen", other, NULL),
      RIMPORT_EMISMATCH, "says it is the plugin with key");
  assert_non_null(strstr(rimport_error_last()->message, b.key[0]));
  /* std, kayton_api and the dylib were loaded (and stay), but no plugin. */
  assert_int_equal(rimport__loader_library_count(ld), 3 + runtime(&b));
  assert_int_equal(rimport__loader_count(ld), 0);
  assert_null(rimport__loader_find(ld, other));
  assert_null(rimport__loader_symbol(ld, other, "kayton_plugin_manifest"));
  rimport__loader_free(ld);
  rimport_session_close(b.s);
}

/* No build needed (so it runs where cargo cannot): a cache whose kitchen
 * directory holds no entry for the key, and the fixed toolchain record. */
static void missing_entry_is_not_found(void **state) {
  static const char key[] = "ffffffffffffffffffffffffffffffff";
  rimport__loader *ld = NULL;
  char cache[4200], crate[4300];
  (void)state;
  snprintf(cache, sizeof(cache), "%s/cache",
           rimport_test_tmpdir("load-missing"));
  snprintf(crate, sizeof(crate), "%s/kitchen", cache);
  assert_int_equal(rimport__fs_mkdir_p(crate), 0);
  assert_int_equal(rimport__loader_new(&ld), 0);
  rimport_test_assert_error(rimport__loader_load(ld,
                                                 &rimport_test_fake_toolchain,
                                                 cache, "kitchen", key, NULL),
                            RIMPORT_ENOTFOUND, "rimport_build");
  rimport_test_assert_error(RIMPORT_ENOTFOUND, RIMPORT_ENOTFOUND, cache);
  rimport_test_assert_error(rimport__loader_load(ld,
                                                 &rimport_test_fake_toolchain,
                                                 cache, "../x", key, NULL),
                            RIMPORT_EINVAL, NULL);
  assert_int_equal(rimport__loader_library_count(ld), 0);
  assert_int_equal(rimport__loader_count(ld), 0);
  rimport__loader_free(ld);
  rimport__loader_free(NULL);
}

/* counter_b stacks on counter_a: loaded after it, they share std and
 * kayton_api, and both register. */
static void stacked_plugins_load_in_order(void **state) {
  built b;
  rimport__loader *ld = NULL;
  const rimport__loaded *a = NULL, *bb = NULL;
  KaytonContext ctx = host_context();
  (void)state;
  build("rimport counter_a(path=\"counter_a\")\n"
        "rimport counter_b(path=\"counter_b\")\n",
        &b);
  assert_int_equal(b.count, 2);
  /* The child before its parent is refused, before loading anything. */
  assert_int_equal(rimport__loader_new(&ld), 0);
  rimport_test_assert_error(
      rimport__loader_load(ld, b.tc, shared_cache, b.crate[1], b.key[1], NULL),
      RIMPORT_EINVAL, b.key[0]);
  assert_int_equal(rimport__loader_library_count(ld), 0);
  /* In stack order. */
  if (rimport__loader_load(ld, b.tc, shared_cache, b.crate[0], b.key[0], &a) !=
      0)
    fail_msg("load a: %s", rimport_error_last()->message);
  if (rimport__loader_load(ld, b.tc, shared_cache, b.crate[1], b.key[1], &bb) !=
      0)
    fail_msg("load b: %s", rimport_error_last()->message);
  assert_int_equal(a->index, 0);
  assert_int_equal(bb->index, 1);
  assert_int_equal(rimport__loader_library_count(ld), 4 + runtime(&b));
  assert_string_equal(rimport__loader_library_path(ld, runtime(&b)),
                      b.tc->std_dylib);
  assert_true(is_kayton_api(rimport__loader_library_path(ld, 1 + runtime(&b))));
  assert_string_equal(rimport__loader_library_path(ld, 2 + runtime(&b)),
                      a->dylib);
  assert_string_equal(rimport__loader_library_path(ld, 3 + runtime(&b)),
                      bb->dylib);
  assert_int_equal(rimport__loader_register(ld, b.key[0], &ctx, NULL, NULL), 0);
  assert_int_equal(rimport__loader_register(ld, b.key[1], &ctx, NULL, NULL), 0);
  rimport__loader_free(ld);
  rimport_session_close(b.s);
}

/* load <cache> <crate> <key> <ready> <done>: loads the plugin (the
 * toolchain of a session on <cache>), says so in <ready>, and once <done>
 * exists checks that it still works and that its entry is whole. */
static int child_load(int argc, char **argv) {
  rimport_session_options opts = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s = NULL;
  const rimport_toolchain *tc = NULL;
  rimport__loader *ld = NULL;
  rimport__entry *e = NULL;
  const char *(*manifest)(void);
  void *sym;
  cJSON *j;
  (void)argc;
  opts.cache_dir = argv[1];
  opts.offline = 1;
  if (rimport_session_open(&s, &opts) != 0 ||
      rimport_session_toolchain(s, &tc) != 0 || rimport__loader_new(&ld) != 0 ||
      rimport__loader_load(ld, tc, argv[1], argv[2], argv[3], NULL) != 0 ||
      rimport__fs_write_atomic(argv[4], "ready\n", 6) != 0) {
    fprintf(stderr, "child load: %s\n", rimport_error_last()->message);
    return 1;
  }
  if (!rimport_test_wait_for_file(argv[5], 60000))
    return 3;
  sym = rimport__loader_symbol(ld, argv[3], "kayton_plugin_manifest");
  if (sym == NULL)
    return 4;
  memcpy(&manifest, &sym, sizeof(sym));
  j = cJSON_Parse(manifest());
  if (j == NULL)
    return 5;
  cJSON_Delete(j);
  if (rimport__cache_lookup(argv[1], argv[2], argv[3], RIMPORT__VERIFY_FULL,
                            &e) != 0) {
    fprintf(stderr, "child load: %s\n", rimport_error_last()->message);
    return 6;
  }
  rimport__entry_free(e);
  rimport__loader_free(ld);
  rimport_session_close(s);
  return 0;
}

static int child_main(int argc, char **argv) {
  static const rimport_test_child_def children[] = {
      {"load", child_load, 6},
  };
  return rimport_test_child_dispatch(children, RIMPORT__ARRAY_SIZE(children),
                                     argc, argv);
}

typedef struct kept_log {
  int kept;
  char path[4300];
  char reason[512];
} kept_log;

static void on_gc(const char *path, unsigned long long bytes, const char *kept,
                  void *payload) {
  kept_log *log = payload;
  (void)bytes;
  if (kept == NULL)
    return;
  log->kept++;
  snprintf(log->path, sizeof(log->path), "%s", path);
  snprintf(log->reason, sizeof(log->reason), "%s", kept);
}

/* `rimport cache clear` and `gc` while another process has the plugin's
 * DLL loaded: the entry stays, named with the reason, the rest goes, and
 * the plugin goes on working in that process. */
static void clear_spares_a_plugin_loaded_elsewhere(void **state) {
  built b;
  char entry[4300], ready[4300], done[4300], who[64], p[4400];
  const char *cache;
  const char *args[] = {"load", NULL, NULL, NULL, ready, done, NULL};
  rimport_test_child *c;
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  kept_log log;
  (void)state;
  build_kitchen(&b);
  cache = copy_entry(&b, "load-inuse", b.key[0], entry, sizeof(entry));
  snprintf(ready, sizeof(ready), "%s/../ready", cache);
  snprintf(done, sizeof(done), "%s/../done", cache);
  args[1] = cache;
  args[2] = b.crate[0];
  args[3] = b.key[0];
  c = rimport_test_child_start(args, 0);
  if (!rimport_test_wait_for_file(ready, 120000)) {
    rimport_test_child_wait(c, &out);
    fail_msg("the loading child did not get ready (exit %d)", (int)out.status);
  }

  memset(&log, 0, sizeof(log));
  if (rimport__cache_gc_report(cache, on_gc, &log, NULL) != 0)
    fail_msg("gc: %s", rimport_error_last()->message);
  assert_int_equal(log.kept, 0); /* a whole entry: gc leaves it anyway */
  if (rimport__cache_clear_report(cache, on_gc, &log) != 0)
    fail_msg("clear: %s", rimport_error_last()->message);
  assert_int_equal(log.kept, 1);
  rimport_test_assert_path_equal(log.path, entry);
  snprintf(who, sizeof(who), "process %d has it loaded",
           rimport_test_child_pid(c));
  if (strstr(log.reason, who) == NULL &&
      strstr(log.reason, "a running process has it loaded") == NULL)
    fail_msg("reason: %s", log.reason);
  snprintf(p, sizeof(p), "%s/toolchain", cache);
  assert_false(rimport__fs_is_dir(p)); /* the rest went */

  rimport_test_write_file(done, "done\n");
  rimport_test_child_wait(c, &out);
  if (out.status != 0)
    fail_msg("the loading child ended with %d", (int)out.status);
  rimport_test_output_free(&out);
  /* Its process ended: the entry goes too. */
  memset(&log, 0, sizeof(log));
  if (rimport__cache_clear_report(cache, on_gc, &log) != 0)
    fail_msg("clear: %s", rimport_error_last()->message);
  assert_int_equal(log.kept, 0);
  assert_false(rimport__fs_is_dir(entry));
  rimport_session_close(b.s);
}

/* Descriptors open below 1024 (Windows: 0, not counted). */
static int open_descriptors(void) {
  int n = 0;
#ifndef _WIN32
  int fd;
  for (fd = 0; fd < 1024; fd++)
    if (fcntl(fd, F_GETFD) != -1)
      n++;
#endif
  return n;
}

/* Lines of the one .keys file in <cache>/_sessions (0: none). */
typedef struct keys_count {
  const char *dir;
  int files, lines;
} keys_count;

static int count_keys(const rimport__dirent *ent, void *payload) {
  keys_count *k = payload;
  rimport_buf text = RIMPORT_BUF_INIT;
  char p[4300];
  size_t i, n = strlen(ent->name);
  if (n < 5 || strcmp(ent->name + n - 5, ".keys") != 0)
    return 0;
  k->files++;
  snprintf(p, sizeof(p), "%s/%s", k->dir, ent->name);
  assert_int_equal(rimport__fs_read_file(p, 1u << 24, &text), 0);
  for (i = 0; i < text.size; i++)
    k->lines += text.ptr[i] == '\n';
  rimport_buf_dispose(&text);
  return 0;
}

static keys_count session_keys(const char *cache) {
  keys_count k;
  char dir[4300];
  snprintf(dir, sizeof(dir), "%s/_sessions", cache);
  memset(&k, 0, sizeof(k));
  k.dir = dir;
  if (rimport__fs_is_dir(dir) && rimport__fs_list_dir(dir, count_keys, &k) != 0)
    fail_msg("listing %s: %s", dir, rimport_error_last()->message);
  return k;
}

/* The loader's marks (what rimport__loader_load and every cell compile
 * make) on 200 entries, under a limit of 64 descriptors: the process
 * holds two for them (its session lock and list), not one per entry as
 * before; a second cache gets its own pair. */
static void marks_of_many_entries_hold_two_descriptors(void **state) {
  char cache[4300], other[4300], p[4400], key[33];
  const char *tmp = rimport_test_tmpdir("load-marks");
  unsigned long long saved;
  keys_count k;
  int before, i;
  (void)state;
  snprintf(cache, sizeof(cache), "%s/cache", tmp);
  snprintf(other, sizeof(other), "%s/other", tmp);
  snprintf(p, sizeof(p), "%s/kayton_cell", cache);
  assert_int_equal(rimport__fs_mkdir_p(p), 0); /* every fence opens a file */
  saved = rimport_test_limit_descriptors(64);
  before = open_descriptors();
  for (i = 0; i < 200; i++) {
    snprintf(key, sizeof(key), "%032x", (unsigned int)i);
    if (rimport__loader_mark_in_use(cache, "kayton_cell", key) != 0)
      fail_msg("mark %d: %s", i, rimport_error_last()->message);
  }
  for (i = 0; i < 200; i += 7) { /* again: nothing new */
    snprintf(key, sizeof(key), "%032x", (unsigned int)i);
    assert_int_equal(rimport__loader_mark_in_use(cache, "kayton_cell", key), 0);
  }
  assert_true(open_descriptors() - before <= 2);
  k = session_keys(cache);
  assert_int_equal(k.files, 1);
  assert_int_equal(k.lines, 201); /* the header and a line per key */
  assert_int_equal(rimport__loader_mark_in_use(other, "kayton_cell", key), 0);
  assert_true(open_descriptors() - before <= 4);
  k = session_keys(other);
  assert_int_equal(k.files, 1);
  assert_int_equal(k.lines, 2);
  rimport_test_assert_error(rimport__loader_mark_in_use(cache, "../x", key),
                            RIMPORT_EINVAL, "../x");
  rimport_test_restore_descriptors(saved);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(loads_in_order_and_registers, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(other_toolchain_is_refused, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(other_abi_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(altered_byte_is_corrupt, setup, teardown),
    cmocka_unit_test_setup_teardown(truncated_dylib_is_corrupt, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(embedded_manifest_is_checked, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(missing_entry_is_not_found, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(stacked_plugins_load_in_order, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(clear_spares_a_plugin_loaded_elsewhere,
                                    setup, teardown),
    cmocka_unit_test(marks_of_many_entries_hold_two_descriptors),
};

RIMPORT_TEST_MAIN(tests, child_main)
