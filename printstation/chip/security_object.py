"""EF 6FF6: the signed security object, and passive authentication of a chip's files.

Like an ICAO 9303 document security object, it is a CMS SignedData (RFC 5652) whose
encapsulated content has its own content type and holds the SHA-256 hash of each data
file (EF 6FF0 to 6FF5). It is assembled with asn1crypto and signed with cryptography,
by the station's document signer, whose certificate travels in the SignedData.

Content type ``SECURITY_OBJECT_OID`` (a UUID-derived OID, X.667 arc 2.25), content::

    EktpSecurityObject ::= SEQUENCE {
        version        INTEGER (0),
        hashAlgorithm  AlgorithmIdentifier,   -- id-sha256
        fileHashes     SEQUENCE OF SEQUENCE {
            fileId     INTEGER,               -- e.g. 0x6FF1
            hashValue  OCTET STRING } }
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import ClassVar

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from printstation.chip.pki import Signer, issued_by, sign
from printstation.errors import ChipError

SECURITY_OBJECT_OID = "2.25.239930602878553680467042623998256988233"
SECURITY_OBJECT_VERSION = 0


class FileHash(core.Sequence):
    _fields: ClassVar[list[tuple[str, type]]] = [
        ("file_id", core.Integer),
        ("hash_value", core.OctetString),
    ]


class FileHashes(core.SequenceOf):
    _child_spec = FileHash


class EktpSecurityObject(core.Sequence):
    _fields: ClassVar[list[tuple[str, type]]] = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("file_hashes", FileHashes),
    ]


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def encode_content(files: dict[int, bytes]) -> bytes:
    """The DER of the security object's content: the hash of each file, FID order."""
    return EktpSecurityObject(
        {
            "version": SECURITY_OBJECT_VERSION,
            "hash_algorithm": {"algorithm": "sha256"},
            "file_hashes": [
                {"file_id": fid, "hash_value": sha256(data)} for fid, data in sorted(files.items())
            ],
        }
    ).dump()


def _signed_attributes(content: bytes, signing_time: dt.datetime) -> cms.CMSAttributes:
    attrs = [
        cms.CMSAttribute(
            {"type": "content_type", "values": [cms.ContentType(SECURITY_OBJECT_OID)]}
        ),
        cms.CMSAttribute(
            {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}
        ),
        cms.CMSAttribute({"type": "message_digest", "values": [sha256(content)]}),
    ]
    # DER orders a SET OF by encoding; a verifier re-encodes it that way before checking.
    return cms.CMSAttributes(sorted(attrs, key=lambda a: a.dump()))


def _signature_algorithm(signer: Signer) -> str:
    return "sha256_ecdsa" if isinstance(signer.key, ec.EllipticCurvePrivateKey) else "sha256_rsa"


def build_security_object(
    files: dict[int, bytes], signer: Signer, *, signing_time: dt.datetime | None = None
) -> bytes:
    """The DER ContentInfo (SignedData) to write into EF 6FF6."""
    content = encode_content(files)
    signed_attrs = _signed_attributes(
        content, (signing_time or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    )
    signature = sign(signer.key, signed_attrs.dump())
    cert = asn1_x509.Certificate.load(signer.certificate.public_bytes(serialization.Encoding.DER))
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": cert.issuer, "serial_number": cert.serial_number}
                    )
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": _signature_algorithm(signer)},
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {
                "content_type": SECURITY_OBJECT_OID,
                "content": core.ParsableOctetString(content),
            },
            "certificates": [cms.CertificateChoices({"certificate": cert})],
            "signer_infos": [signer_info],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


# --- passive authentication -----------------------------------------------------------


@dataclass
class PassiveAuthentication:
    """What a reader concludes from EF 6FF6 and the files it read."""

    signature_valid: bool = False
    hashes_valid: bool = False
    signer_subject: str | None = None
    problems: list[str] = field(default_factory=list)


def _parse(sod: bytes) -> tuple[cms.SignedData, dict[int, bytes], bytes]:
    try:
        info = cms.ContentInfo.load(sod)
        if info["content_type"].native != "signed_data":
            raise ChipError("EF 6FF6 is not a CMS SignedData")
        signed: cms.SignedData = info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].dotted != SECURITY_OBJECT_OID:
            raise ChipError(
                f"EF 6FF6 signs content of type {encap['content_type'].dotted}, "
                "not an e-KTP security object"
            )
        content = encap["content"].contents
        obj = EktpSecurityObject.load(content)
        if obj["hash_algorithm"]["algorithm"].native != "sha256":
            raise ChipError("the security object does not use SHA-256")
        hashes_by_fid = {
            int(item["file_id"].native): bytes(item["hash_value"].native)
            for item in obj["file_hashes"]
        }
    except (ValueError, TypeError, KeyError) as exc:
        raise ChipError(f"EF 6FF6 cannot be parsed as a security object: {exc}") from exc
    return signed, hashes_by_fid, content


def _verify_signature(key: x509.Certificate, signature: bytes, data: bytes, algorithm: str) -> bool:
    public = key.public_key()
    try:
        if isinstance(public, ec.EllipticCurvePublicKey) and algorithm in ("sha256_ecdsa", "ecdsa"):
            public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public, rsa.RSAPublicKey) and algorithm in (
            "sha256_rsa",
            "rsassa_pkcs1v15",
        ):
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        return False
    return True


def _check_signature(
    signed: cms.SignedData, content: bytes, ca: x509.Certificate, result: PassiveAuthentication
) -> None:
    infos = signed["signer_infos"]
    if len(infos) != 1:
        result.problems.append(f"the security object has {len(infos)} signatures, not one")
        return
    info = infos[0]
    sid = info["sid"].chosen
    certs = [
        x509.load_der_x509_certificate(choice.chosen.dump())
        for choice in signed["certificates"] or []
        if choice.name == "certificate"
    ]
    match = [
        c
        for c in certs
        if isinstance(sid, cms.IssuerAndSerialNumber)
        and c.serial_number == sid["serial_number"].native
        and c.issuer.public_bytes() == sid["issuer"].dump()
    ]
    if not match:
        result.problems.append("the security object carries no certificate of its signer")
        return
    cert = match[0]
    result.signer_subject = cert.subject.rfc4514_string()
    attrs = {a["type"].native: a["values"][0] for a in info["signed_attrs"]}
    digest = attrs.get("message_digest")
    if digest is None or bytes(digest.native) != sha256(content):
        result.problems.append("the security object's content does not match its signed digest")
        return
    ctype = attrs.get("content_type")
    if ctype is None or ctype.dotted != SECURITY_OBJECT_OID:
        result.problems.append("the signed content type is not an e-KTP security object")
        return
    # The signature covers the attributes as a DER SET (tag 31), not as [0] IMPLICIT.
    signed_bytes = b"\x31" + info["signed_attrs"].dump()[1:]
    algorithm = info["signature_algorithm"]["algorithm"].native
    if not _verify_signature(cert, info["signature"].native, signed_bytes, algorithm):
        result.problems.append("the security object's signature is not valid")
        return
    if not issued_by(cert, ca):
        result.problems.append(
            f"the signer {result.signer_subject} was not issued by the CA "
            f"{ca.subject.rfc4514_string()}"
        )
        return
    now = dt.datetime.now(dt.UTC)
    for which, c in (("signer", cert), ("CA", ca)):
        if not c.not_valid_before_utc <= now <= c.not_valid_after_utc:
            result.problems.append(f"the {which} certificate is not valid now")
            return
    result.signature_valid = True


def passive_authentication(
    files: dict[int, bytes], sod: bytes | None, ca: x509.Certificate, data_fids: tuple[int, ...]
) -> PassiveAuthentication:
    """Check EF 6FF6 against the data files read from the chip and the CA certificate."""
    result = PassiveAuthentication()
    if not sod:
        result.problems.append("the chip holds no security object (EF 6FF6): it is not signed")
        return result
    try:
        signed, hashes_by_fid, content = _parse(sod)
    except ChipError as exc:
        result.problems.append(exc.message)
        return result
    _check_signature(signed, content, ca, result)
    hash_problems: list[str] = []
    for fid in data_fids:
        data = files.get(fid)
        expected = hashes_by_fid.get(fid)
        if data is None and expected is None:
            continue
        if data is None:
            hash_problems.append(f"EF {fid:04X} is signed but missing from the chip")
        elif expected is None:
            hash_problems.append(f"EF {fid:04X} is on the chip but not in the security object")
        elif sha256(data) != expected:
            hash_problems.append(f"EF {fid:04X} does not match its hash: it was altered")
    for fid in sorted(set(hashes_by_fid) - set(data_fids)):
        hash_problems.append(f"the security object lists an unknown file {fid:04X}")
    result.problems.extend(hash_problems)
    result.hashes_valid = not hash_problems
    return result
