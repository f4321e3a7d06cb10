/*
 * verifier_local.c - local verification of Azure CVM evidence: the SEV-SNP
 * report against the pinned AMD chain (certificates from THIM), the HCL
 * binding, the AK bound in the runtime data, and the quote over the PCRs
 * with the gate's nonce.
 */
#include "verifier_local.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amd_certs.h"
#include "imds.h"
#include "snp.h"
#include "tpm_attest.h"

enum ag_code
ag_local_check_hcl_snp(const struct ag_local_opts *o, const struct ag_hcl_report *r, char **vcek_pem, json_t **claims,
    struct ag_err *err)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	struct ag_snp_report snp;
	json_t *c = NULL;
	enum ag_code rc;

	*vcek_pem = NULL;
	if (r->report_type != AG_HCL_SNP) {
		sk_X509_free(certs);
		return ag_err_set(err, AG_ECONFIG, "%s CVMs are not verified by this attestgate yet",
		    ag_hcl_report_type_name(r->report_type));
	}
	rc = ag_snp_parse(r->hw_report, r->hw_report_len, &snp, err);
	if (rc == AG_OK)
		rc = ag_imds_thim_vcek(o->imds_url, &o->http, snp.reported_tcb, vcek_pem, err);
	if (rc == AG_OK)
		rc = ag_amd_certs_load((const uint8_t *)*vcek_pem, strlen(*vcek_pem), certs, err);
	/* THIM brings the chain; the roots directory is only a fallback. */
	if (rc == AG_OK)
		rc = ag_snp_verify_dirs(&snp, certs, o->roots, 0, o->insecure_test_roots, time(NULL), &c, err);
	sk_X509_pop_free(certs, X509_free);
	if (rc != AG_OK) {
		free(*vcek_pem);
		*vcek_pem = NULL;
		json_decref(c);
		return rc;
	}
	if (claims != NULL)
		*claims = c;
	else
		json_decref(c);
	return AG_OK;
}

enum ag_code
ag_local_verify_azure_cvm(const struct ag_local_opts *o, const struct ag_evidence *e, json_t **claims,
    struct ag_err *err)
{
	const struct ag_evidence_blob *hcl = ag_evidence_get(e, "hcl-report.bin"), *msg = ag_evidence_get(e, "quote.msg"),
				      *sig = ag_evidence_get(e, "quote.sig"), *pcrs = ag_evidence_get(e, "pcrs.bin");
	struct ag_hcl_report r;
	struct ag_quote_info qi;
	json_t *tee = NULL, *list;
	EVP_PKEY *ak = NULL;
	char *vcek = NULL, nonce[2 * 64 + 1];
	enum ag_code rc;
	int parsed = 0;

	*claims = NULL;
	if (hcl == NULL || msg == NULL || sig == NULL || pcrs == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "the local verifier needs the HCL report, the quote and the PCRs");
	rc = ag_hcl_parse(hcl->data, hcl->len, &r, err);
	parsed = rc == AG_OK;
	if (rc == AG_OK)
		rc = ag_local_check_hcl_snp(o, &r, &vcek, &tee, err);
	if (rc == AG_OK)
		rc = ag_hcl_runtime_key(&r, "HCLAkPub", &ak, err);
	if (rc == AG_OK)
		rc = ag_quote_verify(msg->data, msg->len, sig->data, sig->len, ak, e->nonce, e->nonce_len, pcrs->data, pcrs->len,
		    &qi, err);
	if (rc == AG_OK) {
		list = json_array();
		for (unsigned i = 0; i < AG_TPM_PCR_COUNT; i++)
			if (qi.pcr_mask & (1u << i))
				json_array_append_new(list, json_integer(i));
		json_object_set(tee, "x-ms-runtime", r.runtime_json);
		/* The nonce is text the gate made; it is bound by the quote. */
		memcpy(nonce, e->nonce, e->nonce_len);
		nonce[e->nonce_len] = '\0';
		*claims = json_pack("{s:s, s:O, s:o, s:{s:s}, s:s}", "x-ms-attestation-type", "azurevm", "x-ms-isolation-tee",
		    tee, "x-ms-azurevm-attested-pcrs", list, "x-ms-runtime", "nonce", nonce, "x-attestgate-verifier", "local");
		if (*claims == NULL)
			rc = ag_err_set(err, AG_EINVALID, "out of memory");
	}
	if (parsed)
		ag_hcl_clear(&r);
	json_decref(tee);
	EVP_PKEY_free(ak);
	free(vcek);
	return rc;
}
