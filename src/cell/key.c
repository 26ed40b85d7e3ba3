/* Cell keys (cell_internal.h): like plugin keys (src/plan/key.c), a
 * canonical, versioned, length-prefixed text of every input that changes
 * a cell's library, hashed with XXH3-128; a compiled cell is a cache entry
 * <cache>/kayton_cell/<key>, found again by the same inputs. */
#include <string.h>
#include <xxhash.h>

#include "cell_internal.h"
#include "../template/template.h"

/* The key's format: bump it when what the parts mean changes. */
#define CELL_KEY_FORMAT 1

int rimport__cell_key(const rimport__cell_key_part *parts, size_t count,
                      rimport_buf *input, char key_hex[33]) {
  static const char digits[] = "0123456789abcdef";
  XXH128_canonical_t c;
  size_t i;
  int rc;
  rimport__buf_clear(input);
  rc = rimport__buf_printf(input,
                           "rimport-cell-key %d\nkayton-abi %d\n"
                           "template %s\n",
                           CELL_KEY_FORMAT, KAYTON_API_ABI_VERSION,
                           rimport__template_hash());
  for (i = 0; rc == 0 && i < count; i++) {
    const char *t = parts[i].text ? parts[i].text : "";
    if ((rc = rimport__buf_printf(input, "%s %zu:", parts[i].tag,
                                  parts[i].len)) == 0 &&
        (rc = rimport__buf_put(input, t, parts[i].len)) == 0)
      rc = rimport__buf_putc(input, '\n');
  }
  if (rc != 0)
    return rc;
  XXH128_canonicalFromHash(&c, XXH3_128bits(input->ptr, input->size));
  for (i = 0; i < sizeof(c.digest); i++) {
    key_hex[2 * i] = digits[c.digest[i] >> 4];
    key_hex[2 * i + 1] = digits[c.digest[i] & 15];
  }
  key_hex[32] = '\0';
  return 0;
}
