#!/bin/sh
# build-static.sh OUT - builds the fully static, stripped attestgate binary OUT
# (glibc, see README "Static binary") from the pinned Debian source packages
# of static-sources.txt, and OUT-nvml, the NVML helper for NVIDIA GPUs (its
# libraries from the same sources, glibc dynamic: it loads NVIDIA's NVML).
#
# The built libraries are kept in the cache directory (cache-dir.sh), keyed
# by the SHA-256 of the pins, the recipe and the compiler, so every clone on
# the machine reuses them; OpenSSL alone takes 20-30 minutes on two cores.
# A prefix is built under a temporary name and renamed when complete, under a
# lock, so a failed or concurrent build never leaves a half-built prefix in use.
# A new prefix starts as a copy of the newest complete one; the per-library
# stamps of static-deps.sh decide what is rebuilt.
# The compile and link flags of libxml2 and xmlsec1 come from the prefix's
# own pkg-config (xmlsec1-openssl), so xmlsec's feature defines are those its
# static library was configured with.
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-build/attestgate-static}
mkdir -p build
CACHE=$(packaging/cache-dir.sh)
SRC=${STATIC_SOURCES:-$CACHE/sources}
CCV=$(${CC:-cc} --version | head -n 1)
KEY=$( (cat packaging/static-sources.txt packaging/static-deps.sh; echo "$CCV") | sha256sum | cut -c1-16)
PREFIX=$CACHE/static-$KEY

if [ ! -f "$PREFIX/.complete" ]; then
	exec 9>"$CACHE/static.lock"
	flock 9
	if [ ! -f "$PREFIX/.complete" ]; then
		packaging/fetch-sources.sh "$SRC"
		tmp=$PREFIX.tmp
		rm -rf "$tmp" build/static-work
		# Seeded from the newest complete prefix: static-deps.sh keeps the libraries whose stamps still match.
		seed=$(ls -1td "$CACHE"/static-*/.complete 2>/dev/null | head -n 1)
		if [ -n "$seed" ]; then
			seed=$(dirname "$seed")
			echo "static: seeding from $seed" >&2
			cp -a "$seed" "$tmp"
			rm -f "$tmp/.complete"
			# pkg-config, libtool and *-config files name the prefix they were built in: this one now.
			grep -rlI -F "$CACHE/static-" "$tmp" | while read -r f; do
				sed -i "s#$CACHE/static-[0-9a-f]\{16\}\(\.tmp\)\{0,1\}#$tmp#g" "$f"
			done
		fi
		echo "static: building the libraries into $PREFIX (those whose pins changed; OpenSSL alone takes 20-30 minutes on 2 cores)" >&2
		packaging/static-deps.sh "$SRC" "$tmp" "$PWD/build/static-work"
		touch "$tmp/.complete"
		rm -rf "$PREFIX"; mv "$tmp" "$PREFIX"
		grep -rlI -F "$tmp" "$PREFIX" | while read -r f; do sed -i "s#$tmp#$PREFIX#g" "$f"; done
		rm -rf build/static-work
	fi
	exec 9>&-
else
	echo "static: reusing the libraries in $PREFIX" >&2
fi

# attestgate itself against that prefix only, hardened, unused sections dropped.
# xmlsec1-openssl's --static flags: its defines and include dirs, then
# -lxmlsec1-openssl -lxmlsec1 ... -lxml2 -lm, placed before -lssl -lcrypto.
xmlsec_pc() { PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig pkg-config --static "$@" xmlsec1-openssl; }
XML_CFLAGS=$(xmlsec_pc --cflags)
XML_LIBS=$(xmlsec_pc --libs)
make --no-print-directory B=build/static-obj CC="${CC:-cc}" \
	EXTRA_CFLAGS="-ffunction-sections -fdata-sections" \
	PKG_CFLAGS="-I$PREFIX/include $XML_CFLAGS" \
	PKG_LIBS="-static -Wl,--gc-sections -Wl,-z,relro,-z,now -L$PREFIX/lib -ltss2-esys -ltss2-sys -ltss2-tcti-device -ltss2-tcti-swtpm -ltss2-mu -ltss2-rc -lcurl -levent_openssl -levent_extra -levent_core $XML_LIBS -lssl -lcrypto -ljansson -lyaml -lpthread" \
	build/static-obj/attestgate 2>build/static-link.log || { cat build/static-link.log >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
cp build/static-obj/attestgate "$OUT.tmp"
strip "$OUT.tmp"
case $(file -b "$OUT.tmp") in
	*"statically linked"*) ;;
	*) echo "static: the result is not statically linked: $(file -b "$OUT.tmp")" >&2; rm -f "$OUT.tmp"; exit 1 ;;
esac
mv "$OUT.tmp" "$OUT"
echo "static: $OUT ($(wc -c <"$OUT") bytes), statically linked"

# OUT-nvml: the NVML helper (cmd/attestgate-nvml) against the same prefix: jansson and libcrypto linked in,
# glibc dynamic on purpose (it dlopens NVIDIA's libnvidia-ml.so.1, which a static binary cannot).
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE -pie -ffunction-sections \
	-fdata-sections -Ilib -I"$PREFIX/include" -o "$OUT-nvml.tmp" cmd/attestgate-nvml/nvml_collect.c lib/base/digest.c -Wl,--gc-sections \
	-Wl,-z,relro,-z,now "$PREFIX/lib/libjansson.a" "$PREFIX/lib/libcrypto.a" -ldl -lpthread
strip "$OUT-nvml.tmp"
mv "$OUT-nvml.tmp" "$OUT-nvml"
echo "static: $OUT-nvml ($(wc -c <"$OUT-nvml") bytes), glibc dynamic"
