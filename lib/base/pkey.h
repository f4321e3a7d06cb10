/*
 * base/pkey.h - OpenSSL public keys from raw parameters (RSA modulus and
 * exponent, EC points) and raw ECDSA signatures in the DER form OpenSSL
 * verifies.  One place for what JWKs, TPM public areas, JWS and SEV-SNP
 * reports all need.
 */
#ifndef AG_PKEY_H
#define AG_PKEY_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* RSA public key from big-endian n and e, or NULL. */
EVP_PKEY *ag_pkey_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len);

/* EC public key on group ("prime256v1", "secp384r1") from an uncompressed point; NULL unless the point is on the curve. */
EVP_PKEY *ag_pkey_ec(const char *group, const uint8_t *point, size_t point_len);

/* DER ECDSA-Sig-Value of R and S (size bytes each, big or little endian); OPENSSL_free the result, or NULL. */
uint8_t *ag_ecdsa_der(const uint8_t *r, const uint8_t *s, size_t size, int little_endian, size_t *der_len);

/* 1 when sig (raw R then S, size bytes each, big or little endian) is key's ECDSA signature over data with md, else 0. */
int ag_ecdsa_verify_raw(EVP_PKEY *key, const EVP_MD *md, const uint8_t *sig, size_t size, int little_endian,
    const uint8_t *data, size_t len);

#endif
