/*
 * gate.c - the gate's sequence: open (and clear) the output directory,
 * check the configuration, then the evidence/verifier/token/policy steps,
 * then publish.  Whatever step fails, the failure is published the same
 * way: status.json with the reason, the termination message, no token and
 * no ready.
 */
#include "gate.h"

#include <jansson.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "output.h"
#include "policy.h"
#include "status.h"

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
	if (!ag_is_sha256_hex(cfg->policy_sha256))
		return ag_err_set(err, AG_ECONFIG,
		    "--policy-sha256 must be 64 hexadecimal characters, got \"%.80s\"", cfg->policy_sha256);
	if (cfg->timeout_ms <= 0)
		return ag_err_set(err, AG_ECONFIG, "--timeout must be positive");
	if (cfg->policy_file != NULL)
		rc = ag_policy_load_file(cfg->policy_file, cfg->policy_sha256, policy, err);
	else
		rc = ag_policy_load_named(cfg->policy_dir, cfg->policy_name, cfg->policy_sha256, policy, err);
	if (rc != AG_OK)
		return rc;
	if (strcmp(cfg->platform, "auto") != 0 && !ag_policy_allows_platform(*policy, cfg->platform))
		return ag_err_set(err, AG_ECONFIG, "policy \"%s\" does not allow platform %s (--platform)",
		    (*policy)->name, cfg->platform);
	/* The evidence, verifier, token and policy steps land with their issues. */
	return ag_err_set(err, AG_ECONFIG, "attestgate run: not implemented yet");
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

enum ag_code
ag_gate_run(const struct ag_gate_config *cfg)
{
	struct ag_output *out = NULL;
	struct ag_policy *policy = NULL;
	struct ag_status st;
	struct ag_publish pub;
	struct ag_err err;
	int64_t t0 = ag_clock_mono_ms();
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
	rc = check_config(cfg, &policy, &err);
	ag_status_init(&st, AG_OK, "attested");
	if (rc != AG_OK)
		ag_status_set_error(&st, &err);
	if (policy != NULL) {
		st.policy_known = 1;
		st.policy_name = policy->name;
		st.policy_sha256 = policy->sha256;
		st.mode = policy->mode;
		st.verifier = policy->verifier_type;
		st.issuer = policy->verifier_url;
		ag_log(AG_LOG_INFO, "policy loaded", "policy", json_string(policy->name), "sha256",
		    json_string(policy->sha256), "rules", json_integer((json_int_t)policy->n_rules), NULL);
	}
	st.platform = strcmp(cfg->platform, "auto") != 0 ? cfg->platform : NULL;
	st.ms_total = ag_clock_mono_ms() - t0;
	memset(&pub, 0, sizeof(pub));
	pub.status = &st;
	if (ag_output_publish(out, &pub, &err) != AG_OK) {
		ag_log(AG_LOG_ERROR, "cannot write the outputs", "error", json_string(err.msg), NULL);
		if (rc == AG_OK) {
			rc = err.code;
			ag_status_set_error(&st, &err);
		}
	}
	ag_output_close(out);
	if (!ag_status_passes(&st))
		write_termination(cfg, st.message);
	ag_log(ag_status_passes(&st) ? AG_LOG_INFO : AG_LOG_ERROR, "attestgate run finished", "reason",
	    json_string(ag_code_reason(st.reason)), "message", json_string(st.message), "exitCode",
	    json_integer(ag_status_exit_code(&st)), "durationMs", json_integer(st.ms_total), NULL);
	rc = ag_status_exit_code(&st);
	ag_policy_free(policy);
	return rc;
}
