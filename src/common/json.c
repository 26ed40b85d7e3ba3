#include "json.h"

const char *rimport__json_str(const cJSON *obj, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

int rimport__json_print(const cJSON *doc, int pretty, rimport_buf *out) {
  char *text = NULL;
  int rc;
  if (doc != NULL)
    text = pretty ? cJSON_Print(doc) : cJSON_PrintUnformatted(doc);
  if (text == NULL)
    return rimport__error_nomem();
  rimport__buf_clear(out);
  rc = rimport__buf_puts(out, text);
  cJSON_free(text);
  return rc;
}
