/*
 * verifier/nvidia_gpu.c - one NVIDIA device's evidence, checked in the
 * order NVIDIA's verifiers check it (chain, signature, nonce, FWID, then
 * RIMs and measurements), each failure an error that names the device and
 * the check.  Stricter than NVIDIA's own code where that is wrong
 * (docs/nvidia-gpu-design.md, [choose]): the chain is checked at the
 * verification time, a present FWID must match, MSR 35 is skipped only
 * when NVDEC0 is disabled, the RIM key is the verified leaf's.
 */
#include "verifier/nvidia_gpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/certs.h"
#include "base/digest.h"
#include "format/nvidia_certs.h"
#include "format/nvidia_opaque.h"
#include "format/nvidia_rim.h"
#include "format/spdm.h"
#include "policy/policy.h"

#define MSR_NVDEC0 35   /* the RIM index validated only while NVDEC0 is enabled */

/* What the checks of one device found. */
struct device {
	const char *name;
	struct ag_spdm_report *r;
	STACK_OF(X509) *chain;
	enum ag_nv_arch arch;
	char hwmodel[128];
	struct ag_nv_opaque op;
	struct ag_nv_chain_info chain_info;
	struct ag_gpu_ocsp_result ocsp;
	time_t at;
	json_t *claims, *checks;
};

/* One RIM of the device: which, where from, and what it said. */
struct rim_slot {
	const char *role;                 /* "driver", "vbios" (GPUs), "bios" (switches) */
	const char *version;              /* the report's */
	char id[160];                     /* NVIDIA's name for it, or "" */
	struct ag_nv_rim *rim;
	const char *origin;
	struct ag_nv_chain_info chain;
	struct ag_gpu_ocsp_result ocsp;
};

/* "x-nvidia-gpu-" or "x-nvidia-switch-" followed by rest. */
static const char *
claim_name(const struct device *d, const char *rest, char *buf, size_t size)
{
	snprintf(buf, size, "x-nvidia-%s-%s", d->arch == AG_NV_LS10 ? "switch" : "gpu", rest);
	return buf;
}

static void
set_claim(struct device *d, const char *rest, json_t *v)
{
	char name[128];

	json_object_set_new(d->claims, claim_name(d, rest, name, sizeof(name)), v);
}

/* NVIDIA's cert-chain claim object for a verified chain: its OCSP fields only when revocation was checked. */
static json_t *
chain_claim(const struct ag_nv_chain_info *c, const struct ag_gpu_ocsp_result *ocsp)
{
	char t[AG_RFC3339_MAX];
	json_t *o = json_pack("{s:s,s:s,s:s,s:n}", "x-nvidia-cert-expiration-date", ag_time_rfc3339(c->not_after, t),
	    "x-nvidia-cert-status", "valid", "x-nvidia-cert-ocsp-status", ocsp->checked ? "good" : "not-checked",
	    "x-nvidia-cert-revocation-reason");

	if (o != NULL && ocsp->checked) {
		json_object_set_new(o, "x-nvidia-cert-ocsp-nonce-matches", json_boolean(ocsp->online));
		json_object_set_new(o, "x-nvidia-cert-ocsp-response-valid", json_true());
	}
	return o;
}

/* x-attestgate-gpu-checks' word for how revocation was checked. */
static const char *
ocsp_check_name(const struct ag_gpu_ocsp_result *r)
{
	return !r->checked ? "not-checked" : r->online ? "online" : "offline";
}

/* Report parse, chain load, architecture (the chain's, which the evidence's word must agree with). */
static enum ag_code
identify(const struct ag_gpu_input *in, struct device *d, struct ag_err *err)
{
	enum ag_code rc = ag_spdm_parse(in->report, in->report_len, d->r, err);

	if (rc != AG_OK || (rc = ag_nv_device_chain_load(in->chain, in->chain_len, &d->chain, err)) != AG_OK)
		return rc;
	ag_nv_hwmodel(d->chain, d->hwmodel, sizeof(d->hwmodel));
	d->arch = ag_nv_arch_from_hwmodel(d->hwmodel);
	if (d->arch == AG_NV_UNKNOWN)
		return ag_err_set(err, AG_EINVALID, "the device certificate names \"%s\", which is no Hopper or Blackwell GPU "
		    "or LS10 NVSwitch this attestgate knows", d->hwmodel);
	if (in->arch != NULL && ag_nv_arch_from_name(in->arch) != d->arch)
		return ag_err_set(err, AG_EINVALID, "the evidence says it is %.32s, but its certificate is a %s (%s)", in->arch,
		    ag_nv_arch_name(d->arch), d->hwmodel);
	return AG_OK;
}

/* The FWID of the report, when it has one, against the device certificate's. */
static enum ag_code
check_fwid(struct device *d, struct ag_err *err)
{
	uint8_t cert_fwid[AG_NV_FWID_LEN];
	enum ag_code rc;

	if (d->op.fwid == NULL) {
		json_object_set_new(d->checks, "fwid", json_string("not-in-report"));
		return AG_OK;
	}
	if ((rc = ag_nv_cert_fwid(sk_X509_value(d->chain, 0), d->arch, cert_fwid, err)) != AG_OK)
		return rc;
	if (!ag_ct_equal(cert_fwid, d->op.fwid, AG_NV_FWID_LEN))
		return ag_err_set(err, AG_EINVALID, "the report's FWID is not the device certificate's: the report comes from "
		    "other firmware than the certificate was issued to");
	json_object_set_new(d->checks, "fwid", json_string("matched"));
	return AG_OK;
}

/* NVML's version strings (unsigned) must say what the signed opaque data says. */
static enum ag_code
cross_check_nvml(const struct ag_gpu_input *in, const struct device *d, struct ag_err *err)
{
	if (in->driver_version != NULL && d->op.driver_version[0] != '\0' &&
	    strcmp(in->driver_version, d->op.driver_version) != 0)
		return ag_err_set(err, AG_EINVALID, "NVML says driver %.64s, the signed report says %s", in->driver_version,
		    d->op.driver_version);
	if (in->vbios_version != NULL && strcasecmp(in->vbios_version, d->op.vbios_version) != 0)
		return ag_err_set(err, AG_EINVALID, "NVML says VBIOS %.32s, the signed report says %s", in->vbios_version,
		    d->op.vbios_version);
	return AG_OK;
}

/* Everything about the evidence itself: chain, signature, nonce, opaque data, FWID. */
static enum ag_code
check_evidence(const struct ag_gpu_opts *o, const struct ag_gpu_input *in, struct device *d, struct ag_err *err)
{
	enum ag_code rc;

	if ((rc = identify(in, d, err)) != AG_OK ||
	    (rc = ag_nv_chain_verify(d->chain, AG_NV_ROOT_DEVICE, o->test_roots, d->at, "the device certificate chain",
		 &d->chain_info, err)) != AG_OK ||
	    (rc = ag_gpu_ocsp_chain(&o->ocsp, d->chain, 1, d->at, "the device certificate chain", &d->ocsp, err)) != AG_OK ||
	    (rc = ag_spdm_verify_signature(d->r, X509_get0_pubkey(sk_X509_value(d->chain, 0)), err)) != AG_OK)
		return rc;
	if (in->nonce != NULL && !ag_ct_equal(in->nonce, d->r->nonce, AG_SPDM_NONCE_LEN))
		return ag_err_set(err, AG_EINVALID, "the report's nonce is not the expected one: it was not made for this "
		    "attestation (replayed, or another run's)");
	/* The evidence JSON's own word is no freshness, but evidence that contradicts itself is not used. */
	if (in->stated_nonce != NULL && !ag_ct_equal(in->stated_nonce, d->r->nonce, AG_SPDM_NONCE_LEN))
		return ag_err_set(err, AG_EINVALID, "the evidence's \"nonce\" is not the nonce the report signs");
	json_object_set_new(d->checks, "nonce", json_string(in->nonce != NULL ? "matched" : "not-checked"));
	if ((rc = ag_nv_opaque_decode(d->r, d->arch, &d->op, err)) != AG_OK || (rc = check_fwid(d, err)) != AG_OK)
		return rc;
	return cross_check_nvml(in, d, err);
}

/* Verifies a RIM (chain, signature, revocation); what names it in errors. */
static enum ag_code
verify_rim(const struct ag_gpu_opts *o, const struct device *d, const struct ag_nv_rim *rim, const char *what,
    struct ag_nv_chain_info *chain, struct ag_gpu_ocsp_result *ocsp, struct ag_err *err)
{
	enum ag_code rc = ag_nv_rim_verify(rim, o->test_roots, d->at, chain, err);

	if (rc == AG_OK)
		rc = ag_gpu_ocsp_chain(&o->ocsp, rim->certs, 0, d->at, "its signing chain", ocsp, err);
	if (rc != AG_OK)
		ag_err_prefix(err, "the RIM %s", what);
	return rc;
}

/* Nonzero when the RIM is for the device's chip: a GPU's RIM names it as Meta product, the first word of
 * hwmodel ("GH100" of "GH100 A01 GSP BROM").  NVIDIA's NVSwitch RIMs name a GPU there, so they are not compared. */
static int
for_this_chip(const struct device *d, const struct ag_nv_rim *rim)
{
	size_t n = strcspn(d->hwmodel, " ");

	return d->arch == AG_NV_LS10 || (strlen(rim->product) == n && strncasecmp(rim->product, d->hwmodel, n) == 0);
}

/* The empty slot for version, or NULL. */
static struct rim_slot *
slot_for(struct rim_slot *slots, size_t n, const char *version)
{
	for (size_t i = 0; i < n; i++)
		if (slots[i].rim == NULL && strcasecmp(version, slots[i].version) == 0)
			return &slots[i];
	return NULL;
}

/* Every --gpu-rim file is verified and must be for one of the slots' versions: it fills that slot. */
static enum ag_code
take_given_files(const struct ag_gpu_opts *o, const struct device *d, struct rim_slot *slots, size_t n,
    struct ag_err *err)
{
	for (size_t f = 0; f < o->rims.n_files; f++) {
		const char *path = o->rims.files[f];
		struct ag_nv_rim *rim = NULL;
		struct ag_nv_chain_info chain;
		struct ag_gpu_ocsp_result ocsp;
		struct rim_slot *s = NULL;
		enum ag_code rc = ag_gpu_rim_read_file(path, &rim, err);

		if (rc == AG_OK && (rc = verify_rim(o, d, rim, path, &chain, &ocsp, err)) == AG_OK && !for_this_chip(d, rim))
			rc = ag_err_set(err, AG_EINVALID, "the RIM %s is for %s, but the device is a %s", path,
			    rim->product[0] != '\0' ? rim->product : "no chip", d->hwmodel);
		if (rc == AG_OK && (s = slot_for(slots, n, rim->version)) == NULL)
			rc = ag_err_set(err, AG_EINVALID, "the RIM %s is for version %s, but the report's %s is %s%s%s", path,
			    rim->version, slots[0].role, slots[0].version, n > 1 ? " and its VBIOS is " : "",
			    n > 1 ? slots[1].version : "");
		if (rc != AG_OK) {
			ag_nv_rim_free(rim);
			return rc;
		}
		s->rim = rim;
		s->chain = chain;
		s->ocsp = ocsp;
		s->origin = "file";
	}
	return AG_OK;
}

/* A slot the given files did not fill: from the directory or the service by id, then verified. */
static enum ag_code
get_rim(const struct ag_gpu_opts *o, const struct device *d, struct rim_slot *s, struct ag_err *err)
{
	enum ag_code rc;

	if (s->rim != NULL)
		return AG_OK;
	if (s->id[0] == '\0')
		return ag_err_set(err, AG_EINVALID, "no %s RIM for version %s was given, and the report does not name one "
		    "to look up: pass it with --gpu-rim", s->role, s->version);
	if ((rc = ag_gpu_rim_get(&o->rims, s->id, &s->rim, &s->origin, err)) != AG_OK)
		return rc;
	if (s->rim == NULL)
		return ag_err_set(err, AG_EINVALID, "no %s RIM %s (version %s) in the given sources (--gpu-rim, --gpu-rim-dir, "
		    "--gpu-rim-url)", s->role, s->id, s->version);
	if ((rc = verify_rim(o, d, s->rim, s->id, &s->chain, &s->ocsp, err)) != AG_OK)
		return rc;
	if (strcasecmp(s->rim->version, s->version) != 0)
		return ag_err_set(err, AG_EINVALID, "the %s RIM %s is for version %s, the report's %s is %s", s->role, s->id,
		    s->rim->version, s->role, s->version);
	if (!for_this_chip(d, s->rim))
		return ag_err_set(err, AG_EINVALID, "the %s RIM %s is for %s, but the device is a %s", s->role, s->id,
		    s->rim->product[0] != '\0' ? s->rim->product : "no chip", d->hwmodel);
	return AG_OK;
}

/* A mismatch record as NVIDIA's verifiers write it. */
static json_t *
mismatch(const struct ag_nv_rim_measurement *m, const struct ag_spdm_block *b, const char *source)
{
	char golden[2 * AG_NV_RIM_HASH_MAX + 1], runtime[2 * AG_NV_RIM_HASH_MAX + 1];

	ag_hex_encode(m->alternatives[0], m->size, golden);
	if (b != NULL)   /* a longer runtime value cannot match: its first bytes say enough */
		ag_hex_encode(b->value, b->len < AG_NV_RIM_HASH_MAX ? b->len : AG_NV_RIM_HASH_MAX, runtime);
	return json_pack("{s:I,s:I,s:s,s:I,s:s?,s:s}", "index", (json_int_t)m->index, "goldenSize", (json_int_t)m->size,
	    "goldenValue", golden, "runtimeSize", (json_int_t)(b != NULL ? b->len : 0), "runtimeValue",
	    b != NULL ? runtime : NULL, "measurementSource", source);
}

/* Nonzero when the block equals one of the measurement's alternatives. */
static int
matches(const struct ag_nv_rim_measurement *m, const struct ag_spdm_block *b)
{
	for (size_t k = 0; b != NULL && b->len == m->size && k < m->n_alternatives; k++)
		if (memcmp(m->alternatives[k], b->value, m->size) == 0)
			return 1;
	return 0;
}

/* Every active golden value against block index + 1; mismatches appended (with the indices in text). */
static void
compare(const struct device *d, const struct rim_slot *s, json_t *mismatches, char *text, size_t size)
{
	for (size_t i = 0; i < s->rim->n_measurements; i++) {
		const struct ag_nv_rim_measurement *m = &s->rim->measurements[i];
		const struct ag_spdm_block *b = ag_spdm_block(d->r, m->index + 1);
		size_t n = strlen(text);

		if (m->index == MSR_NVDEC0 && d->op.nvdec0 == AG_NV_NVDEC0_DISABLED && d->arch != AG_NV_LS10)
			continue;
		if (matches(m, b))
			continue;
		json_array_append_new(mismatches, mismatch(m, b, s->role));
		snprintf(text + n, size - n, "%s%s %u", n > 0 ? ", " : "", s->role, m->index);
	}
}

/* Driver and VBIOS RIMs may not both claim an index. */
static enum ag_code
check_conflict(const struct rim_slot *drv, const struct rim_slot *vbios, struct ag_err *err)
{
	for (size_t i = 0; i < drv->rim->n_measurements; i++)
		if (ag_nv_rim_measurement(vbios->rim, drv->rim->measurements[i].index) != NULL)
			return ag_err_set(err, AG_EINVALID, "the driver and VBIOS RIMs both give measurement %u",
			    drv->rim->measurements[i].index);
	return AG_OK;
}

/* The RIM claims of one slot. */
static void
rim_claims(struct device *d, const struct rim_slot *s)
{
	static const char *const names[] = { "fetched", "cert-chain", "signature-verified", "version-match",
		"measurements-available" };
	char rest[64];

	/* In NVIDIA's order: each true (the checks passed to get here) but the chain, an object. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(rest, sizeof(rest), "%s-rim-%s", s->role, names[i]);
		set_claim(d, rest, strcmp(names[i], "cert-chain") == 0 ? chain_claim(&s->chain, &s->ocsp) : json_true());
	}
	json_object_set_new(json_object_get(d->checks, "rimSources"), s->role, json_string(s->origin));
}

/* The RIMs' measurements against the report; AG_EINVALID naming every index that differs. */
static enum ag_code
check_measurements(struct device *d, struct rim_slot *slots, size_t n, struct ag_err *err)
{
	json_t *mismatches = json_array();
	char text[256] = "";
	size_t count;

	for (size_t i = 0; i < n; i++)
		compare(d, &slots[i], mismatches, text, sizeof(text));
	count = json_array_size(mismatches);
	json_object_set_new(d->claims, "measres", json_string(count == 0 ? "success" : "fail"));
	json_object_set_new(d->claims, "x-nvidia-mismatch-measurement-records", count == 0 ? json_null() : mismatches);
	if (count == 0)
		json_decref(mismatches);
	json_object_set_new(d->checks, "measurements", json_string(count == 0 ? "matched" : "mismatched"));
	if (count > 0)
		return ag_err_set(err, AG_EINVALID, "%zu measurement(s) differ from the RIMs' golden values (RIM index: %s)",
		    count, text);
	json_object_set_new(d->claims, "secboot", json_true());
	json_object_set_new(d->claims, "dbgstat", json_string("disabled"));
	return AG_OK;
}

/* The RIMs (driver and VBIOS for a GPU, BIOS for a switch) and the measurement comparison. */
static enum ag_code
check_rims(const struct ag_gpu_opts *o, struct device *d, struct ag_err *err)
{
	struct rim_slot slots[2];
	size_t n = 0;
	enum ag_code rc = AG_OK;

	memset(slots, 0, sizeof(slots));
	if (d->arch != AG_NV_LS10) {
		slots[n].role = "driver";
		slots[n].version = d->op.driver_version;
		(void)ag_nv_driver_rim_id(&d->op, d->arch, slots[n].id, sizeof(slots[n].id));
		n++;
	}
	slots[n].role = d->arch == AG_NV_LS10 ? "bios" : "vbios";
	slots[n].version = d->op.vbios_version;
	(void)ag_nv_vbios_rim_id(&d->op, d->arch, slots[n].id, sizeof(slots[n].id));
	n++;
	json_object_set_new(d->checks, "rimSources", json_object());
	rc = take_given_files(o, d, slots, n, err);
	for (size_t i = 0; rc == AG_OK && i < n; i++)
		if ((rc = get_rim(o, d, &slots[i], err)) == AG_OK)
			rim_claims(d, &slots[i]);
	if (rc == AG_OK && n == 2 && (rc = check_conflict(&slots[0], &slots[1], err)) != AG_OK)
		set_claim(d, "vbios-index-no-conflict", json_false());
	else if (rc == AG_OK && n == 2)
		set_claim(d, "vbios-index-no-conflict", json_true());
	if (rc == AG_OK && n == 2 && slots[0].rim->manufacturer_id[0] != '\0')
		json_object_set_new(d->claims, "oemid", json_string(slots[0].rim->manufacturer_id));
	if (rc == AG_OK)
		rc = check_measurements(d, slots, n, err);
	for (size_t i = 0; i < n; i++)
		ag_nv_rim_free(slots[i].rim);
	return rc;
}

/* The claims of verified evidence. */
static void
evidence_claims(const struct ag_gpu_input *in, struct device *d)
{
	char nonce[2 * AG_SPDM_NONCE_LEN + 1], device[AG_SHA256_HEX_LEN + 1];
	char *ueid = ag_nv_ueid(d->chain);

	ag_hex_encode(d->r->nonce, AG_SPDM_NONCE_LEN, nonce);
	/* The device's identity certificate (chain[1], made once per chip) names the device; the leaf is per boot. */
	ag_cert_sha256_hex(sk_X509_value(d->chain, 1), device);
	json_object_set_new(d->claims, AG_GPU_DEVICE_ID_CLAIM, json_string(device));
	json_object_set_new(d->claims, "eat_nonce", json_string(nonce));
	json_object_set_new(d->claims, "hwmodel", json_string(d->hwmodel));
	json_object_set_new(d->claims, "ueid", ueid != NULL ? json_string(ueid) : json_null());
	json_object_set_new(d->claims, "x-nvidia-device-type", json_string(d->arch == AG_NV_LS10 ? "nvswitch" : "gpu"));
	set_claim(d, "claims-version", json_string("3.0"));
	set_claim(d, "arch-check", json_true());
	if (d->op.driver_version[0] != '\0')
		set_claim(d, "driver-version", json_string(d->op.driver_version));
	set_claim(d, "vbios-version", json_string(d->op.vbios_version));
	set_claim(d, "attestation-report-parsed", json_true());
	set_claim(d, "attestation-report-signature-verified", json_true());
	if (in->nonce != NULL)
		set_claim(d, "attestation-report-nonce-match", json_true());
	set_claim(d, "attestation-report-cert-chain", chain_claim(&d->chain_info, &d->ocsp));
	set_claim(d, "attestation-report-cert-chain-fwid-match", json_true());
	json_object_set_new(d->checks, "arch", json_string(ag_nv_arch_name(d->arch)));
	json_object_set_new(d->checks, "signature", json_string("verified"));
	json_object_set_new(d->checks, "certChain", json_string(d->chain_info.test_root ? "verified-to-test-root" : "verified"));
	json_object_set_new(d->checks, "ocsp", json_string(ocsp_check_name(&d->ocsp)));
	free(ueid);
}

enum ag_code
ag_gpu_verify(const struct ag_gpu_opts *o, const struct ag_gpu_input *in, json_t **claims, struct ag_err *err)
{
	struct device d;
	enum ag_code rc;

	*claims = NULL;
	memset(&d, 0, sizeof(d));
	d.name = in->name;
	d.at = o->at != 0 ? o->at : (time_t)(ag_clock_wall_ms() / 1000);
	d.r = malloc(sizeof(*d.r));
	d.claims = json_object();
	d.checks = json_object();
	if (d.r == NULL || d.claims == NULL || d.checks == NULL)
		rc = ag_err_set(err, AG_ECONFIG, "out of memory");
	else if ((rc = check_evidence(o, in, &d, err)) == AG_OK) {
		evidence_claims(in, &d);
		if (ag_gpu_rim_source_set(&o->rims))
			rc = check_rims(o, &d, err);
		else
			json_object_set_new(d.checks, "measurements", json_string("not-checked"));
	}
	if (rc != AG_OK) {
		ag_err_prefix(err, "%s", in->name);
		json_decref(d.claims);
	} else {
		json_object_set_new(d.claims, "x-attestgate-gpu-checks", json_incref(d.checks));
		*claims = d.claims;
	}
	json_decref(d.checks);
	sk_X509_pop_free(d.chain, X509_free);
	free(d.r);
	return rc;
}

/* Nonzero when claims c name the device (or the leaf) of an earlier entry of list. */
static int
seen_before(const json_t *list, const json_t *c, size_t *which)
{
	static const char *const keys[] = { AG_GPU_DEVICE_ID_CLAIM, "ueid" };

	for (size_t i = 0; i < json_array_size(list); i++)
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (json_equal(json_object_get(json_array_get(list, i), keys[k]), json_object_get(c, keys[k]))) {
				*which = i;
				return 1;
			}
	return 0;
}

enum ag_code
ag_gpu_verify_evidence(const struct ag_gpu_opts *o, const struct ag_nv_evidence_entry *e, size_t n, const uint8_t *nonce,
    json_t **claims, struct ag_err *err)
{
	enum ag_code rc = AG_OK;

	if ((*claims = json_array()) == NULL)
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	for (size_t i = 0; rc == AG_OK && i < n; i++) {
		char name[32];
		struct ag_gpu_input in = { .name = name, .report = e[i].report, .report_len = e[i].report_len,
			.chain = e[i].chain, .chain_len = e[i].chain_len, .arch = e[i].arch[0] != '\0' ? e[i].arch : NULL,
			.driver_version = e[i].driver_version, .vbios_version = e[i].vbios_version };
		json_t *c = NULL;
		size_t k = 0;

		snprintf(name, sizeof(name), "%s %zu", strcmp(e[i].arch, "LS10") == 0 ? "NVSwitch" : "GPU", i);
		in.nonce = nonce;
		in.stated_nonce = e[i].has_nonce ? e[i].nonce : NULL;
		if (nonce != NULL && e[i].has_nonce && !ag_ct_equal(nonce, e[i].nonce, AG_SPDM_NONCE_LEN))
			rc = ag_err_set(err, AG_EINVALID, "%s: the evidence's \"nonce\" is not the expected nonce", name);
		else if ((rc = ag_gpu_verify(o, &in, &c, err)) == AG_OK && seen_before(*claims, c, &k)) {
			rc = ag_err_set(err, AG_EINVALID, "%s is device %zu again (the same device certificate): a device "
			    "listed twice does not count twice", name, k);
			json_decref(c);
		} else if (rc == AG_OK) {
			json_object_set_new(c, "x-attestgate-gpu-index", json_integer((json_int_t)i));
			if (e[i].uuid != NULL)
				json_object_set_new(c, "x-attestgate-gpu-uuid", json_string(e[i].uuid));
			json_array_append_new(*claims, c);
		}
	}
	if (rc != AG_OK) {
		json_decref(*claims);
		*claims = NULL;
	}
	return rc;
}

enum ag_code
ag_gpu_verify_json(const struct ag_gpu_opts *o, const uint8_t *json, size_t len, const struct ag_nonce *run,
    const char *what, json_t **list, struct ag_err *err)
{
	struct ag_nv_evidence_entry *entries = NULL;
	uint8_t nonce[AG_NONCE_GPU_LEN];
	size_t n = 0;
	enum ag_code rc;

	*list = NULL;
	if (ag_nonce_gpu(run, nonce) != 0)
		return ag_err_set(err, AG_ECONFIG, "cannot derive the GPU nonce");
	if ((rc = ag_nv_evidence_parse(json, len, &entries, &n, err)) != AG_OK)
		ag_err_prefix(err, "%s", what);
	else
		rc = ag_gpu_verify_evidence(o, entries, n, nonce, list, err);
	ag_nv_evidence_free(entries, n);
	return rc;
}

void
ag_gpu_claims_join(json_t *claims, json_t *list)
{
	json_object_set_new(claims, AG_POLICY_GPU_COUNT_CLAIM + 1, json_integer((json_int_t)json_array_size(list)));
	json_object_set_new(claims, AG_POLICY_GPUS_CLAIM + 1, list);
}
