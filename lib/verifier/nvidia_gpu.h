/*
 * verifier/nvidia_gpu.h - verification of one NVIDIA GPU's or NVSwitch's
 * evidence here, as NVIDIA's local verifiers do it but stricter
 * (docs/nvidia-gpu-design.md): the device chain to the pinned NVIDIA
 * Device Identity CA, the SPDM report's signature, its nonce, its FWID
 * against the device certificate, and, when a RIM source is given, the
 * driver and VBIOS RIMs (chain, XML-DSig, version) and every golden
 * measurement; with an OCSP source, every chain's revocation.  The claims carry NVIDIA's names (x-nvidia-gpu-*, measres,
 * hwmodel, ueid, ...) plus x-attestgate-gpu-checks saying which checks ran.
 */
#ifndef AG_NVIDIA_GPU_H
#define AG_NVIDIA_GPU_H

#include <jansson.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"
#include "base/nonce.h"
#include "format/nvidia_evidence.h"
#include "verifier/gpu_ocsp.h"
#include "verifier/gpu_rims.h"

/* The SHA-256 of the device's identity certificate (its chain's second): one per chip, unlike the per-boot leaf. */
#define AG_GPU_DEVICE_ID_CLAIM "x-attestgate-gpu-device-id"

struct ag_gpu_opts {
	time_t at;                       /* verification time of every chain; 0: now */
	STACK_OF(X509) *test_roots;      /* tests only: more device/RIM roots, or NULL */
	struct ag_gpu_rim_source rims;   /* none set: the measurements are not compared (claims say so) */
	struct ag_gpu_ocsp_source ocsp;  /* none set: revocation is not checked (claims say so) */
	char *owned[2];                  /* what ag_gpu_opts_from split the file lists into */
};

/* The GPU verifier's settings as the flags give them (text). */
struct ag_gpu_settings {
	const char *rims;              /* RIM files, '\n'-separated, or NULL */
	const char *rim_dir, *rim_url; /* or NULL */
	const char *ocsp_url;          /* the OCSP responder, or NULL */
	const char *ocsp_responses;    /* pre-fetched DER OCSP responses, '\n'-separated, or NULL */
	const char *test_roots_dir;    /* tests only, or NULL */
	const char *ca_file;           /* for the RIM service and the responder, or NULL: the system's */
	int64_t deadline_ms;           /* monotonic, for every network call */
	volatile sig_atomic_t *cancel; /* or NULL */
	time_t at;                     /* 0: now */
};

/* Fills o from the settings (splitting the file lists, loading the test roots); free with ag_gpu_opts_clear even on failure. */
enum ag_code ag_gpu_opts_from(const struct ag_gpu_settings *s, struct ag_gpu_opts *o, struct ag_err *err);

/* Frees what ag_gpu_opts_from made. */
void ag_gpu_opts_clear(struct ag_gpu_opts *o);

/* One device's evidence, as collected or as NVIDIA's evidence JSON has it. */
struct ag_gpu_input {
	const char *name;                   /* in messages: "GPU 0" */
	const uint8_t *report;              /* SPDM request || response */
	size_t report_len;
	const uint8_t *chain;               /* PEM, leaf first */
	size_t chain_len;
	const uint8_t *nonce;               /* the expected request nonce (32 bytes), or NULL: not checked */
	const uint8_t *stated_nonce;        /* what the evidence JSON says the nonce is, or NULL: must be the signed one */
	const char *arch;                   /* what the evidence says it is ("HOPPER"), or NULL */
	const char *driver_version;         /* NVML's strings, cross-checked with the signed ones; NULL: none */
	const char *vbios_version;
};

/*
 * Verifies one device's evidence; *claims (new) on success.  Every check
 * that fails is AG_EINVALID with a message that starts with in->name and
 * names the check (signature, nonce, chain, FWID, RIM, measurement
 * indices); a RIM that a given source lacks is AG_EINVALID too, a RIM
 * service that cannot be reached AG_EVERIFIER.
 */
enum ag_code ag_gpu_verify(const struct ag_gpu_opts *o, const struct ag_gpu_input *in, json_t **claims,
    struct ag_err *err);

/*
 * Verifies every device of NVIDIA's evidence JSON: each report's signed
 * nonce must be nonce (32 bytes; NULL: each entry's own "nonce", a
 * consistency check only), and an entry's "nonce" must agree with it.
 * *claims is a new list, one claims object per device, in order.
 */
enum ag_code ag_gpu_verify_evidence(const struct ag_gpu_opts *o, const struct ag_nv_evidence_entry *e, size_t n,
    const uint8_t *nonce, json_t **claims, struct ag_err *err);

/*
 * Verifies NVIDIA's evidence JSON (as attestgate-nvml writes it) for the GPU
 * nonce of run, the nonce of the evidence it was collected with; *list
 * (new) as ag_gpu_verify_evidence.  what names the JSON in parse errors.
 */
enum ag_code ag_gpu_verify_json(const struct ag_gpu_opts *o, const uint8_t *json, size_t len, const struct ag_nonce *run,
    const char *what, json_t **list, struct ag_err *err);

/* Adds verified GPUs' claims (list, stolen) and their count to claims, where policy rules find them. */
void ag_gpu_claims_join(json_t *claims, json_t *list);

#endif
