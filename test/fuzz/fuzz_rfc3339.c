/*
 * fuzz_rfc3339.c - libFuzzer target for the RFC 3339 parser (--at and
 * times inside evidence and tokens).  A parsed time must format back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1), buf[AG_RFC3339_MAX];
	time_t t;

	if (s == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	if (ag_time_parse_rfc3339(s, &t) == 0)
		ag_time_rfc3339(t, buf);
	free(s);
	return 0;
}
