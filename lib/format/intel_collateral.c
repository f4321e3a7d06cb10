/*
 * format/intel_collateral.c - signed PCS collateral: jansson for the JSON, the
 * exact bytes of the signed member (what Intel signs) located by a brace
 * scan that skips JSON strings, OpenSSL for the ECDSA P-256 signature, and
 * the Intel chain check of tdx.c.
 */
#include "format/intel_collateral.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "base/certs.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/pkey.h"
#include "format/tdx.h"

/* The end of the JSON string that starts at p (at its opening quote): just past the closing quote, or NULL. */
static const char *
string_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			if (++p >= end)
				return NULL;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

/* The exact bytes of the object value of "key" at the top level of the JSON object text; NULL when not found. */
static const char *
raw_member(const char *text, size_t len, const char *key, size_t *out_len)
{
	const char *p = text, *end = text + len, *s;
	size_t klen = strlen(key);
	int depth = 0;

	while (p < end) {
		if (*p == '"') {
			s = p;
			if ((p = string_end(p, end)) == NULL)
				return NULL;
			if (depth == 1 && (size_t)(p - s) == klen + 2 && memcmp(s + 1, key, klen) == 0) {
				const char *v = p;
				int d = 0;

				/* A key is followed by ':'; the same text as a value ("kind": "tcbInfo") is not the member. */
				while (v < end && (*v == ' ' || *v == '\n' || *v == '\r' || *v == '\t'))
					v++;
				if (v >= end || *v != ':')
					continue;
				for (v++; v < end && (*v == ' ' || *v == '\n' || *v == '\r' || *v == '\t'); v++)
					;
				if (v >= end || *v != '{')
					return NULL;
				for (const char *q = v; q < end;) {
					if (*q == '"') {
						if ((q = string_end(q, end)) == NULL)
							return NULL;
						continue;
					}
					if (*q == '{')
						d++;
					else if (*q == '}' && --d == 0) {
						*out_len = (size_t)(q + 1 - v);
						return v;
					}
					q++;
				}
				return NULL;
			}
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		p++;
	}
	return NULL;
}

static enum ag_code
check_signature(const char *signed_text, size_t signed_len, const char *sig_hex, X509 *signer, struct ag_err *err)
{
	uint8_t sig[64], *der = NULL;
	size_t der_len = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	if (sig_hex == NULL || strlen(sig_hex) != 128 || ag_hex_decode(sig_hex, sig, sizeof(sig)) != 0) {
		EVP_MD_CTX_free(md);
		return ag_err_set(err, AG_EINVALID, "signature is not 64 bytes of hex");
	}
	der = ag_ecdsa_der(sig, sig + 32, 32, 0, &der_len);
	ok = der != NULL && md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(signer)) == 1 &&
	    EVP_DigestVerify(md, der, der_len, (const uint8_t *)signed_text, signed_len) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok ? AG_OK : ag_err_set(err, AG_EINVALID, "signature does not verify with the TCB Signing certificate");
}

enum ag_code
ag_intel_collateral_open(const uint8_t *body, size_t len, const char *member, const char *id,
    STACK_OF(X509) *signing_chain, STACK_OF(X509) *test_roots, time_t at, json_t **root, json_t **info,
    struct ag_err *err)
{
	const char *signed_text, *issue, *next_s;
	size_t signed_len = 0;
	time_t issued, next;
	X509 *signer = NULL;
	char cn[128];
	enum ag_code rc = AG_OK;

	*root = *info = NULL;
	if (len > AG_INTEL_COLLATERAL_MAX)
		return ag_err_set(err, AG_EINVALID, "larger than %d bytes", AG_INTEL_COLLATERAL_MAX);
	/* The JSON first (so that malformed collateral is named as such), then who signed it. */
	signed_text = raw_member((const char *)body, len, member, &signed_len);
	*root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, NULL);
	if (signed_text == NULL || !json_is_object(*root))
		rc = ag_err_set(err, AG_EINVALID, "is not {\"%s\": {...}, \"signature\": ...}", member);
	if (rc == AG_OK)
		rc = ag_intel_verify_chain(signing_chain, test_roots, at, "TCB Signing chain", &signer, err);
	/* Only Intel's TCB Signing certificate signs collateral: not a CA, not a PCK certificate. */
	if (rc == AG_OK)
		ag_cert_cn(signer, cn, sizeof(cn));
	if (rc == AG_OK && (X509_check_ca(signer) != 0 || strstr(cn, "TCB Signing") == NULL ||
			       ((X509_get_extension_flags(signer) & EXFLAG_KUSAGE) && !(X509_get_key_usage(signer) & KU_DIGITAL_SIGNATURE))))
		rc = ag_err_set(err, AG_EINVALID, "is signed by %s, not by Intel's TCB Signing certificate", cn);
	if (rc == AG_OK)
		rc = check_signature(signed_text, signed_len, json_string_value(json_object_get(*root, "signature")), signer, err);
	*info = json_object_get(*root, member);
	if (rc == AG_OK && !json_is_object(*info))
		rc = ag_err_set(err, AG_EINVALID, "has no %s object", member);
	if (rc == AG_OK && (!json_is_string(json_object_get(*info, "id")) ||
			       strcmp(json_string_value(json_object_get(*info, "id")), id) != 0))
		rc = ag_err_set(err, AG_EINVALID, "is not for %s (id is not \"%s\")", id, id);
	issue = json_string_value(json_object_get(*info, "issueDate"));
	next_s = json_string_value(json_object_get(*info, "nextUpdate"));
	if (rc == AG_OK && (issue == NULL || next_s == NULL || ag_time_parse_rfc3339(issue, &issued) != 0 ||
			       ag_time_parse_rfc3339(next_s, &next) != 0))
		rc = ag_err_set(err, AG_EINVALID, "has no valid issueDate/nextUpdate");
	if (rc == AG_OK && (at < issued || at > next))
		rc = ag_err_set(err, AG_EINVALID,
		    "is not valid at the verification time (nextUpdate %s): fetch fresh collateral or pin the time with --at",
		    next_s);
	if (rc != AG_OK) {
		json_decref(*root);
		*root = *info = NULL;
	}
	return rc;
}
