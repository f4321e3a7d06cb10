/*
 * test_policy.c - the policy engine: every operator positive, negative and
 * with a type mismatch; every schema error names its line; pinning,
 * selection from a directory, audit mode and the claims JSON Pointer.
 */
#include "testutil.h"

#include <jansson.h>

#include "format/claims.h"
#include "base/digest.h"
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

static const char claims_json[] =
	"{\"s\": \"azure-compliant-cvm\", \"n\": 93, \"r\": 1.5, \"b\": false, \"t\": true,"
	" \"nul\": null, \"o\": {\"in\": \"x\"}, \"a\": [1, 2], \"big\": 9007199254740993,"
	" \"a/b\": {\"m~n\": \"esc\"}}";

static struct ag_policy *
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
static void
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
static int
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

static int
holds(const char *rule)
{
	struct ag_err err;

	ag_err_clear(&err);
	return eval_one(rule, NULL, &err);
}

/* The rule fails and the reason says "type mismatch". */
static void
mismatch(const char *rule)
{
	struct ag_err err;

	ag_err_clear(&err);
	assert_false(eval_one(rule, NULL, &err));
	if (strstr(err.msg, "type mismatch") == NULL)
		fail_msg("\"%s\" lacks \"type mismatch\"", err.msg);
}

static void
test_equals(void **state)
{
	(void)state;
	assert_true(holds("  - claim: /s\n    equals: azure-compliant-cvm\n"));
	assert_false(holds("  - claim: /s\n    equals: azure-compliant-avm\n"));
	assert_true(holds("  - claim: /n\n    equals: 93\n"));
	assert_false(holds("  - claim: /n\n    equals: 94\n"));
	assert_true(holds("  - claim: /r\n    equals: 1.5\n"));
	assert_true(holds("  - claim: /b\n    equals: false\n"));
	assert_false(holds("  - claim: /t\n    equals: false\n"));
	assert_true(holds("  - claim: /o/in\n    equals: x\n"));
	assert_true(holds("  - claim: /a~1b/m~0n\n    equals: esc\n"));
	/* Integers beyond 2^53 compare exactly, not through doubles. */
	assert_false(holds("  - claim: /big\n    equals: 9007199254740992\n"));
	assert_true(holds("  - claim: /big\n    equals: 9007199254740993\n"));
	mismatch("  - claim: /n\n    equals: \"93\"\n");
	mismatch("  - claim: /b\n    equals: \"false\"\n");
	mismatch("  - claim: /s\n    equals: true\n");
	mismatch("  - claim: /nul\n    equals: 0\n");
	mismatch("  - claim: /o\n    equals: x\n");
}

static void
test_one_of_none_of(void **state)
{
	(void)state;
	assert_true(holds("  - claim: /s\n    oneOf: [a, azure-compliant-cvm]\n"));
	assert_false(holds("  - claim: /s\n    oneOf: [a, b]\n"));
	assert_true(holds("  - claim: /n\n    oneOf: [92, 93]\n"));
	assert_true(holds("  - claim: /s\n    noneOf: [a, b]\n"));
	assert_false(holds("  - claim: /s\n    noneOf: [a, azure-compliant-cvm]\n"));
	assert_false(holds("  - claim: /n\n    noneOf: [93]\n"));
	mismatch("  - claim: /n\n    oneOf: [\"93\", \"94\"]\n");
	mismatch("  - claim: /s\n    noneOf: [1, 2]\n");
	mismatch("  - claim: /a\n    oneOf: [1, 2]\n");
}

static void
test_at_least_at_most(void **state)
{
	(void)state;
	assert_true(holds("  - claim: /n\n    atLeast: 93\n"));
	assert_true(holds("  - claim: /n\n    atLeast: 92.5\n"));
	assert_false(holds("  - claim: /n\n    atLeast: 94\n"));
	assert_true(holds("  - claim: /n\n    atMost: 93\n"));
	assert_false(holds("  - claim: /n\n    atMost: 92\n"));
	assert_true(holds("  - claim: /r\n    atMost: 2\n"));
	assert_false(holds("  - claim: /big\n    atMost: 9007199254740992\n"));
	mismatch("  - claim: /s\n    atLeast: 1\n");
	mismatch("  - claim: /b\n    atMost: 1\n");
}

static void
test_matches(void **state)
{
	(void)state;
	assert_true(holds("  - claim: /s\n    matches: \"azure-compliant-[a-z]+\"\n"));
	/* Anchored: a substring match is not enough. */
	assert_false(holds("  - claim: /s\n    matches: compliant\n"));
	assert_false(holds("  - claim: /s\n    matches: \"azure|x\"\n"));
	mismatch("  - claim: /n\n    matches: \"9.\"\n");
	mismatch("  - claim: /t\n    matches: \"true\"\n");
	/* Issue 17 finding 12: anchoring adds no group, so alternation and groups mean what the author wrote. */
	assert_true(holds("  - claim: /s\n    matches: \"x|azure-compliant-cvm\"\n"));
	assert_true(holds("  - claim: /s\n    matches: \"azure|azure-compliant-cvm\"\n"));
	assert_true(holds("  - claim: /s\n    matches: \"(azure)-(compliant)-cvm\"\n"));
	assert_false(holds("  - claim: /s\n    matches: \"zure-compliant-cvm\"\n"));
	assert_false(holds("  - claim: /s\n    matches: \"azure-compliant-cv\"\n"));
}

/* Builds a one-rule policy over claim key (any length) and evaluates it against claims. */
static int
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

static void
test_matches_bounds(void **state)
{
	char *claims = malloc(6000), *rule = malloc(6000);
	char key[601];

	(void)state;
	assert_non_null(claims);
	assert_non_null(rule);
	/* Back-references are refused when the policy loads (unbounded backtracking in glibc). */
	parse_fails(HEAD "  - claim: /s\n    matches: \"(a*)*\\\\1\"\n", "t.yaml:12:14:", "back-references");
	parse_fails(HEAD "  - claim: /s\n    matches: \"(x)\\\\2\"\n", "t.yaml:12:14:", "back-references");
	/* Repetitions glibc's regcomp expands exponentially are refused (fuzz_policy found "e+++..." taking gigabytes). */
	parse_fails(HEAD "  - claim: /s\n    matches: \"e+++++++++++++++++++++++++++++\"\n", "t.yaml:12:14:", "repeats too much");
	parse_fails(HEAD "  - claim: /s\n    matches: \"((((a{50}){50}){50}){50})\"\n", "t.yaml:12:14:", "repeats too much");
	parse_fails(HEAD "  - claim: /s\n    matches: \"a{4,99999999999999999999999999999}\"\n", "t.yaml:12:14:", "repeats too much");
	parse_fails(HEAD "  - claim: /s\n    matches: \"((((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+\"\n", "t.yaml:12:14:", "repeats too much");
	/* Deep enough for glibc's epsilon closure to recurse thousands of frames (fuzz_policy found a stack overflow). */
	parse_fails(HEAD "  - claim: /s\n    matches: \"(a{100}){100}\"\n", "t.yaml:12:14:", "repeats too much");
	assert_true(holds_on("{\"s\": \"aaa\"}", "  - claim: /s\n    matches: \"a{0,1800}\"\n"));
	/* Each within bounds, together not: every compiled expression stays in memory. */
	parse_fails(HEAD "  - claim: /s\n    matches: \"a{0,1800}\"\n  - claim: /s\n    matches: \"b{0,1800}\"\n"
			 "  - claim: /s\n    matches: \"c{0,1800}\"\n  - claim: /s\n    matches: \"d{0,1800}\"\n"
			 "  - claim: /s\n    matches: \"e{0,1800}\"\n",
	    "t.yaml:20:14:", "together repeat too much");
	assert_true(holds_on("{\"s\": \"10.2.33\"}", "  - claim: /s\n    matches: \"[0-9]{1,3}(\\\\.[0-9]{1,3}){2}\"\n"));
	assert_true(holds_on("{\"s\": \"abab\"}", "  - claim: /s\n    matches: \"(a|b)*\"\n"));
	/* An escaped backslash before a digit is no back-reference. */
	assert_true(holds_on("{\"s\": \"a\\\\1\"}", "  - claim: /s\n    matches: \"a\\\\\\\\1\"\n"));
	/* A claim longer than the cap fails a matches rule, whatever the pattern. */
	snprintf(claims, 6000, "{\"s\": \"%0*d\"}", 5000, 0);
	assert_false(holds_on(claims, "  - claim: /s\n    matches: \"0*\"\n"));
	snprintf(claims, 6000, "{\"s\": \"%0*d\"}", 4000, 0);
	assert_true(holds_on(claims, "  - claim: /s\n    matches: \"0*\"\n"));
	/* Issue 17 finding 13: a key longer than 511 bytes is found, never taken for missing. */
	memset(key, 'k', 600);
	key[600] = '\0';
	snprintf(claims, 6000, "{\"%s\": 1}", key);
	snprintf(rule, 6000, "  - claim: /%s\n    absent: true\n", key);
	assert_false(holds_on(claims, rule));
	snprintf(rule, 6000, "  - claim: /%s\n    equals: 1\n", key);
	assert_true(holds_on(claims, rule));
	{
		/* A pointer longer than any lookup can hold is refused when the policy loads, never evaluated as absent. */
		char *big = malloc(1200 + 64), *yaml = malloc(1400 + 512);

		assert_non_null(big);
		assert_non_null(yaml);
		memset(big, 'k', 1200);
		big[1200] = '\0';
		snprintf(yaml, 1400 + 512, "%s  - claim: /%s\n    absent: true\n", HEAD, big);
		parse_fails(yaml, "t.yaml:11:", "at most 1024 bytes");
		free(big);
		free(yaml);
	}
	free(claims);
	free(rule);
}

static void
test_exists_absent(void **state)
{
	struct ag_err err;
	json_t *r = NULL;

	(void)state;
	assert_true(holds("  - claim: /s\n    exists: true\n"));
	assert_true(holds("  - claim: /nul\n    exists: true\n"));
	assert_false(holds("  - claim: /missing\n    exists: true\n"));
	assert_true(holds("  - claim: /missing\n    absent: true\n"));
	assert_true(holds("  - claim: /o/missing\n    absent: true\n"));
	assert_true(holds("  - claim: /a/5\n    absent: true\n"));
	assert_false(holds("  - claim: /a/0\n    absent: true\n"));
	assert_false(holds("  - claim: /o\n    absent: true\n"));
	/* A missing claim fails every other operator and the reason says so. */
	ag_err_clear(&err);
	assert_false(eval_one("  - claim: /o/nope\n    equals: x\n", &r, &err));
	assert_non_null(strstr(err.msg, "/o/nope equals \"x\", actual missing"));
	/* Missing is reported as missing: null is a claim value (issue 18: 4). */
	assert_null(json_object_get(r, "actual"));
	assert_true(json_is_true(json_object_get(r, "missing")));
	assert_string_equal(json_string_value(json_object_get(r, "reason")), "the claim is missing");
	assert_string_equal(json_string_value(json_object_get(r, "op")), "equals");
	assert_string_equal(json_string_value(json_object_get(r, "claim")), "/o/nope");
	assert_string_equal(json_string_value(json_object_get(r, "expected")), "x");
	json_decref(r);
}

static void
test_denial_names_first_failed_rule(void **state)
{
	static const char yaml[] = HEAD
	    "  - claim: /s\n    equals: azure-compliant-cvm\n"
	    "  - claim: /n\n    atLeast: 100\n"
	    "  - claim: /b\n    equals: true\n";
	struct ag_policy *p = parse_ok(yaml);
	struct ag_err err;
	json_t *claims, *results;

	(void)state;
	ag_err_clear(&err);
	assert_int_equal(ag_claims_parse((const uint8_t *)claims_json, strlen(claims_json), &claims, &err), AG_OK);
	assert_int_equal(ag_policy_evaluate(p, claims, &results, &err), AG_EPOLICY);
	/* Every failed rule, not only the first (issue 18: 1). */
	assert_string_equal(err.msg, "policy \"t\" denied: 2 of 3 rules failed: /n atLeast 100, actual 93; /b equals true, actual false");
	{
		/* Cut cleanly: whole rules only, and how many more did not fit. */
		char small[80], tiny[40];

		ag_policy_denial_text("t", results, small, sizeof(small));
		assert_string_equal(small, "policy \"t\" denied: 2 of 3 rules failed: /n atLeast 100, actual 93");
		ag_policy_denial_text("t", results, tiny, sizeof(tiny));
		assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	}
	assert_true(json_is_true(json_object_get(json_array_get(results, 0), "ok")));
	assert_true(json_is_false(json_object_get(json_array_get(results, 1), "ok")));
	assert_true(json_is_false(json_object_get(json_array_get(results, 2), "ok")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(results, 1), "actual")), 93);
	json_decref(results);
	json_decref(claims);
	ag_policy_free(p);
}

static void
test_defaults_and_fields(void **state)
{
	static const char yaml[] = HEAD "  - claim: /s\n    exists: true\n";
	struct ag_policy *p = parse_ok(yaml);

	(void)state;
	assert_string_equal(p->name, "t");
	assert_string_equal(p->verifier_type, "maa");
	assert_string_equal(p->verifier_url, "https://x.attest.azure.net");
	assert_int_equal(p->nonce, 1);
	assert_int_equal(p->max_token_age_ms, 600000);
	assert_int_equal(p->clock_skew_ms, 60000);
	assert_int_equal(p->mode, AG_MODE_ENFORCE);
	assert_true(ag_policy_allows_platform(p, "azure-cvm"));
	assert_false(ag_policy_allows_platform(p, "sev-snp"));
	assert_int_equal(p->n_rules, 1);
	assert_int_equal(p->rules[0].line, 11);
	{
		char hex[65];

		assert_int_equal(ag_sha256_hex(yaml, strlen(yaml), hex), 0);
		assert_string_equal(p->sha256, hex);
	}
	ag_policy_free(p);

	p = parse_ok("apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: l}\n"
		     "spec:\n  platforms: [sev-snp, tdx]\n  verifier: {type: local}\n  mode: audit\n"
		     "  freshness: {nonce: false, maxTokenAge: 90s, clockSkew: 0s}\n"
		     "  require:\n  - {claim: /x, exists: true}\n");
	assert_null(p->verifier_url);
	assert_int_equal(p->mode, AG_MODE_AUDIT);
	assert_int_equal(p->nonce, 0);
	assert_int_equal(p->max_token_age_ms, 90000);
	assert_int_equal(p->clock_skew_ms, 0);
	ag_policy_free(p);
}

/* Each schema error names the line (and column) where it is. */
static void
test_schema_errors_name_lines(void **state)
{
	(void)state;
	/* unknown key */
	parse_fails(HEAD "  - claim: /s\n    equals: x\n    equal: y\n", "t.yaml:13:5:", "unknown key \"equal\"");
	parse_fails(HEAD "  - claim: /s\n    equals: x\n  extra: 1\n", "t.yaml:13:3:", "extra");
	/* wrong type */
	parse_fails(HEAD "  - claim: /s\n    oneOf: x\n", "t.yaml:12:12:", "list");
	parse_fails(HEAD "  - claim: /s\n    atLeast: high\n", "t.yaml:12:14:", "number");
	parse_fails(HEAD "  - claim: /s\n    exists: false\n", "t.yaml:12:13:", "true");
	parse_fails(HEAD "  - claim: /s\n    equals: {a: 1}\n", "t.yaml:12:13:", NULL);
	parse_fails(HEAD "  - claim: /s\n    equals: 0093\n", "t.yaml:12:13:", "quote");
	/* bad JSON Pointer */
	parse_fails(HEAD "  - claim: s\n    equals: x\n", "t.yaml:11:12:", "JSON Pointer");
	parse_fails(HEAD "  - claim: /a~2\n    equals: x\n", "t.yaml:11:12:", "JSON Pointer");
	/* bad duration */
	parse_fails("apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: t}\nspec:\n"
		    "  platforms: [tdx]\n  verifier: {type: local}\n  freshness:\n    maxTokenAge: 10 minutes\n"
		    "  require:\n  - {claim: /s, exists: true}\n",
	    "t.yaml:8:18:", "duration");
	parse_fails("apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: t}\nspec:\n"
		    "  platforms: [tdx]\n  verifier: {type: local}\n  freshness:\n    clockSkew: 1h\n"
		    "  require:\n  - {claim: /s, exists: true}\n",
	    "t.yaml:8:16:", NULL);
	/* bad regex */
	parse_fails(HEAD "  - claim: /s\n    matches: \"(unclosed\"\n", "t.yaml:12:14:", "regular expression");
	/* leading zeros: the message says what to write, and for atLeast that is the number, never quotes (issue 18: 5) */
	parse_fails(HEAD "  - claim: /n\n    atLeast: 0093\n", "t.yaml:12:14:", "has leading zeros: write 93");
	parse_fails(HEAD "  - claim: /n\n    equals: 0093\n", "t.yaml:12:13:", "write 93 for the number, or \"0093\" in quotes");
	parse_fails(HEAD "  - claim: /n\n    atLeast: \"93\"\n", "t.yaml:12:14:", NULL);
	assert_true(holds("  - claim: /n\n    atLeast: 93\n"));
	/* empty rule list, and a missing one */
	parse_fails(HEAD "    []\n", "t.yaml:11:5:", "at least one rule");
	parse_fails("apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: t}\nspec:\n"
		    "  platforms: [tdx]\n  verifier: {type: local}\n",
	    "t.yaml:5:3:", "require");
	/* duplicate key */
	parse_fails(HEAD "  - claim: /s\n    equals: x\n    claim: /t\n", "t.yaml:13:5:", "duplicate");
	parse_fails("apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nkind: AttestationPolicy\n",
	    "t.yaml:3:1:", "duplicate");
	/* two operators in one rule, and none */
	parse_fails(HEAD "  - claim: /s\n    equals: x\n    oneOf: [x]\n", "t.yaml:13:12:", "one operator");
	parse_fails(HEAD "  - claim: /s\n", "t.yaml:11:5:", "operator");
	/* schema values */
	parse_fails("apiVersion: attestgate.io/v2\n", "t.yaml:1:13:", "attestgate.io/v1");
	parse_fails(HEAD "  - claim: /s\n    exists: true\n" "  mode: permissive\n", "t.yaml:13:9:", "audit");
	parse_fails("apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: t}\nspec:\n"
		    "  platforms: [azure-cvm, sgx]\n  verifier: {type: local}\n  require:\n  - {claim: /s, exists: true}\n",
	    "t.yaml:5:26:", "sgx");
	parse_fails("apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: t}\nspec:\n"
		    "  platforms: [tdx]\n  verifier: {type: maa, url: \"http://x\"}\n  require:\n  - {claim: /s, exists: true}\n",
	    "t.yaml:6:30:", "https");
	parse_fails("apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: t}\nspec:\n"
		    "  platforms: [tdx]\n  verifier: {type: maa}\n  require:\n  - {claim: /s, exists: true}\n",
	    "t.yaml:6:13:", "url");
	parse_fails("apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: t}\nspec:\n"
		    "  platforms: [tdx]\n  verifier: {type: local, url: \"https://x\"}\n  require:\n  - {claim: /s, exists: true}\n",
	    "t.yaml:6:", "url");
	/* YAML syntax */
	parse_fails("apiVersion: attestgate.io/v1\nkind: [\n", "t.yaml:3:", "invalid YAML");
	parse_fails("apiVersion: attestgate.io/v1\n---\nkind: x\n", "t.yaml:2:1:", "one policy per file");
}

static void
test_bounds(void **state)
{
	char *big;
	size_t n = AG_POLICY_MAX_BYTES + 1, off;
	struct ag_policy *p = NULL;
	struct ag_err err;

	(void)state;
	/* aliases */
	{
		char yaml[4096];

		off = (size_t)snprintf(yaml, sizeof(yaml), "%s  - claim: /s\n    oneOf: &l [a]\n", HEAD);
		for (int i = 0; i < AG_POLICY_MAX_ALIASES + 1; i++)
			off += (size_t)snprintf(yaml + off, sizeof(yaml) - off, "  - claim: /s\n    oneOf: *l\n");
		parse_fails(yaml, "t.yaml:78:12:", "aliases");
	}
	/* depth */
	parse_fails("a: [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]\n", "t.yaml:1:", "deeper");
	/* size */
	big = malloc(n);
	assert_non_null(big);
	memset(big, '#', n);
	ag_err_clear(&err);
	assert_int_equal(ag_policy_parse((const uint8_t *)big, n, "t.yaml", &p, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "larger than"));
	free(big);
	/* rule count */
	{
		size_t cap = strlen(HEAD) + (AG_POLICY_MAX_RULES + 1) * 40 + 1;
		char *yaml = malloc(cap);

		assert_non_null(yaml);
		off = (size_t)snprintf(yaml, cap, "%s", HEAD);
		for (int i = 0; i < AG_POLICY_MAX_RULES + 1; i++)
			off += (size_t)snprintf(yaml + off, cap - off, "  - {claim: /s, exists: true}\n");
		parse_fails(yaml, "t.yaml:", "rules");
		free(yaml);
	}
}

static void
test_pin_and_named(void **state)
{
	static const char yaml[] = HEAD "  - claim: /s\n    exists: true\n";
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "t.yaml"), hex[65], wrong[65];
	struct ag_policy *p = NULL;
	struct ag_err err;

	(void)state;
	tu_write(dir, "t.yaml", yaml);
	tu_write(dir, "other.yml", "not: a policy\n");
	assert_int_equal(ag_sha256_hex(yaml, strlen(yaml), hex), 0);
	memcpy(wrong, hex, sizeof(wrong));
	wrong[0] = wrong[0] == '0' ? '1' : '0';

	ag_err_clear(&err);
	assert_int_equal(ag_policy_load_file(path, hex, &p, &err), AG_OK);
	ag_policy_free(p);
	ag_err_clear(&err);
	assert_int_equal(ag_policy_load_file(path, wrong, &p, &err), AG_ECONFIG);
	assert_null(p);
	assert_non_null(strstr(err.msg, hex));
	assert_non_null(strstr(err.msg, wrong));
	ag_err_clear(&err);
	assert_int_equal(ag_policy_load_file(path, "abc", &p, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "64 hexadecimal"));

	ag_err_clear(&err);
	assert_int_equal(ag_policy_load_named(dir, "t", hex, &p, &err), AG_OK);
	assert_string_equal(p->name, "t");
	ag_policy_free(p);
	ag_err_clear(&err);
	assert_int_equal(ag_policy_load_named(dir, "t", wrong, &p, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, wrong));
	ag_err_clear(&err);
	assert_int_equal(ag_policy_load_named(dir, "nope", hex, &p, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "not found"));
	assert_non_null(strstr(err.msg, "other, t"));
	ag_err_clear(&err);
	assert_int_equal(ag_policy_load_named(dir, "../t", hex, &p, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "not valid"));
	/* The file name must agree with metadata.name. */
	tu_write(dir, "u.yaml", yaml);
	ag_err_clear(&err);
	assert_int_equal(ag_policy_load_named(dir, "u", hex, &p, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "metadata.name"));
	assert_null(p);

	free(path);
	tu_rmtree(dir);
	free(dir);
}

static void
test_claims_pointer(void **state)
{
	json_t *c;
	struct ag_err err;

	(void)state;
	assert_true(ag_claims_pointer_valid("/a"));
	assert_true(ag_claims_pointer_valid("/a~0b/~1"));
	assert_false(ag_claims_pointer_valid(""));
	assert_false(ag_claims_pointer_valid("a"));
	assert_false(ag_claims_pointer_valid("/a~"));
	assert_false(ag_claims_pointer_valid("/a~2"));
	ag_err_clear(&err);
	assert_int_equal(ag_claims_parse((const uint8_t *)"{\"a\":1,\"a\":2}", 13, &c, &err), AG_EINVALID);
	assert_int_equal(ag_claims_parse((const uint8_t *)"[1]", 3, &c, &err), AG_EINVALID);
	assert_int_equal(ag_claims_parse((const uint8_t *)"{\"a\":", 5, &c, &err), AG_EINVALID);
	assert_int_equal(ag_claims_parse((const uint8_t *)"{\"a\":[5,6]}", 11, &c, &err), AG_OK);
	assert_int_equal(json_integer_value(ag_claims_lookup(c, "/a/1")), 6);
	assert_null(ag_claims_lookup(c, "/a/2"));
	assert_null(ag_claims_lookup(c, "/a/01"));
	assert_null(ag_claims_lookup(c, "/a/-"));
	assert_null(ag_claims_lookup(c, "/a/99999999999999999999999"));
	json_decref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equals),
		cmocka_unit_test(test_one_of_none_of),
		cmocka_unit_test(test_at_least_at_most),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_matches_bounds),
		cmocka_unit_test(test_exists_absent),
		cmocka_unit_test(test_denial_names_first_failed_rule),
		cmocka_unit_test(test_defaults_and_fields),
		cmocka_unit_test(test_schema_errors_name_lines),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_pin_and_named),
		cmocka_unit_test(test_claims_pointer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
