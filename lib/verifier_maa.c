/*
 * verifier_maa.c - the AzureGuest exchange: THIM certificates, the
 * ephemeral key in the vTPM, the request, and the response opened inside
 * the vTPM.  A response that cannot be opened by this vTPM is invalid
 * (exit 6); an instance that cannot be reached is exit 4.
 */
#include "verifier_maa.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hcl.h"
#include "verifier_local.h"
#include "log.h"
#include "maa.h"
#include "platform.h"
#include "tpm.h"

/* An evidence file as request bytes (empty when absent). */
static struct ag_maa_bytes
blob(const struct ag_evidence *e, const char *name)
{
	const struct ag_evidence_blob *b = ag_evidence_get(e, name);

	return b != NULL ? (struct ag_maa_bytes){ b->data, b->len } : (struct ag_maa_bytes){ NULL, 0 };
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

enum ag_code
ag_maa_attest_azure_guest(const struct ag_maa_opts *o, const struct ag_evidence *e, const char *nonce, char **jwt,
    struct ag_err *err)
{
	static const char *const headers[] = { "Content-Type: application/json", "Accept: application/json", NULL };
	static const char *const needed[] = { "hcl-report.bin", "ak-cert.der", "ak-pub.tpm", "quote.msg", "quote.sig",
		"pcrs.bin" };
	const struct ag_evidence_blob *hcl = ag_evidence_get(e, "hcl-report.bin");
	struct ag_maa_guest_request req;
	struct ag_maa_guest_response resp;
	struct ag_http_response http;
	struct ag_hcl_report r;
	struct ag_tpm *t = NULL;
	uint8_t *enc_pub = NULL, *certify = NULL, *certify_sig = NULL, *key = NULL;
	size_t enc_pub_len = 0, certify_len = 0, certify_sig_len = 0, key_len = 0;
	char *vcek = NULL, *body = NULL, url[1024];
	enum ag_code rc;
	int parsed = 0;

	*jwt = NULL;
	memset(&resp, 0, sizeof(resp));
	memset(&http, 0, sizeof(http));
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (ag_evidence_get(e, needed[i]) == NULL)
			return ag_err_set(err, AG_EEVIDENCE, "AzureGuest needs Azure CVM evidence: %s is missing", needed[i]);
	rc = ag_hcl_parse(hcl->data, hcl->len, &r, err);
	parsed = rc == AG_OK;
	if (rc == AG_OK && r.report_type != AG_HCL_SNP)
		rc = ag_err_set(err, AG_ECONFIG, "AzureGuest for %s CVMs is not built into this attestgate yet",
		    ag_hcl_report_type_name(r.report_type));
	if (rc == AG_OK) {
		/* The SEV-SNP report must verify here before it is sent anywhere. */
		rc = ag_local_check_hcl_snp(&o->local, &r, &vcek, NULL, err);
		if (rc == AG_EINVALID)
			ag_err_prefix(err, "the SEV-SNP report does not verify locally, so it is not sent");
	}
	if (rc == AG_OK)
		rc = ag_tpm_open(o->tcti, &t, err);
	if (rc == AG_OK)
		rc = ag_tpm_ephemeral_key(t, AG_AZURE_AK_HANDLE, AG_AZURE_QUOTE_PCRS, &enc_pub, &enc_pub_len, &certify,
		    &certify_len, &certify_sig, &certify_sig_len, err);
	if (rc != AG_OK)
		goto out;
	memset(&req, 0, sizeof(req));
	req.nonce = nonce;
	req.os_distro = o->os_distro != NULL ? o->os_distro : "Linux";
	req.os_major = o->os_major;
	req.os_minor = o->os_minor;
	req.tcg_log = blob(e, "eventlog.bin");
	req.ak_cert = blob(e, "ak-cert.der");
	req.ak_pub = blob(e, "ak-pub.tpm");
	req.quote = blob(e, "quote.msg");
	req.quote_sig = blob(e, "quote.sig");
	req.pcr_mask = AG_AZURE_QUOTE_PCRS;
	req.pcrs = ag_evidence_get(e, "pcrs.bin")->data;
	req.enc_pub = (struct ag_maa_bytes){ enc_pub, enc_pub_len };
	req.certify = (struct ag_maa_bytes){ certify, certify_len };
	req.certify_sig = (struct ag_maa_bytes){ certify_sig, certify_sig_len };
	req.isolation = "SevSnp";
	req.hw_report = (struct ag_maa_bytes){ r.hw_report, r.hw_report_len };
	req.vcek_chain = vcek;
	req.runtime = (struct ag_maa_bytes){ r.runtime, r.runtime_len };
	rc = ag_maa_guest_request_build(&req, &body, err);
	if (rc != AG_OK)
		goto out;
	snprintf(url, sizeof(url), "%s/attest/AzureGuest?api-version=2020-10-01", o->url);
	{
		struct ag_http_opts h = o->local.http;

		h.max_response = AG_MAA_MAX_RESPONSE;
		rc = ag_http_request("POST", url, headers, body, strlen(body), &h, &http, err);
	}
	if (rc != AG_OK)
		goto out;
	if (http.status != 200) {
		rc = http_refusal(url, &http, err);
		goto out;
	}
	rc = ag_maa_guest_response_parse(http.body.data, http.body.len, &resp, err);
	if (rc == AG_OK)
		rc = ag_tpm_ephemeral_decrypt(t, AG_AZURE_QUOTE_PCRS, resp.inner_key_enc, resp.inner_key_enc_len, &key, &key_len,
		    err);
	if (rc == AG_OK)
		rc = ag_maa_guest_decrypt_jwt(&resp, key, key_len, jwt, err);
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
