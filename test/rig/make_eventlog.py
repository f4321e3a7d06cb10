#!/usr/bin/python3
"""make_eventlog.py - a small TCG PC Client crypto-agile event log (SHA-256
bank) of a measured UEFI boot with Secure Boot on, for the test rig.  Test
code only.

Usage: make_eventlog.py OUT
Writes the log to OUT and prints one "PCR:sha256=DIGEST" line per event, in
order, for tpm2_pcrextend, so that the rig's PCRs replay from the log.
"""
import hashlib
import struct
import sys

EV_NO_ACTION = 0x3
EV_SEPARATOR = 0x4
EV_S_CRTM_VERSION = 0x8
EV_EFI_VARIABLE_DRIVER_CONFIG = 0x800000C1
EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003
EV_EFI_ACTION = 0x80000007
EFI_GLOBAL_VARIABLE = bytes.fromhex("61dfe48bca93d211aa0d00e098032b8c")
TPM_ALG_SHA256 = 0x000B


def spec_id_event():
    data = b"Spec ID Event03\0" + struct.pack("<IBBBB", 0, 0, 2, 0, 2)
    data += struct.pack("<I", 1) + struct.pack("<HH", TPM_ALG_SHA256, 32) + b"\0"
    return struct.pack("<II", 0, EV_NO_ACTION) + bytes(20) + struct.pack("<I", len(data)) + data


def efi_variable(name, value):
    uname = name.encode("utf-16-le")
    return EFI_GLOBAL_VARIABLE + struct.pack("<QQ", len(name), len(value)) + uname + value


def main():
    events = [
        (0, EV_S_CRTM_VERSION, "attestgate rig firmware 1.0".encode("utf-16-le") + b"\0\0", None),
        (7, EV_EFI_VARIABLE_DRIVER_CONFIG, efi_variable("SecureBoot", b"\x01"), None),
        (4, EV_EFI_ACTION, b"Calling EFI Application from Boot Option", None),
        (4, EV_EFI_BOOT_SERVICES_APPLICATION, b"attestgate rig shim", hashlib.sha256(b"rig shim image").digest()),
        (4, EV_EFI_BOOT_SERVICES_APPLICATION, b"attestgate rig kernel", hashlib.sha256(b"rig kernel image").digest()),
    ]
    events += [(pcr, EV_SEPARATOR, bytes(4), None) for pcr in range(8)]
    log = spec_id_event()
    lines = []
    for pcr, typ, data, digest in events:
        d = digest if digest is not None else hashlib.sha256(data).digest()
        log += struct.pack("<III", pcr, typ, 1) + struct.pack("<H", TPM_ALG_SHA256) + d
        log += struct.pack("<I", len(data)) + data
        lines.append("%d:sha256=%s" % (pcr, d.hex()))
    with open(sys.argv[1], "wb") as f:
        f.write(log)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
