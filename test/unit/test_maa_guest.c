/*
 * test_maa_guest.c - lib/verifier/maa_guest.c: the AzureGuest request
 * (AttestationInfo decoded field by field: base64 binaries, the bare RSA
 * signatures out of their TPMT_SIGNATUREs, the PCR set, the SevSnp and Tdx
 * isolation proofs) and the encrypted response (envelope parsing with every
 * field malformed in turn, AES-GCM with the "Transport Key" AAD, tampering,
 * wrong keys, NUL bytes).  Responses are sealed here with OpenSSL as
 * test/services/maa_guest.py seals them; a real vTPM quote signature and an
 * SNP report of ../shared/vectors are used when present.
 */
#include "standin.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "base/base64.h"
#include "verifier/maa_guest.h"

/* A marshalled RSASSA/SHA-256 TPMT_SIGNATURE whose signature bytes are n bytes of fill. */
static uint8_t *
rsassa(uint8_t fill, size_t n, size_t *len)
{
	TPMT_SIGNATURE s;
	uint8_t *buf = malloc(sizeof(s));

	assert_non_null(buf);
	memset(&s, 0, sizeof(s));
	s.sigAlg = TPM2_ALG_RSASSA;
	s.signature.rsassa.hash = TPM2_ALG_SHA256;
	s.signature.rsassa.sig.size = (UINT16)n;
	for (size_t i = 0; i < n; i++)
		s.signature.rsassa.sig.buffer[i] = (uint8_t)(fill + i);
	*len = 0;
	assert_int_equal(Tss2_MU_TPMT_SIGNATURE_Marshal(&s, buf, sizeof(s), len), TSS2_RC_SUCCESS);
	return buf;
}

struct fixture {
	uint8_t pcrs[24 * 32], report[0x4A0], runtime[64], log[100], cert[40], pub[30], quote[50], encpub[20], certify[25];
	uint8_t *qsig, *csig;
	size_t qsig_len, csig_len;
	struct ag_maa_guest_request r;
};

static void
fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < sizeof(f->pcrs); i++)
		f->pcrs[i] = (uint8_t)(i / 32 + 1);
	for (size_t i = 0; i < sizeof(f->report); i++)
		f->report[i] = (uint8_t)(i * 13 + 0xfa);
	memset(f->runtime, '{', sizeof(f->runtime));
	memset(f->log, 0xa1, sizeof(f->log));
	memset(f->cert, 0x30, sizeof(f->cert));
	memset(f->pub, 0x01, sizeof(f->pub));
	memset(f->quote, 0xff, sizeof(f->quote));
	memset(f->encpub, 0x02, sizeof(f->encpub));
	memset(f->certify, 0x03, sizeof(f->certify));
	f->qsig = rsassa(0x10, 256, &f->qsig_len);
	f->csig = rsassa(0x80, 256, &f->csig_len);
	f->r = (struct ag_maa_guest_request){
		.nonce = "0badc0de00112233", .os_distro = "Ubuntu", .os_major = 22, .os_minor = 4,
		.tcg_log = { f->log, sizeof(f->log) }, .ak_cert = { f->cert, sizeof(f->cert) },
		.ak_pub = { f->pub, sizeof(f->pub) }, .quote = { f->quote, sizeof(f->quote) },
		.quote_sig = { f->qsig, f->qsig_len }, .pcr_mask = 0x00FFFFFF, .pcrs = f->pcrs,
		.enc_pub = { f->encpub, sizeof(f->encpub) }, .certify = { f->certify, sizeof(f->certify) },
		.certify_sig = { f->csig, f->csig_len }, .isolation = "SevSnp",
		.hw_report = { f->report, sizeof(f->report) },
		.vcek_chain = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
		.runtime = { f->runtime, sizeof(f->runtime) },
	};
}

static void
fixture_free(struct fixture *f)
{
	free(f->qsig);
	free(f->csig);
}

/* The AttestationInfo of a request body, decoded (unpadded base64url, the only member). */
static json_t *
attestation_info(const char *body, char **text)
{
	json_t *outer = json_loads(body, JSON_REJECT_DUPLICATES, NULL);
	const char *url = json_string_value(json_object_get(outer, "AttestationInfo"));
	uint8_t *raw = NULL;
	size_t len = 0;
	json_t *info;

	assert_non_null(url);
	assert_int_equal(json_object_size(outer), 1);
	assert_null(strchr(url, '='));
	assert_int_equal(ag_b64url_decode(url, strlen(url), &raw, &len), 0);
	info = json_loads((const char *)raw, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(info);
	*text = (char *)raw;
	json_decref(outer);
	return info;
}

/* Standard base64 member key of o equals want (want_len bytes). */
static void
assert_b64(const json_t *o, const char *key, const void *want, size_t want_len)
{
	const char *s = json_string_value(json_object_get(o, key));
	uint8_t *got = NULL;
	size_t len = 0;

	if (s == NULL)
		fail_msg("%s is missing or not a string", key);
	if (ag_b64_decode(s, strlen(s), &got, &len) != 0)
		fail_msg("%s is not canonical standard base64: %.60s", key, s);
	assert_int_equal(len, want_len);
	if (want_len > 0)
		assert_memory_equal(got, want, want_len);
	free(got);
}

static void
check_tpm_info(const json_t *tpm, const struct fixture *f, uint32_t mask)
{
	const json_t *set = json_object_get(tpm, "PcrSet"), *pcrs = json_object_get(tpm, "PCRs");
	size_t k = 0;

	assert_b64(tpm, "AikCert", f->r.ak_cert.data, f->r.ak_cert.len);
	assert_b64(tpm, "AikPub", f->r.ak_pub.data, f->r.ak_pub.len);
	assert_b64(tpm, "PcrQuote", f->r.quote.data, f->r.quote.len);
	/* The bare RSA signatures (256 bytes for RSA-2048), not their 6-byte TPMT_SIGNATURE headers. */
	assert_int_equal(f->r.quote_sig.len, 6 + 256);
	assert_b64(tpm, "PcrSignature", f->r.quote_sig.data + 6, 256);
	assert_b64(tpm, "EncKeyPub", f->r.enc_pub.data, f->r.enc_pub.len);
	assert_b64(tpm, "EncKeyCertifyInfo", f->r.certify.data, f->r.certify.len);
	assert_b64(tpm, "EncKeyCertifyInfoSignature", f->r.certify_sig.data + 6, 256);
	assert_int_equal(json_array_size(set), json_array_size(pcrs));
	for (unsigned i = 0; i < 24; i++) {
		const json_t *p;

		if (!(mask & (1u << i)))
			continue;
		assert_int_equal(json_integer_value(json_array_get(set, k)), i);
		p = json_array_get(pcrs, k++);
		assert_int_equal(json_integer_value(json_object_get(p, "Index")), i);
		assert_b64(p, "Digest", f->pcrs + 32 * i, 32);
	}
	assert_int_equal(json_array_size(set), k);
}

static void
check_snp_isolation(const json_t *iso, const struct fixture *f)
{
	const json_t *ev = json_object_get(iso, "Evidence");
	const char *proof_b64 = json_string_value(json_object_get(ev, "Proof")), *report_url;
	uint8_t *proof_raw = NULL, *report = NULL;
	size_t len = 0;
	json_t *proof;

	assert_string_equal(json_string_value(json_object_get(iso, "Type")), "SevSnp");
	assert_b64(ev, "RunTimeData", f->runtime, sizeof(f->runtime));
	assert_non_null(proof_b64);
	assert_int_equal(ag_b64_decode(proof_b64, strlen(proof_b64), &proof_raw, &len), 0);
	proof = json_loads((const char *)proof_raw, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(proof);
	assert_int_equal(json_object_size(proof), 2);
	/* As the C++ client: the report base64url, the chain standard base64 of the PEM text. */
	report_url = json_string_value(json_object_get(proof, "SnpReport"));
	assert_non_null(report_url);
	assert_int_equal(ag_b64url_decode(report_url, strlen(report_url), &report, &len), 0);
	assert_int_equal(len, sizeof(f->report));
	assert_memory_equal(report, f->report, len);
	assert_b64(proof, "VcekCertChain", f->r.vcek_chain, strlen(f->r.vcek_chain));
	json_decref(proof);
	free(proof_raw);
	free(report);
}

static void
check_request(const char *body, const struct fixture *f)
{
	char *text = NULL;
	json_t *info = attestation_info(body, &text), *cp = json_object_get(info, "ClientPayload");

	static const char head[] = "{\"AttestationProtocolVersion\":\"2.0\",\"OSType\":\"TGludXg=\",\"OSDistro\":";

	/* Microsoft's client's member order. */
	assert_int_equal(strncmp(text, head, strlen(head)), 0);
	assert_int_equal(json_object_size(info), 10);
	assert_b64(info, "OSDistro", f->r.os_distro, strlen(f->r.os_distro));
	assert_int_equal(json_integer_value(json_object_get(info, "OSVersionMajor")), f->r.os_major);
	assert_int_equal(json_integer_value(json_object_get(info, "OSVersionMinor")), f->r.os_minor);
	assert_b64(info, "OSBuild", "NotApplication", 14);
	assert_b64(info, "TcgLogs", f->r.tcg_log.data, f->r.tcg_log.len);
	assert_int_equal(json_object_size(cp), 1);
	assert_b64(cp, "nonce", f->r.nonce, strlen(f->r.nonce));
	check_tpm_info(json_object_get(info, "TpmInfo"), f, f->r.pcr_mask & 0xFFFFFF);
	if (strcmp(f->r.isolation, "SevSnp") == 0) {
		check_snp_isolation(json_object_get(info, "IsolationInfo"), f);
	} else {
		const json_t *ev = json_object_get(json_object_get(info, "IsolationInfo"), "Evidence");

		assert_string_equal(json_string_value(json_object_get(json_object_get(info, "IsolationInfo"), "Type")), "Tdx");
		assert_b64(ev, "Proof", f->r.hw_report.data, f->r.hw_report.len);
		assert_b64(ev, "RunTimeData", f->runtime, sizeof(f->runtime));
	}
	json_decref(info);
	free(text);
}

static void
test_request_sevsnp(void **state)
{
	struct fixture f;
	struct ag_err err;
	char *body = NULL;

	(void)state;
	fixture_init(&f);
	assert_int_equal(ag_maa_guest_request_build(&f.r, &body, &err), AG_OK);
	check_request(body, &f);
	free(body);
	/* Some PCRs only, an empty TCG log, another OS. */
	f.r.pcr_mask = (1u << 0) | (1u << 7) | (1u << 23) | (1u << 30);
	f.r.tcg_log = (struct ag_maa_bytes){ NULL, 0 };
	f.r.os_distro = "Azure Linux";
	f.r.os_major = 3;
	f.r.os_minor = 0;
	assert_int_equal(ag_maa_guest_request_build(&f.r, &body, &err), AG_OK);
	check_request(body, &f);
	free(body);
	/* No PCRs at all: empty lists, still present. */
	f.r.pcr_mask = 0;
	assert_int_equal(ag_maa_guest_request_build(&f.r, &body, &err), AG_OK);
	check_request(body, &f);
	free(body);
	fixture_free(&f);
}

static void
test_request_tdx(void **state)
{
	struct fixture f;
	struct ag_err err;
	char *body = NULL;
	uint8_t quote[5006];

	(void)state;
	fixture_init(&f);
	for (size_t i = 0; i < sizeof(quote); i++)
		quote[i] = (uint8_t)(i ^ 0x5a);
	f.r.isolation = "Tdx";
	f.r.hw_report = (struct ag_maa_bytes){ quote, sizeof(quote) };
	f.r.vcek_chain = NULL;
	assert_int_equal(ag_maa_guest_request_build(&f.r, &body, &err), AG_OK);
	check_request(body, &f);
	free(body);
	fixture_free(&f);
}

static void
test_request_bad_signatures(void **state)
{
	struct fixture f;
	struct ag_err err;
	char *body = (char *)"unchanged";
	uint8_t *bad;
	size_t bad_len = 0;

	(void)state;
	fixture_init(&f);
	/* A quote signature that is not a TPMT_SIGNATURE at all. */
	f.r.quote_sig = (struct ag_maa_bytes){ (const uint8_t *)"\x00\x14", 2 };
	assert_int_equal(ag_maa_guest_request_build(&f.r, &body, &err), AG_EINVALID);
	assert_null(body);
	assert_non_null(strstr(err.msg, "RSASSA SHA-256"));
	/* RSASSA with SHA-1: MAA's quote verification is SHA-256. */
	bad = rsassa(0, 256, &bad_len);
	bad[3] = 0x04;   /* hash TPM2_ALG_SHA1 */
	f.r.quote_sig = (struct ag_maa_bytes){ bad, bad_len };
	assert_int_equal(ag_maa_guest_request_build(&f.r, &body, &err), AG_EINVALID);
	assert_null(body);
	/* A good quote signature, a certify signature with a trailing byte. */
	f.r.quote_sig = (struct ag_maa_bytes){ f.qsig, f.qsig_len };
	f.r.certify_sig = (struct ag_maa_bytes){ f.csig, f.csig_len + 1 };
	assert_int_equal(ag_maa_guest_request_build(&f.r, &body, &err), AG_EINVALID);
	assert_null(body);
	/* An empty one. */
	f.r.certify_sig = (struct ag_maa_bytes){ f.csig, 0 };
	assert_int_equal(ag_maa_guest_request_build(&f.r, &body, &err), AG_EINVALID);
	assert_null(body);
	free(bad);
	fixture_free(&f);
}

/* A real vTPM quote, its TPMT_SIGNATURE and a real SNP report as they would be sent. */
static void
test_request_real_vectors(void **state)
{
	size_t ml = 0, sl = 0, rl = 0;
	uint8_t *msg = si_vec("tpm/gce-cos85-nonce9009/quote-sha256.attest", &ml),
		*sig = si_vec("tpm/gce-cos85-nonce9009/quote-sha256.sig", &sl),
		*report = si_vec("snp/milan-v2-virtee/report.bin", &rl);
	struct fixture f;
	struct ag_err err;
	char *body = NULL;

	(void)state;
	if (msg == NULL || sig == NULL || report == NULL) {
		free(msg);
		free(sig);
		free(report);
		skip();
	}
	fixture_init(&f);
	assert_int_equal(rl, sizeof(f.report));
	memcpy(f.report, report, rl);
	f.r.quote = (struct ag_maa_bytes){ msg, ml };
	f.r.quote_sig = (struct ag_maa_bytes){ sig, sl };
	assert_int_equal(ag_maa_guest_request_build(&f.r, &body, &err), AG_OK);
	check_request(body, &f);
	free(body);
	fixture_free(&f);
	free(msg);
	free(sig);
	free(report);
}

/* --- responses ----------------------------------------------------------- */

struct sealed {
	uint8_t key[32], iv[16], tag[16], ct[256];
	size_t key_len, iv_len, ct_len;
};

/* AES-GCM over jwt (jwt_len bytes) with aad, as MAA seals an AzureGuest token. */
static void
seal(struct sealed *s, size_t key_len, size_t iv_len, const char *jwt, size_t jwt_len, const char *aad)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;

	assert_true(jwt_len <= sizeof(s->ct));
	for (size_t i = 0; i < sizeof(s->key); i++)
		s->key[i] = (uint8_t)(0x40 + i);
	for (size_t i = 0; i < sizeof(s->iv); i++)
		s->iv[i] = (uint8_t)(0x90 + i);
	s->key_len = key_len;
	s->iv_len = iv_len;
	assert_int_equal(EVP_EncryptInit_ex(ctx, key_len == 32 ? EVP_aes_256_gcm() : key_len == 24 ? EVP_aes_192_gcm() :
	    EVP_aes_128_gcm(), NULL, NULL, NULL), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL), 1);
	assert_int_equal(EVP_EncryptInit_ex(ctx, NULL, NULL, s->key, s->iv), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, s->ct, &n, (const uint8_t *)jwt, (int)jwt_len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, s->ct + n, &fin), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, s->tag), 1);
	s->ct_len = (size_t)(n + fin);
	EVP_CIPHER_CTX_free(ctx);
}

static json_t *
b64j(const uint8_t *p, size_t n)
{
	char *s = ag_b64_encode(p, n);
	json_t *j = json_string(s);

	free(s);
	return j;
}

/* The envelope MAA sends (as test/services/maa_guest.py), new reference. */
static json_t *
envelope(const struct sealed *s)
{
	uint8_t inner[256];

	memset(inner, 0x77, sizeof(inner));
	return json_pack("{s:o, s:{s:o, s:s, s:s, s:s, s:i}, s:o, s:o}", "EncryptedInnerKey", b64j(inner, sizeof(inner)),
	    "EncryptionParams", "Iv", b64j(s->iv, s->iv_len), "BlockMode", "ChainingModeGCM", "BlockPadding", "PKCS7",
	    "Cipher", "AES", "KeySizeInBits", (int)(s->key_len * 8), "AuthenticationData", b64j(s->tag, 16), "Jwt",
	    b64j(s->ct, s->ct_len));
}

/* {"token": base64url(env)} (padded when asked), consuming env. */
static char *
wrap(json_t *env, int padded)
{
	char *text = json_dumps(env, JSON_COMPACT | JSON_ENCODE_ANY), *url, *body;
	json_t *outer;

	url = padded ? ag_b64url_encode_padded((const uint8_t *)text, strlen(text)) :
		       ag_b64url_encode((const uint8_t *)text, strlen(text));
	outer = json_pack("{s:s}", "token", url);
	body = json_dumps(outer, JSON_COMPACT);
	json_decref(outer);
	json_decref(env);
	free(text);
	free(url);
	return body;
}

static enum ag_code
parse(const char *body, struct ag_maa_guest_response *r, struct ag_err *err)
{
	ag_err_clear(err);
	return ag_maa_guest_response_parse((const uint8_t *)body, strlen(body), r, err);
}

static void
roundtrip(size_t key_len, size_t iv_len, int padded)
{
	static const char jwt[] = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln";
	struct ag_maa_guest_response r;
	struct sealed s;
	struct ag_err err;
	char *body, *out = NULL;

	seal(&s, key_len, iv_len, jwt, strlen(jwt), "Transport Key");
	body = wrap(envelope(&s), padded);
	assert_int_equal(parse(body, &r, &err), AG_OK);
	assert_int_equal(r.key_bits, key_len * 8);
	assert_int_equal(r.inner_key_enc_len, 256);
	assert_int_equal(r.iv_len, iv_len);
	assert_memory_equal(r.iv, s.iv, iv_len);
	assert_int_equal(r.tag_len, 16);
	assert_int_equal(r.jwt_enc_len, strlen(jwt));
	assert_int_equal(ag_maa_guest_decrypt_jwt(&r, s.key, key_len, &out, &err), AG_OK);
	assert_string_equal(out, jwt);
	free(out);
	ag_maa_guest_response_clear(&r);
	assert_null(r.iv);
	assert_int_equal(r.key_bits, 0);
	free(body);
}

static void
test_response_roundtrip(void **state)
{
	(void)state;
	roundtrip(32, 12, 0);
	roundtrip(32, 12, 1);   /* Go-style '=' padding of the envelope */
	roundtrip(16, 12, 0);
	roundtrip(24, 16, 0);
}

static void
test_decrypt_failures(void **state)
{
	static const char jwt[] = "a.b.c";
	struct ag_maa_guest_response r;
	struct sealed s;
	struct ag_err err;
	char *body, *out = (char *)"unchanged";
	uint8_t key[32];

	(void)state;
	seal(&s, 32, 12, jwt, strlen(jwt), "Transport Key");
	body = wrap(envelope(&s), 0);
	assert_int_equal(parse(body, &r, &err), AG_OK);
	free(body);
	/* A key of another size than the response names. */
	assert_int_equal(ag_maa_guest_decrypt_jwt(&r, s.key, 16, &out, &err), AG_EINVALID);
	assert_null(out);
	assert_non_null(strstr(err.msg, "128 bits, the response says 256"));
	/* Another key (not this vTPM's). */
	memcpy(key, s.key, 32);
	key[31] ^= 1;
	assert_int_equal(ag_maa_guest_decrypt_jwt(&r, key, 32, &out, &err), AG_EINVALID);
	assert_null(out);
	assert_non_null(strstr(err.msg, "does not decrypt"));
	/* The ciphertext, the tag or the IV altered. */
	r.jwt_enc[0] ^= 1;
	assert_int_equal(ag_maa_guest_decrypt_jwt(&r, s.key, 32, &out, &err), AG_EINVALID);
	r.jwt_enc[0] ^= 1;
	r.tag[15] ^= 0x80;
	assert_int_equal(ag_maa_guest_decrypt_jwt(&r, s.key, 32, &out, &err), AG_EINVALID);
	r.tag[15] ^= 0x80;
	r.iv[0] ^= 1;
	assert_int_equal(ag_maa_guest_decrypt_jwt(&r, s.key, 32, &out, &err), AG_EINVALID);
	r.iv[0] ^= 1;
	assert_int_equal(ag_maa_guest_decrypt_jwt(&r, s.key, 32, &out, &err), AG_OK);
	assert_string_equal(out, jwt);
	free(out);
	ag_maa_guest_response_clear(&r);
	/* Sealed with another AAD: not an AzureGuest token. */
	seal(&s, 32, 12, jwt, strlen(jwt), "Transport key");
	body = wrap(envelope(&s), 0);
	assert_int_equal(parse(body, &r, &err), AG_OK);
	assert_int_equal(ag_maa_guest_decrypt_jwt(&r, s.key, 32, &out, &err), AG_EINVALID);
	assert_null(out);
	ag_maa_guest_response_clear(&r);
	free(body);
	/* A response that was never parsed (or was cleared) opens with no key. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(ag_maa_guest_decrypt_jwt(&r, key, 0, &out, &err), AG_EINVALID);
	assert_null(out);
	/* A token with a NUL byte inside would be cut short: refused. */
	seal(&s, 32, 12, "a.b\0.c", 6, "Transport Key");
	body = wrap(envelope(&s), 0);
	assert_int_equal(parse(body, &r, &err), AG_OK);
	assert_int_equal(ag_maa_guest_decrypt_jwt(&r, s.key, 32, &out, &err), AG_EINVALID);
	assert_null(out);
	assert_non_null(strstr(err.msg, "NUL"));
	ag_maa_guest_response_clear(&r);
	free(body);
}

/* Parses body, expecting AG_EINVALID with why in the message and everything cleared. */
static void
expect_bad(const char *body, const char *why)
{
	struct ag_maa_guest_response r;
	struct ag_err err;

	assert_int_equal(parse(body, &r, &err), AG_EINVALID);
	if (strstr(err.msg, why) == NULL)
		fail_msg("message \"%s\" lacks \"%s\" for %.200s", err.msg, why, body);
	assert_null(r.inner_key_enc);
	assert_null(r.iv);
	assert_null(r.tag);
	assert_null(r.jwt_enc);
	assert_int_equal(r.key_bits, 0);
}

static void
test_response_not_an_envelope(void **state)
{
	char *body;

	(void)state;
	expect_bad("", "is not {\"token\": ...}");
	expect_bad("{\"token\": not json", "is not {\"token\": ...}");
	expect_bad("[]", "is not {\"token\": ...}");
	expect_bad("{\"jwt\":\"a\"}", "is not {\"token\": ...}");
	expect_bad("{\"token\":42}", "is not {\"token\": ...}");
	expect_bad("{\"token\":\"e30\",\"token\":\"e30\"}", "is not {\"token\": ...}");
	/* Standard-alphabet characters and stray bytes are not base64url. */
	expect_bad("{\"token\":\"ab+/\"}", "not base64url");
	expect_bad("{\"token\":\"e30 \"}", "not base64url");
	expect_bad("{\"token\":\"a\"}", "not base64url");
	/* Decodes, but not to the envelope object. */
	body = wrap(json_string("plain"), 0);
	expect_bad(body, "not the encrypted-token JSON");
	free(body);
	body = wrap(json_pack("{s:s}", "Jwt", "AAAA"), 0);
	expect_bad(body, "not the encrypted-token JSON");
	free(body);
}

/* The envelope of a good response with one member of EncryptionParams (or the envelope) replaced. */
static char *
altered(const char *where, const char *key, json_t *value)
{
	struct sealed s;
	json_t *env;

	seal(&s, 32, 12, "a.b.c", 5, "Transport Key");
	env = envelope(&s);
	if (value == NULL)
		json_object_del(strcmp(where, "params") == 0 ? json_object_get(env, "EncryptionParams") : env, key);
	else
		json_object_set_new(strcmp(where, "params") == 0 ? json_object_get(env, "EncryptionParams") : env, key, value);
	return wrap(env, 0);
}

static void
expect_altered(const char *where, const char *key, json_t *value, const char *why)
{
	char *body = altered(where, key, value);

	expect_bad(body, why);
	free(body);
}

static void
test_response_cipher(void **state)
{
	static const char *const cipher = "a cipher other than AES-128/192/256-GCM";

	(void)state;
	expect_altered("env", "EncryptionParams", NULL, "not the encrypted-token JSON");
	expect_altered("env", "EncryptionParams", json_string("AES"), "not the encrypted-token JSON");
	expect_altered("params", "Cipher", json_string("DES"), cipher);
	expect_altered("params", "Cipher", NULL, cipher);
	expect_altered("params", "BlockMode", json_string("ChainingModeCBC"), cipher);
	expect_altered("params", "BlockPadding", json_string("None"), cipher);
	expect_altered("params", "KeySizeInBits", json_integer(512), cipher);
	expect_altered("params", "KeySizeInBits", json_integer(0), cipher);
	expect_altered("params", "KeySizeInBits", json_string("256"), cipher);
	expect_altered("params", "KeySizeInBits", json_real(256.0), cipher);
}

static void
test_response_fields(void **state)
{
	static const char *const lacks = "lacks a well-formed EncryptedInnerKey, Iv, AuthenticationData or Jwt";
	uint8_t big[600];

	(void)state;
	memset(big, 1, sizeof(big));
	expect_altered("env", "EncryptedInnerKey", NULL, lacks);
	expect_altered("env", "EncryptedInnerKey", json_string(""), lacks);
	expect_altered("env", "EncryptedInnerKey", b64j(big, 513), lacks);      /* over 512 bytes */
	expect_altered("env", "EncryptedInnerKey", json_string("d3d3-_8="), lacks); /* base64url, not base64 */
	expect_altered("env", "EncryptedInnerKey", json_string("d3d3dw"), lacks);   /* unpadded */
	expect_altered("env", "EncryptedInnerKey", json_integer(1), lacks);
	expect_altered("params", "Iv", NULL, lacks);
	expect_altered("params", "Iv", b64j(big, 17), lacks);
	expect_altered("params", "Iv", b64j(big, 8), "8-byte IV and 16-byte tag");
	expect_altered("params", "Iv", b64j(big, 11), "11-byte IV");
	expect_altered("env", "AuthenticationData", NULL, lacks);
	expect_altered("env", "AuthenticationData", b64j(big, 17), lacks);
	expect_altered("env", "AuthenticationData", b64j(big, 12), "12-byte IV and 12-byte tag");
	expect_altered("env", "Jwt", NULL, lacks);
	expect_altered("env", "Jwt", json_string(""), lacks);
	expect_altered("env", "Jwt", json_null(), lacks);
}

static void
test_response_size_cap(void **state)
{
	struct sealed s;
	struct ag_maa_guest_response r;
	struct ag_err err;
	char *body, *big;
	size_t len;

	(void)state;
	seal(&s, 32, 12, "a.b.c", 5, "Transport Key");
	body = wrap(envelope(&s), 0);
	len = strlen(body);
	/* Padded with whitespace to exactly the cap: taken; one byte more: refused before parsing. */
	big = malloc(AG_MAA_MAX_RESPONSE + 2);
	assert_non_null(big);
	memset(big, ' ', AG_MAA_MAX_RESPONSE + 1);
	memcpy(big, body, len);
	assert_int_equal(ag_maa_guest_response_parse((const uint8_t *)big, AG_MAA_MAX_RESPONSE, &r, &err), AG_OK);
	ag_maa_guest_response_clear(&r);
	assert_int_equal(ag_maa_guest_response_parse((const uint8_t *)big, AG_MAA_MAX_RESPONSE + 1, &r, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "larger than"));
	assert_null(r.jwt_enc);
	free(big);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_sevsnp),
		cmocka_unit_test(test_request_tdx),
		cmocka_unit_test(test_request_bad_signatures),
		cmocka_unit_test(test_request_real_vectors),
		cmocka_unit_test(test_response_roundtrip),
		cmocka_unit_test(test_decrypt_failures),
		cmocka_unit_test(test_response_not_an_envelope),
		cmocka_unit_test(test_response_cipher),
		cmocka_unit_test(test_response_fields),
		cmocka_unit_test(test_response_size_cap),
	};

	return cmocka_run_group_tests_name("maa_guest", tests, NULL, NULL);
}
