#!/usr/bin/env bash
# webhook.sh - `attestgate webhook` over real HTTPS on loopback (issue 19): the
# health, readiness and Prometheus endpoints with curl and with the Python client
# (test/webhook/admission_client.py); every workload kind and annotation of
# test/data/admission through the webhook, the JSONPatch applied and compared with
# what `attestgate inject` renders for the same YAML, and validated against the
# Kubernetes API types; kata pods, denials, a malformed-input suite; a certificate
# rotated under load in a kubelet-style Secret volume (and a half rotation that must
# not load); policies reloaded from a ConfigMap-style volume; graceful shutdown on
# SIGTERM; --max-connections.  The test CAs and serving certificates (EC P-256, for
# localhost and 127.0.0.1) are made here with openssl; servers are killed on exit.
set -u
. "$(dirname "$0")/../lib/tap.sh"
W=$(mktemp -d)
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
D=$REPO/test/data/admission
CLIENT=$REPO/test/webhook/admission_client.py
KV=$SHARED/tools/k8s-validate/k8s-validate
IMG=registry.example/attestgate:webhook-test

# --- certificates and volumes -------------------------------------------------------------------

# mkca NAME: a self-signed test CA, $W/NAME.crt and .key.
mkca() {
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$1.key" -out "$W/$1.crt" \
		-days 2 -subj "/CN=attestgate webhook test $1" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
# mkleaf NAME CA [KEY]: a serving certificate for localhost and 127.0.0.1 signed by CA, with a new key or KEY's.
mkleaf() {
	if [ $# -ge 3 ]; then cp "$3" "$W/$1.key"
	else openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/$1.key" 2>/dev/null; fi
	openssl req -new -key "$W/$1.key" -subj /CN=localhost -out "$W/$1.csr" 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >"$W/leaf.ext"
	openssl x509 -req -in "$W/$1.csr" -CA "$W/$2.crt" -CAkey "$W/$2.key" -CAcreateserial -CAserial "$W/$2.srl" -days 2 \
		-extfile "$W/leaf.ext" -out "$W/$1.crt" 2>/dev/null
}
fp() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

# publish DIR SRC: the files of SRC into DIR as the kubelet updates a Secret or ConfigMap volume: a new
# timestamped directory, the ..data symlink replaced atomically (mv -T), each name a link through ..data,
# the names no longer in the data removed, then the old directory.
GEN=0
publish() {
	local dir=$1 src=$2 ts old f
	GEN=$((GEN + 1))
	ts=$(printf '..2026_01_01_00_00_%02d.%09d' "$GEN" "$RANDOM")
	mkdir -p "$dir/$ts"
	cp "$src"/* "$dir/$ts/"
	old=$(readlink "$dir/..data" 2>/dev/null || true)
	for f in "$dir/$ts"/*; do f=${f##*/}; [ -L "$dir/$f" ] || ln -s "..data/$f" "$dir/$f"; done
	ln -s "$ts" "$dir/..data_tmp" && mv -T "$dir/..data_tmp" "$dir/..data"
	for f in "$dir"/*; do if [ -L "$f" ] && [ ! -e "$f" ]; then rm -f "$f"; fi; done
	if [ -n "$old" ]; then rm -rf "${dir:?}/$old"; fi
}

mkca ca1 && mkleaf leaf1 ca1 && mkca ca2 && mkleaf leaf2 ca2 && mkca ca3 && mkleaf leaf3 ca3
FP1=$(fp "$W/leaf1.crt") FP2=$(fp "$W/leaf2.crt") FP3=$(fp "$W/leaf3.crt")
t_check "the test CAs and EC P-256 serving certificates are made" test -n "$FP1" -a -n "$FP2" -a -n "$FP3" -a "$FP1" != "$FP2"
mkdir -p "$W/src" "$W/tls" "$W/pol" "$W/psrc"
cp "$W/leaf1.crt" "$W/src/tls.crt" && cp "$W/leaf1.key" "$W/src/tls.key" && publish "$W/tls" "$W/src"
cp "$REPO"/deploy/policies/*.yaml "$W/psrc/" && publish "$W/pol" "$W/psrc"
t_check "the Secret volume: tls.crt -> ..data/tls.crt, ..data -> a timestamped directory" \
	bash -c "[ \"\$(readlink '$W/tls/tls.crt')\" = ..data/tls.crt ] && readlink '$W/tls/..data' | grep -q '^\.\.2026_' && cmp -s '$W/tls/tls.crt' '$W/leaf1.crt'"

# --- servers --------------------------------------------------------------------------------------

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# start_server NAME ARGS...: attestgate webhook on a free loopback port, once /healthz answers; sets PORT and PID.
start_server() {
	local name=$1 _try _i
	shift
	for _try in 1 2 3; do
		PORT=$(free_port)
		"$BIN" webhook --listen "127.0.0.1:$PORT" "$@" >"$W/$name.log" 2>&1 &
		PID=$!
		PIDS="$PIDS $PID"
		for _i in $(seq 1 150); do
			curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:$PORT/healthz" && return 0
			kill -0 "$PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$PID" 2>/dev/null
		grep -q 'cannot listen' "$W/$name.log" || break   # only a port taken meanwhile is worth another try
	done
	return 1
}
# started NAME DESC RC: the check that server NAME came up (start_server returned RC); without it nothing else can run (log shown, plan closed).
started() {
	if [ "$3" = 0 ]; then t_ok "$2"; return; fi
	t_not_ok "$2" "$(tail -c 1500 "$W/$1.log")"
	t_done
	exit 1
}
COMMON=(--image "$IMG" --reload-interval 200ms)
start_server A --tls-cert "$W/tls/tls.crt" --tls-key "$W/tls/tls.key" --policy-dir "$W/pol" --policy-name azure-cvm "${COMMON[@]}" \
	--request-timeout 3s --max-request-bytes 1048576 --shutdown-delay 1s --shutdown-timeout 5s
started A "server A starts (Secret and ConfigMap volume layouts, --policy-name azure-cvm)" $?
PA=$PORT APID=$PID UA=https://localhost:$PORT
start_server B --tls-cert "$W/leaf1.crt" --tls-key "$W/leaf1.key" --policy-dir "$REPO/deploy/policies" --policy-name azure-cvm \
	"${COMMON[@]}" --os-distro Ubuntu --os-version 22.04 --tpm-access devicePlugin --device-plugin-resource example.com/tpmrm0 \
	--shutdown-delay 100ms
started B "server B starts (--os-distro/--os-version, --tpm-access devicePlugin)" $?
BPID=$PID UB=https://localhost:$PORT
start_server C --tls-cert "$W/leaf1.crt" --tls-key "$W/leaf1.key" --policy-dir "$REPO/deploy/policies" "${COMMON[@]}" \
	--max-connections 2 --shutdown-delay 100ms
started C "server C starts (no --policy-name, --max-connections 2)" $?
CPID=$PID UC=https://localhost:$PORT

CA=$W/ca1.crt
py() { "$PY" "$CLIENT" --ca "$CA" "$@"; }
# hc URL ARGS...: curl's HTTP code on stdout, the body in $W/body.
hc() { local u=$1; shift; curl -sS --cacert "$CA" --max-time 10 -o "$W/body" -w '%{http_code}' "$u" "$@" 2>"$W/curl.err"; }
metric() { curl -sS --cacert "$CA" --max-time 10 "$UA/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
# until_ok SECONDS CMD...: CMD again every 0.1 s until it succeeds, for SECONDS at most.
until_ok() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
# stopped PID SECONDS: waits for server PID to exit (killed after SECONDS); its exit code (137 when killed).
stopped() {
	local pid=$1
	gone() { ! kill -0 "$pid" 2>/dev/null; }
	until_ok "$2" gone || kill -KILL "$pid" 2>/dev/null
	wait "$pid"
}
# post NAME BODYFILE [TYPE]: POST /mutate to A (Content-Type TYPE, default application/json; "" for none);
# the HTTP code in $W/NAME.code, the body in $W/NAME.json.
post() {
	hc "$UA/mutate" -H "Content-Type:${3-" application/json"}" --data-binary "@$2" >"$W/$1.code"
	cp "$W/body" "$W/$1.json"
}
code_is() { [ "$(cat "$W/$1.code")" = "$2" ]; }
# rv NAME FIXTURE DOC [URL] [ARGS...]: the Python client's review of document DOC, into $W/rv-NAME.json.
rv() { local name=$1 f=$2 doc=$3 u=${4:-$UA}; shift 3; [ $# -gt 0 ] && shift; py --url "$u" review "$f" --name "$doc" "$@" >"$W/rv-$name.json"; }
# t_json DESC FILTER FILE: t_jq, but an empty file fails too (jq 1.6 -e exits 0 when there is no input at all).
t_json() {
	if jq -e -s "length == 1 and (.[0] | $2)" "$3" >/dev/null 2>&1; then t_ok "$1"
	else t_not_ok "$1" "jq '$2' is not true for:" "$(head -c 600 "$3" 2>&1)"; fi
}

# --- 1. health, readiness, metrics ----------------------------------------------------------------

t_check "curl: GET /healthz is 200 ok" bash -c "[ \"\$(curl -sS --cacert '$CA' --max-time 10 '$UA/healthz')\" = ok ]"
t_check "curl: the certificate is valid for 127.0.0.1 too" bash -c "[ \"\$(curl -sS --cacert '$CA' --max-time 10 'https://127.0.0.1:$PA/readyz')\" = ok ]"
t_check "curl: GET /readyz is 200" test "$(hc "$UA/readyz")" = 200
t_check "curl: a client that does not trust the test CA is refused" bash -c "! curl -sS --max-time 5 '$UA/healthz' 2>/dev/null"
py --url "$UA" get /healthz >"$W/py-healthz.json"
t_json "python: /healthz 200 ok over TLS, the served certificate is the test one" ".status == 200 and .body == \"ok\\n\" and .fp == \"$FP1\"" "$W/py-healthz.json"
py --url "$UA" get /readyz >"$W/py-readyz.json"
t_json "python: /readyz 200" '.status == 200' "$W/py-readyz.json"
curl -sS --cacert "$CA" --max-time 10 -D "$W/metrics.h" -o "$W/metrics0.txt" "$UA/metrics"
t_grep "/metrics is Prometheus text" '^[Cc]ontent-[Tt]ype: text/plain; version=0.0.4' "$W/metrics.h"
for m in 'attestgate_webhook_requests_total counter' 'attestgate_webhook_request_duration_seconds histogram' \
	'attestgate_webhook_injections_total counter' 'attestgate_webhook_errors_total counter'; do
	t_grep "/metrics declares ${m% *} (${m#* })" "^# TYPE $m\$" "$W/metrics0.txt"
done
for r in injected unchanged warned denied invalid; do
	t_grep "/metrics: requests_total{result=\"$r\"} starts at 0" "^attestgate_webhook_requests_total\\{result=\"$r\"\\} 0\$" "$W/metrics0.txt"
done
py wrap "$D/pod.yaml" --name basic --uid uid-basic-1 >"$W/basic.json"
py wrap "$D/pod.yaml" --name skipped --uid uid-skip-1 >"$W/skipped.json"
py wrap "$D/kata.yaml" --name kata-cc --uid uid-kata-1 >"$W/kata.json"
py wrap "$D/denied.yaml" --name unknown-policy --uid uid-deny-1 >"$W/deny.json"
printf '{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": ' >"$W/invalid.json"
post c-basic "$W/basic.json"
t_check "curl: POST /mutate with a Pod asking for the gate: 200" code_is c-basic 200
t_json "curl: the answer echoes the uid, allows, and patches (JSONPatch)" \
	'.apiVersion == "admission.k8s.io/v1" and .kind == "AdmissionReview" and .response.uid == "uid-basic-1" and .response.allowed == true and .response.patchType == "JSONPatch" and (.response.patch | @base64d | fromjson | length > 3)' "$W/c-basic.json"
t_check "metrics: requests_total{result=\"injected\"} is 1" test "$(metric 'attestgate_webhook_requests_total{result="injected"}')" = 1
t_check "metrics: injections_total is 1" test "$(metric attestgate_webhook_injections_total)" = 1
t_check "metrics: the latency histogram counted it (+Inf bucket and _count 1)" \
	test "$(metric 'attestgate_webhook_request_duration_seconds_bucket{le="+Inf"}') $(metric attestgate_webhook_request_duration_seconds_count)" = "1 1"
t_check "metrics: the latency _sum is above 0" awk -v s="$(metric attestgate_webhook_request_duration_seconds_sum)" 'BEGIN { exit !(s > 0) }'
post c-skip "$W/skipped.json"
post c-kata "$W/kata.json"
post c-deny "$W/deny.json"
post c-invalid "$W/invalid.json"
hc "$UA/nope" >"$W/c-404.code"
t_check "metrics: one each of unchanged, warned, denied, invalid" \
	test "$(for r in unchanged warned denied invalid; do metric "attestgate_webhook_requests_total{result=\"$r\"}"; done | tr '\n' ' ')" = "1 1 1 1 "
t_check "metrics: errors_total counts the invalid review and the 404" test "$(metric attestgate_webhook_errors_total)" = 2
t_check "metrics: injections_total did not move for the others" test "$(metric attestgate_webhook_injections_total)" = 1
py --url "$UA" metrics >"$W/py-metrics.json"
t_json "python /metrics: histogram _count = the reviews answered (5), +Inf = _count, buckets never decrease" \
	'. as $m | ([to_entries[] | select(.key | startswith("attestgate_webhook_requests_total{")) | .value] | add) == 5 and $m["attestgate_webhook_request_duration_seconds_count"] == 5 and $m["attestgate_webhook_request_duration_seconds_bucket{le=\"+Inf\"}"] == 5 and ([to_entries[] | select(.key | startswith("attestgate_webhook_request_duration_seconds_bucket")) | .value] as $b | [range(1; $b | length) | $b[.] >= $b[. - 1]] | all) and ._types["attestgate_webhook_request_duration_seconds"] == "histogram"' \
	"$W/py-metrics.json"

# --- 2. the webhook's patch is what inject renders --------------------------------------------------

INJ=(--image "$IMG" --policy-dir "$W/pol")
# Objects already injected by `attestgate inject` (the repository's inject fixtures too): the webhook leaves them.
for f in pod deployment cronjob; do
	"$BIN" inject "${INJ[@]}" --policy-name azure-cvm -f "$D/$f.yaml" >"$W/injected-$f.yaml" 2>/dev/null
done
"$BIN" inject "${INJ[@]}" --policy-name azure-cvm -f "$REPO/test/data/inject/workloads.in.yaml" >"$W/injected-workloads.yaml" 2>/dev/null
t_check "inject renders the already-injected inputs" test -s "$W/injected-pod.yaml" -a -s "$W/injected-workloads.yaml"
mkdir -p "$W/outA" "$W/outB" "$W/outC"
py --url "$UA" equal --bin "$BIN" --out "$W/outA" --inject-args "${INJ[*]} --policy-name azure-cvm" \
	"$D"/{pod,pod-stale-status,deployment,statefulset,daemonset,replicaset,job,cronjob,replicationcontroller,podtemplate}.yaml \
	"$REPO/test/data/inject/workloads.in.yaml" "$REPO/test/data/inject/deployment.in.yaml" "$W"/injected-*.yaml >"$W/equalA.out" 2>&1
t_report "$W/equalA.out" admission_client.py
t_check "every workload kind went through the webhook" bash -c "for k in Pod Deployment StatefulSet DaemonSet ReplicaSet Job CronJob ReplicationController PodTemplate; do grep -q \"^ok	[a-z-]* \$k/.*equals\" '$W/equalA.out' || exit 1; done"
py --url "$UB" equal --bin "$BIN" --out "$W/outB" --inject-args "--image $IMG --policy-dir $REPO/deploy/policies --policy-name azure-cvm --os-distro Ubuntu --os-version 22.04 --tpm-access devicePlugin --device-plugin-resource example.com/tpmrm0" \
	"$D/os-flags.yaml" "$D/pod.yaml" >"$W/equalB.out" 2>&1
t_report "$W/equalB.out" admission_client.py
py --url "$UC" equal --bin "$BIN" --out "$W/outC" --inject-args "--image $IMG --policy-dir $REPO/deploy/policies" \
	"$D/no-default-policy.yaml" >"$W/equalC.out" 2>&1
t_report "$W/equalC.out" admission_client.py
t_check "--os-distro: the gate gets --os-distro=Ubuntu and no os-release hostPath" \
	bash -c "grep -q -- '--os-distro=Ubuntu' '$W/outB/os-flags-0.yaml' && ! grep -q 'os-release' '$W/outB/os-flags-0.yaml' && grep -q 'example.com/tpmrm0' '$W/outB/os-flags-0.yaml'"
sum=$(sha256sum "$W/pol/azure-cvm.yaml" | cut -d' ' -f1)
t_grep "the injected gate pins the policy file's SHA-256" "--policy-sha256=$sum" "$W/outA/pod-0.yaml"
if [ -x "$KV" ]; then
	t_exit 0 "every patched object validates against the Kubernetes API types" "$KV" "$W"/out[ABC]/*.yaml
	n=$(find "$W"/out[ABC] -name "*.yaml" | wc -l)
	t_grep "k8s-validate checked all $n of them" "^$n valid, 0 invalid\$" "$T_OUT"
else
	t_skip "Kubernetes validation of the patched objects" "../shared/tools/k8s-validate is not present"
	t_skip "k8s-validate counted them" "../shared/tools/k8s-validate is not present"
fi

# --- 2b. GPU pods: a policy with spec.gpus -------------------------------------------------------------

mkdir -p "$W/gpol"
cp "$REPO/deploy/policies/azure-cvm.yaml" "$W/gpol/"
sed 's/^  name: azure-cvm$/  name: cvm-gpu/' "$REPO/deploy/policies/azure-cvm.yaml" >"$W/gpol/cvm-gpu.yaml"
printf '  gpus:\n    count: 2\n    require:\n    - {claim: /measres, equals: success}\n' >>"$W/gpol/cvm-gpu.yaml"
start_server D --tls-cert "$W/leaf1.crt" --tls-key "$W/leaf1.key" --policy-dir "$W/gpol" --policy-name azure-cvm "${COMMON[@]}" \
	--gpu-resource example.com/gpu --shutdown-delay 100ms
started D "server D starts (a policy with spec.gpus, --gpu-resource)" $?
DPID=$PID UD=https://localhost:$PORT
mkdir -p "$W/outD"
py --url "$UD" equal --bin "$BIN" --out "$W/outD" --inject-args "--image $IMG --policy-dir $W/gpol --policy-name azure-cvm --gpu-resource example.com/gpu" \
	"$D/gpu.yaml" >"$W/equalD.out" 2>&1
t_report "$W/equalD.out" admission_client.py
t_check "GPU pod: the gate runs the -nvidia image and asks for the policy's 2 GPUs" "$PY" -c "
import sys, yaml
c = yaml.safe_load(open('$W/outD/gpu-0.yaml'))['spec']['template']['spec']['initContainers'][0]
sys.exit(0 if c['image'] == '$IMG-nvidia' and str(c['resources']['limits']['example.com/gpu']) == '2' else 1)"
rv gpu-more "$D/gpu-more.yaml" inference-more-gpus "$UD"
t_json "GPU pod whose app asks for more GPUs than the policy attests: denied, naming both numbers" \
	'.review.response.allowed == false and (.review.response.status.message | contains("ask for 4 example.com/gpu, but policy \"cvm-gpu\" attests 2"))' "$W/rv-gpu-more.json"
if [ -x "$KV" ]; then t_exit 0 "GPU pod: the patched object validates" "$KV" "$W/outD/gpu-0.yaml"
else t_skip "GPU pod: the patched object validates" "../shared/tools/k8s-validate is not present"; fi

# --- 3. kata pods and denials ---------------------------------------------------------------------

for k in kata-cc kata-cc-isolation kata-qemu-snp kata-qemu-tdx kata-cc-deployment; do
	rv "$k" "$D/kata.yaml" "$k"
	t_json "$k asking for the gate: allowed, no patch, a warning to use attestgate inject" \
		'.status == 200 and .review.response.uid == .uid and .review.response.allowed == true and .patch == null and (.review.response | has("patchType") | not) and (.review.response.warnings | length == 1) and (.review.response.warnings[0] | contains("attestgate inject"))' "$W/rv-$k.json"
done
rv kata-quiet "$D/kata.yaml" kata-cc-not-asking
t_json "a kata-cc pod not asking: allowed, no patch, no warning" '.review.response.allowed == true and .patch == null and (.review.response | has("warnings") | not)' "$W/rv-kata-quiet.json"
"$BIN" inject "${INJ[@]}" -f "$REPO/test/data/inject/pod-kata.in.yaml" >"$W/kata-injected.yaml" 2>/dev/null
rv kata-done "$W/kata-injected.yaml" kata-app
t_json "a kata-cc pod injected by attestgate inject: allowed, no patch, no warning" '.review.response.allowed == true and .patch == null and (.review.response | has("warnings") | not)' "$W/rv-kata-done.json"
rv kata-vm "$D/kata.yaml" kata-vm-isolation
t_json "kata-vm-isolation asking: denied, the message names the runtime class" \
	'.status == 200 and .review.response.uid == .uid and .review.response.allowed == false and (.review.response.status.message | contains("kata-vm-isolation"))' "$W/rv-kata-vm.json"
deny() { # DOC DESC TEXT...: denied (uid echoed, allowed false) with each TEXT in the message
	local doc=$1 d=$2 f
	shift 2
	rv "$doc" "$D/denied.yaml" "$doc"
	f='.status == 200 and .review.response.uid == .uid and .review.response.allowed == false and .patch == null'
	for t in "$@"; do f="$f and (.review.response.status.message | contains($(jq -Rn --arg t "$t" '$t')))"; done
	t_json "$d" "$f" "$W/rv-$doc.json"
}
deny unknown-policy "an unknown policy: denied, naming it and the installed policies" no-such-policy \
	'the installed policies are: azure-cvm, azure-cvm-local, azure-kata-cc'
deny inject-yes 'attestgate.io/inject: "yes": denied naming the annotation' 'attestgate.io/inject is "yes"'
deny skip-one 'attestgate.io/skip: "1": denied naming the annotation' 'attestgate.io/skip is "1"'
deny tpm-maybe 'attestgate.io/tpm-access: maybe: denied naming the annotation' 'attestgate.io/tpm-access is "maybe"'
deny timeout-soon 'attestgate.io/timeout: soon: denied naming the annotation' 'attestgate.io/timeout is "soon"'
deny cvm-with-kata-policy "a CVM pod with the kata-only policy: denied naming both" azure-kata-cc 'does not allow'
deny widget "an annotated kind without a pod template: denied naming the kind" Widget
deny fake-gate "an init container named attestgate of another image repository: denied, it is not the gate" 'is not the gate' 'another repository'
rv nopolicy "$D/pod.yaml" basic "$UC"
t_json "no --policy-name and no attestgate.io/policy: denied, saying what to do" \
	'.review.response.allowed == false and (.review.response.status.message | contains("attestgate.io/policy or pass --policy-name"))' "$W/rv-nopolicy.json"
rv delete "$D/pod.yaml" basic "$UA" --op DELETE
t_json "a DELETE: allowed, no patch, uid echoed" '.status == 200 and .review.response.uid == .uid and .review.response.allowed == true and .patch == null' "$W/rv-delete.json"
rv update "$D/pod.yaml" basic "$UA" --op UPDATE
t_json "a Pod's UPDATE: allowed unchanged (not judged; the chart registers CREATE only)" '.status == 200 and .review.response.uid == .uid and .review.response.allowed == true and .patch == null' "$W/rv-update.json"
rv update-deploy "$D/deployment.yaml" workload-annotation "$UA" --op UPDATE
t_json "a Deployment's UPDATE gets the gate in its template" '.review.response.allowed == true and .patched.spec.template.spec.initContainers[0].name == "attestgate"' "$W/rv-update-deploy.json"

# --- 4. malformed input ---------------------------------------------------------------------------

# The slow client: half a request, then silence; it must be closed after --request-timeout (3s).
py --url "$UA" partial --fixture "$D/pod.yaml" --ready "$W/slow.ready" >"$W/slow.json" 2>&1 &
SLOW=$!
# A TCP connection that never starts TLS: closed after --request-timeout too (else it holds a connection slot).
"$PY" -c "import socket, time; s = socket.create_connection(('127.0.0.1', $PA), timeout=9); t = time.monotonic(); d = s.recv(10); print(d == b'', time.monotonic() - t)" >"$W/notls.out" 2>&1 &
NOTLS=$!
E0=$(metric attestgate_webhook_errors_total) NE=0
# bad NAME DESC BODY JQ...: POSTed as application/json: 400 with an AdmissionReview that denies (uid "") saying JQ.
bad() {
	local name=$1 d=$2
	printf '%s' "$3" >"$W/bad-$name.in"
	post "bad-$name" "$W/bad-$name.in"
	NE=$((NE + 1))
	t_check "$d: HTTP 400" code_is "bad-$name" 400
	t_json "$d: an AdmissionReview, allowed false, status.message $4" \
		".apiVersion == \"admission.k8s.io/v1\" and .kind == \"AdmissionReview\" and .response.allowed == false and .response.uid == \"\" and .response.status.code == 400 and (.response.status.message | test(\"$4\"))" "$W/bad-$name.json"
}
R='"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"'
POD='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","annotations":{"attestgate.io/inject":"true"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}'
REQ='"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE"'
bad json "invalid JSON" '{"apiVersion": nope' 'invalid JSON'
bad empty "an empty body" '' 'invalid JSON'
bad array "a JSON array" "[{$R,\"request\":{$REQ,\"object\":$POD}}]" 'not a JSON object'
bad string "a JSON string" '"AdmissionReview"' 'not a JSON object|invalid JSON'
bad v1beta1 "apiVersion admission.k8s.io/v1beta1" "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\",\"request\":{$REQ,\"object\":$POD}}" 'apiVersion'
bad kind "kind AdmissionResponse" "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionResponse\",\"request\":{$REQ,\"object\":$POD}}" 'kind is not AdmissionReview'
bad norequest "no request" "{$R}" 'no request'
bad reqarray "a request that is an array" "{$R,\"request\":[]}" 'no request'
bad nouid "no uid" "{$R,\"request\":{\"kind\":{\"kind\":\"Pod\"},\"operation\":\"CREATE\",\"object\":$POD}}" 'no uid'
bad uidnum "a uid that is a number" "{$R,\"request\":{\"uid\":7,\"operation\":\"CREATE\",\"object\":$POD}}" 'no uid'
bad longuid "a uid of 200 characters" "{$R,\"request\":{\"uid\":\"$(printf 'u%.0s' $(seq 200))\",\"operation\":\"CREATE\",\"object\":$POD}}" 'uid'
bad dupkind "a duplicate key (kind)" "{$R,\"kind\":\"AdmissionReview\",\"request\":{$REQ,\"object\":$POD}}" 'duplicate'
bad dupobject "a duplicate object (the second one asking for the gate)" "{$R,\"request\":{$REQ,\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[]}},\"object\":$POD}}" 'duplicate'
bad utf8 "a string that is not UTF-8" "{$R,\"request\":{\"uid\":\"u-$(printf '\xff\xfe')\",\"operation\":\"CREATE\"}}" 'invalid JSON'
bad nul "a NUL in a string" "{$R,\"request\":{\"uid\":\"u-\\u0000-x\",\"operation\":\"CREATE\"}}" 'invalid JSON|NUL'
bad trailing "two JSON documents" "{$R}{$R}" 'invalid JSON'
"$PY" -c "print('{\"a\":' + '[' * 100000 + ']' * 100000 + '}')" >"$W/deep1.in"
post deep1 "$W/deep1.in"; NE=$((NE + 1))
t_check "100000 nested arrays: HTTP 400" code_is deep1 400
t_json "100000 nested arrays: an AdmissionReview naming the depth" '.response.allowed == false and (.response.status.message | test("depth|invalid JSON"))' "$W/deep1.json"
"$PY" -c "print('{$R,\"request\":{$REQ,\"object\":' + '{\"a\":' * 50000 + '1' + '}' * 50000 + '}}')" >"$W/deep2.in"
post deep2 "$W/deep2.in"; NE=$((NE + 1))
t_check "an object nested 50000 deep inside a valid review: HTTP 400" code_is deep2 400
# A well-formed review whose object is not an object: the API server needs the uid back, so 200 and a denial.
printf '%s' "{$R,\"request\":{$REQ,\"object\":\"a string\"}}" >"$W/objstr.in"
post objstr "$W/objstr.in"
t_check "an object that is a string: HTTP 200" code_is objstr 200
t_json "an object that is a string: denied with the uid, saying so" '.response.uid == "u-1" and .response.allowed == false and (.response.status.message | contains("no object"))' "$W/objstr.json"
printf '%s' "{$R,\"request\":{$REQ}}" >"$W/noobj.in"
post noobj "$W/noobj.in"
t_json "a CREATE without an object: denied with the uid" '.response.uid == "u-1" and .response.allowed == false' "$W/noobj.json"
printf '%s' "{$R,\"request\":{\"uid\":\"u-2\",\"kind\":{\"kind\":\"Pod\"},\"operation\":\"CREATE\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{\"attestgate.io/inject\":\"true\"}},\"spec\":{\"containers\":\"oops\"}}}}" >"$W/ctrstr.in"
post ctrstr "$W/ctrstr.in"
t_json "containers that are not a list: an answer with the uid, not a crash" '.response.uid == "u-2" and (.response.allowed | type == "boolean")' "$W/ctrstr.json"
post type "$W/basic.json" ' text/plain'; NE=$((NE + 1))
t_check "Content-Type text/plain: 415" code_is type 415
post notype "$W/basic.json" ""; NE=$((NE + 1))
t_check "no Content-Type: 415" code_is notype 415
post charset "$W/basic.json" ' application/json; charset=utf-8'
t_check "Content-Type application/json; charset=utf-8: accepted (200)" code_is charset 200
t_check "GET /mutate: 405" test "$(hc "$UA/mutate")" = 405
NE=$((NE + 1))
t_check "an unknown path: 404" test "$(hc "$UA/admission/mutate")" = 404
NE=$((NE + 1))
t_check "metrics: errors_total counts every answer above ($NE)" test "$(($(metric attestgate_webhook_errors_total) - E0))" = "$NE"
# Bodies over --max-request-bytes (1 MiB): refused before they are read.
head -c 2000000 /dev/zero | tr '\0' ' ' >"$W/huge.in"
post huge "$W/huge.in"
t_check "a 2 MB body (--max-request-bytes 1048576): 413" code_is huge 413
py --url "$UA" partial --body-file "$W/huge.in" --content-length 10485760 --send 4096 >"$W/huge-partial.json" 2>&1
t_json "Content-Length 10 MiB after 4 KiB sent: 413 at once, the rest never read" '.status == 413 and .sent == 4096 and .elapsed < 2' "$W/huge-partial.json"
# libevent answers these itself, before a request reaches attestgate: they are not in errors_total (README says so).
post afterhuge "$W/basic.json"
t_check "the server still answers reviews after the 413s" code_is afterhuge 200
head -c 20000 /dev/zero | tr '\0' a | sed 's/^/X-Big: /' >"$W/bigheader"
t_check "a header over 16 KiB: a 4xx, not a crash" bash -c "curl -sS --max-time 10 --cacert '$CA' -o /dev/null -w '%{http_code}' -H @'$W/bigheader' '$UA/healthz' | grep -q '^4'"
t_check "PUT /mutate: refused (4xx/5xx), not a crash" bash -c "curl -sS --max-time 10 --cacert '$CA' -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' --data-binary @'$W/basic.json' '$UA/mutate' | grep -q '^[45]'"
t_check "plain HTTP on the TLS port: no HTTP answer" bash -c "! curl -sS --max-time 5 -o /dev/null 'http://127.0.0.1:$PA/healthz' 2>/dev/null"
t_check "TLS garbage: the server closes the connection" "$PY" -c "
import socket
s = socket.create_connection(('127.0.0.1', $PA), timeout=5)
s.sendall(b'\\x16\\x03\\x01\\x00\\x05hello' * 50)
try:
    while s.recv(100):
        pass
except ConnectionResetError:
    pass"
until_ok 5 test -e "$W/slow.ready"
t_check "while a client stalls mid-request, others are served at once" bash -c "[ \"\$(curl -sS --cacert '$CA' --max-time 2 '$UA/healthz')\" = ok ]"
wait "$SLOW"
wait "$NOTLS"
t_check "a TCP connection that never starts TLS is closed after --request-timeout" awk '$1 == "True" && $2 > 2.5 && $2 < 6 { ok = 1 } END { exit !ok }' "$W/notls.out"
t_json "the stalled client is closed after --request-timeout (3s), without an answer" '.closed == true and .status == null and .elapsed > 2.5 and .elapsed < 6' "$W/slow.json"
# A review split over two writes 0.5 s apart, within --request-timeout: answered.
py --url "$UA" partial --fixture "$D/pod.yaml" --rest-after 0.5 --uid uid-split >"$W/split.json"
t_json "a request sent in two parts 0.5 s apart is answered" '.status == 200 and .review.response.uid == "uid-split" and .review.response.allowed == true' "$W/split.json"
t_check "after the suite the server is running" kill -0 "$APID"
t_check "after the suite /healthz is 200" test "$(hc "$UA/healthz")" = 200
post after "$W/basic.json"
t_json "after the suite a review is answered with the patch" '.response.uid == "uid-basic-1" and .response.allowed == true and .response.patchType == "JSONPatch"' "$W/after.json"

# --- 8. --max-connections 2 (server C) --------------------------------------------------------------

py --url "$UC" --timeout 20 maxconn --fixture "$D/no-default-policy.yaml" --clients 5 --hold 0.4 >"$W/maxconn.json"
t_json "--max-connections 2: all 5 concurrent clients are answered" '.answered == 5' "$W/maxconn.json"
t_json "--max-connections 2: never more than 2 held at once (the rest waited in the backlog)" '.most_at_once <= 2 and .most_at_once >= 1' "$W/maxconn.json"
t_json "--max-connections 2: 5 clients holding 0.4 s took at least 3 rounds" '.elapsed >= 1.15' "$W/maxconn.json"
t_check "--max-connections 2: the server serves again afterwards" bash -c "[ \"\$(curl -sS --cacert '$CA' --max-time 5 '$UC/healthz')\" = ok ]"
# Two clients trickling a request a byte every 0.5 s hold both slots: each request has --request-timeout (3 s)
# from the connection's start, however busy the client keeps it, and then the slots are free again.
"$PY" - "$UC" "$CA" >"$W/trickle.out" 2>&1 <<'EOF2'
import socket, ssl, sys, threading, time, urllib.parse, urllib.request
url, ca = sys.argv[1], sys.argv[2]
host, port = urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port
ctx = ssl.create_default_context(cafile=ca)
held = []
def trickle():
    s = ctx.wrap_socket(socket.create_connection((host, port)), server_hostname=host)
    t0 = time.time()
    s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    try:
        while time.time() - t0 < 20:
            s.sendall(b" ")
            time.sleep(0.5)
    except OSError:
        pass
    held.append(time.time() - t0)
ts = [threading.Thread(target=trickle) for _ in range(2)]
[t.start() for t in ts]
time.sleep(0.3)
t0 = time.time()
ok = urllib.request.urlopen(url + "/healthz", context=ctx, timeout=15).read() == b"ok\n"
waited = time.time() - t0
[t.join() for t in ts]
print("healthz", ok, "%.1f" % waited, "held", " ".join("%.1f" % h for h in held))
EOF2
t_check "two trickling clients are closed at --request-timeout (3 s), not served forever" \
	awk '$1 == "healthz" && $5 > 2.5 && $5 < 6 && $6 > 2.5 && $6 < 6 { ok = 1 } END { exit !ok }' "$W/trickle.out"
t_check "while they held both slots, /healthz waited for one and was answered" awk '$2 == "True" && $3 < 6 { ok = 1 } END { exit !ok }' "$W/trickle.out"
# A keep-alive connection reused after an idle spell gets the whole --request-timeout from its request's first byte
# (server A, 3 s: requests after 0.5 s and 2.8 s of idleness, each sent in two parts 0.5 s apart); and idle
# keep-alive connections holding every slot make room for a new one (server C, --max-connections 2).
"$PY" - "$UA" "$UC" "$CA" "$W/basic.json" >"$W/reuse.out" 2>&1 <<'EOF2'
import socket, ssl, sys, time, urllib.parse, urllib.request
ua, uc, ca, review = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=ca)
body = open(review, "rb").read()
req = b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
def conn(u):
    p = urllib.parse.urlsplit(u)
    return ctx.wrap_socket(socket.create_connection((p.hostname, p.port)), server_hostname=p.hostname)
def status(s):
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(65536)
        if not d:
            return "closed"
        data += d
    head, rest = data.split(b"\r\n\r\n", 1)
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    while len(rest) < n:
        d = s.recv(65536)
        if not d:
            return "closed"
        rest += d
    return head.split(b" ")[1].decode()
for gap in (0.5, 2.8):
    s = conn(ua)
    s.sendall(req)
    first = status(s)
    time.sleep(gap)
    try:
        s.sendall(req[:200]); time.sleep(0.5); s.sendall(req[200:]); second = status(s)
    except OSError:
        second = "closed"
    print("reuse", gap, first, second)
held = []
for _ in range(2):
    s = conn(uc); s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); status(s); held.append(s)
t0 = time.time()
ok = urllib.request.urlopen(uc + "/healthz", context=ctx, timeout=10).read() == b"ok\n"
print("room", ok, "%.2f" % (time.time() - t0))
EOF2
t_check "a reused keep-alive connection: a request after 0.5 s idle, sent in two parts, is answered" grep -q '^reuse 0.5 200 200$' "$W/reuse.out"
t_check "a reused keep-alive connection: a request after 2.8 s idle (of a 3 s timeout) is answered too" grep -q '^reuse 2.8 200 200$' "$W/reuse.out"
t_check "idle keep-alive connections holding every slot make room for a new client at once" awk '$1 == "room" && $2 == "True" && $3 < 1 { ok = 1 } END { exit !ok }' "$W/reuse.out"

# --- 5. certificate rotation under load -------------------------------------------------------------

cat "$W/ca1.crt" "$W/ca2.crt" >"$W/ca12.crt"
"$PY" "$CLIENT" --url "$UA" --ca "$W/ca1.crt" --ca "$W/ca2.crt" load --fixture "$D/pod.yaml" --seconds 6 --threads 4 \
	--reconnect-every 4 --mark "$W/rotated.at" >"$W/rotation.json" 2>&1 &
LOAD=$!
sleep 2.5
rm -rf "$W/src" && mkdir "$W/src" && cp "$W/leaf2.crt" "$W/src/tls.crt" && cp "$W/leaf2.key" "$W/src/tls.key"
date +%s.%N >"$W/rotated.at"
publish "$W/tls" "$W/src"
wait "$LOAD"
t_json "rotation under load: zero failed requests" '.failed == 0' "$W/rotation.json"
t_json "rotation under load: a real load (at least 100 admissions)" '.ok >= 100' "$W/rotation.json"
t_json "rotation under load: connections before the rotation got the old certificate" \
	".mark as \$m | [.conns[] | select(.t < \$m) | .fp] | length > 0 and all(. == \"$FP1\")" "$W/rotation.json"
t_json "rotation under load: every connection from 0.8 s after the rotation got the new certificate" \
	".mark as \$m | [.conns[] | select(.t > \$m + 0.8) | .fp] | length > 0 and all(. == \"$FP2\")" "$W/rotation.json"
t_json "rotation under load: requests kept succeeding after the rotation" '.ok_after_mark > 20 and (.connect_errors | length) == 0' "$W/rotation.json"
t_check "openssl s_client: the served certificate is the new one" bash -c \
	"openssl s_client -connect 127.0.0.1:$PA -servername localhost </dev/null 2>/dev/null | openssl x509 -outform DER | sha256sum | grep -q '^$FP2 '"
CA=$W/ca2.crt
py --url "$UA" get /healthz >"$W/py-rot.json"
t_json "python trusting only the new CA: served the new certificate" ".status == 200 and .fp == \"$FP2\"" "$W/py-rot.json"
t_check "a client trusting only the old CA is now refused" bash -c "! curl -sS --cacert '$W/ca1.crt' --max-time 5 '$UA/healthz' 2>/dev/null"
t_check "metrics: cert_reloads_total is 1" test "$(metric attestgate_webhook_cert_reloads_total)" = 1
t_check "metrics: cert_reload_failures_total is 0" test "$(metric attestgate_webhook_cert_reload_failures_total)" = 0
# Half a rotation: the new certificate with the old key.  It must not load; the previous one keeps serving.
rm -rf "$W/src" && mkdir "$W/src" && cp "$W/leaf3.crt" "$W/src/tls.crt" && cp "$W/leaf2.key" "$W/src/tls.key"
publish "$W/tls" "$W/src"
failures() { [ "$(metric attestgate_webhook_cert_reload_failures_total)" -gt 0 ]; }
t_check "half rotation (new cert, old key): cert_reload_failures_total > 0" until_ok 5 failures
CA=$W/ca2.crt
"$PY" "$CLIENT" --url "$UA" --ca "$W/ca2.crt" --ca "$W/ca3.crt" get /healthz >"$W/py-half.json"
t_json "half rotation: new connections still get the previous certificate" ".status == 200 and .fp == \"$FP2\"" "$W/py-half.json"
t_check "half rotation: cert_reloads_total still 1" test "$(metric attestgate_webhook_cert_reloads_total)" = 1
py --url "$UA" review "$D/pod.yaml" --name basic >"$W/rv-half.json"
t_json "half rotation: admissions still answered" '.status == 200 and .review.response.allowed == true and .patch != null' "$W/rv-half.json"
cp "$W/leaf3.key" "$W/src/tls.key" && publish "$W/tls" "$W/src"
CA=$W/ca3.crt
served3() { "$PY" "$CLIENT" --url "$UA" --ca "$W/ca3.crt" get /healthz 2>/dev/null | grep -q "\"fp\": \"$FP3\""; }
t_check "the matching key arrives: the new certificate is served" until_ok 5 served3
t_check "metrics: cert_reloads_total is 2" test "$(metric attestgate_webhook_cert_reloads_total)" = 2

# --- 6. policies reloaded from the ConfigMap volume ----------------------------------------------------

reloads0=$(metric attestgate_webhook_policy_reloads_total)
printf '\n# changed by webhook.sh\n' >>"$W/psrc/azure-cvm.yaml"
publish "$W/pol" "$W/psrc"
newsum=$(sha256sum "$W/psrc/azure-cvm.yaml" | cut -d' ' -f1)
pinned() { py --url "$UA" review "$D/pod.yaml" --name basic >"$W/rv-pol.json" && jq -e --arg s "--policy-sha256=$newsum" '.patched.spec.initContainers[0].args | index($s)' "$W/rv-pol.json" >/dev/null; }
t_check "a changed policy file: the gate pins its new digest after the reload interval" until_ok 5 pinned
t_check "the digest changed" test "$newsum" != "$sum"
t_check "metrics: policy_reloads_total moved" test "$(metric attestgate_webhook_policy_reloads_total)" -gt "$reloads0"
sed 's/name: azure-cvm-local/name: extra-cvm/' "$W/psrc/azure-cvm-local.yaml" >"$W/psrc/extra-cvm.yaml"
publish "$W/pol" "$W/psrc"
sed 's/attestgate.io\/policy: azure-cvm-local/attestgate.io\/policy: extra-cvm/' "$D/pod.yaml" >"$W/pod-extra.yaml"
extra() { py --url "$UA" review "$W/pod-extra.yaml" --name policy-annotation >"$W/rv-extra.json" && jq -e '.review.response.allowed == true and .patch != null' "$W/rv-extra.json" >/dev/null; }
t_check "a policy added to the ConfigMap becomes usable" until_ok 5 extra
xsum=$(sha256sum "$W/psrc/extra-cvm.yaml" | cut -d' ' -f1)
t_json "the added policy is pinned by its own digest" \
	"(.patched.spec.initContainers[0].args | index(\"--policy-sha256=$xsum\")) != null and (.patched.spec.initContainers[0].args | index(\"--policy-name=extra-cvm\")) != null" "$W/rv-extra.json"
t_check "metrics: 4 policies" test "$(metric attestgate_webhook_policies)" = 4
rm "$W/psrc/azure-cvm-local.yaml"
publish "$W/pol" "$W/psrc"
t_check "the removed policy's name is gone from the volume" test ! -e "$W/pol/azure-cvm-local.yaml" -a ! -L "$W/pol/azure-cvm-local.yaml"
removed() { py --url "$UA" review "$D/pod.yaml" --name policy-annotation >"$W/rv-removed.json" && jq -e '.review.response.allowed == false' "$W/rv-removed.json" >/dev/null; }
t_check "a policy removed from the ConfigMap: pods asking for it are denied" until_ok 5 removed
t_json "the denial names the remaining policies" '.review.response.status.message | contains("azure-cvm-local") and contains("the installed policies are: azure-cvm, azure-kata-cc, extra-cvm")' "$W/rv-removed.json"
t_check "metrics: 3 policies" test "$(metric attestgate_webhook_policies)" = 3
t_check "/readyz still 200 after the reloads" test "$(hc "$UA/readyz")" = 200

# --- 7. graceful shutdown (server A, --shutdown-delay 1s) --------------------------------------------

py --url "$UA" load --fixture "$D/pod.yaml" --seconds 3.5 --threads 3 --reconnect-every 3 --mark "$W/term.at" >"$W/shutdown.json" 2>&1 &
LOAD=$!
# A request in flight across the end of the delay: half sent now, the rest 2 s later (the listener closed by then,
# 1 s after SIGTERM, which comes at most 0.5 s after this half; 2 s of silence is within --request-timeout 3s).
py --url "$UA" partial --fixture "$D/pod.yaml" --uid uid-inflight --rest-after 2 --probe-listener --ready "$W/inflight.ready" >"$W/inflight.json" 2>&1 &
INFL=$!
sleep 0.5
until_ok 5 test -e "$W/inflight.ready"
date +%s.%N >"$W/term.at"
kill -TERM "$APID"
t0=$(date +%s%N)
sleep 0.3
t_check "after SIGTERM, during --shutdown-delay: /readyz is 503" test "$(hc "$UA/readyz")" = 503
t_check "during --shutdown-delay: /healthz is still 200" test "$(hc "$UA/healthz")" = 200
post term "$W/basic.json"
t_check "during --shutdown-delay: /mutate still answers 200 on a new connection" code_is term 200
t_json "during --shutdown-delay: with the patch" '.response.allowed == true and .response.patchType == "JSONPatch"' "$W/term.json"
stopped "$APID" 8
rc=$?
t1=$(date +%s%N)
t_check "SIGTERM: the server exits 0" test "$rc" = 0
ms=$(((t1 - t0) / 1000000))
t_check "SIGTERM: it served through the delay, then left within a few seconds (${ms} ms)" test "$ms" -ge 900 -a "$ms" -le 4500
wait "$INFL"
t_json "the request in flight when the listener closed is answered" '.listener_open == false and .status == 200 and .review.response.uid == "uid-inflight" and .review.response.allowed == true' "$W/inflight.json"
wait "$LOAD"
t_json "shutdown under load: no request failed" '.failed == 0' "$W/shutdown.json"
t_json "shutdown under load: requests were answered after SIGTERM" '.ok_after_mark > 5' "$W/shutdown.json"
t_json "shutdown under load: no connection was refused in the delay's first 0.8 s" '.mark as $m | [.connect_errors[] | .t] | all(. >= $m + 0.8)' "$W/shutdown.json"
t_grep "the log says it drained" '"msg":"webhook stopped"' "$W/A.log"
t_check "the log has no sanitizer report" bash -c "! grep -q 'Sanitizer' '$W/A.log'"

for s in B:$BPID C:$CPID D:$DPID; do
	kill -TERM "${s#*:}"
	stopped "${s#*:}" 5
	rc=$?
	t_check "server ${s%%:*}: exits 0 after SIGTERM" test "$rc" = 0
	t_check "server ${s%%:*}: no sanitizer report" bash -c "! grep -q 'Sanitizer' '$W/${s%%:*}.log'"
done
t_done
