/*
 * base/pkey.c - EVP_PKEY_fromdata for raw key parameters, ECDSA_SIG for raw
 * signatures.
 */
#include "base/pkey.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

static EVP_PKEY *
from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return pkey;
}

EVP_PKEY *
ag_pkey_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len)
{
	BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL), *bn_e = BN_bin2bn(e, (int)e_len, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;

	/* An RSA public key is an odd modulus and an odd exponent of at least 3: e = 1 would let anyone sign.
	 * (Key sizes are the callers' policy.) */
	if (bn_n != NULL && bn_e != NULL && BN_is_odd(bn_n) && BN_is_odd(bn_e) && !BN_is_one(bn_e) && bld != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1)
		pkey = from_params("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return pkey;
}

EVP_PKEY *
ag_pkey_ec(const char *group, const uint8_t *point, size_t point_len)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *check = NULL;

	if (bld != NULL && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len) == 1)
		pkey = from_params("EC", bld);
	/* The point must be on the curve. */
	check = pkey != NULL ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
	if (pkey != NULL && (check == NULL || EVP_PKEY_public_check(check) != 1)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(check);
	OSSL_PARAM_BLD_free(bld);
	ERR_clear_error();
	return pkey;
}

uint8_t *
ag_ecdsa_der(const uint8_t *r, const uint8_t *s, size_t size, int little_endian, size_t *der_len)
{
	BIGNUM *bn_r = little_endian ? BN_lebin2bn(r, (int)size, NULL) : BN_bin2bn(r, (int)size, NULL);
	BIGNUM *bn_s = little_endian ? BN_lebin2bn(s, (int)size, NULL) : BN_bin2bn(s, (int)size, NULL);
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int n;

	if (bn_r == NULL || bn_s == NULL || es == NULL || ECDSA_SIG_set0(es, bn_r, bn_s) != 1) {
		BN_free(bn_r);
		BN_free(bn_s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	n = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return NULL;
	*der_len = (size_t)n;
	return der;
}

int
ag_ecdsa_verify_raw(EVP_PKEY *key, const EVP_MD *md, const uint8_t *sig, size_t size, int little_endian,
    const uint8_t *data, size_t len)
{
	size_t der_len = 0;
	uint8_t *der = ag_ecdsa_der(sig, sig + size, size, little_endian, &der_len);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = der != NULL && ctx != NULL && key != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
	    EVP_DigestVerify(ctx, der, der_len, data, len) == 1;

	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok;
}
