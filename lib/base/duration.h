/*
 * base/duration.h - parsing of Go-style durations ("90s", "10m", "1h30m",
 * "500ms") as used in flags and policies.  Input is untrusted: strict and
 * bounded.
 */
#ifndef AG_DURATION_H
#define AG_DURATION_H

#include <stdint.h>

#include "base/error.h"

/* Longest duration accepted anywhere (7 days), in milliseconds. */
#define AG_DURATION_MAX_MS ((int64_t)7 * 24 * 3600 * 1000)

/* Parses s into milliseconds; units ms, s, m, h; "0" alone is zero. AG_ECONFIG on error. */
enum ag_code ag_duration_parse(const char *s, int64_t *ms, struct ag_err *err);

#endif
