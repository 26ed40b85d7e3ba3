/* Shared test helpers: the runner that lets CTest run one case by name, a
 * scratch directory per test, a way for a test binary to re-run itself as
 * a child process (fake rustc, fake cargo, a second process that takes a
 * lock), and the file, process and session chores several tests need.
 *
 * Platform differences live here (support.c), on top of the library's own
 * platform layer (src/platform.h, src/common/fs.h, src/proc/proc.h) and
 * libuv, so that the cases themselves need no #ifdef: no shell, no
 * POSIX-only call. Every helper that can fail fails the running test with
 * a message saying what it was doing (cmocka's fail_msg), unless it says
 * otherwise. */
#ifndef RIMPORT_TEST_SUPPORT_H
#define RIMPORT_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rimport.h"

/* --- the runner -------------------------------------------------------- */

/* A child entry point: `<test binary> --child <name> <args…>` calls it
 * with argv[0] = name. When the environment variable RIMPORT_TEST_CHILD is
 * set to a name, the binary (or a copy of it) acts as that child whatever
 * its arguments: `<binary> <args…>` calls it with argv[0] = name and the
 * args unchanged (for fakes that are run like the real program, e.g. a
 * fake rustc run as `<path> -vV`). */
typedef int (*rimport_test_child_fn)(int argc, char **argv);

int rimport_test_run(const char *group, const struct CMUnitTest *tests,
                     size_t count, rimport_test_child_fn child, int argc,
                     char **argv);

#define RIMPORT_TEST_MAIN(tests, child)                                        \
  int main(int argc, char **argv) {                                            \
    return rimport_test_run(#tests, tests, sizeof(tests) / sizeof(tests[0]),   \
                            child, argc, argv);                                \
  }

/* One child of a test binary, for rimport_test_child_dispatch. */
typedef struct rimport_test_child_def {
  const char *name;         /* argv[0] */
  rimport_test_child_fn fn; /* called with argc and argv as they came */
  int min_argc;             /* the name included */
} rimport_test_child_def;

/* A child_main made of a table: calls the entry named argv[0]; an unknown
 * name, or too few arguments, says so on stderr and returns 2. */
int rimport_test_child_dispatch(const rimport_test_child_def *defs,
                                size_t count, int argc, char **argv);

/* The path of the running test binary (for re-running it as a child). */
const char *rimport_test_self(void);

/* --- cases skipped on Windows -------------------------------------------
 * The one list of cases that do not run on Windows, and why, is the table
 * windows_skips[] in support.c: rimport_test_run skips them there (with
 * cmocka's skip(), after printing the reason), and checks on every
 * platform that each entry names a case of its test binary, so a renamed
 * case cannot keep a stale entry. An entry either cannot mean anything on
 * Windows (skipped always) or needs a program (cargo, rustc) that is the
 * Linux one here, which a Windows program cannot start under wine
 * (DESIGN.md fact 15): it is skipped while that program cannot be run.
 * `<any test binary> --windows-skips` prints the table, one
 * "<binary>.<case><TAB><needs or -><TAB><reason>" line per entry (for the
 * README's list). */

/* --- scratch files ----------------------------------------------------- */

/* Where the tests keep their files: $RIMPORT_TEST_TMP, else
 * <the system temp dir>/rimport-tests (uv_os_tmpdir). Static storage. */
const char *rimport_test_tmp_base(void);

/* A new, empty directory for the calling test, <tmp base>/<name>-<pid>.
 * Returned string is static storage, overwritten by the next call. */
const char *rimport_test_tmpdir(const char *name);

/* Writes a file (creating parents is the caller's job). */
void rimport_test_write_file(const char *path, const char *text);

/* Polls for `path` to be a file, for up to `ms` milliseconds: 1 when it
 * is, 0 when the time ran out. */
int rimport_test_wait_for_file(const char *path, unsigned int ms);

/* How many entries of the directory `dir` have names that start with
 * `prefix` ("" counts every entry); 0 when dir cannot be listed. */
int rimport_test_count_prefixed(const char *dir, const char *prefix);

/* Copies the directory `src`, with everything in it, to the new directory
 * `dst` (its parents are made), and makes every copied file and directory
 * writable by its owner (`cp -R src dst && chmod -R u+w dst`). A symbolic
 * link is copied as the file it points to. */
void rimport_test_copy_tree(const char *src, const char *dst);

/* Makes a file writable by its owner (u+w; on Windows: clears the
 * read-only attribute), e.g. a published, read-only cache file. */
void rimport_test_make_writable(const char *path);

/* Makes the file writable, then XORs its byte at `offset` with `mask`. */
void rimport_test_flip_byte(const char *path, long offset, int mask);

/* Cuts a file to `size` bytes (it must be writable). */
void rimport_test_truncate(const char *path, uint64_t size);

/* Sets a file's access and modification times to sec + nsec / 1e9,
 * exactly (to the nanosecond where the file system keeps them). */
void rimport_test_set_mtime(const char *path, int64_t sec, long nsec);

/* Takes write permission on the directory `dir` away from its owner (mode
 * 0500). 1 when creating a file in it now fails; 0 when the user or the
 * platform ignores that (root; Windows, where a directory's read-only
 * attribute does not keep files out): then the mode is put back and the
 * caller should skip(). */
int rimport_test_deny_writes(const char *dir);

/* Gives a directory its owner's permissions back (0700). */
void rimport_test_allow_writes(const char *dir);

/* --- mounts (cases that mount are skipped on Windows) ------------------
 * For a cache on a read-only or a full file system. Each mount is a tmpfs
 * at a new directory /tmp/rimport-mnt-<pid>-<n>, made with the mount
 * program (`mount -t tmpfs -o <options> rimport-test <dir>`), which only
 * root may run (in a container, one that allows mounts). A case that
 * mounts is registered with cmocka_unit_test_teardown(<case>,
 * rimport_test_unmount_all) so that its mounts go whatever it did. */

/* Mounts a new tmpfs with `options` ("ro", "size=256k"): its directory
 * (static storage, until the next call), or NULL when it cannot be done
 * (not root, no mount program, mounts not allowed, Windows), with the
 * reason in why[0..why_size) (print it, then skip()). */
const char *rimport_test_mount_tmpfs(const char *options, char *why,
                                     size_t why_size);

/* `mount -o remount,<options>` of a mount made by rimport_test_mount_tmpfs
 * ("ro", "rw", "size=1m"); fails the test when it does not work. */
void rimport_test_remount(const char *dir, const char *options);

/* Unmounts every mount this process made and has not unmounted (lazily
 * when one is busy), and removes their directories. A cmocka teardown:
 * always 0. */
int rimport_test_unmount_all(void **state);

/* out = <dir>/<prefix><name><ext>: the file name the Rust toolchain gives
 * the dylib `name` on this platform ("libfoo.so", "foo.dll"). dir may be
 * NULL (the file name alone). */
void rimport_test_dylib_path(rimport_buf *out, const char *dir,
                             const char *name);

/* The absolute path of the shared library (or the executable) that holds
 * `addr` in this process, into out; 0, or -1 when the platform cannot
 * tell. On Windows a function of a DLL whose address is the executable's
 * import thunk (mingw: strlen) gives the DLL. */
int rimport_test_library_of(const void *addr, rimport_buf *out);

/* --- platform facts, as the tests expect them ---------------------------- */

/* The file name parts of a dynamic library as the platform's Rust
 * toolchain makes them: "lib" and ".so" (".dylib" on macOS), or "" and
 * ".dll" on Windows. (An expectation written down apart from
 * rimport__dl_prefix/ext, which it checks.) */
const char *rimport_test_dl_prefix(void);
const char *rimport_test_dl_ext(void);

/* The absolute path of a library of the system that exports cos() (the
 * math library: libm.so.6; on Windows msvcrt.dll in the system
 * directory), into out: 0, or -1 when there is none where it is looked
 * for. */
int rimport_test_math_library(rimport_buf *out);

/* Non-zero when a loader error message says what the platform's loader
 * says for a library file that does not exist (dlerror: "No such file or
 * directory"; Windows: error 126, ERROR_MOD_NOT_FOUND, with the system's
 * text for it), and for a file that is not a library (dlerror: "invalid
 * ELF header" or "file too short"; Windows: error 193,
 * ERROR_BAD_EXE_FORMAT, with its text). */
int rimport_test_dl_says_missing(const char *message);
int rimport_test_dl_says_not_a_library(const char *message);

/* Two ways a child ends abnormally. */
typedef enum rimport_test_death {
  /* Killed at once, from outside or by itself: unix SIGKILL. Windows has
   * no signals: TerminateProcess with the exit code 0xC000013A
   * (STATUS_CONTROL_C_EXIT, what a console program stopped by Ctrl+C or
   * a closed console ends with). */
  RIMPORT_TEST_KILLED,
  /* abort(): unix SIGABRT; Windows (msvcrt) the exit code 3. */
  RIMPORT_TEST_ABORTED
} rimport_test_death;

/* Ends this process (a child) that way; never returns. */
void rimport_test_die(rimport_test_death how);

/* Asserts that a finished child's exit status and signal are what dying
 * `how` gives on this platform (on Windows: no signal, and the exit code
 * in full, as a positive number). */
void rimport_test_assert_died(int64_t exit_status, int term_signal,
                              rimport_test_death how);

/* How rimport's error messages put such an end (static storage): "killed
 * by signal 6"; on Windows "exit status 3". */
const char *rimport_test_death_words(rimport_test_death how);

/* Non-zero when a grandchild started detached (RIMPORT_TEST_CHILD_DETACHED)
 * leaves the process tree that rimport kills on timeout: unix, where it
 * leads a session of its own; not Windows, where it stays in the child's
 * job object, which only a job that allows breakaway would let it leave. */
int rimport_test_detached_escapes_tree_kill(void);

/* Non-zero when a file that another handle has open can be removed
 * (unix). Windows: rimport opens lock files without FILE_SHARE_DELETE, so
 * the delete fails while anyone has the file open, and the file stays. */
int rimport_test_open_file_can_be_removed(void);

/* Non-zero when the loader finds a library's imports in the library's own
 * directory by itself: Windows (rimport loads with
 * LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR), not unix (dlopen searches no such
 * place unless the library's RUNPATH names it). */
int rimport_test_dl_finds_imports_beside_it(void);

/* How many symbols the dylib at `path` defines and exports whose (mangled)
 * names contain `needle`: `nm -D --defined-only` on unix; on Windows the
 * names of the DLL's PE export table, read from the file. Fails the test
 * when the file cannot be read or is not such a library. */
int rimport_test_count_exports(const char *path, const char *needle);

/* --- paths ------------------------------------------------------------- */

/* Asserts that two paths are the same as this platform spells paths: byte
 * for byte on unix; on Windows '/' and '\\' are one separator, and ASCII
 * letters compare without case (PATHEXT's ".EXE" names the file ".exe").
 * A failure names the caller's file and line. */
#define rimport_test_assert_path_equal(actual, expected)                       \
  rimport_test__assert_path_equal((actual), (expected), __FILE__, __LINE__)
void rimport_test__assert_path_equal(const char *actual, const char *expected,
                                     const char *file, int line);

/* Non-zero when `path` ends with `tail`, compared as
 * rimport_test_assert_path_equal compares. */
int rimport_test_path_ends_with(const char *path, const char *tail);

/* `path` as an absolute path of this platform, into out: itself when it is
 * one (always, on unix), else resolved against the current drive and
 * directory (on Windows under wine, the build's "/work/…" paths, which
 * libuv would otherwise resolve against a working directory's "drive"). */
void rimport_test_native_path(const char *path, rimport_buf *out);

/* The XXH3-128 of data as 32 lowercase hex digits (an independent check
 * of the library's hashes). */
void rimport_test_xxh3_hex(const void *data, size_t len, char out[33]);

/* --- environment ------------------------------------------------------- */

/* Sets (value != NULL) or removes (value == NULL) an environment variable
 * of this process, which children inherit. */
void rimport_test_setenv(const char *name, const char *value);

/* --- child processes --------------------------------------------------- */

/* What a finished child did. */
typedef struct rimport_test_output {
  int64_t status;  /* exit status, when term_signal == 0 */
  int term_signal; /* non-zero when a signal (or a kill) ended it */
  rimport_buf out; /* captured stdout (NUL-terminated, "" when none) */
  rimport_buf err; /* captured stderr */
} rimport_test_output;

#define RIMPORT_TEST_OUTPUT_INIT                                               \
  { 0, 0, RIMPORT_BUF_INIT, RIMPORT_BUF_INIT }

void rimport_test_output_free(rimport_test_output *r);

/* out[] = { <this binary>, "--child", child_args…, NULL }; out has room
 * for `cap` pointers (the test fails when they do not fit). */
void rimport_test_self_args(const char **out, size_t cap,
                            const char *const *child_args);

/* Runs a program to its end through rimport__proc_run: argv[0] is the
 * program (a path, or a name looked up on PATH), no shell; cwd (NULL:
 * inherit), env ("NAME=value" overrides, "NAME" removals, NULL-terminated;
 * NULL: none) and a time limit (0: none). Captures stdout and stderr into
 * *r (which must hold nothing). Fails the test when the program cannot be
 * started or runs out of time; the exit status is the caller's to judge. */
void rimport_test_exec(rimport_test_output *r, const char *const *argv,
                       const char *cwd, const char *const *env,
                       unsigned int timeout_ms);

/* Runs argv (argv[0] a path) to its end under `strace -f`, with stdin from
 * stdin_path (NULL: none) in cwd (NULL: inherit), capturing its output
 * into *r (which must hold nothing), and fails the test when the program
 * started any process or thread: an execve other than its own, a clone or
 * a fork. `log` is where strace writes. Returns 0, or 1 without running
 * anything when strace is not installed (the caller skips). LeakSanitizer
 * is turned off for the run: it cannot work under ptrace. */
int rimport_test_exec_spawning_nothing(rimport_test_output *r,
                                       const char *const *argv,
                                       const char *stdin_path, const char *cwd,
                                       const char *log,
                                       unsigned int timeout_ms);

/* rimport_test_exec of `<this binary> --child child_args…`. */
void rimport_test_exec_self(rimport_test_output *r,
                            const char *const *child_args,
                            unsigned int timeout_ms);

/* Runs the rimport command of this build (RIMPORT_CLI_PATH) as
 * `rimport --cache-dir <cache_dir> args…` from the source tree, through
 * rimport_test_exec; a signal fails the test. Skips the test in a build
 * without the command. */
void rimport_test_run_cli(rimport_test_output *r, const char *cache_dir,
                          const char *const *args, unsigned int timeout_ms);

/* Lowers the soft limit of open descriptors to n (unix; valgrind allows
 * the soft limit only) and returns the old one, for
 * rimport_test_restore_descriptors. Windows has no such limit: 0. */
unsigned long long rimport_test_limit_descriptors(unsigned long long n);
void rimport_test_restore_descriptors(unsigned long long old);

/* Non-zero when `name` (no directory part) is an executable on PATH. */
int rimport_test_have_program(const char *name);

/* A child that runs alongside the test (a second process that takes a
 * lock, a build to kill half-way): `<this binary> --child args…`, started
 * with libuv on a loop of its own. stdin is the null device; stdout and
 * stderr are inherited unless the flags say otherwise. */
typedef struct rimport_test_child rimport_test_child;

enum {
  /* Capture stdout through a pipe (read while waiting). */
  RIMPORT_TEST_CHILD_CAPTURE = 1,
  /* Detach it (unix: its own session, so a tree kill of this process
   * does not reach it). */
  RIMPORT_TEST_CHILD_DETACHED = 2
};

rimport_test_child *rimport_test_child_start(const char *const *child_args,
                                             unsigned int flags);

/* Its process id. */
int rimport_test_child_pid(const rimport_test_child *c);

/* Waits for it to end (and for EOF on a captured stdout), fills *r when r
 * is not NULL (status, signal, stdout; err stays empty) and frees it. */
void rimport_test_child_wait(rimport_test_child *c, rimport_test_output *r);

/* Kills it (SIGKILL; TerminateProcess on Windows), then
 * rimport_test_child_wait. Only the child: not what it started. */
void rimport_test_child_kill(rimport_test_child *c, rimport_test_output *r);

/* Frees the bookkeeping and leaves the child running (it is not waited
 * for): for a child of a child that must outlive its parent. */
void rimport_test_child_forget(rimport_test_child *c);

/* --- fake programs ----------------------------------------------------- */

/* A fake rustc or cargo is this test binary acting as the child `child`
 * (RIMPORT_TEST_CHILD, see rimport_test_child_fn), scripted by variables
 * that the test sets with rimport_test_setenv. Sets RIMPORT_TEST_CHILD
 * for the children of this process and returns the program to hand to the
 * code under test: this binary itself when dir is NULL, else a copy of it,
 * <dir>/<name><the platform's executable suffix> (for a fake that must
 * have its own name, or be found on PATH). On Windows the DLLs this
 * binary loaded from outside the system directories are copied beside
 * the copy, as an installed program has them, so that it starts whatever
 * PATH is. Static storage until the next call. */
const char *rimport_test_fake_begin(const char *child, const char *dir,
                                    const char *name);

/* Removes RIMPORT_TEST_CHILD and each variable named, up to a NULL. */
void rimport_test_fake_end(const char *var, ...);

/* The fixed toolchain record that plan and gen tests use, so that keys
 * and generated files are known (it names no real files). */
extern const rimport_toolchain rimport_test_fake_toolchain;

/* --- sessions, plans and builds ---------------------------------------- */

/* The fixture crates (kitchen, counter_a, broken, …). */
#define RIMPORT_TEST_FIXTURES RIMPORT_SOURCE_DIR "/tests/fixtures/crates"

/* The cell that imports the kitchen fixture crate from its path. */
#define RIMPORT_TEST_KITCHEN "rimport kitchen(path=\"kitchen\")\n"

/* Opens a session on the scratch cache `cache_dir` with the options `o`
 * (NULL: the defaults), offline (tests never use the network). */
rimport_session *rimport_test_session_open(const char *cache_dir,
                                           const rimport_session_options *o);

/* Parses `cell` and plans it in `s`, path crates relative to
 * RIMPORT_TEST_FIXTURES. */
rimport_cell_plan *rimport_test_plan(rimport_session *s, const char *cell);

/* Builds `plan`; one result per planned plugin. */
rimport_build_result *rimport_test_build(rimport_session *s,
                                         const rimport_cell_plan *plan);

/* --- progress reports -------------------------------------------------- */

/* Records progress reports (payload: a rimport_test_progress). What every
 * report must be is checked in the callback; the rest is kept. */
typedef struct rimport_test_progress {
  rimport_progress_phase want_phase; /* 0: any */
  const char *want_plugin;           /* NULL: any */
  const char *want_message;          /* a part of every message; NULL: any */
  unsigned int calls;
  unsigned int done, total; /* of the last report */
  char unit[64];            /* of the last report ("" for none) */
  char message[4400];       /* of the last report */
} rimport_test_progress;

void rimport_test_on_progress(const rimport_progress *p, void *payload);

/* --- assertions -------------------------------------------------------- */

/* Asserts that the last error has `code` and that its message contains
 * `needle` (when not NULL). */
void rimport_test_assert_error(int rc, int code, const char *needle);

#endif
