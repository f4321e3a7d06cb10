/*
 * test_spdm.c - lib/format/spdm.c: the SPDM 1.1 GET_MEASUREMENTS request ||
 * response NVIDIA GPUs and NVSwitches sign.  The real reports of
 * ../shared/vectors/nvidia (skipped visibly when absent): every one parses
 * (block counts, indices, sizes, nonce, signed length), its hex text decodes
 * to the same bytes, its signature verifies with the leaf of its own chain
 * and not with another's; single-byte mutations of the 545 report are each
 * caught by the parser or by the signature; structural negatives built from
 * a real report each fail with AG_EINVALID naming the field; the hex-text
 * reader's accepted forms and rejections; block and TLV lookups.
 */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/digest.h"
#include "format/nvidia_certs.h"
#include "format/spdm.h"

#define REC_OFF (AG_SPDM_REQUEST_LEN + 8)   /* the first measurement block */
#define BLOCK_LEN 55                        /* 4-byte block header, 3-byte DMTF header, 48-byte value */

static const struct vector {
	const char *dir, *report, *chain;   /* chain NULL: the report's signature is known bad */
	size_t n_blocks, len, opaque_len, n_tlvs;
} vectors[] = {
	{ "nvidia/nvtrust-hopper-550", "hopperAttestationReport", "hopperCertChain.txt", 64, 4117, 422, 14 },
	{ "nvidia/nvtrust-2023-hopper-545", "attestationReport", "gpuAkCertChain.txt", 64, 4049, 354, 12 },
	{ "nvidia/asdk-hopper-535", "hopperAttestationReport", "hopperCertChain.txt", 64, 4052, 357, 12 },
	{ "nvidia/asdk-hopper-570", "hopperAttestationReportExpired", "hopperCertChainExpired.txt", 64, 4118, 423, 14 },
	{ "nvidia/asdk-switch-ls10", "switchAttestationReport", "switchCertChain.txt", 31, 2168, 288, 7 },
	{ "nvidia/asdk-hopper-invalid-signature", "hopperAttestationReportInvalidSignature", NULL, 64, 4262, 567, 15 },
	{ "nvidia/asdk-switch-ls10", "switchAttestationReportInvalidSignature", NULL, 31, 2168, 288, 7 },
};

#define N_VECTORS (sizeof(vectors) / sizeof(vectors[0]))
#define V545 (&vectors[1])

#define SKIP_WITHOUT(p)                                                                        \
	do {                                                                                   \
		if ((p) == NULL) {                                                             \
			print_message("# skipped: ../shared/vectors/nvidia is not present\n"); \
			skip();                                                                \
		}                                                                              \
	} while (0)

/* ../shared/vectors/DIR/BASE.EXT, or NULL when absent. */
static uint8_t *
vec_file(const char *dir, const char *base, const char *ext, size_t *len)
{
	char name[256];

	snprintf(name, sizeof(name), "%s%s", base, ext);
	return tu_vec_in(dir, name, len);
}

static uint8_t *
report_bin(const struct vector *v, size_t *len)
{
	return vec_file(v->dir, v->report, ".bin", len);
}

/* The leaf key of the chain file of dir (a new reference). */
static EVP_PKEY *
leaf_key(const char *dir, const char *chain_file)
{
	size_t len;
	uint8_t *pem = tu_vec_in(dir, chain_file, &len);
	STACK_OF(X509) *chain = NULL;
	struct ag_err err;
	EVP_PKEY *key;

	assert_non_null(pem);
	if (ag_nv_device_chain_load(pem, len, &chain, &err) != AG_OK)
		fail_msg("%s/%s: %s", dir, chain_file, err.msg);
	key = X509_get0_pubkey(sk_X509_value(chain, 0));
	assert_non_null(key);
	EVP_PKEY_up_ref(key);
	sk_X509_pop_free(chain, X509_free);
	free(pem);
	return key;
}

/* Parses buf and asserts AG_EINVALID with a message containing why. */
static void
parse_fails(const uint8_t *buf, size_t len, const char *why)
{
	static struct ag_spdm_report r;
	struct ag_err err;
	enum ag_code rc;

	ag_err_clear(&err);
	rc = ag_spdm_parse(buf, len, &r, &err);
	if (rc != AG_EINVALID || strstr(err.msg, why) == NULL)
		fail_msg("rc %d, \"%s\" lacks \"%s\"", rc, err.msg, why);
	assert_null(r.raw);
}

/* A copy of src with cut bytes at off replaced by ins (ins_len bytes). */
static uint8_t *
splice_bytes(const uint8_t *src, size_t len, size_t off, size_t cut, const uint8_t *ins, size_t ins_len, size_t *out_len)
{
	uint8_t *out = malloc(len - cut + ins_len + 1);

	assert_non_null(out);
	memcpy(out, src, off);
	if (ins_len > 0)
		memcpy(out + off, ins, ins_len);
	memcpy(out + off + ins_len, src + off + cut, len - off - cut);
	*out_len = len - cut + ins_len;
	return out;
}

/* Offset of the u16 opaque length in a report (after the record and the responder nonce). */
static size_t
opaque_len_off(const uint8_t *b)
{
	size_t rec = (size_t)b[REC_OFF - 3] | (size_t)b[REC_OFF - 2] << 8 | (size_t)b[REC_OFF - 1] << 16;

	return REC_OFF + rec + AG_SPDM_NONCE_LEN;
}

/* --- the real reports --- */

static void
check_blocks(const struct vector *v, const uint8_t *b, const struct ag_spdm_report *r)
{
	assert_int_equal(r->n_blocks, v->n_blocks);
	for (size_t i = 0; i < r->n_blocks; i++) {
		const struct ag_spdm_block *blk = &r->blocks[i];

		assert_int_equal(blk->index, i + 1);
		assert_int_equal(b[REC_OFF + i * BLOCK_LEN + 2] | b[REC_OFF + i * BLOCK_LEN + 3] << 8, 51);
		assert_int_equal(blk->value_type, 1);
		assert_int_equal(blk->len, 48);
		assert_ptr_equal(blk->value, b + REC_OFF + i * BLOCK_LEN + 7);
	}
}

static void
test_parse_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct vector *v = &vectors[i];
		size_t len, nlen;
		uint8_t *b = report_bin(v, &len), nonce[AG_SPDM_NONCE_LEN];
		uint8_t *nhex = vec_file(v->dir, v->report, ".nonce.hex", &nlen);
		static struct ag_spdm_report r;
		struct ag_err err;

		SKIP_WITHOUT(b);
		assert_non_null(nhex);
		if (ag_spdm_parse(b, len, &r, &err) != AG_OK)
			fail_msg("%s/%s: %s", v->dir, v->report, err.msg);
		assert_int_equal(len, v->len);
		assert_ptr_equal(r.raw, b);
		assert_int_equal(r.len, len);
		check_blocks(v, b, &r);
		assert_int_equal(nlen, 65);
		assert_int_equal(nhex[64], '\n');
		nhex[64] = '\0';
		assert_int_equal(ag_hex_decode((const char *)nhex, nonce, sizeof(nonce)), 0);
		assert_memory_equal(r.nonce, nonce, AG_SPDM_NONCE_LEN);
		assert_ptr_equal(r.nonce, b + 4);
		assert_int_equal(r.slot, b[36]);
		assert_ptr_equal(r.responder_nonce, b + REC_OFF + v->n_blocks * BLOCK_LEN);
		assert_int_equal(r.opaque_len, v->opaque_len);
		assert_int_equal(r.n_tlvs, v->n_tlvs);
		assert_int_equal(r.signed_len, len - AG_SPDM_SIG_LEN);
		assert_ptr_equal(r.signature, b + len - AG_SPDM_SIG_LEN);
		free(nhex);
		free(b);
	}
}

static void
test_txt_equals_bin(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct vector *v = &vectors[i];
		size_t blen, tlen, olen;
		uint8_t *b = report_bin(v, &blen), *t = vec_file(v->dir, v->report, ".txt", &tlen), *out;
		struct ag_err err;

		SKIP_WITHOUT(b);
		assert_non_null(t);
		if (ag_spdm_from_file_bytes(t, tlen, &out, &olen, &err) != AG_OK)
			fail_msg("%s/%s.txt: %s", v->dir, v->report, err.msg);
		assert_int_equal(olen, blen);
		assert_memory_equal(out, b, blen);
		free(out);
		/* Raw bytes (0x11 first) come back as a copy. */
		assert_int_equal(ag_spdm_from_file_bytes(b, blen, &out, &olen, &err), AG_OK);
		assert_int_equal(olen, blen);
		assert_true(out != b);
		assert_memory_equal(out, b, blen);
		free(out);
		free(t);
		free(b);
	}
}

/* --- the hex text reader --- */

/* Writes b as text, each byte as fmt, sep after each and nl after every 16th. */
static char *
to_text(const uint8_t *b, size_t len, const char *fmt, const char *sep, const char *nl)
{
	size_t cap = len * (8 + strlen(sep) + strlen(nl)) + 16, n = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	n += (size_t)snprintf(s, cap, "  \t");
	for (size_t i = 0; i < len; i++) {
		n += (size_t)snprintf(s + n, cap - n, fmt, b[i]);
		n += (size_t)snprintf(s + n, cap - n, "%s%s", sep, i % 16 == 15 ? nl : "");
	}
	snprintf(s + n, cap - n, "\r\n\n");
	return s;
}

static void
text_decodes_to(const char *text, const uint8_t *want, size_t want_len)
{
	uint8_t *out;
	size_t olen;
	struct ag_err err;

	if (ag_spdm_from_file_bytes((const uint8_t *)text, strlen(text), &out, &olen, &err) != AG_OK)
		fail_msg("\"%.40s...\": %s", text, err.msg);
	assert_int_equal(olen, want_len);
	assert_memory_equal(out, want, want_len);
	free(out);
}

static void
test_hex_text_forms(void **state)
{
	static const struct {
		const char *fmt, *sep, *nl;
	} forms[] = {
		{ "%02x", "", "\n" },           /* NVIDIA's own form, wrapped */
		{ "%02X", " ", "\r\n" },        /* upper case, CRLF */
		{ "0x%02x", ", ", "\n" },       /* a C array */
		{ "0X%02X", ",", "\t\n" },
		{ "\\x%02x", "", "\n" },        /* Python bytes repr */
		{ "\\X%02x", " ", " \n " },
	};
	size_t len;
	uint8_t *b = report_bin(&vectors[0], &len);

	(void)state;
	SKIP_WITHOUT(b);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *t = to_text(b, len, forms[i].fmt, forms[i].sep, forms[i].nl);

		text_decodes_to(t, b, len);
		free(t);
	}
	free(b);
}

static void
test_hex_text_small(void **state)
{
	(void)state;
	text_decodes_to("0x00 0x0a\n0xff", (const uint8_t *)"\x00\x0a\xff", 3);
	text_decodes_to("\\x00\\x0a\\xff", (const uint8_t *)"\x00\x0a\xff", 3);
	text_decodes_to("  000aFf  ", (const uint8_t *)"\x00\x0a\xff", 3);
	text_decodes_to("0x00,0x0a,\t0xff,", (const uint8_t *)"\x00\x0a\xff", 3);
	text_decodes_to("0x0a0b", (const uint8_t *)"\x0a\x0b", 2);
}

static void
text_rejected(const char *text, size_t len)
{
	uint8_t *out = (uint8_t *)"sentinel";
	size_t olen = 99;
	struct ag_err err;

	ag_err_clear(&err);
	assert_int_equal(ag_spdm_from_file_bytes((const uint8_t *)text, len, &out, &olen, &err), AG_EINVALID);
	assert_null(out);
	assert_int_equal(olen, 0);
	assert_non_null(strstr(err.msg, "GPU report"));
}

static void
test_hex_text_rejected(void **state)
{
	static const char *bad[] = {
		"11e0f",            /* odd digit count */
		"11 e0 0",
		"11e0zz",           /* not hex */
		"11-e0",
		"11e0;",
		"0x",               /* a prefix and no digits */
		"\\x",
		" \n\t ",           /* only whitespace */
		"g0",
		"110x22",           /* "0x" right after a digit is not a prefix */
		"0xx11",
	};
	size_t big = 4 * AG_SPDM_REPORT_MAX + 2;
	char *huge = malloc(big + 1);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		text_rejected(bad[i], strlen(bad[i]));
	text_rejected("", 0);
	assert_non_null(huge);
	memset(huge, '0', big);
	huge[big] = '\0';
	text_rejected(huge, big);
	free(huge);
}

/* --- signatures --- */

/* Parses report v and verifies it with the leaf key of dir/chain_file. */
static enum ag_code
verify_with(const struct vector *v, const char *dir, const char *chain_file, struct ag_err *err)
{
	size_t len;
	uint8_t *b = report_bin(v, &len);
	static struct ag_spdm_report r;
	EVP_PKEY *key;
	enum ag_code rc;

	assert_non_null(b);
	assert_int_equal(ag_spdm_parse(b, len, &r, err), AG_OK);
	key = leaf_key(dir, chain_file);
	ag_err_clear(err);
	rc = ag_spdm_verify_signature(&r, key, err);
	EVP_PKEY_free(key);
	free(b);
	return rc;
}

static void
test_signature_vectors(void **state)
{
	size_t len;
	uint8_t *probe = report_bin(&vectors[0], &len);
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT(probe);
	free(probe);
	for (size_t i = 0; i < N_VECTORS; i++)
		if (vectors[i].chain != NULL && verify_with(&vectors[i], vectors[i].dir, vectors[i].chain, &err) != AG_OK)
			fail_msg("%s: %s", vectors[i].dir, err.msg);
}

static void
verify_fails(const struct vector *v, const char *dir, const char *chain_file)
{
	struct ag_err err;

	if (verify_with(v, dir, chain_file, &err) != AG_EINVALID || strstr(err.msg, "does not verify") == NULL)
		fail_msg("%s with %s/%s: \"%s\"", v->report, dir, chain_file, err.msg);
}

static void
test_signature_wrong_key(void **state)
{
	size_t len;
	uint8_t *probe = report_bin(&vectors[0], &len);

	(void)state;
	SKIP_WITHOUT(probe);
	free(probe);
	/* The cross pair: the 570 report with the 535 GPU's chain. */
	verify_fails(&vectors[3], "nvidia/asdk-hopper-535", "hopperCertChain.txt");
	/* The 550 report with the 545 GPU's chain, and the GPU report with the switch's chain. */
	verify_fails(&vectors[0], "nvidia/nvtrust-2023-hopper-545", "gpuAkCertChain.txt");
	verify_fails(&vectors[0], "nvidia/asdk-switch-ls10", "switchCertChain.txt");
	/* The two InvalidSignature reports, against every staged chain of their kind. */
	for (size_t i = 0; i < 4; i++)
		verify_fails(&vectors[5], vectors[i].dir, vectors[i].chain);
	verify_fails(&vectors[6], "nvidia/asdk-switch-ls10", "switchCertChain.txt");
}

static void
test_signature_unparsed(void **state)
{
	size_t len;
	uint8_t *probe = report_bin(&vectors[0], &len);
	static struct ag_spdm_report r;
	struct ag_err err;
	EVP_PKEY *key;

	(void)state;
	SKIP_WITHOUT(probe);
	key = leaf_key(vectors[0].dir, vectors[0].chain);
	/* A report whose parse failed is never verified (its raw pointer is cleared). */
	probe[0] = 0x12;
	assert_int_equal(ag_spdm_parse(probe, len, &r, &err), AG_EINVALID);
	assert_int_equal(ag_spdm_verify_signature(&r, key, &err), AG_EINVALID);
	memset(&r, 0, sizeof(r));
	assert_int_equal(ag_spdm_verify_signature(&r, key, &err), AG_EINVALID);
	EVP_PKEY_free(key);
	free(probe);
}

/* --- single-byte mutations of the 545 report --- */

struct mutant_ctx {
	uint8_t *orig, *copy;
	size_t len;
	EVP_PKEY *key;
	size_t parse_fail, sig_fail;
};

static void
mutant_open(struct mutant_ctx *m)
{
	memset(m, 0, sizeof(*m));
	m->orig = report_bin(V545, &m->len);
	if (m->orig == NULL)
		return;
	m->copy = malloc(m->len);
	assert_non_null(m->copy);
	m->key = leaf_key(V545->dir, V545->chain);
}

static void
mutant_close(struct mutant_ctx *m)
{
	EVP_PKEY_free(m->key);
	free(m->copy);
	free(m->orig);
}

/* Flips bit 0 of byte off: the report must fail to parse or fail its signature. */
static void
mutant_rejected(struct mutant_ctx *m, size_t off)
{
	static struct ag_spdm_report r;
	struct ag_err err;

	memcpy(m->copy, m->orig, m->len);
	m->copy[off] ^= 0x01;
	if (ag_spdm_parse(m->copy, m->len, &r, &err) != AG_OK) {
		assert_int_equal(err.code, AG_EINVALID);
		m->parse_fail++;
		return;
	}
	if (ag_spdm_verify_signature(&r, m->key, &err) == AG_OK)
		fail_msg("byte %zu flipped: the report still parses and verifies", off);
	m->sig_fail++;
}

static void
test_mutate_signature(void **state)
{
	struct mutant_ctx m;

	(void)state;
	mutant_open(&m);
	SKIP_WITHOUT(m.orig);
	for (size_t off = m.len - AG_SPDM_SIG_LEN; off < m.len; off++)
		mutant_rejected(&m, off);
	assert_int_equal(m.sig_fail, AG_SPDM_SIG_LEN);
	mutant_close(&m);
}

static void
test_mutate_nonce(void **state)
{
	struct mutant_ctx m;

	(void)state;
	mutant_open(&m);
	SKIP_WITHOUT(m.orig);
	for (size_t off = 4; off < 4 + AG_SPDM_NONCE_LEN; off++)
		mutant_rejected(&m, off);
	assert_int_equal(m.sig_fail, AG_SPDM_NONCE_LEN);
	/* The responder nonce is signed too; the slot must also be the response's (a parse error). */
	for (size_t off = opaque_len_off(m.orig) - AG_SPDM_NONCE_LEN; off < opaque_len_off(m.orig); off++)
		mutant_rejected(&m, off);
	mutant_rejected(&m, 36);
	assert_int_equal(m.sig_fail, 2 * AG_SPDM_NONCE_LEN);
	mutant_close(&m);
}

static void
test_mutate_record(void **state)
{
	struct mutant_ctx m;
	size_t end;

	(void)state;
	mutant_open(&m);
	SKIP_WITHOUT(m.orig);
	end = opaque_len_off(m.orig) - AG_SPDM_NONCE_LEN;
	for (size_t off = REC_OFF; off < end; off += 7)
		mutant_rejected(&m, off);
	/* Header bytes (index, spec, sizes) break the parse; value bytes break the signature. */
	assert_true(m.parse_fail > 0);
	assert_true(m.sig_fail > 0);
	assert_int_equal(m.parse_fail + m.sig_fail, (end - REC_OFF + 6) / 7);
	mutant_close(&m);
}

static void
test_mutate_opaque(void **state)
{
	struct mutant_ctx m;
	size_t start;

	(void)state;
	mutant_open(&m);
	SKIP_WITHOUT(m.orig);
	start = opaque_len_off(m.orig);
	/* The u16 opaque length, then every byte of the opaque data. */
	for (size_t off = start; off < m.len - AG_SPDM_SIG_LEN; off++)
		mutant_rejected(&m, off);
	assert_int_equal(m.parse_fail + m.sig_fail, 2 + V545->opaque_len);
	assert_true(m.parse_fail >= 2);
	mutant_close(&m);
}

/* --- header fields --- */

/* A copy of the 545 report with byte off xor 0x01 must fail to parse, naming why. */
static void
flip_fails(const uint8_t *orig, size_t len, size_t off, const char *why)
{
	uint8_t *c = malloc(len);

	assert_non_null(c);
	memcpy(c, orig, len);
	c[off] ^= 0x01;
	parse_fails(c, len, why);
	free(c);
}

static void
test_request_header(void **state)
{
	size_t len;
	uint8_t *b = report_bin(V545, &len);

	(void)state;
	SKIP_WITHOUT(b);
	flip_fails(b, len, 0, "request's SPDM version is 0x10, not 1.1");
	flip_fails(b, len, 1, "not GET_MEASUREMENTS");
	flip_fails(b, len, 2, "did not ask for a signature");
	flip_fails(b, len, 3, "asked for measurement 254, not all");
	free(b);
}

static void
test_response_header(void **state)
{
	size_t len;
	uint8_t *b = report_bin(V545, &len);
	struct mutant_ctx m;

	(void)state;
	SKIP_WITHOUT(b);
	flip_fails(b, len, 37, "response's SPDM version is 0x10, not 1.1");
	flip_fails(b, len, 38, "not MEASUREMENTS");
	flip_fails(b, len, 41, "measurement block 65 of 65 overruns the record");          /* 64 -> 65 blocks */
	flip_fails(b, len, 42, "1 bytes after the last measurement block");                /* 3520 -> 3521 */
	flip_fails(b, len, 43, "measurement block 60 of 64 overruns the record");          /* 3520 -> 3264 */
	flip_fails(b, len, 44, "the measurement record overruns the response");            /* 3520 -> 69056 */
	/* param2 names the slot (SPDM 1.1): another one is a parse error; param1 is caught by the signature. */
	flip_fails(b, len, 40, "the response is for slot 1, the request asked slot 0");
	mutant_open(&m);
	mutant_rejected(&m, 39);
	mutant_rejected(&m, 40);
	assert_int_equal(m.sig_fail, 1);
	mutant_close(&m);
	free(b);
}

/* --- structural negatives built from the 545 report --- */

#define WITH_545(b, len)                    \
	size_t len;                         \
	uint8_t *b = report_bin(V545, &len); \
	(void)state;                        \
	SKIP_WITHOUT(b)

static void
test_truncated(void **state)
{
	WITH_545(b, len);
	parse_fails(b, len - 1, "the opaque data and signature overrun the response");
	parse_fails(b, len - AG_SPDM_SIG_LEN, "the opaque data and signature overrun the response");
	free(b);
}

static void
test_trailing_byte(void **state)
{
	size_t n;
	uint8_t *c;

	WITH_545(b, len);
	c = splice_bytes(b, len, len, 0, (const uint8_t *)"\0", 1, &n);
	parse_fails(c, n, "1 bytes after the 96-byte signature");
	free(c);
	free(b);
}

static void
test_zero_blocks(void **state)
{
	WITH_545(b, len);
	b[41] = 0;
	parse_fails(b, len, "the response has no measurement blocks");
	free(b);
}

static void
test_record_too_long(void **state)
{
	WITH_545(b, len);
	b[42] = (uint8_t)len;
	b[43] = (uint8_t)(len >> 8);
	b[44] = 0;
	parse_fails(b, len, "the measurement record overruns the response");
	b[42] = 0xff;
	b[43] = 0xff;
	b[44] = 0xff;
	parse_fails(b, len, "the measurement record overruns the response");
	free(b);
}

static void
test_duplicate_index(void **state)
{
	WITH_545(b, len);
	b[REC_OFF + BLOCK_LEN] = 1;
	parse_fails(b, len, "measurement block 1 appears twice");
	free(b);
}

static void
test_index_zero(void **state)
{
	WITH_545(b, len);
	b[REC_OFF] = 0;
	parse_fails(b, len, "a measurement block has index 0");
	free(b);
}

static void
test_spec_not_dmtf(void **state)
{
	WITH_545(b, len);
	b[REC_OFF + 5 * BLOCK_LEN + 1] = 2;
	parse_fails(b, len, "measurement block 6 is not of the DMTF specification");
	b[REC_OFF + 5 * BLOCK_LEN + 1] = 0;
	parse_fails(b, len, "measurement block 6 is not of the DMTF specification");
	free(b);
}

static void
test_dmtf_size_disagrees(void **state)
{
	WITH_545(b, len);
	b[REC_OFF + 5] = 47;
	parse_fails(b, len, "measurement block 1's value size disagrees with its size");
	b[REC_OFF + 5] = 48;
	b[REC_OFF + 6] = 1;
	parse_fails(b, len, "measurement block 1's value size disagrees with its size");
	free(b);
}

static void
test_block_smaller_than_dmtf_header(void **state)
{
	/* One block of MeasurementSize 2: too small for the DMTF header it must carry. */
	static const uint8_t blk[] = { 1, 1, 2, 0, 1, 0 };
	size_t n;
	uint8_t *c;

	WITH_545(b, len);
	b[41] = 1;
	b[42] = sizeof(blk);
	b[43] = 0;
	c = splice_bytes(b, len, REC_OFF, 64 * BLOCK_LEN, blk, sizeof(blk), &n);
	parse_fails(c, n, "measurement block 1's value size disagrees with its size");
	free(c);
	free(b);
}

static void
test_no_opaque_data(void **state)
{
	size_t at, n;
	uint8_t *c;

	WITH_545(b, len);
	at = opaque_len_off(b);
	b[at] = 0;
	b[at + 1] = 0;
	c = splice_bytes(b, len, at + 2, V545->opaque_len, NULL, 0, &n);
	parse_fails(c, n, "the response has no opaque data");
	free(c);
	/* Length 0 with the opaque bytes still there: they are trailing bytes. */
	parse_fails(b, len, "354 bytes after the 96-byte signature");
	free(b);
}

static void
test_opaque_tlv_overrun(void **state)
{
	size_t at;

	WITH_545(b, len);
	/* The last entry (NVDEC0_STATUS, 1 byte) claims 2. */
	b[len - AG_SPDM_SIG_LEN - 3] = 2;
	parse_fails(b, len, "opaque data entry 12 overruns the opaque data");
	b[len - AG_SPDM_SIG_LEN - 3] = 1;
	/* The first entry claims 0xffff bytes. */
	at = opaque_len_off(b) + 2;
	b[at + 2] = 0xff;
	b[at + 3] = 0xff;
	parse_fails(b, len, "opaque data entry 1 overruns the opaque data");
	free(b);
}

/* The 545 report with its opaque data replaced by n empty entries of type 3. */
static uint8_t *
with_empty_tlvs(const uint8_t *b, size_t len, size_t n, size_t *out_len)
{
	uint8_t *tlvs = calloc(n, 4);
	size_t at = opaque_len_off(b);
	uint8_t *c;

	assert_non_null(tlvs);
	for (size_t i = 0; i < n; i++)
		tlvs[4 * i] = 3;
	c = splice_bytes(b, len, at + 2, V545->opaque_len, tlvs, 4 * n, out_len);
	c[at] = (uint8_t)(4 * n);
	c[at + 1] = (uint8_t)(4 * n >> 8);
	free(tlvs);
	return c;
}

static void
test_too_many_tlvs(void **state)
{
	static struct ag_spdm_report r;
	struct ag_err err;
	size_t n;
	uint8_t *c;

	WITH_545(b, len);
	c = with_empty_tlvs(b, len, AG_SPDM_MAX_TLVS, &n);
	assert_int_equal(ag_spdm_parse(c, n, &r, &err), AG_OK);
	assert_int_equal(r.n_tlvs, AG_SPDM_MAX_TLVS);
	assert_int_equal(r.tlvs[63].len, 0);
	free(c);
	c = with_empty_tlvs(b, len, AG_SPDM_MAX_TLVS + 1, &n);
	parse_fails(c, n, "more than 64 opaque data entries");
	free(c);
	free(b);
}

static void
test_too_big(void **state)
{
	uint8_t *big;

	WITH_545(b, len);
	big = calloc(AG_SPDM_REPORT_MAX + 1, 1);
	assert_non_null(big);
	memcpy(big, b, len);
	parse_fails(big, AG_SPDM_REPORT_MAX + 1, "8193 bytes, more than the 8192 a report has");
	/* At the limit the size passes and the zeros after the signature are the error. */
	parse_fails(big, AG_SPDM_REPORT_MAX, "bytes after the 96-byte signature");
	free(big);
	free(b);
}

static void
test_too_short(void **state)
{
	WITH_545(b, len);
	parse_fails(b, AG_SPDM_REQUEST_LEN - 1, "36 bytes, shorter than the SPDM request");
	parse_fails(b, 0, "0 bytes, shorter than the SPDM request");
	parse_fails(b, AG_SPDM_REQUEST_LEN, "the response is shorter than its header");
	parse_fails(b, REC_OFF - 1, "the response is shorter than its header");
	free(b);
}

static void
test_ends_before_nonce(void **state)
{
	WITH_545(b, len);
	/* One block, the record ends the bytes: no responder nonce, no opaque length. */
	b[41] = 1;
	b[42] = BLOCK_LEN;
	b[43] = 0;
	parse_fails(b, REC_OFF + BLOCK_LEN, "the response ends before its nonce and opaque data");
	parse_fails(b, REC_OFF + BLOCK_LEN + AG_SPDM_NONCE_LEN + 1, "ends before its nonce and opaque data");
	free(b);
}

/* --- lookups --- */

static void
test_block_lookup(void **state)
{
	static struct ag_spdm_report r;
	struct ag_err err;

	WITH_545(b, len);
	assert_int_equal(ag_spdm_parse(b, len, &r, &err), AG_OK);
	assert_ptr_equal(ag_spdm_block(&r, 1), &r.blocks[0]);
	assert_ptr_equal(ag_spdm_block(&r, 35), &r.blocks[34]);
	assert_ptr_equal(ag_spdm_block(&r, 64), &r.blocks[63]);
	assert_ptr_equal(ag_spdm_block(&r, 35)->value, b + REC_OFF + 34 * BLOCK_LEN + 7);
	assert_null(ag_spdm_block(&r, 0));
	assert_null(ag_spdm_block(&r, 65));
	assert_null(ag_spdm_block(&r, 255));
	assert_null(ag_spdm_block(&r, 256 + 1));
	free(b);
}

static void
test_tlv_lookup(void **state)
{
	static struct ag_spdm_report r;
	struct ag_err err;
	const struct ag_spdm_tlv *t;
	size_t len;
	uint8_t *b = report_bin(&vectors[0], &len);

	(void)state;
	SKIP_WITHOUT(b);
	assert_int_equal(ag_spdm_parse(b, len, &r, &err), AG_OK);
	t = ag_spdm_tlv(&r, 3);
	assert_non_null(t);
	assert_int_equal(t->len, 10);
	assert_memory_equal(t->value, "550.90.07", 10);
	t = ag_spdm_tlv(&r, 20);
	assert_non_null(t);
	assert_int_equal(t->len, 48);
	assert_ptr_equal(t->value, b + 3968);
	assert_ptr_equal(ag_spdm_tlv(&r, 6), &r.tlvs[0]);
	assert_null(ag_spdm_tlv(&r, 0));
	assert_null(ag_spdm_tlv(&r, 99));
	/* Two entries of one type: the first is found. */
	r.tlvs[5].type = 3;
	assert_ptr_equal(ag_spdm_tlv(&r, 3), &r.tlvs[5]);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_vectors),
		cmocka_unit_test(test_txt_equals_bin),
		cmocka_unit_test(test_hex_text_forms),
		cmocka_unit_test(test_hex_text_small),
		cmocka_unit_test(test_hex_text_rejected),
		cmocka_unit_test(test_signature_vectors),
		cmocka_unit_test(test_signature_wrong_key),
		cmocka_unit_test(test_signature_unparsed),
		cmocka_unit_test(test_mutate_signature),
		cmocka_unit_test(test_mutate_nonce),
		cmocka_unit_test(test_mutate_record),
		cmocka_unit_test(test_mutate_opaque),
		cmocka_unit_test(test_request_header),
		cmocka_unit_test(test_response_header),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing_byte),
		cmocka_unit_test(test_zero_blocks),
		cmocka_unit_test(test_record_too_long),
		cmocka_unit_test(test_duplicate_index),
		cmocka_unit_test(test_index_zero),
		cmocka_unit_test(test_spec_not_dmtf),
		cmocka_unit_test(test_dmtf_size_disagrees),
		cmocka_unit_test(test_block_smaller_than_dmtf_header),
		cmocka_unit_test(test_no_opaque_data),
		cmocka_unit_test(test_opaque_tlv_overrun),
		cmocka_unit_test(test_too_many_tlvs),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_too_short),
		cmocka_unit_test(test_ends_before_nonce),
		cmocka_unit_test(test_block_lookup),
		cmocka_unit_test(test_tlv_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
