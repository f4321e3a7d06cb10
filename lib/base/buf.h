/*
 * base/buf.h - the one growable byte buffer, with a hard upper bound fixed at
 * creation.  Every read of untrusted input (files, devices, HTTP bodies)
 * goes through it so that no input can grow memory without limit.
 */
#ifndef AG_BUF_H
#define AG_BUF_H

#include <stddef.h>
#include <stdint.h>

struct ag_buf {
	uint8_t *data;  /* always NUL-terminated past len when non-NULL */
	size_t len;
	size_t cap;
	size_t max;     /* len never exceeds this */
};

/* Initialises an empty buffer that may hold at most max bytes. */
void ag_buf_init(struct ag_buf *b, size_t max);

/* Appends n bytes; -1 (buffer unchanged) if that would pass max or allocation fails. */
int ag_buf_append(struct ag_buf *b, const void *p, size_t n);

/* Frees the storage and resets to empty (max kept). */
void ag_buf_free(struct ag_buf *b);

/* Hands the storage to the caller (who frees it) and resets the buffer. */
uint8_t *ag_buf_steal(struct ag_buf *b, size_t *len);

#endif
