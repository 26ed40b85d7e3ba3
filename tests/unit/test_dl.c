/* The platform loader (src/platform.h, src/unix/dl.c, src/win/dl.c):
 * absolute paths only, the OS message in every failure, symbols by name.
 * What each platform's loader says, and which system library to load, are
 * support.c's (rimport_test_dl_says_*, rimport_test_math_library). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "support.h"
#include "common/common.h"
#include "platform.h"

static int teardown(void **state) {
  (void)state;
  rimport_error_clear();
  return 0;
}

static void missing_path_is_eload(void **state) {
  char path[4200];
  rimport__dl *dl = (rimport__dl *)1;
  (void)state;
  snprintf(path, sizeof(path), "%s/no-such-lib.so",
           rimport_test_tmpdir("dl-missing"));
  rimport_test_assert_error(rimport__dl_open(path, &dl), RIMPORT_ELOAD, path);
  assert_null(dl);
  /* The loader's text is in the message (dlerror's; FormatMessageW's with
   * the error number), and what to do. */
  if (!rimport_test_dl_says_missing(rimport_error_last()->message))
    fail_msg("no \"file not found\" from the loader in: %s",
             rimport_error_last()->message);
  assert_non_null(strstr(rimport_error_last()->message, "check that"));
}

static void text_file_is_eload(void **state) {
  char path[4200];
  rimport__dl *dl = NULL;
  (void)state;
  snprintf(path, sizeof(path), "%s/libnot.so", rimport_test_tmpdir("dl-text"));
  rimport_test_write_file(path, "this is not a shared library\n");
  rimport_test_assert_error(rimport__dl_open(path, &dl), RIMPORT_ELOAD, path);
  assert_null(dl);
  /* glibc: "invalid ELF header" or "file too short"; Windows: error 193. */
  if (!rimport_test_dl_says_not_a_library(rimport_error_last()->message))
    fail_msg("no \"not a library\" from the loader in: %s",
             rimport_error_last()->message);
}

static void relative_path_is_refused(void **state) {
  rimport__dl *dl = NULL;
  (void)state;
  rimport_test_assert_error(rimport__dl_open("libm.so.6", &dl), RIMPORT_EINVAL,
                            "absolute path");
  assert_null(dl);
  rimport_test_assert_error(rimport__dl_open(NULL, &dl), RIMPORT_EINVAL, NULL);
}

static void system_library_by_absolute_path(void **state) {
  rimport_buf libm = RIMPORT_BUF_INIT, libc_path = RIMPORT_BUF_INIT;
  double (*cos_fn)(double);
  size_t (*strlen_fn)(const char *);
  rimport__dl *dl = NULL;
  void *sym;
  (void)state;
  /* The math library, where the system keeps it. */
  if (rimport_test_math_library(&libm) == 0) {
    if (rimport__dl_open(libm.ptr, &dl) != 0)
      fail_msg("%s", rimport_error_last()->message);
    sym = rimport__dl_sym(dl, "cos");
    assert_non_null(sym);
    memcpy(&cos_fn, &sym, sizeof(sym));
    assert_true(cos_fn(0.0) == 1.0);
    assert_null(rimport__dl_sym(dl, "rimport_no_such_symbol"));
    rimport__dl_free(dl); /* stays loaded */
  }
  rimport_buf_dispose(&libm);
  /* The C library, wherever it is. */
  assert_int_equal(rimport_test_library_of((void *)(size_t)strlen, &libc_path),
                   0);
  if (rimport__dl_open(libc_path.ptr, &dl) != 0)
    fail_msg("%s", rimport_error_last()->message);
  sym = rimport__dl_sym(dl, "strlen");
  assert_non_null(sym);
  memcpy(&strlen_fn, &sym, sizeof(sym));
  assert_int_equal(strlen_fn("four"), 4);
  assert_null(rimport__dl_sym(dl, NULL));
  assert_null(rimport__dl_sym(NULL, "strlen"));
  rimport__dl_free(dl);
  rimport__dl_free(NULL);
  rimport_buf_dispose(&libc_path);
}

static void file_names(void **state) {
  (void)state;
  assert_string_equal(rimport__dl_ext(), rimport_test_dl_ext());
  assert_string_equal(rimport__dl_prefix(), rimport_test_dl_prefix());
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_teardown(missing_path_is_eload, teardown),
    cmocka_unit_test_teardown(text_file_is_eload, teardown),
    cmocka_unit_test_teardown(relative_path_is_refused, teardown),
    cmocka_unit_test_teardown(system_library_by_absolute_path, teardown),
    cmocka_unit_test_teardown(file_names, teardown),
};

RIMPORT_TEST_MAIN(tests, NULL)
