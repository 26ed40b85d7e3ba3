/* The public calls of include/rimport/call.h: the item from the session's
 * API indexes, its thunk from the loaded plugin of its crate, the
 * session's context, and the core (invoke.c). */
#include <string.h>

#include "dyncall.h"
#include "../api/api.h"
#include "../load/load.h"
#include "../session.h"
#include "../stack/stack.h"

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
  rimport__dyncall_target t;
  rimport__dyncall_state *st, *own = NULL;
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
  memset(&t, 0, sizeof(t));
  t.ctx = rimport_session_context(s);
  t.vm = rimport__session_vm(s);
  if ((rc = find_thunk(s, item, &t)) != 0)
    return rc;
  if ((st = rimport__dyncall_context_state(t.ctx)) == NULL) {
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
  if ((rc = rimport_call_lookup(s, path, &item)) != 0)
    return rc;
  return rimport_call_item(s, item, args, nargs, result);
}
