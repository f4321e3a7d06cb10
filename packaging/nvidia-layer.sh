#!/bin/sh
# nvidia-layer.sh DIR HELPER - the files the GPU image adds to the gate
# image, under DIR as they go into /: the NVML helper (HELPER, built by
# build-static.sh against the pinned libraries, glibc dynamic) at
# /usr/lib/attestgate/attestgate-nvml, and the glibc of the build machine
# (Debian 12) it and NVIDIA's libnvidia-ml.so.1 run on: the loader, libc
# and the libraries NVML names (libm, and libdl, libpthread, librt, which
# glibc 2.34+ keeps as stubs).  Checks that the helper starts in that tree
# and says what to mount when NVML is absent (exit 3).
set -eu
DIR=$1 HELPER=$2
LIBDIR=/lib/x86_64-linux-gnu
rm -rf "$DIR"
mkdir -p "$DIR/usr/lib/attestgate" "$DIR/lib64" "$DIR$LIBDIR"
install -m 0755 "$HELPER" "$DIR/usr/lib/attestgate/attestgate-nvml"
cp -L /lib64/ld-linux-x86-64.so.2 "$DIR/lib64/"
for l in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1; do
	cp -L "$LIBDIR/$l" "$DIR$LIBDIR/"
done
# The helper runs with only these (no NVML here): it must start and refuse with exit 3.
rc=0
"$DIR/lib64/ld-linux-x86-64.so.2" --library-path "$DIR$LIBDIR" "$DIR/usr/lib/attestgate/attestgate-nvml" \
	--nonce 0000000000000000000000000000000000000000000000000000000000000000 --lib /nonexistent/libnvidia-ml.so.1 \
	>/dev/null 2>"$DIR.err" || rc=$?
[ "$rc" = 3 ] || { echo "nvidia-layer: the helper did not run as expected (exit $rc): $(cat "$DIR.err")" >&2; exit 1; }
rm -f "$DIR.err"
