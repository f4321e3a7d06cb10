/*
 * k8s/inject.c - the injector: libyaml loads each document into nodes with
 * their marks; the additions are rendered as YAML (block style in block
 * collections, JSON in flow ones) and inserted as text at those marks,
 * last first.  The input is never re-emitted, so what is not touched keeps
 * its bytes, comments and layout.
 */
#include "k8s/inject.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "base/buf.h"
#include "k8s/gate_plan.h"

#define MAX_EDITS 4096
#define MAX_DOCS 1024

struct edit {
	size_t at;        /* byte offset in the input */
	size_t del;       /* bytes of the input removed from at on (0: an insertion) */
	int indent;       /* at equal offsets, deeper (inner) insertions come first */
	size_t seq;       /* then creation order */
	char *text;
};

struct ctx {
	const char *in;
	size_t len;
	int ascii;                       /* marks count characters; equal to bytes when ASCII */
	yaml_document_t *doc;
	const struct ag_inject_opts *o;
	struct ag_inject_result *res;
	struct edit *edits;
	size_t n_edits;
	struct ag_err *err;
};

/* The byte offset of a libyaml mark (libyaml counts characters). */
static size_t
byte_at(const struct ctx *c, size_t index)
{
	size_t b = 0;

	if (c->ascii)
		return index < c->len ? index : c->len;
	for (size_t ch = 0; b < c->len && ch < index; ch++) {
		b++;
		while (b < c->len && ((unsigned char)c->in[b] & 0xC0) == 0x80)
			b++;
	}
	return b;
}

static enum ag_code
fail(struct ctx *c, const yaml_node_t *n, const char *what)
{
	return ag_err_set(c->err, AG_ECONFIG, "line %zu: %s", n != NULL ? n->start_mark.line + 1 : 0, what);
}

static enum ag_code
add_edit(struct ctx *c, size_t at, int indent, char *text)
{
	if (text == NULL)
		return ag_err_set(c->err, AG_ECONFIG, "out of memory");
	if (c->n_edits >= MAX_EDITS) {
		free(text);
		return ag_err_set(c->err, AG_ECONFIG, "more than %d insertions", MAX_EDITS);
	}
	c->edits[c->n_edits] = (struct edit){ at, 0, indent, c->n_edits, text };
	c->n_edits++;
	return AG_OK;
}

/* Removes the input bytes [at, end). */
static enum ag_code
add_delete(struct ctx *c, size_t at, size_t end)
{
	enum ag_code rc;

	if (end < at || end > c->len)
		return ag_err_set(c->err, AG_ECONFIG, "--remove cannot tell where the gate ends here; remove it by hand");
	rc = add_edit(c, at, 0, strdup(""));

	if (rc == AG_OK)
		c->edits[c->n_edits - 1].del = end - at;
	return rc;
}

static yaml_node_t *
node(const struct ctx *c, int id)
{
	return id > 0 ? yaml_document_get_node(c->doc, id) : NULL;
}

static int
scalar_is(const yaml_node_t *n, const char *s)
{
	return n != NULL && n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
	    memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

/* The value of key in mapping m, or NULL. */
static yaml_node_t *
get(const struct ctx *c, const yaml_node_t *m, const char *key)
{
	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if (scalar_is(node(c, p->key), key))
			return node(c, p->value);
	return NULL;
}

/* A copy of a scalar's text (at most 255 bytes), or "". */
static void
scalar_text(const yaml_node_t *n, char *out, size_t len)
{
	size_t k = 0;

	if (n != NULL && n->type == YAML_SCALAR_NODE) {
		k = n->data.scalar.length < len - 1 ? n->data.scalar.length : len - 1;
		memcpy(out, n->data.scalar.value, k);
	}
	out[k] = '\0';
}

/* --- what YAML decoders disagree on ----------------------------------- */

/* Orders scalar key node ids by value, then by position (qsort_r, the document as context). */
static int
key_cmp(const void *a, const void *b, void *doc)
{
	const yaml_node_t *x = yaml_document_get_node(doc, *(const int *)a), *y = yaml_document_get_node(doc, *(const int *)b);

	if (x->data.scalar.length != y->data.scalar.length)
		return x->data.scalar.length < y->data.scalar.length ? -1 : 1;
	if (memcmp(x->data.scalar.value, y->data.scalar.value, x->data.scalar.length) != 0)
		return memcmp(x->data.scalar.value, y->data.scalar.value, x->data.scalar.length);
	return x->start_mark.index < y->start_mark.index ? -1 : 1;
}

/*
 * Refuses what makes this tool and Kubernetes' decoders see different
 * manifests: a key twice in one mapping (this tool would read and edit the
 * first, sigs.k8s.io/yaml and PyYAML keep the last) and merge keys ("<<",
 * whose keys libyaml does not resolve).  Checked over the whole document.
 */
/* A node referenced twice: an alias (*name) of an anchor, which edits of this tool would change in both places. */
static enum ag_code
check_aliases(struct ctx *c)
{
	size_t n = (size_t)(c->doc->nodes.top - c->doc->nodes.start);
	unsigned char *seen = calloc(n + 1, 1);
	enum ag_code rc = AG_OK;

	if (seen == NULL)
		return ag_err_set(c->err, AG_ECONFIG, "out of memory");
	for (yaml_node_t *m = c->doc->nodes.start; rc == AG_OK && m < c->doc->nodes.top; m++) {
		int ids[2];

		if (m->type == YAML_SEQUENCE_NODE)
			for (yaml_node_item_t *i = m->data.sequence.items.start; rc == AG_OK && i < m->data.sequence.items.top; i++)
				if (*i > 0 && (size_t)*i <= n && seen[*i]++)
					rc = fail(c, node(c, *i), "an alias (*name) of an anchor: this tool would edit both places; "
								  "write it out");
		if (m->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *p = m->data.mapping.pairs.start; rc == AG_OK && p < m->data.mapping.pairs.top; p++) {
			ids[0] = p->key;
			ids[1] = p->value;
			for (int k = 0; k < 2 && rc == AG_OK; k++)
				if (ids[k] > 0 && (size_t)ids[k] <= n && seen[ids[k]]++)
					rc = fail(c, node(c, ids[k]), "an alias (*name) of an anchor: this tool would edit both places; "
								     "write it out");
		}
	}
	free(seen);
	return rc;
}

static enum ag_code
check_keys(struct ctx *c)
{
	enum ag_code rc = check_aliases(c);

	if (rc != AG_OK)
		return rc;

	for (yaml_node_t *m = c->doc->nodes.start; rc == AG_OK && m < c->doc->nodes.top; m++) {
		size_t n = 0, pairs;
		int *keys;
		const char *want = m->type == YAML_SCALAR_NODE ? YAML_STR_TAG : m->type == YAML_SEQUENCE_NODE ? YAML_SEQ_TAG :
												YAML_MAP_TAG;

		/* An explicit tag (!!binary, !!merge, !!set, !custom): Kubernetes' decoders give it a meaning this tool cannot see. */
		if (m->tag != NULL && strcmp((const char *)m->tag, want) != 0)
			return ag_err_set(c->err, AG_ECONFIG,
			    "line %zu:%zu: an explicit YAML tag (%.40s): Kubernetes' decoders may read it otherwise than this tool; "
			    "write the plain value", m->start_mark.line + 1, m->start_mark.column + 1, (const char *)m->tag);
		if (m->type != YAML_MAPPING_NODE)
			continue;
		pairs = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
		keys = calloc(pairs + 1, sizeof(*keys));
		if (keys == NULL)
			return ag_err_set(c->err, AG_ECONFIG, "out of memory");
		for (yaml_node_pair_t *p = m->data.mapping.pairs.start; rc == AG_OK && p < m->data.mapping.pairs.top; p++) {
			yaml_node_t *k = node(c, p->key);

			if (k == NULL || k->type != YAML_SCALAR_NODE)
				continue;
			/* Asked for, unless the same annotations opt out (attestgate.io/skip: "true"). */
			if (scalar_is(k, "attestgate.io/inject") && scalar_is(node(c, p->value), "true") &&
			    !scalar_is(get(c, m, "attestgate.io/skip"), "true"))
				c->res->asked++;
			if (scalar_is(k, "<<"))
				rc = ag_err_set(c->err, AG_ECONFIG,
				    "line %zu:%zu: a merge key (<<): Kubernetes' decoders merge it, this tool cannot see what it "
				    "adds; write the keys out", k->start_mark.line + 1, k->start_mark.column + 1);
			keys[n++] = p->key;
		}
		if (rc == AG_OK)
			qsort_r(keys, n, sizeof(*keys), key_cmp, c->doc);
		for (size_t i = 1; rc == AG_OK && i < n; i++) {
			yaml_node_t *a = node(c, keys[i - 1]), *b = node(c, keys[i]);

			if (a->data.scalar.length == b->data.scalar.length &&
			    memcmp(a->data.scalar.value, b->data.scalar.value, a->data.scalar.length) == 0)
				rc = ag_err_set(c->err, AG_ECONFIG,
				    "line %zu:%zu: duplicate key \"%.*s\" (first at line %zu:%zu): YAML decoders disagree on "
				    "which one counts (Kubernetes keeps the last); remove one", b->start_mark.line + 1,
				    b->start_mark.column + 1, (int)(a->data.scalar.length < 64 ? a->data.scalar.length : 64),
				    (const char *)a->data.scalar.value, a->start_mark.line + 1, a->start_mark.column + 1);
		}
		free(keys);
	}
	return rc;
}

/* --- rendering ------------------------------------------------------- */

static int
plain_safe(const char *s)
{
	static const char *const words[] = { "true", "false", "null", "yes", "no", "on", "off", "~", "y", "n" };

	if (s[0] == '\0' || strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) != NULL)
		return 0;
	for (const char *p = s; *p; p++)
		if (strchr(":#{}[],&*!|>'\"%@`\\\n\t", *p) != NULL || (unsigned char)*p < 0x20)
			return 0;
	if (strspn(s, "0123456789.+-eE") == strlen(s))
		return 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return 0;
	return s[strlen(s) - 1] != ' ';
}

static int
put(struct ag_buf *b, const char *s)
{
	return ag_buf_append(b, s, strlen(s));
}

static int
pad(struct ag_buf *b, int n)
{
	for (int i = 0; i < n; i++)
		if (put(b, " ") != 0)
			return -1;
	return 0;
}

static int
put_scalar(struct ag_buf *b, json_t *v)
{
	char *s;
	int rc;

	if (json_is_string(v) && plain_safe(json_string_value(v)))
		return put(b, json_string_value(v));
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	rc = s != NULL ? put(b, s) : -1;
	free(s);
	return rc;
}

static int emit_block(struct ag_buf *b, json_t *v, int indent, int first_padded);

/* One "key: value" of a block mapping (pad already written). */
static int
emit_pair(struct ag_buf *b, const char *key, json_t *v, int indent)
{
	json_t *k = json_string(key);
	int rc = put_scalar(b, k) | put(b, ":");

	json_decref(k);
	if (json_is_object(v) || json_is_array(v)) {
		if ((json_is_object(v) ? json_object_size(v) : json_array_size(v)) == 0)
			return rc | put(b, json_is_object(v) ? " {}\n" : " []\n");
		return rc | put(b, "\n") | emit_block(b, v, indent + 2, 1);
	}
	return rc | put(b, " ") | put_scalar(b, v) | put(b, "\n");
}

/* v (object or array) as block YAML at indent; first_padded: the first line still needs its indentation. */
static int
emit_block(struct ag_buf *b, json_t *v, int indent, int first_padded)
{
	const char *key;
	json_t *item;
	size_t i;
	int rc = 0, first = 1;

	if (json_is_object(v)) {
		json_object_foreach(v, key, item) {
			if (!first || first_padded)
				rc |= pad(b, indent);
			first = 0;
			rc |= emit_pair(b, key, item, indent);
		}
		return rc;
	}
	json_array_foreach(v, i, item) {
		if (!first || first_padded)
			rc |= pad(b, indent);
		first = 0;
		rc |= put(b, "- ");
		if (json_is_object(item) && json_object_size(item) > 0)
			rc |= emit_block(b, item, indent + 2, 0);
		else if (json_is_array(item) && json_array_size(item) > 0)
			rc |= put(b, "\n") | emit_block(b, item, indent + 2, 1);
		else
			rc |= put_scalar(b, item) | put(b, "\n");
	}
	return rc;
}

static char *
text_of(struct ag_buf *b, int rc)
{
	size_t n;

	if (rc != 0) {
		ag_buf_free(b);
		return NULL;
	}
	return (char *)ag_buf_steal(b, &n);
}

/* --- insertions ------------------------------------------------------ */

/* The start of the line holding byte at, when only blanks precede at on it; else (size_t)-1. */
static size_t
blank_line_start(const struct ctx *c, size_t at)
{
	size_t s = at;

	while (s > 0 && c->in[s - 1] != '\n') {
		if (c->in[s - 1] != ' ' && c->in[s - 1] != '\t')
			return (size_t)-1;
		s--;
	}
	return s;
}

/*
 * The start of the line of a block sequence item's "- ", or (size_t)-1 when
 * it does not start its own line; *col (when not NULL) gets the "-"'s column.
 */
static size_t
item_line(const struct ctx *c, const yaml_node_t *item, size_t *col)
{
	size_t dash = byte_at(c, item->start_mark.index), line;

	while (dash > 0 && c->in[dash - 1] == ' ')
		dash--;
	if (dash == 0 || c->in[dash - 1] != '-')
		return (size_t)-1;
	line = blank_line_start(c, dash - 1);
	if (line != (size_t)-1 && col != NULL)
		*col = dash - 1 - line;
	return line;
}

/*
 * The start of the comment lines (at column col, right above the line that
 * starts at at) that belong to the item on that line: what is inserted
 * before the item goes above its comments, not between them and it.
 */
static size_t
above_own_comments(const struct ctx *c, size_t at, size_t col)
{
	if (at > c->len)
		return at;
	while (at > 0 && c->in[at - 1] == '\n') {
		size_t prev = at - 1, i;

		while (prev > 0 && c->in[prev - 1] != '\n')
			prev--;
		for (i = prev; i < at - 1 && c->in[i] == ' '; i++)
			;
		if (i - prev != col || c->in[i] != '#')
			break;
		at = prev;
	}
	return at;
}

/* Inserts items (an array, stolen) as the first elements of sequence seq. */
static enum ag_code
prepend_items(struct ctx *c, yaml_node_t *seq, json_t *items)
{
	struct ag_buf b;
	size_t at, indent = 0;
	int rc = 0;

	ag_buf_init(&b, 1024 * 1024);
	if (seq->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE) {
		json_t *item;
		size_t i;

		at = byte_at(c, seq->start_mark.index);
		if (at >= c->len || c->in[at] != '[') {
			json_decref(items);
			return fail(c, seq, "cannot insert into this flow sequence");
		}
		json_array_foreach(items, i, item) {
			char *s = json_dumps(item, JSON_COMPACT);

			rc |= (i > 0 ? put(&b, ", ") : 0) | (s != NULL ? put(&b, s) : -1);
			free(s);
		}
		if (seq->data.sequence.items.top > seq->data.sequence.items.start)
			rc |= put(&b, ", ");
		json_decref(items);
		return add_edit(c, at + 1, 0, text_of(&b, rc));
	}
	/* Block sequence: before the line of the first "- ", at the same column. */
	at = item_line(c, node(c, seq->data.sequence.items.start[0]), &indent);
	if (at == (size_t)-1) {
		json_decref(items);
		return fail(c, seq, "a block sequence whose first item does not start its own line: not supported");
	}
	at = above_own_comments(c, at, indent);
	rc = emit_block(&b, items, (int)indent, 1);
	json_decref(items);
	return add_edit(c, at, (int)indent, text_of(&b, rc));
}

/* Adds key: value (stolen) at the end of mapping m. */
static enum ag_code
append_pair(struct ctx *c, yaml_node_t *m, const char *key, json_t *value)
{
	yaml_node_pair_t *last;
	struct ag_buf b;
	size_t at, s;
	int rc = 0, indent;

	ag_buf_init(&b, 1024 * 1024);
	if (m->type != YAML_MAPPING_NODE) {
		json_decref(value);
		return fail(c, m, "expected a mapping");
	}
	if (m->data.mapping.style == YAML_FLOW_MAPPING_STYLE) {
		char *v = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY), *k = NULL;
		json_t *kj = json_string(key);

		k = json_dumps(kj, JSON_ENCODE_ANY);
		json_decref(kj);
		json_decref(value);
		at = byte_at(c, m->end_mark.index);
		if (v == NULL || k == NULL || at == 0 || c->in[at - 1] != '}') {
			free(v);
			free(k);
			return fail(c, m, "cannot add to this flow mapping");
		}
		rc = (m->data.mapping.pairs.top > m->data.mapping.pairs.start ? put(&b, ", ") : 0) | put(&b, k) | put(&b, ": ") |
		    put(&b, v);
		free(v);
		free(k);
		return add_edit(c, at - 1, 0, text_of(&b, rc));
	}
	last = m->data.mapping.pairs.top - 1;
	indent = (int)node(c, m->data.mapping.pairs.start[0].key)->start_mark.column;
	at = byte_at(c, node(c, last->value)->end_mark.index);
	/* After the last value: before the next line that starts with something else, or after the value's own line. */
	s = blank_line_start(c, at);
	if (s != (size_t)-1) {
		at = s;
	} else {
		while (at < c->len && c->in[at] != '\n')
			at++;
		if (at < c->len)
			at++;
		else
			rc = put(&b, "\n");
	}
	{
		json_t *pair = json_object();

		json_object_set_new(pair, key, value);
		rc |= emit_block(&b, pair, indent, 1);
		json_decref(pair);
	}
	return add_edit(c, at, indent, text_of(&b, rc));
}

/* Puts items (an array, stolen) first in the sequence at m[key], creating the key when it is missing. */
static enum ag_code
add_to_list(struct ctx *c, yaml_node_t *m, const char *key, json_t *items)
{
	yaml_node_t *seq = get(c, m, key);

	if (seq == NULL)
		return append_pair(c, m, key, items);
	if (seq->type != YAML_SEQUENCE_NODE || (seq->data.sequence.items.top == seq->data.sequence.items.start &&
						   seq->data.sequence.style != YAML_FLOW_SEQUENCE_STYLE)) {
		json_decref(items);
		return fail(c, seq, "expected a list");
	}
	return prepend_items(c, seq, items);
}

/* --- taking the gate out ----------------------------------------------- */

/* The byte just past the end of the line holding at (after its newline). */
static size_t
line_end(const struct ctx *c, size_t at)
{
	while (at < c->len && c->in[at] != '\n')
		at++;
	return at < c->len ? at + 1 : at;
}

/* The byte where node n's text ends: a block collection ends with its last descendant. */
static size_t
subtree_end(const struct ctx *c, const yaml_node_t *n)
{
	size_t end = 0;

	if (n->type == YAML_SCALAR_NODE) {
		/* A block scalar (| or >) ends at the start of the next line: its end is the newline before that. */
		size_t e = byte_at(c, n->end_mark.index);

		while (e > 0 && c->in[e - 1] == ' ')
			e--;
		return e > 0 && c->in[e - 1] == '\n' ? e - 1 : byte_at(c, n->end_mark.index);
	}
	if ((n->type == YAML_SEQUENCE_NODE && n->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE) ||
	    (n->type == YAML_MAPPING_NODE && n->data.mapping.style == YAML_FLOW_MAPPING_STYLE))
		return byte_at(c, n->end_mark.index);
	if (n->type == YAML_SEQUENCE_NODE)
		for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
			size_t e = subtree_end(c, node(c, *i));

			end = e > end ? e : end;
		}
	else
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			size_t e = subtree_end(c, node(c, p->value));

			end = e > end ? e : end;
		}
	return end;
}

/* Removes the pair of key from block mapping m: its key's line through its value's last line. */
static enum ag_code
remove_pair(struct ctx *c, yaml_node_t *m, const char *key)
{
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key);
		size_t start, end;

		if (!scalar_is(k, key))
			continue;
		start = blank_line_start(c, byte_at(c, k->start_mark.index));
		/* Up to the next key, but not the comment lines that belong to it. */
		end = p + 1 < m->data.mapping.pairs.top ? blank_line_start(c, byte_at(c, node(c, p[1].key)->start_mark.index)) :
							 line_end(c, subtree_end(c, node(c, p->value)));
		if (m->data.mapping.style == YAML_FLOW_MAPPING_STYLE || start == (size_t)-1 || end == (size_t)-1)
			return fail(c, k, "--remove takes the gate out of block-style YAML only; remove this by hand");
		if (p + 1 < m->data.mapping.pairs.top)
			end = above_own_comments(c, end, node(c, p[1].key)->start_mark.column);
		return add_delete(c, start, end);
	}
	return AG_OK;
}

/* Removes the items of list key of m whose name is one of names; the whole key when they are all its items. */
static enum ag_code
remove_named(struct ctx *c, yaml_node_t *m, const char *key, const char *const *names)
{
	yaml_node_t *seq = get(c, m, key);
	size_t mine = 0, all;
	enum ag_code rc = AG_OK;

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return AG_OK;
	all = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++)
		for (size_t k = 0; names[k] != NULL; k++)
			mine += scalar_is(get(c, node(c, *i), "name"), names[k]);
	if (mine == 0)
		return AG_OK;
	if (seq->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE)
		return fail(c, seq, "--remove takes the gate out of block-style YAML only; remove this by hand");
	if (mine == all)
		return remove_pair(c, m, key);
	for (yaml_node_item_t *i = seq->data.sequence.items.start; rc == AG_OK && i < seq->data.sequence.items.top; i++) {
		int ours = 0;
		size_t start = item_line(c, node(c, *i), NULL), end, col = 0;

		for (size_t k = 0; names[k] != NULL; k++)
			ours |= scalar_is(get(c, node(c, *i), "name"), names[k]);
		if (!ours)
			continue;
		/* Up to the next item, but not the comment lines that belong to it. */
		end = i + 1 < seq->data.sequence.items.top ? item_line(c, node(c, i[1]), &col) :
							       line_end(c, subtree_end(c, node(c, *i)));
		if (i + 1 < seq->data.sequence.items.top && end != (size_t)-1)
			end = above_own_comments(c, end, col);
		rc = start == (size_t)-1 || end == (size_t)-1 ? fail(c, node(c, *i), "an item that does not start its own line") :
								add_delete(c, start, end);
	}
	return rc;
}

/* Takes the gate out of one pod template: its init container, volumes, the containers' mounts, the status annotation. */
static enum ag_code
remove_gate(struct ctx *c, yaml_node_t *tmpl, yaml_node_t *spec, yaml_node_t *tmeta)
{
	static const char *const gate[] = { "attestgate", NULL };
	static const char *const volumes[] = { "attestgate", "attestgate-policies", "attestgate-tpmrm0", "attestgate-securityfs",
		"attestgate-os-release", "attestgate-uvm-reference-info", "attestgate-pod", NULL };
	yaml_node_t *ctrs = get(c, spec, "containers");
	enum ag_code rc = remove_named(c, spec, "initContainers", gate);

	if (rc == AG_OK)
		rc = remove_named(c, spec, "volumes", volumes);
	yaml_node_t *inits = get(c, spec, "initContainers");

	for (yaml_node_item_t *i = ctrs != NULL && ctrs->type == YAML_SEQUENCE_NODE ? ctrs->data.sequence.items.start : NULL;
	     rc == AG_OK && i != NULL && i < ctrs->data.sequence.items.top; i++)
		rc = remove_named(c, node(c, *i), "volumeMounts", gate);
	/* Other init containers may mount the outputs too: a mount of a removed volume is refused by the API server. */
	for (yaml_node_item_t *i = inits != NULL && inits->type == YAML_SEQUENCE_NODE ? inits->data.sequence.items.start : NULL;
	     rc == AG_OK && i != NULL && i < inits->data.sequence.items.top; i++)
		if (!scalar_is(get(c, node(c, *i), "name"), "attestgate"))
			rc = remove_named(c, node(c, *i), "volumeMounts", gate);
	if (rc == AG_OK && get(c, get(c, tmeta, "annotations"), "attestgate.io/status") != NULL) {
		yaml_node_t *ann = get(c, tmeta, "annotations");

		/* The annotations (and metadata) mapping the gate brought, with nothing else in it, go with it. */
		if (ann->data.mapping.pairs.top - ann->data.mapping.pairs.start > 1)
			rc = remove_pair(c, ann, "attestgate.io/status");
		else if (tmeta->data.mapping.pairs.top - tmeta->data.mapping.pairs.start > 1)
			rc = remove_pair(c, tmeta, "annotations");
		else
			rc = remove_pair(c, tmpl, "metadata");
	}
	return rc;
}

/* --- the gate: the plan (k8s/gate_plan.c) written into the text ------- */

/* YAML node n as JSON, plain scalars resolved as Kubernetes' decoder does for what the gate holds (bools, integers). */
static json_t *
to_json(const struct ctx *c, const yaml_node_t *n, int depth)
{
	json_t *out;

	if (n == NULL || depth > 64)
		return json_null();
	if (n->type == YAML_SCALAR_NODE) {
		const char *s = (const char *)n->data.scalar.value;
		size_t len = n->data.scalar.length, digits = strspn(s, "0123456789");

		if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return json_stringn(s, len);
		if ((len == 4 && strncasecmp(s, "true", 4) == 0) || (len == 5 && strncasecmp(s, "false", 5) == 0))
			return json_boolean(len == 4);
		if (len > 0 && len < 16 && digits == len && (s[0] != '0' || len == 1))
			return json_integer(strtoll(s, NULL, 10));
		if (len == 0 || (len == 1 && s[0] == '~') || (len == 4 && strncmp(s, "null", 4) == 0))
			return json_null();
		return json_stringn(s, len);
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		out = json_array();
		for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
			json_array_append_new(out, to_json(c, node(c, *i), depth + 1));
		return out;
	}
	out = json_object();
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE)
			json_object_setn_new(out, (const char *)k->data.scalar.value, k->data.scalar.length,
			    to_json(c, node(c, p->value), depth + 1));
	}
	return out;
}

struct annotations {
	const struct ctx *c;
	yaml_node_t *tmeta, *wmeta;
};

/* ag_annotation_fn: the value of key on the template's metadata, else on the workload's; "" when absent. */
static void
annotation(const char *key, char *out, size_t len, void *arg)
{
	struct annotations *a = arg;
	yaml_node_t *v = get(a->c, get(a->c, a->tmeta, "annotations"), key);

	if (v == NULL)
		v = get(a->c, get(a->c, a->wmeta, "annotations"), key);
	scalar_text(v, out, len);
}

static int
has_named(const struct ctx *c, yaml_node_t *seq, const char *name)
{
	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++)
		if (scalar_is(get(c, node(c, *i), "name"), name))
			return 1;
	return 0;
}

/* The plan's error with the template's line in front. */
static enum ag_code
fail_at(struct ctx *c, const yaml_node_t *tmpl)
{
	char msg[sizeof(c->err->msg)];

	snprintf(msg, sizeof(msg), "%s", c->err->msg);
	return ag_err_set(c->err, c->err->code, "line %zu: %s", tmpl->start_mark.line + 1, msg);
}

/* The apps' mount of the outputs, for every container without one. */
static enum ag_code
add_app_mounts(struct ctx *c, yaml_node_t *spec, const struct ag_gate_plan *plan)
{
	yaml_node_t *containers = get(c, spec, "containers");
	enum ag_code rc = AG_OK;

	if (containers == NULL || containers->type != YAML_SEQUENCE_NODE)
		return fail(c, spec, "the pod spec has no containers list");
	for (yaml_node_item_t *i = containers->data.sequence.items.start; rc == AG_OK && i < containers->data.sequence.items.top;
	     i++) {
		yaml_node_t *ctr = node(c, *i);

		if (ctr->type != YAML_MAPPING_NODE)
			rc = fail(c, ctr, "a container that is not a mapping");
		else if (!has_named(c, get(c, ctr, "volumeMounts"), "attestgate"))
			rc = add_to_list(c, ctr, "volumeMounts", json_pack("[O]", plan->app_mount));
	}
	return rc;
}

/* Replaces the text of scalar n (quotes included) with the plain scalar text. */
static enum ag_code
replace_scalar(struct ctx *c, const yaml_node_t *n, const char *text)
{
	size_t at = byte_at(c, n->start_mark.index), end = byte_at(c, n->end_mark.index);
	enum ag_code rc;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE)
		return fail(c, n, "attestgate.io/status is not a one-line value: write it as one");
	rc = add_edit(c, at, 0, strdup(text));
	if (rc == AG_OK)
		c->edits[c->n_edits - 1].del = end - at;
	return rc;
}

/* Adds the planned gate to a pod spec: init container, volumes, mounts, fsGroup and the status annotation. */
static enum ag_code
add_gate(struct ctx *c, yaml_node_t *tmpl, yaml_node_t *tmeta, yaml_node_t *spec, const struct ag_gate_plan *plan)
{
	enum ag_code rc;

	rc = add_to_list(c, spec, "initContainers", json_pack("[O]", plan->container));
	if (rc == AG_OK)
		rc = add_to_list(c, spec, "volumes", json_deep_copy(plan->volumes));
	if (rc == AG_OK)
		rc = add_app_mounts(c, spec, plan);
	/* The token is 0440: the app reads it through the pod's fsGroup (the gate's group unless the pod has its own). */
	if (rc == AG_OK && get(c, spec, "securityContext") == NULL)
		rc = append_pair(c, spec, "securityContext", json_pack("{s:i}", "fsGroup", AG_GATE_FS_GROUP));
	else if (rc == AG_OK && get(c, get(c, spec, "securityContext"), "fsGroup") == NULL)
		rc = append_pair(c, get(c, spec, "securityContext"), "fsGroup", json_integer(AG_GATE_FS_GROUP));
	if (rc == AG_OK && tmeta == NULL)
		rc = append_pair(c, tmpl, "metadata", json_pack("{s:{s:s}}", "annotations", "attestgate.io/status", "injected"));
	else if (rc == AG_OK && get(c, tmeta, "annotations") == NULL)
		rc = append_pair(c, tmeta, "annotations", json_pack("{s:s}", "attestgate.io/status", "injected"));
	else if (rc == AG_OK && get(c, get(c, tmeta, "annotations"), "attestgate.io/status") != NULL)
		rc = replace_scalar(c, get(c, get(c, tmeta, "annotations"), "attestgate.io/status"), "injected");
	else if (rc == AG_OK)
		rc = append_pair(c, get(c, tmeta, "annotations"), "attestgate.io/status", json_string("injected"));
	return rc;
}

/*
 * A template that looks injected (the status annotation, an init container
 * or volume named attestgate) is injected only when its gate is exactly the
 * planned one (ag_gate_plan_compare): then containers added since get the
 * outputs' mount; anything else is an error, never a silent skip (and the
 * first pass of --update takes it out).
 */
static enum ag_code
injected_gate(struct ctx *c, yaml_node_t *tmpl, yaml_node_t *tmeta, yaml_node_t *spec, const json_t *spec_json,
    const struct ag_gate_plan *plan)
{
	const char *why = NULL;
	enum ag_gate_state st = ag_gate_plan_compare(plan, spec_json, &why);

	if (c->o->mode == AG_INJECT_REPLACE_STALE) {
		if (st != AG_GATE_OTHER && st != AG_GATE_STALE) {
			c->res->already++;
			return AG_OK;
		}
		c->res->updated++;
		return remove_gate(c, tmpl, spec, tmeta);
	}
	if (st == AG_GATE_OTHER || st == AG_GATE_STALE)
		return ag_err_set(c->err, AG_ECONFIG,
		    "line %zu: the pod looks injected (attestgate.io/status or an attestgate container or volume) but %s: "
		    "remove the gate and inject again", spec->start_mark.line + 1, why != NULL ? why : "out of memory");
	c->res->already++;
	return st == AG_GATE_MOUNTS_MISSING ? add_app_mounts(c, spec, plan) : AG_OK;
}

/* Injects into one pod template: tmpl holds metadata and spec; wmeta is the workload's metadata. */
static enum ag_code
inject_template(struct ctx *c, yaml_node_t *tmpl, yaml_node_t *wmeta)
{
	yaml_node_t *tmeta = get(c, tmpl, "metadata"), *spec = get(c, tmpl, "spec");
	struct annotations a = { c, tmeta, wmeta };
	struct ag_pod_intent in;
	struct ag_gate_plan plan;
	enum ag_code rc = AG_OK;
	const char *conflict;
	json_t *spec_json;

	if (spec == NULL || spec->type != YAML_MAPPING_NODE)
		return fail(c, tmpl, "the pod template has no spec mapping");
	memset(&in, 0, sizeof(in));
	ag_pod_intent_read(&in, annotation, &a);
	/* Only the template's own status annotation says it was injected. */
	scalar_text(get(c, get(c, tmeta, "annotations"), "attestgate.io/status"), in.status, sizeof(in.status));
	scalar_text(get(c, spec, "runtimeClassName"), in.runtime_class, sizeof(in.runtime_class));
	spec_json = to_json(c, spec, 0);
	if (spec_json == NULL)
		return ag_err_set(c->err, AG_ECONFIG, "out of memory");
	in.looks_injected = ag_gate_looks_injected(in.status, spec_json);
	/* --remove: every gate goes, whatever the annotations ask. */
	if (c->o->mode == AG_INJECT_REMOVE) {
		json_decref(spec_json);
		if (!in.looks_injected) {
			c->res->skipped++;
			return AG_OK;
		}
		c->res->removed++;
		return remove_gate(c, tmpl, spec, tmeta);
	}
	if (ag_gate_plan_make(c->o, &in, &plan, c->err) != AG_OK) {
		json_decref(spec_json);
		return fail_at(c, tmpl);
	}
	if (plan.action == AG_GATE_SKIP)
		c->res->skipped++;
	else if (in.looks_injected)
		rc = injected_gate(c, tmpl, tmeta, spec, spec_json, &plan);
	else if (c->o->mode == AG_INJECT_REPLACE_STALE)
		rc = AG_OK;   /* first pass of --update: only stale gates are touched */
	else if ((conflict = ag_gate_plan_conflict(&plan, spec_json)) != NULL)
		rc = ag_err_set(c->err, AG_ECONFIG, "line %zu: cannot add the gate: %s", tmpl->start_mark.line + 1, conflict);
	else if ((rc = add_gate(c, tmpl, tmeta, spec, &plan)) == AG_OK)
		c->res->injected++;
	json_decref(spec_json);
	ag_gate_plan_clear(&plan);
	return rc;
}

static enum ag_code inject_object(struct ctx *c, yaml_node_t *obj, int depth);

/* kind: List (what kubectl get -o yaml prints): every item. */
static enum ag_code
inject_list(struct ctx *c, yaml_node_t *list, int depth)
{
	yaml_node_t *items = get(c, list, "items");
	enum ag_code rc = AG_OK;

	if (items == NULL)
		return AG_OK;
	if (items->type != YAML_SEQUENCE_NODE)
		return fail(c, list, "a List whose items are not a list");
	for (yaml_node_item_t *i = items->data.sequence.items.start; rc == AG_OK && i < items->data.sequence.items.top; i++)
		rc = inject_object(c, node(c, *i), depth + 1);
	return rc;
}

/* Finds the pod template of one object by its kind (every kind that has one). */
static enum ag_code
inject_object(struct ctx *c, yaml_node_t *obj, int depth)
{
	const char *const *path;
	yaml_node_t *spec, *tmpl = NULL, *meta;
	char kind[64], want[16];

	if (obj == NULL || obj->type != YAML_MAPPING_NODE)
		return AG_OK;
	if (depth > 4)
		return fail(c, obj, "Lists nested too deep");
	scalar_text(get(c, obj, "kind"), kind, sizeof(kind));
	if (strcmp(kind, "List") == 0 || (strlen(kind) > 4 && strcmp(kind + strlen(kind) - 4, "List") == 0))
		return inject_list(c, obj, depth);
	spec = get(c, obj, "spec");
	meta = get(c, obj, "metadata");
	path = ag_pod_template_path(kind);
	if (path != NULL) {
		tmpl = obj;
		for (size_t i = 0; path[i] != NULL; i++)
			tmpl = get(c, tmpl, path[i]);
	}
	if (strcmp(kind, "CronJob") == 0) {
		yaml_node_t *jmeta = get(c, get(c, spec, "jobTemplate"), "metadata");

		/* The Job template's own annotations ask for the gate as much as the CronJob's do. */
		if (get(c, get(c, jmeta, "annotations"), "attestgate.io/inject") != NULL)
			meta = jmeta;
	}
	if (path == NULL) {
		yaml_node_t *t = get(c, spec, "template");
		char twant[16];

		if (t == NULL)
			t = get(c, get(c, get(c, spec, "jobTemplate"), "spec"), "template");
		/* A kind this tool does not know (a CRD such as a Rollout) with a pod template: its controller's semantics are
		 * unknown here, so asking for the gate there is an error, never a silent skip. */
		scalar_text(get(c, get(c, get(c, t, "metadata"), "annotations"), "attestgate.io/inject"), twant, sizeof(twant));
		if (get(c, get(c, t, "spec"), "containers") != NULL &&
		    (c->o->all || strcmp(twant, "true") == 0 ||
			scalar_is(get(c, get(c, meta, "annotations"), "attestgate.io/inject"), "true")))
			return ag_err_set(c->err, AG_ECONFIG, "line %zu: a %s has a pod template, but attestgate inject does not know "
			    "this kind: add the gate to its template by hand (see deploy/examples) or annotate the workload it "
			    "creates", obj->start_mark.line + 1, kind[0] != '\0' ? kind : "object without a kind");
		/* An object asking for the gate that this tool cannot give it one is an error, not a silent skip. */
		scalar_text(get(c, get(c, meta, "annotations"), "attestgate.io/inject"), want, sizeof(want));
		if (strcmp(want, "true") == 0)
			return ag_err_set(c->err, AG_ECONFIG, "line %zu: a %s is annotated attestgate.io/inject but has no pod "
			    "template this tool knows; annotate the workload that creates its pods", obj->start_mark.line + 1,
			    kind[0] != '\0' ? kind : "object without a kind");
		return AG_OK;
	}
	if (tmpl == NULL || tmpl->type != YAML_MAPPING_NODE)
		return fail(c, obj, "a workload without a pod template");
	return inject_template(c, tmpl, meta);
}

/* One document: its keys checked, then its object (or List). */
static enum ag_code
inject_document(struct ctx *c)
{
	enum ag_code rc = check_keys(c);

	return rc == AG_OK ? inject_object(c, yaml_document_get_root_node(c->doc), 0) : rc;
}

static int
edit_cmp(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	/* In output order: by offset; at one offset insertions before removals, deeper (inner) ones first, then in order. */
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if ((x->del > 0) != (y->del > 0))
		return x->del > 0 ? 1 : -1;
	if (x->indent != y->indent)
		return x->indent > y->indent ? -1 : 1;
	return x->seq < y->seq ? -1 : 1;
}

static enum ag_code inject_pass(const char *in, size_t len, const struct ag_inject_opts *o, struct ag_inject_result *res,
    struct ag_err *err);

enum ag_code
ag_inject(const char *in, size_t len, const struct ag_inject_opts *o, struct ag_inject_result *res, struct ag_err *err)
{
	struct ag_inject_opts first = *o, second = *o;
	struct ag_inject_result stale;
	enum ag_code rc;

	if (o->mode != AG_INJECT_UPDATE)
		return inject_pass(in, len, o, res, err);
	/* --update: take the stale gates out, then inject into the result as usual. */
	first.mode = AG_INJECT_REPLACE_STALE;
	second.mode = AG_INJECT_ADD;
	rc = inject_pass(in, len, &first, &stale, err);
	if (rc == AG_OK)
		rc = inject_pass(stale.text, stale.len, &second, res, err);
	if (rc == AG_OK)
		res->updated = stale.updated;
	ag_inject_result_clear(&stale);
	return rc;
}

/* One pass over the documents: the edits of o's mode, applied to the text. */
static enum ag_code
inject_pass(const char *in, size_t len, const struct ag_inject_opts *o, struct ag_inject_result *res, struct ag_err *err)
{
	struct ctx c = { .in = in, .len = len, .o = o, .res = res, .err = err, .ascii = 1 };
	yaml_parser_t parser;
	enum ag_code rc = AG_OK;
	struct ag_buf out;
	size_t from = 0;
	int docs = 0;

	memset(res, 0, sizeof(*res));
	if (len > AG_INJECT_INPUT_MAX)
		return ag_err_set(err, AG_ECONFIG, "input larger than %d bytes", AG_INJECT_INPUT_MAX);
	for (size_t i = 0; i < len; i++)
		c.ascii &= ((unsigned char)in[i] & 0x80) == 0;
	c.edits = calloc(MAX_EDITS, sizeof(*c.edits));
	if (c.edits == NULL || !yaml_parser_initialize(&parser)) {
		free(c.edits);
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)in, len);
	while (rc == AG_OK) {
		yaml_document_t doc;

		if (!yaml_parser_load(&parser, &doc)) {
			rc = ag_err_set(err, AG_ECONFIG, "line %zu: not YAML: %s", parser.problem_mark.line + 1,
			    parser.problem != NULL ? parser.problem : "parse error");
			break;
		}
		if (yaml_document_get_root_node(&doc) == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		if (++docs > MAX_DOCS)
			rc = ag_err_set(err, AG_ECONFIG, "more than %d documents", MAX_DOCS);
		c.doc = &doc;
		if (rc == AG_OK)
			rc = inject_document(&c);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	/* Asked for, and given to no pod: say so rather than hand back the input unchanged. */
	if (rc == AG_OK && o->mode == AG_INJECT_ADD && res->asked > 0 && res->injected + res->already == 0)
		rc = ag_err_set(err, AG_ECONFIG, "the input asks for the gate (attestgate.io/inject: \"true\") but no pod template "
					      "got it: put the annotation on a workload or on its pod template");
	qsort(c.edits, c.n_edits, sizeof(*c.edits), edit_cmp);
	/* Write the input forwards with the edits in between. */
	ag_buf_init(&out, AG_INJECT_INPUT_MAX * 2);
	for (size_t i = 0; rc == AG_OK && i < c.n_edits; i++) {
		if (c.edits[i].at < from)
			rc = ag_err_set(err, AG_ECONFIG, "overlapping edits (an internal error)");
		else if (ag_buf_append(&out, in + from, c.edits[i].at - from) != 0 || put(&out, c.edits[i].text) != 0)
			rc = ag_err_set(err, AG_ECONFIG, "output too large");
		from = c.edits[i].at + c.edits[i].del;
	}
	if (rc == AG_OK && ag_buf_append(&out, in + from, len - from) != 0)
		rc = ag_err_set(err, AG_ECONFIG, "output too large");
	if (rc == AG_OK) {
		res->text = out.data != NULL ? (char *)ag_buf_steal(&out, &res->len) : strdup("");
		if (res->text == NULL)
			rc = ag_err_set(err, AG_ECONFIG, "out of memory");
	}
	ag_buf_free(&out);
	for (size_t i = 0; i < c.n_edits; i++)
		free(c.edits[i].text);
	free(c.edits);
	return rc;
}

void
ag_inject_result_clear(struct ag_inject_result *res)
{
	free(res->text);
	memset(res, 0, sizeof(*res));
}
