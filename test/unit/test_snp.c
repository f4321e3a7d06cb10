/*
 * test_snp.c - lib/format/snp.c: the SEV-SNP attestation report parser (every
 * reserved field, version, signer and policy rule), the product from CPUID,
 * TCB unpacking per product, the report signature, and the report as
 * claims.  The real reports and their VCEK/VLEK of ../shared/vectors
 * (skipped visibly when absent) and reports built and signed here with a
 * P-384 key.  Which certificate may sign is test_amd_certs.c's business.
 */
#include "testutil.h"

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/bytes.h"
#include "base/digest.h"
#include "base/fileio.h"
#include "format/snp.h"

/* The public key of the first certificate of a DER or PEM file under vectors/. */
static EVP_PKEY *
vec_cert_key(const char *name)
{
	size_t len;
	uint8_t *b = tu_vec(name, &len);
	const unsigned char *p = b;
	X509 *c;
	EVP_PKEY *k;

	assert_non_null(b);
	if (len > 10 && memcmp(b, "-----", 5) == 0) {
		BIO *bio = BIO_new_mem_buf(b, (int)len);

		c = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		c = d2i_X509(NULL, &p, (long)len);
	}
	assert_non_null(c);
	k = X509_get_pubkey(c);
	X509_free(c);
	free(b);
	return k;
}

#define SKIP_WITHOUT(p)                                                               \
	do {                                                                          \
		if ((p) == NULL) {                                                    \
			print_message("# skipped: ../shared/vectors is not present\n"); \
			skip();                                                       \
		}                                                                     \
	} while (0)

static const struct vector {
	const char *report, *cert;
	uint32_t version, guest_svn, vmpl;
	uint64_t policy, reported_tcb, current_tcb;
	enum ag_snp_signer signer;
	enum ag_snp_product product;
	const char *rd_prefix;   /* hex of REPORT_DATA's first 8 bytes */
} vectors[] = {
	{ "snp/milan-v2-gsg/report.bin", "snp/milan-v2-gsg/vcek.der", 2, 0, 0, 0xb0000, 0x4405000000000002ULL,
	    0x4405000000000002ULL, AG_SNP_VCEK, AG_SNP_UNKNOWN, "0102030405000000" },
	{ "snp/milan-v2-trustee/report.bin", "snp/milan-v2-trustee/vcek.der", 2, 4, 0, 0x3001f, 0x7308000000000003ULL,
	    0xce08000000000003ULL, AG_SNP_VCEK, AG_SNP_UNKNOWN, "ec6c52d7533cc2c4" },
	{ "snp/milan-v2-virtee/report.bin", "snp/milan-v2-virtee/vcek.der", 2, 0, 0, 0x30000, 0x7308000000000003ULL,
	    0x7308000000000003ULL, AG_SNP_VCEK, AG_SNP_UNKNOWN, "d447b55d197491bf" },
	{ "snp/milan-v3-vlek-aws/report.bin", "snp/milan-v3-vlek-aws/vlek.der", 3, 0, 1, 0x30000, 0xd918000000000004ULL,
	    0xdc18000000000004ULL, AG_SNP_VLEK, AG_SNP_MILAN, "819770b7e6ea6df8" },
	{ "azure-cvm/snp-milan-trustee/snp-report.bin", "azure-cvm/snp-milan-trustee/vcek-ask-ark.pem", 2, 5, 0, 0x3001f,
	    0x7308000000000003ULL, 0xd208000000000003ULL, AG_SNP_VCEK, AG_SNP_UNKNOWN, "b3fbad6514c83cae" },
	{ "kata-cc/sidecar-snp-report.bin", "kata-cc/sidecar-vcek-ask-ark.pem", 2, 2, 0, 0x3001f, 0x7308000000000003ULL,
	    0x7308000000000003ULL, AG_SNP_VCEK, AG_SNP_UNKNOWN, "ee986ff2bd7e3f22" },
};

static void
check_vector(const struct vector *v)
{
	size_t len;
	uint8_t *b = tu_vec(v->report, &len);
	struct ag_snp_report r;
	struct ag_err err;
	char hex[17];

	assert_non_null(b);
	if (ag_snp_parse(b, len, &r, &err) != AG_OK)
		fail_msg("%s: %s", v->report, err.msg);
	assert_ptr_equal(r.raw, b);
	assert_int_equal(r.version, v->version);
	assert_int_equal(r.guest_svn, v->guest_svn);
	assert_int_equal(r.vmpl, v->vmpl);
	assert_int_equal(r.policy, v->policy);
	assert_int_equal(r.sig_algo, 1);
	assert_int_equal(r.reported_tcb, v->reported_tcb);
	assert_int_equal(r.current_tcb, v->current_tcb);
	assert_int_equal(r.signer, v->signer);
	assert_int_equal(ag_snp_product_of(&r), v->product);
	assert_ptr_equal(r.report_data, b + 0x50);
	assert_ptr_equal(r.measurement, b + 0x90);
	assert_ptr_equal(r.host_data, b + 0xC0);
	assert_ptr_equal(r.chip_id, b + 0x1A0);
	ag_hex_encode(r.report_data, 8, hex);
	assert_string_equal(hex, v->rd_prefix);
	/* The VLEK report masks nothing but carries no CHIP_ID; VCEK reports do. */
	assert_int_equal(ag_all_zero(r.chip_id, 64), v->signer == AG_SNP_VLEK);
	free(b);
}

static void
test_vectors_parse(void **state)
{
	size_t len;
	uint8_t *b = tu_vec(vectors[0].report, &len);

	(void)state;
	SKIP_WITHOUT(b);
	free(b);
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		check_vector(&vectors[i]);
	/* The v3 report's CPUID: family 0x19, model 0x01, stepping 1 (Milan). */
	b = tu_vec("snp/milan-v3-vlek-aws/report.bin", &len);
	{
		struct ag_snp_report r;
		struct ag_err err;

		assert_int_equal(ag_snp_parse(b, len, &r, &err), AG_OK);
		assert_int_equal(r.cpuid_fam, 0x19);
		assert_int_equal(r.cpuid_model, 0x01);
		assert_int_equal(r.cpuid_step, 1);
	}
	free(b);
}

/* Each report verifies with its own certificate's key, with no other, and not once altered. */
static void
test_vector_signatures(void **state)
{
	size_t len;
	uint8_t *b = tu_vec(vectors[0].report, &len);
	EVP_PKEY *other = NULL;

	(void)state;
	SKIP_WITHOUT(b);
	free(b);
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		EVP_PKEY *k = vec_cert_key(v->cert);
		struct ag_snp_report r;
		struct ag_err err;

		b = tu_vec(v->report, &len);
		assert_int_equal(ag_snp_parse(b, len, &r, &err), AG_OK);
		if (ag_snp_verify_signature(&r, k, &err) != AG_OK)
			fail_msg("%s: %s", v->report, err.msg);
		if (other != NULL) {
			assert_int_equal(ag_snp_verify_signature(&r, other, &err), AG_EINVALID);
			assert_non_null(strstr(err.msg, v->signer == AG_SNP_VLEK ? "with the VLEK" : "with the VCEK"));
		}
		/* One bit of MEASUREMENT, of the last signed byte, of R. */
		b[0x90] ^= 1;
		assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_EINVALID);
		b[0x90] ^= 1;
		b[AG_SNP_SIGNED_LEN - 1] ^= 1;
		assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_EINVALID);
		b[AG_SNP_SIGNED_LEN - 1] ^= 1;
		b[AG_SNP_SIGNED_LEN] ^= 1;
		assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_EINVALID);
		b[AG_SNP_SIGNED_LEN] ^= 1;
		/* Bytes of R or S beyond P-384's 48. */
		b[AG_SNP_SIGNED_LEN + 48] = 1;
		assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_EINVALID);
		assert_non_null(strstr(err.msg, "not a P-384 signature"));
		b[AG_SNP_SIGNED_LEN + 48] = 0;
		b[AG_SNP_SIGNED_LEN + 72 + 71] = 1;
		assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_EINVALID);
		b[AG_SNP_SIGNED_LEN + 72 + 71] = 0;
		assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_OK);
		EVP_PKEY_free(other);
		other = k;
		free(b);
	}
	EVP_PKEY_free(other);
}

/* --- reports built here --- */

/* A valid v2 report: VCEK, policy 0x30000, VMPL 0, ECDSA P-384, chip id 0x11 ... */
static void
base_report(uint8_t b[AG_SNP_REPORT_LEN], uint32_t version)
{
	memset(b, 0, AG_SNP_REPORT_LEN);
	b[0] = (uint8_t)version;
	b[0x04] = 3;                       /* GUEST_SVN */
	b[0x08 + 2] = 0x03;                /* POLICY: SMT (16), reserved one (17) */
	b[0x34] = 1;                       /* SIGNATURE_ALGO */
	for (int i = 0; i < 64; i++) {
		b[0x50 + i] = (uint8_t)(0xA0 + i);   /* REPORT_DATA */
		b[0x1A0 + i] = 0x11;                 /* CHIP_ID */
	}
	memset(b + 0x90, 0x22, 48);        /* MEASUREMENT */
	memset(b + 0xC0, 0x33, 32);        /* HOST_DATA */
	b[0x180] = 3;                      /* REPORTED_TCB: bl 3, tee 0, snp 8, ucode 115 */
	b[0x186] = 8;
	b[0x187] = 115;
	if (version >= 3) {
		b[0x188] = 0x19;
		b[0x189] = 0x01;
		b[0x18A] = 1;
	}
}

static void
parse_fails(const uint8_t *b, size_t len, const char *why)
{
	struct ag_snp_report r;
	struct ag_err err;

	ag_err_clear(&err);
	assert_int_equal(ag_snp_parse(b, len, &r, &err), AG_EINVALID);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
}

static void
parse_ok(const uint8_t *b, struct ag_snp_report *r)
{
	struct ag_err err;

	if (ag_snp_parse(b, AG_SNP_REPORT_LEN, r, &err) != AG_OK)
		fail_msg("%s", err.msg);
}

static void
test_parse_sizes_and_versions(void **state)
{
	uint8_t b[AG_SNP_REPORT_LEN + 1];
	struct ag_snp_report r;

	(void)state;
	for (uint32_t v = 2; v <= 5; v++) {
		base_report(b, v);
		parse_ok(b, &r);
		assert_int_equal(r.version, v);
		assert_int_equal(r.guest_svn, 3);
		assert_int_equal(r.policy, 0x30000);
		assert_int_equal(r.signer, AG_SNP_VCEK);
		assert_int_equal(r.mask_chip_key, 0);
		assert_int_equal(r.author_key_en, 0);
		assert_int_equal(r.reported_tcb, 0x7308000000000003ULL);
		assert_int_equal(r.cpuid_fam, v >= 3 ? 0x19 : 0);
	}
	base_report(b, 2);
	parse_fails(b, AG_SNP_REPORT_LEN - 1, "1183 bytes, not 1184");
	b[AG_SNP_REPORT_LEN] = 0;
	parse_fails(b, AG_SNP_REPORT_LEN + 1, "1185 bytes");
	parse_fails(b, 0, "0 bytes");
	b[0] = 1;
	parse_fails(b, AG_SNP_REPORT_LEN, "version 1 is not supported");
	b[0] = 6;
	parse_fails(b, AG_SNP_REPORT_LEN, "version 6");
	b[0] = 0;
	parse_fails(b, AG_SNP_REPORT_LEN, "version 0");
	b[0] = 2;
	b[3] = 1;    /* version 0x01000002 */
	parse_fails(b, AG_SNP_REPORT_LEN, "version 16777218");
}

/* POLICY, VMPL, SIGNATURE_ALGO and KEY_INFO. */
static void
test_parse_header_fields(void **state)
{
	uint8_t b[AG_SNP_REPORT_LEN];
	struct ag_snp_report r;

	(void)state;
	base_report(b, 2);
	b[0x08 + 3] = 0x02;                /* POLICY bit 25 */
	parse_fails(b, sizeof(b), "POLICY has reserved bits set (0x2030000)");
	base_report(b, 2);
	b[0x08 + 7] = 0x80;                /* POLICY bit 63 */
	parse_fails(b, sizeof(b), "POLICY has reserved bits");
	base_report(b, 2);
	b[0x08 + 2] = 0x01;                /* bit 17 clear */
	parse_fails(b, sizeof(b), "bit 17");
	base_report(b, 2);
	b[0x08 + 3] = 0x01;                /* bit 24 (CIPHERTEXT_HIDING) is not reserved */
	parse_ok(b, &r);
	assert_int_equal(r.policy, 0x1030000);
	base_report(b, 2);
	b[0x30] = 3;
	parse_ok(b, &r);
	assert_int_equal(r.vmpl, 3);
	b[0x30] = 4;
	parse_fails(b, sizeof(b), "VMPL 4 is out of range");
	base_report(b, 2);
	b[0x34] = 0;
	parse_fails(b, sizeof(b), "SIGNATURE_ALGO 0");
	b[0x34] = 2;
	parse_fails(b, sizeof(b), "SIGNATURE_ALGO 2");
	/* KEY_INFO: AUTHOR_KEY_EN (0), MASK_CHIP_KEY (1), SIGNING_KEY (2-4), reserved above. */
	base_report(b, 2);
	b[0x48] = 1 | 1 << 2;
	memset(b + 0x1A0, 0, 64);
	parse_ok(b, &r);
	assert_int_equal(r.author_key_en, 1);
	assert_int_equal(r.signer, AG_SNP_VLEK);
	b[0x48] = 7 << 2;
	parse_fails(b, sizeof(b), "unsigned (SIGNING_KEY none)");
	b[0x48] = 2 << 2;
	parse_fails(b, sizeof(b), "SIGNING_KEY 2 is reserved");
	b[0x48] = 6 << 2;
	parse_fails(b, sizeof(b), "SIGNING_KEY 6 is reserved");
	b[0x48] = 1 << 5;
	parse_fails(b, sizeof(b), "KEY_INFO has reserved bits set");
	b[0x48] = 0;
	b[0x4B] = 0x80;
	parse_fails(b, sizeof(b), "KEY_INFO has reserved bits set");
	b[0x4B] = 0;
	b[0x4C] = 1;
	parse_fails(b, sizeof(b), "reserved field at 0x4C");
	b[0x4C] = 0;
	b[0x4F] = 1;
	parse_fails(b, sizeof(b), "reserved field at 0x4C");
}

/* MASK_CHIP_KEY: the CHIP_ID must then be zero. */
static void
test_parse_mask_chip_key(void **state)
{
	uint8_t b[AG_SNP_REPORT_LEN];
	struct ag_snp_report r;

	(void)state;
	base_report(b, 2);
	b[0x48] = 2;
	parse_fails(b, sizeof(b), "masks the chip key but carries a CHIP_ID");
	memset(b + 0x1A0, 0, 63);
	parse_fails(b, sizeof(b), "masks the chip key");
	b[0x1A0 + 63] = 0;
	parse_ok(b, &r);
	assert_int_equal(r.mask_chip_key, 1);
}

/* Reserved ranges between the fields, per version. */
static void
test_parse_reserved(void **state)
{
	uint8_t b[AG_SNP_REPORT_LEN];
	struct ag_snp_report r;

	(void)state;
	/* 0x188..0x19F: all reserved in v2, CPUID at 0x188..0x18A from v3. */
	base_report(b, 2);
	b[0x188] = 0x19;
	parse_fails(b, sizeof(b), "reserved field at 0x188");
	base_report(b, 2);
	b[0x19F] = 1;
	parse_fails(b, sizeof(b), "reserved field at 0x188");
	base_report(b, 3);
	parse_ok(b, &r);
	b[0x18B] = 1;
	parse_fails(b, sizeof(b), "reserved field at 0x18B");
	base_report(b, 3);
	b[0x19F] = 1;
	parse_fails(b, sizeof(b), "reserved field at 0x18B");
	/* The reserved bytes of CURRENT and COMMITTED firmware versions. */
	base_report(b, 2);
	b[0x1EB] = 1;
	parse_fails(b, sizeof(b), "firmware versions");
	base_report(b, 2);
	b[0x1EF] = 1;
	parse_fails(b, sizeof(b), "firmware versions");
	base_report(b, 2);
	b[0x1E8] = 1;   /* CURRENT_BUILD is a field */
	parse_ok(b, &r);
	/* 0x1F8..0x29F before v5; from 0x208 in v5 (mitigation vectors at 0x1F8). */
	for (uint32_t v = 2; v <= 5; v++) {
		base_report(b, v);
		b[0x1F8] = 1;
		if (v < 5)
			parse_fails(b, sizeof(b), "reserved field before the signature");
		else
			parse_ok(b, &r);
		b[0x207] = 1;
		if (v == 5)
			parse_ok(b, &r);
		b[0x208] = 1;
		parse_fails(b, sizeof(b), "reserved field before the signature");
		base_report(b, v);
		b[AG_SNP_SIGNED_LEN - 1] = 1;
		parse_fails(b, sizeof(b), "reserved field before the signature");
	}
	/* After R, S (144 bytes) the signature area is reserved. */
	base_report(b, 2);
	b[0x2A0 + 144] = 1;
	parse_fails(b, sizeof(b), "signature area has non-zero reserved bytes");
	base_report(b, 2);
	b[AG_SNP_REPORT_LEN - 1] = 1;
	parse_fails(b, sizeof(b), "signature area");
	base_report(b, 2);
	b[0x2A0 + 143] = 1;   /* inside S: the signature's business, not the parser's */
	parse_ok(b, &r);
}

static void
test_product(void **state)
{
	static const struct {
		uint8_t fam, model;
		enum ag_snp_product p;
	} cpus[] = {
		{ 0x19, 0x00, AG_SNP_MILAN }, { 0x19, 0x01, AG_SNP_MILAN }, { 0x19, 0x0F, AG_SNP_MILAN },
		{ 0x19, 0x10, AG_SNP_GENOA }, { 0x19, 0x11, AG_SNP_GENOA }, { 0x19, 0x1F, AG_SNP_GENOA },
		{ 0x19, 0xA0, AG_SNP_GENOA }, { 0x19, 0xAF, AG_SNP_GENOA }, { 0x19, 0x20, AG_SNP_UNKNOWN },
		{ 0x19, 0x9F, AG_SNP_UNKNOWN }, { 0x19, 0xB0, AG_SNP_UNKNOWN }, { 0x1A, 0x00, AG_SNP_TURIN },
		{ 0x1A, 0x11, AG_SNP_TURIN }, { 0x1A, 0x1F, AG_SNP_TURIN }, { 0x1A, 0x20, AG_SNP_UNKNOWN },
		{ 0x17, 0x01, AG_SNP_UNKNOWN }, { 0x1B, 0x00, AG_SNP_UNKNOWN }, { 0x00, 0x00, AG_SNP_UNKNOWN },
	};
	uint8_t b[AG_SNP_REPORT_LEN];
	struct ag_snp_report r;

	(void)state;
	for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
		base_report(b, 3);
		b[0x188] = cpus[i].fam;
		b[0x189] = cpus[i].model;
		parse_ok(b, &r);
		if (ag_snp_product_of(&r) != cpus[i].p)
			fail_msg("family 0x%x model 0x%x: %d", cpus[i].fam, cpus[i].model, ag_snp_product_of(&r));
	}
	/* A v2 report names no product. */
	base_report(b, 2);
	parse_ok(b, &r);
	assert_int_equal(ag_snp_product_of(&r), AG_SNP_UNKNOWN);
	assert_string_equal(ag_snp_product_name(AG_SNP_UNKNOWN), "unknown");
	assert_string_equal(ag_snp_product_name(AG_SNP_MILAN), "Milan");
	assert_string_equal(ag_snp_product_name(AG_SNP_GENOA), "Genoa");
	assert_string_equal(ag_snp_product_name(AG_SNP_TURIN), "Turin");
}

static void
test_tcb_unpack(void **state)
{
	const uint64_t t = 0x0807060504030201ULL;
	struct ag_snp_tcb v;

	(void)state;
	/* Milan and Genoa: bl byte 0, tee byte 1, snp byte 6, ucode byte 7; no FMC. */
	for (enum ag_snp_product p = AG_SNP_UNKNOWN; p <= AG_SNP_GENOA; p++) {
		v = ag_snp_tcb_unpack(t, p);
		assert_int_equal(v.bootloader, 1);
		assert_int_equal(v.tee, 2);
		assert_int_equal(v.snp, 7);
		assert_int_equal(v.microcode, 8);
		assert_int_equal(v.fmc, 0);
	}
	/* Turin: fmc byte 0, bl 1, tee 2, snp 3, ucode 7. */
	v = ag_snp_tcb_unpack(t, AG_SNP_TURIN);
	assert_int_equal(v.fmc, 1);
	assert_int_equal(v.bootloader, 2);
	assert_int_equal(v.tee, 3);
	assert_int_equal(v.snp, 4);
	assert_int_equal(v.microcode, 8);
	v = ag_snp_tcb_unpack(0x7308000000000003ULL, AG_SNP_MILAN);
	assert_int_equal(v.bootloader, 3);
	assert_int_equal(v.tee, 0);
	assert_int_equal(v.snp, 8);
	assert_int_equal(v.microcode, 115);
}

/* Signs bytes 0..0x29F with key and writes R and S little endian into the report. */
static void
snp_sign(uint8_t *b, EVP_PKEY *key)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[128];
	size_t dl = sizeof(der);
	const uint8_t *p = der;
	ECDSA_SIG *s;

	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &dl, b, AG_SNP_SIGNED_LEN), 1);
	EVP_MD_CTX_free(ctx);
	s = d2i_ECDSA_SIG(NULL, &p, (long)dl);
	assert_non_null(s);
	memset(b + AG_SNP_SIGNED_LEN, 0, 144);
	assert_int_equal(BN_bn2lebinpad(ECDSA_SIG_get0_r(s), b + AG_SNP_SIGNED_LEN, 48), 48);
	assert_int_equal(BN_bn2lebinpad(ECDSA_SIG_get0_s(s), b + AG_SNP_SIGNED_LEN + 72, 48), 48);
	ECDSA_SIG_free(s);
}

static void
test_synthetic_signature(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-384"), *other = EVP_EC_gen("P-384"), *p256 = EVP_EC_gen("P-256");
	uint8_t b[AG_SNP_REPORT_LEN];
	struct ag_snp_report r;
	struct ag_err err;

	(void)state;
	base_report(b, 3);
	snp_sign(b, k);
	parse_ok(b, &r);
	assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_OK);
	assert_int_equal(ag_snp_verify_signature(&r, other, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "does not verify with the VCEK"));
	assert_int_equal(ag_snp_verify_signature(&r, p256, &err), AG_EINVALID);
	/* Every signed region matters: REPORT_DATA, HOST_DATA, POLICY, REPORTED_TCB. */
	b[0x50 + 63] ^= 1;
	assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_EINVALID);
	b[0x50 + 63] ^= 1;
	b[0xC0] ^= 1;
	assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_EINVALID);
	b[0xC0] ^= 1;
	b[0x08] ^= 1;
	assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_EINVALID);
	b[0x08] ^= 1;
	b[0x187] ^= 1;
	assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_EINVALID);
	b[0x187] ^= 1;
	assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_OK);
	/* R and S swapped. */
	{
		uint8_t t[48];

		memcpy(t, b + AG_SNP_SIGNED_LEN, 48);
		memcpy(b + AG_SNP_SIGNED_LEN, b + AG_SNP_SIGNED_LEN + 72, 48);
		memcpy(b + AG_SNP_SIGNED_LEN + 72, t, 48);
		assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_EINVALID);
	}
	/* A VLEK-signed report names the VLEK. */
	base_report(b, 3);
	b[0x48] = 1 << 2;
	memset(b + 0x1A0, 0, 64);
	snp_sign(b, k);
	parse_ok(b, &r);
	assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_OK);
	assert_int_equal(ag_snp_verify_signature(&r, other, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "does not verify with the VLEK"));
	/* An all-zero signature. */
	memset(b + AG_SNP_SIGNED_LEN, 0, 144);
	assert_int_equal(ag_snp_verify_signature(&r, k, &err), AG_EINVALID);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	EVP_PKEY_free(p256);
}

static const char *
str(const json_t *c, const char *k)
{
	const char *s = json_string_value(json_object_get(c, k));

	if (s == NULL)
		fail_msg("claim %s is not a string", k);
	return s;
}

static void
test_claims(void **state)
{
	uint8_t b[AG_SNP_REPORT_LEN];
	struct ag_snp_report r;
	json_t *c;
	char hex[129];

	(void)state;
	base_report(b, 2);
	b[0x08 + 2] = 0x0F;   /* POLICY 0xF0000: SMT, reserved, MIGRATE_MA, DEBUG */
	b[0x30] = 2;
	memset(b + 0x10, 0xF1, 16);  /* FAMILY_ID */
	memset(b + 0x20, 0x12, 16);  /* IMAGE_ID */
	memset(b + 0xE0, 0x1D, 48);  /* ID_KEY_DIGEST */
	memset(b + 0x110, 0xA1, 48); /* AUTHOR_KEY_DIGEST */
	memset(b + 0x140, 0x1E, 32); /* REPORT_ID */
	parse_ok(b, &r);
	c = ag_snp_claims(&r, AG_SNP_MILAN);
	assert_non_null(c);
	assert_int_equal(json_object_size(c), 21);
	assert_string_equal(str(c, "x-ms-attestation-type"), "sevsnpvm");
	assert_true(json_is_true(json_object_get(c, "x-ms-sevsnpvm-is-debuggable")));
	assert_true(json_is_true(json_object_get(c, "x-ms-sevsnpvm-migration-allowed")));
	assert_true(json_is_true(json_object_get(c, "x-ms-sevsnpvm-smt-allowed")));
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-vmpl")), 2);
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-guestsvn")), 3);
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-bootloader-svn")), 3);
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-tee-svn")), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-snpfw-svn")), 8);
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-microcode-svn")), 115);
	ag_hex_encode(b + 0x50, 64, hex);
	assert_string_equal(str(c, "x-ms-sevsnpvm-reportdata"), hex);
	ag_hex_encode(b + 0x90, 48, hex);
	assert_string_equal(str(c, "x-ms-sevsnpvm-launchmeasurement"), hex);
	ag_hex_encode(b + 0xC0, 32, hex);
	assert_string_equal(str(c, "x-ms-sevsnpvm-hostdata"), hex);
	ag_hex_encode(b + 0x10, 16, hex);
	assert_string_equal(str(c, "x-ms-sevsnpvm-familyId"), hex);
	ag_hex_encode(b + 0x20, 16, hex);
	assert_string_equal(str(c, "x-ms-sevsnpvm-imageId"), hex);
	ag_hex_encode(b + 0xE0, 48, hex);
	assert_string_equal(str(c, "x-ms-sevsnpvm-idkeydigest"), hex);
	ag_hex_encode(b + 0x110, 48, hex);
	assert_string_equal(str(c, "x-ms-sevsnpvm-authorkeydigest"), hex);
	ag_hex_encode(b + 0x140, 32, hex);
	assert_string_equal(str(c, "x-ms-sevsnpvm-reportid"), hex);
	ag_hex_encode(b + 0x1A0, 64, hex);
	assert_string_equal(str(c, "x-attestgate-snp-chip-id"), hex);
	assert_string_equal(str(c, "x-attestgate-snp-product"), "Milan");
	assert_string_equal(str(c, "x-attestgate-snp-signing-key"), "vcek");
	json_decref(c);
	/* Turin's TCB layout; a VLEK; no debug, no migration agent, no SMT. */
	b[0x08 + 2] = 0x02;
	b[0x48] = 1 << 2;
	memset(b + 0x1A0, 0, 64);
	parse_ok(b, &r);
	c = ag_snp_claims(&r, AG_SNP_TURIN);
	assert_true(json_is_false(json_object_get(c, "x-ms-sevsnpvm-is-debuggable")));
	assert_true(json_is_false(json_object_get(c, "x-ms-sevsnpvm-migration-allowed")));
	assert_true(json_is_false(json_object_get(c, "x-ms-sevsnpvm-smt-allowed")));
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-bootloader-svn")), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-snpfw-svn")), 0);
	assert_string_equal(str(c, "x-attestgate-snp-product"), "Turin");
	assert_string_equal(str(c, "x-attestgate-snp-signing-key"), "vlek");
	json_decref(c);
}

/* The real gsg report is a debug guest; the Azure one is not. */
static void
test_vector_claims(void **state)
{
	size_t len;
	uint8_t *b = tu_vec("snp/milan-v2-gsg/report.bin", &len);
	struct ag_snp_report r;
	struct ag_err err;
	json_t *c;

	(void)state;
	SKIP_WITHOUT(b);
	assert_int_equal(ag_snp_parse(b, len, &r, &err), AG_OK);
	c = ag_snp_claims(&r, ag_snp_product_of(&r));
	assert_true(json_is_true(json_object_get(c, "x-ms-sevsnpvm-is-debuggable")));
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-microcode-svn")), 68);
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-snpfw-svn")), 5);
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-bootloader-svn")), 2);
	assert_string_equal(str(c, "x-attestgate-snp-product"), "unknown");
	assert_string_equal(str(c, "x-ms-sevsnpvm-reportdata"),
	    "0102030405000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000");
	json_decref(c);
	free(b);
	b = tu_vec("azure-cvm/snp-milan-trustee/snp-report.bin", &len);
	assert_int_equal(ag_snp_parse(b, len, &r, &err), AG_OK);
	c = ag_snp_claims(&r, AG_SNP_MILAN);
	assert_true(json_is_false(json_object_get(c, "x-ms-sevsnpvm-is-debuggable")));
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-guestsvn")), 5);
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-microcode-svn")), 115);
	json_decref(c);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_parse),
		cmocka_unit_test(test_vector_signatures),
		cmocka_unit_test(test_vector_claims),
		cmocka_unit_test(test_parse_sizes_and_versions),
		cmocka_unit_test(test_parse_header_fields),
		cmocka_unit_test(test_parse_mask_chip_key),
		cmocka_unit_test(test_parse_reserved),
		cmocka_unit_test(test_product),
		cmocka_unit_test(test_tcb_unpack),
		cmocka_unit_test(test_synthetic_signature),
		cmocka_unit_test(test_claims),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
