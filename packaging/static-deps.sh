#!/bin/sh
# static-deps.sh SRC PREFIX WORK - builds the static libraries attestgate links
# (OpenSSL, libcurl with HTTP/HTTPS only, jansson, libyaml, tpm2-tss ESAPI with
# the device and swtpm TCTIs, no dlopen; libevent with evhttp and OpenSSL;
# libxml2 without network, iconv or dlopen; xmlsec1's XML-DSig with the
# OpenSSL backend) from the verified Debian source packages in SRC into
# PREFIX, working in WORK.  Each library is unpacked from its .orig tarball
# (.tar.gz, or the orig= of its pin), Debian's patch series applied (minus
# skip=), then configured for a static, position-independent build.  On
# failure it prints the end of the failing library's log and exits non-zero.
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
	name=$1 version=$2 skip="" ext=tar.gz
	shift 5
	for o in "$@"; do
		case $o in skip=*) skip=${o#skip=} ;; orig=*) ext=${o#orig=} ;; esac
	done
	up=${version%-*}
	d=$WORK/$name
	rm -rf "$d"; mkdir -p "$d"
	tar -xf "$SRC/${name}_$up.orig.$ext" -C "$d" --strip-components=1
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
	autoreconf -fi && CFLAGS="$CFLAGS" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib" ./configure --prefix="$PREFIX" --disable-shared --enable-static \
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
	autoreconf -fi && CFLAGS="$CFLAGS" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib" ./configure --prefix="$PREFIX" --disable-shared --enable-static &&
		make -j"$JOBS" && make install
}
build_libevent() {
	# The core, extra (evhttp) and openssl (bufferevent_openssl) parts; no samples, no tests.
	# The pinned OpenSSL of this prefix, never the machine's headers (its m4 falls back to /usr/include).
	autoreconf -fi && CFLAGS="$CFLAGS" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib" ./configure \
		--prefix="$PREFIX" --disable-shared --enable-static --enable-openssl --disable-samples --disable-libevent-regress --disable-debug-mode &&
		make -j"$JOBS" && make install
}
build_tpm2_tss() {
	./bootstrap && CFLAGS="$CFLAGS" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib" ./configure --prefix="$PREFIX" --disable-shared --enable-static \
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
build_libxml2() {
	# The parser, tree, XPath/XPointer and C14N that xmlsec needs.  No network
	# I/O (http, ftp), no dlopen (modules), no catalogs, no compression
	# libraries, and no iconv: glibc's iconv loads gconv modules at run time,
	# which a static binary cannot; UTF-8, UTF-16, ISO-8859-x are built in.
	# Debian's patches touch Makefile.am: regenerate.
	autoreconf -fi && CFLAGS="$CFLAGS" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib" ./configure \
		--prefix="$PREFIX" --disable-shared --enable-static --without-python --without-zlib --without-lzma \
		--without-icu --without-iconv --without-http --without-ftp --without-catalog --without-docbook \
		--without-legacy --without-debug --without-modules --without-readline --without-history &&
		make -j"$JOBS" && make install
}
build_xmlsec1() {
	# The core and the OpenSSL backend, linked in (no dlopen of the backend):
	# XML-DSig with RSA, ECDSA, HMAC and SHA-1/SHA-2; no MD5, RIPEMD-160, DES,
	# DSA or GOST, no SOAP or XSLT, no apps or docs.  XML-Enc stays: 1.2.37
	# does not compile without it (keyinfo.c uses maxEncryptedKeyLevel).  No
	# OpenSSL 3 engines (OpenSSL here is no-engine).  libxml2 and libcrypto are
	# named by this prefix's pkg-config, never searched for (no xml2-config,
	# no /usr folders).  Debian's patches touch only the tests: no autoreconf.
	CFLAGS="$CFLAGS" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib" \
		LIBXML_CFLAGS="$(pkg-config --cflags libxml-2.0)" LIBXML_LIBS="$(pkg-config --static --libs libxml-2.0)" \
		OPENSSL_CFLAGS="$(pkg-config --cflags libcrypto)" OPENSSL_LIBS="$(pkg-config --static --libs libcrypto)" \
		./configure --prefix="$PREFIX" --disable-shared --enable-static --enable-static-linking --disable-crypto-dl \
		--disable-apps-crypto-dl --with-default-crypto=openssl --without-nss --without-nspr --without-gnutls \
		--without-gcrypt --without-libxslt --disable-folders-search --disable-custom-configs --disable-apps \
		--disable-docs --disable-mans --disable-soap --disable-md5 --disable-ripemd160 \
		--disable-des --disable-dsa --disable-gost --disable-gost2012 &&
		make -j"$JOBS" && make install
}

# Each library's stamp (PREFIX/.NAME) holds the SHA-256 of the script's
# common part (everything but the recipes, the build list and comments: flags,
# prepare, step), its pin line, its recipe, the compiler and the stamp of the
# library before it: a library is built when its stamp differs, and then every
# library after it too.  So a prefix seeded from an earlier one
# (build-static.sh) rebuilds only what a changed or added pin or recipe needs,
# not OpenSSL every time a library is appended; a change to the common part
# rebuilds everything.
CCV=$(${CC:-cc} --version | head -n 1)
chain=$(awk '/^build_[a-z0-9_]*\(\) \{/ { skip = 1 } !skip && !/^build [a-z]/ && !/^[[:space:]]*#/ { print }
	skip && /^}$/ { skip = 0 }' "$here/static-deps.sh" | sha256sum | cut -d' ' -f1)
build() { # NAME RECIPE
	pin=$(awk -v n="$1" '$1 == n' "$here/static-sources.txt")
	recipe=$(awk -v f="$2() {" 'index($0, f) == 1 { on = 1 } on { print } on && $0 == "}" { exit }' "$here/static-deps.sh")
	chain=$(printf '%s\n%s\n%s\n%s\n' "$chain" "$pin" "$recipe" "$CCV" | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$PREFIX/.$1" 2>/dev/null)" = "$chain" ] && [ -z "${rebuilt:-}" ]; then
		echo "static: $1 is built (stamp matches)" >&2
		return 0
	fi
	prepare "$1"; step "$1" "$2"
	echo "$chain" >"$PREFIX/.$1"
	rebuilt=1
}
build openssl build_openssl
build curl build_curl
build jansson build_autotools
build libyaml build_autotools
build tpm2-tss build_tpm2_tss
build libevent build_libevent
build libxml2 build_libxml2
build xmlsec1 build_xmlsec1
