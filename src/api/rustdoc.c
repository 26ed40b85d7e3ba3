/* rustdoc JSON → rimport's API index (api.h has both formats).
 *
 * rustdoc's format changes between releases. The reader asks the document
 * for what it needs through a few accessors that accept both shapes it
 * meets: items as {"inner": {"<kind>": {…}}} (format 20 and later) or as
 * {"kind": "<kind>", "inner": {…}} (Rust 1.63's format 15), types as
 * {"<kind>": …} or {"kind": …, "inner": …}, ids as numbers or strings,
 * and the renamed fields (path/name, is_mutable/mutable, sig/decl, …). */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "../common/json.h"

#define MAX_DEPTH 48 /* modules and types nest at most this deep */

/* A set of strings (open addressing, FNV-1a): a crate's index has tens of
 * thousands of paths, too many for cJSON objects' linear lookups. */
typedef struct pathset {
  char **slots;
  size_t cap, count;
} pathset;

static size_t str_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return (size_t)h;
}

static int pathset_has(const pathset *set, const char *s) {
  size_t i;
  if (set->cap == 0)
    return 0;
  for (i = str_hash(s) & (set->cap - 1); set->slots[i];
       i = (i + 1) & (set->cap - 1))
    if (strcmp(set->slots[i], s) == 0)
      return 1;
  return 0;
}

/* 0 (added, or there already), or RIMPORT_ENOMEM. */
static int pathset_add(pathset *set, const char *s) {
  size_t i;
  if (pathset_has(set, s))
    return 0;
  if (2 * (set->count + 1) > set->cap) {
    size_t cap = set->cap ? 2 * set->cap : 64, k;
    char **slots = rimport__calloc(cap, sizeof(*slots));
    if (slots == NULL)
      return RIMPORT_ENOMEM;
    for (k = 0; k < set->cap; k++)
      if (set->slots[k]) {
        for (i = str_hash(set->slots[k]) & (cap - 1); slots[i];
             i = (i + 1) & (cap - 1))
          ;
        slots[i] = set->slots[k];
      }
    rimport__free(set->slots);
    set->slots = slots;
    set->cap = cap;
  }
  for (i = str_hash(s) & (set->cap - 1); set->slots[i];
       i = (i + 1) & (set->cap - 1))
    ;
  if ((set->slots[i] = rimport__strdup(s)) == NULL)
    return RIMPORT_ENOMEM;
  set->count++;
  return 0;
}

static void pathset_free(pathset *set) {
  size_t i;
  for (i = 0; i < set->cap; i++)
    rimport__free(set->slots[i]);
  rimport__free(set->slots);
  memset(set, 0, sizeof(*set));
}

/* The members of a cJSON object by name (the document's index and paths
 * tables, tens of thousands of entries), in a hash table. */
typedef struct idmap {
  const cJSON **slots;
  size_t cap;
} idmap;

static int idmap_build(idmap *m, const cJSON *obj) {
  const cJSON *e;
  size_t n = 0, i;
  cJSON_ArrayForEach(e, obj) {
    n++;
  }
  m->cap = 64;
  while (m->cap < 2 * n + 1)
    m->cap *= 2;
  if ((m->slots = rimport__calloc(m->cap, sizeof(*m->slots))) == NULL)
    return RIMPORT_ENOMEM;
  cJSON_ArrayForEach(e, obj) {
    if (e->string == NULL)
      continue;
    for (i = str_hash(e->string) & (m->cap - 1); m->slots[i];
         i = (i + 1) & (m->cap - 1))
      if (strcmp(m->slots[i]->string, e->string) == 0)
        break; /* a repeated name: the first one counts, as cJSON's */
    if (m->slots[i] == NULL)
      m->slots[i] = e;
  }
  return 0;
}

static const cJSON *idmap_get(const idmap *m, const char *key) {
  size_t i;
  if (m->cap == 0 || key == NULL)
    return NULL;
  for (i = str_hash(key) & (m->cap - 1); m->slots[i];
       i = (i + 1) & (m->cap - 1))
    if (strcmp(m->slots[i]->string, key) == 0)
      return m->slots[i];
  return NULL;
}

typedef struct rd {
  cJSON *root;
  const cJSON *index, *paths, *crates;
  idmap index_map, paths_map; /* index and paths by id */
  int version;
  const char *what;
  const char *crate; /* the documented crate's name */
} rd;

typedef struct conv {
  rd *docs;
  size_t count;
  cJSON *items;       /* the index's items */
  pathset seen;       /* canonical paths recorded */
  cJSON *aliases;     /* public path → canonical path */
  pathset alias_keys; /* the aliases' public paths */
  pathset walked;     /* "<doc>:<module id>" of modules walked */
} conv;

/* --- accessors ------------------------------------------------------------ */

static const cJSON *get(const cJSON *o, const char *name) {
  return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* An id as an index key: numbers (format ≥ 20) or strings (format 15). */
static const char *id_key(const cJSON *id, char buf[32]) {
  if (cJSON_IsString(id))
    return id->valuestring;
  if (cJSON_IsNumber(id) && id->valuedouble >= 0 && id->valuedouble < 1e15) {
    snprintf(buf, 32, "%.0f", id->valuedouble);
    return buf;
  }
  return NULL;
}

static const cJSON *by_id(const rd *d, const cJSON *id) {
  char buf[32];
  return idmap_get(&d->index_map, id_key(id, buf));
}

static const cJSON *path_of_id(const rd *d, const cJSON *id) {
  char buf[32];
  return idmap_get(&d->paths_map, id_key(id, buf));
}

/* Old and new names of a kind. */
static const char *norm_kind(const char *k) {
  if (k == NULL)
    return "";
  if (strcmp(k, "method") == 0)
    return "function";
  if (strcmp(k, "typedef") == 0)
    return "type_alias";
  if (strcmp(k, "import") == 0)
    return "use";
  return k;
}

/* An item's kind and the object with its details. */
static const char *item_kind(const cJSON *item, const cJSON **inner) {
  const cJSON *in = get(item, "inner");
  const char *old = rimport__json_str(item, "kind");
  *inner = NULL;
  if (old != NULL) { /* format 15 */
    *inner = in;
    return norm_kind(old);
  }
  if (cJSON_IsObject(in) && in->child != NULL) {
    *inner = in->child;
    return norm_kind(in->child->string);
  }
  if (cJSON_IsString(in)) /* a unit-like kind */
    return norm_kind(in->valuestring);
  return "";
}

/* A type's kind and value: {"kind": k, "inner": v} or {k: v}. */
static const char *ty_kind(const cJSON *t, const cJSON **val) {
  const char *old = rimport__json_str(t, "kind");
  *val = NULL;
  if (old != NULL && get(t, "inner") != NULL) {
    *val = get(t, "inner");
    return old;
  }
  if (cJSON_IsObject(t) && t->child != NULL) {
    *val = t->child;
    return t->child->string ? t->child->string : "";
  }
  return "";
}

static int flag(const cJSON *o, const char *a, const char *b) {
  return cJSON_IsTrue(get(o, a)) || (b && cJSON_IsTrue(get(o, b)));
}

/* A path object's text: "path" (new) or "name" (old). */
static const char *path_name(const cJSON *p) {
  const char *s = rimport__json_str(p, "path");
  return s ? s : rimport__json_str(p, "name");
}

/* The trait of an impl or bound: an object with path/id/args (new) or a
 * resolved_path type (old). */
static const cJSON *trait_path(const cJSON *t) {
  const cJSON *v;
  if (t == NULL || cJSON_IsNull(t))
    return NULL;
  if (strcmp(ty_kind(t, &v), "resolved_path") == 0 && get(t, "kind"))
    return v;
  return t;
}

static const char *last_segment(const char *path) {
  const char *p = path ? strrchr(path, ':') : NULL;
  return p ? p + 1 : path ? path : "";
}

/* The canonical "a::b::C" of an id from the paths table, in out. */
static int entry_path(const cJSON *e, rimport_buf *out);

static int canonical(const rd *d, const cJSON *id, rimport_buf *out) {
  rimport__buf_clear(out);
  return entry_path(path_of_id(d, id), out);
}

/* --- types as text -------------------------------------------------------- */

static int ty_text(const rd *d, const cJSON *t, rimport_buf *out, int depth);

static int args_text(const rd *d, const cJSON *args, rimport_buf *out,
                     int depth) {
  const cJSON *v, *a, *list, *cons;
  const char *k;
  int rc = 0, n = 0;
  if (args == NULL || cJSON_IsNull(args))
    return 0;
  k = ty_kind(args, &v);
  if (strcmp(k, "parenthesized") == 0) {
    rc = rimport__buf_putc(out, '(');
    cJSON_ArrayForEach(a, get(v, "inputs")) {
      if (rc == 0 && n++)
        rc = rimport__buf_puts(out, ", ");
      if (rc == 0)
        rc = ty_text(d, a, out, depth + 1);
    }
    if (rc == 0)
      rc = rimport__buf_putc(out, ')');
    if (rc == 0 && get(v, "output") && !cJSON_IsNull(get(v, "output")) &&
        (rc = rimport__buf_puts(out, " -> ")) == 0)
      rc = ty_text(d, get(v, "output"), out, depth + 1);
    return rc;
  }
  if (strcmp(k, "angle_bracketed") != 0)
    return 0;
  list = get(v, "args");
  cons = get(v, "constraints") ? get(v, "constraints") : get(v, "bindings");
  if (cJSON_GetArraySize(list) == 0 && cJSON_GetArraySize(cons) == 0)
    return 0;
  rc = rimport__buf_putc(out, '<');
  cJSON_ArrayForEach(a, list) {
    const cJSON *av;
    const char *ak = ty_kind(a, &av);
    if (rc == 0 && n++)
      rc = rimport__buf_puts(out, ", ");
    if (rc != 0)
      break;
    if (strcmp(ak, "type") == 0)
      rc = ty_text(d, av, out, depth + 1);
    else if (strcmp(ak, "lifetime") == 0 && cJSON_IsString(av))
      rc = rimport__buf_puts(out, av->valuestring);
    else if (strcmp(ak, "const") == 0)
      rc = rimport__buf_puts(out, rimport__json_str(av, "expr")
                                      ? rimport__json_str(av, "expr")
                                      : "_");
    else
      rc = rimport__buf_putc(out, '_');
  }
  cJSON_ArrayForEach(a, cons) {
    const cJSON *binding = get(a, "binding"), *bv;
    if (rc == 0 && n++)
      rc = rimport__buf_puts(out, ", ");
    if (rc == 0)
      rc = rimport__buf_puts(out, rimport__json_str(a, "name")
                                      ? rimport__json_str(a, "name")
                                      : "_");
    if (rc == 0 && strcmp(ty_kind(binding, &bv), "equality") == 0) {
      const cJSON *tv;
      const char *tk = ty_kind(bv, &tv);
      if ((rc = rimport__buf_puts(out, " = ")) == 0)
        rc = strcmp(tk, "type") == 0 ? ty_text(d, tv, out, depth + 1)
                                     : ty_text(d, bv, out, depth + 1);
    }
  }
  if (rc == 0)
    rc = rimport__buf_putc(out, '>');
  return rc;
}

static int bounds_text(const rd *d, const cJSON *bounds, rimport_buf *out,
                       int depth) {
  const cJSON *b;
  int rc = 0, n = 0;
  cJSON_ArrayForEach(b, bounds) {
    const cJSON *v;
    const char *k = ty_kind(b, &v);
    if (rc == 0 && n++)
      rc = rimport__buf_puts(out, " + ");
    if (rc != 0)
      break;
    if (strcmp(k, "trait_bound") == 0) {
      const cJSON *tp = trait_path(get(v, "trait"));
      const char *mod = rimport__json_str(v, "modifier");
      if (mod && strcmp(mod, "maybe") == 0)
        rc = rimport__buf_putc(out, '?');
      if (rc == 0)
        rc = rimport__buf_puts(out, last_segment(path_name(tp)));
      if (rc == 0)
        rc = args_text(d, get(tp, "args"), out, depth + 1);
    } else if (strcmp(k, "outlives") == 0 && cJSON_IsString(v)) {
      rc = rimport__buf_puts(out, v->valuestring);
    } else {
      rc = rimport__buf_putc(out, '_');
    }
  }
  return rc;
}

static int ty_text(const rd *d, const cJSON *t, rimport_buf *out, int depth) {
  const cJSON *v, *e;
  const char *k;
  int rc = 0, n = 0;
  if (depth > MAX_DEPTH)
    return rimport__buf_puts(out, "…");
  k = ty_kind(t, &v);
  if (strcmp(k, "resolved_path") == 0) {
    if ((rc = rimport__buf_puts(out, last_segment(path_name(v)))) == 0)
      rc = args_text(d, get(v, "args"), out, depth);
  } else if (strcmp(k, "generic") == 0 || strcmp(k, "primitive") == 0) {
    rc = rimport__buf_puts(out, cJSON_IsString(v) ? v->valuestring : "_");
  } else if (strcmp(k, "tuple") == 0) {
    rc = rimport__buf_putc(out, '(');
    cJSON_ArrayForEach(e, v) {
      if (rc == 0 && n++)
        rc = rimport__buf_puts(out, ", ");
      if (rc == 0)
        rc = ty_text(d, e, out, depth + 1);
    }
    if (rc == 0 && n == 1)
      rc = rimport__buf_putc(out, ',');
    if (rc == 0)
      rc = rimport__buf_putc(out, ')');
  } else if (strcmp(k, "slice") == 0) {
    if ((rc = rimport__buf_putc(out, '[')) == 0 &&
        (rc = ty_text(d, v, out, depth + 1)) == 0)
      rc = rimport__buf_putc(out, ']');
  } else if (strcmp(k, "array") == 0) {
    if ((rc = rimport__buf_putc(out, '[')) == 0 &&
        (rc = ty_text(d, get(v, "type"), out, depth + 1)) == 0)
      rc = rimport__buf_printf(
          out, "; %s]",
          rimport__json_str(v, "len") ? rimport__json_str(v, "len") : "_");
  } else if (strcmp(k, "borrowed_ref") == 0) {
    const char *lt = rimport__json_str(v, "lifetime");
    rc = rimport__buf_putc(out, '&');
    if (rc == 0 && lt)
      rc = rimport__buf_printf(out, "%s ", lt);
    if (rc == 0 && flag(v, "is_mutable", "mutable"))
      rc = rimport__buf_puts(out, "mut ");
    if (rc == 0)
      rc = ty_text(d, get(v, "type"), out, depth + 1);
  } else if (strcmp(k, "raw_pointer") == 0) {
    rc = rimport__buf_puts(out, flag(v, "is_mutable", "mutable") ? "*mut "
                                                                 : "*const ");
    if (rc == 0)
      rc = ty_text(d, get(v, "type"), out, depth + 1);
  } else if (strcmp(k, "impl_trait") == 0) {
    if ((rc = rimport__buf_puts(out, "impl ")) == 0)
      rc = bounds_text(d, v, out, depth + 1);
  } else if (strcmp(k, "dyn_trait") == 0) {
    rc = rimport__buf_puts(out, "dyn ");
    cJSON_ArrayForEach(e, get(v, "traits")) {
      const cJSON *tp = trait_path(get(e, "trait"));
      if (rc == 0 && n++)
        rc = rimport__buf_puts(out, " + ");
      if (rc == 0)
        rc = rimport__buf_puts(out, last_segment(path_name(tp)));
      if (rc == 0)
        rc = args_text(d, get(tp, "args"), out, depth + 1);
    }
  } else if (strcmp(k, "qualified_path") == 0) {
    const cJSON *tp = trait_path(get(v, "trait"));
    rc = rimport__buf_putc(out, '<');
    if (rc == 0)
      rc = ty_text(d, get(v, "self_type"), out, depth + 1);
    if (rc == 0 && tp && path_name(tp) && *path_name(tp))
      rc = rimport__buf_printf(out, " as %s", last_segment(path_name(tp)));
    if (rc == 0)
      rc = rimport__buf_printf(
          out, ">::%s",
          rimport__json_str(v, "name") ? rimport__json_str(v, "name") : "_");
  } else if (strcmp(k, "function_pointer") == 0) {
    const cJSON *sig = get(v, "sig") ? get(v, "sig") : get(v, "decl");
    rc = rimport__buf_puts(out, "fn(");
    cJSON_ArrayForEach(e, get(sig, "inputs")) {
      if (rc == 0 && n++)
        rc = rimport__buf_puts(out, ", ");
      if (rc == 0)
        rc = ty_text(d, cJSON_GetArrayItem(e, 1), out, depth + 1);
    }
    if (rc == 0)
      rc = rimport__buf_putc(out, ')');
    if (rc == 0 && get(sig, "output") && !cJSON_IsNull(get(sig, "output")) &&
        (rc = rimport__buf_puts(out, " -> ")) == 0)
      rc = ty_text(d, get(sig, "output"), out, depth + 1);
  } else if (strcmp(k, "infer") == 0) {
    rc = rimport__buf_putc(out, '_');
  } else {
    rc = rimport__buf_putc(out, '_');
  }
  return rc;
}

/* --- shapes --------------------------------------------------------------- */

typedef struct int_range {
  const char *name, *min, *max;
} int_range;

static const int_range int_ranges[] = {
    {"i8", "-128", "127"},
    {"i16", "-32768", "32767"},
    {"i32", "-2147483648", "2147483647"},
    {"i64", "-9223372036854775808", "9223372036854775807"},
    {"i128", "-170141183460469231731687303715884105728",
     "170141183460469231731687303715884105727"},
    {"isize", "-9223372036854775808", "9223372036854775807"},
    {"u8", "0", "255"},
    {"u16", "0", "65535"},
    {"u32", "0", "4294967295"},
    {"u64", "0", "18446744073709551615"},
    {"u128", "0", "340282366920938463463374607431768211455"},
    {"usize", "0", "18446744073709551615"},
};

static const int_range *int_type(const char *name) {
  size_t i;
  for (i = 0; name && i < sizeof(int_ranges) / sizeof(int_ranges[0]); i++)
    if (strcmp(int_ranges[i].name, name) == 0)
      return &int_ranges[i];
  return NULL;
}

/* The context a type is read in: `Self`, and a type alias's parameters
 * bound to the arguments it was used with. */
typedef struct ty_env {
  const char *self_path;    /* the opaque path Self stands for, or NULL */
  const cJSON *param_names; /* array of names, or NULL */
  const cJSON *param_args;  /* array of type nodes, same order */
} ty_env;

static int none(cJSON *s, const char *why) {
  cJSON_DeleteItemFromObjectCaseSensitive(s, "shape");
  return cJSON_AddStringToObject(s, "shape", "none") &&
                 cJSON_AddStringToObject(s, "why", why)
             ? 0
             : RIMPORT_ENOMEM;
}

static int set_shape(cJSON *s, const char *shape) {
  return cJSON_AddStringToObject(s, "shape", shape) ? 0 : RIMPORT_ENOMEM;
}

/* The first type argument (index n) of a resolved path, or NULL. */
static const cJSON *type_arg(const cJSON *path, int n) {
  const cJSON *v, *a;
  const char *k = ty_kind(get(path, "args"), &v);
  int i = 0;
  if (strcmp(k, "angle_bracketed") != 0)
    return NULL;
  cJSON_ArrayForEach(a, get(v, "args")) {
    const cJSON *av;
    if (strcmp(ty_kind(a, &av), "type") != 0)
      continue;
    if (i++ == n)
      return av;
  }
  return NULL;
}

static int shape_of(const conv *c, const rd *d, const cJSON *t,
                    const ty_env *env, int depth, cJSON *s);

/* The element shape of Vec<T>. */
static int vec_shape(const rd *d, const cJSON *elem, const ty_env *env,
                     cJSON *s) {
  const cJSON *v;
  const char *k = ty_kind(elem, &v);
  const int_range *r;
  (void)d;
  (void)env;
  if (strcmp(k, "primitive") == 0 && cJSON_IsString(v)) {
    if ((r = int_type(v->valuestring)) != NULL)
      return cJSON_AddStringToObject(s, "shape", "vec_i64") &&
                     cJSON_AddStringToObject(s, "min", r->min) &&
                     cJSON_AddStringToObject(s, "max", r->max)
                 ? 0
                 : RIMPORT_ENOMEM;
    if (strcmp(v->valuestring, "f64") == 0 ||
        strcmp(v->valuestring, "f32") == 0)
      return set_shape(s, "vec_f64");
  }
  return none(s, "a Vec of other than integers or floats");
}

/* A resolved path: std's String, Vec, Option, Result, Box; a type alias
 * (followed); a struct, enum or union (opaque); anything else: none. */
static int path_shape(const conv *c, const rd *d, const cJSON *v,
                      const ty_env *env, int depth, cJSON *s) {
  rimport_buf canon = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT;
  const cJSON *id = get(v, "id"), *pinfo = path_of_id(d, id);
  const char *kind = norm_kind(rimport__json_str(pinfo, "kind"));
  int rc;
  if (canonical(d, id, &canon) != 0) {
    rimport__buf_clear(&canon);
    if ((rc = rimport__buf_puts(&canon, path_name(v) ? path_name(v) : "")) != 0)
      goto done;
  }
  if (strcmp(canon.ptr, "alloc::string::String") == 0) {
    rc = set_shape(s, "str");
  } else if (strcmp(canon.ptr, "alloc::vec::Vec") == 0) {
    rc = vec_shape(d, type_arg(v, 0), env, s);
  } else if (strcmp(canon.ptr, "core::option::Option") == 0 ||
             strcmp(canon.ptr, "core::result::Result") == 0) {
    int opt = canon.ptr[6] == 'o';
    const cJSON *inner = type_arg(v, 0);
    if (inner == NULL) {
      rc = none(s, "an Option or Result without its type");
      goto done;
    }
    if (cJSON_IsTrue(get(s, opt ? "optional" : "fallible"))) {
      rc = none(s, opt ? "an Option inside an Option"
                       : "a Result inside a Result");
      goto done;
    }
    if (!cJSON_AddBoolToObject(s, opt ? "optional" : "fallible", 1)) {
      rc = RIMPORT_ENOMEM;
      goto done;
    }
    if (!opt && type_arg(v, 1) != NULL) {
      if ((rc = ty_text(d, type_arg(v, 1), &text, 0)) != 0)
        goto done;
      if (!cJSON_AddStringToObject(s, "error", text.ptr)) {
        rc = RIMPORT_ENOMEM;
        goto done;
      }
    }
    rc = shape_of(c, d, inner, env, depth + 1, s);
  } else if (strcmp(kind, "type_alias") == 0 && by_id(d, id) != NULL) {
    /* A type alias of this crate: its type, with the arguments given. */
    const cJSON *item = by_id(d, id), *inner, *gen, *p;
    ty_env sub = *env;
    cJSON *names = cJSON_CreateArray(), *args = cJSON_CreateArray();
    int i = 0;
    item_kind(item, &inner);
    gen = get(inner, "generics");
    rc = names && args ? 0 : RIMPORT_ENOMEM;
    cJSON_ArrayForEach(p, get(gen, "params")) {
      const cJSON *arg = type_arg(v, i++);
      if (rc != 0 || !rimport__json_str(p, "name") || arg == NULL)
        continue;
      if (!cJSON_AddItemToArray(
              names, cJSON_CreateString(rimport__json_str(p, "name"))) ||
          !cJSON_AddItemReferenceToArray(args, (cJSON *)arg))
        rc = RIMPORT_ENOMEM;
    }
    sub.param_names = names;
    sub.param_args = args;
    if (rc == 0)
      rc = shape_of(c, d, get(inner, "type"), &sub, depth + 1, s);
    cJSON_Delete(names);
    cJSON_Delete(args);
  } else if (strcmp(kind, "struct") == 0 || strcmp(kind, "enum") == 0 ||
             strcmp(kind, "union") == 0) {
    /* Opaque: the canonical path with the arguments as written; generic
     * arguments left open make it none. */
    const cJSON *a;
    int open = 0, i = 0;
    while ((a = type_arg(v, i++)) != NULL) {
      const cJSON *av;
      if (strcmp(ty_kind(a, &av), "generic") == 0)
        open = 1;
    }
    if (open) {
      rc = none(s, "a generic type with an open parameter");
      goto done;
    }
    if ((rc = rimport__buf_puts(&text, canon.ptr)) == 0)
      rc = args_text(d, get(v, "args"), &text, depth + 1);
    if (rc == 0)
      rc = cJSON_AddStringToObject(s, "shape", "opaque") &&
                   cJSON_AddStringToObject(s, "opaque", text.ptr)
               ? 0
               : RIMPORT_ENOMEM;
  } else {
    rc = none(s, strcmp(kind, "trait") == 0 ? "a trait" : "an unknown type");
  }
done:
  rimport_buf_dispose(&canon);
  rimport_buf_dispose(&text);
  return rc;
}

/* Fills s's "shape" (and its details) for the type t. */
static int shape_of(const conv *c, const rd *d, const cJSON *t,
                    const ty_env *env, int depth, cJSON *s) {
  const cJSON *v;
  const char *k;
  const int_range *r;
  if (depth > MAX_DEPTH)
    return none(s, "a type nested too deep");
  k = ty_kind(t, &v);
  if (strcmp(k, "primitive") == 0 && cJSON_IsString(v)) {
    if ((r = int_type(v->valuestring)) != NULL)
      return cJSON_AddStringToObject(s, "shape", "i64") &&
                     cJSON_AddStringToObject(s, "min", r->min) &&
                     cJSON_AddStringToObject(s, "max", r->max)
                 ? 0
                 : RIMPORT_ENOMEM;
    if (strcmp(v->valuestring, "f64") == 0 ||
        strcmp(v->valuestring, "f32") == 0)
      return set_shape(s, "f64");
    if (strcmp(v->valuestring, "bool") == 0)
      return set_shape(s, "bool");
    if (strcmp(v->valuestring, "str") == 0)
      return none(s, "str without a reference");
    return none(s, strcmp(v->valuestring, "char") == 0 ? "a char"
                                                       : "a primitive type");
  }
  if (strcmp(k, "tuple") == 0)
    return cJSON_GetArraySize(v) == 0 ? set_shape(s, "unit")
                                      : none(s, "a tuple");
  if (strcmp(k, "generic") == 0 && cJSON_IsString(v)) {
    const cJSON *n;
    int i = 0;
    if (strcmp(v->valuestring, "Self") == 0 && env->self_path != NULL)
      return cJSON_AddStringToObject(s, "shape", "opaque") &&
                     cJSON_AddStringToObject(s, "opaque", env->self_path)
                 ? 0
                 : RIMPORT_ENOMEM;
    cJSON_ArrayForEach(n, env->param_names) {
      if (cJSON_IsString(n) && strcmp(n->valuestring, v->valuestring) == 0) {
        ty_env outer = *env;
        outer.param_names = outer.param_args = NULL;
        return shape_of(c, d, cJSON_GetArrayItem(env->param_args, i), &outer,
                        depth + 1, s);
      }
      i++;
    }
    return none(s, "a generic parameter");
  }
  if (strcmp(k, "borrowed_ref") == 0) {
    const cJSON *inner = get(v, "type"), *iv;
    const char *ik = ty_kind(inner, &iv);
    int mut = flag(v, "is_mutable", "mutable");
    int rc;
    if (cJSON_GetObjectItemCaseSensitive(s, "ref") != NULL)
      return none(s, "a reference to a reference");
    if (strcmp(ik, "primitive") == 0 && cJSON_IsString(iv) &&
        strcmp(iv->valuestring, "str") == 0)
      return mut ? none(s, "a &mut str") : set_shape(s, "str");
    if (!cJSON_AddStringToObject(s, "ref", mut ? "&mut" : "&"))
      return RIMPORT_ENOMEM;
    if ((rc = shape_of(c, d, inner, env, depth + 1, s)) != 0)
      return rc;
    /* Only opaque values are passed by reference (as handles); &String
     * reads as a string. */
    if (strcmp(rimport__json_str(s, "shape"), "opaque") == 0 ||
        strcmp(rimport__json_str(s, "shape"), "none") == 0)
      return 0;
    if (!mut && strcmp(rimport__json_str(s, "shape"), "str") == 0) {
      cJSON_DeleteItemFromObjectCaseSensitive(s, "ref");
      return 0;
    }
    return none(s, "a reference to a plain value");
  }
  if (strcmp(k, "resolved_path") == 0)
    return path_shape(c, d, v, env, depth, s);
  if (strcmp(k, "impl_trait") == 0)
    return none(s, "impl Trait");
  if (strcmp(k, "dyn_trait") == 0)
    return none(s, "a trait object");
  if (strcmp(k, "slice") == 0 || strcmp(k, "array") == 0)
    return none(s, "a slice or array");
  if (strcmp(k, "raw_pointer") == 0)
    return none(s, "a raw pointer");
  if (strcmp(k, "function_pointer") == 0)
    return none(s, "a function pointer");
  if (strcmp(k, "qualified_path") == 0)
    return none(s, "an associated type");
  return none(s, "an unknown type");
}

/* {"type": text, "shape": …} for t, added to obj under name (or to an
 * array when name is NULL). */
static int add_type(const conv *c, const rd *d, cJSON *obj, const char *name,
                    const cJSON *t, const ty_env *env) {
  rimport_buf text = RIMPORT_BUF_INIT;
  cJSON *s = cJSON_CreateObject();
  int rc = s ? ty_text(d, t, &text, 0) : RIMPORT_ENOMEM;
  if (rc == 0 && !cJSON_AddStringToObject(s, "type", text.ptr ? text.ptr : ""))
    rc = RIMPORT_ENOMEM;
  if (rc == 0)
    rc = shape_of(c, d, t, env, 0, s);
  /* Whatever the reading added for a shape that ended as none (a Result
   * around something not representable, say) stays: it tells why. */
  if (rc == 0 && !(name ? cJSON_AddItemToObject(obj, name, s)
                        : cJSON_AddItemToArray(obj, s)))
    rc = RIMPORT_ENOMEM;
  else if (rc == 0)
    s = NULL;
  cJSON_Delete(s);
  rimport_buf_dispose(&text);
  return rc;
}

/* --- generics and signatures ----------------------------------------------
 */

/* "<'a, T: Bound, const N: usize>" (synthetic parameters left out). */
static int generics_text(const rd *d, const cJSON *gen, rimport_buf *out) {
  const cJSON *p;
  int rc = 0, n = 0;
  cJSON_ArrayForEach(p, get(gen, "params")) {
    const cJSON *kv;
    const char *k = ty_kind(get(p, "kind"), &kv),
               *name = rimport__json_str(p, "name");
    if (name == NULL || flag(kv, "is_synthetic", "synthetic"))
      continue;
    rc = rimport__buf_puts(out, n++ ? ", " : "<");
    if (rc == 0)
      rc = rimport__buf_puts(out, name);
    if (rc == 0 && strcmp(k, "type") == 0 &&
        cJSON_GetArraySize(get(kv, "bounds")) > 0 &&
        (rc = rimport__buf_puts(out, ": ")) == 0)
      rc = bounds_text(d, get(kv, "bounds"), out, 0);
    if (rc == 0 && strcmp(k, "const") == 0 &&
        (rc = rimport__buf_puts(out, ": ")) == 0)
      rc = ty_text(d, get(kv, "type"), out, 0);
    if (rc != 0)
      return rc;
  }
  if (n)
    rc = rimport__buf_putc(out, '>');
  return rc;
}

/* " where T: Bound, …" */
static int where_text(const rd *d, const cJSON *gen, rimport_buf *out) {
  const cJSON *w;
  int rc = 0, n = 0;
  cJSON_ArrayForEach(w, get(gen, "where_predicates")) {
    const cJSON *v;
    const char *k = ty_kind(w, &v);
    if (strcmp(k, "bound_predicate") != 0)
      continue;
    rc = rimport__buf_puts(out, n++ ? ", " : " where ");
    if (rc == 0)
      rc = ty_text(d, get(v, "type"), out, 0);
    if (rc == 0)
      rc = rimport__buf_puts(out, ": ");
    if (rc == 0)
      rc = bounds_text(d, get(v, "bounds"), out, 0);
    if (rc != 0)
      return rc;
  }
  return rc;
}

/* The receiver of a method: "&self", "&mut self", "self", or the type's
 * text ("self: Box<Self>"). NULL text when the first input is not self. */
static int receiver(const rd *d, const cJSON *first, rimport_buf *out) {
  const cJSON *t = cJSON_GetArrayItem(first, 1), *v, *iv;
  const char *k;
  if (!cJSON_IsString(cJSON_GetArrayItem(first, 0)) ||
      strcmp(cJSON_GetArrayItem(first, 0)->valuestring, "self") != 0)
    return RIMPORT_ENOTFOUND;
  k = ty_kind(t, &v);
  if (strcmp(k, "generic") == 0 && cJSON_IsString(v) &&
      strcmp(v->valuestring, "Self") == 0)
    return rimport__buf_puts(out, "self");
  if (strcmp(k, "borrowed_ref") == 0 &&
      strcmp(ty_kind(get(v, "type"), &iv), "generic") == 0 &&
      cJSON_IsString(iv) && strcmp(iv->valuestring, "Self") == 0)
    return rimport__buf_puts(out, flag(v, "is_mutable", "mutable") ? "&mut self"
                                                                   : "&self");
  if (rimport__buf_puts(out, "self: ") != 0)
    return RIMPORT_ENOMEM;
  return ty_text(d, t, out, 0);
}

/* The first paragraph of the docs, trimmed. */
static int first_paragraph(const char *docs, rimport_buf *out) {
  const char *s = docs, *end;
  rimport__buf_clear(out);
  if (s == NULL)
    return rimport__buf_puts(out, "");
  while (*s == '\n' || *s == ' ' || *s == '\r' || *s == '\t')
    s++;
  end = strstr(s, "\n\n");
  if (end == NULL)
    end = s + strlen(s);
  while (end > s && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
    end--;
  return rimport__buf_put(out, s, (size_t)(end - s));
}

/* A function's or method's details into it. */
static int add_function(const conv *c, const rd *d, const cJSON *fn,
                        const char *name, const char *self_path, cJSON *it) {
  const cJSON *sig = get(fn, "sig") ? get(fn, "sig") : get(fn, "decl");
  const cJSON *gen = get(fn, "generics"), *in, *hdr = get(fn, "header");
  cJSON *params = cJSON_AddArrayToObject(it, "params");
  rimport_buf text = RIMPORT_BUF_INIT, recv = RIMPORT_BUF_INIT,
              g = RIMPORT_BUF_INIT;
  ty_env env;
  int rc = params ? 0 : RIMPORT_ENOMEM, n = 0;
  memset(&env, 0, sizeof(env));
  env.self_path = self_path;
  if (rc == 0)
    rc = generics_text(d, gen, &g);
  if (rc == 0)
    rc = rimport__buf_printf(&text, "pub %s%s%sfn %s%s(",
                             flag(hdr, "is_const", "const") ? "const " : "",
                             flag(hdr, "is_async", "async") ? "async " : "",
                             flag(hdr, "is_unsafe", "unsafe") ? "unsafe " : "",
                             name, g.ptr ? g.ptr : "");
  cJSON_ArrayForEach(in, get(sig, "inputs")) {
    const char *pname = cJSON_IsString(cJSON_GetArrayItem(in, 0))
                            ? cJSON_GetArrayItem(in, 0)->valuestring
                            : "_";
    if (rc != 0)
      break;
    if (n++ == 0 && receiver(d, in, &recv) == 0) {
      if (!cJSON_AddStringToObject(it, "receiver", recv.ptr))
        rc = RIMPORT_ENOMEM;
      else
        rc = rimport__buf_puts(&text, recv.ptr);
      continue;
    }
    if (n > 1 && (rc = rimport__buf_puts(&text, ", ")) != 0)
      break;
    if ((rc = rimport__buf_printf(&text, "%s: ", pname)) == 0)
      rc = ty_text(d, cJSON_GetArrayItem(in, 1), &text, 0);
    if (rc == 0) {
      cJSON *p = cJSON_CreateObject();
      if (p == NULL || !cJSON_AddStringToObject(p, "name", pname) ||
          !cJSON_AddItemToArray(params, p)) {
        cJSON_Delete(p);
        rc = RIMPORT_ENOMEM;
        break;
      }
      /* the type's fields beside the name */
      rc = add_type(c, d, p, "t", cJSON_GetArrayItem(in, 1), &env);
      if (rc == 0) {
        cJSON *t = cJSON_DetachItemFromObjectCaseSensitive(p, "t"), *f;
        while (t && (f = t->child) != NULL) {
          cJSON_DetachItemViaPointer(t, f);
          cJSON_AddItemToObject(p, f->string, f);
        }
        cJSON_Delete(t);
      }
    }
  }
  if (rc == 0)
    rc = rimport__buf_putc(&text, ')');
  if (rc == 0) {
    const cJSON *out = get(sig, "output");
    if (out != NULL && !cJSON_IsNull(out)) {
      if ((rc = rimport__buf_puts(&text, " -> ")) == 0)
        rc = ty_text(d, out, &text, 0);
      if (rc == 0)
        rc = add_type(c, d, it, "output", out, &env);
    } else {
      cJSON *o = cJSON_AddObjectToObject(it, "output");
      if (!cJSON_AddStringToObject(o, "type", "()") ||
          !cJSON_AddStringToObject(o, "shape", "unit"))
        rc = RIMPORT_ENOMEM;
    }
  }
  if (rc == 0)
    rc = where_text(d, gen, &text);
  if (rc == 0 && (!cJSON_AddStringToObject(it, "sig", text.ptr) ||
                  !cJSON_AddStringToObject(it, "generics", g.ptr ? g.ptr : "")))
    rc = RIMPORT_ENOMEM;
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&recv);
  rimport_buf_dispose(&g);
  return rc;
}

/* --- items ---------------------------------------------------------------- */

static cJSON *new_item(const char *path, const char *name, const char *kind,
                       const char *docs) {
  rimport_buf p = RIMPORT_BUF_INIT;
  cJSON *it = cJSON_CreateObject();
  if (it == NULL || first_paragraph(docs, &p) != 0 ||
      !cJSON_AddStringToObject(it, "path", path) ||
      !cJSON_AddStringToObject(it, "name", name) ||
      !cJSON_AddStringToObject(it, "kind", kind) ||
      !cJSON_AddStringToObject(it, "docs", p.ptr ? p.ptr : "")) {
    cJSON_Delete(it);
    it = NULL;
  }
  rimport_buf_dispose(&p);
  return it;
}

/* Which of the six traits a type's impls implement. */
static int add_traits(const rd *d, const cJSON *impls, cJSON *it) {
  static const char *const wanted[][2] = {
      {"core::fmt::Display", "Display"}, {"core::fmt::Debug", "Debug"},
      {"core::clone::Clone", "Clone"},   {"core::default::Default", "Default"},
      {"core::marker::Send", "Send"},    {"core::marker::Sync", "Sync"}};
  cJSON *traits = cJSON_AddArrayToObject(it, "traits");
  const cJSON *id;
  int has[6] = {0, 0, 0, 0, 0, 0};
  size_t i;
  rimport_buf canon = RIMPORT_BUF_INIT;
  if (traits == NULL)
    return RIMPORT_ENOMEM;
  cJSON_ArrayForEach(id, impls) {
    const cJSON *inner, *tp;
    const char *name;
    if (strcmp(item_kind(by_id(d, id), &inner), "impl") != 0 ||
        flag(inner, "is_negative", "negative") ||
        (tp = trait_path(get(inner, "trait"))) == NULL)
      continue;
    if (canonical(d, get(tp, "id"), &canon) != 0)
      continue;
    name = canon.ptr;
    for (i = 0; i < 6; i++)
      if (strcmp(name, wanted[i][0]) == 0)
        has[i] = 1;
  }
  rimport_buf_dispose(&canon);
  for (i = 0; i < 6; i++)
    if (has[i] &&
        !cJSON_AddItemToArray(traits, cJSON_CreateString(wanted[i][1])))
      return RIMPORT_ENOMEM;
  return 0;
}

/* The members of a type (its inherent impls' functions and consts) or of
 * a trait (its items). */
static int add_member(const conv *c, const rd *d, const cJSON *mid,
                      const char *owner, const char *self_path,
                      cJSON *members) {
  const cJSON *m = by_id(d, mid), *mi;
  const char *mk = item_kind(m, &mi), *name = rimport__json_str(m, "name");
  rimport_buf path = RIMPORT_BUF_INIT;
  cJSON *it;
  int rc;
  if (name == NULL ||
      (strcmp(mk, "function") != 0 && strcmp(mk, "assoc_const") != 0))
    return 0;
  if ((rc = rimport__buf_printf(&path, "%s::%s", owner, name)) != 0)
    return rc;
  it = new_item(path.ptr, name,
                strcmp(mk, "function") == 0 ? "function" : "assoc_const",
                rimport__json_str(m, "docs"));
  rimport_buf_dispose(&path);
  if (it == NULL)
    return RIMPORT_ENOMEM;
  if (strcmp(mk, "function") == 0) {
    rc = add_function(c, d, mi, name, self_path, it);
  } else {
    ty_env env;
    const cJSON *ty = get(mi, "type");
    memset(&env, 0, sizeof(env));
    env.self_path = self_path;
    rc = add_type(c, d, it, "type", ty, &env);
    if (rc == 0) {
      const char *val = rimport__json_str(mi, "value")
                            ? rimport__json_str(mi, "value")
                            : rimport__json_str(mi, "default");
      rimport_buf sig = RIMPORT_BUF_INIT;
      if ((rc = rimport__buf_printf(&sig, "pub const %s: ", name)) == 0)
        rc = ty_text(d, ty, &sig, 0);
      if (rc == 0 && val)
        rc = rimport__buf_printf(&sig, " = %s", val);
      if (rc == 0 && (!cJSON_AddStringToObject(it, "sig", sig.ptr) ||
                      !cJSON_AddStringToObject(it, "generics", "")))
        rc = RIMPORT_ENOMEM;
      rimport_buf_dispose(&sig);
    }
  }
  if (rc == 0 && !cJSON_AddItemToArray(members, it))
    rc = RIMPORT_ENOMEM;
  else if (rc != 0)
    cJSON_Delete(it);
  return rc;
}

/* What Self is in an impl: the opaque type it is for (a concrete
 * instance), or NULL (an impl over open parameters). */
static int impl_self(const conv *c, const rd *d, const cJSON *impl,
                     rimport_buf *out) {
  ty_env env;
  cJSON *s = cJSON_CreateObject();
  int rc;
  memset(&env, 0, sizeof(env));
  rimport__buf_clear(out);
  if (s == NULL)
    return RIMPORT_ENOMEM;
  rc = shape_of(c, d, get(impl, "for"), &env, 0, s);
  if (rc == 0 && strcmp(rimport__json_str(s, "shape"), "opaque") == 0 &&
      get(s, "ref") == NULL)
    rc = rimport__buf_puts(out, rimport__json_str(s, "opaque"));
  cJSON_Delete(s);
  return rc;
}

static int add_type_members(const conv *c, const rd *d, const cJSON *impls,
                            const char *owner, cJSON *it) {
  cJSON *members = cJSON_AddArrayToObject(it, "members");
  const cJSON *id, *mid;
  rimport_buf self = RIMPORT_BUF_INIT;
  int rc = members ? 0 : RIMPORT_ENOMEM;
  cJSON_ArrayForEach(id, impls) {
    const cJSON *inner;
    if (rc != 0)
      break;
    if (strcmp(item_kind(by_id(d, id), &inner), "impl") != 0 ||
        trait_path(get(inner, "trait")) != NULL ||
        flag(inner, "is_synthetic", "synthetic") ||
        (get(inner, "blanket_impl") &&
         !cJSON_IsNull(get(inner, "blanket_impl"))))
      continue;
    if ((rc = impl_self(c, d, inner, &self)) != 0)
      break;
    cJSON_ArrayForEach(mid, get(inner, "items")) {
      if ((rc = add_member(c, d, mid, owner, self.ptr, members)) != 0)
        break;
    }
  }
  rimport_buf_dispose(&self);
  return rc;
}

/* Fields (named, public) and variants. */
static int add_fields(const rd *d, const cJSON *ids, cJSON *fields) {
  const cJSON *id;
  rimport_buf t = RIMPORT_BUF_INIT;
  int rc = 0;
  cJSON_ArrayForEach(id, ids) {
    const cJSON *f = by_id(d, id), *fi;
    cJSON *o;
    if (f == NULL || strcmp(item_kind(f, &fi), "struct_field") != 0)
      continue;
    rimport__buf_clear(&t);
    if ((rc = ty_text(d, fi, &t, 0)) != 0)
      break;
    if ((o = cJSON_CreateObject()) == NULL ||
        !cJSON_AddStringToObject(o, "name",
                                 rimport__json_str(f, "name")
                                     ? rimport__json_str(f, "name")
                                     : "_") ||
        !cJSON_AddStringToObject(o, "type", t.ptr ? t.ptr : "") ||
        !cJSON_AddItemToArray(fields, o)) {
      cJSON_Delete(o);
      rc = RIMPORT_ENOMEM;
      break;
    }
  }
  rimport_buf_dispose(&t);
  return rc;
}

/* The field ids of a struct: {"kind": {"plain": {"fields": […]}}} or
 * {"kind": {"tuple": […]}} (new), "fields": […] (old). */
static const cJSON *struct_fields(const cJSON *inner) {
  const cJSON *k = get(inner, "kind"), *v;
  if (cJSON_IsArray(get(inner, "fields")))
    return get(inner, "fields");
  if (cJSON_IsObject(k) && (v = k->child) != NULL)
    return cJSON_IsArray(v) ? v : get(v, "fields");
  return NULL;
}

static int add_variants(const rd *d, const cJSON *ids, cJSON *variants) {
  const cJSON *id;
  rimport_buf t = RIMPORT_BUF_INIT;
  int rc = 0;
  cJSON_ArrayForEach(id, ids) {
    const cJSON *vi = by_id(d, id), *inner, *kv, *f;
    const char *name = rimport__json_str(vi, "name"), *k;
    int n = 0;
    if (name == NULL)
      continue;
    item_kind(vi, &inner);
    rimport__buf_clear(&t);
    rc = rimport__buf_puts(&t, name);
    if (rimport__json_str(inner, "variant_kind") != NULL) { /* format 15 */
      k = rimport__json_str(inner, "variant_kind");
      kv = get(inner, "variant_inner");
    } else if (cJSON_IsString(get(inner, "kind"))) { /* "plain" */
      k = "plain";
    } else {
      k = ty_kind(get(inner, "kind"), &kv);
    }
    if (rc == 0 && strcmp(k, "tuple") == 0) {
      rc = rimport__buf_putc(&t, '(');
      cJSON_ArrayForEach(f, kv) {
        const cJSON *fi, *fit = by_id(d, f);
        if (rc == 0 && n++)
          rc = rimport__buf_puts(&t, ", ");
        if (rc == 0 && fit && strcmp(item_kind(fit, &fi), "struct_field") == 0)
          rc = ty_text(d, fi, &t, 0);
        else if (rc == 0 && !fit && strcmp(ty_kind(f, &fi), "") != 0)
          rc = ty_text(d, f, &t, 0); /* format 15: the types */
      }
      if (rc == 0)
        rc = rimport__buf_putc(&t, ')');
    } else if (rc == 0 && strcmp(k, "struct") == 0) {
      rc = rimport__buf_puts(&t, " { .. }");
    }
    if (rc == 0 && !cJSON_AddItemToArray(variants, cJSON_CreateString(t.ptr)))
      rc = RIMPORT_ENOMEM;
    if (rc != 0)
      break;
  }
  rimport_buf_dispose(&t);
  return rc;
}

/* One item's entry at its canonical path (once). */
static int record_item(conv *c, const rd *d, const cJSON *item,
                       const char *path, int depth);

static int walk_module(conv *c, const rd *d, const cJSON *module,
                       const char *path, int depth);

static int add_alias(conv *c, const char *from, const char *to) {
  if (strcmp(from, to) == 0 || pathset_has(&c->alias_keys, from))
    return 0;
  if (pathset_add(&c->alias_keys, from) != 0)
    return RIMPORT_ENOMEM;
  return cJSON_AddStringToObject(c->aliases, from, to) ? 0 : RIMPORT_ENOMEM;
}

/* An item of another crate that no document describes: its kind and
 * path, from the paths table. */
static int record_external(conv *c, const rd *d, const cJSON *id,
                           const char *canon) {
  const char *kind = norm_kind(rimport__json_str(path_of_id(d, id), "kind"));
  cJSON *it;
  if (pathset_has(&c->seen, canon))
    return 0;
  if ((it = new_item(canon, last_segment(canon), kind, NULL)) == NULL ||
      !cJSON_AddBoolToObject(it, "external", 1) ||
      !cJSON_AddItemToArray(c->items, it)) {
    cJSON_Delete(it);
    return RIMPORT_ENOMEM;
  }
  return pathset_add(&c->seen, canon);
}

/* The "a::b::C" of a paths-table entry, in out. */
static int entry_path(const cJSON *e, rimport_buf *out) {
  const cJSON *seg;
  int first = 1, rc = 0;
  rimport__buf_clear(out);
  cJSON_ArrayForEach(seg, get(e, "path")) {
    if (!cJSON_IsString(seg))
      return RIMPORT_ENOTFOUND;
    if (!first)
      rc = rimport__buf_puts(out, "::");
    if (rc == 0)
      rc = rimport__buf_puts(out, seg->valuestring);
    if (rc != 0)
      return rc;
    first = 0;
  }
  return out->ptr ? 0 : RIMPORT_ENOTFOUND;
}

/* Finds, among the other documents, the item at `canon` (another crate's
 * item that this one re-exports), and records it from there: 1 when
 * found, 0 when not, or an error. */
static int record_from_other(conv *c, const rd *d, const char *canon,
                             int depth) {
  rimport_buf p = RIMPORT_BUF_INIT;
  size_t i, n;
  int rc = 0;
  for (i = 0; i < c->count; i++) {
    const rd *o = &c->docs[i];
    const cJSON *e;
    n = o->crate ? strlen(o->crate) : 0;
    if (o == d || n == 0 || strncmp(canon, o->crate, n) != 0 || canon[n] != ':')
      continue;
    cJSON_ArrayForEach(e, o->paths) {
      const cJSON *item, *cid = get(e, "crate_id");
      if (!cJSON_IsNumber(cid) || cid->valuedouble != 0 ||
          entry_path(e, &p) != 0 || strcmp(p.ptr, canon) != 0)
        continue;
      item = idmap_get(&o->index_map, e->string);
      rimport_buf_dispose(&p);
      if (item == NULL)
        return 0;
      rc = record_item(c, o, item, canon, depth + 1);
      return rc == 0 ? 1 : rc;
    }
  }
  rimport_buf_dispose(&p);
  return 0;
}

/* A `pub use`: its target at the alias path (and recorded, when its own
 * module is private); a glob's items into this module. */
static int walk_use(conv *c, const rd *d, const cJSON *inner,
                    const char *modpath, int depth) {
  const cJSON *id = get(inner, "id"), *target = by_id(d, id), *ti;
  const char *name = rimport__json_str(inner, "name");
  rimport_buf alias = RIMPORT_BUF_INIT, canon = RIMPORT_BUF_INIT;
  int rc = 0;
  if (flag(inner, "is_glob", "glob")) {
    if (target != NULL && strcmp(item_kind(target, &ti), "module") == 0)
      return walk_module(c, d, target, modpath, depth + 1);
    return 0; /* another crate's module: not followed */
  }
  if (name == NULL || id == NULL || cJSON_IsNull(id))
    return 0;
  if ((rc = rimport__buf_printf(&alias, "%s::%s", modpath, name)) != 0)
    return rc;
  if (canonical(d, id, &canon) != 0) {
    rimport__buf_clear(&canon);
    rc = rimport__buf_puts(&canon, alias.ptr);
  }
  if (rc == 0 && target != NULL) {
    if (strcmp(item_kind(target, &ti), "module") == 0)
      rc = walk_module(c, d, target, alias.ptr, depth + 1);
    else
      rc = record_item(c, d, target, canon.ptr, depth + 1);
    if (rc == 0)
      rc = add_alias(c, alias.ptr, canon.ptr);
  } else if (rc == 0) {
    /* Another crate's item: described by a later document, or kept as
     * an external entry. */
    int found = record_from_other(c, d, canon.ptr, depth);
    if (found < 0)
      rc = found;
    else if (!found)
      rc = record_external(c, d, id, canon.ptr);
    if (rc == 0)
      rc = add_alias(c, alias.ptr, canon.ptr);
  }
  rimport_buf_dispose(&alias);
  rimport_buf_dispose(&canon);
  return rc;
}

static int walk_module(conv *c, const rd *d, const cJSON *module,
                       const char *path, int depth) {
  const cJSON *inner, *id;
  char key[80], buf[32];
  const char *k = id_key(get(module, "id"), buf);
  cJSON *names = NULL, *self = NULL;
  int rc = 0;
  if (depth > MAX_DEPTH || k == NULL)
    return 0;
  snprintf(key, sizeof(key), "%p:%s", (const void *)d, k);
  if (pathset_has(&c->walked, key)) /* walked already (a second path to it) */
    return 0;
  if (pathset_add(&c->walked, key) != 0)
    return RIMPORT_ENOMEM;
  item_kind(module, &inner);
  if (!pathset_has(&c->seen, path)) {
    self = new_item(path, last_segment(path), "module",
                    rimport__json_str(module, "docs"));
    if (self == NULL ||
        (names = cJSON_AddArrayToObject(self, "items")) == NULL ||
        !cJSON_AddStringToObject(self, "sig", "") ||
        !cJSON_AddStringToObject(self, "generics", "") ||
        !cJSON_AddItemToArray(c->items, self)) {
      cJSON_Delete(self);
      return RIMPORT_ENOMEM;
    }
    if (pathset_add(&c->seen, path) != 0)
      return RIMPORT_ENOMEM;
  }
  cJSON_ArrayForEach(id, get(inner, "items")) {
    const cJSON *item = by_id(d, id), *ii;
    const char *kind = item_kind(item, &ii),
               *name = rimport__json_str(item, "name");
    rimport_buf sub = RIMPORT_BUF_INIT, canon = RIMPORT_BUF_INIT;
    if (item == NULL)
      continue;
    if (strcmp(kind, "use") == 0) {
      rc = walk_use(c, d, ii, path, depth);
      if (rc == 0 && names && rimport__json_str(ii, "name") &&
          !flag(ii, "is_glob", "glob") &&
          !cJSON_AddItemToArray(
              names, cJSON_CreateString(rimport__json_str(ii, "name"))))
        rc = RIMPORT_ENOMEM;
    } else if (name != NULL && strcmp(kind, "impl") != 0 &&
               strcmp(kind, "extern_crate") != 0 &&
               strcmp(kind, "primitive") != 0) {
      rc = rimport__buf_printf(&sub, "%s::%s", path, name);
      if (rc == 0 && names &&
          !cJSON_AddItemToArray(names, cJSON_CreateString(name)))
        rc = RIMPORT_ENOMEM;
      if (rc == 0 && strcmp(kind, "module") == 0) {
        rc = walk_module(c, d, item, sub.ptr, depth + 1);
      } else if (rc == 0) {
        if (canonical(d, id, &canon) != 0 ||
            strncmp(canon.ptr, d->crate, strlen(d->crate)) != 0) {
          rimport__buf_clear(&canon);
          rc = rimport__buf_puts(&canon, sub.ptr);
        }
        if (rc == 0)
          rc = record_item(c, d, item, canon.ptr, depth + 1);
        if (rc == 0)
          rc = add_alias(c, sub.ptr, canon.ptr);
      }
    }
    rimport_buf_dispose(&sub);
    rimport_buf_dispose(&canon);
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int record_item(conv *c, const rd *d, const cJSON *item,
                       const char *path, int depth) {
  const cJSON *inner;
  const char *kind = item_kind(item, &inner),
             *name = rimport__json_str(item, "name");
  cJSON *it;
  ty_env env;
  int rc = 0;
  if (pathset_has(&c->seen, path) || name == NULL || depth > MAX_DEPTH)
    return 0;
  if (strcmp(kind, "module") == 0)
    return walk_module(c, d, item, path, depth + 1);
  memset(&env, 0, sizeof(env));
  if (strcmp(kind, "proc_macro") == 0 || strcmp(kind, "proc_derive") == 0 ||
      strcmp(kind, "proc_attribute") == 0)
    kind = "macro";
  if ((it = new_item(path, name, kind, rimport__json_str(item, "docs"))) ==
      NULL)
    return RIMPORT_ENOMEM;
  if (pathset_add(&c->seen, path) != 0) {
    cJSON_Delete(it);
    return RIMPORT_ENOMEM;
  }
  if (strcmp(kind, "function") == 0) {
    rc = add_function(c, d, inner, name, NULL, it);
  } else if (strcmp(kind, "struct") == 0 || strcmp(kind, "enum") == 0 ||
             strcmp(kind, "union") == 0) {
    rimport_buf g = RIMPORT_BUF_INIT, sig = RIMPORT_BUF_INIT;
    const cJSON *impls = get(inner, "impls");
    cJSON *fields = cJSON_AddArrayToObject(it, "fields");
    rc = fields ? generics_text(d, get(inner, "generics"), &g) : RIMPORT_ENOMEM;
    if (rc == 0)
      rc = rimport__buf_printf(&sig, "pub %s %s%s", kind, name,
                               g.ptr ? g.ptr : "");
    if (rc == 0 &&
        (!cJSON_AddStringToObject(it, "sig", sig.ptr) ||
         !cJSON_AddStringToObject(it, "generics", g.ptr ? g.ptr : "")))
      rc = RIMPORT_ENOMEM;
    if (rc == 0)
      rc = add_traits(d, impls, it);
    if (rc == 0)
      rc = add_type_members(c, d, impls, path, it);
    if (rc == 0 && strcmp(kind, "enum") == 0) {
      cJSON *variants = cJSON_AddArrayToObject(it, "variants");
      rc = variants ? add_variants(d, get(inner, "variants"), variants)
                    : RIMPORT_ENOMEM;
    } else if (rc == 0) {
      rc = add_fields(d, struct_fields(inner), fields);
    }
    rimport_buf_dispose(&g);
    rimport_buf_dispose(&sig);
  } else if (strcmp(kind, "trait") == 0) {
    rimport_buf g = RIMPORT_BUF_INIT, sig = RIMPORT_BUF_INIT;
    cJSON *members = cJSON_AddArrayToObject(it, "members");
    const cJSON *mid;
    rc =
        members ? generics_text(d, get(inner, "generics"), &g) : RIMPORT_ENOMEM;
    if (rc == 0)
      rc =
          rimport__buf_printf(&sig, "pub trait %s%s", name, g.ptr ? g.ptr : "");
    if (rc == 0 &&
        (!cJSON_AddStringToObject(it, "sig", sig.ptr) ||
         !cJSON_AddStringToObject(it, "generics", g.ptr ? g.ptr : "")))
      rc = RIMPORT_ENOMEM;
    cJSON_ArrayForEach(mid, get(inner, "items")) {
      if (rc == 0)
        rc = add_member(c, d, mid, path, NULL, members);
    }
    rimport_buf_dispose(&g);
    rimport_buf_dispose(&sig);
  } else if (strcmp(kind, "constant") == 0 || strcmp(kind, "static") == 0 ||
             strcmp(kind, "type_alias") == 0) {
    const cJSON *ty = get(inner, "type");
    const cJSON *cst = get(inner, "const");
    const char *val = cst ? rimport__json_str(cst, "value")
                          : rimport__json_str(inner, "value");
    const char *expr =
        cst ? rimport__json_str(cst, "expr") : rimport__json_str(inner, "expr");
    rimport_buf sig = RIMPORT_BUF_INIT, g = RIMPORT_BUF_INIT;
    rc = add_type(c, d, it, "type", ty, &env);
    if (rc == 0 && strcmp(kind, "type_alias") == 0)
      rc = generics_text(d, get(inner, "generics"), &g);
    if (rc == 0)
      rc = rimport__buf_printf(&sig, "pub %s%s %s%s%s",
                               strcmp(kind, "constant") == 0 ? "const"
                               : strcmp(kind, "static") == 0 ? "static"
                                                             : "type",
                               strcmp(kind, "static") == 0 &&
                                       flag(inner, "is_mutable", "mutable")
                                   ? " mut"
                                   : "",
                               name, g.ptr ? g.ptr : "",
                               strcmp(kind, "type_alias") == 0 ? " = " : ": ");
    if (rc == 0)
      rc = ty_text(d, ty, &sig, 0);
    if (rc == 0 && (val || expr) && strcmp(kind, "constant") == 0)
      rc = rimport__buf_printf(&sig, " = %s", val ? val : expr);
    if (rc == 0 &&
        (!cJSON_AddStringToObject(it, "sig", sig.ptr) ||
         !cJSON_AddStringToObject(it, "generics", g.ptr ? g.ptr : "") ||
         ((val || expr) &&
          !cJSON_AddStringToObject(it, "value", val ? val : expr))))
      rc = RIMPORT_ENOMEM;
    rimport_buf_dispose(&sig);
    rimport_buf_dispose(&g);
  } else if (strcmp(kind, "macro") == 0) {
    const char *mk = "macro_rules";
    const cJSON *pk = get(inner, "kind");
    if (cJSON_IsString(pk))
      mk = strcmp(pk->valuestring, "derive") == 0 ? "derive"
           : strcmp(pk->valuestring, "attr") == 0 ? "attribute"
                                                  : "bang";
    if (!cJSON_AddStringToObject(it, "macro", mk) ||
        !cJSON_AddStringToObject(
            it, "sig", cJSON_IsString(inner) ? inner->valuestring : "") ||
        !cJSON_AddStringToObject(it, "generics", ""))
      rc = RIMPORT_ENOMEM;
  } else {
    if (!cJSON_AddStringToObject(it, "sig", "") ||
        !cJSON_AddStringToObject(it, "generics", ""))
      rc = RIMPORT_ENOMEM;
  }
  if (rc == 0 && !cJSON_AddItemToArray(c->items, it))
    rc = RIMPORT_ENOMEM;
  else if (rc != 0)
    cJSON_Delete(it);
  return rc;
}

/* --- public paths ---------------------------------------------------------
 * rustdoc's paths table gives an item's path where it is defined, which
 * may be inside a private module (serde_json::read::Read, re-exported as
 * serde_json::de::Read). Such an item is listed at its shortest public
 * path instead. */

/* Every module path of d a user can name: the root's, and those reached
 * through public modules and re-exports. */
static int public_modules(const rd *d, const cJSON *module, const char *path,
                          pathset *set, int depth) {
  const cJSON *inner, *id;
  char key[80], buf[32];
  const char *k = id_key(get(module, "id"), buf);
  int rc = 0;
  if (depth > MAX_DEPTH || pathset_has(set, path))
    return 0;
  if (pathset_add(set, path) != 0)
    return RIMPORT_ENOMEM;
  /* A module is gone through once, by its first path: another path to it
   * (a re-export, or a document that goes round in circles) counts as a
   * public module path, but its insides are not walked again (they would
   * be walked once per path, exponentially in a cycle). */
  if (k == NULL)
    return 0;
  snprintf(key, sizeof(key), "\001%p:%s", (const void *)d, k);
  if (pathset_has(set, key))
    return 0;
  if (pathset_add(set, key) != 0)
    return RIMPORT_ENOMEM;
  item_kind(module, &inner);
  cJSON_ArrayForEach(id, get(inner, "items")) {
    const cJSON *item = by_id(d, id), *ii, *ti;
    const char *kind = item_kind(item, &ii), *name;
    rimport_buf sub = RIMPORT_BUF_INIT;
    if (strcmp(kind, "module") == 0 && !flag(ii, "is_stripped", NULL) &&
        (name = rimport__json_str(item, "name")) != NULL) {
      if ((rc = rimport__buf_printf(&sub, "%s::%s", path, name)) == 0)
        rc = public_modules(d, item, sub.ptr, set, depth + 1);
    } else if (strcmp(kind, "use") == 0) {
      const cJSON *target = by_id(d, get(ii, "id"));
      name = rimport__json_str(ii, "name");
      if (target != NULL && strcmp(item_kind(target, &ti), "module") == 0) {
        if (flag(ii, "is_glob", "glob"))
          rc = public_modules(d, target, path, set, depth + 1);
        else if (name != NULL &&
                 (rc = rimport__buf_printf(&sub, "%s::%s", path, name)) == 0)
          rc = public_modules(d, target, sub.ptr, set, depth + 1);
      }
    }
    rimport_buf_dispose(&sub);
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int parent_is(const char *path, const pathset *set) {
  const char *end = strrchr(path, ':');
  char buf[1024];
  size_t n;
  if (end == NULL || end - path < 2)
    return 1; /* a crate root */
  n = (size_t)(end - 1 - path);
  if (n >= sizeof(buf))
    return 0;
  memcpy(buf, path, n);
  buf[n] = '\0';
  return pathset_has(set, buf);
}

static int rename_item(conv *c, cJSON *it, const char *from, const char *to) {
  size_t n = strlen(from);
  cJSON *m, *a;
  rimport_buf p = RIMPORT_BUF_INIT;
  int rc = 0;
  cJSON_ArrayForEach(m, get(it, "members")) {
    const char *mp = rimport__json_str(m, "path");
    if (mp == NULL || strncmp(mp, from, n) != 0)
      continue;
    rimport__buf_clear(&p);
    if ((rc = rimport__buf_printf(&p, "%s%s", to, mp + n)) != 0)
      break;
    cJSON_ReplaceItemInObjectCaseSensitive(m, "path",
                                           cJSON_CreateString(p.ptr));
  }
  cJSON_ArrayForEach(a, c->aliases) {
    if (cJSON_IsString(a) && strcmp(a->valuestring, from) == 0)
      cJSON_SetValuestring(a, to);
  }
  cJSON_DeleteItemFromObjectCaseSensitive(c->aliases, to);
  /* (`from` stays in seen: nothing is recorded there again) */
  if (rc == 0 && pathset_add(&c->seen, to) != 0)
    rc = RIMPORT_ENOMEM;
  /* the item's own path last: `from` may point into it */
  if (rc == 0)
    cJSON_ReplaceItemInObjectCaseSensitive(it, "path", cJSON_CreateString(to));
  rimport_buf_dispose(&p);
  return rc;
}

/* Rewrites every "opaque" under o that names a renamed type. */
static int fix_opaque(cJSON *o, const cJSON *renamed, int depth) {
  cJSON *ch;
  int rc = 0;
  if (depth > MAX_DEPTH)
    return 0;
  cJSON_ArrayForEach(ch, o) {
    if (cJSON_IsString(ch) && ch->string && strcmp(ch->string, "opaque") == 0) {
      const cJSON *r;
      cJSON_ArrayForEach(r, renamed) {
        size_t n = strlen(r->string);
        if (strncmp(ch->valuestring, r->string, n) == 0 &&
            (ch->valuestring[n] == '\0' || ch->valuestring[n] == '<')) {
          rimport_buf t = RIMPORT_BUF_INIT;
          if ((rc = rimport__buf_printf(&t, "%s%s", r->valuestring,
                                        ch->valuestring + n)) == 0 &&
              cJSON_SetValuestring(ch, t.ptr) == NULL)
            rc = RIMPORT_ENOMEM;
          rimport_buf_dispose(&t);
          break;
        }
      }
    } else if (cJSON_IsObject(ch) || cJSON_IsArray(ch)) {
      rc = fix_opaque(ch, renamed, depth + 1);
    }
    if (rc != 0)
      break;
  }
  return rc;
}

static int fix_public_paths(conv *c) {
  pathset set = {NULL, 0, 0};
  cJSON *renamed = cJSON_CreateObject(), *it, *a;
  size_t i;
  int rc = renamed ? 0 : RIMPORT_ENOMEM;
  for (i = 0; rc == 0 && i < c->count; i++) {
    const rd *d = &c->docs[i];
    rc = public_modules(d, by_id(d, get(d->root, "root")), d->crate, &set, 0);
  }
  cJSON_ArrayForEach(it, c->items) {
    const char *path = rimport__json_str(it, "path"), *best = NULL;
    char *from;
    if (rc != 0)
      break;
    if (path == NULL || cJSON_IsTrue(get(it, "external")) ||
        strcmp(rimport__json_str(it, "kind"), "module") == 0 ||
        parent_is(path, &set))
      continue;
    cJSON_ArrayForEach(a, c->aliases) {
      if (cJSON_IsString(a) && strcmp(a->valuestring, path) == 0 &&
          parent_is(a->string, &set) &&
          (best == NULL || strlen(a->string) < strlen(best)))
        best = a->string;
    }
    if (best == NULL)
      continue;
    if ((from = rimport__strdup(path)) == NULL) {
      rc = RIMPORT_ENOMEM;
      break;
    }
    {
      char *to = rimport__strdup(best);
      rc = to ? rename_item(c, it, from, to) : RIMPORT_ENOMEM;
      if (rc == 0 && !cJSON_AddStringToObject(renamed, from, to))
        rc = RIMPORT_ENOMEM;
      rimport__free(to);
    }
    rimport__free(from);
  }
  if (rc == 0 && renamed->child != NULL)
    rc = fix_opaque(c->items, renamed, 0);
  pathset_free(&set);
  cJSON_Delete(renamed);
  return rc;
}

/* --- documents ------------------------------------------------------------ */

static int open_doc(const rimport__rustdoc_doc *in, rd *d) {
  const cJSON *v, *root_item;
  const char *what = in->what ? in->what : "rustdoc JSON";
  memset(d, 0, sizeof(*d));
  d->what = what;
  if (in->json == NULL ||
      (d->root = cJSON_ParseWithLength(in->json, in->len)) == NULL)
    return rimport__error_set(RIMPORT_ECORRUPT,
                              "reading the %s: it is not JSON; run rustdoc "
                              "by hand to see what it printed",
                              what);
  v = get(d->root, "format_version");
  d->index = get(d->root, "index");
  d->paths = get(d->root, "paths");
  d->crates = get(d->root, "external_crates");
  if (!cJSON_IsNumber(v) || !cJSON_IsObject(d->index) ||
      !cJSON_IsObject(d->paths))
    return rimport__error_set(RIMPORT_ECORRUPT,
                              "reading the %s: it has no format_version, "
                              "index or paths, so it is not rustdoc's JSON",
                              what);
  if (idmap_build(&d->index_map, d->index) != 0 ||
      idmap_build(&d->paths_map, d->paths) != 0)
    return rimport__error_nomem();
  /* (a number of any size: compared as a double before it is an int) */
  d->version = v->valuedouble >= RIMPORT__RUSTDOC_FORMAT_MIN &&
                       v->valuedouble <= RIMPORT__RUSTDOC_FORMAT_MAX
                   ? (int)v->valuedouble
               : v->valuedouble < 0 ? -1
                                    : RIMPORT__RUSTDOC_FORMAT_MAX + 1;
  if (d->version < RIMPORT__RUSTDOC_FORMAT_MIN ||
      d->version > RIMPORT__RUSTDOC_FORMAT_MAX)
    return rimport__error_set(
        RIMPORT_EUNSUPPORTED,
        "reading the %s: its format_version is %.17g, and this rimport reads "
        "%d to %d (Rust 1.63 to 1.95); the import works without signatures. "
        "Use a toolchain in that range, or a rimport that knows the newer "
        "format",
        what, v->valuedouble, RIMPORT__RUSTDOC_FORMAT_MIN,
        RIMPORT__RUSTDOC_FORMAT_MAX);
  root_item = by_id(d, get(d->root, "root"));
  d->crate = rimport__json_str(root_item, "name");
  if (d->crate == NULL)
    return rimport__error_set(RIMPORT_ECORRUPT,
                              "reading the %s: its root item is missing", what);
  return 0;
}

int rimport__api_from_rustdoc(const rimport__rustdoc_doc *docs, size_t count,
                              const char *crate, const char *version,
                              rimport_buf *out) {
  conv c;
  cJSON *index = NULL;
  size_t i;
  int rc = 0;
  memset(&c, 0, sizeof(c));
  if (docs == NULL || count == 0 || crate == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport__api_from_rustdoc: documents, crate "
                              "and out are needed");
  if ((c.docs = rimport__calloc(count, sizeof(*c.docs))) == NULL)
    return rimport__error_nomem();
  c.count = count;
  for (i = 0; rc == 0 && i < count; i++)
    rc = open_doc(&docs[i], &c.docs[i]);
  if (rc == 0) {
    index = cJSON_CreateObject();
    if (index == NULL ||
        !cJSON_AddNumberToObject(index, "format", RIMPORT__API_INDEX_FORMAT) ||
        !cJSON_AddStringToObject(index, "crate", crate) ||
        !cJSON_AddStringToObject(index, "version", version ? version : "") ||
        !cJSON_AddNumberToObject(index, "rustdoc_format", c.docs[0].version) ||
        (c.items = cJSON_AddArrayToObject(index, "items")) == NULL ||
        (c.aliases = cJSON_AddObjectToObject(index, "aliases")) == NULL)
      rc = rimport__error_nomem();
  }
  if (rc == 0) {
    const cJSON *root = by_id(&c.docs[0], get(c.docs[0].root, "root"));
    rc = walk_module(&c, &c.docs[0], root, c.docs[0].crate, 0);
    if (rc == 0)
      rc = fix_public_paths(&c);
    if (rc == RIMPORT_ENOMEM)
      rc = rimport__error_nomem();
  }
  if (rc == 0)
    rc = rimport__json_print(index, 0, out);
  for (i = 0; i < count; i++) {
    cJSON_Delete(c.docs[i].root);
    rimport__free(c.docs[i].index_map.slots);
    rimport__free(c.docs[i].paths_map.slots);
  }
  rimport__free(c.docs);
  cJSON_Delete(index);
  pathset_free(&c.seen);
  pathset_free(&c.walked);
  pathset_free(&c.alias_keys);
  return rc;
}

int rimport__api_reexported_crates(const rimport__rustdoc_doc *doc,
                                   rimport_buf *out) {
  rd d;
  const cJSON *item;
  int rc = open_doc(doc, &d);
  rimport__buf_clear(out);
  if (rc == 0 && (rc = rimport__buf_puts(out, "")) == 0) {
    cJSON_ArrayForEach(item, d.index) {
      const cJSON *inner, *p, *cr;
      const char *name;
      char buf[32], line[160];
      if (strcmp(item_kind(item, &inner), "use") != 0 ||
          by_id(&d, get(inner, "id")) != NULL)
        continue;
      p = path_of_id(&d, get(inner, "id"));
      cr = get(d.crates, id_key(get(p, "crate_id"), buf)
                             ? id_key(get(p, "crate_id"), buf)
                             : "-");
      name = rimport__json_str(cr, "name");
      if (name == NULL || strcmp(name, "std") == 0 ||
          strcmp(name, "core") == 0 || strcmp(name, "alloc") == 0 ||
          strcmp(name, d.crate) == 0)
        continue;
      snprintf(line, sizeof(line), "\n%s\n", name);
      if ((strncmp(out->ptr, line + 1, strlen(line + 1)) != 0 &&
           strstr(out->ptr, line) == NULL) &&
          (rc = rimport__buf_puts(out, line)) != 0)
        break;
    }
  }
  cJSON_Delete(d.root);
  rimport__free(d.index_map.slots);
  rimport__free(d.paths_map.slots);
  return rc;
}
