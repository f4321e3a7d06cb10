/*
 * base/duration.c - strict duration parser: a sequence of <digits><unit> groups,
 * units in decreasing order is not required but each group must have a unit,
 * no sign, no spaces, no fractions, at most AG_DURATION_MAX_MS.
 */
#include "base/duration.h"

#include <ctype.h>
#include <string.h>

enum ag_code
ag_duration_parse(const char *s, int64_t *ms, struct ag_err *err)
{
	const char *p = s;
	int64_t total = 0;

	if (s == NULL || *s == '\0')
		return ag_err_set(err, AG_ECONFIG, "empty duration (use e.g. 90s, 10m, 1h30m)");
	if (strlen(s) > 32)
		return ag_err_set(err, AG_ECONFIG, "duration too long");
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return AG_OK;
	}
	while (*p != '\0') {
		int64_t n = 0, unit;

		if (!isdigit((unsigned char)*p))
			return ag_err_set(err, AG_ECONFIG,
			    "bad duration \"%s\": expected a number (use e.g. 90s, 10m, 1h30m)", s);
		while (isdigit((unsigned char)*p)) {
			n = n * 10 + (*p - '0');
			if (n > AG_DURATION_MAX_MS)
				return ag_err_set(err, AG_ECONFIG, "duration \"%s\" is too large (max 168h)", s);
			p++;
		}
		if (strncmp(p, "ms", 2) == 0) {
			unit = 1;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60 * 1000;
			p++;
		} else if (*p == 'h') {
			unit = 3600 * 1000;
			p++;
		} else {
			return ag_err_set(err, AG_ECONFIG,
			    "bad duration \"%s\": unit must be ms, s, m or h", s);
		}
		if (n > AG_DURATION_MAX_MS / unit || total + n * unit > AG_DURATION_MAX_MS)
			return ag_err_set(err, AG_ECONFIG, "duration \"%s\" is too large (max 168h)", s);
		total += n * unit;
	}
	*ms = total;
	return AG_OK;
}
