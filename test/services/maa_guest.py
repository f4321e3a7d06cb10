"""maa_guest.py - the AzureGuest protocol as Microsoft Azure Attestation
runs it, for the test service.  Test code only.

verify(request_json, trust, strict) decodes the request in every shape
Microsoft's own clients send (maa_wire.py, docs/protocols.md), checks
everything it proves (AK certificate chain, quote signature, PCR digest, the
ephemeral key's certification, the SNP report's signature and chain, the HCL
runtime-data binding, the AK binding) and returns the claims MAA issues for
what it saw, with the ClientPayload echoed as sent.  Like MAA it does not
look at the quote's qualifying data: Microsoft's clients leave it empty.
encrypt(jwt, enc_key_pub) builds the encrypted response.
"""
import base64
import hashlib
import json
import os
import struct

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import maa_wire
from maa_wire import Rejected  # noqa: F401 (the services' one error type)


def load_pem_chain(data):
    """All certificates of a PEM bundle, in order."""
    end = b"-----END CERTIFICATE-----"
    return [x509.load_pem_x509_certificate(part + end) for part in data.split(end) if b"-----BEGIN" in part]


def b64d(s):
    return base64.b64decode(s, validate=True)


def b64ud(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Reader:
    def __init__(self, b):
        self.b, self.o = b, 0

    def take(self, n):
        if self.o + n > len(self.b):
            raise Rejected("truncated TPM structure")
        v = self.b[self.o:self.o + n]
        self.o += n
        return v

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def tpm2b(self):
        return self.take(self.u16())


def parse_public(b, names_allowed=False):
    """TPM2B_PUBLIC of an RSA key -> (public area bytes, attributes, RSA public key).

    With names_allowed, the key's TPM2B name and qualified name may follow, as
    Microsoft's Python client appends them to AikPub (ReadPublicResponse); the
    name must then be this key's."""
    r = Reader(b)
    area = r.take(r.u16())
    if r.o != len(b) and names_allowed:
        name, qualified = r.tpm2b(), r.tpm2b()
        if name != b"\x00\x0b" + hashlib.sha256(area).digest() or len(qualified) != 34:
            raise Rejected("the name after TPM2B_PUBLIC is not this key's")
    if r.o != len(b):
        raise Rejected("trailing bytes after TPM2B_PUBLIC")
    a = Reader(area)
    if a.u16() != 0x0001:
        raise Rejected("key is not RSA")
    a.u16()  # nameAlg
    attrs = a.u32()
    a.tpm2b()  # authPolicy
    if a.u16() != 0x0010:  # symmetric: only NULL for these keys
        raise Rejected("unexpected symmetric definition")
    scheme = a.u16()
    if scheme in (0x0014, 0x0016, 0x0017):  # RSASSA, RSAPSS, OAEP carry a hash; NULL and RSAES do not
        a.u16()
    bits = a.u16()
    exp = a.u32() or 65537
    n = int.from_bytes(a.tpm2b(), "big")
    if n.bit_length() != bits:
        raise Rejected("RSA modulus does not match keyBits")
    return area, attrs, rsa.RSAPublicNumbers(exp, n).public_key()


def parse_attest(b):
    r = Reader(b)
    magic, typ = r.u32(), r.u16()
    if magic != 0xFF544347:
        raise Rejected("attestation lacks TPM_GENERATED_VALUE")
    r.tpm2b()  # qualifiedSigner
    extra = r.tpm2b()
    r.take(17)  # clockInfo
    r.u64()  # firmwareVersion
    out = {"type": typ, "extra": extra}
    if typ == 0x8018:  # quote
        sels = []
        for _ in range(r.u32()):
            h = r.u16()
            sel = r.take(r.u8())
            sels.append((h, sel))
        out["pcr_select"] = sels
        out["pcr_digest"] = r.tpm2b()
    elif typ == 0x8017:  # certify
        out["name"] = r.tpm2b()
        out["qualified_name"] = r.tpm2b()
    else:
        raise Rejected("unexpected attestation type 0x%x" % typ)
    if r.o != len(b):
        raise Rejected("trailing bytes after TPMS_ATTEST")
    return out


def rsassa_verify(key, sig, msg, what):
    try:
        key.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise Rejected("%s signature does not verify with the AK" % what)


def verify_cert(cert, issuer):
    pub = issuer.public_key()
    try:
        if isinstance(pub, rsa.RSAPublicKey):
            pad = cert.signature_algorithm_parameters if hasattr(cert, "signature_algorithm_parameters") else None
            pub.verify(cert.signature, cert.tbs_certificate_bytes, pad or padding.PKCS1v15(),
                       cert.signature_hash_algorithm)
        else:
            pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    except InvalidSignature:
        raise Rejected("certificate %s is not signed by %s" % (cert.subject.rfc4514_string(),
                                                              issuer.subject.rfc4514_string()))


def snp_claims(report):
    version, guest_svn, policy = struct.unpack_from("<IIQ", report, 0)
    vmpl = struct.unpack_from("<I", report, 0x30)[0]
    tcb = report[0x180:0x188]
    return {
        "x-ms-sevsnpvm-authorkeydigest": report[0x110:0x140].hex(),
        "x-ms-sevsnpvm-bootloader-svn": tcb[0],
        "x-ms-sevsnpvm-familyId": report[0x10:0x20].hex(),
        "x-ms-sevsnpvm-guestsvn": guest_svn,
        "x-ms-sevsnpvm-hostdata": report[0xC0:0xE0].hex(),
        "x-ms-sevsnpvm-idkeydigest": report[0xE0:0x110].hex(),
        "x-ms-sevsnpvm-imageId": report[0x20:0x30].hex(),
        "x-ms-sevsnpvm-is-debuggable": bool(policy >> 19 & 1),
        "x-ms-sevsnpvm-launchmeasurement": report[0x90:0xC0].hex(),
        "x-ms-sevsnpvm-microcode-svn": tcb[7],
        "x-ms-sevsnpvm-migration-allowed": bool(policy >> 18 & 1),
        "x-ms-sevsnpvm-reportdata": report[0x50:0x90].hex(),
        "x-ms-sevsnpvm-reportid": report[0x140:0x160].hex(),
        "x-ms-sevsnpvm-smt-allowed": bool(policy >> 16 & 1),
        "x-ms-sevsnpvm-snpfw-svn": tcb[6],
        "x-ms-sevsnpvm-tee-svn": tcb[1],
        "x-ms-sevsnpvm-vmpl": vmpl,
    }


def verify_snp(report, chain_pem, runtime, trust):
    """Checks an SNP report, its VCEK chain (PEM) and its binding of the runtime data; returns (report, runtime JSON)."""
    if len(report) != 0x4A0:
        raise Rejected("SNP report is %d bytes" % len(report))
    certs = load_pem_chain(chain_pem)
    if len(certs) != 3:
        raise Rejected("VcekCertChain must hold VCEK, ASK and ARK")
    vcek, ask, ark = certs
    if ark.fingerprint(hashes.SHA256()) != trust["ark"].fingerprint(hashes.SHA256()):
        raise Rejected("the ARK is not the trusted root")
    verify_cert(ark, ark)
    verify_cert(ask, ark)
    verify_cert(vcek, ask)
    r = int.from_bytes(report[0x2A0:0x2A0 + 72], "little")
    s = int.from_bytes(report[0x2E8:0x2E8 + 72], "little")
    try:
        vcek.public_key().verify(encode_dss_signature(r, s), report[:0x2A0], ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        raise Rejected("SNP report signature does not verify with the VCEK")
    if report[0x50:0x70] != hashlib.sha256(runtime).digest() or any(report[0x70:0x90]):
        raise Rejected("SNP report_data does not bind the runtime data")
    return report, json.loads(runtime)


def replay_tcg_log(log, pcrs):
    """Replays a crypto-agile TCG log (SHA-256 bank); returns facts, or raises Rejected if it does not match pcrs."""
    r = Reader(log)
    le = lambda n: int.from_bytes(r.take(n), "little")  # noqa: E731
    le(4), le(4)
    r.take(20)
    header = r.take(le(4))
    if not header.startswith(b"Spec ID Event03"):
        raise Rejected("TCG log is not in the crypto-agile format")
    sizes = {}
    n_algs = int.from_bytes(header[24:28], "little")
    for i in range(n_algs):
        alg, size = struct.unpack_from("<HH", header, 28 + 4 * i)
        sizes[alg] = size
    replay = {i: bytes(32) for i in range(24)}
    facts = {"secureboot": False}
    while r.o < len(log):
        pcr, typ, count = le(4), le(4), le(4)
        digest = None
        for _ in range(count):
            alg = le(2)
            if alg not in sizes:
                raise Rejected("TCG log uses an algorithm its header does not declare")
            d = r.take(sizes[alg])
            if alg == 0x000B:
                digest = d
        data = r.take(le(4))
        if digest is None or pcr >= 24:
            raise Rejected("TCG log event without a SHA-256 digest")
        replay[pcr] = hashlib.sha256(replay[pcr] + digest).digest()
        if typ == 0x800000C1 and pcr == 7 and len(data) > 32:
            name_len, data_len = struct.unpack_from("<QQ", data, 16)
            name = data[32:32 + 2 * name_len].decode("utf-16-le", "replace")
            value = data[32 + 2 * name_len:32 + 2 * name_len + data_len]
            if name == "SecureBoot":
                facts["secureboot"] = value == b"\x01"
    for i, v in pcrs.items():
        if replay[i] != v:
            raise Rejected("TCG log does not replay to PCR %d" % i)
    return facts


def jwk_of(key):
    n = key.public_numbers()
    return {"e": b64u(n.e.to_bytes(3, "big")), "n": b64u(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
            "kty": "RSA"}


def verify(body, trust, strict=False):
    """Returns (claims, enc_key) for a valid AzureGuest request; raises Rejected otherwise."""
    info = maa_wire.guest_info(body, strict)
    tpm = info["TpmInfo"]
    tb = maa_wire.guest_tpm_bytes(tpm)
    try:
        ak_cert = x509.load_der_x509_certificate(tb["AikCert"])
    except ValueError:
        raise Rejected("AikCert is not a DER certificate")
    verify_cert(ak_cert, trust["vtpm_ca"])
    _, ak_attrs, ak = parse_public(tb["AikPub"], names_allowed=True)
    if ak_cert.public_key().public_numbers() != ak.public_numbers():
        raise Rejected("AikCert does not certify AikPub")
    if not (ak_attrs & 0x10000 and ak_attrs & 0x40000 and ak_attrs & 0x2):
        raise Rejected("the AK is not a restricted signing key fixed to the TPM")
    quote = tb["PcrQuote"]
    rsassa_verify(ak, tb["PcrSignature"], quote, "PCR quote")
    q = parse_attest(quote)
    if q["type"] != 0x8018:
        raise Rejected("PcrQuote is not a quote")
    pcr_set, pcrs = maa_wire.guest_pcrs(tpm, strict)
    if len(q["pcr_select"]) != 1 or q["pcr_select"][0][0] != 0x000B:
        raise Rejected("quote is not over the SHA-256 bank")
    sel = q["pcr_select"][0][1]
    quoted = [i for i in range(8 * len(sel)) if sel[i // 8] >> (i % 8) & 1]
    if sorted(quoted) != sorted(pcr_set) or any(i not in pcrs for i in quoted):
        raise Rejected("PcrSet and PCRs do not match the quote's selection")
    if hashlib.sha256(b"".join(pcrs[i] for i in quoted)).digest() != q["pcr_digest"]:
        raise Rejected("PCR values do not match the quote's PCR digest")
    enc_area, enc_attrs, enc_key = parse_public(tb["EncKeyPub"])
    certify = tb["EncKeyCertifyInfo"]
    rsassa_verify(ak, tb["EncKeyCertifyInfoSignature"], certify, "EncKeyCertifyInfo")
    c = parse_attest(certify)
    if c["type"] != 0x8017 or c["name"] != b"\x00\x0b" + hashlib.sha256(enc_area).digest():
        raise Rejected("EncKeyCertifyInfo does not certify EncKeyPub")
    if not (enc_attrs & 0x20000 and enc_attrs & 0x2):
        raise Rejected("EncKeyPub is not a TPM-bound decryption key")
    typ, hw, runtime_raw, chain = maa_wire.guest_isolation(info, strict)
    if typ == "Tdx":
        import maa_vm
        if trust.get("intel_root") is None:
            raise Rejected("the test service has no Intel root (start it with --tee)")
        body = maa_vm.verify_td_quote(hw, trust)
        if body[520:552] != hashlib.sha256(runtime_raw).digest() or any(body[552:584]):
            raise Rejected("TD quote report_data does not bind the runtime data")
        runtime = json.loads(runtime_raw)
        report = None
    else:
        report, runtime = verify_snp(hw, chain, runtime_raw, trust)
    hcl_ak = [k for k in runtime.get("keys", []) if k.get("kid") == "HCLAkPub"]
    if not hcl_ak or (b64ud(hcl_ak[0]["n"]), b64ud(hcl_ak[0]["e"])) != (
            ak.public_numbers().n.to_bytes(256, "big"), ak.public_numbers().e.to_bytes(3, "big")):
        raise Rejected("HCLAkPub in the runtime data is not the AK")
    log = maa_wire.decode(info["TcgLogs"], "TcgLogs", (maa_wire.STD,)) if info.get("TcgLogs") else b""
    boot = replay_tcg_log(log, {i: pcrs[i] for i in quoted}) if log else None
    if report is not None:
        snp = snp_claims(report)
        tee = {"x-ms-attestation-type": "sevsnpvm", "x-ms-runtime": runtime}
        if not snp["x-ms-sevsnpvm-is-debuggable"] and snp["x-ms-sevsnpvm-vmpl"] == 0:
            tee["x-ms-compliance-status"] = "azure-compliant-cvm"
        tee.update(snp)
    else:
        tee = maa_vm.tdx_claims(body)
        tee["x-ms-runtime"] = runtime
        if not tee["tdx_td_attributes_debug"]:
            tee["x-ms-compliance-status"] = "azure-compliant-cvm"
    vmconf = runtime.get("vm-configuration", {})
    claims = {
        "secureboot": boot["secureboot"] if boot is not None else bool(vmconf.get("secure-boot")),
        "x-ms-attestation-type": "azurevm",
        "x-ms-azurevm-attestation-protocol-ver": info.get("AttestationProtocolVersion"),
        "x-ms-azurevm-attested-pcrs": sorted(quoted),
        "x-ms-azurevm-is-windows": False,
        "x-ms-azurevm-ostype": maa_wire.decode(info.get("OSType"), "OSType", (maa_wire.STD,)).decode(),
        "x-ms-azurevm-osdistro": maa_wire.decode(info.get("OSDistro"), "OSDistro", (maa_wire.STD,)).decode(),
        "x-ms-azurevm-osversion-major": maa_wire.os_version(info, "OSVersionMajor", strict),
        "x-ms-azurevm-osversion-minor": maa_wire.os_version(info, "OSVersionMinor", strict),
        "x-ms-azurevm-vmid": vmconf.get("vmUniqueId"),
        "x-ms-isolation-tee": tee,
        # MAA echoes the client payload as sent (the C++ client's values are base64 text).
        "x-ms-runtime": {"client-payload": info.get("ClientPayload") or {},
                         "keys": [dict(jwk_of(enc_key), kid="TpmEphemeralEncryptionKey", key_ops=["encrypt"])]},
        "x-ms-policy-hash": b64u(hashlib.sha256(b"attestgate test service default policy").digest()),
        "x-ms-ver": "1.0",
    }
    if boot is not None:
        # A Linux boot log that replays to the quote has none of the Windows debug switches.
        claims["x-ms-azurevm-bootdebug-enabled"] = False
        claims["x-ms-azurevm-kerneldebug-enabled"] = False
        claims["x-ms-azurevm-hypervisordebug-enabled"] = False
    return claims, enc_key


def encrypt(jwt, enc_key):
    """The AzureGuest response body for jwt, openable only by the TPM holding enc_key."""
    inner = AESGCM.generate_key(bit_length=256)
    iv = os.urandom(12)
    sealed = AESGCM(inner).encrypt(iv, jwt.encode(), b"Transport Key")
    env = {
        "EncryptedInnerKey": base64.b64encode(enc_key.encrypt(inner, padding.PKCS1v15())).decode(),
        "EncryptionParams": {"Iv": base64.b64encode(iv).decode(), "BlockMode": "ChainingModeGCM",
                             "BlockPadding": "PKCS7", "Cipher": "AES", "KeySizeInBits": 256},
        "AuthenticationData": base64.b64encode(sealed[-16:]).decode(),
        "Jwt": base64.b64encode(sealed[:-16]).decode(),
    }
    return json.dumps({"token": b64u(json.dumps(env).encode())}).encode()
