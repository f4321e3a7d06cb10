/*
 * base/base64.h - strict base64 and base64url through OpenSSL's EVP block
 * coder.  Strict means canonical: one encoding per byte string, so that a
 * token or key cannot be altered without changing its bytes (no padding in
 * base64url, no stray characters, no non-zero trailing bits).
 */
#ifndef AG_BASE64_H
#define AG_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Decodes canonical base64url without padding (RFC 7515 §2) into a new buffer (*out, freed by the caller, NUL-terminated); returns 0 or -1. */
int ag_b64url_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len);

/* As ag_b64url_decode, but also takes the '=' padding Go's base64.URLEncoding writes (MAA and IMDS answers). */
int ag_b64url_decode_any_padding(const char *in, size_t in_len, uint8_t **out, size_t *out_len);

/* Decodes canonical padded standard base64 (RFC 4648 §4, as in x5c) into a new buffer; returns 0 or -1. */
int ag_b64_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len);

/* Encodes as base64url without padding into a new NUL-terminated string, or NULL. */
char *ag_b64url_encode(const uint8_t *in, size_t len);

/* Encodes as base64url with '=' padding (Go's base64.URLEncoding, what Microsoft's sidecar sends), or NULL. */
char *ag_b64url_encode_padded(const uint8_t *in, size_t len);

/* Encodes as padded standard base64 into a new NUL-terminated string, or NULL. */
char *ag_b64_encode(const uint8_t *in, size_t len);

#endif
