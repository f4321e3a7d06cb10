/*
 * test_gate_gpu.c - lib/gate/gate_gpu.c: the GPU steps of `attestgate run`
 * with a gate config for the emulated GPU (build/attestgate-nvml and
 * build/emul/libnvidia-ml.so.1 serving the 2023 H100 report re-signed by
 * test/emul/nvml_test_ca.sh's test chain, RIMs re-signed by
 * nvidia_test_rims.sh's test RIM CA; skipped visibly when either is not
 * built, xmlsec1 is missing or ../shared is absent).  Collecting adds
 * gpu-evidence.json and the gpuNonce fact, SHA-256 of the label and the
 * run's nonce (computed here); verifying adds x-attestgate-gpus and
 * x-attestgate-gpu-count and returns status.json's summary.  Evidence
 * without the file, for another run's nonce, not parseable, or against
 * RIMs that differ; a helper that fails; and a RIM service that cannot be
 * reached (127.0.0.1:1, never NVIDIA's: OCSP is off) failing quickly.
 */
#include "testutil.h"

#include <openssl/sha.h>

#include "base/clock.h"
#include "base/digest.h"
#include "base/nonce.h"
#include "gate/gate.h"
#include "gate/gate_gpu.h"
#include "platform/evidence.h"

#define DIR545 "nvidia/nvtrust-2023-hopper-545"
#define LABEL "attestgate nvidia-gpu nonce v1"

/* The emulated GPU and the test trust, made once (dir NULL: why not). */
static struct {
	char *dir;            /* gpu/ (the emulator's directory), rim/ (test RIMs), roots/ (both test roots) */
	char *helper, *lib;
	char *rims, *bad_rims, *roots;
	const char *why;
} emu;

static const char *
repo(void)
{
	return getenv("AG_REPO") != NULL ? getenv("AG_REPO") : ".";
}

/* $ENV, else $AG_REPO/build/NAME (a new string). */
static char *
built(const char *env, const char *name)
{
	char path[4096];

	if (getenv(env) != NULL)
		return strdup(getenv(env));
	snprintf(path, sizeof(path), "%s/build/%s", repo(), name);
	return strdup(path);
}

static int
sh(const char *fmt, const char *a, const char *b, const char *c)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), fmt, a, b, c);
	return system(cmd);
}

/* What the emulated GPU needs, or emu.why. */
static void
emu_make(void)
{
	char src[1024];

	snprintf(src, sizeof(src), "%s/vectors/%s", tu_shared(), DIR545);
	if (access(src, R_OK) != 0) {
		emu.why = "../shared/vectors/nvidia is not present";
		return;
	}
	if (access(emu.helper, X_OK) != 0 || access(emu.lib, R_OK) != 0) {
		emu.why = "build/attestgate-nvml or build/emul/libnvidia-ml.so.1 is not built (make check)";
		return;
	}
	if (system("command -v xmlsec1 >/dev/null 2>&1") != 0) {
		emu.why = "xmlsec1 (the test RIMs' signer) is not installed (make deps)";
		return;
	}
	emu.dir = tu_mkdtemp();
	assert_int_equal(sh("sh '%s/test/emul/nvml_test_ca.sh' '%s/gpu' '%s/attestationReport.bin' >/dev/null 2>&1", repo(),
	    emu.dir, src), 0);
	assert_int_equal(sh("sh '%s/test/emul/nvidia_test_rims.sh' '%s/rim' '%s' >/dev/null 2>&1", repo(), emu.dir, src), 0);
	assert_int_equal(sh("mkdir '%s/roots' && cp '%s/gpu/root.pem' '%s/roots/nvidia-device-test-root.pem'", emu.dir,
	    emu.dir, emu.dir), 0);
	assert_int_equal(sh("cp '%s/rim/rim-ca/root.pem' '%s/roots/nvidia-rim-test-root.pem'%s", emu.dir, emu.dir, ""), 0);
	emu.rims = tu_path(emu.dir, "rim/rims");
	emu.bad_rims = tu_path(emu.dir, "rim/bad-rims");
	emu.roots = tu_path(emu.dir, "roots");
}

static int
setup(void **state)
{
	char *gpu;

	(void)state;
	emu.helper = built("AG_NVML_HELPER", "attestgate-nvml");
	emu.lib = built("AG_NVML_EMUL", "emul/libnvidia-ml.so.1");
	emu_make();
	if (emu.dir == NULL)
		return 0;
	gpu = tu_path(emu.dir, "gpu");
	setenv("AG_NVML_LIB", emu.lib, 1);
	setenv("AG_NVML_EMUL_DIR", gpu, 1);
	free(gpu);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (emu.dir != NULL)
		tu_rmtree(emu.dir);
	free(emu.dir);
	free(emu.helper);
	free(emu.lib);
	free(emu.rims);
	free(emu.bad_rims);
	free(emu.roots);
	return 0;
}

/* A gate config for the emulated GPU: its helper, the test RIMs by id, the test roots, no OCSP (skips visibly without). */
static struct ag_gate_config
emu_config(void)
{
	struct ag_gate_config cfg;

	if (emu.dir == NULL) {
		print_message("# skipped: %s\n", emu.why);
		skip();
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.nvml_helper = emu.helper;
	cfg.gpu_rim_dir = emu.rims;
	cfg.insecure_test_roots = emu.roots;
	cfg.gpu_no_ocsp = 1;
	return cfg;
}

/* An evidence set with a run's nonce (64 bytes of hex text, as run draws it). */
static void
evidence_for_run(struct ag_evidence *e)
{
	struct ag_err err;

	ag_evidence_init(e);
	assert_int_equal(ag_nonce_draw_text(&e->nonce, &err), AG_OK);
	assert_int_equal(e->nonce.len, 64);
}

/* Collects for e's nonce; asserts it worked. */
static void
collect_ok(const struct ag_gate_config *cfg, struct ag_evidence *e)
{
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_gate_gpu_collect(cfg, ag_clock_mono_ms() + 20000, e, &err) != AG_OK)
		fail_msg("%s", err.msg);
}

/* Verifies e with cfg and asserts code with a message containing every one of why (NULL-ended); claims untouched. */
static void
verify_fails(const struct ag_gate_config *cfg, const struct ag_evidence *e, int64_t ms, enum ag_code code, ...)
{
	json_t *claims = json_object(), *gpus = json_array();
	struct ag_err err;
	enum ag_code rc;
	const char *why;
	va_list ap;

	json_decref(gpus);
	ag_err_clear(&err);
	rc = ag_gate_gpu_verify(cfg, ag_clock_mono_ms() + ms, e, claims, &gpus, &err);
	if (rc != code)
		fail_msg("rc %d: \"%s\"", rc, err.msg);
	va_start(ap, code);
	while ((why = va_arg(ap, const char *)) != NULL)
		if (strstr(err.msg, why) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
	va_end(ap);
	assert_null(gpus);
	assert_int_equal(json_object_size(claims), 0);
	json_decref(claims);
}

/* The GPU nonce of a run's nonce, computed here: SHA-256("attestgate nvidia-gpu nonce v1" NUL || its bytes), as hex. */
static void
gpu_nonce_hex(const struct ag_nonce *n, char out[2 * SHA256_DIGEST_LENGTH + 1])
{
	uint8_t buf[sizeof(LABEL) + AG_NONCE_MAX], d[SHA256_DIGEST_LENGTH];

	memcpy(buf, LABEL, sizeof(LABEL));
	memcpy(buf + sizeof(LABEL), n->v, n->len);
	assert_non_null(SHA256(buf, sizeof(LABEL) + n->len, d));
	ag_hex_encode(d, sizeof(d), out);
}

/* --- collection --- */

static void
test_collect(void **state)
{
	struct ag_gate_config cfg = emu_config();
	char want_hex[2 * SHA256_DIGEST_LENGTH + 1];
	const struct ag_evidence_blob *b;
	struct ag_evidence e;

	(void)state;
	evidence_for_run(&e);
	collect_ok(&cfg, &e);
	/* gpuNonce = SHA-256("attestgate nvidia-gpu nonce v1" NUL || the run's nonce bytes). */
	gpu_nonce_hex(&e.nonce, want_hex);
	assert_string_equal(json_string_value(json_object_get(e.facts, "gpuNonce")), want_hex);
	/* gpu-evidence.json is the helper's JSON, made for that nonce. */
	b = ag_evidence_get(&e, AG_GATE_GPU_EVIDENCE_FILE);
	assert_non_null(b);
	assert_string_equal(AG_GATE_GPU_EVIDENCE_FILE, "gpu-evidence.json");
	assert_non_null(strstr((const char *)b->data, want_hex));
	assert_non_null(strstr((const char *)b->data, "\"arch\""));
	ag_evidence_clear(&e);
}

static void
test_collect_fails(void **state)
{
	struct ag_gate_config cfg = emu_config();
	struct ag_evidence e;
	struct ag_err err;
	char *gpu = tu_path(emu.dir, "gpu");

	(void)state;
	evidence_for_run(&e);
	cfg.nvml_helper = "/nonexistent/attestgate-nvml";
	ag_err_clear(&err);
	assert_int_equal(ag_gate_gpu_collect(&cfg, ag_clock_mono_ms() + 5000, &e, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "cannot start the NVML helper /nonexistent/attestgate-nvml"));
	/* Confidential computing off on the GPU: the helper's own message. */
	cfg.nvml_helper = emu.helper;
	tu_write(gpu, "cc_off", "");
	ag_err_clear(&err);
	assert_int_equal(ag_gate_gpu_collect(&cfg, ag_clock_mono_ms() + 20000, &e, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "confidential computing is not enabled"));
	free(gpu);
	gpu = tu_path(emu.dir, "gpu/cc_off");
	assert_int_equal(unlink(gpu), 0);
	/* Nothing was added. */
	assert_null(ag_evidence_get(&e, AG_GATE_GPU_EVIDENCE_FILE));
	assert_null(json_object_get(e.facts, "gpuNonce"));
	ag_evidence_clear(&e);
	free(gpu);
}

/* --- verification --- */

static void
check_summary(const json_t *gpus)
{
	const json_t *g = json_array_get(gpus, 0), *checks = json_object_get(g, "checks");

	assert_int_equal(json_array_size(gpus), 1);
	assert_int_equal(json_integer_value(json_object_get(g, "index")), 0);
	assert_non_null(json_string_value(json_object_get(g, "uuid")));
	assert_string_equal(json_string_value(json_object_get(g, "hwmodel")), "GH100 A01 GSP BROM");
	assert_non_null(json_string_value(json_object_get(g, "ueid")));
	assert_string_equal(json_string_value(json_object_get(g, "driverVersion")), "545.00");
	assert_string_equal(json_string_value(json_object_get(g, "vbiosVersion")), "96.00.5E.00.01");
	assert_string_equal(json_string_value(json_object_get(g, "measres")), "success");
	assert_string_equal(json_string_value(json_object_get(checks, "nonce")), "matched");
	assert_string_equal(json_string_value(json_object_get(checks, "measurements")), "matched");
	assert_string_equal(json_string_value(json_object_get(checks, "certChain")), "verified-to-test-root");
	assert_string_equal(json_string_value(json_object_get(checks, "ocsp")), "not-checked");
	assert_string_equal(json_string_value(json_object_get(json_object_get(checks, "rimSources"), "driver")), "dir");
}

static void
test_verify(void **state)
{
	struct ag_gate_config cfg = emu_config();
	json_t *claims = json_pack("{s:b}", "x-ms-cpu-claim", 1), *gpus = NULL, *list;
	struct ag_evidence e;
	struct ag_err err;

	(void)state;
	evidence_for_run(&e);
	collect_ok(&cfg, &e);
	ag_err_clear(&err);
	if (ag_gate_gpu_verify(&cfg, ag_clock_mono_ms() + 20000, &e, claims, &gpus, &err) != AG_OK)
		fail_msg("%s", err.msg);
	/* The CPU's claims stay; the GPUs' join them. */
	assert_true(json_is_true(json_object_get(claims, "x-ms-cpu-claim")));
	assert_int_equal(json_integer_value(json_object_get(claims, "x-attestgate-gpu-count")), 1);
	list = json_object_get(claims, "x-attestgate-gpus");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "measres")), "success");
	assert_true(json_is_true(json_object_get(json_array_get(list, 0), "x-nvidia-gpu-attestation-report-nonce-match")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "eat_nonce")),
	    json_string_value(json_object_get(e.facts, "gpuNonce")));
	check_summary(gpus);
	json_decref(gpus);
	json_decref(claims);
	ag_evidence_clear(&e);
}

static void
test_verify_no_file(void **state)
{
	struct ag_gate_config cfg = emu_config();
	struct ag_evidence e;

	(void)state;
	evidence_for_run(&e);
	verify_fails(&cfg, &e, 5000, AG_EEVIDENCE, "the policy checks GPUs, but the evidence has no gpu-evidence.json", NULL);
	ag_evidence_clear(&e);
}

/* e2 with e's GPU evidence and another run's nonce; its JSON "nonce" rewritten to e2's GPU nonce when forge is set. */
static void
replayed(const struct ag_evidence *e, struct ag_evidence *e2, int forge)
{
	const struct ag_evidence_blob *b = ag_evidence_get(e, AG_GATE_GPU_EVIDENCE_FILE);
	char old_hex[2 * SHA256_DIGEST_LENGTH + 1], new_hex[2 * SHA256_DIGEST_LENGTH + 1], *at;
	uint8_t *copy = malloc(b->len + 1);
	struct ag_err err;

	assert_non_null(copy);
	memcpy(copy, b->data, b->len);
	copy[b->len] = '\0';
	evidence_for_run(e2);
	if (forge) {
		gpu_nonce_hex(&e->nonce, old_hex);
		gpu_nonce_hex(&e2->nonce, new_hex);
		assert_non_null(at = strstr((char *)copy, old_hex));
		memcpy(at, new_hex, strlen(new_hex));
	}
	assert_int_equal(ag_evidence_add(e2, AG_GATE_GPU_EVIDENCE_FILE, copy, b->len, &err), AG_OK);
}

static void
test_verify_other_run(void **state)
{
	struct ag_gate_config cfg = emu_config();
	struct ag_evidence e, e2;
	struct ag_err err;
	uint8_t *bad;

	(void)state;
	evidence_for_run(&e);
	collect_ok(&cfg, &e);
	/* The GPU evidence of one run presented with another run's nonce. */
	replayed(&e, &e2, 0);
	verify_fails(&cfg, &e2, 20000, AG_EINVALID, "GPU 0", "nonce", NULL);
	ag_evidence_clear(&e2);
	/* Its unauthenticated JSON "nonce" rewritten to the new run's: the signed one still says otherwise. */
	replayed(&e, &e2, 1);
	verify_fails(&cfg, &e2, 20000, AG_EINVALID, "GPU 0: the report's nonce is not the expected one", NULL);
	ag_evidence_clear(&e2);
	/* A gpu-evidence.json that is no evidence. */
	evidence_for_run(&e2);
	assert_non_null(bad = (uint8_t *)strdup("[]"));
	assert_int_equal(ag_evidence_add(&e2, AG_GATE_GPU_EVIDENCE_FILE, bad, 2, &err), AG_OK);
	verify_fails(&cfg, &e2, 5000, AG_EINVALID, "the NVML helper's evidence", "GPU evidence: not a list of 1 to 64", NULL);
	ag_evidence_clear(&e2);
	ag_evidence_clear(&e);
}

static void
test_verify_measurement_differs(void **state)
{
	struct ag_gate_config cfg = emu_config();
	struct ag_evidence e;

	(void)state;
	evidence_for_run(&e);
	collect_ok(&cfg, &e);
	cfg.gpu_rim_dir = emu.bad_rims;
	verify_fails(&cfg, &e, 20000, AG_EINVALID, "GPU 0: 1 measurement(s) differ from the RIMs' golden values (RIM index: "
	    "driver 7)", NULL);
	/* Without the test roots the test device chain is not NVIDIA's. */
	cfg.gpu_rim_dir = emu.rims;
	cfg.insecure_test_roots = NULL;
	verify_fails(&cfg, &e, 20000, AG_EINVALID, "GPU 0: the device certificate chain ends at", "not the pinned NVIDIA "
	    "Device Identity CA", NULL);
	/* A test roots directory that is not there. */
	cfg.insecure_test_roots = "/nonexistent/roots";
	verify_fails(&cfg, &e, 5000, AG_ECONFIG, "/nonexistent/roots", NULL);
	ag_evidence_clear(&e);
}

static void
test_rim_service_unreachable(void **state)
{
	struct ag_gate_config cfg = emu_config();
	struct ag_evidence e;
	int64_t t0;

	(void)state;
	evidence_for_run(&e);
	collect_ok(&cfg, &e);
	/* No directory or files: the RIM service is asked; here one on a loopback port nothing listens on. */
	cfg.gpu_rim_dir = NULL;
	cfg.gpu_rim_url = "https://127.0.0.1:1";
	t0 = ag_clock_mono_ms();
	verify_fails(&cfg, &e, 1500, AG_EVERIFIER, "GPU 0: ", "NVIDIA RIM service: https://127.0.0.1:1/v1/rim/"
	    "NV_GPU_DRIVER_GH100_545.00", NULL);
	assert_true(ag_clock_mono_ms() - t0 < 4000);
	ag_evidence_clear(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_collect_fails),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_verify_no_file),
		cmocka_unit_test(test_verify_other_run),
		cmocka_unit_test(test_verify_measurement_differs),
		cmocka_unit_test(test_rim_service_unreachable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
