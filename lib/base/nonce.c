/*
 * base/nonce.c - draws the nonce with OpenSSL's RAND_bytes and encodes it
 * (hex, base64) for each protocol.
 */
#include "base/nonce.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "base/base64.h"
#include "base/digest.h"

#define DRAWN 32

enum ag_code
ag_nonce_draw(struct ag_nonce *n, struct ag_err *err)
{
	memset(n, 0, sizeof(*n));
	if (RAND_bytes(n->v, DRAWN) != 1)
		return ag_err_set(err, AG_EEVIDENCE, "cannot draw a random nonce (OpenSSL RAND_bytes failed)");
	n->len = DRAWN;
	return AG_OK;
}

enum ag_code
ag_nonce_draw_text(struct ag_nonce *n, struct ag_err *err)
{
	uint8_t raw[DRAWN];
	char hex[2 * DRAWN + 1];
	enum ag_code rc;

	if ((rc = ag_nonce_draw(n, err)) != AG_OK)
		return rc;
	memcpy(raw, n->v, DRAWN);
	ag_hex_encode(raw, DRAWN, hex);
	memcpy(n->v, hex, 2 * DRAWN);
	n->len = 2 * DRAWN;
	return AG_OK;
}

enum ag_code
ag_nonce_from_hex(struct ag_nonce *n, const char *hex, const char *what, struct ag_err *err)
{
	memset(n, 0, sizeof(*n));
	if (hex == NULL || ag_hex_decode_var(hex, n->v, AG_NONCE_MAX, &n->len) != 0) {
		n->len = 0;
		return ag_err_set(err, AG_ECONFIG, "%s must be 2 to %d hexadecimal digits (1 to %d bytes)", what,
		    2 * AG_NONCE_MAX, AG_NONCE_MAX);
	}
	return AG_OK;
}

void
ag_nonce_hex(const struct ag_nonce *n, char out[AG_NONCE_HEX_MAX])
{
	ag_hex_encode(n->v, n->len, out);
}

int
ag_nonce_text(const struct ag_nonce *n, char out[AG_NONCE_MAX + 1])
{
	for (size_t i = 0; i < n->len; i++)
		if (n->v[i] < 0x20 || n->v[i] > 0x7e)
			return -1;
	memcpy(out, n->v, n->len);
	out[n->len] = '\0';
	return 0;
}

char *
ag_nonce_claim(const struct ag_nonce *n, enum ag_nonce_site site)
{
	char text[AG_NONCE_MAX + 1], *hex;

	if (site == AG_NONCE_AZUREGUEST)
		return ag_nonce_text(n, text) == 0 ? ag_b64_encode((const uint8_t *)text, n->len) : NULL;
	if ((hex = malloc(AG_NONCE_HEX_MAX)) != NULL)
		ag_nonce_hex(n, hex);
	return hex;
}

uint64_t
ag_nonce_request_number(const struct ag_nonce *n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8 && i < n->len; i++)
		v = v << 8 | n->v[i];
	return v & 0x7fffffffffffffffULL;
}

int
ag_nonce_gpu(const struct ag_nonce *run, uint8_t out[AG_NONCE_GPU_LEN])
{
	static const char label[] = "attestgate nvidia-gpu nonce v1";
	uint8_t buf[sizeof(label) + AG_NONCE_MAX];

	memcpy(buf, label, sizeof(label));
	memcpy(buf + sizeof(label), run->v, run->len);
	return ag_sha256(buf, sizeof(label) + run->len, out);
}
