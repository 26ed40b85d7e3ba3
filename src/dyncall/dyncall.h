/* Dynamic calls into plugin thunks (include/rimport/call.h;
 * include/kayton_api.h "thunks"; DESIGN.md "Dynamic fallback"): tagged
 * values → the thunk's C parameters → libffi → the thunk's KaytonValue →
 * a tagged result.
 *
 * The core (invoke.c) knows no session: it is handed an item's signature
 * (a rimport_api_item), the context, the thunk's address and the plugin's
 * kayton_plugin_free_value. The public calls (call.c) find those through
 * the session: the item in the API index, the thunk in the loaded plugin
 * of the item's crate (src/load), the context and the reference VM.
 *
 * C signatures. A thunk is
 *   int32_t thunk(KaytonContext *ctx, KaytonValue *out, <receiver>, <params>)
 * with an HKayRef for a receiver (`self`, `&self`, `&mut self`) and per
 * parameter, by VM shape: i64 int64_t; f64 double; bool int32_t; str
 * (const uint8_t *, size_t); vec_i64 (const int64_t *, size_t); vec_f64
 * (const double *, size_t); opaque HKayRef. The ffi_cif of such a C
 * signature (the list of C parameter types, written as a key "hipz…") is
 * prepared once per dyncall state and reused by every item with the same
 * C signature; entries are never freed before the state.
 *
 * A state may be used from several threads (its table is locked): a host
 * may give one context to sessions on different threads. */
#ifndef RIMPORT_SRC_DYNCALL_H
#define RIMPORT_SRC_DYNCALL_H

#include <stddef.h>

#include "../common/common.h"
#include "kayton_api.h"

struct rimport__vm;

typedef struct rimport__dyncall_state rimport__dyncall_state;

int rimport__dyncall_state_new(rimport__dyncall_state **out);
/* NULL is a no-op. */
void rimport__dyncall_state_free(rimport__dyncall_state *st);
/* How many ffi_cif the state has prepared (one per C signature). */
size_t rimport__dyncall_prepared(rimport__dyncall_state *st);

/* The state kept for the session whose context is ctx, made on first use:
 * a VM global "rimport.dyncall" of kind "rimport.dyncall", owned by a
 * handle of the context, so the context drops it when it drops its
 * handles (the reference VM: when the session closes). NULL when the
 * context cannot keep it (a host without globals or handles): the caller
 * then uses a state of its own for the call. */
rimport__dyncall_state *rimport__dyncall_context_state(KaytonContext *ctx);

/* A session's memo of its dynamic calls (call.c), so that a call repeated
 * looks nothing up again: per item called, its thunk and its plugin's
 * free function (valid while the session has loaded the same number of
 * plugins: a later plugin of the crate may have the thunk instead); per
 * path or name called, the item it named (valid while the stack and the
 * bindings are unchanged); and the context's dyncall state. One thread at
 * a time, as every call on a session. */
typedef struct rimport__dyncall_memo rimport__dyncall_memo;
int rimport__dyncall_memo_new(rimport__dyncall_memo **out);
void rimport__dyncall_memo_free(rimport__dyncall_memo *m); /* NULL: no-op */

/* The plugin's `kayton_plugin_free_value`. */
typedef void (*rimport__free_value_fn)(KaytonValue *value);

/* Where a call goes. */
typedef struct rimport__dyncall_target {
  KaytonContext *ctx;     /* the context the thunk gets */
  struct rimport__vm *vm; /* the reference VM behind ctx, or NULL (a
                             host's context: the thunk's error text goes
                             to the host) */
  void *thunk;            /* the thunk's address */
  /* The plugin's kayton_plugin_free_value, or NULL: then a call whose
   * result may be a STR or VEC is refused (RIMPORT_EMISMATCH) before the
   * thunk runs. */
  rimport__free_value_fn free_value;
} rimport__dyncall_target;

/* Checks that `item` can be called dynamically at all: a function whose
 * receiver (none, `self`, `&self`, `&mut self`), parameters (shapes other
 * than none and unit, not Option) and result (not none) map to the thunk
 * ABI. 0, RIMPORT_EINVAL (not a function), RIMPORT_EUNSUPPORTED with what
 * is not representable and why. */
int rimport__dyncall_check(const rimport_api_item *item);

/* Calls the thunk of `item` (rimport__dyncall_check first; then arity and
 * argument checks; all before the thunk runs) and writes the result (the
 * caller frees it with rimport_value_dispose). With the reference VM the
 * VM's cell record is started afresh (rimport__vm_cell_begin) so that a
 * failure carries the text the thunk gave set_error. Errors as
 * rimport_call (include/rimport/call.h). */
int rimport__dyncall_invoke(rimport__dyncall_state *st,
                            const rimport_api_item *item,
                            const rimport__dyncall_target *t,
                            const rimport_value *args, size_t nargs,
                            rimport_value *result);

/* "path(&self, src: u16)": the item's path and its parameters as Rust
 * writes them, for messages; appended to out. */
int rimport__dyncall_signature(const rimport_api_item *item, rimport_buf *out);

/* --- the REPL's call syntax (expr.c) -----------------------------------
 *
 *   <path-or-name> ( [<value> {, <value>} [,]] )
 *   value: an integer (-12, i64), a float (1.5, -2e3, 1.), true, false,
 *          None (RIMPORT_VALUE_NONE, for an Option parameter),
 *          a "string" (escapes \n \r \t \0 \\ \" \' \xHH (to 7F) \u{H…}),
 *          a [list] of integers (vec_i64) or numbers with a float among
 *          them (vec_f64), $N (a handle the REPL kept)
 *   path: identifiers joined by :: (a leading :: allowed)
 *
 * Blanks between tokens are allowed; nothing may follow the `)`. */

/* Resolves $N (N ≥ 1) to a value (a handle): 0, or an error (set). */
typedef int (*rimport__dyncall_ref_fn)(void *payload, unsigned long n,
                                       rimport_value *out);

typedef struct rimport__dyncall_expr {
  char *path;          /* NUL-terminated */
  rimport_value *args; /* strings and lists point at the expr's own copies */
  size_t nargs;
} rimport__dyncall_expr;

/* Parses text[0..len) (need not be NUL-terminated; a NUL byte is an
 * error). `ref` (NULL: $N is an error) resolves $N. 0, or RIMPORT_EPARSE
 * with line 1 and the column (in characters, from 1) of the problem and
 * what was expected; RIMPORT_ENOMEM; the resolver's error. On success free
 * *out with rimport__dyncall_expr_free; on failure it is empty. */
int rimport__dyncall_parse(const char *text, size_t len,
                           rimport__dyncall_ref_fn ref, void *payload,
                           rimport__dyncall_expr *out);
/* NULL is a no-op. */
void rimport__dyncall_expr_free(rimport__dyncall_expr *e);

/* Appends the value as the REPL prints it: 42, 1.5, true, "text" (Rust
 * escapes), [1, 2], None, (); a handle as "handle 7". */
int rimport__dyncall_value_text(const rimport_value *v, rimport_buf *out);

#endif
