#!/usr/bin/python3
"""nvidia_service.py - a local stand-in for NVIDIA's RIM service and OCSP
responder, over real TLS on loopback.  Test code only.

  GET  /v1/rim/ID   {"id": ID, "rim": base64 of RIMS/ID.xml, "sha256": ...}
                    (404 when there is no such file), as
                    https://rim.attestation.nvidia.com answers
  POST /            an OCSP request (application/ocsp-request): a basic
                    response for its one certificate, signed by that
                    certificate's issuer (found among --ca DIRs by the
                    request's issuer key hash), the request's nonce echoed,
                    thisUpdate now - 1 min, nextUpdate now + 1 day, as
                    https://ocsp.ndis.nvidia.com answers

Usage:
  nvidia_service.py --pki DIR --state DIR --rims DIR --ca DIR [--ca DIR...]

Each --ca DIR holds NAME.pem with NAME.key pairs (the test device CA of
test/emul/nvml_test_ca.sh, the RIM CA of test/emul/nvidia_test_rims.sh).
What the responder says is read from STATE at every request, so a test can
change it while the service runs: STATE/revoked (decimal serial numbers,
one per line: those are revoked, keyCompromise), STATE/ocsp-mode ("good"
(default), "unknown", "no-nonce", "wrong-nonce", "stale", "other-signer",
"unauthorized", "http500", "garbage").  Writes STATE/port once listening
and appends "<METHOD> <path> <status>" per request to STATE/requests.log.
"""
import argparse
import base64
import datetime
import hashlib
import http.server
import json
import os
import ssl
import sys
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp


def load_cas(dirs):
    """(certificate, key) of every NAME.pem with a NAME.key in dirs."""
    cas = []
    for d in dirs:
        for name in sorted(os.listdir(d)):
            if not name.endswith(".pem"):
                continue
            key = os.path.join(d, name[:-4] + ".key")
            if not os.path.exists(key):
                continue
            with open(os.path.join(d, name), "rb") as f:
                cert = x509.load_pem_x509_certificate(f.read())
            with open(key, "rb") as f:
                cas.append((cert, serialization.load_pem_private_key(f.read(), None)))
    return cas


def key_hash(cert, algorithm):
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    # The hash of the subjectPublicKey BIT STRING's value: the SPKI's last bytes for EC keys.
    point = cert.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert spki.endswith(point)
    h = hashlib.new(algorithm.name)
    h.update(point)
    return h.digest()


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "nvidia-standin/1"

    def log_message(self, fmt, *args):
        pass

    def log(self, status):
        with open(os.path.join(self.server.state, "requests.log"), "a") as f:
            f.write("%s %s %d\n" % (self.command, self.path, status))

    def answer(self, status, body, ctype):
        self.log(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        prefix = "/v1/rim/"
        rid = self.path[len(prefix):] if self.path.startswith(prefix) else ""
        path = os.path.join(self.server.rims, rid + ".xml")
        if not rid or "/" in rid or rid.startswith(".") or not os.path.exists(path):
            self.answer(404, b'{"error":"not found"}', "application/json")
            return
        with open(path, "rb") as f:
            xml = f.read()
        body = json.dumps({"id": rid, "rim": base64.b64encode(xml).decode(), "request_id": "standin",
                           "sha256": hashlib.sha256(xml).hexdigest()}).encode()
        self.answer(200, body, "application/json")

    def mode(self):
        try:
            with open(os.path.join(self.server.state, "ocsp-mode")) as f:
                return f.read().strip() or "good"
        except FileNotFoundError:
            return "good"

    def revoked(self):
        try:
            with open(os.path.join(self.server.state, "revoked")) as f:
                return {int(line) for line in f if line.strip()}
        except FileNotFoundError:
            return set()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        mode = self.mode()
        if mode == "http500":
            self.answer(500, b"", "text/plain")
            return
        if mode == "garbage":
            self.answer(200, b"\x30\x03\x0a\x01", "application/ocsp-response")
            return
        try:
            req = ocsp.load_der_ocsp_request(body)
        except ValueError:
            self.answer(400, b"", "text/plain")
            return
        if mode == "unauthorized":
            resp = ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
            self.answer(200, resp.public_bytes(serialization.Encoding.DER), "application/ocsp-response")
            return
        self.answer(200, self.respond(req, mode), "application/ocsp-response")

    def respond(self, req, mode):
        issuer, ikey = next(((c, k) for c, k in self.server.cas
                             if key_hash(c, req.hash_algorithm) == req.issuer_key_hash), (None, None))
        if issuer is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(serialization.Encoding.DER)
        cert = next((c for c, _ in self.server.cas if c.serial_number == req.serial_number), None)
        now = datetime.datetime.utcnow()
        this_update = now - datetime.timedelta(minutes=1)
        next_update = now + datetime.timedelta(days=1)
        if mode == "stale":
            this_update, next_update = now - datetime.timedelta(days=9), now - datetime.timedelta(days=2)
        status = ocsp.OCSPCertStatus.GOOD
        rev_time = rev_reason = None
        if req.serial_number in self.revoked():
            status, rev_time, rev_reason = ocsp.OCSPCertStatus.REVOKED, this_update, x509.ReasonFlags.key_compromise
        if mode == "unknown":
            status = ocsp.OCSPCertStatus.UNKNOWN
        b = ocsp.OCSPResponseBuilder().add_response(
            cert=cert if cert is not None else issuer, issuer=issuer, algorithm=req.hash_algorithm,
            cert_status=status, this_update=this_update, next_update=next_update,
            revocation_time=rev_time, revocation_reason=rev_reason)
        signer, key = issuer, ikey
        if mode == "other-signer":
            # A responder the issuer never delegated to: its own self-signed certificate.
            key = ec.generate_private_key(ec.SECP384R1())
            name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "not the issuer")])
            signer = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(
                key.public_key()).serial_number(x509.random_serial_number()).not_valid_before(
                this_update).not_valid_after(next_update).sign(key, hashes.SHA384())
            b = b.certificates([signer])
        b = b.responder_id(ocsp.OCSPResponderEncoding.HASH, signer)
        if mode not in ("no-nonce",):
            for ext in req.extensions:
                if isinstance(ext.value, x509.OCSPNonce):
                    nonce = ext.value.nonce if mode != "wrong-nonce" else bytes(len(ext.value.nonce))
                    b = b.add_extension(x509.OCSPNonce(nonce), critical=False)
        return b.sign(key, hashes.SHA384()).public_bytes(serialization.Encoding.DER)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pki", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--rims", required=True)
    ap.add_argument("--ca", action="append", default=[])
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.state, srv.rims, srv.cas = a.state, a.rims, load_cas(a.ca)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(a.pki, "server.pem"), os.path.join(a.pki, "server.key"))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(os.path.join(a.state, "port.tmp"), "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(os.path.join(a.state, "port.tmp"), os.path.join(a.state, "port"))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
