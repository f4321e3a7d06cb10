/*
 * main.c - entry point of attestgate: picks the subcommand, parses its
 * flags, sets up logging and calls it.  Nothing else lives here.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "base/version.h"

int
main(int argc, char **argv)
{
	const struct cli_cmd *cmd;
	struct cli_values v;
	int used = 0, rc;

	if (argc < 2) {
		commands_print_usage(stderr);
		return AG_ECONFIG;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		commands_print_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s\n", AG_VERSION_STRING);
		return 0;
	}
	cmd = commands_find(argc - 1, argv + 1, &used);
	if (cmd == NULL)
		return commands_unknown(argc - 1, argv + 1);
	rc = cli_parse(cmd, argc - 1 - used, argv + 1 + used, &v);
	if (rc == 0 && v.help) {
		cli_print_help(cmd, stdout);
	} else if (rc == 0) {
		rc = commands_setup_logging(cmd, &v);
		if (rc == 0)
			rc = cmd->run(cmd, &v);
	}
	cli_values_free(&v);
	return rc;
}
