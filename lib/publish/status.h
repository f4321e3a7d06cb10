/*
 * publish/status.h - the AttestationStatus document (status.json of the design),
 * shaped like a Kubernetes condition.  Building the document only: writing
 * it is output.h's job.
 */
#ifndef AG_STATUS_H
#define AG_STATUS_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"

struct ag_status {
	enum ag_code reason;        /* AG_OK = Verified; otherwise the failure */
	char message[AG_ERR_MSG_MAX];
	const char *platform;       /* NULL until known */
	const char *verifier;
	const char *issuer;
	const char *policy_name;
	const char *policy_sha256;
	int audit;                  /* the policy is in mode: audit (a denial lets the pod start) */
	int policy_known;           /* policy fields are meaningful */
	json_t *rules;              /* borrowed array of rule results, or NULL */
	time_t token_exp, token_iat; /* 0 = unknown */
	const char *token_jti;
	int64_t ms_evidence, ms_verifier, ms_verify, ms_keys, ms_total;
	json_t *keys;               /* borrowed array of key release results, or NULL */
	json_t *steps;              /* borrowed {step: ms} of the run's steps (timingsMs.steps), or NULL */
	json_t *gpus;               /* borrowed array, one object per GPU that was checked (spec.gpus), or NULL */
	const char *host_data;      /* x-ms-sevsnpvm-hostdata of the verified claims (kata-cc), or NULL */
	time_t transition;          /* lastTransitionTime; 0 = now */
	int no_policy;              /* run --print-claims: verified, but no policy applied (status False, ClaimsPrinted) */
};

/* Initialises a status as a failure with reason code and message. */
void ag_status_init(struct ag_status *st, enum ag_code reason, const char *message);

/* Sets reason and message from an error (AG_OK error = Verified). */
void ag_status_set_error(struct ag_status *st, const struct ag_err *err);

/* Nonzero when the gate lets the pod start: verified, or denied by an audit-mode policy. */
int ag_status_passes(const struct ag_status *st);

/* Process exit code the status implies (0 when it passes). */
enum ag_code ag_status_exit_code(const struct ag_status *st);

/* Builds the status.json object (new reference), or NULL on allocation failure. */
json_t *ag_status_to_json(const struct ag_status *st);

#endif
