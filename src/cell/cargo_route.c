/* The cargo route: the path dependencies of a cell crate that a host
 * builds with cargo, and its Cargo.toml (plugin_templates/cell/). */
#include <string.h>

#include "cell_internal.h"
#include "../common/arena.h"
#include "../common/names.h"
#include "../gen/gen.h"
#include "../stack/stack.h"
#include "../template/template.h"

struct rimport_extra_deps {
  rimport__arena arena; /* every string */
  rimport_extra_dep *v;
  size_t count;
};

int rimport__cell_extra_deps(const char *cache_dir, const rimport__stack *stack,
                             rimport_extra_deps **out) {
  size_t n = rimport__stack_count(stack), i;
  rimport_buf dir = RIMPORT_BUF_INIT;
  rimport_extra_deps *d = rimport__calloc(1, sizeof(*d));
  int rc = 0;
  if (d == NULL)
    return rimport__error_nomem();
  if (n > 0 &&
      (d->v = rimport__arena_alloc(&d->arena, (n + 1) * sizeof(*d->v))) == NULL)
    rc = RIMPORT_ENOMEM;
  /* kayton_api: the directory every plugin of the session depends on. */
  if (rc == 0 && n > 0 &&
      (rc = rimport__gen_kayton_api_dir(cache_dir, &dir)) == 0) {
    d->v[0].name = "kayton_api";
    if ((d->v[0].path = rimport__arena_strdup(&d->arena, dir.ptr)) == NULL)
      rc = RIMPORT_ENOMEM;
    d->count = 1;
  }
  for (i = 0; rc == 0 && i < n; i++, d->count++) {
    const rimport__built *b = rimport__stack_at(stack, i);
    rimport_extra_dep *e = &d->v[d->count];
    if ((e->name = rimport__arena_strdup(&d->arena, b->plugin)) == NULL ||
        (e->path = rimport__arena_strdup(&d->arena, b->work_dir)) == NULL)
      rc = RIMPORT_ENOMEM;
  }
  rimport_buf_dispose(&dir);
  if (rc != 0) {
    rimport_extra_deps_free(d);
    return rc;
  }
  *out = d;
  return 0;
}

size_t rimport_extra_deps_count(const rimport_extra_deps *deps) {
  return deps == NULL ? 0 : deps->count;
}

const rimport_extra_dep *
rimport_extra_deps_array(const rimport_extra_deps *deps) {
  return deps == NULL || deps->count == 0 ? NULL : deps->v;
}

void rimport_extra_deps_free(rimport_extra_deps *deps) {
  if (deps == NULL)
    return;
  rimport__arena_free(&deps->arena);
  rimport__free(deps);
}

int rimport_extra_deps_cargo_toml(const rimport_extra_deps *deps,
                                  const char *crate_name, rimport_buf *out) {
  const rimport__template *profile = rimport__template_find("profile.toml");
  rimport__tpl_var vars[3], *dv = NULL;
  rimport__tpl_record root, *recs = NULL;
  rimport__tpl_list list;
  size_t i, n = rimport_extra_deps_count(deps);
  const char *why;
  int rc;
  if (deps == NULL || crate_name == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_extra_deps_cargo_toml: deps, crate "
                              "name and out are needed");
  if ((why = rimport__check_ident(crate_name, strlen(crate_name))) != NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_extra_deps_cargo_toml: the crate name "
                              "\"%s\" is not a Rust identifier: %s",
                              crate_name, why);
  if (profile == NULL)
    return RIMPORT_EINTERNAL;
  if ((dv = rimport__calloc(2 * n + 1, sizeof(*dv))) == NULL ||
      (recs = rimport__calloc(n + 1, sizeof(*recs))) == NULL) {
    rimport__free(dv);
    return rimport__error_nomem();
  }
  for (i = 0; i < n; i++) {
    dv[2 * i].name = "name";
    dv[2 * i].value = deps->v[i].name;
    dv[2 * i + 1].name = "path";
    dv[2 * i + 1].value = deps->v[i].path;
    recs[i].vars = &dv[2 * i];
    recs[i].var_count = 2;
  }
  vars[0].name = "rimport_version";
  vars[0].value = rimport_version();
  vars[1].name = "crate_name";
  vars[1].value = crate_name;
  vars[2].name = "profile";
  vars[2].value = profile->text;
  list.name = "deps";
  list.records = recs;
  list.count = n;
  memset(&root, 0, sizeof(root));
  root.vars = vars;
  root.var_count = 3;
  root.lists = &list;
  root.list_count = 1;
  rc = rimport__template_render("cell/Cargo.toml.tpl", &root, out);
  rimport__free(dv);
  rimport__free(recs);
  return rc;
}
