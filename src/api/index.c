/* The public lookups of include/rimport/api.h: a session's API indexes
 * (api.json in each plugin's cache entry, read on first use), the names
 * cells bind, and descriptors made from the index's records. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "../common/arena.h"
#include "../common/fs.h"
#include "../common/json.h"
#include "../platform.h"
#include "../session.h"
#include "../stack/stack.h"

#define MAX_DEPTH 16 /* members of members … (types nest one level) */
#define NEAR_MAX  6  /* names suggested for a path no index has */
#define INDEX_MAX (256u * 1024 * 1024)

typedef struct loaded_index {
  char *key;   /* the plugin's key */
  char *crate; /* the crate it imports */
  int missing; /* the entry has no index (rustdoc failed, say) */
  cJSON *doc;
  rimport__arena arena;
  rimport_api_item *items; /* top-level items, in the index's order */
  size_t count;
} loaded_index;

typedef struct binding {
  char *name, *path;
} binding;

struct rimport__api_state {
  loaded_index *indexes;
  size_t index_count, index_cap;
  binding *bindings;
  size_t binding_count, binding_cap;
  unsigned long generation; /* counts the changes of bindings */
};

int rimport__api_state_new(rimport__api_state **out) {
  if ((*out = rimport__calloc(1, sizeof(**out))) == NULL)
    return rimport__error_nomem();
  return 0;
}

void rimport__api_state_free(rimport__api_state *st) {
  size_t i;
  if (st == NULL)
    return;
  for (i = 0; i < st->index_count; i++) {
    rimport__free(st->indexes[i].key);
    rimport__free(st->indexes[i].crate);
    cJSON_Delete(st->indexes[i].doc);
    rimport__arena_free(&st->indexes[i].arena);
  }
  for (i = 0; i < st->binding_count; i++) {
    rimport__free(st->bindings[i].name);
    rimport__free(st->bindings[i].path);
  }
  rimport__free(st->indexes);
  rimport__free(st->bindings);
  rimport__free(st);
}

int rimport__api_bind(rimport__api_state *st, const char *name,
                      const char *path) {
  size_t i;
  char *n, *p;
  int rc;
  for (i = 0; i < st->binding_count; i++)
    if (strcmp(st->bindings[i].name, name) == 0) {
      if ((p = rimport__strdup(path)) == NULL)
        return rimport__error_nomem();
      rimport__free(st->bindings[i].path);
      st->bindings[i].path = p;
      st->generation++;
      return 0;
    }
  if ((rc = rimport__grow((void **)&st->bindings, &st->binding_cap,
                          st->binding_count + 1, sizeof(*st->bindings))) != 0)
    return rc;
  n = rimport__strdup(name);
  p = rimport__strdup(path);
  if (n == NULL || p == NULL) {
    rimport__free(n);
    rimport__free(p);
    return rimport__error_nomem();
  }
  st->bindings[st->binding_count].name = n;
  st->bindings[st->binding_count].path = p;
  st->binding_count++;
  st->generation++;
  return 0;
}

unsigned long rimport__api_generation(const rimport__api_state *st) {
  return st != NULL ? st->generation : 0;
}

/* --- descriptors from the index's records --------------------------------
 */

static const char *str_or(rimport__arena *a, const cJSON *o, const char *name,
                          const char *dflt, int *nomem) {
  const char *s = rimport__json_str(o, name);
  char *c;
  if (s == NULL)
    return dflt;
  if ((c = rimport__arena_strdup(a, s)) == NULL)
    *nomem = 1;
  return c;
}

static const struct {
  const char *name;
  rimport_vm_shape kind;
} shape_names[] = {
    {"none", RIMPORT_VM_NONE},       {"i64", RIMPORT_VM_I64},
    {"f64", RIMPORT_VM_F64},         {"bool", RIMPORT_VM_BOOL},
    {"str", RIMPORT_VM_STR},         {"vec_i64", RIMPORT_VM_VEC_I64},
    {"vec_f64", RIMPORT_VM_VEC_F64}, {"unit", RIMPORT_VM_UNIT},
    {"opaque", RIMPORT_VM_OPAQUE}};

const char *rimport_vm_shape_name(rimport_vm_shape kind) {
  size_t i;
  for (i = 0; i < sizeof(shape_names) / sizeof(shape_names[0]); i++)
    if (shape_names[i].kind == kind)
      return shape_names[i].name;
  return "none";
}

static void to_shape(rimport__arena *a, const cJSON *t, rimport_api_type *s,
                     int *nomem) {
  const char *k = rimport__json_str(t, "shape"), *r;
  size_t i;
  memset(s, 0, sizeof(*s));
  s->kind = RIMPORT_VM_NONE;
  for (i = 0; k && i < sizeof(shape_names) / sizeof(shape_names[0]); i++)
    if (strcmp(shape_names[i].name, k) == 0)
      s->kind = shape_names[i].kind;
  s->type = str_or(a, t, "type", "", nomem);
  s->opaque = str_or(a, t, "opaque", NULL, nomem);
  s->min = str_or(a, t, "min", NULL, nomem);
  s->max = str_or(a, t, "max", NULL, nomem);
  s->error = str_or(a, t, "error", NULL, nomem);
  s->why = s->kind == RIMPORT_VM_NONE
               ? str_or(a, t, "why", "not representable", nomem)
               : NULL;
  s->optional = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "optional"));
  s->fallible = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "fallible"));
  r = rimport__json_str(t, "ref");
  s->by_ref = r == NULL ? 0 : strcmp(r, "&mut") == 0 ? 2 : 1;
  if (s->kind != RIMPORT_VM_OPAQUE)
    s->opaque = NULL;
}

static const struct {
  const char *name;
  rimport_api_kind kind;
} kind_names[] = {{"module", RIMPORT_API_MODULE},
                  {"struct", RIMPORT_API_STRUCT},
                  {"enum", RIMPORT_API_ENUM},
                  {"union", RIMPORT_API_UNION},
                  {"trait", RIMPORT_API_TRAIT},
                  {"function", RIMPORT_API_FUNCTION},
                  {"constant", RIMPORT_API_CONSTANT},
                  {"static", RIMPORT_API_STATIC},
                  {"macro", RIMPORT_API_MACRO},
                  {"type_alias", RIMPORT_API_TYPE_ALIAS},
                  {"assoc_const", RIMPORT_API_ASSOC_CONST}};

static const char *const trait_names[] = {"Display", "Debug", "Clone",
                                          "Default", "Send",  "Sync"};

/* An array of strings of the record, in the arena. */
static const char *const *strings(rimport__arena *a, const cJSON *arr,
                                  size_t *count, int *nomem) {
  const cJSON *e;
  const char **v;
  size_t n = 0;
  *count = 0;
  if (cJSON_GetArraySize(arr) <= 0)
    return NULL;
  if ((v = rimport__arena_alloc(a, (size_t)cJSON_GetArraySize(arr) *
                                       sizeof(*v))) == NULL) {
    *nomem = 1;
    return NULL;
  }
  cJSON_ArrayForEach(e, arr) {
    if (cJSON_IsString(e) &&
        (v[n] = rimport__arena_strdup(a, e->valuestring)) != NULL)
      n++;
    else if (cJSON_IsString(e))
      *nomem = 1;
  }
  *count = n;
  return v;
}

static void to_item(rimport__arena *a, const cJSON *o, const char *crate,
                    rimport_api_item *it, int depth, int *nomem) {
  const char *k = rimport__json_str(o, "kind");
  const cJSON *e, *arr;
  size_t i, n;
  memset(it, 0, sizeof(*it));
  for (i = 0; k && i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
    if (strcmp(kind_names[i].name, k) == 0)
      it->kind = kind_names[i].kind;
  it->kind_name = str_or(a, o, "kind", "other", nomem);
  it->path = str_or(a, o, "path", "", nomem);
  it->name = str_or(a, o, "name", "", nomem);
  it->crate = crate;
  it->docs = str_or(a, o, "docs", "", nomem);
  it->signature = str_or(a, o, "sig", "", nomem);
  it->generics = str_or(a, o, "generics", "", nomem);
  it->receiver = str_or(a, o, "receiver", NULL, nomem);
  it->value = str_or(a, o, "value", NULL, nomem);
  it->macro_kind = str_or(a, o, "macro", NULL, nomem);
  it->external = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "external"));
  if ((arr = cJSON_GetObjectItemCaseSensitive(o, "params")) != NULL &&
      (n = (size_t)cJSON_GetArraySize(arr)) > 0) {
    rimport_api_param *p = rimport__arena_alloc(a, n * sizeof(*p));
    if (p == NULL)
      *nomem = 1;
    else {
      cJSON_ArrayForEach(e, arr) {
        p[it->param_count].name = str_or(a, e, "name", "_", nomem);
        to_shape(a, e, &p[it->param_count].shape, nomem);
        it->param_count++;
      }
      it->params = p;
    }
  }
  if ((e = cJSON_GetObjectItemCaseSensitive(o, "output")) != NULL) {
    rimport_api_type *s = rimport__arena_alloc(a, sizeof(*s));
    if (s == NULL)
      *nomem = 1;
    else {
      to_shape(a, e, s, nomem);
      it->output = s;
    }
  }
  if ((e = cJSON_GetObjectItemCaseSensitive(o, "type")) != NULL &&
      cJSON_IsObject(e)) {
    rimport_api_type *s = rimport__arena_alloc(a, sizeof(*s));
    if (s == NULL)
      *nomem = 1;
    else {
      to_shape(a, e, s, nomem);
      it->type = s;
    }
  }
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "traits")) {
    for (i = 0; i < sizeof(trait_names) / sizeof(trait_names[0]); i++)
      if (cJSON_IsString(e) && strcmp(e->valuestring, trait_names[i]) == 0)
        it->traits |= 1u << i;
  }
  if ((arr = cJSON_GetObjectItemCaseSensitive(o, "fields")) != NULL &&
      (n = (size_t)cJSON_GetArraySize(arr)) > 0) {
    rimport_api_param *p = rimport__arena_alloc(a, n * sizeof(*p));
    if (p == NULL)
      *nomem = 1;
    else {
      cJSON_ArrayForEach(e, arr) {
        memset(&p[it->field_count], 0, sizeof(*p));
        p[it->field_count].name = str_or(a, e, "name", "_", nomem);
        p[it->field_count].shape.type = str_or(a, e, "type", "", nomem);
        p[it->field_count].shape.why = "a field";
        it->field_count++;
      }
      it->fields = p;
    }
  }
  it->variants = strings(a, cJSON_GetObjectItemCaseSensitive(o, "variants"),
                         &it->variant_count, nomem);
  it->items = strings(a, cJSON_GetObjectItemCaseSensitive(o, "items"),
                      &it->item_count, nomem);
  if (depth < MAX_DEPTH &&
      (arr = cJSON_GetObjectItemCaseSensitive(o, "members")) != NULL &&
      (n = (size_t)cJSON_GetArraySize(arr)) > 0) {
    rimport_api_item *m = rimport__arena_alloc(a, n * sizeof(*m));
    if (m == NULL)
      *nomem = 1;
    else {
      cJSON_ArrayForEach(e, arr) {
        to_item(a, e, crate, &m[it->member_count++], depth + 1, nomem);
      }
      it->members = m;
    }
  }
}

/* --- the indexes ------------------------------------------------------------
 */

static int index_path(const rimport__built *b, rimport_buf *out) {
  return rimport__buf_printf(out, "%s%c%s", b->entry_dir, rimport__dir_sep,
                             RIMPORT__API_INDEX_FILE);
}

static int parse_index(loaded_index *ix, const char *text, size_t len,
                       const char *file, const char *crate);

/* The index of a plugin of the stack, read on first use. */
static int load_index(rimport__api_state *st, const rimport__built *b,
                      loaded_index **out) {
  rimport_buf path = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT;
  loaded_index *ix;
  size_t i;
  int rc;
  for (i = 0; i < st->index_count; i++)
    if (strcmp(st->indexes[i].key, b->key) == 0) {
      *out = &st->indexes[i];
      return 0;
    }
  if ((rc = rimport__grow((void **)&st->indexes, &st->index_cap,
                          st->index_count + 1, sizeof(*st->indexes))) != 0)
    return rc;
  ix = &st->indexes[st->index_count];
  memset(ix, 0, sizeof(*ix));
  if ((ix->key = rimport__strdup(b->key)) == NULL ||
      (ix->crate = rimport__strdup(b->crate)) == NULL) {
    rimport__free(ix->key);
    return rimport__error_nomem();
  }
  st->index_count++;
  *out = ix;
  if ((rc = index_path(b, &path)) != 0)
    return rc;
  if (!rimport__fs_is_file(path.ptr)) {
    ix->missing = 1;
    rimport_buf_dispose(&path);
    return 0;
  }
  rc = rimport__fs_read_file(path.ptr, INDEX_MAX, &text);
  if (rc == 0)
    rc = parse_index(ix, text.ptr, text.size, path.ptr, b->crate);
  if (rc != 0) { /* tried once; not again */
    cJSON_Delete(ix->doc);
    ix->doc = NULL;
    ix->missing = 1;
  }
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&text);
  return rc;
}

/* Reads an index document into ix (its crate set). `file` names it for
 * messages. */
static int parse_index(loaded_index *ix, const char *text, size_t len,
                       const char *file, const char *crate) {
  const cJSON *items, *e;
  int rc = 0, nomem = 0;
  if ((ix->doc = cJSON_ParseWithLength(text, len)) == NULL)
    rc = rimport__error_set(RIMPORT_ECORRUPT,
                            "reading the API index %s of the plugin for %s: "
                            "it is not JSON; clear the entry (rimport cache "
                            "clear %s) and build it again",
                            file, crate, crate);
  if (rc == 0 &&
      (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ix->doc, "format")) ||
       cJSON_GetObjectItemCaseSensitive(ix->doc, "format")->valuedouble !=
           RIMPORT__API_INDEX_FORMAT))
    rc = rimport__error_set(RIMPORT_ECORRUPT,
                            "reading the API index %s of the plugin for %s: "
                            "it is not of format %d; clear the entry "
                            "(rimport cache clear %s) and build it again",
                            file, crate, RIMPORT__API_INDEX_FORMAT, crate);
  items = cJSON_GetObjectItemCaseSensitive(ix->doc, "items");
  if (rc == 0 && cJSON_GetArraySize(items) > 0) {
    ix->items = rimport__arena_alloc(
        &ix->arena, (size_t)cJSON_GetArraySize(items) * sizeof(*ix->items));
    if (ix->items == NULL)
      rc = RIMPORT_ENOMEM;
    cJSON_ArrayForEach(e, items) {
      if (rc != 0)
        break;
      to_item(&ix->arena, e, ix->crate, &ix->items[ix->count++], 0, &nomem);
    }
    if (rc == 0 && nomem)
      rc = rimport__error_nomem();
  }
  return rc;
}

/* The path without a leading "::". */
static const char *bare(const char *path) {
  return strncmp(path, "::", 2) == 0 ? path + 2 : path;
}

static const rimport_api_item *find_exact(const loaded_index *ix,
                                          const char *path) {
  size_t i;
  for (i = 0; i < ix->count; i++)
    if (strcmp(ix->items[i].path, path) == 0)
      return &ix->items[i];
  return NULL;
}

/* An item, a re-export of one, or a member of one. */
static const rimport_api_item *find_in(const loaded_index *ix, const char *path,
                                       int depth) {
  const rimport_api_item *it;
  const char *canon, *sep;
  char parent[1024];
  size_t i, n;
  if (ix->doc == NULL || depth > MAX_DEPTH)
    return NULL;
  if ((it = find_exact(ix, path)) != NULL)
    return it;
  canon = rimport__json_str(
      cJSON_GetObjectItemCaseSensitive(ix->doc, "aliases"), path);
  if (canon != NULL && (it = find_exact(ix, canon)) != NULL)
    return it;
  /* a member: <type>::<name>, the type by any of its paths */
  sep = strrchr(path, ':');
  if (sep == NULL || sep - path < 2 || sep[-1] != ':')
    return NULL;
  n = (size_t)(sep - 1 - path);
  if (n >= sizeof(parent))
    return NULL;
  memcpy(parent, path, n);
  parent[n] = '\0';
  if ((it = find_in(ix, parent, depth + 1)) == NULL)
    return NULL;
  for (i = 0; i < it->member_count; i++)
    if (strcmp(it->members[i].name, sep + 1) == 0)
      return &it->members[i];
  return NULL;
}

/* --- near names ------------------------------------------------------------
 */

static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
  size_t row[65];
  if (la > 64 || lb > 64)
    return 99;
  for (j = 0; j <= lb; j++)
    row[j] = j;
  for (i = 1; i <= la; i++) {
    prev = row[0];
    row[0] = i;
    for (j = 1; j <= lb; j++) {
      cur = row[j];
      tmp = prev + (tolower((unsigned char)a[i - 1]) !=
                    tolower((unsigned char)b[j - 1]));
      if (row[j] + 1 < tmp)
        tmp = row[j] + 1;
      if (row[j - 1] + 1 < tmp)
        tmp = row[j - 1] + 1;
      row[j] = tmp;
      prev = cur;
    }
  }
  return row[lb];
}

/* Whether a starts b, letters in either case. */
static int prefix_of(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
      return 0;
  return *a == '\0';
}

typedef struct nearby {
  const char *path;
  size_t score; /* 0: the same name elsewhere */
} nearby;

/* Whether path's module is want's ("a::b::X" and "a::b::Y"). */
static int same_parent(const char *path, const char *want) {
  const char *pl = strrchr(path, ':'), *wl = strrchr(want, ':');
  size_t pn = pl ? (size_t)(pl - path) : 0, wn = wl ? (size_t)(wl - want) : 0;
  return pn == wn && strncmp(path, want, pn) == 0;
}

/* Scores a candidate (lower is nearer): the edit distance of the last
 * segments, a name that only starts the other after those, and one in
 * another module after one in the asked module. Keeps the NEAR_MAX
 * nearest. */
static void consider(nearby *best, size_t *count, const char *path,
                     const char *want) {
  const char *last = strrchr(path, ':'), *wl = strrchr(want, ':');
  size_t d, i, limit, score, worst, clen = strcspn(want, ":");
  int prefix = 0;
  /* the asked crate's paths only (another crate's items it re-exports
   * count by their paths in it) */
  if (strncmp(path, want, clen) != 0 || (path[clen] != ':' && path[clen]))
    return;
  last = last ? last + 1 : path;
  wl = wl ? wl + 1 : want;
  if (strcmp(path, want) == 0)
    return;
  d = edit_distance(last, wl);
  limit = strlen(wl) / 3 > 1 ? strlen(wl) / 3 : 1;
  /* one name the start of the other ("get" for "get_it") */
  if (d > limit && strlen(last) >= 3 && strlen(wl) >= 3 &&
      (prefix_of(last, wl) || prefix_of(wl, last))) {
    d = limit;
    prefix = 1;
  }
  if (d > limit)
    return;
  score = 4 * d + (prefix ? 2 : 0) + (same_parent(path, want) ? 0 : 1);
  for (i = 0; i < *count; i++)
    if (strcmp(best[i].path, path) == 0)
      return;
  if (*count < NEAR_MAX) {
    best[*count].path = path;
    best[(*count)++].score = score;
    return;
  }
  for (worst = 0, i = 1; i < *count; i++)
    if (best[i].score > best[worst].score)
      worst = i;
  if (best[worst].score > score) {
    best[worst].path = path;
    best[worst].score = score;
  }
}

static int cmp_near(const void *a, const void *b) {
  const nearby *x = a, *y = b;
  if (x->score != y->score)
    return x->score < y->score ? -1 : 1;
  return strcmp(x->path, y->path);
}

/* The candidates of one index for `want`. */
static void near_in(const loaded_index *ix, const char *want, nearby *best,
                    size_t *count) {
  size_t j, k;
  const cJSON *a;
  if (ix->doc == NULL)
    return;
  for (j = 0; j < ix->count; j++) {
    consider(best, count, ix->items[j].path, want);
    for (k = 0; k < ix->items[j].member_count; k++)
      consider(best, count, ix->items[j].members[k].path, want);
  }
  cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(ix->doc, "aliases")) {
    consider(best, count, a->string, want);
  }
}

/* "; it has a::X, b::X, a::Y" (the same name elsewhere, then near names). */
static int near_text(nearby *best, size_t count, rimport_buf *out) {
  size_t i;
  int rc = 0;
  if (count == 0)
    return 0;
  qsort(best, count, sizeof(*best), cmp_near);
  rc = rimport__buf_puts(out, "; it has ");
  for (i = 0; rc == 0 && i < count; i++)
    rc = rimport__buf_printf(out, "%s%s", i ? ", " : "", best[i].path);
  return rc;
}

/* The near names of `want` in the indexes of `crate`. */
static int near_names(const rimport__api_state *st, const char *crate,
                      const char *want, rimport_buf *out) {
  nearby best[NEAR_MAX];
  size_t count = 0, i;
  for (i = 0; i < st->index_count; i++)
    if (strcmp(st->indexes[i].crate, crate) == 0)
      near_in(&st->indexes[i], want, best, &count);
  return near_text(best, count, out);
}

int rimport__api_suggest(const char *index, size_t len, const char *crate,
                         const char *path, rimport_buf *out) {
  loaded_index ix;
  nearby best[NEAR_MAX];
  size_t count = 0;
  int rc;
  memset(&ix, 0, sizeof(ix));
  ix.crate = (char *)crate;
  rc = parse_index(&ix, index, len, "made for the message", crate);
  if (rc == 0 && find_in(&ix, path, 0) == NULL) {
    near_in(&ix, path, best, &count);
    rc = near_text(best, count, out);
  }
  cJSON_Delete(ix.doc);
  rimport__arena_free(&ix.arena);
  return rc;
}

/* --- public ------------------------------------------------------------------
 */

static int lookup(rimport_session *s, const char *path,
                  const rimport_api_item **out) {
  rimport__api_state *st = rimport__session_api(s);
  rimport__stack *stack = rimport__session_stack(s);
  size_t n = rimport__stack_count(stack), i, clen;
  const char *p = bare(path), *sep = strstr(p, "::");
  char crate[128];
  int has_crate = 0, has_index = 0, rc;
  rimport_buf msg = RIMPORT_BUF_INIT;
  clen = sep ? (size_t)(sep - p) : strlen(p);
  if (clen == 0 || clen >= sizeof(crate))
    return rimport__error_set(RIMPORT_EINVAL,
                              "looking up `%s`: a path such as "
                              "serde_json::Value is needed",
                              path);
  memcpy(crate, p, clen);
  crate[clen] = '\0';
  /* The crate's own plugins first, latest first; then any index (another
   * crate's items that a plugin re-exports). */
  for (i = n; i-- > 0;) {
    const rimport__built *b = rimport__stack_at(stack, i);
    loaded_index *ix;
    if (strcmp(b->crate, crate) != 0)
      continue;
    has_crate = 1;
    if ((rc = load_index(st, b, &ix)) != 0)
      return rc;
    has_index |= !ix->missing;
    if ((*out = find_in(ix, p, 0)) != NULL)
      return 0;
  }
  for (i = n; i-- > 0;) {
    const rimport__built *b = rimport__stack_at(stack, i);
    loaded_index *ix;
    if (strcmp(b->crate, crate) == 0)
      continue;
    if ((rc = load_index(st, b, &ix)) != 0)
      return rc;
    if ((*out = find_in(ix, p, 0)) != NULL && !(*out)->external)
      return 0;
  }
  *out = NULL;
  if (!has_crate)
    return rimport__error_set(
        RIMPORT_ENOTFOUND,
        "looking up `%s`: no plugin of this session imports the crate `%s`; "
        "import it first (`rimport %s`), then build",
        path, crate, crate);
  if (!has_index)
    return rimport__error_set(
        RIMPORT_ENOTFOUND,
        "looking up `%s`: the plugin for `%s` has no API index (rustdoc "
        "failed or its JSON format was not one this rimport reads; the "
        "build said why in a warning). Its items work in cells as before; "
        "to get the index, clear the entry (rimport cache clear %s) and "
        "build with a supported toolchain",
        path, crate, crate);
  rc = near_names(st, crate, p, &msg);
  if (rc == 0)
    rc = rimport__error_set(RIMPORT_ENOTFOUND,
                            "looking up `%s`: the crate `%s` has no such "
                            "public item%s",
                            path, crate, msg.ptr ? msg.ptr : "");
  rimport_buf_dispose(&msg);
  return rc;
}

int rimport_api_lookup(rimport_session *s, const char *path,
                       const rimport_api_item **out) {
  if (out != NULL)
    *out = NULL;
  if (s == NULL || path == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_api_lookup: session, path and out "
                              "are needed");
  return lookup(s, path, out);
}

int rimport_api_lookup_name(rimport_session *s, const char *name,
                            const rimport_api_item **out) {
  rimport__api_state *st;
  const char *sep;
  size_t i, n;
  rimport_buf path = RIMPORT_BUF_INIT;
  int rc;
  if (out != NULL)
    *out = NULL;
  if (s == NULL || name == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_api_lookup_name: session, name and "
                              "out are needed");
  st = rimport__session_api(s);
  sep = strstr(bare(name), "::");
  n = sep ? (size_t)(sep - bare(name)) : strlen(bare(name));
  for (i = st->binding_count; i-- > 0;) {
    const binding *b = &st->bindings[i];
    if (strlen(b->name) != n || strncmp(b->name, bare(name), n) != 0)
      continue;
    if ((rc = rimport__buf_printf(&path, "%s%s", b->path, sep ? sep : "")) == 0)
      rc = lookup(s, path.ptr, out);
    rimport_buf_dispose(&path);
    return rc;
  }
  return rimport__error_set(RIMPORT_ENOTFOUND,
                            "looking up the name `%.*s`: no rimport "
                            "statement built so far binds it; bind it "
                            "first (`from <crate> rimport %.*s`) and build",
                            (int)n, bare(name), (int)n, bare(name));
}

/* --- JSON
 * ---------------------------------------------------------------------
 */

static cJSON *shape_json(const rimport_api_type *s) {
  cJSON *o = cJSON_CreateObject();
  int ok =
      o != NULL && cJSON_AddStringToObject(o, "type", s->type) &&
      cJSON_AddStringToObject(o, "shape", rimport_vm_shape_name(s->kind)) &&
      (s->opaque == NULL || cJSON_AddStringToObject(o, "opaque", s->opaque)) &&
      (s->min == NULL || cJSON_AddStringToObject(o, "min", s->min)) &&
      (s->max == NULL || cJSON_AddStringToObject(o, "max", s->max)) &&
      (!s->optional || cJSON_AddTrueToObject(o, "optional")) &&
      (!s->fallible || cJSON_AddTrueToObject(o, "fallible")) &&
      (s->error == NULL || cJSON_AddStringToObject(o, "error", s->error)) &&
      (s->by_ref == 0 ||
       cJSON_AddStringToObject(o, "ref", s->by_ref == 2 ? "&mut" : "&")) &&
      (s->why == NULL || s->kind != RIMPORT_VM_NONE ||
       cJSON_AddStringToObject(o, "why", s->why));
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static cJSON *item_json(const rimport_api_item *it, int depth) {
  cJSON *o = cJSON_CreateObject(), *arr;
  size_t i;
  int ok =
      o != NULL && cJSON_AddStringToObject(o, "path", it->path) &&
      cJSON_AddStringToObject(o, "name", it->name) &&
      cJSON_AddStringToObject(o, "kind", it->kind_name) &&
      cJSON_AddStringToObject(o, "crate", it->crate ? it->crate : "") &&
      cJSON_AddStringToObject(o, "docs", it->docs) &&
      cJSON_AddStringToObject(o, "sig", it->signature) &&
      cJSON_AddStringToObject(o, "generics", it->generics) &&
      (it->receiver == NULL ||
       cJSON_AddStringToObject(o, "receiver", it->receiver)) &&
      (it->value == NULL || cJSON_AddStringToObject(o, "value", it->value)) &&
      (it->macro_kind == NULL ||
       cJSON_AddStringToObject(o, "macro", it->macro_kind)) &&
      (!it->external || cJSON_AddTrueToObject(o, "external"));
  if (ok && it->kind == RIMPORT_API_FUNCTION) {
    ok = (arr = cJSON_AddArrayToObject(o, "params")) != NULL;
    for (i = 0; ok && i < it->param_count; i++) {
      cJSON *p = shape_json(&it->params[i].shape);
      ok = p != NULL &&
           cJSON_AddStringToObject(p, "name", it->params[i].name) &&
           cJSON_AddItemToArray(arr, p);
      if (!ok)
        cJSON_Delete(p);
    }
  }
  if (ok && it->output)
    ok = cJSON_AddItemToObject(o, "output", shape_json(it->output));
  if (ok && it->type)
    ok = cJSON_AddItemToObject(o, "type", shape_json(it->type));
  if (ok && (it->kind == RIMPORT_API_STRUCT || it->kind == RIMPORT_API_ENUM ||
             it->kind == RIMPORT_API_UNION)) {
    ok = (arr = cJSON_AddArrayToObject(o, "traits")) != NULL;
    for (i = 0; ok && i < sizeof(trait_names) / sizeof(trait_names[0]); i++)
      if (it->traits & (1u << i))
        ok = cJSON_AddItemToArray(arr, cJSON_CreateString(trait_names[i]));
    ok = ok && (arr = cJSON_AddArrayToObject(o, "fields")) != NULL;
    for (i = 0; ok && i < it->field_count; i++) {
      cJSON *f = cJSON_CreateObject();
      ok = f != NULL &&
           cJSON_AddStringToObject(f, "name", it->fields[i].name) &&
           cJSON_AddStringToObject(f, "type", it->fields[i].shape.type) &&
           cJSON_AddItemToArray(arr, f);
      if (!ok)
        cJSON_Delete(f);
    }
  }
  if (ok && it->variant_count > 0) {
    ok = (arr = cJSON_AddArrayToObject(o, "variants")) != NULL;
    for (i = 0; ok && i < it->variant_count; i++)
      ok = cJSON_AddItemToArray(arr, cJSON_CreateString(it->variants[i]));
  }
  if (ok && it->kind == RIMPORT_API_MODULE) {
    ok = (arr = cJSON_AddArrayToObject(o, "items")) != NULL;
    for (i = 0; ok && i < it->item_count; i++)
      ok = cJSON_AddItemToArray(arr, cJSON_CreateString(it->items[i]));
  }
  if (ok && it->member_count > 0 && depth < MAX_DEPTH) {
    ok = (arr = cJSON_AddArrayToObject(o, "members")) != NULL;
    for (i = 0; ok && i < it->member_count; i++) {
      cJSON *m = item_json(&it->members[i], depth + 1);
      ok = m != NULL && cJSON_AddItemToArray(arr, m);
      if (!ok)
        cJSON_Delete(m);
    }
  }
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

int rimport_api_item_json(const rimport_api_item *item, rimport_buf *out) {
  cJSON *o;
  int rc;
  if (item == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_api_item_json: item and out are "
                              "needed");
  o = item_json(item, 0);
  rc = rimport__json_print(o, 0, out);
  cJSON_Delete(o);
  return rc;
}
