/*
 * base/log.c - structured log records built with jansson.
 *
 * Redaction happens here, at the only place records are written, so that a
 * careless caller cannot leak a token: names in the sensitive list and any
 * string holding a JWT-shaped run are replaced before formatting.
 */
#include "base/log.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"

static enum ag_log_level cur_level = AG_LOG_INFO;
static enum ag_log_format cur_format = AG_LOG_JSON;
static FILE *cur_stream;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

/* Field names whose values are secrets or tokens whatever they hold. */
static const char *const sensitive_keys[] = {
	"token", "jwt", "secret", "password", "authorization", "privateKey", "private_key",
	"key", "cookie",
};

enum ag_code
ag_log_configure(const char *level, const char *format, struct ag_err *err)
{
	enum ag_log_level lv = cur_level;
	enum ag_log_format fm = cur_format;

	if (level != NULL) {
		size_t i;

		for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
			if (strcmp(level, level_names[i]) == 0)
				break;
		if (i == sizeof(level_names) / sizeof(level_names[0]))
			return ag_err_set(err, AG_ECONFIG,
			    "unknown log level \"%s\" (use debug, info, warn or error)", level);
		lv = (enum ag_log_level)i;
	}
	if (format != NULL) {
		if (strcmp(format, "json") == 0)
			fm = AG_LOG_JSON;
		else if (strcmp(format, "text") == 0)
			fm = AG_LOG_TEXT;
		else
			return ag_err_set(err, AG_ECONFIG,
			    "unknown log format \"%s\" (use json or text)", format);
	}
	cur_level = lv;
	cur_format = fm;
	return AG_OK;
}

void
ag_log_set_stream(FILE *stream)
{
	cur_stream = stream;
}

static int
b64url_char(int c)
{
	return isalnum(c) || c == '-' || c == '_';
}

/* Length of a run of base64url characters starting at s. */
static size_t
b64url_run(const char *s)
{
	size_t n = 0;

	while (b64url_char((unsigned char)s[n]))
		n++;
	return n;
}

int
ag_log_looks_like_jwt(const char *s)
{
	/* A JWS header is base64url JSON, so it starts with "eyJ" ("{\""). */
	for (const char *p = strstr(s, "eyJ"); p != NULL; p = strstr(p + 1, "eyJ")) {
		size_t a = b64url_run(p), b;

		if (a < 8 || p[a] != '.')
			continue;
		b = b64url_run(p + a + 1);
		if (b >= 2 && p[a + 1 + b] == '.')
			return 1;
	}
	return 0;
}

static int
key_is_sensitive(const char *key)
{
	for (size_t i = 0; i < sizeof(sensitive_keys) / sizeof(sensitive_keys[0]); i++)
		if (strcasecmp(key, sensitive_keys[i]) == 0)
			return 1;
	return 0;
}

/* Replaces sensitive values in place, recursing into objects and arrays. */
static void
redact(json_t *v)
{
	const char *k;
	json_t *child;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, child) {
			if (key_is_sensitive(k) ||
			    (json_is_string(child) && ag_log_looks_like_jwt(json_string_value(child))))
				json_object_set_new(v, k, json_string("[redacted]"));
			else
				redact(child);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			if (json_is_string(child) && ag_log_looks_like_jwt(json_string_value(child)))
				json_array_set_new(v, i, json_string("[redacted]"));
			else
				redact(child);
		}
	}
}

static void
write_text(FILE *out, json_t *rec)
{
	const char *k;
	json_t *v;

	fprintf(out, "%s %-5s %s", json_string_value(json_object_get(rec, "time")),
	    json_string_value(json_object_get(rec, "level")),
	    json_string_value(json_object_get(rec, "msg")));
	json_object_foreach(rec, k, v) {
		char *s;

		if (strcmp(k, "time") == 0 || strcmp(k, "level") == 0 || strcmp(k, "msg") == 0)
			continue;
		s = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		fprintf(out, " %s=%s", k, s != NULL ? s : json_string_value(v));
		free(s);
	}
	fputc('\n', out);
}

void
ag_log(enum ag_log_level level, const char *msg, ...)
{
	char ts[AG_RFC3339_MAX];
	const char *key;
	json_t *rec, *fields;
	FILE *out = cur_stream != NULL ? cur_stream : stderr;
	va_list ap;

	fields = json_object();
	va_start(ap, msg);
	while ((key = va_arg(ap, const char *)) != NULL) {
		json_t *v = va_arg(ap, json_t *);

		if (v != NULL && fields != NULL)
			json_object_set_new(fields, key, v);
		else
			json_decref(v);
	}
	va_end(ap);
	if (level < cur_level || fields == NULL) {
		json_decref(fields);
		return;
	}
	rec = json_object();
	if (rec == NULL) {
		json_decref(fields);
		return;
	}
	json_object_set_new(rec, "time", json_string(ag_time_rfc3339_ms(ag_clock_wall_ms(), ts)));
	json_object_set_new(rec, "level", json_string(level_names[level]));
	json_object_set_new(rec, "msg", json_string(ag_log_looks_like_jwt(msg) ? "[redacted]" : msg));
	redact(fields);
	/* Caller fields never overwrite the three fixed ones. */
	json_object_del(fields, "time");
	json_object_del(fields, "level");
	json_object_del(fields, "msg");
	json_object_update(rec, fields);
	json_decref(fields);
	if (cur_format == AG_LOG_TEXT) {
		write_text(out, rec);
	} else {
		char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (line != NULL)
			fprintf(out, "%s\n", line);
		free(line);
	}
	fflush(out);
	json_decref(rec);
}

void
ag_log_step(const char *step, enum ag_code rc, int64_t ms, const struct ag_err *err)
{
	if (rc == AG_OK)
		ag_log(AG_LOG_INFO, "step done", "step", json_string(step), "durationMs", json_integer(ms), "reason",
		    json_string(ag_code_reason(rc)), NULL);
	else
		ag_log(AG_LOG_ERROR, "step failed", "step", json_string(step), "durationMs", json_integer(ms), "reason",
		    json_string(ag_code_reason(rc)), "error", json_string(err->msg), NULL);
}
