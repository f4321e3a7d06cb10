/*
 * fuzz_ocsp.c - libFuzzer target for OCSP responses: the input is the DER
 * OCSPResponse given to ag_ocsp_check for a fixed P-384 PKI built once
 * here with OpenSSL (root -> issuer CA -> leaf, and a responder the issuer
 * delegated to), checked at a fixed time, with and without the expected
 * nonce.  The keys, names, serials and validity are fixed (test keys, used
 * nowhere else), so the CertIDs do not change between runs and the seeds
 * in corpus/fuzz_ocsp reach the signature, nonce and time checks.  What
 * passes must be a sane result: one of the three statuses, a NUL-terminated
 * reason present exactly when revoked, the nonce checked exactly when one
 * was expected; what fails must be AG_EINVALID with its message.
 */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/ocsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define FUZZ_OCSP_AT 1735689600   /* 2025-01-01: the verification time */
#define FUZZ_OCSP_T2020 1577836800
#define FUZZ_OCSP_T2100 4102444800

/* The nonce the checks expect (the seeds echo it). */
static const uint8_t fuzz_ocsp_nonce[AG_OCSP_NONCE_LEN] = { 0x6f, 0x63, 0x73, 0x70, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d,
	0x6e, 0x6f, 0x6e, 0x63, 0x65, 0x2d, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63,
	0x64, 0x65, 0x66 };

/* Test keys of the root, the issuer, and the leaf (also the delegated responder's). */
static const char *const fuzz_ocsp_keys[3] = {
	"-----BEGIN PRIVATE KEY-----\n"
	"MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDAIjjsmxECeuSASlRpd\n"
	"wYUyB9Vm9VlMsTq1u2ppS3Gk8032IP4xhsk3/a8c7gLe2E2hZANiAAR5BMprQXsu\n"
	"TyLdvloXPu7IuwRaQ4DF7dhn4s7qOQlqyGp6PTkkuylf3NNz+e/1ZBMXvyGokqit\n"
	"D8C/BODv2DYD7S2BWQvHojYICVCzaoqTPLWeUXTWe6o8mg6OmJrdH7A=\n"
	"-----END PRIVATE KEY-----\n",
	"-----BEGIN PRIVATE KEY-----\n"
	"MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDMtw91n6Q0+JuMIGRe\n"
	"5hbodDjSa2e6J1F8J509eHjB7iY4uqaP4jMxvCaAH31mpByhZANiAAQa3coztLrP\n"
	"bXhke0LAjD8q9UVAHlrX30Yo5l+7+JbS0EhzflaaAI+MLVJt9aqD6C09n6nNNHrB\n"
	"SElVgCDbfujmi3uRPe8tAuMAN/rXTYJxVwFarc0WBvfCZqngIgQiRWo=\n"
	"-----END PRIVATE KEY-----\n",
	"-----BEGIN PRIVATE KEY-----\n"
	"MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDTe3QFSy1ztZ1GfYvG\n"
	"Z6ieCOlPXemrQa5vSng0UNT6+3na7JsWIDN3tEqVAKKIrzyhZANiAAR3yMXqtsxI\n"
	"UQA3OgkDb4Q3TEaZxOV9DK9kCuXJKDqpO9dpx/KO6O4lzCSjv8KustIGaN3KiBcx\n"
	"SSy/jTmQkqvfv5CWKodcMNUjiYzuOk8nWdryWfGTKb6GHiGauLShlso=\n"
	"-----END PRIVATE KEY-----\n",
};

/* The PKI: keys [0] root, [1] issuer, [2] leaf and responder; certificates likewise plus the responder. */
static struct {
	EVP_PKEY *k[3];
	X509 *root, *issuer, *leaf, *responder;
} fuzz_ocsp_pki;

static EVP_PKEY *
fuzz_ocsp_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (k == NULL)
		abort();
	return k;
}

static void
fuzz_ocsp_ext(X509 *c, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, c, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL || X509_add_ext(c, e, -1) != 1)
		abort();
	X509_EXTENSION_free(e);
}

/* Certificate serial "CN=cn" for pub, issued by issuer (NULL: self-signed) with signer; ca, or the OCSP EKU when ocsp. */
static X509 *
fuzz_ocsp_cert(long serial, const char *cn, int ca, int ocsp, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *signer)
{
	X509 *c = X509_new();

	if (c == NULL)
		abort();
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "O", MBSTRING_ASC, (const unsigned char *)"attestgate fuzz", -1,
	    -1, 0);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(issuer != NULL ? issuer : c));
	ASN1_TIME_set(X509_getm_notBefore(c), FUZZ_OCSP_T2020);
	ASN1_TIME_set(X509_getm_notAfter(c), FUZZ_OCSP_T2100);
	X509_set_pubkey(c, pub);
	fuzz_ocsp_ext(c, issuer != NULL ? issuer : c, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	fuzz_ocsp_ext(c, issuer != NULL ? issuer : c, NID_key_usage,
	    ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (ocsp)
		fuzz_ocsp_ext(c, issuer, NID_ext_key_usage, "OCSPSigning");
	if (X509_sign(c, signer, EVP_sha384()) <= 0)
		abort();
	return c;
}

/* Builds the PKI on the first call. */
static void
fuzz_ocsp_init(void)
{
	static int ready;

	if (ready)
		return;
	for (int i = 0; i < 3; i++)
		fuzz_ocsp_pki.k[i] = fuzz_ocsp_key(fuzz_ocsp_keys[i]);
	fuzz_ocsp_pki.root = fuzz_ocsp_cert(1, "FUZZ OCSP Root", 1, 0, fuzz_ocsp_pki.k[0], NULL, fuzz_ocsp_pki.k[0]);
	fuzz_ocsp_pki.issuer = fuzz_ocsp_cert(2, "FUZZ OCSP Issuer CA", 1, 0, fuzz_ocsp_pki.k[1], fuzz_ocsp_pki.root,
	    fuzz_ocsp_pki.k[0]);
	fuzz_ocsp_pki.leaf = fuzz_ocsp_cert(3, "FUZZ Leaf", 0, 0, fuzz_ocsp_pki.k[2], fuzz_ocsp_pki.issuer, fuzz_ocsp_pki.k[1]);
	fuzz_ocsp_pki.responder = fuzz_ocsp_cert(4, "FUZZ OCSP Responder", 0, 1, fuzz_ocsp_pki.k[2], fuzz_ocsp_pki.issuer,
	    fuzz_ocsp_pki.k[1]);
	ready = 1;
}

/* What ag_ocsp_check returned must make sense, whatever the input. */
static void
fuzz_ocsp_sane(enum ag_code rc, const struct ag_ocsp_result *res, const struct ag_err *err, const uint8_t *nonce)
{
	if (rc != AG_OK) {
		if (rc != AG_EINVALID || memchr(err->msg, '\0', sizeof(err->msg)) == NULL ||
		    strncmp(err->msg, "OCSP response: ", 15) != 0 || res->nonce_checked != 0)
			abort();
		return;
	}
	if (res->status != AG_OCSP_GOOD && res->status != AG_OCSP_REVOKED && res->status != AG_OCSP_UNKNOWN)
		abort();
	if (memchr(res->reason, '\0', sizeof(res->reason)) == NULL)
		abort();
	if ((res->status == AG_OCSP_REVOKED) != (res->reason[0] != '\0'))
		abort();
	if (res->nonce_checked != (nonce != NULL) || res->next_update < 0)
		abort();
	if (strcmp(ag_ocsp_status_name(res->status), "") == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_ocsp_init();
	for (int i = 0; i < 2; i++) {
		const uint8_t *nonce = i == 0 ? NULL : fuzz_ocsp_nonce;
		struct ag_ocsp_result res;
		struct ag_err err;
		enum ag_code rc;

		memset(&res, 0xa5, sizeof(res));
		ag_err_clear(&err);
		rc = ag_ocsp_check(data, len, fuzz_ocsp_pki.leaf, fuzz_ocsp_pki.issuer, NULL, fuzz_ocsp_pki.root, FUZZ_OCSP_AT,
		    nonce, &res, &err);
		fuzz_ocsp_sane(rc, &res, &err, nonce);
	}
	return 0;
}
