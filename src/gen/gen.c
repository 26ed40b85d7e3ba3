/* Plugin crates from the embedded templates (see gen.h and
 * plugin_templates/plugin/lib.rs.tpl for the naming scheme a cell uses).
 *
 * Every identifier that reaches Rust code (crate, plugin and parent names,
 * module path segments, item names) is validated here and rendered as is;
 * every other string (paths, features, versions, the manifest) is rendered
 * through an escaping placeholder. The values and records the templates see
 * live in one arena per call. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <uv.h>
#include <xxhash.h>

#include "kayton_api.h"
#include "gen.h"
#include "templates.h"
#include "../common/arena.h"
#include "../common/fs.h"
#include "../common/names.h"
#include "../platform.h"
#include "../plan/plan.h"

_Static_assert(RIMPORT__KAYTON_ABI_VERSION == KAYTON_API_ABI_VERSION,
               "the key's ABI version is kayton_api.h's");

#define MAX_MODULE_DEPTH 64
#define MANIFEST_FORMAT  1

/* --- embedded templates and their hash ----------------------------------- */

static const rimport__template *find_template(const char *path) {
  size_t i;
  for (i = 0; i < rimport__template_count; i++)
    if (strcmp(rimport__templates[i].path, path) == 0)
      return &rimport__templates[i];
  rimport__error_set(RIMPORT_EINTERNAL,
                     "the template \"%s\" is not embedded in this build of "
                     "rimport; rebuild it from a complete source tree",
                     path);
  return NULL;
}

static uv_once_t hash_once = UV_ONCE_INIT;
static char hash_hex[33];

/* A chain over the templates in path order: acc = XXH3-128(acc, XXH3-128 of
 * the path with its NUL, the length as 8 bytes little-endian, XXH3-128 of
 * the text). Allocates nothing, so it cannot fail. */
static void hash_templates(void) {
  XXH128_canonical_t c;
  unsigned char block[56];
  static const char digits[] = "0123456789abcdef";
  size_t i, k;
  memset(block, 0, sizeof(block));
  for (i = 0; i < rimport__template_count; i++) {
    const rimport__template *t = &rimport__templates[i];
    uint64_t len = (uint64_t)t->len;
    XXH128_canonicalFromHash(&c, XXH3_128bits(t->path, strlen(t->path) + 1));
    memcpy(block + 16, c.digest, 16);
    for (k = 0; k < 8; k++)
      block[32 + k] = (unsigned char)(len >> (8 * k));
    XXH128_canonicalFromHash(&c, XXH3_128bits(t->text, t->len));
    memcpy(block + 40, c.digest, 16);
    XXH128_canonicalFromHash(&c, XXH3_128bits(block, sizeof(block)));
    memcpy(block, c.digest, 16);
  }
  for (i = 0; i < 16; i++) {
    hash_hex[2 * i] = digits[block[i] >> 4];
    hash_hex[2 * i + 1] = digits[block[i] & 15];
  }
  hash_hex[32] = '\0';
}

const char *rimport__gen_template_hash(void) {
  uv_once(&hash_once, hash_templates);
  return hash_hex;
}

/* --- writing files only when they change --------------------------------- */

static int write_if_changed(const char *path, const char *data, size_t len) {
  rimport_buf old = RIMPORT_BUF_INIT;
  int same = 0, rc;
  if (rimport__fs_read_file(path, len + 1, &old) == 0)
    same = old.size == len && (len == 0 || memcmp(old.ptr, data, len) == 0);
  else
    rimport_error_clear(); /* missing, larger or unreadable: write it */
  rimport_buf_dispose(&old);
  if (same)
    return 0;
  if ((rc = rimport__fs_write_atomic(path, data, len)) != 0)
    rimport__error_prefix("writing the generated file \"%s\"", path);
  return rc;
}

static int write_in(const char *dir, const char *rel, const char *data,
                    size_t len) {
  rimport_buf path = RIMPORT_BUF_INIT, sub = RIMPORT_BUF_INIT,
              parent = RIMPORT_BUF_INIT;
  const char *slash = strrchr(rel, '/');
  int rc = rimport__path_join(&path, dir, rel);
  if (rc == 0 && slash != NULL &&
      (rc = rimport__buf_put(&sub, rel, (size_t)(slash - rel))) == 0 &&
      (rc = rimport__path_join(&parent, dir, sub.ptr)) == 0)
    rc = rimport__fs_mkdir_p(parent.ptr);
  if (rc == 0)
    rc = write_if_changed(path.ptr, data, len);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&sub);
  rimport_buf_dispose(&parent);
  return rc;
}

/* --- the kayton_api crate ------------------------------------------------ */

int rimport__gen_kayton_api_dir(const char *cache_dir, rimport_buf *out) {
  rimport__buf_clear(out);
  return rimport__buf_printf(out, "%s%c_kayton_api%c%s", cache_dir,
                             rimport__dir_sep, rimport__dir_sep,
                             rimport__gen_template_hash());
}

int rimport__gen_kayton_api(const char *dir) {
  static const char prefix[] = "kayton_api/";
  rimport_buf text = RIMPORT_BUF_INIT;
  size_t i, n = 0;
  int rc = 0;
  if (dir == NULL || *dir == '\0')
    return rimport__error_set(RIMPORT_EINVAL,
                              "writing the kayton_api crate: no directory");
  if ((rc = rimport__fs_mkdir_p(dir)) != 0)
    return rc;
  for (i = 0; rc == 0 && i < rimport__template_count; i++) {
    const rimport__template *t = &rimport__templates[i];
    const char *rel = t->path + sizeof(prefix) - 1, *ext;
    if (strncmp(t->path, prefix, sizeof(prefix) - 1) != 0)
      continue;
    n++;
    rimport__buf_clear(&text);
    ext = strrchr(rel, '.');
    if (ext && strcmp(ext, ".rs") == 0)
      rc = rimport__buf_printf(&text,
                               "// generated by rimport %s; do not edit\n",
                               rimport_version());
    else if (ext && strcmp(ext, ".toml") == 0)
      rc = rimport__buf_printf(
          &text, "# generated by rimport %s; do not edit\n", rimport_version());
    if (rc == 0)
      rc = rimport__buf_put(&text, t->text, t->len);
    if (rc == 0)
      rc = write_in(dir, rel, text.ptr, text.size);
  }
  rimport_buf_dispose(&text);
  if (rc == 0 && n == 0)
    rc = rimport__error_set(RIMPORT_EINTERNAL,
                            "this build of rimport embeds no kayton_api "
                            "crate; rebuild it from a complete source tree");
  return rc;
}

/* --- template data ------------------------------------------------------- */

typedef struct rvec {
  rimport__tpl_record *v;
  size_t n, cap;
} rvec;

typedef struct gen {
  rimport__arena arena;
  const rimport__gen_input *in;
  const char *crate; /* Rust name */
} gen;

/* A record under construction: at most this many values and lists. */
typedef struct rec {
  rimport__tpl_var vars[16];
  size_t nv;
  rimport__tpl_list lists[8];
  size_t nl;
} rec;

static void rec_var(rec *r, const char *name, const char *value) {
  r->vars[r->nv].name = name;
  r->vars[r->nv].value = value;
  r->nv++;
}

static void rec_list(rec *r, const char *name, const rvec *v) {
  r->lists[r->nl].name = name;
  r->lists[r->nl].records = v->v;
  r->lists[r->nl].count = v->n;
  r->nl++;
}

static int rvec_push(gen *g, rvec *v, const rec *r) {
  rimport__tpl_record *slot;
  if (v->n == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 8;
    rimport__tpl_record *nv =
        rimport__arena_alloc(&g->arena, cap * sizeof(*nv));
    if (nv == NULL)
      return RIMPORT_ENOMEM;
    if (v->n)
      memcpy(nv, v->v, v->n * sizeof(*nv));
    v->v = nv;
    v->cap = cap;
  }
  slot = &v->v[v->n];
  memset(slot, 0, sizeof(*slot));
  if (r->nv && (slot->vars = rimport__arena_memdup(
                    &g->arena, r->vars, r->nv * sizeof(*r->vars))) == NULL)
    return RIMPORT_ENOMEM;
  if (r->nl && (slot->lists = rimport__arena_memdup(
                    &g->arena, r->lists, r->nl * sizeof(*r->lists))) == NULL)
    return RIMPORT_ENOMEM;
  slot->var_count = r->nv;
  slot->list_count = r->nl;
  v->n++;
  return 0;
}

static char *gen_printf(gen *g, const char *fmt, ...) RIMPORT__PRINTF(2, 3);
static char *gen_printf(gen *g, const char *fmt, ...) {
  rimport_buf b = RIMPORT_BUF_INIT;
  va_list ap;
  char *s = NULL;
  int rc;
  va_start(ap, fmt);
  rc = rimport__buf_vprintf(&b, fmt, ap);
  va_end(ap);
  if (rc == 0)
    s = rimport__arena_strdup(&g->arena, b.ptr);
  rimport_buf_dispose(&b);
  return s;
}

/* --- module trees: items and instantiations under their module paths ---- */

typedef struct mnode mnode;
struct mnode {
  const char *seg;     /* path segment; NULL for the root */
  const char *path;    /* "a::b::" (with the trailing ::), "" for the root */
  int depth;           /* 0 for the root */
  mnode *child, *next; /* children sorted by segment */
  const rimport_plugin_item **items; /* requested here, in input order */
  size_t item_count, item_cap;
  int has_glob;
};

static mnode *node_child(gen *g, mnode *parent, const char *seg,
                         size_t seg_len) {
  mnode **link = &parent->child, *n;
  for (; *link; link = &(*link)->next) {
    int c = strncmp((*link)->seg, seg, seg_len);
    if (c == 0 && (*link)->seg[seg_len] == '\0')
      return *link;
    if (c > 0 || (c == 0 && (*link)->seg[seg_len] != '\0'))
      break;
  }
  if ((n = rimport__arena_alloc(&g->arena, sizeof(*n))) == NULL ||
      (n->seg = rimport__arena_strndup(&g->arena, seg, seg_len)) == NULL ||
      (n->path = gen_printf(g, "%s%s::", parent->path, n->seg)) == NULL)
    return NULL;
  n->depth = parent->depth + 1;
  n->next = *link;
  *link = n;
  return n;
}

/* The node of `module` ("a::b", or NULL for the root). */
static int node_at(gen *g, mnode *root, const char *module, mnode **out) {
  mnode *n = root;
  const char *p = module;
  while (p && *p) {
    const char *sep = strstr(p, "::");
    size_t len = sep ? (size_t)(sep - p) : strlen(p);
    if (n->depth == MAX_MODULE_DEPTH)
      return rimport__error_set(
          RIMPORT_EINVAL,
          "generating the plugin for \"%s\": the module path \"%s\" is "
          "deeper than %d modules",
          g->crate, module, MAX_MODULE_DEPTH);
    if ((n = node_child(g, n, p, len)) == NULL)
      return RIMPORT_ENOMEM;
    p = sep ? sep + 2 : p + len;
  }
  *out = n;
  return 0;
}

static int node_add(mnode *n, const rimport_plugin_item *it) {
  void *items = (void *)n->items;
  int rc;
  if (strcmp(it->name, "*") == 0 && it->shape_count == 0) {
    n->has_glob = 1;
    return 0;
  }
  rc =
      rimport__grow(&items, &n->item_cap, n->item_count + 1, sizeof(*n->items));
  n->items = items;
  if (rc == 0)
    n->items[n->item_count++] = it;
  return rc;
}

static void node_free(mnode *n) {
  while (n) {
    mnode *next = n->next;
    node_free(n->child);
    rimport__free((void *)n->items);
    n = next;
  }
}

typedef enum line_kind {
  LINE_OPEN,
  LINE_USE,
  LINE_TYPE,
  LINE_FUNC,
  LINE_CLOSE,
  LINE_KINDS
} line_kind;

static const char *const line_names[LINE_KINDS] = {"open", "use", "type",
                                                   "func", "close"};

/* One line of a tree: its values, and one list per kind of line of which
 * only its own holds a record (an empty one: inside, names come from the
 * line). */
static int add_line(gen *g, rvec *out, line_kind kind, int depth,
                    const char *name, const char *path, const char *alias,
                    const char *args) {
  static const rimport__tpl_record one = {NULL, 0, NULL, 0};
  static const char spaces[] = "                                        ";
  rec r;
  int k, width = 4 * depth;
  memset(&r, 0, sizeof(r));
  if (width > (int)sizeof(spaces) - 1)
    width = (int)sizeof(spaces) - 1; /* deep paths: indentation stops */
  rec_var(&r, "indent", spaces + sizeof(spaces) - 1 - width);
  if (name)
    rec_var(&r, "name", name);
  if (path)
    rec_var(&r, "path", path);
  if (alias)
    rec_var(&r, "alias", alias);
  if (args)
    rec_var(&r, "args", args);
  for (k = 0; k < LINE_KINDS; k++) {
    r.lists[r.nl].name = line_names[k];
    r.lists[r.nl].records = &one;
    r.lists[r.nl].count = k == (int)kind ? 1 : 0;
    r.nl++;
  }
  return rvec_push(g, out, &r);
}

static int has_item_named(const mnode *n, const char *name) {
  size_t i;
  for (i = 0; i < n->item_count; i++)
    if (strcmp(n->items[i]->name, name) == 0)
      return 1;
  return 0;
}

static int has_child_named(const mnode *n, const char *name) {
  const mnode *c;
  for (c = n->child; c; c = c->next)
    if (strcmp(c->seg, name) == 0)
      return 1;
  return 0;
}

/* `items`: a module per module path; each re-exports the items asked from
 * it. A module that is glob-imported by its parent's mirror, or asked for
 * as an item itself, would shadow the original: it re-exports the
 * original's `*` too. */
static int emit_items(gen *g, const mnode *n, int glob, rvec *out) {
  const mnode *c;
  size_t i, j;
  int rc = 0;
  if (glob || n->has_glob) {
    char *p = gen_printf(g, "%s*", n->path);
    if (p == NULL || (rc = add_line(g, out, LINE_USE, n->depth + 1, NULL, p,
                                    NULL, NULL)) != 0)
      return p ? rc : RIMPORT_ENOMEM;
  }
  for (i = 0; i < n->item_count; i++) {
    const char *name = n->items[i]->name;
    char *p;
    for (j = 0; j < i; j++)
      if (strcmp(n->items[j]->name, name) == 0)
        break;
    if (j < i || has_child_named(n, name))
      continue; /* a duplicate, or covered by the module's own mirror */
    if ((p = gen_printf(g, "%s%s", n->path, name)) == NULL)
      return RIMPORT_ENOMEM;
    if ((rc = add_line(g, out, LINE_USE, n->depth + 1, NULL, p, NULL, NULL)) !=
        0)
      return rc;
  }
  for (c = n->child; c; c = c->next) {
    int child_glob = glob || n->has_glob || has_item_named(n, c->seg);
    if ((rc = add_line(g, out, LINE_OPEN, c->depth, c->seg, NULL, NULL,
                       NULL)) != 0 ||
        (rc = emit_items(g, c, child_glob, out)) != 0 ||
        (rc = add_line(g, out, LINE_CLOSE, c->depth, NULL, NULL, NULL, NULL)) !=
            0)
      return rc;
  }
  return 0;
}

/* Shape spellings in instance names, and Rust types in type aliases. */
static const char *shape_ident(rimport_shape s) {
  static const char *const names[] = {"i64",     "f64",     "str",    "String",
                                      "Vec_i64", "Vec_f64", "Dynamic"};
  int i = (int)s;
  return i >= RIMPORT_SHAPE_I64 && i <= RIMPORT_SHAPE_DYNAMIC ? names[i - 1]
                                                              : NULL;
}

static const char *shape_type(rimport_shape s) {
  static const char *const types[] = {
      "i64",      "f64",      "&'static str",         "String",
      "Vec<i64>", "Vec<f64>", "::kayton_api::Dynamic"};
  int i = (int)s;
  return i >= RIMPORT_SHAPE_I64 && i <= RIMPORT_SHAPE_DYNAMIC ? types[i - 1]
                                                              : NULL;
}

/* An instantiated item whose name starts with an upper-case letter is
 * taken for a type (Rust's naming convention), any other for a function. */
static int inst_is_type(const rimport_plugin_item *it) {
  return isupper((unsigned char)it->name[0]) != 0;
}

int rimport__gen_instance_name(const rimport_plugin_item *it,
                               rimport_buf *out) {
  size_t i;
  int rc;
  rimport__buf_clear(out);
  rc = rimport__buf_printf(out, "%s_", it->name);
  for (i = 0; rc == 0 && i < it->shape_count; i++)
    rc = rimport__buf_printf(out, "_%s", shape_ident(it->shapes[i]));
  return rc;
}

/* The instance name into the arena. */
static char *inst_alias(gen *g, const rimport_plugin_item *it) {
  rimport_buf b = RIMPORT_BUF_INIT;
  char *s = NULL;
  if (rimport__gen_instance_name(it, &b) == 0)
    s = rimport__arena_strdup(&g->arena, b.ptr);
  rimport_buf_dispose(&b);
  return s;
}

static char *inst_args(gen *g, const rimport_plugin_item *it) {
  rimport_buf b = RIMPORT_BUF_INIT;
  size_t i;
  int rc = 0;
  char *s = NULL;
  for (i = 0; rc == 0 && i < it->shape_count; i++)
    rc = rimport__buf_printf(&b, "%s%s", i ? ", " : "",
                             shape_type(it->shapes[i]));
  if (rc == 0)
    s = rimport__arena_strdup(&g->arena, b.ptr ? b.ptr : "");
  rimport_buf_dispose(&b);
  return s;
}

/* `inst`: a module per module path with a type alias per instantiated type
 * and a renamed re-export per instantiated function. */
static int emit_inst(gen *g, const mnode *n, rvec *out) {
  const mnode *c;
  size_t i, j;
  int rc = 0;
  for (i = 0; i < n->item_count; i++) {
    const rimport_plugin_item *it = n->items[i];
    char *alias = inst_alias(g, it), *path, *args = NULL;
    if (alias == NULL)
      return RIMPORT_ENOMEM;
    for (j = 0; j < i; j++) {
      char *other = inst_alias(g, n->items[j]);
      if (other == NULL)
        return RIMPORT_ENOMEM;
      if (strcmp(other, alias) == 0)
        break;
    }
    if (j < i)
      continue; /* a duplicate */
    if ((path = gen_printf(g, "%s%s", n->path, it->name)) == NULL ||
        (inst_is_type(it) && (args = inst_args(g, it)) == NULL))
      return RIMPORT_ENOMEM;
    if ((rc = add_line(g, out, inst_is_type(it) ? LINE_TYPE : LINE_FUNC,
                       n->depth + 1, NULL, path, alias, args)) != 0)
      return rc;
  }
  for (c = n->child; c; c = c->next) {
    if ((rc = add_line(g, out, LINE_OPEN, c->depth, c->seg, NULL, NULL,
                       NULL)) != 0 ||
        (rc = emit_inst(g, c, out)) != 0 ||
        (rc = add_line(g, out, LINE_CLOSE, c->depth, NULL, NULL, NULL, NULL)) !=
            0)
      return rc;
  }
  return 0;
}

/* --- validation ---------------------------------------------------------- */

static int bad(gen *g, const char *what, const char *value, const char *why) {
  return rimport__error_set(RIMPORT_EINVAL,
                            "generating the plugin for \"%s\": %s \"%s\" %s; "
                            "fix the import (or the descriptor that the "
                            "front-end made)",
                            g->crate ? g->crate : "?", what,
                            value ? value : "(null)", why);
}

static int check_ident(gen *g, const char *what, const char *s) {
  const char *why;
  if (s == NULL)
    return bad(g, what, s, "is missing");
  if ((why = rimport__check_ident(s, strlen(s))) != NULL)
    return bad(g, what, s, why);
  return 0;
}

static int validate(gen *g) {
  const rimport__gen_input *in = g->in;
  const rimport_plugin *p = in->plugin;
  const char *why, *package;
  size_t i, j;
  int rc;
  if ((rc = check_ident(g, "the crate name", g->crate)) != 0 ||
      (rc = check_ident(g, "the plugin name", p->plugin)) != 0)
    return rc;
  if (strcmp(g->crate, "kayton_api") == 0)
    return bad(g, "the crate", g->crate,
               "is rimport's own VM crate and cannot be imported");
  package = in->package ? in->package : p->package ? p->package : p->crate;
  if ((why = rimport__check_crate_name(package, strlen(package))) != NULL)
    return bad(g, "the package", package, why);
  if (p->source == RIMPORT_FROM_PATH) {
    if (p->path == NULL || *p->path == '\0')
      return bad(g, "the path", p->path, "is missing");
  } else if (p->source == RIMPORT_FROM_REGISTRY) {
    if (p->version &&
        (why = rimport__check_version_req(p->version, strlen(p->version))))
      return bad(g, "the version requirement", p->version, why);
  } else {
    return bad(g, "the source", "?", "is neither a registry nor a path");
  }
  for (i = 0; i < p->feature_count; i++)
    if (p->features[i] == NULL ||
        (why = rimport__check_feature(p->features[i],
                                      strlen(p->features[i]))) != NULL)
      return bad(g, "the feature", p->features[i], why ? why : "is missing");
  for (i = 0; i < p->item_count; i++) {
    const rimport_plugin_item *it = &p->items[i];
    if (it->module && (why = rimport__check_module_path(
                           it->module, strlen(it->module))) != NULL)
      return bad(g, "the module path", it->module, why);
    if (it->name && strcmp(it->name, "*") == 0) {
      if (it->shape_count)
        return bad(g, "the item", "*", "cannot take generic arguments");
    } else if ((rc = check_ident(g, "the item", it->name)) != 0) {
      return rc;
    }
    for (j = 0; j < it->shape_count; j++)
      if (shape_ident(it->shapes[j]) == NULL)
        return bad(g, "the item", it->name, "has an unknown generic shape");
  }
  for (i = 0; i < in->parent_count; i++) {
    if ((rc = check_ident(g, "the parent plugin", in->parents[i].plugin)) != 0)
      return rc;
    if (strcmp(in->parents[i].plugin, g->crate) == 0 ||
        strcmp(in->parents[i].plugin, p->plugin) == 0)
      return bad(g, "the parent plugin", in->parents[i].plugin,
                 "has the name of the crate or of the plugin itself");
    if (in->parents[i].crate_dir == NULL || *in->parents[i].crate_dir == '\0')
      return bad(g, "the directory of the parent plugin", in->parents[i].plugin,
                 "is missing");
  }
  if (p->key == NULL || strlen(p->key) != 32 ||
      strspn(p->key, "0123456789abcdef") != 32)
    return bad(g, "the cache key", p->key, "is not 32 lowercase hex digits");
  if (in->kayton_api_dir == NULL || *in->kayton_api_dir == '\0')
    return bad(g, "the kayton_api directory", in->kayton_api_dir, "is missing");
  if (in->toolchain == NULL || in->toolchain->release == NULL ||
      in->toolchain->fingerprint == NULL || in->toolchain->host == NULL)
    return bad(g, "the toolchain", "?", "is missing or incomplete");
  return 0;
}

/* --- the manifest ----------------------------------------------------------
 */

static char *export_path(gen *g, const rimport_plugin_item *it) {
  const char *m = it->module;
  if (it->shape_count) {
    char *alias = inst_alias(g, it);
    return alias
               ? gen_printf(g, "inst::%s%s%s", m ? m : "", m ? "::" : "", alias)
               : NULL;
  }
  return gen_printf(g, "items::%s%s%s", m ? m : "", m ? "::" : "", it->name);
}

static cJSON *add_str(cJSON *obj, const char *name, const char *s) {
  return s ? cJSON_AddStringToObject(obj, name, s)
           : cJSON_AddNullToObject(obj, name);
}

static char *manifest_json(gen *g, const char *package) {
  const rimport__gen_input *in = g->in;
  const rimport_plugin *p = in->plugin;
  cJSON *root = cJSON_CreateObject(), *rustc, *items, *parents;
  char *text = NULL, *copy = NULL;
  size_t i, j;
  int ok = root != NULL;
  ok = ok && cJSON_AddNumberToObject(root, "format", MANIFEST_FORMAT);
  ok = ok && add_str(root, "plugin", p->plugin);
  ok = ok && add_str(root, "crate", g->crate);
  ok = ok && add_str(root, "package", package);
  ok = ok && add_str(root, "version",
                     in->resolved_version ? in->resolved_version : "unknown");
  ok = ok && add_str(root, "key", p->key);
  ok = ok && (rustc = cJSON_AddObjectToObject(root, "rustc")) != NULL;
  ok = ok && add_str(rustc, "release", in->toolchain->release);
  ok = ok && add_str(rustc, "fingerprint", in->toolchain->fingerprint);
  ok = ok && add_str(rustc, "host", in->toolchain->host);
  ok = ok &&
       cJSON_AddNumberToObject(root, "abi_version", KAYTON_API_ABI_VERSION);
  ok = ok && add_str(root, "template", rimport__gen_template_hash());
  ok = ok && cJSON_AddBoolToObject(root, "whole_crate", p->whole_crate != 0);
  ok = ok && add_str(root, "exports", p->whole_crate ? "exports" : NULL);
  ok = ok && (items = cJSON_AddArrayToObject(root, "items")) != NULL;
  for (i = 0; ok && i < p->item_count; i++) {
    const rimport_plugin_item *it = &p->items[i];
    cJSON *o = cJSON_CreateObject(), *shapes;
    char *exp = export_path(g, it);
    ok = o != NULL && exp != NULL && cJSON_AddItemToArray(items, o);
    if (!ok) {
      cJSON_Delete(o);
      break;
    }
    ok = ok && add_str(o, "module", it->module);
    ok = ok && add_str(o, "name", it->name);
    ok = ok && (shapes = cJSON_AddArrayToObject(o, "instance")) != NULL;
    for (j = 0; ok && j < it->shape_count; j++)
      ok = cJSON_AddItemToArray(
          shapes, cJSON_CreateString(rimport_shape_name(it->shapes[j])));
    if (it->shape_count)
      ok = ok && add_str(o, "kind", inst_is_type(it) ? "type" : "function");
    ok = ok && add_str(o, "export", exp);
  }
  ok = ok && (parents = cJSON_AddArrayToObject(root, "parents")) != NULL;
  for (i = 0; ok && i < in->parent_count; i++)
    ok = cJSON_AddItemToArray(parents,
                              cJSON_CreateString(in->parents[i].plugin));
  if (ok && (text = cJSON_PrintUnformatted(root)) != NULL)
    copy = rimport__arena_strdup(&g->arena, text);
  cJSON_free(text);
  cJSON_Delete(root);
  if (copy == NULL)
    rimport__error_nomem();
  return copy;
}

/* --- the plugin ----------------------------------------------------------- */

static int build_root(gen *g, rec *root, rvec lists[6]) {
  const rimport__gen_input *in = g->in;
  const rimport_plugin *p = in->plugin;
  enum { L_PARENTS, L_REGISTRY, L_LOCAL, L_FEATURES, L_ITEMS, L_INST };
  mnode items_root, inst_root;
  const char *package = in->package  ? in->package
                        : p->package ? p->package
                                     : p->crate;
  char *manifest;
  size_t i;
  int rc = 0;
  rec r;

  memset(&items_root, 0, sizeof(items_root));
  memset(&inst_root, 0, sizeof(inst_root));
  items_root.path = inst_root.path = "";
  memset(root, 0, sizeof(*root));
  rec_var(root, "rimport_version", rimport_version());
  rec_var(root, "crate", g->crate);
  rec_var(root, "plugin", p->plugin);
  rec_var(root, "package", package);
  rec_var(root, "key", p->key);
  rec_var(root, "kayton_api_dir", in->kayton_api_dir);
  rec_var(root, "default_features", p->default_features ? "true" : "false");

  for (i = 0; rc == 0 && i < in->parent_count; i++) {
    memset(&r, 0, sizeof(r));
    rec_var(&r, "plugin", in->parents[i].plugin);
    rec_var(&r, "crate_dir", in->parents[i].crate_dir);
    rc = rvec_push(g, &lists[L_PARENTS], &r);
  }
  memset(&r, 0, sizeof(r));
  if (rc == 0 && p->source == RIMPORT_FROM_REGISTRY) {
    rec_var(&r, "version_req", p->version ? p->version : "*");
    rc = rvec_push(g, &lists[L_REGISTRY], &r);
  } else if (rc == 0) {
    rec_var(&r, "path", p->path);
    rc = rvec_push(g, &lists[L_LOCAL], &r);
  }
  for (i = 0; rc == 0 && i < p->feature_count; i++) {
    memset(&r, 0, sizeof(r));
    rec_var(&r, "feature", p->features[i]);
    rc = rvec_push(g, &lists[L_FEATURES], &r);
  }
  for (i = 0; rc == 0 && i < p->item_count; i++) {
    const rimport_plugin_item *it = &p->items[i];
    mnode *n = NULL;
    if ((rc = node_at(g, it->shape_count ? &inst_root : &items_root, it->module,
                      &n)) == 0)
      rc = node_add(n, it);
  }
  if (rc == 0)
    rc = emit_items(g, &items_root, 0, &lists[L_ITEMS]);
  if (rc == 0)
    rc = emit_inst(g, &inst_root, &lists[L_INST]);
  node_free(items_root.child);
  node_free(inst_root.child);
  rimport__free((void *)items_root.items);
  rimport__free((void *)inst_root.items);
  if (rc != 0)
    return rc == RIMPORT_ENOMEM ? rimport__error_nomem() : rc;
  if ((manifest = manifest_json(g, package)) == NULL)
    return RIMPORT_ENOMEM;
  rec_var(root, "manifest", manifest);
  rec_list(root, "parents", &lists[L_PARENTS]);
  rec_list(root, "registry", &lists[L_REGISTRY]);
  rec_list(root, "local", &lists[L_LOCAL]);
  rec_list(root, "features", &lists[L_FEATURES]);
  rec_list(root, "items_tree", &lists[L_ITEMS]);
  rec_list(root, "inst_tree", &lists[L_INST]);
  {
    /* `whole_crate`: a section that renders once or not at all. */
    static const rimport__tpl_record one = {NULL, 0, NULL, 0};
    root->lists[root->nl].name = "whole_crate";
    root->lists[root->nl].records = &one;
    root->lists[root->nl].count = p->whole_crate ? 1 : 0;
    root->nl++;
  }
  return 0;
}

static int render_file(const char *tpl_path, const rimport__tpl_record *root,
                       rimport_buf *out) {
  const rimport__template *t = find_template(tpl_path);
  if (t == NULL)
    return RIMPORT_EINTERNAL;
  rimport__buf_clear(out);
  return rimport__render(t->path, t->text, t->len, root, out);
}

int rimport__gen_plugin(const rimport__gen_input *in, const char *dir) {
  gen g;
  rec root;
  rvec lists[6];
  rimport__tpl_record root_rec;
  rimport_buf toml = RIMPORT_BUF_INIT, lib = RIMPORT_BUF_INIT,
              src = RIMPORT_BUF_INIT;
  char *crate = NULL, *c;
  int rc;
  if (in == NULL || in->plugin == NULL || in->plugin->crate == NULL ||
      dir == NULL || *dir == '\0')
    return rimport__error_set(RIMPORT_EINVAL,
                              "generating a plugin: no plugin or directory");
  memset(&g, 0, sizeof(g));
  memset(lists, 0, sizeof(lists));
  g.in = in;
  /* The Rust name: '-' becomes '_' (the plan has done it; a hand-made
   * descriptor may not have). */
  if ((crate = rimport__strdup(in->plugin->crate)) == NULL)
    return rimport__error_nomem();
  for (c = crate; *c; c++)
    if (*c == '-')
      *c = '_';
  g.crate = crate;
  rc = validate(&g);
  if (rc == 0)
    rc = build_root(&g, &root, lists);
  if (rc == 0) {
    memset(&root_rec, 0, sizeof(root_rec));
    root_rec.vars = root.vars;
    root_rec.var_count = root.nv;
    root_rec.lists = root.lists;
    root_rec.list_count = root.nl;
    if ((rc = render_file("plugin/Cargo.toml.tpl", &root_rec, &toml)) == 0)
      rc = render_file("plugin/lib.rs.tpl", &root_rec, &lib);
  }
  if (rc == 0 && (rc = rimport__path_join(&src, dir, "src")) == 0 &&
      (rc = rimport__fs_mkdir_p(src.ptr)) == 0 &&
      (rc = write_in(dir, "Cargo.toml", toml.ptr, toml.size)) == 0)
    rc = write_in(dir, "src/lib.rs", lib.ptr, lib.size);
  rimport_buf_dispose(&toml);
  rimport_buf_dispose(&lib);
  rimport_buf_dispose(&src);
  rimport__arena_free(&g.arena);
  rimport__free(crate);
  return rc;
}

int rimport__gen_build_root(const char *plugin, const char *plugin_dir,
                            const char *root_dir) {
  rimport__tpl_var vars[3];
  rimport__tpl_record record;
  rimport_buf toml = RIMPORT_BUF_INIT, lib = RIMPORT_BUF_INIT;
  const char *why;
  int rc;
  if (plugin == NULL || plugin_dir == NULL || root_dir == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "writing a build root: missing argument");
  if ((why = rimport__check_ident(plugin, strlen(plugin))) != NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "writing a build root: the plugin name \"%s\" "
                              "is not a Rust identifier: %s",
                              plugin, why);
  vars[0].name = "plugin";
  vars[0].value = plugin;
  vars[1].name = "plugin_dir";
  vars[1].value = plugin_dir;
  vars[2].name = "rimport_version";
  vars[2].value = rimport_version();
  memset(&record, 0, sizeof(record));
  record.vars = vars;
  record.var_count = 3;
  rc = render_file("build_root/Cargo.toml.tpl", &record, &toml);
  if (rc == 0)
    rc = render_file("build_root/lib.rs.tpl", &record, &lib);
  if (rc == 0)
    rc = rimport__fs_mkdir_p(root_dir);
  if (rc == 0)
    rc = write_in(root_dir, "Cargo.toml", toml.ptr, toml.size);
  if (rc == 0)
    rc = write_in(root_dir, "lib.rs", lib.ptr, lib.size);
  rimport_buf_dispose(&toml);
  rimport_buf_dispose(&lib);
  return rc;
}
