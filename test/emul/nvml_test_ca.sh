#!/bin/sh
# nvml_test_ca.sh OUTDIR [TEMPLATE.bin] - TEST-ONLY NVIDIA-shaped device
# certificate chain and emulated-NVML directory for test/emul/nvml_emul.c.
#
# Makes five ECDSA P-384 / SHA-384 certificates with the openssl CLI, shaped
# like a real GH100 chain (leaf first, root last):
#   [0] GH100 A01 GSP FMC LF                         (leaf, CA:false)
#   [1] GH100 A01 GSP BROM   (the CN a real chain has: the verifier reads the architecture from it)
#   [2] attestgate test NVIDIA GH100 Provisioner ICA 1
#   [3] attestgate test NVIDIA GH100 Identity
#   [4] attestgate test NVIDIA Device Identity CA     (self-signed root)
# and writes into OUTDIR: gpu0.key.pem (the leaf key, which nvml_emul signs
# reports with), gpu0.chain.pem, root.pem, and gpu0.template.bin (a copy of
# TEMPLATE.bin; default: the 2023 nvtrust H100 545 report, which has no FWID
# opaque field, so the leaf needs no FWID extension).  Other files (ca.*,
# *.key, *.csr) are intermediate products.  Nothing here is an NVIDIA key:
# trust root.pem only in tests.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [TEMPLATE.bin]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$1
template=${2:-$repo/../shared/vectors/nvidia/nvtrust-2023-hopper-545/attestationReport.bin}
if [ ! -f "$template" ]; then
	echo "$0: template report $template not found" >&2
	exit 1
fi
mkdir -p "$out"
days=36500

cat >"$out/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF

# newkey NAME: a fresh P-384 key in OUTDIR/NAME.key
newkey() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$out/$1.key" 2>/dev/null
}

# issue NAME CN PARENT EXTENSIONS: OUTDIR/NAME.pem signed by OUTDIR/PARENT
issue() {
	newkey "$1"
	openssl req -new -config "$out/ca.cnf" -key "$out/$1.key" \
		-subj "/O=attestgate test/CN=$2" -out "$out/$1.csr"
	openssl x509 -req -in "$out/$1.csr" -CA "$out/$3.pem" -CAkey "$out/$3.key" \
		-days "$days" -sha384 -extfile "$out/ca.cnf" -extensions "$4" \
		-out "$out/$1.pem" 2>/dev/null
}

newkey root
openssl req -x509 -new -config "$out/ca.cnf" -extensions v3_ca -key "$out/root.key" \
	-subj "/O=attestgate test/CN=attestgate test NVIDIA Device Identity CA" \
	-days "$days" -sha384 -out "$out/root.pem"
issue identity "attestgate test NVIDIA GH100 Identity" root v3_ca
issue provisioner "attestgate test NVIDIA GH100 Provisioner ICA 1" identity v3_ca
issue brom "GH100 A01 GSP BROM" provisioner v3_ca
issue leaf "GH100 A01 GSP FMC LF" brom v3_leaf

cat "$out/leaf.pem" "$out/brom.pem" "$out/provisioner.pem" "$out/identity.pem" "$out/root.pem" \
	>"$out/gpu0.chain.pem"
cp "$out/leaf.key" "$out/gpu0.key.pem"
cp "$template" "$out/gpu0.template.bin"
chmod 600 "$out"/*.key "$out/gpu0.key.pem"
openssl verify -CAfile "$out/root.pem" \
	-untrusted "$out/brom.pem" -untrusted "$out/provisioner.pem" -untrusted "$out/identity.pem" \
	"$out/leaf.pem" >/dev/null
