"""The station itself: the certificates a verifier needs to trust the chips it writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from printstation.errors import ConfigError
from printstation.operations.base import Actor, operation

if TYPE_CHECKING:
    from printstation.station import Station


@dataclass(frozen=True)
class Certificate:
    """A certificate as a verifier receives it: PEM, and what it says."""

    #: The certificate in PEM (never a private key).
    pem: str
    subject: str
    issuer: str
    #: Valid from and until, in the office's zone (ISO 8601 with the offset).
    valid_from: str
    valid_until: str
    zone: str
    sha256: str
    path: str


@operation("station.read")
def ca_certificate(station: Station, actor: Actor) -> Certificate:
    """The country CA certificate (``[pki] ca_cert``) that verifies this station's chips."""
    from cryptography.hazmat.primitives import hashes

    from printstation.chip.pki import certificate_pem, load_certificate
    from printstation.reports.indonesian import as_local, zone_name

    pki = station.config.pki
    if pki is None:
        raise ConfigError(
            "no [pki] section: configure ca_cert, signer_cert and signer_key",
            where=str(station.config.source),
        )
    cert = load_certificate(pki.ca_cert)
    tz = station.timezone
    return Certificate(
        pem=certificate_pem(cert),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        valid_from=as_local(cert.not_valid_before_utc, tz).isoformat(timespec="seconds"),
        valid_until=as_local(cert.not_valid_after_utc, tz).isoformat(timespec="seconds"),
        zone=zone_name(tz),
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
        path=str(pki.ca_cert),
    )
