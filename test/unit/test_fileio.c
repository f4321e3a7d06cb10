/*
 * test_fileio.c - lib/base/fileio.c: bounded whole-file reads.  Exactly at
 * the limit and one byte over, files larger than one read chunk, binary
 * content, empty files, endless devices (/dev/zero), and the failure paths:
 * missing files, a path through a regular file, a directory; each failure
 * carries the caller's code, names the file and leaves the outputs alone.
 */
#include "testutil.h"

#include "base/fileio.h"

static void
test_file_read(void **state)
{
	char *dir = tu_mkdtemp(), *p = tu_path(dir, "f"), *missing = tu_path(dir, "missing");
	struct ag_err err;
	uint8_t *d = NULL;
	size_t len = 0;

	(void)state;
	tu_write(dir, "f", "hello");
	assert_int_equal(ag_file_read(p, 5, AG_ECONFIG, &d, &len, &err), AG_OK);
	assert_int_equal(len, 5);
	assert_string_equal((char *)d, "hello");
	free(d);
	assert_int_equal(ag_file_read(p, 4, AG_EINVALID, &d, &len, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "larger than the limit of 4 bytes"));
	assert_int_equal(ag_file_read(missing, 4, AG_ECONFIG, &d, &len, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, missing));
	tu_write(dir, "f", "");
	assert_int_equal(ag_file_read(p, 4, AG_ECONFIG, &d, &len, &err), AG_OK);
	assert_int_equal(len, 0);
	assert_string_equal((char *)d, "");
	free(d);
	free(p);
	free(missing);
	tu_rmtree(dir);
	free(dir);
}

/* Writes n bytes of a pattern (with NULs) to dir/name. */
static void
write_pattern(const char *dir, const char *name, size_t n)
{
	char *p = tu_path(dir, name);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc((int)(i * 7 % 251), f);
	assert_int_equal(fclose(f), 0);
	free(p);
}

static void
test_multi_chunk_and_binary(void **state)
{
	const size_t n = 3 * 8192 + 17;
	char *dir = tu_mkdtemp(), *p = tu_path(dir, "big");
	struct ag_err err;
	uint8_t *d = NULL;
	size_t len = 0;

	(void)state;
	write_pattern(dir, "big", n);
	assert_int_equal(ag_file_read(p, n, AG_EEVIDENCE, &d, &len, &err), AG_OK);
	assert_int_equal(len, n);
	for (size_t i = 0; i < n; i++)
		if (d[i] != (uint8_t)(i * 7 % 251))
			fail_msg("byte %zu is %u", i, d[i]);
	assert_int_equal(d[n], '\0');
	free(d);
	d = (uint8_t *)"untouched";
	len = 1234;
	assert_int_equal(ag_file_read(p, n - 1, AG_EEVIDENCE, &d, &len, &err), AG_EEVIDENCE);
	assert_string_equal((char *)d, "untouched");
	assert_int_equal(len, 1234);
	assert_int_equal(err.code, AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, p));
	free(p);
	tu_rmtree(dir);
	free(dir);
}

static void
test_zero_limit(void **state)
{
	char *dir = tu_mkdtemp(), *p = tu_path(dir, "f");
	struct ag_err err;
	uint8_t *d = NULL;
	size_t len = 9;

	(void)state;
	tu_write(dir, "f", "");
	assert_int_equal(ag_file_read(p, 0, AG_ECONFIG, &d, &len, &err), AG_OK);
	assert_non_null(d);
	assert_int_equal(len, 0);
	assert_int_equal(d[0], '\0');
	free(d);
	tu_write(dir, "f", "x");
	assert_int_equal(ag_file_read(p, 0, AG_ECONFIG, &d, &len, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "limit of 0 bytes"));
	free(p);
	tu_rmtree(dir);
	free(dir);
}

/* An endless device is cut at the limit, never read to the end. */
static void
test_endless_device(void **state)
{
	struct ag_err err;
	uint8_t *d = NULL;
	size_t len = 0;

	(void)state;
	if (access("/dev/zero", R_OK) != 0) {
		print_message("# skipped: /dev/zero is not readable here\n");
		skip();
	}
	assert_int_equal(ag_file_read("/dev/zero", 100000, AG_EEVIDENCE, &d, &len, &err), AG_EEVIDENCE);
	assert_null(d);
	assert_non_null(strstr(err.msg, "/dev/zero is larger than the limit of 100000 bytes"));
}

static void
test_open_and_read_failures(void **state)
{
	char *dir = tu_mkdtemp(), *through = tu_path(dir, "f/child"), *missing = tu_path(dir, "nope");
	struct ag_err err;
	uint8_t *d = NULL;
	size_t len = 0;

	(void)state;
	tu_write(dir, "f", "x");
	ag_err_clear(&err);
	assert_int_equal(ag_file_read(missing, 10, AG_EINVALID, &d, &len, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "cannot open"));
	assert_non_null(strstr(err.msg, "No such file"));
	assert_null(d);
	assert_int_equal(ag_file_read(through, 10, AG_ECONFIG, &d, &len, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, through));
	assert_non_null(strstr(err.msg, "Not a directory"));
	/* A directory opens but cannot be read. */
	assert_int_equal(ag_file_read(dir, 10, AG_EEVIDENCE, &d, &len, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "cannot read"));
	assert_non_null(strstr(err.msg, dir));
	assert_null(d);
	assert_int_equal(ag_file_read("", 10, AG_ECONFIG, &d, &len, &err), AG_ECONFIG);
	/* A NULL err is allowed: the code still comes back. */
	assert_int_equal(ag_file_read(missing, 10, AG_EINVALID, &d, &len, NULL), AG_EINVALID);
	assert_null(d);
	free(through);
	free(missing);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_read),
		cmocka_unit_test(test_multi_chunk_and_binary),
		cmocka_unit_test(test_zero_limit),
		cmocka_unit_test(test_endless_device),
		cmocka_unit_test(test_open_and_read_failures),
	};

	return cmocka_run_group_tests_name("fileio", tests, NULL, NULL);
}
