/*
 * test_policy_load.c - loading a policy: the SHA-256 pin, and selection by name from the
 * installed directory.
 */
#include "policy_fixtures.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin_and_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
