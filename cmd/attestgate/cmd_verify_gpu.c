/*
 * cmd_verify_gpu.c - `attestgate verify-evidence --platform nvidia-gpu`:
 * recorded NVIDIA GPU or NVSwitch evidence (one report and its chain, or
 * NVIDIA's evidence JSON for several devices) verified here, with the RIMs
 * the flags name, and the claims printed as a list, one object per device.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/fileio.h"
#include "base/nonce.h"
#include "commands.h"
#include "format/nvidia_evidence.h"
#include "format/spdm.h"
#include "gate/gate_gpu.h"
#include "verifier/nvidia_gpu.h"

/* --gpu-report and --gpu-chain as a one-device evidence list. */
static enum ag_code
single_device(const struct cli_values *v, struct ag_nv_evidence_entry **e, size_t *n, struct ag_err *err)
{
	uint8_t *raw = NULL;
	size_t len = 0;
	enum ag_code rc;

	if ((*e = calloc(1, sizeof(**e))) == NULL)
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	*n = 1;
	rc = ag_file_read(cli_get(v, "gpu-report"), 4 * AG_SPDM_REPORT_MAX, AG_ECONFIG, &raw, &len, err);
	if (rc == AG_OK && (rc = ag_spdm_from_file_bytes(raw, len, &(*e)->report, &(*e)->report_len, err)) != AG_OK)
		ag_err_prefix(err, "%s", cli_get(v, "gpu-report"));
	free(raw);
	if (rc == AG_OK)
		rc = ag_file_read(cli_get(v, "gpu-chain"), AG_NV_CHAIN_MAX_BYTES, AG_ECONFIG, &(*e)->chain, &(*e)->chain_len,
		    err);
	return rc;
}

/* The evidence the flags name: --gpu-evidence JSON, or --gpu-report with --gpu-chain. */
static enum ag_code
read_evidence(const struct cli_cmd *cmd, const struct cli_values *v, struct ag_nv_evidence_entry **e, size_t *n,
    struct ag_err *err)
{
	const char *json = cli_get(v, "gpu-evidence");
	uint8_t *buf = NULL;
	size_t len = 0;
	enum ag_code rc;

	if ((json != NULL) == (cli_get(v, "gpu-report") != NULL) ||
	    (cli_get(v, "gpu-report") != NULL) != (cli_get(v, "gpu-chain") != NULL))
		return cli_usage_error(cmd, "--platform nvidia-gpu needs --gpu-evidence FILE, or --gpu-report FILE with "
		    "--gpu-chain FILE"), ag_err_set(err, AG_ECONFIG, "usage");
	if (json == NULL)
		return single_device(v, e, n, err);
	rc = ag_file_read(json, AG_NV_EVIDENCE_MAX_BYTES, AG_ECONFIG, &buf, &len, err);
	if (rc == AG_OK && (rc = ag_nv_evidence_parse(buf, len, e, n, err)) != AG_OK)
		ag_err_prefix(err, "%s", json);
	free(buf);
	return rc;
}

/* The options of the GPU verifier from the flags: time, test roots, RIM and OCSP sources (none unless given). */
static enum ag_code
gpu_opts(const struct cli_values *v, struct ag_gpu_opts *o, struct ag_err *err)
{
	const char *at = cli_get(v, "at");
	struct ag_gpu_settings s = { .rims = cli_get(v, "gpu-rim"), .rim_dir = cli_get(v, "gpu-rim-dir"),
		.rim_url = cli_get(v, "gpu-rim-url"), .ocsp_url = cli_get(v, "gpu-ocsp-url"),
		.ocsp_responses = cli_get(v, "gpu-ocsp-response"), .test_roots_dir = cli_get(v, "insecure-test-roots"),
		.ca_file = cli_get(v, "ca-file"), .deadline_ms = ag_clock_mono_ms() + 30000 };

	memset(o, 0, sizeof(*o));
	if (at != NULL && ag_time_parse_rfc3339(at, &s.at) != 0)
		return ag_err_set(err, AG_ECONFIG, "--at: \"%.64s\" is not an RFC 3339 time", at);
	return ag_gpu_opts_from(&s, o, err);
}

enum ag_code
cmd_verify_bundle_gpus(const struct cli_values *v, const struct ag_evidence *e, json_t *claims, struct ag_err *err)
{
	const struct ag_evidence_blob *b = ag_evidence_get(e, AG_GATE_GPU_EVIDENCE_FILE);
	struct ag_gpu_opts o;
	json_t *list = NULL;
	enum ag_code rc;

	if (b == NULL)
		return AG_OK;
	rc = gpu_opts(v, &o, err);
	if (rc == AG_OK && (rc = ag_gpu_verify_json(&o, b->data, b->len, &e->nonce, AG_GATE_GPU_EVIDENCE_FILE, &list,
	    err)) == AG_OK)
		ag_gpu_claims_join(claims, list);
	ag_gpu_opts_clear(&o);
	return rc;
}

int
cmd_verify_gpu(const struct cli_cmd *cmd, const struct cli_values *v)
{
	struct ag_nv_evidence_entry *e = NULL;
	struct ag_gpu_opts o;
	struct ag_nonce nonce;
	size_t n = 0;
	json_t *claims = NULL;
	struct ag_err err;
	enum ag_code rc = AG_OK;

	ag_err_clear(&err);
	memset(&o, 0, sizeof(o));
	memset(&nonce, 0, sizeof(nonce));
	if (cli_get(v, "nonce") != NULL && ((rc = ag_nonce_from_hex(&nonce, cli_get(v, "nonce"), "--nonce", &err)) != AG_OK ||
	    nonce.len != AG_SPDM_NONCE_LEN))
		rc = ag_err_set(&err, AG_ECONFIG, "--nonce: a GPU nonce is 32 bytes (64 hex digits)");
	if (rc == AG_OK)
		rc = gpu_opts(v, &o, &err);
	if (rc == AG_OK && (rc = read_evidence(cmd, v, &e, &n, &err)) == AG_OK)
		rc = ag_gpu_verify_evidence(&o, e, n, cli_get(v, "nonce") != NULL ? nonce.v : NULL, &claims, &err);
	if (rc == AG_OK) {
		char *s = json_dumps(claims, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		printf("%s\n", s != NULL ? s : "[]");
		free(s);
	} else if (strcmp(err.msg, "usage") != 0) {
		fprintf(stderr, "attestgate %s: %s\n", cmd->name, err.msg);
	}
	json_decref(claims);
	ag_nv_evidence_free(e, n);
	ag_gpu_opts_clear(&o);
	return (int)rc;
}
