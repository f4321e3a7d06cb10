/*
 * node/imds.c - THIM over the HTTP client.  The response is small JSON:
 * {"vcekCert": PEM, "certificateChain": PEM, "tcbm": "16 hex digits"}.
 */
#include "node/imds.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base64.h"
#include "format/tdx.h"

#define THIM_MAX (64 * 1024)

enum ag_code
ag_thim_parse(const uint8_t *buf, size_t len, uint64_t reported_tcb, char **pem, struct ag_err *err)
{
	json_t *root = len <= THIM_MAX ? json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *vcek = json_string_value(json_object_get(root, "vcekCert")),
		   *chain = json_string_value(json_object_get(root, "certificateChain")),
		   *tcbm = json_string_value(json_object_get(root, "tcbm"));
	enum ag_code rc = AG_OK;
	char want[17];

	*pem = NULL;
	/* As Microsoft's C++ client (ImdsOperations::GetVCekCert): both certificate fields non-empty. */
	if (vcek == NULL || chain == NULL || tcbm == NULL || vcek[0] == '\0' || chain[0] == '\0' ||
	    strlen(vcek) != json_string_length(json_object_get(root, "vcekCert")) ||
	    strlen(chain) != json_string_length(json_object_get(root, "certificateChain"))) {
		rc = ag_err_set(err, AG_EINVALID, "THIM certification lacks vcekCert, certificateChain or tcbm");
		goto out;
	}
	snprintf(want, sizeof(want), "%016" PRIX64, reported_tcb);
	if (strcasecmp(tcbm, want) != 0) {
		rc = ag_err_set(err, AG_EINVALID, "THIM certificates are for TCB %.16s, the report says %s", tcbm, want);
		goto out;
	}
	*pem = malloc(strlen(vcek) + strlen(chain) + 2);
	if (*pem == NULL) {
		rc = ag_err_set(err, AG_EEVIDENCE, "out of memory");
		goto out;
	}
	sprintf(*pem, "%s%s%s", vcek, vcek[0] != '\0' && vcek[strlen(vcek) - 1] != '\n' ? "\n" : "", chain);
out:
	json_decref(root);
	return rc;
}

enum ag_code
ag_imds_thim_vcek(const char *base, const struct ag_http_opts *o, uint64_t reported_tcb, char **pem, struct ag_err *err)
{
	static const char *const headers[] = { "Metadata: true", NULL };
	struct ag_http_opts opts = *o;
	struct ag_http_response resp;
	char url[512];
	enum ag_code rc;

	*pem = NULL;
	if ((rc = ag_http_url(url, sizeof(url), err, "%s/metadata/THIM/amd/certification", base)) != AG_OK)
		return rc;
	opts.allow_http = 1;
	opts.max_response = THIM_MAX;
	opts.unreachable = AG_EEVIDENCE;   /* IMDS is where evidence comes from, not the verifier */
	rc = ag_http_request("GET", url, headers, NULL, 0, &opts, &resp, err);
	if (rc != AG_OK) {
		ag_err_prefix(err, "IMDS THIM (VCEK certificates)");
		return rc;
	}
	if (resp.status != 200) {
		rc = ag_err_set(err, AG_EEVIDENCE, "IMDS THIM %s answered HTTP %ld", url, resp.status);
		goto out;
	}
	rc = ag_thim_parse(resp.body.data, resp.body.len, reported_tcb, pem, err);
out:
	ag_http_response_free(&resp);
	return rc;
}

enum ag_code
ag_imds_td_quote(const char *base, const struct ag_http_opts *o, const uint8_t *tdreport, size_t len, uint8_t **quote,
    size_t *quote_len, struct ag_err *err)
{
	/* As cvm-attestation-tools' get_td_quote: Content-Type only (IMDS's Metadata header is for /metadata). */
	static const char *const headers[] = { "Content-Type: application/json", NULL };
	struct ag_http_opts opts = *o;
	struct ag_http_response resp;
	char url[512], *report = ag_b64url_encode(tdreport, len), *body = NULL;
	json_t *req = report != NULL ? json_pack("{s:s}", "report", report) : NULL, *root = NULL;
	const char *q;
	enum ag_code rc;

	*quote = NULL;
	*quote_len = 0;
	memset(&resp, 0, sizeof(resp));
	body = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	free(report);
	if (body == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "out of memory");
	if ((rc = ag_http_url(url, sizeof(url), err, "%s/acc/tdquote", base)) != AG_OK) {
		free(body);
		return rc;
	}
	opts.allow_http = 1;
	opts.max_response = THIM_MAX;
	opts.unreachable = AG_EEVIDENCE;
	rc = ag_http_request("POST", url, headers, body, strlen(body), &opts, &resp, err);
	free(body);
	if (rc != AG_OK) {
		ag_err_prefix(err, "IMDS TD quote service");
		return rc;
	}
	if (resp.status != 200) {
		rc = ag_err_set(err, AG_EEVIDENCE, "IMDS %s answered HTTP %ld", url, resp.status);
		goto out;
	}
	root = json_loadb((const char *)resp.body.data, resp.body.len, JSON_REJECT_DUPLICATES, NULL);
	q = json_string_value(json_object_get(root, "quote"));
	if (q == NULL || ag_b64url_decode_any_padding(q, strlen(q), quote, quote_len) != 0 || *quote_len > AG_TDX_QUOTE_MAX)
		rc = ag_err_set(err, AG_EINVALID, "IMDS TD quote answer is not {\"quote\": base64url}");
out:
	if (rc != AG_OK) {
		free(*quote);
		*quote = NULL;
		*quote_len = 0;
	}
	json_decref(root);
	ag_http_response_free(&resp);
	return rc;
}
