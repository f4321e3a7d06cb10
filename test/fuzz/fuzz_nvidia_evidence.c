/*
 * fuzz_nvidia_evidence.c - libFuzzer target for NVIDIA's evidence JSON (the
 * list the SDKs and attestgate-nvml write: arch, base64 report and chain,
 * nonce, versions).
 */
#include <stdint.h>
#include <stdlib.h>

#include "format/nvidia_evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ag_nv_evidence_entry *e = NULL;
	size_t n = 0;
	struct ag_err err;

	if (ag_nv_evidence_parse(data, len, &e, &n, &err) != AG_OK)
		return 0;
	if (n < 1 || n > AG_NV_EVIDENCE_MAX_DEVICES)
		abort();
	for (size_t i = 0; i < n; i++)
		if (e[i].report == NULL || e[i].report_len == 0 || e[i].chain == NULL || e[i].arch[0] == '\0')
			abort();
	ag_nv_evidence_free(e, n);
	return 0;
}
