/*
 * release/vault.c - the release calls (see vault.h).  One access token per
 * vault resource, reused across the policy's keys; every call under the
 * run's deadline; the vault's own error message carried into the status.
 */
#include "release/vault.h"

#include <openssl/crypto.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"

/* The vault's error message ({"error": {"code", "message"}}), or a generic one, into buf. */
static const char *
vault_message(const struct ag_http_response *r, char *buf, size_t size)
{
	json_t *doc = json_loadb((const char *)r->body.data, r->body.len, 0, NULL);
	const json_t *e = json_object_get(doc, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	snprintf(buf, size, "%s%s%.300s", code != NULL ? code : "", code != NULL && msg != NULL ? ": " : "",
	    msg != NULL ? msg : code != NULL ? "" : "no error message");
	json_decref(doc);
	return buf;
}

/* Nonzero when a 403 is about the identity (RBAC, access policy, firewall), not the key's release policy. */
static int
identity_refused(const struct ag_http_response *r)
{
	static const char *const codes[] = { "ForbiddenByRbac", "AccessDenied", "ForbiddenByFirewall", "ForbiddenByConnection",
		NULL };
	json_t *doc = json_loadb((const char *)r->body.data, r->body.len, 0, NULL);
	const char *inner = json_string_value(json_object_get(json_object_get(json_object_get(doc, "error"), "innererror"),
	    "code"));
	int hit = 0;

	for (size_t i = 0; inner != NULL && codes[i] != NULL; i++)
		hit |= strcmp(inner, codes[i]) == 0;
	json_decref(doc);
	return hit;
}

/* Maps a release call's HTTP status to the gate's result. */
static enum ag_code
release_status(const struct ag_policy_key *k, const struct ag_http_response *r, struct ag_err *err)
{
	char msg[400];

	if (r->status == 200)
		return AG_OK;
	vault_message(r, msg, sizeof(msg));
	if (r->status == 403 && identity_refused(r))
		return ag_err_set(err, AG_ECONFIG, "%s refused to release key %s (HTTP 403): %s: the identity may not release "
		    "it (role Key Vault Crypto Service Release User, or the release permission; the vault's firewall)", k->vault,
		    k->name, msg);
	if (r->status == 403)
		return ag_err_set(err, AG_EKEYDENIED, "%s refused to release key %s (HTTP 403): %s", k->vault, k->name, msg);
	if (r->status == 401 || r->status == 404 || r->status == 400)
		return ag_err_set(err, AG_ECONFIG, "%s refused to release key %s (HTTP %ld): %s: check the key's name, the "
		    "identity's permission (release) and the release policy's authority", k->vault, k->name, r->status, msg);
	/* Anything else (409, 429 and 5xx after the client's retries, ...): the vault is not available for this. */
	return ag_err_set(err, AG_EVERIFIER, "%s answered HTTP %ld to the release of key %s: %s", k->vault, r->status,
	    k->name, msg);
}

/* The CA bundle (--ca-file, or the system's) as a store for the response's x5c chain. */
static X509_STORE *
trust_store(const struct ag_http_opts *o, struct ag_err *err)
{
	const char *ca = ag_http_ca_file(o);
	X509_STORE *s = X509_STORE_new();

	if (s == NULL || ca == NULL || X509_STORE_load_file(s, ca) != 1) {
		X509_STORE_free(s);
		ag_err_set(err, AG_ECONFIG, "no CA bundle to check the vault's signature with (%s)", ca != NULL ? ca :
		    "none found: pass --ca-file");
		return NULL;
	}
	return s;
}

/*
 * POST .../keys/NAME[/VERSION]/release and the verified payload of its
 * answer; *trust is the CA bundle's store, loaded at the first answer to
 * check and kept for the policy's other keys.
 */
static enum ag_code
release_call(const struct ag_policy_key *k, const char *token, const char *bearer, const struct ag_vault_opts *o,
    X509_STORE **trust, json_t **payload, struct ag_err *err)
{
	char url[1024], auth[AG_ENTRA_MAX_TOKEN + 32], host[256], *body = ag_skr_request_body(token, AG_SKR_RSA_AES_KEY_WRAP_256);
	const char *headers[] = { "Content-Type: application/json", "Accept: application/json", auth, NULL };
	struct ag_http_opts http = o->http;
	struct ag_http_response resp;
	enum ag_code rc;

	if (body == NULL)
		return ag_err_set(err, AG_EVERIFIER, "out of memory");
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
	http.max_response = AG_SKR_MAX_RESPONSE;
	rc = ag_http_url(url, sizeof(url), err, "%s/keys/%s%s%s/release?api-version=" AG_VAULT_API_VERSION, k->vault,
	    k->name, k->version != NULL ? "/" : "", k->version != NULL ? k->version : "");
	if (rc == AG_OK)
		rc = ag_http_request("POST", url, headers, body, strlen(body), &http, &resp, err);
	OPENSSL_cleanse(auth, sizeof(auth));
	free(body);
	if (rc != AG_OK)
		return rc;
	rc = release_status(k, &resp, err);
	if (rc == AG_OK && *trust == NULL && (*trust = trust_store(&o->http, err)) == NULL)
		rc = err->code;
	if (rc == AG_OK)
		rc = ag_skr_response_verify(resp.body.data, resp.body.len, *trust, ag_skr_vault_host(k->vault, host,
		    sizeof(host)), time(NULL), payload, err);
	ag_http_response_free(&resp);
	return rc;
}

/*
 * The released key must be the one asked for: its kid is
 * https://HOST/keys/NAME/VERSION (the vault's host without a port; VERSION
 * 32 hex digits, the pinned one when the policy names it).
 */
static enum ag_code
check_kid(const struct ag_policy_key *k, const char *kid, struct ag_err *err)
{
	char host[256], prefix[512];
	const char *v;
	size_t n;

	snprintf(prefix, sizeof(prefix), "https://%s/keys/%s/", ag_skr_vault_host(k->vault, host, sizeof(host)), k->name);
	n = strlen(prefix);
	v = strncmp(kid, prefix, n) == 0 ? kid + n : NULL;
	if (v == NULL || strlen(v) != 32 || strspn(v, "0123456789abcdef") != 32 ||
	    (k->version != NULL && strcasecmp(v, k->version) != 0))
		return ag_err_set(err, AG_EINVALID, "the vault released %.200s, not the key asked for (%s%s)", kid, prefix,
		    k->version != NULL ? k->version : "VERSION");
	return AG_OK;
}

/* Releases one key and encodes it into *out. */
static enum ag_code
release_one(const struct ag_policy_key *k, const char *token, const char *bearer, struct ag_transfer_key *tk,
    const struct ag_vault_opts *o, X509_STORE **trust, struct ag_released_key *out, struct ag_err *err)
{
	json_t *payload = NULL;
	struct ag_skr_key key;
	enum ag_code rc = release_call(k, token, bearer, o, trust, &payload, err);

	if (rc == AG_OK) {
		rc = ag_skr_unwrap(payload, tk->modulus_len, ag_transfer_key_decrypt, tk, &key, err);
		if (rc == AG_OK && (rc = check_kid(k, key.kid, err)) != AG_OK)
			ag_skr_key_clear(&key);
		if (rc == AG_OK) {
			rc = ag_skr_encode(&key, k->format, &out->data, &out->len, err);
			ag_skr_key_clear(&key);
		}
		if (rc != AG_OK)
			ag_err_prefix(err, "key %s of %s", k->name, k->vault);
	}
	json_decref(payload);
	out->file = k->file;
	return rc;
}

/* The status entry of one key. */
static json_t *
key_result(const struct ag_policy_key *k, int released, const char *error)
{
	json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:b}", "name", k->name, "vault", k->vault, "file", k->file, "format",
	    ag_policy_key_format_name(k->format), "released", released);

	if (r != NULL && k->version != NULL)
		json_object_set_new(r, "version", json_string(k->version));
	if (r != NULL && error != NULL)
		json_object_set_new(r, "error", json_string(error));
	return r;
}

/* The access token for k's vault: the one already held when the resource is the same. */
static enum ag_code
bearer_for(const struct ag_policy_key *k, const struct ag_vault_opts *o, char resource[256], char **bearer,
    struct ag_err *err)
{
	char want[256];
	enum ag_code rc = ag_entra_resource(k->vault, want, sizeof(want), err);

	if (rc != AG_OK || (*bearer != NULL && strcmp(want, resource) == 0))
		return rc;
	if (*bearer != NULL)
		OPENSSL_cleanse(*bearer, strlen(*bearer));
	free(*bearer);
	*bearer = NULL;
	snprintf(resource, 256, "%s", want);
	rc = ag_entra_token(&o->entra, resource, bearer, err);
	if (rc != AG_OK)
		ag_err_prefix(err, "no access token for %s", resource);
	return rc;
}

enum ag_code
ag_vault_release_all(const struct ag_policy *p, const char *token, const json_t *claims,
    struct ag_transfer_key *tk, const struct ag_vault_opts *o, struct ag_released_key **keys, json_t **results,
    struct ag_err *err)
{
	struct ag_released_key *out = calloc(p->n_keys > 0 ? p->n_keys : 1, sizeof(*out));
	char resource[256] = "", *bearer = NULL;
	X509_STORE *trust = NULL;
	enum ag_code rc = out != NULL ? ag_transfer_key_in_token(tk, claims, err) : ag_err_set(err, AG_EVERIFIER, "out of memory");
	size_t i;

	*keys = NULL;
	*results = json_array();
	for (i = 0; i < p->n_keys && rc == AG_OK; i++) {
		rc = bearer_for(&p->keys[i], o, resource, &bearer, err);
		if (rc == AG_OK)
			rc = release_one(&p->keys[i], token, bearer, tk, o, &trust, &out[i], err);
		json_array_append_new(*results, key_result(&p->keys[i], rc == AG_OK, rc == AG_OK ? NULL : err->msg));
		ag_log(rc == AG_OK ? AG_LOG_INFO : AG_LOG_ERROR, rc == AG_OK ? "key released" : "key not released", "keyName",
		    json_string(p->keys[i].name), "vault", json_string(p->keys[i].vault), "file", json_string(p->keys[i].file),
		    "error", rc == AG_OK ? NULL : json_string(err->msg), NULL);
	}
	for (; i < p->n_keys; i++)
		json_array_append_new(*results, key_result(&p->keys[i], 0, "not attempted: an earlier key failed"));
	if (bearer != NULL)
		OPENSSL_cleanse(bearer, strlen(bearer));
	free(bearer);
	X509_STORE_free(trust);
	if (rc != AG_OK) {
		ag_released_keys_free(out, p->n_keys);
		return rc;
	}
	*keys = out;
	return AG_OK;
}

void
ag_released_keys_free(struct ag_released_key *keys, size_t n)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if (keys[i].data != NULL) {
			OPENSSL_cleanse(keys[i].data, keys[i].len);
			free(keys[i].data);
		}
	free(keys);
}
