/* Small cJSON helpers shared by the stages that read JSON (cargo's
 * messages, manifests, toolchain records). */
#ifndef RIMPORT_SRC_JSON_H
#define RIMPORT_SRC_JSON_H

#include <cjson/cJSON.h>

/* The string member `name` of obj, or NULL when obj is NULL, has no such
 * member, or it is not a string. */
const char *rimport__json_str(const cJSON *obj, const char *name);

#endif
