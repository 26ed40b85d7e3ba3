/* Cache keys (DESIGN.md invariant 3): a canonical, versioned serialization of
 * every input that changes a plugin's bytes, hashed with XXH3-128. Strings are
 * length-prefixed so that no two inputs serialize alike. Aliases are not
 * part of it: they are bound in the cell, not in the plugin. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <xxhash.h>

#include "plan.h"
#include "../template/template.h"
#include "../common/fs.h"
#include "../platform.h"

static int put_str(rimport_buf *b, const char *tag, const char *s) {
  if (s == NULL)
    return rimport__buf_printf(b, "%s -\n", tag);
  return rimport__buf_printf(b, "%s %zu:%s\n", tag, strlen(s), s);
}

static void hex128(XXH128_hash_t h, char out[33]) {
  XXH128_canonical_t c;
  static const char digits[] = "0123456789abcdef";
  size_t i;
  XXH128_canonicalFromHash(&c, h);
  for (i = 0; i < sizeof(c.digest); i++) {
    out[2 * i] = digits[c.digest[i] >> 4];
    out[2 * i + 1] = digits[c.digest[i] & 15];
  }
  out[32] = '\0';
}

int rimport__plan_key(const rimport_plugin *p, const rimport_toolchain *tc,
                      const char *path_stamp, const char *const *parents,
                      size_t parent_count, rimport_buf *b, char key_hex[33]) {
  size_t i, j;
  int rc = 0;
  rimport__buf_clear(b);
  rc |= rimport__buf_printf(b, "rimport-plugin-key %d\n", RIMPORT__KEY_FORMAT);
  rc |= rimport__buf_printf(b, "kayton-abi %d\n", KAYTON_API_ABI_VERSION);
  /* The hash of every embedded template (src/gen): a template edit gives
   * new keys by itself. */
  rc |= rimport__buf_printf(b, "template %s\n", rimport__template_hash());
  rc |= put_str(b, "profile", RIMPORT__BUILD_PROFILE);
  rc |= put_str(b, "toolchain", tc->fingerprint);
  rc |= put_str(b, "target", tc->target);
  rc |= put_str(b, "crate", p->crate);
  rc |= put_str(b, "package", p->package);
  if (p->source == RIMPORT_FROM_PATH) {
    rc |= put_str(b, "source-path", p->path);
    rc |= put_str(b, "source-stamp", path_stamp);
  } else {
    rc |= put_str(b, "source-registry", p->version ? p->version : "*");
  }
  rc |= rimport__buf_printf(b, "default-features %d\n", p->default_features);
  for (i = 0; i < p->feature_count; i++)
    rc |= put_str(b, "feature", p->features[i]);
  rc |= rimport__buf_printf(b, "whole-crate %d\n", p->whole_crate ? 1 : 0);
  for (i = 0; i < p->item_count; i++) {
    const rimport_plugin_item *it = &p->items[i];
    rc |= put_str(b, "item-module", it->module);
    rc |= put_str(b, "item-name", it->name);
    for (j = 0; j < it->shape_count; j++)
      rc |= put_str(b, "item-shape", rimport_shape_name(it->shapes[j]));
  }
  /* The resolved version is not an input: it is known only after cargo has
   * resolved, and a warm lookup must not run cargo. A requirement resolves
   * once per key (like a lock file); the manifest records the result. */
  for (i = 0; i < parent_count; i++)
    rc |= put_str(b, "parent", parents[i]);
  rc |= rimport__buf_puts(b, "end\n");
  if (rc != 0)
    return rimport__error_nomem();
  hex128(XXH3_128bits(b->ptr, b->size), key_hex);
  return 0;
}

/* --- path crates: a stamp of their files -------------------------------- */

typedef struct stamp_walk {
  rimport_buf list; /* "relpath\0size\0mtime\n" records, then sorted */
  size_t files;
} stamp_walk;

#define STAMP_MAX_FILES 100000

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int walk(stamp_walk *w, const char *root, const char *rel);

/* One directory being walked: its path relative to the crate's root. */
typedef struct walk_dir {
  stamp_walk *w;
  const char *root, *rel;
} walk_dir;

static int walk_entry(const rimport__dirent *ent, void *payload) {
  const walk_dir *d = payload;
  rimport_buf child = RIMPORT_BUF_INIT, relchild = RIMPORT_BUF_INIT;
  rimport__stat st;
  int rc;
  if (ent->name[0] == '.')
    return 0; /* .git, editor files */
  if (*d->rel == '\0' && strcmp(ent->name, "target") == 0)
    return 0; /* cargo's output */
  if ((rc =
           (*d->rel ? rimport__buf_printf(&relchild, "%s/%s", d->rel, ent->name)
                    : rimport__buf_puts(&relchild, ent->name))) != 0 ||
      (rc = rimport__path_join(&child, d->root, relchild.ptr)) != 0)
    goto done;
  if (rimport__fs_stat(child.ptr, &st) != 0) {
    rimport_error_clear(); /* vanished while we looked: skip it */
  } else if (st.is_dir) {
    rc = walk(d->w, d->root, relchild.ptr);
  } else if (++d->w->files > STAMP_MAX_FILES) {
    rc = rimport__error_set(
        RIMPORT_EINVAL,
        "the local crate \"%s\" has more than %d files; point path= at the "
        "crate's own directory, not a parent",
        d->root, STAMP_MAX_FILES);
  } else {
    rc = rimport__buf_printf(&d->w->list, "%s%c%llu %lld.%09lld\n",
                             relchild.ptr, 0, (unsigned long long)st.size,
                             (long long)st.mtime_sec, (long long)st.mtime_nsec);
  }
done:
  rimport_buf_dispose(&child);
  rimport_buf_dispose(&relchild);
  return rc;
}

static int walk(stamp_walk *w, const char *root, const char *rel) {
  rimport_buf dir = RIMPORT_BUF_INIT;
  walk_dir d;
  int rc;
  if ((rc = (*rel ? rimport__path_join(&dir, root, rel)
                  : rimport__buf_puts(&dir, root))) != 0)
    return rc;
  d.w = w;
  d.root = root;
  d.rel = rel;
  rc = rimport__fs_list_dir(dir.ptr, walk_entry, &d);
  if (rc == RIMPORT_ENOTFOUND || rc == RIMPORT_EIO)
    rimport__error_prefix("listing the local crate directory \"%s\" failed; "
                          "check that it exists and its permissions",
                          dir.ptr);
  rimport_buf_dispose(&dir);
  return rc;
}

int rimport__plan_path_stamp(const char *dir, char stamp_hex[33]) {
  stamp_walk w = {RIMPORT_BUF_INIT, 0};
  const char **lines = NULL;
  size_t count = 0, cap = 0, i;
  char *p, *end;
  XXH3_state_t *state = NULL;
  int rc = walk(&w, dir, "");
  /* Sort the records: directory order differs between file systems. */
  for (p = w.list.ptr, end = p ? p + w.list.size : NULL; rc == 0 && p < end;) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    if ((rc = rimport__grow((void **)&lines, &cap, count + 1,
                            sizeof(*lines))) != 0)
      break;
    lines[count++] = p;
    *nl = '\0';
    p = nl + 1;
  }
  if (rc == 0 && (state = XXH3_createState()) == NULL)
    rc = rimport__error_nomem();
  if (rc == 0) {
    qsort(lines, count, sizeof(*lines), cmp_str);
    XXH3_128bits_reset(state);
    for (i = 0; i < count; i++) {
      size_t nlen = strlen(lines[i]);
      const char *meta = lines[i] + nlen + 1;
      XXH3_128bits_update(state, lines[i], nlen + 1);
      XXH3_128bits_update(state, meta, strlen(meta) + 1);
    }
    hex128(XXH3_128bits_digest(state), stamp_hex);
  }
  XXH3_freeState(state);
  rimport__free(lines);
  rimport_buf_dispose(&w.list);
  return rc;
}
