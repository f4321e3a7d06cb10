/*
 * test_policy_set.c - lib/k8s/policy_set.c: the policies installed in a
 * directory (the mounted ConfigMap).  Only NAME.yaml files with a plain
 * name count (hidden, other extensions and bad names are not listed); each
 * is pinned by the SHA-256 of its bytes and says which platforms it
 * allows; a broken one stays listed with its error; the problem texts
 * (not installed: the installed names; broken: why; the directory
 * missing); the listing; the change signature after a kubelet-style
 * ..data symlink swap, an added and a removed file.
 */
#include "standin.h"

#include "base/digest.h"
#include "k8s/policy_set.h"

#define KATA_AND_CVM \
	"apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata:\n  name: both\nspec:\n" \
	"  platforms: [azure-cvm, azure-kata-cc]\n  verifier:\n    type: maa\n    url: https://x.attest.azure.net\n" \
	"  require:\n    - claim: /x\n      exists: true\n"

/* deploy/policies/NAME.yaml as a new string (its length in *len). */
static char *
builtin(const char *name, size_t *len)
{
	char dir[4096], file[128];
	char *text;

	snprintf(dir, sizeof(dir), "%s/deploy/policies", si_repo());
	snprintf(file, sizeof(file), "%s.yaml", name);
	text = tu_read(dir, file, len);
	if (text == NULL)
		fail_msg("%s/%s is missing: run from the repository or set AG_REPO", dir, file);
	return text;
}

/* Writes deploy/policies/NAME.yaml into dir as file. */
static void
copy_builtin(const char *dir, const char *name, const char *file)
{
	char *text = builtin(name, NULL);

	tu_write(dir, file, text);
	free(text);
}

/* The SHA-256 (hex) of dir/file's bytes, into out. */
static void
sha_of(const char *dir, const char *file, char out[AG_SHA256_HEX_LEN + 1])
{
	size_t len = 0;
	char *text = tu_read(dir, file, &len);

	assert_non_null(text);
	assert_int_equal(ag_sha256_hex(text, len, out), 0);
	free(text);
}

static const struct ag_policy_entry *
entry(const struct ag_policy_set *set, const char *name)
{
	for (int i = 0; i < set->n; i++)
		if (strcmp(set->e[i].name, name) == 0)
			return &set->e[i];
	return NULL;
}

/* A directory as a ConfigMap's, with every kind of file that is not a policy next to the policies. */
static char *
mixed_dir(void)
{
	char *dir = tu_mkdtemp(), longname[128];

	copy_builtin(dir, "azure-cvm", "azure-cvm.yaml");
	copy_builtin(dir, "azure-kata-cc", "azure-kata-cc.yaml");
	tu_write(dir, "both.yaml", KATA_AND_CVM);
	tu_write(dir, "broken.yaml", "apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nspec: [\n");
	tu_write(dir, "README.md", "not a policy\n");
	tu_write(dir, "other.yml", KATA_AND_CVM);
	tu_write(dir, ".hidden.yaml", KATA_AND_CVM);
	tu_write(dir, "Upper.yaml", KATA_AND_CVM);
	tu_write(dir, "under_score.yaml", KATA_AND_CVM);
	tu_write(dir, "dot.ted.yaml", KATA_AND_CVM);
	tu_write(dir, ".yaml", KATA_AND_CVM);
	memset(longname, 'a', 64);
	snprintf(longname + 64, sizeof(longname) - 64, ".yaml");   /* a 64-character name does not fit */
	tu_write(dir, longname, KATA_AND_CVM);
	return dir;
}

static void
test_load_lists_only_policies(void **state)
{
	char *dir = mixed_dir();
	struct ag_policy_set *set = malloc(sizeof(*set));

	(void)state;
	assert_non_null(set);
	ag_policy_set_load(dir, set);
	assert_string_equal(set->dir, dir);
	assert_string_equal(set->dir_error, "");
	assert_int_equal(set->n, 4);
	/* Sorted by name, whatever the directory's order. */
	assert_string_equal(set->e[0].name, "azure-cvm");
	assert_string_equal(set->e[1].name, "azure-kata-cc");
	assert_string_equal(set->e[2].name, "both");
	assert_string_equal(set->e[3].name, "broken");
	assert_null(entry(set, "Upper"));
	assert_null(entry(set, "other"));
	assert_null(entry(set, "hidden"));
	assert_null(entry(set, ".hidden"));
	free(set);
	tu_rmtree(dir);
	free(dir);
}

/* Each usable policy: the SHA-256 of its file's bytes, the platforms it allows; the broken one: why, no digest. */
static void
test_digests_and_allows(void **state)
{
	char *dir = mixed_dir(), want[AG_SHA256_HEX_LEN + 1];
	struct ag_policy_set *set = malloc(sizeof(*set));
	const struct ag_policy_entry *cvm, *kata, *both, *broken;

	(void)state;
	assert_non_null(set);
	ag_policy_set_load(dir, set);
	cvm = entry(set, "azure-cvm");
	kata = entry(set, "azure-kata-cc");
	both = entry(set, "both");
	broken = entry(set, "broken");
	assert_non_null(cvm);
	assert_non_null(kata);
	assert_non_null(both);
	assert_non_null(broken);
	sha_of(dir, "azure-cvm.yaml", want);
	assert_string_equal(cvm->sha256, want);
	assert_string_equal(ag_policy_set_digest("azure-cvm", set), want);
	sha_of(dir, "azure-kata-cc.yaml", want);
	assert_string_equal(kata->sha256, want);
	assert_string_equal(ag_policy_set_digest("azure-kata-cc", set), want);
	sha_of(dir, "both.yaml", want);
	assert_string_equal(ag_policy_set_digest("both", set), want);
	assert_string_equal(cvm->error, "");
	assert_true(cvm->cvm);
	assert_false(cvm->kata);
	assert_false(kata->cvm);
	assert_true(kata->kata);
	assert_true(both->cvm && both->kata);
	assert_true(ag_policy_set_allows("azure-cvm", "azure-cvm", set));
	assert_false(ag_policy_set_allows("azure-cvm", "azure-kata-cc", set));
	assert_true(ag_policy_set_allows("azure-kata-cc", "azure-kata-cc", set));
	assert_false(ag_policy_set_allows("azure-kata-cc", "azure-cvm", set));
	assert_true(ag_policy_set_allows("both", "azure-kata-cc", set));
	assert_true(ag_policy_set_allows("both", "azure-cvm", set));
	/* Broken and unknown policies: no digest, allow nothing. */
	assert_string_not_equal(broken->error, "");
	assert_string_equal(broken->sha256, "");
	assert_null(ag_policy_set_digest("broken", set));
	assert_false(ag_policy_set_allows("broken", "azure-cvm", set));
	assert_null(ag_policy_set_digest("nope", set));
	assert_false(ag_policy_set_allows("nope", "azure-cvm", set));
	assert_null(ag_policy_set_digest("Upper", set));
	free(set);
	tu_rmtree(dir);
	free(dir);
}

static void
test_problem_texts(void **state)
{
	char *dir = mixed_dir(), out[1024], *missing = tu_path(dir, "gone");
	struct ag_policy_set *set = malloc(sizeof(*set));

	(void)state;
	assert_non_null(set);
	ag_policy_set_load(dir, set);
	ag_policy_set_problem("nope", out, sizeof(out), set);
	assert_string_equal(out, "the installed policies are: azure-cvm, azure-kata-cc, both");
	ag_policy_set_problem("broken", out, sizeof(out), set);
	assert_non_null(strstr(out, "it is installed but cannot be used: "));
	assert_non_null(strstr(out, set->e[3].error));
	assert_non_null(strstr(out, "broken.yaml"));   /* the parser's message names the file */
	/* A small buffer: cut, still a string. */
	ag_policy_set_problem("nope", out, 12, set);
	assert_string_equal(out, "the install");
	/* The directory is missing: that, whatever the name. */
	ag_policy_set_load(missing, set);
	assert_int_equal(set->n, 0);
	assert_non_null(strstr(set->dir_error, "cannot read the policy directory"));
	assert_non_null(strstr(set->dir_error, missing));
	ag_policy_set_problem("azure-cvm", out, sizeof(out), set);
	assert_string_equal(out, set->dir_error);
	assert_null(ag_policy_set_digest("azure-cvm", set));
	/* An empty directory. */
	assert_int_equal(mkdir(missing, 0700), 0);
	ag_policy_set_load(missing, set);
	assert_string_equal(set->dir_error, "");
	ag_policy_set_problem("azure-cvm", out, sizeof(out), set);
	assert_string_equal(out, "the installed policies are: none");
	free(set);
	free(missing);
	tu_rmtree(dir);
	free(dir);
}

static void
test_names(void **state)
{
	char *dir = mixed_dir(), out[256];
	struct ag_policy_set *set = malloc(sizeof(*set));

	(void)state;
	assert_non_null(set);
	ag_policy_set_load(dir, set);
	ag_policy_set_names(set, out, sizeof(out));
	assert_string_equal(out, "azure-cvm, azure-kata-cc, both");   /* not the broken one */
	ag_policy_set_names(set, out, 14);
	assert_string_equal(out, "azure-cvm, az");
	ag_policy_set_names(set, out, 5);
	assert_string_equal(out, "azur");
	ag_policy_set_names(set, out, 1);
	assert_string_equal(out, "");
	memset(set, 0, sizeof(*set));
	ag_policy_set_names(set, out, sizeof(out));
	assert_string_equal(out, "");
	free(set);
	tu_rmtree(dir);
	free(dir);
}

/* A file larger than AG_POLICY_FILE_MAX stays listed with its error; more than AG_POLICY_SET_MAX files: a dir_error. */
static void
test_limits(void **state)
{
	char *dir = tu_mkdtemp(), *big = malloc(AG_POLICY_FILE_MAX + 2), out[512];
	struct ag_policy_set *set = malloc(sizeof(*set));

	(void)state;
	assert_non_null(big);
	assert_non_null(set);
	memset(big, '#', AG_POLICY_FILE_MAX + 1);
	big[AG_POLICY_FILE_MAX + 1] = '\0';
	tu_write(dir, "big.yaml", big);
	ag_policy_set_load(dir, set);
	assert_int_equal(set->n, 1);
	assert_string_not_equal(set->e[0].error, "");
	assert_null(ag_policy_set_digest("big", set));
	for (int i = 0; i < AG_POLICY_SET_MAX + 1; i++) {
		char name[32];

		snprintf(name, sizeof(name), "p%02d.yaml", i);
		tu_write(dir, name, KATA_AND_CVM);
	}
	ag_policy_set_load(dir, set);
	assert_int_equal(set->n, AG_POLICY_SET_MAX);
	assert_non_null(strstr(set->dir_error, "more than 64 policies"));
	ag_policy_set_problem("p00", out, sizeof(out), set);
	assert_string_equal(out, set->dir_error);
	free(big);
	free(set);
	tu_rmtree(dir);
	free(dir);
}

/* --- the change signature ------------------------------------------------------------------------- */

/* The kubelet's layout of a ConfigMap volume: dir/..TS/NAME.yaml, dir/..data -> ..TS, dir/NAME.yaml -> ..data/NAME.yaml. */
static void
kubelet_publish(const char *dir, const char *ts, const char *file, const char *text)
{
	char *tsdir = tu_path(dir, ts), *tmp = tu_path(dir, "..data_tmp"), *data = tu_path(dir, "..data");
	char *link = tu_path(dir, file), target[256];

	assert_int_equal(mkdir(tsdir, 0755), 0);
	tu_write(tsdir, file, text);
	assert_int_equal(symlink(ts, tmp), 0);
	assert_int_equal(rename(tmp, data), 0);   /* the atomic swap */
	snprintf(target, sizeof(target), "..data/%s", file);
	if (symlink(target, link) != 0)
		assert_int_equal(errno, EEXIST);
	free(tsdir);
	free(tmp);
	free(data);
	free(link);
}

static void
test_changed_after_symlink_swap(void **state)
{
	static const char *const ts[] = { "..2024_01_01_00_00_00.1", "..2024_01_01_00_01_00.2", NULL };
	char *dir = tu_mkdtemp(), *cvm = builtin("azure-cvm", NULL), *edited, first[AG_SHA256_HEX_LEN + 1];
	struct ag_policy_set *set = malloc(sizeof(*set));

	(void)state;
	assert_non_null(set);
	kubelet_publish(dir, ts[0], "azure-cvm.yaml", cvm);
	ag_policy_set_load(dir, set);
	assert_int_equal(set->n, 1);   /* ..data and ..TS are hidden */
	assert_string_equal(set->e[0].error, "");
	snprintf(first, sizeof(first), "%s", set->e[0].sha256);
	assert_false(ag_policy_set_changed(set));
	assert_false(ag_policy_set_changed(set));
	/* The same size, the same second: the new file still differs (inode). */
	edited = strdup(cvm);
	assert_non_null(edited);
	edited[strlen(edited) - 2] = edited[strlen(edited) - 2] == 'x' ? 'y' : 'x';
	kubelet_publish(dir, ts[1], "azure-cvm.yaml", edited);
	assert_true(ag_policy_set_changed(set));
	ag_policy_set_load(dir, set);
	assert_false(ag_policy_set_changed(set));
	assert_string_not_equal(set->e[0].sha256, first);
	free(cvm);
	free(edited);
	free(set);
	tu_rmtree(dir);
	free(dir);
}

static void
test_changed_after_add_and_remove(void **state)
{
	char *dir = tu_mkdtemp(), *file;
	struct ag_policy_set *set = malloc(sizeof(*set));

	(void)state;
	assert_non_null(set);
	copy_builtin(dir, "azure-cvm", "azure-cvm.yaml");
	ag_policy_set_load(dir, set);
	assert_false(ag_policy_set_changed(set));
	/* A file that is not a policy does not count. */
	tu_write(dir, "notes.txt", "x");
	tu_write(dir, ".hidden.yaml", "x");
	assert_false(ag_policy_set_changed(set));
	copy_builtin(dir, "azure-kata-cc", "azure-kata-cc.yaml");
	assert_true(ag_policy_set_changed(set));
	ag_policy_set_load(dir, set);
	assert_int_equal(set->n, 2);
	assert_false(ag_policy_set_changed(set));
	file = tu_path(dir, "azure-kata-cc.yaml");
	assert_int_equal(unlink(file), 0);
	assert_true(ag_policy_set_changed(set));
	ag_policy_set_load(dir, set);
	assert_int_equal(set->n, 1);
	/* The directory goes away, then comes back. */
	tu_rmtree(dir);
	assert_true(ag_policy_set_changed(set));
	ag_policy_set_load(dir, set);
	assert_string_not_equal(set->dir_error, "");
	assert_false(ag_policy_set_changed(set));
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_true(ag_policy_set_changed(set));
	free(file);
	free(set);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_lists_only_policies),
		cmocka_unit_test(test_digests_and_allows),
		cmocka_unit_test(test_problem_texts),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_changed_after_symlink_swap),
		cmocka_unit_test(test_changed_after_add_and_remove),
	};

	return cmocka_run_group_tests_name("policy_set", tests, NULL, NULL);
}
