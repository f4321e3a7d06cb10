/*
 * format/nvidia_rim.c - NVIDIA RIMs read with libxml2 and verified with
 * xmlsec1's OpenSSL backend.  The measurements are read only from the
 * places the enveloped signature covers (SoftwareIdentity/Payload, never
 * from inside the Signature), the document has exactly one Signature with
 * one Reference to the whole document, and xmlsec is handed the key of the
 * leaf certificate this module verified to the pinned root itself: the
 * KeyInfo of the document is never trusted for a key.
 */
#include "format/nvidia_rim.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include "base/certs.h"
#include "base/digest.h"

#define NS_SWID "http://standards.iso.org/iso/19770/-2/2015/schema.xsd"
#define NS_TCG_RIM "https://trustedcomputinggroup.org/resource/tcg-reference-integrity-manifest-rim-information-model/"
#define NS_HASH "http://www.w3.org/2001/04/xmlenc#sha384"
#define NS_DSIG "http://www.w3.org/2000/09/xmldsig#"
#define RIM_MAX_INDEX 254      /* RIM index i is block i + 1, at most 255 */

/* libxml2 and xmlsec report through these; the gate reports through ag_err. */
static void
quiet_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
quiet_structured(void *ctx, const xmlError *e)
{
	(void)ctx;
	(void)e;
}

/* Once per process: libxml2's parser, xmlsec and its OpenSSL backend, all silent. */
static int
xml_init(void)
{
	static int state;   /* 0 not yet, 1 ready, -1 failed */

	if (state != 0)
		return state;
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, quiet_generic);
	xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)quiet_structured);
	xmlSecErrorsDefaultCallbackEnableOutput(0);
	state = xmlSecInit() == 0 && xmlSecCheckVersion() == 1 && xmlSecCryptoAppInit(NULL) == 0 && xmlSecCryptoInit() == 0 ?
	    1 : -1;
	return state;
}

/* Nonzero when node is an element called name in namespace ns. */
static int
is_element(const xmlNode *node, const char *ns, const char *name)
{
	return node != NULL && node->type == XML_ELEMENT_NODE && node->ns != NULL &&
	    xmlStrcmp(node->ns->href, (const xmlChar *)ns) == 0 && xmlStrcmp(node->name, (const xmlChar *)name) == 0;
}

/* The one child element of parent called name in ns: *out, or -1 when there is none or more than one. */
static int
only_child(const xmlNode *parent, const char *ns, const char *name, xmlNode **out)
{
	*out = NULL;
	for (xmlNode *c = parent->children; c != NULL; c = c->next) {
		if (!is_element(c, ns, name))
			continue;
		if (*out != NULL)
			return -1;
		*out = c;
	}
	return *out != NULL ? 0 : -1;
}

/* Counts the elements called name in ns in the whole subtree of node. */
static size_t
count_elements(const xmlNode *node, const char *ns, const char *name)
{
	size_t n = 0;

	for (const xmlNode *c = node; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		n += is_element(c, ns, name) ? 1 : 0;
		n += count_elements(c->children, ns, name);
	}
	return n;
}

/* An attribute as text into buf (without a namespace when ns is NULL); -1 when absent or too long. */
static int
attr(xmlNode *node, const char *ns, const char *name, char *buf, size_t size)
{
	xmlChar *v = ns != NULL ? xmlGetNsProp(node, (const xmlChar *)name, (const xmlChar *)ns) :
				  xmlGetNoNsProp(node, (const xmlChar *)name);
	size_t n = v != NULL ? strlen((const char *)v) : 0;
	int rc = v != NULL && n < size ? 0 : -1;

	if (rc == 0)
		memcpy(buf, v, n + 1);
	xmlFree(v);
	return rc;
}

/* A decimal attribute in [0, max]; -1 otherwise. */
static long
attr_number(xmlNode *node, const char *name, long max)
{
	char buf[16], *end;
	long v;

	if (attr(node, NULL, name, buf, sizeof(buf)) != 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	v = strtol(buf, &end, 10);
	return *end == '\0' && v <= max ? v : -1;
}

/* One Resource of type Measurement; *active says whether it counts, m gets it when it does. */
static enum ag_code
read_measurement(xmlNode *res, struct ag_nv_rim_measurement *m, int *active, struct ag_err *err)
{
	char flag[8], hash[2 * AG_NV_RIM_HASH_MAX + 1], name[16];
	long index = attr_number(res, "index", RIM_MAX_INDEX), alts = attr_number(res, "alternatives",
	    AG_NV_RIM_MAX_ALTERNATIVES), size = attr_number(res, "size", AG_NV_RIM_HASH_MAX);

	if (attr(res, NULL, "active", flag, sizeof(flag)) != 0 || (strcmp(flag, "True") != 0 && strcmp(flag, "False") != 0))
		return ag_err_set(err, AG_EINVALID, "RIM: a measurement has no active=\"True\"/\"False\"");
	if (index < 0 || alts < 1 || size < 1)
		return ag_err_set(err, AG_EINVALID, "RIM: a measurement has no valid index (0..%d), alternatives (1..%d) or "
		    "size (1..%d)", RIM_MAX_INDEX, AG_NV_RIM_MAX_ALTERNATIVES, AG_NV_RIM_HASH_MAX);
	*active = strcmp(flag, "True") == 0;
	memset(m, 0, sizeof(*m));
	m->index = (unsigned)index;
	m->size = (size_t)size;
	m->n_alternatives = (size_t)alts;
	for (long k = 0; k < alts; k++) {
		snprintf(name, sizeof(name), "Hash%ld", k);
		if (attr(res, NS_HASH, name, hash, sizeof(hash)) != 0 || strlen(hash) != 2 * (size_t)size ||
		    ag_hex_decode(hash, m->alternatives[k], (size_t)size) != 0)
			return ag_err_set(err, AG_EINVALID, "RIM: measurement %ld's %s is not %ld bytes of hex", index, name,
			    size);
	}
	return AG_OK;
}

/* The Payload's measurement Resources: the active ones into rim, indices distinct among all. */
static enum ag_code
read_payload(xmlNode *payload, struct ag_nv_rim *rim, struct ag_err *err)
{
	uint8_t seen[RIM_MAX_INDEX + 1] = { 0 };
	char type[32];
	enum ag_code rc;

	if ((rim->measurements = calloc(AG_NV_RIM_MAX_MEASUREMENTS, sizeof(*rim->measurements))) == NULL)
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	for (xmlNode *c = payload->children; c != NULL; c = c->next) {
		struct ag_nv_rim_measurement m;
		int active = 0;

		if (!is_element(c, NS_SWID, "Resource"))
			continue;
		if (attr(c, NULL, "type", type, sizeof(type)) != 0 || strcmp(type, "Measurement") != 0)
			continue;
		if ((rc = read_measurement(c, &m, &active, err)) != AG_OK)
			return rc;
		if (seen[m.index]++)
			return ag_err_set(err, AG_EINVALID, "RIM: measurement index %u appears twice", m.index);
		/* Distinct indices 0..RIM_MAX_INDEX: never more active ones than the array holds. */
		if (active)
			rim->measurements[rim->n_measurements++] = m;
	}
	return AG_OK;
}

/* The Signature's X509Certificates (base64 DER), in document order. */
static enum ag_code
read_certs(xmlNode *sig, struct ag_nv_rim *rim, struct ag_err *err)
{
	xmlNode *ki = NULL, *x509 = NULL;

	if ((rim->certs = sk_X509_new_null()) == NULL)
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	if (only_child(sig, NS_DSIG, "KeyInfo", &ki) != 0 || only_child(ki, NS_DSIG, "X509Data", &x509) != 0)
		return ag_err_set(err, AG_EINVALID, "RIM: the Signature has no KeyInfo/X509Data with the signer's chain");
	for (xmlNode *c = x509->children; c != NULL; c = c->next) {
		xmlChar *text;
		enum ag_code rc;
		size_t n = 0;

		if (!is_element(c, NS_DSIG, "X509Certificate"))
			continue;
		if (sk_X509_num(rim->certs) == AG_NV_RIM_MAX_CERTS)
			return ag_err_set(err, AG_EINVALID, "RIM: more than %d certificates", AG_NV_RIM_MAX_CERTS);
		text = xmlNodeGetContent(c);
		n = text != NULL ? strlen((const char *)text) : 0;
		rc = text != NULL ? ag_certs_load_b64(text, n, rim->certs, err) : AG_EINVALID;
		xmlFree(text);
		if (rc != AG_OK)
			return ag_err_set(err, AG_EINVALID, "RIM: an X509Certificate is not a base64 DER certificate");
	}
	if (sk_X509_num(rim->certs) == 0)
		return ag_err_set(err, AG_EINVALID, "RIM: the Signature carries no X509Certificate");
	return AG_OK;
}

/* Meta, Payload and Signature of the SoftwareIdentity root. */
static enum ag_code
read_tree(xmlNode *root, struct ag_nv_rim *rim, struct ag_err *err)
{
	xmlNode *meta, *payload, *sig;
	enum ag_code rc;

	if (!is_element(root, NS_SWID, "SoftwareIdentity"))
		return ag_err_set(err, AG_EINVALID, "RIM: the document is not a SWID SoftwareIdentity");
	if (only_child(root, NS_SWID, "Meta", &meta) != 0 || only_child(root, NS_SWID, "Payload", &payload) != 0)
		return ag_err_set(err, AG_EINVALID, "RIM: the SoftwareIdentity needs exactly one Meta and one Payload");
	if (count_elements(root, NS_DSIG, "Signature") != 1 || only_child(root, NS_DSIG, "Signature", &sig) != 0)
		return ag_err_set(err, AG_EINVALID, "RIM: the SoftwareIdentity needs exactly one Signature, as its child");
	if (attr(meta, NULL, "colloquialVersion", rim->version, sizeof(rim->version)) != 0 || rim->version[0] == '\0')
		return ag_err_set(err, AG_EINVALID, "RIM: Meta has no colloquialVersion");
	(void)attr(meta, NS_TCG_RIM, "FirmwareManufacturerId", rim->manufacturer_id, sizeof(rim->manufacturer_id));
	(void)attr(meta, NULL, "product", rim->product, sizeof(rim->product));
	if ((rc = read_payload(payload, rim, err)) != AG_OK)
		return rc;
	return read_certs(sig, rim, err);
}

enum ag_code
ag_nv_rim_read(const uint8_t *xml, size_t len, struct ag_nv_rim **out, struct ag_err *err)
{
	struct ag_nv_rim *rim;
	xmlDoc *doc;
	enum ag_code rc;

	*out = NULL;
	if (xml_init() != 1)
		return ag_err_set(err, AG_ECONFIG, "cannot initialise libxml2/xmlsec1");
	if (len == 0 || len > AG_NV_RIM_MAX_BYTES)
		return ag_err_set(err, AG_EINVALID, "RIM: %zu bytes (at most %d)", len, AG_NV_RIM_MAX_BYTES);
	/* No network, no entities substituted, no DTD loaded; a DOCTYPE is refused below. */
	doc = xmlReadMemory((const char *)xml, (int)len, "rim.xml", NULL, XML_PARSE_NONET);
	if (doc == NULL)
		return ag_err_set(err, AG_EINVALID, "RIM: not well-formed XML");
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		xmlFreeDoc(doc);
		return ag_err_set(err, AG_EINVALID, "RIM: a DOCTYPE, which RIMs do not have");
	}
	if ((rim = calloc(1, sizeof(*rim))) == NULL) {
		xmlFreeDoc(doc);
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	}
	rim->doc = doc;
	if ((rc = read_tree(xmlDocGetRootElement(doc), rim, err)) != AG_OK) {
		ag_nv_rim_free(rim);
		return rc;
	}
	*out = rim;
	return AG_OK;
}

/* Allows exactly the algorithms NVIDIA's RIMs use: an enveloped C14N 1.1 SHA-384 reference, ECDSA-SHA384. */
static int
restrict_ctx(xmlSecDSigCtxPtr ctx)
{
	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
	return xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId) == 0 &&
	    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformInclC14N11Id) == 0 &&
	    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha384Id) == 0 &&
	    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformInclC14N11Id) == 0 &&
	    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformEcdsaSha384Id) == 0 ? 0 : -1;
}

/* The reference's result, once verification ran: NULL when it is the one reference and it verified. */
static const char *
reference_failure(xmlSecDSigCtxPtr ctx)
{
	xmlSecDSigReferenceCtxPtr ref;

	if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1)
		return "the SignedInfo must have exactly one Reference";
	ref = (xmlSecDSigReferenceCtxPtr)xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0);
	if (ref == NULL || ref->status != xmlSecDSigStatusSucceeded)
		return "the Reference's digest does not match the document (it was edited after signing)";
	return NULL;
}

/* xmlsec's verification of the Signature with the leaf's key; NULL or what failed. */
static const char *
verify_dsig(const struct ag_nv_rim *rim, X509 *leaf)
{
	xmlDoc *doc = rim->doc;
	xmlNode *sig = NULL;
	xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
	EVP_PKEY *pkey = X509_get_pubkey(leaf);
	xmlSecKeyDataPtr data = NULL;
	const char *why = NULL;

	(void)only_child(xmlDocGetRootElement(doc), NS_DSIG, "Signature", &sig);
	if (ctx == NULL || pkey == NULL || restrict_ctx(ctx) != 0 || (ctx->signKey = xmlSecKeyCreate()) == NULL ||
	    (data = xmlSecOpenSSLEvpKeyAdopt(pkey)) == NULL) {
		why = "xmlsec cannot be set up";
	} else {
		pkey = NULL;   /* data owns it */
		if (xmlSecKeySetValue(ctx->signKey, data) != 0) {
			xmlSecKeyDataDestroy(data);
			why = "xmlsec cannot take the signer's key";
		} else if (xmlSecDSigCtxVerify(ctx, sig) != 0) {
			why = "xmlsec cannot process the Signature (an algorithm or transform NVIDIA's RIMs do not use?)";
		} else if ((why = reference_failure(ctx)) == NULL && ctx->status != xmlSecDSigStatusSucceeded) {
			why = "the SignedInfo signature does not verify with the signer certificate's key";
		}
	}
	EVP_PKEY_free(pkey);
	if (ctx != NULL)
		xmlSecDSigCtxDestroy(ctx);
	ERR_clear_error();
	return why;
}

enum ag_code
ag_nv_rim_verify(const struct ag_nv_rim *rim, STACK_OF(X509) *test_roots, time_t at, struct ag_nv_chain_info *info,
    struct ag_err *err)
{
	enum ag_code rc = ag_nv_chain_verify(rim->certs, AG_NV_ROOT_RIM, test_roots, at, "the RIM's signing chain", info,
	    err);
	const char *why;

	if (rc != AG_OK)
		return rc;
	if ((why = verify_dsig(rim, sk_X509_value(rim->certs, 0))) != NULL)
		return ag_err_set(err, AG_EINVALID, "RIM signature: %s", why);
	return AG_OK;
}

const struct ag_nv_rim_measurement *
ag_nv_rim_measurement(const struct ag_nv_rim *rim, unsigned index)
{
	for (size_t i = 0; i < rim->n_measurements; i++)
		if (rim->measurements[i].index == index)
			return &rim->measurements[i];
	return NULL;
}

void
ag_nv_rim_free(struct ag_nv_rim *rim)
{
	if (rim == NULL)
		return;
	xmlFreeDoc(rim->doc);
	sk_X509_pop_free(rim->certs, X509_free);
	free(rim->measurements);
	free(rim);
}
