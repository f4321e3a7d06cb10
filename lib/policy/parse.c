/*
 * policy/parse.c - AttestationPolicy parsing (bytes in, struct out, no I/O).
 *
 * Loading is two passes over the bytes: an event scan that bounds the
 * structure (one document, nesting depth, alias count) before anything is
 * built, then libyaml's document loader and a walk that follows the schema
 * exactly, so unknown keys, duplicates and wrong types are caught where they
 * are and reported as file:line:column.  Plain scalars are typed by the YAML
 * 1.2 core schema (true/false, null, numbers; "yes"/"no" stay strings), and
 * ambiguous ones (leading zeros, huge digit strings) must be quoted.
 */
#include "policy/policy.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "base/duration.h"
#include "format/claims.h"
#include "format/token.h"

#define REGEX_MAX 512
#define MAX_FIELDS 16

static const char *const op_names[] = { "equals", "oneOf", "noneOf", "atLeast", "atMost",
	"matches", "exists", "absent" };
static const char *const known_platforms[] = { "azure-cvm", "azure-kata-cc", "sev-snp", "tdx" };

const char *
ag_policy_op_name(enum ag_policy_op op)
{
	return op_names[op];
}

struct loader {
	yaml_document_t doc;
	const char *file;
	struct ag_err *err;
	struct ag_policy *p;
	struct ag_policy_rule *rule;   /* rule being loaded */
	int op_set;
	yaml_node_t *verifier_node;
	struct ag_policy_key *key;      /* key being loaded */
	long regex_cost;                /* summed over the policy's matches rules */
};

static enum ag_code
fail_mark(struct loader *l, yaml_mark_t m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum ag_code
fail_mark(struct loader *l, yaml_mark_t m, const char *fmt, ...)
{
	char msg[AG_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ag_err_set(l->err, AG_ECONFIG, "%s:%zu:%zu: %s", l->file, m.line + 1, m.column + 1, msg);
}

#define fail_at(l, n, ...) fail_mark((l), (n)->start_mark, __VA_ARGS__)

static const char *
node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* Pass 1: bound the structure before building anything. */
static enum ag_code
prescan(const uint8_t *buf, size_t len, struct loader *l)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, aliases = 0, docs = 0, done = 0;
	enum ag_code rc = AG_OK;

	if (!yaml_parser_initialize(&parser))
		return ag_err_set(l->err, AG_ECONFIG, "%s: out of memory", l->file);
	yaml_parser_set_input_string(&parser, buf, len);
	while (!done && rc == AG_OK) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = fail_mark(l, parser.problem_mark, "invalid YAML: %s",
			    parser.problem != NULL ? parser.problem : "syntax error");
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				rc = fail_mark(l, ev.start_mark, "one policy per file: a second document starts here");
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > AG_POLICY_MAX_DEPTH)
				rc = fail_mark(l, ev.start_mark, "nested deeper than %d levels", AG_POLICY_MAX_DEPTH);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_ALIAS_EVENT:
			if (++aliases > AG_POLICY_MAX_ALIASES)
				rc = fail_mark(l, ev.start_mark, "more than %d aliases", AG_POLICY_MAX_ALIASES);
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
is_real(const char *s)
{
	int digits = 0;

	if (*s == '+' || *s == '-')
		s++;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits++;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits++;
		}
	}
	if (digits == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!all_digits(s))
			return 0;
		return 1;
	}
	return *s == '\0';
}

/* Types a scalar node by the YAML 1.2 core schema into a new JSON value. */
static enum ag_code
scalar_json(struct loader *l, yaml_node_t *n, const char *what, json_t **out)
{
	const char *s;
	size_t len;

	*out = NULL;
	if (n->type != YAML_SCALAR_NODE)
		return fail_at(l, n, "%s must be a scalar, not %s", what, node_kind(n));
	s = (const char *)n->data.scalar.value;
	len = n->data.scalar.length;
	if (strlen(s) != len)
		return fail_at(l, n, "%s contains a NUL character", what);
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		*out = json_stringn(s, len);
	} else if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0) {
		*out = json_true();
	} else if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0) {
		*out = json_false();
	} else if (len == 0 || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0) {
		*out = json_null();
	} else if (all_digits(s + (s[0] == '-' || s[0] == '+'))) {
		const char *d = s + (s[0] == '-' || s[0] == '+');

		if (d[0] == '0' && d[1] != '\0') {
			const char *z = d;

			while (z[0] == '0' && z[1] != '\0')
				z++;
			/* atLeast/atMost take numbers only: quoting would make it a string they refuse. */
			if (strcmp(what, "atLeast") == 0 || strcmp(what, "atMost") == 0)
				return fail_at(l, n, "%s \"%s\" has leading zeros: write %s%s", what, s, s[0] == '-' ? "-" : "", z);
			return fail_at(l, n, "%s \"%s\" has leading zeros: write %s%s for the number, or \"%s\" in quotes for a string "
					     "(a digest)", what, s, s[0] == '-' ? "-" : "", z, s);
		}
		if (strlen(d) > 18)
			return fail_at(l, n, "%s \"%s\" is too large for a number: quote it if it is a string", what, s);
		*out = json_integer(strtoll(s, NULL, 10));
	} else if (is_real(s)) {
		double v = strtod(s, NULL);

		if (!isfinite(v))
			return fail_at(l, n, "%s \"%s\" is not a finite number", what, s);
		*out = json_real(v);
	} else {
		*out = json_stringn(s, len);
	}
	if (*out == NULL)
		return fail_at(l, n, "%s is not valid UTF-8", what);
	return AG_OK;
}

static enum ag_code
scalar_string(struct loader *l, yaml_node_t *n, const char *what, char **out)
{
	json_t *j;
	enum ag_code rc = scalar_json(l, n, what, &j);

	if (rc != AG_OK)
		return rc;
	if (!json_is_string(j)) {
		json_decref(j);
		return fail_at(l, n, "%s must be a string (quote it)", what);
	}
	free(*out);
	*out = strdup(json_string_value(j));
	json_decref(j);
	return *out != NULL ? AG_OK : fail_at(l, n, "out of memory");
}

static enum ag_code
scalar_bool(struct loader *l, yaml_node_t *n, const char *what, int *out)
{
	json_t *j;
	enum ag_code rc = scalar_json(l, n, what, &j);

	if (rc != AG_OK)
		return rc;
	if (!json_is_boolean(j)) {
		json_decref(j);
		return fail_at(l, n, "%s must be true or false", what);
	}
	*out = json_is_true(j);
	json_decref(j);
	return AG_OK;
}

static enum ag_code
scalar_duration(struct loader *l, yaml_node_t *n, const char *what, int64_t *out)
{
	char *s = NULL;
	struct ag_err derr;
	enum ag_code rc = scalar_string(l, n, what, &s);

	if (rc == AG_OK && ag_duration_parse(s, out, &derr) != AG_OK)
		rc = fail_at(l, n, "%s: %s", what, derr.msg);
	free(s);
	return rc;
}

/* One key of a mapping the schema knows, and what loads its value. */
typedef enum ag_code (*field_fn)(struct loader *l, yaml_node_t *val);
struct field {
	const char *name;
	int required;
	field_fn fn;
};

/* Walks a mapping: every key known, none twice, every required one present. */
static enum ag_code
walk_mapping(struct loader *l, yaml_node_t *map, const char *where, const struct field *fields)
{
	int seen[MAX_FIELDS] = { 0 };
	char allowed[256] = "";
	enum ag_code rc;
	size_t nf = 0;

	while (fields[nf].name != NULL)
		nf++;
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(l, map, "%s must be a mapping, not %s", where, node_kind(map));
	for (size_t i = 0; i < nf; i++)
		snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s%s",
		    i > 0 ? ", " : "", fields[i].name);
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(&l->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(&l->doc, pr->value);
		const char *name;
		size_t i;

		if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE)
			return fail_at(l, k != NULL ? k : map, "%s: keys must be plain names", where);
		name = (const char *)k->data.scalar.value;
		for (i = 0; i < nf; i++)
			if (strcmp(name, fields[i].name) == 0)
				break;
		if (i == nf)
			return fail_at(l, k, "unknown key \"%.64s\" in %s (allowed: %s)", name, where, allowed);
		if (seen[i]++)
			return fail_at(l, k, "duplicate key \"%s\" in %s", name, where);
		rc = fields[i].fn(l, v);
		if (rc != AG_OK)
			return rc;
	}
	for (size_t i = 0; i < nf; i++)
		if (fields[i].required && !seen[i])
			return fail_at(l, map, "%s: missing required key \"%s\"", where, fields[i].name);
	return AG_OK;
}

static enum ag_code
f_api_version(struct loader *l, yaml_node_t *v)
{
	char *s = NULL;
	enum ag_code rc = scalar_string(l, v, "apiVersion", &s);

	if (rc == AG_OK && strcmp(s, "attestgate.io/v1") != 0)
		rc = fail_at(l, v, "apiVersion must be attestgate.io/v1, not \"%.64s\"", s);
	free(s);
	return rc;
}

static enum ag_code
f_kind(struct loader *l, yaml_node_t *v)
{
	char *s = NULL;
	enum ag_code rc = scalar_string(l, v, "kind", &s);

	if (rc == AG_OK && strcmp(s, "AttestationPolicy") != 0)
		rc = fail_at(l, v, "kind must be AttestationPolicy, not \"%.64s\"", s);
	free(s);
	return rc;
}

int
ag_policy_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (; *s != '\0'; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

static enum ag_code
f_meta_name(struct loader *l, yaml_node_t *v)
{
	enum ag_code rc = scalar_string(l, v, "metadata.name", &l->p->name);

	if (rc == AG_OK && !ag_policy_name_valid(l->p->name))
		rc = fail_at(l, v, "metadata.name \"%.64s\" must be lower-case letters, digits, '-' and '.'",
		    l->p->name);
	return rc;
}

static enum ag_code
f_metadata(struct loader *l, yaml_node_t *v)
{
	static const struct field f[] = { { "name", 1, f_meta_name }, { 0 } };

	return walk_mapping(l, v, "metadata", f);
}

static enum ag_code
f_platforms(struct loader *l, yaml_node_t *v)
{
	size_t n;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail_at(l, v, "spec.platforms must be a list, not %s", node_kind(v));
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (n == 0)
		return fail_at(l, v, "spec.platforms must list at least one platform");
	if (n > 8)
		return fail_at(l, v, "spec.platforms lists too many platforms");
	l->p->platforms = calloc(n, sizeof(char *));
	if (l->p->platforms == NULL)
		return fail_at(l, v, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yaml_document_get_node(&l->doc, v->data.sequence.items.start[i]);
		char *s = NULL;
		size_t k;
		enum ag_code rc = scalar_string(l, it, "a platform", &s);

		if (rc != AG_OK)
			return rc;
		l->p->platforms[l->p->n_platforms++] = s;
		for (k = 0; k < sizeof(known_platforms) / sizeof(known_platforms[0]); k++)
			if (strcmp(s, known_platforms[k]) == 0)
				break;
		if (k == sizeof(known_platforms) / sizeof(known_platforms[0]))
			return fail_at(l, it, "unknown platform \"%.64s\" (use azure-cvm, azure-kata-cc, sev-snp or tdx)", s);
		for (k = 0; k + 1 < l->p->n_platforms; k++)
			if (strcmp(s, l->p->platforms[k]) == 0)
				return fail_at(l, it, "platform \"%s\" listed twice", s);
	}
	return AG_OK;
}

static enum ag_code
f_verifier_type(struct loader *l, yaml_node_t *v)
{
	enum ag_code rc = scalar_string(l, v, "spec.verifier.type", &l->p->verifier_type);

	if (rc == AG_OK && strcmp(l->p->verifier_type, "maa") != 0 &&
	    strcmp(l->p->verifier_type, "local") != 0)
		rc = fail_at(l, v, "spec.verifier.type must be maa or local, not \"%.64s\"", l->p->verifier_type);
	return rc;
}

static enum ag_code
f_verifier_url(struct loader *l, yaml_node_t *v)
{
	enum ag_code rc = scalar_string(l, v, "spec.verifier.url", &l->p->verifier_url);
	const char *why;

	if (rc != AG_OK)
		return rc;
	why = ag_token_issuer_normalize(l->p->verifier_url);
	if (why != NULL)
		return fail_at(l, v, "spec.verifier.url %s, not \"%.80s\"", why, l->p->verifier_url);
	return AG_OK;
}

static enum ag_code
f_verifier(struct loader *l, yaml_node_t *v)
{
	static const struct field f[] = { { "type", 1, f_verifier_type }, { "url", 0, f_verifier_url },
		{ 0 } };

	l->verifier_node = v;
	return walk_mapping(l, v, "spec.verifier", f);
}

static enum ag_code
f_nonce(struct loader *l, yaml_node_t *v)
{
	return scalar_bool(l, v, "spec.freshness.nonce", &l->p->nonce);
}

static enum ag_code
f_max_age(struct loader *l, yaml_node_t *v)
{
	enum ag_code rc = scalar_duration(l, v, "spec.freshness.maxTokenAge", &l->p->max_token_age_ms);

	if (rc == AG_OK && l->p->max_token_age_ms <= 0)
		rc = fail_at(l, v, "spec.freshness.maxTokenAge must be positive");
	return rc;
}

static enum ag_code
f_skew(struct loader *l, yaml_node_t *v)
{
	enum ag_code rc = scalar_duration(l, v, "spec.freshness.clockSkew", &l->p->clock_skew_ms);

	if (rc == AG_OK && l->p->clock_skew_ms > 10 * 60 * 1000)
		rc = fail_at(l, v, "spec.freshness.clockSkew must be at most 10m");
	return rc;
}

static enum ag_code
f_freshness(struct loader *l, yaml_node_t *v)
{
	static const struct field f[] = { { "nonce", 0, f_nonce }, { "maxTokenAge", 0, f_max_age },
		{ "clockSkew", 0, f_skew }, { 0 } };

	return walk_mapping(l, v, "spec.freshness", f);
}

static enum ag_code
f_mode(struct loader *l, yaml_node_t *v)
{
	char *s = NULL;
	enum ag_code rc = scalar_string(l, v, "spec.mode", &s);

	if (rc == AG_OK) {
		if (strcmp(s, "enforce") == 0)
			l->p->mode = AG_MODE_ENFORCE;
		else if (strcmp(s, "audit") == 0)
			l->p->mode = AG_MODE_AUDIT;
		else
			rc = fail_at(l, v, "spec.mode must be enforce or audit, not \"%.64s\"", s);
	}
	free(s);
	return rc;
}

static enum ag_code
f_claim(struct loader *l, yaml_node_t *v)
{
	enum ag_code rc = scalar_string(l, v, "claim", &l->rule->claim);

	if (rc == AG_OK && !ag_claims_pointer_valid(l->rule->claim))
		rc = fail_at(l, v, "claim \"%.80s\" must be a JSON Pointer such as /x-ms-isolation-tee/x-ms-compliance-status "
				   "(at most %d bytes)", l->rule->claim, AG_CLAIMS_POINTER_MAX);
	return rc;
}

/* Sets the rule's operator, refusing a second one. */
static enum ag_code
set_op(struct loader *l, yaml_node_t *v, enum ag_policy_op op)
{
	if (l->op_set)
		return fail_at(l, v, "a rule has exactly one operator: this one has %s and %s (split it into two rules)",
		    op_names[l->rule->op], op_names[op]);
	l->op_set = 1;
	l->rule->op = op;
	return AG_OK;
}

static enum ag_code
expect_scalar_value(struct loader *l, yaml_node_t *v, const char *op, json_t **out)
{
	enum ag_code rc = scalar_json(l, v, op, out);

	if (rc == AG_OK && json_is_null(*out)) {
		json_decref(*out);
		*out = NULL;
		return fail_at(l, v, "%s needs a string, number or boolean (use absent: true for a missing claim)", op);
	}
	return rc;
}

static enum ag_code
f_equals(struct loader *l, yaml_node_t *v)
{
	enum ag_code rc = set_op(l, v, AG_OP_EQUALS);

	return rc != AG_OK ? rc : expect_scalar_value(l, v, "equals", &l->rule->expected);
}

static enum ag_code
list_op(struct loader *l, yaml_node_t *v, enum ag_policy_op op)
{
	enum ag_code rc = set_op(l, v, op);
	size_t n;

	if (rc != AG_OK)
		return rc;
	if (v->type != YAML_SEQUENCE_NODE)
		return fail_at(l, v, "%s must be a list, not %s", op_names[op], node_kind(v));
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (n == 0)
		return fail_at(l, v, "%s must list at least one value", op_names[op]);
	if (n > AG_POLICY_MAX_LIST)
		return fail_at(l, v, "%s lists more than %d values", op_names[op], AG_POLICY_MAX_LIST);
	l->rule->expected = json_array();
	if (l->rule->expected == NULL)
		return fail_at(l, v, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yaml_document_get_node(&l->doc, v->data.sequence.items.start[i]);
		json_t *j;

		rc = expect_scalar_value(l, it, op_names[op], &j);
		if (rc != AG_OK)
			return rc;
		json_array_append_new(l->rule->expected, j);
	}
	return AG_OK;
}

static enum ag_code
f_one_of(struct loader *l, yaml_node_t *v)
{
	return list_op(l, v, AG_OP_ONEOF);
}

static enum ag_code
f_none_of(struct loader *l, yaml_node_t *v)
{
	return list_op(l, v, AG_OP_NONEOF);
}

static enum ag_code
bound_op(struct loader *l, yaml_node_t *v, enum ag_policy_op op)
{
	enum ag_code rc = set_op(l, v, op);

	if (rc == AG_OK)
		rc = scalar_json(l, v, op_names[op], &l->rule->expected);
	if (rc == AG_OK && !json_is_number(l->rule->expected))
		rc = fail_at(l, v, "%s must be a number", op_names[op]);
	return rc;
}

static enum ag_code
f_at_least(struct loader *l, yaml_node_t *v)
{
	return bound_op(l, v, AG_OP_ATLEAST);
}

static enum ag_code
f_at_most(struct loader *l, yaml_node_t *v)
{
	return bound_op(l, v, AG_OP_ATMOST);
}

/* A back-reference (\1..\9): no claim needs one, and glibc matches them by unbounded backtracking. */
static int
has_backref(const char *re)
{
	for (const char *c = re; *c != '\0'; c++) {
		if (*c != '\\')
			continue;
		if (c[1] >= '1' && c[1] <= '9')
			return 1;
		if (c[1] != '\0')
			c++;
	}
	return 0;
}

#define REGEX_COST_MAX 2000    /* copies of pattern nodes glibc's regcomp may make (it expands repetitions) */
#define REGEX_TOTAL_COST_MAX 8000   /* over all matches rules of one policy (each compiled regex stays in memory) */
#define REGEX_DEPTH_MAX 32

/*
 * An upper estimate of how many nodes glibc's regcomp builds for an ERE: it
 * copies a repeated atom once per repetition (a+ is a a*, a{2,5} five
 * copies), so stacked or nested repetitions grow exponentially (fuzzing found
 * "e+++...+" taking gigabytes).  -1 when the estimate passes REGEX_COST_MAX.
 */
static long
regex_cost(const char *re)
{
	long seq[REGEX_DEPTH_MAX + 1] = { 0 }, last[REGEX_DEPTH_MAX + 1] = { 0 };
	int d = 0;

	for (const char *p = re; *p != '\0'; p++) {
		long times = 0;

		if (*p == '(') {
			if (++d > REGEX_DEPTH_MAX)
				return -1;
			seq[d] = last[d] = 0;
			continue;
		}
		if (*p == ')' && d > 0) {
			long group = seq[d] + 1;

			d--;
			seq[d] += group;
			last[d] = group;
		} else if (*p == '+') {
			times = 2;
		} else if (*p == '*' || *p == '?') {
			times = 1;
		} else if (*p == '{') {
			char *end;
			long m = strtol(p + 1, &end, 10), n = m;

			if (*end == ',')
				n = end[1] == '}' ? m : strtol(end + 1, &end, 10);
			/* Bounds as written can be anything (strtol saturates): past the limit is past the limit. */
			m = m < 0 ? 0 : m > REGEX_COST_MAX ? REGEX_COST_MAX : m;
			n = n < 0 ? 0 : n > REGEX_COST_MAX ? REGEX_COST_MAX : n;
			times = (m > n ? m : n) + 1;
			p = strchr(p, '}') != NULL ? strchr(p, '}') : p + strlen(p) - 1;
		} else if (*p == '|') {
			last[d] = 0;
			seq[d] += 1;
		} else {
			if (*p == '[') {
				/* A bracket expression is one atom: skip to its closing ']' (a leading ']' is literal). */
				const char *q = p + 1 + (p[1] == '^');

				q += *q == ']';
				while (*q != '\0' && *q != ']')
					q++;
				p = *q == ']' ? q : p;
			} else if (*p == '\\' && p[1] != '\0') {
				p++;
			}
			seq[d] += 1;
			last[d] = 1;
		}
		if (times > 0) {
			/* The last atom is copied times over: its copies replace it in the sequence. */
			if (times > REGEX_COST_MAX || last[d] > REGEX_COST_MAX / times)
				return -1;
			seq[d] += last[d] * (times - 1);
			last[d] *= times;
		}
		if (seq[d] > REGEX_COST_MAX)
			return -1;
	}
	return seq[0];
}

static enum ag_code
f_matches(struct loader *l, yaml_node_t *v)
{
	char *re = NULL, msg[160];
	enum ag_code rc = set_op(l, v, AG_OP_MATCHES);
	long cost;
	int e;

	if (rc == AG_OK)
		rc = scalar_string(l, v, "matches", &re);
	if (rc != AG_OK) {
		free(re);
		return rc;
	}
	if (strlen(re) > REGEX_MAX) {
		free(re);
		return fail_at(l, v, "matches: the regular expression is longer than %d characters", REGEX_MAX);
	}
	if (has_backref(re)) {
		free(re);
		return fail_at(l, v, "matches: back-references (\\1 to \\9) are not supported; write the alternatives out");
	}
	cost = regex_cost(re);
	if (cost < 0) {
		free(re);
		return fail_at(l, v, "matches: the regular expression repeats too much (stacked or nested repetitions); "
				     "simplify it");
	}
	l->regex_cost += cost;
	if (l->regex_cost > REGEX_TOTAL_COST_MAX) {
		free(re);
		return fail_at(l, v, "matches: the policy's regular expressions together repeat too much; simplify them");
	}
	/* Compiled as written: the whole-claim anchor is checked on the match's span (ag_policy_eval), so the
	 * author's groups keep their numbers. */
	e = regcomp(&l->rule->re, re, REG_EXTENDED);
	if (e != 0) {
		regerror(e, &l->rule->re, msg, sizeof(msg));
		rc = fail_at(l, v, "matches: bad regular expression \"%.80s\": %s", re, msg);
	} else {
		l->rule->has_re = 1;
		l->rule->expected = json_string(re);
	}
	free(re);
	return rc;
}

static enum ag_code
presence_op(struct loader *l, yaml_node_t *v, enum ag_policy_op op)
{
	enum ag_code rc = set_op(l, v, op);
	int b = 0;

	if (rc == AG_OK)
		rc = scalar_bool(l, v, op_names[op], &b);
	if (rc == AG_OK && !b)
		rc = fail_at(l, v, "%s takes only true (use %s: true instead)", op_names[op],
		    op == AG_OP_EXISTS ? "absent" : "exists");
	if (rc == AG_OK)
		l->rule->expected = json_true();
	return rc;
}

static enum ag_code
f_exists(struct loader *l, yaml_node_t *v)
{
	return presence_op(l, v, AG_OP_EXISTS);
}

static enum ag_code
f_absent(struct loader *l, yaml_node_t *v)
{
	return presence_op(l, v, AG_OP_ABSENT);
}

/* A list of rules (spec.require, spec.gpus.require) into *rules. */
static enum ag_code
parse_rules(struct loader *l, yaml_node_t *v, const char *where, struct ag_policy_rule **rules, size_t *n_rules)
{
	static const struct field f[] = { { "claim", 1, f_claim }, { "equals", 0, f_equals },
		{ "oneOf", 0, f_one_of }, { "noneOf", 0, f_none_of }, { "atLeast", 0, f_at_least },
		{ "atMost", 0, f_at_most }, { "matches", 0, f_matches }, { "exists", 0, f_exists },
		{ "absent", 0, f_absent }, { 0 } };
	size_t n;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail_at(l, v, "%s must be a list of rules, not %s", where, node_kind(v));
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (n == 0)
		return fail_at(l, v, "%s must list at least one rule", where);
	if (n > AG_POLICY_MAX_RULES)
		return fail_at(l, v, "%s lists more than %d rules", where, AG_POLICY_MAX_RULES);
	*rules = calloc(n, sizeof(**rules));
	if (*rules == NULL)
		return fail_at(l, v, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yaml_document_get_node(&l->doc, v->data.sequence.items.start[i]);
		enum ag_code rc;

		l->rule = &(*rules)[(*n_rules)++];
		l->rule->line = it->start_mark.line + 1;
		l->op_set = 0;
		rc = walk_mapping(l, it, "a rule", f);
		if (rc != AG_OK)
			return rc;
		if (!l->op_set)
			return fail_at(l, it, "rule for %s has no operator (equals, oneOf, noneOf, atLeast, atMost, matches, exists, absent)",
			    l->rule->claim);
	}
	return AG_OK;
}

static enum ag_code
f_require(struct loader *l, yaml_node_t *v)
{
	return parse_rules(l, v, "spec.require", &l->p->rules, &l->p->n_rules);
}

static enum ag_code
f_gpus_require(struct loader *l, yaml_node_t *v)
{
	return parse_rules(l, v, "spec.gpus.require", &l->p->gpus.rules, &l->p->gpus.n_rules);
}

static enum ag_code
f_gpus_count(struct loader *l, yaml_node_t *v)
{
	json_t *j = NULL;
	enum ag_code rc = scalar_json(l, v, "spec.gpus.count", &j);

	if (rc == AG_OK && (!json_is_integer(j) || json_integer_value(j) < 1 ||
	    json_integer_value(j) > AG_POLICY_MAX_GPUS))
		rc = fail_at(l, v, "spec.gpus.count must be a number of GPUs, 1 to %d", AG_POLICY_MAX_GPUS);
	if (rc == AG_OK)
		l->p->gpus.count = (unsigned)json_integer_value(j);
	json_decref(j);
	return rc;
}

/* spec.gpus: the node's NVIDIA GPUs attest too, with the same run's nonce. */
static enum ag_code
f_gpus(struct loader *l, yaml_node_t *v)
{
	static const struct field f[] = { { "count", 1, f_gpus_count }, { "require", 0, f_gpus_require }, { 0 } };

	l->p->gpus.present = 1;
	return walk_mapping(l, v, "spec.gpus", f);
}

static const char *const key_format_names[] = { "raw", "pem", "jwk" };

const char *
ag_policy_key_format_name(enum ag_key_format f)
{
	return key_format_names[f];
}

int
ag_policy_key_file_valid(const char *name)
{
	static const char *const reserved[] = { "token", "claims.json", "status.json", "jwks.json", "ready", "evidence",
		NULL };
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.')
		return 0;
	for (const char *c = name; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
			return 0;
	for (size_t i = 0; reserved[i] != NULL; i++)
		if (strcmp(name, reserved[i]) == 0)
			return 0;
	return 1;
}

static enum ag_code
f_key_vault(struct loader *l, yaml_node_t *v)
{
	enum ag_code rc = scalar_string(l, v, "keys[].vault", &l->key->vault);
	const char *why;

	if (rc != AG_OK)
		return rc;
	why = ag_token_issuer_normalize(l->key->vault);
	if (why == NULL)
		why = ag_skr_vault_url_problem(l->key->vault);
	if (why != NULL)
		return fail_at(l, v, "keys[].vault %s (https://NAME.vault.azure.net or https://NAME.managedhsm.azure.net), "
				   "not \"%.80s\"", why, l->key->vault);
	return AG_OK;
}

static enum ag_code
f_key_name(struct loader *l, yaml_node_t *v)
{
	enum ag_code rc = scalar_string(l, v, "keys[].name", &l->key->name);
	size_t n;

	if (rc != AG_OK)
		return rc;
	n = strlen(l->key->name);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)l->key->name[i]) && l->key->name[i] != '-')
			n = 0;
	if (n == 0 || n > 127)
		return fail_at(l, v, "keys[].name \"%.80s\" must be a Key Vault key name: 1 to 127 letters, digits and '-'",
		    l->key->name);
	return AG_OK;
}

static enum ag_code
f_key_version(struct loader *l, yaml_node_t *v)
{
	enum ag_code rc = scalar_string(l, v, "keys[].version", &l->key->version);
	size_t n;

	if (rc != AG_OK)
		return rc;
	n = strlen(l->key->version);
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)l->key->version[i]))
			n = 0;
	if (n != 32)
		return fail_at(l, v, "keys[].version \"%.80s\" must be a key version: 32 hexadecimal digits", l->key->version);
	return AG_OK;
}

static enum ag_code
f_key_file(struct loader *l, yaml_node_t *v)
{
	enum ag_code rc = scalar_string(l, v, "keys[].file", &l->key->file);

	if (rc == AG_OK && !ag_policy_key_file_valid(l->key->file))
		return fail_at(l, v, "keys[].file \"%.80s\" must be a plain file name (letters, digits, '.', '-', '_'; at most 64; "
				   "not token, claims.json, status.json, jwks.json, ready or evidence)", l->key->file);
	for (struct ag_policy_key *k = l->p->keys; rc == AG_OK && k < l->key; k++)
		if (strcmp(k->file, l->key->file) == 0)
			return fail_at(l, v, "keys[].file \"%s\" is the file of another key", l->key->file);
	return rc;
}

static enum ag_code
f_key_format(struct loader *l, yaml_node_t *v)
{
	char *s = NULL;
	enum ag_code rc = scalar_string(l, v, "keys[].format", &s);
	size_t i;

	for (i = 0; rc == AG_OK && i < sizeof(key_format_names) / sizeof(key_format_names[0]); i++)
		if (strcmp(s, key_format_names[i]) == 0)
			break;
	if (rc == AG_OK && i == sizeof(key_format_names) / sizeof(key_format_names[0]))
		rc = fail_at(l, v, "keys[].format must be raw, pem or jwk, not \"%.64s\"", s);
	if (rc == AG_OK)
		l->key->format = (enum ag_key_format)i;
	free(s);
	return rc;
}

static enum ag_code
f_keys(struct loader *l, yaml_node_t *v)
{
	static const struct field f[] = { { "vault", 1, f_key_vault }, { "name", 1, f_key_name },
		{ "version", 0, f_key_version }, { "file", 1, f_key_file }, { "format", 0, f_key_format }, { 0 } };
	size_t n;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail_at(l, v, "spec.keys must be a list of keys, not %s", node_kind(v));
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (n == 0)
		return fail_at(l, v, "spec.keys must list at least one key (or be left out)");
	if (n > AG_POLICY_MAX_KEYS)
		return fail_at(l, v, "spec.keys lists more than %d keys", AG_POLICY_MAX_KEYS);
	l->p->keys = calloc(n, sizeof(*l->p->keys));
	if (l->p->keys == NULL)
		return fail_at(l, v, "out of memory");
	for (size_t i = 0; i < n; i++) {
		enum ag_code rc;

		l->key = &l->p->keys[l->p->n_keys++];
		rc = walk_mapping(l, yaml_document_get_node(&l->doc, v->data.sequence.items.start[i]), "a key", f);
		if (rc != AG_OK)
			return rc;
	}
	return AG_OK;
}

static enum ag_code
f_expect_host_data(struct loader *l, yaml_node_t *v)
{
	char *s = NULL;
	enum ag_code rc = scalar_string(l, v, "spec.expectHostData", &s);

	if (rc == AG_OK && strcmp(s, "fromAnnotation") != 0)
		rc = fail_at(l, v, "spec.expectHostData must be fromAnnotation (the digest of the pod's kata agent policy "
				   "annotation), not \"%.64s\"", s);
	free(s);
	l->p->expect_host_data_annotation = rc == AG_OK;
	return rc;
}

static enum ag_code
f_spec(struct loader *l, yaml_node_t *v)
{
	static const struct field f[] = { { "platforms", 1, f_platforms }, { "verifier", 1, f_verifier },
		{ "freshness", 0, f_freshness }, { "mode", 0, f_mode }, { "require", 1, f_require },
		{ "keys", 0, f_keys }, { "expectHostData", 0, f_expect_host_data }, { "gpus", 0, f_gpus }, { 0 } };
	enum ag_code rc = walk_mapping(l, v, "spec", f);

	if (rc != AG_OK)
		return rc;
	if (strcmp(l->p->verifier_type, "maa") == 0 && l->p->verifier_url == NULL)
		return fail_at(l, l->verifier_node, "spec.verifier: type maa needs the instance url it pins");
	if (strcmp(l->p->verifier_type, "local") == 0 && l->p->verifier_url != NULL)
		return fail_at(l, l->verifier_node, "spec.verifier: type local takes no url");
	if (l->p->expect_host_data_annotation && !ag_policy_allows_platform(l->p, "azure-kata-cc"))
		return fail_at(l, v, "spec.expectHostData applies to kata-cc pods: list azure-kata-cc in spec.platforms");
	if (l->p->n_keys > 0 && strcmp(l->p->verifier_type, "maa") != 0)
		return fail_at(l, v, "spec.keys: a vault releases keys against an MAA token; the local verifier has none "
				     "(use verifier type maa)");
	return AG_OK;
}

enum ag_code
ag_policy_parse(const uint8_t *buf, size_t len, const char *file, struct ag_policy **out,
    struct ag_err *err)
{
	static const struct field top[] = { { "apiVersion", 1, f_api_version }, { "kind", 1, f_kind },
		{ "metadata", 1, f_metadata }, { "spec", 1, f_spec }, { 0 } };
	struct loader l;
	yaml_parser_t parser;
	yaml_node_t *root;
	enum ag_code rc;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	l.file = file;
	l.err = err;
	if (len > AG_POLICY_MAX_BYTES)
		return ag_err_set(err, AG_ECONFIG, "%s: larger than %d bytes", file, AG_POLICY_MAX_BYTES);
	rc = prescan(buf, len, &l);
	if (rc != AG_OK)
		return rc;
	l.p = calloc(1, sizeof(*l.p));
	if (l.p == NULL || !yaml_parser_initialize(&parser)) {
		free(l.p);
		return ag_err_set(err, AG_ECONFIG, "%s: out of memory", file);
	}
	l.p->nonce = 1;
	l.p->max_token_age_ms = 10 * 60 * 1000;
	l.p->clock_skew_ms = 60 * 1000;
	l.p->mode = AG_MODE_ENFORCE;
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &l.doc)) {
		rc = fail_mark(&l, parser.problem_mark, "invalid YAML: %s",
		    parser.problem != NULL ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		ag_policy_free(l.p);
		return rc;
	}
	yaml_parser_delete(&parser);
	root = yaml_document_get_root_node(&l.doc);
	if (root == NULL)
		rc = ag_err_set(err, AG_ECONFIG, "%s: empty policy", file);
	else
		rc = walk_mapping(&l, root, "the policy", top);
	yaml_document_delete(&l.doc);
	if (rc == AG_OK && ag_sha256_hex(buf, len, l.p->sha256) != 0)
		rc = ag_err_set(err, AG_ECONFIG, "%s: cannot compute its SHA-256", file);
	if (rc != AG_OK) {
		ag_policy_free(l.p);
		return rc;
	}
	*out = l.p;
	return AG_OK;
}

/* Frees n rules and the array. */
static void
rules_free(struct ag_policy_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rules[i].claim);
		json_decref(rules[i].expected);
		if (rules[i].has_re)
			regfree(&rules[i].re);
	}
	free(rules);
}

void
ag_policy_free(struct ag_policy *p)
{
	if (p == NULL)
		return;
	rules_free(p->rules, p->n_rules);
	rules_free(p->gpus.rules, p->gpus.n_rules);
	for (size_t i = 0; i < p->n_keys; i++) {
		free(p->keys[i].vault);
		free(p->keys[i].name);
		free(p->keys[i].version);
		free(p->keys[i].file);
	}
	free(p->keys);
	for (size_t i = 0; i < p->n_platforms; i++)
		free(p->platforms[i]);
	free(p->platforms);
	free(p->name);
	free(p->verifier_type);
	free(p->verifier_url);
	free(p);
}

int
ag_policy_allows_platform(const struct ag_policy *p, const char *platform)
{
	for (size_t i = 0; i < p->n_platforms; i++)
		if (strcmp(p->platforms[i], platform) == 0)
			return 1;
	return 0;
}
