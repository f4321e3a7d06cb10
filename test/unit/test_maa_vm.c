/*
 * test_maa_vm.c - lib/verifier/maa_vm.c: the SevSnpVm and TdxVm request
 * bodies decoded field by field (the sidecar's padded base64url for
 * SevSnpVm, cvm-attestation-tools' unpadded base64url for TdxVm, the UVM
 * endorsement only when there is one, the nonce kept to 63 bits), and the
 * {"token": JWT} answers, well formed and malformed (not JSON, wrong types,
 * empty, NUL inside, duplicate keys, size caps).  The kata-cc report, VCEK
 * chain and UVM endorsement and an MAA token of ../shared/vectors are used
 * when present (skipped visibly otherwise).
 */
#include "standin.h"

#include <jansson.h>

#include "base/base64.h"
#include "format/jwt.h"
#include "verifier/maa_vm.h"

/* The bytes of a base64url string member; padded says which form must be used (the other is refused). */
static uint8_t *
b64u_member(const json_t *o, const char *key, int padded, size_t *len)
{
	const char *s = json_string_value(json_object_get(o, key));
	uint8_t *out = NULL;

	if (s == NULL)
		fail_msg("member %s is missing or not a string", key);
	if (padded) {
		assert_int_equal(strlen(s) % 4, 0);
		assert_null(strpbrk(s, "+/"));
		assert_int_equal(ag_b64url_decode_any_padding(s, strlen(s), &out, len), 0);
	} else {
		assert_null(strchr(s, '='));
		assert_int_equal(ag_b64url_decode(s, strlen(s), &out, len), 0);
	}
	return out;
}

static void
assert_member_bytes(const json_t *o, const char *key, int padded, const uint8_t *want, size_t want_len)
{
	size_t len = 0;
	uint8_t *got = b64u_member(o, key, padded, &len);

	assert_int_equal(len, want_len);
	if (want_len > 0)
		assert_memory_equal(got, want, want_len);
	free(got);
}

static json_t *
load(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

	if (j == NULL)
		fail_msg("not JSON (%s): %.200s", jerr.text, text);
	return j;
}

/* The inner SevSnpVm report object of a body. */
static json_t *
snp_inner(const json_t *body)
{
	size_t len = 0;
	uint8_t *raw = b64u_member(body, "report", 1, &len);
	json_t *inner = load((const char *)raw);

	free(raw);
	return inner;
}

static void
check_snp_body(const char *text, const uint8_t *report, size_t rlen, const char *chain, const uint8_t *uvm, size_t ulen,
    const uint8_t *rt, size_t rtlen, uint64_t nonce)
{
	json_t *body = load(text), *inner = snp_inner(body), *endorse, *rd = json_object_get(body, "runtimeData"),
	       *it = json_object_get(body, "initTimeData");

	/* The sidecar's member order, and nothing else. */
	assert_int_equal(strncmp(text, "{\"report\":", 10), 0);
	assert_int_equal(json_object_size(body), 4);
	assert_member_bytes(inner, "SnpReport", 1, report, rlen);
	assert_member_bytes(inner, "VcekCertChain", 1, (const uint8_t *)chain, strlen(chain));
	assert_member_bytes(rd, "data", 1, rt, rtlen);
	assert_string_equal(json_string_value(json_object_get(rd, "dataType")), "JSON");
	assert_string_equal(json_string_value(json_object_get(it, "data")), "");
	assert_string_equal(json_string_value(json_object_get(it, "dataType")), "");
	assert_true(json_is_integer(json_object_get(body, "nonce")));
	assert_true((uint64_t)json_integer_value(json_object_get(body, "nonce")) == nonce);
	if (ulen == 0) {
		assert_null(json_object_get(inner, "Endorsements"));
		assert_int_equal(json_object_size(inner), 2);
	} else {
		size_t len = 0;
		uint8_t *raw = b64u_member(inner, "Endorsements", 1, &len);

		endorse = load((const char *)raw);
		free(raw);
		assert_int_equal(json_array_size(json_object_get(endorse, "Uvm")), 1);
		assert_int_equal(json_object_size(endorse), 1);
		{
			json_t *wrap = json_pack("{s:O}", "u", json_array_get(json_object_get(endorse, "Uvm"), 0));

			assert_member_bytes(wrap, "u", 1, uvm, ulen);
			json_decref(wrap);
		}
		json_decref(endorse);
	}
	json_decref(inner);
	json_decref(body);
}

static void
test_snp_vm_request(void **state)
{
	uint8_t report[0x4A0], uvm[301];
	static const char chain[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	static const char rt[] = "{\"keys\":[],\"nonce\":\"0badc0de\"}";
	struct ag_maa_bytes r = { report, sizeof(report) }, u = { uvm, sizeof(uvm) }, none = { NULL, 0 },
			    rtb = { (const uint8_t *)rt, strlen(rt) };
	struct ag_err err;
	char *body = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(report); i++)
		report[i] = (uint8_t)(i * 7 + 0xfb);   /* bytes that need '-' and '_' in base64url */
	for (size_t i = 0; i < sizeof(uvm); i++)
		uvm[i] = (uint8_t)(0xff - i);
	assert_int_equal(ag_maa_snp_vm_request(r, chain, u, rtb, 42, &body, &err), AG_OK);
	check_snp_body(body, report, sizeof(report), chain, uvm, sizeof(uvm), (const uint8_t *)rt, strlen(rt), 42);
	free(body);
	/* Without a UVM endorsement there is no Endorsements member at all. */
	assert_int_equal(ag_maa_snp_vm_request(r, chain, none, rtb, 7, &body, &err), AG_OK);
	check_snp_body(body, report, sizeof(report), chain, NULL, 0, (const uint8_t *)rt, strlen(rt), 7);
	free(body);
	/* The nonce is a JSON integer: its top bit is dropped, never a negative number. */
	assert_int_equal(ag_maa_snp_vm_request(r, chain, none, rtb, UINT64_MAX, &body, &err), AG_OK);
	check_snp_body(body, report, sizeof(report), chain, NULL, 0, (const uint8_t *)rt, strlen(rt), INT64_MAX);
	free(body);
	assert_int_equal(ag_maa_snp_vm_request(r, chain, none, rtb, 0x8000000000000001ULL, &body, &err), AG_OK);
	check_snp_body(body, report, sizeof(report), chain, NULL, 0, (const uint8_t *)rt, strlen(rt), 1);
	free(body);
}

static void
test_snp_vm_request_empty_parts(void **state)
{
	uint8_t report[16] = { 1, 2, 3 };
	struct ag_maa_bytes r = { report, sizeof(report) }, none = { NULL, 0 };
	struct ag_err err;
	char *body = (char *)"unchanged";

	(void)state;
	/* No chain and no runtime data: empty strings, still the same shape. */
	assert_int_equal(ag_maa_snp_vm_request(r, NULL, none, none, 0, &body, &err), AG_OK);
	assert_non_null(body);
	check_snp_body(body, report, sizeof(report), "", NULL, 0, (const uint8_t *)"", 0, 0);
	free(body);
}

/* The kata-cc vectors: a real report, its VCEK chain and UVM endorsement go out byte for byte. */
static void
test_snp_vm_request_real(void **state)
{
	size_t rl = 0, cl = 0, ul = 0;
	uint8_t *report = si_vec("kata-cc/sidecar-snp-report.bin", &rl), *chain = si_vec("kata-cc/sidecar-vcek-ask-ark.pem", &cl),
		*uvm = si_vec("kata-cc/sidecar-uvm-reference-info.cose", &ul);
	static const char rt[] = "{\"nonce\":\"00\"}";
	struct ag_maa_bytes r, u, rtb = { (const uint8_t *)rt, strlen(rt) };
	struct ag_err err;
	char *body = NULL;

	(void)state;
	if (report == NULL || chain == NULL || uvm == NULL) {
		free(report);
		free(chain);
		free(uvm);
		skip();
	}
	r = (struct ag_maa_bytes){ report, rl };
	u = (struct ag_maa_bytes){ uvm, ul };
	assert_int_equal(rl, 0x4A0);
	assert_int_equal(ag_maa_snp_vm_request(r, (const char *)chain, u, rtb, 1234567890123ULL, &body, &err), AG_OK);
	check_snp_body(body, report, rl, (const char *)chain, uvm, ul, (const uint8_t *)rt, strlen(rt), 1234567890123ULL);
	free(body);
	free(report);
	free(chain);
	free(uvm);
}

static void
test_tdx_vm_request(void **state)
{
	uint8_t quote[5006];
	static const char rt[] = "{\"user-data\":\"00ff\"}";
	struct ag_maa_bytes q = { quote, sizeof(quote) }, rtb = { (const uint8_t *)rt, strlen(rt) };
	struct ag_err err;
	char *body = NULL;
	json_t *j, *rd;

	(void)state;
	for (size_t i = 0; i < sizeof(quote); i++)
		quote[i] = (uint8_t)(i ^ 0xfe);
	assert_int_equal(ag_maa_tdx_vm_request(q, rtb, &body, &err), AG_OK);
	/* cvm-attestation-tools: unpadded base64url everywhere, quote then runtimeData. */
	assert_null(strchr(body, '='));
	assert_int_equal(strncmp(body, "{\"quote\":", 9), 0);
	j = load(body);
	assert_int_equal(json_object_size(j), 2);
	assert_member_bytes(j, "quote", 0, quote, sizeof(quote));
	rd = json_object_get(j, "runtimeData");
	assert_int_equal(json_object_size(rd), 2);
	assert_member_bytes(rd, "data", 0, (const uint8_t *)rt, strlen(rt));
	assert_string_equal(json_string_value(json_object_get(rd, "dataType")), "JSON");
	json_decref(j);
	free(body);
}

static enum ag_code
vm_parse(const char *text, char **jwt, struct ag_err *err)
{
	ag_err_clear(err);
	return ag_maa_vm_response_parse((const uint8_t *)text, strlen(text), jwt, err);
}

static void
test_response_parse(void **state)
{
	static const char trailing[] = "{\"token\":\"h.c.s\"}ignored";
	struct ag_err err;
	char *jwt = NULL;

	(void)state;
	assert_int_equal(vm_parse("{\"token\":\"eyJh.eyJj.c2ln\"}", &jwt, &err), AG_OK);
	assert_string_equal(jwt, "eyJh.eyJj.c2ln");
	free(jwt);
	/* Whitespace and members other than token are fine: MAA adds none today, but may. */
	assert_int_equal(vm_parse(" {\n \"other\": [1, 2],\n \"token\" : \"a.b.c\" }\n", &jwt, &err), AG_OK);
	assert_string_equal(jwt, "a.b.c");
	free(jwt);
	/* Only len bytes are read. */
	assert_int_equal(ag_maa_vm_response_parse((const uint8_t *)trailing, 17, &jwt, &err), AG_OK);
	assert_string_equal(jwt, "h.c.s");
	free(jwt);
	assert_int_equal(ag_maa_vm_response_parse((const uint8_t *)trailing, sizeof(trailing) - 1, &jwt, &err), AG_EINVALID);
	assert_null(jwt);
}

static void
expect_bad(const char *text, const char *why)
{
	struct ag_err err;
	char *jwt = (char *)"unchanged";

	assert_int_equal(vm_parse(text, &jwt, &err), AG_EINVALID);
	assert_null(jwt);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", text, err.msg, why);
}

static void
test_response_malformed(void **state)
{
	(void)state;
	expect_bad("", "is not {\"token\": JWT}: ");
	expect_bad("not json", "is not {\"token\": JWT}: ");
	expect_bad("{\"token\": not json", "is not {\"token\": JWT}");
	expect_bad("[\"token\", \"a.b.c\"]", "is not {\"token\": JWT}");
	expect_bad("\"a.b.c\"", "is not {\"token\": JWT}");
	expect_bad("{}", "is not {\"token\": JWT}");
	expect_bad("{\"Token\":\"a.b.c\"}", "is not {\"token\": JWT}");
	expect_bad("{\"token\":null}", "is not {\"token\": JWT}");
	expect_bad("{\"token\":123}", "is not {\"token\": JWT}");
	expect_bad("{\"token\":{\"jwt\":\"a.b.c\"}}", "is not {\"token\": JWT}");
	expect_bad("{\"token\":\"\"}", "is not {\"token\": JWT}");
	/* A NUL inside the token would cut it short: refused. */
	expect_bad("{\"token\":\"a.b\\u0000.c\"}", "is not {\"token\": JWT}");
	/* Two tokens: which one counts is not guessed. */
	expect_bad("{\"token\":\"a.b.c\",\"token\":\"d.e.f\"}", "is not {\"token\": JWT}");
	expect_bad("{\"error\":{\"code\":\"InvalidParameter\",\"message\":\"x\"}}", "is not {\"token\": JWT}");
}

static void
test_response_size_caps(void **state)
{
	size_t big = AG_MAA_MAX_RESPONSE + 1, tok = AG_JWT_MAX_BYTES;
	char *buf = malloc(big + 1), *jwt = NULL;
	struct ag_err err;

	(void)state;
	assert_non_null(buf);
	/* A token of exactly AG_JWT_MAX_BYTES is taken; one byte more is not. */
	memcpy(buf, "{\"token\":\"", 10);
	memset(buf + 10, 'a', tok);
	memcpy(buf + 10 + tok, "\"}", 3);
	assert_int_equal(vm_parse(buf, &jwt, &err), AG_OK);
	assert_int_equal(strlen(jwt), tok);
	free(jwt);
	memset(buf + 10, 'a', tok + 1);
	memcpy(buf + 11 + tok, "\"}", 3);
	assert_int_equal(vm_parse(buf, &jwt, &err), AG_EINVALID);
	assert_null(jwt);
	/* A body over AG_MAA_MAX_RESPONSE is refused before it is parsed. */
	memset(buf, ' ', big);
	memcpy(buf, "{\"token\":\"a.b.c\"}", 17);
	buf[big] = '\0';
	assert_int_equal(ag_maa_vm_response_parse((const uint8_t *)buf, big, &jwt, &err), AG_EINVALID);
	assert_null(jwt);
	assert_non_null(strstr(err.msg, "larger than"));
	assert_int_equal(ag_maa_vm_response_parse((const uint8_t *)buf, big - 1, &jwt, &err), AG_OK);
	assert_string_equal(jwt, "a.b.c");
	free(jwt);
	free(buf);
}

/* A real MAA SevSnpVm token, wrapped as MAA answers it, comes back unchanged. */
static void
test_response_real_token(void **state)
{
	size_t len = 0;
	uint8_t *tok = si_vec("maa/sevsnpvm-token-sharedweu-test-2025.jwt", &len);
	json_t *j;
	char *text, *jwt = NULL;
	struct ag_err err;

	(void)state;
	if (tok == NULL)
		skip();
	while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r'))
		tok[--len] = '\0';
	j = json_pack("{s:s}", "token", (const char *)tok);
	text = json_dumps(j, JSON_COMPACT);
	assert_int_equal(vm_parse(text, &jwt, &err), AG_OK);
	assert_string_equal(jwt, (const char *)tok);
	assert_int_equal(strlen(jwt), len);
	free(jwt);
	free(text);
	json_decref(j);
	free(tok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snp_vm_request),
		cmocka_unit_test(test_snp_vm_request_empty_parts),
		cmocka_unit_test(test_snp_vm_request_real),
		cmocka_unit_test(test_tdx_vm_request),
		cmocka_unit_test(test_response_parse),
		cmocka_unit_test(test_response_malformed),
		cmocka_unit_test(test_response_size_caps),
		cmocka_unit_test(test_response_real_token),
	};

	return cmocka_run_group_tests_name("maa_vm", tests, NULL, NULL);
}
