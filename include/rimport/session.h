/**
 * @file rimport/session.h
 * @brief Sessions: options, the toolchain a session uses, progress reports.
 *
 * Included by rimport.h; do not include it on its own.
 */
#ifndef RIMPORT_SESSION_H
#define RIMPORT_SESSION_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where cargo takes crates from. */
typedef enum rimport_source_kind {
  /** cargo's own configuration (crates.io, or what the user's
   *  `.cargo/config.toml` says). `source` is ignored. */
  RIMPORT_SOURCE_DEFAULT = 0,
  /** A directory source replacing crates.io: vendored crates, or Debian's
   *  `/usr/share/cargo/registry`. `source` is the directory. */
  RIMPORT_SOURCE_DIRECTORY = 1,
  /** A registry replacing crates.io (a mirror). `source` is its index URL,
   *  e.g. "sparse+https://mirror.example/index/". */
  RIMPORT_SOURCE_REGISTRY = 2,
  /** A cargo configuration file added to every cargo run (`--config
   *  <file>`). `source` is the file. */
  RIMPORT_SOURCE_CONFIG = 3
} rimport_source_kind;

/** What a progress report is about. */
typedef enum rimport_progress_phase {
  RIMPORT_PROGRESS_TOOLCHAIN = 1, /**< probing rustc (first use only) */
  RIMPORT_PROGRESS_RESOLVE = 2,   /**< resolving a plugin's dependencies */
  RIMPORT_PROGRESS_BUILD = 3,     /**< cargo compiles units */
  RIMPORT_PROGRESS_WAIT = 4,      /**< waiting for another process's lock */
  RIMPORT_PROGRESS_DONE = 5,      /**< a plugin is ready */
  RIMPORT_PROGRESS_WARNING = 6    /**< something failed that the import
                                       does without (the API index, say):
                                       the message starts with "warning: "
                                       and says what and why */
} rimport_progress_phase;

/** One progress report. Every pointer is valid during the callback only. */
typedef struct rimport_progress {
  rimport_progress_phase phase;
  const char *plugin;  /**< crate whose plugin this is about, or NULL */
  const char *unit;    /**< the unit cargo is compiling, or NULL */
  unsigned int done;   /**< units finished so far (BUILD) */
  unsigned int total;  /**< units in all, 0 while unknown (BUILD) */
  const char *message; /**< a line for a person, never NULL */
} rimport_progress;

/**
 * Receives progress reports, on the thread that made the call that reports.
 * It must not call back into the same session.
 */
typedef void (*rimport_progress_cb)(const rimport_progress *progress,
                                    void *payload);

/** What a line of output is (the levels of kayton_api.h's `report`). */
typedef enum rimport_output_level {
  RIMPORT_OUTPUT_STDOUT = 0,  /**< a cell's or plugin's printed output */
  RIMPORT_OUTPUT_STDERR = 1,  /**< written to stderr by Rust code */
  RIMPORT_OUTPUT_INFO = 2,    /**< diagnostics, by severity */
  RIMPORT_OUTPUT_WARNING = 3, /**< */
  RIMPORT_OUTPUT_ERROR = 4    /**< */
} rimport_output_level;

/**
 * Receives what cells and plugins report through the reference VM, on the
 * thread that runs them. `text` (`len` bytes, not NUL-terminated) is valid
 * during the call only. It must not call back into the session or the VM.
 */
typedef void (*rimport_output_cb)(rimport_output_level level, const char *text,
                                  size_t len, void *payload);

struct KaytonContext;

/** Version 2 added shared_cache_dir, shared_cache_readonly and
 *  rustc_wrapper at the end; a struct of version 1 (an older rimport.h) is
 *  still accepted, with those fields' defaults. */
#define RIMPORT_SESSION_OPTIONS_VERSION 2

/**
 * Session options. Always initialize with RIMPORT_SESSION_OPTIONS_INIT or
 * rimport_session_options_init() so that fields added later get their defaults.
 * Strings are copied by rimport_session_open; the caller keeps ownership.
 */
typedef struct rimport_session_options {
  unsigned int version; /**< RIMPORT_SESSION_OPTIONS_VERSION */
  /** Cache directory; NULL: $RIMPORT_CACHE_DIR, else the platform's cache
   *  folder (`$XDG_CACHE_HOME/rimport`, `~/.cache/rimport`,
   *  `%LOCALAPPDATA%\rimport\cache`). Created when needed. */
  const char *cache_dir;
  /** cargo to run; NULL: $CARGO, else `cargo` found on PATH. */
  const char *cargo_path;
  /** rustc to run; NULL: $RUSTC, else `rustc` found on PATH. */
  const char *rustc_path;
  /** The target triple plugins and cells are built for
   *  ("x86_64-pc-windows-gnu"); NULL: rustc's host. Part of every key;
   *  cargo and rustc get `--target` when it is not the host. */
  const char *target;
  /** Non-zero: never touch the network (cargo `--offline`). */
  int offline;
  /** Where cargo takes crates from; see rimport_source_kind. */
  rimport_source_kind source_kind;
  /** The directory, URL or file that `source_kind` asks for. */
  const char *source;
  /** Parallel cargo jobs; 0 lets cargo decide. */
  unsigned int jobs;
  /** Limit for one plugin build in milliseconds; 0: no limit. */
  unsigned int build_timeout_ms;
  /** Limit for one toolchain probe (`rustc -vV`…) in milliseconds; 0: 30 s. */
  unsigned int probe_timeout_ms;
  /** Progress callback, or NULL. */
  rimport_progress_cb progress;
  /** Handed to `progress` unchanged. */
  void *progress_payload;
  /** The VM context plugins and cells get (kayton_api.h, owned by the
   *  host); NULL: the session's reference VM. */
  struct KaytonContext *context;
  /** Receives what cells and plugins report, or NULL. Only with the
   *  reference VM (a host's own context reports to the host). */
  rimport_output_cb output;
  /** Handed to `output` unchanged. */
  void *output_payload;
  /* --- version 2 --- */
  /** A second cache directory shared by a team (a network file system),
   *  in the same layout as cache_dir: a plugin missing from the local
   *  cache is looked up there, verified in full and copied (or hard-linked)
   *  into the local cache before it is used; a plugin built here is
   *  published there too. Nothing is ever loaded from it. NULL:
   *  $RIMPORT_SHARED_CACHE_DIR, else none; "" : none. Failures to reach or
   *  write it are warnings (RIMPORT_PROGRESS_WARNING), never errors. See
   *  README "A shared cache for a team" for what its file system must
   *  provide. */
  const char *shared_cache_dir;
  /** Non-zero: only look plugins up in the shared cache, never publish
   *  there. Also on when $RIMPORT_SHARED_CACHE_READONLY is "1". */
  int shared_cache_readonly;
  /** A program cargo runs rustc through for plugin builds (cargo's
   *  RUSTC_WRAPPER, e.g. sccache): cargo gets RUSTC_WRAPPER=<it>. NULL:
   *  cargo inherits $RUSTC_WRAPPER (if set) as it would from a shell; "":
   *  none (RUSTC_WRAPPER is removed from cargo's environment). Not part of
   *  any cache key: a plugin built with or without it has the same key.
   *  rimport's own rustc and rustdoc runs (cells, API indexes) do not use
   *  it. */
  const char *rustc_wrapper;
} rimport_session_options;

#define RIMPORT_SESSION_OPTIONS_INIT                                           \
  {                                                                            \
    RIMPORT_SESSION_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0,                \
        RIMPORT_SOURCE_DEFAULT, NULL, 0, 0, 0, NULL, NULL, NULL, NULL, NULL,   \
        NULL, 0, NULL                                                          \
  }

/**
 * Fills `opts` with the defaults of the given struct version (pass
 * RIMPORT_SESSION_OPTIONS_VERSION), as RIMPORT_SESSION_OPTIONS_INIT does.
 * Version 1 fills only the fields a version-1 struct has.
 * @return 0, or RIMPORT_EVERSION for a version this library does not know,
 *         RIMPORT_EINVAL for NULL.
 */
RIMPORT_EXTERN int rimport_session_options_init(rimport_session_options *opts,
                                                unsigned int version);

/** A session: one per REPL or notebook kernel. Opaque. */
typedef struct rimport_session rimport_session;

/**
 * Opens a session. Nothing is spawned or probed yet: the toolchain is
 * looked at on first use.
 *
 * @param out   receives the session (close with rimport_session_close);
 *              NULL on failure
 * @param opts  options, or NULL for defaults; copied
 * @return 0; RIMPORT_EINVAL, RIMPORT_EVERSION, RIMPORT_ENOMEM, RIMPORT_EIO
 *         (no usable cache directory)
 * A session may be used from one thread at a time.
 */
RIMPORT_EXTERN int rimport_session_open(rimport_session **out,
                                        const rimport_session_options *opts);

/** Closes a session and frees what it holds. NULL is a no-op. */
RIMPORT_EXTERN void rimport_session_close(rimport_session *session);

/**
 * The session's cache directory (absolute). Owned by the session.
 */
RIMPORT_EXTERN const char *
rimport_session_cache_dir(const rimport_session *session);

/**
 * The session's shared cache directory (the shared_cache_dir option, else
 * $RIMPORT_SHARED_CACHE_DIR; absolute), or NULL when it has none. Owned by
 * the session. It may not exist or be reachable: it is only used, never
 * checked, when the session opens. `readonly` (may be NULL) gets non-zero
 * when plugins are only looked up there (shared_cache_readonly, or
 * $RIMPORT_SHARED_CACHE_READONLY=1).
 */
RIMPORT_EXTERN const char *
rimport_session_shared_cache_dir(const rimport_session *session, int *readonly);

/**
 * The RUSTC_WRAPPER plugin builds run rustc through: the rustc_wrapper
 * option, else $RUSTC_WRAPPER as cargo inherits it, or NULL for none.
 * Owned by the session (valid until it closes). cargo's own configuration
 * (build.rustc-wrapper, $CARGO_BUILD_RUSTC_WRAPPER) is not read.
 */
RIMPORT_EXTERN const char *
rimport_session_rustc_wrapper(const rimport_session *session);

/**
 * The context plugins and cells get: the `context` option, or the session's
 * reference VM (made when the session opens). Owned by the host or the
 * session; valid until the session closes. NULL for a NULL session.
 */
RIMPORT_EXTERN struct KaytonContext *
rimport_session_context(rimport_session *session);

/** What rimport knows of the Rust toolchain a session uses. */
typedef struct rimport_toolchain {
  const char *rustc;         /**< the rustc that was run (resolved path) */
  const char *release;       /**< "1.95.0" */
  const char *commit_hash;   /**< "59807616e…" or "unknown" */
  const char *commit_date;   /**< "2026-04-14" or "unknown" */
  const char *host;          /**< rustc's host triple */
  const char *target;        /**< the triple plugins and cells build for:
                                  the `target` option, else host */
  const char *llvm_version;  /**< "20.1.8" or "unknown" */
  const char *sysroot;       /**< `rustc --print sysroot` */
  const char *target_libdir; /**< the target's `rustc --print target-libdir` */
  const char *std_dylib;     /**< the std dylib in target_libdir, or NULL */
  const char *fingerprint;   /**< 32 hex digits: XXH3-128 of `rustc -vV`
                                  (and of the target, when not the host) */
  int from_cache; /**< non-zero when read from disk without running rustc */
  /** The runtime DLL the target's std DLL imports (windows-gnu:
   *  libgcc_s_seh-1.dll), found in the target libdir, its self-contained/,
   *  <sysroot>/bin, the mingw-w64 gcc's directory under the sysroot or on
   *  PATH; loaded before std. NULL when the target needs none or it was not
   *  found. */
  const char *runtime_dll;
} rimport_toolchain;

/**
 * Finds the session's toolchain: from the on-disk record when the rustc
 * binary is unchanged (no child process), else by running `rustc -vV`,
 * `--print sysroot` and `--print target-libdir` (with the probe timeout).
 *
 * @param out receives pointers owned by the session, valid until it closes
 * @return 0; RIMPORT_ETOOLCHAIN (rustc missing, failing or unparsable; the
 *         message says what was run and what to do); RIMPORT_ETIMEDOUT.
 */
RIMPORT_EXTERN int rimport_session_toolchain(rimport_session *session,
                                             const rimport_toolchain **out);

#ifdef __cplusplus
}
#endif

#endif /* RIMPORT_SESSION_H */
