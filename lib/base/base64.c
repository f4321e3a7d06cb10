/*
 * base/base64.c - canonical base64/base64url on top of EVP_DecodeBlock and
 * EVP_EncodeBlock.  OpenSSL decodes; this file only rejects what OpenSSL's
 * block decoder would tolerate (whitespace, misplaced '=', non-canonical
 * trailing bits) by checking the alphabet and re-encoding.
 */
#include "base/base64.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* Inputs beyond this are never legitimate here (tokens and certificates are far smaller). */
#define B64_MAX_IN (16u * 1024 * 1024)

static int
is_std_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	    c == '/';
}

char *
ag_b64_encode(const uint8_t *in, size_t len)
{
	char *out;

	if (len > B64_MAX_IN)
		return NULL;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (out == NULL)
		return NULL;
	if (EVP_EncodeBlock((unsigned char *)out, in, (int)len) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

int
ag_b64_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	size_t pad = 0, n;
	uint8_t *buf;
	char *again;
	int got;

	*out = NULL;
	*out_len = 0;
	if (in_len % 4 != 0 || in_len > B64_MAX_IN)
		return -1;
	if (in_len > 0 && in[in_len - 1] == '=')
		pad = in_len > 1 && in[in_len - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < in_len - pad; i++)
		if (!is_std_char(in[i]))
			return -1;
	buf = malloc(in_len / 4 * 3 + 1);
	if (buf == NULL)
		return -1;
	got = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)in_len);
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return -1;
	}
	n = (size_t)got - pad;
	/* Canonical: re-encoding gives the input back (catches non-zero trailing bits). */
	again = ag_b64_encode(buf, n);
	if (again == NULL || strlen(again) != in_len || memcmp(again, in, in_len) != 0) {
		free(again);
		free(buf);
		return -1;
	}
	free(again);
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

char *
ag_b64url_encode(const uint8_t *in, size_t len)
{
	char *s = ag_b64_encode(in, len);
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '=')
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	return s;
}

int
ag_b64url_decode_any_padding(const char *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	if (in_len % 4 == 0 && in_len >= 4 && in[in_len - 1] == '=')
		in_len -= in[in_len - 2] == '=' ? 2 : 1;
	return ag_b64url_decode(in, in_len, out, out_len);
}

int
ag_b64url_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	size_t std_len;
	char *std;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (in_len % 4 == 1 || in_len > B64_MAX_IN)
		return -1;
	std_len = (in_len + 3) / 4 * 4;
	std = malloc(std_len + 1);
	if (std == NULL)
		return -1;
	for (size_t i = 0; i < in_len; i++) {
		char c = in[i];

		/* '+', '/' and '=' belong to the other alphabet: not base64url. */
		if (c == '+' || c == '/' || !(is_std_char(c) || c == '-' || c == '_')) {
			free(std);
			return -1;
		}
		std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	memset(std + in_len, '=', std_len - in_len);
	std[std_len] = '\0';
	rc = ag_b64_decode(std, std_len, out, out_len);
	free(std);
	return rc;
}

char *
ag_b64url_encode_padded(const uint8_t *in, size_t len)
{
	char *s = ag_b64_encode(in, len);

	for (char *c = s; c != NULL && *c != '\0'; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	return s;
}
