/*
 * verifier/gpu_ocsp.h - revocation of NVIDIA's device and RIM certificates
 * by OCSP, as NVIDIA's verifiers check it: each certificate of a chain
 * below the root (device chains from the second one: the leaf is made by
 * the GPU at boot), asked of NVIDIA's responder with a fresh nonce under
 * the run's deadline, or answered by pre-fetched responses (offline; no
 * nonce, so only their validity window shows freshness).
 */
#ifndef AG_GPU_OCSP_H
#define AG_GPU_OCSP_H

#include <openssl/x509.h>
#include <stddef.h>
#include <time.h>

#include "base/error.h"
#include "base/http.h"
#include "format/ocsp.h"

#define AG_NV_OCSP_URL "https://ocsp.ndis.nvidia.com"
#define AG_GPU_OCSP_FILES_MAX 32

struct ag_gpu_ocsp_source {
	const char *url;                            /* the responder (http or https), or NULL: not asked */
	const char *files[AG_GPU_OCSP_FILES_MAX];   /* pre-fetched DER OCSPResponses (--gpu-ocsp-response) */
	size_t n_files;
	struct ag_http_opts http;
};

/* What the OCSP checks of one chain found (all good when they return AG_OK). */
struct ag_gpu_ocsp_result {
	int checked;             /* 0: no source was given, nothing was asked */
	int online;              /* every answer came from the responder with our nonce */
	time_t next_update;      /* the earliest nextUpdate (0: none given) */
};

/* Nonzero when s names a source: revocation is then checked, and a certificate no source answers for is an error. */
int ag_gpu_ocsp_source_set(const struct ag_gpu_ocsp_source *s);

/*
 * Checks certificates first .. n-2 of a verified chain (leaf first, root
 * last) at time at: each must be "good".  Revoked, unknown, an answer that
 * does not verify, or a certificate no source answers for: AG_EINVALID
 * naming what (what names the chain); a responder that cannot be reached:
 * AG_EVERIFIER.  Nothing is asked when no source is set.
 */
enum ag_code ag_gpu_ocsp_chain(const struct ag_gpu_ocsp_source *s, STACK_OF(X509) *chain, int first, time_t at,
    const char *what, struct ag_gpu_ocsp_result *r, struct ag_err *err);

#endif
