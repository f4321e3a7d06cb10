/*
 * k8s/inject.h - adds the gate to the pod templates of Kubernetes YAML
 * (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob;
 * multi-document) by inserting text at positions libyaml reports, so that
 * everything else, comments included, stays byte for byte.  Idempotent: a
 * template already marked attestgate.io/status: injected is left alone.
 */
#ifndef AG_K8S_INJECT_H
#define AG_K8S_INJECT_H

#include <stddef.h>

#include "base/error.h"

#define AG_INJECT_INPUT_MAX (4 * 1024 * 1024)

/* Looks up the SHA-256 (hex) of policy name; NULL when it is not known. */
typedef const char *(*ag_policy_digest_fn)(const char *name, void *arg);

/* Nonzero when policy name (already looked up) allows platform ("azure-cvm", "azure-kata-cc"). */
typedef int (*ag_policy_allows_fn)(const char *name, const char *platform, void *arg);

enum ag_inject_mode {
	AG_INJECT_ADD = 0,              /* add the gate (the default) */
	AG_INJECT_UPDATE,               /* add it, and rewrite a gate whose image or digest is stale (--update) */
	AG_INJECT_REMOVE,               /* take every gate out (--remove) */
	AG_INJECT_REPLACE_STALE,        /* internal: the first pass of AG_INJECT_UPDATE */
};

struct ag_inject_opts {
	enum ag_inject_mode mode;
	const char *image;              /* the attestgate image */
	const char *default_policy;     /* for templates without attestgate.io/policy; may be NULL */
	int all;                        /* inject into every template, not only attestgate.io/inject: "true" */
	const char *tpm_access;         /* "privileged", "devicePlugin" or "none" (kata-cc templates: always none) */
	const char *device_plugin_resource;
	const char *os_distro, *os_version; /* the node's OS as flags instead of an /etc/os-release hostPath, or NULL */
	ag_policy_digest_fn digest;
	ag_policy_allows_fn allows;     /* NULL: not checked */
	void *digest_arg;               /* passed to digest and allows */
};

struct ag_inject_result {
	char *text;                     /* the output, NUL-terminated */
	size_t len;
	unsigned injected, already, skipped;   /* templates changed, already injected, left out */
	unsigned asked;                 /* attestgate.io/inject: "true" annotations seen anywhere */
	unsigned updated, removed;      /* stale gates rewritten (--update), gates taken out (--remove) */
};

/* Injects into the YAML in (len bytes); AG_ECONFIG with the reason (and the line) when it cannot. */
enum ag_code ag_inject(const char *in, size_t len, const struct ag_inject_opts *o, struct ag_inject_result *res,
    struct ag_err *err);

/* Frees a result. */
void ag_inject_result_clear(struct ag_inject_result *res);

#endif
