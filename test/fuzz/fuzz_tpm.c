/*
 * fuzz_tpm.c - libFuzzer target for the TPM structures attestgate
 * unmarshals: TPM2B_PUBLIC (the AK), TPMT_SIGNATURE and TPMS_ATTEST (the
 * quote).  The first byte picks the structure; for TPMS_ATTEST the input is
 * signed here with a fixed key so that the parser behind the signature
 * check is reached.
 */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/tpm_attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static EVP_PKEY *
key(void)
{
	static EVP_PKEY *k;

	if (k == NULL && (k = EVP_RSA_gen(2048)) == NULL)
		abort();
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t pcrs[AG_TPM_PCRS_LEN];
	struct ag_quote_info qi;
	struct ag_err err;
	EVP_PKEY *pk = NULL;
	uint8_t sig[256];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *ctx;

	if (len < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (ag_tpm_public_to_pkey(data + 1, len - 1, data[0] & 4, &pk, &err) == AG_OK && pk == NULL)
			abort();
		EVP_PKEY_free(pk);
		break;
	case 1:
		/* Any signature blob against a fixed message must be refused. */
		if (ag_quote_verify((const uint8_t *)"msg", 3, data + 1, len - 1, key(), (const uint8_t *)"n", 1, pcrs,
			sizeof(pcrs), &qi, &err) == AG_OK)
			abort();
		break;
	default:
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key()) != 1 ||
		    EVP_DigestSign(ctx, sig, &sig_len, data + 1, len - 1) != 1)
			abort();
		EVP_MD_CTX_free(ctx);
		(void)ag_quote_verify(data + 1, len - 1, sig, sig_len, key(), (const uint8_t *)"challenge", 9, pcrs,
		    sizeof(pcrs), &qi, &err);
		break;
	}
	return 0;
}
