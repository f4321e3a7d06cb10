# tap.sh - TAP helpers for the shell test suites (integration, e2e).
# Source it; each check prints "ok N - desc" or "not ok N - desc"; t_done
# prints the plan and returns non-zero if anything failed.

T_N=0
T_FAILED=0

# What every suite works on (run-tests.sh exports these; defaults for running a suite by hand).
BIN=${AG_BIN:-build/attestgate}
REPO=${AG_REPO:-.}
SHARED=${AG_SHARED:-$REPO/../shared}
PY=${AG_PYTHON:-/usr/bin/python3}

t_ok() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
t_not_ok() { T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $1"; shift; for l in "$@"; do printf "%s\n" "$l" | sed "s/^/# /"; done; }
t_skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"; }

# t_check DESC CMD...: passes when CMD succeeds.
t_check() {
	local d=$1; shift
	if "$@"; then t_ok "$d"; else t_not_ok "$d" "command failed: $*"; fi
}

# t_exit CODE DESC CMD...: runs CMD (stdout/stderr kept in $T_OUT/$T_ERR) and checks its exit code.
t_exit() {
	local want=$1 d=$2 got; shift 2
	T_OUT=$(mktemp) T_ERR=$(mktemp)
	"$@" >"$T_OUT" 2>"$T_ERR"; got=$?
	if [ "$got" = "$want" ]; then t_ok "$d"; else t_not_ok "$d" "exit $got, want $want: $*" "stderr: $(head -c 600 "$T_ERR")"; fi
}

# t_grep DESC PATTERN FILE: passes when FILE has a line matching the extended regex.
t_grep() {
	if grep -Eq -- "$2" "$3"; then t_ok "$1"; else t_not_ok "$1" "no match for /$2/ in:" "$(head -c 600 "$3")"; fi
}

t_done() { echo "1..$T_N"; [ "$T_FAILED" = 0 ]; }

# t_jq DESC FILTER FILE: passes when the jq filter is true for the JSON file.
t_jq() {
	# jq 1.6 -e exits 0 on an empty input: an empty or missing file is a failure here.
	if [ -s "$3" ] && jq -e "$2" "$3" >/dev/null 2>&1; then t_ok "$1"; else t_not_ok "$1" "jq '$2' is not true for:" "$(head -c 600 "$3" 2>&1)"; fi
}

# t_report FILE WHO: a helper's "ok<TAB>what" / "not ok<TAB>what<TAB>why" lines, then "done", as TAP;
# a report without its "done" line (the helper died) is a failure too.
t_report() {
	local res what why seen=0
	while IFS=$'\t' read -r res what why; do
		case $res in
		ok) t_ok "$what" ;;
		"not ok") t_not_ok "$what" "$why" ;;
		done) seen=1 ;;
		esac
	done <"$1"
	[ "$seen" = 1 ] || t_not_ok "$2 ran to its end" "$(tail -c 600 "$1")"
}
