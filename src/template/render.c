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

/* The first `cc` (`{{` or `}}`) in [from, end), or NULL. */
static const char *find_pair(const char *from, const char *end, char c) {
  const char *q;
  for (q = from; end - q > 1; q++)
    if (q[0] == c && q[1] == c)
      return q;
  return NULL;
}

static int push_text(renderer *r, const char *from, const char *to) {
  size_t len = (size_t)(to - from), offset = (size_t)(from - r->tpl);
  tok text = {TOK_TEXT, from, len, RIMPORT__ESC_NONE, offset, 0};
  return push(r, text);
}

static int is_name(const char *s, size_t len) {
  size_t i;
  if (len == 0)
    return 0;
  for (i = 0; i < len; i++)
    if (!is_name_char(s[i], i == 0))
      return 0;
  return 1;
}

/* Reads the `#`, `^`, `/`, `toml:` or `rust:` that may start the name at
 * *name (the tag ends at `close`) into tk, and steps *name past it. */
static void read_tag_prefix(const char **name, const char *close, tok *tk) {
  const char *s = *name;
  switch (*s) {
  case '#':
    tk->kind = TOK_OPEN;
    s++;
    break;
  case '^':
    tk->kind = TOK_INVERT;
    s++;
    break;
  case '/':
    tk->kind = TOK_CLOSE;
    s++;
    break;
  default:
    tk->kind = TOK_VALUE;
    if (close - s > 5 && memcmp(s, "toml:", 5) == 0) {
      tk->esc = RIMPORT__ESC_TOML;
      s += 5;
    } else if (close - s > 5 && memcmp(s, "rust:", 5) == 0) {
      tk->esc = RIMPORT__ESC_RUST;
      s += 5;
    }
  }
  *name = s;
}

/* The tag from `open` ({{) to `close` (}}). */
static int read_tag(const renderer *r, const char *open, const char *close,
                    tok *tk) {
  const char *name = open + 2;
  memset(tk, 0, sizeof(*tk));
  tk->offset = (size_t)(open - r->tpl);
  read_tag_prefix(&name, close, tk);
  if (!is_name(name, (size_t)(close - name)))
    return fail(r, tk->offset, "malformed tag `", open,
                (size_t)(close + 2 - open), "`");
  tk->s = name;
  tk->len = (size_t)(close - name);
  return 0;
}

/* A standalone section tag takes its whole line with it: the blanks before
 * it come off the text token before it, and the text after it starts on
 * the next line. Returns where the text after the tag (from `open` to
 * `after`) starts. */
static const char *skip_standalone(renderer *r, const char *open,
                                   const char *after) {
  const char *t = r->tpl, *end = r->tpl + r->tpl_len, *ls = open, *le = after;
  while (ls > t && (ls[-1] == ' ' || ls[-1] == '\t'))
    ls--;
  while (le < end && (*le == ' ' || *le == '\t'))
    le++;
  if (!((ls == t || ls[-1] == '\n') &&
        (le == end || *le == '\n' ||
         (*le == '\r' && le + 1 < end && le[1] == '\n'))))
    return after;
  if (r->count > 0 && r->toks[r->count - 1].kind == TOK_TEXT && ls < open)
    r->toks[r->count - 1].len -= (size_t)(open - ls);
  return le == end ? end : le + (*le == '\r' ? 2 : 1);
}

/* The sections open so far: indexes of their TOK_OPEN/TOK_INVERT. */
typedef struct open_sections {
  size_t *v;
  size_t depth, cap;
} open_sections;

/* `tk` opens a section; it will be the token at r->count. */
static int open_section(renderer *r, open_sections *st, const tok *tk) {
  int rc;
  if (st->depth == MAX_DEPTH)
    return fail(r, tk->offset, "sections nested deeper than ", "32", 2, "");
  if ((rc = rimport__grow((void **)&st->v, &st->cap, st->depth + 1,
                          sizeof(*st->v))) != 0)
    return rc;
  st->v[st->depth++] = r->count;
  return 0;
}

/* `tk` closes `{{/…}}` where the innermost open section `o` must close
 * first. */
static int fail_mismatch(const renderer *r, const tok *o, const tok *tk) {
  rimport_buf what = RIMPORT_BUF_INIT;
  int rc;
  if (rimport__buf_printf(&what,
                          "`{{/%.*s}}` where `{{/%.*s}}` (opened at "
                          "offset %zu) must come first",
                          (int)tk->len, tk->s, (int)o->len, o->s,
                          o->offset) != 0)
    rc = rimport__error_nomem();
  else
    rc = fail(r, tk->offset, "", what.ptr, what.size, "");
  rimport_buf_dispose(&what);
  return rc;
}

/* `tk` closes the innermost open section; it will be the token at
 * r->count. */
static int close_section(renderer *r, open_sections *st, const tok *tk) {
  tok *o;
  if (st->depth == 0)
    return fail(r, tk->offset, "`{{/", tk->s, tk->len,
                "}}` closes no open section");
  o = &r->toks[st->v[st->depth - 1]];
  if (o->len != tk->len || memcmp(o->s, tk->s, tk->len) != 0)
    return fail_mismatch(r, o, tk);
  o->match = r->count;
  st->depth--;
  return 0;
}

static int match_section(renderer *r, open_sections *st, const tok *tk) {
  switch (tk->kind) {
  case TOK_OPEN:
  case TOK_INVERT:
    return open_section(r, st, tk);
  case TOK_CLOSE:
    return close_section(r, st, tk);
  default:
    return 0;
  }
}

/* Cuts the text from *p to the next tag, and that tag; steps *p past
 * them. */
static int cut_next(renderer *r, open_sections *st, const char **p) {
  const char *end = r->tpl + r->tpl_len, *open = find_pair(*p, end, '{');
  const char *close, *after;
  tok tk;
  int rc;
  if (open == NULL) {
    rc = push_text(r, *p, end);
    *p = end;
    return rc;
  }
  if (open > *p && (rc = push_text(r, *p, open)) != 0)
    return rc;
  if ((close = find_pair(open + 2, end, '}')) == NULL)
    return fail(r, (size_t)(open - r->tpl), "`{{` without its `}}`", "", 0, "");
  if ((rc = read_tag(r, open, close, &tk)) != 0)
    return rc;
  after = close + 2;
  if (tk.kind != TOK_VALUE)
    after = skip_standalone(r, open, after);
  if ((rc = match_section(r, st, &tk)) != 0 || (rc = push(r, tk)) != 0)
    return rc;
  *p = after;
  return 0;
}

/* Cuts the template into tokens and matches sections. */
static int tokenize(renderer *r) {
  const char *p = r->tpl, *end = r->tpl + r->tpl_len;
  open_sections st = {NULL, 0, 0};
  int rc = 0;
  while (rc == 0 && p < end)
    rc = cut_next(r, &st, &p);
  if (rc == 0 && st.depth > 0) {
    const tok *o = &r->toks[st.v[st.depth - 1]];
    rc = fail(r, o->offset, "section `", o->s, o->len, "` is never closed");
  }
  rimport__free(st.v);
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
