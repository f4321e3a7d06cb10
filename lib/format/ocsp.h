/*
 * format/ocsp.h - OCSP (RFC 6960) through OpenSSL: the DER request for one
 * certificate (SHA-1 CertID, optional nonce) and the check of a response:
 * signed by the issuer or a responder it delegated to, chained to the
 * given trust root at the verification time, about this certificate, the
 * nonce echoed (when one was sent), and current at that time.  No network:
 * the verifier posts the request.
 */
#ifndef AG_OCSP_H
#define AG_OCSP_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"

#define AG_OCSP_NONCE_LEN 32
#define AG_OCSP_RESPONSE_MAX (64 * 1024)
#define AG_OCSP_SKEW_S 300   /* tolerance for thisUpdate/nextUpdate */

enum ag_ocsp_status { AG_OCSP_GOOD, AG_OCSP_REVOKED, AG_OCSP_UNKNOWN };

/* What a checked response says about the certificate. */
struct ag_ocsp_result {
	enum ag_ocsp_status status;
	char reason[32];           /* revocation reason ("keyCompromise", ...), or "" */
	time_t next_update;        /* 0 when the response has none */
	int nonce_checked;         /* the request's nonce came back */
};

/* The DER OCSP request for cert (issued by issuer) into *der (OPENSSL_free it); nonce may be NULL (offline use). */
enum ag_code ag_ocsp_request(X509 *cert, X509 *issuer, const uint8_t *nonce, uint8_t **der, size_t *len,
    struct ag_err *err);

/*
 * Checks a DER OCSPResponse for cert (issued by issuer): successful, its
 * signer verified through untrusted (the rest of the chain; may be NULL) to
 * root at time at, a single response for this CertID (SHA-1 or SHA-384),
 * thisUpdate <= at <= nextUpdate (AG_OCSP_SKEW_S either way; without a
 * nonce the nextUpdate is required), and, when nonce is not NULL, that
 * nonce echoed.  AG_EINVALID saying what failed;
 * res gets the status (a revoked certificate is AG_OK here: the caller
 * decides).
 */
enum ag_code ag_ocsp_check(const uint8_t *der, size_t len, X509 *cert, X509 *issuer, STACK_OF(X509) *untrusted,
    X509 *root, time_t at, const uint8_t *nonce, struct ag_ocsp_result *res, struct ag_err *err);

/* "good", "revoked" or "unknown". */
const char *ag_ocsp_status_name(enum ag_ocsp_status s);

#endif
