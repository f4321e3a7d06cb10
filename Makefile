# attestgate - build, test, fuzz, static, image and bench targets.
#
#   make deps      install every build and test dependency (Debian packages, idempotent)
#   make           build/attestgate (dynamic, from the Debian libraries)
#   make test      every suite: unit (plain and ASan+UBSan), integration, e2e, fuzz smoke
#   make check     the quick loop: build, unit and integration suites without sanitizers
#   make check-style  house rules: function length, public API comments, opening comments, layer order
#   make demo      the quick-start demo
#   make fuzz      build the libFuzzer targets;  make fuzz-smoke runs each for a few seconds,
#                  make fuzz-long for ten minutes each (not part of make test)
#   make static    build/attestgate-static: fully static, from pinned Debian source packages
#   make image     the scratch image (podman, else docker);  make pod-test  runs it with podman kube play
#   make bench     benchmarks

CC      ?= cc
CLANG   ?= clang
B       ?= build
PKGS    := openssl libcurl jansson yaml-0.1 xmlsec1-openssl libxml-2.0 libevent_openssl libevent_extra libevent_core tss2-esys tss2-mu tss2-rc tss2-tcti-device tss2-tcti-swtpm
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
           -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation
CFLAGS  ?= -O2 -g
HARDEN  := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(HARDEN) $(EXTRA_CFLAGS) -D_GNU_SOURCE -Ilib -Icmd/attestgate $(PKG_CFLAGS)
LDFLAGS ?=
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)

# The sanitizer build: same sources, separate tree.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRCS  := $(sort $(wildcard lib/*/*.c))
CMD_SRCS  := $(sort $(wildcard cmd/attestgate/*.c))
UNIT_SRCS := $(sort $(wildcard test/unit/test_*.c))
FUZZ_SRCS := $(sort $(wildcard test/fuzz/fuzz_*.c))

LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/obj/%.o)
CMD_OBJS  := $(CMD_SRCS:%.c=$(B)/obj/%.o)
CLI_OBJ   := $(B)/obj/cmd/attestgate/cli.o
UNIT_BINS := $(UNIT_SRCS:test/unit/%.c=$(B)/test/%)

DEB_PACKAGES := build-essential pkg-config libssl-dev libcurl4-openssl-dev libjansson-dev \
    libtss2-dev libyaml-dev libevent-dev libxml2-dev libxmlsec1-dev xmlsec1 libcmocka-dev swtpm swtpm-tools tpm2-tools clang libclang-rt-14-dev \
    python3 python3-cryptography python3-jsonpatch wrk python3-fusepy python3-cbor2 libfuse2 fuse3 openssl curl jq valgrind time \
    python3-kubernetes python3-yaml golang-go golang-github-masterminds-sprig-dev \
    golang-github-xeipuuv-gojsonschema-dev golang-k8s-sigs-yaml-dev \
    podman runc catatonit slirp4netns debootstrap busybox-static autoconf automake libtool autoconf-archive libltdl-dev dpkg-dev

.PHONY: all deps test check check-style unit-bins san-unit-bins fuzz fuzz-smoke fuzz-long demo static image pod-test bench clean
.DEFAULT_GOAL := all

all: $(B)/attestgate

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/libattestgate.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/attestgate: $(CMD_OBJS) $(B)/libattestgate.a
	$(CC) $(ALL_CFLAGS) -o $@ $(CMD_OBJS) $(B)/libattestgate.a $(ALL_LDFLAGS) $(PKG_LIBS)

$(B)/test/%: test/unit/%.c $(B)/libattestgate.a $(CLI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itest/unit -o $@ $< $(CLI_OBJ) $(B)/libattestgate.a $(ALL_LDFLAGS) $(PKG_LIBS) -lcmocka

unit-bins: $(UNIT_BINS) $(B)/attestgate

# ASan+UBSan build of the unit tests and of the binary, in build/san.
san-unit-bins:
	@$(MAKE) --no-print-directory B=build/san CFLAGS="$(SAN_FLAGS)" EXTRA_LDFLAGS="-fsanitize=address,undefined" unit-bins

# libFuzzer targets: clang, in build/fuzz.  Skipped with a visible line where the runtime is missing.
fuzz:
	@test/fuzz/build.sh "$(CLANG)" build/fuzz "$(PKG_CFLAGS)" "$(PKG_LIBS)"

fuzz-smoke: fuzz
	@test/fuzz/smoke.sh build/fuzz $${FUZZ_SECONDS:-4}

# Every target for FUZZ_LONG_SECONDS (600), FUZZ_JOBS at a time; report in build/fuzz-long/report.txt.  Not in make test.
fuzz-long: fuzz
	@test/fuzz/long.sh build/fuzz $${FUZZ_LONG_SECONDS:-600} $${FUZZ_JOBS:-2}

# The emulated /dev/sev-guest (LD_PRELOAD), test code only; never sanitized, never linked into attestgate.
build/emul/sev_guest_shim.so: test/emul/sev_guest_shim.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -fPIC -shared -o $@ $< -ldl

# attestgate-nvml: the NVML helper, dynamically linked on purpose: it dlopens NVIDIA's libnvidia-ml.so.1,
# which a static glibc binary cannot do safely (cmd/attestgate-nvml/nvml_collect.c).
$(B)/attestgate-nvml: cmd/attestgate-nvml/nvml_collect.c cmd/attestgate-nvml/nvml_abi.h lib/base/digest.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) $(CFLAGS) $(HARDEN) $(EXTRA_CFLAGS) -D_GNU_SOURCE -Ilib $(shell pkg-config --cflags jansson libcrypto) \
	    -o $@ $< lib/base/digest.c $(ALL_LDFLAGS) -ldl $(shell pkg-config --libs jansson libcrypto)

# Test only: an emulated libnvidia-ml.so.1 that serves a recorded report re-signed by a test key for the caller's nonce.
build/emul/libnvidia-ml.so.1: test/emul/nvml_emul.c cmd/attestgate-nvml/nvml_abi.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -fPIC -shared -Icmd/attestgate-nvml -o $@ $< -lcrypto

EMUL := build/emul/sev_guest_shim.so build/emul/libnvidia-ml.so.1 $(B)/attestgate-nvml

test: all unit-bins san-unit-bins fuzz $(EMUL) static image
	@AG_BUILD=$(B) AG_IMAGE=$(IMAGE) test/run-tests.sh

# The quick loop: build, the unit tests and the integration suites, no sanitizers, no e2e, no fuzzing.
check: all unit-bins $(EMUL)
	@AG_BUILD=$(B) AG_QUICK=1 test/run-tests.sh

# Also run by make test and make check (test/integration/style.sh).
check-style:
	@python3 test/style/check_style.py

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing

demo: all
	@test/demo/demo.sh $(B)/attestgate

# Fully static binary from the pinned Debian source packages (packaging/static-sources.txt); the built
# libraries are cached per machine (packaging/cache-dir.sh), so only the first build takes minutes.
static: build/attestgate-static
build/attestgate-static: $(LIB_SRCS) $(CMD_SRCS) $(wildcard lib/*/*.h cmd/attestgate/*.h) cmd/attestgate-nvml/nvml_collect.c cmd/attestgate-nvml/nvml_abi.h packaging/static-sources.txt packaging/static-deps.sh packaging/build-static.sh
	@packaging/build-static.sh $@

# The image: the static binary, CA bundle, built-in policies and pinned roots FROM scratch.
IMAGE ?= localhost/attestgate:dev
image:
	@packaging/build-image.sh $(IMAGE)

# The pod specs of the chart, of inject and of deploy/examples run by podman kube play (test/pod/README.md).
pod-test: image
	@AG_IMAGE=$(IMAGE) test/pod/run.sh; a=$$?; AG_IMAGE=$(IMAGE) test/pod/webhook.sh || a=1; AG_IMAGE=$(IMAGE) test/pod/nvidia.sh && exit $$a

bench: all $(B)/bench/bare_tpm $(B)/bench/measure
	@test/bench/bench.sh $(B)/attestgate $${BENCH_RUNS:-7}

$(B)/bench/measure: test/bench/measure.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $<

# The TPM commands of the gate and nothing else: the bench's baseline.
$(B)/bench/bare_tpm: test/bench/bare_tpm.c $(B)/libattestgate.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libattestgate.a $(ALL_LDFLAGS) $(PKG_LIBS)

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(CMD_OBJS:.o=.d)
