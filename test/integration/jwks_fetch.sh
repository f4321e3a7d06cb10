#!/usr/bin/env bash
# jwks_fetch.sh - signing keys come from <url>/certs of the pinned instance,
# over TLS checked against the CA given, with retries for what may heal and
# none for what will not, all inside the deadline.  Runs the MAA stand-in
# (test/services/maa_service.py) on loopback with a test CA.
set -u
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/services.sh"
W=$(mktemp -d)
trap 'svc_cleanup; rm -rf "$W"' EXIT

if ! svc_have_python; then
	t_skip "JWKS fetching over TLS" "$PY has no cryptography module (make deps installs python3-cryptography)"
	t_done; exit $?
fi
NONCE=n-1
svc_pki "$W/pki"
"$PY" "$REPO/test/services/jwt_forge.py" "$W/f" https://127.0.0.1:1 1767225600 "$NONCE" >/dev/null

# start NAME [SERVICE ARGS...]: a fresh service, and a token whose issuer is its URL.
start() {
	local name=$1; shift
	svc_maa "$W/$name" "$W/pki" --jwks "$W/f/jwks.json" "$@" || return 1
	mkdir -p "$W/f-$name"; cp -r "$W/f/keys" "$W/f-$name/"
	"$PY" "$REPO/test/services/jwt_forge.py" "$W/f-$name" "$MAA_URL" 1767225600 "$NONCE" >/dev/null
	TOK="$W/f-$name/tokens/good-rs256.jwt"
}
# vt [FLAGS...]: verify-token fetching the keys from the service.
vt() { "$BIN" verify-token --token "$TOK" --url "$MAA_URL" --at 2026-01-01T00:00:00Z "$@"; }
requests() { local n; n=$(grep -c "GET /certs" "$1/requests.log" 2>/dev/null); echo "${n:-0}"; }

start ok
t_exit 0 "keys are fetched from <url>/certs over TLS" vt --ca-file "$W/pki/ca.pem"
t_jq "the token verifies with them" ".iss == \"$MAA_URL\"" "$T_OUT"
t_grep "exactly one request, to /certs" '^[0-9.]+ GET /certs 200$' "$W/ok/requests.log"
# The trust anchor is never taken from the environment (issue 17, finding 6).
t_exit 4 "SSL_CERT_FILE naming the test CA does not make the server trusted" env SSL_CERT_FILE="$W/pki/ca.pem" \
	CURL_CA_BUNDLE="$W/pki/ca.pem" SSL_CERT_DIR="$W/pki" "$BIN" verify-token --token "$TOK" --url "$MAA_URL" \
	--at 2026-01-01T00:00:00Z
t_exit 4 "nor does ATTESTGATE_CA_FILE (--ca-file is command-line only)" env ATTESTGATE_CA_FILE="$W/pki/ca.pem" \
	"$BIN" verify-token --token "$TOK" --url "$MAA_URL" --at 2026-01-01T00:00:00Z
t_exit 4 "HTTPS_PROXY is honoured for HTTPS (a dead proxy: exit 4)" env -u NO_PROXY -u no_proxy HTTPS_PROXY=http://127.0.0.1:1 \
	"$BIN" verify-token --token "$TOK" --url "$MAA_URL" --at 2026-01-01T00:00:00Z --ca-file "$W/pki/ca.pem" --timeout 2s
t_exit 0 "NO_PROXY too (the same dead proxy, the host listed)" env HTTPS_PROXY=http://127.0.0.1:1 NO_PROXY=127.0.0.1 \
	"$BIN" verify-token --token "$TOK" --url "$MAA_URL" --at 2026-01-01T00:00:00Z --ca-file "$W/pki/ca.pem"
t_exit 4 "a server the CA bundle does not trust is refused" vt --ca-file "$W/pki/other-ca.pem"
t_grep "the message says it is the certificate" 'certificate' "$T_ERR"
t_exit 4 "the system bundle does not trust the test CA either" env -u SSL_CERT_FILE "$BIN" verify-token --token "$TOK" \
	--url "$MAA_URL" --at 2026-01-01T00:00:00Z
n_before=$(requests "$W/ok")

start flap --script 503,502,500
t_exit 0 "5xx answers are retried until the keys come" vt --ca-file "$W/pki/ca.pem" --timeout 20s
t_check "four requests were made" test "$(requests "$W/flap")" = 4

start ra --script 429+ra1
t_exit 0 "429 is retried" vt --ca-file "$W/pki/ca.pem" --timeout 20s
t_check "the retry waited for Retry-After: 1" awk 'NR==1{a=$1} NR==2{exit !($1 - a >= 0.95)}' "$W/ra/requests.log"

start ra-day --script 503+ra86400
s=$(date +%s%N)
t_exit 4 "Retry-After of a day: give up now, not hammer (exit 4)" vt --ca-file "$W/pki/ca.pem" --timeout 20s
e=$((($(date +%s%N) - s) / 1000000))
t_grep "the message says the server asked to wait past the deadline" 'retry after 86400 s, past the deadline' "$T_ERR"
t_check "one request only, at once ($e ms)" test "$(requests "$W/ra-day")" = 1 -a "$e" -le 3000

start ra-huge --script 503+ra99999999999999999999
t_exit 4 "an absurd Retry-After is a wait past the deadline too" vt --ca-file "$W/pki/ca.pem" --timeout 20s
t_check "one request only" test "$(requests "$W/ra-huge")" = 1

start 404 --script 404
t_exit 4 "a 404 is not retried" vt --ca-file "$W/pki/ca.pem" --timeout 20s
t_grep "the message names the URL and status" "$MAA_URL/certs answered HTTP 404" "$T_ERR"
t_check "one request only" test "$(requests "$W/404")" = 1

start down --script down
s=$(date +%s%N)
t_exit 4 "a verifier that drops every connection: exit 4" vt --ca-file "$W/pki/ca.pem" --timeout 2s
e=$((($(date +%s%N) - s) / 1000000))
t_grep "the message says the deadline passed" 'deadline' "$T_ERR"
t_check "it gave up within the deadline + 1 s ($e ms)" test "$e" -le 3000
t_check "it retried meanwhile" test "$(grep -c closed "$W/down/requests.log")" -ge 2

start slow --script slow,slow,slow,slow,slow,slow --delay-ms 3000
t_exit 4 "a verifier slower than the deadline: exit 4" vt --ca-file "$W/pki/ca.pem" --timeout 1s
t_grep "the message says time ran out" 'deadline|timed out' "$T_ERR"

start hang --script hang
s=$(date +%s%N)
t_exit 4 "a verifier that never answers: exit 4" vt --ca-file "$W/pki/ca.pem" --timeout 1s
e=$((($(date +%s%N) - s) / 1000000))
t_check "within the deadline + 1 s ($e ms)" test "$e" -le 2000

start big --script big
t_exit 4 "an oversized answer is cut off" vt --ca-file "$W/pki/ca.pem"
t_grep "the message says it is too large" 'larger than 1048576 bytes' "$T_ERR"

start 302 --script 302
t_exit 4 "a redirect is not followed" vt --ca-file "$W/pki/ca.pem"
t_grep "the message shows the status" 'answered HTTP 302' "$T_ERR"

svc_stop "$MAA_PID"
t_exit 4 "nothing listening: exit 4" vt --ca-file "$W/pki/ca.pem" --timeout 1s
t_check "the first service saw no request from the failing cases" test "$(requests "$W/ok")" = "$n_before"
t_done
