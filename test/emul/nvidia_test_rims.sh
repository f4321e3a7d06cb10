#!/bin/sh
# nvidia_test_rims.sh OUTDIR [SRC_DIR] - TEST-ONLY NVIDIA RIMs: the driver
# and VBIOS RIMs of the 2023 nvtrust H100 sample (545.00 / 96.00.5E.00.01,
# whose golden values match that sample's report), re-signed with xmlsec1 by
# a test RIM CA that is valid now, so `attestgate run` can compare an
# emulated GPU's measurements without a pinned verification time.
#   OUTDIR/rim-ca/root.pem              the test RIM root (give it as a test root)
#   OUTDIR/rims/NV_GPU_DRIVER_GH100_545.00.xml
#   OUTDIR/rims/NV_GPU_VBIOS_1010_0200_882_96005E0001.xml   (named by RIM id)
#   OUTDIR/bad-rims/...                 the same, but the driver RIM's first
#                                       active golden value changed before signing
# SRC_DIR defaults to ../shared/vectors/nvidia/nvtrust-2023-hopper-545.
# The signature is what NVIDIA's RIMs carry: enveloped, C14N 1.1, SHA-384,
# ECDSA-SHA384, the signer chain in KeyInfo/X509Data (leaf, then root).
set -eu
OUT=$1
SRC=${2:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/vectors/nvidia/nvtrust-2023-hopper-545}
mkdir -p "$OUT/rim-ca" "$OUT/rims" "$OUT/bad-rims"
CA=$OUT/rim-ca
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -sha384 -nodes -keyout "$CA/root.key" \
	-out "$CA/root.pem" -days 36500 -subj "/CN=attestgate test NVIDIA CoRIM signing Root CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -keyout "$CA/signer.key" -out "$CA/signer.csr" \
	-subj "/CN=attestgate test RIM L4 signer" 2>/dev/null
openssl x509 -req -in "$CA/signer.csr" -CA "$CA/root.pem" -CAkey "$CA/root.key" -CAcreateserial -sha384 -days 36500 \
	-out "$CA/signer.pem" 2>/dev/null

# sign SRC DST [tamper]: SRC's Signature replaced by a template, xmlsec1 signs it into DST.
sign() {
	python3 - "$1" "$OUT/tmpl.xml" "${3:-}" <<'EOF'
import re, sys
src = open(sys.argv[1], encoding="utf-8").read()
i = src.index("<ds:Signature")
j = src.index("</ds:Signature>") + len("</ds:Signature>")
ds = "http://www.w3.org/2000/09/xmldsig#"
more = "http://www.w3.org/2001/04/xmldsig-more#"
c14n11 = "http://www.w3.org/2006/12/xml-c14n11"
tmpl = ('<ds:Signature xmlns:ds="%s"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="%s"/>'
        '<ds:SignatureMethod Algorithm="%secdsa-sha384"/><ds:Reference URI=""><ds:Transforms>'
        '<ds:Transform Algorithm="%senveloped-signature"/><ds:Transform Algorithm="%s"/></ds:Transforms>'
        '<ds:DigestMethod Algorithm="%ssha384"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>'
        '<ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>') % (ds, c14n11, more, ds, c14n11, more)
doc = src[:i] + tmpl + src[j:]
if sys.argv[3] == "tamper":
    # The first active golden value gets another first digit: the GPU's measurement no longer matches.
    m = re.search(r'active="True"[^>]*?ns2:Hash0="([0-9a-f])', doc)
    k = m.start(1)
    doc = doc[:k] + ("1" if doc[k] == "0" else "0") + doc[k + 1:]
open(sys.argv[2], "w", encoding="utf-8").write(doc)
EOF
	xmlsec1 --sign --privkey-pem "$CA/signer.key,$CA/signer.pem,$CA/root.pem" --output "$2" "$OUT/tmpl.xml"
	rm -f "$OUT/tmpl.xml"
}
sign "$SRC/Driver_RIM_test_no_gpu.swidtag" "$OUT/rims/NV_GPU_DRIVER_GH100_545.00.xml"
sign "$SRC/1010_0200_882_96005E0001_test_no_gpu.swidtag" "$OUT/rims/NV_GPU_VBIOS_1010_0200_882_96005E0001.xml"
sign "$SRC/Driver_RIM_test_no_gpu.swidtag" "$OUT/bad-rims/NV_GPU_DRIVER_GH100_545.00.xml" tamper
cp "$OUT/rims/NV_GPU_VBIOS_1010_0200_882_96005E0001.xml" "$OUT/bad-rims/"
