#!/usr/bin/env bash
# cli.sh - the attestgate command line as a user meets it: version, help,
# unknown commands and flags, environment variables, and `run` failing
# closed over an output directory that holds an earlier run's token.
set -u
. "$(dirname "$0")/../lib/tap.sh"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

t_exit 0 "version exits 0" "$BIN" version
t_grep "version prints the version" '^attestgate [0-9]+\.[0-9]+\.[0-9]+$' "$T_OUT"
t_exit 0 "run --help exits 0" "$BIN" run --help
for f in --policy-dir --policy-name --policy-sha256 --output-dir --platform --timeout --keep-evidence --tcti; do
	t_grep "run --help shows $f" "^ +$f" "$T_OUT"
done
t_grep "run --help names the environment variables" 'env ATTESTGATE_POLICY_SHA256' "$T_OUT"
t_check "run --help: --insecure-test-ca has no environment variable" bash -c "! grep -q ATTESTGATE_INSECURE_TEST_CA '$T_OUT'"
t_check "run --help: --ca-file has no environment variable" bash -c "! grep -q ATTESTGATE_CA_FILE '$T_OUT'"
t_grep "run --help says which flags are command-line only" 'command line only' "$T_OUT"
t_exit 2 "unknown command exits 2" "$BIN" frobnicate
t_grep "unknown command is named" 'unknown command "frobnicate"' "$T_ERR"
t_grep "unknown command says where the usage is (issue 18: 14)" "^Run 'attestgate --help' for the commands.$" "$T_ERR"
t_check "unknown command: two lines, not the whole help" test "$(wc -l <"$T_ERR")" = 2
t_exit 2 "a misspelt command exits 2" "$BIN" verify-evidnce
t_grep "a misspelt command gets a suggestion" 'did you mean verify-evidence\?' "$T_ERR"
t_exit 2 "a misspelt group gets a suggestion" "$BIN" polcy check
t_grep "the group suggestion" 'did you mean policy\?' "$T_ERR"
t_exit 0 "policy --help lists the policy subcommands" "$BIN" policy --help
t_grep "policy --help names policy check" '^  policy check ' "$T_OUT"
t_exit 2 "policy alone lists them too (exit 2)" "$BIN" policy
t_grep "policy alone names policy check" '^  policy check ' "$T_ERR"
t_exit 2 "no command exits 2" "$BIN"
t_exit 0 "--help lists commands" "$BIN" --help
t_grep "--help lists policy check" '^  policy check ' "$T_OUT"

for c in evidence verify-evidence verify-token "policy check" inject version run; do
	# shellcheck disable=SC2086
	t_exit 0 "$c --help exits 0" "$BIN" $c --help
	t_grep "$c --help shows usage" "^Usage: attestgate $c " "$T_OUT"
done
t_exit 2 "policy without check exits 2" "$BIN" policy

t_exit 2 "unknown flag exits 2" "$BIN" run --frobnicate
t_grep "unknown flag is named" 'unknown flag --frobnicate' "$T_ERR"
t_grep "unknown flag says where the usage is" "^Run 'attestgate run --help' for usage.$" "$T_ERR"
t_check "unknown flag: two lines, not the whole help" test "$(wc -l <"$T_ERR")" = 2
t_exit 2 "a misspelt flag exits 2" "$BIN" run --polcy-dir x
t_grep "a misspelt flag gets a suggestion" 'unknown flag --polcy-dir \(did you mean --policy-dir\?\)' "$T_ERR"
for c in run inject verify-evidence; do
	"$BIN" $c --help >"$W/help.txt"
	t_check "$c --help: every flag's description starts in the same column" test \
		"$(perl -ne 'print length($1), "\n" if /^(  +-\S.*?\S {2,})\S/' "$W/help.txt" | sort -u | wc -l):$(grep -cE '^  +-' "$W/help.txt")" = \
		"1:$(perl -ne 'print "x\n" if /^(  +-\S.*?\S {2,})\S/' "$W/help.txt" | wc -l)"
done
t_exit 2 "bad duration exits 2" "$BIN" run --timeout soon
t_grep "bad duration says what is wrong" '--timeout: bad duration "soon"' "$T_ERR"
t_exit 2 "bad platform exits 2" "$BIN" run --platform sgx
t_grep "bad platform lists the choices" 'auto\|azure-cvm\|azure-kata-cc\|sev-snp\|tdx' "$T_ERR"
t_exit 2 "missing value exits 2" "$BIN" run --output-dir
t_exit 2 "bad value from the environment exits 2" env ATTESTGATE_LOG_FORMAT=xml "$BIN" version
t_grep "the environment variable is named" 'ATTESTGATE_LOG_FORMAT: "xml" is not one of json\|text' "$T_ERR"

# run fails closed over a directory holding an earlier run's token and ready.
out="$W/out"; mkdir "$out"
echo "eyJold.eyJold.sig" >"$out/token"; : >"$out/ready"; echo '{}' >"$out/claims.json"
t_exit 2 "run without a policy exits 2" "$BIN" run --output-dir "$out" --termination-log "$W/term" --policy-name azure-cvm
t_check "the old token is gone" test ! -e "$out/token"
t_check "the old ready is gone" test ! -e "$out/ready"
t_check "the old claims are gone" test ! -e "$out/claims.json"
t_check "status.json is written" test -f "$out/status.json"
t_jq "status.json says ConfigInvalid" '.status == "False" and .reason == "ConfigInvalid"' "$out/status.json"
t_jq "status.json says why" '.message | test("policy-sha256 is required")' "$out/status.json"
t_check "the termination message says why" grep -q 'policy-sha256 is required' "$W/term"
t_grep "the log is JSON lines with time, level and msg" '^\{"time":"[^"]+","level":"error","msg":' "$T_ERR"

# Flags win over the environment; the environment is read.
out2="$W/out2"; mkdir "$out2"
t_exit 2 "run reads its flags from the environment" env ATTESTGATE_OUTPUT_DIR="$out2" ATTESTGATE_POLICY_NAME=p \
	ATTESTGATE_POLICY_SHA256=zz "$BIN" run --termination-log "$W/term2"
t_check "ATTESTGATE_OUTPUT_DIR was used" test -f "$out2/status.json"
t_jq "ATTESTGATE_POLICY_SHA256 was checked" '.message | test("64 hexadecimal")' "$out2/status.json"
out3="$W/out3"; mkdir "$out3"
t_exit 2 "a flag wins over its environment variable" env ATTESTGATE_OUTPUT_DIR="$out2" "$BIN" run \
	--output-dir "$out3" --termination-log "$W/term3" --log-format text
t_check "the flag's directory was used" test -f "$out3/status.json"
t_grep "--log-format text gives text records" '^[0-9T:.-]+Z error attestgate run finished' "$T_ERR"

t_exit 2 "run into a missing output directory exits 2" "$BIN" run --output-dir "$W/missing" --termination-log "$W/term4"
t_grep "the message says what to do" 'mount the attestgate emptyDir' "$T_ERR"
t_check "the termination message says it too" grep -q 'emptyDir' "$W/term4"
# Issue 18 point 15: a malformed --tcti is a usage error naming the forms, also under --platform auto.
P=$REPO/deploy/policies/azure-cvm.yaml
t_exit 2 "run --tcti foo: exit 2, not 'no TEE here'" "$BIN" run --policy "$P" --policy-sha256 "$(sha256sum "$P" | cut -d' ' -f1)" \
	--tcti foo --output-dir "$W" --termination-log "$W/term"
t_grep "run --tcti foo: the message names the accepted forms" 'use device:PATH, swtpm:path=SOCK or swtpm:host=H,port=P' "$W/term"
t_exit 2 "evidence --tcti swtpm:sock: exit 2" "$BIN" evidence --tcti swtpm:sock --out "$W/b"
t_grep "evidence: the message names the accepted forms" 'use device:PATH' "$T_ERR"
t_done
