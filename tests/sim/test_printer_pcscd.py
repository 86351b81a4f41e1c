"""The simulated printer end to end: open_printer, pyusb, and its chip in pcscd's reader."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from smartcard.System import readers

from printstation.config import PrinterConfig, SimulatorConfig
from printstation.drivers.printer import open_printer
from printstation.sim.chip.vchip import wait_reader_present
from printstation.sim.printer.device import ejected_cards, load_feeder
from tests.sim.conftest import require_pcscd

pytestmark = pytest.mark.pcscd

#: Kept for this test; the chip station tests use "Virtual PCD D 00 00".
READER = "Virtual PCD D 00 01"
PORT = 35970


def card_atr(reader_name: str) -> bytes | None:
    reader = next(r for r in readers() if str(r) == reader_name)
    connection = reader.createConnection()
    try:
        connection.connect()
    except Exception:
        return None
    try:
        return bytes(connection.getATR())
    finally:
        connection.disconnect()


def wait_absent(reader_name: str, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if card_atr(reader_name) is None:
            return True
        time.sleep(0.1)
    return False


def test_card_at_the_contact_station_is_seen_by_pcscd(tmp_path: Path) -> None:
    require_pcscd(READER)
    config = PrinterConfig(
        name="P1",
        uri="simulated:P1",
        reader=READER,
        simulator=SimulatorConfig(vpcd_port=PORT),
    )
    load_feeder(tmp_path, "P1", ["CHIPE2E1"])
    printer = open_printer(config, state_dir=tmp_path)
    try:
        assert printer.identify().serial == "SIMP1"
        printer.start()
        printer.card_to_contact_station()
        assert wait_reader_present(READER, 2.0)
        assert card_atr(READER) is not None
        printer.back_to_front()
        assert wait_absent(READER)
        printer.eject()
    finally:
        printer.close()
    assert [c["serial"] for c in ejected_cards(tmp_path, "P1")] == ["CHIPE2E1"]
