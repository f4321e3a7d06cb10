/*
 * test_nvidia_evidence.c - lib/format/nvidia_evidence.c: the evidence JSON
 * of NVIDIA's SDKs and attestgate-nvml.  A list built here from the real
 * 550 report and chain of ../shared/vectors/nvidia (skipped visibly when
 * absent) parses back to the same bytes and nonce, alone and with the
 * switch's entry; synthetic entries cover the bounds (64 devices, the size
 * limit) and every refusal - not JSON, not a list, a bad entry, a missing
 * or mistyped field, bad base64 or nonce, duplicate keys, too large - each
 * with AG_EINVALID naming the entry and field, and nothing left allocated.
 */
#include "testutil.h"

#include <jansson.h>

#include "base/base64.h"
#include "format/nvidia_evidence.h"
#include "format/spdm.h"

#define DIR550 "nvidia/nvtrust-hopper-550"
#define DIRSW "nvidia/asdk-switch-ls10"
#define NONCE550 "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb"
#define UUID "GPU-11111111-2222-3333-4444-555555555555"

#define SKIP_WITHOUT(p)                                                                        \
	do {                                                                                   \
		if ((p) == NULL) {                                                             \
			print_message("# skipped: ../shared/vectors/nvidia is not present\n"); \
			skip();                                                                \
		}                                                                              \
	} while (0)

/* A base64 string of len bytes as a new JSON string. */
static json_t *
b64_json(const uint8_t *b, size_t len)
{
	char *s = ag_b64_encode(b, len);
	json_t *j;

	assert_non_null(s);
	j = json_string(s);
	free(s);
	assert_non_null(j);
	return j;
}

/* An entry with every field; its report and chain are a few made-up bytes. */
static json_t *
synth(void)
{
	static const uint8_t report[] = { 0x11, 0xe0, 0x01, 0xff, 0x00 };
	static const char chain[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "arch", "HOPPER", "nonce", NONCE550, "driver_version",
	    "550.90.07", "vbios_version", "96.00.9F.00.01", "uuid", UUID, "version", "1.0");

	assert_non_null(e);
	json_object_set_new(e, "evidence", b64_json(report, sizeof(report)));
	json_object_set_new(e, "certificate", b64_json((const uint8_t *)chain, strlen(chain)));
	return e;
}

/* A list of the entries given (references taken), NULL-ended. */
static json_t *
list_of(json_t *first, ...)
{
	json_t *l = json_array(), *e;
	va_list ap;

	va_start(ap, first);
	for (e = first; e != NULL; e = va_arg(ap, json_t *))
		json_array_append_new(l, e);
	va_end(ap);
	return l;
}

/* Parses text; the result code (entries and n checked for consistency). */
static enum ag_code
parse_text(const char *text, size_t len, struct ag_nv_evidence_entry **e, size_t *n, struct ag_err *err)
{
	enum ag_code rc;

	ag_err_clear(err);
	rc = ag_nv_evidence_parse((const uint8_t *)text, len, e, n, err);
	if (rc != AG_OK) {
		assert_null(*e);
		assert_int_equal(*n, 0);
	} else {
		assert_non_null(*e);
		assert_true(*n >= 1);
	}
	return rc;
}

/* Parses the JSON list (taken). */
static enum ag_code
parse_json(json_t *list, struct ag_nv_evidence_entry **e, size_t *n, struct ag_err *err)
{
	char *text = json_dumps(list, JSON_COMPACT);
	enum ag_code rc;

	assert_non_null(text);
	json_decref(list);
	rc = parse_text(text, strlen(text), e, n, err);
	free(text);
	return rc;
}

static void
text_fails(const char *text, size_t len, const char *why)
{
	struct ag_nv_evidence_entry *e = (struct ag_nv_evidence_entry *)&e;
	size_t n = 7;
	struct ag_err err;
	enum ag_code rc = parse_text(text, len, &e, &n, &err);

	if (rc != AG_EINVALID || strstr(err.msg, why) == NULL)
		fail_msg("rc %d, \"%s\" lacks \"%s\"", rc, err.msg, why);
}

/* The list (taken) is refused with AG_EINVALID and a message containing why. */
static void
json_fails(json_t *list, const char *why)
{
	char *text = json_dumps(list, JSON_COMPACT);

	assert_non_null(text);
	json_decref(list);
	text_fails(text, strlen(text), why);
	free(text);
}

/* A synthetic entry with key set to v (taken), or removed when v is NULL: refused, naming why. */
static void
field_fails(const char *key, json_t *v, const char *why)
{
	json_t *e = synth();

	if (v != NULL)
		json_object_set_new(e, key, v);
	else
		json_object_del(e, key);
	json_fails(list_of(e, NULL), why);
}

/* --- the real 550 evidence --- */

/* The 550 GPU's entry as NVIDIA's SDK writes it, or NULL when ../shared is absent. */
static json_t *
entry_550(uint8_t **report, size_t *report_len, uint8_t **chain, size_t *chain_len)
{
	json_t *e;

	*report = tu_vec_in(DIR550, "hopperAttestationReport.bin", report_len);
	*chain = tu_vec_in(DIR550, "hopperCertChain.txt", chain_len);
	if (*report == NULL || *chain == NULL) {
		free(*report);
		free(*chain);
		*report = *chain = NULL;
		return NULL;
	}
	e = json_pack("{s:s, s:s, s:s, s:s, s:s}", "arch", "HOPPER", "nonce", NONCE550, "driver_version", "550.90.07",
	    "vbios_version", "96.00.9F.00.01", "uuid", UUID);
	assert_non_null(e);
	json_object_set_new(e, "evidence", b64_json(*report, *report_len));
	json_object_set_new(e, "certificate", b64_json(*chain, *chain_len));
	return e;
}

static void
check_550(const struct ag_nv_evidence_entry *e, const uint8_t *report, size_t rlen, const uint8_t *chain, size_t clen)
{
	assert_string_equal(e->arch, "HOPPER");
	assert_int_equal(e->report_len, 4117);
	assert_int_equal(e->report_len, rlen);
	assert_memory_equal(e->report, report, rlen);
	assert_int_equal(e->chain_len, clen);
	assert_memory_equal(e->chain, chain, clen);
	assert_true(e->has_nonce);
	assert_memory_equal(e->nonce, report + 4, AG_SPDM_NONCE_LEN);
	assert_int_equal(e->nonce[0], 0x93);
	assert_string_equal(e->driver_version, "550.90.07");
	assert_string_equal(e->vbios_version, "96.00.9F.00.01");
	assert_string_equal(e->uuid, UUID);
}

static void
test_parse_550(void **state)
{
	uint8_t *report, *chain;
	size_t rlen, clen, n;
	json_t *e = entry_550(&report, &rlen, &chain, &clen);
	struct ag_nv_evidence_entry *out;
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT(e);
	if (parse_json(list_of(e, NULL), &out, &n, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 1);
	check_550(&out[0], report, rlen, chain, clen);
	ag_nv_evidence_free(out, n);
	free(report);
	free(chain);
}

static void
test_parse_two_entries(void **state)
{
	uint8_t *report, *chain, *sw;
	size_t rlen, clen, slen, n;
	json_t *e = entry_550(&report, &rlen, &chain, &clen), *s;
	struct ag_nv_evidence_entry *out;
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT(e);
	/* The switch's entry as NVIDIA's remote form writes it: no nonce, no versions. */
	sw = tu_vec_in(DIRSW, "switchAttestationReport.bin", &slen);
	assert_non_null(sw);
	s = json_pack("{s:s}", "arch", "LS10");
	json_object_set_new(s, "evidence", b64_json(sw, slen));
	json_object_set_new(s, "certificate", b64_json(chain, clen));
	if (parse_json(list_of(e, s, NULL), &out, &n, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 2);
	check_550(&out[0], report, rlen, chain, clen);
	assert_string_equal(out[1].arch, "LS10");
	assert_int_equal(out[1].report_len, 2168);
	assert_memory_equal(out[1].report, sw, slen);
	assert_false(out[1].has_nonce);
	assert_null(out[1].driver_version);
	assert_null(out[1].vbios_version);
	assert_null(out[1].uuid);
	ag_nv_evidence_free(out, n);
	free(sw);
	free(report);
	free(chain);
}

/* --- synthetic entries: what is accepted --- */

static void
test_parse_synthetic(void **state)
{
	struct ag_nv_evidence_entry *out;
	size_t n;
	struct ag_err err;
	json_t *min = synth();

	(void)state;
	json_object_del(min, "nonce");
	json_object_del(min, "driver_version");
	json_object_del(min, "vbios_version");
	json_object_del(min, "uuid");
	json_object_set_new(min, "arch", json_string("BLACKWELLXXXXXX"));   /* 15 characters: what fits */
	json_object_set_new(min, "something-new", json_integer(3));
	assert_int_equal(parse_json(list_of(synth(), min, NULL), &out, &n, &err), AG_OK);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].report_len, 5);
	assert_memory_equal(out[0].report, "\x11\xe0\x01\xff\x00", 5);
	assert_true(out[0].has_nonce);
	assert_string_equal(out[0].uuid, UUID);
	assert_string_equal(out[1].arch, "BLACKWELLXXXXXX");
	assert_false(out[1].has_nonce);
	assert_null(out[1].driver_version);
	ag_nv_evidence_free(out, n);
	/* Upper-case hex in the nonce. */
	{
		json_t *e = synth();

		json_object_set_new(e, "nonce", json_string("931D8DD0ADD203AC3D8B4FBDE75E115278EEFCDCEAC5B87671A748F32364DFCB"));
		assert_int_equal(parse_json(list_of(e, NULL), &out, &n, &err), AG_OK);
		assert_int_equal(out[0].nonce[31], 0xcb);
		ag_nv_evidence_free(out, n);
	}
}

static void
test_64_devices(void **state)
{
	json_t *l = json_array();
	struct ag_nv_evidence_entry *out;
	size_t n;
	struct ag_err err;

	(void)state;
	for (int i = 0; i < AG_NV_EVIDENCE_MAX_DEVICES; i++)
		json_array_append_new(l, synth());
	assert_int_equal(parse_json(l, &out, &n, &err), AG_OK);
	assert_int_equal(n, AG_NV_EVIDENCE_MAX_DEVICES);
	assert_string_equal(out[63].arch, "HOPPER");
	ag_nv_evidence_free(out, n);
	ag_nv_evidence_free(NULL, 0);
}

static void
test_report_size_limit(void **state)
{
	uint8_t *big = calloc(AG_SPDM_REPORT_MAX + 1000, 1);
	struct ag_nv_evidence_entry *out;
	size_t n;
	struct ag_err err;
	json_t *e = synth();

	(void)state;
	assert_non_null(big);
	/* A report of NVML's full buffer is accepted; far more is not. */
	json_object_set_new(e, "evidence", b64_json(big, AG_SPDM_REPORT_MAX));
	assert_int_equal(parse_json(list_of(e, NULL), &out, &n, &err), AG_OK);
	assert_int_equal(out[0].report_len, AG_SPDM_REPORT_MAX);
	ag_nv_evidence_free(out, n);
	field_fails("evidence", b64_json(big, AG_SPDM_REPORT_MAX + 1000),
	    "GPU evidence entry 0: \"evidence\" is not base64 of at most 8192 bytes");
	free(big);
}

static void
test_decoded_one_over(void **state)
{
	uint8_t *big = calloc(AG_NV_CHAIN_MAX_BYTES + 1, 1);
	struct ag_nv_evidence_entry *out;
	size_t n;
	struct ag_err err;
	json_t *e = synth();

	(void)state;
	assert_non_null(big);
	/* One byte over after decoding (the base64 text itself is within its length bound). */
	field_fails("evidence", b64_json(big, AG_SPDM_REPORT_MAX + 1),
	    "GPU evidence entry 0: \"evidence\" is not base64 of at most 8192 bytes");
	field_fails("certificate", b64_json(big, AG_NV_CHAIN_MAX_BYTES + 1),
	    "GPU evidence entry 0: \"certificate\" is not base64 of at most 65536 bytes");
	/* A chain of exactly the limit is accepted. */
	json_object_set_new(e, "certificate", b64_json(big, AG_NV_CHAIN_MAX_BYTES));
	assert_int_equal(parse_json(list_of(e, NULL), &out, &n, &err), AG_OK);
	assert_int_equal(out[0].chain_len, AG_NV_CHAIN_MAX_BYTES);
	ag_nv_evidence_free(out, n);
	free(big);
}

/* --- refusals --- */

static void
test_not_json(void **state)
{
	(void)state;
	text_fails("{[", 2, "GPU evidence: not JSON");
	text_fails("", 0, "GPU evidence: not JSON");
	text_fails("[{}] x", 6, "GPU evidence: not JSON");
	text_fails("[1,]", 4, "GPU evidence: not JSON");
	text_fails("42", 2, "GPU evidence: not JSON");
}

static void
test_not_a_list(void **state)
{
	(void)state;
	json_fails(synth(), "GPU evidence: not a list of 1 to 64 devices");
	json_fails(json_pack("{s:[]}", "evidence"), "not a list of 1 to 64 devices");
}

static void
test_empty_list(void **state)
{
	(void)state;
	text_fails("[]", 2, "GPU evidence: not a list of 1 to 64 devices");
	text_fails(" [ ] ", 5, "not a list of 1 to 64 devices");
}

static void
test_65_devices(void **state)
{
	json_t *l = json_array();

	(void)state;
	for (int i = 0; i < AG_NV_EVIDENCE_MAX_DEVICES + 1; i++)
		json_array_append_new(l, synth());
	json_fails(l, "GPU evidence: not a list of 1 to 64 devices");
}

static void
test_entry_not_object(void **state)
{
	(void)state;
	json_fails(list_of(json_integer(5), NULL), "GPU evidence entry 0 is not an object");
	/* The second entry, after a good first one (which must not leak). */
	json_fails(list_of(synth(), json_string("HOPPER"), NULL), "GPU evidence entry 1 is not an object");
	json_fails(list_of(synth(), synth(), json_array(), NULL), "GPU evidence entry 2 is not an object");
	json_fails(list_of(json_null(), NULL), "GPU evidence entry 0 is not an object");
}

static void
test_missing_arch(void **state)
{
	(void)state;
	field_fails("arch", NULL, "GPU evidence entry 0: no \"arch\" (HOPPER, BLACKWELL, LS10)");
	field_fails("arch", json_string("BLACKWELLXXXXXXX"), "GPU evidence entry 0: no \"arch\"");   /* 16 characters */
}

static void
test_arch_not_string(void **state)
{
	const char *why = "GPU evidence entry 0: arch, nonce, driver_version, vbios_version and uuid must be strings";

	(void)state;
	field_fails("arch", json_integer(9), why);
	field_fails("arch", json_null(), why);
	field_fails("driver_version", json_real(550.9), why);
	field_fails("vbios_version", json_true(), why);
	field_fails("uuid", json_array(), why);
	field_fails("nonce", json_integer(0), why);
}

static void
test_missing_evidence(void **state)
{
	(void)state;
	field_fails("evidence", NULL, "GPU evidence entry 0: no \"evidence\" string");
	field_fails("evidence", json_integer(17), "GPU evidence entry 0: no \"evidence\" string");
	field_fails("certificate", NULL, "GPU evidence entry 0: no \"certificate\" string");
	field_fails("certificate", json_object(), "GPU evidence entry 0: no \"certificate\" string");
}

static void
test_evidence_not_base64(void **state)
{
	const char *why = "GPU evidence entry 0: \"evidence\" is not base64 of at most 8192 bytes";

	(void)state;
	field_fails("evidence", json_string("!!!!"), why);
	field_fails("evidence", json_string("EeAB/wA"), why);      /* padding missing */
	field_fails("evidence", json_string("EeAB_wA="), why);     /* base64url */
	field_fails("evidence", json_string("EeAB /wA="), why);    /* a space */
	field_fails("evidence", json_string("EeAB/wB="), why);     /* non-zero trailing bits */
	field_fails("evidence", json_string(""), why);             /* nothing */
	field_fails("evidence", json_string("11e001f"), "\"evidence\" is not base64");    /* hex text of odd length */
	field_fails("certificate", json_string("not base64"),
	    "GPU evidence entry 0: \"certificate\" is not base64 of at most 65536 bytes");
}

static void
test_nonce_length(void **state)
{
	const char *why = "GPU evidence entry 0: \"nonce\" is not 64 hex digits";

	(void)state;
	field_fails("nonce", json_string(NONCE550 + 1), why);                 /* 63 */
	field_fails("nonce", json_string(NONCE550 "0"), why);                 /* 65 */
	field_fails("nonce", json_string(NONCE550 "00"), why);                /* 66: 33 bytes */
	field_fails("nonce", json_string(""), why);
}

static void
test_nonce_not_hex(void **state)
{
	const char *why = "GPU evidence entry 0: \"nonce\" is not 64 hex digits";
	char bad[65];

	(void)state;
	memset(bad, 'z', 64);
	bad[64] = '\0';
	field_fails("nonce", json_string(bad), why);
	memcpy(bad, NONCE550, 64);
	bad[10] = 'g';
	field_fails("nonce", json_string(bad), why);
	memcpy(bad, NONCE550, 64);
	bad[63] = ' ';
	field_fails("nonce", json_string(bad), why);
}

static void
test_duplicate_keys(void **state)
{
	static const char dup[] = "[{\"arch\":\"HOPPER\",\"evidence\":\"EeAB/wA=\",\"certificate\":\"QUFB\","
				  "\"arch\":\"LS10\"}]";
	static const char dup_nested[] = "[{\"arch\":\"HOPPER\",\"evidence\":\"EeAB/wA=\",\"certificate\":\"QUFB\","
					 "\"x\":{\"a\":1,\"a\":2}}]";
	static const char once[] = "[{\"arch\":\"HOPPER\",\"evidence\":\"EeAB/wA=\",\"certificate\":\"QUFB\"}]";
	struct ag_nv_evidence_entry *out;
	size_t n;
	struct ag_err err;

	(void)state;
	text_fails(dup, sizeof(dup) - 1, "GPU evidence: not JSON: duplicate object key");
	text_fails(dup_nested, sizeof(dup_nested) - 1, "duplicate object key");
	/* Without the duplicate it parses. */
	assert_int_equal(parse_text(once, sizeof(once) - 1, &out, &n, &err), AG_OK);
	assert_int_equal(out[0].chain_len, 3);
	ag_nv_evidence_free(out, n);
}

static void
test_too_large(void **state)
{
	char *text = malloc(AG_NV_EVIDENCE_MAX_BYTES + 1);
	json_t *e = synth();
	char *entry = json_dumps(e, JSON_COMPACT);
	struct ag_nv_evidence_entry *out;
	size_t n, len;
	struct ag_err err;

	(void)state;
	assert_non_null(text);
	assert_non_null(entry);
	/* One entry padded with spaces to exactly the limit parses; one byte more does not. */
	memset(text, ' ', AG_NV_EVIDENCE_MAX_BYTES + 1);
	len = (size_t)snprintf(text, AG_NV_EVIDENCE_MAX_BYTES, "[%s]", entry);
	text[len] = ' ';
	assert_int_equal(parse_text(text, AG_NV_EVIDENCE_MAX_BYTES, &out, &n, &err), AG_OK);
	ag_nv_evidence_free(out, n);
	text_fails(text, AG_NV_EVIDENCE_MAX_BYTES + 1, "GPU evidence: 8388609 bytes, more than 8388608");
	json_decref(e);
	free(entry);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_550),
		cmocka_unit_test(test_parse_two_entries),
		cmocka_unit_test(test_parse_synthetic),
		cmocka_unit_test(test_64_devices),
		cmocka_unit_test(test_report_size_limit),
		cmocka_unit_test(test_decoded_one_over),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_not_a_list),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_65_devices),
		cmocka_unit_test(test_entry_not_object),
		cmocka_unit_test(test_missing_arch),
		cmocka_unit_test(test_arch_not_string),
		cmocka_unit_test(test_missing_evidence),
		cmocka_unit_test(test_evidence_not_base64),
		cmocka_unit_test(test_nonce_length),
		cmocka_unit_test(test_nonce_not_hex),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
