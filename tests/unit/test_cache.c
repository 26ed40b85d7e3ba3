/* The plugin cache (src/cache): entries, verification, staging and
 * publishing, per-key locks between processes and threads, gc, clear, and
 * the `rimport cache` command. Other processes are this test binary re-run
 * as `--child <name> …` (see child_main). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>
#endif

#include "support.h"
#include "cache/cache.h"
#include "common/common.h"
#include "common/fs.h"
#include "common/json.h"
#include "platform.h"

#define KEY1       "0123456789abcdef0123456789abcdef"
#define KEY2       "fedcba9876543210fedcba9876543210"
#define KEY3       "00000000000000001111111111111111"
#define KEY4       "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb"
#define CARGO_TOML "[package]\nname = \"kayton_rplugin__demo\"\n"
#define ENTRY_SIZE (300000 + 70001 + sizeof(CARGO_TOML) - 1)

/* ------------------------------------------------------------- helpers */

static char cache_dir[4096];
static char src_dir[4096];

static void path_of(char *out, size_t size, const char *a, const char *b) {
  if (snprintf(out, size, "%s/%s", a, b) >= (int)size)
    fail_msg("path too long: %s/%s", a, b);
}

/* A file of `size` bytes of a pattern that depends on seed. */
static void write_bytes(const char *path, size_t size, unsigned seed) {
  FILE *f = fopen(path, "wb");
  size_t i;
  assert_non_null(f);
  for (i = 0; i < size; i++)
    fputc((int)((i * 31u + seed * 7u + (i >> 9)) & 0xff), f);
  assert_int_equal(fclose(f), 0);
}

/* cache/ and src/ (three source files) under a fresh tmp dir. */
static void fresh_dirs(const char *name) {
  char p[4300];
  const char *tmp = rimport_test_tmpdir(name);
  path_of(cache_dir, sizeof(cache_dir), tmp, "cache");
  path_of(src_dir, sizeof(src_dir), tmp, "src");
  assert_int_equal(rimport__fs_mkdir_p(cache_dir), 0);
  assert_int_equal(rimport__fs_mkdir_p(src_dir), 0);
  path_of(p, sizeof(p), src_dir, "libkayton_rplugin__demo.so");
  write_bytes(p, 300000, 1); /* several 64 KiB chunks */
  path_of(p, sizeof(p), src_dir, "libdep-1234.rlib");
  write_bytes(p, 70001, 2);
  path_of(p, sizeof(p), src_dir, "Cargo.toml");
  rimport_test_write_file(p, CARGO_TOML);
}

static void must(int rc) {
  if (rc != 0) {
    const rimport_error *e = rimport_error_last();
    fail_msg("%s: %s", rimport_err_name(rc), e ? e->message : "no message");
  }
}

/* Whether publish() stages unflushed entries (rimport__stage_set_unflushed,
 * as compiled cells are). */
static int publish_unflushed;

/* Stages the three source files and publishes. */
static int publish(const char *cache, const char *src, const char *crate,
                   const char *key, rimport__entry **out) {
  rimport__stage *st;
  char p[4300];
  cJSON *extra;
  int rc = rimport__stage_begin(cache, crate, key, &st);
  if (rc != 0)
    return rc;
  if (publish_unflushed)
    rimport__stage_set_unflushed(st);
  path_of(p, sizeof(p), src, "libkayton_rplugin__demo.so");
  if ((rc = rimport__stage_add(st, p, "lib/libkayton_rplugin__demo.so",
                               "dylib")) == 0) {
    path_of(p, sizeof(p), src, "libdep-1234.rlib");
    rc = rimport__stage_add(st, p, "deps/libdep-1234.rlib", "dep");
  }
  if (rc == 0) {
    path_of(p, sizeof(p), src, "Cargo.toml");
    rc = rimport__stage_add(st, p, "crate/Cargo.toml", "source");
  }
  if (rc != 0) {
    rimport__stage_abort(st);
    return rc;
  }
  extra = cJSON_CreateObject();
  cJSON_AddNumberToObject(extra, "build_ms", 1234);
  cJSON_AddStringToObject(extra, "toolchain", "deadbeef");
  rc = rimport__stage_publish(st, extra, out);
  cJSON_Delete(extra);
  return rc;
}

static void hash_hex(const char *path, char out[33]) {
  rimport_buf text = RIMPORT_BUF_INIT;
  assert_int_equal(rimport__fs_read_file(path, 1u << 30, &text), 0);
  rimport_test_xxh3_hex(text.ptr, text.size, out);
  rimport_buf_dispose(&text);
}

static void crate_path(char *out, size_t size, const char *crate,
                       const char *name) {
  int n = name != NULL ? snprintf(out, size, "%s/%s/%s", cache_dir, crate, name)
                       : snprintf(out, size, "%s/%s", cache_dir, crate);
  if (n >= (int)size)
    fail_msg("path too long in %s", cache_dir);
}

/* Removes a file that must be there. */
static void remove_file(const char *path) {
  assert_true(rimport__fs_is_file(path));
  must(rimport__fs_unlink(path));
}

/* ------------------------------------------------------------ children */

/* A child that takes the lock of <crate> <key> and says so in <ready>,
 * then holds it for <ms>. */
static rimport_test_child *start_holder(const char *crate, const char *key,
                                        const char *ready, const char *ms) {
  const char *args[] = {"hold", cache_dir, crate, key, ready, ms, NULL};
  rimport_test_child *c = rimport_test_child_start(args, 0);
  if (!rimport_test_wait_for_file(ready, 20000))
    fail_msg("the lock-holding child did not start");
  return c;
}

static int child_fail(const char *what) {
  const rimport_error *e = rimport_error_last();
  fprintf(stderr, "child %s: %s\n", what, e ? e->message : "no message");
  return 1;
}

/* hold <cache> <crate> <key> <ready> <ms> */
static int child_hold(int argc, char **argv) {
  rimport__lock *lock;
  (void)argc;
  if (rimport__cache_lock(argv[1], argv[2], argv[3], 0, NULL, NULL, NULL,
                          &lock) != 0)
    return child_fail("hold");
  if (rimport__fs_write_atomic(argv[4], "ready\n", 6) != 0)
    return child_fail("hold");
  uv_sleep((unsigned int)atoi(argv[5]));
  rimport__cache_unlock(lock);
  return 0;
}

/* publish <cache> <src> <crate> <key> <go>: starts when <go> exists */
static int child_publish(int argc, char **argv) {
  rimport__entry *e = NULL, *again = NULL;
  int rc;
  (void)argc;
  if (!rimport_test_wait_for_file(argv[5], 20000))
    return 3;
  if (publish(argv[1], argv[2], argv[3], argv[4], &e) != 0)
    return child_fail("publish");
  rc = rimport__cache_lookup(argv[1], argv[3], argv[4], 1, &again);
  if (rc != 0 || strcmp(again->dir, e->dir) != 0)
    return child_fail("publish: lookup");
  rimport__entry_free(e);
  rimport__entry_free(again);
  return 0;
}

/* stage <cache> <src> <crate> <key> <ready>: stages, then hangs */
static int child_stage(int argc, char **argv) {
  rimport__stage *st;
  char p[4300];
  (void)argc;
  if (rimport__stage_begin(argv[1], argv[3], argv[4], &st) != 0)
    return child_fail("stage");
  path_of(p, sizeof(p), argv[2], "libkayton_rplugin__demo.so");
  if (rimport__stage_add(st, p, "lib/libkayton_rplugin__demo.so", "dylib") != 0)
    return child_fail("stage");
  if (rimport__fs_write_atomic(argv[5], "ready\n", 6) != 0)
    return child_fail("stage");
  uv_sleep(60000);
  return 0;
}

/* use <cache> <crate> <key> <ready> <done>: marks the entry in use (as a
 * process that loaded it does), says so in <ready>, and keeps the mark
 * until <done> exists (60 s at most). */
static int child_use(int argc, char **argv) {
  rimport__lock *use = NULL;
  (void)argc;
  if (rimport__cache_use(argv[1], argv[2], argv[3], &use) != 0)
    return child_fail("use");
  if (use == NULL) {
    fprintf(stderr, "child use: no mark was made\n");
    return 1;
  }
  if (rimport__fs_write_atomic(argv[4], "ready\n", 6) != 0)
    return child_fail("use");
  if (!rimport_test_wait_for_file(argv[5], 60000))
    return 3;
  rimport__cache_unlock(use);
  return 0;
}

/* The marks of child_mark, kept to the end of the process as the
 * loader's are (reachable: not a leak). */
static rimport__marks *volatile child_marks;

/* mark <cache> <crate> <ready> <done> <key>…: marks the keys in use (as a
 * process that loads them does), says so in <ready>, and waits for <done>
 * (60 s at most); it ends without closing its marks, as a process that
 * loaded DLLs does. */
static int child_mark(int argc, char **argv) {
  rimport__marks *m = NULL;
  int i;
  if (rimport__marks_open(argv[1], &m) != 0)
    return child_fail("mark");
  if (m == NULL) {
    fprintf(stderr, "child mark: no session file was made\n");
    return 1;
  }
  child_marks = m;
  for (i = 5; i < argc; i++)
    if (rimport__marks_add(m, argv[2], argv[i]) != 0)
      return child_fail("mark");
  if (rimport__fs_write_atomic(argv[3], "ready\n", 6) != 0)
    return child_fail("mark");
  if (!rimport_test_wait_for_file(argv[4], 60000))
    return 3;
  return 0;
}

/* race <cache> <crate> <ready> <found> <key>…: says it is ready, then for
 * each key (5 ms apart) marks it and looks its entry up (as the loader
 * does); writes the keys it found, one a line, to <found>, and waits (60 s
 * at most) for <found>.done. */
static int child_race(int argc, char **argv) {
  rimport__marks *m = NULL;
  rimport_buf found = RIMPORT_BUF_INIT, done = RIMPORT_BUF_INIT;
  int i;
  if (rimport__marks_open(argv[1], &m) != 0 || m == NULL)
    return child_fail("race");
  if (rimport__fs_write_atomic(argv[3], "ready\n", 6) != 0)
    return child_fail("race");
  for (i = 5; i < argc; i++) {
    rimport__entry *e = NULL;
    int rc;
    uv_sleep(5);
    if (rimport__marks_add(m, argv[2], argv[i]) != 0)
      return child_fail("race: mark");
    rc = rimport__cache_lookup(argv[1], argv[2], argv[i], RIMPORT__VERIFY_QUICK,
                               &e);
    if (rc == 0)
      rimport__buf_printf(&found, "%s\n", argv[i]);
    else if (rc != RIMPORT_ENOTFOUND)
      return child_fail("race: lookup");
    rimport__entry_free(e);
  }
  rimport__buf_printf(&done, "%s.done", argv[4]);
  if (rimport__fs_write_atomic(argv[4], found.ptr ? found.ptr : "",
                               found.size) != 0)
    return child_fail("race");
  if (!rimport_test_wait_for_file(done.ptr, 60000))
    return 3;
  rimport_buf_dispose(&found);
  rimport_buf_dispose(&done);
  rimport__marks_close(m);
  return 0;
}

static void count_tidy(const char *path, unsigned long long bytes,
                       const char *kept, void *payload) {
  int *counts = payload;
  (void)path;
  (void)bytes;
  counts[kept != NULL]++;
}

/* probe <lock file>: exit 10 when someone holds it, 0 when it was free. */
static int child_probe(int argc, char **argv) {
  rimport__file_lock *l = NULL;
  int rc;
  (void)argc;
  if (rimport__file_lock_open(argv[1], &l) != 0)
    return child_fail("probe");
  rc = rimport__file_lock_try(l, NULL);
  rimport__file_lock_close(l);
  if (rc != 0 && rc != RIMPORT_ELOCKED)
    return child_fail("probe");
  return rc == RIMPORT_ELOCKED ? 10 : 0;
}

/* tidy <gc|clear> <cache>: runs it, prints "removed <n> kept <n>". */
static int child_tidy(int argc, char **argv) {
  int counts[2] = {0, 0}, rc;
  (void)argc;
  if (strcmp(argv[1], "gc") == 0)
    rc = rimport__cache_gc_report(argv[2], count_tidy, counts, NULL);
  else
    rc = rimport__cache_clear_report(argv[2], count_tidy, counts);
  if (rc != 0)
    return child_fail("tidy");
  printf("removed %d kept %d\n", counts[0], counts[1]);
  return 0;
}

/* The n-th of many keys: 32 hex digits. */
static void nth_key(char out[33], unsigned int n) {
  snprintf(out, 33, "%032x", n);
}

/* Files of an entry that a process using it reads (the loader, cell
 * compiles): all there? */
static int entry_files_there(const rimport__entry *e) {
  char p[4300];
  int ok = rimport__fs_is_file(e->dylib);
  path_of(p, sizeof(p), e->deps_dir, "libdep-1234.rlib");
  ok = ok && rimport__fs_is_file(p);
  path_of(p, sizeof(p), e->crate_dir, "Cargo.toml");
  ok = ok && rimport__fs_is_file(p);
  path_of(p, sizeof(p), e->dir, "manifest.json");
  return ok && rimport__fs_is_file(p);
}

/* worker <cache> <src> <index> <rounds>: a process that builds and loads
 * entries as rimport_build and rimport_load do, a new key of crate
 * "load" each round: marks it in use, looks it up, and when it is not
 * there builds it (publish, under the key lock); then checks that the
 * entry's files are there, and that every key it marked before still
 * has its entry, whole (sizes). Any failure: a message on stderr and
 * exit 1. Ends without closing its marks (they go with the process). */
static int child_worker(int argc, char **argv) {
  rimport__marks *m = NULL;
  unsigned int idx = (unsigned int)atoi(argv[3]);
  int rounds = atoi(argv[4]), r, k, built = 0;
  char key[33];
  (void)argc;
  if (rimport__marks_open(argv[1], &m) != 0 || m == NULL)
    return child_fail("worker: opening its marks");
  child_marks = m;
  for (r = 0; r < rounds; r++) {
    rimport__entry *e = NULL;
    int rc;
    nth_key(key, idx * 1000u + (unsigned int)r);
    if (rimport__marks_add(m, "load", key) != 0)
      return child_fail("worker: marking");
    rc = rimport__cache_lookup(argv[1], "load", key, RIMPORT__VERIFY_QUICK, &e);
    if (rc == RIMPORT_ENOTFOUND) {
      rimport__lock *lock = NULL;
      if (rimport__cache_lock(argv[1], "load", key, 60000, NULL, NULL, NULL,
                              &lock) != 0)
        return child_fail("worker: locking");
      rc = publish(argv[1], argv[2], "load", key, &e);
      rimport__cache_unlock(lock);
      if (rc != 0)
        return child_fail("worker: publishing");
      built++;
    } else if (rc != 0) {
      return child_fail("worker: looking up");
    }
    if (!entry_files_there(e)) {
      fprintf(stderr,
              "child worker %u: the files of %s, marked in use, are "
              "gone\n",
              idx, e->dir);
      return 1;
    }
    rimport__entry_free(e);
    for (k = 0; k <= r; k++) {
      nth_key(key, idx * 1000u + (unsigned int)k);
      e = NULL;
      rc =
          rimport__cache_lookup(argv[1], "load", key, RIMPORT__VERIFY_STAT, &e);
      if (rc != 0 || !entry_files_there(e)) {
        fprintf(stderr,
                "child worker %u: round %d: the entry of %s, marked in use "
                "since round %d, was removed or damaged: %s\n",
                idx, r, key, k,
                rc != 0 ? rimport_error_last()->message
                        : "some of its files are gone");
        return 1;
      }
      rimport__entry_free(e);
    }
    uv_sleep(40); /* using it, holding no key lock (clear can run) */
  }
  printf("worker %u: %d rounds, built %d\n", idx, rounds, built);
  return 0;
}

/* tidyloop <gc|clear> <cache> <stop>: runs `rimport cache gc|clear` (the
 * command, or the calls when this build has none) again and again until
 * <stop> exists; prints "<runs> runs, <n> refused"; exit 1 on any failure
 * other than clear's refusal while a key lock is held (ELOCKED). */
static int child_tidyloop(int argc, char **argv) {
  int runs = 0, refused = 0;
  (void)argc;
  while (!rimport__fs_is_file(argv[3])) {
#ifdef RIMPORT_CLI_PATH
    rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
    const char *args[] = {"cache", argv[1], NULL};
    rimport_test_run_cli(&out, argv[2], args, 120000);
    if (out.status != 0) {
      if (strcmp(argv[1], "clear") == 0 && out.status == 1 &&
          strstr(out.err.ptr, "[ELOCKED]") != NULL) {
        refused++;
      } else {
        fprintf(stderr,
                "child tidyloop: `rimport cache %s` failed (exit "
                "%d):\n%s\n",
                argv[1], (int)out.status, out.err.ptr);
        return 1;
      }
    }
    rimport_test_output_free(&out);
#else
    int rc = strcmp(argv[1], "gc") == 0 ? rimport__cache_gc(argv[2], NULL)
                                        : rimport__cache_clear(argv[2]);
    if (rc == RIMPORT_ELOCKED && strcmp(argv[1], "clear") == 0)
      refused++;
    else if (rc != 0)
      return child_fail("tidyloop");
#endif
    runs++;
  }
  printf("%d runs, %d refused\n", runs, refused);
  return 0;
}

/* tierpub <local> <tier> <crate> <key> <go>: once <go> exists, publishes
 * the local entry <crate>/<key> to the tier (cache.h, "The shared entry
 * tier"); exit 0 when the tier has the entry afterwards. */
static int child_tierpub(int argc, char **argv) {
  rimport__tier t;
  rimport__entry *e = NULL;
  (void)argc;
  if (!rimport_test_wait_for_file(argv[5], 20000))
    return 3;
  if (rimport__cache_lookup(argv[1], argv[3], argv[4], 1, &e) != 0)
    return child_fail("tierpub: local lookup");
  memset(&t, 0, sizeof(t));
  t.dir = argv[2];
  t.lock_timeout_ms = 20000;
  if (rimport__tier_publish(&t, argv[3], argv[4], e) != 0)
    return child_fail("tierpub");
  rimport__entry_free(e);
  return 0;
}

static int child_main(int argc, char **argv) {
  static const rimport_test_child_def children[] = {
      {"hold", child_hold, 6},         {"publish", child_publish, 6},
      {"stage", child_stage, 6},       {"use", child_use, 6},
      {"mark", child_mark, 6},         {"race", child_race, 6},
      {"tidy", child_tidy, 3},         {"probe", child_probe, 2},
      {"tierpub", child_tierpub, 6},   {"worker", child_worker, 5},
      {"tidyloop", child_tidyloop, 4},
  };
  return rimport_test_child_dispatch(children, RIMPORT__ARRAY_SIZE(children),
                                     argc, argv);
}

/* ------------------------------------------------------------ progress */

/* Progress reports of lock waits (rimport_test_on_progress checks that
 * each is one). */
static void wait_log(rimport_test_progress *log) {
  memset(log, 0, sizeof(*log));
  log->want_phase = RIMPORT_PROGRESS_WAIT;
}

static uint64_t now_ms(void) {
  return uv_hrtime() / 1000000u;
}

/* ----------------------------------------------------------------- tests */

static void cache_publish_then_lookup(void **state) {
  rimport__entry *e = NULL, *found = NULL;
  const cJSON *m, *arts, *a;
  char want[4300], hex[33], src[4300];
  rimport__stat sb;
  (void)state;
  fresh_dirs("cache-publish");
  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  crate_path(want, sizeof(want), "demo", KEY1);
  rimport_test_assert_path_equal(e->dir, want);
  crate_path(want, sizeof(want), "demo",
             KEY1 "/lib/libkayton_rplugin__demo.so");
  rimport_test_assert_path_equal(e->dylib, want);
  crate_path(want, sizeof(want), "demo", KEY1 "/deps");
  rimport_test_assert_path_equal(e->deps_dir, want);
  crate_path(want, sizeof(want), "demo", KEY1 "/crate");
  rimport_test_assert_path_equal(e->crate_dir, want);
  assert_true(rimport__path_is_absolute(e->dir));
  assert_int_equal(e->size, ENTRY_SIZE);

  /* The stage is gone: only the entry (and no lock file: none was taken). */
  crate_path(want, sizeof(want), "demo", NULL);
  assert_int_equal(rimport_test_count_prefixed(want, ".stage-"), 0);

  must(rimport__cache_lookup(cache_dir, "demo", KEY1, 1, &found));
  assert_string_equal(found->dir, e->dir);
  m = found->manifest;
  assert_int_equal(cJSON_GetObjectItem(m, "format")->valueint, 1);
  assert_string_equal(cJSON_GetObjectItem(m, "crate")->valuestring, "demo");
  assert_string_equal(cJSON_GetObjectItem(m, "key")->valuestring, KEY1);
  {
    const char *created = cJSON_GetObjectItem(m, "created")->valuestring;
    assert_int_equal(strlen(created), 20);
    assert_true(created[4] == '-' && created[10] == 'T' && created[19] == 'Z');
    assert_true(strncmp(created, "20", 2) == 0);
  }
  assert_int_equal(cJSON_GetObjectItem(m, "build_ms")->valueint, 1234);
  assert_string_equal(cJSON_GetObjectItem(m, "toolchain")->valuestring,
                      "deadbeef");
  arts = cJSON_GetObjectItem(m, "artifacts");
  assert_int_equal(cJSON_GetArraySize(arts), 3);
  a = cJSON_GetArrayItem(arts, 0);
  assert_string_equal(cJSON_GetObjectItem(a, "path")->valuestring,
                      "lib/libkayton_rplugin__demo.so");
  assert_string_equal(cJSON_GetObjectItem(a, "kind")->valuestring, "dylib");
  assert_int_equal(cJSON_GetObjectItem(a, "size")->valuedouble, 300000);
  path_of(src, sizeof(src), src_dir, "libkayton_rplugin__demo.so");
  hash_hex(src, hex);
  assert_string_equal(cJSON_GetObjectItem(a, "xxh3")->valuestring, hex);
  hash_hex(found->dylib, hex);
  assert_string_equal(cJSON_GetObjectItem(a, "xxh3")->valuestring, hex);
  a = cJSON_GetArrayItem(arts, 1);
  assert_string_equal(cJSON_GetObjectItem(a, "kind")->valuestring, "dep");
  path_of(src, sizeof(src), src_dir, "libdep-1234.rlib");
  hash_hex(src, hex);
  assert_string_equal(cJSON_GetObjectItem(a, "xxh3")->valuestring, hex);
  a = cJSON_GetArrayItem(arts, 2);
  assert_string_equal(cJSON_GetObjectItem(a, "path")->valuestring,
                      "crate/Cargo.toml");
  assert_string_equal(cJSON_GetObjectItem(a, "kind")->valuestring, "source");

  /* Published files are read-only (DESIGN.md invariant 2). */
  must(rimport__fs_stat(found->dylib, &sb));
  assert_int_equal(sb.mode & 0222, 0);
  path_of(want, sizeof(want), found->dir, "manifest.json");
  must(rimport__fs_stat(want, &sb));
  assert_int_equal(sb.mode & 0222, 0);

  rimport__entry_free(e);
  rimport__entry_free(found);
}

static void cache_rejects_bad_input(void **state) {
  rimport__entry *e = NULL;
  rimport__stage *st;
  rimport__lock *lock;
  char p[4300];
  cJSON *extra;
  (void)state;
  fresh_dirs("cache-input");
  rimport_test_assert_error(
      rimport__cache_lookup(cache_dir, "../etc", KEY1, 0, &e), RIMPORT_EINVAL,
      "crate \"../etc\"");
  rimport_test_assert_error(
      rimport__cache_lookup(cache_dir, "demo", "ABCDEF0123456789", 0, &e),
      RIMPORT_EINVAL, "lowercase hex");
  rimport_test_assert_error(
      rimport__cache_lookup(cache_dir, "demo", "../../0123456789abcdef", 0, &e),
      RIMPORT_EINVAL, "key");
  rimport_test_assert_error(rimport__cache_lock(cache_dir, "_target", KEY1, 0,
                                                NULL, NULL, NULL, &lock),
                            RIMPORT_EINVAL, "crate \"_target\"");
  /* Absence is normal: no message. */
  rimport_error_clear();
  assert_int_equal(rimport__cache_lookup(cache_dir, "demo", KEY1, 1, &e),
                   RIMPORT_ENOTFOUND);
  assert_null(e);
  assert_int_equal(rimport_error_last()->code, RIMPORT_OK);

  must(rimport__stage_begin(cache_dir, "demo", KEY1, &st));
  path_of(p, sizeof(p), src_dir, "Cargo.toml");
  rimport_test_assert_error(rimport__stage_add(st, p, "../x", "source"),
                            RIMPORT_EINVAL, "\"..\"");
  rimport_test_assert_error(rimport__stage_add(st, p, "/abs", "source"),
                            RIMPORT_EINVAL, "absolute");
  rimport_test_assert_error(rimport__stage_add(st, p, "a//b", "source"),
                            RIMPORT_EINVAL, "empty component");
  rimport_test_assert_error(rimport__stage_add(st, p, "a\\b", "source"),
                            RIMPORT_EINVAL, "'\\'");
  rimport_test_assert_error(rimport__stage_add(st, p, "crate/x", "binary"),
                            RIMPORT_EINVAL, "kind \"binary\"");
  rimport_test_assert_error(
      rimport__stage_add(st, p, "manifest.json", "source"), RIMPORT_EINVAL,
      "rimport's own");
  path_of(p, sizeof(p), src_dir, "missing.txt");
  rimport_test_assert_error(rimport__stage_add(st, p, "crate/m", "source"),
                            RIMPORT_ENOTFOUND, "missing.txt");
  path_of(p, sizeof(p), src_dir, "Cargo.toml");
  must(rimport__stage_add(st, p, "crate/Cargo.toml", "source"));
  rimport_test_assert_error(
      rimport__stage_add(st, p, "crate/Cargo.toml", "source"), RIMPORT_EINVAL,
      "added already");
  /* No dylib: refused, and the stage is gone. */
  rimport_test_assert_error(rimport__stage_publish(st, NULL, &e),
                            RIMPORT_EINVAL, "dylib");
  crate_path(p, sizeof(p), "demo", NULL);
  assert_int_equal(rimport_test_count_prefixed(p, ".stage-"), 0);

  /* extra may not overwrite rimport's members. */
  must(rimport__stage_begin(cache_dir, "demo", KEY1, &st));
  path_of(p, sizeof(p), src_dir, "libkayton_rplugin__demo.so");
  must(rimport__stage_add(st, p, "lib/x.so", "dylib"));
  extra = cJSON_CreateObject();
  cJSON_AddStringToObject(extra, "key", "mine");
  rimport_test_assert_error(rimport__stage_publish(st, extra, &e),
                            RIMPORT_EINVAL, "\"key\"");
  cJSON_Delete(extra);
  assert_int_equal(rimport__cache_lookup(cache_dir, "demo", KEY1, 0, &e),
                   RIMPORT_ENOTFOUND);
  crate_path(p, sizeof(p), "demo", NULL);
  assert_int_equal(rimport_test_count_prefixed(p, ".stage-"), 0);
}

/* Corrupts the published entry with `damage`, checks that a verifying
 * lookup says ECORRUPT with `needle`, that the entry was moved aside, and
 * that a new publish works. */
static void check_corruption(const char *name, void (*damage)(rimport__entry *),
                             const char *needle1, const char *needle2) {
  rimport__entry *e = NULL, *again = NULL;
  char crate_dir[4300];
  int rc;
  fresh_dirs(name);
  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  damage(e);
  rc = rimport__cache_lookup(cache_dir, "demo", KEY1, 1, &again);
  rimport_test_assert_error(rc, RIMPORT_ECORRUPT, needle1);
  rimport_test_assert_error(rc, RIMPORT_ECORRUPT, needle2);
  rimport_test_assert_error(rc, RIMPORT_ECORRUPT, "moved aside");
  assert_null(again);
  /* Moved aside: the key is free for a rebuild. */
  assert_false(rimport__fs_is_dir(e->dir));
  crate_path(crate_dir, sizeof(crate_dir), "demo", NULL);
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ".corrupt-" KEY1 "-"),
                   1);
  assert_int_equal(rimport__cache_lookup(cache_dir, "demo", KEY1, 1, &again),
                   RIMPORT_ENOTFOUND);
  must(publish(cache_dir, src_dir, "demo", KEY1, &again));
  rimport__entry_free(again);
  must(rimport__cache_lookup(cache_dir, "demo", KEY1, 1, &again));
  rimport__entry_free(again);
  rimport__entry_free(e);
}

static void damage_byte(rimport__entry *e) {
  rimport__entry *cheap = NULL;
  rimport_test_flip_byte(e->dylib, 200000, 0x01);
  /* Without verify only the cheap checks run: still found. */
  must(rimport__cache_lookup(cache_dir, "demo", KEY1, 0, &cheap));
  rimport__entry_free(cheap);
}

static void damage_truncate(rimport__entry *e) {
  char p[4300];
  path_of(p, sizeof(p), e->deps_dir, "libdep-1234.rlib");
  rimport_test_make_writable(p);
  rimport_test_truncate(p, 1000);
}

static void damage_missing(rimport__entry *e) {
  char p[4300];
  path_of(p, sizeof(p), e->crate_dir, "Cargo.toml");
  remove_file(p);
}

/* An entry published without flushing (a compiled cell's) is the same
 * entry: found and verified, read-only, and what a power cut could leave
 * of it (a short file, a missing one, a changed byte) is refused as
 * ECORRUPT, moved aside, and published again. */
static void cache_unflushed_entry_is_checked_as_any(void **state) {
  rimport__entry *e = NULL, *found = NULL;
  rimport__stat sb;
  (void)state;
  publish_unflushed = 1;
  fresh_dirs("cache-unflushed");
  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  must(rimport__cache_lookup(cache_dir, "demo", KEY1, RIMPORT__VERIFY_FULL,
                             &found));
  assert_string_equal(found->dir, e->dir);
  assert_int_equal(e->size, ENTRY_SIZE);
  must(rimport__fs_stat(found->dylib, &sb));
  assert_int_equal(sb.mode & 0222, 0);
  rimport__entry_free(found);
  rimport__entry_free(e);
  check_corruption("cache-unflushed-short", damage_truncate,
                   "\"deps/libdep-1234.rlib\" has 1000 bytes",
                   "its manifest says 70001");
  check_corruption("cache-unflushed-missing", damage_missing,
                   "\"crate/Cargo.toml\" is missing", "incomplete");
  check_corruption("cache-unflushed-byte", damage_byte,
                   "\"lib/libkayton_rplugin__demo.so\" has XXH3",
                   "its manifest says");
  publish_unflushed = 0;
}

static void cache_verify_catches_changed_byte(void **state) {
  (void)state;
  check_corruption("cache-byte", damage_byte,
                   "\"lib/libkayton_rplugin__demo.so\" has XXH3",
                   "its manifest says");
}

/* The verification levels: a byte changed with its mtime put back escapes
 * STAT (sizes and recorded mtimes) but not QUICK, which always hashes the
 * dylib, nor FULL; a change that leaves a new mtime is caught by STAT. */
static void cache_verify_levels(void **state) {
  rimport__entry *e = NULL, *again = NULL;
  rimport__stat st;
  char dep[4300];
  (void)state;
  fresh_dirs("cache-levels");
  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  must(rimport__fs_stat(e->dylib, &st));
  rimport_test_flip_byte(e->dylib, 200000, 0x01);
  rimport_test_set_mtime(e->dylib, st.mtime_sec, (long)st.mtime_nsec);
  must(rimport__fs_stat(e->dylib, &st)); /* the mtime is back */
  must(rimport__cache_lookup(cache_dir, "demo", KEY1, RIMPORT__VERIFY_STAT,
                             &again));
  rimport__entry_free(again);
  again = NULL;
  rimport_test_assert_error(rimport__cache_lookup(cache_dir, "demo", KEY1,
                                                  RIMPORT__VERIFY_QUICK,
                                                  &again),
                            RIMPORT_ECORRUPT, "has XXH3");
  rimport__entry_free(e);
  /* A dependency changed the ordinary way (a new mtime): STAT sees it. */
  e = NULL;
  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  path_of(dep, sizeof(dep), e->deps_dir, "libdep-1234.rlib");
  uv_sleep(20);
  rimport_test_flip_byte(dep, 10, 0x01);
  rimport_test_assert_error(rimport__cache_lookup(cache_dir, "demo", KEY1,
                                                  RIMPORT__VERIFY_STAT, &again),
                            RIMPORT_ECORRUPT, "libdep-1234.rlib");
  rimport__entry_free(e);
}

static void cache_verify_catches_truncated_file(void **state) {
  (void)state;
  check_corruption("cache-trunc", damage_truncate,
                   "\"deps/libdep-1234.rlib\" has 1000 bytes",
                   "its manifest says 70001");
}

static void cache_verify_catches_missing_file(void **state) {
  (void)state;
  check_corruption("cache-missing", damage_missing,
                   "\"crate/Cargo.toml\" is missing", "incomplete");
}

static void damage_dylib_gone(rimport__entry *e) {
  remove_file(e->dylib);
}

static void cache_lookup_without_verify_checks_dylib(void **state) {
  rimport__entry *e = NULL, *again = NULL;
  (void)state;
  check_corruption("cache-nodylib", damage_dylib_gone, "is missing",
                   "lib/libkayton_rplugin__demo.so");
  /* And the cheap lookup notices a missing dylib too. */
  must(rimport__cache_lookup(cache_dir, "demo", KEY1, 0, &e));
  rimport_test_make_writable(e->dylib);
  remove_file(e->dylib);
  rimport_test_assert_error(
      rimport__cache_lookup(cache_dir, "demo", KEY1, 0, &again),
      RIMPORT_ECORRUPT, "dylib");
  rimport__entry_free(e);
}

/* ---------------------------------------------------- corrupt manifests */

/* The manifest of the demo entry as publish() wrote it. */
static void read_manifest_text(const rimport__entry *e, rimport_buf *out) {
  char p[4300];
  path_of(p, sizeof(p), e->dir, "manifest.json");
  rimport__buf_clear(out);
  must(rimport__fs_read_file(p, 1u << 20, out));
}

/* How many bad manifests check_bad_manifest has seen in this case. */
static int bad_manifests;

/* Publishes the demo entry (KEY1), puts text[0..len) in place of its
 * manifest.json, and checks that a lookup at `verify` refuses the entry
 * (ECORRUPT, the message naming the entry and `needle` and saying it was
 * moved aside), gives nothing to load, moves it aside to one more
 * .corrupt-<key>-… directory holding that manifest, and that the key is
 * then free: absent, and published and found again (FULL). */
static void check_bad_manifest(const char *label, const char *text, size_t len,
                               int verify, const char *needle) {
  rimport__entry *e = NULL, *again = NULL;
  rimport_buf moved = RIMPORT_BUF_INIT;
  char p[4300], crate_dir[4300];
  const rimport_error *err;
  int rc;
  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  path_of(p, sizeof(p), e->dir, "manifest.json");
  must(rimport__fs_write_atomic(p, text, len));
  again = (rimport__entry *)(uintptr_t)1; /* must be cleared */
  rc = rimport__cache_lookup(cache_dir, "demo", KEY1, verify, &again);
  err = rimport_error_last();
  if (rc != RIMPORT_ECORRUPT)
    fail_msg("%s: lookup (verify %d) gave %s, not ECORRUPT: %s", label, verify,
             rimport_err_name(rc), err->message);
  if (again != NULL)
    fail_msg("%s: lookup refused the entry but gave one to load", label);
  if (strstr(err->message, e->dir) == NULL ||
      (needle != NULL && strstr(err->message, needle) == NULL) ||
      strstr(err->message, "moved aside") == NULL)
    fail_msg("%s: the message lacks the entry, \"%s\" or \"moved aside\": %s",
             label, needle ? needle : "", err->message);
  bad_manifests++;
  crate_path(crate_dir, sizeof(crate_dir), "demo", NULL);
  assert_false(rimport__fs_is_dir(e->dir));
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ".corrupt-" KEY1 "-"),
                   bad_manifests);
  /* What was moved aside is that entry, bad manifest and all. */
  {
    const char *to = strstr(err->message, "moved aside to \"");
    const char *end;
    assert_non_null(to);
    to += strlen("moved aside to \"");
    end = strchr(to, '"');
    assert_non_null(end);
    snprintf(p, sizeof(p), "%.*s/manifest.json", (int)(end - to), to);
    must(rimport__fs_read_file(p, 1u << 20, &moved));
    assert_int_equal(moved.size, len);
    assert_true(len == 0 || memcmp(moved.ptr, text, len) == 0);
  }
  /* The key is free: a rebuild publishes, and that entry is sound. */
  assert_int_equal(rimport__cache_lookup(cache_dir, "demo", KEY1, 0, &again),
                   RIMPORT_ENOTFOUND);
  rimport__entry_free(e);
  e = NULL;
  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  must(rimport__cache_lookup(cache_dir, "demo", KEY1, RIMPORT__VERIFY_FULL,
                             &again));
  rimport__entry_free(again);
  /* Gone again for the next damage. */
  must(rimport__fs_remove_tree(e->dir, NULL));
  rimport__entry_free(e);
  rimport_buf_dispose(&moved);
}

/* The good manifest's text, with the first `from` after `after` (NULL:
 * anywhere) replaced by `to`. */
static void edited(rimport_buf *out, const rimport_buf *good, const char *after,
                   const char *from, const char *to) {
  const char *start = after ? strstr(good->ptr, after) : good->ptr, *at;
  assert_non_null(start);
  at = strstr(start, from);
  if (at == NULL)
    fail_msg("\"%s\" is not in the manifest:\n%s", from, good->ptr);
  rimport__buf_clear(out);
  must(rimport__buf_put(out, good->ptr, (size_t)(at - good->ptr)));
  must(rimport__buf_puts(out, to));
  must(rimport__buf_puts(out, at + strlen(from)));
}

/* A good manifest, as publish() writes it. */
static void good_manifest(rimport_buf *good) {
  rimport__entry *e = NULL;
  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  read_manifest_text(e, good);
  must(rimport__fs_remove_tree(e->dir, NULL));
  rimport__entry_free(e);
}

/* manifest.json cut short at several places: every lookup refuses it. */
static void cache_truncated_manifest_is_refused(void **state) {
  rimport_buf good = RIMPORT_BUF_INIT;
  size_t cuts[8], i;
  char label[64];
  (void)state;
  fresh_dirs("cache-manifest-cut");
  bad_manifests = 0;
  good_manifest(&good);
  cuts[0] = 1;
  cuts[1] = 12;
  cuts[2] = good.size / 4;
  cuts[3] = good.size / 2;
  cuts[4] = good.size * 3 / 4;
  cuts[5] = good.size - 40;
  cuts[6] = good.size - 2;
  cuts[7] = good.size - 1; /* all but the closing brace */
  for (i = 0; i < RIMPORT__ARRAY_SIZE(cuts); i++) {
    snprintf(label, sizeof(label), "cut at %zu of %zu", cuts[i], good.size);
    check_bad_manifest(label, good.ptr, cuts[i], 0, "not a JSON object");
  }
  rimport_buf_dispose(&good);
}

/* manifest.json edited: each change is refused by the lookup the loader
 * makes (QUICK), or by the full check where only it can see the change. */
static void cache_edited_manifest_is_refused(void **state) {
  static const struct {
    const char *label, *after, *from, *to;
    int verify;
    const char *needle;
  } edits[] = {
      /* the dylib's hash: the loader always hashes the dylib */
      {"dylib hash", "libkayton_rplugin__demo.so", "\"xxh3\":\t\"",
       "\"xxh3\":\t\"0", RIMPORT__VERIFY_QUICK, "lacks a valid"},
      {"dylib hash other", "libkayton_rplugin__demo.so", "\"xxh3\":\t\"",
       "\"xxh3\":\t\"00000000000000000000000000000000\",\"x\":\"",
       RIMPORT__VERIFY_QUICK, "has XXH3"},
      /* a dependency's hash: `rimport cache verify` (FULL) hashes it */
      {"dep hash", "libdep-1234.rlib", "\"xxh3\":\t\"",
       "\"xxh3\":\t\"00000000000000000000000000000000\",\"x\":\"",
       RIMPORT__VERIFY_FULL, "has XXH3"},
      /* paths that leave the entry, or are not paths in it */
      {"path ../../x", NULL, "\"lib/libkayton_rplugin__demo.so\"",
       "\"../../x\"", 0, "\"..\""},
      {"path lib/../../x", NULL, "\"deps/libdep-1234.rlib\"", "\"lib/../../x\"",
       0, "\"..\""},
      {"absolute path", NULL, "\"crate/Cargo.toml\"", "\"/etc/passwd\"", 0,
       "absolute"},
      {"backslash path", NULL, "\"crate/Cargo.toml\"", "\"..\\\\x\"", 0,
       "'\\'"},
      {"drive path", NULL, "\"crate/Cargo.toml\"", "\"C:x\"", 0, "':'"},
      {"empty path", NULL, "\"crate/Cargo.toml\"", "\"\"", 0, "is empty"},
      {"manifest as artifact", NULL, "\"crate/Cargo.toml\"",
       "\"manifest.json\"", 0, "lists itself"},
      /* sizes */
      {"dylib size", "libkayton_rplugin__demo.so", "\"size\":\t300000",
       "\"size\":\t300001", RIMPORT__VERIFY_QUICK,
       "has 300000 bytes, its manifest says 300001"},
      {"dep size", "libdep-1234.rlib", "\"size\":\t70001", "\"size\":\t70000",
       RIMPORT__VERIFY_STAT, "has 70001 bytes, its manifest says 70000"},
      {"negative size", "libdep-1234.rlib", "\"size\":\t70001", "\"size\":\t-1",
       0, "lacks a valid"},
      {"fractional size", "libdep-1234.rlib", "\"size\":\t70001",
       "\"size\":\t70001.5", 0, "lacks a valid"},
      {"size as text", "libdep-1234.rlib", "\"size\":\t70001",
       "\"size\":\t\"70001\"", 0, "lacks a valid"},
      /* what the entry is */
      {"key", NULL, "\"" KEY1 "\"", "\"" KEY2 "\"", 0, "another crate or key"},
      {"crate", NULL, "\"demo\"", "\"other\"", 0, "another crate or key"},
      {"format 2", NULL, "\"format\":\t1", "\"format\":\t2", 0,
       "not of format 1"},
      {"format text", NULL, "\"format\":\t1", "\"format\":\t\"1\"", 0,
       "not of format 1"},
      {"format 1.5", NULL, "\"format\":\t1", "\"format\":\t1.5", 0,
       "not of format 1"},
      {"no dylib", NULL, "\"dylib\"", "\"dep\"", 0, "lists no dylib"},
      {"kind", NULL, "\"source\"", "\"binary\"", 0, "lacks a valid"},
      {"artifacts object", NULL, "\"artifacts\":\t[",
       "\"artifacts\":\t{},\"was\":\t[", 0, "no \"artifacts\" list"},
  };
  rimport_buf good = RIMPORT_BUF_INIT, bad = RIMPORT_BUF_INIT;
  size_t i;
  (void)state;
  fresh_dirs("cache-manifest-edit");
  bad_manifests = 0;
  good_manifest(&good);
  for (i = 0; i < RIMPORT__ARRAY_SIZE(edits); i++) {
    edited(&bad, &good, edits[i].after, edits[i].from, edits[i].to);
    check_bad_manifest(edits[i].label, bad.ptr, bad.size, edits[i].verify,
                       edits[i].needle);
  }
  rimport_buf_dispose(&good);
  rimport_buf_dispose(&bad);
}

/* manifest.json that is not a manifest at all. */
static void cache_garbage_manifest_is_refused(void **state) {
  rimport_buf text = RIMPORT_BUF_INIT;
  unsigned int i, x = 12345;
  (void)state;
  fresh_dirs("cache-manifest-garbage");
  bad_manifests = 0;
  check_bad_manifest("empty", "", 0, 0, "not a JSON object");
  check_bad_manifest("NUL bytes", "\0\0\0\0", 4, 0, "not a JSON object");
  for (i = 0; i < 4096; i++) {
    x = x * 1103515245u + 12345u;
    must(rimport__buf_putc(&text, (char)(x >> 16)));
  }
  check_bad_manifest("random bytes", text.ptr, text.size, 0,
                     "not a JSON object");
  check_bad_manifest("array", "[1,2,3]", 7, 0, "not a JSON object");
  check_bad_manifest("null", "null", 4, 0, "not a JSON object");
  check_bad_manifest("string", "\"manifest\"", 10, 0, "not a JSON object");
  check_bad_manifest("empty object", "{}", 2, 0, "not of format 1");
  /* Nested deeper than cJSON reads (1000), and nested within that. */
  rimport__buf_clear(&text);
  for (i = 0; i < 100000; i++)
    must(rimport__buf_puts(&text, "{\"a\":"));
  must(rimport__buf_puts(&text, "1"));
  for (i = 0; i < 100000; i++)
    must(rimport__buf_putc(&text, '}'));
  check_bad_manifest("nested 100000", text.ptr, text.size, 0,
                     "not a JSON object");
  rimport__buf_clear(&text);
  must(rimport__buf_puts(&text,
                         "{\"format\":1,\"crate\":\"demo\",\"key\":\"" KEY1
                         "\",\"artifacts\":"));
  for (i = 0; i < 900; i++)
    must(rimport__buf_putc(&text, '['));
  for (i = 0; i < 900; i++)
    must(rimport__buf_putc(&text, ']'));
  must(rimport__buf_putc(&text, '}'));
  check_bad_manifest("nested 900", text.ptr, text.size, 0, "not a JSON object");
  rimport_buf_dispose(&text);
}

static void cache_publish_loser_gets_winners_entry(void **state) {
  rimport__stage *a, *b;
  rimport__entry *ea = NULL, *eb = NULL;
  char p[4300], crate_dir[4300];
  (void)state;
  fresh_dirs("cache-loser");
  must(rimport__stage_begin(cache_dir, "demo", KEY1, &a));
  must(rimport__stage_begin(cache_dir, "demo", KEY1, &b));
  assert_string_not_equal(rimport__stage_dir(a), rimport__stage_dir(b));
  path_of(p, sizeof(p), src_dir, "libkayton_rplugin__demo.so");
  must(rimport__stage_add(a, p, "lib/a.so", "dylib"));
  must(rimport__stage_add(b, p, "lib/b.so", "dylib"));
  assert_true(rimport__fs_is_dir(rimport__stage_dir(b)));
  must(rimport__stage_publish(a, NULL, &ea));
  must(rimport__stage_publish(b, NULL, &eb));
  assert_string_equal(ea->dir, eb->dir);
  assert_string_equal(eb->dylib, ea->dylib); /* a's, the winner's */
  assert_true(rimport_test_path_ends_with(eb->dylib, "/lib/a.so"));
  crate_path(crate_dir, sizeof(crate_dir), "demo", NULL);
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ".stage-"), 0);
  rimport__entry_free(ea);
  rimport__entry_free(eb);
}

static void cache_publish_race_between_processes(void **state) {
  rimport_test_child *c[4];
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  char go[4300], crate_dir[4300], entry_dir[4300];
  const char *args[] = {"publish", cache_dir, src_dir, "demo", KEY1, go, NULL};
  rimport__entry *e = NULL;
  size_t i;
  (void)state;
  fresh_dirs("cache-race");
  snprintf(go, sizeof(go), "%s/../go", cache_dir);
  for (i = 0; i < RIMPORT__ARRAY_SIZE(c); i++)
    c[i] = rimport_test_child_start(args, 0);
  rimport_test_write_file(go, "go\n"); /* all start at once */
  for (i = 0; i < RIMPORT__ARRAY_SIZE(c); i++) {
    rimport_test_child_wait(c[i], &out);
    assert_int_equal(out.term_signal, 0);
    assert_int_equal(out.status, 0);
    rimport_test_output_free(&out);
  }
  crate_path(crate_dir, sizeof(crate_dir), "demo", NULL);
  crate_path(entry_dir, sizeof(entry_dir), "demo", KEY1);
  /* One entry, every loser's stage gone. */
  assert_int_equal(rimport_test_count_prefixed(crate_dir, KEY1), 1);
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ".stage-"), 0);
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ".corrupt-"), 0);
  must(rimport__cache_lookup(cache_dir, "demo", KEY1, 1, &e));
  rimport_test_assert_path_equal(e->dir, entry_dir);
  rimport__entry_free(e);
}

static void cache_lock_waits_for_other_process(void **state) {
  rimport_test_child *c;
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  char ready[4300], pid[32];
  rimport__lock *lock = NULL;
  rimport_test_progress log;
  uint64_t t0;
  (void)state;
  fresh_dirs("cache-lockwait");
  snprintf(ready, sizeof(ready), "%s/../ready", cache_dir);
  c = start_holder("demo", KEY1, ready, "1200");
  wait_log(&log);
  t0 = now_ms();
  must(rimport__cache_lock(cache_dir, "demo", KEY1, 0, rimport_test_on_progress,
                           &log, NULL, &lock));
  assert_true(now_ms() - t0 >= 500); /* it did wait */
  assert_int_equal(log.calls, 1);    /* reported once (then every 5 s) */
  snprintf(pid, sizeof(pid), "process %d,", rimport_test_child_pid(c));
  if (strstr(log.message, pid) == NULL ||
      strstr(log.message, "which is building demo (" KEY1 ")") == NULL)
    fail_msg("progress message: %s", log.message);
  rimport_test_child_wait(c, &out);
  assert_int_equal(out.status, 0);
  rimport_test_output_free(&out);
  rimport__cache_unlock(lock);
}

static void cache_lock_of_killed_process_is_taken_over(void **state) {
  rimport_test_child *c;
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  char ready[4300], lock_path[4300];
  rimport__lock *lock = NULL;
  rimport_test_progress log;
  uint64_t t0;
  (void)state;
  fresh_dirs("cache-stale");
  snprintf(ready, sizeof(ready), "%s/../ready", cache_dir);
  c = start_holder("demo", KEY1, ready, "60000");
  rimport_test_child_kill(c, &out);
  assert_int_equal(out.term_signal, SIGKILL);
  rimport_test_output_free(&out);
  /* The lock file is still there, with the dead pid in it... */
  crate_path(lock_path, sizeof(lock_path), "demo", KEY1 ".lock");
  assert_true(rimport__fs_is_file(lock_path));
  /* ...and the lock is free at once. */
  wait_log(&log);
  t0 = now_ms();
  must(rimport__cache_lock(cache_dir, "demo", KEY1, 5000,
                           rimport_test_on_progress, &log, NULL, &lock));
  assert_true(now_ms() - t0 < 1000);
  assert_int_equal(log.calls, 0);
  rimport__cache_unlock(lock);
}

static void cache_lock_timeout_names_owner(void **state) {
  rimport_test_child *c;
  char ready[4300], pid[32];
  rimport__lock *lock = NULL;
  uint64_t t0;
  int rc;
  (void)state;
  fresh_dirs("cache-timeout");
  snprintf(ready, sizeof(ready), "%s/../ready", cache_dir);
  c = start_holder("demo", KEY1, ready, "60000");
  t0 = now_ms();
  rc = rimport__cache_lock(cache_dir, "demo", KEY1, 300, NULL, NULL, NULL,
                           &lock);
  snprintf(pid, sizeof(pid), "process %d ", rimport_test_child_pid(c));
  rimport_test_assert_error(rc, RIMPORT_ELOCKED, pid);
  rimport_test_assert_error(rc, RIMPORT_ELOCKED, "is building demo");
  rimport_test_assert_error(rc, RIMPORT_ELOCKED, "stop that process");
  assert_null(lock);
  assert_true(now_ms() - t0 >= 300);
  rimport_test_child_kill(c, NULL);
}

typedef struct canceler {
  atomic_int *flag;
  unsigned int after_ms;
} canceler;

static void cancel_later(void *arg) {
  canceler *cn = arg;
  uv_sleep(cn->after_ms);
  atomic_store(cn->flag, 1);
}

static void cache_lock_cancel(void **state) {
  rimport_test_child *c;
  char ready[4300];
  rimport__lock *lock = NULL;
  atomic_int cancel = 0;
  canceler cn;
  uv_thread_t thread;
  uint64_t t0;
  (void)state;
  fresh_dirs("cache-cancel");
  snprintf(ready, sizeof(ready), "%s/../ready", cache_dir);
  c = start_holder("demo", KEY1, ready, "60000");
  cn.flag = &cancel;
  cn.after_ms = 200;
  t0 = now_ms();
  assert_int_equal(uv_thread_create(&thread, cancel_later, &cn), 0);
  rimport_test_assert_error(rimport__cache_lock(cache_dir, "demo", KEY1, 0,
                                                NULL, NULL, &cancel, &lock),
                            RIMPORT_ECANCELED, "canceled");
  assert_true(now_ms() - t0 < 5000);
  assert_int_equal(uv_thread_join(&thread), 0);
  rimport_test_child_kill(c, NULL);
}

typedef struct locker {
  atomic_int got;
  int rc;
  rimport_test_progress log;
} locker;

static void lock_in_thread(void *arg) {
  locker *l = arg;
  rimport__lock *lock = NULL;
  l->rc = rimport__cache_lock(cache_dir, "demo", KEY1, 10000,
                              rimport_test_on_progress, &l->log, NULL, &lock);
  l->got = 1;
  rimport__cache_unlock(lock);
  rimport__error_free_thread();
}

static void cache_lock_threads_exclude_each_other(void **state) {
  rimport__lock *lock = NULL;
  uv_thread_t thread;
  locker l;
  char pid[64];
  (void)state;
  fresh_dirs("cache-threads");
  must(
      rimport__cache_lock(cache_dir, "demo", KEY1, 0, NULL, NULL, NULL, &lock));
  memset(&l, 0, sizeof(l));
  wait_log(&l.log);
  assert_int_equal(uv_thread_create(&thread, lock_in_thread, &l), 0);
  uv_sleep(400);
  assert_int_equal(l.got, 0); /* fcntl alone would have let it in */
  rimport__cache_unlock(lock);
  assert_int_equal(uv_thread_join(&thread), 0);
  assert_int_equal(l.rc, 0);
  assert_int_equal(l.got, 1);
  assert_int_equal(l.log.calls, 1);
  snprintf(pid, sizeof(pid), "this process (%d)", (int)uv_os_getpid());
  if (strstr(l.log.message, pid) == NULL)
    fail_msg("progress message: %s", l.log.message);
}

static void cache_file_lock_survives_removal(void **state) {
  rimport__file_lock *a, *b, *c;
  char path[4300];
  int owner = -1;
  (void)state;
  fresh_dirs("cache-flock");
  path_of(path, sizeof(path), cache_dir, "x.lock");
  must(rimport__file_lock_open(path, &a));
  must(rimport__file_lock_open(path, &b));
  must(rimport__file_lock_try(a, &owner));
  must(rimport__file_lock_try(a, &owner)); /* held already: 0 again */
  assert_int_equal(rimport__file_lock_try(b, &owner), RIMPORT_ELOCKED);
  assert_int_equal(owner, (int)uv_os_getpid());
  /* Closing another handle of the file does not drop a's lock. */
  must(rimport__file_lock_open(path, &c));
  rimport__file_lock_close(c);
  assert_int_equal(rimport__file_lock_try(b, &owner), RIMPORT_ELOCKED);
  /* a removes the file while b has it open: b takes a new one. (Windows:
   * the file cannot be deleted while b has it open, so it stays, and b
   * takes the lock in it.) */
  rimport__file_lock_remove(a);
  assert_int_equal(rimport__fs_is_file(path),
                   !rimport_test_open_file_can_be_removed());
  must(rimport__file_lock_try(b, &owner));
  assert_true(rimport__fs_is_file(path));
  must(rimport__file_lock_open(path, &c));
  assert_int_equal(rimport__file_lock_try(c, &owner), RIMPORT_ELOCKED);
  must(rimport__file_lock_release(b));
  must(rimport__file_lock_try(c, &owner));
  rimport__file_lock_close(c);
  rimport__file_lock_close(b);
}

/* Whether another process finds the lock file held (1) or free (0). */
static int held_elsewhere(const char *path) {
  const char *args[] = {"probe", path, NULL};
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  int64_t status;
  rimport_test_exec_self(&out, args, 30000);
  status = out.status;
  if (status != 0 && status != 10)
    fail_msg("probe: exit %d: %s", (int)status, out.err.ptr);
  rimport_test_output_free(&out);
  return status == 10;
}

/* Opening and closing more handles of a lock file this process holds (as
 * gc and clear do when they look at this process's session lock) leaves
 * it held for other processes too (unix: closing a second descriptor of
 * the file would drop the process's fcntl lock; the registry opens none). */
static void cache_file_lock_holds_through_other_handles(void **state) {
  rimport__file_lock *a = NULL, *b = NULL, *s1 = NULL, *s2 = NULL;
  char path[4300], shared[4300];
  int i, owner = 0;
  (void)state;
  fresh_dirs("cache-flock-handles");
  path_of(path, sizeof(path), cache_dir, "x.lock");
  path_of(shared, sizeof(shared), cache_dir, "x.use");
  must(rimport__file_lock_open(path, &a));
  must(rimport__file_lock_try(a, &owner));
  must(rimport__file_lock_open(shared, &s1));
  must(rimport__file_lock_try_shared(s1, &owner));
  assert_true(held_elsewhere(path));
  assert_true(held_elsewhere(shared));
  for (i = 0; i < 3; i++) {
    must(rimport__file_lock_open(path, &b));
    assert_int_equal(rimport__file_lock_try(b, &owner), RIMPORT_ELOCKED);
    rimport__file_lock_close(b);
    must(rimport__file_lock_open(shared, &s2));
    assert_int_equal(rimport__file_lock_try(s2, &owner), RIMPORT_ELOCKED);
    rimport__file_lock_close(s2);
  }
  assert_true(held_elsewhere(path));
  assert_true(held_elsewhere(shared));
  rimport__file_lock_close(a);
  rimport__file_lock_close(s1);
  assert_false(held_elsewhere(path));
  assert_false(held_elsewhere(shared));
}

/* A child marking <crate> <key> in use until <dir>/done exists; its
 * ready file is <dir>/ready-<key>. */
static rimport_test_child *start_user(const char *crate, const char *key,
                                      const char *dir) {
  char ready[4300], done[4300];
  const char *args[] = {"use", cache_dir, crate, key, ready, done, NULL};
  rimport_test_child *c;
  snprintf(ready, sizeof(ready), "%s/ready-%s", dir, key);
  snprintf(done, sizeof(done), "%s/done", dir);
  c = rimport_test_child_start(args, 0);
  if (!rimport_test_wait_for_file(ready, 30000))
    fail_msg("the child using %s (%s) did not start", crate, key);
  return c;
}

/* Tells the users started with `dir` to end, and waits for `c`. */
static void end_user(rimport_test_child *c, const char *dir) {
  char done[4300];
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  snprintf(done, sizeof(done), "%s/done", dir);
  rimport_test_write_file(done, "done\n");
  rimport_test_child_wait(c, &out);
  assert_int_equal(out.status, 0);
  rimport_test_output_free(&out);
}

/* Takes <cache>/<crate>/<key>.use exclusively (as gc and clear do): 0 or
 * RIMPORT_ELOCKED, *owner as rimport__file_lock_try says. */
static int try_use_exclusively(const char *crate, const char *key, int *owner) {
  rimport__file_lock *l = NULL;
  char p[4300];
  int rc;
  snprintf(p, sizeof(p), "%s/%s/%s.use", cache_dir, crate, key);
  must(rimport__file_lock_open(p, &l));
  rc = rimport__file_lock_try(l, owner);
  rimport__file_lock_close(l);
  return rc;
}

/* Use marks are shared: by handles of one process and by processes, and
 * they keep the exclusive lock out; gc or clear holding it exclusively
 * makes a new user wait. */
static void cache_use_marks_are_shared(void **state) {
  rimport__lock *u1 = NULL, *u2 = NULL;
  rimport__file_lock *x = NULL;
  rimport__file_lock *handle_a = NULL, *handle_b = NULL;
  rimport_test_child *c;
  char dir[4200], p[4300];
  int owner = -1;
  uint64_t t0;
  (void)state;
  fresh_dirs("cache-use");
  snprintf(dir, sizeof(dir), "%s/..", cache_dir);
  /* No crate directory: nothing to mark, and nothing made. */
  must(rimport__cache_use(cache_dir, "demo", KEY1, &u1));
  assert_null(u1);
  crate_path(p, sizeof(p), "demo", NULL);
  assert_false(rimport__fs_is_dir(p));
  rimport_test_assert_error(rimport__cache_use(cache_dir, "../x", KEY1, &u1),
                            RIMPORT_EINVAL, "../x");

  /* Two marks of this process. */
  must(rimport__fs_mkdir_p(p));
  must(rimport__cache_use(cache_dir, "demo", KEY1, &u1));
  must(rimport__cache_use(cache_dir, "demo", KEY1, &u2));
  assert_non_null(u1);
  assert_non_null(u2);
  assert_int_equal(try_use_exclusively("demo", KEY1, &owner), RIMPORT_ELOCKED);
  if (owner != 0) /* unix says who; Windows cannot */
    assert_int_equal(owner, (int)uv_os_getpid());
  rimport__cache_unlock(u1);
  assert_int_equal(try_use_exclusively("demo", KEY1, &owner), RIMPORT_ELOCKED);
  rimport__cache_unlock(u2);
  must(try_use_exclusively("demo", KEY1, &owner));

  /* The platform lock: one handle shared, another exclusive, in turn. */
  crate_path(p, sizeof(p), "demo", KEY2 ".use");
  must(rimport__file_lock_open(p, &handle_a));
  must(rimport__file_lock_open(p, &handle_b));
  must(rimport__file_lock_try_shared(handle_a, &owner));
  must(rimport__file_lock_try_shared(handle_a, &owner)); /* again: 0 */
  assert_int_equal(rimport__file_lock_try(handle_b, &owner), RIMPORT_ELOCKED);
  assert_int_equal(rimport__file_lock_try(handle_a, &owner), RIMPORT_ELOCKED);
  must(rimport__file_lock_release(handle_a));
  must(rimport__file_lock_try(handle_b, &owner));
  assert_int_equal(rimport__file_lock_try_shared(handle_a, &owner),
                   RIMPORT_ELOCKED);
  rimport_test_assert_error(rimport__file_lock_try_shared(handle_b, &owner),
                            RIMPORT_EINVAL, "exclusively");
  rimport__file_lock_close(handle_b);
  must(rimport__file_lock_try_shared(handle_a, &owner));
  rimport__file_lock_close(handle_a);

  /* Another process's mark and ours together; the exclusive lock waits
   * for both. */
  c = start_user("demo", KEY1, dir);
  must(rimport__cache_use(cache_dir, "demo", KEY1, &u1));
  assert_int_equal(try_use_exclusively("demo", KEY1, &owner), RIMPORT_ELOCKED);
  rimport__cache_unlock(u1);
  assert_int_equal(try_use_exclusively("demo", KEY1, &owner), RIMPORT_ELOCKED);
  if (owner != 0) /* unix says who (F_GETLK); Windows cannot */
    assert_int_equal(owner, rimport_test_child_pid(c));
  end_user(c, dir);
  must(try_use_exclusively("demo", KEY1, &owner));

  /* Held exclusively (gc removing it): a new user waits for the end. */
  crate_path(p, sizeof(p), "demo", KEY1 ".use");
  must(rimport__file_lock_open(p, &x));
  must(rimport__file_lock_try(x, &owner));
  snprintf(p, sizeof(p), "%s/done", dir);
  must(rimport__fs_unlink(p));
  {
    char ready[4300], done[4300];
    const char *args[] = {"use", cache_dir, "demo", KEY1, ready, done, NULL};
    snprintf(ready, sizeof(ready), "%s/ready-%s", dir, KEY1);
    snprintf(done, sizeof(done), "%s/done", dir);
    (void)rimport__fs_unlink(ready);
    rimport_error_clear();
    c = rimport_test_child_start(args, 0);
    t0 = uv_hrtime();
    assert_false(rimport_test_wait_for_file(ready, 700));
    rimport__file_lock_close(x);
    if (!rimport_test_wait_for_file(ready, 30000))
      fail_msg("the user did not go on once the lock was free");
    assert_true(uv_hrtime() - t0 >= 700000000u);
  }
  end_user(c, dir);
}

static void cache_gc_spares_what_is_in_use(void **state) {
  rimport_test_child *c;
  int dead_pid;
  char ready[4300], crate_dir[4300], p[4300], dead_stage[4300];
  rimport__lock *lock_b = NULL, *lock_c = NULL, *lock_d = NULL;
  rimport__stage *live = NULL;
  rimport__entry *e = NULL, *d = NULL;
  unsigned long long freed = 0;
  const char *args[] = {"stage", cache_dir, src_dir, "demo", KEY1, ready, NULL};
  (void)state;
  fresh_dirs("cache-gc");
  crate_path(crate_dir, sizeof(crate_dir), "demo", NULL);
  snprintf(ready, sizeof(ready), "%s/../ready", cache_dir);

  /* KEY1: a stage left by a process killed half-way. */
  c = rimport_test_child_start(args, 0);
  if (!rimport_test_wait_for_file(ready, 20000))
    fail_msg("the staging child did not start");
  dead_pid = rimport_test_child_pid(c);
  rimport_test_child_kill(c, NULL);
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ".stage-" KEY1), 1);
  assert_int_equal(rimport__cache_lookup(cache_dir, "demo", KEY1, 1, &e),
                   RIMPORT_ENOTFOUND); /* never a half entry */

  /* KEY2: our own stage in progress, its lock held. */
  must(rimport__cache_lock(cache_dir, "demo", KEY2, 0, NULL, NULL, NULL,
                           &lock_b));
  must(rimport__stage_begin(cache_dir, "demo", KEY2, &live));
  /* KEY3: a stage of a dead pid, but its key lock is held. */
  if (snprintf(dead_stage, sizeof(dead_stage), "%s/.stage-%s-%d-7", crate_dir,
               KEY3, dead_pid) >= (int)sizeof(dead_stage))
    fail_msg("path too long");
  assert_int_equal(rimport__fs_mkdir_p(dead_stage), 0);
  must(rimport__cache_lock(cache_dir, "demo", KEY3, 0, NULL, NULL, NULL,
                           &lock_c));
  /* KEY4: a published entry that lost its dylib, its lock held. */
  must(publish(cache_dir, src_dir, "demo", KEY4, &d));
  remove_file(d->dylib);
  must(rimport__cache_lock(cache_dir, "demo", KEY4, 0, NULL, NULL, NULL,
                           &lock_d));
  /* cargo's workshop, busy while any lock is held. */
  path_of(p, sizeof(p), cache_dir, "_target/release");
  assert_int_equal(rimport__fs_mkdir_p(p), 0);
  path_of(p, sizeof(p), cache_dir, "_target/release/big");
  write_bytes(p, 5000, 3);

  must(rimport__cache_gc(cache_dir, &freed));
  assert_true(freed >= 300000); /* the dead stage's dylib */
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ".stage-" KEY1), 0);
  assert_true(rimport__fs_is_dir(rimport__stage_dir(live)));
  assert_true(rimport__fs_is_dir(dead_stage));
  assert_true(rimport__fs_is_dir(d->dir));
  path_of(p, sizeof(p), cache_dir, "_target");
  assert_true(rimport__fs_is_dir(p));
  crate_path(p, sizeof(p), "demo", KEY1 ".lock");
  assert_false(rimport__fs_is_file(p)); /* nobody held it: removed */
  crate_path(p, sizeof(p), "demo", KEY2 ".lock");
  assert_true(rimport__fs_is_file(p));

  /* Once nothing is held, everything unused goes. */
  rimport__cache_unlock(lock_c);
  rimport__cache_unlock(lock_d);
  rimport__stage_abort(live);
  rimport__cache_unlock(lock_b);
  must(rimport__cache_gc(cache_dir, &freed));
  assert_true(freed >= 5000 + 70001);
  assert_false(rimport__fs_is_dir(dead_stage));
  assert_false(rimport__fs_is_dir(d->dir));
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ".corrupt-"), 0);
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ".stage-"), 0);
  path_of(p, sizeof(p), cache_dir, "_target");
  assert_false(rimport__fs_is_dir(p));
  assert_int_equal(rimport_test_count_prefixed(crate_dir, ""), 0);
  rimport__entry_free(d);
}

static void cache_clear_removes_rimports_files_only(void **state) {
  rimport__entry *e = NULL;
  rimport__lock *lock = NULL;
  char p[4300], pid[64];
  (void)state;
  fresh_dirs("cache-clear");
  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  path_of(p, sizeof(p), cache_dir, "_target/debug");
  assert_int_equal(rimport__fs_mkdir_p(p), 0);
  path_of(p, sizeof(p), cache_dir, "_kayton_api");
  assert_int_equal(rimport__fs_mkdir_p(p), 0);
  path_of(p, sizeof(p), cache_dir, "toolchain");
  assert_int_equal(rimport__fs_mkdir_p(p), 0);
  path_of(p, sizeof(p), cache_dir, "toolchain/0123.json");
  rimport_test_write_file(p, "{}");
  /* Not rimport's: stays. */
  path_of(p, sizeof(p), cache_dir, "notes.txt");
  rimport_test_write_file(p, "mine\n");
  path_of(p, sizeof(p), cache_dir, "Documents");
  assert_int_equal(rimport__fs_mkdir_p(p), 0);
  path_of(p, sizeof(p), cache_dir, "Documents/letter.txt");
  rimport_test_write_file(p, "mine\n");

  /* A build in progress: refused, nothing removed. */
  must(rimport__cache_lock(cache_dir, "other", KEY2, 0, NULL, NULL, NULL,
                           &lock));
  snprintf(pid, sizeof(pid), "process %d is building other",
           (int)uv_os_getpid());
  rimport_test_assert_error(rimport__cache_clear(cache_dir), RIMPORT_ELOCKED,
                            pid);
  assert_true(rimport__fs_is_dir(e->dir));
  rimport__cache_unlock(lock);

  must(rimport__cache_clear(cache_dir));
  assert_false(rimport__fs_is_dir(e->dir));
  crate_path(p, sizeof(p), "demo", NULL);
  assert_false(rimport__fs_is_dir(p));
  crate_path(p, sizeof(p), "other", NULL);
  assert_false(rimport__fs_is_dir(p));
  path_of(p, sizeof(p), cache_dir, "_target");
  assert_false(rimport__fs_is_dir(p));
  path_of(p, sizeof(p), cache_dir, "_kayton_api");
  assert_false(rimport__fs_is_dir(p));
  path_of(p, sizeof(p), cache_dir, "toolchain");
  assert_false(rimport__fs_is_dir(p));
  path_of(p, sizeof(p), cache_dir, "notes.txt");
  assert_true(rimport__fs_is_file(p));
  path_of(p, sizeof(p), cache_dir, "Documents/letter.txt");
  assert_true(rimport__fs_is_file(p));
  /* And the cache works again. */
  rimport__entry_free(e);
  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  rimport__entry_free(e);
}

/* What gc and clear report. */
typedef struct gc_log {
  int removed, kept;
  char kept_path[4][4300];
  char reason[512];
} gc_log;

static void on_gc(const char *path, unsigned long long bytes, const char *kept,
                  void *payload) {
  gc_log *log = payload;
  (void)bytes;
  if (kept == NULL) {
    log->removed++;
    return;
  }
  assert_true(log->kept < 4);
  snprintf(log->kept_path[log->kept++], sizeof(log->kept_path[0]), "%s", path);
  snprintf(log->reason, sizeof(log->reason), "%s", kept);
}

/* The reason names the process using the entry (unix), or says a running
 * process does (Windows cannot tell who holds a shared lock). */
static void assert_in_use_by(const gc_log *log, int pid, const char *cmd) {
  char who[64];
  snprintf(who, sizeof(who), "in use: process %d has it loaded", pid);
  if (strstr(log->reason, who) == NULL &&
      strstr(log->reason, "in use: a running process has it loaded") == NULL)
    fail_msg("reason: %s", log->reason);
  if (strstr(log->reason, cmd) == NULL)
    fail_msg("reason lacks `%s`: %s", cmd, log->reason);
}

/* Entries another process uses (has loaded) stay through gc and clear,
 * named with the reason; the rest goes. */
static void cache_gc_and_clear_keep_entries_in_use(void **state) {
  rimport__entry *e1 = NULL, *e2 = NULL, *e3 = NULL;
  rimport_test_child *c1, *c2;
  gc_log log;
  char dir[4200], p[4300];
  (void)state;
  fresh_dirs("cache-inuse");
  snprintf(dir, sizeof(dir), "%s/..", cache_dir);
  must(publish(cache_dir, src_dir, "demo", KEY1, &e1));
  must(publish(cache_dir, src_dir, "demo", KEY2, &e2));
  must(publish(cache_dir, src_dir, "demo", KEY3, &e3));
  path_of(p, sizeof(p), cache_dir, "toolchain");
  must(rimport__fs_mkdir_p(p));
  c1 = start_user("demo", KEY1, dir);
  c2 = start_user("demo", KEY2, dir);
  /* KEY2 loses its dylib while in use: gc keeps it in place. */
  rimport_test_make_writable(e2->dir);
  remove_file(e2->dylib);

  memset(&log, 0, sizeof(log));
  must(rimport__cache_gc_report(cache_dir, on_gc, &log, NULL));
  assert_int_equal(log.kept, 1);
  rimport_test_assert_path_equal(log.kept_path[0], e2->dir);
  assert_in_use_by(&log, rimport_test_child_pid(c2), "rimport cache gc");
  assert_true(rimport__fs_is_dir(e2->dir));
  crate_path(p, sizeof(p), "demo", NULL);
  assert_int_equal(rimport_test_count_prefixed(p, ".corrupt-"), 0);

  memset(&log, 0, sizeof(log));
  must(rimport__cache_clear_report(cache_dir, on_gc, &log));
  assert_int_equal(log.kept, 2);
  rimport_test_assert_path_equal(log.kept_path[0], e1->dir);
  rimport_test_assert_path_equal(log.kept_path[1], e2->dir);
  assert_in_use_by(&log, rimport_test_child_pid(c2), "rimport cache clear");
  assert_true(rimport__fs_is_file(e1->dylib)); /* nothing in use broken */
  rimport__entry_free(e3);
  e3 = NULL;
  must(rimport__cache_lookup(cache_dir, "demo", KEY1, RIMPORT__VERIFY_FULL,
                             &e3));
  rimport__entry_free(e3);
  crate_path(p, sizeof(p), "demo", KEY3);
  assert_false(rimport__fs_is_dir(p)); /* the rest is gone */
  crate_path(p, sizeof(p), "demo", KEY3 ".use");
  assert_false(rimport__fs_is_file(p));
  crate_path(p, sizeof(p), "demo", KEY1 ".use");
  assert_true(rimport__fs_is_file(p));
  path_of(p, sizeof(p), cache_dir, "toolchain");
  assert_false(rimport__fs_is_dir(p));

  /* Once the users have ended, everything goes. */
  end_user(c1, dir);
  end_user(c2, dir);
  memset(&log, 0, sizeof(log));
  must(rimport__cache_clear_report(cache_dir, on_gc, &log));
  assert_int_equal(log.kept, 0);
  crate_path(p, sizeof(p), "demo", NULL);
  assert_false(rimport__fs_is_dir(p));
  rimport__entry_free(e1);
  rimport__entry_free(e2);
}

/* ------------------------------------------------------------ use marks */

#ifndef _WIN32
/* Descriptors open below 1024. */
static int open_descriptors(void) {
  int fd, n = 0;
  for (fd = 0; fd < 1024; fd++)
    if (fcntl(fd, F_GETFD) != -1)
      n++;
  return n;
}
#endif

/* How many lines of the .keys files in <cache>/_sessions list "<crate>
 * <key>". */
typedef struct marks_scan {
  const char *dir;
  const char *line;
  int files, hits;
} marks_scan;

static int scan_keys_file(const rimport__dirent *ent, void *payload) {
  marks_scan *m = payload;
  rimport_buf text = RIMPORT_BUF_INIT;
  char p[4300];
  const char *at;
  size_t n = strlen(ent->name);
  if (n < 5 || strcmp(ent->name + n - 5, ".keys") != 0)
    return 0;
  m->files++;
  path_of(p, sizeof(p), m->dir, ent->name);
  must(rimport__fs_read_file(p, 1u << 24, &text));
  for (at = text.ptr; (at = strstr(at, m->line)) != NULL; at++)
    m->hits++;
  rimport_buf_dispose(&text);
  return 0;
}

static int listed(const char *crate, const char *key, int *files) {
  marks_scan m;
  char dir[4300], line[200];
  path_of(dir, sizeof(dir), cache_dir, "_sessions");
  snprintf(line, sizeof(line), "\n%s %s\n", crate, key);
  memset(&m, 0, sizeof(m));
  m.dir = dir;
  m.line = line;
  if (rimport__fs_is_dir(dir))
    must(rimport__fs_list_dir(dir, scan_keys_file, &m));
  if (files != NULL)
    *files = m.files;
  return m.hits;
}

/* Files in <cache>/_sessions (-1: no such directory). */
static int session_files(void) {
  char dir[4300];
  path_of(dir, sizeof(dir), cache_dir, "_sessions");
  return rimport__fs_is_dir(dir) ? rimport_test_count_prefixed(dir, "") : -1;
}

/* Marking 200 entries under a limit of 64 descriptors: the marks hold two
 * (the session lock and its list), however many entries they mark; the
 * per-entry locks older rimport held run out there. */
static void cache_marks_hold_few_descriptors(void **state) {
  rimport__marks *m = NULL;
  rimport__lock *old[200];
  rimport__entry *e = NULL;
  gc_log log;
  char key[33], p[4300];
  unsigned long long saved;
  unsigned int i;
  int files = 0, unmarked = 0;
#ifndef _WIN32
  int before;
#endif
  (void)state;
  fresh_dirs("cache-marks-fds");
  crate_path(p, sizeof(p), "demo", NULL);
  must(rimport__fs_mkdir_p(p)); /* so that every fence opens its file */
  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  rimport__entry_free(e);
  nth_key(key, 7);
  must(publish(cache_dir, src_dir, "demo", key, &e));
  rimport__entry_free(e);
  saved = rimport_test_limit_descriptors(64);
#ifndef _WIN32
  before = open_descriptors();
#endif
  must(rimport__marks_open(cache_dir, &m));
  assert_non_null(m);
  for (i = 0; i < 200; i++) {
    nth_key(key, i);
    must(rimport__marks_add(m, "demo", key));
  }
  must(rimport__marks_add(m, "demo", key)); /* again: nothing new */
#ifndef _WIN32
  assert_true(open_descriptors() - before <= 2);
#endif
  assert_int_equal(listed("demo", key, &files), 1);
  assert_int_equal(files, 1);
  nth_key(key, 0);
  assert_int_equal(listed("demo", key, NULL), 1);

  /* What older rimport did: a descriptor per entry, which runs out (the
   * marks that cannot be made come back NULL: unmarked). */
  for (i = 0; i < 200; i++) {
    nth_key(key, i);
    old[i] = NULL;
    must(rimport__cache_use(cache_dir, "demo", key, &old[i]));
    unmarked += old[i] == NULL;
  }
  for (i = 0; i < 200; i++)
    rimport__cache_unlock(old[i]);
#ifndef _WIN32
  assert_true(unmarked > 0);
#else
  (void)unmarked;
#endif

  /* Clear, in this process, reads the marks and keeps what they list
   * (with every limit back: clear holds every key's lock and fence until
   * it is done). */
  rimport_test_restore_descriptors(saved);
  memset(&log, 0, sizeof(log));
  must(rimport__cache_clear_report(cache_dir, on_gc, &log));
  assert_int_equal(log.kept, 1);
  nth_key(key, 7);
  crate_path(p, sizeof(p), "demo", key);
  rimport_test_assert_path_equal(log.kept_path[0], p);
  assert_in_use_by(&log, (int)uv_os_getpid(), "rimport cache clear");
  crate_path(p, sizeof(p), "demo", KEY1);
  assert_false(rimport__fs_is_dir(p));

  rimport__marks_close(m);
  assert_int_equal(session_files(), 0);
  must(rimport__cache_clear(cache_dir));
  crate_path(p, sizeof(p), "demo", NULL);
  assert_false(rimport__fs_is_dir(p));
  assert_int_equal(session_files(), -1);
}

/* Starts `mark` marking keys[0..n) of demo; ready/done under <cache>/.. */
static rimport_test_child *start_marker(const char *const *keys, int n,
                                        const char *tag) {
  char ready[4300], done[4300];
  const char *args[16] = {"mark", cache_dir, "demo", ready, done};
  rimport_test_child *c;
  int i;
  assert_true(n <= 10);
  snprintf(ready, sizeof(ready), "%s/../ready-%s", cache_dir, tag);
  snprintf(done, sizeof(done), "%s/../done-%s", cache_dir, tag);
  for (i = 0; i < n; i++)
    args[5 + i] = keys[i];
  c = rimport_test_child_start(args, 0);
  if (!rimport_test_wait_for_file(ready, 30000))
    fail_msg("the marking child did not get ready");
  return c;
}

/* gc and clear keep what a live process has marked (and name it), take
 * the rest, and once that process is killed, take its marks' files and
 * everything. */
static void cache_marks_of_live_processes_are_kept(void **state) {
  static const char *const keys[] = {KEY1, KEY2};
  rimport__entry *e[4] = {NULL, NULL, NULL, NULL};
  const char *all[4] = {KEY1, KEY2, KEY3, KEY4};
  rimport_test_child *c;
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  gc_log log;
  char p[4300];
  int i;
  (void)state;
  fresh_dirs("cache-marks-live");
  for (i = 0; i < 4; i++)
    must(publish(cache_dir, src_dir, "demo", all[i], &e[i]));
  c = start_marker(keys, 2, "live");
  assert_int_equal(session_files(), 2);
  assert_int_equal(listed("demo", KEY1, NULL), 1);
  /* KEY1 (marked) and KEY3 (not) lose their dylib. */
  rimport_test_make_writable(e[0]->dir);
  remove_file(e[0]->dylib);
  rimport_test_make_writable(e[2]->dir);
  remove_file(e[2]->dylib);

  memset(&log, 0, sizeof(log));
  must(rimport__cache_gc_report(cache_dir, on_gc, &log, NULL));
  assert_int_equal(log.kept, 1);
  rimport_test_assert_path_equal(log.kept_path[0], e[0]->dir);
  assert_in_use_by(&log, rimport_test_child_pid(c), "rimport cache gc");
  assert_true(rimport__fs_is_dir(e[0]->dir));
  assert_false(rimport__fs_is_dir(e[2]->dir));
  crate_path(p, sizeof(p), "demo", NULL);
  assert_int_equal(rimport_test_count_prefixed(p, ".corrupt-"), 0);

  memset(&log, 0, sizeof(log));
  must(rimport__cache_clear_report(cache_dir, on_gc, &log));
  assert_int_equal(log.kept, 2);
  rimport_test_assert_path_equal(log.kept_path[0], e[0]->dir);
  rimport_test_assert_path_equal(log.kept_path[1], e[1]->dir);
  assert_in_use_by(&log, rimport_test_child_pid(c), "rimport cache clear");
  assert_true(rimport__fs_is_file(e[1]->dylib));
  assert_false(rimport__fs_is_dir(e[3]->dir));
  assert_int_equal(session_files(), 2); /* a live process's */

  /* Killed: the OS drops its session lock; gc takes its files, and then
   * nothing is in use. */
  rimport_test_child_kill(c, &out);
  assert_int_not_equal(out.term_signal, 0);
  rimport_test_output_free(&out);
  assert_int_equal(session_files(), 2);
  must(rimport__cache_gc(cache_dir, NULL));
  assert_int_equal(session_files(), 0);
  memset(&log, 0, sizeof(log));
  must(rimport__cache_clear_report(cache_dir, on_gc, &log));
  assert_int_equal(log.kept, 0);
  assert_false(rimport__fs_is_dir(p));
  assert_int_equal(session_files(), -1);
  for (i = 0; i < 4; i++)
    rimport__entry_free(e[i]);
}

/* Runs `tidy <what>` in another process; its "removed … kept …" line. */
static void tidy_elsewhere(const char *what, rimport_test_output *out) {
  const char *args[] = {"tidy", what, cache_dir, NULL};
  rimport_test_exec_self(out, args, 60000);
  if (out->status != 0)
    fail_msg("tidy %s: exit %d: %s", what, (int)out->status, out->err.ptr);
}

/* This process's marks hold against gc and clear in another process, and
 * against its own (which read the marks without dropping its lock). */
static void cache_marks_hold_against_other_processes(void **state) {
  rimport__marks *m = NULL;
  rimport__entry *e = NULL;
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  char p1[4300], p2[4300];
  (void)state;
  fresh_dirs("cache-marks-others");
  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  rimport__entry_free(e);
  must(publish(cache_dir, src_dir, "demo", KEY2, &e));
  rimport__entry_free(e);
  crate_path(p1, sizeof(p1), "demo", KEY1);
  crate_path(p2, sizeof(p2), "demo", KEY2);
  must(rimport__marks_open(cache_dir, &m));
  assert_non_null(m);
  must(rimport__marks_add(m, "demo", KEY1));
  /* Our own gc and clear first. */
  must(rimport__cache_gc(cache_dir, NULL));
  must(rimport__cache_clear(cache_dir));
  assert_true(rimport__fs_is_dir(p1));
  assert_false(rimport__fs_is_dir(p2));
  /* Another process's: our lock still holds. */
  must(publish(cache_dir, src_dir, "demo", KEY2, &e));
  rimport__entry_free(e);
  tidy_elsewhere("gc", &out);
  rimport_test_output_free(&out);
  tidy_elsewhere("clear", &out);
  if (strstr(out.out.ptr, "kept 1") == NULL)
    fail_msg("clear elsewhere: %s", out.out.ptr);
  rimport_test_output_free(&out);
  assert_true(rimport__fs_is_dir(p1));
  assert_false(rimport__fs_is_dir(p2));
  /* A mark added now is seen too; closed marks keep nothing. */
  must(publish(cache_dir, src_dir, "demo", KEY2, &e));
  rimport__entry_free(e);
  must(rimport__marks_add(m, "demo", KEY2));
  tidy_elsewhere("clear", &out);
  if (strstr(out.out.ptr, "kept 2") == NULL)
    fail_msg("clear elsewhere: %s", out.out.ptr);
  rimport_test_output_free(&out);
  rimport__marks_close(m);
  tidy_elsewhere("clear", &out);
  if (strstr(out.out.ptr, "kept 0") == NULL)
    fail_msg("clear elsewhere: %s", out.out.ptr);
  rimport_test_output_free(&out);
  assert_false(rimport__fs_is_dir(p1));
  assert_int_equal(session_files(), -1);
}

/* The order that makes gc safe: a process lists the key, then passes the
 * key's fence; while gc holds the fence, the marking process waits, its
 * line already written (so gc, reading after it took the fence, sees it). */
static void cache_mark_is_listed_before_the_fence(void **state) {
  static const char *const keys[] = {KEY1};
  rimport__file_lock *x = NULL;
  rimport_test_child *c;
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  char ready[4300], done[4300], p[4300];
  const char *args[] = {"mark", cache_dir, "demo", ready, done, KEY1, NULL};
  int owner = 0;
  uint64_t t0;
  (void)state;
  fresh_dirs("cache-marks-fence");
  crate_path(p, sizeof(p), "demo", KEY1 ".use");
  must(rimport__fs_mkdir_p(cache_dir));
  crate_path(done, sizeof(done), "demo", NULL);
  must(rimport__fs_mkdir_p(done));
  must(rimport__file_lock_open(p, &x));
  must(rimport__file_lock_try(x, &owner)); /* as gc and clear take it */
  snprintf(ready, sizeof(ready), "%s/../ready-fence", cache_dir);
  snprintf(done, sizeof(done), "%s/../done-fence", cache_dir);
  c = rimport_test_child_start(args, 0);
  t0 = uv_hrtime();
  while (listed("demo", KEY1, NULL) == 0) {
    if (uv_hrtime() - t0 > 30000000000u)
      fail_msg("the marking child listed nothing");
    uv_sleep(20);
  }
  /* Listed, and waiting at the fence. */
  assert_false(rimport_test_wait_for_file(ready, 700));
  assert_int_equal(listed("demo", KEY1, NULL), 1);
  rimport__file_lock_close(x);
  if (!rimport_test_wait_for_file(ready, 30000))
    fail_msg("the marking child did not pass the free fence");
  assert_true(uv_hrtime() - t0 >= 700000000u);
  rimport_test_write_file(done, "done\n");
  rimport_test_child_wait(c, &out);
  assert_int_equal(out.status, 0);
  rimport_test_output_free(&out);
  /* A marker that lists KEY1 and is done at once. */
  c = start_marker(keys, 1, "again");
  snprintf(done, sizeof(done), "%s/../done-again", cache_dir);
  rimport_test_write_file(done, "done\n");
  rimport_test_child_wait(c, &out);
  assert_int_equal(out.status, 0);
  rimport_test_output_free(&out);
  must(rimport__cache_gc(cache_dir, NULL));
  assert_int_equal(session_files(), 0);
}

/* Clear after clear (each entry it removed put back: a copy renamed into
 * place) while another process marks and looks up entry after entry:
 * every entry it found (so would load) is still there. */
static void cache_clear_racing_marks_spares_what_was_found(void **state) {
  enum { N = 40 };
  char keys[N][33], ready[4300], found[4300], done[4300], small[4300],
      tmpl[4300], p[4300], from[4400], tmp[4300];
  const char *args[6 + N];
  rimport_test_child *c;
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  rimport_buf text = RIMPORT_BUF_INIT;
  rimport__entry *e = NULL;
  const char *line;
  int i, clears = 0, kept = 0;
  uint64_t t0;
  (void)state;
  fresh_dirs("cache-marks-race");
  snprintf(ready, sizeof(ready), "%s/../ready-race", cache_dir);
  snprintf(found, sizeof(found), "%s/../found", cache_dir);
  snprintf(done, sizeof(done), "%s/../found.done", cache_dir);
  args[0] = "race";
  args[1] = cache_dir;
  args[2] = "demo";
  args[3] = ready;
  args[4] = found;
  /* Small entries, published once in a template cache. */
  snprintf(small, sizeof(small), "%s/../small", cache_dir);
  snprintf(tmpl, sizeof(tmpl), "%s/../tmpl", cache_dir);
  must(rimport__fs_mkdir_p(small));
  path_of(p, sizeof(p), small, "libkayton_rplugin__demo.so");
  write_bytes(p, 3000, 5);
  path_of(p, sizeof(p), small, "libdep-1234.rlib");
  write_bytes(p, 1000, 6);
  path_of(p, sizeof(p), small, "Cargo.toml");
  rimport_test_write_file(p, CARGO_TOML);
  for (i = 0; i < N; i++) {
    nth_key(keys[i], 1000u + (unsigned int)i);
    must(publish(tmpl, small, "demo", keys[i], &e));
    rimport__entry_free(e);
    args[5 + i] = keys[i];
  }
  args[5 + N] = NULL;
  crate_path(p, sizeof(p), "demo", NULL);
  must(rimport__fs_mkdir_p(p));
  c = rimport_test_child_start(args, 0);
  if (!rimport_test_wait_for_file(ready, 30000))
    fail_msg("the racing child did not start");
  t0 = uv_hrtime();
  while (!rimport__fs_is_file(found)) {
    int rc;
    if (!rimport__proc_alive(rimport_test_child_pid(c))) {
      rimport_test_child_wait(c, &out);
      fail_msg("the racing child ended (exit %d): a lookup saw an entry "
               "being removed?",
               (int)out.status);
    }
    if (uv_hrtime() - t0 > 60000000000u)
      fail_msg("the racing child did not finish in 60 s");
    rc = rimport__cache_clear(cache_dir);
    if (rc != 0 && rc != RIMPORT_ELOCKED)
      must(rc);
    clears++;
    for (i = 0; i < N; i++) {
      crate_path(p, sizeof(p), "demo", keys[i]);
      if (rimport__fs_is_dir(p))
        continue;
      snprintf(from, sizeof(from), "%s/demo/%.32s", tmpl, keys[i]);
      crate_path(tmp, sizeof(tmp), "demo", "copy");
      rimport_test_copy_tree(from, tmp);
      must(rimport__fs_rename(tmp, p, NULL));
    }
  }
  must(rimport__fs_read_file(found, 1u << 20, &text));
  for (line = text.ptr; *line != '\0'; line += 33) {
    char key[33];
    memcpy(key, line, 32);
    key[32] = '\0';
    if (rimport__cache_lookup(cache_dir, "demo", key, RIMPORT__VERIFY_FULL,
                              &e) != 0)
      fail_msg("the child found %s, which clear then removed: %s", key,
               rimport_error_last()->message);
    rimport__entry_free(e);
    kept++;
  }
  print_message("%d clears; the child found %d of %d entries\n", clears, kept,
                N);
  rimport_test_write_file(done, "done\n");
  rimport_test_child_wait(c, &out);
  assert_int_equal(out.status, 0);
  rimport_test_output_free(&out);
  rimport_buf_dispose(&text);
  must(rimport__cache_clear(cache_dir));
  assert_int_equal(session_files(), -1);
}

/* Eight processes build and load entries (each its own keys, a new one
 * each round: mark, look up, build and publish under the key lock), while
 * `rimport cache gc` and `rimport cache clear` run again and again beside
 * them: no build or publish fails, and no entry a process has marked is
 * removed or damaged (each checks all of its entries every round). */
static void cache_gc_and_clear_under_load(void **state) {
  enum { WORKERS = 8 };
  rimport_test_child *w[WORKERS], *tidy[2];
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  char small[4300], stop[4300], idx[WORKERS][8], p[4300];
  const char *rounds = "30";
  int i, failed = 0;
  (void)state;
  fresh_dirs("cache-under-load");
  snprintf(small, sizeof(small), "%s/../small", cache_dir);
  snprintf(stop, sizeof(stop), "%s/../stop", cache_dir);
  must(rimport__fs_mkdir_p(small));
  path_of(p, sizeof(p), small, "libkayton_rplugin__demo.so");
  write_bytes(p, 20000, 5);
  path_of(p, sizeof(p), small, "libdep-1234.rlib");
  write_bytes(p, 5000, 6);
  path_of(p, sizeof(p), small, "Cargo.toml");
  rimport_test_write_file(p, CARGO_TOML);
  {
    const char *gc[] = {"tidyloop", "gc", cache_dir, stop, NULL};
    const char *clear[] = {"tidyloop", "clear", cache_dir, stop, NULL};
    tidy[0] = rimport_test_child_start(gc, RIMPORT_TEST_CHILD_CAPTURE);
    tidy[1] = rimport_test_child_start(clear, RIMPORT_TEST_CHILD_CAPTURE);
  }
  for (i = 0; i < WORKERS; i++) {
    const char *args[] = {"worker", cache_dir, small, idx[i], rounds, NULL};
    snprintf(idx[i], sizeof(idx[i]), "%d", i + 1);
    w[i] = rimport_test_child_start(args, RIMPORT_TEST_CHILD_CAPTURE);
  }
  for (i = 0; i < WORKERS; i++) {
    rimport_test_child_wait(w[i], &out);
    if (out.status != 0 || out.term_signal != 0) {
      print_message("worker %d failed (exit %d, signal %d)\n", i + 1,
                    (int)out.status, out.term_signal);
      failed++;
    } else {
      print_message("%s", out.out.ptr);
    }
    rimport_test_output_free(&out);
  }
  rimport_test_write_file(stop, "stop\n");
  for (i = 0; i < 2; i++) {
    int runs = 0;
    rimport_test_child_wait(tidy[i], &out);
    if (out.status != 0 || out.term_signal != 0)
      failed++;
    print_message("rimport cache %s: %s", i == 0 ? "gc" : "clear", out.out.ptr);
    if (sscanf(out.out.ptr, "%d runs", &runs) != 1 || runs < 2)
      fail_msg("`rimport cache %s` ran %d times beside the workers: the "
               "case tested nothing",
               i == 0 ? "gc" : "clear", runs);
    rimport_test_output_free(&out);
  }
  if (failed)
    fail_msg("%d of the processes failed (their messages are above)", failed);
  /* The workers have ended: their marks went with them, and every entry
   * can go. */
  must(rimport__cache_clear(cache_dir));
  crate_path(p, sizeof(p), "load", NULL);
  assert_false(rimport__fs_is_dir(p));
}

static void cache_unwritable_dir_is_a_clear_error(void **state) {
  rimport__stage *st = NULL;
  rimport__lock *lock = NULL;
  (void)state;
  fresh_dirs("cache-ro");
  if (!rimport_test_deny_writes(cache_dir))
    skip(); /* root (Windows skips this case: support.c windows_skips) */
  rimport_test_assert_error(rimport__stage_begin(cache_dir, "demo", KEY1, &st),
                            RIMPORT_EIO, cache_dir);
  rimport_test_assert_error(rimport__stage_begin(cache_dir, "demo", KEY1, &st),
                            RIMPORT_EIO, "permission denied");
  assert_null(st);
  rimport_test_assert_error(
      rimport__cache_lock(cache_dir, "demo", KEY1, 0, NULL, NULL, NULL, &lock),
      RIMPORT_EIO, cache_dir);
  assert_null(lock);
  /* No use marks can be made, and none are needed: nobody here can remove
   * anything either. */
  {
    rimport__marks *m = NULL;
    must(rimport__marks_open(cache_dir, &m));
    assert_null(m);
    must(rimport__marks_add(m, "demo", KEY1));
  }
  rimport_test_allow_writes(cache_dir);
}

/* ------------------------------------------------------ hard conditions */

typedef struct walk_log {
  int count;
  int bad;
  char seen[4][80];
} walk_log;

static void on_visit(const char *crate, const char *key,
                     const rimport__entry *entry, int verify_rc,
                     void *payload) {
  walk_log *w = payload;
  if (w->count < 4)
    snprintf(w->seen[w->count], sizeof(w->seen[0]), "%s/%s", crate, key);
  w->count++;
  if (verify_rc != 0) {
    assert_null(entry);
    assert_int_not_equal(rimport_error_last()->code, RIMPORT_OK);
    w->bad++;
  } else {
    assert_non_null(entry);
  }
}

/* A directory this process may not write in: a read-only tmpfs when the
 * process may mount (root, whom a mode does not stop), else <tmp>/ro with
 * its write permission taken away. NULL (after saying why) when neither
 * works. */
static const char *read_only_dir(char *made, size_t size) {
  char why[512];
  const char *ro = rimport_test_mount_tmpfs("ro", why, sizeof(why));
  if (ro != NULL)
    return ro;
  snprintf(made, size, "%s/../ro", cache_dir);
  must(rimport__fs_mkdir_p(made));
  if (rimport_test_deny_writes(made))
    return made;
  print_message("skipped: no read-only directory can be made here: a "
                "tmpfs cannot be mounted (%s), and a directory's mode does "
                "not stop this user (root)\n",
                why);
  return NULL;
}

/* The message names the directory, says it cannot be written and what to
 * do. */
static void assert_read_only_message(const char *message, const char *dir) {
  if (strstr(message, dir) == NULL ||
      (strstr(message, "read-only file system") == NULL &&
       strstr(message, "permission denied") == NULL) ||
      strstr(message, "writable directory") == NULL ||
      strstr(message, "RIMPORT_CACHE_DIR") == NULL)
    fail_msg("the message does not name \"%s\", the reason and what to do: "
             "%s",
             dir, message);
}

/* A cache directory on a read-only file system (or one this user may not
 * write): rimport_session_open refuses it, naming it and what to do, and
 * so does the command; a cache directory to be made there too. */
static void cache_read_only_dir_fails_at_session_open(void **state) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s = NULL;
  char made[4300], sub[4400];
  const char *ro;
  int rc;
  (void)state;
  fresh_dirs("cache-read-only");
  if ((ro = read_only_dir(made, sizeof(made))) == NULL)
    skip();
  o.cache_dir = ro;
  o.offline = 1;
  rc = rimport_session_open(&s, &o);
  assert_null(s);
  rimport_test_assert_error(rc, RIMPORT_EIO, "is not usable");
  assert_read_only_message(rimport_error_last()->message, ro);
  /* A cache directory rimport would make inside it. */
  snprintf(sub, sizeof(sub), "%s/cache", ro);
  o.cache_dir = sub;
  rc = rimport_session_open(&s, &o);
  assert_null(s);
  rimport_test_assert_error(rc, RIMPORT_EIO, "creating the directory");
  assert_read_only_message(rimport_error_last()->message, sub);
#ifdef RIMPORT_CLI_PATH
  {
    rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
    char cell[4300];
    const char *args[] = {"plan", cell, NULL};
    path_of(cell, sizeof(cell), src_dir, "ro.cell");
    rimport_test_write_file(cell,
                            "rimport counter_core(path=\"" RIMPORT_TEST_FIXTURES
                            "/counter_core\")\n");
    rimport_test_run_cli(&r, ro, args, 60000);
    if (r.status == 0)
      fail_msg("`rimport plan` in a read-only cache succeeded:\n%s", r.out.ptr);
    assert_read_only_message(r.err.ptr, ro);
    rimport_test_output_free(&r);
  }
#endif
  if (ro == made)
    rimport_test_allow_writes(made);
}

/* A cache directory that was writable when the session opened and is
 * read-only at the first build: the build fails with a message naming the
 * directory and what to do, and leaves nothing behind; made writable
 * again, the same session builds. */
static void cache_read_only_at_first_build(void **state) {
  char why[512];
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r = NULL;
  const char *dir;
  int rc;
  (void)state;
  fresh_dirs("cache-read-only-build");
  if (!rimport_test_have_program("cargo")) {
    print_message("skipped: no cargo on PATH\n");
    skip();
  }
  if ((dir = rimport_test_mount_tmpfs("size=512m", why, sizeof(why))) == NULL) {
    /* not root: a mode stops this user */
    dir = cache_dir;
    s = rimport_test_session_open(dir, NULL);
    plan =
        rimport_test_plan(s, "rimport counter_core(path=\"counter_core\")\n");
    if (!rimport_test_deny_writes(dir)) {
      print_message("skipped: a tmpfs cannot be mounted (%s) and a mode "
                    "does not stop this user\n",
                    why);
      rimport_cell_plan_free(plan);
      rimport_session_close(s);
      skip();
    }
  } else {
    s = rimport_test_session_open(dir, NULL);
    plan =
        rimport_test_plan(s, "rimport counter_core(path=\"counter_core\")\n");
    rimport_test_remount(dir, "ro");
  }
  rc = rimport_build(s, plan, &r);
  assert_null(r);
  if (rc == 0)
    fail_msg("a build into a read-only cache succeeded");
  assert_read_only_message(rimport_error_last()->message, dir);
  print_message("the build said: %s\n", rimport_error_last()->message);
  if (dir == cache_dir)
    rimport_test_allow_writes(dir);
  else
    rimport_test_remount(dir, "rw");
  r = rimport_test_build(s, plan);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* Writes `path` until the disk is full: what is left is less than a
 * block. */
static void fill_disk(const char *path) {
  static char block[4096];
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  while (fwrite(block, 1, sizeof(block), f) == sizeof(block) && fflush(f) == 0)
    ;
  fclose(f); /* its error is the full disk */
}

/* The message of a write that found the disk of `dir` full. */
static void assert_full_message(const char *message, const char *dir) {
  if (strstr(message, "ENOSPC") == NULL || strstr(message, dir) == NULL ||
      strstr(message, "is full") == NULL ||
      strstr(message, "rimport cache gc") == NULL ||
      strstr(message, "RIMPORT_CACHE_DIR") == NULL)
    fail_msg("the message does not say ENOSPC, the directory \"%s\" and "
             "what to do: %s",
             dir, message);
}

/* Nothing of KEY1 of demo in `cache`: no entry, no stage. */
static void assert_no_entry(const char *cache) {
  rimport__entry *e = NULL;
  char p[4300];
  snprintf(p, sizeof(p), "%s/demo/%s", cache, KEY1);
  assert_false(rimport__fs_is_dir(p));
  snprintf(p, sizeof(p), "%s/demo", cache);
  assert_int_equal(rimport_test_count_prefixed(p, ".stage-"), 0);
  assert_int_equal(rimport__cache_lookup(cache, "demo", KEY1, 0, &e),
                   RIMPORT_ENOTFOUND);
}

/* A publish that runs out of space: the artifacts do not fit (a 256 KiB
 * file system, a 300000-byte dylib), or they fit and the manifest does
 * not. A clear error (ENOSPC, the directory, what to do), no entry and no
 * stage left; with space freed, the same publish works. */
static void cache_disk_full_during_publish(void **state) {
  rimport__stage *st = NULL;
  rimport__entry *e = NULL;
  char why[512], p[4300], filler[4300];
  const char *dir;
  int rc;
  (void)state;
  fresh_dirs("cache-disk-full");
  if ((dir = rimport_test_mount_tmpfs("size=256k", why, sizeof(why))) == NULL) {
    print_message("skipped: %s\n", why);
    skip();
  }
  /* The dylib does not fit. */
  rc = publish(dir, src_dir, "demo", KEY1, &e);
  assert_null(e);
  rimport_test_assert_error(rc, RIMPORT_EIO, "no space left on device");
  assert_full_message(rimport_error_last()->message, dir);
  assert_no_entry(dir);
  /* With room, it publishes. */
  rimport_test_remount(dir, "size=2m");
  must(publish(dir, src_dir, "demo", KEY1, &e));
  rimport__entry_free(e);
  e = NULL;
  must(rimport__cache_clear(dir));

  /* The artifacts fit, then the disk fills: the manifest does not. */
  path_of(filler, sizeof(filler), dir, "filler");
  must(rimport__stage_begin(dir, "demo", KEY1, &st));
  path_of(p, sizeof(p), src_dir, "libkayton_rplugin__demo.so");
  must(rimport__stage_add(st, p, "lib/libkayton_rplugin__demo.so", "dylib"));
  fill_disk(filler);
  rc = rimport__stage_publish(st, NULL, &e);
  assert_null(e);
  rimport_test_assert_error(rc, RIMPORT_EIO, "manifest.json");
  assert_full_message(rimport_error_last()->message, dir);
  assert_no_entry(dir);
  /* Removing the stage freed its dylib's space: fill that too. A stage
   * that cannot copy its first file (or not even be made). */
  path_of(p, sizeof(p), dir, "filler2");
  fill_disk(p);
  rc = rimport__stage_begin(dir, "demo", KEY1, &st);
  if (rc == 0) {
    path_of(p, sizeof(p), src_dir, "libdep-1234.rlib");
    rc = rimport__stage_add(st, p, "deps/libdep-1234.rlib", "dep");
    rimport_test_assert_error(rc, RIMPORT_EIO, "libdep-1234.rlib");
    rimport__stage_abort(st);
  }
  assert_int_equal(rc, RIMPORT_EIO);
  assert_full_message(rimport_error_last()->message, dir);
  assert_no_entry(dir);
  /* Space freed: the next publish works, and its entry is sound. */
  remove_file(filler);
  path_of(p, sizeof(p), dir, "filler2");
  remove_file(p);
  must(publish(dir, src_dir, "demo", KEY1, &e));
  rimport__entry_free(e);
  must(rimport__cache_lookup(dir, "demo", KEY1, RIMPORT__VERIFY_FULL, &e));
  rimport__entry_free(e);
}

/* A real plugin build into a cache on a full disk: cargo runs out of
 * space in <cache>/_target; the build's error says ENOSPC, names the
 * cache directory and what to do, and no entry or stage is left; with
 * room, the same session builds it. */
static void cache_disk_full_during_build(void **state) {
  char why[512], p[4300];
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *r = NULL;
  const char *dir, *msg;
  int rc;
  (void)state;
  fresh_dirs("cache-disk-full-build");
  if (!rimport_test_have_program("cargo")) {
    print_message("skipped: no cargo on PATH\n");
    skip();
  }
  if ((dir = rimport_test_mount_tmpfs("size=1m", why, sizeof(why))) == NULL) {
    print_message("skipped: %s\n", why);
    skip();
  }
  s = rimport_test_session_open(dir, NULL);
  plan = rimport_test_plan(s, "rimport counter_core(path=\"counter_core\")\n");
  rc = rimport_build(s, plan, &r);
  assert_null(r);
  msg = rimport_error_last()->message;
  print_message("the build said (%s): %.1000s\n", rimport_err_name(rc), msg);
  assert_int_equal(rc, RIMPORT_EIO);
  if (strstr(msg, "ENOSPC") == NULL || strstr(msg, dir) == NULL ||
      strstr(msg, "rimport cache gc") == NULL ||
      strstr(msg, "RIMPORT_CACHE_DIR") == NULL)
    fail_msg("the message does not say ENOSPC, the directory and what to "
             "do: %s",
             msg);
  path_of(p, sizeof(p), dir, "counter_core");
  assert_int_equal(rimport_test_count_prefixed(p, ".stage-"), 0);
  {
    walk_log w;
    memset(&w, 0, sizeof(w));
    must(rimport__cache_walk(dir, 0, on_visit, &w));
    assert_int_equal(w.count, 0); /* no entry, whole or half */
  }
  rimport_test_remount(dir, "size=1g");
  r = rimport_test_build(s, plan);
  rimport_build_result_free(r);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

#ifdef RIMPORT_CLI_PATH
/* Runs `rimport --cache-dir <cache> cache <cmd>`. */
static void run_cli(rimport_test_output *r, const char *cmd) {
  const char *args[] = {"cache", cmd, NULL};
  rimport_test_run_cli(r, cache_dir, args, 60000);
}

static void expect_out(const rimport_test_output *r, int status,
                       const char *needle) {
  if (r->status != status || strstr(r->out.ptr, needle) == NULL)
    fail_msg("exit %d (want %d), output lacks \"%s\":\n%s\nstderr:\n%s",
             (int)r->status, status, needle, r->out.ptr, r->err.ptr);
}

static void cli_list_verify_gc_clear(void) {
  rimport__entry *e = NULL;
  char stage[4300], p[4300];
  rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
  fresh_dirs("cache-cli");
  run_cli(&r, "list");
  expect_out(&r, 0, "no entries");
  rimport_test_output_free(&r);

  must(publish(cache_dir, src_dir, "demo", KEY1, &e));
  rimport__entry_free(e);
  must(publish(cache_dir, src_dir, "other", KEY2, &e));
  rimport__entry_free(e);
  must(rimport__cache_lookup(cache_dir, "demo", KEY1, 0, &e));
  run_cli(&r, "list");
  expect_out(&r, 0, "demo");
  expect_out(&r, 0, KEY1);
  expect_out(&r, 0, KEY2);
  expect_out(&r, 0, "361.4 KiB"); /* ENTRY_SIZE bytes */
  expect_out(&r, 0, "2 entries");
  expect_out(&r, 0, cJSON_GetObjectItem(e->manifest, "created")->valuestring);
  rimport_test_output_free(&r);

  run_cli(&r, "verify");
  expect_out(&r, 0, "OK       demo " KEY1);
  expect_out(&r, 0, "2 entries checked, 0 corrupt");
  rimport_test_output_free(&r);

  rimport_test_flip_byte(e->dylib, 5, 0x01);
  run_cli(&r, "verify");
  expect_out(&r, 1, "CORRUPT  demo " KEY1);
  expect_out(&r, 1, "has XXH3");
  expect_out(&r, 1, "OK       other " KEY2);
  rimport_test_output_free(&r);

  /* A stage of a process that is gone, and the corrupt entry moved aside. */
  crate_path(stage, sizeof(stage), "demo", ".stage-" KEY1 "-0-1");
  assert_int_equal(rimport__fs_mkdir_p(stage), 0);
  path_of(p, sizeof(p), stage, "partial");
  write_bytes(p, 1000, 4);
  run_cli(&r, "gc");
  expect_out(&r, 0, "removed ");
  expect_out(&r, 0, ".stage-" KEY1 "-0-1 (1000 B)");
  expect_out(&r, 0, ".corrupt-" KEY1);
  expect_out(&r, 0, "freed ");
  rimport_test_output_free(&r);
  assert_false(rimport__fs_is_dir(stage));

  /* An entry this process uses stays, named. */
  {
    rimport__lock *use = NULL;
    must(rimport__cache_use(cache_dir, "other", KEY2, &use));
    run_cli(&r, "clear");
    crate_path(p, sizeof(p), "other", KEY2);
    expect_out(&r, 0, "kept ");
    expect_out(&r, 0, KEY2 ": in use: ");
    expect_out(&r, 0, "except 1 entry in use");
    rimport_test_output_free(&r);
    assert_true(rimport__fs_is_dir(p));
    run_cli(&r, "list");
    expect_out(&r, 0, "1 entry");
    rimport_test_output_free(&r);
    rimport__cache_unlock(use);
  }
  run_cli(&r, "clear");
  expect_out(&r, 0, "cleared ");
  rimport_test_output_free(&r);
  run_cli(&r, "list");
  expect_out(&r, 0, "no entries");
  rimport_test_output_free(&r);
  run_cli(&r, "frobnicate");
  assert_int_equal(r.status, 2);
  assert_non_null(strstr(r.err.ptr, "unknown cache command"));
  rimport_test_output_free(&r);
  rimport__entry_free(e);
}
#endif

static void cache_cli_list_verify_gc_clear(void **state) {
  (void)state;
#ifdef RIMPORT_CLI_PATH
  cli_list_verify_gc_clear();
#else
  skip(); /* this build does not make the command */
#endif
}

static void cache_walk_lists_entries(void **state) {
  rimport__entry *e = NULL;
  rimport__stage *st = NULL;
  rimport__lock *lock = NULL;
  walk_log w;
  char p[4300];
  (void)state;
  fresh_dirs("cache-walk");
  memset(&w, 0, sizeof(w));
  must(rimport__cache_walk(cache_dir, 1, on_visit, &w));
  assert_int_equal(w.count, 0);
  must(publish(cache_dir, src_dir, "zeta", KEY1, &e));
  rimport__entry_free(e);
  must(publish(cache_dir, src_dir, "alpha", KEY2, &e));
  rimport__entry_free(e);
  must(publish(cache_dir, src_dir, "alpha", KEY1, &e));
  rimport_test_flip_byte(e->dylib, 1, 0x01);
  /* Not entries: a stage, a lock file, toolchain records, a stray file. */
  must(rimport__stage_begin(cache_dir, "alpha", KEY3, &st));
  must(rimport__cache_lock(cache_dir, "alpha", KEY4, 0, NULL, NULL, NULL,
                           &lock));
  path_of(p, sizeof(p), cache_dir, "toolchain");
  assert_int_equal(rimport__fs_mkdir_p(p), 0);
  path_of(p, sizeof(p), cache_dir, "toolchain/" KEY1 ".json");
  rimport_test_write_file(p, "{}");
  path_of(p, sizeof(p), cache_dir, "notes.txt");
  rimport_test_write_file(p, "x");
  memset(&w, 0, sizeof(w));
  must(rimport__cache_walk(cache_dir, 0, on_visit, &w));
  assert_int_equal(w.count, 3);
  assert_int_equal(w.bad, 0); /* cheap checks: the flipped byte is unseen */
  assert_string_equal(w.seen[0], "alpha/" KEY1);
  assert_string_equal(w.seen[1], "alpha/" KEY2);
  assert_string_equal(w.seen[2], "zeta/" KEY1);
  memset(&w, 0, sizeof(w));
  must(rimport__cache_walk(cache_dir, 1, on_visit, &w));
  assert_int_equal(w.count, 3);
  assert_int_equal(w.bad, 1);
  assert_false(rimport__fs_is_dir(e->dir)); /* moved aside */
  rimport__entry_free(e);
  rimport__stage_abort(st);
  rimport__cache_unlock(lock);
}

/* ------------------------------------------------------ the shared tier */

static char tier_dir[4096];

#define TIER_FP     "00112233445566778899aabbccddeeff"
#define TIER_TARGET "x86_64-unknown-linux-gnu"

/* The local cache path the builds were made in (recorded, checked). */
#define TIER_BUILT_IN "/var/cache/rimport"
/* Where its crates came from (recorded, checked). */
#define TIER_SOURCES "the directory source /srv/crates"

/* What a build's manifest records of its toolchain (the tier checks it). */
static const rimport__tier_expect tier_want = {TIER_FP, TIER_TARGET, 1,
                                               TIER_BUILT_IN, TIER_SOURCES};

/* fresh_dirs, and an empty tier/ beside cache/. */
static void fresh_tier(const char *name) {
  char tmp[4096];
  fresh_dirs(name);
  snprintf(tmp, sizeof(tmp), "%s", cache_dir);
  tmp[strlen(tmp) - strlen("/cache")] = '\0';
  path_of(tier_dir, sizeof(tier_dir), tmp, "tier");
  assert_int_equal(rimport__fs_mkdir_p(tier_dir), 0);
}

/* Publishes the three source files into `cache` with the toolchain record
 * a build writes (fingerprint fp). */
static int publish_built(const char *cache, const char *crate, const char *key,
                         const char *fp, rimport__entry **out) {
  rimport__stage *st;
  char p[4300];
  cJSON *extra, *tc;
  int rc = rimport__stage_begin(cache, crate, key, &st);
  if (rc != 0)
    return rc;
  path_of(p, sizeof(p), src_dir, "libkayton_rplugin__demo.so");
  if ((rc = rimport__stage_add(st, p, "lib/libkayton_rplugin__demo.so",
                               "dylib")) == 0) {
    path_of(p, sizeof(p), src_dir, "libdep-1234.rlib");
    rc = rimport__stage_add(st, p, "deps/libdep-1234.rlib", "dep");
  }
  if (rc == 0) {
    path_of(p, sizeof(p), src_dir, "Cargo.toml");
    rc = rimport__stage_add(st, p, "crate/Cargo.toml", "source");
  }
  if (rc != 0) {
    rimport__stage_abort(st);
    return rc;
  }
  extra = cJSON_CreateObject();
  tc = cJSON_AddObjectToObject(extra, "toolchain");
  cJSON_AddStringToObject(tc, "fingerprint", fp);
  cJSON_AddStringToObject(tc, "target", TIER_TARGET);
  cJSON_AddNumberToObject(extra, "kayton_abi", 1);
  cJSON_AddStringToObject(extra, "version", "0.1.0");
  cJSON_AddStringToObject(extra, "cache_dir", TIER_BUILT_IN);
  cJSON_AddStringToObject(extra, "crate_sources", TIER_SOURCES);
  rc = rimport__stage_publish(st, extra, out);
  cJSON_Delete(extra);
  return rc;
}

static void tier_init(rimport__tier *t, rimport_test_progress *log) {
  memset(t, 0, sizeof(*t));
  memset(log, 0, sizeof(*log));
  log->want_phase = RIMPORT_PROGRESS_WARNING;
  log->want_message = "warning: ";
  t->dir = tier_dir;
  t->progress = rimport_test_on_progress;
  t->payload = log;
}

/* Directory entries under <dir>/demo starting with prefix. */
static int count_in(const char *dir, const char *prefix) {
  char p[4300];
  path_of(p, sizeof(p), dir, "demo");
  return rimport_test_count_prefixed(p, prefix);
}

/* An entry only the tier has is brought into the local cache: verified,
 * a local entry of its own (its files in the local directory, linked or
 * copied), with the tier's manifest members and where it came from; the
 * local cache's lookup finds it from then on. */
static void tier_entry_is_brought_local_and_verified(void **state) {
  rimport__tier t;
  rimport_test_progress log;
  rimport__entry *te = NULL, *e = NULL, *again = NULL;
  const cJSON *from;
  char want[33], got[33];
  (void)state;
  fresh_tier("tier-fetch");
  tier_init(&t, &log);
  must(publish_built(tier_dir, "demo", KEY1, TIER_FP, &te));
  assert_int_equal(rimport__cache_lookup(cache_dir, "demo", KEY1, 1, &e),
                   RIMPORT_ENOTFOUND);
  must(rimport__tier_fetch(&t, cache_dir, "demo", KEY1, &tier_want, &e));
  assert_int_equal(log.calls, 0); /* no warning */
  /* A local entry: nothing of it is the tier's path. */
  assert_non_null(strstr(e->dir, cache_dir));
  assert_null(strstr(e->dylib, tier_dir));
  assert_null(strstr(e->deps_dir, tier_dir));
  hash_hex(te->dylib, want);
  hash_hex(e->dylib, got);
  assert_string_equal(got, want);
  assert_string_equal(rimport__json_str(e->manifest, "version"), "0.1.0");
  from = cJSON_GetObjectItemCaseSensitive(e->manifest, "shared_cache");
  assert_non_null(from);
  assert_string_equal(rimport__json_str(from, "from"), te->dir);
  /* The local lookup, fully verified, finds it; no stage is left. */
  must(rimport__cache_lookup(cache_dir, "demo", KEY1, RIMPORT__VERIFY_FULL,
                             &again));
  assert_string_equal(again->dir, e->dir);
  assert_int_equal(count_in(cache_dir, ".stage-"), 0);
  /* Absent from the tier: ENOTFOUND, and nothing said. */
  rimport__entry_free(e); /* the fetch sets e (to NULL) */
  assert_int_equal(
      rimport__tier_fetch(&t, cache_dir, "demo", KEY2, &tier_want, &e),
      RIMPORT_ENOTFOUND);
  assert_int_equal(log.calls, 0);
  rimport__entry_free(te);
  rimport__entry_free(e);
  rimport__entry_free(again);
}

/* An entry whose manifest names another toolchain, or another local
 * cache path, is refused (a warning), and left in the tier: it may be some
 * other machine's or rimport's. */
static void tier_entry_of_another_toolchain_is_refused(void **state) {
  rimport__tier t;
  rimport_test_progress log;
  rimport__entry *te = NULL, *e = NULL;
  (void)state;
  fresh_tier("tier-toolchain");
  tier_init(&t, &log);
  must(publish_built(tier_dir, "demo", KEY1, "ffffffffffffffffffffffffffffffff",
                     &te));
  assert_int_equal(
      rimport__tier_fetch(&t, cache_dir, "demo", KEY1, &tier_want, &e),
      RIMPORT_ENOTFOUND);
  assert_null(e);
  assert_int_equal(log.calls, 1);
  assert_non_null(strstr(log.message, "toolchain fingerprint"));
  assert_non_null(strstr(log.message, "built here instead"));
  assert_true(rimport__fs_is_dir(te->dir));
  assert_int_equal(count_in(cache_dir, ""), 0); /* nothing was staged */
  /* Built in a local cache at another path: refused, with the fix. */
  {
    rimport__tier_expect elsewhere = tier_want;
    elsewhere.fingerprint = "ffffffffffffffffffffffffffffffff";
    elsewhere.cache_dir = "/home/someone/.cache/rimport";
    assert_int_equal(
        rimport__tier_fetch(&t, cache_dir, "demo", KEY1, &elsewhere, &e),
        RIMPORT_ENOTFOUND);
    assert_int_equal(log.calls, 2);
    assert_non_null(strstr(log.message, "built in a local cache at "
                                        "/var/cache/rimport"));
    assert_non_null(strstr(log.message, "same local cache path"));
    assert_true(rimport__fs_is_dir(te->dir));
  }
  /* Built from other crate sources: refused, with the fix. */
  {
    rimport__tier_expect elsewhere = tier_want;
    elsewhere.fingerprint = "ffffffffffffffffffffffffffffffff";
    elsewhere.crate_sources = "crates.io, unpacked in the CARGO_HOME "
                              "/home/someone/.cargo";
    assert_int_equal(
        rimport__tier_fetch(&t, cache_dir, "demo", KEY1, &elsewhere, &e),
        RIMPORT_ENOTFOUND);
    assert_int_equal(log.calls, 3);
    assert_non_null(strstr(log.message, "built from the crates of the "
                                        "directory source /srv/crates"));
    assert_non_null(strstr(log.message, "the same CARGO_HOME"));
    assert_true(rimport__fs_is_dir(te->dir));
  }
  rimport__entry_free(te);
}

static void tier_damage_byte(const rimport__entry *te) {
  rimport_test_flip_byte(te->dylib, 200000, 0x01);
}

static void tier_damage_manifest_truncated(const rimport__entry *te) {
  char p[4300];
  path_of(p, sizeof(p), te->dir, "manifest.json");
  rimport_test_make_writable(p);
  rimport_test_truncate(p, 40);
}

static void tier_damage_manifest_garbage(const rimport__entry *te) {
  char p[4300];
  path_of(p, sizeof(p), te->dir, "manifest.json");
  rimport_test_make_writable(p);
  must(rimport__fs_unlink(p));
  rimport_test_write_file(p, "\x01garbage{{{");
}

static void tier_damage_missing_dep(const rimport__entry *te) {
  char p[4300];
  path_of(p, sizeof(p), te->deps_dir, "libdep-1234.rlib");
  remove_file(p);
}

/* A damaged tier entry is not used (ENOTFOUND with a warning naming the
 * fault), leaves nothing in the local cache (an entry there of another key
 * stays sound), and is moved aside in the writable tier so that the next
 * publish can replace it; then a fetch works again. */
static void check_tier_damage(const char *name,
                              void (*damage)(const rimport__entry *),
                              const char *needle) {
  rimport__tier t;
  rimport_test_progress log;
  rimport__entry *te = NULL, *e = NULL, *other = NULL, *local = NULL;
  fresh_tier(name);
  tier_init(&t, &log);
  must(publish_built(cache_dir, "demo", KEY2, TIER_FP, &other));
  must(publish_built(tier_dir, "demo", KEY1, TIER_FP, &te));
  damage(te);
  assert_int_equal(
      rimport__tier_fetch(&t, cache_dir, "demo", KEY1, &tier_want, &e),
      RIMPORT_ENOTFOUND);
  assert_null(e);
  assert_int_equal(log.calls, 1);
  if (strstr(log.message, needle) == NULL)
    fail_msg("the warning lacks \"%s\": %s", needle, log.message);
  assert_non_null(strstr(log.message, "is not used"));
  assert_non_null(strstr(log.message, "moved aside"));
  /* Nothing of it is local; the local cache is fine. */
  assert_int_equal(rimport__cache_lookup(cache_dir, "demo", KEY1, 1, &e),
                   RIMPORT_ENOTFOUND);
  assert_int_equal(count_in(cache_dir, ".stage-"), 0);
  assert_int_equal(count_in(cache_dir, ".corrupt-"), 0);
  must(
      rimport__cache_lookup(cache_dir, "demo", KEY2, RIMPORT__VERIFY_FULL, &e));
  rimport__entry_free(e);
  e = NULL;
  /* Moved aside in the tier; a new publish there is fetched. */
  assert_false(rimport__fs_is_dir(te->dir));
  assert_int_equal(count_in(tier_dir, ".corrupt-" KEY1), 1);
  must(publish_built(cache_dir, "demo", KEY1, TIER_FP, &local));
  must(rimport__tier_publish(&t, "demo", KEY1, local));
  rimport__entry_free(local);
  must(rimport__fs_remove_tree(cache_dir, NULL));
  must(rimport__fs_mkdir_p(cache_dir));
  must(rimport__tier_fetch(&t, cache_dir, "demo", KEY1, &tier_want, &e));
  assert_int_equal(log.calls, 1);
  rimport__entry_free(e);
  rimport__entry_free(te);
  rimport__entry_free(other);
}

static void tier_corrupt_artifact_is_not_used(void **state) {
  (void)state;
  check_tier_damage("tier-byte", tier_damage_byte,
                    "libkayton_rplugin__demo.so\" has XXH3");
}

static void tier_truncated_manifest_is_not_used(void **state) {
  (void)state;
  check_tier_damage("tier-truncated", tier_damage_manifest_truncated,
                    "manifest.json is not a JSON object");
}

static void tier_garbage_manifest_is_not_used(void **state) {
  (void)state;
  check_tier_damage("tier-garbage", tier_damage_manifest_garbage,
                    "manifest.json is not a JSON object");
}

static void tier_missing_artifact_is_not_used(void **state) {
  (void)state;
  check_tier_damage("tier-missing", tier_damage_missing_dep,
                    "libdep-1234.rlib");
}

/* Read-only: a fetch works and makes no file in the tier (no fence, no
 * lock); a publish does nothing; a corrupt entry stays where it is. */
static void tier_readonly_never_publishes(void **state) {
  rimport__tier t;
  rimport_test_progress log;
  rimport__entry *te = NULL, *e = NULL, *local = NULL;
  (void)state;
  fresh_tier("tier-readonly");
  tier_init(&t, &log);
  t.readonly = 1;
  must(publish_built(cache_dir, "demo", KEY2, TIER_FP, &local));
  must(rimport__tier_publish(&t, "demo", KEY2, local));
  assert_int_equal(rimport_test_count_prefixed(tier_dir, ""), 0);
  must(publish_built(tier_dir, "demo", KEY1, TIER_FP, &te));
  assert_int_equal(count_in(tier_dir, ""), 1); /* the entry */
  must(rimport__tier_fetch(&t, cache_dir, "demo", KEY1, &tier_want, &e));
  assert_int_equal(count_in(tier_dir, ""), 1);
  rimport__entry_free(e);
  e = NULL;
  /* corrupt: refused, not moved */
  must(rimport__fs_remove_tree(cache_dir, NULL));
  must(rimport__fs_mkdir_p(cache_dir));
  tier_damage_byte(te);
  assert_int_equal(
      rimport__tier_fetch(&t, cache_dir, "demo", KEY1, &tier_want, &e),
      RIMPORT_ENOTFOUND);
  assert_int_equal(log.calls, 1);
  assert_non_null(strstr(log.message, "stays in the shared cache"));
  assert_true(rimport__fs_is_dir(te->dir));
  assert_int_equal(log.calls, 1);
  rimport__entry_free(te);
  rimport__entry_free(local);
}

/* A tier that cannot be written (a directory without write permission;
 * as root, where modes do not stop writes, a file where the crate's
 * directory should be), or that is not there: publishing is a warning and
 * an error code, never more; fetching from a missing tier is a warning. */
static void tier_publish_to_unwritable_dir_warns(void **state) {
  rimport__tier t;
  rimport_test_progress log;
  rimport__entry *local = NULL, *e = NULL;
  char p[4300];
  int denied;
  (void)state;
  fresh_tier("tier-unwritable");
  tier_init(&t, &log);
  must(publish_built(cache_dir, "demo", KEY1, TIER_FP, &local));
  denied = rimport_test_deny_writes(tier_dir);
  if (!denied) {
    path_of(p, sizeof(p), tier_dir, "demo");
    rimport_test_write_file(p, "not a directory\n");
  }
  assert_true(rimport__tier_publish(&t, "demo", KEY1, local) < 0);
  assert_int_equal(log.calls, 1);
  assert_non_null(strstr(log.message, "publishing the plugin of demo"));
  assert_non_null(strstr(log.message, tier_dir));
  assert_non_null(strstr(log.message, "is built and in the local cache"));
  if (denied)
    rimport_test_allow_writes(tier_dir);
  /* The local entry is untouched. */
  must(
      rimport__cache_lookup(cache_dir, "demo", KEY1, RIMPORT__VERIFY_FULL, &e));
  rimport__entry_free(e);
  /* A tier that is not there (a share not mounted). */
  path_of(p, sizeof(p), tier_dir, "not-mounted");
  t.dir = p;
  assert_true(rimport__tier_publish(&t, "demo", KEY1, local) < 0);
  assert_int_equal(log.calls, 2);
  assert_non_null(strstr(log.message, "is the share mounted?"));
  assert_false(rimport__fs_is_dir(p)); /* not made */
  assert_int_equal(
      rimport__tier_fetch(&t, cache_dir, "demo", KEY2, &tier_want, &e),
      RIMPORT_ENOTFOUND);
  assert_int_equal(log.calls, 3);
  assert_non_null(strstr(log.message, "is the share mounted?"));
  rimport__entry_free(local);
}

/* Another process holds the tier's key lock: the publisher waits
 * lock_timeout_ms, then gives up with a warning naming the holder. */
static void tier_publish_does_not_wait_forever(void **state) {
  rimport__tier t;
  rimport_test_progress log;
  rimport__entry *local = NULL;
  rimport_test_child *holder;
  char ready[4300];
  uint64_t t0;
  const char *args[] = {"hold", tier_dir, "demo", KEY1, ready, "5000", NULL};
  (void)state;
  fresh_tier("tier-lock");
  tier_init(&t, &log);
  t.lock_timeout_ms = 300;
  must(publish_built(cache_dir, "demo", KEY1, TIER_FP, &local));
  path_of(ready, sizeof(ready), src_dir, "ready");
  holder = rimport_test_child_start(args, 0);
  if (!rimport_test_wait_for_file(ready, 20000))
    fail_msg("the lock-holding child did not start");
  t0 = now_ms();
  assert_int_equal(rimport__tier_publish(&t, "demo", KEY1, local),
                   RIMPORT_ELOCKED);
  assert_true(now_ms() - t0 < 4000);
  assert_int_equal(log.calls, 1);
  assert_non_null(strstr(log.message, "waited 300 ms"));
  rimport_test_child_kill(holder, NULL);
  assert_int_equal(count_in(tier_dir, KEY1), 1); /* the lock file only */
  rimport__entry_free(local);
}

/* Two processes publish the same key to the tier at once: both succeed,
 * and the tier has one sound entry and no stage. */
static void tier_concurrent_publish_makes_one_entry(void **state) {
  char go[4300], local2[4300];
  const char *args1[7], *args2[7];
  rimport_test_child *c1, *c2;
  rimport_test_output r1 = RIMPORT_TEST_OUTPUT_INIT,
                      r2 = RIMPORT_TEST_OUTPUT_INIT;
  rimport__entry *e = NULL;
  (void)state;
  fresh_tier("tier-race");
  must(publish_built(cache_dir, "demo", KEY1, TIER_FP, &e));
  rimport__entry_free(e);
  snprintf(local2, sizeof(local2), "%s2", cache_dir);
  must(publish_built(local2, "demo", KEY1, TIER_FP, &e));
  rimport__entry_free(e);
  path_of(go, sizeof(go), src_dir, "go");
  args1[0] = args2[0] = "tierpub";
  args1[1] = cache_dir;
  args2[1] = local2;
  args1[2] = args2[2] = tier_dir;
  args1[3] = args2[3] = "demo";
  args1[4] = args2[4] = KEY1;
  args1[5] = args2[5] = go;
  args1[6] = args2[6] = NULL;
  c1 = rimport_test_child_start(args1, 0);
  c2 = rimport_test_child_start(args2, 0);
  rimport_test_write_file(go, "go\n");
  rimport_test_child_wait(c1, &r1);
  rimport_test_child_wait(c2, &r2);
  assert_int_equal(r1.status, 0);
  assert_int_equal(r2.status, 0);
  assert_int_equal(count_in(tier_dir, KEY1), 2); /* entry and lock */
  assert_int_equal(count_in(tier_dir, ".stage-"), 0);
  assert_int_equal(count_in(tier_dir, ".corrupt-"), 0);
  must(rimport__cache_lookup(tier_dir, "demo", KEY1, RIMPORT__VERIFY_FULL, &e));
  rimport__entry_free(e);
  rimport_test_output_free(&r1);
  rimport_test_output_free(&r2);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(cache_publish_then_lookup),
    cmocka_unit_test(cache_rejects_bad_input),
    cmocka_unit_test(cache_unflushed_entry_is_checked_as_any),
    cmocka_unit_test(cache_verify_catches_changed_byte),
    cmocka_unit_test(cache_verify_levels),
    cmocka_unit_test(cache_verify_catches_truncated_file),
    cmocka_unit_test(cache_verify_catches_missing_file),
    cmocka_unit_test(cache_lookup_without_verify_checks_dylib),
    cmocka_unit_test(cache_truncated_manifest_is_refused),
    cmocka_unit_test(cache_edited_manifest_is_refused),
    cmocka_unit_test(cache_garbage_manifest_is_refused),
    cmocka_unit_test(cache_publish_loser_gets_winners_entry),
    cmocka_unit_test(cache_publish_race_between_processes),
    cmocka_unit_test(cache_lock_waits_for_other_process),
    cmocka_unit_test(cache_lock_of_killed_process_is_taken_over),
    cmocka_unit_test(cache_lock_timeout_names_owner),
    cmocka_unit_test(cache_lock_cancel),
    cmocka_unit_test(cache_lock_threads_exclude_each_other),
    cmocka_unit_test(cache_file_lock_survives_removal),
    cmocka_unit_test(cache_file_lock_holds_through_other_handles),
    cmocka_unit_test(cache_use_marks_are_shared),
    cmocka_unit_test(cache_gc_spares_what_is_in_use),
    cmocka_unit_test(cache_gc_and_clear_keep_entries_in_use),
    cmocka_unit_test(cache_marks_hold_few_descriptors),
    cmocka_unit_test(cache_marks_of_live_processes_are_kept),
    cmocka_unit_test(cache_marks_hold_against_other_processes),
    cmocka_unit_test(cache_mark_is_listed_before_the_fence),
    cmocka_unit_test(cache_clear_racing_marks_spares_what_was_found),
    cmocka_unit_test(cache_clear_removes_rimports_files_only),
    cmocka_unit_test(cache_gc_and_clear_under_load),
    cmocka_unit_test(cache_unwritable_dir_is_a_clear_error),
    cmocka_unit_test_teardown(cache_read_only_dir_fails_at_session_open,
                              rimport_test_unmount_all),
    cmocka_unit_test_teardown(cache_read_only_at_first_build,
                              rimport_test_unmount_all),
    cmocka_unit_test_teardown(cache_disk_full_during_publish,
                              rimport_test_unmount_all),
    cmocka_unit_test_teardown(cache_disk_full_during_build,
                              rimport_test_unmount_all),
    cmocka_unit_test(cache_walk_lists_entries),
    cmocka_unit_test(cache_cli_list_verify_gc_clear),
    cmocka_unit_test(tier_entry_is_brought_local_and_verified),
    cmocka_unit_test(tier_entry_of_another_toolchain_is_refused),
    cmocka_unit_test(tier_corrupt_artifact_is_not_used),
    cmocka_unit_test(tier_truncated_manifest_is_not_used),
    cmocka_unit_test(tier_garbage_manifest_is_not_used),
    cmocka_unit_test(tier_missing_artifact_is_not_used),
    cmocka_unit_test(tier_readonly_never_publishes),
    cmocka_unit_test(tier_publish_to_unwritable_dir_warns),
    cmocka_unit_test(tier_publish_does_not_wait_forever),
    cmocka_unit_test(tier_concurrent_publish_makes_one_entry),
};

RIMPORT_TEST_MAIN(tests, child_main)
