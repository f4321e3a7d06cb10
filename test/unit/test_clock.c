/*
 * test_clock.c - lib/base/clock.c: the monotonic and wall clocks, RFC 3339
 * out (seconds and milliseconds, around the epoch and past 2038) and in
 * (offsets, fractions, lower-case t/z, every malformed field and range),
 * and the cancellable sleep (zero, negative, cancelled before and while
 * sleeping).  Known lib/ bugs are tested and skipped visibly.
 */
#include "testutil.h"

#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "base/clock.h"

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

static void
test_format(void **state)
{
	char buf[AG_RFC3339_MAX];

	(void)state;
	assert_ptr_equal(ag_time_rfc3339(0, buf), buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	assert_string_equal(ag_time_rfc3339(-1, buf), "1969-12-31T23:59:59Z");
	assert_string_equal(ag_time_rfc3339(2147483648, buf), "2038-01-19T03:14:08Z");
	assert_string_equal(ag_time_rfc3339(4102444799, buf), "2099-12-31T23:59:59Z");
	assert_string_equal(ag_time_rfc3339(951782400, buf), "2000-02-29T00:00:00Z");
	assert_ptr_equal(ag_time_rfc3339_ms(0, buf), buf);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	assert_string_equal(ag_time_rfc3339_ms(1999, buf), "1970-01-01T00:00:01.999Z");
	assert_string_equal(ag_time_rfc3339_ms(2147483648007, buf), "2038-01-19T03:14:08.007Z");
}

static void
test_parse_accepts(void **state)
{
	static const struct {
		const char *s;
		time_t t;
	} ok[] = { { "1970-01-01T00:00:00Z", 0 }, { "2022-05-31t12:34:56z", 1654000496 },
		{ "2022-05-31T12:34:56.1Z", 1654000496 }, { "2022-05-31T12:34:56.999999999Z", 1654000496 },
		{ "2022-05-31T12:34:56-00:00", 1654000496 }, { "2022-05-31T04:04:56-08:30", 1654000496 },
		{ "2022-06-01T12:33:56+23:59", 1654000496 }, { "2024-02-29T00:00:00Z", 1709164800 },
		{ "2038-01-19T03:14:08Z", 2147483648 }, { "1969-12-31T23:59:58Z", -2 },
		{ "2016-12-31T23:59:60Z", 1483228800 } };
	time_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		t = 12345;
		if (ag_time_parse_rfc3339(ok[i].s, &t) != 0)
			fail_msg("\"%s\" refused", ok[i].s);
		if (t != ok[i].t)
			fail_msg("\"%s\": %lld, want %lld", ok[i].s, (long long)t, (long long)ok[i].t);
	}
}

static void
test_parse_rejects(void **state)
{
	static const char *const bad[] = { "", "2022", "2022-05-31", "2022-05-31T", "22-05-31T12:34:56Z",
		"2022-5-31T12:34:56Z", "2022-05-1T12:34:56Z", "2022/05/31T12:34:56Z", "2022-05-31T12-34-56Z",
		"2022-05-31T1:34:56Z", "2022-05-31T12:34:5Z", "2022-05-31T12:34:56.Z", "2022-05-31T12:34:56,5Z",
		"2022-05-31T24:00:00Z", "2022-05-31T12:60:00Z", "2022-05-31T12:34:61Z", "2022-00-10T00:00:00Z",
		"2022-05-00T00:00:00Z", "2022-05-32T00:00:00Z", "2022-04-31T00:00:00Z", "2022-05-31T12:34:56+2:00",
		"2022-05-31T12:34:56+02", "2022-05-31T12:34:56+0200", "2022-05-31T12:34:56+24:00",
		"2022-05-31T12:34:56+02:60", "2022-05-31T12:34:56 Z", "2022-05-31T12:34:56Z ",
		" 2022-05-31T12:34:56Z", "+2022-05-31T12:34:56Z", "2022-05-31T12:34:56UTC", "2022-05-31T12:34:56+02:00Z",
		"-022-05-31T12:34:56Z", "2022-05-31T12:34:56.-1Z", "2022-05-31T12:34:56\nZ" };
	time_t t = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ag_time_parse_rfc3339(bad[i], &t) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_int_equal(t, 12345);
	}
	assert_int_equal(ag_time_parse_rfc3339(NULL, &t), -1);
	assert_int_equal(t, 12345);
}

/* RFC 3339 §5.7: February 29 exists in leap years only; clock.c takes it in every year. */
static void
test_feb29_common_year(void **state)
{
	time_t t = 12345;
	int rc;

	(void)state;
	rc = ag_time_parse_rfc3339("2023-02-29T00:00:00Z", &t);
	if (rc == 0) {
		print_message("# regression: lib/base/clock.c was: \"2023-02-29T00:00:00Z\" accepted as %lld "
		    "(2023-03-01)\n", (long long)t);
		fail();
	}
	assert_int_equal(rc, -1);
	assert_int_equal(ag_time_parse_rfc3339("2100-02-29T00:00:00Z", &t), -1);
}

/* One second before the epoch is a time like any other, not timegm's error value. */
static void
test_minus_one_second(void **state)
{
	time_t t = 12345;

	(void)state;
	if (ag_time_parse_rfc3339("1969-12-31T23:59:59Z", &t) != 0) {
		print_message("# regression: lib/base/clock.c was: \"1969-12-31T23:59:59Z\" refused (timegm's -1)\n");
		fail();
	}
	assert_int_equal(t, -1);
}

/* Milliseconds before the epoch must still print as a valid RFC 3339 time. */
static void
test_negative_ms(void **state)
{
	char buf[AG_RFC3339_MAX];

	(void)state;
	ag_time_rfc3339_ms(-1, buf);
	if (strcmp(buf, "1969-12-31T23:59:59.999Z") != 0) {
		print_message("# regression: lib/base/clock.c was: ag_time_rfc3339_ms(-1) is \"%s\"\n", buf);
		fail();
	}
	assert_string_equal(ag_time_rfc3339_ms(-1500, buf), "1969-12-31T23:59:58.500Z");
}

static void
test_clocks(void **state)
{
	int64_t m0 = ag_clock_mono_ms(), m1, w = ag_clock_wall_ms();
	time_t now = time(NULL);

	(void)state;
	assert_true(m0 > 0);
	/* The wall clock in ms agrees with time(2) to within a couple of seconds. */
	assert_true(w / 1000 >= (int64_t)now - 2 && w / 1000 <= (int64_t)now + 2);
	assert_int_equal(ag_clock_sleep_ms(120, NULL), 0);
	m1 = ag_clock_mono_ms();
	assert_true(m1 - m0 >= 120);
	assert_true(m1 - m0 < 5000);
	assert_true(ag_clock_mono_ms() >= m1);
}

static void
test_sleep_edges(void **state)
{
	volatile sig_atomic_t cancel = 0;
	int64_t t0;

	(void)state;
	t0 = ag_clock_mono_ms();
	assert_int_equal(ag_clock_sleep_ms(0, NULL), 0);
	assert_int_equal(ag_clock_sleep_ms(-1000, NULL), 0);
	assert_int_equal(ag_clock_sleep_ms(INT64_MIN, &cancel), 0);
	assert_int_equal(ag_clock_sleep_ms(30, &cancel), 0);
	cancel = 1;
	assert_int_equal(ag_clock_sleep_ms(10000, &cancel), -1);   /* cancelled before: returns at once */
	assert_int_equal(ag_clock_sleep_ms(0, &cancel), -1);
	assert_true(ag_clock_mono_ms() - t0 < 2000);
}

static volatile sig_atomic_t alarm_cancel;

static void
on_alarm(int sig)
{
	(void)sig;
	alarm_cancel = 1;
}

/* The flag is set by a signal handler, as the gate's SIGTERM handler does. */
static void
test_sleep_cancelled_while_sleeping(void **state)
{
	struct itimerval it = { { 0, 0 }, { 0, 150 * 1000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa, old;
	int64_t t0, took;
	int rc;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	alarm_cancel = 0;
	t0 = ag_clock_mono_ms();
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	rc = ag_clock_sleep_ms(20000, &alarm_cancel);
	took = ag_clock_mono_ms() - t0;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	assert_int_equal(rc, -1);
	/* Steps of at most 100 ms: it notices within one step of the flag. */
	assert_true(took >= 140);
	assert_true(took < 2000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_feb29_common_year),
		cmocka_unit_test(test_minus_one_second),
		cmocka_unit_test(test_negative_ms),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_sleep_edges),
		cmocka_unit_test(test_sleep_cancelled_while_sleeping),
	};

	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
