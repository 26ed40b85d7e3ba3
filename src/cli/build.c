/* rimport build <cell-file> [--json]: every cell's plugins, built or found
 * in the cache, with a progress bar on a terminal. */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cli.h"

typedef struct bar {
  int tty;
  int drawn;
} bar;

static void on_progress(const rimport_progress *p, void *payload) {
  bar *b = payload;
  char line[160];
  int width = 30, fill;
  if (p->phase == RIMPORT_PROGRESS_BUILD && p->total > 0) {
    if (!b->tty)
      return; /* a log gets the phase lines only */
    fill = (int)((unsigned long)width * p->done / p->total);
    snprintf(line, sizeof(line), "%s [%.*s%*s] %u/%u %s", p->plugin, fill,
             "==============================", width - fill, "", p->done,
             p->total, p->unit ? p->unit : "");
    fprintf(stderr, "\r%-100.100s", line);
    b->drawn = 1;
    return;
  }
  if (b->drawn) {
    fprintf(stderr, "\r%-100s\r", "");
    b->drawn = 0;
  }
  if (p->phase != RIMPORT_PROGRESS_BUILD)
    fprintf(stderr, "%s: %s\n", p->plugin ? p->plugin : "rimport", p->message);
}

static int build_cell(cli *c, rimport_session *s, const char *origin,
                      size_t index, const rimport_cell_plan *plan,
                      void *payload) {
  rimport_build_result *r = NULL;
  size_t i, n;
  (void)index;
  (void)payload;
  if (rimport_build(s, plan, &r) != 0)
    return cli_fail(c, "building");
  n = rimport_build_count(r);
  printf("%s: %zu plugin%s\n", origin, n, n == 1 ? "" : "s");
  for (i = 0; i < n; i++) {
    const rimport_built_plugin *p = &rimport_build_plugins(r)[i];
    if (p->from_cache)
      printf("  %s %s  key %s  cache hit\n    %s\n", p->crate, p->version,
             p->key, p->dylib);
    else
      printf("  %s %s  key %s  built in %.1f s\n    %s\n", p->crate, p->version,
             p->key, p->build_seconds, p->dylib);
  }
  rimport_build_free(r);
  return 0;
}

int cli_build(cli *c, int argc, char **argv) {
  const char *path;
  bar b;
  int status = cli_file_args(c, "build", argc, argv, &path);
  if (status != 0)
    return status;
  memset(&b, 0, sizeof(b));
  b.tty = uv_guess_handle(2) == UV_TTY;
  c->opts.progress = on_progress;
  c->opts.progress_payload = &b;
  return cli_each_cell(c, path, build_cell, NULL);
}
