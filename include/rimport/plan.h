/**
 * @file rimport/plan.h
 * @brief Plans: the plugins a cell needs, each with its cache key.
 *
 * Included by rimport.h; do not include it on its own.
 */
#ifndef RIMPORT_PLAN_H
#define RIMPORT_PLAN_H

#include "common.h"
#include "parse.h"
#include "session.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where a plugin's crate comes from. */
typedef enum rimport_source_type {
  RIMPORT_FROM_REGISTRY = 1, /**< a registry, with a version requirement */
  RIMPORT_FROM_PATH = 2      /**< a local crate directory */
} rimport_source_type;

/** One item a plugin exports: a path inside the crate, maybe instantiated. */
typedef struct rimport_plugin_item {
  const char *module;          /**< module path inside the crate ("blocking",
                                    "a::b"), or NULL for the crate root */
  const char *name;            /**< item name, or "*" for a glob import */
  const rimport_shape *shapes; /**< generic arguments, or NULL */
  size_t shape_count;          /**< 0 when not instantiated */
} rimport_plugin_item;

/** A name a cell binds, and what it names. */
typedef struct rimport_binding {
  const char *name;   /**< the name in the cell */
  const char *module; /**< as in rimport_plugin_item; NULL for the root */
  const char *item;   /**< the item, or NULL when `name` is the crate */
} rimport_binding;

/**
 * One plugin of a plan: everything its cache key covers, and the key.
 * All pointers are owned by the plan.
 */
typedef struct rimport_plugin {
  const char *crate;   /**< Rust crate name ('-' turned into '_') */
  const char *plugin;  /**< plugin crate name: "kayton_rplugin__<crate>" */
  const char *package; /**< `package="…"` when given, else NULL: the build
                            stage finds the published spelling */
  rimport_source_type source;
  const char *version; /**< REGISTRY: version requirement; NULL means "*" */
  const char *path;    /**< PATH: the crate directory, absolute */
  const char *const *features; /**< sorted, without duplicates */
  size_t feature_count;
  int default_features; /**< 0 or 1 */
  int whole_crate;      /**< non-zero when the crate itself is imported */
  const rimport_plugin_item *items; /**< sorted, without duplicates */
  size_t item_count;
  const rimport_binding *bindings; /**< in statement order */
  size_t binding_count;
  /** Keys of the plugins this one stacks on, in load order: every plugin
   *  the session built before, then the earlier plugins of this plan
   *  (DESIGN.md invariant 1). A plugin the session already built with the
   *  same inputs is reused as it is, parents and all. */
  const char *const *parents;
  size_t parent_count;
  const char *key;       /**< XXH3-128 of key_input, 32 lowercase hex digits */
  const char *key_input; /**< the canonical, versioned text that is hashed */
  size_t key_input_len;
} rimport_plugin;

#define RIMPORT_PLAN_OPTIONS_VERSION 1

/** Per-call plan options; initialize with RIMPORT_PLAN_OPTIONS_INIT. */
typedef struct rimport_plan_options {
  unsigned int version; /**< RIMPORT_PLAN_OPTIONS_VERSION */
  /** Directory that relative `path=` values are taken from; NULL: the
   *  current directory. */
  const char *base_dir;
  /** Names the cell in messages ("demo.cell, cell 2"); NULL: "cell N",
   *  N counting this session's plans from 1. Copied. */
  const char *origin;
} rimport_plan_options;

#define RIMPORT_PLAN_OPTIONS_INIT                                              \
  { RIMPORT_PLAN_OPTIONS_VERSION, NULL, NULL }

/**
 * Fills `opts` with the defaults of the given struct version (pass
 * RIMPORT_PLAN_OPTIONS_VERSION), as RIMPORT_PLAN_OPTIONS_INIT does.
 * @return 0; RIMPORT_EVERSION for a version this library does not know;
 *         RIMPORT_EINVAL for NULL.
 */
RIMPORT_EXTERN int rimport_plan_options_init(rimport_plan_options *opts,
                                             unsigned int version);

/** A cell's plan: the plugins it needs. Opaque; free with
 * rimport_cell_plan_free. */
typedef struct rimport_cell_plan rimport_cell_plan;

/**
 * Groups a cell's imports into the plugins it needs and computes each
 * plugin's cache key.
 *
 * Imports of one crate merge (features are united, items collected). An
 * import that contradicts another one of the same crate, in this cell or in
 * an earlier plan of the session (another version, path or package, the
 * opposite default_features, or features the earlier import did not have),
 * is RIMPORT_ECONFLICT naming both statements; nothing is recorded then.
 * On success the session remembers each crate's source and features, and
 * later plans that do not say them inherit them.
 *
 * A crate that a plugin the session built links is imported as it is
 * loaded when the statements allow it (README "Plans and cache keys"); a
 * plan builds nothing, so a crate that only an earlier plugin of the same
 * plan links is planned as written here and taken as loaded by
 * rimport_build, which then updates the plan's keys.
 *
 * The key needs the toolchain fingerprint (rimport_session_toolchain): a
 * warm process reads it from disk and spawns nothing.
 *
 * @param session  the session
 * @param imports  `count` descriptors (from rimport_imports_array, or made
 *                 by the front-end); read only during the call
 * @param opts     NULL for defaults; RIMPORT_EVERSION when its version is
 *                 not RIMPORT_PLAN_OPTIONS_VERSION
 * @param out      receives the plan (free with rimport_cell_plan_free); NULL on
 *                 failure
 * @return 0; RIMPORT_EINVAL (a descriptor breaks the rules the parser
 *         enforces), RIMPORT_ECONFLICT, RIMPORT_ENOTFOUND (a `path=` that
 *         does not exist), RIMPORT_ETOOLCHAIN, RIMPORT_ENOMEM.
 */
RIMPORT_EXTERN int rimport_plan(rimport_session *session,
                                const rimport_import *imports, size_t count,
                                const rimport_plan_options *opts,
                                rimport_cell_plan **out);

/** The number of plugins in a plan. NULL gives 0. */
RIMPORT_EXTERN size_t rimport_cell_plan_count(const rimport_cell_plan *plan);

/**
 * The plugins, an array of rimport_cell_plan_count() entries in the order
 * their crates were first named. Owned by the plan. After rimport_build
 * they are the plugins that were built: a plugin that took a crate an
 * earlier plugin of the plan links has its new source and key, and the
 * later plugins their new keys and parents (rimport_build). The array
 * stays where it is, and strings read from it before stay valid until the
 * plan is freed.
 */
RIMPORT_EXTERN const rimport_plugin *
rimport_cell_plan_array(const rimport_cell_plan *plan);

/**
 * Writes the plan as JSON (pretty when `pretty` is non-zero) into `out`,
 * which must be RIMPORT_BUF_INIT or a buffer of the caller's (its content is
 * replaced). The caller frees it with rimport_buf_dispose.
 * @return 0, RIMPORT_EINVAL, RIMPORT_ENOMEM.
 */
RIMPORT_EXTERN int rimport_cell_plan_to_json(const rimport_cell_plan *plan,
                                             int pretty, rimport_buf *out);

/** Frees a plan. NULL is a no-op. */
RIMPORT_EXTERN void rimport_cell_plan_free(rimport_cell_plan *plan);

#ifdef __cplusplus
}
#endif

#endif /* RIMPORT_PLAN_H */
