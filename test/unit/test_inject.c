/*
 * test_inject.c - lib/k8s/inject.c: YAML in, YAML out.  The golden files of
 * test/data/inject give exactly their .out.yaml and are left alone the
 * second time; small fixtures here check the rendered gate by walking the
 * output with libyaml (init container, arguments, volumes, mounts, fsGroup,
 * status annotation), every kind with a pod template, flow style, several
 * documents, Lists, kata-cc and device-plugin pods, --remove and --update,
 * and the refusals (annotations, policies, platforms, duplicate keys, merge
 * keys, aliases, tags, fake gates, size caps).  Text that is not touched
 * keeps its bytes: every input byte is still there, in order.
 */
#include "standin.h"

#include <yaml.h>

#include "base/digest.h"
#include "k8s/inject.h"

#define IMAGE "ghcr.io/attestgate/attestgate:0.1.0"

static const char *const policies[] = { "azure-cvm", "azure-cvm-local", "azure-kata-cc" };
static char sums[3][AG_SHA256_HEX_LEN + 1];
static int lookups;

/* The SHA-256 of deploy/policies/NAME.yaml, as `attestgate inject --policy-dir deploy/policies` pins it. */
static const char *
digest(const char *name, void *arg)
{
	(void)arg;
	lookups++;
	for (int i = 0; i < 3; i++)
		if (strcmp(name, policies[i]) == 0) {
			if (sums[i][0] == '\0') {
				char dir[4096], file[64];
				size_t len = 0;
				char *text;

				snprintf(dir, sizeof(dir), "%s/deploy/policies", si_repo());
				snprintf(file, sizeof(file), "%s.yaml", name);
				text = tu_read(dir, file, &len);
				if (text == NULL)
					fail_msg("%s/%s is missing: run from the repository or set AG_REPO", dir, file);
				ag_sha256_hex(text, len, sums[i]);
				free(text);
			}
			return sums[i];
		}
	return NULL;
}

static int
allows(const char *name, const char *platform, void *arg)
{
	(void)arg;
	return strcmp(platform, strcmp(name, "azure-kata-cc") == 0 ? "azure-kata-cc" : "azure-cvm") == 0;
}

static struct ag_inject_opts
opts(void)
{
	return (struct ag_inject_opts){ .mode = AG_INJECT_ADD, .image = IMAGE, .default_policy = "azure-cvm",
		.tpm_access = "privileged", .device_plugin_resource = "squat.ai/tpmrm0", .digest = digest,
		.allows = allows };
}

static enum ag_code
run(const char *in, const struct ag_inject_opts *o, struct ag_inject_result *res, struct ag_err *err)
{
	ag_err_clear(err);
	return ag_inject(in, strlen(in), o, res, err);
}

/* Every byte of in is in out, in order (only insertions). */
static int
only_insertions(const char *in, size_t in_len, const char *out, size_t out_len)
{
	size_t j = 0;

	for (size_t i = 0; i < out_len && j < in_len; i++)
		if (out[i] == in[j])
			j++;
	return j == in_len;
}

/* Injects in with o, expecting AG_OK; the output (new string), with only insertions checked. */
static char *
inject_ok(const char *in, const struct ag_inject_opts *o, struct ag_inject_result *res)
{
	struct ag_err err;
	char *out;

	if (run(in, o, res, &err) != AG_OK)
		fail_msg("inject failed: %s", err.msg);
	assert_non_null(res->text);
	assert_int_equal(strlen(res->text), res->len);
	if (o->mode == AG_INJECT_ADD && !only_insertions(in, strlen(in), res->text, res->len))
		fail_msg("input bytes were changed:\n%s", res->text);
	out = strdup(res->text);
	ag_inject_result_clear(res);
	return out;
}

/* Expects AG_ECONFIG with why in the message and no output. */
static void
expect_refused(const char *in, const struct ag_inject_opts *o, const char *why)
{
	struct ag_inject_result res;
	struct ag_err err;

	if (run(in, o, &res, &err) != AG_ECONFIG) {
		ag_inject_result_clear(&res);
		fail_msg("accepted, expected \"%s\":\n%s", why, in);
	}
	if (strstr(err.msg, why) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, why);
	if (o->mode != AG_INJECT_UPDATE)
		assert_null(res.text);
}

/* Running again over out changes nothing and counts n templates as already injected. */
static void
assert_idempotent(const char *out, const struct ag_inject_opts *o, unsigned n)
{
	struct ag_inject_result res;
	char *again = inject_ok(out, o, &res);

	assert_string_equal(again, out);
	free(again);
	assert_int_equal(run(out, o, &res, &(struct ag_err){ 0 }), AG_OK);
	assert_int_equal(res.injected, 0);
	assert_int_equal(res.already, n);
	ag_inject_result_clear(&res);
}

/* --- walking the output -------------------------------------------------- */

/* The node at path (keys, "#N" for the N-th item) below the root of document doc_no of text, as a string. */
static const char *
ywalk(const char *text, int doc_no, const char *const *path)
{
	static char value[512];
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *n = NULL;

	assert_true(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	for (int i = 0; i <= doc_no; i++) {
		if (i > 0)
			yaml_document_delete(&doc);
		if (!yaml_parser_load(&p, &doc))
			fail_msg("the output is not YAML: %s", p.problem);
	}
	n = yaml_document_get_root_node(&doc);
	for (size_t i = 0; n != NULL && path[i] != NULL; i++) {
		yaml_node_t *next = NULL;

		if (path[i][0] == '#' && n->type == YAML_SEQUENCE_NODE) {
			long k = atol(path[i] + 1);

			if (k < n->data.sequence.items.top - n->data.sequence.items.start)
				next = yaml_document_get_node(&doc, n->data.sequence.items.start[k]);
		} else if (n->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < n->data.mapping.pairs.top; q++) {
				yaml_node_t *k = yaml_document_get_node(&doc, q->key);

				if (k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, path[i]) == 0)
					next = yaml_document_get_node(&doc, q->value);
			}
		}
		n = next;
	}
	if (n == NULL)
		snprintf(value, sizeof(value), "(absent)");
	else if (n->type == YAML_SCALAR_NODE)
		snprintf(value, sizeof(value), "%s", (const char *)n->data.scalar.value);
	else
		snprintf(value, sizeof(value), "(%s of %ld)", n->type == YAML_MAPPING_NODE ? "mapping" : "sequence",
		    n->type == YAML_MAPPING_NODE ? (long)(n->data.mapping.pairs.top - n->data.mapping.pairs.start) :
						   (long)(n->data.sequence.items.top - n->data.sequence.items.start));
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return value;
}

/* ywalk with the path prefix (NULL-terminated, may be NULL) then the NULL-terminated arguments. */
static const char *
yat_in(const char *text, int doc_no, const char *const *prefix, ...)
{
	const char *path[32];
	size_t n = 0;
	va_list ap;

	for (size_t i = 0; prefix != NULL && prefix[i] != NULL; i++)
		path[n++] = prefix[i];
	va_start(ap, prefix);
	while (n < 31 && (path[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	path[n] = NULL;
	return ywalk(text, doc_no, path);
}

#define yat(text, doc, ...) yat_in(text, doc, NULL, __VA_ARGS__)

/* The pod spec's gate as rendered for policy, platform and TPM access tpm; spec is the path to the pod spec. */
static void
check_gate(const char *out, int doc, const char *const *spec, const char *policy, const char *platform, const char *tpm)
{
	char want[128];
#define AT(...) yat_in(out, doc, spec, __VA_ARGS__, NULL)

	assert_string_equal(AT("initContainers", "#0", "name"), "attestgate");
	assert_string_equal(AT("initContainers", "#0", "image"), IMAGE);
	assert_string_equal(AT("initContainers", "#0", "args", "#0"), "run");
	snprintf(want, sizeof(want), "--policy-name=%s", policy);
	assert_string_equal(AT("initContainers", "#0", "args", "#2"), want);
	snprintf(want, sizeof(want), "--policy-sha256=%s", digest(policy, NULL));
	assert_string_equal(AT("initContainers", "#0", "args", "#3"), want);
	snprintf(want, sizeof(want), "--platform=%s", platform);
	assert_string_equal(AT("initContainers", "#0", "args", "#5"), want);
	assert_string_equal(AT("initContainers", "#0", "securityContext", "privileged"),
	    strcmp(tpm, "privileged") == 0 ? "true" : "(absent)");
	assert_string_equal(AT("initContainers", "#0", "securityContext", "readOnlyRootFilesystem"), "true");
	assert_string_equal(AT("volumes", "#0", "name"), "attestgate");
	assert_string_equal(AT("volumes", "#0", "emptyDir", "medium"), "Memory");
	assert_string_equal(AT("volumes", "#1", "configMap", "name"), "attestgate-policies");
	assert_string_equal(AT("volumes", "#2", "name"), strcmp(tpm, "privileged") == 0 ? "attestgate-tpmrm0" :
	    strcmp(platform, "azure-kata-cc") == 0 ? "attestgate-uvm-reference-info" :
	    strcmp(tpm, "none") == 0 ? "(absent)" : "attestgate-os-release");
	if (strcmp(platform, "azure-kata-cc") == 0) {
		/* The UVM endorsement as Microsoft's samples mount it, and the agent policy annotation (downward API). */
		assert_string_equal(AT("volumes", "#2", "hostPath", "path"),
		    "/opt/confidential-containers/share/kata-containers/reference-info-base64");
		assert_string_equal(AT("volumes", "#3", "name"), "attestgate-pod");
		assert_string_equal(AT("volumes", "#3", "downwardAPI", "items", "#0", "fieldRef", "fieldPath"),
		    "metadata.annotations['io.katacontainers.config.agent.policy']");
		assert_string_equal(AT("initContainers", "#0", "env", "#0", "name"), "UVM_SECURITY_CONTEXT_DIR");
		assert_string_equal(AT("initContainers", "#0", "env", "#0", "value"), "/opt/confidential-containers/share/kata-containers");
		assert_string_equal(AT("initContainers", "#0", "volumeMounts", "#2", "mountPath"),
		    "/opt/confidential-containers/share/kata-containers/reference-info-base64");
		assert_string_equal(AT("initContainers", "#0", "volumeMounts", "#3", "mountPath"), "/etc/attestgate/pod");
	}
	assert_string_equal(AT("containers", "#0", "volumeMounts", "#0", "name"), "attestgate");
	assert_string_equal(AT("containers", "#0", "volumeMounts", "#0", "mountPath"), "/run/attestgate");
	assert_string_equal(AT("containers", "#0", "volumeMounts", "#0", "readOnly"), "true");
	assert_string_equal(AT("securityContext", "fsGroup"), "65532");
#undef AT
}

static const char *const pod_spec[] = { "spec", NULL, NULL, NULL, NULL };
static const char *const tmpl_spec[] = { "spec", "template", "spec", NULL, NULL };

#define POD_HEAD "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    attestgate.io/inject: \"true\"\n"
#define POD POD_HEAD "spec:\n  containers:\n  - name: c\n    image: busybox\n"

static void
test_pod(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_inject_result res;
	char *out;

	(void)state;
	lookups = 0;
	out = inject_ok(POD, &o, &(struct ag_inject_result){ 0 });
	check_gate(out, 0, pod_spec, "azure-cvm", "auto", "privileged");
	assert_string_equal(yat(out, 0, "metadata", "annotations", "attestgate.io/status", NULL), "injected");
	assert_string_equal(yat(out, 0, "metadata", "annotations", "attestgate.io/inject", NULL), "true");
	assert_string_equal(yat(out, 0, "spec", "containers", "#0", "image", NULL), "busybox");
	assert_true(lookups > 0);
	assert_int_equal(run(POD, &o, &res, &(struct ag_err){ 0 }), AG_OK);
	assert_int_equal(res.injected, 1);
	assert_int_equal(res.already + res.skipped + res.updated + res.removed, 0);
	assert_int_equal(res.asked, 1);
	ag_inject_result_clear(&res);
	assert_null(res.text);
	assert_idempotent(out, &o, 1);
	free(out);
}

/* The golden files: NAME.in.yaml with the flags of NAME.args gives NAME.out.yaml, byte for byte. */
static void
golden(const char *name)
{
	char dir[4096], file[128], *in, *want, *args, *out;
	struct ag_inject_opts o = opts();

	snprintf(dir, sizeof(dir), "%s/test/data/inject", si_repo());
	snprintf(file, sizeof(file), "%s.in.yaml", name);
	in = tu_read(dir, file, NULL);
	snprintf(file, sizeof(file), "%s.out.yaml", name);
	want = tu_read(dir, file, NULL);
	snprintf(file, sizeof(file), "%s.args", name);
	args = tu_read(dir, file, NULL);
	if (in == NULL || want == NULL)
		fail_msg("%s/%s.in.yaml or .out.yaml is missing", dir, name);
	if (args != NULL && strstr(args, "--tpm-access devicePlugin") != NULL)
		o.tpm_access = "devicePlugin";
	if (args != NULL && strstr(args, "--os-distro Ubuntu --os-version 22.04") != NULL) {
		o.os_distro = "Ubuntu";
		o.os_version = "22.04";
	}
	out = inject_ok(in, &o, &(struct ag_inject_result){ 0 });
	if (strcmp(out, want) != 0)
		fail_msg("%s: the output is not %s.out.yaml:\n%s", name, name, out);
	assert_idempotent(out, &o, 1 + 3 * (strcmp(name, "workloads") == 0));
	free(in);
	free(want);
	free(args);
	free(out);
}

static void
test_golden_files(void **state)
{
	(void)state;
	golden("deployment");
	golden("deployment-device-plugin");
	golden("deployment-device-plugin-os");
	golden("pod-kata");
	golden("workloads");
}

static void
test_selection(void **state)
{
	static const char plain[] = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n"
				    "    image: busybox\n";
	struct ag_inject_opts o = opts();
	struct ag_inject_result res;
	char *out;

	(void)state;
	/* Not asked for: unchanged, counted as left out. */
	assert_int_equal(run(plain, &o, &res, &(struct ag_err){ 0 }), AG_OK);
	assert_string_equal(res.text, plain);
	assert_int_equal(res.skipped, 1);
	assert_int_equal(res.injected, 0);
	ag_inject_result_clear(&res);
	/* --all: every template. */
	o.all = 1;
	out = inject_ok(plain, &o, &res);
	check_gate(out, 0, pod_spec, "azure-cvm", "auto", "privileged");
	/* The template's metadata is made for the status annotation. */
	assert_string_equal(yat(out, 0, "metadata", "annotations", "attestgate.io/status", NULL), "injected");
	free(out);
	/* attestgate.io/skip: "true" opts out even of --all. */
	assert_int_equal(run("apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    attestgate.io/skip: \"true\"\nspec:\n"
			     "  containers:\n  - name: c\n", &o, &res, &(struct ag_err){ 0 }), AG_OK);
	assert_null(strstr(res.text, "name: attestgate"));
	assert_int_equal(res.skipped, 1);
	assert_int_equal(res.injected, 0);
	ag_inject_result_clear(&res);
	o.all = 0;
	expect_refused(POD_HEAD "    attestgate.io/skip: \"yes\"\nspec:\n  containers:\n  - name: c\n", &o,
	    "attestgate.io/skip is \"yes\": write \"true\" or \"false\"");
	expect_refused("apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    attestgate.io/inject: \"True\"\nspec:\n"
		       "  containers:\n  - name: c\n", &o, "attestgate.io/inject is \"True\": write \"true\" or \"false\"");
	/* Asked for, and no template got it. */
	expect_refused("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  template:\n    metadata:\n"
		       "      annotations:\n        attestgate.io/inject: \"true\"\n", &o, "no pod template got it");
}

static void
test_policies(void **state)
{
	struct ag_inject_opts o = opts();
	char *out;

	(void)state;
	/* The annotation names the policy; the default is only for pods without one. */
	out = inject_ok(POD_HEAD "    attestgate.io/policy: azure-cvm-local\nspec:\n  containers:\n  - name: c\n", &o,
	    &(struct ag_inject_result){ 0 });
	check_gate(out, 0, pod_spec, "azure-cvm-local", "auto", "privileged");
	free(out);
	o.default_policy = NULL;
	expect_refused(POD, &o, "no policy for this pod: annotate it with attestgate.io/policy or pass --policy-name");
	o.default_policy = "nope";
	expect_refused(POD, &o, "policy \"nope\" not found");
	/* A policy that cannot pass on the pod's platform is refused now, not a blocked pod later. */
	o.default_policy = "azure-kata-cc";
	expect_refused(POD, &o, "runs on a Confidential VM node (azure-cvm), which policy \"azure-kata-cc\" does not allow");
	o.default_policy = "azure-cvm";
	expect_refused(POD_HEAD "spec:\n  runtimeClassName: kata-cc\n  containers:\n  - name: c\n", &o,
	    "runs on kata-cc (azure-kata-cc), which policy \"azure-cvm\" does not allow");
	/* Without an allows callback nothing is checked. */
	o.allows = NULL;
	o.default_policy = "azure-kata-cc";
	out = inject_ok(POD, &o, &(struct ag_inject_result){ 0 });
	check_gate(out, 0, pod_spec, "azure-kata-cc", "auto", "privileged");
	free(out);
}

static void
test_tpm_access(void **state)
{
	struct ag_inject_opts o = opts();
	char *out;

	(void)state;
	/* A kata-cc pod: no TPM, no privilege, no hostPath, platform azure-kata-cc. */
	o.default_policy = "azure-kata-cc";
	out = inject_ok(POD_HEAD "spec:\n  runtimeClassName: kata-cc\n  containers:\n  - name: c\n", &o,
	    &(struct ag_inject_result){ 0 });
	check_gate(out, 0, pod_spec, "azure-kata-cc", "azure-kata-cc", "none");
	/* The one hostPath is the UVM endorsement (a file of the kata-cc UVM, not of the node's OS). */
	assert_non_null(strstr(out, "hostPath"));
	assert_null(strstr(strstr(out, "hostPath") + 1, "hostPath"));
	assert_null(strstr(out, "tpmrm0"));
	assert_string_equal(yat(out, 0, "spec", "initContainers", "#0", "securityContext", "runAsNonRoot", NULL), "true");
	free(out);
	/* Upstream Confidential Containers' SNP class: no TPM either, the guest's own report (sev-snp). */
	o.default_policy = "azure-cvm";
	out = inject_ok(POD_HEAD "spec:\n  runtimeClassName: kata-qemu-snp\n  containers:\n  - name: c\n", &o,
	    &(struct ag_inject_result){ 0 });
	check_gate(out, 0, pod_spec, "azure-cvm", "sev-snp", "none");
	assert_null(strstr(out, "hostPath"));
	free(out);
	/* Device plugin: the TPM as an extended resource, the OS as flags when given. */
	o.default_policy = "azure-cvm";
	o.tpm_access = "devicePlugin";
	o.device_plugin_resource = "example.com/vtpm";
	o.os_distro = "Azure Linux";
	o.os_version = "3.0";
	out = inject_ok(POD, &o, &(struct ag_inject_result){ 0 });
	assert_string_equal(yat(out, 0, "spec", "initContainers", "#0", "resources", "limits", "example.com/vtpm", NULL), "1");
	assert_string_equal(yat(out, 0, "spec", "initContainers", "#0", "args", "#6", NULL), "--os-distro=Azure Linux");
	assert_string_equal(yat(out, 0, "spec", "initContainers", "#0", "args", "#7", NULL), "--os-version=3.0");
	assert_null(strstr(out, "hostPath"));
	assert_null(strstr(out, "privileged"));
	assert_string_equal(yat(out, 0, "spec", "volumes", NULL), "(sequence of 2)");
	free(out);
}

static void
test_every_kind(void **state)
{
	static const char *const kinds[] = { "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
		"ReplicationController" };
	static const char *const cron_spec[] = { "spec", "jobTemplate", "spec", "template", "spec", NULL };
	static const char *const podtemplate_spec[] = { "template", "spec", NULL, NULL, NULL };
	struct ag_inject_opts o = opts();
	char in[1024], *out;

	(void)state;
	o.all = 1;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(in, sizeof(in), "apiVersion: apps/v1\nkind: %s\nmetadata:\n  name: w\nspec:\n  template:\n"
					 "    spec:\n      containers:\n      - name: c\n        image: busybox\n", kinds[i]);
		out = inject_ok(in, &o, &(struct ag_inject_result){ 0 });
		check_gate(out, 0, tmpl_spec, "azure-cvm", "auto", "privileged");
		assert_string_equal(yat(out, 0, "spec", "template", "metadata", "annotations", "attestgate.io/status", NULL),
		    "injected");
		assert_idempotent(out, &o, 1);
		free(out);
	}
	out = inject_ok("apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: n\nspec:\n  schedule: \"0 3 * * *\"\n"
			"  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: r\n",
	    &o, &(struct ag_inject_result){ 0 });
	check_gate(out, 0, cron_spec, "azure-cvm", "auto", "privileged");
	free(out);
	out = inject_ok("apiVersion: v1\nkind: PodTemplate\nmetadata:\n  name: t\ntemplate:\n  spec:\n    containers:\n"
			"    - name: c\n", &o, &(struct ag_inject_result){ 0 });
	check_gate(out, 0, podtemplate_spec, "azure-cvm", "auto", "privileged");
	free(out);
	/* Kinds without a pod template are left alone, even with --all. */
	out = inject_ok("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  spec: x\n", &o,
	    &(struct ag_inject_result){ 0 });
	assert_string_equal(out, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  spec: x\n");
	free(out);
}

static void
test_unknown_kinds(void **state)
{
	struct ag_inject_opts o = opts();

	(void)state;
	expect_refused("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: r\nspec:\n  template:\n"
		       "    metadata:\n      annotations:\n        attestgate.io/inject: \"true\"\n    spec:\n      containers:\n"
		       "      - name: c\n", &o, "a Rollout has a pod template, but attestgate inject does not know this kind");
	expect_refused("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  annotations:\n"
		       "    attestgate.io/inject: \"true\"\nspec: {}\n", &o,
	    "a Widget is annotated attestgate.io/inject but has no pod template");
	expect_refused("metadata:\n  annotations:\n    attestgate.io/inject: \"true\"\nspec:\n  containers: []\n", &o,
	    "object without a kind");
	/* A known kind without its template is an error, not a skip. */
	o.all = 1;
	expect_refused("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 1\n", &o,
	    "a workload without a pod template");
	expect_refused("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec: [1, 2]\n", &o,
	    "the pod template has no spec mapping");
	expect_refused("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostname: x\n", &o,
	    "the pod spec has no containers list");
	expect_refused("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - just a string\n", &o,
	    "a container that is not a mapping");
}

static void
test_documents_and_lists(void **state)
{
	static const char two[] = "# first\n" POD "---\n# a service\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
				  "spec:\n  ports:\n  - port: 80\n---\n" POD "...\n";
	static const char *const item0[] = { "items", "#0", "spec", NULL, NULL };
	static const char *const item1[] = { "items", "#1", "spec", "template", "spec", NULL };
	struct ag_inject_opts o = opts();
	struct ag_inject_result res;
	char *out, deep[1024];

	(void)state;
	out = inject_ok(two, &o, &res);
	check_gate(out, 0, pod_spec, "azure-cvm", "auto", "privileged");
	check_gate(out, 2, pod_spec, "azure-cvm", "auto", "privileged");
	assert_string_equal(yat(out, 1, "spec", "ports", "#0", "port", NULL), "80");
	assert_non_null(strstr(out, "---\n# a service\napiVersion: v1\nkind: Service\n"));
	assert_idempotent(out, &o, 2);
	free(out);
	o.all = 1;
	out = inject_ok("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n"
			"  spec:\n    containers:\n    - name: c\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n"
			"    name: d\n  spec:\n    template:\n      spec:\n        containers:\n        - name: c\n",
	    &o, &res);
	check_gate(out, 0, item0, "azure-cvm", "auto", "privileged");
	check_gate(out, 0, item1, "azure-cvm", "auto", "privileged");
	assert_idempotent(out, &o, 2);
	free(out);
	/* Any kind ending in List is a list; items must be a list; Lists nest at most 4 deep. */
	expect_refused("kind: PodList\nitems: {a: 1}\n", &o, "a List whose items are not a list");
	snprintf(deep, sizeof(deep), "kind: List\nitems:\n- kind: List\n  items:\n  - kind: List\n    items:\n"
				     "    - kind: List\n      items:\n      - kind: List\n        items:\n        - kind: List\n"
				     "          items: []\n");
	expect_refused(deep, &o, "Lists nested too deep");
	/* An empty stream, and documents that are only comments. */
	out = inject_ok("", &o, &res);
	assert_string_equal(out, "");
	free(out);
	out = inject_ok("# nothing here\n", &o, &res);
	assert_string_equal(out, "# nothing here\n");
	free(out);
}

static void
test_flow_style(void **state)
{
	static const char flow[] = "{apiVersion: v1, kind: Pod, metadata: {name: p, annotations: {attestgate.io/inject: "
				   "\"true\"}}, spec: {containers: [{name: c, image: busybox}], initContainers: [], "
				   "volumes: [{name: data, emptyDir: {}}]}}\n";
	struct ag_inject_opts o = opts();
	char *out;

	(void)state;
	out = inject_ok(flow, &o, &(struct ag_inject_result){ 0 });
	check_gate(out, 0, pod_spec, "azure-cvm", "auto", "privileged");
	/* The gate's volumes go first, the pod's own after them. */
	assert_string_equal(yat(out, 0, "spec", "volumes", "#5", "name", NULL), "data");
	assert_string_equal(yat(out, 0, "metadata", "annotations", "attestgate.io/status", NULL), "injected");
	assert_idempotent(out, &o, 1);
	free(out);
	/* A block list that is empty cannot be added to: refused with the line. */
	expect_refused(POD_HEAD "spec:\n  initContainers:\n  containers:\n  - name: c\n", &o, "expected a list");
	expect_refused(POD_HEAD "spec:\n  volumes: 3\n  containers:\n  - name: c\n", &o, "expected a list");
}

/* The UVM's comments, block scalars and items above the gate keep their place. */
static void
test_layout_kept(void **state)
{
	static const char in[] = POD_HEAD "spec:\n  initContainers:\n  # migrate the database first\n  - name: migrate\n"
				 "    image: busybox\n    command:\n    - sh\n    - -c\n    - |\n      echo one\n      echo two\n"
				 "  containers:\n  - name: c  # the app\n    image: busybox\n    volumeMounts:\n"
				 "      - name: data\n        mountPath: /data\n  securityContext:\n    runAsUser: 1000\n"
				 "  volumes:\n  - name: data\n    emptyDir: {}";
	struct ag_inject_opts o = opts();
	char *out;

	(void)state;
	out = inject_ok(in, &o, &(struct ag_inject_result){ 0 });
	check_gate(out, 0, pod_spec, "azure-cvm", "auto", "privileged");
	assert_string_equal(yat(out, 0, "spec", "initContainers", "#1", "name", NULL), "migrate");
	assert_string_equal(yat(out, 0, "spec", "initContainers", "#1", "command", "#2", NULL), "echo one\necho two\n");
	/* The comment stays with the item it belongs to. */
	assert_non_null(strstr(out, "  # migrate the database first\n  - name: migrate\n"));
	assert_string_equal(yat(out, 0, "spec", "containers", "#0", "volumeMounts", "#1", "name", NULL), "data");
	assert_string_equal(yat(out, 0, "spec", "securityContext", "runAsUser", NULL), "1000");
	assert_string_equal(yat(out, 0, "spec", "volumes", "#5", "name", NULL), "data");
	assert_idempotent(out, &o, 1);
	free(out);
	/* A pod with its own fsGroup keeps it. */
	out = inject_ok(POD_HEAD "spec:\n  securityContext:\n    fsGroup: 2000\n  containers:\n  - name: c\n", &o,
	    &(struct ag_inject_result){ 0 });
	assert_string_equal(yat(out, 0, "spec", "securityContext", "fsGroup", NULL), "2000");
	free(out);
}

/* libyaml counts characters, the output is bytes: non-ASCII text before the insertion points. */
static void
test_utf8(void **state)
{
	static const char in[] = "# Ünïcödé — ☃ 😀\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
				 "    attestgate.io/inject: \"true\"\n    note: \"naïve café 😀\"\nspec:\n  containers:\n"
				 "  - name: c\n    image: busybox\n    env:\n    - {name: GREETING, value: \"grüß dich\"}\n";
	struct ag_inject_opts o = opts();
	char *out;

	(void)state;
	out = inject_ok(in, &o, &(struct ag_inject_result){ 0 });
	check_gate(out, 0, pod_spec, "azure-cvm", "auto", "privileged");
	assert_string_equal(yat(out, 0, "metadata", "annotations", "note", NULL), "naïve café 😀");
	assert_string_equal(yat(out, 0, "spec", "containers", "#0", "env", "#0", "value", NULL), "grüß dich");
	assert_idempotent(out, &o, 1);
	free(out);
}

/* A UTF-8 byte order mark (what some Windows editors write) in front of the stream. */
static void
test_utf8_bom(void **state)
{
	static const char in[] = "\xEF\xBB\xBF" POD;
	struct ag_inject_opts o = opts();
	struct ag_inject_result res;
	struct ag_err err;

	(void)state;
	assert_int_equal(run(in, &o, &res, &err), AG_OK);
	/* Either way the result must be the gate in the right place, never misplaced text. */
	check_gate(res.text, 0, pod_spec, "azure-cvm", "auto", "privileged");
	assert_string_equal(yat(res.text, 0, "metadata", "annotations", "attestgate.io/status", NULL), "injected");
	ag_inject_result_clear(&res);
}

/* Windows line ends: the insertions land at the right places and the result is the same pod. */
static void
test_crlf(void **state)
{
	static const char in[] = "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\n  annotations:\r\n"
				 "    attestgate.io/inject: \"true\"\r\nspec:\r\n  containers:\r\n  - name: c\r\n"
				 "    image: busybox\r\n";
	struct ag_inject_opts o = opts();
	char *out;

	(void)state;
	out = inject_ok(in, &o, &(struct ag_inject_result){ 0 });
	check_gate(out, 0, pod_spec, "azure-cvm", "auto", "privileged");
	assert_string_equal(yat(out, 0, "spec", "containers", "#0", "image", NULL), "busybox");
	assert_string_equal(yat(out, 0, "metadata", "annotations", "attestgate.io/status", NULL), "injected");
	assert_idempotent(out, &o, 1);
	free(out);
}

static void
test_refusals(void **state)
{
	struct ag_inject_opts o = opts();

	(void)state;
	expect_refused("kind: Pod\nspec: [unclosed\n", &o, ": not YAML");
	expect_refused(POD "spec:\n  containers: []\n", &o, "duplicate key \"spec\"");
	expect_refused(POD_HEAD "    attestgate.io/inject: \"true\"\nspec:\n  containers: []\n", &o,
	    "line 7:5: duplicate key \"attestgate.io/inject\" (first at line 6:5)");
	/* A quoted key is the same key. */
	expect_refused(POD_HEAD "spec:\n  containers: []\n  \"containers\": []\n", &o, "duplicate key \"containers\"");
	expect_refused(POD_HEAD "x: &c {name: c, image: busybox}\nspec:\n  containers:\n  - *c\n", &o,
	    "an alias (*name) of an anchor");
	expect_refused(POD_HEAD "x: &a {containers: [{name: c}]}\nspec:\n  <<: *a\n", &o, "an alias");
	expect_refused(POD_HEAD "spec:\n  <<: {containers: [{name: c}]}\n", &o, "line 8:3: a merge key (<<)");
	expect_refused(POD_HEAD "spec:\n  containers: !!seq []\n  hostname: !custom x\n", &o, "an explicit YAML tag (!custom)");
	expect_refused("kind: !!binary UG9k\n", &o, "an explicit YAML tag (tag:yaml.org,2002:binary)");
}

/* The adversarial seeds of test/data/inject-adversarial that must be refused, and why. */
static void
test_adversarial_files(void **state)
{
	static const char *const cases[][2] = {
		{ "dup-initcontainers.yaml", "duplicate key \"initContainers\"" },
		{ "dup-policy.yaml", "duplicate key \"attestgate.io/policy\"" },
		{ "merge-key.yaml", "an alias (*name) of an anchor" },
		{ "tag-binary-kind.yaml", "an explicit YAML tag (tag:yaml.org,2002:binary)" },
		{ "tagged-merge.yaml", "line 2:1: a merge key (<<)" },
		{ "fake-injected.yaml", "looks injected" },
	};
	char dir[4096];
	struct ag_inject_opts o = opts();

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test/data/inject-adversarial", si_repo());
	o.all = 1;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *in = tu_read(dir, cases[i][0], NULL);

		if (in == NULL)
			fail_msg("%s/%s is missing", dir, cases[i][0]);
		expect_refused(in, &o, cases[i][1]);
		free(in);
	}
}

/* Gates that look injected but are not the one this tool renders: refused, never trusted by name. */
static void
test_fake_gates(void **state)
{
	static const char *const edits[][3] = {
		{ "image: \"" IMAGE "\"", "image: evil/attestgate:1", "an image of another repository" },
		{ "--policy-name=azure-cvm", "--policy-name=other", "arguments are not the ones" },
		{ "            - run\n", "            - --help\n", "arguments are not the ones" },
		{ "          args:\n", "          restartPolicy: Always\n          args:\n", "settings the gate is not rendered with" },
		{ "            privileged: true\n", "            privileged: false\n", "not the one this tool renders" },
		{ "      securityContext:\n        fsGroup: 65532", "", "the pod has no fsGroup" },
		{ "            readOnly: true\n", "            readOnly: false\n", "mount the gate's outputs read-only" },
	};
	char dir[4096], *good;
	struct ag_inject_opts o = opts();

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test/data/inject", si_repo());
	good = tu_read(dir, "deployment.out.yaml", NULL);
	assert_non_null(good);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *at = strstr(good, edits[i][0]), *bad;
		size_t n = strlen(good) + strlen(edits[i][1]) + 1;

		if (at == NULL)
			fail_msg("deployment.out.yaml lacks \"%s\"", edits[i][0]);
		bad = malloc(n);
		assert_non_null(bad);
		snprintf(bad, n, "%.*s%s%s", (int)(at - good), good, edits[i][1], at + strlen(edits[i][0]));
		expect_refused(bad, &o, edits[i][2]);
		free(bad);
	}
	expect_refused(POD_HEAD "    attestgate.io/status: injected\nspec:\n  containers:\n  - name: c\n", &o,
	    "the first init container is not the gate");
	expect_refused(POD_HEAD "spec:\n  containers:\n  - name: c\n  volumes:\n  - name: attestgate\n    emptyDir: {}\n", &o,
	    "looks injected");
	free(good);
}

static void
test_remove(void **state)
{
	static const char own_fs[] = POD_HEAD "spec:\n  initContainers:\n  # first\n  - name: migrate\n    image: busybox\n"
				     "  containers:\n  - name: c\n    image: busybox\n    volumeMounts:\n    - name: data\n"
				     "      mountPath: /data\n  securityContext:\n    fsGroup: 2000\n  volumes:\n"
				     "  - name: data\n    emptyDir: {}\n";
	struct ag_inject_opts o = opts(), rm = opts();
	struct ag_inject_result res;
	char *in, *out;

	(void)state;
	rm.mode = AG_INJECT_REMOVE;
	/* Inject then remove: the input again, byte for byte (the pod had its own fsGroup). */
	in = inject_ok(own_fs, &o, &res);
	assert_int_equal(run(in, &rm, &res, &(struct ag_err){ 0 }), AG_OK);
	assert_int_equal(res.removed, 1);
	assert_string_equal(res.text, own_fs);
	ag_inject_result_clear(&res);
	free(in);
	/* Removing from a pod without a gate changes nothing. */
	assert_int_equal(run(own_fs, &rm, &res, &(struct ag_err){ 0 }), AG_OK);
	assert_string_equal(res.text, own_fs);
	assert_int_equal(res.skipped, 1);
	assert_int_equal(res.removed, 0);
	ag_inject_result_clear(&res);
	/* The metadata the gate brought goes with it; the fsGroup it added stays (the pod may rely on it). */
	o.all = 1;
	in = inject_ok("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n", &o, &res);
	out = inject_ok(in, &rm, &res);
	assert_string_equal(out, "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n  securityContext:\n"
				 "    fsGroup: 65532\n");
	free(in);
	free(out);
	/* Flow style cannot be cut out safely. */
	in = inject_ok("{kind: Pod, spec: {containers: [{name: c}]}}\n", &o, &res);
	expect_refused(in, &rm, "block-style YAML only; remove this by hand");
	free(in);
}

static void
test_update(void **state)
{
	char dir[4096], *good, *stale, *p;
	struct ag_inject_opts o = opts();
	struct ag_inject_result res;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test/data/inject", si_repo());
	good = tu_read(dir, "deployment.out.yaml", NULL);
	assert_non_null(good);
	stale = strdup(good);
	p = strstr(stale, "--policy-sha256=");
	assert_non_null(p);
	memset(p + 16, '0', 64);
	/* Without --update a stale gate is an error, never kept silently. */
	expect_refused(stale, &o, "arguments are not the ones");
	o.mode = AG_INJECT_UPDATE;
	assert_int_equal(run(stale, &o, &res, &(struct ag_err){ 0 }), AG_OK);
	assert_int_equal(res.updated, 1);
	assert_int_equal(res.injected, 1);
	assert_non_null(strstr(res.text, "# A comment that must survive.\n"));
	check_gate(res.text, 0, tmpl_spec, "azure-cvm", "auto", "privileged");
	assert_null(strstr(res.text, "policy-sha256=0000"));
	ag_inject_result_clear(&res);
	/* An up-to-date gate is left alone: byte for byte. */
	assert_int_equal(run(good, &o, &res, &(struct ag_err){ 0 }), AG_OK);
	assert_string_equal(res.text, good);
	assert_int_equal(res.updated, 0);
	assert_int_equal(res.already, 1);
	ag_inject_result_clear(&res);
	/* Switching the TPM access mode rewrites the gate for it. */
	o.tpm_access = "devicePlugin";
	assert_int_equal(run(good, &o, &res, &(struct ag_err){ 0 }), AG_OK);
	assert_int_equal(res.updated, 1);
	assert_null(strstr(res.text, "privileged: true"));
	assert_null(strstr(res.text, "/dev/tpmrm0"));
	ag_inject_result_clear(&res);
	/* Input that is not YAML: refused in the first pass. */
	expect_refused("kind: Pod\nspec: [unclosed\n", &o, "not YAML");
	free(stale);
	free(good);
}

static void
test_size_caps(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_inject_result res;
	struct ag_err err;
	size_t n = AG_INJECT_INPUT_MAX + 1, k = 0;
	char *big = malloc(n + 1);

	(void)state;
	assert_non_null(big);
	memset(big, '#', n);
	big[n] = '\0';
	assert_int_equal(ag_inject(big, n, &o, &res, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "input larger than"));
	assert_null(res.text);
	/* Over 1024 documents. */
	for (int i = 0; i < 1100; i++, k += 9)
		memcpy(big + k, "---\na: 1\n", 9);
	big[k] = '\0';
	assert_int_equal(ag_inject(big, k, &o, &res, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "more than 1024 documents"));
	free(big);
}

/*
 * DESIGN.md (Kubernetes): "runtimeClass kata-cc and kata-cc-isolation are
 * kata-cc".  A kata-cc-isolation pod must get --platform=azure-kata-cc and
 * its policy must be checked against azure-kata-cc.  Fails while
 * inject_template() maps only "kata-cc" to azure-kata-cc.
 */
static void
test_kata_cc_isolation(void **state)
{
	static const char in[] = POD_HEAD "spec:\n  runtimeClassName: kata-cc-isolation\n  containers:\n  - name: c\n";
	struct ag_inject_opts o = opts();
	char *out;

	(void)state;
	expect_refused(in, &o, "runs on kata-cc (azure-kata-cc), which policy \"azure-cvm\" does not allow");
	o.default_policy = "azure-kata-cc";
	out = inject_ok(in, &o, &(struct ag_inject_result){ 0 });
	check_gate(out, 0, pod_spec, "azure-kata-cc", "azure-kata-cc", "none");
	free(out);
}

/* Kata sandboxes without a TEE (AKS pod sandboxing) are refused with what to use instead. */
static void
test_kata_sandbox_refused(void **state)
{
	static const char *const classes[] = { "kata-vm-isolation", "kata-mshv-vm-isolation", "kata", NULL };
	struct ag_inject_opts o = opts();
	char in[256];

	(void)state;
	o.default_policy = "azure-kata-cc";
	for (size_t i = 0; classes[i] != NULL; i++) {
		snprintf(in, sizeof(in), POD_HEAD "spec:\n  runtimeClassName: %s\n  containers:\n  - name: c\n", classes[i]);
		expect_refused(in, &o, "is a kata sandbox without a TEE");
	}
}

/*
 * A stream whose only annotated pod opts out (attestgate.io/skip: "true")
 * is what the user asked for: left alone, not "the input asks for the gate
 * but no pod template got it".  Fails while the final check of
 * inject_pass() counts opted-out templates in res->asked.
 */
static void
test_opt_out_alone(void **state)
{
	static const char in[] = POD_HEAD "    attestgate.io/skip: \"true\"\nspec:\n  containers:\n  - name: c\n";
	struct ag_inject_opts o = opts();
	struct ag_inject_result res;
	struct ag_err err;

	(void)state;
	if (run(in, &o, &res, &err) != AG_OK)
		fail_msg("an opted-out pod was refused: %s", err.msg);
	assert_string_equal(res.text, in);
	assert_int_equal(res.skipped, 1);
	ag_inject_result_clear(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pod),
		cmocka_unit_test(test_golden_files),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_tpm_access),
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_unknown_kinds),
		cmocka_unit_test(test_documents_and_lists),
		cmocka_unit_test(test_flow_style),
		cmocka_unit_test(test_layout_kept),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_utf8_bom),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_adversarial_files),
		cmocka_unit_test(test_fake_gates),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_size_caps),
		cmocka_unit_test(test_kata_cc_isolation),
		cmocka_unit_test(test_kata_sandbox_refused),
		cmocka_unit_test(test_opt_out_alone),
	};

	return cmocka_run_group_tests_name("inject", tests, NULL, NULL);
}
