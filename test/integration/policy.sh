#!/usr/bin/env bash
# policy.sh - `attestgate policy check` and the policy step of `run` as a
# user meets them: the built-in policies against the seed's MAA claims, one
# flipped claim failing exactly its rule, audit mode, pinning and policy
# directories, and errors that name file and line.
set -u
. "$(dirname "$0")/../lib/tap.sh"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
CVM=$REPO/deploy/policies/azure-cvm.yaml
KATA=$REPO/deploy/policies/azure-kata-cc.yaml
FIX=$REPO/test/data/claims/azure-cvm-snp.json

# The built-in policies load, and the repo's fixture passes azure-cvm.
t_exit 0 "azure-cvm passes the fixture claims" "$BIN" policy check --policy "$CVM" --claims "$FIX"
t_grep "the table shows a ✓ per rule" '^  ✓  /x-ms-isolation-tee/x-ms-compliance-status +equals +"azure-compliant-cvm" +"azure-compliant-cvm"$' "$T_OUT"
t_grep "the verdict is ALLOWED" '^ALLOWED: policy "azure-cvm": all 5 rules hold$' "$T_OUT"
# The built-in kata policy pins no HOST_DATA (the vault's release policy does); a copy that adds a rule for it.
printf '    - claim: /x-ms-sevsnpvm-hostdata\n      equals: "%s"\n' "$(printf '%064d' 0)" | cat "$KATA" - >"$W/kata-pin.yaml"
t_exit 5 "azure-kata-cc denies the CVM fixture" "$BIN" policy check --policy "$KATA" --claims "$FIX"
t_grep "the built-in kata policy pins no hostdata" '^DENIED: policy "azure-kata-cc" denied: 2 of 2 rules failed' "$T_OUT"
KATA=$W/kata-pin.yaml
t_exit 5 "a kata policy with a hostdata rule denies it too" "$BIN" policy check --policy "$KATA" --claims "$FIX"
t_grep "the denial names every failed rule (issue 18: 1)" '^DENIED: policy "azure-kata-cc" denied: 3 of 3 rules failed: /x-ms-compliance-status equals .*, actual missing; /x-ms-sevsnpvm-is-debuggable equals false, actual missing; /x-ms-sevsnpvm-hostdata equals ' "$T_OUT"
t_grep "a missing claim shows as (missing)" '✗  /x-ms-sevsnpvm-hostdata .*\(missing\)$' "$T_OUT"
t_exit 5 "--json: denied" "$BIN" policy check --policy "$KATA" --claims "$FIX" --json
t_jq "--json: a missing claim is missing, not null (issue 18: 4)" \
	'[.rules[] | select(.claim == "/x-ms-sevsnpvm-hostdata")][0] | (.missing == true) and (has("actual") | not) and (.reason == "the claim is missing")' "$T_OUT"
jq '. + {"x-ms-sevsnpvm-hostdata": null}' "$FIX" >"$W/null-claim.json"
t_exit 5 "--json: a claim that is null is denied too" "$BIN" policy check --policy "$KATA" --claims "$W/null-claim.json" --json
t_jq "--json: and reported as null, not missing" '[.rules[] | select(.claim == "/x-ms-sevsnpvm-hostdata")][0] | (.actual == null) and has("actual") and (has("missing") | not)' "$T_OUT"

# The seed's example token claims (the second JSON object of the first seed's json block).
seed=$(ls "$SHARED"/seeds/000_*.txt 2>/dev/null | head -1)
if [ -n "$seed" ] && awk '/^```json/{f=1;next} f&&/^```/{exit} f' "$seed" | jq -s '.[1]' >"$W/seed.json" 2>/dev/null &&
	jq -e '.["x-ms-isolation-tee"]' "$W/seed.json" >/dev/null; then
	t_exit 0 "the seed token's claims pass azure-cvm" "$BIN" policy check --policy "$CVM" --claims "$W/seed.json" --json
	t_jq "every rule holds" '.allowed and .satisfied and (.rules | length == 5) and all(.rules[]; .ok)' "$T_OUT"
	jq '.["x-ms-isolation-tee"]["x-ms-sevsnpvm-is-debuggable"] = true' "$W/seed.json" >"$W/debug.json"
	t_exit 5 "debuggable=true is denied" "$BIN" policy check --policy "$CVM" --claims "$W/debug.json" --json
	t_jq "exactly that rule fails" '[.rules[] | select(.ok | not)] | length == 1 and .[0].claim == "/x-ms-isolation-tee/x-ms-sevsnpvm-is-debuggable" and .[0].expected == false and .[0].actual == true' "$T_OUT"
	t_jq "the JSON verdict is not allowed" '(.allowed | not) and (.message | test("1 of 5 rules failed"))' "$T_OUT"
else
	for d in "the seed token's claims pass azure-cvm" "every rule holds" "debuggable=true is denied" \
		"exactly that rule fails" "the JSON verdict is not allowed"; do
		t_skip "$d" "../shared/seeds is not present"
	done
fi

# Audit mode: reported, logged as a warning, allowed.
sed 's/^  mode: enforce.*/  mode: audit/' "$KATA" >"$W/audit.yaml"
t_exit 0 "audit mode lets a denied pod start" "$BIN" policy check --policy "$W/audit.yaml" --claims "$FIX"
t_grep "audit mode says what would happen (issue 18: 3)" '^AUDIT: would deny: policy "azure-kata-cc" denied' "$T_OUT"
t_grep "audit mode logs a warning" '"level":"warn","msg":"policy denied, but it is in audit mode' "$T_ERR"

# Pinning.
sum=$(sha256sum "$CVM" | cut -d' ' -f1)
t_exit 0 "the right pin is accepted" "$BIN" policy check --policy "$CVM" --claims "$FIX" --policy-sha256 "$sum"
bad=$(printf '%s' "$sum" | sed 's/^./0/;t;'); [ "$bad" = "$sum" ] && bad=$(printf '%s' "$sum" | sed 's/^./1/')
t_exit 2 "a wrong pin exits 2" "$BIN" policy check --policy "$CVM" --claims "$FIX" --policy-sha256 "$bad"
t_grep "the message names both digests" "sha256 $sum but --policy-sha256 pins $bad" "$T_ERR"

# Bad inputs are configuration errors that say where.
printf 'apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata:\n  name: x\nspec:\n  platforms: [tdx]\n  verifier: {type: local}\n  require:\n  - claim: /a\n    equals: 1\n    exist: true\n' >"$W/bad.yaml"
t_exit 2 "an unknown key exits 2" "$BIN" policy check --policy "$W/bad.yaml" --claims "$FIX"
t_grep "the error names file, line and column" "bad.yaml:11:5: .*unknown key \"exist\"" "$T_ERR"
printf '{"a": 1, "a": 2}' >"$W/dup.json"
t_exit 2 "claims with a duplicate key exit 2" "$BIN" policy check --policy "$CVM" --claims "$W/dup.json"
t_grep "the claims file is named" "dup.json" "$T_ERR"
t_exit 2 "a missing claims file exits 2" "$BIN" policy check --policy "$CVM" --claims "$W/none.json"

# run: the policy directory, the pin and the name are checked before anything else.
mkdir -p "$W/policies" "$W/out"
cp "$CVM" "$REPO/deploy/policies/azure-kata-cc.yaml" "$W/policies/"
t_exit 2 "run with a wrong pin exits 2" "$BIN" run --policy-dir "$W/policies" --policy-name azure-cvm \
	--policy-sha256 "$bad" --output-dir "$W/out" --termination-log "$W/term"
t_jq "status.json says ConfigInvalid and names both digests" \
	".reason == \"ConfigInvalid\" and (.message | contains(\"$sum\") and contains(\"$bad\"))" "$W/out/status.json"
t_check "the termination message names the pinned digest" grep -q "$bad" "$W/term"
t_exit 2 "run with an unknown policy name exits 2" "$BIN" run --policy-dir "$W/policies" --policy-name nope \
	--policy-sha256 "$sum" --output-dir "$W/out" --termination-log "$W/term"
t_grep "the message lists the installed policies" 'policy \\"nope\\" not found in .* \(installed: (azure-cvm, azure-kata-cc|azure-kata-cc, azure-cvm)\)' "$T_ERR"
t_exit 2 "run with a platform the policy does not allow exits 2" "$BIN" run --policy-dir "$W/policies" \
	--policy-name azure-cvm --policy-sha256 "$sum" --platform tdx --output-dir "$W/out" --termination-log "$W/term"
t_jq "status.json names the policy it loaded" \
	".policy.name == \"azure-cvm\" and .policy.sha256 == \"$sum\" and .verifier == \"maa\"" "$W/out/status.json"
t_jq "status.json says the platform is not allowed" '.message | test("does not allow platform tdx")' "$W/out/status.json"
t_done
