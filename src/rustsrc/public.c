/* rimport__rs_make_public: visibility for everything a later crate uses,
 * added without moving the user's code (see rustsrc.h for the rules and
 * where the text goes). */
#include <string.h>

#include "rustsrc_internal.h"

#define MAX_MOD_DEPTH 128

enum { ADD_PUB, ADD_EXPORT };

enum {
  AT_AFTER,  /* " pub" right after the previous token */
  AT_INLINE, /* "pub " in front of the item, on its line */
  AT_DOC     /* the previous token, a line doc comment, rewritten as an
                attribute, then " pub" */
};

typedef struct edit {
  size_t at;     /* input offset where the text goes */
  size_t remove; /* input bytes it replaces (AT_DOC: the comment) */
  size_t tok;    /* AT_DOC: the comment's token */
  int what;      /* ADD_PUB, ADD_EXPORT */
  int mode;      /* AT_* */
} edit;

typedef struct pub_state {
  const rimport__rs_toks *t;
  edit *edits;
  size_t count, cap;
} pub_state;

static const char *added(int what, int mode) {
  if (what == ADD_EXPORT)
    return mode == AT_INLINE ? "#[macro_export] " : " #[macro_export]";
  return mode == AT_INLINE ? "pub " : " pub";
}

/* Plans the text `what` in front of token `head`. */
static int add_edit(pub_state *p, size_t head, int what) {
  const rimport__rs_toks *t = p->t;
  size_t prev = RIMPORT__RS_NO, k = head;
  edit *e;
  int rc;
  /* The token before: comments other than doc comments do not count. */
  while (k > 0) {
    k--;
    if (t->v[k].kind != RIMPORT__RS_TCOMMENT || t->v[k].doc != 0) {
      prev = k;
      break;
    }
  }
  rc = rimport__grow((void **)&p->edits, &p->cap, p->count + 1,
                     sizeof(*p->edits));
  if (rc != 0)
    return rc;
  e = &p->edits[p->count++];
  memset(e, 0, sizeof(*e));
  e->what = what;
  if (prev == RIMPORT__RS_NO ||
      memchr(t->src + t->v[prev].end, '\n',
             t->v[head].start - t->v[prev].end) == NULL) {
    e->mode = AT_INLINE;
    e->at = t->v[head].start;
  } else if (t->v[prev].kind == RIMPORT__RS_TCOMMENT &&
             t->v[prev].line_comment) {
    e->mode = AT_DOC;
    e->at = t->v[prev].start;
    e->remove = t->v[prev].end - t->v[prev].start;
    if (t->src[t->v[prev].end - 1] == '\r')
      e->remove--; /* the '\r' of "\r\n" stays */
    e->tok = prev;
  } else {
    e->mode = AT_AFTER;
    e->at = t->v[prev].end;
  }
  return 0;
}

/* `/// text` as `#[doc = r"text"]` (`//!` as `#![doc = …]`), the raw
 * string given enough '#' for any quote in the text. */
static int put_doc_attr(rimport_buf *out, const rimport__rs_toks *t,
                        size_t tok) {
  const rimport__rs_tok *v = &t->v[tok];
  const char *text = t->src + v->start + 3;
  size_t len = v->end - v->start - 3, run = 0, most = 0, i;
  int rc;
  if (len > 0 && text[len - 1] == '\r')
    len--;
  for (i = 0; i < len; i++) {
    run = text[i] == '#' ? run + 1 : 0;
    if (run > most)
      most = run;
  }
  rc = rimport__buf_puts(out, v->doc == RIMPORT__RS_DOC_INNER ? "#![doc = r"
                                                              : "#[doc = r");
  for (i = 0; rc == 0 && i <= most; i++)
    rc = rimport__buf_putc(out, '#');
  if (rc == 0)
    rc = rimport__buf_putc(out, '"');
  if (rc == 0)
    rc = rimport__buf_put(out, text, len);
  if (rc == 0)
    rc = rimport__buf_putc(out, '"');
  for (i = 0; rc == 0 && i <= most; i++)
    rc = rimport__buf_putc(out, '#');
  if (rc == 0)
    rc = rimport__buf_putc(out, ']');
  return rc;
}

/* Fields of a struct or union: the tokens (lo, hi) inside its `{ }` or
 * `( )`, split at `,` outside `<…>`. */
static int pub_fields(pub_state *p, size_t lo, size_t hi) {
  const rimport__rs_toks *t = p->t;
  size_t k = lo;
  int rc = 0;
  while (rc == 0 && k < hi) {
    size_t head = k, angle = 0;
    /* Past the field's attributes and comments. */
    for (;;) {
      head = rimport__rs_sig(t, head, hi);
      if (rimport__rs_is_punct(t, head, '#') && head < hi) {
        size_t b = rimport__rs_sig(t, head + 1, hi);
        if (rimport__rs_is_punct(t, b, '!')) /* not valid here; as rustc */
          b = rimport__rs_sig(t, b + 1, hi);
        if (rimport__rs_is_punct(t, b, '[') &&
            t->v[b].match != RIMPORT__RS_NO && t->v[b].match < hi) {
          head = t->v[b].match + 1;
          continue;
        }
      }
      break;
    }
    if (head >= hi)
      break;
    if (!rimport__rs_is_word(t, head, "pub") &&
        !rimport__rs_is_punct(t, head, ','))
      rc = add_edit(p, head, ADD_PUB);
    for (k = head; k < hi; k++) {
      if (rimport__rs_is_punct(t, k, ',') && angle == 0)
        break;
      if (rimport__rs_is_punct(t, k, '<'))
        angle++;
      else if (angle > 0 && rimport__rs_is_angle_close(t, k))
        angle--;
      else if (t->v[k].kind == RIMPORT__RS_TPUNCT &&
               t->v[k].match != RIMPORT__RS_NO && t->v[k].match > k &&
               t->v[k].match < hi)
        k = t->v[k].match;
    }
    k++;
  }
  return rc;
}

enum { IN_MODULE, IN_IMPL, IN_EXTERN };

static int pub_items(pub_state *p, size_t lo, size_t hi, int where, int depth);

/* The tokens inside the body `{ }` of an item. */
static int pub_body(pub_state *p, const rimport__rs_item *it, int where,
                    int depth) {
  size_t close;
  if (it->body == RIMPORT__RS_NO)
    return 0;
  close = p->t->v[it->body].match;
  if (close == RIMPORT__RS_NO)
    return 0;
  return pub_items(p, it->body + 1, close, where, depth);
}

static int needs_pub(const pub_state *p, const rimport__rs_item *it,
                     int where) {
  if (it->has_vis)
    return 0;
  switch (it->kind) {
  case RIMPORT__RS_CONST:
    /* `pub const _` warns: the visibility applies to nothing. */
    return where != IN_EXTERN && !rimport__rs_is_word(p->t, it->name, "_");
  case RIMPORT__RS_FN:
  case RIMPORT__RS_TYPE:
    return 1;
  case RIMPORT__RS_STATIC:
    return where != IN_IMPL;
  case RIMPORT__RS_STRUCT:
  case RIMPORT__RS_ENUM:
  case RIMPORT__RS_UNION:
  case RIMPORT__RS_TRAIT:
  case RIMPORT__RS_MOD:
  case RIMPORT__RS_USE:
  case RIMPORT__RS_EXTERN_CRATE:
    return where == IN_MODULE;
  default:
    return 0;
  }
}

static int pub_items(pub_state *p, size_t lo, size_t hi, int where, int depth) {
  const rimport__rs_toks *t = p->t;
  rimport__rs_scan scan;
  rimport__rs_item it;
  int rc = 0;
  rimport__rs_scan_init(&scan, t, lo, hi);
  while (rc == 0 && rimport__rs_scan_next(&scan, &it)) {
    if (needs_pub(p, &it, where))
      rc = add_edit(p, it.head, ADD_PUB);
    if (rc != 0 || where != IN_MODULE)
      continue;
    switch (it.kind) {
    case RIMPORT__RS_MACRO:
      if (!it.macro_export)
        rc = add_edit(p, it.head, ADD_EXPORT);
      break;
    case RIMPORT__RS_STRUCT:
    case RIMPORT__RS_UNION:
      if (it.body != RIMPORT__RS_NO)
        rc = pub_fields(p, it.body + 1, t->v[it.body].match);
      else if (it.kind == RIMPORT__RS_STRUCT && it.paren != RIMPORT__RS_NO)
        rc = pub_fields(p, it.paren + 1, t->v[it.paren].match);
      break;
    case RIMPORT__RS_IMPL:
      if (rimport__rs_impl_is_inherent(t, &it))
        rc = pub_body(p, &it, IN_IMPL, depth);
      break;
    case RIMPORT__RS_EXTERN_BLOCK:
      rc = pub_body(p, &it, IN_EXTERN, depth);
      break;
    case RIMPORT__RS_MOD:
      if (it.body == RIMPORT__RS_NO)
        break;
      if (depth >= MAX_MOD_DEPTH) {
        unsigned int line, col;
        rimport__rs_position(t->src, t->len, t->v[it.head].start, &line, &col);
        rc = rimport__error_set(
            RIMPORT_EUNSUPPORTED,
            "making the cell's items public: the module at %u:%u is nested "
            "more than %d modules deep; flatten the modules",
            line, col, MAX_MOD_DEPTH);
        break;
      }
      rc = pub_body(p, &it, IN_MODULE, depth + 1);
      break;
    default:
      break;
    }
  }
  return rc;
}

/* The output: the input with the planned edits, in order. */
static int apply(const pub_state *p, rimport_buf *out,
                 rimport__rs_shifts *shifts) {
  const rimport__rs_toks *t = p->t;
  size_t pos = 0, i;
  int rc = rimport__buf_grow(out, t->len + p->count * 8);
  for (i = 0; rc == 0 && i < p->count; i++) {
    const edit *e = &p->edits[i];
    const char *text = added(e->what, e->mode);
    if (e->at < pos || e->at > t->len)
      return rimport__error_set(RIMPORT_EINTERNAL,
                                "making the cell's items public: edits out of "
                                "order at byte %zu; this is a bug in rimport",
                                e->at);
    rc = rimport__buf_put(out, t->src + pos, e->at - pos);
    pos = e->at;
    if (rc == 0 && e->mode == AT_DOC) {
      rc = put_doc_attr(out, t, e->tok);
      pos += e->remove;
    }
    if (rc == 0)
      rc = rimport__buf_puts(out, text);
    if (rc == 0 && e->mode == AT_INLINE && shifts != NULL) {
      rimport__rs_shift *s;
      rc = rimport__grow((void **)&shifts->v, &shifts->cap, shifts->count + 1,
                         sizeof(*shifts->v));
      if (rc != 0)
        break;
      s = &shifts->v[shifts->count++];
      s->offset = e->at;
      s->added = strlen(text);
      rimport__rs_position(t->src, t->len, e->at, &s->line, &s->column);
    }
  }
  if (rc == 0)
    rc = rimport__buf_put(out, t->src + pos, t->len - pos);
  return rc;
}

int rimport__rs_make_public_ex(const char *items, size_t len, rimport_buf *out,
                               rimport__rs_shifts *shifts) {
  rimport__rs_toks toks = RIMPORT__RS_TOKS_INIT;
  pub_state p;
  int rc;
  if (out == NULL || (items == NULL && len > 0))
    return rimport__error_set(RIMPORT_EINVAL,
                              "making the cell's items public: no text or no "
                              "buffer for the result");
  memset(&p, 0, sizeof(p));
  p.t = &toks;
  rimport__buf_clear(out);
  rc = rimport__rs_tokenize(items, len, 1, "making the cell's items public",
                            &toks);
  if (rc == 0)
    rc = pub_items(&p, 0, toks.count, IN_MODULE, 0);
  if (rc == 0)
    rc = apply(&p, out, shifts);
  if (rc != 0)
    rimport_buf_dispose(out);
  rimport__free(p.edits);
  rimport__rs_toks_free(&toks);
  return rc;
}

int rimport__rs_make_public(const char *items, size_t len, rimport_buf *out) {
  return rimport__rs_make_public_ex(items, len, out, NULL);
}

void rimport__rs_shifts_free(rimport__rs_shifts *shifts) {
  if (shifts == NULL)
    return;
  rimport__free(shifts->v);
  shifts->v = NULL;
  shifts->count = shifts->cap = 0;
}
