/*
 * format/key_release.h - Secure Key Release from Azure Key Vault and Managed
 * HSM, the bytes only: the transfer key's public JWK and its RFC 7638
 * thumbprint, the release request body, the signed release response (a JWS
 * whose x5c chain must lead to a trusted CA and name the vault), the
 * key_hsm envelope (RSA-OAEP of an AES-256 key, then the RFC 5649 key wrap
 * of the key material) and the encodings a released key is written in.
 * The RSA decryption is the caller's (a software key or the vTPM's).
 * No I/O: fetching the token and the release is release/'s business.
 */
#ifndef AG_KEY_RELEASE_H
#define AG_KEY_RELEASE_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"

#define AG_SKR_MAX_RESPONSE (256 * 1024)
#define AG_SKR_MAX_KEY (16 * 1024)      /* released key material (an RSA-4096 PKCS#8 is about 2.4 KiB) */
#define AG_SKR_KID_MAX 64

/* How a released key is written: raw bytes (oct) or PKCS#8 DER (RSA/EC), PKCS#8 PEM, or a private JWK. */
enum ag_key_format { AG_KEY_RAW, AG_KEY_PEM, AG_KEY_JWK };

/* The wrapping algorithms a release may ask for ("enc"); each fixes the RSA-OAEP hash. */
enum ag_skr_enc { AG_SKR_RSA_AES_KEY_WRAP_SHA1, AG_SKR_RSA_AES_KEY_WRAP_256, AG_SKR_RSA_AES_KEY_WRAP_384 };

/* The enc name as the vault writes it (CKM_RSA_AES_KEY_WRAP, RSA_AES_KEY_WRAP_256, RSA_AES_KEY_WRAP_384). */
const char *ag_skr_enc_name(enum ag_skr_enc enc);

/* The RSA-OAEP (and MGF1) digest name of enc: "SHA1", "SHA256" or "SHA384". */
const char *ag_skr_enc_digest(enum ag_skr_enc enc);

/*
 * Decrypts one RSA-OAEP block (digest and MGF1 digest md_name, empty label)
 * with the transfer key; *out (len *out_len) is freed by the caller after
 * OPENSSL_cleanse.
 */
typedef enum ag_code (*ag_skr_decrypt_fn)(void *ctx, const char *md_name, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len, struct ag_err *err);

/* The RFC 7638 thumbprint of an RSA public JWK (base64url SHA-256 of {"e","kty","n"}) into kid. */
enum ag_code ag_jwk_rsa_thumbprint(const json_t *jwk, char kid[AG_SKR_KID_MAX], struct ag_err *err);

/* The public JWK of an RSA key as the vault wraps for: kty, n, e, key_ops ["encrypt"], kid (its thumbprint when kid is NULL). */
json_t *ag_skr_transfer_jwk(EVP_PKEY *rsa, const char *kid);

/* NULL when url is a vault's URL (https://NAME.DOMAIN, a DNS name of three labels or more, an optional port, no path); else why not. */
const char *ag_skr_vault_url_problem(const char *url);

/* The host of a vault URL (https://HOST[:PORT]), without the port, into buf; returns buf. */
const char *ag_skr_vault_host(const char *url, char *buf, size_t size);

/* The release request body {"target": token, "enc": ...} (new string), or NULL. */
char *ag_skr_request_body(const char *token, enum ag_skr_enc enc);

/*
 * Verifies the release response {"value": JWS}: RS256, the x5c chain to a
 * certificate of trust valid at at, the leaf valid for host; returns the
 * payload (new reference), which has response.key.key.  AG_EINVALID naming
 * what failed.
 */
enum ag_code ag_skr_response_verify(const uint8_t *body, size_t len, X509_STORE *trust, const char *host, time_t at,
    json_t **payload, struct ag_err *err);

/* A released key: its type and material (raw for oct, PKCS#8 DER for RSA and EC). */
struct ag_skr_key {
	char kty[16];          /* "oct", "RSA" or "EC" (the -HSM suffix dropped) */
	char kid[512];         /* the vault's key identifier (URL) */
	enum ag_skr_enc enc;   /* how the vault wrapped it (the payload's request.enc) */
	uint8_t *material;     /* cleansed and freed by ag_skr_key_clear */
	size_t len;
};

/*
 * Opens the verified payload's response.key.key.key_hsm: the first
 * modulus_len bytes of the ciphertext are decrypted by decrypt (RSA-OAEP
 * with the hash of request.enc) to the 32-byte AES key, the rest unwrapped
 * (RFC 5649).  For RSA and EC keys the material must be a PKCS#8 private
 * key whose public part is the released key's.
 */
enum ag_code ag_skr_unwrap(const json_t *payload, size_t modulus_len, ag_skr_decrypt_fn decrypt, void *ctx,
    struct ag_skr_key *out, struct ag_err *err);

/* The key in format (raw, pem, jwk) as a new buffer; AG_ECONFIG when the format does not fit the key type. */
enum ag_code ag_skr_encode(const struct ag_skr_key *k, enum ag_key_format format, uint8_t **out, size_t *len,
    struct ag_err *err);

/* Cleanses and frees a released key's material. */
void ag_skr_key_clear(struct ag_skr_key *k);

/* Cleanses and frees a buffer that held key material; NULL is allowed. */
void ag_skr_free_secret(uint8_t *p, size_t len);

#endif
