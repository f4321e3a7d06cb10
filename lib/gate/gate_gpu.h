/*
 * gate/gate_gpu.h - the GPU steps of `attestgate run` when the policy has
 * spec.gpus: NVIDIA GPU evidence collected for a nonce derived from the
 * run's (so it is as fresh as the CPU evidence), then verified here
 * (device chain, signature, nonce, FWID, RIMs, measurements), its claims
 * added to the run's under x-attestgate-gpus for the policy's GPU rules.
 */
#ifndef AG_GATE_GPU_H
#define AG_GATE_GPU_H

#include <jansson.h>
#include <stdint.h>

#include "base/error.h"
#include "gate/gate.h"
#include "platform/evidence.h"

#define AG_GATE_GPU_EVIDENCE_FILE "gpu-evidence.json"

/* Runs the NVML helper with the GPU nonce of e's nonce and adds its evidence JSON to e; AG_EEVIDENCE when it fails. */
enum ag_code ag_gate_gpu_collect(const struct ag_gate_config *cfg, int64_t deadline_ms, struct ag_evidence *e,
    struct ag_err *err);

/*
 * Verifies the GPU evidence of e for its nonce and adds the GPUs' claims
 * (a list) and their count to claims; *gpus (new) is status.json's summary
 * of each GPU.  AG_EINVALID naming the GPU and the check that failed.
 */
enum ag_code ag_gate_gpu_verify(const struct ag_gate_config *cfg, int64_t deadline_ms, const struct ag_evidence *e,
    json_t *claims, json_t **gpus, struct ag_err *err);

#endif
