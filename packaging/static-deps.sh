#!/bin/sh
# static-deps.sh SRC PREFIX WORK - builds the static libraries attestgate links
# (OpenSSL, libcurl with HTTP/HTTPS only, jansson, libyaml, tpm2-tss ESAPI with
# the device and swtpm TCTIs, no dlopen) from the verified Debian source
# packages in SRC into PREFIX, working in WORK.  Each library is unpacked from
# its .orig tarball, Debian's patch series applied (minus skip=), then
# configured for a static, position-independent build.  On failure it prints
# the end of the failing library's log and exits non-zero.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
SRC=$1 PREFIX=$2 WORK=$3
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
CFLAGS="-O2 -fPIE -fstack-protector-strong -D_FORTIFY_SOURCE=2 -ffunction-sections -fdata-sections"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig"
mkdir -p "$PREFIX" "$WORK"

# prepare NAME: unpack .orig and .debian into WORK/NAME and apply the series.
prepare() {
	line=$(awk -v n="$1" '$1 == n' "$here/static-sources.txt")
	set -- $line
	name=$1 version=$2 skip=""
	case ${6:-} in skip=*) skip=${6#skip=} ;; esac
	up=${version%-*}
	d=$WORK/$name
	rm -rf "$d"; mkdir -p "$d"
	tar -xf "$SRC/${name}_$up.orig.tar.gz" -C "$d" --strip-components=1
	tar -xf "$SRC/${name}_$version.debian.tar.xz" -C "$d"
	if [ -f "$d/debian/patches/series" ]; then
		grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$d/debian/patches/series" | while read -r p _; do
			case ",$skip," in *",$p,"*) continue ;; esac
			patch -d "$d" -p1 -s -N <"$d/debian/patches/$p" || { echo "static: $name: patch $p does not apply" >&2; exit 1; }
		done
	fi
}

# step NAME CMD...: runs CMD in WORK/NAME, logging to WORK/NAME.log.
step() {
	n=$1; shift
	echo "static: building $n (log: $WORK/$n.log)" >&2
	if ! (cd "$WORK/$n" && "$@") >"$WORK/$n.log" 2>&1; then
		echo "static: building $n failed; the end of $WORK/$n.log:" >&2
		tail -n 40 "$WORK/$n.log" >&2
		exit 1
	fi
}

build_openssl() {
	# Only what TLS 1.2/1.3, X.509, CMS/OCSP and the attestation formats use (RSA, ECDSA, AES, SHA-2).
	./Configure linux-x86_64 no-shared no-module no-engine no-dso no-tests no-legacy no-comp no-ssl3 \
		no-afalgeng no-capieng no-dtls no-srp no-srtp no-nextprotoneg no-cmp no-ts no-ct no-gost no-idea \
		no-mdc2 no-rc2 no-rc4 no-rc5 no-md4 no-whirlpool no-seed no-camellia no-aria \
		no-bf no-cast no-siphash -fPIE --prefix="$PREFIX" --libdir=lib --openssldir=/etc/ssl &&
		make -j"$JOBS" && make install_sw
}
build_curl() {
	autoreconf -fi && CFLAGS="$CFLAGS" ./configure --prefix="$PREFIX" --disable-shared --enable-static \
		--with-openssl="$PREFIX" --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
		--disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
		--disable-gopher --disable-mqtt --disable-manual --disable-ntlm --disable-alt-svc --disable-cookies \
		--without-libpsl --without-zlib --without-brotli --without-zstd --without-nghttp2 --without-libidn2 \
		--without-libssh2 --without-librtmp --without-gssapi --disable-netrc --disable-doh --disable-mime \
		--disable-hsts --disable-headers-api --disable-progress-meter --disable-kerberos-auth \
		--disable-negotiate-auth --disable-aws --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt &&
		make -j"$JOBS" -C lib && make -C lib install && make -C include install &&
		install -m 0644 libcurl.pc "$PREFIX/lib/pkgconfig/libcurl.pc"
}
build_autotools() { # jansson, libyaml
	autoreconf -fi && CFLAGS="$CFLAGS" ./configure --prefix="$PREFIX" --disable-shared --enable-static &&
		make -j"$JOBS" && make install
}
build_tpm2_tss() {
	./bootstrap && CFLAGS="$CFLAGS" ./configure --prefix="$PREFIX" --disable-shared --enable-static \
		--enable-nodl --disable-fapi --disable-policy --disable-doxygen-doc --disable-tcti-mssim \
		--disable-tcti-cmd --disable-tcti-pcap --disable-tcti-libtpms --disable-tcti-spi-helper \
		--disable-tcti-spi-ltt2go --disable-tcti-spi-ftdi --disable-tcti-i2c-helper --disable-tcti-i2c-ftdi \
		--with-crypto=ossl --with-udevrulesdir="$PREFIX/udev" --with-runstatedir=/run --with-sysconfdir=/etc &&
		make -j"$JOBS" && make install &&
		# Before 4.2.0 every TCTI library defines Tss2_Tcti_Info and tss2_tcti_info;
		# two TCTIs in one static link collide.  attestgate calls each TCTI's
		# Tss2_Tcti_*_Init directly, never the info symbol: make it local.
		for a in "$PREFIX"/lib/libtss2-tcti-*.a; do
			objcopy --localize-symbol=Tss2_Tcti_Info --localize-symbol=tss2_tcti_info "$a"
		done
}

[ -f "$PREFIX/.openssl" ] || { prepare openssl; step openssl build_openssl; touch "$PREFIX/.openssl"; }
[ -f "$PREFIX/.curl" ] || { prepare curl; step curl build_curl; touch "$PREFIX/.curl"; }
[ -f "$PREFIX/.jansson" ] || { prepare jansson; step jansson build_autotools; touch "$PREFIX/.jansson"; }
[ -f "$PREFIX/.libyaml" ] || { prepare libyaml; step libyaml build_autotools; touch "$PREFIX/.libyaml"; }
[ -f "$PREFIX/.tpm2-tss" ] || { prepare tpm2-tss; step tpm2-tss build_tpm2_tss; touch "$PREFIX/.tpm2-tss"; }
