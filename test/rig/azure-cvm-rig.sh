#!/usr/bin/env bash
# azure-cvm-rig.sh - turns a fresh swtpm (a real TPM 2.0, libtpms) into an
# Azure-CVM-like vTPM for tests and the demo.  Test code only.
#
#   azure-cvm-rig.sh provision TEMPLATE [--tdx]
#                                         build once: EK, restricted RSA-2048 AK
#                                         at 0x81000003, AK certificate (test CA)
#                                         at 0x01C101D0, HCL report at 0x01400001
#                                         (SEV-SNP, or with --tdx a TDREPORT whose
#                                         TD quote the test IMDS makes)
#   azure-cvm-rig.sh start TEMPLATE RUN   copy the state, start a swtpm on
#                                         RUN/tpm.sock, measure a boot into it
#                                         (RUN/eventlog.bin), print the --tcti value
#   azure-cvm-rig.sh remove RUN ak|hcl|akcert   take one piece away (failure tests)
#   azure-cvm-rig.sh stop RUN             stop that swtpm
#
# The TEMPLATE directory also keeps what was written (hcl-report.bin,
# ak-cert.der, akpub.pem, vtpm-ca.pem, vcek-chain.pem) for comparisons.
# swtpm has no resource manager: every step flushes what it loaded.
set -eu
PY=${AG_PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)

swtpm_start() { # STATE SOCK
	rm -f "$2" "$2.ctrl" "$2.pid"
	swtpm socket --tpm2 --tpmstate dir="$1" --server type=unixio,path="$2" --ctrl type=unixio,path="$2.ctrl" \
		--flags not-need-init,startup-clear --pid file="$2.pid" --log file="$1/../swtpm.log" -d
	for _ in $(seq 1 100); do [ -S "$2" ] && [ -s "$2.pid" ] && return 0; sleep 0.01; done
	echo "azure-cvm-rig: swtpm did not start (see $1/../swtpm.log)" >&2
	return 1
}
swtpm_stop() { # SOCK
	[ -f "$1.pid" ] || return 0
	local pid; pid=$(cat "$1.pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
	rm -f "$1.pid"
}
flush() { tpm2_flushcontext -t; tpm2_flushcontext -s; tpm2_flushcontext -l; }
nv_put() { # INDEX FILE
	tpm2_nvdefine "$1" -C o -s "$(stat -c %s "$2")" -a "ownerread|ownerwrite|authread|authwrite|no_da" >/dev/null
	tpm2_nvwrite "$1" -C o -i "$2"
}

cmd=${1:-}
case $cmd in
provision)
	t=$(mkdir -p "$2" && cd "$2" && pwd)
	rm -rf "$t/state" && mkdir -p "$t/state"
	swtpm_start "$t/state" "$t/prov.sock"
	trap 'swtpm_stop "$t/prov.sock"' EXIT
	export TPM2TOOLS_TCTI="swtpm:path=$t/prov.sock"
	(
		cd "$t"
		tpm2_createek -c ek.ctx -G rsa -u ek.pub >/dev/null && flush
		tpm2_createak -C ek.ctx -c ak.ctx -G rsa -g sha256 -s rsassa -u ak.pub -n ak.name >/dev/null && flush
		tpm2_evictcontrol -c ak.ctx 0x81000003 >/dev/null && flush
		tpm2_readpublic -c 0x81000003 -f pem -o akpub.pem >/dev/null
		rm -f ek.ctx ak.ctx ak.name
	)
	"$PY" "$HERE/make_azure_evidence.py" "$t" ${3:-}
	nv_put 0x01C101D0 "$t/ak-cert.der"
	nv_put 0x01400001 "$t/hcl-report.bin"
	;;
start)
	t=$(cd "$2" && pwd)
	r=$(mkdir -p "$3" && cd "$3" && pwd)
	rm -rf "$r/state" && cp -r "$t/state" "$r/state"
	swtpm_start "$r/state" "$r/tpm.sock"
	# A measured boot (PCRs are volatile): the event log RUN/eventlog.bin replays to these PCRs.
	mapfile -t specs < <("$PY" "$HERE/make_eventlog.py" "$r/eventlog.bin")
	TPM2TOOLS_TCTI="swtpm:path=$r/tpm.sock" tpm2_pcrextend "${specs[@]}"
	echo "swtpm:path=$r/tpm.sock"
	;;
remove)
	r=$(cd "$2" && pwd)
	export TPM2TOOLS_TCTI="swtpm:path=$r/tpm.sock"
	case $3 in
	ak) tpm2_evictcontrol -C o -c 0x81000003 >/dev/null ;;
	hcl) tpm2_nvundefine -C o 0x01400001 ;;
	akcert) tpm2_nvundefine -C o 0x01C101D0 ;;
	*) echo "azure-cvm-rig: remove ak|hcl|akcert" >&2; exit 2 ;;
	esac
	flush
	;;
stop)
	swtpm_stop "$(cd "$2" && pwd)/tpm.sock"
	;;
*)
	sed -n '2,16p' "$0" >&2
	exit 2
	;;
esac
