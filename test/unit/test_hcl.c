/*
 * test_hcl.c - lib/format/hcl.c only: the HCL report parser, its report_data
 * binding for every hash type, the runtime keys and user data, and the
 * report type names.  Real reports of ../shared/vectors/azure-cvm (skipped
 * visibly when absent) and reports built here for each failure path.  The
 * vTPM quote those reports come with is test_tpm_attest.c's business.
 */
#include "testutil.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base/base64.h"
#include "base/bytes.h"
#include "base/fileio.h"
#include "format/hcl.h"

/* Reads ../shared/vectors/azure-cvm/NAME, or NULL when absent. */
static uint8_t *
vec(const char *name, size_t *len)
{
	return tu_vec_in("azure-cvm", name, len);
}

static EVP_PKEY *
vec_pem(const char *name)
{
	char path[512];
	FILE *f;
	EVP_PKEY *k;

	snprintf(path, sizeof(path), "%s/vectors/azure-cvm/%s", tu_shared(), name);
	f = fopen(path, "r");
	assert_non_null(f);
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

#define SKIP_WITHOUT(p)                                                               \
	do {                                                                          \
		if ((p) == NULL) {                                                    \
			print_message("# skipped: ../shared/vectors/azure-cvm is not present\n"); \
			skip();                                                       \
		}                                                                     \
	} while (0)

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A 2600-byte HCL report: header version, report_type, hash_type, runtime; report_data = hash(runtime). */
static uint8_t *
build_hcl_v(uint32_t version, uint32_t report_type, uint32_t hash_type, const char *runtime, size_t *len)
{
	static const char *const md[] = { NULL, "SHA256", "SHA384", "SHA512" };
	size_t rl = strlen(runtime);
	uint8_t *b = calloc(1, 2600);
	unsigned int dl = 0;

	assert_non_null(b);
	memcpy(b, "HCLA", 4);
	put32(b + 4, version);
	put32(b + 8, (uint32_t)(AG_HCL_RUNTIME_OFFSET + rl));
	put32(b + 12, 2);
	put32(b + AG_HCL_REQUEST_OFFSET, (uint32_t)(20 + rl));
	put32(b + AG_HCL_REQUEST_OFFSET + 4, 1);
	put32(b + AG_HCL_REQUEST_OFFSET + 8, report_type);
	put32(b + AG_HCL_REQUEST_OFFSET + 12, hash_type);
	put32(b + AG_HCL_REQUEST_OFFSET + 16, (uint32_t)rl);
	memcpy(b + AG_HCL_RUNTIME_OFFSET, runtime, rl);
	if (hash_type >= 1 && hash_type <= 3)
		assert_int_equal(EVP_Digest(runtime, rl, b + 0x20 + (report_type == AG_HCL_TDX ? 0x80 : 0x50), &dl,
				     EVP_get_digestbyname(md[hash_type]), NULL),
		    1);
	*len = 2600;
	return b;
}

static uint8_t *
build_hcl(uint32_t report_type, const char *runtime, size_t *len)
{
	return build_hcl_v(2, report_type, 1, runtime, len);
}

static void
parse_fails(const uint8_t *b, size_t len, const char *why)
{
	struct ag_hcl_report r;
	struct ag_err err;

	ag_err_clear(&err);
	assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_EINVALID);
	assert_null(r.runtime_json);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
}

static void
check_vector(const char *file, uint32_t type, uint32_t version)
{
	struct ag_hcl_report r;
	struct ag_err err;
	EVP_PKEY *ak = NULL;
	size_t len;
	uint8_t *b = vec(file, &len);

	assert_non_null(b);
	if (ag_hcl_parse(b, len, &r, &err) != AG_OK)
		fail_msg("%s: %s", file, err.msg);
	assert_int_equal(r.report_type, type);
	if (version != 0)
		assert_int_equal(r.version, version);
	assert_int_equal(r.hash_type, 1);
	assert_ptr_equal(r.hw_report, b + AG_HCL_HW_REPORT_OFFSET);
	assert_int_equal(r.hw_report_len, type == AG_HCL_SNP ? 1184 : 1024);
	assert_ptr_equal(r.report_data, b + 0x20 + (type == AG_HCL_SNP ? 0x50 : 0x80));
	assert_ptr_equal(r.runtime, b + AG_HCL_RUNTIME_OFFSET);
	assert_int_equal(r.runtime_len, ag_le32(b + AG_HCL_REQUEST_OFFSET + 16));
	assert_true(r.report_size <= len);
	assert_true(json_is_array(json_object_get(r.runtime_json, "keys")));
	assert_int_equal(ag_hcl_runtime_key(&r, "HCLAkPub", &ak, &err), AG_OK);
	assert_true(EVP_PKEY_is_a(ak, "RSA"));
	assert_int_equal(EVP_PKEY_get_bits(ak), 2048);
	EVP_PKEY_free(ak);
	ag_hcl_clear(&r);
	assert_null(r.runtime_json);
	ag_hcl_clear(&r);   /* twice is harmless */
	free(b);
}

static void
test_vectors_parse(void **state)
{
	size_t len;
	uint8_t *b = vec("snp-milan-trustee/hcl-report.bin", &len);

	(void)state;
	SKIP_WITHOUT(b);
	free(b);
	check_vector("snp-milan-trustee/hcl-report.bin", AG_HCL_SNP, 1);
	check_vector("snp-milan-kinvolk/hcl-report-snp.bin", AG_HCL_SNP, 1);
	check_vector("hcl-reports/kinvolk-azsnp-hcl-report-2048.bin", AG_HCL_SNP, 1);
	check_vector("tdx-trustee/hcl-report.bin", AG_HCL_TDX, 2);
	check_vector("tdx-kinvolk/hcl-report-tdx.bin", AG_HCL_TDX, 0);
	check_vector("hcl-reports/cvmtools-aztdx-hcl-report.bin", AG_HCL_TDX, 0);
	/* The client library's fixture has report_data that is not the runtime data's hash. */
	b = vec("hcl-reports/clientlib-azsnp-hcl-report-BINDING-MISMATCH.bin", &len);
	assert_non_null(b);
	parse_fails(b, len, "binding mismatch");
	free(b);
}

/* The runtime data is var-data.json byte for byte, the AK is akpub.pem, user data is what the VM wrote. */
static void
test_vector_runtime(void **state)
{
	static const char *const dirs[] = { "snp-milan-trustee", "tdx-trustee" };
	struct ag_hcl_report r;
	struct ag_err err;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char name[128];
		size_t len, vlen;
		uint8_t *b, *var;
		EVP_PKEY *ak = NULL, *pem, *other;

		snprintf(name, sizeof(name), "%s/hcl-report.bin", dirs[i]);
		b = vec(name, &len);
		SKIP_WITHOUT(b);
		snprintf(name, sizeof(name), "%s/var-data.json", dirs[i]);
		var = vec(name, &vlen);
		assert_non_null(var);
		assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_OK);
		assert_int_equal(r.runtime_len, vlen);
		assert_memory_equal(r.runtime, var, vlen);
		assert_int_equal(ag_hcl_runtime_key(&r, "HCLAkPub", &ak, &err), AG_OK);
		snprintf(name, sizeof(name), "%s/akpub.pem", dirs[i]);
		pem = vec_pem(name);
		other = vec_pem("snp-milan-kinvolk/akpub.pem");
		assert_int_equal(EVP_PKEY_eq(ak, pem), 1);
		assert_int_not_equal(EVP_PKEY_eq(ak, other), 1);
		assert_non_null(ag_hcl_user_data(&r));
		assert_string_equal(ag_hcl_user_data(&r),
		    json_string_value(json_object_get(r.runtime_json, "user-data")));
		EVP_PKEY_free(ak);
		EVP_PKEY_free(pem);
		EVP_PKEY_free(other);
		ag_hcl_clear(&r);
		free(b);
		free(var);
	}
}

/* Sizes, magic and binding of an SNP report built here. */
static void
test_failure_paths(void **state)
{
	static const char rt[] = "{\"keys\":[],\"vm-configuration\":{},\"user-data\":\"00\"}";
	size_t len;
	uint8_t *b = build_hcl(AG_HCL_SNP, rt, &len), *big;
	struct ag_hcl_report r;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_OK);
	assert_int_equal(r.version, 2);
	assert_int_equal(r.request_type, 2);
	assert_int_equal(r.report_size, AG_HCL_RUNTIME_OFFSET + strlen(rt));
	assert_string_equal(ag_hcl_user_data(&r), "00");
	assert_int_equal(ag_hcl_runtime_key(&r, "HCLAkPub", &(EVP_PKEY *){ NULL }, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "no HCLAkPub key"));
	ag_hcl_clear(&r);

	parse_fails(b, 0x4D0, "truncated");
	parse_fails(b, AG_HCL_RUNTIME_OFFSET - 1, "truncated");
	parse_fails(b, 0, "truncated");
	big = calloc(1, AG_HCL_MAX_BYTES + 1);
	assert_non_null(big);
	memcpy(big, b, len);
	parse_fails(big, AG_HCL_MAX_BYTES + 1, "more than 8192");
	/* Exactly the maximum is read. */
	assert_int_equal(ag_hcl_parse(big, AG_HCL_MAX_BYTES, &r, &err), AG_OK);
	ag_hcl_clear(&r);
	free(big);
	/* report_size beyond what was read */
	parse_fails(b, AG_HCL_RUNTIME_OFFSET + strlen(rt) - 1, "does not fit");
	b[0] = 'X';
	parse_fails(b, len, "magic");
	b[0] = 'H';
	/* Runtime data that no longer hashes to report_data. */
	b[AG_HCL_RUNTIME_OFFSET + 3] ^= 1;
	parse_fails(b, len, "binding mismatch");
	b[AG_HCL_RUNTIME_OFFSET + 3] ^= 1;
	/* report_data altered, in the hash and in the zero bytes after it. */
	b[0x20 + 0x50] ^= 0x80;
	parse_fails(b, len, "the snp report's report_data");
	b[0x20 + 0x50] ^= 0x80;
	b[0x20 + 0x50 + 40] = 1;
	parse_fails(b, len, "binding mismatch");
	b[0x20 + 0x50 + 40] = 0;
	b[0x20 + 0x50 + 63] = 1;
	parse_fails(b, len, "binding mismatch");
	b[0x20 + 0x50 + 63] = 0;
	assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_OK);
	ag_hcl_clear(&r);
	free(b);
}

/* The header's sizes and the request data's sizes must agree with each other and with the buffer. */
static void
test_size_fields(void **state)
{
	static const char rt[] = "{\"keys\":[]}";
	size_t len;
	uint8_t *b = build_hcl(AG_HCL_SNP, rt, &len);
	const uint32_t good = (uint32_t)(20 + strlen(rt));

	(void)state;
	/* A runtime size that does not agree with the request size. */
	put32(b + AG_HCL_REQUEST_OFFSET, good - 1);
	parse_fails(b, len, "does not fit");
	put32(b + AG_HCL_REQUEST_OFFSET, good + 1);
	parse_fails(b, len, "does not fit");
	put32(b + AG_HCL_REQUEST_OFFSET, good);
	/* Sizes that wrap around 32 bits. */
	put32(b + AG_HCL_REQUEST_OFFSET + 16, 0xfffffff0u);
	put32(b + AG_HCL_REQUEST_OFFSET, 0xfffffff0u + 20u);
	parse_fails(b, len, "does not fit");
	put32(b + AG_HCL_REQUEST_OFFSET + 16, 0xffffffffu);
	put32(b + AG_HCL_REQUEST_OFFSET, 19);
	parse_fails(b, len, "does not fit");
	/* A runtime that is longer than report_size leaves for it. */
	put32(b + AG_HCL_REQUEST_OFFSET + 16, (uint32_t)strlen(rt) + 1);
	put32(b + AG_HCL_REQUEST_OFFSET, good + 1);
	parse_fails(b, len, "does not fit");
	put32(b + AG_HCL_REQUEST_OFFSET + 16, (uint32_t)strlen(rt));
	put32(b + AG_HCL_REQUEST_OFFSET, good);
	/* report_size smaller than the fixed part, or larger than the buffer. */
	put32(b + 8, AG_HCL_RUNTIME_OFFSET - 1);
	parse_fails(b, len, "report_size");
	put32(b + 8, (uint32_t)len + 1);
	parse_fails(b, len, "report_size");
	put32(b + 8, (uint32_t)len);
	/* A report_size larger than needed is fine: the runtime is what the request says. */
	{
		struct ag_hcl_report r;
		struct ag_err err;

		assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_OK);
		assert_int_equal(r.runtime_len, strlen(rt));
		ag_hcl_clear(&r);
	}
	free(b);
}

/* report_type, header version, runtime JSON, and the TDX offsets. */
static void
test_types_and_versions(void **state)
{
	static const char rt[] = "{\"keys\":[],\"vm-configuration\":{},\"user-data\":\"00\"}";
	size_t len;
	uint8_t *b;
	struct ag_hcl_report r;
	struct ag_err err;

	(void)state;
	b = build_hcl(AG_HCL_TRUSTED_LAUNCH, rt, &len);
	parse_fails(b, len, "Trusted Launch");
	free(b);
	b = build_hcl(7, rt, &len);
	parse_fails(b, len, "report_type 7");
	free(b);
	b = build_hcl(0, rt, &len);
	parse_fails(b, len, "report_type 0");
	free(b);
	b = build_hcl(AG_HCL_SNP, "not json at all", &len);
	parse_fails(b, len, "not a JSON object");
	free(b);
	b = build_hcl(AG_HCL_SNP, "[1,2]", &len);
	parse_fails(b, len, "not a JSON object");
	free(b);
	b = build_hcl(AG_HCL_SNP, "{\"a\":1,\"a\":2}", &len);
	parse_fails(b, len, "not a JSON object");
	free(b);
	b = build_hcl(AG_HCL_SNP, "", &len);
	parse_fails(b, len, "not a JSON object");
	free(b);
	b = build_hcl_v(1, AG_HCL_SNP, 1, rt, &len);
	assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_OK);
	assert_int_equal(r.version, 1);
	ag_hcl_clear(&r);
	put32(b + 4, 0);
	parse_fails(b, len, "version 0");
	put32(b + 4, 3);
	parse_fails(b, len, "version 3");
	free(b);
	/* TDX: report_data sits 0x80 into the TDREPORT, never at the SNP offset. */
	b = build_hcl(AG_HCL_TDX, rt, &len);
	assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_OK);
	assert_int_equal(r.report_type, AG_HCL_TDX);
	assert_int_equal(r.hw_report_len, 1024);
	assert_ptr_equal(r.report_data, b + 0xA0);
	ag_hcl_clear(&r);
	put32(b + AG_HCL_REQUEST_OFFSET + 8, AG_HCL_SNP);
	parse_fails(b, len, "binding mismatch");
	put32(b + AG_HCL_REQUEST_OFFSET + 8, AG_HCL_TDX);
	b[0xA0] ^= 1;
	parse_fails(b, len, "the tdx report's report_data");
	free(b);
}

/* hash_type 1, 2, 3 are SHA-256, -384, -512; each fills its own length of report_data. */
static void
test_hash_types(void **state)
{
	static const char rt[] = "{\"keys\":[]}";
	static const unsigned dlen[] = { 0, 32, 48, 64 };
	size_t len;
	uint8_t *b;
	struct ag_hcl_report r;
	struct ag_err err;

	(void)state;
	for (uint32_t h = 1; h <= 3; h++) {
		b = build_hcl_v(2, AG_HCL_SNP, h, rt, &len);
		assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_OK);
		assert_int_equal(r.hash_type, h);
		ag_hcl_clear(&r);
		/* The last byte of this hash matters. */
		b[0x20 + 0x50 + dlen[h] - 1] ^= 1;
		parse_fails(b, len, "binding mismatch");
		b[0x20 + 0x50 + dlen[h] - 1] ^= 1;
		/* Another hash type over the same bytes is a mismatch, never a silent truncation. */
		put32(b + AG_HCL_REQUEST_OFFSET + 12, h == 3 ? 1 : h + 1);
		parse_fails(b, len, "binding mismatch");
		free(b);
	}
	b = build_hcl_v(2, AG_HCL_SNP, 1, rt, &len);
	put32(b + AG_HCL_REQUEST_OFFSET + 12, 0);
	parse_fails(b, len, "hash_type 0");
	put32(b + AG_HCL_REQUEST_OFFSET + 12, 9);
	parse_fails(b, len, "hash_type 9");
	free(b);
}

/* An uncompressed P-256 public key as a JWK with kid, members x and y. */
static char *
ec_jwk(const char *kid, EVP_PKEY **out)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	uint8_t pt[65];
	size_t pl = 0;
	char *x, *y, *s;

	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_octet_string_param(k, "encoded-pub-key", pt, sizeof(pt), &pl), 1);
	assert_int_equal(pl, 65);
	x = ag_b64url_encode(pt + 1, 32);
	y = ag_b64url_encode(pt + 33, 32);
	s = malloc(256);
	assert_non_null(s);
	snprintf(s, 256, "{\"kid\":\"%s\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", kid, x, y);
	free(x);
	free(y);
	*out = k;
	return s;
}

static enum ag_code
key_of(const char *runtime, const char *kid, EVP_PKEY **out, struct ag_err *err)
{
	size_t len;
	uint8_t *b = build_hcl(AG_HCL_SNP, runtime, &len);
	struct ag_hcl_report r;
	enum ag_code rc;

	assert_int_equal(ag_hcl_parse(b, len, &r, err), AG_OK);
	rc = ag_hcl_runtime_key(&r, kid, out, err);
	ag_hcl_clear(&r);
	free(b);
	return rc;
}

static void
test_runtime_key(void **state)
{
	EVP_PKEY *mine = NULL, *got = NULL;
	char *jwk = ec_jwk("HCLAkPub", &mine), rt[1024];
	struct ag_err err;

	(void)state;
	/* The key with that kid, whichever its place in the list. */
	snprintf(rt, sizeof(rt), "{\"keys\":[{\"kid\":\"other\",\"kty\":\"oct\"},{\"kty\":\"EC\"},%s]}", jwk);
	assert_int_equal(key_of(rt, "HCLAkPub", &got, &err), AG_OK);
	assert_int_equal(EVP_PKEY_eq(got, mine), 1);
	EVP_PKEY_free(got);
	assert_int_equal(key_of(rt, "HCLEkPub", &got, &err), AG_EINVALID);
	assert_null(got);
	assert_non_null(strstr(err.msg, "no HCLEkPub key"));
	assert_int_equal(key_of(rt, "other", &got, &err), AG_EINVALID);
	assert_null(got);
	assert_non_null(strstr(err.msg, "key other is malformed"));
	/* A key whose point is off the curve or too short. */
	assert_int_equal(key_of("{\"keys\":[{\"kid\":\"HCLAkPub\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQ\",\"y\":\"AQ\"}]}",
			     "HCLAkPub", &got, &err),
	    AG_EINVALID);
	assert_non_null(strstr(err.msg, "malformed"));
	/* keys that is not a list, or absent. */
	assert_int_equal(key_of("{\"keys\":{\"kid\":\"HCLAkPub\"}}", "HCLAkPub", &got, &err), AG_EINVALID);
	assert_int_equal(key_of("{}", "HCLAkPub", &got, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "no HCLAkPub key"));
	EVP_PKEY_free(mine);
	free(jwk);
}

static void
test_user_data_and_names(void **state)
{
	size_t len;
	uint8_t *b;
	struct ag_hcl_report r;
	struct ag_err err;

	(void)state;
	b = build_hcl(AG_HCL_SNP, "{\"keys\":[]}", &len);
	assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_OK);
	assert_null(ag_hcl_user_data(&r));
	ag_hcl_clear(&r);
	free(b);
	b = build_hcl(AG_HCL_SNP, "{\"user-data\":12}", &len);
	assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_OK);
	assert_null(ag_hcl_user_data(&r));
	ag_hcl_clear(&r);
	free(b);
	b = build_hcl(AG_HCL_TDX, "{\"user-data\":\"ABCDEF\"}", &len);
	assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_OK);
	assert_string_equal(ag_hcl_user_data(&r), "ABCDEF");
	ag_hcl_clear(&r);
	free(b);

	assert_string_equal(ag_hcl_report_type_name(AG_HCL_SNP), "snp");
	assert_string_equal(ag_hcl_report_type_name(AG_HCL_TDX), "tdx");
	assert_string_equal(ag_hcl_report_type_name(AG_HCL_TRUSTED_LAUNCH), "trusted-launch");
	assert_string_equal(ag_hcl_report_type_name(0), "unknown");
	assert_string_equal(ag_hcl_report_type_name(5), "unknown");
	assert_string_equal(ag_hcl_report_type_name(0xffffffffu), "unknown");
}

/*
 * Runtime data that is valid JSON of another type should say so.  hcl.c
 * clears runtime_json before building the message, so the reason ends in
 * an empty jansson error text instead: skipped visibly until lib/ is fixed.
 */
static void
test_other_json_type_message(void **state)
{
	size_t len;
	uint8_t *b = build_hcl(AG_HCL_SNP, "[1,2]", &len);
	struct ag_hcl_report r;
	struct ag_err err;

	(void)state;
	ag_err_clear(&err);
	assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_EINVALID);
	free(b);
	if (strstr(err.msg, "another JSON type") == NULL) {
		print_message("# regression: lib/format/hcl.c was: reason is \"%s\"\n", err.msg);
		fail();
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_parse),
		cmocka_unit_test(test_vector_runtime),
		cmocka_unit_test(test_failure_paths),
		cmocka_unit_test(test_size_fields),
		cmocka_unit_test(test_types_and_versions),
		cmocka_unit_test(test_hash_types),
		cmocka_unit_test(test_runtime_key),
		cmocka_unit_test(test_user_data_and_names),
		cmocka_unit_test(test_other_json_type_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
