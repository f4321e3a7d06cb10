/*
 * base/digest.c - SHA-256 and hex through OpenSSL (EVP_Digest, OPENSSL_buf2hexstr
 * is avoided because it inserts separators).
 */
#include "base/digest.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

int
ag_sha256(const void *buf, size_t len, uint8_t out[AG_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) != 1 || n != AG_SHA256_LEN)
		return -1;
	return 0;
}

void
ag_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
ag_sha256_hex(const void *buf, size_t len, char out[AG_SHA256_HEX_LEN + 1])
{
	uint8_t d[AG_SHA256_LEN];

	if (ag_sha256(buf, len, d) != 0)
		return -1;
	ag_hex_encode(d, sizeof(d), out);
	return 0;
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ag_hex_decode(const char *hex, uint8_t *out, size_t len)
{
	if (strlen(hex) != 2 * len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
ag_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int
ag_is_sha256_hex(const char *s)
{
	if (s == NULL || strlen(s) != AG_SHA256_HEX_LEN)
		return 0;
	for (; *s != '\0'; s++)
		if (!isxdigit((unsigned char)*s))
			return 0;
	return 1;
}

int
ag_hex_decode_var(const char *hex, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(hex);

	*len = 0;
	if (n % 2 != 0 || n == 0 || n / 2 > max || ag_hex_decode(hex, out, n / 2) != 0)
		return -1;
	*len = n / 2;
	return 0;
}
