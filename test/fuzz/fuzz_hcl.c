/*
 * fuzz_hcl.c - libFuzzer target for the HCL report parser (header, IGVM
 * request data, runtime JSON, binding check) and the runtime key lookup.
 */
#include <stdint.h>
#include <stdlib.h>

#include "format/hcl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ag_hcl_report r;
	struct ag_err err;
	EVP_PKEY *k = NULL;

	if (ag_hcl_parse(data, len, &r, &err) != AG_OK) {
		if (r.runtime_json != NULL)
			abort();
		return 0;
	}
	if (r.runtime + r.runtime_len > data + len || r.hw_report + r.hw_report_len > data + len ||
	    r.report_data + 64 > r.hw_report + r.hw_report_len)
		abort();
	if (ag_hcl_runtime_key(&r, "HCLAkPub", &k, &err) == AG_OK && k == NULL)
		abort();
	EVP_PKEY_free(k);
	(void)ag_hcl_user_data(&r);
	ag_hcl_clear(&r);
	return 0;
}
