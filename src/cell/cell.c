/* Load, register, cell compile and run: the last stages of the pipeline.
 *
 * A cell is compiled with rustc directly (DESIGN.md fact 7) into a dylib
 * that links the loaded plugins dynamically. Its source keeps the user's
 * line numbers: the cell's text starts on the line it had in its file, right
 * after the entry point's opening on the same line, and the `use` lines and
 * `extern crate`s come after it (module-level items may stand anywhere).
 * rustc is told to show the file's own path (--remap-path-prefix), so its
 * diagnostics point into the cell as the user wrote it. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cell.h"
#include "../common/escape.h"
#include "../common/fs.h"
#include "../common/names.h"
#include "../gen/gen.h"
#include "../load/load.h"
#include "../platform.h"
#include "../plan/plan.h"
#include "../proc/proc.h"
#include "../vm/vm.h"

/* One name in scope for cells: the `use` line that binds it. Later cells
 * that bind the name again replace it (as a re-import does). */
typedef struct scope_entry {
  char *name;
  char *line; /* "use ::plugin::items::x as name;" */
} scope_entry;

struct rimport__cell_state {
  rimport_extra_dep *deps; /* the cargo route; rebuilt on each call */
  size_t dep_count;
  char *api_dir;
  scope_entry *names;
  size_t count, cap;
  unsigned int cells; /* cells compiled so far */
  char id[24];        /* session id, part of every cell crate name */
};

struct rimport_cell {
  char *dylib;
  char *crate_name;
  unsigned int number;
};

/* --- the session's context ----------------------------------------------- */

static void vm_output(int32_t level, const char *text, size_t len,
                      void *payload) {
  rimport_session *s = payload;
  if (s->opts.output != NULL)
    s->opts.output((int)level, text, len, s->opts.output_payload);
}

static int ensure_context(rimport_session *s) {
  int rc;
  if (s->context != NULL)
    return 0;
  if (s->opts.context != NULL) {
    s->context = s->opts.context;
    return 0;
  }
  if ((rc = rimport__vm_new(&s->vm)) != 0)
    return rc;
  rimport__vm_set_output(s->vm, vm_output, s);
  s->context = rimport__vm_context(s->vm);
  return 0;
}

KaytonContext *rimport_session_context(rimport_session *s) {
  if (s == NULL || ensure_context(s) != 0)
    return NULL;
  return s->context;
}

static int ensure_state(rimport_session *s) {
  if (s->cells != NULL)
    return 0;
  if ((s->cells = rimport__calloc(1, sizeof(*s->cells))) == NULL)
    return rimport__error_nomem();
  snprintf(s->cells->id, sizeof(s->cells->id), "%x%llx",
           (unsigned)uv_os_getpid(),
           (unsigned long long)(uv_hrtime() & 0xffffff));
  return 0;
}

void rimport__cell_session_free(rimport_session *s) {
  size_t i;
  if (s->cells != NULL) {
    for (i = 0; i < s->cells->count; i++) {
      rimport__free(s->cells->names[i].name);
      rimport__free(s->cells->names[i].line);
    }
    rimport__free(s->cells->names);
    rimport__free(s->cells->deps);
    rimport__free(s->cells->api_dir);
    rimport__free(s->cells);
    s->cells = NULL;
  }
  /* Every value kept in the VM is dropped here (drop functions live in
   * libraries that stay loaded). */
  rimport__vm_free(s->vm);
  s->vm = NULL;
  s->context = NULL;
  rimport__loader_free(s->loader);
  s->loader = NULL;
}

/* --- load and register ---------------------------------------------------- */

int rimport_load(rimport_session *s, const rimport_build_result *built) {
  const rimport_toolchain *tc;
  size_t i;
  int rc;
  if (s == NULL || built == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_load: session and build result are "
                              "needed");
  if ((rc = rimport_session_toolchain(s, &tc)) != 0)
    return rc;
  if (s->loader == NULL && (rc = rimport__loader_new(&s->loader)) != 0)
    return rc;
  for (i = 0; i < rimport_build_count(built); i++) {
    const rimport_built_plugin *p = &rimport_build_plugins(built)[i];
    const rimport__loaded *l;
    if ((rc = rimport__loader_load(s->loader, tc, s->cache_dir, p->crate,
                                   p->key, &l)) != 0)
      return rc;
  }
  return 0;
}

static const char *vm_last_error(void *payload) {
  return rimport__vm_last_error(payload);
}

int rimport_register(rimport_session *s) {
  size_t n;
  int rc;
  if (s == NULL)
    return rimport__error_set(RIMPORT_EINVAL, "rimport_register: no session");
  if ((rc = ensure_context(s)) != 0)
    return rc;
  n = s->loader ? rimport__loader_count(s->loader) : 0;
  for (; s->registered < n; s->registered++) {
    const rimport__loaded *l = rimport__loader_at(s->loader, s->registered);
    if (s->vm != NULL)
      rimport__vm_cell_begin(s->vm);
    if ((rc = rimport__loader_register(s->loader, l->key, s->context,
                                       s->vm ? vm_last_error : NULL, s->vm)) !=
        0) {
      s->registered++; /* a failed plugin is not tried again */
      return rc;
    }
  }
  return 0;
}

/* --- names in scope ----------------------------------------------------- */

static int scope_set(struct rimport__cell_state *st, const char *name,
                     const char *line) {
  size_t i;
  char *l = rimport__strdup(line);
  int rc;
  if (l == NULL)
    return rimport__error_nomem();
  for (i = 0; i < st->count; i++)
    if (strcmp(st->names[i].name, name) == 0) {
      rimport__free(st->names[i].line);
      st->names[i].line = l;
      return 0;
    }
  if ((rc = rimport__grow((void **)&st->names, &st->cap, st->count + 1,
                          sizeof(*st->names))) != 0) {
    rimport__free(l);
    return rc;
  }
  if ((st->names[st->count].name = rimport__strdup(name)) == NULL) {
    rimport__free(l);
    return rimport__error_nomem();
  }
  st->names[st->count++].line = l;
  return 0;
}

/* "a::b" → "a::b::" (or "" for the root). */
static void module_prefix(rimport_buf *b, const char *module) {
  if (module != NULL)
    rimport__buf_printf(b, "%s::", module);
}

/* The names a plan binds, as `use` lines of the plugins that export them. */
static int add_plan_scope(struct rimport__cell_state *st,
                          const rimport_cell_plan *plan) {
  size_t i, j, k;
  rimport_buf line = RIMPORT_BUF_INIT, name = RIMPORT_BUF_INIT;
  int rc = 0;
  for (i = 0; rc == 0 && i < rimport_plan_plugin_count(plan); i++) {
    const rimport_plugin *p = &rimport_plan_plugins(plan)[i];
    for (j = 0; rc == 0 && j < p->binding_count; j++) {
      const rimport_binding *b = &p->bindings[j];
      int generic_only = b->item != NULL;
      rimport__buf_clear(&line);
      if (b->item == NULL) {
        rc = rimport__buf_printf(&line, "use ::%s::exports as %s;", p->plugin,
                                 b->name);
        if (rc == 0)
          rc = scope_set(st, b->name, line.ptr);
        continue;
      }
      /* Is the item requested plain (not only as generic instances)? */
      for (k = 0; generic_only && k < p->item_count; k++)
        if (p->items[k].shape_count == 0 &&
            strcmp(p->items[k].name, b->item) == 0 &&
            ((p->items[k].module == NULL && b->module == NULL) ||
             (p->items[k].module && b->module &&
              strcmp(p->items[k].module, b->module) == 0)))
          generic_only = 0;
      if (generic_only)
        continue; /* instances are bound below, by their own names */
      rc = rimport__buf_printf(&line, "use ::%s::items::", p->plugin);
      module_prefix(&line, b->module);
      if (strcmp(b->item, "*") == 0) {
        rc = rimport__buf_puts(&line, "*;");
        if (rc == 0) { /* globs have no name: keyed by their path */
          rimport__buf_clear(&name);
          rc = rimport__buf_printf(&name, "*%s", line.ptr);
          if (rc == 0)
            rc = scope_set(st, name.ptr, line.ptr);
        }
        continue;
      }
      if (rc == 0)
        rc = rimport__buf_printf(&line, "%s as %s;", b->item, b->name);
      if (rc == 0)
        rc = scope_set(st, b->name, line.ptr);
    }
    /* Generic instances: `largest[i64]` is `largest__i64`. */
    for (j = 0; rc == 0 && j < p->item_count; j++) {
      const rimport_plugin_item *it = &p->items[j];
      if (it->shape_count == 0)
        continue;
      rc = rimport__gen_instance_name(it, &name);
      rimport__buf_clear(&line);
      if (rc == 0)
        rc = rimport__buf_printf(&line, "use ::%s::inst::", p->plugin);
      module_prefix(&line, it->module);
      if (rc == 0)
        rc = rimport__buf_printf(&line, "%s;", name.ptr);
      if (rc == 0)
        rc = scope_set(st, name.ptr, line.ptr);
    }
  }
  rimport_buf_dispose(&line);
  rimport_buf_dispose(&name);
  return rc;
}

/* --- compile ----------------------------------------------------------------
 */

/* The rustc to run: the toolchain's own binary, not a rustup proxy (one
 * process instead of two per cell). */
static int rustc_binary(const rimport_toolchain *tc, rimport_buf *out) {
  static const char *const names[] = {"rustc", "rustc.exe"};
  size_t i;
  int rc = 0;
  for (i = 0; rc == 0 && i < RIMPORT__ARRAY_SIZE(names); i++) {
    rimport__buf_clear(out);
    rc = rimport__buf_printf(out, "%s%cbin%c%s", tc->sysroot, rimport__dir_sep,
                             rimport__dir_sep, names[i]);
    if (rc == 0 && rimport__fs_is_file(out->ptr))
      return 0;
  }
  rimport__buf_clear(out);
  return rc != 0 ? rc : rimport__buf_puts(out, tc->rustc);
}

/* The crate name of a loaded plugin: every plugin a session loads, it
 * built (rimport_load takes a build result). */
static const char *plugin_name(const rimport_session *s, const char *key) {
  size_t i;
  for (i = 0; i < s->built_count; i++)
    if (strcmp(s->built[i].key, key) == 0)
      return s->built[i].plugin;
  return "kayton_rplugin__unknown";
}

/* Writes the cell's source: blank lines, the entry point's opening on the
 * line before first_line (on line 1 itself when the cell starts there), the
 * cell on its own lines, the closing, then the names in scope. */
static int write_source(rimport_session *s, const char *text, size_t len,
                        unsigned first_line, const char *path,
                        const rimport_toolchain *tc, const char *api_dir) {
  struct rimport__cell_state *st = s->cells;
  rimport_buf src = RIMPORT_BUF_INIT, meta = RIMPORT_BUF_INIT;
  size_t i;
  int rc = 0;
  /* The opening goes on the line before the cell (in a cell file, the `%%`
   * line) so that the cell's first line keeps its columns too; only a cell
   * that starts on line 1 shares it. */
  for (i = 2; rc == 0 && i < first_line; i++)
    rc = rimport__buf_putc(&src, '\n');
  if (rc == 0)
    rc = rimport__buf_puts(
        &src,
        "#![allow(unused_imports, unused_variables, unused_mut, dead_code, "
        "unused_macros, unreachable_code, redundant_semicolons)] "
        "#[no_mangle] pub extern \"C\" fn kayton_cell_run(__kayton_ctx: *mut "
        "crate::kayton_api::KaytonContext) -> i32 { unsafe { "
        "crate::kayton_api::catch_raw(__kayton_ctx, |__ctx: &mut "
        "crate::kayton_api::KaytonContext| { let __r: "
        "::std::result::Result<(), "
        "::std::boxed::Box<dyn ::std::error::Error>> = (|| { "
        "macro_rules! kprintln { ($($t:tt)*) => { let __s = "
        "::std::format!(\"{}\\n\", ::std::format_args!($($t)*)); let _ = "
        "__ctx.report(crate::kayton_api::Level::Stdout, &__s); } } "
        "macro_rules! keep { ($n:expr, $v:expr) => { "
        "crate::kayton_api::keep(__ctx, $n, $v)? } } "
        "macro_rules! get { ($t:ty, $n:expr) => { "
        "crate::kayton_api::get::<$t>(__ctx, $n)? } } ");
  if (rc == 0 && first_line > 1)
    rc = rimport__buf_putc(&src, '\n');
  if (rc == 0)
    rc = rimport__buf_put(&src, text, len);
  if (rc == 0)
    rc = rimport__buf_puts(
        &src, "\n; Ok(()) })(); __r.map_err(|e| "
              "crate::kayton_api::Error::Message(e.to_string())) }) } }\n");
  /* kayton_api: the loaded crate; before any plugin is loaded, its source
   * as a module of the cell (nothing is shared with a plugin yet). */
  if (rc == 0 && api_dir == NULL)
    rc = rimport__buf_puts(&src, "extern crate kayton_api;\n");
  else if (rc == 0) {
    rimport_buf lib = RIMPORT_BUF_INIT;
    rc = rimport__buf_printf(&lib, "%s%csrc%clib.rs", api_dir, rimport__dir_sep,
                             rimport__dir_sep);
    if (rc == 0)
      rc = rimport__buf_puts(&src, "#[path = ");
    if (rc == 0)
      rc = rimport__rust_string(&src, lib.ptr);
    if (rc == 0)
      rc = rimport__buf_puts(&src, "] mod kayton_api;\n");
    rimport_buf_dispose(&lib);
  }
  for (i = 0; rc == 0 && s->loader && i < rimport__loader_count(s->loader); i++)
    rc = rimport__buf_printf(
        &src, "extern crate %s;\n",
        plugin_name(s, rimport__loader_at(s->loader, i)->key));
  for (i = 0; rc == 0 && i < st->count; i++)
    rc = rimport__buf_printf(&src, "%s\n", st->names[i].line);
  /* The same build metadata as the plugins carry. */
  if (rc == 0)
    rc = rimport__buf_printf(&meta,
                             "{\"format\":1,\"kind\":\"cell\",\"rustc\":{"
                             "\"release\":\"%s\",\"fingerprint\":\"%s\","
                             "\"host\":\"%s\"},\"abi_version\":%d}",
                             tc->release, tc->fingerprint, tc->host,
                             RIMPORT__KAYTON_ABI_VERSION);
  if (rc == 0)
    rc = rimport__buf_puts(&src, "#[no_mangle] pub extern \"C\" fn "
                                 "kayton_cell_manifest() -> *const "
                                 "::std::os::raw::c_char { concat!(");
  if (rc == 0)
    rc = rimport__rust_string(&src, meta.ptr);
  if (rc == 0)
    rc = rimport__buf_puts(&src, ", \"\\0\").as_ptr() as *const _ }\n");
  if (rc == 0)
    rc = rimport__fs_write_atomic(path, src.ptr, src.size);
  rimport_buf_dispose(&src);
  rimport_buf_dispose(&meta);
  return rc;
}

/* When no kayton_api is loaded yet (no plugin), the cell includes the
 * crate's source as a module: its directory into `dir` (else `dir` stays
 * empty). */
static int module_api_dir(rimport_session *s, rimport_buf *dir) {
  int rc = 0;
  rimport__buf_clear(dir);
  if (rimport__loader_kayton_api(s->loader) == NULL) {
    rc = rimport__gen_kayton_api_dir(s->cache_dir, dir);
    if (rc == 0)
      rc = rimport__gen_kayton_api(dir->ptr);
  }
  return rc;
}

int rimport_cell_compile(rimport_session *s, const char *rust, size_t len,
                         const rimport_cell_plan *plan,
                         const rimport_cell_options *opts, rimport_cell **out) {
  static const rimport_cell_options defaults = RIMPORT_CELL_OPTIONS_INIT;
  const rimport_toolchain *tc;
  rimport_buf dir = RIMPORT_BUF_INIT, src = RIMPORT_BUF_INIT,
              lib = RIMPORT_BUF_INIT, rustc = RIMPORT_BUF_INIT,
              remap = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT,
              origin_dir = RIMPORT_BUF_INIT, name = RIMPORT_BUF_INIT,
              api_dir = RIMPORT_BUF_INIT;
  rimport__argv argv;
  rimport__proc_opts po;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  rimport_imports *imps = NULL;
  rimport_cell *cell = NULL;
  const char *base = "cell.rs";
  size_t i;
  unsigned n;
  int rc;

  memset(&argv, 0, sizeof(argv));
  if (out != NULL)
    *out = NULL;
  if (s == NULL || out == NULL || (rust == NULL && len > 0))
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_cell_compile: session, out and (with "
                              "a length) the cell's text are needed");
  if (opts == NULL)
    opts = &defaults;
  if ((rc = rimport_session_toolchain(s, &tc)) != 0 ||
      (rc = ensure_state(s)) != 0 ||
      (plan != NULL && (rc = add_plan_scope(s->cells, plan)) != 0))
    return rc;
  n = ++s->cells->cells;

  /* The cell's text with its rimport statements blanked out (newlines
   * kept, so every line stays where it was). */
  if ((rc = rimport__buf_put(&text, rust ? rust : "", len)) != 0 ||
      (rc = rimport_parse(text.ptr, text.size, &imps)) != 0)
    goto done;
  for (i = 0; i < rimport_imports_count(imps); i++) {
    const rimport_span *sp = &rimport_imports_array(imps)[i].span;
    size_t k;
    for (k = sp->start; k < sp->end && k < text.size; k++)
      if (text.ptr[k] != '\n')
        text.ptr[k] = ' ';
  }

  /* <cache>/_cells/<session>/<n>/<file name of the source> */
  if (opts->source_path != NULL) {
    const char *p;
    base = opts->source_path;
    for (p = opts->source_path; *p; p++)
      if (rimport__is_dir_sep(*p))
        base = p + 1;
  }
  if ((rc = rimport__buf_printf(&dir, "%s%c_cells%c%s%c%u", s->cache_dir,
                                rimport__dir_sep, rimport__dir_sep,
                                s->cells->id, rimport__dir_sep, n)) != 0 ||
      (rc = rimport__fs_mkdir_p(dir.ptr)) != 0 ||
      (rc = rimport__path_join(&src, dir.ptr, base)) != 0 ||
      (rc = rimport__buf_printf(&name, "kayton_cell_%s_%u", s->cells->id, n)) !=
          0 ||
      (rc = rimport__buf_printf(&lib, "%s%c%s%s%s", dir.ptr, rimport__dir_sep,
                                rimport__dl_prefix(), name.ptr,
                                rimport__dl_ext())) != 0 ||
      (rc = module_api_dir(s, &api_dir)) != 0 ||
      (rc = write_source(s, text.ptr, text.size,
                         opts->first_line ? opts->first_line : 1, src.ptr, tc,
                         api_dir.size ? api_dir.ptr : NULL)) != 0 ||
      (rc = rustc_binary(tc, &rustc)) != 0)
    goto done;
  /* Diagnostics name the user's file, not the generated one. */
  if (opts->source_path != NULL) {
    if (base > opts->source_path)
      rc = rimport__buf_put(&origin_dir, opts->source_path,
                            (size_t)(base - opts->source_path - 1));
    else
      rc = rimport__buf_puts(&origin_dir, ".");
    if (rc == 0)
      rc = rimport__buf_printf(&remap, "%s=%s", dir.ptr, origin_dir.ptr);
  } else {
    rc = rimport__buf_printf(&remap, "%s=cell %u", dir.ptr, n);
  }
  if (rc != 0)
    goto done;

  rc = rimport__argv_add(&argv, rustc.ptr);
  {
    static const char *const fixed[] = {"--edition",
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
                                        NULL};
    for (i = 0; rc == 0 && fixed[i] != NULL; i++)
      rc = rimport__argv_add(&argv, fixed[i]);
  }
  if (rc == 0)
    rc = rimport__argv_add(&argv, "--crate-name");
  if (rc == 0)
    rc = rimport__argv_add(&argv, name.ptr);
  if (rc == 0)
    rc = rimport__argv_add(&argv, "--remap-path-prefix");
  if (rc == 0)
    rc = rimport__argv_add(&argv, remap.ptr);
  for (i = 0; rc == 0 && s->loader && i < rimport__loader_count(s->loader);
       i++) {
    const rimport__loaded *l = rimport__loader_at(s->loader, i);
    rc = rimport__argv_add(&argv, "-L");
    if (rc == 0)
      rc = rimport__argv_addf(&argv, "dependency=%s", l->deps_dir);
  }
  for (i = 0; rc == 0 && s->loader && i < rimport__loader_count(s->loader);
       i++) {
    const rimport__loaded *l = rimport__loader_at(s->loader, i);
    rc = rimport__argv_add(&argv, "--extern");
    if (rc == 0)
      rc = rimport__argv_addf(&argv, "%s=%s", plugin_name(s, l->key), l->dylib);
  }
  if (rc == 0 && api_dir.size == 0) { /* kayton_api: the loaded copy */
    rc = rimport__argv_add(&argv, "--extern");
    if (rc == 0)
      rc = rimport__argv_addf(&argv, "kayton_api=%s",
                              rimport__loader_kayton_api(s->loader));
  }
  if (rc == 0)
    rc = rimport__argv_add(&argv, "-o");
  if (rc == 0)
    rc = rimport__argv_add(&argv, lib.ptr);
  if (rc == 0)
    rc = rimport__argv_add(&argv, src.ptr);
  if (rc != 0)
    goto done;
  memset(&po, 0, sizeof(po));
  po.file = rustc.ptr;
  po.args = argv.v;
  po.cwd = dir.ptr;
  po.timeout_ms = s->opts.build_timeout_ms;
  po.max_capture = 4u * 1024 * 1024;
  po.cancel = &s->cancel;
  if ((rc = rimport__proc_run(&po, &res)) != 0)
    goto done;
  if (res.exit_status != 0 || res.term_signal != 0) {
    rc = rimport__error_set(
        RIMPORT_ECOMPILE, "compiling %s failed; rustc said:\n%s",
        opts->source_path ? opts->source_path : "the cell",
        res.err.ptr && res.err.size ? res.err.ptr : "(nothing)");
    goto done;
  }
  if ((cell = rimport__calloc(1, sizeof(*cell))) == NULL ||
      (cell->dylib = rimport__buf_detach(&lib)) == NULL ||
      (cell->crate_name = rimport__buf_detach(&name)) == NULL) {
    rimport_cell_free(cell);
    cell = NULL;
    rc = rimport__error_nomem();
    goto done;
  }
  cell->number = n;
  *out = cell;
done:
  rimport_imports_free(imps);
  rimport__proc_result_dispose(&res);
  rimport__argv_dispose(&argv);
  rimport_buf_dispose(&dir);
  rimport_buf_dispose(&src);
  rimport_buf_dispose(&lib);
  rimport_buf_dispose(&rustc);
  rimport_buf_dispose(&remap);
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&origin_dir);
  rimport_buf_dispose(&name);
  rimport_buf_dispose(&api_dir);
  return rc;
}

const char *rimport_cell_dylib(const rimport_cell *cell) {
  return cell == NULL ? NULL : cell->dylib;
}

void rimport_cell_free(rimport_cell *cell) {
  if (cell == NULL)
    return;
  rimport__free(cell->dylib);
  rimport__free(cell->crate_name);
  rimport__free(cell);
}

/* --- run -------------------------------------------------------------------
 */

typedef int32_t (*cell_entry_fn)(KaytonContext *);

int rimport_cell_run(rimport_session *s, rimport_cell *cell,
                     rimport_buf *output) {
  rimport__dl *dl = NULL;
  cell_entry_fn entry;
  int32_t code;
  int rc;
  if (s == NULL || cell == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_cell_run: session and cell are needed");
  if ((rc = ensure_context(s)) != 0)
    return rc;
  /* The std dylib and the plugins are loaded already when the cell uses
   * any; a cell without plugins still needs std. */
  if (s->loader == NULL || rimport__loader_library_count(s->loader) == 0) {
    const rimport_toolchain *tc;
    rimport__dl *std_dl = NULL;
    if ((rc = rimport_session_toolchain(s, &tc)) != 0)
      return rc;
    if (tc->std_dylib == NULL)
      return rimport__error_set(RIMPORT_ETOOLCHAIN,
                                "running a cell: the toolchain has no std "
                                "dylib in %s; install the rust-std component",
                                tc->target_libdir);
    if ((rc = rimport__dl_open(tc->std_dylib, &std_dl)) != 0)
      return rc;
    rimport__dl_free(std_dl); /* stays loaded */
  }
  if ((rc = rimport__dl_open(cell->dylib, &dl)) != 0)
    return rc;
  *(void **)&entry = rimport__dl_sym(dl, "kayton_cell_run");
  rimport__dl_free(dl);
  if (entry == NULL)
    return rimport__error_set(RIMPORT_ELOAD,
                              "running a cell: \"%s\" has no kayton_cell_run; "
                              "compile cells with rimport_cell_compile",
                              cell->dylib);
  if (s->vm != NULL)
    rimport__vm_cell_begin(s->vm);
  code = entry(s->context);
  if (output != NULL && s->vm != NULL) {
    size_t len = 0;
    const char *text = rimport__vm_cell_stdout(s->vm, &len);
    rimport__buf_clear(output);
    if ((rc = rimport__buf_put(output, text, len)) != 0)
      return rc;
  }
  if (code != 0) {
    const char *why = s->vm ? rimport__vm_last_error(s->vm) : NULL;
    return rimport__error_set(RIMPORT_EPANIC,
                              "cell %u failed (code %d): %s; the session goes "
                              "on, its earlier values are still there",
                              cell->number, (int)code,
                              why ? why : "no message");
  }
  return 0;
}

/* --- the cargo route ------------------------------------------------------ */

int rimport_session_extra_deps(rimport_session *s,
                               const rimport_extra_dep **deps, size_t *count) {
  struct rimport__cell_state *st;
  size_t i;
  int rc;
  if (s == NULL || deps == NULL || count == NULL)
    return rimport__error_set(RIMPORT_EINVAL, "rimport_session_extra_deps: "
                                              "session, deps and count are "
                                              "needed");
  if ((rc = ensure_state(s)) != 0)
    return rc;
  st = s->cells;
  rimport__free(st->deps);
  rimport__free(st->api_dir);
  st->api_dir = NULL;
  st->dep_count = 0;
  if ((st->deps = rimport__calloc(s->built_count + 1, sizeof(*st->deps))) ==
      NULL)
    return rimport__error_nomem();
  if (s->built_count > 0) {
    /* kayton_api: the directory every plugin of the session depends on. */
    rimport_buf dir = RIMPORT_BUF_INIT;
    if ((rc = rimport__gen_kayton_api_dir(s->cache_dir, &dir)) != 0)
      return rc;
    st->api_dir = rimport__buf_detach(&dir);
    st->deps[st->dep_count].name = "kayton_api";
    st->deps[st->dep_count++].path = st->api_dir;
  }
  for (i = 0; i < s->built_count; i++) {
    st->deps[st->dep_count].name = s->built[i].plugin;
    st->deps[st->dep_count++].path = s->built[i].work_dir;
  }
  *deps = st->deps;
  *count = st->dep_count;
  return 0;
}

int rimport_cell_cargo_toml(rimport_session *s, const char *crate_name,
                            rimport_buf *out) {
  const rimport_extra_dep *deps;
  size_t n, i;
  const char *why;
  int rc;
  if (s == NULL || crate_name == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL, "rimport_cell_cargo_toml: "
                                              "session, crate name and out "
                                              "are needed");
  if ((why = rimport__check_ident(crate_name, strlen(crate_name))) != NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_cell_cargo_toml: the crate name "
                              "\"%s\" is not a Rust identifier: %s",
                              crate_name, why);
  if ((rc = rimport_session_extra_deps(s, &deps, &n)) != 0)
    return rc;
  rimport__buf_clear(out);
  rc = rimport__buf_printf(out,
                           "# generated by rimport %s: a cell crate that uses "
                           "the session's plugins\n"
                           "[package]\nname = \"%s\"\nversion = \"0.0.0\"\n"
                           "edition = \"2021\"\npublish = false\n\n"
                           "[lib]\ncrate-type = [\"dylib\"]\npath = "
                           "\"lib.rs\"\n\n[dependencies]\n",
                           rimport_version(), crate_name);
  for (i = 0; rc == 0 && i < n; i++) {
    rc = rimport__buf_printf(out, "%s = { path = ", deps[i].name);
    if (rc == 0)
      rc = rimport__toml_string(out, deps[i].path);
    if (rc == 0)
      rc = rimport__buf_puts(out, " }\n");
  }
  if (rc == 0)
    rc = rimport__buf_puts(out, "\n[profile.release]\nopt-level = 3\n"
                                "debug = false\npanic = \"unwind\"\n"
                                "incremental = false\n\n[workspace]\n");
  return rc;
}
