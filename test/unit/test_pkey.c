/*
 * test_pkey.c - lib/base/pkey.c: public keys from raw parameters and raw
 * ECDSA signatures to DER.  Keys are made here with OpenSSL: the rebuilt
 * RSA and EC keys equal the originals and verify their signatures; points
 * off the curve, of the wrong size or group, and unknown groups give NULL;
 * r||s in both byte orders become the exact DER OpenSSL verifies.  Known
 * lib/ weaknesses are tested and skipped visibly.
 */
#include "testutil.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "base/pkey.h"

/* Signs msg with key (SHA-256); the DER signature, OPENSSL_free'd by the caller. */
static uint8_t *
sign(EVP_PKEY *key, const char *msg, size_t *len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t *sig;

	assert_non_null(c);
	assert_int_equal(EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(c, NULL, len, (const uint8_t *)msg, strlen(msg)), 1);
	sig = OPENSSL_malloc(*len);
	assert_non_null(sig);
	assert_int_equal(EVP_DigestSign(c, sig, len, (const uint8_t *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(c);
	return sig;
}

static int
verify(EVP_PKEY *key, const char *msg, const uint8_t *sig, size_t len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok;

	assert_non_null(c);
	assert_int_equal(EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, key), 1);
	ok = EVP_DigestVerify(c, sig, len, (const uint8_t *)msg, strlen(msg));
	EVP_MD_CTX_free(c);
	return ok == 1;
}

/* Big-endian bytes of a key's BIGNUM parameter (at most 512 bytes). */
static size_t
bn_param(const EVP_PKEY *k, const char *name, uint8_t out[512])
{
	BIGNUM *bn = NULL;
	int n;

	assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
	assert_true(BN_num_bytes(bn) <= 512);
	n = BN_bn2bin(bn, out);
	BN_free(bn);
	return (size_t)n;
}

static void
test_rsa_rebuilt(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), *pub, *other;
	uint8_t n[512], e[512], padded[513], *sig;
	size_t n_len, e_len, sig_len;

	(void)state;
	assert_non_null(key);
	n_len = bn_param(key, OSSL_PKEY_PARAM_RSA_N, n);
	e_len = bn_param(key, OSSL_PKEY_PARAM_RSA_E, e);
	assert_int_equal(n_len, 256);
	assert_memory_equal(e, "\x01\x00\x01", 3);
	pub = ag_pkey_rsa(n, n_len, e, e_len);
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_eq(pub, key), 1);
	assert_int_equal(EVP_PKEY_get_bits(pub), 2048);
	sig = sign(key, "attested", &sig_len);
	assert_true(verify(pub, "attested", sig, sig_len));
	assert_false(verify(pub, "attesteD", sig, sig_len));
	/* Leading zero octets do not change the key. */
	padded[0] = 0;
	memcpy(padded + 1, n, n_len);
	other = ag_pkey_rsa(padded, n_len + 1, e, e_len);
	assert_non_null(other);
	assert_int_equal(EVP_PKEY_eq(other, key), 1);
	EVP_PKEY_free(other);
	/* Another modulus is another key. */
	n[n_len - 1] ^= 2;
	other = ag_pkey_rsa(n, n_len, e, e_len);
	assert_non_null(other);
	assert_int_not_equal(EVP_PKEY_eq(other, key), 1);
	assert_false(verify(other, "attested", sig, sig_len));
	EVP_PKEY_free(other);
	OPENSSL_free(sig);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
}

/*
 * A public exponent of 1 makes every "signature" the padded digest itself:
 * anyone can forge one.  pkey.c checks EC points (EVP_PKEY_public_check)
 * but builds any RSA key it is given.
 */
static void
test_rsa_unchecked(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), *pub;
	uint8_t n[512], one[1] = { 1 }, even[256];
	size_t n_len;

	(void)state;
	assert_non_null(key);
	n_len = bn_param(key, OSSL_PKEY_PARAM_RSA_N, n);
	memcpy(even, n, n_len);
	even[n_len - 1] &= 0xfe;
	pub = ag_pkey_rsa(n, n_len, one, 1);
	EVP_PKEY_free(key);
	if (pub != NULL) {
		EVP_PKEY_free(pub);
		print_message("# regression: lib/base/pkey.c weakness: ag_pkey_rsa accepts e = 1 "
		    "(and even moduli, n = 0): no EVP_PKEY_public_check as for EC\n");
		fail();
	}
	assert_null(ag_pkey_rsa(even, n_len, (const uint8_t *)"\x01\x00\x01", 3));
}

/* The uncompressed point of an EC key, and its coordinate size. */
static size_t
ec_point(EVP_PKEY *k, uint8_t pt[1 + 2 * 66])
{
	size_t len = 0;

	assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, 1 + 2 * 66, &len), 1);
	assert_int_equal(pt[0], 0x04);
	return len;
}

static void
ec_rebuilt(const char *group, size_t size)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group), *pub;
	uint8_t pt[1 + 2 * 66], *sig;
	size_t len, sig_len;

	assert_non_null(key);
	len = ec_point(key, pt);
	assert_int_equal(len, 1 + 2 * size);
	pub = ag_pkey_ec(group, pt, len);
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_eq(pub, key), 1);
	sig = sign(key, "report", &sig_len);
	assert_true(verify(pub, "report", sig, sig_len));
	assert_false(verify(pub, "Report", sig, sig_len));
	OPENSSL_free(sig);
	EVP_PKEY_free(pub);
	/* Off the curve: one bit of y. */
	pt[len - 1] ^= 1;
	assert_null(ag_pkey_ec(group, pt, len));
	pt[len - 1] ^= 1;
	/* Truncated, too long, no 0x04, the point at infinity, all zero. */
	assert_null(ag_pkey_ec(group, pt, len - 1));
	assert_null(ag_pkey_ec(group, pt, 1 + size));
	pt[0] = 0x05;
	assert_null(ag_pkey_ec(group, pt, len));
	pt[0] = 0x00;
	assert_null(ag_pkey_ec(group, pt, 1));
	memset(pt, 0, sizeof(pt));
	pt[0] = 0x04;
	assert_null(ag_pkey_ec(group, pt, len));
	EVP_PKEY_free(key);
}

static void
test_ec_p256(void **state)
{
	(void)state;
	ec_rebuilt("prime256v1", 32);
}

static void
test_ec_p384(void **state)
{
	(void)state;
	ec_rebuilt("secp384r1", 48);
}

static void
test_ec_wrong_group(void **state)
{
	EVP_PKEY *k256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	uint8_t pt[1 + 2 * 66], big[1 + 2 * 66];
	size_t len;

	(void)state;
	assert_non_null(k256);
	len = ec_point(k256, pt);
	assert_null(ag_pkey_ec("secp384r1", pt, len));
	assert_null(ag_pkey_ec("no-such-curve", pt, len));
	assert_null(ag_pkey_ec("", pt, len));
	/* A P-256 point padded to P-384 size is not a P-384 point. */
	memset(big, 0, sizeof(big));
	big[0] = 0x04;
	memcpy(big + 1 + 16, pt + 1, 32);
	memcpy(big + 1 + 48 + 16, pt + 33, 32);
	assert_null(ag_pkey_ec("secp384r1", big, 97));
	EVP_PKEY_free(k256);
}

static void
test_ecdsa_der_exact(void **state)
{
	static const uint8_t want[] = { 0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x01 };
	static const uint8_t r[] = { 0x00, 0x80 }, s[] = { 0x00, 0x01 };
	static const uint8_t r_le[] = { 0x80, 0x00 }, s_le[] = { 0x01, 0x00 };
	uint8_t *der;
	size_t len = 0;

	(void)state;
	/* Minimal DER: leading zeros dropped, a 0x00 before a high bit. */
	der = ag_ecdsa_der(r, s, 2, 0, &len);
	assert_non_null(der);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(der, want, sizeof(want));
	OPENSSL_free(der);
	len = 0;
	der = ag_ecdsa_der(r_le, s_le, 2, 1, &len);
	assert_non_null(der);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(der, want, sizeof(want));
	OPENSSL_free(der);
	/* The same bytes read the other way are other numbers. */
	der = ag_ecdsa_der(r_le, s_le, 2, 0, &len);
	assert_non_null(der);
	assert_int_not_equal(memcmp(der, want, sizeof(want) < len ? sizeof(want) : len), 0);
	OPENSSL_free(der);
}

/* Splits an OpenSSL DER signature into size-byte r and s, big-endian or reversed. */
static void
split_sig(const uint8_t *der, size_t len, size_t size, int le, uint8_t *r, uint8_t *s)
{
	const uint8_t *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);

	assert_non_null(es);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), r, (int)size), (int)size);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), s, (int)size), (int)size);
	if (le) {
		assert_int_equal(BN_bn2lebinpad(ECDSA_SIG_get0_r(es), r, (int)size), (int)size);
		assert_int_equal(BN_bn2lebinpad(ECDSA_SIG_get0_s(es), s, (int)size), (int)size);
	}
	ECDSA_SIG_free(es);
}

static void
test_ecdsa_der_verifies(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp384r1");
	uint8_t *sig, *der, r[48], s[48];
	size_t sig_len, der_len;

	(void)state;
	assert_non_null(key);
	sig = sign(key, "quote", &sig_len);
	for (int le = 0; le <= 1; le++) {
		split_sig(sig, sig_len, 48, le, r, s);
		der = ag_ecdsa_der(r, s, 48, le, &der_len);
		assert_non_null(der);
		assert_int_equal(der_len, sig_len);
		assert_memory_equal(der, sig, sig_len);
		assert_true(verify(key, "quote", der, der_len));
		OPENSSL_free(der);
		/* r and s swapped do not verify. */
		der = ag_ecdsa_der(s, r, 48, le, &der_len);
		assert_non_null(der);
		assert_false(verify(key, "quote", der, der_len));
		OPENSSL_free(der);
	}
	OPENSSL_free(sig);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_rebuilt),
		cmocka_unit_test(test_rsa_unchecked),
		cmocka_unit_test(test_ec_p256),
		cmocka_unit_test(test_ec_p384),
		cmocka_unit_test(test_ec_wrong_group),
		cmocka_unit_test(test_ecdsa_der_exact),
		cmocka_unit_test(test_ecdsa_der_verifies),
	};

	return cmocka_run_group_tests_name("pkey", tests, NULL, NULL);
}
