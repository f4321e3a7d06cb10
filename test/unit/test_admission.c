/*
 * test_admission.c - lib/k8s/admission.c: one admission.k8s.io/v1
 * AdmissionReview in, the answer out, with the policies of deploy/policies
 * (a policy set, as the webhook loads them).  What is not a review this
 * webhook answers (invalid or duplicate-key JSON, v1beta1, another kind, no
 * request, no uid or one too long) is HTTP 400 with an AdmissionReview
 * that says why; deletes and connects pass; a pod asking for the gate gets
 * the JSONPatch of gate_plan + pod_patch, which applied here makes the pod
 * answer unchanged the next time (reinvocation); a Pod's update passes
 * unjudged, a workload's is judged; kata-cc pods are warned,
 * never patched; unknown policies and kata sandboxes without a TEE are
 * denied; a pod injected before is unchanged, given only the mounts a
 * later container lacks, or denied when its gate is another; every
 * workload kind gets its template's prefix; the uid is echoed.
 */
#include "standin.h"

#include <jansson.h>

#include "base/base64.h"
#include "k8s/admission.h"
#include "k8s/pod_patch.h"
#include "k8s/policy_set.h"
#include "json_patch_add.h"

#define IMAGE "ghcr.io/attestgate/attestgate:0.1.0"
#define INSTALLED "azure-cvm, azure-cvm-local, azure-kata-cc"

static struct ag_policy_set *policies;

/* deploy/policies as the webhook loads its --policy-dir. */
static int
load_policies(void **state)
{
	char dir[4096];

	(void)state;
	policies = malloc(sizeof(*policies));
	assert_non_null(policies);
	snprintf(dir, sizeof(dir), "%s/deploy/policies", si_repo());
	ag_policy_set_load(dir, policies);
	if (policies->dir_error[0] != '\0' || policies->n != 3)
		fail_msg("%s: %s (run from the repository or set AG_REPO)", dir, policies->dir_error);
	return 0;
}

static int
free_policies(void **state)
{
	(void)state;
	free(policies);
	return 0;
}

static struct ag_inject_opts
opts(void)
{
	return (struct ag_inject_opts){ .mode = AG_INJECT_ADD, .image = IMAGE, .default_policy = "azure-cvm",
		.tpm_access = "privileged", .device_plugin_resource = "squat.ai/tpmrm0", .digest = ag_policy_set_digest,
		.allows = ag_policy_set_allows, .problem = ag_policy_set_problem, .digest_arg = policies };
}

static json_t *
parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

	if (j == NULL)
		fail_msg("JSON does not parse: %s: %s", jerr.text, text);
	return j;
}

/* A review of operation on object (stolen; NULL: none) of kind, as text (freed by the caller). */
static char *
review_of(const char *kind, const char *op, const char *uid, json_t *object)
{
	json_t *r = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:s}}", "apiVersion", "admission.k8s.io/v1", "kind",
	    "AdmissionReview", "request", "uid", uid, "kind", "group", "", "version", "v1", "kind", kind, "operation", op,
	    "namespace", "default", "name", "p");
	char *text;

	assert_non_null(r);
	if (object != NULL)
		json_object_set_new(json_object_get(r, "request"), "object", object);
	text = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	return text;
}

/* The answer to body: the HTTP status and result checked, the response object returned (the whole answer in *root). */
static json_t *
answer(const char *body, size_t len, int status, enum ag_admission_result result, json_t **root)
{
	struct ag_inject_opts o = opts();
	struct ag_admission a;
	json_t *resp;

	assert_int_equal(ag_admission_review(body, len, &o, &a), AG_OK);
	assert_non_null(a.body);
	assert_int_equal(strlen(a.body), a.len);
	if (a.result != result || a.http_status != status)
		fail_msg("result %s (HTTP %d), expected %s (HTTP %d): %s", ag_admission_result_name(a.result), a.http_status,
		    ag_admission_result_name(result), status, a.body);
	*root = parse(a.body);
	assert_string_equal(json_string_value(json_object_get(*root, "apiVersion")), "admission.k8s.io/v1");
	assert_string_equal(json_string_value(json_object_get(*root, "kind")), "AdmissionReview");
	resp = json_object_get(*root, "response");
	assert_true(json_is_object(resp));
	assert_true(json_is_boolean(json_object_get(resp, "allowed")));
	ag_admission_clear(&a);
	assert_null(a.body);
	return resp;
}

/* The review of object (stolen) of kind; the response checked for result, uid "u-1" echoed. */
static json_t *
review(const char *kind, json_t *object, enum ag_admission_result result, json_t **root)
{
	char *body = review_of(kind, "CREATE", "u-1", object);
	json_t *resp = answer(body, strlen(body), 200, result, root);

	free(body);
	assert_string_equal(json_string_value(json_object_get(resp, "uid")), "u-1");
	return resp;
}

/* Expects a denial whose message has want; frees the answer. */
static void
expect_denied(const char *kind, json_t *object, const char *want)
{
	json_t *root, *resp = review(kind, object, AG_ADMIT_DENIED, &root);
	const char *msg = json_string_value(json_object_get(json_object_get(resp, "status"), "message"));

	assert_true(json_is_false(json_object_get(resp, "allowed")));
	assert_null(json_object_get(resp, "patch"));
	assert_non_null(msg);
	if (strstr(msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", msg, want);
	json_decref(root);
}

/* Expects allowed unchanged: no patch, no patchType, no warnings; frees the answer. */
static void
expect_unchanged(const char *kind, json_t *object)
{
	json_t *root, *resp = review(kind, object, AG_ADMIT_UNCHANGED, &root);

	assert_true(json_is_true(json_object_get(resp, "allowed")));
	assert_null(json_object_get(resp, "patch"));
	assert_null(json_object_get(resp, "patchType"));
	assert_null(json_object_get(resp, "warnings"));
	json_decref(root);
}

/* The patch of an injected answer, decoded. */
static json_t *
patch_of(const json_t *resp)
{
	const char *b64 = json_string_value(json_object_get(resp, "patch"));
	uint8_t *text = NULL;
	size_t len = 0;
	json_t *ops;

	assert_true(json_is_true(json_object_get(resp, "allowed")));
	assert_string_equal(json_string_value(json_object_get(resp, "patchType")), "JSONPatch");
	assert_non_null(b64);
	assert_int_equal(ag_b64_decode(b64, strlen(b64), &text, &len), 0);
	ops = parse((const char *)text);
	free(text);
	assert_true(json_is_array(ops));
	assert_true(json_array_size(ops) > 0);
	return ops;
}

/* Reviews object (a copy is sent) expecting AG_ADMIT_INJECTED; its ops. */
static json_t *
injected_ops(const char *kind, const json_t *object)
{
	json_t *root, *resp = review(kind, json_deep_copy(object), AG_ADMIT_INJECTED, &root), *ops = patch_of(resp);

	json_decref(root);
	return ops;
}

/* --- objects -------------------------------------------------------------------------------------- */

/* A pod: annotations as "k=v" strings (NULL-terminated), the runtime class (or NULL). */
static json_t *
pod(const char *runtime_class, ...)
{
	json_t *p = parse("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\", \"namespace\": \"default\","
			  " \"annotations\": {}}, \"spec\": {\"containers\": [{\"name\": \"app\", \"image\": \"app:1\"}]}}");
	const char *kv;
	va_list ap;

	va_start(ap, runtime_class);
	while ((kv = va_arg(ap, const char *)) != NULL) {
		const char *eq = strchr(kv, '=');
		char key[128];

		assert_non_null(eq);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
		json_object_set_new(json_object_get(json_object_get(p, "metadata"), "annotations"), key, json_string(eq + 1));
	}
	va_end(ap);
	if (runtime_class != NULL)
		json_object_set_new(json_object_get(p, "spec"), "runtimeClassName", json_string(runtime_class));
	return p;
}

/* --- a small RFC 6902 "add" applier (paths as pod_patch writes them) ------------------------------- */

/* A copy of object with ops applied. */
static json_t *
applied(const json_t *object, const json_t *ops)
{
	json_t *doc = json_deep_copy(object), *op;
	size_t i;

	json_array_foreach(ops, i, op) {
		assert_string_equal(json_string_value(json_object_get(op, "op")), "add");
		if (apply_add(doc, json_string_value(json_object_get(op, "path")), json_deep_copy(json_object_get(op, "value"))) != 0)
			fail_msg("op %zu does not apply: %s", i, json_string_value(json_object_get(op, "path")));
	}
	return doc;
}

/* --- not a review this webhook answers -------------------------------------------------------------- */

/* Expects HTTP 400, invalid, allowed false with want in the message, uid "". */
static void
expect_invalid(const char *body, size_t len, const char *want)
{
	json_t *root, *resp = answer(body, len, 400, AG_ADMIT_INVALID, &root);
	const char *msg = json_string_value(json_object_get(json_object_get(resp, "status"), "message"));

	assert_true(json_is_false(json_object_get(resp, "allowed")));
	assert_string_equal(json_string_value(json_object_get(resp, "uid")), "");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(resp, "status"), "code")), 400);
	assert_null(json_object_get(resp, "patch"));
	assert_non_null(msg);
	if (strstr(msg, "not an AdmissionReview this webhook answers") == NULL || strstr(msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\" (body %.80s)", msg, want, body);
	json_decref(root);
}

static void
test_invalid(void **state)
{
	char uid[200], body[600];
	static const char v1[] = "{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\"";

	(void)state;
	expect_invalid("not json", 8, "invalid JSON");
	expect_invalid("", 0, "invalid JSON");
	expect_invalid("{\"apiVersion\": ", 15, "invalid JSON");
	expect_invalid("[1, 2]", 6, "not a JSON object");
	snprintf(body, sizeof(body), "{\"apiVersion\": \"admission.k8s.io/v1beta1\", \"kind\": \"AdmissionReview\", "
	    "\"request\": {\"uid\": \"u\"}}");
	expect_invalid(body, strlen(body), "apiVersion is not admission.k8s.io/v1");
	snprintf(body, sizeof(body), "{\"kind\": \"AdmissionReview\", \"request\": {\"uid\": \"u\"}}");
	expect_invalid(body, strlen(body), "apiVersion");
	snprintf(body, sizeof(body), "{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionRequest\", "
	    "\"request\": {\"uid\": \"u\"}}");
	expect_invalid(body, strlen(body), "kind is not AdmissionReview");
	snprintf(body, sizeof(body), "%s}", v1);
	expect_invalid(body, strlen(body), "has no request");
	snprintf(body, sizeof(body), "%s, \"request\": \"u\"}", v1);
	expect_invalid(body, strlen(body), "has no request");
	snprintf(body, sizeof(body), "%s, \"request\": {}}", v1);
	expect_invalid(body, strlen(body), "has no uid");
	snprintf(body, sizeof(body), "%s, \"request\": {\"uid\": \"\"}}", v1);
	expect_invalid(body, strlen(body), "has no uid");
	snprintf(body, sizeof(body), "%s, \"request\": {\"uid\": 7}}", v1);
	expect_invalid(body, strlen(body), "has no uid");
	memset(uid, 'u', 129);
	uid[129] = '\0';
	snprintf(body, sizeof(body), "%s, \"request\": {\"uid\": \"%s\"}}", v1, uid);
	expect_invalid(body, strlen(body), "longer than 128");
	/* A key twice: Go's decoder would keep the last, so it is refused. */
	snprintf(body, sizeof(body), "%s, \"request\": {\"uid\": \"a\", \"uid\": \"b\"}}", v1);
	expect_invalid(body, strlen(body), "duplicate");
	snprintf(body, sizeof(body), "%s, \"kind\": \"AdmissionReview\", \"request\": {\"uid\": \"a\"}}", v1);
	expect_invalid(body, strlen(body), "duplicate");
	/* The length is the length: a valid review cut short, and one followed by a NUL and more. */
	snprintf(body, sizeof(body), "%s, \"request\": {\"uid\": \"a\"}}", v1);
	expect_invalid(body, strlen(body) - 1, "invalid JSON");
	memcpy(body + strlen(body), "\0{}", 4);
	expect_invalid(body, strlen(body) + 3, "invalid JSON");
}

/* A uid of 128 characters is echoed; the answer carries no status for an allowed request. */
static void
test_uid_echoed(void **state)
{
	char uid[129], *body;
	json_t *root, *resp;

	(void)state;
	memset(uid, 'a', 128);
	uid[128] = '\0';
	body = review_of("Pod", "CREATE", uid, pod(NULL, NULL));
	resp = answer(body, strlen(body), 200, AG_ADMIT_UNCHANGED, &root);
	assert_string_equal(json_string_value(json_object_get(resp, "uid")), uid);
	assert_true(json_is_true(json_object_get(resp, "allowed")));
	json_decref(root);
	free(body);
	body = review_of("Pod", "CREATE", "705ab4f5-6393-11e8-b7cc-42010a800002", pod(NULL, "attestgate.io/inject=true", NULL));
	resp = answer(body, strlen(body), 200, AG_ADMIT_INJECTED, &root);
	assert_string_equal(json_string_value(json_object_get(resp, "uid")), "705ab4f5-6393-11e8-b7cc-42010a800002");
	json_decref(root);
	free(body);
}

/* Deletes, connects and requests without an operation pass unchanged, even for a pod asking for the gate. */
static void
test_other_operations(void **state)
{
	static const char *const ops[] = { "DELETE", "CONNECT", "" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char *body = review_of("Pod", ops[i], "u-1", pod(NULL, "attestgate.io/inject=true", "attestgate.io/policy=nope", NULL));
		json_t *root, *resp = answer(body, strlen(body), 200, AG_ADMIT_UNCHANGED, &root);

		assert_true(json_is_true(json_object_get(resp, "allowed")));
		assert_null(json_object_get(resp, "patch"));
		json_decref(root);
		free(body);
	}
}

/* A create or update without the object, or without its kind: denied. */
static void
test_no_object(void **state)
{
	json_t *root, *resp;
	char *body = review_of("Pod", "CREATE", "u-1", NULL);

	(void)state;
	resp = answer(body, strlen(body), 200, AG_ADMIT_DENIED, &root);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(resp, "status"), "message")), "no object"));
	json_decref(root);
	free(body);
	expect_denied("Pod", json_string("a pod"), "no object");
}

/* --- pods ----------------------------------------------------------------------------------------- */

/* The ops the webhook must send for tmpl at prefix: gate_plan's plan as pod_patch writes it. */
static json_t *
expected_ops(const json_t *tmpl, const char *prefix, const char *policy)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in;
	struct ag_gate_plan plan;
	struct ag_err err;
	json_t *ops = json_array();

	memset(&in, 0, sizeof(in));
	snprintf(in.inject, sizeof(in.inject), "true");
	snprintf(in.policy, sizeof(in.policy), "%s", policy);
	ag_err_clear(&err);
	assert_int_equal(ag_gate_plan_make(&o, &in, &plan, &err), AG_OK);
	assert_int_equal(ag_pod_patch_add(tmpl, prefix, &plan, ops, &err), AG_OK);
	ag_gate_plan_clear(&plan);
	return ops;
}

/* A pod asking: the patch is exactly the plan's ops; applied, the pod is left unchanged the next time. */
static void
test_pod_injected(void **state)
{
	json_t *p = pod(NULL, "attestgate.io/inject=true", NULL), *ops = injected_ops("Pod", p), *want = expected_ops(p, "", "");
	json_t *done;

	(void)state;
	assert_true(json_equal(ops, want));
	done = applied(p, ops);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(done, "metadata"), "annotations"),
				"attestgate.io/status")), "injected");
	expect_unchanged("Pod", done);   /* reinvocation: idempotent */
	json_decref(want);
	json_decref(ops);
	/* The policy annotation picks the policy. */
	json_decref(p);
	p = pod(NULL, "attestgate.io/inject=true", "attestgate.io/policy=azure-cvm-local", NULL);
	ops = injected_ops("Pod", p);
	want = expected_ops(p, "", "azure-cvm-local");
	assert_true(json_equal(ops, want));
	json_decref(want);
	json_decref(ops);
	json_decref(p);
}

static void
test_pod_not_asking(void **state)
{
	(void)state;
	expect_unchanged("Pod", pod(NULL, NULL));
	expect_unchanged("Pod", pod(NULL, "attestgate.io/inject=false", NULL));
	expect_unchanged("Pod", pod(NULL, "attestgate.io/inject=true", "attestgate.io/skip=true", NULL));
	expect_unchanged("Pod", pod("kata-vm-isolation", NULL));
	/* Not asking, but an annotation value that means nothing: denied, as inject refuses it. */
	expect_denied("Pod", pod(NULL, "attestgate.io/inject=yes", NULL), "attestgate.io/inject");
}

static void
test_unknown_policy(void **state)
{
	(void)state;
	expect_denied("Pod", pod(NULL, "attestgate.io/inject=true", "attestgate.io/policy=nope", NULL), "\"nope\" not found");
	expect_denied("Pod", pod(NULL, "attestgate.io/inject=true", "attestgate.io/policy=nope", NULL), INSTALLED);
	/* A policy for another platform. */
	expect_denied("Pod", pod(NULL, "attestgate.io/inject=true", "attestgate.io/policy=azure-kata-cc", NULL),
	    "does not allow");
}

/* kata-cc pods: warned, never patched; one already injected (at render time) passes quietly. */
static void
test_kata_cc(void **state)
{
	static const char *const classes[] = { "kata-cc", "kata-cc-isolation" };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		json_t *root, *resp = review("Pod", pod(classes[i], "attestgate.io/inject=true", NULL), AG_ADMIT_WARNED, &root);
		json_t *w = json_object_get(resp, "warnings");

		assert_true(json_is_true(json_object_get(resp, "allowed")));
		assert_null(json_object_get(resp, "patch"));
		assert_null(json_object_get(resp, "patchType"));
		assert_int_equal(json_array_size(w), 1);
		assert_non_null(strstr(json_string_value(json_array_get(w, 0)), "attestgate inject"));
		assert_non_null(strstr(json_string_value(json_array_get(w, 0)), "agent policy"));
		json_decref(root);
		expect_unchanged("Pod", pod(classes[i], "attestgate.io/inject=true", "attestgate.io/status=injected", NULL));
		expect_unchanged("Pod", pod(classes[i], NULL));
		expect_unchanged("Pod", pod(classes[i], "attestgate.io/inject=true", "attestgate.io/skip=true", NULL));
		/* Even an unknown policy: the pod is not the webhook's to judge. */
		review("Pod", pod(classes[i], "attestgate.io/inject=true", "attestgate.io/policy=nope", NULL), AG_ADMIT_WARNED,
		    &root);
		json_decref(root);
	}
}

static void
test_kata_without_tee(void **state)
{
	(void)state;
	expect_denied("Pod", pod("kata-vm-isolation", "attestgate.io/inject=true", NULL), "kata-vm-isolation");
	expect_denied("Pod", pod("kata-vm-isolation", "attestgate.io/inject=true", NULL), "without a TEE");
}

/* --- pods injected before ------------------------------------------------------------------------- */

/* A pod asking, with the webhook's own patch applied. */
static json_t *
injected_pod(void)
{
	json_t *p = pod(NULL, "attestgate.io/inject=true", NULL), *ops = injected_ops("Pod", p), *done = applied(p, ops);

	json_decref(ops);
	json_decref(p);
	return done;
}

static void
test_injected_before(void **state)
{
	json_t *done = injected_pod(), *ctrs, *ops, *op;
	size_t i;

	(void)state;
	expect_unchanged("Pod", json_deep_copy(done));
	/* A container added since (a sidecar injector): only its mount. */
	ctrs = json_object_get(json_object_get(done, "spec"), "containers");
	json_array_append_new(ctrs, json_pack("{s:s, s:s}", "name", "sidecar", "image", "side:1"));
	json_array_append_new(ctrs, json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "name", "sidecar2", "image", "side:2",
	    "volumeMounts", "name", "data", "mountPath", "/data"));
	ops = injected_ops("Pod", done);
	assert_int_equal(json_array_size(ops), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ops, 0), "path")), "/spec/containers/1/volumeMounts");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ops, 1), "path")),
	    "/spec/containers/2/volumeMounts/0");
	json_array_foreach(ops, i, op)
		assert_string_equal(json_string_value(json_object_get(json_object_get(op, "value"), "name")) != NULL ?
			json_string_value(json_object_get(json_object_get(op, "value"), "name")) :
			json_string_value(json_object_get(json_array_get(json_object_get(op, "value"), 0), "name")), "attestgate");
	{
		json_t *again = applied(done, ops);

		expect_unchanged("Pod", again);
	}
	json_decref(ops);
	json_decref(done);
}

static void
test_injected_other_gate(void **state)
{
	json_t *done = injected_pod();

	(void)state;
	json_t *root, *resp;
	const char *w;

	json_object_set_new(json_array_get(json_object_get(json_object_get(done, "spec"), "initContainers"), 0), "image",
	    json_string("ghcr.io/attestgate/attestgate:0.0.1"));
	/* A gate rendered earlier (another image) stays, with a warning that says what differs and what to do. */
	resp = review("Pod", json_deep_copy(done), AG_ADMIT_WARNED, &root);
	w = json_string_value(json_array_get(json_object_get(resp, "warnings"), 0));
	assert_true(json_is_true(json_object_get(resp, "allowed")));
	assert_null(json_object_get(resp, "patch"));
	assert_non_null(w);
	assert_non_null(strstr(w, "another image"));
	assert_non_null(strstr(w, "attestgate inject --update"));
	assert_true(strlen(w) < 256 && strchr(w, '\n') == NULL);
	json_decref(root);
	json_decref(done);
	/* Only the status annotation, no gate: it gets one. */
	resp = review("Pod", pod(NULL, "attestgate.io/inject=true", "attestgate.io/status=injected", NULL), AG_ADMIT_INJECTED,
	    &root);
	assert_string_equal(json_string_value(json_object_get(resp, "patchType")), "JSONPatch");
	json_decref(root);
	/* A gate the pod does not ask for any more is none of the webhook's business. */
	done = injected_pod();
	json_object_set_new(json_object_get(json_object_get(done, "metadata"), "annotations"), "attestgate.io/inject",
	    json_string("false"));
	json_object_set_new(json_array_get(json_object_get(json_object_get(done, "spec"), "initContainers"), 0), "image",
	    json_string("other"));
	expect_unchanged("Pod", done);
}

/*
 * A pod whose app already mounts the gate's volume (at another path, or
 * read-write) and is admitted with the gate must be admitted again as it is
 * (reinvocation, a second `attestgate inject`): the answer does not change
 * its mind about its own output.
 */
static void
test_own_mount_idempotent(void **state)
{
	static const char *const mounts[] = { "{\"name\": \"attestgate\", \"mountPath\": \"/secrets\", \"readOnly\": true}",
		"{\"name\": \"attestgate\", \"mountPath\": \"/run/attestgate\"}" };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		json_t *p = pod(NULL, "attestgate.io/inject=true", NULL), *ops, *done, *root, *resp;
		char *body;
		struct ag_inject_opts o = opts();
		struct ag_admission a;

		json_object_set_new(json_array_get(json_object_get(json_object_get(p, "spec"), "containers"), 0), "volumeMounts",
		    json_pack("[o]", parse(mounts[i])));
		body = review_of("Pod", "CREATE", "u-1", json_deep_copy(p));
		assert_int_equal(ag_admission_review(body, strlen(body), &o, &a), AG_OK);
		free(body);
		if (a.result != AG_ADMIT_INJECTED) {
			ag_admission_clear(&a);   /* refused at once: consistent */
			json_decref(p);
			continue;
		}
		root = parse(a.body);
		resp = json_object_get(root, "response");
		ops = patch_of(resp);
		done = applied(p, ops);
		body = review_of("Pod", "CREATE", "u-1", done);
		ag_admission_clear(&a);
		assert_int_equal(ag_admission_review(body, strlen(body), &o, &a), AG_OK);
		if (a.result != AG_ADMIT_UNCHANGED)
			fail_msg("mount %s: injected the first time, %s the second: %s", mounts[i],
			    ag_admission_result_name(a.result), a.body);
		ag_admission_clear(&a);
		free(body);
		json_decref(ops);
		json_decref(root);
		json_decref(p);
	}
}

/* --- workloads ------------------------------------------------------------------------------------ */

/* A workload of kind with the pod's template at path (keys), annotated on the workload (where == 'w') or the template. */
static json_t *
workload(const char *kind, const char *const *path, char where)
{
	json_t *w = json_pack("{s:s, s:s, s:{s:s, s:{}}}", "apiVersion", "apps/v1", "kind", kind, "metadata", "name", "w",
	    "annotations"), *at = w, *tmpl = pod(NULL, NULL);
	size_t n = 0;

	json_object_del(tmpl, "apiVersion");
	json_object_del(tmpl, "kind");
	json_object_set_new(json_object_get(where == 'w' ? w : tmpl, "metadata"), "annotations",
	    json_pack("{s:s}", "attestgate.io/inject", "true"));
	while (path[n + 1] != NULL) {
		json_object_set_new(at, path[n], json_object());
		at = json_object_get(at, path[n++]);
	}
	json_object_set_new(at, path[n], tmpl);
	return w;
}

static void
test_workload_kinds(void **state)
{
	static const char *const kinds[] = { "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
		"ReplicationController", "PodTemplate" };
	static const char *const prefixes[] = { "/spec/template", "/spec/template", "/spec/template", "/spec/template",
		"/spec/template", "/spec/jobTemplate/spec/template", "/spec/template", "/template" };

	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (int where = 0; where < 2; where++) {
			const char *const *path = ag_pod_template_path(kinds[k]);
			json_t *w = workload(kinds[k], path, where == 0 ? 'w' : 't'), *ops = injected_ops(kinds[k], w), *tmpl = w;
			json_t *want, *done;

			for (size_t i = 0; path[i] != NULL; i++)
				tmpl = json_object_get(tmpl, path[i]);
			want = expected_ops(tmpl, prefixes[k], "");
			if (!json_equal(ops, want))
				fail_msg("%s: the ops are not the plan's at %s", kinds[k], prefixes[k]);
			done = applied(w, ops);
			expect_unchanged(kinds[k], done);
			json_decref(want);
			json_decref(ops);
			json_decref(w);
		}
}

/* A Pod's update passes unjudged (its spec cannot change); a workload's update is judged as a create. */
static void
test_update(void **state)
{
	const char *const path[] = { "spec", "template", NULL };
	json_t *root, *resp, *dep;
	char *body = review_of("Pod", "UPDATE", "u-1", pod(NULL, "attestgate.io/inject=true", "attestgate.io/policy=nope", NULL));

	(void)state;
	resp = answer(body, strlen(body), 200, AG_ADMIT_UNCHANGED, &root);
	assert_true(json_is_true(json_object_get(resp, "allowed")));
	assert_null(json_object_get(resp, "patch"));
	json_decref(root);
	free(body);
	dep = workload("Deployment", path, 't');
	body = review_of("Deployment", "UPDATE", "u-1", dep);
	resp = answer(body, strlen(body), 200, AG_ADMIT_INJECTED, &root);
	json_decref(patch_of(resp));
	json_decref(root);
	free(body);
}

/* A CronJob asking on its jobTemplate's metadata; a kind without a pod template. */
static void
test_cronjob_and_unknown_kinds(void **state)
{
	json_t *cj = parse("{\"apiVersion\": \"batch/v1\", \"kind\": \"CronJob\", \"metadata\": {\"name\": \"c\"}, \"spec\": {"
			   "\"schedule\": \"* * * * *\", \"jobTemplate\": {\"metadata\": {\"annotations\": {"
			   "\"attestgate.io/inject\": \"true\"}}, \"spec\": {\"template\": {\"spec\": {\"containers\": ["
			   "{\"name\": \"job\"}]}}}}}}");
	json_t *ops = injected_ops("CronJob", cj), *op;
	size_t i;

	(void)state;
	json_array_foreach(ops, i, op)
		assert_int_equal(strncmp(json_string_value(json_object_get(op, "path")), "/spec/jobTemplate/spec/template/", 32), 0);
	json_decref(ops);
	json_decref(cj);
	expect_denied("ConfigMap", parse("{\"metadata\": {\"name\": \"c\", \"annotations\": {\"attestgate.io/inject\": \"true\"}}}"),
	    "no pod template the webhook knows");
	expect_unchanged("ConfigMap", parse("{\"metadata\": {\"name\": \"c\"}, \"data\": {\"a\": \"b\"}}"));
	expect_unchanged("Service", parse("{\"metadata\": {\"annotations\": {\"attestgate.io/inject\": \"false\"}}}"));
}

/* An object of a known kind without the template's spec: denied. */
static void
test_no_spec(void **state)
{
	(void)state;
	expect_denied("Pod", parse("{\"metadata\": {\"name\": \"p\"}}"), "no pod template with a spec");
	expect_denied("Pod", parse("{\"metadata\": {\"name\": \"p\"}, \"spec\": []}"), "no pod template with a spec");
	expect_denied("Deployment", parse("{\"metadata\": {\"name\": \"d\"}, \"spec\": {\"replicas\": 1}}"),
	    "no pod template with a spec");
	expect_denied("Deployment", parse("{\"spec\": {\"template\": {\"metadata\": {}}}}"), "no pod template with a spec");
	/* A spec without containers, asking: the patch cannot be built. */
	expect_denied("Pod", parse("{\"metadata\": {\"annotations\": {\"attestgate.io/inject\": \"true\"}}, \"spec\": {}}"),
	    "containers");
}

/* The log fields: the object and the reason of a denial, warning or invalid review. */
static void
test_what_and_reason(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_admission a;
	char *body = review_of("Pod", "CREATE", "u-1", pod(NULL, "attestgate.io/inject=true", "attestgate.io/policy=nope", NULL));

	(void)state;
	assert_int_equal(ag_admission_review(body, strlen(body), &o, &a), AG_OK);
	assert_int_equal(a.result, AG_ADMIT_DENIED);
	assert_string_equal(a.what, "Pod default/p");
	assert_non_null(strstr(a.reason, "\"nope\" not found"));
	ag_admission_clear(&a);
	free(body);
	assert_int_equal(ag_admission_review("x", 1, &o, &a), AG_OK);
	assert_string_equal(a.what, "");
	assert_non_null(strstr(a.reason, "invalid JSON"));
	ag_admission_clear(&a);
}

static void
test_result_names(void **state)
{
	(void)state;
	assert_string_equal(ag_admission_result_name(AG_ADMIT_INJECTED), "injected");
	assert_string_equal(ag_admission_result_name(AG_ADMIT_UNCHANGED), "unchanged");
	assert_string_equal(ag_admission_result_name(AG_ADMIT_WARNED), "warned");
	assert_string_equal(ag_admission_result_name(AG_ADMIT_DENIED), "denied");
	assert_string_equal(ag_admission_result_name(AG_ADMIT_INVALID), "invalid");
	assert_string_equal(ag_admission_result_name(AG_ADMIT_RESULTS), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_uid_echoed),
		cmocka_unit_test(test_other_operations),
		cmocka_unit_test(test_no_object),
		cmocka_unit_test(test_pod_injected),
		cmocka_unit_test(test_pod_not_asking),
		cmocka_unit_test(test_unknown_policy),
		cmocka_unit_test(test_kata_cc),
		cmocka_unit_test(test_kata_without_tee),
		cmocka_unit_test(test_injected_before),
		cmocka_unit_test(test_injected_other_gate),
		cmocka_unit_test(test_own_mount_idempotent),
		cmocka_unit_test(test_workload_kinds),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_cronjob_and_unknown_kinds),
		cmocka_unit_test(test_no_spec),
		cmocka_unit_test(test_what_and_reason),
		cmocka_unit_test(test_result_names),
	};

	return cmocka_run_group_tests_name("admission", tests, load_policies, free_policies);
}
