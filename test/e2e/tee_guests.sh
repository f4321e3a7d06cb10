#!/usr/bin/env bash
# tee_guests.sh - `attestgate run` end to end where the hardware report
# comes straight from the CPU: a kata-cc pod through MAA's SevSnpVm (with
# the UVM endorsement), a TDX guest through TdxVm, and both with the local
# verifier.  The CPU is the configfs-tsm emulation (test/emul, FUSE), the
# verifier the MAA stand-in (test/services) over TLS on loopback.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/services.sh"
. "$(dirname "$0")/../lib/emul.sh"
W=$(mktemp -d)
trap 'emul_cleanup; svc_cleanup; rm -rf "$W"' EXIT

svc_have_python || { t_skip "TEE guests end to end" "$PY has no cryptography module (make deps)"; t_done; exit $?; }
emul_fuse_ok || { t_skip "TEE guests end to end" "FUSE (/dev/fuse) or python3-fusepy is not available here"; t_done; exit $?; }
svc_pki "$W/pki"
emul_pki "$W/tee" >/dev/null
emul_tsmfs "$W/tee" "$W/tsm-snp" sev_guest || { t_skip "TEE guests end to end" "the FUSE mount did not come up"; t_done; exit $?; }
emul_tsmfs "$W/tee" "$W/tsm-tdx" tdx_guest || { t_skip "TEE guests end to end" "the FUSE mount did not come up"; t_done; exit $?; }
HOSTDATA=$("$PY" -c "import hashlib; print(hashlib.sha256(b'attestgate test kata agent policy').hexdigest())")
mkdir -p "$W/uvm" "$W/uvm-unsigned"
cp "$W/tee/host-amd-cert-base64" "$W/uvm/"; cp "$W/tee/host-amd-cert-base64" "$W/uvm-unsigned/"
"$PY" "$EMUL_PY" uvm-reference "$W/tee" >"$W/uvm/reference-info-base64"
TR=$W/tee/test-roots

# setup NAME POLICY_FILE [SERVICE ARGS...]: a service and the pinned policy (its URL pointed at the service).
setup() {
	local name=$1 policy=$2; shift 2
	D=$W/$name; mkdir -p "$D/out"
	svc_maa "$D/svc" "$W/pki" --tee "$W/tee" --keys "$W/keys" "$@" || return 1
	sed -e "s|url: https://sharedeus2.eus2.attest.azure.net|url: $MAA_URL|" \
		"$policy" >"$D/policy.yaml"
	POLICY_NAME=$(sed -n 's/^  name: //p' "$D/policy.yaml")
	SUM=$(sha256sum "$D/policy.yaml" | cut -d' ' -f1)
}
gate() {
	t_exit "$WANT" "$DESC" "$BIN" run --policy "$D/policy.yaml" --policy-sha256 "$SUM" --output-dir "$D/out" \
		--termination-log "$D/term" --tcti device:"$W/no-tpm" --sev-guest "$W/no-sev-guest" --insecure-test-ca "$W/pki/ca.pem" \
		--imds-url "$THIM_URL" "$@"
}
posts() { local n; n=$(grep -ci "POST /attest/$1" "$D/svc/requests.log" 2>/dev/null); echo "${n:-0}"; }

# 1. kata-cc through SevSnpVm, against the stand-in checking every field as Microsoft's sidecar encodes it.
setup kata "$REPO/deploy/policies/azure-kata-cc.yaml" --strict-conformance
WANT=0 DESC="kata-cc attested through SevSnpVm with the built-in policy: exit 0" gate --platform azure-kata-cc \
	--tsm-root "$W/tsm-snp" --uvm-security-context-dir "$W/uvm" --insecure-test-roots "$TR" --keep-evidence
for f in token claims.json jwks.json status.json ready evidence/snp-report.bin evidence/runtime-data.json evidence/uvm-reference-info.b64; do
	t_check "kata: $f is written" test -e "$D/out/$f"
done
t_jq "kata: status.json says Verified on azure-kata-cc through maa" '.status == "True" and .reason == "Verified" and .platform == "azure-kata-cc" and .verifier == "maa" and all(.rules[]; .ok)' "$D/out/status.json"
t_jq "kata: the token carries the UVM verdict and the agent policy digest" \
	".[\"x-ms-compliance-status\"] == \"azure-signed-katacc-uvm\" and .[\"x-ms-sevsnpvm-hostdata\"] == \"$HOSTDATA\" and .[\"x-ms-attestation-type\"] == \"sevsnpvm\"" "$D/out/claims.json"
t_check "kata: x-ms-runtime holds the gate's nonce (hex of the one bound into the evidence)" \
	test "$(jq -r '.["x-ms-runtime"].nonce' "$D/out/claims.json")" = "$(jq -r .nonce "$D/out/evidence/evidence.json")"
t_check "kata: one SevSnpVm request" test "$(posts SevSnpVm)" = 1
t_grep "kata: posted where the confidential sidecar posts" 'POST /attest/SevSnpVM\?api-version=2020-10-01 200' "$D/svc/requests.log"
t_jq "kata: the sidecar's body shape (padded base64url, initTimeData, numeric nonce)" \
	'(.report | test("^[A-Za-z0-9_-]+=*$")) and (.report | length % 4 == 0) and .runtimeData.dataType == "JSON" and .initTimeData == {"data": "", "dataType": ""} and (.nonce | type == "number")' \
	"$D/svc/last-SevSnpVm.json"
t_check "kata: Endorsements is a base64url string of {\"Uvm\": [...]}" "$PY" -c "
import base64, json, sys
r = json.loads(base64.urlsafe_b64decode(json.load(open('$D/svc/last-SevSnpVm.json'))['report']))
e = json.loads(base64.urlsafe_b64decode(r['Endorsements']))
sys.exit(0 if isinstance(r['Endorsements'], str) and len(e['Uvm']) == 1 else 1)"
t_check "kata: the configfs-tsm entry was removed" test -z "$(ls -A "$W/tsm-snp")"
t_exit 0 "kata: the token re-verifies with jwks.json against the pinned issuer" \
	"$BIN" verify-token --token "$D/out/token" --jwks "$D/out/jwks.json" --url "$MAA_URL"

WANT=0 DESC="kata-cc found by --platform auto (UVM security context, no vTPM): exit 0" gate --platform auto \
	--tsm-root "$W/tsm-snp" --uvm-security-context-dir "$W/uvm" --insecure-test-roots "$TR"
t_jq "auto: the platform is azure-kata-cc" '.platform == "azure-kata-cc"' "$D/out/status.json"

setup kata-nouvm "$REPO/deploy/policies/azure-kata-cc.yaml" --strict-conformance
WANT=5 DESC="kata-cc without the UVM endorsement: the built-in policy denies (exit 5)" gate --platform azure-kata-cc \
	--tsm-root "$W/tsm-snp" --uvm-security-context-dir "$W/uvm-unsigned" --insecure-test-roots "$TR"
t_jq "kata-nouvm: the failed rule is the compliance status" '.reason == "PolicyDenied" and ([.rules[] | select(.ok | not) | .claim] == ["/x-ms-compliance-status"])' "$D/out/status.json"
t_check "kata-nouvm: no token" test ! -e "$D/out/token"

setup kata-untrusted "$REPO/deploy/policies/azure-kata-cc.yaml"
WANT=6 DESC="kata-cc whose report does not verify locally (test chain not trusted): exit 6" gate --platform azure-kata-cc \
	--tsm-root "$W/tsm-snp" --uvm-security-context-dir "$W/uvm"
t_check "kata-untrusted: nothing was sent to MAA" test "$(posts SevSnpVm)" = 0
t_jq "kata-untrusted: status says the evidence is invalid" '.reason == "TokenInvalid" and (.message | test("not sent"))' "$D/out/status.json"

setup kata-replay "$REPO/deploy/policies/azure-kata-cc.yaml" --script ok,ok,replay
WANT=0 DESC="kata-replay: a first run gets a token" gate --platform azure-kata-cc --tsm-root "$W/tsm-snp" --uvm-security-context-dir "$W/uvm" --insecure-test-roots "$TR"
WANT=6 DESC="kata-replay: the first token served again for a new nonce: exit 6" gate --platform azure-kata-cc --tsm-root "$W/tsm-snp" --uvm-security-context-dir "$W/uvm" --insecure-test-roots "$TR"
t_jq "kata-replay: status names the nonce" '.reason == "TokenInvalid" and (.message | test("nonce"))' "$D/out/status.json"

# Every fault of the service, on SevSnpVm: retried and recovered, exit 4 within the deadline + 1 s, or exit 6.
while IFS='|' read -r name script timeout want; do
	setup "kata-$name" "$REPO/deploy/policies/azure-kata-cc.yaml" --script "$script" --delay-ms 5000
	s=$(date +%s%N)
	WANT=$want DESC="SevSnpVm fault $name ($script): exit $want" gate --platform azure-kata-cc --tsm-root "$W/tsm-snp" \
		--uvm-security-context-dir "$W/uvm" --insecure-test-roots "$TR" --timeout "$timeout"
	ms=$((($(date +%s%N) - s) / 1000000))
	if [ "$want" = 4 ]; then
		t_check "SevSnpVm fault $name: gave up within the deadline + 1 s (${ms} ms)" test "$ms" -le $((${timeout%s} * 1000 + 1000))
	fi
	[ "$want" = 0 ] || t_check "SevSnpVm fault $name: no token" test ! -e "$D/out/token"
done <<'EOF2'
down|down|3s|4
flap|503,502,reset|30s|0
ra|429+ra1|30s|0
slow|slow,slow,slow,slow|2s|4
trunc|truncated|30s|0
badjson|badjson|30s|6
rejected|400|30s|6
unknownkey|unknownkey|30s|6
wrongiss|wrongiss|30s|6
expired|expired|30s|6
EOF2

# 2. A plain SEV-SNP guest with the local verifier.
cat >"$W/snp-local.yaml" <<'EOF2'
apiVersion: attestgate.io/v1
kind: AttestationPolicy
metadata:
  name: snp-local
spec:
  platforms: [sev-snp]
  verifier:
    type: local
  mode: enforce
  require:
    - claim: /x-ms-sevsnpvm-is-debuggable
      equals: false
    - claim: /x-ms-sevsnpvm-vmpl
      equals: 0
EOF2
setup snp-local "$W/snp-local.yaml"
WANT=0 DESC="sev-snp with the local verifier: exit 0" gate --platform sev-snp --tsm-root "$W/tsm-snp" --insecure-test-roots "$TR"
t_jq "snp-local: Verified by the local verifier, no token" '.reason == "Verified" and .verifier == "local" and .platform == "sev-snp"' "$D/out/status.json"
t_check "snp-local: no token file (local verification issues none)" test ! -e "$D/out/token"
t_jq "snp-local: the claims say who verified and carry the nonce" '.["x-attestgate-verifier"] == "local" and (.["x-ms-runtime"].nonce | length) == 128' "$D/out/claims.json"
WANT=6 DESC="sev-snp local without the test roots: exit 6" gate --platform sev-snp --tsm-root "$W/tsm-snp"
t_jq "snp-local: the reason is the pinned root" '.reason == "TokenInvalid" and (.message | test("pinned AMD ARK"))' "$D/out/status.json"

# A plain SEV-SNP guest whose host gives no cert table: the VCEK chain comes from THIM, the report goes to SevSnpVm.
sed -e 's/type: local/type: maa\n    url: https:\/\/sharedeus2.eus2.attest.azure.net/' -e 's/name: snp-local/name: snp-maa/' "$W/snp-local.yaml" >"$W/snp-maa.yaml"
emul_tsmfs "$W/tee" "$W/tsm-noaux" sev_guest --no-auxblob
setup snp-maa "$W/snp-maa.yaml"
WANT=0 DESC="sev-snp without a cert table, through SevSnpVm with the chain from THIM: exit 0" gate --platform sev-snp \
	--tsm-root "$W/tsm-noaux" --insecure-test-roots "$TR"
t_grep "snp-maa: THIM was asked for the chain" 'GET THIM' "$D/svc/requests.log"
t_jq "snp-maa: Verified through maa" '.reason == "Verified" and .verifier == "maa" and .platform == "sev-snp"' "$D/out/status.json"

# 3. A TDX guest through TdxVm and locally.
cat >"$W/tdx.yaml" <<EOF2
apiVersion: attestgate.io/v1
kind: AttestationPolicy
metadata:
  name: tdx
spec:
  platforms: [tdx]
  verifier:
    type: maa
    url: https://sharedeus2.eus2.attest.azure.net
  freshness:
    nonce: true
    maxTokenAge: 10m
  mode: enforce
  require:
    - claim: /tdx_td_attributes_debug
      equals: false
EOF2
setup tdx "$W/tdx.yaml" --strict-conformance
WANT=0 DESC="tdx attested through TdxVm: exit 0" gate --platform tdx --tsm-root "$W/tsm-tdx" --insecure-test-roots "$TR"
t_jq "tdx: Verified through maa" '.reason == "Verified" and .platform == "tdx" and .verifier == "maa"' "$D/out/status.json"
t_jq "tdx: the token has TDX claims and the nonce in x-ms-runtime" '.["x-ms-attestation-type"] == "tdxvm" and (.["x-ms-runtime"].nonce | length) == 128' "$D/out/claims.json"
t_check "tdx: one TdxVm request" test "$(posts TdxVm)" = 1
t_jq "tdx: cvm-attestation-tools' body shape (quote and runtimeData, base64url without padding)" \
	'(keys == ["quote", "runtimeData"]) and (.quote | test("^[A-Za-z0-9_-]+$")) and .runtimeData.dataType == "JSON"' "$D/svc/last-TdxVm.json"
# Issue 17 finding 5: run applies the CRLs before anything is sent.
"$PY" "$EMUL_PY" crl "$W/tee" intel-pck revoke >"$W/pck-revoked.crl"; "$PY" "$EMUL_PY" crl "$W/tee" intel-root >"$W/root.crl"
setup tdx-revoked "$W/tdx.yaml"
WANT=6 DESC="tdx whose PCK certificate is revoked (--crl): exit 6" gate --platform tdx --tsm-root "$W/tsm-tdx" --insecure-test-roots "$TR" \
	--crl "$W/pck-revoked.crl" --crl "$W/root.crl"
t_check "tdx-revoked: nothing was sent to MAA" test "$(posts TdxVm)" = 0
t_grep "tdx-revoked: the termination message names the revocation" 'is revoked' "$D/term"
sed -e 's/type: maa/type: local/' -e '/url: /d' -e '/freshness:/,/maxTokenAge/d' -e 's/name: tdx/name: tdx-local/' "$W/tdx.yaml" >"$W/tdx-local.yaml"
setup tdx-local "$W/tdx-local.yaml"
WANT=0 DESC="tdx with the local verifier: exit 0" gate --platform tdx --tsm-root "$W/tsm-tdx" --insecure-test-roots "$TR"
t_jq "tdx-local: Verified locally" '.reason == "Verified" and .verifier == "local"' "$D/out/status.json"
WANT=3 DESC="tdx asked where configfs-tsm serves SEV-SNP: exit 3" gate --platform tdx --tsm-root "$W/tsm-snp" --insecure-test-roots "$TR"
t_jq "tdx-local: the reason names the provider" '.reason == "EvidenceUnavailable" and (.message | test("sev_guest"))' "$D/out/status.json"
t_done
