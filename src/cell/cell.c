/* The cell stage's state and public calls: each call takes what it uses
 * from the session (rimport__cell_env) and hands it to compile.c, run.c
 * or cargo_route.c. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cell.h"
#include "cell_internal.h"
#include "../session.h"

int rimport__cell_state_new(rimport__cell_state **out) {
  rimport__cell_state *st = rimport__calloc(1, sizeof(*st));
  if (st == NULL)
    return rimport__error_nomem();
  /* Part of every cell crate name: cells of two sessions sharing a cache
   * never collide. */
  snprintf(st->id, sizeof(st->id), "%x%llx", (unsigned)uv_os_getpid(),
           (unsigned long long)(uv_hrtime() & 0xffffff));
  *out = st;
  return 0;
}

void rimport__cell_state_free(rimport__cell_state *st) {
  size_t i;
  if (st == NULL)
    return;
  for (i = 0; i < st->count; i++) {
    rimport__free(st->names[i].name);
    rimport__free(st->names[i].path);
  }
  rimport__free(st->names);
  for (i = 0; i < st->rec_count; i++) {
    rimport__free(st->recs[i].crate);
    rimport__free(st->recs[i].key);
    rimport__free(st->recs[i].dylib);
    rimport__free(st->recs[i].lib_dir);
    rimport__free(st->recs[i].links);
  }
  rimport__free(st->recs);
  rimport__free(st);
}

int rimport_cell_options_init(rimport_cell_options *opts,
                              unsigned int version) {
  RIMPORT__INIT_OPTIONS(opts, version, RIMPORT_CELL_OPTIONS_VERSION,
                        rimport_cell_options, RIMPORT_CELL_OPTIONS_INIT);
}

/* The parts of the session a cell uses. */
static int cell_env(rimport_session *s, rimport__cell_env *env) {
  memset(env, 0, sizeof(*env));
  env->opts = rimport__session_options(s);
  env->stack = rimport__session_stack(s);
  env->loader = rimport__session_loader(s);
  env->state = rimport__session_cells(s);
  env->ctx = rimport_session_context(s);
  env->vm = rimport__session_vm(s);
  env->cancel = rimport__session_cancel(s);
  return rimport_session_toolchain(s, &env->tc);
}

int rimport_cell_compile(rimport_session *s, const char *rust, size_t len,
                         const rimport_cell_plan *plan,
                         const rimport_cell_options *opts, rimport_cell **out) {
  static const rimport_cell_options defaults = RIMPORT_CELL_OPTIONS_INIT;
  rimport__cell_env env;
  int rc;
  if (out != NULL)
    *out = NULL;
  if (s == NULL || out == NULL || (rust == NULL && len > 0))
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_cell_compile: session, out and (with "
                              "a length) the cell's text are needed");
  RIMPORT__CHECK_VERSION(opts, RIMPORT_CELL_OPTIONS_VERSION,
                         rimport_cell_options, "rimport_cell_compile");
  if (opts != NULL && opts->items == NULL && opts->items_len > 0)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_cell_compile: items_len is %zu but "
                              "items is NULL",
                              opts->items_len);
  if ((rc = cell_env(s, &env)) != 0)
    return rc;
  return rimport__cell_compile(&env, rust, len, plan, opts ? opts : &defaults,
                               out);
}

int rimport_cell_run(rimport_session *s, rimport_cell *cell,
                     rimport_buf *output) {
  rimport__cell_env env;
  int rc;
  if (s == NULL || cell == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_cell_run: session and cell are needed");
  if ((rc = cell_env(s, &env)) != 0)
    return rc;
  return rimport__cell_run(&env, cell, output);
}

const char *rimport_cell_dylib(const rimport_cell *cell) {
  return cell == NULL ? NULL : cell->dylib;
}

int rimport_cell_reused(const rimport_cell *cell) {
  return cell != NULL && cell->reused;
}

void rimport_cell_free(rimport_cell *cell) {
  if (cell == NULL)
    return;
  rimport__free(cell->dylib);
  rimport__free(cell);
}

int rimport_session_extra_deps(rimport_session *s, rimport_extra_deps **out) {
  if (out != NULL)
    *out = NULL;
  if (s == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL, "rimport_session_extra_deps: "
                                              "session and out are needed");
  return rimport__cell_extra_deps(rimport__session_options(s)->cache_dir,
                                  rimport__session_stack(s), out);
}
