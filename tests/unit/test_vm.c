/* The reference VM (src/vm): kinds, globals, handles and their drop
 * functions, output capture, the last error, argument checks, scale and
 * threads — all through the KaytonApi table, as a plugin calls it. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "support.h"
#include "common/common.h"
#include "vm/vm.h"

#define S(lit) lit, sizeof(lit) - 1

/* A value handed to the VM: counts its drops. */
typedef struct value {
  int drops;
  int n;
} value;

static atomic_int drops_total;

static void drop_value(void *ptr) {
  value *v = ptr;
  v->drops++;
  atomic_fetch_add(&drops_total, 1);
}

static void drop_free(void *ptr) {
  atomic_fetch_add(&drops_total, 1);
  free(ptr);
}

static void drop_other(void *ptr) {
  (void)ptr;
}

typedef struct fixture {
  rimport__vm *vm;
  KaytonContext *ctx;
  const KaytonApi *api;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  assert_int_equal(rimport__vm_new(&f->vm), 0);
  f->ctx = rimport__vm_context(f->vm);
  f->api = f->ctx->api;
  atomic_store(&drops_total, 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  rimport__vm_free(f->vm);
  free(f);
  rimport_error_clear();
  return 0;
}

static KaytonKind kind_of(fixture *f, const char *name, kayton_drop_fn drop) {
  KaytonKind k = 0;
  assert_int_equal(f->api->register_kind(f->ctx, name, strlen(name), drop, &k),
                   KAYTON_OK);
  assert_int_not_equal(k, 0);
  return k;
}

static HKayRef handle_of(fixture *f, KaytonKind k, void *ptr) {
  HKayRef h = 0;
  assert_int_equal(f->api->new_handle(f->ctx, k, ptr, &h), KAYTON_OK);
  assert_true(h != 0);
  return h;
}

/* --- tables and versions -------------------------------------------------- */

static void context_and_api_are_versioned(void **state) {
  fixture *f = *state;
  assert_int_equal(f->ctx->size, sizeof(KaytonContext));
  assert_int_equal(f->ctx->abi_version, KAYTON_API_ABI_VERSION);
  assert_int_equal(f->api->size, sizeof(KaytonApi));
  assert_int_equal(f->api->abi_version, KAYTON_API_ABI_VERSION);
  assert_ptr_equal(f->ctx->host_data, f->vm);
  assert_ptr_equal(rimport__vm_from_context(f->ctx), f->vm);
  assert_non_null(f->api->register_kind);
  assert_non_null(f->api->set_error);
}

/* --- kinds ---------------------------------------------------------------- */

static void kinds_are_numbered_from_one(void **state) {
  fixture *f = *state;
  KaytonKind k;
  assert_int_equal(kind_of(f, "kitchen::Point", drop_value), 1);
  assert_int_equal(kind_of(f, "kitchen::Line", NULL), 2);
  assert_int_equal(rimport__vm_kind_by_name(f->vm, "kitchen::Line", &k), 0);
  assert_int_equal(k, 2);
  assert_string_equal(rimport__vm_kind_name(f->vm, 1), "kitchen::Point");
  assert_null(rimport__vm_kind_name(f->vm, 3));
  assert_null(rimport__vm_kind_name(f->vm, 0));
  assert_int_equal(rimport__vm_kind_by_name(f->vm, "kitchen::Nope", &k),
                   RIMPORT_ENOTFOUND);
}

static void same_name_twice_is_one_kind(void **state) {
  fixture *f = *state;
  KaytonKind a = kind_of(f, "kitchen::Point", drop_value);
  KaytonKind b;
  /* The name is (pointer, length): not NUL-terminated. */
  assert_int_equal(
      f->api->register_kind(f->ctx, "kitchen::Pointer", 14, drop_value, &b),
      KAYTON_OK);
  assert_int_equal(a, b);
  assert_int_not_equal(kind_of(f, "kitchen::Pointer", drop_value), a);
}

static void same_name_other_drop_keeps_the_first(void **state) {
  /* kayton_api.h: "registering an existing name again keeps the first drop
   * function" — two plugins exposing one type each bring their own copy
   * of drop_box::<T>. */
  fixture *f = *state;
  value v = {0, 0};
  KaytonKind a = kind_of(f, "kitchen::Point", drop_value);
  KaytonKind b = kind_of(f, "kitchen::Point", drop_other);
  KaytonKind c = kind_of(f, "kitchen::Point", NULL);
  HKayRef h;
  assert_int_equal(a, b);
  assert_int_equal(a, c);
  h = handle_of(f, b, &v);
  assert_int_equal(f->api->release_handle(f->ctx, h), KAYTON_OK);
  assert_int_equal(v.drops, 1);
}

/* --- globals -------------------------------------------------------------- */

static void globals_set_get_overwrite(void **state) {
  fixture *f = *state;
  KaytonKind point = kind_of(f, "kitchen::Point", drop_value);
  KaytonKind line = kind_of(f, "kitchen::Line", drop_value);
  int a = 1, b = 2;
  void *out = NULL;
  char name[] = "origin!";
  assert_int_equal(f->api->set_global_ptr(f->ctx, name, 6, point, &a),
                   KAYTON_OK);
  memset(name, 'x', sizeof(name) - 1); /* the name was copied */
  assert_int_equal(f->api->get_global_ptr(f->ctx, S("origin"), point, &out),
                   KAYTON_OK);
  assert_ptr_equal(out, &a);
  out = NULL;
  assert_int_equal(f->api->get_global_ptr(f->ctx, S("origin"), line, &out),
                   KAYTON_EKIND);
  assert_null(out); /* out is written only on success */
  assert_int_equal(f->api->get_global_ptr(f->ctx, S("nowhere"), point, &out),
                   KAYTON_ENOTFOUND);
  assert_int_equal(f->api->get_global_ptr(f->ctx, S("origi"), point, &out),
                   KAYTON_ENOTFOUND);
  /* Overwrite, with another kind: the old pointer is forgotten. */
  assert_int_equal(f->api->set_global_ptr(f->ctx, S("origin"), line, &b),
                   KAYTON_OK);
  assert_int_equal(f->api->get_global_ptr(f->ctx, S("origin"), line, &out),
                   KAYTON_OK);
  assert_ptr_equal(out, &b);
  assert_int_equal(f->api->get_global_ptr(f->ctx, S("origin"), point, &out),
                   KAYTON_EKIND);
  /* NULL is a value like any other; unknown kinds are refused. */
  assert_int_equal(f->api->set_global_ptr(f->ctx, S("empty"), line, NULL),
                   KAYTON_OK);
  assert_int_equal(f->api->get_global_ptr(f->ctx, S("empty"), line, &out),
                   KAYTON_OK);
  assert_null(out);
  assert_int_equal(f->api->set_global_ptr(f->ctx, S("g"), 99, &a),
                   KAYTON_ENOTFOUND);
  assert_int_equal(atomic_load(&drops_total), 0); /* globals are not owned */
}

static void many_globals(void **state) {
  fixture *f = *state;
  KaytonKind k = kind_of(f, "n", NULL);
  static int slots[5000];
  char name[32];
  int i;
  void *out;
  for (i = 0; i < 5000; i++) {
    int len = snprintf(name, sizeof(name), "global_%d", i);
    assert_int_equal(
        f->api->set_global_ptr(f->ctx, name, (size_t)len, k, &slots[i]),
        KAYTON_OK);
  }
  for (i = 0; i < 5000; i++) {
    int len = snprintf(name, sizeof(name), "global_%d", i);
    assert_int_equal(f->api->get_global_ptr(f->ctx, name, (size_t)len, k, &out),
                     KAYTON_OK);
    assert_ptr_equal(out, &slots[i]);
  }
}

/* --- handles -------------------------------------------------------------- */

static void handle_refcounts_and_drop_once(void **state) {
  fixture *f = *state;
  KaytonKind k = kind_of(f, "kitchen::Point", drop_value);
  value v = {0, 7};
  void *out = NULL;
  uint64_t refs;
  HKayRef h = handle_of(f, k, &v);
  assert_int_equal(rimport__vm_live_handles(f->vm), 1);
  assert_int_equal(f->api->get_handle(f->ctx, h, k, &out), KAYTON_OK);
  assert_ptr_equal(out, &v);
  assert_int_equal(f->api->retain_handle(f->ctx, h), KAYTON_OK);
  assert_int_equal(f->api->retain_handle(f->ctx, h), KAYTON_OK);
  assert_int_equal(rimport__vm_handle_refs(f->vm, h, &refs), 0);
  assert_int_equal(refs, 3);
  assert_int_equal(f->api->release_handle(f->ctx, h), KAYTON_OK);
  assert_int_equal(f->api->release_handle(f->ctx, h), KAYTON_OK);
  assert_int_equal(v.drops, 0);
  assert_int_equal(f->api->release_handle(f->ctx, h), KAYTON_OK);
  assert_int_equal(v.drops, 1);
  assert_int_equal(rimport__vm_live_handles(f->vm), 0);
  /* After the last release the handle is gone. */
  out = NULL;
  assert_int_equal(f->api->get_handle(f->ctx, h, k, &out), KAYTON_ENOTFOUND);
  assert_null(out);
  assert_int_equal(f->api->release_handle(f->ctx, h), KAYTON_ENOTFOUND);
  assert_int_equal(f->api->retain_handle(f->ctx, h), KAYTON_ENOTFOUND);
  assert_int_equal(rimport__vm_handle_refs(f->vm, h, &refs), RIMPORT_ENOTFOUND);
  assert_int_equal(v.drops, 1);
}

static void handle_wrong_kind_and_unknown(void **state) {
  fixture *f = *state;
  KaytonKind point = kind_of(f, "kitchen::Point", drop_value);
  KaytonKind line = kind_of(f, "kitchen::Line", drop_value);
  value v = {0, 0};
  void *out = NULL;
  HKayRef h = handle_of(f, point, &v), none = 0;
  assert_int_equal(f->api->get_handle(f->ctx, h, line, &out), KAYTON_EKIND);
  assert_null(out);
  assert_int_equal(f->api->get_handle(f->ctx, h + 1, point, &out),
                   KAYTON_ENOTFOUND);
  assert_int_equal(f->api->get_handle(f->ctx, 0, point, &out),
                   KAYTON_ENOTFOUND);
  assert_int_equal(f->api->new_handle(f->ctx, 42, &v, &none), KAYTON_ENOTFOUND);
  assert_true(none == 0);
  assert_int_equal(f->api->retain_handle(f->ctx, 0), KAYTON_ENOTFOUND);
  assert_int_equal(f->api->release_handle(f->ctx, 12345), KAYTON_ENOTFOUND);
  assert_int_equal(f->api->release_handle(f->ctx, h), KAYTON_OK);
  assert_int_equal(v.drops, 1);
}

static void handle_ids_are_never_reused(void **state) {
  fixture *f = *state;
  KaytonKind k = kind_of(f, "k", NULL);
  int x;
  HKayRef last = 0;
  int i;
  for (i = 0; i < 1000; i++) {
    HKayRef h = handle_of(f, k, &x);
    assert_true(h > last);
    last = h;
    if (i % 3 != 0)
      assert_int_equal(f->api->release_handle(f->ctx, h), KAYTON_OK);
  }
  assert_int_equal(rimport__vm_live_handles(f->vm), 334);
}

static void drop_may_be_null(void **state) {
  fixture *f = *state;
  KaytonKind k = kind_of(f, "plain", NULL);
  int x = 3;
  HKayRef h = handle_of(f, k, &x);
  assert_int_equal(f->api->release_handle(f->ctx, h), KAYTON_OK);
  handle_of(f, k, &x); /* live at vm_free: nothing to run */
}

static void live_handles_dropped_at_free(void **state) {
  fixture *f = *state;
  KaytonKind k = kind_of(f, "kitchen::Point", drop_value);
  KaytonKind boxed = kind_of(f, "boxed", drop_free);
  value v[3] = {{0, 0}, {0, 1}, {0, 2}};
  HKayRef h1 = handle_of(f, k, &v[0]);
  handle_of(f, k, &v[1]);
  handle_of(f, k, &v[2]);
  handle_of(f, boxed, malloc(32)); /* freed by the drop (valgrind checks) */
  assert_int_equal(f->api->retain_handle(f->ctx, h1), KAYTON_OK);
  assert_int_equal(f->api->release_handle(f->ctx, h1), KAYTON_OK);
  rimport__vm_free(f->vm);
  f->vm = NULL;
  assert_int_equal(v[0].drops, 1);
  assert_int_equal(v[1].drops, 1);
  assert_int_equal(v[2].drops, 1);
  assert_int_equal(atomic_load(&drops_total), 4);
}

static int drop_order[4];
static int drop_order_len;

static void drop_record(void *ptr) {
  if (drop_order_len < 4)
    drop_order[drop_order_len++] = *(int *)ptr;
}

static void free_drops_newest_first(void **state) {
  fixture *f = *state;
  KaytonKind k = kind_of(f, "recorded", drop_record);
  static int vals[4] = {1, 2, 3, 4};
  int i;
  drop_order_len = 0;
  for (i = 0; i < 4; i++)
    handle_of(f, k, &vals[i]);
  rimport__vm_free(f->vm);
  f->vm = NULL;
  assert_int_equal(drop_order_len, 4);
  for (i = 0; i < 4; i++)
    assert_int_equal(drop_order[i], 4 - i);
}

static void handles_are_per_vm(void **state) {
  fixture *f = *state;
  rimport__vm *other;
  KaytonContext *octx;
  KaytonKind k = kind_of(f, "kitchen::Point", drop_value), ok;
  value v = {0, 0};
  void *out;
  HKayRef h = handle_of(f, k, &v);
  assert_int_equal(rimport__vm_new(&other), 0);
  octx = rimport__vm_context(other);
  assert_int_equal(
      octx->api->register_kind(octx, S("kitchen::Point"), drop_value, &ok),
      KAYTON_OK);
  assert_int_equal(octx->api->get_handle(octx, h, ok, &out), KAYTON_ENOTFOUND);
  rimport__vm_free(other);
  assert_int_equal(v.drops, 0);
  assert_int_equal(f->api->release_handle(f->ctx, h), KAYTON_OK);
  assert_int_equal(v.drops, 1);
}

/* --- output and errors ---------------------------------------------------- */

typedef struct sink {
  char text[256];
  size_t len;
  int calls;
  int32_t levels[16];
} sink;

static void sink_output(int32_t level, const char *text, size_t len,
                        void *payload) {
  sink *s = payload;
  if (s->calls < 16)
    s->levels[s->calls] = level;
  s->calls++;
  if (s->len + len < sizeof(s->text)) {
    memcpy(s->text + s->len, text, len);
    s->len += len;
    s->text[s->len] = '\0';
  }
}

static void report_captures_stdout_per_cell(void **state) {
  fixture *f = *state;
  sink s;
  size_t len;
  int32_t level = -1;
  char buf[] = "hello, world";
  memset(&s, 0, sizeof(s));
  rimport__vm_set_output(f->vm, sink_output, &s);
  rimport__vm_cell_begin(f->vm);
  assert_string_equal(rimport__vm_cell_stdout(f->vm, &len), "");
  assert_int_equal(len, 0);
  assert_null(rimport__vm_last_diagnostic(f->vm, NULL));
  f->api->report(f->ctx, KAYTON_REPORT_STDOUT, buf, 5); /* not NUL-ended */
  memset(buf, '#', sizeof(buf) - 1);                    /* copied */
  f->api->report(f->ctx, KAYTON_REPORT_WARNING, S("careful"));
  f->api->report(f->ctx, KAYTON_REPORT_STDOUT, S("!\n"));
  f->api->report(f->ctx, KAYTON_REPORT_STDOUT, NULL, 0);
  assert_string_equal(rimport__vm_cell_stdout(f->vm, &len), "hello!\n");
  assert_int_equal(len, 7);
  assert_string_equal(rimport__vm_last_diagnostic(f->vm, &level), "careful");
  assert_int_equal(level, KAYTON_REPORT_WARNING);
  /* The callback sees every level, in order. */
  assert_int_equal(s.calls, 4);
  assert_string_equal(s.text, "hellocareful!\n");
  assert_int_equal(s.levels[0], KAYTON_REPORT_STDOUT);
  assert_int_equal(s.levels[1], KAYTON_REPORT_WARNING);
  /* Levels the header does not know are ignored. */
  f->api->report(f->ctx, 99, S("?"));
  f->api->report(f->ctx, -1, S("?"));
  assert_int_equal(s.calls, 4);
  /* A new cell starts empty. */
  rimport__vm_cell_begin(f->vm);
  assert_string_equal(rimport__vm_cell_stdout(f->vm, &len), "");
  assert_null(rimport__vm_last_diagnostic(f->vm, NULL));
  f->api->report(f->ctx, KAYTON_REPORT_STDOUT, S("two"));
  f->api->report(f->ctx, KAYTON_REPORT_STDERR, S("err"));
  assert_string_equal(rimport__vm_cell_stdout(f->vm, NULL), "two");
  /* Without a callback the capture still works. */
  rimport__vm_set_output(f->vm, NULL, NULL);
  f->api->report(f->ctx, KAYTON_REPORT_STDOUT, S("3"));
  assert_string_equal(rimport__vm_cell_stdout(f->vm, NULL), "two3");
  assert_int_equal(s.calls, 6);
}

static void capture_is_bounded(void **state) {
  fixture *f = *state;
  size_t len;
  const char *out;
  int i;
  rimport__vm_set_capture_limit(f->vm, 10);
  rimport__vm_cell_begin(f->vm);
  f->api->report(f->ctx, KAYTON_REPORT_STDOUT, S("0123456"));
  f->api->report(f->ctx, KAYTON_REPORT_STDOUT, S("789abc"));
  for (i = 0; i < 5; i++)
    f->api->report(f->ctx, KAYTON_REPORT_STDOUT, S("more"));
  out = rimport__vm_cell_stdout(f->vm, &len);
  assert_string_equal(out, "0123456789" RIMPORT__VM_TRUNCATED_MARKER);
  assert_int_equal(len, strlen(out));
  rimport__vm_cell_begin(f->vm);
  f->api->report(f->ctx, KAYTON_REPORT_STDOUT, S("fresh"));
  assert_string_equal(rimport__vm_cell_stdout(f->vm, NULL), "fresh");
}

static void capture_default_bound_is_16_mib(void **state) {
  fixture *f = *state;
  size_t chunk = 1024 * 1024, len, i;
  char *big = malloc(chunk);
  memset(big, 'x', chunk);
  rimport__vm_cell_begin(f->vm);
  for (i = 0; i < 17; i++)
    f->api->report(f->ctx, KAYTON_REPORT_STDOUT, big, chunk);
  rimport__vm_cell_stdout(f->vm, &len);
  assert_int_equal(len, RIMPORT__VM_CAPTURE_MAX +
                            strlen(RIMPORT__VM_TRUNCATED_MARKER));
  free(big);
}

static void set_error_is_kept_until_replaced(void **state) {
  fixture *f = *state;
  char text[] = "no such file: a.txt";
  assert_null(rimport__vm_last_error(f->vm));
  f->api->set_error(f->ctx, text, 12);
  memset(text, 0, sizeof(text));
  assert_string_equal(rimport__vm_last_error(f->vm), "no such file");
  f->api->set_error(f->ctx, S("second"));
  assert_string_equal(rimport__vm_last_error(f->vm), "second");
  f->api->set_error(f->ctx, NULL, 0);
  assert_string_equal(rimport__vm_last_error(f->vm), "");
  f->api->set_error(f->ctx, NULL, 3); /* refused */
  assert_string_equal(rimport__vm_last_error(f->vm), "");
  rimport__vm_cell_begin(f->vm);
  assert_null(rimport__vm_last_error(f->vm));
}

/* --- invalid arguments ---------------------------------------------------- */

/* Every function, given ctx, refuses (returns EINVAL, writes nothing,
 * changes nothing). */
static void assert_all_refused(fixture *f, KaytonContext *ctx, KaytonKind k,
                               HKayRef h) {
  KaytonKind kout = 77;
  HKayRef hout = 77;
  void *out = &kout;
  int x;
  const KaytonApi *api = f->api;
  assert_int_equal(api->register_kind(ctx, S("new::Kind"), NULL, &kout),
                   KAYTON_EINVAL);
  assert_int_equal(kout, 77);
  assert_int_equal(api->set_global_ptr(ctx, S("g2"), k, &x), KAYTON_EINVAL);
  assert_int_equal(api->get_global_ptr(ctx, S("g"), k, &out), KAYTON_EINVAL);
  assert_ptr_equal(out, &kout);
  assert_int_equal(api->new_handle(ctx, k, &x, &hout), KAYTON_EINVAL);
  assert_true(hout == 77);
  assert_int_equal(api->get_handle(ctx, h, k, &out), KAYTON_EINVAL);
  assert_int_equal(api->retain_handle(ctx, h), KAYTON_EINVAL);
  assert_int_equal(api->release_handle(ctx, h), KAYTON_EINVAL);
  api->report(ctx, KAYTON_REPORT_STDOUT, S("refused"));
  api->report(ctx, KAYTON_REPORT_ERROR, S("refused"));
  api->set_error(ctx, S("refused"));
  assert_string_equal(rimport__vm_cell_stdout(f->vm, NULL), "");
  assert_null(rimport__vm_last_error(f->vm));
  assert_null(rimport__vm_last_diagnostic(f->vm, NULL));
  assert_int_equal(rimport__vm_kind_by_name(f->vm, "new::Kind", &kout),
                   RIMPORT_ENOTFOUND);
}

static void bad_contexts_are_refused(void **state) {
  fixture *f = *state;
  KaytonKind k = kind_of(f, "kitchen::Point", drop_value);
  value v = {0, 0};
  HKayRef h = handle_of(f, k, &v);
  KaytonContext copy = *f->ctx, bad;
  KaytonApi api_copy = *f->api;
  uint64_t refs;
  assert_int_equal(f->api->set_global_ptr(f->ctx, S("g"), k, &v), KAYTON_OK);
  rimport__vm_cell_begin(f->vm);
  assert_all_refused(f, NULL, k, h);
  /* A copy of the context is not the VM's context. */
  assert_all_refused(f, &copy, k, h);
  bad = *f->ctx;
  bad.size = 8;
  assert_all_refused(f, &bad, k, h);
  bad = *f->ctx;
  bad.abi_version = KAYTON_API_ABI_VERSION + 1;
  assert_all_refused(f, &bad, k, h);
  bad = *f->ctx;
  bad.host_data = NULL;
  assert_all_refused(f, &bad, k, h);
  bad = *f->ctx;
  bad.host_data = &v; /* not a VM: never read, the api does not match */
  bad.api = &api_copy;
  assert_all_refused(f, &bad, k, h);
  bad.api = NULL;
  assert_all_refused(f, &bad, k, h);
  /* Nothing changed. */
  assert_int_equal(rimport__vm_handle_refs(f->vm, h, &refs), 0);
  assert_int_equal(refs, 1);
  assert_int_equal(v.drops, 0);
  assert_null(rimport__vm_from_context(&copy));
  assert_null(rimport__vm_from_context(NULL));
  assert_int_equal(f->api->release_handle(f->ctx, h), KAYTON_OK);
  assert_int_equal(v.drops, 1);
}

static void bad_arguments_are_refused(void **state) {
  fixture *f = *state;
  KaytonContext *ctx = f->ctx;
  const KaytonApi *api = f->api;
  KaytonKind k = kind_of(f, "kitchen::Point", drop_value), kout = 0;
  value v = {0, 0};
  HKayRef h = handle_of(f, k, &v), hout = 0;
  void *out = NULL;
  /* register_kind: NULL / empty / NUL-containing name, NULL out. */
  assert_int_equal(api->register_kind(ctx, NULL, 3, NULL, &kout),
                   KAYTON_EINVAL);
  assert_int_equal(api->register_kind(ctx, "a", 0, NULL, &kout), KAYTON_EINVAL);
  assert_int_equal(api->register_kind(ctx, "a\0b", 3, NULL, &kout),
                   KAYTON_EINVAL);
  assert_int_equal(api->register_kind(ctx, S("a"), NULL, NULL), KAYTON_EINVAL);
  assert_int_equal(kout, 0);
  /* globals */
  assert_int_equal(api->set_global_ptr(ctx, NULL, 1, k, &v), KAYTON_EINVAL);
  assert_int_equal(api->set_global_ptr(ctx, "g", 0, k, &v), KAYTON_EINVAL);
  assert_int_equal(api->set_global_ptr(ctx, S("g"), 0, &v), KAYTON_EINVAL);
  assert_int_equal(api->get_global_ptr(ctx, NULL, 1, k, &out), KAYTON_EINVAL);
  assert_int_equal(api->get_global_ptr(ctx, S("g"), k, NULL), KAYTON_EINVAL);
  assert_int_equal(api->get_global_ptr(ctx, S("g"), 0, &out), KAYTON_EINVAL);
  /* handles */
  assert_int_equal(api->new_handle(ctx, k, &v, NULL), KAYTON_EINVAL);
  assert_int_equal(api->new_handle(ctx, k, NULL, &hout), KAYTON_EINVAL);
  assert_int_equal(api->new_handle(ctx, 0, &v, &hout), KAYTON_EINVAL);
  assert_true(hout == 0);
  assert_int_equal(api->get_handle(ctx, h, k, NULL), KAYTON_EINVAL);
  assert_int_equal(api->get_handle(ctx, h, 0, &out), KAYTON_EINVAL);
  assert_null(out);
  /* report / set_error: text NULL with a length */
  rimport__vm_cell_begin(f->vm);
  api->report(ctx, KAYTON_REPORT_STDOUT, NULL, 4);
  api->report(ctx, KAYTON_REPORT_INFO, NULL, 4);
  api->set_error(ctx, NULL, 4);
  assert_string_equal(rimport__vm_cell_stdout(f->vm, NULL), "");
  assert_null(rimport__vm_last_diagnostic(f->vm, NULL));
  assert_null(rimport__vm_last_error(f->vm));
  /* The host-side functions */
  assert_int_equal(rimport__vm_new(NULL), RIMPORT_EINVAL);
  assert_int_equal(rimport__vm_kind_by_name(f->vm, NULL, &kout),
                   RIMPORT_EINVAL);
  assert_int_equal(rimport__vm_kind_by_name(f->vm, "", &kout), RIMPORT_EINVAL);
  assert_int_equal(rimport__vm_kind_by_name(f->vm, "x", NULL), RIMPORT_EINVAL);
  assert_int_equal(rimport__vm_kind_by_name(NULL, "x", &kout), RIMPORT_EINVAL);
  assert_int_equal(rimport__vm_handle_refs(f->vm, h, NULL), RIMPORT_EINVAL);
  assert_null(rimport__vm_context(NULL));
  assert_int_equal(rimport__vm_live_handles(NULL), 0);
  assert_null(rimport__vm_last_error(NULL));
  assert_string_equal(rimport__vm_cell_stdout(NULL, NULL), "");
  rimport__vm_cell_begin(NULL);
  rimport__vm_set_output(NULL, NULL, NULL);
  rimport__vm_free(NULL);
  assert_int_equal(v.drops, 0);
  assert_int_equal(api->release_handle(ctx, h), KAYTON_OK);
  assert_int_equal(v.drops, 1);
}

/* --- re-entrancy ---------------------------------------------------------- */

static KaytonContext *reentry_ctx;
static int32_t reentry_rc[4];
static int reentry_calls;

static void drop_reenters(void *ptr) {
  HKayRef h = 0;
  KaytonKind k = 0;
  reentry_calls++;
  reentry_rc[0] = reentry_ctx->api->new_handle(reentry_ctx, 1, ptr, &h);
  reentry_rc[1] =
      reentry_ctx->api->register_kind(reentry_ctx, S("x"), NULL, &k);
  reentry_rc[2] = reentry_ctx->api->release_handle(reentry_ctx, 1);
  reentry_ctx->api->set_error(reentry_ctx, S("from drop"));
}

static void reentrant_call_from_drop_is_refused(void **state) {
  fixture *f = *state;
  KaytonKind k = kind_of(f, "reenters", drop_reenters);
  int x, y;
  HKayRef h = handle_of(f, k, &x);
  handle_of(f, k, &y);
  reentry_ctx = f->ctx;
  reentry_calls = 0;
  assert_int_equal(f->api->release_handle(f->ctx, h), KAYTON_OK);
  assert_int_equal(reentry_calls, 1);
  assert_int_equal(reentry_rc[0], KAYTON_EINVAL);
  assert_int_equal(reentry_rc[1], KAYTON_EINVAL);
  assert_int_equal(reentry_rc[2], KAYTON_EINVAL);
  assert_null(rimport__vm_last_error(f->vm));
  assert_int_equal(rimport__vm_live_handles(f->vm), 1);
  /* After the drop the VM answers again. */
  assert_int_equal(f->api->retain_handle(f->ctx, h + 1), KAYTON_OK);
  /* At vm_free as well. */
  memset(reentry_rc, 0, sizeof(reentry_rc));
  rimport__vm_free(f->vm);
  f->vm = NULL;
  assert_int_equal(reentry_calls, 2);
  assert_int_equal(reentry_rc[0], KAYTON_EINVAL);
  assert_int_equal(reentry_rc[2], KAYTON_EINVAL);
}

static int32_t output_reentry_rc;

static void output_reenters(int32_t level, const char *text, size_t len,
                            void *payload) {
  KaytonKind k = 0;
  (void)level;
  (void)text;
  (void)len;
  (void)payload;
  output_reentry_rc =
      reentry_ctx->api->register_kind(reentry_ctx, S("y"), NULL, &k);
  reentry_ctx->api->report(reentry_ctx, KAYTON_REPORT_STDOUT, S("loop"));
}

static void reentrant_call_from_output_is_refused(void **state) {
  fixture *f = *state;
  reentry_ctx = f->ctx;
  output_reentry_rc = 0;
  rimport__vm_set_output(f->vm, output_reenters, NULL);
  rimport__vm_cell_begin(f->vm);
  f->api->report(f->ctx, KAYTON_REPORT_STDOUT, S("once"));
  assert_int_equal(output_reentry_rc, KAYTON_EINVAL);
  assert_string_equal(rimport__vm_cell_stdout(f->vm, NULL), "once");
}

/* --- scale and threads ---------------------------------------------------- */

#define MANY 100000

static void many_handles_are_fast(void **state) {
  fixture *f = *state;
  KaytonKind k = kind_of(f, "boxed", drop_free);
  HKayRef *hs = malloc(MANY * sizeof(*hs));
  uint64_t start = uv_hrtime(), ms;
  void *out;
  size_t i;
  for (i = 0; i < MANY; i++) {
    int *p = malloc(sizeof(int));
    *p = (int)i;
    hs[i] = handle_of(f, k, p);
  }
  assert_int_equal(rimport__vm_live_handles(f->vm), MANY);
  for (i = 0; i < MANY; i++) {
    assert_int_equal(f->api->get_handle(f->ctx, hs[i], k, &out), KAYTON_OK);
    assert_int_equal(*(int *)out, (int)i);
  }
  /* Release in a scattered order (every 7th, wrapping: 7 is coprime with
   * 100000), checking that the rest stays reachable. */
  for (i = 0; i < MANY; i++) {
    size_t j = (i * 7) % MANY;
    assert_int_equal(f->api->release_handle(f->ctx, hs[j]), KAYTON_OK);
    if (i % 1000 == 0 && i + 1 < MANY) {
      size_t next = ((i + 1) * 7) % MANY;
      assert_int_equal(f->api->get_handle(f->ctx, hs[next], k, &out),
                       KAYTON_OK);
    }
  }
  assert_int_equal(rimport__vm_live_handles(f->vm), 0);
  assert_int_equal(atomic_load(&drops_total), MANY);
  /* Churn: the table does not fill with dead slots. */
  for (i = 0; i < MANY; i++) {
    HKayRef h = handle_of(f, k, malloc(1));
    assert_int_equal(f->api->release_handle(f->ctx, h), KAYTON_OK);
  }
  ms = (uv_hrtime() - start) / 1000000;
  /* Linear: well under a second natively; generous for valgrind. */
  if (ms > 10000)
    fail_msg("100k handles took %llu ms", (unsigned long long)ms);
  free(hs);
}

#define THREADS    4
#define PER_THREAD 20000

/* Lookups cost the same with 1000 or 100k live handles (a table scan
 * would make the second 100 times slower). */
static uint64_t time_lookups(fixture *f, KaytonKind k, const HKayRef *hs,
                             size_t live) {
  uint64_t start = uv_hrtime();
  void *out;
  size_t i;
  for (i = 0; i < MANY; i++)
    assert_int_equal(f->api->get_handle(f->ctx, hs[(i * 7919) % live], k, &out),
                     KAYTON_OK);
  return uv_hrtime() - start;
}

static void lookups_do_not_grow_with_the_table(void **state) {
  fixture *f = *state;
  KaytonKind k = kind_of(f, "plain", NULL);
  HKayRef *hs = malloc(MANY * sizeof(*hs));
  uint64_t small, large;
  static char cells[MANY];
  size_t i;
  for (i = 0; i < 1000; i++)
    hs[i] = handle_of(f, k, &cells[i]);
  small = time_lookups(f, k, hs, 1000);
  for (; i < MANY; i++)
    hs[i] = handle_of(f, k, &cells[i]);
  large = time_lookups(f, k, hs, MANY);
  if (large > small * 20 + 50000000)
    fail_msg("100k lookups: %llu ns among 1000 handles, %llu ns among 100k",
             (unsigned long long)small, (unsigned long long)large);
  free(hs);
}

typedef struct worker {
  KaytonContext *ctx;
  KaytonKind kind;
  KaytonKind shared;
  int failures;
} worker;

static void worker_main(void *arg) {
  worker *w = arg;
  const KaytonApi *api = w->ctx->api;
  HKayRef *mine = malloc(PER_THREAD * sizeof(*mine));
  KaytonKind shared = 0;
  void *g = NULL;
  int i;
  /* Every thread registers the same kind and sets the same global. */
  if (api->register_kind(w->ctx, S("shared::Kind"), NULL, &shared) !=
          KAYTON_OK ||
      api->set_global_ptr(w->ctx, S("shared"), shared, w) != KAYTON_OK ||
      api->get_global_ptr(w->ctx, S("shared"), shared, &g) != KAYTON_OK ||
      g == NULL)
    w->failures++;
  w->shared = shared;
  for (i = 0; i < PER_THREAD; i++) {
    int *p = malloc(sizeof(int));
    void *out = NULL;
    *p = i;
    if (api->new_handle(w->ctx, w->kind, p, &mine[i]) != KAYTON_OK) {
      free(p);
      mine[i] = 0;
      w->failures++;
      continue;
    }
    if (api->retain_handle(w->ctx, mine[i]) != KAYTON_OK ||
        api->get_handle(w->ctx, mine[i], w->kind, &out) != KAYTON_OK ||
        out != p)
      w->failures++;
    if (api->release_handle(w->ctx, mine[i]) != KAYTON_OK)
      w->failures++;
    if (i % 100 == 0)
      api->report(w->ctx, KAYTON_REPORT_STDOUT, S("."));
    /* Release every other one now, the rest at the end. */
    if (i % 2 == 0 && api->release_handle(w->ctx, mine[i]) != KAYTON_OK)
      w->failures++;
  }
  for (i = 1; i < PER_THREAD; i += 2)
    if (mine[i] != 0 && api->release_handle(w->ctx, mine[i]) != KAYTON_OK)
      w->failures++;
  free(mine);
}

static void concurrent_threads(void **state) {
  fixture *f = *state;
  KaytonKind k = kind_of(f, "boxed", drop_free);
  uv_thread_t t[THREADS];
  worker w[THREADS];
  int i;
  size_t len;
  rimport__vm_cell_begin(f->vm);
  for (i = 0; i < THREADS; i++) {
    w[i].ctx = f->ctx;
    w[i].kind = k;
    w[i].failures = 0;
    assert_int_equal(uv_thread_create(&t[i], worker_main, &w[i]), 0);
  }
  for (i = 0; i < THREADS; i++) {
    assert_int_equal(uv_thread_join(&t[i]), 0);
    assert_int_equal(w[i].failures, 0);
    assert_int_equal(w[i].shared, w[0].shared);
  }
  assert_int_equal(rimport__vm_live_handles(f->vm), 0);
  assert_int_equal(atomic_load(&drops_total), THREADS * PER_THREAD);
  rimport__vm_cell_stdout(f->vm, &len);
  assert_int_equal(len, THREADS * (PER_THREAD / 100));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(context_and_api_are_versioned, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(kinds_are_numbered_from_one, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(same_name_twice_is_one_kind, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(same_name_other_drop_keeps_the_first, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(globals_set_get_overwrite, setup, teardown),
    cmocka_unit_test_setup_teardown(many_globals, setup, teardown),
    cmocka_unit_test_setup_teardown(handle_refcounts_and_drop_once, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(handle_wrong_kind_and_unknown, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(handle_ids_are_never_reused, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(drop_may_be_null, setup, teardown),
    cmocka_unit_test_setup_teardown(live_handles_dropped_at_free, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(free_drops_newest_first, setup, teardown),
    cmocka_unit_test_setup_teardown(handles_are_per_vm, setup, teardown),
    cmocka_unit_test_setup_teardown(report_captures_stdout_per_cell, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(capture_is_bounded, setup, teardown),
    cmocka_unit_test_setup_teardown(capture_default_bound_is_16_mib, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(set_error_is_kept_until_replaced, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(bad_contexts_are_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(bad_arguments_are_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(reentrant_call_from_drop_is_refused, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(reentrant_call_from_output_is_refused,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(many_handles_are_fast, setup, teardown),
    cmocka_unit_test_setup_teardown(lookups_do_not_grow_with_the_table, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(concurrent_threads, setup, teardown),
};

RIMPORT_TEST_MAIN(tests, NULL)
