/*
 * k8s/pod_patch.c - the plan as JSONPatch (see pod_patch.h).  Lists that
 * exist get the gate's items inserted at their front, index by index (an
 * RFC 6902 "add" at an index shifts what is there), in the order inject
 * writes them; missing lists and mappings are added whole.
 */
#include "k8s/pod_patch.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PTR_MAX 512

int
ag_json_pointer_append(char *ptr, size_t len, const char *key)
{
	size_t start = strlen(ptr), at = start;

	if (at + 1 >= len)
		return -1;
	ptr[at++] = '/';
	for (const char *k = key; *k != '\0'; k++) {
		const char *esc = *k == '~' ? "~0" : *k == '/' ? "~1" : NULL;
		size_t n = esc != NULL ? 2 : 1;

		if (at + n >= len) {
			ptr[start] = '\0';   /* unchanged: still the string it was */
			return -1;
		}
		memcpy(ptr + at, esc != NULL ? esc : k, n);
		at += n;
	}
	ptr[at] = '\0';
	return 0;
}

/* out = prefix and the keys (NULL-terminated) as a JSON pointer, appended one after the other; -1 when too long. */
static int
pointer(char out[PTR_MAX], const char *prefix, ...)
{
	va_list ap;
	const char *k;
	int rc = 0;

	snprintf(out, PTR_MAX, "%s", prefix);
	va_start(ap, prefix);
	while (rc == 0 && (k = va_arg(ap, const char *)) != NULL)
		rc = ag_json_pointer_append(out, PTR_MAX, k);
	va_end(ap);
	return rc;
}

/* ops += {"op": "add", "path": base/key[/index], "value": value (stolen)}; index < 0: no index. */
static int
add_op(json_t *ops, const char *base, const char *key, long index, json_t *value)
{
	char path[PTR_MAX];

	snprintf(path, sizeof(path), "%s", base);
	if (value == NULL || (key != NULL && ag_json_pointer_append(path, sizeof(path), key) != 0)) {
		json_decref(value);
		return -1;
	}
	if (index >= 0) {
		char i[24];

		snprintf(i, sizeof(i), "%ld", index);
		if (ag_json_pointer_append(path, sizeof(path), i) != 0) {
			json_decref(value);
			return -1;
		}
	}
	return json_array_append_new(ops, json_pack("{s:s, s:s, s:o}", "op", "add", "path", path, "value", value));
}

/* The items of list (an array) first in obj[key] at pointer base: inserted one by one when it is a list, else set whole. */
static int
add_first(json_t *ops, const json_t *obj, const char *base, const char *key, const json_t *items)
{
	const json_t *have = json_object_get(obj, key), *item;
	size_t i;
	int rc = 0;

	if (!json_is_array(have))
		return add_op(ops, base, key, -1, json_deep_copy(items));
	json_array_foreach(items, i, item)
		rc |= add_op(ops, base, key, (long)i, json_deep_copy(item));
	return rc;
}

enum ag_code
ag_pod_patch_mounts(const json_t *tmpl, const char *prefix, const struct ag_gate_plan *plan, json_t *ops, struct ag_err *err)
{
	const json_t *ctrs = json_object_get(json_object_get(tmpl, "spec"), "containers"), *ctr;
	size_t i;
	int rc = 0;

	if (!json_is_array(ctrs))
		return ag_err_set(err, AG_ECONFIG, "the pod spec has no containers list");
	json_array_foreach(ctrs, i, ctr) {
		char base[PTR_MAX], idx[24];
		json_t *one;

		if (!json_is_object(ctr))
			return ag_err_set(err, AG_ECONFIG, "a container that is not an object");
		if (ag_k8s_named(json_object_get(ctr, "volumeMounts"), "attestgate") != NULL)
			continue;
		snprintf(idx, sizeof(idx), "%zu", i);
		if (pointer(base, prefix, "spec", "containers", idx, NULL) != 0) {
			rc = -1;
			break;
		}
		one = json_pack("[O]", plan->app_mount);
		rc |= add_first(ops, ctr, base, "volumeMounts", one);
		json_decref(one);
	}
	return rc == 0 ? AG_OK : ag_err_set(err, AG_ECONFIG, "cannot build the patch (a path too long, or out of memory)");
}

enum ag_code
ag_pod_patch_add(const json_t *tmpl, const char *prefix, const struct ag_gate_plan *plan, json_t *ops, struct ag_err *err)
{
	const json_t *spec = json_object_get(tmpl, "spec"), *meta = json_object_get(tmpl, "metadata");
	char s[PTR_MAX], p[PTR_MAX];
	json_t *one = json_pack("[O]", plan->container);
	int rc = pointer(s, prefix, "spec", NULL);

	if (rc == 0)
		rc = add_first(ops, spec, s, "initContainers", one);
	json_decref(one);
	if (rc == 0)
		rc = add_first(ops, spec, s, "volumes", plan->volumes);
	if (rc != 0)
		return ag_err_set(err, AG_ECONFIG, "cannot build the patch (a path too long, or out of memory)");
	if (ag_pod_patch_mounts(tmpl, prefix, plan, ops, err) != AG_OK)
		return err->code;
	/* The token is 0440: the app reads it through the pod's fsGroup (the gate's group unless the pod has its own). */
	if (!json_is_object(json_object_get(spec, "securityContext")))
		rc = add_op(ops, s, "securityContext", -1, json_pack("{s:i}", "fsGroup", AG_GATE_FS_GROUP));
	else if (json_object_get(json_object_get(spec, "securityContext"), "fsGroup") == NULL)
		rc = pointer(p, prefix, "spec", "securityContext", NULL) != 0 ? -1 :
		    add_op(ops, p, "fsGroup", -1, json_integer(AG_GATE_FS_GROUP));
	if (rc == 0 && !json_is_object(meta))
		rc = add_op(ops, prefix, "metadata", -1, json_pack("{s:{s:s}}", "annotations", "attestgate.io/status", "injected"));
	else if (rc == 0 && !json_is_object(json_object_get(meta, "annotations")))
		rc = pointer(p, prefix, "metadata", NULL) != 0 ? -1 :
		    add_op(ops, p, "annotations", -1, json_pack("{s:s}", "attestgate.io/status", "injected"));
	else if (rc == 0)
		rc = pointer(p, prefix, "metadata", "annotations", NULL) != 0 ? -1 :
		    add_op(ops, p, "attestgate.io/status", -1, json_string("injected"));
	return rc == 0 ? AG_OK : ag_err_set(err, AG_ECONFIG, "cannot build the patch (a path too long, or out of memory)");
}
