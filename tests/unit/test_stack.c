/* The stack of built plugins (src/stack): order, lookup by key, deep
 * copies, and a push that fails leaving the stack as it was. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "stack/stack.h"

/* A record whose strings live in the caller's buffers, as the build stage
 * hands them over. */
typedef struct record {
  char crate[32], plugin[64], key[33], base[33], work[64];
  const char *parents[2];
  rimport__built b;
} record;

static void record_make(record *r, const char *crate, char key_digit,
                        const char *const *parents, size_t parent_count) {
  size_t i;
  memset(r, 0, sizeof(*r));
  strcpy(r->crate, crate);
  strcpy(r->plugin, "kayton_rplugin__");
  strcat(r->plugin, crate);
  memset(r->key, key_digit, 32);
  memset(r->base, key_digit == 'f' ? 'e' : 'f', 32);
  strcpy(r->work, "/cache/_work/");
  strcat(r->work, crate);
  for (i = 0; i < parent_count; i++)
    r->parents[i] = parents[i];
  r->b.crate = r->crate;
  r->b.plugin = r->plugin;
  r->b.key = r->key;
  r->b.base_key = r->base;
  r->b.key_input = "format 1\nend\n";
  r->b.work_dir = r->work;
  r->b.entry_dir = "/cache/entry";
  r->b.dylib = "/cache/entry/lib/libx.so";
  r->b.deps_dir = "/cache/entry/deps";
  r->b.version = NULL; /* NULL strings stay NULL */
  r->b.parents = parent_count ? r->parents : NULL;
  r->b.parent_count = parent_count;
}

static void order_lookup_and_copies(void **state) {
  rimport__stack *st = NULL;
  record a, b;
  const rimport__built *got;
  const char *parents[1];
  (void)state;
  assert_int_equal(rimport__stack_new(&st), 0);
  assert_int_equal(rimport__stack_count(st), 0);
  assert_null(rimport__stack_at(st, 0));
  assert_null(rimport__stack_find(st, "nothing"));
  record_make(&a, "serde", 'a', NULL, 0);
  a.b.crates = cJSON_Parse("[{\"name\":\"serde\",\"version\":\"1.0.0\"}]");
  assert_int_equal(rimport__stack_push(st, &a.b), 0);
  parents[0] = a.key;
  record_make(&b, "serde_json", 'b', parents, 1);
  assert_int_equal(rimport__stack_push(st, &b.b), 0);
  /* The caller's strings may go away: the stack has copies. */
  cJSON_Delete((cJSON *)a.b.crates);
  memset(&a, 'x', sizeof(a));
  memset(parents, 0, sizeof(parents));
  assert_int_equal(rimport__stack_count(st), 2);
  got = rimport__stack_at(st, 0);
  assert_string_equal(got->crate, "serde");
  assert_string_equal(got->plugin, "kayton_rplugin__serde");
  assert_string_equal(got->work_dir, "/cache/_work/serde");
  assert_null(got->version);
  assert_int_equal(got->parent_count, 0);
  assert_non_null(got->crates);
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetArrayItem(got->crates, 0), "name")
          ->valuestring,
      "serde");
  got = rimport__stack_at(st, 1);
  assert_string_equal(got->crate, "serde_json");
  assert_int_equal(got->parent_count, 1);
  assert_string_equal(got->parents[0], "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  assert_null(got->crates);
  assert_ptr_equal(rimport__stack_find(st, b.key), got);
  assert_ptr_equal(rimport__stack_find(st, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
                   rimport__stack_at(st, 0));
  assert_null(rimport__stack_find(st, NULL));
  assert_null(rimport__stack_at(st, 2));
  rimport__stack_free(st);
  rimport__stack_free(NULL);
  assert_int_equal(rimport__stack_count(NULL), 0);
}

/* Out of memory at every allocation of a push: an error, and the stack is
 * as it was (LeakSanitizer and valgrind see nothing left behind). */
static size_t fail_after;
static void *failing_malloc(size_t n) {
  return fail_after-- == 0 ? NULL : malloc(n);
}
static void *failing_realloc(void *p, size_t n) {
  return fail_after-- == 0 ? NULL : realloc(p, n);
}
static void *failing_calloc(size_t c, size_t n) {
  return fail_after-- == 0 ? NULL : calloc(c, n);
}

static void push_out_of_memory_changes_nothing(void **state) {
  rimport__stack *st = NULL;
  record a, b;
  const char *parents[1];
  size_t n;
  int rc = -1;
  (void)state;
  record_make(&a, "libc", 'c', NULL, 0);
  parents[0] = a.key;
  record_make(&b, "rand", 'd', parents, 1);
  for (n = 0; rc != 0; n++) {
    assert_int_equal(rimport__stack_new(&st), 0);
    assert_int_equal(rimport__stack_push(st, &a.b), 0);
    fail_after = n;
    assert_int_equal(rimport_replace_allocator(failing_malloc, failing_realloc,
                                               failing_calloc, free),
                     0);
    rc = rimport__stack_push(st, &b.b);
    assert_int_equal(rimport_replace_allocator(malloc, realloc, calloc, free),
                     0);
    if (rc != 0) {
      assert_int_equal(rc, RIMPORT_ENOMEM);
      assert_int_equal(rimport__stack_count(st), 1);
      assert_null(rimport__stack_find(st, b.key));
    } else {
      assert_int_equal(rimport__stack_count(st), 2);
    }
    rimport__stack_free(st);
    assert_true(n < 100);
  }
  assert_true(n > 5); /* every string of the record was a chance to fail */
  rimport__error_free_thread();
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(order_lookup_and_copies),
    cmocka_unit_test(push_out_of_memory_changes_nothing),
};

RIMPORT_TEST_MAIN(tests, NULL)
