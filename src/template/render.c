/* The template renderer: `{{name}}`, `{{toml:name}}`, `{{rust:name}}`,
 * `{{#list}}…{{/list}}` and `{{^list}}…{{/list}}` (see template.h).
 *
 * A template is first cut into tokens (text, value, section open/close) and
 * checked whole — every tag well formed, every section closed by its own
 * name — so an error in a section that happens to render zero times is
 * still found. Then the tokens are rendered; recursion follows section
 * nesting only, which is limited to MAX_DEPTH.
 *
 * Standalone section tags: a line holding nothing but one section tag
 * (and blanks) renders as nothing, newline included, so that templates can
 * put `{{#list}}` on a line of its own. */
#include <stdint.h>
#include <string.h>

#include "template.h"
#include "../common/escape.h"
#include "../common/names.h"

#define MAX_DEPTH 32

typedef enum tok_kind {
  TOK_TEXT,
  TOK_VALUE,
  TOK_OPEN,   /* {{#name}} */
  TOK_INVERT, /* {{^name}} */
  TOK_CLOSE   /* {{/name}} */
} tok_kind;

typedef struct tok {
  tok_kind kind;
  const char *s; /* the text, or the name */
  size_t len;
  rimport__esc esc; /* TOK_VALUE */
  size_t offset;    /* in the template, for messages */
  size_t match;     /* TOK_OPEN/TOK_INVERT: index of its TOK_CLOSE */
} tok;

typedef struct renderer {
  const char *name; /* the template's, for messages */
  const char *tpl;
  size_t tpl_len;
  tok *toks;
  size_t count, cap;
  rimport_buf *out;
} renderer;

/* Fails with "rendering template "x", line L (offset O): <before><a><after>".
 */
static int fail(const renderer *r, size_t offset, const char *before,
                const char *a, size_t alen, const char *after) {
  unsigned line = 1;
  size_t i;
  for (i = 0; i < offset && i < r->tpl_len; i++)
    line += r->tpl[i] == '\n';
  return rimport__error_set(RIMPORT_EINTERNAL,
                            "rendering template \"%s\", line %u (offset %zu): "
                            "%s%.*s%s; the template is rimport's own: please "
                            "report this",
                            r->name, line, offset, before, (int)alen, a, after);
}

static int push(renderer *r, tok t) {
  int rc =
      rimport__grow((void **)&r->toks, &r->cap, r->count + 1, sizeof(*r->toks));
  if (rc == 0)
    r->toks[r->count++] = t;
  return rc;
}

static int is_name_char(char c, int first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

/* Cuts the template into tokens and matches sections. */
static int tokenize(renderer *r) {
  const char *t = r->tpl, *end = r->tpl + r->tpl_len, *p = t;
  size_t *stack = NULL, depth = 0, stack_cap = 0;
  int rc = 0;
  while (rc == 0 && p < end) {
    const char *open = NULL, *q, *close, *name, *after;
    size_t name_len;
    tok tk;
    for (q = p; q + 1 < end; q++)
      if (q[0] == '{' && q[1] == '{') {
        open = q;
        break;
      }
    if (open == NULL) {
      tok text = {TOK_TEXT,        p, (size_t)(end - p), RIMPORT__ESC_NONE,
                  (size_t)(p - t), 0};
      rc = push(r, text);
      break;
    }
    if (open > p) {
      tok text = {TOK_TEXT,        p, (size_t)(open - p), RIMPORT__ESC_NONE,
                  (size_t)(p - t), 0};
      if ((rc = push(r, text)) != 0)
        break;
    }
    close = NULL;
    for (q = open + 2; q + 1 < end; q++)
      if (q[0] == '}' && q[1] == '}') {
        close = q;
        break;
      }
    if (close == NULL) {
      rc = fail(r, (size_t)(open - t), "`{{` without its `}}`", "", 0, "");
      break;
    }
    after = close + 2;
    memset(&tk, 0, sizeof(tk));
    tk.offset = (size_t)(open - t);
    name = open + 2;
    switch (*name) {
    case '#':
      tk.kind = TOK_OPEN;
      name++;
      break;
    case '^':
      tk.kind = TOK_INVERT;
      name++;
      break;
    case '/':
      tk.kind = TOK_CLOSE;
      name++;
      break;
    default:
      tk.kind = TOK_VALUE;
      if (close - name > 5 && memcmp(name, "toml:", 5) == 0) {
        tk.esc = RIMPORT__ESC_TOML;
        name += 5;
      } else if (close - name > 5 && memcmp(name, "rust:", 5) == 0) {
        tk.esc = RIMPORT__ESC_RUST;
        name += 5;
      }
    }
    name_len = (size_t)(close - name);
    for (q = name; q < close && is_name_char(*q, q == name); q++)
      ;
    if (name_len == 0 || q != close) {
      rc = fail(r, tk.offset, "malformed tag `", open, (size_t)(after - open),
                "`");
      break;
    }
    tk.s = name;
    tk.len = name_len;
    if (tk.kind != TOK_VALUE) {
      /* A standalone section tag takes its whole line with it. */
      const char *ls = open, *le = after;
      while (ls > t && (ls[-1] == ' ' || ls[-1] == '\t'))
        ls--;
      while (le < end && (*le == ' ' || *le == '\t'))
        le++;
      if ((ls == t || ls[-1] == '\n') &&
          (le == end || *le == '\n' ||
           (*le == '\r' && le + 1 < end && le[1] == '\n'))) {
        if (r->count > 0 && r->toks[r->count - 1].kind == TOK_TEXT && ls < open)
          r->toks[r->count - 1].len -= (size_t)(open - ls);
        after = le == end ? end : le + (*le == '\r' ? 2 : 1);
      }
    }
    if (tk.kind == TOK_OPEN || tk.kind == TOK_INVERT) {
      if (depth == MAX_DEPTH) {
        rc = fail(r, tk.offset, "sections nested deeper than ", "32", 2, "");
        break;
      }
      if ((rc = rimport__grow((void **)&stack, &stack_cap, depth + 1,
                              sizeof(*stack))) != 0)
        break;
      stack[depth++] = r->count;
    } else if (tk.kind == TOK_CLOSE) {
      tok *o;
      if (depth == 0) {
        rc = fail(r, tk.offset, "`{{/", tk.s, tk.len,
                  "}}` closes no open section");
        break;
      }
      o = &r->toks[stack[depth - 1]];
      if (o->len != tk.len || memcmp(o->s, tk.s, tk.len) != 0) {
        rimport_buf what = RIMPORT_BUF_INIT;
        if (rimport__buf_printf(&what,
                                "`{{/%.*s}}` where `{{/%.*s}}` (opened at "
                                "offset %zu) must come first",
                                (int)tk.len, tk.s, (int)o->len, o->s,
                                o->offset) != 0)
          rc = rimport__error_nomem();
        else
          rc = fail(r, tk.offset, "", what.ptr, what.size, "");
        rimport_buf_dispose(&what);
        break;
      }
      o->match = r->count;
      depth--;
    }
    if ((rc = push(r, tk)) != 0)
      break;
    p = after;
  }
  if (rc == 0 && depth > 0) {
    tok *o = &r->toks[stack[depth - 1]];
    rc = fail(r, o->offset, "section `", o->s, o->len, "` is never closed");
  }
  rimport__free(stack);
  return rc;
}

/* --- lookups -------------------------------------------------------------- */

static int name_is(const char *name, const tok *t) {
  return strlen(name) == t->len && memcmp(name, t->s, t->len) == 0;
}

static const rimport__tpl_var *find_var(const rimport__tpl_record *const *sc,
                                        size_t depth, const tok *t) {
  size_t d, i;
  for (d = depth; d-- > 0;)
    for (i = 0; i < sc[d]->var_count; i++)
      if (name_is(sc[d]->vars[i].name, t))
        return &sc[d]->vars[i];
  return NULL;
}

static const rimport__tpl_list *find_list(const rimport__tpl_record *const *sc,
                                          size_t depth, const tok *t) {
  size_t d, i;
  for (d = depth; d-- > 0;)
    for (i = 0; i < sc[d]->list_count; i++)
      if (name_is(sc[d]->lists[i].name, t))
        return &sc[d]->lists[i];
  return NULL;
}

/* --- escaping --------------------------------------------------------------
 * TOML basic strings: \\ \" \b \t \n \f \r, \uXXXX for other controls.
 * Rust string literals: \\ \" \n \r \t \0, \u{X} for other controls.
 * Non-ASCII passes as UTF-8 (checked). */

static int put_escaped(renderer *r, const tok *t, const char *v) {
  size_t bad = 0;
  int rc = rimport__escape(r->out, v,
                           t->esc == RIMPORT__ESC_TOML ? RIMPORT__QUOTE_TOML
                                                       : RIMPORT__QUOTE_RUST,
                           &bad);
  if (rc == RIMPORT_EINVAL)
    return rimport__error_set(
        RIMPORT_EINVAL,
        "rendering template \"%s\": the value of `%.*s` is not valid UTF-8 "
        "(byte %zu); names and paths must be UTF-8",
        r->name, (int)t->len, t->s, bad);
  return rc;
}

/* --- rendering ------------------------------------------------------------ */

static int render_range(renderer *r, size_t from, size_t to,
                        const rimport__tpl_record **scopes, size_t depth) {
  size_t i, k;
  int rc = 0;
  for (i = from; rc == 0 && i < to; i++) {
    const tok *t = &r->toks[i];
    const rimport__tpl_var *v;
    const rimport__tpl_list *l;
    switch (t->kind) {
    case TOK_TEXT:
      rc = rimport__buf_put(r->out, t->s, t->len);
      break;
    case TOK_VALUE:
      if ((v = find_var(scopes, depth, t)) == NULL) {
        return find_list(scopes, depth, t) != NULL
                   ? fail(r, t->offset, "`", t->s, t->len,
                          "` is a list: use it as a section")
                   : fail(r, t->offset, "unknown name `", t->s, t->len, "`");
      }
      if (v->value == NULL)
        return fail(r, t->offset, "`", t->s, t->len, "` has no value (NULL)");
      rc = t->esc == RIMPORT__ESC_NONE ? rimport__buf_puts(r->out, v->value)
                                       : put_escaped(r, t, v->value);
      break;
    case TOK_OPEN:
    case TOK_INVERT:
      if ((l = find_list(scopes, depth, t)) == NULL) {
        return find_var(scopes, depth, t) != NULL
                   ? fail(r, t->offset, "`", t->s, t->len,
                          "` is a value, not a list: it cannot open a "
                          "section")
                   : fail(r, t->offset, "unknown section `", t->s, t->len, "`");
      }
      if (t->kind == TOK_INVERT) {
        if (l->count == 0)
          rc = render_range(r, i + 1, t->match, scopes, depth);
      } else {
        for (k = 0; rc == 0 && k < l->count; k++) {
          scopes[depth] = &l->records[k];
          rc = render_range(r, i + 1, t->match, scopes, depth + 1);
        }
      }
      i = t->match; /* past the close tag */
      break;
    case TOK_CLOSE:
      break; /* matched sections skip their close; none other is left */
    }
  }
  return rc;
}

int rimport__render(const char *tpl_name, const char *tpl, size_t tpl_len,
                    const rimport__tpl_record *root, rimport_buf *out) {
  renderer r;
  const rimport__tpl_record *scopes[MAX_DEPTH + 1];
  static const rimport__tpl_record empty = {NULL, 0, NULL, 0};
  int rc;
  if (tpl == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rendering a template: no template or output");
  memset(&r, 0, sizeof(r));
  r.name = tpl_name ? tpl_name : "(unnamed)";
  r.tpl = tpl;
  r.tpl_len = tpl_len;
  r.out = out;
  if ((rc = tokenize(&r)) == 0) {
    scopes[0] = root ? root : &empty;
    rc = render_range(&r, 0, r.count, scopes, 1);
  }
  rimport__free(r.toks);
  return rc;
}
