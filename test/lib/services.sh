# services.sh - start and stop the test services (test PKI, MAA stand-in)
# from the shell suites.  Source after tap.sh; call svc_cleanup from the
# suite's EXIT trap.  Every service listens on loopback only.

SVC_PIDS=""
SVC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../services" && pwd)

# svc_have_python: true when the test services can run here.
svc_have_python() { "$PY" -c 'import cryptography' 2>/dev/null; }

# svc_pki DIR [NAME...]: test CA and server certificate for 127.0.0.1 (and the NAMEs).
svc_pki() { "$PY" "$SVC_DIR/testpki.py" "$@"; }

# svc_wait_port STATE PID TRIES NAME: registers the service for svc_cleanup and waits (TRIES x 50 ms) for
# STATE/port; says why and fails when it does not come.
svc_wait_port() {
	local state=$1 pid=$2 tries=$3 name=$4 i
	SVC_PIDS="$SVC_PIDS $pid"
	for i in $(seq 1 "$tries"); do
		[ -s "$state/port" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$state/port" ] && return 0
	echo "# $name did not start: $(cat "$state/stderr")"
	return 1
}

# svc_maa STATE PKI [ARGS...]: starts the MAA stand-in; sets MAA_URL, MAA_PID and (with --rig) THIM_URL.
svc_maa() {
	local state=$1 pki=$2; shift 2
	mkdir -p "$state"; rm -f "$state/port" "$state/thim-port" "$state/requests.log"
	"$PY" "$SVC_DIR/maa_service.py" --pki "$pki" --state "$state" "$@" 2>"$state/stderr" &
	MAA_PID=$!
	svc_wait_port "$state" "$MAA_PID" 200 maa_service || return 1
	MAA_URL="https://127.0.0.1:$(cat "$state/port")"
	THIM_URL=""
	[ -s "$state/thim-port" ] && THIM_URL="http://127.0.0.1:$(cat "$state/thim-port")"
	return 0
}

# svc_stop PID: stops one service.
svc_stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# svc_cleanup: stops every service this suite started.
svc_cleanup() { local p; for p in $SVC_PIDS; do kill "$p" 2>/dev/null; done; for p in $SVC_PIDS; do wait "$p" 2>/dev/null; done; }

# svc_akv STATE PKI CONFIG [ARGS...]: starts the Entra ID + Key Vault (Secure Key Release) stand-in
# (akv_service.py; ARGS: --maa-jwks FILE or --maa-url URL, [--fault NAME]).  Its TLS certificate is
# PKI's server.pem, which must name the config's vault_host: make PKI with
# `svc_pki DIR attestgate-test.vault.localhost`.  Sets AKV_URL (https://VAULT_HOST:PORT; curl and
# libcurl resolve *.localhost to loopback themselves), AKV_AUTHORITY (Entra ID, for
# AZURE_AUTHORITY_HOST), AKV_IMDS, AKV_PID and AKV_CA (the test PKI CA, for TLS, plus the
# service's own Key Vault root, for the release answer's x5c chain: the gate trusts this bundle).
svc_akv() {
	local state=$1 pki=$2 config=$3 port; shift 3
	mkdir -p "$state"; rm -f "$state/port" "$state/requests.log" "$state/last-release.json"
	"$PY" "$SVC_DIR/akv_service.py" --pki "$pki" --state "$state" --config "$config" "$@" 2>"$state/stderr" &
	AKV_PID=$!
	# Key generation (RSA) takes a moment: wait up to 20 s.
	svc_wait_port "$state" "$AKV_PID" 400 akv_service || return 1
	port=$(cat "$state/port")
	AKV_URL="https://$(cat "$state/vault-host"):$port"
	AKV_AUTHORITY="https://127.0.0.1:$port/"
	AKV_IMDS="https://127.0.0.1:$port"
	AKV_CA="$state/ca-bundle.pem"
	return 0
}

# svc_nvidia STATE PKI RIMS CA_DIR...: starts the NVIDIA RIM service + OCSP responder stand-in
# (nvidia_service.py); sets NV_URL (both on one HTTPS port: GET /v1/rim/ID, POST / for OCSP) and NV_PID.
svc_nvidia() {
	local state=$1 pki=$2 rims=$3 d args=(); shift 3
	for d in "$@"; do args+=(--ca "$d"); done
	mkdir -p "$state"; rm -f "$state/port" "$state/requests.log"
	"$PY" "$SVC_DIR/nvidia_service.py" --pki "$pki" --state "$state" --rims "$rims" "${args[@]}" 2>"$state/stderr" &
	NV_PID=$!
	svc_wait_port "$state" "$NV_PID" 200 nvidia_service || return 1
	NV_URL="https://127.0.0.1:$(cat "$state/port")"
}
