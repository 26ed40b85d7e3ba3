/* The cell stage: cells compiled against the loaded plugins with rustc
 * (compile.c), run with the session's context (run.c), the names in scope
 * across cells (scope.c) and the cargo route (cargo_route.c). Cell source
 * and the cargo route's Cargo.toml come from plugin_templates/cell/. */
#ifndef RIMPORT_SRC_CELL_H
#define RIMPORT_SRC_CELL_H

#include <stdatomic.h>

#include "../common/common.h"
#include "kayton_api.h"

struct rimport__stack;
struct rimport__loader;
struct rimport__vm;

/* Per session: the names in scope for cells and the cell counter. */
typedef struct rimport__cell_state rimport__cell_state;
int rimport__cell_state_new(rimport__cell_state **out);
void rimport__cell_state_free(rimport__cell_state *st); /* NULL: no-op */

/* What compiling and running a cell use of the session. */
typedef struct rimport__cell_env {
  const rimport_session_options *opts; /* cache_dir, build_timeout_ms */
  const rimport_toolchain *tc;
  const struct rimport__stack *stack; /* plugin crate names by key */
  struct rimport__loader *loader;     /* what is loaded */
  rimport__cell_state *state;
  KaytonContext *ctx;     /* what cells get */
  struct rimport__vm *vm; /* the reference VM, or NULL (a host context) */
  const atomic_int *cancel;
} rimport__cell_env;

/* The scope: the names a plan binds become `use` lines of every later
 * cell. A name bound again replaces the earlier binding. */
int rimport__cell_scope_add(rimport__cell_state *st,
                            const rimport_cell_plan *plan);

/* rimport_cell_compile and rimport_cell_run without the session; opts is
 * never NULL here. */
int rimport__cell_compile(const rimport__cell_env *env, const char *rust,
                          size_t len, const rimport_cell_plan *plan,
                          const rimport_cell_options *opts, rimport_cell **out);
int rimport__cell_run(const rimport__cell_env *env, rimport_cell *cell,
                      rimport_buf *output);

/* rimport_session_extra_deps without the session. */
int rimport__cell_extra_deps(const char *cache_dir,
                             const struct rimport__stack *stack,
                             rimport_extra_deps **out);

#endif
