/*
 * format/spdm.h - the SPDM 1.1 GET_MEASUREMENTS exchange NVIDIA GPUs and
 * NVSwitches give as attestation evidence: the 37-byte request (with the
 * caller's nonce) followed by the signed MEASUREMENTS response.  A strict,
 * bounds-checked parse into views of the caller's bytes (measurement
 * blocks, opaque TLVs, signature) and the ECDSA P-384 signature check.
 * What the opaque entries mean is nvidia_opaque.h's business.
 */
#ifndef AG_SPDM_H
#define AG_SPDM_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define AG_SPDM_REQUEST_LEN 37
#define AG_SPDM_NONCE_LEN 32
#define AG_SPDM_SIG_LEN 96           /* raw r||s of ECDSA P-384 */
#define AG_SPDM_REPORT_MAX 0x2000    /* NVML's attestation report buffer */
#define AG_SPDM_MAX_BLOCKS 255
#define AG_SPDM_MAX_TLVS 64

/* One DMTF measurement block. */
struct ag_spdm_block {
	uint8_t index;          /* 1..255 */
	uint8_t value_type;     /* DMTFSpecMeasurementValueType */
	uint16_t len;           /* of value */
	const uint8_t *value;
};

/* One opaque-data entry: u16 LE type, u16 LE length, value. */
struct ag_spdm_tlv {
	uint16_t type;
	uint16_t len;
	const uint8_t *value;
};

struct ag_spdm_report {
	const uint8_t *raw;                 /* the caller's bytes */
	size_t len;
	const uint8_t *nonce;               /* the request's nonce (AG_SPDM_NONCE_LEN bytes) */
	uint8_t slot;                       /* the request's slot id */
	const uint8_t *responder_nonce;     /* AG_SPDM_NONCE_LEN bytes */
	struct ag_spdm_block blocks[AG_SPDM_MAX_BLOCKS];
	size_t n_blocks;
	struct ag_spdm_tlv tlvs[AG_SPDM_MAX_TLVS];
	size_t n_tlvs;
	size_t opaque_len;
	size_t signed_len;                  /* everything before the signature */
	const uint8_t *signature;           /* AG_SPDM_SIG_LEN bytes */
};

/*
 * Parses request || response: version 1.1, GET_MEASUREMENTS with a signature
 * asked for all blocks, blocks with distinct nonzero indices of the DMTF
 * form whose sizes agree, opaque TLVs that fill the opaque data, and a
 * 96-byte signature that ends the bytes.  AG_EINVALID naming the field.
 */
enum ag_code ag_spdm_parse(const uint8_t *buf, size_t len, struct ag_spdm_report *r, struct ag_err *err);

/* The block with that index, or NULL. */
const struct ag_spdm_block *ag_spdm_block(const struct ag_spdm_report *r, unsigned index);

/* The first opaque entry of that type, or NULL. */
const struct ag_spdm_tlv *ag_spdm_tlv(const struct ag_spdm_report *r, uint16_t type);

/* Verifies the ECDSA P-384/SHA-384 signature over everything before it with key. */
enum ag_code ag_spdm_verify_signature(const struct ag_spdm_report *r, EVP_PKEY *key, struct ag_err *err);

/*
 * The report's bytes from a file's contents: raw bytes as they are, or the
 * hex text NVIDIA's tools write (whitespace, "0x" and "\x" ignored) decoded.
 * *out is a new buffer; AG_EINVALID when the text is not hex.
 */
enum ag_code ag_spdm_from_file_bytes(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, struct ag_err *err);

#endif
