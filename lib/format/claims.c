/*
 * format/claims.c - JSON Pointer evaluation over jansson values and strict claims
 * parsing.  Array indices follow RFC 6901: decimal, no leading zeros, no '-'.
 */
#include "format/claims.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int
ag_claims_pointer_valid(const char *p)
{
	if (p == NULL || p[0] != '/' || strlen(p) > AG_CLAIMS_POINTER_MAX)
		return 0;
	for (; *p != '\0'; p++)
		if (*p == '~' && p[1] != '0' && p[1] != '1')
			return 0;
	return 1;
}

/*
 * Decodes one reference token (up to '/' or end) into buf and sets *used to
 * its encoded length; -1 if it does not fit (never a truncated name).
 */
static int
token(const char *p, char *buf, size_t size, size_t *used)
{
	size_t i = 0, n = 0;

	while (p[i] != '\0' && p[i] != '/') {
		char c = p[i];

		if (c == '~') {
			c = p[i + 1] == '1' ? '/' : '~';
			i++;
		}
		if (n + 1 >= size)
			return -1;
		buf[n++] = c;
		i++;
	}
	buf[n] = '\0';
	*used = i;
	return 0;
}

static int
array_index(const char *s, size_t *idx)
{
	size_t v = 0;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s) || v > 100000000)
			return -1;
		v = v * 10 + (size_t)(*s - '0');
	}
	*idx = v;
	return 0;
}

json_t *
ag_claims_lookup(const json_t *root, const char *p)
{
	json_t *cur = (json_t *)root;
	char buf[AG_CLAIMS_POINTER_MAX + 1];

	/* Pointers are bounded (the policy loader refuses longer ones), so every token fits: a long key is looked up, never
	 * taken for a missing one. */
	if (!ag_claims_pointer_valid(p))
		return NULL;
	while (*p == '/' && cur != NULL) {
		size_t n, idx;

		if (token(p + 1, buf, sizeof(buf), &n) != 0)
			return NULL;   /* cannot happen: a token is shorter than the pointer */
		if (json_is_object(cur))
			cur = json_object_get(cur, buf);
		else if (json_is_array(cur) && array_index(buf, &idx) == 0)
			cur = json_array_get(cur, idx);
		else
			cur = NULL;
		p += 1 + n;
	}
	return cur;
}

enum ag_code
ag_claims_parse(const uint8_t *buf, size_t len, json_t **out, struct ag_err *err)
{
	json_error_t je;
	json_t *j;

	*out = NULL;
	if (len > AG_CLAIMS_MAX_BYTES)
		return ag_err_set(err, AG_EINVALID, "claims larger than %d bytes", AG_CLAIMS_MAX_BYTES);
	j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		return ag_err_set(err, AG_EINVALID, "claims are not valid JSON: %s at line %d column %d",
		    je.text, je.line, je.column);
	if (!json_is_object(j)) {
		json_decref(j);
		return ag_err_set(err, AG_EINVALID, "claims must be a JSON object");
	}
	*out = j;
	return AG_OK;
}
