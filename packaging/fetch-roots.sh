#!/bin/sh
# fetch-roots.sh DIR [FROM] - fills DIR with the AMD ARK/ASK/ASVK (Milan,
# Genoa, Turin) and the Intel SGX Root CA, keeping only certificates whose
# SHA-256 is one of the fingerprints compiled into attestgate
# (lib/format/amd_certs.c, lib/format/tdx.c), each as DIR/<sha256>.pem.
#
# FROM, when it is a directory with certificates in it (the image build
# mounts the vendors' files there), is searched for PEM files; certificates
# in it that are not pinned are left out.  Otherwise the certificates are
# fetched from AMD KDS and Intel, and anything there that does not match a
# pin is an error.  Used by the Dockerfile's builder.
set -eu
cd "$(dirname "$0")/.."
DIR=$1 FROM=${2:-}
mkdir -p "$DIR"
pins=$(grep -ho '"[0-9a-f]\{64\}"' lib/format/amd_certs.c lib/format/tdx.c | tr -d '"' | sort -u)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
strict=1
if [ -n "$FROM" ] && [ -d "$FROM" ] && [ -n "$(find "$FROM" -name '*.pem' | head -n 1)" ]; then
	strict=0
	find "$FROM" -name '*.pem' | sort | while read -r f; do cp "$f" "$tmp/local-$(basename "$f")"; done
else
	for p in Milan Genoa Turin; do
		for kind in vcek vlek; do
			curl -fsSL --proto '=https' --retry 3 -o "$tmp/$p-$kind.pem" "https://kdsintf.amd.com/$kind/v1/$p/cert_chain"
		done
	done
	curl -fsSL --proto '=https' --retry 3 -o "$tmp/intel-root.der" \
		"https://certificates.trustedservices.intel.com/Intel_SGX_Provisioning_Certification_RootCA.cer"
	openssl x509 -inform DER -in "$tmp/intel-root.der" -out "$tmp/intel-root.pem"
fi
for f in "$tmp"/*.pem; do
	# Split each bundle into single certificates.
	awk -v d="$tmp/one" '/BEGIN CERT/{i++} i{print > (d "-" i ".pem")}' "$f"
	for c in "$tmp"/one-*.pem; do
		[ -f "$c" ] || continue
		fp=$(openssl x509 -in "$c" -outform DER | sha256sum | cut -d' ' -f1)
		if echo "$pins" | grep -qx "$fp"; then
			cp "$c" "$DIR/$fp.pem"
		elif [ "$strict" = 1 ]; then
			echo "fetch-roots: $(basename "$f") holds a certificate that is not pinned ($fp)" >&2
			exit 1
		fi
		rm -f "$c"
	done
done
n=$(find "$DIR" -name '*.pem' | wc -l)
[ "$n" -gt 0 ] || { echo "fetch-roots: no pinned certificate found" >&2; exit 1; }
echo "fetch-roots: $n pinned certificates in $DIR"
