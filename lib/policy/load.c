/*
 * policy/load.c - finds and reads a policy file (a single file, or a name in
 * the installed directory), checks its bytes against the pinned SHA-256
 * before parsing them, and names the installed policies when one is missing.
 */
#include "policy/policy.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/digest.h"
#include "base/fileio.h"

/* Nonzero (and err set) when a pin is given but is not a SHA-256 in hex. */
static int
bad_pin(const char *pin, struct ag_err *err)
{
	if (pin == NULL || ag_is_sha256_hex(pin))
		return 0;
	ag_err_set(err, AG_ECONFIG, "--policy-sha256 must be 64 hexadecimal characters, got \"%.80s\"", pin);
	return 1;
}

enum ag_code
ag_policy_load_file(const char *path, const char *pin_sha256, struct ag_policy **out,
    struct ag_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char have[AG_SHA256_HEX_LEN + 1];
	enum ag_code rc;

	*out = NULL;
	if (bad_pin(pin_sha256, err))
		return AG_ECONFIG;
	rc = ag_file_read(path, AG_POLICY_MAX_BYTES, AG_ECONFIG, &buf, &len, err);
	if (rc != AG_OK)
		return rc;
	if (ag_sha256_hex(buf, len, have) != 0) {
		rc = ag_err_set(err, AG_ECONFIG, "%s: cannot compute its SHA-256", path);
	} else if (pin_sha256 != NULL && strcasecmp(have, pin_sha256) != 0) {
		rc = ag_err_set(err, AG_ECONFIG,
		    "policy %s has sha256 %s but --policy-sha256 pins %s: the installed policy is not the one this pod was rendered with",
		    path, have, pin_sha256);
	} else {
		rc = ag_policy_parse(buf, len, path, out, err);
	}
	free(buf);
	return rc;
}

/* Names of the policies in dir, for a "not found" message that helps. */
static void
list_installed(const char *dir, char *buf, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	buf[0] = '\0';
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && n < 12) {
		const char *dot = strrchr(de->d_name, '.');

		if (de->d_name[0] == '.' || dot == NULL || (strcmp(dot, ".yaml") != 0 && strcmp(dot, ".yml") != 0))
			continue;
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%.*s", n++ > 0 ? ", " : "",
		    (int)(dot - de->d_name), de->d_name);
	}
	closedir(d);
}

enum ag_code
ag_policy_load_named(const char *dir, const char *name, const char *pin_sha256,
    struct ag_policy **out, struct ag_err *err)
{
	static const char *const suffixes[] = { ".yaml", ".yml", "" };
	char path[4096], installed[512];
	enum ag_code rc;

	*out = NULL;
	/* A malformed pin is reported before the policy is looked for. */
	if (bad_pin(pin_sha256, err))
		return AG_ECONFIG;
	if (name == NULL || !ag_policy_name_valid(name))
		return ag_err_set(err, AG_ECONFIG,
		    "policy name \"%.64s\" is not valid (lower-case letters, digits, '-' and '.')",
		    name != NULL ? name : "");
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffixes[i]);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		rc = ag_policy_load_file(path, pin_sha256, out, err);
		if (rc == AG_OK && strcmp((*out)->name, name) != 0) {
			rc = ag_err_set(err, AG_ECONFIG, "%s: metadata.name is \"%s\", not \"%s\"", path,
			    (*out)->name, name);
			ag_policy_free(*out);
			*out = NULL;
		}
		return rc;
	}
	list_installed(dir, installed, sizeof(installed));
	return ag_err_set(err, AG_ECONFIG, "policy \"%s\" not found in %s (installed: %s)", name, dir,
	    installed[0] != '\0' ? installed : "none");
}
