/*
 * policy/policy.h - the AttestationPolicy: strict loading from YAML (libyaml) into
 * a compiled policy, digest pinning, selection from a directory, and
 * evaluation against verified claims, rule by rule.  Not for fetching
 * claims or deciding exit codes of the gate.
 */
#ifndef AG_POLICY_H
#define AG_POLICY_H

#include <jansson.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"
#include "base/error.h"
#include "format/key_release.h"

/* enforce: a denial blocks the pod; audit: a denial is logged and the pod starts. */
enum ag_policy_mode { AG_MODE_ENFORCE, AG_MODE_AUDIT };

#define AG_POLICY_MAX_BYTES (64 * 1024)
#define AG_POLICY_MATCH_MAX 4096   /* claims longer than this fail a matches rule */
#define AG_POLICY_MAX_RULES 256
#define AG_POLICY_MAX_LIST 256
#define AG_POLICY_MAX_ALIASES 32
#define AG_POLICY_MAX_DEPTH 16
#define AG_POLICY_MAX_KEYS 16
#define AG_POLICY_MAX_GPUS 16   /* what attestgate-nvml collects at most */
#define AG_POLICY_GPUS_CLAIM "/x-attestgate-gpus"          /* the verified GPUs' claims, a list (spec.gpus) */
#define AG_POLICY_GPU_COUNT_CLAIM "/x-attestgate-gpu-count" /* how many GPUs attested */

/* One key of spec.keys: released from a Key Vault or Managed HSM after the policy passed. */
struct ag_policy_key {
	char *vault;                /* https://NAME.vault.azure.net or https://NAME.managedhsm.azure.net, no trailing '/' */
	char *name;                 /* the key's name in the vault */
	char *version;              /* a version (32 hex digits), or NULL for the current one */
	char *file;                 /* plain file name in the output directory */
	enum ag_key_format format;  /* default raw */
};

enum ag_policy_op {
	AG_OP_EQUALS,
	AG_OP_ONEOF,
	AG_OP_NONEOF,
	AG_OP_ATLEAST,
	AG_OP_ATMOST,
	AG_OP_MATCHES,
	AG_OP_EXISTS,
	AG_OP_ABSENT,
};

struct ag_policy_rule {
	char *claim;            /* JSON Pointer */
	enum ag_policy_op op;
	json_t *expected;       /* scalar, array of scalars, or true for exists/absent */
	regex_t re;             /* compiled, anchored, for AG_OP_MATCHES */
	int has_re;
	size_t line;            /* 1-based line of the rule in the file */
};

/* spec.gpus: the node's NVIDIA GPUs attest in the same run; their rules hold for each GPU's claims. */
struct ag_policy_gpus {
	int present;                  /* the policy has spec.gpus */
	unsigned count;               /* exactly this many GPUs must attest */
	struct ag_policy_rule *rules; /* over one GPU's claims (NVIDIA's names), or NULL */
	size_t n_rules;
};

struct ag_policy {
	char *name;                          /* metadata.name */
	char **platforms;
	size_t n_platforms;
	char *verifier_type;                 /* "maa" or "local" */
	char *verifier_url;                  /* maa: https URL without trailing '/'; local: NULL */
	int nonce;                           /* freshness.nonce (default true) */
	int64_t max_token_age_ms;            /* freshness.maxTokenAge (default 10m) */
	int64_t clock_skew_ms;               /* freshness.clockSkew (default 60s) */
	enum ag_policy_mode mode;            /* default enforce */
	struct ag_policy_rule *rules;
	size_t n_rules;
	struct ag_policy_key *keys;          /* spec.keys (Secure Key Release), or NULL */
	size_t n_keys;
	int expect_host_data_annotation;     /* spec.expectHostData: fromAnnotation (kata-cc consistency check) */
	struct ag_policy_gpus gpus;          /* spec.gpus */
	char sha256[AG_SHA256_HEX_LEN + 1];  /* of the file's bytes */
};

/* Name of a key format as written in policies ("raw", "pem", "jwk"). */
const char *ag_policy_key_format_name(enum ag_key_format f);

/* Nonzero when name may be a released key's file in the output directory (a plain name the gate does not write itself). */
int ag_policy_key_file_valid(const char *name);

/* Name of an operator as written in policies ("equals", "oneOf", ...). */
const char *ag_policy_op_name(enum ag_policy_op op);

/* Nonzero when s is a valid policy name (lower-case DNS subdomain: metadata.name and --policy-name). */
int ag_policy_name_valid(const char *s);

/* Parses policy YAML from bytes; file names the source in errors ("file:line:col: ..."). AG_ECONFIG on error. */
enum ag_code ag_policy_parse(const uint8_t *buf, size_t len, const char *file, struct ag_policy **out,
    struct ag_err *err);

/* Reads, pins (when pin_sha256 is not NULL) and parses one policy file. */
enum ag_code ag_policy_load_file(const char *path, const char *pin_sha256, struct ag_policy **out,
    struct ag_err *err);

/* Selects NAME from a policy directory (NAME.yaml, NAME.yml or NAME), pins and parses it; metadata.name must equal NAME. */
enum ag_code ag_policy_load_named(const char *dir, const char *name, const char *pin_sha256,
    struct ag_policy **out, struct ag_err *err);

/* Frees a policy; NULL is allowed. */
void ag_policy_free(struct ag_policy *p);

/* Nonzero if the policy lists platform. */
int ag_policy_allows_platform(const struct ag_policy *p, const char *platform);

/*
 * Evaluates every rule against claims, then with spec.gpus the GPU count
 * (AG_POLICY_GPU_COUNT_CLAIM equals count) and each GPU rule for GPUs 0 to
 * count-1 (under AG_POLICY_GPUS_CLAIM/N).  *results gets a new array of
 * {claim, op, expected, actual (or missing: true), ok, reason when it
 * failed}.  Returns AG_OK when all hold, else AG_EPOLICY with a message
 * listing the failed rules (ag_policy_denial_text).
 */
enum ag_code ag_policy_evaluate(const struct ag_policy *p, const json_t *claims, json_t **results,
    struct ag_err *err);

/* Writes "policy NAME denied: K of N rules failed: each failed rule; ..." of results into buf, whole rules only; returns its length. */
size_t ag_policy_denial_text(const char *policy, const json_t *results, char *buf, size_t size);

#endif
