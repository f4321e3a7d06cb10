/*
 * cmd_verify_token.c - `attestgate verify-token`: verifies a verifier's JWT
 * against the pinned instance (keys from --jwks or <url>/certs) and prints
 * the verified claims.  The checks themselves are token.h's.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "commands.h"
#include "base/fileio.h"
#include "verifier/jwks_fetch.h"
#include "format/jwt.h"
#include "base/log.h"
#include "format/token.h"

#define LIST_MAX 16
/* Read more than a token may be, so that an oversized token is reported as invalid (exit 6), not as a bad file. */
#define TOKEN_FILE_MAX (16 * 1024 * 1024)

/* Splits a comma-separated list in place into list (NULL-terminated); returns -1 if too long or empty items. */
static int
split_list(char *s, const char **list)
{
	size_t n = 0;

	for (char *tok = strtok(s, ","); tok != NULL; tok = strtok(NULL, ",")) {
		while (isspace((unsigned char)*tok))
			tok++;
		if (*tok == '\0' || n + 1 >= LIST_MAX)
			return -1;
		list[n++] = tok;
	}
	list[n] = NULL;
	return n > 0 ? 0 : -1;
}

static enum ag_code
load_keys(const struct cli_values *v, const char *url, struct ag_jwks **keys, struct ag_err *err)
{
	const char *path = cli_get(v, "jwks");
	struct ag_http_opts http;
	uint8_t *buf = NULL;
	size_t len = 0;
	enum ag_code rc;

	if (path == NULL) {
		memset(&http, 0, sizeof(http));
		http.ca_file = cli_get(v, "ca-file");
		http.deadline_ms = ag_clock_mono_ms() + cli_get_duration_ms(v, "timeout");
		return ag_jwks_fetch(url, &http, keys, err);
	}
	rc = ag_file_read(path, AG_JWKS_MAX_BYTES, AG_ECONFIG, &buf, &len, err);
	if (rc == AG_OK) {
		rc = ag_jwks_parse(buf, len, keys, err);
		if (rc != AG_OK)
			ag_err_prefix(err, "%s", path);
	}
	free(buf);
	return rc;
}

/* --clock-skew and --max-age, or a policy's freshness unless the command line is stricter about the age. */
static void
freshness(const struct cli_values *v, const struct cmd_token_pin *pin, struct ag_token_opts *o)
{
	o->clock_skew_s = cli_get_duration_ms(v, "clock-skew") / 1000;
	o->max_age_s = cli_get(v, "max-age") != NULL ? cli_get_duration_ms(v, "max-age") / 1000 : 0;
	if (pin != NULL) {
		o->clock_skew_s = pin->clock_skew_s;
		if (o->max_age_s == 0 || (pin->max_age_s > 0 && pin->max_age_s < o->max_age_s))
			o->max_age_s = pin->max_age_s;
	}
}

/* Verifies the token; the nonce's place follows the protocol, which a verified claim says. */
static enum ag_code
verify(const uint8_t *tok, size_t len, const struct ag_jwks *keys, struct ag_token_opts *o, json_t **claims,
    struct ag_token_info *info, struct ag_err *err)
{
	struct ag_token_opts probe = *o;
	enum ag_code rc;

	if (o->nonce == NULL)
		return ag_token_verify(tok, len, keys, o, claims, info, err);
	probe.nonce = NULL;
	rc = ag_token_verify(tok, len, keys, &probe, claims, info, err);
	if (rc == AG_OK) {
		o->nonce_site = ag_token_nonce_site_of(*claims);
		rc = ag_token_check_nonce(*claims, o, err);
	}
	return rc;
}

enum ag_code
cmd_token_claims(const struct cli_values *v, const struct cmd_token_pin *pin, json_t **claims_out, struct ag_err *out_err)
{
	const char *token_path = cli_get(v, "token"), *at = cli_get(v, "at"), *why;
	const char *algs[LIST_MAX], *signers[LIST_MAX];
	char *url = NULL, *algs_buf = NULL, *signers_buf = NULL;
	struct ag_token_opts o;
	struct ag_token_info info;
	struct ag_jwks *keys = NULL;
	struct ag_err err;
	json_t *claims = NULL;
	uint8_t *tok = NULL;
	size_t len = 0;
	enum ag_code rc = AG_ECONFIG;

	ag_err_clear(&err);
	memset(&o, 0, sizeof(o));
	*claims_out = NULL;
	if (token_path == NULL || (cli_get(v, "url") == NULL && (pin == NULL || pin->url == NULL)))
		return ag_err_set(out_err, AG_ECONFIG, "--token and --url are required");
	url = strdup(pin != NULL && pin->url != NULL ? pin->url : cli_get(v, "url"));
	algs_buf = strdup(cli_get(v, "algs"));
	signers_buf = cli_get(v, "signer-sha256") != NULL ? strdup(cli_get(v, "signer-sha256")) : NULL;
	if (url == NULL || algs_buf == NULL || (cli_get(v, "signer-sha256") != NULL && signers_buf == NULL)) {
		ag_err_set(&err, AG_ECONFIG, "out of memory");
		goto out;
	}
	if ((why = ag_token_issuer_normalize(url)) != NULL) {
		ag_err_set(&err, AG_ECONFIG, "--url %s, not \"%.80s\"", why, url);
		goto out;
	}
	if (split_list(algs_buf, algs) != 0 ||
	    (signers_buf != NULL && split_list(signers_buf, signers) != 0)) {
		ag_err_set(&err, AG_ECONFIG, "--algs and --signer-sha256 take comma-separated lists of up to %d items",
		    LIST_MAX - 1);
		goto out;
	}
	o.issuer = url;
	o.algs = algs;
	o.signer_sha256 = signers_buf != NULL ? signers : NULL;
	o.now = time(NULL);
	if (at != NULL && ag_time_parse_rfc3339(at, &o.now) != 0) {
		ag_err_set(&err, AG_ECONFIG, "--at: \"%.64s\" is not an RFC 3339 time (2022-05-31T22:00:00Z)", at);
		goto out;
	}
	freshness(v, pin, &o);
	o.nonce = cli_get(v, "nonce");
	o.user_data = cli_get(v, "user-data");
	rc = ag_file_read(token_path, TOKEN_FILE_MAX, AG_ECONFIG, &tok, &len, &err);
	if (rc != AG_OK)
		goto out;
	/* A token file usually ends with a newline; nothing else is trimmed. */
	while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r'))
		len--;
	rc = load_keys(v, url, &keys, &err);
	if (rc != AG_OK)
		goto out;
	rc = verify(tok, len, keys, &o, &claims, &info, &err);
	if (rc == AG_OK) {
		ag_log(AG_LOG_INFO, "token verified", "issuer", json_string(url), "kid", json_string(info.kid), "exp",
		    json_integer(info.exp), NULL);
		*claims_out = claims;
		claims = NULL;
	}
out:
	if (rc != AG_OK)
		*out_err = err;
	json_decref(claims);
	ag_jwks_free(keys);
	free(tok);
	free(url);
	free(algs_buf);
	free(signers_buf);
	return (int)rc;
}

int
cmd_verify_token(const struct cli_cmd *cmd, const struct cli_values *v)
{
	json_t *claims = NULL;
	struct ag_err err;
	enum ag_code rc;

	ag_err_clear(&err);
	if (cli_get(v, "token") == NULL || cli_get(v, "url") == NULL)
		return cli_usage_error(cmd, "--token and --url are required");
	rc = cmd_token_claims(v, NULL, &claims, &err);
	if (rc == AG_OK) {
		char *s = json_dumps(claims, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (s != NULL)
			printf("%s\n", s);
		free(s);
	} else {
		fprintf(stderr, "attestgate %s: %s\n", cmd->name, err.msg);
	}
	json_decref(claims);
	return (int)rc;
}

static const struct cli_flag verify_token_flags[] = {
	{ "token", CLI_STRING, "FILE", NULL, NULL, "the JWT to verify", 0, 0 },
	TOKEN_CHECK_FLAGS
	{ 0 },
};

const struct cli_cmd cmd_verify_token_command = { "verify-token", "Verify a verifier's JWT against the pinned issuer and its keys.",
    "Prints the verified claims as JSON (exit 0), or why the token is not acceptable\n"
    "(exit 6; 4 when the keys cannot be fetched, 2 for bad flags or files).",
    verify_token_flags, cmd_verify_token };
