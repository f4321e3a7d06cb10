/*
 * format/token.c - the gate's acceptance rules for a verifier's token, checked in
 * the order that keeps untrusted input away from trust decisions: header
 * rules and the pinned jku first, then the key and signature, and only then
 * the claims (issuer, times, nonce).
 */
#include "format/token.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "format/claims.h"
#include "base/clock.h"
#include "format/jwt.h"

#define AG_TOKEN_TIME_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */

/* A NumericDate claim; required or not, it must be an integer when present. */
static enum ag_code
numeric_date(const json_t *claims, const char *name, int required, time_t *out, struct ag_err *err)
{
	const json_t *v = json_object_get(claims, name);

	*out = 0;
	if (v == NULL)
		return required ? ag_err_set(err, AG_EINVALID, "token has no %s claim", name) : AG_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return ag_err_set(err, AG_EINVALID, "token %s is not a NumericDate (integer seconds)", name);
	/* Beyond 9999-12-31T23:59:59Z is no date a verifier issues; bounding it keeps the arithmetic below defined. */
	if (json_integer_value(v) > AG_TOKEN_TIME_MAX)
		return ag_err_set(err, AG_EINVALID, "token %s (%lld) is after the year 9999", name,
		    (long long)json_integer_value(v));
	*out = (time_t)json_integer_value(v);
	return AG_OK;
}

static enum ag_code
check_times(const json_t *claims, const struct ag_token_opts *o, struct ag_token_info *info, struct ag_err *err)
{
	char a[AG_RFC3339_MAX], b[AG_RFC3339_MAX];
	time_t nbf;
	enum ag_code rc;

	rc = numeric_date(claims, "exp", 1, &info->exp, err);
	if (rc == AG_OK)
		rc = numeric_date(claims, "nbf", 0, &nbf, err);
	if (rc == AG_OK)
		rc = numeric_date(claims, "iat", o->max_age_s > 0, &info->iat, err);
	if (rc != AG_OK)
		return rc;
	if ((int64_t)o->now > (int64_t)info->exp + o->clock_skew_s)
		return ag_err_set(err, AG_EINVALID, "token expired at %s (now %s)", ag_time_rfc3339(info->exp, a),
		    ag_time_rfc3339(o->now, b));
	if (nbf != 0 && (int64_t)o->now + o->clock_skew_s < (int64_t)nbf)
		return ag_err_set(err, AG_EINVALID, "token is not valid before %s (now %s)", ag_time_rfc3339(nbf, a),
		    ag_time_rfc3339(o->now, b));
	if (info->iat != 0 && (int64_t)info->iat > (int64_t)o->now + o->clock_skew_s)
		return ag_err_set(err, AG_EINVALID, "token was issued in the future, at %s (now %s)",
		    ag_time_rfc3339(info->iat, a), ag_time_rfc3339(o->now, b));
	if (o->max_age_s > 0 && (int64_t)o->now - (int64_t)info->iat > o->max_age_s + o->clock_skew_s)
		return ag_err_set(err, AG_EINVALID, "token was issued at %s, more than maxTokenAge %llds before now (%s)",
		    ag_time_rfc3339(info->iat, a), (long long)o->max_age_s, ag_time_rfc3339(o->now, b));
	return AG_OK;
}

static int
on_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		if (strcasecmp(list[i], s) == 0)
			return 1;
	return 0;
}

enum ag_code
ag_token_check_nonce(const json_t *claims, const struct ag_token_opts *o, struct ag_err *err)
{
	const char *where = o->nonce_site == AG_NONCE_AZUREGUEST ? "/x-ms-runtime/client-payload/nonce" :
								      "/x-ms-runtime/nonce";
	const json_t *got;

	/* Each requested check runs on its own: user data is checked with or without a nonce. */
	if (o->nonce != NULL) {
		got = ag_claims_lookup(claims, where);
		if (!json_is_string(got))
			return ag_err_set(err, AG_EINVALID, "token carries no nonce at %s: it does not answer this request",
			    where);
		if (strcmp(json_string_value(got), o->nonce) != 0 || strlen(o->nonce) != json_string_length(got))
			return ag_err_set(err, AG_EINVALID,
			    "token nonce at %s is not this run's nonce: it answers another request (replayed?)", where);
	}
	if (o->user_data != NULL) {
		got = ag_claims_lookup(claims, "/x-ms-isolation-tee/x-ms-runtime/user-data");
		/* Hex in either case, the whole string: no prefix or embedded NUL matches. */
		if (!json_is_string(got) || json_string_length(got) != strlen(o->user_data) ||
		    strcasecmp(json_string_value(got), o->user_data) != 0)
			return ag_err_set(err, AG_EINVALID,
			    "token user-data is not the fresh report's user data: the HCL report is stale");
	}
	return AG_OK;
}

const char *
ag_token_issuer_normalize(char *u)
{
	size_t n;

	if (strncmp(u, "https://", 8) != 0 || u[8] == '\0' || u[8] == '/')
		return "must be an https:// URL";
	for (const char *c = u; *c != '\0'; c++)
		if (*c == '?' || *c == '#' || *c == '@' || isspace((unsigned char)*c) || !isprint((unsigned char)*c))
			return "must be a plain instance URL (no query, fragment, user or spaces)";
	n = strlen(u);
	if (n > 512)
		return "is too long";
	while (n > 8 && u[n - 1] == '/')
		u[--n] = '\0';
	return NULL;
}

enum ag_nonce_site
ag_token_nonce_site_of(const json_t *claims)
{
	const char *type = json_string_value(json_object_get(claims, "x-ms-attestation-type"));

	return type != NULL && strcmp(type, "azurevm") == 0 ? AG_NONCE_AZUREGUEST : AG_NONCE_RUNTIME;
}

enum ag_code
ag_token_verify(const uint8_t *tok, size_t len, const struct ag_jwks *keys, const struct ag_token_opts *o,
    json_t **claims, struct ag_token_info *info, struct ag_err *err)
{
	struct ag_jwt *t = NULL;
	const struct ag_jwk *key;
	const char *iss;
	char certs[1024];
	enum ag_code rc;

	*claims = NULL;
	memset(info, 0, sizeof(*info));
	rc = ag_jwt_parse(tok, len, &t, err);
	if (rc == AG_OK)
		rc = ag_jwt_check_header(t, o->algs, err);
	if (rc != AG_OK)
		goto out;
	snprintf(certs, sizeof(certs), "%s/certs", o->issuer);
	if (t->jku != NULL && strcmp(t->jku, certs) != 0) {
		rc = ag_err_set(err, AG_EINVALID, "token jku %.200s is not %s: keys only come from the pinned instance",
		    t->jku, certs);
		goto out;
	}
	if (t->kid == NULL) {
		rc = ag_err_set(err, AG_EINVALID, "token header has no kid");
		goto out;
	}
	key = ag_jwks_find(keys, t->kid);
	if (key == NULL) {
		rc = ag_err_set(err, AG_EINVALID, "token is signed with kid %.100s, which is not a key of %s", t->kid, certs);
		goto out;
	}
	if (o->signer_sha256 != NULL && !on_list(o->signer_sha256, key->cert_sha256)) {
		rc = ag_err_set(err, AG_EINVALID, "signing certificate of key %s (sha256 %s) is not on the allowlist",
		    key->kid, key->cert_sha256[0] != '\0' ? key->cert_sha256 : "none: no x5c");
		goto out;
	}
	rc = ag_jwt_verify_signature(t, key, err);
	if (rc != AG_OK)
		goto out;
	/* From here on the claims are the verifier's words. */
	iss = json_string_value(json_object_get(t->claims, "iss"));
	if (iss == NULL || strcmp(iss, o->issuer) != 0) {
		rc = ag_err_set(err, AG_EINVALID, "token issuer %.200s is not the pinned instance %s",
		    iss != NULL ? iss : "(none)", o->issuer);
		goto out;
	}
	rc = check_times(t->claims, o, info, err);
	if (rc == AG_OK)
		rc = ag_token_check_nonce(t->claims, o, err);
	if (rc != AG_OK)
		goto out;
	info->jti = json_string_value(json_object_get(t->claims, "jti"));
	info->kid = key->kid;
	*claims = json_incref(t->claims);
out:
	ag_jwt_free(t);
	return rc;
}
