/*
 * test_jwt.c - lib/format/jwt.c only: strict JWS compact parsing (canonical
 * base64url parts, JSON objects without duplicates, the header members), the
 * header rules, and signature verification for every algorithm it knows.
 * Tokens signed here with keys made by OpenSSL, and the real MAA tokens of
 * ../shared/vectors/maa (skipped visibly when absent).  Key sets are
 * test_jwks.c's business and the claims rules test_token.c's.
 */
#include "testutil.h"

#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/base64.h"
#include "base/fileio.h"
#include "format/jwt.h"

/* base64url of a C string. */
static char *
b64s(const char *s)
{
	char *e = ag_b64url_encode((const uint8_t *)s, strlen(s));

	assert_non_null(e);
	return e;
}

/* "<b64 header>.<b64 claims>.<sig>" with sig given as base64url text. */
static char *
token3(const char *header, const char *claims, const char *sig_b64)
{
	char *h = b64s(header), *c = b64s(claims), *t;

	t = malloc(strlen(h) + strlen(c) + strlen(sig_b64) + 3);
	assert_non_null(t);
	sprintf(t, "%s.%s.%s", h, c, sig_b64);
	free(h);
	free(c);
	return t;
}

static enum ag_code
parse(const char *tok, struct ag_jwt **t, struct ag_err *err)
{
	ag_err_clear(err);
	return ag_jwt_parse((const uint8_t *)tok, strlen(tok), t, err);
}

static void
parse_fails(const char *tok, const char *why)
{
	struct ag_jwt *t = (struct ag_jwt *)1;
	struct ag_err err;

	assert_int_equal(parse(tok, &t, &err), AG_EINVALID);
	assert_null(t);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\": \"%s\" lacks \"%s\"", tok, err.msg, why);
}

static void
parse_fails3(const char *header, const char *claims, const char *sig, const char *why)
{
	char *tok = token3(header, claims, sig);

	parse_fails(tok, why);
	free(tok);
}

#define HDR "{\"alg\":\"RS256\"}"

static void
test_parse_ok(void **state)
{
	char *tok = token3("{\"alg\":\"RS256\",\"kid\":\"k1\",\"jku\":\"https://x/certs\",\"typ\":\"JWT\"}",
	    "{\"iss\":\"https://x\",\"n\":[1,2]}", "AQID");
	struct ag_jwt *t = NULL;
	struct ag_err err;
	const char *d2 = strrchr(tok, '.');

	(void)state;
	assert_int_equal(parse(tok, &t, &err), AG_OK);
	assert_string_equal(t->alg, "RS256");
	assert_string_equal(t->kid, "k1");
	assert_string_equal(t->jku, "https://x/certs");
	assert_string_equal(json_string_value(json_object_get(t->claims, "iss")), "https://x");
	assert_int_equal(json_array_size(json_object_get(t->claims, "n")), 2);
	assert_int_equal(json_object_size(t->header), 4);
	assert_int_equal(t->sig_len, 3);
	assert_memory_equal(t->sig, "\x01\x02\x03", 3);
	/* The signing input is the first two parts exactly as received. */
	assert_int_equal(t->signing_input_len, (size_t)(d2 - tok));
	assert_memory_equal(t->signing_input, tok, t->signing_input_len);
	assert_int_equal(t->signing_input[t->signing_input_len], '\0');
	ag_jwt_free(t);
	free(tok);
	/* kid and jku are optional. */
	tok = token3(HDR, "{}", "AA");
	assert_int_equal(parse(tok, &t, &err), AG_OK);
	assert_null(t->kid);
	assert_null(t->jku);
	assert_int_equal(json_object_size(t->claims), 0);
	ag_jwt_free(t);
	free(tok);
	ag_jwt_free(NULL);
}

static void
test_parse_structure(void **state)
{
	char *h = b64s(HDR), *c = b64s("{}"), buf[512], *big;

	(void)state;
	parse_fails("", "1 parts");
	parse_fails("abc", "1 parts");
	snprintf(buf, sizeof(buf), "%s.%s", h, c);
	parse_fails(buf, "2 parts");
	snprintf(buf, sizeof(buf), "%s.%s.AA.AA", h, c);
	parse_fails(buf, "4 parts");
	snprintf(buf, sizeof(buf), "%s.%s.AA.", h, c);
	parse_fails(buf, "4 parts");
	snprintf(buf, sizeof(buf), ".%s.AA", c);
	parse_fails(buf, "header is empty");
	snprintf(buf, sizeof(buf), "%s..AA", h);
	parse_fails(buf, "claims is empty");
	snprintf(buf, sizeof(buf), "%s.%s.", h, c);
	parse_fails(buf, "signature part is empty");
	parse_fails("..", "header is empty");
	/* JWE (five parts) and JWS JSON serialisation are not compact JWS. */
	snprintf(buf, sizeof(buf), "%s.%s.AA.AA.AA", h, c);
	parse_fails(buf, "5 parts");
	parse_fails("{\"payload\":\"e30\",\"signatures\":[]}", "1 parts");
	/* The size bound. */
	big = malloc(AG_JWT_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, 'A', AG_JWT_MAX_BYTES + 1);
	memcpy(big, buf, strlen(h) + strlen(c) + 2);
	big[AG_JWT_MAX_BYTES + 1] = '\0';
	parse_fails(big, "larger than the 262144 allowed");
	free(big);
	free(h);
	free(c);
}

/* The signature part is canonical base64url: exactly one text per byte string. */
static void
test_parse_base64url(void **state)
{
	static const char *const bad[] = { "QQ==", "QR", "+/8", "Q Q", "QQ\n", "QUJDR", "Q=Q", "QQ=", "Q", "-_8=", "Q\tQ" };
	char *tok, *h, *c, buf[256];
	struct ag_jwt *t;
	struct ag_err err;

	(void)state;
	tok = token3(HDR, "{}", "QQ");
	assert_int_equal(parse(tok, &t, &err), AG_OK);
	assert_int_equal(t->sig_len, 1);
	assert_int_equal(t->sig[0], 'A');
	ag_jwt_free(t);
	free(tok);
	tok = token3(HDR, "{}", "-_8");
	assert_int_equal(parse(tok, &t, &err), AG_OK);
	assert_int_equal(t->sig_len, 2);
	assert_int_equal(t->sig[0], 0xfb);
	assert_int_equal(t->sig[1], 0xff);
	ag_jwt_free(t);
	free(tok);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails3(HDR, "{}", bad[i], "signature is not canonical base64url");
	/* The header and the claims too. */
	h = b64s(HDR);
	c = b64s("{\"a\":\"b\"}");
	snprintf(buf, sizeof(buf), "%s=.%s.AA", h, c);
	parse_fails(buf, "header is not canonical base64url");
	snprintf(buf, sizeof(buf), "%s.%s=.AA", h, c);
	parse_fails(buf, "claims is not canonical base64url");
	/* The standard alphabet's '+' and '/' for base64url's '-' and '_'. */
	free(c);
	c = b64s("{\"k\":\"~~~\"}");
	assert_string_equal(c, "eyJrIjoifn5-In0");
	snprintf(buf, sizeof(buf), "%s.eyJrIjoifn5+In0.AA", h);
	parse_fails(buf, "claims is not canonical base64url");
	snprintf(buf, sizeof(buf), "%s.eyJrIjoiPz8/In0.AA", h);
	parse_fails(buf, "claims is not canonical base64url");
	snprintf(buf, sizeof(buf), "%s.eyJrIjoiPz8_In0.AA", h);
	assert_int_equal(parse(buf, &t, &err), AG_OK);
	assert_string_equal(json_string_value(json_object_get(t->claims, "k")), "???");
	ag_jwt_free(t);
	snprintf(buf, sizeof(buf), " %s.%s.AA", h, c);
	parse_fails(buf, "header is not canonical base64url");
	free(h);
	free(c);
}

static void
test_parse_json(void **state)
{
	(void)state;
	parse_fails3("not json", "{}", "AA", "header is not valid JSON");
	parse_fails3(HDR, "not json", "AA", "claims is not valid JSON");
	parse_fails3("[\"RS256\"]", "{}", "AA", "header is not a JSON object");
	parse_fails3(HDR, "[1]", "AA", "claims is not a JSON object");
	parse_fails3("{\"alg\":\"RS256\",\"alg\":\"none\"}", "{}", "AA", "header is not valid JSON");
	parse_fails3(HDR, "{\"iss\":\"a\",\"iss\":\"b\"}", "AA", "claims is not valid JSON");
	parse_fails3(HDR, "{\"a\":1} trailing", "AA", "claims is not valid JSON");
	parse_fails3("{\"kid\":\"k\"}", "{}", "AA", "alg must be a string");
	parse_fails3("{\"alg\":256}", "{}", "AA", "alg must be a string");
	parse_fails3("{\"alg\":null}", "{}", "AA", "alg must be a string");
	parse_fails3("{\"alg\":\"RS256\",\"kid\":7}", "{}", "AA", "kid and jku strings");
	parse_fails3("{\"alg\":\"RS256\",\"jku\":[\"https://x\"]}", "{}", "AA", "kid and jku strings");
	/* A NUL inside a header string cannot hide a different value from C string compares. */
	parse_fails3("{\"alg\":\"RS256\\u0000x\"}", "{}", "AA", "header is not valid JSON");
	/* Unsigned tokens, however spelled. */
	parse_fails3("{\"alg\":\"none\"}", "{}", "AA", "\"none\"");
	parse_fails3("{\"alg\":\"NONE\"}", "{}", "AA", "\"none\"");
	parse_fails3("{\"alg\":\"nOnE\"}", "{}", "AA", "\"none\"");
}

static enum ag_code
header_check(const char *header, const char *const *algs, struct ag_err *err)
{
	char *tok = token3(header, "{}", "AA");
	struct ag_jwt *t = NULL;
	enum ag_code rc;

	assert_int_equal(parse(tok, &t, err), AG_OK);
	ag_err_clear(err);
	rc = ag_jwt_check_header(t, algs, err);
	ag_jwt_free(t);
	free(tok);
	return rc;
}

static void
header_fails(const char *header, const char *const *algs, const char *why)
{
	struct ag_err err;

	assert_int_equal(header_check(header, algs, &err), AG_EINVALID);
	if (strstr(err.msg, why) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", header, err.msg, why);
}

static void
test_check_header(void **state)
{
	static const char *const rs[] = { "RS256", NULL };
	static const char *const many[] = { "PS256", "ES384", "RS256", NULL };
	static const char *const hs[] = { "HS256", "hs512", "RS256", NULL };
	static const char *const odd[] = { "EdDSA", "RS256", NULL };
	static const char *const none[] = { NULL };
	struct ag_err err;

	(void)state;
	assert_int_equal(header_check(HDR, rs, &err), AG_OK);
	assert_int_equal(header_check(HDR, many, &err), AG_OK);
	assert_int_equal(header_check("{\"alg\":\"ES384\",\"typ\":\"JWT\"}", many, &err), AG_OK);
	assert_int_equal(header_check("{\"alg\":\"RS256\",\"typ\":\"jwt\"}", rs, &err), AG_OK);
	header_fails("{\"alg\":\"PS256\"}", rs, "not on the allowlist");
	header_fails("{\"alg\":\"rs256\"}", rs, "not on the allowlist");   /* exact names */
	header_fails(HDR, none, "not on the allowlist");
	header_fails(HDR, NULL, "not on the allowlist");
	/* HMAC never, even when a caller lists it. */
	header_fails("{\"alg\":\"HS256\"}", hs, "(HMAC) is never accepted");
	header_fails("{\"alg\":\"hs512\"}", hs, "(HMAC) is never accepted");
	/* Listed but not an algorithm this library verifies. */
	header_fails("{\"alg\":\"EdDSA\"}", odd, "not on the allowlist");
	/* Header members that would let the token choose its key or its rules. */
	header_fails("{\"alg\":\"RS256\",\"crit\":[\"exp\"]}", rs, "crit");
	header_fails("{\"alg\":\"RS256\",\"x5u\":\"https://evil/cert\"}", rs, "x5u");
	header_fails("{\"alg\":\"RS256\",\"jwk\":{\"kty\":\"RSA\"}}", rs, "embeds a key");
	header_fails("{\"alg\":\"RS256\",\"x5c\":[\"MIIB\"]}", rs, "embeds a key");
	header_fails("{\"alg\":\"RS256\",\"typ\":\"at+jwt\"}", rs, "typ is not JWT");
	header_fails("{\"alg\":\"RS256\",\"typ\":1}", rs, "typ is not JWT");
	header_fails("{\"alg\":\"RS256\",\"typ\":null}", rs, "typ is not JWT");
}

/* --- signatures --- */

struct alg_case {
	const char *alg, *md;
	int pss, ec;
	size_t ec_size;
};

static const struct alg_case cases[] = {
	{ "RS256", "SHA256", 0, 0, 0 }, { "RS384", "SHA384", 0, 0, 0 }, { "RS512", "SHA512", 0, 0, 0 },
	{ "PS256", "SHA256", 1, 0, 0 }, { "PS384", "SHA384", 1, 0, 0 }, { "ES256", "SHA256", 0, 1, 32 },
	{ "ES384", "SHA384", 0, 1, 48 },
};

/* The PSS salt length signatures are made with: RFC 7518 says the hash's length. */
static int pss_salt = RSA_PSS_SALTLEN_DIGEST;

/* Signs "<header>.<claims>" with key as alg case c does; returns the compact token. */
static char *
sign_token(const struct alg_case *c, EVP_PKEY *key, const char *header, const char *claims)
{
	char *h = b64s(header), *cl = b64s(claims), *input, *s64, *tok;
	uint8_t sig[1024], raw[96] = { 0 };
	size_t sl = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	input = malloc(strlen(h) + strlen(cl) + 2);
	assert_non_null(input);
	sprintf(input, "%s.%s", h, cl);
	assert_int_equal(EVP_DigestSignInit_ex(ctx, &pctx, c->md, NULL, NULL, key, NULL), 1);
	if (c->pss) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt), 1);
	}
	assert_int_equal(EVP_DigestSign(ctx, sig, &sl, (const uint8_t *)input, strlen(input)), 1);
	EVP_MD_CTX_free(ctx);
	if (c->ec) {
		const uint8_t *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sl);

		assert_non_null(es);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)c->ec_size);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + c->ec_size, (int)c->ec_size);
		ECDSA_SIG_free(es);
		s64 = ag_b64url_encode(raw, 2 * c->ec_size);
	} else {
		s64 = ag_b64url_encode(sig, sl);
	}
	tok = malloc(strlen(input) + strlen(s64) + 2);
	assert_non_null(tok);
	sprintf(tok, "%s.%s", input, s64);
	free(input);
	free(h);
	free(cl);
	free(s64);
	return tok;
}

static enum ag_code
verify_with(const char *tok, EVP_PKEY *key, const char *key_alg, struct ag_err *err)
{
	struct ag_jwt *t = NULL;
	struct ag_jwk k = { .kid = (char *)"k1", .alg = (char *)key_alg, .key = key };
	enum ag_code rc;

	assert_int_equal(parse(tok, &t, err), AG_OK);
	ag_err_clear(err);
	rc = ag_jwt_verify_signature(t, &k, err);
	ag_jwt_free(t);
	return rc;
}

static void
verify_fails(const char *tok, EVP_PKEY *key, const char *key_alg, const char *why)
{
	struct ag_err err;

	assert_int_equal(verify_with(tok, key, key_alg, &err), AG_EINVALID);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
}

static EVP_PKEY *rsa_a, *rsa_b, *p256, *p384;

static int
setup_keys(void **state)
{
	(void)state;
	rsa_a = EVP_RSA_gen(2048);
	rsa_b = EVP_RSA_gen(2048);
	p256 = EVP_EC_gen("P-256");
	p384 = EVP_EC_gen("P-384");
	return rsa_a != NULL && rsa_b != NULL && p256 != NULL && p384 != NULL ? 0 : -1;
}

static int
teardown_keys(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa_a);
	EVP_PKEY_free(rsa_b);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	return 0;
}

/* Every algorithm: its own signature verifies; another key, a changed claim or signature does not. */
static void
test_verify_each_alg(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct alg_case *c = &cases[i];
		EVP_PKEY *key = !c->ec ? rsa_a : c->ec_size == 32 ? p256 : p384;
		EVP_PKEY *other = !c->ec ? rsa_b : c->ec_size == 32 ? EVP_EC_gen("P-256") : EVP_EC_gen("P-384");
		char header[64], *tok, *forged, *last;
		struct ag_err err;

		snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"kid\":\"k1\"}", c->alg);
		tok = sign_token(c, key, header, "{\"iss\":\"https://x\",\"v\":1}");
		if (verify_with(tok, key, NULL, &err) != AG_OK)
			fail_msg("%s: %s", c->alg, err.msg);
		assert_int_equal(verify_with(tok, key, c->alg, &err), AG_OK);
		verify_fails(tok, other, NULL, "does not verify with key k1");
		/* Other claims under the same signature; the signature with one bit changed. */
		forged = token3(header, "{\"iss\":\"https://y\",\"v\":1}", strrchr(tok, '.') + 1);
		verify_fails(forged, key, NULL, "does not verify");
		free(forged);
		last = tok + strlen(tok) - 2;
		*last = *last == 'A' ? 'B' : 'A';
		verify_fails(tok, key, NULL, "does not verify");
		free(tok);
		if (c->ec)
			EVP_PKEY_free(other);
	}
}

/* The key decides what the token's alg may be: its own alg, type, curve and size. */
static void
test_verify_key_fit(void **state)
{
	char *rs = sign_token(&cases[0], rsa_a, "{\"alg\":\"RS256\"}", "{}");
	char *es = sign_token(&cases[5], p256, "{\"alg\":\"ES256\"}", "{}");
	char *es384 = sign_token(&cases[6], p384, "{\"alg\":\"ES384\"}", "{}");
	EVP_PKEY *rsa3072 = EVP_RSA_gen(3072);

	(void)state;
	verify_fails(rs, rsa_a, "RS384", "key k1 is for RS384, not for the token's RS256");
	verify_fails(rs, rsa_a, "PS256", "is for PS256");
	verify_fails(rs, p256, NULL, "not an RSA key, as RS256 needs");
	verify_fails(rs, rsa3072, NULL, "token signature is 256 bytes; key k1 signs 384-byte signatures");
	verify_fails(es, rsa_a, NULL, "not a P-256 key, as ES256 needs");
	verify_fails(es, p384, NULL, "not a P-256 key");
	verify_fails(es384, p256, NULL, "not a P-384 key");
	verify_fails(es, p256, "ES384", "is for ES384");
	EVP_PKEY_free(rsa3072);
	free(rs);
	free(es);
	free(es384);
}

/* A signature made one way never passes as another algorithm's (no alg confusion). */
static void
test_verify_alg_confusion(void **state)
{
	char *ps = sign_token(&cases[3], rsa_a, "{\"alg\":\"PS256\"}", "{}");
	char *rs = sign_token(&cases[0], rsa_a, "{\"alg\":\"RS256\"}", "{}");
	char *swapped, *rs384;

	(void)state;
	/* The PSS signature under an RS256 header, and the reverse. */
	swapped = token3("{\"alg\":\"RS256\"}", "{}", strrchr(ps, '.') + 1);
	verify_fails(swapped, rsa_a, NULL, "does not verify");
	free(swapped);
	swapped = token3("{\"alg\":\"PS256\"}", "{}", strrchr(rs, '.') + 1);
	verify_fails(swapped, rsa_a, NULL, "does not verify");
	free(swapped);
	/* RS256's signature under RS384. */
	rs384 = token3("{\"alg\":\"RS384\"}", "{}", strrchr(rs, '.') + 1);
	verify_fails(rs384, rsa_a, NULL, "does not verify");
	free(rs384);
	/* An algorithm this library does not know reaches verification only through a caller's mistake. */
	swapped = token3("{\"alg\":\"EdDSA\"}", "{}", "AAAA");
	verify_fails(swapped, rsa_a, NULL, "EdDSA is not supported");
	free(swapped);
	free(ps);
	free(rs);
}

/* PS256 and PS384 signatures use a salt as long as the hash, as RFC 7518 section 3.5 requires. */
static void
test_verify_pss_salt(void **state)
{
	static const int salts[] = { 0, 20, RSA_PSS_SALTLEN_MAX };
	char *tok;

	(void)state;
	for (size_t i = 0; i < sizeof(salts) / sizeof(salts[0]); i++) {
		pss_salt = salts[i];
		tok = sign_token(&cases[3], rsa_a, "{\"alg\":\"PS256\"}", "{}");
		verify_fails(tok, rsa_a, NULL, "does not verify");
		free(tok);
		tok = sign_token(&cases[4], rsa_a, "{\"alg\":\"PS384\"}", "{}");
		verify_fails(tok, rsa_a, NULL, "does not verify");
		free(tok);
	}
	pss_salt = 48;   /* SHA-384's length, for PS384 */
	tok = sign_token(&cases[4], rsa_a, "{\"alg\":\"PS384\"}", "{}");
	{
		struct ag_err err;

		assert_int_equal(verify_with(tok, rsa_a, NULL, &err), AG_OK);
	}
	free(tok);
	pss_salt = RSA_PSS_SALTLEN_DIGEST;
}

/* ECDSA signatures are r||s of the curve's size, never DER, never zero. */
static void
test_verify_ecdsa_form(void **state)
{
	char *es = sign_token(&cases[5], p256, "{\"alg\":\"ES256\"}", "{}"), *bad, *s64;
	uint8_t zero[64] = { 0 }, *raw = NULL, *der = NULL;
	size_t rl = 0;
	int dl;
	ECDSA_SIG *sig = ECDSA_SIG_new();

	(void)state;
	assert_int_equal(ag_b64url_decode(strrchr(es, '.') + 1, strlen(strrchr(es, '.') + 1), &raw, &rl), 0);
	assert_int_equal(rl, 64);
	s64 = ag_b64url_encode(raw, 63);
	bad = token3("{\"alg\":\"ES256\"}", "{}", s64);
	verify_fails(bad, p256, NULL, "token signature is 63 bytes; ES256 signatures are 64");
	free(bad);
	free(s64);
	/* The same signature DER-encoded. */
	ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
	dl = i2d_ECDSA_SIG(sig, &der);
	assert_true(dl > 0);
	s64 = ag_b64url_encode(der, (size_t)dl);
	bad = token3("{\"alg\":\"ES256\"}", "{}", s64);
	verify_fails(bad, p256, NULL, "ES256 signatures are 64");
	free(bad);
	free(s64);
	s64 = ag_b64url_encode(zero, 64);
	bad = token3("{\"alg\":\"ES256\"}", "{}", s64);
	verify_fails(bad, p256, NULL, "does not verify");
	free(bad);
	free(s64);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	free(raw);
	free(es);
}

/* Reads ../shared/vectors/maa/NAME without its trailing newline, or NULL. */
static uint8_t *
maa_vec(const char *name, size_t *len)
{
	uint8_t *buf = tu_vec_in("maa", name, len);

	while (buf != NULL && *len > 0 && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r'))
		(*len)--;
	return buf;
}

/* The public key of x5c[0] of the key with kid in a JWKS text (read with OpenSSL, not jwks.c). */
static EVP_PKEY *
x5c_key(const uint8_t *jwks, size_t len, const char *kid)
{
	json_t *root = json_loadb((const char *)jwks, len, 0, NULL), *k;
	size_t i;
	EVP_PKEY *out = NULL;

	assert_non_null(root);
	json_array_foreach(json_object_get(root, "keys"), i, k) {
		const char *b64 = json_string_value(json_array_get(json_object_get(k, "x5c"), 0));
		unsigned char der[8192];
		const unsigned char *p = der;
		int n;
		X509 *c;

		if (strcmp(json_string_value(json_object_get(k, "kid")), kid) != 0)
			continue;
		n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)strlen(b64));
		assert_true(n > 0);
		c = d2i_X509(NULL, &p, n);
		assert_non_null(c);
		out = X509_get_pubkey(c);
		X509_free(c);
	}
	json_decref(root);
	assert_non_null(out);
	return out;
}

static void
check_real_token(const char *file, const char *jku)
{
	static const char *const rs[] = { "RS256", NULL };
	size_t len;
	uint8_t *tok = maa_vec(file, &len);
	struct ag_jwt *t = NULL;
	struct ag_err err;

	assert_non_null(tok);
	assert_int_equal(ag_jwt_parse(tok, len, &t, &err), AG_OK);
	assert_string_equal(t->alg, "RS256");
	assert_string_equal(t->jku, jku);
	assert_non_null(t->kid);
	assert_int_equal(t->sig_len, 256);
	assert_true(json_is_string(json_object_get(t->claims, "x-ms-attestation-type")));
	assert_int_equal(ag_jwt_check_header(t, rs, &err), AG_OK);
	ag_jwt_free(t);
	/* With the trailing newline it is not a token. */
	assert_int_equal(ag_jwt_parse(tok, len + 1, &t, &err), AG_EINVALID);
	free(tok);
}

static void
test_real_maa_tokens(void **state)
{
	size_t tlen, klen;
	uint8_t *tok = maa_vec("sharedwus-sgx-token-2022-05-31.jwt", &tlen);
	uint8_t *keys = maa_vec("sharedwus-certs-jwks-2022-05-31.json", &klen);
	struct ag_jwt *t = NULL;
	struct ag_jwk k = { .kid = (char *)"XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=" };
	struct ag_err err;

	(void)state;
	if (tok == NULL || keys == NULL) {
		free(tok);
		free(keys);
		print_message("# skipped: ../shared/vectors/maa is not present\n");
		skip();
	}
	check_real_token("sharedwus-sgx-token-2022-05-31.jwt", "https://sharedwus.wus.attest.azure.net/certs");
	check_real_token("azureguest-cvm-token-sharedweu-2023.jwt", "https://sharedweu.weu.attest.azure.net/certs");
	check_real_token("sevsnpvm-token-sharedweu-test-2025.jwt", "https://sharedweu.weu.test.attest.azure.net/certs");
	/* The SGX token verifies with its kid's certificate, not with the set's other keys. */
	assert_int_equal(ag_jwt_parse(tok, tlen, &t, &err), AG_OK);
	assert_string_equal(t->kid, k.kid);
	k.key = x5c_key(keys, klen, k.kid);
	assert_int_equal(ag_jwt_verify_signature(t, &k, &err), AG_OK);
	EVP_PKEY_free(k.key);
	k.key = rsa_a;
	assert_int_equal(ag_jwt_verify_signature(t, &k, &err), AG_EINVALID);
	t->sig[10] ^= 1;
	k.key = x5c_key(keys, klen, k.kid);
	assert_int_equal(ag_jwt_verify_signature(t, &k, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "does not verify"));
	EVP_PKEY_free(k.key);
	ag_jwt_free(t);
	free(tok);
	free(keys);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_structure),
		cmocka_unit_test(test_parse_base64url),
		cmocka_unit_test(test_parse_json),
		cmocka_unit_test(test_check_header),
		cmocka_unit_test(test_verify_each_alg),
		cmocka_unit_test(test_verify_key_fit),
		cmocka_unit_test(test_verify_alg_confusion),
		cmocka_unit_test(test_verify_pss_salt),
		cmocka_unit_test(test_verify_ecdsa_form),
		cmocka_unit_test(test_real_maa_tokens),
	};

	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
