/*
 * fuzz_tdx_tcb.c - libFuzzer target for Intel TDX TCB info collateral: the
 * JSON, the scan for the signed "tcbInfo" bytes, and the refusal of a
 * document no pinned chain signed.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "format/tdx_tcb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint8_t zero[64];
	struct ag_tdx_quote q = { .tee_tcb_svn = zero, .pck_chain = zero, .pck_chain_len = sizeof(zero) };
	STACK_OF(X509) *chain = sk_X509_new_null();
	json_t *claims = json_object();
	struct ag_err err;

	/* No signing chain: whatever the input, it must be refused, never accepted. */
	if (ag_tdx_tcb_check(&q, data, len, chain, NULL, 1689000000, claims, &err) == AG_OK)
		abort();
	json_decref(claims);
	sk_X509_free(chain);
	return 0;
}
