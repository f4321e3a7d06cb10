/*
 * test_policy_parse.c - the policy parser: defaults and fields, every schema error names its
 * line, the structural bounds; spec.keys (the keys a vault releases after the policy
 * passed) and spec.expectHostData, with each of their errors at its line.
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

/* HEAD, one rule, then "  keys:" on line 13: the first key starts on line 14. */
#define KHEAD HEAD "  - claim: /s\n    exists: true\n  keys:\n"

/* A policy of KHEAD and keys that must fail with want (line:column) and want2. */
static void
keys_fail(const char *keys, const char *want, const char *want2)
{
	char yaml[8192];

	snprintf(yaml, sizeof(yaml), "%s%s", KHEAD, keys);
	parse_fails(yaml, want, want2);
}

/* One key on lines 14-16 (vault, name, file) with the given values. */
static void
key_fails(const char *vault, const char *name, const char *file, const char *want, const char *want2)
{
	char keys[1024];

	snprintf(keys, sizeof(keys), "  - vault: %s\n    name: %s\n    file: %s\n", vault, name, file);
	keys_fail(keys, want, want2);
}

static void
test_keys_fields(void **state)
{
	struct ag_policy *p;

	(void)state;
	p = parse_ok(KHEAD
		     "  - vault: https://myvault.vault.azure.net/\n"
		     "    name: my-key-1\n"
		     "    file: key.bin\n"
		     "  - vault: https://hsm01.managedhsm.azure.net\n"
		     "    name: K2\n"
		     "    version: 0123456789abcdef0123456789ABCDEF\n"
		     "    file: k2.pem\n"
		     "    format: pem\n"
		     "  - {vault: \"https://v.vault.azure.net\", name: k3, file: k3_private.jwk, format: jwk}\n"
		     "  - {vault: \"https://v.vault.azure.net\", name: k3, file: raw.key, format: raw}\n");
	assert_int_equal(p->n_keys, 4);
	assert_string_equal(p->keys[0].vault, "https://myvault.vault.azure.net");   /* the trailing '/' dropped */
	assert_string_equal(p->keys[0].name, "my-key-1");
	assert_null(p->keys[0].version);
	assert_string_equal(p->keys[0].file, "key.bin");
	assert_int_equal(p->keys[0].format, AG_KEY_RAW);
	assert_string_equal(p->keys[1].vault, "https://hsm01.managedhsm.azure.net");
	assert_string_equal(p->keys[1].name, "K2");
	assert_string_equal(p->keys[1].version, "0123456789abcdef0123456789ABCDEF");
	assert_string_equal(p->keys[1].file, "k2.pem");
	assert_int_equal(p->keys[1].format, AG_KEY_PEM);
	assert_string_equal(p->keys[2].file, "k3_private.jwk");
	assert_int_equal(p->keys[2].format, AG_KEY_JWK);
	assert_int_equal(p->keys[3].format, AG_KEY_RAW);
	assert_int_equal(p->expect_host_data_annotation, 0);
	/* The rest of the policy is as without keys. */
	assert_int_equal(p->n_rules, 1);
	assert_string_equal(p->verifier_type, "maa");
	ag_policy_free(p);
	/* Without spec.keys: none. */
	p = parse_ok(HEAD "  - claim: /s\n    exists: true\n");
	assert_int_equal(p->n_keys, 0);
	assert_null(p->keys);
	ag_policy_free(p);
	/* Exactly AG_POLICY_MAX_KEYS is fine. */
	{
		char keys[4096];
		size_t off = 0;

		for (int i = 0; i < AG_POLICY_MAX_KEYS; i++)
			off += (size_t)snprintf(keys + off, sizeof(keys) - off,
			    "  - {vault: \"https://v.vault.azure.net\", name: k, file: k%d}\n", i);
		{
			char yaml[8192];

			snprintf(yaml, sizeof(yaml), "%s%s", KHEAD, keys);
			p = parse_ok(yaml);
			assert_int_equal(p->n_keys, AG_POLICY_MAX_KEYS);
			assert_string_equal(p->keys[AG_POLICY_MAX_KEYS - 1].file, "k15");
			ag_policy_free(p);
		}
	}
	assert_string_equal(ag_policy_key_format_name(AG_KEY_RAW), "raw");
	assert_string_equal(ag_policy_key_format_name(AG_KEY_PEM), "pem");
	assert_string_equal(ag_policy_key_format_name(AG_KEY_JWK), "jwk");
}

static void
test_keys_errors_name_lines(void **state)
{
	(void)state;
	/* vault: https, no path, no query, fragment or user. */
	key_fails("http://v.vault.azure.net", "k", "f", "t.yaml:14:12:", "https://");
	key_fails("v.vault.azure.net", "k", "f", "t.yaml:14:12:", "https://");
	key_fails("https://v.vault.azure.net/keys", "k", "f", "t.yaml:14:12:", "without a path");
	key_fails("https://v.vault.azure.net/keys/k/0123", "k", "f", "t.yaml:14:12:", "without a path");
	key_fails("\"https://v.vault.azure.net?api-version=7.4\"", "k", "f", "t.yaml:14:12:", "no query");
	key_fails("\"https://v.vault.azure.net/?x=1\"", "k", "f", "t.yaml:14:12:", "no query");
	key_fails("\"https://v.vault.azure.net#f\"", "k", "f", "t.yaml:14:12:", "fragment");
	key_fails("\"https://u@v.vault.azure.net\"", "k", "f", "t.yaml:14:12:", "user");
	key_fails("https://", "k", "f", "t.yaml:14:12:", "https://");
	/* name: letters, digits, '-'; 1 to 127. */
	key_fails("https://v.vault.azure.net", "my_key", "f", "t.yaml:15:11:", "Key Vault key name");
	key_fails("https://v.vault.azure.net", "my.key", "f", "t.yaml:15:11:", "Key Vault key name");
	key_fails("https://v.vault.azure.net", "\"my key\"", "f", "t.yaml:15:11:", "Key Vault key name");
	key_fails("https://v.vault.azure.net", "k/1", "f", "t.yaml:15:11:", "Key Vault key name");
	key_fails("https://v.vault.azure.net", "\"\"", "f", "t.yaml:15:11:", "Key Vault key name");
	{
		char name[200];

		memset(name, 'a', 128);
		name[128] = '\0';
		key_fails("https://v.vault.azure.net", name, "f", "t.yaml:15:11:", "1 to 127");
		name[127] = '\0';
		{
			char yaml[2048];
			struct ag_policy *p;

			snprintf(yaml, sizeof(yaml), "%s  - vault: https://v.vault.azure.net\n    name: %s\n    file: f\n", KHEAD, name);
			p = parse_ok(yaml);
			assert_int_equal(strlen(p->keys[0].name), 127);
			ag_policy_free(p);
		}
	}
	/* version: exactly 32 hexadecimal digits. */
	keys_fail("  - vault: https://v.vault.azure.net\n    name: k\n    version: 0123456789abcdef0123456789abcde\n"
		  "    file: f\n", "t.yaml:16:14:", "32 hexadecimal digits");
	keys_fail("  - vault: https://v.vault.azure.net\n    name: k\n    version: 0123456789abcdef0123456789abcdef0\n"
		  "    file: f\n", "t.yaml:16:14:", "32 hexadecimal digits");
	keys_fail("  - vault: https://v.vault.azure.net\n    name: k\n    version: 0123456789abcdef0123456789abcdeg\n"
		  "    file: f\n", "t.yaml:16:14:", "32 hexadecimal digits");
	keys_fail("  - vault: https://v.vault.azure.net\n    name: k\n    version: \"\"\n    file: f\n", "t.yaml:16:14:",
	    "32 hexadecimal digits");
	/* file: a plain name in the output directory, none the gate writes itself, each once. */
	{
		static const char *const bad[] = { "token", "ready", "status.json", "evidence", "claims.json", "jwks.json",
			"a/b", "/etc/key", "../key", ".key", ".", "\"..\"", "\"a b\"", "\"\"", "k$" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			key_fails("https://v.vault.azure.net", "k", bad[i], "t.yaml:16:11:", "plain file name");
	}
	{
		char file[80];

		memset(file, 'f', 65);
		file[65] = '\0';
		key_fails("https://v.vault.azure.net", "k", file, "t.yaml:16:11:", "at most 64");
	}
	keys_fail("  - {vault: \"https://v.vault.azure.net\", name: a, file: key.bin}\n"
		  "  - {vault: \"https://w.vault.azure.net\", name: b, file: other}\n"
		  "  - vault: https://x.vault.azure.net\n    name: c\n    file: key.bin\n",
	    "t.yaml:18:11:", "file of another key");
	/* format: raw, pem or jwk. */
	keys_fail("  - vault: https://v.vault.azure.net\n    name: k\n    file: f\n    format: der\n", "t.yaml:17:13:",
	    "raw, pem or jwk");
	keys_fail("  - vault: https://v.vault.azure.net\n    name: k\n    file: f\n    format: PEM\n", "t.yaml:17:13:",
	    "raw, pem or jwk");
	/* Required and unknown members of a key. */
	keys_fail("  - name: k\n    file: f\n", "t.yaml:14:5:", "missing required key \"vault\"");
	keys_fail("  - vault: https://v.vault.azure.net\n    file: f\n", "t.yaml:14:5:", "missing required key \"name\"");
	keys_fail("  - vault: https://v.vault.azure.net\n    name: k\n", "t.yaml:14:5:", "missing required key \"file\"");
	keys_fail("  - vault: https://v.vault.azure.net\n    name: k\n    file: f\n    secret: s\n", "t.yaml:17:5:",
	    "unknown key \"secret\"");
	keys_fail("  - vault: https://v.vault.azure.net\n    name: k\n    file: f\n    name: j\n", "t.yaml:17:5:",
	    "duplicate key \"name\"");
	/* The list itself: a list, of mappings, not empty, at most AG_POLICY_MAX_KEYS. */
	parse_fails(HEAD "  - claim: /s\n    exists: true\n  keys: []\n", "t.yaml:13:9:", "at least one key");
	parse_fails(HEAD "  - claim: /s\n    exists: true\n  keys: {vault: x}\n", "t.yaml:13:9:", "list of keys");
	parse_fails(HEAD "  - claim: /s\n    exists: true\n  keys: k\n", "t.yaml:13:9:", "list of keys");
	keys_fail("  - k\n", "t.yaml:14:5:", "mapping");
	{
		char keys[4096];
		size_t off = 0;

		for (int i = 0; i < AG_POLICY_MAX_KEYS + 1; i++)
			off += (size_t)snprintf(keys + off, sizeof(keys) - off,
			    "  - {vault: \"https://v.vault.azure.net\", name: k, file: k%d}\n", i);
		keys_fail(keys, "t.yaml:14:3:", "more than 16 keys");
	}
	/* The local verifier has no token a vault would take. */
	parse_fails("apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: t}\nspec:\n"
		    "  platforms: [sev-snp]\n  verifier: {type: local}\n  require:\n  - {claim: /s, exists: true}\n"
		    "  keys:\n  - {vault: \"https://v.vault.azure.net\", name: k, file: f}\n",
	    "t.yaml:5:3:", "use verifier type maa");
}

/* The policy head for kata-cc pods, with spec lines after it (line 7 on). */
#define KATA_HEAD \
	"apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: t}\nspec:\n" \
	"  platforms: [azure-kata-cc]\n  verifier: {type: maa, url: \"https://x.attest.azure.net\"}\n" \
	"  require:\n  - {claim: /s, exists: true}\n"

static void
test_expect_host_data(void **state)
{
	struct ag_policy *p;

	(void)state;
	p = parse_ok(KATA_HEAD "  expectHostData: fromAnnotation\n");
	assert_int_equal(p->expect_host_data_annotation, 1);
	ag_policy_free(p);
	/* With other platforms next to kata-cc, and with keys. */
	p = parse_ok("apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: t}\nspec:\n"
		     "  platforms: [azure-cvm, azure-kata-cc]\n  verifier: {type: maa, url: \"https://x.attest.azure.net\"}\n"
		     "  expectHostData: fromAnnotation\n  require:\n  - {claim: /s, exists: true}\n"
		     "  keys:\n  - {vault: \"https://v.vault.azure.net\", name: k, file: f}\n");
	assert_int_equal(p->expect_host_data_annotation, 1);
	assert_int_equal(p->n_keys, 1);
	ag_policy_free(p);
	p = parse_ok(KATA_HEAD);
	assert_int_equal(p->expect_host_data_annotation, 0);
	ag_policy_free(p);
	/* Only fromAnnotation. */
	parse_fails(KATA_HEAD "  expectHostData: fromPolicy\n", "t.yaml:9:19:", "fromAnnotation");
	parse_fails(KATA_HEAD "  expectHostData: FromAnnotation\n", "t.yaml:9:19:", "fromAnnotation");
	parse_fails(KATA_HEAD "  expectHostData: true\n", "t.yaml:9:19:", NULL);
	parse_fails(KATA_HEAD "  expectHostData: \"\"\n", "t.yaml:9:19:", "fromAnnotation");
	parse_fails(KATA_HEAD "  expectHostData: [fromAnnotation]\n", "t.yaml:9:19:", NULL);
	parse_fails(KATA_HEAD "  expectHostData: fromAnnotation\n  expectHostData: fromAnnotation\n", "t.yaml:10:3:",
	    "duplicate");
	/* Without azure-kata-cc in the platforms it checks nothing: refused. */
	parse_fails(HEAD "  - claim: /s\n    exists: true\n  expectHostData: fromAnnotation\n", "t.yaml:6:3:",
	    "list azure-kata-cc in spec.platforms");
	parse_fails("apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: t}\nspec:\n"
		    "  platforms: [sev-snp, tdx]\n  verifier: {type: local}\n  expectHostData: fromAnnotation\n"
		    "  require:\n  - {claim: /s, exists: true}\n",
	    "t.yaml:5:3:", "azure-kata-cc");
}


/* spec.gpus: count (1..16) required, rules over one GPU's claims, nothing else. */
static void
test_gpus(void **state)
{
	struct ag_policy *p;

	(void)state;
	p = parse_ok(HEAD "  - {claim: /s, exists: true}\n  gpus:\n    count: 2\n    require:\n"
		     "    - {claim: /measres, equals: success}\n    - {claim: /hwmodel, matches: \"GH100 .*\"}\n");
	assert_int_equal(p->gpus.present, 1);
	assert_int_equal(p->gpus.count, 2);
	assert_int_equal(p->gpus.n_rules, 2);
	assert_string_equal(p->gpus.rules[0].claim, "/measres");
	assert_int_equal(p->gpus.rules[1].op, AG_OP_MATCHES);
	assert_int_equal(p->gpus.rules[1].line, 16);
	assert_int_equal(p->n_rules, 1);
	ag_policy_free(p);
	p = parse_ok(HEAD "  - {claim: /s, exists: true}\n  gpus: {count: 1}\n");
	assert_int_equal(p->gpus.present, 1);
	assert_int_equal(p->gpus.n_rules, 0);
	ag_policy_free(p);
	p = parse_ok(HEAD "  - {claim: /s, exists: true}\n");
	assert_int_equal(p->gpus.present, 0);
	ag_policy_free(p);
	parse_fails(HEAD "  - {claim: /s, exists: true}\n  gpus: {}\n", "t.yaml:12:9:", "missing required key \"count\"");
	parse_fails(HEAD "  - {claim: /s, exists: true}\n  gpus: {count: 0}\n", "t.yaml:12:17:", "1 to 16");
	parse_fails(HEAD "  - {claim: /s, exists: true}\n  gpus: {count: 17}\n", "t.yaml:12:17:", "1 to 16");
	parse_fails(HEAD "  - {claim: /s, exists: true}\n  gpus: {count: \"2\"}\n", "t.yaml:12:17:", "number of GPUs");
	parse_fails(HEAD "  - {claim: /s, exists: true}\n  gpus: {count: 1, require: []}\n", "t.yaml:12:", "spec.gpus.require must list");
	parse_fails(HEAD "  - {claim: /s, exists: true}\n  gpus: {count: 1, require: [{claim: /measres}]}\n", "t.yaml:12:",
	    "no operator");
	parse_fails(HEAD "  - {claim: /s, exists: true}\n  gpus: {count: 1, rims: offline}\n", "t.yaml:12:", "unknown key \"rims\"");
	parse_fails(HEAD "  - {claim: /s, exists: true}\n  gpus: [1]\n", "t.yaml:12:9:", "spec.gpus must be a mapping");
}

static void
test_key_file_valid(void **state)
{
	static const char *const good[] = { "key", "key.bin", "k-1_2.PEM", "token.bak", "ready2", "my.token", "a..b" };
	static const char *const bad[] = { "", ".", "..", ".hidden", "a/b", "a\\b", "a b", "token", "ready", "status.json",
		"evidence", "claims.json", "jwks.json", "k\n", "\xc3\xa9" };
	char longest[66];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!ag_policy_key_file_valid(good[i]))
			fail_msg("\"%s\" refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ag_policy_key_file_valid(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	memset(longest, 'x', 64);
	longest[64] = '\0';
	assert_true(ag_policy_key_file_valid(longest));
	longest[64] = 'x';
	longest[65] = '\0';
	assert_false(ag_policy_key_file_valid(longest));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_fields),
		cmocka_unit_test(test_schema_errors_name_lines),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_keys_fields),
		cmocka_unit_test(test_keys_errors_name_lines),
		cmocka_unit_test(test_expect_host_data),
		cmocka_unit_test(test_gpus),
		cmocka_unit_test(test_key_file_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
