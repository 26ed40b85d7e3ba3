/**
 * @file rimport/build.h
 * @brief Building a plan's plugins with cargo into the plugin cache.
 *
 * Included by rimport.h; do not include it on its own.
 */
#ifndef RIMPORT_BUILD_H
#define RIMPORT_BUILD_H

#include "common.h"
#include "plan.h"
#include "session.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One plugin of a build: where its verified cache entry is. */
typedef struct rimport_built_plugin {
  const char *crate;     /**< Rust crate name */
  const char *key;       /**< cache key (32 hex digits) */
  const char *entry_dir; /**< `<cache>/<crate>/<key>`, absolute */
  const char *dylib;     /**< the plugin dylib, absolute */
  const char *deps_dir;  /**< metadata of every crate behind it, absolute */
  const char *version;   /**< the crate version cargo resolved */
  int from_cache;        /**< non-zero: found in the cache, nothing built */
  double build_seconds;  /**< time spent building (0 for a cache hit) */
} rimport_built_plugin;

/** The result of rimport_build. Opaque; free with rimport_build_result_free. */
typedef struct rimport_build_result rimport_build_result;

/**
 * Makes sure every plugin of `plan` has a verified cache entry, building the
 * missing ones with cargo (one child process tree at a time, no shell).
 *
 * A plugin whose entry exists and verifies starts no child process. A
 * plugin another process is building is waited for (progress phase WAIT),
 * then reused. A failed build leaves no entry behind.
 *
 * The plugins are built in the plan's order, each stacked on those before
 * it. rimport_build updates `plan` (the pointer is to const because the
 * caller keeps and frees the plan, not because it stays as it was): a
 * plugin that rimport_plan made as written because nothing loaded had its
 * crate, whose crate an earlier plugin of the same plan turns out to link
 * (known only once that plugin is built), takes that copy as a later
 * cell's import would (its exact version or directory, default features
 * off, only the features named; README "Plans and cache keys") if the
 * statements allow it. Its key and the keys of the later plugins of the
 * plan change; from then on rimport_cell_plan_array and
 * rimport_cell_plan_to_json show the keys that were built (those of the
 * result), and the session records the crate as a loaded one, no longer
 * as named by this plan. Building the same plan again changes nothing
 * more. No other thread may read the plan during the call.
 *
 * @param out receives the result (free with rimport_build_result_free); NULL on
 *            failure
 * @return 0; RIMPORT_ENOTFOUND (crate or version missing from the source:
 *         the message names the source and, for a version, what exists);
 *         RIMPORT_EBUILD (rustc's rendered diagnostics in the message);
 *         RIMPORT_ETOOLCHAIN (cargo missing); RIMPORT_ETIMEDOUT;
 *         RIMPORT_ECANCELED; RIMPORT_EIO (cache dir unwritable or full).
 * The session is used by one thread; rimport_cancel may be called from
 * another.
 */
RIMPORT_EXTERN int rimport_build(rimport_session *session,
                                 const rimport_cell_plan *plan,
                                 rimport_build_result **out);

/** Number of plugins in a build result. NULL gives 0. */
RIMPORT_EXTERN size_t rimport_build_result_count(const rimport_build_result *r);

/** The plugins, in the plan's order. Owned by the result. */
RIMPORT_EXTERN const rimport_built_plugin *
rimport_build_result_array(const rimport_build_result *r);

/** Frees a build result. NULL is a no-op. */
RIMPORT_EXTERN void rimport_build_result_free(rimport_build_result *r);

/**
 * Asks the session's running build (if any) to stop: its cargo process tree
 * is killed and rimport_build returns RIMPORT_ECANCELED. Safe to call from
 * any thread while another thread is in rimport_build; a no-op when nothing
 * runs. The request is cleared when the next rimport_build starts.
 */
RIMPORT_EXTERN void rimport_cancel(rimport_session *session);

#ifdef __cplusplus
}
#endif

#endif /* RIMPORT_BUILD_H */
