/*
 * format/nvidia_opaque.h - what the opaque data of an NVIDIA GPU or
 * NVSwitch SPDM report says: the entry types per architecture (their
 * names as NVIDIA's verifiers print them), the decoded driver and VBIOS
 * versions, FWID, NVDEC0 status, project/SKU fields, and the ids of the
 * reference manifests (RIMs) that describe the firmware the report names.
 */
#ifndef AG_NVIDIA_OPAQUE_H
#define AG_NVIDIA_OPAQUE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "format/spdm.h"

enum ag_nv_arch { AG_NV_UNKNOWN = 0, AG_NV_HOPPER, AG_NV_BLACKWELL, AG_NV_LS10 };

/* Opaque entry types (NVIDIA's OPAQUE_FIELD_ID_*). */
enum {
	AG_NV_OPAQUE_DRIVER_VERSION = 3,
	AG_NV_OPAQUE_VBIOS_VERSION = 6,
	AG_NV_OPAQUE_NVDEC0_STATUS = 11,
	AG_NV_OPAQUE_MSRSCNT = 12,
	AG_NV_OPAQUE_CHIP_SKU = 15,
	AG_NV_OPAQUE_PROJECT = 17,
	AG_NV_OPAQUE_PROJECT_SKU = 18,
	AG_NV_OPAQUE_FWID = 20,
	AG_NV_OPAQUE_SWITCH_PDI = 22,
	AG_NV_OPAQUE_VERSION = 34,
	AG_NV_OPAQUE_CHIP_INFO = 35,
	AG_NV_OPAQUE_FEATURE_FLAG = 36,
};

#define AG_NV_NVDEC0_ENABLED 0xAA
#define AG_NV_NVDEC0_DISABLED 0x55
#define AG_NV_FWID_LEN 48

struct ag_nv_opaque {
	char driver_version[64];      /* "" when absent (switches) */
	char vbios_version[32];       /* "96.00.9F.00.01" */
	char project[16], project_sku[16], chip_sku[16], chip_info[32];   /* "" when absent */
	const uint8_t *fwid;          /* AG_NV_FWID_LEN bytes, or NULL when the report has none */
	int nvdec0;                   /* the NVDEC0_STATUS byte, or -1 */
	int feature_flag;             /* 0 SPT, 1 MPT, 2 PPCIE, or -1 */
	const struct ag_spdm_tlv *switch_pdis;   /* SWITCH_PDI (GPU in a multi-GPU system), or NULL */
};

/* "HOPPER", "BLACKWELL", "LS10", or "unknown". */
const char *ag_nv_arch_name(enum ag_nv_arch a);

/* The architecture named name (as NVIDIA's evidence JSON writes it), or AG_NV_UNKNOWN. */
enum ag_nv_arch ag_nv_arch_from_name(const char *name);

/* The architecture of a device whose attestation chain's second certificate has this CN ("GH100 A01 GSP BROM"). */
enum ag_nv_arch ag_nv_arch_from_hwmodel(const char *hwmodel);

/* The name of an opaque entry type for arch ("DRIVER_VERSION"), or NULL when the type is not one. */
const char *ag_nv_opaque_type_name(enum ag_nv_arch a, uint16_t type);

/*
 * Checks every opaque entry (known type, appears once, the size its type
 * has) and decodes them into o.  AG_EINVALID naming the entry; the GPU's
 * driver and VBIOS versions are required, a switch's VBIOS version.
 */
enum ag_code ag_nv_opaque_decode(const struct ag_spdm_report *r, enum ag_nv_arch a, struct ag_nv_opaque *o,
    struct ag_err *err);

/* The driver RIM's id ("NV_GPU_DRIVER_GH100_550.90.07") into buf; -1 when arch has none or it does not fit. */
int ag_nv_driver_rim_id(const struct ag_nv_opaque *o, enum ag_nv_arch a, char *buf, size_t size);

/* The VBIOS RIM's id ("NV_GPU_VBIOS_1010_0200_882_96009F0001") into buf; -1 when a field is missing or it does not fit. */
int ag_nv_vbios_rim_id(const struct ag_nv_opaque *o, enum ag_nv_arch a, char *buf, size_t size);

#endif
