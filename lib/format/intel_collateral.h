/*
 * format/intel_collateral.h - Intel's signed collateral as PCS serves it (TDX TCB
 * info, QE identity): {"<member>": {...}, "signature": hex r||s}, where
 * the signature is ECDSA P-256 over the exact bytes of the member's value,
 * by the TCB Signing certificate chained to the pinned Intel SGX Root CA,
 * valid between its issueDate and nextUpdate.
 */
#ifndef AG_INTEL_COLLATERAL_H
#define AG_INTEL_COLLATERAL_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"

#define AG_INTEL_COLLATERAL_MAX (256 * 1024)

/*
 * Opens collateral body (len bytes): parses it, checks the signing chain
 * (first certificate of signing_chain) to the pinned root (or test_roots),
 * the signature over the raw member value, member.id == id and the
 * issueDate..nextUpdate window at time at.  *root is the whole document
 * (caller frees), *info its member object.  AG_EINVALID naming the fault.
 */
enum ag_code ag_intel_collateral_open(const uint8_t *body, size_t len, const char *member, const char *id,
    STACK_OF(X509) *signing_chain, STACK_OF(X509) *test_roots, time_t at, json_t **root, json_t **info,
    struct ag_err *err);

#endif
