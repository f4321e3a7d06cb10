/*
 * test_status.c - status.json has exactly the design's keys and values.
 */
#include "testutil.h"

#include <jansson.h>

#include "publish/status.h"

static const char *const design_keys[] = { "apiVersion", "kind", "type", "status", "reason",
	"message", "lastTransitionTime", "platform", "verifier", "issuer", "policy", "rules", "token",
	"timingsMs", "version" };

static void
test_keys_exactly_as_designed(void **state)
{
	struct ag_status st;
	json_t *j;

	(void)state;
	ag_status_init(&st, AG_EEVIDENCE, "no TPM");
	j = ag_status_to_json(&st);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), sizeof(design_keys) / sizeof(design_keys[0]));
	for (size_t i = 0; i < sizeof(design_keys) / sizeof(design_keys[0]); i++)
		assert_non_null(json_object_get(j, design_keys[i]));
	assert_string_equal(json_string_value(json_object_get(j, "apiVersion")), "attestgate.io/v1");
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "AttestationStatus");
	assert_string_equal(json_string_value(json_object_get(j, "type")), "Attested");
	assert_string_equal(json_string_value(json_object_get(j, "status")), "False");
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "EvidenceUnavailable");
	assert_true(json_is_null(json_object_get(j, "platform")));
	assert_true(json_is_null(json_object_get(j, "policy")));
	assert_true(json_is_null(json_object_get(j, "token")));
	assert_true(json_is_array(json_object_get(j, "rules")));
	assert_int_equal(json_array_size(json_object_get(j, "rules")), 0);
	assert_non_null(strstr(json_string_value(json_object_get(j, "version")), "attestgate "));
	json_decref(j);
}

static void
test_verified_full(void **state)
{
	struct ag_status st;
	json_t *j, *rules = json_pack("[{s:s, s:s, s:s, s:s, s:b}]", "claim", "/secureboot", "op",
	    "equals", "expected", "true", "actual", "true", "ok", 1);

	(void)state;
	ag_status_init(&st, AG_OK, "attested");
	st.platform = "azure-cvm";
	st.verifier = "maa";
	st.issuer = "https://sharedeus2.eus2.attest.azure.net";
	st.policy_known = 1;
	st.policy_name = "azure-cvm";
	st.policy_sha256 = "00ff";
	st.rules = rules;
	st.token_exp = 1654029296;
	st.token_iat = 1654000496;
	st.token_jti = "abc";
	st.ms_evidence = 12;
	st.ms_total = 40;
	st.transition = 1654000496;
	j = ag_status_to_json(&st);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "True");
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "Verified");
	assert_string_equal(json_string_value(json_object_get(j, "lastTransitionTime")),
	    "2022-05-31T12:34:56Z");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "policy"), "mode")),
	    "enforce");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "token"), "issuedAt")),
	    "2022-05-31T12:34:56Z");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "timingsMs"), "total")), 40);
	assert_true(json_equal(json_object_get(j, "rules"), rules));
	json_decref(j);
	json_decref(rules);
}

static void
test_passes_and_exit_codes(void **state)
{
	struct ag_status st;

	(void)state;
	ag_status_init(&st, AG_EPOLICY, "denied");
	assert_false(ag_status_passes(&st));
	assert_int_equal(ag_status_exit_code(&st), 5);
	st.policy_known = 1;
	st.audit = 1;
	assert_true(ag_status_passes(&st));
	assert_int_equal(ag_status_exit_code(&st), 0);
	st.reason = AG_EINVALID;   /* audit never excuses a bad token */
	assert_false(ag_status_passes(&st));
	assert_int_equal(ag_status_exit_code(&st), 6);
}

static void
test_non_utf8_message_survives(void **state)
{
	struct ag_status st;
	json_t *j;

	(void)state;
	ag_status_init(&st, AG_ECONFIG, "cannot open /x/\xff\xfe: No such file");
	j = ag_status_to_json(&st);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "message")),
	    "cannot open /x/??: No such file");
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_exactly_as_designed),
		cmocka_unit_test(test_verified_full),
		cmocka_unit_test(test_passes_and_exit_codes),
		cmocka_unit_test(test_non_utf8_message_survives),
	};

	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
