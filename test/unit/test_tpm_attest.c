/*
 * test_tpm_attest.c - lib/format/tpm_attest.c: quote verification against an
 * AK, a nonce and PCR values, the raw signature inside a TPMT_SIGNATURE, and
 * TPM2B_PUBLIC to an OpenSSL key.  The real vTPM quotes of
 * ../shared/vectors/azure-cvm and the GCE vTPM quotes of ../shared/vectors/tpm
 * (skipped visibly when absent), and quotes, signatures and public areas
 * marshalled and signed here with tpm2-tss MU and OpenSSL for each check.
 */
#include "testutil.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "base/digest.h"
#include "base/fileio.h"
#include "format/tpm_attest.h"

static EVP_PKEY *
vec_pem(const char *name)
{
	char path[512];
	FILE *f;
	EVP_PKEY *k;

	snprintf(path, sizeof(path), "%s/vectors/%s", tu_shared(), name);
	f = fopen(path, "r");
	assert_non_null(f);
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

#define SKIP_WITHOUT(p, what)                                                         \
	do {                                                                          \
		if ((p) == NULL) {                                                    \
			print_message("# skipped: ../shared/vectors/%s is not present\n", what); \
			skip();                                                       \
		}                                                                     \
	} while (0)

static const uint8_t challenge[] = "challenge";

static enum ag_code
verify(const uint8_t *msg, size_t ml, const uint8_t *sig, size_t sl, EVP_PKEY *ak, const uint8_t *nonce, size_t nl,
    const uint8_t *pcrs, size_t pl, struct ag_quote_info *qi, struct ag_err *err)
{
	ag_err_clear(err);
	return ag_quote_verify(msg, ml, sig, sl, ak, nonce, nl, pcrs, pl, qi, err);
}

static void
expect_fail(enum ag_code rc, const struct ag_err *err, const char *why)
{
	assert_int_equal(rc, AG_EINVALID);
	if (strstr(err->msg, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err->msg, why);
}

/* One Azure vTPM quote (nonce "challenge", PCR 0-23): accepted, and each wrong input refused. */
static void
check_azure_quote(const char *dir, const char *other_ak)
{
	char name[256];
	size_t ml, sl, pl;
	uint8_t *msg, *sig, *pcrs;
	EVP_PKEY *ak, *other;
	struct ag_quote_info qi;
	struct ag_err err;

	snprintf(name, sizeof(name), "azure-cvm/%s/tpm-quote.msg", dir);
	msg = tu_vec(name, &ml);
	assert_non_null(msg);
	snprintf(name, sizeof(name), "azure-cvm/%s/tpm-quote.sig", dir);
	sig = tu_vec(name, &sl);
	snprintf(name, sizeof(name), "azure-cvm/%s/tpm-quote-pcrs-sha256.bin", dir);
	pcrs = tu_vec(name, &pl);
	snprintf(name, sizeof(name), "azure-cvm/%s/akpub.pem", dir);
	ak = vec_pem(name);
	other = vec_pem(other_ak);
	assert_int_equal(sl, 256);
	assert_int_equal(pl, AG_TPM_PCRS_LEN);
	assert_int_equal(verify(msg, ml, sig, sl, ak, challenge, 9, pcrs, pl, &qi, &err), AG_OK);
	assert_int_equal(qi.pcr_mask, 0xffffff);
	assert_int_not_equal(qi.clock, 0);
	/* The nonce: another value, a prefix, a longer one. */
	expect_fail(verify(msg, ml, sig, sl, ak, (const uint8_t *)"challengf", 9, pcrs, pl, &qi, &err), &err,
	    "nonce is not in the quote");
	assert_int_equal(qi.pcr_mask, 0);
	expect_fail(verify(msg, ml, sig, sl, ak, challenge, 8, pcrs, pl, &qi, &err), &err, "nonce is not in the quote");
	expect_fail(verify(msg, ml, sig, sl, ak, challenge, 10, pcrs, pl, &qi, &err), &err, "nonce is not in the quote");
	/* Another AK. */
	expect_fail(verify(msg, ml, sig, sl, other, challenge, 9, pcrs, pl, &qi, &err), &err, "does not verify with the AK");
	/* PCR values that are not the quoted ones, or not 24 of them. */
	pcrs[5 * 32 + 7] ^= 1;
	expect_fail(verify(msg, ml, sig, sl, ak, challenge, 9, pcrs, pl, &qi, &err), &err, "PCR digest");
	pcrs[5 * 32 + 7] ^= 1;
	pcrs[23 * 32 + 31] ^= 1;
	expect_fail(verify(msg, ml, sig, sl, ak, challenge, 9, pcrs, pl, &qi, &err), &err, "PCR digest");
	pcrs[23 * 32 + 31] ^= 1;
	expect_fail(verify(msg, ml, sig, sl, ak, challenge, 9, pcrs, pl - 32, &qi, &err), &err, "PCR values are 736 bytes");
	/* A message altered after signing; a truncated signature or message. */
	msg[ml - 1] ^= 1;
	expect_fail(verify(msg, ml, sig, sl, ak, challenge, 9, pcrs, pl, &qi, &err), &err, "does not verify");
	msg[ml - 1] ^= 1;
	expect_fail(verify(msg, ml - 1, sig, sl, ak, challenge, 9, pcrs, pl, &qi, &err), &err, "does not verify");
	expect_fail(verify(msg, ml, sig, sl - 1, ak, challenge, 9, pcrs, pl, &qi, &err), &err, "neither a TPMT_SIGNATURE");
	sig[100] ^= 1;
	expect_fail(verify(msg, ml, sig, sl, ak, challenge, 9, pcrs, pl, &qi, &err), &err, "does not verify with the AK");
	EVP_PKEY_free(ak);
	EVP_PKEY_free(other);
	free(msg);
	free(sig);
	free(pcrs);
}

static void
test_azure_quotes(void **state)
{
	size_t len;
	uint8_t *p = tu_vec("azure-cvm/snp-milan-trustee/tpm-quote.msg", &len);

	(void)state;
	SKIP_WITHOUT(p, "azure-cvm");
	free(p);
	check_azure_quote("snp-milan-trustee", "azure-cvm/snp-milan-kinvolk/akpub.pem");
	check_azure_quote("snp-milan-kinvolk", "azure-cvm/snp-milan-trustee/akpub.pem");
	check_azure_quote("tdx-trustee", "azure-cvm/snp-milan-trustee/akpub.pem");
}

/* A TPM2B_PUBLIC around the TPMT_PUBLIC bytes of a vector. */
static uint8_t *
tpm2b(const uint8_t *tpmt, size_t n, size_t *len)
{
	uint8_t *b = malloc(n + 2);

	assert_non_null(b);
	b[0] = (uint8_t)(n >> 8);
	b[1] = (uint8_t)n;
	memcpy(b + 2, tpmt, n);
	*len = n + 2;
	return b;
}

/* GCE: a TPMT_SIGNATURE, nonce 0x90 0x09, the AK as a TPM public area. */
static void
test_gce_quote(void **state)
{
	static const uint8_t nonce[] = { 0x90, 0x09 };
	size_t ml, sl, pl, tl, bl, rl;
	uint8_t *msg = tu_vec("tpm/gce-cos85-nonce9009/quote-sha256.attest", &ml), *sig, *pcrs, *tpmt, *pub;
	const uint8_t *raw = NULL;
	EVP_PKEY *ak = NULL, *pem;
	struct ag_quote_info qi;
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT(msg, "tpm");
	sig = tu_vec("tpm/gce-cos85-nonce9009/quote-sha256.sig", &sl);
	pcrs = tu_vec("tpm/gce-cos85-nonce9009/quote-sha256.pcrs.bin", &pl);
	tpmt = tu_vec("tpm/gce-cos85-nonce9009/akpub.tpmt", &tl);
	pem = vec_pem("tpm/gce-cos85-nonce9009/akpub.pem");
	pub = tpm2b(tpmt, tl, &bl);
	assert_int_equal(ag_tpm_public_to_pkey(pub, bl, 1, &ak, &err), AG_OK);
	assert_int_equal(EVP_PKEY_eq(ak, pem), 1);
	assert_int_equal(EVP_PKEY_get_bits(ak), 2048);
	assert_int_equal(verify(msg, ml, sig, sl, ak, nonce, 2, pcrs, pl, &qi, &err), AG_OK);
	assert_int_equal(qi.pcr_mask, 0xffffff);
	assert_int_equal(qi.clock, 0x1e9e66c00ULL);
	assert_int_equal(qi.reset_count, 10);
	/* The same signature, unwrapped, verifies as a raw signature. */
	assert_int_equal(ag_tpm_signature_raw(sig, sl, &raw, &rl, &err), AG_OK);
	assert_ptr_equal(raw, sig + 6);
	assert_int_equal(rl, 256);
	assert_int_equal(verify(msg, ml, raw, rl, ak, nonce, 2, pcrs, pl, &qi, &err), AG_OK);
	expect_fail(verify(msg, ml, sig, sl, ak, nonce, 1, pcrs, pl, &qi, &err), &err, "nonce");
	expect_fail(verify(msg, ml, sig, sl, ak, NULL, 0, pcrs, pl, &qi, &err), &err, "nonce");
	/* A TPMT_SIGNATURE with a byte more or less is neither form. */
	expect_fail(verify(msg, ml, sig, sl - 1, ak, nonce, 2, pcrs, pl, &qi, &err), &err, "neither");
	/* The public area truncated or with a byte more. */
	EVP_PKEY_free(ak);
	assert_int_equal(ag_tpm_public_to_pkey(pub, bl - 1, 1, &ak, &err), AG_EINVALID);
	assert_null(ak);
	assert_non_null(strstr(err.msg, "not one TPM2B_PUBLIC"));
	assert_int_equal(ag_tpm_public_to_pkey(tpmt, tl, 1, &ak, &err), AG_EINVALID);
	EVP_PKEY_free(pem);
	free(msg);
	free(sig);
	free(pcrs);
	free(tpmt);
	free(pub);
}

/* Quotes of the SHA-1 and SHA-384 banks are signed correctly but are not what the gate reads. */
static void
test_gce_other_banks(void **state)
{
	static const uint8_t nonce[] = { 0x90, 0x09 };
	static const char *const banks[] = { "sha1", "sha384" };
	struct ag_quote_info qi;
	struct ag_err err;
	EVP_PKEY *ak;

	(void)state;
	{
		size_t len;
		uint8_t *p = tu_vec("tpm/gce-cos85-nonce9009/akpub.pem", &len);

		SKIP_WITHOUT(p, "tpm");
		free(p);
	}
	ak = vec_pem("tpm/gce-cos85-nonce9009/akpub.pem");
	for (size_t i = 0; i < 2; i++) {
		char name[128];
		size_t ml, sl, pl;
		uint8_t *msg, *sig, *pcrs;

		snprintf(name, sizeof(name), "tpm/gce-cos85-nonce9009/quote-%s.attest", banks[i]);
		msg = tu_vec(name, &ml);
		snprintf(name, sizeof(name), "tpm/gce-cos85-nonce9009/quote-%s.sig", banks[i]);
		sig = tu_vec(name, &sl);
		snprintf(name, sizeof(name), "tpm/gce-cos85-nonce9009/quote-%s.pcrs.bin", banks[i]);
		pcrs = tu_vec(name, &pl);
		assert_non_null(msg);
		expect_fail(verify(msg, ml, sig, sl, ak, nonce, 2, pcrs, pl, &qi, &err), &err, "not of the SHA-256 bank");
		free(msg);
		free(sig);
		free(pcrs);
	}
	EVP_PKEY_free(ak);
}

/* --- quotes made here --- */

struct quote {
	TPMS_ATTEST a;
	uint8_t pcrs[AG_TPM_PCRS_LEN];
	uint8_t msg[1024];
	size_t ml;
	uint8_t sig[512];
	size_t sl;
};

/* A quote of PCRs mask (SHA-256 bank) over pcrs[i] = i, with nonce "n0nce". */
static void
quote_init(struct quote *q, uint32_t mask)
{
	uint8_t concat[AG_TPM_PCRS_LEN];
	size_t n = 0;
	TPMS_PCR_SELECTION *s;

	memset(q, 0, sizeof(*q));
	for (int i = 0; i < AG_TPM_PCR_COUNT; i++) {
		memset(q->pcrs + 32 * i, i + 1, 32);
		if (mask & (1u << i)) {
			memcpy(concat + n, q->pcrs + 32 * i, 32);
			n += 32;
		}
	}
	q->a.magic = TPM2_GENERATED_VALUE;
	q->a.type = TPM2_ST_ATTEST_QUOTE;
	q->a.extraData.size = 5;
	memcpy(q->a.extraData.buffer, "n0nce", 5);
	q->a.clockInfo.clock = 123456789;
	q->a.clockInfo.resetCount = 7;
	q->a.clockInfo.safe = 1;
	q->a.attested.quote.pcrSelect.count = 1;
	s = &q->a.attested.quote.pcrSelect.pcrSelections[0];
	s->hash = TPM2_ALG_SHA256;
	s->sizeofSelect = 3;
	s->pcrSelect[0] = (uint8_t)mask;
	s->pcrSelect[1] = (uint8_t)(mask >> 8);
	s->pcrSelect[2] = (uint8_t)(mask >> 16);
	q->a.attested.quote.pcrDigest.size = 32;
	assert_int_equal(ag_sha256(concat, n, q->a.attested.quote.pcrDigest.buffer), 0);
}

static void
rsa_sign(EVP_PKEY *key, const uint8_t *m, size_t ml, uint8_t *sig, size_t *sl)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	*sl = 512;
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, sl, m, ml), 1);
	EVP_MD_CTX_free(ctx);
}

/* Marshals q->a (plus extra trailing bytes) and signs it raw with key. */
static void
quote_sign(struct quote *q, EVP_PKEY *key, size_t extra)
{
	size_t off = 0;

	assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&q->a, q->msg, sizeof(q->msg), &off), TSS2_RC_SUCCESS);
	memset(q->msg + off, 0, extra);
	q->ml = off + extra;
	rsa_sign(key, q->msg, q->ml, q->sig, &q->sl);
}

/* The raw signature as a marshalled TPMT_SIGNATURE of alg/hash into out. */
static size_t
tpmt_sig(const uint8_t *raw, size_t rl, TPM2_ALG_ID alg, TPM2_ALG_ID hash, uint8_t *out, size_t cap)
{
	TPMT_SIGNATURE ts;
	size_t off = 0;

	memset(&ts, 0, sizeof(ts));
	ts.sigAlg = alg;
	ts.signature.rsassa.hash = hash;
	ts.signature.rsassa.sig.size = (UINT16)rl;
	memcpy(ts.signature.rsassa.sig.buffer, raw, rl);
	assert_int_equal(Tss2_MU_TPMT_SIGNATURE_Marshal(&ts, out, cap, &off), TSS2_RC_SUCCESS);
	return off;
}

static enum ag_code
qverify(const struct quote *q, EVP_PKEY *ak, struct ag_quote_info *qi, struct ag_err *err)
{
	return verify(q->msg, q->ml, q->sig, q->sl, ak, (const uint8_t *)"n0nce", 5, q->pcrs, sizeof(q->pcrs), qi, err);
}

static EVP_PKEY *ak2048;

static int
setup_ak(void **state)
{
	(void)state;
	ak2048 = EVP_RSA_gen(2048);
	return ak2048 != NULL ? 0 : -1;
}

static int
teardown_ak(void **state)
{
	(void)state;
	EVP_PKEY_free(ak2048);
	return 0;
}

static void
test_synthetic_quote(void **state)
{
	struct quote q;
	struct ag_quote_info qi;
	struct ag_err err;
	uint8_t wrapped[600];
	size_t wl;

	(void)state;
	quote_init(&q, 0xffffff);
	quote_sign(&q, ak2048, 0);
	assert_int_equal(qverify(&q, ak2048, &qi, &err), AG_OK);
	assert_int_equal(qi.pcr_mask, 0xffffff);
	assert_int_equal(qi.clock, 123456789);
	assert_int_equal(qi.reset_count, 7);
	/* As a TPMT_SIGNATURE it verifies the same. */
	wl = tpmt_sig(q.sig, q.sl, TPM2_ALG_RSASSA, TPM2_ALG_SHA256, wrapped, sizeof(wrapped));
	assert_int_equal(wl, 6 + 256);
	assert_int_equal(verify(q.msg, q.ml, wrapped, wl, ak2048, (const uint8_t *)"n0nce", 5, q.pcrs, sizeof(q.pcrs), &qi,
			     &err),
	    AG_OK);
	/* Only some PCRs: the digest is over those, in order; the others may be anything. */
	quote_init(&q, 0x800083);
	quote_sign(&q, ak2048, 0);
	memset(q.pcrs + 32 * 2, 0xee, 32);
	assert_int_equal(qverify(&q, ak2048, &qi, &err), AG_OK);
	assert_int_equal(qi.pcr_mask, 0x800083);
	q.pcrs[32 * 23] ^= 1;
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "PCR digest");
	/* A selection of one byte (PCR 0-7) is fine. */
	quote_init(&q, 0x01);
	q.a.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect = 1;
	quote_sign(&q, ak2048, 0);
	assert_int_equal(qverify(&q, ak2048, &qi, &err), AG_OK);
	assert_int_equal(qi.pcr_mask, 0x01);
}

/* Each field of the TPMS_ATTEST that must be what a quote of the SHA-256 bank says. */
static void
test_synthetic_quote_fields(void **state)
{
	struct quote q;
	struct ag_quote_info qi;
	struct ag_err err;

	(void)state;
	quote_init(&q, 0xffffff);
	q.a.magic = 0x12345678;
	quote_sign(&q, ak2048, 0);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "TPM_GENERATED magic");
	quote_init(&q, 0xffffff);
	q.a.type = TPM2_ST_ATTEST_TIME;
	quote_sign(&q, ak2048, 0);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "not a quote");
	quote_init(&q, 0xffffff);
	q.a.extraData.size = 4;
	quote_sign(&q, ak2048, 0);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "nonce is not in the quote");
	quote_init(&q, 0xffffff);
	q.a.attested.quote.pcrSelect.count = 0;
	quote_sign(&q, ak2048, 0);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "selects 0 PCR banks");
	quote_init(&q, 0xffffff);
	q.a.attested.quote.pcrSelect.count = 2;
	q.a.attested.quote.pcrSelect.pcrSelections[1] = q.a.attested.quote.pcrSelect.pcrSelections[0];
	q.a.attested.quote.pcrSelect.pcrSelections[1].hash = TPM2_ALG_SHA1;
	quote_sign(&q, ak2048, 0);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "selects 2 PCR banks");
	quote_init(&q, 0xffffff);
	q.a.attested.quote.pcrSelect.pcrSelections[0].hash = TPM2_ALG_SHA384;
	quote_sign(&q, ak2048, 0);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "not of the SHA-256 bank");
	quote_init(&q, 0xffffff);
	q.a.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect = 4;   /* PCR 24-31 do not exist here */
	quote_sign(&q, ak2048, 0);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "not of the SHA-256 bank");
	quote_init(&q, 0xffffff);
	q.a.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect = 0;
	quote_sign(&q, ak2048, 0);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "not of the SHA-256 bank");
	quote_init(&q, 0);
	quote_sign(&q, ak2048, 0);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "selects no PCR");
	quote_init(&q, 0xffffff);
	q.a.attested.quote.pcrDigest.size = 20;
	quote_sign(&q, ak2048, 0);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "PCR digest");
	/* Signed bytes after the TPMS_ATTEST. */
	quote_init(&q, 0xffffff);
	quote_sign(&q, ak2048, 1);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "not one TPMS_ATTEST");
	/* A signed message that is not a TPMS_ATTEST at all. */
	quote_init(&q, 0xffffff);
	q.ml = 10;
	rsa_sign(ak2048, q.msg, q.ml, q.sig, &q.sl);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "not one TPMS_ATTEST");
}

/* The signature's form: raw, or RSASSA/SHA-256 TPMT_SIGNATURE of the AK's size; AKs that are RSA. */
static void
test_synthetic_signature_forms(void **state)
{
	struct quote q;
	struct ag_quote_info qi;
	struct ag_err err;
	uint8_t w[700];
	size_t wl;
	EVP_PKEY *ec = EVP_EC_gen("P-256"), *rsa3072 = EVP_RSA_gen(3072);

	(void)state;
	quote_init(&q, 0xffffff);
	quote_sign(&q, ak2048, 0);
	wl = tpmt_sig(q.sig, q.sl, TPM2_ALG_RSAPSS, TPM2_ALG_SHA256, w, sizeof(w));
	expect_fail(verify(q.msg, q.ml, w, wl, ak2048, (const uint8_t *)"n0nce", 5, q.pcrs, sizeof(q.pcrs), &qi, &err),
	    &err, "not RSASSA with SHA-256");
	wl = tpmt_sig(q.sig, q.sl, TPM2_ALG_RSASSA, TPM2_ALG_SHA1, w, sizeof(w));
	expect_fail(verify(q.msg, q.ml, w, wl, ak2048, (const uint8_t *)"n0nce", 5, q.pcrs, sizeof(q.pcrs), &qi, &err),
	    &err, "not RSASSA with SHA-256");
	wl = tpmt_sig(q.sig, 128, TPM2_ALG_RSASSA, TPM2_ALG_SHA256, w, sizeof(w));
	expect_fail(verify(q.msg, q.ml, w, wl, ak2048, (const uint8_t *)"n0nce", 5, q.pcrs, sizeof(q.pcrs), &qi, &err),
	    &err, "quote signature is 128 bytes");
	wl = tpmt_sig(q.sig, q.sl, TPM2_ALG_RSASSA, TPM2_ALG_SHA256, w, sizeof(w));
	w[wl] = 0;
	expect_fail(verify(q.msg, q.ml, w, wl + 1, ak2048, (const uint8_t *)"n0nce", 5, q.pcrs, sizeof(q.pcrs), &qi, &err),
	    &err, "neither a TPMT_SIGNATURE");
	/* A 3072-bit AK signs 384-byte signatures: a 256-byte one is neither form. */
	expect_fail(qverify(&q, rsa3072, &qi, &err), &err, "neither a TPMT_SIGNATURE nor a 384-byte");
	/* The same quote signed by the 3072-bit AK verifies with it only. */
	quote_sign(&q, rsa3072, 0);
	assert_int_equal(q.sl, 384);
	assert_int_equal(qverify(&q, rsa3072, &qi, &err), AG_OK);
	expect_fail(qverify(&q, ak2048, &qi, &err), &err, "neither");
	expect_fail(qverify(&q, ec, &qi, &err), &err, "the AK is not an RSA key");
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa3072);
}

static void
test_signature_raw(void **state)
{
	uint8_t raw[256], w[300];
	const uint8_t *got = NULL;
	size_t wl, gl = 0;
	struct ag_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 7);
	wl = tpmt_sig(raw, sizeof(raw), TPM2_ALG_RSASSA, TPM2_ALG_SHA256, w, sizeof(w));
	assert_int_equal(ag_tpm_signature_raw(w, wl, &got, &gl, &err), AG_OK);
	assert_ptr_equal(got, w + 6);
	assert_int_equal(gl, 256);
	assert_memory_equal(got, raw, 256);
	/* Other lengths of the inner signature are the caller's to judge. */
	wl = tpmt_sig(raw, 10, TPM2_ALG_RSASSA, TPM2_ALG_SHA256, w, sizeof(w));
	assert_int_equal(ag_tpm_signature_raw(w, wl, &got, &gl, &err), AG_OK);
	assert_int_equal(gl, 10);
	/* Trailing bytes, truncation, other schemes and hashes, a raw signature. */
	w[wl] = 0;
	assert_int_equal(ag_tpm_signature_raw(w, wl + 1, &got, &gl, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "not an RSASSA SHA-256 TPMT_SIGNATURE"));
	assert_int_equal(ag_tpm_signature_raw(w, wl - 1, &got, &gl, &err), AG_EINVALID);
	assert_int_equal(ag_tpm_signature_raw(w, 0, &got, &gl, &err), AG_EINVALID);
	wl = tpmt_sig(raw, sizeof(raw), TPM2_ALG_RSAPSS, TPM2_ALG_SHA256, w, sizeof(w));
	assert_int_equal(ag_tpm_signature_raw(w, wl, &got, &gl, &err), AG_EINVALID);
	wl = tpmt_sig(raw, sizeof(raw), TPM2_ALG_RSASSA, TPM2_ALG_SHA384, w, sizeof(w));
	assert_int_equal(ag_tpm_signature_raw(w, wl, &got, &gl, &err), AG_EINVALID);
	assert_int_equal(ag_tpm_signature_raw(raw, sizeof(raw), &got, &gl, &err), AG_EINVALID);
}

/* A marshalled TPM2B_PUBLIC of the RSA key k with the given attributes, keyBits and exponent. */
static size_t
rsa_public(EVP_PKEY *k, TPMA_OBJECT attrs, UINT16 bits, UINT32 exponent, uint8_t *out, size_t cap)
{
	TPM2B_PUBLIC p;
	BIGNUM *n = NULL;
	size_t off = 0;

	memset(&p, 0, sizeof(p));
	p.publicArea.type = TPM2_ALG_RSA;
	p.publicArea.nameAlg = TPM2_ALG_SHA256;
	p.publicArea.objectAttributes = attrs;
	p.publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p.publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
	p.publicArea.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
	p.publicArea.parameters.rsaDetail.keyBits = bits;
	p.publicArea.parameters.rsaDetail.exponent = exponent;
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	p.publicArea.unique.rsa.size = (UINT16)BN_num_bytes(n);
	BN_bn2bin(n, p.publicArea.unique.rsa.buffer);
	BN_free(n);
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Marshal(&p, out, cap, &off), TSS2_RC_SUCCESS);
	return off;
}

#define AK_ATTRS (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT)

static void
test_public_to_pkey(void **state)
{
	uint8_t b[1024];
	size_t n;
	EVP_PKEY *k = NULL, *small = EVP_RSA_gen(1024);
	BIGNUM *e = NULL;
	struct ag_err err;

	(void)state;
	n = rsa_public(ak2048, AK_ATTRS, 2048, 0, b, sizeof(b));
	assert_int_equal(ag_tpm_public_to_pkey(b, n, 1, &k, &err), AG_OK);
	assert_int_equal(EVP_PKEY_eq(k, ak2048), 1);
	EVP_PKEY_free(k);
	/* The exponent is taken as written (0 means 65537). */
	n = rsa_public(ak2048, AK_ATTRS, 2048, 3, b, sizeof(b));
	assert_int_equal(ag_tpm_public_to_pkey(b, n, 1, &k, &err), AG_OK);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e), 1);
	assert_true(BN_is_word(e, 3));
	assert_int_not_equal(EVP_PKEY_eq(k, ak2048), 1);
	BN_free(e);
	EVP_PKEY_free(k);
	/* Restricted signing, fixed to the TPM: each attribute is needed when asked for. */
	n = rsa_public(ak2048, AK_ATTRS & ~TPMA_OBJECT_RESTRICTED, 2048, 0, b, sizeof(b));
	assert_int_equal(ag_tpm_public_to_pkey(b, n, 1, &k, &err), AG_EINVALID);
	assert_null(k);
	assert_non_null(strstr(err.msg, "not a restricted signing key"));
	assert_int_equal(ag_tpm_public_to_pkey(b, n, 0, &k, &err), AG_OK);
	EVP_PKEY_free(k);
	n = rsa_public(ak2048, AK_ATTRS & ~TPMA_OBJECT_SIGN_ENCRYPT, 2048, 0, b, sizeof(b));
	assert_int_equal(ag_tpm_public_to_pkey(b, n, 1, &k, &err), AG_EINVALID);
	n = rsa_public(ak2048, AK_ATTRS & ~TPMA_OBJECT_FIXEDTPM, 2048, 0, b, sizeof(b));
	assert_int_equal(ag_tpm_public_to_pkey(b, n, 1, &k, &err), AG_EINVALID);
	/* keyBits that do not match the modulus, and a key that is too small. */
	n = rsa_public(ak2048, AK_ATTRS, 3072, 0, b, sizeof(b));
	assert_int_equal(ag_tpm_public_to_pkey(b, n, 1, &k, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "AK modulus is 256 bytes"));
	n = rsa_public(small, AK_ATTRS, 1024, 0, b, sizeof(b));
	assert_int_equal(ag_tpm_public_to_pkey(b, n, 1, &k, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "AK modulus is 128 bytes"));
	/* Truncated, trailing byte. */
	n = rsa_public(ak2048, AK_ATTRS, 2048, 0, b, sizeof(b));
	assert_int_equal(ag_tpm_public_to_pkey(b, n - 1, 1, &k, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "not one TPM2B_PUBLIC"));
	b[n] = 0;
	assert_int_equal(ag_tpm_public_to_pkey(b, n + 1, 1, &k, &err), AG_EINVALID);
	assert_int_equal(ag_tpm_public_to_pkey(b, 0, 1, &k, &err), AG_EINVALID);
	EVP_PKEY_free(small);
}

static void
test_public_not_rsa(void **state)
{
	TPM2B_PUBLIC p;
	uint8_t b[512];
	size_t off = 0;
	EVP_PKEY *k = NULL;
	struct ag_err err;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.publicArea.type = TPM2_ALG_ECC;
	p.publicArea.nameAlg = TPM2_ALG_SHA256;
	p.publicArea.objectAttributes = AK_ATTRS;
	p.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p.publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p.publicArea.unique.ecc.x.size = 32;
	p.publicArea.unique.ecc.y.size = 32;
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Marshal(&p, b, sizeof(b), &off), TSS2_RC_SUCCESS);
	assert_int_equal(ag_tpm_public_to_pkey(b, off, 0, &k, &err), AG_EINVALID);
	assert_null(k);
	assert_non_null(strstr(err.msg, "AK is not an RSA key (type 0x23)"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_azure_quotes),
		cmocka_unit_test(test_gce_quote),
		cmocka_unit_test(test_gce_other_banks),
		cmocka_unit_test(test_synthetic_quote),
		cmocka_unit_test(test_synthetic_quote_fields),
		cmocka_unit_test(test_synthetic_signature_forms),
		cmocka_unit_test(test_signature_raw),
		cmocka_unit_test(test_public_to_pkey),
		cmocka_unit_test(test_public_not_rsa),
	};

	return cmocka_run_group_tests(tests, setup_ak, teardown_ak);
}
