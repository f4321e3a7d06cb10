#!/usr/bin/env bash
# smoke.sh OUTDIR SECONDS - runs each fuzz target for SECONDS on a scratch
# copy of its seed corpus: test/fuzz/corpus/<target>/ plus the files of
# ../shared/vectors (or, with repo:, of this repository) named in
# test/fuzz/seeds.txt.  Prints TAP.
set -u
out=$1 secs=$2
n=0 failed=0
if [ -f "$out/SKIPPED" ]; then echo "ok 1 - fuzz smoke # SKIP $(cat "$out/SKIPPED")"; echo "1..1"; exit 0; fi
shared=${AG_SHARED:-../shared}
. "$(dirname "$0")/corpus.sh"
for src in test/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c) bin="$out/$(basename "$src" .c)"
	n=$((n + 1))
	if [ ! -x "$bin" ]; then
		failed=$((failed + 1)); echo "not ok $n - $name was not built (make fuzz)"; continue
	fi
	work=$(mktemp -d)
	fuzz_seed_corpus "$name" "$work/corpus"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$work/" -print_final_stats=0 "$work/corpus" >"$work/log" 2>&1; then
		echo "ok $n - $name ran ${secs}s on $(ls "$work/corpus" | wc -l) inputs"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		tail -40 "$work/log" | sed 's/^/# /'
	fi
	rm -rf "$work"
done
[ -d "$shared/vectors" ] || echo "# note: ../shared/vectors absent; fuzzing from the committed seeds only"
echo "1..$n"
[ "$failed" = 0 ]
