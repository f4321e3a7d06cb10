/*
 * base/error.c - the error type and the mapping from exit code to status reason.
 * The mapping lives here and only here so that status.json, logs and the
 * process exit code can never disagree.
 */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
ag_err_clear(struct ag_err *err)
{
	if (err == NULL)
		return;
	err->code = AG_OK;
	err->transient = 0;
	err->cause = AG_CAUSE_NONE;
	err->msg[0] = '\0';
}

/* Messages are one line: a newline from a library or a file would split a log record. */
static void
flatten(char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

static enum ag_code
vset(struct ag_err *err, enum ag_code code, int transient, const char *fmt, va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	err->transient = transient;
	err->cause = AG_CAUSE_NONE;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	flatten(err->msg);
	return code;
}

enum ag_code
ag_err_set(struct ag_err *err, enum ag_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

enum ag_code
ag_err_set_cause(struct ag_err *err, enum ag_code code, enum ag_cause cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, code, 0, fmt, ap);
	va_end(ap);
	if (err != NULL)
		err->cause = cause;
	return code;
}

int
ag_exit_code(enum ag_code code, int audit)
{
	return code == AG_OK || (code == AG_EPOLICY && audit) ? 0 : (int)code;
}

enum ag_code
ag_err_set_transient(struct ag_err *err, enum ag_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, code, 1, fmt, ap);
	va_end(ap);
	return code;
}

static void
vprefix(struct ag_err *err, const char *fmt, va_list ap)
{
	char prefix[AG_ERR_MSG_MAX], joined[AG_ERR_MSG_MAX];

	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	snprintf(joined, sizeof(joined), "%s: %s", prefix, err->msg);
	memcpy(err->msg, joined, sizeof(err->msg));
	flatten(err->msg);
}

void
ag_err_prefix(struct ag_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vprefix(err, fmt, ap);
	va_end(ap);
}

enum ag_code
ag_err_set_prefixed(struct ag_err *err, enum ag_code code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	err->transient = 0;
	err->cause = AG_CAUSE_NONE;
	va_start(ap, fmt);
	vprefix(err, fmt, ap);
	va_end(ap);
	return code;
}

const char *
ag_code_reason(enum ag_code code)
{
	switch (code) {
	case AG_OK:
		return "Verified";
	case AG_ECONFIG:
		return "ConfigInvalid";
	case AG_EEVIDENCE:
		return "EvidenceUnavailable";
	case AG_EVERIFIER:
		return "VerifierUnavailable";
	case AG_EPOLICY:
		return "PolicyDenied";
	case AG_EINVALID:
		return "TokenInvalid";
	case AG_EKEYDENIED:
		return "KeyReleaseDenied";
	}
	return "ConfigInvalid";
}

const char *
ag_code_name(enum ag_code code)
{
	switch (code) {
	case AG_OK:
		return "ok";
	case AG_ECONFIG:
		return "config";
	case AG_EEVIDENCE:
		return "evidence";
	case AG_EVERIFIER:
		return "verifier";
	case AG_EPOLICY:
		return "policy";
	case AG_EINVALID:
		return "invalid";
	case AG_EKEYDENIED:
		return "keyrelease";
	}
	return "config";
}
