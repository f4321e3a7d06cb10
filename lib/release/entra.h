/*
 * release/entra.h - an access token for Azure Key Vault or Managed HSM from
 * Microsoft Entra ID: workload identity (the federated token AKS projects
 * into the pod, exchanged at the tenant's token endpoint) or, where no
 * workload identity is configured, the node's managed identity through IMDS.
 * Never both: a workload identity that fails is an error, not a fallback.
 */
#ifndef AG_ENTRA_H
#define AG_ENTRA_H

#include "base/error.h"
#include "base/http.h"

#define AG_ENTRA_DEFAULT_AUTHORITY "https://login.microsoftonline.com/"
#define AG_ENTRA_MAX_TOKEN (16 * 1024)

/* Where the identity comes from: the AZURE_* variables workload identity sets, and IMDS for managed identity. */
struct ag_entra_opts {
	const char *client_id;          /* AZURE_CLIENT_ID, or NULL */
	const char *tenant_id;          /* AZURE_TENANT_ID, or NULL */
	const char *federated_token_file; /* AZURE_FEDERATED_TOKEN_FILE, or NULL: managed identity */
	const char *authority;          /* AZURE_AUTHORITY_HOST, or NULL: AG_ENTRA_DEFAULT_AUTHORITY */
	const char *imds_url;           /* managed identity: IMDS base URL */
	struct ag_http_opts http;
};

/* Fills the identity fields of o from the environment (the AZURE_* variables of workload identity). */
void ag_entra_opts_from_env(struct ag_entra_opts *o);

/* The resource a vault's token is for: https:// and the vault's host without its first label (https://vault.azure.net). */
enum ag_code ag_entra_resource(const char *vault_url, char *out, size_t size, struct ag_err *err);

/* A bearer token for resource (new string): AG_ECONFIG when the identity is refused, AG_EVERIFIER when unreachable. */
enum ag_code ag_entra_token(const struct ag_entra_opts *o, const char *resource, char **token, struct ag_err *err);

#endif
