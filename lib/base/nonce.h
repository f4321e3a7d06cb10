/*
 * base/nonce.h - the gate's nonce: drawn here and nowhere else, held in one
 * canonical form (the bytes bound into the hardware evidence), and encoded
 * here for every place a protocol carries it.
 *
 * `run` binds the lower-case hex TEXT of 32 random bytes (64 bytes), so that
 * MAA's AzureGuest ClientPayload, which is text, carries the same value;
 * `evidence` binds 32 random bytes, or the caller's --nonce.
 */
#ifndef AG_NONCE_H
#define AG_NONCE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define AG_NONCE_MAX 64                        /* bytes: the size of SNP/TDX REPORT_DATA */
#define AG_NONCE_HEX_MAX (2 * AG_NONCE_MAX + 1)

struct ag_nonce {
	uint8_t v[AG_NONCE_MAX];    /* the bytes bound into the evidence */
	size_t len;                 /* 1..AG_NONCE_MAX; 0: none */
};

/* Where a verifier's token carries the nonce. */
enum ag_nonce_site {
	AG_NONCE_AZUREGUEST,   /* /x-ms-runtime/client-payload/nonce: base64 of the text (MAA AzureGuest) */
	AG_NONCE_RUNTIME,      /* /x-ms-runtime/nonce: hex of the bytes (runtime data: SevSnpVm, TdxVm, local) */
};

/* Draws 32 random bytes as the nonce (the evidence command). */
enum ag_code ag_nonce_draw(struct ag_nonce *n, struct ag_err *err);

/* Draws 32 random bytes and makes their hex text (64 bytes) the nonce (run: it travels as text to MAA). */
enum ag_code ag_nonce_draw_text(struct ag_nonce *n, struct ag_err *err);

/* Sets the nonce from 2 to 128 hex digits; AG_ECONFIG naming `what` (a flag, a file) otherwise. */
enum ag_code ag_nonce_from_hex(struct ag_nonce *n, const char *hex, const char *what, struct ag_err *err);

/* Lower-case hex of the nonce's bytes into out. */
void ag_nonce_hex(const struct ag_nonce *n, char out[AG_NONCE_HEX_MAX]);

/* The nonce's bytes as a C string into out; -1 when they are not printable ASCII. */
int ag_nonce_text(const struct ag_nonce *n, char out[AG_NONCE_MAX + 1]);

/* The value a token carries at site for this nonce (malloc'd), or NULL (out of memory, or no text for AzureGuest). */
char *ag_nonce_claim(const struct ag_nonce *n, enum ag_nonce_site site);

#define AG_NONCE_GPU_LEN 32

/*
 * The NVIDIA GPUs' 32-byte SPDM nonce of a run: SHA-256 of a fixed label
 * and the run's nonce, so the GPU reports are fresh for the same run as the
 * CPU evidence that carries the run's nonce.  0, or -1 if OpenSSL fails.
 */
int ag_nonce_gpu(const struct ag_nonce *run, uint8_t out[AG_NONCE_GPU_LEN]);

/* MAA SevSnpVm's numeric request nonce (the sidecar sends a random int64): the first 8 bytes, big-endian, 63 bits. */
uint64_t ag_nonce_request_number(const struct ag_nonce *n);

#endif
