/*
 * format/tdx_qe.c - QE report fields (SGX REPORT_BODY: MISCSELECT at 16, ATTRIBUTES
 * at 48, MRSIGNER at 128, ISVPRODID at 256, ISVSVN at 258, little endian)
 * against Intel's TD QE identity, with the collateral opened by
 * intel_collateral.c.  The rules follow Intel's QvL and go-tdx-guest's
 * verifyQeReport: (field & mask) == expected, exact MRSIGNER and ISVPRODID,
 * the first TCB level whose isvsvn the report's ISVSVN reaches.
 */
#include "format/tdx_qe.h"

#include <string.h>

#include "base/digest.h"
#include "format/intel_collateral.h"

#define OFF_MISCSELECT 16
#define OFF_ATTRIBUTES 48
#define OFF_MRSIGNER 128
#define OFF_ISVPRODID 256
#define OFF_ISVSVN 258
#define ATTR_DEBUG 0x02     /* ATTRIBUTES.FLAGS bit 1 */

static unsigned
le16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

enum ag_code
ag_tdx_qe_check_builtin(const uint8_t qe[384], struct ag_err *err)
{
	uint8_t intel[32];

	if (ag_hex_decode(AG_TDX_QE_MRSIGNER_HEX, intel, sizeof(intel)) != 0 || memcmp(qe + OFF_MRSIGNER, intel, 32) != 0)
		return ag_err_set(err, AG_EINVALID, "the QE report is not from Intel's quoting enclave (MRSIGNER is not Intel's)");
	if (le16(qe + OFF_ISVPRODID) != AG_TDX_QE_ISVPRODID)
		return ag_err_set(err, AG_EINVALID, "the QE report is not from the TD quoting enclave (ISVPRODID %u, not %d)",
		    le16(qe + OFF_ISVPRODID), AG_TDX_QE_ISVPRODID);
	if (qe[OFF_ATTRIBUTES] & ATTR_DEBUG)
		return ag_err_set(err, AG_EINVALID, "the quoting enclave runs in DEBUG mode");
	return AG_OK;
}

/* (have & mask) == want for n bytes given as hex strings of 2n digits; -1 when malformed. */
static int
masked_equal(const uint8_t *have, const char *want_hex, const char *mask_hex, size_t n)
{
	uint8_t want[16], mask[16];

	if (n > sizeof(want) || want_hex == NULL || mask_hex == NULL || strlen(want_hex) != 2 * n ||
	    strlen(mask_hex) != 2 * n || ag_hex_decode(want_hex, want, n) != 0 || ag_hex_decode(mask_hex, mask, n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((have[i] & mask[i]) != want[i])
			return 0;
	return 1;
}

/*
 * An out-of-date quoting enclave makes the platform out of date too (as
 * Intel's QvL converges the two): attester_tcb_status, when the TCB info set
 * it, becomes OutOfDate (or OutOfDateConfigurationNeeded).
 */
void
ag_tdx_qe_converge(json_t *claims, const char *qe_status)
{
	const char *tcb = json_string_value(json_object_get(claims, "attester_tcb_status"));

	if (tcb == NULL || strcmp(qe_status, "UpToDate") == 0 || strcmp(tcb, "Revoked") == 0 ||
	    strncmp(tcb, "OutOfDate", 9) == 0)
		return;
	json_object_set_new(claims, "attester_tcb_status",
	    json_string(strncmp(tcb, "Configuration", 13) == 0 ? "OutOfDateConfigurationNeeded" : "OutOfDate"));
}

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

enum ag_code
ag_tdx_qe_identity_check(const struct ag_tdx_quote *q, const uint8_t *body, size_t len, STACK_OF(X509) *signing_chain,
    STACK_OF(X509) *test_roots, time_t at, json_t *claims, struct ag_err *err)
{
	const uint8_t *qe = q->qe_report;
	json_t *root = NULL, *id = NULL, *level;
	const char *status = NULL, *mrsigner;
	uint8_t misc_le[4], want_signer[32];
	unsigned isvsvn = le16(qe + OFF_ISVSVN);
	size_t i;
	int m, a;
	enum ag_code rc;

	rc = ag_intel_collateral_open(body, len, "enclaveIdentity", "TD_QE", signing_chain, test_roots, at, &root, &id, err);
	if (rc != AG_OK) {
		ag_err_prefix(err, "QE identity");
		return rc;
	}
	if (!json_is_integer(json_object_get(id, "version")) || json_integer_value(json_object_get(id, "version")) != 2)
		rc = ag_err_set(err, AG_EINVALID, "QE identity: version is not 2");
	/* MISCSELECT is a little-endian uint32 in the report; the collateral writes it as big-endian hex. */
	for (int b = 0; b < 4; b++)
		misc_le[b] = qe[OFF_MISCSELECT + 3 - b];
	m = masked_equal(misc_le, str(id, "miscselect"), str(id, "miscselectMask"), 4);
	a = masked_equal(qe + OFF_ATTRIBUTES, str(id, "attributes"), str(id, "attributesMask"), 16);
	mrsigner = str(id, "mrsigner");
	if (rc == AG_OK && (m < 0 || a < 0 || mrsigner == NULL || strlen(mrsigner) != 64 ||
			       ag_hex_decode(mrsigner, want_signer, 32) != 0 || !json_is_integer(json_object_get(id, "isvprodid"))))
		rc = ag_err_set(err, AG_EINVALID, "QE identity: miscselect, attributes, mrsigner or isvprodid is malformed");
	if (rc == AG_OK && m == 0)
		rc = ag_err_set(err, AG_EINVALID, "the QE report's MISCSELECT does not match Intel's QE identity");
	if (rc == AG_OK && a == 0)
		rc = ag_err_set(err, AG_EINVALID, "the QE report's ATTRIBUTES do not match Intel's QE identity");
	if (rc == AG_OK && memcmp(qe + OFF_MRSIGNER, want_signer, 32) != 0)
		rc = ag_err_set(err, AG_EINVALID, "the QE report's MRSIGNER is not the QE identity's");
	if (rc == AG_OK && le16(qe + OFF_ISVPRODID) != json_integer_value(json_object_get(id, "isvprodid")))
		rc = ag_err_set(err, AG_EINVALID, "the QE report's ISVPRODID is not the QE identity's");
	/* Levels are listed highest first: the first one the report reaches gives the status. */
	json_array_foreach(rc == AG_OK ? json_object_get(id, "tcbLevels") : NULL, i, level) {
		json_t *svn = json_object_get(json_object_get(level, "tcb"), "isvsvn");

		if (!json_is_integer(svn) || str(level, "tcbStatus") == NULL) {
			rc = ag_err_set(err, AG_EINVALID, "QE identity: TCB level %zu is malformed", i);
			break;
		}
		if (isvsvn >= json_integer_value(svn)) {
			status = str(level, "tcbStatus");
			break;
		}
	}
	if (rc == AG_OK && status == NULL)
		rc = ag_err_set(err, AG_EINVALID, "the quoting enclave's ISVSVN %u is below every level of its QE identity", isvsvn);
	if (rc == AG_OK && strcmp(status, "Revoked") == 0)
		rc = ag_err_set(err, AG_EINVALID, "the quoting enclave's TCB level (ISVSVN %u) is Revoked", isvsvn);
	if (rc == AG_OK) {
		json_object_set_new(claims, "x-attestgate-tdx-qe-tcb-status", json_string(status));
		ag_tdx_qe_converge(claims, status);
	}
	json_decref(root);
	return rc;
}
