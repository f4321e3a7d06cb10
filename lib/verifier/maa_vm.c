/*
 * verifier/maa_vm.c - SevSnpVm/TdxVm JSON with jansson and base64url from
 * base64.h, shaped as Microsoft's own clients shape them: SevSnpVm as the
 * confidential-sidecar-containers (padded base64url, Endorsements as a
 * base64url string), TdxVm as cvm-attestation-tools (docs/protocols.md).
 */
#include "verifier/maa_vm.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "format/jwt.h"

/* A JSON string of base64url: padded as the sidecar's Go base64.URLEncoding writes SevSnpVm fields, or not, as
 * cvm-attestation-tools sends TdxVm fields. */
static json_t *
b64u_json(struct ag_maa_bytes b, int padded)
{
	char *s = padded ? ag_b64url_encode_padded(b.data, b.len) : ag_b64url_encode(b.data, b.len);
	json_t *j = s != NULL ? json_string(s) : NULL;

	free(s);
	return j;
}

static json_t *
b64u(struct ag_maa_bytes b)
{
	return b64u_json(b, 0);
}

static json_t *
b64u_padded(struct ag_maa_bytes b)
{
	return b64u_json(b, 1);
}

static json_t *
runtime_data(json_t *data)
{
	return json_pack("{s:o, s:s}", "data", data, "dataType", "JSON");
}

static enum ag_code
dump(json_t *body, char **out, struct ag_err *err)
{
	*out = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(body);
	return *out != NULL ? AG_OK : ag_err_set(err, AG_EEVIDENCE, "cannot encode the MAA request");
}

static struct ag_maa_bytes
text_bytes(const char *s)
{
	return (struct ag_maa_bytes){ (const uint8_t *)s, s != NULL ? strlen(s) : 0 };
}

enum ag_code
ag_maa_snp_vm_request(struct ag_maa_bytes report, const char *vcek_chain, struct ag_maa_bytes uvm,
    struct ag_maa_bytes runtime, uint64_t request_nonce, char **body, struct ag_err *err)
{
	json_t *inner;
	char *inner_text = NULL, *endorse_text = NULL;
	enum ag_code rc = AG_OK;

	*body = NULL;
	inner = json_pack("{s:o, s:o}", "SnpReport", b64u_padded(report), "VcekCertChain", b64u_padded(text_bytes(vcek_chain)));
	if (inner != NULL && uvm.len > 0) {
		rc = dump(json_pack("{s:[o]}", "Uvm", b64u_padded(uvm)), &endorse_text, err);
		/* The UVM endorsement is what MAA's compliance verdict rests on: never dropped silently. */
		if (rc == AG_OK && json_object_set_new(inner, "Endorsements", b64u_padded(text_bytes(endorse_text))) != 0)
			rc = ag_err_set(err, AG_EEVIDENCE, "cannot encode the UVM endorsement");
	}
	if (rc == AG_OK)
		rc = dump(inner, &inner_text, err);
	else
		json_decref(inner);
	if (rc == AG_OK)
		rc = dump(json_pack("{s:o, s:o, s:{s:s, s:s}, s:I}", "report", b64u_padded(text_bytes(inner_text)),
			      "runtimeData", runtime_data(b64u_padded(runtime)), "initTimeData", "data", "", "dataType", "",
			      "nonce", (json_int_t)(request_nonce & 0x7fffffffffffffffULL)),
		    body, err);
	free(endorse_text);
	free(inner_text);
	return rc;
}

enum ag_code
ag_maa_tdx_vm_request(struct ag_maa_bytes quote, struct ag_maa_bytes runtime, char **body, struct ag_err *err)
{
	*body = NULL;
	return dump(json_pack("{s:o, s:o}", "quote", b64u(quote), "runtimeData", runtime_data(b64u(runtime))), body, err);
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
