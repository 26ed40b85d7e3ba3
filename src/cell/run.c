/* Running a compiled cell: load its dylib after its plugins and call
 * `kayton_cell_run(ctx)`; the body runs inside catch_unwind (the cell
 * template), so a panic or an error comes back as a code. */
#include <string.h>

#include "cell_internal.h"
#include "../load/load.h"
#include "../platform.h"
#include "../vm/vm.h"

typedef int32_t (*cell_entry_fn)(KaytonContext *);

/* The std dylib and the plugins are loaded already when the cell uses
 * any; a cell without plugins still needs std. */
static int ensure_std(const rimport__cell_env *env) {
  if (rimport__loader_library_count(env->loader) > 0)
    return 0;
  if (env->tc->std_dylib == NULL)
    return rimport__error_set(RIMPORT_ETOOLCHAIN,
                              "running a cell: the toolchain has no std "
                              "dylib in %s; install the rust-std component",
                              env->tc->target_libdir);
  return rimport__loader_load_std(env->loader, env->tc);
}

/* Loads the earlier cells the cell links, and what they link, oldest
 * first (a cell compiled but not run yet is loaded here): a library's
 * dependencies must be loaded before it, as the plugins are. A cell this
 * session has loaded is not opened again (each dlopen of a loaded library
 * compares its name with every loaded one's). */
static int load_linked(const rimport__cell_env *env, const rimport_cell *cell) {
  rimport__cell_state *st = env->state;
  char *need;
  size_t i, k;
  int rc = 0;
  if (cell->rec >= st->rec_count || cell->rec == 0)
    return 0;
  if ((need = rimport__calloc(cell->rec, 1)) == NULL)
    return rimport__error_nomem();
  for (k = 0; k < st->recs[cell->rec].link_count; k++)
    need[st->recs[cell->rec].links[k]] = 1;
  /* Newest first: a cell links only older ones. */
  for (i = cell->rec; i-- > 0;)
    if (need[i])
      for (k = 0; k < st->recs[i].link_count; k++)
        need[st->recs[i].links[k]] = 1;
  for (i = 0; rc == 0 && i < cell->rec; i++) {
    rimport__dl *dl = NULL;
    if (need[i] && !st->recs[i].loaded &&
        (rc = rimport__dl_open(st->recs[i].dylib, &dl)) == 0) {
      rimport__dl_free(dl); /* stays loaded */
      st->recs[i].loaded = 1;
    }
  }
  rimport__free(need);
  return rc;
}

/* The cell's entry point (platform.h: symbols are copied, not cast). */
static int cell_entry(const rimport_cell *cell, cell_entry_fn *entry) {
  rimport__dl *dl = NULL;
  void *sym;
  int rc;
  if ((rc = rimport__dl_open(cell->dylib, &dl)) != 0)
    return rc;
  sym = rimport__dl_sym(dl, "kayton_cell_run");
  rimport__dl_free(dl); /* stays loaded */
  if (sym == NULL)
    return rimport__error_set(RIMPORT_ELOAD,
                              "running a cell: \"%s\" has no kayton_cell_run; "
                              "compile cells with rimport_cell_compile",
                              cell->dylib);
  memcpy(entry, &sym, sizeof(sym));
  return 0;
}

int rimport__cell_run(const rimport__cell_env *env, rimport_cell *cell,
                      rimport_buf *output) {
  cell_entry_fn entry = NULL;
  int32_t code;
  int rc;
  if (env->ctx == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "running cell %u: the session has no context",
                              cell->number);
  if ((rc = ensure_std(env)) != 0 || (rc = load_linked(env, cell)) != 0 ||
      (rc = cell_entry(cell, &entry)) != 0)
    return rc;
  if (cell->rec < env->state->rec_count)
    env->state->recs[cell->rec].loaded = 1;
  if (env->vm != NULL)
    rimport__vm_cell_begin(env->vm);
  code = entry(env->ctx);
  if (output != NULL && env->vm != NULL) {
    size_t len = 0;
    const char *text = rimport__vm_cell_stdout(env->vm, &len);
    rimport__buf_clear(output);
    if ((rc = rimport__buf_put(output, text, len)) != 0)
      return rc;
  }
  if (code != 0) {
    const char *why = env->vm ? rimport__vm_last_error(env->vm) : NULL;
    return rimport__error_set(RIMPORT_EPANIC,
                              "cell %u failed (code %d): %s; the session goes "
                              "on, its earlier values are still there",
                              cell->number, (int)code,
                              why ? why : "no message");
  }
  return 0;
}
