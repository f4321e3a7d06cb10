# attestgate image: the fully static binary FROM scratch, running as 65532:65532.
#
#   make image        (podman, or docker where podman is absent; see packaging/build-image.sh)
#
# Builder: packaging/build-static.sh builds OpenSSL, libcurl, jansson, libyaml
# and tpm2-tss from the Debian source packages pinned by SHA-256 in
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
    && packaging/fetch-roots.sh /out/roots /roots-src \
    && mkdir -p /out/policies && cp deploy/policies/*.yaml /out/policies/

FROM scratch
COPY --from=builder /out/attestgate /attestgate
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=builder /out/policies/ /etc/attestgate/policies/
COPY --from=builder /out/roots/ /etc/attestgate/roots/
USER 65532:65532
ENTRYPOINT ["/attestgate"]
CMD ["run"]
