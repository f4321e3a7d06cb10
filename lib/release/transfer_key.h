/*
 * release/transfer_key.h - the key a vault wraps a released key to: a fresh
 * RSA-2048 key generated in this process (kata-cc, SEV-SNP and TDX guests:
 * its public JWK goes into the runtime data the report binds), or the
 * vTPM's ephemeral encryption key on an Azure CVM (MAA puts it into the
 * token as TpmEphemeralEncryptionKey; the private half never leaves the
 * TPM).  Either way the token's x-ms-runtime.keys must name it.
 */
#ifndef AG_TRANSFER_KEY_H
#define AG_TRANSFER_KEY_H

#include <jansson.h>
#include <openssl/evp.h>

#include "base/error.h"
#include "format/key_release.h"

#define AG_TRANSFER_KEY_TPM_KID "TpmEphemeralEncryptionKey"

struct ag_transfer_key {
	EVP_PKEY *rsa;                  /* the software key, or NULL for the vTPM's */
	const char *tcti;               /* the vTPM (when rsa is NULL) */
	char kid[AG_SKR_KID_MAX];
	size_t modulus_len;
};

/* A fresh software RSA-2048 key; *jwk (new reference) is its public JWK for the runtime data. */
enum ag_code ag_transfer_key_generate(struct ag_transfer_key *k, json_t **jwk, struct ag_err *err);

/* The vTPM's ephemeral key behind tcti, as the token's x-ms-runtime.keys names it. */
enum ag_code ag_transfer_key_tpm(struct ag_transfer_key *k, const char *tcti, const json_t *claims, struct ag_err *err);

/* AG_OK when the token's x-ms-runtime.keys holds this key (same kid, same modulus): the vault will wrap to it. */
enum ag_code ag_transfer_key_in_token(const struct ag_transfer_key *k, const json_t *claims, struct ag_err *err);

/* The ag_skr_decrypt_fn of a transfer key (ctx is the struct ag_transfer_key). */
enum ag_code ag_transfer_key_decrypt(void *ctx, const char *md_name, const uint8_t *in, size_t in_len, uint8_t **out,
    size_t *out_len, struct ag_err *err);

/* Frees the software key; the struct may be reused. */
void ag_transfer_key_clear(struct ag_transfer_key *k);

#endif
