/* The build stage: every plugin of a plan gets a verified cache entry
 * (build.c), with cargo driven through src/proc (cargo.c). */
#ifndef RIMPORT_SRC_BUILD_H
#define RIMPORT_SRC_BUILD_H

#include <stdatomic.h>

#include "../common/common.h"

struct rimport__plan_state;
struct rimport__stack;

/* What a build uses of its session. */
typedef struct rimport__build_env {
  /* cache_dir (absolute), cargo_path, source, offline, jobs,
   * build_timeout_ms, progress */
  const rimport_session_options *opts;
  const rimport_toolchain *tc;
  struct rimport__stack *stack; /* built plugins are pushed on it */
  /* The session's plan records: a crate an earlier plugin of the plan
   * turns out to link is a loaded one (rimport__plan_readopt). May be
   * NULL. */
  struct rimport__plan_state *plans;
  const atomic_int *cancel; /* may be NULL */
  /* The plan being built (rimport__build_plan sets it), for messages. */
  const rimport_cell_plan *plan;
} rimport__build_env;

/* rimport_build without the session: the session's stack is `env->stack`.
 * Before it builds a plugin, a crate that the plan's earlier plugins turn
 * out to link is taken as they have it (rimport__plan_readopt), which
 * updates the plan's keys from that plugin on. *out is NULL on failure. */
int rimport__build_plan(const rimport__build_env *env, rimport_cell_plan *plan,
                        rimport_build_result **out);

#endif
