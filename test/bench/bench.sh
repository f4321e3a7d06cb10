#!/usr/bin/env bash
# bench.sh BIN [RUNS] - time and memory of attestgate on the demo setup
# (swtpm Azure-CVM rig + local MAA stand-in), against the same evidence job
# done with stock tools the way Azure's sample scripts do it (tpm2-tools,
# curl, jq, openssl).  Prints medians of RUNS runs.  A measurement, not a
# test: nothing here passes or fails on a number.
set -u
BIN=${1:-build/attestgate}
RUNS=${2:-7}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PY=${AG_PYTHON:-/usr/bin/python3}
RIG=$REPO/test/rig/azure-cvm-rig.sh
BARE=$(dirname "$BIN")/bench/bare_tpm MEASURE=$(dirname "$BIN")/bench/measure
[ -x "$MEASURE" ] || { echo "bench: $MEASURE is missing (make bench builds it)" >&2; exit 2; }
W=$(mktemp -d)
SVC=""
cleanup() { [ -n "$SVC" ] && kill "$SVC" 2>/dev/null && wait "$SVC" 2>/dev/null; "$RIG" stop "$W/run" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

"$RIG" provision "$W/tpl" >/dev/null
TCTI=$("$RIG" start "$W/tpl" "$W/run")
"$PY" "$REPO/test/services/testpki.py" "$W/pki"
"$PY" "$REPO/test/services/maa_service.py" --pki "$W/pki" --state "$W/svc" --rig "$W/tpl" 2>"$W/svc.log" &
SVC=$!
for _ in $(seq 100); do [ -s "$W/svc/port" ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(cat "$W/svc/port") THIM=http://127.0.0.1:$(cat "$W/svc/thim-port")
mkdir -p "$W/policies" "$W/out"
sed "s|url: https://sharedeus2.eus2.attest.azure.net|url: $URL|" "$REPO/deploy/policies/azure-cvm.yaml" >"$W/policies/azure-cvm.yaml"
SUM=$(sha256sum "$W/policies/azure-cvm.yaml" | cut -d' ' -f1)
export TPM2TOOLS_TCTI=$TCTI

# measure NAME CMD...: RUNS runs of CMD (test/bench/measure.c: wall, CPU and peak RSS from wait4, microseconds);
# appends "wall cpu rss" lines to W/m.NAME.
# With AFTER set, that command runs after each run (its stderr is in W/err).
measure() {
	local name=$1; shift
	for _ in $(seq "$RUNS"); do
		MEASURE_ERR=$W/err "$MEASURE" "$W/m.$name" "$@" ||
			{ echo "bench: $name failed: $(tail -2 "$W/err")" >&2; return 1; }
		${AFTER:-true}
	done
}
# steps: the run's own timings (status.json timingsMs.steps; outputs from its log) into W/steps.
steps() {
	jq -r '.timingsMs.steps | to_entries[] | "\(.key) \(.value)"' "$W/out/status.json" >>"$W/steps"
	sed -n 's/.*"step":"outputs","durationMs":\([0-9]*\).*/outputs \1/p' "$W/err" >>"$W/steps"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
row() {
	printf '%-46s %9.1f %9.1f %10d\n' "$1" "$(cut -d' ' -f1 "$W/m.$2" | median | awk '{ print $1 * 1000 }')" \
		"$(cut -d' ' -f2 "$W/m.$2" | median | awk '{ print $1 * 1000 }')" "$(cut -d' ' -f3 "$W/m.$2" | median)"
}

printf 'NAME="Ubuntu"\nVERSION_ID="22.04"\n' >"$W/os-release"
# The full gate: evidence, THIM, ephemeral key, AzureGuest, decrypt in the vTPM, token, policy, outputs.
AFTER=steps measure run "$BIN" run --policy-dir "$W/policies" --policy-name azure-cvm --policy-sha256 "$SUM" --output-dir "$W/out" \
	--termination-log "$W/term" --tcti "$TCTI" --insecure-test-ca "$W/pki/ca.pem" --imds-url "$THIM" \
	--eventlog "$W/run/eventlog.bin" --insecure-test-roots "$W/tpl/test-roots" --os-release "$W/os-release"
# The same with the static build (what the image ships), when it is built (make static).
STATIC=${AG_STATIC:-build/attestgate-static}
if [ -x "$STATIC" ]; then
	measure run-static "$STATIC" run --policy-dir "$W/policies" --policy-name azure-cvm --policy-sha256 "$SUM" \
		--output-dir "$W/out" --termination-log "$W/term" --tcti "$TCTI" --insecure-test-ca "$W/pki/ca.pem" \
		--imds-url "$THIM" --eventlog "$W/run/eventlog.bin" --insecure-test-roots "$W/tpl/test-roots" \
		--os-release "$W/os-release"
fi
[ -x "$STATIC" ] && measure evidence-static "$STATIC" evidence --platform azure-cvm --tcti "$TCTI" \
	--nonce 00112233445566778899aabbccddeeff --out "$W/ev" --eventlog "$W/run/eventlog.bin"
# The TPM's own time for the same commands (test/bench/bare_tpm.c), when it is built (make bench builds it).
if [ -x "$BARE" ]; then
	measure bare-evidence "$BARE" evidence "$TCTI"
	measure bare-run "$BARE" run "$TCTI"
	# In process: the TPM time alone (open to close), against the run's evidence step.
	for _ in $(seq "$RUNS"); do "$BARE" evidence "$TCTI" >>"$W/bare-us"; done
fi
# Evidence only, attestgate and stock tools doing the same reads and quote.
measure evidence "$BIN" evidence --platform azure-cvm --tcti "$TCTI" --nonce 00112233445566778899aabbccddeeff --out "$W/ev" \
	--eventlog "$W/run/eventlog.bin"
cat >"$W/stock.sh" <<'EOS'
#!/usr/bin/env bash
# The evidence part of Azure's shell-based samples: tpm2-tools, then curl + jq + openssl to check it.
set -e
d=$1 thim=$2
tpm2_nvread -C o 0x01400001 -o "$d/hcl.bin" 2>/dev/null
tpm2_nvread -C o 0x01C101D0 -o "$d/akcert.der" 2>/dev/null
tpm2_readpublic -c 0x81000003 -f pem -o "$d/ak.pem" >/dev/null
tpm2_pcrread sha256:all -o "$d/pcrs.bin" >/dev/null
tpm2_quote -c 0x81000003 -l sha256:0,1,2,3,4,5,6,7 -q 00112233445566778899aabbccddeeff -m "$d/quote.msg" -s "$d/quote.sig" -g sha256 >/dev/null
tpm2_flushcontext -t
curl -sf -H Metadata:true "$thim/metadata/THIM/amd/certification" -o "$d/thim.json"
jq -r '.vcekCert, .certificateChain' "$d/thim.json" >"$d/chain.pem"
openssl x509 -in "$d/chain.pem" -noout -subject >/dev/null
tpm2_checkquote -u "$d/ak.pem" -m "$d/quote.msg" -s "$d/quote.sig" -q 00112233445566778899aabbccddeeff -g sha256 >/dev/null
EOS
chmod +x "$W/stock.sh"; mkdir -p "$W/stock"
measure stock bash "$W/stock.sh" "$W/stock" "$THIM"

echo
echo "attestgate $("$BIN" version | cut -d' ' -f2), $RUNS runs each, medians; swtpm + local MAA stand-in on loopback"
printf '%-46s %9s %9s %10s\n' "job" "wall ms" "cpu ms" "peak KiB"
row "attestgate run (full gate, AzureGuest)" run
[ -x "$STATIC" ] && row "attestgate run, static build" run-static
row "attestgate evidence (vTPM reads + quote)" evidence
[ -x "$STATIC" ] && row "attestgate evidence, static build" evidence-static
[ -x "$BARE" ] && row "bare TPM: the same commands, nothing else" bare-evidence
[ -x "$BARE" ] && row "bare TPM: all of run's TPM commands" bare-run
row "stock tools: tpm2-tools + curl + jq + openssl" stock
echo
if [ -x "$BARE" ]; then
	wall() { cut -d' ' -f1 "$W/m.$1" | median; }
	awk -v e="$(wall evidence)" -v b="$(wall bare-evidence)" -v r="$(wall run)" -v br="$(wall bare-run)" 'BEGIN {
		printf "overhead: evidence / bare TPM = %.2fx (%.1f ms over the TPM);  run / its TPM commands = %.2fx\n",
			e / b, (e - b) * 1000, r / br }'
	awk -v b="$(median <"$W/bare-us")" -v e="$(awk '$1 == "evidence" { print $2 }' "$W/steps" | median)" 'BEGIN {
		printf "overhead in process: the run'"'"'s evidence step %.2f ms / the bare TPM commands %.2f ms = %.2fx\n",
			e, b / 1000, e / (b / 1000) }'
	[ -x "$STATIC" ] && awk -v e="$(wall evidence-static)" -v b="$(wall bare-evidence)" -v r="$(wall run-static)" \
		-v br="$(wall bare-run)" 'BEGIN {
		printf "overhead, static build (what the image ships): evidence / bare TPM = %.2fx (%.1f ms);  run / its TPM commands = %.2fx\n",
			e / b, (e - b) * 1000, r / br }'
fi
echo
echo "attestgate run, per step (median wall ms of $RUNS runs, from status.json timingsMs.steps; outputs from the log):"
awk '{ n[$1]++; v[$1, n[$1]] = $2; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
	END { for (i = 1; i <= k; i++) { s = order[i]; m = n[s]
		for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (v[s, b] < v[s, a]) { t = v[s, a]; v[s, a] = v[s, b]; v[s, b] = t }
		med = (m % 2) ? v[s, (m + 1) / 2] : (v[s, m / 2] + v[s, m / 2 + 1]) / 2
		printf "  %-20s %8.2f\n", s, med } }' "$W/steps"
echo
echo "binary: $(stat -c %s "$BIN") bytes ($(file -b "$BIN" 2>/dev/null | cut -d, -f1-2 || echo dynamic))"
[ -x "$STATIC" ] && echo "static: $(stat -c %s "$STATIC") bytes ($(file -b "$STATIC" | grep -o "statically linked"))"
echo "The stock-tools column covers evidence collection and the quote check only: the AzureGuest"
echo "response (RSA in the vTPM, then AES-GCM with AAD) cannot be opened with the openssl command line,"
echo "which has no AEAD modes, so the full protocol has no stock-tools equivalent to time."

# The admission webhook under wrk (issue 19's targets: at least 2,000 admissions/s, p99 under 10 ms, RSS under 16 MB).
echo
"$REPO/test/bench/webhook_bench.sh" "$BIN" "${WEBHOOK_BENCH_SECONDS:-10}"
[ -x "$STATIC" ] && "$REPO/test/bench/webhook_bench.sh" "$STATIC" "${WEBHOOK_BENCH_SECONDS:-10}"

# The NVIDIA GPU checks (verify-evidence --platform nvidia-gpu, the NVML helper).
"$REPO/test/bench/gpu_bench.sh" "$BIN" "$RUNS"
[ -x "$STATIC" ] && "$REPO/test/bench/gpu_bench.sh" "$STATIC" "$RUNS"
