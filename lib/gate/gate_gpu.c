/*
 * gate/gate_gpu.c - spec.gpus in a run: the helper's evidence for the
 * run's GPU nonce becomes gpu-evidence.json of the evidence set; its
 * verification (the GPU verifier, RIMs from the node's flags or NVIDIA's
 * service) adds the GPUs' claims for the policy and status.json's summary.
 */
#include "gate/gate_gpu.h"

#include <string.h>

#include "base/digest.h"
#include "platform/nvml_helper.h"
#include "verifier/nvidia_gpu.h"

enum ag_code
ag_gate_gpu_collect(const struct ag_gate_config *cfg, int64_t deadline_ms, struct ag_evidence *e, struct ag_err *err)
{
	struct ag_gpu_collect_opts o;
	uint8_t nonce[AG_NONCE_GPU_LEN];
	char hex[2 * AG_NONCE_GPU_LEN + 1];
	uint8_t *json = NULL;
	size_t len = 0;
	enum ag_code rc;

	if (ag_nonce_gpu(&e->nonce, nonce) != 0)
		return ag_err_set(err, AG_ECONFIG, "cannot derive the GPU nonce");
	memset(&o, 0, sizeof(o));
	o.helper = cfg->nvml_helper;
	o.nonce = nonce;
	o.deadline_ms = deadline_ms;
	o.cancel = cfg->cancel;
	if ((rc = ag_gpu_collect(&o, &json, &len, err)) != AG_OK)
		return rc;
	ag_hex_encode(nonce, sizeof(nonce), hex);
	ag_evidence_fact(e, "gpuNonce", json_string(hex));
	return ag_evidence_add(e, AG_GATE_GPU_EVIDENCE_FILE, json, len, err);
}

/* The verifier's options from the node's flags: NVIDIA's RIM service and OCSP responder unless others are given. */
static enum ag_code
gpu_opts(const struct ag_gate_config *cfg, int64_t deadline_ms, struct ag_gpu_opts *o, struct ag_err *err)
{
	struct ag_gpu_settings s = { .rims = cfg->gpu_rims, .rim_dir = cfg->gpu_rim_dir, .rim_url = cfg->gpu_rim_url,
		.ocsp_url = cfg->gpu_ocsp_url, .ocsp_responses = cfg->gpu_ocsp_responses,
		.test_roots_dir = cfg->insecure_test_roots,
		.ca_file = cfg->insecure_test_ca != NULL ? cfg->insecure_test_ca : cfg->ca_file, .deadline_ms = deadline_ms,
		.cancel = cfg->cancel };

	if (s.rims == NULL && s.rim_dir == NULL && s.rim_url == NULL)
		s.rim_url = AG_NV_RIM_SERVICE_URL;
	if (cfg->gpu_no_ocsp)
		s.ocsp_url = s.ocsp_responses = NULL;
	else if (s.ocsp_url == NULL && s.ocsp_responses == NULL)
		s.ocsp_url = AG_NV_OCSP_URL;
	return ag_gpu_opts_from(&s, o, err);
}

/* status.json's entry for one verified GPU. */
static json_t *
gpu_summary(const json_t *c)
{
	static const char *const keys[][2] = { { "index", "x-attestgate-gpu-index" }, { "uuid", "x-attestgate-gpu-uuid" },
		{ "hwmodel", "hwmodel" }, { "ueid", "ueid" }, { "driverVersion", "x-nvidia-gpu-driver-version" },
		{ "vbiosVersion", "x-nvidia-gpu-vbios-version" }, { "measres", "measres" },
		{ "checks", "x-attestgate-gpu-checks" } };
	json_t *o = json_object();

	for (size_t i = 0; o != NULL && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(c, keys[i][1]) != NULL)
			json_object_set(o, keys[i][0], json_object_get(c, keys[i][1]));
	return o;
}

/* spec.gpus counts GPUs: an NVSwitch among the devices is not one of them. */
static enum ag_code
only_gpus(const json_t *list, struct ag_err *err)
{
	size_t i;
	const json_t *c;

	json_array_foreach(list, i, c) {
		const char *type = json_string_value(json_object_get(c, "x-nvidia-device-type"));

		if (type == NULL || strcmp(type, "gpu") != 0)
			return ag_err_set(err, AG_EINVALID, "device %zu of the GPU evidence is not a GPU (%s): spec.gpus counts "
			    "GPUs", i, json_string_value(json_object_get(c, "hwmodel")));
	}
	return AG_OK;
}

enum ag_code
ag_gate_gpu_verify(const struct ag_gate_config *cfg, int64_t deadline_ms, const struct ag_evidence *e, json_t *claims,
    json_t **gpus, struct ag_err *err)
{
	const struct ag_evidence_blob *b = ag_evidence_get(e, AG_GATE_GPU_EVIDENCE_FILE);
	struct ag_gpu_opts o;
	json_t *list = NULL;
	size_t i;
	const json_t *c;
	enum ag_code rc;

	*gpus = NULL;
	if (b == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "the policy checks GPUs, but the evidence has no %s",
		    AG_GATE_GPU_EVIDENCE_FILE);
	rc = gpu_opts(cfg, deadline_ms, &o, err);
	if (rc == AG_OK && (rc = ag_gpu_verify_json(&o, b->data, b->len, &e->nonce, "the NVML helper's evidence", &list,
	    err)) == AG_OK && (rc = only_gpus(list, err)) == AG_OK) {
		*gpus = json_array();
		json_array_foreach(list, i, c)
			json_array_append_new(*gpus, gpu_summary(c));
		ag_gpu_claims_join(claims, list);
		list = NULL;
	}
	json_decref(list);
	ag_gpu_opts_clear(&o);
	return rc;
}
