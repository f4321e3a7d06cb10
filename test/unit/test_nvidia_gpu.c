/*
 * test_nvidia_gpu.c - lib/verifier/nvidia_gpu.c: one NVIDIA device's
 * evidence verified (ag_gpu_verify) and NVIDIA's evidence JSON entries
 * (ag_gpu_verify_evidence).  Every genuine report of ../shared/vectors/
 * nvidia (skipped visibly when absent) verifies with its nonce and gives
 * NVIDIA's claims (the 550 one NRAS's own, claims/hopperClaimsv3_decoded.
 * json) and x-attestgate-gpu-checks; the 545 report with NVIDIA's RIMs
 * (files or a directory) at the time pin 2025-06-01 compares every golden
 * value, and fails today (expired); RIMs of another version, missing, or
 * failing their own checks are errors naming the GPU and the RIM; a wrong
 * nonce, cross-paired or altered reports, a wrong arch word, NVML strings
 * that disagree with the signed ones, and a second device's JSON nonce.
 * With test/emul's test RIM CA (nvidia_test_rims.sh, xmlsec1) and test
 * device key (nvml_test_ca.sh; skipped visibly when missing): golden values
 * that differ (a tampered RIM, the asdk 535 report against its mismatch
 * RIMs), driver and VBIOS RIMs that share an index, the MSR 35 rule with
 * NVDEC0 enabled and disabled, and every measurement block of the 545
 * report altered in turn (re-signed here) to show which ones are compared.
 */
#include "testutil.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <time.h>

#include "base/certs.h"
#include "base/digest.h"
#include "format/nvidia_opaque.h"
#include "format/spdm.h"
#include "verifier/nvidia_gpu.h"

#define AT_PIN ((time_t)1748736000)   /* 2025-06-01T00:00:00Z: every RIM meant to verify does */
#define T2019 ((time_t)1546300800)    /* before every device certificate */

#define D550 "nvidia/nvtrust-hopper-550"
#define D545 "nvidia/nvtrust-2023-hopper-545"
#define D535 "nvidia/asdk-hopper-535"
#define D570 "nvidia/asdk-hopper-570"
#define DSW "nvidia/asdk-switch-ls10"
#define DBAD "nvidia/asdk-hopper-invalid-signature"
#define DRIMS "nvidia/rims"
#define DRIVER545 "Driver_RIM_test_no_gpu.swidtag"
#define VBIOS545 "1010_0200_882_96005E0001_test_no_gpu.swidtag"
#define DRIVER_ID545 "NV_GPU_DRIVER_GH100_545.00"
#define VBIOS_ID545 "NV_GPU_VBIOS_1010_0200_882_96005E0001"

#define SKIP_WITHOUT(p)                                                                        \
	do {                                                                                   \
		if ((p) == NULL) {                                                             \
			print_message("# skipped: ../shared/vectors/nvidia is not present\n"); \
			skip();                                                                \
		}                                                                              \
	} while (0)

static const struct gpu_vec {
	const char *dir, *report, *chain;
	const char *hwmodel, *driver, *vbios;   /* driver NULL: a switch */
	int fwid;
} vecs[] = {
	{ D550, "hopperAttestationReport", "hopperCertChain.txt", "GH100 A01 GSP BROM", "550.90.07", "96.00.9F.00.01", 1 },
	{ D545, "attestationReport", "gpuAkCertChain.txt", "GH100 A01 GSP BROM", "545.00", "96.00.5E.00.01", 0 },
	{ D535, "hopperAttestationReport", "hopperCertChain.txt", "GH100 A01 GSP BROM", "535.86.09", "96.00.5E.00.01", 0 },
	{ D570, "hopperAttestationReportExpired", "hopperCertChainExpired.txt", "GH100 A01 GSP BROM", "570.124.03",
	    "96.00.5E.00.04", 1 },
	{ DSW, "switchAttestationReport", "switchCertChain.txt", "LS_10 A01 FSP BROM", NULL, "96.10.55.00.01", 0 },
};

#define V550 (&vecs[0])
#define V545 (&vecs[1])
#define V535 (&vecs[2])
#define V570 (&vecs[3])
#define VSW (&vecs[4])

/* A vector's report, chain and nonce as read. */
struct dev {
	uint8_t *report, *chain, nonce[AG_SPDM_NONCE_LEN];
	size_t report_len, chain_len;
	struct ag_gpu_input in;
};

/* Reads a vector (skipped visibly when absent); d->in is "GPU 0" with its own nonce, no arch or NVML strings. */
static void
dev_load(struct dev *d, const struct gpu_vec *v)
{
	char name[256];
	uint8_t *hex;
	size_t n;

	memset(d, 0, sizeof(*d));
	snprintf(name, sizeof(name), "%s.bin", v->report);
	d->report = tu_vec_in(v->dir, name, &d->report_len);
	SKIP_WITHOUT(d->report);
	d->chain = tu_vec_in(v->dir, v->chain, &d->chain_len);
	snprintf(name, sizeof(name), "%s.nonce.hex", v->report);
	hex = tu_vec_in(v->dir, name, &n);
	assert_non_null(d->chain);
	assert_non_null(hex);
	hex[64] = '\0';
	assert_int_equal(ag_hex_decode((const char *)hex, d->nonce, sizeof(d->nonce)), 0);
	free(hex);
	d->in.name = "GPU 0";
	d->in.report = d->report;
	d->in.report_len = d->report_len;
	d->in.chain = d->chain;
	d->in.chain_len = d->chain_len;
	d->in.nonce = d->nonce;
}

static void
dev_free(struct dev *d)
{
	free(d->report);
	free(d->chain);
}

/* ../shared/vectors/DIR/NAME as a path (a new string). */
static char *
vec_path(const char *dir, const char *name)
{
	size_t n = strlen(tu_shared()) + strlen(dir) + strlen(name) + 16;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/vectors/%s/%s", tu_shared(), dir, name);
	return p;
}

static json_t *
verify_ok(const struct ag_gpu_opts *o, const struct ag_gpu_input *in)
{
	json_t *claims = NULL;
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_gpu_verify(o, in, &claims, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_non_null(claims);
	return claims;
}

/* Verifies and asserts code with a message starting with "GPU 0: " and containing every one of why (NULL-ended). */
static void
verify_fails(const struct ag_gpu_opts *o, const struct ag_gpu_input *in, enum ag_code code, ...)
{
	json_t *claims = json_object();
	struct ag_err err;
	enum ag_code rc;
	const char *why;
	va_list ap;

	json_decref(claims);
	ag_err_clear(&err);
	rc = ag_gpu_verify(o, in, &claims, &err);
	if (rc != code)
		fail_msg("rc %d: \"%s\"", rc, err.msg);
	assert_null(claims);
	assert_int_equal(strncmp(err.msg, in->name, strlen(in->name)), 0);
	va_start(ap, code);
	while ((why = va_arg(ap, const char *)) != NULL)
		if (strstr(err.msg, why) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
	va_end(ap);
}

static const char *
str_claim(const json_t *c, const char *key)
{
	const char *s = json_string_value(json_object_get(c, key));

	if (s == NULL)
		fail_msg("no string claim %s", key);
	return s;
}

static void
true_claim(const json_t *c, const char *key)
{
	if (!json_is_true(json_object_get(c, key)))
		fail_msg("claim %s is not true", key);
}

/* --- the genuine reports --- */

/* The claims every verified device has, without RIMs (prefix: "gpu" or "switch"). */
static void
check_claims(const struct gpu_vec *v, const json_t *c, const uint8_t *nonce)
{
	const char *pfx = v->driver != NULL ? "x-nvidia-gpu-" : "x-nvidia-switch-";
	char key[128], hex[2 * AG_SPDM_NONCE_LEN + 1];
	const json_t *chain, *checks = json_object_get(c, "x-attestgate-gpu-checks");

	ag_hex_encode(nonce, AG_SPDM_NONCE_LEN, hex);
	assert_string_equal(str_claim(c, "eat_nonce"), hex);
	assert_string_equal(str_claim(c, "hwmodel"), v->hwmodel);
	assert_true(strlen(str_claim(c, "ueid")) > 30);
	assert_string_equal(str_claim(c, "x-nvidia-device-type"), v->driver != NULL ? "gpu" : "nvswitch");
	snprintf(key, sizeof(key), "%svbios-version", pfx);
	assert_string_equal(str_claim(c, key), v->vbios);
	snprintf(key, sizeof(key), "%sdriver-version", pfx);
	if (v->driver != NULL)
		assert_string_equal(str_claim(c, key), v->driver);
	else
		assert_null(json_object_get(c, key));
	snprintf(key, sizeof(key), "%sclaims-version", pfx);
	assert_string_equal(str_claim(c, key), "3.0");
	snprintf(key, sizeof(key), "%sattestation-report-signature-verified", pfx);
	true_claim(c, key);
	snprintf(key, sizeof(key), "%sattestation-report-nonce-match", pfx);
	true_claim(c, key);
	snprintf(key, sizeof(key), "%sattestation-report-cert-chain", pfx);
	chain = json_object_get(c, key);
	assert_string_equal(str_claim(chain, "x-nvidia-cert-status"), "valid");
	assert_string_equal(str_claim(chain, "x-nvidia-cert-expiration-date"), "9999-12-31T23:59:59Z");
	/* No RIM was compared, so no verdict on the measurements. */
	assert_null(json_object_get(c, "measres"));
	assert_null(json_object_get(c, "secboot"));
	assert_string_equal(str_claim(checks, "arch"), v->driver != NULL ? "HOPPER" : "LS10");
	assert_string_equal(str_claim(checks, "signature"), "verified");
	assert_string_equal(str_claim(checks, "certChain"), "verified");
	assert_string_equal(str_claim(checks, "nonce"), "matched");
	assert_string_equal(str_claim(checks, "fwid"), v->fwid ? "matched" : "not-in-report");
	assert_string_equal(str_claim(checks, "measurements"), "not-checked");
	assert_string_equal(str_claim(checks, "ocsp"), "not-checked");
}

static void
test_genuine_vectors(void **state)
{
	struct ag_gpu_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		struct dev d;
		json_t *c;

		dev_load(&d, &vecs[i]);
		c = verify_ok(&o, &d.in);
		check_claims(&vecs[i], c, d.nonce);
		json_decref(c);
		/* The arch word of the evidence, when given, agrees. */
		d.in.arch = vecs[i].driver != NULL ? "HOPPER" : "LS10";
		d.in.driver_version = vecs[i].driver;
		d.in.vbios_version = vecs[i].vbios;
		json_decref(verify_ok(&o, &d.in));
		dev_free(&d);
	}
}

static void
test_ueid_550(void **state)
{
	struct ag_gpu_opts o;
	struct dev d;
	json_t *c;

	(void)state;
	memset(&o, 0, sizeof(o));
	dev_load(&d, V550);
	c = verify_ok(&o, &d.in);
	assert_string_equal(str_claim(c, "ueid"), "478176379286082186618948445787393647364802107249");
	json_decref(c);
	dev_free(&d);
}

/* Every claim both we and NRAS emit for the 550 evidence has NRAS's value (chain objects: status and expiry). */
static size_t
compare_with_nras(const json_t *ours, const json_t *nras)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	json_object_foreach((json_t *)ours, key, v) {
		const json_t *theirs = json_object_get(nras, key);

		if (theirs == NULL)
			continue;
		n++;
		if (json_is_object(v)) {
			assert_true(json_equal(json_object_get(v, "x-nvidia-cert-status"),
			    json_object_get(theirs, "x-nvidia-cert-status")));
			assert_true(json_equal(json_object_get(v, "x-nvidia-cert-expiration-date"),
			    json_object_get(theirs, "x-nvidia-cert-expiration-date")));
		} else if (!json_equal(v, theirs)) {
			fail_msg("claim %s differs from NRAS's", key);
		}
	}
	return n;
}

static void
test_550_matches_nras(void **state)
{
	char *path;
	json_t *all, *c;
	struct ag_gpu_opts o;
	struct dev d;

	(void)state;
	memset(&o, 0, sizeof(o));
	dev_load(&d, V550);
	path = vec_path("nvidia/claims", "hopperClaimsv3_decoded.json");
	all = json_load_file(path, 0, NULL);
	assert_non_null(all);
	c = verify_ok(&o, &d.in);
	/* eat_nonce, hwmodel, ueid, driver, VBIOS, arch check, report parsed/signature/nonce/FWID, chain, claims... */
	assert_true(compare_with_nras(c, json_object_get(all, "GPU-0")) >= 11);
	assert_string_equal(str_claim(c, "ueid"), json_string_value(json_object_get(json_object_get(all, "GPU-0"), "ueid")));
	json_decref(c);
	json_decref(all);
	free(path);
	dev_free(&d);
}

/* --- the RIMs of the 545 report --- */

/* Options with the given RIM files (NULL-ended) at time at. */
static struct ag_gpu_opts
opts_files(time_t at, char **files)
{
	struct ag_gpu_opts o;

	memset(&o, 0, sizeof(o));
	o.at = at;
	for (size_t i = 0; files[i] != NULL; i++)
		o.rims.files[o.rims.n_files++] = files[i];
	return o;
}

static void
free_paths(char **p)
{
	for (size_t i = 0; p[i] != NULL; i++)
		free(p[i]);
}

/* The claims of a device whose measurements all matched its two RIMs (from origin). */
static void
check_rims_matched(const json_t *c, const char *origin, const char *driver_expiry, const char *vbios_expiry)
{
	const json_t *checks = json_object_get(c, "x-attestgate-gpu-checks");

	assert_string_equal(str_claim(c, "measres"), "success");
	true_claim(c, "secboot");
	assert_string_equal(str_claim(c, "dbgstat"), "disabled");
	assert_string_equal(str_claim(c, "oemid"), "5703");
	assert_true(json_is_null(json_object_get(c, "x-nvidia-mismatch-measurement-records")));
	true_claim(c, "x-nvidia-gpu-vbios-index-no-conflict");
	true_claim(c, "x-nvidia-gpu-driver-rim-signature-verified");
	true_claim(c, "x-nvidia-gpu-vbios-rim-version-match");
	true_claim(c, "x-nvidia-gpu-driver-rim-measurements-available");
	if (driver_expiry != NULL) {
		assert_string_equal(str_claim(json_object_get(c, "x-nvidia-gpu-driver-rim-cert-chain"),
		    "x-nvidia-cert-expiration-date"), driver_expiry);
		assert_string_equal(str_claim(json_object_get(c, "x-nvidia-gpu-vbios-rim-cert-chain"),
		    "x-nvidia-cert-expiration-date"), vbios_expiry);
	}
	assert_string_equal(str_claim(checks, "measurements"), "matched");
	assert_string_equal(str_claim(json_object_get(checks, "rimSources"), "driver"), origin);
	assert_string_equal(str_claim(json_object_get(checks, "rimSources"), "vbios"), origin);
}

static void
test_rims_545_files(void **state)
{
	char *files[3] = { NULL, NULL, NULL };
	struct ag_gpu_opts o;
	struct dev d;
	json_t *c;

	(void)state;
	dev_load(&d, V545);
	files[0] = vec_path(D545, DRIVER545);
	files[1] = vec_path(D545, VBIOS545);
	o = opts_files(AT_PIN, files);
	c = verify_ok(&o, &d.in);
	check_rims_matched(c, "file", "2025-06-26T06:10:12Z", "2025-06-22T09:38:54Z");
	json_decref(c);
	/* In the other order, and at 2024-06-01. */
	o.rims.files[0] = files[1];
	o.rims.files[1] = files[0];
	o.at = (time_t)1717200000;
	json_decref(verify_ok(&o, &d.in));
	/* Today both RIM chains have expired. */
	o.at = 0;
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: the RIM ", "the RIM's signing chain does not verify", "expired", "--at",
	    NULL);
	free_paths(files);
	dev_free(&d);
}

/* A directory with copies of RIM files under the given names (pairs, NULL-ended). */
static char *
rim_dir(const char *const *pairs)
{
	char *dir = tu_mkdtemp();

	for (size_t i = 0; pairs[i] != NULL; i += 2) {
		char *src = vec_path(D545, pairs[i]), cmd[4096];

		if (strchr(pairs[i], '/') != NULL) {
			free(src);
			src = vec_path("nvidia", pairs[i]);
		}
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s/%s'", src, dir, pairs[i + 1]);
		assert_int_equal(system(cmd), 0);
		free(src);
	}
	return dir;
}

static void
test_rims_545_dir(void **state)
{
	static const char *const both[] = { DRIVER545, DRIVER_ID545 ".swidtag", VBIOS545, VBIOS_ID545 ".xml", NULL };
	static const char *const vbios_only[] = { VBIOS545, VBIOS_ID545, NULL };
	struct ag_gpu_opts o;
	struct dev d;
	char *dir;
	json_t *c;

	(void)state;
	dev_load(&d, V545);
	dir = rim_dir(both);
	memset(&o, 0, sizeof(o));
	o.at = AT_PIN;
	o.rims.dir = dir;
	c = verify_ok(&o, &d.in);
	check_rims_matched(c, "dir", "2025-06-26T06:10:12Z", "2025-06-22T09:38:54Z");
	json_decref(c);
	tu_rmtree(dir);
	free(dir);
	/* A directory without the driver RIM: a check that cannot be made is an error. */
	dir = rim_dir(vbios_only);
	o.rims.dir = dir;
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: no driver RIM " DRIVER_ID545 " (version 545.00) in the given sources",
	    NULL);
	tu_rmtree(dir);
	free(dir);
	dev_free(&d);
}

static void
test_rim_missing_with_files(void **state)
{
	char *files[2] = { NULL, NULL };
	struct ag_gpu_opts o;
	struct dev d;

	(void)state;
	dev_load(&d, V545);
	files[0] = vec_path(D545, DRIVER545);
	o = opts_files(AT_PIN, files);
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: no vbios RIM " VBIOS_ID545 " (version 96.00.5E.00.01)", NULL);
	free_paths(files);
	dev_free(&d);
	/* The 535 report with NVIDIA's VBIOS RIM only: its driver RIM is not staged. */
	dev_load(&d, V535);
	files[0] = vec_path(DRIMS, "NV_GPU_VBIOS_1010_0200_882_96005E0001_measurement_mismatch.xml");
	o = opts_files(AT_PIN, files);
	verify_fails(&o, &d.in, AG_EINVALID, "no driver RIM NV_GPU_DRIVER_GH100_535.86.09 (version 535.86.09)", NULL);
	free_paths(files);
	dev_free(&d);
}

static void
test_rim_wrong_version(void **state)
{
	static const char *const wrong[] = { "rims/NV_GPU_DRIVER_GH100_550.144.03.xml", DRIVER_ID545 ".xml", VBIOS545,
		VBIOS_ID545, NULL };
	char *files[3] = { NULL, NULL, NULL }, *dir;
	struct ag_gpu_opts o;
	struct dev d;

	(void)state;
	dev_load(&d, V545);
	/* A genuine RIM (valid at the pin) for another driver, given as a file. */
	files[0] = vec_path(DRIMS, "NV_GPU_DRIVER_GH100_550.144.03.xml");
	files[1] = vec_path(D545, VBIOS545);
	o = opts_files(AT_PIN, files);
	verify_fails(&o, &d.in, AG_EINVALID, "NV_GPU_DRIVER_GH100_550.144.03.xml is for version 550.144.03, but the report's "
	    "driver is 545.00 and its VBIOS is 96.00.5E.00.01", NULL);
	/* Two RIMs for the one VBIOS: the second has no place. */
	free(files[0]);
	files[0] = vec_path(D545, VBIOS545);
	o = opts_files(AT_PIN, files);
	verify_fails(&o, &d.in, AG_EINVALID, "is for version 96.00.5E.00.01, but the report's", NULL);
	free_paths(files);
	/* Found by the driver's id in a directory, but for another version. */
	dir = rim_dir(wrong);
	memset(&o, 0, sizeof(o));
	o.at = AT_PIN;
	o.rims.dir = dir;
	verify_fails(&o, &d.in, AG_EINVALID, "the driver RIM " DRIVER_ID545 " is for version 550.144.03, the report's driver "
	    "is 545.00", NULL);
	tu_rmtree(dir);
	free(dir);
	dev_free(&d);
}

static void
test_rim_failing_checks(void **state)
{
	static const char *const bad[] = { "incorrect_signature_driver_rim.xml", "RIM signature: the SignedInfo signature",
		"NV_GPU_DRIVER_GH100_535.86.09_measurement_mismatch.xml", "RIM signature: the Reference's digest",
		"incorrect_cert_chain_driver_rim.xml", "not the pinned NVIDIA CoRIM signing Root CA",
		"NV_SWITCH_BIOS_5612_0002_890_9610550001_measurement_mismatch.xml", "the Reference's digest", NULL };
	char *files[3] = { NULL, NULL, NULL };
	struct ag_gpu_opts o;
	struct dev d;

	(void)state;
	dev_load(&d, V545);
	files[1] = vec_path(D545, VBIOS545);
	for (size_t i = 0; bad[i] != NULL; i += 2) {
		files[0] = vec_path(DRIMS, bad[i]);
		o = opts_files(AT_PIN, files);
		verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: the RIM ", bad[i], bad[i + 1], NULL);
		free(files[0]);
	}
	/* A file that is not there. */
	files[0] = vec_path(DRIMS, "no-such-rim.xml");
	o = opts_files(AT_PIN, files);
	verify_fails(&o, &d.in, AG_ECONFIG, "no-such-rim.xml", NULL);
	free(files[0]);
	free(files[1]);
	dev_free(&d);
}

static void
test_rim_genuine_mismatch(void **state)
{
	char *files[3] = { NULL, NULL, NULL };
	struct ag_gpu_opts o;
	struct dev d;

	(void)state;
	/* NVIDIA's VBIOS RIM for 96.00.5E.00.01 (signed, valid at the pin) is for other firmware than the 545 report's. */
	dev_load(&d, V545);
	files[0] = vec_path(D545, DRIVER545);
	files[1] = vec_path(DRIMS, "NV_GPU_VBIOS_1010_0200_882_96005E0001_measurement_mismatch.xml");
	o = opts_files(AT_PIN, files);
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: 4 measurement(s) differ from the RIMs' golden values (RIM index: vbios 1, "
	    "vbios 2, vbios 3, vbios 9)", NULL);
	free_paths(files);
	dev_free(&d);
}

/* --- the evidence itself --- */

static void
test_wrong_nonce(void **state)
{
	static const uint8_t zeros[AG_SPDM_NONCE_LEN];
	uint8_t other[AG_SPDM_NONCE_LEN];
	struct ag_gpu_opts o;
	struct dev d;

	(void)state;
	memset(&o, 0, sizeof(o));
	dev_load(&d, V535);
	d.in.nonce = zeros;
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: the report's nonce is not the expected one", NULL);
	for (size_t i = 0; i < AG_SPDM_NONCE_LEN; i += 7) {
		memcpy(other, d.nonce, sizeof(other));
		other[i] ^= 0x01;
		d.in.nonce = other;
		verify_fails(&o, &d.in, AG_EINVALID, "nonce is not the expected one", NULL);
	}
	/* Without an expected nonce it is not checked (and the claims say so). */
	d.in.nonce = NULL;
	{
		json_t *c = verify_ok(&o, &d.in);

		assert_null(json_object_get(c, "x-nvidia-gpu-attestation-report-nonce-match"));
		assert_string_equal(str_claim(json_object_get(c, "x-attestgate-gpu-checks"), "nonce"), "not-checked");
		json_decref(c);
	}
	dev_free(&d);
}

static void
test_cross_pairs(void **state)
{
	struct ag_gpu_opts o;
	struct dev a, b;

	(void)state;
	memset(&o, 0, sizeof(o));
	dev_load(&a, V570);
	dev_load(&b, V535);
	/* The 570 report with the 535 GPU's chain. */
	a.in.chain = b.chain;
	a.in.chain_len = b.chain_len;
	verify_fails(&o, &a.in, AG_EINVALID, "GPU 0: GPU report signature does not verify", NULL);
	dev_free(&b);
	/* asdk's invalid-signature report with the chain asdk pairs it with. */
	b.report = tu_vec_in(DBAD, "hopperAttestationReportInvalidSignature.bin", &b.report_len);
	assert_non_null(b.report);
	a.in.chain = a.chain;
	a.in.chain_len = a.chain_len;
	a.in.report = b.report;
	a.in.report_len = b.report_len;
	verify_fails(&o, &a.in, AG_EINVALID, "GPU report signature does not verify", NULL);
	free(b.report);
	dev_free(&a);
	/* The switch's invalid-signature report with the switch's chain. */
	dev_load(&a, VSW);
	b.report = tu_vec_in(DSW, "switchAttestationReportInvalidSignature.bin", &b.report_len);
	a.in.report = b.report;
	a.in.report_len = b.report_len;
	a.in.nonce = NULL;
	verify_fails(&o, &a.in, AG_EINVALID, "GPU report signature does not verify", NULL);
	free(b.report);
	dev_free(&a);
}

static void
test_altered_report(void **state)
{
	struct ag_gpu_opts o;
	struct dev d;

	(void)state;
	memset(&o, 0, sizeof(o));
	dev_load(&d, V550);
	/* A byte of a measurement, of the opaque data, of the signature: the signature no longer verifies. */
	for (size_t off = 100; off < d.report_len; off += 997) {
		d.report[off] ^= 0x01;
		verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: ", NULL);
		d.report[off] ^= 0x01;
	}
	json_decref(verify_ok(&o, &d.in));
	/* Cut short, and an empty chain. */
	d.in.report_len = d.report_len - 1;
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: GPU report", NULL);
	d.in.report_len = d.report_len;
	d.in.chain_len = 0;
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: ", NULL);
	dev_free(&d);
}

static void
test_arch_word(void **state)
{
	struct ag_gpu_opts o;
	struct dev d;

	(void)state;
	memset(&o, 0, sizeof(o));
	dev_load(&d, V550);
	d.in.arch = "BLACKWELL";
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: the evidence says it is BLACKWELL, but its certificate is a HOPPER "
	    "(GH100 A01 GSP BROM)", NULL);
	d.in.arch = "LS10";
	verify_fails(&o, &d.in, AG_EINVALID, "the evidence says it is LS10", NULL);
	dev_free(&d);
	dev_load(&d, VSW);
	d.in.name = "NVSwitch 0";
	d.in.arch = "HOPPER";
	verify_fails(&o, &d.in, AG_EINVALID, "NVSwitch 0: the evidence says it is HOPPER, but its certificate is a LS10", NULL);
	dev_free(&d);
}

static void
test_nvml_strings(void **state)
{
	struct ag_gpu_opts o;
	struct dev d;

	(void)state;
	memset(&o, 0, sizeof(o));
	dev_load(&d, V550);
	d.in.driver_version = "550.90.08";
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: NVML says driver 550.90.08, the signed report says 550.90.07", NULL);
	d.in.driver_version = "550.90.07";
	d.in.vbios_version = "96.00.9F.00.02";
	verify_fails(&o, &d.in, AG_EINVALID, "NVML says VBIOS 96.00.9F.00.02, the signed report says 96.00.9F.00.01", NULL);
	/* NVML prints the VBIOS in lower case. */
	d.in.vbios_version = "96.00.9f.00.01";
	json_decref(verify_ok(&o, &d.in));
	dev_free(&d);
	/* A switch has no driver version to disagree with. */
	dev_load(&d, VSW);
	d.in.driver_version = "550.90.07";
	json_decref(verify_ok(&o, &d.in));
	d.in.vbios_version = "96.10.55.00.02";
	verify_fails(&o, &d.in, AG_EINVALID, "NVML says VBIOS 96.10.55.00.02", NULL);
	dev_free(&d);
}

static void
test_device_chain_time(void **state)
{
	struct ag_gpu_opts o;
	struct dev d;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.at = T2019;
	dev_load(&d, V550);
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: the device certificate chain does not verify", "not yet valid", "--at",
	    NULL);
	/* The year 9999 is still inside the device certificates' validity. */
	o.at = (time_t)253402300000;
	json_decref(verify_ok(&o, &d.in));
	dev_free(&d);
}

/* --- NVIDIA's evidence JSON entries --- */

/* An entry pointing at d's bytes (not owned: free only the array). */
static struct ag_nv_evidence_entry
entry_of(const struct dev *d, const char *arch, const uint8_t *nonce, const char *uuid)
{
	struct ag_nv_evidence_entry e;

	memset(&e, 0, sizeof(e));
	snprintf(e.arch, sizeof(e.arch), "%s", arch);
	e.report = d->report;
	e.report_len = d->report_len;
	e.chain = d->chain;
	e.chain_len = d->chain_len;
	if (nonce != NULL)
		memcpy(e.nonce, nonce, sizeof(e.nonce));
	e.has_nonce = nonce != NULL;
	e.uuid = (char *)uuid;
	return e;
}

static void
evidence_fails(const struct ag_nv_evidence_entry *e, size_t n, const uint8_t *nonce, const char *why)
{
	struct ag_gpu_opts o;
	json_t *claims = json_array();
	struct ag_err err;
	enum ag_code rc;

	json_decref(claims);
	memset(&o, 0, sizeof(o));
	ag_err_clear(&err);
	rc = ag_gpu_verify_evidence(&o, e, n, nonce, &claims, &err);
	if (rc != AG_EINVALID || strstr(err.msg, why) == NULL)
		fail_msg("rc %d, \"%s\" lacks \"%s\"", rc, err.msg, why);
	assert_null(claims);
}

static void
test_verify_evidence(void **state)
{
	struct ag_nv_evidence_entry e[3];
	struct ag_gpu_opts o;
	struct dev a, b, s;
	json_t *claims = NULL;
	struct ag_err err;

	(void)state;
	memset(&o, 0, sizeof(o));
	dev_load(&a, V550);
	dev_load(&b, V570);
	dev_load(&s, VSW);
	/* Three devices that all signed the same nonce. */
	assert_memory_equal(a.nonce, b.nonce, AG_SPDM_NONCE_LEN);
	e[0] = entry_of(&a, "HOPPER", a.nonce, "GPU-0000");
	e[1] = entry_of(&b, "HOPPER", NULL, NULL);
	e[2] = entry_of(&s, "LS10", s.nonce, NULL);
	if (ag_gpu_verify_evidence(&o, e, 3, a.nonce, &claims, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(json_array_size(claims), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(claims, 2), "x-attestgate-gpu-index")), 2);
	assert_string_equal(str_claim(json_array_get(claims, 0), "x-attestgate-gpu-uuid"), "GPU-0000");
	assert_null(json_object_get(json_array_get(claims, 1), "x-attestgate-gpu-uuid"));
	assert_string_equal(str_claim(json_array_get(claims, 2), "x-nvidia-device-type"), "nvswitch");
	json_decref(claims);
	/* No expected nonce: each entry's own, a consistency check only, and the claims do not call it a match. */
	assert_int_equal(ag_gpu_verify_evidence(&o, e, 3, NULL, &claims, &err), AG_OK);
	assert_null(json_object_get(json_array_get(claims, 0), "x-nvidia-gpu-attestation-report-nonce-match"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(claims, 0),
	    "x-attestgate-gpu-checks"), "nonce")), "not-checked");
	json_decref(claims);
	/* The same device twice (a duplicate entry) does not count twice. */
	e[1] = e[0];
	evidence_fails(e, 2, a.nonce, "GPU 1 is device 0 again");
	e[1] = entry_of(&b, "HOPPER", NULL, NULL);
	/* The second entry's JSON nonce is not the expected one (its report's is). */
	e[1] = entry_of(&b, "HOPPER", s.nonce, NULL);
	e[1].nonce[31] ^= 0x01;
	evidence_fails(e, 2, a.nonce, "GPU 1: the evidence's \"nonce\" is not the expected nonce");
	/* Without an expected nonce the JSON's word is checked against the signed one. */
	evidence_fails(e, 2, NULL, "GPU 1: the evidence's \"nonce\" is not the nonce the report signs");
	/* A failing switch is named as one. */
	e[1] = entry_of(&b, "HOPPER", NULL, NULL);
	e[2].report = a.report;
	e[2].report_len = a.report_len;
	evidence_fails(e, 3, a.nonce, "NVSwitch 2: ");
	dev_free(&a);
	dev_free(&b);
	dev_free(&s);
}

/* --- RIMs and reports signed here with test keys --- */

/* test/emul's test RIM CA and test device chain, made once (dir NULL: why not). */
static struct {
	int tried;
	const char *why;
	char *dir;           /* gpu/ (nvml_test_ca.sh), rim/ (nvidia_test_rims.sh) and sets made by signed_set */
	EVP_PKEY *key;       /* the test device leaf's key */
	uint8_t *chain;      /* the test device chain (PEM) */
	size_t chain_len;
	int n_sets;
} tk;

static const char *
repo(void)
{
	return getenv("AG_REPO") != NULL ? getenv("AG_REPO") : ".";
}

/* Runs one of test/emul's scripts with two arguments; asserts it succeeded. */
static void
run_script(const char *script, const char *a, const char *b)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "sh '%s/test/emul/%s' '%s' '%s' >/dev/null 2>&1", repo(), script, a, b);
	if (system(cmd) != 0)
		fail_msg("%s failed", cmd);
}

/* Makes the test keys once; skips visibly when they cannot be made here. */
static void
test_keys(void)
{
	char src[1024], *sub;
	FILE *f;

	if (!tk.tried) {
		tk.tried = 1;
		snprintf(src, sizeof(src), "%s/vectors/%s", tu_shared(), D545);
		if (access(src, R_OK) != 0)
			tk.why = "../shared/vectors/nvidia is not present";
		else if (system("command -v xmlsec1 >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1") != 0)
			tk.why = "xmlsec1 or openssl (the test RIMs' and test chain's makers) is not installed (make deps)";
		if (tk.why == NULL) {
			tk.dir = tu_mkdtemp();
			sub = tu_path(tk.dir, "rim");
			run_script("nvidia_test_rims.sh", sub, src);
			free(sub);
			sub = tu_path(tk.dir, "gpu");
			strncat(src, "/attestationReport.bin", sizeof(src) - strlen(src) - 1);
			run_script("nvml_test_ca.sh", sub, src);
			free(sub);
			assert_non_null(f = fopen(strcat(strcpy(src, tk.dir), "/gpu/gpu0.key.pem"), "r"));
			assert_non_null(tk.key = PEM_read_PrivateKey(f, NULL, NULL, NULL));
			fclose(f);
			assert_non_null(tk.chain = (uint8_t *)tu_read(tk.dir, "gpu/gpu0.chain.pem", &tk.chain_len));
		}
	}
	if (tk.dir == NULL) {
		print_message("# skipped: %s\n", tk.why);
		skip();
	}
}

/* Appends the certificates of the PEM file at path to s. */
static void
add_roots(STACK_OF(X509) *s, const char *path)
{
	uint8_t *buf = NULL;
	size_t len;
	struct ag_err err;

	assert_int_equal(ag_file_read(path, 65536, AG_ECONFIG, &buf, &len, &err), AG_OK);
	assert_int_equal(ag_certs_load(buf, len, s, &err), AG_OK);
	free(buf);
}

/* Test roots: the test RIM root of rim_set (a directory nvidia_test_rims.sh made; NULL: none) and the device test root. */
static STACK_OF(X509) *
test_roots(const char *rim_set, int with_device)
{
	STACK_OF(X509) *s = sk_X509_new_null();
	char path[4096];

	assert_non_null(s);
	if (rim_set != NULL) {
		snprintf(path, sizeof(path), "%s/rim-ca/root.pem", rim_set);
		add_roots(s, path);
	}
	if (with_device) {
		snprintf(path, sizeof(path), "%s/gpu/root.pem", tk.dir);
		add_roots(s, path);
	}
	return s;
}

/* A path under the test keys' directory (a new string). */
static char *
tk_path(const char *name)
{
	return tu_path(tk.dir, name);
}

/*
 * Test-signed RIMs made from these texts (nvidia_test_rims.sh with them as
 * its sources): SET/rims/NV_GPU_DRIVER_GH100_545.00.xml is the driver text's
 * (whatever its version), SET/rims/NV_GPU_VBIOS_..._96005E0001.xml the VBIOS
 * text's, SET/rim-ca/root.pem their root.  The set's directory (a new string).
 */
static char *
signed_set(const char *driver_text, const char *vbios_text)
{
	char name[32], *src, *out;

	snprintf(name, sizeof(name), "set%d-src", tk.n_sets);
	src = tk_path(name);
	assert_int_equal(mkdir(src, 0700), 0);
	tu_write(src, DRIVER545, driver_text);
	tu_write(src, VBIOS545, vbios_text);
	snprintf(name, sizeof(name), "set%d", tk.n_sets++);
	out = tk_path(name);
	run_script("nvidia_test_rims.sh", out, src);
	free(src);
	return out;
}

/* ../shared/vectors/DIR/NAME as text (present: the caller has loaded a vector). */
static char *
vec_text(const char *dir, const char *name)
{
	size_t len;
	char *t = (char *)tu_vec_in(dir, name, &len);

	assert_non_null(t);
	return t;
}

/* A copy of src with the first occurrence of find (which must be there) replaced by repl. */
static char *
edit(const char *src, const char *find, const char *repl)
{
	const char *at = strstr(src, find);
	size_t n;
	char *out;

	if (at == NULL)
		fail_msg("\"%.80s\" is not there", find);
	n = strlen(src) - strlen(find) + strlen(repl) + 1;
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - src), src, repl, at + strlen(find));
	return out;
}

/* Signs report (request || response) anew with the test device key, as the GPU does: ECDSA P-384 SHA-384, raw r||s. */
static void
resign(uint8_t *report, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[160];
	const uint8_t *p = der;
	size_t dlen = sizeof(der);
	ECDSA_SIG *sig;
	const BIGNUM *r, *s;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, tk.key), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &dlen, report, len - AG_SPDM_SIG_LEN), 1);
	assert_non_null(sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen));
	ECDSA_SIG_get0(sig, &r, &s);
	assert_int_equal(BN_bn2binpad(r, report + len - AG_SPDM_SIG_LEN, 48), 48);
	assert_int_equal(BN_bn2binpad(s, report + len - 48, 48), 48);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(ctx);
}

/* The 545 report as the emulated GPU serves it: d's report, the test chain, re-signed after edits. */
static void
use_test_chain(struct dev *d)
{
	d->in.chain = tk.chain;
	d->in.chain_len = tk.chain_len;
	resign(d->report, d->report_len);
}

/* Options: the RIMs of directory rims_dir, now, and roots. */
static struct ag_gpu_opts
opts_dir(const char *rims_dir, STACK_OF(X509) *roots)
{
	struct ag_gpu_opts o;

	memset(&o, 0, sizeof(o));
	o.rims.dir = rims_dir;
	o.test_roots = roots;
	return o;
}

static void
test_signed_rims(void **state)
{
	struct dev d;
	STACK_OF(X509) *roots;
	char *rims, *bad, *rim_set;
	struct ag_gpu_opts o;
	json_t *c;

	(void)state;
	test_keys();
	dev_load(&d, V545);
	rim_set = tk_path("rim");
	rims = tk_path("rim/rims");
	bad = tk_path("rim/bad-rims");
	roots = test_roots(rim_set, 0);
	/* NVIDIA's 545 report (its real chain) with the test-signed RIMs, today. */
	o = opts_dir(rims, roots);
	c = verify_ok(&o, &d.in);
	check_rims_matched(c, "dir", NULL, NULL);
	assert_string_equal(str_claim(json_object_get(c, "x-attestgate-gpu-checks"), "certChain"), "verified");
	json_decref(c);
	/* The driver RIM's first golden value (index 7) changed before signing. */
	o.rims.dir = bad;
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: 1 measurement(s) differ from the RIMs' golden values (RIM index: "
	    "driver 7)", NULL);
	/* Without the test RIM root the RIMs are nobody's. */
	o.rims.dir = rims;
	o.test_roots = NULL;
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: the RIM " DRIVER_ID545 ": the RIM's signing chain ends at \"attestgate "
	    "test NVIDIA CoRIM signing Root CA\", which is not the pinned NVIDIA CoRIM signing Root CA", NULL);
	sk_X509_pop_free(roots, X509_free);
	free(rim_set);
	free(rims);
	free(bad);
	dev_free(&d);
}

static void
test_rim_index_conflict(void **state)
{
	struct dev d;
	char *drv, *vb, *conflict, *set, *rims;
	STACK_OF(X509) *roots;
	struct ag_gpu_opts o;

	(void)state;
	test_keys();
	dev_load(&d, V545);
	/* The driver RIM also gives index 0, which the VBIOS RIM gives (a value the report has at block 1). */
	drv = vec_text(D545, DRIVER545);
	vb = vec_text(D545, VBIOS545);
	conflict = edit(drv, "index=\"0\" active=\"False\"", "index=\"0\" active=\"True\"");
	set = signed_set(conflict, vb);
	rims = tu_path(set, "rims");
	roots = test_roots(set, 0);
	o = opts_dir(rims, roots);
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: the driver and VBIOS RIMs both give measurement 0", NULL);
	sk_X509_pop_free(roots, X509_free);
	free(rims);
	free(set);
	free(conflict);
	free(vb);
	free(drv);
	dev_free(&d);
}


/* A RIM for another chip (Meta product) is refused though NVIDIA-signed and of the same version: by id and as a file. */
static void
test_rim_for_other_chip(void **state)
{
	struct dev d;
	char *drv, *vb, *other, *set, *rims, *files[2];
	STACK_OF(X509) *roots;
	struct ag_gpu_opts o;

	(void)state;
	test_keys();
	dev_load(&d, V545);
	drv = vec_text(D545, DRIVER545);
	vb = vec_text(D545, VBIOS545);
	other = edit(drv, "product=\"GH100\"", "product=\"GB100\"");
	set = signed_set(other, vb);
	rims = tu_path(set, "rims");
	roots = test_roots(set, 0);
	o = opts_dir(rims, roots);
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: the driver RIM " DRIVER_ID545 " is for GB100, but the device is a GH100 "
	    "A01 GSP BROM", NULL);
	files[0] = tu_path(set, "rims/" DRIVER_ID545 ".xml");
	files[1] = NULL;
	o = opts_files(0, files);
	o.test_roots = roots;
	verify_fails(&o, &d.in, AG_EINVALID, "is for GB100, but the device is a GH100 A01 GSP BROM", NULL);
	sk_X509_pop_free(roots, X509_free);
	free_paths(files);
	free(rims);
	free(set);
	free(other);
	free(vb);
	free(drv);
	dev_free(&d);
}

static void
test_535_against_mismatch_rims(void **state)
{
	struct dev d;
	char *drv, *vb, *set, *files[3];
	STACK_OF(X509) *roots;
	struct ag_gpu_opts o;

	(void)state;
	test_keys();
	dev_load(&d, V535);
	/*
	 * asdk's 535 driver RIM (edited after NVIDIA signed it) and NVIDIA's VBIOS RIM
	 * with index 9 of another VBIOS, both signed anew by the test RIM CA: every
	 * golden value asdk's test expects to differ does, and nothing else.
	 */
	drv = vec_text(DRIMS, "NV_GPU_DRIVER_GH100_535.86.09_measurement_mismatch.xml");
	vb = vec_text(DRIMS, "NV_GPU_VBIOS_1010_0200_882_96005E0001_measurement_mismatch.xml");
	set = signed_set(drv, vb);
	files[0] = tu_path(set, "rims/NV_GPU_DRIVER_GH100_545.00.xml");
	files[1] = tu_path(set, "rims/" VBIOS_ID545 ".xml");
	files[2] = NULL;
	roots = test_roots(set, 0);
	o = opts_files(0, files);
	o.test_roots = roots;
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: 16 measurement(s) differ from the RIMs' golden values (RIM index: "
	    "driver 7, driver 21, driver 22, driver 25, driver 26, driver 27, driver 29, driver 30, driver 31, driver 32, "
	    "driver 34, driver 37, driver 39, driver 40, driver 41, vbios 9)", NULL);
	sk_X509_pop_free(roots, X509_free);
	free_paths(files);
	free(set);
	free(vb);
	free(drv);
	dev_free(&d);
}

/* The 545 report re-signed by the test device key after edits, against the test-signed 545 RIMs, today. */
struct resigned {
	struct dev d;
	uint8_t *orig;                 /* the report as recorded */
	size_t nvdec0_off;             /* the NVDEC0_STATUS byte */
	size_t block_off[65];          /* each measurement block's value */
	STACK_OF(X509) *roots;         /* the test device and RIM roots */
	char *rim_set, *rims;
	struct ag_gpu_opts o;
};

static void
resigned_open(struct resigned *x)
{
	static struct ag_spdm_report r;
	const struct ag_spdm_tlv *t;
	struct ag_err err;

	memset(x, 0, sizeof(*x));
	test_keys();
	dev_load(&x->d, V545);
	assert_int_equal(ag_spdm_parse(x->d.report, x->d.report_len, &r, &err), AG_OK);
	assert_non_null(t = ag_spdm_tlv(&r, AG_NV_OPAQUE_NVDEC0_STATUS));
	assert_int_equal(t->value[0], AG_NV_NVDEC0_DISABLED);
	x->nvdec0_off = (size_t)(t->value - x->d.report);
	for (unsigned b = 1; b <= 64; b++)
		x->block_off[b] = (size_t)(ag_spdm_block(&r, b)->value - x->d.report);
	assert_non_null(x->orig = malloc(x->d.report_len));
	memcpy(x->orig, x->d.report, x->d.report_len);
	x->rim_set = tk_path("rim");
	x->rims = tk_path("rim/rims");
	x->roots = test_roots(x->rim_set, 1);
	x->o = opts_dir(x->rims, x->roots);
}

static void
resigned_close(struct resigned *x)
{
	sk_X509_pop_free(x->roots, X509_free);
	free(x->rim_set);
	free(x->rims);
	free(x->orig);
	dev_free(&x->d);
}

/* The recorded report with NVDEC0_STATUS nvdec0 and block b's value altered (b 0: none), re-signed. */
static void
variant(struct resigned *x, uint8_t nvdec0, unsigned b)
{
	memcpy(x->d.report, x->orig, x->d.report_len);
	x->d.report[x->nvdec0_off] = nvdec0;
	if (b != 0)
		x->d.report[x->block_off[b] + 10] ^= 0x01;
	use_test_chain(&x->d);
}

static void
test_msr35_rule(void **state)
{
	struct resigned x;
	json_t *c;

	(void)state;
	resigned_open(&x);
	/* As recorded (NVDEC0 disabled), re-signed: everything matches, to the test device root. */
	variant(&x, AG_NV_NVDEC0_DISABLED, 0);
	c = verify_ok(&x.o, &x.d.in);
	check_rims_matched(c, "dir", NULL, NULL);
	assert_string_equal(str_claim(json_object_get(c, "x-attestgate-gpu-checks"), "certChain"), "verified-to-test-root");
	json_decref(c);
	/* MSR 35 (block 36) is not compared while NVDEC0 is disabled... */
	variant(&x, AG_NV_NVDEC0_DISABLED, 36);
	json_decref(verify_ok(&x.o, &x.d.in));
	/* ...and is once it is enabled: the recorded value is one of its alternatives, an altered one is not. */
	variant(&x, AG_NV_NVDEC0_ENABLED, 0);
	json_decref(verify_ok(&x.o, &x.d.in));
	variant(&x, AG_NV_NVDEC0_ENABLED, 36);
	verify_fails(&x.o, &x.d.in, AG_EINVALID, "GPU 0: 1 measurement(s) differ from the RIMs' golden values (RIM index: "
	    "driver 35)", NULL);
	/* Any other NVDEC0 value is an error. */
	variant(&x, 0x12, 0);
	verify_fails(&x.o, &x.d.in, AG_EINVALID, "GPU 0: GPU report: opaque NVDEC0_STATUS has a value of the wrong form", NULL);
	/* Without the test device root the chain is not NVIDIA's. */
	variant(&x, AG_NV_NVDEC0_DISABLED, 0);
	x.o.test_roots = NULL;
	verify_fails(&x.o, &x.d.in, AG_EINVALID, "GPU 0: the device certificate chain ends at \"attestgate test NVIDIA Device "
	    "Identity CA\", which is not the pinned NVIDIA Device Identity CA", NULL);
	resigned_close(&x);
}

/* The RIM that gives index i for the 545 report ("driver", "vbios"), or NULL: neither does. */
static const char *
golden_role(unsigned i)
{
	if (i == 7 || (i >= 21 && i <= 40))
		return "driver";
	if (i <= 12)
		return "vbios";
	return NULL;
}

/* Every block altered in turn with NVDEC0 nvdec0: how many were compared (each failing naming its index alone). */
static unsigned
count_compared(struct resigned *x, uint8_t nvdec0)
{
	unsigned compared = 0;

	for (unsigned b = 1; b <= 64; b++) {
		const char *role = golden_role(b - 1);
		char why[128];

		variant(x, nvdec0, b);
		if (role == NULL || (b - 1 == 35 && nvdec0 == AG_NV_NVDEC0_DISABLED)) {
			json_decref(verify_ok(&x->o, &x->d.in));
			continue;
		}
		snprintf(why, sizeof(why), "1 measurement(s) differ from the RIMs' golden values (RIM index: %s %u)", role,
		    b - 1);
		verify_fails(&x->o, &x->d.in, AG_EINVALID, why, NULL);
		compared++;
	}
	return compared;
}

static void
test_every_golden_value_compared(void **state)
{
	struct resigned x;

	(void)state;
	resigned_open(&x);
	/* 21 driver and 12 VBIOS golden values; MSR 35 only with NVDEC0 enabled. */
	assert_int_equal(count_compared(&x, AG_NV_NVDEC0_DISABLED), 32);
	assert_int_equal(count_compared(&x, AG_NV_NVDEC0_ENABLED), 33);
	resigned_close(&x);
}

static void
test_fwid_mismatch(void **state)
{
	struct ag_gpu_opts o;
	struct dev d;

	(void)state;
	test_keys();
	dev_load(&d, V550);
	/* The 550 report (which has an FWID) signed by a device whose certificate carries none. */
	memset(&o, 0, sizeof(o));
	o.test_roots = test_roots(NULL, 1);
	use_test_chain(&d);
	verify_fails(&o, &d.in, AG_EINVALID, "GPU 0: ", "FWID", NULL);
	sk_X509_pop_free(o.test_roots, X509_free);
	dev_free(&d);
}

static int
teardown(void **state)
{
	(void)state;
	if (tk.dir != NULL)
		tu_rmtree(tk.dir);
	free(tk.dir);
	free(tk.chain);
	EVP_PKEY_free(tk.key);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_genuine_vectors),
		cmocka_unit_test(test_ueid_550),
		cmocka_unit_test(test_550_matches_nras),
		cmocka_unit_test(test_rims_545_files),
		cmocka_unit_test(test_rims_545_dir),
		cmocka_unit_test(test_rim_missing_with_files),
		cmocka_unit_test(test_rim_wrong_version),
		cmocka_unit_test(test_rim_failing_checks),
		cmocka_unit_test(test_rim_genuine_mismatch),
		cmocka_unit_test(test_wrong_nonce),
		cmocka_unit_test(test_cross_pairs),
		cmocka_unit_test(test_altered_report),
		cmocka_unit_test(test_arch_word),
		cmocka_unit_test(test_nvml_strings),
		cmocka_unit_test(test_device_chain_time),
		cmocka_unit_test(test_verify_evidence),
		cmocka_unit_test(test_signed_rims),
		cmocka_unit_test(test_rim_index_conflict),
		cmocka_unit_test(test_rim_for_other_chip),
		cmocka_unit_test(test_535_against_mismatch_rims),
		cmocka_unit_test(test_msr35_rule),
		cmocka_unit_test(test_every_golden_value_compared),
		cmocka_unit_test(test_fwid_mismatch),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
