/* rimport_plan: descriptors → plugins with keys (DESIGN.md "plan"). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "../common/fs.h"
#include "../common/names.h"
#include "../platform.h"
#include "../session.h"
#include "../stack/stack.h"

/* A plugin while it is being put together. */
typedef struct crate_acc {
  rimport_plugin *pub; /* the plan's entry */
  char *name;          /* Rust crate name */
  const rimport_import *first;
  const char *version, *path, *package; /* as written (path: not resolved) */
  int default_features;                 /* -1: not said */
  const rimport_import *version_by, *path_by, *package_by, *dflt_by;
  const char **features;
  size_t feature_count, feature_cap;
  rimport_plugin_item *items;
  rimport_span *item_spans; /* the statement of each of items */
  size_t item_count, item_cap, span_cap;
  rimport_binding *bindings;
  size_t binding_count, binding_cap;
  const rimport__committed *committed;
  /* A plugin of the stack links the crate (then this plan records nothing
   * about it: the stack is the record), and the copy this plugin takes as
   * it is loaded, or NULL (adopt.c). */
  int loaded;
  const rimport__adopted *adopted;
} crate_acc;

/* What a session has fixed so far (plan.h). */
struct rimport__plan_state {
  rimport__committed *committed;
  size_t count, cap;
  unsigned int plans; /* plans made so far, for "cell N" */
  unsigned long id;   /* tells its plans from other states' */
};

typedef struct planner {
  rimport__plan_state *state;
  const rimport__stack *stack;
  rimport_cell_plan *plan;
  rimport__arena *arena;
  const rimport_import *imports;
  size_t count;
  crate_acc *accs;
  size_t acc_count, acc_cap;
  const char *base_dir;
} planner;

/* "<origin>, line 3: `rimport x`", in the plan's arena. */
static char *describe(planner *pl, const rimport_import *imp) {
  rimport_buf b = RIMPORT_BUF_INIT;
  char *s = NULL;
  int rc;
  if (imp->statement != NULL && imp->span.line > 0)
    rc = rimport__buf_printf(&b, "%s, line %u: `%s`", pl->plan->origin,
                             imp->span.line, imp->statement);
  else if (imp->statement != NULL)
    rc = rimport__buf_printf(&b, "%s: `%s`", pl->plan->origin, imp->statement);
  else
    rc =
        rimport__buf_printf(&b, "%s, import %zu (crate `%s`)", pl->plan->origin,
                            (size_t)(imp - pl->imports) + 1, imp->crate);
  if (rc == 0)
    s = rimport__arena_strndup(pl->arena, b.ptr, b.size);
  rimport_buf_dispose(&b);
  return s;
}

static int invalid(planner *pl, const rimport_import *imp, const char *field,
                   const char *value, const char *why) {
  return rimport__error_set(
      RIMPORT_EINVAL,
      "rimport_plan: import %zu of %s: %s \"%s\": %s; fix the descriptor (the "
      "parser enforces the same rules)",
      (size_t)(imp - pl->imports) + 1, pl->plan->origin, field,
      value ? value : "(null)", why);
}

/* The rules rimport_parse enforces, for descriptors a front-end made. */
static int check_import(planner *pl, const rimport_import *imp) {
  const char *why;
  size_t i, j;
  if (imp->kind != RIMPORT_IMPORT_CRATE && imp->kind != RIMPORT_IMPORT_ITEMS)
    return invalid(pl, imp, "kind", "?", "it is neither CRATE nor ITEMS");
  if (imp->crate == NULL)
    return invalid(pl, imp, "crate", NULL, "it is missing");
  if ((why = rimport__check_crate_name(imp->crate, strlen(imp->crate))))
    return invalid(pl, imp, "crate name", imp->crate, why);
  if (imp->alias &&
      (why = rimport__check_ident(imp->alias, strlen(imp->alias))))
    return invalid(pl, imp, "alias", imp->alias, why);
  if (imp->module &&
      (why = rimport__check_module_path(imp->module, strlen(imp->module))))
    return invalid(pl, imp, "module path", imp->module, why);
  if (imp->version &&
      (why = rimport__check_version_req(imp->version, strlen(imp->version))))
    return invalid(pl, imp, "version", imp->version, why);
  if (imp->path && (why = rimport__check_path(imp->path, strlen(imp->path))))
    return invalid(pl, imp, "path", imp->path, why);
  if (imp->version && imp->path)
    return invalid(pl, imp, "path", imp->path,
                   "it is given together with a version; give one of them");
  if (imp->package &&
      (why = rimport__check_crate_name(imp->package, strlen(imp->package))))
    return invalid(pl, imp, "package", imp->package, why);
  if (imp->feature_count > 0 && imp->features == NULL)
    return invalid(pl, imp, "features", NULL, "it is NULL with a count");
  for (i = 0; i < imp->feature_count; i++) {
    const char *f = imp->features[i];
    if (f == NULL || (why = rimport__check_feature(f, strlen(f))))
      return invalid(pl, imp, "feature", f, f ? why : "it is NULL");
  }
  if (imp->default_features != RIMPORT_UNSET &&
      imp->default_features != RIMPORT_FALSE &&
      imp->default_features != RIMPORT_TRUE)
    return invalid(pl, imp, "default_features", "?",
                   "it is not RIMPORT_UNSET, RIMPORT_FALSE or RIMPORT_TRUE");
  if (imp->kind == RIMPORT_IMPORT_CRATE)
    return (imp->item_count || imp->module)
               ? invalid(pl, imp, "crate", imp->crate,
                         "it is a whole-crate import with items or a module")
               : 0;
  if (imp->alias)
    return invalid(pl, imp, "alias", imp->alias,
                   "it is set on an ITEMS import (items carry their aliases)");
  if (imp->item_count == 0 || imp->items == NULL)
    return invalid(pl, imp, "items", NULL, "they are missing (an empty list)");
  for (i = 0; i < imp->item_count; i++) {
    const rimport_item *it = &imp->items[i];
    int glob = it->name && strcmp(it->name, "*") == 0;
    if (it->name == NULL)
      return invalid(pl, imp, "item", NULL, "it has no name");
    if (!glob && (why = rimport__check_ident(it->name, strlen(it->name))))
      return invalid(pl, imp, "item", it->name, why);
    if (glob && (it->alias || it->shape_count))
      return invalid(pl, imp, "item", "*",
                     "it is a glob with an alias or generic arguments");
    if (it->alias && (why = rimport__check_ident(it->alias, strlen(it->alias))))
      return invalid(pl, imp, "item alias", it->alias, why);
    if (it->shape_count > 0 && it->shapes == NULL)
      return invalid(pl, imp, "item", it->name,
                     "it has shapes NULL with count");
    for (j = 0; j < it->shape_count; j++)
      if (rimport_shape_name(it->shapes[j]) == NULL)
        return invalid(pl, imp, "item", it->name,
                       "it has a generic argument that is not a rimport_shape");
  }
  return 0;
}

static char *rust_name(rimport__arena *a, const char *crate) {
  char *s = rimport__arena_strdup(a, crate), *p;
  for (p = s; p && *p; p++)
    if (*p == '-')
      *p = '_';
  return s;
}

/* Says that `imp` contradicts an earlier statement (old_desc) of the same
 * crate. new_said/old_said are phrases: `asks for version "0.12"`. */
static int conflict(planner *pl, const char *crate, const rimport_import *imp,
                    const char *new_said, const char *old_desc,
                    const char *old_said, int across_cells) {
  char *desc = describe(pl, imp);
  return rimport__error_set(
      RIMPORT_ECONFLICT,
      "conflicting imports of the crate `%s`: %s %s, but %s %s. A crate has "
      "one source, version and feature set in a session: make the statements "
      "agree (or leave the setting out of the later one)%s",
      crate, desc ? desc : "an import", new_said,
      old_desc ? old_desc : "an earlier import", old_said,
      across_cells ? ", or restart the session to change it" : "");
}

static crate_acc *find_acc(planner *pl, const char *name) {
  size_t i;
  for (i = 0; i < pl->acc_count; i++)
    if (strcmp(pl->accs[i].name, name) == 0)
      return &pl->accs[i];
  return NULL;
}

/* `verb what "value"`, or `verb no what` for NULL. */
static int say(rimport_buf *b, const char *verb, const char *what,
               const char *v) {
  rimport__buf_clear(b);
  return v ? rimport__buf_printf(b, "%s %s \"%s\"", verb, what, v)
           : rimport__buf_printf(b, "%s no %s", verb, what);
}

/* A setting two statements both give must be the same. */
static int settings_conflict(planner *pl, const char *crate,
                             const rimport_import *imp, const char *what,
                             const char *want, const char *old_desc,
                             const char *have, int across_cells) {
  rimport_buf a = RIMPORT_BUF_INIT, b = RIMPORT_BUF_INIT;
  int rc = rimport__error_nomem();
  if (say(&a, "asks for", what, want) == 0 &&
      say(&b, across_cells ? "asked for" : "asks for", what, have) == 0)
    rc = conflict(pl, crate, imp, a.ptr, old_desc, b.ptr, across_cells);
  rimport_buf_dispose(&a);
  rimport_buf_dispose(&b);
  return rc;
}

/* Merges a setting within this cell: unset takes the other's value; two
 * different values conflict. */
static int merge_str(planner *pl, crate_acc *acc, const rimport_import *imp,
                     const char *what, const char **have,
                     const rimport_import **have_by, const char *want) {
  if (want == NULL)
    return 0;
  if (*have == NULL) {
    *have = want;
    *have_by = imp;
    return 0;
  }
  if (strcmp(*have, want) == 0)
    return 0;
  return settings_conflict(pl, acc->name, imp, what, want,
                           describe(pl, *have_by), *have, 0);
}

static int add_import(planner *pl, const rimport_import *imp) {
  crate_acc *acc;
  char *name = rust_name(pl->arena, imp->crate);
  size_t i;
  int rc;
  if (name == NULL)
    return RIMPORT_ENOMEM;
  acc = find_acc(pl, name);
  if (acc == NULL) {
    if ((rc = rimport__grow((void **)&pl->accs, &pl->acc_cap, pl->acc_count + 1,
                            sizeof(*pl->accs))) != 0)
      return rc;
    acc = &pl->accs[pl->acc_count++];
    memset(acc, 0, sizeof(*acc));
    acc->name = name;
    acc->first = imp;
    acc->default_features = -1;
  }
  /* A path source and a registry version are two sources. */
  if ((imp->path && acc->version) || (imp->version && acc->path))
    return conflict(
        pl, acc->name, imp,
        imp->path ? "takes it from a local path" : "takes it from the registry",
        describe(pl, imp->path ? acc->version_by : acc->path_by),
        imp->path ? "takes it from the registry" : "takes it from a local path",
        0);
  if ((rc = merge_str(pl, acc, imp, "version", &acc->version, &acc->version_by,
                      imp->version)) != 0 ||
      (rc = merge_str(pl, acc, imp, "path", &acc->path, &acc->path_by,
                      imp->path)) != 0 ||
      (rc = merge_str(pl, acc, imp, "package", &acc->package, &acc->package_by,
                      imp->package)) != 0)
    return rc;
  if (imp->default_features != RIMPORT_UNSET) {
    if (acc->default_features == -1) {
      acc->default_features = imp->default_features;
      acc->dflt_by = imp;
    } else if (acc->default_features != (int)imp->default_features) {
      return conflict(pl, acc->name, imp,
                      imp->default_features ? "says default_features=True"
                                            : "says default_features=False",
                      describe(pl, acc->dflt_by),
                      acc->default_features ? "says default_features=True"
                                            : "says default_features=False",
                      0);
    }
  }
  for (i = 0; i < imp->feature_count; i++) {
    if ((rc = rimport__grow((void **)&acc->features, &acc->feature_cap,
                            acc->feature_count + 1, sizeof(*acc->features))) !=
        0)
      return rc;
    acc->features[acc->feature_count++] = imp->features[i];
  }
  if (imp->kind == RIMPORT_IMPORT_CRATE) {
    rimport_binding bd = {imp->alias ? imp->alias : name, NULL, NULL};
    if ((rc = rimport__grow((void **)&acc->bindings, &acc->binding_cap,
                            acc->binding_count + 1, sizeof(*acc->bindings))) !=
        0)
      return rc;
    acc->bindings[acc->binding_count++] = bd;
    return 0; /* whole_crate: a binding whose item is NULL */
  }
  for (i = 0; i < imp->item_count; i++) {
    const rimport_item *it = &imp->items[i];
    rimport_plugin_item pi = {imp->module, it->name, it->shapes,
                              it->shape_count};
    rimport_binding bd = {it->alias ? it->alias : it->name, imp->module,
                          it->name};
    if ((rc = rimport__grow((void **)&acc->items, &acc->item_cap,
                            acc->item_count + 1, sizeof(*acc->items))) != 0 ||
        (rc = rimport__grow((void **)&acc->item_spans, &acc->span_cap,
                            acc->item_count + 1, sizeof(*acc->item_spans))) !=
            0 ||
        (rc = rimport__grow((void **)&acc->bindings, &acc->binding_cap,
                            acc->binding_count + 1, sizeof(*acc->bindings))) !=
            0)
      return rc;
    acc->item_spans[acc->item_count] = imp->span;
    acc->items[acc->item_count++] = pi;
    acc->bindings[acc->binding_count++] = bd;
  }
  return 0;
}

/* --- against what earlier plans of the session fixed -------------------- */

static const rimport__committed *find_committed(const rimport__plan_state *st,
                                                const char *name) {
  size_t i;
  for (i = 0; i < st->count; i++)
    if (strcmp(st->committed[i].crate, name) == 0)
      return &st->committed[i];
  return NULL;
}

static int str_eq(const char *a, const char *b) {
  return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static int has_feature(const rimport__committed *c, const char *f) {
  size_t i;
  for (i = 0; i < c->feature_count; i++)
    if (strcmp(c->features[i], f) == 0)
      return 1;
  return 0;
}

/* A crate planned before keeps its source and features: a later statement
 * may leave them out (it inherits them) or repeat them, not change them. */
static int check_committed(planner *pl, crate_acc *acc,
                           const char *resolved_path) {
  const rimport__committed *c = acc->committed;
  size_t i;
  if ((acc->path != NULL) != (c->path != NULL) &&
      (acc->path != NULL || acc->version != NULL))
    return conflict(
        pl, acc->name, acc->path ? acc->path_by : acc->version_by,
        acc->path ? "takes it from a local path" : "takes it from the registry",
        c->first_by,
        c->path ? "took it from a local path" : "took it from the registry", 1);
  if (acc->path && !str_eq(resolved_path, c->path))
    return settings_conflict(pl, acc->name, acc->path_by, "path", resolved_path,
                             c->path_by ? c->path_by : c->first_by, c->path, 1);
  if (acc->version && !str_eq(acc->version, c->version))
    return settings_conflict(
        pl, acc->name, acc->version_by, "version", acc->version,
        c->version_by ? c->version_by : c->first_by, c->version, 1);
  if (acc->package && !str_eq(acc->package, c->package))
    return settings_conflict(
        pl, acc->name, acc->package_by, "package", acc->package,
        c->package_by ? c->package_by : c->first_by, c->package, 1);
  if (acc->default_features != -1 &&
      acc->default_features != c->default_features)
    return conflict(pl, acc->name, acc->dflt_by,
                    acc->default_features ? "says default_features=True"
                                          : "says default_features=False",
                    c->default_features_by ? c->default_features_by
                                           : c->first_by,
                    c->default_features ? "had default features on"
                                        : "turned default features off",
                    1);
  for (i = 0; i < acc->feature_count; i++) {
    if (!has_feature(c, acc->features[i])) {
      const rimport_import *by = acc->first;
      size_t j, k;
      rimport_buf said = RIMPORT_BUF_INIT;
      int rc;
      /* Find the statement that asked for it. */
      for (j = 0; j < pl->count; j++)
        for (k = 0; k < pl->imports[j].feature_count; k++)
          if (strcmp(pl->imports[j].features[k], acc->features[i]) == 0 &&
              strcmp(pl->imports[j].crate, acc->first->crate) == 0)
            by = &pl->imports[j];
      if (rimport__buf_printf(&said, "asks for the feature \"%s\"",
                              acc->features[i]) != 0)
        return RIMPORT_ENOMEM;
      rc = conflict(pl, acc->name, by, said.ptr, c->first_by,
                    "did not enable it, and a crate's features are fixed by "
                    "its first import in a session (put every feature on "
                    "that import)",
                    1);
      rimport_buf_dispose(&said);
      return rc;
    }
  }
  return 0;
}

/* --- finishing a plugin --------------------------------------------------- */

static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_opt(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return (a != NULL) - (b != NULL);
  return strcmp(a, b);
}

static int cmp_item(const void *pa, const void *pb) {
  const rimport_plugin_item *a = pa, *b = pb;
  size_t i;
  int c;
  if ((c = cmp_opt(a->module, b->module)) != 0 ||
      (c = strcmp(a->name, b->name)) != 0)
    return c;
  for (i = 0; i < a->shape_count && i < b->shape_count; i++)
    if (a->shapes[i] != b->shapes[i])
      return (int)a->shapes[i] - (int)b->shapes[i];
  return (a->shape_count > b->shape_count) - (a->shape_count < b->shape_count);
}

/* Resolves a `path=` against the base directory and checks it is a crate. */
static int resolve_path(planner *pl, crate_acc *acc, rimport_buf *out) {
  rimport_buf joined = RIMPORT_BUF_INIT, cargo = RIMPORT_BUF_INIT;
  int rc;
  if (rimport__path_is_absolute(acc->path) || pl->base_dir == NULL)
    rc = rimport__buf_puts(&joined, acc->path);
  else
    rc = rimport__path_join(&joined, pl->base_dir, acc->path);
  if (rc == 0 && (rc = rimport__fs_realpath(joined.ptr, out)) != 0) {
    char *desc = describe(pl, acc->path_by);
    rc = rimport__error_set(
        RIMPORT_ENOTFOUND,
        "%s: the local crate path \"%s\" (%s) does not exist; paths are taken "
        "from %s — fix the path or make it absolute",
        desc ? desc : acc->name, acc->path, joined.ptr,
        pl->base_dir ? pl->base_dir : "the current directory");
  }
  if (rc == 0 &&
      (rc = rimport__path_join(&cargo, out->ptr, "Cargo.toml")) == 0 &&
      !rimport__fs_is_file(cargo.ptr)) {
    char *desc = describe(pl, acc->path_by);
    rc = rimport__error_set(
        RIMPORT_ENOTFOUND,
        "%s: \"%s\" has no Cargo.toml, so it is not a crate; point path= at "
        "the directory that holds the crate's Cargo.toml",
        desc ? desc : acc->name, out->ptr);
  }
  rimport_buf_dispose(&joined);
  rimport_buf_dispose(&cargo);
  return rc;
}

/* The key of plugin `index` with the stack: a plugin the session built
 * with the same inputs is reused as it is; a new one stacks on every
 * plugin the session had built when the plan was made (the first
 * plan->stack_count of `stack`) and on the earlier plugins of this plan. */
static int stack_key(rimport_cell_plan *plan, const rimport__stack *stack,
                     size_t index, const rimport_toolchain *tc,
                     const char *stamp, rimport_buf *key_input, char base[33],
                     char key[33]) {
  rimport_plugin *p = &plan->plugins[index];
  size_t built_count = plan->stack_count;
  rimport__arena *a = &plan->arena;
  const char **parents;
  size_t n = 0, i, j;
  int rc;
  if ((rc = rimport__plan_key(p, tc, stamp, NULL, 0, key_input, base)) != 0)
    return rc;
  for (i = 0; i < built_count; i++) {
    const rimport__built *b = rimport__stack_at(stack, i);
    if (strcmp(b->base_key, base) != 0)
      continue;
    memcpy(key, b->key, 33);
    if ((p->plugin = rimport__arena_strdup(a, b->plugin)) == NULL)
      return RIMPORT_ENOMEM;
    rimport__buf_clear(key_input);
    if ((rc = rimport__buf_puts(key_input, b->key_input)) != 0)
      return rc;
    p->parent_count = b->parent_count;
    p->parents =
        rimport__arena_alloc(a, (b->parent_count + 1) * sizeof(*p->parents));
    if (p->parents == NULL)
      return RIMPORT_ENOMEM;
    for (j = 0; j < b->parent_count; j++)
      if ((((const char **)p->parents)[j] =
               rimport__arena_strdup(a, b->parents[j])) == NULL)
        return RIMPORT_ENOMEM;
    return 0;
  }
  parents =
      rimport__arena_alloc(a, (built_count + index + 1) * sizeof(*parents));
  if (parents == NULL)
    return RIMPORT_ENOMEM;
  for (i = 0; i < built_count; i++)
    parents[n++] = rimport__stack_at(stack, i)->key;
  for (i = 0; i < index; i++) { /* earlier in this plan */
    const char *k = plan->plugins[i].key;
    for (j = 0; j < n && strcmp(parents[j], k) != 0; j++)
      ;
    if (j == n)
      parents[n++] = k;
  }
  for (i = 0; i < n; i++)
    if ((parents[i] = rimport__arena_strdup(a, parents[i])) == NULL)
      return RIMPORT_ENOMEM;
  p->parents = parents;
  p->parent_count = n;
  if ((rc = rimport__plan_key(p, tc, stamp, parents, n, key_input, key)) != 0)
    return rc;
  /* A crate already in the stack (other items, say) gets a second, thin
   * plugin on top of the first; it needs a name of its own. */
  for (i = 0; i < built_count; i++)
    if (strcmp(rimport__stack_at(stack, i)->crate, p->crate) == 0) {
      rimport_buf name = RIMPORT_BUF_INIT;
      rc =
          rimport__buf_printf(&name, "kayton_rplugin__%s__%.8s", p->crate, key);
      if (rc == 0 &&
          (p->plugin = rimport__arena_strndup(a, name.ptr, name.size)) == NULL)
        rc = RIMPORT_ENOMEM;
      rimport_buf_dispose(&name);
      return rc;
    }
  return 0;
}

/* Features: copied, sorted, without duplicates. */
static int plugin_features(rimport__arena *a, rimport_plugin *p,
                           const char *const *features, size_t n) {
  const char **fs = rimport__arena_alloc(a, (n ? n : 1) * sizeof(*fs));
  size_t m = 0, i;
  if (fs == NULL)
    return RIMPORT_ENOMEM;
  for (i = 0; i < n; i++)
    if ((fs[i] = rimport__arena_strdup(a, features[i])) == NULL)
      return RIMPORT_ENOMEM;
  qsort(fs, n, sizeof(*fs), cmp_cstr);
  for (i = 0; i < n; i++)
    if (m == 0 || strcmp(fs[m - 1], fs[i]) != 0)
      fs[m++] = fs[i];
  p->features = fs;
  p->feature_count = m;
  return 0;
}

/* Items: copied, sorted, without duplicates. */
static int plugin_items(rimport__arena *a, rimport_plugin *p,
                        const crate_acc *acc) {
  rimport_plugin_item *items = rimport__arena_alloc(
      a, (acc->item_count ? acc->item_count : 1) * sizeof(*items));
  size_t m = 0, i;
  if (items == NULL)
    return RIMPORT_ENOMEM;
  for (i = 0; i < acc->item_count; i++) {
    const rimport_plugin_item *src = &acc->items[i];
    rimport_plugin_item *dst = &items[i];
    dst->module = rimport__arena_strdup(a, src->module);
    dst->name = rimport__arena_strdup(a, src->name);
    dst->shape_count = src->shape_count;
    dst->shapes =
        src->shape_count
            ? rimport__arena_memdup(a, src->shapes,
                                    src->shape_count * sizeof(*src->shapes))
            : NULL;
    if (dst->name == NULL || (src->module && !dst->module) ||
        (src->shape_count && !dst->shapes))
      return RIMPORT_ENOMEM;
  }
  qsort(items, acc->item_count, sizeof(*items), cmp_item);
  for (i = 0; i < acc->item_count; i++)
    if (m == 0 || cmp_item(&items[m - 1], &items[i]) != 0)
      items[m++] = items[i];
  p->items = items;
  p->item_count = m;
  return 0;
}

/* Where each of the plugin's items was first asked for. */
static int plugin_spans(rimport__arena *a, const rimport_plugin *p,
                        const crate_acc *acc, const rimport_span **out) {
  rimport_span *spans = rimport__arena_alloc(
      a, (p->item_count ? p->item_count : 1) * sizeof(*spans));
  size_t i, k;
  if (spans == NULL)
    return RIMPORT_ENOMEM;
  for (i = 0; i < p->item_count; i++)
    for (k = 0; k < acc->item_count; k++)
      if (cmp_item(&p->items[i], &acc->items[k]) == 0) {
        spans[i] = acc->item_spans[k];
        break;
      }
  *out = spans;
  return 0;
}

/* Bindings in statement order, repeats dropped. */
static int plugin_bindings(rimport__arena *a, rimport_plugin *p,
                           const crate_acc *acc) {
  rimport_binding *bs = rimport__arena_alloc(
      a, (acc->binding_count ? acc->binding_count : 1) * sizeof(*bs));
  size_t m = 0, i, j;
  if (bs == NULL)
    return RIMPORT_ENOMEM;
  for (i = 0; i < acc->binding_count; i++) {
    const rimport_binding *b = &acc->bindings[i];
    for (j = 0; j < m; j++)
      if (strcmp(bs[j].name, b->name) == 0 &&
          cmp_opt(bs[j].module, b->module) == 0 &&
          cmp_opt(bs[j].item, b->item) == 0)
        break;
    if (j < m)
      continue;
    bs[m].name = rimport__arena_strdup(a, b->name);
    bs[m].module = rimport__arena_strdup(a, b->module);
    bs[m].item = rimport__arena_strdup(a, b->item);
    if (bs[m].name == NULL || (b->module && !bs[m].module) ||
        (b->item && !bs[m].item))
      return RIMPORT_ENOMEM;
    if (b->item == NULL)
      p->whole_crate = 1;
    m++;
  }
  p->bindings = bs;
  p->binding_count = m;
  return 0;
}

static void asked_of(const crate_acc *acc, const char *resolved_path,
                     rimport__asked *asked) {
  memset(asked, 0, sizeof(*asked));
  asked->crate = acc->name;
  asked->package = acc->package;
  asked->version = acc->version;
  asked->path = resolved_path;
  asked->features = acc->features;
  asked->feature_count = acc->feature_count;
  asked->default_features = acc->default_features;
}

/* A crate no earlier plan named that a plugin of the stack links: taken as
 * it is loaded when the statements allow it (adopt.c). */
static int adopt(planner *pl, crate_acc *acc, const char *resolved_path) {
  rimport__asked asked;
  asked_of(acc, resolved_path, &asked);
  return rimport__plan_adopt(pl->stack, pl->arena, &asked, &acc->loaded,
                             &acc->adopted);
}

/* What the statements asked, kept in the plan's arena for
 * rimport__plan_readopt: a crate planned as written because nothing
 * loaded had it may be linked by an earlier plugin of this plan, which
 * only its build tells. */
static int keep_asked(planner *pl, const crate_acc *acc,
                      const char *resolved_path, const rimport__asked **out) {
  rimport__arena *a = pl->arena;
  rimport__asked tmp, *kept = rimport__arena_alloc(a, sizeof(*kept));
  const char **features;
  size_t i;
  asked_of(acc, resolved_path, &tmp);
  features = rimport__arena_alloc(
      a, (tmp.feature_count ? tmp.feature_count : 1) * sizeof(*features));
  if (kept == NULL || features == NULL)
    return RIMPORT_ENOMEM;
  *kept = tmp;
  kept->crate = rimport__arena_strdup(a, tmp.crate);
  kept->package = rimport__arena_strdup(a, tmp.package);
  kept->version = rimport__arena_strdup(a, tmp.version);
  kept->path = rimport__arena_strdup(a, tmp.path);
  for (i = 0; i < tmp.feature_count; i++)
    if ((features[i] = rimport__arena_strdup(a, tmp.features[i])) == NULL)
      return RIMPORT_ENOMEM;
  kept->features = features;
  if (kept->crate == NULL || (tmp.package && !kept->package) ||
      (tmp.version && !kept->version) || (tmp.path && !kept->path))
    return RIMPORT_ENOMEM;
  *out = kept;
  return 0;
}

/* Source, package, version and default features: what an earlier plan of
 * the session fixed, else the loaded copy the crate takes (its exact
 * version or its directory, default features off, only the features the
 * cell names: the plugins it stacks on bring the rest), else what this
 * cell says (path: resolved). */
static int plugin_source(planner *pl, const crate_acc *acc, rimport_plugin *p,
                         const char *resolved_path) {
  rimport__arena *a = pl->arena;
  const rimport__committed *c = acc->committed;
  const rimport__adopted *ad = acc->adopted;
  const char *package = c ? c->package : acc->package;
  const char *version = c ? c->version : acc->version;
  const char *path = c ? c->path : resolved_path;
  rimport_buf name = RIMPORT_BUF_INIT, exact = RIMPORT_BUF_INIT;
  int rc;
  if (ad != NULL) {
    path = ad->path;
    version = NULL;
    if (path == NULL) {
      if (rimport__buf_printf(&exact, "=%s", ad->version) != 0)
        return RIMPORT_ENOMEM;
      version = exact.ptr;
    }
  }
  p->crate = acc->name;
  p->package = rimport__arena_strdup(a, package);
  p->version = rimport__arena_strdup(a, version);
  p->path = rimport__arena_strdup(a, path);
  rimport_buf_dispose(&exact);
  p->default_features = ad  ? 0
                        : c ? c->default_features
                            : acc->default_features != 0;
  p->source = p->path ? RIMPORT_FROM_PATH : RIMPORT_FROM_REGISTRY;
  p->plugin = NULL;
  if ((package && !p->package) || (version && !p->version) ||
      (path && !p->path))
    return RIMPORT_ENOMEM;
  if ((rc = rimport__buf_printf(&name, "kayton_rplugin__%s", acc->name)) == 0 &&
      (p->plugin = rimport__arena_strndup(a, name.ptr, name.size)) == NULL)
    rc = RIMPORT_ENOMEM;
  rimport_buf_dispose(&name);
  if (rc != 0)
    return rc;
  return c ? plugin_features(a, p, (const char *const *)c->features,
                             c->feature_count)
           : plugin_features(a, p, acc->features, acc->feature_count);
}

/* The key of plugin `index` (with the stack), its key input and its base
 * key. A local crate's files are stamped when `stamp_again` is set or no
 * stamp was taken yet; else the plan's stamp is used, so that computing
 * the key again gives the same key. */
static int plugin_key(rimport_cell_plan *plan, const rimport__stack *stack,
                      size_t index, const rimport_toolchain *tc,
                      int stamp_again) {
  rimport__arena *a = &plan->arena;
  rimport_plugin *p = &plan->plugins[index];
  rimport_buf key_input = RIMPORT_BUF_INIT;
  char stamp[33], key[33], base[33];
  const char **base_key = &plan->base_keys[index];
  const char **have_stamp = &plan->stamps[index];
  int rc = 0;
  if (p->source != RIMPORT_FROM_PATH)
    *have_stamp = NULL;
  else if (*have_stamp != NULL && !stamp_again)
    memcpy(stamp, *have_stamp, 33);
  else if ((rc = rimport__plan_path_stamp(p->path, stamp)) == 0 &&
           (*have_stamp = rimport__arena_strdup(a, stamp)) == NULL)
    rc = RIMPORT_ENOMEM;
  if (rc == 0)
    rc = stack_key(plan, stack, index, tc,
                   p->source == RIMPORT_FROM_PATH ? stamp : NULL, &key_input,
                   base, key);
  if (rc == 0) {
    p->key = rimport__arena_strdup(a, key);
    *base_key = rimport__arena_strdup(a, base);
    p->key_input = rimport__arena_strndup(a, key_input.ptr, key_input.size);
    p->key_input_len = key_input.size;
    if (p->key == NULL || p->key_input == NULL || *base_key == NULL)
      rc = RIMPORT_ENOMEM;
  }
  rimport_buf_dispose(&key_input);
  return rc;
}

static int finish_plugin(planner *pl, crate_acc *acc, rimport_plugin *p,
                         const rimport_toolchain *tc) {
  rimport_buf path = RIMPORT_BUF_INIT;
  int rc = 0;
  acc->committed = find_committed(pl->state, acc->name);
  if (acc->path)
    rc = resolve_path(pl, acc, &path);
  if (rc == 0 && acc->committed)
    rc = check_committed(pl, acc, acc->path ? path.ptr : NULL);
  else if (rc == 0)
    rc = adopt(pl, acc, acc->path ? path.ptr : NULL);
  if (rc == 0)
    rc = plugin_source(pl, acc, p, acc->path ? path.ptr : NULL);
  if (rc == 0)
    pl->plan->adopted[p - pl->plan->plugins] = acc->adopted;
  if (rc == 0 && acc->committed == NULL && !acc->loaded)
    rc = keep_asked(pl, acc, acc->path ? path.ptr : NULL,
                    &pl->plan->asked[p - pl->plan->plugins]);
  if (rc == 0)
    rc = plugin_items(pl->arena, p, acc);
  if (rc == 0)
    rc = plugin_spans(pl->arena, p, acc,
                      &pl->plan->spans[p - pl->plan->plugins]);
  if (rc == 0)
    rc = plugin_bindings(pl->arena, p, acc);
  if (rc == 0)
    rc =
        plugin_key(pl->plan, pl->stack, (size_t)(p - pl->plan->plugins), tc, 1);
  rimport_buf_dispose(&path);
  return rc;
}

/* A name may be bound once per cell (the parser checks this too; front-ends
 * that make descriptors get the same rule). "*" binds nothing by itself. */
static int check_bindings(planner *pl) {
  size_t i, j, k, l;
  for (i = 0; i < pl->plan->count; i++) {
    const rimport_plugin *p = &pl->plan->plugins[i];
    for (j = 0; j < p->binding_count; j++) {
      const rimport_binding *b = &p->bindings[j];
      if (strcmp(b->name, "*") == 0)
        continue;
      for (k = i; k < pl->plan->count; k++) {
        const rimport_plugin *q = &pl->plan->plugins[k];
        for (l = (k == i ? j + 1 : 0); l < q->binding_count; l++) {
          const rimport_binding *c = &q->bindings[l];
          if (strcmp(b->name, c->name) != 0)
            continue;
          return rimport__error_set(
              RIMPORT_ECONFLICT,
              "%s binds the name `%s` twice: to %s%s%s%s%s and to %s%s%s%s%s; "
              "give one of them another name with `as`",
              pl->plan->origin, b->name, p->crate, b->module ? "::" : "",
              b->module ? b->module : "", b->item ? "::" : "",
              b->item ? b->item : "", q->crate, c->module ? "::" : "",
              c->module ? c->module : "", c->item ? "::" : "",
              c->item ? c->item : "");
        }
      }
    }
  }
  return 0;
}

/* --- the session's record ------------------------------------------------- */

static void committed_dispose(rimport__committed *c) {
  size_t i;
  for (i = 0; i < c->feature_count; i++)
    rimport__free(c->features[i]);
  rimport__free(c->features);
  rimport__free(c->crate);
  rimport__free(c->package);
  rimport__free(c->version);
  rimport__free(c->path);
  rimport__free(c->first_by);
  rimport__free(c->version_by);
  rimport__free(c->path_by);
  rimport__free(c->package_by);
  rimport__free(c->default_features_by);
  memset(c, 0, sizeof(*c));
}

int rimport__plan_state_new(rimport__plan_state **out) {
  static atomic_ulong last_id;
  if ((*out = rimport__calloc(1, sizeof(**out))) == NULL)
    return rimport__error_nomem();
  (*out)->id = atomic_fetch_add(&last_id, 1) + 1;
  return 0;
}

void rimport__plan_state_free(rimport__plan_state *st) {
  size_t i;
  if (st == NULL)
    return;
  for (i = 0; i < st->count; i++)
    committed_dispose(&st->committed[i]);
  rimport__free(st->committed);
  rimport__free(st);
}

static int dup_into(char **dst, const char *src) {
  if (src == NULL)
    return 0;
  return (*dst = rimport__strdup(src)) == NULL ? rimport__error_nomem() : 0;
}

/* Records the crates this plan named first. Done only once the whole plan
 * succeeded, so that a failing plan leaves the session as it was. */
static int commit(planner *pl) {
  size_t i, j, added = 0;
  int rc = 0;
  for (i = 0; i < pl->acc_count && rc == 0; i++) {
    crate_acc *acc = &pl->accs[i];
    const rimport_plugin *p = acc->pub;
    rimport__committed *c;
    if (acc->committed != NULL || acc->loaded)
      continue;
    if ((rc = rimport__grow((void **)&pl->state->committed, &pl->state->cap,
                            pl->state->count + 1,
                            sizeof(*pl->state->committed))) != 0)
      break;
    c = &pl->state->committed[pl->state->count];
    memset(c, 0, sizeof(*c));
    c->default_features = p->default_features;
    c->plan = pl->plan->number;
    if ((rc = dup_into(&c->crate, p->crate)) != 0 ||
        (rc = dup_into(&c->package, p->package)) != 0 ||
        (rc = dup_into(&c->version, p->version)) != 0 ||
        (rc = dup_into(&c->path, p->path)) != 0 ||
        (rc = dup_into(&c->first_by, describe(pl, acc->first))) != 0 ||
        (acc->version_by &&
         (rc = dup_into(&c->version_by, describe(pl, acc->version_by))) != 0) ||
        (acc->path_by &&
         (rc = dup_into(&c->path_by, describe(pl, acc->path_by))) != 0) ||
        (acc->package_by &&
         (rc = dup_into(&c->package_by, describe(pl, acc->package_by))) != 0) ||
        (acc->dflt_by && (rc = dup_into(&c->default_features_by,
                                        describe(pl, acc->dflt_by))) != 0)) {
      committed_dispose(c);
      break;
    }
    if (p->feature_count > 0) {
      c->features = rimport__calloc(p->feature_count, sizeof(char *));
      if (c->features == NULL) {
        committed_dispose(c);
        rc = rimport__error_nomem();
        break;
      }
      for (j = 0; j < p->feature_count && rc == 0; j++) {
        c->feature_count = j + 1;
        rc = dup_into(&c->features[j], p->features[j]);
      }
      if (rc != 0) {
        committed_dispose(c);
        break;
      }
    }
    pl->state->count++;
    added++;
  }
  if (rc != 0) /* undo: all or nothing */
    while (added-- > 0)
      committed_dispose(&pl->state->committed[--pl->state->count]);
  return rc;
}

/* --- at build time: a crate an earlier plugin of the plan links ---------- */

/* Drops the record that plan `number` made for `crate`, if it made one. */
static void uncommit(rimport__plan_state *st, unsigned int number,
                     const char *crate) {
  size_t i;
  for (i = 0; i < st->count; i++) {
    if (st->committed[i].plan != number ||
        strcmp(st->committed[i].crate, crate) != 0)
      continue;
    committed_dispose(&st->committed[i]);
    memmove(&st->committed[i], &st->committed[i + 1],
            (st->count - i - 1) * sizeof(*st->committed));
    st->count--;
    return;
  }
}

/* Plugin `index` takes the copy `ad`, as a plan made after the plugins it
 * stacks on would have taken it (plugin_source): its exact version or its
 * directory, default features off, the features the statements named
 * (already the plugin's: no plan named the crate before). Its key and
 * those of the later plugins are computed again; on failure everything is
 * put back. */
static int take_copy(rimport_cell_plan *plan, size_t index,
                     const rimport__adopted *ad, const rimport__stack *stack,
                     const rimport_toolchain *tc) {
  size_t later = plan->count - index, i;
  rimport_plugin *saved = rimport__calloc(later, sizeof(*saved));
  const char **saved_keys = rimport__calloc(2 * later, sizeof(*saved_keys));
  rimport_plugin *p = &plan->plugins[index];
  rimport_buf exact = RIMPORT_BUF_INIT;
  int rc = 0;
  if (saved == NULL || saved_keys == NULL) {
    rimport__free(saved);
    rimport__free(saved_keys);
    return rimport__error_nomem();
  }
  for (i = 0; i < later; i++) {
    saved[i] = plan->plugins[index + i];
    saved_keys[2 * i] = plan->base_keys[index + i];
    saved_keys[2 * i + 1] = plan->stamps[index + i];
  }
  if (ad->path != NULL) {
    p->source = RIMPORT_FROM_PATH;
    p->version = NULL;
    if ((p->path = rimport__arena_strdup(&plan->arena, ad->path)) == NULL)
      rc = RIMPORT_ENOMEM;
  } else {
    p->source = RIMPORT_FROM_REGISTRY;
    p->path = NULL;
    if ((rc = rimport__buf_printf(&exact, "=%s", ad->version)) == 0 &&
        (p->version = rimport__arena_strndup(&plan->arena, exact.ptr,
                                             exact.size)) == NULL)
      rc = RIMPORT_ENOMEM;
  }
  p->default_features = 0;
  for (i = index; rc == 0 && i < plan->count; i++)
    rc = plugin_key(plan, stack, i, tc, i == index);
  if (rc != 0)
    for (i = 0; i < later; i++) {
      plan->plugins[index + i] = saved[i];
      plan->base_keys[index + i] = saved_keys[2 * i];
      plan->stamps[index + i] = saved_keys[2 * i + 1];
    }
  else
    plan->adopted[index] = ad;
  rimport_buf_dispose(&exact);
  rimport__free(saved);
  rimport__free(saved_keys);
  return rc;
}

int rimport__plan_readopt(rimport_cell_plan *plan, size_t index,
                          rimport__plan_state *state,
                          const rimport__stack *stack,
                          const rimport_toolchain *tc, int *changed) {
  const rimport__built **from = NULL;
  const rimport__adopted *ad = NULL;
  const rimport__asked *asked;
  const rimport_plugin *p;
  size_t n = 0, i;
  int found = 0, rc;
  *changed = 0;
  if (plan == NULL || index >= plan->count || plan->asked == NULL ||
      (asked = plan->asked[index]) == NULL)
    return 0;
  p = &plan->plugins[index];
  /* Only the plugins it stacks on: cargo unites its request with theirs,
   * which is what makes the crate resolve to their copy. */
  if (p->parent_count > 0 &&
      (from = rimport__calloc(p->parent_count, sizeof(*from))) == NULL)
    return rimport__error_nomem();
  for (i = 0; i < p->parent_count; i++) {
    const rimport__built *b = rimport__stack_find(stack, p->parents[i]);
    if (b != NULL)
      from[n++] = b;
  }
  rc = rimport__plan_adopt_from(from, n, &plan->arena, asked, &found, &ad);
  rimport__free(from);
  if (rc == 0 && ad != NULL &&
      (rc = take_copy(plan, index, ad, stack, tc)) == 0)
    *changed = 1;
  if (rc != 0)
    return rc;
  plan->asked[index] = NULL; /* looked once */
  /* Linked by a plugin it stacks on: a loaded crate, recorded by the
   * stack, as when a later cell imports it. */
  if (found && state != NULL && state->id == plan->state_id)
    uncommit(state, plan->number, p->crate);
  return 0;
}

/* --- public ------------------------------------------------------------- */

static void planner_dispose(planner *pl) {
  size_t i;
  for (i = 0; i < pl->acc_count; i++) {
    rimport__free(pl->accs[i].features);
    rimport__free(pl->accs[i].items);
    rimport__free(pl->accs[i].item_spans);
    rimport__free(pl->accs[i].bindings);
  }
  rimport__free(pl->accs);
}

int rimport__plan_make(rimport__plan_state *state, const rimport__stack *stack,
                       const rimport_toolchain *tc,
                       const rimport_import *imports, size_t count,
                       const rimport_plan_options *opts,
                       rimport_cell_plan **out) {
  planner pl;
  rimport_cell_plan *plan;
  rimport_buf origin = RIMPORT_BUF_INIT;
  size_t i;
  int rc = 0;

  memset(&pl, 0, sizeof(pl));
  plan = rimport__calloc(1, sizeof(*plan));
  if (plan == NULL)
    return rimport__error_nomem();
  pl.state = state;
  pl.stack = stack;
  pl.plan = plan;
  pl.arena = &plan->arena;
  pl.imports = imports;
  pl.count = count;
  pl.base_dir = opts->base_dir;
  plan->state_id = state->id;
  plan->number = state->plans + 1;
  plan->stack_count = rimport__stack_count(stack);

  if (opts->origin != NULL)
    rc = rimport__buf_puts(&origin, opts->origin);
  else
    rc = rimport__buf_printf(&origin, "cell %u", state->plans + 1);
  if (rc == 0 && (plan->origin = rimport__arena_strndup(pl.arena, origin.ptr,
                                                        origin.size)) == NULL)
    rc = RIMPORT_ENOMEM;
  if (rc == 0 &&
      ((plan->fingerprint = rimport__arena_strdup(pl.arena, tc->fingerprint)) ==
           NULL ||
       (plan->host = rimport__arena_strdup(pl.arena, tc->host)) == NULL ||
       (plan->target = rimport__arena_strdup(pl.arena, tc->target)) == NULL ||
       (plan->release = rimport__arena_strdup(pl.arena, tc->release)) == NULL))
    rc = RIMPORT_ENOMEM;
  for (i = 0; rc == 0 && i < count; i++)
    rc = check_import(&pl, &imports[i]);
  for (i = 0; rc == 0 && i < count; i++)
    rc = add_import(&pl, &imports[i]);
  if (rc == 0 && pl.acc_count > 0) {
    plan->plugins =
        rimport__arena_alloc(pl.arena, pl.acc_count * sizeof(*plan->plugins));
    plan->base_keys =
        rimport__arena_alloc(pl.arena, pl.acc_count * sizeof(*plan->base_keys));
    plan->adopted =
        rimport__arena_alloc(pl.arena, pl.acc_count * sizeof(*plan->adopted));
    plan->asked =
        rimport__arena_alloc(pl.arena, pl.acc_count * sizeof(*plan->asked));
    plan->stamps =
        rimport__arena_alloc(pl.arena, pl.acc_count * sizeof(*plan->stamps));
    plan->spans =
        rimport__arena_alloc(pl.arena, pl.acc_count * sizeof(*plan->spans));
    if (plan->plugins == NULL || plan->base_keys == NULL ||
        plan->adopted == NULL || plan->asked == NULL || plan->stamps == NULL ||
        plan->spans == NULL)
      rc = RIMPORT_ENOMEM;
  }
  for (i = 0; rc == 0 && i < pl.acc_count; i++) {
    pl.accs[i].pub = &plan->plugins[i];
    rc = finish_plugin(&pl, &pl.accs[i], &plan->plugins[i], tc);
    plan->count = i + 1;
  }
  if (rc == 0)
    rc = check_bindings(&pl);
  if (rc == 0)
    rc = commit(&pl);
  if (rc == 0)
    state->plans++;
  planner_dispose(&pl);
  rimport_buf_dispose(&origin);
  if (rc != 0) {
    rimport_cell_plan_free(plan);
    return rc;
  }
  *out = plan;
  return 0;
}

int rimport_plan_options_init(rimport_plan_options *opts,
                              unsigned int version) {
  RIMPORT__INIT_OPTIONS(opts, version, RIMPORT_PLAN_OPTIONS_VERSION,
                        rimport_plan_options, RIMPORT_PLAN_OPTIONS_INIT);
}

int rimport_plan(rimport_session *s, const rimport_import *imports,
                 size_t count, const rimport_plan_options *opts,
                 rimport_cell_plan **out) {
  static const rimport_plan_options defaults = RIMPORT_PLAN_OPTIONS_INIT;
  const rimport_toolchain *tc;
  int rc;
  if (out != NULL)
    *out = NULL;
  if (s == NULL || out == NULL || (imports == NULL && count > 0))
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_plan: session, out and (with a count) "
                              "imports are needed");
  RIMPORT__CHECK_VERSION(opts, RIMPORT_PLAN_OPTIONS_VERSION,
                         rimport_plan_options, "rimport_plan");
  if ((rc = rimport_session_toolchain(s, &tc)) != 0)
    return rc;
  return rimport__plan_make(rimport__session_plans(s),
                            rimport__session_stack(s), tc, imports, count,
                            opts ? opts : &defaults, out);
}

size_t rimport_cell_plan_count(const rimport_cell_plan *plan) {
  return plan == NULL ? 0 : plan->count;
}

const rimport_plugin *rimport_cell_plan_array(const rimport_cell_plan *plan) {
  return plan == NULL ? NULL : plan->plugins;
}

void rimport_cell_plan_free(rimport_cell_plan *plan) {
  if (plan == NULL)
    return;
  rimport__arena_free(&plan->arena);
  rimport__free(plan);
}
