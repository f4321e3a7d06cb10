/*
 * base/clock.c - monotonic and wall clocks, RFC 3339 in and out.
 * Parsing is strict: exactly the RFC 3339 "date-time" production.
 */
#include "base/clock.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int64_t
ag_clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ag_clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
ag_clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
ag_time_rfc3339(time_t t, char buf[AG_RFC3339_MAX])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, AG_RFC3339_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, AG_RFC3339_MAX, "1970-01-01T00:00:00Z");
	return buf;
}

char *
ag_time_rfc3339_ms(int64_t wall_ms, char buf[AG_RFC3339_MAX])
{
	/* Floor division: -1 ms is 1969-12-31T23:59:59.999Z. */
	int64_t ms = ((wall_ms % 1000) + 1000) % 1000;
	time_t t = (time_t)((wall_ms - ms) / 1000);
	struct tm tm;
	char base[AG_RFC3339_MAX];

	if (gmtime_r(&t, &tm) == NULL || strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(base, sizeof(base), "1970-01-01T00:00:00");
	snprintf(buf, AG_RFC3339_MAX, "%s.%03dZ", base, (int)ms);
	return buf;
}

/* Reads exactly n digits at *p into *v and advances; -1 if any is not a digit. */
static int
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

static int
expect(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

int
ag_time_parse_rfc3339(const char *s, time_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	struct tm tm;
	time_t t;

	if (s == NULL || digits(&p, 4, &y) || expect(&p, '-') || digits(&p, 2, &mo) ||
	    expect(&p, '-') || digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
		return -1;
	p++;
	if (digits(&p, 2, &h) || expect(&p, ':') || digits(&p, 2, &mi) || expect(&p, ':') ||
	    digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		p++;
		if (digits(&p, 2, &oh) || expect(&p, ':') || digits(&p, 2, &om) || oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	/* February 29 exists in leap years only (Gregorian: every 4th, not every 100th, every 400th). */
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	/* timegm's -1 is also 1969-12-31T23:59:59Z: tm_wday, untouched on failure, tells them apart. */
	tm.tm_wday = -1;
	t = timegm(&tm);
	if (t == (time_t)-1 && tm.tm_wday == -1)
		return -1;
	*out = t - (time_t)sign * (oh * 3600 + om * 60);
	return 0;
}

int
ag_clock_sleep_ms(int64_t ms, volatile sig_atomic_t *cancel)
{
	while (ms > 0) {
		int64_t step = ms > 100 ? 100 : ms;
		struct timespec ts = { (time_t)(step / 1000), (long)(step % 1000) * 1000000L };

		if (cancel != NULL && *cancel)
			return -1;
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return cancel != NULL && *cancel ? -1 : 0;
}
