/*
 * fuzz_jwks.c - libFuzzer target for the JWKS parser (x5c certificates,
 * RSA n/e and EC crv/x/y keys built with OpenSSL).
 */
#include <stdint.h>
#include <stdlib.h>

#include "format/jwks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ag_jwks *set = NULL;
	struct ag_err err;

	if (ag_jwks_parse(data, len, &set, &err) != AG_OK) {
		if (set != NULL)
			abort();
		return 0;
	}
	if (set->n > AG_JWKS_MAX_KEYS)
		abort();
	for (size_t i = 0; i < set->n; i++)
		if (set->keys[i].key == NULL || ag_jwks_find(set, set->keys[i].kid) != &set->keys[i])
			abort();
	ag_jwks_free(set);
	return 0;
}
