"""Card verification at the operations layer, on both databases: the chip's content is
checked up to the CA, for its lock, and against the station's record of the card.

The reader is replaced by one that hands over a chip's content (the PC/SC path is
tested through pcscd in tests/cli/test_card_cli.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from printstation.chip import card as chip
from printstation.config import write_config
from printstation.errors import ConfigError, PermissionDenied
from printstation.ledger.stock import BlankLedger
from printstation.operations import cards, enrol
from printstation.operations.base import Actor
from printstation.operations.users import sign_in
from printstation.people.users import add_user
from printstation.station import Station
from printstation.storage.models import Enrolment, IssuedCard, Job
from printstation.storage.rows import load_card
from printstation.tools.demo import init_station, station_table
from printstation.tools.synthetic import write_synthetic_bundle
from tests.factories import person

PIN = "246813"
SERIAL = "53712611000001"


@pytest.fixture
def station(database_url: str, tmp_path: Path) -> Iterator[Station]:
    """A station (with its demo CA and signer) holding one issued card, SERIAL."""
    config = init_station(tmp_path / "st", 1)
    table = station_table(tmp_path / "st", 1)
    table["station"]["database_url"] = database_url
    write_config(config, table)
    opened = Station.open(str(config))
    with opened.db.transaction() as s:
        add_user(s, "budi", "supervisor", PIN, by="setup", **person("budi"))
        add_user(s, "ani", "operator", PIN, by="budi", **person("ani"))
        add_user(s, "citra", "auditor", PIN, by="budi", **person("citra"))
    bundle = write_synthetic_bundle(tmp_path / "bundle", 1, seed=3)
    enrol.import_bundle(opened, sign_in(opened, "ani", PIN), bundle)
    with opened.db.transaction() as s:
        BlankLedger(s, "ani").receive(SERIAL, 1, reference="R")
        job = s.execute(select(Job)).scalar_one()
        s.add(
            IssuedCard(
                serial=SERIAL,
                nik=job.nik,
                enrolment_id=job.enrolment_id,
                job_id=job.id,
                printer="P1",
            )
        )
    yield opened
    opened.close()


def written_card(station: Station, **record_changes: object) -> chip.ChipContent:
    """The chip as the station writes SERIAL (signed, locked), with the record changed."""
    with station.db.session() as s:
        record, media = load_card(s.execute(select(Enrolment)).scalar_one())
    record = dataclasses.replace(record, **record_changes)
    files = chip.build_files(record, media, signer=station.signer)
    return chip.ChipContent(SERIAL, files, locked=True)


class Reader:
    """Stands in for the PC/SC encoder: a card is there, and read_card returns it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def wait_for_card(self, seconds: float) -> None:
        pass

    def connect(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def card_in_reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[chip.ChipContent]]:
    """Put a ChipContent in the list: it is the card the reader reads."""
    content: list[chip.ChipContent] = []
    monkeypatch.setattr("printstation.drivers.encoder.PcscEncoder", Reader)
    monkeypatch.setattr(chip, "read_serial", lambda encoder: content[0].serial)
    monkeypatch.setattr(chip, "read_card", lambda encoder: content[0])
    yield content


def who(station: Station, name: str) -> Actor:
    return sign_in(station, name, PIN)


def test_a_card_as_written_is_genuine(station: Station, card_in_reader: list) -> None:
    card_in_reader.append(written_card(station))
    result = cards.verify(station, who(station, "citra"))
    assert result.genuine and result.problems == []
    assert (result.serial, result.signature_valid, result.hashes_valid) == (SERIAL, True, True)
    assert result.locked and result.matches_record
    with station.db.session() as s:
        assert result.nik == s.execute(select(Enrolment.nik)).scalar_one()


def test_a_chip_whose_biodata_differs_from_the_record_is_not_genuine(
    station: Station, card_in_reader: list
) -> None:
    card_in_reader.append(written_card(station, name="YOHANES PALSU"))
    result = cards.verify(station, who(station, "ani"))
    assert not result.genuine and not result.matches_record
    assert result.signature_valid  # signed by the station: only the record tells
    assert any("biodata name" in p and "YOHANES PALSU" in p for p in result.problems)


def test_an_unlocked_chip_and_a_replaced_card_are_problems(
    station: Station, card_in_reader: list
) -> None:
    card_in_reader.append(dataclasses.replace(written_card(station), locked=False))
    with station.db.transaction() as s:
        issued = s.get(IssuedCard, SERIAL)
        assert issued is not None
        issued.status = "replaced"
    result = cards.verify(station, who(station, "budi"))
    assert not result.genuine and not result.locked
    assert "the chip is not locked: it still accepts writes" in result.problems
    assert f"card {SERIAL} is replaced: it is no longer valid" in result.problems


def test_a_card_the_station_never_issued(station: Station, card_in_reader: list) -> None:
    card_in_reader.append(dataclasses.replace(written_card(station), serial="53712699999999"))
    result = cards.verify(station, who(station, "ani"))
    assert result.problems == ["the station has no issued card with serial 53712699999999"]


def test_a_tampered_file_breaks_its_hash(station: Station, card_in_reader: list) -> None:
    content = written_card(station)
    photo = bytearray(content.files[chip.EF_PHOTO])
    photo[-3] ^= 0xFF
    content.files[chip.EF_PHOTO] = bytes(photo)
    card_in_reader.append(content)
    result = cards.verify(station, who(station, "ani"))
    assert not result.hashes_valid and not result.genuine


def test_without_a_ca_the_verification_is_a_configuration_error(
    station: Station, card_in_reader: list
) -> None:
    card_in_reader.append(written_card(station))
    unconfigured = Station(dataclasses.replace(station.config, pki=None))
    try:
        with pytest.raises(ConfigError, match="no CA certificate"):
            cards.verify(unconfigured, who(unconfigured, "ani"))
    finally:
        unconfigured.close()


def test_only_an_operator_puts_a_card_back(station: Station) -> None:
    target = cards.insert_target(station, who(station, "ani"))
    assert target.reader == station.config.printers[0].reader
    assert target.chips_dir == str(station.config.sim_dir / "chips")
    assert cards.insert_target(station, who(station, "ani"), "Virtual PCD C 00 01").reader == (
        "Virtual PCD C 00 01"
    )
    with pytest.raises(PermissionDenied):
        cards.insert_target(station, who(station, "citra"))
