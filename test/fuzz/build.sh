#!/usr/bin/env bash
# build.sh CLANG OUTDIR PKG_CFLAGS PKG_LIBS - builds every test/fuzz/fuzz_*.c
# as a libFuzzer binary (ASan+UBSan) linked with the library sources.
# Where clang or its fuzzer runtime is missing, writes OUTDIR/SKIPPED with the
# reason instead, which the smoke run reports as a visible skip.
set -eu
cc=$1 out=$2 pkg_cflags=$3 pkg_libs=$4
mkdir -p "$out"
rm -f "$out/SKIPPED"
probe="$out/probe.c"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe"
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "clang not found (make deps installs it)" >"$out/SKIPPED"
elif ! "$cc" -fsanitize=fuzzer "$probe" -o "$out/probe" 2>/dev/null; then
	echo "clang's libFuzzer runtime is missing (install libclang-rt-14-dev; make deps does)" >"$out/SKIPPED"
fi
if [ -f "$out/SKIPPED" ]; then echo "fuzz: skipped: $(cat "$out/SKIPPED")"; exit 0; fi
flags="-std=c11 -g -O1 -D_GNU_SOURCE -Ilib -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
for src in test/fuzz/fuzz_*.c; do
	[ -f "$src" ] || continue
	bin="$out/$(basename "$src" .c)"
	# Rebuild only when the target or a library source is newer than the binary.
	if [ -f "$bin" ] && [ -z "$(find "$src" lib -newer "$bin" -name '*.[ch]' | head -1)" ]; then continue; fi
	echo "fuzz: building $bin"
	# shellcheck disable=SC2086
	"$cc" $flags $pkg_cflags "$src" lib/*/*.c -o "$bin" $pkg_libs
done
