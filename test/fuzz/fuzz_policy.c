/*
 * fuzz_policy.c - libFuzzer target for the policy loader (libyaml events,
 * schema walk, scalar typing, regex compilation) and, for inputs that load,
 * rule evaluation against a fixed claims object.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ag_policy *p = NULL;
	struct ag_err err;
	json_t *claims, *results = NULL;
	enum ag_code rc;

	rc = ag_policy_parse(data, len, "fuzz.yaml", &p, &err);
	if (rc != AG_OK) {
		if (p != NULL || rc != AG_ECONFIG || err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (p->n_rules == 0 || p->n_rules > AG_POLICY_MAX_RULES || p->name == NULL)
		abort();
	claims = json_pack("{s:s, s:i, s:b, s:{s:s, s:b, s:i}, s:[i, i]}", "s", "azure-compliant-cvm", "n", 93,
	    "b", 0, "x-ms-isolation-tee", "x-ms-compliance-status", "azure-compliant-cvm",
	    "x-ms-sevsnpvm-is-debuggable", 0, "x-ms-sevsnpvm-microcode-svn", 93, "a", 1, 2);
	rc = ag_policy_evaluate(p, claims, &results, &err);
	if ((rc != AG_OK && rc != AG_EPOLICY) || json_array_size(results) != p->n_rules)
		abort();
	json_decref(results);
	json_decref(claims);
	ag_policy_free(p);
	return 0;
}
