/*
 * fuzz_claims.c - libFuzzer target for the claims JSON loader and JSON
 * Pointer lookup: the input is a claims document; every rule of a fixed
 * policy is evaluated against it.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/claims.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static const char policy_yaml[] =
	"apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: f}\n"
	"spec:\n  platforms: [azure-cvm]\n  verifier: {type: local}\n  require:\n"
	"  - {claim: /x-ms-isolation-tee/x-ms-compliance-status, equals: azure-compliant-cvm}\n"
	"  - {claim: /secureboot, equals: true}\n"
	"  - {claim: /x-ms-isolation-tee/x-ms-sevsnpvm-microcode-svn, atLeast: 93}\n"
	"  - {claim: /x-ms-azurevm-attested-pcrs/0, atMost: 7}\n"
	"  - {claim: /x-ms-sevsnpvm-hostdata, matches: \"[0-9a-f]{64}\"}\n"
	"  - {claim: /a~1b/m~0n, oneOf: [1, x, true]}\n"
	"  - {claim: /x-ms-compliance-status, noneOf: [bad]}\n"
	"  - {claim: /x-ms-runtime, exists: true}\n"
	"  - {claim: /x-ms-sevsnpvm-is-debuggable, absent: true}\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct ag_policy *p;
	struct ag_err err;
	json_t *claims = NULL, *results = NULL;
	enum ag_code rc;

	if (p == NULL && ag_policy_parse((const uint8_t *)policy_yaml, strlen(policy_yaml), "f.yaml", &p, &err) != AG_OK)
		abort();
	if (ag_claims_parse(data, len, &claims, &err) != AG_OK) {
		if (claims != NULL)
			abort();
		return 0;
	}
	if (!json_is_object(claims))
		abort();
	rc = ag_policy_evaluate(p, claims, &results, &err);
	if ((rc != AG_OK && rc != AG_EPOLICY) || json_array_size(results) != p->n_rules)
		abort();
	json_decref(results);
	json_decref(claims);
	return 0;
}
