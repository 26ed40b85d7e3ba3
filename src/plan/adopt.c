/* A crate the session already links is imported as it is loaded
 * (DESIGN.md invariant 1; README "Plans and cache keys").
 *
 * Every plugin of the stack records the crates of its resolved graph with
 * their versions, features and sources (the build stage's graph_crates).
 * A statement about a crate found there takes that copy when it names
 * nothing (no features, default_features, version or path), or when
 * everything it names is already true of the copy. The plugin then asks
 * for its exact version (`=X.Y.Z`) or its directory, default features
 * off, and only the features the statement names: it stacks on every
 * plugin of the session, whose requests cargo unites with its own, so the
 * crate resolves to the loaded copy with the features it has. Naming the
 * loaded list would not do: `cargo metadata` lists features that only
 * another platform's dependencies enable (tokio's `winapi` behind
 * reqwest), and asking for one changes the crate and so every plugin that
 * links it. A statement the copy does not satisfy is planned as written
 * and the build stage's check refuses it, saying which plugin has the
 * crate with what. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "../common/fs.h"
#include "../common/json.h"
#include "../common/names.h"
#include "../stack/stack.h"

/* --- versions and requirements (Cargo's rules, as the semver crate) ------ */

typedef struct semver {
  unsigned long long major, minor, patch;
  int has_minor, has_patch; /* a comparator may leave them out */
  const char *pre;          /* the pre-release, "" for none */
  size_t pre_len;
} semver;

/* A comparator: op is one of = > G(>=) < L(<=) ~ ^ *(wildcard). */
typedef struct comparator {
  semver v;
  char op;
} comparator;

static int is_digit(int c) {
  return c >= '0' && c <= '9';
}

static int is_ident_char(int c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         c == '-';
}

static int is_wildcard(int c) {
  return c == '*' || c == 'x' || c == 'X';
}

/* Reads a number at *p (at most 18 digits). 0, or -1 when there is none. */
static int read_number(const char **p, const char *end,
                       unsigned long long *out) {
  const char *s = *p;
  unsigned long long v = 0;
  while (*p < end && is_digit(**p) && *p - s < 18)
    v = v * 10 + (unsigned long long)(*(*p)++ - '0');
  if (*p == s || (*p < end && is_digit(**p)))
    return -1;
  *out = v;
  return 0;
}

/* Reads "-pre" and "+build" (build metadata counts for nothing). */
static int read_suffix(const char **p, const char *end, semver *v) {
  v->pre = "";
  v->pre_len = 0;
  if (*p < end && **p == '-') {
    v->pre = ++*p;
    while (*p < end && (is_ident_char(**p) || **p == '.'))
      ++*p;
    v->pre_len = (size_t)(*p - v->pre);
    if (v->pre_len == 0)
      return -1;
  }
  if (*p < end && **p == '+') {
    const char *b = ++*p;
    while (*p < end && (is_ident_char(**p) || **p == '.'))
      ++*p;
    if (*p == b)
      return -1;
  }
  return 0;
}

/* A full version "1.0.152[-pre][+build]". */
static int parse_version(const char *s, semver *v) {
  const char *p = s, *end = s + strlen(s);
  memset(v, 0, sizeof(*v));
  if (read_number(&p, end, &v->major) != 0 || p >= end || *p++ != '.' ||
      read_number(&p, end, &v->minor) != 0 || p >= end || *p++ != '.' ||
      read_number(&p, end, &v->patch) != 0 || read_suffix(&p, end, v) != 0)
    return -1;
  v->has_minor = v->has_patch = 1;
  return p == end ? 0 : -1;
}

/* Pre-release precedence: none sorts above any; then identifier by
 * identifier, numbers numerically and below words, a prefix first. */
static int cmp_pre(const semver *a, const semver *b) {
  const char *p = a->pre, *pe = a->pre + a->pre_len;
  const char *q = b->pre, *qe = b->pre + b->pre_len;
  if (a->pre_len == 0 || b->pre_len == 0)
    return (a->pre_len == 0) - (b->pre_len == 0);
  while (p < pe && q < qe) {
    const char *pd = memchr(p, '.', (size_t)(pe - p));
    const char *qd = memchr(q, '.', (size_t)(qe - q));
    size_t pl = (size_t)((pd ? pd : pe) - p), ql = (size_t)((qd ? qd : qe) - q);
    size_t i;
    int pn = 1, qn = 1, c;
    for (i = 0; i < pl; i++)
      pn = pn && is_digit(p[i]);
    for (i = 0; i < ql; i++)
      qn = qn && is_digit(q[i]);
    if (pn != qn)
      return pn ? -1 : 1;
    if (pn && pl != ql) /* numbers: the longer is larger (no leading 0s) */
      return pl < ql ? -1 : 1;
    if ((c = memcmp(p, q, pl < ql ? pl : ql)) != 0)
      return c < 0 ? -1 : 1;
    if (pl != ql)
      return pl < ql ? -1 : 1;
    p += pl + (pd != NULL);
    q += ql + (qd != NULL);
  }
  return (p < pe) - (q < qe);
}

static int cmp_num(unsigned long long a, unsigned long long b) {
  return (a > b) - (a < b);
}

static int matches_exact(const comparator *c, const semver *v) {
  return v->major == c->v.major &&
         (!c->v.has_minor || v->minor == c->v.minor) &&
         (!c->v.has_patch || v->patch == c->v.patch) && cmp_pre(v, &c->v) == 0;
}

/* sign 1: v is above the comparator; -1: below. */
static int matches_beyond(const comparator *c, const semver *v, int sign) {
  if (v->major != c->v.major)
    return cmp_num(v->major, c->v.major) == sign;
  if (!c->v.has_minor)
    return 0;
  if (v->minor != c->v.minor)
    return cmp_num(v->minor, c->v.minor) == sign;
  if (!c->v.has_patch)
    return 0;
  if (v->patch != c->v.patch)
    return cmp_num(v->patch, c->v.patch) == sign;
  return cmp_pre(v, &c->v) == sign;
}

static int matches_tilde(const comparator *c, const semver *v) {
  if (v->major != c->v.major || (c->v.has_minor && v->minor != c->v.minor))
    return 0;
  if (c->v.has_patch && v->patch != c->v.patch)
    return v->patch > c->v.patch;
  return cmp_pre(v, &c->v) >= 0;
}

static int matches_caret(const comparator *c, const semver *v) {
  if (v->major != c->v.major)
    return 0;
  if (!c->v.has_minor)
    return 1;
  if (!c->v.has_patch)
    return c->v.major > 0 ? v->minor >= c->v.minor : v->minor == c->v.minor;
  if (c->v.major > 0) {
    if (v->minor != c->v.minor)
      return v->minor > c->v.minor;
    if (v->patch != c->v.patch)
      return v->patch > c->v.patch;
  } else if (c->v.minor > 0) {
    if (v->minor != c->v.minor)
      return 0;
    if (v->patch != c->v.patch)
      return v->patch > c->v.patch;
  } else if (v->minor != c->v.minor || v->patch != c->v.patch) {
    return 0;
  }
  return cmp_pre(v, &c->v) >= 0;
}

static int matches(const comparator *c, const semver *v) {
  switch (c->op) {
  case '=':
    return matches_exact(c, v);
  case '>':
    return matches_beyond(c, v, 1);
  case 'G':
    return matches_exact(c, v) || matches_beyond(c, v, 1);
  case '<':
    return matches_beyond(c, v, -1);
  case 'L':
    return matches_exact(c, v) || matches_beyond(c, v, -1);
  case '~':
    return matches_tilde(c, v);
  case '^':
    return matches_caret(c, v);
  default: /* '*': 1.*, 1.2.* */
    return v->major == c->v.major &&
           (!c->v.has_minor || v->minor == c->v.minor);
  }
}

static const char *skip_space(const char *p, const char *end) {
  while (p < end && *p == ' ')
    p++;
  return p;
}

/* One comparator of a requirement, [p, end) trimmed. 1: "*" (any
 * version); 0: read; -1: not understood. */
static int parse_comparator(const char *p, const char *end, comparator *c) {
  static const struct {
    const char *text;
    char op;
  } ops[] = {{">=", 'G'}, {"<=", 'L'}, {">", '>'}, {"<", '<'},
             {"=", '='},  {"~", '~'},  {"^", '^'}};
  size_t i;
  int explicit_op = 0, parts = 1;
  memset(c, 0, sizeof(*c));
  c->op = '^';
  c->v.pre = "";
  for (i = 0; i < RIMPORT__ARRAY_SIZE(ops); i++) {
    size_t n = strlen(ops[i].text);
    if ((size_t)(end - p) >= n && memcmp(p, ops[i].text, n) == 0) {
      c->op = ops[i].op;
      explicit_op = 1;
      p = skip_space(p + n, end);
      break;
    }
  }
  if (p < end && is_wildcard(*p))
    return !explicit_op && p + 1 == end ? 1 : -1;
  if (read_number(&p, end, &c->v.major) != 0)
    return -1;
  while (parts < 3 && p < end && *p == '.') {
    unsigned long long *num = parts == 1 ? &c->v.minor : &c->v.patch;
    p++;
    if (p < end && is_wildcard(*p)) {
      /* 1.* and 1.2.*; with an operator it is not a form Cargo knows */
      if (explicit_op || p + 1 != end)
        return -1;
      c->op = '*';
      return 0;
    }
    if (read_number(&p, end, num) != 0)
      return -1;
    *(parts == 1 ? &c->v.has_minor : &c->v.has_patch) = 1;
    parts++;
  }
  if (parts == 3 && read_suffix(&p, end, &c->v) != 0)
    return -1;
  return p == end ? 0 : -1;
}

int rimport__plan_version_matches(const char *req, const char *version) {
  semver v;
  const char *p = req, *end = req + strlen(req);
  int pre_allowed = 0, any = 0;
  if (parse_version(version, &v) != 0)
    return 0;
  while (p < end) {
    const char *comma = memchr(p, ',', (size_t)(end - p));
    const char *e = comma ? comma : end, *s = skip_space(p, e);
    comparator c;
    int rc;
    while (e > s && e[-1] == ' ')
      e--;
    if ((rc = parse_comparator(s, e, &c)) < 0)
      return 0; /* cannot tell */
    any = 1;
    if (rc == 0) {
      if (!matches(&c, &v))
        return 0;
      /* A pre-release version matches only a requirement that names a
       * pre-release of the same major.minor.patch. */
      if (c.v.pre_len > 0 && c.v.major == v.major && c.v.minor == v.minor &&
          c.v.patch == v.patch)
        pre_allowed = 1;
    }
    p = comma ? comma + 1 : end;
  }
  return any && (v.pre_len == 0 || pre_allowed);
}

/* --- the loaded copies of a crate ----------------------------------------- */

/* One copy of the crate in the stack's graphs. */
typedef struct loaded {
  const rimport__built *by; /* the first plugin whose graph has it */
  const cJSON *entry;       /* {name, version, features, source[, path]} */
  const char *version, *path;
  int kind; /* LOADED_* */
} loaded;

enum {
  LOADED_UNKNOWN, /* a graph from before sources were recorded */
  LOADED_REGISTRY,
  LOADED_PATH,
  LOADED_OTHER /* git, another registry */
};

/* crates.io, as cargo names it (a replaced source keeps that name). */
static int is_crates_io(const char *source) {
  return strcmp(source,
                "registry+https://github.com/rust-lang/crates.io-index") == 0 ||
         strncmp(source, "sparse+https://index.crates.io/", 31) == 0;
}

static int loaded_kind(const cJSON *entry, const char **path) {
  const cJSON *source = cJSON_GetObjectItemCaseSensitive(entry, "source");
  *path = NULL;
  if (source == NULL)
    return LOADED_UNKNOWN;
  if (cJSON_IsString(source))
    return is_crates_io(source->valuestring) ? LOADED_REGISTRY : LOADED_OTHER;
  *path = rimport__json_str(entry, "path");
  return cJSON_IsNull(source) && *path != NULL ? LOADED_PATH : LOADED_OTHER;
}

int rimport__plan_can_adopt(const cJSON *graph_entry) {
  const char *path;
  int kind = loaded_kind(graph_entry, &path);
  return kind == LOADED_REGISTRY || kind == LOADED_PATH;
}

/* Crate names as the build stage matches them: `_` and `-` alike. */
static int same_name(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
      return 0;
  return *a == *b;
}

static int str_eq(const char *a, const char *b) {
  return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* The copies of `name` in the graphs of the plugins `from`, each once: a
 * crate several plugins link is one copy (the build stage checked that
 * they agree). */
static int find_loaded(const rimport__built *const *from, size_t from_count,
                       const char *name, loaded **out, size_t *count) {
  size_t cap = 0, i, j;
  *out = NULL;
  *count = 0;
  for (i = 0; i < from_count; i++) {
    const rimport__built *b = from[i];
    const cJSON *entry;
    cJSON_ArrayForEach(entry, b->crates) {
      const char *n = rimport__json_str(entry, "name");
      loaded l;
      int rc;
      if (n == NULL || !same_name(n, name))
        continue;
      l.by = b;
      l.entry = entry;
      l.version = rimport__json_str(entry, "version");
      l.kind = loaded_kind(entry, &l.path);
      for (j = 0; j < *count; j++)
        if ((*out)[j].kind == l.kind && str_eq((*out)[j].version, l.version) &&
            str_eq((*out)[j].path, l.path))
          break;
      if (j < *count)
        continue;
      if ((rc = rimport__grow((void **)out, &cap, *count + 1, sizeof(**out))) !=
          0)
        return rc;
      (*out)[(*count)++] = l;
    }
  }
  return 0;
}

static int has_feature(const cJSON *features, const char *f) {
  const cJSON *v;
  cJSON_ArrayForEach(v, features) {
    if (cJSON_IsString(v) && strcmp(v->valuestring, f) == 0)
      return 1;
  }
  return 0;
}

/* Whether the statement takes this copy as it is (the rule at the top). */
static int satisfies(const loaded *l, const rimport__asked *asked) {
  const cJSON *features =
      cJSON_GetObjectItemCaseSensitive(l->entry, "features");
  size_t i;
  if ((l->kind != LOADED_REGISTRY && l->kind != LOADED_PATH) ||
      l->version == NULL)
    return 0; /* where it came from is not known, or not one rimport names */
  if (l->kind == LOADED_PATH) {
    /* The same directory, as cargo spells it, is the same package. */
    rimport_buf real = RIMPORT_BUF_INIT, manifest = RIMPORT_BUF_INIT;
    int ok =
        rimport__path_join(&manifest, l->path, "Cargo.toml") == 0 &&
        rimport__fs_is_file(manifest.ptr) &&
        (asked->path == NULL || (rimport__fs_realpath(l->path, &real) == 0 &&
                                 strcmp(real.ptr, asked->path) == 0));
    rimport_buf_dispose(&real);
    rimport_buf_dispose(&manifest);
    if (!ok) {
      rimport_error_clear(); /* a directory that is gone: not this copy */
      return 0;
    }
  } else if (asked->path != NULL) {
    return 0;
  }
  if (asked->version != NULL &&
      (l->kind != LOADED_REGISTRY || l->version == NULL ||
       !rimport__plan_version_matches(asked->version, l->version)))
    return 0;
  for (i = 0; i < asked->feature_count; i++)
    if (!has_feature(features, asked->features[i]))
      return 0;
  /* Default features asked for, by default_features=True or by naming
   * anything else without default_features=False, must be on. */
  if (asked->default_features != 0 &&
      (asked->feature_count > 0 || asked->default_features == 1 ||
       asked->version != NULL || asked->path != NULL) &&
      !has_feature(features, "default"))
    return 0;
  return 1;
}

/* The adopted record, in the plan's arena. Features and version are
 * checked as a statement's would be: a graph is data from disk. */
static int make_adopted(rimport__arena *a, const loaded *l,
                        const rimport__adopted **out) {
  const cJSON *features =
      cJSON_GetObjectItemCaseSensitive(l->entry, "features");
  const cJSON *f;
  rimport__adopted *ad = rimport__arena_alloc(a, sizeof(*ad));
  size_t n = (size_t)cJSON_GetArraySize(features);
  semver v;
  *out = NULL;
  if (ad == NULL || (ad->features = rimport__arena_alloc(
                         a, (n ? n : 1) * sizeof(char *))) == NULL)
    return RIMPORT_ENOMEM;
  cJSON_ArrayForEach(f, features) {
    if (!cJSON_IsString(f) ||
        rimport__check_feature(f->valuestring, strlen(f->valuestring)) != NULL)
      return 0; /* not a feature: leave the statement as written */
    if ((ad->features[ad->feature_count++] =
             rimport__arena_strdup(a, f->valuestring)) == NULL)
      return RIMPORT_ENOMEM;
  }
  if (l->version == NULL || parse_version(l->version, &v) != 0 ||
      rimport__check_version_req(l->version, strlen(l->version)) != NULL)
    return 0;
  ad->plugin = rimport__arena_strdup(a, l->by->plugin);
  ad->package = rimport__arena_strdup(a, rimport__json_str(l->entry, "name"));
  ad->version = rimport__arena_strdup(a, l->version);
  ad->path = rimport__arena_strdup(a, l->path);
  if (ad->plugin == NULL || ad->package == NULL || ad->version == NULL ||
      (l->path && ad->path == NULL))
    return RIMPORT_ENOMEM;
  *out = ad;
  return 0;
}

int rimport__plan_adopt_from(const rimport__built *const *from,
                             size_t from_count, rimport__arena *a,
                             const rimport__asked *asked, int *found,
                             const rimport__adopted **out) {
  loaded *ls = NULL;
  const loaded *pick = NULL;
  semver best, v;
  size_t n = 0, i;
  int rc;
  *found = 0;
  *out = NULL;
  if ((rc = find_loaded(from, from_count,
                        asked->package ? asked->package : asked->crate, &ls,
                        &n)) != 0) {
    rimport__free(ls);
    return rc;
  }
  *found = n > 0;
  /* Two copies of one name (rand 0.7 and 0.8): the highest that the
   * statement takes, when both come from crates.io; a local crate and a
   * registry crate of one name are not chosen between. */
  for (i = 0; i < n; i++) {
    if (!satisfies(&ls[i], asked))
      continue;
    if (pick == NULL) {
      pick = &ls[i];
      continue;
    }
    if (pick->kind != LOADED_REGISTRY || ls[i].kind != LOADED_REGISTRY ||
        parse_version(pick->version, &best) != 0 ||
        parse_version(ls[i].version, &v) != 0) {
      pick = NULL;
      break;
    }
    if (cmp_num(v.major, best.major) * 4 + cmp_num(v.minor, best.minor) * 2 +
            cmp_num(v.patch, best.patch) >
        0)
      pick = &ls[i];
  }
  rc = pick ? make_adopted(a, pick, out) : 0;
  rimport__free(ls);
  return rc;
}

int rimport__plan_adopt(const rimport__stack *stack, rimport__arena *a,
                        const rimport__asked *asked, int *found,
                        const rimport__adopted **out) {
  const rimport__built **from = NULL;
  size_t n = rimport__stack_count(stack), i;
  int rc;
  *found = 0;
  *out = NULL;
  if (n > 0 && (from = rimport__calloc(n, sizeof(*from))) == NULL)
    return rimport__error_nomem();
  for (i = 0; i < n; i++)
    from[i] = rimport__stack_at(stack, i);
  rc = rimport__plan_adopt_from(from, n, a, asked, found, out);
  rimport__free(from);
  return rc;
}
