/* rustdoc JSON of a crate of a finished cargo build (DESIGN.md facts 11,
 * 18), for the API index of a plugin.
 *
 * rustdoc runs directly on the crate's source, as cargo ran rustc for it
 * in that build: its features, edition, build script output (cfgs, env,
 * OUT_DIR) and CARGO_* variables, with its dependencies given as the
 * .rmeta/.rlib files (a proc-macro's library) the build made. Nothing is
 * compiled again: `cargo rustdoc` would check the whole dependency graph a
 * second time in another profile (14.6 s for reqwest). */
#ifndef RIMPORT_SRC_RUSTDOC_H
#define RIMPORT_SRC_RUSTDOC_H

#include <cjson/cJSON.h>
#include <stdatomic.h>

#include "../common/common.h"
#include "cargo.h"

/* What a rustdoc run uses of a finished build. Everything is borrowed;
 * only what is marked optional may be NULL. */
typedef struct rimport__rustdoc_job {
  /* The toolchain the build used: rustdoc is <sysroot>/bin/rustdoc<exe>,
   * else the rustdoc beside `rustc`; --target when `target` is not
   * `host`. */
  const rimport_toolchain *tc;
  /* The `cargo metadata --format-version 1` document of the graph that
   * was built (packages[], resolve.nodes[]). */
  const cJSON *metadata;
  /* The build's messages: compiler-artifact (fresh units too) and
   * build-script-executed. */
  const rimport__cargo_report *report;
  /* cargo's --target-dir of the build. */
  const char *target_dir;
  /* Optional: the cargo that built (CARGO in rustdoc's environment, as
   * cargo sets it for rustc). */
  const char *cargo;
  /* Optional: the rustdoc to run instead of the toolchain's (a path, or a
   * name looked up on PATH). */
  const char *rustdoc;
  /* Optional: build_timeout_ms limits the run (0: none); progress and
   * progress_payload get one report (phase BUILD) when rustdoc starts. */
  const rimport_session_options *opts;
  /* Optional: set from another thread, the run is killed (ECANCELED). */
  const atomic_int *cancel;
  /* Optional: the crate whose plugin this is, for progress reports. */
  const char *plugin;
} rimport__rustdoc_job;

/* Runs rustdoc with JSON output (RUSTC_BOOTSTRAP=1 in rustdoc's
 * environment only, `-Z unstable-options --output-format json`) for the
 * library of the package `package_id` (cargo's id, as in the metadata and
 * the messages) of the build `job` describes; the package may be any
 * package of the graph the build made a library for, a proc-macro crate
 * included.
 *
 * rustdoc runs in the package's directory (the one holding its
 * Cargo.toml) with: --crate-name, --edition, --crate-type lib (a
 * proc-macro crate: proc-macro, with --extern proc_macro), --crate-version,
 * --cap-lints allow, --cfg feature="…" for each feature of the unit, the
 * build script's cfgs, --extern <name>=<file> for each normal dependency
 * of the package (renamed ones by their new name) that the build made a
 * library for — its .rmeta, else its .rlib, else its shared library (a
 * proc-macro) — with -L dependency=<directory> for each directory of
 * those files, --target when the toolchain's target is not its host (not
 * for a proc-macro crate, which is built for the host); and in the
 * environment the variables cargo gives rustc (CARGO, CARGO_PKG_*,
 * CARGO_MANIFEST_DIR, CARGO_MANIFEST_PATH, CARGO_CRATE_NAME, OUT_DIR
 * when the package has a build script, and that script's rustc-env).
 *
 * A dependency the build made no library for (one for another platform)
 * is left out. A package that cargo built twice (for build scripts and
 * proc-macros on the host, and for the target: another profile or other
 * features) is documented as built for the target: in its target
 * directory when cross-compiling, else the copy with the opt-level of the
 * package cargo was asked to build; its dependencies are taken from the
 * same build of theirs (same directory, same opt-level) where there are
 * two. Two runs of one package's build script are told apart the same
 * way only when cross-compiling (OUT_DIR in the target directory);
 * otherwise the last one cargo reported is used.
 *
 * out_dir (relative: to the current directory) is created when missing;
 * rustdoc writes <out_dir>/<crate name>.json (an older file of that name
 * is removed first, so that a failure never leaves one behind). On
 * success *json_path (replaced) is that file, absolute. The JSON's
 * format_version is the caller's to check (15 for Rust 1.63, 57 for 1.95): it
 * changes between releases.
 *
 * Returns 0; RIMPORT_EINVAL (a NULL argument, a job without toolchain,
 * metadata, report or target_dir); RIMPORT_ENOTFOUND (the package is not
 * in the metadata, or the build reported no library for it);
 * RIMPORT_ETOOLCHAIN (no rustdoc, or it could not be started);
 * RIMPORT_ECHILD (rustdoc failed or wrote no file: the message names the
 * crate, quotes the end of rustdoc's stderr and the command, with its
 * directory, to run it by hand); RIMPORT_ETIMEDOUT; RIMPORT_ECANCELED;
 * RIMPORT_EIO (out_dir); RIMPORT_ENOMEM. Nothing the build made is
 * changed. Thread-safe for distinct out_dirs. */
int rimport__rustdoc_json(const rimport__rustdoc_job *job,
                          const char *package_id, const char *out_dir,
                          rimport_buf *json_path);

/* The rustdoc for `tc` into out (replaced): `rustdoc` when given (used as
 * given when it has a directory part, else looked up on PATH), else
 * <tc->sysroot>/bin/rustdoc<exe suffix>, else rustdoc<exe suffix> in the
 * directory of tc->rustc. RIMPORT_ETOOLCHAIN naming the places looked
 * at, with what to do. */
int rimport__rustdoc_find(const rimport_toolchain *tc, const char *rustdoc,
                          rimport_buf *out);

/* The id of the package `name` at `version` in a `cargo metadata`
 * document (a pointer into it), or NULL. With two such packages (from two
 * sources), the first one listed. */
const char *rimport__rustdoc_package_id(const cJSON *metadata, const char *name,
                                        const char *version);

#endif
