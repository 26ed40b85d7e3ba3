/* The API index: what a plugin's crate offers, read from rustdoc's JSON.
 *
 * The build stage runs rustdoc (JSON) over the imported crate's source
 * against the artifacts cargo already built, and hands the documents to
 * rimport__api_from_rustdoc, which writes rimport's own index: one compact
 * JSON document (format below) kept in the plugin's cache entry as
 * `api.json`, hashed like every artifact. The public lookups
 * (include/rimport/api.h) read that document back (index.c).
 *
 * Index document, format 1:
 *   {"format": 1, "crate": "serde_json", "version": "1.0.87",
 *    "rustdoc_format": 57,
 *    "items": [ITEM, …],           every public item, once, at its
 *                                  canonical path
 *    "aliases": {"a::b::C": "a::C", …}  other public paths → canonical}
 *   ITEM: {"path", "name", "kind", "docs" (first paragraph), "sig" (one
 *    line of Rust), "generics" (text, "" for none), and by kind:
 *    functions/methods: "params": [{"name", TYPE}], "output": TYPE,
 *      "receiver" ("&self", "&mut self", "self", or a type text);
 *    structs/enums/unions: "traits": ["Clone", "Debug", …] (of Display,
 *      Debug, Clone, Default, Send, Sync), "fields": [{"name", "type"}],
 *      "variants": ["Null", "Bool(bool)", …], "members": [ITEM, …]
 *      (inherent methods, associated functions and consts);
 *    traits: "members" (the trait's items); modules: "items": [names];
 *    constants/statics/type aliases: "type": TYPE; constants "value";
 *    macros: "macro": "macro_rules" | "derive" | "attribute" | "bang";
 *    items of another crate that a `pub use` re-exports and no document
 *    describes: "external": true (kind and path only).}
 *   TYPE: {"type": text, "shape": "i64" | "f64" | "bool" | "str" |
 *    "vec_i64" | "vec_f64" | "unit" | "opaque" | "none", "min"/"max"
 *    (integers: the range, decimal), "opaque" (the type's path with its
 *    arguments), "ref": "&" | "&mut", "optional": true (Option<T>),
 *    "fallible": true and "error" (Result<T, E>), "why" (none: what is
 *    not representable)}. */
#ifndef RIMPORT_SRC_API_H
#define RIMPORT_SRC_API_H

#include <stddef.h>

#include "../common/common.h"

#define RIMPORT__API_INDEX_FORMAT 1

/* The rustdoc JSON format versions the reader knows: 15 (Rust 1.63) to 57
 * (Rust 1.95). Others are refused with RIMPORT_EUNSUPPORTED. */
#define RIMPORT__RUSTDOC_FORMAT_MIN 15
#define RIMPORT__RUSTDOC_FORMAT_MAX 57

/* One rustdoc JSON document (text, need not be NUL-terminated). */
typedef struct rimport__rustdoc_doc {
  const char *json;
  size_t len;
  const char *what; /* for messages: "rustdoc JSON of serde_json" */
} rimport__rustdoc_doc;

/* Writes the index of `crate` (its Rust name) at `version` into `out`
 * (replaced) from docs[0], the crate's own document; later documents
 * describe crates whose items docs[0] re-exports (their items fill the
 * external entries). RIMPORT_EUNSUPPORTED for a format_version outside
 * the known range, RIMPORT_ECORRUPT for a document that is not rustdoc
 * JSON; the error record says which and what to do. */
int rimport__api_from_rustdoc(const rimport__rustdoc_doc *docs, size_t count,
                              const char *crate, const char *version,
                              rimport_buf *out);

/* The crates (names as rustdoc gives them) whose items the public
 * re-exports of `doc` name, other than the crate itself and the standard
 * library's, in *out (one name per line, each once). */
int rimport__api_reexported_crates(const rimport__rustdoc_doc *doc,
                                   rimport_buf *out);

/* --- thunk symbols (mangle.c) ----------------------------------------------
 * The exported name of the thunk of the item at `path` (its canonical
 * path; include/kayton_api.h, "thunks"): "kayton_thunk_" followed, for
 * each segment of the path, by the segment's length in decimal and the
 * segment. A leading "::" is ignored, and so is a raw identifier's "r#".
 *   reqwest::StatusCode::from_u16 → kayton_thunk_7reqwest10StatusCode8from_u16
 * The plugin generator names thunks with it and the dynamic calls
 * (src/dyncall) look them up with it. Writes the name into *out
 * (replaced); RIMPORT_EINVAL (with a message) when a segment is empty or
 * not an ASCII identifier ([A-Za-z_][A-Za-z0-9_]*), RIMPORT_ENOMEM. */
#define RIMPORT__API_THUNK_PREFIX "kayton_thunk_"
int rimport__api_thunk_symbol(const char *path, rimport_buf *out);

/* The file of a plugin's index in its cache entry. */
#define RIMPORT__API_INDEX_FILE "api.json"

/* --- lookups (index.c) -----------------------------------------------------
 * A session's API state: the indexes read so far (one per plugin key) and
 * the names cells bind. The public lookups (include/rimport/api.h) find
 * the plugins through the session's stack. */
typedef struct rimport__api_state rimport__api_state;

int rimport__api_state_new(rimport__api_state **out);
void rimport__api_state_free(rimport__api_state *st); /* NULL: no-op */

/* Records that cells now bind `name` to `path` ("reqwest::blocking::Client",
 * or a crate's name): the build stage calls it for every binding of a plan
 * it built. A later binding of the name replaces the earlier one. */
int rimport__api_bind(rimport__api_state *st, const char *name,
                      const char *path);
/* Counts the changes of the bindings: a name looked up earlier may name
 * something else once it has changed (for callers that remember lookups;
 * the indexes only grow, with the stack). */
unsigned long rimport__api_generation(const rimport__api_state *st);

/* For a path the crate lacks: "; it has a::X, b::X, a::Y" (items of that
 * name in other modules, then near names) from an index document (text),
 * appended to out; nothing when there are none. 0, RIMPORT_ECORRUPT for a
 * document that is not an index, or RIMPORT_ENOMEM. */
int rimport__api_suggest(const char *index, size_t len, const char *crate,
                         const char *path, rimport_buf *out);

#endif
