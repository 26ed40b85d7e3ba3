/* What the files of the cell stage share. */
#ifndef RIMPORT_SRC_CELL_INTERNAL_H
#define RIMPORT_SRC_CELL_INTERNAL_H

#include "cell.h"

/* One name in scope for cells: `use <path> [as <name>];`. */
typedef struct rimport__scope_entry {
  char *name; /* what it binds; a glob is keyed by "*<path>" */
  char *path; /* "::kayton_rplugin__x::items::a::B", "…::*" */
  int alias;  /* non-zero: `as <name>` (else the path ends in the name) */
  long cell;  /* the cell whose item it is (index in cells), or -1 */
  int always; /* a cell's trait or `use` import: in every later cell's
                 scope, named or not (a method needs its trait in scope) */
} rimport__scope_entry;

/* A cell the session compiled (or found in the cache) successfully. */
typedef struct rimport__cell_rec {
  char *crate;   /* kayton_cell_<16 hex of its key> */
  char *key;     /* its cache key (32 hex) */
  char *dylib;   /* absolute, in its cache entry */
  char *lib_dir; /* the dylib's directory (-L dependency=) */
  size_t *links; /* the earlier cells it links, ascending */
  size_t link_count;
  int farmed; /* its files were put in the lib farm by this session */
  int loaded; /* this session has loaded its dylib (it stays loaded) */
} rimport__cell_rec;

struct rimport__cell_state {
  rimport__scope_entry *names;
  size_t count, cap;
  rimport__cell_rec *recs;
  size_t rec_count, rec_cap;
  unsigned int cells; /* cells compiled so far */
  size_t api_rec;     /* 1 + the rec of kayton_cellapi, 0 while none */
  char id[24];        /* session id */
};

struct rimport_cell {
  char *dylib;
  unsigned int number;
  size_t rec; /* index in the state's recs */
  int reused; /* found in the cache: nothing was compiled */
};

/* Binds `name` to `path` (copied) for the cells after this one, replacing
 * an earlier binding; cell: the index of the cell whose item it is, or -1
 * for a name an import binds. */
int rimport__cell_scope_set(rimport__cell_state *st, const char *name,
                            const char *path, int alias, long cell);
/* Marks the latest binding of `name` as always in scope (…always). */
void rimport__cell_scope_always(rimport__cell_state *st, const char *name);

/* The cell key (cell/key.c): XXH3-128 (32 hex digits and NUL into
 * key_hex) of a canonical text of everything that makes the cell's
 * library: the format, the templates, the toolchain and target, rustc's
 * flags, where rustc says the source is, the cell's items and statements,
 * the plugins and crates it links, the names in its scope and the cells
 * it links (by crate name, which holds their keys). `parts` are those
 * inputs, each a (tag, text) pair, in order; `input` gets the text
 * hashed. */
typedef struct rimport__cell_key_part {
  const char *tag;
  const char *text;
  size_t len;
} rimport__cell_key_part;
int rimport__cell_key(const rimport__cell_key_part *parts, size_t count,
                      rimport_buf *input, char key_hex[33]);

#endif
