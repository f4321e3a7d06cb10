/*
 * test_log.c - log records: JSON shape, levels, text format, and that no
 * token or secret ever reaches the stream.
 */
#include "testutil.h"

#include <jansson.h>

#include "base/log.h"

static const char *const JWT =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL3gifQ.c2lnbmF0dXJl";

/* Sends log records into a memory stream until capture_end. */
static void
capture_begin(FILE **f, char **buf, size_t *len)
{
	*f = open_memstream(buf, len);
	assert_non_null(*f);
	ag_log_set_stream(*f);
}

/* Closes the stream (which finalises *buf) and returns what was written. */
static char *
capture_end(FILE *f, char **buf)
{
	fclose(f);
	ag_log_set_stream(NULL);
	return *buf;
}

static void
test_json_record(void **state)
{
	FILE *f;
	char *buf;
	size_t len;
	json_t *j;
	json_error_t je;

	(void)state;
	assert_int_equal(ag_log_configure("info", "json", NULL), AG_OK);
	capture_begin(&f, &buf, &len);
	ag_log(AG_LOG_INFO, "evidence collected", "step", json_string("evidence"), "durationMs",
	    json_integer(12), "msg", json_string("cannot override"), NULL);
	buf = capture_end(f, &buf);
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);   /* exactly one line */
	j = json_loads(buf, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(j, "msg")), "evidence collected");
	assert_string_equal(json_string_value(json_object_get(j, "step")), "evidence");
	assert_int_equal(json_integer_value(json_object_get(j, "durationMs")), 12);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "time"))), 24);
	json_decref(j);
	free(buf);
}

static void
test_level_filter(void **state)
{
	FILE *f;
	char *buf;
	size_t len;

	(void)state;
	assert_int_equal(ag_log_configure("warn", NULL, NULL), AG_OK);
	capture_begin(&f, &buf, &len);
	ag_log(AG_LOG_INFO, "dropped", "k", json_string("v"), NULL);
	ag_log(AG_LOG_ERROR, "kept", NULL);
	buf = capture_end(f, &buf);
	assert_null(strstr(buf, "dropped"));
	assert_non_null(strstr(buf, "\"kept\""));
	free(buf);
	assert_int_equal(ag_log_configure("info", NULL, NULL), AG_OK);
}

static void
test_bad_configuration(void **state)
{
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_log_configure("verbose", NULL, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "verbose"));
	assert_int_equal(ag_log_configure(NULL, "xml", &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "json or text"));
}

static void
test_text_format(void **state)
{
	FILE *f;
	char *buf;
	size_t len;

	(void)state;
	assert_int_equal(ag_log_configure("info", "text", NULL), AG_OK);
	capture_begin(&f, &buf, &len);
	ag_log(AG_LOG_WARN, "policy in audit mode", "policy", json_string("azure-cvm"), "n",
	    json_integer(3), NULL);
	buf = capture_end(f, &buf);
	assert_non_null(strstr(buf, " warn  policy in audit mode policy=azure-cvm n=3\n"));
	free(buf);
	assert_int_equal(ag_log_configure(NULL, "json", NULL), AG_OK);
}

static void
test_tokens_and_secrets_redacted(void **state)
{
	FILE *f;
	char *buf, msg[512];
	size_t len;

	(void)state;
	assert_int_equal(ag_log_configure("debug", "json", NULL), AG_OK);
	snprintf(msg, sizeof(msg), "got token %s from verifier", JWT);
	capture_begin(&f, &buf, &len);
	ag_log(AG_LOG_INFO, msg, NULL);
	ag_log(AG_LOG_INFO, "x", "token", json_string("opaque-but-secret"), "Authorization",
	    json_string("Bearer abc"), NULL);
	ag_log(AG_LOG_INFO, "x", "response", json_pack("{s:s, s:[s]}", "body", JWT, "list", JWT), NULL);
	ag_log(AG_LOG_INFO, "x", "detail", json_string(msg), NULL);
	buf = capture_end(f, &buf);
	assert_null(strstr(buf, "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9"));
	assert_null(strstr(buf, "opaque-but-secret"));
	assert_null(strstr(buf, "Bearer abc"));
	assert_non_null(strstr(buf, "[redacted]"));
	free(buf);
	assert_int_equal(ag_log_configure("info", NULL, NULL), AG_OK);
}

static void
test_jwt_shape_detector(void **state)
{
	(void)state;
	assert_true(ag_log_looks_like_jwt(JWT));
	assert_true(ag_log_looks_like_jwt("prefix eyJabcdefgh.eyJ.x"));
	assert_false(ag_log_looks_like_jwt("eyJ alone"));
	assert_false(ag_log_looks_like_jwt("version 1.2.3"));
	assert_false(ag_log_looks_like_jwt("file eyJabc.json"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_record),
		cmocka_unit_test(test_level_filter),
		cmocka_unit_test(test_bad_configuration),
		cmocka_unit_test(test_text_format),
		cmocka_unit_test(test_tokens_and_secrets_redacted),
		cmocka_unit_test(test_jwt_shape_detector),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
