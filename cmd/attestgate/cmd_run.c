/*
 * cmd_run.c - `attestgate run`: maps flags onto the gate's configuration.
 */
#include <jansson.h>
#include <signal.h>
#include <string.h>

#include "commands.h"
#include "gate/gate.h"
#include "platform/nvml_helper.h"
#include "base/log.h"

static volatile sig_atomic_t stop_requested;

static void
on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

int
cmd_run(const struct cli_cmd *cmd, const struct cli_values *v)
{
	struct ag_gate_config cfg;

	(void)cmd;
	memset(&cfg, 0, sizeof(cfg));
	cfg.policy_dir = cli_get(v, "policy-dir");
	cfg.policy_name = cli_get(v, "policy-name");
	cfg.policy_file = cli_get(v, "policy");
	cfg.policy_sha256 = cli_get(v, "policy-sha256");
	cfg.output_dir = cli_get(v, "output-dir");
	cfg.platform = cli_get(v, "platform");
	cfg.timeout_ms = cli_get_duration_ms(v, "timeout");
	cfg.keep_evidence = cli_get_bool(v, "keep-evidence");
	cfg.print_claims = cli_get_bool(v, "print-claims");
	cfg.tcti = cli_get(v, "tcti");
	cfg.ca_file = cli_get(v, "ca-file");
	cfg.insecure_test_ca = cli_get(v, "insecure-test-ca");
	cfg.imds_url = cli_get(v, "imds-url");
	cfg.insecure_test_roots = cli_get(v, "insecure-test-roots");
	if (cfg.insecure_test_roots != NULL)
		ag_log(AG_LOG_WARN, "INSECURE: trusting test AMD roots (--insecure-test-roots); never in production", "dir",
		    json_string(cfg.insecure_test_roots), NULL);
	cfg.eventlog = cli_get(v, "eventlog");
	cfg.os_release = cli_get(v, "os-release");
	cfg.os_distro = cli_get(v, "os-distro");
	cfg.os_version = cli_get(v, "os-version");
	cfg.cancel = &stop_requested;
	if (cfg.insecure_test_ca != NULL)
		ag_log(AG_LOG_WARN, "INSECURE: trusting a test CA for the verifier (--insecure-test-ca); never in production",
		    "file", json_string(cfg.insecure_test_ca), NULL);
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	cfg.roots = cli_get(v, "roots");
	cfg.tdx_tcb_info = cli_get(v, "tdx-tcb-info");
	cfg.tdx_tcb_chain = cli_get(v, "tdx-tcb-info-chain");
	cfg.tdx_qe_identity = cli_get(v, "tdx-qe-identity");
	cfg.tdx_qe_identity_chain = cli_get(v, "tdx-qe-identity-chain");
	cfg.crls = cli_get(v, "crl");
	cfg.kds_url = cli_get(v, "amd-kds-url");
	cfg.cert_cache = cli_get(v, "cert-cache");
	cfg.tsm_root = cli_get(v, "tsm-root");
	cfg.sev_guest = cli_get(v, "sev-guest");
	cfg.uvm_dir = cli_get(v, "uvm-security-context-dir");
	cfg.agent_policy_file = cli_get(v, "agent-policy-file");
	cfg.nvml_helper = cli_get(v, "nvml-helper");
	cfg.gpu_rims = cli_get(v, "gpu-rim");
	cfg.gpu_rim_dir = cli_get(v, "gpu-rim-dir");
	cfg.gpu_rim_url = cli_get(v, "gpu-rim-url");
	cfg.gpu_ocsp_url = cli_get(v, "gpu-ocsp-url");
	cfg.gpu_ocsp_responses = cli_get(v, "gpu-ocsp-response");
	cfg.gpu_no_ocsp = cli_get_bool(v, "gpu-no-ocsp");
	if (cfg.gpu_no_ocsp)
		ag_log(AG_LOG_WARN, "--gpu-no-ocsp: GPU and RIM certificates are not checked for revocation", NULL);
	cfg.termination_log = cli_get(v, "termination-log");
	/* The kubelet creates /dev/termination-log; an explicit other path is created by us. */
	cfg.termination_log_create = strcmp(cfg.termination_log, "/dev/termination-log") != 0;
	return (int)ag_gate_run(&cfg);
}

static const struct cli_flag run_flags[] = {
	{ "policy-dir", CLI_STRING, "DIR", "/etc/attestgate/policies", NULL,
	    "directory of installed policies (the chart's ConfigMap)", 0, 0 },
	{ "policy-name", CLI_STRING, "NAME", NULL, NULL, "policy to select from --policy-dir", 0, 0 },
	{ "policy", CLI_STRING, "FILE", NULL, NULL, "a single policy file instead of --policy-dir", 0, 0 },
	{ "policy-sha256", CLI_STRING, "HEX", NULL, NULL,
	    "required SHA-256 of the policy file's bytes (pinned in the pod spec)", 0, 0 },
	{ "output-dir", CLI_STRING, "DIR", "/run/attestgate", NULL,
	    "shared emptyDir for token, claims.json, status.json, ready", 0, 0 },
	{ "platform", CLI_CHOICE, "NAME", "auto", "auto|azure-cvm|azure-kata-cc|sev-snp|tdx",
	    "evidence source; auto detects and never falls back to a weaker one", 0, 0 },
	{ "timeout", CLI_DURATION, "DURATION", "2m", NULL,
	    "overall deadline, retries included", 0, 0 },
	{ "keep-evidence", CLI_BOOL, NULL, NULL, NULL, "also write the raw evidence to evidence/", 0, 0 },
	{ "print-claims", CLI_BOOL, NULL, NULL, NULL,
	    "discovery: attest, verify the token, print the verified claims; no policy rules, no token or ready", 0, 1 },
	{ "tcti", CLI_STRING, "SPEC", "device:/dev/tpmrm0", NULL,
	    "TPM transport: device:PATH, swtpm:path=SOCK or swtpm:host=H,port=P", 0, 1 },
	{ "ca-file", CLI_STRING, "FILE", NULL, NULL, "CA bundle for TLS to the verifier", 0, 1 },
	{ "insecure-test-ca", CLI_STRING, "FILE", NULL, NULL,
	    "INSECURE, tests only: trust the test verifier's CA in FILE", 0, 1 },
	{ "imds-url", CLI_STRING, "URL", "http://169.254.169.254", NULL, "Azure IMDS (THIM certificates)", 0, 1 },
	{ "eventlog", CLI_STRING, "FILE", "/sys/kernel/security/tpm0/binary_bios_measurements", NULL,
	    "TCG event log sent with the evidence (absent is recorded)", 0, 1 },
	{ "os-release", CLI_STRING, "FILE", "/etc/os-release", NULL,
	    "the node's os-release (mount it read-only): AzureGuest sends its NAME and VERSION_ID", 0, 1 },
	{ "os-distro", CLI_STRING, "NAME", NULL, NULL,
	    "the node's NAME instead of reading --os-release (with --os-version; where no hostPath may be mounted)", 0, 1 },
	{ "os-version", CLI_STRING, "VERSION", NULL, NULL, "the node's VERSION_ID (with --os-distro), e.g. 22.04", 0, 1 },
	{ "tsm-root", CLI_STRING, "DIR", "/sys/kernel/config/tsm/report", NULL,
	    "configfs-tsm report directory (SEV-SNP and TDX guests)", 0, 1 },
	{ "sev-guest", CLI_STRING, "DEVICE", "/dev/sev-guest", NULL, "SEV-SNP guest device (when configfs-tsm is absent)", 0, 1 },
	{ "uvm-security-context-dir", CLI_STRING, "DIR", NULL, NULL,
	    "kata-cc: the UVM's security context (default: $UVM_SECURITY_CONTEXT_DIR)", 0, 1 },
	{ "agent-policy-file", CLI_STRING, "FILE", AG_GATE_AGENT_POLICY_FILE, NULL,
	    "kata-cc, expectHostData: fromAnnotation: the pod's agent policy annotation (downward API)", 0, 1 },
	{ "roots", CLI_STRING, "DIR", "/etc/attestgate/roots", NULL,
	    "AMD/Intel root certificates (only pinned fingerprints are trusted)", 0, 1 },
	COLLATERAL_FLAGS
	{ "amd-kds-url", CLI_STRING, "URL", NULL, NULL,
	    "fetch VCEKs from AMD KDS when no other source has one (off by default; AMD's is https://kdsintf.amd.com)", 0, 1 },
	{ "cert-cache", CLI_STRING, "DIR", NULL, NULL, "VCEK cache directory: read first, filled from THIM/KDS", 0, 1 },
	{ "insecure-test-roots", CLI_STRING, "DIR", NULL, NULL,
	    "INSECURE, tests only: also trust the test roots in DIR", 0, 1 },
	{ "nvml-helper", CLI_STRING, "FILE", AG_NVML_HELPER_DEFAULT, NULL,
	    "spec.gpus: the attestgate-nvml helper that reads the GPUs' evidence through the driver's NVML", 0, 1 },
	GPU_RIM_FLAGS
	{ "gpu-no-ocsp", CLI_BOOL, NULL, NULL, NULL,
	    "spec.gpus: do not check revocation (no responder reachable); status.json and the GPU claims say so", 0, 1 },
	{ "termination-log", CLI_STRING, "FILE", "/dev/termination-log", NULL,
	    "where the one-line reason goes for kubectl describe", 0, 0 },
	{ 0 },
};

const struct cli_cmd cmd_run_command = { "run", "Run the gate: collect evidence, verify it, check the policy, write the outputs.",
    "Exit codes: 0 attested, 2 configuration, 3 evidence unavailable, 4 verifier\n"
    "unreachable or deadline, 5 policy denied, 6 token or evidence invalid.",
    run_flags, cmd_run };
