#!/usr/bin/python3
"""ms_clients.py - requests shaped exactly as Microsoft's own MAA clients
shape them, field by field, from the table in docs/protocols.md.  Test
code only: nothing here is Microsoft's code; it writes the same bytes their
clients write, so that the MAA stand-in is held to what real clients send
and real MAA takes.

  ms_clients.py azureguest-cpp    URL CA THIM_URL WORK EVENTLOG
  ms_clients.py azureguest-python URL CA THIM_URL WORK EVENTLOG
      AzureGuest from the swtpm rig (TPM2TOOLS_TCTI names it) through
      tpm2-tools: the C++ AttestationClient's shape (standard base64, integer
      OS versions, flat base64 ClientPayload, tab-indented sorted JSON) or the
      Python cvm-attestation client's (base64url Proof, RunTimeData and
      VcekCertChain, string OS versions, AikPub followed by the key's name and
      qualified name, a nested ClientPayload, an ephemeral key under the owner
      hierarchy).  The answer is opened as those clients open it: the inner
      key decrypted by the vTPM (RSAES under a PolicyPCR session), then
      AES-GCM with "Transport Key" as AAD.
  ms_clients.py snpvm-sidecar   URL CA TEE   (confidential-sidecar-containers)
  ms_clients.py snpvm-cvmtools  URL CA TEE   (cvm-attestation-tools, SevSnpVm)
  ms_clients.py tdxvm-cvmtools  URL CA TEE   (cvm-attestation-tools, TdxVm)
      Reports from the test/emul chains, bound to the runtime data.
  ms_clients.py azureguest-raw-pem ...  as azureguest-cpp, but VcekCertChain
      as raw PEM text (what no Microsoft client sends): must be refused.

Prints the verified token's claims as JSON and exits 0 when the service
answered 200 and the answer opened; otherwise prints the service's answer
and exits 1.
"""
import base64
import hashlib
import json
import os
import random
import ssl
import struct
import subprocess
import sys
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "emul"))

AK = "0x81000003"
AK_CERT_NV = "0x01C101D0"
HCL_NV = "0x01400001"
PCRS = "sha256:0,1,2,3,4,5,6,7"
EPHEMERAL_ATTRS = "fixedtpm|fixedparent|sensitivedataorigin|decrypt|noda"


def b64(b):
    return base64.b64encode(b).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_pad(b):
    return base64.urlsafe_b64encode(b).decode()


def tpm(*args, work):
    subprocess.run(["tpm2_" + args[0]] + list(args[1:]), cwd=work, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def read(work, name):
    with open(os.path.join(work, name), "rb") as f:
        return f.read()


def post(url, ca, body):
    ctx = ssl.create_default_context(cafile=ca)
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def thim(thim_url):
    req = urllib.request.Request(thim_url + "/metadata/THIM/amd/certification", headers={"Metadata": "true"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def jwt_claims(jwt):
    return json.loads(base64.urlsafe_b64decode(jwt.split(".")[1] + "=="))


def tpm_evidence(work, python_shape):
    """Everything both AzureGuest clients read from the vTPM, with an ephemeral key made as that client makes it."""
    tpm("readpublic", "-c", AK, "-o", "ak.pub", "-n", "ak.name", "-q", "ak.qname", work=work)
    tpm("nvread", AK_CERT_NV, "-C", "o", "-o", "ak.der", work=work)
    tpm("nvread", HCL_NV, "-C", "o", "-o", "hcl.bin", work=work)
    # Quote with empty qualifying data and the AK's own scheme; signature as bare RSA bytes.
    tpm("quote", "-c", AK, "-l", PCRS, "-g", "sha256", "-m", "quote.msg", "-s", "quote.sig", "-f", "plain", work=work)
    tpm("pcrread", PCRS, "-o", "pcrs.bin", work=work)
    tpm("flushcontext", "-t", work=work)
    # The ephemeral key: PolicyPCR over PCR 0-7 (trial session), RSA-2048, scheme and symmetric NULL.
    tpm("startauthsession", "-S", "trial.ctx", work=work)
    tpm("policypcr", "-S", "trial.ctx", "-l", PCRS, "-L", "policy.dig", work=work)
    tpm("flushcontext", "trial.ctx", work=work)
    hierarchy = "o" if python_shape else "n"  # Python: owner; C++: the NULL hierarchy
    tpm("createprimary", "-C", hierarchy, "-G", "rsa2048:null:null", "-g", "sha256", "-a", EPHEMERAL_ATTRS,
        "-L", "policy.dig", "-c", "enc.ctx", work=work)
    tpm("flushcontext", "-t", work=work)
    tpm("readpublic", "-c", "enc.ctx", "-o", "enc.pub", work=work)
    tpm("flushcontext", "-t", work=work)
    tpm("certify", "-c", "enc.ctx", "-C", AK, "-g", "sha256", "-o", "certify.info", "-s", "certify.sig", "-f", "plain",
        work=work)
    tpm("flushcontext", "-t", work=work)
    return {n: read(work, f) for n, f in (("akpub", "ak.pub"), ("akname", "ak.name"), ("akqname", "ak.qname"),
                                           ("akcert", "ak.der"), ("hcl", "hcl.bin"), ("quote", "quote.msg"),
                                           ("quote_sig", "quote.sig"), ("pcrs", "pcrs.bin"), ("enc_pub", "enc.pub"),
                                           ("certify", "certify.info"), ("certify_sig", "certify.sig"))}


def tpm_decrypt(work, blob):
    """The inner key, decrypted by the ephemeral key under a PolicyPCR session (RSAES, empty label)."""
    with open(os.path.join(work, "inner.enc"), "wb") as f:
        f.write(blob)
    tpm("startauthsession", "--policy-session", "-S", "s.ctx", work=work)
    tpm("policypcr", "-S", "s.ctx", "-l", PCRS, work=work)
    tpm("rsadecrypt", "-c", "enc.ctx", "-p", "session:s.ctx", "-s", "rsaes", "-o", "inner.key", "inner.enc", work=work)
    tpm("flushcontext", "s.ctx", work=work)
    tpm("flushcontext", "-t", work=work)
    return read(work, "inner.key")


def hcl_parts(hcl):
    """The SNP report (offset 32, 1184 bytes) and the runtime data (size at 1232, data at 1236) of an HCL report."""
    size = struct.unpack_from("<I", hcl, 1232)[0]
    return hcl[32:32 + 1184], hcl[1236:1236 + size]


def azureguest(kind, url, ca, thim_url, work, eventlog):
    python_shape = kind == "azureguest-python"
    ev = tpm_evidence(work, python_shape)
    report, runtime = hcl_parts(ev["hcl"])
    t = thim(thim_url)
    chain_text = (t["vcekCert"] + t["certificateChain"]).encode()  # joined with nothing between, as both clients do
    pcrs = [{"Index": i, "Digest": b64(ev["pcrs"][32 * i:32 * i + 32])} for i in range(8)]
    with open(eventlog, "rb") as f:
        tcg = f.read()
    nonce = os.urandom(16).hex()
    if python_shape:
        # PY/isolation.py SnpEvidence.get_evidence; PY/attestation_client.py GuestAttestationParameters.toJson.
        proof = json.dumps({"SnpReport": b64url(report), "VcekCertChain": b64url(chain_text)})
        info = {
            "AttestationProtocolVersion": "2.0", "OSType": b64(b"Linux"), "OSDistro": b64(b"Ubuntu"),
            "OSVersionMajor": "22", "OSVersionMinor": "04", "OSBuild": b64(b"NotApplication"),
            "TcgLogs": b64(tcg), "ClientPayload": {"user-claims": {"nonce": nonce}},
            "TpmInfo": {
                "AikCert": b64(ev["akcert"]),
                # ReadPublicResponse.toBytes(): TPM2B_PUBLIC, then the TPM2B name and qualified name.
                "AikPub": b64(ev["akpub"] + struct.pack(">H", len(ev["akname"])) + ev["akname"] +
                              struct.pack(">H", len(ev["akqname"])) + ev["akqname"]),
                "PcrQuote": b64(ev["quote"]), "PcrSignature": b64(ev["quote_sig"]), "EncKeyPub": b64(ev["enc_pub"]),
                "EncKeyCertifyInfo": b64(ev["certify"]), "EncKeyCertifyInfoSignature": b64(ev["certify_sig"]),
                "PcrSet": list(range(8)), "PCRs": pcrs},
            "IsolationInfo": {"Type": "SevSnp", "Evidence": {"Proof": b64url(proof.encode()),
                                                             "RunTimeData": b64url(runtime)}},
        }
        text = json.dumps(info)
    else:
        # CL/AttestationParameters.cpp ToJson, IsolationInfo::CreateSevSnpEvidence, ImdsOperations::GetVCekCert.
        chain = chain_text.decode() if kind == "azureguest-raw-pem" else b64(chain_text)
        proof = json.dumps({"SnpReport": b64url(report), "VcekCertChain": chain}, indent="\t", sort_keys=True,
                           separators=(",", " : "))
        info = {
            "AttestationProtocolVersion": "2.0", "OSType": b64(b"Linux"), "OSDistro": b64(b"Ubuntu"),
            "OSVersionMajor": 22, "OSVersionMinor": 4, "OSBuild": b64(b"NotApplication"),
            "TcgLogs": b64(tcg), "ClientPayload": {"nonce": b64(nonce.encode())},
            "TpmInfo": {
                "AikCert": b64(ev["akcert"]), "AikPub": b64(ev["akpub"]), "PcrQuote": b64(ev["quote"]),
                "PcrSignature": b64(ev["quote_sig"]), "EncKeyPub": b64(ev["enc_pub"]),
                "EncKeyCertifyInfo": b64(ev["certify"]), "EncKeyCertifyInfoSignature": b64(ev["certify_sig"]),
                "PcrSet": list(range(8)), "PCRs": pcrs},
            "IsolationInfo": {"Type": "SevSnp", "Evidence": {"Proof": b64(proof.encode()), "RunTimeData": b64(runtime)}},
        }
        text = json.dumps(info, indent="\t", sort_keys=True, separators=(",", " : "))
    body = json.dumps({"AttestationInfo": b64url(text.encode())}).encode()
    status, answer = post(url + "/attest/AzureGuest?api-version=2020-10-01", ca, body)
    if status != 200:
        return status, answer, None
    # DecryptMaaToken / attest_guest: the envelope, the inner key in the vTPM, AES-GCM with "Transport Key".
    env = json.loads(base64.urlsafe_b64decode(json.loads(answer)["token"] + "=="))
    inner = tpm_decrypt(work, base64.b64decode(env["EncryptedInnerKey"]))
    p = env["EncryptionParams"]
    sealed = base64.b64decode(env["Jwt"]) + base64.b64decode(env["AuthenticationData"])
    jwt = AESGCM(inner).decrypt(base64.b64decode(p["Iv"]), sealed, b"Transport Key").decode()
    claims = jwt_claims(jwt)
    sent = info["ClientPayload"]
    if claims["x-ms-runtime"]["client-payload"] != sent:
        return status, b"the token does not echo the ClientPayload as sent", None
    return status, answer, claims


def snp_vm(kind, url, ca, tee):
    import tee_emul
    sidecar = kind == "snpvm-sidecar"
    enc = b64url_pad if sidecar else b64url
    with open(os.path.join(tee, "thim.json")) as f:
        t = json.load(f)
    chain = (t["vcekCert"] + t["certificateChain"]).encode()
    # The sidecar's runtime data: a JWK set with the key-release key (pkg/common/crypto.go GenerateJWKSet).
    runtime = json.dumps({"keys": [{"e": "AQAB", "key_ops": ["encrypt"], "kid": b64url(hashlib.sha256(b"k").digest()),
                                    "kty": "RSA", "n": b64url(os.urandom(256))}]}, separators=(",", ":")).encode()
    report = tee_emul.snp_report(tee, hashlib.sha256(runtime).digest().ljust(64, b"\0"))
    inner = {"SnpReport": enc(report), "VcekCertChain": enc(chain)}
    if sidecar:
        cose = base64.b64decode(tee_emul.uvm_reference(tee, report[0x90:0xC0].hex()))
        inner["Endorsements"] = enc(json.dumps({"Uvm": [enc(cose)]}, separators=(",", ":")).encode())
        body = {"report": enc(json.dumps(inner, separators=(",", ":")).encode()),
                "runtimeData": {"data": enc(runtime), "dataType": "JSON"},
                "initTimeData": {"data": "", "dataType": ""},
                "nonce": random.getrandbits(64) | 1 << 63}   # rand.Uint64(): often beyond 2^53
        path = "/attest/SevSnpVM?api-version=2020-10-01"
    else:
        body = {"report": enc(json.dumps(inner).encode()), "runtimeData": {"data": enc(runtime), "dataType": "JSON"}}
        path = "/attest/SevSnpVm?api-version=2022-08-01"
    status, answer = post(url + path, ca, json.dumps(body).encode())
    if status != 200:
        return status, answer, None
    claims = jwt_claims(json.loads(answer)["token"])
    if claims["x-ms-runtime"] != json.loads(runtime) or claims.get("nonce") != body.get("nonce"):
        return status, b"the token does not carry the runtime data and the nonce as sent", None
    return status, answer, claims


def tdx_vm(url, ca, tee):
    import tee_emul
    runtime = json.dumps({"keys": [], "vm-configuration": {"tpm-enabled": True}}).encode()
    quote = tee_emul.td_quote(tee, hashlib.sha256(runtime).digest().ljust(64, b"\0"), 4)
    body = {"quote": b64url(quote), "runtimeData": {"data": b64url(runtime), "dataType": "JSON"}}
    status, answer = post(url + "/attest/TdxVm?api-version=2023-04-01-preview", ca, json.dumps(body).encode())
    if status != 200:
        return status, answer, None
    return status, answer, jwt_claims(json.loads(answer)["token"])


def main():
    kind, url, ca = sys.argv[1], sys.argv[2], sys.argv[3]
    if kind.startswith("azureguest-"):
        status, answer, claims = azureguest(kind, url, ca, sys.argv[4], sys.argv[5], sys.argv[6])
    elif kind.startswith("snpvm-"):
        status, answer, claims = snp_vm(kind, url, ca, sys.argv[4])
    elif kind == "tdxvm-cvmtools":
        status, answer, claims = tdx_vm(url, ca, sys.argv[4])
    else:
        sys.exit("unknown client shape " + kind)
    if claims is None:
        sys.stdout.write("HTTP %d: %s\n" % (status, answer.decode(errors="replace")))
        return 1
    json.dump(claims, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
