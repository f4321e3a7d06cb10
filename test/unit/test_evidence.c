/*
 * test_evidence.c - lib/platform/evidence.c: the evidence set (add, get,
 * its limits: 16 files, 47-byte names, no duplicates, ownership of the data
 * even when refused), the evidence.json manifest (fields, SHA-256 per file,
 * facts merged), the view handed to the output writer, and the bundle on
 * disk: written (modes, content), read back (platform, nonce, quote
 * binding, files), and refused when evidence.json is malformed (not JSON,
 * unknown platform, bad nonce hex, too many files, bad entries) or a file
 * does not match it (SHA-256, size, missing).  No I/O but a scratch
 * directory.
 */
#include "testutil.h"

#include <jansson.h>

#include "base/clock.h"
#include "base/digest.h"
#include "platform/evidence.h"

/* SHA-256("abc"), FIPS 180-2. */
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_SHA256_TAIL "a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"   /* 63 digits */

static uint8_t *
dup_bytes(const char *s)
{
	uint8_t *p = (uint8_t *)strdup(s);

	assert_non_null(p);
	return p;
}

static void
add_ok(struct ag_evidence *e, const char *name, const char *content)
{
	struct ag_err err;

	if (ag_evidence_add(e, name, dup_bytes(content), strlen(content), &err) != AG_OK)
		fail_msg("adding %s: %s", name, err.msg);
}

/* An evidence set as a collector leaves it: platform, report type, nonce, time, three files, facts. */
static void
sample(struct ag_evidence *e)
{
	struct ag_err err;

	ag_evidence_init(e);
	e->platform = "azure-cvm";
	e->report_type = "snp";
	e->time_ms = 1700000000123LL;
	assert_int_equal(ag_nonce_from_hex(&e->nonce, "00ff10a5", "test", &err), AG_OK);
	add_ok(e, "hcl-report.bin", "abc");
	add_ok(e, "quote.msg", "a quote message");
	add_ok(e, "empty.bin", "");
	ag_evidence_fact(e, "eventlog", json_string("absent"));
	ag_evidence_fact(e, "quoteQualifyingData", json_string("empty"));
}

static void
test_add_get(void **state)
{
	struct ag_evidence e;
	struct ag_err err;
	const struct ag_evidence_blob *b;
	char name[64];

	(void)state;
	ag_evidence_init(&e);
	assert_int_equal(e.n_files, 0);
	assert_true(json_is_object(e.facts));
	assert_null(e.platform);
	assert_int_equal(e.nonce.len, 0);
	add_ok(&e, "a.bin", "first");
	b = ag_evidence_get(&e, "a.bin");
	assert_non_null(b);
	assert_ptr_equal(b, &e.files[0]);
	assert_int_equal(b->len, 5);
	assert_memory_equal(b->data, "first", 5);
	assert_null(ag_evidence_get(&e, "a.bi"));
	assert_null(ag_evidence_get(&e, "a.bin2"));
	/* A second file of the same name is refused, and its data freed (the sanitizer build checks). */
	assert_int_equal(ag_evidence_add(&e, "a.bin", dup_bytes("second"), 6, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "cannot add evidence file a.bin"));
	assert_int_equal(e.n_files, 1);
	assert_memory_equal(ag_evidence_get(&e, "a.bin")->data, "first", 5);
	/* Names: 47 bytes fit, 48 do not. */
	memset(name, 'n', 47);
	name[47] = '\0';
	add_ok(&e, name, "47");
	name[47] = 'n';
	name[48] = '\0';
	assert_int_equal(ag_evidence_add(&e, name, dup_bytes("48"), 2, &err), AG_EEVIDENCE);
	assert_null(ag_evidence_get(&e, name));
	assert_int_equal(e.n_files, 2);
	/* At most AG_EVIDENCE_MAX_FILES files. */
	for (int i = 2; i < AG_EVIDENCE_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		add_ok(&e, name, name);
	}
	assert_int_equal(e.n_files, AG_EVIDENCE_MAX_FILES);
	assert_int_equal(ag_evidence_add(&e, "one-too-many", dup_bytes("x"), 1, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "one-too-many"));
	assert_int_equal(e.n_files, AG_EVIDENCE_MAX_FILES);
	assert_memory_equal(ag_evidence_get(&e, "f15")->data, "f15", 3);
	ag_evidence_clear(&e);
	assert_int_equal(e.n_files, 0);
	assert_null(e.facts);
	/* Facts after clear (no object) are dropped, not leaked. */
	ag_evidence_fact(&e, "late", json_string("dropped"));
	assert_null(e.facts);
}

static void
test_manifest(void **state)
{
	struct ag_evidence e;
	json_t *m, *f;

	(void)state;
	sample(&e);
	ag_evidence_fact(&e, "quotedPcrs", json_pack("[i,i]", 0, 7));
	m = ag_evidence_manifest(&e);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "apiVersion")), "attestgate.io/v1");
	assert_string_equal(json_string_value(json_object_get(m, "kind")), "EvidenceBundle");
	assert_string_equal(json_string_value(json_object_get(m, "platform")), "azure-cvm");
	assert_string_equal(json_string_value(json_object_get(m, "reportType")), "snp");
	assert_string_equal(json_string_value(json_object_get(m, "nonce")), "00ff10a5");
	assert_string_equal(json_string_value(json_object_get(m, "time")), "2023-11-14T22:13:20.123Z");
	assert_string_equal(json_string_value(json_object_get(m, "eventlog")), "absent");
	assert_string_equal(json_string_value(json_object_get(m, "quoteQualifyingData")), "empty");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(m, "quotedPcrs"), 1)), 7);
	f = json_object_get(m, "files");
	assert_int_equal(json_array_size(f), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(f, 0), "name")), "hcl-report.bin");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 0), "size")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(f, 0), "sha256")), ABC_SHA256);
	assert_string_equal(json_string_value(json_object_get(json_array_get(f, 2), "name")), "empty.bin");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 2), "size")), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(f, 2), "sha256")),
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	json_decref(m);
	/* No platform and no report type: "unknown" and null. */
	e.platform = NULL;
	e.report_type = NULL;
	m = ag_evidence_manifest(&e);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "platform")), "unknown");
	assert_true(json_is_null(json_object_get(m, "reportType")));
	json_decref(m);
	ag_evidence_clear(&e);
}

static void
test_files_view(void **state)
{
	struct ag_evidence e;
	struct ag_evidence_file *v;
	char *text = NULL;
	size_t n = 0;
	json_t *m;

	(void)state;
	sample(&e);
	v = ag_evidence_files(&e, &text, &n);
	assert_non_null(v);
	assert_non_null(text);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(v[i].name, e.files[i].name);
		assert_ptr_equal(v[i].data, e.files[i].data);
		assert_int_equal(v[i].len, e.files[i].len);
	}
	assert_string_equal(v[3].name, "evidence.json");
	assert_ptr_equal(v[3].data, (const uint8_t *)text);
	assert_int_equal(v[3].len, strlen(text));
	m = json_loads(text, 0, NULL);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "nonce")), "00ff10a5");
	assert_int_equal(json_array_size(json_object_get(m, "files")), 3);
	json_decref(m);
	free(v);
	free(text);
	ag_evidence_clear(&e);
}

static void
test_bundle_round_trip(void **state)
{
	struct ag_evidence e, back;
	struct ag_err err;
	char *dir = tu_mkdtemp(), *bundle = tu_path(dir, "bundle"), *text;
	json_t *m;

	(void)state;
	sample(&e);
	/* The directory is created when missing. */
	if (ag_evidence_write_bundle(&e, bundle, &err) != AG_OK)
		fail_msg("write_bundle: %s", err.msg);
	assert_int_equal(tu_count_matching(bundle, ""), 2 + 4);   /* ".", ".." and four files, no temporaries */
	assert_int_equal(tu_mode(bundle, "hcl-report.bin"), 0444);
	assert_int_equal(tu_mode(bundle, "evidence.json"), 0444);
	text = tu_read(bundle, "hcl-report.bin", NULL);
	assert_string_equal(text, "abc");
	free(text);
	text = tu_read(bundle, "evidence.json", NULL);
	m = json_loads(text, 0, NULL);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "platform")), "azure-cvm");
	json_decref(m);
	free(text);
	/* Read back: the platform as its static name, the nonce, the quote binding, every file. */
	ag_evidence_init(&back);
	if (ag_evidence_read_bundle(bundle, &back, &err) != AG_OK)
		fail_msg("read_bundle: %s", err.msg);
	assert_ptr_equal(back.platform, ag_evidence_platform_name("azure-cvm"));
	assert_int_equal(back.nonce.len, 4);
	assert_memory_equal(back.nonce.v, "\x00\xff\x10\xa5", 4);
	assert_int_equal(back.quote_unbound, 1);
	assert_int_equal(back.n_files, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct ag_evidence_blob *b = ag_evidence_get(&back, e.files[i].name);

		assert_non_null(b);
		assert_int_equal(b->len, e.files[i].len);
		assert_memory_equal(b->data, e.files[i].data, b->len);
	}
	ag_evidence_clear(&back);
	ag_evidence_clear(&e);
	tu_rmtree(bundle);
	tu_rmtree(dir);
	free(bundle);
	free(dir);
}

/* Parses text; returns the code, with files checked to be set only on success. */
static enum ag_code
parse(const char *text, struct ag_evidence *e, struct ag_err *err)
{
	json_t *files = (json_t *)err;
	enum ag_code rc;

	ag_evidence_init(e);
	ag_err_clear(err);
	rc = ag_evidence_manifest_parse((const uint8_t *)text, strlen(text), e, &files, err);
	if (rc == AG_OK)
		assert_true(json_is_array(files));
	else
		assert_null(files);
	json_decref(files);
	return rc;
}

static void
expect_parse_error(const char *text, const char *why)
{
	struct ag_evidence e;
	struct ag_err err;

	if (parse(text, &e, &err) != AG_ECONFIG)
		fail_msg("accepted: %s", text);
	if (strstr(err.msg, why) == NULL)
		fail_msg("for %s: message \"%s\" lacks \"%s\"", text, err.msg, why);
	ag_evidence_clear(&e);
}

/* A manifest with n listed files named f00.. (sizes and digests of "abc"). */
static char *
manifest_with(int n)
{
	json_t *files = json_array(), *m;
	char name[16], *text;

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		json_array_append_new(files, json_pack("{s:s,s:i,s:s}", "name", name, "size", 3, "sha256", ABC_SHA256));
	}
	m = json_pack("{s:s,s:s,s:o}", "platform", "tdx", "nonce", "0102", "files", files);
	text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	assert_non_null(text);
	return text;
}

static void
test_parse(void **state)
{
	struct ag_evidence e;
	struct ag_err err;
	char *text;

	(void)state;
	assert_int_equal(parse("{\"platform\":\"sev-snp\",\"nonce\":\"AbCd\",\"files\":[]}", &e, &err), AG_OK);
	assert_string_equal(e.platform, "sev-snp");
	assert_int_equal(e.nonce.len, 2);
	assert_memory_equal(e.nonce.v, "\xab\xcd", 2);
	assert_int_equal(e.quote_unbound, 0);
	ag_evidence_clear(&e);
	assert_int_equal(parse("{\"platform\":\"azure-cvm\",\"nonce\":\"00\",\"files\":[],\"quoteQualifyingData\":\"nonce\"}",
	    &e, &err), AG_OK);
	assert_int_equal(e.quote_unbound, 0);
	ag_evidence_clear(&e);
	/* Exactly AG_EVIDENCE_MAX_FILES entries are fine, one more is not. */
	text = manifest_with(AG_EVIDENCE_MAX_FILES);
	assert_int_equal(parse(text, &e, &err), AG_OK);
	assert_string_equal(e.platform, "tdx");
	ag_evidence_clear(&e);
	free(text);
	text = manifest_with(AG_EVIDENCE_MAX_FILES + 1);
	expect_parse_error(text, "has no list of at most 16 files");
	free(text);
}

static void
test_parse_errors(void **state)
{
	static const char *const not_hex[] = { "\"\"", "\"0\"", "\"abc\"", "\"zz\"", "\"0x00\"", "\"00 11\"", "17", "null" };
	char text[512], big[140];

	(void)state;
	expect_parse_error("", "is not a JSON object");
	expect_parse_error("[1,2]", "is not a JSON object");
	expect_parse_error("{\"platform\":\"tdx\",\"platform\":\"tdx\"}", "is not a JSON object");
	expect_parse_error("{\"platform\":\"sgx\",\"nonce\":\"00\",\"files\":[]}", "names no known platform");
	expect_parse_error("{\"platform\":\"unknown\",\"nonce\":\"00\",\"files\":[]}", "names no known platform");
	expect_parse_error("{\"platform\":\"AZURE-CVM\",\"nonce\":\"00\",\"files\":[]}", "names no known platform");
	expect_parse_error("{\"nonce\":\"00\",\"files\":[]}", "names no known platform");
	for (size_t i = 0; i < sizeof(not_hex) / sizeof(not_hex[0]); i++) {
		snprintf(text, sizeof(text), "{\"platform\":\"tdx\",\"nonce\":%s,\"files\":[]}", not_hex[i]);
		expect_parse_error(text, "has no valid nonce (hex, at most 64 bytes)");
	}
	expect_parse_error("{\"platform\":\"tdx\",\"files\":[]}", "has no valid nonce");
	/* 65 bytes of nonce. */
	memset(big, 'a', 130);
	big[130] = '\0';
	snprintf(text, sizeof(text), "{\"platform\":\"tdx\",\"nonce\":\"%s\",\"files\":[]}", big);
	expect_parse_error(text, "has no valid nonce");
	expect_parse_error("{\"platform\":\"tdx\",\"nonce\":\"00\"}", "has no list of at most 16 files");
	expect_parse_error("{\"platform\":\"tdx\",\"nonce\":\"00\",\"files\":{}}", "has no list of at most 16 files");
}

static void
test_parse_bad_entries(void **state)
{
	static const char *const entries[] = {
		"{\"name\":\"../x\",\"size\":3,\"sha256\":\"" ABC_SHA256 "\"}",
		"{\"name\":\"a/b\",\"size\":3,\"sha256\":\"" ABC_SHA256 "\"}",
		"{\"name\":\".hidden\",\"size\":3,\"sha256\":\"" ABC_SHA256 "\"}",
		"{\"name\":\"\",\"size\":3,\"sha256\":\"" ABC_SHA256 "\"}",
		"{\"name\":\"evidence.json\",\"size\":3,\"sha256\":\"" ABC_SHA256 "\"}",
		"{\"name\":\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\",\"size\":3,\"sha256\":\"" ABC_SHA256 "\"}",
		"{\"name\":\"a\",\"sha256\":\"" ABC_SHA256 "\"}",
		"{\"name\":\"a\",\"size\":\"3\",\"sha256\":\"" ABC_SHA256 "\"}",
		"{\"name\":\"a\",\"size\":3}",
		"{\"name\":\"a\",\"size\":3,\"sha256\":\"ba7816bf\"}",
		"{\"name\":\"a\",\"size\":3,\"sha256\":\"g" ABC_SHA256_TAIL "\"}",
		"{\"size\":3,\"sha256\":\"" ABC_SHA256 "\"}",
		"\"a\"",
	};
	char text[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		snprintf(text, sizeof(text), "{\"platform\":\"tdx\",\"nonce\":\"00\",\"files\":[%s]}", entries[i]);
		expect_parse_error(text, "lists a file without a valid name, size and sha256");
	}
}

/* Larger than 4 MiB: refused before it is parsed. */
static void
test_parse_too_large(void **state)
{
	size_t len = 4 * 1024 * 1024 + 1;
	uint8_t *text = malloc(len);
	struct ag_evidence e;
	struct ag_err err;
	json_t *files = NULL;

	(void)state;
	assert_non_null(text);
	memset(text, ' ', len);
	text[0] = '{';
	text[len - 1] = '}';
	ag_evidence_init(&e);
	assert_int_equal(ag_evidence_manifest_parse(text, len, &e, &files, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "larger than 4194304 bytes"));
	assert_null(files);
	ag_evidence_clear(&e);
	free(text);
}

/* Writes the sample bundle into dir/b; returns its path. */
static char *
written_bundle(const char *dir)
{
	struct ag_evidence e;
	struct ag_err err;
	char *b = tu_path(dir, "b");

	sample(&e);
	assert_int_equal(ag_evidence_write_bundle(&e, b, &err), AG_OK);
	ag_evidence_clear(&e);
	return b;
}

static void
expect_read_error(const char *bundle, enum ag_code want, const char *why)
{
	struct ag_evidence e;
	struct ag_err err;
	enum ag_code rc;

	ag_evidence_init(&e);
	ag_err_clear(&err);
	rc = ag_evidence_read_bundle(bundle, &e, &err);
	ag_evidence_clear(&e);
	if (rc != want || strstr(err.msg, why) == NULL)
		fail_msg("read_bundle: %d \"%s\", expected %d with \"%s\"", rc, err.msg, want, why);
}

static void
remove_file(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);

	assert_int_equal(unlink(p), 0);
	free(p);
}

/* Replaces dir/name (read-only) with content. */
static void
replace(const char *dir, const char *name, const char *content)
{
	remove_file(dir, name);
	tu_write(dir, name, content);
}

static void
test_read_altered(void **state)
{
	char *dir = tu_mkdtemp(), *b = written_bundle(dir), *m = tu_read(b, "evidence.json", NULL);

	(void)state;
	/* Same size, another byte: the SHA-256 differs. */
	replace(b, "hcl-report.bin", "abd");
	expect_read_error(b, AG_ECONFIG,
	    "hcl-report.bin does not match evidence.json (size or SHA-256 differs): the bundle was altered");
	/* Another size. */
	replace(b, "hcl-report.bin", "abcd");
	expect_read_error(b, AG_ECONFIG, "the bundle was altered");
	replace(b, "hcl-report.bin", "abc");
	replace(b, "empty.bin", "\n");
	expect_read_error(b, AG_ECONFIG, "empty.bin does not match evidence.json");
	replace(b, "empty.bin", "");
	/* Missing: unreadable is a configuration error too. */
	remove_file(b, "quote.msg");
	expect_read_error(b, AG_ECONFIG, "quote.msg");
	tu_write(b, "quote.msg", "a quote message");
	/* A manifest naming an unknown platform: prefixed with the bundle. */
	replace(b, "evidence.json", "{\"platform\":\"nitro\",\"nonce\":\"00\",\"files\":[]}");
	expect_read_error(b, AG_ECONFIG, "names no known platform");
	expect_read_error(b, AG_ECONFIG, b);
	/* The original manifest again: the bundle reads. */
	replace(b, "evidence.json", m);
	expect_read_error(b, AG_OK, "");
	/* No manifest at all. */
	remove_file(b, "evidence.json");
	expect_read_error(b, AG_ECONFIG, "evidence.json");
	free(m);
	tu_rmtree(b);
	tu_rmtree(dir);
	free(b);
	free(dir);
}

/*
 * A manifest that lists one file twice is an altered bundle: read_bundle
 * promises AG_ECONFIG for that (evidence.h), like every other alteration.
 */
static void
test_read_duplicate_listing(void **state)
{
	char *dir = tu_mkdtemp(), *b = written_bundle(dir), text[1024];
	struct ag_evidence e;
	struct ag_err err;
	enum ag_code rc;

	(void)state;
	snprintf(text, sizeof(text), "{\"platform\":\"azure-cvm\",\"nonce\":\"00\",\"files\":["
	    "{\"name\":\"hcl-report.bin\",\"size\":3,\"sha256\":\"%s\"},"
	    "{\"name\":\"hcl-report.bin\",\"size\":3,\"sha256\":\"%s\"}]}", ABC_SHA256, ABC_SHA256);
	replace(b, "evidence.json", text);
	ag_evidence_init(&e);
	rc = ag_evidence_read_bundle(b, &e, &err);
	ag_evidence_clear(&e);
	tu_rmtree(b);
	tu_rmtree(dir);
	free(b);
	free(dir);
	if (rc != AG_ECONFIG)
		fail_msg("a manifest listing hcl-report.bin twice: %d \"%s\", expected %d (the bundle was altered)", rc,
		    err.msg, AG_ECONFIG);
	assert_non_null(strstr(err.msg, "hcl-report.bin"));
}

static void
test_platform_name(void **state)
{
	static const char *const names[] = { "azure-cvm", "azure-kata-cc", "sev-snp", "tdx" };
	char copy[32];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		const char *p;

		snprintf(copy, sizeof(copy), "%s", names[i]);
		p = ag_evidence_platform_name(copy);
		assert_non_null(p);
		assert_ptr_not_equal(p, copy);
		assert_string_equal(p, names[i]);
		assert_ptr_equal(p, ag_evidence_platform_name(names[i]));
	}
	assert_null(ag_evidence_platform_name("auto"));
	assert_null(ag_evidence_platform_name("azure-cvm "));
	assert_null(ag_evidence_platform_name("TDX"));
	assert_null(ag_evidence_platform_name(""));
	assert_null(ag_evidence_platform_name(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_get),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_files_view),
		cmocka_unit_test(test_bundle_round_trip),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_bad_entries),
		cmocka_unit_test(test_parse_too_large),
		cmocka_unit_test(test_read_altered),
		cmocka_unit_test(test_read_duplicate_listing),
		cmocka_unit_test(test_platform_name),
	};

	return cmocka_run_group_tests_name("evidence", tests, NULL, NULL);
}
