#!/usr/bin/env bash
# demo.sh BIN - the quick-start demo.  Today it shows the parts that have
# landed: the CLI, and `attestgate run` failing closed into an output
# directory (status.json, termination message, no token, no ready).  The
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
say "Not yet in the demo"
echo "The simulated hardware (swtpm Azure-CVM rig) and the test MAA service land with"
echo "issues #3, #5 and #8; the demo will then attest end to end and show a denial."
