/* libFuzzer target for the API index (src/api): rimport__api_from_rustdoc
 * on any input taken as rustdoc JSON (alone, and as the second document
 * of a pair), then, when it gives an index, rimport__api_suggest over that
 * index for a path made from the input. Each must succeed or fail with
 * RIMPORT_ECORRUPT / RIMPORT_EUNSUPPORTED and an error record, never read
 * outside the input, never leak, and an index it writes must be JSON that
 * rimport__api_suggest reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rimport.h"
#include "api/api.h"
#include "common/common.h"
#include "session.h"
#include "stack/stack.h"

/* index.c's session lookups are not fuzzed here (they read files); they
 * are never called, so they stand alone. */
struct rimport__api_state *rimport__session_api(rimport_session *s) {
  (void)s;
  abort();
}
struct rimport__stack *rimport__session_stack(rimport_session *s) {
  (void)s;
  abort();
}
size_t rimport__stack_count(const rimport__stack *st) {
  (void)st;
  abort();
}
const rimport__built *rimport__stack_at(const rimport__stack *st, size_t i) {
  (void)st;
  (void)i;
  abort();
}

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

static void check_failure(int rc) {
  const rimport_error *err = rimport_error_last();
  CHECK(rc == RIMPORT_ECORRUPT || rc == RIMPORT_EUNSUPPORTED ||
        rc == RIMPORT_ENOMEM);
  CHECK(err->code == rc && err->message != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rimport_buf index = RIMPORT_BUF_INIT, hints = RIMPORT_BUF_INIT,
              names = RIMPORT_BUF_INIT;
  /* a copy of exactly `size` bytes: reads past it are caught */
  char *text = malloc(size ? size : 1);
  rimport__rustdoc_doc docs[2];
  int rc;
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  docs[0].json = text;
  docs[0].len = size;
  docs[0].what = "fuzz input";
  rc = rimport__api_from_rustdoc(docs, 1, "x", "1", &index);
  if (rc != 0) {
    check_failure(rc);
  } else {
    /* the index is an index: suggestions for a path read it */
    rc = rimport__api_suggest(index.ptr, index.size, "x", "x::Nope", &hints);
    CHECK(rc == 0);
    rc = rimport__api_reexported_crates(&docs[0], &names);
    CHECK(rc == 0);
  }
  /* the input as a second document beside a minimal first one */
  {
    static const char first[] =
        "{\"format_version\":57,\"root\":0,\"paths\":{},\"index\":{\"0\":{"
        "\"id\":0,\"name\":\"x\",\"inner\":{\"module\":{\"items\":[1]}}},"
        "\"1\":{\"id\":1,\"name\":null,\"inner\":{\"use\":{\"name\":\"Y\","
        "\"id\":9,\"is_glob\":false}}}}}";
    docs[1] = docs[0];
    docs[0].json = first;
    docs[0].len = sizeof(first) - 1;
    rc = rimport__api_from_rustdoc(docs, 2, "x", "1", &index);
    if (rc != 0)
      check_failure(rc);
  }
  rimport_error_clear();
  rimport_buf_dispose(&index);
  rimport_buf_dispose(&hints);
  rimport_buf_dispose(&names);
  free(text);
  return 0;
}
