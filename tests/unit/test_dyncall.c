/* Dynamic calls (src/dyncall, include/rimport/call.h): thunks written in C
 * here, following include/kayton_api.h "thunks" exactly, stand in for the
 * ones plugins compile, with a fake plugin's kayton_plugin_free_value. Every
 * VM shape in and out (i64, f64, bool, str, vec_i64, vec_f64, unit, opaque
 * handles borrowed and moved, Option's None), errors a thunk returns (an
 * Err, a panic) with the reference VM and with a host's context, arity and
 * type errors naming the signature, signatures no thunk takes refused
 * before any call, one ffi_cif per C signature, the plugin's buffers given
 * back; the thunk symbol rule; the public calls on a session (lookups, a
 * plugin that is not loaded); the REPL's call syntax on many odd lines,
 * and `:call` in `rimport repl`. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "api/api.h"
#include "common/common.h"
#include "common/fs.h"
#include "dyncall/dyncall.h"
#include "load/load.h"
#include "platform.h"
#include "proc/proc.h"
#include "session.h"
#include "stack/stack.h"
#include "vm/vm.h"

/* --- the fake plugin ------------------------------------------------------ */

static int thunk_calls; /* every thunk counts its calls */
static int value_frees; /* kayton_plugin_free_value calls */
static int point_drops; /* Point values dropped by the VM */
static int host_errors; /* set_error calls of the fake host */
static char host_error[256];

/* kayton_plugin_free_value of the fake plugin: buffers are malloc'ed. */
static void fake_free_value(KaytonValue *v) {
  value_frees++;
  free(v->ptr);
  v->ptr = NULL;
  v->len = 0;
}

static void set_error(KaytonContext *ctx, const char *text) {
  ctx->api->set_error(ctx, text, strlen(text));
}

static int32_t t_add(KaytonContext *ctx, KaytonValue *out, int64_t a,
                     int64_t b) {
  (void)ctx;
  thunk_calls++;
  out->tag = KAYTON_VALUE_I64;
  out->i = a + b;
  return KAYTON_OK;
}

static int32_t t_from_u16(KaytonContext *ctx, KaytonValue *out, int64_t src) {
  (void)ctx;
  thunk_calls++;
  out->tag = KAYTON_VALUE_I64;
  out->i = src;
  return KAYTON_OK;
}

static int32_t t_half(KaytonContext *ctx, KaytonValue *out, double x) {
  (void)ctx;
  thunk_calls++;
  out->tag = KAYTON_VALUE_F64;
  out->f = x / 2;
  return KAYTON_OK;
}

static int32_t t_not(KaytonContext *ctx, KaytonValue *out, int32_t b) {
  (void)ctx;
  thunk_calls++;
  out->tag = KAYTON_VALUE_BOOL;
  out->i = !b;
  return KAYTON_OK;
}

static int32_t t_unit(KaytonContext *ctx, KaytonValue *out) {
  (void)ctx;
  thunk_calls++;
  out->tag = KAYTON_VALUE_UNIT;
  return KAYTON_OK;
}

/* shout(s: &str) -> String: ASCII upper case, a new buffer. */
static int32_t t_shout(KaytonContext *ctx, KaytonValue *out, const uint8_t *s,
                       size_t n) {
  char *copy;
  size_t i;
  (void)ctx;
  thunk_calls++;
  if (s == NULL) {
    set_error(ctx, "a NULL str");
    return KAYTON_ERUST;
  }
  if ((copy = malloc(n + 1)) == NULL)
    return KAYTON_ENOMEM;
  for (i = 0; i < n; i++)
    copy[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
  out->tag = KAYTON_VALUE_STR;
  out->ptr = copy;
  out->len = n;
  return KAYTON_OK;
}

/* sum(v: Vec<i64>) -> i64 */
static int32_t t_sum(KaytonContext *ctx, KaytonValue *out, const int64_t *v,
                     size_t n) {
  int64_t total = 0;
  size_t i;
  thunk_calls++;
  if (v == NULL) {
    set_error(ctx, "a NULL vec");
    return KAYTON_ERUST;
  }
  for (i = 0; i < n; i++)
    total += v[i];
  out->tag = KAYTON_VALUE_I64;
  out->i = total;
  return KAYTON_OK;
}

/* scale(v: Vec<f64>, k: f64) -> Vec<f64> */
static int32_t t_scale(KaytonContext *ctx, KaytonValue *out, const double *v,
                       size_t n, double k) {
  double *r;
  size_t i;
  thunk_calls++;
  if (v == NULL) {
    set_error(ctx, "a NULL vec");
    return KAYTON_ERUST;
  }
  if ((r = malloc(n ? n * sizeof(double) : 1)) == NULL)
    return KAYTON_ENOMEM;
  for (i = 0; i < n; i++)
    r[i] = v[i] * k;
  out->tag = KAYTON_VALUE_VEC_F64;
  out->ptr = r;
  out->len = n;
  return KAYTON_OK;
}

/* range(n: u8) -> Vec<u8> */
static int32_t t_range(KaytonContext *ctx, KaytonValue *out, int64_t n) {
  int64_t *r, i;
  (void)ctx;
  thunk_calls++;
  if ((r = malloc(n ? (size_t)n * sizeof(int64_t) : 1)) == NULL)
    return KAYTON_ENOMEM;
  for (i = 0; i < n; i++)
    r[i] = i;
  out->tag = KAYTON_VALUE_VEC_I64;
  out->ptr = r;
  out->len = (size_t)n;
  return KAYTON_OK;
}

/* find(n: i64) -> Option<i64>: None for a negative n. */
static int32_t t_find(KaytonContext *ctx, KaytonValue *out, int64_t n) {
  (void)ctx;
  thunk_calls++;
  if (n < 0) {
    out->tag = KAYTON_VALUE_NONE;
    return KAYTON_OK;
  }
  out->tag = KAYTON_VALUE_I64;
  out->i = n * 10;
  return KAYTON_OK;
}

/* checked(n: i64) -> Result<i64, String>: Err for an odd n. */
static int32_t t_checked(KaytonContext *ctx, KaytonValue *out, int64_t n) {
  thunk_calls++;
  if (n % 2 != 0) {
    set_error(ctx, "n must be even");
    return KAYTON_ERUST;
  }
  out->tag = KAYTON_VALUE_I64;
  out->i = n / 2;
  return KAYTON_OK;
}

/* boom() -> i64: a panic, caught by the thunk and reported. */
static int32_t t_boom(KaytonContext *ctx, KaytonValue *out) {
  (void)out;
  thunk_calls++;
  set_error(ctx, "panicked at 'boom', src/lib.rs:3:5");
  return KAYTON_ERUST;
}

/* liar() -> i64 whose thunk returns a str: a plugin that breaks the ABI. */
static int32_t t_liar(KaytonContext *ctx, KaytonValue *out) {
  char *s = malloc(4);
  (void)ctx;
  thunk_calls++;
  if (s == NULL)
    return KAYTON_ENOMEM;
  memcpy(s, "lie", 4);
  out->tag = KAYTON_VALUE_STR;
  out->ptr = s;
  out->len = 3;
  return KAYTON_OK;
}

/* sum20(a0 … a19: i64) -> i64: more C parameters than fit on the stack. */
/* fake::either(a: Option<i64>, s: Option<&str>, h: Option<&Point>) -> i64:
 * the sum of what is given: a, the str's length, 1000 for a point. */
static int32_t t_either(KaytonContext *ctx, KaytonValue *out, int32_t a_some,
                        int64_t a, int32_t s_some, const uint8_t *s,
                        size_t s_len, int32_t h_some, HKayRef h) {
  (void)ctx;
  thunk_calls++;
  out->tag = KAYTON_VALUE_I64;
  out->i =
      (a_some ? a : 0) + (s_some ? (int64_t)s_len : 0) + (h_some ? 1000 : 0);
  if ((!a_some && a != 0) || (!s_some && (s == NULL || s_len != 0)) ||
      (!h_some && h != 0))
    out->i = -1; /* None must come with zero, and a non-NULL empty str */
  return 0;
}

static int32_t t_sum20(KaytonContext *ctx, KaytonValue *out, int64_t a0,
                       int64_t a1, int64_t a2, int64_t a3, int64_t a4,
                       int64_t a5, int64_t a6, int64_t a7, int64_t a8,
                       int64_t a9, int64_t a10, int64_t a11, int64_t a12,
                       int64_t a13, int64_t a14, int64_t a15, int64_t a16,
                       int64_t a17, int64_t a18, int64_t a19) {
  (void)ctx;
  thunk_calls++;
  out->tag = KAYTON_VALUE_I64;
  out->i = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 +
           a13 + a14 + a15 + a16 + a17 + a18 + a19;
  return KAYTON_OK;
}

/* mix(name: &str, xs: Vec<i64>, k: f64, flag: bool, n: i32) -> String:
 * every kind of C parameter in one call. */
static int32_t t_mix(KaytonContext *ctx, KaytonValue *out, const uint8_t *s,
                     size_t n, const int64_t *xs, size_t nxs, double k,
                     int32_t flag, int64_t i) {
  char buf[256];
  int len;
  char *copy;
  (void)ctx;
  thunk_calls++;
  len = snprintf(buf, sizeof(buf), "%.*s:%zu:%lld:%g:%d:%lld", (int)n,
                 (const char *)s, nxs, nxs ? (long long)xs[nxs - 1] : -1LL, k,
                 (int)flag, (long long)i);
  if ((copy = malloc((size_t)len + 1)) == NULL)
    return KAYTON_ENOMEM;
  memcpy(copy, buf, (size_t)len + 1);
  out->tag = KAYTON_VALUE_STR;
  out->ptr = copy;
  out->len = (size_t)len;
  return KAYTON_OK;
}

/* fake::Point: a handle's value is a slot that a move empties. */
typedef struct point {
  int alive;
  double x, y;
} point;

static void drop_point(void *p) {
  point_drops++;
  free(p);
}

static KaytonKind point_kind(KaytonContext *ctx) {
  KaytonKind k = 0;
  ctx->api->register_kind(ctx, "fake::Point", 11, drop_point, &k);
  return k;
}

/* The live point behind h, or a negative code after set_error. */
static int32_t get_point(KaytonContext *ctx, HKayRef h, point **out) {
  void *p = NULL;
  int32_t rc = ctx->api->get_handle(ctx, h, point_kind(ctx), &p);
  if (rc != KAYTON_OK) {
    set_error(ctx, "not a live fake::Point handle");
    return rc;
  }
  if (!((point *)p)->alive) {
    set_error(ctx, "the fake::Point of this handle was moved out");
    return KAYTON_EKIND;
  }
  *out = p;
  return KAYTON_OK;
}

/* Point::new(x: f64, y: f64) -> Point */
static int32_t t_point_new(KaytonContext *ctx, KaytonValue *out, double x,
                           double y) {
  point *p = malloc(sizeof(*p));
  HKayRef h = 0;
  thunk_calls++;
  if (p == NULL)
    return KAYTON_ENOMEM;
  p->alive = 1;
  p->x = x;
  p->y = y;
  if (ctx->api->new_handle(ctx, point_kind(ctx), p, &h) != KAYTON_OK) {
    free(p);
    return KAYTON_ENOMEM;
  }
  out->tag = KAYTON_VALUE_HANDLE;
  out->h = h;
  return KAYTON_OK;
}

/* Point::norm(&self) -> f64 (the square of the norm) */
static int32_t t_point_norm(KaytonContext *ctx, KaytonValue *out, HKayRef h) {
  point *p;
  int32_t rc;
  thunk_calls++;
  if ((rc = get_point(ctx, h, &p)) != KAYTON_OK)
    return rc;
  out->tag = KAYTON_VALUE_F64;
  out->f = p->x * p->x + p->y * p->y; /* squared: no libm */
  return KAYTON_OK;
}

/* Point::shift(&mut self, dx: f64) */
static int32_t t_point_shift(KaytonContext *ctx, KaytonValue *out, HKayRef h,
                             double dx) {
  point *p;
  int32_t rc;
  thunk_calls++;
  if ((rc = get_point(ctx, h, &p)) != KAYTON_OK)
    return rc;
  p->x += dx;
  out->tag = KAYTON_VALUE_UNIT;
  return KAYTON_OK;
}

/* Point::dist(&self, other: &Point) -> f64 (squared) */
static int32_t t_point_dist(KaytonContext *ctx, KaytonValue *out, HKayRef a,
                            HKayRef b) {
  point *p, *q;
  int32_t rc;
  thunk_calls++;
  if ((rc = get_point(ctx, a, &p)) != KAYTON_OK ||
      (rc = get_point(ctx, b, &q)) != KAYTON_OK)
    return rc;
  out->tag = KAYTON_VALUE_F64;
  out->f = (p->x - q->x) * (p->x - q->x) + (p->y - q->y) * (p->y - q->y);
  return KAYTON_OK;
}

/* Point::into_x(self) -> f64: moves the value out of the handle. */
static int32_t t_point_into_x(KaytonContext *ctx, KaytonValue *out, HKayRef h) {
  point *p;
  int32_t rc;
  thunk_calls++;
  if ((rc = get_point(ctx, h, &p)) != KAYTON_OK)
    return rc;
  p->alive = 0;
  out->tag = KAYTON_VALUE_F64;
  out->f = p->x;
  return KAYTON_OK;
}

/* consume(p: Point) -> f64: a parameter that moves. */
static int32_t t_consume(KaytonContext *ctx, KaytonValue *out, HKayRef h) {
  return t_point_into_x(ctx, out, h);
}

/* nearest(&self, limit: f64) -> Option<Point>: a new point, or None. */
static int32_t t_point_nearest(KaytonContext *ctx, KaytonValue *out, HKayRef h,
                               double limit) {
  point *p;
  int32_t rc;
  if ((rc = get_point(ctx, h, &p)) != KAYTON_OK)
    return rc;
  if (p->x * p->x + p->y * p->y > limit) {
    thunk_calls++;
    out->tag = KAYTON_VALUE_NONE;
    return KAYTON_OK;
  }
  return t_point_new(ctx, out, p->x, 0);
}

/* A function pointer as the void * a loader gives. */
static void *addr(void (*f)(void)) {
  void *p;
  memcpy(&p, &f, sizeof(p));
  return p;
}
#define THUNK(f) addr((void (*)(void))(f))

/* --- signatures by hand --------------------------------------------------- */

static rimport_api_type ty(rimport_vm_shape kind, const char *type) {
  rimport_api_type t;
  memset(&t, 0, sizeof(t));
  t.kind = kind;
  t.type = type;
  if (kind == RIMPORT_VM_I64 || kind == RIMPORT_VM_VEC_I64) {
    t.min = "-9223372036854775808";
    t.max = "9223372036854775807";
  }
  if (kind == RIMPORT_VM_NONE)
    t.why = "a generic parameter";
  return t;
}

static rimport_api_type ranged(rimport_vm_shape kind, const char *type,
                               const char *min, const char *max) {
  rimport_api_type t = ty(kind, type);
  t.min = min;
  t.max = max;
  return t;
}

static rimport_api_type opaque(const char *type, int by_ref) {
  rimport_api_type t = ty(RIMPORT_VM_OPAQUE, type);
  t.opaque = "fake::Point";
  t.by_ref = by_ref;
  return t;
}

#define MAX_PARAMS 24

/* A function's descriptor, as the API index gives one. */
typedef struct fn {
  rimport_api_item item;
  rimport_api_param params[MAX_PARAMS];
  rimport_api_type output;
  char names[MAX_PARAMS][8];
} fn;

static void fn_init(fn *f, const char *path, const char *receiver,
                    rimport_api_type output) {
  memset(f, 0, sizeof(*f));
  f->item.kind = RIMPORT_API_FUNCTION;
  f->item.kind_name = "function";
  f->item.path = path;
  f->item.name = strrchr(path, ':') ? strrchr(path, ':') + 1 : path;
  f->item.crate = "fake";
  f->item.docs = "";
  f->item.signature = "";
  f->item.generics = "";
  f->item.receiver = receiver;
  f->item.params = f->params;
  f->output = output;
  f->item.output = &f->output;
}

static void fn_param(fn *f, const char *name, rimport_api_type t) {
  assert_true(f->item.param_count < MAX_PARAMS);
  f->params[f->item.param_count].name = name;
  f->params[f->item.param_count].shape = t;
  f->item.param_count++;
}

/* The fixture: the reference VM, a dyncall state and the functions. */
typedef struct fixture {
  rimport__vm *vm;
  KaytonContext *ctx;
  rimport__dyncall_state *st;
  fn add, from_u16, half, not_, unit, shout, sum, scale, range, find, checked,
      boom, liar, sum20, mix, point_new, norm, shift, dist, into_x, consume,
      nearest, sub;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  size_t i;
  assert_non_null(f);
  assert_int_equal(rimport__vm_new(&f->vm), 0);
  f->ctx = rimport__vm_context(f->vm);
  assert_int_equal(rimport__dyncall_state_new(&f->st), 0);
  thunk_calls = value_frees = point_drops = host_errors = 0;
  host_error[0] = '\0';

  fn_init(&f->add, "fake::add", NULL, ty(RIMPORT_VM_I64, "i64"));
  fn_param(&f->add, "a", ty(RIMPORT_VM_I64, "i64"));
  fn_param(&f->add, "b", ty(RIMPORT_VM_I64, "i64"));
  fn_init(&f->sub, "fake::sub", NULL, ty(RIMPORT_VM_I64, "i64"));
  fn_param(&f->sub, "a", ty(RIMPORT_VM_I64, "i64"));
  fn_param(&f->sub, "b", ty(RIMPORT_VM_I64, "i64"));
  fn_init(&f->from_u16, "reqwest::StatusCode::from_u16", NULL,
          ty(RIMPORT_VM_I64, "u16"));
  fn_param(&f->from_u16, "src", ranged(RIMPORT_VM_I64, "u16", "0", "65535"));
  fn_init(&f->half, "fake::half", NULL, ty(RIMPORT_VM_F64, "f64"));
  fn_param(&f->half, "x", ty(RIMPORT_VM_F64, "f64"));
  fn_init(&f->not_, "fake::not", NULL, ty(RIMPORT_VM_BOOL, "bool"));
  fn_param(&f->not_, "b", ty(RIMPORT_VM_BOOL, "bool"));
  fn_init(&f->unit, "fake::nothing", NULL, ty(RIMPORT_VM_UNIT, "()"));
  fn_init(&f->shout, "fake::shout", NULL, ty(RIMPORT_VM_STR, "String"));
  fn_param(&f->shout, "s", ty(RIMPORT_VM_STR, "&str"));
  fn_init(&f->sum, "fake::sum", NULL, ty(RIMPORT_VM_I64, "i64"));
  fn_param(&f->sum, "v",
           ranged(RIMPORT_VM_VEC_I64, "Vec<i16>", "-32768", "32767"));
  fn_init(&f->scale, "fake::scale", NULL, ty(RIMPORT_VM_VEC_F64, "Vec<f64>"));
  fn_param(&f->scale, "v", ty(RIMPORT_VM_VEC_F64, "Vec<f64>"));
  fn_param(&f->scale, "k", ty(RIMPORT_VM_F64, "f64"));
  fn_init(&f->range, "fake::range", NULL,
          ranged(RIMPORT_VM_VEC_I64, "Vec<u8>", "0", "255"));
  fn_param(&f->range, "n", ranged(RIMPORT_VM_I64, "u8", "0", "255"));
  fn_init(&f->find, "fake::find", NULL, ty(RIMPORT_VM_I64, "Option<i64>"));
  f->find.output.optional = 1;
  fn_param(&f->find, "n", ty(RIMPORT_VM_I64, "i64"));
  fn_init(&f->checked, "fake::checked", NULL,
          ty(RIMPORT_VM_I64, "Result<i64, String>"));
  f->checked.output.fallible = 1;
  f->checked.output.error = "String";
  fn_param(&f->checked, "n", ty(RIMPORT_VM_I64, "i64"));
  fn_init(&f->boom, "fake::boom", NULL, ty(RIMPORT_VM_I64, "i64"));
  fn_init(&f->liar, "fake::liar", NULL, ty(RIMPORT_VM_I64, "i64"));
  fn_init(&f->sum20, "fake::sum20", NULL, ty(RIMPORT_VM_I64, "i64"));
  for (i = 0; i < 20; i++) {
    snprintf(f->sum20.names[i], sizeof(f->sum20.names[i]), "a%zu", i);
    fn_param(&f->sum20, f->sum20.names[i], ty(RIMPORT_VM_I64, "i64"));
  }
  fn_init(&f->mix, "fake::mix", NULL, ty(RIMPORT_VM_STR, "String"));
  fn_param(&f->mix, "name", ty(RIMPORT_VM_STR, "&str"));
  fn_param(&f->mix, "xs", ty(RIMPORT_VM_VEC_I64, "Vec<i64>"));
  fn_param(&f->mix, "k", ty(RIMPORT_VM_F64, "f32"));
  fn_param(&f->mix, "flag", ty(RIMPORT_VM_BOOL, "bool"));
  fn_param(&f->mix, "n",
           ranged(RIMPORT_VM_I64, "i32", "-2147483648", "2147483647"));
  fn_init(&f->point_new, "fake::Point::new", NULL, opaque("Point", 0));
  fn_param(&f->point_new, "x", ty(RIMPORT_VM_F64, "f64"));
  fn_param(&f->point_new, "y", ty(RIMPORT_VM_F64, "f64"));
  fn_init(&f->norm, "fake::Point::norm", "&self", ty(RIMPORT_VM_F64, "f64"));
  fn_init(&f->shift, "fake::Point::shift", "&mut self",
          ty(RIMPORT_VM_UNIT, "()"));
  fn_param(&f->shift, "dx", ty(RIMPORT_VM_F64, "f64"));
  fn_init(&f->dist, "fake::Point::dist", "&self", ty(RIMPORT_VM_F64, "f64"));
  fn_param(&f->dist, "other", opaque("&Point", 1));
  fn_init(&f->into_x, "fake::Point::into_x", "self", ty(RIMPORT_VM_F64, "f64"));
  fn_init(&f->consume, "fake::consume", NULL, ty(RIMPORT_VM_F64, "f64"));
  fn_param(&f->consume, "p", opaque("Point", 0));
  fn_init(&f->nearest, "fake::Point::nearest", "&self",
          opaque("Option<Point>", 0));
  f->nearest.output.optional = 1;
  fn_param(&f->nearest, "limit", ty(RIMPORT_VM_F64, "f64"));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  rimport__dyncall_state_free(f->st);
  rimport__vm_free(f->vm);
  free(f);
  rimport_error_clear();
  return 0;
}

/* Calls fn's thunk with the reference VM and the fake free function. */
static int call(fixture *f, const fn *fn_, void *thunk,
                const rimport_value *args, size_t nargs, rimport_value *out) {
  rimport__dyncall_target t;
  t.ctx = f->ctx;
  t.vm = f->vm;
  t.thunk = thunk;
  t.free_value = fake_free_value;
  return rimport__dyncall_invoke(f->st, &fn_->item, &t, args, nargs, out);
}

static rimport_value i64v(int64_t i) {
  rimport_value v = RIMPORT_VALUE_INIT;
  v.tag = RIMPORT_VALUE_I64;
  v.as.i64 = i;
  return v;
}

static rimport_value f64v(double d) {
  rimport_value v = RIMPORT_VALUE_INIT;
  v.tag = RIMPORT_VALUE_F64;
  v.as.f64 = d;
  return v;
}

static rimport_value boolv(int b) {
  rimport_value v = RIMPORT_VALUE_INIT;
  v.tag = RIMPORT_VALUE_BOOL;
  v.as.boolean = b;
  return v;
}

static rimport_value strv(const char *s, size_t n) {
  rimport_value v = RIMPORT_VALUE_INIT;
  v.tag = RIMPORT_VALUE_STR;
  v.as.str.ptr = s;
  v.as.str.len = n;
  return v;
}

static rimport_value handlev(uint64_t h) {
  rimport_value v = RIMPORT_VALUE_INIT;
  v.tag = RIMPORT_VALUE_HANDLE;
  v.as.handle = h;
  return v;
}

static rimport_value veci(const int64_t *p, size_t n) {
  rimport_value v = RIMPORT_VALUE_INIT;
  v.tag = RIMPORT_VALUE_VEC_I64;
  v.as.vec_i64.ptr = p;
  v.as.vec_i64.len = n;
  return v;
}

static rimport_value vecf(const double *p, size_t n) {
  rimport_value v = RIMPORT_VALUE_INIT;
  v.tag = RIMPORT_VALUE_VEC_F64;
  v.as.vec_f64.ptr = p;
  v.as.vec_f64.len = n;
  return v;
}

/* Asserts that the call fails with `code` and a message holding `needle`,
 * that no thunk ran and that the result is UNIT. */
static void refused(fixture *f, const fn *fn_, void *thunk,
                    const rimport_value *args, size_t nargs, int code,
                    const char *needle) {
  rimport_value r = i64v(99);
  int before = thunk_calls;
  rimport_test_assert_error(call(f, fn_, thunk, args, nargs, &r), code, needle);
  assert_int_equal(thunk_calls, before);
  assert_int_equal(r.tag, RIMPORT_VALUE_UNIT);
}

/* --- every shape ---------------------------------------------------------- */

static void scalars_in_and_out(void **state) {
  fixture *f = *state;
  rimport_value a[2], r;
  a[0] = i64v(40);
  a[1] = i64v(2);
  assert_int_equal(call(f, &f->add, THUNK(t_add), a, 2, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_I64);
  assert_int_equal(r.as.i64, 42);
  a[0] = i64v(INT64_MIN + 1);
  a[1] = i64v(-1);
  assert_int_equal(call(f, &f->add, THUNK(t_add), a, 2, &r), 0);
  assert_true(r.as.i64 == INT64_MIN);
  /* f64, and an integer for an f64 parameter */
  a[0] = f64v(3.0);
  assert_int_equal(call(f, &f->half, THUNK(t_half), a, 1, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_F64);
  assert_true(r.as.f64 == 1.5);
  a[0] = i64v(5);
  assert_int_equal(call(f, &f->half, THUNK(t_half), a, 1, &r), 0);
  assert_true(r.as.f64 == 2.5);
  /* bool: any non-zero is true */
  a[0] = boolv(7);
  assert_int_equal(call(f, &f->not_, THUNK(t_not), a, 1, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_BOOL);
  assert_int_equal(r.as.boolean, 0);
  a[0] = boolv(0);
  assert_int_equal(call(f, &f->not_, THUNK(t_not), a, 1, &r), 0);
  assert_int_equal(r.as.boolean, 1);
  /* unit, no arguments (args may be NULL) */
  r = i64v(1);
  assert_int_equal(call(f, &f->unit, THUNK(t_unit), NULL, 0, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_UNIT);
  /* an i64 at both ends of a u16's range */
  a[0] = i64v(65535);
  assert_int_equal(call(f, &f->from_u16, THUNK(t_from_u16), a, 1, &r), 0);
  assert_int_equal(r.as.i64, 65535);
  a[0] = i64v(0);
  assert_int_equal(call(f, &f->from_u16, THUNK(t_from_u16), a, 1, &r), 0);
  assert_int_equal(thunk_calls, 9);
  assert_int_equal(value_frees, 0); /* no buffers */
}

static void strings_in_and_out(void **state) {
  fixture *f = *state;
  rimport_value a[1], r;
  /* UTF-8 passes through; the result is a copy, NUL-terminated */
  a[0] = strv("héllo, wörld", strlen("héllo, wörld"));
  assert_int_equal(call(f, &f->shout, THUNK(t_shout), a, 1, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_STR);
  assert_int_equal(r.as.str.len, strlen("HéLLO, WöRLD"));
  assert_string_equal(r.as.str.ptr, "HéLLO, WöRLD");
  assert_int_equal(value_frees, 1); /* the plugin's buffer went back */
  rimport_value_dispose(&r);
  assert_int_equal(r.tag, RIMPORT_VALUE_UNIT);
  rimport_value_dispose(&r); /* twice: nothing */
  rimport_value_dispose(NULL);
  /* embedded NULs, and the empty string (a NULL pointer is not passed) */
  a[0] = strv("a\0b", 3);
  assert_int_equal(call(f, &f->shout, THUNK(t_shout), a, 1, &r), 0);
  assert_int_equal(r.as.str.len, 3);
  assert_memory_equal(r.as.str.ptr, "A\0B", 4);
  rimport_value_dispose(&r);
  a[0] = strv(NULL, 0);
  assert_int_equal(call(f, &f->shout, THUNK(t_shout), a, 1, &r), 0);
  assert_int_equal(r.as.str.len, 0);
  assert_string_equal(r.as.str.ptr, "");
  rimport_value_dispose(&r);
  assert_int_equal(value_frees, 3);
  /* not UTF-8, or NULL with a length: refused before the call */
  a[0] = strv("ab\xff", 3);
  refused(f, &f->shout, THUNK(t_shout), a, 1, RIMPORT_EINVAL,
          "argument 1 (s) of fake::shout is &str (str); got a str that is "
          "not UTF-8 (at byte 2)");
  a[0] = strv("\xed\xa0\x80", 3); /* a surrogate */
  refused(f, &f->shout, THUNK(t_shout), a, 1, RIMPORT_EINVAL, "not UTF-8");
  a[0] = strv(NULL, 2);
  refused(f, &f->shout, THUNK(t_shout), a, 1, RIMPORT_EINVAL, "at NULL");
  assert_int_equal(value_frees, 3);
}

static void vecs_in_and_out(void **state) {
  fixture *f = *state;
  static const int64_t ints[] = {1, -2, 300, 32767};
  static const double floats[] = {1.5, -2.25};
  rimport_value a[2], r;
  a[0] = veci(ints, 4);
  assert_int_equal(call(f, &f->sum, THUNK(t_sum), a, 1, &r), 0);
  assert_int_equal(r.as.i64, 1 - 2 + 300 + 32767);
  a[0] = veci(NULL, 0); /* empty: the thunk gets a non-NULL pointer */
  assert_int_equal(call(f, &f->sum, THUNK(t_sum), a, 1, &r), 0);
  assert_int_equal(r.as.i64, 0);
  /* vec_f64 in and out */
  a[0] = vecf(floats, 2);
  a[1] = f64v(2);
  assert_int_equal(call(f, &f->scale, THUNK(t_scale), a, 2, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_VEC_F64);
  assert_int_equal(r.as.vec_f64.len, 2);
  assert_true(r.as.vec_f64.ptr[0] == 3.0 && r.as.vec_f64.ptr[1] == -4.5);
  rimport_value_dispose(&r);
  /* integers for a Vec<f64>: converted */
  a[0] = veci(ints, 3);
  a[1] = i64v(-1);
  assert_int_equal(call(f, &f->scale, THUNK(t_scale), a, 2, &r), 0);
  assert_int_equal(r.as.vec_f64.len, 3);
  assert_true(r.as.vec_f64.ptr[2] == -300.0);
  rimport_value_dispose(&r);
  a[0] = vecf(NULL, 0);
  assert_int_equal(call(f, &f->scale, THUNK(t_scale), a, 2, &r), 0);
  assert_int_equal(r.as.vec_f64.len, 0);
  rimport_value_dispose(&r);
  /* vec_i64 out, and an empty one */
  a[0] = i64v(4);
  assert_int_equal(call(f, &f->range, THUNK(t_range), a, 1, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_VEC_I64);
  assert_int_equal(r.as.vec_i64.len, 4);
  assert_int_equal(r.as.vec_i64.ptr[3], 3);
  rimport_value_dispose(&r);
  a[0] = i64v(0);
  assert_int_equal(call(f, &f->range, THUNK(t_range), a, 1, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_VEC_I64);
  assert_int_equal(r.as.vec_i64.len, 0);
  rimport_value_dispose(&r);
  assert_int_equal(value_frees, 5); /* every STR/VEC result given back */
  /* an element out of the element type's range */
  {
    static const int64_t big[] = {1, 2, 40000};
    a[0] = veci(big, 3);
    refused(f, &f->sum, THUNK(t_sum), a, 1, RIMPORT_EINVAL,
            "argument 1 (v) of fake::sum is Vec<i16> (vec_i64 of "
            "-32768..=32767); got element 2 = 40000, out of that range");
  }
  a[0] = vecf(floats, 2);
  refused(f, &f->sum, THUNK(t_sum), a, 1, RIMPORT_EINVAL, "got a vec_f64");
  a[0] = veci(NULL, 3);
  refused(f, &f->sum, THUNK(t_sum), a, 1, RIMPORT_EINVAL, "at NULL");
}

static void every_parameter_kind_at_once(void **state) {
  fixture *f = *state;
  static const int64_t xs[] = {7, 8, 9};
  rimport_value a[5], r;
  a[0] = strv("name", 4);
  a[1] = veci(xs, 3);
  a[2] = f64v(0.5);
  a[3] = boolv(1);
  a[4] = i64v(-12);
  assert_int_equal(call(f, &f->mix, THUNK(t_mix), a, 5, &r), 0);
  assert_string_equal(r.as.str.ptr, "name:3:9:0.5:1:-12");
  rimport_value_dispose(&r);
  /* 20 parameters: more than the call keeps on the stack */
  {
    rimport_value many[20];
    size_t i;
    for (i = 0; i < 20; i++)
      many[i] = i64v((int64_t)i + 1);
    assert_int_equal(call(f, &f->sum20, THUNK(t_sum20), many, 20, &r), 0);
    assert_int_equal(r.as.i64, 210);
  }
}

static void handles_borrowed_moved_and_returned(void **state) {
  fixture *f = *state;
  rimport_value a[2], r, p, q;
  uint64_t refs = 0;
  a[0] = f64v(3);
  a[1] = f64v(4);
  assert_int_equal(call(f, &f->point_new, THUNK(t_point_new), a, 2, &p), 0);
  assert_int_equal(p.tag, RIMPORT_VALUE_HANDLE);
  assert_int_equal(rimport__vm_handle_refs(f->vm, p.as.handle, &refs), 0);
  assert_int_equal(refs, 1); /* the caller's one reference */
  a[0] = f64v(0);
  a[1] = f64v(0);
  assert_int_equal(call(f, &f->point_new, THUNK(t_point_new), a, 2, &q), 0);
  /* &self */
  a[0] = p;
  assert_int_equal(call(f, &f->norm, THUNK(t_point_norm), a, 1, &r), 0);
  assert_true(r.as.f64 == 25.0);
  /* &mut self, then &self with a &Point parameter */
  a[0] = p;
  a[1] = f64v(-3);
  assert_int_equal(call(f, &f->shift, THUNK(t_point_shift), a, 2, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_UNIT);
  a[0] = p;
  a[1] = q;
  assert_int_equal(call(f, &f->dist, THUNK(t_point_dist), a, 2, &r), 0);
  assert_true(r.as.f64 == 16.0);
  /* Option<Point>: a new handle, or None */
  a[0] = p;
  a[1] = f64v(100);
  assert_int_equal(call(f, &f->nearest, THUNK(t_point_nearest), a, 2, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_HANDLE);
  assert_int_equal(rimport__vm_live_handles(f->vm), 3);
  a[1] = f64v(1);
  assert_int_equal(call(f, &f->nearest, THUNK(t_point_nearest), a, 2, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_NONE);
  /* self moves the value out: the handle stays, a later use is an error
   * with the thunk's message */
  a[0] = p;
  assert_int_equal(call(f, &f->into_x, THUNK(t_point_into_x), a, 1, &r), 0);
  assert_true(r.as.f64 == 0.0);
  assert_int_equal(rimport__vm_handle_refs(f->vm, p.as.handle, &refs), 0);
  rimport_test_assert_error(
      call(f, &f->norm, THUNK(t_point_norm), a, 1, &r), RIMPORT_EINVAL,
      "calling `fake::Point::norm` failed: the fake::Point of this handle "
      "was moved out (KAYTON_EKIND");
  /* a parameter that moves */
  a[0] = q;
  assert_int_equal(call(f, &f->consume, THUNK(t_consume), a, 1, &r), 0);
  rimport_test_assert_error(call(f, &f->consume, THUNK(t_consume), a, 1, &r),
                            RIMPORT_EINVAL, "moved out");
  /* a handle that does not exist */
  a[0] = handlev(987654);
  rimport_test_assert_error(call(f, &f->norm, THUNK(t_point_norm), a, 1, &r),
                            RIMPORT_ENOTFOUND, "not a live fake::Point handle");
  /* handles must be handles; the receiver is argument 1 */
  a[0] = i64v(1);
  refused(f, &f->norm, THUNK(t_point_norm), a, 1, RIMPORT_EINVAL,
          "argument 1 (self) of fake::Point::norm is &self (a handle of "
          "fake::Point); got an i64");
  a[0] = handlev(0);
  refused(f, &f->norm, THUNK(t_point_norm), a, 1, RIMPORT_EINVAL,
          "handle 0, which is no handle");
  a[0] = p;
  a[1] = strv("q", 1);
  refused(f, &f->dist, THUNK(t_point_dist), a, 2, RIMPORT_EINVAL,
          "argument 2 (other) of fake::Point::dist is &Point (a handle of "
          "fake::Point); got a str");
  /* released by the caller: the values are dropped (a moved one too) */
  assert_int_equal(point_drops, 0);
  assert_int_equal(f->ctx->api->release_handle(f->ctx, p.as.handle), 0);
  assert_int_equal(f->ctx->api->release_handle(f->ctx, q.as.handle), 0);
  assert_int_equal(point_drops, 2);
}

static void option_none_is_a_none_value(void **state) {
  fixture *f = *state;
  rimport_value a[1], r;
  a[0] = i64v(-1);
  assert_int_equal(call(f, &f->find, THUNK(t_find), a, 1, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_NONE);
  assert_string_equal(rimport_value_tag_name(r.tag), "none");
  a[0] = i64v(4);
  assert_int_equal(call(f, &f->find, THUNK(t_find), a, 1, &r), 0);
  assert_int_equal(r.tag, RIMPORT_VALUE_I64);
  assert_int_equal(r.as.i64, 40);
  /* None from a thunk whose result is not an Option: the plugin is wrong */
  f->find.output.optional = 0;
  a[0] = i64v(-1);
  rimport_test_assert_error(call(f, &f->find, THUNK(t_find), a, 1, &r),
                            RIMPORT_EMISMATCH,
                            "its thunk returned none where the signature "
                            "says Option<i64> (i64 in");
}

/* Option parameters (kayton_api.h "thunks"): an int32_t "is Some" before
 * the value's C parameters, zero for None; NONE or a value of the shape
 * may be passed; anything else is refused naming "or none". */
static void option_parameters_take_none(void **state) {
  fixture *f = *state;
  fn g;
  rimport_value a[3], r, p;
  fn_init(&g, "fake::either", NULL, ty(RIMPORT_VM_I64, "i64"));
  fn_param(&g, "a", ranged(RIMPORT_VM_I64, "Option<u8>", "0", "255"));
  fn_param(&g, "s", ty(RIMPORT_VM_STR, "Option<&str>"));
  fn_param(&g, "h", opaque("Option<&Point>", 1));
  g.params[0].shape.optional = 1;
  g.params[1].shape.optional = 1;
  g.params[2].shape.optional = 1;
  memset(a, 0, sizeof(a));
  a[0].tag = a[1].tag = a[2].tag = RIMPORT_VALUE_NONE;
  assert_int_equal(call(f, &g, THUNK(t_either), a, 3, &r), 0);
  assert_int_equal(r.as.i64, 0);
  a[0] = i64v(7);
  a[1] = strv("abc", 3);
  assert_int_equal(call(f, &g, THUNK(t_either), a, 3, &r), 0);
  assert_int_equal(r.as.i64, 10);
  a[0] = i64v(1);
  a[1] = i64v(2);
  assert_int_equal(call(f, &f->point_new, THUNK(t_point_new), a, 2, &p), 0);
  a[0].tag = RIMPORT_VALUE_NONE;
  a[1] = strv("", 0);
  a[2] = p;
  assert_int_equal(call(f, &g, THUNK(t_either), a, 3, &r), 0);
  assert_int_equal(r.as.i64, 1000);
  a[0] = i64v(256);
  rimport_test_assert_error(call(f, &g, THUNK(t_either), a, 3, &r),
                            RIMPORT_EINVAL,
                            "argument 1 (a) of fake::either is Option<u8> "
                            "(i64 in 0..=255, or none); got 256, out of that "
                            "range");
  a[0] = strv("x", 1);
  rimport_test_assert_error(call(f, &g, THUNK(t_either), a, 3, &r),
                            RIMPORT_EINVAL, "or none); got a str");
}

/* --- errors --------------------------------------------------------------- */

static void err_and_panic_are_errors(void **state) {
  fixture *f = *state;
  rimport_value a[1], r;
  a[0] = i64v(3);
  rimport_test_assert_error(call(f, &f->checked, THUNK(t_checked), a, 1, &r),
                            RIMPORT_EPANIC,
                            "calling `fake::checked` failed: n must be even "
                            "(KAYTON_ERUST");
  assert_int_equal(r.tag, RIMPORT_VALUE_UNIT);
  a[0] = i64v(4);
  assert_int_equal(call(f, &f->checked, THUNK(t_checked), a, 1, &r), 0);
  assert_int_equal(r.as.i64, 2);
  /* a panic caught in the thunk; the VM goes on */
  rimport_test_assert_error(call(f, &f->boom, THUNK(t_boom), NULL, 0, &r),
                            RIMPORT_EPANIC, "panicked at 'boom'");
  a[0] = i64v(6);
  assert_int_equal(call(f, &f->checked, THUNK(t_checked), a, 1, &r), 0);
  assert_int_equal(r.as.i64, 3);
  /* each call starts with a fresh error record */
  assert_null(rimport__vm_last_error(f->vm));
  /* a value of the wrong tag: given back, an error */
  rimport_test_assert_error(call(f, &f->liar, THUNK(t_liar), NULL, 0, &r),
                            RIMPORT_EMISMATCH,
                            "its thunk returned a str where the signature "
                            "says i64 (i64 in");
  assert_int_equal(value_frees, 1);
  assert_int_equal(r.tag, RIMPORT_VALUE_UNIT);
}

static void host_set_error(KaytonContext *ctx, const char *text, size_t len) {
  (void)ctx;
  host_errors++;
  snprintf(host_error, sizeof(host_error), "%.*s", (int)len, text);
}

static void host_context_gets_the_message(void **state) {
  fixture *f = *state;
  KaytonApi api;
  KaytonContext ctx;
  rimport__dyncall_target t;
  rimport_value a[1], r;
  memset(&api, 0, sizeof(api));
  api.size = (uint32_t)sizeof(api);
  api.abi_version = KAYTON_API_ABI_VERSION;
  api.set_error = host_set_error;
  memset(&ctx, 0, sizeof(ctx));
  ctx.size = (uint32_t)sizeof(ctx);
  ctx.abi_version = KAYTON_API_ABI_VERSION;
  ctx.api = &api;
  t.ctx = &ctx;
  t.vm = NULL;
  t.thunk = THUNK(t_checked);
  t.free_value = fake_free_value;
  a[0] = i64v(1);
  rimport_test_assert_error(
      rimport__dyncall_invoke(f->st, &f->checked.item, &t, a, 1, &r),
      RIMPORT_EPANIC,
      "calling `fake::checked` failed: its thunk returned -5 (KAYTON_ERUST: "
      "an Err, a panic or an argument the plugin refused); the message "
      "went to the host's set_error");
  assert_int_equal(host_errors, 1);
  assert_string_equal(host_error, "n must be even");
  a[0] = i64v(10);
  assert_int_equal(
      rimport__dyncall_invoke(f->st, &f->checked.item, &t, a, 1, &r), 0);
  assert_int_equal(r.as.i64, 5);
  /* a host that keeps no globals keeps no state: the call makes its own */
  assert_null(rimport__dyncall_context_state(&ctx));
}

static void arity_and_type_errors_name_the_signature(void **state) {
  fixture *f = *state;
  rimport_value a[3];
  a[0] = i64v(200);
  a[1] = i64v(1);
  refused(f, &f->from_u16, THUNK(t_from_u16), a, 2, RIMPORT_EINVAL,
          "reqwest::StatusCode::from_u16(src: u16) takes 1 argument, got 2");
  refused(f, &f->from_u16, THUNK(t_from_u16), NULL, 0, RIMPORT_EINVAL,
          "reqwest::StatusCode::from_u16(src: u16) takes 1 argument, got 0");
  refused(f, &f->add, THUNK(t_add), a, 1, RIMPORT_EINVAL,
          "fake::add(a: i64, b: i64) takes 2 arguments, got 1");
  refused(f, &f->shift, THUNK(t_point_shift), a, 1, RIMPORT_EINVAL,
          "fake::Point::shift(&mut self, dx: f64) takes 2 arguments (the "
          "receiver first: a handle), got 1");
  a[0] = strv("200", 3);
  refused(f, &f->from_u16, THUNK(t_from_u16), a, 1, RIMPORT_EINVAL,
          "argument 1 (src) of reqwest::StatusCode::from_u16 is u16 (i64 in "
          "0..=65535); got a str");
  a[0] = i64v(70000);
  refused(f, &f->from_u16, THUNK(t_from_u16), a, 1, RIMPORT_EINVAL,
          "argument 1 (src) of reqwest::StatusCode::from_u16 is u16 (i64 in "
          "0..=65535); got 70000, out of that range");
  a[0] = i64v(-1);
  refused(f, &f->from_u16, THUNK(t_from_u16), a, 1, RIMPORT_EINVAL,
          "got -1, out of that range");
  a[0] = f64v(1.5);
  refused(f, &f->from_u16, THUNK(t_from_u16), a, 1, RIMPORT_EINVAL,
          "got an f64");
  a[0] = i64v(1);
  refused(f, &f->not_, THUNK(t_not), a, 1, RIMPORT_EINVAL,
          "argument 1 (b) of fake::not is bool (bool); got an i64");
  a[0] = boolv(1);
  refused(f, &f->half, THUNK(t_half), a, 1, RIMPORT_EINVAL,
          "argument 1 (x) of fake::half is f64 (f64); got a bool");
  a[0] = i64v(1);
  a[1] = i64v(2);
  a[2].tag = (rimport_value_tag)77;
  refused(f, &f->mix, THUNK(t_mix), a, 3, RIMPORT_EINVAL,
          "takes 5 arguments, got 3");
  a[0] = strv("n", 1);
  a[1] = i64v(2);
  refused(f, &f->mix, THUNK(t_mix), a, 2, RIMPORT_EINVAL, "got 2");
  {
    rimport_value m[5];
    m[0] = strv("n", 1);
    m[1] = veci(NULL, 0);
    m[2] = f64v(1);
    m[3] = boolv(0);
    m[4].tag = (rimport_value_tag)77;
    refused(f, &f->mix, THUNK(t_mix), m, 5, RIMPORT_EINVAL,
            "argument 5 (n) of fake::mix is i32 (i64 in "
            "-2147483648..=2147483647); got a value of no known tag");
  }
  /* what the core needs */
  {
    rimport_value r;
    rimport__dyncall_target t = {NULL, NULL, NULL, NULL};
    rimport_test_assert_error(
        rimport__dyncall_invoke(f->st, &f->add.item, &t, a, 2, &r),
        RIMPORT_EINVAL, "the state, target");
    rimport_test_assert_error(call(f, &f->add, THUNK(t_add), NULL, 2, &r),
                              RIMPORT_EINVAL, "the state, target");
  }
}

static void unrepresentable_signatures_are_refused_first(void **state) {
  fixture *f = *state;
  fn g;
  rimport_value a[2];
  a[0] = i64v(1);
  a[1] = i64v(2);
  /* a parameter of shape none: refused whatever the arguments */
  fn_init(&g, "fake::generic", NULL, ty(RIMPORT_VM_I64, "i64"));
  fn_param(&g, "a", ty(RIMPORT_VM_I64, "i64"));
  fn_param(&g, "t", ty(RIMPORT_VM_NONE, "T"));
  refused(f, &g, THUNK(t_add), a, 2, RIMPORT_EUNSUPPORTED,
          "calling `fake::generic` dynamically: argument 2 (t) is T, which "
          "no VM value represents (a generic parameter); it has no thunk");
  refused(f, &g, THUNK(t_add), a, 0, RIMPORT_EUNSUPPORTED, "generic");
  /* the result */
  fn_init(&g, "fake::pair", NULL, ty(RIMPORT_VM_NONE, "(i64, i64)"));
  g.output.why = "a tuple";
  refused(f, &g, THUNK(t_unit), NULL, 0, RIMPORT_EUNSUPPORTED,
          "its result (i64, i64) is not representable as a VM value (a "
          "tuple)");
  /* a unit parameter, a Result parameter */
  fn_init(&g, "fake::opt", NULL, ty(RIMPORT_VM_UNIT, "()"));
  fn_param(&g, "o", ty(RIMPORT_VM_I64, "Option<i64>"));
  g.params[0].shape.kind = RIMPORT_VM_UNIT;
  refused(f, &g, THUNK(t_find), a, 1, RIMPORT_EUNSUPPORTED, "a unit parameter");
  g.params[0].shape.kind = RIMPORT_VM_I64;
  g.params[0].shape.fallible = 1;
  refused(f, &g, THUNK(t_find), a, 1, RIMPORT_EUNSUPPORTED,
          "a Result parameter");
  /* a receiver no thunk takes */
  fn_init(&g, "fake::Point::boxed", "self: Box<Self>",
          ty(RIMPORT_VM_UNIT, "()"));
  a[0] = handlev(1);
  refused(f, &g, THUNK(t_unit), a, 1, RIMPORT_EUNSUPPORTED,
          "its receiver `self: Box<Self>` is not self, &self or &mut self");
  /* not a function; another crate's item no index describes */
  fn_init(&g, "fake::Point", NULL, ty(RIMPORT_VM_UNIT, "()"));
  g.item.kind = RIMPORT_API_STRUCT;
  g.item.kind_name = "struct";
  refused(f, &g, THUNK(t_unit), NULL, 0, RIMPORT_EINVAL,
          "`fake::Point`: it is a struct, not a function");
  fn_init(&g, "other::f", NULL, ty(RIMPORT_VM_UNIT, "()"));
  g.item.external = 1;
  refused(f, &g, THUNK(t_unit), NULL, 0, RIMPORT_EUNSUPPORTED,
          "no API index describes");
  /* a STR result needs the plugin's free function: refused before */
  {
    rimport__dyncall_target t;
    rimport_value r;
    t.ctx = f->ctx;
    t.vm = f->vm;
    t.thunk = THUNK(t_shout);
    t.free_value = NULL;
    a[0] = strv("x", 1);
    rimport_test_assert_error(
        rimport__dyncall_invoke(f->st, &f->shout.item, &t, a, 1, &r),
        RIMPORT_EMISMATCH, "exports no kayton_plugin_free_value");
    assert_int_equal(thunk_calls, 0);
  }
  assert_int_equal(rimport__dyncall_check(&f->add.item), 0);
  assert_int_equal(rimport__dyncall_prepared(f->st), 0);
}

static void cif_is_prepared_once_per_signature(void **state) {
  fixture *f = *state;
  rimport_value a[2], r;
  int i;
  for (i = 0; i < 100; i++) {
    a[0] = i64v(i);
    a[1] = i64v(1);
    assert_int_equal(call(f, &f->add, THUNK(t_add), a, 2, &r), 0);
    assert_int_equal(r.as.i64, i + 1);
  }
  assert_int_equal(rimport__dyncall_prepared(f->st), 1);
  /* another item with the same C signature shares it */
  assert_int_equal(call(f, &f->sub, THUNK(t_add), a, 2, &r), 0);
  assert_int_equal(rimport__dyncall_prepared(f->st), 1);
  /* a refused call prepares nothing; a new signature one more */
  a[0] = strv("x", 1);
  refused(f, &f->add, THUNK(t_add), a, 2, RIMPORT_EINVAL, "got a str");
  assert_int_equal(rimport__dyncall_prepared(f->st), 1);
  a[0] = f64v(1);
  assert_int_equal(call(f, &f->half, THUNK(t_half), a, 1, &r), 0);
  assert_int_equal(call(f, &f->half, THUNK(t_half), a, 1, &r), 0);
  assert_int_equal(rimport__dyncall_prepared(f->st), 2);
  /* str, vec_i64 and vec_f64 are all (pointer, size_t) */
  a[0] = strv("x", 1);
  assert_int_equal(call(f, &f->shout, THUNK(t_shout), a, 1, &r), 0);
  rimport_value_dispose(&r);
  a[0] = veci(NULL, 0);
  assert_int_equal(call(f, &f->sum, THUNK(t_sum), a, 1, &r), 0);
  assert_int_equal(rimport__dyncall_prepared(f->st), 3);
}

static void context_keeps_the_session_state(void **state) {
  fixture *f = *state;
  rimport__dyncall_state *st = rimport__dyncall_context_state(f->ctx);
  rimport__dyncall_target t;
  rimport_value a[2], r;
  assert_non_null(st);
  assert_ptr_equal(rimport__dyncall_context_state(f->ctx), st);
  t.ctx = f->ctx;
  t.vm = f->vm;
  t.thunk = THUNK(t_add);
  t.free_value = NULL;
  a[0] = i64v(1);
  a[1] = i64v(2);
  assert_int_equal(rimport__dyncall_invoke(st, &f->add.item, &t, a, 2, &r), 0);
  assert_int_equal(rimport__dyncall_invoke(st, &f->add.item, &t, a, 2, &r), 0);
  assert_int_equal(rimport__dyncall_prepared(st), 1);
  assert_null(rimport__dyncall_context_state(NULL));
  /* the VM frees it when it drops its handles (teardown, under valgrind) */
}

/* --- the thunk symbol rule ----------------------------------------------- */

static void thunk_symbol_names(void **state) {
  rimport_buf b = RIMPORT_BUF_INIT;
  (void)state;
  assert_int_equal(
      rimport__api_thunk_symbol("reqwest::StatusCode::from_u16", &b), 0);
  assert_string_equal(b.ptr, "kayton_thunk_7reqwest10StatusCode8from_u16");
  assert_int_equal(rimport__api_thunk_symbol("::a::B::c", &b), 0);
  assert_string_equal(b.ptr, "kayton_thunk_1a1B1c");
  assert_int_equal(rimport__api_thunk_symbol("kitchen::r#type::_x9", &b), 0);
  assert_string_equal(b.ptr, "kayton_thunk_7kitchen4type3_x9");
  assert_int_equal(rimport__api_thunk_symbol("serde_json", &b), 0);
  assert_string_equal(b.ptr, "kayton_thunk_10serde_json");
  /* segments of 10 and more characters keep the rule unambiguous */
  assert_int_equal(rimport__api_thunk_symbol("a1::ThisIsALongName", &b), 0);
  assert_string_equal(b.ptr, "kayton_thunk_2a115ThisIsALongName");
  rimport_test_assert_error(rimport__api_thunk_symbol("a::::b", &b),
                            RIMPORT_EINVAL, "is not an ASCII identifier");
  rimport_test_assert_error(rimport__api_thunk_symbol("a::Vec<T>", &b),
                            RIMPORT_EINVAL, "\"Vec<T>\"");
  rimport_test_assert_error(rimport__api_thunk_symbol("", &b), RIMPORT_EINVAL,
                            NULL);
  rimport_test_assert_error(rimport__api_thunk_symbol("a::", &b),
                            RIMPORT_EINVAL, NULL);
  rimport_test_assert_error(rimport__api_thunk_symbol("a::9b", &b),
                            RIMPORT_EINVAL, NULL);
  rimport_test_assert_error(rimport__api_thunk_symbol("é::x", &b),
                            RIMPORT_EINVAL, NULL);
  rimport_test_assert_error(rimport__api_thunk_symbol(NULL, &b), RIMPORT_EINVAL,
                            NULL);
  assert_string_equal(b.ptr, "kayton_thunk_2a115ThisIsALongName"); /* kept */
  rimport_buf_dispose(&b);
}

/* --- the public calls on a session -------------------------------------- */

/* An API index of the crate `fake`, written as the index's format. */
static const char FAKE_INDEX[] =
    "{\"format\": 1, \"crate\": \"fake\", \"version\": \"0.1.0\", "
    "\"rustdoc_format\": 57, \"aliases\": {\"fake::prelude::add\": "
    "\"fake::add\"}, \"items\": ["
    "{\"path\": \"fake\", \"name\": \"fake\", \"kind\": \"module\", "
    " \"docs\": \"\", \"sig\": \"\", \"generics\": \"\", "
    " \"items\": [\"add\", \"Point\", \"generic\"]},"
    "{\"path\": \"fake::add\", \"name\": \"add\", \"kind\": \"function\", "
    " \"docs\": \"Adds.\", \"sig\": \"pub fn add(a: i64, b: i64) -> i64\", "
    " \"generics\": \"\", \"params\": ["
    "  {\"name\": \"a\", \"type\": \"i64\", \"shape\": \"i64\", "
    "   \"min\": \"-9223372036854775808\", \"max\": \"9223372036854775807\"},"
    "  {\"name\": \"b\", \"type\": \"i64\", \"shape\": \"i64\", "
    "   \"min\": \"-9223372036854775808\", \"max\": \"9223372036854775807\"}],"
    " \"output\": {\"type\": \"i64\", \"shape\": \"i64\", "
    "   \"min\": \"-9223372036854775808\", \"max\": \"9223372036854775807\"}},"
    "{\"path\": \"fake::generic\", \"name\": \"generic\", \"kind\": "
    " \"function\", \"docs\": \"\", \"sig\": \"pub fn generic<T>(t: T)\", "
    " \"generics\": \"<T>\", \"params\": [{\"name\": \"t\", \"type\": \"T\", "
    " \"shape\": \"none\", \"why\": \"a generic parameter\"}], "
    " \"output\": {\"type\": \"()\", \"shape\": \"unit\"}},"
    "{\"path\": \"fake::Point\", \"name\": \"Point\", \"kind\": \"struct\", "
    " \"docs\": \"\", \"sig\": \"pub struct Point\", \"generics\": \"\", "
    " \"members\": [{\"path\": \"fake::Point::norm\", \"name\": \"norm\", "
    "  \"kind\": \"function\", \"docs\": \"\", "
    "  \"sig\": \"pub fn norm(&self) -> f64\", \"generics\": \"\", "
    "  \"receiver\": \"&self\", "
    "  \"output\": {\"type\": \"f64\", \"shape\": \"f64\"}}]}]}";

/* A session whose stack has a plugin of `fake` (an entry directory with
 * FAKE_INDEX; nothing loaded: no real plugin exists). */
static rimport_session *fake_session(const char *tag,
                                     const rimport_session_options *base) {
  rimport_session_options o = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s = NULL;
  rimport__built b;
  rimport_buf entry = RIMPORT_BUF_INIT, file = RIMPORT_BUF_INIT,
              cache = RIMPORT_BUF_INIT;
  const char *dir = rimport_test_tmpdir(tag);
  if (base != NULL)
    o = *base;
  rimport__buf_printf(&cache, "%s/cache", dir);
  o.cache_dir = cache.ptr;
  if (rimport_session_open(&s, &o) != 0)
    fail_msg("session: %s", rimport_error_last()->message);
  rimport__buf_printf(&entry, "%s/entry", dir);
  assert_int_equal(rimport__fs_mkdir_p(entry.ptr), 0);
  rimport__buf_printf(&file, "%s/%s", entry.ptr, RIMPORT__API_INDEX_FILE);
  rimport_test_write_file(file.ptr, FAKE_INDEX);
  memset(&b, 0, sizeof(b));
  b.crate = "fake";
  b.plugin = "kayton_rplugin__fake";
  b.base_key = b.key = "0123456789abcdef0123456789abcdef";
  b.key_input = "";
  b.work_dir = b.entry_dir = b.dylib = b.deps_dir = entry.ptr;
  b.version = "0.1.0";
  assert_int_equal(rimport__stack_push(rimport__session_stack(s), &b), 0);
  rimport_buf_dispose(&entry);
  rimport_buf_dispose(&file);
  rimport_buf_dispose(&cache);
  return s;
}

static void session_calls_find_the_item(void **state) {
  rimport_session *s = fake_session("dyncall-session", NULL);
  const rimport_api_item *it = NULL;
  rimport_value a[2], r = i64v(5);
  (void)state;
  /* a path of a crate the session has: the index's lookup, aliases too */
  assert_int_equal(rimport_call_lookup(s, "fake::add", &it), 0);
  assert_string_equal(it->path, "fake::add");
  assert_int_equal(rimport_call_lookup(s, "::fake::prelude::add", &it), 0);
  assert_string_equal(it->path, "fake::add");
  assert_int_equal(rimport_call_lookup(s, "fake::Point::norm", &it), 0);
  assert_string_equal(it->receiver, "&self");
  rimport_test_assert_error(rimport_call_lookup(s, "fake::ad", &it),
                            RIMPORT_ENOTFOUND, "fake::add");
  assert_null(it);
  rimport_test_assert_error(rimport_call_lookup(s, "fake::Point", &it),
                            RIMPORT_EINVAL,
                            "it is the struct fake::Point, not a function");
  rimport_test_assert_error(rimport_call_lookup(s, "fake", &it), RIMPORT_EINVAL,
                            "it is the module fake");
  /* otherwise a bound name */
  rimport_test_assert_error(rimport_call_lookup(s, "plus", &it),
                            RIMPORT_ENOTFOUND,
                            "no rimport statement built so far binds it");
  assert_int_equal(
      rimport__api_bind(rimport__session_api(s), "plus", "fake::add"), 0);
  assert_int_equal(
      rimport__api_bind(rimport__session_api(s), "P", "fake::Point"), 0);
  assert_int_equal(rimport_call_lookup(s, "plus", &it), 0);
  assert_string_equal(it->path, "fake::add");
  assert_int_equal(rimport_call_lookup(s, "P::norm", &it), 0);
  assert_string_equal(it->path, "fake::Point::norm");
  /* the call: found, checked, but no plugin of `fake` is loaded */
  a[0] = i64v(1);
  a[1] = i64v(2);
  rimport_test_assert_error(rimport_call(s, "plus", a, 2, &r),
                            RIMPORT_ENOTFOUND,
                            "calling `fake::add`: the plugin of the crate "
                            "`fake` is not loaded in this session");
  assert_int_equal(r.tag, RIMPORT_VALUE_UNIT);
  /* the session remembers what a name named until the name is bound
   * again */
  rimport_test_assert_error(rimport_call(s, "plus", a, 2, &r),
                            RIMPORT_ENOTFOUND, "calling `fake::add`");
  assert_int_equal(
      rimport__api_bind(rimport__session_api(s), "plus", "fake::Point::norm"),
      0);
  rimport_test_assert_error(rimport_call(s, "plus", a, 2, &r),
                            RIMPORT_ENOTFOUND, "calling `fake::Point::norm`");
  /* what no thunk takes is refused before the plugin is looked for */
  rimport_test_assert_error(rimport_call(s, "fake::generic", a, 1, &r),
                            RIMPORT_EUNSUPPORTED, "a generic parameter");
  rimport_test_assert_error(rimport_call(s, "nope::x", a, 1, &r),
                            RIMPORT_ENOTFOUND, "binds it");
  /* arguments */
  rimport_test_assert_error(rimport_call(NULL, "fake::add", a, 2, &r),
                            RIMPORT_EINVAL, "rimport_call");
  rimport_test_assert_error(rimport_call(s, NULL, a, 2, &r), RIMPORT_EINVAL,
                            "rimport_call");
  rimport_test_assert_error(rimport_call(s, "fake::add", NULL, 2, &r),
                            RIMPORT_EINVAL, "rimport_call");
  rimport_test_assert_error(rimport_call(s, "fake::add", a, 2, NULL),
                            RIMPORT_EINVAL, "rimport_call");
  rimport_test_assert_error(rimport_call_item(s, NULL, a, 2, &r),
                            RIMPORT_EINVAL, "rimport_call");
  rimport_test_assert_error(rimport_call_lookup(s, "fake::add", NULL),
                            RIMPORT_EINVAL, "rimport_call_lookup");
  rimport_session_close(s);
}

/* --- a real plugin's thunks ---------------------------------------------- */

/* The apidoc fixture built, loaded and registered, then called through
 * rimport_call by path and by bound name: values and handles in and out,
 * range checks before the call, an Err and a moved-out value as errors,
 * Option's None, a function that has no thunk, a generic one refused. */
static void real_plugin_calls(void **state) {
  static const char cell[] =
      "rimport apidoc(path=\"apidoc\")\n"
      "from apidoc rimport Counter, checked, largest\n"
      "from apidoc.shapes rimport greet, ints, parse, maybe, sum, peek, "
      "either\n";
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *built;
  rimport__dyncall_state *st;
  rimport_value a[7], c, m, v;
  char cache[4200];
  size_t prepared;
  (void)state;
  snprintf(cache, sizeof(cache), "%s/cache",
           rimport_test_tmpdir("dyncall-real"));
  s = rimport_test_session_open(cache, NULL);
  plan = rimport_test_plan(s, cell);
  built = rimport_test_build(s, plan);
  if (rimport_load(s, built) != 0 || rimport_register(s) != 0)
    fail_msg("load: %s", rimport_error_last()->message);
  /* a constructor by bound name, a method by path */
  a[0] = i64v(41);
  if (rimport_call(s, "Counter::new", a, 1, &c) != 0)
    fail_msg("Counter::new: %s", rimport_error_last()->message);
  assert_int_equal(c.tag, RIMPORT_VALUE_HANDLE);
  assert_int_equal(rimport_call(s, "apidoc::Counter::bump", &c, 1, &v), 0);
  assert_int_equal(v.tag, RIMPORT_VALUE_I64);
  assert_int_equal(v.as.i64, 42);
  /* the cif of (HKayRef) is prepared once */
  st = rimport__dyncall_context_state(rimport_session_context(s));
  assert_non_null(st);
  prepared = rimport__dyncall_prepared(st);
  assert_int_equal(rimport_call(s, "Counter::bump", &c, 1, &v), 0);
  assert_int_equal(rimport_call(s, "Counter::get", &c, 1, &v), 0);
  assert_int_equal(v.as.i64, 43);
  assert_int_equal(rimport__dyncall_prepared(st), prepared);
  /* strings in and out, re-exported path */
  a[0] = strv("ab", 2);
  a[1] = strv("cé", 3);
  assert_int_equal(rimport_call(s, "apidoc::prelude::greet", a, 2, &v), 0);
  assert_int_equal(v.tag, RIMPORT_VALUE_STR);
  assert_string_equal(v.as.str.ptr, "abcé");
  rimport_value_dispose(&v);
  /* every integer width; a u8 out of range is refused before the call */
  a[0] = i64v(1);
  a[1] = i64v(-2);
  a[2] = i64v(3);
  a[3] = i64v(4);
  a[4] = i64v(5);
  a[5] = f64v(0.5);
  a[6] = boolv(1);
  assert_int_equal(rimport_call(s, "ints", a, 7, &v), 0);
  assert_true(v.tag == RIMPORT_VALUE_F64 && v.as.f64 == 12.5);
  a[0] = i64v(300);
  rimport_test_assert_error(rimport_call(s, "ints", a, 7, &v), RIMPORT_EINVAL,
                            "argument 1 (a) of apidoc::shapes::ints is u8 "
                            "(i64 in 0..=255); got 300, out of that range");
  /* vectors */
  {
    static const int64_t ints[] = {1, 2};
    static const double floats[] = {0.5};
    a[0] = veci(ints, 2);
    a[1] = vecf(floats, 1);
    assert_int_equal(rimport_call(s, "sum", a, 2, &v), 0);
    assert_int_equal(v.tag, RIMPORT_VALUE_VEC_I64);
    assert_int_equal(v.as.vec_i64.len, 0);
    rimport_value_dispose(&v);
  }
  /* an Err is an error with its Display; Ok is the value */
  a[0] = strv("x1", 2);
  rimport_test_assert_error(rimport_call(s, "parse", a, 1, &v), RIMPORT_EPANIC,
                            "invalid digit");
  a[0] = strv("65535", 5);
  assert_int_equal(rimport_call(s, "parse", a, 1, &v), 0);
  assert_int_equal(v.as.i64, 65535);
  a[0] = i64v(-1);
  rimport_test_assert_error(rimport_call(s, "checked", a, 1, &v),
                            RIMPORT_EPANIC, "negative");
  /* Option: None, or a new handle; opaque values by reference */
  a[0] = i64v(0);
  assert_int_equal(rimport_call(s, "maybe", a, 1, &v), 0);
  assert_int_equal(v.tag, RIMPORT_VALUE_NONE);
  a[0] = i64v(5);
  assert_int_equal(rimport_call(s, "maybe", a, 1, &m), 0);
  assert_int_equal(m.tag, RIMPORT_VALUE_HANDLE);
  a[0] = c;
  a[1] = m;
  assert_int_equal(rimport_call(s, "peek", a, 2, &v), 0);
  assert_int_equal(v.as.i64, 43 + 6);
  a[1] = i64v(5);
  rimport_test_assert_error(rimport_call(s, "peek", a, 2, &v), RIMPORT_EINVAL,
                            "argument 2 (m) of apidoc::shapes::peek is &mut "
                            "Counter (a handle of apidoc::Counter); got an "
                            "i64");
  /* Option parameters: None or a value */
  a[0].tag = a[1].tag = a[2].tag = RIMPORT_VALUE_NONE;
  assert_int_equal(rimport_call(s, "either", a, 3, &v), 0);
  assert_int_equal(v.as.i64, 0);
  a[0] = i64v(200);
  a[1] = strv("abc", 3);
  a[2] = c;
  assert_int_equal(rimport_call(s, "either", a, 3, &v), 0);
  assert_int_equal(v.as.i64, 200 + 3 + 43);
  a[0] = i64v(300);
  rimport_test_assert_error(rimport_call(s, "either", a, 3, &v), RIMPORT_EINVAL,
                            "(i64 in 0..=255, or none)");
  /* arity, a generic function, a function that was not requested */
  rimport_test_assert_error(
      rimport_call(s, "Counter::new", NULL, 0, &v), RIMPORT_EINVAL,
      "apidoc::Counter::new(start: i64) takes 1 argument, got 0");
  a[0] = i64v(1);
  a[1] = i64v(2);
  rimport_test_assert_error(rimport_call(s, "largest", a, 2, &v),
                            RIMPORT_EUNSUPPORTED, "generic");
  rimport_test_assert_error(
      rimport_call(s, "apidoc::shapes::nothing", NULL, 0, &v),
      RIMPORT_ENOTFOUND,
      "has no thunk for it (no symbol kayton_thunk_6apidoc6shapes7nothing)");
  /* self moves the value out; the handle stays, empty */
  assert_int_equal(rimport_call(s, "Counter::into_inner", &c, 1, &v), 0);
  assert_int_equal(v.as.i64, 43);
  rimport_test_assert_error(rimport_call(s, "Counter::get", &c, 1, &v),
                            RIMPORT_EPANIC, "was moved out");
  rimport_build_result_free(built);
  rimport_cell_plan_free(plan);
  rimport_session_close(s); /* drops the handles' values */
}

/* `rimport repl`: a cell imports apidoc, then :call lines use it, keep
 * handles as $N and print values; errors leave the session going. */
static void repl_calls_a_real_plugin(void **state) {
#ifdef RIMPORT_CLI_PATH
  char input[4300], cache[4300];
  const char *argv[] = {RIMPORT_CLI_PATH, "--cache-dir", cache,
                        "--offline",      "repl",        NULL};
  rimport__proc_opts o;
  rimport__proc_result r = RIMPORT__PROC_RESULT_INIT;
  const char *dir = rimport_test_tmpdir("dyncall-repl-real");
  (void)state;
  snprintf(cache, sizeof(cache), "%s/cache", dir);
  snprintf(input, sizeof(input), "%s/input.txt", dir);
  rimport_test_write_file(input, "rimport apidoc(path=\"" RIMPORT_TEST_FIXTURES
                                 "/apidoc\")\n"
                                 "from apidoc rimport Counter\n"
                                 "from apidoc.shapes rimport greet, maybe\n"
                                 "\n"
                                 ":call Counter::new(41)\n"
                                 ":call Counter::bump($1)\n"
                                 ":call greet(\"a\\n\", \"\\u{e9}\")\n"
                                 ":call maybe(0)\n"
                                 ":call maybe(2)\n"
                                 ":call apidoc::Counter::get($2)\n"
                                 ":call Counter::new(\"x\")\n"
                                 ":call Counter::into_inner($1)\n"
                                 ":call Counter::get($1)\n"
                                 ":call Counter::get($3)\n"
                                 ":quit\n");
  memset(&o, 0, sizeof(o));
  o.file = RIMPORT_CLI_PATH;
  o.args = argv;
  o.stdin_path = input;
  o.timeout_ms = 300000;
  assert_int_equal(rimport__proc_run(&o, &r), 0);
  assert_int_equal(r.term_signal, 0);
  if (r.exit_status != 0 ||
      !strstr(r.out.ptr, "$1 = apidoc::Counter handle: Counter(41)\n"
                         "42\n"
                         "\"a\\né\"\n"
                         "None\n"
                         "$2 = apidoc::Counter handle: Counter(2)\n"
                         "2\n"
                         "42\n") ||
      !strstr(r.err.ptr, "argument 1 (start) of apidoc::Counter::new is i64 "
                         "(i64 in -9223372036854775808..=9223372036854775807); "
                         "got a str") ||
      !strstr(r.err.ptr, "was moved out") ||
      !strstr(r.err.ptr, "$3: no :call has returned that handle (the kept "
                         "ones are $1 to $2)"))
    fail_msg("repl exited %d and printed:\n%s\n%s", (int)r.exit_status,
             r.out.ptr, r.err.ptr);
  rimport__proc_result_dispose(&r);
#else
  (void)state;
  skip();
#endif
}

/* The scenario with the real reqwest 0.11 from Debian's crates:
 * after `from reqwest.blocking rimport Client` and `from reqwest rimport
 * StatusCode` are registered, the reference VM has one kind per opaque
 * type the manifest names (plus "kayton.thunk" and "kayton.kind_name") and
 * one global per thunk, holding the thunk's address (plus one per kind
 * telling keep! its kind); StatusCode::from_u16(404) and as_u16 run
 * through the dynamic path from C. Then `rimport repl` makes the same
 * calls, and again under strace once its cell of imports is cached: no
 * process is started (no rustc, no cargo). Skipped without librust-reqwest-dev.
 */
static void reqwest_status_code_through_the_dynamic_path(void **state) {
  static const char cell[] = "rimport reqwest(version=\"0.11\", "
                             "features=[\"blocking\"])\n"
                             "from reqwest.blocking rimport Client\n"
                             "from reqwest rimport StatusCode\n";
  static const char registry[] = "/usr/share/cargo/registry";
  rimport_session_options so = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *built;
  rimport__vm *vm;
  cJSON *manifest;
  const cJSON *k, *t;
  const char *(*manifest_fn)(void);
  const char *key, *dir = rimport_test_tmpdir("dyncall-reqwest");
  rimport_value a, code, v;
  size_t kinds = 0, globals = 0, thunks = 0, opaque = 0;
  char cache[4200];
  (void)state;
  if (rimport_test_count_prefixed(registry, "reqwest-0.11") == 0)
    skip();
  snprintf(cache, sizeof(cache), "%s/cache", dir);
  so.source_kind = RIMPORT_SOURCE_DIRECTORY;
  so.source = registry;
  s = rimport_test_session_open(cache, &so);
  plan = rimport_test_plan(s, cell);
  built = rimport_test_build(s, plan);
  if (rimport_load(s, built) != 0 || rimport_register(s) != 0)
    fail_msg("load: %s", rimport_error_last()->message);
  key = rimport_build_result_array(built)->key;
  vm = rimport__session_vm(s);
  *(void **)&manifest_fn = rimport__loader_symbol(
      rimport__session_loader(s), key, "kayton_plugin_manifest");
  assert_non_null(manifest_fn);
  manifest = cJSON_Parse(manifest_fn());
  assert_non_null(manifest);
  /* one kind per opaque type, with the types the issue names */
  cJSON_ArrayForEach(k, cJSON_GetObjectItem(manifest, "kinds")) {
    KaytonKind kind;
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(k, "name"));
    assert_non_null(name);
    if (rimport__vm_kind_by_name(vm, name, &kind) != 0)
      fail_msg("the kind %s is not registered", name);
    opaque++;
  }
  {
    KaytonKind kind;
    assert_int_equal(
        rimport__vm_kind_by_name(vm, "http::status::StatusCode", &kind), 0);
    assert_int_equal(
        rimport__vm_kind_by_name(vm, "reqwest::blocking::Client", &kind), 0);
  }
  /* one global per thunk, holding the thunk */
  cJSON_ArrayForEach(t, cJSON_GetObjectItem(manifest, "thunks")) {
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(t, "path"));
    const char *sym = cJSON_GetStringValue(cJSON_GetObjectItem(t, "symbol"));
    KaytonKind tk = 0;
    void *ptr = NULL;
    KaytonContext *ctx = rimport__vm_context(vm);
    assert_non_null(path);
    assert_non_null(sym);
    assert_int_equal(rimport__vm_kind_by_name(vm, "kayton.thunk", &tk), 0);
    if (ctx->api->get_global_ptr(ctx, path, strlen(path), tk, &ptr) != 0 ||
        ptr != rimport__loader_symbol(rimport__session_loader(s), key, sym))
      fail_msg("the global %s is not the thunk %s", path, sym);
    thunks++;
  }
  rimport__vm_counts(vm, &kinds, &globals);
  print_message("reqwest: %zu kinds, %zu thunks\n", opaque, thunks);
  assert_true(opaque >= 2 && thunks >= 10);
  /* + kayton.thunk and kayton.kind_name (kayton_api's public_kind) */
  assert_int_equal(kinds, opaque + 2);
  /* + one "kayton.kind_of <type name>" per kind (keep! finds it there) */
  assert_int_equal(globals, thunks + opaque);
  cJSON_Delete(manifest);
  /* StatusCode::from_u16(404), then as_u16 on its handle */
  a = i64v(404);
  if (rimport_call(s, "StatusCode::from_u16", &a, 1, &code) != 0)
    fail_msg("from_u16: %s", rimport_error_last()->message);
  assert_int_equal(code.tag, RIMPORT_VALUE_HANDLE);
  assert_int_equal(rimport_call(s, "StatusCode::as_u16", &code, 1, &v), 0);
  assert_int_equal(v.tag, RIMPORT_VALUE_I64);
  assert_int_equal(v.as.i64, 404);
  assert_int_equal(
      rimport_call(s, "reqwest::StatusCode::is_client_error", &code, 1, &v), 0);
  assert_true(v.tag == RIMPORT_VALUE_BOOL && v.as.boolean);
  a = i64v(99);
  rimport_test_assert_error(rimport_call(s, "StatusCode::from_u16", &a, 1, &v),
                            RIMPORT_EPANIC, "invalid status code");
  rimport_build_result_free(built);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
#ifdef RIMPORT_CLI_PATH
  {
    char input[4300], log[4300];
    const char *argv[] = {RIMPORT_CLI_PATH, "--cache-dir", cache,
                          "--source-dir",   registry,      "--offline",
                          "repl",           NULL};
    rimport_test_output o = RIMPORT_TEST_OUTPUT_INIT;
    snprintf(input, sizeof(input), "%s/input.txt", dir);
    snprintf(log, sizeof(log), "%s/strace.log", dir);
    rimport_test_write_file(input, "rimport reqwest(version=\"0.11\", "
                                   "features=[\"blocking\"])\n"
                                   "from reqwest.blocking rimport Client\n"
                                   "from reqwest rimport StatusCode\n"
                                   "\n"
                                   ":call StatusCode::from_u16(404)\n"
                                   ":call StatusCode::as_u16($1)\n"
                                   ":quit\n");
    /* once without strace: the cell of imports is compiled (and cached) */
    {
      rimport__proc_opts po;
      rimport__proc_result pr = RIMPORT__PROC_RESULT_INIT;
      memset(&po, 0, sizeof(po));
      po.file = RIMPORT_CLI_PATH;
      po.args = argv;
      po.stdin_path = input;
      po.timeout_ms = 120000;
      assert_int_equal(rimport__proc_run(&po, &pr), 0);
      if (pr.exit_status != 0)
        fail_msg("repl exited %d: %s", (int)pr.exit_status, pr.err.ptr);
      rimport__proc_result_dispose(&pr);
    }
    if (rimport_test_exec_spawning_nothing(&o, argv, input, NULL, log,
                                           120000) == 0 &&
        (o.status != 0 ||
         !strstr(o.out.ptr, "$1 = http::status::StatusCode handle: 404 Not "
                            "Found\n404\n")))
      fail_msg("repl exited %d and printed:\n%s\n%s", (int)o.status, o.out.ptr,
               o.err.ptr);
    rimport_test_output_free(&o);
  }
#endif
}

/* semver and regex from Debian's crates: their indexes describe the
 * requested types (kinds, traits, fallible constructors), and their
 * thunks run from C: a Version and a VersionReq parsed, matched and
 * rendered; a Regex compiled and matched; an invalid pattern's Err is the
 * error with regex's own message; a method whose result borrows its
 * arguments (find) has no thunk, and a generic one (replace_all) is
 * refused before any call. Skipped without librust-semver-dev or
 * librust-regex-dev. */
static void semver_and_regex_from_debian(void **state) {
  static const char registry[] = "/usr/share/cargo/registry";
  rimport_session_options so = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s;
  rimport_cell_plan *plan;
  rimport_build_result *built;
  const rimport_api_item *it = NULL;
  rimport_value a[3], ver, req, re, v;
  rimport_buf text = RIMPORT_BUF_INIT;
  char cache[4200];
  (void)state;
  if (rimport_test_count_prefixed(registry, "semver-1") == 0 ||
      rimport_test_count_prefixed(registry, "regex-1") == 0)
    skip();
  snprintf(cache, sizeof(cache), "%s/cache",
           rimport_test_tmpdir("dyncall-semver-regex"));
  so.source_kind = RIMPORT_SOURCE_DIRECTORY;
  so.source = registry;
  s = rimport_test_session_open(cache, &so);
  plan = rimport_test_plan(s, "from semver rimport Version, VersionReq\n"
                              "from regex rimport Regex\n");
  built = rimport_test_build(s, plan);
  if (rimport_load(s, built) != 0 || rimport_register(s) != 0)
    fail_msg("load: %s", rimport_error_last()->message);
  /* the indexes */
  assert_int_equal(rimport_api_lookup(s, "semver::Version", &it), 0);
  assert_int_equal(it->kind, RIMPORT_API_STRUCT);
  assert_true(
      (it->traits &
       (RIMPORT_TRAIT_DISPLAY | RIMPORT_TRAIT_DEBUG | RIMPORT_TRAIT_CLONE)) ==
      (RIMPORT_TRAIT_DISPLAY | RIMPORT_TRAIT_DEBUG | RIMPORT_TRAIT_CLONE));
  assert_true(it->field_count >= 3);
  assert_string_equal(it->fields[0].name, "major");
  assert_int_equal(rimport_api_lookup(s, "semver::Version::parse", &it), 0);
  assert_int_equal(it->param_count, 1);
  assert_int_equal(it->params[0].shape.kind, RIMPORT_VM_STR);
  assert_true(it->output->fallible);
  assert_int_equal(it->output->kind, RIMPORT_VM_OPAQUE);
  assert_string_equal(it->output->opaque, "semver::Version");
  assert_int_equal(rimport_api_lookup(s, "regex::Regex::is_match", &it), 0);
  assert_string_equal(it->receiver, "&self");
  assert_int_equal(it->output->kind, RIMPORT_VM_BOOL);
  /* semver: parse, new (u64 parts), a requirement that matches */
  a[0] = strv("1.2.3-beta.1", 12);
  if (rimport_call(s, "Version::parse", a, 1, &ver) != 0)
    fail_msg("Version::parse: %s", rimport_error_last()->message);
  assert_int_equal(ver.tag, RIMPORT_VALUE_HANDLE);
  assert_int_equal(rimport_value_render(s, ver.as.handle, 0, &text), 0);
  assert_string_equal(text.ptr, "1.2.3-beta.1");
  a[0] = i64v(1);
  a[1] = i64v(2);
  a[2] = i64v(3);
  assert_int_equal(rimport_call(s, "semver::Version::new", a, 3, &ver), 0);
  a[0] = i64v(-1);
  rimport_test_assert_error(rimport_call(s, "Version::new", a, 3, &v),
                            RIMPORT_EINVAL, "out of that range");
  a[0] = strv(">=1.2, <2", 9);
  assert_int_equal(rimport_call(s, "VersionReq::parse", a, 1, &req), 0);
  a[0] = req;
  a[1] = ver;
  assert_int_equal(rimport_call(s, "VersionReq::matches", a, 2, &v), 0);
  assert_true(v.tag == RIMPORT_VALUE_BOOL && v.as.boolean);
  a[0] = strv("x", 1);
  rimport_test_assert_error(rimport_call(s, "Version::parse", a, 1, &v),
                            RIMPORT_EPANIC,
                            "unexpected character 'x' while parsing major "
                            "version number");
  /* regex */
  a[0] = strv("a+b", 3);
  assert_int_equal(rimport_call(s, "Regex::new", a, 1, &re), 0);
  a[0] = re;
  a[1] = strv("xaab", 4);
  assert_int_equal(rimport_call(s, "regex::Regex::is_match", a, 2, &v), 0);
  assert_true(v.tag == RIMPORT_VALUE_BOOL && v.as.boolean);
  a[1] = strv("xba", 3);
  assert_int_equal(rimport_call(s, "Regex::is_match", a, 2, &v), 0);
  assert_true(v.tag == RIMPORT_VALUE_BOOL && !v.as.boolean);
  assert_int_equal(rimport_call(s, "Regex::as_str", &re, 1, &v), 0);
  assert_int_equal(v.tag, RIMPORT_VALUE_STR);
  assert_string_equal(v.as.str.ptr, "a+b");
  rimport_value_dispose(&v);
  a[0] = strv("(", 1);
  rimport_test_assert_error(rimport_call(s, "Regex::new", a, 1, &v),
                            RIMPORT_EPANIC, "unclosed group");
  a[0] = re;
  a[1] = strv("aab", 3);
  rimport_test_assert_error(rimport_call(s, "Regex::find", a, 2, &v),
                            RIMPORT_ENOTFOUND, "has no thunk for it");
  a[2] = strv("-", 1);
  rimport_test_assert_error(rimport_call(s, "Regex::replace_all", a, 3, &v),
                            RIMPORT_EUNSUPPORTED, "a generic parameter");
  rimport_buf_dispose(&text);
  rimport_build_result_free(built);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
}

/* --- the REPL's syntax ---------------------------------------------------- */

static int refs_seen;

static int fake_ref(void *payload, unsigned long n, rimport_value *out) {
  (void)payload;
  refs_seen++;
  if (n > 3)
    return rimport__error_set(RIMPORT_ENOTFOUND, "$%lu: no such handle", n);
  out->tag = RIMPORT_VALUE_HANDLE;
  out->as.handle = 100 + n;
  return 0;
}

static void parse_ok(const char *text, rimport__dyncall_expr *e) {
  if (rimport__dyncall_parse(text, strlen(text), fake_ref, NULL, e) != 0)
    fail_msg("%s: %s", text, rimport_error_last()->message);
}

static void parse_bad(const char *text, unsigned column, const char *needle) {
  rimport__dyncall_expr e;
  int rc = rimport__dyncall_parse(text, strlen(text), fake_ref, NULL, &e);
  const rimport_error *err = rimport_error_last();
  if (rc != RIMPORT_EPARSE || err->column != column ||
      strstr(err->message, needle) == NULL)
    fail_msg("%s: rc %d, column %u, \"%s\"; wanted column %u and \"%s\"", text,
             rc, err->column, err->message, column, needle);
  assert_int_equal(err->line, 1);
  assert_null(e.path);
  assert_int_equal(e.nargs, 0);
  rimport__dyncall_expr_free(&e);
}

static void call_syntax(void **state) {
  rimport__dyncall_expr e;
  rimport_buf b = RIMPORT_BUF_INIT;
  (void)state;
  parse_ok("  reqwest::StatusCode::from_u16( 200 )  ", &e);
  assert_string_equal(e.path, "reqwest::StatusCode::from_u16");
  assert_int_equal(e.nargs, 1);
  assert_int_equal(e.args[0].tag, RIMPORT_VALUE_I64);
  assert_int_equal(e.args[0].as.i64, 200);
  rimport__dyncall_expr_free(&e);
  rimport__dyncall_expr_free(&e); /* twice: nothing */
  parse_ok("::f()", &e);
  assert_string_equal(e.path, "::f");
  assert_int_equal(e.nargs, 0);
  rimport__dyncall_expr_free(&e);
  parse_ok("f(None, 1)", &e);
  assert_int_equal(e.nargs, 2);
  assert_int_equal(e.args[0].tag, RIMPORT_VALUE_NONE);
  rimport__dyncall_expr_free(&e);
  parse_ok("m::f(-9223372036854775808, 9223372036854775807, +3, 1.5, -2e3, "
           "1., 1E+2, true, false, \"a\\\"b\\\\c\\n\\t\\r\\0\\x41\\u{e9}"
           "\\u{1F600}\\'\", \"é\", [1, -2, 3], [1, 2.5], [], [ 1 , ], $2,)",
           &e);
  assert_int_equal(e.nargs, 16);
  assert_true(e.args[0].as.i64 == INT64_MIN);
  assert_true(e.args[1].as.i64 == INT64_MAX);
  assert_int_equal(e.args[2].as.i64, 3);
  assert_true(e.args[3].tag == RIMPORT_VALUE_F64 && e.args[3].as.f64 == 1.5);
  assert_true(e.args[4].as.f64 == -2000.0);
  assert_true(e.args[5].tag == RIMPORT_VALUE_F64 && e.args[5].as.f64 == 1.0);
  assert_true(e.args[6].as.f64 == 100.0);
  assert_true(e.args[7].tag == RIMPORT_VALUE_BOOL && e.args[7].as.boolean);
  assert_true(e.args[8].tag == RIMPORT_VALUE_BOOL && !e.args[8].as.boolean);
  assert_int_equal(e.args[9].tag, RIMPORT_VALUE_STR);
  assert_int_equal(e.args[9].as.str.len, 17);
  assert_memory_equal(e.args[9].as.str.ptr,
                      "a\"b\\c\n\t\r\0A\xc3\xa9\xf0\x9f\x98\x80'", 17);
  assert_string_equal(e.args[10].as.str.ptr, "é");
  assert_int_equal(e.args[11].tag, RIMPORT_VALUE_VEC_I64);
  assert_int_equal(e.args[11].as.vec_i64.len, 3);
  assert_int_equal(e.args[11].as.vec_i64.ptr[1], -2);
  assert_int_equal(e.args[12].tag, RIMPORT_VALUE_VEC_F64);
  assert_true(e.args[12].as.vec_f64.ptr[0] == 1.0 &&
              e.args[12].as.vec_f64.ptr[1] == 2.5);
  assert_int_equal(e.args[13].tag, RIMPORT_VALUE_VEC_I64);
  assert_int_equal(e.args[13].as.vec_i64.len, 0);
  assert_int_equal(e.args[14].as.vec_i64.len, 1);
  assert_int_equal(e.args[15].tag, RIMPORT_VALUE_HANDLE);
  assert_int_equal(e.args[15].as.handle, 102);
  rimport__dyncall_expr_free(&e);

  parse_bad("", 1, "expected the function to call");
  parse_bad("   ", 4, "expected the function to call");
  parse_bad("f", 2, "expected ( and the arguments");
  parse_bad("reqwest.StatusCode(1)", 8, "paths use ::, not .");
  parse_bad("f(", 3, "expected ) to end the arguments");
  parse_bad("f(1", 4, "expected , or ) after an argument, got the end");
  parse_bad("f(1 2)", 5, "expected , or ) after an argument, got `2`");
  parse_bad("f(,)", 3, "expected a value");
  parse_bad("f(1,,2)", 5, "expected a value");
  parse_bad("f() x", 5, "unexpected `x` after the closing )");
  parse_bad("f(1)(2)", 5, "unexpected `(`");
  parse_bad("a::(1)", 4, "an identifier after ::");
  parse_bad("a:::b(1)", 4, "an identifier after ::");
  parse_bad("9f()", 1, "expected the function to call");
  parse_bad("f(none)", 3, "got `none`");
  parse_bad("f(truex)", 3, "got `truex`");
  parse_bad("f(12abc)", 5, "a number may not be followed by `a`");
  parse_bad("f(0x1F)", 4, "a number may not be followed by `x`");
  parse_bad("f(1.2.3)", 6, "a number may not be followed by `.`");
  parse_bad("f(.5)", 3, "expected a value");
  parse_bad("f(-)", 4, "expected a digit after the sign, got `)`");
  parse_bad("f(1e)", 5, "digits of the exponent");
  parse_bad("f(9223372036854775808)", 3, "out of the range of i64");
  parse_bad("f(-9223372036854775809)", 3, "out of the range of i64");
  parse_bad("f(1e400)", 3, "out of the range of f64");
  parse_bad("f(\"abc)", 3, "this string has no closing \"");
  parse_bad("f(\"a\\q\")", 5, "unknown escape: a backslash and `q`");
  parse_bad("f(\"a\\", 5, "in the middle of an escape");
  parse_bad("f(\"\\x80\")", 4, "\\x takes two hex digits, 00 to 7F");
  parse_bad("f(\"\\x4\")", 4, "\\x takes two hex digits");
  parse_bad("f(\"\\u{}\")", 4, "1 to 6 hex digits");
  parse_bad("f(\"\\u{1234567}\")", 4, "1 to 6 hex digits");
  parse_bad("f(\"\\u{D800}\")", 4, "is not a Unicode scalar value");
  parse_bad("f(\"\\u{110000}\")", 4, "is not a Unicode scalar value");
  parse_bad("f(\"\\u12\")", 4, "\\u takes a code point in braces");
  parse_bad("f(\"\\u{12\")", 4, "\\u{…} takes 1 to 6 hex digits");
  parse_bad("f([1, \"a\"])", 7, "a list holds integers or floats");
  parse_bad("f([[1]])", 4, "a list holds integers or floats");
  parse_bad("f([1 2])", 6, "expected , or ] in the list");
  parse_bad("f([1,", 3, "this list has no closing ]");
  parse_bad("f([1", 3, "this list has no closing ]");
  parse_bad("f($)", 4, "$ is followed by the number of a handle");
  parse_bad("f($0)", 3, "$0 is no handle");
  parse_bad("f($1x)", 5, "$N may not be followed by `x`");
  parse_bad("f($99999999999)", 3, "no handle has so large a number");
  parse_bad("f(é)", 3, "expected a value");
  parse_bad("f(\x01)", 3, "the byte 0x01");
  parse_bad("fé(1)", 2, "expected ( and the arguments");
  parse_bad("f(1)\xff", 5, "not UTF-8");
  parse_bad("é(\xc3)", 3, "not UTF-8");
  /* $N through the resolver: its error, with the column */
  {
    int rc = rimport__dyncall_parse("f($7)", 5, fake_ref, NULL, &e);
    rimport_test_assert_error(rc, RIMPORT_ENOTFOUND,
                              "column 3: $7: no such handle");
    rimport__dyncall_expr_free(&e);
    rc = rimport__dyncall_parse("f($1)", 5, NULL, NULL, &e);
    rimport_test_assert_error(rc, RIMPORT_EPARSE, "no kept handles");
    rimport__dyncall_expr_free(&e);
  }
  /* a NUL byte, and text that is not NUL-terminated */
  {
    int rc = rimport__dyncall_parse("f(\0)", 4, fake_ref, NULL, &e);
    rimport_test_assert_error(rc, RIMPORT_EPARSE, "a NUL byte");
    rimport__dyncall_expr_free(&e);
    assert_int_equal(rimport__dyncall_parse("g(1)xyz", 4, fake_ref, NULL, &e),
                     0);
    assert_string_equal(e.path, "g");
    rimport__dyncall_expr_free(&e);
  }
  /* too many arguments */
  {
    size_t i;
    rimport__buf_puts(&b, "f(");
    for (i = 0; i < 300; i++)
      rimport__buf_puts(&b, "1,");
    rimport__buf_puts(&b, ")");
    assert_int_equal(rimport__dyncall_parse(b.ptr, b.size, NULL, NULL, &e),
                     RIMPORT_EPARSE);
    assert_non_null(strstr(rimport_error_last()->message, "more than 256"));
    rimport__dyncall_expr_free(&e);
  }
  rimport_buf_dispose(&b);
}

/* xorshift: the same odd lines on every run. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* One parse of an odd line: an expression or an EPARSE/ENOTFOUND error,
 * never anything else (the sanitizers and valgrind watch the rest). */
static void parse_any(const char *text, size_t len) {
  rimport__dyncall_expr e;
  int rc = rimport__dyncall_parse(text, len, fake_ref, NULL, &e);
  if (rc != 0 && rc != RIMPORT_EPARSE && rc != RIMPORT_ENOTFOUND)
    fail_msg("parse of %zu bytes: rc %d (%s)", len, rc,
             rimport_error_last()->message);
  if (rc == 0) {
    rimport_buf shown = RIMPORT_BUF_INIT;
    size_t i;
    assert_non_null(e.path);
    for (i = 0; i < e.nargs; i++)
      assert_int_equal(rimport__dyncall_value_text(&e.args[i], &shown), 0);
    rimport_buf_dispose(&shown);
  } else {
    assert_true(rimport_error_last()->message[0] != '\0');
  }
  rimport__dyncall_expr_free(&e);
}

static void odd_lines_never_crash(void **state) {
  static const char *const seeds[] = {
      "reqwest::StatusCode::from_u16(200)",
      "f(1, -2.5e3, true, \"a\\u{e9}\\n\", [1, 2, 3], [1.5, 2], $1, $3)",
      "a::b::c()",
      "x([], [ -1 , +2 ,], \"\\x41\\\\\\\"\")",
      "g(\"ünï\", 0.0, false)",
  };
  static const char alphabet[] = "()[],:$\"\\.-+eE0123456789 truefalsxu{}\t\xc3"
                                 "\xa9\xff";
  char line[512];
  size_t s, i, n, pos;
  int round;
  (void)state;
  /* every prefix of every seed */
  for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
    for (n = 0; n <= strlen(seeds[s]); n++)
      parse_any(seeds[s], n);
  /* mutations: replace, insert or delete a few bytes of a seed */
  for (round = 0; round < 20000; round++) {
    const char *seed = seeds[next_random() % (sizeof(seeds) / sizeof(*seeds))];
    n = strlen(seed);
    memcpy(line, seed, n);
    for (i = 0, s = 1 + next_random() % 4; i < s; i++) {
      char c = alphabet[next_random() % (sizeof(alphabet) - 1)];
      pos = n ? (size_t)(next_random() % n) : 0;
      switch (next_random() % 3) {
      case 0:
        if (n > 0)
          line[pos] = c;
        break;
      case 1:
        if (n + 1 < sizeof(line)) {
          memmove(line + pos + 1, line + pos, n - pos);
          line[pos] = c;
          n++;
        }
        break;
      default:
        if (n > 0) {
          memmove(line + pos, line + pos + 1, n - pos - 1);
          n--;
        }
      }
    }
    parse_any(line, n);
  }
  /* random bytes */
  for (round = 0; round < 5000; round++) {
    n = (size_t)(next_random() % 64);
    for (i = 0; i < n; i++)
      line[i] = (char)(next_random() & 0xFF);
    parse_any(line, n);
  }
  /* long and deep inputs */
  {
    rimport_buf b = RIMPORT_BUF_INIT;
    rimport__buf_puts(&b, "f([");
    for (i = 0; i < 100000; i++)
      rimport__buf_puts(&b, "1,");
    rimport__buf_puts(&b, "2.5])");
    parse_any(b.ptr, b.size);
    rimport__buf_clear(&b);
    for (i = 0; i < 5000; i++)
      rimport__buf_puts(&b, "[[[((");
    parse_any(b.ptr, b.size);
    rimport__buf_clear(&b);
    for (i = 0; i < 2000; i++)
      rimport__buf_puts(&b, "a::");
    rimport__buf_puts(&b, "b(\"");
    for (i = 0; i < 2000; i++)
      rimport__buf_puts(&b, "\\u{10FFFF}");
    rimport__buf_puts(&b, "\")");
    parse_any(b.ptr, b.size);
    rimport_buf_dispose(&b);
  }
}

static void values_print_as_the_repl_shows_them(void **state) {
  static const int64_t ints[] = {1, -2};
  static const double floats[] = {0.1, 2, -1e300};
  volatile double zero = 0;
  rimport_buf b = RIMPORT_BUF_INIT;
  rimport_value v;
  (void)state;
#define SHOWS(value, text)                                                     \
  do {                                                                         \
    v = (value);                                                               \
    rimport__buf_clear(&b);                                                    \
    assert_int_equal(rimport__dyncall_value_text(&v, &b), 0);                  \
    assert_string_equal(b.ptr, text);                                          \
  } while (0)
  SHOWS(i64v(-42), "-42");
  SHOWS(f64v(1.5), "1.5");
  SHOWS(f64v(2), "2.0");
  SHOWS(f64v(0.1), "0.1");
  SHOWS(f64v(1e300), "1e+300");
  SHOWS(f64v(1e308 * 10), "inf");
  SHOWS(f64v(-1e308 * 10), "-inf");
  SHOWS(f64v(zero / zero), "NaN");
  SHOWS(boolv(1), "true");
  SHOWS(boolv(0), "false");
  SHOWS(strv("a\"b\\\n\t\r\x01é", 10), "\"a\\\"b\\\\\\n\\t\\r\\u{1}é\"");
  SHOWS(strv("a\0\xff", 3), "\"a\\0\\u{FFFD}\"");
  SHOWS(strv(NULL, 0), "\"\"");
  SHOWS(veci(ints, 2), "[1, -2]");
  SHOWS(veci(NULL, 0), "[]");
  SHOWS(vecf(floats, 3), "[0.1, 2.0, -1e+300]");
  SHOWS(handlev(7), "handle 7");
  {
    rimport_value u = RIMPORT_VALUE_INIT, none = RIMPORT_VALUE_INIT, odd;
    none.tag = RIMPORT_VALUE_NONE;
    SHOWS(u, "()");
    SHOWS(none, "None");
    memset(&odd, 0, sizeof(odd));
    odd.tag = (rimport_value_tag)42;
    SHOWS(odd, "<a value of tag 42>");
    assert_string_equal(rimport_value_tag_name(odd.tag), "unknown");
  }
#undef SHOWS
  assert_string_equal(rimport_value_tag_name(RIMPORT_VALUE_VEC_F64), "vec_f64");
  rimport_buf_dispose(&b);
}

/* `rimport repl` with :call lines on stdin: each bad line is reported and
 * the session goes on (no plugin has thunks yet, so no call succeeds). */
static void repl_call_lines_report_and_go_on(void **state) {
#ifdef RIMPORT_CLI_PATH
  char input[4300], cache[4300];
  const char *argv[] = {RIMPORT_CLI_PATH, "--cache-dir", cache,
                        "--offline",      "repl",        NULL};
  rimport__proc_opts o;
  rimport__proc_result r = RIMPORT__PROC_RESULT_INIT;
  const char *dir = rimport_test_tmpdir("dyncall-repl");
  (void)state;
  snprintf(cache, sizeof(cache), "%s/cache", dir);
  snprintf(input, sizeof(input), "%s/input.txt", dir);
  rimport_test_write_file(input, ":call\n"
                                 ":call nothing::here(1, \"two\")\n"
                                 ":call f(1,,2)\n"
                                 ":call f($1)\n"
                                 "  :call g(\"\\q\")\n"
                                 "\n"
                                 ":call h([1, 2.5], -3)\n"
                                 ":quit\n");
  memset(&o, 0, sizeof(o));
  o.file = RIMPORT_CLI_PATH;
  o.args = argv;
  o.stdin_path = input;
  o.timeout_ms = 120000;
  assert_int_equal(rimport__proc_run(&o, &r), 0);
  assert_int_equal(r.term_signal, 0);
  if (r.exit_status != 0 ||
      !strstr(r.err.ptr, ":call needs a function and its arguments") ||
      !strstr(r.err.ptr, "rimport: error: :call: looking up the name "
                         "`nothing`") ||
      !strstr(r.err.ptr, "column 5: expected a value") ||
      !strstr(r.err.ptr, "    f(1,,2)\n        ^\n") ||
      !strstr(r.err.ptr, "$1: no :call has returned a handle yet") ||
      !strstr(r.err.ptr, "unknown escape") ||
      !strstr(r.err.ptr, "looking up the name `h`"))
    fail_msg("repl exited %d and printed:\n%s\n%s", (int)r.exit_status,
             r.out.ptr, r.err.ptr);
  rimport__proc_result_dispose(&r);
#else
  (void)state;
  skip();
#endif
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(scalars_in_and_out, setup, teardown),
    cmocka_unit_test_setup_teardown(strings_in_and_out, setup, teardown),
    cmocka_unit_test_setup_teardown(vecs_in_and_out, setup, teardown),
    cmocka_unit_test_setup_teardown(every_parameter_kind_at_once, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(handles_borrowed_moved_and_returned, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(option_parameters_take_none, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(option_none_is_a_none_value, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(err_and_panic_are_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(host_context_gets_the_message, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(arity_and_type_errors_name_the_signature,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(
        unrepresentable_signatures_are_refused_first, setup, teardown),
    cmocka_unit_test_setup_teardown(cif_is_prepared_once_per_signature, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(context_keeps_the_session_state, setup,
                                    teardown),
    cmocka_unit_test(thunk_symbol_names),
    cmocka_unit_test(session_calls_find_the_item),
    cmocka_unit_test(call_syntax),
    cmocka_unit_test(odd_lines_never_crash),
    cmocka_unit_test(values_print_as_the_repl_shows_them),
    cmocka_unit_test(repl_call_lines_report_and_go_on),
    cmocka_unit_test(real_plugin_calls),
    cmocka_unit_test(repl_calls_a_real_plugin),
    cmocka_unit_test(reqwest_status_code_through_the_dynamic_path),
    cmocka_unit_test(semver_and_regex_from_debian),
};

RIMPORT_TEST_MAIN(tests, NULL)
