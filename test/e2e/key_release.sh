#!/usr/bin/env bash
# key_release.sh - Secure Key Release end to end: a kata-cc pod (the
# emulated SNP guest, MAA's SevSnpVm stand-in) and an Azure CVM (the swtpm
# rig, AzureGuest) attest, then the gate releases keys from the Key Vault +
# Entra ID stand-in (test/services/akv_service.py), which checks the MAA
# token and a real release policy, wraps each key to the transfer key the
# token names and signs its answer.  Also the failures: a release policy
# pinning another HOST_DATA (exit 7), answers that do not verify (exit 6),
# an unreachable vault (exit 4), a refused identity (exit 2), and the
# expectHostData consistency check.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/services.sh"
. "$(dirname "$0")/../lib/emul.sh"
. "$(dirname "$0")/../lib/rig.sh"
W=$(mktemp -d)
trap 'emul_cleanup; svc_cleanup; rig_cleanup; rm -rf "$W"' EXIT

svc_have_python || { t_skip "key release end to end" "$PY has no cryptography module (make deps)"; t_done; exit $?; }
# The stand-in wraps as Microsoft's clients unwrap: its format opens the sidecar's published vector, and its own output.
t_check "the Key Vault stand-in's key_hsm format opens the published sidecar vector, and its own wrap" "$PY" - \
	"$SVC_DIR" "$REPO/test/data/skr/sidecar-unwrap-vector.json" <<'PYEOF'
import base64, json, os, sys
sys.path.insert(0, sys.argv[1])
import akv_service
from cryptography.hazmat.primitives.serialization import load_pem_private_key
v = json.load(open(sys.argv[2]))
key = load_pem_private_key(v["private_key_pem"].encode(), None)
ct = base64.urlsafe_b64decode(v["ciphertext_b64url"] + "=" * (-len(v["ciphertext_b64url"]) % 4))
assert akv_service.unwrap_key(key, v["enc"], ct).hex() == v["plaintext_hex"]
for enc in ("CKM_RSA_AES_KEY_WRAP", "RSA_AES_KEY_WRAP_256", "RSA_AES_KEY_WRAP_384"):
    m = os.urandom(45)
    assert akv_service.unwrap_key(key, enc, akv_service.wrap_key(key.public_key(), enc, m)) == m
PYEOF
VAULT_HOST=attestgate-test.vault.localhost
svc_pki "$W/pki" "$VAULT_HOST"
# The agent policy the emulated UVM was launched with: HOST_DATA is its SHA-256 (test/emul).
AGENT_POLICY='attestgate test kata agent policy'
HOSTDATA=$(printf '%s' "$AGENT_POLICY" | sha256sum | cut -d' ' -f1)
printf '%s' "$AGENT_POLICY" | base64 -w0 >"$W/agent-policy"
printf '%s' 'another agent policy' | base64 -w0 >"$W/other-agent-policy"
printf 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwOmFwcCJ9.c2ln\n' >"$W/federated-token"

# akv_config FILE MAA_URL HOSTDATA_PIN: the stand-in's tenant, identity and keys with their release policies.
akv_config() {
	"$PY" - "$@" <<'PYEOF'
import json, sys
out, maa, pin, kind = sys.argv[1:5]
if kind == "kata":
    conds = [{"claim": "x-ms-sevsnpvm-hostdata", "equals": pin},
             {"claim": "x-ms-compliance-status", "equals": "azure-signed-katacc-uvm"},
             {"claim": "x-ms-sevsnpvm-is-debuggable", "equals": "false"}]
else:
    conds = [{"claim": "x-ms-isolation-tee.x-ms-compliance-status", "equals": "azure-compliant-cvm"},
             {"claim": "x-ms-isolation-tee.x-ms-attestation-type", "equals": pin}]
policy = {"version": "1.0.0", "anyOf": [{"authority": maa, "allOf": conds}]}
json.dump({"tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47", "client_id": "0a1b2c3d-0000-4000-8000-000000000001",
           "federated_token": open(sys.argv[5]).read().strip(), "vault_host": "attestgate-test.vault.localhost",
           "keys": {"data-key": {"kty": "oct-HSM", "release_policy": policy},
                    "rsa-key": {"kty": "RSA-HSM", "release_policy": policy},
                    "ec-key": {"kty": "EC-HSM", "release_policy": policy}}}, open(out, "w"))
PYEOF
}
# policy_with_keys SRC OUT KEYS_YAML [EXTRA]: a copy of SRC pointed at the MAA stand-in, with spec.keys.
policy_with_keys() {
	sed -e "s|url: https://sharedeus2.eus2.attest.azure.net|url: $MAA_URL|" "$1" >"$2"
	printf '  keys:\n%s\n%s' "$3" "${4:-}" >>"$2"
}
# identity: the workload identity AKS's webhook injects (svc_akv's callers point AZURE_AUTHORITY_HOST at the stand-in).
identity() {
	export AZURE_CLIENT_ID=0a1b2c3d-0000-4000-8000-000000000001 AZURE_TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47
	export AZURE_FEDERATED_TOKEN_FILE=$W/federated-token
}
no_outputs() {
	t_check "$1: no token" test ! -e "$D/out/token"
	t_check "$1: no ready" test ! -e "$D/out/ready"
	t_check "$1: no key file" bash -c "! ls '$D/out' | grep -q -e '\\.key' -e '\\.pem' -e '\\.jwk'"
}

## kata-cc through SevSnpVm on the emulated SNP guest.
if ! emul_fuse_ok; then
	t_skip "kata-cc key release" "FUSE (/dev/fuse) or python3-fusepy is not available here"
elif ! emul_pki "$W/tee" >/dev/null || ! emul_tsmfs "$W/tee" "$W/tsm-snp" sev_guest; then
	t_skip "kata-cc key release" "the FUSE mount did not come up"
else
	mkdir -p "$W/uvm"
	cp "$W/tee/host-amd-cert-base64" "$W/uvm/"
	"$PY" "$EMUL_PY" uvm-reference "$W/tee" >"$W/uvm/reference-info-base64"
	KEYS="    - vault: VAULT
      name: data-key
      file: data.key
    - vault: VAULT
      name: rsa-key
      file: rsa.pem
      format: pem
    - vault: VAULT
      name: ec-key
      file: ec.jwk
      format: jwk"
	# kcase NAME PIN [AKV ARGS...]: MAA and vault stand-ins for one case, the policy with the three keys.
	kcase() {
		local name=$1 pin=$2; shift 2
		D=$W/$name; mkdir -p "$D/out"
		svc_maa "$D/maa" "$W/pki" --tee "$W/tee" --keys "$W/keys" || return 1
		akv_config "$D/akv.json" "$MAA_URL" "$pin" kata "$W/federated-token"
		svc_akv "$D/akv" "$W/pki" "$D/akv.json" --maa-url "$MAA_URL" "$@" || return 1
		export AZURE_AUTHORITY_HOST=$AKV_AUTHORITY
		sed -e "${SED:-}" "$REPO/deploy/policies/azure-kata-cc.yaml" >"$D/base.yaml"
		policy_with_keys "$D/base.yaml" "$D/policy.yaml" "${KEYS//VAULT/$AKV_URL}" "${EXTRA:-}"
		SUM=$(sha256sum "$D/policy.yaml" | cut -d' ' -f1)
	}
	kgate() {
		t_exit "$WANT" "$DESC" "$BIN" run --policy "$D/policy.yaml" --policy-sha256 "$SUM" --output-dir "$D/out" \
			--termination-log "$D/term" --platform azure-kata-cc --tsm-root "$W/tsm-snp" --uvm-security-context-dir "$W/uvm" \
			--insecure-test-roots "$W/tee/test-roots" --insecure-test-ca "$AKV_CA" --imds-url "${IMDS:-$THIM_URL}" \
			--agent-policy-file "${AGENT_POLICY_FILE:-$W/agent-policy}" --timeout "${TIMEOUT:-20s}" "$@"
	}

	identity
	EXTRA="  expectHostData: fromAnnotation
" kcase kata "$HOSTDATA"
	WANT=0 DESC="kata-cc: attested, three keys released (raw, pem, jwk): exit 0" kgate --keep-evidence
	t_check "kata: the raw key file's bytes are the vault's key" cmp -s "$D/out/data.key" "$D/akv/keys/data-key.bin"
	t_check "kata: the key files are 0440" test "$(stat -c %a "$D/out/data.key" "$D/out/rsa.pem" "$D/out/ec.jwk" | sort -u)" = 440
	t_check "kata: the PEM is the vault's RSA key (PKCS#8)" bash -c \
		"cmp -s <(openssl pkey -in '$D/out/rsa.pem' -outform DER) <(openssl pkey -inform DER -in '$D/akv/keys/rsa-key.bin' -outform DER) && head -1 '$D/out/rsa.pem' | grep -q 'BEGIN PRIVATE KEY'"
	t_check "kata: the JWK is the vault's EC key" "$PY" -c "
import base64, json, sys
from cryptography.hazmat.primitives.serialization import load_der_private_key
j = json.load(open('$D/out/ec.jwk')); k = load_der_private_key(open('$D/akv/keys/ec-key.bin', 'rb').read(), None)
d = int.from_bytes(base64.urlsafe_b64decode(j['d'] + '=='), 'big')
sys.exit(0 if j['kty'] == 'EC' and j['crv'] == 'P-256' and d == k.private_numbers().private_value else 1)"
	t_jq "kata: status.json lists each key released, and the HOST_DATA" \
		"(.keys | length == 3) and all(.keys[]; .released) and .keys[0].file == \"data.key\" and .hostData == \"$HOSTDATA\" and .timingsMs.keys >= 0" "$D/out/status.json"
	t_jq "kata: expectHostData is one more rule, and it holds" \
		"[.rules[] | select(.reason == \"expectHostData: fromAnnotation\")] | length == 1 and .[0].ok and .[0].expected == \"$HOSTDATA\"" "$D/out/status.json"
	t_check "kata: the transfer key is in the runtime data the report binds (x-ms-runtime.keys)" "$PY" -c "
import json, sys
rt = json.load(open('$D/out/evidence/runtime-data.json')); c = json.load(open('$D/out/claims.json'))
k = rt['keys'][0]
sys.exit(0 if k['kty'] == 'RSA' and k['key_ops'] == ['encrypt'] and len(k['kid']) == 43 and c['x-ms-runtime']['keys'] == rt['keys'] else 1)"
	t_jq "kata: the release request carries the token and asks for RSA_AES_KEY_WRAP_256" \
		'.enc == "RSA_AES_KEY_WRAP_256" and (.target | split(".") | length == 3)' "$D/akv/last-release.json"
	t_check "kata: one access token for the three keys (one vault)" test "$(grep -c 'POST /72f988bf' "$D/akv/requests.log")" = 1
	t_check "kata: three releases at api-version 7.4" test "$(grep -c 'POST /keys/.*/release?api-version=7.4 200' "$D/akv/requests.log")" = 3
	# No key in any encoding, and no identity token, in the gate's log.
	"$PY" - "$D/akv/keys" "$W/federated-token" >"$W/secrets" <<'PYEOF'
import base64, sys
for name in ("data-key", "rsa-key", "ec-key"):
    b = open("%s/%s.bin" % (sys.argv[1], name), "rb").read()
    for s in (b.hex(), base64.b64encode(b).decode(), base64.urlsafe_b64encode(b).decode().rstrip("=")):
        print(s[8:40])
print(open(sys.argv[2]).read().strip()[:40])
PYEOF
	t_check "kata: no key material or identity token in the logs" bash -c "! grep -q -F -f '$W/secrets' '$T_ERR'"
	t_check "kata: the log names each key released" test "$(grep -c '"msg":"key released"' "$T_ERR")" = 3
	cp "$D/out/status.json" "$W/kata-status.json"

	# The same pod again, but the agent policy annotation names another policy: the consistency check says so.
	AGENT_POLICY_FILE=$W/other-agent-policy WANT=5 DESC="expectHostData: an annotation of another agent policy is a denial (exit 5)" kgate
	t_jq "expectHostData: the failed rule names the annotation" '.reason == "PolicyDenied" and (.message | test("annotation hashes to"))' "$D/out/status.json"
	no_outputs "expectHostData mismatch"
	t_check "expectHostData: the earlier run's key file was removed first" test ! -e "$D/out/data.key"
	AGENT_POLICY_FILE=$W/none WANT=2 DESC="expectHostData without the annotation file: exit 2 naming the mount" kgate
	t_jq "expectHostData: the message says how to mount it" '.reason == "ConfigInvalid" and (.message | test("downwardAPI"))' "$D/out/status.json"

	# The vault's release policy pins another HOST_DATA: the vault says no.  The directory still holds what the
	# successful run above released: it goes before this run does anything.
	kcase kata-denied "$(printf '%064d' 7)"
	cp -p "$W/kata-status.json" "$D/out/status.json"
	for f in data.key rsa.pem ec.jwk token ready; do printf 'stale\n' >"$D/out/$f"; done
	WANT=7 DESC="release policy pinning another HOST_DATA: exit 7 (KeyReleaseDenied)" kgate
	t_jq "kata-denied: status says KeyReleaseDenied with the vault's message" \
		'.reason == "KeyReleaseDenied" and (.message | test("403")) and (.message | test("does not conform to the release policy")) and (.keys[0].released | not)' "$D/out/status.json"
	no_outputs "kata-denied"
	t_grep "kata-denied: the termination message names the vault" "$VAULT_HOST" "$D/term"

	# Audit mode: a denied pod starts, but gets no keys; a pod that passes and whose vault says no is still blocked.
	SED='s/^  mode: enforce.*/  mode: audit/; s/equals: azure-signed-katacc-uvm/equals: another-uvm/' kcase audit "$HOSTDATA"
	WANT=0 DESC="audit: a policy denial lets the pod start (exit 0)" kgate
	t_check "audit: but no key is released" bash -c "! ls '$D/out' | grep -q -e data.key -e rsa.pem -e ec.jwk"
	t_check "audit: and the vault was not asked" bash -c "! grep -qs 'release' '$D/akv/requests.log'"
	t_grep "audit: the log says why there are no keys" 'no keys are released to a pod the policy denied' "$T_ERR"
	SED='s/^  mode: enforce.*/  mode: audit/' kcase audit-denied "$(printf '%064d' 7)"
	WANT=7 DESC="audit: a vault that refuses still blocks the pod (exit 7)" kgate
	no_outputs "audit-denied"

	# Answers that must not be trusted or opened, or a permission the identity lacks.
	for f in bad-signature:6 wrong-host:6 self-signed:6 tamper-ciphertext:6 alg-hs256:6 other-kid:6 status-500:4 \
		forbidden-rbac:2 token-crlf:4; do
		kcase "fault-${f%%:*}" "$HOSTDATA" --fault "${f%%:*}"
		TIMEOUT=6s WANT=${f#*:} DESC="vault answer ${f%%:*}: exit ${f#*:}" kgate
		no_outputs "fault ${f%%:*}"
	done
	t_jq "wrong-host: the message names the vault's host" '.message | test("attestgate-test.vault.localhost")' "$W/fault-wrong-host/out/status.json"
	t_jq "tamper-ciphertext: the unwrap failed" '.message | test("unwrap|integrity")' "$W/fault-tamper-ciphertext/out/status.json"

	# A refused identity: the federated token is not the one Entra ID expects.
	kcase identity "$HOSTDATA"
	printf 'not.the.token\n' >"$W/wrong-token"
	AZURE_FEDERATED_TOKEN_FILE=$W/wrong-token WANT=2 DESC="a federated token Entra ID refuses: exit 2" kgate
	t_jq "identity: the message carries Entra ID's reason" '.reason == "ConfigInvalid" and (.message | test("refused the identity"))' "$D/out/status.json"
	no_outputs "identity"

	# No workload identity: the node's managed identity through IMDS.
	unset AZURE_FEDERATED_TOKEN_FILE AZURE_CLIENT_ID AZURE_TENANT_ID
	IMDS=$AKV_IMDS WANT=0 DESC="managed identity through IMDS when no workload identity is set: exit 0" kgate
	identity
	t_grep "managed identity: IMDS's token endpoint was asked" 'GET /metadata/identity/oauth2/token' "$D/akv/requests.log"
	t_check "managed identity: the key was released" cmp -s "$D/out/data.key" "$D/akv/keys/data-key.bin"
	emul_cleanup
fi

## An Azure CVM: the vTPM's ephemeral key is the transfer key.
if rig_ready "azure-cvm key release"; then
	"$RIG" provision "$W/tpl" >/dev/null 2>"$W/prov.err" || t_not_ok "the rig provisions" "$(cat "$W/prov.err")"
	printf 'NAME="Ubuntu"\nVERSION_ID="22.04"\n' >"$W/os-release"
	D=$W/cvm; mkdir -p "$D/out"
	TCTI=$("$RIG" start "$W/tpl" "$D/run")
	RIG_RUNS="$RIG_RUNS $D/run"
	svc_maa "$D/maa" "$W/pki" --rig "$W/tpl" --keys "$W/keys"
	akv_config "$D/akv.json" "$MAA_URL" sevsnpvm cvm "$W/federated-token"
	svc_akv "$D/akv" "$W/pki" "$D/akv.json" --maa-url "$MAA_URL"
	export AZURE_AUTHORITY_HOST=$AKV_AUTHORITY
	identity
	policy_with_keys "$REPO/deploy/policies/azure-cvm.yaml" "$D/policy.yaml" "    - vault: $AKV_URL
      name: data-key
      file: data.key"
	SUM=$(sha256sum "$D/policy.yaml" | cut -d' ' -f1)
	t_exit 0 "azure-cvm: attested through AzureGuest, key released with the vTPM's ephemeral key" "$BIN" run \
		--policy "$D/policy.yaml" --policy-sha256 "$SUM" --output-dir "$D/out" --termination-log "$D/term" --tcti "$TCTI" \
		--insecure-test-ca "$AKV_CA" --imds-url "$THIM_URL" --eventlog "$D/run/eventlog.bin" \
		--insecure-test-roots "$W/tpl/test-roots" --os-release "$W/os-release" --timeout 30s
	t_check "azure-cvm: the key file's bytes are the vault's key" cmp -s "$D/out/data.key" "$D/akv/keys/data-key.bin"
	t_jq "azure-cvm: the vault wrapped to TpmEphemeralEncryptionKey" \
		'.["x-ms-runtime"].keys[0].kid == "TpmEphemeralEncryptionKey"' "$D/out/claims.json"
	t_jq "azure-cvm: status lists the key" '.keys[0].released and .reason == "Verified"' "$D/out/status.json"
fi
t_done
