/*
 * base/timing.h - the wall time of a run's steps (evidence, THIM, the
 * ephemeral key, the attest call, JWKS, token, policy, keys...), kept in
 * the order they ran for status.json's timingsMs.steps and `make bench`.
 * A measurement only: nothing decides anything on it.
 */
#ifndef AG_TIMING_H
#define AG_TIMING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define AG_TIMINGS_MAX 16

struct ag_timings {
	struct {
		const char *step;   /* a static name */
		int64_t us;
	} s[AG_TIMINGS_MAX];
	size_t n;
};

/* Adds us microseconds to step (a static string), appending it the first time; NULL t is allowed (not measured). */
void ag_timings_add(struct ag_timings *t, const char *step, int64_t us);

/* Adds the time since start_us (ag_clock_mono_us) to step; returns the time now, to chain the next step. */
int64_t ag_timings_lap(struct ag_timings *t, const char *step, int64_t start_us);

/* The steps as a JSON object {step: milliseconds, 3 decimals} in the order they ran (new reference), or NULL. */
json_t *ag_timings_json(const struct ag_timings *t);

#endif
