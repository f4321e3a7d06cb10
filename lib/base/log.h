/*
 * base/log.h - structured logging: one record per line on stderr, JSON (default)
 * or text.  Records carry time, level, msg and caller fields.  Tokens and
 * secrets are never written: fields with sensitive names and any value that
 * looks like a JWT are replaced by "[redacted]".  Not for user-facing output.
 */
#ifndef AG_LOG_H
#define AG_LOG_H

#include <stdint.h>
#include <stdio.h>

#include "base/error.h"

enum ag_log_level { AG_LOG_DEBUG, AG_LOG_INFO, AG_LOG_WARN, AG_LOG_ERROR };
enum ag_log_format { AG_LOG_JSON, AG_LOG_TEXT };

/* Sets level ("debug|info|warn|error") and format ("json|text"); NULL keeps the current one. */
enum ag_code ag_log_configure(const char *level, const char *format, struct ag_err *err);

/* Sends records to stream instead of stderr (tests); NULL restores stderr. */
void ag_log_set_stream(FILE *stream);

/*
 * Writes one record.  After msg come (const char *key, json_t *value) pairs
 * ended by NULL; the values are stolen (decref'd), NULL values are skipped.
 */
void ag_log(enum ag_log_level level, const char *msg, ...);

/* Nonzero if s contains something shaped like a compact JWS/JWT. */
int ag_log_looks_like_jwt(const char *s);

/* One line per gate step: "step done" (info) or "step failed" (error) with its duration and reason. */
void ag_log_step(const char *step, enum ag_code rc, int64_t ms, const struct ag_err *err);

#endif
