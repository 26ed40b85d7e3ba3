/* libFuzzer target for rimport_parse: any input must parse or fail cleanly,
 * and a successful parse must give descriptors that keep their promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rimport.h"
#include "common/common.h"

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

static int is_ident(const char *s) {
  size_t i;
  if (s == NULL || s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
    return 0;
  for (i = 0; s[i]; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
      return 0;
  return strcmp(s, "_") != 0;
}

static void check_span(const rimport_span *sp, size_t size) {
  CHECK(sp->start < sp->end);
  CHECK(sp->end <= size);
  CHECK(sp->line >= 1 && sp->column >= 1);
  CHECK(sp->end_line >= sp->line);
}

static void check_import(const rimport_import *im, const uint8_t *data,
                         size_t size, size_t prev_start) {
  size_t i, j;
  CHECK(im->kind == RIMPORT_IMPORT_CRATE || im->kind == RIMPORT_IMPORT_ITEMS);
  CHECK(im->crate != NULL && im->crate[0] != '\0' && strlen(im->crate) <= 64);
  CHECK(im->statement != NULL);
  check_span(&im->span, size);
  CHECK(im->span.start >= prev_start);
  CHECK(strlen(im->statement) <= im->span.end - im->span.start);
  CHECK(memcmp(im->statement, data + im->span.start, strlen(im->statement)) ==
        0);
  CHECK(im->default_features == RIMPORT_UNSET ||
        im->default_features == RIMPORT_FALSE ||
        im->default_features == RIMPORT_TRUE);
  CHECK(im->alias == NULL || is_ident(im->alias));
  CHECK(!(im->version != NULL && im->path != NULL));
  CHECK(im->version == NULL || im->version[0] != '\0');
  CHECK(im->path == NULL || im->path[0] != '\0');
  CHECK(im->package == NULL || im->package[0] != '\0');
  CHECK((im->features == NULL) == (im->feature_count == 0));
  for (i = 0; i < im->feature_count; i++)
    CHECK(im->features[i] != NULL && im->features[i][0] != '\0');
  if (im->kind == RIMPORT_IMPORT_CRATE) {
    CHECK(im->items == NULL && im->item_count == 0 && im->module == NULL);
    return;
  }
  CHECK(im->alias == NULL && im->version == NULL && im->path == NULL &&
        im->package == NULL && im->feature_count == 0);
  CHECK(im->items != NULL && im->item_count > 0);
  CHECK(im->module == NULL || im->module[0] != '\0');
  for (i = 0; i < im->item_count; i++) {
    const rimport_item *it = &im->items[i];
    CHECK(it->name != NULL);
    CHECK(
        strcmp(it->name, "*") == 0
            ? (it->alias == NULL && it->shape_count == 0 && im->item_count == 1)
            : is_ident(it->name));
    CHECK(it->alias == NULL || is_ident(it->alias));
    CHECK((it->shapes == NULL) == (it->shape_count == 0));
    for (j = 0; j < it->shape_count; j++) {
      CHECK(rimport_shape_name(it->shapes[j]) != NULL);
      CHECK(rimport_shape_rust(it->shapes[j]) != NULL);
    }
    check_span(&it->span, size);
    CHECK(it->span.start >= im->span.start && it->span.end <= im->span.end);
    CHECK(i == 0 || it->span.start >= im->items[i - 1].span.end);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rimport_imports *imports = NULL;
  /* A copy of exactly `size` bytes, so that reading past the end is caught
   * (the input is not NUL-terminated). */
  char *copy = malloc(size ? size : 1);
  size_t i, prev = 0;
  int rc;
  CHECK(copy != NULL);
  if (size > 0)
    memcpy(copy, data, size);
  rc = rimport_parse(copy, size, &imports);
  if (rc == 0) {
    const rimport_import *v = rimport_imports_array(imports);
    size_t n = rimport_imports_count(imports);
    CHECK((v == NULL) == (n == 0));
    for (i = 0; i < n; i++) {
      check_import(&v[i], data, size, prev);
      prev = v[i].span.start;
    }
  } else {
    const rimport_error *err = rimport_error_last();
    CHECK(imports == NULL);
    CHECK(err != NULL && err->code == rc && err->message != NULL);
    CHECK(rc == RIMPORT_EPARSE || rc == RIMPORT_ENOMEM);
    if (rc == RIMPORT_EPARSE)
      CHECK(err->line >= 1 && err->column >= 1 && err->text != NULL);
  }
  rimport_imports_free(imports);
  rimport__error_free_thread();
  free(copy);
  return 0;
}
