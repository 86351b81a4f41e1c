"""Fixtures for tests that run a virtual chip through the real pcscd and vpcd."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from printstation.sim.vchip import ChipStation, reader_listed

#: Readers "Virtual PCD D 00 00/01" (ports 35969/35970) are kept for these tests.
VPCD_HOST = "127.0.0.1"
TEST_PORT = 35969
TEST_READER = "Virtual PCD D 00 00"


def require_pcscd(reader: str = TEST_READER) -> None:
    """Skip when pcscd does not list the reader; in CI (CI=true) that is a failure."""
    if reader_listed(reader):
        return
    message = f"pcscd is not running or does not list the vpcd reader {reader!r}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def station(tmp_path: Path) -> Iterator[ChipStation]:
    """A chip station on reader "Virtual PCD D 00 00", its chips kept in tmp_path."""
    require_pcscd()
    chip_station = ChipStation(VPCD_HOST, TEST_PORT, tmp_path / "chips")
    yield chip_station
    chip_station.remove()
