#!/usr/bin/python3
"""maa_service.py - a local stand-in for a Microsoft Azure Attestation
instance, over real TLS on loopback.  Test code only: never part of the
attestgate binary.

It serves the instance's signing keys (GET /certs, x5c only, like MAA),
POST /attest/AzureGuest (verified and answered encrypted, as MAA does; see
maa_guest.py), POST /attest/SevSnpVm and /attest/TdxVm (see maa_vm.py; with
--tee, the test/emul PKI whose roots are the only trusted ones), and on a second, plain-HTTP port the IMDS THIM endpoint
(GET /metadata/THIM/amd/certification) with the test VCEK chain.

Requests are decoded in every shape Microsoft's own clients send
(maa_wire.py; docs/protocols.md).  --strict-conformance also requires the
table's field set, types and encodings; each POST body is kept as
STATE/last-<AzureGuest|SevSnpVm|TdxVm>.json for tests that look at the wire.

Usage:
  maa_service.py --pki DIR --state DIR [--rig DIR] [--tee DIR] [--jwks FILE]
                 [--script SPEC] [--delay-ms N] [--strict-conformance]

--rig names the provisioned rig template (test/rig): its vtpm-ca.pem is the
AK certificate root, its vcek-chain.pem the THIM answer and its ARK the
only trusted SEV-SNP root.  The token signing key is made in --state.

Writes DIR/port (and DIR/thim-port) once listening and appends one
line per request to DIR/requests.log: "<monotonic seconds> <method> <path>
<status>".  --script is a comma-separated list of what successive requests
get before the normal answer: a status code ("503"), "503+ra1" (503 with
Retry-After: 1), "slow" (the normal answer after --delay-ms), "big"
(2 MiB body), "302" (a redirect elsewhere), "hang" (never answers).
"reset" (the connection is closed without an answer), "truncated" (half the
body), "badjson", and for attestation: "unknownkey" (token signed by a key
not in /certs), "expired", "wrongiss", "replay" (the first token issued,
again).  "down" as the whole script closes every connection.
"""
import argparse
import base64
import datetime
import hashlib
import http.server
import json
import os
import ssl
import struct
import sys
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import maa_guest  # noqa: E402
import maa_vm  # noqa: E402
import maa_wire  # noqa: E402


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def signer(keys_dir, name, cn):
    """An RSA-2048 signing key with a self-signed certificate, like an MAA instance's (kept in keys_dir)."""
    path = os.path.join(keys_dir, name + ".pem")
    if os.path.exists(path):
        with open(path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        os.makedirs(keys_dir, exist_ok=True)
        with open(path + ".tmp", "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        os.rename(path + ".tmp", path)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime(2020, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(now)
            .not_valid_after(datetime.datetime(2049, 12, 31)).sign(key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    kid = base64.b64encode(hashlib.sha256(der).digest()).decode()
    return key, {"kid": kid, "kty": "RSA", "x5c": [base64.b64encode(der).decode()]}


def sign_jwt(key, kid, jku, claims):
    h = b64u(json.dumps({"alg": "RS256", "jku": jku, "kid": kid, "typ": "JWT"}, separators=(",", ":")).encode())
    c = b64u(json.dumps(claims, separators=(",", ":")).encode())
    sig = key.sign((h + "." + c).encode(), padding.PKCS1v15(), hashes.SHA256())
    return h + "." + c + "." + b64u(sig)


class State:
    def __init__(self, args):
        self.args = args
        self.script = [s for s in (args.script or "").split(",") if s]
        self.lock = threading.Lock()
        self.issuer = None
        self.first_token = None
        keys = args.keys or args.state
        self.key, jwk = signer(keys, "signer", "attestgate test MAA signer (INSECURE)")
        self.other_key, self.other_jwk = signer(keys, "other", "a key that is not in /certs")
        self.kid = jwk["kid"]
        if args.jwks:
            with open(args.jwks, "rb") as f:
                self.jwks = f.read()
        else:
            self.jwks = json.dumps({"keys": [jwk]}).encode()
        self.trust = None
        if args.rig:
            with open(os.path.join(args.rig, "vtpm-ca.pem"), "rb") as f:
                vtpm_ca = x509.load_pem_x509_certificate(f.read())
            with open(os.path.join(args.rig, "vcek-chain.pem"), "rb") as f:
                self.vcek_chain = f.read().decode()
            ark = maa_guest.load_pem_chain(self.vcek_chain.encode())[-1]
            self.trust = {"vtpm_ca": vtpm_ca, "ark": ark}
        self.tee = None
        if args.tee:
            def load(name):
                with open(os.path.join(args.tee, name), "rb") as f:
                    return x509.load_pem_x509_certificate(f.read())
            self.tee = {"ark": load("test-roots/test-ark.pem"), "intel_root": load("test-roots/test-intel-root.pem"),
                        "uvm_root": load("uvm-root.pem")}
            with open(os.path.join(args.tee, "thim.json")) as f:
                thim = json.load(f)
            self.vcek_chain = thim["vcekCert"] + thim["certificateChain"]
            self.tee_chip_id = hashlib.sha512(b"attestgate test chip").hexdigest()

    def next_step(self):
        with self.lock:
            if self.script == ["down"]:
                return "down"
            return self.script.pop(0) if self.script else "ok"

    def log(self, method, path, status):
        with self.lock, open(os.path.join(self.args.state, "requests.log"), "a") as f:
            f.write("%.3f %s %s %s\n" % (time.monotonic(), method, path, status))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle holds the body until the client's delayed ACK
    # (40 ms on Linux), a delay of this stand-in that no real service has.
    disable_nagle_algorithm = True
    server_version = "maa-test-service"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        # Logged before the answer leaves: a client that has its answer finds its request in the log.
        self.server.state.log(self.command, self.path, status)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = self.server.state
        step = st.next_step()
        if self.fault(step):
            return
        if step == "302":
            self.reply(302, b"", [("Location", "https://attacker.example/certs")])
            return
        if self.path.startswith("/vcek/v1/") and st.tee is not None:
            self.kds()
            return
        if self.path != "/certs":
            self.reply(404, b'{"error":{"code":"NotFound"}}')
            return
        if step == "big":
            self.reply(200, b" " * (2 * 1024 * 1024), [("Content-Type", "application/json")])
            return
        self.reply(200, st.jwks, [("Content-Type", "application/json")])


    def do_POST(self):
        st = self.server.state
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if 0 < n <= 4 * 1024 * 1024 else b""
        step = st.next_step()
        if self.fault(step):
            return
        vm = None
        strict = st.args.strict_conformance
        kind = "AzureGuest"
        if self.path in maa_wire.SNP_VM_PATHS:
            vm, kind = maa_vm.verify_snp_vm, "SevSnpVm"
        elif self.path in maa_wire.TDX_VM_PATHS:
            vm, kind = maa_vm.verify_tdx_vm, "TdxVm"
        elif self.path != "/attest/AzureGuest?api-version=2020-10-01":
            self.reply(404, b'{"error":{"code":"NotFound","message":"unknown endpoint"}}')
            return
        if (st.trust if vm is None else st.tee) is None:
            self.reply(500, b'{"error":{"code":"NoTrust","message":"service started without --rig/--tee"}}')
            return
        # The last request of each kind, for the tests that look at the wire.
        with open(os.path.join(st.args.state, "last-%s.json" % kind), "wb") as f:
            f.write(body)
        try:
            if strict:
                maa_wire.check_content_type(self.headers)
            if vm is None:
                trust = dict(st.trust, intel_root=st.tee["intel_root"] if st.tee else None)
                claims, enc_key = maa_guest.verify(body, trust, strict)
            else:
                claims, enc_key = vm(body, st.tee, strict), None
        except (maa_guest.Rejected, ValueError, KeyError, TypeError, IndexError, struct.error) as e:
            msg = json.dumps({"error": {"code": "InvalidParameter", "message": str(e)}}).encode()
            self.reply(400, msg)
            return
        now = int(time.time())
        claims.update({"iat": now, "nbf": now, "exp": now + 8 * 3600, "iss": st.issuer,
                       "jti": hashlib.sha256(os.urandom(32)).hexdigest()})
        key, kid, jku = st.key, st.kid, st.issuer + "/certs"
        if step == "unknownkey":
            key, kid = st.other_key, st.other_jwk["kid"]
        elif step == "expired":
            claims.update({"iat": now - 9 * 3600, "nbf": now - 9 * 3600, "exp": now - 3600})
        elif step == "wrongiss":
            claims["iss"] = "https://another-instance.attest.azure.net"
        token = sign_jwt(key, kid, jku, claims)
        if st.first_token is None:
            st.first_token = token
        if step == "replay":
            token = st.first_token
        answer = maa_guest.encrypt(token, enc_key) if enc_key is not None else json.dumps({"token": token}).encode()
        self.reply(200, answer, [("Content-Type", "application/json")])

    def kds(self):
        """AMD KDS: the test VCEK for its chip and TCB (DER), and the product's ASK+ARK (PEM)."""
        st = self.server.state
        path, _, query = self.path.partition("?")
        parts = path.split("/")  # '', 'vcek', 'v1', product, hwid|cert_chain
        certs = maa_guest.load_pem_chain(st.vcek_chain.encode())
        if len(parts) == 5 and parts[4] == "cert_chain":
            self.reply(200, b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs[1:]))
            return
        params = dict(kv.split("=", 1) for kv in query.split("&") if "=" in kv)
        want = {"blSPL": "3", "teeSPL": "0", "snpSPL": "8", "ucodeSPL": "115"}
        if len(parts) != 5 or parts[3] != "Milan" or parts[4] != st.tee_chip_id or params != want:
            self.reply(404, b"not found")
            return
        self.reply(200, certs[0].public_bytes(serialization.Encoding.DER))

    def fault(self, step):
        """Answers a scripted fault; True when the request is done."""
        st = self.server.state
        if step in ("down", "reset"):
            st.log(self.command, self.path, "closed")
            self.close_connection = True
            self.connection.close()
            return True
        if step == "hang":
            st.log(self.command, self.path, "hang")
            time.sleep(3600)
            return True
        if step == "slow":
            time.sleep(st.args.delay_ms / 1000.0)
        if step[:1] in ("4", "5"):
            code, _, extra = step.partition("+")
            headers = [("Retry-After", extra[2:])] if extra.startswith("ra") else []
            self.reply(int(code), b'{"error":{"code":"scripted","message":"scripted fault"}}', headers)
            return True
        if step == "truncated":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"token":"')
            st.log(self.command, self.path, "truncated")
            self.close_connection = True
            return True
        if step == "badjson":
            self.reply(200, b'{"token": not json', [("Content-Type", "application/json")])
            return True
        return False


class ThimHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle holds the body until the client's delayed ACK
    # (40 ms on Linux), a delay of this stand-in that no real service has.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        """IMDS /acc/tdquote: the TD quote for a TDREPORT, made by the test/emul quoting chain (--tee)."""
        st = self.server.state
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if 0 < n <= 65536 else b""
        code, answer = 404, b'{"error":"not found"}'
        if self.path == "/acc/tdquote" and st.tee is not None:
            try:
                if st.args.strict_conformance:
                    maa_wire.check_content_type(self.headers)
                report = maa_wire.decode(json.loads(body)["report"], "report", (maa_wire.URL,))
                if len(report) != 1024:
                    raise ValueError("a TDREPORT is 1024 bytes")
                sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "emul"))
                import tee_emul
                quote = tee_emul.td_quote(st.args.tee, report[0x80:0xC0])
                code, answer = 200, json.dumps({"quote": maa_guest.b64u(quote)}).encode()
            except (ValueError, KeyError, TypeError, maa_wire.Rejected) as e:
                code, answer = 400, json.dumps({"error": str(e)}).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        st.log("POST", "IMDS " + self.path, code)

    def do_GET(self):
        st = self.server.state
        if self.path != "/metadata/THIM/amd/certification" or self.headers.get("Metadata") != "true":
            body, code = b'{"error":"not found"}', 404
        else:
            certs = st.vcek_chain.split("-----END CERTIFICATE-----\n")
            vcek = certs[0] + "-----END CERTIFICATE-----\n"
            chain = "-----END CERTIFICATE-----\n".join(certs[1:])
            body, code = json.dumps({"vcekCert": vcek, "certificateChain": chain, "tcbm": st.args.thim_tcbm,
                                     "cacheControl": "86400"}).encode(), 200
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        st.log("GET", "THIM " + self.path, code)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pki", required=True)
    ap.add_argument("--jwks", default="")
    ap.add_argument("--rig", default="")
    ap.add_argument("--tee", default="", help="test/emul PKI: trusted roots for SevSnpVm, TdxVm and UVM endorsements")
    ap.add_argument("--keys", default="", help="directory keeping the signing keys (default: --state)")
    ap.add_argument("--thim-tcbm", default="7308000000000003")
    ap.add_argument("--state", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--script", default="")
    ap.add_argument("--delay-ms", type=int, default=3000)
    ap.add_argument("--host", default="127.0.0.1",
                    help="the name clients use (the pod tests reach it by a name from /etc/hosts); the issuer says it")
    ap.add_argument("--strict-conformance", action="store_true",
                    help="also require every field in the encodings and shapes of docs/protocols.md")
    args = ap.parse_args()
    os.makedirs(args.state, exist_ok=True)
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.state = State(args)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(args.pki, "server.pem"), os.path.join(args.pki, "server.key"))
    # The handshake runs in the request thread, so a silent client cannot stall accept().
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    srv.state.issuer = "https://%s:%d" % (args.host, srv.server_address[1])
    if srv.state.trust is not None or srv.state.tee is not None:
        thim = Server(("127.0.0.1", 0), ThimHandler)
        thim.state = srv.state
        threading.Thread(target=thim.serve_forever, daemon=True).start()
        with open(os.path.join(args.state, "thim-port"), "w") as f:
            f.write(str(thim.server_address[1]))
    tmp = os.path.join(args.state, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, os.path.join(args.state, "port"))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
