/*
 * verifier/maa_vm.h - Microsoft Azure Attestation's VM protocols as bytes:
 * SevSnpVm (kata-cc, SEV-SNP guests) and TdxVm request bodies, and their
 * plain {"token": JWT} answers.  Runtime data is sent as JSON so that MAA
 * parses it into x-ms-runtime; the hardware report binds its SHA-256.
 */
#ifndef AG_MAA_VM_H
#define AG_MAA_VM_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "verifier/maa_guest.h"

/* The SevSnpVm path as Microsoft's confidential-sidecar-containers posts it (docs/protocols.md). */
#define AG_MAA_SNP_VM_PATH "/attest/SevSnpVM?api-version=2020-10-01"
/* The TdxVm path as Microsoft's cvm-attestation-tools posts it. */
#define AG_MAA_TDX_VM_PATH "/attest/TdxVm?api-version=2023-04-01-preview"

/*
 * SevSnpVm body, shaped as the sidecar's: {"report": base64url({"SnpReport",
 * "VcekCertChain", "Endorsements": base64url({"Uvm": [COSE_Sign1]})}),
 * "runtimeData": {"data", "dataType": "JSON"}, "initTimeData": {"data": "",
 * "dataType": ""}, "nonce": number}, base64url padded; Endorsements only when
 * uvm is not empty.  request_nonce is informational (MAA echoes it); the
 * runtime data is what binds the report.
 */
enum ag_code ag_maa_snp_vm_request(struct ag_maa_bytes report, const char *vcek_chain, struct ag_maa_bytes uvm,
    struct ag_maa_bytes runtime, uint64_t request_nonce, char **body, struct ag_err *err);

/* TdxVm body, shaped as cvm-attestation-tools': {"quote": base64url, "runtimeData": {"data", "dataType": "JSON"}}. */
enum ag_code ag_maa_tdx_vm_request(struct ag_maa_bytes quote, struct ag_maa_bytes runtime, char **body,
    struct ag_err *err);

/* The JWT of a {"token": "..."} answer, NUL-terminated; AG_EINVALID for anything else. */
enum ag_code ag_maa_vm_response_parse(const uint8_t *body, size_t len, char **jwt, struct ag_err *err);

#endif
