/*
 * policy/eval.c - evaluates a parsed policy against verified claims: one
 * result per rule (claim, operator, expected, actual, why), and the denial
 * text that names the failed rules first.
 */
#include "policy/policy.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/claims.h"

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	case JSON_ARRAY:
		return "a list";
	case JSON_OBJECT:
		return "an object";
	}
	return "a value";
}

/* Equality of two scalars of the same JSON type; *mismatch set when the types differ. */
static int
scalar_equal(const json_t *a, const json_t *b, int *mismatch)
{
	if (json_is_string(a) && json_is_string(b))
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_is_boolean(a) && json_is_boolean(b))
		return json_is_true(a) == json_is_true(b);
	*mismatch = 1;
	return 0;
}

/* Compares numbers exactly when both are integers; returns <0, 0, >0. */
static int
number_cmp(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) < json_integer_value(b) ? -1 :
							   json_integer_value(a) > json_integer_value(b);
	return json_number_value(a) < json_number_value(b) ? -1 : json_number_value(a) > json_number_value(b);
}

/*
 * A matches rule holds when the regex matches the whole claim: POSIX finds the
 * leftmost-longest match, so a match spanning the claim exists exactly when
 * the one found starts at 0 and ends at the end.  A NUL inside the claim
 * would hide its tail from regexec: never a match.
 */
static int
full_match(const regex_t *re, const json_t *actual)
{
	const char *s = json_string_value(actual);
	size_t len = json_string_length(actual);
	regmatch_t m[1];

	return strlen(s) == len && regexec(re, s, 1, m, 0) == 0 && m[0].rm_so == 0 && (size_t)m[0].rm_eo == len;
}

/* Evaluates one rule; on failure writes why into why. */
static int
eval_rule(const struct ag_policy_rule *r, const json_t *actual, char *why, size_t size)
{
	int mismatch = 0, ok = 0;
	size_t i;
	json_t *e;

	why[0] = '\0';
	if (r->op == AG_OP_ABSENT) {
		if (actual != NULL)
			snprintf(why, size, "the claim is present");
		return actual == NULL;
	}
	if (actual == NULL) {
		snprintf(why, size, "the claim is missing");
		return 0;
	}
	switch (r->op) {
	case AG_OP_EXISTS:
		return 1;
	case AG_OP_EQUALS:
		ok = scalar_equal(actual, r->expected, &mismatch);
		break;
	case AG_OP_ONEOF:
	case AG_OP_NONEOF: {
		int found = 0, comparable = 0;

		json_array_foreach(r->expected, i, e) {
			int m = 0;

			if (scalar_equal(actual, e, &m))
				found = 1;
			if (!m)
				comparable = 1;
		}
		mismatch = !comparable;
		ok = !mismatch && (r->op == AG_OP_ONEOF ? found : !found);
		if (!ok && !mismatch && r->op == AG_OP_NONEOF)
			snprintf(why, size, "the value is on the deny list");
		break;
	}
	case AG_OP_ATLEAST:
	case AG_OP_ATMOST:
		if (!json_is_number(actual)) {
			mismatch = 1;
			break;
		}
		ok = r->op == AG_OP_ATLEAST ? number_cmp(actual, r->expected) >= 0 :
					      number_cmp(actual, r->expected) <= 0;
		break;
	case AG_OP_MATCHES:
		if (!json_is_string(actual)) {
			mismatch = 1;
			break;
		}
		if (json_string_length(actual) > AG_POLICY_MATCH_MAX) {
			snprintf(why, size, "the claim is longer than %d characters, the most matches compares",
			    AG_POLICY_MATCH_MAX);
			return 0;
		}
		ok = full_match(&r->re, actual);
		break;
	default:
		break;
	}
	if (mismatch)
		snprintf(why, size, "type mismatch: the claim is %s", type_name(actual));
	return ok;
}

static char *
compact(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Evaluates rule r on the claim at path claim; appends its result; returns nonzero when it holds. */
static int
eval_one(const struct ag_policy_rule *r, const char *claim, const json_t *claims, json_t *results)
{
	char why[160];
	json_t *actual = ag_claims_lookup(claims, claim);
	int ok = eval_rule(r, actual, why, sizeof(why));
	/* A missing claim is reported as missing: null is a claim value of its own. */
	json_t *res = json_pack("{s:s, s:s, s:O, s:b}", "claim", claim, "op", ag_policy_op_name(r->op), "expected",
	    r->expected, "ok", ok);

	if (res != NULL && actual != NULL)
		json_object_set(res, "actual", actual);
	else if (res != NULL)
		json_object_set_new(res, "missing", json_true());
	if (res != NULL && !ok && why[0] != '\0')
		json_object_set_new(res, "reason", json_string(why));
	json_array_append_new(results, res);
	return ok;
}

/* spec.gpus: the number of GPUs, then every GPU rule for each of the count GPUs (claims under /x-attestgate-gpus/N). */
static size_t
eval_gpus(const struct ag_policy_gpus *g, const json_t *claims, json_t *results)
{
	struct ag_policy_rule count = { .claim = AG_POLICY_GPU_COUNT_CLAIM, .op = AG_OP_EQUALS,
		.expected = json_integer((json_int_t)g->count) };
	size_t failed = !eval_one(&count, count.claim, claims, results);

	json_decref(count.expected);
	for (unsigned i = 0; i < g->count; i++)
		for (size_t k = 0; k < g->n_rules; k++) {
			char path[AG_POLICY_MATCH_MAX];

			snprintf(path, sizeof(path), "%s/%u%s", AG_POLICY_GPUS_CLAIM, i, g->rules[k].claim);
			failed += !eval_one(&g->rules[k], path, claims, results);
		}
	return failed;
}

enum ag_code
ag_policy_evaluate(const struct ag_policy *p, const json_t *claims, json_t **results, struct ag_err *err)
{
	size_t failed = 0;

	*results = json_array();
	if (*results == NULL)
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	for (size_t i = 0; i < p->n_rules; i++)
		failed += !eval_one(&p->rules[i], p->rules[i].claim, claims, *results);
	if (p->gpus.present)
		failed += eval_gpus(&p->gpus, claims, *results);
	if (failed == 0)
		return ag_err_set(err, AG_OK, "policy \"%s\": all %zu rules hold", p->name, json_array_size(*results));
	{
		char text[AG_ERR_MSG_MAX];

		ag_policy_denial_text(p->name, *results, text, sizeof(text));
		return ag_err_set(err, AG_EPOLICY, "%s", text);
	}
}

/* "CLAIM OP EXPECTED, actual ACTUAL (REASON)" of one failed rule result. */
static void
rule_text(const json_t *r, char *buf, size_t size)
{
	char *exp = compact(json_object_get(r, "expected")), *act = json_object_get(r, "actual") != NULL ?
	    compact(json_object_get(r, "actual")) : NULL;
	const char *why = json_string_value(json_object_get(r, "reason"));

	snprintf(buf, size, "%s %s %s, actual %s%s%s%s", json_string_value(json_object_get(r, "claim")),
	    json_string_value(json_object_get(r, "op")), exp != NULL ? exp : "?", act != NULL ? act : "missing",
	    why != NULL && act != NULL ? " (" : "", why != NULL && act != NULL ? why : "", why != NULL && act != NULL ? ")" : "");
	free(exp);
	free(act);
}

size_t
ag_policy_denial_text(const char *policy, const json_t *results, char *buf, size_t size)
{
	size_t failed = 0, shown = 0, i, n;
	const json_t *r;
	char one[512], more[64];

	json_array_foreach(results, i, r)
		failed += !json_is_true(json_object_get(r, "ok"));
	n = (size_t)snprintf(buf, size, "policy \"%s\" denied: %zu of %zu rules failed: ", policy, failed,
	    json_array_size(results));
	if (n >= size)
		return size - 1;
	json_array_foreach(results, i, r) {
		if (json_is_true(json_object_get(r, "ok")))
			continue;
		rule_text(r, one, sizeof(one));
		/* Whole rules only: keep room to say how many did not fit. */
		snprintf(more, sizeof(more), "; and %zu more (status.json lists them)", failed - shown);
		if (n + strlen(one) + 2 + (shown + 1 < failed ? strlen(more) : 0) >= size) {
			if (shown == 0) {
				snprintf(buf + n, size - n, "%s", one);   /* the first one, cut if it must be */
				n = strlen(buf);
				shown++;
				snprintf(more, sizeof(more), "; and %zu more (status.json lists them)", failed - shown);
			}
			if (shown < failed && n + strlen(more) < size) {
				memcpy(buf + n, more, strlen(more) + 1);
				n += strlen(more);
			}
			return n;
		}
		n += (size_t)snprintf(buf + n, size - n, "%s%s", shown > 0 ? "; " : "", one);
		shown++;
	}
	return n;
}
