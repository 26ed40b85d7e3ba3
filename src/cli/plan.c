/* rimport plan <cell-file> [--json] */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/fs.h"
#include "platform.h"

int cli_read_file(const char *path, char **text, size_t *len) {
  rimport_buf b = RIMPORT_BUF_INIT;
  if (rimport__fs_read_file(path, (size_t)1 << 30, &b) != 0) {
    fprintf(stderr, "rimport: error: reading the cell file: %s\n",
            rimport_error_last()->message);
    rimport_buf_dispose(&b);
    return -1;
  }
  *len = b.size;
  *text = rimport__buf_detach(&b);
  return 0;
}

int cli_fail(const cli *c, const char *what) {
  const rimport_error *e = rimport_error_last();
  fprintf(stderr, "%s: error: %s: %s [%s]\n", c->prog, what,
          e ? e->message : "unknown failure",
          e ? rimport_err_name(e->code) : "EUNKNOWN");
  return 1;
}

/* Cells are separated by lines that are exactly "%%" (a CR before the newline
 * and trailing blanks are allowed). */
typedef struct file_cell {
  const char *text;
  size_t len;
  unsigned int first_line; /* line of the file where the cell starts */
} file_cell;

static int is_separator(const char *line, size_t len) {
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
                     line[len - 1] == '\t'))
    len--;
  return len == 2 && line[0] == '%' && line[1] == '%';
}

static size_t split_cells(const char *text, size_t len, file_cell **out) {
  size_t count = 0, cap = 0, pos = 0, start = 0;
  unsigned int line = 1, start_line = 1;
  file_cell *cells = NULL;
  for (;;) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    int sep = is_separator(text + pos, end - pos);
    if (sep || nl == NULL) {
      if (count == cap) {
        file_cell *grown;
        cap = cap ? cap * 2 : 8;
        grown = realloc(cells, cap * sizeof(*cells));
        if (grown == NULL) {
          free(cells);
          *out = NULL;
          return 0;
        }
        cells = grown;
      }
      cells[count].text = text + start;
      cells[count].len = (sep ? pos : len) - start;
      cells[count].first_line = start_line;
      count++;
      start = nl ? end + 1 : len;
      start_line = line + 1;
    }
    if (nl == NULL)
      break;
    pos = end + 1;
    line++;
  }
  *out = cells;
  return count;
}

/* file:line:col: error: message, then the line and a caret under the
 * column. */
static void print_parse_error(const cli *c, const char *path,
                              const file_cell *cl) {
  const rimport_error *e = rimport_error_last();
  unsigned int line = e->line, col, i;
  const char *p = cl->text, *end = cl->text + cl->len, *eol;
  if (line == 0) {
    cli_fail(c, path);
    return;
  }
  fprintf(stderr, "%s:%u:%u: error: %s\n", path, cl->first_line + line - 1,
          e->column, e->message);
  for (i = 1; i < line && p < end; i++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    p = nl ? nl + 1 : end;
  }
  eol = memchr(p, '\n', (size_t)(end - p));
  eol = eol ? eol : end;
  if (eol > p && eol[-1] == '\r')
    eol--;
  fprintf(stderr, "  %.*s\n  ", (int)(eol - p), p);
  /* The column counts characters: one caret position per UTF-8 lead byte;
   * tabs stay tabs so that the caret lines up. */
  for (col = 1; p < eol && col < e->column; p++) {
    if (((unsigned char)*p & 0xC0) == 0x80)
      continue;
    fputc(*p == '\t' ? '\t' : ' ', stderr);
    col++;
  }
  fputs("^\n", stderr);
}

static const char *source_text(const rimport_plugin *p, char *buf,
                               size_t size) {
  if (p->source == RIMPORT_FROM_PATH)
    snprintf(buf, size, "local crate at %s", p->path);
  else
    snprintf(buf, size, "registry, version \"%s\"",
             p->version ? p->version : "*");
  return buf;
}

static void print_plan(const char *origin, const rimport_cell_plan *plan) {
  size_t n = rimport_cell_plan_count(plan), i, j, k;
  const rimport_plugin *ps = rimport_cell_plan_array(plan);
  char src[4200];
  printf("%s: %zu plugin%s\n", origin, n, n == 1 ? "" : "s");
  for (i = 0; i < n; i++) {
    const rimport_plugin *p = &ps[i];
    printf("  %s  key %s\n", p->plugin, p->key);
    printf("    crate     %s%s%s (%s)\n", p->crate,
           p->package ? ", package " : "", p->package ? p->package : "",
           source_text(p, src, sizeof(src)));
    printf("    features  ");
    for (j = 0; j < p->feature_count; j++)
      printf("%s%s", j ? ", " : "", p->features[j]);
    printf("%s(default features %s)\n", p->feature_count ? " " : "",
           p->default_features ? "on" : "off");
    if (p->item_count > 0) {
      printf("    items     ");
      for (j = 0; j < p->item_count; j++) {
        const rimport_plugin_item *it = &p->items[j];
        printf("%s%s%s%s", j ? ", " : "", it->module ? it->module : "",
               it->module ? "::" : "", it->name);
        for (k = 0; k < it->shape_count; k++)
          printf("%s%s", k ? ", " : "[", rimport_shape_name(it->shapes[k]));
        printf("%s", it->shape_count ? "]" : "");
      }
      printf("\n");
    }
    printf("    binds     ");
    for (j = 0; j < p->binding_count; j++) {
      const rimport_binding *b = &p->bindings[j];
      if (b->item == NULL)
        printf("%s%s = crate %s", j ? "; " : "", b->name, p->crate);
      else
        printf("%s%s = %s%s%s", j ? "; " : "", b->name,
               b->module ? b->module : "", b->module ? "::" : "", b->item);
    }
    printf("\n");
  }
}

int cli_cell_plan(cli *c, rimport_session *s, const cli_cell *cell,
                  const char *base_dir, rimport_cell_plan **out) {
  rimport_imports *imps = NULL;
  rimport_plan_options po = RIMPORT_PLAN_OPTIONS_INIT;
  rimport_import *copy = NULL;
  file_cell fc;
  size_t n, k;
  int status = 0;
  *out = NULL;
  fc.text = cell->text;
  fc.len = cell->len;
  fc.first_line = cell->first_line;
  if (rimport_parse(cell->text, cell->len, &imps) != 0) {
    print_parse_error(c, cell->path, &fc);
    return 1;
  }
  /* Line numbers in messages count from the top of the file. */
  n = rimport_imports_count(imps);
  copy = calloc(n ? n : 1, sizeof(*copy));
  if (copy == NULL) {
    rimport_imports_free(imps);
    return 1;
  }
  if (n > 0)
    memcpy(copy, rimport_imports_array(imps), n * sizeof(*copy));
  for (k = 0; k < n; k++)
    copy[k].span.line += cell->first_line - 1;
  po.base_dir = base_dir;
  po.origin = cell->path;
  if (rimport_plan(s, copy, n, &po, out) != 0)
    status = cli_fail(c, "planning");
  free(copy);
  rimport_imports_free(imps);
  return status;
}

int cli_each_cell(cli *c, const char *path, cli_cell_fn fn, void *payload) {
  char *text = NULL;
  rimport_buf dir = RIMPORT_BUF_INIT;
  size_t len = 0, ncells = 0, i;
  file_cell *cells = NULL;
  rimport_session *s = NULL;
  int status = 0;
  if (cli_read_file(path, &text, &len) != 0)
    return 1;
  if (rimport_session_open(&s, &c->opts) != 0) {
    rimport__free(text);
    return cli_fail(c, "opening a session");
  }
  /* Relative path= values are taken from the file's directory. */
  if (rimport__path_dir(path, &dir) != 0) {
    rimport__free(text);
    rimport_session_close(s);
    return cli_fail(c, "reading the cell file's directory");
  }
  ncells = split_cells(text, len, &cells);
  for (i = 0; i < ncells && status == 0; i++) {
    rimport_cell_plan *plan = NULL;
    char origin[4200];
    cli_cell cc;
    if (ncells == 1)
      snprintf(origin, sizeof(origin), "%s", path);
    else
      snprintf(origin, sizeof(origin), "%s, cell %zu", path, i + 1);
    cc.path = path;
    cc.origin = origin;
    cc.index = i;
    cc.text = cells[i].text;
    cc.len = cells[i].len;
    cc.first_line = cells[i].first_line;
    status = cli_cell_plan(c, s, &cc, dir.ptr, &plan);
    if (status != 0 && c->json_lines) {
      /* build and run --json: the cell's object says what failed. */
      int code = rimport_error_last()->code;
      cli_json_cell(c, &cc, NULL, NULL, code != 0 ? code : RIMPORT_EINTERNAL);
    }
    if (status == 0)
      status = fn(c, s, &cc, plan, payload);
    rimport_cell_plan_free(plan);
  }
  free(cells);
  rimport_buf_dispose(&dir);
  rimport__free(text);
  rimport_session_close(s);
  return status;
}

static int plan_cell(cli *c, rimport_session *s, const cli_cell *cell,
                     const rimport_cell_plan *plan, void *payload) {
  (void)s;
  (void)payload;
  if (c->json) {
    rimport_buf json = RIMPORT_BUF_INIT;
    int status = 0;
    if (rimport_cell_plan_to_json(plan, 1, &json) != 0)
      status = cli_fail(c, "writing the plan as JSON");
    else
      printf("%s%s", cell->index ? ",\n" : "\n", json.ptr);
    rimport_buf_dispose(&json);
    return status;
  }
  print_plan(cell->origin, plan);
  return 0;
}

/* Reads `<command> <cell-file> [--json]`. */
int cli_file_args(cli *c, const char *command, int argc, char **argv,
                  const char **path) {
  int a;
  *path = NULL;
  for (a = 0; a < argc; a++) {
    if (strcmp(argv[a], "--json") == 0)
      c->json = 1;
    else if (argv[a][0] == '-')
      return cli_unknown_option(c, command, argv[a]);
    else if (*path == NULL)
      *path = argv[a];
    else {
      fprintf(stderr,
              "%s: error: %s takes one cell file, \"%s\" is a second; see "
              "`%s help %s`\n",
              c->prog, command, argv[a], c->prog, command);
      return 2;
    }
  }
  if (*path == NULL) {
    fprintf(stderr,
            "%s: error: %s needs a cell file: %s %s <file>; see `%s help "
            "%s`\n",
            c->prog, command, c->prog, command, c->prog, command);
    return 2;
  }
  return 0;
}

int cli_plan(cli *c, int argc, char **argv) {
  const char *path;
  int status = cli_file_args(c, "plan", argc, argv, &path);
  if (status != 0)
    return status;
  if (c->json)
    printf("[");
  status = cli_each_cell(c, path, plan_cell, NULL);
  if (c->json)
    printf("\n]\n");
  return status;
}
