/* The core of a dynamic call: check an item's signature and the tagged
 * arguments against it, convert them to the thunk's C parameters, call the
 * thunk through libffi and turn its KaytonValue into a tagged result. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <ffi.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dyncall.h"
#include "state.h"
#include "../common/names.h"
#include "../vm/vm.h"

/* The C parameters of a call that fit here need no allocation. */
#define LOCAL_SLOTS 16

/* A non-NULL, aligned pointer for an empty str or vec (a Rust slice must
 * not be built from NULL). */
static const int64_t empty_buffer[1] = {0};

typedef union slot {
  int64_t i;
  double d;
  int32_t b;
  const void *p;
  size_t z;
  uint64_t h;
} slot;

/* 1 for `self`, `&self`, `&mut self` (an HKayRef), 0 for no receiver, -1
 * for another one (`self: Box<Self>`). */
static int receiver_of(const rimport_api_item *item) {
  const char *r = item->receiver;
  if (r == NULL)
    return 0;
  return strcmp(r, "self") == 0 || strcmp(r, "&self") == 0 ||
                 strcmp(r, "&mut self") == 0
             ? 1
             : -1;
}

/* The type a method belongs to: its path without the last segment. */
static int owner_of(const rimport_api_item *item, rimport_buf *out) {
  const char *end = strrchr(item->path, ':');
  size_t n = end != NULL && end > item->path ? (size_t)(end - item->path - 1)
                                             : strlen(item->path);
  return rimport__buf_put(out, item->path, n);
}

static const char *article_tag(rimport_value_tag tag) {
  switch (tag) {
  case RIMPORT_VALUE_UNIT:
    return "unit";
  case RIMPORT_VALUE_I64:
    return "an i64";
  case RIMPORT_VALUE_F64:
    return "an f64";
  case RIMPORT_VALUE_BOOL:
    return "a bool";
  case RIMPORT_VALUE_STR:
    return "a str";
  case RIMPORT_VALUE_VEC_I64:
    return "a vec_i64";
  case RIMPORT_VALUE_VEC_F64:
    return "a vec_f64";
  case RIMPORT_VALUE_HANDLE:
    return "a handle";
  case RIMPORT_VALUE_NONE:
    return "none";
  default:
    return "a value of no known tag";
  }
}

const char *rimport_value_tag_name(rimport_value_tag tag) {
  switch (tag) {
  case RIMPORT_VALUE_UNIT:
    return "unit";
  case RIMPORT_VALUE_I64:
    return "i64";
  case RIMPORT_VALUE_F64:
    return "f64";
  case RIMPORT_VALUE_BOOL:
    return "bool";
  case RIMPORT_VALUE_STR:
    return "str";
  case RIMPORT_VALUE_VEC_I64:
    return "vec_i64";
  case RIMPORT_VALUE_VEC_F64:
    return "vec_f64";
  case RIMPORT_VALUE_HANDLE:
    return "handle";
  case RIMPORT_VALUE_NONE:
    return "none";
  default:
    return "unknown";
  }
}

void rimport_value_dispose(rimport_value *v) {
  if (v == NULL)
    return;
  switch (v->tag) {
  case RIMPORT_VALUE_STR:
    rimport__free((void *)(uintptr_t)v->as.str.ptr);
    break;
  case RIMPORT_VALUE_VEC_I64:
    rimport__free((void *)(uintptr_t)v->as.vec_i64.ptr);
    break;
  case RIMPORT_VALUE_VEC_F64:
    rimport__free((void *)(uintptr_t)v->as.vec_f64.ptr);
    break;
  default:
    break;
  }
  memset(v, 0, sizeof(*v));
  v->tag = RIMPORT_VALUE_UNIT;
}

int rimport__dyncall_signature(const rimport_api_item *item, rimport_buf *out) {
  size_t i;
  int rc = rimport__buf_printf(out, "%s(", item->path);
  if (rc == 0 && item->receiver != NULL)
    rc = rimport__buf_printf(out, "%s%s", item->receiver,
                             item->param_count > 0 ? ", " : "");
  for (i = 0; rc == 0 && i < item->param_count; i++)
    rc = rimport__buf_printf(
        out, "%s%s: %s", i > 0 ? ", " : "",
        item->params[i].name ? item->params[i].name : "_",
        item->params[i].shape.type ? item->params[i].shape.type : "?");
  if (rc == 0)
    rc = rimport__buf_putc(out, ')');
  return rc;
}

/* "u16 (i64 in 0..=65535)": the Rust type and what the VM gives for it. */
static int describe_shape(const rimport_api_type *t, rimport_buf *out);

/* "Option<u16> (i64 in 0..=65535, or none)" */
static int describe(const rimport_api_type *t, rimport_buf *out) {
  int rc = describe_shape(t, out);
  if (rc == 0 && t->optional && out->size > 0 &&
      out->ptr[out->size - 1] == ')') {
    out->size--;
    out->ptr[out->size] = '\0';
    rc = rimport__buf_puts(out, ", or none)");
  }
  return rc;
}

static int describe_shape(const rimport_api_type *t, rimport_buf *out) {
  const char *type = t->type ? t->type : "?";
  switch (t->kind) {
  case RIMPORT_VM_I64:
  case RIMPORT_VM_VEC_I64:
    if (t->min != NULL && t->max != NULL)
      return rimport__buf_printf(
          out, "%s (%s %s %s..=%s)", type, rimport_vm_shape_name(t->kind),
          t->kind == RIMPORT_VM_I64 ? "in" : "of", t->min, t->max);
    return rimport__buf_printf(out, "%s (%s)", type,
                               rimport_vm_shape_name(t->kind));
  case RIMPORT_VM_OPAQUE:
    return rimport__buf_printf(out, "%s (a handle of %s)", type,
                               t->opaque ? t->opaque : type);
  default:
    return rimport__buf_printf(out, "%s (%s)", type,
                               rimport_vm_shape_name(t->kind));
  }
}

/* --- representable? ------------------------------------------------------ */

static int unsupported(const rimport_api_item *item, const char *fmt, ...)
    RIMPORT__PRINTF(2, 3);

static int unsupported(const rimport_api_item *item, const char *fmt, ...) {
  rimport_buf what = RIMPORT_BUF_INIT;
  va_list ap;
  int rc;
  va_start(ap, fmt);
  rc = rimport__buf_vprintf(&what, fmt, ap);
  va_end(ap);
  if (rc == 0)
    rc = rimport__error_set(
        RIMPORT_EUNSUPPORTED,
        "calling `%s` dynamically: %s; it has no thunk (kayton_api.h, "
        "\"thunks\"): use it in a cell, where rustc compiles the call",
        item->path, what.ptr);
  rimport_buf_dispose(&what);
  return rc;
}

/* A parameter the thunk ABI has a C form for: 0, or the error. */
static int check_param(const rimport_api_item *item, size_t number,
                       const rimport_api_param *p) {
  const char *name = p->name ? p->name : "_";
  const char *type = p->shape.type ? p->shape.type : "?";
  if (p->shape.kind == RIMPORT_VM_NONE)
    return unsupported(item,
                       "argument %zu (%s) is %s, which no VM value "
                       "represents (%s)",
                       number, name, type,
                       p->shape.why ? p->shape.why : "no reason given");
  if (p->shape.kind == RIMPORT_VM_UNIT)
    return unsupported(item,
                       "argument %zu (%s) is %s, a unit parameter, which "
                       "the thunk ABI has no C parameter for",
                       number, name, type);
  if (p->shape.fallible)
    return unsupported(item,
                       "argument %zu (%s) is %s, a Result parameter, "
                       "which the thunk ABI has no C form for",
                       number, name, type);
  return 0;
}

int rimport__dyncall_check(const rimport_api_item *item) {
  size_t i, first;
  int recv, rc;
  if (item == NULL || item->path == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "calling an item dynamically: no item given");
  if (item->kind != RIMPORT_API_FUNCTION)
    return rimport__error_set(
        RIMPORT_EINVAL,
        "calling `%s`: it is a %s, not a function; dynamic calls call "
        "functions, methods and associated functions",
        item->path, item->kind_name ? item->kind_name : "item");
  if (item->external)
    return unsupported(item, "it is another crate's item that no API index "
                             "describes (its signature is unknown)");
  if ((recv = receiver_of(item)) < 0)
    return unsupported(item,
                       "its receiver `%s` is not self, &self or &mut self",
                       item->receiver);
  if (item->param_count > 0 && item->params == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "calling `%s`: its descriptor lists %zu "
                              "parameters but has none",
                              item->path, item->param_count);
  first = (size_t)recv;
  for (i = 0; i < item->param_count; i++)
    if ((rc = check_param(item, i + first + 1, &item->params[i])) != 0)
      return rc;
  if (item->output != NULL && item->output->kind == RIMPORT_VM_NONE)
    return unsupported(item,
                       "its result %s is not representable as a VM value "
                       "(%s)",
                       item->output->type ? item->output->type : "?",
                       item->output->why ? item->output->why
                                         : "no reason given");
  return 0;
}

/* --- arguments → C parameters -------------------------------------------- */

/* How many C parameters (after ctx and out) the item's thunk takes. */
static size_t c_param_count(const rimport_api_item *item) {
  size_t i, n = (size_t)(receiver_of(item) > 0);
  for (i = 0; i < item->param_count; i++) {
    rimport_vm_shape k = item->params[i].shape.kind;
    n += k == RIMPORT_VM_STR || k == RIMPORT_VM_VEC_I64 ||
                 k == RIMPORT_VM_VEC_F64
             ? 2
             : 1;
    n += item->params[i].shape.optional != 0; /* its "is Some" */
  }
  return n;
}

/* An integer type's range from the descriptor (decimal text); a bound
 * that an i64 cannot reach (u64's max, i128's) is no bound. */
static void range_of(const rimport_api_type *t, int64_t *lo, int64_t *hi) {
  char *end;
  long long v;
  *lo = INT64_MIN;
  *hi = INT64_MAX;
  if (t->min != NULL) {
    errno = 0;
    v = strtoll(t->min, &end, 10);
    if (errno == 0 && end != t->min && *end == '\0')
      *lo = (int64_t)v;
  }
  if (t->max != NULL) {
    errno = 0;
    v = strtoll(t->max, &end, 10);
    if (errno == 0 && end != t->max && *end == '\0')
      *hi = (int64_t)v;
  }
}

/* Everything a call's conversion needs. */
typedef struct conv {
  const rimport_api_item *item;
  slot *slots;   /* one per C parameter */
  void **values; /* ffi_call's avalues: ctx, out, then &slots[i] */
  void **temps;  /* buffers made for the call (vec_i64 → vec_f64) */
  size_t ntemps;
  char *key;   /* the C signature: one letter per slot, then NUL */
  size_t next; /* the next slot */
} conv;

/* "argument 2 (src) of a::f is u16 (i64 in 0..=65535); got <what>". */
static int bad_arg(const conv *c, size_t number, const char *name,
                   const rimport_api_type *t, const char *what_fmt, ...)
    RIMPORT__PRINTF(5, 6);

static int bad_arg(const conv *c, size_t number, const char *name,
                   const rimport_api_type *t, const char *what_fmt, ...) {
  rimport_buf desc = RIMPORT_BUF_INIT, what = RIMPORT_BUF_INIT;
  va_list ap;
  int rc = describe(t, &desc);
  va_start(ap, what_fmt);
  if (rc == 0)
    rc = rimport__buf_vprintf(&what, what_fmt, ap);
  va_end(ap);
  if (rc == 0)
    rc = rimport__error_set(RIMPORT_EINVAL,
                            "argument %zu (%s) of %s is %s; got %s", number,
                            name, c->item->path, desc.ptr, what.ptr);
  rimport_buf_dispose(&desc);
  rimport_buf_dispose(&what);
  return rc;
}

static int put(conv *c, char letter, slot s) {
  c->slots[c->next] = s;
  c->key[c->next++] = letter;
  return 0;
}

static int put_buffer(conv *c, const void *ptr, size_t len) {
  slot p, z;
  int rc;
  p.p = len == 0 ? (const void *)empty_buffer : ptr;
  z.z = len;
  if ((rc = put(c, RIMPORT__DYNCALL_C_PTR, p)) != 0)
    return rc;
  return put(c, RIMPORT__DYNCALL_C_SIZE, z);
}

/* A UTF-8 check: the byte offset of the first bad sequence, or len. */
static size_t utf8_bad_at(const char *s, size_t len) {
  size_t i = 0, n;
  uint32_t cp;
  while (i < len) {
    if ((n = rimport__utf8_decode((const unsigned char *)s + i, len - i,
                                  &cp)) == 0)
      return i;
    i += n;
  }
  return len;
}

/* One argument, `number` counting from 1, for a parameter of type t. */
static int convert_value(conv *c, size_t number, const char *name,
                         const rimport_api_type *t, const rimport_value *v);

/* An argument: an Option's "is Some" first (kayton_api.h "thunks"), then
 * the value's C parameters (zero for None). */
static int convert(conv *c, size_t number, const char *name,
                   const rimport_api_type *t, const rimport_value *v) {
  slot some, zero;
  int rc;
  if (!t->optional)
    return convert_value(c, number, name, t, v);
  memset(&some, 0, sizeof(some));
  memset(&zero, 0, sizeof(zero));
  some.b = v->tag != RIMPORT_VALUE_NONE;
  if ((rc = put(c, RIMPORT__DYNCALL_C_BOOL, some)) != 0 || some.b)
    return rc != 0 ? rc : convert_value(c, number, name, t, v);
  switch (t->kind) {
  case RIMPORT_VM_I64:
    return put(c, RIMPORT__DYNCALL_C_I64, zero);
  case RIMPORT_VM_F64:
    return put(c, RIMPORT__DYNCALL_C_F64, zero);
  case RIMPORT_VM_BOOL:
    return put(c, RIMPORT__DYNCALL_C_BOOL, zero);
  case RIMPORT_VM_OPAQUE:
    return put(c, RIMPORT__DYNCALL_C_HANDLE, zero);
  default: /* str, vec_i64, vec_f64: an empty (ptr, len) */
    return put_buffer(c, NULL, 0);
  }
}

static int convert_value(conv *c, size_t number, const char *name,
                         const rimport_api_type *t, const rimport_value *v) {
  slot s;
  int64_t lo, hi;
  size_t i, bad;
  memset(&s, 0, sizeof(s));
  switch (t->kind) {
  case RIMPORT_VM_I64:
    if (v->tag != RIMPORT_VALUE_I64)
      return bad_arg(c, number, name, t, "%s", article_tag(v->tag));
    range_of(t, &lo, &hi);
    if (v->as.i64 < lo || v->as.i64 > hi)
      return bad_arg(c, number, name, t, "%lld, out of that range",
                     (long long)v->as.i64);
    s.i = v->as.i64;
    return put(c, RIMPORT__DYNCALL_C_I64, s);
  case RIMPORT_VM_F64:
    if (v->tag == RIMPORT_VALUE_F64)
      s.d = v->as.f64;
    else if (v->tag == RIMPORT_VALUE_I64)
      s.d = (double)v->as.i64;
    else
      return bad_arg(c, number, name, t, "%s", article_tag(v->tag));
    return put(c, RIMPORT__DYNCALL_C_F64, s);
  case RIMPORT_VM_BOOL:
    if (v->tag != RIMPORT_VALUE_BOOL)
      return bad_arg(c, number, name, t, "%s", article_tag(v->tag));
    s.b = v->as.boolean != 0;
    return put(c, RIMPORT__DYNCALL_C_BOOL, s);
  case RIMPORT_VM_STR:
    if (v->tag != RIMPORT_VALUE_STR)
      return bad_arg(c, number, name, t, "%s", article_tag(v->tag));
    if (v->as.str.ptr == NULL && v->as.str.len > 0)
      return bad_arg(c, number, name, t, "a str of %zu bytes at NULL",
                     v->as.str.len);
    if ((bad = utf8_bad_at(v->as.str.ptr, v->as.str.len)) < v->as.str.len)
      return bad_arg(c, number, name, t,
                     "a str that is not UTF-8 (at byte %zu)", bad);
    return put_buffer(c, v->as.str.ptr, v->as.str.len);
  case RIMPORT_VM_VEC_I64:
    if (v->tag != RIMPORT_VALUE_VEC_I64)
      return bad_arg(c, number, name, t, "%s", article_tag(v->tag));
    if (v->as.vec_i64.ptr == NULL && v->as.vec_i64.len > 0)
      return bad_arg(c, number, name, t, "a vec_i64 of %zu elements at NULL",
                     v->as.vec_i64.len);
    range_of(t, &lo, &hi);
    for (i = 0; i < v->as.vec_i64.len; i++)
      if (v->as.vec_i64.ptr[i] < lo || v->as.vec_i64.ptr[i] > hi)
        return bad_arg(c, number, name, t,
                       "element %zu = %lld, out of that range", i,
                       (long long)v->as.vec_i64.ptr[i]);
    return put_buffer(c, v->as.vec_i64.ptr, v->as.vec_i64.len);
  case RIMPORT_VM_VEC_F64:
    if (v->tag == RIMPORT_VALUE_VEC_F64) {
      if (v->as.vec_f64.ptr == NULL && v->as.vec_f64.len > 0)
        return bad_arg(c, number, name, t, "a vec_f64 of %zu elements at NULL",
                       v->as.vec_f64.len);
      return put_buffer(c, v->as.vec_f64.ptr, v->as.vec_f64.len);
    }
    if (v->tag == RIMPORT_VALUE_VEC_I64) { /* [1, 2] for a Vec<f64> */
      double *d = NULL;
      size_t n = v->as.vec_i64.len;
      if (v->as.vec_i64.ptr == NULL && n > 0)
        return bad_arg(c, number, name, t, "a vec_i64 of %zu elements at NULL",
                       n);
      if (n > 0) {
        if (n > SIZE_MAX / sizeof(double) ||
            (d = rimport__malloc(n * sizeof(double))) == NULL)
          return rimport__error_nomem();
        c->temps[c->ntemps++] = d;
        for (i = 0; i < n; i++)
          d[i] = (double)v->as.vec_i64.ptr[i];
      }
      return put_buffer(c, d, n);
    }
    return bad_arg(c, number, name, t, "%s", article_tag(v->tag));
  case RIMPORT_VM_OPAQUE:
    if (v->tag != RIMPORT_VALUE_HANDLE)
      return bad_arg(c, number, name, t, "%s", article_tag(v->tag));
    if (v->as.handle == 0)
      return bad_arg(c, number, name, t, "handle 0, which is no handle");
    s.h = v->as.handle;
    return put(c, RIMPORT__DYNCALL_C_HANDLE, s);
  default: /* refused by rimport__dyncall_check */
    return rimport__error_set(
        RIMPORT_EINTERNAL, "calling `%s`: argument %zu has shape %s",
        c->item->path, number, rimport_vm_shape_name(t->kind));
  }
}

/* The receiver: a handle of the method's type. */
static int convert_receiver(conv *c, const rimport_value *v) {
  rimport_buf owner = RIMPORT_BUF_INIT;
  rimport_api_type t;
  slot s;
  int rc;
  if (v->tag == RIMPORT_VALUE_HANDLE && v->as.handle != 0) {
    s.h = v->as.handle;
    return put(c, RIMPORT__DYNCALL_C_HANDLE, s);
  }
  if ((rc = owner_of(c->item, &owner)) != 0)
    return rc;
  memset(&t, 0, sizeof(t));
  t.kind = RIMPORT_VM_OPAQUE;
  t.type = c->item->receiver;
  t.opaque = owner.ptr;
  if (v->tag == RIMPORT_VALUE_HANDLE)
    rc = bad_arg(c, 1, "self", &t, "handle 0, which is no handle");
  else
    rc = bad_arg(c, 1, "self", &t, "%s", article_tag(v->tag));
  rimport_buf_dispose(&owner);
  return rc;
}

/* --- the thunk's result --------------------------------------------------- */

static const char *kayton_code_name(int32_t code) {
  switch (code) {
  case KAYTON_EINVAL:
    return "KAYTON_EINVAL";
  case KAYTON_ENOTFOUND:
    return "KAYTON_ENOTFOUND: no such handle";
  case KAYTON_EKIND:
    return "KAYTON_EKIND: a handle of another kind, or a value moved out";
  case KAYTON_ENOMEM:
    return "KAYTON_ENOMEM";
  case KAYTON_ERUST:
    return "KAYTON_ERUST: an Err, a panic or an argument the plugin "
           "refused";
  default:
    return "a code kayton_api.h does not define";
  }
}

/* A negative return: the text the thunk gave set_error. */
static int thunk_failed(const rimport_api_item *item,
                        const rimport__dyncall_target *t, int32_t code) {
  int rc = code == KAYTON_EINVAL || code == KAYTON_EKIND ? RIMPORT_EINVAL
           : code == KAYTON_ENOTFOUND                    ? RIMPORT_ENOTFOUND
           : code == KAYTON_ENOMEM                       ? RIMPORT_ENOMEM
                                                         : RIMPORT_EPANIC;
  const char *text = t->vm != NULL ? rimport__vm_last_error(t->vm) : NULL;
  if (t->vm == NULL)
    return rimport__error_set(
        rc,
        "calling `%s` failed: its thunk returned %d (%s); the message went "
        "to the host's set_error. The session goes on",
        item->path, (int)code, kayton_code_name(code));
  return rimport__error_set(
      rc, "calling `%s` failed: %s (%s, code %d). The session goes on",
      item->path, text ? text : "the thunk gave no message",
      kayton_code_name(code), (int)code);
}

/* Gives the thunk's result back to the plugin (buffers) or the context
 * (a handle) when it is not handed on. */
static void give_back(const rimport__dyncall_target *t, KaytonValue *out) {
  if (out->tag == KAYTON_VALUE_STR || out->tag == KAYTON_VALUE_VEC_I64 ||
      out->tag == KAYTON_VALUE_VEC_F64) {
    if (t->free_value != NULL)
      t->free_value(out);
  } else if (out->tag == KAYTON_VALUE_HANDLE && out->h != 0 &&
             t->ctx->api != NULL && t->ctx->api->release_handle != NULL) {
    t->ctx->api->release_handle(t->ctx, out->h);
  }
}

static int wrong_result(const rimport_api_item *item,
                        const rimport__dyncall_target *t, KaytonValue *out,
                        const char *what) {
  rimport_buf desc = RIMPORT_BUF_INIT;
  rimport_api_type unit;
  const rimport_api_type *o = item->output;
  int rc;
  if (o == NULL) {
    memset(&unit, 0, sizeof(unit));
    unit.kind = RIMPORT_VM_UNIT;
    unit.type = "()";
    o = &unit;
  }
  give_back(t, out);
  rc = describe(o, &desc);
  if (rc == 0)
    rc = rimport__error_set(
        RIMPORT_EMISMATCH,
        "calling `%s`: its thunk returned %s where the signature says %s%s; "
        "the plugin does not follow kayton_api.h: rebuild it "
        "(rimport cache clear %s)",
        item->path, what, desc.ptr, o->optional ? " or none" : "",
        item->crate ? item->crate : "<crate>");
  rimport_buf_dispose(&desc);
  return rc;
}

static const char *kayton_tag_text(uint32_t tag) {
  return tag <= KAYTON_VALUE_NONE ? article_tag((rimport_value_tag)tag)
                                  : "a value of no known tag";
}

/* Copies `len` elements of `size` bytes (plus `nul` zero bytes) into
 * memory of rimport's allocator. */
static int copy_out(const void *ptr, size_t len, size_t size, size_t nul,
                    void **out) {
  char *p;
  *out = NULL;
  if (len == 0 && nul == 0)
    return 0;
  if (len > (SIZE_MAX - nul) / size)
    return rimport__error_nomem();
  if ((p = rimport__malloc(len * size + nul)) == NULL)
    return rimport__error_nomem();
  if (len > 0)
    memcpy(p, ptr, len * size);
  if (nul > 0)
    memset(p + len * size, 0, nul);
  *out = p;
  return 0;
}

static int take_result(const rimport_api_item *item,
                       const rimport__dyncall_target *t, KaytonValue *out,
                       rimport_value *result) {
  rimport_vm_shape want =
      item->output != NULL ? item->output->kind : RIMPORT_VM_UNIT;
  int optional = item->output != NULL && item->output->optional;
  void *copy = NULL;
  int rc = 0;
  switch (out->tag) {
  case KAYTON_VALUE_NONE:
    if (!optional)
      return wrong_result(item, t, out, "none");
    result->tag = RIMPORT_VALUE_NONE;
    return 0;
  case KAYTON_VALUE_UNIT:
    if (want != RIMPORT_VM_UNIT)
      return wrong_result(item, t, out, "unit");
    return 0;
  case KAYTON_VALUE_I64:
    if (want != RIMPORT_VM_I64)
      return wrong_result(item, t, out, "an i64");
    result->tag = RIMPORT_VALUE_I64;
    result->as.i64 = out->i;
    return 0;
  case KAYTON_VALUE_F64:
    if (want != RIMPORT_VM_F64)
      return wrong_result(item, t, out, "an f64");
    result->tag = RIMPORT_VALUE_F64;
    result->as.f64 = out->f;
    return 0;
  case KAYTON_VALUE_BOOL:
    if (want != RIMPORT_VM_BOOL)
      return wrong_result(item, t, out, "a bool");
    result->tag = RIMPORT_VALUE_BOOL;
    result->as.boolean = out->i != 0;
    return 0;
  case KAYTON_VALUE_HANDLE:
    if (want != RIMPORT_VM_OPAQUE)
      return wrong_result(item, t, out, "a handle");
    if (out->h == 0)
      return wrong_result(item, t, out, "handle 0 (no handle)");
    result->tag = RIMPORT_VALUE_HANDLE;
    result->as.handle = out->h;
    return 0;
  case KAYTON_VALUE_STR:
  case KAYTON_VALUE_VEC_I64:
  case KAYTON_VALUE_VEC_F64:
    if ((out->tag == KAYTON_VALUE_STR && want != RIMPORT_VM_STR) ||
        (out->tag == KAYTON_VALUE_VEC_I64 && want != RIMPORT_VM_VEC_I64) ||
        (out->tag == KAYTON_VALUE_VEC_F64 && want != RIMPORT_VM_VEC_F64))
      return wrong_result(item, t, out, kayton_tag_text(out->tag));
    if (out->ptr == NULL && out->len > 0)
      return wrong_result(item, t, out, "a buffer at NULL");
    if (out->tag == KAYTON_VALUE_STR) {
      rc = copy_out(out->ptr, out->len, 1, 1, &copy);
      result->as.str.ptr = copy;
      result->as.str.len = out->len;
    } else if (out->tag == KAYTON_VALUE_VEC_I64) {
      rc = copy_out(out->ptr, out->len, sizeof(int64_t), 0, &copy);
      result->as.vec_i64.ptr = copy;
      result->as.vec_i64.len = out->len;
    } else {
      rc = copy_out(out->ptr, out->len, sizeof(double), 0, &copy);
      result->as.vec_f64.ptr = copy;
      result->as.vec_f64.len = out->len;
    }
    give_back(t, out); /* the plugin's buffer, at once */
    if (rc != 0) {
      memset(result, 0, sizeof(*result));
      return rc;
    }
    result->tag = (rimport_value_tag)out->tag;
    return 0;
  default:
    return wrong_result(item, t, out, kayton_tag_text(out->tag));
  }
}

/* --- the call ------------------------------------------------------------- */

int rimport__dyncall_invoke(rimport__dyncall_state *st,
                            const rimport_api_item *item,
                            const rimport__dyncall_target *t,
                            const rimport_value *args, size_t nargs,
                            rimport_value *result) {
  slot local_slots[LOCAL_SLOTS];
  void *local_values[LOCAL_SLOTS + 2], *local_temps[LOCAL_SLOTS];
  char local_key[LOCAL_SLOTS + 1];
  rimport__dyncall_cif *cif = NULL;
  rimport_buf sig = RIMPORT_BUF_INIT;
  KaytonValue out;
  KaytonContext *ctx;
  ffi_arg ret = 0;
  size_t want, ncp, i, first;
  conv c;
  void (*fn)(void);
  int rc, recv;
  if (result != NULL) {
    memset(result, 0, sizeof(*result));
    result->tag = RIMPORT_VALUE_UNIT;
  }
  if (st == NULL || t == NULL || t->ctx == NULL || t->thunk == NULL ||
      result == NULL || (nargs > 0 && args == NULL))
    return rimport__error_set(RIMPORT_EINVAL,
                              "calling `%s`: the state, target (context and "
                              "thunk), arguments and result are needed",
                              item && item->path ? item->path : "(null)");
  if ((rc = rimport__dyncall_check(item)) != 0)
    return rc;
  recv = receiver_of(item);
  first = (size_t)recv;
  want = first + item->param_count;
  if (nargs != want) {
    if ((rc = rimport__dyncall_signature(item, &sig)) == 0)
      rc = rimport__error_set(
          RIMPORT_EINVAL, "%s takes %zu argument%s%s, got %zu", sig.ptr, want,
          want == 1 ? "" : "s", recv ? " (the receiver first: a handle)" : "",
          nargs);
    rimport_buf_dispose(&sig);
    return rc;
  }
  {
    rimport_vm_shape k =
        item->output != NULL ? item->output->kind : RIMPORT_VM_UNIT;
    if (t->free_value == NULL &&
        (k == RIMPORT_VM_STR || k == RIMPORT_VM_VEC_I64 ||
         k == RIMPORT_VM_VEC_F64))
      return rimport__error_set(
          RIMPORT_EMISMATCH,
          "calling `%s`: its result is a %s, but the plugin of %s exports "
          "no kayton_plugin_free_value to take its buffer back; rebuild "
          "the plugin (rimport cache clear %s)",
          item->path, rimport_vm_shape_name(k),
          item->crate ? item->crate : "its crate",
          item->crate ? item->crate : "<crate>");
  }
  ncp = c_param_count(item);
  memset(&c, 0, sizeof(c));
  c.item = item;
  if (ncp <= LOCAL_SLOTS) {
    c.slots = local_slots;
    c.values = local_values;
    c.temps = local_temps;
    c.key = local_key;
  } else {
    c.slots = rimport__calloc(ncp, sizeof(*c.slots));
    c.values = rimport__calloc(ncp + 2, sizeof(*c.values));
    c.temps = rimport__calloc(ncp, sizeof(*c.temps));
    c.key = rimport__calloc(ncp + 1, 1);
    if (c.slots == NULL || c.values == NULL || c.temps == NULL ||
        c.key == NULL) {
      rc = rimport__error_nomem();
      goto done;
    }
  }
  if (recv > 0 && (rc = convert_receiver(&c, &args[0])) != 0)
    goto done;
  for (i = 0; i < item->param_count; i++) {
    const rimport_api_param *p = &item->params[i];
    if ((rc = convert(&c, first + i + 1, p->name ? p->name : "_", &p->shape,
                      &args[first + i])) != 0)
      goto done;
  }
  c.key[c.next] = '\0';
  if ((rc = rimport__dyncall_cif_get(st, c.key, &cif)) != 0)
    goto done;
  ctx = t->ctx;
  memset(&out, 0, sizeof(out));
  out.tag = KAYTON_VALUE_UNIT;
  {
    KaytonValue *outp = &out;
    c.values[0] = &ctx;
    c.values[1] = &outp;
    for (i = 0; i < ncp; i++)
      c.values[i + 2] = &c.slots[i];
    memcpy(&fn, &t->thunk, sizeof(fn));
    if (t->vm != NULL)
      rimport__vm_cell_begin(t->vm); /* a fresh error record */
    ffi_call(&cif->cif, fn, &ret, c.values);
  }
  if ((int32_t)ret < 0)
    rc = thunk_failed(item, t, (int32_t)ret);
  else
    rc = take_result(item, t, &out, result);
done:
  for (i = 0; i < c.ntemps; i++)
    rimport__free(c.temps[i]);
  if (c.slots != local_slots) {
    rimport__free(c.slots);
    rimport__free(c.values);
    rimport__free(c.temps);
    rimport__free(c.key);
  }
  return rc;
}
