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
#include "k8s/gate_plan.h"

#define AG_INJECT_INPUT_MAX (4 * 1024 * 1024)

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
