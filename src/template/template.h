/* The templates under plugin_templates/, embedded into the library at build
 * time (cmake/EmbedTemplates.cmake generates the table), so a running
 * kernel never looks for template files; their hash; and the renderer that
 * fills them. Plugin crates (src/gen) and cells (src/cell) are rendered
 * from here, and the hash is part of every key (src/plan). */
#ifndef RIMPORT_SRC_TEMPLATE_H
#define RIMPORT_SRC_TEMPLATE_H

#include <stddef.h>

#include "../common/common.h"

typedef struct rimport__template {
  const char *path; /* relative to plugin_templates/, '/' separated */
  const char *text; /* len bytes, then a NUL */
  size_t len;
} rimport__template;

/* Sorted by path (generated). */
extern const rimport__template rimport__templates[];
extern const size_t rimport__template_count;

/* The embedded template at `path`, or NULL with RIMPORT_EINTERNAL set (a
 * build of rimport from an incomplete tree). */
const rimport__template *rimport__template_find(const char *path);

/* XXH3-128 (hex) of every embedded template: part of every cache key, so a
 * template change gives new keys without anyone bumping a number.
 * Thread-safe; computed once. */
const char *rimport__template_hash(void);

/* The renderer. Values: a flat list of name → string
 * pairs, and named lists of such records for sections. */
typedef enum rimport__esc {
  RIMPORT__ESC_NONE = 0, /* already validated (identifiers, numbers) */
  RIMPORT__ESC_TOML = 1, /* inside a TOML basic string "…" */
  RIMPORT__ESC_RUST = 2  /* inside a Rust string literal "…" */
} rimport__esc;

typedef struct rimport__tpl_var {
  const char *name;
  const char *value;
} rimport__tpl_var;

typedef struct rimport__tpl_list rimport__tpl_list;

typedef struct rimport__tpl_record {
  const rimport__tpl_var *vars;
  size_t var_count;
  const rimport__tpl_list *lists; /* nested sections */
  size_t list_count;
} rimport__tpl_record;

struct rimport__tpl_list {
  const char *name;
  const rimport__tpl_record *records;
  size_t count;
};

/* Renders `tpl`: `{{name}}` takes the value as is, `{{toml:name}}` and
 * `{{rust:name}}` escape it; `{{#list}}…{{/list}}` repeats for each record
 * of the list (inside, names look up the record first, then outer scopes);
 * `{{^list}}…{{/list}}` renders when the list is empty. An unknown name or
 * an unbalanced section is RIMPORT_EINTERNAL naming the template and the
 * offset. Appends to out.
 *
 * Details (render.c): a line that holds only a section tag (and blanks)
 * renders as nothing, its newline included; sections nest at most 32 deep;
 * the whole template is checked before anything renders, so an error in a
 * section that renders zero times is found too. Escaping: TOML basic
 * strings get \\ \" \b \t \n \f \r and \uXXXX for other controls, Rust
 * string literals \\ \" \n \r \t \0 and \u{X}; non-ASCII passes as
 * UTF-8, and a value that is not valid UTF-8 is RIMPORT_EINVAL. */
int rimport__render(const char *tpl_name, const char *tpl, size_t tpl_len,
                    const rimport__tpl_record *root, rimport_buf *out);

/* Renders the embedded template `path` into out (replaced). */
int rimport__template_render(const char *path, const rimport__tpl_record *root,
                             rimport_buf *out);

#endif
