#!/usr/bin/env bash
# webhook_bench.sh BIN [SECONDS] - throughput, latency and memory of
# `attestgate webhook` under wrk on loopback: TLS 1.3 keep-alive connections
# POSTing an AdmissionReview of a Pod that asks for the gate (each answer is
# an injection with its JSONPatch).  wrk shares the machine's cores with the
# server.  A measurement, not a test: nothing here passes or fails on a number.
set -u
BIN=${1:-build/attestgate}
SECS=${2:-10}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
command -v wrk >/dev/null || { echo "webhook bench: wrk is missing (make deps installs it)"; exit 0; }
W=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/tls.key" -out "$W/tls.crt" -days 1 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" webhook --listen "127.0.0.1:$PORT" --tls-cert "$W/tls.crt" --tls-key "$W/tls.key" \
	--policy-dir "$REPO/deploy/policies" --image localhost/attestgate:bench --shutdown-delay 0s --log-level warn 2>"$W/log" &
PID=$!
for _ in $(seq 50); do curl -sf --cacert "$W/tls.crt" "https://localhost:$PORT/healthz" >/dev/null && break; sleep 0.1; done
cat >"$W/review.json" <<'EOF2'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"0f4e6a4c-bench","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"apps","operation":"CREATE","userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller"},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-7d4b9c-","namespace":"apps","labels":{"app":"web"},"annotations":{"attestgate.io/inject":"true","attestgate.io/policy":"azure-cvm"}},"spec":{"serviceAccountName":"default","containers":[{"name":"web","image":"registry.example/web:1.2.3","ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}},"volumeMounts":[{"name":"kube-api-access-x7k2p","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"volumes":[{"name":"kube-api-access-x7k2p","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst","schedulerName":"default-scheduler"}},"oldObject":null,"dryRun":false}}
EOF2
curl -sf --cacert "$W/tls.crt" -H 'Content-Type: application/json' --data-binary "@$W/review.json" \
	"https://localhost:$PORT/mutate?timeout=10s" | grep -q '"patchType":"JSONPatch"' ||
	{ echo "webhook bench: the server does not inject: $(cat "$W/log")"; exit 1; }
cat >"$W/post.lua" <<EOF2
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$W/review.json"); wrk.body = f:read("*a"); f:close()
EOF2
wrk -t2 -c32 -d"${SECS}s" --latency -s "$W/post.lua" "https://localhost:$PORT/mutate?timeout=10s" >"$W/wrk.txt" 2>&1
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
rps=$(awk '/Requests\/sec/ { print $2 }' "$W/wrk.txt")
p50=$(awk '$1 == "50%" { print $2 }' "$W/wrk.txt")
p99=$(awk '$1 == "99%" { print $2 }' "$W/wrk.txt")
errs=$(grep -E 'Non-2xx|Socket errors' "$W/wrk.txt" | tr '\n' ' ')
injected=$(curl -sf --cacert "$W/tls.crt" "https://localhost:$PORT/metrics" | awk '/^attestgate_webhook_injections_total/ { print $2 }')
printf 'webhook %-30s %10s req/s  p50 %8s  p99 %8s  peak RSS %6s KiB  injections %s %s\n' "($(basename "$BIN"), wrk 2x32, ${SECS}s)" \
	"$rps" "$p50" "$p99" "$rss" "$injected" "${errs:+ errors: $errs}"
