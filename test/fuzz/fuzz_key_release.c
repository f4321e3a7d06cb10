/*
 * fuzz_key_release.c - libFuzzer target for a vault's release response: the
 * {"value": JWS} wrapper, the JWS and its x5c chain (against a trust store
 * that holds nothing, so every input ends in a refusal after parsing), and,
 * for inputs that are a JSON object, the payload's key_hsm envelope opened
 * with a stand-in for the transfer key that "decrypts" every 256-byte block
 * to a fixed AES key (the seeds are wrapped under it), so that the RFC 5649
 * unwrap, the PKCS#8 checks and every encoding are reached.
 */
#include <jansson.h>
#include <openssl/x509_vfy.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/key_release.h"

#define FIXED_KEK_BYTE 0x5A
#define MODULUS_LEN 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* The transfer key's place: any one block of the modulus length opens to the fixed key. */
static enum ag_code
fixed_kek(void *ctx, const char *md_name, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len,
    struct ag_err *err)
{
	(void)ctx;
	(void)md_name;
	(void)in;
	if (in_len != MODULUS_LEN || (*out = malloc(32)) == NULL)
		return ag_err_set(err, AG_EINVALID, "no block");
	memset(*out, FIXED_KEK_BYTE, 32);
	*out_len = 32;
	return AG_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static X509_STORE *empty;
	json_t *payload = NULL;
	struct ag_skr_key key;
	struct ag_err err;

	if (empty == NULL && (empty = X509_STORE_new()) == NULL)
		abort();
	if (ag_skr_response_verify(data, len, empty, "x.vault.azure.net", 1700000000, &payload, &err) == AG_OK)
		abort();   /* nothing can chain to an empty store */
	payload = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(payload) && ag_skr_unwrap(payload, MODULUS_LEN, fixed_kek, NULL, &key, &err) == AG_OK) {
		for (int f = AG_KEY_RAW; f <= AG_KEY_JWK; f++) {
			uint8_t *out = NULL;
			size_t n = 0;

			if (ag_skr_encode(&key, (enum ag_key_format)f, &out, &n, &err) == AG_OK)
				ag_skr_free_secret(out, n);
		}
		ag_skr_key_clear(&key);
	}
	json_decref(payload);
	return 0;
}
