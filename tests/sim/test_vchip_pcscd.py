"""A virtual chip at a station, personalised through the real pcscd and vpcd."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from printstation.chip import card as chip
from printstation.drivers.encoder import PcscEncoder
from printstation.errors import ChipError, ChipVerificationFailed, EncoderError, NoCardInReader
from printstation.sim.chip.vchip import ChipStation, reader_listed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_chip import make_media, make_record

from tests.conftest import require_service

pytestmark = pytest.mark.pcscd

#: These tests use "Virtual PCD C 00 00", apart from the readers other tests drive.
C_PORT, C_READER = 35967, "Virtual PCD C 00 00"


@pytest.fixture
def station(tmp_path: Path) -> Iterator[ChipStation]:
    require_service(f"pcscd listing {C_READER!r}", reader_listed(C_READER))
    chip_station = ChipStation("127.0.0.1", C_PORT, tmp_path / "chips", reader_name=C_READER)
    yield chip_station
    chip_station.remove()


@pytest.fixture
def encoder(station: ChipStation) -> Iterator[PcscEncoder]:
    enc = PcscEncoder(C_READER, printer="T1")
    yield enc
    enc.close()


@pytest.fixture(scope="module")
def files() -> dict[int, bytes]:
    return chip.build_files(make_record(), make_media())


def test_an_inserted_chip_is_seen_by_the_encoder(
    station: ChipStation, encoder: PcscEncoder
) -> None:
    started = time.monotonic()
    station.insert("201811000001")
    encoder.wait_for_card(2.0)
    assert time.monotonic() - started < 2.0
    with encoder:
        assert encoder.extended
        assert chip.read_serial(encoder) == "201811000001"
        data, sw = encoder.transmit(bytes.fromhex("00CA010105"))  # 6C0C, then re-sent
        assert (data, sw) == (b"201811000001", 0x9000)
        data, sw = encoder.transmit(bytes.fromhex("00CA0101"))  # 610C, then GET RESPONSE
        assert (data, sw) == (b"201811000001", 0x9000)


def test_personalise_then_read_back(
    station: ChipStation, encoder: PcscEncoder, files: dict[int, bytes]
) -> None:
    station.insert("201811000002")
    encoder.wait_for_card(2.0)
    with encoder:
        result = chip.personalise(encoder, files)
        assert chip.read_files(encoder) == files
    assert result.serial == "201811000002"
    assert result.bytes_written == sum(len(v) for v in files.values())
    assert result.apdus == 24  # 22 + LOCK + its check


def test_files_persist_across_stations(
    station: ChipStation, encoder: PcscEncoder, files: dict[int, bytes], tmp_path: Path
) -> None:
    station.insert("201811000003")
    encoder.wait_for_card(2.0)
    with encoder:
        chip.personalise(encoder, files)
    station.remove()
    later = ChipStation(
        station.host, station.port, station.chips_dir, reader_name=station.reader_name
    )
    try:
        later.insert("201811000003")
        encoder.wait_for_card(2.0)
        with encoder:
            assert chip.read_files(encoder) == files
    finally:
        later.remove()


def test_short_apdus_only(
    tmp_path: Path, station: ChipStation, encoder: PcscEncoder, files: dict[int, bytes]
) -> None:
    station.extended = False
    station.insert("201811000004")
    encoder.wait_for_card(2.0)
    with encoder:
        assert not encoder.extended
        result = chip.personalise(encoder, files)
        assert chip.read_files(encoder) == files
    assert result.apdus == 68


def test_corrupt_chip_fails_verification(
    station: ChipStation, encoder: PcscEncoder, files: dict[int, bytes]
) -> None:
    station.insert("201811000005", fault="corrupt")
    encoder.wait_for_card(2.0)
    with encoder, pytest.raises(ChipVerificationFailed, match="6FF0"):
        chip.personalise(encoder, files)


def test_write_error_is_a_chip_error(
    station: ChipStation, encoder: PcscEncoder, files: dict[int, bytes]
) -> None:
    station.insert("201811000006", fault="write_error")
    encoder.wait_for_card(2.0)
    with encoder, pytest.raises(ChipError) as caught:
        chip.personalise(encoder, files)
    assert caught.value.sw == 0x6581


def test_torn_card_is_an_encoder_error(
    station: ChipStation, encoder: PcscEncoder, files: dict[int, bytes]
) -> None:
    station.insert("201811000007", fault="torn")
    encoder.wait_for_card(2.0)
    with encoder, pytest.raises(EncoderError, match="reader"):
        chip.personalise(encoder, files)


def test_capacity_exceeded_is_a_chip_error(
    station: ChipStation, encoder: PcscEncoder, files: dict[int, bytes]
) -> None:
    station.capacity = 4096
    station.insert("201811000008")
    encoder.wait_for_card(2.0)
    with encoder, pytest.raises(ChipError, match="full") as caught:
        chip.personalise(encoder, files)
    assert caught.value.sw == 0x6A84


def test_no_card_times_out(station: ChipStation, encoder: PcscEncoder) -> None:
    station.insert("201811000009")
    station.remove()
    time.sleep(1.0)  # pcscd notices a removal at its next poll (about 400 ms)
    with pytest.raises(NoCardInReader, match="no chip in reader"):
        encoder.wait_for_card(0.3)


def test_unknown_reader() -> None:
    from printstation.errors import ReaderNotFound

    with pytest.raises(ReaderNotFound, match="No Such Reader"):
        PcscEncoder("No Such Reader").connect()


def test_an_atr_that_overclaims_extended_is_checked(
    station: ChipStation, encoder: PcscEncoder, files: dict[int, bytes]
) -> None:
    station.insert("201811000077", fault="extended_refused")
    with encoder:
        assert not encoder.extended  # the probe got 6700: short APDUs it is
        result = chip.personalise(encoder, files)
    assert result.locked
    assert result.apdus > 60
