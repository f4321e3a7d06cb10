/*
 * k8s/policy_set.h - the policies installed in a directory (the mounted
 * ConfigMap), each pinned by the SHA-256 of its file: what the injector
 * writes into the gate's arguments.  A policy that does not parse stays
 * listed with its error; the directory's stat signature tells a reloader
 * when the ConfigMap changed.
 */
#ifndef AG_K8S_POLICY_SET_H
#define AG_K8S_POLICY_SET_H

#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"
#include "base/error.h"

#define AG_POLICY_SET_MAX 64
#define AG_POLICY_FILE_MAX (256 * 1024)

struct ag_policy_entry {
	char name[64];
	char sha256[AG_SHA256_HEX_LEN + 1];
	int cvm, kata;                  /* allows azure-cvm, azure-kata-cc */
	unsigned gpus;                  /* spec.gpus.count, 0 without spec.gpus */
	char error[256];                /* why it cannot be used ("" when it can) */
};

struct ag_policy_set {
	char dir[1024];
	char dir_error[256];            /* the directory could not be read ("" when it could) */
	struct ag_policy_entry e[AG_POLICY_SET_MAX];
	int n;
	uint8_t signature[32];          /* of the entries' names, sizes, times and inodes */
};

/* Loads every NAME.yaml of dir (NAME: a-z, 0-9, '-'); never fails for one bad file, which keeps its error. */
void ag_policy_set_load(const char *dir, struct ag_policy_set *set);

/* Nonzero when dir's files changed since set was loaded (a reload is due). */
int ag_policy_set_changed(const struct ag_policy_set *set);

/* ag_policy_digest_fn over a set (arg): the digest of a usable policy, else NULL. */
const char *ag_policy_set_digest(const char *name, void *arg);

/* ag_policy_allows_fn over a set (arg). */
int ag_policy_set_allows(const char *name, const char *platform, void *arg);

/* ag_policy_gpus_fn over a set (arg). */
unsigned ag_policy_set_gpus(const char *name, void *arg);

/* ag_policy_problem_fn over a set (arg): why name is not usable and which policies are installed. */
void ag_policy_set_problem(const char *name, char *out, size_t len, void *arg);

/* The usable policies' names, comma-separated, into out. */
void ag_policy_set_names(const struct ag_policy_set *set, char *out, size_t len);

#endif
