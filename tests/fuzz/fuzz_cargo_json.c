/* libFuzzer target for the reader of cargo's output (src/build/cargo.c):
 * rimport__cargo_feed_stdout (the `--message-format=json` stream),
 * rimport__cargo_feed_stderr (the progress segments) and
 * rimport__cargo_feed_end, as the libuv pipes hand them bytes: in chunks
 * of any size, split anywhere (inside a line, a UTF-8 sequence, a "\r\n").
 *
 * Input: the first byte seeds the chunk sizes; the rest is the stream,
 * fed to stdout and to stderr alike. The same stream is read three ways:
 * in one chunk, one byte at a time, and in the seeded chunks; the three
 * reports must be the same (the reader keeps no state that depends on
 * where a chunk ended). Every progress report must be sound (done <=
 * total, a message naming the plugin). Then the report is turned into an
 * error (rimport__cargo_error), which must give an error code with a
 * message. Never a read outside the input, never a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rimport.h"
#include "build/cargo.h"
#include "common/common.h"

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

#define PLUGIN "kayton_rplugin__demo"

static void on_progress(const rimport_progress *p, void *payload) {
  unsigned int *calls = payload;
  CHECK(p->phase == RIMPORT_PROGRESS_BUILD);
  CHECK(p->total > 0 && p->done <= p->total);
  CHECK(p->message != NULL && strstr(p->message, PLUGIN) != NULL);
  CHECK(p->plugin != NULL && strcmp(p->plugin, PLUGIN) == 0);
  CHECK(p->unit == NULL || p->unit[0] != '\0');
  (*calls)++;
}

/* A small deterministic generator for the chunk sizes. */
static unsigned int next_rand(unsigned int *s) {
  *s = *s * 1103515245u + 12345u;
  return (*s >> 16) & 0x7fff;
}

typedef enum { WHOLE, BYTES, SEEDED } split_mode;

/* Feeds text[0..len) to r in chunks as `mode` says; *calls counts the
 * progress reports. Returns the first error, or 0. */
static int feed(rimport__cargo_report *r, const char *text, size_t len,
                split_mode mode, unsigned int seed, unsigned int *calls) {
  size_t at = 0;
  char *one = malloc(1);
  int rc = 0;
  if (one == NULL)
    return RIMPORT_ENOMEM;
  while (at < len && rc == 0) {
    size_t n = len - at;
    char *chunk;
    if (mode == BYTES)
      n = 1;
    else if (mode == SEEDED) {
      unsigned int k = next_rand(&seed);
      /* mostly small chunks, sometimes large ones */
      size_t want = (k & 3) == 0 ? (size_t)(k >> 2) : (size_t)(k & 63) + 1;
      if (want == 0)
        want = 1;
      if (want < n)
        n = want;
    }
    /* Each chunk in an allocation of its size, as a pipe's read buffer
     * is: a read past its end is caught (one byte: one buffer, reused). */
    if ((chunk = n == 1 ? one : malloc(n)) == NULL) {
      rc = RIMPORT_ENOMEM;
      break;
    }
    memcpy(chunk, text + at, n);
    rc = rimport__cargo_feed_stdout(r, chunk, n);
    if (rc == 0)
      rc = rimport__cargo_feed_stderr(r, chunk, n, PLUGIN, on_progress, calls);
    if (chunk != one)
      free(chunk);
    at += n;
  }
  free(one);
  return rc != 0 ? rc : rimport__cargo_feed_end(r);
}

static int same_buf(const rimport_buf *a, const rimport_buf *b) {
  return a->size == b->size &&
         (a->size == 0 || memcmp(a->ptr, b->ptr, a->size) == 0);
}

static int same_strings(const char *a, const char *b) {
  return (a == NULL && b == NULL) ||
         (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The two reports say the same. */
static void check_same(const rimport__cargo_report *a,
                       const rimport__cargo_report *b) {
  size_t i, j;
  CHECK(a->artifact_count == b->artifact_count);
  CHECK(a->script_count == b->script_count);
  CHECK(a->error_count == b->error_count);
  CHECK(a->finished == b->finished && a->success == b->success);
  CHECK(a->done == b->done && a->total == b->total);
  CHECK(a->overflow == b->overflow);
  CHECK(same_buf(&a->diagnostics, &b->diagnostics));
  CHECK(same_buf(&a->stdout_noise, &b->stdout_noise));
  for (i = 0; i < a->artifact_count; i++) {
    const rimport__cargo_artifact *x = &a->artifacts[i], *y = &b->artifacts[i];
    CHECK(x->kind != NULL && y->kind != NULL && strcmp(x->kind, y->kind) == 0);
    CHECK(same_strings(x->package_id, y->package_id));
    CHECK(same_strings(x->target_name, y->target_name));
    CHECK(same_strings(x->src_path, y->src_path));
    CHECK(same_strings(x->opt_level, y->opt_level));
    CHECK(x->fresh == y->fresh);
    CHECK(x->filename_count == y->filename_count);
    for (j = 0; j < x->filename_count; j++)
      CHECK(strcmp(x->filenames[j], y->filenames[j]) == 0);
    CHECK(x->crate_types.count == y->crate_types.count);
    CHECK(x->features.count == y->features.count);
  }
  for (i = 0; i < a->script_count; i++) {
    const rimport__cargo_build_script *x = &a->scripts[i], *y = &b->scripts[i];
    CHECK(x->package_id != NULL && strcmp(x->package_id, y->package_id) == 0);
    CHECK(same_strings(x->out_dir, y->out_dir));
    CHECK(x->cfgs.count == y->cfgs.count && x->env.count == y->env.count);
    for (j = 0; j < x->env.count; j++)
      CHECK(strchr(x->env.v[j], '=') != NULL && x->env.v[j][0] != '=');
  }
}

/* stderr's tail is cut back to 16 KiB whenever it passes 32 KiB, so
 * its length depends on the chunks; but each is the end of the stream's
 * lines: the shorter one ends the longer one. */
static void check_tails(const rimport__cargo_report *a,
                        const rimport__cargo_report *b) {
  const rimport_buf *s = &a->stderr_tail, *l = &b->stderr_tail;
  if (s->size > l->size) {
    const rimport_buf *t = s;
    s = l;
    l = t;
  }
  CHECK(s->size == 0 ||
        memcmp(l->ptr + (l->size - s->size), s->ptr, s->size) == 0);
}

/* The report as an error: a code and a message, whatever it holds. */
static void check_error(const rimport__cargo_report *r, int offline,
                        int term_signal) {
  rimport_session_options opts;
  const rimport_error *e;
  int rc;
  memset(&opts, 0, sizeof(opts));
  opts.offline = offline;
  opts.source_kind =
      offline ? RIMPORT_SOURCE_DIRECTORY : RIMPORT_SOURCE_DEFAULT;
  opts.source = offline ? "/usr/share/cargo/registry" : NULL;
  opts.cache_dir = (term_signal & 1) ? "/cache" : NULL;
  rc = rimport__cargo_error(r, &opts, "building the plugin for demo", "demo",
                            101, term_signal);
  e = rimport_error_last();
  CHECK(rc == RIMPORT_ENOTFOUND || rc == RIMPORT_EBUILD ||
        rc == RIMPORT_ECHILD || rc == RIMPORT_EIO || rc == RIMPORT_ENOMEM);
  CHECK(e->code == rc && e->message != NULL);
  CHECK(rc == RIMPORT_ENOMEM ||
        strstr(e->message, "building the plugin for demo") != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rimport__cargo_report whole, bytes, seeded;
  unsigned int calls[3] = {0, 0, 0};
  unsigned int seed;
  const char *text;
  int rc[3];
  if (size == 0)
    return 0;
  seed = data[0];
  text = (const char *)data + 1;
  size--;
  rimport__cargo_report_init(&whole);
  rimport__cargo_report_init(&bytes);
  rimport__cargo_report_init(&seeded);
  rc[0] = feed(&whole, text, size, WHOLE, seed, &calls[0]);
  rc[1] = feed(&bytes, text, size, BYTES, seed, &calls[1]);
  rc[2] = feed(&seeded, text, size, SEEDED, seed, &calls[2]);
  CHECK(rc[0] == 0 || rc[0] == RIMPORT_ENOMEM);
  if (rc[0] == 0 && rc[1] == 0 && rc[2] == 0) {
    check_same(&whole, &bytes);
    check_same(&whole, &seeded);
    CHECK(calls[0] == calls[1] && calls[1] == calls[2]);
    check_tails(&whole, &bytes);
    check_tails(&whole, &seeded);
    check_error(&whole, seed & 1, (seed & 2) ? 9 : 0);
  }
  rimport__cargo_report_dispose(&whole);
  rimport__cargo_report_dispose(&bytes);
  rimport__cargo_report_dispose(&seeded);
  rimport_error_clear();
  return 0;
}
