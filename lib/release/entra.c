/*
 * release/entra.c - access tokens from Entra ID (see entra.h): the
 * client-credentials grant with the federated assertion (workload
 * identity), or IMDS's managed-identity endpoint.  Form values are escaped
 * by libcurl; the answer is {"access_token": ...} in both cases.
 */
#include "release/entra.h"

#include <curl/curl.h>
#include <ctype.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "format/key_release.h"

#define ASSERTION_MAX (64 * 1024)
#define TOKEN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/="

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

void
ag_entra_opts_from_env(struct ag_entra_opts *o)
{
	o->client_id = env("AZURE_CLIENT_ID");
	o->tenant_id = env("AZURE_TENANT_ID");
	o->federated_token_file = env("AZURE_FEDERATED_TOKEN_FILE");
	o->authority = env("AZURE_AUTHORITY_HOST");
}

enum ag_code
ag_entra_resource(const char *vault_url, char *out, size_t size, struct ag_err *err)
{
	const char *why = ag_skr_vault_url_problem(vault_url);
	char host[256];

	if (why != NULL)
		return ag_err_set(err, AG_ECONFIG, "vault %.200s %s", vault_url, why);
	/* A valid vault host has three labels or more: the resource is the host without the first. */
	ag_skr_vault_host(vault_url, host, sizeof(host));
	if ((size_t)snprintf(out, size, "https://%s", strchr(host, '.') + 1) >= size)
		return ag_err_set(err, AG_ECONFIG, "vault %.200s: host name too long", vault_url);
	return AG_OK;
}

/* Nonzero when s is a non-empty identifier of letters, digits, '-' and '.' (a tenant or client id). */
static int
plain_id(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 128)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
			return 0;
	return 1;
}

/* The access_token of an answer, or the error Entra ID or IMDS gave. */
static enum ag_code
parse_answer(const char *what, const struct ag_http_response *r, char **token, struct ag_err *err)
{
	json_t *doc = json_loadb((const char *)r->body.data, r->body.len, JSON_REJECT_DUPLICATES, NULL);
	const char *t = json_string_value(json_object_get(doc, "access_token"));
	const char *why = json_string_value(json_object_get(doc, "error_description"));
	enum ag_code rc = AG_OK;

	if (why == NULL)
		why = json_string_value(json_object_get(doc, "error"));
	if (r->status != 200)
		rc = ag_err_set(err, r->status >= 500 ? AG_EVERIFIER : AG_ECONFIG, "%s refused the identity (HTTP %ld): %.300s",
		    what, r->status, why != NULL ? why : "no reason given");
	else if (t == NULL || t[0] == '\0' || strlen(t) > AG_ENTRA_MAX_TOKEN)
		rc = ag_err_set(err, AG_EVERIFIER, "%s answered without an access_token", what);
	else if (strspn(t, TOKEN_CHARS) != strlen(t))
		/* It goes into an Authorization header: nothing but RFC 6750's b64token characters (no CR/LF). */
		rc = ag_err_set(err, AG_EVERIFIER, "%s answered an access_token with characters a bearer token cannot have", what);
	else if ((*token = strdup(t)) == NULL)
		rc = ag_err_set(err, AG_EVERIFIER, "out of memory");
	json_decref(doc);
	return rc;
}

/* The client-credentials grant of workload identity: the projected token is the client assertion. */
static enum ag_code
workload_identity(const struct ag_entra_opts *o, const char *resource, char **token, struct ag_err *err)
{
	static const char *const headers[] = { "Content-Type: application/x-www-form-urlencoded", "Accept: application/json",
		NULL };
	const char *authority = o->authority != NULL ? o->authority : AG_ENTRA_DEFAULT_AUTHORITY;
	uint8_t *assertion = NULL;
	size_t len = 0;
	char url[1024], scope[512], *form = NULL, *e_scope = NULL, *e_assert = NULL;
	struct ag_http_response resp;
	enum ag_code rc;

	if (!plain_id(o->client_id) || !plain_id(o->tenant_id))
		return ag_err_set(err, AG_ECONFIG, "workload identity needs AZURE_CLIENT_ID and AZURE_TENANT_ID (set with "
		    "AZURE_FEDERATED_TOKEN_FILE by the azure.workload.identity/use label): %s is missing or malformed",
		    plain_id(o->client_id) ? "AZURE_TENANT_ID" : "AZURE_CLIENT_ID");
	rc = ag_http_url(url, sizeof(url), err, "%s%s%s/oauth2/v2.0/token", authority,
	    authority[0] != '\0' && authority[strlen(authority) - 1] == '/' ? "" : "/", o->tenant_id);
	if (rc == AG_OK)
		rc = ag_file_read(o->federated_token_file, ASSERTION_MAX, AG_ECONFIG, &assertion, &len, err);
	if (rc != AG_OK)
		return rc;
	while (len > 0 && isspace(assertion[len - 1]))
		len--;
	snprintf(scope, sizeof(scope), "%s/.default", resource);
	e_scope = curl_easy_escape(NULL, scope, 0);
	e_assert = curl_easy_escape(NULL, (const char *)assertion, (int)len);
	if (e_scope != NULL && e_assert != NULL && asprintf(&form, "grant_type=client_credentials&client_id=%s&scope=%s&"
	    "client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer&client_assertion=%s",
	    o->client_id, e_scope, e_assert) < 0)
		form = NULL;
	OPENSSL_cleanse(assertion, len);
	free(assertion);
	curl_free(e_scope);
	if (e_assert != NULL)
		OPENSSL_cleanse(e_assert, strlen(e_assert));
	curl_free(e_assert);
	if (form == NULL)
		return ag_err_set(err, AG_EVERIFIER, "out of memory");
	rc = ag_http_request("POST", url, headers, form, strlen(form), &o->http, &resp, err);
	OPENSSL_cleanse(form, strlen(form));
	free(form);
	if (rc == AG_OK) {
		rc = parse_answer("Entra ID's token endpoint", &resp, token, err);
		ag_http_response_free(&resp);
	}
	return rc;
}

/* The node's managed identity through IMDS (a user-assigned one when AZURE_CLIENT_ID names it). */
static enum ag_code
managed_identity(const struct ag_entra_opts *o, const char *resource, char **token, struct ag_err *err)
{
	static const char *const headers[] = { "Metadata: true", NULL };
	struct ag_http_opts http = o->http;
	struct ag_http_response resp;
	char url[1024], *e_res = curl_easy_escape(NULL, resource, 0);
	enum ag_code rc;

	if (e_res == NULL)
		return ag_err_set(err, AG_EVERIFIER, "out of memory");
	if (o->client_id != NULL && !plain_id(o->client_id))
		rc = ag_err_set(err, AG_ECONFIG, "AZURE_CLIENT_ID is malformed");
	else
		rc = ag_http_url(url, sizeof(url), err, "%s/metadata/identity/oauth2/token?api-version=2018-02-01&resource=%s%s%s",
		    o->imds_url, e_res, o->client_id != NULL ? "&client_id=" : "", o->client_id != NULL ? o->client_id : "");
	curl_free(e_res);
	if (rc != AG_OK)
		return rc;
	http.allow_http = 1;
	rc = ag_http_request("GET", url, headers, NULL, 0, &http, &resp, err);
	if (rc == AG_OK) {
		rc = parse_answer("IMDS's managed identity endpoint", &resp, token, err);
		ag_http_response_free(&resp);
	}
	if (rc != AG_OK)
		ag_err_prefix(err, "no workload identity (AZURE_FEDERATED_TOKEN_FILE) is set, so the node's managed identity was "
		    "asked");
	return rc;
}

enum ag_code
ag_entra_token(const struct ag_entra_opts *o, const char *resource, char **token, struct ag_err *err)
{
	*token = NULL;
	return o->federated_token_file != NULL ? workload_identity(o, resource, token, err) :
						 managed_identity(o, resource, token, err);
}
