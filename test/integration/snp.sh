#!/usr/bin/env bash
# snp.sh - `attestgate verify-evidence` on SEV-SNP evidence: every real
# report of ../shared/vectors verifies against the pinned AMD roots, one
# flipped bit in each region is rejected with a reason naming it, foreign
# and forged certificates are refused, and test roots only count when named
# as insecure.
set -u
. "$(dirname "$0")/../lib/tap.sh"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/empty"
V=$SHARED/vectors
ROOTS=$SHARED/data/amd
if [ ! -d "$V/snp" ] || [ ! -d "$ROOTS" ]; then
	t_skip "SEV-SNP verification of the real vectors" "../shared/vectors or ../shared/data is not present"
else
	ve() { "$BIN" verify-evidence --platform sev-snp --roots "$ROOTS" "$@"; }
	for d in milan-v2-gsg milan-v2-trustee milan-v2-virtee; do
		t_exit 0 "$d verifies against the pinned Milan chain" ve --snp-report "$V/snp/$d/report.bin" --certs "$V/snp/$d/vcek.der"
		t_jq "$d: claims name the product and the signer" '.["x-attestgate-snp-product"] == "Milan" and .["x-attestgate-snp-signing-key"] == "vcek"' "$T_OUT"
	done
	ve --snp-report "$V/snp/milan-v2-gsg/report.bin" --certs "$V/snp/milan-v2-gsg/vcek.der" >"$W/gsg.json" 2>/dev/null
	t_jq "milan-v2-gsg: its DEBUG policy bit shows as is-debuggable" '.["x-ms-sevsnpvm-is-debuggable"] == true and (.["x-ms-sevsnpvm-reportdata"] | startswith("0102030405"))' "$W/gsg.json"
	t_exit 0 "the constructed cert table carries VCEK, ASK and ARK: no --roots needed" "$BIN" verify-evidence --platform sev-snp \
		--snp-report "$V/snp/milan-v2-gsg/report.bin" --certs "$V/snp/cert-table/cert_table_milan_constructed.bin" --roots "$W/empty"
	t_exit 0 "the VLEK report (AWS) verifies with --at inside the VLEK's validity" ve --snp-report "$V/snp/milan-v3-vlek-aws/report.bin" \
		--certs "$V/snp/milan-v3-vlek-aws/vlek.der" --at 2025-06-01T00:00:00Z
	t_jq "the VLEK report names its signer and CSP" '.["x-attestgate-snp-signing-key"] == "vlek" and (.["x-attestgate-snp-csp-id"] | test("amazonaws"))' "$T_OUT"
	t_exit 6 "the VLEK report is rejected once the VLEK has expired" ve --snp-report "$V/snp/milan-v3-vlek-aws/report.bin" --certs "$V/snp/milan-v3-vlek-aws/vlek.der"
	t_grep "the reason is the validity" 'not valid at the verification time' "$T_ERR"
	for n in raw tagged; do
		t_exit 6 "negative certificate ($n HWID) is rejected" ve --snp-report "$V/snp/milan-v2-trustee/report.bin" --certs "$V/snp/negative/vcek-bad-sig-$n-hwid.der"
		t_grep "negative ($n): no pinned ASK signed it" 'no certificate given that signed the VCEK' "$T_ERR"
	done
	t_exit 6 "a VCEK of another chip is rejected" ve --snp-report "$V/snp/milan-v2-trustee/report.bin" --certs "$V/snp/milan-v2-gsg/vcek.der"
	t_grep "the reason is the chip" 'CHIP_ID is not the HWID of the VCEK' "$T_ERR"
	t_exit 6 "without the AMD roots nothing is trusted" "$BIN" verify-evidence --platform sev-snp --snp-report "$V/snp/milan-v2-trustee/report.bin" \
		--certs "$V/snp/milan-v2-trustee/vcek.der" --roots "$W/empty"
	t_grep "the message says what to pass" 'pass the ASK/ASVK' "$T_ERR"
	t_exit 0 "with --nonce the report_data must start with it" ve --snp-report "$V/snp/milan-v2-gsg/report.bin" --certs "$V/snp/milan-v2-gsg/vcek.der" --nonce 0102030405
	t_exit 6 "a nonce that is not in report_data: exit 6" ve --snp-report "$V/snp/milan-v2-gsg/report.bin" --certs "$V/snp/milan-v2-gsg/vcek.der" --nonce 0102030406

	# One bit flipped in each region of a real report.
	flip() { "$PY" -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[int(sys.argv[2],0)]^=int(sys.argv[3],0); open(sys.argv[4],'wb').write(b)" "$@"; }
	R=$V/snp/milan-v2-trustee/report.bin C=$V/snp/milan-v2-trustee/vcek.der
	while IFS='|' read -r region off bit reason; do
		flip "$R" "$off" "$bit" "$W/flip.bin"
		t_exit 6 "bit flipped in $region: exit 6" ve --snp-report "$W/flip.bin" --certs "$C"
		t_grep "bit flipped in $region: the reason names it" "$reason" "$T_ERR"
	done <<'EOF2'
signature|0x2a5|0x01|signature does not verify
measurement|0x95|0x10|signed fields \(MEASUREMENT
report_data|0x51|0x01|REPORT_DATA
reported TCB|0x187|0x01|REPORTED_TCB
reserved field|0x4c|0x01|reserved field at 0x4C
reserved before the signature|0x250|0x01|reserved field before the signature
chip id|0x1a3|0x01|CHIP_ID
policy reserved bit|0x0f|0x80|POLICY has reserved bits
signer none|0x48|0x1c|unsigned \(SIGNING_KEY none\)
version|0x00|0x08|version 10 is not supported
EOF2
	head -c 1000 "$R" >"$W/short.bin"
	t_exit 6 "a truncated report: exit 6" ve --snp-report "$W/short.bin" --certs "$C"

	# Azure: the HCL report's SNP report with THIM's chain, and the vTPM quote bound to its AK.
	A=$V/azure-cvm/snp-milan-trustee
	az() { "$BIN" verify-evidence --platform azure-cvm --hcl-report "$A/hcl-report.bin" --certs "$A/vcek-ask-ark.pem" "$@"; }
	t_exit 0 "azure-cvm: the trustee HCL report, its quote and PCRs verify" az --quote-msg "$A/tpm-quote.msg" --quote-sig "$A/tpm-quote.sig" \
		--pcrs "$A/tpm-quote-pcrs-sha256.bin" --nonce 6368616c6c656e6765
	t_jq "azure-cvm: claims carry the runtime data and the PCRs" '.["x-ms-isolation-tee"]["x-ms-runtime"]["vm-configuration"]["tpm-enabled"] == true and (.["x-ms-azurevm-attested-pcrs"] | length == 24)' "$T_OUT"
	# Issue 17 finding 8: a nonce that cannot be checked is an error, never skipped.
	t_exit 2 "azure-cvm: --nonce without the quote files is a usage error" az --nonce 6368616c6c656e6765
	t_grep "azure-cvm: the message names the missing inputs" 'needs the quote \(--quote-msg, --quote-sig, --pcrs\)' "$T_ERR"
	t_exit 6 "azure-cvm: another nonce is not in the quote" az --quote-msg "$A/tpm-quote.msg" --quote-sig "$A/tpm-quote.sig" \
		--pcrs "$A/tpm-quote-pcrs-sha256.bin" --nonce 6368616c6c656e6766
	t_exit 6 "azure-cvm: a quote by another AK is refused" az --quote-msg "$V/azure-cvm/snp-milan-kinvolk/tpm-quote.msg" \
		--quote-sig "$V/azure-cvm/snp-milan-kinvolk/tpm-quote.sig" --pcrs "$V/azure-cvm/snp-milan-kinvolk/tpm-quote-pcrs-sha256.bin" --nonce 6368616c6c656e6765
	t_exit 6 "azure-cvm: an HCL report with a VCEK of another chip is refused" "$BIN" verify-evidence --platform azure-cvm \
		--hcl-report "$V/azure-cvm/snp-milan-kinvolk/hcl-report-snp.bin" --certs "$V/azure-cvm/snp-milan-kinvolk/certs-unrelated-chip.pem"
fi

# Test roots: accepted only when named insecure.
if "$PY" -c 'import cryptography' 2>/dev/null && command -v swtpm >/dev/null; then
	mkdir -p "$W/rig"
	"$PY" -c "
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization
k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
open('$W/rig/akpub.pem','wb').write(k.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))"
	"$PY" "$REPO/test/rig/make_azure_evidence.py" "$W/rig"
	t_exit 6 "a report signed by a test chain is refused by default" "$BIN" verify-evidence --platform azure-cvm \
		--hcl-report "$W/rig/hcl-report.bin" --certs "$W/rig/vcek-chain.pem"
	t_grep "the reason is the unpinned root" 'TEST-ARK-NOT-AMD is not a pinned AMD ARK' "$T_ERR"
	t_exit 0 "the same report verifies with --insecure-test-roots" "$BIN" verify-evidence --platform azure-cvm \
		--hcl-report "$W/rig/hcl-report.bin" --certs "$W/rig/vcek-chain.pem" --insecure-test-roots "$W/rig/test-roots"
	t_exit 2 "with --nonce but no quote it is a usage error (the nonce is not checked silently)" "$BIN" verify-evidence \
		--platform azure-cvm --hcl-report "$W/rig/hcl-report.bin" --certs "$W/rig/vcek-chain.pem" \
		--insecure-test-roots "$W/rig/test-roots" --nonce 00
else
	t_skip "test roots only when named insecure" "python3-cryptography is missing"
fi

t_done
