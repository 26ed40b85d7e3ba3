/* Errors, buffers and the allocator (src/common). */
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "common/common.h"
#include "common/fs.h"
#include <stdio.h>
#include <uv.h>

static void error_names_and_descriptions(void **state) {
  (void)state;
  assert_string_equal(rimport_err_name(RIMPORT_ENOMEM), "ENOMEM");
  assert_string_equal(rimport_err_name(RIMPORT_EPARSE), "EPARSE");
  assert_string_equal(rimport_err_name(0), "OK");
  assert_string_equal(rimport_err_name(12345), "EUNKNOWN");
  assert_string_equal(rimport_strerror(RIMPORT_ENOMEM), "out of memory");
  assert_string_equal(rimport_strerror(-999), "unknown error");
  /* Every code in the map has a distinct name and a description. */
#define CHECK_(name, value, desc)                                              \
  assert_string_equal(rimport_err_name(value), #name);                         \
  assert_string_equal(rimport_strerror(value), desc);
  RIMPORT_ERRNO_MAP(CHECK_)
#undef CHECK_
}

static void error_record_holds_detail(void **state) {
  const rimport_error *err;
  (void)state;
  rimport_error_clear();
  assert_int_equal(rimport_error_last()->code, RIMPORT_OK);
  assert_int_equal(rimport__error_set_at(RIMPORT_EPARSE, 3, 7, "abc!", 3,
                                         "expected %s, found %s", "x", "y"),
                   RIMPORT_EPARSE);
  err = rimport_error_last();
  assert_non_null(err);
  assert_int_equal(err->code, RIMPORT_EPARSE);
  assert_int_equal(err->line, 3);
  assert_int_equal(err->column, 7);
  assert_string_equal(err->text, "abc");
  assert_string_equal(err->message, "expected x, found y");
  /* A new error replaces the old one whole, position included. */
  rimport__error_set(RIMPORT_EIO, "disk %d", 2);
  err = rimport_error_last();
  assert_int_equal(err->code, RIMPORT_EIO);
  assert_int_equal(err->line, 0);
  assert_null(err->text);
  rimport__error_prefix("while %s", "testing");
  assert_string_equal(rimport_error_last()->message, "while testing: disk 2");
  rimport_error_clear();
  err = rimport_error_last();
  assert_int_equal(err->code, RIMPORT_OK);
  assert_string_equal(err->message, "no error");
  assert_null(err->text);
  /* The last code of the list is the one before RIMPORT_ERRNO_LAST_. */
  assert_string_not_equal(rimport_err_name(RIMPORT_ERRNO_LAST_ + 1),
                          "EUNKNOWN");
  assert_string_equal(rimport_err_name(RIMPORT_ERRNO_LAST_), "EUNKNOWN");
}

static void error_can_quote_itself(void **state) {
  (void)state;
  rimport__error_set(RIMPORT_EIO, "first");
  rimport__error_set(RIMPORT_EIO, "again: %s", rimport_error_last()->message);
  assert_string_equal(rimport_error_last()->message, "again: first");
  rimport_error_clear();
}

static void error_thread_fn(void *arg) {
  (void)arg;
  rimport__error_set(RIMPORT_EIO, "from the thread");
  assert_string_equal(rimport_error_last()->message, "from the thread");
}

static void error_is_per_thread(void **state) {
  uv_thread_t t;
  (void)state;
  rimport__error_set(RIMPORT_EINVAL, "main");
  assert_int_equal(uv_thread_create(&t, error_thread_fn, NULL), 0);
  assert_int_equal(uv_thread_join(&t), 0);
  assert_string_equal(rimport_error_last()->message, "main");
  rimport_error_clear();
}

static void nomem_needs_no_memory(void **state) {
  (void)state;
  rimport_error_clear();
  assert_int_equal(rimport__error_nomem(), RIMPORT_ENOMEM);
  assert_int_equal(rimport_error_last()->code, RIMPORT_ENOMEM);
  assert_non_null(strstr(rimport_error_last()->message, "out of memory"));
  rimport_error_clear();
}

static void buf_grows_and_detaches(void **state) {
  rimport_buf b = RIMPORT_BUF_INIT;
  char *s;
  int i;
  (void)state;
  for (i = 0; i < 1000; i++)
    assert_int_equal(rimport__buf_printf(&b, "%d,", i), 0);
  assert_int_equal(b.size, strlen(b.ptr));
  assert_memory_equal(b.ptr, "0,1,2,", 6);
  rimport__buf_clear(&b);
  assert_int_equal(b.size, 0);
  assert_string_equal(b.ptr, "");
  assert_int_equal(rimport__buf_put(&b, "a\0b", 3), 0);
  assert_int_equal(b.size, 3);
  s = rimport__buf_detach(&b);
  assert_memory_equal(s, "a\0b", 4);
  assert_null(b.ptr);
  rimport__free(s);
  s = rimport__buf_detach(&b); /* an empty buffer gives "" */
  assert_string_equal(s, "");
  rimport__free(s);
  rimport_buf_dispose(&b);
  rimport_buf_dispose(NULL);
}

static size_t counted_allocs;
static void *counting_malloc(size_t n) {
  counted_allocs++;
  return malloc(n);
}
static void *counting_realloc(void *p, size_t n) {
  counted_allocs++;
  return realloc(p, n);
}
static void *counting_calloc(size_t c, size_t n) {
  counted_allocs++;
  return calloc(c, n);
}

static void allocator_is_replaceable(void **state) {
  rimport_buf b = RIMPORT_BUF_INIT;
  (void)state;
  assert_int_equal(rimport_replace_allocator(NULL, realloc, calloc, free),
                   RIMPORT_EINVAL);
  assert_int_equal(rimport_replace_allocator(counting_malloc, counting_realloc,
                                             counting_calloc, free),
                   0);
  counted_allocs = 0;
  assert_int_equal(rimport__buf_puts(&b, "hello"), 0);
  assert_true(counted_allocs > 0);
  rimport_buf_dispose(&b);
  assert_int_equal(rimport_replace_allocator(malloc, realloc, calloc, free), 0);
  rimport_error_clear();
}

static void version_matches_macros(void **state) {
  char expect[32];
  (void)state;
  snprintf(expect, sizeof(expect), "%d.%d.%d", RIMPORT_VERSION_MAJOR,
           RIMPORT_VERSION_MINOR, RIMPORT_VERSION_PATCH);
  assert_string_equal(rimport_version(), expect);
  assert_int_equal(rimport_version_hex(), RIMPORT_VERSION_HEX);
}

/* Paths longer than MAX_PATH (260) work through the file helpers: a
 * cache directory deep in a user's tree on Windows. */
static void fs_paths_longer_than_max_path(void **state) {
  rimport_buf a = RIMPORT_BUF_INIT, b = RIMPORT_BUF_INIT, f = RIMPORT_BUF_INIT,
              text = RIMPORT_BUF_INIT, real = RIMPORT_BUF_INIT,
              rel = RIMPORT_BUF_INIT;
  const char *base = rimport_test_tmpdir("fs-long");
  int i;
  (void)state;
  assert_int_equal(rimport__buf_puts(&a, base), 0);
  for (i = 0; i < 6; i++)
    assert_int_equal(rimport__buf_printf(&a, "/%c%s", 'a' + i,
                                         "123456789012345678901234567890123"
                                         "45678901234567890"),
                     0);
  assert_true(a.size > 300);
  assert_int_equal(rimport__buf_printf(&b, "%s/work/x.root", a.ptr), 0);
  assert_int_equal(rimport__buf_printf(&f, "%s/Cargo.toml", b.ptr), 0);
  assert_int_equal(rimport__fs_mkdir_p(b.ptr), 0);
  assert_true(rimport__fs_is_dir(b.ptr));
  assert_int_equal(rimport__fs_write_atomic(f.ptr, "[package]\n", 10), 0);
  assert_int_equal(rimport__fs_read_file(f.ptr, 100, &text), 0);
  assert_string_equal(text.ptr, "[package]\n");
  if (rimport__fs_realpath(b.ptr, &real) != 0)
    fail_msg("realpath: %s", rimport_error_last()->message);
  assert_true(rimport_test_path_ends_with(real.ptr, "work/x.root"));
  assert_int_equal(rimport__path_relative(b.ptr, a.ptr, &rel), 0);
  assert_string_equal(rel.ptr, "../..");
  assert_int_equal(rimport__fs_remove_tree(base, NULL), 0);
  assert_false(rimport__fs_is_dir(a.ptr));
  rimport_buf_dispose(&a);
  rimport_buf_dispose(&b);
  rimport_buf_dispose(&f);
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&real);
  rimport_buf_dispose(&rel);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(error_names_and_descriptions),
    cmocka_unit_test(error_record_holds_detail),
    cmocka_unit_test(error_can_quote_itself),
    cmocka_unit_test(error_is_per_thread),
    cmocka_unit_test(nomem_needs_no_memory),
    cmocka_unit_test(buf_grows_and_detaches),
    cmocka_unit_test(allocator_is_replaceable),
    cmocka_unit_test(version_matches_macros),
    cmocka_unit_test(fs_paths_longer_than_max_path),
};

RIMPORT_TEST_MAIN(tests, NULL)
