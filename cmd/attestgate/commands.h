/*
 * commands.h - the subcommands of attestgate and their entry points.
 */
#ifndef AG_COMMANDS_H
#define AG_COMMANDS_H

#include <jansson.h>

#include "cli.h"
#include "base/error.h"

/* The command table, ending with a zeroed entry. */
extern const struct cli_cmd commands[];

/* Looks up a command by its words (argv after the program name); sets *used to the words consumed. */
const struct cli_cmd *commands_find(int argc, char **argv, int *used);

/* Prints the list of commands. */
void commands_print_usage(FILE *out);

/*
 * For a command line that names no command: a command group alone or with
 * --help ("policy") lists its subcommands (exit 0 for --help, else 2); an
 * unknown command says so with the closest name.  Returns the exit code.
 */
int commands_unknown(int argc, char **argv);

/* Applies --log-level and --log-format; returns 0 or 2 after printing why. */
int commands_setup_logging(const struct cli_cmd *cmd, const struct cli_values *v);

int cmd_version(const struct cli_cmd *cmd, const struct cli_values *v);
int cmd_run(const struct cli_cmd *cmd, const struct cli_values *v);
int cmd_evidence(const struct cli_cmd *cmd, const struct cli_values *v);
int cmd_verify_evidence(const struct cli_cmd *cmd, const struct cli_values *v);
int cmd_verify_token(const struct cli_cmd *cmd, const struct cli_values *v);

/* What a policy pins for its tokens: the instance, the age and the skew. */
struct cmd_token_pin {
	const char *url;
	int64_t max_age_s, clock_skew_s;
};

/* The verified claims of --token, checked as verify-token checks it (--url, --jwks, --at...), with pin (may be NULL) instead of --url and the freshness flags. */
enum ag_code cmd_token_claims(const struct cli_values *v, const struct cmd_token_pin *pin, json_t **claims,
    struct ag_err *err);
int cmd_policy_check(const struct cli_cmd *cmd, const struct cli_values *v);
int cmd_inject(const struct cli_cmd *cmd, const struct cli_values *v);

#endif
