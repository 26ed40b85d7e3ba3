/* The `rimport` command: shared state of its subcommands. */
#ifndef RIMPORT_CLI_H
#define RIMPORT_CLI_H

#include "rimport.h"

typedef struct cli {
  rimport_options opts;
  int json;
  const char *prog;
} cli;

/* Reads a whole file; the caller frees *text. 0 or -1 (message printed). */
int cli_read_file(const char *path, char **text, size_t *len);

/* Prints "prog: error: <message>" (with the error name) to stderr; returns
 * the exit status for errors. */
int cli_fail(const cli *c, const char *what);

/* Called for each cell of a cell file once it is parsed and planned in the
 * file's session. Returns an exit status (0 to go on). */
typedef int (*cli_cell_fn)(cli *c, rimport_session *s, const char *origin,
                           size_t index, const rimport_cell_plan *plan,
                           void *payload);
/* Splits a cell file at `%%` lines and runs fn on each cell in order, in
 * one session; parse and plan errors are printed. Returns the exit status. */
int cli_each_cell(cli *c, const char *path, cli_cell_fn fn, void *payload);
/* Reads `<command> <cell-file> [--json]`: 0, or 2 after a usage message. */
int cli_file_args(cli *c, const char *command, int argc, char **argv,
                  const char **path);

int cli_plan(cli *c, int argc, char **argv);
int cli_build(cli *c, int argc, char **argv);
int cli_doctor(cli *c, int argc, char **argv);
/* rimport cache list|verify|gc|clear (cache.c). */
int cli_cache(cli *c, int argc, char **argv);

#endif
