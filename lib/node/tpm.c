/*
 * node/tpm.c - ESAPI calls with the TCTI chosen at run time from the two linked
 * in.  Every ESYS_TR obtained here is closed before returning; objects are
 * only ever persistent ones, so no TPM transient slot is used.
 */
#include "node/tpm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tcti_device.h>
#include <tss2/tss2_tcti_swtpm.h>
#include <unistd.h>

struct ag_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	char where[256];
	uint32_t nv_chunk;
	ESYS_TR eph;           /* the ephemeral key, kept loaded from its certification to its decryption, or ESYS_TR_NONE */
	uint32_t eph_mask;     /* the PCRs its policy binds */
};

/* The TPM's own response code without layer, handle/parameter numbers. */
static TSS2_RC
base_rc(TSS2_RC rc)
{
	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER && (rc & TSS2_RC_LAYER_MASK) != TSS2_RESMGR_TPM_RC_LAYER)
		return rc;
	rc &= 0xFFFF;
	return (rc & TPM2_RC_FMT1) ? (rc & 0xBF) : (rc & 0xFFF);
}

static int
transient_rc(TSS2_RC rc)
{
	TSS2_RC b = base_rc(rc);

	return b == TPM2_RC_RETRY || b == TPM2_RC_YIELDED || b == TPM2_RC_TESTING || b == TPM2_RC_NV_UNINITIALIZED ||
	    (rc & 0xFFFF) == TSS2_BASE_RC_TRY_AGAIN;
}

static enum ag_code
tpm_fail(struct ag_err *err, TSS2_RC rc, const char *fmt, const char *arg)
{
	char what[200];

	snprintf(what, sizeof(what), fmt, arg);
	if (transient_rc(rc))
		return ag_err_set_transient(err, AG_EEVIDENCE, "%s: %s (will retry)", what, Tss2_RC_Decode(rc));
	return ag_err_set(err, AG_EEVIDENCE, "%s: %s", what, Tss2_RC_Decode(rc));
}

enum ag_code
ag_tpm_tcti_check(const char *spec, struct ag_err *err)
{
	if (spec == NULL || (strncmp(spec, "device:/", 8) != 0 && strncmp(spec, "swtpm:path=/", 12) != 0 &&
				strncmp(spec, "swtpm:host=", 11) != 0))
		return ag_err_set(err, AG_ECONFIG,
		    "--tcti \"%.64s\": use device:PATH, swtpm:path=SOCK or swtpm:host=H,port=P (absolute paths)",
		    spec != NULL ? spec : "");
	return AG_OK;
}

static enum ag_code
tcti_init(const char *spec, struct ag_tpm *t, struct ag_err *err)
{
	size_t size = 0;
	TSS2_RC rc;
	int device = strncmp(spec, "device:", 7) == 0;
	const char *conf = strchr(spec, ':') != NULL ? strchr(spec, ':') + 1 : "";
	enum ag_code code = ag_tpm_tcti_check(spec, err);

	if (code != AG_OK)
		return code;
	if (device) {
		snprintf(t->where, sizeof(t->where), "TPM device %s", conf);
		if (access(conf, F_OK) != 0)
			return ag_err_set(err, AG_EEVIDENCE,
			    "%s does not exist: this node exposes no TPM to the pod (on an Azure CVM node mount /dev/tpmrm0 into the gate container)",
			    t->where);
		if (access(conf, R_OK | W_OK) != 0) {
			struct stat st;

			/* Name the owner and the ways to get access: the usual trap of the device-plugin mode. */
			if (stat(conf, &st) != 0)
				memset(&st, 0, sizeof(st));
			return ag_err_set(err, AG_EEVIDENCE,
			    "permission denied on %s (owner %u, group %u, mode %03o; the gate runs as uid %u gid %u): run the gate "
			    "privileged, or with a device plugin add group %u to the pod's securityContext.supplementalGroups, or "
			    "enable containerd's device_ownership_from_security_context", t->where, (unsigned)st.st_uid,
			    (unsigned)st.st_gid, (unsigned)(st.st_mode & 0777), (unsigned)geteuid(), (unsigned)getegid(),
			    (unsigned)st.st_gid);
		}
	} else {
		snprintf(t->where, sizeof(t->where), "swtpm %s", conf);
	}
	rc = device ? Tss2_Tcti_Device_Init(NULL, &size, conf) : Tss2_Tcti_Swtpm_Init(NULL, &size, conf);
	if (rc != TSS2_RC_SUCCESS)
		return ag_err_set(err, AG_ECONFIG, "--tcti \"%.64s\": %s", spec, Tss2_RC_Decode(rc));
	t->tcti = calloc(1, size);
	if (t->tcti == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "out of memory");
	rc = device ? Tss2_Tcti_Device_Init(t->tcti, &size, conf) : Tss2_Tcti_Swtpm_Init(t->tcti, &size, conf);
	if (rc != TSS2_RC_SUCCESS) {
		free(t->tcti);
		t->tcti = NULL;
		return ag_err_set(err, AG_EEVIDENCE, "cannot open %s: %s", t->where, Tss2_RC_Decode(rc));
	}
	return AG_OK;
}

enum ag_code
ag_tpm_open(const char *spec, struct ag_tpm **out, struct ag_err *err)
{
	struct ag_tpm *t = calloc(1, sizeof(*t));
	TPMS_CAPABILITY_DATA *cap = NULL;
	TSS2_RC rc;
	enum ag_code code;

	*out = NULL;
	if (t == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "out of memory");
	/* tpm2-tss logs to stderr by itself; attestgate reports errors in its own log. */
	setenv("TSS2_LOG", "all+NONE", 0);
	code = tcti_init(spec, t, err);
	if (code != AG_OK) {
		free(t);
		return code;
	}
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		code = tpm_fail(err, rc, "cannot talk to %s", t->where);
		ag_tpm_close(t);
		return code;
	}
	t->nv_chunk = 512;
	t->eph = ESYS_TR_NONE;
	rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
	    TPM2_PT_NV_BUFFER_MAX, 1, NULL, &cap);
	if (rc != TSS2_RC_SUCCESS) {
		code = tpm_fail(err, rc, "%s does not answer GetCapability", t->where);
		ag_tpm_close(t);
		return code;
	}
	if (cap->data.tpmProperties.count == 1 && cap->data.tpmProperties.tpmProperty[0].property == TPM2_PT_NV_BUFFER_MAX &&
	    cap->data.tpmProperties.tpmProperty[0].value >= 64)
		t->nv_chunk = cap->data.tpmProperties.tpmProperty[0].value;
	if (t->nv_chunk > sizeof(((TPM2B_MAX_NV_BUFFER *)0)->buffer))
		t->nv_chunk = sizeof(((TPM2B_MAX_NV_BUFFER *)0)->buffer);
	Esys_Free(cap);
	*out = t;
	return AG_OK;
}

void
ag_tpm_close(struct ag_tpm *t)
{
	if (t == NULL)
		return;
	if (t->esys != NULL && t->eph != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, t->eph);
	if (t->esys != NULL)
		Esys_Finalize(&t->esys);
	if (t->tcti != NULL)
		Tss2_Tcti_Finalize(t->tcti);
	free(t->tcti);
	free(t);
}

/* ESYS_TR for an existing handle; a missing handle is AG_EEVIDENCE with what. */
static enum ag_code
handle_tr(struct ag_tpm *t, uint32_t handle, ESYS_TR *tr, const char *what, struct ag_err *err)
{
	TSS2_RC rc = Esys_TR_FromTPMPublic(t->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, tr);
	char buf[200];

	if (rc == TSS2_RC_SUCCESS)
		return AG_OK;
	snprintf(buf, sizeof(buf), "%s (handle 0x%08x) on %s", what, handle, t->where);
	if (base_rc(rc) == TPM2_RC_HANDLE || base_rc(rc) == (TPM2_RC_HANDLE & 0xBF))
		return ag_err_set_cause(err, AG_EEVIDENCE, AG_CAUSE_ABSENT, "%s does not exist: this is not an Azure Confidential VM vTPM",
		    buf);
	return tpm_fail(err, rc, "cannot open %s", buf);
}

enum ag_code
ag_tpm_nv_read(struct ag_tpm *t, uint32_t index, uint8_t **out, size_t *len, struct ag_err *err)
{
	ESYS_TR tr = ESYS_TR_NONE, auth;
	TPM2B_NV_PUBLIC *pub = NULL;
	TPM2B_NAME *name = NULL;
	uint8_t *buf = NULL;
	size_t size, off = 0;
	char what[64];
	enum ag_code code;
	TSS2_RC rc;

	*out = NULL;
	*len = 0;
	snprintf(what, sizeof(what), "NV index 0x%08x", index);
	code = handle_tr(t, index, &tr, what, err);
	if (code != AG_OK)
		return code;
	rc = Esys_NV_ReadPublic(t->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name);
	if (rc != TSS2_RC_SUCCESS) {
		code = tpm_fail(err, rc, "cannot read the public area of %s", what);
		goto out;
	}
	size = pub->nvPublic.dataSize;
	if (size == 0 || size > AG_TPM_NV_MAX) {
		code = ag_err_set(err, AG_EEVIDENCE, "%s holds %zu bytes, expected 1 to %d", what, size, AG_TPM_NV_MAX);
		goto out;
	}
	/* Owner-readable indices are read with the owner's (empty) auth, others with their own. */
	auth = (pub->nvPublic.attributes & TPMA_NV_OWNERREAD) ? ESYS_TR_RH_OWNER : tr;
	buf = malloc(size + 1);
	if (buf == NULL) {
		code = ag_err_set(err, AG_EEVIDENCE, "out of memory");
		goto out;
	}
	while (off < size) {
		TPM2B_MAX_NV_BUFFER *chunk = NULL;
		uint16_t want = (uint16_t)(size - off < t->nv_chunk ? size - off : t->nv_chunk);

		rc = Esys_NV_Read(t->esys, auth, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, want, (uint16_t)off, &chunk);
		if (rc != TSS2_RC_SUCCESS) {
			code = tpm_fail(err, rc, "cannot read %s", what);
			goto out;
		}
		if (chunk->size != want) {
			Esys_Free(chunk);
			code = ag_err_set(err, AG_EEVIDENCE, "%s: the TPM returned %u bytes, not %u", what, chunk->size, want);
			goto out;
		}
		memcpy(buf + off, chunk->buffer, want);
		off += want;
		Esys_Free(chunk);
	}
	buf[size] = '\0';
	*out = buf;
	*len = size;
	buf = NULL;
	code = AG_OK;
out:
	free(buf);
	Esys_Free(pub);
	Esys_Free(name);
	if (tr != ESYS_TR_NONE)
		Esys_TR_Close(t->esys, &tr);
	return code;
}

enum ag_code
ag_tpm_read_public(struct ag_tpm *t, uint32_t handle, uint8_t **out, size_t *len, struct ag_err *err)
{
	ESYS_TR tr = ESYS_TR_NONE;
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_NAME *name = NULL, *qname = NULL;
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	size_t off = 0;
	enum ag_code code;
	TSS2_RC rc;

	*out = NULL;
	code = handle_tr(t, handle, &tr, "the attestation key", err);
	if (code != AG_OK)
		return code;
	rc = Esys_ReadPublic(t->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name, &qname);
	if (rc != TSS2_RC_SUCCESS)
		code = tpm_fail(err, rc, "cannot read the public area of the attestation key%s", "");
	else if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
		code = ag_err_set(err, AG_EEVIDENCE, "cannot marshal the attestation key's public area");
	else if ((*out = malloc(off)) == NULL)
		code = ag_err_set(err, AG_EEVIDENCE, "out of memory");
	else {
		memcpy(*out, buf, off);
		*len = off;
	}
	Esys_Free(pub);
	Esys_Free(name);
	Esys_Free(qname);
	Esys_TR_Close(t->esys, &tr);
	return code;
}

/* One SHA-256 bank selection of the PCRs in pcr_mask (bit i = PCR i). */
static void
pcr_selection(TPML_PCR_SELECTION *sel, uint32_t pcr_mask)
{
	memset(sel, 0, sizeof(*sel));
	sel->count = 1;
	sel->pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel->pcrSelections[0].sizeofSelect = 3;
	for (int i = 0; i < 3; i++)
		sel->pcrSelections[0].pcrSelect[i] = (uint8_t)(pcr_mask >> (8 * i));
}

enum ag_code
ag_tpm_pcr_read(struct ag_tpm *t, uint8_t pcrs[AG_TPM_PCRS_LEN], struct ag_err *err)
{
	uint32_t missing = (1u << AG_TPM_PCR_COUNT) - 1;

	/* The TPM returns at most 8 digests per call: ask again for what is still missing. */
	for (int round = 0; missing != 0 && round < AG_TPM_PCR_COUNT; round++) {
		TPML_PCR_SELECTION sel, *got_sel = NULL;
		TPML_DIGEST *vals = NULL;
		uint32_t update = 0;
		size_t k = 0;
		TSS2_RC rc;

		pcr_selection(&sel, missing);
		rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &update, &got_sel, &vals);
		if (rc != TSS2_RC_SUCCESS)
			return tpm_fail(err, rc, "cannot read the PCRs of %s", t->where);
		for (uint32_t i = 0; got_sel->count == 1 && i < AG_TPM_PCR_COUNT; i++) {
			if (!(got_sel->pcrSelections[0].pcrSelect[i / 8] & (1u << (i % 8))))
				continue;
			if (k >= vals->count || vals->digests[k].size != 32 || !(missing & (1u << i))) {
				Esys_Free(got_sel);
				Esys_Free(vals);
				return ag_err_set(err, AG_EEVIDENCE, "%s returned PCR values that do not match the selection",
				    t->where);
			}
			memcpy(pcrs + 32 * i, vals->digests[k++].buffer, 32);
			missing &= ~(1u << i);
		}
		Esys_Free(got_sel);
		Esys_Free(vals);
		if (k == 0)
			break;
	}
	if (missing != 0)
		return ag_err_set(err, AG_EEVIDENCE, "%s has no SHA-256 PCR bank with PCR 0-23 allocated", t->where);
	return AG_OK;
}

enum ag_code
ag_tpm_quote(struct ag_tpm *t, uint32_t ak_handle, uint32_t pcr_mask, const uint8_t *nonce, size_t nonce_len,
    uint8_t **msg, size_t *msg_len, uint8_t **sig, size_t *sig_len, struct ag_err *err)
{
	ESYS_TR ak = ESYS_TR_NONE;
	TPM2B_DATA qual = { 0 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPML_PCR_SELECTION sel;
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *signature = NULL;
	uint8_t sbuf[sizeof(TPMT_SIGNATURE)];
	size_t off = 0;
	enum ag_code code;
	TSS2_RC rc;

	*msg = *sig = NULL;
	if (nonce_len > sizeof(qual.buffer))
		return ag_err_set(err, AG_ECONFIG, "the nonce is %zu bytes; a quote takes at most %zu", nonce_len,
		    sizeof(qual.buffer));
	qual.size = (uint16_t)nonce_len;
	if (nonce_len > 0)
		memcpy(qual.buffer, nonce, nonce_len);
	pcr_selection(&sel, pcr_mask);
	code = handle_tr(t, ak_handle, &ak, "the attestation key", err);
	if (code != AG_OK)
		return code;
	rc = Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qual, &scheme, &sel, &quoted, &signature);
	if (rc != TSS2_RC_SUCCESS) {
		code = tpm_fail(err, rc, "the attestation key cannot quote%s", "");
		goto out;
	}
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(signature, sbuf, sizeof(sbuf), &off) != TSS2_RC_SUCCESS ||
	    (*msg = malloc(quoted->size)) == NULL || (*sig = malloc(off)) == NULL) {
		free(*msg);
		*msg = NULL;
		code = ag_err_set(err, AG_EEVIDENCE, "cannot marshal the quote");
		goto out;
	}
	memcpy(*msg, quoted->attestationData, quoted->size);
	*msg_len = quoted->size;
	memcpy(*sig, sbuf, off);
	*sig_len = off;
out:
	Esys_Free(quoted);
	Esys_Free(signature);
	Esys_TR_Close(t->esys, &ak);
	return code;
}

enum ag_code
ag_tpm_nv_write(struct ag_tpm *t, uint32_t index, const uint8_t *data, size_t len, struct ag_err *err)
{
	ESYS_TR tr = ESYS_TR_NONE;
	TPM2B_MAX_NV_BUFFER buf = { 0 };
	char what[64];
	enum ag_code code;
	TSS2_RC rc;

	snprintf(what, sizeof(what), "NV index 0x%08x", index);
	if (len > sizeof(buf.buffer) || len > t->nv_chunk)
		return ag_err_set(err, AG_ECONFIG, "cannot write %zu bytes to %s in one go", len, what);
	rc = Esys_TR_FromTPMPublic(t->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
	if (rc != TSS2_RC_SUCCESS) {
		TPM2B_AUTH auth = { 0 };
		TPM2B_NV_PUBLIC pub = { 0 };

		pub.nvPublic.nvIndex = index;
		pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
		pub.nvPublic.attributes = TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD | TPMA_NV_AUTHWRITE;
		pub.nvPublic.dataSize = (uint16_t)len;
		rc = Esys_NV_DefineSpace(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &auth, &pub,
		    &tr);
		if (rc != TSS2_RC_SUCCESS)
			return tpm_fail(err, rc, "cannot define %s", what);
	}
	buf.size = (uint16_t)len;
	memcpy(buf.buffer, data, len);
	rc = Esys_NV_Write(t->esys, ESYS_TR_RH_OWNER, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &buf, 0);
	code = rc == TSS2_RC_SUCCESS ? AG_OK : tpm_fail(err, rc, "cannot write %s", what);
	Esys_TR_Close(t->esys, &tr);
	return code;
}

/* Starts a policy (or trial) session satisfied by PolicyPCR over the current PCR values. */
static enum ag_code
pcr_policy_session(struct ag_tpm *t, TPM2_SE type, uint32_t pcr_mask, ESYS_TR *session, struct ag_err *err)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	TPML_PCR_SELECTION sel;
	TPM2B_DIGEST empty = { 0 };
	TSS2_RC rc;

	*session = ESYS_TR_NONE;
	rc = Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, type,
	    &sym, TPM2_ALG_SHA256, session);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(err, rc, "cannot start a policy session%s", "");
	pcr_selection(&sel, pcr_mask);
	/* An empty digest: the TPM uses the PCRs' current values. */
	rc = Esys_PolicyPCR(t->esys, *session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &empty, &sel);
	if (rc != TSS2_RC_SUCCESS) {
		Esys_FlushContext(t->esys, *session);
		*session = ESYS_TR_NONE;
		return tpm_fail(err, rc, "PolicyPCR failed%s", "");
	}
	return AG_OK;
}

/* Creates the ephemeral key as a transient primary; the caller flushes *key. */
static enum ag_code
ephemeral_primary(struct ag_tpm *t, uint32_t pcr_mask, ESYS_TR *key, TPM2B_PUBLIC **out_pub, struct ag_err *err)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC tmpl = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION creation = { 0 };
	TPM2B_DIGEST *policy = NULL;
	ESYS_TR trial;
	enum ag_code code;
	TSS2_RC rc;

	*key = ESYS_TR_NONE;
	code = pcr_policy_session(t, TPM2_SE_TRIAL, pcr_mask, &trial, err);
	if (code != AG_OK)
		return code;
	rc = Esys_PolicyGetDigest(t->esys, trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &policy);
	Esys_FlushContext(t->esys, trial);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_fail(err, rc, "cannot compute the PCR policy digest%s", "");
	tmpl.publicArea.type = TPM2_ALG_RSA;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_NODA;
	tmpl.publicArea.authPolicy = *policy;
	tmpl.publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	/* Scheme NULL, as in Microsoft's AzureGuest clients: the decryption names RSAES itself. */
	tmpl.publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	tmpl.publicArea.parameters.rsaDetail.keyBits = 2048;
	tmpl.publicArea.parameters.rsaDetail.exponent = 0;
	Esys_Free(policy);
	rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_NULL, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
	    &outside, &creation, key, out_pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		*key = ESYS_TR_NONE;
		return tpm_fail(err, rc, "cannot create the ephemeral encryption key%s", "");
	}
	return AG_OK;
}

/* Keeps key as the loaded ephemeral key of t (flushing one kept before). */
static void
keep_ephemeral(struct ag_tpm *t, ESYS_TR key, uint32_t pcr_mask)
{
	if (t->eph != ESYS_TR_NONE && t->eph != key)
		Esys_FlushContext(t->esys, t->eph);
	t->eph = key;
	t->eph_mask = pcr_mask;
}

static uint8_t *
dup_bytes(const void *p, size_t n)
{
	uint8_t *d = malloc(n > 0 ? n : 1);

	if (d != NULL)
		memcpy(d, p, n);
	return d;
}

enum ag_code
ag_tpm_ephemeral_key(struct ag_tpm *t, uint32_t ak_handle, uint32_t pcr_mask, uint8_t **pub, size_t *pub_len,
    uint8_t **certify, size_t *certify_len, uint8_t **sig, size_t *sig_len, struct ag_err *err)
{
	ESYS_TR key = ESYS_TR_NONE, ak = ESYS_TR_NONE;
	TPM2B_PUBLIC *kpub = NULL;
	TPM2B_DATA qual = { 0 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_ATTEST *info = NULL;
	TPMT_SIGNATURE *signature = NULL;
	uint8_t pbuf[sizeof(TPM2B_PUBLIC)], sbuf[sizeof(TPMT_SIGNATURE)];
	size_t poff = 0, soff = 0;
	enum ag_code code;
	TSS2_RC rc;

	*pub = *certify = *sig = NULL;
	code = ephemeral_primary(t, pcr_mask, &key, &kpub, err);
	if (code == AG_OK)
		code = handle_tr(t, ak_handle, &ak, "the attestation key", err);
	if (code != AG_OK)
		goto out;
	rc = Esys_Certify(t->esys, key, ak, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD, ESYS_TR_NONE, &qual, &scheme, &info,
	    &signature);
	if (rc != TSS2_RC_SUCCESS) {
		code = tpm_fail(err, rc, "the AK cannot certify the ephemeral key%s", "");
		goto out;
	}
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(kpub, pbuf, sizeof(pbuf), &poff) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPMT_SIGNATURE_Marshal(signature, sbuf, sizeof(sbuf), &soff) != TSS2_RC_SUCCESS) {
		code = ag_err_set(err, AG_EEVIDENCE, "cannot marshal the ephemeral key");
		goto out;
	}
	*pub = dup_bytes(pbuf, poff);
	*certify = dup_bytes(info->attestationData, info->size);
	*sig = dup_bytes(sbuf, soff);
	if (*pub == NULL || *certify == NULL || *sig == NULL) {
		free(*pub);
		free(*certify);
		free(*sig);
		*pub = *certify = *sig = NULL;
		code = ag_err_set(err, AG_EEVIDENCE, "out of memory");
		goto out;
	}
	*pub_len = poff;
	*certify_len = info->size;
	*sig_len = soff;
out:
	/* Kept loaded for the decryption that follows on this handle (one CreatePrimary, an RSA key generation, less). */
	if (key != ESYS_TR_NONE && code == AG_OK)
		keep_ephemeral(t, key, pcr_mask);
	else if (key != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, key);
	if (ak != ESYS_TR_NONE)
		Esys_TR_Close(t->esys, &ak);
	Esys_Free(kpub);
	Esys_Free(info);
	Esys_Free(signature);
	return code;
}

enum ag_code
ag_tpm_ephemeral_decrypt(struct ag_tpm *t, uint32_t pcr_mask, const char *oaep_md, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len, struct ag_err *err)
{
	ESYS_TR key = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TPM2B_PUBLIC *kpub = NULL;
	TPM2B_PUBLIC_KEY_RSA cipher = { 0 }, *plain = NULL;
	TPMT_RSA_DECRYPT scheme = { .scheme = TPM2_ALG_RSAES };
	TPM2B_DATA label = { 0 };
	enum ag_code code = AG_OK;
	TSS2_RC rc;

	*out = NULL;
	if (in_len == 0 || in_len > sizeof(cipher.buffer))
		return ag_err_set(err, AG_EINVALID, "the encrypted key is %zu bytes, not an RSA-2048 block", in_len);
	if (oaep_md != NULL) {
		scheme.scheme = TPM2_ALG_OAEP;
		scheme.details.oaep.hashAlg = strcmp(oaep_md, "SHA1") == 0 ? TPM2_ALG_SHA1 : strcmp(oaep_md, "SHA256") == 0 ?
		    TPM2_ALG_SHA256 : strcmp(oaep_md, "SHA384") == 0 ? TPM2_ALG_SHA384 : TPM2_ALG_NULL;
		if (scheme.details.oaep.hashAlg == TPM2_ALG_NULL)
			return ag_err_set(err, AG_ECONFIG, "RSA-OAEP with %.16s is not supported by the vTPM decryption", oaep_md);
	}
	cipher.size = (uint16_t)in_len;
	memcpy(cipher.buffer, in, in_len);
	if (t->eph != ESYS_TR_NONE && t->eph_mask == pcr_mask)
		key = t->eph;
	else
		code = ephemeral_primary(t, pcr_mask, &key, &kpub, err);
	if (code == AG_OK)
		keep_ephemeral(t, key, pcr_mask);
	if (code == AG_OK)
		code = pcr_policy_session(t, TPM2_SE_POLICY, pcr_mask, &session, err);
	if (code != AG_OK)
		goto out;
	rc = Esys_RSA_Decrypt(t->esys, key, session, ESYS_TR_NONE, ESYS_TR_NONE, &cipher, &scheme, &label, &plain);
	if (rc != TSS2_RC_SUCCESS) {
		/* A PCR changed since the key was made, or the blob was not made for this key. */
		code = ag_err_set(err, AG_EINVALID, "the vTPM's ephemeral key cannot decrypt the %s block it was given: %s",
		    oaep_md != NULL ? "RSA-OAEP" : "RSAES-PKCS1-v1_5",
		    Tss2_RC_Decode(rc));
		goto out;
	}
	*out = dup_bytes(plain->buffer, plain->size);
	*out_len = plain->size;
	if (*out == NULL)
		code = ag_err_set(err, AG_EEVIDENCE, "out of memory");
out:
	/* The key stays loaded with t (ag_tpm_close flushes it). */
	if (session != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, session);
	Esys_Free(kpub);
	if (plain != NULL) {
		memset(plain->buffer, 0, plain->size);
		Esys_Free(plain);
	}
	return code;
}
