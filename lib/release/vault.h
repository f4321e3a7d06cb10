/*
 * release/vault.h - Secure Key Release from Azure Key Vault and Managed HSM:
 * for each key the policy names, an access token from Entra ID, the release
 * call with the verified MAA token, the signed response checked and the key
 * opened with the transfer key, then encoded as the policy says.  Writing
 * the files is the gate's (with the other outputs, before ready).
 */
#ifndef AG_VAULT_H
#define AG_VAULT_H

#include <jansson.h>

#include "base/error.h"
#include "base/http.h"
#include "policy/policy.h"
#include "release/entra.h"
#include "release/transfer_key.h"

#define AG_VAULT_API_VERSION "7.4"

/* One released key, encoded for its file. */
struct ag_released_key {
	const char *file;          /* the policy's file name (borrowed) */
	uint8_t *data;             /* cleansed and freed by ag_released_keys_free */
	size_t len;
};

struct ag_vault_opts {
	struct ag_entra_opts entra;  /* identity (and its HTTP options) */
	struct ag_http_opts http;    /* the vault calls; ca_file also anchors the response's x5c chain */
};

/*
 * Releases every key of p with token (verified; claims are its claims)
 * wrapped to tk.  *keys gets p->n_keys encoded keys on success, and
 * *results (always, new reference) one {name, vault, file, format,
 * released, error?} per key.  AG_EKEYDENIED when a vault's release policy
 * said no (403), AG_EVERIFIER when unreachable, AG_ECONFIG for an identity
 * or key the vault does not know, AG_EINVALID for a response that does not
 * verify or open.  Nothing is returned unless every key was released.
 */
enum ag_code ag_vault_release_all(const struct ag_policy *p, const char *token, const json_t *claims,
    struct ag_transfer_key *tk, const struct ag_vault_opts *o, struct ag_released_key **keys, json_t **results,
    struct ag_err *err);

/* Cleanses and frees released keys; NULL is allowed. */
void ag_released_keys_free(struct ag_released_key *keys, size_t n);

#endif
