/*
 * verifier/jwks_fetch.h - getting the signing keys of the pinned verifier instance:
 * GET <instance>/certs and nowhere else (never a token's jku or x5u).
 */
#ifndef AG_JWKS_FETCH_H
#define AG_JWKS_FETCH_H

#include "base/error.h"
#include "base/http.h"
#include "format/jwks.h"

/* Fetches and parses <instance>/certs. AG_EVERIFIER when unreachable or not 200, AG_EINVALID when the set is malformed. */
enum ag_code ag_jwks_fetch(const char *instance, const struct ag_http_opts *o, struct ag_jwks **out,
    struct ag_err *err);

#endif
