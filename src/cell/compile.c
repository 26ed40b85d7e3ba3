/* Cell compile (DESIGN.md fact 7): the cell's text into the cell template
 * (plugin_templates/cell/lib.rs.tpl), compiled by rustc directly into a
 * dylib that links the loaded plugins dynamically.
 *
 * The source keeps the user's line numbers: the cell's text starts on the
 * line it had in its file, right after the entry point's opening, and the
 * `use` lines and `extern crate`s come after it (module-level items may
 * stand anywhere). rustc is told to show the file's own path
 * (--remap-path-prefix), so its diagnostics point into the cell as the
 * user wrote it. */
#include <cjson/cJSON.h>
#include <string.h>

#include "cell_internal.h"
#include "../common/fs.h"
#include "../common/json.h"
#include "../gen/gen.h"
#include "../load/load.h"
#include "../platform.h"
#include "../proc/proc.h"
#include "../stack/stack.h"
#include "../template/template.h"

/* The files of one cell compile. */
typedef struct cell_files {
  rimport_buf dir;     /* <cache>/_cells/<session id>/<n> */
  rimport_buf src;     /* <dir>/<file name of the source, or cell.rs> */
  rimport_buf name;    /* the crate: kayton_cell_<session id>_<n> */
  rimport_buf lib;     /* <dir>/<dl prefix><name><dl ext> */
  rimport_buf api_dir; /* kayton_api's source, when it is not loaded yet */
  rimport_buf remap;   /* <dir>=<the source's directory> */
} cell_files;

static void files_dispose(cell_files *f) {
  rimport_buf_dispose(&f->dir);
  rimport_buf_dispose(&f->src);
  rimport_buf_dispose(&f->name);
  rimport_buf_dispose(&f->lib);
  rimport_buf_dispose(&f->api_dir);
  rimport_buf_dispose(&f->remap);
}

/* The crate name of a loaded plugin: every plugin a session loads, it
 * built (rimport_load takes a build result). */
static const char *plugin_name(const rimport__cell_env *env, const char *key) {
  const rimport__built *b = rimport__stack_find(env->stack, key);
  return b != NULL ? b->plugin : "kayton_rplugin__unknown";
}

/* The cell's text with its rimport statements blanked out (newlines kept,
 * so every line stays where it was) into text. */
static int blank_statements(const char *rust, size_t len, rimport_buf *text) {
  rimport_imports *imps = NULL;
  size_t i, k;
  int rc;
  if ((rc = rimport__buf_put(text, rust ? rust : "", len)) != 0 ||
      (rc = rimport_parse(text->ptr, text->size, &imps)) != 0)
    return rc;
  for (i = 0; i < rimport_imports_count(imps); i++) {
    const rimport_span *sp = &rimport_imports_array(imps)[i].span;
    for (k = sp->start; k < sp->end && k < text->size; k++)
      if (text->ptr[k] != '\n')
        text->ptr[k] = ' ';
  }
  rimport_imports_free(imps);
  return 0;
}

/* Where cell n goes, and what rustc is told to show instead of its
 * directory. */
static int cell_paths(const rimport__cell_env *env,
                      const rimport_cell_options *opts, unsigned n,
                      cell_files *f) {
  const char *base =
      opts->source_path ? rimport__path_base(opts->source_path) : "cell.rs";
  rimport_buf origin = RIMPORT_BUF_INIT;
  int rc;
  if ((rc = rimport__buf_printf(&f->dir, "%s%c_cells%c%s%c%u",
                                env->opts->cache_dir, rimport__dir_sep,
                                rimport__dir_sep, env->state->id,
                                rimport__dir_sep, n)) != 0 ||
      (rc = rimport__fs_mkdir_p(f->dir.ptr)) != 0 ||
      (rc = rimport__path_join(&f->src, f->dir.ptr, base)) != 0 ||
      (rc = rimport__buf_printf(&f->name, "kayton_cell_%s_%u", env->state->id,
                                n)) != 0 ||
      (rc = rimport__buf_printf(&f->lib, "%s%c%s%s%s", f->dir.ptr,
                                rimport__dir_sep, rimport__dl_prefix(),
                                f->name.ptr, rimport__dl_ext())) != 0)
    return rc;
  /* Diagnostics name the user's file, not the generated one. */
  if (opts->source_path != NULL &&
      (rc = rimport__path_dir(opts->source_path, &origin)) == 0)
    rc = rimport__buf_printf(&f->remap, "%s=%s", f->dir.ptr, origin.ptr);
  else if (opts->source_path == NULL)
    rc = rimport__buf_printf(&f->remap, "%s=cell %u", f->dir.ptr, n);
  rimport_buf_dispose(&origin);
  if (rc != 0)
    return rc;
  /* Before any plugin is loaded there is no kayton_api library to link:
   * the cell compiles the crate's source in as a module. */
  if (rimport__loader_kayton_api(env->loader) == NULL &&
      ((rc = rimport__gen_kayton_api_dir(env->opts->cache_dir, &f->api_dir)) !=
           0 ||
       (rc = rimport__gen_kayton_api(f->api_dir.ptr)) != 0))
    return rc;
  return 0;
}

/* The cell's manifest, the same build metadata the plugins carry. */
static int cell_manifest(const rimport_toolchain *tc, rimport_buf *out) {
  cJSON *m = cJSON_CreateObject(), *rustc = cJSON_AddObjectToObject(m, "rustc");
  int rc,
      ok = rustc != NULL && cJSON_AddNumberToObject(m, "format", 1) &&
           cJSON_AddStringToObject(m, "kind", "cell") &&
           cJSON_AddStringToObject(rustc, "release", tc->release) &&
           cJSON_AddStringToObject(rustc, "fingerprint", tc->fingerprint) &&
           cJSON_AddStringToObject(rustc, "host", tc->host) &&
           cJSON_AddStringToObject(rustc, "target", tc->target) &&
           cJSON_AddNumberToObject(m, "abi_version", KAYTON_API_ABI_VERSION);
  rc = rimport__json_print(ok ? m : NULL, 0, out);
  cJSON_Delete(m);
  return rc;
}

static const rimport__tpl_record no_values = {NULL, 0, NULL, 0};

/* The template's `plugins` and `scope` records: a loaded plugin's crate
 * name, a name in scope's path, name and whether it is an alias. */
typedef struct cell_records {
  rimport__tpl_var *vars;
  rimport__tpl_record *recs;
  rimport__tpl_list *alias;
  rimport__tpl_list lists[2]; /* plugins, scope */
} cell_records;

static void records_dispose(cell_records *r) {
  rimport__free(r->vars);
  rimport__free(r->recs);
  rimport__free(r->alias);
}

static int records_make(const rimport__cell_env *env, cell_records *r) {
  const rimport__cell_state *st = env->state;
  size_t np = rimport__loader_count(env->loader), i;
  rimport__tpl_var *v;
  memset(r, 0, sizeof(*r));
  r->vars = rimport__calloc(np + 2 * st->count + 1, sizeof(*r->vars));
  r->recs = rimport__calloc(np + st->count + 1, sizeof(*r->recs));
  r->alias = rimport__calloc(st->count + 1, sizeof(*r->alias));
  if (r->vars == NULL || r->recs == NULL || r->alias == NULL)
    return rimport__error_nomem();
  for (i = 0, v = r->vars; i < np; i++, v++) {
    v->name = "plugin";
    v->value = plugin_name(env, rimport__loader_at(env->loader, i)->key);
    r->recs[i].vars = v;
    r->recs[i].var_count = 1;
  }
  for (i = 0; i < st->count; i++, v += 2) {
    rimport__tpl_record *rec = &r->recs[np + i];
    v[0].name = "path";
    v[0].value = st->names[i].path;
    v[1].name = "name";
    v[1].value = st->names[i].name;
    r->alias[i].name = "alias";
    r->alias[i].records = &no_values;
    r->alias[i].count = st->names[i].alias != 0;
    rec->vars = v;
    rec->var_count = 2;
    rec->lists = &r->alias[i];
    rec->list_count = 1;
  }
  r->lists[0].name = "plugins";
  r->lists[0].records = r->recs;
  r->lists[0].count = np;
  r->lists[1].name = "scope";
  r->lists[1].records = r->recs + np;
  r->lists[1].count = st->count;
  return 0;
}

/* Renders the cell's source (plugin_templates/cell/lib.rs.tpl) into
 * f->src: the entry point's opening on the line before first_line (on
 * line 1 itself when the cell starts there), the cell's text on its own
 * lines, then kayton_api, the plugins and the names in scope. */
static int write_source(const rimport__cell_env *env, const cell_files *f,
                        const rimport_buf *text, unsigned first_line) {
  cell_records r;
  rimport__tpl_var vars[3], api_var;
  rimport__tpl_list lists[4];
  rimport__tpl_record root = no_values, api_rec = no_values;
  rimport_buf lead = RIMPORT_BUF_INIT, manifest = RIMPORT_BUF_INIT,
              api_lib = RIMPORT_BUF_INIT, out = RIMPORT_BUF_INIT;
  unsigned i;
  int rc = records_make(env, &r);
  for (i = 2; rc == 0 && i < first_line; i++)
    rc = rimport__buf_putc(&lead, '\n');
  if (rc == 0)
    rc = cell_manifest(env->tc, &manifest);
  /* kayton_api's lib.rs as seen from the cell's directory: a #[path]
   * relative to the source, which any rustc reads the same way. */
  if (rc == 0 && f->api_dir.size > 0 &&
      (rc = rimport__buf_printf(&out, "%s%csrc%clib.rs", f->api_dir.ptr,
                                rimport__dir_sep, rimport__dir_sep)) == 0)
    rc = rimport__path_relative(f->dir.ptr, out.ptr, &api_lib);
  rimport__buf_clear(&out);
  if (rc == 0) {
    vars[0].name = "lead";
    vars[0].value = lead.ptr ? lead.ptr : "";
    vars[1].name = "body";
    vars[1].value = text->ptr ? text->ptr : "";
    vars[2].name = "manifest";
    vars[2].value = manifest.ptr;
    api_var.name = "api_lib";
    api_var.value = api_lib.ptr;
    api_rec.vars = &api_var;
    api_rec.var_count = 1;
    lists[0].name = "own_line";
    lists[0].records = &no_values;
    lists[0].count = first_line > 1;
    lists[1].name = "api_module";
    lists[1].records = &api_rec;
    lists[1].count = f->api_dir.size > 0;
    lists[2] = r.lists[0];
    lists[3] = r.lists[1];
    root.vars = vars;
    root.var_count = 3;
    root.lists = lists;
    root.list_count = 4;
    rc = rimport__template_render("cell/lib.rs.tpl", &root, &out);
  }
  if (rc == 0)
    rc = rimport__fs_write_atomic(f->src.ptr, out.ptr, out.size);
  records_dispose(&r);
  rimport_buf_dispose(&lead);
  rimport_buf_dispose(&manifest);
  rimport_buf_dispose(&api_lib);
  rimport_buf_dispose(&out);
  return rc;
}

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

/* rustc's command line for the cell. */
static int rustc_argv(const rimport__cell_env *env, const cell_files *f,
                      const char *rustc, rimport__argv *argv) {
  size_t i, n = rimport__loader_count(env->loader);
  rimport__argv_addv(argv, rustc, "--edition", "2021", "--crate-type", "dylib",
                     "-C", "prefer-dynamic", "-C", "debuginfo=0", "--color",
                     "never", "--error-format", "human", "--crate-name",
                     f->name.ptr, "--remap-path-prefix", f->remap.ptr, NULL);
  if (strcmp(env->tc->target, env->tc->host) != 0)
    rimport__argv_addv(argv, "--target", env->tc->target, NULL);
  for (i = 0; i < n; i++)
    rimport__argv_addf(argv, "-Ldependency=%s",
                       rimport__loader_at(env->loader, i)->deps_dir);
  for (i = 0; i < n; i++) {
    const rimport__loaded *l = rimport__loader_at(env->loader, i);
    rimport__argv_add(argv, "--extern");
    rimport__argv_addf(argv, "%s=%s", plugin_name(env, l->key), l->dylib);
  }
  if (f->api_dir.size == 0) { /* kayton_api: the loaded copy */
    rimport__argv_add(argv, "--extern");
    rimport__argv_addf(argv, "kayton_api=%s",
                       rimport__loader_kayton_api(env->loader));
  }
  return rimport__argv_addv(argv, "-o", f->lib.ptr, f->src.ptr, NULL);
}

static int run_rustc(const rimport__cell_env *env, const cell_files *f,
                     const rimport_cell_options *opts) {
  rimport__argv argv = RIMPORT__ARGV_INIT;
  rimport__proc_opts po;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  rimport_buf rustc = RIMPORT_BUF_INIT;
  int rc;
  if ((rc = rustc_binary(env->tc, &rustc)) == 0 &&
      (rc = rustc_argv(env, f, rustc.ptr, &argv)) == 0) {
    memset(&po, 0, sizeof(po));
    po.file = rustc.ptr;
    po.args = argv.v;
    po.cwd = f->dir.ptr;
    po.timeout_ms = env->opts->build_timeout_ms;
    po.max_capture = 4u * 1024 * 1024;
    po.cancel = env->cancel;
    rc = rimport__proc_run(&po, &res);
  }
  if (rc == 0 && (res.exit_status != 0 || res.term_signal != 0))
    rc = rimport__error_set(
        RIMPORT_ECOMPILE, "compiling %s failed; rustc said:\n%s",
        opts->source_path ? opts->source_path : "the cell",
        res.err.ptr && res.err.size ? res.err.ptr : "(nothing)");
  rimport__proc_result_dispose(&res);
  rimport__argv_dispose(&argv);
  rimport_buf_dispose(&rustc);
  return rc;
}

int rimport__cell_compile(const rimport__cell_env *env, const char *rust,
                          size_t len, const rimport_cell_plan *plan,
                          const rimport_cell_options *opts,
                          rimport_cell **out) {
  cell_files f;
  rimport_buf text = RIMPORT_BUF_INIT;
  rimport_cell *cell = NULL;
  unsigned n;
  int rc;
  memset(&f, 0, sizeof(f));
  if (plan != NULL && (rc = rimport__cell_scope_add(env->state, plan)) != 0)
    return rc;
  n = ++env->state->cells;
  if ((rc = blank_statements(rust, len, &text)) == 0 &&
      (rc = cell_paths(env, opts, n, &f)) == 0 &&
      (rc = write_source(env, &f, &text,
                         opts->first_line ? opts->first_line : 1)) == 0 &&
      (rc = run_rustc(env, &f, opts)) == 0) {
    if ((cell = rimport__calloc(1, sizeof(*cell))) == NULL ||
        (cell->dylib = rimport__buf_detach(&f.lib)) == NULL) {
      rimport__free(cell);
      rc = rimport__error_nomem();
    } else {
      cell->number = n;
      *out = cell;
    }
  }
  files_dispose(&f);
  rimport_buf_dispose(&text);
  return rc;
}
