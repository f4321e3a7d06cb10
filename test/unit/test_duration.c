/*
 * test_duration.c - lib/base/duration.c: Go-style durations ("90s", "1h30m",
 * "500ms").  Valid forms, every unit, the 168h bound (exactly at it and one
 * millisecond past), overflow of long digit runs, and malformed input
 * (signs, spaces, fractions, unknown units, trailing digits), which must
 * leave the output untouched.
 */
#include "testutil.h"

#include "base/duration.h"

static void
test_duration_valid(void **state)
{
	static const struct {
		const char *s;
		int64_t ms;
	} ok[] = { { "0", 0 }, { "500ms", 500 }, { "60s", 60000 }, { "2m", 120000 },
		{ "1h30m", 5400000 }, { "1h2m3s4ms", 3723004 }, { "168h", 604800000 },
		{ "0s", 0 }, { "0h0m0s0ms", 0 }, { "007s", 7000 }, { "1ms", 1 },
		{ "30m1h", 5400000 }, { "1s1s", 2000 }, { "10080m", 604800000 },
		{ "604800s", 604800000 }, { "604800000ms", 604800000 },
		{ "167h59m59s999ms", 604799999 } };
	int64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ms = -1;
		if (ag_duration_parse(ok[i].s, &ms, NULL) != AG_OK)
			fail_msg("\"%s\" refused", ok[i].s);
		if (ms != ok[i].ms)
			fail_msg("\"%s\": %lld ms, want %lld", ok[i].s, (long long)ms, (long long)ok[i].ms);
	}
}

static void
test_duration_invalid(void **state)
{
	static const char *const bad[] = { "", "10", "-5s", "5 s", "1.5s", "s", "5d", "169h",
		"99999999999999999999s", "1h1", "+1s", "10mss", " 1s", "1s ", "1S", "1H", "1us",
		"1ns", "1m-1s", "ms", "0x10s", "1e3ms", "1_000ms", "1h\n", "\xd9\xa1s" };
	struct ag_err err;
	int64_t ms = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ag_err_clear(&err);
		if (ag_duration_parse(bad[i], &ms, &err) != AG_ECONFIG)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_int_equal(ms, 42);
		assert_int_equal(err.code, AG_ECONFIG);
		assert_true(strlen(err.msg) > 0);
	}
	assert_int_equal(ag_duration_parse(NULL, &ms, &err), AG_ECONFIG);
	assert_int_equal(ag_duration_parse(NULL, &ms, NULL), AG_ECONFIG);
	assert_int_equal(ms, 42);
}

static void
test_duration_bound(void **state)
{
	static const char *const over[] = { "168h1ms", "604800001ms", "10081m", "604801s",
		"100h100h", "168h168h168h", "9223372036854775807ms", "18446744073709551617h" };
	struct ag_err err;
	int64_t ms = 42;

	(void)state;
	assert_int_equal(AG_DURATION_MAX_MS, 604800000);
	for (size_t i = 0; i < sizeof(over) / sizeof(over[0]); i++) {
		ag_err_clear(&err);
		if (ag_duration_parse(over[i], &ms, &err) != AG_ECONFIG)
			fail_msg("\"%s\" accepted", over[i]);
		assert_int_equal(ms, 42);
		assert_non_null(strstr(err.msg, "too large"));
	}
}

static void
test_duration_messages(void **state)
{
	char longest[64];
	struct ag_err err;
	int64_t ms = 42;

	(void)state;
	assert_int_equal(ag_duration_parse("5d", &ms, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "\"5d\""));
	assert_non_null(strstr(err.msg, "ms, s, m or h"));
	assert_int_equal(ag_duration_parse("-5s", &ms, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "expected a number"));
	assert_int_equal(ag_duration_parse("", &ms, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "empty duration"));
	/* More than 32 characters is refused before parsing, even when each group is fine. */
	memset(longest, 0, sizeof(longest));
	for (int i = 0; i < 11; i++)
		strcat(longest, "0s0");
	assert_int_equal(strlen(longest), 33);
	assert_int_equal(ag_duration_parse(longest, &ms, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "too long"));
	longest[32] = '\0';   /* "0s00s0...0s": 32 characters, ending in a unit, is fine */
	assert_int_equal(ag_duration_parse(longest, &ms, &err), AG_OK);
	assert_int_equal(ms, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_valid),
		cmocka_unit_test(test_duration_invalid),
		cmocka_unit_test(test_duration_bound),
		cmocka_unit_test(test_duration_messages),
	};

	return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
