/*
 * test_timing.c - the per-step timings: steps kept in the order they first
 * ran, repeated steps summed, a full table ignoring more, NULL allowed, and
 * the JSON in milliseconds.
 */
#include "testutil.h"

#include <jansson.h>

#include "base/clock.h"
#include "base/timing.h"

static void
test_order_and_sums(void **state)
{
	struct ag_timings t = { 0 };
	json_t *j;
	const char *k;
	json_t *v;
	const char *want[] = { "evidence", "attest", "token" };
	size_t i = 0;

	(void)state;
	ag_timings_add(&t, "evidence", 1500);
	ag_timings_add(&t, "attest", 20250);
	ag_timings_add(&t, "evidence", 500);
	ag_timings_add(&t, "token", 999);
	assert_int_equal(t.n, 3);
	j = ag_timings_json(&t);
	json_object_foreach(j, k, v)
		assert_string_equal(k, want[i++]);
	assert_int_equal(i, 3);
	assert_true(json_real_value(json_object_get(j, "evidence")) == 2.0);
	assert_true(json_real_value(json_object_get(j, "attest")) == 20.25);
	assert_true(json_real_value(json_object_get(j, "token")) == 0.99);
	json_decref(j);
}

static void
test_full_and_null(void **state)
{
	static const char *const names[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p",
		"q" };
	struct ag_timings t = { 0 };
	int64_t start;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ag_timings_add(&t, names[i], 1);
	assert_int_equal(t.n, AG_TIMINGS_MAX);
	assert_string_equal(t.s[AG_TIMINGS_MAX - 1].step, "p");
	ag_timings_add(&t, "a", 1);
	assert_int_equal(t.s[0].us, 2);
	ag_timings_add(NULL, "x", 5);
	start = ag_clock_mono_us();
	assert_true(ag_timings_lap(NULL, "x", start) >= start);
	memset(&t, 0, sizeof(t));
	assert_true(ag_timings_lap(&t, "lap", start - 3000) >= start);
	assert_true(t.s[0].us >= 3000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_sums),
		cmocka_unit_test(test_full_and_null),
	};

	return cmocka_run_group_tests_name("timing", tests, NULL, NULL);
}
