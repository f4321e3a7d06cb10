/*
 * test_platform.c - lib/platform/platform.c: the platform table (four rows,
 * found by their exact names), ag_platform_collect's checks before any row
 * runs (nonce of 1 to 64 bytes, a platform that is not built in is
 * AG_ECONFIG), a named platform running its row without detection, and
 * `auto`: the rows asked in table order (vTPM, kata-cc UVM, TDX, SEV-SNP),
 * the first present one used even when it then fails (never a fallback),
 * and "no TEE evidence source found" naming what was checked when nothing
 * is there.  No TEE is needed: the vTPM is /dev/null (present, not a TPM)
 * or a path that does not exist, the sev-guest device a plain file, and
 * configfs-tsm a temporary directory whose entries get a provider
 * attribute from this binary's own mkdir() and rmdir() (the technique of
 * test_tsm_report.c, only as much of it as detection reads).
 */
#include "testutil.h"

#include <errno.h>
#include <sys/syscall.h>

#include "base/clock.h"
#include "node/sev_guest.h"
#include "node/tsm_report.h"
#include "platform/platform.h"

/* --- the emulated configfs-tsm: entries under fake_root get a provider ---- */

static char fake_root[4096];           /* "" turns the emulation off */
static const char *fake_provider;      /* content of provider */

static int
is_entry(const char *path)
{
	size_t n = strlen(fake_root);

	return n > 0 && strncmp(path, fake_root, n) == 0 && path[n] == '/' && path[n + 1] != '\0' &&
	    strchr(path + n + 1, '/') == NULL;
}

int
mkdir(const char *path, mode_t mode)
{
	int r = (int)syscall(SYS_mkdirat, AT_FDCWD, path, mode);

	if (r == 0 && is_entry(path)) {
		char p[8192];
		int fd;

		snprintf(p, sizeof(p), "%s/provider", path);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, fake_provider, strlen(fake_provider)), (ssize_t)strlen(fake_provider));
		close(fd);
	}
	return r;
}

int
rmdir(const char *path)
{
	if (is_entry(path)) {
		char p[8192];

		snprintf(p, sizeof(p), "%s/provider", path);
		unlink(p);
	}
	return (int)syscall(SYS_unlinkat, AT_FDCWD, path, AT_REMOVEDIR);
}

/* --- the node ---------------------------------------------------------- */

struct node {
	char *dir;
	char *tsm;          /* configfs-tsm (emulated), made by with_tsm */
	char *uvm;          /* a UVM security context directory */
	char *sev_guest;    /* a plain file standing in for /dev/sev-guest */
	char *missing;      /* a path that does not exist */
	char tcti_missing[4200];
	struct ag_nonce nonce;
	struct ag_collect_opts o;
};

static int
setup(void **state)
{
	struct node *n = calloc(1, sizeof(*n));
	struct ag_err err;

	assert_non_null(n);
	unsetenv("UVM_SECURITY_CONTEXT_DIR");
	n->dir = tu_mkdtemp();
	n->tsm = tu_path(n->dir, "tsm");
	n->uvm = tu_path(n->dir, "uvm");
	n->sev_guest = tu_path(n->dir, "sev-guest");
	n->missing = tu_path(n->dir, "missing");
	snprintf(n->tcti_missing, sizeof(n->tcti_missing), "device:%s/tpmrm0", n->missing);
	assert_int_equal(mkdir(n->uvm, 0700), 0);
	tu_write(n->dir, "sev-guest", "");
	assert_int_equal(ag_nonce_draw(&n->nonce, &err), AG_OK);
	/* Nothing present: every source points at a path that does not exist. */
	n->o.tcti = n->tcti_missing;
	n->o.nonce = &n->nonce;
	n->o.deadline_ms = ag_clock_mono_ms() + 5000;
	n->o.tsm_root = n->missing;
	n->o.sev_guest = n->missing;
	n->o.vmpl = -1;
	*state = n;
	return 0;
}

static int
teardown(void **state)
{
	struct node *n = *state;

	fake_root[0] = '\0';
	unsetenv("UVM_SECURITY_CONTEXT_DIR");
	tu_rmtree(n->tsm);
	tu_rmtree(n->dir);
	free(n->dir);
	free(n->tsm);
	free(n->uvm);
	free(n->sev_guest);
	free(n->missing);
	free(n);
	return 0;
}

/* Makes n->tsm the emulated configfs-tsm with the given provider (the caller points tsm_root at it). */
static void
with_tsm(struct node *n, const char *provider)
{
	assert_int_equal(mkdir(n->tsm, 0755), 0);
	snprintf(fake_root, sizeof(fake_root), "%s", n->tsm);
	fake_provider = provider;
}

/* Runs ag_platform_collect; returns the code, the evidence kept in *e for the caller to clear. */
static enum ag_code
collect(const char *platform, const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err)
{
	ag_evidence_init(e);
	ag_err_clear(err);
	return ag_platform_collect(platform, o, e, err);
}

/* --- tests --------------------------------------------------------------- */

static void
test_table(void **state)
{
	static const struct {
		const char *name;
		const struct ag_platform *row;
	} rows[] = { { "azure-cvm", &ag_platform_azure_cvm }, { "azure-kata-cc", &ag_platform_azure_kata_cc },
		{ "tdx", &ag_platform_tdx }, { "sev-snp", &ag_platform_sev_snp } };
	static const char *const unknown[] = { "auto", "", "AZURE-CVM", "azure-cvm ", "sev", "snp", "azure_cvm", "kata-cc" };

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char copy[32];

		snprintf(copy, sizeof(copy), "%s", rows[i].name);
		assert_ptr_equal(ag_platform_find(copy), rows[i].row);
		assert_string_equal(rows[i].row->name, rows[i].name);
		assert_non_null(rows[i].row->detect);
		assert_non_null(rows[i].row->collect);
		/* Every row's name is one evidence.json accepts. */
		assert_non_null(ag_evidence_platform_name(rows[i].row->name));
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		if (ag_platform_find(unknown[i]) != NULL)
			fail_msg("\"%s\" found", unknown[i]);
}

static void
test_unknown_platform(void **state)
{
	struct node *n = *state;
	struct ag_evidence e;
	struct ag_err err;

	assert_int_equal(collect("nitro", &n->o, &e, &err), AG_ECONFIG);
	assert_string_equal(err.msg, "unknown platform nitro");
	assert_null(e.platform);
	assert_int_equal(e.n_files, 0);
	ag_evidence_clear(&e);
	assert_int_equal(collect("Azure-CVM", &n->o, &e, &err), AG_ECONFIG);
	assert_string_equal(err.msg, "unknown platform Azure-CVM");
	ag_evidence_clear(&e);
	assert_int_equal(collect("", &n->o, &e, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "unknown platform"));
	ag_evidence_clear(&e);
}

static void
expect_bad_nonce(const char *platform, const struct ag_collect_opts *o)
{
	struct ag_evidence e;
	struct ag_err err;

	if (collect(platform, o, &e, &err) != AG_ECONFIG)
		fail_msg("%s: a nonce of %zu bytes accepted", platform, o->nonce != NULL ? o->nonce->len : 0);
	assert_string_equal(err.msg, "the nonce must be 1 to 64 bytes");
	assert_null(e.platform);
	assert_int_equal(e.n_files, 0);
	ag_evidence_clear(&e);
}

static void
test_nonce_lengths(void **state)
{
	static const char *const platforms[] = { "auto", "azure-cvm", "azure-kata-cc", "tdx", "sev-snp", "nitro" };
	struct node *n = *state;
	struct ag_collect_opts o = n->o;
	struct ag_nonce big;
	struct ag_evidence e;
	struct ag_err err;

	/* Everything present, so a nonce that got through would reach a row. */
	with_tsm(n, "tdx_guest\n");
	o.tsm_root = n->tsm;
	o.uvm_dir = n->uvm;
	o.tcti = "device:/dev/null";
	memset(&big, 0x5a, sizeof(big));
	for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
		o.nonce = NULL;
		expect_bad_nonce(platforms[i], &o);
		big.len = 0;
		o.nonce = &big;
		expect_bad_nonce(platforms[i], &o);
		big.len = AG_NONCE_MAX + 1;
		expect_bad_nonce(platforms[i], &o);
		big.len = (size_t)-1;
		expect_bad_nonce(platforms[i], &o);
	}
	/* 1 and 64 bytes pass the check: the row runs (and fails for want of a TEE, not of a nonce). */
	o = n->o;
	for (size_t len = 1; len <= AG_NONCE_MAX; len += AG_NONCE_MAX - 1) {
		big.len = len;
		o.nonce = &big;
		assert_int_equal(collect("tdx", &o, &e, &err), AG_EEVIDENCE);
		assert_non_null(strstr(err.msg, "no TDX guest interface"));
		assert_int_equal(e.nonce.len, len);
		assert_memory_equal(e.nonce.v, big.v, len);
		ag_evidence_clear(&e);
	}
	/* The two nonces the commands draw: 32 random bytes, and their 64-byte hex text. */
	assert_int_equal(ag_nonce_draw_text(&big, &err), AG_OK);
	assert_int_equal(big.len, 64);
	assert_int_equal(collect("sev-snp", &o, &e, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "no SEV-SNP guest interface"));
	ag_evidence_clear(&e);
}

/* A named platform runs its row without asking detect, and says what is missing. */
static void
test_named_platform(void **state)
{
	struct node *n = *state;
	struct ag_evidence e;
	struct ag_err err;
	char want[8400];

	assert_int_equal(collect("azure-cvm", &n->o, &e, &err), AG_EEVIDENCE);
	assert_string_equal(e.platform, "azure-cvm");
	assert_non_null(strstr(err.msg, "/missing/tpmrm0 does not exist"));
	ag_evidence_clear(&e);
	assert_int_equal(collect("tdx", &n->o, &e, &err), AG_EEVIDENCE);
	assert_string_equal(e.platform, "tdx");
	snprintf(want, sizeof(want), "no TDX guest interface: configfs-tsm (%s) does not exist", n->missing);
	assert_string_equal(err.msg, want);
	ag_evidence_clear(&e);
	snprintf(want, sizeof(want), "no SEV-SNP guest interface: neither configfs-tsm (%s) nor %s exists", n->missing,
	    n->missing);
	assert_int_equal(collect("sev-snp", &n->o, &e, &err), AG_EEVIDENCE);
	assert_string_equal(e.platform, "sev-snp");
	assert_string_equal(err.msg, want);
	ag_evidence_clear(&e);
	/* kata-cc without a UVM directory still asks the SNP interfaces. */
	assert_int_equal(collect("azure-kata-cc", &n->o, &e, &err), AG_EEVIDENCE);
	assert_string_equal(e.platform, "azure-kata-cc");
	assert_string_equal(err.msg, want);
	ag_evidence_clear(&e);
}

/* What `auto` chose: the platform the row that ran set; the code is the row's failure. */
static const char *
auto_choice(const struct ag_collect_opts *o, enum ag_code want)
{
	static char chosen[32];
	struct ag_evidence e;
	struct ag_err err;
	enum ag_code rc = collect("auto", o, &e, &err);

	if (rc != want)
		fail_msg("auto: %d \"%s\", expected %d", rc, err.msg, want);
	snprintf(chosen, sizeof(chosen), "%s", e.platform != NULL ? e.platform : "(none)");
	ag_evidence_clear(&e);
	return chosen;
}

static void
test_auto_order(void **state)
{
	struct node *n = *state;
	struct ag_collect_opts o = n->o;

	/* Everything: the vTPM first (/dev/null is there; it is no TPM, and that is the answer, not another row). */
	with_tsm(n, "tdx_guest\n");
	o.tsm_root = n->tsm;
	o.uvm_dir = n->uvm;
	o.sev_guest = n->sev_guest;
	o.tcti = "device:/dev/null";
	assert_string_equal(auto_choice(&o, AG_EEVIDENCE), "azure-cvm");
	/* A software TPM where nothing listens: still the vTPM, never a fallback. */
	o.tcti = "swtpm:path=/nonexistent/tpm.sock";
	assert_string_equal(auto_choice(&o, AG_EEVIDENCE), "azure-cvm");
	/* No vTPM: the UVM's security context. */
	o.tcti = n->tcti_missing;
	assert_string_equal(auto_choice(&o, AG_EEVIDENCE), "azure-kata-cc");
	/* ... named by the environment as well. */
	o.uvm_dir = NULL;
	setenv("UVM_SECURITY_CONTEXT_DIR", n->uvm, 1);
	assert_string_equal(auto_choice(&o, AG_EEVIDENCE), "azure-kata-cc");
	/* An empty name is no UVM: then configfs-tsm with the TDX provider. */
	setenv("UVM_SECURITY_CONTEXT_DIR", "", 1);
	assert_string_equal(auto_choice(&o, AG_EEVIDENCE), "tdx");
	unsetenv("UVM_SECURITY_CONTEXT_DIR");
	o.uvm_dir = "";
	assert_string_equal(auto_choice(&o, AG_EEVIDENCE), "tdx");
	/* configfs-tsm with the SEV provider, or of a provider nobody knows (collection names it). */
	fake_provider = "sev_guest\n";
	assert_string_equal(auto_choice(&o, AG_EEVIDENCE), "sev-snp");
	fake_provider = "arm_cca_guest\n";
	assert_string_equal(auto_choice(&o, AG_EEVIDENCE), "sev-snp");
	/* No configfs-tsm: the sev-guest device (a plain file here: no driver answers). */
	o.tsm_root = n->missing;
	assert_string_equal(auto_choice(&o, AG_EEVIDENCE), "sev-snp");
	assert_int_equal(tu_count_matching(n->tsm, "attestgate-"), 0);
}

/* Nothing present: AG_EEVIDENCE naming every place that was checked. */
static void
test_auto_nothing(void **state)
{
	struct node *n = *state;
	struct ag_evidence e;
	struct ag_err err;
	char want[12800];

	snprintf(want, sizeof(want), "no TEE evidence source found (checked: the vTPM %s, UVM_SECURITY_CONTEXT_DIR, "
	    "configfs-tsm %s, %s)", n->tcti_missing, n->missing, n->missing);
	assert_int_equal(collect("auto", &n->o, &e, &err), AG_EEVIDENCE);
	assert_string_equal(err.msg, want);
	assert_false(err.transient);
	assert_null(e.platform);
	assert_int_equal(e.n_files, 0);
	ag_evidence_clear(&e);
	/* Each detect says no. */
	assert_false(ag_platform_azure_cvm.detect(&n->o));
	assert_false(ag_platform_azure_kata_cc.detect(&n->o));
	assert_false(ag_platform_tdx.detect(&n->o));
	assert_false(ag_platform_sev_snp.detect(&n->o));
}

/*
 * An empty configfs-tsm root (a directory with no provider behind it, as a
 * kernel with configfs-tsm but no TEE driver has) is no TEE either: auto
 * must say so, not pick SEV-SNP and fail inside configfs.
 */
static void
test_auto_empty_tsm_root(void **state)
{
	struct node *n = *state;
	struct ag_collect_opts o = n->o;
	struct ag_evidence e;
	struct ag_err err;
	enum ag_code rc;
	char chosen[32];

	assert_int_equal(mkdir(n->tsm, 0755), 0);   /* no emulation: entries get no attributes */
	o.tsm_root = n->tsm;
	rc = collect("auto", &o, &e, &err);
	snprintf(chosen, sizeof(chosen), "%s", e.platform != NULL ? e.platform : "nothing");
	ag_evidence_clear(&e);
	assert_int_equal(tu_count_matching(n->tsm, "attestgate-"), 0);
	if (rc != AG_EEVIDENCE || strstr(err.msg, "no TEE evidence source found") == NULL)
		fail_msg("auto with an empty configfs-tsm root chose %s: %d \"%s\"", chosen, rc, err.msg);
}

/* The built-in defaults, named in the message, where this machine has none of them. */
static void
test_auto_defaults(void **state)
{
	struct node *n = *state;
	struct ag_collect_opts o = { .nonce = &n->nonce, .vmpl = -1, .deadline_ms = n->o.deadline_ms };
	struct ag_evidence e;
	struct ag_err err;

	if (access("/dev/tpmrm0", F_OK) == 0 || access(AG_TSM_DEFAULT_ROOT, F_OK) == 0 ||
	    access(AG_SEV_GUEST_DEFAULT_DEVICE, F_OK) == 0) {
		print_message("# skipped: this machine has a TPM or a TEE guest interface\n");
		skip();
	}
	assert_int_equal(collect("auto", &o, &e, &err), AG_EEVIDENCE);
	assert_string_equal(err.msg, "no TEE evidence source found (checked: the vTPM device:/dev/tpmrm0, "
	    "UVM_SECURITY_CONTEXT_DIR, configfs-tsm /sys/kernel/config/tsm/report, /dev/sev-guest)");
	ag_evidence_clear(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test_setup_teardown(test_unknown_platform, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonce_lengths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_platform, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_empty_tsm_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_defaults, setup, teardown),
	};

	return cmocka_run_group_tests_name("platform", tests, NULL, NULL);
}
