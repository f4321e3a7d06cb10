/*
 * format/tdx_tcb.h - Intel's TDX TCB info collateral (PCS /tdx/certification/v4/tcb):
 * its signature by the TCB Signing certificate (chained to the pinned Intel
 * root), its validity window, the FMSPC of the quote's PCK certificate, and
 * the TCB level that the PCK's SGX TCB, PCESVN and the quote's TEE_TCB_SVN
 * reach, whose status becomes the claim attester_tcb_status.
 */
#ifndef AG_TDX_TCB_H
#define AG_TDX_TCB_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"
#include "format/intel_collateral.h"
#include "format/tdx.h"

#define AG_TDX_TCB_INFO_MAX AG_INTEL_COLLATERAL_MAX

/*
 * Checks quote q (already verified) against the TCB info body tcb_info
 * ({"tcbInfo": {...}, "signature": hex}) signed by the first certificate of
 * signing_chain.  Adds attester_tcb_status and x-attestgate-tdx-tcb-date to
 * claims.  AG_EINVALID when the collateral is forged, expired, for another
 * platform, or the TCB is revoked or below every level.
 */
enum ag_code ag_tdx_tcb_check(const struct ag_tdx_quote *q, const uint8_t *tcb_info, size_t len,
    STACK_OF(X509) *signing_chain, STACK_OF(X509) *test_roots, time_t at, json_t *claims, struct ag_err *err);

#endif
