/*
 * k8s/admission.c - one AdmissionReview answered (see admission.h).  The
 * review is checked first (JSON, apiVersion admission.k8s.io/v1, kind
 * AdmissionReview, a request with a uid): what fails there is answered
 * with HTTP 400, since an answer the API server accepts must carry the
 * request's uid.  Everything about the object is answered with 200 and
 * allowed true or false.
 */
#include "k8s/admission.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "k8s/pod_patch.h"

#define UID_MAX 128

const char *
ag_admission_result_name(enum ag_admission_result r)
{
	static const char *const names[] = { "injected", "unchanged", "warned", "denied", "invalid" };

	return r < AG_ADMIT_RESULTS ? names[r] : "unknown";
}

/* What a review asks about, and what the answer is so far. */
struct review {
	const struct ag_inject_opts *o;
	const char *uid;
	json_t *object;
	json_t *response;               /* the answer's response object */
	enum ag_admission_result result;
	char message[1024];
};

/* Denies with message (also the reason for the result). */
static void
deny(struct review *r, int code, const char *message)
{
	json_object_set_new(r->response, "allowed", json_false());
	json_object_set_new(r->response, "status", json_pack("{s:i, s:s}", "code", code, "message", message));
	r->result = AG_ADMIT_DENIED;
}

/* The annotations of a template, else of its workload (an ag_annotation_fn). */
struct json_annotations {
	const json_t *tmeta, *wmeta;
};

static void
annotation(const char *key, char *out, size_t len, void *arg)
{
	const struct json_annotations *a = arg;
	const json_t *v = json_object_get(json_object_get(a->tmeta, "annotations"), key);

	if (v == NULL)
		v = json_object_get(json_object_get(a->wmeta, "annotations"), key);
	snprintf(out, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* The intent of template tmpl (workload metadata wmeta) as inject reads it. */
static void
read_intent(const json_t *tmpl, const json_t *wmeta, struct ag_pod_intent *in)
{
	struct json_annotations a = { json_object_get(tmpl, "metadata"), wmeta };
	const json_t *spec = json_object_get(tmpl, "spec"), *rc = json_object_get(spec, "runtimeClassName");

	memset(in, 0, sizeof(*in));
	ag_pod_intent_read(in, annotation, &a);
	a.wmeta = NULL;
	annotation("attestgate.io/status", in->status, sizeof(in->status), &a);
	snprintf(in->runtime_class, sizeof(in->runtime_class), "%s", json_is_string(rc) ? json_string_value(rc) : "");
	in->looks_injected = ag_gate_looks_injected(in->status, spec);
}

/* Allows with the patch ops (stolen) when there are any. */
static void
allow_patch(struct review *r, json_t *ops)
{
	char *text = json_array_size(ops) > 0 ? json_dumps(ops, JSON_COMPACT) : NULL, *b64;

	json_decref(ops);
	if (text == NULL)
		return;
	b64 = ag_b64_encode((const uint8_t *)text, strlen(text));
	free(text);
	if (b64 == NULL) {
		deny(r, 500, "attestgate: out of memory");
		return;
	}
	json_object_set_new(r->response, "patchType", json_string("JSONPatch"));
	json_object_set_new(r->response, "patch", json_string(b64));
	free(b64);
	r->result = AG_ADMIT_INJECTED;
}

/* A kata-cc pod: never changed here; a warning when it asks for the gate and has none. */
static void
kata_pod(struct review *r, const struct ag_pod_intent *in)
{
	if (in->looks_injected || !ag_pod_intent_asks(r->o, in))
		return;
	json_object_set_new(r->response, "warnings", json_pack("[s]", "attestgate: kata pods are not changed at admission "
	    "(a change after the agent policy is generated breaks the pod); add the gate with `attestgate inject` before "
	    "generating the agent policy"));
	r->result = AG_ADMIT_WARNED;
}

/*
 * A pod whose gate is the gate as rendered before (another tag, a policy
 * digest from before a ConfigMap change: a manifest rendered earlier by
 * `attestgate inject`) is allowed as it is, with a warning: its gate still
 * runs and checks its own pinned digest, failing closed if the policy
 * changed; denying it would stop every replacement pod of such a workload.
 */
static void
stale_gate(struct review *r, const char *why)
{
	snprintf(r->message, sizeof(r->message), "attestgate: this pod's gate is not the one the webhook renders (%s); it "
	    "is left as it is: re-render the manifest with attestgate inject --update", why);
	json_object_set_new(r->response, "warnings", json_pack("[s]", r->message));
	r->result = AG_ADMIT_WARNED;
}

/* The template at path prefix ptr of the object: the plan, and the patch or the refusal. */
static void
template_review(struct review *r, const json_t *tmpl, const json_t *wmeta, const char *ptr)
{
	struct ag_pod_intent in;
	struct ag_gate_plan plan;
	struct ag_err err;
	const char *why = NULL;
	json_t *ops;

	ag_err_clear(&err);
	read_intent(tmpl, wmeta, &in);
	if (ag_runtime_is_kata_tee(in.runtime_class)) {
		kata_pod(r, &in);
		return;
	}
	if (ag_gate_plan_make(r->o, &in, &plan, &err) != AG_OK) {
		snprintf(r->message, sizeof(r->message), "attestgate: %s", err.msg);
		deny(r, 400, r->message);
		return;
	}
	ops = json_array();
	if (plan.action == AG_GATE_SKIP || ops == NULL) {
		json_decref(ops);
		ag_gate_plan_clear(&plan);
		return;
	}
	/* A pod that has a gate (an init container named attestgate) keeps it; without one it gets one. */
	if (in.looks_injected && ag_k8s_named(json_object_get(json_object_get(tmpl, "spec"), "initContainers"), "attestgate")) {
		enum ag_gate_state st = ag_gate_plan_compare(&plan, json_object_get(tmpl, "spec"), &why);

		if (st == AG_GATE_STALE)
			stale_gate(r, why);
		else if (st == AG_GATE_OTHER) {
			snprintf(r->message, sizeof(r->message), "attestgate: the pod has an init container named attestgate that "
			    "is not the gate (%s): remove it, and the webhook adds the gate", why);
			deny(r, 400, r->message);
		} else if (st == AG_GATE_MOUNTS_MISSING && ag_pod_patch_mounts(tmpl, ptr, &plan, ops, &err) == AG_OK) {
			allow_patch(r, ops);
			ops = NULL;
		}
	} else if ((why = ag_gate_plan_conflict(&plan, json_object_get(tmpl, "spec"))) != NULL) {
		snprintf(r->message, sizeof(r->message), "attestgate: cannot add the gate: %s", why);
		deny(r, 400, r->message);
	} else if (ag_pod_patch_add(tmpl, ptr, &plan, ops, &err) == AG_OK) {
		allow_patch(r, ops);
		ops = NULL;
	}
	if (ops != NULL && err.msg[0] != '\0') {
		snprintf(r->message, sizeof(r->message), "attestgate: %s", err.msg);
		deny(r, 400, r->message);
	}
	json_decref(ops);
	ag_gate_plan_clear(&plan);
}

/* The object's pod template by kind (a kind without one: allowed, unless it asks for the gate). */
static void
object_review(struct review *r, const char *kind)
{
	const char *const *path = ag_pod_template_path(kind);
	const json_t *tmpl = r->object, *wmeta = json_object_get(r->object, "metadata"), *ask;
	char ptr[256] = "";

	if (path == NULL) {
		ask = json_object_get(json_object_get(wmeta, "annotations"), "attestgate.io/inject");
		if (json_is_string(ask) && strcmp(json_string_value(ask), "true") == 0) {
			snprintf(r->message, sizeof(r->message), "attestgate: a %.64s is annotated attestgate.io/inject but has no "
			    "pod template the webhook knows; annotate the workload that creates its pods", kind);
			deny(r, 400, r->message);
		}
		return;
	}
	for (size_t i = 0; path[i] != NULL; i++) {
		tmpl = json_object_get(tmpl, path[i]);
		ag_json_pointer_append(ptr, sizeof(ptr), path[i]);
	}
	if (strcmp(kind, "CronJob") == 0) {
		const json_t *jmeta = json_object_get(json_object_get(json_object_get(r->object, "spec"), "jobTemplate"), "metadata");

		/* The Job template's own annotations ask for the gate as much as the CronJob's do. */
		if (json_object_get(json_object_get(jmeta, "annotations"), "attestgate.io/inject") != NULL)
			wmeta = jmeta;
	}
	if (!json_is_object(tmpl) || !json_is_object(json_object_get(tmpl, "spec"))) {
		deny(r, 400, "attestgate: the object has no pod template with a spec");
		return;
	}
	template_review(r, tmpl, wmeta, ptr);
}

/* The request of a well-formed review: what kind of object, which operation. */
static void
request_review(struct review *r, const json_t *req)
{
	const char *op = json_string_value(json_object_get(req, "operation"));
	const char *kind = json_string_value(json_object_get(json_object_get(req, "kind"), "kind"));

	r->object = json_object_get(req, "object");
	/* A create brings a pod spec to inject into, and so does a workload's update (its template); a Pod's update is not
	 * judged (the chart registers pods' CREATE only; a Pod's update cannot add containers), nor are deletes and
	 * connects. */
	if (op == NULL || (strcmp(op, "CREATE") != 0 && strcmp(op, "UPDATE") != 0) ||
	    (strcmp(op, "UPDATE") == 0 && kind != NULL && strcmp(kind, "Pod") == 0))
		return;
	if (kind == NULL || !json_is_object(r->object)) {
		deny(r, 400, "attestgate: the request has no kind or no object");
		return;
	}
	object_review(r, kind);
}

/* Why body is not a review this webhook answers (NULL when it is); *uid gets the request's uid when there is one. */
static const char *
review_problem(const json_t *root, const char **uid)
{
	const json_t *req = json_object_get(root, "request");
	const char *api = json_string_value(json_object_get(root, "apiVersion")), *kind = json_string_value(json_object_get(root,
	    "kind"));

	*uid = json_string_value(json_object_get(req, "uid"));
	if (!json_is_object(root))
		return "the body is not a JSON object";
	if (api == NULL || strcmp(api, "admission.k8s.io/v1") != 0)
		return "apiVersion is not admission.k8s.io/v1 (the webhook answers admissionReviewVersions [v1] only)";
	if (kind == NULL || strcmp(kind, "AdmissionReview") != 0)
		return "kind is not AdmissionReview";
	if (!json_is_object(req))
		return "the AdmissionReview has no request";
	if (*uid == NULL || (*uid)[0] == '\0' || strlen(*uid) > UID_MAX)
		return "the request has no uid (or one longer than 128 characters)";
	return NULL;
}

/* "Kind namespace/name" of the request's object (generateName when the name is not chosen yet). */
static void
describe(const json_t *req, char *out, size_t len)
{
	const json_t *meta = json_object_get(json_object_get(req, "object"), "metadata");
	const char *kind = json_string_value(json_object_get(json_object_get(req, "kind"), "kind"));
	const char *ns = json_string_value(json_object_get(req, "namespace"));
	const char *name = json_string_value(json_object_get(meta, "name"));

	if (name == NULL || name[0] == '\0')
		name = json_string_value(json_object_get(meta, "generateName"));
	snprintf(out, len, "%.40s %.60s/%.60s", kind != NULL ? kind : "?", ns != NULL ? ns : "", name != NULL ? name : "");
}

/* The whole answer: {"apiVersion", "kind", "response"} as text. */
static enum ag_code
answer(struct ag_admission *out, json_t *response)
{
	json_t *review = json_pack("{s:s, s:s, s:O}", "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview", "response",
	    response);

	out->body = review != NULL ? json_dumps(review, JSON_COMPACT) : NULL;
	json_decref(review);
	if (out->body == NULL)
		return AG_ECONFIG;
	out->len = strlen(out->body);
	return AG_OK;
}

enum ag_code
ag_admission_review(const char *body, size_t len, const struct ag_inject_opts *o, struct ag_admission *out)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	struct review r = { .o = o, .result = AG_ADMIT_UNCHANGED };
	const char *problem, *uid = NULL;
	enum ag_code rc;

	memset(out, 0, sizeof(*out));
	out->http_status = 200;
	r.response = json_object();
	if (r.response == NULL) {
		json_decref(root);
		return AG_ECONFIG;
	}
	problem = root == NULL ? jerr.text : review_problem(root, &uid);
	json_object_set_new(r.response, "uid", json_string(uid != NULL && problem == NULL ? uid : ""));
	json_object_set_new(r.response, "allowed", json_true());
	if (problem != NULL) {
		snprintf(r.message, sizeof(r.message), "attestgate: not an AdmissionReview this webhook answers: %s%s",
		    root == NULL ? "invalid JSON: " : "", problem);
		deny(&r, 400, r.message);
		r.result = AG_ADMIT_INVALID;
		out->http_status = 400;
	} else
		request_review(&r, json_object_get(root, "request"));
	out->result = r.result;
	snprintf(out->reason, sizeof(out->reason), "%s", r.result == AG_ADMIT_WARNED && r.message[0] == '\0' ? "kata pod "
	    "asking for the gate: left unchanged" : r.message);
	if (problem == NULL)
		describe(json_object_get(root, "request"), out->what, sizeof(out->what));
	rc = answer(out, r.response);
	json_decref(r.response);
	json_decref(root);
	return rc;
}

void
ag_admission_clear(struct ag_admission *a)
{
	free(a->body);
	memset(a, 0, sizeof(*a));
}
