/*
 * verifier/jwks_fetch.c - <instance>/certs over the HTTP client, parsed by jwks.c.
 */
#include "verifier/jwks_fetch.h"

#include <stdio.h>

enum ag_code
ag_jwks_fetch(const char *instance, const struct ag_http_opts *o, struct ag_jwks **out, struct ag_err *err)
{
	static const char *const headers[] = { "Accept: application/json", NULL };
	struct ag_http_opts opts = *o;
	struct ag_http_response resp;
	char url[1024];
	enum ag_code rc;

	*out = NULL;
	if ((rc = ag_http_url(url, sizeof(url), err, "%s/certs", instance)) != AG_OK)
		return rc;
	if (opts.max_response == 0 || opts.max_response > AG_JWKS_MAX_BYTES)
		opts.max_response = AG_JWKS_MAX_BYTES;
	rc = ag_http_request("GET", url, headers, NULL, 0, &opts, &resp, err);
	if (rc != AG_OK)
		return rc;
	if (resp.status != 200) {
		rc = ag_err_set(err, AG_EVERIFIER, "%s answered HTTP %ld, not the signing keys", url, resp.status);
	} else {
		rc = ag_jwks_parse(resp.body.data, resp.body.len, out, err);
		if (rc != AG_OK)
			ag_err_prefix(err, "%s", url);
	}
	ag_http_response_free(&resp);
	return rc;
}
