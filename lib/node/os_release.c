/*
 * node/os_release.c - NAME and VERSION_ID from os-release(5) text: KEY=VALUE
 * lines, values optionally in double or single quotes with backslash
 * escapes, comments and blank lines ignored, the last assignment wins.
 * The version follows Microsoft's C++ AzureGuest client: leading decimal
 * digits of the first two dot-separated parts, 1.0 when absent or not a
 * number, and major 0 refused.
 */
#include "node/os_release.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"

#define OS_RELEASE_MAX (64 * 1024)
#define VALUE_MAX 256

/* Unquotes value [v, end) into out; -1 when it does not fit or a quote is not closed. */
static int
unquote(const char *v, const char *end, char *out, size_t size)
{
	char q = 0;
	size_t n = 0;

	if (v < end && (*v == '"' || *v == '\'')) {
		q = *v++;
		if (end == v || end[-1] != q)
			return -1;
		end--;
	}
	for (; v < end; v++) {
		char c = *v;

		if (q != '\'' && c == '\\' && v + 1 < end)
			c = *++v;
		if (n + 1 >= size)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

/* Leading decimal digits of s as an unsigned; -1 when there are none or they overflow. */
static long
leading_number(const char *s)
{
	long v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (INT_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static void
parse_version(const char *version, struct ag_os_release *out)
{
	const char *dot = strchr(version, '.');
	long major = leading_number(version), minor = dot != NULL ? leading_number(dot + 1) : 0;

	if (major < 0) {
		out->major = 1;
		out->minor = 0;
		return;
	}
	out->major = (unsigned)major;
	out->minor = minor < 0 ? 0 : (unsigned)minor;
}

enum ag_code
ag_os_release_parse(const char *text, size_t len, struct ag_os_release *out, struct ag_err *err)
{
	char version[VALUE_MAX] = "1.0";
	const char *p = text, *end = text + len;
	int have_name = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl != NULL ? nl : end, *eq, *ve = eol;
		char value[VALUE_MAX];

		while (ve > p && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		eq = memchr(p, '=', (size_t)(ve - p));
		if (eq != NULL && *p != '#') {
			size_t klen = (size_t)(eq - p);
			int name = klen == 4 && memcmp(p, "NAME", 4) == 0, ver = klen == 10 && memcmp(p, "VERSION_ID", 10) == 0;

			if ((name || ver) && unquote(eq + 1, ve, value, sizeof(value)) != 0)
				return ag_err_set(err, AG_EEVIDENCE, "os-release: %s has a value that is too long or badly quoted",
				    name ? "NAME" : "VERSION_ID");
			if (name) {
				if (strlen(value) >= sizeof(out->name))
					return ag_err_set(err, AG_EEVIDENCE, "os-release: NAME is longer than %d characters",
					    AG_OS_NAME_MAX - 1);
				memcpy(out->name, value, strlen(value) + 1);
				have_name = value[0] != '\0';
			} else if (ver) {
				memcpy(version, value, strlen(value) + 1);
			}
		}
		p = eol + (nl != NULL);
	}
	if (!have_name)
		return ag_err_set(err, AG_EEVIDENCE, "os-release has no NAME: MAA needs the node's distribution name");
	parse_version(version, out);
	if (out->major == 0)
		return ag_err_set(err, AG_EEVIDENCE,
		    "os-release VERSION_ID \"%.40s\" has major version 0, which Microsoft's AzureGuest client refuses to send",
		    version);
	return AG_OK;
}

enum ag_code
ag_os_release_read(const char *path, struct ag_os_release *out, struct ag_err *err)
{
	uint8_t *text = NULL;
	size_t len = 0;
	enum ag_code rc = ag_file_read(path, OS_RELEASE_MAX, AG_ECONFIG, &text, &len, err);

	if (rc != AG_OK) {
		ag_err_prefix(err, "the node's os-release (MAA AzureGuest sends its NAME and VERSION_ID; mount the node's "
				   "/etc/os-release read-only there, or pass --os-release)");
		return rc;
	}
	rc = ag_os_release_parse((const char *)text, len, out, err);
	if (rc != AG_OK)
		ag_err_prefix(err, "%s", path);
	free(text);
	return rc;
}
