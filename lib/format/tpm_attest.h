/*
 * format/tpm_attest.h - TPM 2.0 structures as evidence: unmarshalling (tpm2-tss
 * MU) and verifying a quote (TPMS_ATTEST + signature) against an AK, a
 * nonce and PCR values, and turning a TPM2B_PUBLIC into an OpenSSL key.
 * Bytes in, verdicts out: no TPM access here (that is tpm.h).
 */
#ifndef AG_TPM_ATTEST_H
#define AG_TPM_ATTEST_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define AG_TPM_PCR_COUNT 24
#define AG_TPM_PCRS_LEN (AG_TPM_PCR_COUNT * 32)   /* pcrs.bin: PCR 0-23, SHA-256 bank */

/* What a verified quote says. */
struct ag_quote_info {
	uint32_t pcr_mask;        /* bit i: PCR i was quoted (SHA-256 bank) */
	uint64_t clock;           /* TPMS_CLOCK_INFO.clock */
	uint32_t reset_count;
};

/*
 * Verifies a quote: msg is a TPMS_ATTEST of type quote with the TPM's magic,
 * extraData equal to nonce, one SHA-256 PCR selection whose digest equals
 * the SHA-256 of those PCRs in pcrs (AG_TPM_PCRS_LEN bytes), signed by ak
 * (RSASSA-PKCS1-v1_5 SHA-256).  sig is a TPMT_SIGNATURE or a raw RSA
 * signature.  AG_EINVALID naming the failed check otherwise.
 */
enum ag_code ag_quote_verify(const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len,
    EVP_PKEY *ak, const uint8_t *nonce, size_t nonce_len, const uint8_t *pcrs, size_t pcrs_len,
    struct ag_quote_info *info, struct ag_err *err);

/* Like ag_quote_verify, but whatever the quote's extraData: for evidence checked without a nonce (no --nonce). */
enum ag_code ag_quote_verify_any_nonce(const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len,
    EVP_PKEY *ak, const uint8_t *pcrs, size_t pcrs_len, struct ag_quote_info *info, struct ag_err *err);

/* The raw RSA signature inside a marshalled RSASSA/SHA-256 TPMT_SIGNATURE (a pointer into sig). */
enum ag_code ag_tpm_signature_raw(const uint8_t *sig, size_t sig_len, const uint8_t **raw, size_t *raw_len,
    struct ag_err *err);

/* RSA public key of a marshalled TPM2B_PUBLIC; with restricted_signing, it must be a restricted signing key. */
enum ag_code ag_tpm_public_to_pkey(const uint8_t *buf, size_t len, int restricted_signing, EVP_PKEY **out,
    struct ag_err *err);

#endif
