/* Running cargo: the command line (argv, never a shell), the environment
 * that makes every unit a `-C prefer-dynamic` unit, the crate source
 * configuration, and an incremental reader of cargo's JSON message stream
 * and progress line. */
#ifndef RIMPORT_SRC_CARGO_H
#define RIMPORT_SRC_CARGO_H

#include <stdint.h>

#include "../common/common.h"
#include "../proc/proc.h"

/* A list of strings from a JSON array (elements that are not strings are
 * left out). */
typedef struct rimport__cargo_strings {
  char **v;
  size_t count;
} rimport__cargo_strings;

/* One `compiler-artifact` message. Every string may be NULL when the
 * message lacked it (or had another type there), except `kind`. */
typedef struct rimport__cargo_artifact {
  char *package_id;
  char *target_name;
  char *kind;       /* the target's first kind: "lib", "dylib", … ("" when
                       none) */
  char **filenames; /* absolute */
  size_t filename_count;
  int fresh;
  char *src_path;  /* target.src_path: the crate root's source file */
  char *edition;   /* target.edition: "2018" */
  char *opt_level; /* profile.opt_level: "3", "0", "s" */
  rimport__cargo_strings crate_types; /* target.crate_types */
  rimport__cargo_strings features;    /* the unit's features */
} rimport__cargo_artifact;

/* One `build-script-executed` message: what a package's build script said
 * to its package's compile (cargo sends it for fresh units too). */
typedef struct rimport__cargo_build_script {
  char *package_id;            /* never NULL */
  char *out_dir;               /* OUT_DIR of the package's compile, or NULL */
  rimport__cargo_strings cfgs; /* `name` or `name="value"` */
  rimport__cargo_strings env;  /* "NAME=value" (cargo:rustc-env) */
} rimport__cargo_build_script;

/* What a cargo run produced, read from its streams as they came. */
typedef struct rimport__cargo_report {
  rimport__cargo_artifact *artifacts;
  size_t artifact_count, artifact_cap;
  rimport__cargo_build_script *scripts; /* in the order cargo sent them */
  size_t script_count, script_cap;
  rimport_buf diagnostics; /* rendered compiler errors, in order */
  size_t error_count;
  int finished;             /* a build-finished message was seen */
  int success;              /* its "success" */
  rimport_buf stderr_tail;  /* the last 16 KiB of stderr, for messages */
  rimport_buf stdout_noise; /* the first non-JSON stdout lines (capped) */
  /* progress reader state */
  unsigned int done, total;
  rimport_buf line;    /* partial stdout line */
  rimport_buf segment; /* partial stderr segment */
  int overflow;        /* a stdout line was too long and was dropped */
} rimport__cargo_report;

void rimport__cargo_report_init(rimport__cargo_report *r);
void rimport__cargo_report_dispose(rimport__cargo_report *r);

/* Feeds stdout bytes (JSON lines); complete lines are parsed at once. */
int rimport__cargo_feed_stdout(rimport__cargo_report *r, const char *data,
                               size_t len);
/* Feeds stderr bytes; `Building [==> ] 12/87: a, b` segments update
 * done/total and call progress with the first unit name. */
int rimport__cargo_feed_stderr(rimport__cargo_report *r, const char *data,
                               size_t len, const char *plugin,
                               rimport_progress_cb progress, void *payload);
/* Ends the streams (a last line without newline is parsed). */
int rimport__cargo_feed_end(rimport__cargo_report *r);

/* The cargo command for a session: options path, else $CARGO, else cargo on
 * PATH. RIMPORT_ETOOLCHAIN with what to do when there is none. */
int rimport__cargo_find(const rimport_session_options *opts, rimport_buf *out);

/* Appends to argv the arguments every cargo run gets from the session:
 * source replacement (--config), --offline. */
int rimport__cargo_common_args(rimport__argv *a,
                               const rimport_session_options *opts);

/* The environment for cargo: RUSTC=<rustc>, every unit with
 * -C prefer-dynamic (CARGO_ENCODED_RUSTFLAGS), progress on stderr, no
 * colour. wrapper (the rustc_wrapper option): NULL leaves RUSTC_WRAPPER
 * as cargo inherits it; "" removes it (and CARGO_BUILD_RUSTC_WRAPPER);
 * else RUSTC_WRAPPER=<wrapper>. NULL-terminated; entries owned by `a`. */
int rimport__cargo_env(rimport__argv *a, const char *rustc,
                       const char *wrapper);

/* Says where crates come from, for messages ("the directory source
 * /usr/share/cargo/registry"). */
const char *rimport__cargo_source_text(const rimport_session_options *opts,
                                       rimport_buf *tmp);

/* Turns a failed cargo run into an error record: a missing crate or version
 * (RIMPORT_ENOTFOUND), compile errors (RIMPORT_EBUILD with the rendered
 * diagnostics), anything else (RIMPORT_ECHILD with stderr's tail). `what`
 * says what was being done ("building the plugin for reqwest"). */
int rimport__cargo_error(const rimport__cargo_report *r,
                         const rimport_session_options *opts, const char *what,
                         const char *crate, int64_t exit_status,
                         int term_signal);

#endif
