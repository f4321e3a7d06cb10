/*
 * format/jwt.c - JWS compact parsing and verification.  Nothing here trusts the
 * token to choose how it is verified: the algorithm must be on the caller's
 * allowlist and must fit the key the caller picked.
 */
#include "format/jwt.h"

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base64.h"
#include "base/pkey.h"

enum sig_kind { SIG_RSA_PKCS1, SIG_RSA_PSS, SIG_ECDSA };

struct alg {
	const char *name;
	enum sig_kind kind;
	const char *md;
	const char *curve;     /* ECDSA only */
	size_t ec_size;        /* bytes of R (and of S) */
};

static const struct alg algs[] = {
	{ "RS256", SIG_RSA_PKCS1, "SHA256", NULL, 0 },
	{ "RS384", SIG_RSA_PKCS1, "SHA384", NULL, 0 },
	{ "RS512", SIG_RSA_PKCS1, "SHA512", NULL, 0 },
	{ "PS256", SIG_RSA_PSS, "SHA256", NULL, 0 },
	{ "PS384", SIG_RSA_PSS, "SHA384", NULL, 0 },
	{ "ES256", SIG_ECDSA, "SHA256", "P-256", 32 },
	{ "ES384", SIG_ECDSA, "SHA384", "P-384", 48 },
};

static const struct alg *
find_alg(const char *name)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

/* Decodes one base64url part into a JSON object without duplicate keys. */
static enum ag_code
decode_object(const char *part, size_t len, const char *what, json_t **out, struct ag_err *err)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	json_error_t jerr;

	*out = NULL;
	if (len == 0)
		return ag_err_set(err, AG_EINVALID, "token %s is empty", what);
	if (ag_b64url_decode(part, len, &raw, &raw_len) != 0)
		return ag_err_set(err, AG_EINVALID, "token %s is not canonical base64url (no padding, no '+' or '/')", what);
	*out = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, &jerr);
	free(raw);
	if (*out == NULL)
		return ag_err_set(err, AG_EINVALID, "token %s is not valid JSON: %s", what, jerr.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return ag_err_set(err, AG_EINVALID, "token %s is not a JSON object", what);
	}
	return AG_OK;
}

static const char *
opt_string(const json_t *o, const char *key, int *bad)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

enum ag_code
ag_jwt_parse(const uint8_t *buf, size_t len, struct ag_jwt **out, struct ag_err *err)
{
	const char *s = (const char *)buf, *d1, *d2;
	struct ag_jwt *t;
	enum ag_code rc;
	size_t dots = 0;
	int bad = 0;

	*out = NULL;
	if (len > AG_JWT_MAX_BYTES)
		return ag_err_set(err, AG_EINVALID, "token is %zu bytes, larger than the %d allowed", len, AG_JWT_MAX_BYTES);
	for (size_t i = 0; i < len; i++)
		dots += s[i] == '.';
	if (dots != 2)
		return ag_err_set(err, AG_EINVALID,
		    "token is not a compact JWS: it has %zu parts separated by '.', not 3", dots + 1);
	d1 = memchr(s, '.', len);
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - s));
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ag_err_set(err, AG_EINVALID, "out of memory");
	rc = decode_object(s, (size_t)(d1 - s), "header", &t->header, err);
	if (rc == AG_OK)
		rc = decode_object(d1 + 1, (size_t)(d2 - d1 - 1), "claims", &t->claims, err);
	if (rc != AG_OK)
		goto out;
	t->alg = opt_string(t->header, "alg", &bad);
	t->kid = opt_string(t->header, "kid", &bad);
	t->jku = opt_string(t->header, "jku", &bad);
	if (bad || t->alg == NULL) {
		rc = ag_err_set(err, AG_EINVALID, "token header: alg must be a string, kid and jku strings when present");
		goto out;
	}
	if (strcasecmp(t->alg, "none") == 0) {
		rc = ag_err_set(err, AG_EINVALID, "token alg \"none\" (unsigned) is never accepted");
		goto out;
	}
	if ((size_t)(s + len - d2 - 1) == 0) {
		rc = ag_err_set(err, AG_EINVALID, "token is unsigned: the signature part is empty");
		goto out;
	}
	if (ag_b64url_decode(d2 + 1, (size_t)(s + len - d2 - 1), &t->sig, &t->sig_len) != 0) {
		rc = ag_err_set(err, AG_EINVALID, "token signature is not canonical base64url");
		goto out;
	}
	t->signing_input_len = (size_t)(d2 - s);
	t->signing_input = malloc(t->signing_input_len + 1);
	if (t->signing_input == NULL) {
		rc = ag_err_set(err, AG_EINVALID, "out of memory");
		goto out;
	}
	memcpy(t->signing_input, s, t->signing_input_len);
	t->signing_input[t->signing_input_len] = '\0';
out:
	if (rc != AG_OK) {
		ag_jwt_free(t);
		return rc;
	}
	*out = t;
	return AG_OK;
}

enum ag_code
ag_jwt_check_header(const struct ag_jwt *t, const char *const *allowed_algs, struct ag_err *err)
{
	const char *typ = json_string_value(json_object_get(t->header, "typ"));
	int allowed = 0;

	if (strcasecmp(t->alg, "none") == 0)
		return ag_err_set(err, AG_EINVALID, "token alg \"none\" (unsigned) is never accepted");
	if (strncasecmp(t->alg, "HS", 2) == 0)
		return ag_err_set(err, AG_EINVALID, "token alg %.16s (HMAC) is never accepted: a verifier signs with a private key",
		    t->alg);
	for (size_t i = 0; allowed_algs != NULL && allowed_algs[i] != NULL; i++)
		allowed |= strcmp(allowed_algs[i], t->alg) == 0;
	if (!allowed || find_alg(t->alg) == NULL)
		return ag_err_set(err, AG_EINVALID, "token alg %.16s is not on the allowlist of this verifier", t->alg);
	if (json_object_get(t->header, "crit") != NULL)
		return ag_err_set(err, AG_EINVALID, "token header has crit extensions, which attestgate does not understand");
	if (json_object_get(t->header, "x5u") != NULL)
		return ag_err_set(err, AG_EINVALID, "token header has x5u: keys are never fetched from a URL the token names");
	if (json_object_get(t->header, "jwk") != NULL || json_object_get(t->header, "x5c") != NULL)
		return ag_err_set(err, AG_EINVALID, "token header embeds a key (jwk/x5c): keys only come from the pinned instance");
	if (json_object_get(t->header, "typ") != NULL && (typ == NULL || strcasecmp(typ, "JWT") != 0))
		return ag_err_set(err, AG_EINVALID, "token typ is not JWT");
	return AG_OK;
}

static int
ec_key_on(const EVP_PKEY *key, const char *curve)
{
	char name[64];

	if (!EVP_PKEY_is_a(key, "EC") ||
	    EVP_PKEY_get_utf8_string_param(key, "group", name, sizeof(name), NULL) != 1)
		return 0;
	return (strcmp(curve, "P-256") == 0 && strcmp(name, "prime256v1") == 0) ||
	    (strcmp(curve, "P-384") == 0 && strcmp(name, "secp384r1") == 0);
}

enum ag_code
ag_jwt_verify_signature(const struct ag_jwt *t, const struct ag_jwk *key, struct ag_err *err)
{
	const struct alg *a = find_alg(t->alg);
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD *md = NULL;
	const uint8_t *sig = t->sig;
	uint8_t *der = NULL;
	size_t sig_len = t->sig_len;
	enum ag_code rc = AG_OK;

	if (a == NULL)
		return ag_err_set(err, AG_EINVALID, "token alg %.16s is not supported", t->alg);
	if (key->alg != NULL && strcmp(key->alg, a->name) != 0)
		return ag_err_set(err, AG_EINVALID, "key %s is for %s, not for the token's %s", key->kid, key->alg, a->name);
	if (a->kind == SIG_ECDSA) {
		if (!ec_key_on(key->key, a->curve))
			return ag_err_set(err, AG_EINVALID, "key %s is not a %s key, as %s needs", key->kid, a->curve, a->name);
		if (t->sig_len != 2 * a->ec_size)
			return ag_err_set(err, AG_EINVALID, "token signature is %zu bytes; %s signatures are %zu",
			    t->sig_len, a->name, 2 * a->ec_size);
		der = ag_ecdsa_der(t->sig, t->sig + a->ec_size, a->ec_size, 0, &sig_len);
		if (der == NULL)
			return ag_err_set(err, AG_EINVALID, "token signature is not a valid ECDSA signature");
		sig = der;
	} else {
		if (!EVP_PKEY_is_a(key->key, "RSA"))
			return ag_err_set(err, AG_EINVALID, "key %s is not an RSA key, as %s needs", key->kid, a->name);
		if (t->sig_len != (size_t)EVP_PKEY_get_size(key->key))
			return ag_err_set(err, AG_EINVALID, "token signature is %zu bytes; key %s signs %d-byte signatures",
			    t->sig_len, key->kid, EVP_PKEY_get_size(key->key));
	}
	mctx = EVP_MD_CTX_new();
	md = EVP_MD_fetch(NULL, a->md, NULL);
	if (mctx == NULL || md == NULL || EVP_DigestVerifyInit(mctx, &pctx, md, NULL, key->key) != 1) {
		rc = ag_err_set(err, AG_EINVALID, "cannot set up %s verification", a->name);
		goto out;
	}
	if (a->kind != SIG_ECDSA &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, a->kind == SIG_RSA_PSS ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) != 1) {
		rc = ag_err_set(err, AG_EINVALID, "cannot set up %s padding", a->name);
		goto out;
	}
	if (a->kind == SIG_RSA_PSS && (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
					  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)) {
		rc = ag_err_set(err, AG_EINVALID, "cannot set up PSS parameters");
		goto out;
	}
	if (EVP_DigestVerify(mctx, sig, sig_len, (const unsigned char *)t->signing_input, t->signing_input_len) != 1)
		rc = ag_err_set(err, AG_EINVALID, "token signature does not verify with key %s (%s)", key->kid, a->name);
out:
	ERR_clear_error();
	EVP_MD_free(md);
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	return rc;
}

void
ag_jwt_free(struct ag_jwt *t)
{
	if (t == NULL)
		return;
	json_decref(t->header);
	json_decref(t->claims);
	free(t->sig);
	free(t->signing_input);
	free(t);
}
