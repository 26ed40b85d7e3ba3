/* The dynamic path against its two neighbours, side by side in one run
 * (issue 10, benchmark (a)), with reqwest's StatusCode from Debian's
 * crates:
 *
 *   direct   the thunk `http::status::StatusCode::as_u16` called from C
 *            through the pointer the plugin published as a VM global (what
 *            a host's interpreter does once it has the pointer);
 *   item     rimport_call_item with the item looked up once (libffi, the
 *            cif prepared once, argument checks, the value converted);
 *   path     rimport_call by bound name ("StatusCode::as_u16"): the lookup
 *            on every call too;
 *   cell     rimport_cell_compile + rimport_cell_run of a cell that makes
 *            the same call (each cell's text new to the cache, so rustc
 *            compiles every one).
 *
 * The call loops alternate (direct, item, path) x ROUNDS so that frequency
 * changes and noise fall on all three. Targets: item - direct <= 1 us per
 * call; cell / item >= 10,000x.
 *
 * Usage: rimport_dyncall_bench <cache-dir> <crate-source-dir> [calls]
 * [cells] (the source is a cargo directory source, e.g. Debian's
 * /usr/share/cargo/registry; the plugin is built on the first run). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kayton_api.h"
#include "rimport/build.h"
#include "rimport/call.h"
#include "rimport/common.h"
#include "rimport/parse.h"
#include "rimport/plan.h"
#include "rimport/run.h"
#include "rimport/session.h"

#define ROUNDS 5

typedef int32_t (*as_u16_thunk)(KaytonContext *, KaytonValue *, HKayRef);

static double now(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what) {
  const rimport_error *e = rimport_error_last();
  fprintf(stderr, "dyncall_bench: %s failed: %s\n", what,
          e && e->message ? e->message : "(no message)");
  return 1;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  static const char cell[] = "rimport reqwest(version=\"0.11\", "
                             "features=[\"blocking\"])\n"
                             "from reqwest.blocking rimport Client\n"
                             "from reqwest rimport StatusCode\n";
  rimport_session_options so = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_session *s = NULL;
  rimport_imports *imps = NULL;
  rimport_cell_plan *plan = NULL;
  rimport_build_result *built = NULL;
  const rimport_api_item *item = NULL;
  KaytonContext *ctx;
  KaytonKind thunk_kind = 0;
  void *ptr = NULL;
  as_u16_thunk direct;
  rimport_value code, v;
  KaytonValue kv;
  long calls = argc > 3 ? atol(argv[3]) : 1000000;
  int cells = argc > 4 ? atoi(argv[4]) : 5, r, k;
  double t, td = 0, ti = 0, tp = 0, *cell_s;
  volatile int64_t sink = 0;
  long i;
  if (argc < 3 || calls <= 0 || cells <= 0 || cells > 1000) {
    fprintf(stderr,
            "usage: %s <cache-dir> <crate-source-dir> [calls] "
            "[cells]\n",
            argv[0]);
    return 2;
  }
  so.cache_dir = argv[1];
  so.source_kind = RIMPORT_SOURCE_DIRECTORY;
  so.source = argv[2];
  so.offline = 1;
  if (rimport_session_open(&s, &so) != 0)
    return die("opening the session");
  if (rimport_parse(cell, strlen(cell), &imps) != 0 ||
      rimport_plan(s, rimport_imports_array(imps), rimport_imports_count(imps),
                   NULL, &plan) != 0)
    return die("planning the reqwest cell");
  if (rimport_build(s, plan, &built) != 0)
    return die("building reqwest's plugin");
  if (rimport_load(s, built) != 0 || rimport_register(s) != 0)
    return die("loading reqwest's plugin");
  ctx = rimport_session_context(s);
  if (ctx->api->register_kind(ctx, "kayton.thunk", 12, NULL, &thunk_kind) !=
          KAYTON_OK ||
      ctx->api->get_global_ptr(ctx, "http::status::StatusCode::as_u16",
                               strlen("http::status::StatusCode::as_u16"),
                               thunk_kind, &ptr) != KAYTON_OK ||
      ptr == NULL) {
    fprintf(stderr, "dyncall_bench: the plugin published no thunk "
                    "http::status::StatusCode::as_u16\n");
    return 1;
  }
  *(void **)&direct = ptr;
  v.tag = RIMPORT_VALUE_I64;
  v.as.i64 = 404;
  if (rimport_call(s, "StatusCode::from_u16", &v, 1, &code) != 0)
    return die("StatusCode::from_u16(404)");
  if (rimport_call_lookup(s, "StatusCode::as_u16", &item) != 0)
    return die("looking up StatusCode::as_u16");
  /* one of each first: all three give 404 */
  if (direct(ctx, &kv, code.as.handle) != 0 || kv.i != 404 ||
      rimport_call_item(s, item, &code, 1, &v) != 0 || v.as.i64 != 404 ||
      rimport_call(s, "StatusCode::as_u16", &code, 1, &v) != 0 ||
      v.as.i64 != 404)
    return die("StatusCode::as_u16 of the handle");
  for (r = 0; r < ROUNDS; r++) {
    t = now();
    for (i = 0; i < calls; i++) {
      direct(ctx, &kv, code.as.handle);
      sink += kv.i;
    }
    td += now() - t;
    t = now();
    for (i = 0; i < calls; i++) {
      rimport_call_item(s, item, &code, 1, &v);
      sink += v.as.i64;
    }
    ti += now() - t;
    t = now();
    for (i = 0; i < calls; i++) {
      rimport_call(s, "StatusCode::as_u16", &code, 1, &v);
      sink += v.as.i64;
    }
    tp += now() - t;
  }
  if (sink != (int64_t)404 * 3 * ROUNDS * calls) {
    fprintf(stderr, "dyncall_bench: a call gave another value than 404\n");
    return 1;
  }
  td /= (double)ROUNDS * (double)calls;
  ti /= (double)ROUNDS * (double)calls;
  tp /= (double)ROUNDS * (double)calls;
  /* cells making the same call, each new to the cache */
  cell_s = calloc((size_t)cells, sizeof(double));
  if (cell_s == NULL)
    return 1;
  for (k = 0; k < cells; k++) {
    char text[256];
    rimport_cell *c = NULL;
    rimport_buf out = RIMPORT_BUF_INIT;
    snprintf(text, sizeof(text),
             "let c = StatusCode::from_u16(404).unwrap(); // %ld-%d\n"
             "kprintln!(\"{}\", c.as_u16());\n",
             (long)time(NULL), k);
    t = now();
    if (rimport_cell_compile(s, text, strlen(text), k == 0 ? plan : NULL, NULL,
                             &c) != 0 ||
        rimport_cell_run(s, c, &out) != 0)
      return die("the cell");
    cell_s[k] = now() - t;
    if (rimport_cell_reused(c) || strstr(out.ptr ? out.ptr : "", "404") == 0) {
      fprintf(stderr, "dyncall_bench: the cell was %s and printed %s\n",
              rimport_cell_reused(c) ? "reused" : "compiled",
              out.ptr ? out.ptr : "nothing");
      return 1;
    }
    rimport_buf_dispose(&out);
    rimport_cell_free(c);
  }
  qsort(cell_s, (size_t)cells, sizeof(double), cmp_double);
  printf("calls of StatusCode::as_u16, %d rounds of %ld each, alternated:\n",
         ROUNDS, calls);
  printf("  direct C call of the thunk   %8.1f ns/call\n", td * 1e9);
  printf("  rimport_call_item (libffi)   %8.1f ns/call  (+%.1f ns over "
         "direct; target <= +1000 ns)\n",
         ti * 1e9, (ti - td) * 1e9);
  printf("  rimport_call by name         %8.1f ns/call  (+%.1f ns over "
         "direct)\n",
         tp * 1e9, (tp - td) * 1e9);
  printf("  a cell making the call       %8.1f ms (median of %d: compile + "
         "load + run)\n",
         cell_s[cells / 2] * 1e3, cells);
  printf("cell / rimport_call_item = %.0fx, cell / rimport_call = %.0fx "
         "(target >= 10000x)\n",
         cell_s[cells / 2] / ti, cell_s[cells / 2] / tp);
  free(cell_s);
  rimport_value_dispose(&code);
  rimport_build_result_free(built);
  rimport_cell_plan_free(plan);
  rimport_imports_free(imps);
  rimport_session_close(s);
  return 0;
}
