/*
 * format/spdm.c - parsing and signature check of the SPDM 1.1
 * GET_MEASUREMENTS request || response pair (DMTF DSP0274 1.1; the layout
 * NVIDIA's verifiers read, docs/nvidia-gpu-design.md 1.1).  Every length is
 * checked before it is used; nothing is copied.
 */
#include "format/spdm.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/digest.h"
#include "base/pkey.h"

#define SPDM_VERSION_11 0x11
#define SPDM_GET_MEASUREMENTS 0xE0
#define SPDM_MEASUREMENTS 0x60
#define SPDM_SIGNATURE_REQUESTED 0x01
#define SPDM_ALL_BLOCKS 0xFF
#define DMTF_MEASUREMENT_SPEC 0x01
#define RESPONSE_HEADER_LEN 8   /* version, code, param1, param2, blocks, 3-byte record length */
#define BLOCK_HEADER_LEN 4      /* index, spec, u16 size */
#define DMTF_HEADER_LEN 3       /* value type, u16 value size */

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static enum ag_code
parse_request(const uint8_t *p, struct ag_spdm_report *r, struct ag_err *err)
{
	if (p[0] != SPDM_VERSION_11)
		return ag_err_set(err, AG_EINVALID, "GPU report: the request's SPDM version is 0x%02x, not 1.1", p[0]);
	if (p[1] != SPDM_GET_MEASUREMENTS)
		return ag_err_set(err, AG_EINVALID, "GPU report: the request is SPDM code 0x%02x, not GET_MEASUREMENTS", p[1]);
	if ((p[2] & SPDM_SIGNATURE_REQUESTED) == 0)
		return ag_err_set(err, AG_EINVALID, "GPU report: the request did not ask for a signature");
	if (p[3] != SPDM_ALL_BLOCKS)
		return ag_err_set(err, AG_EINVALID, "GPU report: the request asked for measurement %u, not all of them", p[3]);
	r->nonce = p + 4;
	r->slot = p[36];
	return AG_OK;
}

static enum ag_code
add_block(struct ag_spdm_report *r, const uint8_t *p, size_t size, struct ag_err *err)
{
	struct ag_spdm_block *b = &r->blocks[r->n_blocks];
	uint16_t vlen;

	if (p[0] == 0)
		return ag_err_set(err, AG_EINVALID, "GPU report: a measurement block has index 0");
	if (ag_spdm_block(r, p[0]) != NULL)
		return ag_err_set(err, AG_EINVALID, "GPU report: measurement block %u appears twice", p[0]);
	if (p[1] != DMTF_MEASUREMENT_SPEC)
		return ag_err_set(err, AG_EINVALID, "GPU report: measurement block %u is not of the DMTF specification", p[0]);
	vlen = size >= DMTF_HEADER_LEN ? le16(p + BLOCK_HEADER_LEN + 1) : 0;
	if (size < DMTF_HEADER_LEN || (size_t)vlen + DMTF_HEADER_LEN != size)
		return ag_err_set(err, AG_EINVALID, "GPU report: measurement block %u's value size disagrees with its size",
		    p[0]);
	b->index = p[0];
	b->value_type = p[BLOCK_HEADER_LEN];
	b->len = vlen;
	b->value = p + BLOCK_HEADER_LEN + DMTF_HEADER_LEN;
	r->n_blocks++;
	return AG_OK;
}

/* The measurement record: exactly n blocks that fill len bytes. */
static enum ag_code
parse_record(const uint8_t *p, size_t len, unsigned n, struct ag_spdm_report *r, struct ag_err *err)
{
	size_t off = 0;
	enum ag_code rc;

	if (n == 0)
		return ag_err_set(err, AG_EINVALID, "GPU report: the response has no measurement blocks");
	for (unsigned i = 0; i < n; i++) {
		size_t size;

		if (len - off < BLOCK_HEADER_LEN)
			return ag_err_set(err, AG_EINVALID, "GPU report: measurement block %u of %u overruns the record", i + 1, n);
		size = le16(p + off + 2);
		if (len - off - BLOCK_HEADER_LEN < size)
			return ag_err_set(err, AG_EINVALID, "GPU report: measurement block %u of %u overruns the record", i + 1, n);
		if ((rc = add_block(r, p + off, size, err)) != AG_OK)
			return rc;
		off += BLOCK_HEADER_LEN + size;
	}
	if (off != len)
		return ag_err_set(err, AG_EINVALID, "GPU report: %zu bytes after the last measurement block of the record",
		    len - off);
	return AG_OK;
}

/* Opaque data: TLVs that fill it exactly. */
static enum ag_code
parse_opaque(const uint8_t *p, size_t len, struct ag_spdm_report *r, struct ag_err *err)
{
	size_t off = 0;

	if (len == 0)
		return ag_err_set(err, AG_EINVALID, "GPU report: the response has no opaque data");
	while (off < len) {
		struct ag_spdm_tlv *t = &r->tlvs[r->n_tlvs];

		if (r->n_tlvs == AG_SPDM_MAX_TLVS)
			return ag_err_set(err, AG_EINVALID, "GPU report: more than %d opaque data entries", AG_SPDM_MAX_TLVS);
		if (len - off < 4 || len - off - 4 < le16(p + off + 2))
			return ag_err_set(err, AG_EINVALID, "GPU report: opaque data entry %zu overruns the opaque data",
			    r->n_tlvs + 1);
		t->type = le16(p + off);
		t->len = le16(p + off + 2);
		t->value = p + off + 4;
		off += 4 + (size_t)t->len;
		r->n_tlvs++;
	}
	r->opaque_len = len;
	return AG_OK;
}

/* The response at p (len bytes to the end): header, record, nonce, opaque data, signature, nothing after. */
static enum ag_code
parse_response(const uint8_t *p, size_t len, struct ag_spdm_report *r, struct ag_err *err)
{
	size_t rec_len, off, opaque_len;
	enum ag_code rc;

	if (len < RESPONSE_HEADER_LEN)
		return ag_err_set(err, AG_EINVALID, "GPU report: the response is shorter than its header");
	if (p[0] != SPDM_VERSION_11)
		return ag_err_set(err, AG_EINVALID, "GPU report: the response's SPDM version is 0x%02x, not 1.1", p[0]);
	if (p[1] != SPDM_MEASUREMENTS)
		return ag_err_set(err, AG_EINVALID, "GPU report: the response is SPDM code 0x%02x, not MEASUREMENTS", p[1]);
	/* SPDM 1.1: with a signature, Param2 bits 3:0 name the slot whose certificate chain signed. */
	if ((p[3] & 0x0F) != r->slot)
		return ag_err_set(err, AG_EINVALID, "GPU report: the response is for slot %u, the request asked slot %u",
		    p[3] & 0x0F, r->slot);
	rec_len = (size_t)p[5] | (size_t)p[6] << 8 | (size_t)p[7] << 16;
	if (len - RESPONSE_HEADER_LEN < rec_len)
		return ag_err_set(err, AG_EINVALID, "GPU report: the measurement record overruns the response");
	if ((rc = parse_record(p + RESPONSE_HEADER_LEN, rec_len, p[4], r, err)) != AG_OK)
		return rc;
	off = RESPONSE_HEADER_LEN + rec_len;
	if (len - off < AG_SPDM_NONCE_LEN + 2)
		return ag_err_set(err, AG_EINVALID, "GPU report: the response ends before its nonce and opaque data");
	r->responder_nonce = p + off;
	off += AG_SPDM_NONCE_LEN;
	opaque_len = le16(p + off);
	off += 2;
	if (len - off < opaque_len || len - off - opaque_len < AG_SPDM_SIG_LEN)
		return ag_err_set(err, AG_EINVALID, "GPU report: the opaque data and signature overrun the response");
	if (len - off - opaque_len != AG_SPDM_SIG_LEN)
		return ag_err_set(err, AG_EINVALID, "GPU report: %zu bytes after the 96-byte signature",
		    len - off - opaque_len - AG_SPDM_SIG_LEN);
	if ((rc = parse_opaque(p + off, opaque_len, r, err)) != AG_OK)
		return rc;
	r->signature = p + off + opaque_len;
	return AG_OK;
}

enum ag_code
ag_spdm_parse(const uint8_t *buf, size_t len, struct ag_spdm_report *r, struct ag_err *err)
{
	enum ag_code rc;

	memset(r, 0, sizeof(*r));
	if (len > AG_SPDM_REPORT_MAX)
		return ag_err_set(err, AG_EINVALID, "GPU report: %zu bytes, more than the %d a report has", len,
		    AG_SPDM_REPORT_MAX);
	if (len < AG_SPDM_REQUEST_LEN)
		return ag_err_set(err, AG_EINVALID, "GPU report: %zu bytes, shorter than the SPDM request", len);
	if ((rc = parse_request(buf, r, err)) != AG_OK ||
	    (rc = parse_response(buf + AG_SPDM_REQUEST_LEN, len - AG_SPDM_REQUEST_LEN, r, err)) != AG_OK)
		return rc;
	r->raw = buf;
	r->len = len;
	r->signed_len = len - AG_SPDM_SIG_LEN;
	return AG_OK;
}

const struct ag_spdm_block *
ag_spdm_block(const struct ag_spdm_report *r, unsigned index)
{
	for (size_t i = 0; i < r->n_blocks; i++)
		if (r->blocks[i].index == index)
			return &r->blocks[i];
	return NULL;
}

const struct ag_spdm_tlv *
ag_spdm_tlv(const struct ag_spdm_report *r, uint16_t type)
{
	for (size_t i = 0; i < r->n_tlvs; i++)
		if (r->tlvs[i].type == type)
			return &r->tlvs[i];
	return NULL;
}

enum ag_code
ag_spdm_verify_signature(const struct ag_spdm_report *r, EVP_PKEY *key, struct ag_err *err)
{
	if (r->raw == NULL || !ag_ecdsa_verify_raw(key, EVP_sha384(), r->signature, AG_SPDM_SIG_LEN / 2, 0, r->raw,
		r->signed_len))
		return ag_err_set(err, AG_EINVALID, "GPU report signature does not verify with the device certificate's key "
		    "(the report was altered, or another device signed it)");
	return AG_OK;
}

/* Nonzero when in[i] starts a "0x" or "\x" byte prefix (a "0x" only where no hex digit precedes it). */
static int
hex_prefix_at(const uint8_t *in, size_t len, size_t i)
{
	if (i + 1 >= len || (in[i + 1] != 'x' && in[i + 1] != 'X'))
		return 0;
	return in[i] == '\\' || (in[i] == '0' && (i == 0 || !isxdigit(in[i - 1])));
}

/* The hex digits of NVIDIA's report text (whitespace, commas and byte prefixes dropped) into hex; their count, or -1. */
static long
hex_digits(const uint8_t *in, size_t len, char *hex)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (hex_prefix_at(in, len, i))
			i++;
		else if (isxdigit(in[i]))
			hex[n++] = (char)in[i];
		else if (!isspace(in[i]) && in[i] != ',')
			return -1;
	}
	hex[n] = '\0';
	return (long)n;
}

enum ag_code
ag_spdm_from_file_bytes(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, struct ag_err *err)
{
	char *hex;
	long n;

	*out = NULL;
	*out_len = 0;
	if (len > 0 && in[0] == SPDM_VERSION_11) {
		if ((*out = malloc(len)) == NULL)
			return ag_err_set(err, AG_ECONFIG, "out of memory");
		memcpy(*out, in, len);
		*out_len = len;
		return AG_OK;
	}
	if (len > 4 * AG_SPDM_REPORT_MAX)
		return ag_err_set(err, AG_EINVALID, "GPU report: %zu bytes of text, more than a report's hex", len);
	if ((hex = malloc(len + 1)) == NULL)
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	n = hex_digits(in, len, hex);
	if (n <= 0 || n % 2 != 0 || (*out = malloc((size_t)n / 2)) == NULL || ag_hex_decode(hex, *out, (size_t)n / 2) != 0) {
		free(*out);
		*out = NULL;
		free(hex);
		return ag_err_set(err, AG_EINVALID, "GPU report: neither SPDM bytes (0x11 first) nor hex text with an even "
		    "number of digits");
	}
	*out_len = (size_t)n / 2;
	free(hex);
	return AG_OK;
}
