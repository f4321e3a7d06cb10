/*
 * release/transfer_key.c - the transfer key (see transfer_key.h): OpenSSL
 * generates and decrypts with the software key, the vTPM decrypts with
 * its ephemeral key (RSA-OAEP inside the TPM, under its PCR policy).
 */
#include "release/transfer_key.h"

#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "node/tpm.h"
#include "platform/platform.h"

#define TRANSFER_KEY_BITS 2048

enum ag_code
ag_transfer_key_generate(struct ag_transfer_key *k, json_t **jwk, struct ag_err *err)
{
	memset(k, 0, sizeof(*k));
	*jwk = NULL;
	k->rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)TRANSFER_KEY_BITS);
	if (k->rsa == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "cannot generate the RSA transfer key");
	*jwk = ag_skr_transfer_jwk(k->rsa, NULL);
	if (*jwk == NULL) {
		ag_transfer_key_clear(k);
		return ag_err_set(err, AG_EEVIDENCE, "cannot write the transfer key as a JWK");
	}
	snprintf(k->kid, sizeof(k->kid), "%s", json_string_value(json_object_get(*jwk, "kid")));
	k->modulus_len = (size_t)EVP_PKEY_get_size(k->rsa);
	return AG_OK;
}

/* The JWK of x-ms-runtime.keys with kid, or NULL. */
static const json_t *
token_key(const json_t *claims, const char *kid)
{
	const json_t *keys = json_object_get(json_object_get(claims, "x-ms-runtime"), "keys"), *j;
	size_t i;

	json_array_foreach(keys, i, j) {
		const char *s = json_string_value(json_object_get(j, "kid"));

		if (s != NULL && strcmp(s, kid) == 0)
			return j;
	}
	return NULL;
}

/* The byte length of a JWK's modulus n, or 0. */
static size_t
modulus_len(const json_t *jwk)
{
	const char *n = json_string_value(json_object_get(jwk, "n"));
	uint8_t *raw = NULL;
	size_t len = 0;

	if (n == NULL || ag_b64url_decode_any_padding(n, strlen(n), &raw, &len) != 0)
		return 0;
	free(raw);
	return len;
}

enum ag_code
ag_transfer_key_tpm(struct ag_transfer_key *k, const char *tcti, const json_t *claims, struct ag_err *err)
{
	const json_t *jwk = token_key(claims, AG_TRANSFER_KEY_TPM_KID);

	memset(k, 0, sizeof(*k));
	k->tcti = tcti;
	snprintf(k->kid, sizeof(k->kid), "%s", AG_TRANSFER_KEY_TPM_KID);
	k->modulus_len = jwk != NULL ? modulus_len(jwk) : 0;
	if (k->modulus_len == 0)
		return ag_err_set(err, AG_EINVALID, "the token's x-ms-runtime.keys has no %s (RSA): the vault has no vTPM key "
		    "to wrap for", AG_TRANSFER_KEY_TPM_KID);
	return AG_OK;
}

enum ag_code
ag_transfer_key_in_token(const struct ag_transfer_key *k, const json_t *claims, struct ag_err *err)
{
	const json_t *jwk = token_key(claims, k->kid);
	json_t *mine;
	int same;

	if (jwk == NULL)
		return ag_err_set(err, AG_EINVALID, "the token's x-ms-runtime.keys does not hold the transfer key %s", k->kid);
	if (k->rsa == NULL)
		return AG_OK;
	mine = ag_skr_transfer_jwk(k->rsa, k->kid);
	same = mine != NULL && json_equal(json_object_get(mine, "n"), json_object_get(jwk, "n")) &&
	    json_equal(json_object_get(mine, "e"), json_object_get(jwk, "e"));
	json_decref(mine);
	return same ? AG_OK : ag_err_set(err, AG_EINVALID, "the token's key %s is not this run's transfer key", k->kid);
}

/* RSA-OAEP with the software key. */
static enum ag_code
software_decrypt(EVP_PKEY *rsa, const char *md_name, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len,
    struct ag_err *err)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, rsa, NULL);
	size_t n = (size_t)EVP_PKEY_get_size(rsa);
	enum ag_code rc = AG_OK;

	*out = malloc(n);
	if (c == NULL || *out == NULL || EVP_PKEY_decrypt_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) != 1 || EVP_PKEY_CTX_set_rsa_oaep_md_name(c, md_name, NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(c, md_name, NULL) != 1)
		rc = ag_err_set(err, AG_EINVALID, "cannot set up RSA-OAEP with %s", md_name);
	else if (EVP_PKEY_decrypt(c, *out, &n, in, in_len) != 1)
		rc = ag_err_set(err, AG_EINVALID, "the transfer key cannot decrypt the wrapped AES key (RSA-OAEP %s): it was "
		    "not wrapped for this run's key, or it was altered", md_name);
	EVP_PKEY_CTX_free(c);
	if (rc != AG_OK) {
		ag_skr_free_secret(*out, EVP_PKEY_get_size(rsa) > 0 ? (size_t)EVP_PKEY_get_size(rsa) : 0);
		*out = NULL;
		return rc;
	}
	*out_len = n;
	return AG_OK;
}

enum ag_code
ag_transfer_key_decrypt(void *ctx, const char *md_name, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len,
    struct ag_err *err)
{
	struct ag_transfer_key *k = ctx;
	struct ag_tpm *t = NULL;
	enum ag_code rc;

	*out = NULL;
	if (k->rsa != NULL)
		return software_decrypt(k->rsa, md_name, in, in_len, out, out_len, err);
	if ((rc = ag_tpm_open(k->tcti, &t, err)) != AG_OK)
		return rc;
	rc = ag_tpm_ephemeral_decrypt(t, AG_AZURE_QUOTE_PCRS, md_name, in, in_len, out, out_len, err);
	ag_tpm_close(t);
	return rc;
}

void
ag_transfer_key_clear(struct ag_transfer_key *k)
{
	EVP_PKEY_free(k->rsa);
	k->rsa = NULL;
}
