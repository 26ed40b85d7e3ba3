/* Cell compile (DESIGN.md facts 1, 7): a cell's items and statements into
 * a cell crate (plugin_templates/cell/), compiled by rustc directly into a
 * dylib that links the loaded plugins, and the earlier cells whose items
 * it uses, dynamically — or found in the cache, where every compiled cell
 * is an entry <cache>/kayton_cell/<key> (key.c).
 *
 * The crate root holds the cell's items, made public (src/rustsrc), each
 * on its own line; the statements are the body of the entry point, in a
 * module file of their own whose lines are the same lines of the cell.
 * rustc is told to show both files as the user's own
 * (--remap-path-prefix), so diagnostics point into the cell as written.
 *
 * Items across cells: every name a cell's items define is bound, for the
 * cells after it, to `::<its crate>::<name>` (a later definition replaces
 * it: shadowing). A cell links an earlier one when it mentions one of the
 * names bound to it (any identifier token of its text), or when the
 * earlier one holds trait impls (which rustc only sees in crates it
 * loads); so a changed cell changes the keys of the cells that use it and
 * of no other. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cell_internal.h"
#include "../cache/cache.h"
#include "../common/fs.h"
#include "../common/json.h"
#include "../gen/gen.h"
#include "../load/load.h"
#include "../platform.h"
#include "../proc/proc.h"
#include "../rustsrc/rustsrc.h"
#include "../stack/stack.h"
#include "../template/template.h"

/* Cache entries of compiled cells: <cache>/<CELL_CRATE>/<key>. */
#define CELL_CRATE "kayton_cell"

/* rustc's flags besides inputs and outputs (part of the key). Lints a
 * generated crate would raise on the user's code are allowed. */
static const char *const cell_flags[] = {"--edition",
                                         "2021",
                                         "--crate-type",
                                         "dylib",
                                         "-C",
                                         "prefer-dynamic",
                                         "-C",
                                         "debuginfo=0",
                                         "--color",
                                         "never",
                                         "--error-format",
                                         "human",
                                         "-A",
                                         "unused_imports",
                                         "-A",
                                         "unused_variables",
                                         "-A",
                                         "unused_mut",
                                         "-A",
                                         "dead_code",
                                         "-A",
                                         "unused_macros",
                                         "-A",
                                         "unreachable_code",
                                         "-A",
                                         "redundant_semicolons",
                                         "-A",
                                         "unused_extern_crates",
                                         NULL};

/* Does the toolchain have std::backtrace (Rust 1.65 and later)? Then
 * kayton_api's panic reports carry a backtrace (`--cfg kayton_backtrace`:
 * its build script sets it for the plugins' copy; a cell that compiles
 * kayton_api in as a module gets it here). */
static int has_backtrace(const rimport_toolchain *tc) {
  unsigned major = 0, minor = 0;
  const char *p = tc->release ? tc->release : "";
  while (*p >= '0' && *p <= '9')
    major = major * 10 + (unsigned)(*p++ - '0');
  if (*p++ != '.')
    return 0;
  while (*p >= '0' && *p <= '9' && minor < 100000)
    minor = minor * 10 + (unsigned)(*p++ - '0');
  return major > 1 || (major == 1 && minor >= 65);
}

/* What one cell compile works with. */
typedef struct cell_job {
  const rimport__cell_env *env;
  const rimport_cell_options *opts;
  unsigned n;                  /* the cell's number in the session */
  rimport_buf items;           /* the items, rimport statements blanked */
  rimport_buf statements;      /* the statements, rimport statements blanked */
  rimport_buf public;          /* the items made public */
  rimport__rs_names defined;   /* names the items define */
  rimport__rs_names mentioned; /* identifiers of items and statements */
  size_t *links;               /* cells linked directly, ascending */
  size_t link_count;
  size_t *closure; /* every cell behind them, ascending */
  size_t closure_count;
  size_t *scope; /* indices of the state's names in this cell's scope */
  size_t scope_count;
  const char **externs; /* "<lib>=<path>" of the plugins' crates */
  size_t extern_count;
  long api; /* the rec of kayton_cellapi when no kayton_api is loaded */
  char key[33];
  rimport_buf crate;  /* kayton_cell_<16 hex> */
  rimport_buf origin; /* the directory rustc shows for the sources */
  rimport_buf base;   /* the sources' file name */
} cell_job;

static void job_dispose(cell_job *j) {
  size_t i;
  rimport_buf_dispose(&j->items);
  rimport_buf_dispose(&j->statements);
  rimport_buf_dispose(&j->public);
  rimport__rs_names_dispose(&j->defined);
  rimport__rs_names_dispose(&j->mentioned);
  rimport__free(j->links);
  rimport__free(j->closure);
  rimport__free(j->scope);
  for (i = 0; i < j->extern_count; i++)
    rimport__free((void *)j->externs[i]);
  rimport__free(j->externs);
  rimport_buf_dispose(&j->crate);
  rimport_buf_dispose(&j->origin);
  rimport_buf_dispose(&j->base);
}

/* The crate name of a loaded plugin: every plugin a session loads, it
 * built (rimport_load takes a build result). */
static const char *plugin_name(const rimport__cell_env *env, const char *key) {
  const rimport__built *b = rimport__stack_find(env->stack, key);
  return b != NULL ? b->plugin : "kayton_rplugin__unknown";
}

/* `text` (len bytes) into out with its rimport statements blanked out
 * (lines and columns kept). */
static int blank_statements(const char *text, size_t len, rimport_buf *out) {
  int rc;
  rimport__buf_clear(out);
  if ((rc = rimport__buf_put(out, text ? text : "", len)) != 0)
    return rc;
  return rimport__rs_blank_imports(out);
}

/* A name as it is mentioned: without the `r#` of a raw identifier. */
static const char *bare(const char *name) {
  return strncmp(name, "r#", 2) == 0 ? name + 2 : name;
}

static int has_name(const rimport__rs_names *names, const char *name) {
  size_t i;
  for (i = 0; i < names->count; i++)
    if (strcmp(bare(names->v[i].name), bare(name)) == 0)
      return 1;
  return 0;
}

static int add_index(size_t **v, size_t *count, size_t *cap, size_t x) {
  size_t i;
  int rc;
  for (i = 0; i < *count; i++)
    if ((*v)[i] == x)
      return 0;
  if ((rc = rimport__grow((void **)v, cap, *count + 1, sizeof(**v))) != 0)
    return rc;
  (*v)[(*count)++] = x;
  return 0;
}

static int cmp_index(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

/* The names of the plugins' crates that cells get with --extern (the
 * first plugin that has a crate gives it), as "<lib>=<path>". */
static int find_externs(cell_job *j) {
  const rimport__loader *ld = j->env->loader;
  size_t i, k, cap = 0;
  int rc = 0;
  for (i = 0; rc == 0 && i < rimport__loader_count(ld); i++) {
    const rimport__loaded *l = rimport__loader_at(ld, i);
    rimport_buf arg = RIMPORT_BUF_INIT;
    int seen = 0;
    if (l->lib_name == NULL || l->lib_path == NULL)
      continue;
    for (k = 0; k < j->extern_count && !seen; k++)
      seen = strncmp(j->externs[k], l->lib_name, strlen(l->lib_name)) == 0 &&
             j->externs[k][strlen(l->lib_name)] == '=';
    if (seen)
      continue;
    if ((rc = rimport__grow((void **)&j->externs, &cap, j->extern_count + 1,
                            sizeof(*j->externs))) != 0 ||
        (rc = rimport__buf_printf(&arg, "%s=%s", l->lib_name, l->lib_path)) !=
            0) {
      rimport_buf_dispose(&arg);
      break;
    }
    j->externs[j->extern_count++] = rimport__buf_detach(&arg);
  }
  return rc;
}

/* Is `e` a whole crate's binding whose name a crate given with --extern
 * has already? (`rimport serde` binds `serde`, which the extern prelude
 * has: a second binding would make `use serde::…` ambiguous.) */
static int bound_by_extern(const cell_job *j, const rimport__scope_entry *e) {
  size_t n = strlen(e->path), k, len = strlen(e->name);
  if (e->cell >= 0 || n < 9 || strcmp(e->path + n - 9, "::exports") != 0)
    return 0;
  for (k = 0; k < j->extern_count; k++)
    if (strncmp(j->externs[k], e->name, len) == 0 && j->externs[k][len] == '=')
      return 1;
  return 0;
}

/* This cell's scope and links: every name bound so far that the cell does
 * not define itself (an earlier cell's item only when the cell mentions
 * it; its traits, `use` imports and globs always), the cells whose names
 * it has in scope, and the closure of what they link. A cell's trait impl
 * needs no link of its own: Rust's orphan rule makes every impl in a cell
 * crate name a type or a trait that cell defines, so a cell that can use
 * the impl has that type or trait, and the cell, already (a trait by its
 * name, always in scope; a type by its name, or through a cell that
 * links the cell). */
static int plan_links(cell_job *j) {
  const rimport__cell_state *st = j->env->state;
  size_t i, k, scope_cap = 0, link_cap = 0, closure_cap = 0;
  int rc = 0;
  for (i = 0; rc == 0 && i < st->count; i++) {
    const rimport__scope_entry *e = &st->names[i];
    if (e->name[0] != '*' && has_name(&j->defined, e->name))
      continue; /* this cell defines it again: its own shadows it */
    if (e->cell >= 0 && !e->always && !has_name(&j->mentioned, e->name))
      continue; /* an earlier cell's item this cell does not name */
    if (bound_by_extern(j, e))
      continue;
    rc = add_index(&j->scope, &j->scope_count, &scope_cap, i);
    if (rc == 0 && e->cell >= 0)
      rc = add_index(&j->links, &j->link_count, &link_cap, (size_t)e->cell);
  }
  if (rc == 0 && j->api >= 0)
    rc = add_index(&j->links, &j->link_count, &link_cap, (size_t)j->api);
  for (i = 0; rc == 0 && i < j->link_count; i++)
    rc = add_index(&j->closure, &j->closure_count, &closure_cap, j->links[i]);
  /* Breadth first: what the linked cells link, and so on. */
  for (i = 0; rc == 0 && i < j->closure_count; i++) {
    const rimport__cell_rec *r = &st->recs[j->closure[i]];
    for (k = 0; rc == 0 && k < r->link_count; k++)
      rc = add_index(&j->closure, &j->closure_count, &closure_cap, r->links[k]);
  }
  if (j->link_count > 1)
    qsort(j->links, j->link_count, sizeof(*j->links), cmp_index);
  if (j->closure_count > 1)
    qsort(j->closure, j->closure_count, sizeof(*j->closure), cmp_index);
  return rc;
}

/* What rustc shows for the sources: the directory of the cell's file and
 * its name, or "cell N" and "cell.rs". */
static int source_names(cell_job *j) {
  int rc;
  if (j->opts->source_path != NULL) {
    if ((rc = rimport__path_dir(j->opts->source_path, &j->origin)) == 0)
      rc =
          rimport__buf_puts(&j->base, rimport__path_base(j->opts->source_path));
    return rc;
  }
  if ((rc = rimport__buf_printf(&j->origin, "cell %u", j->n)) == 0)
    rc = rimport__buf_puts(&j->base, "cell.rs");
  return rc;
}

/* The cell's manifest, the same build metadata the plugins carry. */
static int cell_manifest(const rimport_toolchain *tc, const char *key,
                         rimport_buf *out) {
  cJSON *m = cJSON_CreateObject(), *rustc = cJSON_AddObjectToObject(m, "rustc");
  int rc,
      ok = rustc != NULL && cJSON_AddNumberToObject(m, "format", 1) &&
           cJSON_AddStringToObject(m, "kind", "cell") &&
           cJSON_AddStringToObject(m, "key", key) &&
           cJSON_AddStringToObject(rustc, "release", tc->release) &&
           cJSON_AddStringToObject(rustc, "fingerprint", tc->fingerprint) &&
           cJSON_AddStringToObject(rustc, "host", tc->host) &&
           cJSON_AddStringToObject(rustc, "target", tc->target) &&
           cJSON_AddNumberToObject(m, "abi_version", KAYTON_API_ABI_VERSION);
  rc = rimport__json_print(ok ? m : NULL, 0, out);
  cJSON_Delete(m);
  return rc;
}

/* The scope lines of the cell, one per line ("use <path> as <name>;"), for
 * the key. */
static int scope_text(const cell_job *j, rimport_buf *out) {
  const rimport__cell_state *st = j->env->state;
  size_t i;
  int rc = 0;
  rimport__buf_clear(out);
  for (i = 0; rc == 0 && i < j->scope_count; i++) {
    const rimport__scope_entry *e = &st->names[j->scope[i]];
    rc = e->alias
             ? rimport__buf_printf(out, "use %s as %s;\n", e->path, e->name)
             : rimport__buf_printf(out, "use %s;\n", e->path);
  }
  return rc;
}

/* The key of the cell (key.c) and its crate name. */
static int cell_key(cell_job *j) {
  const rimport__cell_env *env = j->env;
  rimport_buf flags = RIMPORT_BUF_INIT, plugins = RIMPORT_BUF_INIT,
              externs = RIMPORT_BUF_INIT, scope = RIMPORT_BUF_INIT,
              cells = RIMPORT_BUF_INIT, input = RIMPORT_BUF_INIT,
              where = RIMPORT_BUF_INIT;
  size_t i;
  int rc = 0;
  for (i = 0; rc == 0 && cell_flags[i] != NULL; i++)
    rc = rimport__buf_printf(&flags, "%s ", cell_flags[i]);
  if (rc == 0 && has_backtrace(env->tc))
    rc = rimport__buf_puts(&flags, "--cfg kayton_backtrace ");
  for (i = 0; rc == 0 && i < rimport__loader_count(env->loader); i++)
    rc = rimport__buf_printf(&plugins, "%s ",
                             rimport__loader_at(env->loader, i)->key);
  /* A crate by its name and file name (which holds cargo's hash of it). */
  for (i = 0; rc == 0 && i < j->extern_count; i++) {
    const char *eq = strchr(j->externs[i], '=');
    rc = rimport__buf_printf(&externs, "%.*s=%s ", (int)(eq - j->externs[i]),
                             j->externs[i], rimport__path_base(eq + 1));
  }
  for (i = 0; rc == 0 && i < j->link_count; i++)
    rc =
        rimport__buf_printf(&cells, "%s ", env->state->recs[j->links[i]].crate);
  if (rc == 0)
    rc = scope_text(j, &scope);
  if (rc == 0)
    rc = rimport__buf_printf(&where, "%s/%s:%u", j->origin.ptr, j->base.ptr,
                             j->opts->first_line ? j->opts->first_line : 1);
  if (rc == 0) {
    const rimport__cell_key_part parts[] = {
        {"toolchain", env->tc->fingerprint, strlen(env->tc->fingerprint)},
        {"target", env->tc->target, strlen(env->tc->target)},
        {"flags", flags.ptr, flags.size},
        {"source", where.ptr, where.size},
        {"plugins", plugins.ptr, plugins.size},
        {"externs", externs.ptr, externs.size},
        {"cells", cells.ptr, cells.size},
        {"api", j->api >= 0 ? env->state->recs[j->api].key : "-",
         j->api >= 0 ? strlen(env->state->recs[j->api].key) : 1},
        {"scope", scope.ptr, scope.size},
        {"items", j->items.ptr, j->items.size},
        {"statements", j->statements.ptr, j->statements.size}};
    rc = rimport__cell_key(parts, RIMPORT__ARRAY_SIZE(parts), &input, j->key);
  }
  if (rc == 0)
    rc = rimport__buf_printf(&j->crate, "kayton_cell_%.16s", j->key);
  rimport_buf_dispose(&flags);
  rimport_buf_dispose(&plugins);
  rimport_buf_dispose(&externs);
  rimport_buf_dispose(&scope);
  rimport_buf_dispose(&cells);
  rimport_buf_dispose(&input);
  rimport_buf_dispose(&where);
  return rc;
}

/* --- the sources ---------------------------------------------------------- */

/* The files of one compile, in the workshop <cache>/_cells/<key>. */
typedef struct cell_files {
  rimport_buf dir;       /* the workshop */
  rimport_buf root;      /* <dir>/i/<base>: the crate root, with the items */
  rimport_buf body;      /* <dir>/i/<base> (statements) */
  rimport_buf lib;       /* <dir>/<dl prefix><crate><dl ext> */
  rimport_buf remap;     /* <dir>/i=<origin> */
  rimport_buf remap_dir; /* <dir>/i */
} cell_files;

/* The body module's file name is the cell's with this after it: rustc
 * keeps one source file per name, so the two files of a cell cannot both
 * be shown as the user's file. rustc's messages are given back with it
 * taken out (show_user_paths), and kayton_api's panic reports leave it
 * out. */
#define BODY_SUFFIX " (statements)"

static void files_dispose(cell_files *f) {
  rimport_buf_dispose(&f->dir);
  rimport_buf_dispose(&f->root);
  rimport_buf_dispose(&f->body);
  rimport_buf_dispose(&f->lib);
  rimport_buf_dispose(&f->remap);
  rimport_buf_dispose(&f->remap_dir);
}

static int cell_paths(const cell_job *j, cell_files *f) {
  const rimport__cell_env *env = j->env;
  const char sep = rimport__dir_sep;
  int rc;
  if ((rc = rimport__buf_printf(&f->dir, "%s%c_cells%c%s", env->opts->cache_dir,
                                sep, sep, j->key)) != 0 ||
      (rc = rimport__buf_printf(&f->root, "%s%ci%c%s", f->dir.ptr, sep, sep,
                                j->base.ptr)) != 0 ||
      (rc = rimport__buf_printf(&f->body, "%s%ci%c%s" BODY_SUFFIX, f->dir.ptr,
                                sep, sep, j->base.ptr)) != 0 ||
      (rc = rimport__buf_printf(&f->lib, "%s%c%s%s%s", f->dir.ptr, sep,
                                rimport__dl_prefix(), j->crate.ptr,
                                rimport__dl_ext())) != 0 ||
      (rc = rimport__buf_printf(&f->remap, "%s%ci=%s", f->dir.ptr, sep,
                                j->origin.ptr)) != 0)
    return rc;
  /* A stage of an earlier compile that did not finish: start afresh. */
  if (rimport__fs_is_dir(f->dir.ptr) &&
      (rc = rimport__fs_remove_tree(f->dir.ptr, NULL)) != 0)
    return rc;
  return rimport__path_dir(f->root.ptr, &f->remap_dir) == 0
             ? rimport__fs_mkdir_p(f->remap_dir.ptr)
             : rimport__error_nomem();
}

static const rimport__tpl_record no_values = {NULL, 0, NULL, 0};

/* `count` newlines: the lines before a cell's first one. */
static int lead(rimport_buf *out, unsigned count) {
  unsigned i;
  int rc = 0;
  for (i = 0; rc == 0 && i < count; i++)
    rc = rimport__buf_putc(out, '\n');
  return rc;
}

/* The body module (cell/body.rs.tpl): the entry point's opening on the
 * line before first_line (on line 1 itself when the cell starts there),
 * the statements on their own lines. */
static int write_body(const cell_job *j, const cell_files *f,
                      unsigned first_line) {
  rimport__tpl_var vars[3];
  rimport__tpl_list lists[3];
  rimport__tpl_record root = no_values;
  rimport_buf lines = RIMPORT_BUF_INIT, out = RIMPORT_BUF_INIT,
              head = RIMPORT_BUF_INIT;
  const char *text = j->statements.ptr ? j->statements.ptr : "";
  size_t len = j->statements.size, start = 0;
  int has_tail = 0;
  int rc = lead(&lines, first_line > 2 ? first_line - 2 : 0);
  /* The last expression (after the last `;`), shown as a notebook shows
   * it; a tail that is a `let` (a missing `;`) is not an expression. */
  if (rc == 0 && len > 0 &&
      (rc = rimport__rs_tail(text, len, &start, &has_tail)) == 0 && has_tail) {
    size_t k = start;
    while (k < len && (text[k] == ' ' || text[k] == '\n' || text[k] == '\r' ||
                       text[k] == '\t'))
      k++;
    if (len - k >= 4 && strncmp(text + k, "let", 3) == 0 &&
        (text[k + 3] == ' ' || text[k + 3] == '\n' || text[k + 3] == '\t'))
      has_tail = 0;
  }
  if (rc == 0)
    rc = rimport__buf_put(&head, text, has_tail ? start : len);
  vars[0].name = "lead";
  vars[0].value = lines.ptr ? lines.ptr : "";
  vars[1].name = "head";
  vars[1].value = head.ptr ? head.ptr : "";
  vars[2].name = "tail";
  vars[2].value = has_tail ? text + start : "";
  lists[0].name = "own_line";
  lists[0].records = &no_values;
  lists[0].count = first_line > 1;
  lists[1].name = "tail_first";
  lists[1].records = &no_values;
  lists[1].count = has_tail && start == 0;
  lists[2].name = "tail_later";
  lists[2].records = &no_values;
  lists[2].count = has_tail && start > 0;
  root.vars = vars;
  root.var_count = 3;
  root.lists = lists;
  root.list_count = 3;
  if (rc == 0)
    rc = rimport__template_render("cell/body.rs.tpl", &root, &out);
  if (rc == 0)
    rc = rimport__fs_write_unflushed(f->body.ptr, out.ptr, out.size);
  rimport_buf_dispose(&lines);
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&head);
  return rc;
}

/* The crate root (cell/lib.rs.tpl): the items from first_line on, then
 * kayton_api, the plugins, the linked cells, the scope, the body module
 * and the manifest. */
static int write_root(const cell_job *j, const cell_files *f,
                      unsigned first_line) {
  const rimport__cell_env *env = j->env;
  const rimport__cell_state *st = env->state;
  size_t np = rimport__loader_count(env->loader), i;
  size_t nrec = np + j->link_count + j->scope_count;
  rimport__tpl_var *vars = rimport__calloc(nrec * 2 + 1, sizeof(*vars));
  rimport__tpl_record *recs = rimport__calloc(nrec + 1, sizeof(*recs));
  rimport__tpl_list *alias =
      rimport__calloc(j->scope_count + 1, sizeof(*alias));
  rimport__tpl_var root_vars[5];
  rimport__tpl_list lists[4];
  rimport__tpl_record root = no_values;
  rimport_buf lines = RIMPORT_BUF_INIT, manifest = RIMPORT_BUF_INIT,
              out = RIMPORT_BUF_INIT, body = RIMPORT_BUF_INIT;
  rimport__tpl_var *v = vars;
  rimport__tpl_record *r = recs;
  int rc = vars && recs && alias ? 0 : rimport__error_nomem();
  for (i = 0; rc == 0 && i < np; i++, v++, r++) {
    v->name = "plugin";
    v->value = plugin_name(env, rimport__loader_at(env->loader, i)->key);
    r->vars = v;
    r->var_count = 1;
  }
  for (i = 0; rc == 0 && i < j->link_count; i++, v++, r++) {
    v->name = "cell";
    v->value = st->recs[j->links[i]].crate;
    r->vars = v;
    r->var_count = 1;
  }
  for (i = 0; rc == 0 && i < j->scope_count; i++, v += 2, r++) {
    const rimport__scope_entry *e = &st->names[j->scope[i]];
    v[0].name = "path";
    v[0].value = e->path;
    v[1].name = "name";
    v[1].value = e->name;
    alias[i].name = "alias";
    alias[i].records = &no_values;
    alias[i].count = e->alias != 0;
    r->vars = v;
    r->var_count = 2;
    r->lists = &alias[i];
    r->list_count = 1;
  }
  if (rc == 0)
    rc = lead(&lines, first_line - 1);
  /* the body module's file, relative to the root's directory */
  if (rc == 0)
    rc = rimport__buf_printf(&body, "%s" BODY_SUFFIX, j->base.ptr);
  if (rc == 0)
    rc = cell_manifest(env->tc, j->key, &manifest);
  if (rc == 0) {
    root_vars[0].name = "lead";
    root_vars[0].value = lines.ptr ? lines.ptr : "";
    root_vars[1].name = "items";
    root_vars[1].value = j->public.ptr ? j->public.ptr : "";
    root_vars[2].name = "manifest";
    root_vars[2].value = manifest.ptr;
    root_vars[3].name = "body";
    root_vars[3].value = body.ptr;
    root_vars[4].name = "cell_api_crate";
    root_vars[4].value = j->api >= 0 ? st->recs[j->api].crate : "";
    lists[0].name = "cell_api";
    lists[0].records = &no_values;
    lists[0].count = j->api >= 0;
    lists[1].name = "plugins";
    lists[1].records = recs;
    lists[1].count = np;
    lists[2].name = "cells";
    lists[2].records = recs + np;
    lists[2].count = j->link_count;
    lists[3].name = "scope";
    lists[3].records = recs + np + j->link_count;
    lists[3].count = j->scope_count;
    root.vars = root_vars;
    root.var_count = 5;
    root.lists = lists;
    root.list_count = 4;
    rc = rimport__template_render("cell/lib.rs.tpl", &root, &out);
  }
  if (rc == 0)
    rc = rimport__fs_write_unflushed(f->root.ptr, out.ptr, out.size);
  rimport__free(vars);
  rimport__free(recs);
  rimport__free(alias);
  rimport_buf_dispose(&lines);
  rimport_buf_dispose(&manifest);
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&body);
  return rc;
}

/* --- rustc ------------------------------------------------------------------
 */

/* The rustc to run: the toolchain's own binary, not a rustup proxy (one
 * process instead of two per cell). */
static int rustc_binary(const rimport_toolchain *tc, rimport_buf *out) {
  int rc;
  rimport__buf_clear(out);
  rc = rimport__buf_printf(out, "%s%cbin%crustc%s", tc->sysroot,
                           rimport__dir_sep, rimport__dir_sep,
                           rimport__exe_suffix);
  if (rc == 0 && !rimport__fs_is_file(out->ptr)) {
    rimport__buf_clear(out);
    rc = rimport__buf_puts(out, tc->rustc);
  }
  return rc;
}

/* The lib farm, <cache>/_cells/lib (farm_add below), and a file in it
 * when `file` is not NULL. */
static int farm_path(rimport_buf *out, const char *cache_dir,
                     const char *file) {
  const char sep = rimport__dir_sep;
  rimport__buf_clear(out);
  return file
             ? rimport__buf_printf(out, "%s%c_cells%clib%c%s", cache_dir, sep,
                                   sep, sep, file)
             : rimport__buf_printf(out, "%s%c_cells%clib", cache_dir, sep, sep);
}

/* rustc's command line for the cell. */
static int rustc_argv(const cell_job *j, const cell_files *f, const char *rustc,
                      rimport__argv *argv) {
  const rimport__cell_env *env = j->env;
  const rimport__cell_state *st = env->state;
  size_t i, n = rimport__loader_count(env->loader);
  rimport_buf farm_buf = RIMPORT_BUF_INIT;
  const char *farm;
  int rc = rimport__relative_tool_paths
               ? rimport__buf_printf(&farm_buf, "..%clib", rimport__dir_sep)
               : farm_path(&farm_buf, env->opts->cache_dir, NULL);
  if (rc != 0)
    return rc;
  farm = farm_buf.ptr;
  rimport__argv_add(argv, rustc);
  for (i = 0; cell_flags[i] != NULL; i++)
    rimport__argv_add(argv, cell_flags[i]);
  if (has_backtrace(env->tc))
    rimport__argv_addv(argv, "--cfg", "kayton_backtrace", NULL);
  rimport__argv_addv(argv, "--crate-name", j->crate.ptr, "--remap-path-prefix",
                     f->remap.ptr, NULL);
  if (strcmp(env->tc->target, env->tc->host) != 0)
    rimport__argv_addv(argv, "--target", env->tc->target, NULL);
  for (i = 0; i < n; i++)
    rimport__argv_addf(argv, "-Ldependency=%s",
                       rimport__loader_at(env->loader, i)->deps_dir);
  /* The cells behind the linked ones: all in the lib farm (one -L, which
   * rustc and the linker search, however many cells there are). Paths in
   * the farm, and the output, are relative to rustc's working directory,
   * the cell's stage beside the farm (<cache>/_cells/<key>), where the
   * platform says so (rimport__relative_tool_paths). */
  if (j->closure_count > 0)
    rimport__argv_addf(argv, "-Ldependency=%s", farm);
  for (i = 0; i < n; i++) {
    const rimport__loaded *l = rimport__loader_at(env->loader, i);
    rimport__argv_add(argv, "--extern");
    rimport__argv_addf(argv, "%s=%s", plugin_name(env, l->key), l->dylib);
  }
  for (i = 0; i < j->extern_count; i++)
    rimport__argv_addv(argv, "--extern", j->externs[i], NULL);
  for (i = 0; i < j->link_count; i++) {
    const rimport__cell_rec *r = &st->recs[j->links[i]];
    rimport__argv_add(argv, "--extern");
    rimport__argv_addf(argv, "%s=%s%c%s", r->crate, farm, rimport__dir_sep,
                       rimport__path_base(r->dylib));
  }
  if (j->api < 0) { /* kayton_api: the loaded copy */
    rimport__argv_add(argv, "--extern");
    rimport__argv_addf(argv, "kayton_api=%s",
                       rimport__loader_kayton_api(env->loader));
  }
  rc = rimport__argv_addv(argv, "-o",
                          rimport__relative_tool_paths
                              ? rimport__path_base(f->lib.ptr)
                              : f->lib.ptr,
                          f->root.ptr, NULL);
  rimport_buf_dispose(&farm_buf);
  return rc;
}

/* Runs rustc (argv[0]) in cwd, with the session's time limit and cancel. */
static int spawn_rustc(const rimport__cell_env *env, const rimport__argv *argv,
                       const char *cwd, rimport__proc_result *res) {
  rimport__proc_opts po;
  memset(&po, 0, sizeof(po));
  po.file = argv->v[0];
  po.args = argv->v;
  po.cwd = cwd;
  po.timeout_ms = env->opts->build_timeout_ms;
  po.max_capture = 4u * 1024 * 1024;
  po.cancel = env->cancel;
  return rimport__proc_run(&po, res);
}

/* rustc's message with the body module's file shown as the user's: every
 * "<base> (statements)" becomes "<base>". */
static int show_user_paths(const cell_job *j, const char *text,
                           rimport_buf *out) {
  rimport_buf from = RIMPORT_BUF_INIT;
  const char *p = text, *hit;
  int rc = rimport__buf_printf(&from, "%s" BODY_SUFFIX, j->base.ptr);
  while (rc == 0 && (hit = strstr(p, from.ptr)) != NULL) {
    if ((rc = rimport__buf_put(out, p, (size_t)(hit - p))) == 0)
      rc = rimport__buf_puts(out, j->base.ptr);
    p = hit + from.size;
  }
  if (rc == 0)
    rc = rimport__buf_puts(out, p);
  rimport_buf_dispose(&from);
  return rc;
}

/* What rimport adds to rustc's E0116/E0117 (an impl for a type of another
 * crate): in a session each cell is a crate, so the type's cell is
 * another crate, which rustc cannot say. */
static const char *cross_cell_impl_hint(const char *said) {
  if (strstr(said, "error[E0116]") == NULL &&
      strstr(said, "error[E0117]") == NULL)
    return "";
  return "Each cell is a crate of its own: an inherent impl, or an impl of "
         "another crate's trait, for a type an earlier cell defines must "
         "stand in the cell that defines the type. Define the type again in "
         "this cell, with its impls (the cells after it use the new "
         "one).\n";
}

static int run_rustc(const cell_job *j, const cell_files *f) {
  rimport__argv argv = RIMPORT__ARGV_INIT;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  rimport_buf rustc = RIMPORT_BUF_INIT;
  int rc;
  if ((rc = rustc_binary(j->env->tc, &rustc)) == 0 &&
      (rc = rustc_argv(j, f, rustc.ptr, &argv)) == 0)
    rc = spawn_rustc(j->env, &argv, f->dir.ptr, &res);
  if (rc == 0 && (res.exit_status != 0 || res.term_signal != 0)) {
    rimport_buf said = RIMPORT_BUF_INIT;
    rc = show_user_paths(
        j, res.err.ptr && res.err.size ? res.err.ptr : "(nothing)", &said);
    if (rc == 0)
      rc = rimport__error_set(
          RIMPORT_ECOMPILE,
          "compiling %s failed; rustc said:\n%s\n%s(the generated crate is "
          "in %s)",
          j->opts->source_path ? j->opts->source_path : "the cell", said.ptr,
          cross_cell_impl_hint(said.ptr), f->dir.ptr);
    rimport_buf_dispose(&said);
  }
  rimport__proc_result_dispose(&res);
  rimport__argv_dispose(&argv);
  rimport_buf_dispose(&rustc);
  return rc;
}

/* --- the cache entry --------------------------------------------------------
 */

typedef struct stage_walk {
  rimport__stage *st;
  const char *dir, *crate;
  int rc;
} stage_walk;

/* Every file rustc wrote for the crate (the dylib; on windows-gnu also its
 * import library) into lib/: the dylib as "dylib", the others as "dep". */
static int stage_output(const rimport__dirent *ent, void *payload) {
  stage_walk *w = payload;
  rimport_buf src = RIMPORT_BUF_INIT, rel = RIMPORT_BUF_INIT;
  size_t ext = strlen(rimport__dl_ext()), n = strlen(ent->name);
  if (ent->is_dir || ent->is_link || strstr(ent->name, w->crate) == NULL)
    return 0;
  if ((w->rc = rimport__path_join(&src, w->dir, ent->name)) == 0 &&
      (w->rc = rimport__buf_printf(&rel, "lib/%s", ent->name)) == 0)
    w->rc = rimport__stage_add(
        w->st, src.ptr, rel.ptr,
        n > ext && strcmp(ent->name + n - ext, rimport__dl_ext()) == 0 &&
                strncmp(ent->name, rimport__dl_prefix(),
                        strlen(rimport__dl_prefix())) == 0
            ? "dylib"
            : "dep");
  rimport_buf_dispose(&src);
  rimport_buf_dispose(&rel);
  return w->rc != 0;
}

/* A source file of an entry: `src` staged as `rel` ("crate/lib.rs"). */
typedef struct entry_source {
  const char *src, *rel;
} entry_source;

/* Publishes <cache>/kayton_cell/<key>: what rustc wrote into `dir` for
 * `crate` (lib/), its sources (crate/), an empty deps/ (a cell's crates
 * are its plugins'); `kind` ("cell", "cellapi") goes into the manifest. */
static int publish_entry(const char *cache, const char *key, const char *crate,
                         const char *kind, const char *dir,
                         const entry_source *sources, size_t n,
                         rimport__entry **out) {
  rimport__stage *st = NULL;
  rimport_buf deps = RIMPORT_BUF_INIT;
  stage_walk w;
  size_t i;
  cJSON *extra = cJSON_CreateObject();
  int rc = extra && cJSON_AddStringToObject(extra, "kind", kind) &&
                   cJSON_AddStringToObject(extra, "crate_name", crate)
               ? 0
               : rimport__error_nomem();
  if (rc == 0)
    rc = rimport__stage_begin(cache, CELL_CRATE, key, &st);
  rimport__stage_set_unflushed(st);
  if (rc == 0 &&
      (rc = rimport__path_join(&deps, rimport__stage_dir(st), "deps")) == 0)
    rc = rimport__fs_mkdir_p(deps.ptr);
  if (rc == 0) {
    w.st = st;
    w.dir = dir;
    w.crate = crate;
    w.rc = 0;
    if ((rc = rimport__fs_list_dir(dir, stage_output, &w)) == 0)
      rc = w.rc;
  }
  for (i = 0; rc == 0 && i < n; i++)
    rc = rimport__stage_add(st, sources[i].src, sources[i].rel, "source");
  if (rc == 0) {
    rc = rimport__stage_publish(st, extra, out);
    st = NULL; /* consumed */
  }
  rimport__stage_abort(st);
  cJSON_Delete(extra);
  rimport_buf_dispose(&deps);
  return rc;
}

/* Publishes the compiled cell: its library and its two sources. */
static int publish(const cell_job *j, const cell_files *f,
                   rimport__entry **out) {
  const entry_source sources[] = {{f->root.ptr, "crate/lib.rs"},
                                  {f->body.ptr, "crate/body.rs"}};
  return publish_entry(j->env->opts->cache_dir, j->key, j->crate.ptr, "cell",
                       f->dir.ptr, sources, RIMPORT__ARRAY_SIZE(sources), out);
}

static int farm_ensure(const char *cache_dir, rimport__cell_rec *r);

/* Finds the cell's entry, or compiles and publishes it under the key's
 * lock (another process compiling the same cell is waited for). */
static int find_or_compile(const cell_job *j, rimport__entry **e, int *reused) {
  const rimport__cell_env *env = j->env;
  const char *cache = env->opts->cache_dir;
  rimport__lock *lock = NULL;
  cell_files f;
  int rc;
  *reused = 1;
  if ((rc = rimport__loader_mark_in_use(cache, CELL_CRATE, j->key)) != 0)
    return rc;
  rc = rimport__cache_lookup(cache, CELL_CRATE, j->key, RIMPORT__VERIFY_QUICK,
                             e);
  if (rc != RIMPORT_ENOTFOUND && rc != RIMPORT_ECORRUPT)
    return rc;
  rimport_error_clear();
  if ((rc = rimport__cache_lock(cache, CELL_CRATE, j->key,
                                env->opts->build_timeout_ms, NULL, NULL,
                                env->cancel, &lock)) != 0)
    return rc;
  rc = rimport__cache_lookup(cache, CELL_CRATE, j->key, RIMPORT__VERIFY_QUICK,
                             e);
  if (rc == RIMPORT_ENOTFOUND || rc == RIMPORT_ECORRUPT) {
    unsigned first = j->opts->first_line ? j->opts->first_line : 1;
    size_t i;
    rimport_error_clear();
    rc = 0;
    *reused = 0;
    /* The lib farm holds what this compile links (`rimport cache clear`
     * may have emptied it since those cells were recorded). */
    for (i = 0; i < j->closure_count; i++)
      if ((rc = farm_ensure(cache, &env->state->recs[j->closure[i]])) != 0)
        break;
    memset(&f, 0, sizeof(f));
    if (rc == 0 && (rc = cell_paths(j, &f)) == 0 &&
        (rc = write_body(j, &f, first)) == 0 &&
        (rc = write_root(j, &f, first)) == 0 && (rc = run_rustc(j, &f)) == 0 &&
        (rc = publish(j, &f, e)) == 0)
      rc = rimport__loader_mark_in_use(cache, CELL_CRATE, j->key);
    /* The sources are in the entry; a failed compile's stay to be read. */
    if (rc == 0 && f.dir.size > 0 && rimport__fs_is_dir(f.dir.ptr))
      rimport__fs_remove_tree(f.dir.ptr, NULL);
    files_dispose(&f);
  }
  rimport__cache_unlock(lock);
  return rc;
}

/* The lib farm, <cache>/_cells/lib: a hard link (or, where there can be
 * none, a copy) of the library files of every compiled cell, so that a
 * cell compile gives rustc one -L dependency= for all the cells behind the
 * ones it links — rustc and the linker search every -L directory, and a
 * session of 200 cells would give 200. Names hold the cell's key: a file
 * there is never replaced. */
typedef struct farm_walk {
  const char *from, *to;
  int rc;
} farm_walk;

static int farm_file(const rimport__dirent *ent, void *payload) {
  farm_walk *w = payload;
  rimport_buf src = RIMPORT_BUF_INIT, dst = RIMPORT_BUF_INIT,
              tmp = RIMPORT_BUF_INIT;
  uv_fs_t req;
  int r;
  if (ent->is_dir || ent->is_link)
    return 0;
  if ((w->rc = rimport__path_join(&src, w->from, ent->name)) == 0 &&
      (w->rc = rimport__path_join(&dst, w->to, ent->name)) == 0 &&
      !rimport__fs_is_file(dst.ptr)) {
    r = uv_fs_link(NULL, &req, src.ptr, dst.ptr, NULL);
    uv_fs_req_cleanup(&req);
    /* No hard link (another file system, or one without): a copy, put in
     * place by rename so that no one sees half of it. */
    if (r != 0 && r != UV_EEXIST &&
        (w->rc = rimport__buf_printf(&tmp, "%s.tmp-%d", dst.ptr,
                                     (int)uv_os_getpid())) == 0 &&
        (w->rc = rimport__fs_copy_file(src.ptr, tmp.ptr, NULL, NULL, NULL)) ==
            0 &&
        (w->rc = rimport__fs_rename(tmp.ptr, dst.ptr, NULL)) != 0)
      rimport__fs_unlink(tmp.ptr);
  }
  rimport_buf_dispose(&src);
  rimport_buf_dispose(&dst);
  rimport_buf_dispose(&tmp);
  return w->rc != 0;
}

static int farm_add(const char *cache_dir, const char *lib_dir) {
  rimport_buf farm = RIMPORT_BUF_INIT;
  farm_walk w;
  int rc = farm_path(&farm, cache_dir, NULL);
  if (rc == 0)
    rc = rimport__fs_mkdir_p(farm.ptr);
  if (rc == 0) {
    w.from = lib_dir;
    w.to = farm.ptr;
    w.rc = 0;
    if ((rc = rimport__fs_list_dir(lib_dir, farm_file, &w)) == 0)
      rc = w.rc;
  }
  rimport_buf_dispose(&farm);
  return rc;
}

/* farm_add once per cell and session: a cell compile then checks only
 * that each cell it needs is still there (one stat each; `rimport cache
 * clear` from another process may have emptied the farm), not each of
 * their files again (that grew with the session: cell 200 of a chain
 * listed 200 directories). */
static int farm_ensure(const char *cache_dir, rimport__cell_rec *r) {
  rimport_buf path = RIMPORT_BUF_INIT;
  int rc = 0;
  if (r->farmed &&
      (rc = farm_path(&path, cache_dir, rimport__path_base(r->dylib))) == 0 &&
      !rimport__fs_is_file(path.ptr))
    r->farmed = 0;
  rimport_buf_dispose(&path);
  if (rc == 0 && !r->farmed && (rc = farm_add(cache_dir, r->lib_dir)) == 0)
    r->farmed = 1;
  return rc;
}

/* Adds a compiled crate (a cell, or kayton_cellapi) to the session's
 * records: *index is its place. The links move from *links. */
static int add_rec(rimport__cell_state *st, const char *crate, const char *key,
                   const char *dylib, size_t **links, size_t *link_count,
                   size_t *index) {
  rimport__cell_rec *r;
  rimport_buf dir = RIMPORT_BUF_INIT;
  int rc;
  if ((rc = rimport__grow((void **)&st->recs, &st->rec_cap, st->rec_count + 1,
                          sizeof(*st->recs))) != 0)
    return rc;
  r = &st->recs[st->rec_count];
  memset(r, 0, sizeof(*r));
  r->crate = rimport__strdup(crate);
  r->key = rimport__strdup(key);
  r->dylib = rimport__strdup(dylib);
  if (r->crate == NULL || r->key == NULL || r->dylib == NULL ||
      rimport__path_dir(dylib, &dir) != 0 ||
      (r->lib_dir = rimport__buf_detach(&dir)) == NULL) {
    rimport__free(r->crate);
    rimport__free(r->key);
    rimport__free(r->dylib);
    rimport_buf_dispose(&dir);
    return rimport__error_nomem();
  }
  if (links != NULL) {
    r->links = *links;
    r->link_count = *link_count;
    *links = NULL;
    *link_count = 0;
  }
  *index = st->rec_count++;
  return 0;
}

/* Records the cell and binds the names its items define. */
static int record(cell_job *j, const rimport__entry *e, size_t *index) {
  rimport__cell_state *st = j->env->state;
  rimport_buf path = RIMPORT_BUF_INIT;
  size_t i;
  int rc = add_rec(st, j->crate.ptr, j->key, e->dylib, &j->links,
                   &j->link_count, index);
  if (rc == 0)
    rc = farm_ensure(j->env->opts->cache_dir, &st->recs[*index]);
  if (rc != 0)
    return rc;
  for (i = 0; rc == 0 && i < j->defined.count; i++) {
    rimport__buf_clear(&path);
    if ((rc = rimport__buf_printf(&path, "::%s::%s", st->recs[*index].crate,
                                  j->defined.v[i].name)) == 0)
      rc = rimport__cell_scope_set(st, j->defined.v[i].name, path.ptr, 0,
                                   (long)*index);
    if (rc == 0 && (j->defined.v[i].kind == RIMPORT__RS_TRAIT ||
                    j->defined.v[i].kind == RIMPORT__RS_USE))
      rimport__cell_scope_always(st, j->defined.v[i].name);
  }
  /* What a glob import or a `use … as _` (a trait, for its methods) brings
   * has no name here: every later cell imports this cell's crate root with
   * a glob, `use ::kayton_cell_…::*;` (below its own items and named
   * imports, as globs are in one Rust module), and so links it. */
  if (rc == 0 && (j->defined.has_glob || j->defined.has_underscore_use)) {
    rimport_buf key = RIMPORT_BUF_INIT;
    rimport__buf_clear(&path);
    if ((rc = rimport__buf_printf(&path, "::%s::*", st->recs[*index].crate)) ==
            0 &&
        (rc = rimport__buf_printf(&key, "*%s", path.ptr)) == 0 &&
        (rc = rimport__cell_scope_set(st, key.ptr, path.ptr, 0,
                                      (long)*index)) == 0)
      rimport__cell_scope_always(st, key.ptr);
    rimport_buf_dispose(&key);
  }
  rimport_buf_dispose(&path);
  return rc;
}

/* --- kayton_cellapi --------------------------------------------------------
 * Cells before the session's first plugin have no kayton_api library to
 * link (the plugins bring it). rimport compiles kayton_api's source once,
 * as the crate kayton_cellapi, into a cache entry of its own (keyed by the
 * templates, the toolchain and the flags), which those cells link as
 * `kayton_api` — instead of compiling it into every cell. Cells after a
 * plugin use the plugins' copy. */

#define CELL_API "kayton_cellapi"

static int compile_cell_api(const cell_job *j, const char *key,
                            rimport__entry **e) {
  const rimport__cell_env *env = j->env;
  const char sep = rimport__dir_sep;
  rimport_buf api = RIMPORT_BUF_INIT, src = RIMPORT_BUF_INIT,
              dir = RIMPORT_BUF_INIT, lib = RIMPORT_BUF_INIT,
              rustc = RIMPORT_BUF_INIT, crate = RIMPORT_BUF_INIT;
  rimport__argv argv = RIMPORT__ARGV_INIT;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  int rc;
  if ((rc = rimport__gen_kayton_api_dir(env->opts->cache_dir, &api)) == 0 &&
      (rc = rimport__gen_kayton_api(api.ptr)) == 0 &&
      (rc = rimport__buf_printf(&src, "%s%csrc%clib.rs", api.ptr, sep, sep)) ==
          0 &&
      (rc = rimport__buf_printf(&dir, "%s%c_cells%c%s", env->opts->cache_dir,
                                sep, sep, key)) == 0 &&
      (rc = rimport__buf_printf(&crate, CELL_API "_%.16s", key)) == 0 &&
      (rc = rimport__buf_printf(&lib, "%s%c%s%s%s", dir.ptr, sep,
                                rimport__dl_prefix(), crate.ptr,
                                rimport__dl_ext())) == 0 &&
      (!rimport__fs_is_dir(dir.ptr) ||
       (rc = rimport__fs_remove_tree(dir.ptr, NULL)) == 0) &&
      (rc = rimport__fs_mkdir_p(dir.ptr)) == 0 &&
      (rc = rustc_binary(env->tc, &rustc)) == 0) {
    rimport__argv_addv(&argv, rustc.ptr, "--edition", "2021", "--crate-type",
                       "dylib", "-C", "prefer-dynamic", "-C", "debuginfo=0",
                       "--cap-lints", "allow", "--color", "never",
                       "--crate-name", crate.ptr, NULL);
    if (has_backtrace(env->tc))
      rimport__argv_addv(&argv, "--cfg", "kayton_backtrace", NULL);
    if (strcmp(env->tc->target, env->tc->host) != 0)
      rimport__argv_addv(&argv, "--target", env->tc->target, NULL);
    rc = rimport__argv_addv(&argv, "-o", lib.ptr, src.ptr, NULL);
  }
  if (rc == 0)
    rc = spawn_rustc(env, &argv, dir.ptr, &res);
  if (rc == 0 && (res.exit_status != 0 || res.term_signal != 0))
    rc = rimport__error_set(RIMPORT_ECOMPILE,
                            "compiling kayton_api for cells (%s) failed; "
                            "rustc said:\n%s",
                            src.ptr, res.err.size ? res.err.ptr : "(nothing)");
  if (rc == 0) {
    const entry_source source = {src.ptr, "crate/lib.rs"};
    rc = publish_entry(env->opts->cache_dir, key, crate.ptr, "cellapi", dir.ptr,
                       &source, 1, e);
  }
  if (rc == 0)
    rimport__fs_remove_tree(dir.ptr, NULL);
  rimport__proc_result_dispose(&res);
  rimport__argv_dispose(&argv);
  rimport_buf_dispose(&api);
  rimport_buf_dispose(&src);
  rimport_buf_dispose(&dir);
  rimport_buf_dispose(&lib);
  rimport_buf_dispose(&rustc);
  rimport_buf_dispose(&crate);
  return rc;
}

/* j->api: the rec of kayton_cellapi (found or compiled, then recorded
 * once per session) when no kayton_api is loaded; else -1. */
static int ensure_cell_api(cell_job *j) {
  const rimport__cell_env *env = j->env;
  rimport__cell_state *st = env->state;
  const char *cache = env->opts->cache_dir;
  const char *bt = has_backtrace(env->tc) ? "--cfg kayton_backtrace" : "";
  rimport__entry *e = NULL;
  rimport__lock *lock = NULL;
  rimport_buf input = RIMPORT_BUF_INIT, crate = RIMPORT_BUF_INIT;
  char key[33];
  size_t index;
  int rc;
  j->api = -1;
  if (rimport__loader_kayton_api(env->loader) != NULL)
    return 0;
  if (st->api_rec > 0) {
    j->api = (long)st->api_rec - 1;
    return 0;
  }
  {
    const rimport__cell_key_part parts[] = {
        {"kind", CELL_API, strlen(CELL_API)},
        {"toolchain", env->tc->fingerprint, strlen(env->tc->fingerprint)},
        {"target", env->tc->target, strlen(env->tc->target)},
        {"flags", bt, strlen(bt)}};
    rc = rimport__cell_key(parts, RIMPORT__ARRAY_SIZE(parts), &input, key);
  }
  rimport_buf_dispose(&input);
  if (rc == 0 &&
      (rc = rimport__loader_mark_in_use(cache, CELL_CRATE, key)) == 0)
    rc = rimport__cache_lookup(cache, CELL_CRATE, key, RIMPORT__VERIFY_QUICK,
                               &e);
  if (rc == RIMPORT_ENOTFOUND || rc == RIMPORT_ECORRUPT) {
    rimport_error_clear();
    if ((rc = rimport__cache_lock(cache, CELL_CRATE, key,
                                  env->opts->build_timeout_ms, NULL, NULL,
                                  env->cancel, &lock)) == 0) {
      rc = rimport__cache_lookup(cache, CELL_CRATE, key, RIMPORT__VERIFY_QUICK,
                                 &e);
      if (rc == RIMPORT_ENOTFOUND || rc == RIMPORT_ECORRUPT) {
        rimport_error_clear();
        if ((rc = compile_cell_api(j, key, &e)) == 0)
          rc = rimport__loader_mark_in_use(cache, CELL_CRATE, key);
      }
      rimport__cache_unlock(lock);
    }
  }
  if (rc == 0 &&
      (rc = rimport__buf_printf(&crate, CELL_API "_%.16s", key)) == 0 &&
      (rc = add_rec(st, crate.ptr, key, e->dylib, NULL, NULL, &index)) == 0 &&
      (rc = farm_ensure(cache, &st->recs[index])) == 0) {
    st->api_rec = index + 1;
    j->api = (long)index;
  }
  rimport__entry_free(e);
  rimport_buf_dispose(&crate);
  return rc;
}

int rimport__cell_compile(const rimport__cell_env *env, const char *rust,
                          size_t len, const rimport_cell_plan *plan,
                          const rimport_cell_options *opts,
                          rimport_cell **out) {
  cell_job j;
  rimport__entry *e = NULL;
  rimport_cell *cell = NULL;
  size_t index = 0;
  int rc, reused = 0;
  memset(&j, 0, sizeof(j));
  j.env = env;
  j.opts = opts;
  if (plan != NULL && (rc = rimport__cell_scope_add(env->state, plan)) != 0)
    return rc;
  j.n = ++env->state->cells;
  if ((rc = blank_statements(rust, len, &j.statements)) == 0 &&
      (rc = blank_statements(opts->items, opts->items ? opts->items_len : 0,
                             &j.items)) == 0 &&
      (rc = rimport__rs_item_names(j.items.ptr, j.items.size, &j.defined)) ==
          0 &&
      (rc = rimport__rs_idents(j.items.ptr, j.items.size, &j.mentioned)) == 0 &&
      (rc = rimport__rs_idents(j.statements.ptr, j.statements.size,
                               &j.mentioned)) == 0 &&
      (rc = rimport__rs_make_public(j.items.ptr, j.items.size, &j.public)) ==
          0 &&
      (rc = source_names(&j)) == 0 && (rc = find_externs(&j)) == 0 &&
      (rc = ensure_cell_api(&j)) == 0 && (rc = plan_links(&j)) == 0 &&
      (rc = cell_key(&j)) == 0 &&
      (rc = find_or_compile(&j, &e, &reused)) == 0) {
    rc = record(&j, e, &index);
    if (rc == 0) {
      if ((cell = rimport__calloc(1, sizeof(*cell))) == NULL ||
          (cell->dylib = rimport__strdup(e->dylib)) == NULL) {
        rimport__free(cell);
        rc = rimport__error_nomem();
      } else {
        cell->number = j.n;
        cell->rec = index;
        cell->reused = reused;
        *out = cell;
      }
    }
  }
  rimport__entry_free(e);
  job_dispose(&j);
  return rc;
}
