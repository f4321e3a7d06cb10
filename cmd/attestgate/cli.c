/*
 * cli.c - flag parsing for every subcommand.
 *
 * Values are validated here by type (bool, duration, choice) so that a bad
 * value from a flag or from the environment fails the same way: exit 2 with
 * a message naming where the value came from, then the usage.
 */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"

const struct cli_flag cli_common_flags[] = {
	{ "log-level", CLI_CHOICE, "LEVEL", "info", "debug|info|warn|error",
	    "minimum level of log records on stderr", 0, 0 },
	{ "log-format", CLI_CHOICE, "FORMAT", "json", "json|text",
	    "log records as JSON lines or as text", 0, 0 },
	{ 0 },
};

void
cli_env_name(const char *flag, char *buf, size_t size)
{
	size_t i = 0;
	int n = snprintf(buf, size, "ATTESTGATE_");

	for (i = (size_t)n; *flag != '\0' && i + 1 < size; flag++, i++)
		buf[i] = *flag == '-' ? '_' : (char)toupper((unsigned char)*flag);
	buf[i] = '\0';
}

static int
choice_ok(const char *choices, const char *val)
{
	size_t vl = strlen(val);

	for (const char *p = choices; *p != '\0';) {
		const char *bar = strchr(p, '|');
		size_t l = bar != NULL ? (size_t)(bar - p) : strlen(p);

		if (l == vl && strncmp(p, val, l) == 0)
			return 1;
		p += l + (bar != NULL);
	}
	return 0;
}

static int
bool_value(const char *s)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcmp(s, "yes") == 0)
		return 1;
	if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0 || strcmp(s, "no") == 0)
		return 0;
	return -1;
}

/* Checks a value against its flag's type; prints why not to stderr. from: "--x" or "ATTESTGATE_X". */
static int
validate(const struct cli_cmd *cmd, const struct cli_flag *f, const char *val, const char *from)
{
	struct ag_err err;
	int64_t ms;

	switch (f->type) {
	case CLI_STRING:
		return 0;
	case CLI_LIST:
		if (strchr(val, '\n') == NULL)
			return 0;
		fprintf(stderr, "attestgate %s: %s: a value may not contain a newline\n", cmd->name, from);
		return -1;
	case CLI_BOOL:
		if (bool_value(val) >= 0)
			return 0;
		fprintf(stderr, "attestgate %s: %s: \"%s\" is not a boolean (use true or false)\n",
		    cmd->name, from, val);
		return -1;
	case CLI_DURATION:
		if (ag_duration_parse(val, &ms, &err) == AG_OK)
			return 0;
		fprintf(stderr, "attestgate %s: %s: %s\n", cmd->name, from, err.msg);
		return -1;
	case CLI_CHOICE:
		if (choice_ok(f->choices, val))
			return 0;
		fprintf(stderr, "attestgate %s: %s: \"%s\" is not one of %s\n", cmd->name, from, val,
		    f->choices);
		return -1;
	}
	return -1;
}

static int
add_flags(struct cli_values *v, const struct cli_flag *flags)
{
	for (; flags != NULL && flags->name != NULL; flags++) {
		if (v->n == CLI_MAX_FLAGS)
			return -1;
		v->flags[v->n++] = flags;
	}
	return 0;
}

static int
find_flag(const struct cli_values *v, const char *name, size_t len, char shortopt)
{
	for (int i = 0; i < v->n; i++) {
		if (shortopt != 0 ? v->flags[i]->shortopt == shortopt :
				    (strlen(v->flags[i]->name) == len &&
					strncmp(v->flags[i]->name, name, len) == 0))
			return i;
	}
	return -1;
}

/* After the one line saying what is wrong: where the usage is, not the whole help text. */
static int
usage_error(const struct cli_cmd *cmd)
{
	fprintf(stderr, "Run 'attestgate %s --help' for usage.\n", cmd->name);
	return AG_ECONFIG;
}

int
cli_usage_error(const struct cli_cmd *cmd, const char *what)
{
	fprintf(stderr, "attestgate %s: %s\n", cmd->name, what);
	return usage_error(cmd);
}

/* Levenshtein distance of a and b (short strings: flag and command names), capped at 9. */
static int
edit_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b);
	int prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 9;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int d = prev[j - 1] + (a[i - 1] != b[j - 1]);

			d = prev[j] + 1 < d ? prev[j] + 1 : d;
			cur[j] = cur[j - 1] + 1 < d ? cur[j - 1] + 1 : d;
		}
		memcpy(prev, cur, sizeof(int) * (lb + 1));
	}
	return prev[lb] < 9 ? prev[lb] : 9;
}

const char *
cli_suggest(const char *given, size_t len, const char *const *names, size_t n)
{
	const char *best = NULL;
	int best_d = 3;

	for (size_t i = 0; i < n; i++) {
		int d = strncmp(names[i], given, len) == 0 && len >= 3 ? 1 : edit_distance(given, len, names[i]);

		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}

/* Says that a flag is unknown, with the closest known name. */
static int
unknown_flag(const struct cli_cmd *cmd, const struct cli_values *v, const char *name, size_t len, char shortopt)
{
	const char *names[CLI_MAX_FLAGS], *hint;

	for (int j = 0; j < v->n; j++)
		names[j] = v->flags[j]->name;
	hint = shortopt == 0 ? cli_suggest(name, len, names, (size_t)v->n) : NULL;
	fprintf(stderr, "attestgate %s: unknown flag %s%.*s%s%s%s\n", cmd->name, shortopt != 0 ? "-" : "--", (int)len, name,
	    hint != NULL ? " (did you mean --" : "", hint != NULL ? hint : "", hint != NULL ? "?)" : "");
	return usage_error(cmd);
}

/* A list flag given again: its values are joined with newlines.  0, or non-zero after saying why. */
static int
append_value(const struct cli_cmd *cmd, struct cli_values *v, int k, const char *val)
{
	char from[80], *joined = NULL;

	snprintf(from, sizeof(from), "--%s", v->flags[k]->name);
	if (val == NULL) {
		fprintf(stderr, "attestgate %s: flag --%s needs a value (%s)\n", cmd->name, v->flags[k]->name,
		    v->flags[k]->metavar);
		return usage_error(cmd);
	}
	if (validate(cmd, v->flags[k], val, from) != 0)
		return usage_error(cmd);
	if (asprintf(&joined, "%s\n%s", v->vals[k], val) < 0) {
		fprintf(stderr, "attestgate %s: out of memory\n", cmd->name);
		return AG_ECONFIG;
	}
	free(v->owned[k]);
	v->owned[k] = joined;
	v->vals[k] = joined;
	return 0;
}

/* Flags not given on the command line: the environment second (not for flag_only ones), defaults last. */
static int
env_and_defaults(const struct cli_cmd *cmd, struct cli_values *v)
{
	for (int k = 0; k < v->n; k++) {
		char env[96];
		const char *e;

		if (v->vals[k] != NULL)
			continue;
		if (v->flags[k]->flag_only) {
			v->vals[k] = v->flags[k]->def;
			continue;
		}
		cli_env_name(v->flags[k]->name, env, sizeof(env));
		e = getenv(env);
		if (e == NULL) {
			v->vals[k] = v->flags[k]->def;
			continue;
		}
		if (validate(cmd, v->flags[k], e, env) != 0)
			return usage_error(cmd);
		v->owned[k] = strdup(e);
		if (v->owned[k] == NULL) {
			fprintf(stderr, "attestgate %s: out of memory\n", cmd->name);
			return AG_ECONFIG;
		}
		v->vals[k] = v->owned[k];
	}
	return 0;
}

int
cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_values *v)
{
	memset(v, 0, sizeof(*v));
	if (add_flags(v, cmd->flags) != 0 || add_flags(v, cli_common_flags) != 0) {
		fprintf(stderr, "attestgate %s: too many flags defined\n", cmd->name);
		return AG_ECONFIG;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *val = NULL;
		char shortopt = 0, from[80];
		size_t len;
		int k;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			v->help = 1;
			continue;
		}
		if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
			name = a + 2;
			eq = strchr(name, '=');
			len = eq != NULL ? (size_t)(eq - name) : strlen(name);
			val = eq != NULL ? eq + 1 : NULL;
		} else if (a[0] == '-' && a[1] != '\0' && a[1] != '-' && a[2] == '\0') {
			name = a + 1;
			len = 1;
			shortopt = a[1];
		} else {
			fprintf(stderr, "attestgate %s: unexpected argument \"%s\"\n", cmd->name, a);
			return usage_error(cmd);
		}
		k = find_flag(v, name, len, shortopt);
		if (k < 0)
			return unknown_flag(cmd, v, name, len, shortopt);
		if (v->vals[k] != NULL && v->flags[k]->type == CLI_LIST) {
			if (val == NULL && i + 1 < argc)
				val = argv[++i];
			if (append_value(cmd, v, k, val) != 0)
				return AG_ECONFIG;
			continue;
		}
		if (v->vals[k] != NULL) {
			fprintf(stderr, "attestgate %s: flag --%s given more than once\n", cmd->name,
			    v->flags[k]->name);
			return usage_error(cmd);
		}
		if (val == NULL && v->flags[k]->type == CLI_BOOL) {
			val = "true";
		} else if (val == NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "attestgate %s: flag --%s needs a value (%s)\n", cmd->name,
				    v->flags[k]->name, v->flags[k]->metavar);
				return usage_error(cmd);
			}
			val = argv[++i];
		}
		snprintf(from, sizeof(from), "--%s", v->flags[k]->name);
		if (validate(cmd, v->flags[k], val, from) != 0)
			return usage_error(cmd);
		v->vals[k] = val;
	}
	return env_and_defaults(cmd, v);
}

void
cli_values_free(struct cli_values *v)
{
	for (int k = 0; k < v->n; k++) {
		free(v->owned[k]);
		v->owned[k] = NULL;
	}
}

static int
index_of(const struct cli_values *v, const char *name)
{
	for (int k = 0; k < v->n; k++)
		if (strcmp(v->flags[k]->name, name) == 0)
			return k;
	return -1;
}

const char *
cli_get(const struct cli_values *v, const char *name)
{
	int k = index_of(v, name);

	return k >= 0 ? v->vals[k] : NULL;
}

int
cli_get_bool(const struct cli_values *v, const char *name)
{
	const char *s = cli_get(v, name);

	return s != NULL && bool_value(s) == 1;
}

int64_t
cli_get_duration_ms(const struct cli_values *v, const char *name)
{
	const char *s = cli_get(v, name);
	int64_t ms;

	if (s == NULL || ag_duration_parse(s, &ms, NULL) != AG_OK)
		return -1;
	return ms;
}

/* The left column of a flag's help line: "-f, --file FILE" or "    --name VALUE". */
static void
flag_left(const struct cli_flag *f, char *left, size_t size)
{
	if (f->shortopt != 0)
		snprintf(left, size, "-%c, --%s%s%s", f->shortopt, f->name, f->type == CLI_BOOL ? "" : " ",
		    f->type == CLI_BOOL ? "" : f->metavar);
	else
		snprintf(left, size, "    --%s%s%s", f->name, f->type == CLI_BOOL ? "" : " ", f->type == CLI_BOOL ? "" : f->metavar);
}

/* The width of the widest left column of flags, at least w. */
static int
left_width(const struct cli_flag *f, int w)
{
	char left[96];

	for (; f != NULL && f->name != NULL; f++) {
		flag_left(f, left, sizeof(left));
		w = (int)strlen(left) > w ? (int)strlen(left) : w;
	}
	return w;
}

static void
print_flags(const struct cli_flag *f, int w, FILE *out)
{
	for (; f != NULL && f->name != NULL; f++) {
		char left[96], env[96];

		flag_left(f, left, sizeof(left));
		cli_env_name(f->name, env, sizeof(env));
		fprintf(out, "  %-*s  %s", w, left, f->help);
		if (f->type == CLI_CHOICE)
			fprintf(out, " (%s)", f->choices);
		if (f->type == CLI_LIST)
			fprintf(out, " (repeatable)");
		if (f->def != NULL)
			fprintf(out, " [default: %s]", f->def);
		if (f->flag_only)
			fprintf(out, "\n  %-*s  command line only (never from the environment)\n", w, "");
		else
			fprintf(out, "\n  %-*s  env %s\n", w, "", env);
	}
}

void
cli_print_help(const struct cli_cmd *cmd, FILE *out)
{
	/* One column width for every flag of the command, so that the help text lines up. */
	int w = left_width(cli_common_flags, left_width(cmd->flags, (int)strlen("-h, --help")));

	fprintf(out, "Usage: attestgate %s [flags]\n\n%s\n", cmd->name, cmd->summary);
	if (cmd->details != NULL)
		fprintf(out, "\n%s\n", cmd->details);
	if (cmd->flags != NULL && cmd->flags->name != NULL) {
		fprintf(out, "\nFlags:\n");
		print_flags(cmd->flags, w, out);
	}
	fprintf(out, "\nCommon flags:\n");
	print_flags(cli_common_flags, w, out);
	fprintf(out, "  %-*s  show this help\n", w, "-h, --help");
	fprintf(out, "\nEvery flag but the command-line-only ones can also be set with its environment\n"
		     "variable; a flag on the command line wins over the environment.\n");
}
