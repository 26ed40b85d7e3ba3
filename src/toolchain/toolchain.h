/* The Rust toolchain a session uses: found, probed once, remembered on disk.
 */
#ifndef RIMPORT_SRC_TOOLCHAIN_H
#define RIMPORT_SRC_TOOLCHAIN_H

#include "../common/common.h"

typedef struct rimport__toolchain {
  rimport_toolchain pub; /* points into the strings below */
  /* rustc: the absolute path that is run (symlinks kept: a rustup proxy
   * such as ~/.cargo/bin/rustc -> rustup acts on the name it is run as, so
   * this, not `resolved`, is what later stages must run).
   * resolved: rustc with every symlink resolved (the record's key). */
  char *rustc, *resolved;
  char *release, *commit_hash, *commit_date, *host, *llvm_version, *sysroot,
      *target_libdir, *std_dylib;
  /* The runtime DLL the target's std DLL needs (windows-gnu:
   * libgcc_s_seh-1.dll), where it was found; NULL when the target needs
   * none or it was not found. */
  char *runtime_dll;
  char *target;          /* the target triple: the one asked for, or host */
  char *verbose_version; /* the full `rustc -vV` text */
  /* XXH3-128 of verbose_version, hex; for a target other than the host, of
   * verbose_version followed by "target: <triple>\n". */
  char fingerprint[33];
} rimport__toolchain;

/* Finds and probes rustc.
 *
 * rustc: the binary to use, or NULL for $RUSTC, else `rustc` on PATH.
 * target: the target triple plugins and cells are built for
 *   ("x86_64-pc-windows-gnu"), or NULL for rustc's host. target_libdir
 *   and the std dylib are that target's (`--print target-libdir --target`);
 *   the target is part of the fingerprint and of the record's key.
 * cache_dir: where the on-disk record lives (<cache_dir>/toolchain/), or NULL
 *   to always probe.
 * timeout_ms: per probe command; 0 means 30 s.
 * progress/payload: told (phase TOOLCHAIN) when rustc is actually run.
 *
 * Finding: an explicit `rustc` with a directory separator is used as
 * given (made absolute); one without is looked up on PATH; the same for
 * $RUSTC. pub.rustc is the absolute path that was run (see `rustc` above).
 *
 * The record (<cache_dir>/toolchain/<xxh3-64 hex>.json, JSON written with
 * rimport__fs_write_atomic) is keyed by the resolved path of the binary
 * (plus the invoked path when that is a symlink to it), and is reused (no
 * child process, pub.from_cache = 1) while every stamp it holds matches:
 * size + mtime of the binary and of the std dylib; and for a rustup proxy
 * (the binary is rustup itself, or the toolchain's <sysroot>/bin/rustc is
 * another file) also $RUSTUP_TOOLCHAIN, $RUSTUP_HOME,
 * $RUSTUP_HOME/settings.toml (default ~/.rustup; a missing file is a stamp
 * too) and <sysroot>/bin/rustc. A missing, corrupt or other-version record
 * is ignored and rewritten; failing to write it is not an error (the next
 * call probes again).
 *
 * Not seen: rustup directory overrides (rust-toolchain.toml,
 * `rustup override set`) of whatever directory the caller works in. The
 * probe runs with cache_dir as its working directory (when it exists),
 * which is where rimport runs cargo too, so both see the same toolchain;
 * an override that is set or changed for that directory later is not
 * noticed until settings.toml or the binary changes.
 *
 * Returns 0; RIMPORT_ETOOLCHAIN (not found; failed to start; non-zero exit
 * with its stderr quoted; output that is not rustc's) with a message
 * saying what was run, what it said, and what to do; RIMPORT_ETIMEDOUT;
 * RIMPORT_ENOMEM. Thread-safe (two processes or threads writing the same
 * record write the same content atomically). */
int rimport__toolchain_find(const char *rustc, const char *target,
                            const char *cache_dir, unsigned int timeout_ms,
                            rimport_progress_cb progress, void *payload,
                            rimport__toolchain **out);

void rimport__toolchain_free(rimport__toolchain *tc);

/* What a dylib's file name ends with for a target triple: ".dll"
 * (windows), ".dylib" (apple), else ".so" — data about the target, not
 * the platform rimport was built on. */
const char *rimport__toolchain_dylib_ext(const char *target);

/* The runtime DLL a target's std DLL imports besides the system's (data
 * about the target, as above): windows-gnu's std links libgcc dynamically
 * (libgcc_s_seh-1.dll; i686: libgcc_s_dw2-1.dll; gnullvm: libunwind.dll);
 * NULL for any other target. */
const char *rimport__toolchain_runtime_dll_name(const char *target);

/* Parses `rustc -vV` output into tc's release, commit_hash, commit_date,
 * host, llvm_version, verbose_version; then sets the target (NULL: the
 * host) and the fingerprint. RIMPORT_ETOOLCHAIN when a required line
 * (release, host) is missing; RIMPORT_EINVAL for a target that is not a
 * target triple (letters, digits, '_', '-', '.'). */
int rimport__toolchain_parse_vv(rimport__toolchain *tc, const char *text,
                                size_t len, const char *target);

#endif
