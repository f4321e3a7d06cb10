#!/usr/bin/env bash
# tee_guest.sh - `attestgate evidence` in SEV-SNP and TDX guests, against
# the emulations of test/emul: configfs-tsm over FUSE (entry created and
# removed, generation conflicts retried, provider checked), /dev/sev-guest
# through the ioctl shim (cert buffer grown, no extended reports), kata-cc
# with the UVM security context; then `verify-evidence --in` on each bundle,
# which accepts the test chain only with --insecure-test-roots.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/emul.sh"
. "$(dirname "$0")/../lib/services.sh"
W=$(mktemp -d)
trap 'emul_cleanup; svc_cleanup; rm -rf "$W"' EXIT
emul_pki "$W/pki" >/dev/null
TR=$W/pki/test-roots
NONCE=0badc0de00112233
ev() { "$BIN" evidence --tcti device:"$W/no-tpm" --tsm-root "${TSM:-$W/no-tsm}" --sev-guest "$W/no-sev-guest" "$@"; }
evm() { TSM="$M" ev "$@"; }

t_exit 3 "no TEE interface at all: exit 3" ev --platform auto --out "$W/none"
t_grep "the reason lists what was checked" 'no TEE evidence source found.*configfs-tsm.*no-sev-guest' "$T_ERR"
t_exit 3 "sev-snp without configfs-tsm or sev-guest: exit 3" ev --platform sev-snp --out "$W/none"
t_grep "the reason names both interfaces" 'neither configfs-tsm .* nor .*no-sev-guest' "$T_ERR"
t_exit 3 "tdx without configfs-tsm: exit 3" ev --platform tdx --out "$W/none"

# /dev/sev-guest through the ioctl shim.
if [ ! -f "$EMUL_SHIM" ]; then
	t_skip "sev-guest ioctl emulation" "the shim $EMUL_SHIM is not built (make test builds it)"
elif ! emul_preload_ok "$BIN"; then
	t_skip "sev-guest ioctl emulation" "$BIN is statically linked: the LD_PRELOAD shim cannot reach it"
else
	D=$W/sev-guest
	t_exit 0 "sev-guest: extended report with the host's cert table" emul_sev_guest "$W/pki" "$D" env AG_EMUL_LOG="$W/ioctl.log" AG_EMUL_CERTS_PAD=6000 \
		"$BIN" evidence --platform sev-snp --tsm-root "$W/no-tsm" --sev-guest "$D" --nonce $NONCE --out "$W/b-ioctl"
	t_grep "sev-guest: the cert buffer grew to what the host asked for" 'certs_len=4096 need=12288' "$W/ioctl.log"
	t_grep "sev-guest: the second request had room" 'certs_len=12288 need=12288' "$W/ioctl.log"
	t_jq "sev-guest: the bundle has the report and the cert table" '[.files[].name] == ["snp-report.bin", "certs.bin", "runtime-data.json"] and .platform == "sev-snp"' "$W/b-ioctl/evidence.json"
	t_exit 6 "sev-guest bundle: the test chain is refused by default" "$BIN" verify-evidence --in "$W/b-ioctl"
	t_grep "the reason is the pin" 'not a pinned AMD ARK' "$T_ERR"
	t_exit 0 "sev-guest bundle verifies with --insecure-test-roots" "$BIN" verify-evidence --in "$W/b-ioctl" --insecure-test-roots "$TR"
	t_jq "sev-guest bundle: the report binds the runtime data with the nonce" '.["x-ms-runtime"].nonce == "0badc0de00112233"' "$T_OUT"
	t_exit 0 "sev-guest without extended reports: a plain report" emul_sev_guest "$W/pki" "$D" env AG_EMUL_NO_EXT=1 \
		"$BIN" evidence --platform sev-snp --tsm-root "$W/no-tsm" --sev-guest "$D" --nonce $NONCE --out "$W/b-plain"
	t_jq "sev-guest plain: no cert table in the bundle" '[.files[].name] == ["snp-report.bin", "runtime-data.json"]' "$W/b-plain/evidence.json"
	t_exit 3 "sev-guest plain bundle without certificates: exit 3 (incomplete, issue 18: 17)" "$BIN" verify-evidence --in "$W/b-plain" --insecure-test-roots "$TR"
	t_grep "the message says where to get one" 'pass it with --certs, or let attestgate fetch it \(--cert-cache DIR, THIM on Azure, --amd-kds-url' "$T_ERR"
	t_exit 0 "sev-guest plain bundle with --certs (VCEK) verifies" "$BIN" verify-evidence --in "$W/b-plain" --certs "$W/pki/vcek.der" \
		--roots "$W/pki" --insecure-test-roots "$TR"
	# Without certificates in the evidence: AMD KDS (here the test service's), and the cache it fills.
	if svc_have_python && svc_pki "$W/svcpki" >/dev/null && svc_maa "$W/svc" "$W/svcpki" --tee "$W/pki"; then
		t_exit 0 "KDS: the report verifies with the VCEK and chain from KDS" "$BIN" verify-evidence --in "$W/b-plain" \
			--amd-kds-url "$MAA_URL" --ca-file "$W/svcpki/ca.pem" --cert-cache "$W/cache" --insecure-test-roots "$TR"
		t_grep "KDS: asked for this chip's VCEK at its TCB" 'GET /vcek/v1/Milan/[0-9a-f]{128}\?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115 200' "$W/svc/requests.log"
		t_check "KDS: the verified chain was cached" test -s "$(ls "$W"/cache/vcek-*.pem 2>/dev/null | head -1)"
		t_exit 0 "cache: the report verifies from the cache alone" "$BIN" verify-evidence --in "$W/b-plain" --cert-cache "$W/cache" \
			--insecure-test-roots "$TR"
		n=$(grep -c "GET /vcek/v1/Milan/[0-9a-f]*?" "$W/svc/requests.log"); t_check "cache: KDS was asked once" test "${n:-0}" = 1
		t_exit 6 "KDS: a chain under a root that is not pinned is refused" "$BIN" verify-evidence --in "$W/b-plain" \
			--amd-kds-url "$MAA_URL" --ca-file "$W/svcpki/ca.pem"
	else
		t_skip "AMD KDS and the certificate cache" "the test service cannot run here"
	fi
fi

if ! emul_fuse_ok; then
	t_skip "configfs-tsm emulation" "FUSE (/dev/fuse) or python3-fusepy is not available here"
	t_done; exit
fi
M=$W/tsm
if ! emul_tsmfs "$W/pki" "$M" sev_guest; then
	t_skip "configfs-tsm emulation" "the FUSE mount did not come up (no privilege to mount?)"
	t_done; exit
fi
t_exit 0 "configfs-tsm (sev_guest): evidence collected" "$BIN" evidence --platform sev-snp --tsm-root "$M" --nonce $NONCE --out "$W/b-tsm"
t_jq "configfs-tsm: report and auxblob cert table in the bundle" '[.files[].name] == ["snp-report.bin", "certs.bin", "runtime-data.json"]' "$W/b-tsm/evidence.json"
t_check "configfs-tsm: the report entry was removed" test -z "$(ls -A "$M")"
t_exit 0 "configfs-tsm bundle verifies with --insecure-test-roots" "$BIN" verify-evidence --in "$W/b-tsm" --insecure-test-roots "$TR"
t_jq "configfs-tsm bundle: the report binds the runtime data with the nonce" '.["x-ms-runtime"].nonce == "0badc0de00112233"' "$T_OUT"
# Issue 17 finding 7: --nonce with --in is checked against the hardware-bound value, not evidence.json.
t_exit 0 "bundle with the right --nonce verifies" "$BIN" verify-evidence --in "$W/b-tsm" --insecure-test-roots "$TR" --nonce 0badc0de00112233
t_exit 6 "bundle with another --nonce: exit 6" "$BIN" verify-evidence --in "$W/b-tsm" --insecure-test-roots "$TR" --nonce 0badc0de00112234
t_grep "bundle with another --nonce: the reason is the binding" 'does not carry this request.s nonce' "$T_ERR"
t_exit 2 "bundle with a --nonce that is not hex: exit 2" "$BIN" verify-evidence --in "$W/b-tsm" --insecure-test-roots "$TR" --nonce zz
# Issue 17 finding 5: AMD's CRL (signed by the ARK) for the ASK.
"$PY" "$EMUL_PY" crl "$W/pki" amd-ark >"$W/ark.crl"; "$PY" "$EMUL_PY" crl "$W/pki" amd-ark revoke >"$W/ark-revoked.crl"
t_exit 0 "AMD CRL that revokes nothing: exit 0" "$BIN" verify-evidence --in "$W/b-tsm" --insecure-test-roots "$TR" --crl "$W/ark.crl"
t_exit 6 "AMD CRL revoking the ASK: exit 6" "$BIN" verify-evidence --in "$W/b-tsm" --insecure-test-roots "$TR" --crl "$W/ark-revoked.crl"
t_grep "the reason names the ASK" 'TEST-ASK-NOT-AMD is revoked by the CRL of TEST-ARK-NOT-AMD' "$T_ERR"
t_exit 0 "auto finds configfs-tsm when there is no vTPM" evm --platform auto --nonce $NONCE --out "$W/b-auto"
t_jq "auto: the platform is sev-snp" '.platform == "sev-snp"' "$W/b-auto/evidence.json"
cp -r "$W/b-tsm" "$W/b-altered"; chmod u+w "$W/b-altered/snp-report.bin"; printf '\1' | dd of="$W/b-altered/snp-report.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
t_exit 2 "a bundle whose report was changed after the fact: exit 2" "$BIN" verify-evidence --in "$W/b-altered" --insecure-test-roots "$TR"
t_grep "the reason says the bundle was altered" 'does not match evidence.json' "$T_ERR"
t_exit 6 "the report checked against another nonce: exit 6" "$BIN" verify-evidence --platform sev-snp --snp-report "$W/b-tsm/snp-report.bin" \
	--certs "$W/b-tsm/certs.bin" --insecure-test-roots "$TR" --nonce 0badc0de00112234
t_grep "the reason is the binding" 'REPORT_DATA is not the nonce' "$T_ERR"
t_exit 6 "the runtime data with another nonce: exit 6" "$BIN" verify-evidence --platform sev-snp --snp-report "$W/b-tsm/snp-report.bin" \
	--runtime-data "$W/b-tsm/runtime-data.json" --certs "$W/b-tsm/certs.bin" --insecure-test-roots "$TR" --nonce 0badc0de00112234
t_grep "the reason is the nonce" "does not carry this request's nonce" "$T_ERR"

# kata-cc: runtime data with the nonce, REPORT_DATA = its SHA-256, the UVM's security context.
mkdir -p "$W/uvm"
cp "$W/pki/host-amd-cert-base64" "$W/uvm/host-amd-cert-base64"
if [ -f "$SHARED/vectors/kata-cc/security-context-example/reference-info-base64" ]; then
	cp "$SHARED/vectors/kata-cc/security-context-example/reference-info-base64" "$W/uvm/"
else
	echo "0oRZ" >"$W/uvm/reference-info-base64"
fi
t_exit 0 "kata-cc: evidence with the UVM security context" "$BIN" evidence --platform azure-kata-cc --tsm-root "$M" \
	--uvm-security-context-dir "$W/uvm" --nonce $NONCE --out "$W/b-kata"
t_jq "kata-cc: report, UVM reference info, host certificates, runtime data" \
	'([.files[].name] | sort) == (["snp-report.bin", "certs.bin", "runtime-data.json", "uvm-reference-info.b64", "host-amd-cert.b64", "vcek-chain.pem"] | sort)' "$W/b-kata/evidence.json"
t_jq "kata-cc: the runtime data carries the nonce" '.nonce == "0badc0de00112233"' "$W/b-kata/runtime-data.json"
t_exit 0 "kata-cc bundle verifies: REPORT_DATA = SHA-256(runtime data)" "$BIN" verify-evidence --in "$W/b-kata" --insecure-test-roots "$TR"
t_jq "kata-cc claims: x-ms-runtime holds the nonce" '.["x-ms-runtime"].nonce == "0badc0de00112233" and .["x-ms-attestation-type"] == "sevsnpvm"' "$T_OUT"
printf '{"nonce":"0badc0de00112233","x":1}' >"$W/other-runtime.json"
t_exit 6 "kata-cc: runtime data that the report does not bind: exit 6" "$BIN" verify-evidence --platform azure-kata-cc \
	--snp-report "$W/b-kata/snp-report.bin" --runtime-data "$W/other-runtime.json" --certs "$W/b-kata/vcek-chain.pem" --insecure-test-roots "$TR"
t_grep "the reason is the binding" 'SHA-256 of the runtime data' "$T_ERR"
t_exit 6 "kata-cc: the right runtime data but another nonce: exit 6" "$BIN" verify-evidence --platform azure-kata-cc \
	--snp-report "$W/b-kata/snp-report.bin" --runtime-data "$W/b-kata/runtime-data.json" --certs "$W/b-kata/vcek-chain.pem" \
	--insecure-test-roots "$TR" --nonce 0badc0de00112234
t_grep "the reason is the nonce" "does not carry this request's nonce" "$T_ERR"
echo "not base64 !!" >"$W/uvm/host-amd-cert-base64"
t_exit 6 "kata-cc: an unreadable host-amd-cert-base64: exit 6" "$BIN" evidence --platform azure-kata-cc --tsm-root "$M" \
	--uvm-security-context-dir "$W/uvm" --out "$W/b-kata2"
t_check "the report entry was removed after the failure too" test -z "$(ls -A "$M")"
emul_unmount "$M"

# Another writer changes the entry: retried, and given up after three attempts.
emul_tsmfs "$W/pki" "$M" sev_guest --conflicts 2
t_exit 0 "configfs-tsm: two concurrent writes are retried" "$BIN" evidence --platform sev-snp --tsm-root "$M" --nonce $NONCE --out "$W/b-retry"
emul_unmount "$M"
emul_tsmfs "$W/pki" "$M" sev_guest --conflicts 9
t_exit 3 "configfs-tsm: a writer that never stops: exit 3" "$BIN" evidence --platform sev-snp --tsm-root "$M" --out "$W/b-busy"
t_grep "the reason names the other writer" 'another writer kept changing' "$T_ERR"
t_check "no entry is left behind" test -z "$(ls -A "$M")"
emul_unmount "$M"
emul_tsmfs "$W/pki" "$M" sev_guest --no-auxblob
t_exit 0 "configfs-tsm without auxblob: the report alone" "$BIN" evidence --platform sev-snp --tsm-root "$M" --nonce $NONCE --out "$W/b-noaux"
t_jq "no auxblob: no cert table in the bundle" '[.files[].name] == ["snp-report.bin", "runtime-data.json"]' "$W/b-noaux/evidence.json"
emul_unmount "$M"

# TDX through configfs-tsm.
emul_tsmfs "$W/pki" "$M" tdx_guest
t_exit 0 "configfs-tsm (tdx_guest): auto collects a TD quote" evm --platform auto --nonce $NONCE --out "$W/b-tdx"
t_jq "tdx: the bundle holds the quote and the runtime data" '.platform == "tdx" and [.files[].name] == ["td-quote.bin", "runtime-data.json"]' "$W/b-tdx/evidence.json"
t_exit 6 "tdx bundle: the test chain is refused by default" "$BIN" verify-evidence --in "$W/b-tdx"
t_exit 0 "tdx bundle verifies with --insecure-test-roots" "$BIN" verify-evidence --in "$W/b-tdx" --insecure-test-roots "$TR"
t_jq "tdx bundle: the quote binds the runtime data with the nonce" '.["x-ms-runtime"].nonce == "0badc0de00112233" and (.tdx_report_data | endswith("0000000000"))' "$T_OUT"
t_exit 3 "sev-snp asked of a TDX guest: exit 3, the provider named" "$BIN" evidence --platform sev-snp --tsm-root "$M" --out "$W/b-wrong"
t_grep "the reason names the provider" 'provider is tdx_guest' "$T_ERR"
emul_unmount "$M"
t_done
