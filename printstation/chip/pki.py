"""The station's keys and certificates: a country CA and the document signer it issued.

A chip's security object (EF 6FF6) is signed with the station's document-signer key;
a reader trusts it because the signer's certificate was issued by the country CA whose
certificate the reader holds (``printstation pki ca`` prints it). A real office
configures the files its CA gave it (``[pki]`` in the station configuration);
``create_demo_pki`` makes a self-contained pair for the demo and training stations.

Private keys are written with mode 0600 and never logged or printed.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from printstation.errors import ConfigError

#: Key types the station signs with.
SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca.key"
SIGNER_CERT_FILE = "signer.pem"
SIGNER_KEY_FILE = "signer.key"
DEMO_CA_YEARS = 15
DEMO_SIGNER_YEARS = 5


@dataclass(frozen=True)
class PkiPaths:
    ca_cert: Path
    signer_cert: Path
    signer_key: Path


@dataclass(frozen=True)
class Signer:
    """The document signer: its key, its certificate and the CA that issued it."""

    key: SigningKey
    certificate: x509.Certificate
    ca_certificate: x509.Certificate


def demo_paths(folder: Path) -> PkiPaths:
    return PkiPaths(folder / CA_CERT_FILE, folder / SIGNER_CERT_FILE, folder / SIGNER_KEY_FILE)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, key: SigningKey) -> None:
    """Write a private key (PKCS#8 PEM) readable by the owner only, from its creation."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    os.chmod(path, 0o600)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def issue_ca(
    common_name: str, *, years: int = DEMO_CA_YEARS, now: dt.datetime | None = None
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed country CA (P-256) that may issue document signers."""
    now = now or dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name, "DUKCAPIL")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue_signer(
    ca_key: SigningKey,
    ca_cert: x509.Certificate,
    common_name: str,
    *,
    years: int = DEMO_SIGNER_YEARS,
    now: dt.datetime | None = None,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A document-signer key and certificate issued by ``ca_cert``."""
    now = now or dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, "DUKCAPIL"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def create_demo_pki(folder: Path, station_name: str) -> PkiPaths:
    """Create a demo country CA and a document signer in ``folder`` unless present.

    Existing files are kept: a station's signer is never replaced behind its back.
    """
    paths = demo_paths(folder)
    if paths.ca_cert.exists() and paths.signer_cert.exists() and paths.signer_key.exists():
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    ca_key, ca_cert = issue_ca("DEMO CSCA REPUBLIK INDONESIA")
    key, cert = issue_signer(ca_key, ca_cert, f"DEMO DOCUMENT SIGNER {station_name}")
    _write_private(folder / CA_KEY_FILE, ca_key)
    _write_private(paths.signer_key, key)
    _write_cert(paths.ca_cert, ca_cert)
    _write_cert(paths.signer_cert, cert)
    return paths


def load_certificate(path: Path) -> x509.Certificate:
    """A PEM or DER certificate; ConfigError naming the file when it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the certificate: {exc.strerror}", where=str(path)) from exc
    try:
        if b"-----BEGIN" in raw:
            return x509.load_pem_x509_certificate(raw)
        return x509.load_der_x509_certificate(raw)
    except ValueError as exc:
        raise ConfigError("not a PEM or DER certificate", where=str(path)) from exc


def _load_key(path: Path) -> SigningKey:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the signer key: {exc.strerror}", where=str(path)) from exc
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError):
        # The library's message could quote key material: say only what is wrong.
        raise ConfigError("not an unencrypted PEM private key", where=str(path)) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ConfigError("the signer key must be an EC or RSA key", where=str(path))
    return key


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s key signed ``cert`` (and the names chain)."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def public_keys_match(key: SigningKey, cert: x509.Certificate) -> bool:
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    mine = key.public_key().public_bytes(serialization.Encoding.DER, fmt)
    theirs = cert.public_key().public_bytes(serialization.Encoding.DER, fmt)
    return mine == theirs


def load_signer(paths: PkiPaths) -> Signer:
    """The station's signer, checked: key matches certificate, certificate chains to CA."""
    ca = load_certificate(paths.ca_cert)
    cert = load_certificate(paths.signer_cert)
    key = _load_key(paths.signer_key)
    if not public_keys_match(key, cert):
        raise ConfigError(
            "the signer key does not belong to the signer certificate "
            f"{paths.signer_cert}: configure the matching pair",
            where=str(paths.signer_key),
        )
    if not issued_by(cert, ca):
        raise ConfigError(
            f"the signer certificate was not issued by the CA in {paths.ca_cert}: "
            "configure the CA that issued it",
            where=str(paths.signer_cert),
        )
    now = dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise ConfigError(
            f"the signer certificate is not valid now (valid {cert.not_valid_before_utc:%Y-%m-%d}"
            f" to {cert.not_valid_after_utc:%Y-%m-%d}): install a current one",
            where=str(paths.signer_cert),
        )
    return Signer(key, cert, ca)


def sign(key: SigningKey, data: bytes) -> bytes:
    """A SHA-256 signature of ``data`` (ECDSA as DER, or RSA PKCS#1 v1.5)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def certificate_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
