/* The command table and the global options of `rimport`: one table each
 * drives parsing or dispatch and the help (as libgit2's src/cli/main.c
 * cli_cmds[]), so that help cannot drift from the code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int cli_version(cli *c, int argc, char **argv);
static int cli_help(cli *c, int argc, char **argv);

const cli_cmd cli_cmds[] = {
    {"plan", cli_plan, "<cell-file> [--json]",
     "parse a cell file, print the plugins it needs",
     "Parses the rimport statements of every cell of the file (cells are\n"
     "separated by lines that are exactly %%) and plans the plugins they\n"
     "need: crate, source, features, items, the names each statement\n"
     "binds, and the cache key. Nothing is built.\n"
     "\n"
     "  --json  print a JSON array with one object per cell: its plugins,\n"
     "          as rimport_cell_plan_to_json writes them\n"
     "\n"
     "A bad statement prints file:line:column: error: ..., the line and a\n"
     "caret under the column, and the command exits 1.\n",
     NULL},
    {"build", cli_build, "<cell-file> [--json]",
     "build or find every cell's plugins",
     "Plans every cell of the file and makes sure that each of its plugins\n"
     "has a verified cache entry, building the missing ones with cargo. On\n"
     "a terminal a progress bar goes to stderr. The first cell that fails\n"
     "to parse, plan or build ends the command with exit status 1.\n"
     "\n"
     "  --json  one JSON object per cell on stdout, one per line (JSON\n"
     "          Lines): {\"cell\": N, \"file\", \"line\": the cell's first\n"
     "          line, \"plugins\": [{\"crate\", \"key\", \"version\",\n"
     "          \"dylib\", \"from_cache\", \"build_seconds\"}], \"ok\",\n"
     "          \"error\": null or {\"code\": \"EBUILD\"..., \"message\",\n"
     "          \"file\", \"line\", \"column\"}}. Progress goes to stderr.\n",
     NULL},
    {"run", cli_run, "<cell-file> [--json]",
     "build, load, compile and run every cell",
     "Runs the cells of the file in order, in one session: each cell's\n"
     "plugins are built (or found), loaded and registered, then the cell\n"
     "is compiled against them with rustc and run. What a cell prints\n"
     "with kprintln! goes to stdout after a line \"-- file, cell N\". A\n"
     "cell that panics is reported and the session goes on; a cell that\n"
     "does not parse, plan, build or compile ends the run. The exit\n"
     "status is 1 when any cell failed.\n"
     "\n"
     "  --json  one JSON object per cell on stdout, one per line, as\n"
     "          `build --json` prints them, with \"output\": what the cell\n"
     "          printed. An error's file, line and column point at the\n"
     "          bad statement (a parse error), at the first `-->` of\n"
     "          rustc's message (a compile error), else at the cell's\n"
     "          first line. Progress and diagnostics go to stderr.\n",
     NULL},
    {"repl", cli_repl, "", "run cells typed at a prompt, in one session",
     "Reads cells from stdin and runs each as `run` does, in one session.\n"
     "A cell ends at an empty line (or a line %%); :quit or the end of\n"
     "input ends the session. A failing cell is reported and the session\n"
     "goes on. In rustc's messages a cell's first typed line is line 2.\n"
     "Line editing and history come from libedit when rimport was built\n"
     "with it.\n"
     "\n"
     "A line `:call <path-or-name>(<args>)` at the start of a cell calls a\n"
     "function, method or associated function of an imported crate at\n"
     "once, through its plugin's thunk: no rustc, no cell. The function is\n"
     "a path (reqwest::StatusCode::from_u16) or a name a cell bound\n"
     "(StatusCode::from_u16, add); its plugin must be loaded (a cell that\n"
     "imports the crate ran). Arguments are literals: integers (-7),\n"
     "floats (1.5, 2e-3), true, false, None (for an Option parameter),\n"
     "\"strings\" (escapes \\n \\t \\\"\n"
     "\\\\ \\0 \\xHH \\u{e9}), lists [1, 2, 3] or [0.5, 1], and $N, a handle\n"
     "an earlier :call returned (a method's receiver comes first). A\n"
     "handle result is kept and printed as `$3 = <kind> handle`; other\n"
     "results print their value (() for unit, None for an Option's None).\n"
     "A bad line, a wrong argument or a failing call is reported and the\n"
     "session goes on.\n",
     NULL},
    {"doc", cli_doc, "<path> [<statement>...] [--json]",
     "show a crate's items: kinds, signatures, docs",
     "Prints what the API index of the crate's plugin says about <path>:\n"
     "a crate, a module or an item (crate[.module...][::Item...]): its\n"
     "kind and public path, its signature, the\n"
     "first paragraph of its docs, and how each parameter and result maps\n"
     "to a value of the VM (i64 with its range, f64, bool, str, vec_i64,\n"
     "vec_f64, unit, an opaque handle of a kind, or none: not\n"
     "representable, with why). A type lists the traits it implements\n"
     "(of Display, Debug, Clone, Default, Send, Sync), its fields or\n"
     "variants and its methods; a module its items. Modules are written\n"
     "with dots as in `from reqwest.blocking rimport Client`, or with ::.\n"
     "\n"
     "The plugin is built first when the cache has none (`rimport <crate>`;\n"
     "give the statements to import it otherwise, each as one argument:\n"
     "rimport doc reqwest.blocking::Client \\\n"
     "  'rimport reqwest(version=\"0.11\", features=[\"blocking\"])').\n"
     "\n"
     "  --json  print the item as rimport_api_item_json writes it\n",
     NULL},
    {"doctor", cli_doctor, "", "check the toolchain, cargo, cache and source",
     "Prints one line per thing rimport needs, ok or FAIL with what to do:\n"
     "the cache directory, the shared cache (reachable, writable or\n"
     "read-only, file locks), rustc and its std dylib, the rustc wrapper\n"
     "(found, executable), cargo, and the crate source that the options\n"
     "choose. The exit status is 1 when a check failed.\n",
     NULL},
    {"cache", cli_cache, NULL, "list, check, tidy or empty the plugin cache",
     "Works on the cache directory: --cache-dir, else the default that\n"
     "`rimport help` gives. `rimport cache help` prints this text.\n",
     cli_cache_cmds},
    {"version", cli_version, "", "print rimport's version",
     "Prints \"rimport X.Y.Z\", the version of the library it runs with\n"
     "(as `rimport --version`).\n",
     NULL},
    {"help", cli_help, "[<command>]", "print this text, or a command's help",
     "Without a command, lists the commands and the global options; with\n"
     "one, prints that command's help, as `rimport <command> --help` and\n"
     "`rimport <command> -h` do.\n",
     NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

/* A global option: before the command. */
typedef struct cli_opt {
  const char *name;       /* "--cache-dir" */
  const char *short_name; /* "-h", or NULL */
  const char *value;      /* what it takes ("DIR"), or NULL for a flag */
  /* Sets it: 0, or 2 after a message. NULL when `command` is set. */
  int (*set)(cli *c, const char *opt, const char *value);
  /* The option stands for this command (the rest of argv its arguments). */
  const char *command;
  const char *help; /* lines of at most 54 columns */
} cli_opt;

static int parse_uint(const cli *c, const char *opt, const char *s,
                      unsigned int *out) {
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v > 100000000UL) {
    fprintf(stderr,
            "%s: error: %s expects a whole number, got \"%s\"; see "
            "`%s help`\n",
            c->prog, opt, s, c->prog);
    return 2;
  }
  *out = (unsigned int)v;
  return 0;
}

static int set_cache_dir(cli *c, const char *opt, const char *value) {
  (void)opt;
  c->opts.cache_dir = value;
  return 0;
}

static int set_rustc(cli *c, const char *opt, const char *value) {
  (void)opt;
  c->opts.rustc_path = value;
  return 0;
}

static int set_target(cli *c, const char *opt, const char *value) {
  (void)opt;
  c->opts.target = value;
  return 0;
}

static int set_cargo(cli *c, const char *opt, const char *value) {
  (void)opt;
  c->opts.cargo_path = value;
  return 0;
}

static int set_offline(cli *c, const char *opt, const char *value) {
  (void)opt;
  (void)value;
  c->opts.offline = 1;
  return 0;
}

static int set_source_dir(cli *c, const char *opt, const char *value) {
  (void)opt;
  c->opts.source_kind = RIMPORT_SOURCE_DIRECTORY;
  c->opts.source = value;
  return 0;
}

static int set_source_registry(cli *c, const char *opt, const char *value) {
  (void)opt;
  c->opts.source_kind = RIMPORT_SOURCE_REGISTRY;
  c->opts.source = value;
  return 0;
}

static int set_cargo_config(cli *c, const char *opt, const char *value) {
  (void)opt;
  c->opts.source_kind = RIMPORT_SOURCE_CONFIG;
  c->opts.source = value;
  return 0;
}

static int set_jobs(cli *c, const char *opt, const char *value) {
  return parse_uint(c, opt, value, &c->opts.jobs);
}

static int set_build_timeout(cli *c, const char *opt, const char *value) {
  unsigned int secs;
  int status = parse_uint(c, opt, value, &secs);
  if (status == 0)
    c->opts.build_timeout_ms = secs * 1000u;
  return status;
}

static int set_shared_cache_dir(cli *c, const char *opt, const char *value) {
  (void)opt;
  c->opts.shared_cache_dir = value;
  return 0;
}

static int set_shared_cache_readonly(cli *c, const char *opt,
                                     const char *value) {
  (void)opt;
  (void)value;
  c->opts.shared_cache_readonly = 1;
  return 0;
}

static int set_rustc_wrapper(cli *c, const char *opt, const char *value) {
  (void)opt;
  c->opts.rustc_wrapper = value;
  return 0;
}

static const cli_opt cli_opts[] = {
    {"--cache-dir", NULL, "DIR", set_cache_dir, NULL,
     "cache directory (default: $RIMPORT_CACHE_DIR, else\n"
     "$XDG_CACHE_HOME/rimport, else ~/.cache/rimport; on\n"
     "Windows %LOCALAPPDATA%\\rimport\\cache)"},
    {"--shared-cache-dir", NULL, "DIR", set_shared_cache_dir, NULL,
     "a team's shared cache: plugins missing locally are\n"
     "taken from there (verified, copied in), plugins\n"
     "built here are published there (default:\n"
     "$RIMPORT_SHARED_CACHE_DIR, else none)"},
    {"--shared-cache-readonly", NULL, NULL, set_shared_cache_readonly, NULL,
     "only take plugins from the shared cache, never\n"
     "publish there ($RIMPORT_SHARED_CACHE_READONLY=1)"},
    {"--rustc", NULL, "PATH", set_rustc, NULL,
     "rustc to use (default: $RUSTC, else PATH)"},
    {"--cargo", NULL, "PATH", set_cargo, NULL,
     "cargo to use (default: $CARGO, else PATH)"},
    {"--rustc-wrapper", NULL, "PATH", set_rustc_wrapper, NULL,
     "run rustc through this program in plugin builds\n"
     "(cargo's RUSTC_WRAPPER, e.g. sccache; default:\n"
     "$RUSTC_WRAPPER; \"\" for none)"},
    {"--target", NULL, "TRIPLE", set_target, NULL,
     "build plugins and cells for this target (default:\n"
     "rustc's host), e.g. x86_64-pc-windows-gnu"},
    {"--offline", NULL, NULL, set_offline, NULL,
     "never let cargo use the network"},
    {"--source-dir", NULL, "DIR", set_source_dir, NULL,
     "take crates from a directory source (e.g.\n"
     "/usr/share/cargo/registry)"},
    {"--source-registry", NULL, "URL", set_source_registry, NULL,
     "take crates from a mirror registry"},
    {"--cargo-config", NULL, "FILE", set_cargo_config, NULL,
     "add a cargo config file to every cargo run"},
    {"--jobs", NULL, "N", set_jobs, NULL, "parallel cargo jobs"},
    {"--build-timeout", NULL, "SECS", set_build_timeout, NULL,
     "limit for one plugin build"},
    {"--help", "-h", NULL, NULL, "help", "print this text (as `help`)"},
    {"--version", NULL, NULL, NULL, "version",
     "print rimport's version (as `version`)"},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static const cli_opt *opt_lookup(const char *arg) {
  const cli_opt *o;
  for (o = cli_opts; o->name != NULL; o++)
    if (strcmp(arg, o->name) == 0 ||
        (o->short_name != NULL && strcmp(arg, o->short_name) == 0))
      return o;
  return NULL;
}

const cli_cmd *cli_cmd_lookup(const char *name) {
  const cli_cmd *cmd;
  for (cmd = cli_cmds; cmd->name != NULL; cmd++)
    if (strcmp(name, cmd->name) == 0)
      return cmd;
  return NULL;
}

const cli_subcmd *cli_subcmd_lookup(const cli_subcmd *table, const char *name) {
  for (; table != NULL && table->name != NULL; table++)
    if (strcmp(name, table->name) == 0)
      return table;
  return NULL;
}

/* Prints text whose lines after the first are indented by `indent`. */
static void print_indented(FILE *out, int indent, const char *text) {
  for (;;) {
    size_t n = strcspn(text, "\n");
    fprintf(out, "%.*s\n", (int)n, text);
    if (text[n] == '\0' || text[n + 1] == '\0')
      return;
    text += n + 1;
    fprintf(out, "%*s", indent, "");
  }
}

/* "name args", the arguments of a command with subcommands made from
 * their names: "cache <list|verify|gc|clear>". */
static void synopsis(const cli_cmd *cmd, char *buf, size_t size) {
  const cli_subcmd *sub;
  size_t n = (size_t)snprintf(buf, size, "%s", cmd->name);
  if (cmd->subcmds != NULL) {
    for (sub = cmd->subcmds; sub->name != NULL && n < size; sub++)
      n += (size_t)snprintf(buf + n, size - n, "%s%s",
                            sub == cmd->subcmds ? " <" : "|", sub->name);
    if (n < size)
      snprintf(buf + n, size - n, ">");
  } else if (cmd->args != NULL && cmd->args[0] != '\0') {
    snprintf(buf + n, size - n, " %s", cmd->args);
  }
}

static void usage(const cli *c, FILE *out) {
  const cli_cmd *cmd;
  const cli_opt *o;
  char left[128];
  fprintf(out, "usage: %s [options] <command> [arguments]\n\ncommands:\n",
          c->prog);
  for (cmd = cli_cmds; cmd->name != NULL; cmd++) {
    synopsis(cmd, left, sizeof(left));
    if (strlen(left) > 28)
      fprintf(out, "  %s\n  %-28s %s\n", left, "", cmd->summary);
    else
      fprintf(out, "  %-28s %s\n", left, cmd->summary);
  }
  fprintf(out, "\noptions (before the command):\n");
  for (o = cli_opts; o->name != NULL; o++) {
    snprintf(left, sizeof(left), "%s%s%s%s%s",
             o->short_name ? o->short_name : "", o->short_name ? ", " : "",
             o->name, o->value ? " " : "", o->value ? o->value : "");
    if (strlen(left) > 22) /* its help starts on the next line */
      fprintf(out, "  %s\n  %-22s ", left, "");
    else
      fprintf(out, "  %-22s ", left);
    print_indented(out, 25, o->help);
  }
  fprintf(out,
          "\n`%s help <command>` or `%s <command> --help` prints a command's\n"
          "help. A cell file holds one or more Kayton cells separated by\n"
          "lines that are exactly %%%%.\n",
          c->prog, c->prog);
}

void cli_cmd_help(const cli *c, const cli_cmd *cmd, FILE *out) {
  const cli_subcmd *sub;
  char syn[128];
  synopsis(cmd, syn, sizeof(syn));
  fprintf(out, "usage: %s [options] %s\n\n%s: %s.\n\n%s", c->prog, syn,
          cmd->name, cmd->summary, cmd->help);
  if (cmd->subcmds != NULL) {
    fprintf(out, "\nsubcommands:\n");
    for (sub = cmd->subcmds; sub->name != NULL; sub++) {
      fprintf(out, "  %-7s ", sub->name);
      print_indented(out, 10, sub->help);
    }
  }
  fprintf(out, "\nThe global options come before the command: see `%s help`.\n",
          c->prog);
}

int cli_unknown_option(const cli *c, const char *command, const char *opt) {
  fprintf(stderr, "%s: error: unknown option \"%s\" for %s; see `%s help %s`\n",
          c->prog, opt, command, c->prog, command);
  return 2;
}

int cli_no_args(const cli *c, const char *command, int argc, char **argv) {
  if (argc == 0)
    return 0;
  if (argv[0][0] == '-')
    return cli_unknown_option(c, command, argv[0]);
  fprintf(stderr,
          "%s: error: %s takes no arguments (got \"%s\"); see `%s help %s`\n",
          c->prog, command, argv[0], c->prog, command);
  return 2;
}

static int cli_version(cli *c, int argc, char **argv) {
  int status = cli_no_args(c, "version", argc, argv);
  if (status == 0)
    printf("%s %s\n", c->prog, rimport_version());
  return status;
}

static int cli_help(cli *c, int argc, char **argv) {
  const cli_cmd *cmd;
  if (argc == 0) {
    usage(c, stdout);
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr,
            "%s: error: help takes one command name (got \"%s\" after "
            "\"%s\"); see `%s help`\n",
            c->prog, argv[1], argv[0], c->prog);
    return 2;
  }
  if ((cmd = cli_cmd_lookup(argv[0])) == NULL) {
    fprintf(stderr, "%s: error: unknown command \"%s\"; see `%s help`\n",
            c->prog, argv[0], c->prog);
    return 2;
  }
  cli_cmd_help(c, cmd, stdout);
  return 0;
}

/* Runs a command; `--help` or `-h` among its arguments prints its help. */
static int run_cmd(cli *c, const cli_cmd *cmd, int argc, char **argv) {
  int a;
  for (a = 0; a < argc; a++)
    if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
      cli_cmd_help(c, cmd, stdout);
      return 0;
    }
  return cmd->fn(c, argc, argv);
}

int cli_main(int argc, char **argv) {
  cli c;
  const cli_cmd *cmd;
  int i, status;
  memset(&c, 0, sizeof(c));
  c.prog = "rimport";
  rimport_session_options_init(&c.opts, RIMPORT_SESSION_OPTIONS_VERSION);
  for (i = 1; i < argc && argv[i][0] == '-'; i++) {
    const cli_opt *o = opt_lookup(argv[i]);
    if (o == NULL) {
      fprintf(stderr, "%s: error: unknown option \"%s\"; see `%s help`\n",
              c.prog, argv[i], c.prog);
      return 2;
    }
    if (o->command != NULL)
      return run_cmd(&c, cli_cmd_lookup(o->command), argc - i - 1,
                     argv + i + 1);
    if (o->value != NULL && i + 1 >= argc) {
      fprintf(stderr, "%s: error: %s needs a value (%s); see `%s help`\n",
              c.prog, o->name, o->value, c.prog);
      return 2;
    }
    status = o->set(&c, o->name, o->value != NULL ? argv[++i] : NULL);
    if (status != 0)
      return status;
  }
  if (i >= argc) {
    fprintf(stderr, "%s: error: no command given\n", c.prog);
    usage(&c, stderr);
    return 2;
  }
  if ((cmd = cli_cmd_lookup(argv[i])) == NULL) {
    fprintf(stderr, "%s: error: unknown command \"%s\"; see `%s help`\n",
            c.prog, argv[i], c.prog);
    return 2;
  }
  return run_cmd(&c, cmd, argc - i - 1, argv + i + 1);
}
