/* A plan as JSON (cJSON): what `rimport plan --json` prints and what later
 * stages and front-ends can read back. "adopted" says which loaded copy of
 * a crate a plugin takes (null: planned as written). */
#include <cjson/cJSON.h>
#include <string.h>

#include "plan.h"
#include "../common/json.h"

static cJSON *str_or_null(const char *s) {
  return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static int add(cJSON *obj, const char *name, cJSON *value) {
  return value != NULL && cJSON_AddItemToObject(obj, name, value);
}

static int push(cJSON *arr, cJSON *value) {
  return value != NULL && cJSON_AddItemToArray(arr, value);
}

static cJSON *shapes_json(const rimport_shape *shapes, size_t n) {
  cJSON *arr = cJSON_CreateArray();
  size_t i;
  for (i = 0; arr && i < n; i++)
    if (!push(arr, cJSON_CreateString(rimport_shape_name(shapes[i])))) {
      cJSON_Delete(arr);
      return NULL;
    }
  return arr;
}

/* The loaded copy a plugin takes (plan.h rimport__adopted), or null. */
static cJSON *adopted_json(const rimport__adopted *ad) {
  cJSON *o, *arr = NULL;
  size_t i;
  int ok;
  if (ad == NULL)
    return cJSON_CreateNull();
  o = cJSON_CreateObject();
  ok = o != NULL && add(o, "plugin", cJSON_CreateString(ad->plugin)) &&
       add(o, "package", cJSON_CreateString(ad->package)) &&
       add(o, "version", cJSON_CreateString(ad->version)) &&
       add(o, "path", str_or_null(ad->path)) &&
       add(o, "features", arr = cJSON_CreateArray());
  for (i = 0; ok && i < ad->feature_count; i++)
    ok = push(arr, cJSON_CreateString(ad->features[i]));
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static cJSON *plugin_json(const rimport_plugin *p,
                          const rimport__adopted *adopted) {
  cJSON *o = cJSON_CreateObject(), *src = NULL, *arr = NULL;
  size_t i;
  int ok = o != NULL;
  ok = ok && add(o, "crate", cJSON_CreateString(p->crate));
  ok = ok && add(o, "plugin", cJSON_CreateString(p->plugin));
  ok = ok && add(o, "package", str_or_null(p->package));
  ok = ok && add(o, "source", src = cJSON_CreateObject());
  if (ok && p->source == RIMPORT_FROM_PATH) {
    ok = add(src, "kind", cJSON_CreateString("path")) &&
         add(src, "path", cJSON_CreateString(p->path));
  } else if (ok) {
    ok = add(src, "kind", cJSON_CreateString("registry")) &&
         add(src, "version", cJSON_CreateString(p->version ? p->version : "*"));
  }
  ok = ok && add(o, "features", arr = cJSON_CreateArray());
  for (i = 0; ok && i < p->feature_count; i++)
    ok = push(arr, cJSON_CreateString(p->features[i]));
  ok = ok && add(o, "default_features", cJSON_CreateBool(p->default_features));
  ok = ok && add(o, "adopted", adopted_json(adopted));
  ok = ok && add(o, "whole_crate", cJSON_CreateBool(p->whole_crate));
  ok = ok && add(o, "items", arr = cJSON_CreateArray());
  for (i = 0; ok && i < p->item_count; i++) {
    const rimport_plugin_item *it = &p->items[i];
    cJSON *io = cJSON_CreateObject();
    ok = push(arr, io) && add(io, "module", str_or_null(it->module)) &&
         add(io, "name", cJSON_CreateString(it->name)) &&
         (it->shape_count == 0 ||
          add(io, "instance", shapes_json(it->shapes, it->shape_count)));
  }
  ok = ok && add(o, "bindings", arr = cJSON_CreateArray());
  for (i = 0; ok && i < p->binding_count; i++) {
    const rimport_binding *b = &p->bindings[i];
    cJSON *bo = cJSON_CreateObject();
    ok = push(arr, bo) && add(bo, "name", cJSON_CreateString(b->name)) &&
         add(bo, "module", str_or_null(b->module)) &&
         add(bo, "item", str_or_null(b->item));
  }
  ok = ok && add(o, "parents", arr = cJSON_CreateArray());
  for (i = 0; ok && i < p->parent_count; i++)
    ok = push(arr, cJSON_CreateString(p->parents[i]));
  ok = ok && add(o, "key", cJSON_CreateString(p->key));
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

int rimport_cell_plan_to_json(const rimport_cell_plan *plan, int pretty,
                              rimport_buf *out) {
  cJSON *root, *tc = NULL, *arr = NULL;
  size_t i;
  int ok, rc;
  if (plan == NULL || out == NULL)
    return rimport__error_set(
        RIMPORT_EINVAL, "rimport_cell_plan_to_json: plan and out are needed");
  root = cJSON_CreateObject();
  ok = root != NULL && add(root, "format", cJSON_CreateNumber(1)) &&
       add(root, "origin", cJSON_CreateString(plan->origin)) &&
       add(root, "toolchain", tc = cJSON_CreateObject()) &&
       add(tc, "release", cJSON_CreateString(plan->release)) &&
       add(tc, "host", cJSON_CreateString(plan->host)) &&
       add(tc, "target", cJSON_CreateString(plan->target)) &&
       add(tc, "fingerprint", cJSON_CreateString(plan->fingerprint)) &&
       add(root, "plugins", arr = cJSON_CreateArray());
  for (i = 0; ok && i < plan->count; i++)
    ok = push(arr, plugin_json(&plan->plugins[i],
                               plan->adopted ? plan->adopted[i] : NULL));
  rc = rimport__json_print(ok ? root : NULL, pretty, out);
  cJSON_Delete(root);
  return rc;
}
