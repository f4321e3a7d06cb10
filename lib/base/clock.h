/*
 * base/clock.h - time sources and RFC 3339 formatting.  Monotonic time for
 * durations and deadlines; wall time only for timestamps written out.
 */
#ifndef AG_CLOCK_H
#define AG_CLOCK_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

#define AG_RFC3339_MAX 32

/* Milliseconds on the monotonic clock (for durations and deadlines). */
int64_t ag_clock_mono_ms(void);

/* Microseconds on the monotonic clock (for the per-step timings). */
int64_t ag_clock_mono_us(void);

/* Milliseconds since the epoch on the wall clock. */
int64_t ag_clock_wall_ms(void);

/* Formats t as "YYYY-MM-DDThh:mm:ssZ" (UTC) into buf; returns buf. */
char *ag_time_rfc3339(time_t t, char buf[AG_RFC3339_MAX]);

/* Formats wall milliseconds as "YYYY-MM-DDThh:mm:ss.mmmZ" (UTC); returns buf. */
char *ag_time_rfc3339_ms(int64_t wall_ms, char buf[AG_RFC3339_MAX]);

/* Parses "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)"; returns 0 and sets *out, or -1. */
int ag_time_parse_rfc3339(const char *s, time_t *out);

/* Sleeps ms milliseconds in steps of at most 100 ms; returns -1 early once *cancel is set (cancel may be NULL). */
int ag_clock_sleep_ms(int64_t ms, volatile sig_atomic_t *cancel);

#endif
