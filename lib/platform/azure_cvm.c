/*
 * platform/azure_cvm.c - evidence of an Azure Confidential VM node, read
 * from its vTPM: the HCL report (checked: binding), the AK (checked: it is
 * the HCLAkPub the report binds), the AK certificate, PCR 0-23 and a quote
 * over PCR 0-7 with the caller's nonce (checked against the AK and PCRs),
 * and the TCG event log when the kernel exposes it.
 */
#include "platform/platform.h"

#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/digest.h"
#include "base/fileio.h"
#include "format/hcl.h"
#include "base/http.h"
#include "node/imds.h"
#include "base/log.h"
#include "format/tdx.h"
#include "node/tpm.h"
#include "format/tpm_attest.h"

#define EVENTLOG_MAX (4 * 1024 * 1024)
#define POLL_MS 200

/* Runs an NV read again while it fails transiently (e.g. the AK certificate not provisioned yet) and time is left. */
static enum ag_code
nv_read_retrying(struct ag_tpm *t, uint32_t index, int64_t deadline, uint8_t **out, size_t *len, struct ag_err *err)
{
	for (;;) {
		enum ag_code rc = ag_tpm_nv_read(t, index, out, len, err);

		if (rc == AG_OK || !err->transient || ag_clock_mono_ms() + 500 >= deadline)
			return rc;
		ag_log(AG_LOG_WARN, "TPM not ready, retrying", "error", json_string(err->msg), NULL);
		ag_clock_sleep_ms(500, NULL);
	}
}

/*
 * The fresh-report step: the paravisor regenerates the HCL report with the
 * 64 bytes written to 0x01400002 as its user data.  Polls until the report
 * carries them, within the deadline.
 */
static enum ag_code
fresh_report(struct ag_tpm *t, const struct ag_collect_opts *o, uint8_t **hcl, size_t *hcl_len, struct ag_err *err)
{
	uint8_t user[64] = { 0 };
	char want[129];
	enum ag_code rc;

	memcpy(user, o->nonce->v, o->nonce->len < 64 ? o->nonce->len : 64);
	ag_hex_encode(user, sizeof(user), want);
	rc = ag_tpm_nv_write(t, AG_AZURE_USER_DATA_INDEX, user, sizeof(user), err);
	if (rc != AG_OK)
		return rc;
	for (;;) {
		struct ag_hcl_report r;
		const char *got;
		int match;

		rc = ag_tpm_nv_read(t, AG_AZURE_HCL_INDEX, hcl, hcl_len, err);
		if (rc != AG_OK)
			return rc;
		if (ag_hcl_parse(*hcl, *hcl_len, &r, err) == AG_OK) {
			got = ag_hcl_user_data(&r);
			match = got != NULL && strcasecmp(got, want) == 0;
			ag_hcl_clear(&r);
			if (match)
				return AG_OK;
		}
		free(*hcl);
		*hcl = NULL;
		if (ag_clock_mono_ms() + POLL_MS >= o->deadline_ms)
			return ag_err_set_transient(err, AG_EEVIDENCE,
			    "the paravisor did not refresh the HCL report with the new user data before the deadline");
		ag_clock_sleep_ms(POLL_MS, NULL);
	}
}

/* Quote and PCRs that agree: a PCR extended between the read and the quote is read again. */
static enum ag_code
quote_with_pcrs(struct ag_tpm *t, const struct ag_collect_opts *o, EVP_PKEY *ak, struct ag_evidence *e,
    struct ag_err *err)
{
	uint8_t *pcrs = malloc(AG_TPM_PCRS_LEN), *msg = NULL, *sig = NULL;
	size_t msg_len = 0, sig_len = 0;
	struct ag_quote_info qi;
	enum ag_code rc = AG_EEVIDENCE;
	/* For MAA the qualifying data is empty, as Microsoft's clients send it; the local verifier needs the nonce. */
	const uint8_t *qual = o->quote_unbound ? NULL : o->nonce->v;
	size_t qual_len = o->quote_unbound ? 0 : o->nonce->len;

	if (pcrs == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "out of memory");
	for (int attempt = 0; attempt < 3; attempt++) {
		free(msg);
		free(sig);
		msg = sig = NULL;
		rc = ag_tpm_pcr_read(t, pcrs, err);
		if (rc == AG_OK)
			rc = ag_tpm_quote(t, AG_AZURE_AK_HANDLE, AG_AZURE_QUOTE_PCRS, qual, qual_len, &msg, &msg_len, &sig,
			    &sig_len, err);
		if (rc != AG_OK)
			break;
		rc = ag_quote_verify(msg, msg_len, sig, sig_len, ak, qual, qual_len, pcrs, AG_TPM_PCRS_LEN, &qi, err);
		if (rc == AG_OK || err->cause != AG_CAUSE_PCR_CHANGED)
			break;
	}
	if (rc == AG_OK) {
		rc = ag_evidence_add(e, "pcrs.bin", pcrs, AG_TPM_PCRS_LEN, err);
		pcrs = NULL;
		if (rc == AG_OK)
			rc = ag_evidence_add(e, "quote.msg", msg, msg_len, err);
		msg = NULL;
		if (rc == AG_OK)
			rc = ag_evidence_add(e, "quote.sig", sig, sig_len, err);
		sig = NULL;
	} else if (rc == AG_EINVALID) {
		/* The vTPM's own quote does not check out: never send it anywhere. */
		ag_err_prefix(err, "the vTPM quote failed its own check");
	}
	free(pcrs);
	free(msg);
	free(sig);
	return rc;
}

/* A TDX CVM: the TD quote for the HCL report's TDREPORT, from IMDS, checked to carry the same report data. */
static enum ag_code
td_quote(const struct ag_collect_opts *o, const struct ag_hcl_report *r, struct ag_evidence *e, struct ag_err *err)
{
	struct ag_http_opts h = { .deadline_ms = o->deadline_ms };
	uint8_t *quote = NULL;
	size_t len = 0;
	enum ag_code rc = ag_imds_td_quote(o->imds_url != NULL ? o->imds_url : AG_IMDS_DEFAULT_URL, &h, r->hw_report,
	    AG_HCL_TDREPORT_LEN, &quote, &len, err);

	if (rc == AG_OK && (rc = ag_tdx_check_report_data(quote, len, r->report_data, err)) != AG_OK)
		ag_err_prefix(err, "IMDS /acc/tdquote");
	if (rc == AG_OK) {
		rc = ag_evidence_add(e, "td-quote.bin", quote, len, err);
		quote = NULL;
	}
	free(quote);
	return rc;
}

/* The TCG event log when there is one (its absence is recorded, never fatal) and the facts of the quote. */
static enum ag_code
add_eventlog_and_facts(const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err)
{
	struct ag_err lerr;
	uint8_t *log = NULL;
	size_t log_len = 0;
	enum ag_code rc = AG_OK;

	/* The event log is optional evidence: its absence is recorded, never fatal. */
	if (o->eventlog != NULL && ag_file_read(o->eventlog, EVENTLOG_MAX, AG_EEVIDENCE, &log, &log_len, &lerr) == AG_OK) {
		rc = ag_evidence_add(e, "eventlog.bin", log, log_len, err);
		log = NULL;
		ag_evidence_fact(e, "eventlog", json_string("present"));
	} else {
		ag_evidence_fact(e, "eventlog", json_string("absent"));
		ag_log(AG_LOG_INFO, "no TCG event log", "path", json_string(o->eventlog), NULL);
	}
	ag_evidence_fact(e, "akHandle", json_string("0x81000003"));
	ag_evidence_fact(e, "quotedPcrs", json_pack("[i,i,i,i,i,i,i,i]", 0, 1, 2, 3, 4, 5, 6, 7));
	ag_evidence_fact(e, "quoteQualifyingData", json_string(o->quote_unbound ? "empty" : "nonce"));
	free(log);
	return rc;
}

/* Azure CVM evidence from the vTPM: HCL report, AK, AK certificate, PCRs, quote, event log. */
static enum ag_code
collect(const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err)
{
	struct ag_tpm *t = NULL;
	struct ag_hcl_report r;
	uint8_t *hcl = NULL, *akpub = NULL, *akcert = NULL;
	size_t hcl_len = 0, akpub_len = 0, akcert_len = 0;
	EVP_PKEY *ak_tpm = NULL, *ak_hcl = NULL;
	enum ag_code rc;
	int parsed = 0;

	memset(&r, 0, sizeof(r));
	e->platform = "azure-cvm";
	e->time_ms = ag_clock_wall_ms();
	e->nonce = *o->nonce;
	e->quote_unbound = o->quote_unbound;
	rc = ag_tpm_open(o->tcti, &t, err);
	if (rc != AG_OK)
		return rc;
	rc = o->fresh_report ? fresh_report(t, o, &hcl, &hcl_len, err) :
			       ag_tpm_nv_read(t, AG_AZURE_HCL_INDEX, &hcl, &hcl_len, err);
	if (rc == AG_EEVIDENCE && err->cause == AG_CAUSE_ABSENT)
		ag_err_prefix(err, "no HCL report");
	if (rc == AG_OK) {
		rc = ag_hcl_parse(hcl, hcl_len, &r, err);
		parsed = rc == AG_OK;
	}
	if (rc == AG_OK) {
		e->report_type = ag_hcl_report_type_name(r.report_type);
		rc = ag_hcl_runtime_key(&r, "HCLAkPub", &ak_hcl, err);
	}
	if (rc == AG_OK)
		rc = ag_tpm_read_public(t, AG_AZURE_AK_HANDLE, &akpub, &akpub_len, err);
	if (rc == AG_OK)
		rc = ag_tpm_public_to_pkey(akpub, akpub_len, 1, &ak_tpm, err);
	if (rc == AG_OK && EVP_PKEY_eq(ak_tpm, ak_hcl) != 1)
		rc = ag_err_set(err, AG_EINVALID, "the vTPM's AK at 0x%08x is not the HCLAkPub bound in the HCL report",
		    AG_AZURE_AK_HANDLE);
	if (rc == AG_OK)
		rc = nv_read_retrying(t, AG_AZURE_AK_CERT_INDEX, o->deadline_ms, &akcert, &akcert_len, err);
	if (rc == AG_EEVIDENCE && err->cause == AG_CAUSE_ABSENT)
		ag_err_prefix(err, "no AK certificate");
	if (rc == AG_OK)
		rc = quote_with_pcrs(t, o, ak_tpm, e, err);
	if (rc == AG_OK && r.report_type == AG_HCL_TDX)
		rc = td_quote(o, &r, e, err);
	if (rc == AG_OK) {
		rc = ag_evidence_add(e, "hcl-report.bin", hcl, hcl_len, err);
		hcl = NULL;
	}
	if (rc == AG_OK) {
		rc = ag_evidence_add(e, "ak-pub.tpm", akpub, akpub_len, err);
		akpub = NULL;
	}
	if (rc == AG_OK) {
		rc = ag_evidence_add(e, "ak-cert.der", akcert, akcert_len, err);
		akcert = NULL;
	}
	if (rc == AG_OK)
		rc = add_eventlog_and_facts(o, e, err);
	if (parsed)
		ag_hcl_clear(&r);
	EVP_PKEY_free(ak_tpm);
	EVP_PKEY_free(ak_hcl);
	free(hcl);
	free(akpub);
	free(akcert);
	ag_tpm_close(t);
	return rc;
}

/* A vTPM: a TCTI device that exists, or a software TPM (tests). */
static int
detect(const struct ag_collect_opts *o)
{
	const char *tcti = o->tcti != NULL ? o->tcti : "device:/dev/tpmrm0";

	if (strncmp(tcti, "device:", 7) == 0)
		return access(tcti + 7, F_OK) == 0;
	return strncmp(tcti, "swtpm", 5) == 0;
}

const struct ag_platform ag_platform_azure_cvm = { "azure-cvm", detect, collect };
