#!/usr/bin/env bash
# tdx.sh - `attestgate verify-evidence` on TDX quotes: every real quote of
# ../shared/vectors verifies to the pinned Intel SGX Root CA, an Azure TDX
# CVM's HCL report + TD quote + vTPM quote verify together, one flipped bit
# in each region is rejected with a reason naming it, and a test chain only
# counts with --insecure-test-roots.  Quote v5 comes from the emulator.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/emul.sh"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
V=$SHARED/vectors
ve() { "$BIN" verify-evidence --platform tdx "$@"; }
flip() { "$PY" -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[int(sys.argv[2],0)]^=int(sys.argv[3],0); open(sys.argv[4],'wb').write(b)" "$@"; }

if [ ! -d "$V/tdx/quotes" ]; then
	t_skip "TDX verification of the real vectors" "../shared/vectors is not present"
else
	for q in "$V"/tdx/quotes/*.dat "$V/azure-cvm/tdx-trustee/td-quote.bin"; do
		t_exit 0 "$(basename "$q") verifies to the pinned Intel SGX Root CA" ve --td-quote "$q"
		t_jq "$(basename "$q"): TD claims with MAA's names" '.["x-ms-attestation-type"] == "tdxvm" and (.tdx_mrtd | length) == 96 and (.tdx_rtmr3 | length) == 96 and (.tdx_td_attributes_debug | type) == "boolean"' "$T_OUT"
	done
	ve --td-quote "$V/tdx/quotes/trustee-v4-a.dat" >"$W/debug.json" 2>/dev/null
	t_jq "trustee-v4-a is a debug TD and says so" '.tdx_td_attributes_debug == true and .dbgstat == "enabled"' "$W/debug.json"
	ve --td-quote "$V/tdx/quotes/spr-e4-v4.dat" >"$W/prod.json" 2>/dev/null
	t_jq "spr-e4-v4 is not a debug TD" '.tdx_td_attributes_debug == false and .dbgstat == "disabled"' "$W/prod.json"
	Q=$V/tdx/quotes/trustee-v4-a.dat
	# Quote v4 layout: header 0..47, TD report 48..631, signature data length, signature 636..699,
	# attestation key 700..763, cert data header, QE report 770..1153, QE report signature, auth data size, auth data.
	while IFS='|' read -r region off bit reason; do
		flip "$Q" "$off" "$bit" "$W/flip.bin"
		t_exit 6 "bit flipped in $region: exit 6" ve --td-quote "$W/flip.bin"
		t_grep "bit flipped in $region: the reason names it" "$reason" "$T_ERR"
	done <<'EOF2'
quote signature|640|0x01|TD quote signature does not verify
MRTD|200|0x01|TD quote signature does not verify
REPORT_DATA|570|0x01|TD quote signature does not verify
TD attributes (DEBUG)|168|0x01|TD quote signature does not verify
attestation key|710|0x01|does not bind the attestation key|not a P-256 point
QE report|800|0x01|QE report signature does not verify
QE report signature|1160|0x01|QE report signature does not verify
QE auth data|1222|0x01|does not bind the attestation key
version|0|0x02|only versions 4 and 5
TEE type|4|0x02|TEE type
QE vendor|20|0x01|QE vendor
EOF2
	head -c 3000 "$Q" >"$W/trunc.bin"
	t_exit 6 "a truncated quote: exit 6" ve --td-quote "$W/trunc.bin"
	t_grep "the reason says truncated" 'truncated' "$T_ERR"
	t_exit 6 "a quote checked at a time after its PCK certificate expired: exit 6" ve --td-quote "$Q" --at 2060-01-01T00:00:00Z
	t_grep "the reason is the validity and says --at" 'expired.*--at' "$T_ERR"
	rd=$(jq -r .tdx_report_data < <(ve --td-quote "$Q"))
	t_exit 0 "--nonce equal to the whole REPORT_DATA: exit 0" ve --td-quote "$Q" --nonce "$rd"
	t_exit 6 "--nonce that is not REPORT_DATA: exit 6" ve --td-quote "$Q" --nonce 00112233
	t_grep "the reason is the binding" 'REPORT_DATA is not the nonce' "$T_ERR"

	# TCB info collateral (Intel PCS), signed by the TCB Signing certificate.
	C=$V/tdx/collateral
	tcb() { ve --td-quote "$1" --tdx-tcb-info "$2" --tdx-tcb-info-chain "$C/tcb-info-issuer-chain.pem" "${@:3}"; }
	t_exit 0 "collateral: trustee-v4-a is UpToDate by the signed TCB info (at a time it was valid)" \
		tcb "$Q" "$C/tcbinfo-50806f000000.json" --at 2023-07-01T00:00:00Z
	t_jq "collateral: attester_tcb_status and the level's date are claims" '.attester_tcb_status == "UpToDate" and .["x-attestgate-tdx-tcb-date"] == "2023-02-15T00:00:00Z"' "$T_OUT"
	t_exit 6 "collateral: spr-e4-v4's TDX microcode is below every level: exit 6" \
		tcb "$V/tdx/quotes/spr-e4-v4.dat" "$C/tcbinfo-50806f000000.json" --at 2023-07-01T00:00:00Z
	t_grep "the reason says the TCB is not supported" 'below every level' "$T_ERR"
	t_exit 6 "collateral: past its nextUpdate: exit 6" tcb "$Q" "$C/tcbinfo-50806f000000.json" --at 2023-08-01T00:00:00Z
	t_grep "the reason names nextUpdate and --at" 'nextUpdate.*--at' "$T_ERR"
	t_exit 6 "collateral: the TCB Signing certificate has expired by now: exit 6" tcb "$Q" "$C/tcbinfo-50806f000000.json"
	t_grep "the reason names the signing chain" 'TCB Signing chain.*expired' "$T_ERR"
	sed 's/"tcbStatus":"OutOfDate"/"tcbStatus":"UpToDate"/' "$C/tcbinfo-50806f000000.json" >"$W/forged-tcb.json"
	t_exit 6 "collateral: an edited TCB info is refused: exit 6" tcb "$Q" "$W/forged-tcb.json" --at 2023-07-01T00:00:00Z
	t_grep "the reason is the signature" 'TCB info: signature does not verify' "$T_ERR"
	t_exit 6 "collateral signed under a chain that is not Intel's: exit 6" ve --td-quote "$Q" --tdx-tcb-info "$C/tcbinfo-50806f000000.json" \
		--tdx-tcb-info-chain "$C/pckcrl-issuer-chain.pem" --at 2023-07-01T00:00:00Z
	t_grep "collateral: only the TCB Signing certificate may sign it" 'is signed by Intel SGX PCK Platform CA, not by Intel.s TCB Signing certificate' "$T_ERR"
	t_exit 2 "collateral without its issuer chain: exit 2" ve --td-quote "$Q" --tdx-tcb-info "$C/tcbinfo-50806f000000.json"

	# Issue 17 finding 4: the quoting enclave's identity, with Intel's QE identity collateral.
	qe() { ve --td-quote "$1" --tdx-qe-identity "$2" --tdx-tcb-info-chain "$C/tcb-info-issuer-chain.pem" "${@:3}"; }
	t_exit 0 "QE identity: the real QE report matches Intel's TD_QE identity" qe "$Q" "$C/qe-identity.json" --at 2023-06-20T00:00:00Z
	t_jq "QE identity: its TCB status is a claim" '.["x-attestgate-tdx-qe-tcb-status"] == "UpToDate"' "$T_OUT"
	sed 's/"isvprodid":2/"isvprodid":3/' "$C/qe-identity.json" >"$W/forged-qe.json"
	t_exit 6 "QE identity: an edited identity is refused" qe "$Q" "$W/forged-qe.json" --at 2023-06-20T00:00:00Z
	t_grep "QE identity: the reason is the signature" 'QE identity: signature does not verify' "$T_ERR"
	t_exit 6 "QE identity: past its nextUpdate: exit 6" qe "$Q" "$C/qe-identity.json" --at 2023-08-01T00:00:00Z
	t_exit 2 "QE identity without an issuer chain: exit 2" ve --td-quote "$Q" --tdx-qe-identity "$C/qe-identity.json"
	# Issue 17 finding 5: CRLs.
	t_exit 0 "CRLs: the PCK and Root CA CRLs list nothing of this chain" ve --td-quote "$Q" --crl "$C/pckcrl-platform.der" \
		--crl "$C/rootcrl.der" --at 2023-06-20T00:00:00Z
	t_exit 2 "CRLs: only the Root CA CRL leaves the PCK unchecked: exit 2, naming what to pass" ve --td-quote "$Q" \
		--crl "$C/rootcrl.der" --at 2023-06-20T00:00:00Z
	t_grep "CRLs: the message names the missing CRL" 'no CRL of Intel SGX PCK Platform CA was given' "$T_ERR"
	t_exit 6 "CRLs: a CRL past its nextUpdate is not used: exit 6" ve --td-quote "$Q" --crl "$C/pckcrl-platform.der" \
		--crl "$C/rootcrl.der" --at 2023-07-20T00:00:00Z
	t_grep "CRLs: the message says it is stale" 'not valid at the verification time' "$T_ERR"
	t_exit 2 "CRLs: a file that is not a CRL: exit 2" ve --td-quote "$Q" --crl "$C/qe-identity.json" --at 2023-06-20T00:00:00Z

	T=$V/azure-cvm/tdx-trustee
	az() { "$BIN" verify-evidence --platform azure-cvm --hcl-report "$T/hcl-report.bin" "$@"; }
	t_exit 0 "Azure TDX CVM: HCL report + TD quote + vTPM quote verify" az --td-quote "$T/td-quote.bin" \
		--quote-msg "$T/tpm-quote.msg" --quote-sig "$T/tpm-quote.sig" --pcrs "$T/tpm-quote-pcrs-sha256.bin" --nonce "$(printf challenge | od -An -tx1 -v | tr -d ' \n')"
	t_jq "Azure TDX CVM: TDX claims inside x-ms-isolation-tee" '.["x-ms-isolation-tee"]["x-ms-attestation-type"] == "tdxvm" and (.["x-ms-isolation-tee"]["x-ms-runtime"].keys | length) > 0' "$T_OUT"
	t_exit 6 "Azure TDX CVM: a TD quote of another TD is refused" az --td-quote "$Q"
	t_grep "the reason names the TDREPORT" 'not for the HCL report' "$T_ERR"
	t_exit 3 "Azure TDX CVM without its TD quote: exit 3 (incomplete) and what to pass" az
	t_grep "the message names td-quote" 'TD quote' "$T_ERR"
fi

# The emulator's quotes (v4 and v5) chain to a test root: refused unless named as insecure.
emul_pki "$W/pki" >/dev/null
for v in 4 5; do
	"$PY" "$EMUL_PY" td-quote "$W/pki" 00112233 "$v" >"$W/q$v.bin"
	t_exit 6 "emulated quote v$v: the test chain is refused by default" ve --td-quote "$W/q$v.bin"
	t_grep "emulated quote v$v: the reason is the pin" 'does not end in the pinned Intel SGX Root CA' "$T_ERR"
	t_exit 0 "emulated quote v$v verifies with --insecure-test-roots" ve --td-quote "$W/q$v.bin" --insecure-test-roots "$W/pki/test-roots" --nonce 00112233
	t_jq "emulated quote v$v: its version is reported" ".[\"x-attestgate-tdx-quote-version\"] == $v and .tdx_td_attributes_septve_disable == true" "$T_OUT"
done
# Issue 17 finding 4: a QE report from any enclave but Intel's TD QE is refused, even when the PCK signed it.
for fault in debug signer prodid; do
	"$PY" "$EMUL_PY" td-quote "$W/pki" 00112233 4 "$fault" >"$W/qe-$fault.bin"
	t_exit 6 "a QE report with fault '$fault' (signed by the PCK): exit 6" ve --td-quote "$W/qe-$fault.bin" --insecure-test-roots "$W/pki/test-roots"
	t_grep "QE fault '$fault': the reason names the quoting enclave" 'QE report is not from|quoting enclave runs in DEBUG' "$T_ERR"
done
# Issue 17 finding 5: a revoked PCK certificate or PCK CA.
"$PY" "$EMUL_PY" crl "$W/pki" intel-pck >"$W/pck.crl"; "$PY" "$EMUL_PY" crl "$W/pki" intel-pck revoke >"$W/pck-revoked.crl"
"$PY" "$EMUL_PY" crl "$W/pki" intel-root >"$W/root.crl"; "$PY" "$EMUL_PY" crl "$W/pki" intel-root revoke >"$W/root-revoked.crl"
cr() { ve --td-quote "$W/q4.bin" --insecure-test-roots "$W/pki/test-roots" "$@"; }
t_exit 0 "CRLs that revoke nothing: exit 0" cr --crl "$W/pck.crl" --crl "$W/root.crl"
t_exit 6 "a revoked PCK certificate: exit 6" cr --crl "$W/pck-revoked.crl" --crl "$W/root.crl"
t_grep "the reason names the revoked certificate" 'TEST Intel SGX PCK Certificate \(NOT INTEL\) is revoked' "$T_ERR"
t_exit 6 "a revoked PCK CA: exit 6" cr --crl "$W/pck.crl" --crl "$W/root-revoked.crl"
t_grep "the reason names the revoked CA" 'PCK Platform CA \(NOT INTEL\) is revoked' "$T_ERR"
# Review: every CRL of an issuer counts, whatever the order; only the chain's links are checked.
t_exit 6 "two CRLs of the PCK CA, the revoking one second: exit 6" cr --crl "$W/pck.crl" --crl "$W/pck-revoked.crl" --crl "$W/root.crl"
mkdir -p "$W/roots-amd"; cp "$W/pki/test-roots/test-ark.pem" "$W/roots-amd/"; cp "$W/pki/ask.der" "$W/roots-amd/"
t_exit 0 "a roots directory with AMD certificates asks for no AMD CRL on a TD quote" cr --roots "$W/roots-amd" \
	--crl "$W/pck.crl" --crl "$W/root.crl"
"$PY" -c "
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
import datetime, sys
sys.path.insert(0, '$REPO/test/emul'); import tee_emul
d = '$W/pki'
issuer = x509.load_pem_x509_certificate(open(d + '/pck-ca.pem', 'rb').read())
key = tee_emul.load_key(d + '/pck-ca.key')
b = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject).last_update(datetime.datetime(2020, 1, 1))
     .next_update(datetime.datetime(2049, 1, 1)).add_extension(x509.DeltaCRLIndicator(1), critical=True))
open('$W/delta.crl', 'wb').write(b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))"
t_exit 2 "a delta CRL alone is not accepted as the PCK CA's CRL: exit 2" cr --crl "$W/delta.crl" --crl "$W/root.crl"
t_grep "the message asks for the complete CRL" 'delta CRL: give the complete CRL' "$T_ERR"
# Finding 6 (issue 17): insecure switches and trust anchors are command-line only.
t_exit 6 "ATTESTGATE_INSECURE_TEST_ROOTS in the environment trusts nothing" env ATTESTGATE_INSECURE_TEST_ROOTS="$W/pki/test-roots" \
	"$BIN" verify-evidence --platform tdx --td-quote "$W/q5.bin"
t_exit 6 "ATTESTGATE_ROOTS naming the test roots trusts nothing either" env ATTESTGATE_ROOTS="$W/pki/test-roots" \
	"$BIN" verify-evidence --platform tdx --td-quote "$W/q5.bin"
flip "$W/q5.bin" 60 0x01 "$W/q5flip.bin"
t_exit 6 "emulated quote v5 with a flipped TD report bit: exit 6" ve --td-quote "$W/q5flip.bin" --insecure-test-roots "$W/pki/test-roots"
flip "$W/q5.bin" 48 0x01 "$W/q5type.bin"
t_exit 6 "emulated quote v5 with an unknown body type: exit 6" ve --td-quote "$W/q5type.bin" --insecure-test-roots "$W/pki/test-roots"
t_grep "the reason names the body type" 'body type' "$T_ERR"
t_done
