/* The Rust toolchain a session uses: found, probed once, remembered on disk.
 */
#ifndef RIMPORT_SRC_TOOLCHAIN_H
#define RIMPORT_SRC_TOOLCHAIN_H

#include "../common/common.h"

typedef struct rimport__toolchain {
  rimport_toolchain pub; /* points into the strings below */
  char *rustc, *release, *commit_hash, *commit_date, *host, *llvm_version,
      *sysroot, *target_libdir, *std_dylib;
  char *verbose_version; /* the full `rustc -vV` text */
  char fingerprint[33];  /* XXH3-128 of verbose_version, hex */
} rimport__toolchain;

/* Finds and probes rustc.
 *
 * rustc: the binary to use, or NULL for $RUSTC, else `rustc` on PATH.
 * cache_dir: where the on-disk record lives (<cache_dir>/toolchain/), or NULL
 *   to always probe.
 * timeout_ms: per probe command; 0 means 30 s.
 * progress/payload: told (phase TOOLCHAIN) when rustc is actually run.
 *
 * The record is keyed by the resolved path of the binary, and is reused
 * (no child process) while the binary's size and mtime are unchanged, and,
 * for a rustup proxy, while the rustup settings and the toolchain's real
 * rustc are unchanged. Returns 0; RIMPORT_ETOOLCHAIN with a message saying
 * what was run, what it said, and what to do; RIMPORT_ETIMEDOUT;
 * RIMPORT_ENOMEM. */
int rimport__toolchain_find(const char *rustc, const char *cache_dir,
                            unsigned int timeout_ms,
                            rimport_progress_cb progress, void *payload,
                            rimport__toolchain **out);

void rimport__toolchain_free(rimport__toolchain *tc);

/* Parses `rustc -vV` output into tc's release, commit_hash, commit_date,
 * host, llvm_version, verbose_version and fingerprint. RIMPORT_ETOOLCHAIN
 * when a required line (release, host) is missing. */
int rimport__toolchain_parse_vv(rimport__toolchain *tc, const char *text,
                                size_t len);

#endif
