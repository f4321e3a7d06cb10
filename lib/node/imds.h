/*
 * node/imds.h - Azure's Instance Metadata Service as a certificate source: the
 * VCEK chain from THIM for this host's SEV-SNP TCB, and the TD quote service
 * of TDX CVMs (/acc/tdquote).  Plain HTTP to the
 * link-local address (that is how IMDS works); what it returns is checked
 * against the report, never trusted for anything else.
 */
#ifndef AG_IMDS_H
#define AG_IMDS_H

#include <stdint.h>

#include "base/error.h"
#include "base/http.h"

#define AG_IMDS_DEFAULT_URL "http://169.254.169.254"

/* GET <base>/metadata/THIM/amd/certification; *pem gets vcekCert + certificateChain. tcbm must equal reported_tcb. */
enum ag_code ag_imds_thim_vcek(const char *base, const struct ag_http_opts *o, uint64_t reported_tcb, char **pem,
    struct ag_err *err);

/* POST <base>/acc/tdquote: the TD quote for a TDREPORT (Azure TDX CVMs); *quote is new. */
enum ag_code ag_imds_td_quote(const char *base, const struct ag_http_opts *o, const uint8_t *tdreport, size_t len,
    uint8_t **quote, size_t *quote_len, struct ag_err *err);

/* Parses a THIM certification document (IMDS answer, kata-cc host-amd-cert); tcbm must equal reported_tcb. */
enum ag_code ag_thim_parse(const uint8_t *buf, size_t len, uint64_t reported_tcb, char **pem, struct ag_err *err);

#endif
