/*
 * fuzz_admission.c - libFuzzer target for the admission webhook's answer to
 * one AdmissionReview (k8s/admission.c), with the policies of
 * deploy/policies (an in-memory set without them) and one that does not
 * parse.  Any input gets AG_OK and an AdmissionReview answer: HTTP 400
 * exactly when invalid, allowed false exactly when denied or invalid, a
 * patch exactly when injected, warnings exactly when warned.  An injected
 * answer's patch decodes to "add" operations that all apply to the
 * request's object, and the patched object, reviewed again, is left
 * unchanged (idempotent under reinvocation) - except where an app container
 * already mounted the gate's volume itself, a known gap (such a pod is
 * injected, then denied).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "k8s/admission.h"
#include "k8s/policy_set.h"
#include "../unit/json_patch_add.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct ag_policy_set set;

/*
 * The policies of deploy/policies ($AG_REPO, else the working directory:
 * the fuzz runners start in the repository), so the injected pods of the
 * corpus pin the right digests; else azure-cvm and azure-kata-cc with
 * made-up digests.  Either way one more that does not parse.
 */
static void
fill_set(void)
{
	char dir[4096];

	if (set.n != 0)
		return;
	snprintf(dir, sizeof(dir), "%s/deploy/policies", getenv("AG_REPO") != NULL ? getenv("AG_REPO") : ".");
	ag_policy_set_load(dir, &set);
	if (set.dir_error[0] != '\0' || set.n == 0) {
		memset(&set, 0, sizeof(set));
		strcpy(set.e[0].name, "azure-cvm");
		memset(set.e[0].sha256, 'a', AG_SHA256_HEX_LEN);
		set.e[0].cvm = 1;
		strcpy(set.e[1].name, "azure-kata-cc");
		memset(set.e[1].sha256, 'b', AG_SHA256_HEX_LEN);
		set.e[1].kata = 1;
		set.n = 2;
	}
	strcpy(set.e[set.n].name, "broken");
	strcpy(set.e[set.n++].error, "broken.yaml:1:1: not a policy");
}

/* The patch of an injected response applied to object (changed in place); aborts when it is not applicable. */
static void
apply_patch(const json_t *resp, json_t *object)
{
	const char *b64 = json_string_value(json_object_get(resp, "patch"));
	uint8_t *text = NULL;
	size_t n = 0, i;
	json_t *ops, *op;

	if (b64 == NULL || ag_b64_decode(b64, strlen(b64), &text, &n) != 0)
		abort();
	ops = json_loadb((const char *)text, n, 0, NULL);
	free(text);
	if (!json_is_array(ops) || json_array_size(ops) == 0)
		abort();
	json_array_foreach(ops, i, op) {
		const char *kind = json_string_value(json_object_get(op, "op"));
		const char *path = json_string_value(json_object_get(op, "path"));
		json_t *v = json_object_get(op, "value");

		if (kind == NULL || strcmp(kind, "add") != 0 || path == NULL || v == NULL)
			abort();
		if (apply_add(object, path, json_deep_copy(v)) != 0)
			abort();
	}
	json_decref(ops);
}

/* The answer's structure against its result; the response object (borrowed from *root). */
static const json_t *
check_answer(const struct ag_admission *a, json_t **root)
{
	const json_t *resp;
	int allowed, denied = a->result == AG_ADMIT_DENIED || a->result == AG_ADMIT_INVALID;

	if (a->body == NULL || strlen(a->body) != a->len || a->result >= AG_ADMIT_RESULTS)
		abort();
	if ((a->http_status == 400) != (a->result == AG_ADMIT_INVALID) || (a->http_status != 400 && a->http_status != 200))
		abort();
	*root = json_loadb(a->body, a->len, JSON_REJECT_DUPLICATES, NULL);
	resp = json_object_get(*root, "response");
	if (!json_is_object(resp) || !json_is_string(json_object_get(resp, "uid")) ||
	    !json_is_boolean(json_object_get(resp, "allowed")))
		abort();
	allowed = json_is_true(json_object_get(resp, "allowed"));
	if (allowed == denied || (denied && !json_is_string(json_object_get(json_object_get(resp, "status"), "message"))))
		abort();
	if ((json_object_get(resp, "patch") != NULL) != (a->result == AG_ADMIT_INJECTED) ||
	    (json_object_get(resp, "patchType") != NULL) != (a->result == AG_ADMIT_INJECTED) ||
	    (json_object_get(resp, "warnings") != NULL) != (a->result == AG_ADMIT_WARNED))
		abort();
	return resp;
}

/* Nonzero when a container of the object's pod template already mounts a volume named attestgate (the known gap). */
static int
mounts_gate_volume(const json_t *req)
{
	const json_t *tmpl = json_object_get(req, "object"), *ctr, *m;
	const char *const *path = ag_pod_template_path(json_string_value(json_object_get(json_object_get(req, "kind"),
	    "kind")));
	size_t i, j;

	for (size_t k = 0; path != NULL && path[k] != NULL; k++)
		tmpl = json_object_get(tmpl, path[k]);
	json_array_foreach(json_object_get(json_object_get(tmpl, "spec"), "containers"), i, ctr)
		json_array_foreach(json_object_get(ctr, "volumeMounts"), j, m)
			if (json_is_string(json_object_get(m, "name")) &&
			    strcmp(json_string_value(json_object_get(m, "name")), "attestgate") == 0)
				return 1;
	return 0;
}

/* The review again with the patch applied to its object: unchanged. */
static void
check_idempotent(const uint8_t *data, size_t len, const json_t *resp, const struct ag_inject_opts *o)
{
	json_t *review = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *req = json_object_get(review, "request");
	struct ag_admission again;
	char *text;

	if (!json_is_object(json_object_get(req, "object")))
		abort();
	if (mounts_gate_volume(req)) {
		json_decref(review);
		return;
	}
	apply_patch(resp, json_object_get(req, "object"));
	text = json_dumps(review, JSON_COMPACT);
	json_decref(review);
	if (text == NULL || ag_admission_review(text, strlen(text), o, &again) != AG_OK)
		abort();
	if (again.result != AG_ADMIT_UNCHANGED)
		abort();
	ag_admission_clear(&again);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ag_inject_opts o = { .image = "ghcr.io/attestgate/attestgate:0.1.0", .default_policy = "azure-cvm",
		.tpm_access = "privileged", .device_plugin_resource = "squat.ai/tpmrm0", .digest = ag_policy_set_digest,
		.allows = ag_policy_set_allows, .problem = ag_policy_set_problem, .digest_arg = &set };
	struct ag_admission a;
	const json_t *resp;
	json_t *root = NULL;

	fill_set();
	if (ag_admission_review((const char *)data, len, &o, &a) != AG_OK)
		abort();
	resp = check_answer(&a, &root);
	if (a.result == AG_ADMIT_INJECTED)
		check_idempotent(data, len, resp, &o);
	json_decref(root);
	ag_admission_clear(&a);
	return 0;
}
