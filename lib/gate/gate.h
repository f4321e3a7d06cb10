/*
 * gate/gate.h - `attestgate run` as a library call: the steps of the gate, the
 * outputs they publish and the exit code.  The CLI only fills the config.
 */
#ifndef AG_GATE_H
#define AG_GATE_H

#include <signal.h>
#include <stdint.h>

#include "base/error.h"

#define AG_GATE_AGENT_POLICY_FILE "/etc/attestgate/pod/agent-policy"

struct ag_platform;
struct ag_verifier;

struct ag_gate_config {
	const char *policy_dir;
	const char *policy_name;
	const char *policy_file;
	const char *policy_sha256;
	const char *output_dir;
	const char *platform;
	int64_t timeout_ms;
	int keep_evidence;
	int print_claims;               /* discovery: print the verified claims, apply no policy, write no token or ready */
	const char *tcti;
	const char *ca_file;
	const char *insecure_test_ca;   /* tests only: CA of the test verifier */
	const char *imds_url;
	const char *eventlog;
	const char *os_release;         /* the node's os-release (AzureGuest's OS fields); NULL: the default */
	const char *os_distro, *os_version;   /* given instead of os_release (both or neither) */
	const char *tsm_root;
	const char *sev_guest;
	const char *uvm_dir;
	const char *roots;
	const char *kds_url;
	const char *cert_cache;
	const char *insecure_test_roots; /* tests only: test AMD roots */
	const char *tdx_tcb_info, *tdx_tcb_chain;          /* Intel collateral for the local checks of TD quotes */
	const char *tdx_qe_identity, *tdx_qe_identity_chain;
	const char *crls;                /* CRL files, '\n'-separated, or NULL */
	const char *nvml_helper;         /* spec.gpus: the attestgate-nvml helper; NULL: the default path */
	const char *gpu_rims;            /* spec.gpus: RIM files, '\n'-separated, or NULL */
	const char *gpu_rim_dir;         /* spec.gpus: a directory of RIMs by id, or NULL */
	const char *gpu_rim_url;         /* spec.gpus: the RIM service; NULL (and no files or directory): NVIDIA's */
	const char *gpu_ocsp_url;        /* spec.gpus: the OCSP responder; NULL (and no responses): NVIDIA's */
	const char *gpu_ocsp_responses;  /* spec.gpus: pre-fetched OCSP responses, '\n'-separated, or NULL */
	int gpu_no_ocsp;                 /* spec.gpus: revocation not checked (status.json says so) */
	const char *agent_policy_file;   /* expectHostData: the pod's kata agent policy annotation (downward API), or NULL: the default */
	const char *termination_log;
	int termination_log_create;  /* create the file if missing (explicit path) */
	volatile sig_atomic_t *cancel; /* set by a signal handler to stop (SIGTERM); NULL: none */
	/* Rows to use instead of the tables' (unit tests give fakes); NULL: the platform flag and the policy's verifier. */
	const struct ag_platform *platform_row;
	const struct ag_verifier *verifier_row;
};

/* Runs the gate end to end; always publishes a status (if the output directory opens) and returns the exit code. */
enum ag_code ag_gate_run(const struct ag_gate_config *cfg);

#endif
