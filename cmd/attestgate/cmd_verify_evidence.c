/*
 * cmd_verify_evidence.c - `attestgate verify-evidence`: verifies recorded
 * evidence offline and prints the verified claims.  The files named on the
 * command line (or a bundle from `attestgate evidence`) become an evidence
 * set, which the local verifier checks exactly as the gate's `local`
 * verifier would, against the pinned AMD and Intel roots.
 */
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/amd_certs.h"
#include "base/clock.h"
#include "base/crl.h"
#include "commands.h"
#include "base/digest.h"
#include "platform/evidence.h"
#include "base/fileio.h"
#include "verifier/local.h"

#define EVIDENCE_FILE_MAX (1024 * 1024)
#define DEFAULT_ROOTS "/etc/attestgate/roots"

/* Adds the file named by flag (when given) to the evidence as name. */
static enum ag_code
add_flag_file(const struct cli_values *v, const char *flag, const char *name, struct ag_evidence *e, struct ag_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	enum ag_code rc;

	if (cli_get(v, flag) == NULL)
		return AG_OK;
	rc = ag_file_read(cli_get(v, flag), EVIDENCE_FILE_MAX, AG_ECONFIG, &buf, &len, err);
	return rc == AG_OK ? ag_evidence_add(e, name, buf, len, err) : rc;
}

/* The expected nonce of --nonce (hex; bad hex is a usage error). */
static enum ag_code
nonce_from_flag(const struct cli_values *v, struct ag_evidence *e, struct ag_err *err)
{
	return ag_nonce_from_hex(&e->nonce, cli_get(v, "nonce"), "--nonce", err);
}

static enum ag_code
evidence_from_flags(const struct cli_values *v, struct ag_evidence *e, struct ag_err *err)
{
	static const struct {
		const char *platform, *flag, *name;
		int required;
	} files[] = {
		{ "sev-snp", "snp-report", "snp-report.bin", 1 },
		{ "sev-snp", "runtime-data", "runtime-data.json", 0 },
		{ "tdx", "runtime-data", "runtime-data.json", 0 },
		{ "azure-kata-cc", "snp-report", "snp-report.bin", 1 },
		{ "azure-kata-cc", "runtime-data", "runtime-data.json", 1 },
		{ "tdx", "td-quote", "td-quote.bin", 1 },
		{ "azure-cvm", "hcl-report", "hcl-report.bin", 1 },
		{ "azure-cvm", "td-quote", "td-quote.bin", 0 },
		{ "azure-cvm", "quote-msg", "quote.msg", 0 },
		{ "azure-cvm", "quote-sig", "quote.sig", 0 },
		{ "azure-cvm", "pcrs", "pcrs.bin", 0 },
	};
	const char *platform = cli_get(v, "platform"), *hex = cli_get(v, "nonce");
	enum ag_code rc = AG_OK;

	e->platform = ag_evidence_platform_name(platform);
	if (e->platform == NULL)
		return ag_err_set(err, AG_ECONFIG, "--platform %s is not a platform", platform);
	if (hex != NULL && (rc = nonce_from_flag(v, e, err)) != AG_OK)
		return rc;
	for (size_t i = 0; rc == AG_OK && i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(files[i].platform, platform) != 0)
			continue;
		if (files[i].required && cli_get(v, files[i].flag) == NULL)
			return ag_err_set(err, AG_ECONFIG, "--platform %s needs --%s", platform, files[i].flag);
		rc = add_flag_file(v, files[i].flag, files[i].name, e, err);
	}
	return rc;
}

int
cmd_verify_evidence(const struct cli_cmd *cmd, const struct cli_values *v)
{
	const char *at_s = cli_get(v, "at"), *roots = cli_get(v, "roots");
	struct ag_local_opts lo;
	struct ag_evidence e;
	json_t *claims = NULL;
	struct ag_err err;
	enum ag_code rc = AG_OK;

	if (cli_get(v, "platform") != NULL && strcmp(cli_get(v, "platform"), "nvidia-gpu") == 0)
		return cmd_verify_gpu(cmd, v);
	ag_err_clear(&err);
	ag_evidence_init(&e);
	memset(&lo, 0, sizeof(lo));
	lo.roots = roots;
	/* The default roots directory may be absent (the image fills it); one named on the command line may not. */
	lo.roots_required = roots != NULL && strcmp(roots, DEFAULT_ROOTS) != 0;
	lo.insecure_test_roots = cli_get(v, "insecure-test-roots");
	lo.quote_optional = 1;
	lo.nonce_required = cli_get(v, "nonce") != NULL;
	lo.kds_url = cli_get(v, "amd-kds-url");
	lo.cert_cache = cli_get(v, "cert-cache");
	lo.tdx_tcb_info = cli_get(v, "tdx-tcb-info");
	lo.tdx_tcb_chain = cli_get(v, "tdx-tcb-info-chain");
	lo.tdx_qe_identity = cli_get(v, "tdx-qe-identity");
	lo.tdx_qe_identity_chain = cli_get(v, "tdx-qe-identity-chain");
	lo.http.ca_file = cli_get(v, "ca-file");
	lo.http.deadline_ms = ag_clock_mono_ms() + 30000;
	lo.certs = sk_X509_new_null();
	if (cli_get(v, "platform") == NULL && cli_get(v, "in") == NULL) {
		(void)cli_usage_error(cmd, "--platform (with the evidence files) or --in DIR is required");
		sk_X509_free(lo.certs);
		ag_evidence_clear(&e);
		return AG_ECONFIG;
	}
	if (cli_get(v, "crl") != NULL)
		rc = ag_crl_load(cli_get(v, "crl"), &lo.crls, &err);
	if (rc != AG_OK)
		;
	else if (at_s != NULL && ag_time_parse_rfc3339(at_s, &lo.at) != 0)
		rc = ag_err_set(&err, AG_ECONFIG, "--at: \"%.64s\" is not an RFC 3339 time", at_s);
	else if (lo.certs == NULL)
		rc = ag_err_set(&err, AG_ECONFIG, "out of memory");
	if (rc == AG_OK && cli_get(v, "certs") != NULL) {
		uint8_t *buf = NULL;
		size_t len = 0;

		rc = ag_file_read(cli_get(v, "certs"), EVIDENCE_FILE_MAX, AG_ECONFIG, &buf, &len, &err);
		if (rc == AG_OK && (rc = ag_amd_certs_load(buf, len, lo.certs, &err)) != AG_OK)
			ag_err_prefix(&err, "%s", cli_get(v, "certs"));
		free(buf);
	}
	if (rc == AG_OK && cli_get(v, "in") != NULL) {
		rc = ag_evidence_read_bundle(cli_get(v, "in"), &e, &err);
		if (rc == AG_OK && cli_get(v, "platform") != NULL && strcmp(cli_get(v, "platform"), e.platform) != 0)
			rc = ag_err_set(&err, AG_ECONFIG, "the bundle is %s evidence, not --platform %s", e.platform,
			    cli_get(v, "platform"));
		/* --nonce is checked against the hardware-bound value, never against the bundle's own word. */
		if (rc == AG_OK && cli_get(v, "nonce") != NULL)
			rc = nonce_from_flag(v, &e, &err);
	} else if (rc == AG_OK) {
		rc = evidence_from_flags(v, &e, &err);
	}
	if (rc == AG_OK)
		rc = ag_local_verify(&lo, &e, &claims, &err);
	/* A bundle of a run with spec.gpus: its GPUs are checked too, for the same nonce. */
	if (rc == AG_OK)
		rc = cmd_verify_bundle_gpus(v, &e, claims, &err);
	if (rc == AG_OK) {
		char *s = json_dumps(claims, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		printf("%s\n", s != NULL ? s : "{}");
		free(s);
	} else {
		/* Exit 3 for evidence that is incomplete (no VCEK, no TD quote): it says where to get what is missing. */
		fprintf(stderr, "attestgate %s: %s\n", cmd->name, err.msg);
	}
	json_decref(claims);
	sk_X509_pop_free(lo.certs, X509_free);
	sk_X509_CRL_pop_free(lo.crls, X509_CRL_free);
	ag_evidence_clear(&e);
	return (int)rc;
}

static const struct cli_flag verify_evidence_flags[] = {
	{ "platform", CLI_CHOICE, "NAME", NULL, "azure-cvm|azure-kata-cc|sev-snp|tdx|nvidia-gpu",
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
	{ "gpu-report", CLI_STRING, "FILE", NULL, NULL, "nvidia-gpu: the SPDM report, raw or as NVIDIA's hex text", 0, 0 },
	{ "gpu-chain", CLI_STRING, "FILE", NULL, NULL, "nvidia-gpu: its device certificate chain (PEM, leaf first)", 0, 0 },
	{ "gpu-evidence", CLI_STRING, "FILE", NULL, NULL,
	    "nvidia-gpu: NVIDIA's evidence JSON (one entry per GPU or NVSwitch) instead", 0, 0 },
	GPU_RIM_FLAGS
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

const struct cli_cmd cmd_verify_evidence_command = { "verify-evidence", "Verify recorded evidence offline against the pinned roots.",
    "Prints the verified claims as JSON (MAA claim names) and exits 0, or the reason\n"
    "and exits 6; 2 for usage.  With --nonce (hex) the report must be bound to it:\n"
    "REPORT_DATA = nonce (sev-snp, tdx), or SHA-256 of the runtime data whose \"nonce\"\n"
    "is its hex (--runtime-data; azure-kata-cc always), or the vTPM quote's qualifying\n"
    "data (azure-cvm), or the GPU report's request nonce (nvidia-gpu: 64 hex digits).\n"
    "--platform nvidia-gpu prints a list of NVIDIA claims, one object per device; the\n"
    "measurements are compared with RIMs when --gpu-rim, --gpu-rim-dir or --gpu-rim-url\n"
    "is given, revocation checked when --gpu-ocsp-url or --gpu-ocsp-response is\n"
    "(x-attestgate-gpu-checks says which checks ran).",
    verify_evidence_flags, cmd_verify_evidence };
