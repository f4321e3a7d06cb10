/*
 * commands.c - the list of subcommands (each is defined with its flag table
 * in its cmd_*.c), lookup, usage and logging setup.  Flag names are part of
 * the product contract (DESIGN.md): each also reads from
 * ATTESTGATE_<FLAG>, except the flag_only ones: every flag that lowers security,
 * changes a trust anchor or a time, or chooses where evidence and certificates
 * come from (insecure-*, ca-file, roots, collateral, crl, url, jwks, at,
 * clock-skew, tcti, tsm-root, ...) is command-line only, so that whoever sets a
 * container's environment cannot change what is trusted.
 */
#include "commands.h"

#include <string.h>

#include "base/log.h"

/* The commands in the order --help lists them; each is defined with its flags in its cmd_*.c. */
const struct cli_cmd *const commands[] = { &cmd_run_command, &cmd_evidence_command, &cmd_verify_evidence_command,
	&cmd_verify_token_command, &cmd_policy_check_command, &cmd_inject_command, &cmd_webhook_command, &cmd_version_command,
	NULL };

const struct cli_cmd *
commands_find(int argc, char **argv, int *used)
{
	for (const struct cli_cmd *const *cp = commands, *c = *cp; c != NULL; c = *++cp) {
		const char *sp = strchr(c->name, ' ');

		if (sp == NULL && argc >= 1 && strcmp(argv[0], c->name) == 0) {
			*used = 1;
			return c;
		}
		if (sp != NULL && argc >= 2 && strlen(argv[0]) == (size_t)(sp - c->name) &&
		    strncmp(argv[0], c->name, (size_t)(sp - c->name)) == 0 && strcmp(argv[1], sp + 1) == 0) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

int
commands_unknown(int argc, char **argv)
{
	const char *names[64] = { NULL }, *hint;
	char words[32][32];
	size_t n = 0, nw = 0, glen = strlen(argv[0]);
	int group = 0, help = argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);

	for (const struct cli_cmd *const *cp = commands, *c = *cp; c != NULL && n + 2 < 64 && nw < 32; c = *++cp) {
		const char *sp = strchr(c->name, ' ');

		names[n++] = c->name;
		group |= strncmp(c->name, argv[0], glen) == 0 && c->name[glen] == ' ';
		/* A group's own word ("policy") is a candidate too. */
		if (sp != NULL && (size_t)(sp - c->name) < sizeof(words[0])) {
			snprintf(words[nw], sizeof(words[nw]), "%.*s", (int)(sp - c->name), c->name);
			names[n++] = words[nw++];
		}
	}
	if (group && (argc == 1 || help)) {
		FILE *out = help ? stdout : stderr;

		fprintf(out, "Usage: attestgate %s COMMAND [flags]\n\nCommands:\n", argv[0]);
		for (const struct cli_cmd *const *cp = commands, *c = *cp; c != NULL; c = *++cp)
			if (strncmp(c->name, argv[0], glen) == 0 && c->name[glen] == ' ')
				fprintf(out, "  %-16s %s\n", c->name, c->summary);
		fprintf(out, "\nRun 'attestgate %s COMMAND --help' for the flags of a command.\n", argv[0]);
		return help ? 0 : AG_ECONFIG;
	}
	hint = cli_suggest(argv[0], glen, names, n);
	fprintf(stderr, "attestgate: unknown command \"%s%s%s\"%s%s%s\n", argv[0], group && argc > 1 ? " " : "",
	    group && argc > 1 ? argv[1] : "", hint != NULL ? " (did you mean " : "", hint != NULL ? hint : "",
	    hint != NULL ? "?)" : "");
	fprintf(stderr, "Run 'attestgate --help' for the commands.\n");
	return AG_ECONFIG;
}

void
commands_print_usage(FILE *out)
{
	fprintf(out, "Usage: attestgate COMMAND [flags]\n\n"
		     "Attestation gate for confidential Kubernetes workloads.\n\nCommands:\n");
	for (const struct cli_cmd *const *cp = commands, *c = *cp; c != NULL; c = *++cp)
		fprintf(out, "  %-16s %s\n", c->name, c->summary);
	fprintf(out, "\nRun 'attestgate COMMAND --help' for the flags of a command.\n");
}

int
commands_setup_logging(const struct cli_cmd *cmd, const struct cli_values *v)
{
	struct ag_err err;

	if (ag_log_configure(cli_get(v, "log-level"), cli_get(v, "log-format"), &err) != AG_OK) {
		fprintf(stderr, "attestgate %s: %s\n", cmd->name, err.msg);
		return AG_ECONFIG;
	}
	return 0;
}

