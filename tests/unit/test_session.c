/* The public calls' argument and version checks, the _init() functions, and
 * session open/close on good and unusable cache directories (src/session.c
 * and the public call of each stage). Nothing here runs a toolchain. */
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "support.h"
#include "common/common.h"
#include "common/fs.h"
#include "kayton_api.h"

/* A session on a scratch cache directory. */
static rimport_session *scratch_session(const char *name) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s = NULL;
  char dir[4200];
  snprintf(dir, sizeof(dir), "%s/cache", rimport_test_tmpdir(name));
  o.cache_dir = dir;
  if (rimport_session_open(&s, &o) != 0)
    fail_msg("session: %s", rimport_error_last()->message);
  return s;
}

static void init_functions_give_the_init_macros(void **state) {
  rimport_session_options so, so_init = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_plan_options po, po_init = RIMPORT_PLAN_OPTIONS_INIT;
  rimport_cell_options co, co_init = RIMPORT_CELL_OPTIONS_INIT;
  (void)state;
  memset(&so, 0xab, sizeof(so));
  memset(&po, 0xab, sizeof(po));
  memset(&co, 0xab, sizeof(co));
  assert_int_equal(
      rimport_session_options_init(&so, RIMPORT_SESSION_OPTIONS_VERSION), 0);
  assert_int_equal(rimport_plan_options_init(&po, RIMPORT_PLAN_OPTIONS_VERSION),
                   0);
  assert_int_equal(rimport_cell_options_init(&co, RIMPORT_CELL_OPTIONS_VERSION),
                   0);
  assert_int_equal(so.version, so_init.version);
  assert_null(so.cache_dir);
  assert_null(so.context);
  assert_null(so.output);
  assert_int_equal(so.source_kind, RIMPORT_SOURCE_DEFAULT);
  assert_int_equal(so.jobs, 0);
  assert_int_equal(po.version, po_init.version);
  assert_null(po.base_dir);
  assert_null(po.origin);
  assert_int_equal(co.version, co_init.version);
  assert_null(co.source_path);
  assert_int_equal(co.first_line, 0);
}

static void init_functions_check_their_arguments(void **state) {
  rimport_session_options so;
  rimport_plan_options po;
  rimport_cell_options co;
  (void)state;
  rimport_test_assert_error(
      rimport_session_options_init(NULL, RIMPORT_SESSION_OPTIONS_VERSION),
      RIMPORT_EINVAL, "rimport_session_options_init: opts is NULL");
  rimport_test_assert_error(
      rimport_session_options_init(&so, RIMPORT_SESSION_OPTIONS_VERSION + 1),
      RIMPORT_EVERSION, "RIMPORT_SESSION_OPTIONS_INIT");
  rimport_test_assert_error(
      rimport_plan_options_init(NULL, RIMPORT_PLAN_OPTIONS_VERSION),
      RIMPORT_EINVAL, "rimport_plan_options_init");
  rimport_test_assert_error(rimport_plan_options_init(&po, 0), RIMPORT_EVERSION,
                            "rimport_plan_options version 0 is not known");
  rimport_test_assert_error(
      rimport_cell_options_init(NULL, RIMPORT_CELL_OPTIONS_VERSION),
      RIMPORT_EINVAL, "rimport_cell_options_init");
  rimport_test_assert_error(rimport_cell_options_init(&co, 77),
                            RIMPORT_EVERSION,
                            "rimport_cell_options_init() from the rimport.h");
}

/* Every versioned options struct is checked the same way, by the call that
 * takes it, before anything else happens. */
static void options_versions_are_checked(void **state) {
  rimport_session_options so = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_plan_options po = RIMPORT_PLAN_OPTIONS_INIT;
  rimport_cell_options co = RIMPORT_CELL_OPTIONS_INIT;
  rimport_session *s = NULL, *ok = scratch_session("session-versions");
  rimport_cell_plan *plan = (rimport_cell_plan *)1;
  rimport_cell *cell = (rimport_cell *)1;
  (void)state;
  so.version = 99;
  rimport_test_assert_error(rimport_session_open(&s, &so), RIMPORT_EVERSION,
                            "rimport_session_open: rimport_session_options "
                            "version 99 is not known");
  assert_null(s);
  po.version = 2;
  rimport_test_assert_error(rimport_plan(ok, NULL, 0, &po, &plan),
                            RIMPORT_EVERSION,
                            "rimport_plan: rimport_plan_options version 2");
  assert_null(plan);
  co.version = 0;
  rimport_test_assert_error(rimport_cell_compile(ok, "", 0, NULL, &co, &cell),
                            RIMPORT_EVERSION,
                            "rimport_cell_compile: rimport_cell_options "
                            "version 0");
  assert_null(cell);
  rimport_session_close(ok);
}

/* A version-1 struct (a caller built against the rimport.h before
 * shared_cache_dir) is filled and taken without touching the later
 * fields, which get their defaults. */
static void version_1_options_still_work(void **state) {
  /* Room for a v1 struct and a guard after it. */
  union {
    rimport_session_options o;
    unsigned char bytes[sizeof(rimport_session_options)];
  } u;
  size_t v1 = offsetof(rimport_session_options, shared_cache_dir), i;
  rimport_session *s = NULL;
  rimport_buf dir = RIMPORT_BUF_INIT;
  (void)state;
  memset(&u, 0xab, sizeof(u));
  assert_int_equal(rimport_session_options_init(&u.o, 1), 0);
  assert_int_equal(u.o.version, 1);
  for (i = v1; i < sizeof(u.bytes); i++)
    assert_int_equal(u.bytes[i], 0xab);
  rimport__buf_printf(&dir, "%s/cache",
                      rimport_test_tmpdir("session-v1-options"));
  u.o.cache_dir = dir.ptr;
  rimport_test_setenv("RIMPORT_SHARED_CACHE_DIR", NULL);
  assert_int_equal(rimport_session_open(&s, &u.o), 0);
  assert_null(rimport_session_shared_cache_dir(s, NULL));
  rimport_session_close(s);
  rimport_buf_dispose(&dir);
}

/* The shared cache from the environment when the option is NULL, made
 * absolute; "" is none; the local cache itself is refused. */
static void shared_cache_comes_from_option_or_environment(void **state) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s = NULL;
  rimport_buf cache = RIMPORT_BUF_INIT, tier = RIMPORT_BUF_INIT;
  const char *tmp = rimport_test_tmpdir("session-shared");
  int ro = -1;
  (void)state;
  rimport__buf_printf(&cache, "%s/cache", tmp);
  rimport__buf_printf(&tier, "%s/tier", tmp);
  assert_int_equal(rimport__fs_mkdir_p(tier.ptr), 0);
  o.cache_dir = cache.ptr;
  rimport_test_setenv("RIMPORT_SHARED_CACHE_DIR", tier.ptr);
  rimport_test_setenv("RIMPORT_SHARED_CACHE_READONLY", "1");
  assert_int_equal(rimport_session_open(&s, &o), 0);
  assert_non_null(rimport_session_shared_cache_dir(s, &ro));
  assert_true(rimport_test_path_ends_with(
      rimport_session_shared_cache_dir(s, NULL), "/tier"));
  assert_int_equal(ro, 1);
  rimport_session_close(s);
  /* the option wins; "" is none */
  rimport_test_setenv("RIMPORT_SHARED_CACHE_READONLY", NULL);
  o.shared_cache_dir = "";
  assert_int_equal(rimport_session_open(&s, &o), 0);
  assert_null(rimport_session_shared_cache_dir(s, &ro));
  assert_int_equal(ro, 0);
  rimport_session_close(s);
  /* the local cache itself */
  o.shared_cache_dir = cache.ptr;
  rimport_test_assert_error(rimport_session_open(&s, &o), RIMPORT_EINVAL,
                            "is the local cache directory itself");
  assert_null(s);
  rimport_test_setenv("RIMPORT_SHARED_CACHE_DIR", NULL);
  rimport_buf_dispose(&cache);
  rimport_buf_dispose(&tier);
}

static void calls_refuse_null_arguments(void **state) {
  rimport_session *s = scratch_session("session-null");
  rimport_cell_plan *plan = NULL;
  rimport_build_result *built = NULL;
  rimport_cell *cell = NULL;
  rimport_extra_deps *deps = NULL;
  rimport_buf out = RIMPORT_BUF_INIT;
  const rimport_toolchain *tc = NULL;
  (void)state;
  rimport_test_assert_error(rimport_session_open(NULL, NULL), RIMPORT_EINVAL,
                            "out is NULL");
  rimport_test_assert_error(rimport_session_toolchain(NULL, &tc),
                            RIMPORT_EINVAL, "rimport_session_toolchain");
  rimport_test_assert_error(rimport_session_toolchain(s, NULL), RIMPORT_EINVAL,
                            "rimport_session_toolchain");
  rimport_test_assert_error(rimport_plan(NULL, NULL, 0, NULL, &plan),
                            RIMPORT_EINVAL, "rimport_plan");
  rimport_test_assert_error(rimport_plan(s, NULL, 1, NULL, &plan),
                            RIMPORT_EINVAL, "imports are needed");
  rimport_test_assert_error(rimport_plan(s, NULL, 0, NULL, NULL),
                            RIMPORT_EINVAL, "rimport_plan");
  rimport_test_assert_error(rimport_build(NULL, NULL, &built), RIMPORT_EINVAL,
                            "rimport_build");
  rimport_test_assert_error(rimport_build(s, NULL, &built), RIMPORT_EINVAL,
                            "plan and out are needed");
  assert_null(built);
  rimport_test_assert_error(rimport_load(NULL, NULL), RIMPORT_EINVAL,
                            "rimport_load");
  rimport_test_assert_error(rimport_load(s, NULL), RIMPORT_EINVAL,
                            "build result");
  rimport_test_assert_error(rimport_register(NULL), RIMPORT_EINVAL,
                            "rimport_register");
  rimport_test_assert_error(
      rimport_cell_compile(NULL, "", 0, NULL, NULL, &cell), RIMPORT_EINVAL,
      "rimport_cell_compile");
  rimport_test_assert_error(rimport_cell_compile(s, NULL, 3, NULL, NULL, &cell),
                            RIMPORT_EINVAL, "the cell's text");
  rimport_test_assert_error(rimport_cell_compile(s, "", 0, NULL, NULL, NULL),
                            RIMPORT_EINVAL, "rimport_cell_compile");
  rimport_test_assert_error(rimport_cell_run(NULL, NULL, &out), RIMPORT_EINVAL,
                            "rimport_cell_run");
  rimport_test_assert_error(rimport_cell_run(s, NULL, &out), RIMPORT_EINVAL,
                            "session and cell");
  rimport_test_assert_error(rimport_session_extra_deps(NULL, &deps),
                            RIMPORT_EINVAL, "rimport_session_extra_deps");
  rimport_test_assert_error(rimport_session_extra_deps(s, NULL), RIMPORT_EINVAL,
                            "rimport_session_extra_deps");
  rimport_test_assert_error(rimport_extra_deps_cargo_toml(NULL, "c", &out),
                            RIMPORT_EINVAL, "rimport_extra_deps_cargo_toml");
  rimport_test_assert_error(rimport_cell_plan_to_json(NULL, 0, &out),
                            RIMPORT_EINVAL, "plan and out");
  assert_null(rimport_session_context(NULL));
  assert_null(rimport_session_cache_dir(NULL));
  assert_null(rimport_cell_dylib(NULL));
  assert_int_equal(rimport_cell_plan_count(NULL), 0);
  assert_null(rimport_cell_plan_array(NULL));
  assert_int_equal(rimport_build_result_count(NULL), 0);
  assert_null(rimport_build_result_array(NULL));
  assert_int_equal(rimport_extra_deps_count(NULL), 0);
  assert_null(rimport_extra_deps_array(NULL));
  assert_int_equal(rimport_imports_count(NULL), 0);
  assert_null(rimport_imports_array(NULL));
  /* Frees and cancel accept NULL. */
  rimport_cancel(NULL);
  rimport_cell_plan_free(NULL);
  rimport_build_result_free(NULL);
  rimport_cell_free(NULL);
  rimport_extra_deps_free(NULL);
  rimport_imports_free(NULL);
  rimport_session_close(NULL);
  rimport_buf_dispose(&out);
  rimport_session_close(s);
}

/* What a session can do before it has built anything: no child process. */
static void a_fresh_session(void **state) {
  rimport_session *s = scratch_session("session-fresh");
  rimport_extra_deps *deps = NULL;
  rimport_buf toml = RIMPORT_BUF_INIT;
  KaytonContext *ctx;
  (void)state;
  assert_non_null(rimport_session_cache_dir(s));
  assert_non_null(strstr(rimport_session_cache_dir(s), "session-fresh"));
  /* The reference VM is the context when the host gave none. */
  ctx = rimport_session_context(s);
  assert_non_null(ctx);
  assert_int_equal(ctx->abi_version, KAYTON_API_ABI_VERSION);
  assert_ptr_equal(rimport_session_context(s), ctx);
  /* Nothing loaded: registering does nothing; no dependencies yet. */
  assert_int_equal(rimport_register(s), 0);
  assert_int_equal(rimport_session_extra_deps(s, &deps), 0);
  assert_int_equal(rimport_extra_deps_count(deps), 0);
  assert_null(rimport_extra_deps_array(deps));
  assert_int_equal(rimport_extra_deps_cargo_toml(deps, "empty_cell", &toml), 0);
  assert_non_null(strstr(toml.ptr, "name = \"empty_cell\""));
  assert_non_null(strstr(toml.ptr, "[profile.release]"));
  assert_non_null(strstr(toml.ptr, "crate-type = [\"dylib\"]"));
  rimport_extra_deps_free(deps);
  rimport_buf_dispose(&toml);
  /* Canceling while nothing runs is harmless. */
  rimport_cancel(s);
  rimport_session_close(s);
}

/* The host's own context is handed out as it is; the session makes no VM. */
static void a_host_context(void **state) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s = NULL;
  KaytonContext host;
  char dir[4200];
  (void)state;
  memset(&host, 0, sizeof(host));
  host.size = sizeof(host);
  host.abi_version = KAYTON_API_ABI_VERSION;
  snprintf(dir, sizeof(dir), "%s/cache", rimport_test_tmpdir("session-host"));
  o.cache_dir = dir;
  o.context = &host;
  assert_int_equal(rimport_session_open(&s, &o), 0);
  assert_ptr_equal(rimport_session_context(s), &host);
  rimport_session_close(s);
}

static void bad_sources_are_refused(void **state) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s = NULL;
  (void)state;
  o.source_kind = (rimport_source_kind)7;
  rimport_test_assert_error(rimport_session_open(&s, &o), RIMPORT_EINVAL,
                            "source_kind 7");
  o.source_kind = RIMPORT_SOURCE_DIRECTORY;
  rimport_test_assert_error(rimport_session_open(&s, &o), RIMPORT_EINVAL,
                            "needs `source` (the crate directory)");
  o.source = "/nonexistent/registry";
  rimport_test_assert_error(rimport_session_open(&s, &o), RIMPORT_ENOTFOUND,
                            "\"/nonexistent/registry\" is not a directory");
  o.source_kind = RIMPORT_SOURCE_CONFIG;
  o.source = "/nonexistent/config.toml";
  rimport_test_assert_error(rimport_session_open(&s, &o), RIMPORT_ENOTFOUND,
                            "\"/nonexistent/config.toml\" does not exist");
  assert_null(s);
}

/* A cache directory that cannot be made or written is refused when the
 * session opens, naming the directory and what to do. (A read-only
 * directory means nothing to root, who runs CI: a path under a regular
 * file fails for everyone.) */
static void unusable_cache_dir(void **state) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s = NULL;
  char file[4200], dir[4300];
  const rimport_error *e;
  (void)state;
  snprintf(file, sizeof(file), "%s/a-file",
           rimport_test_tmpdir("session-unusable"));
  rimport_test_write_file(file, "not a directory\n");
  snprintf(dir, sizeof(dir), "%s/cache", file);
  o.cache_dir = dir;
  assert_int_not_equal(rimport_session_open(&s, &o), 0);
  assert_null(s);
  e = rimport_error_last();
  assert_non_null(strstr(e->message, dir));
  assert_non_null(strstr(e->message, "is not usable"));
  assert_non_null(strstr(e->message, "RIMPORT_CACHE_DIR"));
  o.cache_dir = "";
  rimport_test_assert_error(rimport_session_open(&s, &o), RIMPORT_EINVAL,
                            "empty string");
  assert_null(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(init_functions_give_the_init_macros),
    cmocka_unit_test(init_functions_check_their_arguments),
    cmocka_unit_test(options_versions_are_checked),
    cmocka_unit_test(version_1_options_still_work),
    cmocka_unit_test(shared_cache_comes_from_option_or_environment),
    cmocka_unit_test(calls_refuse_null_arguments),
    cmocka_unit_test(a_fresh_session),
    cmocka_unit_test(a_host_context),
    cmocka_unit_test(bad_sources_are_refused),
    cmocka_unit_test(unusable_cache_dir),
};

RIMPORT_TEST_MAIN(tests, NULL)
