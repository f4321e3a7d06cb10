/*
 * maa_vm.c - SevSnpVm/TdxVm JSON with jansson and base64url from
 * base64.h.  Binary fields are base64url without padding, as MAA's REST
 * API takes them.
 */
#include "maa_vm.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "jwt.h"

static json_t *
b64u(struct ag_maa_bytes b)
{
	char *s = ag_b64url_encode(b.data, b.len);
	json_t *j = s != NULL ? json_string(s) : NULL;

	free(s);
	return j;
}

static json_t *
runtime_data(struct ag_maa_bytes runtime)
{
	return json_pack("{s:o, s:s}", "data", b64u(runtime), "dataType", "JSON");
}

static enum ag_code
dump(json_t *body, char **out, struct ag_err *err)
{
	*out = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	return *out != NULL ? AG_OK : ag_err_set(err, AG_EEVIDENCE, "cannot encode the MAA request");
}

enum ag_code
ag_maa_snp_vm_request(struct ag_maa_bytes report, const char *vcek_chain, struct ag_maa_bytes uvm,
    struct ag_maa_bytes runtime, const char *nonce, char **body, struct ag_err *err)
{
	struct ag_maa_bytes chain = { (const uint8_t *)vcek_chain, vcek_chain != NULL ? strlen(vcek_chain) : 0 };
	json_t *endorse = json_object(), *inner;
	char *inner_text = NULL;
	enum ag_code rc;

	*body = NULL;
	if (uvm.len > 0)
		json_object_set_new(endorse, "Uvm", json_pack("[o]", b64u(uvm)));
	inner = json_pack("{s:o, s:o, s:o}", "SnpReport", b64u(report), "VcekCertChain", b64u(chain), "Endorsements", endorse);
	rc = dump(inner, &inner_text, err);
	if (rc != AG_OK)
		return rc;
	rc = dump(json_pack("{s:o, s:o, s:s}", "report", b64u((struct ag_maa_bytes){ (const uint8_t *)inner_text, strlen(inner_text) }),
		      "runtimeData", runtime_data(runtime), "nonce", nonce),
	    body, err);
	free(inner_text);
	return rc;
}

enum ag_code
ag_maa_tdx_vm_request(struct ag_maa_bytes quote, struct ag_maa_bytes runtime, const char *nonce, char **body,
    struct ag_err *err)
{
	*body = NULL;
	return dump(json_pack("{s:o, s:o, s:s}", "quote", b64u(quote), "runtimeData", runtime_data(runtime), "nonce", nonce),
	    body, err);
}

enum ag_code
ag_maa_vm_response_parse(const uint8_t *body, size_t len, char **jwt, struct ag_err *err)
{
	json_error_t jerr;
	json_t *root;
	const json_t *tok;

	*jwt = NULL;
	if (len > AG_MAA_MAX_RESPONSE)
		return ag_err_set(err, AG_EINVALID, "MAA response larger than %d bytes", AG_MAA_MAX_RESPONSE);
	root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
	tok = json_object_get(root, "token");
	if (!json_is_object(root) || !json_is_string(tok) || json_string_length(tok) == 0 ||
	    json_string_length(tok) > AG_JWT_MAX_BYTES || strlen(json_string_value(tok)) != json_string_length(tok)) {
		json_decref(root);
		return ag_err_set(err, AG_EINVALID, "MAA response is not {\"token\": JWT}%s%s", root == NULL ? ": " : "",
		    root == NULL ? jerr.text : "");
	}
	*jwt = strdup(json_string_value(tok));
	json_decref(root);
	return *jwt != NULL ? AG_OK : ag_err_set(err, AG_EINVALID, "out of memory");
}
