/*
 * maa_vm.h - Microsoft Azure Attestation's VM protocols as bytes:
 * SevSnpVm (kata-cc, SEV-SNP guests) and TdxVm request bodies, and their
 * plain {"token": JWT} answers.  Runtime data is sent as JSON so that MAA
 * parses it into x-ms-runtime; the hardware report binds its SHA-256.
 */
#ifndef AG_MAA_VM_H
#define AG_MAA_VM_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "maa.h"

/*
 * SevSnpVm body: {"report": base64url({"SnpReport", "VcekCertChain",
 * "Endorsements": {"Uvm": [COSE_Sign1]}}), "runtimeData": {"data",
 * "dataType": "JSON"}, "nonce"}; uvm may be empty.
 */
enum ag_code ag_maa_snp_vm_request(struct ag_maa_bytes report, const char *vcek_chain, struct ag_maa_bytes uvm,
    struct ag_maa_bytes runtime, const char *nonce, char **body, struct ag_err *err);

/* TdxVm body: {"quote": base64url, "runtimeData": {"data", "dataType": "JSON"}, "nonce"}. */
enum ag_code ag_maa_tdx_vm_request(struct ag_maa_bytes quote, struct ag_maa_bytes runtime, const char *nonce, char **body,
    struct ag_err *err);

/* The JWT of a {"token": "..."} answer, NUL-terminated; AG_EINVALID for anything else. */
enum ag_code ag_maa_vm_response_parse(const uint8_t *body, size_t len, char **jwt, struct ag_err *err);

#endif
