/*
 * platform/nvml_helper.h - NVIDIA GPU evidence that accompanies a CPU
 * platform's: collected by the attestgate-nvml helper (a small dynamically
 * linked program that loads the driver's libnvidia-ml.so.1, which a static
 * binary cannot) as NVIDIA's evidence JSON, under the run's deadline.
 * Nothing the helper says is trusted: the verifier checks the reports.
 */
#ifndef AG_PLATFORM_NVML_HELPER_H
#define AG_PLATFORM_NVML_HELPER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/nonce.h"

#define AG_NVML_HELPER_DEFAULT "/usr/lib/attestgate/attestgate-nvml"

struct ag_gpu_collect_opts {
	const char *helper;                  /* path of attestgate-nvml; NULL: AG_NVML_HELPER_DEFAULT */
	const uint8_t *nonce;                /* AG_NONCE_GPU_LEN bytes for every GPU's report */
	int64_t deadline_ms;                 /* monotonic */
	volatile sig_atomic_t *cancel;       /* set by a signal handler to stop; NULL: none */
};

/*
 * Runs the helper with the nonce and returns what it printed (the evidence
 * JSON, at most AG_NV_EVIDENCE_MAX_BYTES) in *json.  AG_EEVIDENCE with the
 * helper's own message when it fails (no GPU, confidential computing off,
 * NVML missing), is killed at the deadline, or cannot be started.
 */
enum ag_code ag_gpu_collect(const struct ag_gpu_collect_opts *o, uint8_t **json, size_t *len, struct ag_err *err);

#endif
