/*
 * test_tdx_qe.c - the quoting enclave's identity without collateral (Intel's
 * MRSIGNER, the TD QE's ISVPRODID, DEBUG clear) and how its TCB status folds
 * into the platform's.
 */
#include "testutil.h"

#include <jansson.h>

#include "base/digest.h"
#include "format/tdx_qe.h"

static void
intel_qe(uint8_t qe[384])
{
	memset(qe, 0, 384);
	assert_int_equal(ag_hex_decode(AG_TDX_QE_MRSIGNER_HEX, qe + 128, 32), 0);
	qe[48] = 0x15;      /* ATTRIBUTES: INIT, MODE64BIT, PROVISIONKEY */
	qe[256] = 2;        /* ISVPRODID 2: the TD QE */
	qe[258] = 4;        /* ISVSVN */
}

static void
test_builtin_identity(void **state)
{
	uint8_t qe[384];
	struct ag_err err;

	(void)state;
	intel_qe(qe);
	assert_int_equal(ag_tdx_qe_check_builtin(qe, &err), AG_OK);
	qe[48] |= 0x02;
	assert_int_equal(ag_tdx_qe_check_builtin(qe, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "DEBUG"));
	intel_qe(qe);
	qe[256] = 1;        /* the SGX QE, not the TD QE */
	assert_int_equal(ag_tdx_qe_check_builtin(qe, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "ISVPRODID 1"));
	intel_qe(qe);
	qe[140] ^= 1;
	assert_int_equal(ag_tdx_qe_check_builtin(qe, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "MRSIGNER"));
}

static const char *
converged(const char *platform, const char *qe)
{
	static char out[64];
	json_t *c = platform != NULL ? json_pack("{s:s}", "attester_tcb_status", platform) : json_object();

	ag_tdx_qe_converge(c, qe);
	snprintf(out, sizeof(out), "%s", json_string_value(json_object_get(c, "attester_tcb_status")) != NULL ?
	    json_string_value(json_object_get(c, "attester_tcb_status")) : "(none)");
	json_decref(c);
	return out;
}

static void
test_converge(void **state)
{
	(void)state;
	assert_string_equal(converged("UpToDate", "UpToDate"), "UpToDate");
	assert_string_equal(converged("UpToDate", "OutOfDate"), "OutOfDate");
	assert_string_equal(converged("SWHardeningNeeded", "OutOfDate"), "OutOfDate");
	assert_string_equal(converged("ConfigurationNeeded", "OutOfDate"), "OutOfDateConfigurationNeeded");
	assert_string_equal(converged("Revoked", "OutOfDate"), "Revoked");
	assert_string_equal(converged("OutOfDateConfigurationNeeded", "OutOfDate"), "OutOfDateConfigurationNeeded");
	assert_string_equal(converged(NULL, "OutOfDate"), "(none)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_identity),
		cmocka_unit_test(test_converge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
