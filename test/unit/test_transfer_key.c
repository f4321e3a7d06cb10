/*
 * test_transfer_key.c - lib/release/transfer_key.c: a generated software
 * key (RSA-2048, kid its RFC 7638 thumbprint), whether a token's
 * x-ms-runtime.keys names it, its RSA-OAEP decryption (SHA-1, SHA-256,
 * SHA-384) of blocks OpenSSL encrypted to its public key, and the vTPM's
 * ephemeral key: taken from the token's TpmEphemeralEncryptionKey, and
 * against swtpm (one per test, on a unix socket in its own directory, an AK
 * persisted at 0x81000003 as on an Azure CVM) decrypting RSA-OAEP blocks and
 * a whole key_hsm envelope inside the TPM.  Skipped visibly without swtpm.
 */
#include "standin.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <sys/un.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tcti_swtpm.h>

#include "base/base64.h"
#include "format/key_release.h"
#include "format/tpm_attest.h"
#include "node/tpm.h"
#include "platform/platform.h"
#include "release/transfer_key.h"

#define AK 0x81000003u

/* --- helpers -------------------------------------------------------------- */

/* RSA-OAEP (md, MGF1 md, empty label) of in to pub; the block's length. */
static size_t
oaep_encrypt(EVP_PKEY *pub, const char *md, const uint8_t *in, size_t in_len, uint8_t out[512])
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	size_t n = 512;

	assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md_name(c, md, NULL), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md_name(c, md, NULL), 1);
	assert_int_equal(EVP_PKEY_encrypt(c, out, &n, in, in_len), 1);
	EVP_PKEY_CTX_free(c);
	return n;
}

/* Claims {"x-ms-runtime": {"keys": [keys...]}} (the references are taken). */
static json_t *
claims_with(json_t *k1, json_t *k2)
{
	json_t *keys = json_array(), *c;

	if (k1 != NULL)
		json_array_append_new(keys, k1);
	if (k2 != NULL)
		json_array_append_new(keys, k2);
	c = json_pack("{s:{s:o},s:s}", "x-ms-runtime", "keys", keys, "x-ms-attestation-type", "sevsnpvm");
	assert_non_null(c);
	return c;
}

static void
in_token_fails(const struct ag_transfer_key *k, json_t *claims, const char *why)
{
	struct ag_err err;

	ag_err_clear(&err);
	assert_int_equal(ag_transfer_key_in_token(k, claims, &err), AG_EINVALID);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
	json_decref(claims);
}

/* --- the software key ------------------------------------------------------ */

static void
test_generate(void **state)
{
	struct ag_transfer_key k;
	json_t *jwk = NULL;
	char kid[AG_SKR_KID_MAX];
	const char *n;
	uint8_t *raw = NULL;
	size_t len = 0;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_transfer_key_generate(&k, &jwk, &err), AG_OK);
	assert_non_null(k.rsa);
	assert_null(k.tcti);
	assert_true(EVP_PKEY_is_a(k.rsa, "RSA"));
	assert_int_equal(EVP_PKEY_get_bits(k.rsa), 2048);
	assert_int_equal(k.modulus_len, 256);
	/* Its public JWK: n of 256 bytes, e 65537, for encryption, kid the thumbprint (also in k). */
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "RSA");
	assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
	assert_string_equal(json_string_value(json_array_get(json_object_get(jwk, "key_ops"), 0)), "encrypt");
	assert_null(json_object_get(jwk, "d"));
	n = json_string_value(json_object_get(jwk, "n"));
	assert_non_null(n);
	assert_int_equal(ag_b64url_decode(n, strlen(n), &raw, &len), 0);
	assert_int_equal(len, 256);
	free(raw);
	assert_int_equal(ag_jwk_rsa_thumbprint(jwk, kid, &err), AG_OK);
	assert_string_equal(k.kid, kid);
	assert_string_equal(json_string_value(json_object_get(jwk, "kid")), kid);
	assert_int_equal(strlen(kid), 43);
	json_decref(jwk);
	/* Another run, another key. */
	{
		struct ag_transfer_key k2;
		json_t *jwk2 = NULL;

		assert_int_equal(ag_transfer_key_generate(&k2, &jwk2, &err), AG_OK);
		assert_string_not_equal(k2.kid, k.kid);
		assert_int_equal(EVP_PKEY_eq(k.rsa, k2.rsa), 0);
		json_decref(jwk2);
		ag_transfer_key_clear(&k2);
	}
	ag_transfer_key_clear(&k);
	assert_null(k.rsa);
	ag_transfer_key_clear(&k);   /* twice is harmless */
}

static void
test_in_token(void **state)
{
	struct ag_transfer_key k, other;
	json_t *jwk = NULL, *ojwk = NULL, *j;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_transfer_key_generate(&k, &jwk, &err), AG_OK);
	assert_int_equal(ag_transfer_key_generate(&other, &ojwk, &err), AG_OK);
	/* The same JWK, alone or after another key. */
	ag_err_clear(&err);
	j = claims_with(json_deep_copy(jwk), NULL);
	assert_int_equal(ag_transfer_key_in_token(&k, j, &err), AG_OK);
	json_decref(j);
	j = claims_with(json_deep_copy(ojwk), json_deep_copy(jwk));
	assert_int_equal(ag_transfer_key_in_token(&k, j, &err), AG_OK);
	assert_int_equal(ag_transfer_key_in_token(&other, j, &err), AG_OK);
	json_decref(j);
	/* Only n, e and kid count: the token may carry key_ops or not. */
	j = json_pack("{s:s,s:s,s:s,s:s}", "kty", "RSA", "kid", k.kid, "n", json_string_value(json_object_get(jwk, "n")),
	    "e", "AQAB");
	j = claims_with(j, NULL);
	assert_int_equal(ag_transfer_key_in_token(&k, j, &err), AG_OK);
	json_decref(j);
	/* This kid with another key's n: not this run's key. */
	j = json_deep_copy(jwk);
	json_object_set(j, "n", json_object_get(ojwk, "n"));
	in_token_fails(&k, claims_with(j, NULL), "is not this run's transfer key");
	/* Another e. */
	j = json_deep_copy(jwk);
	json_object_set_new(j, "e", json_string("AQAD"));
	in_token_fails(&k, claims_with(j, NULL), "is not this run's transfer key");
	/* n missing. */
	j = json_deep_copy(jwk);
	json_object_del(j, "n");
	in_token_fails(&k, claims_with(j, NULL), "is not this run's transfer key");
	/* The JWK without its kid, or under another kid: the token does not hold the key. */
	j = json_deep_copy(jwk);
	json_object_del(j, "kid");
	in_token_fails(&k, claims_with(j, NULL), "does not hold the transfer key");
	j = json_deep_copy(jwk);
	json_object_set_new(j, "kid", json_string("TpmEphemeralEncryptionKey"));
	in_token_fails(&k, claims_with(j, NULL), "does not hold the transfer key");
	/* Only the other key; no keys; no x-ms-runtime; keys not a list. */
	in_token_fails(&k, claims_with(json_deep_copy(ojwk), NULL), "does not hold the transfer key");
	in_token_fails(&k, claims_with(NULL, NULL), "does not hold the transfer key");
	in_token_fails(&k, json_pack("{s:s}", "x-ms-attestation-type", "sevsnpvm"), "does not hold the transfer key");
	in_token_fails(&k, json_pack("{s:{s:o}}", "x-ms-runtime", "keys", json_deep_copy(jwk)),
	    "does not hold the transfer key");
	json_decref(jwk);
	json_decref(ojwk);
	ag_transfer_key_clear(&k);
	ag_transfer_key_clear(&other);
}

static void
test_decrypt_round_trip(void **state)
{
	static const char *const mds[] = { "SHA256", "SHA1", "SHA384" };
	struct ag_transfer_key k;
	json_t *jwk = NULL;
	uint8_t secret[32], block[512], *out = NULL;
	size_t bl, ol = 0;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_transfer_key_generate(&k, &jwk, &err), AG_OK);
	json_decref(jwk);
	assert_int_equal(RAND_bytes(secret, sizeof(secret)), 1);
	for (size_t i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
		bl = oaep_encrypt(k.rsa, mds[i], secret, sizeof(secret), block);
		assert_int_equal(bl, 256);
		ag_err_clear(&err);
		if (ag_transfer_key_decrypt(&k, mds[i], block, bl, &out, &ol, &err) != AG_OK)
			fail_msg("OAEP %s: %s", mds[i], err.msg);
		assert_int_equal(ol, sizeof(secret));
		assert_memory_equal(out, secret, sizeof(secret));
		ag_skr_free_secret(out, ol);
		out = NULL;
		/* With another digest: refused, nothing returned. */
		out = (uint8_t *)1;
		assert_int_equal(ag_transfer_key_decrypt(&k, mds[(i + 1) % 3], block, bl, &out, &ol, &err), AG_EINVALID);
		assert_null(out);
		assert_non_null(strstr(err.msg, "cannot decrypt"));
		/* Altered. */
		block[40] ^= 0x04;
		assert_int_equal(ag_transfer_key_decrypt(&k, mds[i], block, bl, &out, &ol, &err), AG_EINVALID);
		assert_null(out);
	}
	/* A digest OpenSSL does not know, a block of the wrong length. */
	bl = oaep_encrypt(k.rsa, "SHA256", secret, sizeof(secret), block);
	assert_int_equal(ag_transfer_key_decrypt(&k, "NO-SUCH-MD", block, bl, &out, &ol, &err), AG_EINVALID);
	assert_null(out);
	assert_int_equal(ag_transfer_key_decrypt(&k, "SHA256", block, bl - 1, &out, &ol, &err), AG_EINVALID);
	assert_null(out);
	/* Encrypted to another key. */
	{
		struct ag_transfer_key k2;

		assert_int_equal(ag_transfer_key_generate(&k2, &jwk, &err), AG_OK);
		json_decref(jwk);
		bl = oaep_encrypt(k2.rsa, "SHA256", secret, sizeof(secret), block);
		assert_int_equal(ag_transfer_key_decrypt(&k, "SHA256", block, bl, &out, &ol, &err), AG_EINVALID);
		assert_null(out);
		ag_transfer_key_clear(&k2);
	}
	ag_transfer_key_clear(&k);
}

/* --- the vTPM's key, from the token ---------------------------------------- */

/* A TpmEphemeralEncryptionKey JWK whose n has n_len bytes. */
static json_t *
tpm_jwk(size_t n_len)
{
	uint8_t n[512];
	char *b;
	json_t *j;

	memset(n, 0xc5, sizeof(n));
	b = ag_b64url_encode(n, n_len);
	assert_non_null(b);
	j = json_pack("{s:s,s:s,s:s,s:s,s:[s]}", "kid", AG_TRANSFER_KEY_TPM_KID, "kty", "RSA", "n", b, "e", "AQAB", "key_ops",
	    "encrypt");
	free(b);
	return j;
}

static void
test_tpm_from_claims(void **state)
{
	struct ag_transfer_key k;
	json_t *c;
	struct ag_err err;
	const char *tcti = "swtpm:path=/nonexistent/tpm.sock";

	(void)state;
	/* As MAA writes it for an Azure CVM: next to the TpmEphemeralEncryptionKey another key. */
	c = claims_with(json_pack("{s:s,s:s,s:s,s:s}", "kid", "HCLAkPub", "kty", "RSA", "n", "AQAB", "e", "AQAB"),
	    tpm_jwk(256));
	ag_err_clear(&err);
	assert_int_equal(ag_transfer_key_tpm(&k, tcti, c, &err), AG_OK);
	assert_null(k.rsa);
	assert_string_equal(k.tcti, tcti);
	assert_string_equal(k.kid, AG_TRANSFER_KEY_TPM_KID);
	assert_int_equal(k.modulus_len, 256);
	/* It names itself in the token (no software key to compare). */
	assert_int_equal(ag_transfer_key_in_token(&k, c, &err), AG_OK);
	json_decref(c);
	/* The modulus length comes from n (padded base64url too). */
	c = claims_with(tpm_jwk(384), NULL);
	assert_int_equal(ag_transfer_key_tpm(&k, tcti, c, &err), AG_OK);
	assert_int_equal(k.modulus_len, 384);
	json_decref(c);
	{
		uint8_t n[256];
		char *padded;

		memset(n, 1, sizeof(n));
		padded = ag_b64url_encode_padded(n, 256);
		assert_non_null(strchr(padded, '='));
		c = claims_with(json_pack("{s:s,s:s}", "kid", AG_TRANSFER_KEY_TPM_KID, "n", padded), NULL);
		assert_int_equal(ag_transfer_key_tpm(&k, tcti, c, &err), AG_OK);
		assert_int_equal(k.modulus_len, 256);
		json_decref(c);
		free(padded);
	}
	/* Without it: no key, no n, n not base64url, n empty; no x-ms-runtime at all. */
	{
		json_t *bad[5];

		bad[0] = claims_with(json_pack("{s:s,s:s,s:s}", "kid", "HCLAkPub", "kty", "RSA", "n", "AQAB"), NULL);
		bad[1] = claims_with(json_pack("{s:s,s:s}", "kid", AG_TRANSFER_KEY_TPM_KID, "kty", "RSA"), NULL);
		bad[2] = claims_with(json_pack("{s:s,s:s}", "kid", AG_TRANSFER_KEY_TPM_KID, "n", "not base64url!"), NULL);
		bad[3] = claims_with(json_pack("{s:s,s:s}", "kid", AG_TRANSFER_KEY_TPM_KID, "n", ""), NULL);
		bad[4] = json_pack("{s:s}", "x-ms-attestation-type", "azurevm");
		for (size_t i = 0; i < 5; i++) {
			ag_err_clear(&err);
			assert_int_equal(ag_transfer_key_tpm(&k, tcti, bad[i], &err), AG_EINVALID);
			assert_int_equal(k.modulus_len, 0);
			assert_non_null(strstr(err.msg, AG_TRANSFER_KEY_TPM_KID));
			json_decref(bad[i]);
		}
	}
	/* The vTPM named is not there: decrypting says so, returns nothing. */
	c = claims_with(tpm_jwk(256), NULL);
	assert_int_equal(ag_transfer_key_tpm(&k, tcti, c, &err), AG_OK);
	json_decref(c);
	{
		uint8_t block[256] = { 1 }, *out = (uint8_t *)1;
		size_t ol = 0;

		ag_err_clear(&err);
		assert_int_not_equal(ag_transfer_key_decrypt(&k, "SHA256", block, sizeof(block), &out, &ol, &err), AG_OK);
		assert_null(out);
		assert_true(err.msg[0] != '\0');
	}
	ag_transfer_key_clear(&k);
}

/* --- the vTPM's key, against swtpm ----------------------------------------- */

/* A restricted RSA-2048 signing key persisted at AK, as on an Azure CVM (the ephemeral key is certified by it). */
static void
make_ak(const char *sock)
{
	char conf[4200];
	size_t size = 0;
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC tmpl = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION none = { 0 };
	ESYS_TR key = ESYS_TR_NONE, persistent = ESYS_TR_NONE;

	snprintf(conf, sizeof(conf), "path=%s", sock);
	assert_int_equal(Tss2_Tcti_Swtpm_Init(NULL, &size, conf), TSS2_RC_SUCCESS);
	tcti = calloc(1, size);
	assert_non_null(tcti);
	assert_int_equal(Tss2_Tcti_Swtpm_Init(tcti, &size, conf), TSS2_RC_SUCCESS);
	assert_int_equal(Esys_Initialize(&esys, tcti, NULL), TSS2_RC_SUCCESS);
	tmpl.publicArea.type = TPM2_ALG_RSA;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
	    TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH;
	tmpl.publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	tmpl.publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
	tmpl.publicArea.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.parameters.rsaDetail.keyBits = 2048;
	assert_int_equal(Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
	    &tmpl, &outside, &none, &key, NULL, NULL, NULL, NULL), TSS2_RC_SUCCESS);
	assert_int_equal(Esys_EvictControl(esys, ESYS_TR_RH_OWNER, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, AK,
	    &persistent), TSS2_RC_SUCCESS);
	Esys_FlushContext(esys, key);
	Esys_TR_Close(esys, &persistent);
	Esys_Finalize(&esys);
	Tss2_Tcti_Finalize(tcti);
	free(tcti);
}

/* Per test: a swtpm of its own with the AK; e->dir stays NULL (the test skips) without swtpm. */
static int
setup(void **state)
{
	struct si_swtpm *e = calloc(1, sizeof(*e));
	char *argv[] = { (char *)"swtpm", (char *)"--version", NULL };

	*state = e;
	if (e == NULL)
		return -1;
	setenv("TSS2_LOG", "all+NONE", 1);
	if (si_run(argv, NULL, NULL) != 0)
		return 0;
	si_swtpm_new(e);
	if (si_swtpm_start(e) != 0)
		return -1;
	make_ak(e->sock);
	return 0;
}

static int
teardown(void **state)
{
	struct si_swtpm *e = *state;

	if (e->dir != NULL)
		si_swtpm_free(e);
	free(e);
	return 0;
}

#define NEED_SWTPM(e)                                                                                  \
	do {                                                                                           \
		if ((e)->dir == NULL) {                                                                \
			print_message("# skipped: swtpm is not installed (make deps installs it)\n"); \
			skip();                                                                        \
		}                                                                                      \
	} while (0)

/* The ephemeral key for AG_AZURE_QUOTE_PCRS (what ag_transfer_key_decrypt uses) as an OpenSSL public key. */
static EVP_PKEY *
ephemeral_public(const char *spec)
{
	struct ag_tpm *t = NULL;
	uint8_t *pub = NULL, *cert = NULL, *sig = NULL;
	size_t pl = 0, cl = 0, sl = 0;
	EVP_PKEY *k = NULL;
	struct ag_err err;

	if (ag_tpm_open(spec, &t, &err) != AG_OK)
		fail_msg("ag_tpm_open(%s): %s", spec, err.msg);
	if (ag_tpm_ephemeral_key(t, AK, AG_AZURE_QUOTE_PCRS, &pub, &pl, &cert, &cl, &sig, &sl, &err) != AG_OK)
		fail_msg("ag_tpm_ephemeral_key: %s", err.msg);
	assert_int_equal(ag_tpm_public_to_pkey(pub, pl, 0, &k, &err), AG_OK);
	assert_int_equal(EVP_PKEY_get_bits(k), 2048);
	free(pub);
	free(cert);
	free(sig);
	ag_tpm_close(t);
	return k;
}

static void
test_vtpm_oaep(void **state)
{
	static const char *const mds[] = { "SHA256", "SHA1" };
	struct si_swtpm *e = *state;
	uint8_t secret[32], block[512], *out = NULL;
	size_t bl, ol = 0;
	struct ag_tpm *t = NULL;
	EVP_PKEY *pub;
	struct ag_err err;
	enum ag_code rc;

	NEED_SWTPM(e);
	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 11 + 5);
	pub = ephemeral_public(e->spec);
	for (size_t i = 0; i < 2; i++) {
		bl = oaep_encrypt(pub, mds[i], secret, sizeof(secret), block);
		assert_int_equal(bl, 256);
		assert_int_equal(ag_tpm_open(e->spec, &t, &err), AG_OK);
		if (ag_tpm_ephemeral_decrypt(t, AG_AZURE_QUOTE_PCRS, mds[i], block, bl, &out, &ol, &err) != AG_OK)
			fail_msg("vTPM OAEP %s: %s", mds[i], err.msg);
		assert_int_equal(ol, sizeof(secret));
		assert_memory_equal(out, secret, sizeof(secret));
		free(out);
		out = NULL;
		/* The other digest: the TPM refuses it. */
		assert_int_equal(ag_tpm_ephemeral_decrypt(t, AG_AZURE_QUOTE_PCRS, mds[1 - i], block, bl, &out, &ol, &err),
		    AG_EINVALID);
		assert_null(out);
		assert_non_null(strstr(err.msg, "RSA-OAEP"));
		/* PKCS#1 v1.5 of an OAEP block: refused, or (when the random OAEP block happens to look like v1.5
		 * padding, about 1 run in 256) some bytes that are never the secret. */
		rc = ag_tpm_ephemeral_decrypt(t, AG_AZURE_QUOTE_PCRS, NULL, block, bl, &out, &ol, &err);
		if (rc == AG_OK) {
			assert_false(ol == sizeof(secret) && memcmp(out, secret, ol) == 0);
			free(out);
			out = NULL;
		} else
			assert_int_equal(rc, AG_EINVALID);
		assert_null(out);
		ag_tpm_close(t);
		/* Through the transfer key, as the release does (the vTPM opened by its TCTI). */
		{
			struct ag_transfer_key k = { .rsa = NULL, .tcti = e->spec, .kid = AG_TRANSFER_KEY_TPM_KID,
				.modulus_len = 256 };

			ag_err_clear(&err);
			if (ag_transfer_key_decrypt(&k, mds[i], block, bl, &out, &ol, &err) != AG_OK)
				fail_msg("transfer key (vTPM) OAEP %s: %s", mds[i], err.msg);
			assert_int_equal(ol, sizeof(secret));
			assert_memory_equal(out, secret, sizeof(secret));
			ag_skr_free_secret(out, ol);
			out = NULL;
		}
	}
	/* A digest the vTPM path does not take. */
	assert_int_equal(ag_tpm_open(e->spec, &t, &err), AG_OK);
	ag_err_clear(&err);
	assert_int_equal(ag_tpm_ephemeral_decrypt(t, AG_AZURE_QUOTE_PCRS, "MD5", block, bl, &out, &ol, &err), AG_ECONFIG);
	assert_null(out);
	ag_tpm_close(t);
	EVP_PKEY_free(pub);
}

/* A whole key_hsm envelope (RSA_AES_KEY_WRAP_256) wrapped to the vTPM's key, opened by ag_skr_unwrap through it. */
static void
test_vtpm_unwrap(void **state)
{
	struct si_swtpm *e = *state;
	uint8_t kek[32], m[32], block[512], *ct;
	size_t bl, ct_len;
	int w = 0, f = 0;
	EVP_CIPHER_CTX *c;
	EVP_PKEY *pub;
	json_t *claims, *payload, *env;
	char *ctb, *text, *hsm;
	struct ag_transfer_key k;
	struct ag_skr_key out;
	struct ag_err err;

	NEED_SWTPM(e);
	pub = ephemeral_public(e->spec);
	assert_int_equal(RAND_bytes(kek, sizeof(kek)), 1);
	assert_int_equal(RAND_bytes(m, sizeof(m)), 1);
	bl = oaep_encrypt(pub, "SHA256", kek, sizeof(kek), block);
	ct = malloc(bl + sizeof(m) + 8);
	assert_non_null(ct);
	memcpy(ct, block, bl);
	c = EVP_CIPHER_CTX_new();
	EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_wrap_pad(), NULL, kek, NULL), 1);
	assert_int_equal(EVP_EncryptUpdate(c, ct + bl, &w, m, (int)sizeof(m)), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, ct + bl + w, &f), 1);
	EVP_CIPHER_CTX_free(c);
	ct_len = bl + (size_t)(w + f);
	ctb = ag_b64url_encode(ct, ct_len);
	env = json_pack("{s:s,s:{},s:s}", "schema_version", "1.0", "header", "ciphertext", ctb);
	text = json_dumps(env, JSON_COMPACT);
	hsm = ag_b64url_encode((const uint8_t *)text, strlen(text));
	payload = json_pack("{s:{s:s},s:{s:{s:{s:s,s:s,s:s}}}}", "request", "enc", "RSA_AES_KEY_WRAP_256", "response", "key",
	    "key", "kty", "oct-HSM", "kid", "https://x.managedhsm.azure.net/keys/k/1", "key_hsm", hsm);
	assert_non_null(payload);
	/* The transfer key as the token names it: its n is the vTPM key's. */
	{
		BIGNUM *n = NULL;
		uint8_t nb[256];
		char *nb64;

		assert_int_equal(EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &n), 1);
		assert_int_equal(BN_bn2binpad(n, nb, sizeof(nb)), (int)sizeof(nb));
		BN_free(n);
		nb64 = ag_b64url_encode(nb, sizeof(nb));
		claims = claims_with(json_pack("{s:s,s:s,s:s,s:s}", "kid", AG_TRANSFER_KEY_TPM_KID, "kty", "RSA", "n", nb64, "e",
		    "AQAB"), NULL);
		free(nb64);
	}
	assert_int_equal(ag_transfer_key_tpm(&k, e->spec, claims, &err), AG_OK);
	ag_err_clear(&err);
	if (ag_skr_unwrap(payload, k.modulus_len, ag_transfer_key_decrypt, &k, &out, &err) != AG_OK)
		fail_msg("unwrap through the vTPM: %s", err.msg);
	assert_string_equal(out.kty, "oct");
	assert_int_equal(out.len, sizeof(m));
	assert_memory_equal(out.material, m, sizeof(m));
	ag_skr_key_clear(&out);
	ag_transfer_key_clear(&k);
	json_decref(claims);
	json_decref(payload);
	json_decref(env);
	free(hsm);
	free(text);
	free(ctb);
	free(ct);
	EVP_PKEY_free(pub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_in_token),
		cmocka_unit_test(test_decrypt_round_trip),
		cmocka_unit_test(test_tpm_from_claims),
		cmocka_unit_test_setup_teardown(test_vtpm_oaep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtpm_unwrap, setup, teardown),
	};

	return cmocka_run_group_tests_name("transfer_key", tests, NULL, NULL);
}
