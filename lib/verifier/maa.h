/*
 * verifier/maa.h - attestation through Microsoft Azure Attestation: sends
 * collected evidence to the pinned instance with the protocol of the
 * platform (AzureGuest for azure-cvm, SevSnpVm, TdxVm) and returns the JWT it issues, not yet
 * verified (token.h does that).
 */
#ifndef AG_VERIFIER_MAA_H
#define AG_VERIFIER_MAA_H

#include "base/timing.h"
#include "base/error.h"
#include "platform/evidence.h"
#include "base/http.h"
#include "node/os_release.h"
#include "verifier/local.h"

struct ag_maa_opts {
	const char *url;                 /* pinned instance, no trailing '/' */
	const char *tcti;                /* azure-cvm: the vTPM that decrypts the response */
	struct ag_os_release os;          /* AzureGuest: the node's NAME and VERSION_ID */
	struct ag_local_opts local;      /* IMDS, roots and HTTP: the report is checked locally before it is sent */
	struct ag_timings *timings;      /* per-step wall times, or NULL */
};

/* AzureGuest: evidence from ag_platform_azure_cvm_collect, its nonce sent as text; *jwt is the decrypted token. */
enum ag_code ag_maa_attest_azure_guest(const struct ag_maa_opts *o, const struct ag_evidence *e, char **jwt,
    struct ag_err *err);

/* SevSnpVm (azure-kata-cc, sev-snp) or TdxVm (tdx): the report is verified locally first; the nonce is in its runtime data. */
enum ag_code ag_maa_attest_vm(const struct ag_maa_opts *o, const struct ag_evidence *e, char **jwt, struct ag_err *err);

#endif
