/* The names cells have in scope (cell.h): every name a plan binds, as the
 * path of the plugin item it stands for, and every item a cell defines, as
 * its path in that cell's crate (compile.c adds those). */
#include <string.h>

#include "cell_internal.h"
#include "../gen/gen.h"

int rimport__cell_scope_set(rimport__cell_state *st, const char *name,
                            const char *path, int alias, long cell) {
  size_t i;
  char *p = rimport__strdup(path);
  int rc;
  if (p == NULL)
    return rimport__error_nomem();
  for (i = 0; i < st->count; i++)
    if (strcmp(st->names[i].name, name) == 0) {
      rimport__free(st->names[i].path);
      st->names[i].path = p;
      st->names[i].alias = alias;
      st->names[i].cell = cell;
      st->names[i].always = 0;
      return 0;
    }
  if ((rc = rimport__grow((void **)&st->names, &st->cap, st->count + 1,
                          sizeof(*st->names))) != 0) {
    rimport__free(p);
    return rc;
  }
  if ((st->names[st->count].name = rimport__strdup(name)) == NULL) {
    rimport__free(p);
    return rimport__error_nomem();
  }
  st->names[st->count].path = p;
  st->names[st->count].cell = cell;
  st->names[st->count].always = 0;
  st->names[st->count++].alias = alias;
  return 0;
}

void rimport__cell_scope_always(rimport__cell_state *st, const char *name) {
  size_t i;
  for (i = 0; i < st->count; i++)
    if (strcmp(st->names[i].name, name) == 0)
      st->names[i].always = 1;
}

/* path = "::<plugin>::<part>::" + module "::" (module may be NULL). */
static int item_path(rimport_buf *path, const char *plugin, const char *part,
                     const char *module) {
  rimport__buf_clear(path);
  if (module != NULL)
    return rimport__buf_printf(path, "::%s::%s::%s::", plugin, part, module);
  return rimport__buf_printf(path, "::%s::%s::", plugin, part);
}

/* Is the item requested plain (not only as generic instances)? */
static int requested_plain(const rimport_plugin *p, const rimport_binding *b) {
  size_t k;
  for (k = 0; k < p->item_count; k++)
    if (p->items[k].shape_count == 0 &&
        strcmp(p->items[k].name, b->item) == 0 &&
        ((p->items[k].module == NULL && b->module == NULL) ||
         (p->items[k].module && b->module &&
          strcmp(p->items[k].module, b->module) == 0)))
      return 1;
  return 0;
}

static int add_binding(rimport__cell_state *st, const rimport_plugin *p,
                       const rimport_binding *b, rimport_buf *path,
                       rimport_buf *key) {
  int rc;
  if (b->item == NULL) { /* `rimport crate [as name]`: the whole crate */
    rimport__buf_clear(path);
    rc = rimport__buf_printf(path, "::%s::exports", p->plugin);
    return rc != 0 ? rc
                   : rimport__cell_scope_set(st, b->name, path->ptr, 1, -1);
  }
  if (!requested_plain(p, b))
    return 0; /* instances are bound by their own names */
  if ((rc = item_path(path, p->plugin, "items", b->module)) != 0)
    return rc;
  if (strcmp(b->item, "*") == 0) { /* globs have no name: keyed by path */
    rimport__buf_clear(key);
    if ((rc = rimport__buf_puts(path, "*")) != 0 ||
        (rc = rimport__buf_printf(key, "*%s", path->ptr)) != 0)
      return rc;
    return rimport__cell_scope_set(st, key->ptr, path->ptr, 0, -1);
  }
  if ((rc = rimport__buf_puts(path, b->item)) != 0)
    return rc;
  return rimport__cell_scope_set(st, b->name, path->ptr, 1, -1);
}

int rimport__cell_scope_add(rimport__cell_state *st,
                            const rimport_cell_plan *plan) {
  rimport_buf path = RIMPORT_BUF_INIT, name = RIMPORT_BUF_INIT;
  size_t i, j;
  int rc = 0;
  for (i = 0; rc == 0 && i < rimport_cell_plan_count(plan); i++) {
    const rimport_plugin *p = &rimport_cell_plan_array(plan)[i];
    for (j = 0; rc == 0 && j < p->binding_count; j++)
      rc = add_binding(st, p, &p->bindings[j], &path, &name);
    /* Generic instances: `largest[i64]` is `largest__i64`. */
    for (j = 0; rc == 0 && j < p->item_count; j++) {
      const rimport_plugin_item *it = &p->items[j];
      if (it->shape_count == 0)
        continue;
      if ((rc = rimport__gen_instance_name(it, &name)) == 0 &&
          (rc = item_path(&path, p->plugin, "inst", it->module)) == 0 &&
          (rc = rimport__buf_puts(&path, name.ptr)) == 0)
        rc = rimport__cell_scope_set(st, name.ptr, path.ptr, 0, -1);
    }
  }
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&name);
  return rc;
}
