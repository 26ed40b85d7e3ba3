/* Shared test helpers: the runner that lets CTest run one case by name, a
 * scratch directory per test, and a way for a test binary to re-run itself
 * as a child process (fake rustc, fake cargo). */
#ifndef RIMPORT_TEST_SUPPORT_H
#define RIMPORT_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rimport.h"

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

/* The path of the running test binary (for re-running it as a child). */
const char *rimport_test_self(void);

/* A new, empty directory for the calling test, under $RIMPORT_TEST_TMP (or
 * the system temp dir). Returned string is static storage, overwritten by
 * the next call. */
const char *rimport_test_tmpdir(const char *name);

/* Writes a file (creating parents is the caller's job). */
void rimport_test_write_file(const char *path, const char *text);

/* Asserts that the last error has `code` and that its message contains
 * `needle` (when not NULL). */
void rimport_test_assert_error(int rc, int code, const char *needle);

#endif
