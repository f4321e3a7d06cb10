#!/usr/bin/env bash
# k8s.sh - the Kubernetes packaging: deploy/ examples and the Helm chart
# render and validate against the Kubernetes API types (../shared/tools),
# the chart's schema rejects bad values at render time, every pinned
# policy digest is the SHA-256 of the bytes installed, the gate's
# rendered arguments are flags attestgate run knows, and the admission
# webhook (webhook.enabled) renders whole in both TLS modes
# (test/integration/webhook_chart.py checks how its objects fit together).
set -u
. "$(dirname "$0")/../lib/tap.sh"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
HT=$SHARED/tools/helm-template/helm-template
KV=$SHARED/tools/k8s-validate/k8s-validate
CHART=$REPO/charts/attestgate

t_check "deploy/examples/policy-configmap.yaml and the chart's policies are generated from deploy/policies" "$REPO/deploy/gen-policies.sh" --check
for f in "$REPO"/deploy/examples/*.yaml; do
	name=$(grep -o -- '--policy-name=[a-z0-9-]*' "$f" | cut -d= -f2)
	[ -n "$name" ] || continue
	want=$(sha256sum "$REPO/deploy/policies/$name.yaml" | cut -d' ' -f1)
	t_check "$(basename "$f"): --policy-sha256 is the digest of policies/$name.yaml" grep -q -- "--policy-sha256=$want" "$f"
done

if [ ! -x "$KV" ] || [ ! -x "$HT" ]; then
	t_skip "Kubernetes validation of deploy/ and the chart" "../shared/tools is not present"
	t_done; exit
fi
t_exit 0 "deploy/examples validate against the Kubernetes API types" "$KV" "$REPO"/deploy/examples/*.yaml
t_grep "all five documents are valid" '^5 valid, 0 invalid' "$T_OUT"

cat >"$W/extra.yaml" <<'EOF2'
gate:
  policyName: my-cvm
policies:
  extra:
    my-cvm: |
      apiVersion: attestgate.io/v1
      kind: AttestationPolicy
      metadata:
        name: my-cvm
      spec:
        platforms: [azure-cvm]
        verifier:
          type: local
        require:
          - claim: /x-ms-isolation-tee/x-ms-sevsnpvm-is-debuggable
            equals: false
example:
  enabled: true
EOF2
# A policy that attests GPUs (spec.gpus): the example's gate gets the -nvidia image and the GPUs.
sed -e 's/my-cvm/my-gpu/g' -e 's/^  extra:$/  extra:/' "$W/extra.yaml" >"$W/gpu.yaml"
"$PY" - "$W/gpu.yaml" <<'EOF2'
import sys, yaml
p = sys.argv[1]
v = yaml.safe_load(open(p))
v["policies"]["extra"]["my-gpu"] += "  gpus:\n    count: 2\n    require:\n      - {claim: /measres, equals: success}\n"
v["gate"]["gpu"] = {"resource": "example.com/gpu"}
yaml.safe_dump(v, open(p, "w"))
EOF2
while IFS='|' read -r name args; do
	# shellcheck disable=SC2086
	if "$HT" rel "$CHART" $args >"$W/$name.yaml" 2>"$W/$name.err"; then t_ok "chart renders: $name"; else t_not_ok "chart renders: $name" "$(cat "$W/$name.err")"; fi
	t_exit 0 "chart output validates: $name" "$KV" "$W/$name.yaml"
done <<EOF2
default|
cvm-privileged|--set example.enabled=true
cvm-device-plugin|--set example.enabled=true --set gate.tpm.access=devicePlugin
cvm-device-plugin-os|--set example.enabled=true --set gate.tpm.access=devicePlugin --set gate.os.distro=Ubuntu --set gate.os.version=22.04
kata-cc|--set example.enabled=true --set gate.tpm.access=none --set gate.policyName=azure-kata-cc --set gate.platform=azure-kata-cc
extra-policy|-f $W/extra.yaml
gpu-policy|-f $W/gpu.yaml
discovery|--set discovery.enabled=true
EOF2

# Digests: what the args pin is what the ConfigMap holds, byte for byte, and what deploy/policies has.
"$PY" - "$W" "$REPO/deploy/policies" >"$W/digests.out" 2>&1 <<'EOF2'
import hashlib, os, re, sys, yaml
w, pol = sys.argv[1], sys.argv[2]
bad = 0
for name in ("cvm-privileged", "kata-cc", "extra-policy", "gpu-policy"):
    docs = [d for d in yaml.safe_load_all(open(os.path.join(w, name + ".yaml"))) if d]
    cm = next(d for d in docs if d["kind"] == "ConfigMap")
    dep = next(d for d in docs if d["kind"] == "Deployment")
    gate = dep["spec"]["template"]["spec"]["initContainers"][0]
    args = dict(a[2:].split("=", 1) for a in gate["args"][1:] if "=" in a)
    text = cm["data"][args["policy-name"] + ".yaml"]
    if hashlib.sha256(text.encode()).hexdigest() != args["policy-sha256"]:
        print("%s: --policy-sha256 is not the digest of the installed policy" % name); bad = 1
    for f in os.listdir(pol):
        if f in cm["data"] and cm["data"][f].encode() != open(os.path.join(pol, f), "rb").read():
            print("%s: ConfigMap %s differs from deploy/policies" % (name, f)); bad = 1
    if gate["name"] != "attestgate" or dep["spec"]["template"]["spec"]["initContainers"].index(gate) != 0:
        print("%s: the gate is not the first init container" % name); bad = 1
    if gate["terminationMessagePolicy"] != "FallbackToLogsOnError":
        print("%s: terminationMessagePolicy" % name); bad = 1
    vols = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
    if vols["attestgate"]["emptyDir"].get("medium") != "Memory":
        print("%s: the output emptyDir is not in memory" % name); bad = 1
    app = dep["spec"]["template"]["spec"]["containers"][0]
    if not any(m["name"] == "attestgate" and m.get("readOnly") for m in app["volumeMounts"]):
        print("%s: the app does not mount the outputs read-only" % name); bad = 1
    print(" ".join(gate["args"]))
sys.exit(bad)
EOF2
t_check "chart: each pinned digest is the installed policy's, the ConfigMap equals deploy/policies, gate first, emptyDir in memory, app mount read-only" \
	test "$(grep -c 'differs\|not the\|terminationMessagePolicy\|not in memory\|read-only' "$W/digests.out")" = 0
t_grep "chart: the kata-cc gate pins the kata policy" "policy-name=azure-kata-cc --policy-sha256=$(sha256sum "$REPO/deploy/policies/azure-kata-cc.yaml" | cut -d' ' -f1)" "$W/digests.out"
"$BIN" run --help >"$W/run-help.txt" 2>&1
for flag in $(grep -o -- '--[a-z0-9-]*' "$W/digests.out" | sort -u); do
	t_check "chart: the gate's $flag is a flag of attestgate run" grep -q -- "$flag" "$W/run-help.txt"
done
t_check "gpu-policy: the gate runs the -nvidia image and asks for the policy's 2 GPUs (gate.gpu.resource)" "$PY" -c "
import sys, yaml
d = next(d for d in yaml.safe_load_all(open('$W/gpu-policy.yaml')) if d and d['kind'] == 'Deployment')
c = d['spec']['template']['spec']['initContainers'][0]
sys.exit(0 if c['image'].endswith('-nvidia') and c['resources']['limits'].get('example.com/gpu') == '2' else 1)"
t_check "extra-policy (no spec.gpus): the plain image, no GPU" bash -c "! grep -q -e '-nvidia' -e 'gpu' '$W/extra-policy.yaml'"
t_grep "devicePlugin: the TPM comes as an extended resource, no privilege" 'squat.ai/tpmrm0' "$W/cvm-device-plugin.yaml"
t_check "devicePlugin: no privileged container" bash -c "! grep -q 'privileged: true' '$W/cvm-device-plugin.yaml'"
t_grep "CVM modes read the node's os-release through a read-only hostPath" 'path: /etc/os-release' "$W/cvm-device-plugin.yaml"
# Review of issue 14: with gate.os the devicePlugin mode needs no hostPath at all (Pod Security baseline).
t_check "devicePlugin + gate.os: no hostPath" bash -c "! grep -q 'hostPath' '$W/cvm-device-plugin-os.yaml'"
t_grep "devicePlugin + gate.os: the OS comes as flags" '^ +- --os-distro=Ubuntu$' "$W/cvm-device-plugin-os.yaml"
t_grep "privileged: securityfs for the event log (issue 18: 6)" 'mountPath: /sys/kernel/security' "$W/cvm-privileged.yaml"
t_grep "discovery (issue 18: 2): a Job running the gate with --print-claims" '^ +- --print-claims$' "$W/discovery.yaml"
t_grep "discovery: it is a Job" '^kind: Job$' "$W/discovery.yaml"
t_check "kata-cc: runtimeClassName kata-cc and no TPM or node OS hostPath" bash -c "grep -q 'runtimeClassName: kata-cc' '$W/kata-cc.yaml' && ! grep -q -e tpmrm0 -e os-release -e securityfs '$W/kata-cc.yaml'"
t_check "kata-cc: the UVM endorsement is mounted as Microsoft's samples mount it (the one hostPath)" bash -c \
	"test \$(grep -c 'hostPath:' '$W/kata-cc.yaml') = 1 && grep -q 'path: /opt/confidential-containers/share/kata-containers/reference-info-base64' '$W/kata-cc.yaml' && grep -q 'value: /opt/confidential-containers/share/kata-containers$' '$W/kata-cc.yaml'"
t_grep "kata-cc: the agent policy annotation through the downward API" "fieldPath: \"metadata.annotations\['io.katacontainers.config.agent.policy'\]\"" "$W/kata-cc.yaml"

# The schema rejects bad values at render time.
while IFS='|' read -r name args reason; do
	# shellcheck disable=SC2086
	t_exit 1 "chart rejects $name at render" "$HT" "$CHART" $args
	t_grep "chart rejects $name: the message says why" "$reason" "$T_ERR"
done <<'EOF2'
a negative timeout|--set gate.timeout=-5s|gate.timeout
a zero timeout|--set gate.timeout=0s|gate.timeout
an unknown platform|--set gate.platform=sgx|gate.platform
an unknown TPM access mode|--set gate.tpm.access=root|gate.tpm.access
an unknown value|--set gate.colour=blue|Additional property colour
a policy that is not installed|--set gate.policyName=nope --set example.enabled=true|no policy named "nope"
a duration the CLI refuses|--set gate.timeout=1m30|gate.timeout
built-ins off while the gate pins one (false stays false)|--set policies.builtin=false --set example.enabled=true|no policy named "azure-cvm"
an unknown webhook failurePolicy|--set webhook.failurePolicy=Maybe|webhook.failurePolicy
an unknown webhook TLS mode|--set webhook.tls.mode=bogus|webhook.tls.mode
a webhook timeout above 30 s|--set webhook.timeoutSeconds=31|webhook.timeoutSeconds
a webhook timeout of 0|--set webhook.timeoutSeconds=0|webhook.timeoutSeconds
no webhook replica|--set webhook.replicas=0|webhook.replicas
an unknown webhook value|--set webhook.tls.colour=blue|Additional property colour
an unknown cert-manager issuer kind|--set webhook.tls.certManager.issuerRef.kind=Vault|webhook.tls.certManager.issuerRef.kind
a cert-manager duration that is no Go duration|--set webhook.tls.certManager.duration=90d|webhook.tls.certManager.duration
a server timeout not below the webhook's|--set webhook.enabled=true --set webhook.server.requestTimeoutSeconds=10|requestTimeoutSeconds \(10\) must be below webhook.timeoutSeconds
a webhook pinning a policy that is not installed|--set webhook.enabled=true --set gate.policyName=nope|no policy named "nope"
EOF2
# Issue 18 point 13: what the CLI takes as a duration, the chart takes too.
for d in 1m30s 90s 1h 250ms 2h30m15s; do
	t_exit 0 "chart accepts gate.timeout=$d" "$HT" "$CHART" --set gate.timeout=$d
	t_exit 0 "the CLI accepts --timeout $d too" "$BIN" run --help --timeout "$d"
done
# Issue 18 point 8: the helpers called from another chart, with attestgate's values given explicitly.
mkdir -p "$W/parent"; cp -r "$REPO/test/data/parent-chart/." "$W/parent/"
cp "$CHART/templates/_helpers.tpl" "$CHART/templates/_builtin-policies.tpl" "$W/parent/templates/"
t_exit 0 "a parent chart renders the gate with attestgate's helpers" "$HT" rel "$W/parent"
cp "$T_OUT" "$W/parent.yaml"
t_exit 0 "the parent chart's output validates" "$KV" "$W/parent.yaml"
t_grep "parent: the image tag is attestgate's version, not the parent's appVersion" \
	"image: ghcr.io/attestgate/attestgate:$("$BIN" version | sed -n 's/^attestgate \([0-9.]*\).*/\1/p')$" "$W/parent.yaml"
t_grep "parent: its values apply (devicePlugin, OS as flags)" '^ +- --os-distro=Ubuntu$' "$W/parent.yaml"
sed -i 's/(dict "context" . "values" .Values.attestgate)/(dict "context" .)/' "$W/parent/templates/app.yaml"
t_exit 1 "parent: calling the helpers without attestgate's values fails at render (never the parent's image)" "$HT" rel "$W/parent"
t_grep "parent: the message says what to pass" 'from another chart, pass attestgate.s values' "$T_ERR"
t_grep "parent: defaults fill what it did not set (the built-in policy's digest)" \
	"--policy-sha256=$(sha256sum "$REPO/deploy/policies/azure-cvm.yaml" | cut -d' ' -f1)" "$W/parent.yaml"

# Issue 19: the admission webhook.  Rendered in both TLS modes; k8s-validate checks
# every kind it knows and skips cert-manager's (Certificate, Issuer), which
# webhook_chart.py checks field by field instead, with how the objects fit together.
WH="$REPO/test/integration/webhook_chart.py"
cat >"$W/webhook-options-values.yaml" <<'EOF2'
gate:
  policyName: azure-cvm-local
  tpm:
    access: devicePlugin
  os:
    distro: Ubuntu
    version: "22.04"
webhook:
  enabled: true
  replicas: 1
  excludeNamespaces: [cert-manager]
  namespaceSelector:
    matchLabels:
      attestgate.io/webhook: enabled
  objectSelector:
    matchExpressions:
      - {key: tier, operator: NotIn, values: [system]}
  nodeSelector:
    kubernetes.io/os: linux
  priorityClassName: system-cluster-critical
EOF2
while IFS='|' read -r name args; do
	# shellcheck disable=SC2086
	if "$HT" rel "$CHART" -n attestgate-system $args >"$W/$name.yaml" 2>"$W/$name.err"; then t_ok "chart renders: $name"; else t_not_ok "chart renders: $name" "$(cat "$W/$name.err")"; fi
	t_exit 0 "chart output validates: $name" "$KV" "$W/$name.yaml"
	cp "$T_OUT" "$W/$name.kv"
	t_check "$name: k8s-validate skips no kind but cert-manager's" bash -c "! grep 'skipped' '$W/$name.kv' | grep -v ' unknown kind cert-manager.io/v1 \(Certificate\|Issuer\)$'"
done <<EOF2
webhook-generated|--set webhook.enabled=true --set example.enabled=true
webhook-cert-manager|--set webhook.enabled=true --set webhook.tls.mode=certManager
webhook-issuer|--set webhook.enabled=true --set webhook.tls.mode=certManager --set webhook.tls.certManager.issuerRef.name=corp-ca --set webhook.tls.certManager.issuerRef.kind=ClusterIssuer
webhook-ignore|--set webhook.enabled=true --set webhook.failurePolicy=Ignore
webhook-options|-f $W/webhook-options-values.yaml
EOF2
t_grep "certManager: k8s-validate leaves the cert-manager kinds to webhook_chart.py" 'skipped, unknown kind cert-manager.io/v1 Certificate$' "$W/webhook-cert-manager.kv"
t_check "certManager: cert-manager's namespace is not sent to the webhook (neither may wait for the other)" "$PY" -c '
import sys, yaml
m = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "MutatingWebhookConfiguration")
e = m["webhooks"][0]["namespaceSelector"]["matchExpressions"]
sys.exit(0 if any(x["operator"] == "NotIn" and "cert-manager" in x["values"] for x in e) else 1)' "$W/webhook-cert-manager.yaml"
t_check "webhook off (the default): no webhook object" bash -c "! grep -q -e 'kind: MutatingWebhookConfiguration' -e 'attestgate-webhook' '$W/default.yaml'"

"$PY" "$WH" check "$W" >"$W/wh-check.out" 2>&1
t_report "$W/wh-check.out" webhook_chart.py

# Upgrades in tls.mode generated.  helm-template's lookup finds nothing (as helm template's),
# so a copy of the chart reads "the cluster's" Secret from a template made from the first render.
mkdir -p "$W/chart-t"; cp -r "$CHART/." "$W/chart-t/"
sed -i 's/lookup "v1" "Secret" [^|]*|/fromYaml (include "test.existingSecret" .) |/' "$W/chart-t/templates/_helpers.tpl"
t_check "the chart's generated TLS reads the existing Secret through one lookup (the test replaces it)" \
	bash -c "grep -q 'include \"test.existingSecret\"' '$W/chart-t/templates/_helpers.tpl' && ! grep -q 'lookup ' '$W/chart-t/templates/_helpers.tpl'"
for c in reuse:keep renew:near-end dns:other-dns; do
	"$PY" "$WH" existing "$W/webhook-generated.yaml" "${c#*:}" >"$W/chart-t/templates/_test_existing.tpl"
	t_exit 0 "chart renders: an upgrade with the Secret installed (${c#*:})" "$HT" rel "$W/chart-t" -n attestgate-system --set webhook.enabled=true
	cp "$T_OUT" "$W/webhook-${c%%:*}.yaml"
done
"$PY" "$WH" rotation "$W" >"$W/wh-rotation.out" 2>&1
t_report "$W/wh-rotation.out" webhook_chart.py

# NOTES.txt (helm-template does not print it): rendered through a template of the chart copy.
cat >"$W/chart-t/templates/zz-notes.yaml" <<'EOF2'
{{- /* Test only: NOTES.txt as a ConfigMap, so that it renders. */ -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: notes
data:
  notes: {{ include "attestgate/templates/NOTES.txt" . | quote }}
EOF2
echo '{{- define "test.existingSecret" -}}{{- end -}}' >"$W/chart-t/templates/_test_existing.tpl"
t_exit 0 "NOTES.txt renders with the webhook off" "$HT" rel "$W/chart-t" -n attestgate-system
t_check "NOTES.txt: no webhook when it is off" bash -c "! grep -q 'admission webhook' '$T_OUT'"
t_exit 0 "NOTES.txt renders with the webhook (generated)" "$HT" rel "$W/chart-t" -n attestgate-system --set webhook.enabled=true
t_grep "NOTES.txt names the webhook, its failure policy and where the certificate is" \
	'admission webhook rel-attestgate-webhook \(2 replicas, failurePolicy Fail\).*Secret rel-attestgate-webhook-tls' "$T_OUT"
t_exit 0 "NOTES.txt renders with the webhook (certManager)" "$HT" rel "$W/chart-t" -n attestgate-system --set webhook.enabled=true --set webhook.tls.mode=certManager
t_grep "NOTES.txt: certManager names the Certificate" 'cert-manager Certificate attestgate-system/rel-attestgate-webhook' "$T_OUT"

# The chart and the server together, once attestgate has the webhook command: the flags the
# chart gives are its flags, and the server run with the rendered args (paths mapped to the
# Secret and ConfigMap laid out as the kubelet mounts them) serves the generated certificate,
# verified with the caBundle for the Service's name, injects the chart's gate, and serves the
# renewed certificate after the Secret changes, which the upgrade's caBundle (old and new CA) verifies.
if ! "$BIN" webhook --help >"$W/webhook-help.txt" 2>&1; then
	t_skip "webhook: the chart's flags are flags of attestgate webhook, and the server runs with them" "this attestgate has no webhook command"
	t_done; exit
fi
for flag in $("$PY" "$WH" flags "$W/webhook-generated.yaml" "$W/webhook-options.yaml"); do
	t_check "webhook: the chart's $flag is a flag of attestgate webhook" grep -qE -- "^ +(-[a-z], )?$flag " "$W/webhook-help.txt"
done
HOST=rel-attestgate-webhook.attestgate-system.svc
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PY" "$WH" mount "$W/webhook-generated.yaml" "$W/mnt" | sed "s/^--listen=.*/--listen=127.0.0.1:$PORT/" >"$W/webhook.args"
"$PY" - "$W/webhook-generated.yaml" "$W/webhook-renew.yaml" "$W" <<'EOF2'
import base64, sys, yaml
for src, out in ((sys.argv[1], "ca-install.pem"), (sys.argv[2], "ca-upgrade.pem")):
    mwc = next(d for d in yaml.safe_load_all(open(src)) if d and d["kind"] == "MutatingWebhookConfiguration")
    open("%s/%s" % (sys.argv[3], out), "wb").write(base64.b64decode(mwc["webhooks"][0]["clientConfig"]["caBundle"]))
EOF2
mapfile -t wargs <"$W/webhook.args"
"$BIN" "${wargs[@]}" >"$W/webhook.log" 2>&1 &
WPID=$!
trap 'kill $WPID 2>/dev/null; rm -rf "$W"' EXIT
# wh_get CA PATH: GET https://HOST:PORT/PATH verified with CA; prints the status code.
wh_get() { curl -sS -o /dev/null -w '%{http_code}' --cacert "$1" --resolve "$HOST:$PORT:127.0.0.1" "https://$HOST:$PORT$2" 2>>"$W/curl.err"; }
for _ in $(seq 50); do [ "$(wh_get "$W/ca-install.pem" /readyz)" = 200 ] && break; sleep 0.1; done
t_check "server with the chart's args: /readyz is 200 over TLS verified with the install's caBundle for $HOST" \
	test "$(wh_get "$W/ca-install.pem" /readyz)" = 200
t_check "server with the chart's args: /healthz is 200" test "$(wh_get "$W/ca-install.pem" /healthz)" = 200
"$PY" "$WH" review >"$W/review.json"
curl -sS --cacert "$W/ca-install.pem" --resolve "$HOST:$PORT:127.0.0.1" -H 'Content-Type: application/json' \
	--data-binary @"$W/review.json" "https://$HOST:$PORT/mutate" >"$W/answer.json" 2>>"$W/curl.err"
"$PY" "$WH" review --check "$W/answer.json" "$W/webhook-generated.yaml" >"$W/wh-review.out" 2>&1
t_report "$W/wh-review.out" webhook_chart.py
# served_fp: the SHA-256 fingerprint of the certificate the server presents.
served_fp() { openssl s_client -connect "127.0.0.1:$PORT" -servername "$HOST" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256; }
before=$(served_fp)
"$PY" "$WH" mount "$W/webhook-renew.yaml" "$W/mnt" >/dev/null
after=$before
for _ in $(seq 60); do after=$(served_fp); [ "$after" != "$before" ] && break; sleep 0.1; done
t_check "server: after the kubelet-style swap of the Secret it serves the renewed certificate without a restart" \
	bash -c "[ -n '$before' ] && [ '$after' != '$before' ] && kill -0 $WPID"
t_check "server: the upgrade's caBundle verifies the renewed certificate" test "$(wh_get "$W/ca-upgrade.pem" /readyz)" = 200
t_check "server: the install's caBundle no longer does (the old CA is why the upgrade's bundle keeps it)" \
	test "$(wh_get "$W/ca-install.pem" /readyz)" != 200
kill -TERM $WPID
wait $WPID
t_check "server: it stops cleanly on SIGTERM" test $? = 0
t_done
