/*
 * base/timing.c - per-step wall times of one run (see timing.h).
 */
#include "base/timing.h"

#include <string.h>

#include "base/clock.h"

void
ag_timings_add(struct ag_timings *t, const char *step, int64_t us)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->s[i].step, step) == 0)
			break;
	if (i == t->n) {
		if (t->n == AG_TIMINGS_MAX)
			return;
		t->s[t->n].step = step;
		t->s[t->n++].us = 0;
	}
	t->s[i].us += us;
}

int64_t
ag_timings_lap(struct ag_timings *t, const char *step, int64_t start_us)
{
	int64_t now = ag_clock_mono_us();

	ag_timings_add(t, step, now - start_us);
	return now;
}

json_t *
ag_timings_json(const struct ag_timings *t)
{
	json_t *o = json_object();

	for (size_t i = 0; o != NULL && i < t->n; i++)
		json_object_set_new(o, t->s[i].step, json_real((double)(t->s[i].us / 10) / 100.0));
	return o;
}
