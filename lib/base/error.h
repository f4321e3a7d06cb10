/*
 * base/error.h - the one error type of libattestgate.
 *
 * Every fallible call returns an enum ag_code (the process exit code of the
 * design) and fills a struct ag_err with a message a human can act on, built
 * where the fact is known.  Callers pass the error up unchanged; they never
 * reinterpret the code.  Not for logging: see log.h.
 */
#ifndef AG_ERROR_H
#define AG_ERROR_H

#include <stddef.h>

/* Exit codes of the design (DESIGN.md, "Exit codes"); 1 is never used. */
enum ag_code {
	AG_OK = 0,         /* attested / success */
	AG_ECONFIG = 2,    /* configuration or usage error */
	AG_EEVIDENCE = 3,  /* evidence unavailable (no TEE, no TPM, device) */
	AG_EVERIFIER = 4,  /* verifier unreachable or deadline exceeded */
	AG_EPOLICY = 5,    /* policy denied */
	AG_EINVALID = 6,   /* token or evidence invalid */
	AG_EKEYDENIED = 7, /* key release denied: the vault's release policy said no */
};

#define AG_ERR_MSG_MAX 512

/* What a caller may branch on (never on the message text). */
enum ag_cause {
	AG_CAUSE_NONE = 0,
	AG_CAUSE_ABSENT,         /* the object asked for does not exist (a TPM handle or NV index) */
	AG_CAUSE_PCR_CHANGED,    /* the PCRs changed between reading them and quoting them: worth another try */
};

struct ag_err {
	enum ag_code code;          /* AG_OK until set */
	int transient;              /* nonzero: retrying may succeed */
	enum ag_cause cause;        /* AG_CAUSE_NONE unless set with ag_err_set_cause */
	char msg[AG_ERR_MSG_MAX];   /* one line, no trailing newline */
};

/* Resets err to AG_OK with an empty message. */
void ag_err_clear(struct ag_err *err);

/* Sets code and a printf-style one-line message; returns code. NULL err is allowed. */
enum ag_code ag_err_set(struct ag_err *err, enum ag_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like ag_err_set but marks the failure as transient (worth retrying). */
enum ag_code ag_err_set_transient(struct ag_err *err, enum ag_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like ag_err_set with a structured cause callers may branch on. */
enum ag_code ag_err_set_cause(struct ag_err *err, enum ag_code code, enum ag_cause cause, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The process exit code of a result, for every command: 0 for AG_OK and for a policy denial under audit mode. */
int ag_exit_code(enum ag_code code, int audit);

/* Sets code and prefixes the existing message: where the caller's context decides what a failure it passes on means. */
enum ag_code ag_err_set_prefixed(struct ag_err *err, enum ag_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with "prefix: " (context from an outer layer). */
void ag_err_prefix(struct ag_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* status.json "reason" for a code: Verified, ConfigInvalid, EvidenceUnavailable, ... */
const char *ag_code_reason(enum ag_code code);

/* Short lower-case name of a code for logs: "ok", "config", "evidence", ... */
const char *ag_code_name(enum ag_code code);

#endif
