#!/usr/bin/env bash
# gpu.sh - `attestgate run` with a CPU platform and NVIDIA GPUs (spec.gpus):
# a SEV-SNP guest (configfs-tsm over FUSE, local verifier) plus GPUs read
# through the real attestgate-nvml helper from an emulated libnvidia-ml.so.1
# (test/emul/nvml_emul.c).  The emulated GPU serves the recorded 2023 H100
# report re-signed by a test device chain for the run's GPU nonce; its
# measurements are compared with NVIDIA's RIMs for that report, re-signed by
# a test RIM CA (test/emul/nvidia_test_rims.sh).  Real NVIDIA data cannot be
# re-signed for a fresh nonce: the recorded reports are verified as they are
# by the unit tests.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/emul.sh"
. "$(dirname "$0")/../lib/services.sh"
W=$(mktemp -d)
trap 'emul_cleanup; svc_cleanup; rm -rf "$W"' EXIT
HELPER=${AG_NVML_HELPER:-$REPO/build/attestgate-nvml}
NVML=${AG_NVML_EMUL:-$REPO/build/emul/libnvidia-ml.so.1}
SRC=$SHARED/vectors/nvidia/nvtrust-2023-hopper-545

[ -f "$SRC/attestationReport.bin" ] || { t_skip "GPU end to end" "../shared/vectors/nvidia is not present"; t_done; exit $?; }
[ -x "$HELPER" ] && [ -f "$NVML" ] || { t_skip "GPU end to end" "build/attestgate-nvml or the emulated NVML is not built (make check)"; t_done; exit $?; }
command -v xmlsec1 >/dev/null || { t_skip "GPU end to end" "xmlsec1 (the test RIMs' signer) is not installed (make deps)"; t_done; exit $?; }
svc_have_python || { t_skip "GPU end to end" "$PY has no cryptography module (make deps)"; t_done; exit $?; }
emul_fuse_ok || { t_skip "GPU end to end" "FUSE (/dev/fuse) or python3-fusepy is not available here"; t_done; exit $?; }
emul_pki "$W/tee" >/dev/null
emul_tsmfs "$W/tee" "$W/tsm" sev_guest || { t_skip "GPU end to end" "the FUSE mount did not come up"; t_done; exit $?; }

# Test roots: the AMD test roots, the test NVIDIA device root, the test RIM root.
"$REPO/test/emul/nvml_test_ca.sh" "$W/gpu" "$SRC/attestationReport.bin" >/dev/null
"$REPO/test/emul/nvml_test_ca.sh" "$W/gpu-b" "$SRC/attestationReport.bin" >/dev/null   # a second device
"$REPO/test/emul/nvidia_test_rims.sh" "$W/rim" "$SRC"
mkdir -p "$W/roots"
cp "$W/tee/test-roots/"* "$W/roots/"
cp "$W/gpu/root.pem" "$W/roots/nvidia-device-test-root.pem"
cp "$W/gpu-b/root.pem" "$W/roots/nvidia-device-test-root-b.pem"
cp "$W/rim/rim-ca/root.pem" "$W/roots/nvidia-rim-test-root.pem"
# NVIDIA's RIM service and OCSP responder, stood in on loopback over TLS.
svc_pki "$W/pki"
svc_nvidia "$W/nv" "$W/pki" "$W/rim/rims" "$W/gpu" "$W/gpu-b" "$W/rim/rim-ca" || { t_skip "GPU end to end" "the NVIDIA stand-in did not start"; t_done; exit $?; }

# policy NAME COUNT [RULES...]: a sev-snp local policy with spec.gpus.
policy() {
	local name=$1 count=$2 r; shift 2
	{
		printf 'apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata:\n  name: %s\nspec:\n' "$name"
		printf '  platforms: [sev-snp]\n  verifier:\n    type: local\n  require:\n'
		printf '    - claim: /x-ms-sevsnpvm-is-debuggable\n      equals: false\n'
		printf '  gpus:\n    count: %s\n' "$count"
		if [ $# -gt 0 ]; then printf '    require:\n'; for r in "$@"; do printf '      %s\n' "$r"; done; fi
	} >"$W/$name.yaml"
	P=$W/$name.yaml
	SUM=$(sha256sum "$P" | cut -d' ' -f1)
}
# gate WANT DESC [FLAGS...]: one run against the emulated CPU and GPU ($W/gpu is the NVML emulator's directory);
# GPU_HELPER, RIM_DIR, ROOTS and OCSP (the flag and its value) replace the defaults for one call.
gate() {
	local want=$1 desc=$2; shift 2
	rm -rf "$W/out"; mkdir -p "$W/out"
	t_exit "$want" "$desc" env AG_NVML_LIB="$NVML" AG_NVML_EMUL_DIR="$W/gpu" "$BIN" run --policy "$P" \
		--policy-sha256 "$SUM" --output-dir "$W/out" --termination-log "$W/term" --platform sev-snp \
		--tsm-root "$W/tsm" --insecure-test-roots "${ROOTS:-$W/roots}" --nvml-helper "${GPU_HELPER:-$HELPER}" \
		--gpu-rim-dir "${RIM_DIR:-$W/rim/rims}" --insecure-test-ca "$W/pki/ca.pem" ${OCSP:---gpu-ocsp-url $NV_URL} \
		--keep-evidence "$@"
}
RULE_MEAS='- {claim: /measres, equals: success}'
RULE_DRV='- {claim: /x-nvidia-gpu-driver-version, equals: "545.00"}'
RULE_SIG='- {claim: /x-nvidia-gpu-attestation-report-signature-verified, equals: true}'

# 1. CPU + GPU, everything genuine (test roots): allowed.
policy gpu-ok 1 "$RULE_MEAS" "$RULE_DRV" "$RULE_SIG"
gate 0 "sev-snp + emulated H100: exit 0"
t_jq "status.json: Verified, one GPU listed with its checks" '.reason == "Verified" and (.gpus | length) == 1 and .gpus[0].hwmodel == "GH100 A01 GSP BROM" and .gpus[0].driverVersion == "545.00" and .gpus[0].measres == "success" and .gpus[0].checks.nonce == "matched" and .gpus[0].checks.measurements == "matched" and .gpus[0].checks.rimSources.driver == "dir"' "$W/out/status.json"
t_jq "status.json: every rule held, the GPU count and GPU 0's rules among them" '([.rules[] | select(.ok | not)] | length) == 0 and any(.rules[]; .claim == "/x-attestgate-gpu-count") and any(.rules[]; .claim == "/x-attestgate-gpus/0/measres")' "$W/out/status.json"
t_jq "claims.json: the CPU's and the GPU's claims" '.["x-attestgate-gpu-count"] == 1 and .["x-attestgate-gpus"][0]["x-nvidia-gpu-attestation-report-nonce-match"] == true and .["x-ms-sevsnpvm-is-debuggable"] == false' "$W/out/claims.json"
t_check "the GPU evidence is kept with the CPU's" test -s "$W/out/evidence/gpu-evidence.json"
t_jq "the GPU nonce is derived from the run's nonce (SHA-256 of the label and the nonce)" \
	"(.gpuNonce | length) == 64" "$W/out/evidence/evidence.json"
RUN_NONCE=$(jq -r .nonce "$W/out/evidence/evidence.json")
WANT_GPU=$("$PY" -c "import hashlib,sys; print(hashlib.sha256(b'attestgate nvidia-gpu nonce v1\0' + bytes.fromhex(sys.argv[1])).hexdigest())" "$RUN_NONCE")
t_check "gpuNonce = SHA-256(label || run nonce) and the report carries it" test "$(jq -r .gpuNonce "$W/out/evidence/evidence.json")" = "$WANT_GPU" -a \
	"$(jq -r '.[0].nonce' "$W/out/evidence/gpu-evidence.json")" = "$WANT_GPU"
t_check "ready is written" test -e "$W/out/ready"
t_exit 0 "verify-evidence --in the kept bundle checks the GPUs too, for the bundle's nonce" "$BIN" verify-evidence \
	--in "$W/out/evidence" --insecure-test-roots "$W/roots" --gpu-rim-dir "$W/rim/rims"
cp "$T_OUT" "$W/bundle-claims.json"
t_jq "verify-evidence --in: the GPU's claims, nonce matched, measurements compared" '.["x-attestgate-gpu-count"] == 1 and .["x-attestgate-gpus"][0]["x-attestgate-gpu-checks"].nonce == "matched" and .["x-attestgate-gpus"][0].measres == "success"' "$W/bundle-claims.json"
t_jq "revocation was checked online: the device chain and both RIM chains good" '.gpus[0].checks.ocsp == "online"' "$W/out/status.json"
t_jq "the claims carry NVIDIA's OCSP fields" '.["x-attestgate-gpus"][0] | (.["x-nvidia-gpu-attestation-report-cert-chain"] | .["x-nvidia-cert-ocsp-status"] == "good" and .["x-nvidia-cert-ocsp-nonce-matches"] == true) and (.["x-nvidia-gpu-driver-rim-cert-chain"]["x-nvidia-cert-ocsp-status"] == "good")' "$W/out/claims.json"
t_check "five OCSP requests: three device certificates (not the leaf, not the root) and each RIM's signer" \
	test "$(grep -c '^POST / 200' "$W/nv/requests.log")" = 5

# 2. A flipped byte in the GPU's report (after signing): exit 6 naming the GPU.
echo 200 >"$W/gpu/gpu0.flip"
gate 6 "a flipped byte in the GPU report: exit 6"
t_jq "the reason names GPU 0 and its signature" '.reason == "TokenInvalid" and (.message | test("GPU 0: GPU report signature does not verify"))' "$W/out/status.json"
t_check "no ready after a GPU failure" test ! -e "$W/out/ready"
t_grep "the termination message names GPU 0" 'GPU 0' "$W/term"
rm -f "$W/gpu/gpu0.flip"

# 3. A genuine report of the same GPU made earlier for another nonce, replayed: exit 6, the nonce.
AG_NVML_LIB="$NVML" AG_NVML_EMUL_DIR="$W/gpu" "$HELPER" --nonce "$(openssl rand -hex 32)" | jq -r '.[0].evidence' | base64 -d >"$W/replay.bin"
cp "$W/gpu/gpu0.template.bin" "$W/template.bin"; cp "$W/replay.bin" "$W/gpu/gpu0.template.bin"; touch "$W/gpu/gpu0.recorded"
gate 6 "a replayed GPU report (signed, but for another nonce): exit 6"
t_jq "the reason is GPU 0's nonce" '(.message | test("GPU 0: the report.s nonce is not the expected one"))' "$W/out/status.json"
rm -f "$W/gpu/gpu0.recorded"; cp "$W/template.bin" "$W/gpu/gpu0.template.bin"

# 4. RIMs whose golden value differs from the GPU's measurement: exit 6 naming the index.
RIM_DIR=$W/rim/bad-rims gate 6 "a measurement that differs from the RIM: exit 6"
t_jq "the reason names the RIM index" '(.message | test("GPU 0: 1 measurement\\(s\\) differ.*driver 7"))' "$W/out/status.json"

# 5. No RIM for the driver in the directory: exit 6 (a check that cannot be made is an error).
mkdir -p "$W/rim/vbios-only"; cp "$W/rim/rims/NV_GPU_VBIOS_"* "$W/rim/vbios-only/"
RIM_DIR=$W/rim/vbios-only gate 6 "no driver RIM to compare with: exit 6"
t_jq "the reason names the missing RIM" '(.message | test("no driver RIM NV_GPU_DRIVER_GH100_545.00"))' "$W/out/status.json"

# 6. The policy's GPU rules and count.
policy gpu-wrong-driver 1 '- {claim: /x-nvidia-gpu-driver-version, equals: "550.90.07"}'
gate 5 "a GPU rule that does not hold: exit 5"
t_jq "the failed rule is GPU 0's driver version" '[.rules[] | select(.ok | not) | .claim] == ["/x-attestgate-gpus/0/x-nvidia-gpu-driver-version"]' "$W/out/status.json"
policy gpu-two 2 "$RULE_MEAS"
gate 5 "the policy wants 2 GPUs, the node has 1: exit 5"
t_jq "the failed rules are the count and GPU 1's (missing)" '[.rules[] | select(.ok | not) | .claim] == ["/x-attestgate-gpu-count", "/x-attestgate-gpus/1/measres"]' "$W/out/status.json"
echo 2 >"$W/gpu/count"
# The same GPU listed twice (by a broken or hostile NVML): it is one device, never two.
cp "$W/gpu/gpu0.template.bin" "$W/gpu/gpu1.template.bin"; cp "$W/gpu/gpu0.key.pem" "$W/gpu/gpu1.key.pem"; cp "$W/gpu/gpu0.chain.pem" "$W/gpu/gpu1.chain.pem"
gate 6 "one GPU listed twice does not count as two: exit 6"
t_jq "the reason names the repeated device" '(.message | test("GPU 1 is device 0 again"))' "$W/out/status.json"
cp "$W/gpu-b/gpu0.key.pem" "$W/gpu/gpu1.key.pem"; cp "$W/gpu-b/gpu0.chain.pem" "$W/gpu/gpu1.chain.pem"
gate 0 "two GPUs (two device chains), both attest: exit 0"
t_jq "status.json lists both GPUs" '(.gpus | length) == 2 and .gpus[1].index == 1' "$W/out/status.json"
t_jq "claims.json: two device ids" '[.["x-attestgate-gpus"][]["x-attestgate-gpu-device-id"]] | unique | length == 2' "$W/out/claims.json"
echo 300 >"$W/gpu/gpu1.flip"
gate 6 "two GPUs, the second one's report altered: exit 6 naming GPU 1"
t_jq "the reason names GPU 1" '(.message | test("GPU 1: GPU report signature"))' "$W/out/status.json"
rm -f "$W/gpu/gpu1.flip" "$W/gpu/gpu1."*; echo 1 >"$W/gpu/count"

# 7. Collection failures: exit 3 with the helper's own message.
policy gpu-ok 1 "$RULE_MEAS"
touch "$W/gpu/cc_off"
gate 3 "confidential computing off on the GPU: exit 3"
t_jq "the reason is the helper's" '.reason == "EvidenceUnavailable" and (.message | test("no GPU evidence"))' "$W/out/status.json"
rm -f "$W/gpu/cc_off"
GPU_HELPER=$W/no-such-helper gate 3 "no NVML helper at the given path: exit 3"
t_jq "the reason names the helper" '(.message | test("cannot start the NVML helper"))' "$W/out/status.json"
printf '#!/bin/sh\nsleep 30\n' >"$W/slow-helper"; chmod +x "$W/slow-helper"
GPU_HELPER=$W/slow-helper gate 3 "a helper that hangs is killed at the deadline: exit 3" --timeout 2s
t_jq "the reason is the deadline" '(.message | test("did not finish before the deadline"))' "$W/out/status.json"
printf '#!/bin/sh\nexec >&- 2>&-\nsleep 30\n' >"$W/detached-helper"; chmod +x "$W/detached-helper"
t0=$(date +%s)
GPU_HELPER=$W/detached-helper gate 3 "a helper that closes its pipes and keeps running is killed at the deadline: exit 3" --timeout 2s
t_check "and the run ends at its deadline, not the helper's ($(($(date +%s) - t0)) s)" test $(($(date +%s) - t0)) -le 8
printf '#!/bin/sh\ni=0; while [ $i -lt 80 ]; do echo "warning $i: a long line of noise from the driver, again and again" >&2; i=$((i + 1)); done\nexec "%s" "$@"\n' \
	"$HELPER" >"$W/noisy-helper"; chmod +x "$W/noisy-helper"
GPU_HELPER=$W/noisy-helper gate 0 "a helper that writes kilobytes to stderr and then succeeds: exit 0"
printf '#!/bin/sh\necho "[{\\"arch\\": \\"HOPPER\\"}]"\n' >"$W/bad-helper"; chmod +x "$W/bad-helper"
GPU_HELPER=$W/bad-helper gate 6 "a helper that prints no report: exit 6"
t_jq "the reason is the evidence" '(.message | test("evidence"))' "$W/out/status.json"

# 8. Revocation (OCSP, NVIDIA's responder stood in).
policy gpu-ok 1 "$RULE_MEAS"
openssl x509 -in "$W/gpu/brom.pem" -noout -serial | sed 's/serial=//' | "$PY" -c 'import sys; print(int(sys.stdin.read().strip(), 16))' >"$W/nv/revoked"
gate 6 "a revoked device certificate: exit 6"
t_jq "the reason names the certificate and the revocation" '(.message | test("GPU 0: the device certificate chain: revocation: \"GH100 A01 GSP BROM\" is revoked by OCSP: keyCompromise"))' "$W/out/status.json"
rm -f "$W/nv/revoked"
for m in unknown:"is unknown by OCSP" no-nonce:"does not echo the request.s nonce" wrong-nonce:"does not echo the request.s nonce" \
	stale:"nextUpdate has passed" other-signer:"its signer is not the issuer" unauthorized:"unauthorized" garbage:"not a DER OCSPResponse"; do
	echo "${m%%:*}" >"$W/nv/ocsp-mode"
	gate 6 "OCSP answer ${m%%:*}: exit 6"
	t_jq "OCSP ${m%%:*}: the reason says why" "(.message | test(\"revocation: .*${m#*:}\"))" "$W/out/status.json"
done
echo http500 >"$W/nv/ocsp-mode"
gate 4 "the OCSP responder fails (HTTP 500, retried until the deadline): exit 4" --timeout 4s
rm -f "$W/nv/ocsp-mode"
OCSP="--gpu-ocsp-url https://127.0.0.1:1" gate 4 "the OCSP responder cannot be reached: exit 4" --timeout 5s
# Pre-fetched responses (offline): made with the openssl CLI against the stand-in, without a nonce.
mkdir -p "$W/ocsp"
fetch_ocsp() { # NAME ISSUER CERT
	openssl ocsp -issuer "$2" -cert "$3" -no_nonce -reqout "$W/ocsp/$1.req" >/dev/null 2>&1 &&
		curl -sf --cacert "$W/pki/ca.pem" -H 'Content-Type: application/ocsp-request' --data-binary @"$W/ocsp/$1.req" \
			-o "$W/ocsp/$1.der" "$NV_URL/"
}
fetch_ocsp brom "$W/gpu/provisioner.pem" "$W/gpu/brom.pem" && fetch_ocsp provisioner "$W/gpu/identity.pem" "$W/gpu/provisioner.pem" &&
	fetch_ocsp identity "$W/gpu/root.pem" "$W/gpu/identity.pem" && fetch_ocsp signer "$W/rim/rim-ca/root.pem" "$W/rim/rim-ca/signer.pem"
t_check "four OCSP responses fetched with openssl ocsp and curl" test -s "$W/ocsp/signer.der"
OFFLINE="--gpu-ocsp-response $W/ocsp/brom.der --gpu-ocsp-response $W/ocsp/provisioner.der --gpu-ocsp-response $W/ocsp/identity.der"
OCSP="$OFFLINE --gpu-ocsp-response $W/ocsp/signer.der" gate 0 "pre-fetched OCSP responses only (offline): exit 0"
t_jq "offline: status.json says so, and no nonce was matched" '.gpus[0].checks.ocsp == "offline"' "$W/out/status.json"
t_jq "offline: the chain claim says the nonce did not match" '.["x-attestgate-gpus"][0]["x-nvidia-gpu-attestation-report-cert-chain"]["x-nvidia-cert-ocsp-nonce-matches"] == false' "$W/out/claims.json"
OCSP="$OFFLINE" gate 6 "a certificate no pre-fetched response covers (and no responder): exit 6"
t_jq "the reason names the RIM signer" '(.message | test("no OCSP response for \"attestgate test RIM L4 signer\""))' "$W/out/status.json"
OCSP="--gpu-no-ocsp" gate 0 "--gpu-no-ocsp: exit 0, revocation not checked"
t_jq "--gpu-no-ocsp: status.json and the claims say it was not checked" '.gpus[0].checks.ocsp == "not-checked"' "$W/out/status.json"
policy gpu-ocsp-required 1 '- {claim: /x-nvidia-gpu-attestation-report-cert-chain/x-nvidia-cert-ocsp-status, equals: good}'
OCSP="--gpu-no-ocsp" gate 5 "a policy that requires OCSP, run with --gpu-no-ocsp: exit 5"
# The RIMs from the RIM service (stood in) instead of a directory.
policy gpu-ok 1 "$RULE_MEAS"
RIM_DIR=/nonexistent gate 6 "RIMs from a directory that does not have them: exit 6"
rm -rf "$W/out"; mkdir -p "$W/out"
t_exit 0 "RIMs from the RIM service: exit 0" env AG_NVML_LIB="$NVML" AG_NVML_EMUL_DIR="$W/gpu" "$BIN" run --policy "$P" \
	--policy-sha256 "$SUM" --output-dir "$W/out" --termination-log "$W/term" --platform sev-snp --tsm-root "$W/tsm" \
	--insecure-test-roots "$W/roots" --nvml-helper "$HELPER" --gpu-rim-url "$NV_URL" --gpu-ocsp-url "$NV_URL" \
	--insecure-test-ca "$W/pki/ca.pem"
t_jq "the RIMs came from the service" '.gpus[0].checks.rimSources == {"driver": "service", "vbios": "service"}' "$W/out/status.json"
t_grep "the service was asked for both RIMs by id" 'GET /v1/rim/NV_GPU_VBIOS_1010_0200_882_96005E0001 200' "$W/nv/requests.log"

# 9. Without the test device root, the test GPU chain is not NVIDIA's: exit 6.
mkdir -p "$W/roots-cpu"; cp "$W/tee/test-roots/"* "$W/roots-cpu/"; cp "$W/rim/rim-ca/root.pem" "$W/roots-cpu/"
ROOTS=$W/roots-cpu gate 6 "a GPU chain that does not end at the pinned NVIDIA root: exit 6"
t_jq "the reason names the pinned device root" '(.message | test("GPU 0: the device certificate chain ends at .* not the pinned NVIDIA Device Identity CA"))' "$W/out/status.json"
t_done
