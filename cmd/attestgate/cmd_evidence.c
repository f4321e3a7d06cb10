/*
 * cmd_evidence.c - `attestgate evidence`: collects evidence bound to a
 * nonce (given, or 32 fresh random bytes) into a bundle directory.  Nothing
 * is sent anywhere and nothing is judged beyond the collector's own checks.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "commands.h"
#include "base/digest.h"
#include "base/log.h"
#include "platform/platform.h"
#include "node/tpm.h"

int
cmd_evidence(const struct cli_cmd *cmd, const struct cli_values *v)
{
	const char *out = cli_get(v, "out"), *hex = cli_get(v, "nonce");
	struct ag_nonce nonce;
	struct ag_collect_opts o;
	struct ag_evidence e;
	struct ag_err err;
	enum ag_code rc;

	if (out == NULL) {
		(void)cli_usage_error(cmd, "--out is required");
		return AG_ECONFIG;
	}
	ag_err_clear(&err);
	rc = hex != NULL ? ag_nonce_from_hex(&nonce, hex, "--nonce", &err) : ag_nonce_draw(&nonce, &err);
	if (rc != AG_OK) {
		fprintf(stderr, "attestgate %s: %s\n", cmd->name, err.msg);
		return (int)rc;
	}
	memset(&o, 0, sizeof(o));
	o.tcti = cli_get(v, "tcti");
	o.nonce = &nonce;
	o.fresh_report = cli_get_bool(v, "fresh-report");
	o.deadline_ms = ag_clock_mono_ms() + cli_get_duration_ms(v, "timeout");
	o.eventlog = cli_get(v, "eventlog");
	o.tsm_root = cli_get(v, "tsm-root");
	o.imds_url = cli_get(v, "imds-url");
	o.sev_guest = cli_get(v, "sev-guest");
	o.uvm_dir = cli_get(v, "uvm-security-context-dir");
	o.vmpl = -1;
	ag_evidence_init(&e);
	ag_err_clear(&err);
	rc = ag_tpm_tcti_check(o.tcti, &err);
	if (rc == AG_OK)
		rc = ag_platform_collect(cli_get(v, "platform"), &o, &e, &err);
	if (rc == AG_OK)
		rc = ag_evidence_write_bundle(&e, out, &err);
	if (rc == AG_OK) {
		json_t *names = json_array();

		for (size_t i = 0; i < e.n_files; i++)
			json_array_append_new(names, json_string(e.files[i].name));
		ag_log(AG_LOG_INFO, "evidence written", "platform", json_string(e.platform), "reportType",
		    json_string(e.report_type), "out", json_string(out), "files", names, NULL);
	} else {
		fprintf(stderr, "attestgate %s: %s\n", cmd->name, err.msg);
	}
	ag_evidence_clear(&e);
	return (int)rc;
}

static const struct cli_flag evidence_flags[] = {
	{ "platform", CLI_CHOICE, "NAME", "auto", "auto|azure-cvm|azure-kata-cc|sev-snp|tdx",
	    "evidence source", 0, 0 },
	{ "out", CLI_STRING, "DIR", NULL, NULL, "bundle directory to write (created if missing)", 0, 0 },
	{ "tcti", CLI_STRING, "SPEC", "device:/dev/tpmrm0", NULL,
	    "TPM transport: device:PATH, swtpm:path=SOCK or swtpm:host=H,port=P", 0, 0 },
	{ "nonce", CLI_STRING, "HEX", NULL, NULL, "caller nonce bound into the evidence (default: 32 random bytes)", 0, 0 },
	{ "fresh-report", CLI_BOOL, NULL, NULL, NULL, "ask the paravisor for a fresh HCL report", 0, 0 },
	{ "eventlog", CLI_STRING, "FILE", "/sys/kernel/security/tpm0/binary_bios_measurements", NULL,
	    "TCG event log (absent is recorded, not an error)", 0, 0 },
	{ "tsm-root", CLI_STRING, "DIR", "/sys/kernel/config/tsm/report", NULL,
	    "configfs-tsm report directory (SEV-SNP and TDX guests)", 0, 0 },
	{ "sev-guest", CLI_STRING, "DEVICE", "/dev/sev-guest", NULL, "SEV-SNP guest device (when configfs-tsm is absent)", 0, 0 },
	{ "uvm-security-context-dir", CLI_STRING, "DIR", NULL, NULL,
	    "kata-cc: the UVM's security context (default: $UVM_SECURITY_CONTEXT_DIR)", 0, 0 },
	{ "imds-url", CLI_STRING, "URL", "http://169.254.169.254", NULL, "Azure IMDS (TDX CVMs: the TD quote service)", 0, 0 },
	{ "timeout", CLI_DURATION, "DURATION", "2m", NULL, "overall deadline", 0, 0 },
	{ 0 },
};

const struct cli_cmd cmd_evidence_command = { "evidence", "Collect raw evidence into a bundle directory, nothing else.",
    "Writes evidence.json (platform, nonce, files with SHA-256) and the evidence files.\n"
    "Exit 3 when the evidence cannot be read, 6 when it fails its own checks.",
    evidence_flags, cmd_evidence };
