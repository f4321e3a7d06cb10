#!/usr/bin/env bash
# gpu_bench.sh BIN [RUNS] - time and memory of the NVIDIA GPU checks: a
# recorded H100 report verified (chain, signature, nonce, FWID), the same
# with both RIMs compared (libxml2 + xmlsec1, at the RIMs' pinned time), and
# the NVML helper collecting from the emulated NVML.  Medians of RUNS runs
# (test/bench/measure.c).  A measurement, not a test.
set -u
BIN=${1:-build/attestgate}
RUNS=${2:-7}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${AG_SHARED:-$REPO/../shared}
MEASURE=$(dirname "$BIN")/bench/measure
[ -x "$MEASURE" ] || MEASURE=$REPO/build/bench/measure
V=$SHARED/vectors/nvidia
[ -d "$V" ] || { echo "gpu bench: ../shared/vectors/nvidia is not present: skipped"; exit 0; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

measure() {
	local name=$1; shift
	for _ in $(seq "$RUNS"); do
		MEASURE_ERR=$W/err "$MEASURE" "$W/m.$name" "$@" >/dev/null ||
			{ echo "gpu bench: $name failed: $(tail -2 "$W/err")" >&2; return 1; }
	done
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
row() {
	[ -s "$W/m.$2" ] || return 0
	printf '%-46s %9.1f %9.1f %10d\n' "$1" "$(cut -d' ' -f1 "$W/m.$2" | median | awk '{ print $1 * 1000 }')" \
		"$(cut -d' ' -f2 "$W/m.$2" | median | awk '{ print $1 * 1000 }')" "$(cut -d' ' -f3 "$W/m.$2" | median)"
}

R550=$V/nvtrust-hopper-550
measure report "$BIN" verify-evidence --platform nvidia-gpu --gpu-report "$R550/hopperAttestationReport.bin" \
	--gpu-chain "$R550/hopperCertChain.txt" --nonce "$(cat "$R550/hopperAttestationReport.nonce.hex")"
R545=$V/nvtrust-2023-hopper-545
measure rims "$BIN" verify-evidence --platform nvidia-gpu --gpu-report "$R545/attestationReport.bin" \
	--gpu-chain "$R545/gpuAkCertChain.txt" --nonce "$(cat "$R545/attestationReport.nonce.hex")" \
	--gpu-rim "$R545/Driver_RIM_test_no_gpu.swidtag" --gpu-rim "$R545/1010_0200_882_96005E0001_test_no_gpu.swidtag" \
	--at 2025-06-01T00:00:00Z
HELPER=$(dirname "$BIN")/attestgate-nvml NVML=$REPO/build/emul/libnvidia-ml.so.1
[ -x "$HELPER" ] || HELPER=$REPO/build/attestgate-nvml
if [ -x "$HELPER" ] && [ -f "$NVML" ]; then
	"$REPO/test/emul/nvml_test_ca.sh" "$W/gpu" "$R545/attestationReport.bin" >/dev/null
	AG_NVML_LIB=$NVML AG_NVML_EMUL_DIR=$W/gpu measure helper "$HELPER" --nonce "$(openssl rand -hex 32)"
fi

echo
echo "NVIDIA GPU checks, $RUNS runs each, medians ($BIN)"
printf '%-46s %9s %9s %10s\n' "job" "wall ms" "cpu ms" "peak KiB"
row "verify-evidence: H100 report (chain, sig, FWID)" report
row "verify-evidence: + driver and VBIOS RIMs" rims
row "attestgate-nvml: collect (emulated NVML)" helper
