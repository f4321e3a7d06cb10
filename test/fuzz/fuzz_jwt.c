/*
 * fuzz_jwt.c - libFuzzer target for the token path: JWS compact parsing,
 * the header rules, and the full token verification (key lookup, signature,
 * claims) against a fixed key set made at start-up.
 */
#include <jansson.h>
#include <openssl/rsa.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/jwks.h"
#include "format/jwt.h"
#include "format/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct ag_jwks *
fixed_keys(void)
{
	static struct ag_jwks set;
	static struct ag_jwk key;

	if (set.n == 0) {
		key.kid = strdup("XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=");
		key.key = EVP_RSA_gen(2048);
		if (key.kid == NULL || key.key == NULL)
			abort();
		set.keys = &key;
		set.n = 1;
	}
	return &set;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const algs[] = { "RS256", "PS256", "ES256", "ES384", NULL };
	struct ag_jwks *keys = fixed_keys();
	struct ag_jwt *t = NULL;
	struct ag_token_opts o;
	struct ag_token_info info;
	struct ag_err err;
	json_t *claims = NULL;

	if (ag_jwt_parse(data, len, &t, &err) == AG_OK) {
		if (t->header == NULL || t->claims == NULL || t->sig_len == 0 || t->alg == NULL)
			abort();
		if (ag_jwt_check_header(t, algs, &err) == AG_OK)
			(void)ag_jwt_verify_signature(t, &keys->keys[0], &err);
		ag_jwt_free(t);
	} else if (t != NULL) {
		abort();
	}
	memset(&o, 0, sizeof(o));
	o.issuer = "https://sharedwus.wus.attest.azure.net";
	o.algs = algs;
	o.now = 1654040000;
	o.clock_skew_s = 60;
	o.max_age_s = 600;
	o.nonce = "n";
	/* A random key cannot have signed the input: acceptance would be a forgery. */
	if (ag_token_verify(data, len, keys, &o, &claims, &info, &err) == AG_OK)
		abort();
	if (claims != NULL)
		abort();
	return 0;
}
