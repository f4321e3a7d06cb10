/*
 * verifier_local.h - attestgate as its own verifier (`verifier: local`):
 * the evidence is checked here against the pinned AMD roots and the vTPM
 * quote, and the claims carry MAA's names for what was verified, so one
 * policy language serves both verifiers.  No token is issued.
 */
#ifndef AG_VERIFIER_LOCAL_H
#define AG_VERIFIER_LOCAL_H

#include <jansson.h>

#include "error.h"
#include "evidence.h"
#include "hcl.h"
#include "http.h"

struct ag_local_opts {
	const char *imds_url;            /* THIM, for the VCEK chain of an Azure CVM */
	const char *roots;               /* AMD roots directory, or NULL */
	const char *insecure_test_roots; /* tests only, or NULL */
	struct ag_http_opts http;
};

/* Fetches the VCEK chain from THIM and verifies the HCL report's SEV-SNP report; *claims (may be NULL) gets its claims. */
enum ag_code ag_local_check_hcl_snp(const struct ag_local_opts *o, const struct ag_hcl_report *r, char **vcek_pem,
    json_t **claims, struct ag_err *err);

/* Verifies Azure CVM evidence (HCL report, SNP report and chain, AK binding, quote with nonce, PCRs); *claims is new. */
enum ag_code ag_local_verify_azure_cvm(const struct ag_local_opts *o, const struct ag_evidence *e, json_t **claims,
    struct ag_err *err);

#endif
