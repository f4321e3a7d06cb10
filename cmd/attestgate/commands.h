/*
 * commands.h - the subcommands of attestgate and their entry points.
 */
#ifndef AG_COMMANDS_H
#define AG_COMMANDS_H

#include <jansson.h>

#include "cli.h"
#include "base/error.h"

/* The command table, ending with NULL. */
extern const struct cli_cmd *const commands[];

/* The commands, each defined with its flag table in its cmd_*.c. */
extern const struct cli_cmd cmd_run_command, cmd_evidence_command, cmd_verify_evidence_command, cmd_verify_token_command,
    cmd_policy_check_command, cmd_inject_command, cmd_webhook_command,
    cmd_version_command;

/* Intel collateral and CRLs, for run and verify-evidence alike: command-line only (they decide what is trusted). */
#define COLLATERAL_FLAGS \
	{ "tdx-tcb-info", CLI_STRING, "FILE", NULL, NULL, \
	    "Intel TCB info for TD quotes (PCS /tdx/certification/v4/tcb): its status becomes attester_tcb_status", 0, 1 }, \
	{ "tdx-tcb-info-chain", CLI_STRING, "FILE", NULL, NULL, "its issuer chain, PEM (TCB-Info-Issuer-Chain)", 0, 1 }, \
	{ "tdx-qe-identity", CLI_STRING, "FILE", NULL, NULL, \
	    "Intel QE identity for TD quotes (PCS /tdx/certification/v4/qe/identity)", 0, 1 }, \
	{ "tdx-qe-identity-chain", CLI_STRING, "FILE", NULL, NULL, \
	    "its issuer chain, PEM (SGX-Enclave-Identity-Issuer-Chain; default: --tdx-tcb-info-chain)", 0, 1 }, \
	{ "crl", CLI_LIST, "FILE", NULL, NULL, \
	    "a CRL (DER or PEM) the chains are checked against: Intel PCK and Root CA CRLs, AMD KDS's", 0, 1 },

/* How a token is verified: verify-token, and policy check --token. */
#define TOKEN_CHECK_FLAGS \
	{ "url", CLI_STRING, "URL", NULL, NULL, "pinned verifier instance: the issuer, and where keys come from", 0, 1 }, \
	{ "jwks", CLI_STRING, "FILE", NULL, NULL, "signing keys (default: fetch <url>/certs)", 0, 1 }, \
	{ "at", CLI_STRING, "RFC3339", NULL, NULL, "verification time (default now)", 0, 1 }, \
	{ "nonce", CLI_STRING, "NONCE", NULL, NULL, "nonce the token must carry where its protocol puts it", 0, 0 }, \
	{ "user-data", CLI_STRING, "HEX", NULL, NULL, "user data of a fresh HCL report the token must carry", 0, 0 }, \
	{ "algs", CLI_STRING, "LIST", "RS256", NULL, "allowed signature algorithms (RS256,PS256,ES256,ES384)", 0, 1 }, \
	{ "signer-sha256", CLI_STRING, "LIST", NULL, NULL, \
	    "allowed SHA-256 fingerprints of the signing certificate (x5c[0])", 0, 1 }, \
	{ "max-age", CLI_DURATION, "DURATION", NULL, NULL, "reject tokens issued longer ago (default: no limit)", 0, 1 }, \
	{ "clock-skew", CLI_DURATION, "DURATION", "60s", NULL, "tolerance for exp, nbf and iat", 0, 1 }, \
	{ "ca-file", CLI_STRING, "FILE", NULL, NULL, "CA bundle for fetching the JWKS", 0, 1 }, \
	{ "timeout", CLI_DURATION, "DURATION", "30s", NULL, "deadline for fetching the JWKS", 0, 0 },

/* NVIDIA GPU reference manifests and revocation, for run and verify-evidence alike. */
#define GPU_RIM_FLAGS \
	{ "gpu-rim", CLI_LIST, "FILE", NULL, NULL, \
	    "an NVIDIA RIM (driver or VBIOS, matched by its version) to compare the GPU's measurements with", 0, 1 }, \
	{ "gpu-rim-dir", CLI_STRING, "DIR", NULL, NULL, "a directory of NVIDIA RIMs named by their id (offline)", 0, 1 }, \
	{ "gpu-rim-url", CLI_STRING, "URL", NULL, NULL, \
	    "NVIDIA's RIM service (https://rim.attestation.nvidia.com) for RIMs no file or directory has", 0, 1 }, \
	{ "gpu-ocsp-url", CLI_STRING, "URL", NULL, NULL, \
	    "OCSP responder for the GPU and RIM certificates (NVIDIA's: https://ocsp.ndis.nvidia.com)", 0, 1 }, \
	{ "gpu-ocsp-response", CLI_LIST, "FILE", NULL, NULL, \
	    "a pre-fetched DER OCSP response for one of those certificates (offline; checked, no nonce)", 0, 1 },

/* Looks up a command by its words (argv after the program name); sets *used to the words consumed. */
const struct cli_cmd *commands_find(int argc, char **argv, int *used);

/* Prints the list of commands. */
void commands_print_usage(FILE *out);

/*
 * For a command line that names no command: a command group alone or with
 * --help ("policy") lists its subcommands (exit 0 for --help, else 2); an
 * unknown command says so with the closest name.  Returns the exit code.
 */
int commands_unknown(int argc, char **argv);

/* Applies --log-level and --log-format; returns 0 or 2 after printing why. */
int commands_setup_logging(const struct cli_cmd *cmd, const struct cli_values *v);

int cmd_version(const struct cli_cmd *cmd, const struct cli_values *v);
int cmd_run(const struct cli_cmd *cmd, const struct cli_values *v);
int cmd_evidence(const struct cli_cmd *cmd, const struct cli_values *v);
int cmd_verify_evidence(const struct cli_cmd *cmd, const struct cli_values *v);
int cmd_verify_gpu(const struct cli_cmd *cmd, const struct cli_values *v);

struct ag_evidence;

/* A bundle's GPU evidence (run with spec.gpus), verified for the GPU nonce of its nonce with the GPU flags; its claims join claims. */
enum ag_code cmd_verify_bundle_gpus(const struct cli_values *v, const struct ag_evidence *e, json_t *claims,
    struct ag_err *err);


int cmd_verify_token(const struct cli_cmd *cmd, const struct cli_values *v);

/* What a policy pins for its tokens: the instance, the age and the skew. */
struct cmd_token_pin {
	const char *url;
	int64_t max_age_s, clock_skew_s;
};

/* The verified claims of --token, checked as verify-token checks it (--url, --jwks, --at...), with pin (may be NULL) instead of --url and the freshness flags. */
enum ag_code cmd_token_claims(const struct cli_values *v, const struct cmd_token_pin *pin, json_t **claims,
    struct ag_err *err);
int cmd_policy_check(const struct cli_cmd *cmd, const struct cli_values *v);
int cmd_inject(const struct cli_cmd *cmd, const struct cli_values *v);
int cmd_webhook(const struct cli_cmd *cmd, const struct cli_values *v);

#endif
