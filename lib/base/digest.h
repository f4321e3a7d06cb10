/*
 * base/digest.h - SHA-256 and hex encoding through OpenSSL, for policy pinning,
 * evidence manifests and fingerprints.  One place so every digest in the
 * product is computed and printed the same way (lower-case hex).
 */
#ifndef AG_DIGEST_H
#define AG_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define AG_SHA256_LEN 32
#define AG_SHA256_HEX_LEN 64

/* SHA-256 of buf; returns 0, or -1 if OpenSSL fails. */
int ag_sha256(const void *buf, size_t len, uint8_t out[AG_SHA256_LEN]);

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void ag_hex_encode(const uint8_t *in, size_t len, char *out);

/* SHA-256 of buf as lower-case hex into out[65]; returns 0 or -1. */
int ag_sha256_hex(const void *buf, size_t len, char out[AG_SHA256_HEX_LEN + 1]);

/* Decodes exactly 2*len hex digits (either case) into out; returns 0 or -1. */
int ag_hex_decode(const char *hex, uint8_t *out, size_t len);

/* Decodes 2 to 2*max hex digits (an even number) into out, *len bytes; returns 0 or -1. */
int ag_hex_decode_var(const char *hex, uint8_t *out, size_t max, size_t *len);

/* Nonzero if s is exactly 64 hex digits (a SHA-256 as written in flags and pins). */
int ag_is_sha256_hex(const char *s);

/* Constant-time equality of two byte strings of the same length (1 = equal). */
int ag_ct_equal(const void *a, const void *b, size_t len);

#endif
