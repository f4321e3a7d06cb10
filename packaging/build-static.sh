#!/bin/sh
# build-static.sh OUT - builds the fully static, stripped attestgate binary
# OUT (glibc static) with OpenSSL, libcurl (HTTP/HTTPS only), jansson,
# libyaml and tpm2-tss (ESAPI, MU, RC, device + swtpm TCTIs, no dlopen)
# compiled from the pinned sources of static-sources.txt into a local prefix.
#
# Sources are looked for in $STATIC_SOURCES (default build/static-src); a
# missing one is downloaded only when FETCH=1 (the Dockerfile's builder
# does that).  TPM2_TSS_TARBALL may name the tpm2-tss tarball (a path or an
# URL).  Nothing is used unless its SHA-256 is the pinned one.
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-build/attestgate-static}
SRC=${STATIC_SOURCES:-build/static-src}
WORK=build/static-work
PREFIX=$PWD/build/static-prefix
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
mkdir -p "$SRC" "$WORK" "$PREFIX"

missing=""
while read -r name version file sum url; do
	case $name in ''|'#'*) continue ;; esac
	if [ "$name" = tpm2-tss ] && [ -n "${TPM2_TSS_TARBALL:-}" ] && [ ! -f "$SRC/$file" ]; then
		case $TPM2_TSS_TARBALL in
			http://*|https://*) curl -fsSL --proto '=https' -o "$SRC/$file.part" "$TPM2_TSS_TARBALL" && mv "$SRC/$file.part" "$SRC/$file" ;;
			*) cp "$TPM2_TSS_TARBALL" "$SRC/$file" ;;
		esac
	fi
	if [ ! -f "$SRC/$file" ] && [ "${FETCH:-0}" = 1 ]; then
		echo "static: fetching $url" >&2
		curl -fsSL --proto '=https' --retry 3 -o "$SRC/$file.part" "$url" && mv "$SRC/$file.part" "$SRC/$file" || true
	fi
	if [ ! -f "$SRC/$file" ]; then
		missing="$missing\n  $name $version: put $file in $SRC/ (from $url)"
		continue
	fi
	got=$(sha256sum "$SRC/$file" | cut -d' ' -f1)
	if [ "$got" != "$sum" ]; then
		echo "static: $SRC/$file has SHA-256 $got, not the pinned $sum: refusing it" >&2
		exit 2
	fi
done <packaging/static-sources.txt
if [ -n "$missing" ]; then
	printf 'make static: these pinned sources are not here and were not fetched:%b\n' "$missing" >&2
	printf 'Provide them (TPM2_TSS_TARBALL=PATH|URL for tpm2-tss, or STATIC_SOURCES=DIR), or run with FETCH=1\n' >&2
	printf 'where the network reaches them (the Dockerfile builder does).  Nothing was built.\n' >&2
	exit 2
fi

unpack() { rm -rf "$WORK/$1"; mkdir -p "$WORK/$1"; tar -xf "$SRC/$2" -C "$WORK/$1" --strip-components=1; }
src_of() { awk -v n="$1" '$1 == n { print $3 }' packaging/static-sources.txt; }
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig:$PREFIX/lib64/pkgconfig" PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig"
CFLAGS="-O2 -fPIE -fstack-protector-strong -D_FORTIFY_SOURCE=2"

[ -f "$PREFIX/lib/libcrypto.a" ] || {
	unpack openssl "$(src_of openssl)"
	(cd "$WORK/openssl" && ./Configure linux-x86_64 no-shared no-module no-engine no-dso no-tests no-docs \
		--prefix="$PREFIX" --libdir=lib --openssldir=/etc/ssl && make -j"$JOBS" && make install_sw) >"$WORK/openssl.log" 2>&1
}
[ -f "$PREFIX/lib/libcurl.a" ] || {
	unpack curl "$(src_of curl)"
	(cd "$WORK/curl" && CFLAGS="$CFLAGS" ./configure --prefix="$PREFIX" --disable-shared --enable-static \
		--with-openssl="$PREFIX" --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
		--disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
		--disable-gopher --disable-mqtt --disable-manual --disable-ntlm --disable-alt-svc --without-libpsl \
		--without-zlib --without-brotli --without-zstd --without-nghttp2 --without-libidn2 --without-libssh2 \
		--with-ca-bundle=/etc/ssl/certs/ca-certificates.crt && make -j"$JOBS" && make install) >"$WORK/curl.log" 2>&1
}
[ -f "$PREFIX/lib/libjansson.a" ] || {
	unpack jansson "$(src_of jansson)"
	(cd "$WORK/jansson" && CFLAGS="$CFLAGS" ./configure --prefix="$PREFIX" --disable-shared --enable-static &&
		make -j"$JOBS" && make install) >"$WORK/jansson.log" 2>&1
}
[ -f "$PREFIX/lib/libyaml.a" ] || {
	unpack libyaml "$(src_of libyaml)"
	(cd "$WORK/libyaml" && CFLAGS="$CFLAGS" ./configure --prefix="$PREFIX" --disable-shared --enable-static &&
		make -j"$JOBS" && make install) >"$WORK/libyaml.log" 2>&1
}
[ -f "$PREFIX/lib/libtss2-esys.a" ] || {
	unpack tpm2-tss "$(src_of tpm2-tss)"
	(cd "$WORK/tpm2-tss" && CFLAGS="$CFLAGS" ./configure --prefix="$PREFIX" --disable-shared --enable-static \
		--enable-nodl --disable-fapi --disable-policy --disable-doxygen-doc --disable-tcti-mssim \
		--disable-tcti-cmd --disable-tcti-pcap --disable-tcti-libtpms --disable-tcti-spi-helper \
		--with-crypto=ossl --with-udevrulesdir="$PREFIX/udev" &&
		make -j"$JOBS" && make install) >"$WORK/tpm2-tss.log" 2>&1
}

# attestgate itself against that prefix only.
make --no-print-directory B=build/static-obj CC="${CC:-cc}" \
	PKG_CFLAGS="-I$PREFIX/include -I$PREFIX/include/tss2" \
	PKG_LIBS="-static -L$PREFIX/lib -ltss2-esys -ltss2-tctildr -ltss2-tcti-device -ltss2-tcti-swtpm -ltss2-mu -ltss2-rc -lcurl -lssl -lcrypto -ljansson -lyaml -lpthread" \
	build/static-obj/attestgate
cp build/static-obj/attestgate "$OUT"
strip "$OUT"
if ldd "$OUT" >/dev/null 2>&1; then echo "static: $OUT is still dynamic" >&2; exit 1; fi
echo "static: $OUT ($(wc -c <"$OUT") bytes), not a dynamic executable"
