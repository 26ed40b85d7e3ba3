/* rimport repl: cells typed at a prompt, run one after the other in one
 * session, as a notebook kernel would. A cell ends at an empty line (or a
 * line `%%`); `:quit` or end of input ends the session. In rustc's
 * messages a cell's first typed line is line 2. Line editing and
 * history come from libedit when it is there (Debian: libedit-dev); without
 * it, or when stdin is not a terminal, lines are read as they come.
 *
 * `:call <path-or-name>(<args>)` at the start of a cell calls a function
 * of an imported crate at once, through its plugin's thunk (rimport_call:
 * no rustc, no cell). Arguments are literals (src/dyncall/dyncall.h has
 * the syntax) or $N, a handle an earlier :call returned: the REPL keeps
 * those as $1, $2, … and prints `$3 = <kind> handle`; other results print
 * their value. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli.h"
#include "common/common.h"
#include "dyncall/dyncall.h"

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

/* The handles :call returned, $1 first. */
typedef struct kept_handles {
  uint64_t *handles;
  size_t count, cap;
} kept_handles;

static int resolve_ref(void *payload, unsigned long n, rimport_value *out) {
  const kept_handles *k = payload;
  if (n == 0 || n > k->count) {
    if (k->count == 0)
      return rimport__error_set(RIMPORT_ENOTFOUND,
                                "$%lu: no :call has returned a handle yet", n);
    return rimport__error_set(RIMPORT_ENOTFOUND,
                              "$%lu: no :call has returned that handle (the "
                              "kept ones are $1 to $%zu)",
                              n, k->count);
  }
  out->tag = RIMPORT_VALUE_HANDLE;
  out->as.handle = k->handles[n - 1];
  return 0;
}

/* Prints the expression and a caret under the column of the last error. */
static void show_column(const char *text) {
  const rimport_error *e = rimport_error_last();
  unsigned int col;
  if (e->code != RIMPORT_EPARSE || e->column == 0)
    return;
  fprintf(stderr, "    %s\n    ", text);
  for (col = 1; col < e->column; col++)
    fputc(' ', stderr);
  fputs("^\n", stderr);
}

/* `:call <expr>`: parses, calls and prints the result; errors are printed
 * and the session goes on. */
static void repl_call(cli *c, rimport_session *s, const char *text,
                      kept_handles *k) {
  rimport__dyncall_expr e;
  const rimport_api_item *item = NULL;
  rimport_value r = RIMPORT_VALUE_INIT;
  rimport_buf shown = RIMPORT_BUF_INIT;
  while (*text == ' ' || *text == '\t')
    text++;
  if (*text == '\0') {
    fprintf(stderr,
            "%s: error: :call needs a function and its arguments: "
            ":call <path-or-name>(<args>), e.g. :call add(40, 2)\n",
            c->prog);
    return;
  }
  if (rimport__dyncall_parse(text, strlen(text), resolve_ref, k, &e) != 0) {
    cli_fail(c, ":call");
    show_column(text);
  } else if (rimport_call_lookup(s, e.path, &item) != 0 ||
             rimport_call_item(s, item, e.args, e.nargs, &r) != 0) {
    cli_fail(c, ":call");
  } else if (r.tag == RIMPORT_VALUE_HANDLE) {
    if (rimport__grow((void **)&k->handles, &k->cap, k->count + 1,
                      sizeof(*k->handles)) != 0) {
      cli_fail(c, "keeping the handle");
    } else {
      rimport_buf seen = RIMPORT_BUF_INIT;
      k->handles[k->count++] = r.as.handle;
      printf("$%zu = %s handle", k->count,
             item->output && item->output->opaque ? item->output->opaque
             : item->output && item->output->type ? item->output->type
                                                  : "a");
      /* its text, when its type has Display or Debug */
      if (rimport_value_render(s, r.as.handle, 0, &seen) == 0)
        printf(": %s", seen.ptr ? seen.ptr : "");
      else
        rimport_error_clear();
      printf("\n");
      rimport_buf_dispose(&seen);
    }
  } else if (rimport__dyncall_value_text(&r, &shown) != 0) {
    cli_fail(c, "printing the result");
  } else {
    printf("%s\n", shown.ptr);
  }
  fflush(stdout);
  rimport_value_dispose(&r);
  rimport_buf_dispose(&shown);
  rimport__dyncall_expr_free(&e);
}

/* The text after `:call` when the line is a :call line, else NULL. */
static const char *call_line(const char *line) {
  while (*line == ' ' || *line == '\t')
    line++;
  if (strncmp(line, ":call", 5) != 0 ||
      (line[5] != '\0' && line[5] != ' ' && line[5] != '\t'))
    return NULL;
  return line + 5;
}

int cli_repl(cli *c, int argc, char **argv) {
  kept_handles kept = {NULL, 0, 0};
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
    printf("rimport %s: a cell ends at an empty line; :call f(args) calls a "
           "function without a cell; :quit to leave\n",
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
      if (text.size == 0 && call_line(line) != NULL) {
        repl_call(c, s, call_line(line), &kept);
        free(line);
        continue;
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
  rimport_session_close(s); /* drops the kept handles' values */
  rimport__free(kept.handles);
  return 0;
}
