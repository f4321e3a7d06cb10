/*
 * fuzz_thim.c - libFuzzer target for the THIM certification document parser
 * (IMDS answers and the kata-cc UVM's host-amd-cert-base64).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/imds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ag_err err;
	char *pem = NULL;

	/* Any TCB: the parser must refuse a mismatch, and never return a chain with an error. */
	if (ag_thim_parse(data, len, 0x7308000000000003ULL, &pem, &err) == AG_OK) {
		if (pem == NULL || strlen(pem) == 0)
			abort();
	} else if (pem != NULL) {
		abort();
	}
	free(pem);
	return 0;
}
