/*
 * platform/tee.c - evidence straight from the CPU: SEV-SNP reports (plain
 * guests and kata-cc pods) and TD quotes, through configfs-tsm or the
 * sev-guest device.  REPORT_DATA is the SHA-256 of the runtime data
 * {"nonce": hex}, as MAA's SevSnpVm and TdxVm expect; each report is parsed
 * and its REPORT_DATA checked before it is handed on.
 */
#include "platform/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base64.h"
#include "base/bytes.h"
#include "base/digest.h"
#include "base/fileio.h"
#include "node/imds.h"
#include "node/sev_guest.h"
#include "format/snp.h"
#include "format/tdx.h"
#include "node/tsm_report.h"

#define UVM_FILE_MAX (256 * 1024)

/* A report for inblob from configfs-tsm (provider must be want) or, for SNP, the sev-guest device. */
static enum ag_code
hw_report(const struct ag_collect_opts *o, const char *want, const uint8_t inblob[64], uint8_t **report, size_t *len,
    uint8_t **certs, size_t *certs_len, struct ag_err *err)
{
	const char *root = o->tsm_root != NULL ? o->tsm_root : AG_TSM_DEFAULT_ROOT;
	const char *dev = o->sev_guest != NULL ? o->sev_guest : AG_SEV_GUEST_DEFAULT_DEVICE;
	struct ag_tsm_report r;
	enum ag_code rc;

	*report = *certs = NULL;
	*len = *certs_len = 0;
	if (ag_tsm_available(root)) {
		rc = ag_tsm_report_get(root, inblob, strcmp(want, "sev_guest") == 0 ? o->vmpl : -1, &r, err);
		if (rc != AG_OK)
			return rc;
		if (strcmp(r.provider, want) != 0) {
			rc = ag_err_set(err, AG_EEVIDENCE, "configfs-tsm's provider is %s, not %s: this is not that kind of guest",
			    r.provider, want);
			ag_tsm_report_clear(&r);
			return rc;
		}
		*report = r.outblob;
		*len = r.outblob_len;
		*certs = r.auxblob;
		*certs_len = r.auxblob_len;
		return AG_OK;
	}
	if (strcmp(want, "sev_guest") == 0 && access(dev, F_OK) == 0)
		return ag_sev_guest_report(dev, inblob, o->vmpl > 0 ? (unsigned)o->vmpl : 0, report, len, certs, certs_len, err);
	if (strcmp(want, "sev_guest") == 0)
		return ag_err_set(err, AG_EEVIDENCE, "no SEV-SNP guest interface: neither configfs-tsm (%s) nor %s exists", root, dev);
	return ag_err_set(err, AG_EEVIDENCE, "no TDX guest interface: configfs-tsm (%s) does not exist", root);
}

/* Reads dir/name (when present) into the evidence as evidence_name; base64 content is decoded into *decoded when asked. */
static enum ag_code
add_uvm_file(const char *dir, const char *name, const char *evidence_name, struct ag_evidence *e, uint8_t **decoded,
    size_t *decoded_len, struct ag_err *err)
{
	char path[4096];
	uint8_t *data = NULL;
	size_t len = 0;
	enum ag_code rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (access(path, F_OK) != 0)
		return AG_OK;
	rc = ag_file_read(path, UVM_FILE_MAX, AG_EEVIDENCE, &data, &len, err);
	if (rc != AG_OK)
		return rc;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (decoded != NULL && ag_b64_decode((const char *)data, len, decoded, decoded_len) != 0) {
		free(data);
		return ag_err_set(err, AG_EINVALID, "%s is not base64", path);
	}
	return ag_evidence_add(e, evidence_name, data, len, err);
}

/* kata-cc: the UVM's reference info (UVM endorsement) and the host's VCEK chain, as the UVM provides them. */
static enum ag_code
add_security_context(const struct ag_collect_opts *o, const struct ag_snp_report *snp, struct ag_evidence *e,
    struct ag_err *err)
{
	const char *dir = o->uvm_dir != NULL ? o->uvm_dir : getenv("UVM_SECURITY_CONTEXT_DIR");
	uint8_t *thim = NULL;
	size_t thim_len = 0;
	char *pem = NULL;
	enum ag_code rc;

	if (dir == NULL || dir[0] == '\0') {
		ag_evidence_fact(e, "uvmSecurityContext", json_string("absent"));
		return AG_OK;
	}
	ag_evidence_fact(e, "uvmSecurityContext", json_string(dir));
	rc = add_uvm_file(dir, AG_UVM_REFERENCE_INFO, "uvm-reference-info.b64", e, NULL, NULL, err);
	if (rc == AG_OK)
		rc = add_uvm_file(dir, AG_UVM_HOST_AMD_CERT, "host-amd-cert.b64", e, &thim, &thim_len, err);
	if (rc == AG_OK && thim != NULL) {
		rc = ag_thim_parse(thim, thim_len, snp->reported_tcb, &pem, err);
		if (rc != AG_OK)
			ag_err_prefix(err, "%s/%s", dir, AG_UVM_HOST_AMD_CERT);
		if (rc == AG_OK)
			rc = ag_evidence_add(e, "vcek-chain.pem", (uint8_t *)pem, strlen(pem), err);
	}
	free(thim);
	return rc;
}

/*
 * The runtime data {"nonce": hex} (and "keys": [the transfer key's JWK] for
 * key release, as Microsoft's SKR sidecar binds it) and REPORT_DATA = its
 * SHA-256, zero padded: what MAA's SevSnpVm/TdxVm bind; MAA returns it as
 * x-ms-runtime, where the vault finds the key to wrap for.
 */
static enum ag_code
runtime_data(const struct ag_collect_opts *o, struct ag_evidence *e, char **runtime, uint8_t inblob[64], struct ag_err *err)
{
	char hex[2 * AG_NONCE_MAX + 1];
	json_t *rt;

	e->nonce = *o->nonce;
	ag_nonce_hex(o->nonce, hex);
	rt = o->transfer_jwk != NULL ? json_pack("{s:s,s:[O]}", "nonce", hex, "keys", o->transfer_jwk) :
				       json_pack("{s:s}", "nonce", hex);
	*runtime = rt != NULL ? json_dumps(rt, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(rt);
	if (*runtime == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "out of memory");
	memset(inblob, 0, 64);
	ag_sha256(*runtime, strlen(*runtime), inblob);
	return AG_OK;
}

/* SEV-SNP evidence (configfs-tsm or sev-guest); kata adds the runtime data and the UVM's security context. */
static enum ag_code
snp_collect(const struct ag_collect_opts *o, int kata, struct ag_evidence *e, struct ag_err *err)
{
	uint8_t inblob[64], *report = NULL, *certs = NULL;
	size_t len = 0, certs_len = 0;
	char *runtime = NULL;
	struct ag_snp_report snp;
	enum ag_code rc;

	e->platform = kata ? "azure-kata-cc" : "sev-snp";
	e->report_type = "snp";
	rc = runtime_data(o, e, &runtime, inblob, err);
	if (rc == AG_OK)
		rc = hw_report(o, "sev_guest", inblob, &report, &len, &certs, &certs_len, err);
	if (rc == AG_OK)
		rc = ag_snp_parse(report, len, &snp, err);
	if (rc == AG_OK && memcmp(snp.report_data, inblob, 64) != 0)
		rc = ag_err_set(err, AG_EINVALID, "the SNP report's REPORT_DATA is not what was asked for");
	if (rc == AG_OK && kata)
		rc = add_security_context(o, &snp, e, err);
	if (rc == AG_OK) {
		rc = ag_evidence_add(e, "snp-report.bin", report, len, err);
		report = NULL;
	}
	if (rc == AG_OK && certs != NULL) {
		rc = ag_evidence_add(e, "certs.bin", certs, certs_len, err);
		certs = NULL;
	}
	if (rc == AG_OK) {
		rc = ag_evidence_add(e, "runtime-data.json", (uint8_t *)runtime, strlen(runtime), err);
		runtime = NULL;
	}
	free(report);
	free(certs);
	free(runtime);
	return rc;
}

/* A TD quote through configfs-tsm, REPORT_DATA bound to the nonce through the runtime data. */
static enum ag_code
tdx_collect(const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err)
{
	uint8_t inblob[64], *quote = NULL, *aux = NULL;
	size_t len = 0, aux_len = 0;
	char *runtime = NULL;
	struct ag_tdx_quote q;
	enum ag_code rc;

	e->platform = "tdx";
	e->report_type = "tdx";
	rc = runtime_data(o, e, &runtime, inblob, err);
	if (rc == AG_OK)
		rc = hw_report(o, "tdx_guest", inblob, &quote, &len, &aux, &aux_len, err);
	free(aux);
	if (rc == AG_OK)
		rc = ag_tdx_parse(quote, len, &q, err);
	if (rc == AG_OK && memcmp(q.report_data, inblob, 64) != 0)
		rc = ag_err_set(err, AG_EINVALID, "the TD quote's REPORT_DATA is not what was asked for");
	if (rc == AG_OK) {
		rc = ag_evidence_add(e, "td-quote.bin", quote, len, err);
		quote = NULL;
	}
	if (rc == AG_OK) {
		rc = ag_evidence_add(e, "runtime-data.json", (uint8_t *)runtime, strlen(runtime), err);
		runtime = NULL;
	}
	free(quote);
	free(runtime);
	return rc;
}

static enum ag_code
sev_snp_collect(const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err)
{
	return snp_collect(o, 0, e, err);
}

static enum ag_code
kata_cc_collect(const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err)
{
	return snp_collect(o, 1, e, err);
}

static const char *
tsm_root(const struct ag_collect_opts *o)
{
	return o->tsm_root != NULL ? o->tsm_root : AG_TSM_DEFAULT_ROOT;
}

/* Nonzero when configfs-tsm is there and its provider is want. */
static int
tsm_provider_is(const struct ag_collect_opts *o, const char *want)
{
	char provider[32];

	return ag_tsm_available(tsm_root(o)) && ag_tsm_provider(tsm_root(o), provider, sizeof(provider)) == 0 &&
	    strcmp(provider, want) == 0;
}

/* configfs-tsm whose provider is tdx_guest. */
static int
tdx_detect(const struct ag_collect_opts *o)
{
	return tsm_provider_is(o, "tdx_guest");
}

/* configfs-tsm whose provider is sev_guest, else the sev-guest device. */
static int
sev_snp_detect(const struct ag_collect_opts *o)
{
	const char *dev = o->sev_guest != NULL ? o->sev_guest : AG_SEV_GUEST_DEFAULT_DEVICE;

	return tsm_provider_is(o, "sev_guest") || access(dev, F_OK) == 0;
}

/* A kata-cc UVM: its security context directory is named (flag or UVM_SECURITY_CONTEXT_DIR). */
static int
kata_cc_detect(const struct ag_collect_opts *o)
{
	const char *uvm = o->uvm_dir != NULL ? o->uvm_dir : getenv("UVM_SECURITY_CONTEXT_DIR");

	return uvm != NULL && uvm[0] != '\0';
}

const struct ag_platform ag_platform_azure_kata_cc = { "azure-kata-cc", kata_cc_detect, kata_cc_collect };
const struct ag_platform ag_platform_tdx = { "tdx", tdx_detect, tdx_collect };
const struct ag_platform ag_platform_sev_snp = { "sev-snp", sev_snp_detect, sev_snp_collect };
