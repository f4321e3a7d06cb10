/*
 * format/hcl.h - the Azure CVM "HCL report": what the paravisor stores in vTPM NV
 * index 0x01400001.  A 32-byte header ("HCLA"), the hardware report (SEV-SNP
 * report or TDX TDREPORT), the IGVM request data at 0x4C0 and the runtime
 * JSON that the hardware report's report_data binds (hash per hash_type).
 * Parsing and the binding check only; the hardware report's own signature
 * is snp.h's / tdx.h's business.
 */
#ifndef AG_HCL_H
#define AG_HCL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define AG_HCL_MAX_BYTES 8192
#define AG_HCL_HW_REPORT_OFFSET 0x20
#define AG_HCL_HW_REPORT_SLOT 1184          /* 0x4A0: an SEV-SNP report */
#define AG_HCL_TDREPORT_LEN 1024
#define AG_HCL_REQUEST_OFFSET 0x4C0
#define AG_HCL_RUNTIME_OFFSET 0x4D4

enum ag_hcl_report_type {
	AG_HCL_SNP = 2,
	AG_HCL_TRUSTED_LAUNCH = 3,
	AG_HCL_TDX = 4,
};

struct ag_hcl_report {
	uint32_t version;
	uint32_t report_size;
	uint32_t request_type;
	uint32_t report_type;               /* enum ag_hcl_report_type */
	uint32_t hash_type;                 /* 1 SHA-256, 2 SHA-384, 3 SHA-512 */
	const uint8_t *hw_report;           /* into the caller's buffer */
	size_t hw_report_len;               /* 1184 (SNP) or 1024 (TDX) */
	const uint8_t *report_data;         /* 64 bytes inside hw_report */
	const uint8_t *runtime;             /* runtime JSON bytes, into the caller's buffer */
	size_t runtime_len;
	json_t *runtime_json;               /* parsed runtime JSON (owned) */
};

/* Parses an HCL report and checks the report_data binding of its runtime JSON. AG_EINVALID on any failure. */
enum ag_code ag_hcl_parse(const uint8_t *buf, size_t len, struct ag_hcl_report *r, struct ag_err *err);

/* Releases what ag_hcl_parse allocated. */
void ag_hcl_clear(struct ag_hcl_report *r);

/* The runtime JSON's key with kid (e.g. "HCLAkPub") as an OpenSSL key. AG_EINVALID if absent or malformed. */
enum ag_code ag_hcl_runtime_key(const struct ag_hcl_report *r, const char *kid, EVP_PKEY **out,
    struct ag_err *err);

/* The runtime JSON's "user-data" (hex) or NULL. */
const char *ag_hcl_user_data(const struct ag_hcl_report *r);

/* "snp", "tdx", "trusted-launch" or "unknown". */
const char *ag_hcl_report_type_name(uint32_t report_type);

#endif
