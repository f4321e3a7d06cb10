/*
 * nvml_collect.c - attestgate-nvml, the helper that collects NVIDIA GPU
 * confidential-computing evidence through NVML for the static attestgate
 * binary.
 *
 * Why a separate program: NVML is only available as NVIDIA's closed
 * libnvidia-ml.so.1, built against the host's (driver's) glibc.  The
 * attestgate binary is static and runs in a FROM-scratch image.  A static
 * glibc program cannot safely dlopen a shared library: dlopen needs, at run
 * time, the exact glibc it was linked with, and the image has no libc.so.6
 * or ld.so for NVML's own NEEDED libraries (musl cannot dlopen at all).  So
 * this small DYNAMICALLY linked helper does the dlopen, is shipped with its
 * loader and libc, and is spawned by attestgate with a hard timeout
 * (docs/nvidia-gpu-design.md section 4).  Running the closed blob in its
 * own process also contains it.  Nothing it prints is trusted: the report is
 * signed by the GPU and bound to the caller's nonce, and attestgate verifies
 * both signature and nonce itself.
 *
 * Usage: attestgate-nvml --nonce HEX64 [--lib PATH]
 *   The library is PATH, else $AG_NVML_LIB, else "libnvidia-ml.so.1".
 *   On success stdout holds ONE JSON list, one entry per GPU:
 *   {"arch", "nonce", "evidence", "certificate", "driver_version",
 *    "vbios_version", "uuid", "index"} - NVIDIA's evidence JSON (arch, nonce,
 *   base64 report, base64 PEM chain) plus the extra fields.
 *   On failure stdout is empty and stderr holds one line saying what to do.
 * Exit codes: 0 ok, 2 usage, 3 library not loadable, 4 an NVML call failed,
 *   5 refused (CC off, devtools on, no GPU, too many GPUs, unknown arch),
 *   6 out of memory or output error.
 *
 * The NVML types below are declared here from the documented layout (NVML
 * API version 13); NVIDIA's headers are not used.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "base/digest.h"
#include "nvml_abi.h"

#define EXIT_USAGE 2
#define EXIT_NOLIB 3
#define EXIT_NVML 4
#define EXIT_REFUSED 5
#define EXIT_INTERNAL 6

#define MAX_GPUS 16
#define NONCE_LEN 32
#define DRIVER_LEN NVML_DRIVER_VERSION_LEN
#define VBIOS_LEN NVML_VBIOS_VERSION_LEN
#define UUID_LEN NVML_UUID_LEN

/* The NVML entry points this helper uses, resolved with dlsym. */
struct nvml {
	void *dl;
	nvmlReturn_t (*init)(void);
	nvmlReturn_t (*shutdown)(void);
	const char *(*error_string)(nvmlReturn_t);
	nvmlReturn_t (*get_count)(unsigned int *);
	nvmlReturn_t (*get_handle)(unsigned int, nvmlDevice_t *);
	nvmlReturn_t (*driver_version)(char *, unsigned int);
	nvmlReturn_t (*vbios_version)(nvmlDevice_t, char *, unsigned int);
	nvmlReturn_t (*uuid)(nvmlDevice_t, char *, unsigned int);
	nvmlReturn_t (*architecture)(nvmlDevice_t, unsigned int *);
	nvmlReturn_t (*cc_state)(nvmlConfComputeSystemState_t *);
	nvmlReturn_t (*cc_cert)(nvmlDevice_t, nvmlConfComputeGpuCertificate_t *);
	nvmlReturn_t (*cc_report)(nvmlDevice_t, nvmlConfComputeGpuAttestationReport_t *);
};

/* Symbol name -> slot in struct nvml. */
static const struct {
	const char *name;
	size_t offset;
} nvml_symbols[] = {
	{ "nvmlInit_v2", offsetof(struct nvml, init) },
	{ "nvmlShutdown", offsetof(struct nvml, shutdown) },
	{ "nvmlErrorString", offsetof(struct nvml, error_string) },
	{ "nvmlDeviceGetCount_v2", offsetof(struct nvml, get_count) },
	{ "nvmlDeviceGetHandleByIndex_v2", offsetof(struct nvml, get_handle) },
	{ "nvmlSystemGetDriverVersion", offsetof(struct nvml, driver_version) },
	{ "nvmlDeviceGetVbiosVersion", offsetof(struct nvml, vbios_version) },
	{ "nvmlDeviceGetUUID", offsetof(struct nvml, uuid) },
	{ "nvmlDeviceGetArchitecture", offsetof(struct nvml, architecture) },
	{ "nvmlSystemGetConfComputeState", offsetof(struct nvml, cc_state) },
	{ "nvmlDeviceGetConfComputeGpuCertificate", offsetof(struct nvml, cc_cert) },
	{ "nvmlDeviceGetConfComputeGpuAttestationReport", offsetof(struct nvml, cc_report) },
};

/* What one GPU gave; the big NVML structs live here, not on the stack. */
struct gpu {
	unsigned int index;
	unsigned int arch;
	char driver[DRIVER_LEN];
	char vbios[VBIOS_LEN];
	char uuid[UUID_LEN];
	nvmlConfComputeGpuAttestationReport_t report;
	nvmlConfComputeGpuCertificate_t cert;
};

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the one-line diagnostic on stderr, prefixed with the program name. */
static void
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("attestgate-nvml: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Prints the usage line on stderr and returns the usage exit code. */
static int
usage(const char *why)
{
	fprintf(stderr, "attestgate-nvml: %s; usage: attestgate-nvml --nonce HEX64 [--lib PATH] "
	    "(or set AG_NVML_LIB)\n", why);
	return EXIT_USAGE;
}

/* Decodes exactly 64 hex characters into 32 bytes; 0 on success. */
static int
parse_nonce(const char *hex, unsigned char out[NONCE_LEN])
{
	return strlen(hex) == 2 * NONCE_LEN ? ag_hex_decode(hex, out, NONCE_LEN) : -1;
}

/* Parses argv into the nonce and the library path; 0 or EXIT_USAGE. */
static int
parse_args(int argc, char **argv, unsigned char nonce[NONCE_LEN], const char **lib)
{
	const char *nonce_hex = NULL, *env = getenv("AG_NVML_LIB");
	int i;

	*lib = env != NULL && env[0] != '\0' ? env : "libnvidia-ml.so.1";
	for (i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--nonce") == 0)
			nonce_hex = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--lib") == 0)
			*lib = argv[++i];
		else
			return usage("unknown or incomplete argument");
	}
	if (nonce_hex == NULL)
		return usage("--nonce is required");
	if (parse_nonce(nonce_hex, nonce) != 0)
		return usage("--nonce must be exactly 64 hex characters (32 bytes)");
	if ((*lib)[0] == '\0')
		return usage("--lib is empty");
	return 0;
}

/* dlopens the library and resolves every symbol; 0 or EXIT_NOLIB. */
static int
nvml_load(struct nvml *n, const char *lib)
{
	size_t i;

	memset(n, 0, sizeof(*n));
	n->dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (n->dl == NULL) {
		fail("cannot load the NVML library: %s; mount the NVIDIA driver's libnvidia-ml.so.1 "
		    "(NVIDIA_DRIVER_CAPABILITIES=utility) or point --lib / AG_NVML_LIB at it",
		    dlerror());
		return EXIT_NOLIB;
	}
	for (i = 0; i < sizeof(nvml_symbols) / sizeof(nvml_symbols[0]); i++) {
		void *sym = dlsym(n->dl, nvml_symbols[i].name);

		if (sym == NULL) {
			fail("%s has no %s: the NVIDIA driver is too old for confidential computing; "
			    "install a CC-capable driver (535 or later)", lib, nvml_symbols[i].name);
			dlclose(n->dl);
			n->dl = NULL;
			return EXIT_NOLIB;
		}
		/* POSIX guarantees data and function pointers convert. */
		memcpy((char *)n + nvml_symbols[i].offset, &sym, sizeof(sym));
	}
	return 0;
}

/* Reports a failed NVML call with nvmlErrorString; returns EXIT_NVML. */
static int
nvml_failed(const struct nvml *n, const char *call, nvmlReturn_t rc)
{
	const char *s = n->error_string(rc);

	fail("%s failed: %s (NVML error %d); check the NVIDIA driver, the GPU's CC mode and that "
	    "the device nodes are visible to this container", call, s != NULL ? s : "unknown error", rc);
	return EXIT_NVML;
}

/* Refuses unless confidential computing is on and devtools mode is off. */
static int
check_cc_state(const struct nvml *n)
{
	nvmlConfComputeSystemState_t st;
	nvmlReturn_t rc;

	memset(&st, 0, sizeof(st));
	rc = n->cc_state(&st);
	if (rc != 0)
		return nvml_failed(n, "nvmlSystemGetConfComputeState", rc);
	if (st.ccFeature != NVML_CC_FEATURE_ENABLED) {
		fail("confidential computing is not enabled on this system (ccFeature=%u); "
		    "enable CC mode on the GPU(s) and reboot, or do not ask for GPU evidence", st.ccFeature);
		return EXIT_REFUSED;
	}
	if (st.devToolsMode == NVML_CC_DEVTOOLS_ON) {
		fail("the GPU is in CC devtools mode, whose evidence must not be trusted; "
		    "switch the GPU to CC production mode");
		return EXIT_REFUSED;
	}
	return 0;
}

/* Name of a supported architecture, or NULL. */
static const char *
arch_name(unsigned int arch)
{
	if (arch == NVML_DEVICE_ARCH_HOPPER)
		return "HOPPER";
	if (arch == NVML_DEVICE_ARCH_BLACKWELL)
		return "BLACKWELL";
	return NULL;
}

/* Asks NVML for the nonce-bound report and checks its size. */
static int
get_report(const struct nvml *n, nvmlDevice_t dev, struct gpu *g, const unsigned char nonce[NONCE_LEN])
{
	nvmlReturn_t rc;

	memset(&g->report, 0, sizeof(g->report));
	memcpy(g->report.nonce, nonce, NONCE_LEN);
	rc = n->cc_report(dev, &g->report);
	if (rc != 0)
		return nvml_failed(n, "nvmlDeviceGetConfComputeGpuAttestationReport", rc);
	if (g->report.attestationReportSize == 0 ||
	    g->report.attestationReportSize > sizeof(g->report.attestationReport)) {
		fail("nvmlDeviceGetConfComputeGpuAttestationReport returned a report of %u bytes "
		    "(must be 1..%zu); check the NVIDIA driver", g->report.attestationReportSize,
		    sizeof(g->report.attestationReport));
		return EXIT_NVML;
	}
	return 0;
}

/* Asks NVML for the PEM attestation certificate chain and checks its size. */
static int
get_cert_chain(const struct nvml *n, nvmlDevice_t dev, struct gpu *g)
{
	nvmlReturn_t rc;

	memset(&g->cert, 0, sizeof(g->cert));
	rc = n->cc_cert(dev, &g->cert);
	if (rc != 0)
		return nvml_failed(n, "nvmlDeviceGetConfComputeGpuCertificate", rc);
	if (g->cert.attestationCertChainSize == 0 ||
	    g->cert.attestationCertChainSize > sizeof(g->cert.attestationCertChain)) {
		fail("nvmlDeviceGetConfComputeGpuCertificate returned a chain of %u bytes "
		    "(must be 1..%zu); check the NVIDIA driver", g->cert.attestationCertChainSize,
		    sizeof(g->cert.attestationCertChain));
		return EXIT_NVML;
	}
	return 0;
}

/* Reads the identification strings and the architecture of one GPU. */
static int
get_identity(const struct nvml *n, nvmlDevice_t dev, struct gpu *g)
{
	nvmlReturn_t rc;

	rc = n->vbios_version(dev, g->vbios, sizeof(g->vbios));
	if (rc != 0)
		return nvml_failed(n, "nvmlDeviceGetVbiosVersion", rc);
	g->vbios[sizeof(g->vbios) - 1] = '\0';
	rc = n->uuid(dev, g->uuid, sizeof(g->uuid));
	if (rc != 0)
		return nvml_failed(n, "nvmlDeviceGetUUID", rc);
	g->uuid[sizeof(g->uuid) - 1] = '\0';
	rc = n->architecture(dev, &g->arch);
	if (rc != 0)
		return nvml_failed(n, "nvmlDeviceGetArchitecture", rc);
	if (arch_name(g->arch) == NULL) {
		fail("GPU %u (%s) has NVML architecture %u, which this helper does not attest "
		    "(only Hopper 9 and Blackwell 10); hide it from this container", g->index, g->uuid, g->arch);
		return EXIT_REFUSED;
	}
	return 0;
}

/* Collects everything about GPU number idx into g. */
static int
collect_gpu(const struct nvml *n, unsigned int idx, const unsigned char nonce[NONCE_LEN], struct gpu *g)
{
	nvmlDevice_t dev = NULL;
	nvmlReturn_t rc;
	int err;

	g->index = idx;
	rc = n->get_handle(idx, &dev);
	if (rc != 0)
		return nvml_failed(n, "nvmlDeviceGetHandleByIndex_v2", rc);
	err = get_identity(n, dev, g);
	if (err == 0)
		err = get_report(n, dev, g, nonce);
	if (err == 0)
		err = get_cert_chain(n, dev, g);
	return err;
}

/* Standard base64 (with padding) of buf as a JSON string, or NULL. */
static json_t *
b64_json(const unsigned char *buf, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	unsigned char *out = malloc(cap);
	json_t *s = NULL;
	int n;

	if (out == NULL)
		return NULL;
	n = EVP_EncodeBlock(out, buf, (int)len);
	if (n >= 0 && (size_t)n < cap)
		s = json_stringn((const char *)out, (size_t)n);
	free(out);
	return s;
}

/* Lowercase hex of the nonce as a JSON string, or NULL. */
static json_t *
hex_json(const unsigned char *buf, size_t len)
{
	char out[2 * NONCE_LEN + 1];

	if (len > NONCE_LEN)
		return NULL;
	ag_hex_encode(buf, len, out);
	return json_string(out);
}

/* Builds the JSON entry of one GPU; NULL on failure (bad UTF-8, memory). */
static json_t *
gpu_json(const struct gpu *g, const char *driver, const unsigned char nonce[NONCE_LEN])
{
	json_t *o = json_object();
	int bad = o == NULL;

	bad |= json_object_set_new(o, "arch", json_string(arch_name(g->arch)));
	bad |= json_object_set_new(o, "nonce", hex_json(nonce, NONCE_LEN));
	bad |= json_object_set_new(o, "evidence",
	    b64_json(g->report.attestationReport, g->report.attestationReportSize));
	bad |= json_object_set_new(o, "certificate",
	    b64_json(g->cert.attestationCertChain, g->cert.attestationCertChainSize));
	bad |= json_object_set_new(o, "driver_version", json_string(driver));
	bad |= json_object_set_new(o, "vbios_version", json_string(g->vbios));
	bad |= json_object_set_new(o, "uuid", json_string(g->uuid));
	bad |= json_object_set_new(o, "index", json_integer((json_int_t)g->index));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Reads the device count and the driver version, refusing 0 or too many GPUs. */
static int
get_system(const struct nvml *n, unsigned int *count, char driver[DRIVER_LEN])
{
	nvmlReturn_t rc;

	rc = n->get_count(count);
	if (rc != 0)
		return nvml_failed(n, "nvmlDeviceGetCount_v2", rc);
	if (*count == 0) {
		fail("NVML sees no GPU; pass the GPU device nodes to this container "
		    "(NVIDIA_VISIBLE_DEVICES / the nvidia.com/gpu resource)");
		return EXIT_REFUSED;
	}
	if (*count > MAX_GPUS) {
		fail("NVML sees %u GPUs, more than the %d this helper collects; "
		    "limit the GPUs visible to this container", *count, MAX_GPUS);
		return EXIT_REFUSED;
	}
	rc = n->driver_version(driver, DRIVER_LEN);
	if (rc != 0)
		return nvml_failed(n, "nvmlSystemGetDriverVersion", rc);
	driver[DRIVER_LEN - 1] = '\0';
	return 0;
}

/* Collects every GPU into the list; NVML is initialised. */
static int
collect_all(const struct nvml *n, const unsigned char nonce[NONCE_LEN], json_t *list)
{
	char driver[DRIVER_LEN] = "";
	unsigned int count = 0, i;
	struct gpu *g;
	int err;

	err = check_cc_state(n);
	if (err == 0)
		err = get_system(n, &count, driver);
	if (err != 0)
		return err;
	g = malloc(sizeof(*g));
	if (g == NULL) {
		fail("out of memory");
		return EXIT_INTERNAL;
	}
	for (i = 0; i < count && err == 0; i++) {
		memset(g, 0, sizeof(*g));
		err = collect_gpu(n, i, nonce, g);
		if (err == 0 && json_array_append_new(list, gpu_json(g, driver, nonce)) != 0) {
			fail("cannot build the JSON for a GPU (NVML returned a string that is not UTF-8, "
			    "or out of memory)");
			err = EXIT_INTERNAL;
		}
	}
	free(g);
	return err;
}

/* Initialises NVML, collects, and always shuts NVML down again. */
static int
run(const struct nvml *n, const unsigned char nonce[NONCE_LEN], json_t *list)
{
	nvmlReturn_t rc;
	int err;

	rc = n->init();
	if (rc != 0)
		return nvml_failed(n, "nvmlInit_v2", rc);
	err = collect_all(n, nonce, list);
	rc = n->shutdown();
	if (rc != 0 && err == 0)
		err = nvml_failed(n, "nvmlShutdown", rc);
	return err;
}

/* Writes the list to stdout as one JSON document and a newline. */
static int
print_json(const json_t *list)
{
	if (json_dumpf(list, stdout, JSON_COMPACT) != 0 || fputc('\n', stdout) == EOF ||
	    fflush(stdout) != 0 || ferror(stdout)) {
		fail("cannot write the evidence JSON to stdout");
		return EXIT_INTERNAL;
	}
	return 0;
}

/* Entry point: parse, load NVML, collect, print. */
int
main(int argc, char **argv)
{
	unsigned char nonce[NONCE_LEN];
	const char *lib = NULL;
	struct nvml n;
	json_t *list;
	int err;

	err = parse_args(argc, argv, nonce, &lib);
	if (err != 0)
		return err;
	err = nvml_load(&n, lib);
	if (err != 0)
		return err;
	list = json_array();
	if (list == NULL) {
		fail("out of memory");
		err = EXIT_INTERNAL;
	} else {
		err = run(&n, nonce, list);
	}
	if (err == 0)
		err = print_json(list);
	json_decref(list);
	dlclose(n.dl);
	return err;
}
