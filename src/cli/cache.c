/* rimport cache list|verify|gc|clear: the plugin cache as a person sees it
 * (src/cache/cache.h). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cache/cache.h"
#include "common/common.h"

/* "5.7 MiB": sizes for a person. */
static void human_size(unsigned long long bytes, char *buf, size_t size) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = (double)bytes;
  size_t u = 0;
  if (bytes < 1024) {
    snprintf(buf, size, "%llu B", bytes);
    return;
  }
  v /= 1024.0;
  while (v >= 1024.0 && u + 1 < RIMPORT__ARRAY_SIZE(units)) {
    v /= 1024.0;
    u++;
  }
  snprintf(buf, size, "%.1f %s", v, units[u]);
}

typedef struct visit_state {
  unsigned int entries, corrupt;
  unsigned long long bytes;
  int verify;
} visit_state;

static void visit(const char *crate, const char *key,
                  const rimport__entry *entry, int verify_rc, void *payload) {
  visit_state *vs = payload;
  const rimport_error *e;
  char size[32];
  vs->entries++;
  if (verify_rc == 0) {
    const cJSON *created =
        cJSON_GetObjectItemCaseSensitive(entry->manifest, "created");
    vs->bytes += entry->size;
    human_size(entry->size, size, sizeof(size));
    if (vs->verify)
      printf("OK       %s %s\n", crate, key);
    else
      printf("%-24s %s  %10s  %s\n", crate, key, size,
             cJSON_IsString(created) ? created->valuestring : "?");
    return;
  }
  vs->corrupt++;
  e = rimport_error_last();
  printf("CORRUPT  %s %s: %s [%s]\n", crate, key,
         e ? e->message : "unknown failure", rimport_err_name(verify_rc));
}

/* payload: the count of kept entries (unsigned *). */
static void gc_removed(const char *path, unsigned long long bytes,
                       const char *kept, void *payload) {
  char size[32];
  if (kept != NULL) {
    printf("kept %s: %s\n", path, kept);
    ++*(unsigned *)payload;
    return;
  }
  human_size(bytes, size, sizeof(size));
  printf("removed %s (%s)\n", path, size);
}

static int cache_walk(cli *c, const char *dir, int verify) {
  visit_state vs;
  char size[32];
  memset(&vs, 0, sizeof(vs));
  vs.verify = verify ? RIMPORT__VERIFY_FULL : 0;
  if (rimport__cache_walk(dir, vs.verify, visit, &vs) != 0)
    return cli_fail(c, verify ? "verifying the cache" : "listing the cache");
  if (vs.entries == 0) {
    printf("no entries in %s\n", dir);
  } else if (verify) {
    printf("%u entr%s checked, %u corrupt%s\n", vs.entries,
           vs.entries == 1 ? "y" : "ies", vs.corrupt,
           vs.corrupt ? " (moved aside; they are rebuilt on next use, "
                        "`rimport cache gc` removes them)"
                      : "");
  } else {
    human_size(vs.bytes, size, sizeof(size));
    printf("%u entr%s, %s, in %s\n", vs.entries, vs.entries == 1 ? "y" : "ies",
           size, dir);
  }
  return vs.corrupt ? 1 : 0;
}

static int cache_list(cli *c, const char *dir) {
  return cache_walk(c, dir, 0);
}

static int cache_verify(cli *c, const char *dir) {
  return cache_walk(c, dir, 1);
}

static int cache_gc(cli *c, const char *dir) {
  unsigned long long freed = 0;
  unsigned kept = 0;
  char size[32];
  int rc = rimport__cache_gc_report(dir, gc_removed, &kept, &freed);
  human_size(freed, size, sizeof(size));
  printf("freed %s (%llu bytes) in %s", size, freed, dir);
  if (kept > 0)
    printf("; kept %u in use (above)", kept);
  printf("\n");
  return rc != 0 ? cli_fail(c, "cache gc") : 0;
}

static int cache_clear(cli *c, const char *dir) {
  unsigned kept = 0;
  if (rimport__cache_clear_report(dir, gc_removed, &kept) != 0)
    return cli_fail(c, "cache clear");
  if (kept > 0)
    printf("cleared %s, except %u entr%s in use (above): run `rimport cache "
           "clear` again once the processes that loaded them have ended\n",
           dir, kept, kept == 1 ? "y" : "ies");
  else
    printf("cleared %s\n", dir);
  return 0;
}

/* Dispatch and `rimport help cache` both read this table. */
const cli_subcmd cli_cache_cmds[] = {
    {"list", cache_list, "one line per entry: crate, key, size, created (UTC)"},
    {"verify", cache_verify,
     "check every entry's files against their XXH3; a\n"
     "corrupt entry is moved aside (rebuilt on next use);\n"
     "exit status 1 if any was corrupt"},
    {"gc", cache_gc,
     "remove what no process uses: stages of builds that\n"
     "died, corrupt entries, free lock files, cargo's\n"
     "workshop when nothing builds; entries a running\n"
     "process has loaded are kept (and named)"},
    {"clear", cache_clear,
     "remove everything rimport put into the cache\n"
     "directory (refused while a build runs); entries a\n"
     "running process has loaded are kept (and named)"},
    {NULL, NULL, NULL},
};

int cli_cache(cli *c, int argc, char **argv) {
  rimport_session *s = NULL;
  const cli_subcmd *sub;
  int status;
  if (argc > 0 && strcmp(argv[0], "help") == 0) {
    cli_cmd_help(c, cli_cmd_lookup("cache"), stdout);
    return 0;
  }
  if (argc == 0) {
    fprintf(stderr,
            "%s: error: cache needs a subcommand; see `%s help cache`\n",
            c->prog, c->prog);
    return 2;
  }
  if ((sub = cli_subcmd_lookup(cli_cache_cmds, argv[0])) == NULL) {
    fprintf(stderr,
            "%s: error: unknown cache command \"%s\"; see `%s help cache`\n",
            c->prog, argv[0], c->prog);
    return 2;
  }
  if (argc > 1) {
    if (argv[1][0] == '-')
      return cli_unknown_option(c, "cache", argv[1]);
    fprintf(stderr,
            "%s: error: cache %s takes no arguments (got \"%s\"); see `%s "
            "help cache`\n",
            c->prog, sub->name, argv[1], c->prog);
    return 2;
  }
  if (rimport_session_open(&s, &c->opts) != 0)
    return cli_fail(c, "opening the cache");
  status = sub->fn(c, rimport_session_cache_dir(s));
  rimport_session_close(s);
  return status;
}
