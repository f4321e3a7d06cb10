#!/usr/bin/python3
"""jwt_forge.py - test keys, JWKS and tokens, good and adversarial.

Test code only (never linked into attestgate).  Writes into OUTDIR:
  keys/*.pem           private keys of the test signers (RSA A, RSA B, EC P-256)
  jwks.json            the public set of the test instance (x5c for A and B,
                       crv/x/y for the EC key), like MAA's <url>/certs
  cases.txt            one line per token, "|"-separated: name, token file, extra flags,
                       expected exit code, regex the stderr must match
  tokens/NAME.jwt      the tokens

Usage: jwt_forge.py OUTDIR ISSUER NOW NONCE
NOW is the Unix time the cases are built around (verify with --at NOW).
Keys already in OUTDIR/keys are reused, so tokens for another issuer can be
made for the same key set.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64u_json(o):
    return b64u(json.dumps(o, separators=(",", ":")).encode())


def self_signed(key, cn):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime(2020, 1, 1)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(datetime.datetime(2049, 12, 31))
            .sign(key, hashes.SHA256()))


def sign(alg, key, data):
    if alg == "RS256":
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "PS256":
        return key.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    if alg == "ES256":
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    raise ValueError(alg)


def compact(header, claims, alg, key, raw_header=None, raw_claims=None):
    h = raw_header if raw_header is not None else b64u_json(header)
    c = raw_claims if raw_claims is not None else b64u_json(claims)
    si = (h + "." + c).encode()
    return h + "." + c + "." + b64u(sign(alg, key, si))


def load_or_make(out, name, generate):
    """Keys are kept in OUTDIR/keys so that a second run (another issuer) reuses them."""
    path = "%s/keys/%s.pem" % (out, name)
    if os.path.exists(path):
        with open(path, "rb") as f:
            return serialization.load_pem_private_key(f.read(), None)
    k = generate()
    with open(path, "wb") as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
    return k


def main():
    out, issuer, now, nonce = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    os.makedirs(out + "/keys", exist_ok=True)
    os.makedirs(out + "/tokens", exist_ok=True)
    ka, kb, ke = (load_or_make(out, n, g) for n, g in (
        ("a", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        ("b", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        ("ec", lambda: ec.generate_private_key(ec.SECP256R1()))))
    ca, cb = self_signed(ka, issuer), self_signed(kb, issuer)
    der_a = ca.public_bytes(serialization.Encoding.DER)
    nums = ke.public_key().public_numbers()
    jwks = {"keys": [
        {"kid": "key-a", "kty": "RSA", "x5c": [base64.b64encode(der_a).decode()]},
        {"kid": "key-b", "kty": "RSA", "x5c": [base64.b64encode(cb.public_bytes(serialization.Encoding.DER)).decode()]},
        {"kid": "key-ec", "kty": "EC", "crv": "P-256", "use": "sig",
         "x": b64u(nums.x.to_bytes(32, "big")), "y": b64u(nums.y.to_bytes(32, "big"))},
    ]}
    with open(out + "/jwks.json", "w") as f:
        json.dump(jwks, f, indent=1)
    with open(out + "/signer-a.sha256", "w") as f:
        f.write(hashlib.sha256(der_a).hexdigest())

    hdr = {"alg": "RS256", "jku": issuer + "/certs", "kid": "key-a", "typ": "JWT"}
    base = {"exp": now + 8 * 3600, "iat": now - 60, "nbf": now - 60, "iss": issuer, "jti": "ab12",
            "x-ms-attestation-type": "sevsnpvm", "x-ms-compliance-status": "azure-signed-katacc-uvm",
            "x-ms-runtime": {"nonce": nonce}}
    cases = []

    def add(name, token, code, reason, flags=""):
        path = "%s/tokens/%s.jwt" % (out, name)
        with open(path, "w") as f:
            f.write(token + "\n")
        cases.append((name, path, flags, str(code), reason))

    def claims(**kw):
        c = dict(base)
        c.update(kw)
        return c

    good = compact(hdr, base, "RS256", ka)
    add("good-rs256", good, 0, "")
    add("good-ps256", compact(dict(hdr, alg="PS256"), base, "PS256", ka), 0, "", "--algs RS256,PS256")
    add("good-es256", compact(dict(hdr, alg="ES256", kid="key-ec"), base, "ES256", ke), 0, "", "--algs ES256")
    ag = claims(**{"x-ms-attestation-type": "azurevm", "x-ms-runtime": {"client-payload": {"nonce": nonce}},
                   "x-ms-isolation-tee": {"x-ms-runtime": {"user-data": "AB" * 64}}})
    add("good-azureguest", compact(hdr, ag, "RS256", ka), 0, "", "--user-data " + "ab" * 64)
    add("good-signer-pinned", good, 0, "", "--signer-sha256 " + hashlib.sha256(der_a).hexdigest())

    # alg none, with and without a signature part.
    h = b64u_json(dict(hdr, alg="none"))
    c = b64u_json(base)
    add("alg-none", h + "." + c + ".", 6, 'alg "none"')
    # HS256 with the RSA public key (PEM) as the HMAC secret: the classic key-confusion attack.
    pem = ka.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    h = b64u_json(dict(hdr, alg="HS256"))
    add("hs256-rsa-pubkey", h + "." + c + "." + b64u(hmac.new(pem, (h + "." + c).encode(), hashlib.sha256).digest()),
        6, "HS256 \\(HMAC\\) is never accepted")
    # RS256 signature presented as PS256.
    h = b64u_json(dict(hdr, alg="PS256"))
    swapped = h + "." + c + "." + b64u(sign("RS256", ka, (h + "." + c).encode()))
    add("rs256-to-ps256", swapped, 6, "alg PS256 is not on the allowlist")
    add("rs256-to-ps256-allowed", swapped, 6, "signature does not verify with key key-a \\(PS256\\)", "--algs RS256,PS256")
    # Signed by A, claims to be B.
    add("kid-swap", compact(dict(hdr, kid="key-b"), base, "RS256", ka), 6, "signature does not verify with key key-b")
    add("kid-unknown", compact(dict(hdr, kid="key-z"), base, "RS256", ka), 6, "kid key-z, which is not a key of")
    add("jku-elsewhere", compact(dict(hdr, jku="https://attacker.example/certs"), base, "RS256", ka), 6,
        "jku https://attacker.example/certs is not " + issuer + "/certs")
    add("x5u", compact(dict(hdr, x5u="https://attacker.example/cert.pem"), base, "RS256", ka), 6, "x5u")
    add("jwk-embedded", compact(dict(hdr, jwk={"kty": "RSA"}), base, "RS256", ka), 6, "embeds a key")
    add("crit", compact(dict(hdr, crit=["exp"]), base, "RS256", ka), 6, "crit")
    add("wrong-iss", compact(hdr, claims(iss="https://other.attest.azure.net"), "RS256", ka), 6,
        "issuer https://other.attest.azure.net is not the pinned instance")
    # Flip one payload byte while keeping it valid base64url and JSON.
    hp, cp, sp = good.split(".")
    raw = json.dumps(base, separators=(",", ":")).replace("azure-signed-katacc-uvm", "azure-signed-katacc-uvX")
    add("payload-flipped", hp + "." + b64u(raw.encode()) + "." + sp, 6, "signature does not verify with key key-a")
    add("sig-truncated", hp + "." + cp + "." + sp[:-10], 6, "signature is 249 bytes; key key-a signs 256-byte")
    add("sig-empty", hp + "." + cp + ".", 6, "unsigned: the signature part is empty")
    add("extra-segments", good + ".e30.e30", 6, "it has 5 parts")
    add("jwe-like", hp + "." + cp, 6, "it has 2 parts")
    # base64url with padding: a 3n+1 / 3n+2 byte header gets '=' in standard base64.
    ph = json.dumps(hdr, separators=(",", ":"))
    while len(ph) % 3 == 0:
        ph += " "
    padded_h = base64.urlsafe_b64encode(ph.encode()).decode()
    add("b64-padding", padded_h + "." + cp + "." + sp, 6, "header is not canonical base64url")
    add("b64-std-alphabet", hp + "." + cp + ".+" + sp[1:], 6, "signature is not canonical base64url")
    add("header-not-json", b64u(b"{alg: RS256}") + "." + cp + "." + sp, 6, "header is not valid JSON")
    add("header-not-object", b64u(b'["RS256"]') + "." + cp + "." + sp, 6, "header is not a JSON object")
    dup = json.dumps(base, separators=(",", ":"))[:-1] + ',"iss":"' + issuer + '"}'
    add("dup-claims", compact(hdr, None, "RS256", ka, raw_claims=b64u(dup.encode())), 6,
        "claims is not valid JSON: duplicate object key")
    add("expired", compact(hdr, claims(exp=now - 3600, iat=now - 4 * 3600, nbf=now - 4 * 3600), "RS256", ka), 6,
        "token expired at")
    add("nbf-future", compact(hdr, claims(nbf=now + 3600, iat=now), "RS256", ka), 6, "not valid before")
    add("iat-future", compact(hdr, claims(iat=now + 3600), "RS256", ka), 6, "issued in the future")
    add("iat-too-old", compact(hdr, claims(iat=now - 3600, nbf=now - 3600), "RS256", ka), 6,
        "more than maxTokenAge 600s before now")
    # Issue 17 finding 10: times near INT64_MAX overflowed exp + clockSkew (UB) and printed 1970.
    for name in ("exp", "nbf", "iat"):
        add(name + "-huge", compact(hdr, claims(**{name: 2 ** 63 - 1}), "RS256", ka), 6,
            name + " \\(9223372036854775807\\) is after the year 9999")
    add("exp-year-10000", compact(hdr, claims(exp=253402300800), "RS256", ka), 6, "exp .* is after the year 9999")
    add("exp-missing", compact(hdr, {k: v for k, v in base.items() if k != "exp"}, "RS256", ka), 6, "no exp claim")
    add("exp-string", compact(hdr, claims(exp=str(now + 60)), "RS256", ka), 6, "exp is not a NumericDate")
    add("nonce-mismatch", compact(hdr, claims(**{"x-ms-runtime": {"nonce": "an-old-nonce"}}), "RS256", ka), 6,
        "is not this run's nonce")
    add("nonce-missing", compact(hdr, claims(**{"x-ms-runtime": {}}), "RS256", ka), 6, "carries no nonce")
    add("azureguest-nonce-in-wrong-place", compact(hdr, claims(**{"x-ms-attestation-type": "azurevm"}), "RS256", ka),
        6, "no nonce at /x-ms-runtime/client-payload/nonce")
    add("user-data-stale", compact(hdr, ag, "RS256", ka), 6, "HCL report is stale", "--user-data " + "cd" * 64)
    add("signer-not-pinned", good, 6, "not on the allowlist", "--signer-sha256 " + "0" * 64)
    big = dict(base, pad="A" * (768 * 1024))  # about 1 MiB once encoded
    add("one-mib", compact(hdr, big, "RS256", ka), 6, "larger than the 262144 allowed")
    with open(out + "/cases.txt", "w") as f:
        for row in cases:
            f.write("|".join(row) + "\n")


if __name__ == "__main__":
    main()
