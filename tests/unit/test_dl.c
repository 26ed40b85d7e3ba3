/* The platform loader (src/platform.h, src/unix/dl.c): absolute paths only,
 * the OS message in every failure, symbols by name. */
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
  /* dlerror's text is in the message, and what to do. */
  assert_non_null(
      strstr(rimport_error_last()->message, "No such file or directory"));
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
  /* glibc: "invalid ELF header" or "file too short". */
  assert_true(strstr(rimport_error_last()->message, "ELF") != NULL ||
              strstr(rimport_error_last()->message, "too short") != NULL);
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
  static const char *const libm[] = {
      "/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6",
      "/lib/aarch64-linux-gnu/libm.so.6", "/lib64/libm.so.6",
      "/usr/lib64/libm.so.6"};
  rimport_buf libc_path = RIMPORT_BUF_INIT;
  double (*cos_fn)(double);
  size_t (*strlen_fn)(const char *);
  rimport__dl *dl = NULL;
  void *sym;
  size_t i;
  int done = 0;
  (void)state;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(libm) && !done; i++) {
    FILE *f = fopen(libm[i], "rb");
    if (f == NULL)
      continue;
    fclose(f);
    assert_int_equal(rimport__dl_open(libm[i], &dl), 0);
    sym = rimport__dl_sym(dl, "cos");
    assert_non_null(sym);
    memcpy(&cos_fn, &sym, sizeof(sym));
    assert_true(cos_fn(0.0) == 1.0);
    assert_null(rimport__dl_sym(dl, "rimport_no_such_symbol"));
    rimport__dl_free(dl); /* stays loaded */
    done = 1;
  }
  /* The C library, wherever it is. */
  assert_int_equal(rimport_test_library_of((void *)(size_t)strlen, &libc_path),
                   0);
  assert_int_equal(rimport__dl_open(libc_path.ptr, &dl), 0);
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
#if defined(__APPLE__)
  assert_string_equal(rimport__dl_ext(), ".dylib");
#else
  assert_string_equal(rimport__dl_ext(), ".so");
#endif
  assert_string_equal(rimport__dl_prefix(), "lib");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_teardown(missing_path_is_eload, teardown),
    cmocka_unit_test_teardown(text_file_is_eload, teardown),
    cmocka_unit_test_teardown(relative_path_is_refused, teardown),
    cmocka_unit_test_teardown(system_library_by_absolute_path, teardown),
    cmocka_unit_test_teardown(file_names, teardown),
};

RIMPORT_TEST_MAIN(tests, NULL)
