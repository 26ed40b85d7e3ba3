/* Shared test helpers (see support.h). The platform split of the tests is
 * here and only here: mostly the library's own (src/platform.h,
 * src/common/fs.h, src/proc/proc.h) and libuv; the few calls neither has
 * (exact file times, the library that holds an address, the DLLs beside a
 * fake program) and what the tests expect of each platform (loader
 * messages, how a dead child is reported, lock file semantics, the cases
 * skipped on Windows) are behind the _WIN32 tests below. */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* dladdr */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/resource.h>
#endif
#include <uv.h>
#include <xxhash.h>

#ifdef _WIN32
#include <windows.h>
#include <tlhelp32.h>
#else
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#endif

#include "support.h"
#include "common/common.h"
#include "common/fs.h"
#include "platform.h"
#include "proc/proc.h"

static char self_path[4096];

const char *rimport_test_self(void) {
  return self_path;
}

/* --- scratch files ----------------------------------------------------- */

/* The current error's message, for failure messages. */
static const char *last_message(void) {
  return rimport_error_last()->message;
}

const char *rimport_test_tmp_base(void) {
  static char base[4096];
  rimport_buf env = RIMPORT_BUF_INIT;
  if (rimport__env_get("RIMPORT_TEST_TMP", &env) == 0 && env.size > 0) {
    snprintf(base, sizeof(base), "%s", env.ptr);
  } else {
    char tmp[4000];
    size_t size = sizeof(tmp);
    if (uv_os_tmpdir(tmp, &size) != 0)
      snprintf(tmp, sizeof(tmp), ".");
    snprintf(base, sizeof(base), "%s/rimport-tests", tmp);
  }
  rimport_buf_dispose(&env);
  return base;
}

const char *rimport_test_tmpdir(const char *name) {
  static char tmp_path[4096];
  snprintf(tmp_path, sizeof(tmp_path), "%s/%s-%d", rimport_test_tmp_base(),
           name, (int)uv_os_getpid());
  rimport__fs_remove_tree(tmp_path, NULL);
  if (rimport__fs_mkdir_p(tmp_path) != 0)
    fprintf(stderr, "cannot create %s: %s\n", tmp_path, last_message());
  rimport_error_clear();
  return tmp_path;
}

/* Through libuv: a UTF-8 path on Windows too (fopen takes the ANSI code
 * page there). */
void rimport_test_write_file(const char *path, const char *text) {
  uv_fs_t req;
  uv_buf_t buf = uv_buf_init((char *)text, (unsigned int)strlen(text));
  int fd =
      uv_fs_open(NULL, &req, path,
                 UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_TRUNC, 0644, NULL);
  int n;
  uv_fs_req_cleanup(&req);
  if (fd < 0)
    fail_msg("cannot write %s: %s", path, uv_strerror(fd));
  n = uv_fs_write(NULL, &req, fd, &buf, 1, 0, NULL);
  uv_fs_req_cleanup(&req);
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  if (n != (int)buf.len)
    fail_msg("cannot write %s: %s", path, n < 0 ? uv_strerror(n) : "short");
}

int rimport_test_wait_for_file(const char *path, unsigned int ms) {
  unsigned int waited;
  for (waited = 0; waited < ms; waited += 10) {
    if (rimport__fs_is_file(path))
      return 1;
    uv_sleep(10);
  }
  return 0;
}

typedef struct prefix_count {
  const char *prefix;
  int n;
} prefix_count;

static int count_one(const rimport__dirent *ent, void *payload) {
  prefix_count *c = payload;
  if (strncmp(ent->name, c->prefix, strlen(c->prefix)) == 0)
    c->n++;
  return 0;
}

int rimport_test_count_prefixed(const char *dir, const char *prefix) {
  prefix_count c;
  c.prefix = prefix;
  c.n = 0;
  if (rimport__fs_list_dir(dir, count_one, &c) != 0) {
    rimport_error_clear();
    return 0;
  }
  return c.n;
}

typedef struct tree_copy {
  const char *src, *dst;
} tree_copy;

static int copy_tree(const char *src, const char *dst);

static int copy_one(const rimport__dirent *ent, void *payload) {
  const tree_copy *t = payload;
  rimport_buf from = RIMPORT_BUF_INIT, to = RIMPORT_BUF_INIT;
  rimport__stat st;
  int rc;
  if ((rc = rimport__path_join(&from, t->src, ent->name)) == 0 &&
      (rc = rimport__path_join(&to, t->dst, ent->name)) == 0) {
    if (ent->is_dir)
      rc = copy_tree(from.ptr, to.ptr);
    else if ((rc = rimport__fs_copy_file(from.ptr, to.ptr, NULL, NULL, NULL)) ==
                 0 &&
             (rc = rimport__fs_stat(to.ptr, &st)) == 0)
      rc = rimport__fs_chmod(to.ptr, (int)(st.mode | 0200));
  }
  rimport_buf_dispose(&from);
  rimport_buf_dispose(&to);
  return rc;
}

static int copy_tree(const char *src, const char *dst) {
  tree_copy t;
  rimport__stat st;
  int rc;
  t.src = src;
  t.dst = dst;
  if ((rc = rimport__fs_mkdir_p(dst)) != 0 ||
      (rc = rimport__fs_list_dir(src, copy_one, &t)) != 0 ||
      (rc = rimport__fs_stat(dst, &st)) != 0)
    return rc;
  return rimport__fs_chmod(dst, (int)(st.mode | 0200));
}

void rimport_test_copy_tree(const char *src, const char *dst) {
  if (copy_tree(src, dst) != 0)
    fail_msg("copying %s to %s: %s", src, dst, last_message());
}

void rimport_test_make_writable(const char *path) {
  rimport__stat st;
  if (rimport__fs_stat(path, &st) != 0 ||
      rimport__fs_chmod(path, (int)(st.mode | 0200)) != 0)
    fail_msg("making %s writable: %s", path, last_message());
}

void rimport_test_flip_byte(const char *path, long offset, int mask) {
  FILE *f;
  int c;
  rimport_test_make_writable(path);
  f = fopen(path, "r+b");
  if (f == NULL)
    fail_msg("cannot open %s", path);
  assert_int_equal(fseek(f, offset, SEEK_SET), 0);
  c = fgetc(f);
  assert_int_not_equal(c, EOF);
  assert_int_equal(fseek(f, offset, SEEK_SET), 0);
  assert_int_equal(fputc(c ^ mask, f), c ^ mask);
  assert_int_equal(fclose(f), 0);
}

void rimport_test_truncate(const char *path, uint64_t size) {
  uv_fs_t req;
  int fd, rc;
  fd = uv_fs_open(NULL, &req, path, UV_FS_O_WRONLY, 0, NULL);
  uv_fs_req_cleanup(&req);
  if (fd < 0)
    fail_msg("opening %s: %s", path, uv_strerror(fd));
  rc = uv_fs_ftruncate(NULL, &req, fd, (int64_t)size, NULL);
  uv_fs_req_cleanup(&req);
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  if (rc != 0)
    fail_msg("truncating %s: %s", path, uv_strerror(rc));
}

#ifdef _WIN32
/* UTF-8 → UTF-16 into a buffer of `cap` characters; fails the test. */
static void to_wide(const char *s, wchar_t *out, int cap) {
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, out, cap) <= 0)
    fail_msg("cannot convert \"%s\" to UTF-16", s);
}

/* UTF-16 → UTF-8 into a buffer of `cap` bytes; 0, or -1. */
static int to_utf8(const wchar_t *w, char *out, int cap) {
  return WideCharToMultiByte(CP_UTF8, 0, w, -1, out, cap, NULL, NULL) > 0 ? 0
                                                                          : -1;
}
#endif

void rimport_test_set_mtime(const char *path, int64_t sec, long nsec) {
#ifdef _WIN32
  /* FILETIME counts 100 ns from 1601: set exactly what libuv reads back
   * (uv_fs_utime goes through a double, which loses the last digits). */
  wchar_t wide[4096];
  ULARGE_INTEGER t;
  FILETIME ft;
  HANDLE h;
  BOOL ok;
  to_wide(path, wide, 4096);
  t.QuadPart =
      (ULONGLONG)(sec + 11644473600LL) * 10000000u + (ULONGLONG)nsec / 100u;
  ft.dwLowDateTime = t.LowPart;
  ft.dwHighDateTime = t.HighPart;
  h = CreateFileW(wide, FILE_WRITE_ATTRIBUTES,
                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                  OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
  if (h == INVALID_HANDLE_VALUE)
    fail_msg("opening %s to set its times: error %lu", path,
             (unsigned long)GetLastError());
  ok = SetFileTime(h, NULL, &ft, &ft);
  CloseHandle(h);
  if (!ok)
    fail_msg("setting the times of %s: error %lu", path,
             (unsigned long)GetLastError());
#else
  /* uv_fs_utime rounds to microseconds: the cache records nanoseconds. */
  struct timespec ts[2];
  ts[0].tv_sec = ts[1].tv_sec = (time_t)sec;
  ts[0].tv_nsec = ts[1].tv_nsec = nsec;
  if (utimensat(AT_FDCWD, path, ts, 0) != 0)
    fail_msg("setting the times of %s failed", path);
#endif
}

int rimport_test_deny_writes(const char *dir) {
  if (rimport__fs_chmod(dir, 0500) != 0)
    fail_msg("%s", last_message());
  if (rimport__fs_check_writable(dir) == 0) {
    rimport_test_allow_writes(dir);
    return 0;
  }
  rimport_error_clear();
  return 1;
}

void rimport_test_allow_writes(const char *dir) {
  if (rimport__fs_chmod(dir, 0700) != 0)
    fail_msg("%s", last_message());
}

/* --- mounts ------------------------------------------------------------ */

static char mounts[8][64];

const char *rimport_test_mount_tmpfs(const char *options, char *why,
                                     size_t why_size) {
#ifdef _WIN32
  (void)options;
  snprintf(why, why_size, "Windows has no tmpfs to mount");
  return NULL;
#else
  static unsigned int n;
  rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
  size_t slot;
  char dir[64];
  for (slot = 0; slot < RIMPORT__ARRAY_SIZE(mounts) && mounts[slot][0]; slot++)
    ;
  if (slot == RIMPORT__ARRAY_SIZE(mounts))
    fail_msg("more than %d mounts at once", (int)RIMPORT__ARRAY_SIZE(mounts));
  if (!rimport_test_have_program("mount")) {
    snprintf(why, why_size, "there is no mount program on PATH");
    return NULL;
  }
  snprintf(dir, sizeof(dir), "/tmp/rimport-mnt-%d-%u", (int)uv_os_getpid(),
           n++);
  if (rimport__fs_mkdir_p(dir) != 0)
    fail_msg("%s", last_message());
  {
    const char *args[] = {"mount", "-t",           "tmpfs", "-o",
                          options, "rimport-test", dir,     NULL};
    rimport_test_exec(&r, args, NULL, NULL, 60000);
  }
  if (r.status != 0 || r.term_signal != 0) {
    snprintf(why, why_size,
             "`mount -t tmpfs -o %s rimport-test %s` failed (only root may "
             "mount, in a container that allows it): %s",
             options, dir, r.err.ptr ? r.err.ptr : "");
    rimport_test_output_free(&r);
    rimport__fs_remove_tree(dir, NULL);
    rimport_error_clear();
    return NULL;
  }
  rimport_test_output_free(&r);
  snprintf(mounts[slot], sizeof(mounts[slot]), "%s", dir);
  return mounts[slot];
#endif
}

void rimport_test_remount(const char *dir, const char *options) {
  rimport_test_output r = RIMPORT_TEST_OUTPUT_INIT;
  rimport_buf opt = RIMPORT_BUF_INIT;
  if (rimport__buf_printf(&opt, "remount,%s", options) != 0)
    fail_msg("out of memory");
  {
    const char *args[] = {"mount", "-o", opt.ptr, dir, NULL};
    rimport_test_exec(&r, args, NULL, NULL, 60000);
  }
  if (r.status != 0 || r.term_signal != 0)
    fail_msg("`mount -o %s %s` failed: %s", opt.ptr, dir,
             r.err.ptr ? r.err.ptr : "");
  rimport_test_output_free(&r);
  rimport_buf_dispose(&opt);
}

int rimport_test_unmount_all(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(mounts); i++) {
    rimport__proc_opts o;
    rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
    const char *args[] = {"umount", mounts[i], NULL};
    const char *lazy[] = {"umount", "-l", mounts[i], NULL};
    if (mounts[i][0] == '\0')
      continue;
    /* Not through rimport_test_exec: a teardown must not fail_msg. */
    memset(&o, 0, sizeof(o));
    o.file = "umount";
    o.args = args;
    o.timeout_ms = 60000;
    if (rimport__proc_run(&o, &res) != 0 || res.exit_status != 0 ||
        res.term_signal != 0) {
      static const rimport__proc_result none = RIMPORT__PROC_RESULT_INIT;
      rimport__proc_result_dispose(&res);
      res = none;
      o.args = lazy; /* busy: a child still in it */
      if (rimport__proc_run(&o, &res) != 0 || res.exit_status != 0)
        fprintf(stderr, "could not unmount %s: %s\n", mounts[i],
                res.err.ptr ? res.err.ptr : last_message());
    }
    rimport__proc_result_dispose(&res);
    {
      uv_fs_t req;
      uv_fs_rmdir(NULL, &req, mounts[i], NULL);
      uv_fs_req_cleanup(&req);
    }
    mounts[i][0] = '\0';
  }
  rimport_error_clear();
  return 0;
}

void rimport_test_dylib_path(rimport_buf *out, const char *dir,
                             const char *name) {
  rimport__buf_clear(out);
  if ((dir != NULL && rimport__buf_printf(out, "%s/", dir) != 0) ||
      rimport__buf_printf(out, "%s%s%s", rimport__dl_prefix(), name,
                          rimport__dl_ext()) != 0)
    fail_msg("out of memory");
}

int rimport_test_library_of(const void *addr, rimport_buf *out) {
#ifdef _WIN32
  HMODULE module = NULL;
  wchar_t wide[4096];
  char utf8[4 * 4096];
  DWORD n;
  if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                              GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                          (LPCWSTR)addr, &module))
    return -1;
#if defined(__x86_64__) || defined(_M_X64)
  /* A DLL's function named in C without dllimport (mingw's strlen) is the
   * linker's thunk in the executable, `jmp *[rip + disp32]` through the
   * import table: the library is the one the table entry points into. */
  if (module == GetModuleHandleW(NULL)) {
    const unsigned char *p = addr;
    const void *target;
    int32_t disp;
    if (p[0] != 0xFF || p[1] != 0x25)
      return -1;
    memcpy(&disp, p + 2, sizeof(disp));
    memcpy(&target, p + 6 + disp, sizeof(target));
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)target, &module))
      return -1;
  }
#endif
  n = GetModuleFileNameW(module, wide, 4096);
  if (n == 0 || n >= 4096 ||
      WideCharToMultiByte(CP_UTF8, 0, wide, -1, utf8, (int)sizeof(utf8), NULL,
                          NULL) == 0)
    return -1;
  rimport__buf_clear(out);
  return rimport__buf_puts(out, utf8) == 0 ? 0 : -1;
#else
  Dl_info info;
  memset(&info, 0, sizeof(info));
  if (dladdr(addr, &info) == 0 || info.dli_fname == NULL ||
      !rimport__path_is_absolute(info.dli_fname))
    return -1;
  rimport__buf_clear(out);
  return rimport__buf_puts(out, info.dli_fname) == 0 ? 0 : -1;
#endif
}

/* --- platform facts ----------------------------------------------------- */

const char *rimport_test_dl_prefix(void) {
#ifdef _WIN32
  return "";
#else
  return "lib";
#endif
}

const char *rimport_test_dl_ext(void) {
#if defined(_WIN32)
  return ".dll";
#elif defined(__APPLE__)
  return ".dylib";
#else
  return ".so";
#endif
}

int rimport_test_math_library(rimport_buf *out) {
#ifdef _WIN32
  wchar_t dir[MAX_PATH];
  char utf8[4 * MAX_PATH];
  UINT n = GetSystemDirectoryW(dir, MAX_PATH);
  if (n == 0 || n >= MAX_PATH || to_utf8(dir, utf8, (int)sizeof(utf8)) != 0)
    return -1;
  rimport__buf_clear(out);
  if (rimport__buf_printf(out, "%s\\msvcrt.dll", utf8) != 0)
    fail_msg("out of memory");
  return rimport__fs_is_file(out->ptr) ? 0 : -1;
#else
  static const char *const libm[] = {
      "/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6",
      "/lib/aarch64-linux-gnu/libm.so.6", "/lib64/libm.so.6",
      "/usr/lib64/libm.so.6"};
  size_t i;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(libm); i++) {
    if (!rimport__fs_is_file(libm[i]))
      continue;
    rimport__buf_clear(out);
    if (rimport__buf_puts(out, libm[i]) != 0)
      fail_msg("out of memory");
    return 0;
  }
  return -1;
#endif
}

#ifdef _WIN32
/* Non-zero when message holds "(error <code>)" and the system's text for
 * the code (as the library quotes it: trailing ". \r\n" cut). */
static int says_windows_error(const char *message, DWORD code) {
  wchar_t wide[512];
  char text[2048], tag[32];
  DWORD n =
      FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                     NULL, code, 0, wide, 512, NULL);
  while (n > 0 && (wide[n - 1] == L'\r' || wide[n - 1] == L'\n' ||
                   wide[n - 1] == L' ' || wide[n - 1] == L'.'))
    n--;
  wide[n] = L'\0';
  snprintf(tag, sizeof(tag), "(error %lu)", (unsigned long)code);
  return n > 0 && to_utf8(wide, text, (int)sizeof(text)) == 0 &&
         strstr(message, text) != NULL && strstr(message, tag) != NULL;
}
#endif

int rimport_test_dl_says_missing(const char *message) {
#ifdef _WIN32
  return says_windows_error(message, ERROR_MOD_NOT_FOUND);
#else
  return strstr(message, "No such file or directory") != NULL;
#endif
}

int rimport_test_dl_says_not_a_library(const char *message) {
#ifdef _WIN32
  return says_windows_error(message, ERROR_BAD_EXE_FORMAT);
#else
  /* glibc: "invalid ELF header" or "file too short". */
  return strstr(message, "ELF") != NULL || strstr(message, "too short") != NULL;
#endif
}

#ifdef _WIN32
#define KILLED_STATUS 0xC000013Au /* STATUS_CONTROL_C_EXIT */
#define ABORT_STATUS  3           /* msvcrt's abort() */
#endif

void rimport_test_die(rimport_test_death how) {
  fflush(stdout);
  fflush(stderr);
  if (how == RIMPORT_TEST_ABORTED)
    abort();
#ifdef _WIN32
  TerminateProcess(GetCurrentProcess(), KILLED_STATUS);
#else
  raise(SIGKILL);
#endif
  abort(); /* not reached */
}

void rimport_test_assert_died(int64_t exit_status, int term_signal,
                              rimport_test_death how) {
#ifdef _WIN32
  int64_t want = how == RIMPORT_TEST_KILLED ? (int64_t)KILLED_STATUS
                                            : (int64_t)ABORT_STATUS;
  if (term_signal != 0 || exit_status != want)
    fail_msg("the child should have ended with the exit code %lld and no "
             "signal; it ended with %lld, signal %d",
             (long long)want, (long long)exit_status, term_signal);
#else
  int want = how == RIMPORT_TEST_KILLED ? SIGKILL : SIGABRT;
  if (term_signal != want)
    fail_msg("the child should have been ended by signal %d; it ended with "
             "%lld, signal %d",
             want, (long long)exit_status, term_signal);
#endif
}

const char *rimport_test_death_words(rimport_test_death how) {
  static char words[64];
#ifdef _WIN32
  snprintf(words, sizeof(words), "exit status %lld",
           how == RIMPORT_TEST_KILLED ? (long long)KILLED_STATUS
                                      : (long long)ABORT_STATUS);
#else
  snprintf(words, sizeof(words), "killed by signal %d",
           how == RIMPORT_TEST_KILLED ? SIGKILL : SIGABRT);
#endif
  return words;
}

int rimport_test_detached_escapes_tree_kill(void) {
#ifdef _WIN32
  return 0;
#else
  return 1;
#endif
}

int rimport_test_open_file_can_be_removed(void) {
#ifdef _WIN32
  return 0;
#else
  return 1;
#endif
}

int rimport_test_dl_finds_imports_beside_it(void) {
#ifdef _WIN32
  return 1;
#else
  return 0;
#endif
}

/* --- paths ------------------------------------------------------------- */

/* The two characters are the same in a path of this platform. */
static int path_char_equal(char a, char b) {
  if (rimport__is_dir_sep(a) && rimport__is_dir_sep(b))
    return 1;
#ifdef _WIN32
  if (a >= 'A' && a <= 'Z')
    a = (char)(a - 'A' + 'a');
  if (b >= 'A' && b <= 'Z')
    b = (char)(b - 'A' + 'a');
#endif
  return a == b;
}

static int path_equal_n(const char *a, const char *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (!path_char_equal(a[i], b[i]))
      return 0;
  return 1;
}

void rimport_test__assert_path_equal(const char *actual, const char *expected,
                                     const char *file, int line) {
  if (actual == NULL || expected == NULL ||
      strlen(actual) != strlen(expected) ||
      !path_equal_n(actual, expected, strlen(actual))) {
    print_error("path \"%s\" is not \"%s\"\n", actual ? actual : "(null)",
                expected ? expected : "(null)");
    _fail(file, line);
  }
}

int rimport_test_path_ends_with(const char *path, const char *tail) {
  size_t n = strlen(path), m = strlen(tail);
  return n >= m && path_equal_n(path + n - m, tail, m);
}

void rimport_test_native_path(const char *path, rimport_buf *out) {
  if (rimport__path_is_absolute(path)) {
    rimport__buf_clear(out);
    if (rimport__buf_puts(out, path) != 0)
      fail_msg("out of memory");
  } else if (rimport__fs_realpath(path, out) != 0) {
    fail_msg("making \"%s\" absolute: %s", path, last_message());
  }
}

void rimport_test_xxh3_hex(const void *data, size_t len, char out[33]) {
  XXH128_canonical_t c;
  size_t i;
  XXH128_canonicalFromHash(&c, XXH3_128bits(data, len));
  for (i = 0; i < 16; i++)
    snprintf(out + 2 * i, 3, "%02x", c.digest[i]);
}

/* --- environment ------------------------------------------------------- */

void rimport_test_setenv(const char *name, const char *value) {
  int rc;
  if (value == NULL) {
    uv_os_unsetenv(name); /* an unset variable is not an error */
    return;
  }
  rc = uv_os_setenv(name, value);
  if (rc != 0)
    fail_msg("setting %s: %s", name, uv_strerror(rc));
}

/* --- child processes --------------------------------------------------- */

void rimport_test_output_free(rimport_test_output *r) {
  rimport_buf_dispose(&r->out);
  rimport_buf_dispose(&r->err);
}

void rimport_test_self_args(const char **out, size_t cap,
                            const char *const *child_args) {
  size_t i;
  assert_true(cap >= 3);
  out[0] = rimport_test_self();
  out[1] = "--child";
  for (i = 0; child_args[i] != NULL; i++) {
    if (i + 3 >= cap)
      fail_msg("too many child arguments (%lu)", (unsigned long)i);
    out[i + 2] = child_args[i];
  }
  out[i + 2] = NULL;
}

void rimport_test_exec(rimport_test_output *r, const char *const *argv,
                       const char *cwd, const char *const *env,
                       unsigned int timeout_ms) {
  static const rimport_buf empty = RIMPORT_BUF_INIT;
  rimport__proc_opts o;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  int rc;
  memset(&o, 0, sizeof(o));
  o.file = argv[0];
  o.args = argv;
  o.cwd = cwd;
  o.env = env;
  o.timeout_ms = timeout_ms;
  rc = rimport__proc_run(&o, &res);
  if (rc != 0) {
    rimport_buf line = RIMPORT_BUF_INIT;
    rimport__proc_format_argv(&line, argv);
    rimport__proc_result_dispose(&res);
    fail_msg("running %s: %s", line.ptr ? line.ptr : argv[0], last_message());
  }
  r->status = res.exit_status;
  r->term_signal = res.term_signal;
  r->out = res.out;
  r->err = res.err;
  res.out = empty; /* handed over to r */
  res.err = empty;
  rimport__proc_result_dispose(&res);
}

int rimport_test_exec_spawning_nothing(rimport_test_output *r,
                                       const char *const *argv,
                                       const char *stdin_path, const char *cwd,
                                       const char *log,
                                       unsigned int timeout_ms) {
  static const char *const no_lsan[] = {"ASAN_OPTIONS=detect_leaks=0", NULL};
  static const rimport_buf empty = RIMPORT_BUF_INIT;
  rimport_buf strace = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT;
  const char *args[64];
  rimport__proc_opts o;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  size_t n = 0, i, execs = 0;
  const char *p;
  if (rimport__find_executable("strace", &strace) != 0) {
    rimport_buf_dispose(&strace);
    rimport_error_clear();
    return 1;
  }
  args[n++] = strace.ptr;
  args[n++] = "-f";
  args[n++] = "-e";
  args[n++] = "trace=execve,clone,clone3,fork,vfork";
  args[n++] = "-o";
  args[n++] = log;
  for (i = 0; argv[i] != NULL; i++) {
    if (n + 2 > RIMPORT__ARRAY_SIZE(args))
      fail_msg("rimport_test_exec_spawning_nothing: too many arguments");
    args[n++] = argv[i];
  }
  args[n] = NULL;
  memset(&o, 0, sizeof(o));
  o.file = strace.ptr;
  o.args = args;
  o.env = no_lsan;
  o.cwd = cwd;
  o.stdin_path = stdin_path;
  o.timeout_ms = timeout_ms;
  if (rimport__proc_run(&o, &res) != 0)
    fail_msg("running %s under strace: %s", argv[0], last_message());
  if (rimport__fs_read_file(log, 1 << 24, &text) != 0)
    fail_msg("reading strace's log %s: %s", log, last_message());
  for (p = text.ptr; (p = strstr(p, "execve(")) != NULL; p++)
    execs++;
  if (execs != 1 || strstr(text.ptr, "clone(") || strstr(text.ptr, "clone3(") ||
      strstr(text.ptr, "fork("))
    fail_msg("%s started a process or thread (exit %d):\n%s\nstderr:\n%s",
             argv[0], (int)res.exit_status, text.ptr,
             res.err.ptr ? res.err.ptr : "");
  r->status = res.exit_status;
  r->term_signal = res.term_signal;
  r->out = res.out;
  r->err = res.err;
  res.out = empty; /* handed over to r */
  res.err = empty;
  rimport__proc_result_dispose(&res);
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&strace);
  return 0;
}

void rimport_test_exec_self(rimport_test_output *r,
                            const char *const *child_args,
                            unsigned int timeout_ms) {
  const char *args[64];
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child_args);
  rimport_test_exec(r, args, NULL, NULL, timeout_ms);
}

void rimport_test_run_cli(rimport_test_output *r, const char *cache_dir,
                          const char *const *args, unsigned int timeout_ms) {
#ifdef RIMPORT_CLI_PATH
  const char *argv[64];
  rimport_buf cli = RIMPORT_BUF_INIT, cwd = RIMPORT_BUF_INIT;
  size_t n = 0, i;
  argv[n++] = RIMPORT_CLI_PATH;
  argv[n++] = "--cache-dir";
  argv[n++] = cache_dir;
  for (i = 0; args[i] != NULL; i++) {
    if (n + 1 >= RIMPORT__ARRAY_SIZE(argv))
      fail_msg("rimport_test_run_cli: more than %zu arguments",
               RIMPORT__ARRAY_SIZE(argv) - 4);
    argv[n++] = args[i];
  }
  argv[n] = NULL;
  rimport_test_native_path(RIMPORT_CLI_PATH, &cli);
  rimport_test_native_path(RIMPORT_SOURCE_DIR, &cwd);
  argv[0] = cli.ptr;
  rimport_test_exec(r, argv, cwd.ptr, NULL, timeout_ms);
  rimport_buf_dispose(&cli);
  rimport_buf_dispose(&cwd);
  if (r->term_signal != 0)
    fail_msg("rimport died of signal %d; stderr:\n%s", r->term_signal,
             r->err.ptr);
#else
  (void)r;
  (void)cache_dir;
  (void)args;
  (void)timeout_ms;
  skip(); /* this build does not make the command */
#endif
}

int rimport_test_have_program(const char *name) {
  const char *args[] = {name, "--version", NULL};
  rimport_buf found = RIMPORT_BUF_INIT;
  rimport__proc_opts o;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  int ok = rimport__find_executable(name, &found) == 0;
  rimport_buf_dispose(&found);
  if (ok) {
    memset(&o, 0, sizeof(o));
    o.file = name;
    o.args = args;
    o.timeout_ms = 60000;
    ok = rimport__proc_run(&o, &res) == 0 && res.exit_status == 0 &&
         res.term_signal == 0;
    rimport__proc_result_dispose(&res);
  }
  rimport_error_clear();
  return ok;
}

struct rimport_test_child {
  uv_loop_t loop;
  uv_process_t proc;
  uv_pipe_t out;
  int capture;
  int pid;
  int64_t status;
  int term_signal;
  rimport_buf text;
  char chunk[65536];
};

static void child_exited(uv_process_t *p, int64_t status, int sig) {
  rimport_test_child *c = p->data;
  c->status = status;
  c->term_signal = sig;
  uv_close((uv_handle_t *)p, NULL);
}

static void child_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  rimport_test_child *c = h->data;
  (void)suggested;
  *buf = uv_buf_init(c->chunk, sizeof(c->chunk));
}

static void child_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  rimport_test_child *c = s->data;
  if (n > 0)
    rimport__buf_put(&c->text, buf->base, (size_t)n);
  else if (n < 0)
    uv_close((uv_handle_t *)s, NULL); /* EOF or an error: done */
}

rimport_test_child *rimport_test_child_start(const char *const *child_args,
                                             unsigned int flags) {
  const char *args[64];
  uv_process_options_t po;
  uv_stdio_container_t stdio[3];
  rimport_test_child *c = calloc(1, sizeof(*c));
  int rc;
  assert_non_null(c);
  rimport_test_self_args(args, RIMPORT__ARRAY_SIZE(args), child_args);
  assert_int_equal(uv_loop_init(&c->loop), 0);
  c->capture = (flags & RIMPORT_TEST_CHILD_CAPTURE) != 0;
  memset(&po, 0, sizeof(po));
  stdio[0].flags = UV_IGNORE;
  if (c->capture) {
    assert_int_equal(uv_pipe_init(&c->loop, &c->out, 0), 0);
    c->out.data = c;
    stdio[1].flags = (uv_stdio_flags)(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[1].data.stream = (uv_stream_t *)&c->out;
  } else {
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = 1;
  }
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  po.file = args[0];
  po.args = (char **)args;
  po.stdio = stdio;
  po.stdio_count = 3;
  po.exit_cb = child_exited;
  if (flags & RIMPORT_TEST_CHILD_DETACHED)
    po.flags = UV_PROCESS_DETACHED;
  c->proc.data = c;
  rc = uv_spawn(&c->loop, &c->proc, &po);
  if (rc != 0) {
    uv_close((uv_handle_t *)&c->proc, NULL);
    if (c->capture)
      uv_close((uv_handle_t *)&c->out, NULL);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_loop_close(&c->loop);
    free(c);
    fail_msg("starting %s --child %s: %s", args[0], args[2] ? args[2] : "",
             uv_strerror(rc));
  }
  c->pid = c->proc.pid;
  if (c->capture)
    assert_int_equal(
        uv_read_start((uv_stream_t *)&c->out, child_alloc, child_read), 0);
  return c;
}

int rimport_test_child_pid(const rimport_test_child *c) {
  return c->pid;
}

void rimport_test_child_wait(rimport_test_child *c, rimport_test_output *r) {
  uv_run(&c->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&c->loop), 0);
  if (r != NULL) {
    assert_int_equal(rimport__buf_grow(&c->text, 0), 0); /* "", not NULL */
    r->status = c->status;
    r->term_signal = c->term_signal;
    r->out = c->text;
  } else {
    rimport_buf_dispose(&c->text);
  }
  free(c);
}

void rimport_test_child_kill(rimport_test_child *c, rimport_test_output *r) {
  int rc = uv_process_kill(&c->proc, SIGKILL);
  if (rc != 0)
    fail_msg("killing child %d: %s", c->pid, uv_strerror(rc));
  rimport_test_child_wait(c, r);
}

void rimport_test_child_forget(rimport_test_child *c) {
  uv_close((uv_handle_t *)&c->proc, NULL);
  if (c->capture && !uv_is_closing((uv_handle_t *)&c->out))
    uv_close((uv_handle_t *)&c->out, NULL);
  uv_run(&c->loop, UV_RUN_DEFAULT);
  uv_loop_close(&c->loop);
  rimport_buf_dispose(&c->text);
  free(c);
}

/* --- fake programs ----------------------------------------------------- */

#ifdef _WIN32
/* Non-zero when the directory `dir` (UTF-16, no trailing separator) holds
 * `path`. */
static int wide_under(const wchar_t *path, const wchar_t *dir) {
  size_t n = wcslen(dir);
  return n > 0 && _wcsnicmp(path, dir, n) == 0 &&
         (path[n] == L'\\' || path[n] == L'/');
}

/* Copies the DLLs this process loaded from outside the Windows and system
 * directories (libuv, cJSON, cmocka, the mingw runtime, …) into dir,
 * where a copy of this binary finds them first. */
static void copy_own_dlls(const char *dir) {
  wchar_t sys[MAX_PATH], win[MAX_PATH];
  char from[4 * MAX_PATH], name[4 * MAX_PATH];
  rimport_buf to = RIMPORT_BUF_INIT;
  MODULEENTRY32W me;
  HANDLE snap;
  HMODULE exe = GetModuleHandleW(NULL);
  if (GetSystemDirectoryW(sys, MAX_PATH) == 0 ||
      GetWindowsDirectoryW(win, MAX_PATH) == 0)
    fail_msg("the system directories: error %lu",
             (unsigned long)GetLastError());
  snap = CreateToolhelp32Snapshot(TH32CS_SNAPMODULE, 0);
  if (snap == INVALID_HANDLE_VALUE)
    fail_msg("listing this process's DLLs: error %lu",
             (unsigned long)GetLastError());
  me.dwSize = sizeof(me);
  for (BOOL more = Module32FirstW(snap, &me); more;
       more = Module32NextW(snap, &me)) {
    if (me.hModule == exe || wide_under(me.szExePath, sys) ||
        wide_under(me.szExePath, win))
      continue;
    if (to_utf8(me.szExePath, from, (int)sizeof(from)) != 0 ||
        to_utf8(me.szModule, name, (int)sizeof(name)) != 0 ||
        rimport__path_join(&to, dir, name) != 0)
      fail_msg("the DLL paths of this process");
    if (!rimport__fs_is_file(to.ptr) &&
        rimport__fs_copy_file(from, to.ptr, NULL, NULL, NULL) != 0)
      fail_msg("copying %s beside a fake program: %s", from, last_message());
  }
  CloseHandle(snap);
  rimport_buf_dispose(&to);
}
#endif

const char *rimport_test_fake_begin(const char *child, const char *dir,
                                    const char *name) {
  static char path[4400];
  if (dir == NULL) {
    snprintf(path, sizeof(path), "%s", rimport_test_self());
  } else {
    snprintf(path, sizeof(path), "%s/%s%s", dir, name, rimport__exe_suffix);
    if (rimport__fs_copy_file(rimport_test_self(), path, NULL, NULL, NULL) !=
            0 ||
        rimport__fs_chmod(path, 0755) != 0)
      fail_msg("making the fake %s: %s", path, last_message());
#ifdef _WIN32
    copy_own_dlls(dir);
#endif
  }
  rimport_test_setenv("RIMPORT_TEST_CHILD", child);
  return path;
}

void rimport_test_fake_end(const char *var, ...) {
  va_list ap;
  rimport_test_setenv("RIMPORT_TEST_CHILD", NULL);
  va_start(ap, var);
  for (; var != NULL; var = va_arg(ap, const char *))
    rimport_test_setenv(var, NULL);
  va_end(ap);
}

const rimport_toolchain rimport_test_fake_toolchain = {
    "/usr/bin/rustc",
    "1.95.0",
    "59807616e",
    "2026-04-14",
    "x86_64-unknown-linux-gnu",
    "x86_64-unknown-linux-gnu", /* target: the host */
    "20.1.8",
    "/sysroot",
    "/sysroot/lib/rustlib/x86_64-unknown-linux-gnu/lib",
    NULL,
    "0123456789abcdef0123456789abcdef",
    0,
    NULL};

/* --- sessions, plans and builds ---------------------------------------- */

rimport_session *rimport_test_session_open(const char *cache_dir,
                                           const rimport_session_options *o) {
  rimport_session_options opts = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s = NULL;
  if (o != NULL)
    opts = *o;
  opts.cache_dir = cache_dir;
  opts.offline = 1;
  if (rimport_session_open(&s, &opts) != 0)
    fail_msg("session: %s", last_message());
  return s;
}

rimport_cell_plan *rimport_test_plan(rimport_session *s, const char *cell) {
  rimport_imports *imps = NULL;
  rimport_cell_plan *plan = NULL;
  rimport_plan_options po = RIMPORT_PLAN_OPTIONS_INIT;
  po.base_dir = RIMPORT_TEST_FIXTURES;
  if (rimport_parse(cell, strlen(cell), &imps) != 0)
    fail_msg("parse: %s", last_message());
  if (rimport_plan(s, rimport_imports_array(imps), rimport_imports_count(imps),
                   &po, &plan) != 0) {
    rimport_imports_free(imps);
    fail_msg("plan: %s", last_message());
  }
  rimport_imports_free(imps);
  return plan;
}

rimport_build_result *rimport_test_build(rimport_session *s,
                                         const rimport_cell_plan *plan) {
  rimport_build_result *r = NULL;
  if (rimport_build(s, plan, &r) != 0)
    fail_msg("build: %s", last_message());
  assert_non_null(r);
  assert_int_equal(rimport_build_result_count(r),
                   rimport_cell_plan_count(plan));
  return r;
}

/* --- progress reports -------------------------------------------------- */

void rimport_test_on_progress(const rimport_progress *p, void *payload) {
  rimport_test_progress *log = payload;
  assert_non_null(log);
  assert_non_null(p->message);
  if (log->want_phase != 0)
    assert_int_equal(p->phase, log->want_phase);
  if (log->want_plugin != NULL) {
    assert_non_null(p->plugin);
    assert_string_equal(p->plugin, log->want_plugin);
  }
  if (log->want_message != NULL &&
      strstr(p->message, log->want_message) == NULL)
    fail_msg("progress message lacks \"%s\": %s", log->want_message,
             p->message);
  log->calls++;
  log->done = p->done;
  log->total = p->total;
  snprintf(log->unit, sizeof(log->unit), "%s", p->unit ? p->unit : "");
  snprintf(log->message, sizeof(log->message), "%s", p->message);
}

/* --- assertions -------------------------------------------------------- */

void rimport_test_assert_error(int rc, int code, const char *needle) {
  const rimport_error *err = rimport_error_last();
  if (rc != code)
    fail_msg("expected %s, got %s (%s)", rimport_err_name(code),
             rimport_err_name(rc), err ? err->message : "no message");
  assert_non_null(err);
  assert_int_equal(err->code, code);
  assert_non_null(err->message);
  if (needle != NULL && strstr(err->message, needle) == NULL)
    fail_msg("error message lacks \"%s\": %s", needle, err->message);
}

/* --- a dylib's exports ------------------------------------------------- */

#ifdef _WIN32
static uint32_t le32(const rimport_buf *f, size_t off) {
  const unsigned char *b = (const unsigned char *)f->ptr + off;
  if (off + 4 > f->size)
    fail_msg("reading a PE file: offset %zu is past its end", off);
  return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
         (uint32_t)b[3] << 24;
}

/* The file offset of the RVA `rva`, from the section table. */
static size_t pe_offset(const rimport_buf *f, size_t sections, unsigned count,
                        uint32_t rva) {
  unsigned i;
  for (i = 0; i < count; i++) {
    size_t s = sections + 40 * (size_t)i;
    uint32_t va = le32(f, s + 12), size = le32(f, s + 8), raw = le32(f, s + 20);
    if (rva >= va && rva < va + size)
      return raw + (rva - va);
  }
  fail_msg("reading a PE file: RVA 0x%lx is in no section", (unsigned long)rva);
  return 0;
}

int rimport_test_count_exports(const char *path, const char *needle) {
  rimport_buf f = RIMPORT_BUF_INIT;
  size_t pe, opt, sections, dir, names;
  unsigned nsect;
  uint32_t i, count;
  int n = 0;
  assert_int_equal(rimport__fs_read_file(path, (size_t)1 << 30, &f), 0);
  assert_true(f.size > 0x40 && f.ptr[0] == 'M' && f.ptr[1] == 'Z');
  pe = le32(&f, 0x3c);
  assert_true(le32(&f, pe) == 0x4550); /* "PE\0\0" */
  nsect = (unsigned)(le32(&f, pe + 4) >> 16);
  opt = pe + 24;
  sections = opt + (le32(&f, pe + 20) & 0xffff);
  /* PE32+ (0x20b): the export directory is data directory 0, at 112 */
  assert_true((le32(&f, opt) & 0xffff) == 0x20b);
  if (le32(&f, opt + 112) == 0)
    goto done; /* exports nothing */
  dir = pe_offset(&f, sections, nsect, le32(&f, opt + 112));
  count = le32(&f, dir + 24);
  names = pe_offset(&f, sections, nsect, le32(&f, dir + 32));
  for (i = 0; i < count; i++) {
    size_t name = pe_offset(&f, sections, nsect, le32(&f, names + 4 * i));
    if (name < f.size && memchr(f.ptr + name, '\0', f.size - name) != NULL &&
        strstr(f.ptr + name, needle) != NULL)
      n++;
  }
done:
  rimport_buf_dispose(&f);
  return n;
}
#else
int rimport_test_count_exports(const char *path, const char *needle) {
  const char *nm[] = {"nm", "-D", "--defined-only", path, NULL};
  rimport_test_output out = RIMPORT_TEST_OUTPUT_INIT;
  const char *text;
  int n = 0;
  rimport_test_exec(&out, nm, NULL, NULL, 60000);
  assert_int_equal(out.status, 0);
  assert_int_equal(out.term_signal, 0);
  for (text = out.out.ptr; text && (text = strstr(text, needle)) != NULL;) {
    n++;
    if ((text = strchr(text, '\n')) == NULL)
      break;
  }
  rimport_test_output_free(&out);
  return n;
}
#endif

/* --- cases skipped on Windows ----------------------------------------- */

/* Why a case does not run on Windows (see support.h). */
#define NEEDS_CARGO                                                            \
  "it builds a plugin with cargo, and no cargo.exe is on PATH (the Windows "   \
  "stage puts a stand-in for it there, tests/wine/linux_exec.c)"
#define NEEDS_RUSTC                                                            \
  "it runs rustc, and no rustc.exe is on PATH (the Windows stage puts a "      \
  "stand-in for it there, tests/wine/linux_exec.c)"

typedef struct windows_skip {
  const char *binary; /* test binary, without the executable suffix */
  const char *name;   /* its case */
  const char *needs;  /* skipped while this program cannot be run; NULL:
                         always */
  const char *reason;
} windows_skip;

static const windows_skip windows_skips[] = {
    {"test_cache", "cache_unwritable_dir_is_a_clear_error", NULL,
     "a directory cannot be made unwritable on Windows: its read-only "
     "attribute does not keep new files out, and there is no write "
     "permission to take away"},
    {"test_cache", "cache_read_only_dir_fails_at_session_open", NULL,
     "it mounts a read-only tmpfs (or takes a directory's write permission "
     "away), which Windows has neither of"},
    {"test_cache", "cache_read_only_at_first_build", NULL,
     "it remounts a tmpfs read-only under a session (or takes a "
     "directory's write permission away), which Windows has neither of"},
    {"test_cache", "cache_disk_full_during_publish", NULL,
     "it mounts a small tmpfs, which Windows has no such thing as"},
    {"test_cache", "cache_disk_full_during_build", NULL,
     "it mounts a small tmpfs, which Windows has no such thing as"},
    {"test_build", "reqwest_from_debian", NULL,
     "Debian's crates cannot build reqwest for Windows: mio's Windows "
     "dependency (windows-sys) is stripped from librust-mio-dev (DESIGN.md "
     "fact 15)"},
    {"test_dyncall", "reqwest_status_code_through_the_dynamic_path", NULL,
     "it builds reqwest, which Debian's crates cannot build for Windows (as "
     "for reqwest_from_debian); test_dyncall.real_plugin_calls and "
     "semver_and_regex_from_debian make dynamic calls there"},
    {"test_build", "loaded_copy_gets_no_other_platforms_features", NULL,
     "it builds tokio-util, whose mio needs windows-sys on Windows, which "
     "Debian strips from librust-mio-dev (as for reqwest_from_debian)"},
    {"test_build", "rustc_wrapper_is_used_and_not_keyed", NULL,
     "the Linux cargo behind the wine stand-in would have to run the fake "
     "wrapper, a Windows program (DESIGN.md fact 15: a Linux program "
     "cannot start one here); cargo on Windows runs RUSTC_WRAPPER as on "
     "Linux"},
    {"test_build", "builds_for_another_target", NULL,
     "a Windows process builds every plugin for its own target "
     "(x86_64-pc-windows-gnu) already, which the whole Windows stage tests; "
     "the case names another target explicitly with Debian's rustc by its "
     "Linux path"},
    {"test_cell", "cargo_route_builds_a_cell_crate", NULL,
     "the Cargo.toml that rimport_extra_deps_cargo_toml gives holds the "
     "plugins' absolute Windows paths (the host writes it where it likes), "
     "which the Linux cargo behind the wine stand-in takes for relative "
     "ones; cargo on Windows reads them"},
    {"test_cli", "runs_with_debian_rust_163", NULL,
     "the Windows stage runs every case with Debian's rustc 1.63 already "
     "(behind the stand-ins); the case names it by its Linux path"},
    {"test_cli", "warm_plan_spawns_nothing", NULL,
     "it counts the processes a warm run starts with strace, a Linux "
     "tracer; under wine, test_wine.pipeline_crates_then_a_warm_run checks "
     "that a warm run starts no cargo and no rustc"},
    {"test_cli", "warm_build_spawns_nothing", NULL,
     "it counts the processes a warm run starts with strace, a Linux "
     "tracer; under wine, test_wine.pipeline_crates_then_a_warm_run checks "
     "that a warm run starts no cargo and no rustc"},
    {"test_cli", "warm_run_compiles_nothing", NULL,
     "it counts the processes a warm run starts with strace, a Linux "
     "tracer; under wine, test_wine.pipeline_crates_then_a_warm_run checks "
     "that a warm run starts no cargo and no rustc"},
    {"test_api", "index_of_debian_rustdoc_163", NULL,
     "it names Debian's rustdoc by its Linux path; under wine the "
     "stage's rustdoc.exe stand-in runs that same rustdoc 1.63, which "
     "index_of_current_rustdoc reads there (format 15)"},
    {"test_cell", "many_cells_under_a_low_descriptor_limit", NULL,
     "Windows has no descriptor limit to lower (the case lowers "
     "RLIMIT_NOFILE); the session files' marks are checked under wine by "
     "test_cache and test_load"},
    {"test_api", "rustdoc_failure_is_a_warning", NULL,
     "its stand-in rustdoc (RIMPORT_RUSTDOC) is a shell script"},
    {"test_api", "rustdoc_format_unknown_is_a_warning", NULL,
     "its stand-in rustdoc (RIMPORT_RUSTDOC) is a shell script"},
    {"test_gen", "kitchen_plugin_builds_and_loads", "cargo", NEEDS_CARGO},
    {"test_gen", "whole_crate_and_items_build_and_a_cell_runs", "cargo",
     NEEDS_CARGO},
    {"test_gen", "plugin_with_parent_links_to_it", "cargo", NEEDS_CARGO},
    {"test_load", "loads_in_order_and_registers", "cargo", NEEDS_CARGO},
    {"test_load", "other_toolchain_is_refused", "cargo", NEEDS_CARGO},
    {"test_load", "other_abi_is_refused", "cargo", NEEDS_CARGO},
    {"test_load", "altered_byte_is_corrupt", "cargo", NEEDS_CARGO},
    {"test_load", "truncated_dylib_is_corrupt", "cargo", NEEDS_CARGO},
    {"test_load", "embedded_manifest_is_checked", "cargo", NEEDS_CARGO},
    {"test_load", "stacked_plugins_load_in_order", "cargo", NEEDS_CARGO},
    {"test_toolchain", "real_rustc", "rustc", NEEDS_RUSTC},
};

static void skipped_on_windows(void **state) {
  const windows_skip *w = *state;
  print_message("[  SKIP    ] %s on Windows: %s\n", w->name, w->reason);
  skip();
}

/* The running binary's name without directory and executable suffix. */
static void binary_name(char *out, size_t size) {
  const char *base = rimport__path_base(self_path);
  size_t n = strlen(base), slen = strlen(rimport__exe_suffix);
  if (slen > 0 && n > slen &&
      rimport__env_name_equal(base + n - slen, slen, rimport__exe_suffix, slen))
    n -= slen;
  snprintf(out, size, "%.*s", (int)n, base);
}

/* The table's entries for this binary must name its cases: 0, or 2 after
 * saying which does not. */
static int check_windows_skips(const char *binary,
                               const struct CMUnitTest *tests, size_t count) {
  size_t i, j;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(windows_skips); i++) {
    if (strcmp(windows_skips[i].binary, binary) != 0)
      continue;
    for (j = 0; j < count; j++)
      if (tests[j].name != NULL &&
          strcmp(tests[j].name, windows_skips[i].name) == 0)
        break;
    if (j == count) {
      fprintf(stderr,
              "%s: support.c's windows_skips names \"%s\", which is not a "
              "case of this binary\n",
              binary, windows_skips[i].name);
      return 2;
    }
  }
  return 0;
}

/* The Windows skip of the case `name` of `binary` that applies now, or
 * NULL (always NULL off Windows). */
static const windows_skip *windows_skip_of(const char *binary,
                                           const char *name) {
#ifdef _WIN32
  size_t i;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(windows_skips); i++)
    if (strcmp(windows_skips[i].binary, binary) == 0 &&
        strcmp(windows_skips[i].name, name) == 0 &&
        (windows_skips[i].needs == NULL ||
         !rimport_test_have_program(windows_skips[i].needs)))
      return &windows_skips[i];
#else
  (void)binary;
  (void)name;
#endif
  return NULL;
}

static void print_windows_skips(void) {
  size_t i;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(windows_skips); i++)
    printf("%s.%s\t%s\t%s\n", windows_skips[i].binary, windows_skips[i].name,
           windows_skips[i].needs ? windows_skips[i].needs : "-",
           windows_skips[i].reason);
}

/* --- the runner -------------------------------------------------------- */

int rimport_test_child_dispatch(const rimport_test_child_def *defs,
                                size_t count, int argc, char **argv) {
  const char *name = argc > 0 ? argv[0] : "";
  size_t i;
  for (i = 0; i < count; i++) {
    if (strcmp(defs[i].name, name) != 0)
      continue;
    if (argc < defs[i].min_argc) {
      fprintf(stderr, "child \"%s\" needs %d arguments, got %d\n", name,
              defs[i].min_argc - 1, argc - 1);
      return 2;
    }
    return defs[i].fn(argc, argv);
  }
  fprintf(stderr, "unknown child \"%s\" (%d args)\n", name, argc);
  return 2;
}

int rimport_test_run(const char *group, const struct CMUnitTest *tests,
                     size_t count, rimport_test_child_fn child, int argc,
                     char **argv) {
  size_t size = sizeof(self_path), i, first = 0, n = count;
  struct CMUnitTest *run;
  const windows_skip *w;
  const char *child_as;
  char binary[256];
  int rc;
  if (uv_exepath(self_path, &size) != 0)
    snprintf(self_path, sizeof(self_path), "%s", argv[0]);
  child_as = getenv("RIMPORT_TEST_CHILD");
  if (child_as != NULL && *child_as != '\0' && child != NULL) {
    /* Acting as a program that is run as `<path> <args…>` (a fake rustc):
     * the child sees argv[0] = the child name and the args unchanged. */
    argv[0] = (char *)child_as;
    return child(argc, argv);
  }
  if (argc >= 2 && strcmp(argv[1], "--child") == 0) {
    if (child == NULL) {
      fprintf(stderr, "%s: this test binary has no child mode\n", argv[0]);
      return 2;
    }
    return child(argc - 2, argv + 2);
  }
  if (argc >= 2 && strcmp(argv[1], "--windows-skips") == 0) {
    print_windows_skips();
    return 0;
  }
  binary_name(binary, sizeof(binary));
  if ((rc = check_windows_skips(binary, tests, count)) != 0)
    return rc;
  if (argc >= 2) {
    /* Run exactly the named case; a name that matches none is an error, so
     * that a renamed case cannot pass by running nothing. */
    for (i = 0; i < count; i++)
      if (tests[i].name != NULL && strcmp(tests[i].name, argv[1]) == 0)
        break;
    if (i == count) {
      fprintf(stderr, "%s: no test case named \"%s\"\n", group, argv[1]);
      return 2;
    }
    first = i;
    n = 1;
  }
  /* A copy of the cases, with each one skipped on this platform replaced
   * by a stub that says why (the entry is its state). */
  run = calloc(n, sizeof(*run));
  if (run == NULL) {
    fprintf(stderr, "%s: out of memory\n", group);
    return 2;
  }
  for (i = 0; i < n; i++) {
    run[i] = tests[first + i];
    if (run[i].name != NULL &&
        (w = windows_skip_of(binary, run[i].name)) != NULL) {
      run[i].test_func = skipped_on_windows;
      run[i].setup_func = NULL;
      run[i].teardown_func = NULL;
      run[i].initial_state = (void *)w;
    }
  }
  rc = _cmocka_run_group_tests(group, run, n, NULL, NULL);
  free(run);
  rimport_error_clear();
  return rc;
}

/* --- descriptor limits ------------------------------------------------- */

unsigned long long rimport_test_limit_descriptors(unsigned long long n) {
#ifndef _WIN32
  struct rlimit rl;
  unsigned long long old;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
  old = (unsigned long long)rl.rlim_cur;
  rl.rlim_cur = (rlim_t)n;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
    fail_msg("setrlimit(RLIMIT_NOFILE, %llu) failed", n);
  return old;
#else
  (void)n;
  return 0;
#endif
}

void rimport_test_restore_descriptors(unsigned long long old) {
#ifndef _WIN32
  struct rlimit rl;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
  rl.rlim_cur = (rlim_t)old;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
#else
  (void)old;
#endif
}
