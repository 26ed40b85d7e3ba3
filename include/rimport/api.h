/**
 * @file rimport/api.h
 * @brief What an imported crate offers: items, kinds, signatures and VM
 *        shapes, from the API index of each plugin.
 *
 * Every plugin rimport builds carries an API index, made from rustdoc's
 * JSON of the imported crate (README "The API index"). After rimport_build
 * the front-end can ask what a path or a bound name is: a struct, a
 * function with which parameters, and how each parameter and result maps
 * to a value of the VM (an i64 with its range, a str, an opaque handle of
 * a kind, …), so that its type checker maps external items to concrete
 * types or to `Dynamic`.
 *
 * Descriptors are owned by the session and stay valid until it is closed.
 * A session is used by one thread at a time.
 *
 * Included by rimport.h; do not include it on its own.
 */
#ifndef RIMPORT_API_H
#define RIMPORT_API_H

#include "common.h"
#include "session.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What an item is. */
typedef enum rimport_api_kind {
  RIMPORT_API_OTHER = 0,
  RIMPORT_API_MODULE,
  RIMPORT_API_STRUCT,
  RIMPORT_API_ENUM,
  RIMPORT_API_UNION,
  RIMPORT_API_TRAIT,
  RIMPORT_API_FUNCTION, /**< free functions, methods, associated functions */
  RIMPORT_API_CONSTANT,
  RIMPORT_API_STATIC,
  RIMPORT_API_MACRO, /**< macro_rules! and procedural macros */
  RIMPORT_API_TYPE_ALIAS,
  RIMPORT_API_ASSOC_CONST /**< an associated const of a type or trait */
} rimport_api_kind;

/** How a Rust type maps to a value of the VM. */
typedef enum rimport_vm_shape {
  RIMPORT_VM_NONE = 0, /**< not representable (`why` says what) */
  RIMPORT_VM_I64,      /**< every integer type; `min`/`max` its range */
  RIMPORT_VM_F64,      /**< f32, f64 */
  RIMPORT_VM_BOOL,
  RIMPORT_VM_STR,     /**< &str, String, &String */
  RIMPORT_VM_VEC_I64, /**< Vec of an integer type; `min`/`max` */
  RIMPORT_VM_VEC_F64, /**< Vec<f32>, Vec<f64> */
  RIMPORT_VM_UNIT,    /**< () */
  RIMPORT_VM_OPAQUE   /**< a struct, enum or union: a handle of a kind */
} rimport_vm_shape;

/** Bits of rimport_api_item.traits. */
#define RIMPORT_TRAIT_DISPLAY 0x01u
#define RIMPORT_TRAIT_DEBUG   0x02u
#define RIMPORT_TRAIT_CLONE   0x04u
#define RIMPORT_TRAIT_DEFAULT 0x08u
#define RIMPORT_TRAIT_SEND    0x10u
#define RIMPORT_TRAIT_SYNC    0x20u

/** A type of a signature and its VM shape. Strings are never NULL unless
 *  said. */
typedef struct rimport_api_type {
  rimport_vm_shape kind;
  const char *type;   /**< the Rust type as rustdoc shows it: "Option<u16>" */
  const char *opaque; /**< OPAQUE: the kind's name, the type's public path
                           with its arguments ("reqwest::StatusCode");
                           else NULL */
  const char *min;    /**< I64, VEC_I64: the range, in decimal; else NULL */
  const char *max;
  int optional;      /**< an Option<T>: the VM gets T or a none marker */
  int fallible;      /**< a Result<T, E>: an Err is an error */
  const char *error; /**< fallible: E as written, or NULL */
  int by_ref;        /**< 0 by value, 1 `&`, 2 `&mut` (opaque handles) */
  const char *why;   /**< NONE: what is not representable ("a generic
                          parameter", "a tuple", …); else NULL */
} rimport_api_type;

/** A parameter of a function, or a field of a struct (`shape.type` is the
 *  field's type; a field's shape kind is NONE). */
typedef struct rimport_api_param {
  const char *name;
  rimport_api_type shape;
} rimport_api_param;

/** One item of a crate's API. Owned by the session. */
typedef struct rimport_api_item {
  rimport_api_kind kind;
  const char *kind_name; /**< "struct", "function", "assoc_const", … */
  const char *path;      /**< canonical public path: "serde_json::Value" */
  const char *name;      /**< the last segment */
  const char *crate;     /**< the crate whose plugin's index holds it */
  const char *docs;      /**< the first paragraph of its docs, or "" */
  const char *signature; /**< one line of Rust: "pub fn new() -> Client" */
  const char *generics;  /**< "<T: Clone>", or "" */
  const char *receiver;  /**< methods: "&self", "&mut self", "self" or a
                              type ("self: Box<Self>"); else NULL */
  const rimport_api_param *params; /**< functions: the parameters after self */
  size_t param_count;
  const rimport_api_type *output;  /**< functions: the result; else NULL */
  const rimport_api_type *type;    /**< constants, statics, type aliases,
                                     associated consts; else NULL */
  const char *value;               /**< constants: the value as written, or
                                        NULL */
  unsigned int traits;             /**< structs, enums, unions: RIMPORT_TRAIT_*
                                        bits of the traits it implements */
  const rimport_api_param *fields; /**< structs, unions: the public fields */
  size_t field_count;
  const char *const *variants; /**< enums: "Pear(u32)", "Plum { .. }" */
  size_t variant_count;
  const struct rimport_api_item *members; /**< types: inherent methods,
                                           associated functions and consts;
                                           traits: their items */
  size_t member_count;
  const char *const *items; /**< modules: the names of their public items */
  size_t item_count;
  const char *macro_kind; /**< macros: "macro_rules", "derive",
                               "attribute" or "bang"; else NULL */
  int external; /**< another crate's item that the crate re-exports and
                     that no index describes: kind and path only */
} rimport_api_item;

/**
 * Looks an item up by path in the API indexes of the session's plugins
 * (those rimport_build built or found so far).
 *
 * `path` is a Rust path: "reqwest::blocking::Client", a re-export
 * ("serde_json::Value", followed to its canonical path), a member
 * ("serde_json::Value::as_i64", "apidoc::Counter::new"), or a crate name
 * (its root module). A leading "::" is allowed.
 *
 * @param out receives the item (owned by the session), or NULL on failure
 * @return 0; RIMPORT_ENOTFOUND when no index has it: the message gives the
 *         near names and the modules where an item of that name exists
 *         ("reqwest::Client" vs "reqwest::blocking::Client"), or says that
 *         the crate's plugin has no index (rustdoc failed or the toolchain's
 *         format is not supported: a warning said so at the build) or that
 *         no plugin of the session imports that crate; RIMPORT_ECORRUPT
 *         for an index file that cannot be read; RIMPORT_EINVAL.
 */
RIMPORT_EXTERN int rimport_api_lookup(rimport_session *session,
                                      const char *path,
                                      const rimport_api_item **out);

/**
 * Looks an item up by the name a cell binds: "Client" after `from
 * reqwest.blocking rimport Client`, "reqwest" after `rimport reqwest`, an
 * alias (`rimport x as y`), or such a name followed by a path
 * ("Client::new"). The latest binding of the name is used, as in a cell.
 *
 * @return as rimport_api_lookup; RIMPORT_ENOTFOUND when no statement built
 *         so far binds the name.
 */
RIMPORT_EXTERN int rimport_api_lookup_name(rimport_session *session,
                                           const char *name,
                                           const rimport_api_item **out);

/**
 * The item as JSON, in `out` (replaced; free with rimport_buf_dispose): the
 * index's own record of it (README "The API index" lists the fields:
 * path, kind, docs, sig, generics, params/output with "type" and "shape",
 * traits, members, …).
 *
 * @return 0, RIMPORT_EINVAL or RIMPORT_ENOMEM.
 */
RIMPORT_EXTERN int rimport_api_item_json(const rimport_api_item *item,
                                         rimport_buf *out);

/** The name of a shape kind: "i64", "f64", "bool", "str", "vec_i64",
 *  "vec_f64", "unit", "opaque", or "none". */
RIMPORT_EXTERN const char *rimport_vm_shape_name(rimport_vm_shape kind);

#ifdef __cplusplus
}
#endif

#endif /* RIMPORT_API_H */
