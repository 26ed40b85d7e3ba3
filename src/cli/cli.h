/* The `rimport` command: its command table and the state its commands
 * share. */
#ifndef RIMPORT_CLI_H
#define RIMPORT_CLI_H

#include <stdio.h>

#include "rimport.h"

typedef struct cli {
  rimport_session_options opts;
  int json;               /* --json was given */
  int json_lines;         /* build and run --json: a JSON object per cell */
  int json_output;        /* run --json: each cell's object carries "output" */
  int failed_cells;       /* rimport run: cells that failed (the rest ran) */
  unsigned long reported; /* how many stderr-level reports were printed */
  /* rimport run: the last cell's compile (or cache lookup), for --json */
  double compile_seconds;
  int cell_from_cache;
  const char *prog;
} cli;

/* A subcommand (`rimport cache gc`): its handler gets the session's cache
 * directory. */
typedef struct cli_subcmd {
  const char *name;
  int (*fn)(cli *c, const char *cache_dir);
  const char *help; /* lines of at most 60 columns */
} cli_subcmd;

/* One command of `rimport`: the table in cmd.c drives dispatch, `rimport
 * help`, `rimport help <command>` and `rimport <command> --help` (as
 * libgit2's src/cli/main.c cli_cmds[]). */
typedef struct cli_cmd {
  const char *name;
  /* argv holds the command's arguments, after its name. Returns the exit
   * status: 0, 1 for a failure, 2 for a usage error. */
  int (*fn)(cli *c, int argc, char **argv);
  /* Synopsis of the arguments, "" for none; made from the subcommands'
   * names when there are subcommands. */
  const char *args;
  const char *summary; /* one line, for `rimport help` */
  const char *help;    /* the rest of `rimport help <command>` */
  /* Its subcommands ({NULL}-terminated; the first argument names one), or
   * NULL. */
  const cli_subcmd *subcmds;
} cli_cmd;

/* Every command, in the order `rimport help` lists them; {NULL}-terminated.
 */
extern const cli_cmd cli_cmds[];
/* The subcommands of `rimport cache` (cache.c); {NULL}-terminated. */
extern const cli_subcmd cli_cache_cmds[];

/* The command or subcommand called `name`, or NULL. */
const cli_cmd *cli_cmd_lookup(const char *name);
const cli_subcmd *cli_subcmd_lookup(const cli_subcmd *table, const char *name);
/* Prints `rimport help <command>` to out. */
void cli_cmd_help(const cli *c, const cli_cmd *cmd, FILE *out);
/* Prints "prog: error: unknown option "opt" for <command>; see `prog help
 * <command>`" and returns 2. */
int cli_unknown_option(const cli *c, const char *command, const char *opt);
/* For a command that takes no arguments: 0 when there are none, else 2
 * after a message. */
int cli_no_args(const cli *c, const char *command, int argc, char **argv);

/* The whole command: parses the global options and runs the command. */
int cli_main(int argc, char **argv);

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
 * one session; parse and plan errors are printed (and, with c->json_lines,
 * are the cell's JSON object). Returns the exit status. */
int cli_each_cell(cli *c, const char *path, cli_cell_fn fn, void *payload);
/* Parses and plans one cell in session s (path= taken from base_dir);
 * parse and plan errors are printed. Returns an exit status. */
int cli_cell_plan(cli *c, rimport_session *s, const cli_cell *cell,
                  const char *base_dir, rimport_cell_plan **out);
/* Builds, loads, registers, compiles and runs one planned cell, printing
 * its output (rimport run and rimport repl; with c->json_lines, one JSON
 * object).
 * A failing cell is counted in c->failed_cells and is not an error of the
 * whole run. */
int cli_run_cell(cli *c, rimport_session *s, const cli_cell *cell,
                 const rimport_cell_plan *plan, void *payload);
/* Installs the progress bar and the output printer in c->opts. */
void cli_install_reporters(cli *c);
/* Reads `<command> <cell-file> [--json]`: 0, or 2 after a usage message. */
int cli_file_args(cli *c, const char *command, int argc, char **argv,
                  const char **path);

/* build --json and run --json (json.c): prints the cell's object as one
 * line of stdout. `built` is what was built for the cell (NULL: nothing);
 * `output` what the cell printed, in the object when c->json_output (NULL:
 * ""). With
 * `code` 0 the cell is ok; otherwise the error is `code` with
 * rimport_error_last()'s message and position. Returns 0, or 1 when the
 * object could not be made (message printed). */
int cli_json_cell(const cli *c, const cli_cell *cell,
                  const rimport_build_result *built, const rimport_buf *output,
                  int code);
/* The first `--> file:line:column` of rustc's rendered diagnostics in
 * `message`: 0 with the file (a pointer into message, file_len bytes), line
 * and column; -1 when there is none. */
int cli_rustc_location(const char *message, const char **file, size_t *file_len,
                       unsigned int *line, unsigned int *column);

int cli_plan(cli *c, int argc, char **argv);
int cli_build(cli *c, int argc, char **argv);
int cli_run(cli *c, int argc, char **argv);
int cli_repl(cli *c, int argc, char **argv);
int cli_doctor(cli *c, int argc, char **argv);
int cli_doc(cli *c, int argc, char **argv);
/* rimport cache list|verify|gc|clear (cache.c). */
int cli_cache(cli *c, int argc, char **argv);

#endif
