#!/usr/bin/python3
"""make_azure_evidence.py - what the Azure paravisor and provisioning would
put into a CVM's vTPM, made for a test TPM.  Test code only: every key here
is a throw-away test key; nothing chains to AMD or Microsoft.

Usage: make_azure_evidence.py DIR [--tdx]
Reads DIR/akpub.pem (the AK the rig created in the swtpm) and writes:
  DIR/ak-cert.der        AK certificate signed by a test vTPM CA
  DIR/vtpm-ca.pem        that CA
  DIR/vcek-chain.pem     test VCEK (with AMD's extensions), ASK, ARK (NOT the AMD roots)
  DIR/test-roots/        the test ARK, for --insecure-test-roots
  DIR/hcl-report.bin     2048-byte HCL report: SNP report (v2) signed by the
                         test VCEK, report_data = SHA-256(runtime JSON),
                         runtime JSON with the AK as HCLAkPub
  DIR/runtime.json       that runtime JSON
With --tdx the HCL report holds a TDREPORT instead (report type 4; its
REPORTDATA = SHA-256(runtime JSON)); its TD quote comes from the test IMDS.
"""
import base64
import datetime
import hashlib
import json
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

NOT_BEFORE = datetime.datetime(2020, 1, 1)
NOT_AFTER = datetime.datetime(2049, 12, 31)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "attestgate tests (INSECURE)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


CHIP_ID = hashlib.sha512(b"attestgate test chip").digest()
TCB = 0x7308000000000003  # bl 3, tee 0, snp 8, ucode 0x73


def amd_extensions(b):
    """The VCEK extensions AMD's KDS puts in (1.3.6.1.4.1.3704.1.*), for the test VCEK."""
    def ext(oid, der):
        return b.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), der), critical=False)
    b = ext("1.3.6.1.4.1.3704.1.1", bytes([2, 1, 0]))
    b = ext("1.3.6.1.4.1.3704.1.2", bytes([0x16, 8]) + b"Milan-B0")
    for k, v in ((1, TCB & 0xFF), (2, TCB >> 8 & 0xFF), (3, TCB >> 48 & 0xFF), (8, TCB >> 56)):
        b = ext("1.3.6.1.4.1.3704.1.3.%d" % k, bytes([2, 2, 0, v]) if v >= 0x80 else bytes([2, 1, v]))
    return ext("1.3.6.1.4.1.3704.1.4", bytes([4, 64]) + CHIP_ID)


def cert(subject_cn, pub, issuer_cn, issuer_key, ca, alg, vcek=False):
    b = (x509.CertificateBuilder().subject_name(name(subject_cn)).issuer_name(name(issuer_cn))
         .public_key(pub).serial_number(x509.random_serial_number())
         .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if vcek:
        b = amd_extensions(b)
    return b.sign(issuer_key, alg)


def snp_report(report_data, vcek):
    r = bytearray(0x4A0)
    struct.pack_into("<IIQ", r, 0, 2, 1, 0x3001F)       # version, guest_svn, policy (debug off)
    struct.pack_into("<II", r, 0x30, 0, 1)              # vmpl 0, signature algo ECDSA P-384/SHA-384
    struct.pack_into("<QQ", r, 0x38, TCB, 0x3)  # current TCB, platform info
    r[0x50:0x90] = report_data
    r[0x90:0xC0] = hashlib.sha384(b"attestgate test launch measurement").digest()
    r[0x140:0x160] = hashlib.sha256(b"attestgate test report id").digest()
    struct.pack_into("<Q", r, 0x180, TCB)  # reported TCB
    r[0x1A0:0x1E0] = CHIP_ID
    struct.pack_into("<Q", r, 0x1E0, 0x7308000000000003)  # committed TCB
    struct.pack_into("<Q", r, 0x1F0, 0x7308000000000003)  # launch TCB
    rs, ss = decode_dss_signature(vcek.sign(bytes(r[:0x2A0]), ec.ECDSA(hashes.SHA384())))
    r[0x2A0:0x2A0 + 72] = rs.to_bytes(72, "little")
    r[0x2E8:0x2E8 + 72] = ss.to_bytes(72, "little")
    return bytes(r)


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "akpub.pem"), "rb") as f:
        ak = serialization.load_pem_public_key(f.read())
    nums = ak.public_numbers()

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = cert("attestgate test vTPM CA", ca_key.public_key(), "attestgate test vTPM CA", ca_key, True, hashes.SHA256())
    ak_cert = cert("attestgate test AK", ak, "attestgate test vTPM CA", ca_key, False, hashes.SHA256())
    with open(os.path.join(d, "vtpm-ca.pem"), "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(d, "ak-cert.der"), "wb") as f:
        f.write(ak_cert.public_bytes(serialization.Encoding.DER))

    ark_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ask_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    vcek_key = ec.generate_private_key(ec.SECP384R1())
    ark = cert("TEST-ARK-NOT-AMD", ark_key.public_key(), "TEST-ARK-NOT-AMD", ark_key, True, hashes.SHA384())
    ask = cert("TEST-ASK-NOT-AMD", ask_key.public_key(), "TEST-ARK-NOT-AMD", ark_key, True, hashes.SHA384())
    vcek = cert("TEST-VCEK-NOT-AMD", vcek_key.public_key(), "TEST-ASK-NOT-AMD", ask_key, False, hashes.SHA384(), True)
    with open(os.path.join(d, "vcek-chain.pem"), "wb") as f:
        for c in (vcek, ask, ark):
            f.write(c.public_bytes(serialization.Encoding.PEM))
    os.makedirs(os.path.join(d, "test-roots"), exist_ok=True)
    with open(os.path.join(d, "test-roots", "test-ark.pem"), "wb") as f:
        f.write(ark.public_bytes(serialization.Encoding.PEM))

    runtime = json.dumps({
        "keys": [{"kid": "HCLAkPub", "key_ops": ["sign"], "kty": "RSA",
                  "e": b64u(nums.e.to_bytes(3, "big")),
                  "n": b64u(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big"))}],
        "vm-configuration": {"console-enabled": True, "secure-boot": True, "tpm-enabled": True,
                             "vmUniqueId": "00000000-0000-4000-8000-0000A77E57ED"},
        "user-data": "00" * 64,
    }, separators=(",", ":")).encode()
    report_data = hashlib.sha256(runtime).digest() + bytes(32)
    hcl = bytearray(2048)
    size = 0x4D4 + len(runtime)
    if size > len(hcl):
        sys.exit("HCL report would not fit swtpm's 2048-byte NV index")
    struct.pack_into("<4sIII", hcl, 0, b"HCLA", 2, size, 2)
    if "--tdx" in sys.argv:
        # TDREPORT: REPORTMACSTRUCT (REPORTDATA at 0x80), TEE_TCB_INFO, TDINFO; the MAC is not checkable off-CPU.
        tdreport = bytearray(1024)
        tdreport[0:4] = bytes([0x81, 0, 0, 0])
        tdreport[0x80:0xC0] = report_data
        tdreport[0x200 + 16:0x200 + 64] = hashlib.sha384(b"attestgate test TD MRTD").digest()
        hcl[0x20:0x20 + 1024] = tdreport
    else:
        hcl[0x20:0x20 + 0x4A0] = snp_report(report_data, vcek_key)
    struct.pack_into("<IIIII", hcl, 0x4C0, 20 + len(runtime), 1, 4 if "--tdx" in sys.argv else 2, 1, len(runtime))
    hcl[0x4D4:0x4D4 + len(runtime)] = runtime
    with open(os.path.join(d, "hcl-report.bin"), "wb") as f:
        f.write(hcl)
    with open(os.path.join(d, "runtime.json"), "wb") as f:
        f.write(runtime)


if __name__ == "__main__":
    main()
