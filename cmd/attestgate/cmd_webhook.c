/*
 * cmd_webhook.c - `attestgate webhook`: the mutating admission webhook for
 * Confidential VM node pools.  Flags only; the server is serve/webhook.c,
 * the decision the same one `attestgate inject` makes (k8s/gate_plan.c).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "base/version.h"
#include "serve/webhook.h"

/* A whole number flag within [lo, hi]; -1 when it is not one. */
static long
count_flag(const struct cli_values *v, const char *name, long lo, long hi)
{
	const char *s = cli_get(v, name);
	char *end = NULL;
	long n;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	n = strtol(s, &end, 10);
	return *end == '\0' && n >= lo && n <= hi ? n : -1;
}

int
cmd_webhook(const struct cli_cmd *cmd, const struct cli_values *v)
{
	struct ag_webhook_config cfg;
	struct ag_err err;
	long conns = count_flag(v, "max-connections", 1, 4096), bytes = count_flag(v, "max-request-bytes", 4096, 64L << 20);

	ag_err_clear(&err);
	memset(&cfg, 0, sizeof(cfg));
	if (conns < 0)
		return cli_usage_error(cmd, "--max-connections takes a number from 1 to 4096");
	if (bytes < 0)
		return cli_usage_error(cmd, "--max-request-bytes takes a number from 4096 to 67108864");
	cfg.listen = cli_get(v, "listen");
	cfg.cert_file = cli_get(v, "tls-cert");
	cfg.key_file = cli_get(v, "tls-key");
	cfg.policy_dir = cli_get(v, "policy-dir");
	cfg.inject.image = cli_get(v, "image") != NULL ? cli_get(v, "image") : "ghcr.io/attestgate/attestgate:" AG_VERSION;
	cfg.inject.default_policy = cli_get(v, "policy-name");
	cfg.inject.tpm_access = cli_get(v, "tpm-access");
	cfg.inject.device_plugin_resource = cli_get(v, "device-plugin-resource");
	cfg.inject.gpu_image = cli_get(v, "gpu-image");
	cfg.inject.gpu_resource = cli_get(v, "gpu-resource");
	cfg.inject.os_distro = cli_get(v, "os-distro");
	cfg.inject.os_version = cli_get(v, "os-version");
	if ((cfg.inject.os_distro == NULL) != (cfg.inject.os_version == NULL))
		return cli_usage_error(cmd, "--os-distro and --os-version go together");
	cfg.max_connections = (int)conns;
	cfg.max_request_bytes = (size_t)bytes;
	cfg.request_timeout_ms = cli_get_duration_ms(v, "request-timeout");
	cfg.reload_interval_ms = cli_get_duration_ms(v, "reload-interval");
	cfg.shutdown_delay_ms = cli_get_duration_ms(v, "shutdown-delay");
	cfg.shutdown_timeout_ms = cli_get_duration_ms(v, "shutdown-timeout");
	if (cfg.request_timeout_ms < 100 || cfg.request_timeout_ms > 30000)
		return cli_usage_error(cmd, "--request-timeout must be from 100ms to 30s (under the API server's timeoutSeconds)");
	if (cfg.reload_interval_ms < 100)
		return cli_usage_error(cmd, "--reload-interval must be at least 100ms");
	if (ag_webhook_serve(&cfg, &err) != AG_OK) {
		fprintf(stderr, "attestgate webhook: %s\n", err.msg);
		return (int)err.code;
	}
	return 0;
}

static const struct cli_flag webhook_flags[] = {
	{ "listen", CLI_STRING, "ADDR:PORT", "0.0.0.0:8443", NULL, "where to serve HTTPS ([::]:8443 for IPv6)", 0, 0 },
	{ "tls-cert", CLI_STRING, "FILE", "/etc/attestgate/tls/tls.crt", NULL,
	    "serving certificate chain (PEM, leaf first; reloaded when it changes)", 0, 0 },
	{ "tls-key", CLI_STRING, "FILE", "/etc/attestgate/tls/tls.key", NULL, "its private key (PEM; reloaded with it)", 0, 0 },
	{ "policy-dir", CLI_STRING, "DIR", "/etc/attestgate/policies", NULL,
	    "the installed policies, each pinned by its SHA-256 (reloaded when the ConfigMap changes)", 0, 0 },
	{ "image", CLI_STRING, "IMAGE", NULL, NULL, "attestgate image reference the gate runs", 0, 0 },
	{ "policy-name", CLI_STRING, "NAME", NULL, NULL, "policy for pods without attestgate.io/policy", 0, 0 },
	{ "tpm-access", CLI_CHOICE, "MODE", "privileged", "privileged|devicePlugin|none",
	    "how the gate reaches the vTPM (a pod's attestgate.io/tpm-access overrides it)", 0, 0 },
	{ "device-plugin-resource", CLI_STRING, "NAME", "squat.ai/tpmrm0", NULL,
	    "extended resource of the TPM device plugin (tpm-access devicePlugin)", 0, 0 },
	{ "gpu-image", CLI_STRING, "IMAGE", NULL, NULL,
	    "the gate image with the NVML helper, for pods whose policy attests GPUs (default: --image's tag + -nvidia)", 0, 0 },
	{ "gpu-resource", CLI_STRING, "NAME", AG_GPU_RESOURCE_DEFAULT, NULL,
	    "the extended resource of the GPUs the gate asks for when its policy attests GPUs (spec.gpus.count of them)", 0, 0 },
	{ "os-distro", CLI_STRING, "NAME", NULL, NULL, "the nodes' NAME as a flag instead of their /etc/os-release (with --os-version)", 0, 0 },
	{ "os-version", CLI_STRING, "VERSION", NULL, NULL, "the nodes' VERSION_ID (with --os-distro)", 0, 0 },
	{ "max-connections", CLI_STRING, "N", "128", NULL, "open connections at most (more wait in the listen backlog)", 0, 0 },
	{ "max-request-bytes", CLI_STRING, "N", "3145728", NULL, "largest request body; larger ones get 413 unread", 0, 0 },
	{ "request-timeout", CLI_DURATION, "DURATION", "3s", NULL,
	    "each request must arrive and be answered within this, else its connection is closed (under timeoutSeconds)", 0, 0 },
	{ "reload-interval", CLI_DURATION, "DURATION", "2s", NULL, "how often the certificate and policy files are checked", 0, 0 },
	{ "shutdown-delay", CLI_DURATION, "DURATION", "5s", NULL,
	    "after SIGTERM, keep serving (readyz 503) this long so the Service stops sending requests", 0, 0 },
	{ "shutdown-timeout", CLI_DURATION, "DURATION", "20s", NULL, "then wait at most this long for open requests", 0, 0 },
	{ 0 },
};

const struct cli_cmd cmd_webhook_command = { "webhook", "Serve the mutating admission webhook that injects the gate (CVM node pools).",
    "POST /mutate answers admission.k8s.io/v1 AdmissionReviews: a Pod (or a workload's pod\n"
    "template) annotated attestgate.io/inject: \"true\" gets exactly the gate `attestgate\n"
    "inject` would add, as a JSONPatch.  kata pods are allowed unchanged with a warning\n"
    "(inject them before generating their agent policy).  /healthz, /readyz and /metrics\n"
    "(Prometheus) on the same port.  SIGTERM: not ready, then drain.",
    webhook_flags, cmd_webhook };
