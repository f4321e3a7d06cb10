/*
 * test_azure_cvm.c - lib/platform/azure_cvm.c through its table row
 * ag_platform_azure_cvm, on the swtpm Azure CVM rig (test/rig): one
 * template provisioned per binary (AK at 0x81000003, AK certificate at
 * 0x01C101D0, an SEV-SNP HCL report binding the AK at 0x01400001), and per
 * test a swtpm of its own on a copy with a measured boot (its event log in
 * RUN/eventlog.bin), stopped after it.  Checked: detect() for device and
 * swtpm TCTIs; collect(): the files (HCL report, AK, AK certificate as
 * provisioned, PCRs that replay from the event log, a quote over PCR 0-7
 * that verifies with the AK and binds the nonce, or nothing with
 * quote_unbound) and facts, nonces of 1 to 64 bytes; and the failures,
 * each with its code and a message that says what is missing: no TPM, no
 * HCL report, no AK, no AK certificate, an AK that is not the report's,
 * a paravisor that never refreshes the report.  A TDX CVM (rig --tdx) gets
 * its TD quote from the IMDS of test/services/maa_service.py (--tee) on
 * loopback.  Skipped visibly without swtpm, tpm2-tools or python3 with the
 * cryptography module.
 */
#include "standin.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base/clock.h"
#include "base/digest.h"
#include "format/hcl.h"
#include "format/tdx.h"
#include "format/tpm_attest.h"
#include "node/tpm.h"
#include "platform/platform.h"

static char *work;          /* the binary's scratch directory */
static char *tpl;           /* work/tpl: the provisioned rig template, or NULL (skipped) */
static const char *why_skipped = "the rig was not provisioned";

/* --- the rig ------------------------------------------------------------- */

static const char *
rig(void)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/test/rig/azure-cvm-rig.sh", si_repo());
	return path;
}

/* Nonzero when name runs (found in PATH). */
static int
have_tool(const char *name)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)"command -v \"$0\"", (char *)name, NULL };

	return si_run(argv, NULL, NULL) == 0;
}

/*
 * The rig leaves swtpm running as a daemon and later stops it by its pid,
 * waiting until the pid is gone.  An orphan stays a zombie until someone
 * reaps it, and this container's init reaps late (about a second), so the
 * binary is the subreaper of what it starts (main) and reaps its zombie
 * swtpm children itself while a rig command runs; no other process is
 * touched.
 */
static void
reap_swtpm(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char path[300], stat[512] = "", *close_paren;
		long ppid = 0;
		char st = 0;
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(stat, sizeof(stat), f) == NULL)
			stat[0] = '\0';
		fclose(f);
		close_paren = strrchr(stat, ')');
		if (close_paren == NULL || sscanf(close_paren + 1, " %c %ld", &st, &ppid) != 2)
			continue;
		if (st == 'Z' && ppid == (long)getpid() && strstr(stat, "(swtpm)") != NULL)
			waitpid((pid_t)atol(de->d_name), NULL, WNOHANG);
	}
	if (d != NULL)
		closedir(d);
}

/* Runs the rig with args (NULL-terminated, at most 4), output to out (or /dev/null); its exit status, or -1. */
static int
rig_run(const char *out, const char *a1, const char *a2, const char *a3, const char *a4)
{
	char *argv[] = { (char *)rig(), (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL };
	int status = 0;
	pid_t pid = si_spawn(argv, out);

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		reap_swtpm();
		usleep(5000);
	}
	reap_swtpm();
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Provisions the rig template dir (extra: NULL or "--tdx"); 0 on success. */
static int
provision(const char *dir, const char *extra)
{
	return rig_run(NULL, "provision", dir, extra, NULL);
}

static int
group_teardown(void **state)
{
	(void)state;
	if (work != NULL) {
		char *argv[] = { (char *)"rm", (char *)"-rf", work, NULL };

		si_run(argv, NULL, NULL);
	}
	free(work);
	free(tpl);
	work = tpl = NULL;
	return 0;
}

static int
group_setup(void **state)
{
	char *t;

	(void)state;
	setenv("TSS2_LOG", "all+NONE", 1);
	if (!have_tool("swtpm") || !have_tool("tpm2_createak")) {
		why_skipped = "swtpm or tpm2-tools is not installed (make deps installs them)";
		return 0;
	}
	if (!si_have_python()) {
		why_skipped = "python3 with the cryptography module is missing (make deps installs it)";
		return 0;
	}
	work = tu_mkdtemp();
	t = tu_path(work, "tpl");
	if (provision(t, NULL) != 0) {
		print_message("# the rig did not provision (%s provision %s)\n", rig(), t);
		free(t);
		group_teardown(state);
		return -1;
	}
	tpl = t;
	return 0;
}

struct run {
	char *dir;                 /* the run directory: state, tpm.sock, eventlog.bin */
	char tcti[4200];
	char *eventlog;
	struct ag_nonce nonce;
	struct ag_collect_opts o;
	struct run *tdx;           /* test_tdx_cvm's own run, and its IMDS service */
	pid_t svc;
};

/* Starts a swtpm from template t into a new run directory; 0 on success. */
static int
run_start(struct run *r, const char *t)
{
	char *out, *line;
	int rc;

	r->dir = tu_path(work, "runXXXXXX");
	assert_non_null(mkdtemp(r->dir));
	r->eventlog = tu_path(r->dir, "eventlog.bin");
	out = tu_path(r->dir, "start.out");
	rc = rig_run(out, "start", t, r->dir, NULL);
	free(out);
	out = tu_read(r->dir, "start.out", NULL);
	line = out != NULL ? strstr(out, "swtpm:path=") : NULL;
	if (line != NULL)
		line[strcspn(line, "\r\n")] = '\0';
	snprintf(r->tcti, sizeof(r->tcti), "%s", line != NULL ? line : "");
	if (rc != 0 || line == NULL)
		print_message("# the rig did not start: %.400s\n", out != NULL ? out : "");
	free(out);
	return rc == 0 && line != NULL ? 0 : -1;
}

static void
run_stop(struct run *r)
{
	if (r->dir == NULL)
		return;
	rig_run(NULL, "stop", r->dir, NULL, NULL);
	tu_rmtree(r->dir);
	free(r->dir);
	free(r->eventlog);
	r->dir = NULL;
}

static int
setup(void **state)
{
	struct run *r = calloc(1, sizeof(*r));
	struct ag_err err;

	assert_non_null(r);
	*state = r;
	if (tpl == NULL)
		return 0;
	if (run_start(r, tpl) != 0) {
		run_stop(r);
		return -1;
	}
	assert_int_equal(ag_nonce_draw(&r->nonce, &err), AG_OK);
	r->o.tcti = r->tcti;
	r->o.nonce = &r->nonce;
	r->o.deadline_ms = ag_clock_mono_ms() + 10000;
	r->o.eventlog = r->eventlog;
	r->o.vmpl = -1;
	return 0;
}

static int
teardown(void **state)
{
	struct run *r = *state;

	if (r->tdx != NULL)
		run_stop(r->tdx);
	free(r->tdx);
	si_stop(r->svc);
	run_stop(r);
	free(r);
	return 0;
}

#define NEED_RIG(r)                                                            \
	do {                                                                   \
		if (tpl == NULL || (r)->dir == NULL) {                         \
			print_message("# skipped: %s\n", why_skipped);         \
			skip();                                                \
		}                                                              \
	} while (0)

/* Takes one piece of the running rig away: ak, hcl or akcert. */
static void
rig_remove(struct run *r, const char *what)
{
	assert_int_equal(rig_run(NULL, "remove", r->dir, what, NULL), 0);
}

/* --- checks ---------------------------------------------------------------- */

static enum ag_code
collect(const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err)
{
	ag_evidence_init(e);
	ag_err_clear(err);
	return ag_platform_azure_cvm.collect(o, e, err);
}

/* The evidence file name holds exactly the bytes of dir/file. */
static void
assert_file(const struct ag_evidence *e, const char *name, const char *dir, const char *file)
{
	const struct ag_evidence_blob *b = ag_evidence_get(e, name);
	size_t len = 0;
	char *want = tu_read(dir, file, &len);

	if (b == NULL)
		fail_msg("no %s in the evidence", name);
	assert_non_null(want);
	assert_int_equal(b->len, len);
	assert_memory_equal(b->data, want, len);
	free(want);
}

/* PCR 0-23 after the rig's measured boot: test/rig/make_eventlog.py's extends replayed from the reset values. */
static void
replay_pcrs(const char *dir, uint8_t pcrs[AG_TPM_PCRS_LEN])
{
	char script[4096], *log = tu_path(dir, "replay.bin"), *line, *save = NULL;
	char *argv[] = { (char *)si_python(), script, log, NULL };
	uint8_t *out = NULL, cat[64];
	size_t len = 0;
	int n = 0;

	snprintf(script, sizeof(script), "%s/test/rig/make_eventlog.py", si_repo());
	assert_int_equal(si_run(argv, &out, &len), 0);
	memset(pcrs, 0, AG_TPM_PCRS_LEN);
	memset(pcrs + 17 * 32, 0xff, 6 * 32);
	for (line = strtok_r((char *)out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save), n++) {
		unsigned pcr = (unsigned)atoi(line);
		char *hex = strstr(line, ":sha256=");

		assert_non_null(hex);
		assert_true(pcr < 24);
		memcpy(cat, pcrs + pcr * 32, 32);
		assert_int_equal(ag_hex_decode(hex + 8, cat + 32, 32), 0);
		assert_int_equal(ag_sha256(cat, 64, pcrs + pcr * 32), 0);
	}
	assert_true(n > 8);
	unlink(log);
	free(log);
	free(out);
}

/* The AK of the evidence (ak-pub.tpm), which must be template t's akpub.pem. */
static EVP_PKEY *
evidence_ak(const struct ag_evidence *e, const char *t)
{
	const struct ag_evidence_blob *b = ag_evidence_get(e, "ak-pub.tpm");
	char *path = tu_path(t, "akpub.pem");
	FILE *f = fopen(path, "r");
	EVP_PKEY *ak = NULL, *want;
	struct ag_err err;

	assert_non_null(b);
	assert_int_equal(ag_tpm_public_to_pkey(b->data, b->len, 1, &ak, &err), AG_OK);
	assert_non_null(f);
	want = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	free(path);
	assert_non_null(want);
	assert_int_equal(EVP_PKEY_eq(ak, want), 1);
	EVP_PKEY_free(want);
	return ak;
}

/* The quote verifies with template t's AK over PCR 0-7 of pcrs.bin with qualifying data qual, and with nothing else. */
static void
assert_quote(const struct ag_evidence *e, const char *t, const uint8_t *qual, size_t qual_len)
{
	const struct ag_evidence_blob *msg = ag_evidence_get(e, "quote.msg"), *sig = ag_evidence_get(e, "quote.sig"),
				      *pcrs = ag_evidence_get(e, "pcrs.bin");
	EVP_PKEY *ak = evidence_ak(e, t);
	struct ag_quote_info qi;
	struct ag_err err;
	uint8_t other[AG_NONCE_MAX] = { 0 };

	assert_non_null(msg);
	assert_non_null(sig);
	assert_non_null(pcrs);
	assert_int_equal(pcrs->len, AG_TPM_PCRS_LEN);
	if (ag_quote_verify(msg->data, msg->len, sig->data, sig->len, ak, qual, qual_len, pcrs->data, pcrs->len, &qi,
	    &err) != AG_OK)
		fail_msg("the quote does not verify: %s", err.msg);
	assert_int_equal(qi.pcr_mask, AG_AZURE_QUOTE_PCRS);
	/* Another nonce of the same length, or none where there was one, does not verify. */
	if (qual_len > 0) {
		memcpy(other, qual, qual_len);
		other[qual_len - 1] ^= 1;
		assert_int_equal(ag_quote_verify(msg->data, msg->len, sig->data, sig->len, ak, other, qual_len, pcrs->data,
		    pcrs->len, &qi, &err), AG_EINVALID);
		assert_int_equal(ag_quote_verify(msg->data, msg->len, sig->data, sig->len, ak, NULL, 0, pcrs->data,
		    pcrs->len, &qi, &err), AG_EINVALID);
	} else {
		assert_int_equal(ag_quote_verify(msg->data, msg->len, sig->data, sig->len, ak, other, 32, pcrs->data,
		    pcrs->len, &qi, &err), AG_EINVALID);
	}
	EVP_PKEY_free(ak);
}

/* The manifest fact key as a string. */
static const char *
fact(const struct ag_evidence *e, const char *key)
{
	return json_string_value(json_object_get(e->facts, key));
}

/* --- tests --------------------------------------------------------------- */

static void
test_detect(void **state)
{
	char *dir = tu_mkdtemp(), *dev = tu_path(dir, "tpmrm0"), spec[4200];
	struct ag_collect_opts o = { .vmpl = -1 };

	(void)state;
	tu_write(dir, "tpmrm0", "");
	/* device: the device node must exist (whether it is a TPM is collect's business). */
	snprintf(spec, sizeof(spec), "device:%s", dev);
	o.tcti = spec;
	assert_true(ag_platform_azure_cvm.detect(&o));
	o.tcti = "device:/dev/null";
	assert_true(ag_platform_azure_cvm.detect(&o));
	snprintf(spec, sizeof(spec), "device:%s/tpm0", dir);
	o.tcti = spec;
	assert_false(ag_platform_azure_cvm.detect(&o));
	o.tcti = "device:";
	assert_false(ag_platform_azure_cvm.detect(&o));
	/* swtpm: a test TPM, named on purpose, counts even before it answers. */
	o.tcti = "swtpm:path=/nonexistent/tpm.sock";
	assert_true(ag_platform_azure_cvm.detect(&o));
	o.tcti = "swtpm:host=127.0.0.1,port=2321";
	assert_true(ag_platform_azure_cvm.detect(&o));
	/* Other TCTIs are not a vTPM the gate uses. */
	o.tcti = "mssim:host=localhost";
	assert_false(ag_platform_azure_cvm.detect(&o));
	o.tcti = "tabrmd:bus_type=system";
	assert_false(ag_platform_azure_cvm.detect(&o));
	o.tcti = dev;   /* a path without "device:" */
	assert_false(ag_platform_azure_cvm.detect(&o));
	/* None given: /dev/tpmrm0. */
	o.tcti = NULL;
	assert_int_equal(ag_platform_azure_cvm.detect(&o), access("/dev/tpmrm0", F_OK) == 0);
	free(dev);
	tu_rmtree(dir);
	free(dir);
}

static void
test_collect(void **state)
{
	struct run *r = *state;
	struct ag_evidence e;
	struct ag_err err;
	uint8_t want[AG_TPM_PCRS_LEN];
	int64_t before = ag_clock_wall_ms(), after;
	json_t *pcrs;

	NEED_RIG(r);
	if (collect(&r->o, &e, &err) != AG_OK)
		fail_msg("collect: %s", err.msg);
	after = ag_clock_wall_ms();
	assert_string_equal(e.platform, "azure-cvm");
	assert_string_equal(e.report_type, "snp");
	assert_int_equal(e.nonce.len, 32);
	assert_memory_equal(e.nonce.v, r->nonce.v, 32);
	assert_false(e.quote_unbound);
	assert_true(e.time_ms >= before && e.time_ms <= after);
	/* The files: what the rig provisioned, the boot's event log, the PCRs it replays to, the quote. */
	assert_int_equal(e.n_files, 7);
	assert_file(&e, "hcl-report.bin", tpl, "hcl-report.bin");
	assert_file(&e, "ak-cert.der", tpl, "ak-cert.der");
	assert_file(&e, "eventlog.bin", r->dir, "eventlog.bin");
	replay_pcrs(r->dir, want);
	assert_memory_equal(ag_evidence_get(&e, "pcrs.bin")->data, want, AG_TPM_PCRS_LEN);
	assert_quote(&e, tpl, r->nonce.v, r->nonce.len);
	/* The facts. */
	assert_string_equal(fact(&e, "eventlog"), "present");
	assert_string_equal(fact(&e, "akHandle"), "0x81000003");
	assert_string_equal(fact(&e, "quoteQualifyingData"), "nonce");
	pcrs = json_object_get(e.facts, "quotedPcrs");
	assert_int_equal(json_array_size(pcrs), 8);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(json_integer_value(json_array_get(pcrs, i)), (json_int_t)i);
	ag_evidence_clear(&e);
}

/* For MAA: the quote's qualifying data is empty; without an event log its absence is recorded, not fatal. */
static void
test_collect_unbound(void **state)
{
	struct run *r = *state;
	struct ag_collect_opts o = r->o;
	struct ag_evidence e;
	struct ag_err err;
	char *missing;

	NEED_RIG(r);
	missing = tu_path(r->dir, "no-eventlog");
	o.quote_unbound = 1;
	o.eventlog = missing;
	if (collect(&o, &e, &err) != AG_OK)
		fail_msg("collect: %s", err.msg);
	assert_true(e.quote_unbound);
	assert_int_equal(e.n_files, 6);
	assert_null(ag_evidence_get(&e, "eventlog.bin"));
	assert_string_equal(fact(&e, "eventlog"), "absent");
	assert_string_equal(fact(&e, "quoteQualifyingData"), "empty");
	assert_quote(&e, tpl, NULL, 0);
	/* The nonce is still the evidence's (it travels in the AzureGuest payload). */
	assert_memory_equal(e.nonce.v, r->nonce.v, r->nonce.len);
	ag_evidence_clear(&e);
	/* No event log path at all. */
	o.eventlog = NULL;
	assert_int_equal(collect(&o, &e, &err), AG_OK);
	assert_string_equal(fact(&e, "eventlog"), "absent");
	ag_evidence_clear(&e);
	free(missing);
}

/* Through the table: 1 and 64 bytes (the hex text run binds) are quoted as they are; 65 never reach the TPM. */
static void
test_nonce_sizes(void **state)
{
	struct run *r = *state;
	struct ag_collect_opts o = r->o;
	struct ag_nonce n;
	struct ag_evidence e;
	struct ag_err err;

	NEED_RIG(r);
	o.nonce = &n;
	assert_int_equal(ag_nonce_draw_text(&n, &err), AG_OK);
	assert_int_equal(n.len, AG_NONCE_MAX);
	ag_evidence_init(&e);
	if (ag_platform_collect("azure-cvm", &o, &e, &err) != AG_OK)
		fail_msg("64-byte nonce: %s", err.msg);
	assert_quote(&e, tpl, n.v, n.len);
	ag_evidence_clear(&e);
	assert_int_equal(ag_nonce_from_hex(&n, "a5", "test", &err), AG_OK);
	ag_evidence_init(&e);
	assert_int_equal(ag_platform_collect("auto", &o, &e, &err), AG_OK);
	assert_string_equal(e.platform, "azure-cvm");
	assert_quote(&e, tpl, n.v, 1);
	ag_evidence_clear(&e);
	n.len = AG_NONCE_MAX + 1;
	ag_evidence_init(&e);
	assert_int_equal(ag_platform_collect("azure-cvm", &o, &e, &err), AG_ECONFIG);
	assert_int_equal(e.n_files, 0);
	ag_evidence_clear(&e);
}

/*
 * collect fails with want and cause, a message containing each of the
 * NULL-terminated pieces, and no more than files evidence files kept (never
 * the HCL report, which is added last); returns err.transient.
 */
static int
expect_failure(const struct ag_collect_opts *o, enum ag_code want, enum ag_cause cause, const char *const *pieces,
    size_t files)
{
	struct ag_evidence e;
	struct ag_err err;
	enum ag_code rc = collect(o, &e, &err);

	if (rc != want)
		fail_msg("collect: %d \"%s\", expected %d", rc, err.msg, want);
	for (size_t i = 0; pieces[i] != NULL; i++)
		if (strstr(err.msg, pieces[i]) == NULL)
			fail_msg("message \"%s\" lacks \"%s\"", err.msg, pieces[i]);
	assert_int_equal(err.cause, cause);
	assert_string_equal(e.platform, "azure-cvm");
	assert_true(e.n_files <= files);
	assert_null(ag_evidence_get(&e, "hcl-report.bin"));
	ag_evidence_clear(&e);
	return err.transient;
}

static void
test_no_tpm(void **state)
{
	struct run *r = *state;
	struct ag_collect_opts o = r->o;
	char spec[4200];
	const char *const gone[] = { "none.sock", NULL };
	const char *const missing[] = { "TPM device /nonexistent/tpmrm0 does not exist", "mount /dev/tpmrm0", NULL };

	NEED_RIG(r);
	snprintf(spec, sizeof(spec), "swtpm:path=%s/none.sock", r->dir);
	o.tcti = spec;
	expect_failure(&o, AG_EEVIDENCE, AG_CAUSE_NONE, gone, 0);
	o.tcti = "device:/nonexistent/tpmrm0";
	expect_failure(&o, AG_EEVIDENCE, AG_CAUSE_NONE, missing, 0);
}

static void
test_no_hcl_report(void **state)
{
	struct run *r = *state;
	const char *const pieces[] = { "no HCL report: ", "NV index 0x01400001", "does not exist",
		"this is not an Azure Confidential VM vTPM", NULL };

	NEED_RIG(r);
	rig_remove(r, "hcl");
	expect_failure(&r->o, AG_EEVIDENCE, AG_CAUSE_ABSENT, pieces, 0);
}

static void
test_no_ak(void **state)
{
	struct run *r = *state;
	const char *const pieces[] = { "the attestation key (handle 0x81000003)", "does not exist",
		"this is not an Azure Confidential VM vTPM", NULL };

	NEED_RIG(r);
	rig_remove(r, "ak");
	expect_failure(&r->o, AG_EEVIDENCE, AG_CAUSE_ABSENT, pieces, 0);
}

/*
 * A missing AK certificate is not worth waiting for: it fails at once, not
 * transient, naming its index, and (as "no HCL report" and "the attestation
 * key" do for theirs) saying that it is the AK certificate that is missing.
 */
static void
test_no_ak_cert(void **state)
{
	struct run *r = *state;
	const char *const pieces[] = { "NV index 0x01c101d0", "does not exist", NULL };
	struct ag_evidence e;
	struct ag_err err;
	int64_t t0;

	NEED_RIG(r);
	rig_remove(r, "akcert");
	t0 = ag_clock_mono_ms();
	assert_false(expect_failure(&r->o, AG_EEVIDENCE, AG_CAUSE_ABSENT, pieces, 0));
	assert_true(ag_clock_mono_ms() - t0 < 3000);
	assert_int_equal(collect(&r->o, &e, &err), AG_EEVIDENCE);
	ag_evidence_clear(&e);
	if (strcasestr(err.msg, "certificate") == NULL)
		fail_msg("the message does not say the AK certificate is missing: \"%s\"", err.msg);
}

/* Another restricted signing key at the AK's handle: not the one the HCL report binds. */
static void
test_other_ak(void **state)
{
	struct run *r = *state;
	char script[] = "export TPM2TOOLS_TCTI=\"$0\"; tpm2_createprimary -Q -C o -G rsa2048:rsassa-sha256:null "
			"-a 'restricted|sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth' -c \"$1/other.ctx\" && "
			"tpm2_evictcontrol -Q -C o -c \"$1/other.ctx\" 0x81000003 && tpm2_flushcontext -t";
	char *argv[] = { (char *)"sh", (char *)"-c", script, r->tcti, r->dir, NULL };
	const char *const pieces[] = { "the vTPM's AK at 0x81000003 is not the HCLAkPub bound in the HCL report", NULL };

	NEED_RIG(r);
	rig_remove(r, "ak");
	assert_int_equal(si_run(argv, NULL, NULL), 0);
	expect_failure(&r->o, AG_EINVALID, AG_CAUSE_NONE, pieces, 0);
}

/* --fresh-report where no paravisor answers: the user data is written, then a transient failure at the deadline. */
static void
test_fresh_report_deadline(void **state)
{
	struct run *r = *state;
	struct ag_collect_opts o = r->o;
	const char *const pieces[] = { "the paravisor did not refresh the HCL report with the new user data before the deadline",
		NULL };
	struct ag_tpm *t = NULL;
	struct ag_err err;
	uint8_t *user = NULL, want[64] = { 0 };
	size_t len = 0;
	int64_t t0 = ag_clock_mono_ms(), took;

	NEED_RIG(r);
	o.fresh_report = 1;
	o.deadline_ms = t0 + 800;
	assert_true(expect_failure(&o, AG_EEVIDENCE, AG_CAUSE_NONE, pieces, 0));
	took = ag_clock_mono_ms() - t0;
	if (took < 500 || took > 2500)
		fail_msg("gave up after %lld ms, the deadline was 800 ms", (long long)took);
	/* The nonce, zero padded to 64 bytes, is what was asked for. */
	assert_int_equal(ag_tpm_open(r->tcti, &t, &err), AG_OK);
	assert_int_equal(ag_tpm_nv_read(t, AG_AZURE_USER_DATA_INDEX, &user, &len, &err), AG_OK);
	memcpy(want, r->nonce.v, r->nonce.len);
	assert_int_equal(len, 64);
	assert_memory_equal(user, want, 64);
	free(user);
	ag_tpm_close(t);
}

/* The TDX rig template in work/tpl-tdx and the IMDS of maa_service.py (--tee: the test quoting chain) into r. */
static void
tdx_world(struct run *r, int *imds_port)
{
	char *pki = tu_path(work, "pki"), *tee = tu_path(work, "tee"), *svc = tu_path(work, "svc"),
	     *t = tu_path(work, "tpl-tdx");
	const char *extra[] = { "--rig", t, "--tee", tee, NULL };
	int port = -1;

	assert_int_equal(provision(t, "--tdx"), 0);
	assert_int_equal(mkdir(pki, 0700), 0);
	assert_int_equal(si_testpki(pki), 0);
	assert_int_equal(si_tee_pki(tee), 0);
	r->svc = si_maa_start(pki, svc, extra, &port, imds_port);
	assert_true(r->svc > 0 && *imds_port > 0);
	r->tdx = calloc(1, sizeof(*r->tdx));
	assert_non_null(r->tdx);
	assert_int_equal(run_start(r->tdx, t), 0);
	free(pki);
	free(tee);
	free(svc);
	free(t);
}

/* A TDX CVM: the TD quote for the HCL report's TDREPORT comes from IMDS and carries its REPORTDATA. */
static void
test_tdx_cvm(void **state)
{
	struct run *r = *state;
	struct ag_collect_opts o = r->o;
	struct ag_evidence e;
	struct ag_err err;
	struct ag_hcl_report hcl;
	struct ag_tdx_quote q;
	const struct ag_evidence_blob *b;
	char *t, url[64];
	const char *const down[] = { "IMDS TD quote service", NULL };
	int port = -1;

	NEED_RIG(r);
	tdx_world(r, &port);
	t = tu_path(work, "tpl-tdx");
	o.tcti = r->tdx->tcti;
	o.eventlog = r->tdx->eventlog;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	o.imds_url = url;
	if (collect(&o, &e, &err) != AG_OK)
		fail_msg("TDX collect: %s", err.msg);
	assert_string_equal(e.report_type, "tdx");
	assert_int_equal(e.n_files, 8);
	assert_file(&e, "hcl-report.bin", t, "hcl-report.bin");
	assert_quote(&e, t, r->nonce.v, r->nonce.len);
	b = ag_evidence_get(&e, "hcl-report.bin");
	assert_int_equal(ag_hcl_parse(b->data, b->len, &hcl, &err), AG_OK);
	b = ag_evidence_get(&e, "td-quote.bin");
	assert_non_null(b);
	assert_int_equal(ag_tdx_parse(b->data, b->len, &q, &err), AG_OK);
	assert_memory_equal(q.report_data, hcl.report_data, AG_TDX_REPORT_DATA_LEN);
	ag_hcl_clear(&hcl);
	ag_evidence_clear(&e);
	/* IMDS not answering: the evidence is unavailable, and the message says where it failed. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", si_closed_port());
	o.deadline_ms = ag_clock_mono_ms() + 1500;
	expect_failure(&o, AG_EEVIDENCE, AG_CAUSE_NONE, down, 3);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test_setup_teardown(test_collect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collect_unbound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonce_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_tpm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_hcl_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_ak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_ak_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_ak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fresh_report_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tdx_cvm, setup, teardown),
	};

	/* The rig's swtpm daemons become this process's children, reaped as soon as they exit (reap_swtpm). */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return cmocka_run_group_tests_name("azure_cvm", tests, group_setup, group_teardown);
}
