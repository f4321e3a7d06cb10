#!/usr/bin/env bash
# demo.sh BIN - the quick-start demo.  Today it shows the parts that have
# landed: the CLI, `attestgate run` failing closed into an output directory
# (status.json, termination message, no token, no ready), and the policy
# engine explaining a pass and a denial.  The
# simulated Azure CVM (swtpm) and the test MAA service join it with the
# end-to-end issue.
set -u
BIN=${1:-build/attestgate}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "attestgate version"
"$BIN" version
say "A run with no policy pinned fails closed (exit 2), over a directory holding an old token"
mkdir "$W/out"; echo "eyJold.eyJold.sig" >"$W/out/token"; : >"$W/out/ready"
echo "\$ ls $W/out   (before)"; ls "$W/out"
"$BIN" run --output-dir "$W/out" --policy-name azure-cvm --termination-log "$W/termination-log" --log-format text
echo "exit code: $?"
echo "\$ ls $W/out   (after: no token, no ready)"; ls "$W/out"
echo "\$ cat status.json"; cat "$W/out/status.json"
echo "\$ cat termination-log"; cat "$W/termination-log"
say "The built-in azure-cvm policy, rule by rule, against example MAA claims"
"$BIN" policy check --policy deploy/policies/azure-cvm.yaml --claims test/data/claims/azure-cvm-snp.json
echo "exit code: $?"
say "The same claims with a debuggable SEV-SNP guest: denied (exit 5)"
sed 's/"x-ms-sevsnpvm-is-debuggable": false/"x-ms-sevsnpvm-is-debuggable": true/' \
	test/data/claims/azure-cvm-snp.json >"$W/debuggable.json"
"$BIN" policy check --policy deploy/policies/azure-cvm.yaml --claims "$W/debuggable.json"
echo "exit code: $?"
say "Not yet in the demo"
echo "The simulated hardware (swtpm Azure-CVM rig) and the test MAA service land with"
echo "issues #3, #5 and #8; the demo will then attest end to end and show a denial."
