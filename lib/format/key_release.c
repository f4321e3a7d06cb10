/*
 * format/key_release.c - the bytes of Secure Key Release (see key_release.h):
 * JWK thumbprints, the request body, the signed response and the key_hsm
 * envelope, and the encodings of a released key.  OpenSSL does every piece
 * of cryptography: X.509 path validation, RS256, RSA-OAEP (through the
 * caller), AES key wrap with padding, PKCS#8.
 */
#include "format/key_release.h"

#include <ctype.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/certs.h"
#include "base/digest.h"
#include "format/jwks.h"
#include "format/jwt.h"

#define X5C_MAX 10

static const char *const enc_names[] = { "CKM_RSA_AES_KEY_WRAP", "RSA_AES_KEY_WRAP_256", "RSA_AES_KEY_WRAP_384" };
static const char *const enc_digests[] = { "SHA1", "SHA256", "SHA384" };

const char *
ag_skr_enc_name(enum ag_skr_enc enc)
{
	return enc_names[enc];
}

const char *
ag_skr_enc_digest(enum ag_skr_enc enc)
{
	return enc_digests[enc];
}

void
ag_skr_free_secret(uint8_t *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

void
ag_skr_key_clear(struct ag_skr_key *k)
{
	ag_skr_free_secret(k->material, k->len);
	k->material = NULL;
	k->len = 0;
}

enum ag_code
ag_jwk_rsa_thumbprint(const json_t *jwk, char kid[AG_SKR_KID_MAX], struct ag_err *err)
{
	const char *n = json_string_value(json_object_get(jwk, "n"));
	const char *e = json_string_value(json_object_get(jwk, "e"));
	uint8_t digest[AG_SHA256_LEN];
	char *text, *b64;
	int len;

	if (n == NULL || e == NULL)
		return ag_err_set(err, AG_EINVALID, "an RSA JWK needs n and e");
	/* RFC 7638: the required members in lexicographic order, no whitespace. */
	len = snprintf(NULL, 0, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", e, n);
	text = malloc((size_t)len + 1);
	if (text == NULL)
		return ag_err_set(err, AG_EINVALID, "out of memory");
	snprintf(text, (size_t)len + 1, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", e, n);
	ag_sha256(text, (size_t)len, digest);
	free(text);
	b64 = ag_b64url_encode(digest, sizeof(digest));
	if (b64 == NULL)
		return ag_err_set(err, AG_EINVALID, "out of memory");
	snprintf(kid, AG_SKR_KID_MAX, "%s", b64);
	free(b64);
	return AG_OK;
}

/* A big-endian BIGNUM parameter of key as base64url, or NULL. */
static char *
bn_param_b64(const EVP_PKEY *key, const char *param, size_t pad)
{
	BIGNUM *bn = NULL;
	uint8_t *bytes;
	size_t n;
	char *b64 = NULL;

	if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
		return NULL;
	n = (size_t)BN_num_bytes(bn);
	n = n < pad ? pad : n;
	bytes = malloc(n > 0 ? n : 1);
	if (bytes != NULL && BN_bn2binpad(bn, bytes, (int)n) == (int)n)
		b64 = ag_b64url_encode(bytes, n);
	if (bytes != NULL)
		ag_skr_free_secret(bytes, n);
	BN_clear_free(bn);
	return b64;
}

json_t *
ag_skr_transfer_jwk(EVP_PKEY *rsa, const char *kid)
{
	char *n = bn_param_b64(rsa, OSSL_PKEY_PARAM_RSA_N, 0), *e = bn_param_b64(rsa, OSSL_PKEY_PARAM_RSA_E, 0);
	char thumb[AG_SKR_KID_MAX];
	json_t *jwk = NULL;

	if (n != NULL && e != NULL)
		jwk = json_pack("{s:s,s:s,s:s,s:[s]}", "kty", "RSA", "n", n, "e", e, "key_ops", "encrypt");
	free(n);
	free(e);
	if (jwk != NULL && kid == NULL && ag_jwk_rsa_thumbprint(jwk, thumb, NULL) == AG_OK)
		kid = thumb;
	if (jwk == NULL || kid == NULL || json_object_set_new(jwk, "kid", json_string(kid)) != 0) {
		json_decref(jwk);
		return NULL;
	}
	return jwk;
}

const char *
ag_skr_vault_url_problem(const char *url)
{
	const char *host = strncmp(url, "https://", 8) == 0 ? url + 8 : NULL, *c;
	size_t labels = 1, label_len = 0, host_len;
	int letters = 0;

	if (host == NULL)
		return "must be an https:// URL";
	host_len = strcspn(host, ":/");
	if (host[host_len] == '/' || (host[host_len] == ':' && strspn(host + host_len + 1, "0123456789") != strlen(host + host_len + 1)))
		return "must be the vault's URL without a path (https://NAME.vault.azure.net)";
	if (host_len == 0 || host_len > 253)
		return "has no host name";
	for (c = host; c < host + host_len; c++) {
		if (*c == '.') {
			if (label_len == 0)
				return "has an empty label in its host name";
			labels++;
			label_len = 0;
		} else if (isalnum((unsigned char)*c) || *c == '-') {
			letters |= isalpha((unsigned char)*c);
			label_len++;
		} else {
			return "has a host name that is not a DNS name";
		}
	}
	if (label_len == 0 || labels < 3 || !letters)
		return "must name a vault by its DNS name (NAME.vault.azure.net, NAME.managedhsm.azure.net)";
	return NULL;
}

const char *
ag_skr_vault_host(const char *url, char *buf, size_t size)
{
	const char *h = strncmp(url, "https://", 8) == 0 ? url + 8 : url;

	snprintf(buf, size, "%.*s", (int)strcspn(h, ":/"), h);
	return buf;
}

char *
ag_skr_request_body(const char *token, enum ag_skr_enc enc)
{
	json_t *body = json_pack("{s:s,s:s}", "target", token, "enc", enc_names[enc]);
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	return text;
}

/* The x5c chain of the response's JWS header: leaf first, at most X5C_MAX certificates. */
static enum ag_code
x5c_chain(const struct ag_jwt *t, STACK_OF(X509) *chain, struct ag_err *err)
{
	const json_t *x5c = json_object_get(t->header, "x5c");
	size_t i;
	const json_t *c;

	if (!json_is_array(x5c) || json_array_size(x5c) == 0 || json_array_size(x5c) > X5C_MAX)
		return ag_err_set(err, AG_EINVALID, "the release response's header has no x5c chain (1 to %d certificates)",
		    X5C_MAX);
	json_array_foreach(x5c, i, c) {
		const char *s = json_string_value(c);
		uint8_t *der = NULL;
		size_t len = 0;
		int bad = s == NULL || ag_b64_decode(s, strlen(s), &der, &len) != 0 || ag_certs_push_der(der, len, chain) != 0;

		free(der);
		if (bad)
			return ag_err_set(err, AG_EINVALID, "x5c[%zu] of the release response is not a base64 DER certificate", i);
	}
	return AG_OK;
}

/* The leaf must chain to a certificate of trust at at and be valid for host. */
static enum ag_code
verify_chain(STACK_OF(X509) *chain, X509_STORE *trust, const char *host, time_t at, struct ag_err *err)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;
	enum ag_code rc = AG_OK;
	char cn[128];

	if (ctx == NULL || X509_STORE_CTX_init(ctx, trust, sk_X509_value(chain, 0), chain) != 1) {
		X509_STORE_CTX_free(ctx);
		return ag_err_set(err, AG_EINVALID, "cannot set up the release response's certificate check");
	}
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, at);
	/* The vault signs with its TLS server certificate: as Go's Verify (the sidecar's) asks, serverAuth. */
	X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
	if (X509_VERIFY_PARAM_set1_host(param, host, 0) != 1)
		rc = ag_err_set(err, AG_EINVALID, "cannot check the release response's certificate for host %.200s", host);
	else if (X509_verify_cert(ctx) != 1)
		rc = ag_err_set(err, AG_EINVALID, "the release response is signed by \"%s\", whose certificate does not verify "
		    "for %.200s: %s", ag_cert_cn(sk_X509_value(chain, 0), cn, sizeof(cn)), host,
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	return rc;
}

/* The JWS's signature by its x5c leaf, after the chain and the host name held. */
static enum ag_code
verify_jws(const struct ag_jwt *t, X509_STORE *trust, const char *host, time_t at, struct ag_err *err)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct ag_jwk leaf;
	enum ag_code rc;

	if (chain == NULL)
		return ag_err_set(err, AG_EINVALID, "out of memory");
	if (t->alg == NULL || strcmp(t->alg, "RS256") != 0)
		rc = ag_err_set(err, AG_EINVALID, "the release response is signed with %.16s, not RS256", t->alg != NULL ?
		    t->alg : "no alg");
	else if (json_object_get(t->header, "crit") != NULL || json_object_get(t->header, "jku") != NULL ||
	    json_object_get(t->header, "x5u") != NULL || json_object_get(t->header, "jwk") != NULL)
		rc = ag_err_set(err, AG_EINVALID, "the release response's header names keys elsewhere (jku, x5u, jwk) or crit: "
		    "only x5c is accepted");
	else
		rc = x5c_chain(t, chain, err);
	if (rc == AG_OK)
		rc = verify_chain(chain, trust, host, at, err);
	if (rc == AG_OK) {
		memset(&leaf, 0, sizeof(leaf));
		leaf.kid = "x5c[0]";
		leaf.key = X509_get0_pubkey(sk_X509_value(chain, 0));
		rc = leaf.key != NULL ? ag_jwt_verify_signature(t, &leaf, err) :
				       ag_err_set(err, AG_EINVALID, "the release response's x5c[0] has no usable key");
		if (rc != AG_OK)
			ag_err_prefix(err, "the release response's signature");
	}
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

enum ag_code
ag_skr_response_verify(const uint8_t *body, size_t len, X509_STORE *trust, const char *host, time_t at,
    json_t **payload, struct ag_err *err)
{
	json_error_t jerr;
	json_t *doc;
	const char *value;
	struct ag_jwt *t = NULL;
	json_t *k;
	enum ag_code rc;

	*payload = NULL;
	if (len > AG_SKR_MAX_RESPONSE)
		return ag_err_set(err, AG_EINVALID, "the release response is larger than %d bytes", AG_SKR_MAX_RESPONSE);
	doc = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
	value = json_string_value(json_object_get(doc, "value"));
	if (value == NULL) {
		json_decref(doc);
		return ag_err_set(err, AG_EINVALID, "the release response is not {\"value\": JWS}");
	}
	rc = ag_jwt_parse((const uint8_t *)value, strlen(value), &t, err);
	json_decref(doc);
	if (rc != AG_OK) {
		ag_err_prefix(err, "the release response");
		return rc;
	}
	rc = verify_jws(t, trust, host, at, err);
	k = json_object_get(json_object_get(json_object_get(t->claims, "response"), "key"), "key");
	if (rc == AG_OK && !json_is_object(k))
		rc = ag_err_set(err, AG_EINVALID, "the release response's payload has no response.key.key");
	if (rc == AG_OK)
		*payload = json_incref(t->claims);
	ag_jwt_free(t);
	return rc;
}

/*
 * The key_hsm envelope's ciphertext.  Its header (kid, alg, enc) is not
 * relied on, as in Microsoft's clients: the signed request.enc says how the
 * key was wrapped, and only this run's transfer key can open it.
 */
static enum ag_code
envelope(const json_t *key, uint8_t **ct, size_t *ct_len, struct ag_err *err)
{
	const char *b64 = json_string_value(json_object_get(key, "key_hsm")), *s;
	uint8_t *raw = NULL;
	size_t len = 0;
	json_t *env;
	enum ag_code rc = AG_OK;

	*ct = NULL;
	if (b64 == NULL || strlen(b64) > AG_SKR_MAX_RESPONSE || ag_b64url_decode_any_padding(b64, strlen(b64), &raw, &len) != 0)
		return ag_err_set(err, AG_EINVALID, "the released key has no key_hsm (base64url), so it was not wrapped for export");
	env = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (!json_is_object(env) || (s = json_string_value(json_object_get(env, "ciphertext"))) == NULL)
		rc = ag_err_set(err, AG_EINVALID, "key_hsm is not {\"schema_version\", \"header\", \"ciphertext\"}");
	else if (ag_b64url_decode_any_padding(s, strlen(s), ct, ct_len) != 0)
		rc = ag_err_set(err, AG_EINVALID, "key_hsm's ciphertext is not base64url");
	json_decref(env);
	return rc;
}

/* RFC 5649 AES-256 key unwrap with padding (OpenSSL's wrap_pad). */
static enum ag_code
aes_unwrap(const uint8_t kek[32], const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len, struct ag_err *err)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;

	*out = malloc(in_len);
	if (c == NULL || *out == NULL) {
		EVP_CIPHER_CTX_free(c);
		free(*out);
		*out = NULL;
		return ag_err_set(err, AG_EINVALID, "out of memory");
	}
	EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_DecryptInit_ex(c, EVP_aes_256_wrap_pad(), NULL, kek, NULL) != 1 ||
	    EVP_DecryptUpdate(c, *out, &n, in, (int)in_len) != 1 || EVP_DecryptFinal_ex(c, *out + n, &fin) != 1 || n + fin <= 0) {
		EVP_CIPHER_CTX_free(c);
		ag_skr_free_secret(*out, in_len);
		*out = NULL;
		return ag_err_set(err, AG_EINVALID, "the wrapped key does not unwrap (RFC 5649 integrity check failed): "
		    "it was altered, or wrapped under another key");
	}
	EVP_CIPHER_CTX_free(c);
	*out_len = (size_t)(n + fin);
	return AG_OK;
}

/* The key type without -HSM: oct, RSA or EC; NULL for anything else. */
static const char *
base_kty(const json_t *key)
{
	static const char *const kinds[] = { "oct", "RSA", "EC" };
	const char *kty = json_string_value(json_object_get(key, "kty"));

	for (size_t i = 0; kty != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i]);

		if (strncmp(kty, kinds[i], n) == 0 && (kty[n] == '\0' || strcmp(kty + n, "-HSM") == 0))
			return kinds[i];
	}
	return NULL;
}

/* RSA and EC material: a PKCS#8 private key (nothing after it) whose public part is the released key's. */
static enum ag_code
check_private(const json_t *key, const char *kty, const uint8_t *der, size_t len, struct ag_err *err)
{
	const uint8_t *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
	EVP_PKEY *priv = p8 != NULL && p == der + len ? EVP_PKCS82PKEY(p8) : NULL, *pub;
	json_t *shape = json_deep_copy(key);
	const char *crv = json_string_value(json_object_get(key, "crv"));
	enum ag_code rc = AG_OK;

	json_object_set_new(shape, "kty", json_string(kty));
	pub = ag_jwk_public_key(shape);
	if (priv == NULL || !EVP_PKEY_is_a(priv, kty))
		rc = ag_err_set(err, AG_EINVALID, "the released %s key is not a PKCS#8 %s private key", kty, kty);
	else if (strcmp(kty, "EC") == 0 && (crv == NULL || (strcmp(crv, "P-256") != 0 && strcmp(crv, "P-384") != 0 &&
	    strcmp(crv, "P-521") != 0)))
		rc = ag_err_set(err, AG_EINVALID, "the released EC key is on curve %.16s: only P-256, P-384 and P-521 are "
		    "supported", crv != NULL ? crv : "(none)");
	else if (pub == NULL || EVP_PKEY_eq(priv, pub) != 1)
		rc = ag_err_set(err, AG_EINVALID, "the released private key does not belong to the key's public part");
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	json_decref(shape);
	return rc;
}

/* The signed request.enc: the wrapping the vault used (it may differ from the one asked for; all three are sound). */
static enum ag_code
payload_enc(const json_t *payload, enum ag_skr_enc *enc, struct ag_err *err)
{
	const char *s = json_string_value(json_object_get(json_object_get(payload, "request"), "enc"));

	for (size_t i = 0; s != NULL && i < sizeof(enc_names) / sizeof(enc_names[0]); i++)
		if (strcmp(s, enc_names[i]) == 0) {
			*enc = (enum ag_skr_enc)i;
			return AG_OK;
		}
	return ag_err_set(err, AG_EINVALID, "the release response's request.enc is %.40s, not CKM_RSA_AES_KEY_WRAP, "
	    "RSA_AES_KEY_WRAP_256 or RSA_AES_KEY_WRAP_384", s != NULL ? s : "missing");
}

enum ag_code
ag_skr_unwrap(const json_t *payload, size_t modulus_len, ag_skr_decrypt_fn decrypt, void *ctx, struct ag_skr_key *out,
    struct ag_err *err)
{
	const json_t *key = json_object_get(json_object_get(json_object_get(payload, "response"), "key"), "key");
	const char *kty = base_kty(key), *vault_kid = json_string_value(json_object_get(key, "kid"));
	uint8_t *ct = NULL, *kek = NULL;
	size_t ct_len = 0, kek_len = 0;
	enum ag_skr_enc enc = AG_SKR_RSA_AES_KEY_WRAP_256;
	enum ag_code rc;

	memset(out, 0, sizeof(*out));
	if (kty == NULL)
		return ag_err_set(err, AG_EINVALID, "the released key's kty is %.32s, not oct, RSA or EC (or their -HSM forms)",
		    json_string_value(json_object_get(key, "kty")) != NULL ? json_string_value(json_object_get(key, "kty")) :
		    "missing");
	if ((rc = payload_enc(payload, &enc, err)) != AG_OK || (rc = envelope(key, &ct, &ct_len, err)) != AG_OK)
		return rc;
	if (ct_len < modulus_len + 16 || ct_len > modulus_len + AG_SKR_MAX_KEY || (ct_len - modulus_len) % 8 != 0)
		rc = ag_err_set(err, AG_EINVALID, "the ciphertext is %zu bytes: not a %zu-byte RSA block and an AES key wrap",
		    ct_len, modulus_len);
	if (rc == AG_OK)
		rc = decrypt(ctx, enc_digests[enc], ct, modulus_len, &kek, &kek_len, err);
	if (rc == AG_OK && kek_len != 32)
		rc = ag_err_set(err, AG_EINVALID, "the transfer key decrypts a %zu-byte key, not an AES-256 key", kek_len);
	if (rc == AG_OK)
		rc = aes_unwrap(kek, ct + modulus_len, ct_len - modulus_len, &out->material, &out->len, err);
	if (rc == AG_OK && strcmp(kty, "oct") != 0)
		rc = check_private(key, kty, out->material, out->len, err);
	if (rc == AG_OK) {
		snprintf(out->kty, sizeof(out->kty), "%s", kty);
		snprintf(out->kid, sizeof(out->kid), "%s", vault_kid != NULL ? vault_kid : "");
		out->enc = enc;
	} else {
		ag_skr_key_clear(out);
	}
	ag_skr_free_secret(kek, kek_len);
	free(ct);
	return rc;
}

/* PKCS#8 DER as a PEM "PRIVATE KEY" block, through a secure-memory BIO. */
static enum ag_code
encode_pem(const struct ag_skr_key *k, uint8_t **out, size_t *len, struct ag_err *err)
{
	const uint8_t *p = k->material;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)k->len);
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data;
	long n;
	enum ag_code rc = AG_OK;

	if (p8 == NULL || bio == NULL || PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio, p8) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0 || (*out = malloc((size_t)n)) == NULL)
		rc = ag_err_set(err, AG_EINVALID, "cannot write the released key as PEM");
	else {
		memcpy(*out, data, (size_t)n);
		*len = (size_t)n;
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	BIO_free(bio);
	return rc;
}

/* Appends ,"name":"value" to a JWK being written; value must be base64url or a URL of plain characters (nothing to escape). */
static int
jwk_member(char *buf, size_t size, size_t *off, const char *name, const char *value)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:/";
	int n;

	if (value == NULL || strspn(value, safe) != strlen(value))
		return -1;
	n = snprintf(buf + *off, size - *off, "%s\"%s\":\"%s\"", *off > 1 ? "," : "", name, value);
	if (n < 0 || (size_t)n >= size - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

/* The private JWK members of an RSA or EC key (RFC 7518 §6), base64url; NULLs where one is missing. */
static int
private_members(const struct ag_skr_key *k, char *buf, size_t size, size_t *off)
{
	static const char *const rsa[][2] = { { "n", OSSL_PKEY_PARAM_RSA_N }, { "e", OSSL_PKEY_PARAM_RSA_E },
		{ "d", OSSL_PKEY_PARAM_RSA_D }, { "p", OSSL_PKEY_PARAM_RSA_FACTOR1 }, { "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
		{ "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 }, { "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
		{ "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 }, { NULL, NULL } };
	static const char *const ec[][2] = { { "x", OSSL_PKEY_PARAM_EC_PUB_X }, { "y", OSSL_PKEY_PARAM_EC_PUB_Y },
		{ "d", OSSL_PKEY_PARAM_PRIV_KEY }, { NULL, NULL } };
	const uint8_t *p = k->material;
	EVP_PKEY *key = d2i_AutoPrivateKey(NULL, &p, (long)k->len);
	int is_rsa = strcmp(k->kty, "RSA") == 0, bits = key != NULL ? EVP_PKEY_get_bits(key) : 0, bad = key == NULL;
	const char *const(*m)[2] = is_rsa ? rsa : ec;
	size_t pad = is_rsa ? 0 : (size_t)(bits + 7) / 8;
	char group[32] = "";

	if (!bad && !is_rsa) {
		/* The JWK names of the NIST curves (RFC 7518 §6.2.1.1); another curve cannot be written (NULL). */
		EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL);
		bad = jwk_member(buf, size, off, "crv", strcmp(group, "prime256v1") == 0 ? "P-256" :
		    strcmp(group, "secp384r1") == 0 ? "P-384" : strcmp(group, "secp521r1") == 0 ? "P-521" : NULL);
	}
	for (; !bad && (*m)[0] != NULL; m++) {
		char *v = bn_param_b64(key, (*m)[1], pad);

		bad = jwk_member(buf, size, off, (*m)[0], v);
		if (v != NULL)
			ag_skr_free_secret((uint8_t *)v, strlen(v));
	}
	EVP_PKEY_free(key);
	return bad ? -1 : 0;
}

/* The key as a private JWK: {"kty", the key's members, "kid"}. */
static enum ag_code
encode_jwk(const struct ag_skr_key *k, uint8_t **out, size_t *len, struct ag_err *err)
{
	size_t size = 8 * k->len + 1024, off = 1;
	char *buf = malloc(size), *v;
	int bad;

	if (buf == NULL)
		return ag_err_set(err, AG_EINVALID, "out of memory");
	buf[0] = '{';
	bad = jwk_member(buf, size, &off, "kty", k->kty);
	if (!bad && strcmp(k->kty, "oct") == 0) {
		v = ag_b64url_encode(k->material, k->len);
		bad = jwk_member(buf, size, &off, "k", v);
		if (v != NULL)
			ag_skr_free_secret((uint8_t *)v, strlen(v));
	} else if (!bad) {
		bad = private_members(k, buf, size, &off);
	}
	if (!bad && k->kid[0] != '\0')
		bad = jwk_member(buf, size, &off, "kid", k->kid);
	if (bad || off + 3 > size) {
		ag_skr_free_secret((uint8_t *)buf, size);
		return ag_err_set(err, AG_EINVALID, "cannot write the released %s key as a JWK", k->kty);
	}
	buf[off++] = '}';
	buf[off++] = '\n';
	*out = (uint8_t *)buf;
	*len = off;
	return AG_OK;
}

enum ag_code
ag_skr_encode(const struct ag_skr_key *k, enum ag_key_format format, uint8_t **out, size_t *len, struct ag_err *err)
{
	*out = NULL;
	*len = 0;
	switch (format) {
	case AG_KEY_RAW:
		*out = malloc(k->len > 0 ? k->len : 1);
		if (*out == NULL)
			return ag_err_set(err, AG_EINVALID, "out of memory");
		memcpy(*out, k->material, k->len);
		*len = k->len;
		return AG_OK;
	case AG_KEY_PEM:
		if (strcmp(k->kty, "oct") == 0)
			return ag_err_set(err, AG_ECONFIG, "format pem is for RSA and EC keys; %s is a symmetric (oct) key: use raw "
			    "or jwk", k->kid);
		return encode_pem(k, out, len, err);
	case AG_KEY_JWK:
		return encode_jwk(k, out, len, err);
	}
	return ag_err_set(err, AG_ECONFIG, "unknown key format");
}
