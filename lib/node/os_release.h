/*
 * node/os_release.h - the node's operating system as Microsoft's AzureGuest
 * clients report it: NAME and VERSION_ID of os-release(5), the version as
 * integer major and minor.  The node's file, not the gate image's: the
 * manifests mount the node's /etc/os-release read-only.
 */
#ifndef AG_OS_RELEASE_H
#define AG_OS_RELEASE_H

#include <stddef.h>

#include "base/error.h"

#define AG_OS_RELEASE_DEFAULT "/etc/os-release"
#define AG_OS_NAME_MAX 128

struct ag_os_release {
	char name[AG_OS_NAME_MAX];   /* NAME, unquoted */
	unsigned major, minor;       /* VERSION_ID "22.04" -> 22, 4; absent -> 1.0, as Microsoft's C++ client */
};

/* Parses os-release text; AG_EEVIDENCE without NAME or with major version 0 (Microsoft's client refuses to send it). */
enum ag_code ag_os_release_parse(const char *text, size_t len, struct ag_os_release *out, struct ag_err *err);

/* Reads and parses the file at path; a missing file is AG_ECONFIG, saying what to mount. */
enum ag_code ag_os_release_read(const char *path, struct ag_os_release *out, struct ag_err *err);

#endif
