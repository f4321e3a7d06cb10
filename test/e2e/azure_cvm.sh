#!/usr/bin/env bash
# azure_cvm.sh - `attestgate run` end to end on a simulated Azure CVM: the
# swtpm rig (test/rig) as the vTPM and the MAA stand-in (test/services) as
# the verifier, over TLS on loopback.  Every case gets its own swtpm, its
# own service (with its own fault script) and its own output directory.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/services.sh"
. "$(dirname "$0")/../lib/rig.sh"
W=$(mktemp -d)
trap 'svc_cleanup; rig_cleanup; rm -rf "$W"' EXIT
rig_ready "azure-cvm end to end" || { t_done; exit $?; }
"$RIG" provision "$W/tpl" >/dev/null 2>"$W/prov.err" || { t_not_ok "the rig provisions" "$(cat "$W/prov.err")"; t_done; exit 1; }
svc_pki "$W/pki"
ROOTS=$W/tpl/test-roots
# The node's os-release as the manifests mount it (AzureGuest sends NAME and VERSION_ID).
printf 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\n' >"$W/os-release"
OS_RELEASE=$W/os-release

# setup NAME [MODE [EXTRA_RULE_YAML]] [-- SERVICE ARGS...]: swtpm, service and pinned policy for one case.
setup() {
	local name=$1 mode=enforce extra=""; shift
	if [ $# -gt 0 ] && [ "$1" != -- ]; then mode=$1; shift; fi
	if [ $# -gt 0 ] && [ "$1" != -- ]; then extra=$1; shift; fi
	[ "${1:-}" = -- ] && shift
	D=$W/$name; mkdir -p "$D/out"
	TCTI=$("$RIG" start "$W/tpl" "$D/run") || return 1
	RIG_RUNS="$RIG_RUNS $D/run"
	svc_maa "$D/svc" "$W/pki" --rig "$W/tpl" --keys "$W/keys" "$@" || return 1
	sed -e "s|url: https://sharedeus2.eus2.attest.azure.net|url: $MAA_URL|" -e "s|^  mode: enforce.*|  mode: $mode|" \
		"$REPO/deploy/policies/azure-cvm.yaml" >"$D/azure-cvm.yaml"
	[ -n "$extra" ] && printf '%s\n' "$extra" >>"$D/azure-cvm.yaml"
	SUM=$(sha256sum "$D/azure-cvm.yaml" | cut -d' ' -f1)
}
# gate [FLAGS...]: attestgate run for the current case; times it into MS.
gate() {
	local s; s=$(date +%s%N)
	t_exit "$WANT" "$DESC" "$BIN" run --policy-dir "$D" --policy-name azure-cvm --policy-sha256 "$SUM" \
		--output-dir "$D/out" --termination-log "$D/term" --tcti "$TCTI" --insecure-test-ca "$W/pki/ca.pem" \
		--imds-url "$THIM_URL" --eventlog "${EVENTLOG:-$D/run/eventlog.bin}" ${ROOTS:+--insecure-test-roots "$ROOTS"} \
		${OS_RELEASE:+--os-release "$OS_RELEASE"} "$@"
	MS=$((($(date +%s%N) - s) / 1000000))
}
posts() { local n; n=$(grep -c "POST /attest/AzureGuest" "$D/svc/requests.log" 2>/dev/null); echo "${n:-0}"; }
no_token() {
	t_check "$1: no token" test ! -e "$D/out/token"
	t_check "$1: no ready" test ! -e "$D/out/ready"
}

# 1. The whole path, against the stand-in checking every field as Microsoft's clients encode it.
setup ok -- --strict-conformance
WANT=0 DESC="attested through AzureGuest (strict conformance): exit 0" gate --keep-evidence
for f in token claims.json jwks.json status.json ready evidence/hcl-report.bin; do t_check "ok: $f is written" test -e "$D/out/$f"; done
t_jq "ok: status.json says Verified" '.status == "True" and .reason == "Verified" and .platform == "azure-cvm" and .verifier == "maa"' "$D/out/status.json"
t_jq "ok: status.json has the rules and the timings" '(.rules | length == 5) and all(.rules[]; .ok) and .timingsMs.total > 0 and .timingsMs.verifier > 0 and .token.jti != null' "$D/out/status.json"
t_jq "ok: claims carry the compliance status, secure boot and the PCRs" \
	'.["x-ms-isolation-tee"]["x-ms-compliance-status"] == "azure-compliant-cvm" and .secureboot == true and .["x-ms-azurevm-attested-pcrs"] == [0,1,2,3,4,5,6,7]' "$D/out/claims.json"
t_grep "ok: one log line per step with its duration" '"msg":"step done","step":"verifier","durationMs":[0-9]+' "$T_ERR"
nonce=$(jq -r '.["x-ms-runtime"]["client-payload"].nonce' "$D/out/claims.json" | base64 -d)
t_check "ok: the token carries the gate's fresh nonce (the one bound into the evidence)" \
	test "$(printf '%s' "$nonce" | od -An -v -tx1 | tr -d ' \n')" = "$(jq -r .nonce "$D/out/evidence/evidence.json")"
t_check "ok: the nonce is 32 random bytes in hex" bash -c "[[ '$nonce' =~ ^[0-9a-f]{64}$ ]]"
t_exit 0 "ok: the token re-verifies with jwks.json against the pinned issuer" \
	"$BIN" verify-token --token "$D/out/token" --jwks "$D/out/jwks.json" --url "$MAA_URL"
t_check "ok: the token is readable by owner and group only" test "$(stat -c %a "$D/out/token")" = 440
t_check "ok: the service checked THIM, attestation and keys" bash -c "grep -q 'GET THIM' '$D/svc/requests.log' && grep -q 'GET /certs 200' '$D/svc/requests.log'"
# The request on the wire (issue 14): fields as Microsoft's C++ client encodes them.
"$PY" - "$D/svc/last-AzureGuest.json" "$D/req" <<'PYEOF'
import base64, json, sys
info = json.loads(base64.urlsafe_b64decode(json.load(open(sys.argv[1]))["AttestationInfo"] + "=="))
proof = json.loads(base64.b64decode(info["IsolationInfo"]["Evidence"]["Proof"], validate=True))
open(sys.argv[2] + "-chain.pem", "wb").write(base64.b64decode(proof["VcekCertChain"], validate=True))
q = base64.b64decode(info["TpmInfo"]["PcrQuote"])
extra_len = int.from_bytes(q[6 + 2 + int.from_bytes(q[6:8], "big"):][:2], "big")
json.dump({"distro": base64.b64decode(info["OSDistro"]).decode(), "major": info["OSVersionMajor"],
           "minor": info["OSVersionMinor"], "quoteExtraData": extra_len,
           "encKeyScheme": base64.b64decode(info["TpmInfo"]["EncKeyPub"])[2 + 2 + 2 + 4 + 2 + 32 + 2:][:2].hex()},
          open(sys.argv[2] + ".json", "w"))
PYEOF
t_check "ok: VcekCertChain is base64 of the PEM chain (not raw PEM)" cmp "$D/req-chain.pem" "$W/tpl/vcek-chain.pem"
t_jq "ok: OSDistro and the versions come from the given os-release" '.distro == "Ubuntu" and .major == 22 and .minor == 4' "$D/req.json"
t_jq "ok: the quote's qualifying data is empty, as Microsoft's clients send it" '.quoteExtraData == 0' "$D/req.json"
t_jq "ok: the ephemeral key's scheme is NULL (0x0010)" '.encKeyScheme == "0010"' "$D/req.json"
t_jq "ok: the token's OS claims are the node's" '.["x-ms-azurevm-osdistro"] == "Ubuntu" and .["x-ms-azurevm-osversion-major"] == 22' "$D/out/claims.json"
t_jq "ok: evidence.json says the quote binds no nonce" '.quoteQualifyingData == "empty"' "$D/out/evidence/evidence.json"
t_exit 0 "ok: the kept evidence verifies offline" "$BIN" verify-evidence --in "$D/out/evidence" --insecure-test-roots "$ROOTS" \
	--certs "$W/tpl/vcek-chain.pem"
t_exit 2 "ok: but its nonce cannot be checked offline (exit 2, not skipped)" "$BIN" verify-evidence --in "$D/out/evidence" \
	--insecure-test-roots "$ROOTS" --certs "$W/tpl/vcek-chain.pem" --nonce "$(jq -r .nonce "$D/out/evidence/evidence.json")"
t_grep "ok: the message says why" 'quote carries no nonce' "$T_ERR"

# IMDS (plain HTTP) never goes through a proxy (issue 17 finding 6).
setup proxy
# (No NO_PROXY: libcurl would send the plain-HTTP IMDS request to http_proxy.)
http_proxy=http://127.0.0.1:1 HTTP_PROXY=http://127.0.0.1:1 NO_PROXY= no_proxy= \
	WANT=0 DESC="http_proxy and HTTP_PROXY pointing nowhere do not touch IMDS: exit 0" gate
t_grep "proxy: THIM was asked directly" 'GET THIM /metadata/THIM/amd/certification 200' "$D/svc/requests.log"

# The node's os-release is required for AzureGuest, and checked as Microsoft's client checks it.
setup noos
OS_RELEASE=$W/missing-os-release WANT=2 DESC="no os-release where it should be mounted: exit 2" gate
t_grep "noos: the message says what to mount" "mount the node's /etc/os-release" "$D/term"
t_check "noos: nothing was sent" test "$(posts)" = 0
# Where no hostPath may be mounted (Pod Security baseline), the OS comes as flags.
setup osflags
OS_RELEASE= WANT=0 DESC="--os-distro and --os-version instead of the file: exit 0" gate --os-distro "Azure Linux" --os-version 3.0 \
	--os-release "$W/missing-os-release"
t_jq "osflags: the token's OS claims are the flags'" '.["x-ms-azurevm-osdistro"] == "Azure Linux" and .["x-ms-azurevm-osversion-major"] == 3 and .["x-ms-azurevm-osversion-minor"] == 0' "$D/out/claims.json"
OS_RELEASE= WANT=2 DESC="--os-distro without --os-version: exit 2" gate --os-distro Ubuntu
printf 'NAME="Weird"\nVERSION_ID="0.9"\n' >"$W/os-release-0"
setup os0
OS_RELEASE=$W/os-release-0 WANT=3 DESC="os-release with major version 0 (Microsoft's client refuses it): exit 3" gate
t_grep "os0: the message names the version" 'major version 0' "$D/term"

# Issue 18 point 6: without the event log MAA has no boot-debug claims; the failure says which mount is missing.
setup nolog
EVENTLOG=$W/no-eventlog WANT=5 DESC="no TCG event log: the built-in policy denies (exit 5)" gate
t_grep "nolog: the termination message names the mount first" '^no TCG event log \(mount /sys/kernel/security read-only; /x-ms-azurevm-(kerneldebug|bootdebug)-enabled needs it\): policy "azure-cvm" denied' "$D/term"
t_grep "nolog: an error line says how to fix it" '"level":"error","msg":"no TCG event log: MAA cannot derive the boot claims the policy requires"' "$T_ERR"

# Issue 18 point 2: discovery, with a policy whose rules would deny.
setup discover enforce "    - claim: /x-ms-isolation-tee/x-ms-sevsnpvm-microcode-svn
      atLeast: 250"
WANT=0 DESC="run --print-claims: attests and prints the verified claims, no rules: exit 0" gate --print-claims
t_jq "discover: stdout is the verified claims" '.["x-ms-attestation-type"] == "azurevm" and .["x-ms-isolation-tee"]["x-ms-sevsnpvm-microcode-svn"] != null' "$T_OUT"
t_check "discover: claims.json is written" test -s "$D/out/claims.json"
t_check "discover: no token and no ready (no policy was applied)" test ! -e "$D/out/token" -a ! -e "$D/out/ready"
t_jq "discover: status.json does not say Verified (no policy applied)" '.status == "False" and .reason == "ClaimsPrinted"' "$D/out/status.json"
ATTESTGATE_PRINT_CLAIMS=true WANT=5 DESC="ATTESTGATE_PRINT_CLAIMS in the environment does not switch the policy off: exit 5" gate
setup discover-bad -- --script 503,503,503,503,503,503,503,503,503,503,503,503,503,503,503,503,503,503,503,503
WANT=4 DESC="run --print-claims when the verifier is down: exit 4, not 0" gate --print-claims --timeout 3s

# Issue 18 point 9: with the pod's fsGroup (the kubelet gives the emptyDir that group and the setgid bit), the app's
# user reads the token through the group, and no other user can.
setup fsgroup
chmod 711 "$W" "$D"; chgrp 65532 "$D/out" && chmod 2775 "$D/out"
WANT=0 DESC="fsgroup: attested into an emptyDir prepared as the kubelet does for fsGroup 65532" gate
t_check "fsgroup: the token belongs to the pod's fsGroup" test "$(stat -c %g "$D/out/token")" = 65532
t_check "fsgroup: an app user (uid 1000) in the fsGroup reads the token" \
	bash -c "setpriv --reuid 1000 --regid 1000 --groups 65532 cat '$D/out/token' >/dev/null"
t_check "fsgroup: a user outside the group cannot" bash -c "! setpriv --reuid 1001 --regid 1001 --clear-groups cat '$D/out/token' 2>/dev/null"
t_check "fsgroup: and the app user cannot write the outputs" bash -c "! setpriv --reuid 1000 --regid 1000 --groups 65532 sh -c 'echo x >>\"$D/out/token\"' 2>/dev/null"

# 2. Policy denial and audit.
setup deny enforce "    - claim: /x-ms-isolation-tee/x-ms-sevsnpvm-microcode-svn
      atLeast: 250"
WANT=5 DESC="a policy that denies: exit 5" gate
no_token deny
t_jq "deny: status.json names the failed rule" '.reason == "PolicyDenied" and ([.rules[] | select(.ok | not) | .claim] == ["/x-ms-isolation-tee/x-ms-sevsnpvm-microcode-svn"])' "$D/out/status.json"
t_grep "deny: the termination message says which rule" 'microcode-svn atLeast 250' "$D/term"
t_grep "deny: one error line per failed rule (issue 18: 1)" '"level":"error","msg":"policy rule failed","policy":"azure-cvm","claim":"/x-ms-isolation-tee/x-ms-sevsnpvm-microcode-svn","op":"atLeast","expected":250,"actual":' "$T_ERR"
setup deny2 enforce "    - claim: /x-ms-isolation-tee/x-ms-sevsnpvm-microcode-svn
      atLeast: 250
    - claim: /x-ms-azurevm-not-a-claim
      exists: true"
WANT=5 DESC="two failing rules: exit 5" gate
t_grep "deny2: the termination message lists every failed rule" '2 of 7 rules failed: .*microcode-svn atLeast 250, actual [0-9]+; /x-ms-azurevm-not-a-claim exists true, actual missing$' "$D/term"
setup audit audit "    - claim: /x-ms-isolation-tee/x-ms-sevsnpvm-microcode-svn
      atLeast: 250"
WANT=0 DESC="the same policy in audit mode lets the pod start: exit 0" gate
t_jq "audit: status False, reason PolicyDenied" '.status == "False" and .reason == "PolicyDenied"' "$D/out/status.json"
t_check "audit: the token and ready are written" test -e "$D/out/token" -a -e "$D/out/ready"
t_grep "audit: a warning is logged" '"level":"warn","msg":"policy denied, but it is in audit mode' "$T_ERR"
t_check "audit: nothing is logged at error (issue 18: 3)" bash -c "! grep -q '\"level\":\"error\"' '$T_ERR'"
t_grep "audit: the failed rule at warn" '"level":"warn","msg":"policy rule failed"' "$T_ERR"

# 3. The verifier misbehaving.
setup down -- --script down
WANT=4 DESC="verifier down for the whole deadline: exit 4" gate --timeout 3s
t_check "down: within the deadline + 1 s ($MS ms)" test "$MS" -le 4000
no_token down
t_jq "down: status says VerifierUnavailable" '.reason == "VerifierUnavailable"' "$D/out/status.json"
setup flap -- --script 503,502,reset
WANT=0 DESC="verifier flapping (503, 502, reset) then recovering: exit 0" gate --timeout 30s
t_check "flap: the attestation was retried" test "$(posts)" -ge 3
setup ra -- --script 429+ra1
WANT=0 DESC="429 with Retry-After then recovering: exit 0" gate --timeout 30s
setup slow -- --script slow,slow,slow,slow --delay-ms 5000
WANT=4 DESC="verifier slower than the deadline: exit 4" gate --timeout 2s
t_check "slow: within the deadline + 1 s ($MS ms)" test "$MS" -le 3000
setup trunc -- --script truncated
WANT=0 DESC="a truncated response is retried: exit 0" gate --timeout 30s
t_check "trunc: the attestation was sent again" test "$(posts)" -ge 2
setup badjson -- --script badjson
WANT=6 DESC="a response that is not JSON: exit 6" gate
no_token badjson
setup rejected -- --script 400
WANT=6 DESC="the verifier rejects the evidence (400): exit 6, not retried" gate
t_check "rejected: one attempt only" test "$(posts)" = 1
t_grep "rejected: the verifier's message is shown" 'answered HTTP 400: scripted fault' "$D/term"

# 4. Tokens that must not be accepted.
setup unknownkey -- --script unknownkey
WANT=6 DESC="a token signed by an unknown key: exit 6" gate
t_grep "unknownkey: says the kid is not a key of the instance" 'which is not a key of' "$D/term"
no_token unknownkey
setup wrongiss -- --script wrongiss
WANT=6 DESC="a token from the wrong issuer: exit 6" gate
t_grep "wrongiss: says the issuer is not the pinned instance" 'is not the pinned instance' "$D/term"
setup expired -- --script expired
WANT=6 DESC="an expired token: exit 6" gate
t_grep "expired: says so" 'token expired at' "$D/term"
setup replay -- --script ok,ok,replay
WANT=0 DESC="replay: a first run gets a token" gate
WANT=6 DESC="replay: the old token served again for a new nonce: exit 6" gate
t_grep "replay: the nonce does not match" "is not this run's nonce" "$D/term"
no_token replay

# 5. Configuration and evidence failures.
setup cfg
real=$SUM SUM=$(printf '0%.0s' $(seq 64))
WANT=2 DESC="policy digest mismatch: exit 2" gate
t_grep "cfg: the message names both digests" "sha256 $real but --policy-sha256 pins 0{64}" "$D/term"
t_check "cfg: nothing was sent to the verifier" test "$(posts)" = 0
SUM=$real
: >"$D/not-a-dir"
t_exit 2 "output directory not usable: exit 2" "$BIN" run --policy-dir "$D" --policy-name azure-cvm --policy-sha256 "$SUM" \
	--output-dir "$D/not-a-dir" --termination-log "$D/term2" --tcti "$TCTI"
t_grep "the message says what is wrong and what to do" 'output directory .*not-a-dir: Not a directory' "$T_ERR"
t_check "the termination message says it too" grep -q 'not-a-dir' "$D/term2"
TCTI=device:$W/no-tpm
WANT=3 DESC="TPM absent: exit 3" gate
t_jq "cfg: status says EvidenceUnavailable" '.reason == "EvidenceUnavailable"' "$D/out/status.json"

setup localcheck
ROOTS="" WANT=6 DESC="an SNP report that does not verify against the pinned AMD roots: exit 6" gate
t_grep "localcheck: it is not sent" 'does not verify locally, so it is not sent: the root TEST-ARK-NOT-AMD is not a pinned AMD ARK' "$D/term"
t_check "localcheck: nothing was sent to the verifier" test "$(posts)" = 0

# 5b. The local verifier: no MAA, the evidence checked here against the (test) AMD roots.
setup local
cp "$REPO/deploy/policies/azure-cvm-local.yaml" "$D/azure-cvm.yaml"
sed -i 's/name: azure-cvm-local/name: azure-cvm/' "$D/azure-cvm.yaml"
SUM=$(sha256sum "$D/azure-cvm.yaml" | cut -d' ' -f1)
WANT=0 DESC="the local verifier attests the node: exit 0" gate
t_jq "local: status says Verified by the local verifier" '.reason == "Verified" and .verifier == "local" and .issuer == null and (.rules | length == 4)' "$D/out/status.json"
t_check "local: claims.json and ready, and no token" test -e "$D/out/claims.json" -a -e "$D/out/ready" -a ! -e "$D/out/token"
t_jq "local: the claims carry the verified report and the quoted PCRs" '.["x-attestgate-verifier"] == "local" and .["x-ms-isolation-tee"]["x-attestgate-snp-signing-key"] == "vcek" and .["x-ms-azurevm-attested-pcrs"] == [0,1,2,3,4,5,6,7]' "$D/out/claims.json"
t_check "local: MAA was not asked" test "$(posts)" = 0
ROOTS="" WANT=6 DESC="the local verifier refuses a report that does not chain to AMD: exit 6" gate
t_grep "local: the reason is the root" 'not a pinned AMD ARK' "$D/term"

# 6. SIGTERM stops cleanly.
setup term -- --script hang
"$BIN" run --policy-dir "$D" --policy-name azure-cvm --policy-sha256 "$SUM" --output-dir "$D/out" \
	--termination-log "$D/term" --tcti "$TCTI" --insecure-test-ca "$W/pki/ca.pem" --imds-url "$THIM_URL" \
	--eventlog "$D/run/eventlog.bin" --insecure-test-roots "$ROOTS" --timeout 60s 2>"$D/stderr" &
pid=$!
for _ in $(seq 100); do grep -q "hang" "$D/svc/requests.log" 2>/dev/null && break; sleep 0.05; done
s=$(date +%s%N); kill -TERM "$pid"; wait "$pid"; rc=$?; MS=$((($(date +%s%N) - s) / 1000000))
t_check "SIGTERM: exit 4 (got $rc)" test "$rc" = 4
t_check "SIGTERM: stops promptly ($MS ms)" test "$MS" -le 2000
no_token term
t_check "SIGTERM: no temporary files are left" bash -c "! ls -A '$D/out' | grep -q tmp"
t_jq "SIGTERM: status.json says why" '.reason == "VerifierUnavailable" and (.message | test("cancel"))' "$D/out/status.json"
t_done
