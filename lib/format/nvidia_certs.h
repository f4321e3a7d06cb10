/*
 * format/nvidia_certs.h - NVIDIA's certificate chains: the 5-certificate
 * device attestation chain a GPU or NVSwitch gives (to the pinned NVIDIA
 * Device Identity CA) and the chains embedded in RIMs (to the pinned
 * NVIDIA CoRIM signing Root CA), verified at a given time; the FWID a
 * device certificate carries; the hwmodel and ueid NVIDIA's claims name.
 */
#ifndef AG_NVIDIA_CERTS_H
#define AG_NVIDIA_CERTS_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"
#include "format/nvidia_opaque.h"

#define AG_NV_DEVICE_CHAIN_LEN 5

/* SHA-256 fingerprints of the pinned roots (../shared/data/nvidia/README.txt). */
#define AG_NV_DEVICE_ROOT_SHA256 "102bf659d5419614c9d8e6aecebc80454eb26b1df6a769ac720b9a690b167b48"
#define AG_NV_RIM_ROOT_SHA256 "12977b5115acb0381179279fffeb5a8c4d264971ebb32298023a465fa41df5d1"

enum ag_nv_root { AG_NV_ROOT_DEVICE, AG_NV_ROOT_RIM };

/* What a chain verification found: for NVIDIA's cert-chain claims. */
struct ag_nv_chain_info {
	time_t not_after;      /* the earliest notAfter of the chain */
	int test_root;         /* anchored at a given test root (tests only), not the pinned one */
};

/* The device chain of a PEM file: exactly 5 certificates, leaf first; *chain is new. */
enum ag_code ag_nv_device_chain_load(const uint8_t *pem, size_t len, STACK_OF(X509) **chain, struct ag_err *err);

/*
 * Verifies chain (leaf first) at time at: its last certificate must be the
 * pinned root of kind (by SHA-256) or one of test_roots (tests only; may
 * be NULL), and every certificate must chain to it.  what names the chain
 * in errors ("GPU 0 attestation chain").  AG_EINVALID on failure.
 */
enum ag_code ag_nv_chain_verify(STACK_OF(X509) *chain, enum ag_nv_root kind, STACK_OF(X509) *test_roots, time_t at,
    const char *what, struct ag_nv_chain_info *info, struct ag_err *err);

/*
 * The FWID the device certificate leaf carries: Hopper and NVSwitch, the
 * last 48 bytes (a SHA-384 OCTET STRING) of extension 2.23.133.5.4.1;
 * Blackwell, the first fwid of the DICE TcbInfo extension 2.23.133.5.4.1.1.
 * AG_EINVALID when the extension is missing or malformed.
 */
enum ag_code ag_nv_cert_fwid(X509 *leaf, enum ag_nv_arch a, uint8_t out[AG_NV_FWID_LEN], struct ag_err *err);

/* The FWID extension's DER value in buf as ag_nv_cert_fwid reads it (no certificate: for fuzzing); 0 or -1. */
int ag_nv_fwid_from_ext(const uint8_t *der, size_t len, enum ag_nv_arch a, uint8_t out[AG_NV_FWID_LEN]);

/* hwmodel: the CN of the chain's second certificate ("GH100 A01 GSP BROM"), into buf. */
const char *ag_nv_hwmodel(STACK_OF(X509) *chain, char *buf, size_t size);

/* ueid: the leaf's serial number in decimal (new string), or NULL. */
char *ag_nv_ueid(STACK_OF(X509) *chain);

#endif
