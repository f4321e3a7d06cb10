/*
 * test_claims.c - lib/format/claims.c: JSON Pointer validity and lookup
 * (RFC 6901 escapes, array indices), and strict claims parsing.  The
 * repository's test/data/claims fixture, the decoded claims of a real
 * AzureGuest token from ../shared/vectors/maa (skipped visibly when absent)
 * and documents written here.
 */
#include "testutil.h"

#include <jansson.h>

#include "base/fileio.h"
#include "format/claims.h"

static json_t *
parse_ok(const char *s)
{
	json_t *j = NULL;
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_claims_parse((const uint8_t *)s, strlen(s), &j, &err) != AG_OK)
		fail_msg("%s: %s", s, err.msg);
	assert_true(json_is_object(j));
	return j;
}

static void
parse_fails(const char *s, size_t len, const char *why)
{
	json_t *j = (json_t *)1;
	struct ag_err err;

	ag_err_clear(&err);
	assert_int_equal(ag_claims_parse((const uint8_t *)s, len, &j, &err), AG_EINVALID);
	assert_null(j);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
}

static void
test_pointer_valid(void **state)
{
	char *longp;

	(void)state;
	assert_true(ag_claims_pointer_valid("/a"));
	assert_true(ag_claims_pointer_valid("/"));
	assert_true(ag_claims_pointer_valid("//"));
	assert_true(ag_claims_pointer_valid("/a~0b~1c"));
	assert_true(ag_claims_pointer_valid("/x-ms-isolation-tee/x-ms-sevsnpvm-vmpl"));
	assert_true(ag_claims_pointer_valid("/a/0/b"));
	assert_false(ag_claims_pointer_valid(NULL));
	assert_false(ag_claims_pointer_valid(""));
	assert_false(ag_claims_pointer_valid("a"));
	assert_false(ag_claims_pointer_valid("#/a"));
	assert_false(ag_claims_pointer_valid("/a~"));
	assert_false(ag_claims_pointer_valid("/a~2"));
	assert_false(ag_claims_pointer_valid("/~/"));
	assert_false(ag_claims_pointer_valid("/a~~0"));
	/* The bound is inclusive. */
	longp = malloc(AG_CLAIMS_POINTER_MAX + 2);
	assert_non_null(longp);
	memset(longp, 'k', AG_CLAIMS_POINTER_MAX + 1);
	longp[0] = '/';
	longp[AG_CLAIMS_POINTER_MAX] = '\0';
	assert_true(ag_claims_pointer_valid(longp));
	longp[AG_CLAIMS_POINTER_MAX] = 'k';
	longp[AG_CLAIMS_POINTER_MAX + 1] = '\0';
	assert_false(ag_claims_pointer_valid(longp));
	free(longp);
}

static void
test_lookup_objects(void **state)
{
	json_t *j = parse_ok("{\"a\":{\"b\":{\"c\":42}},\"a/b\":1,\"m~n\":2,\"~1\":3,\"\":{\"\":4},"
			     "\"x\":null,\"t\":true,\"s\":\"str\"}");

	(void)state;
	assert_int_equal(json_integer_value(ag_claims_lookup(j, "/a/b/c")), 42);
	assert_true(json_is_object(ag_claims_lookup(j, "/a/b")));
	assert_ptr_equal(ag_claims_lookup(j, "/a"), json_object_get(j, "a"));
	/* Escapes: ~1 is '/', ~0 is '~', and ~01 is "~1" (not "/"). */
	assert_int_equal(json_integer_value(ag_claims_lookup(j, "/a~1b")), 1);
	assert_int_equal(json_integer_value(ag_claims_lookup(j, "/m~0n")), 2);
	assert_int_equal(json_integer_value(ag_claims_lookup(j, "/~01")), 3);
	assert_null(ag_claims_lookup(j, "/a/b/c/d"));
	assert_null(ag_claims_lookup(j, "/m~n"));        /* invalid pointer, never a guess */
	assert_null(ag_claims_lookup(j, "/a~1c"));
	/* The empty key. */
	assert_int_equal(json_integer_value(ag_claims_lookup(j, "//")), 4);
	assert_true(json_is_object(ag_claims_lookup(j, "/")));
	/* JSON null is a value, not an absence. */
	assert_true(json_is_null(ag_claims_lookup(j, "/x")));
	assert_true(json_is_true(ag_claims_lookup(j, "/t")));
	assert_null(ag_claims_lookup(j, "/s/0"));        /* a string has no members */
	assert_null(ag_claims_lookup(j, "/t/x"));
	assert_null(ag_claims_lookup(j, "/missing"));
	assert_null(ag_claims_lookup(j, "/A"));           /* case matters */
	assert_null(ag_claims_lookup(j, "a"));
	assert_null(ag_claims_lookup(j, ""));
	assert_null(ag_claims_lookup(NULL, "/a"));
	json_decref(j);
}

static void
test_lookup_arrays(void **state)
{
	json_t *j = parse_ok("{\"l\":[10,11,[20,21],{\"k\":\"v\"}],\"o\":{\"0\":\"zero\",\"01\":\"one\"}}");

	(void)state;
	assert_int_equal(json_integer_value(ag_claims_lookup(j, "/l/0")), 10);
	assert_int_equal(json_integer_value(ag_claims_lookup(j, "/l/1")), 11);
	assert_int_equal(json_integer_value(ag_claims_lookup(j, "/l/2/1")), 21);
	assert_string_equal(json_string_value(ag_claims_lookup(j, "/l/3/k")), "v");
	assert_null(ag_claims_lookup(j, "/l/4"));
	assert_null(ag_claims_lookup(j, "/l/01"));       /* no leading zeros */
	assert_null(ag_claims_lookup(j, "/l/-"));        /* no "past the end" */
	assert_null(ag_claims_lookup(j, "/l/-1"));
	assert_null(ag_claims_lookup(j, "/l/+1"));
	assert_null(ag_claims_lookup(j, "/l/1a"));
	assert_null(ag_claims_lookup(j, "/l/ 1"));
	assert_null(ag_claims_lookup(j, "/l/"));
	assert_null(ag_claims_lookup(j, "/l/k"));
	assert_null(ag_claims_lookup(j, "/l/99999999999999999999999"));
	assert_null(ag_claims_lookup(j, "/l/18446744073709551617"));
	/* Object members named like indices are plain keys. */
	assert_string_equal(json_string_value(ag_claims_lookup(j, "/o/0")), "zero");
	assert_string_equal(json_string_value(ag_claims_lookup(j, "/o/01")), "one");
	json_decref(j);
}

/* A key as long as a pointer may be is found, not taken for a missing one. */
static void
test_lookup_long_key(void **state)
{
	size_t klen = AG_CLAIMS_POINTER_MAX - 1;
	char *key = malloc(klen + 1), *ptr = malloc(klen + 2);
	json_t *j = json_object();

	(void)state;
	assert_non_null(key);
	assert_non_null(ptr);
	memset(key, 'q', klen);
	key[klen] = '\0';
	json_object_set_new(j, key, json_integer(7));
	ptr[0] = '/';
	memcpy(ptr + 1, key, klen + 1);
	assert_int_equal(json_integer_value(ag_claims_lookup(j, ptr)), 7);
	/* One character less names another key. */
	ptr[klen] = '\0';
	assert_null(ag_claims_lookup(j, ptr));
	free(key);
	free(ptr);
	json_decref(j);
}

static void
test_parse(void **state)
{
	json_t *j;
	char *big;

	(void)state;
	j = parse_ok("{}");
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);
	j = parse_ok("  {\"a\" : 1}\n");
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
	json_decref(j);
	parse_fails("{\"a\":1,\"a\":2}", 13, "not valid JSON");
	parse_fails("{\"a\":{\"b\":1,\"b\":1}}", 19, "not valid JSON");
	parse_fails("[]", 2, "must be a JSON object");
	parse_fails("\"s\"", 3, "not valid JSON");            /* scalars are not documents here */
	parse_fails("42", 2, "not valid JSON");
	parse_fails("{\"a\":1", 6, "not valid JSON");
	parse_fails("{\"a\":1}x", 8, "not valid JSON");
	parse_fails("", 0, "not valid JSON");
	parse_fails("{\"a\":\"\\u0000\"}", 14, "not valid JSON");   /* NUL inside a string */
	/* Only len bytes are read: the rest of the buffer is not part of the document. */
	parse_fails("{\"a\":1}", 6, "line 1");
	j = NULL;
	{
		struct ag_err err;

		assert_int_equal(ag_claims_parse((const uint8_t *)"{\"a\":1}trailing", 7, &j, &err), AG_OK);
		json_decref(j);
	}
	/* The size bound. */
	big = malloc(AG_CLAIMS_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, ' ', AG_CLAIMS_MAX_BYTES + 1);
	big[0] = '{';
	big[AG_CLAIMS_MAX_BYTES - 1] = '}';
	big[AG_CLAIMS_MAX_BYTES + 1] = '\0';
	j = NULL;
	{
		struct ag_err err;

		assert_int_equal(ag_claims_parse((const uint8_t *)big, AG_CLAIMS_MAX_BYTES, &j, &err), AG_OK);
		json_decref(j);
	}
	parse_fails(big, AG_CLAIMS_MAX_BYTES + 1, "larger than 1048576 bytes");
	free(big);
}

/* The claims fixture of this repository (an AzureGuest token's claims). */
static void
test_fixture(void **state)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	json_t *j = NULL;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_file_read("test/data/claims/azure-cvm-snp.json", 1 << 20, AG_ECONFIG, &buf, &len, &err), AG_OK);
	assert_int_equal(ag_claims_parse(buf, len, &j, &err), AG_OK);
	assert_string_equal(json_string_value(ag_claims_lookup(j, "/x-ms-attestation-type")), "azurevm");
	assert_string_equal(json_string_value(ag_claims_lookup(j, "/x-ms-isolation-tee/x-ms-attestation-type")), "sevsnpvm");
	assert_int_equal(json_integer_value(ag_claims_lookup(j, "/x-ms-isolation-tee/x-ms-sevsnpvm-microcode-svn")), 93);
	assert_true(json_is_false(ag_claims_lookup(j, "/x-ms-isolation-tee/x-ms-sevsnpvm-is-debuggable")));
	assert_int_equal(json_integer_value(ag_claims_lookup(j, "/x-ms-azurevm-attested-pcrs/7")), 7);
	assert_null(ag_claims_lookup(j, "/x-ms-azurevm-attested-pcrs/8"));
	assert_string_equal(json_string_value(ag_claims_lookup(j, "/x-ms-runtime/client-payload/nonce")), "MTIzNA==");
	assert_string_equal(json_string_value(ag_claims_lookup(j, "/a~1b/m~0n")), "escaped");
	assert_true(json_is_real(ag_claims_lookup(j, "/ratio")));
	json_decref(j);
	free(buf);
}

/* Decoded claims of a real AzureGuest token, if ../shared is here. */
static void
test_real_claims(void **state)
{
	char path[512];
	const char *shared = getenv("AG_SHARED") != NULL ? getenv("AG_SHARED") : "../shared";
	uint8_t *buf = NULL;
	size_t len = 0;
	json_t *j = NULL;
	struct ag_err err;

	(void)state;
	snprintf(path, sizeof(path), "%s/vectors/maa/azureguest-cvm-claims-decoded-windows.json", shared);
	if (access(path, R_OK) != 0) {
		print_message("# skipped: ../shared/vectors/maa is not present\n");
		skip();
	}
	assert_int_equal(ag_file_read(path, 1 << 20, AG_ECONFIG, &buf, &len, &err), AG_OK);
	assert_int_equal(ag_claims_parse(buf, len, &j, &err), AG_OK);
	assert_string_equal(json_string_value(ag_claims_lookup(j, "/x-ms-attestation-type")), "azurevm");
	assert_string_equal(json_string_value(ag_claims_lookup(j, "/x-ms-isolation-tee/x-ms-attestation-type")), "sevsnpvm");
	assert_true(json_is_string(ag_claims_lookup(j, "/x-ms-isolation-tee/x-ms-sevsnpvm-launchmeasurement")));
	assert_int_equal(strlen(json_string_value(ag_claims_lookup(j, "/x-ms-isolation-tee/x-ms-sevsnpvm-launchmeasurement"))),
	    96);
	json_decref(j);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pointer_valid),
		cmocka_unit_test(test_lookup_objects),
		cmocka_unit_test(test_lookup_arrays),
		cmocka_unit_test(test_lookup_long_key),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_real_claims),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
