/*
 * k8s/gate_plan.c - what the gate is for one pod template (see gate_plan.h):
 * the annotations read and checked, the policy resolved to its digest, the
 * platform from the runtime class, and the gate's container, volumes and
 * the apps' mount rendered as JSON; and the comparison of a template that
 * already has a gate with what would be rendered for it now.
 */
#include "k8s/gate_plan.h"

#include <stdio.h>
#include <string.h>

#include "base/duration.h"

#define ERR_MAX 900

static int kata_platform_of(const char *runtime, const char **platform);

void
ag_pod_intent_read(struct ag_pod_intent *in, ag_annotation_fn get, void *arg)
{
	get("attestgate.io/inject", in->inject, sizeof(in->inject), arg);
	get("attestgate.io/skip", in->skip, sizeof(in->skip), arg);
	get("attestgate.io/policy", in->policy, sizeof(in->policy), arg);
	get("attestgate.io/tpm-access", in->tpm_access, sizeof(in->tpm_access), arg);
	get("attestgate.io/timeout", in->timeout, sizeof(in->timeout), arg);
	get("attestgate.io/status", in->status, sizeof(in->status), arg);
}

int
ag_runtime_is_kata(const char *rc)
{
	return strncmp(rc, "kata", 4) == 0;
}

int
ag_runtime_is_kata_tee(const char *rc)
{
	const char *platform;

	return kata_platform_of(rc, &platform);
}

int
ag_pod_intent_asks(const struct ag_inject_opts *o, const struct ag_pod_intent *in)
{
	return strcmp(in->skip, "true") != 0 && (o->all || strcmp(in->inject, "true") == 0);
}

const char *const *
ag_pod_template_path(const char *kind)
{
	static const char *const pod[] = { NULL }, *const spec_template[] = { "spec", "template", NULL },
				     *const cron[] = { "spec", "jobTemplate", "spec", "template", NULL },
				     *const pod_template[] = { "template", NULL };
	static const char *const workloads[] = { "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
		"ReplicationController", NULL };

	if (strcmp(kind, "Pod") == 0)
		return pod;
	if (strcmp(kind, "CronJob") == 0)
		return cron;
	if (strcmp(kind, "PodTemplate") == 0)
		return pod_template;
	for (size_t i = 0; workloads[i] != NULL; i++)
		if (strcmp(kind, workloads[i]) == 0)
			return spec_template;
	return NULL;
}

/*
 * The platform of a kata pod (which never gets a host TPM): kata-cc and
 * kata-cc-isolation (AKS) are confidential, the report comes from the
 * utility VM; so are upstream Confidential Containers' kata-qemu-snp and
 * kata-qemu-tdx (the guest's own report).  Other kata classes (AKS's
 * kata-vm-isolation, kata-mshv-vm-isolation) are pod sandboxes without a
 * TEE: nothing there could attest, so the pod is refused now, not blocked later.
 */
static int
kata_platform_of(const char *runtime, const char **platform)
{
	static const char *const classes[][2] = { { "kata-cc", "azure-kata-cc" }, { "kata-cc-isolation", "azure-kata-cc" },
		{ "kata-qemu-snp", "sev-snp" }, { "kata-qemu-tdx", "tdx" } };

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strcmp(runtime, classes[i][0]) == 0) {
			*platform = classes[i][1];
			return 1;
		}
	*platform = NULL;
	return 0;
}

static enum ag_code
kata_platform(const char *runtime, const char **platform, struct ag_err *err)
{
	if (kata_platform_of(runtime, platform))
		return AG_OK;
	return ag_err_set(err, AG_ECONFIG, "runtimeClassName %s is a kata sandbox without a TEE (no confidential "
	    "computing): use kata-cc-isolation (or kata-cc) for Confidential Containers, or a Confidential VM node pool", runtime);
}

/* The gate's security context and TPM mounts for access mode tpm. */
static json_t *
gate_security(const struct ag_inject_opts *o, const char *tpm, json_t *mounts, json_t *limits)
{
	if (strcmp(tpm, "privileged") == 0) {
		json_array_append_new(mounts, json_pack("{s:s, s:s}", "name", "attestgate-tpmrm0", "mountPath", "/dev/tpmrm0"));
		/* securityfs holds the TCG event log MAA derives the boot-debug claims from. */
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:b}", "name", "attestgate-securityfs", "mountPath",
						    "/sys/kernel/security", "readOnly", 1));
		return json_pack("{s:b, s:i, s:b}", "privileged", 1, "runAsUser", 0, "readOnlyRootFilesystem", 1);
	}
	if (strcmp(tpm, "devicePlugin") == 0)
		json_object_set_new(limits, o->device_plugin_resource, json_string("1"));
	return json_pack("{s:i, s:i, s:b, s:b, s:b, s:{s:[s]}}", "runAsUser", AG_GATE_FS_GROUP, "runAsGroup", AG_GATE_FS_GROUP,
	    "runAsNonRoot", 1, "allowPrivilegeEscalation", 0, "readOnlyRootFilesystem", 1, "capabilities", "drop", "ALL");
}

/* The gate's arguments: the policy pinned by digest, the platform, the pod's timeout, the node's OS as flags. */
static json_t *
gate_args(const struct ag_inject_opts *o, const struct ag_gate_plan *p, const char *digest, const char *timeout)
{
	json_t *args = json_pack("[s, s]", "run", "--policy-dir=/etc/attestgate/policies");
	char a[320];

	snprintf(a, sizeof(a), "--policy-name=%s", p->policy);
	json_array_append_new(args, json_string(a));
	snprintf(a, sizeof(a), "--policy-sha256=%s", digest);
	json_array_append_new(args, json_string(a));
	json_array_append_new(args, json_string("--output-dir=/run/attestgate"));
	snprintf(a, sizeof(a), "--platform=%s", p->platform);
	json_array_append_new(args, json_string(a));
	/* Where no hostPath may be mounted, the node's OS comes as flags (--os-distro, --os-version). */
	if (strcmp(p->tpm, "none") != 0 && o->os_distro != NULL) {
		snprintf(a, sizeof(a), "--os-distro=%s", o->os_distro);
		json_array_append_new(args, json_string(a));
		snprintf(a, sizeof(a), "--os-version=%s", o->os_version);
		json_array_append_new(args, json_string(a));
	}
	if (timeout[0] != '\0') {
		snprintf(a, sizeof(a), "--timeout=%s", timeout);
		json_array_append_new(args, json_string(a));
	}
	return args;
}

/* The gate's init container for plan p. */
static json_t *
gate_container(const struct ag_inject_opts *o, const struct ag_gate_plan *p, const char *digest, const char *timeout)
{
	json_t *mounts = json_pack("[{s:s, s:s}, {s:s, s:s, s:b}]", "name", "attestgate", "mountPath", "/run/attestgate", "name",
	    "attestgate-policies", "mountPath", "/etc/attestgate/policies", "readOnly", 1);
	json_t *limits = json_pack("{s:s}", "memory", "64Mi"), *sec = gate_security(o, p->tpm, mounts, limits), *ctr;
	int kata_cc = strcmp(p->platform, "azure-kata-cc") == 0;

	/* kata-cc: the UVM endorsement, mounted as Microsoft's samples mount it, and the pod's agent policy annotation
	 * (downward API) for expectHostData. */
	if (kata_cc) {
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:b}", "name", "attestgate-uvm-reference-info", "mountPath",
						    AG_KATA_UVM_DIR "/reference-info-base64", "readOnly", 1));
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:b}", "name", "attestgate-pod", "mountPath",
						    "/etc/attestgate/pod", "readOnly", 1));
	}
	/* CVM nodes: AzureGuest reports the node's OS (NAME, VERSION_ID), so the gate reads the node's os-release. */
	if (strcmp(p->tpm, "none") != 0 && o->os_distro == NULL)
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:b}", "name", "attestgate-os-release", "mountPath",
						    "/etc/os-release", "readOnly", 1));
	/* spec.gpus: the gate reads the GPUs through NVML, so it gets the pod's GPUs (the kubelet hands an init
	 * container's devices on to the app containers). */
	if (p->gpus > 0) {
		char n[16];

		snprintf(n, sizeof(n), "%u", p->gpus);
		json_object_set_new(limits, p->gpu_resource, json_string(n));
	}
	ctr = json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:{s:{s:s, s:s}, s:o}}", "name", "attestgate", "image", p->image, "args",
	    gate_args(o, p, digest, timeout), "terminationMessagePolicy", "FallbackToLogsOnError", "securityContext", sec,
	    "volumeMounts", mounts, "resources", "requests", "cpu", "50m", "memory", "32Mi", "limits", limits);
	if (ctr != NULL && kata_cc)
		json_object_set_new(ctr, "env", json_pack("[{s:s, s:s}]", "name", "UVM_SECURITY_CONTEXT_DIR", "value", AG_KATA_UVM_DIR));
	return ctr;
}

/* The gate's volumes for plan p. */
static json_t *
gate_volumes(const struct ag_inject_opts *o, const struct ag_gate_plan *p)
{
	json_t *vols = json_pack("[{s:s, s:{s:s, s:s}}, {s:s, s:{s:s}}]", "name", "attestgate", "emptyDir", "medium", "Memory",
	    "sizeLimit", "1Mi", "name", "attestgate-policies", "configMap", "name", "attestgate-policies");

	if (strcmp(p->tpm, "privileged") == 0) {
		json_array_append_new(vols, json_pack("{s:s, s:{s:s, s:s}}", "name", "attestgate-tpmrm0", "hostPath", "path",
						 "/dev/tpmrm0", "type", "CharDevice"));
		json_array_append_new(vols, json_pack("{s:s, s:{s:s, s:s}}", "name", "attestgate-securityfs", "hostPath", "path",
						 "/sys/kernel/security", "type", "Directory"));
	}
	if (strcmp(p->tpm, "none") != 0 && o->os_distro == NULL)
		json_array_append_new(vols, json_pack("{s:s, s:{s:s, s:s}}", "name", "attestgate-os-release", "hostPath", "path",
						 "/etc/os-release", "type", "File"));
	if (strcmp(p->platform, "azure-kata-cc") == 0) {
		json_array_append_new(vols, json_pack("{s:s, s:{s:s}}", "name", "attestgate-uvm-reference-info", "hostPath", "path",
						 AG_KATA_UVM_DIR "/reference-info-base64"));
		json_array_append_new(vols, json_pack("{s:s, s:{s:[{s:s, s:{s:s}}]}}", "name", "attestgate-pod", "downwardAPI",
						 "items", "path", "agent-policy", "fieldRef", "fieldPath",
						 "metadata.annotations['" AG_KATA_AGENT_POLICY_ANNOTATION "']"));
	}
	return vols;
}

/* The annotations' values: only the two strings mean something ("yes", "True", 1: YAML tools and people disagree). */
static enum ag_code
check_intent(const struct ag_pod_intent *in, struct ag_err *err)
{
	static const char *const tpm_modes[] = { "privileged", "devicePlugin", "none", NULL };
	int64_t ms;
	int ok = in->tpm_access[0] == '\0';

	if (strcmp(in->inject, "") != 0 && strcmp(in->inject, "true") != 0 && strcmp(in->inject, "false") != 0)
		return ag_err_set(err, AG_ECONFIG, "attestgate.io/inject is \"%s\": write \"true\" or \"false\"", in->inject);
	if (strcmp(in->skip, "") != 0 && strcmp(in->skip, "true") != 0 && strcmp(in->skip, "false") != 0)
		return ag_err_set(err, AG_ECONFIG, "attestgate.io/skip is \"%s\": write \"true\" or \"false\"", in->skip);
	for (size_t i = 0; tpm_modes[i] != NULL; i++)
		ok |= strcmp(in->tpm_access, tpm_modes[i]) == 0;
	if (!ok)
		return ag_err_set(err, AG_ECONFIG, "attestgate.io/tpm-access is \"%s\": write privileged, devicePlugin or none",
		    in->tpm_access);
	if (in->timeout[0] != '\0' && (ag_duration_parse(in->timeout, &ms, err) != AG_OK || ms <= 0))
		return ag_err_set(err, AG_ECONFIG, "attestgate.io/timeout is \"%s\": write a duration such as 90s or 2m",
		    in->timeout);
	return AG_OK;
}

/* The policy of the template (annotation, else the default), its digest, and whether it allows the pod's platform. */
static enum ag_code
resolve_policy(const struct ag_inject_opts *o, const struct ag_pod_intent *in, struct ag_gate_plan *p, const char **digest,
    struct ag_err *err)
{
	const char *where;

	snprintf(p->policy, sizeof(p->policy), "%s", in->policy[0] != '\0' ? in->policy : o->default_policy != NULL ?
	    o->default_policy : "");
	if (p->policy[0] == '\0')
		return ag_err_set(err, AG_ECONFIG, "no policy for this pod: annotate it with attestgate.io/policy or pass "
						   "--policy-name");
	*digest = o->digest(p->policy, o->digest_arg);
	if (*digest == NULL) {
		char why[ERR_MAX] = "";

		if (o->problem != NULL)
			o->problem(p->policy, why, sizeof(why), o->digest_arg);
		return ag_err_set(err, AG_ECONFIG, "policy \"%s\" not found (looked in --policy-dir)%s%s", p->policy,
		    why[0] != '\0' ? ": " : "", why);
	}
	/* A policy that cannot pass on the pod's platform is a mistake to say now, not a blocked pod later. */
	where = strcmp(p->platform, "azure-kata-cc") == 0 ? "azure-kata-cc" : strcmp(p->tpm, "none") != 0 ? "azure-cvm" : NULL;
	if (where != NULL && o->allows != NULL && !o->allows(p->policy, where, o->digest_arg))
		return ag_err_set(err, AG_ECONFIG, "this pod runs on %s, which policy \"%s\" does not allow: annotate it with a "
		    "policy for %s (attestgate.io/policy)", strcmp(where, "azure-cvm") == 0 ? "a Confidential VM node (azure-cvm)" :
		    "kata-cc (azure-kata-cc)", p->policy, where);
	p->gpus = o->gpus != NULL ? o->gpus(p->policy, o->digest_arg) : 0;
	snprintf(p->gpu_resource, sizeof(p->gpu_resource), "%s", o->gpu_resource != NULL ? o->gpu_resource :
	    AG_GPU_RESOURCE_DEFAULT);
	if (p->gpus > 0 && ag_runtime_is_kata(in->runtime_class))
		return ag_err_set(err, AG_ECONFIG, "policy \"%s\" attests NVIDIA GPUs (spec.gpus), which the gate reaches only on "
		    "a Confidential VM node, not in a %s pod", p->policy, in->runtime_class);
	return AG_OK;
}

/* The gate's image: the GPU image (given, or the image's tag + AG_GPU_IMAGE_SUFFIX) when the policy attests GPUs. */
static enum ag_code
plan_image(const struct ag_inject_opts *o, struct ag_gate_plan *p, struct ag_err *err)
{
	const char *img = o->image, *slash = strrchr(img, '/'), *colon = strrchr(img, ':');
	int n;

	if (p->gpus == 0 || o->gpu_image != NULL)
		n = snprintf(p->image, sizeof(p->image), "%s", p->gpus > 0 ? o->gpu_image : img);
	else if (strchr(img, '@') != NULL || colon == NULL || (slash != NULL && colon < slash))
		return ag_err_set(err, AG_ECONFIG, "policy \"%s\" attests NVIDIA GPUs: the gate needs the image with the NVML "
		    "helper, and %s has no tag to add " AG_GPU_IMAGE_SUFFIX " to: pass --gpu-image", p->policy, img);
	else
		n = snprintf(p->image, sizeof(p->image), "%s" AG_GPU_IMAGE_SUFFIX, img);
	if (n < 0 || (size_t)n >= sizeof(p->image))
		return ag_err_set(err, AG_ECONFIG, "the gate image's name is too long");
	return AG_OK;
}

enum ag_code
ag_gate_plan_make(const struct ag_inject_opts *o, const struct ag_pod_intent *in, struct ag_gate_plan *p, struct ag_err *err)
{
	const char *digest = NULL;
	enum ag_code rc;

	memset(p, 0, sizeof(*p));
	if ((rc = check_intent(in, err)) != AG_OK)
		return rc;
	if (!ag_pod_intent_asks(o, in))
		return AG_OK;
	p->platform = "auto";
	p->tpm = in->tpm_access[0] != '\0' ? in->tpm_access : o->tpm_access;
	if (ag_runtime_is_kata(in->runtime_class)) {
		if ((rc = kata_platform(in->runtime_class, &p->platform, err)) != AG_OK)
			return rc;
		p->tpm = "none";
	}
	if ((o->os_distro == NULL) != (o->os_version == NULL))
		return ag_err_set(err, AG_ECONFIG, "the node's OS needs both --os-distro and --os-version");
	if (strcmp(p->tpm, "devicePlugin") == 0 && (o->device_plugin_resource == NULL || o->device_plugin_resource[0] == '\0'))
		return ag_err_set(err, AG_ECONFIG, "attestgate.io/tpm-access devicePlugin needs --device-plugin-resource");
	if ((rc = resolve_policy(o, in, p, &digest, err)) != AG_OK || (rc = plan_image(o, p, err)) != AG_OK)
		return rc;
	p->container = gate_container(o, p, digest, in->timeout);
	p->volumes = gate_volumes(o, p);
	p->app_mount = json_pack("{s:s, s:s, s:b}", "name", "attestgate", "mountPath", "/run/attestgate", "readOnly", 1);
	if (p->container == NULL || p->volumes == NULL || p->app_mount == NULL) {
		ag_gate_plan_clear(p);
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	}
	p->action = AG_GATE_GIVE;
	return AG_OK;
}

const json_t *
ag_k8s_named(const json_t *seq, const char *name)
{
	const json_t *item;
	size_t i;

	json_array_foreach(seq, i, item) {
		const json_t *n = json_object_get(item, "name");

		if (json_is_string(n) && strcmp(json_string_value(n), name) == 0)
			return item;
	}
	return NULL;
}

int
ag_gate_looks_injected(const char *status, const json_t *spec)
{
	return strcmp(status, "injected") == 0 || ag_k8s_named(json_object_get(spec, "initContainers"), "attestgate") != NULL ||
	    ag_k8s_named(json_object_get(spec, "volumes"), "attestgate") != NULL ||
	    ag_k8s_named(json_object_get(spec, "volumes"), "attestgate-policies") != NULL;
}

int
ag_gate_mounts_outputs(const json_t *ctr, int ro)
{
	const json_t *m = ag_k8s_named(json_object_get(ctr, "volumeMounts"), "attestgate");
	const char *path = json_string_value(json_object_get(m, "mountPath"));

	return path != NULL && strcmp(path, "/run/attestgate") == 0 &&
	    (!ro || json_is_true(json_object_get(m, "readOnly")));
}

/*
 * Nonzero when want is contained in have: every member of an object with
 * a contained value (have may have more: what the API server defaults, such
 * as a volume's defaultMode or a fieldRef's apiVersion), arrays item by item
 * with the same length, scalars equal.
 */
static int
contained(const json_t *want, const json_t *have, int depth)
{
	const char *key;
	json_t *v;
	size_t i;

	if (depth > 32 || have == NULL || json_typeof(want) != json_typeof(have))
		return 0;
	if (json_is_object(want)) {
		json_object_foreach((json_t *)want, key, v)
			if (!contained(v, json_object_get(have, key), depth + 1))
				return 0;
		return 1;
	}
	if (json_is_array(want)) {
		if (json_array_size(want) != json_array_size(have))
			return 0;
		json_array_foreach(want, i, v)
			if (!contained(v, json_array_get(have, i), depth + 1))
				return 0;
		return 1;
	}
	return json_equal(want, have);
}

/* The service account token mount the API server adds to every container (the ServiceAccount admission plugin). */
#define SA_TOKEN_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Nonzero when the mounts have are the planned want (each contained) plus, at most, the service account token
 * (read-only, as the ServiceAccount admission plugin mounts it). */
static int
mounts_match(const json_t *want, const json_t *have)
{
	const json_t *m;
	size_t i, found = 0;

	json_array_foreach(have, i, m) {
		const char *name = json_string_value(json_object_get(m, "name")), *path = json_string_value(json_object_get(m,
		    "mountPath"));
		const json_t *w = name != NULL ? ag_k8s_named(want, name) : NULL;

		if (w != NULL && contained(w, m, 0))
			found++;
		else if (w != NULL || path == NULL || strcmp(path, SA_TOKEN_DIR) != 0 || !json_is_true(json_object_get(m, "readOnly")))
			return 0;
	}
	return found == json_array_size(want);
}

/* Nonzero when images a and b are of one repository (they may differ in tag or digest). */
static int
same_repository(const char *a, const char *b)
{
	size_t la = strcspn(a, "@"), lb = strcspn(b, "@");
	const char *ta = memrchr(a, ':', la), *tb = memrchr(b, ':', lb);

	/* A ':' after the last '/' starts the tag (one before it is a registry's port). */
	if (ta != NULL && memchr(ta, '/', la - (size_t)(ta - a)) == NULL)
		la = (size_t)(ta - a);
	if (tb != NULL && memchr(tb, '/', lb - (size_t)(tb - b)) == NULL)
		lb = (size_t)(tb - b);
	return la == lb && memcmp(a, b, la) == 0;
}

/*
 * Why the first init container is not the planned gate, or NULL; *other is
 * set when it is not a version of the gate at all (another name, another
 * image repository, settings the gate is never rendered with such as a
 * command, outputs not written to the attestgate volume), left 0 when it is
 * the gate as rendered before (another tag, policy digest, mounts,
 * resources, security context).  What the API server adds to a pod it admits
 * is accepted: imagePullPolicy, terminationMessagePath, resource defaults
 * (LimitRanger), the service account token mount.  So a gate rendered by
 * `attestgate inject` is recognised by the webhook after the API server has
 * defaulted it.
 */
static const char *
container_differs(const struct ag_gate_plan *p, const json_t *first, int *other)
{
	static const char *const exact[] = { "name", "image", "args", "env", "securityContext", "terminationMessagePolicy",
		NULL };
	const json_t *want = p->container;
	const char *key, *image = json_string_value(json_object_get(first, "image"));
	json_t *v;

	*other = 1;
	if (!json_is_object(first) || !json_equal(json_object_get(first, "name"), json_object_get(want, "name")))
		return "the first init container is not the gate";
	if (image == NULL || !same_repository(image, json_string_value(json_object_get(want, "image"))))
		return "the gate runs an image of another repository";
	/* Anything the gate is not rendered with (command, restartPolicy, lifecycle...) can keep it from attesting. */
	json_object_foreach((json_t *)first, key, v)
		if (json_object_get(want, key) == NULL && strcmp(key, "imagePullPolicy") != 0 &&
		    strcmp(key, "terminationMessagePath") != 0 && strcmp(key, "env") != 0)
			return "the gate container has settings the gate is not rendered with (command, restartPolicy...)";
	if (!ag_gate_mounts_outputs(first, 0))
		return "the gate does not write to the attestgate volume at /run/attestgate";
	*other = 0;
	if (strcmp(image, json_string_value(json_object_get(want, "image"))) != 0)
		return "the gate runs another image";
	if (!json_equal(json_object_get(first, "args"), json_object_get(want, "args")))
		return "the gate's arguments are not the ones for this pod's policy, digest and platform";
	for (size_t i = 0; exact[i] != NULL; i++)
		if ((json_object_get(first, exact[i]) != NULL || json_object_get(want, exact[i]) != NULL) &&
		    !json_equal(json_object_get(first, exact[i]), json_object_get(want, exact[i])))
			return "the gate container is not the one this tool renders for this pod now (environment or security "
			       "context)";
	/* An older gate lacks a mount, or runs privileged where the TPM now comes from a device plugin. */
	if (!mounts_match(json_object_get(want, "volumeMounts"), json_object_get(first, "volumeMounts")) ||
	    !contained(json_object_get(want, "resources"), json_object_get(first, "resources"), 0))
		return "the gate container is not the one this tool renders for this pod now (mounts or resources)";
	return NULL;
}

/* Why the pod around a gate is not as planned (volumes, fsGroup, the apps' mounts), or NULL; *missing: mounts to add. */
static const char *
pod_differs(const struct ag_gate_plan *p, const json_t *spec, int *missing)
{
	const json_t *vols = json_object_get(spec, "volumes"), *gv, *c;
	size_t i;

	*missing = 0;
	json_array_foreach(p->volumes, i, gv)
		if (!contained(gv, ag_k8s_named(vols, json_string_value(json_object_get(gv, "name"))), 0))
			return "the gate's volumes are not the ones this tool renders for this pod now";
	if (json_object_get(json_object_get(spec, "securityContext"), "fsGroup") == NULL)
		return "the pod has no fsGroup, so its app cannot read the token";
	json_array_foreach(json_object_get(spec, "containers"), i, c) {
		if (ag_k8s_named(json_object_get(c, "volumeMounts"), "attestgate") == NULL)
			*missing = 1;
		else if (!ag_gate_mounts_outputs(c, 1))
			return "a container does not mount the gate's outputs read-only at /run/attestgate";
	}
	return NULL;
}

enum ag_gate_state
ag_gate_plan_compare(const struct ag_gate_plan *p, const json_t *spec, const char **why)
{
	const json_t *out = ag_k8s_named(json_object_get(spec, "volumes"), "attestgate");
	int other = 0, missing = 0;

	*why = container_differs(p, json_array_get(json_object_get(spec, "initContainers"), 0), &other);
	if (*why != NULL && other)
		return AG_GATE_OTHER;
	if (json_object_get(out, "emptyDir") == NULL || json_object_get(out, "hostPath") != NULL ||
	    json_object_get(out, "configMap") != NULL) {
		*why = "the attestgate volume is not an emptyDir";
		return AG_GATE_OTHER;
	}
	if (*why == NULL)
		*why = pod_differs(p, spec, &missing);
	if (*why != NULL)
		return AG_GATE_STALE;
	return missing ? AG_GATE_MOUNTS_MISSING : AG_GATE_EXACT;
}

/* The number of resource the app containers ask for (limits, else requests), summed; -1 when one cannot be read. */
static long
app_resource(const json_t *spec, const char *resource)
{
	const json_t *c, *res, *v;
	long sum = 0;
	size_t i;

	json_array_foreach(json_object_get(spec, "containers"), i, c) {
		char *end = NULL;
		long n;

		res = json_object_get(c, "resources");
		v = json_object_get(json_object_get(res, "limits"), resource);
		if (v == NULL)
			v = json_object_get(json_object_get(res, "requests"), resource);
		if (v == NULL)
			continue;
		n = json_is_integer(v) ? (long)json_integer_value(v) : json_is_string(v) ?
		    strtol(json_string_value(v), &end, 10) : -1;
		if (n < 0 || n > 1024 || (end != NULL && (*end != '\0' || end == json_string_value(v))))
			return -1;
		sum += n;
	}
	return sum;
}

const char *
ag_gate_plan_conflict(struct ag_gate_plan *p, const json_t *spec)
{
	const json_t *v, *c, *m;
	size_t i, k;
	long app;

	json_array_foreach(p->volumes, i, v)
		if (ag_k8s_named(json_object_get(spec, "volumes"), json_string_value(json_object_get(v, "name"))) != NULL)
			return "the pod already has a volume of one of the gate's names (attestgate*): rename it";
	json_array_foreach(json_object_get(spec, "containers"), i, c) {
		json_array_foreach(json_object_get(c, "volumeMounts"), k, m) {
			const char *name = json_string_value(json_object_get(m, "name")), *path = json_string_value(json_object_get(m,
			    "mountPath"));
			int ours = name != NULL && strcmp(name, "attestgate") == 0, at_outputs = path != NULL &&
			    strcmp(path, "/run/attestgate") == 0;

			if ((ours || at_outputs) && !(ours && at_outputs && json_is_true(json_object_get(m, "readOnly"))))
				return "a container already mounts a volume named attestgate, or something at /run/attestgate: "
				       "the gate's outputs go there read-only; rename or move that mount";
		}
	}
	/* Every GPU the app gets is one the gate attested: the kubelet hands the gate's GPUs on to the app. */
	if (p->gpus > 0 && (app = app_resource(spec, p->gpu_resource)) != (long)p->gpus) {
		if (app < 0)
			snprintf(p->why, sizeof(p->why), "an app container's %s is not a whole number", p->gpu_resource);
		else
			snprintf(p->why, sizeof(p->why), "the app containers ask for %ld %s, but policy \"%s\" attests %u "
			    "(spec.gpus.count): make them equal, so every GPU the app gets is one the gate attested", app,
			    p->gpu_resource, p->policy, p->gpus);
		return p->why;
	}
	return NULL;
}

void
ag_gate_plan_clear(struct ag_gate_plan *p)
{
	json_decref(p->container);
	json_decref(p->volumes);
	json_decref(p->app_mount);
	memset(p, 0, sizeof(*p));
}
