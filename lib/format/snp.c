/*
 * format/snp.c - SEV-SNP report parsing and signature checking with OpenSSL.
 * Offsets follow the SEV-SNP ABI specification's ATTESTATION_REPORT table.
 */
#include "format/snp.h"

#include <openssl/err.h>
#include <string.h>

#include "base/bytes.h"
#include "base/digest.h"
#include "base/pkey.h"

#define POLICY_RESERVED_MBZ (~0ULL << 25)
#define POLICY_RESERVED_MB1 (1ULL << 17)
#define POLICY_DEBUG (1ULL << 19)

enum ag_code
ag_snp_parse(const uint8_t *b, size_t len, struct ag_snp_report *r, struct ag_err *err)
{
	uint32_t keyinfo;

	memset(r, 0, sizeof(*r));
	if (len != AG_SNP_REPORT_LEN)
		return ag_err_set(err, AG_EINVALID, "SNP report is %zu bytes, not %d", len, AG_SNP_REPORT_LEN);
	r->raw = b;
	r->version = ag_le32(b);
	if (r->version < 2 || r->version > 5)
		return ag_err_set(err, AG_EINVALID, "SNP report version %u is not supported (2 to 5 are)", r->version);
	r->guest_svn = ag_le32(b + 0x04);
	r->policy = ag_le64(b + 0x08);
	r->vmpl = ag_le32(b + 0x30);
	r->sig_algo = ag_le32(b + 0x34);
	r->current_tcb = ag_le64(b + 0x38);
	r->platform_info = ag_le64(b + 0x40);
	keyinfo = ag_le32(b + 0x48);
	r->author_key_en = keyinfo & 1;
	r->mask_chip_key = (keyinfo >> 1) & 1;
	r->report_data = b + 0x50;
	r->measurement = b + 0x90;
	r->host_data = b + 0xC0;
	r->reported_tcb = ag_le64(b + 0x180);
	r->chip_id = b + 0x1A0;
	r->committed_tcb = ag_le64(b + 0x1E0);
	r->launch_tcb = ag_le64(b + 0x1F0);
	if (r->policy & POLICY_RESERVED_MBZ)
		return ag_err_set(err, AG_EINVALID, "SNP report POLICY has reserved bits set (0x%llx)",
		    (unsigned long long)r->policy);
	if (!(r->policy & POLICY_RESERVED_MB1))
		return ag_err_set(err, AG_EINVALID, "SNP report POLICY bit 17 (reserved, must be one) is clear");
	if (r->vmpl > 3)
		return ag_err_set(err, AG_EINVALID, "SNP report VMPL %u is out of range", r->vmpl);
	if (r->sig_algo != 1)
		return ag_err_set(err, AG_EINVALID, "SNP report SIGNATURE_ALGO %u is not ECDSA P-384 with SHA-384", r->sig_algo);
	switch ((keyinfo >> 2) & 7) {
	case 0:
		r->signer = AG_SNP_VCEK;
		break;
	case 1:
		r->signer = AG_SNP_VLEK;
		break;
	case 7:
		return ag_err_set(err, AG_EINVALID, "SNP report is unsigned (SIGNING_KEY none)");
	default:
		return ag_err_set(err, AG_EINVALID, "SNP report SIGNING_KEY %u is reserved", (keyinfo >> 2) & 7);
	}
	if (keyinfo >> 5)
		return ag_err_set(err, AG_EINVALID, "SNP report KEY_INFO has reserved bits set");
	if (!ag_all_zero(b + 0x4C, 4))
		return ag_err_set(err, AG_EINVALID, "SNP report reserved field at 0x4C is not zero");
	if (r->version >= 3) {
		r->cpuid_fam = b[0x188];
		r->cpuid_model = b[0x189];
		r->cpuid_step = b[0x18A];
		if (!ag_all_zero(b + 0x18B, 0x1A0 - 0x18B))
			return ag_err_set(err, AG_EINVALID, "SNP report reserved field at 0x18B is not zero");
	} else if (!ag_all_zero(b + 0x188, 0x1A0 - 0x188)) {
		return ag_err_set(err, AG_EINVALID, "SNP report reserved field at 0x188 is not zero");
	}
	if (b[0x1EB] != 0 || b[0x1EF] != 0)
		return ag_err_set(err, AG_EINVALID, "SNP report reserved bytes in the firmware versions are not zero");
	/* v5 puts mitigation vectors at 0x1F8..0x207; the rest up to the signature is reserved. */
	if (!ag_all_zero(b + (r->version >= 5 ? 0x208 : 0x1F8), AG_SNP_SIGNED_LEN - (r->version >= 5 ? 0x208 : 0x1F8)))
		return ag_err_set(err, AG_EINVALID, "SNP report reserved field before the signature is not zero");
	if (r->mask_chip_key && !ag_all_zero(r->chip_id, 64))
		return ag_err_set(err, AG_EINVALID, "SNP report masks the chip key but carries a CHIP_ID");
	if (!ag_all_zero(b + 0x2A0 + 144, AG_SNP_REPORT_LEN - 0x2A0 - 144))
		return ag_err_set(err, AG_EINVALID, "SNP report signature area has non-zero reserved bytes");
	return AG_OK;
}

enum ag_snp_product
ag_snp_product_of(const struct ag_snp_report *r)
{
	if (r->version < 3)
		return AG_SNP_UNKNOWN;
	if (r->cpuid_fam == 0x19 && r->cpuid_model <= 0x0F)
		return AG_SNP_MILAN;
	if (r->cpuid_fam == 0x19 && ((r->cpuid_model >= 0x10 && r->cpuid_model <= 0x1F) ||
					(r->cpuid_model >= 0xA0 && r->cpuid_model <= 0xAF)))
		return AG_SNP_GENOA;
	if (r->cpuid_fam == 0x1A && r->cpuid_model <= 0x1F)
		return AG_SNP_TURIN;
	return AG_SNP_UNKNOWN;
}

const char *
ag_snp_product_name(enum ag_snp_product p)
{
	static const char *const names[] = { "unknown", "Milan", "Genoa", "Turin" };

	return names[p];
}

struct ag_snp_tcb
ag_snp_tcb_unpack(uint64_t t, enum ag_snp_product p)
{
	struct ag_snp_tcb v = { 0 };

	if (p == AG_SNP_TURIN) {
		v.fmc = (uint8_t)t;
		v.bootloader = (uint8_t)(t >> 8);
		v.tee = (uint8_t)(t >> 16);
		v.snp = (uint8_t)(t >> 24);
	} else {
		v.bootloader = (uint8_t)t;
		v.tee = (uint8_t)(t >> 8);
		v.snp = (uint8_t)(t >> 48);
	}
	v.microcode = (uint8_t)(t >> 56);
	return v;
}

enum ag_code
ag_snp_verify_signature(const struct ag_snp_report *r, EVP_PKEY *key, struct ag_err *err)
{
	const uint8_t *sig = r->raw + AG_SNP_SIGNED_LEN;
	uint8_t *der;
	size_t der_len = 0;
	EVP_MD_CTX *ctx = NULL;
	int ok = 0;

	/* R and S are 72-byte little-endian fields of which P-384 uses 48. */
	if (!ag_all_zero(sig + 48, 24) || !ag_all_zero(sig + 72 + 48, 24))
		return ag_err_set(err, AG_EINVALID, "SNP report signature is not a P-384 signature");
	der = ag_ecdsa_der(sig, sig + 72, 48, 1, &der_len);
	if (der == NULL)
		return ag_err_set(err, AG_EINVALID, "cannot decode the SNP report signature");
	ctx = EVP_MD_CTX_new();
	if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) == 1)
		ok = EVP_DigestVerify(ctx, der, der_len, r->raw, AG_SNP_SIGNED_LEN) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ERR_clear_error();
	if (!ok)
		return ag_err_set(err, AG_EINVALID,
		    "SNP report signature does not verify with the %s: the signed fields (MEASUREMENT, REPORT_DATA, HOST_DATA, POLICY, ...) were altered or another key signed",
		    r->signer == AG_SNP_VLEK ? "VLEK" : "VCEK");
	return AG_OK;
}

static json_t *
hex(const uint8_t *p, size_t n)
{
	char buf[2 * 64 + 1];

	ag_hex_encode(p, n, buf);
	return json_string(buf);
}

json_t *
ag_snp_claims(const struct ag_snp_report *r, enum ag_snp_product p)
{
	struct ag_snp_tcb t = ag_snp_tcb_unpack(r->reported_tcb, p);
	const uint8_t *b = r->raw;

	return json_pack("{s:s, s:o, s:i, s:o, s:i, s:o, s:o, s:o, s:b, s:o, s:i, s:b, s:o, s:o, s:b, s:i, s:i, s:i, s:s, s:s, s:o}",
	    "x-ms-attestation-type", "sevsnpvm", "x-ms-sevsnpvm-authorkeydigest", hex(b + 0x110, 48),
	    "x-ms-sevsnpvm-bootloader-svn", t.bootloader, "x-ms-sevsnpvm-familyId", hex(b + 0x10, 16),
	    "x-ms-sevsnpvm-guestsvn", (int)r->guest_svn, "x-ms-sevsnpvm-hostdata", hex(r->host_data, 32),
	    "x-ms-sevsnpvm-idkeydigest", hex(b + 0xE0, 48), "x-ms-sevsnpvm-imageId", hex(b + 0x20, 16),
	    "x-ms-sevsnpvm-is-debuggable", (int)((r->policy & POLICY_DEBUG) != 0), "x-ms-sevsnpvm-launchmeasurement",
	    hex(r->measurement, 48), "x-ms-sevsnpvm-microcode-svn", t.microcode, "x-ms-sevsnpvm-migration-allowed",
	    (int)((r->policy >> 18) & 1), "x-ms-sevsnpvm-reportdata", hex(r->report_data, 64), "x-ms-sevsnpvm-reportid",
	    hex(b + 0x140, 32), "x-ms-sevsnpvm-smt-allowed", (int)((r->policy >> 16) & 1), "x-ms-sevsnpvm-snpfw-svn",
	    t.snp, "x-ms-sevsnpvm-tee-svn", t.tee, "x-ms-sevsnpvm-vmpl", (int)r->vmpl, "x-attestgate-snp-product",
	    ag_snp_product_name(p), "x-attestgate-snp-signing-key", r->signer == AG_SNP_VLEK ? "vlek" : "vcek",
	    "x-attestgate-snp-chip-id", hex(r->chip_id, 64));
}
