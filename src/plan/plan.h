/* Plans: descriptors grouped into plugins, merged with what the session has
 * already fixed, each plugin with its cache key. */
#ifndef RIMPORT_SRC_PLAN_H
#define RIMPORT_SRC_PLAN_H

#include "../common/arena.h"
#include "../common/common.h"
#include "kayton_api.h"

/* Inputs of every key that are rimport's own: the key format (bump it when
 * the serialization in key.c changes) and KAYTON_API_ABI_VERSION
 * (include/kayton_api.h). Templates need no number: the key holds the hash
 * of every embedded template (rimport__template_hash). */
#define RIMPORT__KEY_FORMAT 1
/* The profile and flags every plugin is built with (DESIGN.md facts 2, 10). */
#define RIMPORT__BUILD_PROFILE                                                 \
  "release;opt-level=3;debug=0;panic=unwind;rustflags=-C prefer-dynamic"

/* What a session has fixed for a crate once a plan named it. */
typedef struct rimport__committed {
  char *crate;
  char *package;   /* NULL: not said */
  char *version;   /* NULL: not said */
  char *path;      /* absolute, NULL: registry */
  char **features; /* sorted */
  size_t feature_count;
  int default_features;
  /* Who fixed what, for messages: "cell 1, line 2: `rimport …`". */
  char *first_by, *version_by, *path_by, *package_by, *default_features_by;
} rimport__committed;

struct rimport_cell_plan {
  rimport__arena arena;
  rimport_plugin *plugins;
  const char **base_keys; /* per plugin: its key without parents, which
                             tells a plugin the session built with the same
                             inputs (build stage) */
  size_t count;
  const char *origin;
  const char *fingerprint; /* toolchain fingerprint and host the keys use */
  const char *host;
  const char *target;
  const char *release;
};

/* What a session's plans have fixed: a committed record per crate, and
 * how many plans were made (for "cell N"). Owned by the session. */
typedef struct rimport__plan_state rimport__plan_state;
int rimport__plan_state_new(rimport__plan_state **out);
void rimport__plan_state_free(rimport__plan_state *st); /* NULL: no-op */

struct rimport__stack;

/* Plans against a toolchain and the stack of plugins built so far (public
 * rimport_plan passes the session's). On success `state` records the
 * crates this plan fixed; a failed plan changes nothing. */
int rimport__plan_make(rimport__plan_state *state,
                       const struct rimport__stack *stack,
                       const rimport_toolchain *tc,
                       const rimport_import *imports, size_t count,
                       const rimport_plan_options *opts,
                       rimport_cell_plan **out);

/* Serializes a plugin's key inputs (key.c) into out and hashes them: key_hex
 * gets 32 lowercase hex digits and a NUL. path_stamp is the hash of a path
 * crate's files (NULL for registry crates); parents are the keys of the
 * plugins it stacks on, in order. */
int rimport__plan_key(const rimport_plugin *p, const rimport_toolchain *tc,
                      const char *path_stamp, const char *const *parents,
                      size_t parent_count, rimport_buf *out, char key_hex[33]);

/* Hashes the names, sizes and mtimes of the files of a local crate
 * (excluding target/ and hidden entries) into 32 hex digits. */
int rimport__plan_path_stamp(const char *dir, char stamp_hex[33]);

#endif
