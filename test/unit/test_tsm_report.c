/*
 * test_tsm_report.c - lib/node/tsm_report.c against a configfs-tsm report
 * directory emulated in a temporary directory.  configfs makes an entry's
 * attributes when the entry is made, bumps `generation` on every write and
 * lets rmdir remove an entry with its attributes; a plain directory does
 * none of that, so this binary defines mkdir(), rmdir() and close() (which
 * the library's calls resolve to) and does those three things for entries
 * under the emulated root only, as test/emul/tee_emul.py does over FUSE.
 * Everything else goes to the real system calls.  Checked: the entry (made,
 * private, always removed), inblob and privlevel as written, outblob,
 * auxblob and provider as read, the generation retry, and the failures
 * (no root, a plain directory, no privlevel, empty or oversized blobs,
 * unreadable generation, a writer that never stops, rmdir refused).
 */
#include "testutil.h"

#include <errno.h>
#include <sys/syscall.h>

#include "node/tsm_report.h"
#include "fake_tsm.h"

/* --- the emulated configfs-tsm ------------------------------------------ */

static struct {
	char root[4096];           /* entries directly under it are emulated; "" turns the emulation off */
	const char *provider;      /* content of provider */
	const char *generation;    /* initial content of generation, or NULL for "0\n"; "-" for no attribute */
	size_t outblob_len;        /* the report: 'R', the privlevel digit, the inblob, then filler */
	int no_outblob, privlevel_attr;
	long auxblob_len;          /* -1: no auxblob attribute */
	int conflicts;             /* reports still to be followed by another writer's generation bump */
	int refuse_rmdir;
	/* What the library did. */
	uint8_t inblob[64];
	size_t inblob_len;
	char privlevel[16], entry[4096];
	mode_t entry_mode;
	int mkdirs, rmdirs, writes;
} fake;

static void
fake_reset(const char *root)
{
	memset(&fake, 0, sizeof(fake));
	if (root != NULL)
		snprintf(fake.root, sizeof(fake.root), "%s", root);
	fake.provider = "sev_guest\n";
	fake.outblob_len = 1184;
	fake.auxblob_len = 3000;
	fake.privlevel_attr = 1;
}

static void
make_attrs(const char *dir)
{
	uint8_t *aux;

	fake_tsm_put(dir, "inblob", "", 0);
	fake_tsm_put(dir, "outblob", "", 0);
	fake_tsm_put(dir, "provider", fake.provider, strlen(fake.provider));
	if (fake.generation == NULL || strcmp(fake.generation, "-") != 0)
		fake_tsm_put(dir, "generation", fake.generation != NULL ? fake.generation : "0\n",
		    strlen(fake.generation != NULL ? fake.generation : "0\n"));
	if (fake.privlevel_attr)
		fake_tsm_put(dir, "privlevel", "", 0);
	if (fake.no_outblob) {
		char path[8192];

		snprintf(path, sizeof(path), "%s/outblob", dir);
		unlink(path);
	}
	if (fake.auxblob_len >= 0) {
		aux = malloc((size_t)fake.auxblob_len + 1);
		assert_non_null(aux);
		for (long i = 0; i < fake.auxblob_len; i++)
			aux[i] = (uint8_t)(i * 3);
		fake_tsm_put(dir, "auxblob", aux, (size_t)fake.auxblob_len);
		free(aux);
	}
}

int
mkdir(const char *path, mode_t mode)
{
	int r = (int)syscall(SYS_mkdirat, AT_FDCWD, path, mode);

	if (r == 0 && fake_tsm_is_entry(fake.root, path)) {
		struct stat st;

		fake.mkdirs++;
		snprintf(fake.entry, sizeof(fake.entry), "%s", path);
		fake.entry_mode = stat(path, &st) == 0 ? st.st_mode & 07777 : 0;
		make_attrs(path);
	}
	return r;
}

int
rmdir(const char *path)
{
	if (fake_tsm_is_entry(fake.root, path)) {
		fake.rmdirs++;
		if (fake.refuse_rmdir) {
			errno = EBUSY;
			return -1;
		}
		fake_tsm_empty(path);
	}
	return (int)syscall(SYS_unlinkat, AT_FDCWD, path, AT_REMOVEDIR);
}

/* After a write to dir/name has been closed: bump generation, and make the report for a new inblob. */
static void
written(const char *dir, const char *name)
{
	long long extra = 0;

	fake.writes++;
	/* Another writer touches the entry once per report made. */
	if (strcmp(name, "inblob") == 0 && fake.conflicts > 0) {
		fake.conflicts--;
		extra = 1;
	}
	fake_tsm_bump(dir, extra);
	if (strcmp(name, "privlevel") == 0) {
		memset(fake.privlevel, 0, sizeof(fake.privlevel));
		fake_tsm_get(dir, name, fake.privlevel, sizeof(fake.privlevel) - 1);
	} else if (!fake.no_outblob) {
		uint8_t *report = calloc(1, fake.outblob_len + 1);

		assert_non_null(report);
		fake.inblob_len = fake_tsm_get(dir, name, fake.inblob, sizeof(fake.inblob));
		if (fake.outblob_len >= 2 + 64) {
			report[0] = 'R';
			report[1] = (uint8_t)(fake.privlevel[0] != '\0' ? fake.privlevel[0] : '-');
			memcpy(report + 2, fake.inblob, 64);
			memset(report + 66, 0xee, fake.outblob_len - 66);
		}
		fake_tsm_put(dir, "outblob", report, fake.outblob_len);
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

/* --- tests --------------------------------------------------------------- */

struct env {
	char *dir, *root;
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->dir = tu_mkdtemp();
	e->root = tu_path(e->dir, "report");
	assert_int_equal(mkdir(e->root, 0755), 0);
	fake_reset(e->root);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	fake_reset(NULL);
	tu_rmtree(e->root);
	tu_rmtree(e->dir);
	free(e->root);
	free(e->dir);
	free(e);
	return 0;
}

/* Nothing is left under root. */
static void
assert_empty(const char *root)
{
	assert_int_equal(tu_count_matching(root, "attestgate-"), 0);
}

static void
inblob_of(uint8_t in[AG_TSM_INBLOB_LEN], uint8_t seed)
{
	for (int i = 0; i < AG_TSM_INBLOB_LEN; i++)
		in[i] = (uint8_t)(seed + 5 * i);
}

static void
test_available(void **state)
{
	struct env *e = *state;
	char *file = tu_path(e->dir, "file"), *missing = tu_path(e->dir, "missing");

	tu_write(e->dir, "file", "x");
	assert_true(ag_tsm_available(e->root));
	assert_false(ag_tsm_available(file));
	assert_false(ag_tsm_available(missing));
	assert_false(ag_tsm_available("/nonexistent/sys/kernel/config/tsm/report"));
	free(file);
	free(missing);
}

static void
test_report_sev_guest(void **state)
{
	struct env *e = *state;
	uint8_t in[AG_TSM_INBLOB_LEN];
	struct ag_tsm_report r;
	struct ag_err err;
	char prefix[64];

	inblob_of(in, 7);
	assert_int_equal(ag_tsm_report_get(e->root, in, 2, &r, &err), AG_OK);
	/* The report made for this inblob and privlevel. */
	assert_int_equal(r.outblob_len, 1184);
	assert_int_equal(r.outblob[0], 'R');
	assert_int_equal(r.outblob[1], '2');
	assert_memory_equal(r.outblob + 2, in, 64);
	assert_int_equal(r.outblob[1183], 0xee);
	assert_int_equal(r.auxblob_len, 3000);
	assert_int_equal(r.auxblob[2999], (uint8_t)(2999 * 3));
	assert_string_equal(r.provider, "sev_guest");
	/* What was written: the inblob whole, the privlevel as decimal text. */
	assert_int_equal(fake.inblob_len, 64);
	assert_memory_equal(fake.inblob, in, 64);
	assert_string_equal(fake.privlevel, "2\n");
	/* One private entry, named for this process, removed after. */
	assert_int_equal(fake.mkdirs, 1);
	assert_int_equal(fake.rmdirs, 1);
	assert_int_equal(fake.entry_mode & 0077, 0);
	snprintf(prefix, sizeof(prefix), "/attestgate-%ld-", (long)getpid());
	assert_non_null(strstr(fake.entry, prefix));
	assert_int_equal(strspn(strstr(fake.entry, prefix) + strlen(prefix), "0123456789abcdef"), 16);
	assert_empty(e->root);
	ag_tsm_report_clear(&r);
	assert_null(r.outblob);
	assert_null(r.auxblob);
	assert_int_equal(r.outblob_len, 0);
}

static void
test_report_tdx_guest(void **state)
{
	struct env *e = *state;
	uint8_t in[AG_TSM_INBLOB_LEN];
	struct ag_tsm_report r;
	struct ag_err err;

	/* A TDX guest: no privlevel, no auxblob; privlevel -1 writes none. */
	fake.provider = "tdx_guest\n";
	fake.privlevel_attr = 0;
	fake.auxblob_len = -1;
	fake.outblob_len = 5006;
	inblob_of(in, 0xc0);
	assert_int_equal(ag_tsm_report_get(e->root, in, -1, &r, &err), AG_OK);
	assert_int_equal(r.outblob_len, 5006);
	assert_int_equal(r.outblob[1], '-');
	assert_memory_equal(r.outblob + 2, in, 64);
	assert_null(r.auxblob);
	assert_int_equal(r.auxblob_len, 0);
	assert_string_equal(r.provider, "tdx_guest");
	assert_int_equal(fake.writes, 1);
	assert_empty(e->root);
	ag_tsm_report_clear(&r);
	/* An empty auxblob is no auxblob. */
	fake.auxblob_len = 0;
	assert_int_equal(ag_tsm_report_get(e->root, in, -1, &r, &err), AG_OK);
	assert_null(r.auxblob);
	ag_tsm_report_clear(&r);
	/* privlevel asked where the provider has none. */
	assert_int_equal(ag_tsm_report_get(e->root, in, 0, &r, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "cannot set privlevel 0"));
	assert_null(r.outblob);
	assert_empty(e->root);
}

static void
test_generation_retry(void **state)
{
	struct env *e = *state;
	uint8_t in[AG_TSM_INBLOB_LEN];
	struct ag_tsm_report r;
	struct ag_err err;

	inblob_of(in, 1);
	/* Another writer touches the entry twice: the third attempt is clean. */
	fake.conflicts = 2;
	assert_int_equal(ag_tsm_report_get(e->root, in, 1, &r, &err), AG_OK);
	assert_int_equal(fake.conflicts, 0);
	assert_int_equal(fake.writes, 6);
	assert_memory_equal(r.outblob + 2, in, 64);
	assert_int_equal(fake.rmdirs, 1);
	ag_tsm_report_clear(&r);
	/* A writer that never stops: three attempts, then an error; nothing kept, nothing left. */
	fake_reset(e->root);
	fake.conflicts = 100;
	assert_int_equal(ag_tsm_report_get(e->root, in, 1, &r, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "another writer kept changing the report entry (3 attempts)"));
	assert_int_equal(fake.writes, 6);
	assert_null(r.outblob);
	assert_null(r.auxblob);
	assert_int_equal(fake.rmdirs, 1);
	assert_empty(e->root);
}

static void
expect_fail(struct env *e, int privlevel, const char *why)
{
	uint8_t in[AG_TSM_INBLOB_LEN];
	struct ag_tsm_report r;
	struct ag_err err;

	inblob_of(in, 3);
	ag_err_clear(&err);
	assert_int_equal(ag_tsm_report_get(e->root, in, privlevel, &r, &err), AG_EEVIDENCE);
	if (strstr(err.msg, why) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, why);
	assert_null(r.outblob);
	assert_null(r.auxblob);
	assert_int_equal(r.outblob_len, 0);
	assert_int_equal(fake.mkdirs, fake.rmdirs);
	assert_empty(e->root);
}

static void
test_blobs(void **state)
{
	struct env *e = *state;
	uint8_t in[AG_TSM_INBLOB_LEN];
	struct ag_tsm_report r;
	struct ag_err err;

	fake.outblob_len = 0;
	expect_fail(e, 0, "the provider gave no report (outblob): empty");
	fake_reset(e->root);
	fake.no_outblob = 1;
	expect_fail(e, 0, "the provider gave no report (outblob): No such file");
	/* Blob sizes are not trusted: AG_TSM_BLOB_MAX is read, one byte more is refused. */
	fake_reset(e->root);
	fake.outblob_len = AG_TSM_BLOB_MAX;
	inblob_of(in, 9);
	assert_int_equal(ag_tsm_report_get(e->root, in, 0, &r, &err), AG_OK);
	assert_int_equal(r.outblob_len, AG_TSM_BLOB_MAX);
	ag_tsm_report_clear(&r);
	fake.outblob_len = AG_TSM_BLOB_MAX + 1;
	expect_fail(e, 0, "(outblob): File too large");
	fake_reset(e->root);
	fake.auxblob_len = AG_TSM_BLOB_MAX + 1;
	expect_fail(e, 0, "cannot read auxblob: File too large");
	/* A provider name longer than the struct holds. */
	fake_reset(e->root);
	fake.provider = "a_provider_name_longer_than_31_bytes\n";
	expect_fail(e, 0, "cannot read provider");
}

static void
test_generation_unreadable(void **state)
{
	struct env *e = *state;

	fake.generation = "-";
	expect_fail(e, 0, "has no readable generation");
	fake_reset(e->root);
	fake.generation = "not a number\n";
	expect_fail(e, 0, "has no readable generation");
	fake_reset(e->root);
	fake.generation = "-5\n";
	expect_fail(e, 0, "has no readable generation");
	fake_reset(e->root);
	fake.generation = "123456789012345678901234567890123\n";   /* longer than 31 bytes */
	expect_fail(e, 0, "has no readable generation");
}

static void
test_rmdir_refused(void **state)
{
	struct env *e = *state;
	uint8_t in[AG_TSM_INBLOB_LEN];
	struct ag_tsm_report r;
	struct ag_err err;

	fake.refuse_rmdir = 1;
	inblob_of(in, 5);
	assert_int_equal(ag_tsm_report_get(e->root, in, 0, &r, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "cannot remove the report entry"));
	assert_non_null(strstr(err.msg, "Device or resource busy"));
	assert_null(r.outblob);
	assert_int_equal(fake.rmdirs, 1);
	fake.refuse_rmdir = 0;
}

/* Without configfs behind it: a missing root, a file, a plain directory. */
static void
test_no_configfs(void **state)
{
	struct env *e = *state;
	char *missing = tu_path(e->dir, "missing"), *file = tu_path(e->dir, "file"), *plain = tu_path(e->dir, "plain");
	uint8_t in[AG_TSM_INBLOB_LEN];
	struct ag_tsm_report r;
	struct ag_err err;

	inblob_of(in, 0);
	assert_int_equal(ag_tsm_report_get(missing, in, 0, &r, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "cannot create a report entry in"));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_null(r.outblob);
	tu_write(e->dir, "file", "x");
	assert_int_equal(ag_tsm_report_get(file, in, 0, &r, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "Not a directory"));
	/* A plain directory: the entry is made but has no attributes; it is removed again. */
	assert_int_equal(mkdir(plain, 0755), 0);
	assert_int_equal(ag_tsm_report_get(plain, in, 0, &r, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "has no readable generation: No such file or directory"));
	assert_empty(plain);
	assert_int_equal(fake.mkdirs, 0);
	rmdir(plain);
	free(missing);
	free(file);
	free(plain);
}

static void
test_provider(void **state)
{
	struct env *e = *state;
	char *plain = tu_path(e->dir, "plain"), out[32], small[5];

	assert_int_equal(ag_tsm_provider(e->root, out, sizeof(out)), 0);
	assert_string_equal(out, "sev_guest");
	assert_int_equal(fake.mkdirs, 1);
	assert_int_equal(fake.rmdirs, 1);
	assert_empty(e->root);
	fake.provider = "tdx_guest";   /* without a newline */
	assert_int_equal(ag_tsm_provider(e->root, out, sizeof(out)), 0);
	assert_string_equal(out, "tdx_guest");
	/* Longer than the caller's buffer: unreadable, not cut. */
	assert_int_equal(ag_tsm_provider(e->root, small, sizeof(small)), -1);
	assert_int_equal(ag_tsm_provider(e->root, small, 0), -1);
	assert_empty(e->root);
	assert_int_equal(fake.mkdirs, fake.rmdirs);
	assert_int_equal(ag_tsm_provider(plain, out, sizeof(out)), -1);
	assert_int_equal(mkdir(plain, 0755), 0);
	assert_int_equal(ag_tsm_provider(plain, out, sizeof(out)), -1);
	assert_empty(plain);
	rmdir(plain);
	free(plain);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_available, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_sev_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_tdx_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rmdir_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_configfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_provider, setup, teardown),
	};

	return cmocka_run_group_tests_name("tsm_report", tests, NULL, NULL);
}
