#!/usr/bin/env bash
# webhook.sh - the admission webhook as the chart deploys it, run by podman
# from the image (part of `make test`, next to run.sh): the chart rendered
# with webhook.enabled=true, its Deployment's pod played with the generated
# TLS Secret and the policies ConfigMap as the kubelet would mount them
# (hostPath directories here), the image's non-root, read-only identity; an
# AdmissionReview over HTTPS verified against the chart's caBundle gets the
# chart's gate; a stop (SIGTERM) drains and exits 0.
set -u
. "$(dirname "$0")/../lib/tap.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${AG_SHARED:-$REPO/../shared}
IMAGE=${AG_IMAGE:-localhost/attestgate:dev}
GATE_IMAGE=ghcr.io/attestgate/attestgate:0.1.0      # what the chart names; tagged locally, never pulled
HT=$SHARED/tools/helm-template/helm-template
export CONTAINERS_CONF=$REPO/packaging/containers.conf
W=$(mktemp -d /tmp/agwh.XXXXXX)
POD=agwh-$(basename "$W" | cut -d. -f2 | tr 'A-Z' 'a-z')
cleanup() { podman pod rm -f -t 0 "$POD" >/dev/null 2>&1; rm -rf "$W"; }
trap cleanup EXIT

if ! command -v podman >/dev/null; then t_skip "webhook pod" "podman is not installed (make deps)"; t_done; exit $?; fi
if [ ! -x "$HT" ]; then t_skip "webhook pod" "../shared/tools/helm-template is not here"; t_done; exit $?; fi
podman image exists "$IMAGE" || { t_not_ok "the image $IMAGE exists (make image)"; t_done; exit 1; }
podman tag "$IMAGE" "$GATE_IMAGE"

t_exit 0 "the chart renders with the webhook" "$HT" rel "$REPO/charts/attestgate" --set webhook.enabled=true
cp "$T_OUT" "$W/chart.yaml"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The Deployment's pod as a Pod; the Secret and the ConfigMap become the files the kubelet would mount.
python3 - "$W" "$POD" "$PORT" <<'EOF2' >"$W/svc-name" 2>"$W/overlay.err"
import base64, os, sys, yaml
w, pod, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
docs = [d for d in yaml.safe_load_all(open(os.path.join(w, "chart.yaml"))) if d]
dep = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-webhook"))
secret = next(d for d in docs if d["kind"] == "Secret" and d.get("type") == "kubernetes.io/tls")
cm = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "attestgate-policies")
svc = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"].endswith("-webhook"))
for sub, files in (("tls", {k: base64.b64decode(v) for k, v in secret["data"].items()}),
                   ("policies", {k: v.encode() for k, v in cm["data"].items()})):
    os.makedirs(os.path.join(w, sub))
    for k, v in files.items():
        with open(os.path.join(w, sub, k), "wb") as f:
            f.write(v)
spec = dep["spec"]["template"]["spec"]
for v in spec["volumes"]:
    src = "tls" if "secret" in v else "policies"
    v.pop("secret", None); v.pop("configMap", None)
    v["hostPath"] = {"path": os.path.join(w, src), "type": "Directory"}
for c in spec["containers"]:
    for p in c.get("ports", []):
        p["hostPort"] = port
    c.pop("livenessProbe", None); c.pop("readinessProbe", None)   # podman 4.3 runs probes through a shell the image lacks
for k in ("affinity", "serviceAccountName", "automountServiceAccountToken", "enableServiceLinks"):
    spec.pop(k, None)
out = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, "labels": dep["spec"]["template"]["metadata"].get("labels", {})},
       "spec": spec}
yaml.safe_dump(out, open(os.path.join(w, "pod.yaml"), "w"))
print("%s.%s.svc" % (svc["metadata"]["name"], svc["metadata"]["namespace"]))
EOF2
[ -s "$W/svc-name" ] || { t_not_ok "the webhook pod is made from the chart" "$(cat "$W/overlay.err")"; t_done; exit 1; }
SVC=$(cat "$W/svc-name")
chmod -R a+rX "$W"
t_exit 0 "podman kube play starts the webhook pod" podman kube play --network slirp4netns "$W/pod.yaml"
CTR=$POD-webhook
CURL=(curl -s --max-time 5 --cacert "$W/tls/ca.crt" --resolve "$SVC:$PORT:127.0.0.1")
for _ in $(seq 50); do "${CURL[@]}" -f "https://$SVC:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
t_exit 0 "/readyz over HTTPS, verified with the chart's CA for the Service name" "${CURL[@]}" -f "https://$SVC:$PORT/readyz"
t_check "it runs as 65532:65532" test "$(podman inspect --format '{{.Config.User}}' "$CTR")" = 65532:65532
t_check "with a read-only root filesystem" test "$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$CTR")" = true
t_check "and no capabilities" test "$(podman inspect --format '{{len .EffectiveCaps}}' "$CTR")" = 0
cat >"$W/review.json" <<'EOF2'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"pod-test-1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"apps","object":{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-","annotations":{"attestgate.io/inject":"true"}},"spec":{"containers":[{"name":"web","image":"web:1"}]}}}}
EOF2
t_exit 0 "an AdmissionReview is answered" "${CURL[@]}" -f -H 'Content-Type: application/json' --data-binary "@$W/review.json" \
	"https://$SVC:$PORT/mutate?timeout=10s"
cp "$T_OUT" "$W/answer.json"
t_check "it injects the chart's gate: image, the installed policy's digest" python3 -c '
import base64, hashlib, json, sys
a = json.load(open(sys.argv[1]))["response"]
assert a["uid"] == "pod-test-1" and a["allowed"] and a["patchType"] == "JSONPatch", a
ops = json.loads(base64.b64decode(a["patch"]))
gate = next(o["value"][0] for o in ops if o["path"] == "/spec/initContainers")
want = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert gate["image"] == sys.argv[3], gate["image"]
assert "--policy-sha256=" + want in gate["args"], gate["args"]' "$W/answer.json" "$W/policies/azure-cvm.yaml" "$GATE_IMAGE"
t_exit 0 "the pod stops on SIGTERM within its grace period" podman pod stop -t 30 "$POD"
t_check "the webhook exits 0 after draining" test "$(podman inspect --format '{{.State.ExitCode}}' "$CTR")" = 0
podman logs "$CTR" >"$W/logs" 2>&1
t_grep "its log says it stopped after draining" '"msg":"webhook stopped"' "$W/logs"
t_done
