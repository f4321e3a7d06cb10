/*
 * test_os_release.c - lib/node/os_release.c: NAME and VERSION_ID out of
 * os-release(5) text (quotes, escapes, comments, CRLF, the last assignment
 * winning), the version as Microsoft's AzureGuest client reads it (1.0 when
 * absent or not a number, major 0 refused), the size caps, and reading the
 * node's file (a missing one says what to mount).
 */
#include "testutil.h"

#include "node/os_release.h"

static enum ag_code
parse(const char *text, struct ag_os_release *out, struct ag_err *err)
{
	ag_err_clear(err);
	return ag_os_release_parse(text, strlen(text), out, err);
}

static void
expect(const char *text, const char *name, unsigned major, unsigned minor)
{
	struct ag_os_release r;
	struct ag_err err;

	if (parse(text, &r, &err) != AG_OK)
		fail_msg("parsing \"%s\" failed: %s", text, err.msg);
	assert_string_equal(r.name, name);
	assert_int_equal(r.major, major);
	assert_int_equal(r.minor, minor);
}

static void
expect_fail(const char *text, const char *why)
{
	struct ag_os_release r;
	struct ag_err err;

	assert_int_equal(parse(text, &r, &err), AG_EEVIDENCE);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", text, err.msg, why);
}

static void
test_ubuntu(void **state)
{
	(void)state;
	expect("PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\n"
	       "VERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nID=ubuntu\nID_LIKE=debian\n", "Ubuntu", 22, 4);
	expect("NAME=\"Azure Linux\"\nVERSION_ID=\"3.0.20240824\"\n", "Azure Linux", 3, 0);
	expect("NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n", "Debian GNU/Linux", 12, 0);
	expect("NAME='Fedora Linux'\nVERSION_ID=40\n", "Fedora Linux", 40, 0);
	/* No trailing newline on the last line. */
	expect("NAME=Flatcar\nVERSION_ID=3815.2.5", "Flatcar", 3815, 2);
}

static void
test_quoting_and_layout(void **state)
{
	(void)state;
	/* Backslash escapes in double quotes; none in single quotes. */
	expect("NAME=\"My \\\"quoted\\\" OS\"\n", "My \"quoted\" OS", 1, 0);
	expect("NAME='a\\b'\n", "a\\b", 1, 0);
	expect("NAME=plain\\ word\n", "plain word", 1, 0);
	/* Comments, blank lines, CRLF and trailing blanks. */
	expect("# NAME=Commented\n\n  \nNAME=Real\r\nVERSION_ID=\"8.6\" \t\r\n", "Real", 8, 6);
	/* The last assignment wins, for both keys. */
	expect("NAME=First\nVERSION_ID=1.1\nNAME=Second\nVERSION_ID=2.2\n", "Second", 2, 2);
	/* Keys are matched exactly: NAMEX, PRETTY_NAME and VERSION_IDS are other keys. */
	expect("NAMEX=no\nPRETTY_NAME=no\nNAME=yes\nVERSION_IDS=9.9\n", "yes", 1, 0);
	/* A line without '=' is ignored. */
	expect("garbage line\nNAME=ok\n", "ok", 1, 0);
}

static void
test_versions(void **state)
{
	(void)state;
	/* Absent, or not starting with a number: 1.0, as Microsoft's client. */
	expect("NAME=x\n", "x", 1, 0);
	expect("NAME=x\nVERSION_ID=rolling\n", "x", 1, 0);
	expect("NAME=x\nVERSION_ID=\"\"\n", "x", 1, 0);
	/* Leading digits of each part; a minor that is not a number is 0. */
	expect("NAME=x\nVERSION_ID=7rc1.5beta\n", "x", 7, 5);
	expect("NAME=x\nVERSION_ID=9.x\n", "x", 9, 0);
	expect("NAME=x\nVERSION_ID=2024.\n", "x", 2024, 0);
	/* Too large to be a version: not a number, so 1.0 (never a wrapped value). */
	expect("NAME=x\nVERSION_ID=99999999999999999999\n", "x", 1, 0);
	expect("NAME=x\nVERSION_ID=5.99999999999999999999\n", "x", 5, 0);
	/* Major 0 is refused: the C++ client does not send it. */
	expect_fail("NAME=x\nVERSION_ID=0.9\n", "major version 0");
	expect_fail("NAME=x\nVERSION_ID=\"00\"\n", "major version 0");
}

static void
test_missing_or_bad_name(void **state)
{
	(void)state;
	expect_fail("", "no NAME");
	expect_fail("VERSION_ID=22.04\nID=ubuntu\n", "no NAME");
	expect_fail("NAME=\"\"\n", "no NAME");
	/* An empty NAME after a real one: the last assignment wins, and it is empty. */
	expect_fail("NAME=a\nNAME=\n", "no NAME");
	expect_fail("NAME=\"unterminated\n", "badly quoted");
	expect_fail("NAME='mixed\"\n", "badly quoted");
	expect_fail("VERSION_ID=\"1.0\nNAME=x\n", "VERSION_ID");
}

static void
test_size_caps(void **state)
{
	char text[600];
	struct ag_os_release r;
	struct ag_err err;

	(void)state;
	/* NAME of AG_OS_NAME_MAX - 1 characters fits; one more does not. */
	memcpy(text, "NAME=", 5);
	memset(text + 5, 'n', AG_OS_NAME_MAX - 1);
	text[5 + AG_OS_NAME_MAX - 1] = '\0';
	assert_int_equal(parse(text, &r, &err), AG_OK);
	assert_int_equal(strlen(r.name), AG_OS_NAME_MAX - 1);
	memset(text + 5, 'n', AG_OS_NAME_MAX);
	text[5 + AG_OS_NAME_MAX] = '\0';
	assert_int_equal(parse(text, &r, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "longer than 127"));
	/* A value beyond the parser's buffer (256) is refused, not truncated. */
	memset(text + 5, 'n', 400);
	text[405] = '\0';
	assert_int_equal(parse(text, &r, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "too long"));
	memcpy(text, "VERSION_ID=", 11);
	memset(text + 11, '1', 300);
	strcpy(text + 311, "\nNAME=x\n");
	assert_int_equal(parse(text, &r, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "VERSION_ID"));
	/* Other keys may be long: they are not copied. */
	memcpy(text, "BUG_REPORT_URL=", 15);
	memset(text + 15, 'u', 500);
	strcpy(text + 515, "\nNAME=ok\n");
	assert_int_equal(parse(text, &r, &err), AG_OK);
	assert_string_equal(r.name, "ok");
}

/* Only len bytes are read: a NAME past len is not seen, and no NUL is needed. */
static void
test_length_bounds(void **state)
{
	static const char text[] = "VERSION_ID=5.1\nNAME=hidden\n";
	char exact[10];
	struct ag_os_release r;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_os_release_parse(text, 15, &r, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "no NAME"));
	memcpy(exact, "NAME=abcd", 9);
	exact[9] = 'X';   /* not NUL-terminated: the byte after len must not count */
	assert_int_equal(ag_os_release_parse(exact, 9, &r, &err), AG_OK);
	assert_string_equal(r.name, "abcd");
}

static void
test_read_file(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "os-release"), *missing = tu_path(dir, "absent"), *big;
	struct ag_os_release r;
	struct ag_err err;
	FILE *f;

	(void)state;
	tu_write(dir, "os-release", "NAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\n");
	assert_int_equal(ag_os_release_read(path, &r, &err), AG_OK);
	assert_string_equal(r.name, "Ubuntu");
	assert_int_equal(r.major, 24);
	assert_int_equal(r.minor, 4);
	/* Missing: a configuration error that says what to mount. */
	assert_int_equal(ag_os_release_read(missing, &r, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "/etc/os-release"));
	assert_non_null(strstr(err.msg, "--os-release"));
	/* Present but wrong: evidence error naming the file. */
	tu_write(dir, "os-release", "ID=ubuntu\n");
	assert_int_equal(ag_os_release_read(path, &r, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "no NAME"));
	/* Larger than 64 KiB: refused, never truncated. */
	f = fopen(path, "w");
	assert_non_null(f);
	big = calloc(1, 70000);
	assert_non_null(big);
	memset(big, '#', 69999);
	fprintf(f, "NAME=x\n%s\n", big);
	fclose(f);
	assert_int_not_equal(ag_os_release_read(path, &r, &err), AG_OK);
	/* A directory is not a file. */
	assert_int_not_equal(ag_os_release_read(dir, &r, &err), AG_OK);
	free(big);
	free(path);
	free(missing);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ubuntu),
		cmocka_unit_test(test_quoting_and_layout),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_missing_or_bad_name),
		cmocka_unit_test(test_size_caps),
		cmocka_unit_test(test_length_bounds),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests_name("os_release", tests, NULL, NULL);
}
