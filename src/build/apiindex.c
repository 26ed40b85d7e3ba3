/* The API index of a plugin (README "The API index"): after cargo built
 * the plugin, rustdoc JSON of the wrapped crate and of the crates whose
 * items it re-exports (rustdoc.c), read into the index (src/api) and
 * written beside the plugin's sources as api.json, which publish puts in
 * the entry. Anything that goes wrong is a warning: the import works
 * without an index. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "apiindex.h"
#include "../api/api.h"
#include "../common/fs.h"
#include "../common/json.h"
#include "../platform.h"

#define MAX_DOCS 8            /* the crate and the crates it re-exports */
#define JSON_MAX (512u << 20) /* rustdoc's JSON of one crate, at most */

static void warn(const rimport__rustdoc_job *rj, const char *crate,
                 const char *what) {
  rimport_progress pr;
  char msg[4096];
  if (rj->opts == NULL || rj->opts->progress == NULL)
    return;
  snprintf(msg, sizeof(msg),
           "warning: no API index for %s (the import works without one: "
           "no kinds or signatures for the front-end): %s",
           crate, what);
  memset(&pr, 0, sizeof(pr));
  pr.phase = RIMPORT_PROGRESS_WARNING;
  pr.plugin = crate;
  pr.message = msg;
  rj->opts->progress(&pr, rj->opts->progress_payload);
}

/* The id of the dependency of package `id` whose library is the crate
 * `name` (as rustdoc names crates), or NULL. */
static const char *dependency_id(const cJSON *metadata, const char *id,
                                 const char *name) {
  const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(
                  cJSON_GetObjectItemCaseSensitive(metadata, "resolve"),
                  "nodes"),
              *node, *dep, *pkg, *t;
  cJSON_ArrayForEach(node, nodes) {
    const char *nid = rimport__json_str(node, "id");
    if (nid == NULL || strcmp(nid, id) != 0)
      continue;
    cJSON_ArrayForEach(dep, cJSON_GetObjectItemCaseSensitive(node, "deps")) {
      const char *pid = rimport__json_str(dep, "pkg");
      if (pid == NULL)
        continue;
      cJSON_ArrayForEach(
          pkg, cJSON_GetObjectItemCaseSensitive(metadata, "packages")) {
        const char *p = rimport__json_str(pkg, "id");
        if (p == NULL || strcmp(p, pid) != 0)
          continue;
        cJSON_ArrayForEach(t,
                           cJSON_GetObjectItemCaseSensitive(pkg, "targets")) {
          const char *tn = rimport__json_str(t, "name");
          size_t i;
          if (tn == NULL || strlen(tn) != strlen(name))
            continue;
          for (i = 0;
               tn[i] && (tn[i] == name[i] || (tn[i] == '-' && name[i] == '_'));
               i++)
            ;
          if (tn[i] == '\0')
            return pid;
        }
      }
    }
  }
  return NULL;
}

/* rustdoc's JSON of package `id`, read into text. */
static int document(const rimport__rustdoc_job *rj, const char *id,
                    const char *out_dir, rimport_buf *text) {
  rimport_buf path = RIMPORT_BUF_INIT;
  int rc = rimport__rustdoc_json(rj, id, out_dir, &path);
  if (rc == 0)
    rc = rimport__fs_read_file(path.ptr, JSON_MAX, text);
  rimport_buf_dispose(&path);
  return rc;
}

int rimport__build_api_index(const rimport__rustdoc_job *rj, const char *crate,
                             const char *package, const char *version,
                             const char *work_dir, rimport_buf *index_path) {
  rimport_buf texts[MAX_DOCS], out_dir = RIMPORT_BUF_INIT,
                               names = RIMPORT_BUF_INIT,
                               index = RIMPORT_BUF_INIT;
  rimport__rustdoc_doc docs[MAX_DOCS];
  char what[MAX_DOCS][160];
  const char *id = rimport__rustdoc_package_id(rj->metadata, package, version);
  size_t n = 0, i;
  int rc;
  rimport__buf_clear(index_path);
  memset(texts, 0, sizeof(texts));
  if (id == NULL) {
    warn(rj, crate, "cargo metadata does not list the crate's package");
    return 0;
  }
  if ((rc = rimport__buf_printf(&out_dir, "%s%crustdoc", work_dir,
                                rimport__dir_sep)) != 0)
    return rc;
  rc = document(rj, id, out_dir.ptr, &texts[0]);
  if (rc == 0) {
    snprintf(what[0], sizeof(what[0]), "rustdoc JSON of %s", crate);
    docs[0].json = texts[0].ptr;
    docs[0].len = texts[0].size;
    docs[0].what = what[0];
    n = 1;
    /* The crates whose items it re-exports: documented too, when the
     * build made them (a failure there only leaves them undescribed). */
    if ((rc = rimport__api_reexported_crates(&docs[0], &names)) == 0) {
      const char *p = names.ptr, *nl;
      while (rc == 0 && p && *p && n < MAX_DOCS) {
        char name[128];
        const char *dep;
        size_t len;
        nl = strchr(p, '\n');
        len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > 0 && len < sizeof(name)) {
          memcpy(name, p, len);
          name[len] = '\0';
          if ((dep = dependency_id(rj->metadata, id, name)) != NULL &&
              document(rj, dep, out_dir.ptr, &texts[n]) == 0) {
            snprintf(what[n], sizeof(what[n]), "rustdoc JSON of %s", name);
            docs[n].json = texts[n].ptr;
            docs[n].len = texts[n].size;
            docs[n].what = what[n];
            n++;
          } else {
            rimport_error_clear();
          }
        }
        p = nl ? nl + 1 : NULL;
      }
    }
  }
  if (rc == 0)
    rc = rimport__api_from_rustdoc(docs, n, crate, version, &index);
  if (rc == 0 && (rc = rimport__buf_printf(index_path, "%s%c%s", work_dir,
                                           rimport__dir_sep,
                                           RIMPORT__API_INDEX_FILE)) == 0)
    rc = rimport__fs_write_atomic(index_path->ptr, index.ptr, index.size);
  if (rc == RIMPORT_ECANCELED || rc == RIMPORT_ENOMEM) {
    rimport__buf_clear(index_path);
  } else if (rc != 0) {
    warn(rj, crate, rimport_error_last()->message);
    rimport_error_clear();
    rimport__buf_clear(index_path);
    rc = 0;
  }
  for (i = 0; i < MAX_DOCS; i++)
    rimport_buf_dispose(&texts[i]);
  rimport_buf_dispose(&out_dir);
  rimport_buf_dispose(&names);
  rimport_buf_dispose(&index);
  return rc;
}
