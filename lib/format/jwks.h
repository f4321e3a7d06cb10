/*
 * format/jwks.h - JSON Web Key Sets (RFC 7517) of a verifier's signing keys: keys
 * from x5c certificates (as MAA publishes them), RSA n/e and EC crv/x/y.
 * Parsing bytes only; fetching the set from the pinned instance is the
 * caller's job (http.h), and deciding whether a token is valid is jwt.h's.
 */
#ifndef AG_JWKS_H
#define AG_JWKS_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"
#include "base/error.h"

#define AG_JWKS_MAX_BYTES (1024 * 1024)
#define AG_JWKS_MAX_KEYS 64
#define AG_JWKS_MAX_X5C 10
#define AG_JWK_MIN_RSA_BITS 2048

struct ag_jwk {
	char *kid;
	char *alg;                       /* the key's "alg", or NULL */
	EVP_PKEY *key;                   /* public key */
	char cert_sha256[AG_SHA256_HEX_LEN + 1]; /* of x5c[0]'s DER, or "" without x5c */
};

struct ag_jwks {
	struct ag_jwk *keys;
	size_t n;
	json_t *json;                    /* the set as parsed, for jwks.json */
};

/* Parses a JWKS; keys of other types than RSA and EC are ignored, malformed RSA/EC keys and duplicate kids are errors (AG_EINVALID). */
enum ag_code ag_jwks_parse(const uint8_t *buf, size_t len, struct ag_jwks **out, struct ag_err *err);

/* Public key from one JWK's parameters (RSA n/e, EC crv/x/y), ignoring use/key_ops; NULL when malformed. */
EVP_PKEY *ag_jwk_public_key(const json_t *jwk);

/* The key with this kid, or NULL. */
const struct ag_jwk *ag_jwks_find(const struct ag_jwks *set, const char *kid);

/* The set as JSON text for jwks.json (new string, freed by the caller), or NULL. */
char *ag_jwks_dump(const struct ag_jwks *set);

/* Frees a set; NULL is allowed. */
void ag_jwks_free(struct ag_jwks *set);

#endif
