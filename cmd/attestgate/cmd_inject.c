/*
 * cmd_inject.c - `attestgate inject`: reads Kubernetes YAML (a file or
 * stdin), adds the gate to the pod templates that ask for it, and writes
 * the result to stdout.  Each policy is pinned by the SHA-256 of its file
 * in --policy-dir, the bytes the pod will mount.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "base/fileio.h"
#include "k8s/inject.h"
#include "k8s/policy_set.h"
#include "base/log.h"
#include "base/version.h"

int
cmd_inject(const struct cli_cmd *cmd, const struct cli_values *v)
{
	const char *file = cli_get(v, "file"), *tpm = cli_get(v, "tpm-access");
	struct ag_inject_opts o;
	struct ag_inject_result res;
	struct ag_policy_set *d = calloc(1, sizeof(*d));
	struct ag_err err;
	uint8_t *in = NULL;
	size_t len = 0;
	enum ag_code rc;

	ag_err_clear(&err);
	if (d == NULL)
		return AG_ECONFIG;
	ag_policy_set_load(cli_get(v, "policy-dir"), d);
	memset(&o, 0, sizeof(o));
	o.image = cli_get(v, "image") != NULL ? cli_get(v, "image") : "ghcr.io/attestgate/attestgate:" AG_VERSION;
	o.default_policy = cli_get(v, "policy-name");
	o.all = cli_get_bool(v, "all");
	if (cli_get_bool(v, "update") && cli_get_bool(v, "remove")) {
		free(d);
		return cli_usage_error(cmd, "--update and --remove exclude each other");
	}
	o.mode = cli_get_bool(v, "remove") ? AG_INJECT_REMOVE : cli_get_bool(v, "update") ? AG_INJECT_UPDATE : AG_INJECT_ADD;
	o.tpm_access = tpm;
	o.device_plugin_resource = cli_get(v, "device-plugin-resource");
	o.gpu_image = cli_get(v, "gpu-image");
	o.gpu_resource = cli_get(v, "gpu-resource");
	o.os_distro = cli_get(v, "os-distro");
	o.os_version = cli_get(v, "os-version");
	if ((o.os_distro == NULL) != (o.os_version == NULL)) {
		free(d);
		return cli_usage_error(cmd, "--os-distro and --os-version go together");
	}
	o.digest = ag_policy_set_digest;
	o.allows = ag_policy_set_allows;
	o.gpus = ag_policy_set_gpus;
	o.problem = ag_policy_set_problem;
	o.digest_arg = d;
	if (strcmp(file, "-") == 0)
		rc = ag_file_read("/dev/stdin", AG_INJECT_INPUT_MAX, AG_ECONFIG, &in, &len, &err);
	else
		rc = ag_file_read(file, AG_INJECT_INPUT_MAX, AG_ECONFIG, &in, &len, &err);
	if (rc == AG_OK)
		rc = ag_inject((const char *)in, len, &o, &res, &err);
	if (rc == AG_OK) {
		fwrite(res.text, 1, res.len, stdout);
		if (fflush(stdout) != 0)
			rc = ag_err_set(&err, AG_ECONFIG, "cannot write the output");
		ag_log(AG_LOG_INFO, "inject done", "injected", json_integer(res.injected), "alreadyInjected",
		    json_integer(res.already), "notSelected", json_integer(res.skipped), "updated", json_integer(res.updated),
		    "removed", json_integer(res.removed), NULL);
		ag_inject_result_clear(&res);
	}
	if (rc != AG_OK)
		fprintf(stderr, "attestgate inject: %s\n", err.msg);
	free(in);
	free(d);
	return (int)rc;
}

static const struct cli_flag inject_flags[] = {
	{ "file", CLI_STRING, "FILE", "-", NULL, "Kubernetes YAML to read ('-' for stdin)", 'f', 0 },
	{ "policy-name", CLI_STRING, "NAME", NULL, NULL, "policy name for pods without an annotation (as run's --policy-name)", 0, 0 },
	{ "image", CLI_STRING, "IMAGE", NULL, NULL, "attestgate image reference", 0, 0 },
	{ "all", CLI_BOOL, NULL, NULL, NULL, "inject into every pod template, not only annotated ones", 0, 0 },
	{ "update", CLI_BOOL, NULL, NULL, NULL,
	    "also rewrite a gate whose image or policy digest is stale (after a policy change), and say so", 0, 1 },
	{ "remove", CLI_BOOL, NULL, NULL, NULL, "take the gate out of every pod template (init container, volumes, mounts)", 0, 1 },
	{ "policy-dir", CLI_STRING, "DIR", "/etc/attestgate/policies", NULL,
	    "where the policies are, to pin each by its SHA-256 (the files the ConfigMap installs)", 0, 0 },
	{ "tpm-access", CLI_CHOICE, "MODE", "privileged", "privileged|devicePlugin|none",
	    "how the gate reaches the vTPM on CVM nodes (kata-cc pods: always none)", 0, 0 },
	{ "os-distro", CLI_STRING, "NAME", NULL, NULL,
	    "CVM pods: the node's NAME as a flag instead of mounting its /etc/os-release (no hostPath; with --os-version)", 0, 0 },
	{ "os-version", CLI_STRING, "VERSION", NULL, NULL, "the node's VERSION_ID, e.g. 22.04 (with --os-distro)", 0, 0 },
	{ "device-plugin-resource", CLI_STRING, "NAME", "squat.ai/tpmrm0", NULL,
	    "extended resource of the TPM device plugin (--tpm-access devicePlugin)", 0, 0 },
	{ "gpu-image", CLI_STRING, "IMAGE", NULL, NULL,
	    "the gate image with the NVML helper, for pods whose policy attests GPUs (default: --image's tag + -nvidia)", 0, 0 },
	{ "gpu-resource", CLI_STRING, "NAME", AG_GPU_RESOURCE_DEFAULT, NULL,
	    "the extended resource of the GPUs the gate asks for when its policy attests GPUs (spec.gpus.count of them)", 0, 0 },
	{ 0 },
};

const struct cli_cmd cmd_inject_command = { "inject", "Add the gate to the pod templates of Kubernetes YAML (render time).",
    "Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob templates with\n"
    "the annotation attestgate.io/inject: \"true\" (or all, with --all; attestgate.io/skip:\n"
    "\"true\" opts out) get the gate as their first init container, its volumes, a\n"
    "read-only /run/attestgate in every container and attestgate.io/status: injected.\n"
    "Text is inserted, never re-emitted: the rest of the input, comments included, is\n"
    "unchanged, and running it again changes nothing.  kata-cc: inject, then generate\n"
    "the kata agent policy.",
    inject_flags, cmd_inject };
