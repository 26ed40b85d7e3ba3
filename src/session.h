/* The session's internal state, shared by src/session.c (the public calls)
 * and the stages that keep per-session records (plan). */
#ifndef RIMPORT_SRC_SESSION_H
#define RIMPORT_SRC_SESSION_H

#include "common/common.h"

struct rimport__toolchain;

/* A plugin this session has built or found in the cache (build stage), in
 * stack order. Plans stack new plugins on these. */
typedef struct rimport__built {
  char *crate, *plugin;
  char *base_key; /* the key without parents: same inputs → reuse */
  char *key;
  char *key_input;
  char **parents; /* parent keys */
  size_t parent_count;
  char *work_dir; /* <cache>/_work/<crate>-<key>: cargo's view of it */
  char *entry_dir, *dylib, *deps_dir, *version;
  /* The crates in its dependency graph: [{name, version, features}], from
   * its manifest; a plugin stacked on it must agree on the shared ones. */
  struct cJSON *crates;
} rimport__built;
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
  rimport__built *built;   /* build stage: the stack, in order */
  size_t built_count, built_cap;
  volatile int cancel; /* rimport_cancel sets it; each build clears it */
  /* load, register, cells (src/cell) */
  struct rimport__loader *loader;
  struct rimport__vm *vm;            /* the reference VM, unless the host gave
                                        a context */
  struct KaytonContext *context;     /* what plugins and cells get */
  size_t registered;                 /* loaded plugins registered so far */
  struct rimport__cell_state *cells; /* bindings in scope, cell counter */
};

#endif
