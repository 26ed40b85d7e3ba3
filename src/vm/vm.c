/* The reference VM (see vm.h). Kinds live in an array indexed by kind - 1
 * with a name index; globals in a name-keyed table; handles in an
 * open-addressing table keyed by id (linear probing, backward-shift
 * deletion), so every operation is O(1) on average. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include "vm/vm.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/common.h"

#define VM_MAGIC      0x6b61795674564d31ull /* "kayVtVM1" */
#define VM_MAGIC_DEAD 0xdeadbeefdeadbeefull

/* A name-keyed table entry: a kind (kind table: the kind; global table:
 * the global's kind and pointer). key == NULL: empty slot. */
typedef struct vm_named {
  char *key;
  size_t len;
  uint64_t hash;
  KaytonKind kind;
  void *ptr;
} vm_named;

typedef struct vm_names {
  vm_named *slots;
  size_t cap; /* 0 or a power of two */
  size_t count;
} vm_names;

typedef struct vm_kind {
  char *name; /* NUL-terminated copy */
  size_t len;
  kayton_drop_fn drop;
} vm_kind;

/* A live handle; id == 0: empty slot. */
typedef struct vm_handle {
  HKayRef id;
  void *ptr;
  uint64_t refs;
  KaytonKind kind;
} vm_handle;

struct rimport__vm {
  uint64_t magic;
  KaytonContext ctx;
  uv_mutex_t lock;

  vm_kind *kinds;
  size_t kind_count, kind_cap;
  vm_names kind_names;
  vm_names globals;

  vm_handle *handles;
  size_t handle_cap; /* 0 or a power of two */
  size_t handle_count;
  HKayRef next_id;

  rimport__vm_output_fn output;
  void *output_payload;
  rimport_buf capture;
  size_t capture_max;
  int capture_truncated;
  char *last_error;
  char *last_diag;
  int32_t last_diag_level;
};

/* > 0 while this thread runs a drop function or the output callback:
 * calls into any VM from there are refused (they could deadlock or free
 * what is being used). */
static RIMPORT__THREAD_LOCAL int vm_busy;

static int32_t vm_register_kind(KaytonContext *ctx, const char *name,
                                size_t name_len, kayton_drop_fn drop,
                                KaytonKind *out);
static int32_t vm_set_global_ptr(KaytonContext *ctx, const char *name,
                                 size_t name_len, KaytonKind kind, void *ptr);
static int32_t vm_get_global_ptr(KaytonContext *ctx, const char *name,
                                 size_t name_len, KaytonKind kind, void **out);
static int32_t vm_new_handle(KaytonContext *ctx, KaytonKind kind, void *ptr,
                             HKayRef *out);
static int32_t vm_get_handle(KaytonContext *ctx, HKayRef h, KaytonKind kind,
                             void **out);
static int32_t vm_retain_handle(KaytonContext *ctx, HKayRef h);
static int32_t vm_release_handle(KaytonContext *ctx, HKayRef h);
static void vm_report(KaytonContext *ctx, int32_t level, const char *text,
                      size_t len);
static void vm_set_error(KaytonContext *ctx, const char *text, size_t len);

static const KaytonApi vm_api = {sizeof(KaytonApi), KAYTON_API_ABI_VERSION,
                                 vm_register_kind,  vm_set_global_ptr,
                                 vm_get_global_ptr, vm_new_handle,
                                 vm_get_handle,     vm_retain_handle,
                                 vm_release_handle, vm_report,
                                 vm_set_error};

/* --- hashing -------------------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t len) {
  /* FNV-1a, 64-bit. */
  uint64_t h = 0xcbf29ce484222325ull;
  size_t i;
  for (i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static uint64_t hash_id(uint64_t x) {
  /* splitmix64's finaliser: sequential ids spread over the table. */
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

/* --- name-keyed tables (never shrink; entries are never removed) -------- */

static vm_named *names_find(const vm_names *t, const char *key, size_t len,
                            uint64_t hash) {
  size_t mask, i;
  if (t->cap == 0)
    return NULL;
  mask = t->cap - 1;
  for (i = (size_t)hash & mask;; i = (i + 1) & mask) {
    vm_named *e = &t->slots[i];
    if (e->key == NULL)
      return NULL;
    if (e->hash == hash && e->len == len && memcmp(e->key, key, len) == 0)
      return e;
  }
}

static void names_place(vm_named *slots, size_t cap, const vm_named *e) {
  size_t mask = cap - 1, i;
  for (i = (size_t)e->hash & mask; slots[i].key != NULL; i = (i + 1) & mask)
    ;
  slots[i] = *e;
}

/* Makes room for one more entry (load factor <= 1/2). */
static int names_reserve(vm_names *t) {
  vm_named *slots;
  size_t cap, i;
  if ((t->count + 1) * 2 <= t->cap)
    return 0;
  cap = t->cap ? t->cap * 2 : 16;
  slots = rimport__calloc(cap, sizeof(*slots));
  if (slots == NULL)
    return KAYTON_ENOMEM;
  for (i = 0; i < t->cap; i++)
    if (t->slots[i].key != NULL)
      names_place(slots, cap, &t->slots[i]);
  rimport__free(t->slots);
  t->slots = slots;
  t->cap = cap;
  return 0;
}

/* Adds a new entry (the key must not be present); the key is copied. */
static vm_named *names_add(vm_names *t, const char *key, size_t len,
                           uint64_t hash) {
  vm_named e;
  if (names_reserve(t) != 0)
    return NULL;
  memset(&e, 0, sizeof(e));
  e.key = rimport__strndup(key, len);
  if (e.key == NULL)
    return NULL;
  e.len = len;
  e.hash = hash;
  names_place(t->slots, t->cap, &e);
  t->count++;
  return names_find(t, key, len, hash);
}

static void names_dispose(vm_names *t) {
  size_t i;
  for (i = 0; i < t->cap; i++)
    rimport__free(t->slots[i].key);
  rimport__free(t->slots);
  memset(t, 0, sizeof(*t));
}

/* --- the handle table ----------------------------------------------------- */

static vm_handle *handles_find(const rimport__vm *vm, HKayRef id) {
  size_t mask, i;
  if (vm->handle_cap == 0 || id == 0)
    return NULL;
  mask = vm->handle_cap - 1;
  for (i = (size_t)hash_id(id) & mask;; i = (i + 1) & mask) {
    vm_handle *e = &vm->handles[i];
    if (e->id == id)
      return e;
    if (e->id == 0)
      return NULL;
  }
}

static void handles_place(vm_handle *slots, size_t cap, const vm_handle *e) {
  size_t mask = cap - 1, i;
  for (i = (size_t)hash_id(e->id) & mask; slots[i].id != 0; i = (i + 1) & mask)
    ;
  slots[i] = *e;
}

static int handles_reserve(rimport__vm *vm) {
  vm_handle *slots;
  size_t cap, i;
  if ((vm->handle_count + 1) * 2 <= vm->handle_cap)
    return 0;
  if (vm->handle_cap > ((size_t)-1) / 2 / sizeof(*slots))
    return KAYTON_ENOMEM;
  cap = vm->handle_cap ? vm->handle_cap * 2 : 64;
  slots = rimport__calloc(cap, sizeof(*slots));
  if (slots == NULL)
    return KAYTON_ENOMEM;
  for (i = 0; i < vm->handle_cap; i++)
    if (vm->handles[i].id != 0)
      handles_place(slots, cap, &vm->handles[i]);
  rimport__free(vm->handles);
  vm->handles = slots;
  vm->handle_cap = cap;
  return 0;
}

/* Removes the entry at `e` with backward-shift deletion (no tombstones, so
 * lookups stay short however many handles come and go). */
static void handles_remove(rimport__vm *vm, vm_handle *e) {
  size_t mask = vm->handle_cap - 1;
  size_t hole = (size_t)(e - vm->handles), i = hole;
  for (;;) {
    size_t home;
    i = (i + 1) & mask;
    if (vm->handles[i].id == 0)
      break;
    home = (size_t)hash_id(vm->handles[i].id) & mask;
    /* Move i into the hole unless its home lies cyclically in (hole, i]. */
    if (((i - home) & mask) >= ((i - hole) & mask)) {
      vm->handles[hole] = vm->handles[i];
      hole = i;
    }
  }
  memset(&vm->handles[hole], 0, sizeof(vm->handles[hole]));
  vm->handle_count--;
}

/* --- argument checks ------------------------------------------------------ */

rimport__vm *rimport__vm_from_context(const KaytonContext *ctx) {
  rimport__vm *vm;
  if (ctx == NULL || ctx->size != sizeof(KaytonContext) ||
      ctx->abi_version != KAYTON_API_ABI_VERSION || ctx->api != &vm_api ||
      ctx->host_data == NULL)
    return NULL;
  vm = ctx->host_data;
  if (vm->magic != VM_MAGIC || &vm->ctx != ctx)
    return NULL;
  return vm;
}

/* The VM of a call, locked, or NULL (the call is refused). */
static rimport__vm *vm_enter(KaytonContext *ctx) {
  rimport__vm *vm;
  if (vm_busy)
    return NULL;
  vm = rimport__vm_from_context(ctx);
  if (vm != NULL)
    uv_mutex_lock(&vm->lock);
  return vm;
}

static void vm_leave(rimport__vm *vm) {
  uv_mutex_unlock(&vm->lock);
}

/* A (pointer, length) name: non-empty, no NUL byte. */
static int name_ok(const char *name, size_t len) {
  return name != NULL && len > 0 && memchr(name, '\0', len) == NULL;
}

static void run_drop(kayton_drop_fn drop, void *ptr) {
  if (drop == NULL || ptr == NULL)
    return;
  vm_busy++;
  drop(ptr);
  vm_busy--;
}

/* --- KaytonApi ------------------------------------------------------------ */

static int32_t vm_register_kind(KaytonContext *ctx, const char *name,
                                size_t name_len, kayton_drop_fn drop,
                                KaytonKind *out) {
  rimport__vm *vm;
  vm_named *e;
  uint64_t hash;
  int32_t rc = KAYTON_OK;
  if (!name_ok(name, name_len) || out == NULL)
    return KAYTON_EINVAL;
  if ((vm = vm_enter(ctx)) == NULL)
    return KAYTON_EINVAL;
  hash = hash_bytes(name, name_len);
  e = names_find(&vm->kind_names, name, name_len, hash);
  if (e != NULL) {
    /* Registered before (this plugin in an earlier cell, or another plugin
     * exposing the same type, whose drop_box::<T> is another copy): the
     * first drop function stays, as kayton_api.h says. */
    *out = e->kind;
    vm_leave(vm);
    return KAYTON_OK;
  }
  if (vm->kind_count >= (size_t)UINT32_MAX - 1) {
    rc = KAYTON_ENOMEM;
  } else if (rimport__grow((void **)&vm->kinds, &vm->kind_cap,
                           vm->kind_count + 1, sizeof(*vm->kinds)) != 0) {
    rc = KAYTON_ENOMEM;
  } else if ((e = names_add(&vm->kind_names, name, name_len, hash)) == NULL) {
    rc = KAYTON_ENOMEM;
  } else {
    vm_kind *k = &vm->kinds[vm->kind_count];
    k->name = e->key; /* shared with the index; freed with it */
    k->len = name_len;
    k->drop = drop;
    e->kind = (KaytonKind)(++vm->kind_count);
    *out = e->kind;
  }
  vm_leave(vm);
  return rc;
}

static int kind_known(const rimport__vm *vm, KaytonKind kind) {
  return kind != 0 && (size_t)kind <= vm->kind_count;
}

static int32_t vm_set_global_ptr(KaytonContext *ctx, const char *name,
                                 size_t name_len, KaytonKind kind, void *ptr) {
  rimport__vm *vm;
  vm_named *e;
  uint64_t hash;
  int32_t rc = KAYTON_OK;
  if (!name_ok(name, name_len) || kind == 0)
    return KAYTON_EINVAL;
  if ((vm = vm_enter(ctx)) == NULL)
    return KAYTON_EINVAL;
  if (!kind_known(vm, kind)) {
    vm_leave(vm);
    return KAYTON_ENOTFOUND;
  }
  hash = hash_bytes(name, name_len);
  e = names_find(&vm->globals, name, name_len, hash);
  if (e == NULL)
    e = names_add(&vm->globals, name, name_len, hash);
  if (e == NULL) {
    rc = KAYTON_ENOMEM;
  } else {
    e->kind = kind;
    e->ptr = ptr;
  }
  vm_leave(vm);
  return rc;
}

static int32_t vm_get_global_ptr(KaytonContext *ctx, const char *name,
                                 size_t name_len, KaytonKind kind, void **out) {
  rimport__vm *vm;
  vm_named *e;
  int32_t rc = KAYTON_OK;
  if (!name_ok(name, name_len) || kind == 0 || out == NULL)
    return KAYTON_EINVAL;
  if ((vm = vm_enter(ctx)) == NULL)
    return KAYTON_EINVAL;
  e = names_find(&vm->globals, name, name_len, hash_bytes(name, name_len));
  if (e == NULL)
    rc = KAYTON_ENOTFOUND;
  else if (e->kind != kind)
    rc = KAYTON_EKIND;
  else
    *out = e->ptr;
  vm_leave(vm);
  return rc;
}

static int32_t vm_new_handle(KaytonContext *ctx, KaytonKind kind, void *ptr,
                             HKayRef *out) {
  rimport__vm *vm;
  vm_handle h;
  int32_t rc = KAYTON_OK;
  /* NULL is refused: drop functions are never called with NULL. */
  if (kind == 0 || ptr == NULL || out == NULL)
    return KAYTON_EINVAL;
  if ((vm = vm_enter(ctx)) == NULL)
    return KAYTON_EINVAL;
  if (!kind_known(vm, kind)) {
    rc = KAYTON_ENOTFOUND;
  } else if (handles_reserve(vm) != 0) {
    rc = KAYTON_ENOMEM;
  } else {
    h.id = vm->next_id++;
    h.ptr = ptr;
    h.refs = 1;
    h.kind = kind;
    handles_place(vm->handles, vm->handle_cap, &h);
    vm->handle_count++;
    *out = h.id;
  }
  vm_leave(vm);
  return rc;
}

static int32_t vm_get_handle(KaytonContext *ctx, HKayRef h, KaytonKind kind,
                             void **out) {
  rimport__vm *vm;
  vm_handle *e;
  int32_t rc = KAYTON_OK;
  if (kind == 0 || out == NULL)
    return KAYTON_EINVAL;
  if ((vm = vm_enter(ctx)) == NULL)
    return KAYTON_EINVAL;
  e = handles_find(vm, h);
  if (e == NULL)
    rc = KAYTON_ENOTFOUND;
  else if (e->kind != kind)
    rc = KAYTON_EKIND;
  else
    *out = e->ptr;
  vm_leave(vm);
  return rc;
}

static int32_t vm_retain_handle(KaytonContext *ctx, HKayRef h) {
  rimport__vm *vm;
  vm_handle *e;
  int32_t rc = KAYTON_OK;
  if ((vm = vm_enter(ctx)) == NULL)
    return KAYTON_EINVAL;
  e = handles_find(vm, h);
  if (e == NULL)
    rc = KAYTON_ENOTFOUND;
  else if (e->refs == UINT64_MAX)
    rc = KAYTON_EINVAL;
  else
    e->refs++;
  vm_leave(vm);
  return rc;
}

static int32_t vm_release_handle(KaytonContext *ctx, HKayRef h) {
  rimport__vm *vm;
  vm_handle *e;
  kayton_drop_fn drop = NULL;
  void *ptr = NULL;
  int32_t rc = KAYTON_OK;
  if ((vm = vm_enter(ctx)) == NULL)
    return KAYTON_EINVAL;
  e = handles_find(vm, h);
  if (e == NULL) {
    rc = KAYTON_ENOTFOUND;
  } else if (--e->refs == 0) {
    drop = vm->kinds[e->kind - 1].drop;
    ptr = e->ptr;
    handles_remove(vm, e);
  }
  vm_leave(vm);
  /* Outside the lock: other threads go on while the value is freed. */
  run_drop(drop, ptr);
  return rc;
}

static void replace_text(char **slot, const char *text, size_t len) {
  char *copy = rimport__strndup(text != NULL ? text : "", len);
  /* Out of memory: the old text goes; an absent text beats a stale one. */
  rimport__free(*slot);
  *slot = copy;
}

static void capture_stdout(rimport__vm *vm, const char *text, size_t len) {
  size_t room;
  if (vm->capture_truncated || len == 0)
    return;
  room = vm->capture.size < vm->capture_max ? vm->capture_max - vm->capture.size
                                            : 0;
  if (len <= room) {
    if (rimport__buf_put(&vm->capture, text, len) == 0)
      return;
    room = 0; /* out of memory: mark what we have as truncated */
  }
  if (room > 0)
    rimport__buf_put(&vm->capture, text, room);
  rimport__buf_puts(&vm->capture, RIMPORT__VM_TRUNCATED_MARKER);
  vm->capture_truncated = 1;
}

static void vm_report(KaytonContext *ctx, int32_t level, const char *text,
                      size_t len) {
  rimport__vm *vm;
  if ((text == NULL && len > 0) || level < KAYTON_REPORT_STDOUT ||
      level > KAYTON_REPORT_ERROR)
    return;
  if ((vm = vm_enter(ctx)) == NULL)
    return;
  if (text == NULL)
    text = "";
  if (level == KAYTON_REPORT_STDOUT) {
    capture_stdout(vm, text, len);
  } else {
    replace_text(&vm->last_diag, text, len);
    vm->last_diag_level = level;
  }
  if (vm->output != NULL) {
    /* Under the lock, so that output from several threads is not
     * interleaved and follows the capture's order. */
    vm_busy++;
    vm->output(level, text, len, vm->output_payload);
    vm_busy--;
  }
  vm_leave(vm);
}

static void vm_set_error(KaytonContext *ctx, const char *text, size_t len) {
  rimport__vm *vm;
  if (text == NULL && len > 0)
    return;
  if ((vm = vm_enter(ctx)) == NULL)
    return;
  replace_text(&vm->last_error, text, len);
  vm_leave(vm);
}

/* --- the host's side ------------------------------------------------------ */

int rimport__vm_new(rimport__vm **out) {
  rimport__vm *vm;
  if (out == NULL)
    return rimport__error_set(RIMPORT_EINVAL, "rimport__vm_new: NULL out");
  vm = rimport__calloc(1, sizeof(*vm));
  if (vm == NULL)
    return rimport__error_nomem();
  if (uv_mutex_init(&vm->lock) != 0) {
    rimport__free(vm);
    return rimport__error_set(RIMPORT_EINTERNAL,
                              "creating the VM: cannot create a mutex");
  }
  vm->magic = VM_MAGIC;
  vm->ctx.size = (uint32_t)sizeof(KaytonContext);
  vm->ctx.abi_version = KAYTON_API_ABI_VERSION;
  vm->ctx.host_data = vm;
  vm->ctx.api = &vm_api;
  vm->next_id = 1;
  vm->capture_max = RIMPORT__VM_CAPTURE_MAX;
  *out = vm;
  return 0;
}

static int by_id_desc(const void *a, const void *b) {
  HKayRef x = ((const vm_handle *)a)->id, y = ((const vm_handle *)b)->id;
  return x < y ? 1 : x > y ? -1 : 0;
}

void rimport__vm_free(rimport__vm *vm) {
  size_t i, n = 0;
  if (vm == NULL)
    return;
  /* Newest first (a later value may point into an earlier one); compact
   * the table in place and sort it, the order being the table's own if
   * that were impossible. */
  for (i = 0; i < vm->handle_cap; i++)
    if (vm->handles[i].id != 0)
      vm->handles[n++] = vm->handles[i];
  if (n > 1)
    qsort(vm->handles, n, sizeof(*vm->handles), by_id_desc);
  for (i = 0; i < n; i++)
    run_drop(vm->kinds[vm->handles[i].kind - 1].drop, vm->handles[i].ptr);
  rimport__free(vm->handles);
  rimport__free(vm->kinds); /* names belong to kind_names */
  names_dispose(&vm->kind_names);
  names_dispose(&vm->globals);
  rimport_buf_dispose(&vm->capture);
  rimport__free(vm->last_error);
  rimport__free(vm->last_diag);
  uv_mutex_destroy(&vm->lock);
  vm->magic = VM_MAGIC_DEAD;
  vm->ctx.host_data = NULL;
  rimport__free(vm);
}

KaytonContext *rimport__vm_context(rimport__vm *vm) {
  return vm != NULL ? &vm->ctx : NULL;
}

/* For the const accessors: the lock is not part of the VM's value. */
static void lock_const(const rimport__vm *vm) {
  uv_mutex_lock((uv_mutex_t *)&vm->lock);
}

static void unlock_const(const rimport__vm *vm) {
  uv_mutex_unlock((uv_mutex_t *)&vm->lock);
}

void rimport__vm_set_output(rimport__vm *vm, rimport__vm_output_fn fn,
                            void *payload) {
  if (vm == NULL)
    return;
  uv_mutex_lock(&vm->lock);
  vm->output = fn;
  vm->output_payload = payload;
  uv_mutex_unlock(&vm->lock);
}

void rimport__vm_set_capture_limit(rimport__vm *vm, size_t max) {
  if (vm == NULL)
    return;
  uv_mutex_lock(&vm->lock);
  vm->capture_max = max;
  uv_mutex_unlock(&vm->lock);
}

void rimport__vm_cell_begin(rimport__vm *vm) {
  if (vm == NULL)
    return;
  uv_mutex_lock(&vm->lock);
  rimport_buf_dispose(&vm->capture);
  vm->capture_truncated = 0;
  rimport__free(vm->last_error);
  vm->last_error = NULL;
  rimport__free(vm->last_diag);
  vm->last_diag = NULL;
  vm->last_diag_level = 0;
  uv_mutex_unlock(&vm->lock);
}

const char *rimport__vm_cell_stdout(const rimport__vm *vm, size_t *len) {
  const char *s = "";
  size_t n = 0;
  if (vm != NULL) {
    lock_const(vm);
    if (vm->capture.ptr != NULL) {
      s = vm->capture.ptr;
      n = vm->capture.size;
    }
    unlock_const(vm);
  }
  if (len != NULL)
    *len = n;
  return s;
}

const char *rimport__vm_last_error(const rimport__vm *vm) {
  const char *s;
  if (vm == NULL)
    return NULL;
  lock_const(vm);
  s = vm->last_error;
  unlock_const(vm);
  return s;
}

const char *rimport__vm_last_diagnostic(const rimport__vm *vm, int32_t *level) {
  const char *s;
  if (vm == NULL)
    return NULL;
  lock_const(vm);
  s = vm->last_diag;
  if (level != NULL && s != NULL)
    *level = vm->last_diag_level;
  unlock_const(vm);
  return s;
}

int rimport__vm_kind_by_name(const rimport__vm *vm, const char *name,
                             KaytonKind *out) {
  vm_named *e;
  size_t len;
  if (vm == NULL || name == NULL || out == NULL || *name == '\0')
    return RIMPORT_EINVAL;
  len = strlen(name);
  lock_const(vm);
  e = names_find(&vm->kind_names, name, len, hash_bytes(name, len));
  if (e != NULL)
    *out = e->kind;
  unlock_const(vm);
  return e != NULL ? 0 : RIMPORT_ENOTFOUND;
}

const char *rimport__vm_kind_name(const rimport__vm *vm, KaytonKind kind) {
  const char *s = NULL;
  if (vm == NULL)
    return NULL;
  lock_const(vm);
  if (kind_known(vm, kind))
    s = vm->kinds[kind - 1].name;
  unlock_const(vm);
  return s;
}

size_t rimport__vm_live_handles(const rimport__vm *vm) {
  size_t n;
  if (vm == NULL)
    return 0;
  lock_const(vm);
  n = vm->handle_count;
  unlock_const(vm);
  return n;
}

int rimport__vm_global(const rimport__vm *vm, const char *name,
                       KaytonKind *kind, void **ptr) {
  vm_named *e;
  size_t len;
  int rc = RIMPORT_ENOTFOUND;
  if (vm == NULL || name == NULL || kind == NULL || ptr == NULL)
    return RIMPORT_EINVAL;
  len = strlen(name);
  lock_const(vm);
  e = names_find(&vm->globals, name, len, hash_bytes(name, len));
  if (e != NULL) {
    *kind = e->kind;
    *ptr = e->ptr;
    rc = 0;
  }
  unlock_const(vm);
  return rc;
}

void rimport__vm_counts(const rimport__vm *vm, size_t *kinds, size_t *globals) {
  size_t k = 0, g = 0;
  if (vm != NULL) {
    lock_const(vm);
    k = vm->kind_count;
    g = vm->globals.count;
    unlock_const(vm);
  }
  if (kinds != NULL)
    *kinds = k;
  if (globals != NULL)
    *globals = g;
}

int rimport__vm_handle_refs(const rimport__vm *vm, HKayRef h, uint64_t *out) {
  vm_handle *e;
  if (vm == NULL || out == NULL)
    return RIMPORT_EINVAL;
  lock_const(vm);
  e = handles_find(vm, h);
  if (e != NULL)
    *out = e->refs;
  unlock_const(vm);
  return e != NULL ? 0 : RIMPORT_ENOTFOUND;
}

int rimport__vm_handle_kind(const rimport__vm *vm, HKayRef h, KaytonKind *out) {
  vm_handle *e;
  if (vm == NULL || out == NULL)
    return RIMPORT_EINVAL;
  lock_const(vm);
  e = handles_find(vm, h);
  if (e != NULL)
    *out = e->kind;
  unlock_const(vm);
  return e != NULL ? 0 : RIMPORT_ENOTFOUND;
}
