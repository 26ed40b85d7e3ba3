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
#include "cli.h"

int main(int argc, char **argv) {
  return cli_main(argc, argv);
}
