/* rimport repl: cells typed at a prompt, run one after the other in one
 * session, as a notebook kernel would. A cell ends at an empty line (or a
 * line `%%`); `:quit` or end of input ends the session. In rustc's
 * messages a cell's first typed line is line 2. Line editing and
 * history come from libedit when it is there (Debian: libedit-dev); without
 * it, or when stdin is not a terminal, lines are read as they come. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli.h"
#include "common/common.h"

#ifdef RIMPORT_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

/* One line without its newline, or NULL at end of input; free() it. */
static char *read_line(const char *prompt, int tty) {
#ifdef RIMPORT_HAVE_LIBEDIT
  if (tty) {
    char *line = readline(prompt);
    if (line != NULL && *line != '\0')
      add_history(line);
    return line;
  }
#endif
  {
    char buf[8192];
    size_t n;
    if (tty) {
      fputs(prompt, stdout);
      fflush(stdout);
    }
    if (fgets(buf, sizeof(buf), stdin) == NULL)
      return NULL;
    n = strcspn(buf, "\r\n");
    buf[n] = '\0';
    return strdup(buf);
  }
}

int cli_repl(cli *c, int argc, char **argv) {
  rimport_session *s = NULL;
  char cwd[4096];
  size_t cwd_len = sizeof(cwd);
  int tty = uv_guess_handle(0) == UV_TTY, done = 0;
  unsigned int number = 0;
  int status = cli_no_args(c, "repl", argc, argv);
  if (status != 0)
    return status;
  cli_install_reporters(c);
  if (rimport_session_open(&s, &c->opts) != 0)
    return cli_fail(c, "opening a session");
  if (uv_cwd(cwd, &cwd_len) != 0)
    snprintf(cwd, sizeof(cwd), ".");
  if (tty)
    printf("rimport %s: a cell ends at an empty line; :quit to leave\n",
           rimport_version());
  while (!done) {
    rimport_buf text = RIMPORT_BUF_INIT;
    rimport_cell_plan *plan = NULL;
    char origin[64];
    cli_cell cell;
    for (;;) {
      char *line = read_line(text.size ? "... " : ">>> ", tty);
      if (line == NULL) {
        done = 1;
        break;
      }
      if (strcmp(line, ":quit") == 0) { /* runs what was typed, then ends */
        free(line);
        done = 1;
        break;
      }
      if (line[0] == '\0' || strcmp(line, "%%") == 0) {
        free(line);
        if (text.size > 0)
          break;
        continue;
      }
      rimport__buf_puts(&text, line);
      rimport__buf_putc(&text, '\n');
      free(line);
    }
    if (text.size > 0) {
      number++;
      snprintf(origin, sizeof(origin), "cell %u", number);
      cell.path = origin;
      cell.origin = origin;
      cell.index = number - 1;
      cell.text = text.ptr;
      cell.len = text.size;
      /* Line 1 holds rimport's opening of the cell: typed lines are 2, 3… */
      cell.first_line = 2;
      /* A bad cell is reported and the session goes on. */
      if (cli_cell_plan(c, s, &cell, cwd, &plan) == 0)
        cli_run_cell(c, s, &cell, plan, c);
      rimport_cell_plan_free(plan);
    }
    rimport_buf_dispose(&text);
  }
  rimport_session_close(s);
  return 0;
}
