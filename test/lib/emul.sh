# emul.sh - the emulated TEE guest interfaces for shell suites: a test PKI,
# configfs-tsm over FUSE (tee_emul.py tsmfs) and /dev/sev-guest through the
# LD_PRELOAD shim.  Source after tap.sh; call emul_cleanup on exit.
EMUL_PY=$REPO/test/emul/tee_emul.py
EMUL_SHIM=${AG_EMUL_SHIM:-$REPO/build/emul/sev_guest_shim.so}
EMUL_MOUNTS=""

# emul_fuse_ok: FUSE and python3-fusepy are usable here.
emul_fuse_ok() { [ -c /dev/fuse ] && "$PY" -c 'import fusepy' 2>/dev/null; }

# emul_pki DIR: the test AMD and Intel chains (test-roots/ holds their roots).
emul_pki() { mkdir -p "$1" && "$PY" "$EMUL_PY" pki "$1"; }

# emul_tsmfs PKI MOUNT PROVIDER [ARGS]: mounts an emulated configfs-tsm report directory; fails if it does not come up.
emul_tsmfs() {
	local pki=$1 mnt=$2 prov=$3 i; shift 3
	mkdir -p "$mnt"
	"$PY" "$EMUL_PY" tsmfs "$pki" "$mnt" "$prov" "$@" >"$mnt.log" 2>&1 &
	EMUL_MOUNTS="$EMUL_MOUNTS $mnt"
	for i in $(seq 1 100); do mountpoint -q "$mnt" && return 0; sleep 0.05; done
	echo "# tsmfs did not mount: $(head -c 400 "$mnt.log")"
	return 1
}

# emul_unmount MOUNT: unmounts (the FUSE process exits with it).
emul_unmount() { umount "$1" 2>/dev/null || umount -l "$1" 2>/dev/null; EMUL_MOUNTS=${EMUL_MOUNTS/ $1/}; }

emul_cleanup() { local m; for m in $EMUL_MOUNTS; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done; EMUL_MOUNTS=""; }

# emul_preload_ok BIN: the LD_PRELOAD shim can reach BIN (a dynamic executable, not the static build).
emul_preload_ok() { ! file -L "$1" | grep -q 'statically linked'; }

# emul_sev_guest PKI DEVICE CMD...: runs CMD with DEVICE (a plain file) answering the sev-guest ioctls.
emul_sev_guest() {
	local pki=$1 dev=$2; shift 2
	touch "$dev"
	env LD_PRELOAD="$EMUL_SHIM" AG_EMUL_SEV_GUEST="$dev" AG_EMUL_PY="$PY" AG_EMUL_SCRIPT="$EMUL_PY" AG_EMUL_DIR="$pki" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:verify_asan_link_order=0" "$@"
}
