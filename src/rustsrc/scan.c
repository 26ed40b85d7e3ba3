/* The item scanner: where, among the tokens of a cell (or of a module's
 * body), each top-level item starts and ends.
 *
 * At a boundary (see rustsrc_internal.h), past outer attributes `#[…]` and
 * outer doc comments, an item starts when the next tokens are:
 *   pub …  (any visibility)          fn  struct  enum  trait  impl  type
 *   mod  use                         union NAME  (union is contextual)
 *   const NAME | const _ | const fn | const unsafe | const async |
 *   const extern  (not `const {`)    static NAME | static mut
 *   extern crate | extern "abi" | extern fn | extern {
 *   unsafe fn|impl|trait|extern|mod|auto  (not `unsafe {`)
 *   async fn|unsafe|extern  (not `async {`, `async move`)
 *   safe fn|static  (an item of an unsafe extern block)
 *   auto trait                       macro_rules ! NAME
 * The attributes and doc comments belong to the item. `use`, `type`,
 * `const`, `static` and `extern crate` end at the first `;` at their depth
 * 0; the others at the `}` closing the first `{` opened at depth 0 (and
 * outside a generic `<…>`, so `-> Foo<{ N }>` is no body), or at the first
 * `;` at depth 0 if that comes first (`struct P;`, `mod m;`,
 * `macro_rules! m ( … );`). An item cut off by the end of the range ends
 * with its last token. */
#include <string.h>

#include "rustsrc_internal.h"

static const char *const keywords[] = {
    /* strict, Rust 2021 */
    "as", "async", "await", "break", "const", "continue", "crate", "dyn",
    "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in", "let",
    "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while",
    /* reserved */
    "abstract", "become", "box", "do", "final", "macro", "override", "priv",
    "try", "typeof", "unsized", "virtual", "yield"};

int rimport__rs_is_keyword(const char *s, size_t len) {
  size_t i;
  if (len < 2 || len > 8)
    return 0;
  for (i = 0; i < RIMPORT__ARRAY_SIZE(keywords); i++)
    if (strlen(keywords[i]) == len && memcmp(keywords[i], s, len) == 0)
      return 1;
  return 0;
}

const char *rimport__rs_kind_name(rimport__rs_kind kind) {
  switch (kind) {
  case RIMPORT__RS_FN:
    return "fn";
  case RIMPORT__RS_STRUCT:
    return "struct";
  case RIMPORT__RS_ENUM:
    return "enum";
  case RIMPORT__RS_UNION:
    return "union";
  case RIMPORT__RS_TRAIT:
    return "trait";
  case RIMPORT__RS_TYPE:
    return "type";
  case RIMPORT__RS_CONST:
    return "const";
  case RIMPORT__RS_STATIC:
    return "static";
  case RIMPORT__RS_MOD:
    return "mod";
  case RIMPORT__RS_MACRO:
    return "macro";
  case RIMPORT__RS_USE:
    return "use";
  case RIMPORT__RS_EXTERN_CRATE:
    return "extern crate";
  case RIMPORT__RS_IMPL:
    return "impl";
  case RIMPORT__RS_EXTERN_BLOCK:
    return "extern block";
  case RIMPORT__RS_OTHER:
    return "item";
  case RIMPORT__RS_IDENT:
    return "ident";
  case RIMPORT__RS_NONE:
    break;
  }
  return "none";
}

int rimport__rs_is_punct(const rimport__rs_toks *t, size_t i, char c) {
  return i < t->count && t->v[i].kind == RIMPORT__RS_TPUNCT &&
         t->v[i].punct == c;
}

int rimport__rs_is_word(const rimport__rs_toks *t, size_t i, const char *w) {
  size_t n = strlen(w);
  return i < t->count && t->v[i].kind == RIMPORT__RS_TIDENT && !t->v[i].raw &&
         t->v[i].end - t->v[i].start == n &&
         memcmp(t->src + t->v[i].start, w, n) == 0;
}

int rimport__rs_is_name(const rimport__rs_toks *t, size_t i) {
  const rimport__rs_tok *k;
  if (i >= t->count || t->v[i].kind != RIMPORT__RS_TIDENT)
    return 0;
  k = &t->v[i];
  if (k->raw)
    return 1;
  if (k->end - k->start == 1 && t->src[k->start] == '_')
    return 0;
  return !rimport__rs_is_keyword(t->src + k->start, k->end - k->start);
}

size_t rimport__rs_sig(const rimport__rs_toks *t, size_t i, size_t hi) {
  if (hi > t->count)
    hi = t->count;
  while (i < hi && t->v[i].kind == RIMPORT__RS_TCOMMENT)
    i++;
  return i < hi ? i : hi;
}

size_t rimport__rs_sig_before(const rimport__rs_toks *t, size_t i, size_t lo) {
  while (i > lo) {
    i--;
    if (t->v[i].kind != RIMPORT__RS_TCOMMENT)
      return i;
  }
  return RIMPORT__RS_NO;
}

int rimport__rs_is_angle_close(const rimport__rs_toks *t, size_t i) {
  return rimport__rs_is_punct(t, i, '>') &&
         !(i > 0 && rimport__rs_is_punct(t, i - 1, '-') &&
           t->v[i - 1].end == t->v[i].start);
}

/* The token after the group that v[i] opens (v[i] itself when it opens
 * none, which matched tokens never have). */
static size_t after_group(const rimport__rs_toks *t, size_t i) {
  size_t m = t->v[i].match;
  return m != RIMPORT__RS_NO && m > i ? m + 1 : i + 1;
}

static int is_open(const rimport__rs_toks *t, size_t i) {
  return rimport__rs_is_punct(t, i, '(') || rimport__rs_is_punct(t, i, '[') ||
         rimport__rs_is_punct(t, i, '{');
}

/* The last token of [lo, hi) that is not a comment (lo when none). */
static size_t last_sig(const rimport__rs_toks *t, size_t lo, size_t hi) {
  size_t i = rimport__rs_sig_before(t, hi, lo);
  return i == RIMPORT__RS_NO ? lo : i;
}

/* `use`, `type`, `const`, `static`, `extern crate`: to the first `;`. */
static void extent_semi(const rimport__rs_toks *t, size_t k, size_t hi,
                        rimport__rs_item *it) {
  while (k < hi) {
    if (rimport__rs_is_punct(t, k, ';')) {
      it->last = k;
      return;
    }
    k = is_open(t, k) ? after_group(t, k) : k + 1;
  }
  it->last = last_sig(t, it->kw, hi);
}

/* The others: to the `}` closing the first `{` at depth 0 (outside `<…>`
 * when `angles`), or to the first `;`. */
static void extent_block(const rimport__rs_toks *t, size_t k, size_t hi,
                         int angles, rimport__rs_item *it) {
  size_t angle = 0;
  while (k < hi) {
    const rimport__rs_tok *v = &t->v[k];
    if (v->kind == RIMPORT__RS_TPUNCT) {
      if (v->punct == ';') {
        it->last = k;
        return;
      }
      if (v->punct == '{' && angle == 0) {
        it->body = k;
        it->last = v->match != RIMPORT__RS_NO ? v->match : last_sig(t, k, hi);
        return;
      }
      if (v->punct == '(' && angle == 0 && it->paren == RIMPORT__RS_NO)
        it->paren = k;
      if (angles && v->punct == '<')
        angle++;
      else if (angles && angle > 0 && rimport__rs_is_angle_close(t, k))
        angle--;
      if (is_open(t, k)) {
        k = after_group(t, k);
        continue;
      }
    }
    k++;
  }
  it->last = last_sig(t, it->kw, hi);
}

/* `pub`, `pub(crate)`, `pub(in path)`: the token after the visibility. */
static size_t skip_vis(const rimport__rs_toks *t, size_t k, size_t hi) {
  size_t n = rimport__rs_sig(t, k + 1, hi);
  if (rimport__rs_is_punct(t, n, '('))
    return rimport__rs_sig(t, after_group(t, n), hi);
  return n;
}

static int is_attr_macro_export(const rimport__rs_toks *t, size_t open) {
  size_t k = rimport__rs_sig(t, open + 1, t->count);
  return rimport__rs_is_word(t, k, "macro_export");
}

/* Past outer attributes and doc comments from boundary i: the head, or
 * RIMPORT__RS_NO when an inner attribute or inner doc comment comes first
 * (a statement). Sets it->first and it->macro_export. */
static size_t skip_attrs(const rimport__rs_toks *t, size_t i, size_t hi,
                         rimport__rs_item *it) {
  size_t k = i;
  it->first = RIMPORT__RS_NO;
  it->macro_export = 0;
  while (k < hi) {
    const rimport__rs_tok *v = &t->v[k];
    if (v->kind == RIMPORT__RS_TCOMMENT) {
      if (v->doc == RIMPORT__RS_DOC_INNER)
        return RIMPORT__RS_NO;
      if (v->doc == RIMPORT__RS_DOC_OUTER && it->first == RIMPORT__RS_NO)
        it->first = k;
      k++;
      continue;
    }
    if (v->kind == RIMPORT__RS_TPUNCT && v->punct == '#') {
      size_t n = rimport__rs_sig(t, k + 1, hi);
      if (!rimport__rs_is_punct(t, n, '['))
        return RIMPORT__RS_NO; /* `#!`: an inner attribute */
      if (it->first == RIMPORT__RS_NO)
        it->first = k;
      if (is_attr_macro_export(t, n))
        it->macro_export = 1;
      k = after_group(t, n);
      continue;
    }
    break;
  }
  return k;
}

/* Is an item at boundary i? Fills *it when it is. */
static int classify(const rimport__rs_toks *t, size_t i, size_t hi,
                    rimport__rs_item *it) {
  size_t k, n = RIMPORT__RS_NO;
  int semi = 0, angles = 1, guard;
  k = skip_attrs(t, i, hi, it);
  if (k == RIMPORT__RS_NO || k >= hi)
    return 0;
  it->kind = RIMPORT__RS_NONE;
  it->head = k;
  it->has_vis = 0;
  it->name = it->body = it->paren = RIMPORT__RS_NO;
  if (it->first == RIMPORT__RS_NO)
    it->first = k;
  if (rimport__rs_is_word(t, k, "pub")) {
    it->has_vis = 1;
    k = skip_vis(t, k, hi);
  }
  /* Qualifiers, then the keyword that says the kind. */
  for (guard = 0; guard < 8 && k < hi && it->kind == RIMPORT__RS_NONE;
       guard++) {
    n = rimport__rs_sig(t, k + 1, hi);
    it->kw = k;
    if (rimport__rs_is_word(t, k, "fn")) {
      it->kind = RIMPORT__RS_FN;
    } else if (rimport__rs_is_word(t, k, "struct")) {
      it->kind = RIMPORT__RS_STRUCT;
    } else if (rimport__rs_is_word(t, k, "enum")) {
      it->kind = RIMPORT__RS_ENUM;
    } else if (rimport__rs_is_word(t, k, "trait")) {
      it->kind = RIMPORT__RS_TRAIT;
    } else if (rimport__rs_is_word(t, k, "impl")) {
      it->kind = RIMPORT__RS_IMPL;
      n = RIMPORT__RS_NO;
    } else if (rimport__rs_is_word(t, k, "mod")) {
      it->kind = RIMPORT__RS_MOD;
      angles = 0;
    } else if (rimport__rs_is_word(t, k, "type")) {
      it->kind = RIMPORT__RS_TYPE;
      semi = 1;
    } else if (rimport__rs_is_word(t, k, "use")) {
      it->kind = RIMPORT__RS_USE;
      semi = 1;
      n = RIMPORT__RS_NO;
    } else if (rimport__rs_is_word(t, k, "union") &&
               rimport__rs_is_name(t, n)) {
      it->kind = RIMPORT__RS_UNION;
    } else if (rimport__rs_is_word(t, k, "const")) {
      if (rimport__rs_is_name(t, n) || rimport__rs_is_word(t, n, "_")) {
        it->kind = RIMPORT__RS_CONST;
        semi = 1;
      } else if (rimport__rs_is_word(t, n, "fn") ||
                 rimport__rs_is_word(t, n, "unsafe") ||
                 rimport__rs_is_word(t, n, "async") ||
                 rimport__rs_is_word(t, n, "extern")) {
        k = n;
      } else {
        break;
      }
    } else if (rimport__rs_is_word(t, k, "static")) {
      if (rimport__rs_is_word(t, n, "mut"))
        n = rimport__rs_sig(t, n + 1, hi);
      else if (!rimport__rs_is_name(t, n))
        break;
      it->kind = RIMPORT__RS_STATIC;
      semi = 1;
    } else if (rimport__rs_is_word(t, k, "async")) {
      if (!rimport__rs_is_word(t, n, "fn") &&
          !rimport__rs_is_word(t, n, "unsafe") &&
          !rimport__rs_is_word(t, n, "extern"))
        break;
      k = n;
    } else if (rimport__rs_is_word(t, k, "unsafe")) {
      if (!rimport__rs_is_word(t, n, "fn") &&
          !rimport__rs_is_word(t, n, "impl") &&
          !rimport__rs_is_word(t, n, "trait") &&
          !rimport__rs_is_word(t, n, "extern") &&
          !rimport__rs_is_word(t, n, "mod") &&
          !rimport__rs_is_word(t, n, "auto"))
        break;
      k = n;
    } else if (rimport__rs_is_word(t, k, "safe")) {
      if (!rimport__rs_is_word(t, n, "fn") &&
          !rimport__rs_is_word(t, n, "static"))
        break;
      k = n;
    } else if (rimport__rs_is_word(t, k, "auto")) {
      if (!rimport__rs_is_word(t, n, "trait"))
        break;
      k = n;
    } else if (rimport__rs_is_word(t, k, "extern")) {
      if (rimport__rs_is_word(t, n, "crate")) {
        it->kind = RIMPORT__RS_EXTERN_CRATE;
        it->kw = n;
        semi = 1;
        n = rimport__rs_sig(t, n + 1, hi);
      } else {
        if (n < hi && t->v[n].kind == RIMPORT__RS_TSTRING)
          n = rimport__rs_sig(t, n + 1, hi);
        if (rimport__rs_is_punct(t, n, '{')) {
          it->kind = RIMPORT__RS_EXTERN_BLOCK;
          angles = 0;
          n = RIMPORT__RS_NO;
        } else if (rimport__rs_is_word(t, n, "fn")) {
          k = n;
        } else {
          break;
        }
      }
    } else if (rimport__rs_is_word(t, k, "macro_rules") &&
               rimport__rs_is_punct(t, n, '!') &&
               rimport__rs_is_name(t, rimport__rs_sig(t, n + 1, hi))) {
      it->kind = RIMPORT__RS_MACRO;
      angles = 0;
      n = rimport__rs_sig(t, n + 1, hi);
    } else {
      break;
    }
  }
  if (it->kind == RIMPORT__RS_NONE) {
    if (!it->has_vis)
      return 0;
    /* `pub` and something this scanner does not know: an item still. */
    it->kind = RIMPORT__RS_OTHER;
    it->kw = k < hi ? k : it->head;
    n = RIMPORT__RS_NO;
  }
  if (n != RIMPORT__RS_NO &&
      (rimport__rs_is_name(t, n) || rimport__rs_is_word(t, n, "_") ||
       (it->kind == RIMPORT__RS_EXTERN_CRATE &&
        rimport__rs_is_word(t, n, "self"))))
    it->name = n;
  if (semi)
    extent_semi(t, it->kw, hi, it);
  else
    extent_block(t, it->kw, hi, angles, it);
  return 1;
}

/* A statement from boundary i: the token after the boundary that ends it
 * (hi when none does). */
static size_t statement_end(const rimport__rs_toks *t, size_t i, size_t hi) {
  size_t k = i;
  /* An inner attribute or inner doc comment first: a statement of its own,
   * so that an item after it starts at a boundary. */
  while (k < hi) {
    const rimport__rs_tok *v = &t->v[k];
    if (v->kind == RIMPORT__RS_TCOMMENT) {
      if (v->doc == RIMPORT__RS_DOC_INNER)
        return k + 1;
      k++;
      continue;
    }
    if (v->kind == RIMPORT__RS_TPUNCT && v->punct == '#') {
      size_t n = rimport__rs_sig(t, k + 1, hi);
      if (rimport__rs_is_punct(t, n, '!')) {
        size_t b = rimport__rs_sig(t, n + 1, hi);
        if (rimport__rs_is_punct(t, b, '['))
          return after_group(t, b);
      }
    }
    break;
  }
  while (k < hi) {
    if (rimport__rs_is_punct(t, k, ';'))
      return k + 1;
    if (is_open(t, k)) {
      int brace = rimport__rs_is_punct(t, k, '{');
      k = after_group(t, k);
      if (brace)
        return k;
      continue;
    }
    k++;
  }
  return hi;
}

void rimport__rs_scan_init(rimport__rs_scan *s, const rimport__rs_toks *t,
                           size_t lo, size_t hi) {
  s->t = t;
  s->pos = lo;
  s->hi = hi < t->count ? hi : t->count;
}

int rimport__rs_scan_next(rimport__rs_scan *s, rimport__rs_item *it) {
  while (s->pos < s->hi) {
    if (classify(s->t, s->pos, s->hi, it)) {
      s->pos = it->last + 1;
      return 1;
    }
    s->pos = statement_end(s->t, s->pos, s->hi);
  }
  return 0;
}

int rimport__rs_impl_is_inherent(const rimport__rs_toks *t,
                                 const rimport__rs_item *it) {
  size_t k = it->kw + 1, end = it->body != RIMPORT__RS_NO ? it->body : it->last;
  size_t angle = 0;
  while (k < end) {
    if (rimport__rs_is_punct(t, k, '<')) {
      angle++;
    } else if (angle > 0 && rimport__rs_is_angle_close(t, k)) {
      angle--;
    } else if (angle == 0 && rimport__rs_is_word(t, k, "for") &&
               !rimport__rs_is_punct(t, rimport__rs_sig(t, k + 1, end), '<')) {
      return 0;
    }
    k = is_open(t, k) ? after_group(t, k) : k + 1;
  }
  return 1;
}
