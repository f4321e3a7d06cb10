#!/usr/bin/python3
"""admission_client.py - an HTTPS client of `attestgate webhook`, for test/integration/webhook.sh.

Speaks to the webhook as the API server does: AdmissionReviews (admission.k8s.io/v1)
over TLS, verifying the server's certificate against the test CA(s) given with --ca
(repeatable: a client that trusts the old and the new CA during a rotation) for the
name in --url (localhost or 127.0.0.1).  python3 stdlib, python3-yaml and
python3-jsonpatch only.

    admission_client.py --url U --ca CA get PATH             GET; prints {"status", "body", "fp"} (fp: the served
                                                             certificate's SHA-256, hex of its DER)
    admission_client.py --url U --ca CA metrics              GET /metrics parsed: {"name{labels}": value}
    admission_client.py fingerprint PEM                      the SHA-256 of a certificate file, as get prints fp
    admission_client.py wrap FILE [--name N] [--uid U] [--op OP]
                                                             prints the AdmissionReview for one document of FILE
    admission_client.py --url U --ca CA review FILE [--name N] [--uid U] [--op OP]
                                                             POSTs it; prints {"status", "uid", "review", "patch",
                                                             "patched", "error"} (patch decoded, patched = applied)
    admission_client.py --url U --ca CA equal --bin B --out DIR --inject-args ARGS FILE...
                                                             every document of each FILE through the webhook and
                                                             through `B inject ARGS -f FILE`: equal as data
    admission_client.py --url U --ca CA load --fixture F --seconds S --threads N [--reconnect-every K] [--mark FILE]
                                                             admission requests for S seconds; prints a summary
    admission_client.py --url U --ca CA partial [--path P] [--body-file F] [--content-length N] [--send N]
                                                [--rest-after S [--probe-listener]] [--ready FILE]
                                                             a request sent in parts; prints what came back and when
                                                             (--probe-listener: whether a new connection was still
                                                             accepted when the rest went out)
    admission_client.py --url U --ca CA maxconn --fixture F --clients N --hold S
                                                             N clients at once, each holding its connection S seconds

equal prints one line per check, "ok<TAB>what" or "not ok<TAB>what<TAB>why", then "done";
the others print one JSON object.
"""
import argparse
import base64
import copy
import hashlib
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

import jsonpatch
import yaml

PLURALS = {"Pod": "pods", "Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets",
           "ReplicaSet": "replicasets", "Job": "jobs", "CronJob": "cronjobs", "PodTemplate": "podtemplates",
           "ReplicationController": "replicationcontrollers", "Service": "services"}
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


# --- TLS and HTTP -------------------------------------------------------------------------------

def tls_context(cas):
    """A client context that trusts only the given CA files (and checks the host name)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cadata="".join(open(c).read() for c in cas))
    return ctx


class Target:
    def __init__(self, url, cas, timeout=10.0):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 443
        self.ctx = tls_context(cas) if cas else None
        self.timeout = timeout

    def connect(self):
        """A new connection and the SHA-256 of the certificate it was served."""
        c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=self.timeout)
        c.connect()
        return c, hashlib.sha256(c.sock.getpeercert(binary_form=True)).hexdigest()

    def raw_socket(self):
        s = socket.create_connection((self.host, self.port), timeout=self.timeout)
        return self.ctx.wrap_socket(s, server_hostname=self.host)


def fingerprint_of(pem_file):
    der = ssl.PEM_cert_to_DER_cert(open(pem_file).read())
    return hashlib.sha256(der).hexdigest()


def request(conn, method, path, body=None, ctype="application/json"):
    headers = {"Content-Type": ctype} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    return r, r.read()


# --- AdmissionReviews ---------------------------------------------------------------------------

class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, but a duplicate key is an error (kubectl's decoder refuses them too)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for k, _ in node.value:
            key = self.construct_object(k, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", k.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)



def parse_docs(text):
    return [d for d in yaml.load_all(text, Loader=StrictLoader) if d is not None]


def load_docs(path):
    with open(path) as f:
        return parse_docs(f.read())


def pick(docs, name):
    if name is None:
        return docs[0]
    for d in docs:
        if ((d.get("metadata") or {}).get("name")) == name:
            return d
    sys.exit(f"admission_client: no document named {name}")


def wrap(obj, uid, op="CREATE"):
    """The AdmissionReview the API server sends for obj (in namespace default)."""
    api = obj.get("apiVersion", "v1")
    group, _, version = api.rpartition("/")
    kind = obj.get("kind", "")
    gvk = {"group": group, "version": version, "kind": kind}
    gvr = {"group": group, "version": version, "resource": PLURALS.get(kind, kind.lower() + "s")}
    req = {"uid": uid, "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
           "name": (obj.get("metadata") or {}).get("name", ""), "namespace": "default", "operation": op,
           "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller",
                        "uid": "0f3c9a4e-0000-4000-8000-000000000001",
                        "groups": ["system:serviceaccounts", "system:authenticated"]},
           "object": obj, "oldObject": obj if op == "UPDATE" else None, "dryRun": False,
           "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions" if op == "CREATE" else "UpdateOptions"}}
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}


def answer(status, data):
    """What a /mutate answer says: {"status", "review", "patch", "error"}."""
    out = {"status": status, "review": None, "patch": None, "error": None}
    try:
        out["review"] = json.loads(data)
    except ValueError:
        out["error"] = "the body is not JSON: " + data[:200].decode(errors="replace")
        return out
    resp = out["review"].get("response") if isinstance(out["review"], dict) else None
    if isinstance(resp, dict) and "patch" in resp:
        try:
            out["patch"] = json.loads(base64.b64decode(resp["patch"], validate=True))
        except ValueError as e:
            out["error"] = f"the patch is not base64 JSON: {e}"
    return out


def post_review(conn, obj, uid, op="CREATE"):
    r, data = request(conn, "POST", "/mutate", json.dumps(wrap(obj, uid, op)).encode())
    return answer(r.status, data)


def review_problem(a, uid):
    """Why answer a is not a well-formed allowing answer for uid (None when it is)."""
    rv = a["review"]
    if a["error"]:
        return a["error"]
    if a["status"] != 200:
        return f"HTTP {a['status']}"
    if not isinstance(rv, dict) or rv.get("apiVersion") != "admission.k8s.io/v1" or rv.get("kind") != "AdmissionReview":
        return f"not an admission.k8s.io/v1 AdmissionReview: {json.dumps(rv)[:200]}"
    resp = rv.get("response") or {}
    if resp.get("uid") != uid:
        return f"uid {resp.get('uid')!r}, sent {uid!r}"
    if resp.get("allowed") is not True:
        return f"not allowed: {json.dumps(resp.get('status'))[:300]}"
    if ("patch" in resp) != ("patchType" in resp) or resp.get("patchType", "JSONPatch") != "JSONPatch":
        return f"patch and patchType do not go together: {json.dumps(resp)[:300]}"
    return None


# --- pod templates ------------------------------------------------------------------------------

def pod_specs(obj):
    """The pod specs of obj (by kind), as references into it."""
    kind, specs = obj.get("kind"), []
    try:
        if kind == "Pod":
            specs.append(obj["spec"])
        elif kind == "CronJob":
            specs.append(obj["spec"]["jobTemplate"]["spec"]["template"]["spec"])
        elif kind == "PodTemplate":
            specs.append(obj["template"]["spec"])
        elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"):
            specs.append(obj["spec"]["template"]["spec"])
    except (KeyError, TypeError):
        pass
    return [s for s in specs if isinstance(s, dict)]


def spec_pointer(obj):
    return {"Pod": "/spec", "CronJob": "/spec/jobTemplate/spec/template/spec",
            "PodTemplate": "/template/spec"}.get(obj.get("kind"), "/spec/template/spec")


def api_server_defaults(obj):
    """obj as the API server hands it to a webhook on reinvocation: defaulted fields and the
    service account token mount (the ServiceAccount admission plugin) added."""
    o = copy.deepcopy(obj)
    for spec in pod_specs(o):
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            c.setdefault("imagePullPolicy", "IfNotPresent")
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
            c.setdefault("volumeMounts", []).append({"name": "kube-api-access-x7k2p", "mountPath": SA_DIR,
                                                     "readOnly": True})
        for v in spec.get("volumes") or []:
            for src in ("configMap", "secret"):
                if isinstance(v.get(src), dict):
                    v[src].setdefault("defaultMode", 420)
            if isinstance(v.get("downwardAPI"), dict):
                v["downwardAPI"].setdefault("defaultMode", 420)
                for item in v["downwardAPI"].get("items") or []:
                    item.get("fieldRef", {}).setdefault("apiVersion", "v1")
            if isinstance(v.get("hostPath"), dict):
                v["hostPath"].setdefault("type", "")
        spec.setdefault("volumes", []).append({"name": "kube-api-access-x7k2p", "projected": {
            "defaultMode": 420, "sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}})
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("dnsPolicy", "ClusterFirst")
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec.setdefault("serviceAccountName", "default")
    return o


def first_diff(a, b, path=""):
    """Where a and b differ first, for a message; None when equal."""
    if type(a) is not type(b):
        return f"{path or '/'}: {json.dumps(a)[:160]} vs {json.dumps(b)[:160]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                return f"{path}/{k}: only in inject's ({json.dumps(b[k])[:160]})"
            if k not in b:
                return f"{path}/{k}: only in the webhook's ({json.dumps(a[k])[:160]})"
            d = first_diff(a[k], b[k], f"{path}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}: {json.dumps(a)[:200]} vs {json.dumps(b)[:200]}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_diff(x, y, f"{path}/{i}")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


# --- commands -----------------------------------------------------------------------------------

def cmd_get(t, args):
    c, fp = t.connect()
    r, data = request(c, "GET", args.path)
    c.close()
    print(json.dumps({"status": r.status, "body": data.decode(errors="replace"), "fp": fp,
                      "content_type": r.getheader("Content-Type")}))


def parse_metrics(text):
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        out[name] = float(value)
    return out


def cmd_metrics(t, args):
    c, _ = t.connect()
    r, data = request(c, "GET", "/metrics")
    c.close()
    text = data.decode()
    m = parse_metrics(text)
    m["_status"] = r.status
    m["_types"] = {ln.split()[2]: ln.split()[3] for ln in text.splitlines() if ln.startswith("# TYPE ")}
    print(json.dumps(m))


def cmd_wrap(args):
    obj = pick(load_docs(args.file), args.name)
    print(json.dumps(wrap(obj, args.uid or str(uuid.uuid4()), args.op)))


def cmd_review(t, args):
    obj = pick(load_docs(args.file), args.name)
    uid = args.uid or str(uuid.uuid4())
    c, _ = t.connect()
    a = post_review(c, obj, uid, args.op)
    c.close()
    a["uid"] = uid
    a["patched"] = None
    if a["patch"] is not None:
        try:
            a["patched"] = jsonpatch.apply_patch(obj, a["patch"])
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as e:
            a["error"] = f"the patch does not apply: {e}"
    print(json.dumps(a))


class Checks:
    def __init__(self):
        self.failed = 0

    def __call__(self, ok, what, why=""):
        if ok:
            print(f"ok\t{what}", flush=True)
        else:
            self.failed += 1
            why = " ".join(str(why).split())
            print(f"not ok\t{what}\t{why[:900]}", flush=True)
        return ok


def equal_doc(conn, check, label, obj, want, out_file):
    """One document: the webhook's patch applied must be inject's output; then reinvocations."""
    uid = str(uuid.uuid4())
    a = post_review(conn, obj, uid)
    why = review_problem(a, uid)
    if not check(why is None, f"{label}: allowed, uid echoed, a well-formed AdmissionReview", why):
        return
    ops = a["patch"]
    patched = obj
    if ops is not None:
        bad = [op for op in ops if op.get("op") != "add"]
        check(not bad, f"{label}: the patch only adds", json.dumps(bad)[:300])
        try:
            patched = jsonpatch.apply_patch(obj, ops)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as e:
            check(False, f"{label}: the JSONPatch applies", f"{e}: {json.dumps(ops)[:400]}")
            return
    injected = want != obj
    check((ops is not None) == injected, f"{label}: a patch exactly when inject changes the object",
          f"patch {'present' if ops else 'absent'}, inject {'changed' if injected else 'left'} it")
    check(patched == want, f"{label}: the patched object equals `attestgate inject`'s output", first_diff(patched, want))
    with open(out_file, "w") as f:
        yaml.safe_dump(patched, f, sort_keys=False)
    # Reinvocation (reinvocationPolicy: IfNeeded): the webhook's own output comes back.
    uid = str(uuid.uuid4())
    a = post_review(conn, patched, uid)
    why = review_problem(a, uid)
    check(why is None and a["patch"] is None, f"{label}: sent again patched, no patch", why or json.dumps(a["patch"])[:300])
    if not injected:
        return
    # inject's output as the API server has it (defaults, the service account token mount): still no patch.
    uid = str(uuid.uuid4())
    a = post_review(conn, api_server_defaults(want), uid)
    why = review_problem(a, uid)
    check(why is None and a["patch"] is None, f"{label}: inject's output after API server defaulting, no patch",
          why or json.dumps(a["patch"])[:300])
    # Another webhook added a sidecar after ours: only its mount of the gate's outputs is added.
    late = copy.deepcopy(patched)
    spec = pod_specs(late)[0]
    spec["containers"].append({"name": "late-sidecar", "image": "registry.example/proxy:1"})
    uid, idx = str(uuid.uuid4()), len(spec["containers"]) - 1
    a = post_review(conn, late, uid)
    why = review_problem(a, uid)
    want_ops = [{"op": "add", "path": f"{spec_pointer(late)}/containers/{idx}/volumeMounts",
                 "value": [{"name": "attestgate", "mountPath": "/run/attestgate", "readOnly": True}]}]
    check(why is None and a["patch"] == want_ops, f"{label}: a sidecar added later gets only the outputs' mount",
          why or json.dumps(a["patch"])[:400])


def cmd_equal(t, args):
    check = Checks()
    os.makedirs(args.out, exist_ok=True)
    conn, _ = t.connect()
    for path in args.files:
        base = os.path.basename(path).rsplit(".", 1)[0]
        p = subprocess.run([args.bin, "inject", "--log-level", "error"] + args.inject_args.split() + ["-f", path],
                           capture_output=True, text=True)
        if not check(p.returncode == 0, f"{base}: attestgate inject {args.inject_args} succeeds", p.stderr[:400]):
            continue
        docs_in = load_docs(path)
        try:
            docs_out = parse_docs(p.stdout)
        except yaml.YAMLError as e:
            check(False, f"{base}: inject's output is YAML without duplicate keys", e)
            continue
        if not check(len(docs_in) == len(docs_out), f"{base}: inject gives as many documents",
                     f"{len(docs_in)} in, {len(docs_out)} out"):
            continue
        for i, (obj, want) in enumerate(zip(docs_in, docs_out)):
            label = f"{base} {obj.get('kind')}/{(obj.get('metadata') or {}).get('name', i)}"
            equal_doc(conn, check, label, obj, want, os.path.join(args.out, f"{base}-{i}.yaml"))
            # The answer must not depend on the connection: a fresh one for the next document now and then.
            if i % 3 == 2:
                conn.close()
                conn, _ = t.connect()
    conn.close()
    print("done")


def cmd_load(t, args):
    obj = pick(load_docs(args.fixture), args.name)
    stop = time.monotonic() + args.seconds
    lock = threading.Lock()
    res = {"ok": 0, "failed": 0, "failures": [], "conns": [], "connect_errors": [], "ok_times": []}

    def worker():
        conn, on_conn = None, 0
        while time.monotonic() < stop:
            if conn is None:
                t0 = time.time()
                try:
                    conn, fp = t.connect()
                except (OSError, ssl.SSLError) as e:
                    with lock:
                        res["connect_errors"].append({"t": t0, "e": repr(e)[:200]})
                    time.sleep(0.02)
                    continue
                on_conn = 0
                with lock:
                    res["conns"].append({"t": t0, "fp": fp})
            uid, t0 = str(uuid.uuid4()), time.time()
            try:
                r, data = request(conn, "POST", "/mutate", json.dumps(wrap(obj, uid)).encode())
                a = answer(r.status, data)
                why = review_problem(a, uid) or (None if a["patch"] else "no patch")
                will_close = r.will_close
            except (OSError, ssl.SSLError, http.client.HTTPException) as e:
                why, will_close = f"{type(e).__name__}: {e}", True
            with lock:
                if why is None:
                    res["ok"] += 1
                    res["ok_times"].append(t0)
                else:
                    res["failed"] += 1
                    if len(res["failures"]) < 10:
                        res["failures"].append({"t": t0, "why": why[:300]})
            on_conn += 1
            if will_close or on_conn >= args.reconnect_every:
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    mark = None
    if args.mark and os.path.exists(args.mark):
        mark = float(open(args.mark).read().split()[0])
    res["mark"] = mark
    res["ok_after_mark"] = sum(1 for x in res["ok_times"] if mark is not None and x >= mark)
    res["last_ok"] = max(res["ok_times"], default=None)
    del res["ok_times"]
    print(json.dumps(res))


def read_response(s, deadline):
    """Reads one HTTP response (or until EOF / the deadline): (bytes, closed, timed_out)."""
    data = b""
    while True:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except (socket.timeout, TimeoutError):
            return data, False, True
        except (ConnectionError, ssl.SSLError):
            return data, True, False
        if not chunk:
            return data, True, False
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length" and len(body) >= int(v):
                    return data, False, False


def cmd_partial(t, args):
    if args.body_file:
        body = open(args.body_file, "rb").read()
    else:
        body = json.dumps(wrap(pick(load_docs(args.fixture), None), args.uid or str(uuid.uuid4()))).encode()
    length = args.content_length if args.content_length is not None else len(body)
    head = (f"POST {args.path} HTTP/1.1\r\nHost: {t.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()
    s = t.raw_socket()
    first = body[:args.send] if args.send is not None else body[:len(body) // 2]
    send_error = None
    try:
        s.sendall(head + first)
    except (ConnectionError, ssl.SSLError) as e:   # answered and closed before all of it went out
        send_error = repr(e)
    t0 = time.monotonic()
    if args.ready:
        open(args.ready, "w").close()
    sent = len(first)
    listener_open = None
    if args.rest_after is not None:
        time.sleep(args.rest_after)
        if args.probe_listener:
            # Is the server still accepting new connections at the moment the rest goes out?
            try:
                socket.create_connection((t.host, t.port), timeout=2).close()
                listener_open = True
            except OSError:
                listener_open = False
        try:
            s.sendall(body[sent:])
            sent = len(body)
        except (ConnectionError, ssl.SSLError) as e:
            send_error = repr(e)
    data, closed, timed_out = read_response(s, time.monotonic() + args.timeout)
    elapsed = time.monotonic() - t0
    s.close()
    status = None
    if data.startswith(b"HTTP/1."):
        status = int(data.split(b" ", 2)[1])
    body_out = data.partition(b"\r\n\r\n")[2]
    a = answer(status, body_out) if status is not None else {}
    print(json.dumps({"status": status, "closed": closed, "timed_out": timed_out, "elapsed": elapsed,
                      "sent": sent, "send_error": send_error, "listener_open": listener_open, "body": body_out[:2000].decode(errors="replace"),
                      "review": a.get("review"), "patch": a.get("patch")}))


def cmd_maxconn(t, args):
    obj = pick(load_docs(args.fixture), None)
    start = threading.Barrier(args.clients)
    out = [None] * args.clients
    t0 = time.monotonic()   # one clock origin for all clients, so their intervals compare

    def client(i):
        uid = str(uuid.uuid4())
        body = json.dumps(wrap(obj, uid)).encode()
        head = (f"POST /mutate HTTP/1.1\r\nHost: {t.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        start.wait()
        r = {"i": i}
        try:
            s = t.raw_socket()   # returns once the server has accepted and finished the handshake
            r["accepted"] = time.monotonic() - t0
            s.sendall(head + body[:len(body) // 2])
            time.sleep(args.hold)
            s.sendall(body[len(body) // 2:])
            data, _, _ = read_response(s, time.monotonic() + 15)
            r["done"] = time.monotonic() - t0
            s.close()   # only now may the server free this connection and accept the next (keep-alive)
            a = answer(int(data.split(b" ", 2)[1]), data.partition(b"\r\n\r\n")[2])
            r["problem"] = review_problem(a, uid)
        except (OSError, ssl.SSLError, IndexError, ValueError) as e:
            r["problem"] = f"{type(e).__name__}: {e}"
        out[i] = r

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # The most connections the server held at once: intervals [accepted, done] overlapping.
    events = sorted([(r["accepted"], 1) for r in out if "done" in r] + [(r["done"], -1) for r in out if "done" in r],
                    key=lambda e: (e[0], e[1]))
    most = now = 0
    for _, d in events:
        now += d
        most = max(most, now)
    print(json.dumps({"clients": out, "answered": sum(1 for r in out if r.get("problem") is None),
                      "most_at_once": most, "elapsed": max((r.get("done", 0) for r in out), default=0)}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default="https://localhost:8443")
    ap.add_argument("--ca", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=10.0)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("get")
    p.add_argument("path")
    sub.add_parser("metrics")
    p = sub.add_parser("fingerprint")
    p.add_argument("pem")
    for name in ("wrap", "review"):
        p = sub.add_parser(name)
        p.add_argument("file")
        p.add_argument("--name")
        p.add_argument("--uid")
        p.add_argument("--op", default="CREATE")
    p = sub.add_parser("equal")
    p.add_argument("--bin", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--inject-args", default="")
    p.add_argument("files", nargs="+")
    p = sub.add_parser("load")
    p.add_argument("--fixture", required=True)
    p.add_argument("--name")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--reconnect-every", type=int, default=5)
    p.add_argument("--mark")
    p = sub.add_parser("partial")
    p.add_argument("--path", default="/mutate")
    p.add_argument("--fixture")
    p.add_argument("--body-file")
    p.add_argument("--uid")
    p.add_argument("--content-length", type=int)
    p.add_argument("--send", type=int)
    p.add_argument("--rest-after", type=float)
    p.add_argument("--ready")
    p.add_argument("--probe-listener", action="store_true")
    p = sub.add_parser("maxconn")
    p.add_argument("--fixture", required=True)
    p.add_argument("--clients", type=int, default=5)
    p.add_argument("--hold", type=float, default=0.4)
    args = ap.parse_args()
    if args.cmd == "wrap":
        return cmd_wrap(args)
    if args.cmd == "fingerprint":
        return print(fingerprint_of(args.pem))
    t = Target(args.url, args.ca, args.timeout)
    {"get": cmd_get, "metrics": cmd_metrics, "review": cmd_review, "equal": cmd_equal, "load": cmd_load,
     "partial": cmd_partial, "maxconn": cmd_maxconn}[args.cmd](t, args)


if __name__ == "__main__":
    main()
