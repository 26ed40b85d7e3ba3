/* Plugin crates, their build roots and the kayton_api crate, rendered from
 * the embedded plugin_templates/ (src/template). Every value is escaped
 * for where it lands (TOML string, Rust string literal) and identifiers are
 * validated, never escaped into code. */
#ifndef RIMPORT_SRC_GEN_H
#define RIMPORT_SRC_GEN_H

#include "../common/common.h"
#include "../template/template.h"

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
  /* The API index of the crate (src/api, api.json), or NULL: with it, the
   * plugin gets a thunk for every requested function, method and
   * associated function whose signature maps to VM shapes, registers the
   * kinds they use, and lists both in its manifest (kayton_api.h
   * "thunks"). */
  const char *api_index;
  size_t api_index_len;
} rimport__gen_input;

/* The file beside a generated plugin's sources that lists the index
 * records (src/api format) of its concrete generic instances (`pub fn
 * largest__i64(…)`), a JSON array; the build adds them to the API index. */
#define RIMPORT__GEN_INSTANCES "instances.json"

/* Writes <dir>/Cargo.toml, <dir>/src/lib.rs and <dir>/instances.json for
 * the plugin (dir is created). Files are written atomically; an unchanged file
 * is not rewritten (cargo's freshness is by mtime). */
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

#endif
