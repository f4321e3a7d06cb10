/*
 * format/tdx.h - Intel TDX quotes (versions 4 and 5, ECDSA P-256 attestation key,
 * QE report certification data with a PCK chain): strict parsing, the
 * quote, QE report and PCK chain verification to the Intel SGX Root CA
 * pinned by fingerprint, and the TD report as MAA-style claims (tdx_*).
 */
#ifndef AG_TDX_H
#define AG_TDX_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"

#define AG_TDX_QUOTE_MAX (64 * 1024)
#define AG_TDX_REPORT_DATA_LEN 64

struct ag_tdx_quote {
	uint16_t version, body_type;        /* body_type: 2 = TDX 1.0, 3 = TDX 1.5 */
	uint16_t qe_svn, pce_svn;
	const uint8_t *signed_data;         /* header || (descriptor ||) body */
	size_t signed_len;
	const uint8_t *tee_tcb_svn, *mrseam, *mrsignerseam, *seam_attributes, *td_attributes, *xfam, *mrtd,
	    *mrconfigid, *mrowner, *mrownerconfig, *rtmr[4], *report_data;
	const uint8_t *tee_tcb_svn2, *mrservicetd;   /* TDX 1.5 only, else NULL */
	const uint8_t *signature, *attestation_key;  /* 64 bytes each: r||s, x||y (big endian) */
	const uint8_t *qe_report, *qe_report_sig;    /* 384 and 64 bytes */
	const uint8_t *qe_auth;
	size_t qe_auth_len;
	const uint8_t *pck_chain;                    /* PEM */
	size_t pck_chain_len;
};

/* Parses a quote (trailing bytes after the signature data are ignored); AG_EINVALID naming what is wrong. */
enum ag_code ag_tdx_parse(const uint8_t *buf, size_t len, struct ag_tdx_quote *q, struct ag_err *err);

/*
 * Verifies a parsed quote: the PCK chain (from the quote, plus extra certs)
 * to the pinned Intel SGX Root CA (or, tests only, to a root in
 * test_roots), validity at time at, the QE report signature by the PCK
 * leaf, QE report data = SHA-256(attestation key || QE auth data), and the
 * quote signature by the attestation key.  *claims gets the TD's claims.
 */
enum ag_code ag_tdx_verify(const struct ag_tdx_quote *q, STACK_OF(X509) *extra, STACK_OF(X509) *test_roots, time_t at,
    json_t **claims, struct ag_err *err);

/*
 * Verifies the chain that starts with certs[0] (plus the other certs) to
 * the pinned Intel SGX Root CA, or a root in test_roots (tests only), at
 * time at; what names the chain in messages.  *leaf is certs[0].
 */
enum ag_code ag_intel_verify_chain(STACK_OF(X509) *certs, STACK_OF(X509) *test_roots, time_t at, const char *what,
    X509 **leaf, struct ag_err *err);

/* AG_OK when quote parses and carries report_data (an HCL report's TDREPORT's); AG_EINVALID otherwise. */
enum ag_code ag_tdx_check_report_data(const uint8_t *quote, size_t len, const uint8_t report_data[AG_TDX_REPORT_DATA_LEN],
    struct ag_err *err);

/* The quote's TD report as claims with MAA's names (tdx_*), new reference. */
json_t *ag_tdx_claims(const struct ag_tdx_quote *q);

#endif
