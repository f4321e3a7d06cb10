/*
 * verifier/amd_kds.c - the VCEK cache (one PEM file per chip and TCB, written with
 * the output module's atomic writer) and AMD KDS over the HTTPS client:
 * GET /vcek/v1/{product}/{hwid}?blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..
 * (DER) and /vcek/v1/{product}/cert_chain (PEM).
 */
#include "verifier/amd_kds.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/certs.h"
#include "base/digest.h"
#include "base/fileio.h"
#include "publish/output.h"

#define KDS_MAX (64 * 1024)

static void
cache_name(const struct ag_snp_report *r, char *out, size_t len)
{
	char hwid[AG_SHA256_HEX_LEN + 1];

	/* The chip by the SHA-256 of its 64-byte CHIP_ID (names stay short), and the TCB. */
	ag_sha256_hex(r->chip_id, 64, hwid);
	snprintf(out, len, "vcek-%s-%016" PRIx64 ".pem", hwid, r->reported_tcb);
}

enum ag_code
ag_amd_cache_load(const char *dir, const struct ag_snp_report *r, STACK_OF(X509) *certs, struct ag_err *err)
{
	char name[200], path[4096];
	uint8_t *data = NULL;
	size_t len = 0;
	enum ag_code rc;

	cache_name(r, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (access(path, F_OK) != 0)
		return AG_OK;
	rc = ag_file_read(path, KDS_MAX, AG_EEVIDENCE, &data, &len, err);
	if (rc == AG_OK && (rc = ag_certs_load(data, len, certs, err)) != AG_OK)
		ag_err_prefix(err, "certificate cache %s", path);
	free(data);
	return rc;
}

enum ag_code
ag_amd_cache_store(const char *dir, const struct ag_snp_report *r, const char *pem, struct ag_err *err)
{
	struct ag_output *out = NULL;
	char name[200];
	enum ag_code rc = ag_output_open_bundle(dir, &out, err);

	cache_name(r, name, sizeof(name));
	if (rc == AG_OK)
		rc = ag_output_write_file(out, name, pem, strlen(pem), 0444, err);
	ag_output_close(out);
	return rc;
}

static enum ag_code
get(const char *url, const struct ag_http_opts *o, struct ag_http_response *resp, struct ag_err *err)
{
	struct ag_http_opts h = *o;
	enum ag_code rc;

	h.max_response = KDS_MAX;
	h.allow_http = 0;
	h.unreachable = AG_EEVIDENCE;   /* KDS supplies evidence (the VCEK), it is not the verifier */
	rc = ag_http_request("GET", url, NULL, NULL, 0, &h, resp, err);
	if (rc != AG_OK) {
		ag_err_prefix(err, "AMD KDS");
		return rc;
	}
	if (resp->status != 200) {
		ag_http_response_free(resp);
		return ag_err_set(err, AG_EEVIDENCE, "AMD KDS %s answered HTTP %ld", url, resp->status);
	}
	return AG_OK;
}

enum ag_code
ag_amd_kds_vcek(const char *base, const struct ag_http_opts *o, const struct ag_snp_report *r, char **pem,
    struct ag_err *err)
{
	enum ag_snp_product p = ag_snp_product_of(r);
	struct ag_snp_tcb t = ag_snp_tcb_unpack(r->reported_tcb, p);
	struct ag_http_response vcek = { 0 }, chain = { 0 };
	STACK_OF(X509) *certs = NULL;
	char url[1024], hwid[2 * 64 + 1];
	enum ag_code rc;

	*pem = NULL;
	if (p == AG_SNP_UNKNOWN)
		return ag_err_set(err, AG_EEVIDENCE, "AMD KDS needs the CPU product, which a version %u report does not name: pass --certs",
		    r->version);
	/* Turin VCEKs are keyed by the first 8 bytes of CHIP_ID and carry an FMC SPL. */
	ag_hex_encode(r->chip_id, p == AG_SNP_TURIN ? 8 : 64, hwid);
	if (p == AG_SNP_TURIN)
		rc = ag_http_url(url, sizeof(url), err, "%s/vcek/v1/%s/%s?fmcSPL=%u&blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u",
		    base, ag_snp_product_name(p), hwid, t.fmc, t.bootloader, t.tee, t.snp, t.microcode);
	else
		rc = ag_http_url(url, sizeof(url), err, "%s/vcek/v1/%s/%s?blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u", base,
		    ag_snp_product_name(p), hwid, t.bootloader, t.tee, t.snp, t.microcode);
	if (rc == AG_OK)
		rc = get(url, o, &vcek, err);
	if (rc != AG_OK)
		return rc;
	rc = ag_http_url(url, sizeof(url), err, "%s/vcek/v1/%s/cert_chain", base, ag_snp_product_name(p));
	if (rc == AG_OK)
		rc = get(url, o, &chain, err);
	certs = sk_X509_new_null();
	if (rc == AG_OK && (certs == NULL || ag_certs_push_der(vcek.body.data, vcek.body.len, certs) != 0))
		rc = ag_err_set(err, AG_EINVALID, "AMD KDS did not answer with one DER certificate");
	if (rc == AG_OK && (rc = ag_certs_load(chain.body.data, chain.body.len, certs, err)) != AG_OK)
		ag_err_prefix(err, "AMD KDS cert_chain");
	if (rc == AG_OK && (*pem = ag_certs_to_pem(certs)) == NULL)
		rc = ag_err_set(err, AG_EEVIDENCE, "out of memory");
	sk_X509_pop_free(certs, X509_free);
	ag_http_response_free(&vcek);
	ag_http_response_free(&chain);
	return rc;
}
