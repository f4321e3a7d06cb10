# attestgate image: the fully static binary FROM scratch, running as 65532:65532.
#
#   make image        (podman, or docker where podman is absent; see packaging/build-image.sh)
#
# Builder: packaging/build-static.sh builds OpenSSL, libcurl, jansson, libyaml,
# tpm2-tss, libevent, libxml2 and xmlsec1 from the Debian source packages pinned by SHA-256 in
# packaging/static-sources.txt, then attestgate against them.  BUILDER is a
# Debian 12 image with the toolchain (make image makes one with debootstrap
# when no image can be pulled); the build cache (/var/cache/attestgate) and
# the vendors' roots (/roots-src) may be mounted into the build, otherwise
# the sources and roots are fetched over the network.  Roots are kept only
# when their SHA-256 is one attestgate pins (packaging/fetch-roots.sh).
ARG BUILDER=docker.io/library/debian:12
FROM ${BUILDER} AS builder
RUN command -v autoreconf >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
        --no-install-recommends build-essential pkg-config autoconf automake libtool autoconf-archive libltdl-dev \
        dpkg-dev file ca-certificates patch xz-utils curl openssl debian-archive-keyring)
WORKDIR /src
COPY . .
RUN packaging/build-static.sh /out/attestgate \
    && /out/attestgate version \
    && packaging/nvidia-layer.sh /out/nvidia /out/attestgate-nvml \
    && packaging/fetch-roots.sh /out/roots /roots-src \
    && mkdir -p /out/policies && cp deploy/policies/*.yaml /out/policies/

FROM scratch AS gate
COPY --from=builder /out/attestgate /attestgate
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=builder /out/policies/ /etc/attestgate/policies/
COPY --from=builder /out/roots/ /etc/attestgate/roots/
USER 65532:65532
ENTRYPOINT ["/attestgate"]
CMD ["run"]

# The image for GPU nodes (spec.gpus; --target nvidia, tagged TAG-nvidia): the same, plus the NVML helper
# at /usr/lib/attestgate/attestgate-nvml with the Debian glibc it runs on (packaging/nvidia-layer.sh).
# NVIDIA's libnvidia-ml.so.1 is not in it: the NVIDIA container toolkit mounts the node's.
FROM gate AS nvidia
COPY --from=builder /out/nvidia/ /

# The default target: the image without the helper.
FROM gate
