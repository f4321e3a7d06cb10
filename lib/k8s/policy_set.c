/*
 * k8s/policy_set.c - the installed policies of a directory with their
 * digests (see policy_set.h).  Names are sorted, so listings and the
 * signature do not depend on the directory's order.
 */
#include "k8s/policy_set.h"

#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "policy/policy.h"

/* The policy name of file f ("NAME.yaml"), into name; 0 when f is not one. */
static int
policy_name(const char *f, char name[64])
{
	size_t len = strlen(f);

	if (len <= 5 || len - 5 >= 64 || strcmp(f + len - 5, ".yaml") != 0)
		return 0;
	memcpy(name, f, len - 5);
	name[len - 5] = '\0';
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == len - 5;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ag_policy_entry *)a)->name, ((const struct ag_policy_entry *)b)->name);
}

/* The names of dir's policy files, sorted, into set (no more than AG_POLICY_SET_MAX: a dir_error then). */
static void
list_dir(struct ag_policy_set *set)
{
	DIR *d = opendir(set->dir);
	struct dirent *de;

	if (d == NULL) {
		snprintf(set->dir_error, sizeof(set->dir_error), "cannot read the policy directory %.200s", set->dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char name[64];

		if (de->d_name[0] == '.' || !policy_name(de->d_name, name))
			continue;
		if (set->n == AG_POLICY_SET_MAX) {
			snprintf(set->dir_error, sizeof(set->dir_error), "more than %d policies in %.200s", AG_POLICY_SET_MAX, set->dir);
			break;
		}
		snprintf(set->e[set->n++].name, sizeof(set->e[0].name), "%s", name);
	}
	closedir(d);
	qsort(set->e, (size_t)set->n, sizeof(set->e[0]), name_cmp);
}

/* The SHA-256 over the names, sizes, modification times and inodes of a listed set's files (symlinks followed). */
static void
signature(const struct ag_policy_set *listed, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 0;

	memset(out, 0, 32);
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return;
	}
	for (int i = 0; i < listed->n; i++) {
		char path[1200];
		int64_t v[4];

		snprintf(path, sizeof(path), "%s/%s.yaml", listed->dir, listed->e[i].name);
		ag_file_identity(path, v);
		EVP_DigestUpdate(md, listed->e[i].name, strlen(listed->e[i].name) + 1);
		EVP_DigestUpdate(md, v, sizeof(v));
	}
	EVP_DigestUpdate(md, listed->dir_error, strlen(listed->dir_error));
	EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
}

/* Reads, parses and digests one listed policy. */
static void
load_entry(const char *dir, struct ag_policy_entry *e)
{
	char path[1200];
	uint8_t *data = NULL;
	size_t len = 0;
	struct ag_policy *p = NULL;
	struct ag_err err;

	ag_err_clear(&err);
	snprintf(path, sizeof(path), "%s/%s.yaml", dir, e->name);
	if (ag_file_read(path, AG_POLICY_FILE_MAX, AG_ECONFIG, &data, &len, &err) != AG_OK ||
	    ag_policy_parse(data, len, path, &p, &err) != AG_OK) {
		snprintf(e->error, sizeof(e->error), "%s", err.msg);
		free(data);
		return;
	}
	e->cvm = ag_policy_allows_platform(p, "azure-cvm");
	e->kata = ag_policy_allows_platform(p, "azure-kata-cc");
	e->gpus = p->gpus.present ? p->gpus.count : 0;
	ag_sha256_hex(data, len, e->sha256);
	ag_policy_free(p);
	free(data);
}

void
ag_policy_set_load(const char *dir, struct ag_policy_set *set)
{
	memset(set, 0, sizeof(*set));
	snprintf(set->dir, sizeof(set->dir), "%s", dir);
	list_dir(set);
	signature(set, set->signature);   /* before the files are read: a change while loading shows next time */
	for (int i = 0; i < set->n; i++)
		load_entry(dir, &set->e[i]);
}

int
ag_policy_set_changed(const struct ag_policy_set *set)
{
	struct ag_policy_set *now = calloc(1, sizeof(*now));
	uint8_t sig[32];
	int changed;

	if (now == NULL)
		return 0;   /* out of memory: checked again at the next interval */
	snprintf(now->dir, sizeof(now->dir), "%s", set->dir);
	list_dir(now);
	signature(now, sig);
	changed = memcmp(sig, set->signature, sizeof(sig)) != 0;
	free(now);
	return changed;
}

static const struct ag_policy_entry *
find(const struct ag_policy_set *set, const char *name)
{
	for (int i = 0; i < set->n; i++)
		if (strcmp(set->e[i].name, name) == 0)
			return &set->e[i];
	return NULL;
}

const char *
ag_policy_set_digest(const char *name, void *arg)
{
	const struct ag_policy_entry *e = find(arg, name);

	return e != NULL && e->error[0] == '\0' ? e->sha256 : NULL;
}

int
ag_policy_set_allows(const char *name, const char *platform, void *arg)
{
	const struct ag_policy_entry *e = find(arg, name);

	if (e == NULL || e->error[0] != '\0')
		return 0;
	return strcmp(platform, "azure-kata-cc") == 0 ? e->kata : e->cvm;
}

unsigned
ag_policy_set_gpus(const char *name, void *arg)
{
	const struct ag_policy_entry *e = find(arg, name);

	return e != NULL && e->error[0] == '\0' ? e->gpus : 0;
}

void
ag_policy_set_names(const struct ag_policy_set *set, char *out, size_t len)
{
	size_t at = 0;

	out[0] = '\0';
	for (int i = 0; i < set->n && at < len; i++)
		if (set->e[i].error[0] == '\0')
			at += (size_t)snprintf(out + at, len - at, "%s%s", at > 0 ? ", " : "", set->e[i].name);
}

void
ag_policy_set_problem(const char *name, char *out, size_t len, void *arg)
{
	const struct ag_policy_set *set = arg;
	const struct ag_policy_entry *e = find(set, name);
	char names[512];

	ag_policy_set_names(set, names, sizeof(names));
	if (set->dir_error[0] != '\0')
		snprintf(out, len, "%s", set->dir_error);
	else if (e != NULL)
		snprintf(out, len, "it is installed but cannot be used: %s", e->error);
	else
		snprintf(out, len, "the installed policies are: %s", names[0] != '\0' ? names : "none");
}
