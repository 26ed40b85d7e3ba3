/* rimport doctor: one line per thing rimport needs, OK or what to do. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "common/common.h"
#include "common/fs.h"
#include "platform.h"
#include "proc/proc.h"
#include "toolchain/toolchain.h"

static int report(int ok, const char *what, const char *fmt, ...)
    RIMPORT__PRINTF(3, 4);

static int report(int ok, const char *what, const char *fmt, ...) {
  va_list ap;
  printf("%-4s %-10s ", ok ? "ok" : "FAIL", what);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  return ok ? 0 : 1;
}

static int check_toolchain(rimport_session *s) {
  const rimport_toolchain *tc;
  int bad = 0;
  if (rimport_session_toolchain(s, &tc) != 0) {
    const rimport_error *e = rimport_error_last();
    return report(0, "rustc", "%s", e ? e->message : "unknown failure");
  }
  bad |= report(1, "rustc", "rustc %s (%s, LLVM %s) at %s%s", tc->release,
                tc->host, tc->llvm_version, tc->rustc,
                tc->from_cache ? " [remembered]" : "");
  bad |= report(1, "target", "%s%s", tc->target,
                strcmp(tc->target, tc->host) == 0 ? " (the host)" : "");
  if (tc->std_dylib != NULL)
    bad |= report(1, "std dylib", "%s", tc->std_dylib);
  else
    bad |= report(0, "std dylib",
                  "no std dylib in %s; plugins are Rust dylibs and need it: "
                  "install the toolchain's rust-std component for %s (rustup "
                  "component add rust-std --target …) or use a full Rust "
                  "installation",
                  tc->target_libdir, tc->target);
  if (tc->runtime_dll != NULL)
    bad |= report(1, "runtime", "%s", tc->runtime_dll);
  else if (rimport__toolchain_runtime_dll_name(tc->target) != NULL)
    bad |= report(0, "runtime",
                  "%s, which the %s std DLL imports, is not in %s, its "
                  "self-contained directory, the bin directory of %s, the "
                  "mingw-w64 gcc's directory there or on PATH; install "
                  "mingw-w64's gcc runtime (MSYS2: mingw-w64-x86_64-gcc-libs) "
                  "and put its bin directory on PATH",
                  rimport__toolchain_runtime_dll_name(tc->target), tc->target,
                  tc->target_libdir, tc->sysroot);
  return bad;
}

static int check_cargo(const rimport_session_options *o) {
  rimport_buf path = RIMPORT_BUF_INIT;
  rimport__proc_result res = RIMPORT__PROC_RESULT_INIT;
  const char *args[3];
  rimport__proc_opts po;
  int bad;
  if (o->cargo_path != NULL)
    rimport__buf_puts(&path, o->cargo_path);
  else if (rimport__env_get("CARGO", &path) != 0 || path.size == 0)
    rimport__find_executable("cargo", &path);
  if (path.size == 0) {
    rimport_buf_dispose(&path);
    return report(0, "cargo",
                  "cargo was not found on PATH; install Rust with rustup or "
                  "`apt-get install cargo`, or pass --cargo PATH");
  }
  memset(&po, 0, sizeof(po));
  args[0] = path.ptr;
  args[1] = "--version";
  args[2] = NULL;
  po.file = path.ptr;
  po.args = args;
  po.timeout_ms = 30000;
  if (rimport__proc_run(&po, &res) != 0) {
    const rimport_error *e = rimport_error_last();
    bad = report(0, "cargo", "%s", e ? e->message : "failed to run");
  } else if (res.exit_status != 0 || res.term_signal != 0) {
    bad = report(0, "cargo",
                 "`%s --version` failed (exit %lld): %s; repair or reinstall "
                 "cargo",
                 path.ptr, (long long)res.exit_status,
                 res.err.ptr ? res.err.ptr : "");
  } else {
    res.out.ptr[strcspn(res.out.ptr, "\r\n")] = '\0';
    bad = report(1, "cargo", "%s at %s", res.out.ptr, path.ptr);
  }
  rimport__proc_result_dispose(&res);
  rimport_buf_dispose(&path);
  return bad;
}

static int check_source(const rimport_session_options *o) {
  switch (o->source_kind) {
  case RIMPORT_SOURCE_DIRECTORY:
    if (!rimport__fs_is_dir(o->source))
      return report(0, "source",
                    "the directory source %s does not exist; give a "
                    "directory of unpacked crates (Debian: apt-get install "
                    "librust-<crate>-dev fills /usr/share/cargo/registry)",
                    o->source);
    return report(1, "source",
                  "directory source %s replaces crates.io (offline crates)",
                  o->source);
  case RIMPORT_SOURCE_REGISTRY:
    if (strstr(o->source, "://") == NULL)
      return report(0, "source",
                    "\"%s\" is not a registry index URL; give e.g. "
                    "sparse+https://host/index/ or https://host/git/index",
                    o->source);
    return report(1, "source", "registry %s replaces crates.io", o->source);
  case RIMPORT_SOURCE_CONFIG:
    if (!rimport__fs_is_file(o->source))
      return report(0, "source", "the cargo config file %s does not exist",
                    o->source);
    return report(1, "source", "cargo config file %s is added to every run",
                  o->source);
  default:
    return report(1, "source",
                  "cargo's own configuration (crates.io, unless "
                  "$CARGO_HOME/config.toml replaces it)%s",
                  o->offline ? ", offline" : "");
  }
}

/* The RUSTC_WRAPPER plugin builds use (the option, else the environment):
 * found and executable. */
static int check_wrapper(const rimport_session *s, const cli *c) {
  const char *w = rimport_session_rustc_wrapper(s);
  const char *from =
      c->opts.rustc_wrapper != NULL ? "--rustc-wrapper" : "$RUSTC_WRAPPER";
  rimport_buf path = RIMPORT_BUF_INIT;
  const char *p;
  int has_dir = 0, bad;
  if (w == NULL)
    return report(1, "wrapper",
                  "none: plugin builds run rustc directly (--rustc-wrapper "
                  "PATH or RUSTC_WRAPPER to use e.g. sccache)");
  for (p = w; *p; p++)
    has_dir |= rimport__is_dir_sep(*p);
  if (has_dir)
    rimport__buf_puts(&path, w);
  else if (rimport__find_executable(w, &path) != 0)
    rimport__buf_clear(&path);
  if (path.size == 0)
    bad = report(0, "wrapper",
                 "%s \"%s\" was not found on PATH, so every plugin build "
                 "would fail; install it (sccache: apt-get install sccache), "
                 "give its full path, or unset it (--rustc-wrapper \"\")",
                 from, w);
  else if (!rimport__fs_is_executable(path.ptr))
    bad = report(0, "wrapper",
                 "%s \"%s\" is not an executable file, so every plugin build "
                 "would fail; give the wrapper program's path, or unset it "
                 "(--rustc-wrapper \"\")",
                 from, path.ptr);
  else
    bad = report(1, "wrapper",
                 "%s (from %s) runs rustc in plugin builds; cache keys do "
                 "not depend on it",
                 path.ptr, from);
  rimport_buf_dispose(&path);
  return bad;
}

/* The shared cache: reachable, writable (or read-only by choice), and its
 * file locks work (NFS without lockd refuses them). */
static int check_shared_cache(const rimport_session *s) {
  rimport_buf lock_path = RIMPORT_BUF_INIT;
  rimport__file_lock *lock = NULL;
  int readonly = 0, bad, rc;
  const char *dir = rimport_session_shared_cache_dir(s, &readonly);
  if (dir == NULL)
    return report(1, "shared",
                  "no shared cache (--shared-cache-dir DIR or "
                  "RIMPORT_SHARED_CACHE_DIR to share plugins with a team)");
  if (!rimport__fs_is_dir(dir))
    return report(0, "shared",
                  "the shared cache %s does not exist or cannot be reached; "
                  "mount the share (or create the directory), or unset "
                  "--shared-cache-dir / RIMPORT_SHARED_CACHE_DIR",
                  dir);
  if (readonly)
    return report(1, "shared",
                  "%s is reachable; read-only: plugins are taken from it, "
                  "never published there",
                  dir);
  if (rimport__fs_check_writable(dir) != 0)
    return report(0, "shared",
                  "%s is reachable but not writable (%s), so publishing "
                  "every plugin built here fails with a warning; make it "
                  "writable for this user, or pass --shared-cache-readonly "
                  "(RIMPORT_SHARED_CACHE_READONLY=1)",
                  dir, rimport_error_last()->message);
  rc = rimport__path_join(&lock_path, dir, "_doctor.lock");
  if (rc == 0 && (rc = rimport__file_lock_open(lock_path.ptr, &lock)) == 0)
    rc = rimport__file_lock_try(lock, NULL);
  if (rc != 0 && rc != RIMPORT_ELOCKED)
    bad = report(0, "shared",
                 "%s is writable but its file locks fail (%s); rimport "
                 "needs fcntl locks there: NFSv4, or NFSv3 with lockd "
                 "(rpc.statd) running, or SMB; see README \"A shared cache "
                 "for a team\"",
                 dir, rimport_error_last()->message);
  else
    bad = report(1, "shared",
                 "%s is reachable and writable, file locks work: plugins "
                 "are taken from it and published there",
                 dir);
  rimport__file_lock_close(lock);
  rimport__fs_unlink(lock_path.ptr);
  rimport_buf_dispose(&lock_path);
  return bad;
}

int cli_doctor(cli *c, int argc, char **argv) {
  rimport_session *s = NULL;
  rimport_session_options opts = c->opts;
  int bad = 0;
  int status = cli_no_args(c, "doctor", argc, argv);
  if (status != 0)
    return status;
  /* The source is checked on its own line below, so that a bad source does
   * not hide the other checks. */
  opts.source_kind = RIMPORT_SOURCE_DEFAULT;
  opts.source = NULL;
  if (rimport_session_open(&s, &opts) != 0) {
    const rimport_error *e = rimport_error_last();
    report(0, "cache", "%s", e ? e->message : "unknown failure");
    bad = 1;
  } else {
    bad |= report(1, "cache", "%s is writable", rimport_session_cache_dir(s));
    bad |= check_shared_cache(s);
    bad |= check_toolchain(s);
    bad |= check_wrapper(s, c);
  }
  bad |= check_cargo(&c->opts);
  bad |= check_source(&c->opts);
  rimport_session_close(s);
  if (bad)
    printf("\nSome checks failed: see the lines marked FAIL.\n");
  return bad ? 1 : 0;
}
