/*
 * test_policy_eval.c - the policy evaluation: every operator positive, negative and with a type mismatch,
 * the bounds of matches, and the denial text that names the failed rules first;
 * the claims JSON Pointer the rules use; spec.gpus (the count and each GPU's rules).
 */
#include "policy_fixtures.h"

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


/* spec.gpus: the count rule, then every GPU rule for GPUs 0..count-1 under /x-attestgate-gpus/N. */
static void
test_gpus(void **state)
{
	static const char *const yaml = HEAD "  - {claim: /s, exists: true}\n  gpus:\n    count: 2\n    require:\n"
					       "    - {claim: /measres, equals: success}\n";
	struct ag_policy *p = parse_ok(yaml);
	json_t *claims, *results = NULL;
	struct ag_err err;
	char text[1024];

	(void)state;
	claims = json_pack("{s:s, s:i, s:[{s:s}, {s:s}]}", "s", "x", "x-attestgate-gpu-count", 2, "x-attestgate-gpus",
	    "measres", "success", "measres", "success");
	assert_int_equal(ag_policy_evaluate(p, claims, &results, &err), AG_OK);
	assert_int_equal(json_array_size(results), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(results, 1), "claim")), "/x-attestgate-gpu-count");
	assert_string_equal(json_string_value(json_object_get(json_array_get(results, 3), "claim")), "/x-attestgate-gpus/1/measres");
	json_decref(results);
	/* One GPU failing its rule, then one GPU missing: each named. */
	json_object_set_new(json_array_get(json_object_get(claims, "x-attestgate-gpus"), 1), "measres", json_string("fail"));
	assert_int_equal(ag_policy_evaluate(p, claims, &results, &err), AG_EPOLICY);
	assert_non_null(strstr(err.msg, "/x-attestgate-gpus/1/measres equals \"success\", actual \"fail\""));
	json_decref(results);
	json_array_remove(json_object_get(claims, "x-attestgate-gpus"), 1);
	json_object_set_new(claims, "x-attestgate-gpu-count", json_integer(1));
	assert_int_equal(ag_policy_evaluate(p, claims, &results, &err), AG_EPOLICY);
	ag_policy_denial_text("t", results, text, sizeof(text));
	assert_non_null(strstr(text, "2 of 4 rules failed"));
	assert_non_null(strstr(text, "/x-attestgate-gpu-count equals 2, actual 1"));
	assert_non_null(strstr(text, "/x-attestgate-gpus/1/measres equals \"success\", actual missing"));
	json_decref(results);
	/* No GPU claims at all (a verifier without GPUs): the count rule fails as missing. */
	json_decref(claims);
	claims = json_pack("{s:s}", "s", "x");
	assert_int_equal(ag_policy_evaluate(p, claims, &results, &err), AG_EPOLICY);
	assert_non_null(strstr(err.msg, "/x-attestgate-gpu-count equals 2, actual missing"));
	json_decref(results);
	json_decref(claims);
	ag_policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpus),
		cmocka_unit_test(test_equals),
		cmocka_unit_test(test_one_of_none_of),
		cmocka_unit_test(test_at_least_at_most),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_matches_bounds),
		cmocka_unit_test(test_exists_absent),
		cmocka_unit_test(test_denial_names_first_failed_rule),
		cmocka_unit_test(test_claims_pointer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
