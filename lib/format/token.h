/*
 * format/token.h - what makes a verifier's token acceptable to the gate: a valid
 * JWS (jwt.h) signed by a key of the pinned instance (jwks.h), with that
 * instance as issuer and jku, inside its validity and maxTokenAge, and
 * answering the gate's own nonce.  Not for fetching keys or tokens.
 */
#ifndef AG_TOKEN_H
#define AG_TOKEN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"
#include "base/nonce.h"
#include "format/jwks.h"

struct ag_token_opts {
	const char *issuer;                 /* pinned instance URL, no trailing '/' */
	const char *const *algs;            /* allowlist, NULL-terminated */
	const char *const *signer_sha256;   /* optional allowlist of x5c[0] SHA-256s, NULL-terminated */
	time_t now;
	int64_t clock_skew_s;
	int64_t max_age_s;                  /* 0: no limit from iat */
	const char *nonce;                  /* expected nonce, or NULL not to check */
	enum ag_nonce_site nonce_site;
	const char *user_data;              /* hex the fresh-report step wrote, or NULL */
};

/* Facts about a verified token for status.json (jti points into the claims). */
struct ag_token_info {
	time_t exp, iat;
	const char *jti;
	const char *kid;                    /* points into the key set */
};

/* Verifies a token end to end; on success *claims is a new reference to its claims. AG_EINVALID with the reason otherwise. */
enum ag_code ag_token_verify(const uint8_t *tok, size_t len, const struct ag_jwks *keys,
    const struct ag_token_opts *o, json_t **claims, struct ag_token_info *info, struct ag_err *err);

/* Checks the gate's nonce (and user data) at the protocol's place in verified claims. */
enum ag_code ag_token_check_nonce(const json_t *claims, const struct ag_token_opts *o, struct ag_err *err);

/* The nonce site a verified token's x-ms-attestation-type implies (azurevm: AzureGuest; else runtime). */
enum ag_nonce_site ag_token_nonce_site_of(const json_t *claims);

/* Checks that url is a plain https:// instance URL (no query, fragment, user) and strips trailing '/' in place; NULL, or why not. */
const char *ag_token_issuer_normalize(char *url);

#endif
