/*
 * verifier/maa.c - the AzureGuest exchange: THIM certificates, the
 * ephemeral key in the vTPM, the request, and the response opened inside
 * the vTPM.  A response that cannot be opened by this vTPM is invalid
 * (exit 6); an instance that cannot be reached is exit 4.
 */
#include "verifier/maa.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/amd_certs.h"
#include "base/base64.h"
#include "base/certs.h"
#include "format/hcl.h"
#include "verifier/maa_vm.h"
#include "format/snp.h"
#include "format/tdx.h"
#include "verifier/local.h"
#include "base/log.h"
#include "verifier/maa_guest.h"
#include "platform/platform.h"
#include "node/tpm.h"
#include "base/clock.h"
#include "verifier/jwks_fetch.h"
#include "verifier/verifier.h"

/* An evidence file as request bytes (empty when absent). */
static struct ag_maa_bytes
blob(const struct ag_evidence *e, const char *name)
{
	const struct ag_evidence_blob *b = ag_evidence_get(e, name);

	return b != NULL ? (struct ag_maa_bytes){ b->data, b->len } : (struct ag_maa_bytes){ NULL, 0 };
}

static enum ag_code http_refusal(const char *url, const struct ag_http_response *resp, struct ag_err *err);

/* POSTs a JSON body to <url><path>; AG_OK only for HTTP 200 with the answer in *http. */
static enum ag_code
post_json(const struct ag_maa_opts *o, const char *path, const char *body, struct ag_http_response *http, struct ag_err *err)
{
	static const char *const headers[] = { "Content-Type: application/json", "Accept: application/json", NULL };
	struct ag_http_opts h = o->local.http;
	char url[1024];
	enum ag_code rc;

	if ((rc = ag_http_url(url, sizeof(url), err, "%s%s", o->url, path)) != AG_OK)
		return rc;
	h.max_response = AG_MAA_MAX_RESPONSE;
	rc = ag_http_request("POST", url, headers, body, strlen(body), &h, http, err);
	if (rc == AG_OK && http->status != 200)
		rc = http_refusal(url, http, err);
	return rc;
}

/* Non-200 answers: the instance's own error message is the most useful thing to show. */
static enum ag_code
http_refusal(const char *url, const struct ag_http_response *resp, struct ag_err *err)
{
	json_t *j = json_loadb((const char *)resp->body.data, resp->body.len, 0, NULL);
	const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
	enum ag_code code = resp->status >= 400 && resp->status < 500 ? AG_EINVALID : AG_EVERIFIER;

	ag_err_set(err, code, "%s answered HTTP %ld%s%.300s", url, resp->status, msg != NULL ? ": " : "",
	    msg != NULL ? msg : "");
	json_decref(j);
	return code;
}

/* The HCL report's hardware report must verify here (TD quote, or SNP report with its VCEK chain) before it is sent. */
static enum ag_code
check_before_sending(const struct ag_maa_opts *o, const struct ag_hcl_report *r, const struct ag_evidence_blob *td,
    char **vcek, struct ag_err *err)
{
	enum ag_code rc = AG_OK;

	if (r->report_type == AG_HCL_TDX) {
		/* The TD quote must also be this TDREPORT's. */
		if (td == NULL)
			return ag_err_set(err, AG_EEVIDENCE, "AzureGuest for a TDX CVM needs the TD quote (td-quote.bin)");
		rc = ag_local_check_tdx(&o->local, td->data, td->len, NULL, err);
		if (rc == AG_OK)
			rc = ag_tdx_check_report_data(td->data, td->len, r->report_data, err);
		if (rc == AG_EINVALID)
			ag_err_prefix(err, "the TD quote does not verify locally, so it is not sent");
		return rc;
	}
	if (r->report_type != AG_HCL_SNP)
		return ag_err_set(err, AG_ECONFIG, "AzureGuest for %s CVMs is not built into this attestgate",
		    ag_hcl_report_type_name(r->report_type));
	rc = ag_local_check_hcl_snp(&o->local, r, vcek, NULL, err);
	if (rc == AG_EINVALID)
		ag_err_prefix(err, "the SEV-SNP report does not verify locally, so it is not sent");
	return rc;
}

/* The AzureGuest request's fields from the evidence, the HCL report and the node's OS (the ephemeral key's are the caller's). */
static void
guest_request(const struct ag_maa_opts *o, const struct ag_evidence *e, const struct ag_hcl_report *r, const char *nonce,
    const char *vcek, struct ag_maa_guest_request *req)
{
	const struct ag_evidence_blob *td = ag_evidence_get(e, "td-quote.bin");

	memset(req, 0, sizeof(*req));
	req->nonce = nonce;
	req->os_distro = o->os.name;
	req->os_major = o->os.major;
	req->os_minor = o->os.minor;
	req->tcg_log = blob(e, "eventlog.bin");
	req->ak_cert = blob(e, "ak-cert.der");
	req->ak_pub = blob(e, "ak-pub.tpm");
	req->quote = blob(e, "quote.msg");
	req->quote_sig = blob(e, "quote.sig");
	req->pcr_mask = AG_AZURE_QUOTE_PCRS;
	req->pcrs = ag_evidence_get(e, "pcrs.bin")->data;
	req->isolation = r->report_type == AG_HCL_TDX ? "Tdx" : "SevSnp";
	req->hw_report = r->report_type == AG_HCL_TDX ? (struct ag_maa_bytes){ td->data, td->len } :
						       (struct ag_maa_bytes){ r->hw_report, r->hw_report_len };
	req->vcek_chain = vcek;
	req->runtime = (struct ag_maa_bytes){ r->runtime, r->runtime_len };
}

enum ag_code
ag_maa_attest_azure_guest(const struct ag_maa_opts *o, const struct ag_evidence *e, char **jwt, struct ag_err *err)
{
	static const char *const needed[] = { "hcl-report.bin", "ak-cert.der", "ak-pub.tpm", "quote.msg", "quote.sig",
		"pcrs.bin" };
	const struct ag_evidence_blob *hcl = ag_evidence_get(e, "hcl-report.bin"), *td = ag_evidence_get(e, "td-quote.bin");
	struct ag_maa_guest_request req;
	struct ag_maa_guest_response resp;
	struct ag_http_response http;
	struct ag_hcl_report r;
	struct ag_tpm *t = NULL;
	uint8_t *enc_pub = NULL, *certify = NULL, *certify_sig = NULL, *key = NULL;
	size_t enc_pub_len = 0, certify_len = 0, certify_sig_len = 0, key_len = 0;
	char *vcek = NULL, *body = NULL, nonce[AG_NONCE_MAX + 1];
	enum ag_code rc;
	int parsed = 0;
	int64_t lap = ag_clock_mono_us();

	*jwt = NULL;
	memset(&resp, 0, sizeof(resp));
	memset(&http, 0, sizeof(http));
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (ag_evidence_get(e, needed[i]) == NULL)
			return ag_err_set(err, AG_EEVIDENCE, "AzureGuest needs Azure CVM evidence: %s is missing", needed[i]);
	if (ag_nonce_text(&e->nonce, nonce) != 0)
		return ag_err_set(err, AG_EEVIDENCE, "AzureGuest sends the nonce as text: this evidence's nonce is binary");
	rc = ag_hcl_parse(hcl->data, hcl->len, &r, err);
	parsed = rc == AG_OK;
	if (rc == AG_OK)
		rc = check_before_sending(o, &r, td, &vcek, err);
	lap = ag_timings_lap(o->timings, "localCheckAndThim", lap);
	if (rc == AG_OK)
		rc = ag_tpm_open(o->tcti, &t, err);
	if (rc == AG_OK)
		rc = ag_tpm_ephemeral_key(t, AG_AZURE_AK_HANDLE, AG_AZURE_QUOTE_PCRS, &enc_pub, &enc_pub_len, &certify,
		    &certify_len, &certify_sig, &certify_sig_len, err);
	lap = ag_timings_lap(o->timings, "ephemeralKey", lap);
	if (rc != AG_OK)
		goto out;
	guest_request(o, e, &r, nonce, vcek, &req);
	req.enc_pub = (struct ag_maa_bytes){ enc_pub, enc_pub_len };
	req.certify = (struct ag_maa_bytes){ certify, certify_len };
	req.certify_sig = (struct ag_maa_bytes){ certify_sig, certify_sig_len };
	rc = ag_maa_guest_request_build(&req, &body, err);
	if (rc == AG_OK)
		rc = post_json(o, "/attest/AzureGuest?api-version=2020-10-01", body, &http, err);
	lap = ag_timings_lap(o->timings, "attest", lap);
	if (rc != AG_OK)
		goto out;
	rc = ag_maa_guest_response_parse(http.body.data, http.body.len, &resp, err);
	if (rc == AG_OK)
		rc = ag_tpm_ephemeral_decrypt(t, AG_AZURE_QUOTE_PCRS, NULL, resp.inner_key_enc, resp.inner_key_enc_len, &key, &key_len,
		    err);
	if (rc == AG_OK)
		rc = ag_maa_guest_decrypt_jwt(&resp, key, key_len, jwt, err);
	ag_timings_lap(o->timings, "decrypt", lap);
out:
	if (key != NULL) {
		memset(key, 0, key_len);
		free(key);
	}
	ag_maa_guest_response_clear(&resp);
	ag_http_response_free(&http);
	if (parsed)
		ag_hcl_clear(&r);
	ag_tpm_close(t);
	free(enc_pub);
	free(certify);
	free(certify_sig);
	free(vcek);
	free(body);
	return rc;
}

/* The VCEK chain to send with an SNP report: the evidence's, its cert table's, or THIM's. */
static enum ag_code
snp_chain_pem(const struct ag_maa_opts *o, const struct ag_evidence *e, char **pem, struct ag_err *err)
{
	const struct ag_evidence_blob *chain = ag_evidence_get(e, "vcek-chain.pem"), *table = ag_evidence_get(e, "certs.bin"),
				      *report = ag_evidence_get(e, "snp-report.bin");
	STACK_OF(X509) *certs;
	struct ag_snp_report r;
	enum ag_code rc;
	int fetched = 0;

	*pem = NULL;
	if (chain != NULL) {
		*pem = strndup((const char *)chain->data, chain->len);
		return *pem != NULL ? AG_OK : ag_err_set(err, AG_EEVIDENCE, "out of memory");
	}
	if (table != NULL) {
		certs = sk_X509_new_null();
		rc = certs != NULL ? ag_amd_certs_load(table->data, table->len, certs, err) :
				     ag_err_set(err, AG_EEVIDENCE, "out of memory");
		if (rc == AG_OK && (*pem = ag_certs_to_pem(certs)) == NULL)
			rc = ag_err_set(err, AG_EEVIDENCE, "out of memory");
		sk_X509_pop_free(certs, X509_free);
		return rc;
	}
	/* Nothing came with the evidence: the configured sources (cache, THIM, KDS). */
	rc = ag_snp_parse(report->data, report->len, &r, err);
	if (rc == AG_OK)
		rc = ag_local_vcek_chain(&o->local, &r, pem, &fetched, err);
	if (rc == AG_OK && *pem == NULL)
		rc = ag_err_set(err, AG_EEVIDENCE, "no VCEK certificates for the SNP report (no cert table, THIM or KDS)");
	return rc;
}

enum ag_code
ag_maa_attest_vm(const struct ag_maa_opts *o, const struct ag_evidence *e, char **jwt, struct ag_err *err)
{
	int tdx = e->platform != NULL && strcmp(e->platform, "tdx") == 0;
	const struct ag_evidence_blob *hw = ag_evidence_get(e, tdx ? "td-quote.bin" : "snp-report.bin"),
				      *rt = ag_evidence_get(e, "runtime-data.json"), *uvm = ag_evidence_get(e, "uvm-reference-info.b64");
	struct ag_http_response http;
	struct ag_maa_bytes runtime, cose = { NULL, 0 };
	uint8_t *cose_buf = NULL;
	size_t cose_len = 0;
	char *pem = NULL, *body = NULL;
	enum ag_code rc = AG_OK;

	*jwt = NULL;
	memset(&http, 0, sizeof(http));
	if (hw == NULL || rt == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "%s needs the %s and the runtime data", tdx ? "TdxVm" : "SevSnpVm",
		    tdx ? "TD quote" : "SNP report");
	runtime = (struct ag_maa_bytes){ rt->data, rt->len };
	if (tdx) {
		rc = ag_local_check_tdx(&o->local, hw->data, hw->len, NULL, err);
		if (rc == AG_EINVALID)
			ag_err_prefix(err, "the TD quote does not verify locally, so it is not sent");
		if (rc == AG_OK)
			rc = ag_maa_tdx_vm_request((struct ag_maa_bytes){ hw->data, hw->len }, runtime, &body, err);
		if (rc == AG_OK)
			rc = post_json(o, AG_MAA_TDX_VM_PATH, body, &http, err);
	} else {
		rc = snp_chain_pem(o, e, &pem, err);
		if (rc == AG_OK) {
			struct ag_evidence_blob chain = { "vcek-chain.pem", (uint8_t *)pem, strlen(pem) };

			rc = ag_local_check_snp(&o->local, hw->data, hw->len, &chain, NULL, err);
			if (rc == AG_EINVALID)
				ag_err_prefix(err, "the SEV-SNP report does not verify locally, so it is not sent");
		}
		if (rc == AG_OK && uvm != NULL) {
			if (ag_b64_decode((const char *)uvm->data, uvm->len, &cose_buf, &cose_len) != 0)
				rc = ag_err_set(err, AG_EEVIDENCE, "the UVM reference info is not base64");
			cose = (struct ag_maa_bytes){ cose_buf, cose_len };
		}
		if (rc == AG_OK)
			rc = ag_maa_snp_vm_request((struct ag_maa_bytes){ hw->data, hw->len }, pem, cose, runtime,
			    ag_nonce_request_number(&e->nonce), &body, err);
		if (rc == AG_OK)
			rc = post_json(o, AG_MAA_SNP_VM_PATH, body, &http, err);
	}
	if (rc == AG_OK)
		rc = ag_maa_vm_response_parse(http.body.data, http.body.len, jwt, err);
	ag_http_response_free(&http);
	free(cose_buf);
	free(pem);
	free(body);
	return rc;
}

/* The node's OS: --os-distro and --os-version when given (both), else its os-release file. */
static enum ag_code
node_os(const struct ag_verify_in *in, struct ag_os_release *os, struct ag_err *err)
{
	char text[512];
	int n;

	if ((in->os_distro == NULL) != (in->os_version == NULL))
		return ag_err_set(err, AG_ECONFIG, "--os-distro and --os-version go together");
	if (in->os_distro == NULL)
		return ag_os_release_read(in->os_release != NULL ? in->os_release : AG_OS_RELEASE_DEFAULT, os, err);
	/* The same parser and rules as for the file. */
	n = snprintf(text, sizeof(text), "NAME=\"%s\"\nVERSION_ID=\"%s\"\n", in->os_distro, in->os_version);
	if (n < 0 || (size_t)n >= sizeof(text) || strpbrk(in->os_distro, "\"\n\\") != NULL ||
	    strpbrk(in->os_version, "\"\n\\") != NULL)
		return ag_err_set(err, AG_ECONFIG, "--os-distro/--os-version: too long, or with quotes or newlines");
	if (ag_os_release_parse(text, (size_t)n, os, err) != AG_OK)
		return ag_err_set_prefixed(err, AG_ECONFIG, "--os-distro/--os-version");
	return AG_OK;
}

/* The token checked against the instance's keys, the policy's freshness and this evidence's nonce. */
static enum ag_code
check_token(const struct ag_verify_in *in, const struct ag_jwks *keys, enum ag_nonce_site site, struct ag_verify_out *out,
    struct ag_err *err)
{
	static const char *const algs[] = { "RS256", NULL };
	const struct ag_policy *p = in->policy;
	struct ag_token_opts to;
	char *nonce_claim = p->nonce ? ag_nonce_claim(&in->evidence->nonce, site) : NULL;
	enum ag_code rc;

	if (p->nonce && nonce_claim == NULL)
		return ag_err_set(err, AG_EINVALID, "out of memory");
	memset(&to, 0, sizeof(to));
	to.issuer = p->verifier_url;
	to.algs = algs;
	to.now = time(NULL);
	to.clock_skew_s = p->clock_skew_ms / 1000;
	to.max_age_s = p->max_token_age_ms / 1000;
	to.nonce = nonce_claim;
	to.nonce_site = site;
	rc = ag_token_verify((const uint8_t *)out->token, strlen(out->token), keys, &to, &out->claims, &out->info, err);
	if (rc == AG_OK)
		out->jwks = ag_jwks_dump(keys);
	free(nonce_claim);
	return rc;
}

/* MAA: AzureGuest (azure-cvm) or SevSnpVm/TdxVm, the instance's keys, then the token. */
static enum ag_code
maa_verify(const struct ag_verify_in *in, struct ag_verify_out *out, struct ag_err *err)
{
	const struct ag_evidence *e = in->evidence;
	int guest = e->platform != NULL && strcmp(e->platform, "azure-cvm") == 0;
	struct ag_maa_opts mo;
	struct ag_jwks *keys = NULL;
	int64_t t, lap;
	enum ag_code rc;

	memset(&mo, 0, sizeof(mo));
	mo.url = in->policy->verifier_url;
	mo.tcti = in->tcti;
	mo.local = *in->local;
	mo.timings = in->timings;
	/* AzureGuest reports the node's OS as Microsoft's clients do: NAME and VERSION_ID of its os-release. */
	if (guest && (rc = node_os(in, &mo.os, err)) != AG_OK)
		return rc;
	t = ag_clock_mono_ms();
	lap = ag_clock_mono_us();
	rc = guest ? ag_maa_attest_azure_guest(&mo, e, &out->token, err) : ag_maa_attest_vm(&mo, e, &out->token, err);
	if (!guest)
		lap = ag_timings_lap(in->timings, "attest", lap);
	else
		lap = ag_clock_mono_us();
	if (rc == AG_OK)
		rc = ag_jwks_fetch(mo.url, &mo.local.http, &keys, err);
	ag_timings_lap(in->timings, "jwks", lap);
	out->ms_verifier = ag_clock_mono_ms() - t;
	ag_log_step("verifier", rc, out->ms_verifier, err);
	if (rc != AG_OK)
		goto out;
	t = ag_clock_mono_ms();
	lap = ag_clock_mono_us();
	rc = check_token(in, keys, guest ? AG_NONCE_AZUREGUEST : AG_NONCE_RUNTIME, out, err);
	ag_timings_lap(in->timings, "token", lap);
	out->ms_verify = ag_clock_mono_ms() - t;
	ag_log_step("token", rc, out->ms_verify, err);
out:
	ag_jwks_free(keys);
	return rc;
}

const struct ag_verifier ag_verifier_maa = { "maa", maa_verify };
