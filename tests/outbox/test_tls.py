"""Delivery over HTTPS: the endpoint's certificate checked against ``[central] ca`` and the
station's client certificate (``cert``/``key``) shown to an endpoint that asks for one;
without it, the records stay pending."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from printstation.config import CentralConfig
from printstation.ledger import audit
from printstation.operations import outbox
from printstation.station import Station
from tests.factories import station_with_people, who
from tests.outbox.conftest import Receiver, free_port


def issue(
    folder: Path, name: str, ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca[1].subject if ca else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca is None, path_length=None), critical=True)
    )
    if ca is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    cert = builder.sign(ca[0] if ca else key, hashes.SHA256())
    (folder / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / f"{name}.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return key, cert


def test_https_with_a_ca_file_and_a_client_certificate(tmp_path: Path) -> None:
    ca = issue(tmp_path, "ca", None)
    issue(tmp_path, "server", ca)
    issue(tmp_path, "client", ca)
    pem = {n: tmp_path / f"{n}.pem" for n in ("ca", "server", "client")}
    key = {n: tmp_path / f"{n}.key" for n in ("server", "client")}
    receiver = Receiver(
        tmp_path / "central.db",
        free_port(),
        tls=(pem["server"], key["server"], pem["ca"]),
        probe={"verify": str(pem["ca"]), "cert": (str(pem["client"]), str(key["client"]))},
    )
    receiver.start()
    station = station_with_people(f"sqlite:///{tmp_path / 'station.db'}", tmp_path)
    with station.db.transaction() as s:
        audit.record(s, "station", "card.replaced", "S000001", by="S000002", job=1)

    def reporting(**files: Path) -> Station:
        central = CentralConfig(url=receiver.url, retries=2, backoff=0.01, **files)
        return Station(dataclasses.replace(station.config, central=central))

    try:
        without = reporting(ca=pem["ca"])
        done = outbox.sync(without, who(without, "ani"))
        assert done.error and done.acked == 0  # the endpoint asks for a certificate
        without.close()
        unknown = reporting(cert=pem["client"], key=key["client"])
        done = outbox.sync(unknown, who(unknown, "ani"))
        assert done.error and "CERTIFICATE_VERIFY_FAILED" in " ".join(done.tries)
        unknown.close()
        sender = reporting(cert=pem["client"], key=key["client"], ca=pem["ca"])
        done = outbox.sync(sender, who(sender, "ani"))
        assert done.error is None and done.acked == outbox.status(sender, who(sender, "ani")).total
        sender.close()
        assert len(receiver.held()) == done.acked
    finally:
        receiver.stop()
        station.close()
