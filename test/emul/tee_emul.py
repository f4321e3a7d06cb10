#!/usr/bin/python3
"""tee_emul.py - emulated SEV-SNP and TDX guest hardware for tests.  Test
code only: every key is a throw-away test key; nothing chains to AMD or
Intel, so attestgate accepts what this makes only with --insecure-test-roots.

  tee_emul.py pki DIR                    test AMD chain (VCEK/ASK/ARK) and Intel chain
                                         (PCK/platform CA/root + attestation key) in DIR
  tee_emul.py snp-report DIR HEX [VMPL]  SNP report (v3, Milan) for REPORT_DATA HEX, to stdout
  tee_emul.py crl DIR intel-pck|intel-root|amd-ark [revoke]  a DER CRL of the test chains, to stdout
  tee_emul.py td-quote DIR HEX [VER [QE_FAULT]]  TD quote (v4, or 5) for REPORT_DATA HEX, to stdout;
                                        QE_FAULT debug|signer|prodid|oldsvn breaks the QE report
  tee_emul.py certtable DIR              GHCB cert table (VCEK, ASK, ARK), to stdout
  tee_emul.py uvm-reference DIR [MEAS]   base64 COSE_Sign1 UVM endorsement for launch measurement MEAS
                                         (default: the emulated reports'), signed under DIR/uvm-root.pem
  tee_emul.py tsmfs DIR MOUNT PROVIDER [--no-auxblob] [--conflicts N]
                                         configfs-tsm report directory over FUSE
                                         (PROVIDER sev_guest or tdx_guest), until SIGTERM
"""
import base64
import datetime
import errno
import hashlib
import json
import os
import stat
import struct
import sys
import threading
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rig"))
import make_azure_evidence as mae  # noqa: E402  (test VCEK extensions, SNP report layout)

GUID_VCEK = uuid.UUID("63da758d-e664-4564-adc5-f4b93be8accd").bytes
GUID_ASK = uuid.UUID("4ab7b379-bbac-4fe4-a02f-05aef327c782").bytes
GUID_ARK = uuid.UUID("c0b406a4-a803-4952-9743-3fb6014cd0ae").bytes
# HOST_DATA of the emulated reports: what the kata agent policy digest would be.
HOST_DATA = hashlib.sha256(b"attestgate test kata agent policy").digest()
INTEL_QE_VENDOR = bytes.fromhex("939a7233f79c4ca9940a0db3957f0607")


def save_key(path, key):
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def load_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def save_cert(path, c):
    with open(path, "wb") as f:
        f.write(c.public_bytes(serialization.Encoding.PEM))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def pki(d):
    from cryptography.hazmat.primitives.asymmetric import rsa
    os.makedirs(os.path.join(d, "test-roots"), exist_ok=True)
    ark_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ask_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    vcek_key = ec.generate_private_key(ec.SECP384R1())
    ark = mae.cert("TEST-ARK-NOT-AMD", ark_key.public_key(), "TEST-ARK-NOT-AMD", ark_key, True, hashes.SHA384())
    ask = mae.cert("TEST-ASK-NOT-AMD", ask_key.public_key(), "TEST-ARK-NOT-AMD", ark_key, True, hashes.SHA384())
    vcek = mae.cert("TEST-VCEK-NOT-AMD", vcek_key.public_key(), "TEST-ASK-NOT-AMD", ask_key, False, hashes.SHA384(), True)
    save_key(os.path.join(d, "vcek.key"), vcek_key)
    save_key(os.path.join(d, "ark.key"), ark_key)
    for n, c in (("vcek", vcek), ("ask", ask), ("ark", ark)):
        with open(os.path.join(d, n + ".der"), "wb") as f:
            f.write(c.public_bytes(serialization.Encoding.DER))
    save_cert(os.path.join(d, "test-roots", "test-ark.pem"), ark)
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (ask, ark)).decode()
    thim = json.dumps({"vcekCert": vcek.public_bytes(serialization.Encoding.PEM).decode(), "certificateChain": chain,
                       "tcbm": "%016X" % mae.TCB, "cacheControl": "86400"})
    with open(os.path.join(d, "thim.json"), "w") as f:
        f.write(thim)
    with open(os.path.join(d, "host-amd-cert-base64"), "w") as f:
        f.write(base64.b64encode(thim.encode()).decode())

    root_key = ec.generate_private_key(ec.SECP256R1())
    pca_key = ec.generate_private_key(ec.SECP256R1())
    pck_key = ec.generate_private_key(ec.SECP256R1())
    root = mae.cert("TEST Intel SGX Root CA (NOT INTEL)", root_key.public_key(), "TEST Intel SGX Root CA (NOT INTEL)",
                    root_key, True, hashes.SHA256())
    pca = mae.cert("TEST Intel SGX PCK Platform CA (NOT INTEL)", pca_key.public_key(),
                   "TEST Intel SGX Root CA (NOT INTEL)", root_key, True, hashes.SHA256())
    pck = mae.cert("TEST Intel SGX PCK Certificate (NOT INTEL)", pck_key.public_key(),
                   "TEST Intel SGX PCK Platform CA (NOT INTEL)", pca_key, False, hashes.SHA256())
    save_key(os.path.join(d, "pck.key"), pck_key)
    save_key(os.path.join(d, "pck-ca.key"), pca_key)
    save_key(os.path.join(d, "intel-root.key"), root_key)
    for n, c in (("pck", pck), ("pck-ca", pca), ("intel-root", root)):
        save_cert(os.path.join(d, n + ".pem"), c)
    save_key(os.path.join(d, "attestation.key"), ec.generate_private_key(ec.SECP256R1()))
    with open(os.path.join(d, "pck-chain.pem"), "wb") as f:
        for c in (pck, pca, root):
            f.write(c.public_bytes(serialization.Encoding.PEM))
    save_cert(os.path.join(d, "test-roots", "test-intel-root.pem"), root)

    # The UVM endorsement signer (Microsoft's, for real kata-cc UVMs).
    uroot_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    usign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    uroot = mae.cert("TEST Supply Chain Root (NOT MICROSOFT)", uroot_key.public_key(),
                     "TEST Supply Chain Root (NOT MICROSOFT)", uroot_key, True, hashes.SHA384())
    usign = mae.cert("TEST ContainerPlat (NOT MICROSOFT)", usign_key.public_key(),
                     "TEST Supply Chain Root (NOT MICROSOFT)", uroot_key, False, hashes.SHA384())
    save_key(os.path.join(d, "uvm-signer.key"), usign_key)
    save_cert(os.path.join(d, "uvm-root.pem"), uroot)
    save_cert(os.path.join(d, "uvm-signer.pem"), usign)


def snp_report(d, report_data, vmpl=0):
    r = bytearray(mae.snp_report(report_data, load_key(os.path.join(d, "vcek.key"))))
    struct.pack_into("<I", r, 0, 3)                    # version 3: names its CPU
    r[0x188:0x18B] = bytes([0x19, 0x01, 0x01])         # CPUID family/model/stepping: Milan
    struct.pack_into("<I", r, 0x30, vmpl)
    r[0xC0:0xE0] = HOST_DATA
    # Re-sign after setting VMPL and HOST_DATA.
    rs, ss = decode_dss_signature(load_key(os.path.join(d, "vcek.key")).sign(bytes(r[:0x2A0]),
                                                                            ec.ECDSA(hashes.SHA384())))
    r[0x2A0:0x2A0 + 72] = rs.to_bytes(72, "little")
    r[0x2E8:0x2E8 + 72] = ss.to_bytes(72, "little")
    return bytes(r)


def p256_sign(key, data):
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


INTEL_TD_QE_MRSIGNER = bytes.fromhex("dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5")


def qe_report_body(fault=None):
    """An SGX REPORT_BODY as Intel's TD QE writes it (MRSIGNER, ISVPRODID 2, ISVSVN 4, no DEBUG); fault breaks one field."""
    qe = bytearray(384)
    qe[48:64] = bytes.fromhex("1500000000000000e700000000000000")          # ATTRIBUTES: INIT|MODE64|PROVISIONKEY
    qe[128:160] = INTEL_TD_QE_MRSIGNER
    struct.pack_into("<HH", qe, 256, 2, 4)                                  # ISVPRODID 2 (TD QE), ISVSVN 4
    if fault == "debug":
        qe[48] |= 0x02
    elif fault == "signer":
        qe[128:160] = hashlib.sha256(b"not Intel").digest()
    elif fault == "prodid":
        struct.pack_into("<H", qe, 256, 1)
    elif fault == "oldsvn":
        struct.pack_into("<H", qe, 258, 1)
    return qe


def td_quote(d, report_data, version=4, qe_fault=None):
    header = struct.pack("<HHIHH", version, 2, 0x81, 0, 0) + INTEL_QE_VENDOR + bytes(20)
    body = bytearray(584)
    body[0:16] = bytes([3, 0, 5]) + bytes(13)                          # TEE_TCB_SVN
    body[16:64] = hashlib.sha384(b"test MRSEAM").digest()
    body[120:128] = struct.pack("<Q", 1 << 28)                         # TD attributes: SEPT_VE_DISABLE, no DEBUG
    body[128:136] = struct.pack("<Q", 0xE7)                            # XFAM
    body[136:184] = hashlib.sha384(b"test MRTD").digest()
    for i in range(4):
        body[328 + 48 * i:376 + 48 * i] = hashlib.sha384(b"test RTMR%d" % i).digest()
    body[520:584] = report_data
    signed = header + (struct.pack("<HI", 2, 584) if version == 5 else b"") + bytes(body)
    ak = load_key(os.path.join(d, "attestation.key"))
    nums = ak.public_key().public_numbers()
    ak_raw = nums.x.to_bytes(32, "big") + nums.y.to_bytes(32, "big")
    auth = bytes(range(32))
    qe = qe_report_body(qe_fault)
    qe[320:352] = hashlib.sha256(ak_raw + auth).digest()
    qe_sig = p256_sign(load_key(os.path.join(d, "pck.key")), bytes(qe))
    pem = read(os.path.join(d, "pck-chain.pem")) + b"\0"
    inner = struct.pack("<HI", 5, len(pem)) + pem
    qe_cert = bytes(qe) + qe_sig + struct.pack("<H", len(auth)) + auth + inner
    sig_data = p256_sign(ak, signed) + ak_raw + struct.pack("<HI", 6, len(qe_cert)) + qe_cert
    return signed + struct.pack("<I", len(sig_data)) + sig_data


def crl(d, which, revoke=False):
    """A DER CRL of the test chains: intel-pck (by the PCK CA), intel-root (by the root), amd-ark (by the ARK);
    with revoke, it lists the PCK certificate, the PCK CA or the ASK."""
    issuer_cert, issuer_key, victim = {
        "intel-pck": ("pck-ca.pem", "pck-ca.key", "pck.pem"),
        "intel-root": ("intel-root.pem", "intel-root.key", "pck-ca.pem"),
        "amd-ark": ("test-roots/test-ark.pem", "ark.key", "ask.der"),
    }[which]
    issuer = x509.load_pem_x509_certificate(read(os.path.join(d, issuer_cert)))
    raw = read(os.path.join(d, victim))
    victim_cert = x509.load_der_x509_certificate(raw) if victim.endswith(".der") else x509.load_pem_x509_certificate(raw)
    now = datetime.datetime(2020, 1, 1)
    b = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject).last_update(now)
         .next_update(datetime.datetime(2049, 12, 31)))
    if revoke:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(victim_cert.serial_number)
                                      .revocation_date(now).build())
    key = load_key(os.path.join(d, issuer_key))
    algo = hashes.SHA384() if which == "amd-ark" else hashes.SHA256()
    return b.sign(key, algo).public_bytes(serialization.Encoding.DER)


def uvm_reference(d, measurement):
    """base64 of a COSE_Sign1 UVM endorsement (PS384, x5chain) for a launch measurement, like reference-info-base64."""
    import cbor2
    from cryptography.hazmat.primitives.asymmetric import padding
    signer = x509.load_pem_x509_certificate(read(os.path.join(d, "uvm-signer.pem")))
    root = x509.load_pem_x509_certificate(read(os.path.join(d, "uvm-root.pem")))
    protected = cbor2.dumps({1: -38, 3: "application/json", 33: [signer.public_bytes(serialization.Encoding.DER),
                             root.public_bytes(serialization.Encoding.DER)], "feed": "ContainerPlat-AMD-UVM",
                             "iss": "did:x509:0:sha256:TEST::eku:1.3.6.1.4.1.311.76.59.1.2"})
    payload = json.dumps({"x-ms-sevsnpvm-guestsvn": "1", "x-ms-sevsnpvm-launchmeasurement": measurement}).encode()
    sig = load_key(os.path.join(d, "uvm-signer.key")).sign(
        cbor2.dumps(["Signature1", protected, b"", payload]), padding.PSS(padding.MGF1(hashes.SHA384()), 48),
        hashes.SHA384())
    return base64.b64encode(cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, sig])))


def cert_table(d):
    certs = [(GUID_VCEK, read(os.path.join(d, "vcek.der"))), (GUID_ASK, read(os.path.join(d, "ask.der"))),
             (GUID_ARK, read(os.path.join(d, "ark.der")))]
    off = 24 * (len(certs) + 1)
    table, blobs = b"", b""
    for g, der in certs:
        table += g + struct.pack("<II", off + len(blobs), len(der))
        blobs += der
    return table + bytes(24) + blobs


class TsmFs:
    """The configfs-tsm report directory: mkdir makes an entry with its attributes,
    inblob/privlevel writes bump generation, reading outblob makes the report."""

    ATTRS = {"inblob": 0o200, "privlevel": 0o200, "outblob": 0o400, "auxblob": 0o400, "provider": 0o444,
             "generation": 0o444, "privlevel_floor": 0o444}

    def __init__(self, d, provider, auxblob=True, conflicts=0):
        self.d, self.provider, self.auxblob, self.conflicts = d, provider, auxblob, conflicts
        self.entries, self.mutex, self.pending = {}, threading.Lock(), {}
        self.ATTRS = dict(self.ATTRS)
        if provider != "sev_guest" or not auxblob:
            del self.ATTRS["auxblob"]
        if provider != "sev_guest":
            del self.ATTRS["privlevel"], self.ATTRS["privlevel_floor"]

    def split(self, path):
        parts = [p for p in path.split("/") if p]
        return parts + [None] * (2 - len(parts))

    def getattr(self, path, fh=None):
        entry, attr = self.split(path)
        now = 0
        if entry is None:
            return dict(st_mode=stat.S_IFDIR | 0o755, st_nlink=2, st_mtime=now)
        with self.mutex:
            if entry not in self.entries:
                raise FuseOSError(errno.ENOENT)
            if attr is None:
                return dict(st_mode=stat.S_IFDIR | 0o755, st_nlink=2, st_mtime=now)
            if attr not in self.ATTRS:
                raise FuseOSError(errno.ENOENT)
            return dict(st_mode=stat.S_IFREG | self.ATTRS[attr], st_nlink=1, st_size=4096, st_mtime=now)

    def readdir(self, path, fh):
        entry, _ = self.split(path)
        with self.mutex:
            if entry is None:
                return [".", ".."] + list(self.entries)
            return [".", ".."] + list(self.ATTRS)

    def mkdir(self, path, mode):
        entry, attr = self.split(path)
        if attr is not None:
            raise FuseOSError(errno.EPERM)
        with self.mutex:
            if entry in self.entries:
                raise FuseOSError(errno.EEXIST)
            self.entries[entry] = {"inblob": bytes(64), "privlevel": 0, "generation": 0, "cache": None}

    def rmdir(self, path):
        entry, attr = self.split(path)
        with self.mutex:
            if attr is not None or entry not in self.entries:
                raise FuseOSError(errno.ENOENT)
            del self.entries[entry]

    def open(self, path, flags):
        entry, attr = self.split(path)
        self.getattr(path)
        key = (entry, attr, threading.get_ident())
        self.pending[key] = b""
        return 0

    def truncate(self, path, length, fh=None):
        return 0

    def write(self, path, data, offset, fh):
        entry, attr = self.split(path)
        if attr not in ("inblob", "privlevel"):
            raise FuseOSError(errno.EACCES)
        with self.mutex:
            e = self.entries[entry]
            if attr == "inblob":
                if offset + len(data) > 64:
                    raise FuseOSError(errno.EINVAL)
                blob = bytearray(e["inblob"] if offset else bytes(64))
                blob[offset:offset + len(data)] = data
                e["inblob"] = bytes(blob)
            else:
                lvl = int(data.decode().strip())
                if not 0 <= lvl <= 3:
                    raise FuseOSError(errno.EINVAL)
                e["privlevel"] = lvl
            e["generation"] += 1
            e["cache"] = None
        return len(data)

    def content(self, entry, attr):
        with self.mutex:
            e = self.entries[entry]
            if attr == "provider":
                return (self.provider + "\n").encode()
            if attr == "generation":
                return b"%d\n" % e["generation"]
            if attr == "privlevel_floor":
                return b"0\n"
            if attr in ("outblob", "auxblob"):
                if e["cache"] is None:
                    if self.provider == "sev_guest":
                        e["cache"] = (snp_report(self.d, e["inblob"], e["privlevel"]), cert_table(self.d))
                    else:
                        e["cache"] = (td_quote(self.d, e["inblob"]), b"")
                    if self.conflicts > 0:
                        # Another writer touches the entry right after this report was made.
                        self.conflicts -= 1
                        e["generation"] += 1
                return e["cache"][0 if attr == "outblob" else 1]
        raise FuseOSError(errno.EACCES)

    def read(self, path, size, offset, fh):
        entry, attr = self.split(path)
        if attr in ("inblob", "privlevel"):
            raise FuseOSError(errno.EACCES)
        return self.content(entry, attr)[offset:offset + size]

    def release(self, path, fh):
        self.pending.pop((*self.split(path), threading.get_ident()), None)
        return 0


def tsmfs(d, mount, provider, args):
    import fusepy
    global FuseOSError
    FuseOSError = fusepy.FuseOSError
    conflicts = int(args[args.index("--conflicts") + 1]) if "--conflicts" in args else 0

    class Ops(TsmFs, fusepy.Operations):
        pass
    ops = Ops(d, provider, "--no-auxblob" not in args, conflicts)
    fusepy.FUSE(ops, mount, foreground=True, direct_io=True, nothreads=True, default_permissions=False)


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    if cmd == "pki":
        pki(d)
    elif cmd == "snp-report":
        sys.stdout.buffer.write(snp_report(d, bytes.fromhex(sys.argv[3]).ljust(64, b"\0"),
                                           int(sys.argv[4]) if len(sys.argv) > 4 else 0))
    elif cmd == "td-quote":
        sys.stdout.buffer.write(td_quote(d, bytes.fromhex(sys.argv[3]).ljust(64, b"\0"),
                                         int(sys.argv[4]) if len(sys.argv) > 4 else 4,
                                         sys.argv[5] if len(sys.argv) > 5 else None))
    elif cmd == "uvm-reference":
        sys.stdout.buffer.write(uvm_reference(d, sys.argv[3] if len(sys.argv) > 3 else
                                              hashlib.sha384(b"attestgate test launch measurement").hexdigest()))
    elif cmd == "crl":
        sys.stdout.buffer.write(crl(d, sys.argv[3], len(sys.argv) > 4 and sys.argv[4] == "revoke"))
    elif cmd == "certtable":
        sys.stdout.buffer.write(cert_table(d))
    elif cmd == "tsmfs":
        tsmfs(d, sys.argv[3], sys.argv[4], sys.argv[5:])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
