/*
 * platform.c - picks the evidence source.  Platforms whose modules have not
 * landed are a configuration error that says so, never a silent fallback.
 */
#include "platform.h"

#include <string.h>

enum ag_code
ag_platform_collect(const char *platform, const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err)
{
	enum ag_code rc;

	if (o->nonce_len == 0 || o->nonce_len > AG_NONCE_MAX)
		return ag_err_set(err, AG_ECONFIG, "the nonce must be 1 to %d bytes", AG_NONCE_MAX);
	if (strcmp(platform, "azure-cvm") == 0)
		return ag_platform_azure_cvm_collect(o, e, err);
	if (strcmp(platform, "auto") == 0) {
		rc = ag_platform_azure_cvm_collect(o, e, err);
		if (rc == AG_EEVIDENCE && !err->transient)
			ag_err_prefix(err, "no TEE evidence source found (checked: the Azure CVM vTPM)");
		return rc;
	}
	return ag_err_set(err, AG_ECONFIG, "platform %s is not built into this attestgate yet", platform);
}
