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

static void gc_removed(const char *path, unsigned long long bytes,
                       void *payload) {
  char size[32];
  (void)payload;
  human_size(bytes, size, sizeof(size));
  printf("removed %s (%s)\n", path, size);
}

static void cache_usage(FILE *out, const char *prog) {
  fprintf(out,
          "usage: %s [options] cache <list|verify|gc|clear>\n"
          "  list    one line per entry: crate, key, size, created (UTC)\n"
          "  verify  check every entry's files against their XXH3; a\n"
          "          corrupt entry is moved aside (rebuilt on next use);\n"
          "          exit status 1 if any was corrupt\n"
          "  gc      remove what no process uses: stages of builds that\n"
          "          died, corrupt entries, free lock files, cargo's\n"
          "          workshop when nothing builds\n"
          "  clear   remove everything rimport put into the cache\n"
          "          directory (refused while a build runs)\n",
          prog);
}

int cli_cache(cli *c, int argc, char **argv) {
  rimport_session *s = NULL;
  const char *cmd = argc > 0 ? argv[0] : NULL;
  const char *dir;
  int status = 0, rc;
  if (cmd != NULL && (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0)) {
    cache_usage(stdout, c->prog);
    return 0;
  }
  if (cmd == NULL || (strcmp(cmd, "list") != 0 && strcmp(cmd, "verify") != 0 &&
                      strcmp(cmd, "gc") != 0 && strcmp(cmd, "clear") != 0)) {
    if (cmd != NULL)
      fprintf(stderr, "%s: error: unknown cache command \"%s\"\n", c->prog,
              cmd);
    cache_usage(stderr, c->prog);
    return 2;
  }
  if (argc > 1) {
    fprintf(stderr, "%s: error: cache %s takes no arguments (got \"%s\")\n",
            c->prog, cmd, argv[1]);
    return 2;
  }
  if (rimport_session_open(&s, &c->opts) != 0)
    return cli_fail(c, "opening the cache");
  dir = rimport_session_cache_dir(s);
  if (strcmp(cmd, "list") == 0 || strcmp(cmd, "verify") == 0) {
    visit_state vs;
    memset(&vs, 0, sizeof(vs));
    vs.verify = strcmp(cmd, "verify") == 0 ? RIMPORT__VERIFY_FULL : 0;
    rc = rimport__cache_walk(dir, vs.verify, visit, &vs);
    if (rc != 0) {
      status =
          cli_fail(c, vs.verify ? "verifying the cache" : "listing the cache");
    } else if (vs.entries == 0) {
      printf("no entries in %s\n", dir);
    } else if (vs.verify) {
      printf("%u entr%s checked, %u corrupt%s\n", vs.entries,
             vs.entries == 1 ? "y" : "ies", vs.corrupt,
             vs.corrupt ? " (moved aside; they are rebuilt on next use, "
                          "`rimport cache gc` removes them)"
                        : "");
      status = vs.corrupt ? 1 : 0;
    } else {
      char size[32];
      human_size(vs.bytes, size, sizeof(size));
      printf("%u entr%s, %s, in %s\n", vs.entries,
             vs.entries == 1 ? "y" : "ies", size, dir);
      status = vs.corrupt ? 1 : 0;
    }
  } else if (strcmp(cmd, "gc") == 0) {
    unsigned long long freed = 0;
    char size[32];
    rc = rimport__cache_gc_report(dir, gc_removed, NULL, &freed);
    human_size(freed, size, sizeof(size));
    printf("freed %s (%llu bytes) in %s\n", size, freed, dir);
    if (rc != 0)
      status = cli_fail(c, "cache gc");
  } else {
    if (rimport__cache_clear(dir) != 0)
      status = cli_fail(c, "cache clear");
    else
      printf("cleared %s\n", dir);
  }
  rimport_session_close(s);
  return status;
}
