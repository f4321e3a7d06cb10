#!/usr/bin/python3
"""akv_service.py - a local stand-in for Microsoft Entra ID's token endpoint,
the IMDS managed identity endpoint and Azure Key Vault / Managed HSM Secure
Key Release, over real TLS on loopback.  Test code only (INSECURE): never part
of the attestgate binary.

Usage:
  akv_service.py --pki DIR --state DIR --config FILE
                 [--maa-jwks FILE | --maa-url URL] [--fault NAME]

--pki is a testpki.py directory (server.pem, server.key, ca.pem); its server
certificate must also name the configured vault_host (svc_pki DIR NAME).
--config is JSON: {"tenant", "client_id", "federated_token", "vault_host",
"keys": {NAME: {"kty": "oct-HSM"|"RSA-HSM"|"EC-HSM", "release_policy": {...}}}}.
The MAA token's signing keys come from --maa-jwks (a JWKS file, read at each
release) or from URL/certs (fetched at each release, TLS verified against
--pki's ca.pem).

Endpoints (one HTTPS port on 127.0.0.1):
  POST /{tenant}/oauth2/v2.0/token                  Entra ID, workload identity
  GET  /metadata/identity/oauth2/token?...          IMDS, managed identity
  POST /keys/{name}[/{version}]/release?api-version=7.4   Secure Key Release
The release answer is {"value": JWS}; the key material in it is wrapped to
the first RSA encryption key of the MAA token's x-ms-runtime.keys, as Key
Vault does: RSA-OAEP (SHA-1/256/384 by "enc") of a fresh AES-256 key, then
that key's RFC 5649 wrap of the material (the BYOK "CKM_RSA_AES_KEY_WRAP").
The Entra ID scope must be exactly https://<vault_host minus its first
label>/.default; release policies are grammar 1.0.0 with "equals" only.
Error bodies are shaped like the real services' (Entra: error,
error_description, error_codes; Key Vault: {"error": {"code", "message"}}).

The JWS signing chain: testpki.py does not keep its CA key, so this service
makes its own root CA -> intermediate CA -> RSA-2048 leaf (SAN = vault_host,
serverAuth), kept in STATE/akv-pki/ and reused on a restart.  It writes
STATE/akv-ca.pem (that root alone) and STATE/ca-bundle.pem (the test PKI CA,
for TLS, plus that root, for the JWS): the gate trusts the bundle.

Key material is kept in STATE/keys/NAME.bin (oct: the raw 32 bytes; RSA and
EC: unencrypted PKCS#8 DER), reused when present, and each key's version (32
hex digits, fixed per name) in STATE/keys/NAME.version.

Writes STATE/port once listening and STATE/vault-host; appends one line per
request to STATE/requests.log, "<method> <path> <status>"; keeps the last
release request body as STATE/last-release.json.

--fault changes every release answer: bad-signature (a signature byte
flipped), wrong-host (leaf for other.vault.localhost under the same CA),
self-signed (x5c = one self-signed leaf for vault_host), tamper-ciphertext (a
byte of the AES key-wrap part flipped, then signed), alg-hs256 (header alg
HS256, HMAC keyed with the leaf's public key PEM: the classic alg confusion),
status-500, status-403 (always that status), forbidden-rbac (403 with
innererror ForbiddenByRbac: the identity lacks the release permission),
other-kid (the answer's kid names another key), token-crlf (the access
token carries CR/LF and a header).
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import http.server
import json
import os
import re
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding, aes_key_wrap_with_padding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

API_VERSION = "7.4"
ENC_HASH = {"CKM_RSA_AES_KEY_WRAP": hashes.SHA1, "RSA_AES_KEY_WRAP_256": hashes.SHA256,
            "RSA_AES_KEY_WRAP_384": hashes.SHA384}
KEY_OPS = {"oct-HSM": ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
           "RSA-HSM": ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"],
           "EC-HSM": ["sign", "verify"]}
FAULTS = ("bad-signature", "wrong-host", "self-signed", "tamper-ciphertext", "alg-hs256", "status-500", "status-403",
          "forbidden-rbac", "other-kid", "token-crlf")
KEY_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")
RELEASE_PATH = re.compile(r"^/keys/([^/]+)(?:/([^/]+))?/release$")
TOKEN_PATH = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
NOT_VERIFIED = "Target environment attestation statement cannot be verified. "
NOT_CONFORMING = "Target environment attestation statement does not conform to the release policy of the key."


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    """Strict base64url without padding (what AKV and MAA write)."""
    if not isinstance(s, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", s):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def compact(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


class Refused(Exception):
    """An error answer: HTTP status and JSON body."""

    def __init__(self, status, body, headers=()):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, list(headers)


def kv_error(status, code, message, headers=()):
    return Refused(status, {"error": {"code": code, "message": message}}, headers)


def entra_error(status, error, code, description):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    trace = "%s-%s" % (os.urandom(4).hex(), os.urandom(6).hex())
    return Refused(status, {"error": error, "error_description": "AADSTS%d: %s Trace ID: %s Timestamp: %s" % (
        code, description, trace, now), "error_codes": [code], "timestamp": now, "trace_id": trace,
        "correlation_id": trace})


# ---- release policy, grammar 1.0.0 (only "equals", as the grammar's first iteration) ----

def check_condition(c):
    if not isinstance(c, dict):
        raise ValueError("a condition is an object")
    if set(c) == {"claim", "equals"}:
        if not isinstance(c["claim"], str) or not c["claim"] or isinstance(c["equals"], (dict, list)) \
                or c["equals"] is None:
            raise ValueError("claim condition needs a claim name and a string/number/boolean value")
    elif set(c) in ({"anyOf"}, {"allOf"}):
        group = c.get("anyOf", c.get("allOf"))
        if not isinstance(group, list) or not group:
            raise ValueError("anyOf/allOf needs a non-empty list")
        for sub in group:
            check_condition(sub)
    else:
        raise ValueError("unsupported condition %s" % json.dumps(c))


def check_policy(p):
    """Raises ValueError unless p follows grammar 1.0.0 (a typo in a test's policy fails at start)."""
    if not isinstance(p, dict) or set(p) != {"version", "anyOf"} or p["version"] != "1.0.0" \
            or not isinstance(p["anyOf"], list) or not p["anyOf"]:
        raise ValueError('the policy is {"version": "1.0.0", "anyOf": [authority, ...]}')
    for a in p["anyOf"]:
        if not isinstance(a, dict) or not isinstance(a.get("authority"), str) or len(a) != 2 \
                or ("allOf" in a) == ("anyOf" in a):
            raise ValueError('an authority is {"authority": URL, "allOf"|"anyOf": [condition, ...]}')
        check_condition({k: v for k, v in a.items() if k != "authority"})


def claim_at(claims, path):
    """(found, value) of a dot-path claim."""
    cur = claims
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return False, None
        cur = cur[part]
    return True, cur


def equals(claim, want):
    if isinstance(want, str):
        if isinstance(claim, str):
            return claim == want
        # Real policies write "false" and "0" for boolean and number claims.
        return isinstance(claim, (bool, int, float)) and json.dumps(claim).lower() == want
    if isinstance(want, bool) or isinstance(claim, bool):
        return isinstance(want, bool) and isinstance(claim, bool) and want == claim
    return isinstance(claim, (int, float)) and want == claim


def condition_met(c, claims):
    if "claim" in c:
        found, value = claim_at(claims, c["claim"])
        return found and equals(value, c["equals"])
    if "anyOf" in c:
        return any(condition_met(s, claims) for s in c["anyOf"])
    return all(condition_met(s, claims) for s in c["allOf"])


def policy_allows(policy, claims):
    iss = claims.get("iss")
    if not isinstance(iss, str):
        return False
    trim = (lambda u: u[:-1] if u.endswith("/") else u)
    return any(trim(a["authority"]) == trim(iss) and condition_met({k: v for k, v in a.items() if k != "authority"},
                                                                     claims) for a in policy["anyOf"])


# ---- files in STATE ----

def wrap_key(pub, enc, material):
    """The key_hsm ciphertext: RSA-OAEP (hash of enc, MGF1 the same, no label) of a fresh AES-256 key,
    modulus-length bytes, then the RFC 5649 key wrap with padding of the material."""
    kek, h = os.urandom(32), ENC_HASH[enc]()
    return pub.encrypt(kek, padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)) + \
        aes_key_wrap_with_padding(kek, material)


def unwrap_key(priv, enc, ciphertext):
    """The inverse of wrap_key (how Microsoft's clients open key_hsm): the check of this service's format
    against the published vector (test/data/skr/sidecar-unwrap-vector.json)."""
    n, h = priv.key_size // 8, ENC_HASH[enc]()
    kek = priv.decrypt(ciphertext[:n], padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None))
    return aes_key_unwrap_with_padding(kek, ciphertext[n:])


def write_file(path, data):
    tmp = "%s.%d.tmp" % (path, threading.get_ident())  # one per thread: requests run in parallel
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def load_key(name, spec, keys_dir):
    """The key's material (made once, then reused), version and public JWK parts."""
    kty = spec.get("kty")
    if kty not in KEY_OPS or not KEY_NAME.match(name):
        raise ValueError("key %r: bad name or kty %r" % (name, kty))
    check_policy(spec.get("release_policy"))
    path = os.path.join(keys_dir, name + ".bin")
    if os.path.exists(path):
        with open(path, "rb") as f:
            material = f.read()
    else:
        if kty == "oct-HSM":
            material = os.urandom(32)
        else:
            priv = rsa.generate_private_key(65537, 2048) if kty == "RSA-HSM" else \
                ec.generate_private_key(ec.SECP256R1())
            material = priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
        write_file(path, material)
    public = {}
    if kty != "oct-HSM":
        nums = serialization.load_der_private_key(material, None).public_key().public_numbers()
        if kty == "RSA-HSM":
            public = {"n": b64u(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")),
                      "e": b64u(nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big"))}
        else:
            public = {"crv": "P-256", "x": b64u(nums.x.to_bytes(32, "big")), "y": b64u(nums.y.to_bytes(32, "big"))}
    vpath = os.path.join(keys_dir, name + ".version")
    if os.path.exists(vpath):
        with open(vpath) as f:
            version = f.read().strip()
    else:
        version = hashlib.sha256(b"attestgate test key version " + name.encode()).hexdigest()[:32]
        write_file(vpath, version.encode())
    return {"kty": kty, "material": material, "version": version, "public": public,
            "key_ops": spec.get("key_ops", KEY_OPS[kty]), "policy": spec["release_policy"]}


# ---- the JWS signing chain ----

def issue(cn, key, issuer=None, issuer_key=None, ca_pathlen=None, dns=None):
    """A certificate for key: a CA when ca_pathlen is not None, else a TLS server leaf for dns."""
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "attestgate tests"),
                         x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    b = (x509.CertificateBuilder().subject_name(subject)
         .issuer_name(issuer.subject if issuer is not None else subject).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now)
         .not_valid_after(now + datetime.timedelta(days=60))
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if issuer is not None:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    if ca_pathlen is not None:
        b = (b.add_extension(x509.BasicConstraints(ca=True, path_length=ca_pathlen), critical=True)
             .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True))
    else:
        b = (b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
             .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                            critical=False)
             .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False))
    return b.sign(issuer_key if issuer_key is not None else key, hashes.SHA256())


def signing_chain(d, vault_host):
    """{root, inter, inter_key, leaf, leaf_key}, from d when kept there for this vault_host, else new."""
    names = ("root", "inter", "leaf")
    path = (lambda n, ext: os.path.join(d, n + ext))
    if all(os.path.exists(path(n, ".pem")) for n in names) and all(os.path.exists(path(n, ".key")) for n in names[1:]):
        out = {}
        for n in names:
            with open(path(n, ".pem"), "rb") as f:
                out[n] = x509.load_pem_x509_certificate(f.read())
            if n != "root":
                with open(path(n, ".key"), "rb") as f:
                    out[n + "_key"] = serialization.load_pem_private_key(f.read(), None)
        san = out["leaf"].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        if san.get_values_for_type(x509.DNSName) == [vault_host]:
            return out
    os.makedirs(d, exist_ok=True)
    root_key, inter_key, leaf_key = (rsa.generate_private_key(65537, 2048) for _ in range(3))
    root = issue("attestgate test Key Vault root CA (INSECURE)", root_key, ca_pathlen=1)
    inter = issue("attestgate test Key Vault issuing CA (INSECURE)", inter_key, root, root_key, ca_pathlen=0)
    out = {"root": root, "inter": inter, "inter_key": inter_key, "leaf_key": leaf_key,
           "leaf": issue(vault_host, leaf_key, inter, inter_key, dns=vault_host)}
    for n in names:
        write_file(path(n, ".pem"), out[n].public_bytes(serialization.Encoding.PEM))
        if n != "root":
            write_file(path(n, ".key"), out[n + "_key"].private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return out


# ---- the MAA token ----

def jwks_keys(doc):
    """kid -> RSA public key, from x5c[0] or n/e."""
    out = {}
    for k in doc.get("keys", []) if isinstance(doc, dict) else []:
        try:
            if k.get("x5c"):
                pub = x509.load_der_x509_certificate(base64.b64decode(k["x5c"][0], validate=True)).public_key()
            else:
                pub = rsa.RSAPublicNumbers(int.from_bytes(unb64u(k["e"]), "big"),
                                           int.from_bytes(unb64u(k["n"]), "big")).public_key()
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if isinstance(k.get("kid"), str) and isinstance(pub, rsa.RSAPublicKey):
            out[k["kid"]] = pub
    return out


def verify_maa_token(token, keys):
    """The claims of an MAA JWT signed RS256 by one of keys and valid now; Refused otherwise."""
    try:
        h64, c64, s64 = token.split(".")
        header, claims = json.loads(unb64u(h64)), json.loads(unb64u(c64))
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError("header and claims are JSON objects")
        if header.get("alg") != "RS256":
            raise ValueError("alg %r is not RS256" % header.get("alg"))
        if header.get("kid") not in keys:
            raise ValueError("kid %r is not one of the attestation service's signing keys" % header.get("kid"))
        keys[header["kid"]].verify(unb64u(s64), (h64 + "." + c64).encode(), padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, TypeError, InvalidSignature) as e:
        raise kv_error(400, "BadParameter", NOT_VERIFIED + (str(e) or "The signature does not verify."))
    now = time.time()
    exp, nbf = claims.get("exp"), claims.get("nbf", 0)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (exp, nbf)):
        raise kv_error(400, "BadParameter", NOT_VERIFIED + "exp/nbf missing or not numbers.")
    if now >= exp or now + 60 < nbf:
        raise kv_error(400, "BadParameter", NOT_VERIFIED + "The token is expired or not yet valid.")
    return claims


def wrapping_key(claims):
    """The first RSA key of x-ms-runtime.keys meant for encryption, and its public key."""
    rt = claims.get("x-ms-runtime")
    keys = rt.get("keys") if isinstance(rt, dict) else None
    for jwk in keys if isinstance(keys, list) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
            continue
        ops = jwk.get("key_ops")
        if (isinstance(ops, list) and "encrypt" in ops) or jwk.get("use") == "enc":
            try:
                return jwk, rsa.RSAPublicNumbers(int.from_bytes(unb64u(jwk["e"]), "big"),
                                                 int.from_bytes(unb64u(jwk["n"]), "big")).public_key()
            except (ValueError, KeyError) as e:
                raise kv_error(400, "BadParameter", "x-ms-runtime key is malformed: %s" % e)
    raise kv_error(400, "BadParameter", "no encryption key in x-ms-runtime")


class State:
    def __init__(self, args):
        self.args = args
        with open(args.config) as f:
            cfg = json.load(f)
        self.cfg = cfg
        self.vault_host = cfg["vault_host"]
        self.resource = "https://" + self.vault_host.split(".", 1)[1]
        keys_dir = os.path.join(args.state, "keys")
        os.makedirs(keys_dir, exist_ok=True)
        self.keys = {n: load_key(n, spec, keys_dir) for n, spec in cfg["keys"].items()}
        chain = signing_chain(os.path.join(args.state, "akv-pki"), self.vault_host)
        der, root = serialization.Encoding.DER, chain["root"]
        # The JWS signer and its x5c: the vault's leaf and the issuing CA, or a faulty one.
        self.signer, self.x5c = chain["leaf_key"], [chain["leaf"].public_bytes(der), chain["inter"].public_bytes(der)]
        if args.fault in ("wrong-host", "self-signed"):
            self.signer = rsa.generate_private_key(65537, 2048)
            if args.fault == "wrong-host":
                other = issue("other.vault.localhost", self.signer, chain["inter"], chain["inter_key"],
                              dns="other.vault.localhost")
                self.x5c = [other.public_bytes(der), self.x5c[1]]
            else:
                self.x5c = [issue(self.vault_host, self.signer, dns=self.vault_host).public_bytes(der)]
        with open(os.path.join(args.pki, "ca.pem"), "rb") as f:
            pki_ca = f.read()
        pem = serialization.Encoding.PEM
        write_file(os.path.join(args.state, "akv-ca.pem"), root.public_bytes(pem))
        write_file(os.path.join(args.state, "ca-bundle.pem"), pki_ca + root.public_bytes(pem))
        write_file(os.path.join(args.state, "vault-host"), self.vault_host.encode())
        self.tokens = {}
        self.lock = threading.Lock()
        self.created = int(time.time())

    def log(self, method, path, status):
        with self.lock, open(os.path.join(self.args.state, "requests.log"), "a") as f:
            f.write("%s %s %s\n" % (method, path, status))

    # ---- identity ----

    def issue_token(self, resource):
        token = b64u(os.urandom(48))
        with self.lock:
            self.tokens[token] = (resource, time.time() + 3599)
        return token + ("\r\nX-Injected: 1" if self.args.fault == "token-crlf" else "")

    def entra_token(self, tenant, headers, body):
        """Entra ID's client_credentials grant with a federated (workload identity) assertion."""
        ctype = headers.get("Content-Type", "").split(";")[0].strip().lower()
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True) \
            if ctype == "application/x-www-form-urlencoded" else {}
        for k, v in form.items():
            if len(v) > 1:
                raise entra_error(400, "invalid_request", 9000411,
                                  "The request is not properly formatted. The parameter '%s' is duplicated." % k)
        f = {k: v[0] for k, v in form.items()}
        if tenant != self.cfg["tenant"]:
            raise entra_error(400, "invalid_request", 90002, "Tenant '%s' not found." % tenant)
        for p in ("grant_type", "client_id", "scope"):
            if not f.get(p):
                raise entra_error(400, "invalid_request", 900144,
                                  "The request body must contain the following parameter: '%s'." % p)
        if f["grant_type"] != "client_credentials":
            raise entra_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if f.get("client_assertion_type") != JWT_BEARER or not f.get("client_assertion"):
            raise entra_error(401, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is "
                              "required for the 'client_credentials' grant type.")
        if f["client_id"] != self.cfg["client_id"]:
            raise entra_error(400, "unauthorized_client", 700016, "Application with identifier '%s' was not found in "
                              "the directory." % f["client_id"])
        if f["client_assertion"] != self.cfg["federated_token"]:
            raise entra_error(401, "invalid_client", 700213, "No matching federated identity record found for "
                              "presented assertion.")
        if f["scope"] != self.resource + "/.default":
            raise entra_error(400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is "
                              "not valid. The scope %s is not valid." % f["scope"])
        return {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                "access_token": self.issue_token(self.resource)}

    def imds_token(self, headers, query):
        """IMDS's managed identity token (string-valued numbers, as IMDS answers)."""
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        one = (lambda k: q[k][0] if len(q.get(k, [])) == 1 else None)
        if headers.get("Metadata") != "true":
            raise Refused(400, {"error": "invalid_request",
                                "error_description": "Required metadata header not specified"})
        if one("api-version") != "2018-02-01":
            raise Refused(400, {"error": "invalid_request", "error_description": "Invalid or missing api-version"})
        if one("resource") not in (self.resource, self.resource + "/"):
            raise Refused(400, {"error": "invalid_resource", "error_description": "AADSTS500011: The resource "
                                "principal named %s was not found in the tenant." % one("resource")})
        if "client_id" in q and one("client_id") != self.cfg["client_id"]:
            raise Refused(400, {"error": "invalid_request", "error_description": "Identity not found"})
        now = int(time.time())
        return {"access_token": self.issue_token(self.resource), "client_id": self.cfg["client_id"],
                "expires_in": "3599", "expires_on": str(now + 3599), "ext_expires_in": "3599",
                "not_before": str(now), "resource": self.resource, "token_type": "Bearer"}

    # ---- Secure Key Release ----

    def check_bearer(self, headers):
        challenge = [("WWW-Authenticate", 'Bearer authorization="https://127.0.0.1:%s/%s", resource="%s"' % (
            self.port, self.cfg["tenant"], self.resource))]
        auth = headers.get("Authorization", "")
        if auth[:7].lower() != "bearer ":
            raise kv_error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", challenge)
        with self.lock:
            resource, until = self.tokens.get(auth[7:], (None, 0))
        if resource != self.resource or time.time() >= until:
            raise kv_error(401, "Unauthorized", "The access token is not one this vault issued, has expired or is for "
                           "another resource.", challenge)

    def maa_keys(self):
        try:
            if self.args.maa_jwks:
                with open(self.args.maa_jwks, "rb") as f:
                    return jwks_keys(json.loads(f.read()))
            ctx = ssl.create_default_context(cafile=os.path.join(self.args.pki, "ca.pem"))
            with urllib.request.urlopen(self.args.maa_url.rstrip("/") + "/certs", context=ctx, timeout=3) as r:
                return jwks_keys(json.loads(r.read(1 << 20)))
        except (OSError, ValueError) as e:
            raise kv_error(400, "BadParameter", NOT_VERIFIED + "The attestation service's keys: %s" % e)

    def release(self, name, version, query, headers, body):
        """The {"value": JWS} answer to a release request, or Refused."""
        self.check_bearer(headers)
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        if q.get("api-version") != [API_VERSION]:
            raise kv_error(400, "BadParameter", "The specified version (%s) is not recognized. Consider using the "
                           "latest supported version (%s)." % (",".join(q.get("api-version", [])), API_VERSION))
        key = self.keys.get(name)
        if key is None or (version is not None and version != key["version"]):
            raise kv_error(404, "KeyNotFound", "A key with (name/id) %s%s was not found in this key vault." % (
                name, "/" + version if version else ""))
        try:
            req = json.loads(body)
            if not isinstance(req, dict) or not set(req) <= {"target", "enc", "nonce"}:
                raise ValueError("the body is {target, enc, nonce}")
            if not isinstance(req.get("target"), str) or not req["target"] \
                    or req.get("enc", "CKM_RSA_AES_KEY_WRAP") not in ENC_HASH \
                    or not isinstance(req.get("nonce", ""), str):
                raise ValueError("target, enc or nonce is missing or malformed")
        except ValueError as e:
            raise kv_error(400, "BadParameter", "Invalid release request: %s" % e)
        enc = req.get("enc", "CKM_RSA_AES_KEY_WRAP")
        claims = verify_maa_token(req["target"], self.maa_keys())
        if not policy_allows(key["policy"], claims):
            raise kv_error(403, "Forbidden", NOT_CONFORMING)
        jwk, pub = wrapping_key(claims)
        return {"value": self.sign_jws(self.payload(name, key, enc, jwk, pub))}

    def payload(self, name, key, enc, jwk, pub):
        try:
            ct = bytearray(wrap_key(pub, enc, key["material"]))
        except ValueError as e:
            raise kv_error(400, "BadParameter", "x-ms-runtime key cannot wrap: %s" % e)
        if self.args.fault == "tamper-ciphertext":
            ct[pub.key_size // 8 + (len(ct) - pub.key_size // 8) // 2] ^= 0x01
        key_hsm = {"schema_version": "1.0", "header": {"kid": jwk.get("kid", ""), "alg": "dir", "enc": enc},
                   "ciphertext": b64u(bytes(ct))}
        kid = "https://%s/keys/%s/%s" % (self.vault_host, "another-key" if self.args.fault == "other-kid" else name,
                                          key["version"])
        inner = dict({"kid": kid, "kty": key["kty"], "key_ops": key["key_ops"]}, **key["public"])
        inner["key_hsm"] = b64u(compact(key_hsm))
        return {"request": {"api-version": API_VERSION, "enc": enc, "kid": kid},
                "response": {"key": {
                    "key": inner,
                    "attributes": {"enabled": True, "created": self.created, "updated": self.created,
                                   "exportable": True, "recoveryLevel": "Recoverable+Purgeable"},
                    "release_policy": {"contentType": "application/json; charset=utf-8",
                                       "data": b64u(compact(key["policy"]))}}}}

    def sign_jws(self, payload):
        fault = self.args.fault
        header = {"alg": "HS256" if fault == "alg-hs256" else "RS256", "kid": payload["request"]["kid"],
                  "x5c": [base64.b64encode(d).decode() for d in self.x5c],
                  "x5t#S256": b64u(hashlib.sha256(self.x5c[0]).digest())}
        signing_input = (b64u(compact(header)) + "." + b64u(compact(payload))).encode()
        if fault == "alg-hs256":
            secret = self.signer.public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo)
            sig = bytearray(hmac.new(secret, signing_input, hashlib.sha256).digest())
        else:
            sig = bytearray(self.signer.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()))
        if fault == "bad-signature":
            sig[len(sig) // 2] ^= 0x01
        return signing_input.decode() + "." + b64u(bytes(sig))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle holds the body until the client's delayed ACK
    # (40 ms on Linux), a delay of this stand-in that no real service has.
    disable_nagle_algorithm = True
    server_version = "akv-test-service"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj, headers=()):
        # Logged before the answer leaves: a client that has its answer finds its request in the log.
        self.server.state.log(self.command, self.path, status)
        body = compact(obj)
        self.send_response(status)
        for k, v in list(headers) + [("Content-Type", "application/json; charset=utf-8")]:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while len(body) <= 1 << 20:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
            raise ValueError("body too large")
        n = int(self.headers.get("Content-Length", "0"))
        if n > 1 << 20:
            raise ValueError("body too large")
        return self.rfile.read(n) if n > 0 else b""

    def answer(self, work):
        try:
            self.reply(200, work())
        except Refused as r:
            self.reply(r.status, r.body, r.headers)
        except Exception as e:  # a bug here: say so on stderr and to the client
            traceback.print_exc()
            self.reply(500, {"error": {"code": "InternalServerError", "message": "akv_service: %r" % e}})

    def do_GET(self):
        st = self.server.state
        path, _, query = self.path.partition("?")
        if path == "/metadata/identity/oauth2/token":
            self.answer(lambda: st.imds_token(self.headers, query))
        else:
            self.reply(404, {"error": {"code": "NotFound", "message": "unknown endpoint"}})

    def do_POST(self):
        st = self.server.state
        path, _, query = self.path.partition("?")
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            self.reply(413, {"error": {"code": "BadParameter", "message": "bad or too large body"}})
            return
        m, t = RELEASE_PATH.match(path), TOKEN_PATH.match(path)
        if m:
            write_file(os.path.join(st.args.state, "last-release.json"), body)
            if st.args.fault == "status-500":
                self.reply(500, {"error": {"code": "InternalServerError", "message": "scripted fault"}})
            elif st.args.fault == "status-403":
                self.reply(403, {"error": {"code": "Forbidden", "message": NOT_CONFORMING}})
            elif st.args.fault == "forbidden-rbac":
                self.reply(403, {"error": {"code": "Forbidden", "message": "Caller is not authorized to perform action "
                                           "on resource.", "innererror": {"code": "ForbiddenByRbac"}}})
            else:
                self.answer(lambda: st.release(m.group(1), m.group(2), query, self.headers, body))
        elif t:
            self.answer(lambda: st.entra_token(t.group(1), self.headers, body))
        else:
            self.reply(404, {"error": {"code": "NotFound", "message": "unknown endpoint"}})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pki", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--config", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--maa-jwks", default="")
    src.add_argument("--maa-url", default="")
    ap.add_argument("--fault", choices=FAULTS, default="")
    args = ap.parse_args()
    os.makedirs(args.state, exist_ok=True)
    try:
        state = State(args)
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
        print("akv_service: %s: %s" % (args.config, e), file=sys.stderr)
        return 2
    srv = Server(("127.0.0.1", 0), Handler)
    srv.state = state
    state.port = srv.server_address[1]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(args.pki, "server.pem"), os.path.join(args.pki, "server.key"))
    # The handshake runs in the request thread, so a silent client cannot stall accept().
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    write_file(os.path.join(args.state, "port"), str(state.port).encode())
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
