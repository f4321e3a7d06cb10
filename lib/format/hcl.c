/*
 * format/hcl.c - HCL report parsing.  Every offset and length is checked against
 * the buffer before it is used; report_type decides where report_data is
 * (SNP: 0x50 into the report, TDX: 0x80 into the TDREPORT), never a guess.
 */
#include "format/hcl.h"

#include <openssl/evp.h>
#include <string.h>

#include "base/bytes.h"
#include "format/jwks.h"

#define HCL_MAGIC 0x414c4348u            /* "HCLA" little endian */
#define SNP_REPORT_DATA_OFFSET 0x50
#define TDX_REPORT_DATA_OFFSET 0x80

const char *
ag_hcl_report_type_name(uint32_t t)
{
	switch (t) {
	case AG_HCL_SNP:
		return "snp";
	case AG_HCL_TDX:
		return "tdx";
	case AG_HCL_TRUSTED_LAUNCH:
		return "trusted-launch";
	default:
		return "unknown";
	}
}

static const EVP_MD *
hash_of(uint32_t hash_type)
{
	switch (hash_type) {
	case 1:
		return EVP_sha256();
	case 2:
		return EVP_sha384();
	case 3:
		return EVP_sha512();
	default:
		return NULL;
	}
}

enum ag_code
ag_hcl_parse(const uint8_t *buf, size_t len, struct ag_hcl_report *r, struct ag_err *err)
{
	const uint8_t *req = buf + AG_HCL_REQUEST_OFFSET;
	uint32_t data_size, var_size;
	const EVP_MD *md;
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	json_error_t jerr;

	memset(r, 0, sizeof(*r));
	if (len > AG_HCL_MAX_BYTES)
		return ag_err_set(err, AG_EINVALID, "HCL report is %zu bytes, more than %d", len, AG_HCL_MAX_BYTES);
	if (len < AG_HCL_RUNTIME_OFFSET)
		return ag_err_set(err, AG_EINVALID, "HCL report is truncated: %zu bytes, at least %d needed", len,
		    AG_HCL_RUNTIME_OFFSET);
	if (ag_le32(buf) != HCL_MAGIC)
		return ag_err_set(err, AG_EINVALID, "not an HCL report: the magic is not \"HCLA\"");
	r->version = ag_le32(buf + 4);
	r->report_size = ag_le32(buf + 8);
	r->request_type = ag_le32(buf + 12);
	if (r->version < 1 || r->version > 2)
		return ag_err_set(err, AG_EINVALID, "HCL report version %u is not supported (1 and 2 are)", r->version);
	if (r->report_size < AG_HCL_RUNTIME_OFFSET || r->report_size > len)
		return ag_err_set(err, AG_EINVALID, "HCL report_size %u does not fit the %zu bytes read", r->report_size,
		    len);
	data_size = ag_le32(req);
	r->report_type = ag_le32(req + 8);
	r->hash_type = ag_le32(req + 12);
	var_size = ag_le32(req + 16);
	/* data_size covers the 20-byte request header and the runtime data; both must lie inside report_size. */
	if (data_size != 20u + var_size || var_size > r->report_size - AG_HCL_RUNTIME_OFFSET)
		return ag_err_set(err, AG_EINVALID, "HCL runtime data size %u (request size %u) does not fit the report",
		    var_size, data_size);
	switch (r->report_type) {
	case AG_HCL_SNP:
		r->hw_report_len = AG_HCL_HW_REPORT_SLOT;
		r->report_data = buf + AG_HCL_HW_REPORT_OFFSET + SNP_REPORT_DATA_OFFSET;
		break;
	case AG_HCL_TDX:
		r->hw_report_len = AG_HCL_TDREPORT_LEN;
		r->report_data = buf + AG_HCL_HW_REPORT_OFFSET + TDX_REPORT_DATA_OFFSET;
		break;
	case AG_HCL_TRUSTED_LAUNCH:
		return ag_err_set(err, AG_EINVALID,
		    "HCL report is from a Trusted Launch VM: it has no confidential-computing hardware report");
	default:
		return ag_err_set(err, AG_EINVALID, "HCL report_type %u is unknown", r->report_type);
	}
	r->hw_report = buf + AG_HCL_HW_REPORT_OFFSET;
	md = hash_of(r->hash_type);
	if (md == NULL)
		return ag_err_set(err, AG_EINVALID, "HCL hash_type %u is unknown", r->hash_type);
	r->runtime = buf + AG_HCL_RUNTIME_OFFSET;
	r->runtime_len = var_size;
	if (EVP_Digest(r->runtime, r->runtime_len, digest, &dlen, md, NULL) != 1)
		return ag_err_set(err, AG_EINVALID, "cannot hash the HCL runtime data");
	if (CRYPTO_memcmp(digest, r->report_data, dlen) != 0 || !ag_all_zero(r->report_data + dlen, 64 - dlen))
		return ag_err_set(err, AG_EINVALID,
		    "HCL binding mismatch: the %s report's report_data is not the hash of the runtime data",
		    ag_hcl_report_type_name(r->report_type));
	r->runtime_json = json_loadb((const char *)r->runtime, r->runtime_len, JSON_REJECT_DUPLICATES, &jerr);
	if (r->runtime_json == NULL || !json_is_object(r->runtime_json)) {
		/* The reason is built before the report (and what it points into) is cleared. */
		enum ag_code rc = ag_err_set(err, AG_EINVALID, "HCL runtime data is not a JSON object: %s",
		    r->runtime_json == NULL ? jerr.text : "another JSON type");

		ag_hcl_clear(r);
		return rc;
	}
	return AG_OK;
}

void
ag_hcl_clear(struct ag_hcl_report *r)
{
	json_decref(r->runtime_json);
	r->runtime_json = NULL;
}

enum ag_code
ag_hcl_runtime_key(const struct ag_hcl_report *r, const char *kid, EVP_PKEY **out, struct ag_err *err)
{
	const json_t *keys = json_object_get(r->runtime_json, "keys"), *k;
	size_t i;

	*out = NULL;
	json_array_foreach(keys, i, k) {
		const char *id = json_string_value(json_object_get(k, "kid"));

		if (id == NULL || strcmp(id, kid) != 0)
			continue;
		*out = ag_jwk_public_key(k);
		if (*out == NULL)
			return ag_err_set(err, AG_EINVALID, "HCL runtime data: key %s is malformed", kid);
		return AG_OK;
	}
	return ag_err_set(err, AG_EINVALID, "HCL runtime data has no %s key", kid);
}

const char *
ag_hcl_user_data(const struct ag_hcl_report *r)
{
	return json_string_value(json_object_get(r->runtime_json, "user-data"));
}
