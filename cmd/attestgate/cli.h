/*
 * cli.h - the command-line layer: flag tables, parsing (flags, then
 * ATTESTGATE_<FLAG> environment variables; flags win), help and usage
 * text.  Knows nothing of what the commands do.  Flags marked flag_only
 * (insecure switches, trust anchors) are never read from the environment.
 */
#ifndef AG_CLI_H
#define AG_CLI_H

#include <stdint.h>
#include <stdio.h>

enum cli_type {
	CLI_STRING,
	CLI_BOOL,      /* "--x", "--x=true|false" */
	CLI_DURATION,  /* "90s", "2m" */
	CLI_CHOICE,    /* one of the '|'-separated words in choices */
	CLI_LIST,      /* repeatable: the values joined with '\n' */
};

struct cli_flag {
	const char *name;     /* without the leading "--" */
	enum cli_type type;
	const char *metavar;  /* shown in help, e.g. "DIR" */
	const char *def;      /* default value as text, or NULL */
	const char *choices;  /* CLI_CHOICE: "a|b|c" */
	const char *help;
	char shortopt;        /* single-letter alias such as 'f', or 0 */
	int flag_only;        /* lowers security or sets a trust anchor: never read from the environment */
};

#define CLI_MAX_FLAGS 48

struct cli_values {
	const struct cli_flag *flags[CLI_MAX_FLAGS];
	const char *vals[CLI_MAX_FLAGS];   /* NULL when unset and no default */
	char *owned[CLI_MAX_FLAGS];        /* copies that must be freed */
	int n;
	int help;                          /* --help or -h was given */
};

struct cli_cmd;
typedef int (*cli_run_fn)(const struct cli_cmd *cmd, const struct cli_values *v);

struct cli_cmd {
	const char *name;       /* "run", "policy check" */
	const char *summary;    /* one line */
	const char *details;    /* paragraph after the usage line, or NULL */
	const struct cli_flag *flags;  /* ends with a zeroed entry */
	cli_run_fn run;
};

/* Flags every command takes (log level and format). */
extern const struct cli_flag cli_common_flags[];

/* Parses argv (after the command words) for cmd; returns 0, or 2 after printing what is wrong and the usage. */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_values *v);

/* Prints "attestgate CMD: what" and where the usage is; returns 2. */
int cli_usage_error(const struct cli_cmd *cmd, const char *what);

/* Frees what cli_parse allocated. */
void cli_values_free(struct cli_values *v);

/* Value of a flag (given, from the environment, or the default), or NULL. */
const char *cli_get(const struct cli_values *v, const char *name);

/* Boolean value of a flag (0 when unset). */
int cli_get_bool(const struct cli_values *v, const char *name);

/* Duration flag in milliseconds, or -1 when unset. */
int64_t cli_get_duration_ms(const struct cli_values *v, const char *name);

/* Prints the help of cmd to out. */
void cli_print_help(const struct cli_cmd *cmd, FILE *out);

/* The name of names closest to given (len bytes): a prefix or at most 2 edits away; NULL when none is. */
const char *cli_suggest(const char *given, size_t len, const char *const *names, size_t n);

/* Environment variable name for a flag: "policy-sha256" -> "ATTESTGATE_POLICY_SHA256". */
void cli_env_name(const char *flag, char *buf, size_t size);

#endif
