/*
 * test_token.c - lib/format/token.c: the gate's acceptance of a verifier's
 * token (header rules, pinned jku and kid, signer allowlist, signature, then
 * issuer, exp/nbf/iat, maxTokenAge and the nonce), the nonce sites, and
 * issuer URL normalisation.  The real MAA token and keys of
 * ../shared/vectors/maa at a pinned time (skipped visibly when absent), and
 * tokens signed here for each claim check.
 */
#include "testutil.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/base64.h"
#include "base/fileio.h"
#include "format/jwks.h"
#include "format/token.h"

#define MAA_ISS "https://sharedwus.wus.attest.azure.net"
#define ISS "https://test.attest.azure.net"
#define NOW 1700000000

/* Reads a vector from ../shared/vectors/maa without its trailing newline, or NULL (the caller skips). */
static uint8_t *
vector(const char *name, size_t *len)
{
	uint8_t *buf = tu_vec_in("maa", name, len);

	while (buf != NULL && *len > 0 && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r'))
		(*len)--;
	return buf;
}

static const char *const rs256[] = { "RS256", NULL };

static void
real_opts(struct ag_token_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->issuer = MAA_ISS;
	o->algs = rs256;
	o->now = 1654040000; /* 2022-05-31T23:33:20Z, inside its validity */
	o->clock_skew_s = 60;
}

static void
test_real_maa_token(void **state)
{
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
	assert_int_equal(ag_jwks_parse(keys, klen, &set, &err), AG_OK);
	real_opts(&o);
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_OK);
	assert_string_equal(json_string_value(json_object_get(claims, "x-ms-attestation-type")), "sgx");
	assert_string_equal(json_string_value(json_object_get(claims, "iss")), MAA_ISS);
	assert_int_equal(info.exp, 1654066081);
	assert_int_equal(info.iat, 1654037281);
	assert_string_equal(info.kid, "XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=");
	assert_ptr_equal(info.kid, ag_jwks_find(set, info.kid)->kid);
	assert_non_null(info.jti);
	assert_string_equal(info.jti, json_string_value(json_object_get(claims, "jti")));
	json_decref(claims);

	/* Expired at any later time; the skew is honoured exactly. */
	o.now = 1654066081 + 60;
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_OK);
	json_decref(claims);
	o.now = 1654066081 + 61;
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_EINVALID);
	assert_null(claims);
	assert_non_null(strstr(err.msg, "expired at 2022-06-01T06:48:01Z"));
	/* Before it was issued (beyond the skew). */
	o.now = 1654037281 - 61;
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "not valid before"));
	/* maxTokenAge from iat. */
	real_opts(&o);
	o.max_age_s = 3600;
	o.now = 1654037281 + 3600 + 60;
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_OK);
	json_decref(claims);
	o.now++;
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "maxTokenAge 3600s"));
	ag_jwks_free(set);
	free(tok);
	free(keys);
}

/* The pinned instance, signer and algorithms, and the token's own bytes. */
static void
test_real_maa_token_pins(void **state)
{
	static const char *const other[] = { "0000000000000000000000000000000000000000000000000000000000000000", NULL };
	static const char *const ps[] = { "PS256", NULL };
	size_t tlen, klen;
	uint8_t *tok = vector("sharedwus-sgx-token-2022-05-31.jwt", &tlen);
	uint8_t *keys = vector("sharedwus-certs-jwks-2022-05-31.json", &klen);
	struct ag_jwks *set = NULL;
	struct ag_token_opts o;
	struct ag_token_info info;
	struct ag_err err;
	json_t *claims = NULL;
	const char *mine[2] = { NULL, NULL };
	char upper[65];

	(void)state;
	if (tok == NULL || keys == NULL) {
		free(tok);
		free(keys);
		print_message("# skipped: ../shared/vectors/maa is not present\n");
		skip();
	}
	assert_int_equal(ag_jwks_parse(keys, klen, &set, &err), AG_OK);
	real_opts(&o);
	/* Another instance pinned: the jku no longer matches. */
	o.issuer = "https://sharedeus.eus.attest.azure.net";
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "jku"));
	/* A pinned signer fingerprint that is not this key's; this key's in either case. */
	o.issuer = MAA_ISS;
	o.signer_sha256 = other;
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "allowlist"));
	mine[0] = ag_jwks_find(set, "XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=")->cert_sha256;
	o.signer_sha256 = mine;
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_OK);
	json_decref(claims);
	for (int i = 0; i < 65; i++)
		upper[i] = (char)toupper((unsigned char)mine[0][i]);
	mine[0] = upper;
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_OK);
	json_decref(claims);
	/* Only RS256 is ever used by MAA; an allowlist without it refuses the token. */
	o.signer_sha256 = NULL;
	o.algs = ps;
	assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "allowlist"));
	/* Every single-byte change to the token breaks the signature or the parse. */
	o.algs = rs256;
	for (size_t i = 0; i < tlen; i += 97) {
		uint8_t saved = tok[i];

		if (tok[i] == '.')
			continue;
		tok[i] = tok[i] == 'A' ? 'B' : 'A';
		assert_int_equal(ag_token_verify(tok, tlen, set, &o, &claims, &info, &err), AG_EINVALID);
		assert_null(claims);
		tok[i] = saved;
	}
	ag_jwks_free(set);
	free(tok);
	free(keys);
}

/* --- tokens made here --- */

static EVP_PKEY *signer, *stranger;
static struct ag_jwks *keyset;

/* A JWKS with signer as kid "k1" (n/e, so no certificate fingerprint); stranger is in no set. */
static int
setup_keys(void **state)
{
	BIGNUM *n = NULL, *e = NULL;
	uint8_t nb[512], eb[8];
	char *ns, *es, *js;
	struct ag_err err;

	(void)state;
	signer = EVP_RSA_gen(2048);
	stranger = EVP_RSA_gen(2048);
	if (signer == NULL || stranger == NULL)
		return -1;
	EVP_PKEY_get_bn_param(signer, OSSL_PKEY_PARAM_RSA_N, &n);
	EVP_PKEY_get_bn_param(signer, OSSL_PKEY_PARAM_RSA_E, &e);
	ns = ag_b64url_encode(nb, (size_t)BN_bn2bin(n, nb));
	es = ag_b64url_encode(eb, (size_t)BN_bn2bin(e, eb));
	js = malloc(strlen(ns) + 256);
	sprintf(js, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"}]}", ns, es);
	if (ag_jwks_parse((const uint8_t *)js, strlen(js), &keyset, &err) != AG_OK)
		return -1;
	BN_free(n);
	BN_free(e);
	free(ns);
	free(es);
	free(js);
	return 0;
}

static int
teardown_keys(void **state)
{
	(void)state;
	EVP_PKEY_free(signer);
	EVP_PKEY_free(stranger);
	ag_jwks_free(keyset);
	return 0;
}

/* RS256 compact token of header and claims signed with key. */
static char *
sign(EVP_PKEY *key, const char *header, const char *claims)
{
	char *h = ag_b64url_encode((const uint8_t *)header, strlen(header));
	char *c = ag_b64url_encode((const uint8_t *)claims, strlen(claims));
	char *input = malloc(strlen(h) + strlen(c) + 2), *s64, *tok;
	uint8_t sig[512];
	size_t sl = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	sprintf(input, "%s.%s", h, c);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &sl, (const uint8_t *)input, strlen(input)), 1);
	EVP_MD_CTX_free(ctx);
	s64 = ag_b64url_encode(sig, sl);
	tok = malloc(strlen(input) + strlen(s64) + 2);
	sprintf(tok, "%s.%s", input, s64);
	free(h);
	free(c);
	free(input);
	free(s64);
	return tok;
}

#define HDR "{\"alg\":\"RS256\",\"kid\":\"k1\",\"jku\":\"" ISS "/certs\",\"typ\":\"JWT\"}"

static void
opts(struct ag_token_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->issuer = ISS;
	o->algs = rs256;
	o->now = NOW;
	o->clock_skew_s = 30;
}

static enum ag_code
check(EVP_PKEY *key, const char *header, const char *claims, const struct ag_token_opts *o, struct ag_err *err)
{
	char *tok = sign(key, header, claims);
	json_t *out = (json_t *)1;
	struct ag_token_info info;
	enum ag_code rc;

	ag_err_clear(err);
	rc = ag_token_verify((const uint8_t *)tok, strlen(tok), keyset, o, &out, &info, err);
	if (rc == AG_OK)
		assert_true(json_is_object(out));
	else
		assert_null(out);
	json_decref(out);
	free(tok);
	return rc;
}

static void
refused(EVP_PKEY *key, const char *header, const char *claims, const struct ag_token_opts *o, const char *why)
{
	struct ag_err err;

	assert_int_equal(check(key, header, claims, o, &err), AG_EINVALID);
	if (strstr(err.msg, why) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", claims, err.msg, why);
}

/* Claims with iss, exp, iat, nbf around NOW, plus extra members. */
static char *
claims_at(long exp, long iat, long nbf, const char *extra)
{
	char *s = malloc(512);

	snprintf(s, 512, "{\"iss\":\"" ISS "\",\"exp\":%ld,\"iat\":%ld,\"nbf\":%ld,\"jti\":\"j-1\"%s%s}", exp, iat, nbf,
	    extra != NULL ? "," : "", extra != NULL ? extra : "");
	return s;
}

static void
test_synthetic_ok(void **state)
{
	struct ag_token_opts o;
	struct ag_token_info info;
	struct ag_err err;
	char *c = claims_at(NOW + 100, NOW - 100, NOW - 100, NULL);

	(void)state;
	opts(&o);
	{
		/* info.jti points into the claims: read it while they are held. */
		char *tok = sign(signer, HDR, c);
		json_t *claims = NULL;

		assert_int_equal(ag_token_verify((const uint8_t *)tok, strlen(tok), keyset, &o, &claims, &info, &err), AG_OK);
		assert_int_equal(info.exp, NOW + 100);
		assert_int_equal(info.iat, NOW - 100);
		assert_string_equal(info.jti, "j-1");
		assert_ptr_equal(info.jti, json_string_value(json_object_get(claims, "jti")));
		assert_string_equal(info.kid, "k1");
		assert_ptr_equal(info.kid, keyset->keys[0].kid);
		assert_int_equal(json_integer_value(json_object_get(claims, "nbf")), NOW - 100);
		json_decref(claims);
		free(tok);
	}
	/* jku is optional; kid is not. */
	assert_int_equal(check(signer, "{\"alg\":\"RS256\",\"kid\":\"k1\"}", c, &o, &err), AG_OK);
	refused(signer, "{\"alg\":\"RS256\"}", c, &o, "no kid");
	refused(signer, "{\"alg\":\"RS256\",\"kid\":\"k9\"}", c, &o, "kid k9, which is not a key of " ISS "/certs");
	refused(signer, "{\"alg\":\"RS256\",\"kid\":\"k1\",\"jku\":\"https://evil.example/certs\"}", c, &o,
	    "jku https://evil.example/certs is not " ISS "/certs");
	refused(signer, "{\"alg\":\"RS256\",\"kid\":\"k1\",\"jku\":\"" ISS "/certs/\"}", c, &o, "jku");
	/* Header rules come first. */
	refused(signer, "{\"alg\":\"RS256\",\"kid\":\"k1\",\"x5u\":\"https://evil\"}", c, &o, "x5u");
	refused(signer, "{\"alg\":\"HS256\",\"kid\":\"k1\"}", c, &o, "HMAC");
	/* Signed by a key that is not the one named. */
	refused(stranger, HDR, c, &o, "does not verify with key k1");
	/* No x5c: an allowlist of signers cannot be met. */
	{
		static const char *const list[] = { "aa", NULL };

		o.signer_sha256 = list;
		refused(signer, HDR, c, &o, "(sha256 none: no x5c) is not on the allowlist");
	}
	free(c);
}

static void
test_synthetic_issuer(void **state)
{
	struct ag_token_opts o;
	char *c;

	(void)state;
	opts(&o);
	refused(signer, HDR, "{\"exp\":1700000100}", &o, "token issuer (none) is not the pinned instance");
	refused(signer, HDR, "{\"iss\":7,\"exp\":1700000100}", &o, "issuer (none)");
	refused(signer, HDR, "{\"iss\":\"https://other.attest.azure.net\",\"exp\":1700000100}", &o,
	    "issuer https://other.attest.azure.net is not the pinned instance " ISS);
	refused(signer, HDR, "{\"iss\":\"" ISS "/\",\"exp\":1700000100}", &o, "is not the pinned instance");
	refused(signer, HDR, "{\"iss\":\"HTTPS://TEST.attest.azure.net\",\"exp\":1700000100}", &o, "is not the pinned");
	c = claims_at(NOW + 1, 0, 0, NULL);
	o.issuer = "https://other.attest.azure.net";
	refused(signer, "{\"alg\":\"RS256\",\"kid\":\"k1\"}", c, &o, "is not the pinned instance https://other");
	free(c);
}

/* exp, nbf, iat: types, bounds and the skew on each side. */
static void
test_synthetic_times(void **state)
{
	struct ag_token_opts o;
	struct ag_err err;
	char *c;

	(void)state;
	opts(&o);
	refused(signer, HDR, "{\"iss\":\"" ISS "\"}", &o, "no exp claim");
	refused(signer, HDR, "{\"iss\":\"" ISS "\",\"exp\":\"1700000100\"}", &o, "exp is not a NumericDate");
	refused(signer, HDR, "{\"iss\":\"" ISS "\",\"exp\":1700000100.5}", &o, "exp is not a NumericDate");
	refused(signer, HDR, "{\"iss\":\"" ISS "\",\"exp\":-1}", &o, "exp is not a NumericDate");
	refused(signer, HDR, "{\"iss\":\"" ISS "\",\"exp\":253402300800}", &o, "exp (253402300800) is after the year 9999");
	refused(signer, HDR, "{\"iss\":\"" ISS "\",\"exp\":9223372036854775807}", &o, "after the year 9999");
	refused(signer, HDR, "{\"iss\":\"" ISS "\",\"exp\":1700000100,\"nbf\":true}", &o, "nbf is not a NumericDate");
	refused(signer, HDR, "{\"iss\":\"" ISS "\",\"exp\":1700000100,\"iat\":null}", &o, "iat is not a NumericDate");
	assert_int_equal(check(signer, HDR, "{\"iss\":\"" ISS "\",\"exp\":253402300799}", &o, &err), AG_OK);
	/* exp: the skew past it, not a second more. */
	c = claims_at(NOW - 30, NOW - 100, NOW - 100, NULL);
	assert_int_equal(check(signer, HDR, c, &o, &err), AG_OK);
	free(c);
	c = claims_at(NOW - 31, NOW - 100, NOW - 100, NULL);
	refused(signer, HDR, c, &o, "token expired at 2023-11-14T22:12:49Z (now 2023-11-14T22:13:20Z)");
	free(c);
	/* nbf: the skew before it. */
	c = claims_at(NOW + 100, NOW - 100, NOW + 30, NULL);
	assert_int_equal(check(signer, HDR, c, &o, &err), AG_OK);
	free(c);
	c = claims_at(NOW + 100, NOW - 100, NOW + 31, NULL);
	refused(signer, HDR, c, &o, "not valid before 2023-11-14T22:13:51Z");
	free(c);
	/* iat in the future. */
	c = claims_at(NOW + 100, NOW + 30, 0, NULL);
	assert_int_equal(check(signer, HDR, c, &o, &err), AG_OK);
	free(c);
	c = claims_at(NOW + 100, NOW + 31, 0, NULL);
	refused(signer, HDR, c, &o, "issued in the future");
	free(c);
}

static void
test_synthetic_max_age(void **state)
{
	struct ag_token_opts o;
	struct ag_err err;
	char *c;

	(void)state;
	opts(&o);
	o.max_age_s = 300;
	c = claims_at(NOW + 100, NOW - 330, 0, NULL);
	assert_int_equal(check(signer, HDR, c, &o, &err), AG_OK);
	free(c);
	c = claims_at(NOW + 100, NOW - 331, 0, NULL);
	refused(signer, HDR, c, &o, "more than maxTokenAge 300s before now");
	free(c);
	/* With a maximum age, iat is required. */
	refused(signer, HDR, "{\"iss\":\"" ISS "\",\"exp\":1700000100}", &o, "no iat claim");
	o.max_age_s = 0;
	assert_int_equal(check(signer, HDR, "{\"iss\":\"" ISS "\",\"exp\":1700000100}", &o, &err), AG_OK);
}

/* The nonce and user data, checked inside ag_token_verify after the signature. */
static void
test_synthetic_nonce(void **state)
{
	struct ag_token_opts o;
	struct ag_err err;
	char *c = claims_at(NOW + 100, NOW, 0, "\"x-ms-attestation-type\":\"sevsnpvm\",\"x-ms-runtime\":{\"nonce\":\"0a0b\"}");
	char *az = claims_at(NOW + 100, NOW, 0, "\"x-ms-attestation-type\":\"azurevm\",\"x-ms-runtime\":{\"client-payload\":"
					       "{\"nonce\":\"MTIzNA==\"}},\"x-ms-isolation-tee\":{\"x-ms-runtime\":"
					       "{\"user-data\":\"AABBCC\"}}");

	(void)state;
	opts(&o);
	o.nonce = "0a0b";
	o.nonce_site = AG_NONCE_RUNTIME;
	assert_int_equal(check(signer, HDR, c, &o, &err), AG_OK);
	o.nonce = "0a0c";
	refused(signer, HDR, c, &o, "token nonce at /x-ms-runtime/nonce is not this run's nonce");
	o.nonce_site = AG_NONCE_AZUREGUEST;
	o.nonce = "0a0b";
	refused(signer, HDR, c, &o, "carries no nonce at /x-ms-runtime/client-payload/nonce");
	o.nonce = "MTIzNA==";
	o.user_data = "aabbcc";
	assert_int_equal(check(signer, HDR, az, &o, &err), AG_OK);
	o.user_data = "aabbcd";
	refused(signer, HDR, az, &o, "the HCL report is stale");
	/* User data is checked with or without a nonce. */
	o.nonce = NULL;
	refused(signer, HDR, az, &o, "the HCL report is stale");
	/* The nonce is checked only after the signature: a forged token fails on its signature. */
	o.user_data = NULL;
	o.nonce = "nope";
	refused(stranger, HDR, az, &o, "does not verify");
	free(c);
	free(az);
}

static void
test_nonce_sites(void **state)
{
	json_t *ag = json_pack("{s:s, s:{s:{s:s}}, s:{s:{s:s}}}", "x-ms-attestation-type", "azurevm", "x-ms-runtime",
	    "client-payload", "nonce", "abc", "x-ms-isolation-tee", "x-ms-runtime", "user-data", "AABB");
	json_t *snp = json_pack("{s:s, s:{s:s}}", "x-ms-attestation-type", "sevsnpvm", "x-ms-runtime", "nonce", "abc");
	json_t *odd = json_pack("{s:i, s:{s:i}}", "x-ms-attestation-type", 1, "x-ms-runtime", "nonce", 5);
	struct ag_token_opts o;
	struct ag_err err;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(ag_token_nonce_site_of(ag), AG_NONCE_AZUREGUEST);
	assert_int_equal(ag_token_nonce_site_of(snp), AG_NONCE_RUNTIME);
	assert_int_equal(ag_token_nonce_site_of(odd), AG_NONCE_RUNTIME);
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
	o.user_data = "aab";
	assert_int_equal(ag_token_check_nonce(ag, &o, &err), AG_EINVALID);
	o.user_data = NULL;
	o.nonce_site = AG_NONCE_RUNTIME;
	assert_int_equal(ag_token_check_nonce(snp, &o, &err), AG_OK);
	assert_int_equal(ag_token_check_nonce(ag, &o, &err), AG_EINVALID);
	assert_int_equal(ag_token_check_nonce(odd, &o, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "carries no nonce at /x-ms-runtime/nonce"));
	o.nonce = "abcd";
	assert_int_equal(ag_token_check_nonce(snp, &o, &err), AG_EINVALID);
	o.nonce = "ab";
	assert_int_equal(ag_token_check_nonce(snp, &o, &err), AG_EINVALID);
	o.nonce = "ABC";
	assert_int_equal(ag_token_check_nonce(snp, &o, &err), AG_EINVALID);
	json_decref(ag);
	json_decref(snp);
	json_decref(odd);
}

/* A nonce claim with a NUL in it is not the nonce it starts with. */
static void
test_nonce_embedded_nul(void **state)
{
	json_t *c = json_object(), *rt = json_object();
	struct ag_token_opts o;
	struct ag_err err;

	(void)state;
	json_object_set_new(rt, "nonce", json_stringn("abc\0def", 7));
	json_object_set_new(c, "x-ms-runtime", rt);
	memset(&o, 0, sizeof(o));
	o.nonce = "abc";
	o.nonce_site = AG_NONCE_RUNTIME;
	assert_int_equal(ag_token_check_nonce(c, &o, &err), AG_EINVALID);
	json_decref(c);
}

/*
 * The same for user data: token.c compares it with strcasecmp and no length
 * check, so "AABB\0CC" passes for "aabb".  Skipped visibly until lib/ is fixed.
 */
static void
test_user_data_embedded_nul(void **state)
{
	json_t *c = json_pack("{s:{s:{s:o}}}", "x-ms-isolation-tee", "x-ms-runtime", "user-data",
	    json_stringn("AABB\0CC", 7));
	struct ag_token_opts o;
	struct ag_err err;
	enum ag_code rc;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.user_data = "aabb";
	rc = ag_token_check_nonce(c, &o, &err);
	json_decref(c);
	if (rc == AG_OK) {
		print_message("# regression: lib/format/token.c was: user-data \"AABB\\0CC\" accepted for \"aabb\"\n");
		fail();
	}
	assert_int_equal(rc, AG_EINVALID);
}

static void
test_issuer_normalize(void **state)
{
	char a[] = "https://x.attest.azure.net///", b[] = "http://x", c[] = "https://x/?q", d[] = "https://",
	     e[] = "https://u@x", f[] = "https://x#frag", g[] = "https://x y", h[] = "https:///x", i[] = "https://x\x7f",
	     j[] = "https://x.attest.azure.net", k[] = "https://x:8443/", l[] = "HTTPS://x", m[] = "https://x/path/";
	char longu[600];

	(void)state;
	assert_null(ag_token_issuer_normalize(a));
	assert_string_equal(a, "https://x.attest.azure.net");
	assert_null(ag_token_issuer_normalize(j));
	assert_string_equal(j, "https://x.attest.azure.net");
	assert_null(ag_token_issuer_normalize(k));
	assert_string_equal(k, "https://x:8443");
	assert_null(ag_token_issuer_normalize(m));
	assert_string_equal(m, "https://x/path");
	assert_string_equal(ag_token_issuer_normalize(b), "must be an https:// URL");
	assert_string_equal(b, "http://x");
	assert_non_null(ag_token_issuer_normalize(c));
	assert_string_equal(ag_token_issuer_normalize(d), "must be an https:// URL");
	assert_non_null(ag_token_issuer_normalize(e));
	assert_non_null(ag_token_issuer_normalize(f));
	assert_non_null(ag_token_issuer_normalize(g));
	assert_non_null(ag_token_issuer_normalize(h));
	assert_non_null(ag_token_issuer_normalize(i));
	assert_non_null(ag_token_issuer_normalize(l));
	memset(longu, 'a', sizeof(longu) - 1);
	longu[sizeof(longu) - 1] = '\0';
	memcpy(longu, "https://", 8);
	longu[512] = '\0';
	assert_null(ag_token_issuer_normalize(longu));
	longu[512] = 'a';
	assert_string_equal(ag_token_issuer_normalize(longu), "is too long");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_maa_token),
		cmocka_unit_test(test_real_maa_token_pins),
		cmocka_unit_test(test_synthetic_ok),
		cmocka_unit_test(test_synthetic_issuer),
		cmocka_unit_test(test_synthetic_times),
		cmocka_unit_test(test_synthetic_max_age),
		cmocka_unit_test(test_synthetic_nonce),
		cmocka_unit_test(test_nonce_sites),
		cmocka_unit_test(test_nonce_embedded_nul),
		cmocka_unit_test(test_user_data_embedded_nul),
		cmocka_unit_test(test_issuer_normalize),
	};

	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
