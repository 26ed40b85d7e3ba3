/* The names an items text binds at the crate root, and the identifiers a
 * text mentions.
 *
 * Names: fn/struct/enum/union/trait/type/const/static/mod NAME and
 * macro_rules! NAME; `extern crate x` binds x, `extern crate x as y` y; an
 * extern block binds its fns and statics; a use tree binds each leaf (its
 * last segment, or its `as` name), a `self` leaf the segment before it
 * (`use a::{self}` binds a). `_` binds nothing; an impl block, a glob and
 * an `as _` import set has_nameless (a glob has_glob too, and its path is
 * kept; a `use … as _` has_underscore_use too). Modules' insides are not the
 * crate root: `mod m { … }` binds m. */
#include <string.h>

#include "rustsrc_internal.h"

void rimport__rs_names_dispose(rimport__rs_names *names) {
  size_t i;
  if (names == NULL)
    return;
  for (i = 0; i < names->count; i++)
    rimport__free(names->v[i].name);
  for (i = 0; i < names->glob_count; i++)
    rimport__free(names->globs[i]);
  rimport__free(names->v);
  rimport__free(names->globs);
  rimport__free(names->set);
  memset(names, 0, sizeof(*names));
}

static int add_name(rimport__rs_names *out, const char *s, size_t len,
                    rimport__rs_kind kind, size_t offset) {
  rimport__rs_name *n;
  int rc = rimport__grow((void **)&out->v, &out->cap, out->count + 1,
                         sizeof(*out->v));
  if (rc != 0)
    return rc;
  n = &out->v[out->count];
  n->name = rimport__strndup(s, len);
  if (n->name == NULL)
    return rimport__error_nomem();
  n->len = len;
  n->kind = kind;
  n->offset = offset;
  out->count++;
  return 0;
}

static int add_tok(rimport__rs_names *out, const rimport__rs_toks *t, size_t i,
                   rimport__rs_kind kind) {
  return add_name(out, t->src + t->v[i].start, t->v[i].end - t->v[i].start,
                  kind, t->v[i].start);
}

/* --- use trees ------------------------------------------------------------ */

/* `::`: two adjacent colons. */
static int is_path_sep(const rimport__rs_toks *t, size_t i) {
  return rimport__rs_is_punct(t, i, ':') &&
         rimport__rs_is_punct(t, i + 1, ':') &&
         t->v[i].end == t->v[i + 1].start;
}

typedef struct use_state {
  const rimport__rs_toks *t;
  rimport__rs_names *out;
  size_t *segs; /* the path so far: token indices */
  size_t nseg, seg_cap;
  int lead; /* the path starts with `::` */
} use_state;

/* A leaf: `a::b` binds b, `a::b as c` c, `a::{self}` a. */
static int use_leaf(use_state *u, size_t alias) {
  const rimport__rs_toks *t = u->t;
  size_t leaf = u->segs[u->nseg - 1];
  if (alias != RIMPORT__RS_NO) {
    if (rimport__rs_is_word(t, alias, "_")) {
      u->out->has_nameless = 1;
      u->out->has_underscore_use = 1;
      return 0;
    }
    return rimport__rs_is_name(t, alias)
               ? add_tok(u->out, t, alias, RIMPORT__RS_USE)
               : 0;
  }
  if (rimport__rs_is_word(t, leaf, "self") && u->nseg >= 2)
    leaf = u->segs[u->nseg - 2];
  return rimport__rs_is_name(t, leaf)
             ? add_tok(u->out, t, leaf, RIMPORT__RS_USE)
             : 0;
}

/* `a::b::*`: the path "a::b" is kept. */
static int use_glob(use_state *u) {
  rimport_buf path = RIMPORT_BUF_INIT;
  size_t i;
  int rc = 0;
  char *s;
  u->out->has_glob = 1;
  u->out->has_nameless = 1;
  if (u->lead)
    rc = rimport__buf_puts(&path, "::");
  for (i = 0; i < u->nseg && rc == 0; i++) {
    const rimport__rs_tok *v = &u->t->v[u->segs[i]];
    if (i > 0)
      rc = rimport__buf_puts(&path, "::");
    if (rc == 0)
      rc = rimport__buf_put(&path, u->t->src + v->start, v->end - v->start);
  }
  if (rc == 0)
    rc = rimport__grow((void **)&u->out->globs, &u->out->glob_cap,
                       u->out->glob_count + 1, sizeof(*u->out->globs));
  if (rc != 0) {
    rimport_buf_dispose(&path);
    return rc;
  }
  s = rimport__buf_detach(&path);
  if (s == NULL)
    return rimport__error_nomem();
  u->out->globs[u->out->glob_count++] = s;
  return 0;
}

typedef struct use_frame {
  size_t close;  /* the `}` of the group */
  size_t prefix; /* segments before the group */
} use_frame;

/* The use tree in tokens [k, end). Iterative (a group is a frame on a
 * stack), so deep nesting cannot overflow the C stack. Something that is
 * not a use tree ends the walk: rustc reports it. */
static int use_tree(const rimport__rs_toks *t, size_t k, size_t end,
                    rimport__rs_names *out) {
  use_state u;
  use_frame *frames = NULL;
  size_t nframes = 0, frame_cap = 0, prefix = 0;
  int rc = 0, in_tree = 1;
  memset(&u, 0, sizeof(u));
  u.t = t;
  u.out = out;
  k = rimport__rs_sig(t, k, end);
  while (rc == 0 && k < end) {
    if (!in_tree) {
      /* After a tree: `,` and another, or the group's `}`. */
      if (nframes == 0)
        break;
      if (rimport__rs_is_punct(t, k, ',')) {
        k = rimport__rs_sig(t, k + 1, end);
        prefix = frames[nframes - 1].prefix;
        in_tree = 1;
      } else if (k == frames[nframes - 1].close) {
        nframes--;
        k = rimport__rs_sig(t, k + 1, end);
      } else {
        break;
      }
      continue;
    }
    /* A tree, after `prefix` segments. */
    if (nframes > 0 && k == frames[nframes - 1].close) {
      in_tree = 0; /* `{}` or a trailing comma */
      continue;
    }
    u.nseg = prefix;
    if (is_path_sep(t, k)) {
      if (u.nseg == 0)
        u.lead = 1;
      k = rimport__rs_sig(t, k + 2, end);
    }
    for (;;) {
      if (k < end && t->v[k].kind == RIMPORT__RS_TIDENT &&
          !rimport__rs_is_word(t, k, "as")) {
        size_t alias = RIMPORT__RS_NO;
        rc = rimport__grow((void **)&u.segs, &u.seg_cap, u.nseg + 1,
                           sizeof(*u.segs));
        if (rc != 0)
          break;
        u.segs[u.nseg++] = k;
        k = rimport__rs_sig(t, k + 1, end);
        if (is_path_sep(t, k)) {
          k = rimport__rs_sig(t, k + 2, end);
          continue;
        }
        if (rimport__rs_is_word(t, k, "as")) {
          alias = rimport__rs_sig(t, k + 1, end);
          k = rimport__rs_sig(t, alias + 1, end);
          if (alias >= end || t->v[alias].kind != RIMPORT__RS_TIDENT)
            goto done; /* `as` and no name */
        }
        rc = use_leaf(&u, alias);
        in_tree = 0;
        break;
      }
      if (rimport__rs_is_punct(t, k, '*')) {
        rc = use_glob(&u);
        k = rimport__rs_sig(t, k + 1, end);
        in_tree = 0;
        break;
      }
      if (rimport__rs_is_punct(t, k, '{') && t->v[k].match != RIMPORT__RS_NO &&
          t->v[k].match < end) {
        rc = rimport__grow((void **)&frames, &frame_cap, nframes + 1,
                           sizeof(*frames));
        if (rc != 0)
          break;
        frames[nframes].close = t->v[k].match;
        frames[nframes].prefix = u.nseg;
        nframes++;
        prefix = u.nseg;
        k = rimport__rs_sig(t, k + 1, end);
        break; /* a tree inside the group next (in_tree stays 1) */
      }
      goto done; /* not a use tree */
    }
  }
done:
  rimport__free(u.segs);
  rimport__free(frames);
  return rc;
}

/* --- item names ------------------------------------------------------------
 */

/* `extern crate x [as y];` */
static int extern_crate(const rimport__rs_toks *t, const rimport__rs_item *it,
                        rimport__rs_names *out) {
  size_t end = it->last + 1, as, alias;
  if (it->name == RIMPORT__RS_NO)
    return 0;
  as = rimport__rs_sig(t, it->name + 1, end);
  if (rimport__rs_is_word(t, as, "as")) {
    alias = rimport__rs_sig(t, as + 1, end);
    if (rimport__rs_is_word(t, alias, "_")) {
      out->has_nameless = 1;
      return 0;
    }
    return rimport__rs_is_name(t, alias)
               ? add_tok(out, t, alias, RIMPORT__RS_EXTERN_CRATE)
               : 0;
  }
  return rimport__rs_is_name(t, it->name)
             ? add_tok(out, t, it->name, RIMPORT__RS_EXTERN_CRATE)
             : 0;
}

/* The fns and statics of an extern block. */
static int extern_block(const rimport__rs_toks *t, const rimport__rs_item *it,
                        rimport__rs_names *out) {
  rimport__rs_scan scan;
  rimport__rs_item in;
  int rc = 0;
  if (it->body == RIMPORT__RS_NO || t->v[it->body].match == RIMPORT__RS_NO)
    return 0;
  rimport__rs_scan_init(&scan, t, it->body + 1, t->v[it->body].match);
  while (rc == 0 && rimport__rs_scan_next(&scan, &in))
    if ((in.kind == RIMPORT__RS_FN || in.kind == RIMPORT__RS_STATIC) &&
        in.name != RIMPORT__RS_NO && rimport__rs_is_name(t, in.name))
      rc = add_tok(out, t, in.name, in.kind);
  return rc;
}

int rimport__rs_item_names(const char *items, size_t len,
                           rimport__rs_names *out) {
  rimport__rs_toks toks = RIMPORT__RS_TOKS_INIT;
  rimport__rs_scan scan;
  rimport__rs_item it;
  int rc;
  if (out == NULL || (items == NULL && len > 0))
    return rimport__error_set(RIMPORT_EINVAL,
                              "reading the names of a cell's items: no text "
                              "or no list to put the names in");
  rc = rimport__rs_tokenize(items, len, 1,
                            "reading the names of the cell's items", &toks);
  if (rc != 0)
    goto done;
  rimport__rs_scan_init(&scan, &toks, 0, toks.count);
  while (rc == 0 && rimport__rs_scan_next(&scan, &it)) {
    switch (it.kind) {
    case RIMPORT__RS_FN:
    case RIMPORT__RS_STRUCT:
    case RIMPORT__RS_ENUM:
    case RIMPORT__RS_UNION:
    case RIMPORT__RS_TRAIT:
    case RIMPORT__RS_TYPE:
    case RIMPORT__RS_CONST:
    case RIMPORT__RS_STATIC:
    case RIMPORT__RS_MOD:
    case RIMPORT__RS_MACRO:
      if (it.name != RIMPORT__RS_NO && rimport__rs_is_name(&toks, it.name))
        rc = add_tok(out, &toks, it.name, it.kind);
      break;
    case RIMPORT__RS_IMPL:
      out->has_nameless = 1;
      break;
    case RIMPORT__RS_USE:
      rc = use_tree(&toks, it.kw + 1, it.last + 1, out);
      break;
    case RIMPORT__RS_EXTERN_CRATE:
      rc = extern_crate(&toks, &it, out);
      break;
    case RIMPORT__RS_EXTERN_BLOCK:
      rc = extern_block(&toks, &it, out);
      break;
    default:
      break;
    }
  }
done:
  rimport__rs_toks_free(&toks);
  return rc;
}

/* --- identifiers -----------------------------------------------------------
 */

static size_t hash_bytes(const char *s, size_t len) {
  size_t h = (size_t)14695981039346656037ULL, i;
  for (i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= (size_t)1099511628211ULL;
  }
  return h;
}

/* The slot of `s` in the set: where it is, or the empty slot for it. */
static size_t set_slot(const rimport__rs_names *n, const char *s, size_t len) {
  size_t mask = n->set_cap - 1, i = hash_bytes(s, len) & mask;
  while (n->set[i] != 0) {
    const rimport__rs_name *e = &n->v[n->set[i] - 1];
    if (e->len == len && memcmp(e->name, s, len) == 0)
      break;
    i = (i + 1) & mask;
  }
  return i;
}

/* Room for one more entry (the set is at most half full). */
static int set_reserve(rimport__rs_names *n) {
  size_t cap, i, *old = n->set, old_cap = n->set_cap;
  if ((n->set_used + 1) * 2 <= n->set_cap)
    return 0;
  cap = n->set_cap ? n->set_cap * 2 : 64;
  n->set = rimport__calloc(cap, sizeof(*n->set));
  if (n->set == NULL) {
    n->set = old;
    return rimport__error_nomem();
  }
  n->set_cap = cap;
  for (i = 0; i < old_cap; i++)
    if (old[i] != 0) {
      const rimport__rs_name *e = &n->v[old[i] - 1];
      n->set[set_slot(n, e->name, e->len)] = old[i];
    }
  rimport__free(old);
  return 0;
}

/* Adds the identifier unless the list has it (as RIMPORT__RS_IDENT). */
static int add_ident(rimport__rs_names *out, const char *s, size_t len,
                     size_t offset) {
  size_t slot;
  int rc;
  /* Names added to the list since the last call join the set. */
  while (out->set_seen < out->count) {
    rimport__rs_name *e = &out->v[out->set_seen];
    if (e->kind == RIMPORT__RS_IDENT) {
      if ((rc = set_reserve(out)) != 0)
        return rc;
      slot = set_slot(out, e->name, e->len);
      if (out->set[slot] == 0) {
        out->set[slot] = out->set_seen + 1;
        out->set_used++;
      }
    }
    out->set_seen++;
  }
  if ((rc = set_reserve(out)) != 0)
    return rc;
  slot = set_slot(out, s, len);
  if (out->set[slot] != 0)
    return 0;
  if ((rc = add_name(out, s, len, RIMPORT__RS_IDENT, offset)) != 0)
    return rc;
  out->set[slot] = out->count;
  out->set_used++;
  out->set_seen = out->count;
  return 0;
}

int rimport__rs_idents(const char *text, size_t len, rimport__rs_names *out) {
  rimport__rs_toks toks = RIMPORT__RS_TOKS_INIT;
  size_t i;
  int rc;
  if (out == NULL || (text == NULL && len > 0))
    return rimport__error_set(RIMPORT_EINVAL,
                              "reading the identifiers of a cell: no text or "
                              "no list to put them in");
  rc = rimport__rs_tokenize(text, len, 0, "reading the identifiers of the cell",
                            &toks);
  for (i = 0; rc == 0 && i < toks.count; i++) {
    const rimport__rs_tok *v = &toks.v[i];
    const char *s = text + v->start;
    size_t n = v->end - v->start;
    if (v->kind != RIMPORT__RS_TIDENT)
      continue;
    if (v->raw) {
      s += 2;
      n -= 2;
    } else if (rimport__rs_is_keyword(s, n)) {
      continue;
    }
    if (n == 1 && s[0] == '_') /* `_`, and `r#_` (not an identifier) */
      continue;
    rc = add_ident(out, s, n, v->start);
  }
  rimport__rs_toks_free(&toks);
  return rc;
}
