/* What the files of the cell stage share. */
#ifndef RIMPORT_SRC_CELL_INTERNAL_H
#define RIMPORT_SRC_CELL_INTERNAL_H

#include "cell.h"

/* One name in scope for cells: `use <path> [as <name>];`. */
typedef struct rimport__scope_entry {
  char *name; /* what it binds; a glob is keyed by "*<path>" */
  char *path; /* "::kayton_rplugin__x::items::a::B", "…::*" */
  int alias;  /* non-zero: `as <name>` (else the path ends in the name) */
} rimport__scope_entry;

struct rimport__cell_state {
  rimport__scope_entry *names;
  size_t count, cap;
  unsigned int cells; /* cells compiled so far */
  char id[24];        /* session id, part of every cell crate name */
};

struct rimport_cell {
  char *dylib;
  unsigned int number;
};

#endif
