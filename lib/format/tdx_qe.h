/*
 * format/tdx_qe.h - the TD quoting enclave's identity: the QE report inside a TD
 * quote (an SGX REPORT_BODY signed by the PCK) must come from Intel's TD
 * QE.  Always checked: Intel's MRSIGNER, the TD QE's ISVPRODID and DEBUG
 * clear.  With Intel's QE identity collateral (PCS
 * /tdx/certification/v4/qe/identity) also: its signature and window,
 * MISCSELECT and ATTRIBUTES under their masks, and ISVSVN to a TCB status.
 */
#ifndef AG_TDX_QE_H
#define AG_TDX_QE_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"
#include "format/tdx.h"

/* Intel's TD QE (as its QE identity collateral states it): MRSIGNER and ISVPRODID. */
#define AG_TDX_QE_MRSIGNER_HEX "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5"
#define AG_TDX_QE_ISVPRODID 2

/* The checks that need no collateral: Intel's MRSIGNER, the TD QE's ISVPRODID, DEBUG clear; AG_EINVALID otherwise. */
enum ag_code ag_tdx_qe_check_builtin(const uint8_t qe_report[384], struct ag_err *err);

/* Folds the QE's TCB status into attester_tcb_status (when set): a QE that is not UpToDate makes it OutOfDate*. */
void ag_tdx_qe_converge(json_t *claims, const char *qe_status);

/*
 * Checks q's QE report against the QE identity body ({"enclaveIdentity":
 * {...}, "signature": hex}) signed by the first certificate of
 * signing_chain; adds x-attestgate-tdx-qe-tcb-status to claims.
 * AG_EINVALID when forged, expired, not matching, Revoked or below every level.
 */
enum ag_code ag_tdx_qe_identity_check(const struct ag_tdx_quote *q, const uint8_t *body, size_t len,
    STACK_OF(X509) *signing_chain, STACK_OF(X509) *test_roots, time_t at, json_t *claims, struct ag_err *err);

#endif
