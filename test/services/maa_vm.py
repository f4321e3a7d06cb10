"""maa_vm.py - what the test MAA service does with SevSnpVm and TdxVm
requests: decode them in every shape Microsoft's clients send (maa_wire.py:
the confidential-sidecar's padded base64url with Endorsements as a string,
cvm-attestation-tools' unpadded base64url), verify the hardware report
against the test chains, the runtime-data binding and the UVM endorsement
(COSE_Sign1), and return the claims MAA would issue, echoing the request's
nonce.  Test code only."""
import base64
import hashlib
import json
import struct

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

import maa_guest
import maa_wire
from maa_wire import Rejected

UVM_FEED = "ContainerPlat-AMD-UVM"
INTEL_QE_VENDOR = bytes.fromhex("939a7233f79c4ca9940a0db3957f0607")


def b64ud(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def runtime_of(req, bound):
    runtime = maa_wire.vm_runtime(req)
    if bound[:32] != hashlib.sha256(runtime).digest() or any(bound[32:64]):
        raise Rejected("report data does not bind the runtime data")
    return json.loads(runtime)


def verify_uvm(cose, report, trust):
    """True when the COSE_Sign1 UVM endorsement is signed under the trusted UVM root and names this launch."""
    try:
        import cbor2
    except ImportError:
        return False
    try:
        msg = cbor2.loads(cose)
        msg = msg.value if isinstance(msg, cbor2.CBORTag) and msg.tag == 18 else msg
        protected_bytes, _, payload, sig = msg
        protected = cbor2.loads(protected_bytes)
        chain = [x509.load_der_x509_certificate(c) for c in protected[33]]
        if protected.get(1) != -38 or protected.get("feed") != UVM_FEED:
            return False
        if chain[-1].fingerprint(hashes.SHA256()) != trust["uvm_root"].fingerprint(hashes.SHA256()):
            return False
        for c, issuer in zip(chain, chain[1:] + chain[-1:]):
            maa_guest.verify_cert(c, issuer)
        tbs = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
        chain[0].public_key().verify(sig, tbs, padding.PSS(padding.MGF1(hashes.SHA384()), 48), hashes.SHA384())
        ref = json.loads(payload)
        return (ref["x-ms-sevsnpvm-launchmeasurement"] == report[0x90:0xC0].hex() and
                int(ref["x-ms-sevsnpvm-guestsvn"]) <= struct.unpack_from("<I", report, 4)[0])
    except (InvalidSignature, Rejected, ValueError, KeyError, TypeError, IndexError):
        return False


def echo_nonce(req, claims):
    """MAA emits the request's nonce in the token (a number from the sidecar, a string per the docs)."""
    if "nonce" in req:
        claims["nonce"] = req["nonce"]


def verify_snp_vm(body, trust, strict=False):
    req = maa_wire.vm_request(body, strict, "report")
    report, chain, uvm = maa_wire.snp_vm_report(req, strict)
    report, _ = maa_guest.verify_snp(report, chain, maa_wire.vm_runtime(req), trust)
    claims = maa_guest.snp_claims(report)
    claims["x-ms-runtime"] = runtime_of(req, report[0x50:0x90])
    claims["x-ms-attestation-type"] = "sevsnpvm"
    claims["x-ms-ver"] = "1.0"
    claims["x-ms-policy-hash"] = base64.urlsafe_b64encode(hashlib.sha256(b"default").digest()).rstrip(b"=").decode()
    for cose in uvm:
        if verify_uvm(cose, report, trust):
            claims["x-ms-compliance-status"] = "azure-signed-katacc-uvm"
    echo_nonce(req, claims)
    return claims


def p256_verify(key, sig, data, what):
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big")
    try:
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Rejected("%s does not verify" % what)


def verify_td_quote(q, trust):
    """Verifies a TD quote (v4/v5) to the trusted Intel root; returns its TD report body."""
    version, key_type, tee = struct.unpack_from("<HHI", q, 0)
    if version not in (4, 5) or key_type != 2 or tee != 0x81 or q[12:28] != INTEL_QE_VENDOR:
        raise Rejected("not a TDX quote v4/v5 from Intel's QE")
    off = 48
    if version == 5:
        _, blen = struct.unpack_from("<HI", q, off)
        off += 6
    else:
        blen = 584
    body_off, off = off, off + blen
    signed = q[:off]
    sig_len = struct.unpack_from("<I", q, off)[0]
    sd = q[off + 4:off + 4 + sig_len]
    sig, ak = sd[:64], sd[64:128]
    ctype, _ = struct.unpack_from("<HI", sd, 128)
    qe, qe_sig = sd[134:134 + 384], sd[518:582]
    alen = struct.unpack_from("<H", sd, 582)[0]
    auth = sd[584:584 + alen]
    itype, ilen = struct.unpack_from("<HI", sd, 584 + alen)
    chain = maa_guest.load_pem_chain(sd[590 + alen:590 + alen + ilen].rstrip(b"\0"))
    if ctype != 6 or itype != 5:
        raise Rejected("TD quote certification data is not a QE report with a PCK chain")
    if chain[-1].fingerprint(hashes.SHA256()) != trust["intel_root"].fingerprint(hashes.SHA256()):
        raise Rejected("the PCK chain does not end in the trusted Intel root")
    for c, issuer in zip(chain, chain[1:] + chain[-1:]):
        maa_guest.verify_cert(c, issuer)
    p256_verify(chain[0].public_key(), qe_sig, qe, "QE report signature")
    # MAA checks the QE against Intel's QE identity: Intel's MRSIGNER, the TD QE, no DEBUG.
    if qe[128:160] != bytes.fromhex("dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5") or \
            struct.unpack_from("<H", qe, 256)[0] != 2 or qe[48] & 2:
        raise Rejected("the QE report is not from Intel's TD quoting enclave")
    if qe[320:352] != hashlib.sha256(ak + auth).digest():
        raise Rejected("QE report does not bind the attestation key")
    p256_verify(ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\4" + ak), sig, signed, "TD quote signature")
    return q[body_off:body_off + blen]


def tdx_claims(b):
    claims = {"x-ms-attestation-type": "tdxvm", "tdx_mrtd": b[136:184].hex(), "tdx_mrseam": b[16:64].hex(),
              "tdx_report_data": b[520:584].hex(), "tdx_td_attributes_debug": bool(b[120] & 1),
              "tdx_tee_tcb_svn": b[0:16].hex()}
    for i in range(4):
        claims["tdx_rtmr%d" % i] = b[328 + 48 * i:376 + 48 * i].hex()
    return claims


def verify_tdx_vm(body, trust, strict=False):
    req = maa_wire.vm_request(body, strict, "quote")
    b = verify_td_quote(maa_wire.decode(req["quote"], "quote", maa_wire.VM_B64), trust)
    claims = tdx_claims(b)
    claims["x-ms-ver"] = "1.0"
    claims["x-ms-runtime"] = runtime_of(req, b[520:584])
    echo_nonce(req, claims)
    return claims
