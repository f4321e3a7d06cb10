# attestgate image: a fully static binary FROM scratch.
#
#   docker build -t attestgate .
#
# Builder: `make static FETCH=1` downloads the pinned, checksummed sources
# (packaging/static-sources.txt) and links OpenSSL, libcurl, jansson,
# libyaml and tpm2-tss statically; packaging/fetch-roots.sh fetches the AMD
# and Intel roots and keeps only those whose SHA-256 attestgate pins.
# Final image: the binary, a CA bundle (for the verifier's TLS), the
# built-in policies and the roots; nothing else, running as 65532:65532.
# Expected size: about 6 MB (see README).
FROM debian:12 AS builder
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential pkg-config perl curl ca-certificates xz-utils file openssl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make static FETCH=1 \
    && ./build/attestgate-static version \
    && packaging/fetch-roots.sh /out/roots \
    && mkdir -p /out/policies && cp deploy/policies/*.yaml /out/policies/

FROM scratch
COPY --from=builder /src/build/attestgate-static /attestgate
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=builder /out/policies/ /etc/attestgate/policies/
COPY --from=builder /out/roots/ /etc/attestgate/roots/
USER 65532:65532
ENTRYPOINT ["/attestgate"]
CMD ["run"]
