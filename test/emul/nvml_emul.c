/*
 * nvml_emul.c - an emulated libnvidia-ml.so.1 for tests (built as
 * build/emul/libnvidia-ml.so.1).  TEST CODE ONLY: it signs reports with a
 * test key, so nothing it serves must ever be trusted outside tests.
 *
 * It implements the NVML symbols attestgate-nvml uses.  nvmlInit_v2 reads
 * the directory named by AG_NVML_EMUL_DIR:
 *   count                 number of GPUs, text (default 1, at most 16)
 *   gpu<i>.template.bin   a real recorded NVIDIA report (SPDM request ||
 *                         response), used as template
 *   gpu<i>.key.pem        EC P-384 private key the report is re-signed with
 *   gpu<i>.chain.pem      PEM chain served as attestationCertChain
 *   gpu<i>.driver, .vbios strings to serve (default: from the template's
 *                         opaque DRIVER_VERSION and VBIOS_VERSION fields)
 *   gpu<i>.uuid           UUID string (default GPU-00000000-...-<i>)
 *   gpu<i>.arch           NVML architecture number (default 9, Hopper)
 *   gpu<i>.flip           decimal byte offset: that byte of the report is
 *                         xor-ed with 0x01 after signing
 *   gpu<i>.recorded       serve the template verbatim (no nonce, no signing)
 *   cc_off                ccFeature 0;  devtools: devToolsMode 1
 *   fail_report           the report call returns error 999
 * A report for the caller's nonce: copy the template, write the nonce at
 * bytes 4..35, sign bytes [0, len-96) with ECDSA P-384/SHA-384 and write the
 * raw r||s (48+48, big-endian) into the last 96 bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "nvml_abi.h"

#define OK 0
#define ERR_UNINITIALIZED 1
#define ERR_INVALID_ARGUMENT 2
#define ERR_NOT_FOUND 6
#define ERR_INSUFFICIENT_SIZE 7
#define ERR_DRIVER_NOT_LOADED 9
#define ERR_UNKNOWN 999

#define MAX_GPUS 16
#define REQ_LEN 37
#define SIG_LEN 96
#define REPORT_MAX 0x2000
#define CHAIN_MAX 0x1400

/* One emulated GPU: just its index; files are read per call. */
struct nvmlDevice_st {
	unsigned int index;
};

static struct {
	int initialised;
	char dir[4096];
	unsigned int count;
	struct nvmlDevice_st gpus[MAX_GPUS];
} emul;

/* Path of a file in the emulation directory; 0 on success. */
static int
emul_path(char *out, size_t cap, const char *name, int gpu)
{
	int n = gpu < 0 ? snprintf(out, cap, "%s/%s", emul.dir, name) :
	    snprintf(out, cap, "%s/gpu%d.%s", emul.dir, gpu, name);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Reads up to cap bytes of a file; returns its length or -1 (also if larger). */
static long
read_file(const char *name, int gpu, unsigned char *buf, size_t cap)
{
	char path[4200];
	FILE *f;
	size_t n;
	int extra;

	if (emul_path(path, sizeof(path), name, gpu) != 0 || (f = fopen(path, "rb")) == NULL)
		return -1;
	n = fread(buf, 1, cap, f);
	extra = fgetc(f);
	fclose(f);
	return extra != EOF ? -1 : (long)n;
}

/* Whether a file exists (and is readable) in the emulation directory. */
static int
has_file(const char *name, int gpu)
{
	char path[4200];
	FILE *f;

	if (emul_path(path, sizeof(path), name, gpu) != 0 || (f = fopen(path, "rb")) == NULL)
		return 0;
	fclose(f);
	return 1;
}

/* Reads a small text file as a string without the trailing newline; 0 or -1. */
static int
read_text(const char *name, int gpu, char *out, size_t cap)
{
	long n = read_file(name, gpu, (unsigned char *)out, cap - 1);

	if (n < 0)
		return -1;
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 0;
}

/* Reads a decimal number from a file; def when the file is missing, -2 if bad. */
static long
read_number(const char *name, int gpu, long def)
{
	char text[32], *end;
	long v;

	if (read_text(name, gpu, text, sizeof(text)) != 0)
		return def;
	v = strtol(text, &end, 10);
	return end == text || *end != '\0' || v < 0 ? -2 : v;
}

/* nvmlInit_v2: reads AG_NVML_EMUL_DIR and the GPU count. */
nvmlReturn_t
nvmlInit_v2(void)
{
	const char *dir = getenv("AG_NVML_EMUL_DIR");
	long count;
	unsigned int i;

	if (dir == NULL || dir[0] == '\0' || strlen(dir) >= sizeof(emul.dir))
		return ERR_DRIVER_NOT_LOADED;
	strcpy(emul.dir, dir);
	count = read_number("count", -1, 1);
	if (count < 0 || count > MAX_GPUS)
		return ERR_UNKNOWN;
	emul.count = (unsigned int)count;
	for (i = 0; i < MAX_GPUS; i++)
		emul.gpus[i].index = i;
	emul.initialised = 1;
	return OK;
}

/* nvmlShutdown: forgets the configuration. */
nvmlReturn_t
nvmlShutdown(void)
{
	if (!emul.initialised)
		return ERR_UNINITIALIZED;
	memset(&emul, 0, sizeof(emul));
	return OK;
}

/* nvmlErrorString: the NVML names of the codes this emulation returns. */
const char *
nvmlErrorString(nvmlReturn_t rc)
{
	switch (rc) {
	case OK: return "Success";
	case ERR_UNINITIALIZED: return "Uninitialized";
	case ERR_INVALID_ARGUMENT: return "Invalid Argument";
	case ERR_NOT_FOUND: return "Not Found";
	case ERR_INSUFFICIENT_SIZE: return "Insufficient Size";
	case ERR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
	default: return "Unknown Error";
	}
}

/* Checks a device handle; its GPU index or -1. */
static int
gpu_of(nvmlDevice_t dev)
{
	if (!emul.initialised || dev == NULL || dev < emul.gpus || dev >= emul.gpus + emul.count)
		return -1;
	return (int)dev->index;
}

/* nvmlDeviceGetCount_v2. */
nvmlReturn_t
nvmlDeviceGetCount_v2(unsigned int *count)
{
	if (!emul.initialised)
		return ERR_UNINITIALIZED;
	if (count == NULL)
		return ERR_INVALID_ARGUMENT;
	*count = emul.count;
	return OK;
}

/* nvmlDeviceGetHandleByIndex_v2. */
nvmlReturn_t
nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *dev)
{
	if (!emul.initialised)
		return ERR_UNINITIALIZED;
	if (dev == NULL || index >= emul.count)
		return ERR_INVALID_ARGUMENT;
	*dev = &emul.gpus[index];
	return OK;
}

/* nvmlSystemGetConfComputeState: CC on, devtools off, unless told otherwise. */
nvmlReturn_t
nvmlSystemGetConfComputeState(nvmlConfComputeSystemState_t *st)
{
	if (!emul.initialised)
		return ERR_UNINITIALIZED;
	if (st == NULL)
		return ERR_INVALID_ARGUMENT;
	st->environment = 2;
	st->ccFeature = has_file("cc_off", -1) ? 0 : 1;
	st->devToolsMode = has_file("devtools", -1) ? 1 : 0;
	return OK;
}

/* Finds opaque TLV `type` in a report; its value and length, or NULL. */
static const unsigned char *
find_opaque(const unsigned char *r, size_t len, unsigned int type, size_t *vlen)
{
	size_t rec, pos, end;

	if (len < REQ_LEN + 8 + 32 + 2 + SIG_LEN)
		return NULL;
	rec = r[REQ_LEN + 5] | (size_t)r[REQ_LEN + 6] << 8 | (size_t)r[REQ_LEN + 7] << 16;
	pos = REQ_LEN + 8 + rec + 32;
	if (pos + 2 > len - SIG_LEN)
		return NULL;
	end = pos + 2 + (r[pos] | (size_t)r[pos + 1] << 8);
	if (end > len - SIG_LEN)
		return NULL;
	for (pos += 2; pos + 4 <= end;) {
		unsigned int t = r[pos] | (unsigned int)r[pos + 1] << 8;
		size_t l = r[pos + 2] | (size_t)r[pos + 3] << 8;

		if (pos + 4 + l > end)
			return NULL;
		if (t == type) {
			*vlen = l;
			return r + pos + 4;
		}
		pos += 4 + l;
	}
	return NULL;
}

/* Default driver (type 3, ASCII) or VBIOS (type 6, b3.b2.b1.b0.b4) from the template. */
static int
template_string(int gpu, unsigned int type, char *out, size_t cap)
{
	static unsigned char t[REPORT_MAX];
	const unsigned char *v;
	long n = read_file("template.bin", gpu, t, sizeof(t));
	size_t vlen = 0, i;

	if (n < 0 || (v = find_opaque(t, (size_t)n, type, &vlen)) == NULL)
		return -1;
	if (type == 6 && vlen == 8) {
		snprintf(out, cap, "%02X.%02X.%02X.%02X.%02X", v[3], v[2], v[1], v[0], v[4]);
		return 0;
	}
	for (i = 0; i < vlen && i + 1 < cap && v[i] != '\0'; i++)
		out[i] = (char)v[i];
	out[i] = '\0';
	return 0;
}

/* Serves a string: the override file, else the template's opaque field. */
static nvmlReturn_t
serve_string(int gpu, const char *file, unsigned int type, char *buf, unsigned int len)
{
	char s[256];

	if (buf == NULL || len == 0)
		return ERR_INVALID_ARGUMENT;
	if (read_text(file, gpu, s, sizeof(s)) != 0 && template_string(gpu, type, s, sizeof(s)) != 0)
		return ERR_UNKNOWN;
	if (strlen(s) + 1 > len)
		return ERR_INSUFFICIENT_SIZE;
	memcpy(buf, s, strlen(s) + 1);
	return OK;
}

/* nvmlSystemGetDriverVersion: gpu0's driver string. */
nvmlReturn_t
nvmlSystemGetDriverVersion(char *buf, unsigned int len)
{
	if (!emul.initialised)
		return ERR_UNINITIALIZED;
	return serve_string(0, "driver", 3, buf, len);
}

/* nvmlDeviceGetVbiosVersion. */
nvmlReturn_t
nvmlDeviceGetVbiosVersion(nvmlDevice_t dev, char *buf, unsigned int len)
{
	int gpu = gpu_of(dev);

	return gpu < 0 ? ERR_INVALID_ARGUMENT : serve_string(gpu, "vbios", 6, buf, len);
}

/* nvmlDeviceGetUUID: gpu<i>.uuid or a fixed test UUID. */
nvmlReturn_t
nvmlDeviceGetUUID(nvmlDevice_t dev, char *buf, unsigned int len)
{
	int gpu = gpu_of(dev);
	char s[128];

	if (gpu < 0 || buf == NULL)
		return ERR_INVALID_ARGUMENT;
	if (read_text("uuid", gpu, s, sizeof(s)) != 0)
		snprintf(s, sizeof(s), "GPU-00000000-0000-4000-8000-%012d", gpu);
	if (strlen(s) + 1 > len)
		return ERR_INSUFFICIENT_SIZE;
	memcpy(buf, s, strlen(s) + 1);
	return OK;
}

/* nvmlDeviceGetArchitecture: gpu<i>.arch or 9 (Hopper). */
nvmlReturn_t
nvmlDeviceGetArchitecture(nvmlDevice_t dev, unsigned int *arch)
{
	int gpu = gpu_of(dev);
	long a;

	if (gpu < 0 || arch == NULL)
		return ERR_INVALID_ARGUMENT;
	a = read_number("arch", gpu, 9);
	if (a < 0)
		return ERR_UNKNOWN;
	*arch = (unsigned int)a;
	return OK;
}

/* nvmlDeviceGetConfComputeGpuCertificate: gpu<i>.chain.pem as attestationCertChain. */
nvmlReturn_t
nvmlDeviceGetConfComputeGpuCertificate(nvmlDevice_t dev, nvmlConfComputeGpuCertificate_t *c)
{
	int gpu = gpu_of(dev);
	long n;

	if (gpu < 0 || c == NULL)
		return ERR_INVALID_ARGUMENT;
	memset(c, 0, sizeof(*c));
	n = read_file("chain.pem", gpu, c->attestationCertChain, sizeof(c->attestationCertChain));
	if (n <= 0)
		return ERR_NOT_FOUND;
	c->attestationCertChainSize = (unsigned int)n;
	return OK;
}

/* Converts a DER ECDSA signature to raw r||s, each 48 bytes; 0 on success. */
static int
der_to_raw(const unsigned char *der, size_t len, unsigned char raw[SIG_LEN])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;
	int ok;

	if (sig == NULL)
		return -1;
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, raw, SIG_LEN / 2) == SIG_LEN / 2 &&
	    BN_bn2binpad(s, raw + SIG_LEN / 2, SIG_LEN / 2) == SIG_LEN / 2;
	ECDSA_SIG_free(sig);
	return ok ? 0 : -1;
}

/* Loads the GPU's test key; NULL on failure. */
static EVP_PKEY *
load_key(int gpu)
{
	char path[4200];
	EVP_PKEY *key;
	FILE *f;

	if (emul_path(path, sizeof(path), "key.pem", gpu) != 0 || (f = fopen(path, "r")) == NULL)
		return NULL;
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return key;
}

/* Signs r[0, len-96) with the GPU's key and writes raw r||s at the end. */
static int
sign_report(int gpu, unsigned char *r, size_t len)
{
	EVP_PKEY *key = load_key(gpu);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char der[256];
	size_t der_len = sizeof(der);
	int rc = -1;

	if (key != NULL && ctx != NULL && EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key) == 1 &&
	    EVP_DigestSign(ctx, der, &der_len, r, len - SIG_LEN) == 1)
		rc = der_to_raw(der, der_len, r + len - SIG_LEN);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc;
}

/* nvmlDeviceGetConfComputeGpuAttestationReport: the template re-signed for r->nonce. */
nvmlReturn_t
nvmlDeviceGetConfComputeGpuAttestationReport(nvmlDevice_t dev, nvmlConfComputeGpuAttestationReport_t *r)
{
	int gpu = gpu_of(dev);
	long n, flip;

	if (gpu < 0 || r == NULL)
		return ERR_INVALID_ARGUMENT;
	if (has_file("fail_report", -1))
		return ERR_UNKNOWN;
	n = read_file("template.bin", gpu, r->attestationReport, sizeof(r->attestationReport));
	if (n < REQ_LEN + SIG_LEN)
		return ERR_NOT_FOUND;
	r->attestationReportSize = (unsigned int)n;
	r->isCecAttestationReportPresent = 0;
	r->cecAttestationReportSize = 0;
	if (has_file("recorded", gpu))
		return OK;
	memcpy(r->attestationReport + 4, r->nonce, sizeof(r->nonce));
	if (sign_report(gpu, r->attestationReport, (size_t)n) != 0)
		return ERR_UNKNOWN;
	flip = read_number("flip", gpu, -1);
	if (flip == -2 || flip >= n)
		return ERR_UNKNOWN;
	if (flip >= 0)
		r->attestationReport[flip] ^= 0x01;
	return OK;
}
