/*
 * fuzz_maa.c - libFuzzer target for the AzureGuest response parser (JSON,
 * base64url envelope, encryption parameters) and the AES-GCM opening of
 * the token with a fixed inner key; and the {"token": JWT} answer of
 * SevSnpVm/TdxVm.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/maa_guest.h"
#include "verifier/maa_vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint8_t key[32] = { 1, 2, 3 };
	struct ag_maa_guest_response r;
	struct ag_err err;
	char *jwt = NULL;

	if (ag_maa_vm_response_parse(data, len, &jwt, &err) == AG_OK && (jwt == NULL || jwt[0] == '\0'))
		abort();
	free(jwt);
	jwt = NULL;
	if (ag_maa_guest_response_parse(data, len, &r, &err) != AG_OK)
		return 0;
	if (r.iv_len != 12 || r.tag_len != 16 || r.inner_key_enc == NULL || r.jwt_enc == NULL)
		abort();
	/* A fixed key cannot open a forged envelope: success would mean the tag is not checked. */
	if (ag_maa_guest_decrypt_jwt(&r, key, r.key_bits / 8, &jwt, &err) == AG_OK && r.key_bits == 256)
		abort();
	free(jwt);
	ag_maa_guest_response_clear(&r);
	return 0;
}
