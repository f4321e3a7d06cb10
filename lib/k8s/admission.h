/*
 * k8s/admission.h - the admission webhook's answer to one
 * admission.k8s.io/v1 AdmissionReview: the pod template of the object
 * (Pod or any workload kind inject knows) gets the gate of gate_plan.c as
 * a JSONPatch; kata-cc pods are left unchanged with a warning (they are
 * injected before their agent policy is generated); what the gate cannot
 * be given is denied with the reason.  Pure: bytes in, answer out.
 */
#ifndef AG_K8S_ADMISSION_H
#define AG_K8S_ADMISSION_H

#include <stddef.h>

#include "base/error.h"
#include "k8s/gate_plan.h"

/* How a review was answered (the webhook's metrics count these). */
enum ag_admission_result {
	AG_ADMIT_INJECTED = 0,          /* allowed with the gate's patch */
	AG_ADMIT_UNCHANGED,             /* allowed as it is: not asked, skipped, already injected, not a create or update */
	AG_ADMIT_WARNED,                /* allowed as it is, with a warning (a kata-cc pod) */
	AG_ADMIT_DENIED,                /* refused: the reason is in the answer */
	AG_ADMIT_INVALID,               /* not an AdmissionReview this webhook can answer (HTTP 400) */
	AG_ADMIT_RESULTS
};

struct ag_admission {
	int http_status;                /* 200, or 400 for AG_ADMIT_INVALID */
	enum ag_admission_result result;
	char *body;                     /* the AdmissionReview answer (JSON), NUL-terminated */
	size_t len;
	char what[160];                 /* "Kind namespace/name" of the object, for logs ("" when unknown) */
	char reason[512];               /* why it was denied, warned or invalid ("" otherwise) */
};

/* The names of the results, for metrics and logs ("injected", "unchanged", ...). */
const char *ag_admission_result_name(enum ag_admission_result r);

/* Answers the AdmissionReview in body (len bytes) with the injector settings o; AG_ECONFIG only when out of memory. */
enum ag_code ag_admission_review(const char *body, size_t len, const struct ag_inject_opts *o, struct ag_admission *out);

/* Frees an answer. */
void ag_admission_clear(struct ag_admission *a);

#endif
