/*
 * platform/platform.c - picks the evidence source.  `auto` looks for each interface
 * and takes the one that is there; it never falls back from a platform it
 * found to another one.
 */
#include "platform/platform.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/sev_guest.h"
#include "node/tsm_report.h"

/* Nonzero when the TCTI names a device that exists, or a software TPM (tests). */
static int
tpm_present(const char *tcti)
{
	if (tcti == NULL)
		tcti = "device:/dev/tpmrm0";
	if (strncmp(tcti, "device:", 7) == 0)
		return access(tcti + 7, F_OK) == 0;
	return strncmp(tcti, "swtpm", 5) == 0;
}

static enum ag_code
detect(const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err)
{
	const char *root = o->tsm_root != NULL ? o->tsm_root : AG_TSM_DEFAULT_ROOT;
	const char *dev = o->sev_guest != NULL ? o->sev_guest : AG_SEV_GUEST_DEFAULT_DEVICE;
	const char *uvm = o->uvm_dir != NULL ? o->uvm_dir : getenv("UVM_SECURITY_CONTEXT_DIR");
	enum ag_code rc;

	/* An Azure CVM's vTPM comes first: its guest also sees the hardware, but only through the paravisor. */
	if (tpm_present(o->tcti))
		return ag_platform_azure_cvm_collect(o, e, err);
	if (uvm != NULL && uvm[0] != '\0')
		return ag_platform_snp_collect(o, 1, e, err);
	if (ag_tsm_available(root)) {
		rc = ag_platform_snp_collect(o, 0, e, err);
		if (rc == AG_EEVIDENCE && strstr(err->msg, "provider is tdx_guest") != NULL) {
			ag_evidence_clear(e);
			ag_evidence_init(e);
			rc = ag_platform_tdx_collect(o, e, err);
		}
		return rc;
	}
	if (access(dev, F_OK) == 0)
		return ag_platform_snp_collect(o, 0, e, err);
	return ag_err_set(err, AG_EEVIDENCE, "no TEE evidence source found (checked: the vTPM %s, UVM_SECURITY_CONTEXT_DIR, "
					     "configfs-tsm %s, %s)",
	    o->tcti != NULL ? o->tcti : "device:/dev/tpmrm0", root, dev);
}

enum ag_code
ag_platform_collect(const char *platform, const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err)
{
	if (o->nonce_len == 0 || o->nonce_len > AG_NONCE_MAX)
		return ag_err_set(err, AG_ECONFIG, "the nonce must be 1 to %d bytes", AG_NONCE_MAX);
	if (strcmp(platform, "azure-cvm") == 0)
		return ag_platform_azure_cvm_collect(o, e, err);
	if (strcmp(platform, "azure-kata-cc") == 0)
		return ag_platform_snp_collect(o, 1, e, err);
	if (strcmp(platform, "sev-snp") == 0)
		return ag_platform_snp_collect(o, 0, e, err);
	if (strcmp(platform, "tdx") == 0)
		return ag_platform_tdx_collect(o, e, err);
	if (strcmp(platform, "auto") == 0)
		return detect(o, e, err);
	return ag_err_set(err, AG_ECONFIG, "unknown platform %s", platform);
}
