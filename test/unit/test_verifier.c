/*
 * test_verifier.c - lib/verifier/verifier.c: the verifier table (the rows
 * "maa" and "local" found by a policy's spec.verifier.type, exactly and
 * case-sensitively; unknown names and NULL find nothing) and
 * ag_verify_out_clear (everything a verify call produced is released and
 * the output is zeroed, also when it is empty or cleared twice).
 */
#include "testutil.h"

#include <jansson.h>

#include "verifier/verifier.h"

static void
test_find_rows(void **state)
{
	const struct ag_verifier *v;

	(void)state;
	v = ag_verifier_find("maa");
	assert_ptr_equal(v, &ag_verifier_maa);
	assert_string_equal(v->name, "maa");
	assert_non_null(v->verify);
	v = ag_verifier_find("local");
	assert_ptr_equal(v, &ag_verifier_local);
	assert_string_equal(v->name, "local");
	assert_non_null(v->verify);
	/* Two rows, two functions. */
	assert_ptr_not_equal(ag_verifier_maa.verify, ag_verifier_local.verify);
}

static void
test_find_unknown(void **state)
{
	static const char *const unknown[] = { "", "MAA", "Local", "ma", "maa ", " maa", "local\n", "loca", "locals",
		"maa-vm", "nras", "intel-trust-authority", "azure-cvm" };

	(void)state;
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		if (ag_verifier_find(unknown[i]) != NULL)
			fail_msg("\"%s\" found a verifier", unknown[i]);
	assert_null(ag_verifier_find(NULL));
}

/* The local row on evidence of a platform it has no check for: AG_ECONFIG, no claims. */
static void
test_local_row_refuses_unknown_platform(void **state)
{
	struct ag_evidence e;
	struct ag_local_opts lo;
	struct ag_verify_in in;
	struct ag_verify_out out;
	struct ag_err err;

	(void)state;
	ag_evidence_init(&e);
	e.platform = "gcp-tdx";
	memset(&lo, 0, sizeof(lo));
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.evidence = &e;
	in.local = &lo;
	ag_err_clear(&err);
	assert_int_equal(ag_verifier_find("local")->verify(&in, &out, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "no local verification for platform \"gcp-tdx\""));
	assert_null(out.claims);
	assert_null(out.token);
	ag_verify_out_clear(&out);
	ag_evidence_clear(&e);
}

static void
test_out_clear(void **state)
{
	struct ag_verify_out out;
	json_t *claims = json_pack("{s:s, s:i}", "x-ms-attestation-type", "azurevm", "n", 93);

	(void)state;
	assert_non_null(claims);
	memset(&out, 0, sizeof(out));
	out.claims = json_incref(claims);   /* one reference kept here to see it dropped */
	out.token = strdup("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln");
	out.jwks = strdup("{\"keys\":[]}");
	out.info.exp = 1700000000;
	out.info.iat = 1699990000;
	out.info.jti = "a-jti";
	out.info.kid = "a-kid";
	out.ms_verifier = 120;
	out.ms_verify = 4;
	assert_int_equal(claims->refcount, 2);
	ag_verify_out_clear(&out);
	assert_int_equal(claims->refcount, 1);
	assert_null(out.claims);
	assert_null(out.token);
	assert_null(out.jwks);
	assert_int_equal(out.info.exp, 0);
	assert_int_equal(out.info.iat, 0);
	assert_null(out.info.jti);
	assert_null(out.info.kid);
	assert_int_equal(out.ms_verifier, 0);
	assert_int_equal(out.ms_verify, 0);
	/* Cleared again, and an output no verifier filled: nothing to free, still zero. */
	ag_verify_out_clear(&out);
	assert_null(out.claims);
	json_decref(claims);
}

static void
test_out_clear_partial(void **state)
{
	struct ag_verify_out out;

	(void)state;
	/* A local verification's output: claims only, no token or keys. */
	memset(&out, 0, sizeof(out));
	out.claims = json_object();
	out.ms_verify = 7;
	ag_verify_out_clear(&out);
	assert_null(out.claims);
	assert_int_equal(out.ms_verify, 0);
	/* A failed maa call may leave the token without claims. */
	out.token = strdup("a.b.c");
	ag_verify_out_clear(&out);
	assert_null(out.token);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_rows),
		cmocka_unit_test(test_find_unknown),
		cmocka_unit_test(test_local_row_refuses_unknown_platform),
		cmocka_unit_test(test_out_clear),
		cmocka_unit_test(test_out_clear_partial),
	};

	return cmocka_run_group_tests_name("verifier", tests, NULL, NULL);
}
