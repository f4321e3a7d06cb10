/*
 * verifier_maa.h - attestation through Microsoft Azure Attestation: sends
 * collected evidence to the pinned instance with the protocol of the
 * platform (AzureGuest for azure-cvm) and returns the JWT it issues, not yet
 * verified (token.h does that).
 */
#ifndef AG_VERIFIER_MAA_H
#define AG_VERIFIER_MAA_H

#include "error.h"
#include "evidence.h"
#include "http.h"

struct ag_maa_opts {
	const char *url;                 /* pinned instance, no trailing '/' */
	const char *imds_url;            /* IMDS base (THIM); AG_IMDS_DEFAULT_URL in production */
	const char *tcti;                /* azure-cvm: the vTPM that decrypts the response */
	const char *roots;               /* AMD roots directory (only pinned certificates count), or NULL */
	const char *insecure_test_roots; /* tests only: directory of test roots, or NULL */
	const char *os_distro;
	unsigned os_major, os_minor;
	struct ag_http_opts http;
};

/* AzureGuest: evidence from ag_platform_azure_cvm_collect, nonce as text; *jwt is the decrypted token. */
enum ag_code ag_maa_attest_azure_guest(const struct ag_maa_opts *o, const struct ag_evidence *e, const char *nonce,
    char **jwt, struct ag_err *err);

#endif
