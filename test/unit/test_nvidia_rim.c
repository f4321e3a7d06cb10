/*
 * test_nvidia_rim.c - lib/format/nvidia_rim.c: NVIDIA's reference
 * integrity manifests.  Every RIM of ../shared/vectors/nvidia (skipped
 * visibly when absent) reads with its version, manufacturer, active
 * measurements and certificates; at the time pin 2025-06-01 the genuine
 * ones verify and the staged negatives fail naming the check (SignedInfo
 * signature, Reference digest, chain), and today the expired ones fail
 * with a hint to pin --at.  Reader negatives are string edits of a real
 * RIM in memory (DOCTYPE and entities, structure, attributes, hashes,
 * certificates, sizes), and a Resource hidden inside the Signature is not
 * a measurement.  RIMs re-signed by a test RIM CA (test/emul/
 * nvidia_test_rims.sh and xmlsec1, skipped visibly when xmlsec1 is not
 * installed) verify only with that test root, and edits after signing,
 * other algorithms (even validly signed) and other Reference URIs fail.
 */
#include "testutil.h"

#include <openssl/x509.h>
#include <time.h>

#include "base/certs.h"
#include "format/nvidia_rim.h"

#define DIR545 "nvidia/nvtrust-2023-hopper-545"
#define DIRRIMS "nvidia/rims"
#define DRIVER545 "Driver_RIM_test_no_gpu.swidtag"
#define VBIOS545 "1010_0200_882_96005E0001_test_no_gpu.swidtag"
#define AT_PIN ((time_t)1748736000)          /* 2025-06-01T00:00:00Z: every RIM meant to verify does */
#define NA_DRIVER545 ((time_t)1750918212)    /* 2025-06-26T06:10:12Z: the 545 driver RIM chain's first notAfter */

#define DS "http://www.w3.org/2000/09/xmldsig#"
#define MORE "http://www.w3.org/2001/04/xmldsig-more#"
#define C14N11 "http://www.w3.org/2006/12/xml-c14n11"
#define EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"

/* A golden value for measurements added here. */
#define HASH16 "abababababababababababababababab"
#define HASH48 HASH16 HASH16 HASH16

#define SKIP_WITHOUT(p)                                                                                  \
	do {                                                                                             \
		if ((p) == NULL) {                                                                       \
			print_message("# skipped: ../shared/vectors/nvidia is not present\n");           \
			skip();                                                                          \
		}                                                                                        \
	} while (0)

static const struct rim_vec {
	const char *dir, *name, *version;
	size_t n_measurements;
	int n_certs;
	const char *why;   /* NULL: verifies at AT_PIN; else what the failure names */
} vecs[] = {
	{ DIR545, DRIVER545, "545.00", 21, 4, NULL },
	{ DIR545, VBIOS545, "96.00.5E.00.01", 12, 4, NULL },
	{ DIRRIMS, "NV_GPU_DRIVER_GH100_550.144.03.xml", "550.144.03", 21, 4, NULL },
	{ DIRRIMS, "NV_GPU_VBIOS_1010_0200_882_96005E0001_measurement_mismatch.xml", "96.00.5E.00.01", 12, 4, NULL },
	{ DIRRIMS, "incorrect_signature_driver_rim.xml", "550.144.03", 21, 4,
	    "RIM signature: the SignedInfo signature does not verify" },
	{ DIRRIMS, "NV_GPU_DRIVER_GH100_535.86.09_measurement_mismatch.xml", "535.86.09", 22, 4,
	    "RIM signature: the Reference's digest does not match" },
	{ DIRRIMS, "NV_SWITCH_BIOS_5612_0002_890_9610550001_measurement_mismatch.xml", "96.10.55.00.01", 12, 4,
	    "RIM signature: the Reference's digest does not match" },
	{ DIRRIMS, "incorrect_cert_chain_driver_rim.xml", "97.00.83.00.09", 20, 2,
	    "not the pinned NVIDIA CoRIM signing Root CA" },
};

#define N_VECS (sizeof(vecs) / sizeof(vecs[0]))

/* The RIMs nvidia_test_rims.sh signs with a fresh test RIM CA, made once (dir NULL: why not). */
static struct {
	int tried;
	char *dir;
	const char *why;
} signed_rims;

static const char *
repo(void)
{
	return getenv("AG_REPO") != NULL ? getenv("AG_REPO") : ".";
}

/* ../shared/vectors/DIR/NAME as NUL-terminated text, or NULL when absent. */
static char *
vec_text(const char *dir, const char *name)
{
	size_t len;

	return (char *)tu_vec_in(dir, name, &len);
}

/* The 545 driver RIM's text: the base of the reader negatives (skips visibly when absent). */
static char *
base_rim(void)
{
	char *t = vec_text(DIR545, DRIVER545);

	SKIP_WITHOUT(t);
	return t;
}

/* A copy of src with the first occurrence of find (which must be there) replaced by repl. */
static char *
edit(const char *src, const char *find, const char *repl)
{
	const char *at = strstr(src, find);
	size_t n;
	char *out;

	if (at == NULL)
		fail_msg("\"%.80s\" is not in the RIM", find);
	n = strlen(src) - strlen(find) + strlen(repl) + 1;
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - src), src, repl, at + strlen(find));
	return out;
}

/* edit() that frees src. */
static char *
edit_free(char *src, const char *find, const char *repl)
{
	char *out = edit(src, find, repl);

	free(src);
	return out;
}

/* A copy of the text from the first `from` through the end of the first `to` after it. */
static char *
span(const char *src, const char *from, const char *to)
{
	const char *a = strstr(src, from), *b = a != NULL ? strstr(a, to) : NULL;

	if (b == NULL)
		fail_msg("no \"%s\" ... \"%s\" in the RIM", from, to);
	return strndup(a, (size_t)(b + strlen(to) - a));
}

static struct ag_nv_rim *
read_ok(const char *text, size_t len)
{
	struct ag_nv_rim *rim = NULL;
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_nv_rim_read((const uint8_t *)text, len, &rim, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_non_null(rim);
	assert_non_null(rim->doc);
	return rim;
}

static void
read_fails(const char *text, size_t len, const char *why)
{
	struct ag_nv_rim *rim = (struct ag_nv_rim *)&rim;
	struct ag_err err;
	enum ag_code rc;

	ag_err_clear(&err);
	rc = ag_nv_rim_read((const uint8_t *)text, len, &rim, &err);
	if (rc != AG_EINVALID || strstr(err.msg, why) == NULL)
		fail_msg("rc %d, \"%s\" lacks \"%s\"", rc, err.msg, why);
	assert_null(rim);
}

/* text with find replaced by repl is refused, naming why. */
static void
edit_fails(const char *text, const char *find, const char *repl, const char *why)
{
	char *t = edit(text, find, repl);

	read_fails(t, strlen(t), why);
	free(t);
}

/* Verifies and asserts AG_EINVALID with a message containing every one of why (NULL-ended). */
static void
verify_fails(const struct ag_nv_rim *rim, STACK_OF(X509) *roots, time_t at, ...)
{
	struct ag_nv_chain_info info;
	struct ag_err err;
	enum ag_code rc;
	const char *why;
	va_list ap;

	ag_err_clear(&err);
	rc = ag_nv_rim_verify(rim, roots, at, &info, &err);
	if (rc != AG_EINVALID)
		fail_msg("rc %d: \"%s\"", rc, err.msg);
	va_start(ap, at);
	while ((why = va_arg(ap, const char *)) != NULL)
		if (strstr(err.msg, why) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
	va_end(ap);
}

static void
verify_ok(const struct ag_nv_rim *rim, STACK_OF(X509) *roots, time_t at, struct ag_nv_chain_info *info)
{
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_nv_rim_verify(rim, roots, at, info, &err) != AG_OK)
		fail_msg("%s", err.msg);
}

/* --- the staged RIMs --- */

static void
test_read_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_VECS; i++) {
		char *t = vec_text(vecs[i].dir, vecs[i].name);
		struct ag_nv_rim *rim;

		SKIP_WITHOUT(t);
		rim = read_ok(t, strlen(t));
		assert_string_equal(rim->version, vecs[i].version);
		assert_string_equal(rim->manufacturer_id, "5703");
		if (rim->n_measurements != vecs[i].n_measurements)
			fail_msg("%s: %zu measurements", vecs[i].name, rim->n_measurements);
		assert_int_equal(sk_X509_num(rim->certs), vecs[i].n_certs);
		for (size_t k = 0; k < rim->n_measurements; k++) {
			assert_int_equal(rim->measurements[k].size, 48);
			assert_true(rim->measurements[k].n_alternatives >= 1);
			if (k > 0)   /* document order, which is index order in NVIDIA's RIMs */
				assert_true(rim->measurements[k].index > rim->measurements[k - 1].index);
		}
		ag_nv_rim_free(rim);
		free(t);
	}
	ag_nv_rim_free(NULL);
}

static void
test_verify_pinned(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_VECS; i++) {
		char *t = vec_text(vecs[i].dir, vecs[i].name);
		struct ag_nv_chain_info info;
		struct ag_nv_rim *rim;

		SKIP_WITHOUT(t);
		rim = read_ok(t, strlen(t));
		if (vecs[i].why == NULL) {
			verify_ok(rim, NULL, AT_PIN, &info);
			assert_int_equal(info.test_root, 0);
			assert_true(info.not_after > AT_PIN);
		} else {
			verify_fails(rim, NULL, AT_PIN, vecs[i].why, NULL);
		}
		ag_nv_rim_free(rim);
		free(t);
	}
}

static void
test_verify_545_window(void **state)
{
	char *t = base_rim();
	struct ag_nv_rim *rim = read_ok(t, strlen(t));
	struct ag_nv_chain_info info;

	(void)state;
	verify_ok(rim, NULL, AT_PIN, &info);
	assert_int_equal(info.not_after, NA_DRIVER545);
	verify_ok(rim, NULL, NA_DRIVER545 - 1, &info);
	verify_fails(rim, NULL, NA_DRIVER545 + 1, "the RIM's signing chain does not verify", "expired", "--at", NULL);
	/* Before its signer was issued (2023-06-27). */
	verify_fails(rim, NULL, (time_t)1672531200, "not yet valid", "--at", NULL);
	ag_nv_rim_free(rim);
	free(t);
}

static void
test_verify_now_expired(void **state)
{
	static const char *const names[] = { DRIVER545, VBIOS545 };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char *t = vec_text(DIR545, names[i]);
		struct ag_nv_rim *rim;

		SKIP_WITHOUT(t);
		rim = read_ok(t, strlen(t));
		verify_fails(rim, NULL, time(NULL), "the RIM's signing chain does not verify", "expired", "--at", NULL);
		ag_nv_rim_free(rim);
		free(t);
	}
}

static void
test_measurement_lookup(void **state)
{
	char *t = base_rim(), *v = vec_text(DIR545, VBIOS545);
	struct ag_nv_rim *drv = read_ok(t, strlen(t)), *vb = read_ok(v, strlen(v));
	const struct ag_nv_rim_measurement *m;

	(void)state;
	m = ag_nv_rim_measurement(drv, 7);
	assert_non_null(m);
	assert_ptr_equal(m, &drv->measurements[0]);
	assert_int_equal(m->n_alternatives, 1);
	assert_memory_equal(m->alternatives[0], "\x0e\x0e\xe1\x61\xb5\x9b", 6);
	m = ag_nv_rim_measurement(drv, 35);
	assert_non_null(m);
	assert_int_equal(m->n_alternatives, 2);
	assert_memory_equal(m->alternatives[1], "\xc0\x96\x2e\xd9", 4);
	assert_ptr_equal(ag_nv_rim_measurement(drv, 40), &drv->measurements[20]);
	/* Inactive (0, 8) and absent (64, 254, 1000) indices are not found. */
	assert_null(ag_nv_rim_measurement(drv, 0));
	assert_null(ag_nv_rim_measurement(drv, 8));
	assert_null(ag_nv_rim_measurement(drv, 64));
	assert_null(ag_nv_rim_measurement(drv, 254));
	assert_null(ag_nv_rim_measurement(drv, 1000));
	m = ag_nv_rim_measurement(vb, 12);
	assert_non_null(m);
	assert_int_equal(m->n_alternatives, 4);
	assert_memory_equal(m->alternatives[1], "\x75\x8a\xf9\x60", 4);
	assert_null(ag_nv_rim_measurement(vb, 7));
	assert_non_null(ag_nv_rim_measurement(vb, 0));
	ag_nv_rim_free(drv);
	ag_nv_rim_free(vb);
	free(t);
	free(v);
}

/* --- reader negatives --- */

static void
test_not_xml(void **state)
{
	char *t = base_rim();

	(void)state;
	read_fails("hello", 5, "RIM: not well-formed XML");
	read_fails("<SoftwareIdentity", 17, "not well-formed XML");
	read_fails("\x00\x01\x02", 3, "not well-formed XML");
	/* The real RIM cut short, or with its closing tag misspelt. */
	read_fails(t, strlen(t) - 10, "not well-formed XML");
	edit_fails(t, "</SoftwareIdentity>", "</SoftwareIdentitz>", "not well-formed XML");
	free(t);
}

static void
test_size_bounds(void **state)
{
	char *t = base_rim(), *big = malloc(AG_NV_RIM_MAX_BYTES + 1);
	struct ag_nv_rim *rim;
	size_t n = strlen(t);

	(void)state;
	assert_non_null(big);
	read_fails(t, 0, "RIM: 0 bytes (at most 2097152)");
	read_fails("", 0, "RIM: 0 bytes");
	/* The real RIM padded with trailing white space to exactly the limit reads; one byte more does not. */
	memset(big, '\n', AG_NV_RIM_MAX_BYTES + 1);
	memcpy(big, t, n);
	rim = read_ok(big, AG_NV_RIM_MAX_BYTES);
	assert_int_equal(rim->n_measurements, 21);
	ag_nv_rim_free(rim);
	read_fails(big, AG_NV_RIM_MAX_BYTES + 1, "RIM: 2097153 bytes (at most 2097152)");
	free(big);
	free(t);
}

static void
test_doctype(void **state)
{
	char *t = base_rim();

	(void)state;
	/* Even a harmless DOCTYPE, and every entity form. */
	edit_fails(t, "<SoftwareIdentity ", "<!DOCTYPE SoftwareIdentity>\n<SoftwareIdentity ", "RIM: a DOCTYPE");
	edit_fails(t, "<SoftwareIdentity ", "<!DOCTYPE SoftwareIdentity [<!ENTITY v \"545.00\">]>\n<SoftwareIdentity ",
	    "a DOCTYPE");
	edit_fails(t, "<SoftwareIdentity ",
	    "<!DOCTYPE SoftwareIdentity [<!ENTITY x SYSTEM \"file:///etc/hostname\">]>\n<SoftwareIdentity ", "a DOCTYPE");
	edit_fails(t, "<SoftwareIdentity ",
	    "<!DOCTYPE SoftwareIdentity SYSTEM \"http://127.0.0.1:1/rim.dtd\">\n<SoftwareIdentity ", "a DOCTYPE");
	edit_fails(t, "<SoftwareIdentity ",
	    "<!DOCTYPE SoftwareIdentity [<!ENTITY % p SYSTEM \"file:///etc/hostname\"> %p;]>\n<SoftwareIdentity ",
	    "RIM:");
	free(t);
}

static void
test_external_entity(void **state)
{
	char *t = base_rim(), *x;

	(void)state;
	/* An external entity used as the version: refused, never substituted. */
	x = edit(t, "<SoftwareIdentity ",
	    "<!DOCTYPE SoftwareIdentity [<!ENTITY xxe SYSTEM \"file:///etc/hostname\">]>\n<SoftwareIdentity ");
	x = edit_free(x, "colloquialVersion=\"545.00\"", "colloquialVersion=\"&xxe;\"");
	read_fails(x, strlen(x), "RIM:");
	free(x);
	/* An entity nobody declared is not well-formed. */
	edit_fails(t, "colloquialVersion=\"545.00\"", "colloquialVersion=\"&xxe;\"", "not well-formed XML");
	/* An internal entity bomb is refused too. */
	x = edit(t, "<SoftwareIdentity ",
	    "<!DOCTYPE s [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
	    "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>\n<SoftwareIdentity ");
	x = edit_free(x, "name=\"Measurement_7\"", "name=\"&c;\"");
	read_fails(x, strlen(x), "RIM:");
	free(x);
	free(t);
}

static void
test_root_element(void **state)
{
	char *t = base_rim(), *x;

	(void)state;
	x = edit(t, "<SoftwareIdentity ", "<SoftwareIdentitz ");
	x = edit_free(x, "</SoftwareIdentity>", "</SoftwareIdentitz>");
	read_fails(x, strlen(x), "RIM: the document is not a SWID SoftwareIdentity");
	free(x);
	/* The right name in another namespace. */
	edit_fails(t, "<SoftwareIdentity xmlns=\"http://standards.iso.org/iso/19770/-2/2015/schema.xsd\"",
	    "<SoftwareIdentity xmlns=\"urn:not-swid\"", "not a SWID SoftwareIdentity");
	/* A SoftwareIdentity that is not the root. */
	x = edit(t, "<SoftwareIdentity ", "<wrap><SoftwareIdentity ");
	x = edit_free(x, "</SoftwareIdentity>", "</SoftwareIdentity></wrap>");
	read_fails(x, strlen(x), "not a SWID SoftwareIdentity");
	free(x);
	free(t);
}

static void
test_meta_payload(void **state)
{
	char *t = base_rim(), *meta, *two, *x;

	(void)state;
	meta = span(t, "<ns0:Meta ", "/>");
	two = malloc(2 * strlen(meta) + 2);
	assert_non_null(two);
	sprintf(two, "%s\n%s", meta, meta);
	edit_fails(t, meta, two, "RIM: the SoftwareIdentity needs exactly one Meta and one Payload");
	edit_fails(t, meta, "", "exactly one Meta and one Payload");
	x = edit(t, "<ns0:Payload ", "<ns0:Paylaod ");
	x = edit_free(x, "</ns0:Payload>", "</ns0:Paylaod>");
	read_fails(x, strlen(x), "exactly one Meta and one Payload");
	free(x);
	edit_fails(t, "</ns0:Payload>", "</ns0:Payload><ns0:Payload/>", "exactly one Meta and one Payload");
	free(two);
	free(meta);
	free(t);
}

static void
test_signature_count(void **state)
{
	char *t = base_rim(), *sig = span(t, "<ds:Signature ", "</ds:Signature>"), *buf, *x;
	size_t n = 2 * strlen(sig) + 32;

	(void)state;
	buf = malloc(n);
	assert_non_null(buf);
	/* Two Signatures at the root. */
	snprintf(buf, n, "%s%s", sig, sig);
	edit_fails(t, sig, buf, "RIM: the SoftwareIdentity needs exactly one Signature, as its child");
	/* A second Signature nested inside the Payload counts too. */
	snprintf(buf, n, "%s</ns0:Payload>", sig);
	edit_fails(t, "</ns0:Payload>", buf, "exactly one Signature");
	/* The one Signature, but inside the Payload instead of at the root. */
	x = edit(t, sig, "");
	x = edit_free(x, "</ns0:Payload>", buf);
	read_fails(x, strlen(x), "exactly one Signature, as its child");
	free(x);
	/* None at all. */
	edit_fails(t, sig, "", "exactly one Signature");
	free(buf);
	free(sig);
	free(t);
}

/* colloquialVersion="VVV...V" (n characters) into buf. */
static const char *
long_version(char *buf, size_t size, int n)
{
	snprintf(buf, size, "colloquialVersion=\"%0*d\"", n, 5);
	return buf;
}

static void
test_version(void **state)
{
	char *t = base_rim(), v[100], *x;
	struct ag_nv_rim *rim;

	(void)state;
	edit_fails(t, "colloquialVersion=\"545.00\"", "colloquialVersioN=\"545.00\"", "RIM: Meta has no colloquialVersion");
	edit_fails(t, "colloquialVersion=\"545.00\"", "colloquialVersion=\"\"", "Meta has no colloquialVersion");
	edit_fails(t, "colloquialVersion=\"545.00\"", long_version(v, sizeof(v), 64), "Meta has no colloquialVersion");
	/* 63 characters fit. */
	x = edit(t, "colloquialVersion=\"545.00\"", long_version(v, sizeof(v), 63));
	rim = read_ok(x, strlen(x));
	assert_int_equal(strlen(rim->version), 63);
	ag_nv_rim_free(rim);
	free(x);
	/* Without a FirmwareManufacturerId the manufacturer is "". */
	x = edit(t, "ns1:FirmwareManufacturerId=\"5703\"", "");
	rim = read_ok(x, strlen(x));
	assert_string_equal(rim->manufacturer_id, "");
	assert_string_equal(rim->version, "545.00");
	ag_nv_rim_free(rim);
	free(x);
	free(t);
}

#define M7 "index=\"7\" active=\"True\" alternatives=\"1\""
/* Measurement 7's golden value after its first 8 digits. */
#define H7REST "b59bf124ce6b6dca6efa7616d28077862c0e57dca7d5efd63d00eeed4851922941e846a38c464cbedbc168d9"

static void
test_resource_attributes(void **state)
{
	char *t = base_rim();
	const char *bad = "RIM: a measurement has no valid index (0..254), alternatives (1..16) or size (1..64)";

	(void)state;
	edit_fails(t, M7, "index=\"7\" active=\"yes\" alternatives=\"1\"", "RIM: a measurement has no active=\"True\"/\"False\"");
	edit_fails(t, M7, "index=\"7\" active=\"true\" alternatives=\"1\"", "no active=\"True\"/\"False\"");
	edit_fails(t, M7, "index=\"7\" alternatives=\"1\"", "no active=\"True\"/\"False\"");
	edit_fails(t, M7, "index=\"300\" active=\"True\" alternatives=\"1\"", bad);
	edit_fails(t, M7, "index=\"255\" active=\"True\" alternatives=\"1\"", bad);
	edit_fails(t, M7, "index=\"-1\" active=\"True\" alternatives=\"1\"", bad);
	edit_fails(t, M7, "index=\"7x\" active=\"True\" alternatives=\"1\"", bad);
	edit_fails(t, M7, "index=\"\" active=\"True\" alternatives=\"1\"", bad);
	edit_fails(t, M7, "index=\"99999999999999999999\" active=\"True\" alternatives=\"1\"", bad);
	edit_fails(t, M7, "active=\"True\" alternatives=\"1\"", bad);
	edit_fails(t, M7, "index=\"7\" active=\"True\" alternatives=\"0\"", bad);
	edit_fails(t, M7, "index=\"7\" active=\"True\" alternatives=\"17\"", bad);
	edit_fails(t, "name=\"Measurement_7\" size=\"48\"", "name=\"Measurement_7\" size=\"65\"", bad);
	edit_fails(t, "name=\"Measurement_7\" size=\"48\"", "name=\"Measurement_7\" size=\"0\"", bad);
	/* An inactive measurement is checked all the same. */
	edit_fails(t, "index=\"8\" active=\"False\" alternatives=\"1\"", "index=\"8\" active=\"False\" alternatives=\"0\"", bad);
	free(t);
}

static void
test_index_bounds_accepted(void **state)
{
	char *t = base_rim(), *x;
	struct ag_nv_rim *rim;

	(void)state;
	/* 254 (block 255) is the last index; an inactive 0 became an active 0. */
	x = edit(t, M7, "index=\"254\" active=\"True\" alternatives=\"1\"");
	x = edit_free(x, "index=\"0\" active=\"False\"", "index=\"0\" active=\"True\"");
	rim = read_ok(x, strlen(x));
	assert_int_equal(rim->n_measurements, 22);
	assert_non_null(ag_nv_rim_measurement(rim, 254));
	assert_non_null(ag_nv_rim_measurement(rim, 0));
	assert_null(ag_nv_rim_measurement(rim, 7));
	ag_nv_rim_free(rim);
	free(x);
	free(t);
}

static void
test_hashes(void **state)
{
	char *t = base_rim(), *x;
	struct ag_nv_rim *rim;
	const char *h7 = "ns2:Hash0=\"0e0ee161" H7REST "\"";
	const char *why = "RIM: measurement 7's Hash0 is not 48 bytes of hex";

	(void)state;
	/* One digit short, two too many, a letter that is not hex. */
	edit_fails(t, "c464cbedbc168d9\"", "c464cbedbc168d\"", why);
	edit_fails(t, h7, "ns2:Hash0=\"0e0ee161" H7REST "00\"", why);
	edit_fails(t, h7, "ns2:Hash0=\"0g0ee161" H7REST "\"", why);
	edit_fails(t, h7, "ns2:Hash0=\"\"", why);
	edit_fails(t, h7, "", why);
	/* Hash0 without the hash namespace is not the attribute. */
	edit_fails(t, "ns2:Hash0=\"0e0ee161", "Hash0=\"0e0ee161", why);
	/* Two alternatives announced, one given. */
	edit_fails(t, M7, "index=\"7\" active=\"True\" alternatives=\"2\"", "RIM: measurement 7's Hash1 is not 48 bytes of hex");
	/* A 32-byte size with a 48-byte value. */
	edit_fails(t, "name=\"Measurement_7\" size=\"48\"", "name=\"Measurement_7\" size=\"32\"",
	    "measurement 7's Hash0 is not 32 bytes of hex");
	/* Upper-case hex is hex. */
	x = edit(t, "0e0ee161b59bf124", "0E0EE161B59BF124");
	rim = read_ok(x, strlen(x));
	assert_memory_equal(ag_nv_rim_measurement(rim, 7)->alternatives[0], "\x0e\x0e\xe1\x61", 4);
	ag_nv_rim_free(rim);
	free(x);
	free(t);
}

static void
test_duplicate_index(void **state)
{
	char *t = base_rim();

	(void)state;
	/* Active and inactive, inactive and inactive, active and active. */
	edit_fails(t, "index=\"8\" active=\"False\"", "index=\"7\" active=\"False\"", "RIM: measurement index 7 appears twice");
	edit_fails(t, "index=\"1\" active=\"False\"", "index=\"0\" active=\"False\"", "measurement index 0 appears twice");
	edit_fails(t, "index=\"22\" active=\"True\"", "index=\"21\" active=\"True\"", "measurement index 21 appears twice");
	free(t);
}

/* The RIM with copies of its first X509Certificate added. */
static char *
with_certs(const char *t, int extra)
{
	char *cert = span(t, "<ds:X509Certificate>", "</ds:X509Certificate>"), *x = strdup(t);
	char *more = malloc((size_t)(extra + 1) * strlen(cert) + 1);

	assert_non_null(more);
	more[0] = '\0';
	for (int i = 0; i <= extra; i++)
		strcat(more, cert);
	x = edit_free(x, cert, more);
	free(more);
	free(cert);
	return x;
}

static void
test_certificates(void **state)
{
	char *t = base_rim(), *x;
	struct ag_nv_rim *rim;

	(void)state;
	x = with_certs(t, 4);   /* 8 */
	rim = read_ok(x, strlen(x));
	assert_int_equal(sk_X509_num(rim->certs), AG_NV_RIM_MAX_CERTS);
	ag_nv_rim_free(rim);
	free(x);
	x = with_certs(t, 5);   /* 9 */
	read_fails(x, strlen(x), "RIM: more than 8 certificates");
	free(x);
	edit_fails(t, "<ds:X509Certificate>MIIC", "<ds:X509Certificate>AAAA</ds:X509Certificate><ds:X509Certificate>MIIC",
	    "RIM: an X509Certificate is not a base64 DER certificate");
	edit_fails(t, "<ds:X509Certificate>MIIC", "<ds:X509Certificate>!!!!</ds:X509Certificate><ds:X509Certificate>MIIC",
	    "an X509Certificate is not a base64 DER certificate");
	edit_fails(t, "<ds:X509Certificate>MIIC", "<ds:X509Certificate></ds:X509Certificate><ds:X509Certificate>MIIC",
	    "an X509Certificate is not a base64 DER certificate");
	x = span(t, "<ds:KeyInfo>", "</ds:KeyInfo>");
	edit_fails(t, x, "", "RIM: the Signature has no KeyInfo/X509Data");
	edit_fails(t, x, "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>", "RIM: the Signature carries no X509Certificate");
	free(x);
	free(t);
}

/* A Resource inside ds:Signature/ds:Object: index 50, and a second index 7 with another value. */
static const char hidden[] = "<ds:Object>"
	"<ns0:Resource type=\"Measurement\" index=\"100\" active=\"True\" alternatives=\"1\" ns2:Hash0=\"" HASH48
	"\" name=\"x\" size=\"48\"/><ns0:Resource type=\"Measurement\" index=\"7\" active=\"True\" alternatives=\"1\" "
	"ns2:Hash0=\"" HASH48 "\" name=\"y\" size=\"48\"/></ds:Object></ds:Signature>";

/* The hidden Resources are no measurements: the count, index 7's value and the absent index 100 say so. */
static void
check_hidden_ignored(const struct ag_nv_rim *rim, size_t n)
{
	assert_int_equal(rim->n_measurements, n);
	assert_null(ag_nv_rim_measurement(rim, 100));
	assert_non_null(ag_nv_rim_measurement(rim, 7));
	assert_int_not_equal(ag_nv_rim_measurement(rim, 7)->alternatives[0][0], 0xab);
}

static void
test_resource_inside_signature(void **state)
{
	char *t = base_rim(), *x = edit(t, "</ds:Signature>", hidden);
	struct ag_nv_rim *rim = read_ok(x, strlen(x));

	(void)state;
	check_hidden_ignored(rim, 21);
	ag_nv_rim_free(rim);
	free(x);
	/* The control: the same index 100 in the Payload is read. */
	x = edit(t, "</ns0:Payload>", "<ns0:Resource type=\"Measurement\" index=\"100\" active=\"True\" alternatives=\"1\" "
	    "ns2:Hash0=\"" HASH48 "\" name=\"z\" size=\"48\"/></ns0:Payload>");
	rim = read_ok(x, strlen(x));
	assert_int_equal(rim->n_measurements, 22);
	assert_non_null(ag_nv_rim_measurement(rim, 100));
	assert_int_equal(ag_nv_rim_measurement(rim, 100)->alternatives[0][47], 0xab);
	ag_nv_rim_free(rim);
	free(x);
	/* Nor inside another element of the Payload. */
	x = edit(t, "</ns0:Payload>", "<ns0:Directory name=\"d\"><ns0:Resource type=\"Measurement\" index=\"100\" "
	    "active=\"True\" alternatives=\"1\" ns2:Hash0=\"" HASH48 "\" name=\"z\" size=\"48\"/></ns0:Directory></ns0:Payload>");
	rim = read_ok(x, strlen(x));
	check_hidden_ignored(rim, 21);
	ag_nv_rim_free(rim);
	free(x);
	/* A Resource of another type in the Payload is not one either. */
	x = edit(t, "type=\"Measurement\" index=\"7\"", "type=\"File\" index=\"7\"");
	rim = read_ok(x, strlen(x));
	assert_int_equal(rim->n_measurements, 20);
	assert_null(ag_nv_rim_measurement(rim, 7));
	ag_nv_rim_free(rim);
	free(x);
	free(t);
}

/* A RIM of 255 active measurements (indices 0..254) followed by one more Resource with index 0. */
static char *
rim_256_resources(const char *t)
{
	char *payload = span(t, "<ns0:Payload ", "</ns0:Payload>"), *open = span(payload, "<ns0:Payload ", ">");
	size_t cap = 300 * 250 + strlen(open) + 32, n;
	char *p = malloc(cap), *x;

	assert_non_null(p);
	n = (size_t)snprintf(p, cap, "%s", open);
	for (int i = 0; i <= 255; i++)
		n += (size_t)snprintf(p + n, cap - n, "<ns0:Resource type=\"Measurement\" index=\"%d\" active=\"True\" "
		    "alternatives=\"1\" ns2:Hash0=\"%s\" size=\"48\"/>", i == 255 ? 0 : i, HASH48);
	snprintf(p + n, cap - n, "</ns0:Payload>");
	x = edit(t, payload, p);
	free(p);
	free(open);
	free(payload);
	return x;
}

static void
test_255_measurements(void **state)
{
	char *t = base_rim(), *x = rim_256_resources(t);

	(void)state;
	/* 255 active measurements, then one more Resource: it can only repeat an index (and must not be written past the array). */
	read_fails(x, strlen(x), "RIM: measurement index 0 appears twice");
	free(x);
	free(t);
}

/* --- RIMs signed here with a test RIM CA --- */

/* Runs nvidia_test_rims.sh once; the directory, or skips visibly saying why not. */
static const char *
test_signed_dir(void)
{
	char cmd[2048], src[1024];

	if (!signed_rims.tried) {
		signed_rims.tried = 1;
		snprintf(src, sizeof(src), "%s/vectors/%s", tu_shared(), DIR545);
		if (access(src, R_OK) != 0) {
			signed_rims.why = "../shared/vectors/nvidia is not present";
		} else if (system("command -v xmlsec1 >/dev/null 2>&1") != 0) {
			signed_rims.why = "xmlsec1 (the test RIMs' signer) is not installed (make deps)";
		} else {
			signed_rims.dir = tu_mkdtemp();
			snprintf(cmd, sizeof(cmd), "sh '%s/test/emul/nvidia_test_rims.sh' '%s' '%s' >/dev/null 2>&1", repo(),
			    signed_rims.dir, src);
			assert_int_equal(system(cmd), 0);
		}
	}
	if (signed_rims.dir == NULL) {
		print_message("# skipped: %s\n", signed_rims.why);
		skip();
	}
	return signed_rims.dir;
}

/* A file of the test-signed set ("rims/NV_GPU_...xml") as text. */
static char *
signed_text(const char *name)
{
	char *p = tu_path(test_signed_dir(), name), *t;
	uint8_t *buf = NULL;
	size_t len;
	struct ag_err err;

	assert_int_equal(ag_file_read(p, AG_NV_RIM_MAX_BYTES, AG_ECONFIG, &buf, &len, &err), AG_OK);
	t = (char *)buf;
	free(p);
	return t;
}

/* The test RIM root as a stack of test roots. */
static STACK_OF(X509) *
test_root(void)
{
	char *pem = signed_text("rim-ca/root.pem");
	STACK_OF(X509) *s = sk_X509_new_null();
	struct ag_err err;

	assert_int_equal(ag_certs_load((const uint8_t *)pem, strlen(pem), s, &err), AG_OK);
	assert_int_equal(sk_X509_num(s), 1);
	free(pem);
	return s;
}

#define SIGNED_DRIVER "rims/NV_GPU_DRIVER_GH100_545.00.xml"
#define SIGNED_VBIOS "rims/NV_GPU_VBIOS_1010_0200_882_96005E0001.xml"

static void
test_signed_verifies(void **state)
{
	static const char *const names[] = { SIGNED_DRIVER, SIGNED_VBIOS, "bad-rims/NV_GPU_DRIVER_GH100_545.00.xml" };
	STACK_OF(X509) *roots = test_root();

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char *t = signed_text(names[i]);
		struct ag_nv_rim *rim = read_ok(t, strlen(t));
		struct ag_nv_chain_info info;

		assert_int_equal(sk_X509_num(rim->certs), 2);
		assert_int_equal(rim->n_measurements, i == 1 ? 12 : 21);
		verify_ok(rim, roots, time(NULL), &info);
		assert_int_equal(info.test_root, 1);
		verify_fails(rim, NULL, time(NULL), "the RIM's signing chain ends at \"attestgate test NVIDIA CoRIM signing Root "
		    "CA\", which is not the pinned NVIDIA CoRIM signing Root CA", NULL);
		ag_nv_rim_free(rim);
		free(t);
	}
	sk_X509_pop_free(roots, X509_free);
}

/* The test-signed driver RIM edited by find -> repl fails to verify (with the test root), naming why. */
static void
signed_edit_fails(const char *find, const char *repl, const char *why)
{
	char *t = signed_text(SIGNED_DRIVER), *x = edit(t, find, repl);
	STACK_OF(X509) *roots = test_root();
	struct ag_nv_rim *rim = read_ok(x, strlen(x));

	verify_fails(rim, roots, time(NULL), "RIM signature: ", why, NULL);
	ag_nv_rim_free(rim);
	sk_X509_pop_free(roots, X509_free);
	free(x);
	free(t);
}

static void
test_signed_edited(void **state)
{
	char *t, *sv, *mod;

	(void)state;
	/* One golden digit (measurement 7's first), after signing. */
	signed_edit_fails("ns2:Hash0=\"0e0ee161", "ns2:Hash0=\"1e0ee161", "the Reference's digest does not match");
	/* An inactive value, the version, an added attribute: all covered. */
	signed_edit_fails("colloquialVersion=\"545.00\"", "colloquialVersion=\"545.01\"", "the Reference's digest");
	signed_edit_fails("index=\"8\" active=\"False\"", "index=\"8\" active=\"True\"", "the Reference's digest");
	/* The SignatureValue: its first base64 character. */
	t = signed_text(SIGNED_DRIVER);
	sv = span(t, "<ds:SignatureValue>", "</ds:SignatureValue>");
	mod = strdup(sv);
	assert_non_null(mod);
	mod[strlen("<ds:SignatureValue>")] = sv[strlen("<ds:SignatureValue>")] == 'A' ? 'B' : 'A';
	signed_edit_fails(sv, mod, "the SignedInfo signature does not verify");
	free(mod);
	free(sv);
	free(t);
}

static void
test_signed_algorithms_swapped(void **state)
{
	const char *why = "xmlsec cannot process the Signature";

	(void)state;
	signed_edit_fails(MORE "ecdsa-sha384\"", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"", why);
	signed_edit_fails(MORE "ecdsa-sha384\"", MORE "ecdsa-sha256\"", why);
	signed_edit_fails(MORE "sha384\"", "http://www.w3.org/2001/04/xmlenc#sha256\"", why);
	signed_edit_fails(MORE "sha384\"", "http://www.w3.org/2000/09/xmldsig#sha1\"", why);
	signed_edit_fails("<ds:CanonicalizationMethod Algorithm=\"" C14N11 "\"",
	    "<ds:CanonicalizationMethod Algorithm=\"" EXC_C14N "\"", why);
	signed_edit_fails("<ds:Reference URI=\"\"", "<ds:Reference URI=\"#x\"", why);
	signed_edit_fails("<ds:Reference URI=\"\"", "<ds:Reference URI=\"http://127.0.0.1:1/rim.xml\"", why);
}

/* What a Signature template made here has. */
struct tmpl {
	const char *c14n, *sig, *digest;
	int refs;   /* how many (identical) Reference URI="" */
};

/* The test-signed driver RIM's document with its Signature replaced by a template for t. */
static char *
template_of(const char *signed_doc, const struct tmpl *t)
{
	char ref[1024], refs[2048] = "", sig[4096], *old = span(signed_doc, "<ds:Signature ", "</ds:Signature>"), *out;

	snprintf(ref, sizeof(ref), "<ds:Reference URI=\"\"><ds:Transforms><ds:Transform Algorithm=\"" DS
	    "enveloped-signature\"/><ds:Transform Algorithm=\"" C14N11 "\"/></ds:Transforms><ds:DigestMethod Algorithm="
	    "\"%s\"/><ds:DigestValue/></ds:Reference>", t->digest);
	for (int i = 0; i < t->refs; i++)
		strcat(refs, ref);
	snprintf(sig, sizeof(sig), "<ds:Signature xmlns:ds=\"" DS "\"><ds:SignedInfo><ds:CanonicalizationMethod "
	    "Algorithm=\"%s\"/><ds:SignatureMethod Algorithm=\"%s\"/>%s</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo>"
	    "<ds:X509Data/></ds:KeyInfo></ds:Signature>", t->c14n, t->sig, refs);
	out = edit(signed_doc, old, sig);
	free(old);
	return out;
}

/* The test-signed driver RIM signed anew by the test RIM signer (xmlsec1) per t. */
static char *
resign(const struct tmpl *t)
{
	const char *dir = test_signed_dir();
	char *doc = signed_text(SIGNED_DRIVER), *tmpl = template_of(doc, t), cmd[4096], *out;

	tu_write(dir, "tmpl.xml", tmpl);
	snprintf(cmd, sizeof(cmd), "xmlsec1 --sign --privkey-pem '%s/rim-ca/signer.key,%s/rim-ca/signer.pem,%s/rim-ca/root.pem' "
	    "--output '%s/resigned.xml' '%s/tmpl.xml' >/dev/null 2>&1", dir, dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	out = signed_text("resigned.xml");
	free(tmpl);
	free(doc);
	return out;
}

/* A RIM re-signed per t verifies with the test root (why NULL) or fails naming why. */
static void
resigned_result(const struct tmpl *t, const char *why)
{
	char *x = resign(t);
	STACK_OF(X509) *roots = test_root();
	struct ag_nv_rim *rim = read_ok(x, strlen(x));
	struct ag_nv_chain_info info;

	if (why == NULL)
		verify_ok(rim, roots, time(NULL), &info);
	else
		verify_fails(rim, roots, time(NULL), "RIM signature: ", why, NULL);
	ag_nv_rim_free(rim);
	sk_X509_pop_free(roots, X509_free);
	free(x);
}

static void
test_signed_other_algorithms(void **state)
{
	static const struct tmpl good = { C14N11, MORE "ecdsa-sha384", MORE "sha384", 1 };
	struct tmpl t = good;

	(void)state;
	/* Signed here with NVIDIA's algorithms: verifies (the control). */
	resigned_result(&t, NULL);
	/* Validly signed, but with a digest, signature or canonicalization NVIDIA's RIMs do not use. */
	t.digest = "http://www.w3.org/2001/04/xmlenc#sha256";
	resigned_result(&t, "xmlsec cannot process the Signature");
	t = good;
	t.sig = MORE "ecdsa-sha256";
	resigned_result(&t, "xmlsec cannot process the Signature");
	t = good;
	t.c14n = EXC_C14N;
	resigned_result(&t, "xmlsec cannot process the Signature");
	/* Two References to the whole document. */
	t = good;
	t.refs = 2;
	resigned_result(&t, "the SignedInfo must have exactly one Reference");
}

static void
test_signed_hidden_resource(void **state)
{
	char *t = signed_text(SIGNED_DRIVER), *x = edit(t, "</ds:Signature>", hidden);
	STACK_OF(X509) *roots = test_root();
	struct ag_nv_rim *rim = read_ok(x, strlen(x));
	struct ag_nv_chain_info info;

	(void)state;
	/* The enveloped signature does not cover its own Object: the RIM still verifies, and the Resources there are ignored. */
	verify_ok(rim, roots, time(NULL), &info);
	check_hidden_ignored(rim, 21);
	ag_nv_rim_free(rim);
	sk_X509_pop_free(roots, X509_free);
	free(x);
	free(t);
}

static int
teardown(void **state)
{
	(void)state;
	if (signed_rims.dir != NULL)
		tu_rmtree(signed_rims.dir);
	free(signed_rims.dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_vectors),
		cmocka_unit_test(test_verify_pinned),
		cmocka_unit_test(test_verify_545_window),
		cmocka_unit_test(test_verify_now_expired),
		cmocka_unit_test(test_measurement_lookup),
		cmocka_unit_test(test_not_xml),
		cmocka_unit_test(test_size_bounds),
		cmocka_unit_test(test_doctype),
		cmocka_unit_test(test_external_entity),
		cmocka_unit_test(test_root_element),
		cmocka_unit_test(test_meta_payload),
		cmocka_unit_test(test_signature_count),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_resource_attributes),
		cmocka_unit_test(test_index_bounds_accepted),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_duplicate_index),
		cmocka_unit_test(test_certificates),
		cmocka_unit_test(test_resource_inside_signature),
		cmocka_unit_test(test_255_measurements),
		cmocka_unit_test(test_signed_verifies),
		cmocka_unit_test(test_signed_edited),
		cmocka_unit_test(test_signed_algorithms_swapped),
		cmocka_unit_test(test_signed_other_algorithms),
		cmocka_unit_test(test_signed_hidden_resource),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
