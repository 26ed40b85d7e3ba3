/* The stack: the plugins a session has built or found in the cache, in the
 * order they were added (DESIGN.md invariant 1). Plans stack new plugins
 * on it (src/plan), the build stage adds to it (src/build), and cells name
 * its plugins (src/cell). It sits below all three and knows none of them.
 *
 * Not thread-safe: a stack belongs to one session. */
#ifndef RIMPORT_SRC_STACK_H
#define RIMPORT_SRC_STACK_H

#include "../common/common.h"

struct cJSON;

/* A plugin of the stack. In the stack every string is the stack's own; a
 * record handed to rimport__stack_push only lends them. */
typedef struct rimport__built {
  const char *crate;    /* "reqwest" */
  const char *plugin;   /* "kayton_rplugin__reqwest" */
  const char *base_key; /* the key without parents: same inputs → reuse */
  const char *key;
  const char *key_input;
  const char *const *parents; /* parent keys, in load order */
  size_t parent_count;
  const char *work_dir; /* <cache>/_work/<crate>-<key>: cargo's view of it */
  const char *entry_dir, *dylib, *deps_dir, *version;
  /* The crates in its dependency graph: [{name, version, features}], from
   * its manifest; a plugin stacked on it must agree on the shared ones. */
  struct cJSON *crates;
} rimport__built;

typedef struct rimport__stack rimport__stack;

int rimport__stack_new(rimport__stack **out);
/* Frees the stack and its records. NULL is a no-op. */
void rimport__stack_free(rimport__stack *st);

size_t rimport__stack_count(const rimport__stack *st);
/* The i-th plugin (0: the bottom), or NULL past the end. */
const rimport__built *rimport__stack_at(const rimport__stack *st, size_t i);
/* The plugin with this key, or NULL. */
const rimport__built *rimport__stack_find(const rimport__stack *st,
                                          const char *key);

/* Adds a deep copy of `b` (strings, parents and crates are copied; NULL
 * strings stay NULL) on top. On failure the stack is unchanged. */
int rimport__stack_push(rimport__stack *st, const rimport__built *b);

#endif
