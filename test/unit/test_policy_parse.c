/*
 * test_policy_parse.c - the policy parser: defaults and fields, every schema error names its
 * line, the structural bounds.
 */
#include "policy_fixtures.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_fields),
		cmocka_unit_test(test_schema_errors_name_lines),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
