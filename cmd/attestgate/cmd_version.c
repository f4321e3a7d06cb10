/*
 * cmd_version.c - `attestgate version`: the version and the versions of the
 * libraries linked in, which matter when reporting a verification problem.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <yaml.h>

#include "commands.h"
#include "base/version.h"

int
cmd_version(const struct cli_cmd *cmd, const struct cli_values *v)
{
	(void)cmd;
	(void)v;
	printf("%s\n", AG_VERSION_STRING);
	printf("  openssl  %s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("  libcurl  %s\n", curl_version_info(CURLVERSION_NOW)->version);
	printf("  jansson  %s\n", jansson_version_str());
	printf("  libyaml  %s\n", yaml_get_version_string());
	return 0;
}

const struct cli_cmd cmd_version_command = { "version", "Print the version of attestgate and of the libraries it uses.",
	NULL, NULL, cmd_version };
