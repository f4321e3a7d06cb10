/*
 * tdx_tcb.c - TCB info checking: jansson for the JSON, the exact bytes of
 * the "tcbInfo" value (what Intel signs) located by a brace scan that
 * skips JSON strings, OpenSSL for the ECDSA P-256 signature and for the
 * SGX extension of the PCK certificate (OID 1.2.840.113741.1.13.1: a
 * SEQUENCE of {OID, value} pairs, read with d2i_ASN1_SEQUENCE_ANY).
 */
#include "tdx_tcb.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <string.h>

#include "certs.h"
#include "clock.h"
#include "digest.h"
#include "pkey.h"

#define SGX_EXT_OID "1.2.840.113741.1.13.1"

struct pck_tcb {
	uint8_t comp[16];
	unsigned pcesvn;
	uint8_t fmspc[6];
	int have_fmspc, have_tcb;
};

/* The value of an {OID, value} pair whose OID is prefix.N, for N in 1..18 (0 when not such a pair). */
static int
pair_index(const ASN1_TYPE *oid, const char *prefix)
{
	char text[80];
	size_t n = strlen(prefix);
	int idx;

	if (oid == NULL || oid->type != V_ASN1_OBJECT || OBJ_obj2txt(text, sizeof(text), oid->value.object, 1) <= 0)
		return 0;
	if (strncmp(text, prefix, n) != 0 || text[n] != '.' || sscanf(text + n + 1, "%d", &idx) != 1 || idx < 1 || idx > 18)
		return 0;
	return idx;
}

static STACK_OF(ASN1_TYPE) *
sequence_of(const ASN1_TYPE *t)
{
	const unsigned char *p;

	if (t == NULL || t->type != V_ASN1_SEQUENCE)
		return NULL;
	p = t->value.sequence->data;
	return d2i_ASN1_SEQUENCE_ANY(NULL, &p, t->value.sequence->length);
}

/* Reads FMSPC, the 16 SGX TCB components and PCESVN from the PCK certificate's SGX extension. */
static enum ag_code
pck_tcb(X509 *pck, struct pck_tcb *out, struct ag_err *err)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(SGX_EXT_OID, 1);
	int pos = obj != NULL ? X509_get_ext_by_OBJ(pck, obj, -1) : -1;
	X509_EXTENSION *ext = pos >= 0 ? X509_get_ext(pck, pos) : NULL;
	const ASN1_OCTET_STRING *v = ext != NULL ? X509_EXTENSION_get_data(ext) : NULL;
	const unsigned char *p = v != NULL ? ASN1_STRING_get0_data(v) : NULL;
	STACK_OF(ASN1_TYPE) *top = p != NULL ? d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(v)) : NULL;

	memset(out, 0, sizeof(*out));
	ASN1_OBJECT_free(obj);
	for (int i = 0; top != NULL && i < sk_ASN1_TYPE_num(top); i++) {
		STACK_OF(ASN1_TYPE) *pair = sequence_of(sk_ASN1_TYPE_value(top, i));
		ASN1_TYPE *key = pair != NULL && sk_ASN1_TYPE_num(pair) == 2 ? sk_ASN1_TYPE_value(pair, 0) : NULL;
		ASN1_TYPE *val = key != NULL ? sk_ASN1_TYPE_value(pair, 1) : NULL;
		int idx = pair_index(key, SGX_EXT_OID);

		if (idx == 4 && val->type == V_ASN1_OCTET_STRING && val->value.octet_string->length == 6) {
			memcpy(out->fmspc, val->value.octet_string->data, 6);
			out->have_fmspc = 1;
		} else if (idx == 2) {
			STACK_OF(ASN1_TYPE) *tcb = sequence_of(val);
			int got = 0;

			for (int j = 0; tcb != NULL && j < sk_ASN1_TYPE_num(tcb); j++) {
				STACK_OF(ASN1_TYPE) *c = sequence_of(sk_ASN1_TYPE_value(tcb, j));
				ASN1_TYPE *ck = c != NULL && sk_ASN1_TYPE_num(c) == 2 ? sk_ASN1_TYPE_value(c, 0) : NULL;
				ASN1_TYPE *cv = ck != NULL ? sk_ASN1_TYPE_value(c, 1) : NULL;
				int n = pair_index(ck, SGX_EXT_OID ".2");
				long svn = cv != NULL && cv->type == V_ASN1_INTEGER ? ASN1_INTEGER_get(cv->value.integer) : -1;

				if (n >= 1 && n <= 16 && svn >= 0 && svn <= 255) {
					out->comp[n - 1] = (uint8_t)svn;
					got |= 1 << (n - 1);
				} else if (n == 17 && svn >= 0 && svn <= 65535) {
					out->pcesvn = (unsigned)svn;
					got |= 1 << 16;
				}
				sk_ASN1_TYPE_pop_free(c, ASN1_TYPE_free);
			}
			out->have_tcb = got == 0x1FFFF;
			sk_ASN1_TYPE_pop_free(tcb, ASN1_TYPE_free);
		}
		sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
	}
	sk_ASN1_TYPE_pop_free(top, ASN1_TYPE_free);
	ERR_clear_error();
	if (!out->have_fmspc || !out->have_tcb)
		return ag_err_set(err, AG_EINVALID, "the PCK certificate has no SGX extension with FMSPC and TCB");
	return AG_OK;
}

/* The end of the JSON string that starts at p (at its opening quote): just past the closing quote, or NULL. */
static const char *
string_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			if (++p >= end)
				return NULL;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

/* The exact bytes of the object value of "key" at the top level of the JSON object text; NULL when not found. */
static const char *
raw_member(const char *text, size_t len, const char *key, size_t *out_len)
{
	const char *p = text, *end = text + len, *s;
	size_t klen = strlen(key);
	int depth = 0;

	while (p < end) {
		if (*p == '"') {
			s = p;
			if ((p = string_end(p, end)) == NULL)
				return NULL;
			if (depth == 1 && (size_t)(p - s) == klen + 2 && memcmp(s + 1, key, klen) == 0) {
				const char *v = p;
				int d = 0;

				while (v < end && (*v == ' ' || *v == ':' || *v == '\n' || *v == '\r' || *v == '\t'))
					v++;
				if (v >= end || *v != '{')
					return NULL;
				for (const char *q = v; q < end;) {
					if (*q == '"') {
						if ((q = string_end(q, end)) == NULL)
							return NULL;
						continue;
					}
					if (*q == '{')
						d++;
					else if (*q == '}' && --d == 0) {
						*out_len = (size_t)(q + 1 - v);
						return v;
					}
					q++;
				}
				return NULL;
			}
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		p++;
	}
	return NULL;
}

static int
svn_at_least(const json_t *components, const uint8_t *have)
{
	if (!json_is_array(components) || json_array_size(components) != 16)
		return -1;
	for (size_t i = 0; i < 16; i++) {
		json_t *svn = json_object_get(json_array_get(components, i), "svn");

		if (!json_is_integer(svn))
			return -1;
		if (have[i] < json_integer_value(svn))
			return 0;
	}
	return 1;
}

static enum ag_code
check_signature(const char *signed_text, size_t signed_len, const char *sig_hex, X509 *signer, struct ag_err *err)
{
	uint8_t sig[64], *der = NULL;
	size_t der_len = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	if (sig_hex == NULL || strlen(sig_hex) != 128 || ag_hex_decode(sig_hex, sig, sizeof(sig)) != 0) {
		EVP_MD_CTX_free(md);
		return ag_err_set(err, AG_EINVALID, "TCB info signature is not 64 bytes of hex");
	}
	der = ag_ecdsa_der(sig, sig + 32, 32, 0, &der_len);
	ok = der != NULL && md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(signer)) == 1 &&
	    EVP_DigestVerify(md, der, der_len, (const uint8_t *)signed_text, signed_len) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok ? AG_OK : ag_err_set(err, AG_EINVALID, "the TCB info signature does not verify with the TCB Signing certificate");
}

enum ag_code
ag_tdx_tcb_check(const struct ag_tdx_quote *q, const uint8_t *tcb_info, size_t len, STACK_OF(X509) *signing_chain,
    STACK_OF(X509) *test_roots, time_t at, json_t *claims, struct ag_err *err)
{
	STACK_OF(X509) *pck = sk_X509_new_null();
	json_t *root = NULL, *info, *level;
	const char *signed_text, *status = NULL, *date = NULL, *fmspc;
	size_t signed_len = 0, i;
	struct pck_tcb t;
	uint8_t want_fmspc[6];
	time_t issued, next;
	X509 *signer = NULL;
	char hex[13];
	enum ag_code rc = AG_OK;

	if (len > AG_TDX_TCB_INFO_MAX || pck == NULL) {
		sk_X509_free(pck);
		return ag_err_set(err, AG_EINVALID, "TCB info larger than %d bytes", AG_TDX_TCB_INFO_MAX);
	}
	/* The JSON first (so that malformed collateral is named as such), then who signed it. */
	signed_text = raw_member((const char *)tcb_info, len, "tcbInfo", &signed_len);
	root = json_loadb((const char *)tcb_info, len, JSON_REJECT_DUPLICATES, NULL);
	if (signed_text == NULL || !json_is_object(root))
		rc = ag_err_set(err, AG_EINVALID, "TCB info is not {\"tcbInfo\": {...}, \"signature\": ...}");
	if (rc == AG_OK)
		rc = ag_intel_verify_chain(signing_chain, test_roots, at, "TCB Signing chain", &signer, err);
	if (rc == AG_OK)
		rc = check_signature(signed_text, signed_len, json_string_value(json_object_get(root, "signature")), signer, err);
	info = json_object_get(root, "tcbInfo");
	if (rc == AG_OK && (!json_is_string(json_object_get(info, "id")) ||
			       strcmp(json_string_value(json_object_get(info, "id")), "TDX") != 0))
		rc = ag_err_set(err, AG_EINVALID, "the TCB info is not for TDX (id is not \"TDX\")");
	if (rc == AG_OK && (!json_is_string(json_object_get(info, "issueDate")) || !json_is_string(json_object_get(info, "nextUpdate")) ||
			       ag_time_parse_rfc3339(json_string_value(json_object_get(info, "issueDate")), &issued) != 0 ||
			       ag_time_parse_rfc3339(json_string_value(json_object_get(info, "nextUpdate")), &next) != 0))
		rc = ag_err_set(err, AG_EINVALID, "the TCB info has no valid issueDate/nextUpdate");
	if (rc == AG_OK && (at < issued || at > next))
		rc = ag_err_set(err, AG_EINVALID, "the TCB info is not valid at the verification time (nextUpdate %s): fetch fresh "
						  "collateral or pin the time with --at",
		    json_string_value(json_object_get(info, "nextUpdate")));
	if (rc == AG_OK)
		rc = ag_certs_load(q->pck_chain, q->pck_chain_len, pck, err);
	if (rc == AG_OK)
		rc = pck_tcb(sk_X509_value(pck, 0), &t, err);
	fmspc = json_string_value(json_object_get(info, "fmspc"));
	if (rc == AG_OK && (fmspc == NULL || ag_hex_decode(fmspc, want_fmspc, 6) != 0 || memcmp(want_fmspc, t.fmspc, 6) != 0)) {
		ag_hex_encode(t.fmspc, 6, hex);
		rc = ag_err_set(err, AG_EINVALID, "the TCB info is for FMSPC %.12s, the PCK certificate's is %s", fmspc ? fmspc : "?", hex);
	}
	/* The first level (highest first) that every component reaches gives the status. */
	json_array_foreach(rc == AG_OK ? json_object_get(info, "tcbLevels") : NULL, i, level) {
		json_t *tcb = json_object_get(level, "tcb"), *pcesvn = json_object_get(tcb, "pcesvn");
		int sgx = svn_at_least(json_object_get(tcb, "sgxtcbcomponents"), t.comp);
		int tdx = svn_at_least(json_object_get(tcb, "tdxtcbcomponents"), q->tee_tcb_svn);

		if (sgx < 0 || tdx < 0 || !json_is_integer(pcesvn)) {
			rc = ag_err_set(err, AG_EINVALID, "TCB level %zu of the TCB info is malformed", i);
			break;
		}
		if (sgx && tdx && t.pcesvn >= json_integer_value(pcesvn)) {
			status = json_string_value(json_object_get(level, "tcbStatus"));
			date = json_string_value(json_object_get(level, "tcbDate"));
			break;
		}
	}
	if (rc == AG_OK && status == NULL)
		rc = ag_err_set(err, AG_EINVALID, "the platform's TCB is below every level of the TCB info (not supported)");
	if (rc == AG_OK && strcmp(status, "Revoked") == 0)
		rc = ag_err_set(err, AG_EINVALID, "the platform's TCB level is Revoked");
	if (rc == AG_OK) {
		json_object_set_new(claims, "attester_tcb_status", json_string(status));
		if (date != NULL)
			json_object_set_new(claims, "x-attestgate-tdx-tcb-date", json_string(date));
	}
	json_decref(root);
	sk_X509_pop_free(pck, X509_free);
	return rc;
}
