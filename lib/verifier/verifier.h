/*
 * verifier/verifier.h - the verifiers behind one interface: a row per
 * verifier (policy `spec.verifier.type`), each turning collected evidence
 * into verified claims.  `maa` sends it to the pinned Microsoft Azure
 * Attestation instance and verifies the token it issues; `local` checks it
 * here against the pinned roots.  The gate picks the row by name and knows
 * no wire format.
 */
#ifndef AG_VERIFIER_H
#define AG_VERIFIER_H

#include <jansson.h>
#include <stdint.h>

#include "base/timing.h"
#include "base/error.h"
#include "format/token.h"
#include "node/os_release.h"
#include "platform/evidence.h"
#include "policy/policy.h"
#include "verifier/local.h"

/* What a verifier gets: the evidence (with its nonce), the policy and the node's settings. */
struct ag_verify_in {
	const struct ag_evidence *evidence;
	const struct ag_policy *policy;       /* the instance URL, freshness, whether the nonce is checked */
	const struct ag_local_opts *local;    /* roots, collateral, IMDS/KDS and HTTP (deadline, CA) */
	const char *tcti;                     /* maa on azure-cvm: the vTPM that opens MAA's answer */
	const char *os_release;               /* maa on azure-cvm: the node's os-release file; NULL: the default */
	const char *os_distro, *os_version;   /* ... or given instead (both or neither) */
	struct ag_timings *timings;           /* per-step wall times, or NULL */
};

/* What it gives back; free with ag_verify_out_clear. */
struct ag_verify_out {
	json_t *claims;                 /* the verified claims */
	char *token;                    /* maa: the token as issued; local: NULL */
	char *jwks;                     /* maa: the instance's signing keys as fetched; local: NULL */
	struct ag_token_info info;      /* maa: exp, iat, jti */
	int64_t ms_verifier, ms_verify; /* time at the verifier (round trips) and in checks here */
};

struct ag_verifier {
	const char *name;
	enum ag_code (*verify)(const struct ag_verify_in *in, struct ag_verify_out *out, struct ag_err *err);
};

/* The rows: maa.c and local.c. */
extern const struct ag_verifier ag_verifier_maa, ag_verifier_local;

/* The verifier named name (a policy's spec.verifier.type), or NULL. */
const struct ag_verifier *ag_verifier_find(const char *name);

/* Frees what a verify call produced. */
void ag_verify_out_clear(struct ag_verify_out *out);

#endif
