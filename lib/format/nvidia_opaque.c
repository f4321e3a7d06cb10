/*
 * format/nvidia_opaque.c - the opaque-data entries of NVIDIA SPDM reports
 * (type ids and value forms as in NVIDIA's verifiers; docs/nvidia-gpu-design.md
 * 1.1): a table of names per architecture, strict per-type size rules, and
 * the decoded versions and ids the verifier compares and claims.
 */
#include "format/nvidia_opaque.h"

#include <stdio.h>
#include <string.h>

#define OPAQUE_TYPE_MAX 36

/* NVIDIA's names, index = type id; "" marks an id no architecture uses. */
static const char *const gpu_names[OPAQUE_TYPE_MAX + 1] = {
	"", "CERT_ISSUER_NAME", "CERT_AUTHORITY_KEY_IDENTIFIER", "DRIVER_VERSION", "GPU_INFO", "SKU", "VBIOS_VERSION",
	"MANUFACTURER_ID", "TAMPER_DETECTION", "SMC", "VPR", "NVDEC0_STATUS", "MSRSCNT", "CPRINFO", "BOARD_ID", "CHIP_SKU",
	"CHIP_SKU_MOD", "PROJECT", "PROJECT_SKU", "PROJECT_SKU_MOD", "FWID", "PROTECTED_PCIE_STATUS", "SWITCH_PDI",
	"FLOORSWEPT_PORTS", "POSITION_ID", "LOCK_SWITCH_STATUS", "", "", "", "", "", "", "GPU_LINK_CONN",
	"SYS_ENABLE_STATUS", "OPAQUE_DATA_VERSION", "CHIP_INFO", "FEATURE_FLAG",
};

const char *
ag_nv_arch_name(enum ag_nv_arch a)
{
	switch (a) {
	case AG_NV_HOPPER: return "HOPPER";
	case AG_NV_BLACKWELL: return "BLACKWELL";
	case AG_NV_LS10: return "LS10";
	default: return "unknown";
	}
}

enum ag_nv_arch
ag_nv_arch_from_name(const char *name)
{
	static const enum ag_nv_arch all[] = { AG_NV_HOPPER, AG_NV_BLACKWELL, AG_NV_LS10 };

	for (size_t i = 0; name != NULL && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(name, ag_nv_arch_name(all[i])) == 0)
			return all[i];
	return AG_NV_UNKNOWN;
}

enum ag_nv_arch
ag_nv_arch_from_hwmodel(const char *hwmodel)
{
	if (strncmp(hwmodel, "GH100 ", 6) == 0)
		return AG_NV_HOPPER;
	if (strncmp(hwmodel, "GB1", 3) == 0 || strncmp(hwmodel, "GB2", 3) == 0)
		return AG_NV_BLACKWELL;
	if (strncmp(hwmodel, "LS_10 ", 6) == 0)
		return AG_NV_LS10;
	return AG_NV_UNKNOWN;
}

const char *
ag_nv_opaque_type_name(enum ag_nv_arch a, uint16_t type)
{
	if (a == AG_NV_LS10 && type == AG_NV_OPAQUE_SWITCH_PDI)
		return "DEVICE_PDI";
	if (a == AG_NV_LS10 && type == 26)
		return "SWITCH_GPU_PDIS";
	if (a == AG_NV_LS10 && type == 27)
		return "SWITCH_PORTS";
	if (type == 0 || type > OPAQUE_TYPE_MAX || gpu_names[type][0] == '\0')
		return NULL;
	return gpu_names[type];
}

/* The value as text into out: printable ASCII, trailing NULs dropped, nonempty; -1 otherwise. */
static int
ascii_field(const struct ag_spdm_tlv *t, char *out, size_t size)
{
	size_t n = t->len;

	while (n > 0 && t->value[n - 1] == '\0')
		n--;
	if (n == 0 || n >= size)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (t->value[i] < 0x20 || t->value[i] > 0x7e)
			return -1;
	memcpy(out, t->value, n);
	out[n] = '\0';
	return 0;
}

/* The size rule of one entry; 0 when its value has the form its type has. */
static int
size_ok(enum ag_nv_arch a, const struct ag_spdm_tlv *t)
{
	switch (t->type) {
	case AG_NV_OPAQUE_VBIOS_VERSION: return a == AG_NV_LS10 ? t->len > 0 : t->len == 8;
	case AG_NV_OPAQUE_NVDEC0_STATUS: return t->len == 1;
	case AG_NV_OPAQUE_FWID: return t->len == AG_NV_FWID_LEN;
	case AG_NV_OPAQUE_MSRSCNT: return t->len % 4 == 0;
	case AG_NV_OPAQUE_SWITCH_PDI: return t->len % 8 == 0;
	case AG_NV_OPAQUE_FEATURE_FLAG: return t->len >= 1 && t->len <= 4;
	case AG_NV_OPAQUE_VERSION: return t->len >= 1 && t->len <= 4;
	default: return 1;
	}
}

/* Little-endian value of up to 4 bytes. */
static uint32_t
le_small(const struct ag_spdm_tlv *t)
{
	uint32_t v = 0;

	for (size_t i = t->len; i > 0; i--)
		v = v << 8 | t->value[i - 1];
	return v;
}

/* One entry into o (the entry's type and size are checked). */
static enum ag_code
decode_one(enum ag_nv_arch a, const struct ag_spdm_tlv *t, struct ag_nv_opaque *o, struct ag_err *err)
{
	const char *name = ag_nv_opaque_type_name(a, t->type);
	const uint8_t *v = t->value;
	int bad = 0;

	switch (t->type) {
	case AG_NV_OPAQUE_DRIVER_VERSION: bad = ascii_field(t, o->driver_version, sizeof(o->driver_version)); break;
	case AG_NV_OPAQUE_VBIOS_VERSION:
		if (a == AG_NV_LS10)
			bad = ascii_field(t, o->vbios_version, sizeof(o->vbios_version));
		else
			snprintf(o->vbios_version, sizeof(o->vbios_version), "%02X.%02X.%02X.%02X.%02X", v[3], v[2], v[1],
			    v[0], v[4]);
		break;
	case AG_NV_OPAQUE_PROJECT: bad = ascii_field(t, o->project, sizeof(o->project)); break;
	case AG_NV_OPAQUE_PROJECT_SKU: bad = ascii_field(t, o->project_sku, sizeof(o->project_sku)); break;
	case AG_NV_OPAQUE_CHIP_SKU: bad = ascii_field(t, o->chip_sku, sizeof(o->chip_sku)); break;
	case AG_NV_OPAQUE_CHIP_INFO: bad = ascii_field(t, o->chip_info, sizeof(o->chip_info)); break;
	case AG_NV_OPAQUE_FWID: o->fwid = v; break;
	case AG_NV_OPAQUE_NVDEC0_STATUS:
		o->nvdec0 = v[0];
		bad = v[0] != AG_NV_NVDEC0_ENABLED && v[0] != AG_NV_NVDEC0_DISABLED;
		break;
	case AG_NV_OPAQUE_FEATURE_FLAG:
		bad = le_small(t) > 2;
		o->feature_flag = bad ? -1 : (int)le_small(t);
		break;
	case AG_NV_OPAQUE_VERSION:
		if (le_small(t) > 1)
			return ag_err_set(err, AG_EINVALID, "GPU report: opaque data version %u is newer than this attestgate "
			    "knows (1)", le_small(t));
		break;
	case AG_NV_OPAQUE_SWITCH_PDI: o->switch_pdis = a == AG_NV_LS10 ? NULL : t; break;
	default: break;
	}
	if (bad)
		return ag_err_set(err, AG_EINVALID, "GPU report: opaque %s has a value of the wrong form", name);
	return AG_OK;
}

enum ag_code
ag_nv_opaque_decode(const struct ag_spdm_report *r, enum ag_nv_arch a, struct ag_nv_opaque *o, struct ag_err *err)
{
	enum ag_code rc;

	memset(o, 0, sizeof(*o));
	o->nvdec0 = -1;
	o->feature_flag = -1;
	for (size_t i = 0; i < r->n_tlvs; i++) {
		const struct ag_spdm_tlv *t = &r->tlvs[i];
		const char *name = ag_nv_opaque_type_name(a, t->type);

		if (name == NULL)
			return ag_err_set(err, AG_EINVALID, "GPU report: opaque data entry %zu has type %u, which %s devices "
			    "do not have", i + 1, t->type, ag_nv_arch_name(a));
		if (ag_spdm_tlv(r, t->type) != t)
			return ag_err_set(err, AG_EINVALID, "GPU report: opaque %s appears twice", name);
		if (!size_ok(a, t))
			return ag_err_set(err, AG_EINVALID, "GPU report: opaque %s is %u bytes, not the size it has", name,
			    t->len);
		if ((rc = decode_one(a, t, o, err)) != AG_OK)
			return rc;
	}
	if (a != AG_NV_LS10 && o->driver_version[0] == '\0')
		return ag_err_set(err, AG_EINVALID, "GPU report: no DRIVER_VERSION in the opaque data");
	if (o->vbios_version[0] == '\0')
		return ag_err_set(err, AG_EINVALID, "GPU report: no VBIOS_VERSION in the opaque data");
	return AG_OK;
}

int
ag_nv_driver_rim_id(const struct ag_nv_opaque *o, enum ag_nv_arch a, char *buf, size_t size)
{
	int n;

	if (a == AG_NV_HOPPER)
		n = snprintf(buf, size, "NV_GPU_DRIVER_GH100_%s", o->driver_version);
	else if (a == AG_NV_BLACKWELL)
		n = snprintf(buf, size, "NV_GPU_CC_DRIVER_%s_%s", o->chip_info[0] != '\0' ? o->chip_info : "GB100",
		    o->driver_version);
	else
		return -1;
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int
ag_nv_vbios_rim_id(const struct ag_nv_opaque *o, enum ag_nv_arch a, char *buf, size_t size)
{
	char version[sizeof(o->vbios_version)];
	size_t n = 0;
	int w;

	if ((a != AG_NV_HOPPER && a != AG_NV_BLACKWELL) || o->project[0] == '\0' || o->project_sku[0] == '\0' ||
	    o->chip_sku[0] == '\0')
		return -1;
	for (const char *p = o->vbios_version; *p != '\0'; p++)
		if (*p != '.')
			version[n++] = *p;
	version[n] = '\0';
	w = snprintf(buf, size, "NV_GPU_VBIOS_%s_%s_%s_%s", o->project, o->project_sku, o->chip_sku, version);
	return w > 0 && (size_t)w < size ? 0 : -1;
}
