/*
 * format/tpm_attest.c - quote and public-area checks with tpm2-tss MU for the
 * structures and OpenSSL for the digests and signatures.
 */
#include "format/tpm_attest.h"

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "base/digest.h"
#include "base/pkey.h"

static enum ag_code
check_signature(const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len, EVP_PKEY *ak,
    struct ag_err *err)
{
	TPMT_SIGNATURE ts;
	size_t off = 0, rsa_len = (size_t)EVP_PKEY_get_size(ak);
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	if (!EVP_PKEY_is_a(ak, "RSA"))
		return ag_err_set(err, AG_EINVALID, "the AK is not an RSA key");
	if (sig_len != rsa_len) {
		memset(&ts, 0, sizeof(ts));
		if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig, sig_len, &off, &ts) != TSS2_RC_SUCCESS || off != sig_len)
			return ag_err_set(err, AG_EINVALID, "quote signature is neither a TPMT_SIGNATURE nor a %zu-byte RSA signature",
			    rsa_len);
		if (ts.sigAlg != TPM2_ALG_RSASSA || ts.signature.rsassa.hash != TPM2_ALG_SHA256)
			return ag_err_set(err, AG_EINVALID, "quote signature is not RSASSA with SHA-256 (sigAlg 0x%x)",
			    (unsigned)ts.sigAlg);
		sig = ts.signature.rsassa.sig.buffer;
		sig_len = ts.signature.rsassa.sig.size;
		if (sig_len != rsa_len)
			return ag_err_set(err, AG_EINVALID, "quote signature is %zu bytes; the AK signs %zu-byte signatures",
			    sig_len, rsa_len);
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, ak) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
	    EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return ag_err_set(err, AG_EINVALID, "quote signature does not verify with the AK");
	return AG_OK;
}

/* The quote checks; the extraData check only when check_nonce. */
static enum ag_code
quote_verify(const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len, EVP_PKEY *ak, int check_nonce,
    const uint8_t *nonce, size_t nonce_len, const uint8_t *pcrs, size_t pcrs_len, struct ag_quote_info *info,
    struct ag_err *err)
{
	TPMS_ATTEST a;
	const TPMS_PCR_SELECTION *sel;
	size_t off = 0;
	uint8_t concat[AG_TPM_PCRS_LEN], digest[AG_SHA256_LEN];
	size_t n = 0;
	enum ag_code rc;

	memset(info, 0, sizeof(*info));
	memset(&a, 0, sizeof(a));
	/* The signature first: nothing in an unsigned message is worth reading. */
	rc = check_signature(msg, msg_len, sig, sig_len, ak, err);
	if (rc != AG_OK)
		return rc;
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(msg, msg_len, &off, &a) != TSS2_RC_SUCCESS || off != msg_len)
		return ag_err_set(err, AG_EINVALID, "quote message is not one TPMS_ATTEST (%zu bytes)", msg_len);
	if (a.magic != TPM2_GENERATED_VALUE)
		return ag_err_set(err, AG_EINVALID, "quote message lacks the TPM_GENERATED magic: not made by a TPM");
	if (a.type != TPM2_ST_ATTEST_QUOTE)
		return ag_err_set(err, AG_EINVALID, "attestation is of type 0x%x, not a quote", (unsigned)a.type);
	if (check_nonce && (a.extraData.size != nonce_len || !ag_ct_equal(a.extraData.buffer, nonce, nonce_len)))
		return ag_err_set(err, AG_EINVALID, "the nonce is not in the quote: it answers another request");
	if (a.attested.quote.pcrSelect.count != 1)
		return ag_err_set(err, AG_EINVALID, "quote selects %u PCR banks, expected the SHA-256 bank only",
		    (unsigned)a.attested.quote.pcrSelect.count);
	sel = &a.attested.quote.pcrSelect.pcrSelections[0];
	if (sel->hash != TPM2_ALG_SHA256 || sel->sizeofSelect < 1 || sel->sizeofSelect > 3)
		return ag_err_set(err, AG_EINVALID, "quote PCR selection is not of the SHA-256 bank (0-23)");
	if (pcrs_len != AG_TPM_PCRS_LEN)
		return ag_err_set(err, AG_EINVALID, "PCR values are %zu bytes, expected %d (PCR 0-23, SHA-256)", pcrs_len,
		    AG_TPM_PCRS_LEN);
	for (unsigned i = 0; i < 8u * sel->sizeofSelect; i++) {
		if (!(sel->pcrSelect[i / 8] & (1u << (i % 8))))
			continue;
		memcpy(concat + n, pcrs + 32 * i, 32);
		n += 32;
		info->pcr_mask |= 1u << i;
	}
	if (n == 0)
		return ag_err_set(err, AG_EINVALID, "quote selects no PCR");
	if (ag_sha256(concat, n, digest) != 0 || a.attested.quote.pcrDigest.size != AG_SHA256_LEN ||
	    !ag_ct_equal(digest, a.attested.quote.pcrDigest.buffer, AG_SHA256_LEN))
		return ag_err_set_cause(err, AG_EINVALID, AG_CAUSE_PCR_CHANGED, "the PCR values do not match the quote's PCR digest");
	info->clock = a.clockInfo.clock;
	info->reset_count = a.clockInfo.resetCount;
	return AG_OK;
}

enum ag_code
ag_quote_verify(const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len, EVP_PKEY *ak,
    const uint8_t *nonce, size_t nonce_len, const uint8_t *pcrs, size_t pcrs_len, struct ag_quote_info *info,
    struct ag_err *err)
{
	return quote_verify(msg, msg_len, sig, sig_len, ak, 1, nonce, nonce_len, pcrs, pcrs_len, info, err);
}

enum ag_code
ag_quote_verify_any_nonce(const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len, EVP_PKEY *ak,
    const uint8_t *pcrs, size_t pcrs_len, struct ag_quote_info *info, struct ag_err *err)
{
	return quote_verify(msg, msg_len, sig, sig_len, ak, 0, NULL, 0, pcrs, pcrs_len, info, err);
}

enum ag_code
ag_tpm_signature_raw(const uint8_t *sig, size_t sig_len, const uint8_t **raw, size_t *raw_len, struct ag_err *err)
{
	TPMT_SIGNATURE ts;
	size_t off = 0;

	memset(&ts, 0, sizeof(ts));
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig, sig_len, &off, &ts) != TSS2_RC_SUCCESS || off != sig_len ||
	    ts.sigAlg != TPM2_ALG_RSASSA || ts.signature.rsassa.hash != TPM2_ALG_SHA256)
		return ag_err_set(err, AG_EINVALID, "not an RSASSA SHA-256 TPMT_SIGNATURE");
	/* sig is laid out as sigAlg(2) hash(2) size(2) then the signature bytes. */
	if (sig_len != 6u + ts.signature.rsassa.sig.size)
		return ag_err_set(err, AG_EINVALID, "TPMT_SIGNATURE has trailing bytes");
	*raw = sig + 6;
	*raw_len = ts.signature.rsassa.sig.size;
	return AG_OK;
}

enum ag_code
ag_tpm_public_to_pkey(const uint8_t *buf, size_t len, int restricted_signing, EVP_PKEY **out, struct ag_err *err)
{
	TPM2B_PUBLIC pub;
	size_t off = 0;
	const TPMT_PUBLIC *p = &pub.publicArea;
	uint32_t exp;
	uint8_t e[4];

	*out = NULL;
	memset(&pub, 0, sizeof(pub));
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, &pub) != TSS2_RC_SUCCESS || off != len)
		return ag_err_set(err, AG_EINVALID, "AK public area is not one TPM2B_PUBLIC (%zu bytes)", len);
	if (p->type != TPM2_ALG_RSA)
		return ag_err_set(err, AG_EINVALID, "AK is not an RSA key (type 0x%x)", (unsigned)p->type);
	if (restricted_signing && (!(p->objectAttributes & TPMA_OBJECT_RESTRICTED) ||
				      !(p->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT) ||
				      !(p->objectAttributes & TPMA_OBJECT_FIXEDTPM)))
		return ag_err_set(err, AG_EINVALID, "AK is not a restricted signing key fixed to the TPM");
	if (p->unique.rsa.size < 256 || p->unique.rsa.size != p->parameters.rsaDetail.keyBits / 8)
		return ag_err_set(err, AG_EINVALID, "AK modulus is %u bytes; at least 256 and matching keyBits needed",
		    (unsigned)p->unique.rsa.size);
	exp = p->parameters.rsaDetail.exponent != 0 ? p->parameters.rsaDetail.exponent : 65537;
	e[0] = (uint8_t)(exp >> 24);
	e[1] = (uint8_t)(exp >> 16);
	e[2] = (uint8_t)(exp >> 8);
	e[3] = (uint8_t)exp;
	*out = ag_pkey_rsa(p->unique.rsa.buffer, p->unique.rsa.size, e, sizeof(e));
	return *out != NULL ? AG_OK : ag_err_set(err, AG_EINVALID, "cannot build the AK's RSA key");
}
