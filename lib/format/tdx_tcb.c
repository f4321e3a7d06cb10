/*
 * format/tdx_tcb.c - TCB info checking: the signed collateral opened by
 * intel_collateral.c, OpenSSL for the SGX extension of the PCK certificate
 * (OID 1.2.840.113741.1.13.1: a SEQUENCE of {OID, value} pairs, read with
 * d2i_ASN1_SEQUENCE_ANY), and the TCB level matching.
 */
#include "format/tdx_tcb.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <string.h>

#include "base/certs.h"
#include "base/digest.h"
#include "format/intel_collateral.h"

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

enum ag_code
ag_tdx_tcb_check(const struct ag_tdx_quote *q, const uint8_t *tcb_info, size_t len, STACK_OF(X509) *signing_chain,
    STACK_OF(X509) *test_roots, time_t at, json_t *claims, struct ag_err *err)
{
	STACK_OF(X509) *pck = sk_X509_new_null();
	json_t *root = NULL, *info = NULL, *level;
	const char *status = NULL, *date = NULL, *fmspc;
	size_t i;
	struct pck_tcb t;
	uint8_t want_fmspc[6];
	char hex[13];
	enum ag_code rc;

	if (pck == NULL)
		return ag_err_set(err, AG_EINVALID, "out of memory");
	rc = ag_intel_collateral_open(tcb_info, len, "tcbInfo", "TDX", signing_chain, test_roots, at, &root, &info, err);
	if (rc != AG_OK)
		ag_err_prefix(err, "TCB info");
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
			if (status == NULL)
				rc = ag_err_set(err, AG_EINVALID, "TCB level %zu of the TCB info is malformed (no tcbStatus)", i);
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
