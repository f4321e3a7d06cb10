/*
 * test_pod_patch.c - lib/k8s/pod_patch.c: a gate plan as RFC 6902
 * JSONPatch operations.  The operations are compared exactly and then
 * applied by a small RFC 6902 "add" applier written here, and the patched
 * pod is checked: lists, mappings and annotations that are missing are
 * added whole; existing lists get the gate's items first, in order;
 * containers with and without volumeMounts (one already mounting the
 * outputs is left alone); fsGroup present or not; the status annotation's
 * key escaped (~1); a Deployment's prefix; the JSON Pointer escaping of ~
 * and / and its overflow; no containers refused.
 */
#include "testutil.h"

#include <jansson.h>

#include "json_patch_add.h"
#include "k8s/pod_patch.h"

#define IMAGE "ghcr.io/attestgate/attestgate:0.1.0"

static const char *
digest(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "azure-cvm") == 0 ? "1111111111111111111111111111111111111111111111111111111111111111" : NULL;
}

/* The plan for a pod asking for the gate (privileged: five volumes). */
static void
plan_for(struct ag_gate_plan *p)
{
	struct ag_inject_opts o = { .image = IMAGE, .default_policy = "azure-cvm", .tpm_access = "privileged", .digest = digest };
	struct ag_pod_intent in;
	struct ag_err err;

	memset(&in, 0, sizeof(in));
	snprintf(in.inject, sizeof(in.inject), "true");
	ag_err_clear(&err);
	if (ag_gate_plan_make(&o, &in, p, &err) != AG_OK)
		fail_msg("plan refused: %s", err.msg);
	assert_int_equal(p->action, AG_GATE_GIVE);
	assert_int_equal(json_array_size(p->volumes), 5);
}

static json_t *
parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

	if (j == NULL)
		fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
	return j;
}

/* --- the RFC 6902 "add" applier: json_patch_add.h -------------------------------------------------- */

/* Applies ops (only "add" expected) to doc in order; fails the test on anything else. */
static void
apply(json_t *doc, const json_t *ops)
{
	const json_t *op;
	size_t i;

	json_array_foreach(ops, i, op) {
		const char *path = json_string_value(json_object_get(op, "path"));

		assert_string_equal(json_string_value(json_object_get(op, "op")), "add");
		assert_non_null(path);
		assert_non_null(json_object_get(op, "value"));
		assert_int_equal(json_object_size(op), 3);
		if (apply_add(doc, path, json_deep_copy(json_object_get(op, "value"))) != 0)
			fail_msg("op %zu cannot be applied: %s", i, path);
	}
}

/* The applier itself: parents must exist, indexes insert, escapes are decoded. */
static void
test_applier(void **state)
{
	json_t *doc = parse("{\"a\": [1, 3], \"b\": {}}");
	json_t *want = parse("{\"a\": [0, 1, 2, 3, 4], \"b\": {\"x/y\": 1, \"m~n\": 2}, \"c\": {}}");

	(void)state;
	assert_int_equal(apply_add(doc, "/a/1", json_integer(2)), 0);
	assert_int_equal(apply_add(doc, "/a/0", json_integer(0)), 0);
	assert_int_equal(apply_add(doc, "/a/-", json_integer(4)), 0);
	assert_int_equal(apply_add(doc, "/b/x~1y", json_integer(1)), 0);
	assert_int_equal(apply_add(doc, "/b/m~0n", json_integer(2)), 0);
	assert_int_equal(apply_add(doc, "/c", json_object()), 0);
	assert_int_equal(apply_add(doc, "/a/9", json_integer(9)), -1);
	assert_int_equal(apply_add(doc, "/a/01", json_integer(9)), -1);
	assert_int_equal(apply_add(doc, "/missing/x", json_integer(9)), -1);
	assert_int_equal(apply_add(doc, "/b/~2", json_integer(9)), -1);
	assert_int_equal(apply_add(doc, "nope", json_integer(9)), -1);
	assert_true(json_equal(doc, want));
	json_decref(doc);
	json_decref(want);
}

/* --- the operations -------------------------------------------------------------------------------- */

/* Builds ops for tmpl at prefix expecting AG_OK, applies them to a copy, and returns the patched copy. */
static json_t *
patched(const json_t *tmpl, const char *prefix, const struct ag_gate_plan *p, json_t **ops_out)
{
	json_t *ops = json_array(), *doc = json_deep_copy(tmpl);
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_pod_patch_add(tmpl, prefix, p, ops, &err) != AG_OK)
		fail_msg("patch refused: %s", err.msg);
	apply(doc, ops);
	if (ops_out != NULL)
		*ops_out = ops;
	else
		json_decref(ops);
	return doc;
}

/* The path of op i. */
static const char *
path_at(const json_t *ops, size_t i)
{
	return json_string_value(json_object_get(json_array_get(ops, i), "path"));
}

/* A bare pod: every list and mapping added whole; the result is exactly the pod with the gate. */
static void
test_bare_pod(void **state)
{
	json_t *pod = parse("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"},"
			    " \"spec\": {\"containers\": [{\"name\": \"app\", \"image\": \"app\"}]}}");
	struct ag_gate_plan p;
	json_t *ops, *got, *want;

	(void)state;
	plan_for(&p);
	got = patched(pod, "", &p, &ops);
	assert_int_equal(json_array_size(ops), 5);
	assert_string_equal(path_at(ops, 0), "/spec/initContainers");
	assert_string_equal(path_at(ops, 1), "/spec/volumes");
	assert_string_equal(path_at(ops, 2), "/spec/containers/0/volumeMounts");
	assert_string_equal(path_at(ops, 3), "/spec/securityContext");
	assert_string_equal(path_at(ops, 4), "/metadata/annotations");
	want = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:[{s:s, s:s, s:[O]}], s:[O], s:O, s:{s:i}}}", "apiVersion", "v1",
	    "kind", "Pod", "metadata", "name", "p", "annotations", "attestgate.io/status", "injected", "spec", "containers",
	    "name", "app", "image", "app", "volumeMounts", p.app_mount, "initContainers", p.container, "volumes", p.volumes,
	    "securityContext", "fsGroup", AG_GATE_FS_GROUP);
	assert_non_null(want);
	assert_true(json_equal(got, want));
	json_decref(want);
	json_decref(got);
	json_decref(ops);
	json_decref(pod);
	ag_gate_plan_clear(&p);
}

/* A pod without metadata gets it, with the annotation; one with metadata but no annotations gets those. */
static void
test_metadata_added(void **state)
{
	json_t *pod = parse("{\"spec\": {\"containers\": [{\"name\": \"app\"}]}}"), *got, *ops;
	struct ag_gate_plan p;

	(void)state;
	plan_for(&p);
	got = patched(pod, "", &p, &ops);
	assert_string_equal(path_at(ops, 4), "/metadata");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(got, "metadata"), "annotations"),
				"attestgate.io/status")), "injected");
	json_decref(got);
	json_decref(ops);
	json_object_set_new(pod, "metadata", json_pack("{s:s}", "name", "p"));
	got = patched(pod, "", &p, &ops);
	assert_string_equal(path_at(ops, 4), "/metadata/annotations");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(got, "metadata"), "annotations"),
				"attestgate.io/status")), "injected");
	assert_string_equal(json_string_value(json_object_get(json_object_get(got, "metadata"), "name")), "p");
	json_decref(got);
	json_decref(ops);
	json_decref(pod);
	ag_gate_plan_clear(&p);
}

/* Existing lists get the gate's items first, in order; the annotation key is escaped; fsGroup added to a context. */
static void
test_existing_lists(void **state)
{
	json_t *pod = parse("{\"metadata\": {\"annotations\": {\"a\": \"b\"}}, \"spec\": {"
			    "\"initContainers\": [{\"name\": \"setup\"}], \"volumes\": [{\"name\": \"data\", \"emptyDir\": {}}],"
			    " \"securityContext\": {\"runAsUser\": 1000}, \"containers\": [{\"name\": \"app\"}]}}");
	struct ag_gate_plan p;
	json_t *ops, *got, *spec, *vols;

	(void)state;
	plan_for(&p);
	got = patched(pod, "", &p, &ops);
	assert_int_equal(json_array_size(ops), 9);
	assert_string_equal(path_at(ops, 0), "/spec/initContainers/0");
	for (size_t i = 0; i < 5; i++) {
		char want[64];

		snprintf(want, sizeof(want), "/spec/volumes/%zu", i);
		assert_string_equal(path_at(ops, 1 + i), want);
	}
	assert_string_equal(path_at(ops, 6), "/spec/containers/0/volumeMounts");
	assert_string_equal(path_at(ops, 7), "/spec/securityContext/fsGroup");
	assert_string_equal(path_at(ops, 8), "/metadata/annotations/attestgate.io~1status");
	spec = json_object_get(got, "spec");
	assert_int_equal(json_array_size(json_object_get(spec, "initContainers")), 2);
	assert_true(json_equal(json_array_get(json_object_get(spec, "initContainers"), 0), p.container));
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(spec, "initContainers"), 1),
				"name")), "setup");
	vols = json_object_get(spec, "volumes");
	assert_int_equal(json_array_size(vols), 6);
	for (size_t i = 0; i < 5; i++)
		assert_true(json_equal(json_array_get(vols, i), json_array_get(p.volumes, i)));
	assert_string_equal(json_string_value(json_object_get(json_array_get(vols, 5), "name")), "data");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(spec, "securityContext"), "fsGroup")),
	    AG_GATE_FS_GROUP);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(spec, "securityContext"), "runAsUser")), 1000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(got, "metadata"), "annotations"),
				"a")), "b");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(got, "metadata"), "annotations"),
				"attestgate.io/status")), "injected");
	json_decref(got);
	json_decref(ops);
	json_decref(pod);
	ag_gate_plan_clear(&p);
}

/* Containers with and without mounts; one already mounting the outputs; the pod's own fsGroup stays. */
static void
test_containers_and_fs_group(void **state)
{
	json_t *pod = parse("{\"metadata\": {}, \"spec\": {\"securityContext\": {\"fsGroup\": 2000}, \"containers\": ["
			    "{\"name\": \"a\"}, {\"name\": \"b\", \"volumeMounts\": [{\"name\": \"data\", \"mountPath\": \"/d\"}]},"
			    " {\"name\": \"c\", \"volumeMounts\": [{\"name\": \"attestgate\", \"mountPath\": \"/run/attestgate\","
			    " \"readOnly\": true}]}]}}");
	struct ag_gate_plan p;
	json_t *ops, *got, *ctrs, *sc;
	size_t i;
	json_t *op;

	(void)state;
	plan_for(&p);
	got = patched(pod, "", &p, &ops);
	assert_int_equal(json_array_size(ops), 5);
	assert_string_equal(path_at(ops, 2), "/spec/containers/0/volumeMounts");
	assert_string_equal(path_at(ops, 3), "/spec/containers/1/volumeMounts/0");
	assert_string_equal(path_at(ops, 4), "/metadata/annotations");
	json_array_foreach(ops, i, op)
		assert_null(strstr(json_string_value(json_object_get(op, "path")), "securityContext"));
	ctrs = json_object_get(json_object_get(got, "spec"), "containers");
	assert_true(json_equal(json_array_get(json_object_get(json_array_get(ctrs, 0), "volumeMounts"), 0), p.app_mount));
	assert_int_equal(json_array_size(json_object_get(json_array_get(ctrs, 1), "volumeMounts")), 2);
	assert_true(json_equal(json_array_get(json_object_get(json_array_get(ctrs, 1), "volumeMounts"), 0), p.app_mount));
	assert_int_equal(json_array_size(json_object_get(json_array_get(ctrs, 2), "volumeMounts")), 1);
	sc = json_object_get(json_object_get(got, "spec"), "securityContext");
	assert_int_equal(json_integer_value(json_object_get(sc, "fsGroup")), 2000);
	assert_int_equal(json_object_size(sc), 1);
	json_decref(got);
	json_decref(ops);
	json_decref(pod);
	ag_gate_plan_clear(&p);
}

/* ag_pod_patch_mounts alone: only the containers without the mount, nothing else. */
static void
test_mounts_only(void **state)
{
	json_t *pod = parse("{\"spec\": {\"containers\": [{\"name\": \"a\", \"volumeMounts\": [{\"name\": \"attestgate\","
			    " \"mountPath\": \"/run/attestgate\", \"readOnly\": true}]}, {\"name\": \"late\"}]}}");
	json_t *ops = json_array();
	struct ag_gate_plan p;
	struct ag_err err;

	(void)state;
	plan_for(&p);
	ag_err_clear(&err);
	assert_int_equal(ag_pod_patch_mounts(pod, "/spec/template", &p, ops, &err), AG_OK);
	assert_int_equal(json_array_size(ops), 1);
	assert_string_equal(path_at(ops, 0), "/spec/template/spec/containers/1/volumeMounts");
	json_decref(ops);
	/* All mounted: no operation. */
	json_array_remove(json_object_get(json_object_get(pod, "spec"), "containers"), 1);
	ops = json_array();
	assert_int_equal(ag_pod_patch_mounts(pod, "", &p, ops, &err), AG_OK);
	assert_int_equal(json_array_size(ops), 0);
	json_decref(ops);
	json_decref(pod);
	ag_gate_plan_clear(&p);
}

/* A Deployment: every path under /spec/template, and the patch applies to the whole object. */
static void
test_deployment_prefix(void **state)
{
	json_t *dep = parse("{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"d\"},"
			    " \"spec\": {\"replicas\": 2, \"template\": {\"metadata\": {\"labels\": {\"app\": \"d\"}},"
			    " \"spec\": {\"containers\": [{\"name\": \"app\"}]}}}}");
	json_t *ops = json_array(), *got = json_deep_copy(dep), *tmpl = json_object_get(json_object_get(dep, "spec"), "template");
	struct ag_gate_plan p;
	struct ag_err err;
	json_t *op;
	size_t i;

	(void)state;
	plan_for(&p);
	ag_err_clear(&err);
	assert_int_equal(ag_pod_patch_add(tmpl, "/spec/template", &p, ops, &err), AG_OK);
	assert_int_equal(json_array_size(ops), 5);
	json_array_foreach(ops, i, op)
		assert_int_equal(strncmp(json_string_value(json_object_get(op, "path")), "/spec/template/", 15), 0);
	assert_string_equal(path_at(ops, 4), "/spec/template/metadata/annotations");
	apply(got, ops);
	tmpl = json_object_get(json_object_get(got, "spec"), "template");
	assert_true(json_equal(json_array_get(json_object_get(json_object_get(tmpl, "spec"), "initContainers"), 0), p.container));
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(tmpl, "metadata"), "annotations"),
				"attestgate.io/status")), "injected");
	assert_null(json_object_get(json_object_get(got, "metadata"), "annotations"));   /* the Deployment's own: untouched */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(got, "spec"), "replicas")), 2);
	json_decref(got);
	json_decref(ops);
	json_decref(dep);
	ag_gate_plan_clear(&p);
}

/* No containers list, or a container that is not an object: refused. */
static void
test_no_containers(void **state)
{
	static const char *const bad[] = { "{\"spec\": {}}", "{\"spec\": {\"containers\": {}}}", "{}",
		"{\"spec\": {\"containers\": [\"app\"]}}" };
	struct ag_gate_plan p;

	(void)state;
	plan_for(&p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *pod = parse(bad[i]), *ops = json_array();
		struct ag_err err;

		ag_err_clear(&err);
		assert_int_equal(ag_pod_patch_add(pod, "", &p, ops, &err), AG_ECONFIG);
		assert_true(strstr(err.msg, "containers") != NULL || strstr(err.msg, "container that is not") != NULL);
		ag_err_clear(&err);
		assert_int_equal(ag_pod_patch_mounts(pod, "", &p, ops, &err), AG_ECONFIG);
		assert_string_not_equal(err.msg, "");
		json_decref(ops);
		json_decref(pod);
	}
	ag_gate_plan_clear(&p);
}

/* --- JSON Pointers --------------------------------------------------------------------------------- */

static void
test_pointer_append(void **state)
{
	char ptr[64] = "";
	char small[8];

	(void)state;
	assert_int_equal(ag_json_pointer_append(ptr, sizeof(ptr), "metadata"), 0);
	assert_int_equal(ag_json_pointer_append(ptr, sizeof(ptr), "attestgate.io/status"), 0);
	assert_string_equal(ptr, "/metadata/attestgate.io~1status");
	ptr[0] = '\0';
	assert_int_equal(ag_json_pointer_append(ptr, sizeof(ptr), "a~b/c~/"), 0);
	assert_string_equal(ptr, "/a~0b~1c~0~1");
	assert_int_equal(ag_json_pointer_append(ptr, sizeof(ptr), ""), 0);
	assert_string_equal(ptr, "/a~0b~1c~0~1/");
	/* Exactly fits: "/abcdef" and its NUL in 8 bytes. */
	small[0] = '\0';
	assert_int_equal(ag_json_pointer_append(small, sizeof(small), "abcdef"), 0);
	assert_string_equal(small, "/abcdef");
	/* One more byte does not. */
	small[0] = '\0';
	assert_int_equal(ag_json_pointer_append(small, sizeof(small), "abcdefg"), -1);
	/* An escape that does not fit whole. */
	small[0] = '\0';
	assert_int_equal(ag_json_pointer_append(small, sizeof(small), "abcde/"), -1);
	/* A full buffer: not even the "/". */
	snprintf(small, sizeof(small), "/abcdef");
	assert_int_equal(ag_json_pointer_append(small, sizeof(small), ""), -1);
	assert_string_equal(small, "/abcdef");
}

/* After a failed append the pointer is still a string within its buffer (callers go on using it). */
static void
test_pointer_append_overflow_terminated(void **state)
{
	char small[8];

	(void)state;
	memset(small, 'X', sizeof(small));
	small[0] = '\0';
	assert_int_equal(ag_json_pointer_append(small, sizeof(small), "abcdefg"), -1);
	if (memchr(small, '\0', sizeof(small)) == NULL)
		fail_msg("the pointer is left without its NUL: \"%.8s\"", small);
	memset(small, 'X', sizeof(small));
	snprintf(small, sizeof(small), "/ab");
	assert_int_equal(ag_json_pointer_append(small, sizeof(small), "c/d"), -1);
	if (memchr(small, '\0', sizeof(small)) == NULL)
		fail_msg("the pointer is left without its NUL: \"%.8s\"", small);
}

/* A prefix so long the paths do not fit: refused, not cut. */
static void
test_prefix_too_long(void **state)
{
	json_t *pod = parse("{\"spec\": {\"containers\": [{\"name\": \"app\"}]}}"), *ops;
	struct ag_gate_plan p;
	char prefix[600];
	struct ag_err err;

	(void)state;
	plan_for(&p);
	for (size_t len = 490; len < sizeof(prefix); len += 9) {
		memset(prefix, 'x', len);
		prefix[0] = '/';
		prefix[len] = '\0';
		ops = json_array();
		ag_err_clear(&err);
		if (ag_pod_patch_add(pod, prefix, &p, ops, &err) == AG_OK) {
			json_t *op;
			size_t i;

			json_array_foreach(ops, i, op)
				assert_int_equal(strncmp(json_string_value(json_object_get(op, "path")), prefix, len), 0);
		} else {
			assert_non_null(strstr(err.msg, "cannot build the patch"));
		}
		json_decref(ops);
	}
	json_decref(pod);
	ag_gate_plan_clear(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_applier),
		cmocka_unit_test(test_bare_pod),
		cmocka_unit_test(test_metadata_added),
		cmocka_unit_test(test_existing_lists),
		cmocka_unit_test(test_containers_and_fs_group),
		cmocka_unit_test(test_mounts_only),
		cmocka_unit_test(test_deployment_prefix),
		cmocka_unit_test(test_no_containers),
		cmocka_unit_test(test_pointer_append),
		cmocka_unit_test(test_pointer_append_overflow_terminated),
		cmocka_unit_test(test_prefix_too_long),
	};

	return cmocka_run_group_tests_name("pod_patch", tests, NULL, NULL);
}
