#!/usr/bin/env bash
# demo.sh BIN - the quick-start demo: attestgate on a SIMULATED Azure
# Confidential VM.  A swtpm (software TPM 2.0) is provisioned like an Azure
# vTPM with test keys (test/rig), a local stand-in for Microsoft Azure
# Attestation verifies what it receives over TLS (test/services), and
# `attestgate run` gates on the built-in azure-cvm policy.  Then the same run
# with a policy that denies.  Every process started here is stopped on exit.
set -u
BIN=${1:-build/attestgate}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PY=${AG_PYTHON:-/usr/bin/python3}
RIG=$REPO/test/rig/azure-cvm-rig.sh
W=$(mktemp -d)
SVC=""
cleanup() {
	[ -n "$SVC" ] && kill "$SVC" 2>/dev/null && wait "$SVC" 2>/dev/null
	"$RIG" stop "$W/run" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

say "attestgate $("$BIN" version | cut -d' ' -f2) — THE HARDWARE IS SIMULATED: swtpm plays the vTPM, test keys only"
for tool in swtpm tpm2_createak; do command -v "$tool" >/dev/null || die "$tool is missing: run 'make deps' first"; done
"$PY" -c 'import cryptography' 2>/dev/null || die "$PY lacks python3-cryptography: run 'make deps' first"

say "Provisioning a software TPM like an Azure CVM vTPM (AK 0x81000003, AK cert, HCL report with a test SEV-SNP report)"
"$RIG" provision "$W/tpl" >/dev/null || die "the rig could not provision the swtpm"
TCTI=$("$RIG" start "$W/tpl" "$W/run") || die "the swtpm did not start"
echo "vTPM: $TCTI"

say "Starting the local MAA stand-in (TLS from a throw-away test CA) and its IMDS THIM endpoint"
"$PY" "$REPO/test/services/testpki.py" "$W/pki"
"$PY" "$REPO/test/services/maa_service.py" --pki "$W/pki" --state "$W/svc" --rig "$W/tpl" 2>"$W/svc.log" &
SVC=$!
for _ in $(seq 100); do [ -s "$W/svc/port" ] && break; sleep 0.1; done
[ -s "$W/svc/port" ] || die "the test service did not start: $(cat "$W/svc.log")"
URL=https://127.0.0.1:$(cat "$W/svc/port")
echo "verifier: $URL   THIM: http://127.0.0.1:$(cat "$W/svc/thim-port")"

say "Installing the built-in azure-cvm policy, its verifier URL pointed at the local stand-in"
mkdir -p "$W/policies" "$W/out"
sed "s|url: https://sharedeus2.eus2.attest.azure.net|url: $URL|" "$REPO/deploy/policies/azure-cvm.yaml" >"$W/policies/azure-cvm.yaml"
SUM=$(sha256sum "$W/policies/azure-cvm.yaml" | cut -d' ' -f1)
echo "policy sha256 (what the pod spec pins): $SUM"

# The node's os-release, as the manifests mount it read-only (AzureGuest reports NAME and VERSION_ID).
printf 'NAME="Ubuntu"\nVERSION_ID="22.04"\n' >"$W/os-release"
run() {
	"$BIN" run --policy-dir "$W/policies" --policy-name "$1" --policy-sha256 "$2" --output-dir "$W/out" \
		--termination-log "$W/termination-log" --tcti "$TCTI" --insecure-test-ca "$W/pki/ca.pem" \
		--imds-url "http://127.0.0.1:$(cat "$W/svc/thim-port")" --eventlog "$W/run/eventlog.bin" \
		--insecure-test-roots "$W/tpl/test-roots" --os-release "$W/os-release" --log-format text
}
say "attestgate run (what the initContainer does)"
run azure-cvm "$SUM"
echo "exit code: $?"
echo "\$ ls $W/out"; ls "$W/out"
echo "\$ cat status.json"; cat "$W/out/status.json"; echo
echo "\$ the token's claims (decoded; attestgate verified its signature, issuer, times and nonce):"
cut -d. -f2 "$W/out/token" | tr '_-' '/+' | base64 -d 2>/dev/null | jq '{iss, exp, secureboot, "x-ms-attestation-type",
	"x-ms-isolation-tee": (.["x-ms-isolation-tee"] | {"x-ms-compliance-status", "x-ms-sevsnpvm-is-debuggable"}),
	"client-payload": .["x-ms-runtime"]["client-payload"]}'

say "The same node against a policy that requires a newer microcode: denied"
sed -e 's/name: azure-cvm/name: strict/' "$W/policies/azure-cvm.yaml" >"$W/policies/strict.yaml"
printf '    - claim: /x-ms-isolation-tee/x-ms-sevsnpvm-microcode-svn\n      atLeast: 250\n' >>"$W/policies/strict.yaml"
run strict "$(sha256sum "$W/policies/strict.yaml" | cut -d' ' -f1)"
echo "exit code: $? (5 = policy denied: the pod's containers do not start)"
echo "\$ cat termination-log   (what kubectl describe pod shows)"; cat "$W/termination-log"; echo
echo "\$ ls $W/out   (no token, no ready)"; ls "$W/out"
say "Done: every process the demo started is stopped now"
