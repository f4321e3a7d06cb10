/*
 * test_crl.c - lib/base/crl.c: loading CRL files (DER, PEM with several
 * CRLs, the file count and size bounds, missing and malformed files) and
 * the revocation check of a chain: revoked leaf and intermediate, missing
 * CRLs, CRLs signed by the wrong key, delta CRLs, CRLs outside their
 * window, issuers not in the pool, the AMD and Intel link selectors.  The
 * PKI is made here with OpenSSL; the real Intel SGX Root CA CRL and PCK
 * Platform CA chain of ../shared/vectors/tdx (skipped visibly when absent)
 * and the real AMD Milan chain of ../shared/vectors/kata-cc are checked too.
 */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/certs.h"
#include "base/crl.h"
#include "base/fileio.h"

#define T0 ((time_t)1700000000)   /* 2023-11-14T22:13:20Z */
#define DAY 86400

static const char *
shared_dir(void)
{
	return getenv("AG_SHARED") != NULL ? getenv("AG_SHARED") : "../shared";
}

/* A certificate for key named cn, signed by issuer_key as issuer (NULL: self-signed), valid a year around T0. */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	static long serial = 100;
	X509 *c = X509_new();
	X509_NAME *name;

	assert_non_null(c);
	assert_int_equal(X509_set_version(c, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
	name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer != NULL ? X509_get_subject_name(issuer) : name);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(c), T0 - 365 * DAY));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(c), T0 + 365 * DAY));
	assert_int_equal(X509_set_pubkey(c, key), 1);
	assert_true(X509_sign(c, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0);
	return c;
}

static EVP_PKEY *
ec_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");

	assert_non_null(k);
	return k;
}

struct crl_spec {
	time_t last, next;          /* next 0: no nextUpdate */
	X509 *revoked[2];           /* certificates listed */
	int delta;                  /* a deltaCRLIndicator extension */
};

static void
add_revoked(X509_CRL *crl, X509 *c)
{
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, T0 - 30 * DAY);

	assert_non_null(r);
	assert_int_equal(X509_REVOKED_set_serialNumber(r, (ASN1_INTEGER *)X509_get0_serialNumber(c)), 1);
	assert_int_equal(X509_REVOKED_set_revocationDate(r, t), 1);
	assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
	ASN1_TIME_free(t);
}

/* A CRL named as issuer's, signed with key. */
static X509_CRL *
make_crl(X509 *issuer, EVP_PKEY *key, const struct crl_spec *s)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t;

	assert_non_null(crl);
	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)), 1);
	t = ASN1_TIME_set(NULL, s->last);
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
	ASN1_TIME_free(t);
	if (s->next != 0) {
		t = ASN1_TIME_set(NULL, s->next);
		assert_int_equal(X509_CRL_set1_nextUpdate(crl, t), 1);
		ASN1_TIME_free(t);
	}
	for (int i = 0; i < 2; i++)
		if (s->revoked[i] != NULL)
			add_revoked(crl, s->revoked[i]);
	if (s->delta) {
		ASN1_INTEGER *base = ASN1_INTEGER_new();

		ASN1_INTEGER_set(base, 1);
		assert_int_equal(X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base, 1, 0), 1);
		ASN1_INTEGER_free(base);
	}
	assert_int_equal(X509_CRL_sort(crl), 1);
	assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	return crl;
}

/* root -> inter -> leaf (EC), the pool holding all three. */
struct pki {
	EVP_PKEY *root_key, *inter_key, *leaf_key, *other_key;
	X509 *root, *inter, *leaf;
	STACK_OF(X509) *pool;
	STACK_OF(X509_CRL) *crls;
};

static int
setup_pki(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->root_key = ec_key();
	p->inter_key = ec_key();
	p->leaf_key = ec_key();
	p->other_key = ec_key();
	p->root = make_cert("Test Root", p->root_key, NULL, NULL);
	p->inter = make_cert("Test Inter", p->inter_key, p->root, p->root_key);
	p->leaf = make_cert("Test Leaf", p->leaf_key, p->inter, p->inter_key);
	p->pool = sk_X509_new_null();
	sk_X509_push(p->pool, p->root);
	sk_X509_push(p->pool, p->inter);
	sk_X509_push(p->pool, p->leaf);
	p->crls = sk_X509_CRL_new_null();
	*state = p;
	return 0;
}

static int
teardown_pki(void **state)
{
	struct pki *p = *state;

	sk_X509_pop_free(p->pool, X509_free);
	sk_X509_CRL_pop_free(p->crls, X509_CRL_free);
	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->inter_key);
	EVP_PKEY_free(p->leaf_key);
	EVP_PKEY_free(p->other_key);
	free(p);
	return 0;
}

static void
add_crl(struct pki *p, X509 *issuer, EVP_PKEY *key, const struct crl_spec *s)
{
	assert_true(sk_X509_CRL_push(p->crls, make_crl(issuer, key, s)) > 0);
}

static const struct crl_spec FRESH = { T0 - DAY, T0 + DAY, { NULL, NULL }, 0 };

static enum ag_code
check(struct pki *p, int (*sel)(X509 *), time_t at, struct ag_err *err)
{
	ag_err_clear(err);
	return ag_crl_check(p->leaf, p->pool, sel, p->crls, at, err);
}

static void
test_check_clean_chain(void **state)
{
	struct pki *p = *state;
	struct crl_spec other = FRESH;
	struct ag_err err;
	X509 *stranger = make_cert("Stranger", p->other_key, p->inter, p->inter_key);

	other.revoked[0] = stranger;   /* lists another certificate of the same issuer */
	add_crl(p, p->root, p->root_key, &FRESH);
	add_crl(p, p->inter, p->inter_key, &other);
	assert_int_equal(check(p, ag_crl_every_link, T0, &err), AG_OK);
	/* At the window's edges: lastUpdate itself is inside, nextUpdate is not. */
	assert_int_equal(check(p, ag_crl_every_link, T0 - DAY, &err), AG_OK);
	assert_int_equal(check(p, ag_crl_every_link, T0 + DAY - 1, &err), AG_OK);
	assert_int_equal(check(p, ag_crl_every_link, T0 + DAY, &err), AG_EINVALID);
	assert_int_equal(check(p, ag_crl_every_link, T0 - DAY - 1, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "not valid at the verification time"));
	X509_free(stranger);
}

static void
test_check_revoked(void **state)
{
	struct pki *p = *state;
	struct crl_spec s = FRESH;
	struct ag_err err;

	s.revoked[0] = p->leaf;
	add_crl(p, p->root, p->root_key, &FRESH);
	add_crl(p, p->inter, p->inter_key, &s);
	assert_int_equal(check(p, ag_crl_every_link, T0, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "Test Leaf is revoked by the CRL of Test Inter"));
	/* The intermediate revoked by the root's CRL. */
	sk_X509_CRL_pop_free(p->crls, X509_CRL_free);
	p->crls = sk_X509_CRL_new_null();
	s.revoked[0] = p->inter;
	add_crl(p, p->root, p->root_key, &s);
	add_crl(p, p->inter, p->inter_key, &FRESH);
	assert_int_equal(check(p, ag_crl_every_link, T0, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "Test Inter is revoked by the CRL of Test Root"));
}

/* Every CRL of an issuer counts: a second, fresh one listing the leaf revokes it. */
static void
test_check_every_crl_of_issuer(void **state)
{
	struct pki *p = *state;
	struct crl_spec s = FRESH, stale = FRESH;
	struct ag_err err;

	add_crl(p, p->root, p->root_key, &FRESH);
	add_crl(p, p->inter, p->inter_key, &FRESH);
	add_crl(p, p->inter, p->inter_key, &FRESH);
	assert_int_equal(check(p, ag_crl_every_link, T0, &err), AG_OK);
	s.revoked[1] = p->leaf;
	add_crl(p, p->inter, p->inter_key, &s);
	assert_int_equal(check(p, ag_crl_every_link, T0, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "revoked"));
	X509_CRL_free(sk_X509_CRL_pop(p->crls));
	stale.last = T0 - 10 * DAY;
	stale.next = T0 - 5 * DAY;
	add_crl(p, p->inter, p->inter_key, &stale);
	assert_int_equal(check(p, ag_crl_every_link, T0, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "a CRL of Test Inter is not valid"));
}

static void
test_check_missing_crl(void **state)
{
	struct pki *p = *state;
	struct ag_err err;

	assert_int_equal(check(p, ag_crl_every_link, T0, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "no CRL of Test Inter was given, so Test Leaf cannot be checked"));
	add_crl(p, p->inter, p->inter_key, &FRESH);
	assert_int_equal(check(p, ag_crl_every_link, T0, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "no CRL of Test Root was given, so Test Inter cannot be checked"));
}

static void
test_check_bad_crls(void **state)
{
	struct pki *p = *state;
	struct crl_spec s = FRESH;
	struct ag_err err;

	/* Named as the intermediate's, signed by another key. */
	add_crl(p, p->root, p->root_key, &FRESH);
	add_crl(p, p->inter, p->other_key, &FRESH);
	assert_int_equal(check(p, ag_crl_every_link, T0, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "does not verify with its key"));
	X509_CRL_free(sk_X509_CRL_pop(p->crls));
	/* A delta CRL alone would hide revocations. */
	s.delta = 1;
	add_crl(p, p->inter, p->inter_key, &s);
	assert_int_equal(check(p, ag_crl_every_link, T0, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "delta CRL"));
	X509_CRL_free(sk_X509_CRL_pop(p->crls));
	/* No nextUpdate: never valid. */
	s.delta = 0;
	s.next = 0;
	add_crl(p, p->inter, p->inter_key, &s);
	assert_int_equal(check(p, ag_crl_every_link, T0, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "not valid at the verification time"));
}

static void
test_check_issuer_not_in_pool(void **state)
{
	struct pki *p = *state;
	STACK_OF(X509) *pool = sk_X509_new_null();
	X509 *impostor = make_cert("Test Inter", p->other_key, p->root, p->root_key);
	struct ag_err err;

	add_crl(p, p->root, p->root_key, &FRESH);
	add_crl(p, p->inter, p->inter_key, &FRESH);
	/* Same name as the issuer, another key: not the issuer. */
	sk_X509_push(pool, impostor);
	sk_X509_push(pool, p->root);
	assert_int_equal(ag_crl_check(p->leaf, pool, ag_crl_every_link, p->crls, T0, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "the issuer of Test Leaf is not among the certificates"));
	sk_X509_free(pool);
	X509_free(impostor);
}

static int
never(X509 *c)
{
	(void)c;
	return 0;
}

static void
test_check_nothing_selected(void **state)
{
	struct pki *p = *state;
	struct ag_err err;

	add_crl(p, p->root, p->root_key, &FRESH);
	add_crl(p, p->inter, p->inter_key, &FRESH);
	assert_int_equal(check(p, never, T0, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "cover no certificate"));
	/* A self-signed leaf has no link to check. */
	assert_int_equal(ag_crl_check(p->root, p->pool, ag_crl_every_link, p->crls, T0, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "cover no certificate"));
}

/* AMD: ARK and ASK are RSA, the VCEK is EC and has no CRL; only the ASK link is checked. */
static void
test_amd_links(void **state)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), *vk = ec_key();
	X509 *ark, *ask, *vcek;
	STACK_OF(X509) *pool = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	struct ag_err err;

	(void)state;
	assert_non_null(rsa);
	ark = make_cert("ARK-Test", rsa, NULL, NULL);
	ask = make_cert("SEV-Test", rsa, ark, rsa);
	vcek = make_cert("SEV-VCEK", vk, ask, rsa);
	assert_int_equal(ag_crl_amd_links(vcek), 0);
	assert_int_equal(ag_crl_amd_links(ask), 1);
	assert_int_equal(ag_crl_every_link(vcek), 1);
	sk_X509_push(pool, ark);
	sk_X509_push(pool, ask);
	assert_int_equal(ag_crl_check(vcek, pool, ag_crl_amd_links, crls, T0, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "no CRL of ARK-Test"));
	sk_X509_CRL_push(crls, make_crl(ark, rsa, &FRESH));
	assert_int_equal(ag_crl_check(vcek, pool, ag_crl_amd_links, crls, T0, &err), AG_OK);
	/* The same CRLs do not satisfy every link: the VCEK's issuer has none. */
	assert_int_equal(ag_crl_check(vcek, pool, ag_crl_every_link, crls, T0, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "no CRL of SEV-Test"));
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	sk_X509_pop_free(pool, X509_free);
	X509_free(vcek);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(vk);
}

/* Writes crl to dir/name as DER, or appends it as PEM. */
static void
write_crl(const char *dir, const char *name, X509_CRL *crl, int pem)
{
	char *path = tu_path(dir, name);
	FILE *f = fopen(path, pem ? "ab" : "wb");

	assert_non_null(f);
	assert_int_equal(pem ? PEM_write_X509_CRL(f, crl) : i2d_X509_CRL_fp(f, crl), 1);
	assert_int_equal(fclose(f), 0);
	free(path);
}

/* "dir/a\ndir/b..." for the names given. */
static char *
path_list(const char *dir, const char *const *names, size_t n)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(dir) + strlen(names[i]) + 2;
	s = calloc(1, len);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		sprintf(s + strlen(s), "%s%s/%s", i > 0 ? "\n" : "", dir, names[i]);
	return s;
}

static void
test_load_files(void **state)
{
	struct pki *p = *state;
	static const char *const names[] = { "root.der", "inter.pem" };
	char *dir = tu_mkdtemp(), *paths = path_list(dir, names, 2), *sloppy;
	X509_CRL *r = make_crl(p->root, p->root_key, &FRESH), *i = make_crl(p->inter, p->inter_key, &FRESH);
	STACK_OF(X509_CRL) *crls = NULL;
	struct ag_err err;

	write_crl(dir, "root.der", r, 0);
	write_crl(dir, "inter.pem", i, 1);
	write_crl(dir, "two.pem", r, 1);
	write_crl(dir, "two.pem", i, 1);
	assert_int_equal(ag_crl_load(paths, &crls, &err), AG_OK);
	assert_int_equal(sk_X509_CRL_num(crls), 2);
	assert_int_equal(X509_CRL_cmp(sk_X509_CRL_value(crls, 0), r), 0);
	assert_int_equal(ag_crl_check(p->leaf, p->pool, ag_crl_every_link, crls, T0, &err), AG_OK);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	/* Empty lines between names are skipped; one PEM file may hold several CRLs. */
	sloppy = malloc(strlen(paths) + 64 + strlen(dir));
	assert_non_null(sloppy);
	sprintf(sloppy, "\n%s\n\n%s/two.pem\n", paths, dir);
	assert_int_equal(ag_crl_load(sloppy, &crls, &err), AG_OK);
	assert_int_equal(sk_X509_CRL_num(crls), 4);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	/* No names at all: no CRL, no error (the check then finds none). */
	assert_int_equal(ag_crl_load("", &crls, &err), AG_OK);
	assert_int_equal(sk_X509_CRL_num(crls), 0);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	X509_CRL_free(r);
	X509_CRL_free(i);
	free(sloppy);
	free(paths);
	tu_rmtree(dir);
	free(dir);
}

/* Expects ag_crl_load(paths) to fail with AG_ECONFIG, *out NULL, and the message to contain want. */
static void
load_fails(const char *paths, const char *want)
{
	STACK_OF(X509_CRL) *crls = (STACK_OF(X509_CRL) *)1;
	struct ag_err err;

	ag_err_clear(&err);
	assert_int_equal(ag_crl_load(paths, &crls, &err), AG_ECONFIG);
	assert_null(crls);
	if (strstr(err.msg, want) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, want);
}

static void
test_load_failures(void **state)
{
	struct pki *p = *state;
	char *dir = tu_mkdtemp(), *good = tu_path(dir, "good.der"), *bad = tu_path(dir, "bad.crl");
	char *missing = tu_path(dir, "missing.crl"), *cert = tu_path(dir, "cert.pem"), *list;
	X509_CRL *r = make_crl(p->root, p->root_key, &FRESH);
	unsigned char *der = NULL;
	int n = i2d_X509_CRL(r, &der);
	FILE *f;

	assert_true(n > 0);
	write_crl(dir, "good.der", r, 0);
	tu_write(dir, "bad.crl", "-----BEGIN X509 CRL-----\nbm90\n-----END X509 CRL-----\n");
	f = fopen(cert, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, p->root), 1);
	fclose(f);
	load_fails(missing, missing);
	load_fails(bad, "bad.crl is not a CRL (DER or PEM)");
	load_fails(cert, "cert.pem is not a CRL");
	load_fails(dir, "cannot read");
	/* A good file before a bad one: the whole list fails, nothing leaks. */
	list = malloc(strlen(good) + strlen(bad) + 2);
	sprintf(list, "%s\n%s", good, bad);
	load_fails(list, "bad.crl");
	free(list);
	/* DER with a trailing byte. */
	der = OPENSSL_realloc(der, (size_t)n + 1);
	der[n] = 0;
	f = fopen(bad, "wb");
	assert_int_equal(fwrite(der, 1, (size_t)n + 1, f), (size_t)n + 1);
	fclose(f);
	load_fails(bad, "is not a CRL");
	load_fails(NULL, "");
	OPENSSL_free(der);
	X509_CRL_free(r);
	free(good);
	free(bad);
	free(missing);
	free(cert);
	tu_rmtree(dir);
	free(dir);
}

static void
test_load_bounds(void **state)
{
	struct pki *p = *state;
	char *dir = tu_mkdtemp(), *list, *big = tu_path(dir, "big.crl");
	const char *names[AG_CRL_MAX_FILES + 1];
	X509_CRL *r = make_crl(p->root, p->root_key, &FRESH);
	STACK_OF(X509_CRL) *crls = NULL;
	struct ag_err err;
	int fd;

	write_crl(dir, "r.der", r, 0);
	for (int i = 0; i <= AG_CRL_MAX_FILES; i++)
		names[i] = "r.der";
	list = path_list(dir, names, AG_CRL_MAX_FILES);
	assert_int_equal(ag_crl_load(list, &crls, &err), AG_OK);
	assert_int_equal(sk_X509_CRL_num(crls), AG_CRL_MAX_FILES);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	free(list);
	list = path_list(dir, names, AG_CRL_MAX_FILES + 1);
	load_fails(list, "more than 16 CRL files");
	free(list);
	/* A file over 4 MiB (sparse) is refused before it is parsed. */
	fd = open(big, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, AG_CRL_MAX_BYTES + 1), 0);
	close(fd);
	load_fails(big, "larger than the limit");
	X509_CRL_free(r);
	free(big);
	tu_rmtree(dir);
	free(dir);
}

/* Loads the certificates of a vector file into a new stack. */
static STACK_OF(X509) *
vector_certs(const char *path)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	uint8_t *buf = NULL;
	size_t len = 0;
	struct ag_err err;

	assert_non_null(certs);
	assert_int_equal(ag_file_read(path, 65536, AG_EINVALID, &buf, &len, &err), AG_OK);
	assert_int_equal(ag_certs_load(buf, len, certs, &err), AG_OK);
	free(buf);
	return certs;
}

/* Intel SGX PCK Platform CA under the SGX Root CA, whose CRL runs 2023-04-03 to 2024-04-02. */
static void
test_real_intel_root_crl(void **state)
{
	char *dir = tu_path(shared_dir(), "vectors/tdx/collateral"), *chain = tu_path(dir, "pckcrl-issuer-chain.pem");
	char *both = malloc(2 * strlen(dir) + 64), *platform = tu_path(dir, "pckcrl-platform.der");
	STACK_OF(X509) *pool;
	STACK_OF(X509_CRL) *crls = NULL;
	struct ag_err err;
	char cn[64];

	(void)state;
	if (access(chain, R_OK) != 0) {
		free(both);
		free(platform);
		free(chain);
		free(dir);
		print_message("# skipped: ../shared/vectors/tdx is not present\n");
		skip();
	}
	pool = vector_certs(chain);
	assert_int_equal(sk_X509_num(pool), 2);
	assert_string_equal(ag_cert_cn(sk_X509_value(pool, 0), cn, sizeof(cn)), "Intel SGX PCK Platform CA");
	sprintf(both, "%s/rootcrl.der\n%s/pckcrl-platform.der", dir, dir);
	assert_int_equal(ag_crl_load(both, &crls, &err), AG_OK);
	assert_int_equal(sk_X509_CRL_num(crls), 2);
	assert_int_equal(ag_crl_check(sk_X509_value(pool, 0), pool, ag_crl_every_link, crls, (time_t)1686355200, &err),
	    AG_OK);   /* 2023-06-10 */
	assert_int_equal(ag_crl_check(sk_X509_value(pool, 0), pool, ag_crl_every_link, crls, (time_t)1714521600, &err),
	    AG_EINVALID);   /* 2024-05-01: past nextUpdate */
	assert_non_null(strstr(err.msg, "a CRL of Intel SGX Root CA is not valid"));
	assert_int_equal(ag_crl_check(sk_X509_value(pool, 0), pool, ag_crl_every_link, crls, (time_t)1677628800, &err),
	    AG_EINVALID);   /* 2023-03-01: before lastUpdate */
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	/* The Platform CA's own CRL does not cover its link to the root. */
	assert_int_equal(ag_crl_load(platform, &crls, &err), AG_OK);
	assert_int_equal(ag_crl_check(sk_X509_value(pool, 0), pool, ag_crl_every_link, crls, (time_t)1686355200, &err),
	    AG_ECONFIG);
	assert_non_null(strstr(err.msg, "no CRL of Intel SGX Root CA was given"));
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	load_fails(chain, "is not a CRL");
	sk_X509_pop_free(pool, X509_free);
	free(both);
	free(platform);
	free(chain);
	free(dir);
}

/* The real VCEK, ASK and ARK: only the ASK link asks for a CRL, the ARK's. */
static void
test_real_amd_selector(void **state)
{
	char *pem = tu_path(shared_dir(), "vectors/kata-cc/sidecar-vcek-ask-ark.pem");
	STACK_OF(X509) *chain;
	STACK_OF(X509_CRL) *crls;
	struct ag_err err;

	(void)state;
	if (access(pem, R_OK) != 0) {
		free(pem);
		print_message("# skipped: ../shared/vectors/kata-cc is not present\n");
		skip();
	}
	crls = sk_X509_CRL_new_null();
	chain = vector_certs(pem);
	assert_int_equal(sk_X509_num(chain), 3);
	assert_int_equal(ag_crl_amd_links(sk_X509_value(chain, 0)), 0);   /* VCEK: EC P-384 */
	assert_int_equal(ag_crl_amd_links(sk_X509_value(chain, 1)), 1);   /* ASK: RSA */
	assert_int_equal(ag_crl_amd_links(sk_X509_value(chain, 2)), 1);   /* ARK: RSA */
	assert_int_equal(ag_crl_check(sk_X509_value(chain, 0), chain, ag_crl_amd_links, crls, T0, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "no CRL of ARK-Milan was given, so SEV-Milan cannot be checked"));
	sk_X509_pop_free(chain, X509_free);
	sk_X509_CRL_free(crls);
	free(pem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_clean_chain, setup_pki, teardown_pki),
		cmocka_unit_test_setup_teardown(test_check_revoked, setup_pki, teardown_pki),
		cmocka_unit_test_setup_teardown(test_check_every_crl_of_issuer, setup_pki, teardown_pki),
		cmocka_unit_test_setup_teardown(test_check_missing_crl, setup_pki, teardown_pki),
		cmocka_unit_test_setup_teardown(test_check_bad_crls, setup_pki, teardown_pki),
		cmocka_unit_test_setup_teardown(test_check_issuer_not_in_pool, setup_pki, teardown_pki),
		cmocka_unit_test_setup_teardown(test_check_nothing_selected, setup_pki, teardown_pki),
		cmocka_unit_test(test_amd_links),
		cmocka_unit_test_setup_teardown(test_load_files, setup_pki, teardown_pki),
		cmocka_unit_test_setup_teardown(test_load_failures, setup_pki, teardown_pki),
		cmocka_unit_test_setup_teardown(test_load_bounds, setup_pki, teardown_pki),
		cmocka_unit_test(test_real_intel_root_crl),
		cmocka_unit_test(test_real_amd_selector),
	};

	return cmocka_run_group_tests_name("crl", tests, NULL, NULL);
}
