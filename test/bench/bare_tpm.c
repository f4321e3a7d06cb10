/*
 * bare_tpm.c - the TPM's own time for the commands the gate issues, as the
 * bench's baseline: the same calls of lib/node/tpm.c (the same ESAPI
 * commands) in the order the azure-cvm platform and the AzureGuest verifier
 * make them, with nothing else: no parsing, no checks, no evidence set, no
 * network.  `bare_tpm evidence TCTI` does what `attestgate evidence` asks
 * the vTPM (HCL report, AK public, AK certificate, PCRs, quote); `bare_tpm
 * run TCTI` adds what `run` asks it for AzureGuest (the certified ephemeral
 * key, and one decryption with it).  Prints the microseconds from opening
 * the vTPM to closing it, the in-process time to set against the gate's
 * own evidence step (status.json timingsMs.steps.evidence).  Bench code only.
 */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "format/tpm_attest.h"
#include "node/tpm.h"
#include "platform/platform.h"

/* One decryption with the ephemeral key: a 32-byte secret encrypted to its public part (RSAES, as MAA's inner key). */
static enum ag_code
decrypt_once(struct ag_tpm *t, const uint8_t *pub, size_t pub_len, struct ag_err *err)
{
	static const uint8_t secret[32] = { 1 };
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *c = NULL;
	uint8_t ct[512], *plain = NULL;
	size_t ct_len = sizeof(ct), plain_len = 0;
	enum ag_code rc = ag_tpm_public_to_pkey(pub, pub_len, 0, &key, err);

	if (rc == AG_OK && ((c = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL || EVP_PKEY_encrypt_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_encrypt(c, ct, &ct_len, secret, sizeof(secret)) != 1))
		rc = ag_err_set(err, AG_EEVIDENCE, "cannot encrypt to the ephemeral key");
	if (rc == AG_OK)
		rc = ag_tpm_ephemeral_decrypt(t, AG_AZURE_QUOTE_PCRS, NULL, ct, ct_len, &plain, &plain_len, err);
	free(plain);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(key);
	return rc;
}

int
main(int argc, char **argv)
{
	struct ag_tpm *t = NULL;
	struct ag_err err;
	uint8_t pcrs[AG_TPM_PCRS_LEN], *a = NULL, *b = NULL, *c = NULL;
	size_t al = 0, bl = 0, cl = 0;
	enum ag_code rc;
	int64_t t0;
	int run;

	if (argc != 3 || (strcmp(argv[1], "evidence") != 0 && strcmp(argv[1], "run") != 0)) {
		fprintf(stderr, "usage: bare_tpm evidence|run TCTI\n");
		return 2;
	}
	run = strcmp(argv[1], "run") == 0;
	ag_err_clear(&err);
	t0 = ag_clock_mono_us();
	rc = ag_tpm_open(argv[2], &t, &err);
#define STEP(call) do { if (rc == AG_OK) { rc = (call); free(a); free(b); free(c); a = b = c = NULL; } } while (0)
	STEP(ag_tpm_nv_read(t, AG_AZURE_HCL_INDEX, &a, &al, &err));
	STEP(ag_tpm_read_public(t, AG_AZURE_AK_HANDLE, &a, &al, &err));
	STEP(ag_tpm_nv_read(t, AG_AZURE_AK_CERT_INDEX, &a, &al, &err));
	STEP(ag_tpm_pcr_read(t, pcrs, &err));
	STEP(ag_tpm_quote(t, AG_AZURE_AK_HANDLE, AG_AZURE_QUOTE_PCRS, NULL, 0, &a, &al, &b, &bl, &err));
	if (run && rc == AG_OK) {
		/* AzureGuest opens the vTPM again for the ephemeral key and the decryption, as the verifier does. */
		ag_tpm_close(t);
		t = NULL;
		rc = ag_tpm_open(argv[2], &t, &err);
		if (rc == AG_OK)
			rc = ag_tpm_ephemeral_key(t, AG_AZURE_AK_HANDLE, AG_AZURE_QUOTE_PCRS, &a, &al, &b, &bl, &c, &cl, &err);
		if (rc == AG_OK)
			rc = decrypt_once(t, a, al, &err);
		free(a);
		free(b);
		free(c);
	}
#undef STEP
	ag_tpm_close(t);
	if (rc != AG_OK)
		fprintf(stderr, "bare_tpm: %s\n", err.msg);
	else
		printf("%lld\n", (long long)(ag_clock_mono_us() - t0));
	return rc == AG_OK ? 0 : 1;
}
