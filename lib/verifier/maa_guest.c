/*
 * verifier/maa_guest.c - AzureGuest request and response encoding with jansson, base64
 * and AES-GCM from OpenSSL.  Field names and encodings follow Microsoft's
 * C++ AttestationClient field by field (docs/protocols.md): base64 for
 * binary fields and the VCEK chain, base64url for the whole AttestationInfo
 * and for the SNP report inside the SevSnp proof.
 */
#include "verifier/maa_guest.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "format/jwt.h"
#include "format/tpm_attest.h"

static json_t *
b64(const struct ag_maa_bytes *b)
{
	char *s = ag_b64_encode(b->data, b->len);
	json_t *j = s != NULL ? json_string(s) : NULL;

	free(s);
	return j;
}

static json_t *
b64_text(const char *text)
{
	struct ag_maa_bytes b = { (const uint8_t *)text, strlen(text) };

	return b64(&b);
}

static json_t *
isolation_json(const struct ag_maa_guest_request *r)
{
	json_t *proof_obj = NULL, *proof;
	char *proof_text = NULL, *report_url = NULL, *chain = NULL;

	if (strcmp(r->isolation, "Tdx") == 0) {
		proof = b64(&r->hw_report);
	} else {
		/* As Microsoft's C++ client: SnpReport base64url, VcekCertChain standard base64 of the PEM text. */
		report_url = ag_b64url_encode(r->hw_report.data, r->hw_report.len);
		chain = r->vcek_chain != NULL ? ag_b64_encode((const uint8_t *)r->vcek_chain, strlen(r->vcek_chain)) : NULL;
		proof_obj = json_pack("{s:s?, s:s?}", "SnpReport", report_url, "VcekCertChain", chain);
		proof_text = proof_obj != NULL ? json_dumps(proof_obj, JSON_COMPACT) : NULL;
		proof = proof_text != NULL ? b64_text(proof_text) : NULL;
	}
	free(report_url);
	free(chain);
	free(proof_text);
	json_decref(proof_obj);
	return json_pack("{s:s, s:{s:o*, s:o*}}", "Type", r->isolation, "Evidence", "Proof", proof, "RunTimeData",
	    b64(&r->runtime));
}

enum ag_code
ag_maa_guest_request_build(const struct ag_maa_guest_request *r, char **body, struct ag_err *err)
{
	const uint8_t *qraw, *craw;
	size_t qraw_len, craw_len;
	json_t *set = json_array(), *pcrs = json_array(), *info, *root;
	char *text = NULL, *url = NULL;
	enum ag_code rc;

	*body = NULL;
	/* MAA takes the bare RSA signatures, not the TPMT_SIGNATURE wrappers. */
	rc = ag_tpm_signature_raw(r->quote_sig.data, r->quote_sig.len, &qraw, &qraw_len, err);
	if (rc == AG_OK)
		rc = ag_tpm_signature_raw(r->certify_sig.data, r->certify_sig.len, &craw, &craw_len, err);
	if (rc != AG_OK) {
		json_decref(set);
		json_decref(pcrs);
		return rc;
	}
	for (unsigned i = 0; i < AG_TPM_PCR_COUNT; i++) {
		struct ag_maa_bytes d = { r->pcrs + 32 * i, 32 };

		if (!(r->pcr_mask & (1u << i)))
			continue;
		json_array_append_new(set, json_integer(i));
		json_array_append_new(pcrs, json_pack("{s:i, s:o*}", "Index", i, "Digest", b64(&d)));
	}
	{
		struct ag_maa_bytes q = { qraw, qraw_len }, c = { craw, craw_len };

		info = json_pack("{s:s, s:o*, s:o*, s:i, s:i, s:o*, s:o*, s:{s:o*}, s:{s:o*, s:o*, s:o*, s:o*, s:o*, s:o*, s:o*, s:o, s:o}, s:o*}",
		    "AttestationProtocolVersion", "2.0", "OSType", b64_text("Linux"), "OSDistro", b64_text(r->os_distro),
		    "OSVersionMajor", (int)r->os_major, "OSVersionMinor", (int)r->os_minor, "OSBuild",
		    b64_text("NotApplication"), "TcgLogs", b64(&r->tcg_log), "ClientPayload", "nonce", b64_text(r->nonce),
		    "TpmInfo", "AikCert", b64(&r->ak_cert), "AikPub", b64(&r->ak_pub), "PcrQuote", b64(&r->quote),
		    "PcrSignature", b64(&q), "EncKeyPub", b64(&r->enc_pub), "EncKeyCertifyInfo", b64(&r->certify),
		    "EncKeyCertifyInfoSignature", b64(&c), "PcrSet", set, "PCRs", pcrs, "IsolationInfo",
		    isolation_json(r));
	}
	text = info != NULL ? json_dumps(info, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	url = text != NULL ? ag_b64url_encode((const uint8_t *)text, strlen(text)) : NULL;
	root = url != NULL ? json_pack("{s:s}", "AttestationInfo", url) : NULL;
	*body = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(info);
	json_decref(root);
	free(text);
	free(url);
	return *body != NULL ? AG_OK : ag_err_set(err, AG_EEVIDENCE, "cannot build the AzureGuest request");
}

/* A base64 member of o decoded into a new buffer; -1 when absent or malformed. */
static int
b64_member(const json_t *o, const char *key, size_t max, uint8_t **out, size_t *len)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!json_is_string(v) || json_string_length(v) > 4 * ((max + 2) / 3) ||
	    ag_b64_decode(json_string_value(v), json_string_length(v), out, len) != 0)
		return -1;
	if (*len == 0 || *len > max) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static int
str_is(const json_t *o, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL && strcmp(v, want) == 0;
}

enum ag_code
ag_maa_guest_response_parse(const uint8_t *body, size_t len, struct ag_maa_guest_response *out, struct ag_err *err)
{
	json_error_t jerr;
	json_t *root = NULL, *env = NULL, *params;
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	const json_t *tok, *bits;
	enum ag_code rc = AG_OK;

	memset(out, 0, sizeof(*out));
	if (len > AG_MAA_MAX_RESPONSE)
		return ag_err_set(err, AG_EINVALID, "AzureGuest response larger than %d bytes", AG_MAA_MAX_RESPONSE);
	root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
	tok = json_object_get(root, "token");
	if (!json_is_object(root) || !json_is_string(tok)) {
		rc = ag_err_set(err, AG_EINVALID, "AzureGuest response is not {\"token\": ...}%s%s", root == NULL ? ": " : "",
		    root == NULL ? jerr.text : "");
		goto out;
	}
	/* Microsoft's clients decode the envelope with or without '=' padding: so does this. */
	if (ag_b64url_decode_any_padding(json_string_value(tok), json_string_length(tok), &raw, &raw_len) != 0) {
		rc = ag_err_set(err, AG_EINVALID, "AzureGuest response token is not base64url");
		goto out;
	}
	env = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, &jerr);
	params = json_object_get(env, "EncryptionParams");
	bits = json_object_get(params, "KeySizeInBits");
	if (!json_is_object(env) || !json_is_object(params)) {
		rc = ag_err_set(err, AG_EINVALID, "AzureGuest response envelope is not the encrypted-token JSON");
		goto out;
	}
	/* As Microsoft's C++ client (GetEncryptionParameters): all three named, AES in GCM mode. */
	if (!str_is(params, "Cipher", "AES") || !str_is(params, "BlockMode", "ChainingModeGCM") ||
	    !str_is(params, "BlockPadding", "PKCS7") || !json_is_integer(bits) ||
	    (json_integer_value(bits) != 128 && json_integer_value(bits) != 192 && json_integer_value(bits) != 256)) {
		rc = ag_err_set(err, AG_EINVALID, "AzureGuest response uses a cipher other than AES-128/192/256-GCM");
		goto out;
	}
	out->key_bits = (unsigned)json_integer_value(bits);
	if (b64_member(env, "EncryptedInnerKey", 512, &out->inner_key_enc, &out->inner_key_enc_len) != 0 ||
	    b64_member(params, "Iv", 16, &out->iv, &out->iv_len) != 0 ||
	    b64_member(env, "AuthenticationData", 16, &out->tag, &out->tag_len) != 0 ||
	    b64_member(env, "Jwt", AG_JWT_MAX_BYTES, &out->jwt_enc, &out->jwt_enc_len) != 0) {
		rc = ag_err_set(err, AG_EINVALID,
		    "AzureGuest response lacks a well-formed EncryptedInnerKey, Iv, AuthenticationData or Jwt");
		goto out;
	}
	if (out->iv_len < 12 || out->tag_len != 16)
		rc = ag_err_set(err, AG_EINVALID,
		    "AzureGuest response has a %zu-byte IV and %zu-byte tag (12 to 16 and 16 expected)", out->iv_len,
		    out->tag_len);
out:
	if (rc != AG_OK)
		ag_maa_guest_response_clear(out);
	free(raw);
	json_decref(env);
	json_decref(root);
	return rc;
}

void
ag_maa_guest_response_clear(struct ag_maa_guest_response *r)
{
	free(r->inner_key_enc);
	free(r->iv);
	free(r->tag);
	free(r->jwt_enc);
	memset(r, 0, sizeof(*r));
}

enum ag_code
ag_maa_guest_decrypt_jwt(const struct ag_maa_guest_response *r, const uint8_t *key, size_t key_len, char **jwt,
    struct ag_err *err)
{
	static const unsigned char aad[] = "Transport Key";
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *plain = NULL;
	int n = 0, fin = 0, ok;

	*jwt = NULL;
	if (key_len * 8 != r->key_bits)
		return ag_err_set(err, AG_EINVALID, "the inner key is %zu bits, the response says %u", key_len * 8, r->key_bits);
	plain = malloc(r->jwt_enc_len + 1);
	ctx = EVP_CIPHER_CTX_new();
	ok = plain != NULL && ctx != NULL &&
	    EVP_DecryptInit_ex(ctx, key_len == 32 ? EVP_aes_256_gcm() : key_len == 24 ? EVP_aes_192_gcm() : EVP_aes_128_gcm(),
		NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)r->iv_len, NULL) == 1 &&
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, r->iv) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)(sizeof(aad) - 1)) == 1 &&
	    EVP_DecryptUpdate(ctx, plain, &n, r->jwt_enc, (int)r->jwt_enc_len) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, (int)r->tag_len, r->tag) == 1 &&
	    EVP_DecryptFinal_ex(ctx, plain + n, &fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		free(plain);
		return ag_err_set(err, AG_EINVALID, "the AzureGuest response does not decrypt: it was not made for this vTPM's key, or it was altered");
	}
	plain[n + fin] = '\0';
	if (strlen((char *)plain) != (size_t)(n + fin)) {
		free(plain);
		return ag_err_set(err, AG_EINVALID, "the decrypted AzureGuest token contains NUL bytes");
	}
	*jwt = (char *)plain;
	return AG_OK;
}
