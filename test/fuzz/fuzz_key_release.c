/*
 * fuzz_key_release.c - libFuzzer target for a vault's release response: the
 * {"value": JWS} wrapper, the JWS and its x5c chain (against a trust store
 * that holds nothing, so every input ends in a refusal after parsing), and,
 * for inputs that are a JSON object, the payload's key_hsm envelope opened
 * with a fixed transfer key made at start-up (lengths, base64url, RSA-OAEP,
 * the RFC 5649 unwrap, PKCS#8) and each encoding of what it yields.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>
#include <stdint.h>
#include <stdlib.h>

#include "format/key_release.h"
#include "release/transfer_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct ag_transfer_key *
fixed_key(void)
{
	static struct ag_transfer_key k;
	json_t *jwk = NULL;

	if (k.rsa == NULL) {
		if (ag_transfer_key_generate(&k, &jwk, NULL) != AG_OK)
			abort();
		json_decref(jwk);
	}
	return &k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static X509_STORE *empty;
	struct ag_transfer_key *k = fixed_key();
	json_t *payload = NULL;
	struct ag_skr_key key;
	struct ag_err err;

	if (empty == NULL && (empty = X509_STORE_new()) == NULL)
		abort();
	if (ag_skr_response_verify(data, len, empty, "x.vault.azure.net", 1700000000, &payload, &err) == AG_OK)
		abort();   /* nothing can chain to an empty store */
	payload = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(payload) &&
	    ag_skr_unwrap(payload, k->modulus_len, ag_transfer_key_decrypt, k, &key, &err) == AG_OK) {
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
