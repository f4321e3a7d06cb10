/*
 * format/snp.h - the AMD SEV-SNP attestation report (ABI spec, ATTESTATION_REPORT,
 * versions 2-5): strict parsing (reserved fields must be zero, signer must
 * be a VCEK or VLEK), the product the report names, the signature over
 * bytes 0..0x29F with the signer's key, and the report as MAA-style claims.
 * Which key signed is decided by amd_certs.h.
 */
#ifndef AG_SNP_H
#define AG_SNP_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define AG_SNP_REPORT_LEN 0x4A0
#define AG_SNP_SIGNED_LEN 0x2A0

enum ag_snp_signer { AG_SNP_VCEK = 0, AG_SNP_VLEK = 1 };
enum ag_snp_product { AG_SNP_UNKNOWN = 0, AG_SNP_MILAN, AG_SNP_GENOA, AG_SNP_TURIN };

/* A TCB version, unpacked per product (Turin has an FMC field and another layout). */
struct ag_snp_tcb {
	uint8_t fmc, bootloader, tee, snp, microcode;
};

struct ag_snp_report {
	const uint8_t *raw;                /* the caller's AG_SNP_REPORT_LEN bytes */
	uint32_t version, guest_svn, vmpl, sig_algo;
	uint64_t policy, platform_info, current_tcb, reported_tcb, committed_tcb, launch_tcb;
	enum ag_snp_signer signer;
	int mask_chip_key, author_key_en;
	uint8_t cpuid_fam, cpuid_model, cpuid_step;   /* v3+; 0 otherwise */
	const uint8_t *report_data, *measurement, *host_data, *chip_id;
};

/* Parses a report; AG_EINVALID naming the field that is wrong. */
enum ag_code ag_snp_parse(const uint8_t *buf, size_t len, struct ag_snp_report *r, struct ag_err *err);

/* The product from the report's CPUID fields (v3+), or AG_SNP_UNKNOWN. */
enum ag_snp_product ag_snp_product_of(const struct ag_snp_report *r);

/* "Milan", "Genoa", "Turin" or "unknown". */
const char *ag_snp_product_name(enum ag_snp_product p);

/* Unpacks a TCB version for product. */
struct ag_snp_tcb ag_snp_tcb_unpack(uint64_t tcb, enum ag_snp_product p);

/* Verifies the ECDSA P-384 signature (R, S little endian) over bytes 0..0x29F with key. */
enum ag_code ag_snp_verify_signature(const struct ag_snp_report *r, EVP_PKEY *key, struct ag_err *err);

/* The report as claims with MAA's names (x-ms-sevsnpvm-*), new reference. */
json_t *ag_snp_claims(const struct ag_snp_report *r, enum ag_snp_product p);

#endif
