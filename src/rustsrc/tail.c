/* The tail expression of a cell's statements (rustsrc.h). */
#include "rustsrc_internal.h"

int rimport__rs_tail(const char *text, size_t len, size_t *start,
                     int *has_tail) {
  rimport__rs_toks toks = RIMPORT__RS_TOKS_INIT;
  size_t i, after = 0, first = 0;
  int rc;
  *start = 0;
  *has_tail = 0;
  rc = rimport__rs_tokenize(text, len, 1, "reading the cell's statements",
                            &toks);
  if (rc != 0) {
    rimport__rs_toks_free(&toks);
    return rc;
  }
  /* the last `;` at depth 0: groups are skipped whole */
  for (i = 0; i < toks.count; i++) {
    const rimport__rs_tok *t = &toks.v[i];
    if (t->kind == RIMPORT__RS_TPUNCT &&
        (t->punct == '(' || t->punct == '[' || t->punct == '{') &&
        t->match != RIMPORT__RS_NO) {
      i = t->match;
      continue;
    }
    if (rimport__rs_is_punct(&toks, i, ';'))
      after = i + 1;
  }
  first = rimport__rs_sig(&toks, after, toks.count);
  *start = after > 0 ? toks.v[after - 1].end : 0;
  *has_tail = first < toks.count;
  rimport__rs_toks_free(&toks);
  return 0;
}
