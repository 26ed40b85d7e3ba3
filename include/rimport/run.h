/**
 * @file rimport/run.h
 * @brief Loading and registering plugins, compiling cells against them and
 *        running the cells.
 *
 * Included by rimport.h; do not include it on its own.
 */
#ifndef RIMPORT_RUN_H
#define RIMPORT_RUN_H

#include "build.h"
#include "common.h"
#include "plan.h"
#include "session.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Preloads the plugins of a build, in order, by absolute path: the Rust std
 * dylib, kayton_api, then each plugin (DESIGN.md facts 1, 9). Before loading
 * an entry its manifest (toolchain fingerprint, kayton ABI version) and the
 * dylib's hash are checked against the host; after loading, the plugin's
 * embedded manifest is compared again. Loading what is loaded is a no-op;
 * nothing is unloaded while the session lives.
 * @return 0; RIMPORT_EMISMATCH, RIMPORT_ECORRUPT, RIMPORT_ELOAD (with the
 *         path and the OS loader's message), RIMPORT_ENOTFOUND.
 */
RIMPORT_EXTERN int rimport_load(rimport_session *session,
                                const rimport_build_result *built);

/**
 * Calls `kayton_plugin_register_c` of every loaded plugin not registered
 * yet, with the session's context (the host's, or the reference VM's). A
 * plugin that fails or panics is RIMPORT_EPANIC with its message; the
 * process goes on.
 */
RIMPORT_EXTERN int rimport_register(rimport_session *session);

#define RIMPORT_CELL_OPTIONS_VERSION 2

/** Options of one cell compile; initialize with RIMPORT_CELL_OPTIONS_INIT. */
typedef struct rimport_cell_options {
  unsigned int version; /**< RIMPORT_CELL_OPTIONS_VERSION */
  /** The file the cell's text comes from, so that rustc's diagnostics name
   *  it (and its lines); NULL: "cell N". */
  const char *source_path;
  /** The line of source_path where the cell's first line stands (1 when 0).
   */
  unsigned int first_line;
  /** The cell's top-level Rust items (`fn`, `struct`, `impl`, `use`, …;
   *  NULL: none), `items_len` bytes: items of the cell crate, which every
   *  later cell of the session can use by name. They share the cell's
   *  lines with the statements (rimport_cell_split gives both with the
   *  other's text blanked), so diagnostics keep the user's lines. (Added
   *  in version 2.) */
  const char *items;
  size_t items_len;
} rimport_cell_options;

#define RIMPORT_CELL_OPTIONS_INIT                                              \
  { RIMPORT_CELL_OPTIONS_VERSION, NULL, 0, NULL, 0 }

/**
 * Fills `opts` with the defaults of the given struct version (pass
 * RIMPORT_CELL_OPTIONS_VERSION), as RIMPORT_CELL_OPTIONS_INIT does.
 * @return 0; RIMPORT_EVERSION for a version this library does not know;
 *         RIMPORT_EINVAL for NULL.
 */
RIMPORT_EXTERN int rimport_cell_options_init(rimport_cell_options *opts,
                                             unsigned int version);

/** A compiled cell. Opaque; free with rimport_cell_free (never unloaded). */
typedef struct rimport_cell rimport_cell;

/**
 * Compiles a cell against the session's plugins and earlier cells, with
 * rustc directly (`--crate-type dylib -C prefer-dynamic`, an `--extern` per
 * loaded plugin, per crate those plugins wrap, and per earlier cell whose
 * items it uses), or finds it compiled in the cache.
 *
 * `rust` is the cell's statements (with `?` on any error type), as the
 * Kayton compiler generates them: the body of the cell's entry point;
 * `opts->items` its top-level items. rimport statements in either are
 * blanked out first. Items are items of the cell crate: what they define
 * without `pub` is made public (fields of structs, inherent methods and
 * associated items, items of modules included; code already `pub`, or
 * `pub(crate)` and the like, is left alone; `macro_rules!` gets
 * `#[macro_export]`), and every later cell of the session can use it by
 * name; a later cell that defines a name again shadows it for the cells
 * after it. An inherent `impl` must stand in the cell that defines its
 * type (Rust's rule: a type's crate holds its inherent impls).
 *
 * In scope: the names that `plan` and the session's earlier plans bind
 * (`rimport reqwest` makes `reqwest` the crate itself, `from reqwest
 * rimport StatusCode as S` makes `S`, generic instances are named
 * `name__shape`, as `largest__i64`), the crates the plugins wrap by their
 * own names (so derives and macros that expand to `::serde::…` work), and
 * the items of earlier cells. In the statements, `kprintln!(…)` writes to
 * the cell's output, `keep!("name", value)` keeps a value in the VM for
 * later cells and `get!(Type, "name")` returns it. Line numbers in
 * diagnostics are those of the text as given (plus first_line - 1).
 *
 * A compiled cell is a cache entry (`<cache>/kayton_cell/<key>`) keyed by
 * everything that makes it — its text, where it stands, the toolchain,
 * the plugins and the earlier cells it links (by their keys), the names in
 * its scope — and verified before it is loaded: compiling the same cell
 * again (a notebook run again, after a restart too) starts no rustc
 * (rimport_cell_reused); a cell whose text changed is compiled again, and
 * so are the later cells that use its items.
 *
 * @param plan the cell's plan (its plugins must have been built, loaded and
 *             registered), or NULL when the cell imports nothing new
 * @param opts NULL for defaults
 * @param out  receives the cell (free with rimport_cell_free); NULL on
 *             failure
 * @return 0; RIMPORT_ECOMPILE with rustc's rendered diagnostics;
 *         RIMPORT_EPARSE for a cell whose text does not scan (an
 *         unterminated string or comment, unbalanced braces);
 *         RIMPORT_EVERSION when opts' version is not
 *         RIMPORT_CELL_OPTIONS_VERSION; RIMPORT_EINVAL.
 */
RIMPORT_EXTERN int rimport_cell_compile(rimport_session *session,
                                        const char *rust, size_t len,
                                        const rimport_cell_plan *plan,
                                        const rimport_cell_options *opts,
                                        rimport_cell **out);

/** The compiled cell's dylib (absolute path). Owned by the cell. */
RIMPORT_EXTERN const char *rimport_cell_dylib(const rimport_cell *cell);

/** Non-zero when the cell came from the cache: no rustc ran for it. */
RIMPORT_EXTERN int rimport_cell_reused(const rimport_cell *cell);

/**
 * Loads the cell after its plugins and calls its entry point with the
 * session's context. What the cell writes with kprintln! goes to the
 * session's output callback and, when `output` is not NULL, into it. A panic
 * or an error returned by the cell is RIMPORT_EPANIC with its message; the
 * session goes on.
 */
RIMPORT_EXTERN int rimport_cell_run(rimport_session *session,
                                    rimport_cell *cell, rimport_buf *output);

/** A path dependency a cell crate built with cargo needs (the cargo route). */
typedef struct rimport_extra_dep {
  const char *name; /**< crate name: "kayton_api", "kayton_rplugin__reqwest" */
  const char *path; /**< absolute directory of that crate */
} rimport_extra_dep;

/** The path dependencies of a cell crate. Opaque; free with
 * rimport_extra_deps_free. */
typedef struct rimport_extra_deps rimport_extra_deps;

/**
 * The cargo route, for hosts that build cells with cargo instead of
 * rimport_cell_compile: the path dependencies a cell crate needs now
 * (kayton_api and every plugin the session has built, in stack order).
 * The list is a snapshot: later builds do not change it.
 * @param out receives the list (owned by the caller, free with
 *            rimport_extra_deps_free; it does not depend on the session
 *            staying open); NULL on failure
 * @return 0; RIMPORT_EINVAL; RIMPORT_ENOMEM.
 */
RIMPORT_EXTERN int rimport_session_extra_deps(rimport_session *session,
                                              rimport_extra_deps **out);

/** How many dependencies the list holds. NULL gives 0. */
RIMPORT_EXTERN size_t rimport_extra_deps_count(const rimport_extra_deps *deps);

/**
 * The dependencies, an array of rimport_extra_deps_count() entries in stack
 * order (kayton_api first), or NULL when there are none. Owned by `deps`.
 */
RIMPORT_EXTERN const rimport_extra_dep *
rimport_extra_deps_array(const rimport_extra_deps *deps);

/** Frees what rimport_session_extra_deps returned. NULL is a no-op. */
RIMPORT_EXTERN void rimport_extra_deps_free(rimport_extra_deps *deps);

/**
 * The cargo route: a Cargo.toml for a cell crate named `crate_name` that
 * depends on `deps` (`[lib] crate-type = ["dylib"]`, `path = "lib.rs"`,
 * each dependency by absolute path, the plugins' release profile) into
 * `out` (replaced). Build it with `cargo build --release --target-dir
 * <cache>/_target` and `CARGO_ENCODED_RUSTFLAGS=-Cprefer-dynamic`, with the
 * session's rustc, so that cargo finds the plugins fresh and links them
 * dynamically.
 * @return 0; RIMPORT_EINVAL (NULL, or a crate name that is not a Rust
 *         identifier); RIMPORT_ENOMEM.
 */
RIMPORT_EXTERN int rimport_extra_deps_cargo_toml(const rimport_extra_deps *deps,
                                                 const char *crate_name,
                                                 rimport_buf *out);

/** Frees a cell's bookkeeping (the library stays loaded). NULL: no-op. */
RIMPORT_EXTERN void rimport_cell_free(rimport_cell *cell);

#ifdef __cplusplus
}
#endif

#endif /* RIMPORT_RUN_H */
