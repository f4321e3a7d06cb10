/*
 * node/tpm.h - the TPM as an evidence source, through tpm2-tss ESAPI with the
 * TCTI linked directly (device or swtpm; no tctildr, no dlopen).  Reads NV
 * indices and public areas, PCRs, makes quotes, writes the HCL user data.
 * Returns raw (marshalled) bytes; understanding them is hcl.h's and
 * tpm_attest.h's job.  No resource manager is assumed: nothing transient is
 * left loaded.
 */
#ifndef AG_TPM_H
#define AG_TPM_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "format/tpm_attest.h"

#define AG_TPM_DEFAULT_TCTI "device:/dev/tpmrm0"
#define AG_TPM_NV_MAX 8192           /* no NV index we read is larger */

struct ag_tpm;

/* Opens the TPM named by spec: device:PATH, swtpm:path=SOCK or swtpm:host=H,port=P. AG_EEVIDENCE (with what to do) when absent or not allowed. */
enum ag_code ag_tpm_open(const char *spec, struct ag_tpm **out, struct ag_err *err);

/* AG_OK when spec has one of the accepted forms (device:/PATH, swtpm:path=/SOCK, swtpm:host=H,port=P); AG_ECONFIG naming them. */
enum ag_code ag_tpm_tcti_check(const char *spec, struct ag_err *err);

/* Closes the TPM; NULL is allowed. */
void ag_tpm_close(struct ag_tpm *t);

/* Reads a whole NV index (chunked by the TPM's NV buffer size) into a new buffer. Missing index: AG_EEVIDENCE; uninitialised: transient. */
enum ag_code ag_tpm_nv_read(struct ag_tpm *t, uint32_t index, uint8_t **out, size_t *len, struct ag_err *err);

/* Marshalled TPM2B_PUBLIC of a persistent object (e.g. the AK at 0x81000003). */
enum ag_code ag_tpm_read_public(struct ag_tpm *t, uint32_t handle, uint8_t **out, size_t *len, struct ag_err *err);

/* PCR 0-23 of the SHA-256 bank, concatenated (AG_TPM_PCRS_LEN bytes). */
enum ag_code ag_tpm_pcr_read(struct ag_tpm *t, uint8_t pcrs[AG_TPM_PCRS_LEN], struct ag_err *err);

/* Quote over the PCRs in pcr_mask (SHA-256 bank) by the key at ak_handle with its own scheme, nonce as qualifying data; returns the TPMS_ATTEST and the marshalled TPMT_SIGNATURE. */
enum ag_code ag_tpm_quote(struct ag_tpm *t, uint32_t ak_handle, uint32_t pcr_mask, const uint8_t *nonce,
    size_t nonce_len, uint8_t **msg, size_t *msg_len, uint8_t **sig, size_t *sig_len, struct ag_err *err);

/*
 * The AzureGuest ephemeral encryption key: an RSA-2048 decryption key made
 * as a primary in the NULL hierarchy (so the same key comes back until the
 * TPM resets) whose use is bound to the current values of the PCRs in
 * pcr_mask by a PolicyPCR, certified by the AK.  Returns its TPM2B_PUBLIC,
 * the TPMS_ATTEST of the certification and the TPMT_SIGNATURE over it.
 */
enum ag_code ag_tpm_ephemeral_key(struct ag_tpm *t, uint32_t ak_handle, uint32_t pcr_mask, uint8_t **pub,
    size_t *pub_len, uint8_t **certify, size_t *certify_len, uint8_t **sig, size_t *sig_len, struct ag_err *err);

/* Decrypts with the ephemeral key inside the TPM, under its PCR policy: RSAES-PKCS1-v1_5 when oaep_md is NULL, else RSA-OAEP with "SHA1", "SHA256" or "SHA384" and an empty label. */
enum ag_code ag_tpm_ephemeral_decrypt(struct ag_tpm *t, uint32_t pcr_mask, const char *oaep_md, const uint8_t *in,
    size_t in_len, uint8_t **out, size_t *out_len, struct ag_err *err);

/* Writes data to an NV index, defining it first (owner read/write, len bytes) when missing. */
enum ag_code ag_tpm_nv_write(struct ag_tpm *t, uint32_t index, const uint8_t *data, size_t len, struct ag_err *err);

#endif
