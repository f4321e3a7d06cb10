/*
 * format/jwks.c - JWKS parsing with jansson and OpenSSL: every key becomes an
 * EVP_PKEY checked for type, size and curve before any token sees it.
 */
#include "format/jwks.h"

#include <openssl/core_names.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/pkey.h"

static const char *
str_member(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Public key of x5c[0]; also records the certificate's SHA-256. */
static enum ag_code
key_from_x5c(const json_t *x5c, struct ag_jwk *k, size_t idx, struct ag_err *err)
{
	const char *b64;
	uint8_t *der = NULL;
	size_t der_len = 0;
	const unsigned char *p;
	X509 *cert = NULL;
	enum ag_code rc = AG_OK;

	if (!json_is_array(x5c) || json_array_size(x5c) == 0 || json_array_size(x5c) > AG_JWKS_MAX_X5C)
		return ag_err_set(err, AG_EINVALID, "key %zu: x5c must be a list of 1 to %d certificates", idx,
		    AG_JWKS_MAX_X5C);
	for (size_t i = 0; i < json_array_size(x5c); i++)
		if (!json_is_string(json_array_get(x5c, i)))
			return ag_err_set(err, AG_EINVALID, "key %zu: x5c[%zu] is not a string", idx, i);
	b64 = json_string_value(json_array_get(x5c, 0));
	if (ag_b64_decode(b64, json_string_length(json_array_get(x5c, 0)), &der, &der_len) != 0)
		return ag_err_set(err, AG_EINVALID, "key %zu: x5c[0] is not canonical base64", idx);
	p = der;
	cert = d2i_X509(NULL, &p, (long)der_len);
	if (cert == NULL || p != der + der_len) {
		rc = ag_err_set(err, AG_EINVALID, "key %zu: x5c[0] is not one DER certificate", idx);
		goto out;
	}
	k->key = X509_get_pubkey(cert);
	if (k->key == NULL) {
		rc = ag_err_set(err, AG_EINVALID, "key %zu: x5c[0] has no usable public key", idx);
		goto out;
	}
	if (ag_sha256_hex(der, der_len, k->cert_sha256) != 0)
		rc = ag_err_set(err, AG_EINVALID, "key %zu: cannot hash x5c[0]", idx);
out:
	X509_free(cert);
	free(der);
	return rc;
}

/* Decodes a base64url member into a buffer of at most max bytes (exactly max if exact). */
static int
b64url_member(const json_t *o, const char *name, size_t max, int exact, uint8_t **out, size_t *len)
{
	const json_t *v = json_object_get(o, name);

	if (!json_is_string(v) || ag_b64url_decode(json_string_value(v), json_string_length(v), out, len) != 0)
		return -1;
	if (*len == 0 || *len > max || (exact && *len != max)) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static EVP_PKEY *
rsa_from_jwk(const json_t *o)
{
	uint8_t *n = NULL, *e = NULL;
	size_t n_len, e_len;
	EVP_PKEY *pkey = NULL;

	/* Minimal encoding: no leading zero octets. */
	if (b64url_member(o, "n", 1024, 0, &n, &n_len) == 0 && b64url_member(o, "e", 8, 0, &e, &e_len) == 0 && n[0] != 0 &&
	    e[0] != 0)
		pkey = ag_pkey_rsa(n, n_len, e, e_len);
	free(n);
	free(e);
	return pkey;
}

static EVP_PKEY *
ec_from_jwk(const json_t *o)
{
	const char *crv = str_member(o, "crv"), *group;
	size_t size, x_len, y_len;
	uint8_t *x = NULL, *y = NULL, point[1 + 2 * 66];
	EVP_PKEY *pkey = NULL;

	if (crv != NULL && strcmp(crv, "P-256") == 0) {
		group = "prime256v1";
		size = 32;
	} else if (crv != NULL && strcmp(crv, "P-384") == 0) {
		group = "secp384r1";
		size = 48;
	} else if (crv != NULL && strcmp(crv, "P-521") == 0) {
		/* Key Vault's third curve (released keys); no token algorithm here uses it. */
		group = "secp521r1";
		size = 66;
	} else {
		return NULL;
	}
	if (b64url_member(o, "x", size, 1, &x, &x_len) != 0 || b64url_member(o, "y", size, 1, &y, &y_len) != 0)
		goto out;
	point[0] = 0x04;
	memcpy(point + 1, x, size);
	memcpy(point + 1 + size, y, size);
	pkey = ag_pkey_ec(group, point, 1 + 2 * size);
out:
	free(x);
	free(y);
	return pkey;
}

EVP_PKEY *
ag_jwk_public_key(const json_t *jwk)
{
	const char *kty = str_member(jwk, "kty");

	if (kty != NULL && strcmp(kty, "RSA") == 0)
		return rsa_from_jwk(jwk);
	if (kty != NULL && strcmp(kty, "EC") == 0)
		return ec_from_jwk(jwk);
	return NULL;
}

/* Name of the curve of an EC key ("P-256"/"P-384"), or NULL. */
static const char *
ec_curve(const EVP_PKEY *pkey)
{
	char name[64];

	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), NULL) != 1)
		return NULL;
	if (strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0)
		return "P-256";
	if (strcmp(name, "secp384r1") == 0 || strcmp(name, "P-384") == 0)
		return "P-384";
	return NULL;
}

static enum ag_code
load_key(const json_t *o, size_t idx, struct ag_jwk *k, struct ag_err *err)
{
	const char *kty = str_member(o, "kty"), *kid = str_member(o, "kid"), *use = str_member(o, "use");
	const json_t *x5c = json_object_get(o, "x5c"), *ops = json_object_get(o, "key_ops");
	int has_params;
	EVP_PKEY *direct = NULL;
	enum ag_code rc;

	if (kid == NULL || json_string_length(json_object_get(o, "kid")) == 0 ||
	    strlen(kid) != json_string_length(json_object_get(o, "kid")))
		return ag_err_set(err, AG_EINVALID, "key %zu has no kid", idx);
	if (json_object_get(o, "use") != NULL && (use == NULL || strcmp(use, "sig") != 0))
		return ag_err_set(err, AG_EINVALID, "key %s: use is not \"sig\"", kid);
	if (ops != NULL) {
		size_t i;
		json_t *op;
		int verify = 0;

		if (!json_is_array(ops))
			return ag_err_set(err, AG_EINVALID, "key %s: key_ops is not a list", kid);
		json_array_foreach(ops, i, op)
			verify |= json_is_string(op) && strcmp(json_string_value(op), "verify") == 0;
		if (!verify)
			return ag_err_set(err, AG_EINVALID, "key %s: key_ops does not allow verify", kid);
	}
	if (json_object_get(o, "alg") != NULL && !json_is_string(json_object_get(o, "alg")))
		return ag_err_set(err, AG_EINVALID, "key %s: alg is not a string", kid);
	k->kid = strdup(kid);
	k->alg = str_member(o, "alg") != NULL ? strdup(str_member(o, "alg")) : NULL;
	if (k->kid == NULL || (str_member(o, "alg") != NULL && k->alg == NULL))
		return ag_err_set(err, AG_EINVALID, "out of memory");
	if (x5c != NULL) {
		rc = key_from_x5c(x5c, k, idx, err);
		if (rc != AG_OK) {
			ag_err_prefix(err, "kid %s", kid);
			return rc;
		}
	}
	has_params = strcmp(kty, "RSA") == 0 ? json_object_get(o, "n") != NULL || json_object_get(o, "e") != NULL :
					       json_object_get(o, "x") != NULL || json_object_get(o, "y") != NULL;
	if (has_params) {
		direct = ag_jwk_public_key(o);
		if (direct == NULL)
			return ag_err_set(err, AG_EINVALID, "key %s: malformed %s parameters", kid, kty);
		if (k->key != NULL && EVP_PKEY_eq(k->key, direct) != 1) {
			EVP_PKEY_free(direct);
			return ag_err_set(err, AG_EINVALID, "key %s: x5c and the key parameters disagree", kid);
		}
		if (k->key == NULL)
			k->key = direct;
		else
			EVP_PKEY_free(direct);
	}
	if (k->key == NULL)
		return ag_err_set(err, AG_EINVALID, "key %s has neither x5c nor key parameters", kid);
	if (strcmp(kty, "RSA") == 0) {
		if (!EVP_PKEY_is_a(k->key, "RSA"))
			return ag_err_set(err, AG_EINVALID, "key %s: kty RSA but the key is not RSA", kid);
		if (EVP_PKEY_get_bits(k->key) < AG_JWK_MIN_RSA_BITS)
			return ag_err_set(err, AG_EINVALID, "key %s: RSA key of %d bits is too small (at least %d)", kid,
			    EVP_PKEY_get_bits(k->key), AG_JWK_MIN_RSA_BITS);
	} else {
		const char *crv = str_member(o, "crv");

		if (!EVP_PKEY_is_a(k->key, "EC") || ec_curve(k->key) == NULL)
			return ag_err_set(err, AG_EINVALID, "key %s: kty EC but not a P-256 or P-384 key", kid);
		if (crv != NULL && strcmp(crv, ec_curve(k->key)) != 0)
			return ag_err_set(err, AG_EINVALID, "key %s: crv %s does not match the key", kid, crv);
	}
	return AG_OK;
}

enum ag_code
ag_jwks_parse(const uint8_t *buf, size_t len, struct ag_jwks **out, struct ag_err *err)
{
	json_error_t jerr;
	json_t *root, *keys, *o;
	struct ag_jwks *set = NULL;
	size_t i;
	enum ag_code rc = AG_OK;

	*out = NULL;
	if (len > AG_JWKS_MAX_BYTES)
		return ag_err_set(err, AG_EINVALID, "JWKS larger than %d bytes", AG_JWKS_MAX_BYTES);
	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return ag_err_set(err, AG_EINVALID, "JWKS is not valid JSON: %s (offset %d)", jerr.text, jerr.position);
	keys = json_object_get(root, "keys");
	if (!json_is_object(root) || !json_is_array(keys)) {
		rc = ag_err_set(err, AG_EINVALID, "JWKS has no \"keys\" list");
		goto out;
	}
	if (json_array_size(keys) > AG_JWKS_MAX_KEYS) {
		rc = ag_err_set(err, AG_EINVALID, "JWKS has more than %d keys", AG_JWKS_MAX_KEYS);
		goto out;
	}
	set = calloc(1, sizeof(*set));
	if (set == NULL || (set->keys = calloc(json_array_size(keys) + 1, sizeof(*set->keys))) == NULL) {
		rc = ag_err_set(err, AG_EINVALID, "out of memory");
		goto out;
	}
	json_array_foreach(keys, i, o) {
		const char *kty = str_member(o, "kty");

		if (!json_is_object(o) || kty == NULL) {
			rc = ag_err_set(err, AG_EINVALID, "JWKS key %zu has no kty", i);
			goto out;
		}
		/* Only signature keys of the types we verify; symmetric and other keys are never used. */
		if (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0)
			continue;
		rc = load_key(o, i, &set->keys[set->n], err);
		set->n++;
		if (rc != AG_OK)
			goto out;
		if (ag_jwks_find(set, set->keys[set->n - 1].kid) != &set->keys[set->n - 1]) {
			rc = ag_err_set(err, AG_EINVALID, "JWKS has two keys with kid %s", set->keys[set->n - 1].kid);
			goto out;
		}
	}
	set->json = json_incref(root);
out:
	json_decref(root);
	if (rc != AG_OK) {
		ag_jwks_free(set);
		return rc;
	}
	*out = set;
	return AG_OK;
}

const struct ag_jwk *
ag_jwks_find(const struct ag_jwks *set, const char *kid)
{
	for (size_t i = 0; kid != NULL && i < set->n; i++)
		if (set->keys[i].kid != NULL && strcmp(set->keys[i].kid, kid) == 0)
			return &set->keys[i];
	return NULL;
}

char *
ag_jwks_dump(const struct ag_jwks *set)
{
	return set->json != NULL ? json_dumps(set->json, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
}

void
ag_jwks_free(struct ag_jwks *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->keys[i].kid);
		free(set->keys[i].alg);
		EVP_PKEY_free(set->keys[i].key);
	}
	free(set->keys);
	json_decref(set->json);
	free(set);
}
