#!/usr/bin/env bash
# azure_tdx_cvm.sh - `attestgate run` on a simulated Azure TDX CVM: the
# swtpm rig provisioned with a TDREPORT in its HCL report, the test IMDS
# turning that TDREPORT into a TD quote (test/emul quoting chain), and MAA
# AzureGuest with Tdx isolation; then the same evidence with the local
# verifier.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/services.sh"
. "$(dirname "$0")/../lib/emul.sh"
. "$(dirname "$0")/../lib/rig.sh"
W=$(mktemp -d)
trap 'svc_cleanup; rig_cleanup; rm -rf "$W"' EXIT
rig_ready "Azure TDX CVM end to end" || { t_done; exit $?; }
"$RIG" provision "$W/tpl" --tdx >/dev/null 2>"$W/prov.err" || { t_not_ok "the TDX rig provisions" "$(cat "$W/prov.err")"; t_done; exit 1; }
svc_pki "$W/pki"
emul_pki "$W/tee" >/dev/null
TR=$W/tee/test-roots

policy() { # NAME VERIFIER_YAML
	cat >"$W/$1.yaml" <<EOF2
apiVersion: attestgate.io/v1
kind: AttestationPolicy
metadata:
  name: $1
spec:
  platforms: [azure-cvm]
  verifier:
$2
  mode: enforce
  require:
    - claim: /x-ms-isolation-tee/x-ms-attestation-type
      equals: tdxvm
    - claim: /x-ms-isolation-tee/tdx_td_attributes_debug
      equals: false
EOF2
}
run_case() { # NAME POLICY WANT DESC
	D=$W/$1; mkdir -p "$D/out"
	TCTI=$("$RIG" start "$W/tpl" "$D/run") || return 1
	RIG_RUNS="$RIG_RUNS $D/run"
	svc_maa "$D/svc" "$W/pki" --rig "$W/tpl" --tee "$W/tee" --keys "$W/keys" --strict-conformance || return 1
	sed -i "s|url: MAA|url: $MAA_URL|" "$W/$2.yaml"
	t_exit "$3" "$4" "$BIN" run --policy "$W/$2.yaml" --policy-sha256 "$(sha256sum "$W/$2.yaml" | cut -d' ' -f1)" \
		--output-dir "$D/out" --termination-log "$D/term" --tcti "$TCTI" --platform azure-cvm --insecure-test-ca "$W/pki/ca.pem" \
		--imds-url "$THIM_URL" --eventlog "$D/run/eventlog.bin" --insecure-test-roots "$TR" --keep-evidence \
		--os-release "$W/os-release"
}
printf 'NAME="Ubuntu"\nVERSION_ID="24.04"\n' >"$W/os-release"

policy tdx-maa "    type: maa
    url: MAA"
run_case maa tdx-maa 0 "TDX CVM attested through AzureGuest (Tdx isolation): exit 0"
t_jq "maa: Verified, azure-cvm through maa" '.reason == "Verified" and .platform == "azure-cvm" and .verifier == "maa"' "$D/out/status.json"
t_check "maa: the TD quote came from IMDS and is kept with the evidence" test -s "$D/out/evidence/td-quote.bin"
t_grep "maa: IMDS was asked for the quote" 'POST IMDS /acc/tdquote 200' "$D/svc/requests.log"
t_jq "maa: TDX claims under x-ms-isolation-tee, compliant, with the runtime data" \
	'.["x-ms-isolation-tee"]["x-ms-compliance-status"] == "azure-compliant-cvm" and (.["x-ms-isolation-tee"]["x-ms-runtime"].keys | length) > 0 and .["x-ms-attestation-type"] == "azurevm"' "$D/out/claims.json"
t_jq "maa: the evidence says tdx" '.reportType == "tdx"' "$D/out/evidence/evidence.json"
t_jq "maa: the OS claims come from the given os-release" '.["x-ms-azurevm-osdistro"] == "Ubuntu" and .["x-ms-azurevm-osversion-major"] == 24 and .["x-ms-azurevm-osversion-minor"] == 4' "$D/out/claims.json"

policy tdx-local "    type: local"
run_case local tdx-local 0 "TDX CVM with the local verifier: exit 0"
t_jq "local: Verified locally" '.reason == "Verified" and .verifier == "local"' "$D/out/status.json"
t_jq "local: the TD quote's claims and the quoted PCRs" '.["x-ms-isolation-tee"].tdx_td_attributes_debug == false and (.["x-ms-azurevm-attested-pcrs"] | length) == 8' "$D/out/claims.json"

policy tdx-untrusted "    type: maa
    url: MAA"
D=$W/untrusted; mkdir -p "$D/out"
TCTI=$("$RIG" start "$W/tpl" "$D/run"); RIG_RUNS="$RIG_RUNS $D/run"
svc_maa "$D/svc" "$W/pki" --rig "$W/tpl" --tee "$W/tee" --keys "$W/keys"
sed -i "s|url: MAA|url: $MAA_URL|" "$W/tdx-untrusted.yaml"
t_exit 6 "a TD quote under a root that is not pinned is not sent: exit 6" "$BIN" run --policy "$W/tdx-untrusted.yaml" \
	--policy-sha256 "$(sha256sum "$W/tdx-untrusted.yaml" | cut -d' ' -f1)" --output-dir "$D/out" --termination-log "$D/term" \
	--tcti "$TCTI" --platform azure-cvm --insecure-test-ca "$W/pki/ca.pem" --imds-url "$THIM_URL" --eventlog "$D/run/eventlog.bin" \
	--os-release "$W/os-release"
t_grep "untrusted: the reason names the Intel root" 'not sent.*Intel SGX Root CA|Intel SGX Root CA.*not sent' "$D/term"
n=$(grep -c "POST /attest/AzureGuest" "$D/svc/requests.log" 2>/dev/null); t_check "untrusted: nothing was sent to MAA" test "${n:-0}" = 0
t_done
