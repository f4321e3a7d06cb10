/*
 * fuzz_tdx.c - libFuzzer target for the TDX quote parser (v4/v5 header,
 * body descriptor, signature and certification data, PCK chain) and the
 * verification that follows a successful parse, with a pinned time.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "format/tdx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ag_tdx_quote q;
	struct ag_err err;
	json_t *c = NULL;

	if (ag_tdx_parse(data, len, &q, &err) != AG_OK)
		return 0;
	if ((q.version != 4 && q.version != 5) || q.signed_len > len || q.pck_chain + q.pck_chain_len > data + len ||
	    q.qe_auth + q.qe_auth_len > data + len)
		abort();
	(void)ag_tdx_verify(&q, NULL, NULL, 1735689600, &c, &err);
	json_decref(c);
	c = ag_tdx_claims(&q);
	if (c == NULL)
		abort();
	json_decref(c);
	return 0;
}
