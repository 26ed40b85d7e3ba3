/* The build stage: every plugin of a plan gets a verified cache entry
 * (build.c), with cargo driven through src/proc (cargo.c). */
#ifndef RIMPORT_SRC_BUILD_H
#define RIMPORT_SRC_BUILD_H

#include <stdatomic.h>

#include "../common/common.h"

struct rimport__stack;

/* What a build uses of its session. */
typedef struct rimport__build_env {
  /* cache_dir (absolute), cargo_path, source, offline, jobs,
   * build_timeout_ms, progress */
  const rimport_session_options *opts;
  const rimport_toolchain *tc;
  struct rimport__stack *stack; /* built plugins are pushed on it */
  const atomic_int *cancel;     /* may be NULL */
} rimport__build_env;

/* rimport_build without the session: the session's stack is `env->stack`.
 * *out is NULL on failure. */
int rimport__build_plan(const rimport__build_env *env,
                        const rimport_cell_plan *plan,
                        rimport_build_result **out);

#endif
