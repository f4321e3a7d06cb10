/*
 * k8s/pod_patch.h - a gate plan (gate_plan.h) as RFC 6902 JSONPatch
 * operations against a pod template in JSON: what the admission webhook
 * answers, the same additions `attestgate inject` writes into YAML.
 */
#ifndef AG_K8S_POD_PATCH_H
#define AG_K8S_POD_PATCH_H

#include <jansson.h>

#include "base/error.h"
#include "k8s/gate_plan.h"

/* Appends to ops the operations adding plan's gate to tmpl, found at JSON pointer prefix ("" for a Pod). */
enum ag_code ag_pod_patch_add(const json_t *tmpl, const char *prefix, const struct ag_gate_plan *plan, json_t *ops,
    struct ag_err *err);

/* Appends to ops the outputs' mount for every container of tmpl without one. */
enum ag_code ag_pod_patch_mounts(const json_t *tmpl, const char *prefix, const struct ag_gate_plan *plan, json_t *ops,
    struct ag_err *err);

/* Appends "/" and key, escaped as RFC 6901 says ("~" as "~0", "/" as "~1"), to the pointer in ptr (len bytes). */
int ag_json_pointer_append(char *ptr, size_t len, const char *key);

#endif
