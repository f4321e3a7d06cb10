/*
 * test_core.c - the small core modules: error, buf, fileio, duration, clock.
 */
#include "testutil.h"

#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/duration.h"
#include "base/error.h"
#include "base/fileio.h"

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
test_reason_mapping(void **state)
{
	(void)state;
	assert_string_equal(ag_code_reason(AG_OK), "Verified");
	assert_string_equal(ag_code_reason(AG_ECONFIG), "ConfigInvalid");
	assert_string_equal(ag_code_reason(AG_EEVIDENCE), "EvidenceUnavailable");
	assert_string_equal(ag_code_reason(AG_EVERIFIER), "VerifierUnavailable");
	assert_string_equal(ag_code_reason(AG_EPOLICY), "PolicyDenied");
	assert_string_equal(ag_code_reason(AG_EINVALID), "TokenInvalid");
	assert_int_equal(AG_ECONFIG, 2);
	assert_int_equal(AG_EEVIDENCE, 3);
	assert_int_equal(AG_EVERIFIER, 4);
	assert_int_equal(AG_EPOLICY, 5);
	assert_int_equal(AG_EINVALID, 6);
}

static void
test_buf_bounded(void **state)
{
	struct ag_buf b;
	size_t len;
	uint8_t *d;

	(void)state;
	ag_buf_init(&b, 10);
	assert_int_equal(ag_buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(b.data[10], 0);
	assert_int_equal(ag_buf_append(&b, "x", 1), -1);
	assert_int_equal(b.len, 10);
	assert_int_equal(ag_buf_append(&b, "x", SIZE_MAX), -1);
	d = ag_buf_steal(&b, &len);
	assert_int_equal(len, 10);
	assert_memory_equal(d, "0123456789", 10);
	assert_null(b.data);
	free(d);
	ag_buf_free(&b);
}

static void
test_file_read(void **state)
{
	char *dir = tu_mkdtemp(), *p = tu_path(dir, "f"), *missing = tu_path(dir, "missing");
	struct ag_err err;
	uint8_t *d = NULL;
	size_t len = 0;

	(void)state;
	tu_write(dir, "f", "hello");
	assert_int_equal(ag_file_read(p, 5, AG_ECONFIG, &d, &len, &err), AG_OK);
	assert_int_equal(len, 5);
	assert_string_equal((char *)d, "hello");
	free(d);
	assert_int_equal(ag_file_read(p, 4, AG_EINVALID, &d, &len, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "larger than the limit of 4 bytes"));
	assert_int_equal(ag_file_read(missing, 4, AG_ECONFIG, &d, &len, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, missing));
	tu_write(dir, "f", "");
	assert_int_equal(ag_file_read(p, 4, AG_ECONFIG, &d, &len, &err), AG_OK);
	assert_int_equal(len, 0);
	assert_string_equal((char *)d, "");
	free(d);
	free(p);
	free(missing);
	tu_rmtree(dir);
	free(dir);
}

static void
test_duration_valid(void **state)
{
	static const struct {
		const char *s;
		int64_t ms;
	} ok[] = { { "0", 0 }, { "500ms", 500 }, { "60s", 60000 }, { "2m", 120000 },
		{ "1h30m", 5400000 }, { "1h2m3s4ms", 3723004 }, { "168h", 604800000 } };
	int64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(ag_duration_parse(ok[i].s, &ms, NULL), AG_OK);
		assert_int_equal(ms, ok[i].ms);
	}
}

static void
test_duration_invalid(void **state)
{
	static const char *const bad[] = { "", "10", "-5s", "5 s", "1.5s", "s", "5d", "169h",
		"99999999999999999999s", "1h1", "+1s", "10mss" };
	struct ag_err err;
	int64_t ms = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ag_duration_parse(bad[i], &ms, &err), AG_ECONFIG);
		assert_int_equal(ms, 42);
		assert_true(strlen(err.msg) > 0);
	}
	assert_int_equal(ag_duration_parse(NULL, &ms, &err), AG_ECONFIG);
}

static void
test_rfc3339(void **state)
{
	char buf[AG_RFC3339_MAX];
	time_t t;

	(void)state;
	assert_int_equal(ag_time_parse_rfc3339("2022-05-31T12:34:56Z", &t), 0);
	assert_int_equal(t, 1654000496);
	assert_string_equal(ag_time_rfc3339(t, buf), "2022-05-31T12:34:56Z");
	assert_int_equal(ag_time_parse_rfc3339("2022-05-31T14:34:56.123+02:00", &t), 0);
	assert_int_equal(t, 1654000496);
	assert_string_equal(ag_time_rfc3339_ms(1654000496123, buf), "2022-05-31T12:34:56.123Z");
	assert_int_equal(ag_time_parse_rfc3339("2022-05-31 12:34:56Z", &t), -1);
	assert_int_equal(ag_time_parse_rfc3339("2022-02-30T00:00:00Z", &t), -1);
	assert_int_equal(ag_time_parse_rfc3339("2022-05-31T12:34:56", &t), -1);
	assert_int_equal(ag_time_parse_rfc3339("2022-05-31T12:34:56Zjunk", &t), -1);
	assert_int_equal(ag_time_parse_rfc3339("2022-13-01T00:00:00Z", &t), -1);
	assert_int_equal(ag_time_parse_rfc3339("1654000496", &t), -1);
	assert_true(ag_clock_mono_ms() > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_set_and_prefix),
		cmocka_unit_test(test_reason_mapping),
		cmocka_unit_test(test_buf_bounded),
		cmocka_unit_test(test_file_read),
		cmocka_unit_test(test_duration_valid),
		cmocka_unit_test(test_duration_invalid),
		cmocka_unit_test(test_rfc3339),
	};

	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
