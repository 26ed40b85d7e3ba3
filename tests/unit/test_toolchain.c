/* The Rust toolchain (src/toolchain): parsing `rustc -vV`, and finding and
 * probing rustc with a fake one: a copy of this test binary that acts as
 * the "rustc" child (RIMPORT_TEST_CHILD=rustc, see support.h), scripted by
 * FAKE_RUSTC_* variables, and counting its runs in a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "support.h"
#include "common/common.h"
#include "common/fs.h"
#include "platform.h"
#include "proc/proc.h"
#include "toolchain/toolchain.h"

static const char vv_195[] =
    "rustc 1.95.0 (59807616e 2026-04-14)\n"
    "binary: rustc\n"
    "commit-hash: 59807616e1fa2540724bfbac14d7976d7e4a3860\n"
    "commit-date: 2026-04-14\n"
    "host: x86_64-unknown-linux-gnu\n"
    "release: 1.95.0\n"
    "LLVM version: 20.1.8\n";

/* Debian's packaged rustc: no commit information. */
static const char vv_163_debian[] = "rustc 1.63.0\n"
                                    "binary: rustc\n"
                                    "commit-hash: unknown\n"
                                    "commit-date: unknown\n"
                                    "host: x86_64-unknown-linux-gnu\n"
                                    "release: 1.63.0\n"
                                    "LLVM version: 14.0.6\n";

#define TRIPLE "x86_64-unknown-linux-gnu"

/* ------------------------------------------------------------ the fake */

static int fake_rustc(int argc, char **argv) {
  const char *mode = getenv("FAKE_RUSTC_MODE");
  const char *counter = getenv("FAKE_RUSTC_COUNTER");
  const char *sysroot = getenv("FAKE_RUSTC_SYSROOT");
  if (mode == NULL)
    mode = "ok";
  if (counter != NULL) {
    FILE *f = fopen(counter, "a");
    if (f != NULL) {
      fprintf(f, "%s\n", argc > 1 ? argv[1] : "");
      fclose(f);
    }
  }
  if (strcmp(mode, "fail") == 0) {
    fputs("error: rustup could not choose a version of rustc to run, because "
          "one wasn't specified explicitly, and no default is configured.\n",
          stderr);
    return 1;
  }
  if (strcmp(mode, "hang") == 0) {
    uv_sleep(60000);
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "-vV") == 0) {
    if (strcmp(mode, "garbage") == 0)
      fputs("Hello, I am not rustc at all\nsecond line\n", stdout);
    else if (strcmp(mode, "nohost") == 0)
      fputs("rustc 1.95.0 (59807616e 2026-04-14)\nrelease: 1.95.0\n", stdout);
    else
      fputs(vv_195, stdout);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "--print") == 0 && sysroot != NULL) {
    if (strcmp(argv[2], "sysroot") == 0)
      printf("%s\n", sysroot);
    else if (strcmp(argv[2], "target-libdir") == 0)
      printf("%s/lib/rustlib/" TRIPLE "/lib\n", sysroot);
    else
      return 1;
    return 0;
  }
  /* `--print target-libdir --target T`: T's directory, for the targets
   * this rustc "has" (windows-gnu), as rustc answers. */
  if (argc == 5 && strcmp(argv[1], "--print") == 0 &&
      strcmp(argv[2], "target-libdir") == 0 &&
      strcmp(argv[3], "--target") == 0 && sysroot != NULL) {
    if (strcmp(argv[4], "x86_64-pc-windows-gnu") != 0) {
      fprintf(stderr,
              "error: Error loading target specification: Could not "
              "find specification for target \"%s\".\n",
              argv[4]);
      return 1;
    }
    printf("%s/lib/rustlib/%s/lib\n", sysroot, argv[4]);
    return 0;
  }
  fputs("error: unexpected arguments\n", stderr);
  return 1;
}

static int child_main(int argc, char **argv) {
  static const rimport_test_child_def children[] = {
      {"rustc", fake_rustc, 1},
  };
  return rimport_test_child_dispatch(children, RIMPORT__ARRAY_SIZE(children),
                                     argc, argv);
}

typedef struct fake {
  char dir[4096];
  char rustc[4200];
  char cache[4200];
  char counter[4200];
  char sysroot[4200];
  char libstd[4400];
} fake;

static void mkdir_p(const char *path) {
  assert_int_equal(rimport__fs_mkdir_p(path), 0);
}

static void fake_setup(fake *f, const char *name) {
  char libdir[4300];
  snprintf(f->dir, sizeof(f->dir), "%s", rimport_test_tmpdir(name));
  snprintf(f->cache, sizeof(f->cache), "%s/cache", f->dir);
  snprintf(f->counter, sizeof(f->counter), "%s/count", f->dir);
  snprintf(f->sysroot, sizeof(f->sysroot), "%s/sysroot", f->dir);
  snprintf(libdir, sizeof(libdir), "%s/lib/rustlib/" TRIPLE "/lib", f->sysroot);
  snprintf(f->libstd, sizeof(f->libstd), "%s/libstd-0123abcd.so", libdir);
  mkdir_p(libdir);
  snprintf(libdir, sizeof(libdir), "%s/bin", f->dir);
  mkdir_p(libdir);
  /* A copy named fake-rustc, to be found on PATH in rustc_from_env_and_path. */
  snprintf(f->rustc, sizeof(f->rustc), "%s",
           rimport_test_fake_begin("rustc", libdir, "fake-rustc"));
  rimport_test_write_file(f->libstd, "not really a library");
  rimport_test_setenv("FAKE_RUSTC_COUNTER", f->counter);
  rimport_test_setenv("FAKE_RUSTC_SYSROOT", f->sysroot);
  rimport_test_setenv("FAKE_RUSTC_MODE", "ok");
  rimport_test_setenv("RUSTUP_TOOLCHAIN", NULL);
}

static void fake_teardown(void) {
  rimport_test_fake_end("FAKE_RUSTC_COUNTER", "FAKE_RUSTC_SYSROOT",
                        "FAKE_RUSTC_MODE", NULL);
  rimport_error_clear();
}

/* How many times the fake ran. */
static int runs(const fake *f) {
  rimport_buf text = RIMPORT_BUF_INIT;
  int n = 0;
  size_t i;
  if (rimport__fs_read_file(f->counter, 1 << 20, &text) != 0) {
    rimport_error_clear();
    return 0;
  }
  for (i = 0; i < text.size; i++)
    n += text.ptr[i] == '\n';
  rimport_buf_dispose(&text);
  return n;
}

/* The one record file in <cache>/toolchain/. */
static void record_file(const fake *f, char *out, size_t size) {
  uv_fs_t req;
  uv_dirent_t ent;
  char dir[4300];
  int found = 0;
  snprintf(dir, sizeof(dir), "%s/toolchain", f->cache);
  assert_true(uv_fs_scandir(NULL, &req, dir, 0, NULL) >= 0);
  while (uv_fs_scandir_next(&req, &ent) != UV_EOF) {
    size_t n = strlen(ent.name);
    if (n > 5 && strcmp(ent.name + n - 5, ".json") == 0) {
      snprintf(out, size, "%s/%s", dir, ent.name);
      found++;
    }
  }
  uv_fs_req_cleanup(&req);
  assert_int_equal(found, 1);
}

/* The probes' progress reports (each must be a TOOLCHAIN one). */
static rimport_test_progress progress = {.want_phase =
                                             RIMPORT_PROGRESS_TOOLCHAIN};

/* Finds the fake's toolchain for its host, named (on Windows no target is
 * a Windows one: default_target_is_the_platforms). */
static rimport__toolchain *find_ok(const fake *f, int want_cached) {
  rimport__toolchain *tc = NULL;
  int rc = rimport__toolchain_find(f->rustc, TRIPLE, f->cache, 20000,
                                   rimport_test_on_progress, &progress, &tc);
  if (rc != 0)
    fail_msg("toolchain_find: %s", rimport_error_last()->message);
  assert_non_null(tc);
  assert_int_equal(tc->pub.from_cache, want_cached);
  return tc;
}

/* -------------------------------------------------------- parse tests */

/* The fingerprint of `rustc -vV` text parsed with no target: of the text;
 * where the host's libraries do not load into this process (a Linux host
 * seen from Windows), of the text and the platform's target, which is the
 * default then. */
static void expect_default_fingerprint(const rimport__toolchain *tc,
                                       const char *text) {
  char hex[33];
  const char *platform = rimport__platform_target(tc->host);
  rimport_buf both = RIMPORT_BUF_INIT;
  assert_int_equal(rimport__buf_puts(&both, text), 0);
  if (platform != NULL)
    assert_int_equal(rimport__buf_printf(&both, "target: %s\n", platform), 0);
  rimport_test_xxh3_hex(both.ptr, both.size, hex);
  assert_string_equal(tc->fingerprint, hex);
  assert_string_equal(tc->target, platform ? platform : tc->host);
  rimport_buf_dispose(&both);
}

static void parse_vv_rust_195(void **state) {
  rimport__toolchain *tc = rimport__calloc(1, sizeof(*tc));
  (void)state;
  assert_int_equal(
      rimport__toolchain_parse_vv(tc, vv_195, strlen(vv_195), NULL), 0);
  assert_string_equal(tc->release, "1.95.0");
  assert_string_equal(tc->commit_hash,
                      "59807616e1fa2540724bfbac14d7976d7e4a3860");
  assert_string_equal(tc->commit_date, "2026-04-14");
  assert_string_equal(tc->host, TRIPLE);
  assert_string_equal(tc->llvm_version, "20.1.8");
  assert_string_equal(tc->verbose_version, vv_195);
  assert_int_equal(strlen(tc->fingerprint), 32);
  expect_default_fingerprint(tc, vv_195);
  /* Parsing again replaces the fields (no leak). */
  assert_int_equal(rimport__toolchain_parse_vv(tc, vv_163_debian,
                                               strlen(vv_163_debian), NULL),
                   0);
  assert_string_equal(tc->release, "1.63.0");
  rimport__toolchain_free(tc);
}

static void parse_vv_debian_163(void **state) {
  rimport__toolchain *tc = rimport__calloc(1, sizeof(*tc));
  static const char crlf_no_llvm[] = "rustc 1.63.0\r\n"
                                     "host: x86_64-pc-windows-gnu\r\n"
                                     "release: 1.63.0\r\n";
  (void)state;
  assert_int_equal(rimport__toolchain_parse_vv(tc, vv_163_debian,
                                               strlen(vv_163_debian), NULL),
                   0);
  assert_string_equal(tc->release, "1.63.0");
  assert_string_equal(tc->commit_hash, "unknown");
  assert_string_equal(tc->commit_date, "unknown");
  assert_string_equal(tc->host, TRIPLE);
  assert_string_equal(tc->llvm_version, "14.0.6");
  expect_default_fingerprint(tc, vv_163_debian);
  /* CRLF line ends; a missing optional line reads "unknown". */
  assert_int_equal(
      rimport__toolchain_parse_vv(tc, crlf_no_llvm, strlen(crlf_no_llvm), NULL),
      0);
  assert_string_equal(tc->host, "x86_64-pc-windows-gnu");
  assert_string_equal(tc->release, "1.63.0");
  assert_string_equal(tc->llvm_version, "unknown");
  assert_string_equal(tc->commit_hash, "unknown");
  rimport__toolchain_free(tc);
}

static void parse_vv_garbage(void **state) {
  rimport__toolchain *tc = rimport__calloc(1, sizeof(*tc));
  static const char garbage[] = "Usage: something else\nmore\n";
  (void)state;
  rimport_test_assert_error(
      rimport__toolchain_parse_vv(tc, garbage, strlen(garbage), NULL),
      RIMPORT_ETOOLCHAIN, "not `rustc -vV` output: \"Usage: something else\"");
  rimport_test_assert_error(rimport__toolchain_parse_vv(tc, "", 0, NULL),
                            RIMPORT_ETOOLCHAIN, "nothing at all");
  rimport_test_assert_error(
      rimport__toolchain_parse_vv(tc, "rustc\0x", 7, NULL), RIMPORT_ETOOLCHAIN,
      "not `rustc -vV` output");
  assert_null(tc->release);
  assert_null(tc->verbose_version);
  rimport__toolchain_free(tc);
  rimport_error_clear();
}

static void parse_vv_missing_host(void **state) {
  rimport__toolchain *tc = rimport__calloc(1, sizeof(*tc));
  static const char no_host[] = "rustc 1.95.0 (59807616e 2026-04-14)\n"
                                "binary: rustc\n"
                                "release: 1.95.0\n";
  static const char no_release[] = "rustc 1.95.0\nhost: " TRIPLE "\n";
  (void)state;
  rimport_test_assert_error(
      rimport__toolchain_parse_vv(tc, no_host, strlen(no_host), NULL),
      RIMPORT_ETOOLCHAIN, "has no \"host:\" line");
  rimport_test_assert_error(
      rimport__toolchain_parse_vv(tc, no_release, strlen(no_release), NULL),
      RIMPORT_ETOOLCHAIN, "has no \"release:\" line");
  assert_null(tc->host);
  rimport__toolchain_free(tc);
  rimport_error_clear();
}

/* --------------------------------------------------------- find tests */

/* The fake sysroot's windows-gnu library directory with a std DLL in it:
 * their paths into libdir and dll. */
static void windows_std(const fake *f, char *libdir, size_t libdir_size,
                        char *dll, size_t dll_size) {
  snprintf(libdir, libdir_size, "%s/lib/rustlib/x86_64-pc-windows-gnu/lib",
           f->sysroot);
  mkdir_p(libdir);
  snprintf(dll, dll_size, "%s/std-5d1a9e.dll", libdir);
  rimport_test_write_file(dll, "not really a DLL");
}

/* A target other than the host: its library directory and std DLL, a
 * fingerprint (and record) of its own; an unknown target says what rustc
 * said; a malformed one is refused, and never reaches rustc's command
 * line. */
static void fake_probe_for_a_target(void **state) {
  fake f;
  rimport__toolchain *host = NULL, *win = NULL, *again = NULL, *bad = NULL;
  char libdir[4400], dll[4500], fp[33], gcc[4400], runtime[4500];
  (void)state;
  fake_setup(&f, "tc_target");
  windows_std(&f, libdir, sizeof(libdir), dll, sizeof(dll));
  /* The runtime DLL from the mingw-w64 gcc under the sysroot (Debian's
   * layout): the win32 thread model's, which needs no libwinpthread. */
  {
    static const char *const models[] = {"12-posix", "12-win32"};
    int i;
    for (i = 0; i < 2; i++) {
      snprintf(gcc, sizeof(gcc), "%s/lib/gcc/x86_64-w64-mingw32/%s", f.sysroot,
               models[i]);
      mkdir_p(gcc);
      snprintf(runtime, sizeof(runtime), "%s/libgcc_s_seh-1.dll", gcc);
      rimport_test_write_file(runtime, models[i]);
    }
  }
  assert_int_equal(rimport__toolchain_find(f.rustc, "x86_64-pc-windows-gnu",
                                           f.cache, 20000, NULL, NULL, &win),
                   0);
  rimport_test_assert_path_equal(win->pub.runtime_dll, runtime);
  assert_int_equal(runs(&f), 3);
  assert_string_equal(win->pub.host, TRIPLE);
  assert_string_equal(win->pub.target, "x86_64-pc-windows-gnu");
  assert_string_equal(win->pub.target_libdir, libdir);
  rimport_test_assert_path_equal(win->pub.std_dylib, dll);
  /* the fingerprint: rustc -vV, then the target */
  {
    char text[1024];
    snprintf(text, sizeof(text), "%starget: x86_64-pc-windows-gnu\n", vv_195);
    rimport_test_xxh3_hex(text, strlen(text), fp);
    assert_string_equal(win->pub.fingerprint, fp);
  }
  /* The host has its own record and fingerprint; naming the host is the
   * same as naming none. */
  assert_int_equal(rimport__toolchain_find(f.rustc, TRIPLE, f.cache, 20000,
                                           NULL, NULL, &host),
                   0);
  assert_int_equal(runs(&f), 6);
  assert_string_equal(host->pub.target, TRIPLE);
  assert_string_not_equal(host->pub.fingerprint, win->pub.fingerprint);
  {
    char hex[33]; /* the host named: the text alone */
    rimport_test_xxh3_hex(vv_195, strlen(vv_195), hex);
    assert_string_equal(host->pub.fingerprint, hex);
  }
  rimport_test_assert_path_equal(host->pub.std_dylib, f.libstd);
  /* Both records are reused. */
  assert_int_equal(rimport__toolchain_find(f.rustc, "x86_64-pc-windows-gnu",
                                           f.cache, 20000, NULL, NULL, &again),
                   0);
  assert_int_equal(again->pub.from_cache, 1);
  assert_string_equal(again->pub.fingerprint, win->pub.fingerprint);
  assert_string_equal(again->pub.target, "x86_64-pc-windows-gnu");
  rimport_test_assert_path_equal(again->pub.std_dylib, dll);
  assert_int_equal(runs(&f), 6);
  rimport__toolchain_free(again);
  /* A target rustc does not know: its own words. */
  rimport_test_assert_error(
      rimport__toolchain_find(f.rustc, "mips-unknown-nothing", f.cache, 20000,
                              NULL, NULL, &bad),
      RIMPORT_ETOOLCHAIN,
      "Could not find specification for target \"mips-unknown-nothing\"");
  assert_null(bad);
  /* Not a triple at all: refused, naming it. */
  rimport_test_assert_error(
      rimport__toolchain_find(f.rustc, "x86_64 --print sysroot", NULL, 20000,
                              NULL, NULL, &bad),
      RIMPORT_EINVAL, "\"x86_64 --print sysroot\" is not a target triple");
  assert_null(bad);
  rimport__toolchain_free(host);
  rimport__toolchain_free(win);
  fake_teardown();
}

/* No target named: rustc's host, where a library built for it loads into
 * this process (unix); else the platform's own triple (Windows, with this
 * fake's Linux host: x86_64-pc-windows-gnu, its library directory and std
 * DLL), and then the runtime DLL the windows-gnu std imports is looked for
 * and recorded (not found here: NULL). */
static void default_target_is_the_platforms(void **state) {
  fake f;
  rimport__toolchain *tc = NULL;
  const char *platform = rimport__platform_target(TRIPLE);
  char libdir[4400], dll[4500], fp[33], text[1024];
  (void)state;
  fake_setup(&f, "tc_default");
  windows_std(&f, libdir, sizeof(libdir), dll, sizeof(dll));
  snprintf(dll, sizeof(dll), "%s/libgcc_s_seh-1.dll", libdir);
  rimport_test_write_file(dll, "not really a DLL either");
  assert_int_equal(
      rimport__toolchain_find(f.rustc, NULL, f.cache, 20000, NULL, NULL, &tc),
      0);
  assert_string_equal(tc->pub.host, TRIPLE);
  snprintf(text, sizeof(text), "%s", vv_195);
  if (platform == NULL) {
    assert_string_equal(tc->pub.target, TRIPLE);
    rimport_test_assert_path_equal(tc->pub.std_dylib, f.libstd);
    assert_null(tc->pub.runtime_dll);
  } else {
    assert_string_equal(tc->pub.target, platform);
    assert_string_equal(tc->pub.target_libdir, libdir);
    assert_non_null(strstr(tc->pub.std_dylib, "std-5d1a9e.dll"));
    rimport_test_assert_path_equal(tc->pub.runtime_dll, dll);
    snprintf(text, sizeof(text), "%starget: %s\n", vv_195, platform);
  }
  rimport_test_xxh3_hex(text, strlen(text), fp);
  assert_string_equal(tc->pub.fingerprint, fp);
  rimport__toolchain_free(tc);
  fake_teardown();
}

static void fake_probe_then_cache(void **state) {
  fake f;
  rimport__toolchain *tc, *again;
  (void)state;
  fake_setup(&f, "tc_cache");
  progress.calls = 0;
  tc = find_ok(&f, 0);
  assert_int_equal(runs(&f), 3); /* -vV, sysroot, target-libdir */
  assert_int_equal(progress.calls, 1);
  assert_non_null(strstr(progress.message, "probing rustc at"));
  assert_non_null(strstr(progress.message, f.rustc));
  assert_string_equal(tc->pub.rustc, f.rustc);
  assert_string_equal(tc->pub.release, "1.95.0");
  assert_string_equal(tc->pub.host, TRIPLE);
  assert_string_equal(tc->pub.llvm_version, "20.1.8");
  assert_string_equal(tc->pub.sysroot, f.sysroot);
  assert_non_null(strstr(tc->pub.target_libdir, "/lib/rustlib/" TRIPLE));
  rimport_test_assert_path_equal(tc->pub.std_dylib, f.libstd);
  assert_int_equal(strlen(tc->pub.fingerprint), 32);

  /* A fresh find reads the record and runs nothing. */
  progress.calls = 0;
  again = find_ok(&f, 1);
  assert_int_equal(runs(&f), 3);
  assert_int_equal(progress.calls, 0);
  assert_string_equal(again->pub.fingerprint, tc->pub.fingerprint);
  assert_string_equal(again->pub.release, "1.95.0");
  assert_string_equal(again->pub.commit_hash, tc->pub.commit_hash);
  assert_string_equal(again->pub.sysroot, tc->pub.sysroot);
  assert_string_equal(again->pub.target_libdir, tc->pub.target_libdir);
  assert_string_equal(again->pub.std_dylib, tc->pub.std_dylib);
  assert_string_equal(again->verbose_version, vv_195);
  rimport__toolchain_free(again);

  /* Touching the binary makes the next find probe again. */
  rimport_test_set_mtime(f.rustc, 1000000000, 0);
  again = find_ok(&f, 0);
  assert_int_equal(runs(&f), 6);
  rimport__toolchain_free(again);
  again = find_ok(&f, 1);
  rimport__toolchain_free(again);
  /* So does a change of the std dylib. */
  rimport_test_write_file(f.libstd, "a new std");
  again = find_ok(&f, 0);
  assert_int_equal(runs(&f), 9);
  rimport__toolchain_free(again);

  /* Without a cache directory it always probes. */
  assert_int_equal(
      rimport__toolchain_find(f.rustc, TRIPLE, NULL, 0, NULL, NULL, &again), 0);
  assert_int_equal(again->pub.from_cache, 0);
  assert_int_equal(runs(&f), 12);
  rimport__toolchain_free(again);
  rimport__toolchain_free(tc);
  fake_teardown();
}

static void fake_corrupt_record_is_ignored(void **state) {
  static const char *const bad[] = {
      "{ not json",          "",  "[]", "{\"format\": 999}",
      "{\"format\": \"1\"}", NULL /* the version-bumped copy below */};
  fake f;
  rimport__toolchain *tc;
  char record[4500];
  rimport_buf good = RIMPORT_BUF_INIT;
  size_t i;
  int expected = 3;
  (void)state;
  fake_setup(&f, "tc_corrupt");
  tc = find_ok(&f, 0);
  rimport__toolchain_free(tc);
  record_file(&f, record, sizeof(record));
  assert_int_equal(rimport__fs_read_file(record, 1 << 20, &good), 0);
  for (i = 0; i < RIMPORT__ARRAY_SIZE(bad); i++) {
    if (bad[i] != NULL) {
      rimport_test_write_file(record, bad[i]);
    } else {
      /* The real record, but from another format version. */
      char *p = strstr(good.ptr, "\"format\":");
      assert_non_null(p);
      p = strchr(p, '1');
      assert_non_null(p);
      *p = '7';
      rimport_test_write_file(record, good.ptr);
    }
    tc = find_ok(&f, 0);
    expected += 3;
    assert_int_equal(runs(&f), expected);
    assert_string_equal(tc->pub.release, "1.95.0");
    rimport__toolchain_free(tc);
    /* ... and was rewritten: the next find reads it. */
    tc = find_ok(&f, 1);
    rimport__toolchain_free(tc);
  }
  rimport_buf_dispose(&good);
  fake_teardown();
}

static void fake_rustup_proxy_stamps(void **state) {
  fake f;
  rimport__toolchain *tc;
  char real[4400], home[4200], settings[4300];
  int expected = 3;
  (void)state;
  fake_setup(&f, "tc_proxy");
  /* The toolchain's own bin/rustc is another file: the fake is a proxy. */
  snprintf(real, sizeof(real), "%s/bin", f.sysroot);
  mkdir_p(real);
  snprintf(real, sizeof(real), "%s/bin/rustc", f.sysroot);
  rimport_test_write_file(real, "the real compiler");
  snprintf(home, sizeof(home), "%s/rustup-home", f.dir);
  mkdir_p(home);
  snprintf(settings, sizeof(settings), "%s/settings.toml", home);
  rimport_test_setenv("RUSTUP_HOME", home);

  tc = find_ok(&f, 0);
  rimport__toolchain_free(tc);
  tc = find_ok(&f, 1);
  rimport__toolchain_free(tc);
  /* `rustup default …` writes settings.toml (missing before). */
  rimport_test_write_file(settings, "default_toolchain = \"stable\"\n");
  tc = find_ok(&f, 0);
  rimport__toolchain_free(tc);
  assert_int_equal(runs(&f), expected += 3);
  tc = find_ok(&f, 1);
  rimport__toolchain_free(tc);
  /* RUSTUP_TOOLCHAIN picks another toolchain. */
  rimport_test_setenv("RUSTUP_TOOLCHAIN", "nightly");
  tc = find_ok(&f, 0);
  rimport__toolchain_free(tc);
  assert_int_equal(runs(&f), expected += 3);
  tc = find_ok(&f, 1);
  rimport__toolchain_free(tc);
  /* `rustup update` replaces the real compiler. */
  rimport_test_set_mtime(real, 1200000000, 0);
  tc = find_ok(&f, 0);
  rimport__toolchain_free(tc);
  assert_int_equal(runs(&f), expected += 3);
  tc = find_ok(&f, 1);
  rimport__toolchain_free(tc);
  assert_int_equal(runs(&f), expected);
  rimport_test_setenv("RUSTUP_TOOLCHAIN", NULL);
  rimport_test_setenv("RUSTUP_HOME", NULL);
  fake_teardown();
}

/* needle = "`<rustc -vV, as messages quote a command>`<after>". */
static void quoted_probe(char *needle, size_t size, const fake *f,
                         const char *after) {
  const char *const argv[] = {f->rustc, "-vV", NULL};
  rimport_buf line = RIMPORT_BUF_INIT;
  assert_int_equal(rimport__proc_format_argv(&line, argv), 0);
  snprintf(needle, size, "`%s`%s", line.ptr, after);
  rimport_buf_dispose(&line);
}

static void fake_failing_rustc(void **state) {
  fake f;
  rimport__toolchain *tc = NULL;
  char needle[4400];
  (void)state;
  fake_setup(&f, "tc_fail");
  rimport_test_setenv("FAKE_RUSTC_MODE", "fail");
  rimport_test_assert_error(
      rimport__toolchain_find(f.rustc, NULL, f.cache, 0, NULL, NULL, &tc),
      RIMPORT_ETOOLCHAIN, "could not choose a version of rustc to run");
  quoted_probe(needle, sizeof(needle), &f, " exited with status 1");
  rimport_test_assert_error(RIMPORT_ETOOLCHAIN, RIMPORT_ETOOLCHAIN, needle);
  rimport_test_assert_error(RIMPORT_ETOOLCHAIN, RIMPORT_ETOOLCHAIN,
                            "rustup default stable");
  assert_null(tc);
  /* Nothing was remembered: a fixed rustc is probed. */
  rimport_test_setenv("FAKE_RUSTC_MODE", "ok");
  tc = find_ok(&f, 0);
  rimport__toolchain_free(tc);
  fake_teardown();
}

static void fake_garbage_rustc(void **state) {
  fake f;
  rimport__toolchain *tc = NULL;
  (void)state;
  fake_setup(&f, "tc_garbage");
  rimport_test_setenv("FAKE_RUSTC_MODE", "garbage");
  rimport_test_assert_error(
      rimport__toolchain_find(f.rustc, NULL, f.cache, 0, NULL, NULL, &tc),
      RIMPORT_ETOOLCHAIN,
      "printed something that is not `rustc -vV` output: \"Hello, I am not "
      "rustc at all\"");
  rimport_test_assert_error(RIMPORT_ETOOLCHAIN, RIMPORT_ETOOLCHAIN, f.rustc);
  rimport_test_setenv("FAKE_RUSTC_MODE", "nohost");
  rimport_test_assert_error(
      rimport__toolchain_find(f.rustc, NULL, f.cache, 0, NULL, NULL, &tc),
      RIMPORT_ETOOLCHAIN, "no \"host:\" line");
  assert_null(tc);
  fake_teardown();
}

static void fake_hanging_rustc_times_out(void **state) {
  fake f;
  rimport__toolchain *tc = NULL;
  char needle[4400];
  uint64_t start = uv_hrtime();
  (void)state;
  fake_setup(&f, "tc_hang");
  rimport_test_setenv("FAKE_RUSTC_MODE", "hang");
  rimport_test_assert_error(
      rimport__toolchain_find(f.rustc, NULL, f.cache, 500, NULL, NULL, &tc),
      RIMPORT_ETIMEDOUT, "did not finish within 500 ms");
  quoted_probe(needle, sizeof(needle), &f, " did not finish");
  rimport_test_assert_error(RIMPORT_ETIMEDOUT, RIMPORT_ETIMEDOUT, needle);
  assert_null(tc);
  assert_true(uv_hrtime() - start < 10ull * 1000 * 1000 * 1000);
  fake_teardown();
}

static void rustc_from_env_and_path(void **state) {
  fake f;
  rimport__toolchain *tc = NULL;
  rimport_buf path = RIMPORT_BUF_INIT, old_rustc = RIMPORT_BUF_INIT;
  char bin[4200];
  int had_rustc;
  (void)state;
  fake_setup(&f, "tc_env");
  had_rustc = rimport__env_get("RUSTC", &old_rustc) == 0;
  assert_int_equal(rimport__env_get("PATH", &path), 0);
  snprintf(bin, sizeof(bin), "%s/bin", f.dir);
  rimport_test_setenv("PATH", bin);
  /* RUSTC as a bare name is looked up on PATH. */
  rimport_test_setenv("RUSTC", "fake-rustc");
  if (rimport__toolchain_find(NULL, NULL, NULL, 0, NULL, NULL, &tc) != 0)
    fail_msg("%s", rimport_error_last()->message);
  rimport_test_assert_path_equal(tc->pub.rustc, f.rustc);
  rimport__toolchain_free(tc);
  /* An explicit path wins over RUSTC. */
  rimport_test_setenv("RUSTC", "/nonexistent/rustc");
  assert_int_equal(
      rimport__toolchain_find(f.rustc, NULL, NULL, 0, NULL, NULL, &tc), 0);
  rimport__toolchain_free(tc);
  tc = NULL;
  rimport_test_assert_error(
      rimport__toolchain_find(NULL, NULL, NULL, 0, NULL, NULL, &tc),
      RIMPORT_ETOOLCHAIN, "RUSTC=\"/nonexistent/rustc\"");
  rimport_test_setenv("PATH", path.ptr);
  if (had_rustc)
    rimport_test_setenv("RUSTC", old_rustc.ptr);
  else
    rimport_test_setenv("RUSTC", NULL);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&old_rustc);
  fake_teardown();
}

static void rustc_not_found(void **state) {
  rimport__toolchain *tc = NULL;
  rimport_buf path = RIMPORT_BUF_INIT, old_rustc = RIMPORT_BUF_INIT;
  const char *empty;
  int had_rustc;
  (void)state;
  empty = rimport_test_tmpdir("tc_notfound");
  rimport_test_assert_error(
      rimport__toolchain_find("/nonexistent/dir/rustc", NULL, NULL, 0, NULL,
                              NULL, &tc),
      RIMPORT_ETOOLCHAIN,
      "rustc was not found (looked for: the rustc_path option "
      "\"/nonexistent/dir/rustc\"");
  rimport_test_assert_error(RIMPORT_ETOOLCHAIN, RIMPORT_ETOOLCHAIN,
                            "https://rustup.rs");
  assert_null(tc);
  had_rustc = rimport__env_get("RUSTC", &old_rustc) == 0;
  assert_int_equal(rimport__env_get("PATH", &path), 0);
  rimport_test_setenv("RUSTC", NULL);
  rimport_test_setenv("PATH", empty);
  rimport_test_assert_error(
      rimport__toolchain_find(NULL, NULL, NULL, 0, NULL, NULL, &tc),
      RIMPORT_ETOOLCHAIN, "`rustc` on PATH");
  rimport_test_assert_error(RIMPORT_ETOOLCHAIN, RIMPORT_ETOOLCHAIN, empty);
  rimport_test_assert_error(RIMPORT_ETOOLCHAIN, RIMPORT_ETOOLCHAIN,
                            "apt-get install rustc cargo");
  rimport_test_setenv("PATH", path.ptr);
  if (had_rustc)
    rimport_test_setenv("RUSTC", old_rustc.ptr);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&old_rustc);
  rimport_error_clear();
}

static void real_rustc(void **state) {
  rimport_buf found = RIMPORT_BUF_INIT;
  rimport__toolchain *tc = NULL, *again = NULL;
  const char *cache;
  int rc;
  (void)state;
  if (rimport__find_executable("rustc", &found) != 0) {
    rimport_buf_dispose(&found);
    skip();
  }
  rimport_buf_dispose(&found);
  cache = rimport_test_tmpdir("tc_real");
  rc = rimport__toolchain_find("rustc", NULL, cache, 0, NULL, NULL, &tc);
  if (rc != 0)
    fail_msg("real rustc: %s", rimport_error_last()->message);
  assert_int_equal(tc->pub.from_cache, 0);
  assert_true(strlen(tc->pub.release) >= 5);
  assert_non_null(strchr(tc->pub.host, '-'));
  assert_true(rimport__fs_is_dir(tc->pub.sysroot));
  assert_true(rimport__fs_is_dir(tc->pub.target_libdir));
  assert_non_null(tc->pub.std_dylib);
  assert_true(rimport__fs_is_file(tc->pub.std_dylib));
  assert_non_null(strstr(tc->verbose_version, tc->pub.release));
  assert_int_equal(
      rimport__toolchain_find("rustc", NULL, cache, 0, NULL, NULL, &again), 0);
  assert_int_equal(again->pub.from_cache, 1);
  assert_string_equal(again->pub.fingerprint, tc->pub.fingerprint);
  assert_string_equal(again->pub.std_dylib, tc->pub.std_dylib);
  rimport__toolchain_free(again);
  rimport__toolchain_free(tc);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(parse_vv_rust_195),
    cmocka_unit_test(parse_vv_debian_163),
    cmocka_unit_test(parse_vv_garbage),
    cmocka_unit_test(parse_vv_missing_host),
    cmocka_unit_test(default_target_is_the_platforms),
    cmocka_unit_test(fake_probe_then_cache),
    cmocka_unit_test(fake_probe_for_a_target),
    cmocka_unit_test(fake_corrupt_record_is_ignored),
    cmocka_unit_test(fake_rustup_proxy_stamps),
    cmocka_unit_test(fake_failing_rustc),
    cmocka_unit_test(fake_garbage_rustc),
    cmocka_unit_test(fake_hanging_rustc_times_out),
    cmocka_unit_test(rustc_from_env_and_path),
    cmocka_unit_test(rustc_not_found),
    cmocka_unit_test(real_rustc),
};

RIMPORT_TEST_MAIN(tests, child_main)
