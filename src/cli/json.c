/* `rimport build --json` and `rimport run --json`: one JSON object per
 * cell, one per line of stdout (JSON Lines), for a kernel or an editor:
 *
 *   {"cell": 1, "file": "x.cell", "line": 1,
 *    "plugins": [{"crate", "key", "version", "dylib", "from_cache",
 *                 "build_seconds"}],
 *    "output": "...",                      (run only)
 *    "ok": false,
 *    "error": {"code": "ECOMPILE", "message": "...", "file": "x.cell",
 *              "line": 5, "column": 17}}   (null when ok)
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Reads the digits that end at `end` (exclusive), not before `start`:
 * their value and where they begin, or NULL when there are none. */
static const char *digits_before(const char *start, const char *end,
                                 unsigned int *value) {
  const char *p = end;
  unsigned long v = 0, scale = 1;
  while (p > start && p[-1] >= '0' && p[-1] <= '9' && end - p < 9) {
    p--;
    v += (unsigned long)(*p - '0') * scale;
    scale *= 10;
  }
  if (p == end)
    return NULL;
  *value = (unsigned int)v;
  return p;
}

int cli_rustc_location(const char *message, const char **file, size_t *file_len,
                       unsigned int *line, unsigned int *column) {
  const char *p = message;
  while (p != NULL && (p = strstr(p, "-->")) != NULL) {
    const char *start = p + 3, *end, *q;
    while (*start == ' ')
      start++;
    end = start + strcspn(start, "\r\n");
    p = end;
    /* From the end, as a path may hold ':' (C:\...): file:line:column. */
    q = digits_before(start, end, column);
    if (q == NULL || q == start || q[-1] != ':')
      continue;
    q = digits_before(start, q - 1, line);
    if (q == NULL || q == start || q[-1] != ':' || q - 1 == start)
      continue;
    *file = start;
    *file_len = (size_t)(q - 1 - start);
    return 0;
  }
  return -1;
}

/* Fills `o` with {"code", "message", "file", "line", "column"} from the
 * thread's last error, which failed the cell with `code`. 0 or -1. */
static int fill_error(cJSON *o, const cli_cell *cell, int code) {
  const rimport_error *e = rimport_error_last();
  const char *file = cell->path, *at;
  size_t file_len = strlen(cell->path);
  unsigned int line = cell->first_line, column = 1;
  char *file_z;
  int rc = 0;
  if (code == RIMPORT_EPARSE && e->line > 0) {
    /* The parser counts lines from the cell's first. */
    line = cell->first_line + e->line - 1;
    column = e->column;
  } else if (code == RIMPORT_ECOMPILE &&
             cli_rustc_location(e->message, &at, &file_len, &line, &column) ==
                 0) {
    file = at;
  } else if (code != RIMPORT_EPARSE && code != RIMPORT_ECOMPILE &&
             e->line > 0) {
    /* A statement's place (a requested item the crate lacks): the plan's
     * lines count from the top of the file. */
    line = e->line;
    column = e->column > 0 ? e->column : 1;
  }
  if ((file_z = malloc(file_len + 1)) == NULL)
    return -1;
  memcpy(file_z, file, file_len);
  file_z[file_len] = '\0';
  if (cJSON_AddStringToObject(o, "code", rimport_err_name(code)) == NULL ||
      cJSON_AddStringToObject(o, "message",
                              e->code != 0 ? e->message
                                           : rimport_strerror(code)) == NULL ||
      cJSON_AddStringToObject(o, "file", file_z) == NULL ||
      cJSON_AddNumberToObject(o, "line", line) == NULL ||
      cJSON_AddNumberToObject(o, "column", column) == NULL)
    rc = -1;
  free(file_z);
  return rc;
}

/* Fills the array `a` with an object per built plugin. 0 or -1. */
static int fill_plugins(cJSON *a, const rimport_build_result *built) {
  size_t i, n = rimport_build_result_count(built);
  const rimport_built_plugin *ps = rimport_build_result_array(built);
  for (i = 0; i < n; i++) {
    const rimport_built_plugin *p = &ps[i];
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
      return -1;
    cJSON_AddItemToArray(a, o);
    if (cJSON_AddStringToObject(o, "crate", p->crate) == NULL ||
        cJSON_AddStringToObject(o, "key", p->key) == NULL ||
        cJSON_AddStringToObject(o, "version", p->version) == NULL ||
        cJSON_AddStringToObject(o, "dylib", p->dylib) == NULL ||
        cJSON_AddBoolToObject(o, "from_cache", p->from_cache != 0) == NULL ||
        cJSON_AddNumberToObject(o, "build_seconds", p->build_seconds) == NULL)
      return -1;
  }
  return 0;
}

int cli_json_cell(const cli *c, const cli_cell *cell,
                  const rimport_build_result *built, const rimport_buf *output,
                  int code) {
  cJSON *o = cJSON_CreateObject(), *plugins, *error;
  char *line = NULL;
  int ok =
      o != NULL &&
      cJSON_AddNumberToObject(o, "cell", (double)(cell->index + 1)) != NULL &&
      cJSON_AddStringToObject(o, "file", cell->path) != NULL &&
      cJSON_AddNumberToObject(o, "line", cell->first_line) != NULL &&
      (plugins = cJSON_AddArrayToObject(o, "plugins")) != NULL &&
      fill_plugins(plugins, built) == 0;
  if (ok && c->json_output)
    ok = cJSON_AddStringToObject(o, "output",
                                 output != NULL && output->ptr != NULL
                                     ? output->ptr
                                     : "") != NULL &&
         cJSON_AddBoolToObject(o, "cell_from_cache", c->cell_from_cache) !=
             NULL &&
         cJSON_AddNumberToObject(o, "compile_seconds", c->compile_seconds) !=
             NULL;
  ok = ok && cJSON_AddBoolToObject(o, "ok", code == 0) != NULL;
  if (ok && code == 0)
    ok = cJSON_AddNullToObject(o, "error") != NULL;
  else if (ok)
    ok = (error = cJSON_AddObjectToObject(o, "error")) != NULL &&
         fill_error(error, cell, code) == 0;
  if (ok)
    line = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (line == NULL) {
    fprintf(stderr,
            "%s: error: writing cell %zu of %s as JSON: out of memory\n",
            c->prog, cell->index + 1, cell->path);
    return 1;
  }
  fputs(line, stdout);
  fputc('\n', stdout);
  fflush(stdout);
  cJSON_free(line);
  return 0;
}
