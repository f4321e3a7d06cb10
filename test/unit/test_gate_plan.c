/*
 * test_gate_plan.c - lib/k8s/gate_plan.c: the one decision of what gate a
 * pod template gets.  Skip or give (inject, skip, --all), the annotation
 * values refused by name, the per-pod tpm-access and timeout, the kata
 * runtime classes (kata-cc's UVM mounts and downward API volume, the
 * upstream TEE classes, sandboxes without a TEE refused), unknown policies
 * and policies for another platform refused, the node's OS as flags; the
 * comparison of a spec with its plan (exact, mounts missing, and each way a
 * gate differs, and what the API server's defaults add that is accepted);
 * the named-item lookup and the looks-injected test; the pod template path
 * of every kind; the kata predicates; a policy that attests GPUs (image,
 * GPU limit, refusals, comparison).
 */
#include "testutil.h"

#include <jansson.h>

#include "k8s/gate_plan.h"

#define IMAGE "ghcr.io/attestgate/attestgate:0.1.0"
#define SUM_CVM "1111111111111111111111111111111111111111111111111111111111111111"
#define SUM_KATA "2222222222222222222222222222222222222222222222222222222222222222"
#define SUM_BOTH "3333333333333333333333333333333333333333333333333333333333333333"
#define SUM_GPU "4444444444444444444444444444444444444444444444444444444444444444"

/* Three installed policies: azure-cvm (CVM only), azure-kata-cc (kata-cc only), both (either). */
static const char *
digest(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "azure-cvm") == 0 ? SUM_CVM : strcmp(name, "azure-kata-cc") == 0 ? SUM_KATA :
	    strcmp(name, "both") == 0 ? SUM_BOTH : strcmp(name, "gpu") == 0 ? SUM_GPU : NULL;
}

static int
allows(const char *name, const char *platform, void *arg)
{
	(void)arg;
	if (strcmp(name, "both") == 0 || strcmp(name, "gpu") == 0)
		return 1;
	return strcmp(platform, strcmp(name, "azure-kata-cc") == 0 ? "azure-kata-cc" : "azure-cvm") == 0;
}

/* Only policy "gpu" attests GPUs: two of them. */
static unsigned
gpus(const char *name, void *arg)
{
	assert_non_null(arg);   /* digest_arg is passed through */
	return strcmp(name, "gpu") == 0 ? 2 : 0;
}

static void
problem(const char *name, char *out, size_t len, void *arg)
{
	(void)name;
	assert_ptr_equal(arg, &problem);   /* digest_arg is passed through */
	snprintf(out, len, "the installed policies are: azure-cvm, azure-kata-cc, both");
}

static struct ag_inject_opts
opts(void)
{
	return (struct ag_inject_opts){ .mode = AG_INJECT_ADD, .image = IMAGE, .default_policy = "azure-cvm",
		.tpm_access = "privileged", .device_plugin_resource = "squat.ai/tpmrm0", .digest = digest, .allows = allows,
		.problem = problem, .gpus = gpus, .digest_arg = (void *)&problem };
}

/* A template's intent: inject as given, nothing else. */
static struct ag_pod_intent
intent(const char *inject)
{
	struct ag_pod_intent in;

	memset(&in, 0, sizeof(in));
	snprintf(in.inject, sizeof(in.inject), "%s", inject);
	return in;
}

/* Makes the plan expecting AG_OK. */
static void
plan_ok(const struct ag_inject_opts *o, const struct ag_pod_intent *in, struct ag_gate_plan *p)
{
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_gate_plan_make(o, in, p, &err) != AG_OK)
		fail_msg("plan refused: %s", err.msg);
}

/* Expects AG_ECONFIG with every one of the NULL-terminated strings in the message, and no plan. */
static void
plan_refused(const struct ag_inject_opts *o, const struct ag_pod_intent *in, ...)
{
	struct ag_gate_plan p;
	struct ag_err err;
	const char *want;
	va_list ap;

	ag_err_clear(&err);
	if (ag_gate_plan_make(o, in, &p, &err) != AG_ECONFIG) {
		ag_gate_plan_clear(&p);
		fail_msg("plan made, expected a refusal");
	}
	assert_int_equal(err.code, AG_ECONFIG);
	assert_null(p.container);
	assert_null(p.volumes);
	assert_null(p.app_mount);
	va_start(ap, in);
	while ((want = va_arg(ap, const char *)) != NULL)
		if (strstr(err.msg, want) == NULL) {
			va_end(ap);
			fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
		}
	va_end(ap);
}

/* The i-th argument of the gate, or NULL. */
static const char *
arg(const struct ag_gate_plan *p, size_t i)
{
	return json_string_value(json_array_get(json_object_get(p->container, "args"), i));
}

static size_t
nargs(const struct ag_gate_plan *p)
{
	return json_array_size(json_object_get(p->container, "args"));
}

/* Nonzero when the gate has argument a. */
static int
has_arg(const struct ag_gate_plan *p, const char *a)
{
	for (size_t i = 0; i < nargs(p); i++)
		if (strcmp(arg(p, i), a) == 0)
			return 1;
	return 0;
}

/* The item of array seq named name, or NULL. */
static json_t *
named(json_t *seq, const char *name)
{
	json_t *item;
	size_t i;

	json_array_foreach(seq, i, item)
		if (strcmp(json_string_value(json_object_get(item, "name")), name) == 0)
			return item;
	return NULL;
}

static json_t *
gate_mount(const struct ag_gate_plan *p, const char *name)
{
	return named(json_object_get(p->container, "volumeMounts"), name);
}

/* The names of the plan's volumes, comma-separated. */
static const char *
volume_names(const struct ag_gate_plan *p)
{
	static char out[512];
	json_t *v;
	size_t i, at = 0;

	out[0] = '\0';
	json_array_foreach(p->volumes, i, v)
		at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%s", i > 0 ? "," : "",
		    json_string_value(json_object_get(v, "name")));
	return out;
}

/* --- skip or give --------------------------------------------------------------------------------- */

static void
test_skip_or_give(void **state)
{
	static const struct {
		const char *inject, *skip;
		int all;
		enum ag_gate_action want;
	} cases[] = {
		{ "true", "", 0, AG_GATE_GIVE }, { "false", "", 0, AG_GATE_SKIP }, { "", "", 0, AG_GATE_SKIP },
		{ "true", "true", 0, AG_GATE_SKIP }, { "true", "false", 0, AG_GATE_GIVE }, { "", "", 1, AG_GATE_GIVE },
		{ "", "true", 1, AG_GATE_SKIP }, { "", "false", 1, AG_GATE_GIVE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ag_inject_opts o = opts();
		struct ag_pod_intent in = intent(cases[i].inject);
		struct ag_gate_plan p;

		o.all = cases[i].all;
		snprintf(in.skip, sizeof(in.skip), "%s", cases[i].skip);
		plan_ok(&o, &in, &p);
		if (p.action != cases[i].want)
			fail_msg("case %zu (inject \"%s\", skip \"%s\", all %d): action %d", i, cases[i].inject, cases[i].skip,
			    cases[i].all, p.action);
		if (p.action == AG_GATE_SKIP) {
			assert_null(p.container);
			assert_null(p.volumes);
			assert_null(p.app_mount);
		} else {
			assert_string_equal(p.policy, "azure-cvm");
			assert_string_equal(p.platform, "auto");
			assert_string_equal(p.tpm, "privileged");
		}
		ag_gate_plan_clear(&p);
		assert_null(p.container);
	}
}

/* The default gate: arguments in order, image, mounts, volumes, the apps' mount; the policy annotation wins. */
static void
test_default_gate(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;
	static const char *const want[] = { "run", "--policy-dir=/etc/attestgate/policies", "--policy-name=azure-cvm",
		"--policy-sha256=" SUM_CVM, "--output-dir=/run/attestgate", "--platform=auto" };

	(void)state;
	plan_ok(&o, &in, &p);
	assert_int_equal(nargs(&p), 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(arg(&p, i), want[i]);
	assert_string_equal(json_string_value(json_object_get(p.container, "name")), "attestgate");
	assert_string_equal(json_string_value(json_object_get(p.container, "image")), IMAGE);
	assert_true(json_is_true(json_object_get(json_object_get(p.container, "securityContext"), "privileged")));
	assert_true(ag_gate_mounts_outputs(p.container, 0));
	assert_false(ag_gate_mounts_outputs(p.container, 1));   /* the gate writes there */
	assert_non_null(gate_mount(&p, "attestgate-tpmrm0"));
	assert_non_null(gate_mount(&p, "attestgate-securityfs"));
	assert_non_null(gate_mount(&p, "attestgate-os-release"));
	assert_string_equal(volume_names(&p),
	    "attestgate,attestgate-policies,attestgate-tpmrm0,attestgate-securityfs,attestgate-os-release");
	assert_string_equal(json_string_value(json_object_get(json_object_get(named(p.volumes, "attestgate"), "emptyDir"),
				"medium")), "Memory");
	assert_string_equal(json_string_value(json_object_get(p.app_mount, "name")), "attestgate");
	assert_string_equal(json_string_value(json_object_get(p.app_mount, "mountPath")), "/run/attestgate");
	assert_true(json_is_true(json_object_get(p.app_mount, "readOnly")));
	assert_null(json_object_get(p.container, "env"));
	ag_gate_plan_clear(&p);

	snprintf(in.policy, sizeof(in.policy), "both");
	plan_ok(&o, &in, &p);
	assert_string_equal(p.policy, "both");
	assert_string_equal(arg(&p, 2), "--policy-name=both");
	assert_string_equal(arg(&p, 3), "--policy-sha256=" SUM_BOTH);
	ag_gate_plan_clear(&p);
}

/* ag_pod_intent_read asks for each annotation by its key. */
static void
annotation_table(const char *key, char *out, size_t len, void *arg)
{
	const char *const *kv = arg;

	for (size_t i = 0; kv[i] != NULL; i += 2)
		if (strcmp(kv[i], key) == 0) {
			snprintf(out, len, "%s", kv[i + 1]);
			return;
		}
	snprintf(out, len, "%s", "");
}

static void
test_intent_read(void **state)
{
	static const char *const kv[] = { "attestgate.io/inject", "true", "attestgate.io/skip", "false", "attestgate.io/policy",
		"both", "attestgate.io/tpm-access", "none", "attestgate.io/timeout", "90s", "attestgate.io/status", "injected",
		"attestgate.io/other", "x", NULL };
	struct ag_pod_intent in;

	(void)state;
	memset(&in, 0, sizeof(in));
	ag_pod_intent_read(&in, annotation_table, (void *)kv);
	assert_string_equal(in.inject, "true");
	assert_string_equal(in.skip, "false");
	assert_string_equal(in.policy, "both");
	assert_string_equal(in.tpm_access, "none");
	assert_string_equal(in.timeout, "90s");
	assert_string_equal(in.status, "injected");
	assert_string_equal(in.runtime_class, "");
	assert_int_equal(in.looks_injected, 0);
}

/* --- annotation values ---------------------------------------------------------------------------- */

/* Only "true" and "false": "yes", "True", "1" are refused naming the annotation, even on a pod that does not ask. */
static void
test_invalid_inject_skip(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in;

	(void)state;
	in = intent("yes");
	plan_refused(&o, &in, "attestgate.io/inject", "\"yes\"", "\"true\" or \"false\"", NULL);
	in = intent("True");
	plan_refused(&o, &in, "attestgate.io/inject", "\"True\"", NULL);
	in = intent("1");
	plan_refused(&o, &in, "attestgate.io/inject", NULL);
	in = intent("true");
	snprintf(in.skip, sizeof(in.skip), "yes");
	plan_refused(&o, &in, "attestgate.io/skip", "\"yes\"", NULL);
	in = intent("");
	snprintf(in.skip, sizeof(in.skip), "True");
	plan_refused(&o, &in, "attestgate.io/skip", "\"True\"", NULL);
}

/* tpm-access on the pod overrides the injector's: devicePlugin, none, privileged; anything else is refused. */
static void
test_tpm_access_override(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;
	json_t *sec;

	(void)state;
	snprintf(in.tpm_access, sizeof(in.tpm_access), "devicePlugin");
	plan_ok(&o, &in, &p);
	assert_string_equal(p.tpm, "devicePlugin");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(p.container, "resources"),
				"limits"), "squat.ai/tpmrm0")), "1");
	sec = json_object_get(p.container, "securityContext");
	assert_null(json_object_get(sec, "privileged"));
	assert_true(json_is_true(json_object_get(sec, "runAsNonRoot")));
	assert_int_equal(json_integer_value(json_object_get(sec, "runAsUser")), AG_GATE_FS_GROUP);
	assert_null(gate_mount(&p, "attestgate-tpmrm0"));
	assert_non_null(gate_mount(&p, "attestgate-os-release"));
	assert_string_equal(volume_names(&p), "attestgate,attestgate-policies,attestgate-os-release");
	ag_gate_plan_clear(&p);

	snprintf(in.tpm_access, sizeof(in.tpm_access), "none");
	plan_ok(&o, &in, &p);
	assert_string_equal(p.tpm, "none");
	assert_null(gate_mount(&p, "attestgate-os-release"));
	assert_string_equal(volume_names(&p), "attestgate,attestgate-policies");
	assert_string_equal(arg(&p, 5), "--platform=auto");
	ag_gate_plan_clear(&p);

	o.tpm_access = "none";
	snprintf(in.tpm_access, sizeof(in.tpm_access), "privileged");
	plan_ok(&o, &in, &p);
	assert_string_equal(p.tpm, "privileged");
	assert_non_null(gate_mount(&p, "attestgate-tpmrm0"));
	ag_gate_plan_clear(&p);

	snprintf(in.tpm_access, sizeof(in.tpm_access), "root");
	plan_refused(&o, &in, "attestgate.io/tpm-access", "\"root\"", "privileged, devicePlugin or none", NULL);
	snprintf(in.tpm_access, sizeof(in.tpm_access), "Privileged");
	plan_refused(&o, &in, "attestgate.io/tpm-access", NULL);
	/* devicePlugin without a resource name to ask for. */
	o.device_plugin_resource = NULL;
	snprintf(in.tpm_access, sizeof(in.tpm_access), "devicePlugin");
	plan_refused(&o, &in, "--device-plugin-resource", NULL);
	o.device_plugin_resource = "";
	plan_refused(&o, &in, "--device-plugin-resource", NULL);
}

/* timeout: --timeout=V as the last argument; bad and zero durations refused naming the annotation. */
static void
test_timeout(void **state)
{
	static const char *const bad[] = { "soon", "0", "0s", "90", "-5s", "1.5.3m", "s" };
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;

	(void)state;
	snprintf(in.timeout, sizeof(in.timeout), "90s");
	plan_ok(&o, &in, &p);
	assert_int_equal(nargs(&p), 7);
	assert_string_equal(arg(&p, 6), "--timeout=90s");
	ag_gate_plan_clear(&p);
	/* With the OS flags, still last. */
	o.os_distro = "Ubuntu";
	o.os_version = "22.04";
	snprintf(in.timeout, sizeof(in.timeout), "2m");
	plan_ok(&o, &in, &p);
	assert_int_equal(nargs(&p), 9);
	assert_string_equal(arg(&p, 8), "--timeout=2m");
	ag_gate_plan_clear(&p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(in.timeout, sizeof(in.timeout), "%s", bad[i]);
		plan_refused(&o, &in, "attestgate.io/timeout", bad[i], NULL);
	}
}

/* --- kata runtime classes ------------------------------------------------------------------------- */

/* kata-cc's gate: platform azure-kata-cc, no TPM, the UVM endorsement and the agent policy (downward API). */
static void
assert_kata_cc_gate(const struct ag_gate_plan *p)
{
	json_t *ref = gate_mount(p, "attestgate-uvm-reference-info"), *pod = gate_mount(p, "attestgate-pod"), *env, *items;

	assert_string_equal(p->platform, "azure-kata-cc");
	assert_string_equal(p->tpm, "none");
	assert_true(has_arg(p, "--platform=azure-kata-cc"));
	assert_true(has_arg(p, "--policy-sha256=" SUM_KATA));
	assert_null(json_object_get(json_object_get(p->container, "securityContext"), "privileged"));
	assert_null(gate_mount(p, "attestgate-tpmrm0"));
	assert_null(gate_mount(p, "attestgate-os-release"));
	assert_non_null(ref);
	assert_string_equal(json_string_value(json_object_get(ref, "mountPath")), AG_KATA_UVM_DIR "/reference-info-base64");
	assert_true(json_is_true(json_object_get(ref, "readOnly")));
	assert_non_null(pod);
	assert_string_equal(json_string_value(json_object_get(pod, "mountPath")), "/etc/attestgate/pod");
	env = json_array_get(json_object_get(p->container, "env"), 0);
	assert_string_equal(json_string_value(json_object_get(env, "name")), "UVM_SECURITY_CONTEXT_DIR");
	assert_string_equal(json_string_value(json_object_get(env, "value")), AG_KATA_UVM_DIR);
	assert_string_equal(volume_names(p), "attestgate,attestgate-policies,attestgate-uvm-reference-info,attestgate-pod");
	assert_string_equal(json_string_value(json_object_get(json_object_get(named(p->volumes,
				"attestgate-uvm-reference-info"), "hostPath"), "path")), AG_KATA_UVM_DIR "/reference-info-base64");
	items = json_object_get(json_object_get(named(p->volumes, "attestgate-pod"), "downwardAPI"), "items");
	assert_int_equal(json_array_size(items), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "path")), "agent-policy");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(items, 0), "fieldRef"),
				"fieldPath")), "metadata.annotations['" AG_KATA_AGENT_POLICY_ANNOTATION "']");
}

static void
test_kata_cc(void **state)
{
	static const char *const classes[] = { "kata-cc", "kata-cc-isolation" };
	struct ag_inject_opts o = opts();
	struct ag_gate_plan p;

	(void)state;
	o.os_distro = "Ubuntu";   /* never for a pod without a TPM */
	o.os_version = "22.04";
	for (size_t i = 0; i < 2; i++) {
		struct ag_pod_intent in = intent("true");

		snprintf(in.runtime_class, sizeof(in.runtime_class), "%s", classes[i]);
		snprintf(in.policy, sizeof(in.policy), "azure-kata-cc");
		snprintf(in.tpm_access, sizeof(in.tpm_access), "privileged");   /* a kata pod never gets a host TPM */
		plan_ok(&o, &in, &p);
		assert_kata_cc_gate(&p);
		assert_false(has_arg(&p, "--os-distro=Ubuntu"));
		ag_gate_plan_clear(&p);
		/* The default policy (CVM only) is refused for kata-cc, naming both. */
		in.policy[0] = '\0';
		plan_refused(&o, &in, "kata-cc (azure-kata-cc)", "\"azure-cvm\"", "attestgate.io/policy", NULL);
	}
}

/* Upstream Confidential Containers: the guest's own report; kata sandboxes without a TEE are refused. */
static void
test_kata_other_classes(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;

	(void)state;
	snprintf(in.runtime_class, sizeof(in.runtime_class), "kata-qemu-snp");
	plan_ok(&o, &in, &p);
	assert_string_equal(p.platform, "sev-snp");
	assert_string_equal(p.tpm, "none");
	assert_true(has_arg(&p, "--platform=sev-snp"));
	assert_null(gate_mount(&p, "attestgate-uvm-reference-info"));
	assert_string_equal(volume_names(&p), "attestgate,attestgate-policies");
	ag_gate_plan_clear(&p);
	snprintf(in.runtime_class, sizeof(in.runtime_class), "kata-qemu-tdx");
	plan_ok(&o, &in, &p);
	assert_string_equal(p.platform, "tdx");
	ag_gate_plan_clear(&p);

	snprintf(in.runtime_class, sizeof(in.runtime_class), "kata-vm-isolation");
	plan_refused(&o, &in, "runtimeClassName kata-vm-isolation", "without a TEE", "kata-cc-isolation", NULL);
	snprintf(in.runtime_class, sizeof(in.runtime_class), "kata-mshv-vm-isolation");
	plan_refused(&o, &in, "kata-mshv-vm-isolation", NULL);
	/* Not asking: nothing to refuse. */
	in = intent("");
	snprintf(in.runtime_class, sizeof(in.runtime_class), "kata-vm-isolation");
	plan_ok(&o, &in, &p);
	assert_int_equal(p.action, AG_GATE_SKIP);
	/* A runtime class that is not kata is a CVM pod. */
	in = intent("true");
	snprintf(in.runtime_class, sizeof(in.runtime_class), "runc");
	plan_ok(&o, &in, &p);
	assert_string_equal(p.platform, "auto");
	assert_string_equal(p.tpm, "privileged");
	ag_gate_plan_clear(&p);
}

/* --- policies ------------------------------------------------------------------------------------- */

static void
test_unknown_policy(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");

	(void)state;
	snprintf(in.policy, sizeof(in.policy), "nope");
	plan_refused(&o, &in, "policy \"nope\" not found", "the installed policies are: azure-cvm, azure-kata-cc, both", NULL);
	o.problem = NULL;
	plan_refused(&o, &in, "policy \"nope\" not found (looked in --policy-dir)", NULL);
	/* No annotation and no default. */
	o.default_policy = NULL;
	in.policy[0] = '\0';
	plan_refused(&o, &in, "no policy for this pod", "attestgate.io/policy", "--policy-name", NULL);
}

/* A policy that does not allow the pod's platform is refused now; without an allows callback it is not checked. */
static void
test_policy_platform(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;

	(void)state;
	snprintf(in.policy, sizeof(in.policy), "azure-kata-cc");
	plan_refused(&o, &in, "Confidential VM node (azure-cvm)", "\"azure-kata-cc\"", "does not allow", NULL);
	snprintf(in.tpm_access, sizeof(in.tpm_access), "devicePlugin");
	plan_refused(&o, &in, "(azure-cvm)", NULL);
	o.allows = NULL;
	plan_ok(&o, &in, &p);
	assert_int_equal(p.action, AG_GATE_GIVE);
	ag_gate_plan_clear(&p);
	o = opts();
	snprintf(in.policy, sizeof(in.policy), "both");
	plan_ok(&o, &in, &p);
	assert_int_equal(p.action, AG_GATE_GIVE);
	ag_gate_plan_clear(&p);
}

/* The node's OS as flags: no os-release hostPath then; never for a pod without a TPM. */
static void
test_os_distro(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;

	(void)state;
	o.os_distro = "Ubuntu";
	o.os_version = "22.04";
	plan_ok(&o, &in, &p);
	assert_int_equal(nargs(&p), 8);
	assert_string_equal(arg(&p, 6), "--os-distro=Ubuntu");
	assert_string_equal(arg(&p, 7), "--os-version=22.04");
	assert_null(gate_mount(&p, "attestgate-os-release"));
	assert_string_equal(volume_names(&p), "attestgate,attestgate-policies,attestgate-tpmrm0,attestgate-securityfs");
	ag_gate_plan_clear(&p);
	snprintf(in.tpm_access, sizeof(in.tpm_access), "none");
	plan_ok(&o, &in, &p);
	assert_false(has_arg(&p, "--os-distro=Ubuntu"));
	assert_int_equal(nargs(&p), 6);
	ag_gate_plan_clear(&p);
}

/* --- comparing a spec with the plan --------------------------------------------------------------- */

/* The spec inject would write for p: the gate first, its volumes after the pod's, two app containers mounting the outputs. */
static json_t *
spec_of(const struct ag_gate_plan *p)
{
	/* Copies: the spec is changed by the tests, the plan must not be. */
	json_t *spec = json_pack("{s:[o, {s:s, s:s}], s:o, s:{s:i}, s:[{s:s, s:s, s:[o]}, {s:s, s:s, s:[{s:s, s:s}, o]}]}",
	    "initContainers", json_deep_copy(p->container), "name", "setup", "image", "busybox", "volumes",
	    json_deep_copy(p->volumes), "securityContext", "fsGroup", 1000, "containers", "name", "app", "image", "app",
	    "volumeMounts", json_deep_copy(p->app_mount), "name", "side", "image", "side", "volumeMounts", "name", "data",
	    "mountPath", "/data", json_deep_copy(p->app_mount));

	assert_non_null(spec);
	json_array_append_new(json_object_get(spec, "volumes"), json_pack("{s:s, s:{}}", "name", "data", "emptyDir"));
	return spec;
}

/* The first init container of spec (borrowed). */
static json_t *
gate_of(json_t *spec)
{
	return json_array_get(json_object_get(spec, "initContainers"), 0);
}

/* Expects a difference (AG_GATE_STALE or AG_GATE_OTHER) with why containing want, and frees spec. */
static void
expect_other(const struct ag_gate_plan *p, json_t *spec, const char *want)
{
	const char *why = NULL;
	enum ag_gate_state st = ag_gate_plan_compare(p, spec, &why);

	assert_true(st == AG_GATE_STALE || st == AG_GATE_OTHER);
	assert_non_null(why);
	if (strstr(why, want) == NULL)
		fail_msg("why \"%s\" lacks \"%s\"", why, want);
	json_decref(spec);
}

static void
test_compare_exact_and_mounts_missing(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;
	const char *why = "unset";
	json_t *spec;

	(void)state;
	plan_ok(&o, &in, &p);
	spec = spec_of(&p);
	assert_int_equal(ag_gate_plan_compare(&p, spec, &why), AG_GATE_EXACT);
	assert_null(why);
	/* A container added later (another webhook, an edit) without the mount. */
	json_array_append_new(json_object_get(spec, "containers"), json_pack("{s:s, s:s}", "name", "late", "image", "x"));
	assert_int_equal(ag_gate_plan_compare(&p, spec, &why), AG_GATE_MOUNTS_MISSING);
	json_object_set_new(json_array_get(json_object_get(spec, "containers"), 2), "volumeMounts", json_pack("[{s:s, s:s}]",
	    "name", "data", "mountPath", "/data"));
	assert_int_equal(ag_gate_plan_compare(&p, spec, &why), AG_GATE_MOUNTS_MISSING);
	json_decref(spec);
	ag_gate_plan_clear(&p);
}

static void
test_compare_stale_or_other(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;
	const char *why;
	json_t *spec;

	(void)state;
	plan_ok(&o, &in, &p);
	/* The gate as rendered before: another tag or digest of the image, another policy digest, older mounts. */
	spec = spec_of(&p);
	json_object_set_new(gate_of(spec), "image", json_string("ghcr.io/attestgate/attestgate:0.0.9"));
	assert_int_equal(ag_gate_plan_compare(&p, spec, &why), AG_GATE_STALE);
	json_object_set_new(gate_of(spec), "image", json_string("ghcr.io/attestgate/attestgate@sha256:" SUM_BOTH));
	assert_int_equal(ag_gate_plan_compare(&p, spec, &why), AG_GATE_STALE);
	json_array_set_new(json_object_get(gate_of(spec), "args"), 3, json_string("--policy-sha256=" SUM_BOTH));
	assert_int_equal(ag_gate_plan_compare(&p, spec, &why), AG_GATE_STALE);
	json_decref(spec);
	/* Not a version of the gate: another repository (a registry port is not a tag), a command, outputs elsewhere. */
	spec = spec_of(&p);
	json_object_set_new(gate_of(spec), "image", json_string("evil.example:5000/attestgate/attestgate:0.0.9"));
	assert_int_equal(ag_gate_plan_compare(&p, spec, &why), AG_GATE_OTHER);
	assert_non_null(strstr(why, "another repository"));
	json_object_set_new(gate_of(spec), "image", json_string("ghcr.io/attestgate/attestgate-fake:0.0.9"));
	assert_int_equal(ag_gate_plan_compare(&p, spec, &why), AG_GATE_OTHER);
	json_decref(spec);
	spec = spec_of(&p);
	json_object_set_new(gate_of(spec), "command", json_pack("[s]", "/bin/true"));
	assert_int_equal(ag_gate_plan_compare(&p, spec, &why), AG_GATE_OTHER);
	json_decref(spec);
	ag_gate_plan_clear(&p);
}

static void
test_compare_other(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;
	json_t *spec;

	(void)state;
	plan_ok(&o, &in, &p);
	spec = spec_of(&p);
	json_object_set_new(gate_of(spec), "image", json_string("ghcr.io/attestgate/attestgate:0.0.9"));
	expect_other(&p, spec, "another image");
	spec = spec_of(&p);
	json_array_set_new(json_object_get(gate_of(spec), "args"), 3, json_string("--policy-sha256=" SUM_BOTH));
	expect_other(&p, spec, "arguments");
	spec = spec_of(&p);
	json_object_set_new(gate_of(spec), "command", json_pack("[s]", "/bin/true"));
	expect_other(&p, spec, "settings the gate is not rendered with");
	spec = spec_of(&p);
	json_object_set_new(json_object_get(named(json_object_get(spec, "volumes"), "attestgate-policies"), "configMap"), "name",
	    json_string("other-policies"));
	expect_other(&p, spec, "volumes");
	spec = spec_of(&p);
	json_array_remove(json_object_get(spec, "volumes"), 2);   /* no tpmrm0 volume */
	expect_other(&p, spec, "volumes");
	spec = spec_of(&p);
	json_object_del(json_object_get(spec, "securityContext"), "fsGroup");
	expect_other(&p, spec, "fsGroup");
	spec = spec_of(&p);
	json_object_del(spec, "securityContext");
	expect_other(&p, spec, "fsGroup");
	spec = spec_of(&p);
	json_object_set_new(json_array_get(json_object_get(json_array_get(json_object_get(spec, "containers"), 1),
				       "volumeMounts"), 1), "readOnly", json_false());
	expect_other(&p, spec, "read-only");
	ag_gate_plan_clear(&p);
}

/* The gate itself moved, missing or changed in what the first checks do not look at. */
static void
test_compare_other_gate(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;
	json_t *spec, *first;

	(void)state;
	plan_ok(&o, &in, &p);
	spec = spec_of(&p);
	first = json_incref(gate_of(spec));
	json_array_remove(json_object_get(spec, "initContainers"), 0);
	json_array_append_new(json_object_get(spec, "initContainers"), first);   /* the gate runs second */
	expect_other(&p, spec, "the first init container is not the gate");
	spec = spec_of(&p);
	json_object_del(spec, "initContainers");
	expect_other(&p, spec, "the first init container is not the gate");
	spec = spec_of(&p);
	json_object_set_new(named(json_object_get(gate_of(spec), "volumeMounts"), "attestgate"), "mountPath",
	    json_string("/run/other"));
	expect_other(&p, spec, "does not write to the attestgate volume");
	spec = spec_of(&p);
	json_object_set_new(json_object_get(gate_of(spec), "securityContext"), "privileged", json_false());
	expect_other(&p, spec, "security context");
	ag_gate_plan_clear(&p);
}

/* What the API server adds to a pod it admits does not make the gate another one; what decides how it runs does. */
static void
test_compare_defaulted(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;
	const char *why = NULL;
	json_t *spec, *gate;

	(void)state;
	plan_ok(&o, &in, &p);
	spec = spec_of(&p);
	gate = gate_of(spec);
	json_object_set_new(gate, "imagePullPolicy", json_string("IfNotPresent"));
	json_object_set_new(gate, "terminationMessagePath", json_string("/dev/termination-log"));
	json_array_append_new(json_object_get(gate, "volumeMounts"), json_pack("{s:s, s:s, s:b}", "name", "kube-api-access-x",
	    "mountPath", "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly", 1));
	json_object_set_new(json_object_get(json_object_get(gate, "resources"), "limits"), "cpu", json_string("1"));
	json_object_set_new(json_object_get(named(json_object_get(spec, "volumes"), "attestgate-policies"), "configMap"),
	    "defaultMode", json_integer(420));
	assert_int_equal(ag_gate_plan_compare(&p, spec, &why), AG_GATE_EXACT);
	/* Any other extra mount is not. */
	json_array_append_new(json_object_get(gate, "volumeMounts"), json_pack("{s:s, s:s}", "name", "data", "mountPath", "/data"));
	expect_other(&p, spec, "mounts");
	/* A missing planned mount is not. */
	spec = spec_of(&p);
	json_array_remove(json_object_get(gate_of(spec), "volumeMounts"), 1);
	expect_other(&p, spec, "mounts");
	/* Nor an env the gate is not rendered with. */
	spec = spec_of(&p);
	json_object_set_new(gate_of(spec), "env", json_pack("[{s:s, s:s}]", "name", "X", "value", "1"));
	expect_other(&p, spec, "env");
	/* The outputs' volume with another source besides its emptyDir. */
	spec = spec_of(&p);
	json_object_set_new(named(json_object_get(spec, "volumes"), "attestgate"), "hostPath", json_pack("{s:s}", "path", "/tmp"));
	expect_other(&p, spec, "not an emptyDir");
	ag_gate_plan_clear(&p);
}

/* ag_k8s_named: the first item of a list with that name; ag_gate_looks_injected: the status or a gate's name. */
static void
test_named_and_looks_injected(void **state)
{
	json_t *list = json_pack("[{s:s}, s, {s:i}, {s:s, s:i}, {s:s, s:i}]", "image", "x", "plain", "name", 7, "name", "a", "n",
	    1, "name", "a", "n", 2);
	json_t *spec = json_object();

	(void)state;
	assert_int_equal(json_integer_value(json_object_get(ag_k8s_named(list, "a"), "n")), 1);
	assert_null(ag_k8s_named(list, "b"));
	assert_null(ag_k8s_named(list, ""));
	assert_null(ag_k8s_named(NULL, "a"));
	assert_null(ag_k8s_named(json_object_get(spec, "volumes"), "a"));
	assert_false(ag_gate_looks_injected("", spec));
	assert_false(ag_gate_looks_injected("pending", spec));
	assert_true(ag_gate_looks_injected("injected", spec));
	assert_false(ag_gate_looks_injected("", NULL));
	json_object_set_new(spec, "initContainers", json_pack("[{s:s}]", "name", "setup"));
	json_object_set_new(spec, "volumes", json_pack("[{s:s}]", "name", "attestgate-tpmrm0"));
	assert_false(ag_gate_looks_injected("", spec));
	json_array_append_new(json_object_get(spec, "initContainers"), json_pack("{s:s}", "name", "attestgate"));
	assert_true(ag_gate_looks_injected("", spec));   /* anywhere in the list */
	json_object_set_new(spec, "initContainers", json_array());
	json_array_append_new(json_object_get(spec, "volumes"), json_pack("{s:s}", "name", "attestgate"));
	assert_true(ag_gate_looks_injected("", spec));
	json_array_remove(json_object_get(spec, "volumes"), 1);
	json_array_append_new(json_object_get(spec, "volumes"), json_pack("{s:s}", "name", "attestgate-policies"));
	assert_true(ag_gate_looks_injected("", spec));
	json_decref(spec);
	json_decref(list);
}

static void
test_mounts_outputs(void **state)
{
	json_t *rw = json_pack("{s:[{s:s, s:s}]}", "volumeMounts", "name", "attestgate", "mountPath", "/run/attestgate");
	json_t *ro = json_pack("{s:[{s:s, s:s, s:b}]}", "volumeMounts", "name", "attestgate", "mountPath", "/run/attestgate",
	    "readOnly", 1);
	json_t *elsewhere = json_pack("{s:[{s:s, s:s, s:b}]}", "volumeMounts", "name", "attestgate", "mountPath", "/tmp",
	    "readOnly", 1);
	json_t *none = json_pack("{s:s}", "name", "app");

	(void)state;
	assert_true(ag_gate_mounts_outputs(rw, 0));
	assert_false(ag_gate_mounts_outputs(rw, 1));
	assert_true(ag_gate_mounts_outputs(ro, 1));
	assert_true(ag_gate_mounts_outputs(ro, 0));
	assert_false(ag_gate_mounts_outputs(elsewhere, 0));
	assert_false(ag_gate_mounts_outputs(none, 0));
	assert_false(ag_gate_mounts_outputs(NULL, 0));
	json_decref(rw);
	json_decref(ro);
	json_decref(elsewhere);
	json_decref(none);
}

/* --- kinds and runtime classes -------------------------------------------------------------------- */

/* The path of kind joined with "/" ("" for a Pod; "(none)" for a kind without one). */
static const char *
path_of(const char *kind)
{
	static char out[256];
	const char *const *p = ag_pod_template_path(kind);
	size_t at = 0;

	if (p == NULL)
		return "(none)";
	out[0] = '\0';
	for (size_t i = 0; p[i] != NULL; i++)
		at += (size_t)snprintf(out + at, sizeof(out) - at, "/%s", p[i]);
	return out;
}

static void
test_pod_template_path(void **state)
{
	static const char *const workloads[] = { "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
		"ReplicationController" };

	(void)state;
	assert_string_equal(path_of("Pod"), "");
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		assert_string_equal(path_of(workloads[i]), "/spec/template");
	assert_string_equal(path_of("CronJob"), "/spec/jobTemplate/spec/template");
	assert_string_equal(path_of("PodTemplate"), "/template");
	assert_string_equal(path_of("Service"), "(none)");
	assert_string_equal(path_of("ConfigMap"), "(none)");
	assert_string_equal(path_of("pod"), "(none)");
	assert_string_equal(path_of("deployment"), "(none)");
	assert_string_equal(path_of(""), "(none)");
}

static void
test_runtime_classes(void **state)
{
	static const char *const kata[] = { "kata", "kata-cc", "kata-cc-isolation", "kata-qemu-snp", "kata-qemu-tdx",
		"kata-vm-isolation", "kata-mshv-vm-isolation", "kata-qemu" };
	static const char *const tee[] = { "kata-cc", "kata-cc-isolation", "kata-qemu-snp", "kata-qemu-tdx" };
	static const char *const not_tee[] = { "kata", "kata-vm-isolation", "kata-mshv-vm-isolation", "kata-qemu", "kata-cc-x",
		"runc", "" };

	(void)state;
	for (size_t i = 0; i < sizeof(kata) / sizeof(kata[0]); i++)
		assert_true(ag_runtime_is_kata(kata[i]));
	assert_false(ag_runtime_is_kata("runc"));
	assert_false(ag_runtime_is_kata("gvisor"));
	assert_false(ag_runtime_is_kata(""));
	assert_false(ag_runtime_is_kata("kat"));
	for (size_t i = 0; i < sizeof(tee) / sizeof(tee[0]); i++)
		assert_true(ag_runtime_is_kata_tee(tee[i]));
	for (size_t i = 0; i < sizeof(not_tee) / sizeof(not_tee[0]); i++)
		assert_false(ag_runtime_is_kata_tee(not_tee[i]));
}


/* The limit the gate's container asks for resource, or NULL. */
static const char *
limit(const struct ag_gate_plan *p, const char *resource)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(p->container, "resources"), "limits"),
	    resource));
}

/* A policy with spec.gpus: the image with the NVML helper and as many GPUs; others are unchanged. */
static void
test_gpu_policy(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;

	(void)state;
	snprintf(in.policy, sizeof(in.policy), "gpu");
	plan_ok(&o, &in, &p);
	assert_int_equal(p.gpus, 2);
	assert_string_equal(json_string_value(json_object_get(p.container, "image")), IMAGE "-nvidia");
	assert_string_equal(limit(&p, "nvidia.com/gpu"), "2");
	assert_string_equal(limit(&p, "memory"), "64Mi");
	ag_gate_plan_clear(&p);
	o.gpu_resource = "amd.com/gpu";
	o.gpu_image = "registry.example/attestgate-gpu@sha256:abcd";
	plan_ok(&o, &in, &p);
	assert_string_equal(json_string_value(json_object_get(p.container, "image")), o.gpu_image);
	assert_string_equal(limit(&p, "amd.com/gpu"), "2");
	assert_null(limit(&p, "nvidia.com/gpu"));
	ag_gate_plan_clear(&p);
	/* Without spec.gpus: the plain image, no GPU. */
	snprintf(in.policy, sizeof(in.policy), "both");
	plan_ok(&o, &in, &p);
	assert_int_equal(p.gpus, 0);
	assert_string_equal(json_string_value(json_object_get(p.container, "image")), IMAGE);
	assert_null(limit(&p, "amd.com/gpu"));
	ag_gate_plan_clear(&p);
	/* No gpus callback: no policy attests GPUs. */
	o.gpus = NULL;
	snprintf(in.policy, sizeof(in.policy), "gpu");
	plan_ok(&o, &in, &p);
	assert_int_equal(p.gpus, 0);
	ag_gate_plan_clear(&p);
}

/* A GPU policy needs an image it can add -nvidia to (or --gpu-image), and a CVM node. */
static void
test_gpu_policy_refused(void **state)
{
	static const char *const untagged[] = { "registry.example/attestgate@sha256:abcd", "registry.example:5000/attestgate",
		"attestgate" };
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");

	(void)state;
	snprintf(in.policy, sizeof(in.policy), "gpu");
	for (size_t i = 0; i < sizeof(untagged) / sizeof(untagged[0]); i++) {
		o.image = untagged[i];
		plan_refused(&o, &in, "attests NVIDIA GPUs", "no tag to add -nvidia", "--gpu-image", NULL);
	}
	o.image = IMAGE;
	snprintf(in.runtime_class, sizeof(in.runtime_class), "kata-cc-isolation");
	plan_refused(&o, &in, "policy \"gpu\" attests NVIDIA GPUs", "kata-cc-isolation", NULL);
}

/* A gate rendered for a GPU policy compares exact with its plan; the CPU-only gate of before is stale, not another. */
static void
test_gpu_policy_compare(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan gpu, cpu;
	json_t *spec;
	const char *why = NULL;

	(void)state;
	snprintf(in.policy, sizeof(in.policy), "gpu");
	plan_ok(&o, &in, &gpu);
	spec = spec_of(&gpu);
	assert_int_equal(ag_gate_plan_compare(&gpu, spec, &why), AG_GATE_EXACT);
	o.gpus = NULL;
	plan_ok(&o, &in, &cpu);
	assert_int_equal(ag_gate_plan_compare(&cpu, spec, &why), AG_GATE_STALE);
	assert_non_null(why);
	/* The GPU limit taken out: stale too (the resources differ). */
	json_object_del(json_object_get(json_object_get(gate_of(spec), "resources"), "limits"), "nvidia.com/gpu");
	assert_int_equal(ag_gate_plan_compare(&gpu, spec, &why), AG_GATE_STALE);
	json_decref(spec);
	ag_gate_plan_clear(&gpu);
	ag_gate_plan_clear(&cpu);
}

/* The app containers must ask for exactly the GPUs the policy attests (they get the gate's). */
static void
test_gpu_policy_app_gpus(void **state)
{
	struct ag_inject_opts o = opts();
	struct ag_pod_intent in = intent("true");
	struct ag_gate_plan p;
	json_t *spec;
	const char *why;

	(void)state;
	snprintf(in.policy, sizeof(in.policy), "gpu");
	plan_ok(&o, &in, &p);
	spec = json_pack("{s:[{s:s, s:{s:{s:i}}}, {s:s, s:{s:{s:s}}}, {s:s}]}", "containers", "name", "a", "resources", "limits",
	    "nvidia.com/gpu", 1, "name", "b", "resources", "requests", "nvidia.com/gpu", "1", "name", "c");
	assert_null(ag_gate_plan_conflict(&p, spec));
	json_object_set_new(json_object_get(json_object_get(json_array_get(json_object_get(spec, "containers"), 0),
	    "resources"), "limits"), "nvidia.com/gpu", json_integer(3));
	why = ag_gate_plan_conflict(&p, spec);
	assert_non_null(why);
	assert_non_null(strstr(why, "the app containers ask for 4 nvidia.com/gpu, but policy \"gpu\" attests 2"));
	json_object_set_new(json_object_get(json_object_get(json_array_get(json_object_get(spec, "containers"), 0),
	    "resources"), "limits"), "nvidia.com/gpu", json_string("1x"));
	why = ag_gate_plan_conflict(&p, spec);
	assert_non_null(why);
	assert_non_null(strstr(why, "nvidia.com/gpu is not a whole number"));
	json_decref(spec);
	/* No GPU asked for at all. */
	spec = json_pack("{s:[{s:s}]}", "containers", "name", "a");
	why = ag_gate_plan_conflict(&p, spec);
	assert_non_null(why);
	assert_non_null(strstr(why, "ask for 0 nvidia.com/gpu"));
	ag_gate_plan_clear(&p);
	/* A policy without spec.gpus does not look at GPUs. */
	snprintf(in.policy, sizeof(in.policy), "both");
	plan_ok(&o, &in, &p);
	assert_null(ag_gate_plan_conflict(&p, spec));
	json_decref(spec);
	ag_gate_plan_clear(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skip_or_give),
		cmocka_unit_test(test_default_gate),
		cmocka_unit_test(test_intent_read),
		cmocka_unit_test(test_invalid_inject_skip),
		cmocka_unit_test(test_tpm_access_override),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_kata_cc),
		cmocka_unit_test(test_kata_other_classes),
		cmocka_unit_test(test_unknown_policy),
		cmocka_unit_test(test_policy_platform),
		cmocka_unit_test(test_os_distro),
		cmocka_unit_test(test_compare_exact_and_mounts_missing),
		cmocka_unit_test(test_compare_stale_or_other),
		cmocka_unit_test(test_compare_other),
		cmocka_unit_test(test_compare_other_gate),
		cmocka_unit_test(test_compare_defaulted),
		cmocka_unit_test(test_named_and_looks_injected),
		cmocka_unit_test(test_mounts_outputs),
		cmocka_unit_test(test_pod_template_path),
		cmocka_unit_test(test_runtime_classes),
		cmocka_unit_test(test_gpu_policy),
		cmocka_unit_test(test_gpu_policy_refused),
		cmocka_unit_test(test_gpu_policy_compare),
		cmocka_unit_test(test_gpu_policy_app_gpus),
	};

	return cmocka_run_group_tests_name("gate_plan", tests, NULL, NULL);
}
