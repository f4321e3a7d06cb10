/*
 * base/certs.h - X.509 helpers every vendor chain needs: certificates from PEM
 * bundles, DER and directories (bounded), SHA-256 fingerprints for pins,
 * validity at a pinned time.  Vendor rules (AMD, Intel) live elsewhere.
 */
#ifndef AG_CERTS_H
#define AG_CERTS_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/digest.h"
#include "base/error.h"

#define AG_CERTS_MAX 16

/* Appends the certificates of a PEM bundle or of one DER certificate; AG_EINVALID when buf is neither. */
enum ag_code ag_certs_load(const uint8_t *buf, size_t len, STACK_OF(X509) *certs, struct ag_err *err);

/* Appends the certificate of base64 text (whitespace between the characters allowed, as XML-DSig writes it); AG_EINVALID otherwise. */
enum ag_code ag_certs_load_b64(const uint8_t *text, size_t len, STACK_OF(X509) *certs, struct ag_err *err);

/* Appends one DER certificate that fills exactly len bytes; -1 when it is not one. */
int ag_certs_push_der(const uint8_t *der, size_t len, STACK_OF(X509) *certs);

/* Appends the certificates of every .pem/.der/.crt/.cer file in dir (a roots directory). */
enum ag_code ag_certs_load_dir(const char *dir, STACK_OF(X509) *certs, struct ag_err *err);

/*
 * Trust material from directories: the certificates of roots_dir are added
 * to certs (a missing directory is an error only when roots_required), and
 * *test (NULL unless test_roots_dir is given: tests only) gets the
 * certificates of test_roots_dir.
 */
enum ag_code ag_certs_load_trust(const char *roots_dir, int roots_required, const char *test_roots_dir,
    STACK_OF(X509) *certs, STACK_OF(X509) **test, struct ag_err *err);

/* The certificates as one PEM bundle (new string), or NULL. */
char *ag_certs_to_pem(STACK_OF(X509) *certs);

/* The lowercase hex SHA-256 of the certificate's DER (its fingerprint); "" on failure. */
void ag_cert_sha256_hex(X509 *c, char out[AG_SHA256_HEX_LEN + 1]);

/* An ASN.1 time (a certificate's notAfter, an OCSP response's thisUpdate) as time_t; 0 when absent or unreadable. */
time_t ag_asn1_time(const ASN1_TIME *t);

/* Nonzero when at lies inside the certificate's validity period. */
int ag_cert_valid_at(X509 *c, time_t at);

/* The certificate's subject CN (or "?") in buf. */
const char *ag_cert_cn(X509 *c, char *buf, size_t len);

#endif
