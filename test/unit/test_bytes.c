/*
 * test_bytes.c - lib/base/bytes.c: little-endian decoding of firmware fields
 * (byte order, high bits not sign-extended, unaligned reads) and the
 * all-zero check of reserved bytes (each position, empty input), with the
 * real SNP report of ../shared/vectors/snp (skipped visibly when absent).
 */
#include "testutil.h"

#include "base/bytes.h"
#include "base/fileio.h"

static const char *
shared_dir(void)
{
	return getenv("AG_SHARED") != NULL ? getenv("AG_SHARED") : "../shared";
}

static void
test_le32(void **state)
{
	static const uint8_t a[] = { 0x78, 0x56, 0x34, 0x12 };
	static const uint8_t ff[] = { 0xff, 0xff, 0xff, 0xff };
	static const uint8_t hi[] = { 0x00, 0x00, 0x00, 0x80 };
	uint8_t odd[9] = { 0xaa, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };

	(void)state;
	assert_int_equal(ag_le32(a), 0x12345678u);
	assert_int_equal(ag_le32(ff), 0xffffffffu);
	assert_int_equal(ag_le32(hi), 0x80000000u);   /* no sign extension from the top byte */
	assert_int_equal(ag_le32(odd + 1), 0x04030201u);   /* unaligned */
}

static void
test_le64(void **state)
{
	static const uint8_t a[] = { 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01 };
	static const uint8_t hi[] = { 0, 0, 0, 0, 0x80, 0, 0, 0x80 };
	uint8_t odd[9] = { 0xaa, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };

	(void)state;
	assert_true(ag_le64(a) == 0x0123456789abcdefull);
	assert_true(ag_le64(hi) == 0x8000008000000000ull);
	assert_true(ag_le64(odd + 1) == 0x0807060504030201ull);
}

static void
test_all_zero(void **state)
{
	uint8_t z[64];

	(void)state;
	memset(z, 0, sizeof(z));
	assert_true(ag_all_zero(z, sizeof(z)));
	assert_true(ag_all_zero(z, 0));
	assert_true(ag_all_zero(NULL, 0));
	for (size_t i = 0; i < sizeof(z); i++) {
		z[i] = 0x01;
		assert_false(ag_all_zero(z, sizeof(z)));
		/* Bytes past n are not looked at. */
		assert_true(ag_all_zero(z, i));
		z[i] = 0x80;
		assert_false(ag_all_zero(z, i + 1));
		z[i] = 0;
	}
}

/* Fields of a real SNP report at their ABI offsets; its reported TCB is THIM's tcbm 7308000000000003. */
static void
test_real_snp_report(void **state)
{
	char *path = tu_path(shared_dir(), "vectors/kata-cc/sidecar-snp-report.bin");
	uint8_t *r = NULL;
	size_t len = 0;
	struct ag_err err;

	(void)state;
	if (access(path, R_OK) != 0) {
		free(path);
		print_message("# skipped: ../shared/vectors/kata-cc is not present\n");
		skip();
	}
	assert_int_equal(ag_file_read(path, 4096, AG_EINVALID, &r, &len, &err), AG_OK);
	assert_int_equal(len, 1184);
	assert_int_equal(ag_le32(r), 2);          /* report version 2 */
	assert_int_equal(ag_le32(r + 4), 2);      /* guest_svn 2 */
	assert_true(ag_le64(r + 8) == 0x3001full);   /* policy */
	assert_int_equal(ag_le32(r + 0x30), 0);   /* vmpl 0 */
	assert_int_equal(ag_le32(r + 0x34), 1);   /* signature algorithm: ECDSA P-384 */
	assert_true(ag_le64(r + 0x180) == 0x7308000000000003ull);   /* reported_tcb */
	assert_true(ag_all_zero(r + 0x188, 0x18));    /* reserved */
	assert_true(ag_all_zero(r + 0x1f8, 0xa8));    /* reserved */
	assert_false(ag_all_zero(r + 0x50, 64));  /* report_data */
	assert_false(ag_all_zero(r + 0x187, 0x19));   /* one byte into reported_tcb */
	free(r);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_le32),
		cmocka_unit_test(test_le64),
		cmocka_unit_test(test_all_zero),
		cmocka_unit_test(test_real_snp_report),
	};

	return cmocka_run_group_tests_name("bytes", tests, NULL, NULL);
}
