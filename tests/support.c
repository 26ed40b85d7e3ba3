#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "support.h"
#include "common/fs.h"

static char self_path[4096];
static char tmp_path[4096];

const char *rimport_test_self(void) {
  return self_path;
}

const char *rimport_test_tmpdir(const char *name) {
  const char *base = getenv("RIMPORT_TEST_TMP");
  if (base == NULL || *base == '\0')
    base = "/tmp/rimport-tests";
  snprintf(tmp_path, sizeof(tmp_path), "%s/%s-%d", base, name,
           (int)uv_os_getpid());
  rimport__fs_remove_tree(tmp_path, NULL);
  if (rimport__fs_mkdir_p(tmp_path) != 0)
    fprintf(stderr, "cannot create %s: %s\n", tmp_path,
            rimport_error_last()->message);
  rimport_error_clear();
  return tmp_path;
}

void rimport_test_write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
  assert_int_equal(fclose(f), 0);
}

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

int rimport_test_run(const char *group, const struct CMUnitTest *tests,
                     size_t count, rimport_test_child_fn child, int argc,
                     char **argv) {
  size_t size = sizeof(self_path), i;
  const char *child_as;
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
    rc = _cmocka_run_group_tests(group, &tests[i], 1, NULL, NULL);
  } else {
    rc = _cmocka_run_group_tests(group, tests, count, NULL, NULL);
  }
  rimport_error_clear();
  return rc;
}
