/*
 * k8s/gate_plan.h - the one decision of what the gate is for a pod template:
 * from its annotations, its runtime class and the injector's settings,
 * whether it gets the gate, and exactly which init container, volumes and
 * mounts (as JSON).  `attestgate inject` writes a plan into YAML text, the
 * admission webhook into a JSONPatch, so both inject the same thing.
 */
#ifndef AG_K8S_GATE_PLAN_H
#define AG_K8S_GATE_PLAN_H

#include <jansson.h>
#include <stddef.h>

#include "base/error.h"

/* The pod's group when it has none: the gate's, so the app can read the 0440 token. */
#define AG_GATE_FS_GROUP 65532
/* Where a kata-cc UVM keeps its security context (Microsoft's samples mount reference-info-base64 from it). */
#define AG_KATA_UVM_DIR "/opt/confidential-containers/share/kata-containers"
#define AG_KATA_AGENT_POLICY_ANNOTATION "io.katacontainers.config.agent.policy"

/* Looks up the SHA-256 (hex) of policy name; NULL when it is not known. */
typedef const char *(*ag_policy_digest_fn)(const char *name, void *arg);

/* Nonzero when policy name (already looked up) allows platform ("azure-cvm", "azure-kata-cc"). */
typedef int (*ag_policy_allows_fn)(const char *name, const char *platform, void *arg);

/* How many NVIDIA GPUs policy name (already looked up) attests (spec.gpus.count), 0 when none. */
typedef unsigned (*ag_policy_gpus_fn)(const char *name, void *arg);

/* The GPU resource the gate asks for when its policy attests GPUs (the NVIDIA device plugin's). */
#define AG_GPU_RESOURCE_DEFAULT "nvidia.com/gpu"
/* The image for GPU pods when none is given: the gate image's tag with this suffix (make image builds both). */
#define AG_GPU_IMAGE_SUFFIX "-nvidia"

/* Writes why policy name cannot be used (not installed, does not parse) and what is installed into out. */
typedef void (*ag_policy_problem_fn)(const char *name, char *out, size_t len, void *arg);

enum ag_inject_mode {
	AG_INJECT_ADD = 0,              /* add the gate (the default) */
	AG_INJECT_UPDATE,               /* add it, and rewrite a gate whose image or digest is stale (--update) */
	AG_INJECT_REMOVE,               /* take every gate out (--remove) */
	AG_INJECT_REPLACE_STALE,        /* internal: the first pass of AG_INJECT_UPDATE */
};

struct ag_inject_opts {
	enum ag_inject_mode mode;       /* inject only; the webhook always adds */
	const char *image;              /* the attestgate image */
	const char *default_policy;     /* for templates without attestgate.io/policy; may be NULL */
	int all;                        /* inject into every template, not only attestgate.io/inject: "true" */
	const char *tpm_access;         /* "privileged", "devicePlugin" or "none" (kata-cc templates: always none) */
	const char *device_plugin_resource;
	const char *os_distro, *os_version; /* the node's OS as flags instead of an /etc/os-release hostPath, or NULL */
	ag_policy_digest_fn digest;
	ag_policy_allows_fn allows;     /* NULL: not checked */
	ag_policy_problem_fn problem;   /* NULL: a plain "not found" */
	ag_policy_gpus_fn gpus;         /* NULL: no policy attests GPUs */
	void *digest_arg;               /* passed to digest, allows, problem and gpus */
	const char *gpu_image;          /* the gate image with the NVML helper; NULL: image's tag + AG_GPU_IMAGE_SUFFIX */
	const char *gpu_resource;       /* NULL: AG_GPU_RESOURCE_DEFAULT */
};

/* What a pod template says about the gate: annotation values ("" when absent), runtime class. */
struct ag_pod_intent {
	char inject[16], skip[16], policy[256], tpm_access[32], timeout[32], status[32];
	char runtime_class[64];
	int looks_injected;             /* the status annotation, or an init container or volume of the gate's names */
};

/* Reads an annotation: the template's value of key, else its workload's, into out ("" when absent). */
typedef void (*ag_annotation_fn)(const char *key, char *out, size_t len, void *arg);

enum ag_gate_action { AG_GATE_SKIP = 0, AG_GATE_GIVE };

struct ag_gate_plan {
	enum ag_gate_action action;
	char policy[256];
	const char *platform;           /* the gate's --platform: "auto", "azure-kata-cc", "sev-snp", "tdx" */
	const char *tpm;                /* "privileged", "devicePlugin" or "none" */
	unsigned gpus;                  /* GPUs the policy attests: the gate gets the GPU image and as many GPUs */
	char gpu_resource[128];         /* their extended resource */
	char image[512];                /* the gate's image */
	char why[256];                  /* ag_gate_plan_conflict's reason, when it has numbers to say */
	json_t *container;              /* the gate's init container */
	json_t *volumes;                /* its pod volumes, in order */
	json_t *app_mount;              /* what every app container mounts: the outputs, read-only */
};

/* How a template with the gate compares with a plan. */
enum ag_gate_state {
	AG_GATE_EXACT = 0,              /* exactly the planned gate */
	AG_GATE_MOUNTS_MISSING,         /* the planned gate, but containers added later lack the outputs' mount */
	AG_GATE_STALE,                  /* the gate as rendered before: another tag, digest, mounts... (why says what) */
	AG_GATE_OTHER,                  /* not a version of the gate: another name or repository, a command... (why) */
};

/* The annotations a template is read for (template first, then workload); runtime class and looks_injected are the caller's. */
void ag_pod_intent_read(struct ag_pod_intent *in, ag_annotation_fn get, void *arg);

/* Nonzero when the template asks for the gate (attestgate.io/inject "true", or o->all) and does not opt out (skip). */
int ag_pod_intent_asks(const struct ag_inject_opts *o, const struct ag_pod_intent *in);

/* Decides for one template: AG_GATE_SKIP, or AG_GATE_GIVE with the gate; AG_ECONFIG with the reason (no line). */
enum ag_code ag_gate_plan_make(const struct ag_inject_opts *o, const struct ag_pod_intent *in, struct ag_gate_plan *plan,
    struct ag_err *err);

/* Compares the pod spec (JSON) with the plan; *why gets the difference for AG_GATE_STALE and AG_GATE_OTHER. */
enum ag_gate_state ag_gate_plan_compare(const struct ag_gate_plan *plan, const json_t *spec, const char **why);

/* The item of a Kubernetes list (containers, volumes, mounts: JSON objects with a name) named name, or NULL. */
const json_t *ag_k8s_named(const json_t *list, const char *name);

/* Nonzero when a template looks injected: status "injected", or an init container or volume of the gate's names in spec. */
int ag_gate_looks_injected(const char *status, const json_t *spec);

/* Nonzero when container ctr (JSON) mounts the outputs at /run/attestgate (read-only when ro). */
int ag_gate_mounts_outputs(const json_t *ctr, int ro);

/*
 * Why plan's gate cannot be added to spec (a volume of its names, a
 * container's mount in its way, app containers that ask for another number
 * of GPUs than the policy attests), or NULL; the text may be in plan->why.
 */
const char *ag_gate_plan_conflict(struct ag_gate_plan *plan, const json_t *spec);

/* Nonzero when runtime class rc is a kata class ("kata" prefix): kata pods never get a host TPM. */
int ag_runtime_is_kata(const char *rc);

/* Nonzero when rc is a confidential kata class whose pods are injected at render time (before the agent policy). */
int ag_runtime_is_kata_tee(const char *rc);

/* Where kind keeps its pod template: keys from the object down, NULL-terminated ("Pod": none); NULL for other kinds. */
const char *const *ag_pod_template_path(const char *kind);

/* Frees a plan's JSON and clears it. */
void ag_gate_plan_clear(struct ag_gate_plan *plan);

#endif
