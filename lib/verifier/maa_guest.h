/*
 * verifier/maa_guest.h - Microsoft Azure Attestation's guest protocols as bytes: building
 * the AzureGuest request (AttestationInfo) and opening its encrypted
 * response (AES-GCM with the inner key, AAD "Transport Key").  No I/O and
 * no TPM here: verifier_maa.h drives those.
 */
#ifndef AG_MAA_H
#define AG_MAA_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define AG_MAA_MAX_RESPONSE (1024 * 1024)

struct ag_maa_bytes {
	const uint8_t *data;
	size_t len;
};

/* Everything an AzureGuest request carries. */
struct ag_maa_guest_request {
	const char *nonce;                   /* the gate's nonce as text; sent in ClientPayload */
	const char *os_distro;               /* e.g. "Ubuntu" */
	unsigned os_major, os_minor;
	struct ag_maa_bytes tcg_log;         /* may be empty */
	struct ag_maa_bytes ak_cert, ak_pub; /* DER; TPM2B_PUBLIC */
	struct ag_maa_bytes quote, quote_sig; /* TPMS_ATTEST; TPMT_SIGNATURE */
	uint32_t pcr_mask;
	const uint8_t *pcrs;                 /* PCR 0-23, 32 bytes each */
	struct ag_maa_bytes enc_pub, certify, certify_sig; /* ephemeral key: TPM2B_PUBLIC, TPMS_ATTEST, TPMT_SIGNATURE */
	const char *isolation;               /* "SevSnp" or "Tdx" */
	struct ag_maa_bytes hw_report;       /* SNP report (SevSnp) or TD quote (Tdx) */
	const char *vcek_chain;              /* PEM (SevSnp) */
	struct ag_maa_bytes runtime;         /* the HCL runtime data */
};

/* The encrypted parts of an AzureGuest response. */
struct ag_maa_guest_response {
	uint8_t *inner_key_enc;
	size_t inner_key_enc_len;
	uint8_t *iv, *tag, *jwt_enc;
	size_t iv_len, tag_len, jwt_enc_len;
	unsigned key_bits;
};

/* The request body {"AttestationInfo": base64url(JSON)} as a new string. */
enum ag_code ag_maa_guest_request_build(const struct ag_maa_guest_request *r, char **body, struct ag_err *err);

/* Parses a response body {"token": base64url(envelope JSON)}. AG_EINVALID on anything unexpected. */
enum ag_code ag_maa_guest_response_parse(const uint8_t *body, size_t len, struct ag_maa_guest_response *out,
    struct ag_err *err);

/* Frees a parsed response. */
void ag_maa_guest_response_clear(struct ag_maa_guest_response *r);

/* Decrypts the JWT (AES-GCM, AAD "Transport Key") with the inner key; the result is NUL-terminated. */
enum ag_code ag_maa_guest_decrypt_jwt(const struct ag_maa_guest_response *r, const uint8_t *key, size_t key_len,
    char **jwt, struct ag_err *err);

#endif
