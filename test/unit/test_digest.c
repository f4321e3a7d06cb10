/*
 * test_digest.c - lib/base/digest.c: SHA-256 (FIPS 180-2 vectors), lower-case
 * hex out, strict hex in (length, alphabet, either case, bounds of the
 * variable form), the SHA-256 pin shape and constant-time equality; and
 * the real kata-cc policy of ../shared/vectors/kata-cc, whose digest is the
 * HOST_DATA of the SNP report next to it (skipped visibly when absent).
 */
#include "testutil.h"

#include "base/base64.h"
#include "base/digest.h"
#include "base/fileio.h"

static const char *const SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char *const SHA_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static const char *
shared_dir(void)
{
	return getenv("AG_SHARED") != NULL ? getenv("AG_SHARED") : "../shared";
}

static void
test_sha256_vectors(void **state)
{
	static const char *const two =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t d[AG_SHA256_LEN], want[AG_SHA256_LEN];
	char hex[AG_SHA256_HEX_LEN + 1];

	(void)state;
	assert_int_equal(ag_sha256("abc", 3, d), 0);
	assert_int_equal(ag_hex_decode(SHA_ABC, want, sizeof(want)), 0);
	assert_memory_equal(d, want, AG_SHA256_LEN);
	assert_int_equal(ag_sha256_hex("abc", 3, hex), 0);
	assert_string_equal(hex, SHA_ABC);
	assert_int_equal(ag_sha256_hex("", 0, hex), 0);
	assert_string_equal(hex, SHA_EMPTY);
	assert_int_equal(ag_sha256_hex(two, strlen(two), hex), 0);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* One bit of input changes the digest. */
	assert_int_equal(ag_sha256_hex("abd", 3, hex), 0);
	assert_string_not_equal(hex, SHA_ABC);
}

static void
test_hex_encode(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof(in) + 1];
	char empty[1] = { 'x' };

	(void)state;
	memset(out, 'x', sizeof(out));
	ag_hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "00017f80abff");
	ag_hex_encode(in, 0, empty);
	assert_string_equal(empty, "");
}

static void
test_hex_decode(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(ag_hex_decode("00ff7Fa0", out, 4), 0);
	assert_memory_equal(out, "\x00\xff\x7f\xa0", 4);
	assert_int_equal(ag_hex_decode("DEADbeef", out, 4), 0);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
	assert_int_equal(ag_hex_decode("", out, 0), 0);
	/* Exactly 2*len digits: no more, no fewer. */
	assert_int_equal(ag_hex_decode("00ff7f", out, 4), -1);
	assert_int_equal(ag_hex_decode("00ff7fa0b", out, 4), -1);
	assert_int_equal(ag_hex_decode("00ff7fa000", out, 4), -1);
	assert_int_equal(ag_hex_decode("", out, 1), -1);
	/* Only hex digits. */
	assert_int_equal(ag_hex_decode("00ff7fag", out, 4), -1);
	assert_int_equal(ag_hex_decode("0xff7fa0", out, 4), -1);
	assert_int_equal(ag_hex_decode(" 0ff7fa0", out, 4), -1);
	assert_int_equal(ag_hex_decode("+0ff7fa0", out, 4), -1);
	assert_int_equal(ag_hex_decode("00ff7f:0", out, 4), -1);
	assert_int_equal(ag_hex_decode("00ff7f\xc3\xa0", out, 4), -1);
}

static void
test_hex_decode_var(void **state)
{
	uint8_t out[4];
	size_t len = 99;

	(void)state;
	assert_int_equal(ag_hex_decode_var("ab", out, 4, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(ag_hex_decode_var("01020304", out, 4, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(out, "\x01\x02\x03\x04", 4);
	len = 99;
	assert_int_equal(ag_hex_decode_var("0102030405", out, 4, &len), -1);   /* over max */
	assert_int_equal(len, 0);
	len = 99;
	assert_int_equal(ag_hex_decode_var("", out, 4, &len), -1);             /* empty */
	assert_int_equal(len, 0);
	assert_int_equal(ag_hex_decode_var("abc", out, 4, &len), -1);          /* odd */
	assert_int_equal(ag_hex_decode_var("zz", out, 4, &len), -1);           /* not hex */
	assert_int_equal(len, 0);
	assert_int_equal(ag_hex_decode_var("00", out, 0, &len), -1);           /* max 0 */
}

static void
test_is_sha256_hex(void **state)
{
	char s[AG_SHA256_HEX_LEN + 2];

	(void)state;
	assert_true(ag_is_sha256_hex(SHA_ABC));
	assert_true(ag_is_sha256_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
	assert_false(ag_is_sha256_hex(NULL));
	assert_false(ag_is_sha256_hex(""));
	strcpy(s, SHA_ABC);
	s[63] = '\0';
	assert_false(ag_is_sha256_hex(s));   /* 63 digits */
	strcpy(s, SHA_ABC);
	strcat(s, "0");
	assert_false(ag_is_sha256_hex(s));   /* 65 digits */
	strcpy(s, SHA_ABC);
	s[10] = 'g';
	assert_false(ag_is_sha256_hex(s));
	s[10] = ' ';
	assert_false(ag_is_sha256_hex(s));
	strcpy(s, SHA_ABC);
	s[0] = 's';
	assert_false(ag_is_sha256_hex(s));
}

static void
test_ct_equal(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	memset(a, 0x42, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_int_equal(ag_ct_equal(a, b, sizeof(a)), 1);
	assert_int_equal(ag_ct_equal(a, b, 0), 1);
	b[0] ^= 1;
	assert_int_equal(ag_ct_equal(a, b, sizeof(a)), 0);
	assert_int_equal(ag_ct_equal(a + 1, b + 1, sizeof(a) - 1), 1);
	b[0] ^= 1;
	b[31] ^= 0x80;
	assert_int_equal(ag_ct_equal(a, b, sizeof(a)), 0);
	assert_int_equal(ag_ct_equal(a, b, sizeof(a) - 1), 1);
}

/* SHA-256 of the decoded kata-cc policy is the HOST_DATA (offset 0xc0) of the real sidecar SNP report. */
static void
test_real_policy_digest(void **state)
{
	char *b64p = tu_path(shared_dir(), "vectors/kata-cc/sidecar-cce-policy.rego.base64");
	char *repp = tu_path(shared_dir(), "vectors/kata-cc/sidecar-snp-report.bin");
	uint8_t *b64 = NULL, *rep = NULL, *rego = NULL, d[AG_SHA256_LEN];
	size_t b64_len = 0, rep_len = 0, rego_len = 0;
	char hex[AG_SHA256_HEX_LEN + 1], host[AG_SHA256_HEX_LEN + 1];
	struct ag_err err;

	(void)state;
	if (access(b64p, R_OK) != 0 || access(repp, R_OK) != 0) {
		free(b64p);
		free(repp);
		print_message("# skipped: ../shared/vectors/kata-cc is not present\n");
		skip();
	}
	assert_int_equal(ag_file_read(b64p, 65536, AG_EINVALID, &b64, &b64_len, &err), AG_OK);
	assert_int_equal(ag_file_read(repp, 4096, AG_EINVALID, &rep, &rep_len, &err), AG_OK);
	assert_int_equal(rep_len, 1184);
	assert_int_equal(ag_b64_decode((char *)b64, b64_len, &rego, &rego_len), 0);
	assert_int_equal(ag_sha256(rego, rego_len, d), 0);
	assert_memory_equal(d, rep + 0xc0, AG_SHA256_LEN);
	assert_int_equal(ag_sha256_hex(rego, rego_len, hex), 0);
	ag_hex_encode(rep + 0xc0, AG_SHA256_LEN, host);
	assert_string_equal(hex, host);
	assert_string_equal(hex, "cadd74f71ebb8fbf9782baab649612520f3c416bc5ce9ac768808ddc8d9b031c");
	assert_true(ag_is_sha256_hex(hex));
	free(b64);
	free(rep);
	free(rego);
	free(b64p);
	free(repp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_hex_decode),
		cmocka_unit_test(test_hex_decode_var),
		cmocka_unit_test(test_is_sha256_hex),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_real_policy_digest),
	};

	return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}
