/*
 * fuzz_snp.c - libFuzzer target for the SEV-SNP report parser, product and
 * TCB unpacking, and the claims built from a report.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "format/snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ag_snp_report r;
	struct ag_err err;
	json_t *c;

	if (ag_snp_parse(data, len, &r, &err) != AG_OK)
		return 0;
	if (r.version < 2 || r.version > 5 || (r.signer != AG_SNP_VCEK && r.signer != AG_SNP_VLEK))
		abort();
	c = ag_snp_claims(&r, ag_snp_product_of(&r));
	if (c == NULL)
		abort();
	json_decref(c);
	return 0;
}
