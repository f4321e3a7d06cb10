/*
 * cmd_run.c - `attestgate run`: maps flags onto the gate's configuration.
 */
#include <jansson.h>
#include <signal.h>
#include <string.h>

#include "commands.h"
#include "gate/gate.h"
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
	cfg.termination_log = cli_get(v, "termination-log");
	/* The kubelet creates /dev/termination-log; an explicit other path is created by us. */
	cfg.termination_log_create = strcmp(cfg.termination_log, "/dev/termination-log") != 0;
	return (int)ag_gate_run(&cfg);
}
