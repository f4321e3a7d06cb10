/*
 * json_patch_add.h - test code only: a small RFC 6902 "add" applier over
 * jansson (RFC 6901 pointers, array indexes insert, "-" appends, parents
 * must exist), to apply the webhook's JSONPatch in unit and fuzz tests.
 */
#ifndef AG_TEST_JSON_PATCH_ADD_H
#define AG_TEST_JSON_PATCH_ADD_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The next reference token of pointer *p, unescaped (RFC 6901 §4) into tok; -1 when malformed. */
static int
next_token(const char **p, char *tok, size_t len)
{
	size_t n = 0;

	if (**p != '/')
		return -1;
	for ((*p)++; **p != '\0' && **p != '/'; (*p)++) {
		char c = **p;

		if (c == '~') {
			(*p)++;
			if (**p != '0' && **p != '1')
				return -1;
			c = **p == '0' ? '~' : '/';
		}
		if (n + 1 >= len)
			return -1;
		tok[n++] = c;
	}
	tok[n] = '\0';
	return 0;
}

/* An array index token: digits without a leading zero, at most max; -1 otherwise. */
static long
index_of(const char *tok, size_t max)
{
	char *end = NULL;
	long i;

	if (tok[0] < '0' || tok[0] > '9' || (tok[0] == '0' && tok[1] != '\0'))
		return -1;
	i = strtol(tok, &end, 10);
	return *end == '\0' && (size_t)i <= max ? i : -1;
}

/* RFC 6902 §4.1 "add" of value (stolen) at path in doc: the parent must exist; an index inserts. 0, or -1. */
static int
apply_add(json_t *doc, const char *path, json_t *value)
{
	json_t *parent = doc;
	char tok[512];
	int rc = -1;

	if (next_token(&path, tok, sizeof(tok)) != 0)
		goto out;
	while (*path != '\0') {
		parent = json_is_array(parent) ? json_array_get(parent, (size_t)index_of(tok, json_array_size(parent) - 1)) :
						 json_object_get(parent, tok);
		if (parent == NULL || next_token(&path, tok, sizeof(tok)) != 0)
			goto out;
	}
	if (json_is_object(parent))
		return json_object_set_new(parent, tok, value);
	if (json_is_array(parent) && strcmp(tok, "-") == 0)
		return json_array_append_new(parent, value);
	if (json_is_array(parent) && index_of(tok, json_array_size(parent)) >= 0)
		return json_array_insert_new(parent, (size_t)index_of(tok, json_array_size(parent)), value);
out:
	json_decref(value);
	return rc;
}

#endif
