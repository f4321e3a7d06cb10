/*
 * platform/platform.h - evidence sources behind one interface: each platform
 * (azure-cvm, azure-kata-cc, sev-snp, tdx)
 * collects evidence bound to the caller's nonce into an ag_evidence.
 * Detection never falls back to a weaker source.
 */
#ifndef AG_PLATFORM_H
#define AG_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "platform/evidence.h"

#define AG_AZURE_HCL_INDEX 0x01400001u
#define AG_AZURE_USER_DATA_INDEX 0x01400002u
#define AG_AZURE_AK_HANDLE 0x81000003u
#define AG_AZURE_AK_CERT_INDEX 0x01C101D0u
#define AG_AZURE_QUOTE_PCRS 0xFFu               /* PCR 0-7 */
#define AG_DEFAULT_EVENTLOG "/sys/kernel/security/tpm0/binary_bios_measurements"

struct ag_collect_opts {
	const char *tcti;                        /* azure-cvm: the vTPM */
	const uint8_t *nonce;
	size_t nonce_len;                        /* 1..AG_NONCE_MAX */
	int fresh_report;                        /* azure-cvm: ask the paravisor for a new HCL report */
	int64_t deadline_ms;                     /* monotonic */
	const char *eventlog;                    /* TCG event log path */
	const char *imds_url;                    /* azure-cvm TDX: the TD quote service; NULL: the default */
	const char *tsm_root;                    /* configfs-tsm report directory */
	const char *sev_guest;                   /* sev-guest device */
	const char *uvm_dir;                     /* kata-cc UVM_SECURITY_CONTEXT_DIR, or NULL */
	int vmpl;                                /* SNP privlevel to ask for; negative: the default */
	int quote_unbound;                       /* azure-cvm: empty qualifying data in the quote, as Microsoft's
						    AzureGuest clients send it (the nonce travels in ClientPayload) */
};

#define AG_UVM_REFERENCE_INFO "reference-info-base64"
#define AG_UVM_HOST_AMD_CERT "host-amd-cert-base64"

/* Collects Azure CVM evidence from the vTPM: HCL report, AK, AK certificate, PCRs, quote, event log. */
enum ag_code ag_platform_azure_cvm_collect(const struct ag_collect_opts *o, struct ag_evidence *e,
    struct ag_err *err);

/* Collects SEV-SNP evidence (configfs-tsm or sev-guest); kata adds the runtime data and the UVM's security context. */
enum ag_code ag_platform_snp_collect(const struct ag_collect_opts *o, int kata, struct ag_evidence *e, struct ag_err *err);

/* Collects a TD quote through configfs-tsm, REPORT_DATA bound to the nonce through the runtime data. */
enum ag_code ag_platform_tdx_collect(const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err);

/* Collects evidence for platform ("auto" detects); AG_EEVIDENCE when no TEE is found, AG_ECONFIG for a platform not built in. */
enum ag_code ag_platform_collect(const char *platform, const struct ag_collect_opts *o, struct ag_evidence *e,
    struct ag_err *err);

#endif
