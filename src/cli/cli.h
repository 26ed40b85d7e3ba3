/* The `rimport` command: shared state of its subcommands. */
#ifndef RIMPORT_CLI_H
#define RIMPORT_CLI_H

#include "rimport.h"

typedef struct cli {
  rimport_session_options opts;
  int json;
  int failed_cells; /* rimport run: cells that failed (the rest ran) */
  const char *prog;
} cli;

/* Reads a whole file; the caller frees *text. 0 or -1 (message printed). */
int cli_read_file(const char *path, char **text, size_t *len);

/* Prints "prog: error: <message>" (with the error name) to stderr; returns
 * the exit status for errors. */
int cli_fail(const cli *c, const char *what);

/* Called for each cell of a cell file once it is parsed and planned in the
 * file's session. Returns an exit status (0 to go on). */
typedef struct cli_cell {
  const char *path;   /* the cell file */
  const char *origin; /* "file" or "file, cell N" */
  size_t index;       /* from 0 */
  const char *text;   /* the cell's text (not NUL-terminated) */
  size_t len;
  unsigned int first_line; /* its first line in the file */
} cli_cell;
typedef int (*cli_cell_fn)(cli *c, rimport_session *s, const cli_cell *cell,
                           const rimport_cell_plan *plan, void *payload);
/* Splits a cell file at `%%` lines and runs fn on each cell in order, in
 * one session; parse and plan errors are printed. Returns the exit status. */
int cli_each_cell(cli *c, const char *path, cli_cell_fn fn, void *payload);
/* Parses and plans one cell in session s (path= taken from base_dir);
 * parse and plan errors are printed. Returns an exit status. */
int cli_cell_plan(cli *c, rimport_session *s, const cli_cell *cell,
                  const char *base_dir, rimport_cell_plan **out);
/* Builds, loads, registers, compiles and runs one planned cell, printing
 * its output (rimport run and rimport repl). A failing cell is counted in
 * c->failed_cells and is not an error of the whole run. */
int cli_run_cell(cli *c, rimport_session *s, const cli_cell *cell,
                 const rimport_cell_plan *plan, void *payload);
/* Installs the progress bar and the output printer in c->opts. */
void cli_install_reporters(cli *c);
/* Reads `<command> <cell-file> [--json]`: 0, or 2 after a usage message. */
int cli_file_args(cli *c, const char *command, int argc, char **argv,
                  const char **path);

int cli_plan(cli *c, int argc, char **argv);
int cli_build(cli *c, int argc, char **argv);
int cli_run(cli *c, int argc, char **argv);
int cli_repl(cli *c, int argc, char **argv);
int cli_doctor(cli *c, int argc, char **argv);
/* rimport cache list|verify|gc|clear (cache.c). */
int cli_cache(cli *c, int argc, char **argv);

#endif
