"""The signed export for an office without a link: a CMS file that ``openssl cms -verify``
accepts against ``printstation pki ca`` (and refuses once a byte changes), read in by the
reference receiver, whose acknowledgement file ``printstation export ack`` applies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from printstation.chip.pki import create_demo_pki
from printstation.ledger import audit
from printstation.station import Station
from tests.factories import PIN, station_with_people


@pytest.fixture
def signed_station(tmp_path: Path) -> Iterator[Station]:
    create_demo_pki(tmp_path / "pki", "DEMO-KUPANG")
    opened = station_with_people(f"sqlite:///{tmp_path / 'station.db'}", tmp_path, pki=True)
    with opened.db.transaction() as s:
        for i in range(5):
            audit.record(s, "station", "card.replaced", f"S{i:06d}", by=f"T{i:06d}", job=i)
    yield opened
    opened.close()


def cli(station: Station, *args: str, user: str = "ani") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRINTSTATION_USER": user, "PRINTSTATION_PIN": PIN}
    return subprocess.run(
        [sys.executable, "-m", "printstation", "--config", str(station.config.source), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def verify(path: Path, ca: Path, inform: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-in",
            str(path),
            "-inform",
            inform,
            "-CAfile",
            str(ca),
            "-purpose",
            "any",
            "-binary",
        ],
        capture_output=True,
        check=False,
    )


def test_the_export_verifies_and_its_acknowledgement_applies(
    signed_station: Station, tmp_path: Path
) -> None:
    ca = tmp_path / "ca.pem"
    shown = cli(signed_station, "pki", "ca", user="budi")
    assert shown.returncode == 0, shown.stderr
    ca.write_text(shown.stdout)
    out = tmp_path / "flashdisk" / "status.p7m"
    done = cli(signed_station, "export", "status", "--since", "2", "--out", str(out), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    exported = json.loads(done.stdout)
    assert exported["first"] == 2 and exported["encoding"] == "DER" and exported["count"] >= 5

    checked = verify(out, ca, "DER")
    assert checked.returncode == 0, checked.stderr
    document = json.loads(checked.stdout)
    assert document["format"] == "printstation-outbox-export"
    assert document["station"] == signed_station.config.name
    assert [r["seq"] for r in document["records"]] == list(range(2, exported["last"] + 1))

    body = out.read_bytes()
    at = body.index(b"card.replaced")
    changed = tmp_path / "changed.p7m"
    changed.write_bytes(body[:at] + b"C" + body[at + 1 :])
    assert verify(changed, ca, "DER").returncode != 0

    pem = tmp_path / "status.pem"
    assert cli(signed_station, "export", "status", "--out", str(pem), "--pem").returncode == 0
    assert pem.read_text().startswith("-----BEGIN PKCS7-----")
    assert verify(pem, ca, "PEM").returncode == 0

    central = tmp_path / "central.db"
    read_in = cli(signed_station, "tools", "central", "import", "--db", str(central), str(out))
    assert read_in.returncode != 0  # --ca is required
    read_in = cli(
        signed_station,
        "tools",
        "central",
        "import",
        "--db",
        str(central),
        str(out),
        "--ca",
        str(ca),
    )
    assert read_in.returncode == 0, read_in.stderr
    refused = cli(
        signed_station,
        *("tools", "central", "import", "--db", str(central), str(changed), "--ca", str(ca)),
    )
    assert refused.returncode == 3 and "does not verify" in refused.stderr
    ack = tmp_path / "ack.json"
    wrote = cli(signed_station, "tools", "central", "ack", "--db", str(central), "--out", str(ack))
    assert wrote.returncode == 0, wrote.stderr
    assert json.loads(ack.read_text())["format"] == "printstation-outbox-ack"

    applied = cli(signed_station, "export", "ack", str(ack), "--json", user="budi")
    assert applied.returncode == 0, applied.stderr
    assert json.loads(applied.stdout)["applied"] == exported["count"]
    status = json.loads(cli(signed_station, "sync", "--status", "--json", user="citra").stdout)
    # Record 1 was not in the file: it waits; the rest were acknowledged by file.
    assert status["oldest_pending_seq"] == 1
    assert status["pending"] == status["total"] - exported["count"]
    again = json.loads(cli(signed_station, "export", "ack", str(ack), "--json").stdout)
    assert again["applied"] == 0 and again["ignored"] == exported["count"]


def test_a_file_that_is_no_acknowledgement_is_refused(
    signed_station: Station, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"acks": []}))
    done = cli(signed_station, "export", "ack", str(wrong), "--json")
    assert done.returncode == 3
    assert "not an outbox acknowledgement file" in json.loads(done.stdout)["error"]["message"]
