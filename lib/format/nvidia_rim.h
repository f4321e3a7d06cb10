/*
 * format/nvidia_rim.h - NVIDIA reference integrity manifests (RIMs): the
 * SWID tag XML that names a driver's or VBIOS's golden measurements,
 * signed with an enveloped XML-DSig (C14N 1.1, SHA-384, ECDSA P-384) by a
 * certificate chained to the pinned NVIDIA CoRIM signing Root CA.  Reading
 * (libxml2, no network, no DTD) is separate from verifying (xmlsec1 with
 * OpenSSL), so the reader can be fuzzed without crypto.
 */
#ifndef AG_NVIDIA_RIM_H
#define AG_NVIDIA_RIM_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"
#include "format/nvidia_certs.h"

#define AG_NV_RIM_MAX_BYTES (2 * 1024 * 1024)
#define AG_NV_RIM_MAX_MEASUREMENTS 255
#define AG_NV_RIM_MAX_ALTERNATIVES 16
#define AG_NV_RIM_HASH_MAX 64
#define AG_NV_RIM_MAX_CERTS 8

/* One active golden measurement: RIM index i is the report's measurement block i + 1. */
struct ag_nv_rim_measurement {
	unsigned index;
	size_t size;                                                     /* of every alternative */
	size_t n_alternatives;
	uint8_t alternatives[AG_NV_RIM_MAX_ALTERNATIVES][AG_NV_RIM_HASH_MAX];
};

struct ag_nv_rim {
	char version[64];            /* Meta colloquialVersion ("550.90.07", "96.00.9F.00.01") */
	char manufacturer_id[32];    /* Meta FirmwareManufacturerId ("5703"), or "" */
	char product[32];            /* Meta product, the chip ("GH100"), or "" */
	struct ag_nv_rim_measurement *measurements;   /* the active ones, in document order */
	size_t n_measurements;
	STACK_OF(X509) *certs;       /* the Signature's X509Certificates, in document order */
	void *doc;                   /* the parsed document (libxml2), for verification */
};

/*
 * Reads a RIM: well-formed XML without DOCTYPE, a SoftwareIdentity with one
 * Meta, one Payload of measurement Resources (distinct indices; every
 * Hash0..Hash{alternatives-1} of the given size) and one Signature.  No
 * signature check.  *out is new; AG_EINVALID naming what is wrong.
 */
enum ag_code ag_nv_rim_read(const uint8_t *xml, size_t len, struct ag_nv_rim **out, struct ag_err *err);

/*
 * Verifies a read RIM: its certificates chain to the pinned RIM root (or a
 * test root) at time at, and its one enveloped Reference and SignedInfo
 * verify with the leaf's key (xmlsec, only C14N 1.1, SHA-384 and
 * ECDSA-SHA384 allowed).  AG_EINVALID saying which failed.
 */
enum ag_code ag_nv_rim_verify(const struct ag_nv_rim *rim, STACK_OF(X509) *test_roots, time_t at,
    struct ag_nv_chain_info *info, struct ag_err *err);

/* The active measurement with that RIM index, or NULL. */
const struct ag_nv_rim_measurement *ag_nv_rim_measurement(const struct ag_nv_rim *rim, unsigned index);

/* Frees a RIM; NULL is allowed. */
void ag_nv_rim_free(struct ag_nv_rim *rim);

#endif
