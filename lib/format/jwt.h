/*
 * format/jwt.h - JWS compact serialisation (RFC 7515) as a verifier of untrusted
 * tokens: strict parsing, the header rules of DESIGN.md's security section,
 * and signature verification with OpenSSL.  What the claims must say
 * (issuer, times, nonce) is token.h's business.
 */
#ifndef AG_JWT_H
#define AG_JWT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "format/jwks.h"

/* Largest token accepted (MAA tokens are 4-20 KiB). */
#define AG_JWT_MAX_BYTES (256 * 1024)

struct ag_jwt {
	json_t *header;            /* JOSE header object */
	json_t *claims;            /* payload object */
	const char *alg;           /* borrowed from header */
	const char *kid;           /* borrowed; NULL when absent */
	const char *jku;           /* borrowed; NULL when absent */
	uint8_t *sig;
	size_t sig_len;
	char *signing_input;       /* "<header>.<payload>" as received */
	size_t signing_input_len;
};

/* Parses a compact JWS: three canonical base64url parts, JSON objects without duplicate keys, a non-empty signature. AG_EINVALID on error. */
enum ag_code ag_jwt_parse(const uint8_t *buf, size_t len, struct ag_jwt **out, struct ag_err *err);

/* Header rules: alg on the allowlist (never none or HMAC), no crit, no x5u, no keys embedded in the token. */
enum ag_code ag_jwt_check_header(const struct ag_jwt *t, const char *const *allowed_algs, struct ag_err *err);

/* Verifies the signature with key (its type, curve and alg must fit the token's alg). */
enum ag_code ag_jwt_verify_signature(const struct ag_jwt *t, const struct ag_jwk *key, struct ag_err *err);

/* Frees a token; NULL is allowed. */
void ag_jwt_free(struct ag_jwt *t);

#endif
