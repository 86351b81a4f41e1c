"""Fixtures for tests that run a virtual chip through the real pcscd and vpcd."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from printstation.drivers.encoder import PcscEncoder
from printstation.sim.chip.vchip import ChipStation, reader_listed
from tests.conftest import require_service

#: Reader "Virtual PCD D 00 00" (port 35969) is kept for these tests; the environment
#: may point them elsewhere (e.g. a private pcscd).
VPCD_HOST = "127.0.0.1"
TEST_PORT = int(os.environ.get("PRINTSTATION_TEST_VPCD_PORT", "35969"))
TEST_READER = os.environ.get("PRINTSTATION_TEST_READER", "Virtual PCD D 00 00")


def require_pcscd(reader: str = TEST_READER) -> None:
    """Skip when pcscd does not list the reader; in CI (CI=true) that is a failure."""
    require_service(f"pcscd listing the vpcd reader {reader!r}", reader_listed(reader))


@pytest.fixture
def station(tmp_path: Path) -> Iterator[ChipStation]:
    """A chip station on reader "Virtual PCD D 00 00", its chips kept in tmp_path."""
    require_pcscd()
    chip_station = ChipStation(VPCD_HOST, TEST_PORT, tmp_path / "chips", reader_name=TEST_READER)
    yield chip_station
    chip_station.remove()


@pytest.fixture
def encoder(station: ChipStation) -> Iterator[PcscEncoder]:
    """The encoder of the test reader (not yet connected)."""
    enc = PcscEncoder(TEST_READER, printer="T1")
    yield enc
    enc.close()
