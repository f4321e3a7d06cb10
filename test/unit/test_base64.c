/*
 * test_base64.c - lib/base/base64.c: strict base64 and base64url.  RFC 4648
 * §10 vectors in the three encodings, round trips of every length, the
 * canonical-only rules (no whitespace, no padding in base64url, no '=' in
 * the middle, no non-zero trailing bits, no other alphabet), Go's padded
 * base64url, the input size cap, and the real MAA tokens and kata-cc
 * security context of ../shared/vectors (skipped visibly when absent).
 */
#include "testutil.h"

#include "base/base64.h"
#include "base/fileio.h"

#define B64_MAX_IN (16u * 1024 * 1024)

static const char *
shared_dir(void)
{
	return getenv("AG_SHARED") != NULL ? getenv("AG_SHARED") : "../shared";
}

static const struct {
	const char *raw, *std, *url, *url_padded;
} RFC4648[] = { { "", "", "", "" }, { "f", "Zg==", "Zg", "Zg==" }, { "fo", "Zm8=", "Zm8", "Zm8=" },
	{ "foo", "Zm9v", "Zm9v", "Zm9v" }, { "foob", "Zm9vYg==", "Zm9vYg", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy", "Zm9vYmFy", "Zm9vYmFy" },
	{ "\xfb\xff", "+/8=", "-_8", "-_8=" }, { "\xfb\xef\xbe", "++++", "----", "----" },
	{ "\xff\xff\xff", "////", "____", "____" } };

#define NVEC (sizeof(RFC4648) / sizeof(RFC4648[0]))

static void
test_encode_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVEC; i++) {
		const uint8_t *raw = (const uint8_t *)RFC4648[i].raw;
		size_t n = strlen(RFC4648[i].raw);
		char *s = ag_b64_encode(raw, n), *u = ag_b64url_encode(raw, n), *p = ag_b64url_encode_padded(raw, n);

		assert_non_null(s);
		assert_non_null(u);
		assert_non_null(p);
		assert_string_equal(s, RFC4648[i].std);
		assert_string_equal(u, RFC4648[i].url);
		assert_string_equal(p, RFC4648[i].url_padded);
		free(s);
		free(u);
		free(p);
	}
}

/* Decodes with f and checks the bytes and the NUL after them. */
static void
decodes_to(int (*f)(const char *, size_t, uint8_t **, size_t *), const char *in, const char *raw)
{
	uint8_t *out = NULL;
	size_t len = 99;

	if (f(in, strlen(in), &out, &len) != 0)
		fail_msg("\"%s\" refused", in);
	assert_non_null(out);
	assert_int_equal(len, strlen(raw));
	assert_memory_equal(out, raw, len);
	assert_int_equal(out[len], '\0');
	free(out);
}

static void
test_decode_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVEC; i++) {
		decodes_to(ag_b64_decode, RFC4648[i].std, RFC4648[i].raw);
		decodes_to(ag_b64url_decode, RFC4648[i].url, RFC4648[i].raw);
		decodes_to(ag_b64url_decode_any_padding, RFC4648[i].url, RFC4648[i].raw);
		decodes_to(ag_b64url_decode_any_padding, RFC4648[i].url_padded, RFC4648[i].raw);
	}
}

/* Asserts f refuses in and leaves *out NULL, *out_len 0. */
static void
refuses(int (*f)(const char *, size_t, uint8_t **, size_t *), const char *in, size_t n, const char *name)
{
	uint8_t *out = (uint8_t *)1;
	size_t len = 99;

	if (f(in, n, &out, &len) != -1)
		fail_msg("%s accepted \"%.*s\"", name, (int)n, in);
	assert_null(out);
	assert_int_equal(len, 0);
}

static void
test_std_rejects(void **state)
{
	static const char *const bad[] = { "Zg", "Zg=", "Zm9", "Zh==", "Zm9=", "Zm9vYh==", "Zg==Zg==",
		"Z===", "====", "=Zg=", "Zm9v\n", "Zm9 v", " Zm9", "Zm9v\r\n", "-_8=", "Zg-=", "Zm9v!", "Zm\xc3\xa9" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuses(ag_b64_decode, bad[i], strlen(bad[i]), "ag_b64_decode");
	refuses(ag_b64_decode, "Zm\0v", 4, "ag_b64_decode");
}

static void
test_url_rejects(void **state)
{
	static const char *const bad[] = { "Zg==", "Zm8=", "+/8", "-/8", "Z", "Zm9vY", "Zh", "Zm9", "Zm9vYh",
		"Zm 9v", "Zm9v\n", "Zg=", "Zm9v=", "Zm.v", "Zm9v\t" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuses(ag_b64url_decode, bad[i], strlen(bad[i]), "ag_b64url_decode");
	refuses(ag_b64url_decode, "Zm\0v", 4, "ag_b64url_decode");
}

static void
test_any_padding_rejects(void **state)
{
	static const char *const bad[] = { "Zg=", "Zg===", "Zm8==", "Zg=a", "Zh==", "Zm9=", "+/8=", "Z===",
		"====", "Zm9vY===", "=" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuses(ag_b64url_decode_any_padding, bad[i], strlen(bad[i]), "ag_b64url_decode_any_padding");
}

static void
test_round_trip_every_length(void **state)
{
	uint8_t raw[300], *out;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 131 + 7);
	for (size_t n = 0; n <= sizeof(raw); n++) {
		char *s = ag_b64_encode(raw, n), *u = ag_b64url_encode(raw, n), *p = ag_b64url_encode_padded(raw, n);

		assert_int_equal(strlen(s), 4 * ((n + 2) / 3));
		assert_int_equal(strlen(p), strlen(s));
		assert_null(strchr(u, '='));
		assert_int_equal(ag_b64_decode(s, strlen(s), &out, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, raw, n);
		free(out);
		assert_int_equal(ag_b64url_decode(u, strlen(u), &out, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, raw, n);
		free(out);
		assert_int_equal(ag_b64url_decode_any_padding(p, strlen(p), &out, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, raw, n);
		free(out);
		free(s);
		free(u);
		free(p);
	}
}

static void
test_size_cap(void **state)
{
	size_t n = B64_MAX_IN + 4;
	uint8_t *big = malloc(n);

	(void)state;
	assert_non_null(big);
	memset(big, 'A', n);
	assert_null(ag_b64_encode(big, B64_MAX_IN + 1));
	assert_null(ag_b64url_encode(big, B64_MAX_IN + 1));
	assert_null(ag_b64url_encode_padded(big, B64_MAX_IN + 1));
	refuses(ag_b64_decode, (const char *)big, n, "ag_b64_decode");
	refuses(ag_b64url_decode, (const char *)big, n, "ag_b64url_decode");
	refuses(ag_b64url_decode_any_padding, (const char *)big, n, "ag_b64url_decode_any_padding");
	free(big);
}

/* Every segment of a real token decodes and re-encodes to itself (canonical). */
static void
check_jwt_file(const char *path)
{
	uint8_t *jwt = NULL, *seg;
	size_t len = 0, seg_len;
	struct ag_err err;
	char *p, *dot;
	int segments = 0;

	assert_int_equal(ag_file_read(path, 65536, AG_EINVALID, &jwt, &len, &err), AG_OK);
	for (p = (char *)jwt; p != NULL; p = dot != NULL ? dot + 1 : NULL, segments++) {
		char *again;

		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		assert_int_equal(ag_b64url_decode(p, len, &seg, &seg_len), 0);
		if (segments < 2)
			assert_int_equal(seg[0], '{');
		again = ag_b64url_encode(seg, seg_len);
		assert_int_equal(strlen(again), len);
		assert_memory_equal(again, p, len);
		free(again);
		free(seg);
	}
	assert_int_equal(segments, 3);
	free(jwt);
}

static void
test_real_vectors(void **state)
{
	static const char *const jwts[] = { "vectors/maa/azureguest-cvm-token-sharedweu-2023.jwt",
		"vectors/maa/sevsnpvm-token-sharedweu-test-2025.jwt", "vectors/maa/sharedwus-sgx-token-2022-05-31.jwt" };
	char *ctx = tu_path(shared_dir(), "vectors/kata-cc/security-context-example/host-amd-cert-base64");
	uint8_t *b64 = NULL, *json = NULL;
	size_t b64_len = 0, json_len = 0;
	struct ag_err err;

	(void)state;
	if (access(ctx, R_OK) != 0) {
		free(ctx);
		print_message("# skipped: ../shared/vectors is not present\n");
		skip();
	}
	for (size_t i = 0; i < sizeof(jwts) / sizeof(jwts[0]); i++) {
		char *p = tu_path(shared_dir(), jwts[i]);

		check_jwt_file(p);
		free(p);
	}
	assert_int_equal(ag_file_read(ctx, 65536, AG_EINVALID, &b64, &b64_len, &err), AG_OK);
	assert_int_equal(ag_b64_decode((char *)b64, b64_len, &json, &json_len), 0);
	assert_int_equal(json_len, b64_len / 4 * 3 - 1);   /* one '=' of padding */
	assert_non_null(strstr((char *)json, "\"vcekCert\""));
	free(json);
	/* The same text as a file saved with a final newline is refused, not trimmed. */
	b64 = realloc(b64, b64_len + 2);
	assert_non_null(b64);
	memcpy(b64 + b64_len, "\n", 2);
	assert_int_equal(ag_b64_decode((char *)b64, b64_len + 1, &json, &json_len), -1);
	assert_null(json);
	free(b64);
	free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_vectors),
		cmocka_unit_test(test_decode_vectors),
		cmocka_unit_test(test_std_rejects),
		cmocka_unit_test(test_url_rejects),
		cmocka_unit_test(test_any_padding_rejects),
		cmocka_unit_test(test_round_trip_every_length),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_real_vectors),
	};

	return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
