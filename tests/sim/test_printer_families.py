"""The simulated printer speaks the dialect of the family its configuration names."""

from __future__ import annotations

from pathlib import Path

import pytest

from printstation.config import PrinterConfig, SimulatorConfig
from printstation.drivers.printer import NoChip, open_printer, printer_status
from printstation.drivers.profiles import get_family
from printstation.errors import CoverOpen, FeederEmpty
from printstation.sim.printer.device import SimulatedPrinter, load_feeder, read_state, set_cover

from .test_printer import make_panels


def config(family: str) -> PrinterConfig:
    return PrinterConfig(
        name="P1",
        uri="simulated:P1",
        reader="Virtual PCD 00 00",
        simulator=SimulatorConfig(keep_images=False),
        profile=family,
    )


@pytest.mark.parametrize("family", ["a5013", "primacy"])
def test_a_card_through_a_real_family(tmp_path: Path, family: str) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001"])
    printer = open_printer(config(family), state_dir=tmp_path, chip_station=NoChip())
    assert printer.family.name == family
    assert read_state(tmp_path, "P1").error_mode == 2  # Pem;2, the host manages errors
    printer.start()
    printer.card_to_contact_station()
    assert printer.status() == "SMART CARD" and printer.state() == "card_in_path"
    printer.back_to_front()
    printer.download_panels(make_panels())
    printer.eject()
    assert printer.state() == "ready"
    with pytest.raises(FeederEmpty, match="feeder empty on printer P1"):
        printer.start()  # FEEDER EMPTY
    printer.close()
    assert len(read_state(tmp_path, "P1").output) == 1


def test_cover_open_is_the_real_reply(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001"])
    set_cover(tmp_path, "P1", open_=True)
    printer = open_printer(config("a5013"), state_dir=tmp_path, chip_station=NoChip())
    with pytest.raises(CoverOpen, match="cover open on printer P1"):
        printer.start()
    printer.close()


def test_status_of_a_real_family_leaves_unknown_readings_unknown(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001"])
    status = printer_status(config("a5013"), state_dir=tmp_path)
    assert status.state == "ready" and status.error is None
    assert status.ribbon_left is None  # unknown without hardware on A5013
    assert status.counters["cards_inserted"] == 0
    assert status.counters["output_hopper"] is None and status.feeder["cards"] is None
    primacy = printer_status(config("primacy"), state_dir=tmp_path)
    assert primacy.ribbon_left is not None and primacy.ribbon_left > 0


def test_refusals_in_the_a5013_dialect_are_its_words_ended_by_the_transfer(
    tmp_path: Path,
) -> None:
    sim = SimulatedPrinter("P1", tmp_path, family=get_family("a5013"))
    sim.receive(b"\x1bXyz\r\x1bPem;9\r\x1bDb;q;64;abc\r\x1bRco;n\r\x1bRse;o\r")
    replies = [sim.next_reply(0) for _ in range(5)]
    assert replies == [b"ERROR CDE", b"ERROR PARAMETRES", b"ERROR PARAMETRES", b"0", b"5,00 Volts"]
