/*
 * test_hcl.c - the HCL report parser and the vTPM quote checks: every HCL
 * report of ../shared/vectors/azure-cvm (skipped visibly when absent), the
 * AK binding and quote of snp-milan-trustee, and each failure path on
 * reports built here.
 */
#include "testutil.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base/digest.h"
#include "base/fileio.h"
#include "format/hcl.h"
#include "format/tpm_attest.h"

static const char *
shared(void)
{
	return getenv("AG_SHARED") != NULL ? getenv("AG_SHARED") : "../shared";
}

/* Reads ../shared/vectors/azure-cvm/NAME, or NULL when absent. */
static uint8_t *
vec(const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf = NULL;
	struct ag_err err;

	snprintf(path, sizeof(path), "%s/vectors/azure-cvm/%s", shared(), name);
	if (access(path, R_OK) != 0)
		return NULL;
	assert_int_equal(ag_file_read(path, 1 << 20, AG_ECONFIG, &buf, len, &err), AG_OK);
	return buf;
}

static EVP_PKEY *
vec_pem(const char *name)
{
	char path[512];
	FILE *f;
	EVP_PKEY *k;

	snprintf(path, sizeof(path), "%s/vectors/azure-cvm/%s", shared(), name);
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

/* Builds a 2600-byte HCL report of report_type around runtime, report_data = SHA-256(runtime). */
static uint8_t *
build_hcl(uint32_t report_type, const char *runtime, size_t *len)
{
	size_t rl = strlen(runtime);
	uint8_t *b = calloc(1, 2600);
	uint8_t d[32];

	assert_non_null(b);
	memcpy(b, "HCLA", 4);
	put32(b + 4, 2);
	put32(b + 8, (uint32_t)(AG_HCL_RUNTIME_OFFSET + rl));
	put32(b + 12, 2);
	put32(b + AG_HCL_REQUEST_OFFSET, (uint32_t)(20 + rl));
	put32(b + AG_HCL_REQUEST_OFFSET + 4, 1);
	put32(b + AG_HCL_REQUEST_OFFSET + 8, report_type);
	put32(b + AG_HCL_REQUEST_OFFSET + 12, 1);
	put32(b + AG_HCL_REQUEST_OFFSET + 16, (uint32_t)rl);
	memcpy(b + AG_HCL_RUNTIME_OFFSET, runtime, rl);
	assert_int_equal(ag_sha256(runtime, rl, d), 0);
	memcpy(b + 0x20 + (report_type == AG_HCL_TDX ? 0x80 : 0x50), d, 32);
	*len = 2600;
	return b;
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
test_vectors_parse(void **state)
{
	static const struct {
		const char *file;
		uint32_t type;
		uint32_t version;
	} v[] = {
		{ "snp-milan-trustee/hcl-report.bin", AG_HCL_SNP, 1 },
		{ "snp-milan-kinvolk/hcl-report-snp.bin", AG_HCL_SNP, 1 },
		{ "hcl-reports/kinvolk-azsnp-hcl-report-2048.bin", AG_HCL_SNP, 1 },
		{ "tdx-trustee/hcl-report.bin", AG_HCL_TDX, 2 },
		{ "tdx-kinvolk/hcl-report-tdx.bin", AG_HCL_TDX, 0 },
		{ "hcl-reports/cvmtools-aztdx-hcl-report.bin", AG_HCL_TDX, 0 },
	};
	size_t len;
	uint8_t *b = vec(v[0].file, &len);

	(void)state;
	SKIP_WITHOUT(b);
	free(b);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ag_hcl_report r;
		struct ag_err err;

		b = vec(v[i].file, &len);
		assert_non_null(b);
		if (ag_hcl_parse(b, len, &r, &err) != AG_OK)
			fail_msg("%s: %s", v[i].file, err.msg);
		assert_int_equal(r.report_type, v[i].type);
		if (v[i].version != 0)
			assert_int_equal(r.version, v[i].version);
		assert_int_equal(r.hw_report_len, v[i].type == AG_HCL_SNP ? 1184 : 1024);
		assert_true(json_is_array(json_object_get(r.runtime_json, "keys")));
		{
			EVP_PKEY *ak = NULL;

			assert_int_equal(ag_hcl_runtime_key(&r, "HCLAkPub", &ak, &err), AG_OK);
			assert_int_equal(EVP_PKEY_get_bits(ak), 2048);
			EVP_PKEY_free(ak);
		}
		ag_hcl_clear(&r);
		free(b);
	}
	/* The client library's fixture has report_data that is not the runtime data's hash. */
	b = vec("hcl-reports/clientlib-azsnp-hcl-report-BINDING-MISMATCH.bin", &len);
	assert_non_null(b);
	parse_fails(b, len, "binding mismatch");
	free(b);
}

static void
test_trustee_ak_and_quote(void **state)
{
	size_t len, mlen, slen, plen;
	uint8_t *b = vec("snp-milan-trustee/hcl-report.bin", &len);
	uint8_t *msg = vec("snp-milan-trustee/tpm-quote.msg", &mlen);
	uint8_t *sig = vec("snp-milan-trustee/tpm-quote.sig", &slen);
	uint8_t *pcrs = vec("snp-milan-trustee/tpm-quote-pcrs-sha256.bin", &plen);
	struct ag_hcl_report r;
	struct ag_quote_info qi;
	struct ag_err err;
	EVP_PKEY *ak = NULL, *pem, *other;

	(void)state;
	SKIP_WITHOUT(b);
	assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_OK);
	assert_int_equal(ag_hcl_runtime_key(&r, "HCLAkPub", &ak, &err), AG_OK);
	pem = vec_pem("snp-milan-trustee/akpub.pem");
	other = vec_pem("snp-milan-kinvolk/akpub.pem");
	/* The AK bound into the report is the one that signs the quote. */
	assert_int_equal(EVP_PKEY_eq(ak, pem), 1);
	assert_int_equal(ag_quote_verify(msg, mlen, sig, slen, ak, (const uint8_t *)"challenge", 9, pcrs, plen, &qi, &err),
	    AG_OK);
	assert_int_equal(qi.pcr_mask, 0xffffff);
	/* Nonce not in the quote. */
	assert_int_equal(ag_quote_verify(msg, mlen, sig, slen, ak, (const uint8_t *)"challengf", 9, pcrs, plen, &qi, &err),
	    AG_EINVALID);
	assert_non_null(strstr(err.msg, "nonce is not in the quote"));
	assert_int_equal(ag_quote_verify(msg, mlen, sig, slen, ak, (const uint8_t *)"challeng", 8, pcrs, plen, &qi, &err),
	    AG_EINVALID);
	/* Another AK. */
	assert_int_equal(ag_quote_verify(msg, mlen, sig, slen, other, (const uint8_t *)"challenge", 9, pcrs, plen, &qi,
			     &err),
	    AG_EINVALID);
	assert_non_null(strstr(err.msg, "does not verify with the AK"));
	/* PCR values that are not the quoted ones. */
	pcrs[5] ^= 1;
	assert_int_equal(ag_quote_verify(msg, mlen, sig, slen, ak, (const uint8_t *)"challenge", 9, pcrs, plen, &qi, &err),
	    AG_EINVALID);
	assert_non_null(strstr(err.msg, "PCR digest"));
	pcrs[5] ^= 1;
	assert_int_equal(ag_quote_verify(msg, mlen, sig, slen, ak, (const uint8_t *)"challenge", 9, pcrs, plen - 32, &qi,
			     &err),
	    AG_EINVALID);
	/* A message altered after signing. */
	msg[mlen - 1] ^= 1;
	assert_int_equal(ag_quote_verify(msg, mlen, sig, slen, ak, (const uint8_t *)"challenge", 9, pcrs, plen, &qi, &err),
	    AG_EINVALID);
	assert_non_null(strstr(err.msg, "does not verify"));
	/* A truncated signature. */
	msg[mlen - 1] ^= 1;
	assert_int_equal(ag_quote_verify(msg, mlen, sig, slen - 1, ak, (const uint8_t *)"challenge", 9, pcrs, plen, &qi,
			     &err),
	    AG_EINVALID);
	EVP_PKEY_free(ak);
	EVP_PKEY_free(pem);
	EVP_PKEY_free(other);
	ag_hcl_clear(&r);
	free(b);
	free(msg);
	free(sig);
	free(pcrs);
}

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
	assert_string_equal(ag_hcl_user_data(&r), "00");
	assert_int_equal(ag_hcl_runtime_key(&r, "HCLAkPub", &(EVP_PKEY *){ NULL }, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "no HCLAkPub key"));
	ag_hcl_clear(&r);

	parse_fails(b, 0x4D0, "truncated");
	parse_fails(b, 100, "truncated");
	big = calloc(1, AG_HCL_MAX_BYTES + 1);
	memcpy(big, b, len);
	parse_fails(big, AG_HCL_MAX_BYTES + 1, "more than 8192");
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
	/* Non-zero bytes after the hash in report_data. */
	b[0x20 + 0x50 + 40] = 1;
	parse_fails(b, len, "binding mismatch");
	b[0x20 + 0x50 + 40] = 0;
	/* A runtime size that does not agree with the request size. */
	put32(b + AG_HCL_REQUEST_OFFSET, 19);
	parse_fails(b, len, "does not fit");
	put32(b + AG_HCL_REQUEST_OFFSET, (uint32_t)(20 + strlen(rt)));
	put32(b + AG_HCL_REQUEST_OFFSET + 16, 0xfffffff0u);
	put32(b + AG_HCL_REQUEST_OFFSET, 0xfffffff0u + 20u);
	parse_fails(b, len, "does not fit");
	free(b);

	b = build_hcl(AG_HCL_TRUSTED_LAUNCH, rt, &len);
	parse_fails(b, len, "Trusted Launch");
	free(b);
	b = build_hcl(7, rt, &len);
	parse_fails(b, len, "report_type 7");
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
	/* TDX: report_data sits 0x80 into the TDREPORT, never at the SNP offset. */
	b = build_hcl(AG_HCL_TDX, rt, &len);
	assert_int_equal(ag_hcl_parse(b, len, &r, &err), AG_OK);
	assert_int_equal(r.hw_report_len, 1024);
	assert_ptr_equal(r.report_data, b + 0xA0);
	ag_hcl_clear(&r);
	put32(b + AG_HCL_REQUEST_OFFSET + 8, AG_HCL_SNP);
	parse_fails(b, len, "binding mismatch");
	put32(b + AG_HCL_REQUEST_OFFSET + 8, AG_HCL_TDX);
	put32(b + AG_HCL_REQUEST_OFFSET + 12, 9);
	parse_fails(b, len, "hash_type 9");
	put32(b + 4, 3);
	parse_fails(b, len, "version 3");
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_parse),
		cmocka_unit_test(test_trustee_ak_and_quote),
		cmocka_unit_test(test_failure_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
