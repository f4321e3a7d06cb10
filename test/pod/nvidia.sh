#!/usr/bin/env bash
# nvidia.sh - the image for GPU nodes (TAG-nvidia, `make image`) run by
# podman: the NVML helper starts on the glibc the image carries, says what
# to mount without NVIDIA's library, and with a libnvidia-ml.so.1 mounted
# where the NVIDIA container toolkit mounts the node's (here the emulated
# one, test/emul/nvml_emul.c, and the libcrypto it needs) collects evidence
# that the gate in the same image verifies, as the non-root, read-only,
# capability-less user the chart runs it as.
set -u
. "$(dirname "$0")/../lib/tap.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${AG_SHARED:-$REPO/../shared}
IMAGE=${AG_IMAGE:-localhost/attestgate:dev}-nvidia
export CONTAINERS_CONF=$REPO/packaging/containers.conf
W=$(mktemp -d /tmp/agnv.XXXXXX)
trap 'rm -rf "$W"' EXIT
SRC=$SHARED/vectors/nvidia/nvtrust-2023-hopper-545
LIBDIR=/usr/lib/x86_64-linux-gnu
NONCE=$(openssl rand -hex 32)

if ! command -v podman >/dev/null; then t_skip "GPU image" "podman is not installed (make deps)"; t_done; exit $?; fi
podman image exists "$IMAGE" || { t_not_ok "the image $IMAGE exists (make image)"; t_done; exit 1; }
[ -f "$SRC/attestationReport.bin" ] || { t_skip "GPU image" "../shared/vectors/nvidia is not present"; t_done; exit $?; }
[ -f "$REPO/build/emul/libnvidia-ml.so.1" ] || { t_not_ok "the emulated NVML is built (make test builds it)"; t_done; exit 1; }
command -v xmlsec1 >/dev/null || { t_skip "GPU image" "xmlsec1 (the test RIMs' signer) is not installed (make deps)"; t_done; exit $?; }

t_check "GPU image: runs as 65532:65532" test "$(podman image inspect --format '{{.Config.User}}' "$IMAGE")" = 65532:65532
RUN=(podman run --rm --read-only --cap-drop=ALL --network=none)
t_exit 3 "GPU image: without NVIDIA's library the helper refuses (exit 3)" \
	"${RUN[@]}" --entrypoint /usr/lib/attestgate/attestgate-nvml "$IMAGE" --nonce "$NONCE"
t_grep "GPU image: and says what to mount" "libnvidia-ml.so.1" "$T_ERR"

# The emulated GPU and its test PKI, the test RIMs; readable by the image's user.
"$REPO/test/emul/nvml_test_ca.sh" "$W/gpu" "$SRC/attestationReport.bin" >/dev/null
"$REPO/test/emul/nvidia_test_rims.sh" "$W/rim" "$SRC"
mkdir -p "$W/roots" "$W/out"
cp "$W/gpu/root.pem" "$W/roots/device.pem"; cp "$W/rim/rim-ca/root.pem" "$W/roots/rim.pem"
chmod -R a+rX "$W"; chmod a+rwx "$W/out"
MOUNTS=(-v "$REPO/build/emul/libnvidia-ml.so.1:$LIBDIR/libnvidia-ml.so.1:ro"
	-v "$(readlink -f /usr/lib/x86_64-linux-gnu/libcrypto.so.3):$LIBDIR/libcrypto.so.3:ro" -v "$W:/w")
t_exit 0 "GPU image: the helper loads libnvidia-ml.so.1 from the toolkit's directory and collects" \
	"${RUN[@]}" "${MOUNTS[@]}" -e AG_NVML_EMUL_DIR=/w/gpu --entrypoint /usr/lib/attestgate/attestgate-nvml "$IMAGE" --nonce "$NONCE"
cp "$T_OUT" "$W/out/evidence.json"; chmod a+r "$W/out/evidence.json"
t_jq "GPU image: one GPU, for the nonce asked" ".[0].nonce == \"$NONCE\" and .[0].arch == \"HOPPER\" and .[0].driver_version == \"545.00\"" "$W/out/evidence.json"
t_exit 0 "GPU image: the gate verifies that evidence (chain, signature, nonce, RIMs)" \
	"${RUN[@]}" -v "$W:/w" "$IMAGE" verify-evidence --platform nvidia-gpu --gpu-evidence /w/out/evidence.json \
	--nonce "$NONCE" --insecure-test-roots /w/roots --gpu-rim-dir /w/rim/rims
cp "$T_OUT" "$W/out/claims.json"
t_jq "GPU image: measurements match the RIMs" '.[0].measres == "success" and .[0]["x-attestgate-gpu-checks"].signature == "verified"' "$W/out/claims.json"
t_exit 6 "GPU image: the same evidence for another nonce is refused (exit 6)" \
	"${RUN[@]}" -v "$W:/w" "$IMAGE" verify-evidence --platform nvidia-gpu --gpu-evidence /w/out/evidence.json \
	--nonce "$(openssl rand -hex 32)" --insecure-test-roots /w/roots
t_done
