/*
 * test_jwt.c - canonical base64, JWKS parsing and the token rules at the
 * library level: the real MAA token and keys (from ../shared, skipped
 * visibly when absent), and keys built here with OpenSSL.
 */
#include "testutil.h"

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "base/base64.h"
#include "base/fileio.h"
#include "format/jwks.h"
#include "format/jwt.h"
#include "format/token.h"

#define MAA_ISS "https://sharedwus.wus.attest.azure.net"

static void
b64url_rejects(const char *s)
{
	uint8_t *out = NULL;
	size_t n = 0;

	if (ag_b64url_decode(s, strlen(s), &out, &n) == 0)
		fail_msg("base64url \"%s\" was accepted", s);
	assert_null(out);
}

static void
test_base64_canonical(void **state)
{
	uint8_t *out;
	size_t n;
	char *enc;

	(void)state;
	assert_int_equal(ag_b64url_decode("QQ", 2, &out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'A');
	free(out);
	assert_int_equal(ag_b64url_decode("-_8", 3, &out, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 0xfb);
	assert_int_equal(out[1], 0xff);
	enc = ag_b64url_encode(out, n);
	assert_string_equal(enc, "-_8");
	free(enc);
	free(out);
	assert_int_equal(ag_b64url_decode("", 0, &out, &n), 0);
	assert_int_equal(n, 0);
	free(out);
	b64url_rejects("QQ==");     /* padding */
	b64url_rejects("QR");       /* non-zero trailing bits */
	b64url_rejects("+/8");      /* standard alphabet */
	b64url_rejects("Q Q");      /* whitespace */
	b64url_rejects("QQ\n");
	b64url_rejects("QUJDR");    /* length 1 mod 4 */
	b64url_rejects("Q=Q");

	assert_int_equal(ag_b64_decode("QQ==", 4, &out, &n), 0);
	assert_int_equal(n, 1);
	free(out);
	assert_int_equal(ag_b64_decode("QUI=", 4, &out, &n), 0);
	assert_int_equal(n, 2);
	free(out);
	assert_int_equal(ag_b64_decode("QR==", 4, &out, &n), -1);
	assert_int_equal(ag_b64_decode("QQ=", 3, &out, &n), -1);
	assert_int_equal(ag_b64_decode("Q===", 4, &out, &n), -1);
	assert_int_equal(ag_b64_decode("QQ=A", 4, &out, &n), -1);
	assert_int_equal(ag_b64_decode("-_8=", 4, &out, &n), -1);
	assert_int_equal(ag_b64_decode("QUJD\nREVG", 9, &out, &n), -1);
}

/* A JWKS JSON text with one RSA key of the given size as n/e. */
static char *
rsa_jwks(unsigned bits, const char *kid, const char *extra)
{
	EVP_PKEY *k = EVP_RSA_gen(bits);
	BIGNUM *n = NULL, *e = NULL;
	uint8_t nb[1024], eb[8];
	char *ns, *es, *out;
	int nl, el;

	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e), 1);
	nl = BN_bn2bin(n, nb);
	el = BN_bn2bin(e, eb);
	ns = ag_b64url_encode(nb, (size_t)nl);
	es = ag_b64url_encode(eb, (size_t)el);
	out = malloc(strlen(ns) + 256);
	assert_non_null(out);
	sprintf(out, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"%s}]}", kid, ns, es,
	    extra != NULL ? extra : "");
	free(ns);
	free(es);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(k);
	return out;
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
	struct ag_jwks *set = NULL;
	struct ag_err err;

	assert_int_equal(parse_jwks(s, &set, &err), AG_EINVALID);
	assert_null(set);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
}

static void
test_jwks_synthetic(void **state)
{
	struct ag_jwks *set = NULL;
	struct ag_err err;
	char *s, big[8192];
	size_t off;

	(void)state;
	s = rsa_jwks(2048, "k1", ",\"use\":\"sig\",\"alg\":\"RS256\"");
	assert_int_equal(parse_jwks(s, &set, &err), AG_OK);
	assert_int_equal(set->n, 1);
	assert_non_null(ag_jwks_find(set, "k1"));
	assert_null(ag_jwks_find(set, "k2"));
	assert_string_equal(ag_jwks_find(set, "k1")->alg, "RS256");
	assert_string_equal(ag_jwks_find(set, "k1")->cert_sha256, "");
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

	s = rsa_jwks(1024, "small", NULL);
	jwks_rejects(s, "1024 bits is too small");
	free(s);
	s = rsa_jwks(2048, "enc", ",\"use\":\"enc\"");
	jwks_rejects(s, "use is not \"sig\"");
	free(s);
	s = rsa_jwks(2048, "ops", ",\"key_ops\":[\"encrypt\"]");
	jwks_rejects(s, "key_ops does not allow verify");
	free(s);

	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\"}]}", "neither x5c nor key parameters");
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", "too small");
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"n\":\"AQAB=\",\"e\":\"AQAB\"}]}", "malformed RSA");
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"x5c\":[\"MIIB\"]}]}", "not one DER certificate");
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"x5c\":[\"not base64!\"]}]}", "not canonical base64");
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"x5c\":[]}]}", "x5c must be a list");
	jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", "has no kid");
	/* An EC point that is not on the curve: x = y = 1. */
	jwks_rejects("{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\","
		     "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\",\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}]}",
	    "malformed EC");
	jwks_rejects("{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-521\",\"x\":\"AQ\",\"y\":\"AQ\"}]}", "malformed EC");
	jwks_rejects("{\"keys\":[{\"kid\":\"e\"}]}", "has no kty");
	jwks_rejects("{\"keys\":{}}", "no \"keys\" list");
	jwks_rejects("[]", "no \"keys\" list");
	jwks_rejects("{\"keys\":[], \"keys\":[]}", "duplicate");
	jwks_rejects("{\"keys\":[", "not valid JSON");

	/* Symmetric and unknown key types are never loaded. */
	assert_int_equal(parse_jwks("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"},{\"kty\":\"OKP\"}]}", &set, &err),
	    AG_OK);
	assert_int_equal(set->n, 0);
	assert_null(ag_jwks_find(set, "h"));
	ag_jwks_free(set);

	/* Duplicate kids are ambiguous. */
	s = rsa_jwks(2048, "d", NULL);
	{
		char *two = malloc(2 * strlen(s) + 8);
		char *inner = strdup(strchr(s, '[') + 1);

		assert_non_null(two);
		inner[strlen(inner) - 2] = '\0';
		sprintf(two, "{\"keys\":[%s,%s]}", inner, inner);
		jwks_rejects(two, "two keys with kid d");
		free(inner);
		free(two);
	}
	free(s);

	/* Too many keys. */
	off = (size_t)snprintf(big, sizeof(big), "{\"keys\":[");
	for (int i = 0; i <= AG_JWKS_MAX_KEYS; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off, "%s{\"kty\":\"oct\"}", i > 0 ? "," : "");
	snprintf(big + off, sizeof(big) - off, "]}");
	jwks_rejects(big, "more than 64 keys");
}

/* Reads a vector from ../shared, or NULL (the caller skips). */
static uint8_t *
vector(const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf = NULL;
	struct ag_err err;
	const char *shared = getenv("AG_SHARED") != NULL ? getenv("AG_SHARED") : "../shared";

	snprintf(path, sizeof(path), "%s/vectors/maa/%s", shared, name);
	if (access(path, R_OK) != 0)
		return NULL;
	assert_int_equal(ag_file_read(path, 1 << 20, AG_ECONFIG, &buf, len, &err), AG_OK);
	while (*len > 0 && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r'))
		(*len)--;
	return buf;
}

static void
test_real_maa_token(void **state)
{
	static const char *const algs[] = { "RS256", NULL };
	size_t tlen, klen;
	uint8_t *tok = vector("sharedwus-sgx-token-2022-05-31.jwt", &tlen);
	uint8_t *keys = vector("sharedwus-certs-jwks-2022-05-31.json", &klen);
	struct ag_jwks *set = NULL;
	struct ag_token_opts o;
	struct ag_token_info info;
	struct ag_err err;
	json_t *claims = NULL;

	(void)state;
	if (tok == NULL || keys == NULL) {
		free(tok);
		free(keys);
		print_message("# skipped: ../shared/vectors/maa is not present\n");
		skip();
	}
	ag_err_clear(&err);
	assert_int_equal(ag_jwks_parse(keys, klen, &set, &err), AG_OK);
	assert_int_equal(set->n, 3);
	assert_non_null(ag_jwks_find(set, "XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE="));
	assert_int_equal(strlen(ag_jwks_find(set, "XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=")->cert_sha256), 64);

	memset(&o, 0, sizeof(o));
	o.issuer = MAA_ISS;
	o.algs = algs;
	o.now = 1654040000; /* 2022-05-31T23:33:20Z, inside its validity */
	o.clock_skew_s = 60;
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_OK);
	assert_string_equal(json_string_value(json_object_get(claims, "x-ms-attestation-type")), "sgx");
	assert_int_equal(info.exp, 1654066081);
	assert_int_equal(info.iat, 1654037281);
	assert_string_equal(info.kid, "XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=");
	assert_non_null(info.jti);
	json_decref(claims);

	/* Expired at any later time; the skew is honoured exactly. */
	o.now = 1654066081 + 60;
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_OK);
	json_decref(claims);
	o.now = 1654066081 + 61;
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_EINVALID);
	assert_null(claims);
	assert_non_null(strstr(err.msg, "expired"));

	/* Another instance pinned: the jku no longer matches. */
	o.now = 1654040000;
	o.issuer = "https://sharedeus.eus.attest.azure.net";
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "jku"));

	/* A pinned signer fingerprint that is not this key's. */
	{
		static const char *const other[] = { "0000000000000000000000000000000000000000000000000000000000000000", NULL };
		const char *mine[] = { ag_jwks_find(set, "XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=")->cert_sha256, NULL };

		o.issuer = MAA_ISS;
		o.signer_sha256 = other;
		assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_EINVALID);
		assert_non_null(strstr(err.msg, "allowlist"));
		o.signer_sha256 = mine;
		assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_OK);
		json_decref(claims);
	}

	/* Only RS256 is ever used by MAA; an allowlist without it refuses the token. */
	{
		static const char *const ps[] = { "PS256", NULL };

		o.signer_sha256 = NULL;
		o.algs = ps;
		assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_EINVALID);
		assert_non_null(strstr(err.msg, "allowlist"));
	}

	/* Every single-byte change to the signing input breaks the signature or the parse. */
	o.algs = algs;
	for (size_t i = 0; i < tlen; i += 97) {
		uint8_t saved = tok[i];

		if (tok[i] == '.')
			continue;
		tok[i] = tok[i] == 'A' ? 'B' : 'A';
		assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_EINVALID);
		tok[i] = saved;
	}
	ag_jwks_free(set);
	free(tok);
	free(keys);
}

static void
test_nonce_sites(void **state)
{
	json_t *ag = json_pack("{s:s, s:{s:{s:s}}, s:{s:{s:s}}}", "x-ms-attestation-type", "azurevm", "x-ms-runtime",
	    "client-payload", "nonce", "abc", "x-ms-isolation-tee", "x-ms-runtime", "user-data", "AABB");
	json_t *snp = json_pack("{s:s, s:{s:s}}", "x-ms-attestation-type", "sevsnpvm", "x-ms-runtime", "nonce", "abc");
	struct ag_token_opts o;
	struct ag_err err;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(ag_token_nonce_site_of(ag), AG_NONCE_AZUREGUEST);
	assert_int_equal(ag_token_nonce_site_of(snp), AG_NONCE_RUNTIME);
	assert_int_equal(ag_token_check_nonce(ag, &o, &err), AG_OK); /* no nonce asked for */
	o.nonce = "abc";
	o.nonce_site = AG_NONCE_AZUREGUEST;
	assert_int_equal(ag_token_check_nonce(ag, &o, &err), AG_OK);
	assert_int_equal(ag_token_check_nonce(snp, &o, &err), AG_EINVALID);
	o.user_data = "aabb";
	assert_int_equal(ag_token_check_nonce(ag, &o, &err), AG_OK);
	o.user_data = "aabc";
	assert_int_equal(ag_token_check_nonce(ag, &o, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "stale"));
	o.user_data = NULL;
	o.nonce_site = AG_NONCE_RUNTIME;
	assert_int_equal(ag_token_check_nonce(snp, &o, &err), AG_OK);
	assert_int_equal(ag_token_check_nonce(ag, &o, &err), AG_EINVALID);
	o.nonce = "abcd";
	assert_int_equal(ag_token_check_nonce(snp, &o, &err), AG_EINVALID);
	o.nonce = "ab";
	assert_int_equal(ag_token_check_nonce(snp, &o, &err), AG_EINVALID);
	json_decref(ag);
	json_decref(snp);
}

static void
test_issuer_normalize(void **state)
{
	char a[] = "https://x.attest.azure.net///", b[] = "http://x", c[] = "https://x/?q", d[] = "https://",
	     e[] = "https://u@x";

	(void)state;
	assert_null(ag_token_issuer_normalize(a));
	assert_string_equal(a, "https://x.attest.azure.net");
	assert_non_null(ag_token_issuer_normalize(b));
	assert_non_null(ag_token_issuer_normalize(c));
	assert_non_null(ag_token_issuer_normalize(d));
	assert_non_null(ag_token_issuer_normalize(e));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_canonical),
		cmocka_unit_test(test_jwks_synthetic),
		cmocka_unit_test(test_real_maa_token),
		cmocka_unit_test(test_nonce_sites),
		cmocka_unit_test(test_issuer_normalize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
