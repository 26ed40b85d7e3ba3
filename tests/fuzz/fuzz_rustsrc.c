/* libFuzzer target for the rustsrc stage: rimport_cell_split,
 * rimport__rs_item_names, rimport__rs_make_public and rimport__rs_idents on
 * any input. Each must succeed or fail cleanly, never read outside the
 * text, never leak, and keep its promises:
 *  - split: both outputs have the input's length and line breaks, every
 *    other byte is the input's in exactly one of them; splitting the items
 *    again gives them back, with no statements;
 *  - the names of a split's items are read without error, each as written;
 *  - make_public of a split's items succeeds (or meets the module depth
 *    limit), keeps the number of lines, tokenizes, and is its own fixed
 *    point;
 *  - identifiers are non-empty, not keywords, each once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rimport.h"
#include "common/common.h"
#include "rustsrc/rustsrc.h"
#include "rustsrc/rustsrc_internal.h"

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

static void check_error(int rc) {
  const rimport_error *err = rimport_error_last();
  CHECK(err->code == rc && err->message != NULL);
  if (rc == RIMPORT_EPARSE)
    CHECK(err->line >= 1 && err->column >= 1 && err->text != NULL);
}

static size_t count_lines(const char *s, size_t len) {
  size_t i, n = 0;
  for (i = 0; i < len; i++)
    n += s[i] == '\n';
  return n;
}

static void check_split(const char *text, size_t len, const rimport_buf *items,
                        const rimport_buf *stmts) {
  size_t i;
  CHECK(items->size == len && stmts->size == len);
  CHECK(items->ptr != NULL && stmts->ptr != NULL);
  CHECK(items->ptr[len] == '\0' && stmts->ptr[len] == '\0');
  for (i = 0; i < len; i++) {
    char c = text[i], a = items->ptr[i], b = stmts->ptr[i];
    if (c == '\n' || c == '\r')
      CHECK(a == c && b == c);
    else
      CHECK((a == c && b == ' ') || (a == ' ' && b == c));
  }
}

static void check_names(const rimport__rs_names *n, const char *text,
                        size_t len, int idents) {
  size_t i;
  for (i = 0; i < n->count; i++) {
    const rimport__rs_name *e = &n->v[i];
    CHECK(e->name != NULL && e->len > 0 && strlen(e->name) == e->len);
    CHECK(e->offset < len && e->len <= len - e->offset);
    CHECK(!(e->len == 1 && e->name[0] == '_'));
    if (idents) {
      size_t j;
      CHECK(e->kind == RIMPORT__RS_IDENT);
      CHECK(!rimport__rs_is_keyword(e->name, e->len) ||
            (e->offset + 2 <= len && text[e->offset] == 'r' &&
             text[e->offset + 1] == '#'));
      for (j = 0; j < i; j++)
        CHECK(strcmp(n->v[j].name, e->name) != 0);
    } else {
      CHECK(e->kind >= RIMPORT__RS_FN && e->kind <= RIMPORT__RS_EXTERN_CRATE);
      CHECK(memcmp(text + e->offset, e->name, e->len) == 0);
    }
  }
  for (i = 0; i < n->glob_count; i++)
    CHECK(n->globs[i] != NULL);
  CHECK(n->glob_count == 0 || n->has_glob);
}

/* make_public of text: a fixed point that tokenizes and keeps the lines. */
static void check_public(const char *text, size_t len, int must_work) {
  rimport_buf out = RIMPORT_BUF_INIT, again = RIMPORT_BUF_INIT;
  rimport__rs_shifts sh = RIMPORT__RS_SHIFTS_INIT;
  rimport__rs_toks toks = RIMPORT__RS_TOKS_INIT;
  size_t i;
  int rc = rimport__rs_make_public_ex(text, len, &out, &sh);
  if (rc != 0) {
    check_error(rc);
    CHECK(rc == RIMPORT_EPARSE || rc == RIMPORT_EUNSUPPORTED ||
          rc == RIMPORT_ENOMEM);
    CHECK(!must_work || rc != RIMPORT_EPARSE);
    CHECK(out.size == 0);
    rimport__rs_shifts_free(&sh);
    rimport_buf_dispose(&out);
    return;
  }
  CHECK(out.ptr != NULL && out.size >= len);
  CHECK(count_lines(out.ptr, out.size) == count_lines(text, len));
  for (i = 0; i < sh.count; i++) {
    CHECK(sh.v[i].offset <= len && sh.v[i].added > 0);
    CHECK(i == 0 || sh.v[i].offset > sh.v[i - 1].offset);
  }
  CHECK(rimport__rs_tokenize(out.ptr, out.size, 1, "fuzz", &toks) == 0);
  rimport__rs_toks_free(&toks);
  CHECK(rimport__rs_make_public(out.ptr, out.size, &again) == 0);
  CHECK(again.size == out.size && memcmp(again.ptr, out.ptr, out.size) == 0);
  rimport__rs_shifts_free(&sh);
  rimport_buf_dispose(&out);
  rimport_buf_dispose(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* A copy of exactly `size` bytes, so that reading past the end is caught
   * (the input is not NUL-terminated). */
  char *text = malloc(size ? size : 1);
  rimport_buf items = RIMPORT_BUF_INIT, stmts = RIMPORT_BUF_INIT;
  rimport_buf items2 = RIMPORT_BUF_INIT, stmts2 = RIMPORT_BUF_INIT;
  rimport__rs_names names = RIMPORT__RS_NAMES_INIT;
  size_t i;
  int rc, split_ok;
  CHECK(text != NULL);
  if (size > 0)
    memcpy(text, data, size);

  rc = rimport_cell_split(text, size, &items, &stmts);
  split_ok = rc == 0;
  if (rc == 0) {
    check_split(text, size, &items, &stmts);
    /* The items split again: themselves, and no statement. */
    CHECK(rimport_cell_split(items.ptr, items.size, &items2, &stmts2) == 0);
    CHECK(items2.size == size && memcmp(items2.ptr, items.ptr, size) == 0);
    for (i = 0; i < size; i++)
      CHECK(stmts2.ptr[i] == ' ' || stmts2.ptr[i] == '\n' ||
            stmts2.ptr[i] == '\r');
    CHECK(rimport__rs_item_names(items.ptr, items.size, &names) == 0);
    check_names(&names, items.ptr, items.size, 0);
    rimport__rs_names_dispose(&names);
    check_public(items.ptr, items.size, 1);
  } else {
    check_error(rc);
    CHECK(rc == RIMPORT_EPARSE || rc == RIMPORT_ENOMEM);
    CHECK(items.size == 0 && stmts.size == 0);
  }

  /* The raw text too: any text of items. */
  rc = rimport__rs_item_names(text, size, &names);
  if (rc == 0)
    check_names(&names, text, size, 0);
  else
    check_error(rc);
  CHECK(rc == 0 || !split_ok || rc == RIMPORT_ENOMEM);
  rimport__rs_names_dispose(&names);
  check_public(text, size, split_ok);

  rc = rimport__rs_idents(text, size, &names);
  if (rc == 0)
    check_names(&names, text, size, 1);
  else
    check_error(rc);
  CHECK(rc == 0 || !split_ok || rc == RIMPORT_ENOMEM);
  rimport__rs_names_dispose(&names);

  rimport_buf_dispose(&items);
  rimport_buf_dispose(&stmts);
  rimport_buf_dispose(&items2);
  rimport_buf_dispose(&stmts2);
  rimport__error_free_thread();
  free(text);
  return 0;
}
