#!/usr/bin/env bash
# evidence_azure.sh - `attestgate evidence --platform azure-cvm` against the
# swtpm Azure-CVM rig (test/rig): the bundle is what the vTPM holds, the
# quote verifies with tpm2-tools, and every missing or broken piece fails
# with exit 3 (not there) or 6 (not right).  Each case gets its own swtpm.
set -u
. "$(dirname "$0")/../lib/tap.sh"
RIG=$REPO/test/rig/azure-cvm-rig.sh
W=$(mktemp -d)
RUNS=""
cleanup() { for r in $RUNS; do "$RIG" stop "$r" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT

for tool in swtpm tpm2_createak tpm2_checkquote; do
	if ! command -v "$tool" >/dev/null; then
		t_skip "azure-cvm evidence against swtpm" "$tool is missing (make deps installs swtpm and tpm2-tools)"; t_done; exit $?
	fi
done
if ! "$PY" -c 'import cryptography' 2>/dev/null; then
	t_skip "azure-cvm evidence against swtpm" "$PY has no cryptography module"; t_done; exit $?
fi
"$RIG" provision "$W/tpl" >/dev/null 2>"$W/prov.err" || { t_not_ok "the rig provisions a swtpm" "$(cat "$W/prov.err")"; t_done; exit 1; }
T=$W/tpl
NONCE=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

# rig NAME: a fresh swtpm from the template; sets TCTI.
rig() { TCTI=$("$RIG" start "$T" "$W/$1") || return 1; RUNS="$RUNS $W/$1"; export TPM2TOOLS_TCTI=$TCTI; }
ev() { "$BIN" evidence --platform azure-cvm --tcti "$TCTI" --eventlog "$W/no-eventlog" "$@"; }

rig ok
t_exit 0 "evidence is collected from the vTPM" ev --nonce "$NONCE" --out "$W/b"
for f in evidence.json hcl-report.bin ak-cert.der ak-pub.tpm quote.msg quote.sig pcrs.bin; do
	t_check "the bundle has $f" test -s "$W/b/$f"
done
t_check "tpm2_checkquote verifies the quote with the AK and the nonce" \
	bash -c "tpm2_checkquote -u '$T/akpub.pem' -m '$W/b/quote.msg' -s '$W/b/quote.sig' -q $NONCE -g sha256 >/dev/null"
t_check "tpm2_checkquote refuses another nonce" \
	bash -c "! tpm2_checkquote -u '$T/akpub.pem' -m '$W/b/quote.msg' -s '$W/b/quote.sig' -q ${NONCE%??}00 -g sha256 >/dev/null 2>&1"
t_check "hcl-report.bin is byte-identical to what the rig wrote" cmp "$W/b/hcl-report.bin" "$T/hcl-report.bin"
t_check "ak-cert.der is the rig's AK certificate" cmp "$W/b/ak-cert.der" "$T/ak-cert.der"
tpm2_pcrread sha256:all -o "$W/pcrread.bin" >/dev/null
t_check "pcrs.bin matches tpm2_pcrread" cmp "$W/b/pcrs.bin" "$W/pcrread.bin"
t_check "the PCRs are not all zero (the rig measured a boot)" bash -c "! cmp -s '$W/b/pcrs.bin' <(head -c 768 /dev/zero)"
t_jq "evidence.json names platform, report type and nonce" \
	".platform == \"azure-cvm\" and .reportType == \"snp\" and .nonce == \"$NONCE\" and .eventlog == \"absent\"" "$W/b/evidence.json"
t_check "evidence.json lists every file with its SHA-256" bash -c "cd '$W/b' && jq -r '.files[] | .sha256 + \"  \" + .name' evidence.json | sha256sum -c --quiet"
t_check "the bundle files are read-only" test "$(stat -c %a "$W/b/quote.msg")" = 444

printf 'fake event log' >"$W/eventlog"
t_exit 0 "without --nonce a random one is drawn, and the event log is kept" \
	"$BIN" evidence --platform azure-cvm --tcti "$TCTI" --eventlog "$W/eventlog" --out "$W/b2"
t_jq "the drawn nonce is 32 bytes" '.nonce | test("^[0-9a-f]{64}$")' "$W/b2/evidence.json"
t_jq "the event log is recorded as present" '.eventlog == "present"' "$W/b2/evidence.json"
t_check "eventlog.bin is the event log" cmp "$W/b2/eventlog.bin" "$W/eventlog"
t_exit 0 "--platform auto finds the Azure CVM vTPM" "$BIN" evidence --tcti "$TCTI" --out "$W/b3"
t_jq "auto chose azure-cvm" '.platform == "azure-cvm"' "$W/b3/evidence.json"

# Fresh report: without a paravisor nobody regenerates the report; the deadline ends the wait.
t_exit 3 "--fresh-report without a paravisor: exit 3 at the deadline" ev --nonce "$NONCE" --fresh-report --timeout 1s --out "$W/fr"
t_grep "the message says the report was not refreshed" 'paravisor did not refresh the HCL report' "$T_ERR"
tpm2_nvread 0x01400002 -C o -o "$W/ud.bin" >/dev/null 2>&1
t_check "the user data was written to 0x01400002 (64 bytes, nonce first)" \
	bash -c "[ \$(stat -c %s '$W/ud.bin') = 64 ] && [ \$(head -c 32 '$W/ud.bin' | od -An -v -tx1 | tr -d ' \n') = $NONCE ]"
t_check "no bundle was written" test ! -e "$W/fr/evidence.json"

# Failure paths.
t_exit 3 "no TPM device: exit 3" "$BIN" evidence --platform azure-cvm --tcti device:"$W/no/tpmrm0" --out "$W/x"
t_grep "the message names the device and what the pod needs" "TPM device $W/no/tpmrm0 does not exist: .*mount /dev/tpmrm0" "$T_ERR"
# A device node the gate's user may not open (as root, checked as nobody).
U=$(mktemp /tmp/ag-unreadable.XXXXXX); chmod 000 "$U"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	t_exit 3 "a TPM device the gate may not open: exit 3" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$BIN" evidence --platform azure-cvm --tcti device:"$U" --out /nonexistent/x
else
	t_exit 3 "a TPM device the gate may not open: exit 3" "$BIN" evidence --platform azure-cvm --tcti device:"$U" --out "$W/x"
fi
t_grep "the message says permission denied and what the pod needs" "permission denied on TPM device $U \\(owner 0, group 0, mode 000.*privileged" "$T_ERR"
t_grep "the message names the device-plugin fixes (issue 18: 7)" 'add group 0 to the pod.s securityContext.supplementalGroups, or enable containerd.s device_ownership_from_security_context' "$T_ERR"
rm -f "$U"
t_exit 3 "no swtpm listening: exit 3" "$BIN" evidence --platform azure-cvm --tcti swtpm:path="$W/none.sock" --out "$W/x"
t_exit 2 "an unknown TCTI: exit 2" "$BIN" evidence --platform azure-cvm --tcti mssim:port=1 --out "$W/x"
t_exit 2 "a bad nonce: exit 2" ev --nonce abc --out "$W/x"

rig noak; "$RIG" remove "$W/noak" ak
t_exit 3 "AK missing: exit 3" ev --out "$W/x"
t_grep "the message names the AK handle" 'attestation key \(handle 0x81000003\) .* does not exist' "$T_ERR"
rig nohcl; "$RIG" remove "$W/nohcl" hcl
t_exit 3 "HCL index missing: exit 3" ev --out "$W/x"
t_grep "the message says there is no HCL report" 'no HCL report: NV index 0x01400001 .*does not exist' "$T_ERR"
rig nocert; "$RIG" remove "$W/nocert" akcert
t_exit 3 "AK certificate missing: exit 3" ev --out "$W/x"
t_grep "the message names the AK certificate index" '0x01c101d0' "$T_ERR"

rig broken
"$PY" -c "import sys; b=bytearray(open('$T/hcl-report.bin','rb').read()); b[0x4D4+5]^=1; open('$W/broken.bin','wb').write(b)"
tpm2_nvwrite 0x01400001 -C o -i "$W/broken.bin"
t_exit 6 "an HCL report whose binding is broken: exit 6" ev --out "$W/x"
t_grep "the message says binding mismatch" 'binding mismatch' "$T_ERR"
"$PY" -c "b=bytearray(open('$T/hcl-report.bin','rb').read()); b[0:4]=b'XXXX'; open('$W/magic.bin','wb').write(b)"
tpm2_nvwrite 0x01400001 -C o -i "$W/magic.bin"
t_exit 6 "an HCL report with the wrong magic: exit 6" ev --out "$W/x"
t_check "no bundle is written for invalid evidence" test ! -e "$W/x/evidence.json"

other=$SHARED/vectors/azure-cvm/hcl-reports/kinvolk-azsnp-hcl-report-2048.bin
if [ -f "$other" ]; then
	rig otherak
	tpm2_nvwrite 0x01400001 -C o -i "$other"
	t_exit 6 "an HCL report that binds another AK: exit 6" ev --out "$W/x"
	t_grep "the message says the AK is not the bound one" 'is not the HCLAkPub bound in the HCL report' "$T_ERR"
else
	t_skip "an HCL report that binds another AK" "../shared/vectors is not present"
	t_skip "the message says the AK is not the bound one" "../shared/vectors is not present"
fi
t_done
