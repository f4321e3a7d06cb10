/*
 * format/amd_certs.h - the AMD side of SEV-SNP trust: VCEK/VLEK certificate
 * extensions (TCB SPLs, HWID, product, CSP id), certificates from PEM
 * bundles, DER files and the GHCB cert table, and the chain VCEK->ASK->ARK
 * or VLEK->ASVK->ARK to roots pinned by SHA-256 fingerprint (Milan, Genoa,
 * Turin).  Test roots only ever come from an explicit insecure list.
 */
#ifndef AG_AMD_CERTS_H
#define AG_AMD_CERTS_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/certs.h"
#include "base/error.h"
#include "format/snp.h"


struct ag_amd_cert_info {
	enum ag_snp_product product;      /* from productName, or unknown */
	char product_name[32];
	int has_tcb;
	struct ag_snp_tcb tcb;
	uint8_t hwid[64];
	size_t hwid_len;                  /* 0 when absent (VLEK) */
	char csp_id[128];                 /* VLEK only */
};

/* Reads the AMD extensions of a VCEK or VLEK. AG_EINVALID when malformed. */
enum ag_code ag_amd_cert_info(X509 *cert, struct ag_amd_cert_info *info, struct ag_err *err);

/* Appends the certificates in buf (PEM bundle, one DER certificate, or a cert table) to certs. */
enum ag_code ag_amd_certs_load(const uint8_t *buf, size_t len, STACK_OF(X509) *certs, struct ag_err *err);

/* Appends the certificates of a GHCB/configfs cert table (GUID, offset, length entries) to certs. */
enum ag_code ag_amd_cert_table_parse(const uint8_t *buf, size_t len, STACK_OF(X509) *certs, struct ag_err *err);

/* The leaf (VCEK or VLEK) among certs for report r: an EC key, preferably the one whose HWID is its CHIP_ID; NULL if none. */
X509 *ag_snp_leaf(const struct ag_snp_report *r, STACK_OF(X509) *certs);

/*
 * Verifies an SNP report end to end: finds its VCEK/VLEK in certs, checks
 * the chain to the pinned ASK/ASVK and ARK (or to test_roots when that list
 * is given: tests only), validity at time at, the report signature, TCB in
 * the certificate == REPORTED_TCB, HWID == CHIP_ID.  *claims gets the
 * report's claims.  AG_EINVALID with the reason otherwise.
 */
enum ag_code ag_snp_verify(const struct ag_snp_report *r, STACK_OF(X509) *certs, STACK_OF(X509) *test_roots, time_t at,
    json_t **claims, struct ag_err *err);

/*
 * ag_snp_verify with trust taken from directories: certificates of roots_dir
 * are added to certs (a missing directory is an error only when
 * roots_required), and test_roots_dir, when given, is the insecure test list.
 */
enum ag_code ag_snp_verify_dirs(const struct ag_snp_report *r, STACK_OF(X509) *certs, const char *roots_dir,
    int roots_required, const char *test_roots_dir, time_t at, json_t **claims, struct ag_err *err);

#endif
