/*
 * format/amd_certs.c - AMD certificate handling with OpenSSL: X509_verify for
 * each link (the RSA-PSS parameters come from the certificates), explicit
 * validity checks, fingerprints against the compiled-in pins.
 */
#include "format/amd_certs.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/digest.h"
#include "base/certs.h"

enum amd_role { ROLE_ARK, ROLE_ASK, ROLE_ASVK };

/* SHA-256 of the DER of AMD's published certificates (values from ../shared/data/amd/SOURCES.txt). */
static const struct pin {
	enum ag_snp_product product;
	enum amd_role role;
	const char *sha256;
} pins[] = {
	{ AG_SNP_MILAN, ROLE_ARK, "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd" },
	{ AG_SNP_MILAN, ROLE_ASK, "67d303bd3905fd38db8b20e0793699870e7fa612eaad5dec358293fd8c0bac1b" },
	{ AG_SNP_MILAN, ROLE_ASVK, "c5e081f59b7efab1fe2f8b505e159704e72f29cab7ef7cf628a05a42439082f5" },
	{ AG_SNP_GENOA, ROLE_ARK, "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1" },
	{ AG_SNP_GENOA, ROLE_ASK, "5464738c1546aed5f2cecf1dc98c5c960a92e8913238a61711bc90ec6e828521" },
	{ AG_SNP_GENOA, ROLE_ASVK, "197e610743a917d6b9bb982a5a9226ccc0a15b611be0619e626aca9151457372" },
	{ AG_SNP_TURIN, ROLE_ARK, "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a" },
	{ AG_SNP_TURIN, ROLE_ASK, "5b77ef5fe7a7a004fd9032668fba9d0fda22f88c4442069a479636a6ae3b3185" },
	{ AG_SNP_TURIN, ROLE_ASVK, "104e10a8bd060a3c20a434261a57d0588fd65a88915b4f65b08bdecaf8df1a3c" },
};

static const struct pin *
pinned(X509 *c)
{
	char fp[AG_SHA256_HEX_LEN + 1];

	ag_cert_sha256_hex(c, fp);
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++)
		if (strcmp(pins[i].sha256, fp) == 0)
			return &pins[i];
	return NULL;
}

/* The INTEGER inside an extension value, or -1. */
static long
ext_integer(const ASN1_OCTET_STRING *v)
{
	const unsigned char *p = ASN1_STRING_get0_data(v);
	ASN1_INTEGER *i = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(v));
	long n = -1;

	if (i != NULL && p == ASN1_STRING_get0_data(v) + ASN1_STRING_length(v))
		n = ASN1_INTEGER_get(i);
	ASN1_INTEGER_free(i);
	return n;
}

enum ag_code
ag_amd_cert_info(X509 *cert, struct ag_amd_cert_info *info, struct ag_err *err)
{
	int n = X509_get_ext_count(cert), spl_seen = 0;
	long spl[10];

	memset(info, 0, sizeof(*info));
	for (int i = 0; i < 10; i++)
		spl[i] = -1;
	for (int i = 0; i < n; i++) {
		X509_EXTENSION *ext = X509_get_ext(cert, i);
		const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
		const unsigned char *d = ASN1_STRING_get0_data(v);
		int len = ASN1_STRING_length(v);
		/* AMD's arc 1.3.6.1.4.1.3704.1, DER-encoded: only its extensions are turned into text (obj2txt is costly). */
		static const unsigned char amd_arc[] = { 0x2B, 0x06, 0x01, 0x04, 0x01, 0x9C, 0x78, 0x01 };
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
		char oid[80];

		if (OBJ_length(obj) <= sizeof(amd_arc) || memcmp(OBJ_get0_data(obj), amd_arc, sizeof(amd_arc)) != 0)
			continue;
		if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0 || strncmp(oid, "1.3.6.1.4.1.3704.1.", 19) != 0)
			continue;
		if (strcmp(oid + 19, "2") == 0 || strcmp(oid + 19, "5") == 0) {
			const unsigned char *p = d;
			ASN1_IA5STRING *s = d2i_ASN1_IA5STRING(NULL, &p, len);
			char *dst = oid[19] == '2' ? info->product_name : info->csp_id;
			size_t cap = oid[19] == '2' ? sizeof(info->product_name) : sizeof(info->csp_id);

			if (s == NULL || ASN1_STRING_length(s) >= (int)cap) {
				ASN1_IA5STRING_free(s);
				return ag_err_set(err, AG_EINVALID, "AMD certificate extension %s is malformed", oid);
			}
			memcpy(dst, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
			dst[ASN1_STRING_length(s)] = '\0';
			ASN1_IA5STRING_free(s);
		} else if (strncmp(oid + 19, "3.", 2) == 0) {
			int k = atoi(oid + 21);

			if (k < 1 || k > 9 || (spl[k] = ext_integer(v)) < 0 || spl[k] > 255)
				return ag_err_set(err, AG_EINVALID, "AMD certificate TCB extension %s is malformed", oid);
			spl_seen = 1;
		} else if (strcmp(oid + 19, "4") == 0) {
			/* HWID: raw bytes, or (newer certificates) an OCTET STRING of the 64-byte (or Turin's 8-byte) ID;
			 * only those lengths are unwrapped, so a raw ID that starts 04 3E stays whole. */
			if (len >= 2 && d[0] == 0x04 && d[1] == len - 2 && (len - 2 == 64 || len - 2 == 8)) {
				d += 2;
				len -= 2;
			}
			if (len < 1 || len > 64)
				return ag_err_set(err, AG_EINVALID, "AMD certificate HWID is %d bytes", len);
			memcpy(info->hwid, d, (size_t)len);
			info->hwid_len = (size_t)len;
		}
	}
	if (strncasecmp(info->product_name, "Milan", 5) == 0)
		info->product = AG_SNP_MILAN;
	else if (strncasecmp(info->product_name, "Genoa", 5) == 0)
		info->product = AG_SNP_GENOA;
	else if (strncasecmp(info->product_name, "Turin", 5) == 0)
		info->product = AG_SNP_TURIN;
	if (spl_seen) {
		if (spl[1] < 0 || spl[2] < 0 || spl[3] < 0 || spl[8] < 0)
			return ag_err_set(err, AG_EINVALID, "AMD certificate lacks a TCB component (bl, tee, snp, ucode)");
		info->has_tcb = 1;
		info->tcb.bootloader = (uint8_t)spl[1];
		info->tcb.tee = (uint8_t)spl[2];
		info->tcb.snp = (uint8_t)spl[3];
		info->tcb.microcode = (uint8_t)spl[8];
		info->tcb.fmc = spl[9] >= 0 ? (uint8_t)spl[9] : 0;
	}
	return AG_OK;
}

static const uint8_t guid_vcek[16] = { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd };
static const uint8_t guid_vlek[16] = { 0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1 };
static const uint8_t guid_ask[16] = { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 };
static const uint8_t guid_ark[16] = { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae };

enum ag_code
ag_amd_cert_table_parse(const uint8_t *buf, size_t len, STACK_OF(X509) *certs, struct ag_err *err)
{
	static const uint8_t zero_guid[16];

	for (size_t i = 0; i < AG_CERTS_MAX; i++) {
		const uint8_t *e = buf + 24 * i;
		uint32_t off, n;

		if (24 * (i + 1) > len)
			return ag_err_set(err, AG_EINVALID, "cert table is truncated: no terminating entry");
		if (memcmp(e, zero_guid, 16) == 0)
			return AG_OK;
		off = ag_le32(e + 16);
		n = ag_le32(e + 20);
		if (off > len || n > len - off || n == 0)
			return ag_err_set(err, AG_EINVALID, "cert table entry %zu points outside the table", i);
		if (memcmp(e, guid_vcek, 16) != 0 && memcmp(e, guid_vlek, 16) != 0 && memcmp(e, guid_ask, 16) != 0 &&
		    memcmp(e, guid_ark, 16) != 0)
			continue; /* other certificates (e.g. ASVK, CRLs) are not needed to verify */
		if (ag_certs_push_der(buf + off, n, certs) != 0)
			return ag_err_set(err, AG_EINVALID, "cert table entry %zu is not one DER certificate", i);
	}
	return ag_err_set(err, AG_EINVALID, "cert table has more than %d entries", AG_CERTS_MAX);
}

enum ag_code
ag_amd_certs_load(const uint8_t *buf, size_t len, STACK_OF(X509) *certs, struct ag_err *err)
{
	if (len > 10 && memmem(buf, len, "-----BEGIN CERTIFICATE-----", 27) != NULL)
		return ag_certs_load(buf, len, certs, err);
	if (len > 2 && buf[0] == 0x30 && ag_certs_push_der(buf, len, certs) == 0)
		return AG_OK;
	return ag_amd_cert_table_parse(buf, len, certs, err);
}

/* A certificate in pool whose subject is cert's issuer and whose key signed cert. */
static X509 *
find_issuer(X509 *cert, STACK_OF(X509) *pool)
{
	for (int i = 0; pool != NULL && i < sk_X509_num(pool); i++) {
		X509 *c = sk_X509_value(pool, i);
		EVP_PKEY *k = X509_get0_pubkey(c);

		if (X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(cert)) == 0 && k != NULL &&
		    X509_verify(cert, k) == 1)
			return c;
	}
	ERR_clear_error();
	return NULL;
}

X509 *
ag_snp_leaf(const struct ag_snp_report *r, STACK_OF(X509) *certs)
{
	X509 *first = NULL;

	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *c = sk_X509_value(certs, i);
		EVP_PKEY *k = X509_get0_pubkey(c);
		struct ag_amd_cert_info info;
		struct ag_err e;

		if (k == NULL || !EVP_PKEY_is_a(k, "EC"))
			continue;
		if (first == NULL)
			first = c;
		if (ag_amd_cert_info(c, &info, &e) == AG_OK && info.hwid_len > 0 &&
		    memcmp(info.hwid, r->chip_id, info.hwid_len) == 0)
			return c;
	}
	return first;
}

/*
 * Whose chain this is: in production both the intermediate and the root are
 * pinned AMD certificates of one product (which becomes *product); with test
 * roots, the root must be one of them.
 */
static enum ag_code
trusted_product(const struct ag_snp_report *r, X509 *mid, X509 *root, STACK_OF(X509) *test_roots,
    const struct ag_amd_cert_info *info, enum ag_snp_product *product, struct ag_err *err)
{
	const struct pin *mid_pin, *root_pin;
	char cn[128];

	mid_pin = pinned(mid);
	root_pin = pinned(root);
	if (test_roots == NULL || mid_pin != NULL || root_pin != NULL) {
		/* Production trust: both the intermediate and the root must be AMD's, of the same product. */
		if (root_pin == NULL || root_pin->role != ROLE_ARK)
			return ag_err_set(err, AG_EINVALID, "the root %s is not a pinned AMD ARK", ag_cert_cn(root, cn, sizeof(cn)));
		if (mid_pin == NULL || mid_pin->product != root_pin->product ||
		    mid_pin->role != (r->signer == AG_SNP_VLEK ? ROLE_ASVK : ROLE_ASK))
			return ag_err_set(err, AG_EINVALID, "%s is not the pinned AMD %s of %s", ag_cert_cn(mid, cn, sizeof(cn)),
			    r->signer == AG_SNP_VLEK ? "ASVK" : "ASK", ag_snp_product_name(root_pin->product));
		if (*product != AG_SNP_UNKNOWN && *product != root_pin->product)
			return ag_err_set(err, AG_EINVALID, "the report is from a %s CPU but is certified by the %s chain",
			    ag_snp_product_name(*product), ag_snp_product_name(root_pin->product));
		*product = root_pin->product;
	} else {
		int listed = 0;

		for (int i = 0; i < sk_X509_num(test_roots); i++)
			listed |= X509_cmp(sk_X509_value(test_roots, i), root) == 0;
		if (!listed)
			return ag_err_set(err, AG_EINVALID, "the root %s is neither a pinned AMD ARK nor a given test root",
			    ag_cert_cn(root, cn, sizeof(cn)));
		if (*product == AG_SNP_UNKNOWN)
			*product = info->product != AG_SNP_UNKNOWN ? info->product : AG_SNP_MILAN;
	}
	return AG_OK;
}

/* The leaf is this chip's (CHIP_ID = HWID, unless masked) and was issued for the report's REPORTED_TCB. */
static enum ag_code
check_leaf_binding(const struct ag_snp_report *r, const struct ag_amd_cert_info *info, enum ag_snp_product product,
    struct ag_err *err)
{
	if (r->signer == AG_SNP_VCEK && !r->mask_chip_key) {
		uint8_t acc = 0;

		if (info->hwid_len == 0 || CRYPTO_memcmp(info->hwid, r->chip_id, info->hwid_len) != 0)
			return ag_err_set(err, AG_EINVALID, "CHIP_ID is not the HWID of the VCEK: the report is from another chip");
		for (size_t i = info->hwid_len; i < 64; i++)
			acc |= r->chip_id[i];
		if (acc != 0)
			return ag_err_set(err, AG_EINVALID, "CHIP_ID is not the HWID of the VCEK: the report is from another chip");
	}
	{
		struct ag_snp_tcb t = ag_snp_tcb_unpack(r->reported_tcb, product);

		if (t.bootloader != info->tcb.bootloader || t.tee != info->tcb.tee || t.snp != info->tcb.snp ||
		    t.microcode != info->tcb.microcode || (product == AG_SNP_TURIN && t.fmc != info->tcb.fmc))
			return ag_err_set(err, AG_EINVALID,
			    "REPORTED_TCB (bl %u tee %u snp %u ucode %u) is not the TCB the certificate was issued for (bl %u tee %u snp %u ucode %u)",
			    t.bootloader, t.tee, t.snp, t.microcode, info->tcb.bootloader, info->tcb.tee, info->tcb.snp,
			    info->tcb.microcode);
	}
	return AG_OK;
}

enum ag_code
ag_snp_verify(const struct ag_snp_report *r, STACK_OF(X509) *certs, STACK_OF(X509) *test_roots, time_t at,
    json_t **claims, struct ag_err *err)
{
	struct ag_amd_cert_info info;
	enum ag_snp_product product = ag_snp_product_of(r);
	X509 *leaf, *mid, *root;
	char cn[128];
	enum ag_code rc;

	*claims = NULL;
	leaf = ag_snp_leaf(r, certs);
	if (leaf == NULL)
		return ag_err_set(err, AG_EEVIDENCE,
		    "no %s certificate for the SNP report: pass it with --certs, or let attestgate fetch it (--cert-cache DIR, "
		    "THIM on Azure, --amd-kds-url https://kdsintf.amd.com)", r->signer == AG_SNP_VLEK ? "VLEK" : "VCEK");
	rc = ag_amd_cert_info(leaf, &info, err);
	if (rc != AG_OK)
		return rc;
	/* The chain: leaf <- ASK/ASVK <- ARK, every link by signature, names and validity. */
	mid = find_issuer(leaf, certs);
	if (mid == NULL && test_roots != NULL)
		mid = find_issuer(leaf, test_roots);
	if (mid == NULL)
		return ag_err_set(err, AG_EINVALID, "no certificate given that signed the %s (%s): pass the ASK/ASVK (--certs or --roots)",
		    r->signer == AG_SNP_VLEK ? "VLEK" : "VCEK", ag_cert_cn(leaf, cn, sizeof(cn)));
	root = find_issuer(mid, certs);
	if (root == NULL && test_roots != NULL)
		root = find_issuer(mid, test_roots);
	if (root == NULL)
		return ag_err_set(err, AG_EINVALID, "no ARK given that signed %s: pass the AMD roots (--roots)",
		    ag_cert_cn(mid, cn, sizeof(cn)));
	if (X509_verify(root, X509_get0_pubkey(root)) != 1) {
		ERR_clear_error();
		return ag_err_set(err, AG_EINVALID, "the ARK is not self-signed");
	}
	rc = trusted_product(r, mid, root, test_roots, &info, &product, err);
	if (rc != AG_OK)
		return rc;
	if (info.product != AG_SNP_UNKNOWN && info.product != product)
		return ag_err_set(err, AG_EINVALID, "the %s says product %s, the chain %s", r->signer == AG_SNP_VLEK ? "VLEK" : "VCEK",
		    info.product_name, ag_snp_product_name(product));
	if (!ag_cert_valid_at(leaf, at) || !ag_cert_valid_at(mid, at) || !ag_cert_valid_at(root, at))
		return ag_err_set(err, AG_EINVALID, "a certificate of the chain is not valid at the verification time (expired? pin the time with --at)");
	if (!info.has_tcb)
		return ag_err_set(err, AG_EINVALID, "the %s carries no TCB extensions", r->signer == AG_SNP_VLEK ? "VLEK" : "VCEK");
	rc = check_leaf_binding(r, &info, product, err);
	if (rc != AG_OK)
		return rc;
	rc = ag_snp_verify_signature(r, X509_get0_pubkey(leaf), err);
	if (rc != AG_OK)
		return rc;
	*claims = ag_snp_claims(r, product);
	if (*claims != NULL && info.csp_id[0] != '\0')
		json_object_set_new(*claims, "x-attestgate-snp-csp-id", json_string(info.csp_id));
	return *claims != NULL ? AG_OK : ag_err_set(err, AG_EINVALID, "out of memory");
}

enum ag_code
ag_snp_verify_dirs(const struct ag_snp_report *r, STACK_OF(X509) *certs, const char *roots_dir, int roots_required,
    const char *test_roots_dir, time_t at, json_t **claims, struct ag_err *err)
{
	STACK_OF(X509) *test = NULL;
	enum ag_code rc;

	*claims = NULL;
	rc = ag_certs_load_trust(roots_dir, roots_required, test_roots_dir, certs, &test, err);
	if (rc == AG_OK)
		rc = ag_snp_verify(r, certs, test, at, claims, err);
	sk_X509_pop_free(test, X509_free);
	return rc;
}
