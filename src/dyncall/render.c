/* rimport_value_render (include/rimport/call.h): a handle's text through
 * the render thunk of its kind (kayton_api.h "thunks": kayton_render_…),
 * found in the session's loaded plugins; rimport_kept: the handle of a
 * value a cell kept. */
#include <stdint.h>
#include <string.h>

#include "dyncall.h"
#include "../api/api.h"
#include "../load/load.h"
#include "../session.h"
#include "../vm/vm.h"

typedef int32_t (*render_fn)(KaytonContext *, KaytonValue *, HKayRef, int32_t);
typedef void (*free_fn)(KaytonValue *);

int rimport_value_render(rimport_session *s, uint64_t handle, int debug,
                         rimport_buf *out) {
  rimport__vm *vm;
  rimport__loader *ld;
  rimport_buf sym = RIMPORT_BUF_INIT;
  KaytonKind kind;
  const char *name;
  KaytonValue v;
  size_t i;
  int rc;
  if (s == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_value_render: session and out are "
                              "needed");
  if ((vm = rimport__session_vm(s)) == NULL)
    return rimport__error_set(
        RIMPORT_EUNSUPPORTED,
        "rendering handle %llu: the session runs with the host's own VM "
        "context, whose handles rimport cannot read; call the kind's render "
        "thunk (kayton_render_<kind>) with the host's context instead",
        (unsigned long long)handle);
  if (rimport__vm_handle_kind(vm, handle, &kind) != 0 ||
      (name = rimport__vm_kind_name(vm, kind)) == NULL)
    return rimport__error_set(RIMPORT_ENOTFOUND,
                              "rendering handle %llu: there is no such live "
                              "handle (released already?)",
                              (unsigned long long)handle);
  /* kayton_thunk_<…> → kayton_render_<…> */
  if ((rc = rimport__api_thunk_symbol(name, &sym)) != 0)
    return rc;
  if (sym.size < 13 || strncmp(sym.ptr, "kayton_thunk_", 13) != 0) {
    rimport_buf_dispose(&sym);
    return rimport__error_set(RIMPORT_EINTERNAL,
                              "rendering a %s: its symbol could not be made",
                              name);
  }
  {
    rimport_buf r = RIMPORT_BUF_INIT;
    if ((rc = rimport__buf_printf(&r, "kayton_render_%s", sym.ptr + 13)) != 0) {
      rimport_buf_dispose(&sym);
      return rc;
    }
    rimport_buf_dispose(&sym);
    sym = r;
  }
  ld = rimport__session_loader(s);
  for (i = rimport__loader_count(ld); i-- > 0;) {
    const rimport__loaded *p = rimport__loader_at(ld, i);
    render_fn render = (render_fn)rimport__loader_symbol(ld, p->key, sym.ptr);
    free_fn give_back;
    if (render == NULL)
      continue;
    give_back =
        (free_fn)rimport__loader_symbol(ld, p->key, "kayton_plugin_free_value");
    memset(&v, 0, sizeof(v));
    rc = render(rimport__vm_context(vm), &v, handle, debug ? 1 : 0);
    rimport_buf_dispose(&sym);
    if (rc != 0)
      return rimport__error_set(
          RIMPORT_EPANIC, "rendering a %s (handle %llu) failed: %s", name,
          (unsigned long long)handle,
          rimport__vm_last_error(vm) ? rimport__vm_last_error(vm)
                                     : "(no message)");
    rimport__buf_clear(out);
    rc = v.tag == KAYTON_VALUE_STR
             ? rimport__buf_put(out, v.ptr ? (const char *)v.ptr : "", v.len)
             : rimport__error_set(RIMPORT_EINTERNAL,
                                  "rendering a %s: the plugin gave no text",
                                  name);
    if (give_back != NULL)
      give_back(&v);
    return rc;
  }
  rimport_buf_dispose(&sym);
  return rimport__error_set(
      RIMPORT_ENOTFOUND,
      "rendering a %s (handle %llu): no plugin of the session renders that "
      "kind (its type implements neither Display nor Debug, or it is not a "
      "kind a plugin's thunks give)",
      name, (unsigned long long)handle);
}

int rimport_kept(rimport_session *s, const char *name, rimport_value *out) {
  rimport__vm *vm;
  KaytonKind kind = 0, hk = 0;
  void *ptr = NULL;
  HKayRef h;
  if (out != NULL) {
    memset(out, 0, sizeof(*out));
    out->tag = RIMPORT_VALUE_UNIT;
  }
  if (s == NULL || name == NULL || out == NULL)
    return rimport__error_set(RIMPORT_EINVAL,
                              "rimport_kept: session, name and out are "
                              "needed");
  if ((vm = rimport__session_vm(s)) == NULL)
    return rimport__error_set(
        RIMPORT_EUNSUPPORTED,
        "reading the value kept as \"%s\": the session runs with the host's "
        "own VM context, whose globals rimport cannot read; read the global "
        "with the host's context instead",
        name);
  if (rimport__vm_global(vm, name, &kind, &ptr) != 0)
    return rimport__error_set(RIMPORT_ENOTFOUND,
                              "nothing is kept as \"%s\"; a cell keeps a "
                              "value with keep!(\"%s\", value)",
                              name, name);
  h = (HKayRef)(uintptr_t)ptr;
  if (rimport__vm_handle_kind(vm, h, &hk) != 0 || hk != kind)
    return rimport__error_set(
        RIMPORT_EINVAL,
        "\"%s\" is a global of kind %s, not a value a cell kept with keep!",
        name,
        rimport__vm_kind_name(vm, kind) ? rimport__vm_kind_name(vm, kind)
                                        : "?");
  out->tag = RIMPORT_VALUE_HANDLE;
  out->as.handle = h;
  return 0;
}
