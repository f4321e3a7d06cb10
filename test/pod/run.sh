#!/usr/bin/env bash
# run.sh - the image, run by a real container engine from the real pod specs
# (`make pod-test`, part of `make test`): podman kube play runs the pod of
# the chart's example, of `attestgate inject` on a sample app and of each
# deploy/example, adapted by test/pod/overlay.py only where a test must
# differ from a node (test/pod/README.md).  The vTPM is the swtpm rig, the
# verifier the MAA stand-in on loopback, reached by a name from /etc/hosts.
set -u
. "$(dirname "$0")/../lib/tap.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PY:-python3}
. "$REPO/test/lib/services.sh"
. "$REPO/test/lib/rig.sh"
SHARED=${AG_SHARED:-$REPO/../shared}
IMAGE=${AG_IMAGE:-localhost/attestgate:dev}
GATE_IMAGE=ghcr.io/attestgate/attestgate:0.1.0      # what the manifests name; tagged locally, never pulled
APP_IMAGE=docker.io/library/busybox:1.36
HOST=maa.attestgate.test
# The pod network: slirp4netns, where the host's loopback (and only it) is 10.0.2.2.
NET=slirp4netns:allow_host_loopback=true
HOST_IP=10.0.2.2
export CONTAINERS_CONF=$REPO/packaging/containers.conf
W=$(mktemp -d /tmp/agpod.XXXXXX)
PODS=""
RUN=$(basename "$W" | cut -d. -f2 | tr 'A-Z' 'a-z')   # pod names unique to this run
cleanup() {
	local p
	for p in $PODS; do podman pod rm -f -t 0 "$p" >/dev/null 2>&1; done
	svc_cleanup; rig_cleanup
	if [ -n "${AG_POD_KEEP:-}" ]; then echo "# kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

if ! command -v podman >/dev/null; then t_skip "pod tests" "podman is not installed (make deps)"; t_done; exit $?; fi
rig_ready "pod tests" || { t_done; exit $?; }
podman image exists "$IMAGE" || { t_not_ok "the image $IMAGE exists (make image)"; t_done; exit 1; }

# The image as built: scratch, the static binary, 65532:65532, at most 8 MB.
t_check "image: runs as 65532:65532" test "$(podman image inspect --format '{{.Config.User}}' "$IMAGE")" = 65532:65532
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
t_check "image: $size bytes, at most 8 MB" test "$size" -le 8000000
t_exit 0 "image: the binary runs with a read-only root and no capabilities" \
	podman run --rm --read-only --cap-drop=ALL --network=none "$IMAGE" version
t_grep "image: it is the static build (OpenSSL from the pinned sources)" "openssl +OpenSSL 3\.0\.20" "$T_OUT"
podman tag "$IMAGE" "$GATE_IMAGE"

# The app image: Debian's static busybox FROM scratch, named as the manifests name it.
mkdir -p "$W/app"
cp "$(command -v busybox)" "$W/app/busybox" 2>/dev/null || cp /bin/busybox "$W/app/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n' >"$W/app/Containerfile"
podman build --pull=never -q -t "$APP_IMAGE" "$W/app" >"$W/app.log" 2>&1 || { t_not_ok "the app image builds" "$(cat "$W/app.log")"; t_done; exit 1; }

"$RIG" provision "$W/tpl" >/dev/null 2>"$W/prov.err" || { t_not_ok "the rig provisions" "$(cat "$W/prov.err")"; t_done; exit 1; }
svc_pki "$W/pki" "$HOST" >/dev/null
mkdir -p "$W/test"
cp "$W/pki/ca.pem" "$W/test/ca.pem"
cp -r "$W/tpl/test-roots" "$W/test/roots"
chmod -R a+rX "$W/test" "$W"

# The manifests, as a cluster would get them.
mkdir -p "$W/in"
cp "$REPO/deploy/examples/cvm-deployment-privileged.yaml" "$REPO/deploy/examples/cvm-deployment-device-plugin.yaml" \
	"$REPO/deploy/examples/discover-claims-job.yaml" "$W/in/"
HT=$SHARED/tools/helm-template/helm-template
if [ -x "$HT" ]; then
	printf 'example:\n  enabled: true\n' >"$W/values.yaml"
	"$HT" rel "$REPO/charts/attestgate" -f "$W/values.yaml" >"$W/in/chart-example.yaml" 2>"$W/ht.err" ||
		t_not_ok "the chart renders" "$(cat "$W/ht.err")"
else
	t_skip "the chart's example pod" "../shared/tools/helm-template is not here"
fi
"$AG_BIN" inject --policy-dir "$REPO/deploy/policies" --policy-name azure-cvm <"$REPO/test/pod/sample-app.yaml" \
	>"$W/in/inject-sample.yaml" 2>"$W/inject.err" || t_not_ok "inject renders the sample app" "$(cat "$W/inject.err")"
# kata-cc needs a kata runtime (a utility VM): not here.
t_skip "deploy/examples/kata-cc-pod.yaml" "kata-cc pods need the kata runtime, which podman here does not have"

# case NAME MANIFEST [RULE] [-- SERVICE ARGS]: swtpm, stand-in, test policy, overlay, podman kube play.
n=0
case_run() {
	local name=$1 manifest=$2 rule=${3:-} sum
	n=$((n + 1))
	D=$W/c$n; mkdir -p "$D/out" "$D/svc"
	POD=ag-$RUN-$n-$name; PODS="$PODS $POD"
	TCTI=$("$RIG" start "$W/tpl" "$D/run") || return 1
	RIG_RUNS="$RIG_RUNS $D/run"
	chmod 0777 "$D/run"; chmod 0666 "$D/run"/tpm.sock* 2>/dev/null
	cp "$D/run/eventlog.bin" "$W/test/eventlog.bin"; chmod a+r "$W/test/eventlog.bin"
	svc_maa "$D/svc" "$W/pki" --rig "$W/tpl" --keys "$W/keys" --host "$HOST" || return 1
	[ -n "${NO_TPM:-}" ] && { "$RIG" stop "$D/run"; rm -f "$D/run"/tpm.sock*; }
	THIM=http://$HOST:${THIM_URL##*:}
	port=${MAA_URL##*:}
	[ -n "${STOP_VERIFIER:-}" ] && port=1    # the verifier down: nothing listens there (THIM stays up)
	sed -e "s|url: https://sharedeus2.eus2.attest.azure.net|url: https://$HOST:$port|" \
		"$REPO/deploy/policies/azure-cvm.yaml" >"$D/policy.yaml"
	[ -n "$rule" ] && printf '%s\n' "$rule" >>"$D/policy.yaml"
	sum=$(sha256sum "$D/policy.yaml" | cut -d' ' -f1)
	# The kubelet's fsGroup on the emptyDir: root:fsGroup, setgid, world-writable.
	chgrp 65532 "$D/out"; chmod 2777 "$D/out"
	: >"$D/termination-log"; chmod 0666 "$D/termination-log"
	jq -n --rawfile text "$D/policy.yaml" --arg sum "$sum" --arg out "$D/out" --arg swtpm "$D/run" \
		--arg test "$W/test" --arg term "$D/termination-log" --arg thim "$THIM" --arg host "$HOST" --arg ip "$HOST_IP" \
		--arg app "$APP_IMAGE" --arg pod "$POD" \
		'{policy_name: "azure-cvm", policy_text: $text, policy_sha256: $sum, output_dir: $out, swtpm_dir: $swtpm,
		  test_dir: $test, termination_log: $term, thim_url: $thim, verifier_host: $host, host_ip: $ip, app_image: $app,
		  pod_name: $pod}' >"$D/params.json"
	"$PY" "$REPO/test/pod/overlay.py" "$manifest" "$D/params.json" >"$D/pod.yaml" 2>"$D/overlay.err" ||
		{ t_not_ok "$name: the overlay applies" "$(cat "$D/overlay.err")"; return 1; }
	podman kube play --network "$NET" "$D/pod.yaml" >"$D/play.out" 2>"$D/play.err"; PLAY=$?
	# The app may still be starting: wait for it to have run (or for the pod to settle).
	for _ in $(seq 1 100); do
		st=$(podman inspect --format '{{.State.Status}}' "$POD-${WAIT_FOR:-app}" 2>/dev/null)
		[ "$st" = exited ] || { [ "$st" = running ] && podman logs "$POD-${WAIT_FOR:-app}" 2>/dev/null | grep -q .; } && break
		[ "$PLAY" != 0 ] && break
		sleep 0.1
	done
	return 0
}
state() { podman inspect --format '{{.State.Status}}' "$1" 2>/dev/null; }
# logs_until CONTAINER REGEX FILE: the container's log into FILE, read again (up to 5 s) until a line matches
# (podman logs can come back empty while podman is busy removing an init container).
logs_until() {
	for _ in $(seq 1 50); do
		podman logs "$1" >"$3" 2>&1
		grep -qE "$2" "$3" && return 0
		sleep 0.1
	done
}
gate_exit() { podman inspect --format '{{.State.ExitCode}}' "$POD-attestgate" 2>/dev/null; }

allowed() {
	local name=$1 manifest=$2
	case_run "$name" "$manifest" || { t_not_ok "$name: the case starts"; return; }
	# The probe runs beside the app: its verdict is complete once it has exited.
	for _ in $(seq 1 100); do [ "$(state "$POD-probe")" = exited ] && break; sleep 0.1; done
	logs_until "$POD-probe" '^token-(readonly|writable)$' "$D/probe.log"
	t_check "$name: podman kube play succeeds (the gate exited 0): $(head -c 300 "$D/play.err")" test "$PLAY" = 0
	# Each app checks /run/attestgate/ready and then sleeps: running means it started and found the gate's outputs.
	t_check "$name: the app started and found ready (state $(state "$POD-app"))" test "$(state "$POD-app")" = running
	if grep -q 'echo attested' "$manifest"; then
		logs_until "$POD-app" '^attested: eyJ' "$D/app.log"
		t_grep "$name: the app read the token" "^attested: eyJ" "$D/app.log"
	fi
	t_grep "$name: another non-root user (fsGroup) reads the token" "^token-read$" "$D/probe.log"
	t_grep "$name: ...and cannot change the gate's files" "^token-readonly$" "$D/probe.log"
	t_check "$name: the token is 0440" test "$(stat -c %a "$D/out/token" 2>/dev/null)" = 440
	t_jq "$name: status.json says Verified" '.reason == "Verified" and .platform == "azure-cvm"' "$D/out/status.json"
	t_check "$name: the verifier was reached by its name from /etc/hosts" grep -q "POST /attest/AzureGuest" "$D/svc/requests.log"
	podman pod rm -f -t 0 "$POD" >/dev/null 2>&1
}

# blocked NAME MANIFEST WANT_EXIT WANT_TERM [RULE]: the gate fails, the app never starts.
blocked() {
	local name=$1 manifest=$2 want=$3 term=$4 rule=${5:-}
	case_run "$name" "$manifest" "$rule" || { t_not_ok "$name: the case starts"; return; }
	t_check "$name: podman kube play reports the failed init container" test "$PLAY" != 0
	t_check "$name: the gate exited $want (got $(gate_exit))" test "$(gate_exit)" = "$want"
	t_check "$name: the app container never started (state $(state "$POD-app"))" test "$(state "$POD-app")" = created
	t_check "$name: the app printed nothing" test -z "$(podman logs "$POD-app" 2>&1)"
	t_check "$name: no token, no ready" test ! -e "$D/out/token" -a ! -e "$D/out/ready"
	t_grep "$name: the termination message says why" "$term" "$D/termination-log"
}

for m in "$W"/in/chart-example.yaml "$W"/in/inject-sample.yaml "$W"/in/cvm-deployment-privileged.yaml \
	"$W"/in/cvm-deployment-device-plugin.yaml; do
	[ -f "$m" ] && allowed "$(basename "$m" .yaml)" "$m"
done

DENY='    - claim: /x-ms-azurevm-vmid
      equals: "not-this-vm"'
blocked denied "$W/in/cvm-deployment-device-plugin.yaml" 5 "policy .azure-cvm. denied" "$DENY"
# In the image as built, not privileged: uid 65532, read-only root, no capabilities.
t_check "denied: the gate ran as 65532" test "$(podman inspect --format '{{.Config.User}}' "$POD-attestgate")" = 65532:65532
t_check "denied: with a read-only root file system" test "$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$POD-attestgate")" = true
t_check "denied: with no capabilities" test "$(podman inspect --format '{{len .EffectiveCaps}}' "$POD-attestgate")" = 0
podman pod rm -f -t 0 "$POD" >/dev/null 2>&1
STOP_VERIFIER=1 blocked verifier-down "$W/in/chart-example.yaml" 4 "$HOST"
podman pod rm -f -t 0 "$POD" >/dev/null 2>&1
NO_TPM=1 blocked tpm-missing "$W/in/cvm-deployment-privileged.yaml" 3 "swtpm|TPM"
podman pod rm -f -t 0 "$POD" >/dev/null 2>&1

# Discovery: the gate is the Job's only container; it prints the verified claims and writes no token.
WAIT_FOR=attestgate case_run discovery "$W/in/discover-claims-job.yaml" || t_not_ok "discovery: the case starts"
t_check "discovery: podman kube play succeeds" test "$PLAY" = 0
t_check "discovery: the gate exited 0" test "$(gate_exit)" = 0
t_grep "discovery: the verified claims are in its log" '"x-ms-compliance-status": "azure-compliant-cvm"' <(podman logs "$POD-attestgate" 2>&1)
t_check "discovery: no token" test ! -e "$D/out/token"
t_done
