/* A dyncall state: the ffi_cif of every C signature called so far, and
 * where a session keeps its state (a global of its context). */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <ffi.h>
#include <stddef.h>
#include <string.h>
#include <uv.h>

#include "dyncall.h"
#include "state.h"

struct rimport__dyncall_state {
  /* Guards the table: a host may hand one context (and so one state) to
   * sessions on different threads. A cif, once made, is only read. */
  uv_mutex_t lock;
  rimport__dyncall_cif **cifs; /* each allocated once: a cif never moves */
  size_t count, cap;
  size_t prepared;
};

int rimport__dyncall_state_new(rimport__dyncall_state **out) {
  if ((*out = rimport__calloc(1, sizeof(**out))) == NULL)
    return rimport__error_nomem();
  if (uv_mutex_init(&(*out)->lock) != 0) {
    rimport__free(*out);
    *out = NULL;
    return rimport__error_set(RIMPORT_ENOMEM,
                              "making the lock of a dyncall state failed");
  }
  return 0;
}

void rimport__dyncall_state_free(rimport__dyncall_state *st) {
  size_t i;
  if (st == NULL)
    return;
  for (i = 0; i < st->count; i++) {
    rimport__free(st->cifs[i]->key);
    rimport__free(st->cifs[i]->types);
    rimport__free(st->cifs[i]);
  }
  rimport__free(st->cifs);
  uv_mutex_destroy(&st->lock);
  rimport__free(st);
}

size_t rimport__dyncall_prepared(rimport__dyncall_state *st) {
  size_t n;
  if (st == NULL)
    return 0;
  uv_mutex_lock(&st->lock);
  n = st->prepared;
  uv_mutex_unlock(&st->lock);
  return n;
}

static ffi_type *size_type(void) {
  return sizeof(size_t) == 8 ? &ffi_type_uint64 : &ffi_type_uint32;
}

static ffi_type *c_type(char c) {
  switch (c) {
  case RIMPORT__DYNCALL_C_HANDLE:
    return &ffi_type_uint64;
  case RIMPORT__DYNCALL_C_I64:
    return &ffi_type_sint64;
  case RIMPORT__DYNCALL_C_F64:
    return &ffi_type_double;
  case RIMPORT__DYNCALL_C_BOOL:
    return &ffi_type_sint32;
  case RIMPORT__DYNCALL_C_PTR:
    return &ffi_type_pointer;
  case RIMPORT__DYNCALL_C_SIZE:
    return size_type();
  default:
    return NULL;
  }
}

static int cif_get(rimport__dyncall_state *st, const char *key,
                   rimport__dyncall_cif **out) {
  rimport__dyncall_cif *e;
  size_t i, n = strlen(key);
  ffi_status status;
  int rc;
  for (i = 0; i < st->count; i++)
    if (strcmp(st->cifs[i]->key, key) == 0) {
      *out = st->cifs[i];
      return 0;
    }
  if ((rc = rimport__grow((void **)&st->cifs, &st->cap, st->count + 1,
                          sizeof(*st->cifs))) != 0)
    return rc;
  if ((e = rimport__calloc(1, sizeof(*e))) == NULL ||
      (e->key = rimport__strdup(key)) == NULL ||
      (e->types = rimport__calloc(n + 2, sizeof(*e->types))) == NULL) {
    if (e != NULL)
      rimport__free(e->key);
    rimport__free(e);
    return rimport__error_nomem();
  }
  /* KaytonContext *ctx, KaytonValue *out, then the key's parameters */
  e->types[0] = &ffi_type_pointer;
  e->types[1] = &ffi_type_pointer;
  for (i = 0; i < n; i++)
    if ((e->types[i + 2] = c_type(key[i])) == NULL)
      break;
  status = i < n ? FFI_BAD_TYPEDEF
                 : ffi_prep_cif(&e->cif, FFI_DEFAULT_ABI, (unsigned)(n + 2),
                                &ffi_type_sint32, e->types);
  if (status != FFI_OK) {
    rimport__free(e->key);
    rimport__free(e->types);
    rimport__free(e);
    return rimport__error_set(RIMPORT_EINTERNAL,
                              "preparing the libffi call interface of a "
                              "thunk with C parameters \"%s\" failed "
                              "(ffi_prep_cif status %d); please report it",
                              key, (int)status);
  }
  st->cifs[st->count++] = e;
  st->prepared++;
  *out = e;
  return 0;
}

int rimport__dyncall_cif_get(rimport__dyncall_state *st, const char *key,
                             rimport__dyncall_cif **out) {
  int rc;
  uv_mutex_lock(&st->lock);
  rc = cif_get(st, key, out);
  uv_mutex_unlock(&st->lock);
  return rc;
}

/* --- the session's state, kept by its context --------------------------- */

#define STATE_NAME "rimport.dyncall"

/* Whether the host's table has function `f` (kayton_api.h: check the size
 * before calling). */
#define HAS(api, f)                                                            \
  ((api)->size >= offsetof(KaytonApi, f) + sizeof((api)->f) && (api)->f != NULL)

static void drop_state(void *p) {
  rimport__dyncall_state_free(p);
}

rimport__dyncall_state *rimport__dyncall_context_state(KaytonContext *ctx) {
  const KaytonApi *api;
  rimport__dyncall_state *st = NULL;
  KaytonKind kind = 0;
  HKayRef h = 0;
  void *p = NULL;
  size_t len = strlen(STATE_NAME);
  if (ctx == NULL || (api = ctx->api) == NULL || !HAS(api, register_kind) ||
      !HAS(api, get_global_ptr) || !HAS(api, set_global_ptr) ||
      !HAS(api, new_handle) || !HAS(api, release_handle))
    return NULL;
  if (api->register_kind(ctx, STATE_NAME, len, drop_state, &kind) != KAYTON_OK)
    return NULL;
  if (api->get_global_ptr(ctx, STATE_NAME, len, kind, &p) == KAYTON_OK &&
      p != NULL)
    return p;
  if (rimport__dyncall_state_new(&st) != 0)
    return NULL;
  if (api->new_handle(ctx, kind, st, &h) != KAYTON_OK) {
    rimport__dyncall_state_free(st);
    return NULL;
  }
  /* From here the handle owns the state. */
  if (api->set_global_ptr(ctx, STATE_NAME, len, kind, st) != KAYTON_OK) {
    api->release_handle(ctx, h);
    return NULL;
  }
  return st;
}
