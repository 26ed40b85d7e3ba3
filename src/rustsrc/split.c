/* rimport_cell_split: a cell's Rust text as two texts of its length, the
 * items (compiled as items of the cell crate) and the statements (compiled
 * inside the cell's entry function). */
#include <string.h>

#include "rustsrc_internal.h"

/* Blanks [from, to) of buf: every byte but '\n' and '\r' becomes ' '. */
static void blank(char *buf, size_t from, size_t to) {
  size_t i;
  for (i = from; i < to; i++)
    if (buf[i] != '\n' && buf[i] != '\r')
      buf[i] = ' ';
}

/* A buffer holding exactly the text (NUL-terminated). */
static int copy_into(rimport_buf *b, const char *text, size_t len) {
  int rc;
  rimport__buf_clear(b);
  rc = rimport__buf_grow(b, len);
  if (rc != 0)
    return rc;
  return rimport__buf_put(b, text != NULL ? text : "", len);
}

int rimport__rs_blank_imports(rimport_buf *b) {
  rimport_imports *imps = NULL;
  size_t i;
  int rc = rimport_parse(b->ptr, b->size, &imps);
  if (rc != 0)
    return rc;
  for (i = 0; i < rimport_imports_count(imps); i++) {
    const rimport_span *sp = &rimport_imports_array(imps)[i].span;
    blank(b->ptr, sp->start, sp->end < b->size ? sp->end : b->size);
  }
  rimport_imports_free(imps);
  return 0;
}

int rimport_cell_split(const char *text, size_t len, rimport_buf *items,
                       rimport_buf *statements) {
  rimport__rs_toks toks = RIMPORT__RS_TOKS_INIT;
  rimport__rs_scan scan;
  rimport__rs_item it;
  size_t kept = 0; /* bytes before this were handed out */
  int rc;
  if (items == NULL || statements == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_cell_split: `items` and `statements` "
                              "must point to rimport_buf buffers (initialize "
                              "them with RIMPORT_BUF_INIT)");
  if (items == statements)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_cell_split: `items` and `statements` "
                              "must be two different buffers");
  if (text == NULL && len > 0) {
    rimport_buf_dispose(items);
    rimport_buf_dispose(statements);
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_cell_split: the text is NULL but its "
                              "length is %zu; pass NULL only with length 0",
                              len);
  }
  /* The rimport statements first: blanked in both texts. */
  if ((rc = copy_into(items, text, len)) != 0 ||
      (rc = rimport__rs_blank_imports(items)) != 0 ||
      (rc = copy_into(statements, items->ptr, len)) != 0)
    goto fail;
  rc = rimport__rs_tokenize(items->ptr, len, 1,
                            "splitting the cell into items and statements",
                            &toks);
  if (rc != 0)
    goto fail;
  rimport__rs_scan_init(&scan, &toks, 0, toks.count);
  while (rimport__rs_scan_next(&scan, &it)) {
    size_t start = toks.v[it.first].start, end = toks.v[it.last].end;
    blank(items->ptr, kept, start);
    blank(statements->ptr, start, end);
    kept = end;
  }
  blank(items->ptr, kept, len);
  rimport__rs_toks_free(&toks);
  return 0;
fail:
  rimport__rs_toks_free(&toks);
  rimport_buf_dispose(items);
  rimport_buf_dispose(statements);
  return rc;
}
