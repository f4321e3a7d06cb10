/*
 * sev_guest_shim.c - an emulated /dev/sev-guest for tests, loaded with
 * LD_PRELOAD.  ioctl() on a file descriptor of the file named by
 * AG_EMUL_SEV_GUEST is answered the way the sev-guest driver answers
 * SNP_GET_REPORT and SNP_GET_EXT_REPORT, with reports and cert tables made
 * by tee_emul.py (AG_EMUL_PY, AG_EMUL_SCRIPT, AG_EMUL_DIR) from a test
 * chain.  AG_EMUL_NO_EXT=1 makes the extended request unsupported,
 * AG_EMUL_CERTS_PAD=N makes the host's cert table N bytes longer, and each
 * request is logged to AG_EMUL_LOG when that is set.  Every
 * other ioctl goes to the real one.  Test code only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/sev-guest.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

static int
is_emulated(int fd)
{
	const char *path = getenv("AG_EMUL_SEV_GUEST");
	struct stat a, b;

	return path != NULL && fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Runs tee_emul.py with args and reads its output into buf; the length, or -1. */
static long
emul(const char *args, unsigned char *buf, size_t cap)
{
	char cmd[8192];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "'%s' '%s' %s", getenv("AG_EMUL_PY"), getenv("AG_EMUL_SCRIPT"), args);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	n = fread(buf, 1, cap, p);
	return pclose(p) == 0 ? (long)n : -1;
}

static int
report(const struct snp_report_req *req, struct snp_report_resp *resp)
{
	char args[512], hex[129];
	unsigned char r[2048];
	long n;

	for (int i = 0; i < 64; i++)
		sprintf(hex + 2 * i, "%02x", req->user_data[i]);
	snprintf(args, sizeof(args), "snp-report '%s' %s %u", getenv("AG_EMUL_DIR"), hex, req->vmpl);
	n = emul(args, r, sizeof(r));
	if (n != 0x4A0)
		return -1;
	memset(resp, 0, sizeof(*resp));
	resp->data[4] = 0xA0; /* report size 0x4A0, little endian */
	resp->data[5] = 0x04;
	memcpy(resp->data + 32, r, (size_t)n);
	return 0;
}

static void
log_request(const char *what, unsigned certs_len, unsigned need)
{
	FILE *f = getenv("AG_EMUL_LOG") != NULL ? fopen(getenv("AG_EMUL_LOG"), "a") : NULL;

	if (f != NULL) {
		fprintf(f, "%s certs_len=%u need=%u\n", what, certs_len, need);
		fclose(f);
	}
}

static int
emulate(unsigned long req, struct snp_guest_request_ioctl *io)
{
	if (io->msg_version != 1) {
		errno = EINVAL;
		return -1;
	}
	if (req == SNP_GET_REPORT) {
		log_request("SNP_GET_REPORT", 0, 0);
		if (report((const struct snp_report_req *)(uintptr_t)io->req_data,
			(struct snp_report_resp *)(uintptr_t)io->resp_data) != 0) {
			errno = EIO;
			return -1;
		}
		return 0;
	}
	if (req == SNP_GET_EXT_REPORT) {
		struct snp_ext_report_req *ext = (struct snp_ext_report_req *)(uintptr_t)io->req_data;
		static unsigned char table[65536];
		char args[512];
		long n;
		unsigned need;

		memset(table, 0, sizeof(table));
		if (getenv("AG_EMUL_NO_EXT") != NULL) {
			errno = ENOTTY;
			return -1;
		}
		if (ext->certs_len % 4096 != 0) {
			errno = EINVAL;
			return -1;
		}
		snprintf(args, sizeof(args), "certtable '%s'", getenv("AG_EMUL_DIR"));
		n = emul(args, table, sizeof(table));
		if (n <= 0) {
			errno = EIO;
			return -1;
		}
		if (getenv("AG_EMUL_CERTS_PAD") != NULL && n + atol(getenv("AG_EMUL_CERTS_PAD")) <= (long)sizeof(table))
			n += atol(getenv("AG_EMUL_CERTS_PAD"));
		need = ((unsigned)n + 4095) / 4096 * 4096;
		log_request("SNP_GET_EXT_REPORT", ext->certs_len, need);
		if (ext->certs_len < need) {
			/* What the driver does when the host's table does not fit: say how large it is. */
			ext->certs_len = need;
			io->exitinfo2 = (unsigned long long)SNP_GUEST_VMM_ERR_INVALID_LEN << 32;
			errno = EIO;
			return -1;
		}
		memset((void *)(uintptr_t)ext->certs_address, 0, ext->certs_len);
		memcpy((void *)(uintptr_t)ext->certs_address, table, (size_t)n);
		if (report(&ext->data, (struct snp_report_resp *)(uintptr_t)io->resp_data) != 0) {
			errno = EIO;
			return -1;
		}
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

int
ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (is_emulated(fd))
		return emulate(req, arg);
	if (real == NULL)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real(fd, req, arg);
}
