/*
 * platform/platform.h - evidence sources behind one interface: each platform
 * (azure-cvm, azure-kata-cc, sev-snp, tdx)
 * collects evidence bound to the caller's nonce into an ag_evidence.
 * Detection never falls back to a weaker source.
 */
#ifndef AG_PLATFORM_H
#define AG_PLATFORM_H

#include <jansson.h>
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
	const struct ag_nonce *nonce;            /* bound into the evidence */
	int fresh_report;                        /* azure-cvm: ask the paravisor for a new HCL report */
	int64_t deadline_ms;                     /* monotonic */
	const char *eventlog;                    /* TCG event log path */
	const char *imds_url;                    /* azure-cvm TDX: the TD quote service; NULL: the default */
	const char *tsm_root;                    /* configfs-tsm report directory */
	const char *sev_guest;                   /* sev-guest device */
	const char *uvm_dir;                     /* kata-cc UVM_SECURITY_CONTEXT_DIR, or NULL */
	int vmpl;                                /* SNP privlevel to ask for; negative: the default */
	json_t *transfer_jwk;                    /* key release: the transfer key's public JWK for the runtime data's
						    "keys" (SEV-SNP, kata-cc, TDX), or NULL; azure-cvm uses the vTPM's */
	int quote_unbound;                       /* azure-cvm: empty qualifying data in the quote, as Microsoft's
						    AzureGuest clients send it (the nonce travels in ClientPayload) */
};

#define AG_UVM_REFERENCE_INFO "reference-info-base64"
#define AG_UVM_HOST_AMD_CERT "host-amd-cert-base64"

/*
 * One evidence source: a row of the platform table (platform.c).  detect
 * says whether this node offers it (auto detection asks the rows in table
 * order: the first that is present is used, never a weaker one after a
 * failure); collect gathers the evidence bound to o->nonce.
 */
struct ag_platform {
	const char *name;      /* --platform value and evidence.json "platform" */
	int (*detect)(const struct ag_collect_opts *o);
	enum ag_code (*collect)(const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err);
};

/* The rows, one per backend file: azure_cvm.c, tee.c (kata-cc, TDX, SEV-SNP). */
extern const struct ag_platform ag_platform_azure_cvm, ag_platform_azure_kata_cc, ag_platform_tdx, ag_platform_sev_snp;

/* The row named name, or NULL. */
const struct ag_platform *ag_platform_find(const char *name);

/* Collects evidence for platform ("auto" detects); AG_EEVIDENCE when no TEE is found, AG_ECONFIG for a platform not built in. */
enum ag_code ag_platform_collect(const char *platform, const struct ag_collect_opts *o, struct ag_evidence *e,
    struct ag_err *err);

#endif
