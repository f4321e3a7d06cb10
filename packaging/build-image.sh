#!/bin/sh
# build-image.sh TAG - builds the attestgate image (Dockerfile) as TAG and the
# image for GPU nodes (with the NVML helper) as TAG-nvidia, with podman, or
# docker where podman is absent, and prints their sizes.
#
# podman: settings from packaging/containers.conf (CONTAINERS_CONF); the
# builder stage is a local Debian 12 image (builder-image.sh) because nothing
# can be pulled; the machine's static-library cache and the vendors' roots
# (../shared/data, when present) are mounted into the build so that the
# libraries are built once per machine and the roots need no network.
# docker: the builder is debian:12 from the registry, and the build fetches
# sources and roots itself.
set -eu
cd "$(dirname "$0")/.."
TAG=${1:-localhost/attestgate:dev}
mkdir -p build
: >build/image.log
BUILDER=localhost/attestgate-builder:bookworm
if command -v podman >/dev/null; then
	export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/packaging/containers.conf}
	packaging/builder-image.sh "$BUILDER"
	CACHE=$(packaging/cache-dir.sh)
	set -- --build-arg BUILDER="$BUILDER" -v "$CACHE:/var/cache/attestgate"
	[ -d ../shared/data ] && set -- "$@" -v "$(cd ../shared/data && pwd):/roots-src:ro"
	# Two targets: TAG-nvidia (the GPU image) first, then TAG from the same cached builder stage; the
	# intermediate layers are dropped afterwards.
	for target in nvidia:"$TAG-nvidia" gate:"$TAG"; do
		podman build --pull=never --layers=true -f Dockerfile --target "${target%%:*}" -t "${target#*:}" "$@" . \
			>>build/image.log 2>&1 ||
			{ echo "make image: podman build failed; the end of build/image.log:" >&2; tail -n 30 build/image.log >&2; exit 1; }
	done
	podman image prune -f >/dev/null 2>&1 || true
	size=$(podman image inspect --format '{{.Size}}' "$TAG")
	echo "image: $TAG-nvidia ($(podman image inspect --format '{{.Size}}' "$TAG-nvidia") bytes)"
elif command -v docker >/dev/null; then
	{ docker build --target nvidia -t "$TAG-nvidia" . && docker build --target gate -t "$TAG" .; } >build/image.log 2>&1 ||
		{ echo "make image: docker build failed; the end of build/image.log:" >&2; tail -n 30 build/image.log >&2; exit 1; }
	size=$(docker image inspect --format '{{.Size}}' "$TAG")
else
	echo "make image: neither podman nor docker is installed (make deps installs podman)" >&2
	exit 2
fi
echo "image: $TAG ($size bytes)"
