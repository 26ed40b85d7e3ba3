/* The session's stack of built plugins (stack.h). */
#include <cjson/cJSON.h>
#include <string.h>

#include "stack.h"

struct rimport__stack {
  rimport__built *v;
  size_t count, cap;
};

int rimport__stack_new(rimport__stack **out) {
  if ((*out = rimport__calloc(1, sizeof(**out))) == NULL)
    return rimport__error_nomem();
  return 0;
}

/* The strings of a record in the stack are its own (stack.h). */
static void built_dispose(rimport__built *b) {
  const char **own[] = {&b->crate,     &b->plugin,   &b->base_key,  &b->key,
                        &b->key_input, &b->work_dir, &b->entry_dir, &b->dylib,
                        &b->deps_dir,  &b->version};
  size_t i;
  for (i = 0; i < b->parent_count; i++)
    rimport__free((void *)b->parents[i]);
  rimport__free((void *)b->parents);
  for (i = 0; i < RIMPORT__ARRAY_SIZE(own); i++)
    rimport__free((void *)*own[i]);
  cJSON_Delete(b->crates);
  memset(b, 0, sizeof(*b));
}

void rimport__stack_free(rimport__stack *st) {
  size_t i;
  if (st == NULL)
    return;
  for (i = 0; i < st->count; i++)
    built_dispose(&st->v[i]);
  rimport__free(st->v);
  rimport__free(st);
}

size_t rimport__stack_count(const rimport__stack *st) {
  return st == NULL ? 0 : st->count;
}

const rimport__built *rimport__stack_at(const rimport__stack *st, size_t i) {
  return st != NULL && i < st->count ? &st->v[i] : NULL;
}

const rimport__built *rimport__stack_find(const rimport__stack *st,
                                          const char *key) {
  size_t i;
  for (i = 0; key != NULL && i < rimport__stack_count(st); i++)
    if (strcmp(st->v[i].key, key) == 0)
      return &st->v[i];
  return NULL;
}

/* *dst = a copy of src (NULL stays NULL). */
static int copy_str(const char **dst, const char *src) {
  if (src == NULL)
    return 0;
  return (*dst = rimport__strdup(src)) == NULL ? rimport__error_nomem() : 0;
}

int rimport__stack_push(rimport__stack *st, const rimport__built *in) {
  rimport__built b;
  const char **parents = NULL;
  size_t i;
  int rc = 0;
  if ((rc = rimport__grow((void **)&st->v, &st->cap, st->count + 1,
                          sizeof(*st->v))) != 0)
    return rc;
  memset(&b, 0, sizeof(b));
  {
    const char *const from[] = {
        in->crate,    in->plugin,    in->base_key, in->key,      in->key_input,
        in->work_dir, in->entry_dir, in->dylib,    in->deps_dir, in->version};
    const char **to[] = {&b.crate,     &b.plugin,   &b.base_key,  &b.key,
                         &b.key_input, &b.work_dir, &b.entry_dir, &b.dylib,
                         &b.deps_dir,  &b.version};
    for (i = 0; rc == 0 && i < RIMPORT__ARRAY_SIZE(to); i++)
      rc = copy_str(to[i], from[i]);
  }
  if (rc != 0)
    goto fail;
  if (in->parent_count > 0 &&
      (parents = rimport__calloc(in->parent_count, sizeof(char *))) == NULL) {
    rc = rimport__error_nomem();
    goto fail;
  }
  b.parents = parents;
  for (i = 0; i < in->parent_count; i++, b.parent_count++)
    if ((rc = copy_str(&parents[i], in->parents[i])) != 0)
      goto fail;
  if (in->crates != NULL &&
      (b.crates = cJSON_Duplicate(in->crates, 1)) == NULL) {
    rc = rimport__error_nomem();
    goto fail;
  }
  st->v[st->count++] = b;
  return 0;
fail:
  built_dispose(&b);
  return rc;
}
