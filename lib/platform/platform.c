/*
 * platform/platform.c - the platform table and the choice of a row.  `auto`
 * asks each row's detect in table order and takes the first source that is
 * there; it never falls back from a platform it found to another one.
 */
#include "platform/platform.h"

#include <stdlib.h>
#include <string.h>

#include "node/sev_guest.h"
#include "node/tsm_report.h"

/* Detection order: an Azure CVM's vTPM first (its guest also sees the hardware, but only through the paravisor),
 * then a kata-cc UVM's security context, then the guest report interfaces. */
static const struct ag_platform *const table[] = { &ag_platform_azure_cvm, &ag_platform_azure_kata_cc, &ag_platform_tdx,
	&ag_platform_sev_snp, NULL };

const struct ag_platform *
ag_platform_find(const char *name)
{
	for (size_t i = 0; table[i] != NULL; i++)
		if (strcmp(table[i]->name, name) == 0)
			return table[i];
	return NULL;
}

enum ag_code
ag_platform_collect(const char *platform, const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err)
{
	const struct ag_platform *p;

	if (o->nonce == NULL || o->nonce->len == 0 || o->nonce->len > AG_NONCE_MAX)
		return ag_err_set(err, AG_ECONFIG, "the nonce must be 1 to %d bytes", AG_NONCE_MAX);
	if (strcmp(platform, "auto") != 0) {
		if ((p = ag_platform_find(platform)) == NULL)
			return ag_err_set(err, AG_ECONFIG, "unknown platform %s", platform);
		return p->collect(o, e, err);
	}
	for (size_t i = 0; table[i] != NULL; i++)
		if (table[i]->detect(o))
			return table[i]->collect(o, e, err);
	return ag_err_set(err, AG_EEVIDENCE, "no TEE evidence source found (checked: the vTPM %s, UVM_SECURITY_CONTEXT_DIR, "
					     "configfs-tsm %s, %s)",
	    o->tcti != NULL ? o->tcti : "device:/dev/tpmrm0", o->tsm_root != NULL ? o->tsm_root : AG_TSM_DEFAULT_ROOT,
	    o->sev_guest != NULL ? o->sev_guest : AG_SEV_GUEST_DEFAULT_DEVICE);
}
