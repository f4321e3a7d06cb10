/*
 * test_error.c - lib/base/error.c: setting, clearing and prefixing errors
 * (one-line messages, truncation at AG_ERR_MSG_MAX, the transient flag and
 * the structured cause), the code-to-reason and code-to-name mappings and
 * the process exit code, audit mode included.
 */
#include "testutil.h"

#include "base/error.h"

/* The caller's code replaces the callee's (with its transient mark and cause); the message keeps the callee's reason. */
static void
test_set_prefixed(void **state)
{
	struct ag_err err;

	(void)state;
	ag_err_set_cause(&err, AG_EEVIDENCE, AG_CAUSE_ABSENT, "NAME is missing");
	err.transient = 1;
	assert_int_equal(ag_err_set_prefixed(&err, AG_ECONFIG, "--os-%s", "distro"), AG_ECONFIG);
	assert_int_equal(err.code, AG_ECONFIG);
	assert_int_equal(err.transient, 0);
	assert_int_equal(err.cause, AG_CAUSE_NONE);
	assert_string_equal(err.msg, "--os-distro: NAME is missing");
	assert_int_equal(ag_err_set_prefixed(NULL, AG_EPOLICY, "x"), AG_EPOLICY);
}

static void
test_error_set_and_prefix(void **state)
{
	struct ag_err err;

	(void)state;
	ag_err_clear(&err);
	assert_int_equal(err.code, AG_OK);
	assert_int_equal(ag_err_set(&err, AG_EEVIDENCE, "no TPM at %s\nsecond line", "/dev/tpmrm0"),
	    AG_EEVIDENCE);
	assert_string_equal(err.msg, "no TPM at /dev/tpmrm0 second line");
	assert_false(err.transient);
	ag_err_prefix(&err, "evidence %s", "azure-cvm");
	assert_string_equal(err.msg, "evidence azure-cvm: no TPM at /dev/tpmrm0 second line");
	assert_int_equal(ag_err_set_transient(&err, AG_EVERIFIER, "503"), AG_EVERIFIER);
	assert_true(err.transient);
	assert_int_equal(ag_err_set(NULL, AG_EPOLICY, "x"), AG_EPOLICY);
}

static void
test_clear_resets_everything(void **state)
{
	struct ag_err err;

	(void)state;
	ag_err_set_cause(&err, AG_EEVIDENCE, AG_CAUSE_ABSENT, "gone");
	err.transient = 1;
	ag_err_clear(&err);
	assert_int_equal(err.code, AG_OK);
	assert_int_equal(err.transient, 0);
	assert_int_equal(err.cause, AG_CAUSE_NONE);
	assert_string_equal(err.msg, "");
	ag_err_clear(NULL);   /* must not crash */
}

static void
test_flatten_control_characters(void **state)
{
	struct ag_err err;

	(void)state;
	ag_err_set(&err, AG_EINVALID, "a\rb\tc\nd%s", "\r\n");
	assert_string_equal(err.msg, "a b c d  ");
	assert_null(strpbrk(err.msg, "\r\n\t"));
	ag_err_set(&err, AG_EINVALID, "inner");
	ag_err_prefix(&err, "outer\n%s", "ctx\t");
	assert_string_equal(err.msg, "outer ctx : inner");
}

static void
test_set_cause_and_transient(void **state)
{
	struct ag_err err;

	(void)state;
	ag_err_clear(&err);
	assert_int_equal(ag_err_set_cause(&err, AG_EEVIDENCE, AG_CAUSE_PCR_CHANGED, "pcrs %d", 7), AG_EEVIDENCE);
	assert_int_equal(err.code, AG_EEVIDENCE);
	assert_int_equal(err.cause, AG_CAUSE_PCR_CHANGED);
	assert_false(err.transient);
	assert_string_equal(err.msg, "pcrs 7");
	/* A later plain set resets the cause and the transient flag. */
	ag_err_set_transient(&err, AG_EVERIFIER, "t");
	assert_int_equal(err.cause, AG_CAUSE_NONE);
	assert_true(err.transient);
	ag_err_set(&err, AG_ECONFIG, "plain");
	assert_false(err.transient);
	assert_int_equal(err.code, AG_ECONFIG);
	assert_int_equal(ag_err_set_cause(NULL, AG_EINVALID, AG_CAUSE_ABSENT, "x"), AG_EINVALID);
	assert_int_equal(ag_err_set_transient(NULL, AG_EVERIFIER, "x"), AG_EVERIFIER);
	ag_err_prefix(NULL, "nothing");
}

static void
test_message_truncated_not_overflowed(void **state)
{
	char big[2 * AG_ERR_MSG_MAX];
	struct ag_err err;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ag_err_set(&err, AG_EINVALID, "%s", big);
	assert_int_equal(strlen(err.msg), AG_ERR_MSG_MAX - 1);
	/* A prefix keeps its own text and cuts the tail of the old message. */
	ag_err_prefix(&err, "ctx");
	assert_int_equal(strlen(err.msg), AG_ERR_MSG_MAX - 1);
	assert_memory_equal(err.msg, "ctx: aaa", 8);
	/* A prefix longer than the whole buffer is cut too. */
	ag_err_set(&err, AG_EINVALID, "tail");
	ag_err_prefix(&err, "%s", big);
	assert_int_equal(strlen(err.msg), AG_ERR_MSG_MAX - 1);
	assert_null(strstr(err.msg, "tail"));
}

static void
test_reason_mapping(void **state)
{
	(void)state;
	assert_string_equal(ag_code_reason(AG_OK), "Verified");
	assert_string_equal(ag_code_reason(AG_ECONFIG), "ConfigInvalid");
	assert_string_equal(ag_code_reason(AG_EEVIDENCE), "EvidenceUnavailable");
	assert_string_equal(ag_code_reason(AG_EVERIFIER), "VerifierUnavailable");
	assert_string_equal(ag_code_reason(AG_EPOLICY), "PolicyDenied");
	assert_string_equal(ag_code_reason(AG_EINVALID), "TokenInvalid");
	assert_string_equal(ag_code_reason((enum ag_code)1), "ConfigInvalid");
	assert_string_equal(ag_code_reason((enum ag_code)99), "ConfigInvalid");
	assert_int_equal(AG_ECONFIG, 2);
	assert_int_equal(AG_EEVIDENCE, 3);
	assert_int_equal(AG_EVERIFIER, 4);
	assert_int_equal(AG_EPOLICY, 5);
	assert_int_equal(AG_EINVALID, 6);
}

static void
test_name_mapping(void **state)
{
	(void)state;
	assert_string_equal(ag_code_name(AG_OK), "ok");
	assert_string_equal(ag_code_name(AG_ECONFIG), "config");
	assert_string_equal(ag_code_name(AG_EEVIDENCE), "evidence");
	assert_string_equal(ag_code_name(AG_EVERIFIER), "verifier");
	assert_string_equal(ag_code_name(AG_EPOLICY), "policy");
	assert_string_equal(ag_code_name(AG_EINVALID), "invalid");
	assert_string_equal(ag_code_name((enum ag_code)1), "config");
	assert_string_equal(ag_code_name((enum ag_code)-3), "config");
}

static void
test_exit_code(void **state)
{
	(void)state;
	assert_int_equal(ag_exit_code(AG_OK, 0), 0);
	assert_int_equal(ag_exit_code(AG_OK, 1), 0);
	assert_int_equal(ag_exit_code(AG_EPOLICY, 0), 5);
	assert_int_equal(ag_exit_code(AG_EPOLICY, 1), 0);
	/* Audit mode forgives a policy denial only. */
	assert_int_equal(ag_exit_code(AG_ECONFIG, 1), 2);
	assert_int_equal(ag_exit_code(AG_EEVIDENCE, 1), 3);
	assert_int_equal(ag_exit_code(AG_EVERIFIER, 1), 4);
	assert_int_equal(ag_exit_code(AG_EINVALID, 1), 6);
	assert_int_equal(ag_exit_code(AG_EINVALID, 0), 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_set_and_prefix),
		cmocka_unit_test(test_set_prefixed),
		cmocka_unit_test(test_clear_resets_everything),
		cmocka_unit_test(test_flatten_control_characters),
		cmocka_unit_test(test_set_cause_and_transient),
		cmocka_unit_test(test_message_truncated_not_overflowed),
		cmocka_unit_test(test_reason_mapping),
		cmocka_unit_test(test_name_mapping),
		cmocka_unit_test(test_exit_code),
	};

	return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
