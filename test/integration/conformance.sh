#!/usr/bin/env bash
# conformance.sh - the MAA stand-in against requests shaped exactly as
# Microsoft's own clients shape them (test/conformance/ms_clients.py, from
# the table in docs/protocols.md): the C++ AttestationClient and the Python
# cvm-attestation client for AzureGuest (from the swtpm rig, the answer
# opened in the vTPM), the confidential sidecar and cvm-attestation-tools
# for SevSnpVm, cvm-attestation-tools for TdxVm.  Each shape must pass both
# the default and the --strict-conformance service; a shape no Microsoft
# client sends (raw PEM as VcekCertChain: attestgate's old request) must not.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/services.sh"
. "$(dirname "$0")/../lib/rig.sh"
. "$(dirname "$0")/../lib/emul.sh"
W=$(mktemp -d)
trap 'svc_cleanup; rig_cleanup; rm -rf "$W"' EXIT
rig_ready "Microsoft client shapes against the MAA stand-in" || { t_done; exit $?; }
"$PY" -c 'import cbor2' 2>/dev/null || { t_skip "Microsoft client shapes" "python3-cbor2 is missing (make deps)"; t_done; exit $?; }
"$RIG" provision "$W/tpl" >/dev/null 2>"$W/prov.err" || { t_not_ok "the rig provisions" "$(cat "$W/prov.err")"; t_done; exit 1; }
svc_pki "$W/pki"
emul_pki "$W/tee" >/dev/null
MS=$REPO/test/conformance/ms_clients.py

for mode in default strict; do
	flags=""; [ "$mode" = strict ] && flags=--strict-conformance
	# One service for the CVM rig's AzureGuest (its ARK), one for the TEE chains (SevSnpVm, TdxVm).
	# shellcheck disable=SC2086
	svc_maa "$W/svc-$mode" "$W/pki" --rig "$W/tpl" --keys "$W/keys" $flags || { t_not_ok "service starts"; continue; }
	for shape in azureguest-cpp azureguest-python; do
		D=$W/$mode-$shape; mkdir -p "$D"
		TCTI=$("$RIG" start "$W/tpl" "$D/run") || { t_not_ok "$shape: swtpm starts"; continue; }
		RIG_RUNS="$RIG_RUNS $D/run"
		t_exit 0 "$mode: AzureGuest as Microsoft's ${shape#azureguest-} client sends it is accepted, the answer opens in the vTPM" \
			env TPM2TOOLS_TCTI="$TCTI" "$PY" "$MS" "$shape" "$MAA_URL" "$W/pki/ca.pem" "$THIM_URL" "$D" "$D/run/eventlog.bin"
		t_jq "$mode: ${shape#azureguest-}: the token is the CVM's, with the OS the client sent" \
			'.["x-ms-attestation-type"] == "azurevm" and .["x-ms-isolation-tee"]["x-ms-compliance-status"] == "azure-compliant-cvm" and .["x-ms-azurevm-osdistro"] == "Ubuntu" and .["x-ms-azurevm-osversion-major"] == 22' "$T_OUT"
	done
	D=$W/$mode-rawpem; mkdir -p "$D"
	TCTI=$("$RIG" start "$W/tpl" "$D/run") && RIG_RUNS="$RIG_RUNS $D/run"
	t_exit 1 "$mode: VcekCertChain as raw PEM (no Microsoft client sends it) is refused" \
		env TPM2TOOLS_TCTI="$TCTI" "$PY" "$MS" azureguest-raw-pem "$MAA_URL" "$W/pki/ca.pem" "$THIM_URL" "$D" "$D/run/eventlog.bin"
	t_grep "$mode: the refusal names the field" 'HTTP 400: .*VcekCertChain is not base64' "$T_OUT"
	# shellcheck disable=SC2086
	svc_maa "$W/svc-tee-$mode" "$W/pki" --tee "$W/tee" --keys "$W/keys" $flags || { t_not_ok "service starts"; continue; }
	t_exit 0 "$mode: SevSnpVm as the confidential sidecar sends it (SevSnpVM, padded base64url, Endorsements string, uint64 nonce)" \
		"$PY" "$MS" snpvm-sidecar "$MAA_URL" "$W/pki/ca.pem" "$W/tee"
	t_jq "$mode: sidecar: UVM endorsed, runtime keys in x-ms-runtime" \
		'.["x-ms-compliance-status"] == "azure-signed-katacc-uvm" and (.["x-ms-runtime"].keys | length) == 1' "$T_OUT"
	t_exit 0 "$mode: SevSnpVm as cvm-attestation-tools sends it (SevSnpVm 2022-08-01, unpadded, no nonce)" \
		"$PY" "$MS" snpvm-cvmtools "$MAA_URL" "$W/pki/ca.pem" "$W/tee"
	t_exit 0 "$mode: TdxVm as cvm-attestation-tools sends it" "$PY" "$MS" tdxvm-cvmtools "$MAA_URL" "$W/pki/ca.pem" "$W/tee"
	t_jq "$mode: TdxVm: TDX claims" '.["x-ms-attestation-type"] == "tdxvm"' "$T_OUT"
done

# Strict mode's own rules: what a Microsoft client never sends is refused there.
D=$W/strict-extra; mkdir -p "$D"
body='{"report":"e30","runtimeData":{"data":"e30","dataType":"JSON"},"extra":1}'
code=$(curl -s -o "$D/answer" -w '%{http_code}' --cacert "$W/pki/ca.pem" -H 'Content-Type: application/json' \
	--data "$body" "$MAA_URL/attest/SevSnpVM?api-version=2020-10-01")
t_check "strict: an unknown field is refused (HTTP $code)" test "$code" = 400
t_grep "strict: the refusal names it" 'fields no Microsoft client sends: extra' "$D/answer"
code=$(curl -s -o "$D/answer" -w '%{http_code}' --cacert "$W/pki/ca.pem" -H 'Content-Type: text/plain' \
	--data '{}' "$MAA_URL/attest/TdxVm?api-version=2023-04-01-preview")
t_check "strict: a body that is not sent as application/json is refused (HTTP $code)" test "$code" = 400
t_done
