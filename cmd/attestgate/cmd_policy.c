/*
 * cmd_policy.c - `attestgate policy check`: evaluates a policy against a
 * claims file and explains each rule, as a table or as JSON.  The exit code
 * is the gate's decision: 0 allowed (or denied under mode: audit), 5 denied.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "format/claims.h"
#include "commands.h"
#include "base/fileio.h"
#include "base/log.h"
#include "policy/policy.h"
#include "format/token.h"

#define CELL_MAX 48

/* Compact JSON of v, cut to CELL_MAX characters for the table. */
static void
cell(const json_t *v, char *buf, size_t size)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (s == NULL) {
		snprintf(buf, size, "?");
		return;
	}
	if (strlen(s) > CELL_MAX)
		snprintf(buf, size, "%.*s…", CELL_MAX - 1, s);
	else
		snprintf(buf, size, "%s", s);
	free(s);
}

static void
print_table(const struct ag_policy *p, const json_t *results, int allowed, int satisfied, const char *msg)
{
	int wc = (int)strlen("CLAIM"), wo = (int)strlen("OP"), we = (int)strlen("EXPECTED");
	size_t i;
	json_t *r;
	char e[CELL_MAX + 8], a[CELL_MAX + 8];

	json_array_foreach(results, i, r) {
		int lc = (int)strlen(json_string_value(json_object_get(r, "claim")));
		int lo = (int)strlen(json_string_value(json_object_get(r, "op")));

		cell(json_object_get(r, "expected"), e, sizeof(e));
		wc = lc > wc ? lc : wc;
		wo = lo > wo ? lo : wo;
		we = (int)strlen(e) > we ? (int)strlen(e) : we;
	}
	printf("policy %s  sha256 %s  mode %s  verifier %s%s%s\n\n", p->name, p->sha256,
	    p->mode == AG_MODE_AUDIT ? "audit" : "enforce", p->verifier_type,
	    p->verifier_url != NULL ? " " : "", p->verifier_url != NULL ? p->verifier_url : "");
	printf("     %-*s  %-*s  %-*s  %s\n", wc, "CLAIM", wo, "OP", we, "EXPECTED", "ACTUAL");
	json_array_foreach(results, i, r) {
		const json_t *act = json_object_get(r, "actual");

		cell(json_object_get(r, "expected"), e, sizeof(e));
		if (act == NULL)
			snprintf(a, sizeof(a), "(missing)");
		else
			cell(act, a, sizeof(a));
		printf("  %s  %-*s  %-*s  %-*s  %s\n", json_is_true(json_object_get(r, "ok")) ? "✓" : "✗", wc,
		    json_string_value(json_object_get(r, "claim")), wo,
		    json_string_value(json_object_get(r, "op")), we, e, a);
	}
	/* Under mode: audit a denial lets the pod start; say what would have happened. */
	printf("\n%s: %s\n", !allowed ? "DENIED" : satisfied ? "ALLOWED" : "AUDIT: would deny", msg);
}

int
cmd_policy_check(const struct cli_cmd *cmd, const struct cli_values *v)
{
	const char *policy_path = cli_get(v, "policy"), *claims_path = cli_get(v, "claims");
	struct ag_policy *p = NULL;
	json_t *claims = NULL, *results = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct ag_err err;
	enum ag_code rc;
	int allowed, exit_code;

	if (policy_path == NULL || (claims_path == NULL) == (cli_get(v, "token") == NULL))
		return cli_usage_error(cmd, "--policy and one of --claims or --token (with --url) are required");
	rc = ag_policy_load_file(policy_path, cli_get(v, "policy-sha256"), &p, &err);
	/* A token is verified first (exit 6, or 4 when its keys cannot be fetched); its claims are then checked. */
	if (rc == AG_OK && cli_get(v, "token") != NULL) {
		/* The token is checked against the policy's pinned instance and freshness, as the gate checks it. */
		struct cmd_token_pin pin = { p->verifier_url, p->max_token_age_ms / 1000, p->clock_skew_ms / 1000 };
		char given[600];

		snprintf(given, sizeof(given), "%s", cli_get(v, "url") != NULL ? cli_get(v, "url") : "");
		if (given[0] != '\0' && ag_token_issuer_normalize(given) == NULL && p->verifier_url != NULL &&
		    strcmp(given, p->verifier_url) != 0)
			rc = ag_err_set(&err, AG_ECONFIG, "--url %s is not the policy's verifier %s", given, p->verifier_url);
		else
			rc = cmd_token_claims(v, &pin, &claims, &err);
	}
	else if (rc == AG_OK)
		rc = ag_file_read(claims_path, AG_CLAIMS_MAX_BYTES, AG_ECONFIG, &buf, &len, &err);
	/* The claims file is the caller's input: unparseable is a usage error (2). */
	if (rc == AG_OK && claims == NULL && ag_claims_parse(buf, len, &claims, &err) != AG_OK)
		rc = ag_err_set_prefixed(&err, AG_ECONFIG, "%s", claims_path);
	free(buf);
	if (rc != AG_OK) {
		fprintf(stderr, "attestgate %s: %s\n", cmd->name, err.msg);
		ag_policy_free(p);
		return rc;
	}
	rc = ag_policy_evaluate(p, claims, &results, &err);
	exit_code = ag_exit_code(rc, p->mode == AG_MODE_AUDIT);
	allowed = exit_code == 0;
	if (rc != AG_OK && p->mode == AG_MODE_AUDIT)
		ag_log(AG_LOG_WARN, "policy denied, but it is in audit mode: the gate would let the pod start",
		    "policy", json_string(p->name), "detail", json_string(err.msg), NULL);
	if (cli_get_bool(v, "json")) {
		json_t *o = json_pack("{s:{s:s, s:s, s:s}, s:b, s:b, s:s, s:O}", "policy", "name", p->name,
		    "sha256", p->sha256, "mode", p->mode == AG_MODE_AUDIT ? "audit" : "enforce", "allowed",
		    allowed, "satisfied", rc == AG_OK, "message", err.msg, "rules", results);
		char *s = o != NULL ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

		if (s != NULL)
			printf("%s\n", s);
		free(s);
		json_decref(o);
	} else {
		print_table(p, results, allowed, rc == AG_OK, err.msg);
	}
	json_decref(results);
	json_decref(claims);
	ag_policy_free(p);
	return exit_code;
}

static const struct cli_flag policy_check_flags[] = {
	{ "policy", CLI_STRING, "FILE", NULL, NULL, "AttestationPolicy YAML", 0, 0 },
	{ "policy-sha256", CLI_STRING, "HEX", NULL, NULL, "refuse the policy unless its SHA-256 is HEX", 0, 0 },
	{ "claims", CLI_STRING, "FILE", NULL, NULL, "claims JSON object (or --token)", 0, 0 },
	{ "token", CLI_STRING, "FILE", NULL, NULL, "a verifier's token: verified (as verify-token) and its claims checked", 0, 0 },
	{ "json", CLI_BOOL, NULL, NULL, NULL, "print the rule results as JSON", 0, 0 },
	TOKEN_CHECK_FLAGS
	{ 0 },
};

const struct cli_cmd cmd_policy_check_command = { "policy check", "Evaluate a policy against a claims file (or a token it verifies) and explain each rule.",
    "Prints each rule with its expected and actual value.  Exit 0 when the gate would\n"
    "let the pod start (all rules hold, or the policy is in mode: audit), 5 when it\n"
    "would not, 2 for a bad policy or claims file.",
    policy_check_flags, cmd_policy_check };
