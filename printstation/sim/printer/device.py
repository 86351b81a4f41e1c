"""A simulated card printer speaking the same protocol as the real one.

It has real mechanics, sized by a printer profile: a feeder of blanks (each known by
its chip serial) or a manual slot, a card path (feeder -> encoder station -> print
head -> output hopper or reject box), counters, a ribbon, a cover and a USB cable. Its
state lives in ``state_dir/<name>/state.json`` (printstation.sim.printer.state) and is
saved after every mechanical step, so a new process finds the card where the printer
left it. Faults come from the configuration and from rules added while it runs
(printstation.sim.printer.faults, printstation.sim.printer.ops). Printed faces are composed
from the panels exactly as received and saved as PNG files under ``output/`` and
``reject/``.

When a card reaches an encoder station its virtual chip is put into the chip station
(the vpcd reader, or any object with ``insert`` and ``remove``), and taken out when
the card moves on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from printstation.config import SimulatorConfig
from printstation.drivers import protocol
from printstation.drivers.profiles import (
    SIMULATOR_FAMILY,
    PrinterFamily,
    PrinterProfile,
    get_family,
    get_profile,
)
from printstation.errors import PrintStationError
from printstation.sim.printer.face import panels_to_face, received_panels, save_face
from printstation.sim.printer.faults import FEED_STEP, FaultPlan, FaultRule, parse_rule
from printstation.sim.printer.ops import (
    clear_jam,
    ejected_cards,
    load_feeder,
    read_state,
    rejected_cards,
    replace_ribbon,
    set_cover,
)
from printstation.sim.printer.queries import (
    REAL_QUERIES,
    SETTINGS_AND_QUERIES,
    BadParameter,
    output_held,
    real_query,
    reject_held,
)
from printstation.sim.printer.state import (
    CHIP_POSITIONS,
    RIBBON_PRINTS,
    PrinterState,
    StateFile,
    status_text,
)
from printstation.sim.printer.wire import FrameSplitter, ReplyQueue

__all__ = [
    "RIBBON_PRINTS",
    "ChipStationLike",
    "PrinterState",
    "SimulatedPrinter",
    "StateFile",
    "Unplugged",
    "clear_jam",
    "ejected_cards",
    "load_feeder",
    "panels_to_face",
    "read_state",
    "rejected_cards",
    "replace_ribbon",
    "set_cover",
    "status_text",
]

log = logging.getLogger(__name__)

FIRMWARE = "1.8.3"
MECHANICAL = frozenset({"Ss", "Si", "Sis", "Sic", "Sr", "Se", "Ser", "Seb", "Db"})
#: Commands that take a blank from the feeder when no card is in the path.
FEEDING = {"Si": "print_head", "Sis": "contact_station", "Sic": "contactless_station"}
#: Commands refused when the ribbon has ended.
NEEDS_RIBBON = frozenset({"Ss", "Db", "Se"})
_REFUSAL_TEXT = {fault: text for text, fault in protocol.STATUS_FAULTS.items()}
_KIND_OF_FAULT = {fault: kind for kind, fault in protocol.KIND_FAULTS.items()}
#: Faults no public reply string names: what a printer of a real family is expected to
#: answer for them instead (unknown without hardware).
_REAL_KIND = {"misfeed": "feeder_empty", "double_feed": "jam", "reject_full": "jam"}


class ChipStationLike(Protocol):
    """The encoder station's reader side (printstation.sim.chip.vchip.ChipStation)."""

    def insert(self, serial: str, fault: str | None = None) -> None: ...

    def remove(self) -> None: ...


class Nack(Exception):
    """A refused command: its NACK code and an optional detail."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


class Unplugged(Exception):
    """The USB cable is out: the host's transfer fails like on a pulled cable."""


class SimulatedPrinter:
    """Executes command frames written to it and queues the replies."""

    def __init__(
        self,
        name: str,
        state_dir: Path,
        config: SimulatorConfig | None = None,
        *,
        chip_station: ChipStationLike | None = None,
        faults: FaultPlan | None = None,
        profile: PrinterProfile | None = None,
        family: PrinterFamily | None = None,
    ) -> None:
        self.name = name
        self.config = config or SimulatorConfig()
        self.profile = profile or get_profile()
        #: The dialect it speaks (printstation.drivers.profiles, ``[families.*]``).
        self.family = family or get_family(SIMULATOR_FAMILY)
        self.store = StateFile(state_dir, name)
        self.faults = faults if faults is not None else FaultPlan.parse(self.config.faults)
        self._configured: tuple[FaultRule, ...] = self.faults.rules
        self._runtime: tuple[str, ...] = ()
        self.chip_station = chip_station
        self.serial = f"SIM{name}"
        self.model = self.profile.model
        self._replies = ReplyQueue(self.family.reply_end.encode("ascii"))
        self._frames = FrameSplitter(self._run, self._malformed)
        self._panels: dict[str, tuple[int, bytes]] = {}
        self._chip_in: str | None = None
        self._fed = False
        self._unplugged = False
        self._pending_feed_fault: str | None = None
        scale = self.config.card_seconds / (self.profile.card_seconds or 1.0)
        self._seconds = {k: v * scale for k, v in self.profile.timings.items()}
        self._handlers: dict[str, Callable[[PrinterState, list[str]], str]] = {
            "Rtp": lambda s, a: self.model, "Rfv": lambda s, a: FIRMWARE,
            "Rsn": lambda s, a: self.serial, "Ss": self._ss, "Si": self._si, "Sis": self._sis,
            "Sic": self._sic, "Sr": self._sr, "Se": self._se, "Ser": self._ser,
            "Seb": self._seb, "Srs": self._srs,
        }  # fmt: skip

    def _malformed(self, text: str) -> None:
        """Answer a frame that cannot be read (a bad ``Db`` header): a parameter error,
        in the family's words on a real family."""
        if self.family.status_means == "position":
            text = self.family.reply_for("parameter") or text
        self._replies.add(text, 0.0)

    # --- the USB side -------------------------------------------------------------------

    def plugged_in(self) -> bool:
        """Whether the printer is on the bus (its cable may have been pulled)."""
        return not self._unplugged and not self.store.read().unplugged

    def power_on(self) -> None:
        """Reconnect the chip of a card left at an encoder station by an earlier run."""
        state = self.store.read()
        if state.profile != self.profile.name or not self.store.exists():
            with self.store.locked() as fresh:
                if not self.store.exists():
                    fresh.ribbon_left = self.profile.ribbon_prints(fresh.ribbon_type)
                fresh.profile = self.profile.name
        card = state.card
        if card and card["position"] in CHIP_POSITIONS:
            self._chip_insert(card["serial"], card["card_no"])

    def receive(self, data: bytes) -> None:
        """Take bytes from the bulk OUT endpoint; run every whole frame among them.

        Raises Unplugged when the cable is out (before or while running a frame).
        """
        if self._unplugged:
            raise Unplugged
        self._frames.feed(data)

    def next_reply(self, timeout_ms: int) -> bytes | None:
        """The next reply once its mechanical time has passed, or None after timeout_ms."""
        if self._unplugged:
            raise Unplugged
        return self._replies.next(timeout_ms)

    def push_back(self, rest: bytes) -> None:
        """Keep the part of a reply the host's read buffer had no room for."""
        self._replies.push_back(rest)

    def _delay(self, step: str) -> float:
        return self.config.time_scale * self._seconds.get(step.split(";", 1)[0], 0.0)

    # --- commands -----------------------------------------------------------------------

    def _sync_faults(self, state: PrinterState) -> None:
        self.faults.fired = set(state.faults_fired)
        self.faults.cards = {int(k): v for k, v in state.cards_fed.items()}
        if tuple(state.runtime_faults) != self._runtime:
            self._runtime = tuple(state.runtime_faults)
            extra = tuple(parse_rule(t) for t in self._runtime)
            self.faults.rules = self._configured + tuple(
                r for r in extra if r not in self._configured
            )

    def _run(self, frame: bytes) -> None:
        arrived = time.monotonic()
        step = protocol.command_of(frame)
        head, *args = step.split(";")
        delay = 0.0
        self._fed = False
        self._pending_feed_fault = None
        with self.store.locked() as state:
            if state.unplugged:
                self._unplugged = True
            else:
                self._sync_faults(state)
                card = state.card
                if self._chip_in is not None and (
                    card is None or card["position"] not in CHIP_POSITIONS
                ):
                    self._chip_remove()  # an operator took the card out by hand
                try:
                    text = self._execute(state, frame, step, head, args)
                    delay = self._delay(step) + (self._delay(FEED_STEP) if self._fed else 0.0)
                except Nack as nack:
                    text = self._refusal(state, nack)
                    log.info("printer %s refused %s: %s", self.name, step, text)
                state.faults_fired = sorted(self.faults.fired)
                state.cards_fed = {str(k): v for k, v in self.faults.cards.items()}
        if self._unplugged:
            self._frames.clear()
            self._replies.clear()
            raise Unplugged
        self._replies.add(text, delay, since=arrived)

    def _execute(
        self, state: PrinterState, frame: bytes, step: str, head: str, args: list[str]
    ) -> str:
        if head == "Db":
            self._check_ready(state, step, head)
            return self._db(frame)
        if self.family.status_means == "position" and head in REAL_QUERIES:
            try:
                return real_query(state, self.profile, self.family, step)
            except BadParameter:
                raise Nack("2") from None
        if head in SETTINGS_AND_QUERIES:
            try:
                return SETTINGS_AND_QUERIES[head](state, self.profile, args)
            except BadParameter:
                raise Nack("2") from None
        handler = self._handlers.get(head)
        if handler is None:
            raise Nack("1")
        if head in MECHANICAL:
            self._check_ready(state, step, head)
        return handler(state, args)

    def _refusal(self, state: PrinterState, nack: Nack) -> str:
        """NACK in ACK/NACK mode; the status text in the other modes (the family's fault
        reply on a real family)."""
        if self.family.status_means == "position" and state.error_mode != 4:
            kind = _KIND_OF_FAULT.get((nack.code, nack.detail), "command")
            text = self.family.reply_for(kind) or self.family.reply_for(_REAL_KIND.get(kind, ""))
            return text or self.family.reply_for("command") or "ERROR CDE"
        text = _REFUSAL_TEXT.get((nack.code, nack.detail))
        if state.error_mode == 4 or text is None:
            return f"NACK;{nack.code}" + (f";{nack.detail}" if nack.detail else "")
        return text

    def _check_ready(self, state: PrinterState, step: str, head: str) -> None:
        if state.is_jammed:
            raise Nack("T", "double_feed" if state.card and state.card.get("extra") else "")
        if state.cover_open:
            raise Nack("C")
        card_no = state.card["card_no"] if state.card else state.cards_inserted + 1
        fault = self.faults.printer_fault(card_no, step)
        feeds = state.card is None and (head in FEEDING or head == "Se")
        if fault in ("misfeed", "double_feed"):
            self._pending_feed_fault = fault  # played when the blank leaves the feeder
        elif fault:
            self._play_fault(state, fault, head, feeds=feeds)
        if head in NEEDS_RIBBON and state.ribbon_left <= 0:
            raise Nack("R")

    def _play_fault(self, state: PrinterState, fault: str, head: str, *, feeds: bool) -> None:
        if fault == "disconnect":
            state.unplugged = True
            self._unplugged = True
            raise Nack("1")  # never sent: the cable is out
        if fault == "cover_open":
            state.cover_open = True
            raise Nack("C")
        if fault == "ribbon_end":
            state.ribbon_left = 0
            if head in NEEDS_RIBBON:
                raise Nack("R")
            return
        if fault == "jam":
            if feeds:
                self._take_blank(state)
            if state.card:
                state.card["jammed"] = True
            else:
                state.jammed = True
            raise Nack("T")

    def _take_blank(self, state: PrinterState) -> None:
        source = state.manual_slot if state.feeder_mode == "M" else state.feeder
        if not source:
            raise Nack("F")
        card_no = state.cards_inserted + 1
        serial = source.pop(0)
        state.cards_inserted = card_no
        state.card = {"serial": serial, "card_no": card_no, "position": "entry"}
        self.faults.card_fed(card_no, serial)
        self._fed = True

    def _feed(self, state: PrinterState, position: str) -> None:
        """Take a blank from the feeder unless a card is already in the path, then move it."""
        if state.card is None:
            source = state.manual_slot if state.feeder_mode == "M" else state.feeder
            if not source:
                raise Nack("F")
            card_no = state.cards_inserted + 1
            fault = self._pending_feed_fault or self.faults.printer_fault(card_no, FEED_STEP)
            self._pending_feed_fault = None
            if fault == "misfeed" and state.error_mode != 0:
                raise Nack("F", "misfeed")  # in mode 0 the printer tries again by itself
            if fault in ("cover_open", "disconnect", "ribbon_end"):
                self._play_fault(state, fault, FEED_STEP, feeds=True)
            self._take_blank(state)
            if fault == "jam":
                self._play_fault(state, fault, FEED_STEP, feeds=False)
            if fault == "double_feed" and source and state.card is not None:
                state.card["extra"] = [source.pop(0)]
                state.card["jammed"] = True
                state.cards_inserted += 1
                raise Nack("T", "double_feed")
        self._move(state, position)

    def _move(self, state: PrinterState, position: str) -> None:
        if state.card is None:
            raise Nack("F")
        if state.card["position"] in CHIP_POSITIONS and position != state.card["position"]:
            self._chip_remove()
        state.card["position"] = position
        if position in CHIP_POSITIONS:
            self.store.write(state)  # the chip is connected only once the move is on disk
            self._chip_insert(state.card["serial"], state.card["card_no"])

    def _chip_insert(self, serial: str, card_no: int) -> None:
        if self.chip_station is None or self._chip_in == serial:
            self._chip_in = serial
            return
        fault = self.faults.chip_fault(card_no)
        for attempt in (1, 2):  # the second try is the card re-seated at the contacts
            try:
                self.chip_station.insert(serial, fault=fault)
                break
            except PrintStationError as exc:
                self.chip_station.remove()
                if attempt == 2:
                    # The card is at the station whatever the reader makes of it; the
                    # encoder will find no card there and say so.
                    log.warning("printer %s: chip %s not in the reader: %s", self.name, serial, exc)
                    return
        self._chip_in = serial

    def _chip_remove(self) -> None:
        if self.chip_station is not None and self._chip_in is not None:
            self.chip_station.remove()
        self._chip_in = None

    # --- card moves ---------------------------------------------------------------------

    def _ss(self, state: PrinterState, args: list[str]) -> str:
        source = state.manual_slot if state.feeder_mode == "M" else state.feeder
        if state.card is None and not source:
            raise Nack("F")
        if state.card is None:
            self._panels.clear()
        return "OK"

    def _si(self, state: PrinterState, args: list[str]) -> str:
        self._feed(state, "print_head")
        return "OK"

    def _sis(self, state: PrinterState, args: list[str]) -> str:
        self._feed(state, "contact_station")
        return "OK"

    def _sic(self, state: PrinterState, args: list[str]) -> str:
        if "contactless" not in self.profile.encoder_stations:
            raise Nack("1")
        self._feed(state, "contactless_station")
        return "OK"

    def _sr(self, state: PrinterState, args: list[str]) -> str:
        if state.card is None:
            raise Nack("F")
        self._move(state, "print_head")
        return "OK"

    def _db(self, frame: bytes) -> str:
        try:
            panel_b, levels_b, payload = frame[4:-1].split(b";", 2)
            panel, levels = panel_b.decode("ascii"), int(levels_b)
            if len(payload) != protocol.panel_data_length(panel, levels):
                raise ValueError("wrong length")
        except (ValueError, UnicodeDecodeError):
            raise Nack("2") from None
        self._panels[panel] = (levels, payload)
        return "OK"

    def _se(self, state: PrinterState, args: list[str]) -> str:
        if output_held(state) >= self.profile.output_capacity:
            raise Nack("T", "output_full")
        self._feed(state, "print_head")
        printed = len(self._panels)
        self._leave(state, "output", printed)
        state.ribbon_left -= 1
        state.panels_printed += printed
        state.cards_since_cleaning += 1
        return "OK"

    def _ser(self, state: PrinterState, args: list[str]) -> str:
        if state.card is None:
            raise Nack("F")
        if reject_held(state) >= self.profile.reject_capacity:
            raise Nack("T", "reject_full")
        self._leave(state, "reject", 0)
        return "OK"

    def _seb(self, state: PrinterState, args: list[str]) -> str:
        return self._ser(state, args)

    def _srs(self, state: PrinterState, args: list[str]) -> str:
        self._panels.clear()
        self._frames.clear()
        state.error_mode = 0
        return "OK"

    def _leave(self, state: PrinterState, where: str, printed: int) -> None:
        """The card leaves the path into the output hopper or the reject box."""
        card = state.card
        if card is None:
            raise Nack("F")
        if card["position"] in CHIP_POSITIONS:
            self._chip_remove()
        image: str | None = None
        if self.config.keep_images:
            image_path = self.store.dir / where / f"{card['card_no']:04d}-{card['serial']}.png"
            save_face(received_panels(self._panels if printed else {}), image_path)
            image = str(image_path)
        entry = {"serial": card["serial"], "card_no": card["card_no"], "image": image}
        getattr(state, where).append(entry)
        state.card = None
        self._panels.clear()
