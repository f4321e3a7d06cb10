/*
 * test_nvidia_opaque.c - lib/format/nvidia_opaque.c: the opaque data of
 * NVIDIA GPU and NVSwitch SPDM reports.  The real reports of
 * ../shared/vectors/nvidia (skipped visibly when absent) decode to the
 * versions, project fields, FWID and NVDEC0 status NVIDIA's tools print and
 * to the RIM ids NVIDIA publishes; entries edited in place (unknown type,
 * duplicate) and reports built here entry by entry (wrong sizes, values of
 * the wrong form, a newer opaque data version, missing versions) are each
 * refused naming the entry; architecture names, hwmodels and type names.
 */
#include "testutil.h"

#include "format/nvidia_opaque.h"
#include "format/spdm.h"

#define SKIP_WITHOUT(p)                                                                        \
	do {                                                                                   \
		if ((p) == NULL) {                                                             \
			print_message("# skipped: ../shared/vectors/nvidia is not present\n"); \
			skip();                                                                \
		}                                                                              \
	} while (0)

#define R550 "nvidia/nvtrust-hopper-550", "hopperAttestationReport.bin"
#define R545 "nvidia/nvtrust-2023-hopper-545", "attestationReport.bin"
#define R535 "nvidia/asdk-hopper-535", "hopperAttestationReport.bin"
#define R570 "nvidia/asdk-hopper-570", "hopperAttestationReportExpired.bin"
#define RBADSIG "nvidia/asdk-hopper-invalid-signature", "hopperAttestationReportInvalidSignature.bin"
#define RSWITCH "nvidia/asdk-switch-ls10", "switchAttestationReport.bin"
#define RSWITCH_BADSIG "nvidia/asdk-switch-ls10", "switchAttestationReportInvalidSignature.bin"

/* A real report and its parse (the parse points into bytes). */
struct vec {
	uint8_t *bytes;
	size_t len;
	struct ag_spdm_report *r;
};

/* Reads and parses a report; v->bytes is NULL when ../shared is absent. */
static void
vec_open(struct vec *v, const char *dir, const char *name)
{
	struct ag_err err;

	memset(v, 0, sizeof(*v));
	v->bytes = tu_vec_in(dir, name, &v->len);
	if (v->bytes == NULL)
		return;
	v->r = calloc(1, sizeof(*v->r));
	assert_non_null(v->r);
	if (ag_spdm_parse(v->bytes, v->len, v->r, &err) != AG_OK)
		fail_msg("%s/%s: %s", dir, name, err.msg);
}

static void
vec_close(struct vec *v)
{
	free(v->r);
	free(v->bytes);
}

/* Decodes v as arch a into o, failing the test with the message when it does not. */
static void
decode_ok(const struct vec *v, enum ag_nv_arch a, struct ag_nv_opaque *o)
{
	struct ag_err err;

	if (ag_nv_opaque_decode(v->r, a, o, &err) != AG_OK)
		fail_msg("decode as %s: %s", ag_nv_arch_name(a), err.msg);
}

static void
decode_fails(const struct ag_spdm_report *r, enum ag_nv_arch a, const char *why)
{
	struct ag_nv_opaque o;
	struct ag_err err;
	enum ag_code rc;

	ag_err_clear(&err);
	rc = ag_nv_opaque_decode(r, a, &o, &err);
	if (rc != AG_EINVALID || strstr(err.msg, why) == NULL)
		fail_msg("rc %d, \"%s\" lacks \"%s\"", rc, err.msg, why);
}

/* --- the real reports --- */

static void
test_decode_550(void **state)
{
	struct vec v;
	struct ag_nv_opaque o;
	const struct ag_spdm_tlv *fwid;

	(void)state;
	vec_open(&v, R550);
	SKIP_WITHOUT(v.bytes);
	decode_ok(&v, AG_NV_HOPPER, &o);
	assert_string_equal(o.driver_version, "550.90.07");
	assert_string_equal(o.vbios_version, "96.00.9F.00.01");
	assert_string_equal(o.project, "1010");
	assert_string_equal(o.project_sku, "0200");
	assert_string_equal(o.chip_sku, "882");
	assert_string_equal(o.chip_info, "");
	fwid = ag_spdm_tlv(v.r, AG_NV_OPAQUE_FWID);
	assert_non_null(fwid);
	assert_non_null(o.fwid);
	assert_ptr_equal(o.fwid, fwid->value);
	assert_int_equal(o.fwid[0], 0xf5);
	assert_int_equal(o.nvdec0, AG_NV_NVDEC0_DISABLED);
	assert_int_equal(o.feature_flag, -1);
	assert_null(o.switch_pdis);
	vec_close(&v);
}

static void
test_decode_545(void **state)
{
	struct vec v;
	struct ag_nv_opaque o;

	(void)state;
	vec_open(&v, R545);
	SKIP_WITHOUT(v.bytes);
	decode_ok(&v, AG_NV_HOPPER, &o);
	assert_string_equal(o.driver_version, "545.00");
	assert_string_equal(o.vbios_version, "96.00.5E.00.01");
	assert_string_equal(o.project, "1010");
	assert_string_equal(o.project_sku, "0200");
	assert_string_equal(o.chip_sku, "882");
	assert_null(o.fwid);
	assert_int_equal(o.nvdec0, 0x55);
	assert_null(o.switch_pdis);
	vec_close(&v);
}

static void
test_decode_535_570(void **state)
{
	struct vec v;
	struct ag_nv_opaque o;

	(void)state;
	vec_open(&v, R535);
	SKIP_WITHOUT(v.bytes);
	decode_ok(&v, AG_NV_HOPPER, &o);
	assert_string_equal(o.driver_version, "535.86.09");
	assert_string_equal(o.vbios_version, "96.00.5E.00.01");
	assert_null(o.fwid);
	vec_close(&v);
	vec_open(&v, R570);
	decode_ok(&v, AG_NV_HOPPER, &o);
	assert_string_equal(o.driver_version, "570.124.03");
	assert_string_equal(o.vbios_version, "96.00.5E.00.04");
	assert_string_equal(o.project, "1010");
	assert_string_equal(o.project_sku, "0205");
	assert_string_equal(o.chip_sku, "862");
	assert_non_null(o.fwid);
	assert_int_equal(o.fwid[0], 0xe9);
	vec_close(&v);
}

/* The asdk "invalid signature" GPU report is well formed and carries SWITCH_PDI (a multi-GPU system). */
static void
test_decode_switch_pdis_on_gpu(void **state)
{
	struct vec v;
	struct ag_nv_opaque o;

	(void)state;
	vec_open(&v, RBADSIG);
	SKIP_WITHOUT(v.bytes);
	decode_ok(&v, AG_NV_HOPPER, &o);
	assert_string_equal(o.driver_version, "560.00");
	assert_string_equal(o.vbios_version, "96.00.A5.00.01");
	assert_string_equal(o.project, "G520");
	assert_string_equal(o.chip_sku, "885");
	assert_non_null(o.switch_pdis);
	assert_int_equal(o.switch_pdis->type, AG_NV_OPAQUE_SWITCH_PDI);
	assert_int_equal(o.switch_pdis->len, 144);
	vec_close(&v);
}

static void
test_decode_switch(void **state)
{
	struct vec v;
	struct ag_nv_opaque o;

	(void)state;
	vec_open(&v, RSWITCH);
	SKIP_WITHOUT(v.bytes);
	decode_ok(&v, AG_NV_LS10, &o);
	assert_string_equal(o.vbios_version, "96.10.55.00.01");
	assert_string_equal(o.driver_version, "");
	assert_string_equal(o.project, "");
	assert_null(o.fwid);
	assert_int_equal(o.nvdec0, -1);
	assert_null(o.switch_pdis);   /* a switch's type 22 is its own DEVICE_PDI */
	vec_close(&v);
	vec_open(&v, RSWITCH_BADSIG);
	decode_ok(&v, AG_NV_LS10, &o);
	assert_string_equal(o.vbios_version, "96.10.52.00.00");
	vec_close(&v);
}

static void
test_decode_wrong_arch(void **state)
{
	struct vec v;

	(void)state;
	vec_open(&v, RSWITCH);
	SKIP_WITHOUT(v.bytes);
	/* A switch report read as a GPU's: its ASCII VBIOS version is not 8 bytes. */
	decode_fails(v.r, AG_NV_HOPPER, "opaque VBIOS_VERSION is 14 bytes, not the size it has");
	/* Without that entry, SWITCH_GPU_PDIS (26) is not a GPU type. */
	v.r->tlvs[0].type = 7;
	decode_fails(v.r, AG_NV_HOPPER, "entry 4 has type 26, which HOPPER devices do not have");
	vec_close(&v);
	/* A GPU report read as a switch's: its binary VBIOS version is not text. */
	vec_open(&v, R550);
	decode_fails(v.r, AG_NV_LS10, "opaque VBIOS_VERSION has a value of the wrong form");
	vec_close(&v);
}

/* --- RIM ids --- */

static void
rim_ids_are(const struct vec *v, enum ag_nv_arch a, const char *driver, const char *vbios)
{
	struct ag_nv_opaque o;
	char buf[128];

	decode_ok(v, a, &o);
	assert_int_equal(ag_nv_driver_rim_id(&o, a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, driver);
	assert_int_equal(ag_nv_vbios_rim_id(&o, a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, vbios);
}

static void
test_rim_ids_vectors(void **state)
{
	struct vec v;
	struct ag_nv_opaque o;
	char buf[128];

	(void)state;
	vec_open(&v, R550);
	SKIP_WITHOUT(v.bytes);
	rim_ids_are(&v, AG_NV_HOPPER, "NV_GPU_DRIVER_GH100_550.90.07", "NV_GPU_VBIOS_1010_0200_882_96009F0001");
	vec_close(&v);
	vec_open(&v, R545);   /* the names of the staged 545 RIMs */
	rim_ids_are(&v, AG_NV_HOPPER, "NV_GPU_DRIVER_GH100_545.00", "NV_GPU_VBIOS_1010_0200_882_96005E0001");
	vec_close(&v);
	vec_open(&v, R570);
	rim_ids_are(&v, AG_NV_HOPPER, "NV_GPU_DRIVER_GH100_570.124.03", "NV_GPU_VBIOS_1010_0205_862_96005E0004");
	vec_close(&v);
	/* A switch has neither a driver RIM nor a GPU VBIOS RIM. */
	vec_open(&v, RSWITCH);
	decode_ok(&v, AG_NV_LS10, &o);
	assert_int_equal(ag_nv_driver_rim_id(&o, AG_NV_LS10, buf, sizeof(buf)), -1);
	assert_int_equal(ag_nv_vbios_rim_id(&o, AG_NV_LS10, buf, sizeof(buf)), -1);
	vec_close(&v);
}

/* A decoded opaque of a Blackwell GPU, as built here (no report needed). */
static struct ag_nv_opaque
blackwell(const char *chip_info)
{
	struct ag_nv_opaque o;

	memset(&o, 0, sizeof(o));
	snprintf(o.driver_version, sizeof(o.driver_version), "575.57.08");
	snprintf(o.vbios_version, sizeof(o.vbios_version), "97.00.83.00.09");
	snprintf(o.project, sizeof(o.project), "2010");
	snprintf(o.project_sku, sizeof(o.project_sku), "0210");
	snprintf(o.chip_sku, sizeof(o.chip_sku), "886");
	snprintf(o.chip_info, sizeof(o.chip_info), "%s", chip_info);
	return o;
}

static void
test_rim_ids_blackwell(void **state)
{
	struct ag_nv_opaque o = blackwell("GB202");
	char buf[64];

	(void)state;
	assert_int_equal(ag_nv_driver_rim_id(&o, AG_NV_BLACKWELL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "NV_GPU_CC_DRIVER_GB202_575.57.08");
	assert_int_equal(ag_nv_vbios_rim_id(&o, AG_NV_BLACKWELL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "NV_GPU_VBIOS_2010_0210_886_9700830009");
	/* Without CHIP_INFO the chip is GB100. */
	o = blackwell("");
	assert_int_equal(ag_nv_driver_rim_id(&o, AG_NV_BLACKWELL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "NV_GPU_CC_DRIVER_GB100_575.57.08");
	/* The same fields as a Hopper: the GH100 form. */
	assert_int_equal(ag_nv_driver_rim_id(&o, AG_NV_HOPPER, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "NV_GPU_DRIVER_GH100_575.57.08");
	assert_int_equal(ag_nv_driver_rim_id(&o, AG_NV_UNKNOWN, buf, sizeof(buf)), -1);
	assert_int_equal(ag_nv_vbios_rim_id(&o, AG_NV_UNKNOWN, buf, sizeof(buf)), -1);
}

static void
test_rim_ids_limits(void **state)
{
	struct ag_nv_opaque o = blackwell("");
	char buf[64];
	size_t need = strlen("NV_GPU_DRIVER_GH100_575.57.08") + 1;

	(void)state;
	/* The id and its NUL must fit. */
	assert_int_equal(ag_nv_driver_rim_id(&o, AG_NV_HOPPER, buf, need), 0);
	assert_int_equal(ag_nv_driver_rim_id(&o, AG_NV_HOPPER, buf, need - 1), -1);
	need = strlen("NV_GPU_VBIOS_2010_0210_886_9700830009") + 1;
	assert_int_equal(ag_nv_vbios_rim_id(&o, AG_NV_HOPPER, buf, need), 0);
	assert_int_equal(ag_nv_vbios_rim_id(&o, AG_NV_HOPPER, buf, need - 1), -1);
	/* Each VBIOS RIM field is required. */
	o.project[0] = '\0';
	assert_int_equal(ag_nv_vbios_rim_id(&o, AG_NV_HOPPER, buf, sizeof(buf)), -1);
	o = blackwell("");
	o.project_sku[0] = '\0';
	assert_int_equal(ag_nv_vbios_rim_id(&o, AG_NV_HOPPER, buf, sizeof(buf)), -1);
	o = blackwell("");
	o.chip_sku[0] = '\0';
	assert_int_equal(ag_nv_vbios_rim_id(&o, AG_NV_BLACKWELL, buf, sizeof(buf)), -1);
}

/* --- names --- */

static void
test_arch_names(void **state)
{
	static const enum ag_nv_arch all[] = { AG_NV_HOPPER, AG_NV_BLACKWELL, AG_NV_LS10 };

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_int_equal(ag_nv_arch_from_name(ag_nv_arch_name(all[i])), all[i]);
	assert_string_equal(ag_nv_arch_name(AG_NV_HOPPER), "HOPPER");
	assert_string_equal(ag_nv_arch_name(AG_NV_BLACKWELL), "BLACKWELL");
	assert_string_equal(ag_nv_arch_name(AG_NV_LS10), "LS10");
	assert_string_equal(ag_nv_arch_name(AG_NV_UNKNOWN), "unknown");
	assert_string_equal(ag_nv_arch_name((enum ag_nv_arch)42), "unknown");
	assert_int_equal(ag_nv_arch_from_name("unknown"), AG_NV_UNKNOWN);
	assert_int_equal(ag_nv_arch_from_name("hopper"), AG_NV_UNKNOWN);
	assert_int_equal(ag_nv_arch_from_name("HOPPER "), AG_NV_UNKNOWN);
	assert_int_equal(ag_nv_arch_from_name(""), AG_NV_UNKNOWN);
	assert_int_equal(ag_nv_arch_from_name(NULL), AG_NV_UNKNOWN);
}

static void
test_arch_from_hwmodel(void **state)
{
	(void)state;
	assert_int_equal(ag_nv_arch_from_hwmodel("GH100 A01 GSP BROM"), AG_NV_HOPPER);
	assert_int_equal(ag_nv_arch_from_hwmodel("LS_10 A01 FSP BROM"), AG_NV_LS10);
	assert_int_equal(ag_nv_arch_from_hwmodel("GB100 A01 FSP BROM"), AG_NV_BLACKWELL);
	assert_int_equal(ag_nv_arch_from_hwmodel("GB202 A01 FSP BROM"), AG_NV_BLACKWELL);
	assert_int_equal(ag_nv_arch_from_hwmodel("AD102 A01 GSP BROM"), AG_NV_UNKNOWN);
	assert_int_equal(ag_nv_arch_from_hwmodel("GH100"), AG_NV_UNKNOWN);
	assert_int_equal(ag_nv_arch_from_hwmodel("GH1000 A01"), AG_NV_UNKNOWN);
	assert_int_equal(ag_nv_arch_from_hwmodel("gh100 a01 gsp brom"), AG_NV_UNKNOWN);
	assert_int_equal(ag_nv_arch_from_hwmodel(""), AG_NV_UNKNOWN);
}

static void
test_type_names(void **state)
{
	(void)state;
	assert_string_equal(ag_nv_opaque_type_name(AG_NV_HOPPER, AG_NV_OPAQUE_DRIVER_VERSION), "DRIVER_VERSION");
	assert_string_equal(ag_nv_opaque_type_name(AG_NV_HOPPER, AG_NV_OPAQUE_FWID), "FWID");
	assert_string_equal(ag_nv_opaque_type_name(AG_NV_BLACKWELL, AG_NV_OPAQUE_FEATURE_FLAG), "FEATURE_FLAG");
	assert_string_equal(ag_nv_opaque_type_name(AG_NV_HOPPER, AG_NV_OPAQUE_VERSION), "OPAQUE_DATA_VERSION");
	assert_string_equal(ag_nv_opaque_type_name(AG_NV_HOPPER, AG_NV_OPAQUE_SWITCH_PDI), "SWITCH_PDI");
	assert_string_equal(ag_nv_opaque_type_name(AG_NV_LS10, AG_NV_OPAQUE_SWITCH_PDI), "DEVICE_PDI");
	assert_string_equal(ag_nv_opaque_type_name(AG_NV_LS10, 26), "SWITCH_GPU_PDIS");
	assert_string_equal(ag_nv_opaque_type_name(AG_NV_LS10, 27), "SWITCH_PORTS");
	assert_string_equal(ag_nv_opaque_type_name(AG_NV_HOPPER, 32), "GPU_LINK_CONN");
	assert_null(ag_nv_opaque_type_name(AG_NV_HOPPER, 26));
	assert_null(ag_nv_opaque_type_name(AG_NV_HOPPER, 30));
	assert_null(ag_nv_opaque_type_name(AG_NV_HOPPER, 0));
	assert_null(ag_nv_opaque_type_name(AG_NV_HOPPER, 37));
	assert_null(ag_nv_opaque_type_name(AG_NV_HOPPER, 255));
	assert_null(ag_nv_opaque_type_name(AG_NV_LS10, 0xffff));
}

/* --- real reports edited in place --- */

static void
test_unknown_type(void **state)
{
	struct vec v;

	(void)state;
	vec_open(&v, R550);
	SKIP_WITHOUT(v.bytes);
	/* Entry 2 (BOARD_ID) becomes type 30, a gap in NVIDIA's table. */
	v.r->tlvs[1].type = 30;
	decode_fails(v.r, AG_NV_HOPPER, "entry 2 has type 30, which HOPPER devices do not have");
	v.r->tlvs[1].type = 0;
	decode_fails(v.r, AG_NV_HOPPER, "entry 2 has type 0, which HOPPER devices do not have");
	v.r->tlvs[1].type = 255;
	decode_fails(v.r, AG_NV_BLACKWELL, "entry 2 has type 255, which BLACKWELL devices do not have");
	vec_close(&v);
	vec_open(&v, RSWITCH);
	v.r->tlvs[6].type = 37;
	decode_fails(v.r, AG_NV_LS10, "entry 7 has type 37, which LS10 devices do not have");
	vec_close(&v);
}

/* Edits the u16 type of the opaque entry that starts at byte off of the report, then re-parses. */
static void
retype(struct vec *v, size_t off, uint16_t type)
{
	struct ag_err err;

	v->bytes[off] = (uint8_t)type;
	v->bytes[off + 1] = (uint8_t)(type >> 8);
	assert_int_equal(ag_spdm_parse(v->bytes, v->len, v->r, &err), AG_OK);
}

static void
test_duplicate_type(void **state)
{
	struct vec v;

	(void)state;
	vec_open(&v, R550);
	SKIP_WITHOUT(v.bytes);
	/* The last entry, PROTECTED_PCIE_STATUS (1 byte, 0x55), becomes a second NVDEC0_STATUS. */
	retype(&v, 4016, AG_NV_OPAQUE_NVDEC0_STATUS);
	assert_int_equal(v.r->tlvs[13].type, AG_NV_OPAQUE_NVDEC0_STATUS);
	decode_fails(v.r, AG_NV_HOPPER, "opaque NVDEC0_STATUS appears twice");
	vec_close(&v);
	vec_open(&v, R550);
	/* PROJECT_SKU_MOD becomes a second CHIP_SKU_MOD. */
	retype(&v, 3659, 16);
	decode_fails(v.r, AG_NV_HOPPER, "opaque CHIP_SKU_MOD appears twice");
	vec_close(&v);
	vec_open(&v, RSWITCH);
	/* LOCK_SWITCH_STATUS becomes a second POSITION_ID. */
	retype(&v, 2066, 24);
	decode_fails(v.r, AG_NV_LS10, "opaque POSITION_ID appears twice");
	vec_close(&v);
}

/* --- reports built entry by entry --- */

static const uint8_t vbios_9f[8] = { 0x00, 0x9f, 0x00, 0x96, 0x01, 0x00, 0x00, 0x00 };

#define TLV(t, l, v) ((struct ag_spdm_tlv){ (t), (l), (const uint8_t *)(v) })
#define DRIVER TLV(AG_NV_OPAQUE_DRIVER_VERSION, 10, "550.90.07")
#define VBIOS TLV(AG_NV_OPAQUE_VBIOS_VERSION, 8, vbios_9f)

/* A report that has only these opaque entries (nothing else of it is read). */
static struct ag_spdm_report *
hand(const struct ag_spdm_tlv *tlvs, size_t n)
{
	struct ag_spdm_report *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	assert_true(n <= AG_SPDM_MAX_TLVS);
	memcpy(r->tlvs, tlvs, n * sizeof(*tlvs));
	r->n_tlvs = n;
	return r;
}

/* The driver and VBIOS entries plus extra: refused as arch a, naming why. */
static void
hand_fails(enum ag_nv_arch a, struct ag_spdm_tlv extra, const char *why)
{
	struct ag_spdm_tlv t[] = { DRIVER, VBIOS, extra };
	struct ag_spdm_report *r = hand(t, 3);

	decode_fails(r, a, why);
	free(r);
}

/* The driver and VBIOS entries plus extra decode as a Hopper into *o. */
static void
hand_ok(struct ag_spdm_tlv extra, struct ag_nv_opaque *o)
{
	struct ag_spdm_tlv t[] = { DRIVER, VBIOS, extra };
	struct ag_spdm_report *r = hand(t, 3);
	struct ag_err err;

	if (ag_nv_opaque_decode(r, AG_NV_HOPPER, o, &err) != AG_OK)
		fail_msg("type %u: %s", extra.type, err.msg);
	free(r);
}

static void
test_hand_accepted(void **state)
{
	static const uint8_t fwid[48] = { 0xab };
	struct ag_nv_opaque o;

	(void)state;
	hand_ok(TLV(AG_NV_OPAQUE_FEATURE_FLAG, 1, "\x01"), &o);
	assert_string_equal(o.driver_version, "550.90.07");
	assert_string_equal(o.vbios_version, "96.00.9F.00.01");
	assert_int_equal(o.feature_flag, 1);
	assert_int_equal(o.nvdec0, -1);
	assert_null(o.fwid);
	hand_ok(TLV(AG_NV_OPAQUE_FEATURE_FLAG, 4, "\x02\x00\x00\x00"), &o);
	assert_int_equal(o.feature_flag, 2);
	hand_ok(TLV(AG_NV_OPAQUE_NVDEC0_STATUS, 1, "\xaa"), &o);
	assert_int_equal(o.nvdec0, AG_NV_NVDEC0_ENABLED);
	hand_ok(TLV(AG_NV_OPAQUE_VERSION, 1, "\x01"), &o);
	hand_ok(TLV(AG_NV_OPAQUE_VERSION, 4, "\x01\x00\x00\x00"), &o);
	hand_ok(TLV(AG_NV_OPAQUE_FWID, 48, fwid), &o);
	assert_ptr_equal(o.fwid, fwid);
	hand_ok(TLV(AG_NV_OPAQUE_CHIP_INFO, 6, "GB202\0"), &o);
	assert_string_equal(o.chip_info, "GB202");
	hand_ok(TLV(AG_NV_OPAQUE_MSRSCNT, 8, "\1\0\0\0\2\0\0\0"), &o);
	hand_ok(TLV(AG_NV_OPAQUE_SWITCH_PDI, 16, "0123456789abcdef"), &o);
	assert_non_null(o.switch_pdis);
}

static void
test_hand_vbios_size(void **state)
{
	struct ag_spdm_tlv t[] = { DRIVER, TLV(AG_NV_OPAQUE_VBIOS_VERSION, 7, vbios_9f) };
	struct ag_spdm_report *r = hand(t, 2);

	(void)state;
	decode_fails(r, AG_NV_HOPPER, "opaque VBIOS_VERSION is 7 bytes, not the size it has");
	r->tlvs[1].len = 9;
	decode_fails(r, AG_NV_BLACKWELL, "opaque VBIOS_VERSION is 9 bytes, not the size it has");
	r->tlvs[1].len = 0;
	decode_fails(r, AG_NV_LS10, "opaque VBIOS_VERSION is 0 bytes, not the size it has");
	free(r);
}

static void
test_hand_fwid_size(void **state)
{
	static const uint8_t fwid[49];

	(void)state;
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_FWID, 47, fwid), "opaque FWID is 47 bytes, not the size it has");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_FWID, 49, fwid), "opaque FWID is 49 bytes, not the size it has");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_FWID, 0, fwid), "opaque FWID is 0 bytes, not the size it has");
}

static void
test_hand_nvdec0(void **state)
{
	(void)state;
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_NVDEC0_STATUS, 1, "\x12"),
	    "opaque NVDEC0_STATUS has a value of the wrong form");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_NVDEC0_STATUS, 1, "\x00"),
	    "opaque NVDEC0_STATUS has a value of the wrong form");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_NVDEC0_STATUS, 2, "\x55\x00"),
	    "opaque NVDEC0_STATUS is 2 bytes, not the size it has");
}

static void
test_hand_opaque_version(void **state)
{
	(void)state;
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_VERSION, 1, "\x02"), "opaque data version 2 is newer than this");
	hand_fails(AG_NV_BLACKWELL, TLV(AG_NV_OPAQUE_VERSION, 2, "\x00\x01"), "opaque data version 256 is newer");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_VERSION, 0, ""), "opaque OPAQUE_DATA_VERSION is 0 bytes");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_VERSION, 5, "\1\0\0\0\0"), "opaque OPAQUE_DATA_VERSION is 5 bytes");
}

static void
test_hand_feature_flag(void **state)
{
	(void)state;
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_FEATURE_FLAG, 1, "\x03"),
	    "opaque FEATURE_FLAG has a value of the wrong form");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_FEATURE_FLAG, 2, "\x00\x01"),
	    "opaque FEATURE_FLAG has a value of the wrong form");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_FEATURE_FLAG, 0, ""), "opaque FEATURE_FLAG is 0 bytes");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_FEATURE_FLAG, 5, "\0\0\0\0\0"), "opaque FEATURE_FLAG is 5 bytes");
}

static void
test_hand_feature_flag_high_bits(void **state)
{
	(void)state;
	/* Four bytes whose value is far above 2 (all ones; only the top bit) are not a mode. */
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_FEATURE_FLAG, 4, "\xff\xff\xff\xff"),
	    "opaque FEATURE_FLAG has a value of the wrong form");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_FEATURE_FLAG, 4, "\x00\x00\x00\x80"),
	    "opaque FEATURE_FLAG has a value of the wrong form");
	hand_fails(AG_NV_BLACKWELL, TLV(AG_NV_OPAQUE_FEATURE_FLAG, 4, "\x02\x00\x00\x80"), "FEATURE_FLAG");
}

static void
test_hand_list_sizes(void **state)
{
	(void)state;
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_MSRSCNT, 6, "\1\0\0\0\2\0"), "opaque MSRSCNT is 6 bytes");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_SWITCH_PDI, 12, "0123456789ab"), "opaque SWITCH_PDI is 12 bytes");
}

static void
test_hand_switch_entries(void **state)
{
	struct ag_spdm_tlv t[] = { TLV(AG_NV_OPAQUE_VBIOS_VERSION, 14, "96.10.55.00.01"),
		TLV(AG_NV_OPAQUE_SWITCH_PDI, 8, "01234567"), TLV(26, 3, "abc"), TLV(27, 1, "x") };
	struct ag_spdm_report *r = hand(t, 4);
	struct ag_nv_opaque o;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_nv_opaque_decode(r, AG_NV_LS10, &o, &err), AG_OK);
	assert_null(o.switch_pdis);
	r->tlvs[1].len = 7;
	decode_fails(r, AG_NV_LS10, "opaque DEVICE_PDI is 7 bytes");
	r->tlvs[1].len = 8;
	r->tlvs[0].value = (const uint8_t *)"96.10\x01";
	r->tlvs[0].len = 6;
	decode_fails(r, AG_NV_LS10, "opaque VBIOS_VERSION has a value of the wrong form");
	free(r);
}

static void
test_hand_missing_versions(void **state)
{
	struct ag_spdm_tlv gpu[] = { VBIOS }, sw[] = { TLV(AG_NV_OPAQUE_VBIOS_VERSION, 14, "96.10.55.00.01") };
	struct ag_spdm_tlv drv[] = { DRIVER };
	struct ag_spdm_report *r = hand(gpu, 1);
	struct ag_nv_opaque o;
	struct ag_err err;

	(void)state;
	decode_fails(r, AG_NV_HOPPER, "no DRIVER_VERSION in the opaque data");
	decode_fails(r, AG_NV_BLACKWELL, "no DRIVER_VERSION in the opaque data");
	free(r);
	r = hand(drv, 1);
	decode_fails(r, AG_NV_HOPPER, "no VBIOS_VERSION in the opaque data");
	free(r);
	r = hand(drv, 0);
	decode_fails(r, AG_NV_HOPPER, "no DRIVER_VERSION in the opaque data");
	decode_fails(r, AG_NV_LS10, "no VBIOS_VERSION in the opaque data");
	free(r);
	/* A switch needs no driver version. */
	r = hand(sw, 1);
	assert_int_equal(ag_nv_opaque_decode(r, AG_NV_LS10, &o, &err), AG_OK);
	assert_string_equal(o.vbios_version, "96.10.55.00.01");
	free(r);
}

/* DRIVER_VERSION of these bytes, with the VBIOS entry: refused as a value of the wrong form. */
static void
driver_refused(const char *value, uint16_t len)
{
	struct ag_spdm_tlv t[] = { TLV(AG_NV_OPAQUE_DRIVER_VERSION, len, value), VBIOS };
	struct ag_spdm_report *r = hand(t, 2);

	decode_fails(r, AG_NV_HOPPER, "opaque DRIVER_VERSION has a value of the wrong form");
	free(r);
}

static void
test_hand_driver_text(void **state)
{
	char long_ver[65];
	struct ag_spdm_tlv t[] = { TLV(AG_NV_OPAQUE_DRIVER_VERSION, 63, long_ver), VBIOS };
	struct ag_spdm_report *r;
	struct ag_nv_opaque o;
	struct ag_err err;

	(void)state;
	driver_refused("550\x01.90", 7);
	driver_refused("550.90\x7f", 7);
	driver_refused("550\xc3\xa9", 5);
	driver_refused("550\0.90", 7);      /* a NUL inside, not only trailing */
	driver_refused("\0\0\0\0", 4);
	driver_refused("", 0);
	driver_refused(" \n", 2);
	memset(long_ver, '5', sizeof(long_ver) - 1);
	long_ver[64] = '\0';
	driver_refused(long_ver, 64);       /* does not fit the 64-byte field with its NUL */
	r = hand(t, 2);
	assert_int_equal(ag_nv_opaque_decode(r, AG_NV_HOPPER, &o, &err), AG_OK);
	assert_int_equal(strlen(o.driver_version), 63);
	free(r);
}

static void
test_hand_project_text(void **state)
{
	(void)state;
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_PROJECT, 4, "10\x01" "0"), "opaque PROJECT has a value of the wrong form");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_PROJECT_SKU, 2, "\0\0"), "opaque PROJECT_SKU has a value of the wrong form");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_CHIP_SKU, 16, "0123456789abcdef"),
	    "opaque CHIP_SKU has a value of the wrong form");
	hand_fails(AG_NV_HOPPER, TLV(AG_NV_OPAQUE_CHIP_INFO, 1, "\x80"), "opaque CHIP_INFO has a value of the wrong form");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_550),
		cmocka_unit_test(test_decode_545),
		cmocka_unit_test(test_decode_535_570),
		cmocka_unit_test(test_decode_switch_pdis_on_gpu),
		cmocka_unit_test(test_decode_switch),
		cmocka_unit_test(test_decode_wrong_arch),
		cmocka_unit_test(test_rim_ids_vectors),
		cmocka_unit_test(test_rim_ids_blackwell),
		cmocka_unit_test(test_rim_ids_limits),
		cmocka_unit_test(test_arch_names),
		cmocka_unit_test(test_arch_from_hwmodel),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_duplicate_type),
		cmocka_unit_test(test_hand_accepted),
		cmocka_unit_test(test_hand_vbios_size),
		cmocka_unit_test(test_hand_fwid_size),
		cmocka_unit_test(test_hand_nvdec0),
		cmocka_unit_test(test_hand_opaque_version),
		cmocka_unit_test(test_hand_feature_flag),
		cmocka_unit_test(test_hand_feature_flag_high_bits),
		cmocka_unit_test(test_hand_list_sizes),
		cmocka_unit_test(test_hand_switch_entries),
		cmocka_unit_test(test_hand_missing_versions),
		cmocka_unit_test(test_hand_driver_text),
		cmocka_unit_test(test_hand_project_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
