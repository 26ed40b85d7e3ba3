/* Inside the dyncall stage: the cached ffi_cif of a C signature. */
#ifndef RIMPORT_SRC_DYNCALL_STATE_H
#define RIMPORT_SRC_DYNCALL_STATE_H

#include <ffi.h>

#include "dyncall.h"

/* The letters of a C signature key: one per C parameter after ctx and
 * out. */
#define RIMPORT__DYNCALL_C_HANDLE 'h' /* HKayRef (uint64_t) */
#define RIMPORT__DYNCALL_C_I64    'i' /* int64_t */
#define RIMPORT__DYNCALL_C_F64    'd' /* double */
#define RIMPORT__DYNCALL_C_BOOL   'b' /* int32_t */
#define RIMPORT__DYNCALL_C_PTR    'p' /* a pointer */
#define RIMPORT__DYNCALL_C_SIZE   'z' /* size_t */

typedef struct rimport__dyncall_cif {
  char *key;
  ffi_cif cif;
  ffi_type **types; /* ctx, out, then one per letter of key */
} rimport__dyncall_cif;

/* The prepared cif for `key`, prepared now if it is new (counted by
 * rimport__dyncall_prepared). 0, RIMPORT_ENOMEM, RIMPORT_EINTERNAL (libffi
 * refused: with its status). */
int rimport__dyncall_cif_get(rimport__dyncall_state *st, const char *key,
                             rimport__dyncall_cif **out);

#endif
