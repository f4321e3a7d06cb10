/*
 * verifier/local.h - attestgate as its own verifier (`verifier: local`,
 * and `verify-evidence`): evidence of every platform is checked here
 * against the pinned AMD and Intel roots, the vTPM quote and the nonce
 * binding, and the claims carry MAA's names for what was verified, so one
 * policy language serves both verifiers.  No token is issued.
 */
#ifndef AG_VERIFIER_LOCAL_H
#define AG_VERIFIER_LOCAL_H

#include <jansson.h>
#include <openssl/x509.h>
#include <time.h>

#include "base/error.h"
#include "platform/evidence.h"
#include "format/hcl.h"
#include "base/http.h"
#include "format/snp.h"

struct ag_local_opts {
	const char *imds_url;            /* THIM, for the VCEK chain on Azure; NULL: do not ask THIM */
	const char *kds_url;             /* AMD KDS; NULL: off */
	const char *cert_cache;          /* VCEK cache directory; NULL: none */
	const char *roots;               /* AMD/Intel roots directory, or NULL */
	int roots_required;              /* a missing roots directory is an error */
	const char *insecure_test_roots; /* tests only, or NULL */
	STACK_OF(X509) *certs;           /* more certificates (verify-evidence --certs), or NULL */
	time_t at;                       /* verification time; 0: now */
	const char *tdx_tcb_info;        /* Intel TCB info collateral for TD quotes, or NULL */
	const char *tdx_qe_identity;     /* Intel QE identity collateral for TD quotes, or NULL */
	const char *tdx_qe_identity_chain; /* its issuer chain (PEM); NULL: the TCB info's */
	const char *tdx_tcb_chain;       /* its issuer chain (TCB Signing certificate first) */
	STACK_OF(X509_CRL) *crls;        /* revocation lists to check the chains against (--crl), or NULL */
	int quote_optional;              /* azure-cvm: verify without a vTPM quote (verify-evidence only) */
	int nonce_required;              /* the caller asked for the nonce check: evidence that cannot bind it is an error */
	struct ag_http_opts http;
};

/* The VCEK chain for a report from the cache, THIM or KDS (as configured), as PEM; *fetched: it came over the network. */
enum ag_code ag_local_vcek_chain(const struct ag_local_opts *o, const struct ag_snp_report *snp, char **pem, int *fetched,
    struct ag_err *err);

/* Gets the VCEK chain (cache, THIM, KDS) and verifies the HCL report's SEV-SNP report; *claims (may be NULL) gets its claims. */
enum ag_code ag_local_check_hcl_snp(const struct ag_local_opts *o, const struct ag_hcl_report *r, char **vcek_pem,
    json_t **claims, struct ag_err *err);

/*
 * Verifies an SNP report.  Certificates come from certs_blob (cert table,
 * PEM, DER; may be NULL) and o->certs; when those hold no VCEK/VLEK, from
 * the cache, THIM, then KDS (each when configured; a fetched chain that
 * verifies is cached).
 */
enum ag_code ag_local_check_snp(const struct ag_local_opts *o, const uint8_t *report, size_t len,
    const struct ag_evidence_blob *certs_blob, json_t **claims, struct ag_err *err);

/* Verifies a TD quote to the pinned Intel root; *claims (may be NULL) gets its claims. */
enum ag_code ag_local_check_tdx(const struct ag_local_opts *o, const uint8_t *quote, size_t len, json_t **claims,
    struct ag_err *err);

/* Verifies collected evidence of any platform, including its binding to e->nonce; *claims is new. */
enum ag_code ag_local_verify(const struct ag_local_opts *o, const struct ag_evidence *e, json_t **claims,
    struct ag_err *err);

#endif
