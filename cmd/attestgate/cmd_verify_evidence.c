/*
 * cmd_verify_evidence.c - `attestgate verify-evidence`: verifies recorded
 * evidence offline against the pinned AMD roots and prints the verified
 * claims.  SEV-SNP reports alone or inside an Azure HCL report (with the
 * vTPM quote bound to the report's AK when given).
 */
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amd_certs.h"
#include "clock.h"
#include "commands.h"
#include "digest.h"
#include "fileio.h"
#include "hcl.h"
#include "snp.h"
#include "tpm_attest.h"

#define EVIDENCE_FILE_MAX (1024 * 1024)

static enum ag_code
read_file(const char *path, uint8_t **buf, size_t *len, struct ag_err *err)
{
	return ag_file_read(path, EVIDENCE_FILE_MAX, AG_ECONFIG, buf, len, err);
}

static enum ag_code
load_certs_file(const char *path, STACK_OF(X509) *certs, struct ag_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	enum ag_code rc = read_file(path, &buf, &len, err);

	if (rc == AG_OK && (rc = ag_amd_certs_load(buf, len, certs, err)) != AG_OK)
		ag_err_prefix(err, "%s", path);
	free(buf);
	return rc;
}

static enum ag_code
verify_snp_bytes(const uint8_t *report, size_t len, const struct cli_values *v, time_t at, json_t **claims,
    struct ag_err *err)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	const char *roots = cli_get(v, "roots");
	struct ag_snp_report r;
	enum ag_code rc = ag_snp_parse(report, len, &r, err);

	if (rc == AG_OK && cli_get(v, "certs") != NULL)
		rc = load_certs_file(cli_get(v, "certs"), certs, err);
	/* The default roots directory may be absent (it is filled in the image); one named on the command line may not. */
	if (rc == AG_OK)
		rc = ag_snp_verify_dirs(&r, certs, roots, roots != NULL && strcmp(roots, "/etc/attestgate/roots") != 0,
		    cli_get(v, "insecure-test-roots"), at, claims, err);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* --nonce as bytes: hex, which is what the bundle's evidence.json records. */
static enum ag_code
nonce_bytes(const struct cli_values *v, uint8_t *out, size_t *len, struct ag_err *err)
{
	const char *hex = cli_get(v, "nonce");

	*len = 0;
	if (hex != NULL && ag_hex_decode_var(hex, out, 64, len) != 0)
		return ag_err_set(err, AG_ECONFIG, "--nonce must be 2 to 128 hexadecimal digits");
	return AG_OK;
}

static enum ag_code
verify_azure(const struct cli_values *v, time_t at, json_t **claims, struct ag_err *err)
{
	uint8_t *hcl = NULL, *msg = NULL, *sig = NULL, *pcrs = NULL, nonce[64];
	size_t hcl_len = 0, msg_len = 0, sig_len = 0, pcrs_len = 0, nonce_len = 0;
	struct ag_hcl_report r;
	struct ag_quote_info qi;
	json_t *snp = NULL;
	EVP_PKEY *ak = NULL;
	enum ag_code rc;
	int parsed = 0;

	*claims = NULL;
	if (cli_get(v, "hcl-report") == NULL)
		return ag_err_set(err, AG_ECONFIG, "--platform azure-cvm needs --hcl-report");
	rc = read_file(cli_get(v, "hcl-report"), &hcl, &hcl_len, err);
	if (rc == AG_OK)
		rc = nonce_bytes(v, nonce, &nonce_len, err);
	if (rc == AG_OK) {
		rc = ag_hcl_parse(hcl, hcl_len, &r, err);
		parsed = rc == AG_OK;
	}
	if (rc == AG_OK && r.report_type != AG_HCL_SNP)
		rc = ag_err_set(err, AG_ECONFIG, "HCL report of a %s CVM: only SEV-SNP is verified locally in this build",
		    ag_hcl_report_type_name(r.report_type));
	if (rc == AG_OK)
		rc = verify_snp_bytes(r.hw_report, r.hw_report_len, v, at, &snp, err);
	if (rc == AG_OK && (cli_get(v, "quote-msg") != NULL || cli_get(v, "quote-sig") != NULL || cli_get(v, "pcrs") != NULL)) {
		if (cli_get(v, "quote-msg") == NULL || cli_get(v, "quote-sig") == NULL || cli_get(v, "pcrs") == NULL)
			rc = ag_err_set(err, AG_ECONFIG, "--quote-msg, --quote-sig and --pcrs go together");
		if (rc == AG_OK)
			rc = read_file(cli_get(v, "quote-msg"), &msg, &msg_len, err);
		if (rc == AG_OK)
			rc = read_file(cli_get(v, "quote-sig"), &sig, &sig_len, err);
		if (rc == AG_OK)
			rc = read_file(cli_get(v, "pcrs"), &pcrs, &pcrs_len, err);
		if (rc == AG_OK)
			rc = ag_hcl_runtime_key(&r, "HCLAkPub", &ak, err);
		if (rc == AG_OK)
			rc = ag_quote_verify(msg, msg_len, sig, sig_len, ak, nonce, nonce_len, pcrs, pcrs_len, &qi, err);
	}
	if (rc == AG_OK) {
		json_object_set(snp, "x-ms-runtime", r.runtime_json);
		*claims = json_pack("{s:s, s:O}", "x-ms-attestation-type", "azurevm", "x-ms-isolation-tee", snp);
		if (msg != NULL) {
			json_t *list = json_array();

			for (unsigned i = 0; i < AG_TPM_PCR_COUNT; i++)
				if (qi.pcr_mask & (1u << i))
					json_array_append_new(list, json_integer(i));
			json_object_set_new(*claims, "x-ms-azurevm-attested-pcrs", list);
		}
	}
	if (parsed)
		ag_hcl_clear(&r);
	json_decref(snp);
	EVP_PKEY_free(ak);
	free(hcl);
	free(msg);
	free(sig);
	free(pcrs);
	return rc;
}

int
cmd_verify_evidence(const struct cli_cmd *cmd, const struct cli_values *v)
{
	const char *platform = cli_get(v, "platform"), *at_s = cli_get(v, "at");
	time_t at = time(NULL);
	json_t *claims = NULL;
	struct ag_err err;
	enum ag_code rc = AG_OK;

	ag_err_clear(&err);
	if (platform == NULL) {
		fprintf(stderr, "attestgate %s: --platform is required\n\n", cmd->name);
		cli_print_help(cmd, stderr);
		return AG_ECONFIG;
	}
	if (at_s != NULL && ag_time_parse_rfc3339(at_s, &at) != 0)
		rc = ag_err_set(&err, AG_ECONFIG, "--at: \"%.64s\" is not an RFC 3339 time", at_s);
	else if (strcmp(platform, "sev-snp") == 0) {
		uint8_t *buf = NULL, nonce[64];
		size_t len = 0, nonce_len = 0;

		if (cli_get(v, "snp-report") == NULL)
			rc = ag_err_set(&err, AG_ECONFIG, "--platform sev-snp needs --snp-report");
		if (rc == AG_OK)
			rc = read_file(cli_get(v, "snp-report"), &buf, &len, &err);
		if (rc == AG_OK)
			rc = nonce_bytes(v, nonce, &nonce_len, &err);
		if (rc == AG_OK)
			rc = verify_snp_bytes(buf, len, v, at, &claims, &err);
		if (rc == AG_OK && nonce_len > 0 && !ag_ct_equal(buf + 0x50, nonce, nonce_len))
			rc = ag_err_set(&err, AG_EINVALID, "REPORT_DATA does not start with the nonce");
		free(buf);
	} else if (strcmp(platform, "azure-cvm") == 0) {
		rc = verify_azure(v, at, &claims, &err);
	} else {
		rc = ag_err_set(&err, AG_ECONFIG, "verify-evidence --platform %s is not built into this attestgate yet", platform);
	}
	if (rc == AG_OK) {
		char *s = json_dumps(claims, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		printf("%s\n", s != NULL ? s : "{}");
		free(s);
	} else {
		fprintf(stderr, "attestgate %s: %s\n", cmd->name, err.msg);
	}
	json_decref(claims);
	return (int)rc;
}
