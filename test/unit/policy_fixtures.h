/*
 * policy_fixtures.h - what the policy unit tests share: a policy head, the
 * claims the operators run against, and parse/evaluate helpers.
 * Header-only, included by test_policy_parse.c, test_policy_load.c and
 * test_policy_eval.c.
 */
#ifndef AG_POLICY_FIXTURES_H
#define AG_POLICY_FIXTURES_H

#include "testutil.h"

#include <jansson.h>

#include "base/digest.h"
#include "format/claims.h"
#include "policy/policy.h"

#define HEAD \
	"apiVersion: attestgate.io/v1\n" \
	"kind: AttestationPolicy\n" \
	"metadata:\n" \
	"  name: t\n" \
	"spec:\n" \
	"  platforms: [azure-cvm]\n" \
	"  verifier:\n" \
	"    type: maa\n" \
	"    url: https://x.attest.azure.net/\n" \
	"  require:\n"
/* HEAD is 10 lines; the first rule starts on line 11. */

/* The claims the operator tests run against. */
static const char claims_json[] __attribute__((unused)) =
	"{\"s\": \"azure-compliant-cvm\", \"n\": 93, \"r\": 1.5, \"b\": false, \"t\": true,"
	" \"nul\": null, \"o\": {\"in\": \"x\"}, \"a\": [1, 2], \"big\": 9007199254740993,"
	" \"a/b\": {\"m~n\": \"esc\"}}";

static inline struct ag_policy *
parse_ok(const char *yaml)
{
	struct ag_policy *p = NULL;
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_policy_parse((const uint8_t *)yaml, strlen(yaml), "t.yaml", &p, &err) != AG_OK)
		fail_msg("policy did not parse: %s", err.msg);
	return p;
}

/* Parses yaml expecting failure; the message must contain want (e.g. "t.yaml:12:"). */
static inline void
parse_fails(const char *yaml, const char *want, const char *want2)
{
	struct ag_policy *p = NULL;
	struct ag_err err;

	ag_err_clear(&err);
	assert_int_equal(ag_policy_parse((const uint8_t *)yaml, strlen(yaml), "t.yaml", &p, &err), AG_ECONFIG);
	assert_null(p);
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	if (want2 != NULL && strstr(err.msg, want2) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want2);
}

/* Evaluates a one-rule policy ("  - claim: C\n    OP: V\n") against claims_json. */
static inline int
eval_one(const char *rule, json_t **result_out, struct ag_err *err)
{
	char yaml[2048];
	struct ag_policy *p;
	json_t *claims, *results;
	enum ag_code rc;

	snprintf(yaml, sizeof(yaml), "%s%s", HEAD, rule);
	p = parse_ok(yaml);
	assert_int_equal(ag_claims_parse((const uint8_t *)claims_json, strlen(claims_json), &claims, err), AG_OK);
	rc = ag_policy_evaluate(p, claims, &results, err);
	assert_int_equal(json_array_size(results), 1);
	assert_true(json_is_boolean(json_object_get(json_array_get(results, 0), "ok")));
	assert_int_equal(json_is_true(json_object_get(json_array_get(results, 0), "ok")), rc == AG_OK);
	if (result_out != NULL)
		*result_out = json_incref(json_array_get(results, 0));
	json_decref(results);
	json_decref(claims);
	ag_policy_free(p);
	return rc == AG_OK ? 1 : (assert_int_equal(rc, AG_EPOLICY), 0);
}

static inline int
holds(const char *rule)
{
	struct ag_err err;

	ag_err_clear(&err);
	return eval_one(rule, NULL, &err);
}

/* The rule fails and the reason says "type mismatch". */
static inline void
mismatch(const char *rule)
{
	struct ag_err err;

	ag_err_clear(&err);
	assert_false(eval_one(rule, NULL, &err));
	if (strstr(err.msg, "type mismatch") == NULL)
		fail_msg("\"%s\" lacks \"type mismatch\"", err.msg);
}

static inline int
holds_on(const char *claims_text, const char *rule)
{
	size_t n = strlen(HEAD) + strlen(rule) + 1;
	char *yaml = malloc(n);
	struct ag_policy *p;
	json_t *claims = NULL, *results = NULL;
	struct ag_err err;
	enum ag_code rc;

	assert_non_null(yaml);
	snprintf(yaml, n, "%s%s", HEAD, rule);
	p = parse_ok(yaml);
	ag_err_clear(&err);
	assert_int_equal(ag_claims_parse((const uint8_t *)claims_text, strlen(claims_text), &claims, &err), AG_OK);
	rc = ag_policy_evaluate(p, claims, &results, &err);
	json_decref(results);
	json_decref(claims);
	ag_policy_free(p);
	free(yaml);
	return rc == AG_OK;
}

#endif
