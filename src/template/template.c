/* The embedded templates: lookup, hash, rendering by path. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <string.h>
#include <uv.h>
#include <xxhash.h>

#include "template.h"

const rimport__template *rimport__template_find(const char *path) {
  size_t i;
  for (i = 0; i < rimport__template_count; i++)
    if (strcmp(rimport__templates[i].path, path) == 0)
      return &rimport__templates[i];
  rimport__error_set(RIMPORT_EINTERNAL,
                     "the template \"%s\" is not embedded in this build of "
                     "rimport; rebuild it from a complete source tree",
                     path);
  return NULL;
}

static uv_once_t hash_once = UV_ONCE_INIT;
static char hash_hex[33];

/* A chain over the templates in path order: acc = XXH3-128(acc, XXH3-128 of
 * the path with its NUL, the length as 8 bytes little-endian, XXH3-128 of
 * the text). Allocates nothing, so it cannot fail. */
static void hash_templates(void) {
  XXH128_canonical_t c;
  unsigned char block[56];
  static const char digits[] = "0123456789abcdef";
  size_t i, k;
  memset(block, 0, sizeof(block));
  for (i = 0; i < rimport__template_count; i++) {
    const rimport__template *t = &rimport__templates[i];
    uint64_t len = (uint64_t)t->len;
    XXH128_canonicalFromHash(&c, XXH3_128bits(t->path, strlen(t->path) + 1));
    memcpy(block + 16, c.digest, 16);
    for (k = 0; k < 8; k++)
      block[32 + k] = (unsigned char)(len >> (8 * k));
    XXH128_canonicalFromHash(&c, XXH3_128bits(t->text, t->len));
    memcpy(block + 40, c.digest, 16);
    XXH128_canonicalFromHash(&c, XXH3_128bits(block, sizeof(block)));
    memcpy(block, c.digest, 16);
  }
  for (i = 0; i < 16; i++) {
    hash_hex[2 * i] = digits[block[i] >> 4];
    hash_hex[2 * i + 1] = digits[block[i] & 15];
  }
  hash_hex[32] = '\0';
}

const char *rimport__template_hash(void) {
  uv_once(&hash_once, hash_templates);
  return hash_hex;
}

int rimport__template_render(const char *path, const rimport__tpl_record *root,
                             rimport_buf *out) {
  const rimport__template *t = rimport__template_find(path);
  if (t == NULL)
    return RIMPORT_EINTERNAL;
  rimport__buf_clear(out);
  return rimport__render(t->path, t->text, t->len, root, out);
}
