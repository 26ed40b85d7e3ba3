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

int cli_plan(cli *c, int argc, char **argv);
int cli_doctor(cli *c, int argc, char **argv);
/* rimport cache list|verify|gc|clear (cache.c). */
int cli_cache(cli *c, int argc, char **argv);

#endif
