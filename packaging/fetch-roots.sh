#!/bin/sh
# fetch-roots.sh DIR - fills DIR with the AMD ARK/ASK/ASVK (Milan, Genoa,
# Turin) and the Intel SGX Root CA from the vendors' servers, keeping only
# certificates whose SHA-256 is one of the fingerprints compiled into
# attestgate (lib/format/amd_certs.c, lib/format/tdx.c).  Run by the Dockerfile's
# builder; anything that does not match a pin is an error, never kept.
set -eu
cd "$(dirname "$0")/.."
DIR=$1
mkdir -p "$DIR"
pins=$(grep -ho '"[0-9a-f]\{64\}"' lib/format/amd_certs.c lib/format/tdx.c | tr -d '"' | sort -u)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for p in Milan Genoa Turin; do
	for kind in vcek vlek; do
		curl -fsSL --proto '=https' --retry 3 -o "$tmp/$p-$kind.pem" "https://kdsintf.amd.com/$kind/v1/$p/cert_chain"
	done
done
curl -fsSL --proto '=https' --retry 3 -o "$tmp/intel-root.der" \
	"https://certificates.trustedservices.intel.com/Intel_SGX_Provisioning_Certification_RootCA.cer"
openssl x509 -inform DER -in "$tmp/intel-root.der" -out "$tmp/intel-root.pem"
n=0
for f in "$tmp"/*.pem; do
	# Split each bundle into single certificates.
	awk -v d="$tmp/one" '/BEGIN CERT/{i++} {print > (d "-" i ".pem")}' "$f"
	for c in "$tmp"/one-*.pem; do
		fp=$(openssl x509 -in "$c" -outform DER | sha256sum | cut -d' ' -f1)
		if echo "$pins" | grep -qx "$fp"; then cp "$c" "$DIR/$fp.pem"; n=$((n + 1)); else
			echo "fetch-roots: $(basename "$f") holds a certificate that is not pinned ($fp)" >&2; exit 1; fi
		rm -f "$c"
	done
done
echo "fetch-roots: $(ls "$DIR" | wc -l) pinned certificates in $DIR"
