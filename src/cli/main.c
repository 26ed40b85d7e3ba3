/* rimport: the command-line front of the library.
 *
 *   rimport [options] plan <cell-file> [--json]
 *   rimport [options] build <cell-file> [--json]
 *   rimport [options] run <cell-file> [--json]
 *   rimport [options] repl
 *   rimport [options] doctor
 *   rimport [options] cache list|verify|gc|clear
 *   rimport version | help [<command>]
 *
 * The commands and the options are tables in cmd.c; `rimport help` prints
 * them.
 */
#include <stdio.h>

#include "cli.h"
#include "platform.h"

int main(int argc, char **argv) {
  char **args = NULL;
  int n = 0;
  /* UTF-8 arguments on every platform (Windows: from the wide command
   * line), so that a cell file named in any script is found. */
  if (rimport__utf8_argv(argc, argv, &n, &args) != 0) {
    fprintf(stderr, "rimport: error: %s\n", rimport_error_last()->message);
    return 1;
  }
  return cli_main(n, args);
}
