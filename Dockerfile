# attestgate image.
#
# Today: a builder stage that runs the project's own build and tests, and a
# slim runtime stage with the dynamic binary.  The production image (a
# fully static binary FROM scratch, USER 65532:65532, CA bundle and the
# built-in policies) replaces the runtime stage with issue #9 (`make static`).
FROM debian:12 AS builder
WORKDIR /src
COPY . .
RUN apt-get update && make deps && make

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        libssl3 libcurl4 libjansson4 libyaml-0-2 libtss2-esys-3.0.2-0 libtss2-mu0 libtss2-rc0 \
        libtss2-tcti-device0 libtss2-tcti-swtpm0 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=builder /src/build/attestgate /usr/bin/attestgate
USER 65532:65532
ENTRYPOINT ["/usr/bin/attestgate"]
CMD ["run"]
