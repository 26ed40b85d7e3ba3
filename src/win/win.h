/* Helpers shared by the Windows implementations in src/win (not used
 * elsewhere: the rest of rimport talks UTF-8 through src/platform.h). */
#ifndef RIMPORT_SRC_WIN_H
#define RIMPORT_SRC_WIN_H

#include <wchar.h>

/* UTF-8 → UTF-16, NUL-terminated, rimport__malloc'd; NULL when the text
 * is not valid UTF-8 or memory ran out (*nomem, when not NULL, tells
 * which). */
wchar_t *rimport__win_utf16(const char *s, int *nomem);

/* UTF-16 (len units, or -1: NUL-terminated) → UTF-8, rimport__malloc'd;
 * NULL when memory ran out or the text does not convert. */
char *rimport__win_utf8(const wchar_t *w, int len);

#endif
