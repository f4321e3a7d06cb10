/*
 * commands.c - the table of subcommands and their flags.  Flag names are
 * part of the product contract (DESIGN.md): each also reads from
 * ATTESTGATE_<FLAG>, except the flag_only ones: every flag that lowers security,
 * changes a trust anchor or a time, or chooses where evidence and certificates
 * come from (insecure-*, ca-file, roots, collateral, crl, url, jwks, at,
 * clock-skew, tcti, tsm-root, ...) is command-line only, so that whoever sets a
 * container's environment cannot change what is trusted.
 */
#include "commands.h"

#include <string.h>

#include "base/log.h"

/* Intel collateral and CRLs, for run and verify-evidence alike: command-line only (they decide what is trusted). */
#define COLLATERAL_FLAGS \
	{ "tdx-tcb-info", CLI_STRING, "FILE", NULL, NULL, \
	    "Intel TCB info for TD quotes (PCS /tdx/certification/v4/tcb): its status becomes attester_tcb_status", 0, 1 }, \
	{ "tdx-tcb-info-chain", CLI_STRING, "FILE", NULL, NULL, "its issuer chain, PEM (TCB-Info-Issuer-Chain)", 0, 1 }, \
	{ "tdx-qe-identity", CLI_STRING, "FILE", NULL, NULL, \
	    "Intel QE identity for TD quotes (PCS /tdx/certification/v4/qe/identity)", 0, 1 }, \
	{ "tdx-qe-identity-chain", CLI_STRING, "FILE", NULL, NULL, \
	    "its issuer chain, PEM (SGX-Enclave-Identity-Issuer-Chain; default: --tdx-tcb-info-chain)", 0, 1 }, \
	{ "crl", CLI_LIST, "FILE", NULL, NULL, \
	    "a CRL (DER or PEM) the chains are checked against: Intel PCK and Root CA CRLs, AMD KDS's", 0, 1 },

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
	{ "roots", CLI_STRING, "DIR", "/etc/attestgate/roots", NULL,
	    "AMD/Intel root certificates (only pinned fingerprints are trusted)", 0, 1 },
	COLLATERAL_FLAGS
	{ "amd-kds-url", CLI_STRING, "URL", NULL, NULL,
	    "fetch VCEKs from AMD KDS when no other source has one (off by default; AMD's is https://kdsintf.amd.com)", 0, 1 },
	{ "cert-cache", CLI_STRING, "DIR", NULL, NULL, "VCEK cache directory: read first, filled from THIM/KDS", 0, 1 },
	{ "insecure-test-roots", CLI_STRING, "DIR", NULL, NULL,
	    "INSECURE, tests only: also trust the test roots in DIR", 0, 1 },
	{ "termination-log", CLI_STRING, "FILE", "/dev/termination-log", NULL,
	    "where the one-line reason goes for kubectl describe", 0, 0 },
	{ 0 },
};

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

static const struct cli_flag verify_evidence_flags[] = {
	{ "platform", CLI_CHOICE, "NAME", NULL, "azure-cvm|azure-kata-cc|sev-snp|tdx",
	    "kind of evidence", 0, 0 },
	{ "in", CLI_STRING, "DIR", NULL, NULL, "a bundle written by attestgate evidence", 0, 0 },
	{ "snp-report", CLI_STRING, "FILE", NULL, NULL, "SEV-SNP attestation report", 0, 0 },
	{ "td-quote", CLI_STRING, "FILE", NULL, NULL, "TDX quote (v4 or v5)", 0, 0 },
	{ "runtime-data", CLI_STRING, "FILE", NULL, NULL, "the runtime data JSON the report binds (kata-cc, and bundles)", 0, 0 },
	COLLATERAL_FLAGS
	{ "hcl-report", CLI_STRING, "FILE", NULL, NULL, "Azure HCL report", 0, 0 },
	{ "quote-msg", CLI_STRING, "FILE", NULL, NULL, "TPMS_ATTEST of the vTPM quote", 0, 0 },
	{ "quote-sig", CLI_STRING, "FILE", NULL, NULL, "TPMT_SIGNATURE or raw RSA signature", 0, 0 },
	{ "pcrs", CLI_STRING, "FILE", NULL, NULL, "PCR 0-23 SHA-256 values (768 bytes)", 0, 0 },
	{ "certs", CLI_STRING, "FILE", NULL, NULL, "PEM bundle, DER certificate or cert table", 0, 0 },
	{ "nonce", CLI_STRING, "HEX", NULL, NULL, "expected nonce", 0, 0 },
	{ "at", CLI_STRING, "RFC3339", NULL, NULL, "verification time (default now)", 0, 1 },
	{ "roots", CLI_STRING, "DIR", "/etc/attestgate/roots", NULL, "root certificates", 0, 1 },
	{ "amd-kds-url", CLI_STRING, "URL", NULL, NULL,
	    "fetch VCEKs from AMD KDS when no other source has one (off by default; AMD's is https://kdsintf.amd.com)", 0, 1 },
	{ "cert-cache", CLI_STRING, "DIR", NULL, NULL, "VCEK cache directory: read first, filled from THIM/KDS", 0, 1 },
	{ "ca-file", CLI_STRING, "FILE", NULL, NULL, "CA bundle for AMD KDS", 0, 1 },
	{ "insecure-test-roots", CLI_STRING, "DIR", NULL, NULL,
	    "INSECURE: also trust the test roots in DIR (tests only)", 0, 1 },
	{ 0 },
};

/* How a token is verified: verify-token, and policy check --token. */
#define TOKEN_CHECK_FLAGS \
	{ "url", CLI_STRING, "URL", NULL, NULL, "pinned verifier instance: the issuer, and where keys come from", 0, 1 }, \
	{ "jwks", CLI_STRING, "FILE", NULL, NULL, "signing keys (default: fetch <url>/certs)", 0, 1 }, \
	{ "at", CLI_STRING, "RFC3339", NULL, NULL, "verification time (default now)", 0, 1 }, \
	{ "nonce", CLI_STRING, "NONCE", NULL, NULL, "nonce the token must carry where its protocol puts it", 0, 0 }, \
	{ "user-data", CLI_STRING, "HEX", NULL, NULL, "user data of a fresh HCL report the token must carry", 0, 0 }, \
	{ "algs", CLI_STRING, "LIST", "RS256", NULL, "allowed signature algorithms (RS256,PS256,ES256,ES384)", 0, 1 }, \
	{ "signer-sha256", CLI_STRING, "LIST", NULL, NULL, \
	    "allowed SHA-256 fingerprints of the signing certificate (x5c[0])", 0, 1 }, \
	{ "max-age", CLI_DURATION, "DURATION", NULL, NULL, "reject tokens issued longer ago (default: no limit)", 0, 1 }, \
	{ "clock-skew", CLI_DURATION, "DURATION", "60s", NULL, "tolerance for exp, nbf and iat", 0, 1 }, \
	{ "ca-file", CLI_STRING, "FILE", NULL, NULL, "CA bundle for fetching the JWKS", 0, 1 }, \
	{ "timeout", CLI_DURATION, "DURATION", "30s", NULL, "deadline for fetching the JWKS", 0, 0 },

static const struct cli_flag verify_token_flags[] = {
	{ "token", CLI_STRING, "FILE", NULL, NULL, "the JWT to verify", 0, 0 },
	TOKEN_CHECK_FLAGS
	{ 0 },
};

static const struct cli_flag policy_check_flags[] = {
	{ "policy", CLI_STRING, "FILE", NULL, NULL, "AttestationPolicy YAML", 0, 0 },
	{ "policy-sha256", CLI_STRING, "HEX", NULL, NULL, "refuse the policy unless its SHA-256 is HEX", 0, 0 },
	{ "claims", CLI_STRING, "FILE", NULL, NULL, "claims JSON object (or --token)", 0, 0 },
	{ "token", CLI_STRING, "FILE", NULL, NULL, "a verifier's token: verified (as verify-token) and its claims checked", 0, 0 },
	{ "json", CLI_BOOL, NULL, NULL, NULL, "print the rule results as JSON", 0, 0 },
	TOKEN_CHECK_FLAGS
	{ 0 },
};

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
	{ 0 },
};

const struct cli_cmd commands[] = {
	{ "run", "Run the gate: collect evidence, verify it, check the policy, write the outputs.",
	    "Exit codes: 0 attested, 2 configuration, 3 evidence unavailable, 4 verifier\n"
	    "unreachable or deadline, 5 policy denied, 6 token or evidence invalid.",
	    run_flags, cmd_run },
	{ "evidence", "Collect raw evidence into a bundle directory, nothing else.",
	    "Writes evidence.json (platform, nonce, files with SHA-256) and the evidence files.\n"
	    "Exit 3 when the evidence cannot be read, 6 when it fails its own checks.",
	    evidence_flags, cmd_evidence },
	{ "verify-evidence", "Verify recorded evidence offline against the pinned roots.",
	    "Prints the verified claims as JSON (MAA claim names) and exits 0, or the reason\n"
	    "and exits 6; 2 for usage.  With --nonce (hex) the report must be bound to it:\n"
	    "REPORT_DATA = nonce (sev-snp, tdx), or SHA-256 of the runtime data whose \"nonce\"\n"
	    "is its hex (--runtime-data; azure-kata-cc always), or the vTPM quote's qualifying\n"
	    "data (azure-cvm).",
	    verify_evidence_flags, cmd_verify_evidence },
	{ "verify-token", "Verify a verifier's JWT against the pinned issuer and its keys.",
	    "Prints the verified claims as JSON (exit 0), or why the token is not acceptable\n"
	    "(exit 6; 4 when the keys cannot be fetched, 2 for bad flags or files).",
	    verify_token_flags, cmd_verify_token },
	{ "policy check", "Evaluate a policy against a claims file (or a token it verifies) and explain each rule.",
	    "Prints each rule with its expected and actual value.  Exit 0 when the gate would\n"
	    "let the pod start (all rules hold, or the policy is in mode: audit), 5 when it\n"
	    "would not, 2 for a bad policy or claims file.",
	    policy_check_flags, cmd_policy_check },
	{ "inject", "Add the gate to the pod templates of Kubernetes YAML (render time).",
	    "Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob templates with\n"
	    "the annotation attestgate.io/inject: \"true\" (or all, with --all; attestgate.io/skip:\n"
	    "\"true\" opts out) get the gate as their first init container, its volumes, a\n"
	    "read-only /run/attestgate in every container and attestgate.io/status: injected.\n"
	    "Text is inserted, never re-emitted: the rest of the input, comments included, is\n"
	    "unchanged, and running it again changes nothing.  kata-cc: inject, then generate\n"
	    "the kata agent policy.",
	    inject_flags, cmd_inject },
	{ "version", "Print the version of attestgate and of the libraries it uses.", NULL, NULL,
	    cmd_version },
	{ 0 },
};

const struct cli_cmd *
commands_find(int argc, char **argv, int *used)
{
	for (const struct cli_cmd *c = commands; c->name != NULL; c++) {
		const char *sp = strchr(c->name, ' ');

		if (sp == NULL && argc >= 1 && strcmp(argv[0], c->name) == 0) {
			*used = 1;
			return c;
		}
		if (sp != NULL && argc >= 2 && strlen(argv[0]) == (size_t)(sp - c->name) &&
		    strncmp(argv[0], c->name, (size_t)(sp - c->name)) == 0 && strcmp(argv[1], sp + 1) == 0) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

int
commands_unknown(int argc, char **argv)
{
	const char *names[64], *hint;
	char words[32][32];
	size_t n = 0, nw = 0, glen = strlen(argv[0]);
	int group = 0, help = argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);

	for (const struct cli_cmd *c = commands; c->name != NULL && n + 2 < 64 && nw < 32; c++) {
		const char *sp = strchr(c->name, ' ');

		names[n++] = c->name;
		group |= strncmp(c->name, argv[0], glen) == 0 && c->name[glen] == ' ';
		/* A group's own word ("policy") is a candidate too. */
		if (sp != NULL && (size_t)(sp - c->name) < sizeof(words[0])) {
			snprintf(words[nw], sizeof(words[nw]), "%.*s", (int)(sp - c->name), c->name);
			names[n++] = words[nw++];
		}
	}
	if (group && (argc == 1 || help)) {
		FILE *out = help ? stdout : stderr;

		fprintf(out, "Usage: attestgate %s COMMAND [flags]\n\nCommands:\n", argv[0]);
		for (const struct cli_cmd *c = commands; c->name != NULL; c++)
			if (strncmp(c->name, argv[0], glen) == 0 && c->name[glen] == ' ')
				fprintf(out, "  %-16s %s\n", c->name, c->summary);
		fprintf(out, "\nRun 'attestgate %s COMMAND --help' for the flags of a command.\n", argv[0]);
		return help ? 0 : 2;
	}
	hint = cli_suggest(argv[0], glen, names, n);
	fprintf(stderr, "attestgate: unknown command \"%s%s%s\"%s%s%s\n", argv[0], group && argc > 1 ? " " : "",
	    group && argc > 1 ? argv[1] : "", hint != NULL ? " (did you mean " : "", hint != NULL ? hint : "",
	    hint != NULL ? "?)" : "");
	fprintf(stderr, "Run 'attestgate --help' for the commands.\n");
	return 2;
}

void
commands_print_usage(FILE *out)
{
	fprintf(out, "Usage: attestgate COMMAND [flags]\n\n"
		     "Attestation gate for confidential Kubernetes workloads.\n\nCommands:\n");
	for (const struct cli_cmd *c = commands; c->name != NULL; c++)
		fprintf(out, "  %-16s %s\n", c->name, c->summary);
	fprintf(out, "\nRun 'attestgate COMMAND --help' for the flags of a command.\n");
}

int
commands_setup_logging(const struct cli_cmd *cmd, const struct cli_values *v)
{
	struct ag_err err;

	if (ag_log_configure(cli_get(v, "log-level"), cli_get(v, "log-format"), &err) != AG_OK) {
		fprintf(stderr, "attestgate %s: %s\n", cmd->name, err.msg);
		return 2;
	}
	return 0;
}

