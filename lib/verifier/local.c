/*
 * verifier/local.c - local verification of every platform's evidence: the
 * SEV-SNP report against the pinned AMD chain (certificates from the
 * evidence, --certs, THIM, the roots directory), the TD quote against the
 * pinned Intel root, the HCL binding and the vTPM quote of Azure CVMs, and
 * each platform's binding of the gate's nonce into the hardware report.
 */
#include "verifier/local.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/amd_certs.h"
#include "verifier/amd_kds.h"
#include "base/certs.h"
#include "base/crl.h"
#include "base/log.h"
#include "base/bytes.h"
#include "base/digest.h"
#include "node/imds.h"
#include "format/snp.h"
#include "base/fileio.h"
#include "format/tdx.h"
#include "format/tdx_qe.h"
#include "format/tdx_tcb.h"
#include "format/tpm_attest.h"
#include "base/clock.h"
#include "verifier/verifier.h"

#define RUNTIME_JSON_MAX (64 * 1024)

static time_t
verification_time(const struct ag_local_opts *o)
{
	return o->at != 0 ? o->at : time(NULL);
}

/* A new stack holding the options' extra certificates. */
static STACK_OF(X509) *
extra_certs(const struct ag_local_opts *o)
{
	STACK_OF(X509) *s = o->certs != NULL ? X509_chain_up_ref(o->certs) : sk_X509_new_null();

	return s;
}

/* Nonzero when certs holds an EC certificate (a VCEK or VLEK candidate). */
static int
has_leaf(STACK_OF(X509) *certs)
{
	for (int i = 0; certs != NULL && i < sk_X509_num(certs); i++)
		if (EVP_PKEY_is_a(X509_get0_pubkey(sk_X509_value(certs, i)), "EC"))
			return 1;
	return 0;
}

enum ag_code
ag_local_vcek_chain(const struct ag_local_opts *o, const struct ag_snp_report *snp, char **pem, int *fetched, struct ag_err *err)
{
	STACK_OF(X509) *cached = sk_X509_new_null();
	enum ag_code rc = cached != NULL ? AG_OK : ag_err_set(err, AG_EEVIDENCE, "out of memory");

	*pem = NULL;
	*fetched = 0;
	if (rc == AG_OK && o->cert_cache != NULL)
		rc = ag_amd_cache_load(o->cert_cache, snp, cached, err);
	if (rc == AG_OK && has_leaf(cached)) {
		*pem = ag_certs_to_pem(cached);
		sk_X509_pop_free(cached, X509_free);
		return *pem != NULL ? AG_OK : ag_err_set(err, AG_EEVIDENCE, "out of memory");
	}
	sk_X509_pop_free(cached, X509_free);
	if (rc == AG_OK && o->imds_url != NULL) {
		rc = ag_imds_thim_vcek(o->imds_url, &o->http, snp->reported_tcb, pem, err);
		if (rc == AG_OK || o->kds_url == NULL) {
			*fetched = rc == AG_OK;
			return rc;
		}
		ag_log(AG_LOG_WARN, "THIM gave no certificates; asking AMD KDS", "error", json_string(err->msg), NULL);
	}
	if (rc == AG_OK && o->kds_url != NULL) {
		rc = ag_amd_kds_vcek(o->kds_url, &o->http, snp, pem, err);
		*fetched = rc == AG_OK;
		return rc;
	}
	return rc;
}

/*
 * The revocation check of a verified chain (--crl): pool is every
 * certificate the verification could use, plus the test roots.
 */
static enum ag_code
check_crls(const struct ag_local_opts *o, X509 *leaf, STACK_OF(X509) *pool, int (*links)(X509 *), struct ag_err *err)
{
	STACK_OF(X509) *all = X509_chain_up_ref(pool);
	enum ag_code rc = all != NULL ? AG_OK : ag_err_set(err, AG_EINVALID, "out of memory");

	if (rc == AG_OK && o->insecure_test_roots != NULL)
		rc = ag_certs_load_dir(o->insecure_test_roots, all, err);
	if (rc == AG_OK && leaf == NULL)
		rc = ag_err_set(err, AG_EINVALID, "no leaf certificate to check against the CRLs");
	if (rc == AG_OK)
		rc = ag_crl_check(leaf, all, links, o->crls, verification_time(o), err);
	sk_X509_pop_free(all, X509_free);
	return rc;
}

/*
 * Verifies snp with certs (consumed) and, when they hold no VCEK or fetch is
 * set, the chain from the cache, THIM or KDS; a fetched chain that verifies
 * is cached.  *chain (may be NULL) gets that chain as PEM.
 */
static enum ag_code
verify_snp_report(const struct ag_local_opts *o, const struct ag_snp_report *snp, STACK_OF(X509) *certs, int fetch,
    char **chain, json_t **claims, struct ag_err *err)
{
	struct ag_err ignored;
	char *pem = NULL;
	int fetched = 0;
	enum ag_code rc = certs != NULL ? AG_OK : ag_err_set(err, AG_EINVALID, "out of memory");

	if (rc == AG_OK && (fetch || !has_leaf(certs)))
		rc = ag_local_vcek_chain(o, snp, &pem, &fetched, err);
	if (rc == AG_OK && fetch && pem == NULL)
		rc = ag_err_set(err, AG_EEVIDENCE, "no source of VCEK certificates is configured");
	if (rc == AG_OK && pem != NULL)
		rc = ag_amd_certs_load((const uint8_t *)pem, strlen(pem), certs, err);
	if (rc == AG_OK)
		rc = ag_snp_verify_dirs(snp, certs, o->roots, o->roots_required, o->insecure_test_roots, verification_time(o),
		    claims, err);
	if (rc == AG_OK && o->crls != NULL && (rc = check_crls(o, ag_snp_leaf(snp, certs), certs, ag_crl_amd_links, err)) != AG_OK) {
		json_decref(*claims);
		*claims = NULL;
	}
	if (rc == AG_OK && fetched && o->cert_cache != NULL && ag_amd_cache_store(o->cert_cache, snp, pem, &ignored) != AG_OK)
		ag_log(AG_LOG_WARN, "cannot write the certificate cache", "error", json_string(ignored.msg), NULL);
	sk_X509_pop_free(certs, X509_free);
	if (rc == AG_OK && chain != NULL)
		*chain = pem;
	else
		free(pem);
	return rc;
}

enum ag_code
ag_local_check_hcl_snp(const struct ag_local_opts *o, const struct ag_hcl_report *r, char **vcek_pem, json_t **claims,
    struct ag_err *err)
{
	struct ag_snp_report snp;
	json_t *c = NULL;
	enum ag_code rc;

	*vcek_pem = NULL;
	if (r->report_type != AG_HCL_SNP)
		return ag_err_set(err, AG_ECONFIG, "the HCL report holds a %s report, not SEV-SNP",
		    ag_hcl_report_type_name(r->report_type));
	rc = ag_snp_parse(r->hw_report, r->hw_report_len, &snp, err);
	/* THIM (or the cache, or KDS) brings the chain, which is also what MAA gets; the roots directory is only a fallback. */
	if (rc == AG_OK)
		rc = verify_snp_report(o, &snp, extra_certs(o), 1, vcek_pem, &c, err);
	if (rc == AG_OK && claims != NULL)
		*claims = c;
	else
		json_decref(c);
	return rc;
}

enum ag_code
ag_local_check_snp(const struct ag_local_opts *o, const uint8_t *report, size_t len,
    const struct ag_evidence_blob *certs_blob, json_t **claims, struct ag_err *err)
{
	STACK_OF(X509) *given = NULL;
	struct ag_snp_report snp;
	json_t *c = NULL;
	enum ag_code rc = ag_snp_parse(report, len, &snp, err);

	if (rc == AG_OK && (given = extra_certs(o)) == NULL)
		rc = ag_err_set(err, AG_EINVALID, "out of memory");
	if (rc == AG_OK && certs_blob != NULL && (rc = ag_amd_certs_load(certs_blob->data, certs_blob->len, given, err)) != AG_OK)
		ag_err_prefix(err, "evidence %s", certs_blob->name);
	/* Certificates that came with the evidence or the command line first; the other sources only when they hold no VCEK. */
	if (rc == AG_OK) {
		rc = verify_snp_report(o, &snp, given, 0, NULL, &c, err);
		given = NULL;
	}
	sk_X509_pop_free(given, X509_free);
	if (rc == AG_OK && claims != NULL)
		*claims = c;
	else
		json_decref(c);
	return rc;
}

/* Reads Intel collateral (body_path) and its issuer chain (chain_path, PEM) named on the command line. */
static enum ag_code
read_collateral(const char *what, const char *body_path, const char *chain_path, uint8_t **body, size_t *body_len,
    STACK_OF(X509) *chain, struct ag_err *err)
{
	uint8_t *pem = NULL;
	size_t pem_len = 0;
	enum ag_code rc = AG_OK;

	if (chain_path == NULL)
		return ag_err_set(err, AG_ECONFIG, "the %s needs its issuer chain (the TCB Signing certificate)", what);
	rc = ag_file_read(body_path, AG_INTEL_COLLATERAL_MAX, AG_ECONFIG, body, body_len, err);
	if (rc == AG_OK)
		rc = ag_file_read(chain_path, AG_INTEL_COLLATERAL_MAX, AG_ECONFIG, &pem, &pem_len, err);
	if (rc == AG_OK && (rc = ag_certs_load(pem, pem_len, chain, err)) != AG_OK)
		ag_err_prefix(err, "%s", chain_path);
	free(pem);
	return rc;
}

/* The TD quote's TCB and quoting enclave against the collateral named in the options. */
static enum ag_code
check_tdx_collateral(const struct ag_local_opts *o, const struct ag_tdx_quote *q, STACK_OF(X509) *test, json_t *claims,
    struct ag_err *err)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	uint8_t *body = NULL;
	size_t len = 0;
	enum ag_code rc = chain != NULL ? AG_OK : ag_err_set(err, AG_EINVALID, "out of memory");

	if (rc == AG_OK && o->tdx_tcb_info != NULL) {
		rc = read_collateral("TCB info", o->tdx_tcb_info, o->tdx_tcb_chain, &body, &len, chain, err);
		if (rc == AG_OK)
			rc = ag_tdx_tcb_check(q, body, len, chain, test, verification_time(o), claims, err);
		free(body);
		body = NULL;
		sk_X509_pop_free(chain, X509_free);
		chain = sk_X509_new_null();
	}
	if (rc == AG_OK && o->tdx_qe_identity != NULL) {
		rc = read_collateral("QE identity", o->tdx_qe_identity,
		    o->tdx_qe_identity_chain != NULL ? o->tdx_qe_identity_chain : o->tdx_tcb_chain, &body, &len, chain, err);
		if (rc == AG_OK)
			rc = ag_tdx_qe_identity_check(q, body, len, chain, test, verification_time(o), claims, err);
		free(body);
	}
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

enum ag_code
ag_local_check_tdx(const struct ag_local_opts *o, const uint8_t *quote, size_t len, json_t **claims, struct ag_err *err)
{
	STACK_OF(X509) *certs = extra_certs(o), *test = NULL;
	struct ag_tdx_quote q;
	json_t *c = NULL;
	enum ag_code rc = certs != NULL ? ag_tdx_parse(quote, len, &q, err) : ag_err_set(err, AG_EINVALID, "out of memory");

	if (rc == AG_OK)
		rc = ag_certs_load_trust(o->roots, o->roots_required, o->insecure_test_roots, certs, &test, err);
	if (rc == AG_OK)
		rc = ag_tdx_verify(&q, certs, test, verification_time(o), &c, err);
	/* The PCK chain from the quote's PCK certificate up, against the CRLs. */
	if (rc == AG_OK && o->crls != NULL) {
		STACK_OF(X509) *pck = sk_X509_new_null();

		rc = pck != NULL ? ag_certs_load(q.pck_chain, q.pck_chain_len, pck, err) : ag_err_set(err, AG_EINVALID, "out of memory");
		for (int i = 0; rc == AG_OK && i < sk_X509_num(pck); i++)
			if (X509_up_ref(sk_X509_value(pck, i)) != 1 || sk_X509_push(certs, sk_X509_value(pck, i)) <= 0)
				rc = ag_err_set(err, AG_EINVALID, "out of memory");
		if (rc == AG_OK)
			rc = check_crls(o, sk_X509_value(pck, 0), certs, ag_crl_every_link, err);
		sk_X509_pop_free(pck, X509_free);
	}
	if (rc == AG_OK && (o->tdx_tcb_info != NULL || o->tdx_qe_identity != NULL))
		rc = check_tdx_collateral(o, &q, test, c, err);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(test, X509_free);
	if (rc == AG_OK && claims != NULL)
		*claims = c;
	else
		json_decref(c);
	return rc;
}

/* REPORT_DATA must be want followed by zeros. */
static enum ag_code
check_report_data(const uint8_t *report_data, const uint8_t *want, size_t want_len, const char *what, struct ag_err *err)
{
	if (want_len > 64 || !ag_ct_equal(report_data, want, want_len) || !ag_all_zero(report_data + want_len, 64 - want_len))
		return ag_err_set(err, AG_EINVALID, "REPORT_DATA is not %s: the report is not bound to this request", what);
	return AG_OK;
}

/* Runtime data (kata-cc): REPORT_DATA = SHA-256(runtime JSON), whose "nonce" is the nonce in hex. */
static enum ag_code
check_runtime_data(const struct ag_evidence *e, const uint8_t *report_data, json_t **runtime, struct ag_err *err)
{
	const struct ag_evidence_blob *rt = ag_evidence_get(e, "runtime-data.json");
	uint8_t digest[AG_SHA256_LEN];
	char nonce[AG_NONCE_HEX_MAX];
	json_error_t je;
	const char *got;
	enum ag_code rc;

	*runtime = NULL;
	if (rt == NULL || rt->len > RUNTIME_JSON_MAX)
		return ag_err_set(err, AG_EEVIDENCE, "the evidence has no runtime-data.json (or it is too large)");
	ag_sha256(rt->data, rt->len, digest);
	rc = check_report_data(report_data, digest, sizeof(digest), "SHA-256 of the runtime data", err);
	if (rc != AG_OK)
		return rc;
	*runtime = json_loadb((const char *)rt->data, rt->len, JSON_REJECT_DUPLICATES, &je);
	ag_nonce_hex(&e->nonce, nonce);
	got = json_string_value(json_object_get(*runtime, "nonce"));
	if (*runtime == NULL || (e->nonce.len > 0 && (got == NULL || strcmp(got, nonce) != 0))) {
		json_decref(*runtime);
		*runtime = NULL;
		return ag_err_set(err, AG_EINVALID, "the runtime data does not carry this request's nonce");
	}
	return AG_OK;
}

static json_t *
pcr_list(uint32_t mask)
{
	json_t *list = json_array();

	for (unsigned i = 0; i < AG_TPM_PCR_COUNT; i++)
		if (mask & (1u << i))
			json_array_append_new(list, json_integer(i));
	return list;
}

static enum ag_code
verify_azure_cvm(const struct ag_local_opts *o, const struct ag_evidence *e, json_t **claims, struct ag_err *err)
{
	const struct ag_evidence_blob *hcl = ag_evidence_get(e, "hcl-report.bin"), *msg = ag_evidence_get(e, "quote.msg"),
				      *sig = ag_evidence_get(e, "quote.sig"), *pcrs = ag_evidence_get(e, "pcrs.bin"),
				      *td = ag_evidence_get(e, "td-quote.bin");
	struct ag_hcl_report r;
	struct ag_quote_info qi;
	json_t *tee = NULL;
	EVP_PKEY *ak = NULL;
	char nonce[AG_NONCE_MAX + 1];
	enum ag_code rc;
	int parsed = 0, quoted = msg != NULL || sig != NULL || pcrs != NULL;

	*claims = NULL;
	if (hcl == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "the evidence has no HCL report");
	if ((quoted || !o->quote_optional) && (msg == NULL || sig == NULL || pcrs == NULL))
		return ag_err_set(err, AG_EEVIDENCE, "the vTPM quote needs quote.msg, quote.sig and pcrs.bin together");
	/* A requested check that cannot be made is an error, never skipped. */
	if (!quoted && o->nonce_required)
		return ag_err_set(err, AG_ECONFIG,
		    "the nonce is bound by the vTPM quote: checking it needs the quote (--quote-msg, --quote-sig, --pcrs)");
	if (e->quote_unbound && (o->nonce_required || !o->quote_optional))
		return ag_err_set(err, o->nonce_required ? AG_ECONFIG : AG_EINVALID,
		    "this evidence's vTPM quote carries no nonce (it was collected for MAA, where the nonce travels in the "
		    "client payload): the nonce cannot be checked here");
	rc = ag_hcl_parse(hcl->data, hcl->len, &r, err);
	parsed = rc == AG_OK;
	if (rc == AG_OK && r.report_type == AG_HCL_SNP) {
		rc = ag_local_check_snp(o, r.hw_report, r.hw_report_len, ag_evidence_get(e, "vcek-chain.pem"), &tee, err);
	} else if (rc == AG_OK && r.report_type == AG_HCL_TDX) {
		if (td == NULL)
			rc = ag_err_set(err, AG_EEVIDENCE, "a TDX CVM's evidence needs the TD quote (td-quote.bin)");
		if (rc == AG_OK)
			rc = ag_local_check_tdx(o, td->data, td->len, &tee, err);
		if (rc == AG_OK)
			rc = ag_tdx_check_report_data(td->data, td->len, r.report_data, err);
	} else if (rc == AG_OK) {
		rc = ag_err_set(err, AG_EINVALID, "the HCL report holds a %s report, which is not verified locally",
		    ag_hcl_report_type_name(r.report_type));
	}
	if (rc == AG_OK && quoted) {
		rc = ag_hcl_runtime_key(&r, "HCLAkPub", &ak, err);
		/* No nonce to check (verify-evidence without --nonce): the quote is verified, its extraData not compared. */
		if (rc == AG_OK && !e->quote_unbound && e->nonce.len == 0)
			rc = ag_quote_verify_any_nonce(msg->data, msg->len, sig->data, sig->len, ak, pcrs->data, pcrs->len, &qi,
			    err);
		else if (rc == AG_OK)
			rc = ag_quote_verify(msg->data, msg->len, sig->data, sig->len, ak, e->quote_unbound ? NULL : e->nonce.v,
			    e->quote_unbound ? 0 : e->nonce.len, pcrs->data, pcrs->len, &qi, err);
	}
	if (rc == AG_OK) {
		json_object_set(tee, "x-ms-runtime", r.runtime_json);
		*claims = json_pack("{s:s, s:O}", "x-ms-attestation-type", "azurevm", "x-ms-isolation-tee", tee);
		if (*claims != NULL && quoted)
			json_object_set_new(*claims, "x-ms-azurevm-attested-pcrs", pcr_list(qi.pcr_mask));
		/* The nonce is text the gate made; it is bound by the quote. */
		if (*claims != NULL && quoted && !e->quote_unbound && e->nonce.len > 0)
			json_object_set_new(*claims, "x-ms-runtime", ag_nonce_text(&e->nonce, nonce) == 0 ?
			    json_pack("{s:s}", "nonce", nonce) : json_object());
		if (*claims == NULL)
			rc = ag_err_set(err, AG_EINVALID, "out of memory");
	}
	if (parsed)
		ag_hcl_clear(&r);
	json_decref(tee);
	EVP_PKEY_free(ak);
	return rc;
}

static enum ag_code
verify_snp(const struct ag_local_opts *o, const struct ag_evidence *e, int kata, json_t **claims, struct ag_err *err)
{
	const struct ag_evidence_blob *report = ag_evidence_get(e, "snp-report.bin"), *certs = ag_evidence_get(e, "certs.bin");
	json_t *runtime = NULL;
	enum ag_code rc;

	*claims = NULL;
	if (report == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "the evidence has no SNP report (snp-report.bin)");
	if (certs == NULL)
		certs = ag_evidence_get(e, "vcek-chain.pem");
	rc = ag_local_check_snp(o, report->data, report->len, certs, claims, err);
	if (rc == AG_OK && (kata || ag_evidence_get(e, "runtime-data.json") != NULL))
		rc = check_runtime_data(e, report->data + 0x50, &runtime, err);
	else if (rc == AG_OK && e->nonce.len > 0)
		rc = check_report_data(report->data + 0x50, e->nonce.v, e->nonce.len, "the nonce", err);
	if (rc == AG_OK && runtime != NULL)
		json_object_set_new(*claims, "x-ms-runtime", runtime);
	if (rc != AG_OK) {
		json_decref(*claims);
		*claims = NULL;
	}
	return rc;
}

static enum ag_code
verify_tdx(const struct ag_local_opts *o, const struct ag_evidence *e, json_t **claims, struct ag_err *err)
{
	const struct ag_evidence_blob *quote = ag_evidence_get(e, "td-quote.bin");
	struct ag_tdx_quote q;
	json_t *runtime = NULL;
	enum ag_code rc;

	*claims = NULL;
	if (quote == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "the evidence has no TD quote (td-quote.bin)");

	rc = ag_local_check_tdx(o, quote->data, quote->len, claims, err);
	if (rc == AG_OK)
		rc = ag_tdx_parse(quote->data, quote->len, &q, err);
	if (rc == AG_OK && ag_evidence_get(e, "runtime-data.json") != NULL)
		rc = check_runtime_data(e, q.report_data, &runtime, err);
	else if (rc == AG_OK && e->nonce.len > 0)
		rc = check_report_data(q.report_data, e->nonce.v, e->nonce.len, "the nonce", err);
	if (rc == AG_OK && runtime != NULL)
		json_object_set_new(*claims, "x-ms-runtime", runtime);
	if (rc != AG_OK) {
		json_decref(*claims);
		*claims = NULL;
	}
	return rc;
}

enum ag_code
ag_local_verify(const struct ag_local_opts *o, const struct ag_evidence *e, json_t **claims, struct ag_err *err)
{
	const char *p = e->platform != NULL ? e->platform : "";
	enum ag_code rc;

	*claims = NULL;
	if (strcmp(p, "azure-cvm") == 0)
		rc = verify_azure_cvm(o, e, claims, err);
	else if (strcmp(p, "sev-snp") == 0 || strcmp(p, "azure-kata-cc") == 0)
		rc = verify_snp(o, e, strcmp(p, "azure-kata-cc") == 0, claims, err);
	else if (strcmp(p, "tdx") == 0)
		rc = verify_tdx(o, e, claims, err);
	else
		return ag_err_set(err, AG_ECONFIG, "no local verification for platform \"%s\"", p);
	if (rc == AG_OK)
		json_object_set_new(*claims, "x-attestgate-verifier", json_string("local"));
	return rc;
}

/* The local verifier as a row of the table: the checks above, timed and logged. */
static enum ag_code
local_verify(const struct ag_verify_in *in, struct ag_verify_out *out, struct ag_err *err)
{
	int64_t t = ag_clock_mono_ms();
	enum ag_code rc = ag_local_verify(in->local, in->evidence, &out->claims, err);

	out->ms_verify = ag_clock_mono_ms() - t;
	ag_log_step("local-verifier", rc, out->ms_verify, err);
	return rc;
}

const struct ag_verifier ag_verifier_local = { "local", local_verify };
