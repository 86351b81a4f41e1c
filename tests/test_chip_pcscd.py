"""A signed, locked card through pcscd, checked by `card verify` and by openssl.

Each check a verifier relies on is exercised: a genuine card verifies; a changed file,
a changed security object, a CA that did not issue the signer, an unlocked chip, a torn
write and a card with no record are each reported.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from printstation.chip import card as chip
from printstation.chip.pki import create_demo_pki
from printstation.cli import main
from printstation.drivers.encoder import PcscEncoder
from printstation.errors import EncoderError
from printstation.operations import cards
from printstation.operations.users import sign_in
from printstation.sim.chip.vchip import ChipStation, reader_listed
from printstation.station import Station
from printstation.storage.models import Blank, IssuedCard, Job, Lot
from printstation.storage.rows import enrolment_row
from printstation.tools.demo import init_station

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_chip import make_media, make_record

from tests.conftest import require_service

pytestmark = pytest.mark.pcscd

#: "Virtual PCD C 00 00" is kept for these tests.
PORT = int(os.environ.get("PRINTSTATION_TEST_CARD_PORT", "35967"))
READER = os.environ.get("PRINTSTATION_TEST_CARD_READER", "Virtual PCD C 00 00")
SERIAL = "53712611000042"


def require_reader() -> None:
    require_service(f"pcscd listing the vpcd reader {READER!r}", reader_listed(READER))


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    """An initialised station (demo PKI) whose records hold card SERIAL."""
    require_reader()
    config = init_station(tmp_path / "station", 1)
    st = Station.open(str(config))
    record, media = make_record(), make_media()
    with st.db.transaction() as s:
        s.add(
            Lot(
                id=1,
                reference="R",
                first_serial=SERIAL,
                last_serial=SERIAL,
                count=1,
                received_by="t",
            )
        )
        s.add(
            enrolment_row(
                record, media, content_hash="0" * 64, source="test", line=1, imported_by="t"
            )
        )
        s.flush()
        s.add(
            Job(
                id=1,
                enrolment_id=record.enrolment_id,
                nik=record.nik,
                state="issued",
                serial=SERIAL,
            )
        )
        s.flush()
        s.add(Blank(serial=SERIAL, lot_id=1, state="issued", printer="P1", job_id=1))
        s.flush()
        s.add(
            IssuedCard(
                serial=SERIAL,
                nik=record.nik,
                enrolment_id=record.enrolment_id,
                job_id=1,
                printer="P1",
                issued_at=datetime.now(UTC),
            )
        )
    yield st
    st.close()


@pytest.fixture
def chips(station: Station) -> Iterator[ChipStation]:
    cs = ChipStation("127.0.0.1", PORT, station.config.sim_dir / "chips", reader_name=READER)
    yield cs
    cs.remove()


def files_for(station: Station) -> dict[int, bytes]:
    return chip.build_files(make_record(), make_media(), signer=station.signer)


def personalise(
    chips: ChipStation, files: dict[int, bytes], *, fault: str | None = None, lock: bool = True
) -> chip.PersonalisationResult:
    chips.insert(SERIAL, fault=fault)
    try:
        with PcscEncoder(READER) as encoder:
            return chip.personalise(encoder, files, lock_chip=lock)
    finally:
        chips.remove()


def verify(station: Station, chips: ChipStation, **kwargs: object) -> dict[str, object]:
    chips.insert(SERIAL)
    try:
        auditor = sign_in(station, "auditor", None)  # set-up mode: no accounts yet
        result = cards.verify(station, auditor, READER, **kwargs)  # type: ignore[arg-type]
        return dataclasses.asdict(result)
    finally:
        chips.remove()


def tamper(chips: ChipStation, fid: int) -> None:
    stored = chips.chip(SERIAL)
    node = stored.file(chip.DF_EKTP, fid)
    assert node is not None
    node.data[len(node.data) // 2] ^= 0x01
    stored.save()


def test_a_personalised_card_verifies(station: Station, chips: ChipStation) -> None:
    result = personalise(chips, files_for(station))
    assert result.locked
    report = verify(station, chips)
    assert report == {
        "serial": SERIAL,
        "nik": make_record().nik,
        "signature_valid": True,
        "hashes_valid": True,
        "matches_record": True,
        "locked": True,
        "problems": [],
        "genuine": True,
        "name": make_record().name,
        "signer": "CN=DEMO DOCUMENT SIGNER DEMO-KUPANG,O=DUKCAPIL,C=ID",
        "reader": READER,
    }


def test_a_locked_card_refuses_writes(station: Station, chips: ChipStation) -> None:
    files = files_for(station)
    personalise(chips, files)
    chips.insert(SERIAL)
    with PcscEncoder(READER) as encoder:
        chip.select(encoder, 0x00, chip.MF)
        chip.select(encoder, 0x01, chip.DF_EKTP)
        chip.select_ef_size(encoder, chip.EF_BIODATA)
        _, sw = encoder.transmit(bytes.fromhex("00D6000001FF"))
        assert sw == 0x6985
        with pytest.raises(EncoderError, match="locked"):
            chip.personalise(encoder, files)


@pytest.mark.parametrize("fid", chip.DATA_FILES)
def test_each_tampered_file_is_caught(station: Station, chips: ChipStation, fid: int) -> None:
    personalise(chips, files_for(station))
    tamper(chips, fid)
    report = verify(station, chips)
    assert report["hashes_valid"] is False
    assert report["signature_valid"] is True
    assert f"EF {fid:04X} does not match its hash: it was altered" in report["problems"]


def test_a_tampered_security_object_is_caught(station: Station, chips: ChipStation) -> None:
    personalise(chips, files_for(station))
    tamper(chips, chip.EF_SECURITY)
    report = verify(station, chips)
    assert report["signature_valid"] is False
    assert report["problems"]


def test_a_signer_from_another_ca_is_caught(
    station: Station, chips: ChipStation, tmp_path: Path
) -> None:
    personalise(chips, files_for(station))
    other = create_demo_pki(tmp_path / "other", "ELSEWHERE")
    report = verify(station, chips, ca_path=other.ca_cert)
    assert report["signature_valid"] is False
    assert report["hashes_valid"] is True
    assert any("was not issued by the CA" in p for p in report["problems"])  # type: ignore[union-attr]


def test_an_unlocked_chip_is_caught(station: Station, chips: ChipStation) -> None:
    personalise(chips, files_for(station), lock=False)
    report = verify(station, chips)
    assert report["locked"] is False
    assert report["signature_valid"] is True
    assert "the chip is not locked: it still accepts writes" in report["problems"]


def test_a_torn_write_is_caught(station: Station, chips: ChipStation) -> None:
    with pytest.raises(EncoderError):
        personalise(chips, files_for(station), fault="torn")
    report = verify(station, chips)
    assert report["locked"] is False
    assert report["hashes_valid"] is False or report["signature_valid"] is False
    assert report["problems"]


def test_a_card_unlike_the_record_is_caught(station: Station, chips: ChipStation) -> None:
    files = chip.build_files(make_record(name="SOMEONE ELSE"), make_media(), signer=station.signer)
    personalise(chips, files)
    report = verify(station, chips)
    assert report["signature_valid"] is True and report["hashes_valid"] is True
    assert report["matches_record"] is False
    assert any(p.startswith("biodata name:") for p in report["problems"])  # type: ignore[union-attr]


def test_openssl_accepts_the_security_object(
    station: Station, chips: ChipStation, tmp_path: Path
) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is part of the test set-up (scripts/setup.sh)")
    personalise(chips, files_for(station))
    chips.insert(SERIAL)
    with PcscEncoder(READER) as encoder:
        content = chip.read_card(encoder)
    sod = tmp_path / "sod.der"
    sod.write_bytes(content.files[chip.EF_SECURITY])
    assert station.config.pki is not None
    out = tmp_path / "content.der"
    run = subprocess.run(
        [
            openssl,
            "cms",
            "-verify",
            "-CAfile",
            str(station.config.pki.ca_cert),
            "-inform",
            "DER",
            "-in",
            str(sod),
            "-binary",
            "-out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Verification successful" in run.stderr
    from printstation.chip.security_object import encode_content

    data = {fid: content.files[fid] for fid in chip.DATA_FILES}
    assert out.read_bytes() == encode_content(data)


def test_card_verify_command(station: Station, chips: ChipStation) -> None:
    personalise(chips, files_for(station))
    assert station.config.source is not None
    chips.insert(SERIAL)
    runner = CliRunner()
    args = ["--config", str(station.config.source), "card", "verify", "--reader", READER]
    result = runner.invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["problems"] == []
    chips.remove()
    tamper(chips, chip.EF_PHOTO)
    chips.insert(SERIAL)
    result = runner.invoke(main, [*args, "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["hashes_valid"] is False
