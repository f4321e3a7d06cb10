/*
 * format/nvidia_evidence.h - the JSON NVIDIA's attestation SDKs serialize
 * GPU and NVSwitch evidence to (and attestgate-nvml writes): a list with
 * one entry per device, {"arch", "evidence": base64 of the SPDM report,
 * "certificate": base64 of the PEM chain, "nonce": hex}, optionally
 * "driver_version", "vbios_version", "uuid", "version".  Nothing in it is
 * trusted: the verifier checks the report's signed nonce, not "nonce".
 */
#ifndef AG_NVIDIA_EVIDENCE_H
#define AG_NVIDIA_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define AG_NV_EVIDENCE_MAX_BYTES (8 * 1024 * 1024)
#define AG_NV_EVIDENCE_MAX_DEVICES 64
#define AG_NV_CHAIN_MAX_BYTES (64 * 1024)

struct ag_nv_evidence_entry {
	char arch[16];                 /* "HOPPER", "BLACKWELL", "LS10" */
	uint8_t *report;               /* decoded "evidence" */
	size_t report_len;
	uint8_t *chain;                /* decoded "certificate" (PEM) */
	size_t chain_len;
	uint8_t nonce[32];             /* "nonce", when has_nonce */
	int has_nonce;
	char *driver_version, *vbios_version, *uuid;   /* NULL when absent */
};

/* Parses the evidence JSON into *entries (new, *n of them, at least one); AG_EINVALID naming the entry and field. */
enum ag_code ag_nv_evidence_parse(const uint8_t *json, size_t len, struct ag_nv_evidence_entry **entries, size_t *n,
    struct ag_err *err);

/* Frees n entries. */
void ag_nv_evidence_free(struct ag_nv_evidence_entry *entries, size_t n);

#endif
