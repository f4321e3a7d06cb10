#!/bin/sh
# builder-image.sh NAME - makes the image build's builder stage locally when
# no image can be pulled: a Debian 12 root with the toolchain of
# packaging/static-deps.sh, made by debootstrap from $AG_DEBIAN_MIRROR
# (default http://deb.debian.org) and imported into podman as NAME.  Nothing
# is done when NAME exists.  The root is built under the cache directory and
# removed once imported.
set -eu
cd "$(dirname "$0")/.."
NAME=$1
MIRROR=${AG_DEBIAN_MIRROR:-http://deb.debian.org}
if podman image exists "$NAME"; then exit 0; fi
command -v debootstrap >/dev/null || { echo "builder-image: debootstrap is missing (make deps)" >&2; exit 2; }
CACHE=$(packaging/cache-dir.sh)
root=$CACHE/builder-root.$$
trap 'rm -rf "$root"' EXIT
echo "builder-image: debootstrap of bookworm with the toolchain into $root (once per machine)" >&2
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$KEYRING" ] || { echo "builder-image: $KEYRING is missing (package debian-archive-keyring)" >&2; exit 2; }
if ! debootstrap --variant=minbase --keyring="$KEYRING" --force-check-gpg \
	--include=build-essential,pkg-config,autoconf,automake,libtool,autoconf-archive,libltdl-dev,dpkg-dev,file,ca-certificates,patch,xz-utils,openssl,curl \
	bookworm "$root" "$MIRROR/debian" >"$CACHE/builder-debootstrap.log" 2>&1; then
	echo "builder-image: debootstrap failed; the end of $CACHE/builder-debootstrap.log:" >&2
	tail -n 20 "$CACHE/builder-debootstrap.log" >&2
	exit 1
fi
rm -rf "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/*
tar -C "$root" -c . | podman import --message "attestgate builder: Debian 12 + toolchain (debootstrap)" - "$NAME" >/dev/null
echo "builder-image: $NAME" >&2
