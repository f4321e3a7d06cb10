/*
 * base/buf.c - bounded growable buffer.  Keeps a NUL after the data so text
 * (JSON, YAML, PEM) can be handed to string APIs without a copy.
 */
#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

void
ag_buf_init(struct ag_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int
ag_buf_append(struct ag_buf *b, const void *p, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 256;
		uint8_t *d;

		while (cap < b->len + n + 1)
			cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		d = realloc(b->data, cap);
		if (d == NULL)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	if (n != 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void
ag_buf_free(struct ag_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

uint8_t *
ag_buf_steal(struct ag_buf *b, size_t *len)
{
	uint8_t *d = b->data;

	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return d;
}
