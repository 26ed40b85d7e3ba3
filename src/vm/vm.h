/* The reference VM: rimport's own implementation of include/kayton_api.h
 * (kinds, globals, counted handles with drop functions, output capture and
 * the last error), used by the harness and the tests. The Kayton kernel
 * passes its own KaytonContext instead.
 *
 * Thread safety: the KaytonApi functions may be called from any thread
 * (plugin code running on a worker thread, e.g. a tokio runtime): one mutex
 * guards the tables. A drop function runs on the thread that released the
 * last reference (at rimport__vm_free, the host's), outside the mutex; the
 * output callback runs on the reporting thread with the mutex held. Neither
 * may call back into the VM (any VM): such a call, detected per thread,
 * returns KAYTON_EINVAL (report and set_error do nothing).
 * The rimport__vm_* functions below are for the host thread: vm_new/vm_free
 * must not race any other call, and the pointers returned by
 * rimport__vm_cell_stdout/last_error/last_diagnostic stay valid until the
 * next call that changes them (read them between plugin calls). */
#ifndef RIMPORT_SRC_VM_H
#define RIMPORT_SRC_VM_H

#include <stddef.h>
#include <stdint.h>

#include "kayton_api.h"

typedef struct rimport__vm rimport__vm;

/* Default bound of the per-cell stdout capture (bytes). */
#define RIMPORT__VM_CAPTURE_MAX ((size_t)16 * 1024 * 1024)
/* Appended once when the capture is truncated. */
#define RIMPORT__VM_TRUNCATED_MARKER "\n[output truncated]\n"

/* Receives everything report() is given (every level). Runs with the VM's
 * lock held, on the reporting thread: it must not call into the VM. */
typedef void (*rimport__vm_output_fn)(int32_t level, const char *text,
                                      size_t len, void *payload);

/* A new, empty VM. Returns 0 or RIMPORT_ENOMEM / RIMPORT_EINVAL (NULL out,
 * or the lock could not be made). */
int rimport__vm_new(rimport__vm **out);
/* Runs the drop function of every live handle (newest first), then frees
 * the VM. NULL is a no-op. The context is invalid afterwards. */
void rimport__vm_free(rimport__vm *vm);
/* The context handed to plugins and cells; its host_data points back at
 * the VM. Owned by the VM. */
KaytonContext *rimport__vm_context(rimport__vm *vm);
/* The VM behind a context this module made, or NULL. */
rimport__vm *rimport__vm_from_context(const KaytonContext *ctx);

/* Output: report() calls fn (NULL: none) as well as capturing STDOUT. */
void rimport__vm_set_output(rimport__vm *vm, rimport__vm_output_fn fn,
                            void *payload);
/* Bounds the per-cell stdout capture (default RIMPORT__VM_CAPTURE_MAX). */
void rimport__vm_set_capture_limit(rimport__vm *vm, size_t max);
/* Starts a cell: clears the capture, the last error and diagnostic. */
void rimport__vm_cell_begin(rimport__vm *vm);
/* What report(STDOUT) captured since the cell began (NUL-terminated, never
 * NULL; *len, if given, gets its length). */
const char *rimport__vm_cell_stdout(const rimport__vm *vm, size_t *len);
/* The text of the last set_error, or NULL. */
const char *rimport__vm_last_error(const rimport__vm *vm);
/* The last report() at a level other than STDOUT, or NULL; *level (if
 * given) gets its level. */
const char *rimport__vm_last_diagnostic(const rimport__vm *vm, int32_t *level);

/* Lookups for the host and the tests. */
/* The kind registered as `name` (NUL-terminated): 0 or RIMPORT_ENOTFOUND,
 * RIMPORT_EINVAL. */
int rimport__vm_kind_by_name(const rimport__vm *vm, const char *name,
                             KaytonKind *out);
/* The name of `kind` (NUL-terminated, owned by the VM), or NULL. */
const char *rimport__vm_kind_name(const rimport__vm *vm, KaytonKind kind);
/* The number of live handles. */
size_t rimport__vm_live_handles(const rimport__vm *vm);
/* The global `name` (NUL-terminated) whatever its kind: 0 with its kind
 * and pointer, RIMPORT_ENOTFOUND, RIMPORT_EINVAL. (A value a cell kept
 * with keep! is a global whose pointer is its handle.) */
int rimport__vm_global(const rimport__vm *vm, const char *name,
                       KaytonKind *kind, void **ptr);
/* The number of kinds registered and of globals set (NULL: not wanted). */
void rimport__vm_counts(const rimport__vm *vm, size_t *kinds, size_t *globals);
/* The reference count of live handle `h`: 0 or RIMPORT_ENOTFOUND. */
int rimport__vm_handle_refs(const rimport__vm *vm, HKayRef h, uint64_t *out);
/* The kind of live handle `h`: 0 or RIMPORT_ENOTFOUND. */
int rimport__vm_handle_kind(const rimport__vm *vm, HKayRef h, KaytonKind *out);

#endif
