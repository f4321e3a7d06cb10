#!/bin/sh
# build-image.sh TAG - builds the attestgate image (Dockerfile) with podman,
# or docker where podman is absent, and prints its size.
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
BUILDER=localhost/attestgate-builder:bookworm
if command -v podman >/dev/null; then
	export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/packaging/containers.conf}
	packaging/builder-image.sh "$BUILDER"
	CACHE=$(packaging/cache-dir.sh)
	set -- --build-arg BUILDER="$BUILDER" -v "$CACHE:/var/cache/attestgate"
	[ -d ../shared/data ] && set -- "$@" -v "$(cd ../shared/data && pwd):/roots-src:ro"
	podman build --pull=never --layers=false -f Dockerfile -t "$TAG" "$@" . >build/image.log 2>&1 ||
		{ echo "make image: podman build failed; the end of build/image.log:" >&2; tail -n 30 build/image.log >&2; exit 1; }
	size=$(podman image inspect --format '{{.Size}}' "$TAG")
elif command -v docker >/dev/null; then
	docker build -t "$TAG" . >build/image.log 2>&1 ||
		{ echo "make image: docker build failed; the end of build/image.log:" >&2; tail -n 30 build/image.log >&2; exit 1; }
	size=$(docker image inspect --format '{{.Size}}' "$TAG")
else
	echo "make image: neither podman nor docker is installed (make deps installs podman)" >&2
	exit 2
fi
echo "image: $TAG ($size bytes)"
