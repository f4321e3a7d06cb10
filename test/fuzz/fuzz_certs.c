/*
 * fuzz_certs.c - libFuzzer target for the AMD certificate inputs: PEM
 * bundles, DER certificates, the GHCB cert table, and the VCEK/VLEK
 * extension parser on whatever certificates they yield.
 */
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>

#include "format/amd_certs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	struct ag_amd_cert_info info;
	struct ag_err err;

	if (certs == NULL)
		return 0;
	(void)ag_amd_certs_load(data, len, certs, &err);
	if (sk_X509_num(certs) > AG_CERTS_MAX)
		abort();
	for (int i = 0; i < sk_X509_num(certs); i++)
		if (ag_amd_cert_info(sk_X509_value(certs, i), &info, &err) == AG_OK && info.hwid_len > 64)
			abort();
	sk_X509_pop_free(certs, X509_free);
	return 0;
}
