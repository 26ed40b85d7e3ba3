/* rimport: the command-line front of the library.
 *
 *   rimport [options] plan <cell-file> [--json]
 *   rimport [options] build <cell-file>
 *   rimport [options] run <cell-file>
 *   rimport [options] repl
 *   rimport [options] doctor
 *   rimport [options] cache list|verify|gc|clear
 *   rimport version | help
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *out, const char *prog) {
  fprintf(
      out,
      "usage: %s [options] <command> [arguments]\n"
      "\n"
      "commands:\n"
      "  plan <cell-file> [--json]  parse the rimport statements of a cell\n"
      "                             file and print the plugins it needs,\n"
      "                             with their cache keys\n"
      "  doctor                     check the toolchain, cargo, the cache\n"
      "                             directory and the crate source\n"
      "  cache list|verify|gc|clear list, check, tidy or empty the plugin\n"
      "                             cache (`cache help` says more)\n"
      "  version                    print rimport's version\n"
      "  help                       print this text\n"
      "\n"
      "options:\n"
      "  --cache-dir DIR        cache directory (default: "
      "$RIMPORT_CACHE_DIR,\n"
      "                         else ~/.cache/rimport)\n"
      "  --rustc PATH           rustc to use (default: $RUSTC, else PATH)\n"
      "  --cargo PATH           cargo to use (default: $CARGO, else PATH)\n"
      "  --offline              never let cargo use the network\n"
      "  --source-dir DIR       take crates from a directory source (e.g.\n"
      "                         /usr/share/cargo/registry)\n"
      "  --source-registry URL  take crates from a mirror registry\n"
      "  --cargo-config FILE    add a cargo config file to every cargo "
      "run\n"
      "  --jobs N               parallel cargo jobs\n"
      "  --build-timeout SECS   limit for one plugin build\n"
      "\n"
      "A cell file holds one or more Kayton cells separated by lines that "
      "are\nexactly %%%%.\n",
      prog);
}

static int parse_uint(const char *prog, const char *opt, const char *s,
                      unsigned int *out) {
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v > 100000000UL) {
    fprintf(stderr,
            "%s: error: %s expects a whole number, got \"%s\"; see "
            "`%s help`\n",
            prog, opt, s, prog);
    return -1;
  }
  *out = (unsigned int)v;
  return 0;
}

int main(int argc, char **argv) {
  cli c;
  int i;
  unsigned int secs;
  memset(&c, 0, sizeof(c));
  c.prog = "rimport";
  rimport_session_options_init(&c.opts, RIMPORT_SESSION_OPTIONS_VERSION);
  for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
    const char *opt = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    int takes = 1;
    if (strcmp(opt, "--offline") == 0) {
      c.opts.offline = 1;
      takes = 0;
    } else if (strcmp(opt, "--help") == 0) {
      usage(stdout, c.prog);
      return 0;
    } else if (strcmp(opt, "--version") == 0) {
      printf("rimport %s\n", rimport_version());
      return 0;
    } else if (val == NULL) {
      fprintf(stderr, "%s: error: %s needs a value; see `%s help`\n", c.prog,
              opt, c.prog);
      return 2;
    } else if (strcmp(opt, "--cache-dir") == 0) {
      c.opts.cache_dir = val;
    } else if (strcmp(opt, "--rustc") == 0) {
      c.opts.rustc_path = val;
    } else if (strcmp(opt, "--cargo") == 0) {
      c.opts.cargo_path = val;
    } else if (strcmp(opt, "--source-dir") == 0) {
      c.opts.source_kind = RIMPORT_SOURCE_DIRECTORY;
      c.opts.source = val;
    } else if (strcmp(opt, "--source-registry") == 0) {
      c.opts.source_kind = RIMPORT_SOURCE_REGISTRY;
      c.opts.source = val;
    } else if (strcmp(opt, "--cargo-config") == 0) {
      c.opts.source_kind = RIMPORT_SOURCE_CONFIG;
      c.opts.source = val;
    } else if (strcmp(opt, "--jobs") == 0) {
      if (parse_uint(c.prog, opt, val, &c.opts.jobs) != 0)
        return 2;
    } else if (strcmp(opt, "--build-timeout") == 0) {
      if (parse_uint(c.prog, opt, val, &secs) != 0)
        return 2;
      c.opts.build_timeout_ms = secs * 1000u;
    } else {
      fprintf(stderr, "%s: error: unknown option \"%s\"; see `%s help`\n",
              c.prog, opt, c.prog);
      return 2;
    }
    i += takes;
  }
  if (i >= argc) {
    usage(stderr, c.prog);
    return 2;
  }
  if (strcmp(argv[i], "plan") == 0)
    return cli_plan(&c, argc - i - 1, argv + i + 1);
  if (strcmp(argv[i], "doctor") == 0)
    return cli_doctor(&c, argc - i - 1, argv + i + 1);
  if (strcmp(argv[i], "build") == 0)
    return cli_build(&c, argc - i - 1, argv + i + 1);
  if (strcmp(argv[i], "run") == 0)
    return cli_run(&c, argc - i - 1, argv + i + 1);
  if (strcmp(argv[i], "repl") == 0)
    return cli_repl(&c, argc - i - 1, argv + i + 1);
  if (strcmp(argv[i], "cache") == 0)
    return cli_cache(&c, argc - i - 1, argv + i + 1);
  if (strcmp(argv[i], "version") == 0) {
    printf("rimport %s\n", rimport_version());
    return 0;
  }
  if (strcmp(argv[i], "help") == 0) {
    usage(stdout, c.prog);
    return 0;
  }
  fprintf(stderr, "%s: error: unknown command \"%s\"; see `%s help`\n", c.prog,
          argv[i], c.prog);
  return 2;
}
