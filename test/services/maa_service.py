#!/usr/bin/python3
"""maa_service.py - a local stand-in for a Microsoft Azure Attestation
instance, over real TLS on loopback.  Test code only: never part of the
attestgate binary.

Today it serves the instance's signing keys (GET /certs) with scripted
faults; the attestation endpoints join it with the MAA issue.

Usage:
  maa_service.py --pki DIR --jwks FILE --state DIR [--script SPEC] [--delay-ms N]

Writes DIR/port once listening (port 0 = any free port) and appends one
line per request to DIR/requests.log: "<monotonic seconds> <method> <path>
<status>".  --script is a comma-separated list of what successive requests
get before the normal answer: a status code ("503"), "503+ra1" (503 with
Retry-After: 1), "slow" (the normal answer after --delay-ms), "big"
(2 MiB body), "302" (a redirect elsewhere), "hang" (never answers).
"down" as the whole script closes every connection without a response.
"""
import argparse
import http.server
import os
import ssl
import sys
import threading
import time


class State:
    def __init__(self, args):
        self.args = args
        self.script = [s for s in (args.script or "").split(",") if s]
        self.lock = threading.Lock()
        with open(args.jwks, "rb") as f:
            self.jwks = f.read()

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
    server_version = "maa-test-service"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.state.log(self.command, self.path, status)

    def do_GET(self):
        st = self.server.state
        step = st.next_step()
        if step == "down":
            st.log(self.command, self.path, "closed")
            self.close_connection = True
            self.connection.close()
            return
        if step == "hang":
            st.log(self.command, self.path, "hang")
            time.sleep(3600)
            return
        if step == "slow":
            time.sleep(st.args.delay_ms / 1000.0)
            step = "ok"
        if step.startswith(("4", "5")):
            code, _, extra = step.partition("+")
            headers = [("Retry-After", extra[2:])] if extra.startswith("ra") else []
            self.reply(int(code), b'{"error":{"code":"scripted","message":"scripted fault"}}', headers)
            return
        if step == "302":
            self.reply(302, b"", [("Location", "https://attacker.example/certs")])
            return
        if self.path != "/certs":
            self.reply(404, b'{"error":{"code":"NotFound"}}')
            return
        if step == "big":
            self.reply(200, b" " * (2 * 1024 * 1024), [("Content-Type", "application/json")])
            return
        self.reply(200, st.jwks, [("Content-Type", "application/json")])


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pki", required=True)
    ap.add_argument("--jwks", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--script", default="")
    ap.add_argument("--delay-ms", type=int, default=3000)
    args = ap.parse_args()
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.state = State(args)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(args.pki, "server.pem"), os.path.join(args.pki, "server.key"))
    # The handshake runs in the request thread, so a silent client cannot stall accept().
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
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
