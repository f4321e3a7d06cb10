/*
 * gate/gate.c - the gate's sequence: open (and clear) the output directory,
 * check the configuration, then the evidence/verifier/token/policy steps,
 * then publish.  Whatever step fails, the failure is published the same
 * way: status.json with the reason, the termination message, no token and
 * no ready.
 */
#include "gate/gate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base64.h"
#include "base/clock.h"
#include "base/crl.h"
#include "base/digest.h"
#include "base/fileio.h"
#include "base/log.h"
#include "base/timing.h"
#include "base/nonce.h"
#include "gate/gate_gpu.h"
#include "node/imds.h"
#include "node/tpm.h"
#include "platform/evidence.h"
#include "platform/platform.h"
#include "policy/policy.h"
#include "publish/output.h"
#include "publish/status.h"
#include "release/transfer_key.h"
#include "release/vault.h"
#include "verifier/verifier.h"

/* Checks the flags and loads the pinned policy into *policy. */
static enum ag_code
check_config(const struct ag_gate_config *cfg, struct ag_policy **policy, struct ag_err *err)
{
	enum ag_code rc;

	if (cfg->policy_file == NULL && cfg->policy_name == NULL)
		return ag_err_set(err, AG_ECONFIG,
		    "no policy selected: pass --policy-name (with --policy-dir) or --policy");
	if (cfg->policy_sha256 == NULL)
		return ag_err_set(err, AG_ECONFIG,
		    "--policy-sha256 is required: the pod spec must pin the policy's digest");
	if (cfg->timeout_ms <= 0)
		return ag_err_set(err, AG_ECONFIG, "--timeout must be positive");
	/* A malformed --tcti is a usage error, never "no vTPM here" for auto detection to step over. */
	if (cfg->tcti != NULL && (rc = ag_tpm_tcti_check(cfg->tcti, err)) != AG_OK)
		return rc;
	if (cfg->policy_file != NULL)
		rc = ag_policy_load_file(cfg->policy_file, cfg->policy_sha256, policy, err);
	else
		rc = ag_policy_load_named(cfg->policy_dir, cfg->policy_name, cfg->policy_sha256, policy, err);
	if (rc != AG_OK)
		return rc;
	if (strcmp(cfg->platform, "auto") != 0 && !ag_policy_allows_platform(*policy, cfg->platform))
		return ag_err_set(err, AG_ECONFIG, "policy \"%s\" does not allow platform %s (--platform)",
		    (*policy)->name, cfg->platform);
	return AG_OK;
}

/* What one run produced, for the outputs. */
struct run_result {
	struct ag_evidence evidence;
	struct ag_verify_out v;       /* the verifier's claims (and token, keys) */
	json_t *rules;
	const char *platform;
	char denial_hint[160];        /* what to fix first when the policy denied (a missing mount), or "" */
	STACK_OF(X509_CRL) *crls;     /* --crl, loaded before any evidence */
	struct ag_transfer_key tk;    /* key release: the key the vaults wrap to */
	json_t *transfer_jwk;         /* its public JWK in the runtime data (software key), or NULL */
	struct ag_released_key *keys; /* released keys, encoded (policy->n_keys of them) */
	json_t *key_results;          /* status.json "keys" */
	struct ag_timings timings;    /* per step, for status.json timingsMs.steps */
	json_t *steps;                /* those as JSON, once the run is over */
	json_t *gpus;                 /* spec.gpus: status.json's summary of each verified GPU */
};

/* One log line per failed rule: error when it blocks the pod, warn under mode: audit. */
static void
log_failed_rules(const struct ag_policy *p, const json_t *rules)
{
	size_t i;
	const json_t *r;

	json_array_foreach(rules, i, r) {
		if (json_is_true(json_object_get(r, "ok")))
			continue;
		ag_log(p->mode == AG_MODE_AUDIT ? AG_LOG_WARN : AG_LOG_ERROR, "policy rule failed", "policy",
		    json_string(p->name), "claim", json_incref(json_object_get(r, "claim")), "op",
		    json_incref(json_object_get(r, "op")), "expected", json_incref(json_object_get(r, "expected")),
		    json_object_get(r, "actual") != NULL ? "actual" : "missing",
		    json_object_get(r, "actual") != NULL ? json_incref(json_object_get(r, "actual")) : json_true(),
		    "reason", json_string(json_string_value(json_object_get(r, "reason")) != NULL ?
					   json_string_value(json_object_get(r, "reason")) : "the rule does not hold"),
		    NULL);
	}
}

/*
 * MAA derives the boot-debug claims from the TCG event log: when a rule on
 * one of them failed because it is missing and no event log was read, the
 * reason is a mount, and the message says which.
 */
static void
explain_missing_eventlog(const struct ag_evidence *e, const json_t *rules, char *hint, size_t size, struct ag_err *err)
{
	static const char *const from_log[] = { "/x-ms-azurevm-bootdebug-enabled", "/x-ms-azurevm-kerneldebug-enabled",
		"/x-ms-azurevm-hypervisordebug-enabled", "/x-ms-azurevm-signingdisabled", "/x-ms-azurevm-testsigning-enabled",
		"/x-ms-azurevm-debuggersdisabled", "/x-ms-azurevm-elam-enabled", "/x-ms-azurevm-vbs-enabled", NULL };
	const char *log = json_string_value(json_object_get(e->facts, "eventlog"));
	size_t i;
	const json_t *r;

	if (log == NULL || strcmp(log, "absent") != 0)
		return;
	json_array_foreach(rules, i, r) {
		const char *claim = json_string_value(json_object_get(r, "claim"));

		if (json_is_true(json_object_get(r, "ok")) || json_object_get(r, "actual") != NULL)
			continue;
		for (size_t k = 0; from_log[k] != NULL; k++)
			if (strcmp(claim, from_log[k]) == 0) {
				ag_log(AG_LOG_ERROR, "no TCG event log: MAA cannot derive the boot claims the policy requires",
				    "claim", json_string(claim), "fix", json_string("mount the node's /sys/kernel/security "
				    "read-only at /sys/kernel/security (privileged TPM access; the device-plugin mode has no event log)"),
				    NULL);
				snprintf(hint, size, "no TCG event log (mount /sys/kernel/security read-only; %s needs it)", claim);
				ag_err_prefix(err, "%s", hint);
				return;
			}
	}
}

/* The verifier's inputs beyond the evidence: roots, collateral, CRLs and HTTP for every check made here. */
static void
local_opts(const struct ag_gate_config *cfg, const struct run_result *res, int64_t deadline, struct ag_local_opts *lo)
{
	memset(lo, 0, sizeof(*lo));
	lo->imds_url = cfg->imds_url != NULL ? cfg->imds_url : AG_IMDS_DEFAULT_URL;
	lo->roots = cfg->roots;
	lo->kds_url = cfg->kds_url;
	lo->cert_cache = cfg->cert_cache;
	lo->insecure_test_roots = cfg->insecure_test_roots;
	lo->http.ca_file = cfg->insecure_test_ca != NULL ? cfg->insecure_test_ca : cfg->ca_file;
	lo->http.deadline_ms = deadline;
	lo->http.cancel = cfg->cancel;
	/* Collateral and CRLs apply wherever a report is checked here: the local verifier, and before MAA. */
	lo->tdx_tcb_info = cfg->tdx_tcb_info;
	lo->tdx_tcb_chain = cfg->tdx_tcb_chain;
	lo->tdx_qe_identity = cfg->tdx_qe_identity;
	lo->tdx_qe_identity_chain = cfg->tdx_qe_identity_chain;
	lo->crls = res->crls;
}

/* Evidence bound to a fresh nonce, from the platform the flag names (or the one detected). */
static enum ag_code
collect(const struct ag_gate_config *cfg, const struct ag_policy *p, int64_t deadline, struct ag_status *st,
    struct run_result *res, struct ag_err *err)
{
	struct ag_collect_opts co;
	struct ag_nonce nonce;
	int64_t t, lap;
	enum ag_code rc;

	if ((rc = ag_nonce_draw_text(&nonce, err)) != AG_OK)
		return rc;
	memset(&co, 0, sizeof(co));
	co.tcti = cfg->tcti;
	co.nonce = &nonce;
	co.deadline_ms = deadline;
	co.eventlog = cfg->eventlog;
	co.tsm_root = cfg->tsm_root;
	co.imds_url = cfg->imds_url;
	co.sev_guest = cfg->sev_guest;
	co.uvm_dir = cfg->uvm_dir;
	co.vmpl = -1;
	co.quote_unbound = strcmp(p->verifier_type, "maa") == 0;
	co.transfer_jwk = res->transfer_jwk;
	t = ag_clock_mono_ms();
	lap = ag_clock_mono_us();
	rc = cfg->platform_row != NULL ? cfg->platform_row->collect(&co, &res->evidence, err) :
					 ag_platform_collect(cfg->platform, &co, &res->evidence, err);
	ag_timings_lap(&res->timings, "evidence", lap);
	st->ms_evidence = ag_clock_mono_ms() - t;
	ag_log_step("evidence", rc, st->ms_evidence, err);
	if (rc != AG_OK)
		return rc;
	res->platform = res->evidence.platform;
	if (!ag_policy_allows_platform(p, res->platform))
		return ag_err_set(err, AG_ECONFIG, "policy \"%s\" does not allow platform %s, which this node is", p->name,
		    res->platform);
	if ((cfg->tdx_tcb_info != NULL || cfg->tdx_qe_identity != NULL) && ag_evidence_get(&res->evidence, "td-quote.bin") == NULL)
		ag_log(AG_LOG_WARN, "TDX collateral was given, but this node's evidence has no TD quote: it does not apply here",
		    "platform", json_string(res->platform), NULL);
	return AG_OK;
}

/*
 * Key release needs a software transfer key, made before the evidence so
 * its JWK is bound into the report, unless the node is an Azure CVM (the
 * vTPM's ephemeral key): the platform flag or, under auto, the policy's
 * platforms say which.
 */
static enum ag_code
prepare_transfer_key(const struct ag_gate_config *cfg, const struct ag_policy *p, struct run_result *res,
    struct ag_err *err)
{
	int cvm_only = strcmp(cfg->platform, "azure-cvm") == 0 ||
	    (strcmp(cfg->platform, "auto") == 0 && p->n_platforms == 1 && strcmp(p->platforms[0], "azure-cvm") == 0);

	if (p->n_keys == 0 || cvm_only || cfg->print_claims)
		return AG_OK;
	return ag_transfer_key_generate(&res->tk, &res->transfer_jwk, err);
}

/*
 * expectHostData: fromAnnotation - HOST_DATA must be the SHA-256 of the
 * agent policy the pod's annotation carries (read through the downward
 * API).  A consistency check against misconfiguration, not a boundary: the
 * host writes both.  Appends its result to the rules.
 */
static enum ag_code
check_host_data(const struct ag_gate_config *cfg, const struct ag_policy *p, struct run_result *res, struct ag_err *err)
{
	const char *path = cfg->agent_policy_file != NULL ? cfg->agent_policy_file : AG_GATE_AGENT_POLICY_FILE;
	const char *actual = json_string_value(json_object_get(res->v.claims, "x-ms-sevsnpvm-hostdata"));
	uint8_t *text = NULL, *policy = NULL;
	size_t len = 0, plen = 0;
	char want[AG_SHA256_HEX_LEN + 1];
	enum ag_code rc = ag_file_read(path, 1024 * 1024, AG_ECONFIG, &text, &len, err);
	int ok;

	if (rc != AG_OK)
		return ag_err_set_prefixed(err, AG_ECONFIG, "expectHostData: fromAnnotation needs the pod's agent policy "
		    "annotation as a file (a downwardAPI volume of metadata.annotations['io.katacontainers.config.agent.policy'] "
		    "at %s, as attestgate inject mounts it)", path);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	if (len == 0 || ag_b64_decode((const char *)text, len, &policy, &plen) != 0 || ag_sha256_hex(policy, plen, want) != 0)
		rc = ag_err_set(err, AG_ECONFIG, "expectHostData: %s is not a base64 kata agent policy (the "
		    "io.katacontainers.config.agent.policy annotation): generate it with az confcom katapolicygen", path);
	free(text);
	free(policy);
	if (rc != AG_OK)
		return rc;
	ok = actual != NULL && strcasecmp(actual, want) == 0;
	json_array_append_new(res->rules, json_pack("{s:s,s:s,s:s,s:o,s:b,s:s}", "claim", "/x-ms-sevsnpvm-hostdata",
	    "op", "equals", "expected", want, "actual", actual != NULL ? json_string(actual) : json_null(), "ok", ok,
	    "reason", ok ? "expectHostData: fromAnnotation" : "expectHostData: fromAnnotation: HOST_DATA is not the "
	    "SHA-256 of the pod's agent policy annotation (the UVM was launched with another agent policy)"));
	if (ok)
		return AG_OK;
	return ag_err_set(err, AG_EPOLICY, "policy %s denied: x-ms-sevsnpvm-hostdata is %.64s, but the pod's agent policy "
	    "annotation hashes to %s (expectHostData: fromAnnotation)", p->name, actual != NULL ? actual : "missing", want);
}

/* Secure Key Release of the policy's keys, after it passed, under the run's deadline. */
static enum ag_code
release_keys(const struct ag_gate_config *cfg, const struct ag_policy *p, int64_t deadline, struct ag_status *st,
    struct run_result *res, struct ag_err *err)
{
	struct ag_vault_opts vo;
	int64_t t = ag_clock_mono_ms(), lap = ag_clock_mono_us();
	enum ag_code rc = AG_OK;

	if (strcmp(res->platform, "azure-cvm") == 0) {
		ag_transfer_key_clear(&res->tk);
		rc = ag_transfer_key_tpm(&res->tk, cfg->tcti, res->v.claims, err);
	} else if (res->tk.rsa == NULL) {
		rc = ag_err_set(err, AG_ECONFIG, "no transfer key was bound into the %s evidence: pass --platform", res->platform);
	}
	memset(&vo, 0, sizeof(vo));
	vo.http.ca_file = cfg->insecure_test_ca != NULL ? cfg->insecure_test_ca : cfg->ca_file;
	vo.http.deadline_ms = deadline;
	vo.http.cancel = cfg->cancel;
	ag_entra_opts_from_env(&vo.entra);
	vo.entra.imds_url = cfg->imds_url != NULL ? cfg->imds_url : AG_IMDS_DEFAULT_URL;
	vo.entra.http = vo.http;
	if (rc == AG_OK)
		rc = ag_vault_release_all(p, res->v.token, res->v.claims, &res->tk, &vo, &res->keys, &res->key_results, err);
	st->ms_keys = ag_clock_mono_ms() - t;
	ag_timings_lap(&res->timings, "keys", lap);
	ag_log_step("keys", rc, st->ms_keys, err);
	return rc;
}

/* The policy's rules (and expectHostData), then the keys when it passed. */
static enum ag_code
judge(const struct ag_gate_config *cfg, const struct ag_policy *p, int64_t deadline, struct ag_status *st,
    struct run_result *res, struct ag_err *err)
{
	int64_t lap = ag_clock_mono_us();
	enum ag_code rc = ag_policy_evaluate(p, res->v.claims, &res->rules, err);

	if (p->expect_host_data_annotation && res->rules != NULL && (rc == AG_OK || rc == AG_EPOLICY)) {
		struct ag_err herr;
		enum ag_code hrc = check_host_data(cfg, p, res, &herr);

		if (hrc != AG_OK && (rc == AG_OK || hrc != AG_EPOLICY)) {
			*err = herr;
			rc = hrc;
		}
	}
	ag_timings_lap(&res->timings, "policy", lap);
	log_failed_rules(p, res->rules);
	if (rc == AG_EPOLICY)
		explain_missing_eventlog(&res->evidence, res->rules, res->denial_hint, sizeof(res->denial_hint), err);
	if (rc == AG_EPOLICY && p->mode == AG_MODE_AUDIT) {
		ag_log(AG_LOG_WARN, "policy denied, but it is in audit mode: the pod starts", "detail", json_string(err->msg),
		    NULL);
		if (p->n_keys > 0)
			ag_log(AG_LOG_WARN, "no keys are released to a pod the policy denied (audit mode)", NULL);
		return rc;
	}
	ag_log_step("policy", rc, 0, err);
	if (rc == AG_OK && p->n_keys > 0)
		rc = release_keys(cfg, p, deadline, st, res, err);
	return rc;
}

/* spec.gpus: the GPUs' evidence for the run's GPU nonce, after the CPU's (which carries the run's nonce). */
static enum ag_code
collect_gpus(const struct ag_gate_config *cfg, const struct ag_policy *p, int64_t deadline, struct run_result *res,
    struct ag_err *err)
{
	int64_t lap = ag_clock_mono_us(), t = ag_clock_mono_ms();
	enum ag_code rc;

	if (!p->gpus.present)
		return AG_OK;
	rc = ag_gate_gpu_collect(cfg, deadline, &res->evidence, err);
	ag_timings_lap(&res->timings, "gpu-evidence", lap);
	ag_log_step("gpu-evidence", rc, ag_clock_mono_ms() - t, err);
	return rc;
}

/* spec.gpus: the GPUs' evidence verified here; their claims join the verifier's for the policy. */
static enum ag_code
verify_gpus(const struct ag_gate_config *cfg, const struct ag_policy *p, int64_t deadline, struct run_result *res,
    struct ag_err *err)
{
	int64_t lap = ag_clock_mono_us(), t = ag_clock_mono_ms();
	enum ag_code rc;

	if (!p->gpus.present)
		return AG_OK;
	rc = ag_gate_gpu_verify(cfg, deadline, &res->evidence, res->v.claims, &res->gpus, err);
	ag_timings_lap(&res->timings, "gpu-verify", lap);
	ag_log_step("gpu-verify", rc, ag_clock_mono_ms() - t, err);
	return rc;
}

/* Evidence, verifier and policy, in that order; fills st's timings and res. */
static enum ag_code
attest(const struct ag_gate_config *cfg, const struct ag_policy *p, struct ag_status *st, struct run_result *res,
    struct ag_err *err)
{
	int64_t deadline = ag_clock_mono_ms() + cfg->timeout_ms;
	const struct ag_verifier *verifier = cfg->verifier_row != NULL ? cfg->verifier_row : ag_verifier_find(p->verifier_type);
	struct ag_verify_in in;
	struct ag_local_opts lo;
	enum ag_code rc;

	if (verifier == NULL)
		return ag_err_set(err, AG_ECONFIG, "policy \"%s\": verifier %s is not built into this attestgate", p->name,
		    p->verifier_type);
	/* The CRL files are read before any evidence: a bad path is exit 2 without a TPM round trip. */
	if (cfg->crls != NULL && (rc = ag_crl_load(cfg->crls, &res->crls, err)) != AG_OK)
		return rc;
	if ((rc = prepare_transfer_key(cfg, p, res, err)) != AG_OK || (rc = collect(cfg, p, deadline, st, res, err)) != AG_OK ||
	    (rc = collect_gpus(cfg, p, deadline, res, err)) != AG_OK)
		return rc;
	local_opts(cfg, res, deadline, &lo);
	memset(&in, 0, sizeof(in));
	in.evidence = &res->evidence;
	in.policy = p;
	in.local = &lo;
	in.tcti = cfg->tcti;
	in.os_release = cfg->os_release;
	in.os_distro = cfg->os_distro;
	in.os_version = cfg->os_version;
	in.timings = &res->timings;
	rc = verifier->verify(&in, &res->v, err);
	st->ms_verifier = res->v.ms_verifier;
	st->ms_verify = res->v.ms_verify;
	if (rc != AG_OK || (rc = verify_gpus(cfg, p, deadline, res, err)) != AG_OK)
		return rc;
	if (cfg->print_claims) {
		/* Discovery: what this node's verified claims are, to write a policy from. */
		char *text = json_dumps(res->v.claims, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", text != NULL ? text : "{}");
		fflush(stdout);
		free(text);
		ag_log(AG_LOG_INFO, "verified claims printed (--print-claims: no policy rules applied, no token or ready written)",
		    "claims", json_incref(res->v.claims), NULL);
		return ag_err_set(err, AG_OK, "verified; --print-claims: claims in claims.json, no policy rules applied");
	}
	return judge(cfg, p, deadline, st, res, err);
}

/* The one-line reason for kubectl describe; failures to write it are logged, never fatal. */
static void
write_termination(const struct ag_gate_config *cfg, const char *msg)
{
	struct ag_err err;

	if (cfg->termination_log == NULL)
		return;
	if (ag_termination_message_write(cfg->termination_log, msg, cfg->termination_log_create,
		&err) != AG_OK)
		ag_log(AG_LOG_WARN, "cannot write the termination message", "error",
		    json_string(err.msg), NULL);
}

/* status.json's fields from what the run produced. */
static void
fill_status(const struct ag_gate_config *cfg, const struct ag_policy *policy, const struct run_result *res,
    const struct ag_err *err, int64_t t0, struct ag_status *st)
{
	ag_status_set_error(st, err);
	if (policy != NULL) {
		st->policy_known = 1;
		st->policy_name = policy->name;
		st->policy_sha256 = policy->sha256;
		st->audit = policy->mode == AG_MODE_AUDIT;
		st->verifier = policy->verifier_type;
		st->issuer = policy->verifier_url;
	}
	st->platform = res->platform != NULL ? res->platform : strcmp(cfg->platform, "auto") != 0 ? cfg->platform : NULL;
	st->rules = res->rules;
	st->token_exp = res->v.info.exp;
	st->token_iat = res->v.info.iat;
	st->token_jti = res->v.info.jti;
	st->keys = res->key_results;
	st->steps = res->steps;
	st->gpus = res->gpus;
	st->host_data = json_string_value(json_object_get(res->v.claims, "x-ms-sevsnpvm-hostdata"));
	st->ms_total = ag_clock_mono_ms() - t0;
	st->no_policy = cfg->print_claims;
}

/* Writes the outputs; when that fails after a pass, clears the directory and publishes the failure instead. */
static void
publish(const struct ag_gate_config *cfg, const struct ag_policy *policy, struct ag_output **out, struct ag_status *st,
    const struct run_result *res)
{
	struct ag_publish pub;
	struct ag_evidence_file *files = NULL, *keys = NULL;
	char *manifest = NULL;
	struct ag_err err;

	memset(&pub, 0, sizeof(pub));
	pub.status = st;
	pub.token = res->v.token;
	pub.jwks = res->v.jwks;
	pub.claims = res->v.claims;
	pub.no_ready = cfg->print_claims;
	if (res->keys != NULL && policy != NULL) {
		keys = calloc(policy->n_keys, sizeof(*keys));
		for (size_t i = 0; keys != NULL && i < policy->n_keys; i++) {
			keys[i].name = res->keys[i].file;
			keys[i].data = res->keys[i].data;
			keys[i].len = res->keys[i].len;
		}
		pub.keys = keys;
		pub.n_keys = keys != NULL ? policy->n_keys : 0;
		if (keys == NULL)
			ag_status_set_error(st, &(struct ag_err){ .code = AG_ECONFIG, .msg = "out of memory" });
	}
	if (cfg->keep_evidence && res->evidence.n_files > 0) {
		files = ag_evidence_files(&res->evidence, &manifest, &pub.n_evidence);
		pub.evidence = files;
	}
	if (ag_output_publish(*out, &pub, &err) != AG_OK) {
		ag_log(AG_LOG_ERROR, "cannot write the outputs", "error", json_string(err.msg), NULL);
		if (ag_status_passes(st)) {
			/* Nothing half-written stays behind: clear the directory again (and the keys already written,
			 * which no status.json lists yet) and publish the failure. */
			struct ag_err e2;

			ag_status_set_error(st, &err);
			st->keys = NULL;
			ag_output_close(*out);
			*out = NULL;
			memset(&pub, 0, sizeof(pub));
			pub.status = st;
			if (ag_output_open(cfg->output_dir, out, &e2) == AG_OK) {
				for (size_t i = 0; policy != NULL && i < policy->n_keys; i++)
					(void)ag_output_remove(*out, policy->keys[i].file, &e2);
				(void)ag_output_publish(*out, &pub, &e2);
			}
		}
	}
	free(files);
	free(keys);
	free(manifest);
}

/* The termination message of a failed run: every failed rule for a denial, else the reason. */
static void
report_failure(const struct ag_gate_config *cfg, const struct ag_status *st, const struct run_result *res,
    const struct ag_policy *policy)
{
	if (ag_status_passes(st))
		return;
	if (st->reason == AG_EPOLICY && res->rules != NULL && policy != NULL) {
		/* The termination message has room for every failed rule (kubectl describe shows up to 4 KiB). */
		char denial[AG_TERMINATION_MESSAGE_MAX];
		size_t n = res->denial_hint[0] != '\0' ? (size_t)snprintf(denial, sizeof(denial), "%s: ", res->denial_hint) : 0;

		ag_policy_denial_text(policy->name, res->rules, denial + n, sizeof(denial) - n);
		write_termination(cfg, denial);
	} else {
		write_termination(cfg, st->message);
	}
}

enum ag_code
ag_gate_run(const struct ag_gate_config *cfg)
{
	struct ag_output *out = NULL;
	struct ag_policy *policy = NULL;
	struct ag_status st;
	struct run_result res;
	struct ag_err err;
	int64_t t0 = ag_clock_mono_ms(), t_out;
	enum ag_code rc;

	ag_err_clear(&err);
	ag_log(AG_LOG_INFO, "attestgate run starting", "outputDir", json_string(cfg->output_dir),
	    "platform", json_string(cfg->platform), NULL);
	rc = ag_output_open(cfg->output_dir, &out, &err);
	if (rc != AG_OK) {
		ag_log(AG_LOG_ERROR, "cannot use the output directory", "reason",
		    json_string(ag_code_reason(rc)), "error", json_string(err.msg), NULL);
		write_termination(cfg, err.msg);
		return rc;
	}
	memset(&res, 0, sizeof(res));
	ag_evidence_init(&res.evidence);
	ag_status_init(&st, AG_OK, "attested");
	rc = check_config(cfg, &policy, &err);
	/* A key file an earlier run of this pod released goes before anything else happens. */
	for (size_t i = 0; rc == AG_OK && i < policy->n_keys; i++)
		rc = ag_output_remove(out, policy->keys[i].file, &err);
	if (rc == AG_OK)
		rc = attest(cfg, policy, &st, &res, &err);
	if (rc != AG_OK && err.code != rc) {
		/* A step failed without saying why: fail closed with its code, never report what err still says. */
		char why[AG_ERR_MSG_MAX];

		snprintf(why, sizeof(why), "%s", err.code != AG_OK ? err.msg : "a step failed without giving a reason");
		ag_err_set(&err, rc, "%s", why);
	}
	res.steps = ag_timings_json(&res.timings);
	fill_status(cfg, policy, &res, &err, t0, &st);
	t_out = ag_clock_mono_ms();
	publish(cfg, policy, &out, &st, &res);
	ag_log_step("outputs", AG_OK, ag_clock_mono_ms() - t_out, &err);
	ag_output_close(out);
	report_failure(cfg, &st, &res, policy);
	rc = ag_status_exit_code(&st);
	ag_log(rc == AG_OK ? AG_LOG_INFO : AG_LOG_ERROR, "attestgate run finished", "reason",
	    json_string(ag_code_reason(st.reason)), "message", json_string(st.message), "exitCode",
	    json_integer(rc), "durationMs", json_integer(st.ms_total), NULL);
	ag_verify_out_clear(&res.v);
	json_decref(res.rules);
	sk_X509_CRL_pop_free(res.crls, X509_CRL_free);
	ag_released_keys_free(res.keys, policy != NULL ? policy->n_keys : 0);
	json_decref(res.key_results);
	json_decref(res.steps);
	json_decref(res.gpus);
	json_decref(res.transfer_jwk);
	ag_transfer_key_clear(&res.tk);
	ag_evidence_clear(&res.evidence);
	ag_policy_free(policy);
	return rc;
}
