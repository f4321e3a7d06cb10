/*
 * fuzz_spdm.c - libFuzzer target for NVIDIA GPU evidence bytes: the report
 * file reader (raw or hex text), the SPDM GET_MEASUREMENTS parser, the
 * opaque-data decoder for every architecture with the RIM ids it builds,
 * and the FWID readers of the device certificate extensions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/nvidia_certs.h"
#include "format/nvidia_opaque.h"
#include "format/spdm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* What a parsed report must satisfy, whatever the input. */
static void
check_report(const struct ag_spdm_report *r)
{
	static const enum ag_nv_arch archs[] = { AG_NV_HOPPER, AG_NV_BLACKWELL, AG_NV_LS10 };

	if (r->signed_len + AG_SPDM_SIG_LEN != r->len || r->n_blocks == 0 || r->n_tlvs == 0)
		abort();
	for (size_t i = 0; i < r->n_blocks; i++)
		if (r->blocks[i].index == 0 || ag_spdm_block(r, r->blocks[i].index) != &r->blocks[i])
			abort();
	for (size_t a = 0; a < sizeof(archs) / sizeof(archs[0]); a++) {
		struct ag_nv_opaque o;
		struct ag_err err;
		char id[160];

		if (ag_nv_opaque_decode(r, archs[a], &o, &err) != AG_OK)
			continue;
		if (o.vbios_version[0] == '\0' || (o.fwid != NULL && ag_spdm_tlv(r, AG_NV_OPAQUE_FWID) == NULL))
			abort();
		(void)ag_nv_driver_rim_id(&o, archs[a], id, sizeof(id));
		(void)ag_nv_vbios_rim_id(&o, archs[a], id, sizeof(id));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ag_spdm_report *r = malloc(sizeof(*r));
	uint8_t fwid[AG_NV_FWID_LEN], *bytes = NULL;
	size_t n = 0;
	struct ag_err err;

	(void)ag_nv_fwid_from_ext(data, len, AG_NV_HOPPER, fwid);
	(void)ag_nv_fwid_from_ext(data, len, AG_NV_BLACKWELL, fwid);
	if (r != NULL && ag_spdm_from_file_bytes(data, len, &bytes, &n, &err) == AG_OK &&
	    ag_spdm_parse(bytes, n, r, &err) == AG_OK)
		check_report(r);
	free(bytes);
	free(r);
	return 0;
}
