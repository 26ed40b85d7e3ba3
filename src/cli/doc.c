/* rimport doc <crate>[.module…][::Item…] [<statement>…] [--json]: kinds,
 * signatures, VM shapes and docs from the API index, building the plugin
 * when needed (like `?` in notebook kernels). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/common.h"

/* "reqwest.blocking::Client" → "reqwest::blocking::Client". */
static int rust_path(const char *arg, rimport_buf *out) {
  const char *p;
  int rc = 0;
  for (p = arg; rc == 0 && *p; p++) {
    if (*p == ':' && p[1] == ':') {
      rc = rimport__buf_puts(out, "::");
      p++;
      /* a dotted module part ends at the first `::` */
      if (rc == 0)
        rc = rimport__buf_puts(out, p + 1);
      return rc;
    }
    rc = *p == '.' ? rimport__buf_puts(out, "::") : rimport__buf_putc(out, *p);
  }
  return rc;
}

static void print_shape(const rimport_api_type *t) {
  printf("%s", rimport_vm_shape_name(t->kind));
  if (t->kind == RIMPORT_VM_OPAQUE)
    printf(" %s%s",
           t->by_ref == 2   ? "&mut "
           : t->by_ref == 1 ? "&"
                            : "",
           t->opaque);
  if (t->min != NULL)
    printf(" in %s..=%s", t->min, t->max);
  if (t->optional)
    printf(", or none");
  if (t->fallible)
    printf(", or an error%s%s%s", t->error ? " (" : "",
           t->error ? t->error : "", t->error ? ")" : "");
  if (t->kind == RIMPORT_VM_NONE && t->why != NULL)
    printf(" (%s)", t->why);
}

static void print_signature(const char *indent, const rimport_api_item *it) {
  const char *s = it->signature, *nl;
  while (*s) { /* a macro's rules span lines */
    nl = strchr(s, '\n');
    printf("%s%.*s\n", indent, (int)(nl ? nl - s : (long)strlen(s)), s);
    if (nl == NULL)
      break;
    s = nl + 1;
  }
}

static void print_docs(const char *indent, const char *docs) {
  const char *s = docs, *nl;
  while (*s) {
    nl = strchr(s, '\n');
    printf("%s%.*s\n", indent, (int)(nl ? nl - s : (long)strlen(s)), s);
    if (nl == NULL)
      break;
    s = nl + 1;
  }
}

static void print_function(const char *indent, const rimport_api_item *it) {
  size_t i;
  for (i = 0; i < it->param_count; i++) {
    printf("%s  %s: %s -> ", indent, it->params[i].name,
           it->params[i].shape.type);
    print_shape(&it->params[i].shape);
    printf("\n");
  }
  if (it->output != NULL) {
    printf("%s  returns %s -> ", indent, it->output->type);
    print_shape(it->output);
    printf("\n");
  }
}

static void print_item(rimport_session *s, const rimport_api_item *it) {
  static const char *const traits[] = {"Display", "Debug", "Clone",
                                       "Default", "Send",  "Sync"};
  size_t i;
  printf("%s %s  (crate %s)\n", it->kind_name, it->path, it->crate);
  if (it->signature[0])
    print_signature("    ", it);
  if (it->docs[0])
    print_docs("  ", it->docs);
  if (it->external)
    printf("  (another crate's item, re-exported; import that crate for "
           "its details)\n");
  if (it->kind == RIMPORT_API_FUNCTION)
    print_function("", it);
  if (it->type != NULL) {
    printf("  type %s -> ", it->type->type);
    print_shape(it->type);
    printf("\n");
  }
  if (it->kind == RIMPORT_API_STRUCT || it->kind == RIMPORT_API_ENUM ||
      it->kind == RIMPORT_API_UNION) {
    int n = 0;
    printf("  implements:");
    for (i = 0; i < sizeof(traits) / sizeof(traits[0]); i++)
      if (it->traits & (1u << i))
        printf("%s %s", n++ ? "," : "", traits[i]);
    printf("%s\n", n ? ""
                     : " none of Display, Debug, Clone, Default, Send, "
                       "Sync");
  }
  for (i = 0; i < it->field_count; i++)
    printf("  field %s: %s\n", it->fields[i].name, it->fields[i].shape.type);
  for (i = 0; i < it->variant_count; i++)
    printf("  variant %s\n", it->variants[i]);
  for (i = 0; i < it->member_count; i++) {
    const rimport_api_item *m = &it->members[i];
    printf("\n");
    print_signature("  ", m);
    if (m->docs[0])
      print_docs("      ", m->docs);
    if (m->kind == RIMPORT_API_FUNCTION)
      print_function("    ", m);
  }
  if (it->kind == RIMPORT_API_MODULE && it->item_count > 0) {
    rimport_buf sub = RIMPORT_BUF_INIT;
    printf("\n  items:\n");
    for (i = 0; i < it->item_count; i++) {
      const rimport_api_item *child = NULL;
      rimport__buf_clear(&sub);
      if (rimport__buf_printf(&sub, "%s::%s", it->path, it->items[i]) != 0)
        break;
      if (rimport_api_lookup(s, sub.ptr, &child) == 0 && child != NULL) {
        const char *nl = strchr(child->docs, '\n');
        printf("    %-10s %-24s %.*s%s\n", child->kind_name, it->items[i],
               (int)(nl ? nl - child->docs : (long)strlen(child->docs)),
               child->docs, nl ? " …" : "");
      } else {
        rimport_error_clear();
        printf("    %-10s %s\n", "?", it->items[i]);
      }
    }
    rimport_buf_dispose(&sub);
  }
}

int cli_doc(cli *c, int argc, char **argv) {
  const char *target = NULL;
  rimport_buf path = RIMPORT_BUF_INIT, text = RIMPORT_BUF_INIT,
              json = RIMPORT_BUF_INIT;
  rimport_session *s = NULL;
  rimport_cell_plan *plan = NULL;
  rimport_build_result *built = NULL;
  const rimport_api_item *it = NULL;
  cli_cell cell;
  int i, status = 0, statements = 0;
  size_t crate_len;
  for (i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      c->json = 1;
    else if (argv[i][0] == '-')
      return cli_unknown_option(c, "doc", argv[i]);
    else if (target == NULL)
      target = argv[i];
    else {
      statements++;
      if (rimport__buf_printf(&text, "%s\n", argv[i]) != 0)
        return 1;
    }
  }
  if (target == NULL) {
    fprintf(stderr,
            "%s: error: doc needs what to show: a crate, a module or an "
            "item (reqwest, reqwest.blocking::Client, serde_json::Value); "
            "see `%s help doc`\n",
            c->prog, c->prog);
    rimport_buf_dispose(&text);
    return 2;
  }
  if (rust_path(target, &path) != 0) {
    rimport_buf_dispose(&text);
    return 1;
  }
  crate_len = strcspn(path.ptr, ":");
  if (!statements && rimport__buf_printf(&text, "rimport %.*s\n",
                                         (int)crate_len, path.ptr) != 0)
    status = 1;
  cli_install_reporters(c);
  if (status == 0 && rimport_session_open(&s, &c->opts) != 0)
    status = cli_fail(c, "opening the session");
  if (status == 0) {
    memset(&cell, 0, sizeof(cell));
    cell.path = "<command line>";
    cell.origin = "<command line>";
    cell.text = text.ptr;
    cell.len = text.size;
    cell.first_line = 1;
    status = cli_cell_plan(c, s, &cell, ".", &plan);
  }
  if (status == 0 && rimport_build(s, plan, &built) != 0)
    status = cli_fail(c, "building");
  if (status == 0 && rimport_api_lookup(s, path.ptr, &it) != 0)
    status = cli_fail(c, "looking the item up");
  if (status == 0 && c->json) {
    if (rimport_api_item_json(it, &json) != 0)
      status = cli_fail(c, "writing JSON");
    else
      printf("%s\n", json.ptr);
  } else if (status == 0) {
    print_item(s, it);
  }
  rimport_build_result_free(built);
  rimport_cell_plan_free(plan);
  rimport_session_close(s);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&text);
  rimport_buf_dispose(&json);
  return status;
}
