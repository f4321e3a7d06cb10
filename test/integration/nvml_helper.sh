#!/usr/bin/env bash
# nvml_helper.sh - attestgate-nvml (cmd/attestgate-nvml, the NVML helper)
# against the emulated libnvidia-ml.so.1 (test/emul/nvml_emul.c) with a test
# CA (test/emul/nvml_test_ca.sh): the JSON shape, the nonce in the signed
# report, the ECDSA P-384 signature with the leaf key of the served chain
# (python3 + cryptography), a flipped byte, and each refusal (CC off,
# devtools, no GPU, unknown arch, failing report call, bad nonce, missing or
# wrong library), and the helper under valgrind (no leaks, no errors).
# The helper and the emulation are built by make check / make test.
set -u
. "$(dirname "$0")/../lib/tap.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
helper=${AG_NVML_HELPER:-$REPO/build/attestgate-nvml}
emul_lib=${AG_NVML_EMUL:-$REPO/build/emul/libnvidia-ml.so.1}
if [ ! -x "$helper" ] || [ ! -f "$emul_lib" ]; then
	t_skip "NVML helper" "build/attestgate-nvml or the emulated NVML is not built (make check builds them)"
	t_done; exit $?
fi
[ -f "$SHARED/vectors/nvidia/nvtrust-2023-hopper-545/attestationReport.bin" ] ||
	{ t_skip "NVML helper" "../shared/vectors/nvidia is not present (the emulation's template report)"; t_done; exit $?; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
test/emul/nvml_test_ca.sh "$tmp/ca" "$SHARED/vectors/nvidia/nvtrust-2023-hopper-545/attestationReport.bin" >/dev/null
nonce=$("$PY" -c 'import os; print(os.urandom(32).hex())')

ok() { t_ok "$1"; }
notok() { t_not_ok "$1"; }

# mkcase NAME: a fresh copy of the CA directory as an emulation directory
mkcase() {
	rm -rf "${tmp:?}/$1"
	cp -R "$tmp/ca" "$tmp/$1"
	echo "$tmp/$1"
}

# run DIR ARGS...: runs the helper on emulation DIR with AG_NVML_LIB=$lib;
# sets rc, output in $tmp/out and $tmp/err
lib=$emul_lib
run() {
	d=$1
	shift
	AG_NVML_EMUL_DIR=$d AG_NVML_LIB=$lib "$helper" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# refused NAME PATTERN: the last run failed with empty stdout and one stderr line matching PATTERN
refused() {
	if [ "$rc" -ne 0 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
		grep -q -- "$2" "$tmp/err"; then
		ok "$1 (exit $rc: $(cat "$tmp/err"))"
	else
		notok "$1 (exit $rc, stdout $(wc -c <"$tmp/out") bytes, stderr: $(cat "$tmp/err"))"
	fi
}

# check EXPECT COUNT [FLIP]: python checks of $tmp/out (EXPECT good|badsig|recorded;
# FLIP the byte offset flipped after signing)
check() {
	"$PY" "$tmp/check.py" "$tmp/out" "$nonce" "$1" "$2" "$tmp/ca/gpu0.template.bin" "${3:--1}" >"$tmp/report"
	t_report "$tmp/report" "check.py ($1)"
}

cat >"$tmp/check.py" <<'EOF'
import base64, binascii, json, sys
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

path, nonce_hex, expect, count, template, flip = sys.argv[1:7]
flip = int(flip)
nonce, count, bad = bytes.fromhex(nonce_hex), int(count), 0

def report(cond, what):
    global bad
    print(("ok\t" if cond else "not ok\t") + what + ("" if cond else "\tthe check failed"))
    bad += 0 if cond else 1

try:
    doc = json.load(open(path))
except ValueError as e:
    report(False, f"{expect}: stdout is one JSON document ({e})")
    print("done")
    sys.exit(1)
report(isinstance(doc, list) and len(doc) == count, f"{expect}: JSON list with {count} entr{'y' if count == 1 else 'ies'}")
keys = {"arch", "nonce", "evidence", "certificate", "driver_version", "vbios_version", "uuid", "index"}
for i, e in enumerate(doc if isinstance(doc, list) else []):
    tag = f"{expect}: gpu {i}"
    report(set(e) == keys, f"{tag}: exactly the fields {sorted(keys)}")
    report(e.get("arch") == "HOPPER" and e.get("index") == i, f"{tag}: arch HOPPER, index {i}")
    report(e.get("nonce") == nonce_hex, f"{tag}: nonce field is the caller's nonce, lowercase hex")
    report(e.get("driver_version") == "545.00" and e.get("vbios_version") == "96.00.5E.00.01",
           f"{tag}: driver/vbios from the template ({e.get('driver_version')}, {e.get('vbios_version')})")
    report(str(e.get("uuid", "")).startswith("GPU-"), f"{tag}: uuid {e.get('uuid')}")
    try:
        ev = base64.b64decode(e["evidence"], validate=True)
        pem = base64.b64decode(e["certificate"], validate=True)
    except (binascii.Error, KeyError, TypeError) as err:
        report(False, f"{tag}: evidence and certificate are base64 ({err})")
        continue
    report(len(ev) > 37 + 96 and ev[0] == 0x11 and ev[1] == 0xE0, f"{tag}: evidence decodes ({len(ev)} bytes, SPDM request)")
    end = b"-----END CERTIFICATE-----"
    chain = [x509.load_pem_x509_certificate(b + end) for b in pem.split(end) if b.strip()]
    cns = [c.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value for c in chain]
    report(len(chain) == 5 and cns[0] == "GH100 A01 GSP FMC LF"
           and cns[1] == "GH100 A01 GSP BROM"
           and cns[4] == "attestgate test NVIDIA Device Identity CA",
           f"{tag}: certificate is the 5-cert PEM test chain, leaf first, BROM at [1], root last")
    tmpl = bytearray(open(template, "rb").read())
    if 0 <= flip < len(tmpl) - 96:
        tmpl[flip] ^= 0x01
    if expect == "recorded":
        report(ev == tmpl, f"{tag}: evidence is the recorded template, verbatim")
        continue
    report(ev[4:36] == nonce, f"{tag}: report bytes 4..35 are the caller's nonce")
    report(ev[36:-96] == tmpl[36:-96], f"{tag}: the rest of the report is the template")
    sig = encode_dss_signature(int.from_bytes(ev[-96:-48], "big"), int.from_bytes(ev[-48:], "big"))
    try:
        chain[0].public_key().verify(sig, ev[:-96], ec.ECDSA(hashes.SHA384()))
        verified = True
    except InvalidSignature:
        verified = False
    if expect == "good":
        report(verified, f"{tag}: ECDSA P-384/SHA-384 signature over bytes[:-96] verifies with the leaf key")
    else:
        report(not verified, f"{tag}: signature does NOT verify after the flip")
print("done")
sys.exit(1 if bad else 0)
EOF

# 1. the good path
d=$(mkcase good)
run "$d" --nonce "$nonce"
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ]; then ok "good: exit 0, stderr empty"; else notok "good: exit $rc, stderr: $(cat "$tmp/err")"; fi
check good 1
cp "$tmp/out" "$tmp/good.json"

# 2. uppercase nonce accepted, JSON nonce lowercase; --lib beats AG_NVML_LIB
upper=$(echo "$nonce" | tr 'a-f' 'A-F')
lib=/nonexistent/libnvidia-ml.so.1
run "$d" --nonce "$upper" --lib "$emul_lib"
lib=$emul_lib
if [ "$rc" -eq 0 ]; then ok "--lib overrides AG_NVML_LIB; uppercase nonce accepted"; else notok "--lib / uppercase nonce: exit $rc: $(cat "$tmp/err")"; fi
check good 1

# 3. two GPUs
d=$(mkcase two)
for f in key.pem chain.pem template.bin; do cp "$d/gpu0.$f" "$d/gpu1.$f"; done
echo 2 >"$d/count"
run "$d" --nonce "$nonce"
check good 2

# 4. flipped bytes: in the measurement record, and in the signature itself
for off in 100 4048; do
	d=$(mkcase "flip$off")
	echo "$off" >"$d/gpu0.flip"
	run "$d" --nonce "$nonce"
	check badsig 1 "$off"
done

# 5. recorded template served verbatim
d=$(mkcase recorded)
: >"$d/gpu0.recorded"
run "$d" --nonce "$nonce"
check recorded 1

# 6. refusals
d=$(mkcase ccoff); : >"$d/cc_off"
run "$d" --nonce "$nonce"; refused "cc_off refused" "confidential computing is not enabled"
d=$(mkcase devtools); : >"$d/devtools"
run "$d" --nonce "$nonce"; refused "devtools mode refused" "devtools mode"
d=$(mkcase nogpu); echo 0 >"$d/count"
run "$d" --nonce "$nonce"; refused "no GPU refused" "sees no GPU"
d=$(mkcase arch); echo 7 >"$d/gpu0.arch"
run "$d" --nonce "$nonce"; refused "unsupported architecture 7 refused" "architecture 7"
d=$(mkcase failreport); : >"$d/fail_report"
run "$d" --nonce "$nonce"; refused "fail_report refused with nvmlErrorString" "nvmlDeviceGetConfComputeGpuAttestationReport failed: Unknown Error (NVML error 999)"
d=$(mkcase nochain); rm "$d/gpu0.chain.pem"
run "$d" --nonce "$nonce"; refused "missing chain refused" "nvmlDeviceGetConfComputeGpuCertificate failed"
run "$tmp/good" --nonce "$(echo "$nonce" | cut -c2-)"; refused "63-hex-char nonce refused" "exactly 64 hex"
run "$tmp/good" --nonce "$(echo "$nonce" | cut -c2-)g"; refused "non-hex nonce refused" "exactly 64 hex"
run "$tmp/good"; refused "missing --nonce refused" "--nonce is required"
run "$tmp/good" --nonce "$nonce" --bogus; refused "unknown argument refused" "unknown"
lib=$tmp/missing/libnvidia-ml.so.1
run "$tmp/good" --nonce "$nonce"
refused "AG_NVML_LIB pointing to a missing file: clear error" "cannot load the NVML library: $tmp/missing/libnvidia-ml.so.1"
if [ "$rc" -eq 3 ]; then ok "missing library exits 3"; else notok "missing library exits $rc"; fi
crypto=$(ldd "$helper" | awk '/libcrypto/ { print $3 }')
lib=$crypto
run "$tmp/good" --nonce "$nonce"
refused "a library without the NVML symbols: clear error" "has no nvmlInit_v2"
lib=$emul_lib
run "" --nonce "$nonce"; refused "emulation not configured: nvmlInit_v2 error" "nvmlInit_v2 failed: Driver Not Loaded"

# 7. valgrind: the good path (helper + emulation) and two error paths, no leaks or errors
if [ "${NO_VALGRIND:-0}" != 1 ] && command -v valgrind >/dev/null 2>&1; then
	# each case: DIR:LABEL:EXPECTED-EXIT ARGS...
	for c in "good:ok:0 --nonce $nonce" "ccoff:refused:5 --nonce $nonce" "good:bad-nonce:2 --nonce 00"; do
		# shellcheck disable=SC2086
		set -- $c
		what=${1%:*}
		dir=${1%%:*}
		want=${1##*:}
		shift
		AG_NVML_EMUL_DIR=$tmp/$dir AG_NVML_LIB=$emul_lib valgrind -q --leak-check=full \
			--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
			--error-exitcode=99 "$helper" "$@" >"$tmp/out" 2>"$tmp/vg"
		rc=$?
		if [ "$rc" -eq "$want" ] && ! grep -q '==[0-9]*==' "$tmp/vg"; then
			ok "valgrind clean: $what (exit $rc)"
		else
			notok "valgrind: $what (exit $rc): $(cat "$tmp/vg")"
		fi
	done
else
	t_skip "valgrind runs of the helper" "valgrind is not installed (make deps)"
fi
t_done
