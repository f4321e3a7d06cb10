/*
 * verifier/amd_kds.h - more places a VCEK can come from when the evidence carries
 * none: a local cache directory (filled from every successful fetch) and
 * AMD's Key Distribution Service (off unless its URL is given).  What
 * either returns is only a candidate: amd_certs.h decides whether it is
 * trusted.
 */
#ifndef AG_AMD_KDS_H
#define AG_AMD_KDS_H

#include <openssl/x509.h>

#include "base/error.h"
#include "base/http.h"
#include "format/snp.h"

#define AG_AMD_KDS_URL "https://kdsintf.amd.com"

/* Appends the cached certificates for this report's chip and TCB from dir; AG_OK with nothing added when none. */
enum ag_code ag_amd_cache_load(const char *dir, const struct ag_snp_report *r, STACK_OF(X509) *certs, struct ag_err *err);

/* Stores pem (VCEK first) as this report's cache entry in dir, atomically. */
enum ag_code ag_amd_cache_store(const char *dir, const struct ag_snp_report *r, const char *pem, struct ag_err *err);

/* Fetches the VCEK for the report's chip and REPORTED_TCB and the product's ASK/ARK from KDS at base; *pem is new. */
enum ag_code ag_amd_kds_vcek(const char *base, const struct ag_http_opts *o, const struct ag_snp_report *r, char **pem,
    struct ag_err *err);

#endif
