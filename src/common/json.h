/* Small cJSON helpers shared by the stages that read JSON (cargo's
 * messages, manifests, toolchain records). */
#ifndef RIMPORT_SRC_JSON_H
#define RIMPORT_SRC_JSON_H

#include <cjson/cJSON.h>

#include "common.h"

/* The string member `name` of obj, or NULL when obj is NULL, has no such
 * member, or it is not a string. */
const char *rimport__json_str(const cJSON *obj, const char *name);

/* Prints `doc` (pretty when `pretty` is non-zero) into out (replaced).
 * A NULL doc — an earlier cJSON call that ran out of memory — and a
 * failed print are RIMPORT_ENOMEM. */
int rimport__json_print(const cJSON *doc, int pretty, rimport_buf *out);

#endif
