/* The session's internal state, shared by src/session.c (the public calls)
 * and the stages that keep per-session records (plan). */
#ifndef RIMPORT_SRC_SESSION_H
#define RIMPORT_SRC_SESSION_H

#include "common/common.h"

struct rimport__toolchain;
struct rimport__committed;

struct rimport_session {
  rimport_options opts; /* string fields point at the copies below */
  char *cache_dir;      /* absolute, created */
  char *cargo_path;
  char *rustc_path;
  char *source;
  struct rimport__toolchain *toolchain; /* probed on first use */
  /* Crates an earlier plan of this session fixed (plan/plan.c). */
  struct rimport__committed *committed;
  size_t committed_count, committed_cap;
  unsigned int plan_count; /* plans made so far, for "cell N" */
};

#endif
