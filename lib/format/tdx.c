/*
 * format/tdx.c - TDX quote v4/v5 parsing and verification with OpenSSL: the PCK
 * chain through X509_verify_cert with only pinned (or explicit test) roots
 * trusted, ECDSA P-256 signatures through EVP_DigestVerify.
 */
#include "format/tdx.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <string.h>

#include "base/bytes.h"
#include "base/certs.h"
#include "base/digest.h"
#include "base/pkey.h"
#include "format/tdx_qe.h"

#define HEADER_LEN 48
#define BODY10_LEN 584
#define BODY15_LEN 648
#define QE_REPORT_LEN 384
#define QE_REPORT_DATA_OFF 320
#define TEE_TDX 0x81
#define ATT_KEY_ECDSA_P256 2
#define CERT_QE_REPORT 6
#define CERT_PCK_CHAIN 5

/* Intel SGX Root CA, SHA-256 of its DER (../shared/data/intel/SOURCES.txt). */
static const char intel_root_sha256[] = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";
static const uint8_t intel_qe_vendor[16] = { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
	0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07 };

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void
parse_body(const uint8_t *b, uint16_t type, struct ag_tdx_quote *q)
{
	q->tee_tcb_svn = b;
	q->mrseam = b + 16;
	q->mrsignerseam = b + 64;
	q->seam_attributes = b + 112;
	q->td_attributes = b + 120;
	q->xfam = b + 128;
	q->mrtd = b + 136;
	q->mrconfigid = b + 184;
	q->mrowner = b + 232;
	q->mrownerconfig = b + 280;
	for (int i = 0; i < 4; i++)
		q->rtmr[i] = b + 328 + 48 * i;
	q->report_data = b + 520;
	q->tee_tcb_svn2 = type == 3 ? b + 584 : NULL;
	q->mrservicetd = type == 3 ? b + 600 : NULL;
}

enum ag_code
ag_tdx_parse(const uint8_t *buf, size_t len, struct ag_tdx_quote *q, struct ag_err *err)
{
	size_t off, sig_len, end, cd_len, inner_len;
	uint16_t type;

	memset(q, 0, sizeof(*q));
	if (len > AG_TDX_QUOTE_MAX)
		return ag_err_set(err, AG_EINVALID, "TD quote larger than %d bytes", AG_TDX_QUOTE_MAX);
	if (len < HEADER_LEN)
		return ag_err_set(err, AG_EINVALID, "TD quote truncated: %zu bytes, no header", len);
	q->version = le16(buf);
	if (q->version != 4 && q->version != 5)
		return ag_err_set(err, AG_EINVALID, "TD quote version %u: only versions 4 and 5 are known", q->version);
	if (le16(buf + 2) != ATT_KEY_ECDSA_P256)
		return ag_err_set(err, AG_EINVALID, "TD quote attestation key type %u: only ECDSA P-256 (2) is known", le16(buf + 2));
	if (ag_le32(buf + 4) != TEE_TDX)
		return ag_err_set(err, AG_EINVALID, "quote TEE type 0x%x is not TDX (0x81)", ag_le32(buf + 4));
	q->qe_svn = le16(buf + 8);
	q->pce_svn = le16(buf + 10);
	if (memcmp(buf + 12, intel_qe_vendor, sizeof(intel_qe_vendor)) != 0)
		return ag_err_set(err, AG_EINVALID, "TD quote QE vendor is not Intel's quoting enclave");
	off = HEADER_LEN;
	if (q->version == 4) {
		type = 2;
	} else {
		uint32_t body_len;

		if (len < off + 6)
			return ag_err_set(err, AG_EINVALID, "TD quote v5 truncated: no body descriptor");
		type = le16(buf + off);
		body_len = ag_le32(buf + off + 2);
		if ((type != 2 || body_len != BODY10_LEN) && (type != 3 || body_len != BODY15_LEN))
			return ag_err_set(err, AG_EINVALID, "TD quote v5 body type %u of %u bytes: only TDX 1.0 (2, 584) and 1.5 (3, 648) are known",
			    type, body_len);
		off += 6;
	}
	q->body_type = type;
	if (len < off + (type == 3 ? BODY15_LEN : BODY10_LEN) + 4)
		return ag_err_set(err, AG_EINVALID, "TD quote truncated in the TD report");
	parse_body(buf + off, type, q);
	off += type == 3 ? BODY15_LEN : BODY10_LEN;
	q->signed_data = buf;
	q->signed_len = off;
	sig_len = ag_le32(buf + off);
	off += 4;
	if (sig_len > len - off)
		return ag_err_set(err, AG_EINVALID, "TD quote truncated: signature data of %zu bytes, %zu present", sig_len, len - off);
	end = off + sig_len;
	if (sig_len < 128 + 6)
		return ag_err_set(err, AG_EINVALID, "TD quote signature data too short");
	q->signature = buf + off;
	q->attestation_key = buf + off + 64;
	off += 128;
	if (le16(buf + off) != CERT_QE_REPORT)
		return ag_err_set(err, AG_EINVALID, "TD quote certification data type %u: expected QE report certification data (6)",
		    le16(buf + off));
	cd_len = ag_le32(buf + off + 2);
	off += 6;
	if (cd_len > end - off || cd_len < QE_REPORT_LEN + 64 + 2 + 6)
		return ag_err_set(err, AG_EINVALID, "TD quote QE report certification data has a wrong size (%zu)", cd_len);
	end = off + cd_len;
	q->qe_report = buf + off;
	q->qe_report_sig = buf + off + QE_REPORT_LEN;
	off += QE_REPORT_LEN + 64;
	q->qe_auth_len = le16(buf + off);
	off += 2;
	if (q->qe_auth_len > end - off || end - off - q->qe_auth_len < 6)
		return ag_err_set(err, AG_EINVALID, "TD quote QE authentication data overruns its certification data");
	q->qe_auth = buf + off;
	off += q->qe_auth_len;
	if (le16(buf + off) != CERT_PCK_CHAIN)
		return ag_err_set(err, AG_EINVALID, "TD quote carries certification data type %u, not a PCK chain (5): fetch it from the PCCS",
		    le16(buf + off));
	inner_len = ag_le32(buf + off + 2);
	off += 6;
	if (inner_len != end - off || inner_len == 0)
		return ag_err_set(err, AG_EINVALID, "TD quote PCK chain size %zu does not fill its certification data (%zu)", inner_len,
		    end - off);
	q->pck_chain = buf + off;
	q->pck_chain_len = inner_len;
	return AG_OK;
}

static int
verify_p256(const uint8_t *data, size_t len, const uint8_t sig[64], EVP_PKEY *key)
{
	return ag_ecdsa_verify_raw(key, EVP_sha256(), sig, 32, 0, data, len);
}

enum ag_code
ag_intel_verify_chain(STACK_OF(X509) *certs, STACK_OF(X509) *test_roots, time_t at, const char *what, X509 **leaf,
    struct ag_err *err)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	enum ag_code rc = AG_OK;
	char cn[128];
	int trusted = 0;

	*leaf = sk_X509_value(certs, 0);
	if (store == NULL || ctx == NULL || *leaf == NULL) {
		rc = ag_err_set(err, AG_EINVALID, "out of memory");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(certs); i++) {
		char fp[AG_SHA256_HEX_LEN + 1];

		ag_cert_sha256_hex(sk_X509_value(certs, i), fp);
		if (strcmp(fp, intel_root_sha256) == 0 && X509_STORE_add_cert(store, sk_X509_value(certs, i)) == 1)
			trusted++;
	}
	for (int i = 0; test_roots != NULL && i < sk_X509_num(test_roots); i++)
		if (X509_STORE_add_cert(store, sk_X509_value(test_roots, i)) == 1)
			trusted++;
	if (trusted == 0) {
		rc = ag_err_set(err, AG_EINVALID,
		    "the %s does not end in the pinned Intel SGX Root CA (its root is %s): pass the Intel root with --roots", what,
		    ag_cert_cn(sk_X509_value(certs, sk_X509_num(certs) - 1), cn, sizeof(cn)));
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, store, *leaf, certs) != 1) {
		rc = ag_err_set(err, AG_EINVALID, "out of memory");
		goto out;
	}
	X509_STORE_CTX_set_time(ctx, 0, at);
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);

		rc = ag_err_set(err, AG_EINVALID, "the %s does not verify to the pinned Intel SGX Root CA: %s%s", what,
		    X509_verify_cert_error_string(e),
		    e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID ? " (pin the time with --at)" : "");
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

enum ag_code
ag_tdx_verify(const struct ag_tdx_quote *q, STACK_OF(X509) *extra, STACK_OF(X509) *test_roots, time_t at, json_t **claims,
    struct ag_err *err)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	EVP_PKEY *ak = NULL;
	X509 *leaf = NULL;
	uint8_t point[65], digest[AG_SHA256_LEN];
	enum ag_code rc;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	*claims = NULL;
	if (certs == NULL || md == NULL) {
		rc = ag_err_set(err, AG_EINVALID, "out of memory");
		goto out;
	}
	rc = ag_certs_load(q->pck_chain, q->pck_chain_len, certs, err);
	if (rc != AG_OK) {
		ag_err_prefix(err, "TD quote PCK chain");
		goto out;
	}
	for (int i = 0; extra != NULL && i < sk_X509_num(extra); i++) {
		if (sk_X509_num(certs) >= AG_CERTS_MAX || X509_up_ref(sk_X509_value(extra, i)) != 1) {
			rc = ag_err_set(err, AG_EINVALID, "more than %d certificates", AG_CERTS_MAX);
			goto out;
		}
		sk_X509_push(certs, sk_X509_value(extra, i));
	}
	rc = ag_intel_verify_chain(certs, test_roots, at, "PCK chain", &leaf, err);
	if (rc != AG_OK)
		goto out;
	if (!verify_p256(q->qe_report, QE_REPORT_LEN, q->qe_report_sig, X509_get0_pubkey(leaf))) {
		rc = ag_err_set(err, AG_EINVALID, "the QE report signature does not verify with the PCK certificate");
		goto out;
	}
	/* The PCK signs any enclave's report: it must be Intel's TD quoting enclave's. */
	rc = ag_tdx_qe_check_builtin(q->qe_report, err);
	if (rc != AG_OK)
		goto out;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(md, q->attestation_key, 64) != 1 ||
	    EVP_DigestUpdate(md, q->qe_auth, q->qe_auth_len) != 1 || EVP_DigestFinal_ex(md, digest, NULL) != 1 ||
	    !ag_ct_equal(digest, q->qe_report + QE_REPORT_DATA_OFF, AG_SHA256_LEN) ||
	    !ag_all_zero(q->qe_report + QE_REPORT_DATA_OFF + AG_SHA256_LEN, 32)) {
		rc = ag_err_set(err, AG_EINVALID, "the QE report does not bind the attestation key (report data != SHA-256(key || auth data))");
		goto out;
	}
	point[0] = 0x04;
	memcpy(point + 1, q->attestation_key, 64);
	ak = ag_pkey_ec("prime256v1", point, sizeof(point));
	if (ak == NULL) {
		rc = ag_err_set(err, AG_EINVALID, "the TD quote attestation key is not a P-256 point");
		goto out;
	}
	if (!verify_p256(q->signed_data, q->signed_len, q->signature, ak)) {
		rc = ag_err_set(err, AG_EINVALID, "the TD quote signature does not verify with its attestation key");
		goto out;
	}
	*claims = ag_tdx_claims(q);
	if (*claims == NULL)
		rc = ag_err_set(err, AG_EINVALID, "out of memory");
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(ak);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

enum ag_code
ag_tdx_check_report_data(const uint8_t *quote, size_t len, const uint8_t report_data[AG_TDX_REPORT_DATA_LEN],
    struct ag_err *err)
{
	struct ag_tdx_quote q;
	enum ag_code rc = ag_tdx_parse(quote, len, &q, err);

	if (rc == AG_OK && !ag_ct_equal(q.report_data, report_data, AG_TDX_REPORT_DATA_LEN))
		rc = ag_err_set(err, AG_EINVALID, "the TD quote is not for the HCL report's TDREPORT (report data differs)");
	return rc;
}

static void
set_hex(json_t *o, const char *key, const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];

	ag_hex_encode(p, n, hex);
	json_object_set_new(o, key, json_string(hex));
}

json_t *
ag_tdx_claims(const struct ag_tdx_quote *q)
{
	json_t *o = json_object();
	uint64_t attrs = ag_le64(q->td_attributes);
	char name[16];

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "x-ms-attestation-type", json_string("tdxvm"));
	set_hex(o, "tdx_tee_tcb_svn", q->tee_tcb_svn, 16);
	set_hex(o, "tdx_mrseam", q->mrseam, 48);
	set_hex(o, "tdx_mrsignerseam", q->mrsignerseam, 48);
	set_hex(o, "tdx_seam_attributes", q->seam_attributes, 8);
	set_hex(o, "tdx_td_attributes", q->td_attributes, 8);
	json_object_set_new(o, "tdx_td_attributes_debug", json_boolean(attrs & 1));
	json_object_set_new(o, "tdx_td_attributes_septve_disable", json_boolean(attrs >> 28 & 1));
	json_object_set_new(o, "tdx_td_attributes_protection_keys", json_boolean(attrs >> 30 & 1));
	json_object_set_new(o, "tdx_td_attributes_key_locker", json_boolean(attrs >> 31 & 1));
	json_object_set_new(o, "tdx_td_attributes_perfmon", json_boolean(attrs >> 63 & 1));
	json_object_set_new(o, "dbgstat", json_string(attrs & 1 ? "enabled" : "disabled"));
	set_hex(o, "tdx_xfam", q->xfam, 8);
	set_hex(o, "tdx_mrtd", q->mrtd, 48);
	set_hex(o, "tdx_mrconfigid", q->mrconfigid, 48);
	set_hex(o, "tdx_mrowner", q->mrowner, 48);
	set_hex(o, "tdx_mrownerconfig", q->mrownerconfig, 48);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "tdx_rtmr%d", i);
		set_hex(o, name, q->rtmr[i], 48);
	}
	set_hex(o, "tdx_report_data", q->report_data, 64);
	if (q->tee_tcb_svn2 != NULL) {
		set_hex(o, "tdx_tee_tcb_svn2", q->tee_tcb_svn2, 16);
		set_hex(o, "tdx_mrservicetd", q->mrservicetd, 48);
	}
	json_object_set_new(o, "x-attestgate-tdx-quote-version", json_integer(q->version));
	return o;
}
