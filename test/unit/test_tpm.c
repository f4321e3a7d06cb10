/*
 * test_tpm.c - lib/node/tpm.c against swtpm (libtpms, a real TPM 2.0), one
 * per test on a unix socket in its own directory, stopped after it; no
 * resource manager.  A template state is made once (a restricted RSA-2048
 * signing AK persisted at 0x81000003 as on an Azure CVM, a 2048-byte NV
 * index holding an HCL report, an NV index defined and never written), and
 * each test starts its own swtpm on a copy.  Checked: the TCTI forms and
 * every way opening fails, NV reads (chunked, missing, uninitialised) and
 * writes, the AK's public area, PCRs after extends, quotes verified with
 * tpm_attest.c, the ephemeral key certified by the AK and its decryption
 * bound to the PCRs, and that nothing transient is left loaded.  Skipped
 * visibly without swtpm; the 2048-byte HCL report of ../shared/vectors is
 * the NV content when present.
 */
#include "standin.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sys/un.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tcti_swtpm.h>

#include "base/digest.h"
#include "format/tpm_attest.h"
#include "node/tpm.h"

#define AK 0x81000003u
#define HCL_NV 0x01400001u
#define BLANK_NV 0x01400003u
#define USER_NV 0x01400002u
#define NV_LEN 2048

static char *template_dir;     /* the provisioned state, made once */
static uint8_t nv_content[NV_LEN];

/* --- the test's own ESAPI connection (setup and inspection) ------------- */

struct conn {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
};

static void
conn_open(struct conn *c, const char *sock)
{
	char conf[4200];
	size_t size = 0;

	snprintf(conf, sizeof(conf), "path=%s", sock);
	assert_int_equal(Tss2_Tcti_Swtpm_Init(NULL, &size, conf), TSS2_RC_SUCCESS);
	c->tcti = calloc(1, size);
	assert_non_null(c->tcti);
	assert_int_equal(Tss2_Tcti_Swtpm_Init(c->tcti, &size, conf), TSS2_RC_SUCCESS);
	assert_int_equal(Esys_Initialize(&c->esys, c->tcti, NULL), TSS2_RC_SUCCESS);
}

static void
conn_close(struct conn *c)
{
	Esys_Finalize(&c->esys);
	Tss2_Tcti_Finalize(c->tcti);
	free(c->tcti);
}

/* Number of handles in the TPM now of the kind that first (its first handle) names. */
static unsigned
handles(struct conn *c, uint32_t first)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	unsigned n;

	assert_int_equal(Esys_GetCapability(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES, first,
	    TPM2_MAX_CAP_HANDLES, NULL, &cap), TSS2_RC_SUCCESS);
	n = cap->data.handles.count;
	Esys_Free(cap);
	return n;
}

/* Nothing transient is loaded and no session is open. */
static void
assert_nothing_loaded(struct si_swtpm *e)
{
	struct conn c;

	conn_open(&c, e->sock);
	/* TPM2_TRANSIENT_FIRST and the session ones, written out: the tss2 macros shift a signed 0x80 by 24. */
	assert_int_equal(handles(&c, 0x80000000u), 0);
	assert_int_equal(handles(&c, 0x02000000u), 0);
	assert_int_equal(handles(&c, 0x03000000u), 0);
	conn_close(&c);
}

static void
pcr_extend(struct conn *c, unsigned pcr, const char *data)
{
	TPML_DIGEST_VALUES v = { .count = 1 };
	ESYS_TR tr = ESYS_TR_PCR0 + pcr;

	v.digests[0].hashAlg = TPM2_ALG_SHA256;
	assert_int_equal(ag_sha256(data, strlen(data), v.digests[0].digest.sha256), 0);
	assert_int_equal(Esys_PCR_Extend(c->esys, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &v), TSS2_RC_SUCCESS);
}

static void
make_ak(struct conn *c)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC tmpl = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION none = { 0 };
	ESYS_TR key = ESYS_TR_NONE, persistent = ESYS_TR_NONE;

	tmpl.publicArea.type = TPM2_ALG_RSA;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
	    TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH;
	tmpl.publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	tmpl.publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
	tmpl.publicArea.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.parameters.rsaDetail.keyBits = 2048;
	assert_int_equal(Esys_CreatePrimary(c->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
	    &tmpl, &outside, &none, &key, NULL, NULL, NULL, NULL), TSS2_RC_SUCCESS);
	assert_int_equal(Esys_EvictControl(c->esys, ESYS_TR_RH_OWNER, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, AK,
	    &persistent), TSS2_RC_SUCCESS);
	Esys_FlushContext(c->esys, key);
	Esys_TR_Close(c->esys, &persistent);
}

/* Defines an owner read/write NV index of len bytes and writes data (NULL: leaves it unwritten). */
static void
make_nv(struct conn *c, uint32_t index, const uint8_t *data, size_t len)
{
	TPM2B_AUTH auth = { 0 };
	TPM2B_NV_PUBLIC pub = { 0 };
	ESYS_TR tr = ESYS_TR_NONE;

	pub.nvPublic.nvIndex = index;
	pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
	pub.nvPublic.attributes = TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD | TPMA_NV_AUTHWRITE |
	    TPMA_NV_NO_DA;
	pub.nvPublic.dataSize = (uint16_t)len;
	assert_int_equal(Esys_NV_DefineSpace(c->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &auth,
	    &pub, &tr), TSS2_RC_SUCCESS);
	for (size_t off = 0; data != NULL && off < len; off += 512) {
		TPM2B_MAX_NV_BUFFER buf = { .size = (uint16_t)(len - off < 512 ? len - off : 512) };

		memcpy(buf.buffer, data + off, buf.size);
		assert_int_equal(Esys_NV_Write(c->esys, ESYS_TR_RH_OWNER, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
		    &buf, (uint16_t)off), TSS2_RC_SUCCESS);
	}
	Esys_TR_Close(c->esys, &tr);
}

/* The template: AK, the HCL report index, an index never written. */
static int
group_setup(void **state)
{
	struct si_swtpm t;
	struct conn c;
	size_t len = 0;
	uint8_t *hcl;
	char *argv[] = { (char *)"swtpm", (char *)"--version", NULL };

	(void)state;
	setenv("TSS2_LOG", "all+NONE", 1);   /* tpm2-tss's own stderr logging, as ag_tpm_open turns it off */
	if (si_run(argv, NULL, NULL) != 0)
		return 0;   /* each test says it is skipped */
	hcl = si_vec("azure-cvm/hcl-reports/kinvolk-azsnp-hcl-report-2048.bin", &len);
	for (size_t i = 0; i < NV_LEN; i++)
		nv_content[i] = hcl != NULL && len == NV_LEN ? hcl[i] : (uint8_t)(i * 7 + 1);
	free(hcl);
	si_swtpm_new(&t);
	if (si_swtpm_start(&t) != 0) {
		si_swtpm_free(&t);
		return -1;
	}
	conn_open(&c, t.sock);
	make_ak(&c);
	make_nv(&c, HCL_NV, nv_content, NV_LEN);
	make_nv(&c, BLANK_NV, NULL, 64);
	conn_close(&c);
	si_stop(t.pid);
	t.pid = 0;
	template_dir = strdup(t.dir);
	free(t.dir);
	free(t.sock);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (template_dir != NULL)
		tu_rmtree(template_dir);
	free(template_dir);
	return 0;
}

/* Per test: a swtpm of its own on a copy of the template state. */
static int
setup(void **state)
{
	struct si_swtpm *e = calloc(1, sizeof(*e));
	char from[4200], to[4200];
	char *argv[] = { (char *)"cp", (char *)"-a", from, to, NULL };

	*state = e;
	if (template_dir == NULL)
		return 0;
	si_swtpm_new(e);
	snprintf(from, sizeof(from), "%s/state/.", template_dir);
	snprintf(to, sizeof(to), "%s/state", e->dir);
	assert_int_equal(si_run(argv, NULL, NULL), 0);
	return si_swtpm_start(e);
}

static int
teardown(void **state)
{
	struct si_swtpm *e = *state;

	if (e->dir != NULL)
		si_swtpm_free(e);
	free(e);
	return 0;
}

#define NEED_SWTPM(e)                                                                                  \
	do {                                                                                           \
		if ((e)->dir == NULL) {                                                                \
			print_message("# skipped: swtpm is not installed (make deps installs it)\n"); \
			skip();                                                                        \
		}                                                                                      \
	} while (0)

static struct ag_tpm *
open_tpm(struct si_swtpm *e)
{
	struct ag_tpm *t = NULL;
	struct ag_err err;

	if (ag_tpm_open(e->spec, &t, &err) != AG_OK)
		fail_msg("ag_tpm_open(%s): %s", e->spec, err.msg);
	assert_non_null(t);
	return t;
}

/* --- tests --------------------------------------------------------------- */

static void
test_tcti_check(void **state)
{
	static const char *const good[] = { "device:/dev/tpmrm0", "device:/dev/tpm0", "swtpm:path=/run/tpm.sock",
		"swtpm:host=127.0.0.1,port=2321", "swtpm:host=localhost" };
	static const char *const bad[] = { "", "device:", "device:dev/tpmrm0", "swtpm:", "swtpm:path=tpm.sock",
		"mssim:host=localhost", "tabrmd:bus_type=system", "/dev/tpmrm0", "DEVICE:/dev/tpmrm0", "swtpm:port=2321" };
	struct ag_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (ag_tpm_tcti_check(good[i], &err) != AG_OK)
			fail_msg("\"%s\" refused: %s", good[i], err.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ag_tpm_tcti_check(bad[i], &err) != AG_ECONFIG)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_non_null(strstr(err.msg, "use device:PATH, swtpm:path=SOCK or swtpm:host=H,port=P"));
	}
	assert_int_equal(ag_tpm_tcti_check(NULL, &err), AG_ECONFIG);
	/* ag_tpm_open refuses the same, before touching anything. */
	{
		struct ag_tpm *t = (struct ag_tpm *)&err;

		assert_int_equal(ag_tpm_open("mssim:host=localhost", &t, &err), AG_ECONFIG);
		assert_null(t);
	}
	ag_tpm_close(NULL);
}

static enum ag_code
try_open(const char *spec, struct ag_err *err)
{
	struct ag_tpm *t = (struct ag_tpm *)err;
	enum ag_code rc;

	ag_err_clear(err);
	rc = ag_tpm_open(spec, &t, err);
	if (rc == AG_OK)
		ag_tpm_close(t);
	else
		assert_null(t);
	return rc;
}

/* In a child as uid/gid 65534: opening a device the gate may not use names the owner and what to do. */
static void
open_as_nobody(const char *spec)
{
	int p[2], status = 0;
	char msg[AG_ERR_MSG_MAX] = "";
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ag_err err;
		enum ag_code rc;

		close(p[0]);
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(100);
		rc = try_open(spec, &err);
		if (write(p[1], err.msg, strlen(err.msg)) < 0)
			_exit(101);
		_exit(rc);
	}
	close(p[1]);
	if (read(p[0], msg, sizeof(msg) - 1) < 0)
		msg[0] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), AG_EEVIDENCE);
	assert_non_null(strstr(msg, "permission denied on TPM device"));
	assert_non_null(strstr(msg, "owner 0, group 0, mode 600"));
	assert_non_null(strstr(msg, "supplementalGroups"));
}

static void
test_open_failures(void **state)
{
	char *dir = tu_mkdtemp(), spec[4200], *file = tu_path(dir, "tpmrm0");
	struct ag_err err;

	(void)state;
	assert_int_equal(try_open("device:/nonexistent/dev/tpmrm0", &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "TPM device /nonexistent/dev/tpmrm0 does not exist"));
	assert_non_null(strstr(err.msg, "mount /dev/tpmrm0"));
	/* A swtpm socket where nothing listens. */
	snprintf(spec, sizeof(spec), "swtpm:path=%s/none.sock", dir);
	assert_int_equal(try_open(spec, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "none.sock"));
	snprintf(spec, sizeof(spec), "swtpm:host=127.0.0.1,port=%d", si_closed_port());
	assert_int_equal(try_open(spec, &err), AG_EEVIDENCE);
	/* Something that is no TPM: /dev/null takes the command and answers nothing. */
	assert_int_equal(try_open("device:/dev/null", &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "/dev/null"));
	/* A device the gate may not open: as another user (or, not being root, by its mode). */
	tu_write(dir, "tpmrm0", "");
	assert_int_equal(chmod(file, 0600), 0);
	snprintf(spec, sizeof(spec), "device:%s", file);
	if (geteuid() == 0) {
		assert_int_equal(chmod(dir, 0755), 0);
		open_as_nobody(spec);
	} else {
		assert_int_equal(chmod(file, 0), 0);
		assert_int_equal(try_open(spec, &err), AG_EEVIDENCE);
		assert_non_null(strstr(err.msg, "permission denied on TPM device"));
	}
	free(file);
	tu_rmtree(dir);
	free(dir);
}

static void
test_nv_read(void **state)
{
	struct si_swtpm *e = *state;
	struct ag_tpm *t;
	struct ag_err err;
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 1;

	NEED_SWTPM(e);
	t = open_tpm(e);
	/* 2048 bytes: more than one NV buffer's worth, read in chunks and put together. */
	assert_int_equal(ag_tpm_nv_read(t, HCL_NV, &buf, &len, &err), AG_OK);
	assert_int_equal(len, NV_LEN);
	assert_memory_equal(buf, nv_content, NV_LEN);
	assert_int_equal(buf[NV_LEN], 0);
	free(buf);
	/* Missing: absent, with the cause callers branch on. */
	ag_err_clear(&err);
	assert_int_equal(ag_tpm_nv_read(t, 0x01400009, &buf, &len, &err), AG_EEVIDENCE);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_int_equal(err.cause, AG_CAUSE_ABSENT);
	assert_non_null(strstr(err.msg, "NV index 0x01400009"));
	assert_non_null(strstr(err.msg, "does not exist"));
	assert_false(err.transient);
	/* Defined but never written: worth another try (the HCL may still be writing it). */
	ag_err_clear(&err);
	assert_int_equal(ag_tpm_nv_read(t, BLANK_NV, &buf, &len, &err), AG_EEVIDENCE);
	assert_null(buf);
	assert_true(err.transient);
	assert_int_equal(err.cause, AG_CAUSE_NONE);
	assert_non_null(strstr(err.msg, "will retry"));
	/* A persistent object's handle is not an NV index. */
	ag_err_clear(&err);
	assert_int_equal(ag_tpm_nv_read(t, AK, &buf, &len, &err), AG_EEVIDENCE);
	assert_null(buf);
	ag_tpm_close(t);
	assert_nothing_loaded(e);
}

static void
test_nv_write(void **state)
{
	struct si_swtpm *e = *state;
	uint8_t data[64], big[4096], *buf = NULL;
	size_t len = 0;
	struct ag_tpm *t;
	struct ag_err err;

	NEED_SWTPM(e);
	t = open_tpm(e);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0xa0 + i);
	/* Missing: defined with the data's size, then written. */
	assert_int_equal(ag_tpm_nv_write(t, USER_NV, data, sizeof(data), &err), AG_OK);
	assert_int_equal(ag_tpm_nv_read(t, USER_NV, &buf, &len, &err), AG_OK);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));
	free(buf);
	/* Present: overwritten. */
	data[0] ^= 0xff;
	assert_int_equal(ag_tpm_nv_write(t, USER_NV, data, sizeof(data), &err), AG_OK);
	assert_int_equal(ag_tpm_nv_read(t, USER_NV, &buf, &len, &err), AG_OK);
	assert_memory_equal(buf, data, sizeof(data));
	free(buf);
	/* More than the index holds: the TPM refuses, nothing changes. */
	memset(big, 0x11, sizeof(big));
	assert_int_equal(ag_tpm_nv_write(t, USER_NV, big, sizeof(data) + 1, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "cannot write NV index 0x01400002"));
	assert_int_equal(ag_tpm_nv_read(t, USER_NV, &buf, &len, &err), AG_OK);
	assert_memory_equal(buf, data, sizeof(data));
	free(buf);
	/* More than one NV buffer: refused before the TPM is asked. */
	assert_int_equal(ag_tpm_nv_write(t, 0x01400004, big, sizeof(big), &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "cannot write 4096 bytes"));
	ag_err_clear(&err);
	assert_int_equal(ag_tpm_nv_read(t, 0x01400004, &buf, &len, &err), AG_EEVIDENCE);
	assert_int_equal(err.cause, AG_CAUSE_ABSENT);
	ag_tpm_close(t);
	assert_nothing_loaded(e);
}

static void
test_read_public(void **state)
{
	struct si_swtpm *e = *state;
	uint8_t *pub = NULL;
	size_t len = 0;
	EVP_PKEY *k = NULL;
	struct ag_tpm *t;
	struct ag_err err;

	NEED_SWTPM(e);
	t = open_tpm(e);
	assert_int_equal(ag_tpm_read_public(t, AK, &pub, &len, &err), AG_OK);
	/* A marshalled TPM2B_PUBLIC of a restricted RSA-2048 signing key. */
	assert_int_equal(((size_t)pub[0] << 8 | pub[1]) + 2, len);
	assert_int_equal(ag_tpm_public_to_pkey(pub, len, 1, &k, &err), AG_OK);
	assert_int_equal(EVP_PKEY_get_bits(k), 2048);
	EVP_PKEY_free(k);
	free(pub);
	pub = NULL;
	ag_err_clear(&err);
	assert_int_equal(ag_tpm_read_public(t, 0x81000004, &pub, &len, &err), AG_EEVIDENCE);
	assert_null(pub);
	assert_int_equal(err.cause, AG_CAUSE_ABSENT);
	assert_non_null(strstr(err.msg, "the attestation key (handle 0x81000004)"));
	/* An NV index is no key. */
	ag_err_clear(&err);
	assert_int_equal(ag_tpm_read_public(t, HCL_NV, &pub, &len, &err), AG_EEVIDENCE);
	assert_null(pub);
	ag_tpm_close(t);
	assert_nothing_loaded(e);
}

/* PCRs after extends made through another connection: SHA-256(old || digest). */
static void
test_pcr_read(void **state)
{
	struct si_swtpm *e = *state;
	uint8_t pcrs[AG_TPM_PCRS_LEN], want[AG_TPM_PCRS_LEN], cat[64];
	struct ag_tpm *t;
	struct ag_err err;
	struct conn c;

	NEED_SWTPM(e);
	/* After a reset PCR 17-22 (the DRTM ones) are all ones, the others zero. */
	memset(want, 0, sizeof(want));
	memset(want + 17 * 32, 0xff, 6 * 32);
	conn_open(&c, e->sock);
	pcr_extend(&c, 7, "secure boot");
	pcr_extend(&c, 23, "application");
	pcr_extend(&c, 23, "again");
	conn_close(&c);
	assert_int_equal(ag_sha256("secure boot", 11, cat + 32), 0);
	memset(cat, 0, 32);
	assert_int_equal(ag_sha256(cat, 64, want + 7 * 32), 0);
	assert_int_equal(ag_sha256("application", 11, cat + 32), 0);
	assert_int_equal(ag_sha256(cat, 64, cat), 0);
	assert_int_equal(ag_sha256("again", 5, cat + 32), 0);
	assert_int_equal(ag_sha256(cat, 64, want + 23 * 32), 0);
	t = open_tpm(e);
	memset(pcrs, 0xff, sizeof(pcrs));
	assert_int_equal(ag_tpm_pcr_read(t, pcrs, &err), AG_OK);
	assert_memory_equal(pcrs, want, sizeof(want));
	ag_tpm_close(t);
	assert_nothing_loaded(e);
}

static EVP_PKEY *
ak_key(struct ag_tpm *t)
{
	uint8_t *pub = NULL;
	size_t len = 0;
	EVP_PKEY *k = NULL;
	struct ag_err err;

	assert_int_equal(ag_tpm_read_public(t, AK, &pub, &len, &err), AG_OK);
	assert_int_equal(ag_tpm_public_to_pkey(pub, len, 1, &k, &err), AG_OK);
	free(pub);
	return k;
}

static void
test_quote(void **state)
{
	struct si_swtpm *e = *state;
	static const uint8_t nonce[] = "0badc0de00112233";
	uint8_t pcrs[AG_TPM_PCRS_LEN], *msg = NULL, *sig = NULL, big[100];
	size_t ml = 0, sl = 0;
	struct ag_quote_info qi;
	struct ag_tpm *t;
	struct ag_err err;
	EVP_PKEY *k;

	NEED_SWTPM(e);
	t = open_tpm(e);
	k = ak_key(t);
	assert_int_equal(ag_tpm_pcr_read(t, pcrs, &err), AG_OK);
	assert_int_equal(ag_tpm_quote(t, AK, 0x00FFFFFF, nonce, 16, &msg, &ml, &sig, &sl, &err), AG_OK);
	/* The quote verifies against the AK, the nonce and the PCRs read. */
	assert_int_equal(ag_quote_verify(msg, ml, sig, sl, k, nonce, 16, pcrs, sizeof(pcrs), &qi, &err), AG_OK);
	assert_int_equal(qi.pcr_mask, 0x00FFFFFF);
	assert_int_equal(ag_quote_verify(msg, ml, sig, sl, k, (const uint8_t *)"0badc0de00112234", 16, pcrs, sizeof(pcrs),
	    &qi, &err), AG_EINVALID);
	free(msg);
	free(sig);
	/* Some PCRs, no nonce. */
	assert_int_equal(ag_tpm_quote(t, AK, (1u << 0) | (1u << 7), NULL, 0, &msg, &ml, &sig, &sl, &err), AG_OK);
	assert_int_equal(ag_quote_verify(msg, ml, sig, sl, k, NULL, 0, pcrs, sizeof(pcrs), &qi, &err), AG_OK);
	assert_int_equal(qi.pcr_mask, (1u << 0) | (1u << 7));
	free(msg);
	free(sig);
	/* A nonce larger than TPM2B_DATA, and a missing AK. */
	memset(big, 1, sizeof(big));
	assert_int_equal(ag_tpm_quote(t, AK, 1, big, sizeof(big), &msg, &ml, &sig, &sl, &err), AG_ECONFIG);
	assert_null(msg);
	assert_null(sig);
	ag_err_clear(&err);
	assert_int_equal(ag_tpm_quote(t, 0x81000005, 1, nonce, 16, &msg, &ml, &sig, &sl, &err), AG_EEVIDENCE);
	assert_int_equal(err.cause, AG_CAUSE_ABSENT);
	assert_null(msg);
	EVP_PKEY_free(k);
	ag_tpm_close(t);
	assert_nothing_loaded(e);
}

/* The certification: a TPMS_ATTEST of type certify, signed by the AK, naming the key in pub. */
static void
check_certify(EVP_PKEY *ak, const uint8_t *pub, size_t pub_len, const uint8_t *att, size_t att_len, const uint8_t *sig,
    size_t sig_len)
{
	const uint8_t *raw = NULL;
	size_t raw_len = 0, off = 0;
	TPMS_ATTEST a;
	TPM2B_PUBLIC p;
	uint8_t name[2 + 32], area[sizeof(TPMT_PUBLIC)];
	size_t area_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct ag_err err;

	memset(&a, 0, sizeof(a));
	memset(&p, 0, sizeof(p));
	assert_int_equal(ag_tpm_signature_raw(sig, sig_len, &raw, &raw_len, &err), AG_OK);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, ak), 1);
	assert_int_equal(EVP_DigestVerify(ctx, raw, raw_len, att, att_len), 1);
	EVP_MD_CTX_free(ctx);
	assert_int_equal(Tss2_MU_TPMS_ATTEST_Unmarshal(att, att_len, &off, &a), TSS2_RC_SUCCESS);
	assert_int_equal(a.magic, TPM2_GENERATED_VALUE);
	assert_int_equal(a.type, TPM2_ST_ATTEST_CERTIFY);
	off = 0;
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub, pub_len, &off, &p), TSS2_RC_SUCCESS);
	assert_int_equal(off, pub_len);
	assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&p.publicArea, area, sizeof(area), &area_len), TSS2_RC_SUCCESS);
	name[0] = 0x00;
	name[1] = 0x0b;   /* TPM2_ALG_SHA256 */
	assert_int_equal(ag_sha256(area, area_len, name + 2), 0);
	assert_int_equal(a.attested.certify.name.size, sizeof(name));
	assert_memory_equal(a.attested.certify.name.name, name, sizeof(name));
	/* A decryption key, bound to a policy, not usable with a password. */
	assert_true(p.publicArea.objectAttributes & TPMA_OBJECT_DECRYPT);
	assert_false(p.publicArea.objectAttributes & TPMA_OBJECT_USERWITHAUTH);
	assert_int_equal(p.publicArea.authPolicy.size, 32);
}

static void
test_ephemeral_key(void **state)
{
	struct si_swtpm *e = *state;
	uint8_t *pub = NULL, *cert = NULL, *sig = NULL, *pub2 = NULL, *cert2 = NULL, *sig2 = NULL;
	size_t pl = 0, cl = 0, sl = 0, pl2 = 0, cl2 = 0, sl2 = 0;
	struct ag_tpm *t;
	struct ag_err err;
	EVP_PKEY *k;

	NEED_SWTPM(e);
	t = open_tpm(e);
	k = ak_key(t);
	assert_int_equal(ag_tpm_ephemeral_key(t, AK, 0x00FFFFFF, &pub, &pl, &cert, &cl, &sig, &sl, &err), AG_OK);
	check_certify(k, pub, pl, cert, cl, sig, sl);
	/* A primary in the NULL hierarchy: the same key until the TPM resets. */
	assert_int_equal(ag_tpm_ephemeral_key(t, AK, 0x00FFFFFF, &pub2, &pl2, &cert2, &cl2, &sig2, &sl2, &err), AG_OK);
	assert_int_equal(pl2, pl);
	assert_memory_equal(pub2, pub, pl);
	free(pub2);
	free(cert2);
	free(sig2);
	/* Another PCR selection is another policy, so another key. */
	assert_int_equal(ag_tpm_ephemeral_key(t, AK, 0x1, &pub2, &pl2, &cert2, &cl2, &sig2, &sl2, &err), AG_OK);
	assert_false(pl2 == pl && memcmp(pub2, pub, pl) == 0);
	free(pub2);
	free(cert2);
	free(sig2);
	/* Without the AK: an error, and the key made for it is flushed. */
	ag_err_clear(&err);
	assert_int_equal(ag_tpm_ephemeral_key(t, 0x81000006, 0x1, &pub2, &pl2, &cert2, &cl2, &sig2, &sl2, &err),
	    AG_EEVIDENCE);
	assert_int_equal(err.cause, AG_CAUSE_ABSENT);
	assert_null(pub2);
	assert_null(cert2);
	assert_null(sig2);
	free(pub);
	free(cert);
	free(sig);
	EVP_PKEY_free(k);
	ag_tpm_close(t);
	assert_nothing_loaded(e);
}

/* RSAES-PKCS1-v1_5 encryption of in to the key of a marshalled TPM2B_PUBLIC, as MAA wraps the inner key. */
static size_t
encrypt_to(const uint8_t *pub, size_t pub_len, const uint8_t *in, size_t in_len, uint8_t out[256])
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx;
	size_t n = 256;
	struct ag_err err;

	assert_int_equal(ag_tpm_public_to_pkey(pub, pub_len, 0, &k, &err), AG_OK);
	ctx = EVP_PKEY_CTX_new(k, NULL);
	assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
	assert_int_equal(EVP_PKEY_encrypt(ctx, out, &n, in, in_len), 1);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	return n;
}

static void
test_ephemeral_decrypt(void **state)
{
	struct si_swtpm *e = *state;
	uint8_t secret[32], wrapped[256], *pub = NULL, *cert = NULL, *sig = NULL, *out = NULL;
	size_t pl = 0, cl = 0, sl = 0, wl, ol = 0;
	struct ag_tpm *t;
	struct ag_err err;
	struct conn c;

	NEED_SWTPM(e);
	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 9 + 3);
	t = open_tpm(e);
	assert_int_equal(ag_tpm_ephemeral_key(t, AK, 0x00FFFFFF, &pub, &pl, &cert, &cl, &sig, &sl, &err), AG_OK);
	wl = encrypt_to(pub, pl, secret, sizeof(secret), wrapped);
	assert_int_equal(ag_tpm_ephemeral_decrypt(t, 0x00FFFFFF, NULL, wrapped, wl, &out, &ol, &err), AG_OK);
	assert_int_equal(ol, sizeof(secret));
	assert_memory_equal(out, secret, sizeof(secret));
	free(out);
	out = NULL;
	/* Altered: the TPM refuses it. */
	wrapped[100] ^= 1;
	assert_int_equal(ag_tpm_ephemeral_decrypt(t, 0x00FFFFFF, NULL, wrapped, wl, &out, &ol, &err), AG_EINVALID);
	assert_null(out);
	wrapped[100] ^= 1;
	/* Not an RSA-2048 block. */
	assert_int_equal(ag_tpm_ephemeral_decrypt(t, 0x00FFFFFF, NULL, wrapped, 0, &out, &ol, &err), AG_EINVALID);
	assert_int_equal(ag_tpm_ephemeral_decrypt(t, 0x00FFFFFF, NULL, wrapped, 600, &out, &ol, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "600 bytes"));
	ag_tpm_close(t);
	/* A PCR of the selection changes: the key it was wrapped to is gone. */
	conn_open(&c, e->sock);
	pcr_extend(&c, 9, "a kernel nobody measured before");
	conn_close(&c);
	t = open_tpm(e);
	assert_int_equal(ag_tpm_ephemeral_decrypt(t, 0x00FFFFFF, NULL, wrapped, wl, &out, &ol, &err), AG_EINVALID);
	assert_null(out);
	assert_non_null(strstr(err.msg, "cannot decrypt"));
	free(pub);
	free(cert);
	free(sig);
	/* A PCR outside the selection does not matter. */
	assert_int_equal(ag_tpm_ephemeral_key(t, AK, 0x7F, &pub, &pl, &cert, &cl, &sig, &sl, &err), AG_OK);
	wl = encrypt_to(pub, pl, secret, sizeof(secret), wrapped);
	ag_tpm_close(t);
	conn_open(&c, e->sock);
	pcr_extend(&c, 23, "an application measurement");
	conn_close(&c);
	t = open_tpm(e);
	assert_int_equal(ag_tpm_ephemeral_decrypt(t, 0x7F, NULL, wrapped, wl, &out, &ol, &err), AG_OK);
	assert_memory_equal(out, secret, sizeof(secret));
	free(out);
	ag_tpm_close(t);
	free(pub);
	free(cert);
	free(sig);
	assert_nothing_loaded(e);
}

/* The TPM goes away in the middle: an error, never a hang. */
static void
test_tpm_gone(void **state)
{
	struct si_swtpm *e = *state;
	uint8_t pcrs[AG_TPM_PCRS_LEN], *buf = NULL;
	size_t len = 0;
	struct ag_tpm *t;
	struct ag_err err;

	NEED_SWTPM(e);
	t = open_tpm(e);
	si_stop(e->pid);
	e->pid = 0;
	assert_int_equal(ag_tpm_pcr_read(t, pcrs, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "cannot read the PCRs of swtpm path="));
	assert_int_equal(ag_tpm_nv_read(t, HCL_NV, &buf, &len, &err), AG_EEVIDENCE);
	assert_null(buf);
	ag_tpm_close(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcti_check),
		cmocka_unit_test(test_open_failures),
		cmocka_unit_test_setup_teardown(test_nv_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nv_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_public, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcr_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ephemeral_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ephemeral_decrypt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tpm_gone, setup, teardown),
	};

	return cmocka_run_group_tests_name("tpm", tests, group_setup, group_teardown);
}
