"""The simulated printer, driven through pyusb exactly as a real one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import usb.core
from PIL import Image

from printstation.config import SimulatorConfig
from printstation.drivers import protocol
from printstation.drivers.printer import CardPrinter, PrinterCounters
from printstation.drivers.transport import UsbTransport
from printstation.errors import CoverOpen, FeederEmpty, PrinterJam, RibbonError
from printstation.layout.panels import PANEL_HEIGHT, PANEL_WIDTH, CardPanels
from printstation.sim.printer.device import (
    SimulatedPrinter,
    clear_jam,
    ejected_cards,
    load_feeder,
    panels_to_face,
    read_state,
    rejected_cards,
    set_cover,
)
from printstation.sim.printer.usb_backend import simulated_backend

SHAPE = (PANEL_HEIGHT, PANEL_WIDTH)


class FakeChipStation:
    """Records which chip is at the contact station."""

    def __init__(self) -> None:
        self.inserted: str | None = None
        self.history: list[tuple[str, str | None, str | None]] = []

    def insert(self, serial: str, fault: str | None = None) -> None:
        self.inserted = serial
        self.history.append(("insert", serial, fault))

    def remove(self) -> None:
        self.history.append(("remove", self.inserted, None))
        self.inserted = None


def make_panels(seed: int = 0) -> CardPanels:
    rng = np.random.default_rng(seed)

    def grey() -> Image.Image:
        return Image.fromarray(rng.integers(0, 256, SHAPE, dtype=np.uint8), mode="L")

    def dots() -> Image.Image:
        return Image.fromarray(rng.random(SHAPE) < 0.1)

    return CardPanels(y=grey(), m=grey(), c=grey(), k=dots(), o=dots())


def open_sim(
    state_dir: Path, faults: tuple[str, ...] = (), chips: FakeChipStation | None = None
) -> tuple[CardPrinter, FakeChipStation]:
    chips = chips or FakeChipStation()
    backend = simulated_backend("P1", state_dir, SimulatorConfig(faults=faults), chip_station=chips)
    device = usb.core.find(idVendor=0x0F49, backend=backend)
    assert device is not None
    printer = CardPrinter(UsbTransport(device, name="P1"), "P1", family=backend.printer.family)
    printer.open()
    return printer, chips


def state_file(state_dir: Path) -> dict:
    return json.loads((state_dir / "P1" / "state.json").read_text())


def test_device_looks_like_an_evolis_printer(tmp_path: Path) -> None:
    backend = simulated_backend("P1", tmp_path, chip_station=FakeChipStation())
    device = usb.core.find(idVendor=0x0F49, backend=backend)
    assert device is not None
    assert (device.manufacturer, device.product, device.serial_number) == (
        "Evolis",
        "Zenius",
        "SIMP1",
    )
    device.set_configuration()
    interface = device.get_active_configuration()[(0, 0)]
    assert (
        interface.bInterfaceClass,
        interface.bInterfaceSubClass,
        interface.bInterfaceProtocol,
    ) == (7, 1, 2)
    assert sorted(e.bEndpointAddress for e in interface) == [0x01, 0x82]


def test_one_full_card(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001", "CHIP0002"])
    printer, chips = open_sim(tmp_path)
    panels = make_panels()

    printer.start()
    printer.card_to_contact_station()
    assert chips.inserted == "CHIP0001"
    assert state_file(tmp_path)["card"]["position"] == "contact_station"
    printer.back_to_front()
    assert chips.inserted is None
    printer.download_panels(panels)
    printer.eject()

    assert printer.counters() == PrinterCounters(panels_printed=5, cards_inserted=1)
    assert printer.ribbon_left() == 249
    assert printer.status() == "OK"
    out = ejected_cards(tmp_path, "P1")
    assert [(c["serial"], c["card_no"]) for c in out] == [("CHIP0001", 1)]
    image_path = Path(out[0]["image"])
    assert image_path == tmp_path / "P1" / "output" / "0001-CHIP0001.png"

    # the face is composed exactly from what the printer received
    received = {}
    for frame in protocol.encode_panels(panels):
        letter, image = protocol.decode_db_frame(frame)
        received[letter] = image
    expected = panels_to_face(CardPanels(**received))
    printed = Image.open(image_path)
    assert printed.size == (1016, 648)
    assert np.array_equal(np.asarray(printed.convert("RGB")), np.asarray(expected))
    assert state_file(tmp_path)["feeder"] == ["CHIP0002"]


def test_last_blank_then_feeder_empty(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001"])
    printer, _ = open_sim(tmp_path)
    printer.start()
    printer.card_to_contact_station()
    printer.reject()
    assert [c["serial"] for c in rejected_cards(tmp_path, "P1")] == ["CHIP0001"]
    assert Path(rejected_cards(tmp_path, "P1")[0]["image"]).is_file()
    with pytest.raises(FeederEmpty, match="feeder empty on printer P1: load blanks"):
        printer.start()
    with pytest.raises(FeederEmpty):
        printer.card_to_contact_station()
    assert printer.status() == "NO CARD"
    state = state_file(tmp_path)
    assert state["card"] is None and state["cards_inserted"] == 1


def test_jam_at_cyan_panel_keeps_the_card_in_the_path(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001", "CHIP0002"])
    printer, _ = open_sim(tmp_path, faults=("card 1, step Db;c: jam",))
    printer.start()
    printer.card_to_contact_station()
    printer.back_to_front()
    with pytest.raises(
        PrinterJam, match="card jammed on printer P1 during the download of the cyan panel"
    ):
        printer.download_panels(make_panels())
    state = state_file(tmp_path)
    assert state["card"] == {
        "serial": "CHIP0001",
        "card_no": 1,
        "position": "print_head",
        "jammed": True,
    }
    assert state["output"] == [] and state["reject"] == []
    assert printer.status() == "ERR JAM"
    with pytest.raises(PrinterJam):
        printer.eject()

    # the operator takes the card out; the next card goes through
    assert clear_jam(tmp_path, "P1") == "CHIP0001"
    printer.reset()
    printer.start()
    printer.card_to_contact_station()
    printer.back_to_front()
    printer.download_panels(make_panels())
    printer.eject()
    assert [c["serial"] for c in ejected_cards(tmp_path, "P1")] == ["CHIP0002"]
    assert read_state(tmp_path, "P1").removed == [{"serial": "CHIP0001", "card_no": 1}]


def test_cover_open_stops_until_closed(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001", "CHIP0002"])
    printer, _ = open_sim(tmp_path, faults=("card 2: cover_open",))
    printer.start()
    printer.card_to_contact_station()
    printer.back_to_front()
    printer.eject()
    printer.start()
    with pytest.raises(CoverOpen, match="cover open on printer P1: close the cover"):
        printer.card_to_contact_station()
    assert printer.cover_open()
    state = state_file(tmp_path)
    assert state["card"] is None and state["feeder"] == ["CHIP0002"]
    with pytest.raises(CoverOpen):
        printer.card_to_contact_station()
    set_cover(tmp_path, "P1", open_=False)
    printer.card_to_contact_station()  # the rule fired once
    assert state_file(tmp_path)["card"]["serial"] == "CHIP0002"


def test_misfeed_leaves_the_blank_in_the_feeder(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001"])
    printer, _ = open_sim(tmp_path, faults=("card 1: misfeed",))
    with pytest.raises(FeederEmpty, match="blank did not feed on printer P1"):
        printer.card_to_contact_station()
    assert state_file(tmp_path)["feeder"] == ["CHIP0001"]
    printer.card_to_contact_station()
    assert state_file(tmp_path)["card"]["card_no"] == 1


def test_ribbon_end_at_eject(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001"])
    printer, _ = open_sim(tmp_path, faults=("card 1, step Se: ribbon_end",))
    printer.start()
    printer.card_to_contact_station()
    printer.back_to_front()
    with pytest.raises(RibbonError, match="replace the ribbon"):
        printer.eject()
    assert printer.ribbon_left() == 0
    assert state_file(tmp_path)["card"]["position"] == "print_head"


def test_chip_faults_go_to_the_chip_station(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001", "CHIP0002"])
    printer, chips = open_sim(tmp_path, faults=("card 2: chip corrupt",))
    for _ in range(2):
        printer.start()
        printer.card_to_contact_station()
        printer.reject()
    inserts = [h for h in chips.history if h[0] == "insert"]
    assert inserts == [("insert", "CHIP0001", None), ("insert", "CHIP0002", "corrupt")]


def test_state_survives_a_new_printer_process(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001", "CHIP0002"])
    printer, _ = open_sim(tmp_path)
    printer.start()
    printer.card_to_contact_station()
    printer.close()

    # a new process: the card is still at the contact station and its chip reconnects
    chips = FakeChipStation()
    again, _ = open_sim(tmp_path, chips=chips)
    assert chips.inserted == "CHIP0001"
    assert again.card_present()
    assert again.counters().cards_inserted == 1
    again.back_to_front()
    again.download_panels(make_panels())
    again.eject()
    assert [c["serial"] for c in ejected_cards(tmp_path, "P1")] == ["CHIP0001"]
    # Db panels sent to the old process are gone, like on a power cycle: only the new ones count
    assert again.counters().panels_printed == 5


def test_frames_split_across_writes_are_reassembled(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001"])
    sim = SimulatedPrinter("P1", tmp_path, chip_station=FakeChipStation())
    data = b"".join(protocol.encode_panels(make_panels())) + b"\x1bRco;c\r"
    for start in range(0, len(data), 4093):
        sim.receive(data[start : start + 4093])
    replies = [sim.next_reply(0) for _ in range(6)]
    assert replies == [b"OK\r"] * 5 + [b"0\r"]


def test_unknown_command_and_bad_parameters_are_refused(tmp_path: Path) -> None:
    sim = SimulatedPrinter("P1", tmp_path)
    sim.receive(b"\x1bXyz\r\x1bPem;9\r\x1bDb;q;64;abc\r\x1bRco;n\r")
    replies = [sim.next_reply(0) for _ in range(4)]
    assert replies == [b"NACK;1\r", b"NACK;2\r", b"NACK;2\r", b"250\r"]


def test_mechanical_time_follows_the_time_scale(tmp_path: Path) -> None:
    load_feeder(tmp_path, "P1", ["CHIP0001"])
    config = SimulatorConfig(time_scale=0.01, card_seconds=16.0)
    sim = SimulatedPrinter("P1", tmp_path, config, chip_station=FakeChipStation())
    sim.receive(b"\x1bSis\r")  # feed (8%) and move to the encoder (10%): 0.0288 s
    assert sim.next_reply(5) is None
    assert sim.next_reply(1000) == b"OK\r"
