"""maa_wire.py - the wire encodings of MAA's attestation requests, as
Microsoft's own clients produce them (docs/protocols.md is the table this
module follows).  Test code only.

Every decoder here accepts exactly the encodings some Microsoft client
sends for that field, and nothing else: base64 where the C++
AttestationClient sends base64, base64url where the Python client does,
padded base64url where the confidential-sidecar's Go code pads.  A value
that no Microsoft client would send (raw PEM where base64 is due, an object
where a base64url string is due) is rejected in every mode, because real MAA
evidently does not take it either.

Strict mode (maa_service.py --strict-conformance) adds the rules of the
table that MAA may not enforce but that the Microsoft clients always keep:
every field present with its documented type, no unknown fields, the
Content-Type header, OS major version >= 1 (the C++ client refuses 0).
"""
import base64
import binascii
import json
import re


class Rejected(Exception):
    """Evidence that does not verify, or a request MAA would not take: HTTP 400 with the reason."""


STD = "base64"          # standard alphabet, '=' padded (C++ client, Python std fields)
URL = "base64url"       # URL alphabet, no padding (C++ / Python base64url)
URL_PAD = "base64url+pad"  # URL alphabet, '=' padded (Go base64.URLEncoding: the sidecar)

_STD_RE = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
_URL_RE = re.compile(r"^[A-Za-z0-9_-]*$")
_URL_PAD_RE = re.compile(r"^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$")


def _decode_one(s, enc):
    try:
        if enc == STD and _STD_RE.match(s):
            return base64.b64decode(s, validate=True)
        if enc == URL and _URL_RE.match(s) and len(s) % 4 != 1:
            return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        if enc == URL_PAD and _URL_PAD_RE.match(s):
            return base64.urlsafe_b64decode(s)
    except (binascii.Error, ValueError):
        pass
    return None


def decode(value, field, encodings):
    """Bytes of a base64 field that must be in one of encodings; Rejected otherwise (naming the field)."""
    if not isinstance(value, str):
        raise Rejected("%s must be a %s string" % (field, " or ".join(encodings)))
    for enc in encodings:
        out = _decode_one(value, enc)
        if out is not None:
            return out
    raise Rejected("%s is not %s" % (field, " or ".join(encodings)))


def member(obj, key, field, types, required=True):
    """obj[key] of one of types; Rejected when missing (if required) or of another type."""
    if not isinstance(obj, dict):
        raise Rejected("%s is not a JSON object" % field.rsplit(".", 1)[0])
    if key not in obj:
        if required:
            raise Rejected("%s is missing" % field)
        return None
    v = obj[key]
    tt = types if isinstance(types, tuple) else (types,)
    if not isinstance(v, tt) or (isinstance(v, bool) and bool not in tt):
        raise Rejected("%s has the wrong JSON type" % field)
    return v


def only_keys(obj, allowed, where):
    extra = sorted(set(obj) - set(allowed))
    if extra:
        raise Rejected("%s has fields no Microsoft client sends: %s" % (where, ", ".join(extra)))


def check_content_type(headers):
    ct = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ct != "application/json":
        raise Rejected("Content-Type must be application/json (got %r)" % headers.get("Content-Type"))


# --- AzureGuest (C++ AttestationClient and the Python cvm-attestation client) -------------------------

GUEST_TOP = ("AttestationProtocolVersion", "OSType", "OSDistro", "OSVersionMajor", "OSVersionMinor", "OSBuild",
             "TcgLogs", "ClientPayload", "TpmInfo", "IsolationInfo")
GUEST_TPM = ("AikCert", "AikPub", "PcrQuote", "PcrSignature", "EncKeyPub", "EncKeyCertifyInfo",
             "EncKeyCertifyInfoSignature", "PcrSet", "PCRs")
TPM_FIELDS_STD = GUEST_TPM[:7]


def os_version(info, key, strict):
    """OSVersionMajor/Minor: a JSON integer (C++) or a string of digits (Python)."""
    v = member(info, key, key, (int, str), required=True)
    if isinstance(v, bool) or (isinstance(v, str) and not re.match(r"^[0-9]{1,9}$", v)):
        raise Rejected("%s must be an integer or a string of digits" % key)
    n = int(v)
    if strict and key == "OSVersionMajor" and n < 1:
        raise Rejected("OSVersionMajor is 0: Microsoft's C++ client refuses to send it (AttestationParameters::Validate)")
    return n


def guest_info(body, strict):
    """The AttestationInfo object of an AzureGuest request body."""
    try:
        outer = json.loads(body)
    except ValueError:
        raise Rejected("request body is not JSON")
    if not isinstance(outer, dict) or "AttestationInfo" not in outer:
        raise Rejected("request is not an AzureGuest AttestationInfo")
    if strict:
        only_keys(outer, ("AttestationInfo",), "the request body")
    raw = decode(outer["AttestationInfo"], "AttestationInfo", (URL, URL_PAD))
    try:
        info = json.loads(raw)
    except ValueError:
        raise Rejected("AttestationInfo does not decode to JSON")
    if not isinstance(info, dict):
        raise Rejected("AttestationInfo is not a JSON object")
    tpm = member(info, "TpmInfo", "TpmInfo", dict)
    if strict:
        only_keys(info, GUEST_TOP, "AttestationInfo")
        only_keys(tpm, GUEST_TPM, "TpmInfo")
        for k in GUEST_TOP:
            if k not in info:
                raise Rejected("AttestationInfo.%s is missing" % k)
        if info["AttestationProtocolVersion"] != "2.0":
            raise Rejected("AttestationProtocolVersion must be \"2.0\"")
        for k in ("OSType", "OSDistro", "OSBuild"):
            if not decode(info[k], k, (STD,)):
                raise Rejected("%s is empty" % k)
        for k in ("OSVersionMajor", "OSVersionMinor"):
            os_version(info, k, strict)
        decode(info["TcgLogs"], "TcgLogs", (STD,))
        if not isinstance(info["ClientPayload"], (dict, type(None))):
            raise Rejected("ClientPayload must be a JSON object")
    return info


def guest_tpm_bytes(tpm):
    """The binary TpmInfo fields, each standard base64 in both Microsoft clients."""
    return {k: decode(member(tpm, k, "TpmInfo." + k, str), "TpmInfo." + k, (STD,)) for k in TPM_FIELDS_STD}


def guest_pcrs(tpm, strict):
    pcr_set = member(tpm, "PcrSet", "TpmInfo.PcrSet", list)
    entries = member(tpm, "PCRs", "TpmInfo.PCRs", list)
    pcrs = {}
    for p in entries:
        idx = member(p, "Index", "TpmInfo.PCRs[].Index", int)
        digest = decode(member(p, "Digest", "TpmInfo.PCRs[].Digest", str), "TpmInfo.PCRs[].Digest", (STD,))
        if strict and len(digest) != 32:
            raise Rejected("TpmInfo.PCRs[%d].Digest is not a SHA-256 digest" % idx)
        pcrs[idx] = digest
    if any(not isinstance(i, int) or isinstance(i, bool) for i in pcr_set):
        raise Rejected("TpmInfo.PcrSet must list integers")
    return pcr_set, pcrs


def guest_isolation(info, strict):
    """(type, proof bytes, runtime bytes, snp proof dict or None) of IsolationInfo."""
    iso = member(info, "IsolationInfo", "IsolationInfo", dict)
    typ = member(iso, "Type", "IsolationInfo.Type", str)
    ev = member(iso, "Evidence", "IsolationInfo.Evidence", dict)
    if strict:
        only_keys(iso, ("Type", "Evidence"), "IsolationInfo")
        only_keys(ev, ("Proof", "RunTimeData"), "IsolationInfo.Evidence")
    runtime = decode(member(ev, "RunTimeData", "Evidence.RunTimeData", str), "Evidence.RunTimeData", (STD, URL))
    if typ == "Tdx":
        proof = decode(member(ev, "Proof", "Evidence.Proof", str), "Evidence.Proof", (STD,))
        return typ, proof, runtime, None
    if typ != "SevSnp":
        raise Rejected("isolation type %r is not implemented by the test service" % typ)
    proof_raw = decode(member(ev, "Proof", "Evidence.Proof", str), "Evidence.Proof", (STD, URL))
    try:
        proof = json.loads(proof_raw)
    except ValueError:
        raise Rejected("Evidence.Proof does not decode to JSON")
    if strict:
        only_keys(proof, ("SnpReport", "VcekCertChain"), "the SevSnp proof")
    report = decode(member(proof, "SnpReport", "Proof.SnpReport", str), "Proof.SnpReport", (URL,))
    # C++: standard base64 of the PEM text; Python: base64url.  Raw PEM is what no client sends.
    chain = decode(member(proof, "VcekCertChain", "Proof.VcekCertChain", str), "Proof.VcekCertChain", (STD, URL))
    if b"-----BEGIN CERTIFICATE-----" not in chain:
        raise Rejected("Proof.VcekCertChain does not decode to PEM certificates")
    return typ, report, runtime, chain


# --- SevSnpVm (confidential-sidecar-containers; cvm-attestation-tools) and TdxVm ---------------------------

SNP_VM_PATHS = ("/attest/SevSnpVM?api-version=2020-10-01",   # the sidecar (production kata-cc / ACI)
                "/attest/SevSnpVm?api-version=2022-08-01")   # MAA's REST documentation, cvm-attestation-tools
TDX_VM_PATHS = ("/attest/TdxVm?api-version=2023-04-01-preview",)
VM_TOP = ("report", "quote", "runtimeData", "initTimeData", "nonce", "draftPolicyForAttestation")
VM_B64 = (URL, URL_PAD)


def vm_request(body, strict, key):
    """The JSON object of a SevSnpVm/TdxVm body; key is "report" or "quote"."""
    try:
        req = json.loads(body)
    except ValueError:
        raise Rejected("request body is not JSON")
    if not isinstance(req, dict):
        raise Rejected("request body is not a JSON object")
    member(req, key, key, str)
    rd = member(req, "runtimeData", "runtimeData", dict)
    if member(rd, "dataType", "runtimeData.dataType", str) != "JSON":
        raise Rejected("runtimeData.dataType must be JSON")
    member(rd, "data", "runtimeData.data", str)
    itd = member(req, "initTimeData", "initTimeData", dict, required=False)
    nonce = member(req, "nonce", "nonce", (int, str), required=False)
    if strict:
        only_keys(req, [k for k in VM_TOP if k != ("quote" if key == "report" else "report")], "the request body")
        only_keys(rd, ("data", "dataType"), "runtimeData")
        if itd is not None:
            only_keys(itd, ("data", "dataType"), "initTimeData")
            member(itd, "data", "initTimeData.data", str)
            member(itd, "dataType", "initTimeData.dataType", str)
        if isinstance(nonce, int) and not 0 <= nonce < 2 ** 64:
            raise Rejected("nonce is not a uint64")
    return req


def vm_runtime(req):
    return decode(req["runtimeData"]["data"], "runtimeData.data", VM_B64)


def snp_vm_report(req, strict):
    """(report bytes, VCEK chain PEM bytes, [UVM COSE bytes]) of a SevSnpVm body."""
    try:
        inner = json.loads(decode(req["report"], "report", VM_B64))
    except ValueError:
        raise Rejected("report does not decode to JSON")
    if not isinstance(inner, dict):
        raise Rejected("report is not a JSON object")
    if strict:
        only_keys(inner, ("SnpReport", "VcekCertChain", "Endorsements"), "the report")
    report = decode(member(inner, "SnpReport", "report.SnpReport", str), "report.SnpReport", VM_B64)
    chain = decode(member(inner, "VcekCertChain", "report.VcekCertChain", str), "report.VcekCertChain", VM_B64)
    if b"-----BEGIN CERTIFICATE-----" not in chain:
        raise Rejected("report.VcekCertChain does not decode to PEM certificates")
    uvm = []
    # A base64url string of {"Uvm": [...]}, as the sidecar sends it and Microsoft's sample verifier reads it.
    endorse = member(inner, "Endorsements", "report.Endorsements", str, required=False)
    if endorse is not None:
        try:
            e = json.loads(decode(endorse, "report.Endorsements", VM_B64))
        except ValueError:
            raise Rejected("report.Endorsements does not decode to JSON")
        for i, c in enumerate(member(e, "Uvm", "Endorsements.Uvm", list)):
            uvm.append(decode(c, "Endorsements.Uvm[%d]" % i, VM_B64))
    return report, chain, uvm
