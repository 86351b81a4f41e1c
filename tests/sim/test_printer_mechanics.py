"""The simulated printer's bins, warnings, error modes, manual feed, chip stations,
faults arranged while running, a pulled cable, and the faces it keeps."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import usb.core
from PIL import Image, ImageDraw

from printstation.config import SimulatorConfig
from printstation.drivers import protocol
from printstation.drivers.printer import CardPrinter
from printstation.drivers.profiles import get_profile
from printstation.drivers.transport import UsbTransport
from printstation.errors import (
    CardMisfeed,
    DoubleFeed,
    OutputHopperFull,
    PrinterDisconnected,
    PrinterJam,
    RejectBoxFull,
)
from printstation.layout.panels import face_to_panels, panels_to_face
from printstation.sim.printer import ops
from printstation.sim.printer.device import SimulatedPrinter, ejected_cards, load_feeder, read_state
from printstation.sim.printer.faults import FaultPlan
from printstation.sim.printer.state import StateFile
from printstation.sim.printer.usb_backend import SimulatedUsbBackend

FACE_SIZE = (1016, 648)


class FakeChipStation:
    def __init__(self) -> None:
        self.inserted: str | None = None

    def insert(self, serial: str, fault: str | None = None) -> None:
        self.inserted = serial

    def remove(self) -> None:
        self.inserted = None


def connect(
    tmp_path: Path,
    *,
    faults: tuple[str, ...] = (),
    chips: FakeChipStation | None = None,
    **profile: int,
) -> CardPrinter:
    sim = SimulatedPrinter(
        "P1",
        tmp_path,
        SimulatorConfig(faults=faults),
        chip_station=chips or FakeChipStation(),
        faults=FaultPlan.parse(faults),
        profile=dataclasses.replace(get_profile(), **profile),
    )
    device = usb.core.find(idVendor=0x0F49, backend=SimulatedUsbBackend(sim))
    assert device is not None
    printer = CardPrinter(
        UsbTransport(device, name="P1"), "P1", profile=sim.profile, family=sim.family
    )
    printer.open()
    return printer


def blanks(n: int) -> list[str]:
    return [f"CHIP{i:04d}" for i in range(1, n + 1)]


def print_blank_card(printer: CardPrinter) -> None:
    printer.start()
    printer.card_to_contact_station()
    printer.back_to_front()
    printer.eject()


def test_output_hopper_fills_then_stops_until_emptied(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", blanks(4))
    printer = connect(tmp_path, output_capacity=2)
    print_blank_card(printer)
    print_blank_card(printer)
    assert "output_full" in [w.code for w in printer.warnings()]
    printer.start()
    printer.card_to_contact_station()
    printer.back_to_front()
    with pytest.raises(OutputHopperFull, match="take the printed cards out"):
        printer.eject()
    assert read_state(tmp_path, "P1").card["position"] == "print_head"
    assert ops.empty_output(tmp_path, "P1") == 2
    printer.eject()
    assert [c["serial"] for c in ejected_cards(tmp_path, "P1")] == blanks(3)


def test_reject_box_fills_then_stops(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", blanks(2))
    printer = connect(tmp_path, reject_capacity=1)
    printer.start()
    printer.card_to_contact_station()
    printer.reject()
    printer.start()
    printer.card_to_contact_station()
    with pytest.raises(RejectBoxFull):
        printer.reject()
    assert read_state(tmp_path, "P1").card["position"] == "contact_station"


def test_cleaning_and_ribbon_warnings_follow_the_cards(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", blanks(3))
    ops.replace_ribbon(tmp_path, "P1", prints=3)
    printer = connect(tmp_path, cleaning_interval=2, ribbon_low=2, feeder_low=1)
    assert [w.code for w in printer.warnings()] == []
    print_blank_card(printer)
    assert [w.code for w in printer.warnings()] == ["ribbon_low"]
    print_blank_card(printer)
    assert [w.code for w in printer.warnings()] == ["feeder_low", "ribbon_low", "cleaning_due"]
    ops.clean(tmp_path, "P1")
    print_blank_card(printer)
    assert [w.code for w in printer.warnings()] == ["feeder_empty", "ribbon_ended"]
    status = printer.read_status()
    assert (status.state, status.ribbon_left, status.feeder) == (
        "ribbon_error",
        0,
        {"state": "empty", "cards": 0},
    )


def test_error_mode_0_retries_a_misfeed_itself(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", blanks(1))
    printer = connect(tmp_path, faults=("card 1: misfeed",))
    printer.set_error_mode(0)
    printer.start()
    printer.card_to_contact_station()  # the printer tried again and took the blank
    assert read_state(tmp_path, "P1").card["serial"] == "CHIP0001"


def test_error_mode_2_answers_with_the_status_text(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", blanks(2))
    printer = connect(tmp_path, faults=("card 1, step Sr: jam",))
    printer.set_error_mode(2)
    printer.start()
    printer.card_to_contact_station()
    with pytest.raises(PrinterJam):
        printer.back_to_front()
    assert printer._exchange(protocol.to_print_head()) == b"ERR JAM\r"


def test_misfeed_in_ack_nack_mode(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", blanks(1))
    printer = connect(tmp_path, faults=("card 1: misfeed",))
    printer.start()
    with pytest.raises(CardMisfeed):
        printer.card_to_contact_station()
    printer.card_to_contact_station()
    assert read_state(tmp_path, "P1").cards_inserted == 1


def test_double_feed_holds_two_blanks_until_cleared(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", blanks(3))
    printer = connect(tmp_path, faults=("card 1: double_feed",))
    printer.start()
    with pytest.raises(DoubleFeed, match="take both cards out"):
        printer.card_to_contact_station()
    assert printer.status() == "ERR DOUBLE FEED"
    with pytest.raises(DoubleFeed):
        printer.start()
    assert ops.clear_jam(tmp_path, "P1") == "CHIP0001"
    state = read_state(tmp_path, "P1")
    assert [r["serial"] for r in state.removed] == ["CHIP0001", "CHIP0002"]
    assert state.feeder == ["CHIP0003"] and state.cards_inserted == 2


def test_manual_feed_takes_the_card_from_the_slot(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", blanks(1))
    printer = connect(tmp_path)
    printer.set_feeder_mode(manual=True)
    with pytest.raises(Exception, match="feeder empty"):
        printer.start()
    ops.insert_by_hand(tmp_path, "P1", "HAND0001")
    printer.start()
    printer.card_to_contact_station()
    state = read_state(tmp_path, "P1")
    assert state.card["serial"] == "HAND0001" and state.feeder == ["CHIP0001"]


def test_contactless_station_connects_the_chip(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", blanks(1))
    chips = FakeChipStation()
    printer = connect(tmp_path, chips=chips)
    printer.start()
    printer.card_to_contactless_station()
    assert chips.inserted == "CHIP0001"
    printer.back_to_front()
    assert chips.inserted is None


def test_a_fault_arranged_while_running(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", blanks(2))
    printer = connect(tmp_path)
    print_blank_card(printer)
    assert ops.add_fault(tmp_path, "P1", "card next, step Sr: jam") == "card 2, step Sr: jam"
    printer.start()
    printer.card_to_contact_station()
    with pytest.raises(PrinterJam):
        printer.back_to_front()


def test_a_pulled_cable_is_a_disconnect_and_the_printer_leaves_the_bus(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", blanks(1))
    printer = connect(tmp_path)
    printer.start()
    ops.set_cable(tmp_path, "P1", plugged=False)
    with pytest.raises(PrinterDisconnected, match="check the cable"):
        printer.card_to_contact_station()
    backend = SimulatedUsbBackend(SimulatedPrinter("P1", tmp_path))
    assert usb.core.find(idVendor=0x0F49, backend=backend) is None
    ops.set_cable(tmp_path, "P1", plugged=True)
    again = connect(tmp_path)
    again.card_to_contact_station()
    assert read_state(tmp_path, "P1").card["position"] == "contact_station"


def test_state_writes_are_whole_files_and_leave_no_temporaries(tmp_path: Path) -> None:
    store = StateFile(tmp_path, "P1")
    with store.locked() as state:
        state.feeder = blanks(3)
    assert sorted(p.name for p in (tmp_path / "P1").iterdir()) == ["state.json", "state.lock"]
    assert store.read().feeder == blanks(3)


def grid_face(seed: int) -> tuple[Image.Image, Image.Image]:
    """A face whose colours lie on the 64-level grid the driver sends, with black text."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 64, (FACE_SIZE[1], FACE_SIZE[0], 3))
    values = protocol.dequantise(codes.astype(np.uint8), 64)
    rgb = Image.fromarray(values.astype(np.uint8), "RGB")
    text = Image.new("1", FACE_SIZE, 0)
    ImageDraw.Draw(text).text((40, 40), "NIK 5371010101900001", fill=1)
    ImageDraw.Draw(text).rectangle((40, 300, 400, 320), fill=1)
    return rgb, text


def print_face(tmp_path: Path, face: tuple[Image.Image, Image.Image]) -> Image.Image:
    load_feeder(tmp_path, "P1", blanks(1))
    printer = connect(tmp_path)
    printer.start()
    printer.card_to_contact_station()
    printer.back_to_front()
    printer.download_panels(face_to_panels(face))
    printer.eject()
    return Image.open(ejected_cards(tmp_path, "P1")[0]["image"]).convert("RGB")


def test_the_printed_card_is_the_rendered_face(tmp_path: Path) -> None:
    face = grid_face(1)
    printed = print_face(tmp_path, face)
    rendered = panels_to_face(face_to_panels(face))
    assert printed.size == FACE_SIZE
    assert np.array_equal(np.asarray(printed), np.asarray(rendered))


def test_a_full_range_face_prints_within_one_colour_level(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    rgb = Image.fromarray(rng.integers(0, 256, (FACE_SIZE[1], FACE_SIZE[0], 3), np.uint8), "RGB")
    face = (rgb, Image.new("1", FACE_SIZE, 0))
    printed = np.asarray(print_face(tmp_path, face), dtype=int)
    rendered = np.asarray(panels_to_face(face_to_panels(face)), dtype=int)
    assert np.abs(printed - rendered).max() <= 255 // 63 // 2 + 1
