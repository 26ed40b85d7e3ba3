/* The public calls of include/rimport/call.h: the item from the session's
 * API indexes, its thunk from the loaded plugin of its crate, the
 * session's context, and the core (invoke.c). */
#include <stdint.h>
#include <string.h>

#include "dyncall.h"
#include "../api/api.h"
#include "../load/load.h"
#include "../session.h"
#include "../stack/stack.h"

/* --- the session's memo (dyncall.h) ------------------------------------- */

/* One remembered item (key: the descriptor's address; descriptors live as
 * long as the session) or name (key: a copy of the text). */
typedef struct memo_entry {
  const void *item_key; /* items: the descriptor; NULL: empty or a name */
  char *name_key;       /* names: the path or name called */
  uint64_t hash;
  size_t seen;                    /* items: loaded plugins; names: stack */
  unsigned long generation;       /* names: the bindings' generation */
  const rimport_api_item *item;   /* names: what it named */
  rimport__dyncall_target target; /* items: thunk and free_value */
} memo_entry;

typedef struct memo_table {
  memo_entry *slots;
  size_t cap, count; /* cap: 0 or a power of two */
} memo_table;

struct rimport__dyncall_memo {
  memo_table items, names;
  KaytonContext *ctx;         /* the context whose state `st` is */
  rimport__dyncall_state *st; /* NULL: not found yet, or none kept */
};

int rimport__dyncall_memo_new(rimport__dyncall_memo **out) {
  if ((*out = rimport__calloc(1, sizeof(**out))) == NULL)
    return rimport__error_nomem();
  return 0;
}

static void table_dispose(memo_table *t) {
  size_t i;
  for (i = 0; i < t->cap; i++)
    rimport__free(t->slots[i].name_key);
  rimport__free(t->slots);
}

void rimport__dyncall_memo_free(rimport__dyncall_memo *m) {
  if (m == NULL)
    return;
  table_dispose(&m->items);
  table_dispose(&m->names);
  rimport__free(m);
}

static uint64_t hash_pointer(const void *p) {
  return ((uint64_t)(uintptr_t)p >> 3) * UINT64_C(0x9e3779b97f4a7c15);
}

static uint64_t hash_text(const char *s) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (; *s != '\0'; s++)
    h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
  return h;
}

static int entry_is(const memo_entry *e, const void *item_key,
                    const char *name_key, uint64_t hash) {
  if (e->hash != hash)
    return 0;
  if (item_key != NULL)
    return e->item_key == item_key;
  return e->name_key != NULL && name_key != NULL &&
         strcmp(e->name_key, name_key) == 0;
}

/* The slot of the key, or the empty slot where it would go. */
static memo_entry *table_slot(const memo_table *t, const void *item_key,
                              const char *name_key, uint64_t hash) {
  size_t i = (size_t)hash & (t->cap - 1);
  while (t->slots[i].item_key != NULL || t->slots[i].name_key != NULL) {
    if (entry_is(&t->slots[i], item_key, name_key, hash))
      break;
    i = (i + 1) & (t->cap - 1);
  }
  return &t->slots[i];
}

static memo_entry *table_find(const memo_table *t, const void *item_key,
                              const char *name_key, uint64_t hash) {
  memo_entry *e;
  if (t->cap == 0)
    return NULL;
  e = table_slot(t, item_key, name_key, hash);
  return e->item_key != NULL || e->name_key != NULL ? e : NULL;
}

/* The entry of the key, made (empty but for its key) when new; NULL when
 * memory runs out (the call goes on without remembering). */
static memo_entry *table_put(memo_table *t, const void *item_key,
                             const char *name_key, uint64_t hash) {
  memo_entry *e;
  if (2 * (t->count + 1) > t->cap) { /* at most half full */
    memo_table bigger;
    size_t i;
    bigger.cap = t->cap ? 2 * t->cap : 16;
    bigger.count = t->count;
    if ((bigger.slots = rimport__calloc(bigger.cap, sizeof(memo_entry))) ==
        NULL)
      return NULL;
    for (i = 0; i < t->cap; i++)
      if (t->slots[i].item_key != NULL || t->slots[i].name_key != NULL)
        *table_slot(&bigger, t->slots[i].item_key, t->slots[i].name_key,
                    t->slots[i].hash) = t->slots[i];
    rimport__free(t->slots);
    *t = bigger;
  }
  e = table_slot(t, item_key, name_key, hash);
  if (e->item_key == NULL && e->name_key == NULL) {
    if (name_key != NULL && (e->name_key = rimport__strdup(name_key)) == NULL)
      return NULL;
    e->item_key = item_key;
    e->hash = hash;
    t->count++;
  }
  return e;
}

/* --- the calls ------------------------------------------------------------ */

/* Non-zero when a plugin the session has built or found imports the
 * crate named by the first n bytes of `name`. */
static int crate_imported(const rimport__stack *st, const char *name,
                          size_t n) {
  size_t i, count = rimport__stack_count(st);
  for (i = 0; i < count; i++) {
    const char *crate = rimport__stack_at(st, i)->crate;
    if (strlen(crate) == n && strncmp(crate, name, n) == 0)
      return 1;
  }
  return 0;
}

int rimport_call_lookup(rimport_session *s, const char *path,
                        const rimport_api_item **out) {
  const char *p, *sep;
  int rc;
  if (out != NULL)
    *out = NULL;
  if (s == NULL || path == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_call_lookup: session, path and out "
                              "are needed");
  p = strncmp(path, "::", 2) == 0 ? path + 2 : path;
  sep = strstr(p, "::");
  if (crate_imported(rimport__session_stack(s), p,
                     sep ? (size_t)(sep - p) : strlen(p)))
    rc = rimport_api_lookup(s, path, out);
  else
    rc = rimport_api_lookup_name(s, path, out);
  if (rc != 0)
    return rc;
  if ((*out)->kind != RIMPORT_API_FUNCTION) {
    rc = rimport__error_set(
        RIMPORT_EINVAL,
        "calling `%s`: it is the %s %s, not a function; dynamic calls call "
        "functions, methods and associated functions",
        path, (*out)->kind_name ? (*out)->kind_name : "item", (*out)->path);
    *out = NULL;
  }
  return rc;
}

/* The thunk of `item` and its plugin's free function, from the latest
 * loaded plugin of the item's crate that has the thunk. */
static int find_thunk(rimport_session *s, const rimport_api_item *item,
                      rimport__dyncall_target *t) {
  rimport__loader *ld = rimport__session_loader(s);
  const rimport__loaded *last = NULL;
  rimport_buf sym = RIMPORT_BUF_INIT;
  size_t i;
  int rc;
  if ((rc = rimport__api_thunk_symbol(item->path, &sym)) != 0)
    return rc;
  for (i = rimport__loader_count(ld); i-- > 0;) {
    const rimport__loaded *p = rimport__loader_at(ld, i);
    void *thunk, *free_value;
    if (item->crate == NULL || strcmp(p->crate, item->crate) != 0)
      continue;
    if (last == NULL)
      last = p;
    if ((thunk = rimport__loader_symbol(ld, p->key, sym.ptr)) == NULL)
      continue;
    t->thunk = thunk;
    free_value = rimport__loader_symbol(ld, p->key, "kayton_plugin_free_value");
    if (free_value != NULL)
      memcpy(&t->free_value, &free_value, sizeof(free_value));
    rimport_buf_dispose(&sym);
    return 0;
  }
  if (last == NULL)
    rc = rimport__error_set(
        RIMPORT_ENOTFOUND,
        "calling `%s`: the plugin of the crate `%s` is not loaded in this "
        "session; load it first (rimport_load and rimport_register after "
        "rimport_build; the REPL does it when a cell that imports the "
        "crate runs)",
        item->path, item->crate ? item->crate : "?");
  else
    rc = rimport__error_set(
        RIMPORT_ENOTFOUND,
        "calling `%s`: the plugin of `%s` (%s) has no thunk for it (no "
        "symbol %s): its signature is not one the thunk ABI represents, "
        "or the plugin was built before plugins had thunks; rebuild it "
        "(rimport cache clear %s, then import it again)",
        item->path, last->crate, last->key, sym.ptr, last->crate);
  rimport_buf_dispose(&sym);
  return rc;
}

int rimport_call_item(rimport_session *s, const rimport_api_item *item,
                      const rimport_value *args, size_t nargs,
                      rimport_value *result) {
  rimport__dyncall_memo *m;
  rimport__dyncall_target t;
  rimport__dyncall_state *st, *own = NULL;
  memo_entry *e;
  size_t loaded;
  uint64_t hash;
  int rc;
  if (result != NULL) {
    memset(result, 0, sizeof(*result));
    result->tag = RIMPORT_VALUE_UNIT;
  }
  if (s == NULL || item == NULL || result == NULL ||
      (nargs > 0 && args == NULL))
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_call: session, item (or path), "
                              "arguments and result are needed");
  /* What no thunk can take is refused before the plugin is looked at. */
  if ((rc = rimport__dyncall_check(item)) != 0)
    return rc;
  m = rimport__session_dyncall(s);
  loaded = rimport__loader_count(rimport__session_loader(s));
  hash = hash_pointer(item);
  if ((e = table_find(&m->items, item, NULL, hash)) != NULL &&
      e->seen == loaded)
    t = e->target;
  else {
    memset(&t, 0, sizeof(t));
    t.ctx = rimport_session_context(s);
    t.vm = rimport__session_vm(s);
    if ((rc = find_thunk(s, item, &t)) != 0)
      return rc;
    if ((e = table_put(&m->items, item, NULL, hash)) != NULL) {
      e->seen = loaded;
      e->target = t;
    }
  }
  if (m->st == NULL || m->ctx != t.ctx) {
    m->ctx = t.ctx;
    m->st = rimport__dyncall_context_state(t.ctx);
  }
  if ((st = m->st) == NULL) {
    /* A context that keeps no state: one for this call. */
    if ((rc = rimport__dyncall_state_new(&own)) != 0)
      return rc;
    st = own;
  }
  rc = rimport__dyncall_invoke(st, item, &t, args, nargs, result);
  rimport__dyncall_state_free(own);
  return rc;
}

int rimport_call(rimport_session *s, const char *path,
                 const rimport_value *args, size_t nargs,
                 rimport_value *result) {
  const rimport_api_item *item = NULL;
  rimport__dyncall_memo *m;
  memo_entry *e;
  unsigned long generation;
  size_t stack;
  uint64_t hash;
  int rc;
  if (result != NULL) {
    memset(result, 0, sizeof(*result));
    result->tag = RIMPORT_VALUE_UNIT;
  }
  if (s == NULL || path == NULL || result == NULL ||
      (nargs > 0 && args == NULL))
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_call: session, path, arguments and "
                              "result are needed");
  m = rimport__session_dyncall(s);
  generation = rimport__api_generation(rimport__session_api(s));
  stack = rimport__stack_count(rimport__session_stack(s));
  hash = hash_text(path);
  if ((e = table_find(&m->names, NULL, path, hash)) != NULL &&
      e->seen == stack && e->generation == generation && e->item != NULL)
    item = e->item;
  else {
    if ((rc = rimport_call_lookup(s, path, &item)) != 0)
      return rc;
    if ((e = table_put(&m->names, NULL, path, hash)) != NULL) {
      e->seen = stack;
      e->generation = generation;
      e->item = item;
    }
  }
  return rimport_call_item(s, item, args, nargs, result);
}
