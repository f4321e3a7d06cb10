/*
 * test_jwks.c - lib/format/jwks.c: JSON Web Key Sets.  RSA n/e, EC crv/x/y and
 * x5c keys made here with OpenSSL (with a self-signed certificate for x5c),
 * each member rule (kid, use, key_ops, alg, sizes, curves, canonical
 * encodings, duplicates, bounds), and the real MAA key set of
 * ../shared/vectors/maa (skipped visibly when absent).
 */
#include "testutil.h"

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/base64.h"
#include "base/digest.h"
#include "base/fileio.h"
#include "format/jwks.h"

static char *
b64url_bn(const EVP_PKEY *k, const char *param)
{
	BIGNUM *bn = NULL;
	uint8_t b[1024];
	int n;
	char *s;

	assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
	n = BN_bn2bin(bn, b);
	s = ag_b64url_encode(b, (size_t)n);
	BN_free(bn);
	return s;
}

/* "\"n\":\"..\",\"e\":\"..\"" of an RSA key. */
static char *
rsa_members(const EVP_PKEY *k)
{
	char *n = b64url_bn(k, OSSL_PKEY_PARAM_RSA_N), *e = b64url_bn(k, OSSL_PKEY_PARAM_RSA_E), *out;

	out = malloc(strlen(n) + strlen(e) + 32);
	assert_non_null(out);
	sprintf(out, "\"n\":\"%s\",\"e\":\"%s\"", n, e);
	free(n);
	free(e);
	return out;
}

/* "\"crv\":..,\"x\":..,\"y\":.." of an EC key of size-byte coordinates. */
static char *
ec_members(const EVP_PKEY *k, const char *crv, size_t size)
{
	uint8_t pt[1 + 2 * 66];
	size_t pl = 0;
	char *x, *y, *out;

	assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &pl), 1);
	assert_int_equal(pl, 1 + 2 * size);
	x = ag_b64url_encode(pt + 1, size);
	y = ag_b64url_encode(pt + 1 + size, size);
	out = malloc(strlen(x) + strlen(y) + 64);
	assert_non_null(out);
	sprintf(out, "\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"", crv, x, y);
	free(x);
	free(y);
	return out;
}

/* A self-signed certificate of key, as standard base64 of its DER, and that DER's SHA-256 hex. */
static char *
x5c_of(EVP_PKEY *key, char sha[AG_SHA256_HEX_LEN + 1])
{
	X509 *c = X509_new();
	unsigned char *der = NULL;
	int n;
	char *b64;

	assert_non_null(c);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC, (const unsigned char *)"jwks test", -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(c));
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 3600);
	X509_set_pubkey(c, key);
	assert_true(X509_sign(c, key, EVP_sha256()) > 0);
	n = i2d_X509(c, &der);
	assert_true(n > 0);
	b64 = ag_b64_encode(der, (size_t)n);
	if (sha != NULL)
		assert_int_equal(ag_sha256_hex(der, (size_t)n, sha), 0);
	OPENSSL_free(der);
	X509_free(c);
	return b64;
}

static enum ag_code
parse_jwks(const char *s, struct ag_jwks **set, struct ag_err *err)
{
	ag_err_clear(err);
	return ag_jwks_parse((const uint8_t *)s, strlen(s), set, err);
}

static void
jwks_rejects(const char *s, const char *why)
{
	struct ag_jwks *set = (struct ag_jwks *)1;
	struct ag_err err;

	assert_int_equal(parse_jwks(s, &set, &err), AG_EINVALID);
	assert_null(set);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
}

/* {"keys":[{"kty":kty,"kid":kid,<body>}]} */
static char *
one_key(const char *kty, const char *kid, const char *body)
{
	char *s = malloc(strlen(body) + 128);

	assert_non_null(s);
	sprintf(s, "{\"keys\":[{\"kty\":\"%s\",\"kid\":\"%s\"%s%s}]}", kty, kid, body[0] != '\0' ? "," : "", body);
	return s;
}

static EVP_PKEY *rsa_a, *rsa_b, *rsa1024, *p256, *p384, *p521;

static int
setup_keys(void **state)
{
	(void)state;
	rsa_a = EVP_RSA_gen(2048);
	rsa_b = EVP_RSA_gen(2048);
	rsa1024 = EVP_RSA_gen(1024);
	p256 = EVP_EC_gen("P-256");
	p384 = EVP_EC_gen("P-384");
	p521 = EVP_EC_gen("P-521");
	return rsa_a && rsa_b && rsa1024 && p256 && p384 && p521 ? 0 : -1;
}

static int
teardown_keys(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa_a);
	EVP_PKEY_free(rsa_b);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p521);
	return 0;
}

static void
test_rsa_keys(void **state)
{
	char *m = rsa_members(rsa_a), *s, *body = malloc(strlen(m) + 64);
	struct ag_jwks *set = NULL;
	struct ag_err err;

	(void)state;
	assert_non_null(body);
	sprintf(body, "%s,\"use\":\"sig\",\"alg\":\"RS256\",\"key_ops\":[\"sign\",\"verify\"]", m);
	s = one_key("RSA", "k1", body);
	assert_int_equal(parse_jwks(s, &set, &err), AG_OK);
	assert_int_equal(set->n, 1);
	assert_non_null(ag_jwks_find(set, "k1"));
	assert_null(ag_jwks_find(set, "k2"));
	assert_null(ag_jwks_find(set, "K1"));
	assert_null(ag_jwks_find(set, NULL));
	assert_string_equal(ag_jwks_find(set, "k1")->alg, "RS256");
	assert_string_equal(ag_jwks_find(set, "k1")->cert_sha256, "");
	assert_int_equal(EVP_PKEY_eq(ag_jwks_find(set, "k1")->key, rsa_a), 1);
	{
		/* jwks.json carries the set as published, for applications to re-verify. */
		char *dump = ag_jwks_dump(set);
		json_t *back = json_loads(dump, 0, NULL), *orig = json_loads(s, 0, NULL);

		assert_true(json_equal(back, orig));
		json_decref(back);
		json_decref(orig);
		free(dump);
	}
	ag_jwks_free(set);
	free(s);
	/* Without use, alg, key_ops: the key has no alg. */
	s = one_key("RSA", "k1", m);
	assert_int_equal(parse_jwks(s, &set, &err), AG_OK);
	assert_null(set->keys[0].alg);
	ag_jwks_free(set);
	free(s);
	free(body);
	free(m);
	m = rsa_members(rsa1024);
	s = one_key("RSA", "small", m);
	jwks_rejects(s, "RSA key of 1024 bits is too small (at least 2048)");
	free(s);
	free(m);
	ag_jwks_free(NULL);
}

/* use, key_ops, alg and kid as the key's own rules. */
static void
test_member_rules(void **state)
{
	char *m = rsa_members(rsa_a), body[1024], *s;
	static const struct {
		const char *extra, *why;
	} bad[] = {
		{ ",\"use\":\"enc\"", "use is not \"sig\"" },
		{ ",\"use\":1", "use is not \"sig\"" },
		{ ",\"use\":\"SIG\"", "use is not \"sig\"" },
		{ ",\"key_ops\":[\"encrypt\"]", "key_ops does not allow verify" },
		{ ",\"key_ops\":[]", "key_ops does not allow verify" },
		{ ",\"key_ops\":[1,\"Verify\"]", "key_ops does not allow verify" },
		{ ",\"key_ops\":\"verify\"", "key_ops is not a list" },
		{ ",\"alg\":256", "alg is not a string" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "%s%s", m, bad[i].extra);
		s = one_key("RSA", "k", body);
		jwks_rejects(s, bad[i].why);
		free(s);
	}
	/* kid: present, a non-empty string without NUL. */
	snprintf(body, sizeof(body), "{\"keys\":[{\"kty\":\"RSA\",%s}]}", m);
	jwks_rejects(body, "key 0 has no kid");
	s = one_key("RSA", "", m);
	jwks_rejects(s, "has no kid");
	free(s);
	s = one_key("RSA", "a\\u0000b", m);
	jwks_rejects(s, "not valid JSON");   /* jansson refuses NUL: no kid hides behind one */
	free(s);
	snprintf(body, sizeof(body), "{\"keys\":[{\"kty\":\"RSA\",\"kid\":7,%s}]}", m);
	jwks_rejects(body, "has no kid");
	free(m);
}

static void
test_ec_keys(void **state)
{
	char *m256 = ec_members(p256, "P-256", 32), *m384 = ec_members(p384, "P-384", 48), *s, body[1024];
	struct ag_jwks *set = NULL;
	struct ag_err err;

	(void)state;
	snprintf(body, sizeof(body), "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"a\",%s,\"alg\":\"ES256\"},"
				     "{\"kty\":\"EC\",\"kid\":\"b\",%s}]}", m256, m384);
	assert_int_equal(parse_jwks(body, &set, &err), AG_OK);
	assert_int_equal(set->n, 2);
	assert_int_equal(EVP_PKEY_eq(ag_jwks_find(set, "a")->key, p256), 1);
	assert_int_equal(EVP_PKEY_eq(ag_jwks_find(set, "b")->key, p384), 1);
	ag_jwks_free(set);
	/* The curve named must be the coordinates' curve. */
	snprintf(body, sizeof(body), "%s", m384);
	memcpy(strstr(body, "P-384"), "P-256", 5);
	s = one_key("EC", "e", body);
	jwks_rejects(s, "malformed EC");
	free(s);
	/* An EC point that is not on the curve: x = y = 1. */
	jwks_rejects("{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\","
		     "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\",\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}]}",
	    "malformed EC");
	jwks_rejects("{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-521\",\"x\":\"AQ\",\"y\":\"AQ\"}]}", "malformed EC");
	/* Coordinates of the wrong length, a missing one. */
	jwks_rejects("{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\",\"x\":\"AQ\",\"y\":\"AQ\"}]}", "malformed EC");
	snprintf(body, sizeof(body), "%s", m256);
	*strstr(body, ",\"y\"") = '\0';
	s = one_key("EC", "e", body);
	jwks_rejects(s, "malformed EC");
	free(s);
	/* No crv at all. */
	snprintf(body, sizeof(body), "%s", strchr(m256, ',') + 1);
	s = one_key("EC", "e", body);
	jwks_rejects(s, "malformed EC");
	free(s);
	free(m256);
	free(m384);
}

/* x5c: the certificate's key, its SHA-256, agreement with n/e, the list's bounds, canonical base64 DER. */
static void
test_x5c(void **state)
{
	char sha[AG_SHA256_HEX_LEN + 1], *x = x5c_of(rsa_a, sha), *m = rsa_members(rsa_a), *mb = rsa_members(rsa_b);
	char *body = malloc(strlen(x) * 12 + 4096), *s;
	struct ag_jwks *set = NULL;
	struct ag_err err;

	(void)state;
	assert_non_null(body);
	sprintf(body, "\"x5c\":[\"%s\"]", x);
	s = one_key("RSA", "c", body);
	assert_int_equal(parse_jwks(s, &set, &err), AG_OK);
	assert_string_equal(set->keys[0].cert_sha256, sha);
	assert_int_equal(EVP_PKEY_eq(set->keys[0].key, rsa_a), 1);
	ag_jwks_free(set);
	free(s);
	/* With n/e: they must be the certificate's. */
	sprintf(body, "\"x5c\":[\"%s\"],%s", x, m);
	s = one_key("RSA", "c", body);
	assert_int_equal(parse_jwks(s, &set, &err), AG_OK);
	ag_jwks_free(set);
	free(s);
	sprintf(body, "\"x5c\":[\"%s\"],%s", x, mb);
	s = one_key("RSA", "c", body);
	jwks_rejects(s, "x5c and the key parameters disagree");
	free(s);
	/* A chain of ten is fine, eleven is not; every entry is a string. */
	strcpy(body, "\"x5c\":[");
	for (int i = 0; i < AG_JWKS_MAX_X5C; i++)
		sprintf(body + strlen(body), "%s\"%s\"", i > 0 ? "," : "", x);
	strcat(body, "]");
	s = one_key("RSA", "c", body);
	assert_int_equal(parse_jwks(s, &set, &err), AG_OK);
	ag_jwks_free(set);
	free(s);
	sprintf(body + strlen(body) - 1, ",\"%s\"]", x);
	s = one_key("RSA", "c", body);
	jwks_rejects(s, "x5c must be a list of 1 to 10 certificates");
	free(s);
	sprintf(body, "\"x5c\":[\"%s\",7]", x);
	s = one_key("RSA", "c", body);
	jwks_rejects(s, "x5c[1] is not a string");
	free(s);
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"x5c\":[]}]}", "x5c must be a list");
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"x5c\":\"MIIB\"}]}", "x5c must be a list");
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"x5c\":[\"MIIB\"]}]}", "not one DER certificate");
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"x5c\":[\"not base64!\"]}]}", "not canonical base64");
	free(body);
	free(x);
	free(m);
	free(mb);
}

/* x5c[0] is canonical padded standard base64 (RFC 4648 section 4) of exactly one certificate. */
static void
test_x5c_encoding(void **state)
{
	static const char *const not_b64[] = { "QR==", "QQ=", "Q===", "QQ=A", "-_8=", "QUJD\\nREVG", "QUJD\\u000aREVG", "QUJD REVG", "QQ" };
	static const char *const not_der[] = { "QQ==", "QUI=", "QUJD" };
	char *x = x5c_of(p256, NULL), *body = malloc(strlen(x) + 256), *s;
	size_t xl = strlen(x);

	(void)state;
	assert_non_null(body);
	for (size_t i = 0; i < sizeof(not_b64) / sizeof(not_b64[0]); i++) {
		char k[64];

		snprintf(k, sizeof(k), "\"x5c\":[\"%s\"]", not_b64[i]);
		s = one_key("EC", "c", k);
		jwks_rejects(s, "x5c[0] is not canonical base64");
		free(s);
	}
	for (size_t i = 0; i < sizeof(not_der) / sizeof(not_der[0]); i++) {
		char k[64];

		snprintf(k, sizeof(k), "\"x5c\":[\"%s\"]", not_der[i]);
		s = one_key("EC", "c", k);
		jwks_rejects(s, "x5c[0] is not one DER certificate");
		free(s);
	}
	/* The real certificate with a line break in it (PEM style), and with its padding stripped. */
	sprintf(body, "\"x5c\":[\"%.64s\\n%s\"]", x, x + 64);
	s = one_key("EC", "c", body);
	jwks_rejects(s, "not canonical base64");
	free(s);
	if (x[xl - 1] == '=') {
		sprintf(body, "\"x5c\":[\"%.*s\"]", (int)(xl - (x[xl - 2] == '=' ? 2 : 1)), x);
		s = one_key("EC", "c", body);
		jwks_rejects(s, "not canonical base64");
		free(s);
	}
	/* The certificate followed by more DER: "AAAA" adds three zero bytes. */
	sprintf(body, "\"x5c\":[\"%s\"]", x);
	if (x[xl - 1] != '=') {
		sprintf(body + strlen(body) - 2, "AAAA\"]");
		s = one_key("EC", "c", body);
		jwks_rejects(s, "not one DER certificate");
		free(s);
	}
	free(body);
	free(x);
}

/* kty against the key's real type and curve, with x5c or parameters. */
static void
test_kty_mismatch(void **state)
{
	char *xec = x5c_of(p256, NULL), *xrsa = x5c_of(rsa_a, NULL), *x521 = x5c_of(p521, NULL), *x1024 = x5c_of(rsa1024, NULL);
	char *m384 = ec_members(p384, "P-384", 48), *body = malloc(strlen(xrsa) + 1024), *s;

	(void)state;
	assert_non_null(body);
	sprintf(body, "\"x5c\":[\"%s\"]", xec);
	s = one_key("RSA", "c", body);
	jwks_rejects(s, "kty RSA but the key is not RSA");
	free(s);
	sprintf(body, "\"x5c\":[\"%s\"]", xrsa);
	s = one_key("EC", "c", body);
	jwks_rejects(s, "kty EC but not a P-256 or P-384 key");
	free(s);
	sprintf(body, "\"x5c\":[\"%s\"]", x521);
	s = one_key("EC", "c", body);
	jwks_rejects(s, "kty EC but not a P-256 or P-384 key");
	free(s);
	sprintf(body, "\"x5c\":[\"%s\"]", x1024);
	s = one_key("RSA", "c", body);
	jwks_rejects(s, "too small");
	free(s);
	/* A crv that is not the certificate key's curve. */
	sprintf(body, "\"x5c\":[\"%s\"],\"crv\":\"P-384\"", xec);
	s = one_key("EC", "c", body);
	jwks_rejects(s, "crv P-384 does not match the key");
	free(s);
	/* EC parameters that are not the certificate's key. */
	sprintf(body, "\"x5c\":[\"%s\"],%s", xec, m384);
	s = one_key("EC", "c", body);
	jwks_rejects(s, "x5c and the key parameters disagree");
	free(s);
	free(body);
	free(xec);
	free(xrsa);
	free(x521);
	free(x1024);
	free(m384);
}

static void
test_set_rules(void **state)
{
	struct ag_jwks *set = NULL;
	struct ag_err err;
	char *m = rsa_members(rsa_a), *two, *big;
	size_t off;

	(void)state;
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\"}]}", "neither x5c nor key parameters");
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", "too small");
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"n\":\"AQAB=\",\"e\":\"AQAB\"}]}", "malformed RSA");
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"e\":\"AQAB\"}]}", "malformed RSA");
	jwks_rejects("{\"keys\":[{\"kid\":\"e\"}]}", "JWKS key 0 has no kty");
	jwks_rejects("{\"keys\":[{\"kty\":1,\"kid\":\"e\"}]}", "has no kty");
	jwks_rejects("{\"keys\":[\"RSA\"]}", "has no kty");
	jwks_rejects("{\"keys\":{}}", "no \"keys\" list");
	jwks_rejects("{}", "no \"keys\" list");
	jwks_rejects("[]", "no \"keys\" list");
	jwks_rejects("{\"keys\":[], \"keys\":[]}", "not valid JSON");
	jwks_rejects("{\"keys\":[", "not valid JSON");
	jwks_rejects("", "not valid JSON");
	/* Symmetric and unknown key types are never loaded; an empty set is a set. */
	assert_int_equal(parse_jwks("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"},{\"kty\":\"OKP\"}]}", &set, &err),
	    AG_OK);
	assert_int_equal(set->n, 0);
	assert_null(ag_jwks_find(set, "h"));
	ag_jwks_free(set);
	assert_int_equal(parse_jwks("{\"keys\":[]}", &set, &err), AG_OK);
	assert_int_equal(set->n, 0);
	ag_jwks_free(set);
	/* Duplicate kids are ambiguous. */
	two = malloc(2 * strlen(m) + 128);
	assert_non_null(two);
	sprintf(two, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"d\",%s},{\"kty\":\"RSA\",\"kid\":\"d\",%s}]}", m, m);
	jwks_rejects(two, "two keys with kid d");
	free(two);
	/* Sixty-four keys, not sixty-five. */
	big = malloc(8192);
	assert_non_null(big);
	off = (size_t)sprintf(big, "{\"keys\":[");
	for (int i = 0; i < AG_JWKS_MAX_KEYS; i++)
		off += (size_t)sprintf(big + off, "%s{\"kty\":\"oct\"}", i > 0 ? "," : "");
	sprintf(big + off, "]}");
	assert_int_equal(parse_jwks(big, &set, &err), AG_OK);
	ag_jwks_free(set);
	sprintf(big + off, ",{\"kty\":\"oct\"}]}");
	jwks_rejects(big, "more than 64 keys");
	free(big);
	free(m);
}

static void
test_size_bound(void **state)
{
	size_t n = AG_JWKS_MAX_BYTES + 1;
	char *big = malloc(n + 1);
	struct ag_jwks *set = NULL;
	struct ag_err err;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "{\"keys\":[]}", 11);
	big[n] = '\0';
	jwks_rejects(big, "JWKS larger than 1048576 bytes");
	assert_int_equal(ag_jwks_parse((const uint8_t *)big, n - 1, &set, &err), AG_OK);
	ag_jwks_free(set);
	free(big);
}

/* ag_jwk_public_key on its own: the parameters only, minimal encodings. */
static void
test_jwk_public_key(void **state)
{
	char *m = rsa_members(rsa_a), buf[2048];
	json_t *j;
	EVP_PKEY *k;
	static const char *const bad[] = {
		"{\"kty\":\"RSA\",\"n\":\"AAAB\",\"e\":\"AQAB\"}",          /* leading zero in n */
		"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AAEAAQ\"}",        /* leading zero in e */
		"{\"kty\":\"RSA\",\"n\":\"\",\"e\":\"AQAB\"}",
		"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQIDBAUGBwgJ\"}",  /* e of 9 bytes */
		"{\"kty\":\"RSA\",\"n\":1,\"e\":\"AQAB\"}",
		"{\"kty\":\"oct\",\"k\":\"AQAB\"}",
		"{\"n\":\"AQAB\",\"e\":\"AQAB\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AQ\",\"y\":\"AQ\"}",
		"{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AQ\",\"y\":\"AQ\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_loads(bad[i], 0, NULL);
		assert_non_null(j);
		k = ag_jwk_public_key(j);
		if (k != NULL)
			fail_msg("%s gave a key", bad[i]);
		json_decref(j);
	}
	/* use and key_ops are the set's business, not the key's. */
	snprintf(buf, sizeof(buf), "{\"kty\":\"RSA\",%s,\"use\":\"enc\",\"key_ops\":[\"encrypt\"]}", m);
	j = json_loads(buf, 0, NULL);
	k = ag_jwk_public_key(j);
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_eq(k, rsa_a), 1);
	EVP_PKEY_free(k);
	json_decref(j);
	free(m);
	/* A modulus of more than 1024 bytes. */
	{
		uint8_t n[1025];
		char *n64, *s;

		memset(n, 0xab, sizeof(n));
		n64 = ag_b64url_encode(n, sizeof(n));
		s = malloc(strlen(n64) + 64);
		sprintf(s, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}", n64);
		j = json_loads(s, 0, NULL);
		assert_null(ag_jwk_public_key(j));
		json_decref(j);
		free(s);
		free(n64);
	}
}

/* Reads ../shared/vectors/maa/NAME, or NULL. */
static uint8_t *
maa_vec(const char *name, size_t *len)
{
	return tu_vec_in("maa", name, len);
}

static void
test_real_maa_jwks(void **state)
{
	size_t len;
	uint8_t *keys = maa_vec("sharedwus-certs-jwks-2022-05-31.json", &len);
	struct ag_jwks *set = NULL;
	struct ag_err err;
	json_t *j;
	size_t i;
	json_t *k;

	(void)state;
	if (keys == NULL) {
		print_message("# skipped: ../shared/vectors/maa is not present\n");
		skip();
	}
	assert_int_equal(ag_jwks_parse(keys, len, &set, &err), AG_OK);
	assert_int_equal(set->n, 3);
	/* Each key's fingerprint is the SHA-256 of its x5c[0]'s DER, computed here. */
	j = json_loadb((const char *)keys, len, 0, NULL);
	json_array_foreach(json_object_get(j, "keys"), i, k) {
		const char *kid = json_string_value(json_object_get(k, "kid"));
		const char *b64 = json_string_value(json_array_get(json_object_get(k, "x5c"), 0));
		unsigned char *der = malloc(strlen(b64));
		int n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)strlen(b64));
		char sha[AG_SHA256_HEX_LEN + 1];
		const struct ag_jwk *jk = ag_jwks_find(set, kid);

		assert_non_null(jk);
		/* EVP_DecodeBlock keeps the padding's zero bytes: drop them. */
		n -= (b64[strlen(b64) - 1] == '=') + (b64[strlen(b64) - 2] == '=');
		assert_int_equal(ag_sha256_hex(der, (size_t)n, sha), 0);
		assert_string_equal(jk->cert_sha256, sha);
		assert_null(jk->alg);
		assert_true(EVP_PKEY_is_a(jk->key, "RSA"));
		free(der);
	}
	json_decref(j);
	assert_non_null(ag_jwks_find(set, "XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE="));
	/* Truncated by one byte, it is no JWKS. */
	ag_jwks_free(set);
	assert_int_equal(ag_jwks_parse(keys, len - 3, &set, &err), AG_EINVALID);
	assert_null(set);
	free(keys);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_keys),
		cmocka_unit_test(test_member_rules),
		cmocka_unit_test(test_ec_keys),
		cmocka_unit_test(test_x5c),
		cmocka_unit_test(test_x5c_encoding),
		cmocka_unit_test(test_kty_mismatch),
		cmocka_unit_test(test_set_rules),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_jwk_public_key),
		cmocka_unit_test(test_real_maa_jwks),
	};

	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
