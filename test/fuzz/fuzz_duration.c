/*
 * fuzz_duration.c - libFuzzer target for the duration parser (flags,
 * environment and policies feed it untrusted text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);
	int64_t ms = -1;

	if (s == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	if (ag_duration_parse(s, &ms, NULL) == AG_OK && (ms < 0 || ms > AG_DURATION_MAX_MS))
		abort();
	free(s);
	return 0;
}
