/*
 * publish/status.c - builds status.json with jansson.  Every key of the design is
 * always present (null where not known yet) so consumers can rely on the
 * shape whatever step failed.
 */
#include "publish/status.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/version.h"

void
ag_status_init(struct ag_status *st, enum ag_code reason, const char *message)
{
	memset(st, 0, sizeof(*st));
	st->reason = reason;
	snprintf(st->message, sizeof(st->message), "%s", message != NULL ? message : "");
}

void
ag_status_set_error(struct ag_status *st, const struct ag_err *err)
{
	st->reason = err->code;
	snprintf(st->message, sizeof(st->message), "%s", err->msg);
}

int
ag_status_passes(const struct ag_status *st)
{
	return ag_exit_code(st->reason, st->policy_known && st->audit) == 0;
}

enum ag_code
ag_status_exit_code(const struct ag_status *st)
{
	return (enum ag_code)ag_exit_code(st->reason, st->policy_known && st->audit);
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
time_or_null(time_t t)
{
	char buf[AG_RFC3339_MAX];

	return t != 0 ? json_string(ag_time_rfc3339(t, buf)) : json_null();
}

json_t *
ag_status_to_json(const struct ag_status *st)
{
	char ts[AG_RFC3339_MAX];
	json_t *o, *policy, *token, *timings, *rules, *message;
	time_t now = st->transition != 0 ? st->transition : time(NULL);

	policy = st->policy_known ?
	    json_pack("{s:o, s:o, s:s}", "name", str_or_null(st->policy_name), "sha256",
		str_or_null(st->policy_sha256), "mode", st->audit ? "audit" : "enforce") :
	    json_null();
	token = (st->token_exp != 0 || st->token_iat != 0 || st->token_jti != NULL) ?
	    json_pack("{s:o, s:o, s:o}", "expiresAt", time_or_null(st->token_exp), "issuedAt",
		time_or_null(st->token_iat), "jti", str_or_null(st->token_jti)) :
	    json_null();
	timings = json_pack("{s:I, s:I, s:I, s:I}", "evidence", (json_int_t)st->ms_evidence,
	    "verifier", (json_int_t)st->ms_verifier, "verify", (json_int_t)st->ms_verify, "total",
	    (json_int_t)st->ms_total);
	rules = st->rules != NULL ? json_incref(st->rules) : json_array();
	message = json_string(st->message);
	if (message == NULL) {
		/* Not UTF-8 (a path or device string): keep what is ASCII so the reason survives. */
		char ascii[AG_ERR_MSG_MAX];

		for (size_t i = 0; i < sizeof(ascii); i++) {
			unsigned char c = (unsigned char)st->message[i];

			ascii[i] = c >= 0x80 ? '?' : (char)c;
			if (c == '\0')
				break;
		}
		message = json_string(ascii);
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}",
	    "apiVersion", "attestgate.io/v1", "kind", "AttestationStatus", "type", "Attested",
	    "status", st->reason == AG_OK && !st->no_policy ? "True" : "False",
	    "reason", st->reason == AG_OK && st->no_policy ? "ClaimsPrinted" : ag_code_reason(st->reason),
	    "message", message, "lastTransitionTime", ag_time_rfc3339(now, ts),
	    "platform", str_or_null(st->platform), "verifier", str_or_null(st->verifier),
	    "issuer", str_or_null(st->issuer), "policy", policy,
	    "rules", rules,
	    "token", token, "timingsMs", timings, "version", AG_VERSION_STRING);
	if (o != NULL && st->keys != NULL) {
		json_object_set(o, "keys", st->keys);
		json_object_set_new(timings, "keys", json_integer(st->ms_keys));
	}
	if (o != NULL && st->steps != NULL)
		json_object_set(timings, "steps", st->steps);
	if (o != NULL && st->gpus != NULL)
		json_object_set(o, "gpus", st->gpus);
	if (o != NULL && st->host_data != NULL)
		json_object_set_new(o, "hostData", json_string(st->host_data));
	return o;
}
