/*
 * test_cli.c - flag parsing: forms, types, the environment fallback (flags
 * win) and every usage error exiting 2.
 */
#include "testutil.h"

#include "cli.h"

static const struct cli_flag flags[] = {
	{ "output-dir", CLI_STRING, "DIR", "/run/attestgate", NULL, "out", 0, 0 },
	{ "policy-sha256", CLI_STRING, "HEX", NULL, NULL, "digest", 0, 0 },
	{ "timeout", CLI_DURATION, "DURATION", "2m", NULL, "deadline", 0, 0 },
	{ "keep-evidence", CLI_BOOL, NULL, NULL, NULL, "keep", 0, 0 },
	{ "platform", CLI_CHOICE, "NAME", "auto", "auto|azure-cvm|sev-snp", "platform", 0, 0 },
	{ "file", CLI_STRING, "FILE", "-", NULL, "input", 'f', 0 },
	{ 0 },
};

static int dummy_run(const struct cli_cmd *c, const struct cli_values *v)
{
	(void)c;
	(void)v;
	return 0;
}

static const struct cli_cmd cmd = { "run", "test command", NULL, flags, dummy_run };

static int
parse(struct cli_values *v, int argc, const char **argv)
{
	int rc;
	FILE *saved = stderr;

	/* Usage errors print to stderr; keep the TAP stream readable. */
	stderr = fopen("/dev/null", "w");
	rc = cli_parse(&cmd, argc, (char **)argv, v);
	fclose(stderr);
	stderr = saved;
	return rc;
}

static void
clear_env(void)
{
	unsetenv("ATTESTGATE_OUTPUT_DIR");
	unsetenv("ATTESTGATE_TIMEOUT");
	unsetenv("ATTESTGATE_KEEP_EVIDENCE");
	unsetenv("ATTESTGATE_PLATFORM");
	unsetenv("ATTESTGATE_POLICY_SHA256");
}

static void
test_defaults(void **state)
{
	struct cli_values v;

	(void)state;
	clear_env();
	assert_int_equal(parse(&v, 0, NULL), 0);
	assert_string_equal(cli_get(&v, "output-dir"), "/run/attestgate");
	assert_null(cli_get(&v, "policy-sha256"));
	assert_int_equal(cli_get_duration_ms(&v, "timeout"), 120000);
	assert_false(cli_get_bool(&v, "keep-evidence"));
	assert_string_equal(cli_get(&v, "log-format"), "json");
	assert_null(cli_get(&v, "no-such-flag"));
	cli_values_free(&v);
}

static void
test_forms(void **state)
{
	const char *argv[] = { "--output-dir", "/tmp/o", "--timeout=90s", "--keep-evidence",
		"--platform=sev-snp", "-f", "pod.yaml", "--log-level", "debug" };
	struct cli_values v;

	(void)state;
	clear_env();
	assert_int_equal(parse(&v, 9, argv), 0);
	assert_string_equal(cli_get(&v, "output-dir"), "/tmp/o");
	assert_int_equal(cli_get_duration_ms(&v, "timeout"), 90000);
	assert_true(cli_get_bool(&v, "keep-evidence"));
	assert_string_equal(cli_get(&v, "platform"), "sev-snp");
	assert_string_equal(cli_get(&v, "file"), "pod.yaml");
	assert_string_equal(cli_get(&v, "log-level"), "debug");
	cli_values_free(&v);
}

static void
test_env_fallback_and_flags_win(void **state)
{
	const char *argv[] = { "--output-dir", "/from/flag" };
	struct cli_values v;

	(void)state;
	clear_env();
	setenv("ATTESTGATE_OUTPUT_DIR", "/from/env", 1);
	setenv("ATTESTGATE_TIMEOUT", "5s", 1);
	setenv("ATTESTGATE_KEEP_EVIDENCE", "true", 1);
	setenv("ATTESTGATE_POLICY_SHA256", "abcd", 1);
	assert_int_equal(parse(&v, 2, argv), 0);
	assert_string_equal(cli_get(&v, "output-dir"), "/from/flag");
	assert_int_equal(cli_get_duration_ms(&v, "timeout"), 5000);
	assert_true(cli_get_bool(&v, "keep-evidence"));
	assert_string_equal(cli_get(&v, "policy-sha256"), "abcd");
	cli_values_free(&v);
	clear_env();
}

static void
test_bad_env_value_is_usage_error(void **state)
{
	struct cli_values v;

	(void)state;
	clear_env();
	setenv("ATTESTGATE_TIMEOUT", "forever", 1);
	assert_int_equal(parse(&v, 0, NULL), 2);
	cli_values_free(&v);
	clear_env();
	setenv("ATTESTGATE_PLATFORM", "sgx", 1);
	assert_int_equal(parse(&v, 0, NULL), 2);
	cli_values_free(&v);
	clear_env();
}

static void
test_usage_errors(void **state)
{
	const char *unknown[] = { "--frobnicate" };
	const char *missing[] = { "--output-dir" };
	const char *twice[] = { "--timeout", "1s", "--timeout", "2s" };
	const char *bad_bool[] = { "--keep-evidence=maybe" };
	const char *bad_dur[] = { "--timeout", "-1s" };
	const char *bad_choice[] = { "--platform", "sgx" };
	const char *positional[] = { "extra" };
	const char *bad_short[] = { "-x" };
	struct cli_values v;

	(void)state;
	clear_env();
	assert_int_equal(parse(&v, 1, unknown), 2);
	assert_int_equal(parse(&v, 1, missing), 2);
	assert_int_equal(parse(&v, 4, twice), 2);
	assert_int_equal(parse(&v, 1, bad_bool), 2);
	assert_int_equal(parse(&v, 2, bad_dur), 2);
	assert_int_equal(parse(&v, 2, bad_choice), 2);
	assert_int_equal(parse(&v, 1, positional), 2);
	assert_int_equal(parse(&v, 1, bad_short), 2);
}

static void
test_help_and_env_names(void **state)
{
	const char *argv[] = { "--help" };
	struct cli_values v;
	char env[64], *buf = NULL;
	size_t len;
	FILE *f;

	(void)state;
	clear_env();
	assert_int_equal(parse(&v, 1, argv), 0);
	assert_true(v.help);
	cli_values_free(&v);
	cli_env_name("policy-sha256", env, sizeof(env));
	assert_string_equal(env, "ATTESTGATE_POLICY_SHA256");
	f = open_memstream(&buf, &len);
	cli_print_help(&cmd, f);
	fclose(f);
	assert_non_null(strstr(buf, "--output-dir DIR"));
	assert_non_null(strstr(buf, "env ATTESTGATE_OUTPUT_DIR"));
	assert_non_null(strstr(buf, "-f, --file FILE"));
	assert_non_null(strstr(buf, "[default: 2m]"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_env_fallback_and_flags_win),
		cmocka_unit_test(test_bad_env_value_is_usage_error),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_help_and_env_names),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
