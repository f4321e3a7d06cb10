/*
 * format/claims.h - verified claims as a JSON object: loading a claims file and
 * addressing claims with JSON Pointers (RFC 6901).  No policy logic here.
 */
#ifndef AG_CLAIMS_H
#define AG_CLAIMS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Largest claims document accepted (a real MAA token's claims are ~10 KiB). */
#define AG_CLAIMS_MAX_BYTES (1024 * 1024)
#define AG_CLAIMS_POINTER_MAX 1024   /* longest JSON Pointer a policy may name */

/* Nonzero if p is a JSON Pointer naming a member: starts with '/', '~' only as ~0 or ~1, at most AG_CLAIMS_POINTER_MAX bytes. */
int ag_claims_pointer_valid(const char *p);

/* The value at pointer p in root (borrowed), or NULL when absent. */
json_t *ag_claims_lookup(const json_t *root, const char *p);

/* Parses a claims JSON object from bytes; duplicate keys are rejected. AG_EINVALID on error. */
enum ag_code ag_claims_parse(const uint8_t *buf, size_t len, json_t **out, struct ag_err *err);

#endif
