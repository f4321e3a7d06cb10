/*
 * test_key_release.c - lib/format/key_release.c: the RFC 7638 thumbprint
 * (the RFC's own example key), the transfer key's public JWK and the release
 * request body; the key_hsm envelope opened with the published unwrap vector
 * of microsoft/confidential-sidecar-containers and with envelopes wrapped
 * here with OpenSSL (RSA-OAEP SHA-256/384 of an AES-256 key, then the RFC
 * 5649 key wrap) for oct, RSA and EC keys; the raw, pem and jwk encodings,
 * re-imported; and the signed release response: an RS256 JWS whose x5c
 * chain (a CA, an intermediate and an RSA-2048 leaf for
 * test.vault.azure.net, all made here) is checked against a store, a host
 * and a time.  No files, no network; every key is made in the test.
 */
#include "testutil.h"

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/base64.h"
#include "base/digest.h"
#include "base/fileio.h"
#include "format/key_release.h"
#include "release/transfer_key.h"

/*
 * The unwrap vector of microsoft/confidential-sidecar-containers
 * pkg/skr/skr_test.go, Test_AKV, case RSAKeyUnwrap_Success, as data in
 * test/data/skr/sidecar-unwrap-vector.json (the Key Vault stand-in is checked
 * against the same file): the transfer key (PKCS#1), the raw ciphertext
 * (RSA-OAEP SHA-1 of an AES-256 key, 256 bytes, then 40 bytes of RFC 5649
 * key wrap) for enc CKM_RSA_AES_KEY_WRAP, and the 32-byte key it opens to.
 */
#define VEC_FILE "test/data/skr/sidecar-unwrap-vector.json"
static char *vec_pem, *vec_ct_b64url, *vec_n, *vec_kid;
static uint8_t vec_plain[32];

/* Loads the vector's fields (the tests run from the repository's root). */
static void
load_vector(void)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct ag_err err;
	json_t *v;

	if (ag_file_read(VEC_FILE, 1 << 16, AG_ECONFIG, &buf, &len, &err) != AG_OK)
		fail_msg("%s", err.msg);
	v = json_loadb((const char *)buf, len, 0, NULL);
	free(buf);
	assert_non_null(v);
	vec_pem = strdup(json_string_value(json_object_get(v, "private_key_pem")));
	vec_ct_b64url = strdup(json_string_value(json_object_get(v, "ciphertext_b64url")));
	vec_n = strdup(json_string_value(json_object_get(v, "public_n")));
	vec_kid = strdup(json_string_value(json_object_get(v, "kid")));
	assert_string_equal(json_string_value(json_object_get(v, "enc")), "CKM_RSA_AES_KEY_WRAP");
	assert_int_equal(ag_hex_decode(json_string_value(json_object_get(v, "plaintext_hex")), vec_plain, sizeof(vec_plain)), 0);
	json_decref(v);
}

#define VAULT_KID "https://x.vault.azure.net/keys/k/1"
#define HOST "test.vault.azure.net"
#define T0 ((time_t)1735689600)       /* 2025-01-01T00:00:00Z: the test certificates start here */
#define DAY ((time_t)86400)

/* Made once: the vector's transfer key, a released RSA key, EC keys, the PKI of the release responses. */
static struct {
	EVP_PKEY *transfer, *rsa, *ec256, *ec384, *ec_short, *ca_key, *int_key, *leaf_key, *other_ca_key;
	X509 *ca, *intermediate, *leaf, *other_ca;
} g;

/* --- helpers -------------------------------------------------------------- */

static char *
b64u(const void *p, size_t n)
{
	char *s = ag_b64url_encode(p, n);

	assert_non_null(s);
	return s;
}

/* A BIGNUM parameter of key as unpadded big-endian bytes, base64url (pad: left-padded to that many bytes). */
static char *
bn_b64(const EVP_PKEY *k, const char *param, size_t pad)
{
	BIGNUM *bn = NULL;
	uint8_t buf[1024];
	size_t n;
	char *s;

	assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
	n = (size_t)BN_num_bytes(bn);
	n = n < pad ? pad : n;
	assert_true(n <= sizeof(buf));
	assert_int_equal(BN_bn2binpad(bn, buf, (int)n), (int)n);
	BN_free(bn);
	s = b64u(buf, n);
	return s;
}

static EVP_PKEY *
load_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);

	assert_non_null(k);
	BIO_free(b);
	return k;
}

/* PKCS#8 DER of a private key. */
static uint8_t *
pkcs8(EVP_PKEY *k, size_t *len)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k);
	uint8_t *der = NULL;
	int n;

	assert_non_null(p8);
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	assert_true(n > 0);
	PKCS8_PRIV_KEY_INFO_free(p8);
	*len = (size_t)n;
	return der;
}

/*
 * The key_hsm ciphertext as the vault writes it: RSA-OAEP (md, MGF1 md,
 * empty label) of kek to pub, then the RFC 5649 wrap of m under kek (AES-256
 * for 32 bytes, AES-128 for 16).
 */
static uint8_t *
wrap(EVP_PKEY *pub, const char *md, const uint8_t *kek, size_t kek_len, const uint8_t *m, size_t m_len, size_t *ct_len)
{
	size_t rsa_len = (size_t)EVP_PKEY_get_size(pub), n = rsa_len;
	uint8_t *ct = malloc(rsa_len + m_len + 16);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int w = 0, f = 0;

	assert_non_null(ct);
	assert_int_equal(EVP_PKEY_encrypt_init(pc), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md_name(pc, md, NULL), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, md, NULL), 1);
	assert_int_equal(EVP_PKEY_encrypt(pc, ct, &n, kek, kek_len), 1);
	assert_int_equal(n, rsa_len);
	EVP_PKEY_CTX_free(pc);
	EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	assert_int_equal(EVP_EncryptInit_ex(c, kek_len == 32 ? EVP_aes_256_wrap_pad() : EVP_aes_128_wrap_pad(), NULL, kek,
	    NULL), 1);
	assert_int_equal(EVP_EncryptUpdate(c, ct + rsa_len, &w, m, (int)m_len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, ct + rsa_len + w, &f), 1);
	EVP_CIPHER_CTX_free(c);
	*ct_len = rsa_len + (size_t)(w + f);
	assert_int_equal(*ct_len, rsa_len + (m_len + 7) / 8 * 8 + 8);
	return ct;
}

/* key_hsm: base64url of {"schema_version","header","ciphertext": base64url(ct)}. */
static char *
key_hsm(const char *enc, const uint8_t *ct, size_t ct_len)
{
	char *ctb = b64u(ct, ct_len), *text, *hsm;
	json_t *env = json_pack("{s:s,s:{s:s,s:s,s:s},s:s}", "schema_version", "1.0", "header", "kid", "k", "alg", "dir",
	    "enc", enc, "ciphertext", ctb);

	assert_non_null(env);
	text = json_dumps(env, JSON_COMPACT);
	assert_non_null(text);
	hsm = b64u(text, strlen(text));
	free(text);
	free(ctb);
	json_decref(env);
	return hsm;
}

/*
 * A release payload {"request":{"enc"},"response":{"key":{"key": key}}};
 * key (stolen) gets key_hsm for ct unless ct is NULL.
 */
static json_t *
payload_of(const char *enc, json_t *key, const uint8_t *ct, size_t ct_len)
{
	json_t *p;

	if (ct != NULL) {
		char *hsm = key_hsm(enc, ct, ct_len);

		assert_int_equal(json_object_set_new(key, "key_hsm", json_string(hsm)), 0);
		free(hsm);
	}
	p = json_pack("{s:{s:s},s:{s:{s:o}}}", "request", "enc", enc, "response", "key", "key", key);
	assert_non_null(p);
	return p;
}

/* Sets o.name to the string s and frees s. */
static void
set_free(json_t *o, const char *name, char *s)
{
	assert_int_equal(json_object_set_new(o, name, json_string(s)), 0);
	free(s);
}

/* The response.key.key object of a released key of type kty: the public members of pub (RSA n/e, EC crv/x/y). */
static json_t *
key_obj(const char *kty, EVP_PKEY *pub)
{
	json_t *k = json_pack("{s:s,s:s}", "kty", kty, "kid", VAULT_KID);

	if (pub != NULL && EVP_PKEY_is_a(pub, "RSA")) {
		set_free(k, "n", bn_b64(pub, OSSL_PKEY_PARAM_RSA_N, 0));
		set_free(k, "e", bn_b64(pub, OSSL_PKEY_PARAM_RSA_E, 0));
	} else if (pub != NULL) {
		size_t size = (size_t)(EVP_PKEY_get_bits(pub) + 7) / 8;

		json_object_set_new(k, "crv", json_string(size == 32 ? "P-256" : size == 48 ? "P-384" : "P-521"));
		set_free(k, "x", bn_b64(pub, OSSL_PKEY_PARAM_EC_PUB_X, size));
		set_free(k, "y", bn_b64(pub, OSSL_PKEY_PARAM_EC_PUB_Y, size));
	}
	return k;
}

/* What the decrypt callback saw: the digest and the block length, passed on to ag_transfer_key_decrypt. */
struct seen {
	struct ag_transfer_key *tk;
	char md[16];
	size_t in_len;
	int calls;
};

static enum ag_code
recording_decrypt(void *ctx, const char *md_name, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len,
    struct ag_err *err)
{
	struct seen *s = ctx;

	snprintf(s->md, sizeof(s->md), "%s", md_name);
	s->in_len = in_len;
	s->calls++;
	return ag_transfer_key_decrypt(s->tk, md_name, in, in_len, out, out_len, err);
}

/* ag_skr_unwrap with the vector's transfer key (software, 256-byte modulus). */
static enum ag_code
unwrap(const json_t *payload, struct ag_skr_key *out, struct seen *s, struct ag_err *err)
{
	static struct ag_transfer_key tk;

	memset(&tk, 0, sizeof(tk));
	tk.rsa = g.transfer;
	tk.modulus_len = 256;
	memset(s, 0, sizeof(*s));
	s->tk = &tk;
	ag_err_clear(err);
	return ag_skr_unwrap(payload, 256, recording_decrypt, s, out, err);
}

/* The unwrap fails (AG_EINVALID, nothing left in out) and says why. */
static void
unwrap_fails(const json_t *payload, const char *why)
{
	struct ag_skr_key out;
	struct seen s;
	struct ag_err err;

	assert_int_equal(unwrap(payload, &out, &s, &err), AG_EINVALID);
	assert_null(out.material);
	assert_int_equal(out.len, 0);
	if (why != NULL && strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
}

/* The vector's ciphertext. */
static uint8_t *
vec_ct(size_t *len)
{
	uint8_t *ct = NULL;

	assert_int_equal(ag_b64url_decode(vec_ct_b64url, strlen(vec_ct_b64url), &ct, len), 0);
	assert_int_equal(*len, 296);
	return ct;
}

/* --- the PKI of the release responses -------------------------------------- */

static EVP_PKEY *
keygen_rsa(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	assert_non_null(k);
	return k;
}

static EVP_PKEY *
keygen_ec(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	assert_non_null(k);
	return k;
}

/* A P-256 key whose x, y or d has a leading zero byte: the JWK must still write 32 bytes for each. */
static EVP_PKEY *
keygen_ec_short(void)
{
	static const char *const params[] = { OSSL_PKEY_PARAM_EC_PUB_X, OSSL_PKEY_PARAM_EC_PUB_Y, OSSL_PKEY_PARAM_PRIV_KEY };

	for (int tries = 0; tries < 20000; tries++) {
		EVP_PKEY *k = keygen_ec("P-256");

		for (size_t i = 0; i < 3; i++) {
			BIGNUM *bn = NULL;
			int n;

			assert_int_equal(EVP_PKEY_get_bn_param(k, params[i], &bn), 1);
			n = BN_num_bytes(bn);
			BN_clear_free(bn);
			if (n < 32)
				return k;
		}
		EVP_PKEY_free(k);
	}
	fail_msg("no P-256 key with a short coordinate in 20000 tries");
	return NULL;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for key named cn, valid [T0, T0 + 730 days], by issuer (NULL: self-signed); a CA, or a leaf for dns. */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, const char *dns)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, name), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name), 1);
	X509_NAME_free(name);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), T0));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), T0 + 730 * DAY));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	add_ext(x, issuer != NULL ? issuer : x, NID_subject_key_identifier, "hash");
	if (dns == NULL) {
		add_ext(x, issuer != NULL ? issuer : x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer != NULL ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		char san[256];

		snprintf(san, sizeof(san), "DNS:%s", dns);
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
		add_ext(x, issuer, NID_subject_alt_name, san);
	}
	if (issuer != NULL)
		add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	assert_true(X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

/* Standard base64 DER of a certificate, as in x5c. */
static char *
cert_b64(X509 *x)
{
	uint8_t *der = NULL;
	int n = i2d_X509(x, &der);
	char *s;

	assert_true(n > 0);
	s = ag_b64_encode(der, (size_t)n);
	assert_non_null(s);
	OPENSSL_free(der);
	return s;
}

static X509_STORE *
store_of(X509 *root)
{
	X509_STORE *s = X509_STORE_new();

	assert_non_null(s);
	if (root != NULL)
		assert_int_equal(X509_STORE_add_cert(s, root), 1);
	return s;
}

/* Compact JWS of header and payload (JSON text) signed by key with md (RSA PKCS#1 v1.5); flip alters the signature. */
static char *
jws(const char *header, const char *payload, EVP_PKEY *key, const EVP_MD *md, int flip)
{
	char *h = b64u(header, strlen(header)), *p = b64u(payload, strlen(payload)), *input, *s, *out;
	uint8_t sig[512];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	input = malloc(strlen(h) + strlen(p) + 2);
	assert_non_null(input);
	sprintf(input, "%s.%s", h, p);
	assert_int_equal(EVP_DigestSignInit(c, NULL, md, NULL, key), 1);
	assert_int_equal(EVP_DigestSign(c, sig, &sig_len, (const uint8_t *)input, strlen(input)), 1);
	EVP_MD_CTX_free(c);
	if (flip)
		sig[sig_len / 2] ^= 0x01;
	s = b64u(sig, sig_len);
	out = malloc(strlen(input) + strlen(s) + 2);
	assert_non_null(out);
	sprintf(out, "%s.%s", input, s);
	free(h);
	free(p);
	free(input);
	free(s);
	return out;
}

/* {"value": token} */
static char *
body_of(const char *token)
{
	json_t *b = json_pack("{s:s}", "value", token);
	char *text = json_dumps(b, JSON_COMPACT);

	assert_non_null(text);
	json_decref(b);
	return text;
}

/* The JOSE header {"alg": alg, "kid": "k", "x5c": [certs...]} plus extra members (a JSON object text, or NULL). */
static char *
header_of(const char *alg, X509 *const *certs, size_t n, const char *extra)
{
	json_t *h = json_pack("{s:s,s:s,s:[]}", "alg", alg, "kid", "k", "x5c"), *x5c = json_object_get(h, "x5c");
	char *text;

	for (size_t i = 0; i < n; i++) {
		char *c = cert_b64(certs[i]);

		json_array_append_new(x5c, json_string(c));
		free(c);
	}
	if (extra != NULL) {
		json_t *e = json_loads(extra, 0, NULL);

		assert_non_null(e);
		assert_int_equal(json_object_update(h, e), 0);
		json_decref(e);
	}
	text = json_dumps(h, JSON_COMPACT);
	assert_non_null(text);
	json_decref(h);
	return text;
}

/* A release payload for an oct key wrapped to the vector's transfer key (the one the PKI tests sign). */
static char *
signed_payload_text(void)
{
	uint8_t kek[32], m[32], *ct;
	size_t ct_len;
	json_t *p;
	char *text;

	memset(kek, 0x5a, sizeof(kek));
	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(0xa0 + i);
	ct = wrap(g.transfer, "SHA256", kek, sizeof(kek), m, sizeof(m), &ct_len);
	p = payload_of("RSA_AES_KEY_WRAP_256", key_obj("oct-HSM", NULL), ct, ct_len);
	text = json_dumps(p, JSON_COMPACT);
	assert_non_null(text);
	json_decref(p);
	free(ct);
	return text;
}

static enum ag_code
verify(const char *body, size_t len, X509_STORE *store, const char *host, time_t at, json_t **payload,
    struct ag_err *err)
{
	ag_err_clear(err);
	return ag_skr_response_verify((const uint8_t *)body, len, store, host, at, payload, err);
}

/* The response is refused (AG_EINVALID, no payload) and the message has why. */
static void
verify_fails(const char *body, X509_STORE *store, const char *host, time_t at, const char *why)
{
	json_t *payload = (json_t *)1;
	struct ag_err err;

	assert_int_equal(verify(body, strlen(body), store, host, at, &payload, &err), AG_EINVALID);
	assert_null(payload);
	if (why != NULL && strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
}

/* A body: header (alg, x5c, extra) over payload, signed by key with md, wrapped in {"value": ...}. */
static char *
response(const char *alg, X509 *const *certs, size_t n, const char *extra, const char *payload, EVP_PKEY *key,
    const EVP_MD *md, int flip)
{
	char *h = header_of(alg, certs, n, extra), *t = jws(h, payload, key, md, flip), *b = body_of(t);

	free(h);
	free(t);
	return b;
}

static int
group_setup(void **state)
{
	(void)state;
	load_vector();
	g.transfer = load_pem(vec_pem);
	g.rsa = keygen_rsa();
	g.ec256 = keygen_ec("P-256");
	g.ec384 = keygen_ec("P-384");
	g.ec_short = keygen_ec_short();
	g.ca_key = keygen_ec("P-256");
	g.int_key = keygen_ec("P-256");
	g.other_ca_key = keygen_ec("P-256");
	g.leaf_key = keygen_rsa();
	g.ca = make_cert(g.ca_key, "Test Root CA", NULL, NULL, NULL);
	g.intermediate = make_cert(g.int_key, "Test Issuing CA", g.ca, g.ca_key, NULL);
	g.leaf = make_cert(g.leaf_key, "*." HOST, g.intermediate, g.int_key, HOST);
	g.other_ca = make_cert(g.other_ca_key, "Test Root CA", NULL, NULL, NULL);   /* same name, another key */
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(vec_pem);
	free(vec_ct_b64url);
	free(vec_n);
	free(vec_kid);
	EVP_PKEY_free(g.transfer);
	EVP_PKEY_free(g.rsa);
	EVP_PKEY_free(g.ec256);
	EVP_PKEY_free(g.ec384);
	EVP_PKEY_free(g.ec_short);
	EVP_PKEY_free(g.ca_key);
	EVP_PKEY_free(g.int_key);
	EVP_PKEY_free(g.other_ca_key);
	EVP_PKEY_free(g.leaf_key);
	X509_free(g.ca);
	X509_free(g.intermediate);
	X509_free(g.leaf);
	X509_free(g.other_ca);
	return 0;
}

/* --- thumbprint, transfer JWK, request body -------------------------------- */

static void
test_thumbprint_rfc7638(void **state)
{
	/* RFC 7638 §3.1: the example RSA key and its thumbprint. */
	json_t *jwk = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "RSA", "n",
	    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknj"
	    "hMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQ"
	    "vRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKn"
	    "qDKgw", "e", "AQAB", "alg", "RS256", "kid", "2011-04-29");
	char kid[AG_SKR_KID_MAX];
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_jwk_rsa_thumbprint(jwk, kid, &err), AG_OK);
	assert_string_equal(kid, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	/* Only e, kty and n count: other members change nothing. */
	json_object_set_new(jwk, "use", json_string("enc"));
	json_object_del(jwk, "alg");
	assert_int_equal(ag_jwk_rsa_thumbprint(jwk, kid, &err), AG_OK);
	assert_string_equal(kid, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	/* Another e is another key. */
	json_object_set_new(jwk, "e", json_string("AQAC"));
	assert_int_equal(ag_jwk_rsa_thumbprint(jwk, kid, &err), AG_OK);
	assert_string_not_equal(kid, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	/* n or e missing, or not a string. */
	json_object_del(jwk, "n");
	ag_err_clear(&err);
	assert_int_equal(ag_jwk_rsa_thumbprint(jwk, kid, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "n and e"));
	json_object_set_new(jwk, "n", json_integer(5));
	assert_int_equal(ag_jwk_rsa_thumbprint(jwk, kid, &err), AG_EINVALID);
	json_decref(jwk);
}

static void
test_transfer_jwk(void **state)
{
	json_t *jwk = ag_skr_transfer_jwk(g.transfer, NULL), *ops;
	char kid[AG_SKR_KID_MAX];
	struct ag_err err;

	(void)state;
	assert_non_null(jwk);
	assert_int_equal(json_object_size(jwk), 5);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "RSA");
	assert_string_equal(json_string_value(json_object_get(jwk, "n")), vec_n);
	assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
	ops = json_object_get(jwk, "key_ops");
	assert_true(json_is_array(ops));
	assert_int_equal(json_array_size(ops), 1);
	assert_string_equal(json_string_value(json_array_get(ops, 0)), "encrypt");
	/* kid: the RFC 7638 thumbprint, as in the sidecar's runtime-data JWKS vector for this key. */
	assert_string_equal(json_string_value(json_object_get(jwk, "kid")), vec_kid);
	assert_int_equal(ag_jwk_rsa_thumbprint(jwk, kid, &err), AG_OK);
	assert_string_equal(kid, vec_kid);
	json_decref(jwk);
	/* A kid given is written as is. */
	jwk = ag_skr_transfer_jwk(g.transfer, "TpmEphemeralEncryptionKey");
	assert_non_null(jwk);
	assert_string_equal(json_string_value(json_object_get(jwk, "kid")), "TpmEphemeralEncryptionKey");
	assert_string_equal(json_string_value(json_object_get(jwk, "n")), vec_n);
	json_decref(jwk);
	/* Not an RSA key: no JWK. */
	assert_null(ag_skr_transfer_jwk(g.ec256, NULL));
}

static void
test_request_body_and_enc_names(void **state)
{
	static const char *const names[] = { "CKM_RSA_AES_KEY_WRAP", "RSA_AES_KEY_WRAP_256", "RSA_AES_KEY_WRAP_384" };
	static const char *const digests[] = { "SHA1", "SHA256", "SHA384" };
	const char *tok = "eyJhbGciOiJSUzI1NiJ9.eyJ4IjoiXCJxIn0.c2ln";

	(void)state;
	for (int e = AG_SKR_RSA_AES_KEY_WRAP_SHA1; e <= AG_SKR_RSA_AES_KEY_WRAP_384; e++) {
		char *text = ag_skr_request_body(tok, (enum ag_skr_enc)e);
		json_t *b;

		assert_non_null(text);
		assert_string_equal(ag_skr_enc_name((enum ag_skr_enc)e), names[e]);
		assert_string_equal(ag_skr_enc_digest((enum ag_skr_enc)e), digests[e]);
		b = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
		assert_non_null(b);
		assert_int_equal(json_object_size(b), 2);
		assert_string_equal(json_string_value(json_object_get(b, "target")), tok);
		assert_string_equal(json_string_value(json_object_get(b, "enc")), names[e]);
		assert_null(strchr(text, '\n'));
		json_decref(b);
		free(text);
	}
	/* What needs escaping is escaped: the body stays one JSON object with the same target. */
	{
		char *text = ag_skr_request_body("a\"b\\c", AG_SKR_RSA_AES_KEY_WRAP_256);
		json_t *b = json_loads(text, 0, NULL);

		assert_non_null(b);
		assert_string_equal(json_string_value(json_object_get(b, "target")), "a\"b\\c");
		json_decref(b);
		free(text);
	}
}

/* --- unwrap: the published vector ------------------------------------------ */

static void
test_unwrap_sidecar_vector(void **state)
{
	size_t ct_len;
	uint8_t *ct = vec_ct(&ct_len);
	json_t *p = payload_of("CKM_RSA_AES_KEY_WRAP", key_obj("oct-HSM", NULL), ct, ct_len);
	struct ag_skr_key out;
	struct seen s;
	struct ag_err err;

	(void)state;
	if (unwrap(p, &out, &s, &err) != AG_OK)
		fail_msg("the sidecar's vector does not unwrap: %s", err.msg);
	assert_int_equal(out.len, sizeof(vec_plain));
	assert_memory_equal(out.material, vec_plain, sizeof(vec_plain));
	assert_string_equal(out.kty, "oct");
	assert_string_equal(out.kid, VAULT_KID);
	assert_int_equal(out.enc, AG_SKR_RSA_AES_KEY_WRAP_SHA1);
	/* The decryption was asked for once, of the first 256 bytes, with OAEP SHA-1. */
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.in_len, 256);
	assert_string_equal(s.md, "SHA1");
	ag_skr_key_clear(&out);
	assert_null(out.material);
	assert_int_equal(out.len, 0);
	json_decref(p);

	/* The same bytes under RSA_AES_KEY_WRAP_256 (OAEP SHA-256): they do not decrypt. */
	p = payload_of("RSA_AES_KEY_WRAP_256", key_obj("oct-HSM", NULL), ct, ct_len);
	unwrap_fails(p, "RSA-OAEP SHA256");
	json_decref(p);
	p = payload_of("RSA_AES_KEY_WRAP_384", key_obj("oct-HSM", NULL), ct, ct_len);
	unwrap_fails(p, NULL);
	json_decref(p);
	/* An enc nobody defined. */
	p = payload_of("MY_OWN_WRAP", key_obj("oct-HSM", NULL), ct, ct_len);
	unwrap_fails(p, "request.enc is MY_OWN_WRAP");
	json_decref(p);

	/* A flipped byte in the RSA block, then in the key wrap. */
	ct[17] ^= 0x01;
	p = payload_of("CKM_RSA_AES_KEY_WRAP", key_obj("oct-HSM", NULL), ct, ct_len);
	unwrap_fails(p, "cannot decrypt");
	json_decref(p);
	ct[17] ^= 0x01;
	ct[256 + 20] ^= 0x80;
	p = payload_of("CKM_RSA_AES_KEY_WRAP", key_obj("oct-HSM", NULL), ct, ct_len);
	unwrap_fails(p, "RFC 5649");
	json_decref(p);
	ct[256 + 20] ^= 0x80;

	/* Lengths that cannot be a 256-byte block and a key wrap: no decryption is tried. */
	{
		static const size_t bad[] = { 1, 255, 256, 256 + 8, 256 + 20 };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct ag_skr_key o;
			struct seen s2;

			p = payload_of("CKM_RSA_AES_KEY_WRAP", key_obj("oct-HSM", NULL), ct, bad[i]);
			assert_int_equal(unwrap(p, &o, &s2, &err), AG_EINVALID);
			assert_int_equal(s2.calls, 0);
			assert_null(o.material);
			assert_non_null(strstr(err.msg, "bytes"));
			json_decref(p);
		}
	}
	/* The ciphertext made for another modulus length. */
	p = payload_of("CKM_RSA_AES_KEY_WRAP", key_obj("oct-HSM", NULL), ct, ct_len);
	{
		struct ag_skr_key o;
		struct ag_transfer_key tk = { .rsa = g.transfer, .modulus_len = 384 };

		ag_err_clear(&err);
		assert_int_equal(ag_skr_unwrap(p, 384, ag_transfer_key_decrypt, &tk, &o, &err), AG_EINVALID);
		assert_null(o.material);
	}
	json_decref(p);
	free(ct);
}

/* The envelope around the ciphertext: key_hsm, its JSON, the kty. */
static void
test_unwrap_envelope_errors(void **state)
{
	size_t ct_len;
	uint8_t *ct = vec_ct(&ct_len);
	char *ctb = b64u(ct, ct_len), *hsm;
	json_t *p, *k;

	(void)state;
	/* No key_hsm: the key was not wrapped for export. */
	p = payload_of("CKM_RSA_AES_KEY_WRAP", key_obj("oct-HSM", NULL), NULL, 0);
	unwrap_fails(p, "no key_hsm");
	json_decref(p);
	/* key_hsm not base64url, or not the JSON envelope, or a ciphertext that is not base64url. */
	k = key_obj("oct-HSM", NULL);
	json_object_set_new(k, "key_hsm", json_string("not base64url!"));
	p = payload_of("CKM_RSA_AES_KEY_WRAP", k, NULL, 0);
	unwrap_fails(p, "no key_hsm");
	json_decref(p);
	hsm = b64u("{\"schema_version\":\"1.0\",\"header\":{}}", strlen("{\"schema_version\":\"1.0\",\"header\":{}}"));
	k = key_obj("oct-HSM", NULL);
	json_object_set_new(k, "key_hsm", json_string(hsm));
	p = payload_of("CKM_RSA_AES_KEY_WRAP", k, NULL, 0);
	unwrap_fails(p, "key_hsm is not");
	json_decref(p);
	free(hsm);
	hsm = b64u("{\"ciphertext\":\"a+b/\"}", strlen("{\"ciphertext\":\"a+b/\"}"));
	k = key_obj("oct-HSM", NULL);
	json_object_set_new(k, "key_hsm", json_string(hsm));
	p = payload_of("CKM_RSA_AES_KEY_WRAP", k, NULL, 0);
	unwrap_fails(p, "ciphertext is not base64url");
	json_decref(p);
	free(hsm);
	/* A padded key_hsm (Go's URLEncoding) is still read: the vector opens. */
	{
		char text[1024];
		char *padded;
		struct ag_skr_key out;
		struct seen s;
		struct ag_err err;

		snprintf(text, sizeof(text), "{\"schema_version\":\"1.0\",\"header\":{},\"ciphertext\":\"%s\"}", ctb);
		padded = ag_b64url_encode_padded((const uint8_t *)text, strlen(text));
		assert_non_null(padded);
		k = key_obj("oct-HSM", NULL);
		json_object_set_new(k, "key_hsm", json_string(padded));
		p = payload_of("CKM_RSA_AES_KEY_WRAP", k, NULL, 0);
		assert_int_equal(unwrap(p, &out, &s, &err), AG_OK);
		assert_memory_equal(out.material, vec_plain, sizeof(vec_plain));
		ag_skr_key_clear(&out);
		json_decref(p);
		free(padded);
	}
	/* kty: oct, RSA, EC or their -HSM forms only. */
	{
		static const char *const bad[] = { "oct-HSMX", "RSA-HSM2", "ECX", "okp", "OKP", "" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			p = payload_of("CKM_RSA_AES_KEY_WRAP", key_obj(bad[i], NULL), ct, ct_len);
			unwrap_fails(p, "kty");
			json_decref(p);
		}
		k = key_obj("oct", NULL);
		json_object_del(k, "kty");
		p = payload_of("CKM_RSA_AES_KEY_WRAP", k, ct, ct_len);
		unwrap_fails(p, "kty is missing");
		json_decref(p);
	}
	/* Nothing at response.key.key, no request.enc. */
	p = json_pack("{s:{s:s},s:{}}", "request", "enc", "CKM_RSA_AES_KEY_WRAP", "response");
	unwrap_fails(p, "kty");
	json_decref(p);
	p = payload_of("CKM_RSA_AES_KEY_WRAP", key_obj("oct-HSM", NULL), ct, ct_len);
	json_object_del(p, "request");
	unwrap_fails(p, "request.enc is missing");
	json_decref(p);
	free(ctb);
	free(ct);
}

/* --- unwrap: envelopes made here ------------------------------------------- */

static void
test_unwrap_oct_round_trip(void **state)
{
	static const char *const encs[][2] = { { "RSA_AES_KEY_WRAP_256", "SHA256" }, { "RSA_AES_KEY_WRAP_384", "SHA384" },
		{ "CKM_RSA_AES_KEY_WRAP", "SHA1" } };
	static const size_t lens[] = { 32, 20, 1, 64 };

	(void)state;
	for (size_t e = 0; e < sizeof(encs) / sizeof(encs[0]); e++)
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			uint8_t kek[32], m[64], *ct;
			size_t ct_len;
			json_t *p;
			struct ag_skr_key out;
			struct seen s;
			struct ag_err err;

			assert_int_equal(RAND_bytes(kek, sizeof(kek)), 1);
			assert_int_equal(RAND_bytes(m, sizeof(m)), 1);
			ct = wrap(g.transfer, encs[e][1], kek, sizeof(kek), m, lens[l], &ct_len);
			p = payload_of(encs[e][0], key_obj(l % 2 == 0 ? "oct-HSM" : "oct", NULL), ct, ct_len);
			if (unwrap(p, &out, &s, &err) != AG_OK)
				fail_msg("%s, %zu bytes: %s", encs[e][0], lens[l], err.msg);
			assert_string_equal(s.md, encs[e][1]);
			assert_int_equal(out.enc, (enum ag_skr_enc)(e == 2 ? AG_SKR_RSA_AES_KEY_WRAP_SHA1 : e == 0 ?
			    AG_SKR_RSA_AES_KEY_WRAP_256 : AG_SKR_RSA_AES_KEY_WRAP_384));
			assert_string_equal(out.kty, "oct");
			assert_int_equal(out.len, lens[l]);
			assert_memory_equal(out.material, m, lens[l]);
			ag_skr_key_clear(&out);
			json_decref(p);
			/* Wrapped with one hash, announced with another: refused. */
			p = payload_of(e == 0 ? "RSA_AES_KEY_WRAP_384" : "RSA_AES_KEY_WRAP_256", key_obj("oct", NULL), ct, ct_len);
			unwrap_fails(p, "cannot decrypt");
			json_decref(p);
			free(ct);
		}
	/* The RSA block holds an AES-128 key: not what the envelope is. */
	{
		uint8_t kek[16], m[32], *ct;
		size_t ct_len;
		json_t *p;

		memset(kek, 7, sizeof(kek));
		memset(m, 9, sizeof(m));
		ct = wrap(g.transfer, "SHA256", kek, sizeof(kek), m, sizeof(m), &ct_len);
		p = payload_of("RSA_AES_KEY_WRAP_256", key_obj("oct", NULL), ct, ct_len);
		unwrap_fails(p, "16-byte key, not an AES-256 key");
		json_decref(p);
		free(ct);
	}
	/* Wrapped to another RSA key: the transfer key cannot open it. */
	{
		uint8_t kek[32], m[32], *ct;
		size_t ct_len;
		json_t *p;

		memset(kek, 7, sizeof(kek));
		memset(m, 9, sizeof(m));
		ct = wrap(g.rsa, "SHA256", kek, sizeof(kek), m, sizeof(m), &ct_len);
		p = payload_of("RSA_AES_KEY_WRAP_256", key_obj("oct", NULL), ct, ct_len);
		unwrap_fails(p, "cannot decrypt");
		json_decref(p);
		free(ct);
	}
}

/* Unwraps material wrapped here for a key object; the released key (caller clears it). */
static void
unwrap_ok(const char *enc, const char *md, json_t *key, const uint8_t *m, size_t m_len, struct ag_skr_key *out)
{
	uint8_t kek[32], *ct;
	size_t ct_len;
	json_t *p;
	struct seen s;
	struct ag_err err;

	assert_int_equal(RAND_bytes(kek, sizeof(kek)), 1);
	ct = wrap(g.transfer, md, kek, sizeof(kek), m, m_len, &ct_len);
	p = payload_of(enc, key, ct, ct_len);
	if (unwrap(p, out, &s, &err) != AG_OK)
		fail_msg("%s: %s", enc, err.msg);
	assert_int_equal(out->len, m_len);
	assert_memory_equal(out->material, m, m_len);
	json_decref(p);
	free(ct);
}

/* Wraps m for the key object and expects the unwrap to refuse it with why. */
static void
unwrap_refused(json_t *key, const uint8_t *m, size_t m_len, const char *why)
{
	uint8_t kek[32], *ct;
	size_t ct_len;
	json_t *p;

	memset(kek, 3, sizeof(kek));
	ct = wrap(g.transfer, "SHA256", kek, sizeof(kek), m, m_len, &ct_len);
	p = payload_of("RSA_AES_KEY_WRAP_256", key, ct, ct_len);
	unwrap_fails(p, why);
	json_decref(p);
	free(ct);
}

static void
test_unwrap_rsa_ec_round_trip(void **state)
{
	EVP_PKEY *const keys[] = { g.rsa, g.ec256, g.ec384 };
	const char *const ktys[] = { "RSA-HSM", "EC-HSM", "EC" };
	const char *const want[] = { "RSA", "EC", "EC" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		size_t len;
		uint8_t *der = pkcs8(keys[i], &len);
		struct ag_skr_key out;

		unwrap_ok("RSA_AES_KEY_WRAP_256", "SHA256", key_obj(ktys[i], keys[i]), der, len, &out);
		assert_string_equal(out.kty, want[i]);
		assert_string_equal(out.kid, VAULT_KID);
		ag_skr_key_clear(&out);
		unwrap_ok("RSA_AES_KEY_WRAP_384", "SHA384", key_obj(ktys[i], keys[i]), der, len, &out);
		assert_string_equal(out.kty, want[i]);
		assert_int_equal(out.enc, AG_SKR_RSA_AES_KEY_WRAP_384);
		ag_skr_key_clear(&out);
		OPENSSL_free(der);
	}
}

/* P-521 (Key Vault's third NIST curve) opens and writes as a JWK with crv P-521; secp256k1 (P-256K) is refused by name. */
static void
test_unwrap_p521_and_unsupported_curves(void **state)
{
	EVP_PKEY *p521 = EVP_EC_gen("P-521"), *k1 = EVP_EC_gen("secp256k1");
	size_t len, klen, jlen;
	uint8_t *der = pkcs8(p521, &len), *kder = pkcs8(k1, &klen), *jwk = NULL;
	struct ag_skr_key out;
	struct ag_err err;
	json_t *o, *k;

	(void)state;
	unwrap_ok("RSA_AES_KEY_WRAP_256", "SHA256", key_obj("EC-HSM", p521), der, len, &out);
	assert_int_equal(ag_skr_encode(&out, AG_KEY_JWK, &jwk, &jlen, &err), AG_OK);
	o = json_loadb((const char *)jwk, jlen, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "crv")), "P-521");
	json_decref(o);
	ag_skr_free_secret(jwk, jlen);
	/* A kid with characters a JSON string would have to escape is never written into a JWK. */
	snprintf(out.kid, sizeof(out.kid), "https://x.vault.azure.net/keys/k/1\",\"k\":\"AAAA");
	assert_int_equal(ag_skr_encode(&out, AG_KEY_JWK, &jwk, &jlen, &err), AG_EINVALID);
	ag_skr_key_clear(&out);
	k = key_obj("EC-HSM", k1);
	json_object_set_new(k, "crv", json_string("P-256K"));
	unwrap_refused(k, kder, klen, "only P-256, P-384 and P-521");
	OPENSSL_free(der);
	OPENSSL_free(kder);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(k1);
}

static void
test_unwrap_private_key_checks(void **state)
{
	size_t rl, el;
	uint8_t *rsa = pkcs8(g.rsa, &rl), *ec = pkcs8(g.ec256, &el), *longer;
	json_t *k;

	(void)state;
	/* The PKCS#8 of one key under the public part of another. */
	unwrap_refused(key_obj("RSA-HSM", g.leaf_key), rsa, rl, "does not belong");
	unwrap_refused(key_obj("EC-HSM", g.other_ca_key), ec, el, "does not belong");
	/* Another curve. */
	unwrap_refused(key_obj("EC", g.ec384), ec, el, "does not belong");
	/* The wrong kind of key, or no key at all. */
	unwrap_refused(key_obj("RSA", g.ec256), ec, el, "not a PKCS#8 RSA private key");
	unwrap_refused(key_obj("EC", g.rsa), rsa, rl, "not a PKCS#8 EC private key");
	unwrap_refused(key_obj("RSA-HSM", g.rsa), (const uint8_t *)"0123456789abcdef0123456789abcdef", 32,
	    "not a PKCS#8 RSA private key");
	/* The public part missing from the payload. */
	unwrap_refused(key_obj("RSA-HSM", NULL), rsa, rl, "does not belong");
	k = key_obj("EC-HSM", g.ec256);
	json_object_del(k, "y");
	unwrap_refused(k, ec, el, "does not belong");
	/* Bytes after the PKCS#8. */
	longer = malloc(rl + 1);
	assert_non_null(longer);
	memcpy(longer, rsa, rl);
	longer[rl] = 0;
	unwrap_refused(key_obj("RSA-HSM", g.rsa), longer, rl + 1, "not a PKCS#8 RSA private key");
	free(longer);
	OPENSSL_free(rsa);
	OPENSSL_free(ec);
}

/* --- encodings ------------------------------------------------------------- */

/* Encodes k in format; the bytes (NUL-terminated copy the caller frees). */
static char *
encode(const struct ag_skr_key *k, enum ag_key_format f, size_t *len)
{
	uint8_t *out = NULL;
	char *text;
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_skr_encode(k, f, &out, len, &err) != AG_OK)
		fail_msg("encode %d: %s", (int)f, err.msg);
	text = malloc(*len + 1);
	assert_non_null(text);
	memcpy(text, out, *len);
	text[*len] = '\0';
	ag_skr_free_secret(out, *len);
	return text;
}

static void
test_encode_oct(void **state)
{
	uint8_t m[32];
	struct ag_skr_key k;
	char *text, *kb;
	size_t len;
	json_t *jwk;
	uint8_t *out = (uint8_t *)1;
	struct ag_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 37 + 1);
	unwrap_ok("RSA_AES_KEY_WRAP_256", "SHA256", key_obj("oct-HSM", NULL), m, sizeof(m), &k);
	/* raw: the bytes. */
	text = encode(&k, AG_KEY_RAW, &len);
	assert_int_equal(len, sizeof(m));
	assert_memory_equal(text, m, sizeof(m));
	free(text);
	/* pem: not for a symmetric key. */
	ag_err_clear(&err);
	assert_int_equal(ag_skr_encode(&k, AG_KEY_PEM, &out, &len, &err), AG_ECONFIG);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err.msg, "oct"));
	/* jwk: {"kty":"oct","k":..., "kid"}. */
	text = encode(&k, AG_KEY_JWK, &len);
	jwk = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(jwk);
	assert_int_equal(json_object_size(jwk), 3);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "oct");
	kb = b64u(m, sizeof(m));
	assert_string_equal(json_string_value(json_object_get(jwk, "k")), kb);
	assert_string_equal(json_string_value(json_object_get(jwk, "kid")), VAULT_KID);
	free(kb);
	json_decref(jwk);
	free(text);
	ag_skr_key_clear(&k);
	ag_skr_key_clear(&k);   /* twice is harmless */
}

/* An RSA key from the private JWK members (n, e, d, p, q, dp, dq, qi); each must be present and base64url. */
static EVP_PKEY *
rsa_from_private_jwk(const json_t *jwk)
{
	static const char *const m[][2] = { { "n", OSSL_PKEY_PARAM_RSA_N }, { "e", OSSL_PKEY_PARAM_RSA_E },
		{ "d", OSSL_PKEY_PARAM_RSA_D }, { "p", OSSL_PKEY_PARAM_RSA_FACTOR1 }, { "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
		{ "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 }, { "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
		{ "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 } };
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn[8] = { 0 };
	OSSL_PARAM *params;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;

	for (size_t i = 0; i < 8; i++) {
		const char *s = json_string_value(json_object_get(jwk, m[i][0]));
		uint8_t *raw = NULL;
		size_t len = 0;

		if (s == NULL)
			fail_msg("the RSA JWK has no %s", m[i][0]);
		assert_int_equal(ag_b64url_decode(s, strlen(s), &raw, &len), 0);
		assert_true(len > 0 && raw[0] != 0);   /* minimal big-endian */
		bn[i] = BN_bin2bn(raw, (int)len, NULL);
		assert_non_null(bn[i]);
		assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, m[i][1], bn[i]), 1);
		free(raw);
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
	assert_int_equal(EVP_PKEY_fromdata(c, &key, EVP_PKEY_KEYPAIR, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(c);
	for (size_t i = 0; i < 8; i++)
		BN_clear_free(bn[i]);
	return key;
}

/* The key passes OpenSSL's full check (for RSA: p*q = n, d, the CRT members). */
static void
assert_key_consistent(EVP_PKEY *key)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);

	assert_int_equal(EVP_PKEY_check(c), 1);
	EVP_PKEY_CTX_free(c);
}

static void
assert_pem_is(const char *pem, EVP_PKEY *want)
{
	EVP_PKEY *k;

	assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	k = load_pem(pem);
	assert_int_equal(EVP_PKEY_eq(k, want), 1);
	EVP_PKEY_free(k);
}

static void
test_encode_rsa(void **state)
{
	size_t dl, len;
	uint8_t *der = pkcs8(g.rsa, &dl);
	struct ag_skr_key k;
	char *text, *n;
	json_t *jwk;
	EVP_PKEY *back;

	(void)state;
	unwrap_ok("RSA_AES_KEY_WRAP_256", "SHA256", key_obj("RSA-HSM", g.rsa), der, dl, &k);
	/* raw: the PKCS#8 DER. */
	text = encode(&k, AG_KEY_RAW, &len);
	assert_int_equal(len, dl);
	assert_memory_equal(text, der, dl);
	free(text);
	/* pem: a PRIVATE KEY block of the same key. */
	text = encode(&k, AG_KEY_PEM, &len);
	assert_int_equal(strlen(text), len);
	assert_pem_is(text, g.rsa);
	free(text);
	/* jwk: every private member, and they make the same, consistent key. */
	text = encode(&k, AG_KEY_JWK, &len);
	jwk = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(jwk);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "RSA");
	assert_string_equal(json_string_value(json_object_get(jwk, "kid")), VAULT_KID);
	assert_int_equal(json_object_size(jwk), 10);
	n = bn_b64(g.rsa, OSSL_PKEY_PARAM_RSA_N, 0);
	assert_string_equal(json_string_value(json_object_get(jwk, "n")), n);
	assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
	free(n);
	back = rsa_from_private_jwk(jwk);
	assert_int_equal(EVP_PKEY_eq(back, g.rsa), 1);
	assert_key_consistent(back);
	EVP_PKEY_free(back);
	json_decref(jwk);
	free(text);
	ag_skr_key_clear(&k);
	OPENSSL_free(der);
}

/* An EC key from a private JWK's crv, x, y, d (each coordinate exactly the curve's size). */
static EVP_PKEY *
ec_from_private_jwk(const json_t *jwk)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	size_t size = crv != NULL && strcmp(crv, "P-384") == 0 ? 48 : 32, len[3];
	uint8_t *raw[3] = { NULL }, point[1 + 2 * 48];
	static const char *const names[] = { "x", "y", "d" };
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;
	BIGNUM *d;

	assert_non_null(crv);
	for (size_t i = 0; i < 3; i++) {
		const char *s = json_string_value(json_object_get(jwk, names[i]));

		if (s == NULL)
			fail_msg("the EC JWK has no %s", names[i]);
		assert_int_equal(ag_b64url_decode(s, strlen(s), &raw[i], &len[i]), 0);
		assert_int_equal(len[i], size);   /* RFC 7518 §6.2: the full field size */
	}
	point[0] = 0x04;
	memcpy(point + 1, raw[0], size);
	memcpy(point + 1 + size, raw[1], size);
	d = BN_bin2bn(raw[2], (int)size, NULL);
	assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, size == 48 ? "secp384r1" :
	    "prime256v1", 0), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * size), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d), 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
	assert_int_equal(EVP_PKEY_fromdata(c, &key, EVP_PKEY_KEYPAIR, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(c);
	BN_clear_free(d);
	for (size_t i = 0; i < 3; i++)
		free(raw[i]);
	return key;
}

static void
test_encode_ec(void **state)
{
	EVP_PKEY *const keys[] = { g.ec256, g.ec384, g.ec_short };
	const char *const crvs[] = { "P-256", "P-384", "P-256" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		size_t dl, len;
		uint8_t *der = pkcs8(keys[i], &dl);
		struct ag_skr_key k;
		char *text;
		json_t *jwk;
		EVP_PKEY *back;
		BIGNUM *d1 = NULL, *d2 = NULL;

		unwrap_ok("RSA_AES_KEY_WRAP_256", "SHA256", key_obj("EC-HSM", keys[i]), der, dl, &k);
		text = encode(&k, AG_KEY_RAW, &len);
		assert_int_equal(len, dl);
		assert_memory_equal(text, der, dl);
		free(text);
		text = encode(&k, AG_KEY_PEM, &len);
		assert_pem_is(text, keys[i]);
		free(text);
		text = encode(&k, AG_KEY_JWK, &len);
		jwk = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
		assert_non_null(jwk);
		assert_int_equal(json_object_size(jwk), 6);
		assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
		assert_string_equal(json_string_value(json_object_get(jwk, "crv")), crvs[i]);
		assert_string_equal(json_string_value(json_object_get(jwk, "kid")), VAULT_KID);
		/* Re-imported: the same public key and the same private scalar. */
		back = ec_from_private_jwk(jwk);
		assert_int_equal(EVP_PKEY_eq(back, keys[i]), 1);
		assert_key_consistent(back);
		assert_int_equal(EVP_PKEY_get_bn_param(back, OSSL_PKEY_PARAM_PRIV_KEY, &d1), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(keys[i], OSSL_PKEY_PARAM_PRIV_KEY, &d2), 1);
		assert_int_equal(BN_cmp(d1, d2), 0);
		BN_clear_free(d1);
		BN_clear_free(d2);
		EVP_PKEY_free(back);
		json_decref(jwk);
		free(text);
		ag_skr_key_clear(&k);
		OPENSSL_free(der);
	}
}

/* --- the signed release response ------------------------------------------- */

static void
test_response_verify_ok(void **state)
{
	X509 *chain[] = { g.leaf, g.intermediate };
	X509_STORE *store = store_of(g.ca);
	char *pl = signed_payload_text(), *body = response("RS256", chain, 2, NULL, pl, g.leaf_key, EVP_sha256(), 0);
	json_t *payload = NULL, *want = json_loads(pl, 0, NULL);
	struct ag_skr_key out;
	struct seen s;
	struct ag_err err;

	(void)state;
	if (verify(body, strlen(body), store, HOST, T0 + 180 * DAY, &payload, &err) != AG_OK)
		fail_msg("the response does not verify: %s", err.msg);
	assert_non_null(payload);
	assert_true(json_equal(payload, want));
	/* What it returns is what ag_skr_unwrap opens. */
	assert_int_equal(unwrap(payload, &out, &s, &err), AG_OK);
	assert_int_equal(out.len, 32);
	assert_int_equal(out.material[0], 0xa0);
	assert_int_equal(out.material[31], 0xa0 + 31);
	ag_skr_key_clear(&out);
	json_decref(payload);
	/* At both ends of the validity. */
	assert_int_equal(verify(body, strlen(body), store, HOST, T0 + 60, &payload, &err), AG_OK);
	json_decref(payload);
	assert_int_equal(verify(body, strlen(body), store, HOST, T0 + 729 * DAY, &payload, &err), AG_OK);
	json_decref(payload);
	json_decref(want);
	free(body);
	free(pl);
	X509_STORE_free(store);
}

static void
test_response_verify_chain(void **state)
{
	X509 *chain[] = { g.leaf, g.intermediate }, *leaf_only[] = { g.leaf }, *reversed[] = { g.intermediate, g.leaf };
	X509_STORE *store = store_of(g.ca), *empty = store_of(NULL), *other = store_of(g.other_ca),
		   *int_only = store_of(g.intermediate);
	char *pl = signed_payload_text(), *body = response("RS256", chain, 2, NULL, pl, g.leaf_key, EVP_sha256(), 0), *b;
	time_t at = T0 + 180 * DAY;

	(void)state;
	/* Another host, a name under it, its parent (the leaf names test.vault.azure.net only). */
	verify_fails(body, store, "other.vault.azure.net", at, "does not verify for other.vault.azure.net");
	verify_fails(body, store, "a.test.vault.azure.net", at, "does not verify");
	verify_fails(body, store, "vault.azure.net", at, "does not verify");
	/* A store without the CA: empty, another CA of the same name, only the intermediate. */
	verify_fails(body, empty, HOST, at, "does not verify");
	verify_fails(body, other, HOST, at, "does not verify");
	verify_fails(body, int_only, HOST, at, "does not verify");
	/* Expired, not yet valid. */
	verify_fails(body, store, HOST, T0 + 731 * DAY, "expired");
	verify_fails(body, store, HOST, T0 - DAY, "not yet valid");
	free(body);
	/* The intermediate missing from x5c; x5c leaf last; x5c empty or missing. */
	b = response("RS256", leaf_only, 1, NULL, pl, g.leaf_key, EVP_sha256(), 0);
	verify_fails(b, store, HOST, at, "does not verify");
	free(b);
	b = response("RS256", reversed, 2, NULL, pl, g.leaf_key, EVP_sha256(), 0);
	verify_fails(b, store, HOST, at, NULL);
	free(b);
	b = response("RS256", chain, 0, NULL, pl, g.leaf_key, EVP_sha256(), 0);
	verify_fails(b, store, HOST, at, "no x5c chain");
	free(b);
	b = response("RS256", chain, 0, "{\"x5c\":null}", pl, g.leaf_key, EVP_sha256(), 0);
	verify_fails(b, store, HOST, at, "no x5c chain");
	free(b);
	/* x5c that is not base64 DER (base64url is not what x5c holds). */
	b = response("RS256", chain, 0, "{\"x5c\":[\"MIIB-_\"]}", pl, g.leaf_key, EVP_sha256(), 0);
	verify_fails(b, store, HOST, at, "x5c[0]");
	free(b);
	/* Signed by another RSA key than the leaf's: the chain holds, the signature does not. */
	b = response("RS256", chain, 2, NULL, pl, g.rsa, EVP_sha256(), 0);
	verify_fails(b, store, HOST, at, "signature");
	free(b);
	free(pl);
	X509_STORE_free(store);
	X509_STORE_free(empty);
	X509_STORE_free(other);
	X509_STORE_free(int_only);
}

static void
test_response_verify_header(void **state)
{
	X509 *chain[] = { g.leaf, g.intermediate };
	X509_STORE *store = store_of(g.ca);
	char *pl = signed_payload_text(), *b, *h, *t, *hb, *pb, *mac_b64;
	time_t at = T0 + 180 * DAY;

	(void)state;
	/* RS384, properly signed by the leaf: still not RS256. */
	b = response("RS384", chain, 2, NULL, pl, g.leaf_key, EVP_sha384(), 0);
	verify_fails(b, store, HOST, at, "not RS256");
	free(b);
	b = response("PS256", chain, 2, NULL, pl, g.leaf_key, EVP_sha256(), 0);
	verify_fails(b, store, HOST, at, "not RS256");
	free(b);
	/* HS256 keyed with the leaf's public key (the algorithm-confusion attack). */
	{
		uint8_t *spki = NULL, mac[32];
		unsigned mac_len = 0;
		int spki_len = i2d_PUBKEY(g.leaf_key, &spki);
		char *input;

		h = header_of("HS256", chain, 2, NULL);
		hb = b64u(h, strlen(h));
		pb = b64u(pl, strlen(pl));
		input = malloc(strlen(hb) + strlen(pb) + 2);
		assert_non_null(input);
		sprintf(input, "%s.%s", hb, pb);
		assert_non_null(HMAC(EVP_sha256(), spki, spki_len, (const uint8_t *)input, strlen(input), mac, &mac_len));
		mac_b64 = b64u(mac, mac_len);
		t = malloc(strlen(input) + strlen(mac_b64) + 2);
		assert_non_null(t);
		sprintf(t, "%s.%s", input, mac_b64);
		b = body_of(t);
		verify_fails(b, store, HOST, at, "not RS256");
		free(b);
		free(t);
		free(mac_b64);
		free(input);
		free(hb);
		free(pb);
		free(h);
		OPENSSL_free(spki);
	}
	/* alg none. */
	h = header_of("none", chain, 2, NULL);
	hb = b64u(h, strlen(h));
	pb = b64u(pl, strlen(pl));
	t = malloc(strlen(hb) + strlen(pb) + 8);
	assert_non_null(t);
	sprintf(t, "%s.%s.AQID", hb, pb);
	b = body_of(t);
	verify_fails(b, store, HOST, at, "none");
	free(b);
	sprintf(t, "%s.%s.", hb, pb);
	b = body_of(t);
	verify_fails(b, store, HOST, at, NULL);
	free(b);
	free(t);
	free(hb);
	free(pb);
	free(h);
	/* Keys named elsewhere, next to a good x5c and a good signature. */
	{
		static const char *const extra[] = { "{\"jku\":\"https://evil.example/keys\"}",
			"{\"jwk\":{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}}", "{\"x5u\":\"https://evil.example/c.pem\"}",
			"{\"crit\":[\"exp\"]}" };

		for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
			b = response("RS256", chain, 2, extra[i], pl, g.leaf_key, EVP_sha256(), 0);
			verify_fails(b, store, HOST, at, "only x5c is accepted");
			free(b);
		}
	}
	free(pl);
	X509_STORE_free(store);
}

#define OTHER_PAYLOAD "{\"response\":{\"key\":{\"key\":{\"kty\":\"oct\"}}}}"

static void
test_response_verify_body(void **state)
{
	X509 *chain[] = { g.leaf, g.intermediate };
	X509_STORE *store = store_of(g.ca);
	char *pl = signed_payload_text(), *h = header_of("RS256", chain, 2, NULL), *t, *b, *other, *hb, *pb, *sig;
	time_t at = T0 + 180 * DAY;

	(void)state;
	/* A flipped signature byte. */
	b = response("RS256", chain, 2, NULL, pl, g.leaf_key, EVP_sha256(), 1);
	verify_fails(b, store, HOST, at, "signature");
	free(b);
	/* Another payload under the signature of the first. */
	t = jws(h, pl, g.leaf_key, EVP_sha256(), 0);
	sig = strrchr(t, '.') + 1;
	hb = b64u(h, strlen(h));
	pb = b64u(OTHER_PAYLOAD, strlen(OTHER_PAYLOAD));
	other = malloc(strlen(hb) + strlen(pb) + strlen(sig) + 3);
	assert_non_null(other);
	sprintf(other, "%s.%s.%s", hb, pb, sig);
	b = body_of(other);
	verify_fails(b, store, HOST, at, "signature");
	free(b);
	free(other);
	free(hb);
	free(pb);
	/* Not {"value": JWS}: the bare JWS, another member, a number, an array, cut short, empty. */
	verify_fails(t, store, HOST, at, "not {\"value\": JWS}");
	{
		char buf[16384];
		static const char *const fmt[] = { "{\"Value\":\"%s\"}", "{\"value\":[\"%s\"]}", "[\"%s\"]",
			"{\"value\":\"%s\"", "{\"value\":\"%s\",\"value\":\"x\"}" };

		for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
			snprintf(buf, sizeof(buf), fmt[i], t);
			verify_fails(buf, store, HOST, at, "not {\"value\": JWS}");
		}
		verify_fails("{\"value\":5}", store, HOST, at, "not {\"value\": JWS}");
		verify_fails("", store, HOST, at, "not {\"value\": JWS}");
		verify_fails("{\"value\":\"a.b\"}", store, HOST, at, "the release response");
	}
	free(t);
	/* Too large. */
	{
		size_t n = AG_SKR_MAX_RESPONSE + 1;
		char *big = malloc(n);
		json_t *payload = (json_t *)1;
		struct ag_err err;

		assert_non_null(big);
		memset(big, ' ', n);
		assert_int_equal(verify(big, n, store, HOST, at, &payload, &err), AG_EINVALID);
		assert_null(payload);
		assert_non_null(strstr(err.msg, "larger than"));
		free(big);
	}
	/* A good signature over a payload without response.key.key. */
	{
		static const char *const bad[] = { "{\"response\":{\"key\":{}}}", "{\"response\":{\"key\":{\"key\":\"x\"}}}",
			"{\"request\":{\"enc\":\"RSA_AES_KEY_WRAP_256\"}}" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			b = response("RS256", chain, 2, NULL, bad[i], g.leaf_key, EVP_sha256(), 0);
			verify_fails(b, store, HOST, at, "no response.key.key");
			free(b);
		}
	}
	free(h);
	free(pl);
	X509_STORE_free(store);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thumbprint_rfc7638),
		cmocka_unit_test(test_transfer_jwk),
		cmocka_unit_test(test_request_body_and_enc_names),
		cmocka_unit_test(test_unwrap_sidecar_vector),
		cmocka_unit_test(test_unwrap_envelope_errors),
		cmocka_unit_test(test_unwrap_oct_round_trip),
		cmocka_unit_test(test_unwrap_rsa_ec_round_trip),
		cmocka_unit_test(test_unwrap_p521_and_unsupported_curves),
		cmocka_unit_test(test_unwrap_private_key_checks),
		cmocka_unit_test(test_encode_oct),
		cmocka_unit_test(test_encode_rsa),
		cmocka_unit_test(test_encode_ec),
		cmocka_unit_test(test_response_verify_ok),
		cmocka_unit_test(test_response_verify_chain),
		cmocka_unit_test(test_response_verify_header),
		cmocka_unit_test(test_response_verify_body),
	};

	return cmocka_run_group_tests_name("key_release", tests, group_setup, group_teardown);
}
