/*
 * fuzz_nvidia_rim.c - libFuzzer target for the NVIDIA RIM reader (libxml2
 * parse, SWID structure, measurements, embedded certificates); no
 * signature check, which needs a valid chain.
 */
#include <stdint.h>
#include <stdlib.h>

#include "format/nvidia_rim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ag_nv_rim *rim = NULL;
	struct ag_err err;

	if (ag_nv_rim_read(data, len, &rim, &err) != AG_OK)
		return 0;
	if (rim->version[0] == '\0' || rim->n_measurements > AG_NV_RIM_MAX_MEASUREMENTS || sk_X509_num(rim->certs) < 1)
		abort();
	for (size_t i = 0; i < rim->n_measurements; i++) {
		const struct ag_nv_rim_measurement *m = &rim->measurements[i];

		if (m->n_alternatives < 1 || m->n_alternatives > AG_NV_RIM_MAX_ALTERNATIVES || m->size < 1 ||
		    m->size > AG_NV_RIM_HASH_MAX || ag_nv_rim_measurement(rim, m->index) != m)
			abort();
	}
	ag_nv_rim_free(rim);
	return 0;
}
