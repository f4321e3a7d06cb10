/*
 * format/ocsp.c - OCSP requests and response checks with OpenSSL's OCSP
 * API: OCSP_basic_verify against a store holding only the given root, at
 * the caller's time; the nonce compared as the OCTET STRING
 * OCSP_request_add1_nonce wraps it in.
 */
#include "format/ocsp.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <string.h>

#include "base/certs.h"

enum ag_code
ag_ocsp_request(X509 *cert, X509 *issuer, const uint8_t *nonce, uint8_t **der, size_t *len, struct ag_err *err)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
	int n = -1;

	*der = NULL;
	*len = 0;
	if (req != NULL && id != NULL && OCSP_request_add0_id(req, id) != NULL) {
		id = NULL;   /* the request owns it */
		if (nonce == NULL || OCSP_request_add1_nonce(req, (unsigned char *)nonce, AG_OCSP_NONCE_LEN) == 1)
			n = i2d_OCSP_REQUEST(req, der);
	}
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	ERR_clear_error();
	if (n <= 0)
		return ag_err_set(err, AG_ECONFIG, "cannot build the OCSP request");
	*len = (size_t)n;
	return AG_OK;
}

const char *
ag_ocsp_status_name(enum ag_ocsp_status s)
{
	return s == AG_OCSP_GOOD ? "good" : s == AG_OCSP_REVOKED ? "revoked" : "unknown";
}

/* The response's signature and signer, verified to root at time at; NULL or what failed. */
static const char *
verify_signer(OCSP_BASICRESP *bs, STACK_OF(X509) *untrusted, X509 *issuer, X509 *root, time_t at)
{
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *more = untrusted != NULL ? sk_X509_dup(untrusted) : sk_X509_new_null();
	int ok = store != NULL && more != NULL && X509_STORE_add_cert(store, root) == 1 && sk_X509_push(more, issuer) > 0;

	if (ok) {
		X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), at);
		ok = OCSP_basic_verify(bs, more, store, 0) == 1;
	}
	X509_STORE_free(store);
	sk_X509_free(more);
	ERR_clear_error();
	return ok ? NULL : "its signer is not the issuer or a responder the issuer delegated to, chained to the pinned root";
}

/* Nonzero when the response's nonce extension holds exactly nonce (wrapped in an OCTET STRING). */
static int
nonce_echoed(OCSP_BASICRESP *bs, const uint8_t *nonce)
{
	int i = OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce, -1);
	X509_EXTENSION *ext = i >= 0 ? OCSP_BASICRESP_get_ext(bs, i) : NULL;
	ASN1_OCTET_STRING *v = ext != NULL ? X509_EXTENSION_get_data(ext) : NULL;
	uint8_t want[2 + AG_OCSP_NONCE_LEN] = { V_ASN1_OCTET_STRING, AG_OCSP_NONCE_LEN };

	memcpy(want + 2, nonce, AG_OCSP_NONCE_LEN);
	return v != NULL && ASN1_STRING_length(v) == (int)sizeof(want) &&
	    memcmp(ASN1_STRING_get0_data(v), want, sizeof(want)) == 0;
}

/* The single response for cert: status, reason, validity window at time at (a nextUpdate unless our nonce shows freshness). */
static const char *
find_status(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer, time_t at, const uint8_t *nonce, struct ag_ocsp_result *res)
{
	const EVP_MD *mds[] = { EVP_sha1(), EVP_sha384() };
	ASN1_GENERALIZEDTIME *rev = NULL, *this_upd = NULL, *next_upd = NULL;
	int status = -1, reason = -1, found = 0;
	time_t t;

	for (size_t i = 0; !found && i < sizeof(mds) / sizeof(mds[0]); i++) {
		OCSP_CERTID *id = OCSP_cert_to_id(mds[i], cert, issuer);

		found = id != NULL && OCSP_resp_find_status(bs, id, &status, &reason, &rev, &this_upd, &next_upd) == 1;
		OCSP_CERTID_free(id);
	}
	if (!found)
		return "it is not about this certificate";
	t = ag_asn1_time(this_upd);
	res->next_update = ag_asn1_time(next_upd);
	if (t == 0 || t > at + AG_OCSP_SKEW_S)
		return "its thisUpdate is after the verification time";
	if (next_upd != NULL && res->next_update < t)
		return "its nextUpdate is before its thisUpdate";
	if (next_upd == NULL && nonce == NULL)
		return "it has no nextUpdate, so a pre-fetched answer cannot be shown current";
	if (next_upd != NULL && (res->next_update == 0 || res->next_update + AG_OCSP_SKEW_S < at))
		return "its nextUpdate has passed (a stale answer)";
	res->status = status == V_OCSP_CERTSTATUS_GOOD ? AG_OCSP_GOOD : status == V_OCSP_CERTSTATUS_REVOKED ?
	    AG_OCSP_REVOKED : AG_OCSP_UNKNOWN;
	if (res->status == AG_OCSP_REVOKED)
		snprintf(res->reason, sizeof(res->reason), "%s", reason >= 0 ? OCSP_crl_reason_str(reason) : "unspecified");
	return NULL;
}

enum ag_code
ag_ocsp_check(const uint8_t *der, size_t len, X509 *cert, X509 *issuer, STACK_OF(X509) *untrusted, X509 *root,
    time_t at, const uint8_t *nonce, struct ag_ocsp_result *res, struct ag_err *err)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = len <= AG_OCSP_RESPONSE_MAX ? d2i_OCSP_RESPONSE(NULL, &p, (long)len) : NULL;
	OCSP_BASICRESP *bs = NULL;
	const char *why = NULL;

	memset(res, 0, sizeof(*res));
	res->status = AG_OCSP_UNKNOWN;
	if (resp == NULL || p != der + len)
		why = "it is not a DER OCSPResponse";
	else if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
		why = OCSP_response_status_str(OCSP_response_status(resp));
	else if ((bs = OCSP_response_get1_basic(resp)) == NULL)
		why = "it is not a basic OCSP response";
	/* About this certificate first: a caller with several responses looks for the one that is. */
	else if ((why = find_status(bs, cert, issuer, at, nonce, res)) == NULL &&
	    (why = verify_signer(bs, untrusted, issuer, root, at)) == NULL && nonce != NULL && !nonce_echoed(bs, nonce))
		why = "it does not echo the request's nonce (replayed?)";
	res->nonce_checked = why == NULL && nonce != NULL;
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	if (why != NULL)
		return ag_err_set(err, AG_EINVALID, "OCSP response: %s", why);
	return AG_OK;
}
