/*
 * base/crl.h - certificate revocation lists given on the command line (Intel
 * PCS's PCK and Root CA CRLs, AMD KDS's CRL): loading (DER or PEM), and
 * the revocation check of a verified chain.  A link that should be checked
 * and has no CRL from its issuer is an error: a requested check is never
 * silently skipped.
 */
#ifndef AG_CRL_H
#define AG_CRL_H

#include <openssl/x509.h>
#include <time.h>

#include "base/error.h"

#define AG_CRL_MAX_BYTES (4 * 1024 * 1024)
#define AG_CRL_MAX_FILES 16

/* Loads the CRL files named in paths ('\n'-separated, as --crl collects them); AG_ECONFIG naming a bad file. */
enum ag_code ag_crl_load(const char *paths, STACK_OF(X509_CRL) **out, struct ag_err *err);

/*
 * Checks the chain from leaf up (each issuer found in pool by name and
 * signature; the chain already verified) against crls at time at: every
 * link whose certificate check(cert) selects must have at least one
 * complete CRL of its issuer; every CRL of that issuer must verify and be
 * valid at at, and none may list the certificate.  AG_EINVALID for a revoked
 * certificate or a bad CRL, AG_ECONFIG when a needed CRL was not given (or
 * is a delta CRL) or no link was checked at all.
 */
enum ag_code ag_crl_check(X509 *leaf, STACK_OF(X509) *pool, int (*check)(X509 *cert), STACK_OF(X509_CRL) *crls,
    time_t at, struct ag_err *err);

/* The check function for Intel chains: every link. */
int ag_crl_every_link(X509 *cert);

/* The check function for AMD chains: the ASK/ASVK links (AMD publishes no CRL for VCEKs and VLEKs). */
int ag_crl_amd_links(X509 *cert);

#endif
