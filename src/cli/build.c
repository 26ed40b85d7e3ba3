/* rimport build <cell-file> [--json]: every cell's plugins, built or found
 * in the cache, with a progress bar on a terminal; and rimport run. With
 * --json each cell is a line of JSON on stdout (json.c). */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli.h"
#include "common/common.h"

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

/* The code of the error just raised (EINTERNAL if none was recorded). */
static int last_code(void) {
  int code = rimport_error_last()->code;
  return code != 0 ? code : RIMPORT_EINTERNAL;
}

static int build_cell(cli *c, rimport_session *s, const cli_cell *cell,
                      const rimport_cell_plan *plan, void *payload) {
  rimport_build_result *r = NULL;
  size_t i, n;
  const char *origin = cell->origin;
  int status = 0;
  (void)payload;
  if (rimport_build(s, plan, &r) != 0) {
    int code = last_code();
    status = cli_fail(c, "building");
    if (c->json_lines)
      cli_json_cell(c, cell, NULL, NULL, code);
    return status;
  }
  if (c->json_lines) {
    status = cli_json_cell(c, cell, r, NULL, 0);
    rimport_build_result_free(r);
    return status;
  }
  n = rimport_build_result_count(r);
  printf("%s: %zu plugin%s\n", origin, n, n == 1 ? "" : "s");
  for (i = 0; i < n; i++) {
    const rimport_built_plugin *p = &rimport_build_result_array(r)[i];
    if (p->from_cache)
      printf("  %s %s  key %s  cache hit\n    %s\n", p->crate, p->version,
             p->key, p->dylib);
    else
      printf("  %s %s  key %s  built in %.1f s\n    %s\n", p->crate, p->version,
             p->key, p->build_seconds, p->dylib);
  }
  rimport_build_result_free(r);
  return 0;
}

int cli_build(cli *c, int argc, char **argv) {
  const char *path;
  bar b;
  int status = cli_file_args(c, "build", argc, argv, &path);
  if (status != 0)
    return status;
  c->json_lines = c->json;
  memset(&b, 0, sizeof(b));
  b.tty = uv_guess_handle(2) == UV_TTY;
  c->opts.progress = on_progress;
  c->opts.progress_payload = &b;
  return cli_each_cell(c, path, build_cell, NULL);
}

/* rimport run <cell-file>: every cell in order, in one session: its plugins
 * built (or found), loaded and registered, the cell compiled against them
 * and run; what it prints is printed. */
static void on_output(rimport_output_level level, const char *text, size_t len,
                      void *payload) {
  cli *c = payload;
  FILE *to = level == RIMPORT_OUTPUT_STDOUT ? stdout : stderr;
  if (level == RIMPORT_OUTPUT_STDERR)
    c->reported++;
  if (c->json_lines && level == RIMPORT_OUTPUT_STDOUT)
    return; /* it goes into the cell's JSON object */
  fwrite(text, 1, len, to);
  fflush(to);
}

/* A cell file stands in for the Kayton compiler's output: `#` comments
 * (a line whose first non-blank is `#` not followed by `[` or `!`, which
 * are Rust attributes) are blanked, keeping every line in place. */
static void blank_comments(rimport_buf *text) {
  size_t i = 0;
  while (i < text->size) {
    size_t j = i;
    while (j < text->size && (text->ptr[j] == ' ' || text->ptr[j] == '\t'))
      j++;
    if (j < text->size && text->ptr[j] == '#' &&
        (j + 1 >= text->size ||
         (text->ptr[j + 1] != '[' && text->ptr[j + 1] != '!')))
      for (; j < text->size && text->ptr[j] != '\n'; j++)
        text->ptr[j] = ' ';
    while (i < text->size && text->ptr[i] != '\n')
      i++;
    i++;
  }
}

int cli_run_cell(cli *c, rimport_session *s, const cli_cell *cell,
                 const rimport_cell_plan *plan, void *payload) {
  rimport_build_result *r = NULL;
  rimport_cell *compiled = NULL;
  rimport_cell_options co = RIMPORT_CELL_OPTIONS_INIT;
  rimport_buf text = RIMPORT_BUF_INIT, output = RIMPORT_BUF_INIT,
              items = RIMPORT_BUF_INIT, statements = RIMPORT_BUF_INIT;
  int status = 0, code = 0;
  uint64_t started = 0;
  c->compile_seconds = 0;
  c->cell_from_cache = 0;
  if (payload == NULL && !c->json_lines) { /* rimport run: a header per cell */
    printf("-- %s\n", cell->origin);
    fflush(stdout);
  }
  co.source_path = cell->path;
  co.first_line = cell->first_line;
  if (rimport_build(s, plan, &r) != 0) {
    code = last_code();
    status = cli_fail(c, "building");
  } else if (rimport_load(s, r) != 0) {
    code = last_code();
    status = cli_fail(c, "loading");
  } else if (rimport_register(s) != 0) {
    code = last_code();
    status = cli_fail(c, "registering");
  } else if (rimport__buf_put(&text, cell->text, cell->len) != 0 ||
             (blank_comments(&text),
              rimport_cell_split(text.ptr, text.size, &items, &statements) !=
                  0) ||
             (co.items = items.ptr, co.items_len = items.size,
              started = uv_hrtime(),
              rimport_cell_compile(s, statements.ptr, statements.size, plan,
                                   &co, &compiled) != 0)) {
    code = last_code();
    fprintf(stderr, "%s\n", rimport_error_last()->message);
    status = 1;
  } else {
    unsigned long reported = c->reported;
    c->compile_seconds = (double)(uv_hrtime() - started) / 1e9;
    c->cell_from_cache = rimport_cell_reused(compiled);
    if ((code = rimport_cell_run(s, compiled,
                                 c->json_lines ? &output : NULL)) != 0) {
      /* A failing cell does not end the session: report and go on. A
       * panic's report came through the output callback already (above):
       * it is not printed twice. */
      if (code == RIMPORT_EPANIC && c->reported != reported &&
          strcmp(cell->origin, cell->path) == 0) /* the REPL's, a file's only */
        fprintf(stderr,
                "%s: error: %s panicked (above); the session goes on, its "
                "earlier values are still there\n",
                c->prog, cell->origin);
      else if (code == RIMPORT_EPANIC && c->reported != reported)
        fprintf(stderr,
                "%s: error: cell %zu of %s panicked (above); the session "
                "goes on, its earlier values are still there\n",
                c->prog, cell->index + 1, cell->path);
      else
        fprintf(stderr, "%s: error: %s\n", c->prog,
                rimport_error_last()->message);
      c->failed_cells++;
    }
  }
  if (c->json_lines && cli_json_cell(c, cell, r, &output, code) != 0 &&
      status == 0)
    status = 1;
  rimport_cell_free(compiled);
  rimport_build_result_free(r);
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&items);
  rimport_buf_dispose(&statements);
  rimport_buf_dispose(&output);
  return status;
}

static bar the_bar;

void cli_install_reporters(cli *c) {
  memset(&the_bar, 0, sizeof(the_bar));
  the_bar.tty = uv_guess_handle(2) == UV_TTY;
  c->opts.progress = on_progress;
  c->opts.progress_payload = &the_bar;
  c->opts.output = on_output;
  c->opts.output_payload = c;
}

int cli_run(cli *c, int argc, char **argv) {
  const char *path;
  int status = cli_file_args(c, "run", argc, argv, &path);
  if (status != 0)
    return status;
  c->json_lines = c->json;
  c->json_output = c->json;
  cli_install_reporters(c);
  status = cli_each_cell(c, path, cli_run_cell, NULL);
  if (status == 0 && c->failed_cells > 0)
    status = 1;
  if (getenv("RIMPORT_REPORT_RSS") != NULL) {
    /* For bench/cell_bench.sh: this process's resident memory now, every
     * cell's library still loaded (children are not counted). */
    size_t rss = 0;
    if (uv_resident_set_memory(&rss) == 0)
      fprintf(stderr, "rimport: resident memory %zu KiB\n", rss / 1024);
  }
  return status;
}
