# rig.sh - the swtpm Azure CVM rig (test/rig) for shell suites.  Source
# after tap.sh and services.sh; add each started RUN to RIG_RUNS and call
# rig_cleanup from the suite's EXIT trap.
RIG=$REPO/test/rig/azure-cvm-rig.sh
RIG_RUNS=""

# rig_ready WHAT: true when the rig and the test services can run here; else a visible skip.
rig_ready() {
	local tool
	for tool in swtpm tpm2_createak; do
		command -v "$tool" >/dev/null || { t_skip "$1" "$tool is missing (make deps)"; return 1; }
	done
	svc_have_python || { t_skip "$1" "$PY has no cryptography module (make deps)"; return 1; }
}

# rig_cleanup: stops every swtpm this suite started.
rig_cleanup() { local r; for r in $RIG_RUNS; do "$RIG" stop "$r" 2>/dev/null; done; }
