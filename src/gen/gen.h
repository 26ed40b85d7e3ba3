/* Plugin crates from plugin_templates/ (embedded into the library at build
 * time, so a running kernel never looks for template files). A small
 * renderer fills `{{name}}` placeholders and repeats `{{#list}}…{{/list}}`
 * sections; every value is escaped for where it lands (TOML string, Rust
 * string literal) and identifiers are validated, never escaped into code. */
#ifndef RIMPORT_SRC_GEN_H
#define RIMPORT_SRC_GEN_H

#include "../common/common.h"

/* A parent plugin this one stacks on (DESIGN.md invariant 1). */
typedef struct rimport__gen_parent {
  const char *plugin;    /* its crate name, "kayton_rplugin__serde" */
  const char *crate_dir; /* absolute dir of its generated crate */
} rimport__gen_parent;

typedef struct rimport__gen_input {
  const rimport_plugin *plugin; /* from the plan: crate, items, key, … */
  /* The package to depend on, as published ("tokio-util"); NULL: the
   * plugin's package, else its crate name. */
  const char *package;
  /* The version cargo resolved, for the manifest; NULL: "unknown". */
  const char *resolved_version;
  const char *kayton_api_dir; /* absolute dir of the kayton_api crate */
  const rimport__gen_parent *parents;
  size_t parent_count;
  const rimport_toolchain *toolchain; /* fingerprint, release, host */
} rimport__gen_input;

/* Writes <dir>/Cargo.toml and <dir>/src/lib.rs for the plugin (dir is
 * created). Files are written atomically; an unchanged file is not
 * rewritten (cargo's freshness is by mtime). */
int rimport__gen_plugin(const rimport__gen_input *in, const char *dir);

/* Writes the package cargo builds for a plugin (Cargo.toml, lib.rs) into
 * root_dir: it depends on the plugin at plugin_dir and nothing else, so the
 * plugin is compiled as a dependency, exactly as it is when a later plugin
 * stacks on it (and cargo finds it fresh). */
int rimport__gen_build_root(const char *plugin, const char *plugin_dir,
                            const char *root_dir);

/* The name a generic instance has in the plugin's `inst` module and in
 * cells: "<name>__<shape>_<shape>…" with the shapes spelled i64, f64, str,
 * String, Vec_i64, Vec_f64, Dynamic (`Pair[String, f64]` →
 * "Pair__String_f64"). out replaced. */
int rimport__gen_instance_name(const rimport_plugin_item *it, rimport_buf *out);

/* Where a cache keeps the kayton_api crate of this build of rimport:
 * <cache_dir>/_kayton_api/<template hash> (out replaced). Every plugin and
 * cell of the cache uses this one directory, so cargo sees one crate. */
int rimport__gen_kayton_api_dir(const char *cache_dir, rimport_buf *out);

/* Writes the kayton_api crate (Cargo.toml, src/lib.rs) into dir. */
int rimport__gen_kayton_api(const char *dir);

/* XXH3-128 (hex) of every embedded template: part of every cache key, so a
 * template change gives new keys without anyone bumping a number. */
const char *rimport__gen_template_hash(void);

/* The renderer, exposed for tests. Values: a flat list of name → string
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

#endif
