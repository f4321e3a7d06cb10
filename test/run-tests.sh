#!/usr/bin/env bash
# run-tests.sh - runs every suite and sums them into one closing line
# "N passed, N failed, N skipped".  Each suite speaks TAP (cmocka with
# CMOCKA_MESSAGE_OUTPUT=TAP, the shell suites through test/lib/tap.sh).  A
# suite that exits non-zero without reporting a failure (a crash, a
# sanitizer report at exit) counts as one failure.
set -u
cd "$(dirname "$0")/.."
B=${AG_BUILD:-build}
export AG_BIN="$PWD/$B/attestgate" AG_REPO="$PWD" AG_SHARED="$PWD/../shared"
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LOGDIR=$B/test-logs
mkdir -p "$LOGDIR"
passed=0 failed=0 skipped=0 failed_suites=""

# Suites run AG_JOBS at a time (default: the number of cores); each writes its own log and exit
# code, and the results are read back in the order the suites were started.
JOBS=${AG_JOBS:-$(nproc 2>/dev/null || echo 2)}
ORDER=()

log_of() { echo "$LOGDIR/$(echo "$1" | tr '/ ' '__').log"; }

# run_suite NAME CMD...: starts CMD for suite NAME in the background (at most JOBS at once).
run_suite() {
	local name=$1 log; shift
	log=$(log_of "$name")
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n 2>/dev/null || true; done
	rm -f "$log.rc"
	( "$@" >"$log" 2>&1; echo $? >"$log.rc" ) &
	ORDER+=("$name")
}

# report NAME: the counts of a finished suite, its skips and, when it failed, the failures.
report() {
	local name=$1 log rc p f s
	log=$(log_of "$name")
	rc=$(cat "$log.rc" 2>/dev/null || echo 255)
	# cmocka reports a skipped test as "not ok N # SKIP": a skip, not a failure.
	p=$(grep -E '^ok [0-9]+' "$log" | grep -cv '# SKIP'); s=$(grep -cE '^(not )?ok [0-9]+.*# SKIP' "$log")
	f=$(grep -E '^not ok [0-9]+' "$log" | grep -cv '# SKIP')
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "not ok - $name exited $rc without a failed test" >>"$log"; fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	printf '%-40s %4d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$s"
	grep -E '^(not )?ok [0-9]+.*# SKIP' "$log" | sed 's/^/    /'
	if [ "$f" != 0 ]; then
		failed_suites="$failed_suites $name"
		grep -E -A12 '^not ok' "$log" | head -60 | sed 's/^/    /'
	fi
}

for t in "$B"/test/test_*; do [ -x "$t" ] && run_suite "unit/$(basename "$t")" "$t"; done
# AG_QUICK=1 (make check): the plain unit and integration suites only.
QUICK=${AG_QUICK:-0}
[ "$QUICK" = 1 ] || for t in build/san/test/test_*; do [ -x "$t" ] && run_suite "unit-san/$(basename "$t")" "$t"; done
for t in test/integration/*.sh; do [ -f "$t" ] && run_suite "integration/$(basename "$t" .sh)" bash "$t"; done
# The same suites against the ASan+UBSan binary: leaks and UB in the CLI paths.
if [ "$QUICK" != 1 ] && [ -x build/san/attestgate ]; then
	for t in test/integration/*.sh; do
		[ -f "$t" ] && run_suite "integration-san/$(basename "$t" .sh)" env AG_BIN="$PWD/build/san/attestgate" bash "$t"
	done
fi
# The same suites against the static build (what the image ships): the libraries built from the pinned sources.
if [ "$QUICK" != 1 ] && [ -x build/attestgate-static ]; then
	for t in test/integration/*.sh test/e2e/*.sh; do
		[ -f "$t" ] && run_suite "static/$(basename "$t" .sh)" env AG_BIN="$PWD/build/attestgate-static" bash "$t"
	done
fi
[ "$QUICK" = 1 ] || for t in test/e2e/*.sh; do [ -f "$t" ] && run_suite "e2e/$(basename "$t" .sh)" bash "$t"; done
if [ "$QUICK" != 1 ] && [ -x build/san/attestgate ]; then
	for t in test/e2e/*.sh; do
		[ -f "$t" ] && run_suite "e2e-san/$(basename "$t" .sh)" env AG_BIN="$PWD/build/san/attestgate" bash "$t"
	done
fi
[ "$QUICK" = 1 ] || run_suite "fuzz-smoke" test/fuzz/smoke.sh build/fuzz "${FUZZ_SECONDS:-4}"
# The image run by podman from the real pod specs (make pod-test); skips visibly without podman.
[ "$QUICK" = 1 ] || run_suite "pod" env AG_IMAGE="${AG_IMAGE:-localhost/attestgate:dev}" test/pod/run.sh
[ "$QUICK" = 1 ] || run_suite "pod-webhook" env AG_IMAGE="${AG_IMAGE:-localhost/attestgate:dev}" test/pod/webhook.sh
[ "$QUICK" = 1 ] || run_suite "pod-nvidia" env AG_IMAGE="${AG_IMAGE:-localhost/attestgate:dev}" test/pod/nvidia.sh

wait
for name in "${ORDER[@]}"; do report "$name"; done
[ -z "$failed_suites" ] || echo "failed suites:$failed_suites (logs in $LOGDIR)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
