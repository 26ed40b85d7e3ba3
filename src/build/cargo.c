#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/json.h"
#include "cargo.h"
#include "../common/fs.h"
#include "../common/escape.h"
#include "../platform.h"

#define STDERR_TAIL_MAX (16 * 1024)
#define NOISE_MAX       2048
#define LINE_MAX_BYTES  (64u * 1024 * 1024)

void rimport__cargo_report_init(rimport__cargo_report *r) {
  memset(r, 0, sizeof(*r));
}

static void strings_dispose(rimport__cargo_strings *l) {
  size_t i;
  for (i = 0; i < l->count; i++)
    rimport__free(l->v[i]);
  rimport__free(l->v);
  l->v = NULL;
  l->count = 0;
}

/* The strings of the JSON array `arr` (anything else: none), copied. */
static int strings_copy(const cJSON *arr, rimport__cargo_strings *out) {
  const cJSON *e;
  int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
  out->v = NULL;
  out->count = 0;
  if (n <= 0)
    return 0;
  if ((out->v = rimport__calloc((size_t)n, sizeof(char *))) == NULL)
    return RIMPORT_ENOMEM;
  cJSON_ArrayForEach(e, arr) {
    if (!cJSON_IsString(e) || (size_t)n == out->count)
      continue;
    if ((out->v[out->count] = rimport__strdup(e->valuestring)) == NULL)
      return RIMPORT_ENOMEM;
    out->count++;
  }
  return 0;
}

static void artifact_dispose(rimport__cargo_artifact *a) {
  size_t i;
  for (i = 0; i < a->filename_count; i++)
    rimport__free(a->filenames[i]);
  rimport__free(a->filenames);
  rimport__free(a->package_id);
  rimport__free(a->target_name);
  rimport__free(a->kind);
  rimport__free(a->src_path);
  rimport__free(a->edition);
  rimport__free(a->opt_level);
  strings_dispose(&a->crate_types);
  strings_dispose(&a->features);
}

static void script_dispose(rimport__cargo_build_script *b) {
  rimport__free(b->package_id);
  rimport__free(b->out_dir);
  strings_dispose(&b->cfgs);
  strings_dispose(&b->env);
}

void rimport__cargo_report_dispose(rimport__cargo_report *r) {
  size_t i;
  for (i = 0; i < r->artifact_count; i++)
    artifact_dispose(&r->artifacts[i]);
  rimport__free(r->artifacts);
  for (i = 0; i < r->script_count; i++)
    script_dispose(&r->scripts[i]);
  rimport__free(r->scripts);
  rimport_buf_dispose(&r->diagnostics);
  rimport_buf_dispose(&r->stderr_tail);
  rimport_buf_dispose(&r->stdout_noise);
  rimport_buf_dispose(&r->line);
  rimport_buf_dispose(&r->segment);
  memset(r, 0, sizeof(*r));
}

/* A copy of the string member `name` of obj; NULL when there is none (or
 * it is not a string): *ok is cleared only when the copy failed. */
static char *str_copy(const cJSON *obj, const char *name, int *ok) {
  const char *v = rimport__json_str(obj, name);
  char *c = rimport__strdup(v);
  if (v != NULL && c == NULL)
    *ok = 0;
  return c;
}

static int add_artifact(rimport__cargo_report *r, const cJSON *msg) {
  const cJSON *target = cJSON_GetObjectItemCaseSensitive(msg, "target");
  const cJSON *kinds = cJSON_GetObjectItemCaseSensitive(target, "kind");
  const cJSON *files = cJSON_GetObjectItemCaseSensitive(msg, "filenames");
  const cJSON *profile = cJSON_GetObjectItemCaseSensitive(msg, "profile");
  const cJSON *f;
  rimport__cargo_artifact a;
  int rc, ok = 1;
  memset(&a, 0, sizeof(a));
  a.fresh = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "fresh"));
  a.package_id = str_copy(msg, "package_id", &ok);
  a.target_name = str_copy(target, "name", &ok);
  a.src_path = str_copy(target, "src_path", &ok);
  a.edition = str_copy(target, "edition", &ok);
  a.opt_level = str_copy(profile, "opt_level", &ok);
  if (!ok ||
      strings_copy(cJSON_GetObjectItemCaseSensitive(target, "crate_types"),
                   &a.crate_types) != 0 ||
      strings_copy(cJSON_GetObjectItemCaseSensitive(msg, "features"),
                   &a.features) != 0)
    goto nomem;
  a.kind = rimport__strdup(cJSON_IsArray(kinds) &&
                                   cJSON_IsString(cJSON_GetArrayItem(kinds, 0))
                               ? cJSON_GetArrayItem(kinds, 0)->valuestring
                               : "");
  if (a.kind == NULL)
    goto nomem;
  if (cJSON_IsArray(files) && cJSON_GetArraySize(files) > 0) {
    a.filenames =
        rimport__calloc((size_t)cJSON_GetArraySize(files), sizeof(char *));
    if (a.filenames == NULL)
      goto nomem;
    cJSON_ArrayForEach(f, files) {
      if (!cJSON_IsString(f))
        continue;
      if ((a.filenames[a.filename_count] = rimport__strdup(f->valuestring)) ==
          NULL)
        goto nomem;
      a.filename_count++;
    }
  }
  if ((rc = rimport__grow((void **)&r->artifacts, &r->artifact_cap,
                          r->artifact_count + 1, sizeof(*r->artifacts))) != 0) {
    artifact_dispose(&a);
    return rc;
  }
  r->artifacts[r->artifact_count++] = a;
  return 0;
nomem:
  artifact_dispose(&a);
  return rimport__error_nomem();
}

/* A `build-script-executed` message; one without a package id is
 * ignored, and so is an `env` pair that is not two strings with a name
 * that can be an environment variable's. */
static int add_script(rimport__cargo_report *r, const cJSON *msg) {
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(msg, "env"), *pair,
              *pairs;
  rimport__cargo_build_script b;
  int rc, n, ok = 1;
  memset(&b, 0, sizeof(b));
  if (rimport__json_str(msg, "package_id") == NULL)
    return 0;
  b.package_id = str_copy(msg, "package_id", &ok);
  b.out_dir = str_copy(msg, "out_dir", &ok);
  if (!ok ||
      strings_copy(cJSON_GetObjectItemCaseSensitive(msg, "cfgs"), &b.cfgs) != 0)
    goto nomem;
  n = cJSON_IsArray(env) ? cJSON_GetArraySize(env) : 0;
  pairs = n > 0 ? env : NULL;
  if (n > 0 && (b.env.v = rimport__calloc((size_t)n, sizeof(char *))) == NULL)
    goto nomem;
  cJSON_ArrayForEach(pair, pairs) {
    const cJSON *k = cJSON_GetArrayItem(pair, 0),
                *v = cJSON_GetArrayItem(pair, 1);
    rimport_buf e = RIMPORT_BUF_INIT;
    if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 ||
        !cJSON_IsString(k) || !cJSON_IsString(v) || k->valuestring[0] == '\0' ||
        strchr(k->valuestring, '=') != NULL || (size_t)n == b.env.count)
      continue;
    if (rimport__buf_printf(&e, "%s=%s", k->valuestring, v->valuestring) != 0 ||
        (b.env.v[b.env.count] = rimport__buf_detach(&e)) == NULL) {
      rimport_buf_dispose(&e);
      goto nomem;
    }
    b.env.count++;
  }
  if ((rc = rimport__grow((void **)&r->scripts, &r->script_cap,
                          r->script_count + 1, sizeof(*r->scripts))) != 0) {
    script_dispose(&b);
    return rc;
  }
  r->scripts[r->script_count++] = b;
  return 0;
nomem:
  script_dispose(&b);
  return rimport__error_nomem();
}

static int handle_line(rimport__cargo_report *r, const char *line, size_t len) {
  cJSON *msg;
  const char *reason;
  int rc = 0;
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
    len--;
  if (len == 0)
    return 0;
  msg = line[0] == '{' ? cJSON_ParseWithLength(line, len) : NULL;
  if (msg == NULL) {
    /* Not a JSON message (a build script's print, or garbage): keep the
     * first of them for error messages, ignore the rest. */
    if (r->stdout_noise.size < NOISE_MAX) {
      size_t room = NOISE_MAX - r->stdout_noise.size;
      rc = rimport__buf_put(&r->stdout_noise, line, len < room ? len : room);
      if (rc == 0)
        rc = rimport__buf_putc(&r->stdout_noise, '\n');
    }
    return rc;
  }
  reason = rimport__json_str(msg, "reason");
  if (reason == NULL) {
    /* JSON without a reason: not cargo's; ignore. */
  } else if (strcmp(reason, "compiler-artifact") == 0) {
    rc = add_artifact(r, msg);
  } else if (strcmp(reason, "build-script-executed") == 0) {
    rc = add_script(r, msg);
  } else if (strcmp(reason, "compiler-message") == 0) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(msg, "message");
    const char *level = rimport__json_str(m, "level"),
               *rendered = rimport__json_str(m, "rendered");
    if (level && rendered &&
        (strcmp(level, "error") == 0 || strncmp(level, "error:", 6) == 0)) {
      r->error_count++;
      rc = rimport__buf_puts(&r->diagnostics, rendered);
      if (rc == 0 && (r->diagnostics.size == 0 ||
                      r->diagnostics.ptr[r->diagnostics.size - 1] != '\n'))
        rc = rimport__buf_putc(&r->diagnostics, '\n');
    }
  } else if (strcmp(reason, "build-finished") == 0) {
    r->finished = 1;
    r->success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "success"));
  }
  cJSON_Delete(msg);
  return rc;
}

int rimport__cargo_feed_stdout(rimport__cargo_report *r, const char *data,
                               size_t len) {
  while (len > 0) {
    const char *nl = memchr(data, '\n', len);
    size_t n = nl ? (size_t)(nl - data) : len;
    int rc;
    if (r->overflow) {
      /* Dropping the rest of an over-long line. */
    } else if (r->line.size + n > LINE_MAX_BYTES) {
      r->overflow = 1;
      rimport__buf_clear(&r->line);
    } else if ((rc = rimport__buf_put(&r->line, data, n)) != 0) {
      return rc;
    }
    if (nl == NULL)
      return 0;
    if (!r->overflow && (rc = handle_line(r, r->line.ptr ? r->line.ptr : "",
                                          r->line.size)) != 0)
      return rc;
    r->overflow = 0;
    rimport__buf_clear(&r->line);
    data += n + 1;
    len -= n + 1;
  }
  return 0;
}

/* `    Building [=====>     ] 12/87: serde, tokio(build), …` */
static void handle_segment(rimport__cargo_report *r, const char *s, size_t len,
                           const char *plugin, rimport_progress_cb progress,
                           void *payload) {
  const char *end = s + len, *p = s, *close;
  unsigned long long done, total;
  char *stop;
  char unit[128], message[256];
  size_t ulen = 0;
  rimport_progress pr;
  while (p < end && *p == ' ')
    p++;
  if ((size_t)(end - p) < 10 || memcmp(p, "Building [", 10) != 0)
    return;
  close = memchr(p, ']', (size_t)(end - p));
  if (close == NULL || close + 2 >= end)
    return;
  errno = 0;
  done = strtoull(close + 1, &stop, 10);
  if (*stop != '/')
    return;
  total = strtoull(stop + 1, &stop, 10);
  /* A count past what progress reports hold (unsigned int) is not
   * cargo's: cut down, "3/4294967296" would report 3 of 0. (unsigned
   * long long: a long is 32 bits on Windows.) */
  if (errno == ERANGE || total == 0 || done > total || total > UINT_MAX)
    return;
  r->done = (unsigned)done;
  r->total = (unsigned)total;
  if (stop < end && *stop == ':') {
    stop++;
    while (stop < end && *stop == ' ')
      stop++;
    /* The name ends at a NUL too: a unit of "" (a NUL byte in the
     * segment) is no unit. */
    while (stop + ulen < end && ulen + 1 < sizeof(unit) && stop[ulen] != ',' &&
           stop[ulen] != '(' && stop[ulen] != '.' && stop[ulen] != ' ' &&
           stop[ulen] != '\0')
      ulen++;
  }
  memcpy(unit, stop, ulen);
  unit[ulen] = '\0';
  if (progress == NULL)
    return;
  snprintf(message, sizeof(message), "building %s: %u/%u%s%s", plugin, r->done,
           r->total, ulen ? ", compiling " : "", unit);
  memset(&pr, 0, sizeof(pr));
  pr.phase = RIMPORT_PROGRESS_BUILD;
  pr.plugin = plugin;
  pr.unit = ulen ? unit : NULL;
  pr.done = r->done;
  pr.total = r->total;
  pr.message = message;
  progress(&pr, payload);
}

int rimport__cargo_feed_stderr(rimport__cargo_report *r, const char *data,
                               size_t len, const char *plugin,
                               rimport_progress_cb progress, void *payload) {
  size_t i;
  int rc;
  /* Keep the tail of stderr for error messages (progress bars dropped). */
  for (i = 0; i < len; i++) {
    char c = data[i];
    if (c == '\r' || c == '\n') {
      if (r->segment.size > 0) {
        handle_segment(r, r->segment.ptr, r->segment.size, plugin, progress,
                       payload);
        if (strstr(r->segment.ptr, "Building [") == NULL) {
          if ((rc = rimport__buf_put(&r->stderr_tail, r->segment.ptr,
                                     r->segment.size)) != 0 ||
              (rc = rimport__buf_putc(&r->stderr_tail, '\n')) != 0)
            return rc;
        }
      }
      rimport__buf_clear(&r->segment);
      continue;
    }
    if (r->segment.size < 64 * 1024 &&
        (rc = rimport__buf_putc(&r->segment, c)) != 0)
      return rc;
  }
  if (r->stderr_tail.size > 2 * STDERR_TAIL_MAX) {
    size_t cut = r->stderr_tail.size - STDERR_TAIL_MAX;
    memmove(r->stderr_tail.ptr, r->stderr_tail.ptr + cut, STDERR_TAIL_MAX);
    r->stderr_tail.size = STDERR_TAIL_MAX;
    r->stderr_tail.ptr[r->stderr_tail.size] = '\0';
  }
  return 0;
}

int rimport__cargo_feed_end(rimport__cargo_report *r) {
  int rc = 0;
  if (r->line.size > 0 && !r->overflow)
    rc = handle_line(r, r->line.ptr, r->line.size);
  rimport__buf_clear(&r->line);
  if (rc == 0 && r->segment.size > 0 &&
      strstr(r->segment.ptr, "Building [") == NULL)
    rc = rimport__buf_put(&r->stderr_tail, r->segment.ptr, r->segment.size);
  rimport__buf_clear(&r->segment);
  return rc;
}

/* --- command line --------------------------------------------------------- */

int rimport__cargo_find(const rimport_session_options *opts, rimport_buf *out) {
  rimport__buf_clear(out);
  if (opts->cargo_path != NULL && opts->cargo_path[0] != '\0') {
    const char *p = opts->cargo_path;
    int has_dir = 0;
    for (; *p; p++)
      has_dir |= rimport__is_dir_sep(*p);
    if (has_dir)
      return rimport__buf_puts(out, opts->cargo_path);
    if (rimport__find_executable(opts->cargo_path, out) == 0)
      return 0;
    return rimport__error_set(RIMPORT_ETOOLCHAIN,
                              "cargo \"%s\" was not found on PATH; give its "
                              "full path in the cargo_path option",
                              opts->cargo_path);
  }
  if (rimport__env_get("CARGO", out) == 0 && out->size > 0)
    return 0;
  if (rimport__find_executable("cargo", out) == 0)
    return 0;
  return rimport__error_set(
      RIMPORT_ETOOLCHAIN,
      "cargo was not found (looked at $CARGO and PATH); install Rust with "
      "rustup (https://rustup.rs) or `apt-get install cargo`, or set CARGO / "
      "the cargo_path option");
}

int rimport__cargo_common_args(rimport__argv *a,
                               const rimport_session_options *opts) {
  rimport_buf esc = RIMPORT_BUF_INIT;
  switch (opts->source_kind) {
  case RIMPORT_SOURCE_DIRECTORY:
  case RIMPORT_SOURCE_REGISTRY:
    if ((a->rc = rimport__toml_string(&esc, opts->source)) != 0)
      break;
    rimport__argv_addv(a, "--config",
                       "source.crates-io.replace-with=\"rimport-source\"",
                       "--config", NULL);
    rimport__argv_addf(a, "source.rimport-source.%s=%s",
                       opts->source_kind == RIMPORT_SOURCE_DIRECTORY
                           ? "directory"
                           : "registry",
                       esc.ptr);
    break;
  case RIMPORT_SOURCE_CONFIG:
    rimport__argv_addv(a, "--config", opts->source, NULL);
    break;
  default:
    break;
  }
  if (opts->offline)
    rimport__argv_add(a, "--offline");
  rimport_buf_dispose(&esc);
  return a->rc;
}

int rimport__cargo_env(rimport__argv *a, const char *rustc,
                       const char *wrapper) {
  /* \x1f separates CARGO_ENCODED_RUSTFLAGS; one flag here. It replaces
   * RUSTFLAGS and build.rustflags: every unit, dependencies included, links
   * std dynamically (DESIGN.md fact 2). */
  rimport__argv_addv(a, "CARGO_ENCODED_RUSTFLAGS=-Cprefer-dynamic", "RUSTFLAGS",
                     "CARGO_TERM_PROGRESS_WHEN=always",
                     "CARGO_TERM_PROGRESS_WIDTH=200", "CARGO_TERM_COLOR=never",
                     "CARGO_BUILD_TARGET", "CARGO_INCREMENTAL=0", NULL);
  if (rustc != NULL)
    rimport__argv_addf(a, "RUSTC=%s", rustc);
  /* RUSTC_WRAPPER (sccache…) is not part of any key: it must not change
   * the bytes. Inherited as cargo would unless the option says. */
  if (wrapper != NULL && wrapper[0] == '\0')
    rimport__argv_addv(a, "RUSTC_WRAPPER", "CARGO_BUILD_RUSTC_WRAPPER", NULL);
  else if (wrapper != NULL)
    rimport__argv_addf(a, "RUSTC_WRAPPER=%s", wrapper);
  return a->rc;
}

const char *rimport__cargo_source_text(const rimport_session_options *opts,
                                       rimport_buf *tmp) {
  rimport__buf_clear(tmp);
  switch (opts->source_kind) {
  case RIMPORT_SOURCE_DIRECTORY:
    rimport__buf_printf(tmp, "the directory source %s", opts->source);
    break;
  case RIMPORT_SOURCE_REGISTRY:
    rimport__buf_printf(tmp, "the registry %s", opts->source);
    break;
  case RIMPORT_SOURCE_CONFIG:
    rimport__buf_printf(tmp, "the sources of the cargo config %s",
                        opts->source);
    break;
  default:
    rimport__buf_puts(tmp, "cargo's configured registry (crates.io unless "
                           "your cargo config replaces it)");
  }
  return tmp->ptr ? tmp->ptr : "";
}

/* The text after `marker` up to the end of its line, in `out`. */
static int line_after(const char *text, const char *marker, rimport_buf *out) {
  const char *p = text ? strstr(text, marker) : NULL, *e;
  if (p == NULL)
    return 0;
  p += strlen(marker);
  e = p + strcspn(p, "\r\n");
  rimport__buf_clear(out);
  rimport__buf_put(out, p, (size_t)(e - p));
  return 1;
}

/* The line of `text` that holds `words`, without the indent and the
 * "= note: " that rustc puts before a linker's output, in `out`. */
static void line_holding(const char *text, const char *words,
                         rimport_buf *out) {
  const char *p = strstr(text, words), *b = p, *e;
  rimport__buf_clear(out);
  if (p == NULL)
    return;
  while (b > text && b[-1] != '\n')
    b--;
  b += strspn(b, " \t|");
  if (strncmp(b, "= note: ", 8) == 0)
    b += 8;
  e = p + strcspn(p, "\r\n");
  rimport__buf_put(out, b, (size_t)(e - b));
}

/* The linker's words for a DLL over the Windows export limit (65535
 * symbols; DESIGN.md fact 10) in `text`: GNU ld, MSVC's link, lld. */
static const char *export_limit(const char *text) {
  static const char *const words[] = {"export ordinal too large", "LNK1189",
                                      "too many exported symbols"};
  size_t i;
  for (i = 0; text != NULL && i < RIMPORT__ARRAY_SIZE(words); i++)
    if (strstr(text, words[i]) != NULL)
      return words[i];
  return NULL;
}

/* The words of a write that found the disk full in cargo's or rustc's
 * output: the OS's message (Linux, macOS; Windows) or Rust's error
 * number for it (ENOSPC 28 on Linux; ERROR_DISK_FULL 112, ERROR_HANDLE_
 * DISK_FULL 39 on Windows). */
static const char *disk_full(const char *text) {
  static const char *const words[] = {
      "No space left on device", "There is not enough space on the disk",
      "(os error 28)", "(os error 112)", "(os error 39)"};
  size_t i;
  for (i = 0; text != NULL && i < RIMPORT__ARRAY_SIZE(words); i++)
    if (strstr(text, words[i]) != NULL)
      return words[i];
  return NULL;
}

/* Bytes free to this user on the disk of dir; -1 when unknown. */
static long long free_bytes(const char *dir) {
  uint64_t n;
  if (dir == NULL || rimport__fs_free_bytes(dir, &n) != 0) {
    rimport_error_clear();
    return -1;
  }
  return n > (uint64_t)0x7fffffffffffffffLL ? 0x7fffffffffffffffLL
                                            : (long long)n;
}

/* Below this, a failed build is taken to have run out of space: cargo
 * and rustc need far more, and a linker that maps its output file dies
 * of SIGBUS on a full disk (tmpfs) without saying so. */
#define DISK_NEARLY_FULL (1024 * 1024)

int rimport__cargo_error(const rimport__cargo_report *r,
                         const rimport_session_options *opts, const char *what,
                         const char *crate, int64_t exit_status,
                         int term_signal) {
  rimport_buf src = RIMPORT_BUF_INIT, cand = RIMPORT_BUF_INIT,
              req = RIMPORT_BUF_INIT;
  const char *err = r->stderr_tail.ptr ? r->stderr_tail.ptr : "";
  long long free = -1;
  int rc;
  rimport__cargo_source_text(opts, &src);
  if (strstr(err, "no matching package named") != NULL ||
      strstr(err, "no matching package found") != NULL) {
    rc = rimport__error_set(
        RIMPORT_ENOTFOUND,
        "%s: the crate `%s` was not found in %s; check the crate's name%s. "
        "cargo said:\n%s",
        what, crate, src.ptr,
        opts->offline ? " (offline: only crates already there can be used)"
                      : ", or give `package=\"…\"` if it is published under "
                        "another name",
        err);
  } else if (line_after(
                 err, "candidate versions found which didn't match: ", &cand) ||
             strstr(err, "failed to select a version for the requirement") !=
                 NULL) {
    line_after(err, "failed to select a version for the requirement ", &req);
    rc = rimport__error_set(
        RIMPORT_ENOTFOUND,
        "%s: no version of `%s` in %s matches %s; versions there: %s. Change "
        "version=\"…\" to one of them",
        what, crate, src.ptr, req.size ? req.ptr : "the requirement",
        cand.size ? cand.ptr : "(cargo listed none)");
  } else if (r->error_count > 0 &&
             strstr(r->diagnostics.ptr, "unresolved import `") != NULL) {
    /* An imported item that the crate does not have: say so in the
     * user's terms, with rustc's near match when it has one. */
    const char *p = strstr(r->diagnostics.ptr, "unresolved import `") + 19;
    const char *e = strchr(p, '`');
    static const char similar[] = "a similar name exists in the module: `";
    const char *sug = strstr(r->diagnostics.ptr, similar), *last = p;
    rimport_buf near = RIMPORT_BUF_INIT;
    if (sug != NULL && e != NULL) {
      /* `a::b::Nmae` and rustc's `Name` (every release since 1.63 says
       * it so): `a::b::Name`. */
      const char *q;
      for (q = p; q + 1 < e; q++)
        if (q[0] == ':' && q[1] == ':')
          last = q + 2;
      sug += sizeof(similar) - 1;
      rimport__buf_put(&near, p, (size_t)(last - p));
      rimport__buf_put(&near, sug, strcspn(sug, "`\n"));
    } else if ((sug = strstr(r->diagnostics.ptr, "+     pub use ::")) != NULL) {
      sug += 16;
      rimport__buf_put(&near, sug, strcspn(sug, "; \n"));
    }
    rc = rimport__error_set(
        RIMPORT_ENOTFOUND,
        "%s: `%.*s` does not exist in the crate%s%s%s; check the item's name "
        "and its module (`from crate.module rimport Item`). rustc said:\n%s",
        what, e ? (int)(e - p) : 0, p, near.size ? " (did you mean `" : "",
        near.size ? near.ptr : "", near.size ? "`?)" : "", r->diagnostics.ptr);
    rimport_buf_dispose(&near);
  } else if (export_limit(r->diagnostics.ptr) != NULL ||
             export_limit(err) != NULL) {
    const char *text =
        export_limit(r->diagnostics.ptr) ? r->diagnostics.ptr : err;
    rimport_buf said = RIMPORT_BUF_INIT;
    line_holding(text, export_limit(text), &said);
    rc = rimport__error_set(
        RIMPORT_EBUILD,
        "%s: the plugin DLL for `%s` would export more symbols than a Windows "
        "DLL can (65535): a Rust dylib exports every public function and "
        "static of every crate it links statically, whatever the cell "
        "imports, and generic code compiled at a low opt-level multiplies "
        "that. Keep opt-level at 2 or more (rimport builds every unit at 3; "
        "an override in a cargo profile of yours may lower it), and give a "
        "large dependency of `%s` a DLL of its own: import it in a cell "
        "before the one that imports `%s` (`rimport <dependency>`); that "
        "plugin then links it from there instead of exporting it again. A "
        "crate over the limit by itself cannot be loaded as a Windows DLL. "
        "The linker said: %s",
        what, crate, crate, crate, said.ptr ? said.ptr : "");
    rimport_buf_dispose(&said);
  } else if (disk_full(r->diagnostics.ptr) != NULL || disk_full(err) != NULL ||
             ((free = free_bytes(opts->cache_dir)) >= 0 &&
              free < DISK_NEARLY_FULL)) {
    const char *text = disk_full(r->diagnostics.ptr) ? r->diagnostics.ptr : err;
    rimport_buf said = RIMPORT_BUF_INIT, tmp = RIMPORT_BUF_INIT;
    if (disk_full(text) != NULL) {
      rimport__buf_puts(&said, "cargo said: ");
      line_holding(text, disk_full(text), &tmp);
      rimport__buf_puts(&said, tmp.ptr ? tmp.ptr : "");
      rimport_buf_dispose(&tmp);
    } else {
      rimport__buf_printf(&said,
                          "Only %lld bytes are free there (a linker that "
                          "maps its output file dies of SIGBUS on a full "
                          "disk without saying so); %s:\n%s",
                          free,
                          r->diagnostics.size ? "rustc said"
                                              : "stderr "
                                                "ended with",
                          r->diagnostics.size ? r->diagnostics.ptr : err);
    }
    rc = rimport__error_set(
        RIMPORT_EIO,
        "%s: the disk ran out of space (ENOSPC) while cargo built `%s` in "
        "the cache directory \"%s\" (its _target and _work directories); "
        "free space on that disk (`rimport cache gc` removes what no process "
        "uses, `rimport cache clear` all of rimport's files) or set "
        "RIMPORT_CACHE_DIR (the cache_dir option) to a directory on a disk "
        "with room, then build again. %s",
        what, crate, opts->cache_dir ? opts->cache_dir : "(default)",
        said.ptr ? said.ptr : "");
    rimport_buf_dispose(&said);
  } else if (r->error_count > 0) {
    rc = rimport__error_set(RIMPORT_EBUILD,
                            "%s: the crate failed to compile (%zu error%s); "
                            "rustc said:\n%s",
                            what, r->error_count,
                            r->error_count == 1 ? "" : "s", r->diagnostics.ptr);
  } else if (term_signal != 0) {
    rc = rimport__error_set(RIMPORT_ECHILD,
                            "%s: cargo was killed by signal %d; stderr "
                            "ended with:\n%s",
                            what, term_signal, err);
  } else {
    rc = rimport__error_set(RIMPORT_ECHILD,
                            "%s: cargo failed (exit status %lld)%s%s; stderr "
                            "ended with:\n%s%s%s",
                            what, (long long)exit_status,
                            r->finished ? "" : " without finishing the build",
                            r->overflow ? ", after an over-long output line"
                                        : "",
                            err, r->stdout_noise.size ? "\nstdout had:\n" : "",
                            r->stdout_noise.size ? r->stdout_noise.ptr : "");
  }
  rimport_buf_dispose(&src);
  rimport_buf_dispose(&cand);
  rimport_buf_dispose(&req);
  return rc;
}
