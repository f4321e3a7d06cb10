/*
 * test_sev_guest.c - lib/node/sev_guest.c without SEV-SNP hardware: devices
 * that are missing, a directory, or no sev-guest driver (/dev/null, a plain
 * file), and an emulated /dev/sev-guest.  The emulation is this binary's
 * own ioctl() (which the library's calls resolve to), answering on the
 * file descriptors of one plain file the way the driver answers
 * SNP_GET_EXT_REPORT and SNP_GET_REPORT, as test/emul/sev_guest_shim.c does
 * under LD_PRELOAD; every other ioctl is the real system call.  Checked:
 * the request (message version, user data, VMPL), the report copied out of
 * the response, the cert table and its growth when the host says it is
 * larger, the fallback when there are no extended reports, firmware and
 * VMM errors, and the caps.  A real report and a real cert table of
 * ../shared/vectors go through the emulation when present.
 */
#include "standin.h"

#include <linux/sev-guest.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "format/snp.h"
#include "node/sev_guest.h"

/* --- the emulated /dev/sev-guest ---------------------------------------- */

static struct {
	char device[4096];         /* the plain file whose descriptors are emulated; "" for none */
	int no_ext;                /* SNP_GET_EXT_REPORT: ENOTTY, as a driver without extended reports */
	unsigned long long no_ext_exitinfo2;
	const uint8_t *table;      /* the host's cert table (NULL: none) */
	size_t table_len;
	uint32_t claim_len;        /* nonzero: INVALID_LEN says this size whatever was passed */
	int unaligned;             /* INVALID_LEN says the table's exact size, not whole pages */
	uint32_t status, size;     /* the response's status and report size */
	const uint8_t *report;     /* the report to return (NULL: made from the request) */
	int fail_errno;            /* nonzero: the request fails with it, fw_error and vmm_error set */
	uint32_t fw_error, vmm_error;
	/* What the library asked. */
	int ext_calls, plain_calls, bad_version;
	uint32_t certs_lens[8], vmpl;
	uint8_t user_data[64];
} dev;

static void
dev_reset(const char *device)
{
	memset(&dev, 0, sizeof(dev));
	if (device != NULL)
		snprintf(dev.device, sizeof(dev.device), "%s", device);
	dev.size = AG_SNP_REPORT_LEN;
}

static int
emulated(int fd)
{
	struct stat a, b;

	return dev.device[0] != '\0' && fstat(fd, &a) == 0 && stat(dev.device, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino;
}

/* The response to a report request: status, size, 24 reserved bytes, the report. */
static void
respond(const struct snp_report_req *req, struct snp_report_resp *resp)
{
	uint8_t *r = resp->data + 32;

	memcpy(dev.user_data, req->user_data, 64);
	dev.vmpl = req->vmpl;
	memset(resp, 0, sizeof(*resp));
	memcpy(resp->data, &dev.status, 4);
	memcpy(resp->data + 4, &dev.size, 4);
	if (dev.report != NULL) {
		memcpy(r, dev.report, AG_SNP_REPORT_LEN);
		return;
	}
	/* A report-shaped answer: version 2, VMPL at 0x30, REPORT_DATA at 0x50, filler elsewhere. */
	memset(r, 0x5c, AG_SNP_REPORT_LEN);
	r[0] = 2;
	memcpy(r + 0x30, &req->vmpl, 4);
	memcpy(r + 0x50, req->user_data, 64);
}

static int
ext_report(struct snp_guest_request_ioctl *io)
{
	struct snp_ext_report_req *ext = (struct snp_ext_report_req *)(uintptr_t)io->req_data;
	uint32_t need = dev.claim_len != 0 ? dev.claim_len : dev.unaligned ? (uint32_t)dev.table_len :
		(uint32_t)((dev.table_len + 4095) / 4096 * 4096);

	if (dev.ext_calls < 8)
		dev.certs_lens[dev.ext_calls] = ext->certs_len;
	dev.ext_calls++;
	/* The driver takes the certificate buffer in whole pages only. */
	if (ext->certs_len % 4096 != 0) {
		errno = EINVAL;
		return -1;
	}
	if (dev.no_ext) {
		io->exitinfo2 = dev.no_ext_exitinfo2;
		errno = ENOTTY;
		return -1;
	}
	if (dev.table != NULL && (ext->certs_len < need || dev.claim_len != 0)) {
		/* What the driver does when the host's table does not fit: say how large it is. */
		ext->certs_len = need;
		io->exitinfo2 = (unsigned long long)SNP_GUEST_VMM_ERR_INVALID_LEN << 32;
		errno = EIO;
		return -1;
	}
	memset((void *)(uintptr_t)ext->certs_address, 0, ext->certs_len);
	if (dev.table != NULL)
		memcpy((void *)(uintptr_t)ext->certs_address, dev.table, dev.table_len);
	respond(&ext->data, (struct snp_report_resp *)(uintptr_t)io->resp_data);
	return 0;
}

static int
emulate(unsigned long req, struct snp_guest_request_ioctl *io)
{
	if (io->msg_version != 1) {
		dev.bad_version++;
		errno = EINVAL;
		return -1;
	}
	if (dev.fail_errno != 0) {
		if (req == SNP_GET_EXT_REPORT)
			dev.ext_calls++;
		else
			dev.plain_calls++;
		io->exitinfo2 = (unsigned long long)dev.vmm_error << 32 | dev.fw_error;
		errno = dev.fail_errno;
		return -1;
	}
	if (req == SNP_GET_EXT_REPORT)
		return ext_report(io);
	if (req == SNP_GET_REPORT) {
		dev.plain_calls++;
		respond((const struct snp_report_req *)(uintptr_t)io->req_data,
		    (struct snp_report_resp *)(uintptr_t)io->resp_data);
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

int
ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (emulated(fd))
		return emulate(req, arg);
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

/* --- tests --------------------------------------------------------------- */

struct env {
	char *dir, *device;
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->dir = tu_mkdtemp();
	e->device = tu_path(e->dir, "sev-guest");
	tu_write(e->dir, "sev-guest", "");
	dev_reset(e->device);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	dev_reset(NULL);
	tu_rmtree(e->dir);
	free(e->device);
	free(e->dir);
	free(e);
	return 0;
}

static void
user_data_of(uint8_t ud[64], uint8_t seed)
{
	for (int i = 0; i < 64; i++)
		ud[i] = (uint8_t)(seed ^ (i * 11));
}

/* Asks for a report, expecting AG_EEVIDENCE with why in the message and nothing returned. */
static void
expect_fail(const char *device, int with_certs, const char *why)
{
	uint8_t ud[64], *report = (uint8_t *)"x", *certs = (uint8_t *)"x";
	size_t rlen = 1, clen = 1;
	struct ag_err err;

	user_data_of(ud, 1);
	ag_err_clear(&err);
	assert_int_equal(ag_sev_guest_report(device, ud, 0, &report, &rlen, with_certs ? &certs : NULL,
	    with_certs ? &clen : NULL, &err), AG_EEVIDENCE);
	if (strstr(err.msg, why) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, why);
	assert_null(report);
	assert_int_equal(rlen, 0);
	if (with_certs) {
		assert_null(certs);
		assert_int_equal(clen, 0);
	}
}

static void
test_no_device(void **state)
{
	struct env *e = *state;
	char *other = tu_path(e->dir, "plain");

	expect_fail("/nonexistent/dev/sev-guest", 1, "cannot open /nonexistent/dev/sev-guest: No such file or directory");
	expect_fail("/nonexistent/dev/sev-guest", 0, "cannot open /nonexistent/dev/sev-guest");
	expect_fail(e->dir, 1, "Is a directory");
	/* No sev-guest driver behind it: the extended request, then the plain one, both refused. */
	expect_fail("/dev/null", 1, "report request failed: Inappropriate ioctl for device");
	expect_fail("/dev/null", 0, "report request failed: Inappropriate ioctl for device");
	tu_write(e->dir, "plain", "");
	expect_fail(other, 1, "Inappropriate ioctl for device");
	assert_int_equal(dev.ext_calls + dev.plain_calls, 0);
	free(other);
}

static void
test_extended_report(void **state)
{
	struct env *e = *state;
	uint8_t ud[64], table[3000], *report = NULL, *certs = NULL;
	size_t rlen = 0, clen = 0;
	struct ag_err err;

	for (size_t i = 0; i < sizeof(table); i++)
		table[i] = (uint8_t)(i + 1);
	dev.table = table;
	dev.table_len = sizeof(table);
	user_data_of(ud, 0x42);
	assert_int_equal(ag_sev_guest_report(e->device, ud, 2, &report, &rlen, &certs, &clen, &err), AG_OK);
	assert_int_equal(rlen, AG_SNP_REPORT_LEN);
	assert_memory_equal(report + 0x50, ud, 64);
	assert_int_equal(report[0x30], 2);
	assert_int_equal(report[AG_SNP_REPORT_LEN - 1], 0x5c);
	/* The request: version 1, the caller's user data and VMPL, one page for the certificates. */
	assert_int_equal(dev.bad_version, 0);
	assert_memory_equal(dev.user_data, ud, 64);
	assert_int_equal(dev.vmpl, 2);
	assert_int_equal(dev.ext_calls, 1);
	assert_int_equal(dev.plain_calls, 0);
	assert_int_equal(dev.certs_lens[0], 4096);
	/* The whole buffer comes back: the table, then zeros. */
	assert_int_equal(clen, 4096);
	assert_memory_equal(certs, table, sizeof(table));
	assert_true(certs[sizeof(table)] == 0 && certs[4095] == 0);
	free(report);
	free(certs);
}

static void
test_cert_table_grows(void **state)
{
	struct env *e = *state;
	static uint8_t table[AG_SEV_GUEST_CERTS_MAX + 1];
	uint8_t ud[64], *report = NULL, *certs = NULL;
	size_t rlen = 0, clen = 0;
	struct ag_err err;

	memset(table, 0xab, sizeof(table));
	user_data_of(ud, 3);
	/* The host's table needs three pages: it says so, and the second request has room. */
	dev.table = table;
	dev.table_len = 9000;
	assert_int_equal(ag_sev_guest_report(e->device, ud, 0, &report, &rlen, &certs, &clen, &err), AG_OK);
	assert_int_equal(dev.ext_calls, 2);
	assert_int_equal(dev.certs_lens[0], 4096);
	assert_int_equal(dev.certs_lens[1], 12288);
	assert_int_equal(clen, 12288);
	assert_int_equal(certs[8999], 0xab);
	assert_int_equal(certs[9000], 0);
	assert_memory_equal(report + 0x50, ud, 64);
	free(report);
	free(certs);
	/* A size that is not whole pages is rounded up to them. */
	dev_reset(e->device);
	dev.table = table;
	dev.table_len = 9000;
	dev.unaligned = 1;
	assert_int_equal(ag_sev_guest_report(e->device, ud, 0, &report, &rlen, &certs, &clen, &err), AG_OK);
	assert_int_equal(dev.certs_lens[1], 12288);
	assert_int_equal(clen, 12288);
	assert_int_equal(dev.plain_calls, 0);
	free(report);
	free(certs);
	/* Exactly the cap still fits. */
	dev_reset(e->device);
	dev.table = table;
	dev.table_len = AG_SEV_GUEST_CERTS_MAX;
	assert_int_equal(ag_sev_guest_report(e->device, ud, 0, &report, &rlen, &certs, &clen, &err), AG_OK);
	assert_int_equal(clen, AG_SEV_GUEST_CERTS_MAX);
	free(report);
	free(certs);
	/* Larger than the cap: refused, never an unbounded buffer. */
	dev_reset(e->device);
	dev.table = table;
	dev.table_len = sizeof(table);
	expect_fail(e->device, 1, "the host's cert table (69632 bytes) is larger than 65536 bytes");
	assert_int_equal(dev.ext_calls, 1);
	/* A host that says "too small" for the size it was given: an error, not a loop. */
	dev_reset(e->device);
	dev.table = table;
	dev.table_len = 100;
	dev.claim_len = 4096;
	expect_fail(e->device, 1, "cert table");
	assert_int_equal(dev.ext_calls, 1);
}

static void
test_no_extended_reports(void **state)
{
	struct env *e = *state;
	uint8_t ud[64], *report = NULL, *certs = (uint8_t *)"x";
	size_t rlen = 0, clen = 1;
	struct ag_err err;

	user_data_of(ud, 9);
	/* A driver without SNP_GET_EXT_REPORT: the plain report, no certificates. */
	dev.no_ext = 1;
	assert_int_equal(ag_sev_guest_report(e->device, ud, 1, &report, &rlen, &certs, &clen, &err), AG_OK);
	assert_int_equal(dev.ext_calls, 1);
	assert_int_equal(dev.plain_calls, 1);
	assert_null(certs);
	assert_int_equal(clen, 0);
	assert_memory_equal(report + 0x50, ud, 64);
	assert_int_equal(dev.vmpl, 1);
	free(report);
	/* The same refusal with a firmware answer (exitinfo2) is an error, not a fallback. */
	dev_reset(e->device);
	dev.no_ext = 1;
	dev.no_ext_exitinfo2 = 0x16;
	expect_fail(e->device, 1, "report request failed");
	assert_int_equal(dev.plain_calls, 0);
	/* A host with no cert table (all zero): no certificates. */
	dev_reset(e->device);
	assert_int_equal(ag_sev_guest_report(e->device, ud, 0, &report, &rlen, &certs, &clen, &err), AG_OK);
	assert_null(certs);
	assert_int_equal(clen, 0);
	free(report);
	/* Certificates not asked for: the plain request only. */
	dev_reset(e->device);
	assert_int_equal(ag_sev_guest_report(e->device, ud, 3, &report, &rlen, NULL, NULL, &err), AG_OK);
	assert_int_equal(dev.ext_calls, 0);
	assert_int_equal(dev.plain_calls, 1);
	assert_int_equal(dev.vmpl, 3);
	free(report);
}

static void
test_firmware_errors(void **state)
{
	struct env *e = *state;

	/* The firmware answers, but refuses: its status is in the response. */
	dev.status = 0x16;
	expect_fail(e->device, 1, "the firmware refused the report request (status 0x16)");
	expect_fail(e->device, 0, "(status 0x16)");
	dev_reset(e->device);
	dev.size = 1000;
	expect_fail(e->device, 1, "the firmware returned a report of 1000 bytes, not 1184");
	dev_reset(e->device);
	dev.size = AG_SNP_REPORT_LEN + 1;
	expect_fail(e->device, 0, "not 1184");
	/* The request fails: errno, firmware and VMM errors named. */
	dev_reset(e->device);
	dev.fail_errno = EIO;
	dev.fw_error = 0x27;
	dev.vmm_error = SNP_GUEST_VMM_ERR_BUSY;
	expect_fail(e->device, 1, "report request failed: Input/output error (firmware error 0x27, VMM error 0x2)");
	assert_int_equal(dev.ext_calls, 1);
	assert_int_equal(dev.plain_calls, 0);
	expect_fail(e->device, 0, "(firmware error 0x27, VMM error 0x2)");
}

/* Real bytes through the emulation: a report and a GHCB cert table come out unchanged and parse. */
static void
test_real_vectors(void **state)
{
	struct env *e = *state;
	size_t vl = 0, tl = 0, rlen = 0, clen = 0;
	uint8_t *vec = si_vec("snp/milan-v2-virtee/report.bin", &vl),
		*table = si_vec("snp/cert-table/cert_table_milan_constructed.bin", &tl), ud[64], *report = NULL, *certs = NULL;
	struct ag_snp_report r;
	struct ag_err err;

	if (vec == NULL || table == NULL) {
		free(vec);
		free(table);
		skip();
	}
	assert_int_equal(vl, AG_SNP_REPORT_LEN);
	dev.report = vec;
	dev.table = table;
	dev.table_len = tl;
	memcpy(ud, vec + 0x50, 64);
	assert_int_equal(ag_sev_guest_report(e->device, ud, 0, &report, &rlen, &certs, &clen, &err), AG_OK);
	assert_int_equal(rlen, vl);
	assert_memory_equal(report, vec, vl);
	assert_int_equal(clen, (tl + 4095) / 4096 * 4096);
	assert_memory_equal(certs, table, tl);
	assert_int_equal(ag_snp_parse(report, rlen, &r, &err), AG_OK);
	assert_int_equal(r.version, 2);
	assert_memory_equal(r.report_data, ud, 64);
	free(report);
	free(certs);
	free(vec);
	free(table);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extended_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_table_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_extended_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_firmware_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_vectors, setup, teardown),
	};

	return cmocka_run_group_tests_name("sev_guest", tests, NULL, NULL);
}
