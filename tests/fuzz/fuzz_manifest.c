/* libFuzzer target for the cache's manifest reader (src/cache):
 * rimport__cache_manifest_parse, all that rimport__cache_lookup checks of
 * an entry's manifest.json before it looks at any file, on any input
 * taken as the text of manifest.json (crate "demo" and the key of the seed
 * corpus, and again with the crate and key the input names, when they are
 * valid names, so that the checks past them are reached too). It must
 * accept the input or refuse it with RIMPORT_ECORRUPT and a phrase, never
 * read outside the input, never leak; and what it accepts must be what
 * lookup may use: every artifact path relative and inside the entry, a
 * known kind, a whole size, a 32-digit hash, a dylib among them; printed
 * again, it is accepted again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rimport.h"
#include "cache/cache_internal.h"
#include "common/common.h"
#include "common/json.h"
#include "common/names.h"

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

#define SEED_CRATE "demo"
#define SEED_KEY   "0123456789abcdef0123456789abcdef"

/* What an accepted document must be. */
static void check_accepted(const cJSON *m, const char *crate, const char *key) {
  const cJSON *arts = cJSON_GetObjectItemCaseSensitive(m, "artifacts"), *a;
  int dylibs = 0;
  CHECK(cJSON_IsObject(m));
  CHECK(strcmp(rimport__json_str(m, "crate"), crate) == 0);
  CHECK(strcmp(rimport__json_str(m, "key"), key) == 0);
  CHECK(cJSON_IsArray(arts));
  cJSON_ArrayForEach(a, arts) {
    const char *rel = rimport__json_str(a, "path"), *p;
    const char *kind = rimport__json_str(a, "kind");
    const char *hash = rimport__json_str(a, "xxh3");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(a, "size");
    CHECK(rel != NULL && rel[0] != '\0' && rel[0] != '/');
    CHECK(strchr(rel, '\\') == NULL && strchr(rel, ':') == NULL);
    CHECK(strcmp(rel, "manifest.json") != 0);
    /* no "." or ".." component, no empty one: inside the entry */
    for (p = rel;;) {
      const char *end = strchr(p, '/');
      size_t n = end ? (size_t)(end - p) : strlen(p);
      CHECK(n > 0);
      CHECK(!(n == 1 && p[0] == '.'));
      CHECK(!(n == 2 && p[0] == '.' && p[1] == '.'));
      if (end == NULL)
        break;
      p = end + 1;
    }
    CHECK(rimport__cache_kind_ok(kind));
    CHECK(cJSON_IsNumber(size) && size->valuedouble >= 0);
    CHECK((double)(uint64_t)size->valuedouble == size->valuedouble);
    CHECK(hash != NULL && strlen(hash) == 32 &&
          rimport__cache_key_ok(hash, 32));
    dylibs += strcmp(kind, "dylib") == 0;
  }
  CHECK(dylibs > 0);
}

static void parse_as(const char *text, size_t len, const char *crate,
                     const char *key) {
  rimport_buf why = RIMPORT_BUF_INIT, again = RIMPORT_BUF_INIT;
  cJSON *m = NULL, *m2 = NULL;
  int rc = rimport__cache_manifest_parse(text, len, crate, key, &m, &why);
  if (rc == RIMPORT_ENOMEM) {
    CHECK(m == NULL);
  } else if (rc != 0) {
    CHECK(rc == RIMPORT_ECORRUPT);
    CHECK(m == NULL);
    CHECK(why.ptr != NULL && strncmp(why.ptr, "corrupt: ", 9) == 0);
  } else {
    CHECK(m != NULL);
    check_accepted(m, crate, key);
    /* Printed again (as a tool rewriting it would), still accepted. */
    if (rimport__json_print(m, 1, &again) == 0) {
      rc = rimport__cache_manifest_parse(again.ptr, again.size, crate, key, &m2,
                                         &why);
      CHECK(rc == 0 || rc == RIMPORT_ENOMEM);
      cJSON_Delete(m2);
    }
  }
  cJSON_Delete(m);
  rimport_buf_dispose(&why);
  rimport_buf_dispose(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* a copy of exactly `size` bytes, no NUL after it: reads past it are
   * caught */
  char *text = malloc(size ? size : 1);
  cJSON *doc;
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  parse_as(text, size, SEED_CRATE, SEED_KEY);
  /* Again with the names the document gives, when lookup could be asked
   * for them. */
  doc = cJSON_ParseWithLength(text, size);
  if (doc != NULL) {
    const char *crate = rimport__json_str(doc, "crate");
    const char *key = rimport__json_str(doc, "key");
    if (crate != NULL && key != NULL &&
        rimport__check_crate_name(crate, strlen(crate)) == NULL &&
        rimport__cache_key_ok(key, strlen(key)))
      parse_as(text, size, crate, key);
    cJSON_Delete(doc);
  }
  rimport_error_clear();
  free(text);
  return 0;
}
