"""Every printer fault at every step of a card's sequence, through pyusb and the driver.

For each (fault, step) the driver must raise the right station error at the right
step, and the printer's state on disk must say where the card is and what the
counters are, as a host that restarts after the fault would find them. The matrix runs
in each printer family's dialect (printstation.drivers.profiles): the simulator's own
(ACK/NACK and its fault texts), A5013 and Primacy/Zenius (``Pem;2``, the real fault
replies, replies ended by CR or by the USB transfer).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pytest
import usb.core

from printstation.config import SimulatorConfig
from printstation.drivers import protocol
from printstation.drivers.printer import CardPrinter
from printstation.drivers.profiles import get_family
from printstation.drivers.transport import UsbTransport, find_device
from printstation.errors import (
    CardMisfeed,
    ConfigError,
    CoverOpen,
    DoubleFeed,
    FeederEmpty,
    PrinterDisconnected,
    PrinterError,
    PrinterJam,
    PrinterNotFound,
    RibbonError,
)
from printstation.layout.panels import PANEL_HEIGHT, PANEL_WIDTH, CardPanels
from printstation.sim.printer.device import SimulatedPrinter, load_feeder, read_state
from printstation.sim.printer.faults import FaultPlan
from printstation.sim.printer.usb_backend import SimulatedUsbBackend

PRINT_STEPS = ("Ss", "Sis", "Sr", "Db;y", "Db;m", "Db;c", "Db;k", "Db;o", "Se")
REJECT_STEPS = ("Ss", "Sis", "Ser")
STEPS = (*PRINT_STEPS, "Ser")
FAULTS = ("jam", "cover_open", "disconnect", "ribbon_end", "misfeed", "double_feed")
FAMILIES = ("station", "a5013", "primacy")
#: Errors a real family's vocabulary cannot tell apart (no public reply string for a
#: misfeed or a double feed): the printer answers FEEDER EMPTY, CARD JAM.
REAL_ERROR: dict[type[PrinterError], type[PrinterError]] = {
    CardMisfeed: FeederEmpty,
    DoubleFeed: PrinterJam,
}
BLANKS = ["CHIP0001", "CHIP0002", "CHIP0003"]
#: Where the card is just before each step.
POSITION_BEFORE = {
    "Ss": None,
    "Sis": None,
    "Sr": "contact_station",
    "Ser": "contact_station",
    **{f"Db;{p}": "print_head" for p in "ymcko"},
    "Se": "print_head",
}
NEEDS_RIBBON = {"Ss", "Se", *(f"Db;{p}" for p in "ymcko")}


class FakeChipStation:
    def __init__(self) -> None:
        self.inserted: str | None = None

    def insert(self, serial: str, fault: str | None = None) -> None:
        self.inserted = serial

    def remove(self) -> None:
        self.inserted = None


@dataclass(frozen=True)
class Outcome:
    """What the host sees and what the printer keeps after a fault."""

    error: type[PrinterError] | None
    raised_at: str | None
    position: str | None
    cards_inserted: int
    feeder: int
    jammed: bool = False
    output: int = 0
    reject: int = 0


def expected(fault: str, step: str) -> Outcome:
    before = POSITION_BEFORE[step]
    inserted_before = 0 if step in ("Ss", "Sis") else 1
    feeder_before = len(BLANKS) - inserted_before
    if fault == "jam":
        if step == "Sis":  # the blank left the feeder and stuck at the entry
            return Outcome(PrinterJam, step, "entry", 1, 2, jammed=True)
        return Outcome(PrinterJam, step, before, inserted_before, feeder_before, jammed=True)
    if fault == "cover_open":
        return Outcome(CoverOpen, step, before, inserted_before, feeder_before)
    if fault == "disconnect":
        return Outcome(PrinterDisconnected, step, before, inserted_before, feeder_before)
    if fault == "ribbon_end":
        if step == "Ser":  # rejecting needs no ribbon
            return Outcome(None, None, None, 1, 2, reject=1)
        if step in NEEDS_RIBBON:
            return Outcome(RibbonError, step, before, inserted_before, feeder_before)
        return Outcome(RibbonError, "Db;y", "print_head", 1, 2)
    if fault == "misfeed":
        return Outcome(CardMisfeed, "Sis", None, 0, 3)
    if fault == "double_feed":
        return Outcome(DoubleFeed, "Sis", "entry", 2, 1, jammed=True)
    raise AssertionError(fault)


def panel_frames() -> dict[str, bytes]:
    from PIL import Image

    size = (PANEL_WIDTH, PANEL_HEIGHT)
    panels = CardPanels(
        y=Image.new("L", size, 40),
        m=Image.new("L", size, 80),
        c=Image.new("L", size, 120),
        k=Image.new("1", size, 0),
        o=Image.new("1", size, 1),
    )
    return {protocol.command_of(f)[3]: f for f in protocol.encode_panels(panels)}


FRAMES = panel_frames()


def run_step(printer: CardPrinter, step: str) -> None:
    actions = {
        "Ss": printer.start,
        "Sis": printer.card_to_contact_station,
        "Sr": printer.back_to_front,
        "Se": printer.eject,
        "Ser": printer.reject,
    }
    if step.startswith("Db;"):
        printer.download_frames([FRAMES[step[3]]])
    else:
        actions[step]()


def connect(tmp_path: Path, rule: str | None, family: str = "station") -> CardPrinter:
    faults = FaultPlan.parse([rule] if rule else [])
    sim = SimulatedPrinter(
        "P1",
        tmp_path,
        SimulatorConfig(),
        chip_station=FakeChipStation(),
        faults=faults,
        family=get_family(family),
    )
    device = usb.core.find(idVendor=0x0F49, backend=SimulatedUsbBackend(sim))
    assert device is not None
    printer = CardPrinter(
        UsbTransport(device, name="P1"), "P1", reply_timeout_ms=2000, family=sim.family
    )
    printer.open()
    return printer


def applicable(fault: str, step: str) -> bool:
    return fault not in ("misfeed", "double_feed") or step == "Sis"


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("family", FAMILIES)
def test_fault_at_step(tmp_path: Path, family: str, fault: str, step: str) -> None:
    rule = f"card 1, step {step}: {fault}"
    if not applicable(fault, step):
        with pytest.raises(ConfigError, match="leaves the feeder"):
            FaultPlan.parse([rule])
        return
    load_feeder(tmp_path, "P1", list(BLANKS))
    printer = connect(tmp_path, rule, family)
    want = expected(fault, step)
    if family != "station" and want.error is not None:
        want = dataclasses.replace(want, error=REAL_ERROR.get(want.error, want.error))
    sequence = REJECT_STEPS if step == "Ser" else PRINT_STEPS
    raised_at = None
    error: PrinterError | None = None
    for current in sequence:
        try:
            run_step(printer, current)
        except PrinterError as exc:
            raised_at, error = current, exc
            break
    printer.close()

    assert raised_at == want.raised_at
    assert type(error) is want.error if want.error else error is None
    if error is not None:
        assert "printer P1" in error.message

    state = read_state(tmp_path, "P1")
    position = state.card["position"] if state.card else None
    assert position == want.position
    assert state.is_jammed == want.jammed
    assert state.cards_inserted == want.cards_inserted
    assert len(state.feeder) == want.feeder
    assert (len(state.output), len(state.reject)) == (want.output, want.reject)
    assert state.panels_printed == 0

    if fault == "disconnect":
        assert state.unplugged
        with pytest.raises(PrinterNotFound, match="printer not found"):
            find_device(
                "usb:0f49:0a00", backend=SimulatedUsbBackend(SimulatedPrinter("P1", tmp_path))
            )
        return
    # a host started afresh finds the printer as the fault left it
    again = connect(tmp_path, None, family)
    assert again.card_present() == (want.position is not None)
    if family != "station":  # a real printer's status is the card's position
        assert (again.status() == "OK") == (want.position is None)
        again.close()
        return
    status = again.status()
    if want.jammed:
        assert status in ("ERR JAM", "ERR DOUBLE FEED")
    elif fault == "cover_open":
        assert status == "ERR COVER" and again.cover_open()
    elif fault == "ribbon_end":
        assert status == "ERR RIBBON" and again.ribbon_left() == 0
    again.close()


def test_the_matrix_covers_every_step_of_a_card() -> None:
    assert set(STEPS) == set(PRINT_STEPS) | set(REJECT_STEPS)
