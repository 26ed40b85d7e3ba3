/* Plans: descriptors grouped into plugins, merged with what the session has
 * already fixed, each plugin with its cache key. */
#ifndef RIMPORT_SRC_PLAN_H
#define RIMPORT_SRC_PLAN_H

#include "../common/arena.h"
#include "../common/common.h"
#include "kayton_api.h"

struct cJSON;
struct rimport__built;
struct rimport__stack;

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
  unsigned int plan; /* the plan that fixed it (rimport_cell_plan number) */
} rimport__committed;

/* A crate that a plugin of the session's stack already links, as a plan
 * took it (adopt.c): the plugin gets its exact version (or directory),
 * default features off, and only the features the cell names; the plugins
 * it stacks on bring the rest. Strings in the plan's arena. */
typedef struct rimport__adopted {
  const char *plugin;    /* the plugin of the stack whose graph has it */
  const char *package;   /* the package's name in that graph */
  const char *version;   /* "1.0.152" */
  const char *path;      /* a local crate's directory; NULL: crates.io */
  const char **features; /* as loaded, as `cargo metadata` lists them
                            ("default" when they were on) */
  size_t feature_count;
} rimport__adopted;

/* What a cell asks of one crate (its statements merged), for
 * rimport__plan_adopt. */
typedef struct rimport__asked {
  const char *crate;           /* Rust name: '-' already '_' */
  const char *package;         /* package=, or NULL */
  const char *version;         /* version=, or NULL */
  const char *path;            /* path=, resolved (real path), or NULL */
  const char *const *features; /* named features (repeats allowed) */
  size_t feature_count;
  int default_features; /* -1: not said, 0, 1 */
} rimport__asked;

struct rimport_cell_plan {
  rimport__arena arena;
  rimport_plugin *plugins;
  const char **base_keys; /* per plugin: its key without parents, which
                             tells a plugin the session built with the same
                             inputs (build stage) */
  const rimport__adopted **adopted; /* per plugin: the loaded copy it
                                       takes, or NULL */
  /* Per plugin: what its statements asked, when it was planned as written
   * because nothing loaded had its crate and no earlier plan had named it
   * (so an earlier plugin of this plan may turn out to link it:
   * rimport__plan_readopt looks once, at build time); else NULL. */
  const rimport__asked **asked;
  const char **stamps; /* per plugin: a local crate's path stamp, or NULL */
  /* Per plugin, per item (in its items' order): where the first statement
   * that asks for it stands (line and column as the front-end gave them;
   * 0 when it gave none), for messages about the item. */
  const rimport_span **spans;
  size_t count;
  size_t stack_count;     /* plugins on the stack when it was planned: the
                             first parents of every plugin that stacks */
  unsigned long state_id; /* the rimport__plan_state that made it */
  unsigned int number;    /* its number among that state's plans, from 1 */
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

/* Plans against a toolchain and the stack of plugins built so far (public
 * rimport_plan passes the session's). On success `state` records the
 * crates this plan fixed; a failed plan changes nothing. */
int rimport__plan_make(rimport__plan_state *state,
                       const struct rimport__stack *stack,
                       const rimport_toolchain *tc,
                       const rimport_import *imports, size_t count,
                       const rimport_plan_options *opts,
                       rimport_cell_plan **out);

/* Looks for the crate among the crates the plugins of `stack` link (their
 * resolved graphs; '_' and '-' alike). *found: some plugin links a crate
 * of that name. *out: the copy the statement takes as it is, in `a`, or
 * NULL when it must be planned as written. The rule (README "Plans and
 * cache keys"): a copy from crates.io or a local directory is taken when
 * the statement names no features, default_features, version or path;
 * or when every feature it names is among the copy's features, the
 * version it names (if any) matches the copy's, the path it names (if
 * any) is the copy's directory, and — unless it says
 * default_features=False — the copy has `default`. Of two copies of one
 * name from crates.io the highest such is taken. The plugin then asks for
 * the copy's exact version (or directory), default features off and the
 * features named; the plugins it stacks on bring the rest (adopt.c). */
int rimport__plan_adopt(const struct rimport__stack *stack, rimport__arena *a,
                        const rimport__asked *asked, int *found,
                        const rimport__adopted **out);

/* rimport__plan_adopt among the plugins `from` (in load order) instead
 * of a whole stack. */
int rimport__plan_adopt_from(const struct rimport__built *const *from,
                             size_t from_count, rimport__arena *a,
                             const rimport__asked *asked, int *found,
                             const rimport__adopted **out);

/* Called by the build stage before it builds plugin `index` of `plan`,
 * once the plugins before it are on `stack`. A plugin planned as written
 * because nothing loaded had its crate yet (plan->asked[index]) is looked
 * up again among the plugins it stacks on: an earlier plugin of the same
 * plan may link the crate. If one does and the statements allow it
 * (rimport__plan_adopt's rule), the plugin takes that copy as a later
 * cell would: exact version or directory, default features off, the
 * features named; its key and the keys of the later plugins of the plan
 * (which stack on it) are computed again, exactly as a plan made after
 * that build would compute them, so both ways share cache entries.
 * *changed says whether keys changed. If any plugin links the crate, the
 * record this plan made for it in `state` (may be NULL) is dropped: the
 * crate is a loaded one now, and the stack is its record (a later import
 * takes the copy again, or is refused by the build). Looks once per
 * plugin; on failure the plan and the state are as they were. */
int rimport__plan_readopt(rimport_cell_plan *plan, size_t index,
                          rimport__plan_state *state,
                          const struct rimport__stack *stack,
                          const rimport_toolchain *tc, int *changed);

/* Whether the plan can name where a crate of a plugin's graph
 * ({name, version, features, source[, path]}) came from, and so take it
 * as it is loaded: crates.io or a local directory. */
int rimport__plan_can_adopt(const struct cJSON *graph_entry);

/* Whether `version` ("1.0.152") matches the Cargo requirement `req`
 * ("1.0", ">=0.11, <0.13", "~1.2", "=1.0.152", "1.*", "*"), by Cargo's
 * rules (pre-releases only for a requirement naming one of the same
 * major.minor.patch): 1, or 0 when it does not or cannot be told (a form
 * this reader does not know). */
int rimport__plan_version_matches(const char *req, const char *version);

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
