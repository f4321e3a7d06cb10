#!/usr/bin/env bash
# long.sh OUTDIR SECONDS JOBS - `make fuzz-long`: every fuzz target for
# SECONDS (default 600), JOBS at a time, each on a corpus kept under
# build/fuzz-long/corpus/<target> (seeded as in smoke.sh, growing from run
# to run).  Writes build/fuzz-long/report.txt: executions, corpus size and
# findings per target; crash inputs are kept in build/fuzz-long/findings/.
# FUZZ_TARGETS limits the run to the targets it names.
# Not part of `make test`.
set -u
out=$1 secs=${2:-600} jobs=${3:-2}
base=build/fuzz-long
. "$(dirname "$0")/corpus.sh"
mkdir -p "$base/logs" "$base/findings"
if [ -f "$out/SKIPPED" ]; then echo "fuzz-long: skipped: $(cat "$out/SKIPPED")"; exit 0; fi
run_one() {
	local name=$1 bin="$out/$1" corpus="$base/corpus/$1" rc
	fuzz_seed_corpus "$name" "$corpus"
	nice -n 10 "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$base/findings/$name-" -print_final_stats=1 "$corpus" >"$base/logs/$name.log" 2>&1
	rc=$?
	printf '%-14s %12s execs  %6s corpus  %s\n' "$name" \
		"$(sed -n 's/^stat::number_of_executed_units: *//p' "$base/logs/$name.log" | tail -1)" \
		"$(ls "$corpus" | wc -l)" "$([ "$rc" = 0 ] && echo "no findings" || echo "FINDING (exit $rc, see $base/findings)")" \
		>"$base/logs/$name.result"
}
for src in test/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	# FUZZ_TARGETS="fuzz_a fuzz_b": only those (the report keeps the others' last results).
	case " ${FUZZ_TARGETS:-$name} " in *" $name "*) ;; *) continue ;; esac
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
	run_one "$name" &
done
wait
{ echo "fuzz-long: ${secs}s per target, $(date -u +%Y-%m-%dT%H:%M:%SZ)"; cat "$base"/logs/*.result; } | tee "$base/report.txt"
! grep -q FINDING "$base/report.txt"
