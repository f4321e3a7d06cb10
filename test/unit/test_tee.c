/*
 * test_tee.c - lib/platform/tee.c through its table rows ag_platform_sev_snp,
 * ag_platform_tdx and ag_platform_azure_kata_cc, without TEE hardware.
 * configfs-tsm is emulated in a temporary directory as test_tsm_report.c
 * does it (this binary's mkdir(), rmdir() and close() make an entry's
 * attributes, bump generation on a write and answer an inblob with a
 * report; everything else is the real system call): the report is a real
 * one of ../shared/vectors (the kata-cc sidecar SNP report, a TD quote)
 * with REPORT_DATA replaced by the inblob, as hardware would sign it, and
 * the auxblob a real SNP cert table.  Checked: detect() for each provider,
 * the sev-guest device and the UVM directory; collect(): the runtime data
 * {"nonce": hex} whose SHA-256 is the inblob, the files and facts of each
 * platform, the privlevel, the kata-cc UVM security context (reference
 * info, the THIM VCEK chain); and the failures: the other provider, a
 * report that does not carry the REPORT_DATA asked for, an outblob that is
 * no report, no interface at all, a UVM file that is not base64 or whose
 * THIM certificates are for another TCB.  Tests that need a vector skip
 * visibly without ../shared.
 */
#include "standin.h"

#include <sys/syscall.h>

#include "base/base64.h"
#include "base/digest.h"
#include "format/snp.h"
#include "format/tdx.h"
#include "node/tsm_report.h"
#include "fake_tsm.h"
#include "platform/platform.h"

/* --- the emulated configfs-tsm ------------------------------------------ */

static struct {
	char root[4096];           /* entries directly under it are emulated; "" turns the emulation off */
	const char *provider;      /* content of provider */
	const uint8_t *report;     /* what outblob answers an inblob with (the inblob at rd_off unless !patch) */
	size_t report_len, rd_off;
	int patch, privlevel_attr;
	const uint8_t *aux;        /* auxblob content, or NULL for no attribute */
	size_t aux_len;
	/* What the library did. */
	uint8_t inblob[64];
	size_t inblob_len;
	char privlevel[16];
	int mkdirs, rmdirs;
} fake;

static void
fake_reset(const char *root, const char *provider)
{
	memset(&fake, 0, sizeof(fake));
	if (root != NULL)
		snprintf(fake.root, sizeof(fake.root), "%s", root);
	fake.provider = provider;
	fake.patch = 1;
	fake.privlevel_attr = strcmp(provider, "sev_guest\n") == 0;
}

int
mkdir(const char *path, mode_t mode)
{
	int r = (int)syscall(SYS_mkdirat, AT_FDCWD, path, mode);

	if (r == 0 && fake_tsm_is_entry(fake.root, path)) {
		fake.mkdirs++;
		fake_tsm_put(path, "inblob", "", 0);
		fake_tsm_put(path, "outblob", "", 0);
		fake_tsm_put(path, "provider", fake.provider, strlen(fake.provider));
		fake_tsm_put(path, "generation", "0\n", 2);
		if (fake.privlevel_attr)
			fake_tsm_put(path, "privlevel", "", 0);
		if (fake.aux != NULL)
			fake_tsm_put(path, "auxblob", fake.aux, fake.aux_len);
	}
	return r;
}

int
rmdir(const char *path)
{
	if (fake_tsm_is_entry(fake.root, path)) {
		fake.rmdirs++;
		fake_tsm_empty(path);
	}
	return (int)syscall(SYS_unlinkat, AT_FDCWD, path, AT_REMOVEDIR);
}

/* After a write to dir/name has been closed: bump generation; an inblob gets its report. */
static void
written(const char *dir, const char *name)
{
	fake_tsm_bump(dir, 0);
	if (strcmp(name, "privlevel") == 0) {
		memset(fake.privlevel, 0, sizeof(fake.privlevel));
		fake_tsm_get(dir, name, fake.privlevel, sizeof(fake.privlevel) - 1);
	} else {
		uint8_t *report = malloc(fake.report_len + 1);

		assert_non_null(report);
		fake.inblob_len = fake_tsm_get(dir, name, fake.inblob, sizeof(fake.inblob));
		memcpy(report, fake.report, fake.report_len);
		if (fake.patch)
			memcpy(report + fake.rd_off, fake.inblob, 64);
		fake_tsm_put(dir, "outblob", report, fake.report_len);
		free(report);
	}
}

int
close(int fd)
{
	char dir[4096];
	const char *name;
	int rc;

	if (fake_tsm_close(fake.root, fd, dir, &name, &rc))
		written(dir, name);
	return rc;
}

/* --- the guest ------------------------------------------------------------ */

struct env {
	char *dir, *tsm, *uvm, *sev_guest, *missing;
	uint8_t *report, *aux;      /* vectors, loaded by the tests that need them */
	size_t report_len, aux_len;
	struct ag_nonce nonce;
	struct ag_collect_opts o;
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct ag_err err;

	assert_non_null(e);
	unsetenv("UVM_SECURITY_CONTEXT_DIR");
	e->dir = tu_mkdtemp();
	e->tsm = tu_path(e->dir, "tsm");
	e->uvm = tu_path(e->dir, "uvm");
	e->sev_guest = tu_path(e->dir, "sev-guest");
	e->missing = tu_path(e->dir, "missing");
	assert_int_equal(mkdir(e->tsm, 0755), 0);
	assert_int_equal(mkdir(e->uvm, 0700), 0);
	tu_write(e->dir, "sev-guest", "");
	fake_reset(e->tsm, "sev_guest\n");
	assert_int_equal(ag_nonce_draw(&e->nonce, &err), AG_OK);
	e->o.nonce = &e->nonce;
	e->o.tcti = "device:/nonexistent/tpmrm0";
	e->o.tsm_root = e->tsm;
	e->o.sev_guest = e->missing;
	e->o.vmpl = -1;
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	fake.root[0] = '\0';
	unsetenv("UVM_SECURITY_CONTEXT_DIR");
	tu_rmtree(e->tsm);
	tu_rmtree(e->uvm);
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->tsm);
	free(e->uvm);
	free(e->sev_guest);
	free(e->missing);
	free(e->report);
	free(e->aux);
	free(e);
	return 0;
}

/* The kata-cc sidecar's SNP report and a Milan cert table as what configfs-tsm answers; skips without them. */
static void
use_snp(struct env *e)
{
	free(e->report);
	free(e->aux);
	e->report = si_vec("kata-cc/sidecar-snp-report.bin", &e->report_len);
	e->aux = si_vec("snp/cert-table/cert_table_milan_constructed.bin", &e->aux_len);
	if (e->report == NULL || e->aux == NULL)
		skip();
	assert_int_equal(e->report_len, AG_SNP_REPORT_LEN);
	fake.report = e->report;
	fake.report_len = e->report_len;
	fake.rd_off = 0x50;
	fake.aux = e->aux;
	fake.aux_len = e->aux_len;
}

/* A real TD quote as what configfs-tsm answers (REPORT_DATA where the parser finds it); skips without it. */
static void
use_tdx(struct env *e)
{
	struct ag_tdx_quote q;
	struct ag_err err;

	fake_reset(e->tsm, "tdx_guest\n");
	free(e->report);
	e->report = si_vec("tdx/quotes/trustee-v4-b.dat", &e->report_len);
	if (e->report == NULL)
		skip();
	assert_int_equal(ag_tdx_parse(e->report, e->report_len, &q, &err), AG_OK);
	fake.report = e->report;
	fake.report_len = e->report_len;
	fake.rd_off = (size_t)(q.report_data - e->report);
	assert_true(fake.rd_off > 0 && fake.rd_off + 64 <= e->report_len);
}

static enum ag_code
run(const struct ag_platform *p, const struct ag_collect_opts *o, struct ag_evidence *ev, struct ag_err *err)
{
	ag_evidence_init(ev);
	ag_err_clear(err);
	return p->collect(o, ev, err);
}

/* The runtime data for the nonce, and the inblob it makes: SHA-256 of it, zero padded. */
static void
expected_runtime(const struct ag_nonce *n, char *runtime, size_t size, uint8_t inblob[64])
{
	char hex[AG_NONCE_HEX_MAX];

	ag_nonce_hex(n, hex);
	snprintf(runtime, size, "{\"nonce\":\"%s\"}", hex);
	memset(inblob, 0, 64);
	assert_int_equal(ag_sha256(runtime, strlen(runtime), inblob), 0);
}

/* The collected runtime data and report match the nonce; the report is the vector with the inblob at rd_off. */
static void
check_bound(struct env *e, const struct ag_evidence *ev, const char *report_name)
{
	const struct ag_evidence_blob *rt = ag_evidence_get(ev, "runtime-data.json"), *rep = ag_evidence_get(ev, report_name);
	char runtime[256];
	uint8_t inblob[64];

	expected_runtime(&e->nonce, runtime, sizeof(runtime), inblob);
	assert_non_null(rt);
	assert_non_null(rep);
	assert_int_equal(rt->len, strlen(runtime));
	assert_memory_equal(rt->data, runtime, rt->len);
	assert_int_equal(fake.inblob_len, 64);
	assert_memory_equal(fake.inblob, inblob, 64);
	assert_int_equal(rep->len, e->report_len);
	assert_memory_equal(rep->data + fake.rd_off, inblob, 64);
	assert_memory_equal(rep->data, e->report, fake.rd_off);
	assert_memory_equal(rep->data + fake.rd_off + 64, e->report + fake.rd_off + 64, e->report_len - fake.rd_off - 64);
	assert_int_equal(ev->nonce.len, e->nonce.len);
	assert_memory_equal(ev->nonce.v, e->nonce.v, e->nonce.len);
	/* Every configfs entry made was removed. */
	assert_true(fake.mkdirs >= 1);
	assert_int_equal(fake.mkdirs, fake.rmdirs);
	assert_int_equal(tu_count_matching(e->tsm, "attestgate-"), 0);
}

/* --- tests --------------------------------------------------------------- */

static void
test_detect_tsm(void **state)
{
	struct env *e = *state;

	/* configfs-tsm of an SEV-SNP guest. */
	assert_true(ag_platform_sev_snp.detect(&e->o));
	assert_false(ag_platform_tdx.detect(&e->o));
	assert_false(ag_platform_azure_kata_cc.detect(&e->o));
	/* Of a TDX guest. */
	fake_reset(e->tsm, "tdx_guest\n");
	assert_true(ag_platform_tdx.detect(&e->o));
	assert_false(ag_platform_sev_snp.detect(&e->o));
	assert_false(ag_platform_azure_kata_cc.detect(&e->o));
	/* The provider was read from throw-away entries, each removed. */
	assert_true(fake.mkdirs >= 2);
	assert_int_equal(fake.mkdirs, fake.rmdirs);
	assert_int_equal(tu_count_matching(e->tsm, "attestgate-"), 0);
	/* A provider that is only a prefix of tdx_guest is not TDX, nor SEV-SNP: neither row claims it. */
	fake_reset(e->tsm, "tdx\n");
	assert_false(ag_platform_tdx.detect(&e->o));
	assert_false(ag_platform_sev_snp.detect(&e->o));
}

static void
test_detect_devices(void **state)
{
	struct env *e = *state;
	struct ag_collect_opts o = e->o;

	/* No configfs-tsm: the sev-guest device is SEV-SNP; TDX has no other interface. */
	o.tsm_root = e->missing;
	o.sev_guest = e->sev_guest;
	assert_true(ag_platform_sev_snp.detect(&o));
	assert_false(ag_platform_tdx.detect(&o));
	o.sev_guest = e->missing;
	assert_false(ag_platform_sev_snp.detect(&o));
	assert_false(ag_platform_tdx.detect(&o));
	/* configfs-tsm named by a file is not there. */
	o.tsm_root = e->sev_guest;
	assert_false(ag_platform_sev_snp.detect(&o));
	assert_false(ag_platform_tdx.detect(&o));
}

static void
test_detect_kata(void **state)
{
	struct env *e = *state;
	struct ag_collect_opts o = e->o;

	assert_false(ag_platform_azure_kata_cc.detect(&o));
	o.uvm_dir = e->uvm;
	assert_true(ag_platform_azure_kata_cc.detect(&o));
	o.uvm_dir = "";
	assert_false(ag_platform_azure_kata_cc.detect(&o));
	/* The flag wins over the environment, even when empty. */
	setenv("UVM_SECURITY_CONTEXT_DIR", e->uvm, 1);
	assert_false(ag_platform_azure_kata_cc.detect(&o));
	o.uvm_dir = NULL;
	assert_true(ag_platform_azure_kata_cc.detect(&o));
	setenv("UVM_SECURITY_CONTEXT_DIR", "", 1);
	assert_false(ag_platform_azure_kata_cc.detect(&o));
	/* The kata row does not look at the SNP interfaces; those are the collection's business. */
	unsetenv("UVM_SECURITY_CONTEXT_DIR");
	o.uvm_dir = e->uvm;
	o.tsm_root = e->missing;
	assert_true(ag_platform_azure_kata_cc.detect(&o));
}

static void
test_snp_collect(void **state)
{
	struct env *e = *state;
	struct ag_collect_opts o = e->o;
	struct ag_evidence ev;
	struct ag_err err;
	const struct ag_evidence_blob *certs;
	json_t *m;

	use_snp(e);
	o.vmpl = 2;
	if (run(&ag_platform_sev_snp, &o, &ev, &err) != AG_OK)
		fail_msg("sev-snp: %s", err.msg);
	assert_string_equal(ev.platform, "sev-snp");
	assert_string_equal(ev.report_type, "snp");
	assert_int_equal(ev.n_files, 3);
	check_bound(e, &ev, "snp-report.bin");
	certs = ag_evidence_get(&ev, "certs.bin");
	assert_non_null(certs);
	assert_int_equal(certs->len, e->aux_len);
	assert_memory_equal(certs->data, e->aux, e->aux_len);
	/* The VMPL asked for went to privlevel. */
	assert_string_equal(fake.privlevel, "2\n");
	/* No UVM facts for a plain SNP guest. */
	m = ag_evidence_manifest(&ev);
	assert_null(json_object_get(m, "uvmSecurityContext"));
	assert_string_equal(json_string_value(json_object_get(m, "platform")), "sev-snp");
	json_decref(m);
	ag_evidence_clear(&ev);
	/* A negative vmpl writes no privlevel; without an auxblob there is no certs.bin. */
	fake_reset(e->tsm, "sev_guest\n");
	use_snp(e);
	fake.aux = NULL;
	o.vmpl = -1;
	assert_int_equal(run(&ag_platform_sev_snp, &o, &ev, &err), AG_OK);
	assert_string_equal(fake.privlevel, "");
	assert_int_equal(ev.n_files, 2);
	assert_null(ag_evidence_get(&ev, "certs.bin"));
	check_bound(e, &ev, "snp-report.bin");
	ag_evidence_clear(&ev);
}

static void
test_tdx_collect(void **state)
{
	struct env *e = *state;
	struct ag_collect_opts o = e->o;
	struct ag_evidence ev;
	struct ag_err err;
	static const uint8_t aux[] = "an auxblob TDX has no use for";

	use_tdx(e);
	/* privlevel is never written for TDX, even where the attribute exists and a vmpl is set. */
	fake.privlevel_attr = 1;
	fake.aux = aux;
	fake.aux_len = sizeof(aux);
	o.vmpl = 1;
	if (run(&ag_platform_tdx, &o, &ev, &err) != AG_OK)
		fail_msg("tdx: %s", err.msg);
	assert_string_equal(ev.platform, "tdx");
	assert_string_equal(ev.report_type, "tdx");
	assert_int_equal(ev.n_files, 2);
	check_bound(e, &ev, "td-quote.bin");
	assert_string_equal(fake.privlevel, "");
	assert_null(ag_evidence_get(&ev, "certs.bin"));
	ag_evidence_clear(&ev);
}

/*
 * Copies the example security context of ../shared into the UVM directory
 * (host-amd-cert-base64 with a trailing newline), its THIM JSON into *thim;
 * skips without it.
 */
static void
use_security_context(struct env *e, uint8_t **thim, size_t *thim_len)
{
	uint8_t *ref, *cert;
	size_t ref_len, cert_len;
	char *text;

	ref = si_vec("kata-cc/security-context-example/reference-info-base64", &ref_len);
	cert = si_vec("kata-cc/security-context-example/host-amd-cert-base64", &cert_len);
	if (ref == NULL || cert == NULL) {
		free(ref);
		free(cert);
		skip();
	}
	tu_write(e->uvm, AG_UVM_REFERENCE_INFO, (const char *)ref);
	text = malloc(cert_len + 2);
	assert_non_null(text);
	snprintf(text, cert_len + 2, "%s\n", (const char *)cert);
	tu_write(e->uvm, AG_UVM_HOST_AMD_CERT, text);
	assert_int_equal(ag_b64_decode((const char *)cert, cert_len, thim, thim_len), 0);
	free(text);
	free(ref);
	free(cert);
}

/* vcekCert, a newline when it lacks one, certificateChain: the chain as THIM gives it. */
static char *
thim_chain(const uint8_t *thim, size_t len)
{
	json_t *j = json_loadb((const char *)thim, len, 0, NULL);
	const char *vcek = json_string_value(json_object_get(j, "vcekCert")),
		   *chain = json_string_value(json_object_get(j, "certificateChain"));
	size_t n;
	char *pem;

	assert_non_null(vcek);
	assert_non_null(chain);
	n = strlen(vcek) + strlen(chain) + 2;
	pem = malloc(n);
	assert_non_null(pem);
	snprintf(pem, n, "%s%s%s", vcek, vcek[strlen(vcek) - 1] == '\n' ? "" : "\n", chain);
	json_decref(j);
	return pem;
}

static void
test_kata_collect(void **state)
{
	struct env *e = *state;
	struct ag_collect_opts o = e->o;
	struct ag_evidence ev;
	struct ag_err err;
	const struct ag_evidence_blob *b;
	uint8_t *thim = NULL;
	size_t thim_len = 0;
	char *want, *ref;
	json_t *m;

	use_snp(e);
	use_security_context(e, &thim, &thim_len);
	o.uvm_dir = e->uvm;
	if (run(&ag_platform_azure_kata_cc, &o, &ev, &err) != AG_OK)
		fail_msg("azure-kata-cc: %s", err.msg);
	assert_string_equal(ev.platform, "azure-kata-cc");
	assert_string_equal(ev.report_type, "snp");
	assert_int_equal(ev.n_files, 6);
	check_bound(e, &ev, "snp-report.bin");
	assert_non_null(ag_evidence_get(&ev, "certs.bin"));
	/* The UVM's files as they are (without the trailing newline), and the VCEK chain THIM gave. */
	ref = tu_read(e->uvm, AG_UVM_REFERENCE_INFO, NULL);
	b = ag_evidence_get(&ev, "uvm-reference-info.b64");
	assert_non_null(b);
	assert_int_equal(b->len, strlen(ref));
	assert_memory_equal(b->data, ref, b->len);
	free(ref);
	ref = tu_read(e->uvm, AG_UVM_HOST_AMD_CERT, NULL);
	b = ag_evidence_get(&ev, "host-amd-cert.b64");
	assert_non_null(b);
	assert_int_equal(b->len, strlen(ref) - 1);
	assert_memory_equal(b->data, ref, b->len);
	free(ref);
	want = thim_chain(thim, thim_len);
	b = ag_evidence_get(&ev, "vcek-chain.pem");
	assert_non_null(b);
	assert_int_equal(b->len, strlen(want));
	assert_memory_equal(b->data, want, b->len);
	m = ag_evidence_manifest(&ev);
	assert_string_equal(json_string_value(json_object_get(m, "uvmSecurityContext")), e->uvm);
	json_decref(m);
	ag_evidence_clear(&ev);
	/* The same directory through UVM_SECURITY_CONTEXT_DIR. */
	setenv("UVM_SECURITY_CONTEXT_DIR", e->uvm, 1);
	o.uvm_dir = NULL;
	assert_int_equal(run(&ag_platform_azure_kata_cc, &o, &ev, &err), AG_OK);
	assert_int_equal(ev.n_files, 6);
	assert_non_null(ag_evidence_get(&ev, "vcek-chain.pem"));
	ag_evidence_clear(&ev);
	free(want);
	free(thim);
}

/* A UVM directory without the files: the report alone, and the fact that says where it looked. */
static void
test_kata_empty_uvm(void **state)
{
	struct env *e = *state;
	struct ag_collect_opts o = e->o;
	struct ag_evidence ev;
	struct ag_err err;
	json_t *m;

	use_snp(e);
	o.uvm_dir = e->uvm;
	assert_int_equal(run(&ag_platform_azure_kata_cc, &o, &ev, &err), AG_OK);
	assert_int_equal(ev.n_files, 3);
	assert_null(ag_evidence_get(&ev, "uvm-reference-info.b64"));
	assert_null(ag_evidence_get(&ev, "vcek-chain.pem"));
	m = ag_evidence_manifest(&ev);
	assert_string_equal(json_string_value(json_object_get(m, "uvmSecurityContext")), e->uvm);
	json_decref(m);
	ag_evidence_clear(&ev);
	/* No UVM directory at all: the fact says absent. */
	o.uvm_dir = NULL;
	assert_int_equal(run(&ag_platform_azure_kata_cc, &o, &ev, &err), AG_OK);
	m = ag_evidence_manifest(&ev);
	assert_string_equal(json_string_value(json_object_get(m, "uvmSecurityContext")), "absent");
	json_decref(m);
	ag_evidence_clear(&ev);
}

/* kata-cc with host-amd-cert-base64 = content; the code and a piece of the message. */
static void
expect_kata_failure(struct env *e, const char *content, enum ag_code want, const char *why)
{
	struct ag_collect_opts o = e->o;
	struct ag_evidence ev;
	struct ag_err err;
	enum ag_code rc;

	tu_write(e->uvm, AG_UVM_HOST_AMD_CERT, content);
	o.uvm_dir = e->uvm;
	rc = run(&ag_platform_azure_kata_cc, &o, &ev, &err);
	if (rc != want || strstr(err.msg, why) == NULL)
		fail_msg("kata-cc: %d \"%s\", expected %d with \"%s\"", rc, err.msg, want, why);
	assert_null(ag_evidence_get(&ev, "vcek-chain.pem"));
	assert_null(ag_evidence_get(&ev, "snp-report.bin"));
	ag_evidence_clear(&ev);
}

/* THIM JSON with key set to value (NULL: removed), base64 encoded. */
static char *
thim_with(const uint8_t *thim, size_t len, const char *key, const char *value)
{
	json_t *j = json_loadb((const char *)thim, len, 0, NULL);
	char *text, *b64;

	assert_non_null(j);
	if (value != NULL)
		json_object_set_new(j, key, json_string(value));
	else
		json_object_del(j, key);
	text = json_dumps(j, JSON_COMPACT);
	b64 = ag_b64_encode((const uint8_t *)text, strlen(text));
	assert_non_null(b64);
	free(text);
	json_decref(j);
	return b64;
}

static void
test_kata_failures(void **state)
{
	struct env *e = *state;
	uint8_t *thim = NULL;
	size_t thim_len = 0;
	char why[4400], *b64;

	use_snp(e);
	use_security_context(e, &thim, &thim_len);
	snprintf(why, sizeof(why), "%s/%s is not base64", e->uvm, AG_UVM_HOST_AMD_CERT);
	expect_kata_failure(e, "this is not base64!\n", AG_EINVALID, why);
	/* Certificates for another TCB than the report's (0x7308000000000003). */
	b64 = thim_with(thim, thim_len, "tcbm", "7308000000000004");
	snprintf(why, sizeof(why), "%s/%s: THIM certificates are for TCB 7308000000000004, the report says 7308000000000003",
	    e->uvm, AG_UVM_HOST_AMD_CERT);
	expect_kata_failure(e, b64, AG_EINVALID, why);
	free(b64);
	b64 = thim_with(thim, thim_len, "vcekCert", NULL);
	expect_kata_failure(e, b64, AG_EINVALID, "THIM certification lacks vcekCert, certificateChain or tcbm");
	free(b64);
	/* Base64 of something that is not JSON. */
	expect_kata_failure(e, "bm90IGpzb24=", AG_EINVALID, "THIM certification lacks");
	free(thim);
}

static void
expect_failure(const struct ag_platform *p, const struct ag_collect_opts *o, enum ag_code want, const char *why)
{
	struct ag_evidence ev;
	struct ag_err err;
	enum ag_code rc = run(p, o, &ev, &err);

	if (rc != want || strstr(err.msg, why) == NULL)
		fail_msg("%s: %d \"%s\", expected %d with \"%s\"", p->name, rc, err.msg, want, why);
	assert_int_equal(ev.n_files, 0);
	assert_string_equal(ev.platform, p->name);
	ag_evidence_clear(&ev);
}

/* The report interface of the other kind of guest: named, never used. */
static void
test_wrong_provider(void **state)
{
	struct env *e = *state;
	static const uint8_t junk[100] = { 1 };

	fake_reset(e->tsm, "tdx_guest\n");
	fake.report = junk;
	fake.report_len = sizeof(junk);
	expect_failure(&ag_platform_sev_snp, &e->o, AG_EEVIDENCE,
	    "configfs-tsm's provider is tdx_guest, not sev_guest: this is not that kind of guest");
	expect_failure(&ag_platform_azure_kata_cc, &e->o, AG_EEVIDENCE, "provider is tdx_guest, not sev_guest");
	fake_reset(e->tsm, "sev_guest\n");
	fake.report = junk;
	fake.report_len = sizeof(junk);
	expect_failure(&ag_platform_tdx, &e->o, AG_EEVIDENCE, "configfs-tsm's provider is sev_guest, not tdx_guest");
	assert_int_equal(fake.mkdirs, fake.rmdirs);
	assert_int_equal(tu_count_matching(e->tsm, "attestgate-"), 0);
}

/* An outblob that is no report of that kind. */
static void
test_not_a_report(void **state)
{
	struct env *e = *state;
	static const uint8_t junk[100] = { 2 };

	fake.report = junk;
	fake.report_len = sizeof(junk);
	fake.patch = 0;
	expect_failure(&ag_platform_sev_snp, &e->o, AG_EINVALID, "SNP report is 100 bytes, not 1184");
	fake_reset(e->tsm, "tdx_guest\n");
	fake.report = junk;
	fake.report_len = sizeof(junk);
	fake.patch = 0;
	expect_failure(&ag_platform_tdx, &e->o, AG_EINVALID, "TD quote version 2: only versions 4 and 5 are known");
}

/* A report that does not carry the REPORT_DATA asked for (a replayed one) is refused, not handed on. */
static void
test_report_data_mismatch(void **state)
{
	struct env *e = *state;

	use_snp(e);
	fake.patch = 0;
	expect_failure(&ag_platform_sev_snp, &e->o, AG_EINVALID, "the SNP report's REPORT_DATA is not what was asked for");
	expect_failure(&ag_platform_azure_kata_cc, &e->o, AG_EINVALID, "REPORT_DATA is not what was asked for");
	use_tdx(e);
	fake.patch = 0;
	expect_failure(&ag_platform_tdx, &e->o, AG_EINVALID, "the TD quote's REPORT_DATA is not what was asked for");
}

/* No interface at all, and a sev-guest device that is no driver. */
static void
test_no_interface(void **state)
{
	struct env *e = *state;
	struct ag_collect_opts o = e->o;
	char want[8400];

	o.tsm_root = e->missing;
	snprintf(want, sizeof(want), "no TDX guest interface: configfs-tsm (%s) does not exist", e->missing);
	expect_failure(&ag_platform_tdx, &o, AG_EEVIDENCE, want);
	snprintf(want, sizeof(want), "no SEV-SNP guest interface: neither configfs-tsm (%s) nor %s exists", e->missing,
	    e->missing);
	expect_failure(&ag_platform_sev_snp, &o, AG_EEVIDENCE, want);
	expect_failure(&ag_platform_azure_kata_cc, &o, AG_EEVIDENCE, want);
	/* The device is there but answers no report request (a plain file). */
	o.sev_guest = e->sev_guest;
	expect_failure(&ag_platform_sev_snp, &o, AG_EEVIDENCE, "sev-guest: report request failed");
	/* TDX never uses the sev-guest device. */
	expect_failure(&ag_platform_tdx, &o, AG_EEVIDENCE, "no TDX guest interface");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detect_tsm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detect_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detect_kata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snp_collect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tdx_collect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kata_collect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kata_empty_uvm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kata_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_provider, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_data_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_interface, setup, teardown),
	};

	return cmocka_run_group_tests_name("tee", tests, NULL, NULL);
}
