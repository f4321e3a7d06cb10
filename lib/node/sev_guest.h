/*
 * node/sev_guest.h - SEV-SNP reports through the Linux sev-guest driver
 * (/dev/sev-guest): SNP_GET_EXT_REPORT with the host's cert table (the
 * buffer grows when the host says it is too small), SNP_GET_REPORT when
 * the host offers no certificates.
 */
#ifndef AG_SEV_GUEST_H
#define AG_SEV_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define AG_SEV_GUEST_DEFAULT_DEVICE "/dev/sev-guest"
#define AG_SEV_GUEST_CERTS_MAX (16 * 4096)

/* Gets a report for user_data at vmpl from device; *certs (may be NULL) gets the cert table, if the host has one. */
enum ag_code ag_sev_guest_report(const char *device, const uint8_t user_data[64], unsigned vmpl, uint8_t **report,
    size_t *report_len, uint8_t **certs, size_t *certs_len, struct ag_err *err);

#endif
