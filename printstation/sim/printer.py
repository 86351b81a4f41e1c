"""A simulated card printer speaking the same protocol as the real one.

It has real mechanics: a feeder of blanks (each known by its chip serial), a card
path (feeder -> contact station -> print head -> output hopper or reject box), counters,
a ribbon and a cover. Its state lives in ``state_dir/<name>/state.json`` and is saved
after every mechanical step, so a new process finds the card where the printer left
it; operators' actions on a simulated printer (loading blanks, closing the cover,
clearing a jam) are functions on that same file. Printed faces are composed from the
panels exactly as received and saved as PNG files under ``output/`` and ``reject/``.

When a card reaches the contact station its virtual chip is put into the chip
station (the vpcd reader), and taken out when the card moves on.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from printstation import panels as panels_module
from printstation.config import SimulatorConfig
from printstation.drivers import protocol
from printstation.errors import InputError, PrintStationError
from printstation.panels import PANEL_HEIGHT, PANEL_WIDTH, CardPanels
from printstation.sim.faults import FEED_STEP, FaultPlan

log = logging.getLogger(__name__)

MODEL = "Zenius Expert"
FIRMWARE = "1.8.3"
FEEDER_CAPACITY = 100
RIBBON_PRINTS = 250
OUTPUT_CAPACITY = 50
#: Each mechanical step's share of one card's time (SimulatorConfig.card_seconds).
STEP_SHARE = {
    FEED_STEP: 0.08,
    "Si": 0.04,
    "Sis": 0.10,
    "Sic": 0.10,
    "Sr": 0.06,
    "Db": 0.02,
    "Se": 0.56,
    "Ser": 0.08,
    "Seb": 0.08,
}
MECHANICAL = frozenset({"Ss", "Si", "Sis", "Sic", "Sr", "Se", "Ser", "Seb", "Db"})


class ChipStationLike(Protocol):
    """The contact station's reader side (printstation.sim.vchip.ChipStation)."""

    def insert(self, serial: str, fault: str | None = None) -> None: ...

    def remove(self) -> None: ...


class Nack(Exception):
    """A refused command: its NACK code and an optional detail."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


@dataclass
class PrinterState:
    feeder: list[str] = field(default_factory=list)
    #: The card in the path: serial, card_no, position, jammed.
    card: dict[str, Any] | None = None
    output: list[dict[str, Any]] = field(default_factory=list)
    reject: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    panels_printed: int = 0
    cards_inserted: int = 0
    ribbon_left: int = RIBBON_PRINTS
    ribbon_type: str = "ymcko"
    cover_open: bool = False
    error_mode: int = 0
    feeder_mode: str = "F"
    faults_fired: list[str] = field(default_factory=list)
    cards_fed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PrinterState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def _dump(state: PrinterState) -> str:
    return json.dumps(vars(state), indent=1)


class StateFile:
    """The printer's state on disk, changed under an exclusive lock."""

    def __init__(self, state_dir: Path, name: str) -> None:
        self.dir = Path(state_dir) / name
        self.path = self.dir / "state.json"
        self._lock_path = self.dir / "state.lock"

    def read(self) -> PrinterState:
        try:
            return PrinterState.from_json(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return PrinterState()

    def write(self, state: PrinterState) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(_dump(state), encoding="utf-8")
        os.replace(tmp, self.path)

    @contextmanager
    def locked(self) -> Iterator[PrinterState]:
        """The current state; written back when the block ends without an exception."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self.read()
            before = _dump(state)
            yield state
            if _dump(state) != before or not self.path.exists():
                self.write(state)


def _own_panels_to_face(panels: CardPanels) -> Image.Image:
    """Compose the printed face: subtractive Y, M, C, then K on top (O is clear)."""
    rgb = np.empty((PANEL_HEIGHT, PANEL_WIDTH, 3), dtype=np.uint8)
    for channel, ink in enumerate((panels.c, panels.m, panels.y)):
        np.subtract(255, np.asarray(ink, dtype=np.uint8), out=rgb[..., channel])
    rgb *= ~np.asarray(panels.k, dtype=bool)[..., None]
    return Image.fromarray(rgb, mode="RGB").transpose(Image.Transpose.ROTATE_90)


def panels_to_face(panels: CardPanels) -> Image.Image:
    """The face a set of panels prints; the station's own composition when it has one."""
    shared: Callable[[CardPanels], Image.Image] | None = getattr(
        panels_module, "panels_to_face", None
    )
    return shared(panels) if shared is not None else _own_panels_to_face(panels)


def _blank_panels() -> dict[str, Image.Image]:
    size = (PANEL_WIDTH, PANEL_HEIGHT)
    white = {p: Image.new("L", size, 0) for p in "ymc"}
    white.update({p: Image.new("1", size, 0) for p in "ko"})
    return white


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
    ) -> None:
        self.name = name
        self.config = config or SimulatorConfig()
        self.store = StateFile(state_dir, name)
        self.faults = faults if faults is not None else FaultPlan.parse(self.config.faults)
        self.chip_station = chip_station
        self.serial = f"SIM{name}"
        self._buffer = bytearray()
        self._replies: deque[tuple[float, bytes]] = deque()
        self._panels: dict[str, tuple[int, bytes]] = {}
        self._chip_in: str | None = None
        self._fed = False
        self._handlers: dict[str, Callable[[PrinterState, list[str]], str]] = {
            "Pem": self._pem, "Pmi": self._pmi, "Pr": self._pr, "Rtp": lambda s, a: MODEL,
            "Rfv": lambda s, a: FIRMWARE, "Rsn": lambda s, a: self.serial,
            "Rr": lambda s, a: s.ribbon_type, "Rco": self._rco, "Rlr": self._rlr,
            "Rse": self._rse, "Ss": self._ss, "Si": self._si, "Sis": self._sis,
            "Sic": self._sic, "Sr": self._sr, "Se": self._se, "Ser": self._ser,
            "Seb": self._seb, "Srs": self._srs,
        }  # fmt: skip

    # --- the USB side -------------------------------------------------------------------

    def power_on(self) -> None:
        """Reconnect the chip of a card left at the contact station by an earlier run."""
        card = self.store.read().card
        if card and card["position"] == "contact_station":
            self._chip_insert(card["serial"], card["card_no"])

    def receive(self, data: bytes) -> None:
        """Take bytes from the bulk OUT endpoint; run every whole frame among them."""
        self._buffer += data
        while self._buffer:
            start = self._buffer.find(protocol.ESC)
            if start < 0:
                self._buffer.clear()
                return
            del self._buffer[:start]
            if self._buffer[1:4] == b"Db;":
                try:
                    length = protocol.db_frame_length(bytes(self._buffer[:24]))
                except ValueError:
                    self._drop_frame("2")
                    continue
                if length is None or len(self._buffer) < length:
                    return
                frame = bytes(self._buffer[:length])
                del self._buffer[:length]
            else:
                end = self._buffer.find(protocol.CR)
                if end < 0:
                    return
                frame = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
            self._run(frame)

    def _drop_frame(self, code: str) -> None:
        end = self._buffer.find(protocol.CR)
        del self._buffer[: end + 1 if end >= 0 else len(self._buffer)]
        self._reply(f"NACK;{code}", 0.0)

    def next_reply(self, timeout_ms: int) -> bytes | None:
        """The next reply once its mechanical time has passed, or None after timeout_ms."""
        now = time.monotonic()
        limit = now + timeout_ms / 1000 if timeout_ms > 0 else float("inf")
        if not self._replies:
            if timeout_ms > 0:
                time.sleep(min(timeout_ms / 1000, 0.05))
            return None
        ready_at, reply = self._replies[0]
        if ready_at > limit:
            time.sleep(max(0.0, limit - now))
            return None
        if ready_at > now:
            time.sleep(ready_at - now)
        self._replies.popleft()
        return reply

    def push_back(self, rest: bytes) -> None:
        """Keep the part of a reply the host's read buffer had no room for."""
        self._replies.appendleft((time.monotonic(), rest))

    def _reply(self, text: str, delay: float) -> None:
        start = self._replies[-1][0] if self._replies else time.monotonic()
        ready = max(start, time.monotonic()) + delay
        self._replies.append((ready, text.encode("ascii") + b"\r"))

    def _delay(self, step: str) -> float:
        share = STEP_SHARE.get(step.split(";", 1)[0], 0.0)
        return self.config.time_scale * self.config.card_seconds * share

    # --- commands -----------------------------------------------------------------------

    def _run(self, frame: bytes) -> None:
        step = protocol.command_of(frame)
        head, *args = step.split(";")
        delay = 0.0
        self._fed = False
        with self.store.locked() as state:
            self.faults.fired = set(state.faults_fired)
            self.faults.cards = {int(k): v for k, v in state.cards_fed.items()}
            card = state.card
            if self._chip_in is not None and (
                card is None or card["position"] != "contact_station"
            ):
                self._chip_remove()  # an operator took the card out by hand
            try:
                if head == "Db":
                    self._check_ready(state, step)
                    text = self._db(frame)
                else:
                    handler = self._handlers.get(head)
                    if handler is None:
                        raise Nack("1")
                    if head in MECHANICAL:
                        self._check_ready(state, step)
                    text = handler(state, args)
                delay = self._delay(step) + (self._delay(FEED_STEP) if self._fed else 0.0)
            except Nack as nack:
                text = f"NACK;{nack.code}" + (f";{nack.detail}" if nack.detail else "")
                log.info("printer %s refused %s: %s", self.name, step, text)
            state.faults_fired = sorted(self.faults.fired)
            state.cards_fed = {str(k): v for k, v in self.faults.cards.items()}
        self._reply(text, delay)

    def _check_ready(self, state: PrinterState, step: str) -> None:
        if state.card and state.card.get("jammed"):
            raise Nack("T")
        if state.cover_open:
            raise Nack("C")
        card_no = state.card["card_no"] if state.card else state.cards_inserted + 1
        fault = self.faults.printer_fault(card_no, step)
        if fault:
            self._play_fault(state, fault)

    def _play_fault(self, state: PrinterState, fault: str) -> None:
        if fault == "jam":
            if state.card:
                state.card["jammed"] = True
            raise Nack("T")
        if fault == "cover_open":
            state.cover_open = True
            raise Nack("C")
        if fault == "ribbon_end":
            state.ribbon_left = 0
            raise Nack("R")
        if fault == "misfeed":
            raise Nack("F", "misfeed")

    def _feed(self, state: PrinterState, position: str) -> None:
        """Take a blank from the feeder unless a card is already in the path, then move it."""
        if state.card is None:
            if not state.feeder:
                raise Nack("F")
            card_no = state.cards_inserted + 1
            fault = self.faults.printer_fault(card_no, FEED_STEP)
            if fault == "misfeed" or fault == "cover_open":
                self._play_fault(state, fault)
            serial = state.feeder.pop(0)
            state.cards_inserted = card_no
            state.card = {"serial": serial, "card_no": card_no, "position": "entry"}
            self.faults.card_fed(card_no, serial)
            self._fed = True
            if fault:
                self._play_fault(state, fault)
        self._move(state, position)

    def _move(self, state: PrinterState, position: str) -> None:
        if state.card is None:
            raise Nack("F")
        if state.card["position"] == "contact_station" and position != "contact_station":
            self._chip_remove()
        state.card["position"] = position
        if position == "contact_station":
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

    def _pem(self, state: PrinterState, args: list[str]) -> str:
        if args not in (["0"], ["2"], ["4"]):
            raise Nack("2")
        state.error_mode = int(args[0])
        return "OK"

    def _pmi(self, state: PrinterState, args: list[str]) -> str:
        if args not in (["F"], ["M"]):
            raise Nack("2")
        state.feeder_mode = args[0]
        return "OK"

    def _pr(self, state: PrinterState, args: list[str]) -> str:
        if len(args) != 1 or not args[0]:
            raise Nack("2")
        state.ribbon_type = args[0]
        return "OK"

    def _rco(self, state: PrinterState, args: list[str]) -> str:
        values = {"n": state.ribbon_left, "p": state.panels_printed, "c": state.cards_inserted}
        if len(args) != 1 or args[0] not in values:
            raise Nack("2")
        return str(values[args[0]])

    def _rlr(self, state: PrinterState, args: list[str]) -> str:
        if args != ["p"]:
            raise Nack("2")
        return status_text(state)

    def _rse(self, state: PrinterState, args: list[str]) -> str:
        if args == ["o"]:
            return "OPEN" if state.cover_open else "CLOSED"
        if args == ["p"]:
            return "CARD" if state.card else "NO CARD"
        raise Nack("2")

    def _ss(self, state: PrinterState, args: list[str]) -> str:
        if state.ribbon_left <= 0:
            raise Nack("R")
        if state.card is None and not state.feeder:
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
        if state.ribbon_left <= 0:
            raise Nack("R")
        self._feed(state, "print_head")
        printed = len(self._panels)
        self._leave(state, "output", printed)
        state.ribbon_left -= 1
        state.panels_printed += printed
        return "OK"

    def _ser(self, state: PrinterState, args: list[str]) -> str:
        if state.card is None:
            raise Nack("F")
        self._leave(state, "reject", 0)
        return "OK"

    def _seb(self, state: PrinterState, args: list[str]) -> str:
        return self._ser(state, args)

    def _srs(self, state: PrinterState, args: list[str]) -> str:
        self._panels.clear()
        self._buffer.clear()
        state.error_mode = 0
        return "OK"

    def _leave(self, state: PrinterState, where: str, printed: int) -> None:
        """The card leaves the path into the output hopper or the reject box."""
        card = state.card
        if card is None:
            raise Nack("F")
        if card["position"] == "contact_station":
            self._chip_remove()
        image_path = self.store.dir / where / f"{card['card_no']:04d}-{card['serial']}.png"
        self._face(printed).save_png(image_path)
        entry = {"serial": card["serial"], "card_no": card["card_no"], "image": str(image_path)}
        getattr(state, where).append(entry)
        state.card = None
        self._panels.clear()

    def _face(self, printed: int) -> _Face:
        images = _blank_panels()
        if printed:
            for panel, (levels, data) in self._panels.items():
                images[panel] = protocol.decode_panel(panel, levels, data)
        return _Face(CardPanels(**images))


class _Face:
    def __init__(self, panels: CardPanels) -> None:
        self.panels = panels

    def save_png(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        panels_to_face(self.panels).save(path, format="PNG", compress_level=1)


def status_text(state: PrinterState) -> str:
    """The printer's answer to ``Rlr;p``."""
    if state.card and state.card.get("jammed"):
        return "ERR JAM"
    if state.cover_open:
        return "ERR COVER"
    if state.ribbon_left <= 0:
        return "ERR RIBBON"
    if state.card is None and not state.feeder:
        return "NO CARD"
    return "OK"


# --- operator actions on a simulated printer --------------------------------------------


def load_feeder(state_dir: Path, printer_name: str, serials: list[str]) -> int:
    """Put blanks (known by their chip serials) into the feeder; returns how many it holds."""
    with StateFile(state_dir, printer_name).locked() as state:
        if len(state.feeder) + len(serials) > FEEDER_CAPACITY:
            raise InputError(
                f"the feeder of printer {printer_name} holds {FEEDER_CAPACITY} blanks; it has "
                f"{len(state.feeder)}, so {len(serials)} more do not fit"
            )
        state.feeder.extend(serials)
        return len(state.feeder)


def ejected_cards(state_dir: Path, printer_name: str) -> list[dict[str, Any]]:
    """Cards in the output hopper, oldest first: serial, card_no, image (PNG path)."""
    return list(StateFile(state_dir, printer_name).read().output)


def rejected_cards(state_dir: Path, printer_name: str) -> list[dict[str, Any]]:
    """Cards in the reject box, oldest first: serial, card_no, image (PNG path)."""
    return list(StateFile(state_dir, printer_name).read().reject)


def read_state(state_dir: Path, printer_name: str) -> PrinterState:
    return StateFile(state_dir, printer_name).read()


def set_cover(state_dir: Path, printer_name: str, *, open_: bool) -> None:
    with StateFile(state_dir, printer_name).locked() as state:
        state.cover_open = open_


def clear_jam(state_dir: Path, printer_name: str) -> str | None:
    """Take the card out of the path by hand; returns its serial (None if there was none)."""
    with StateFile(state_dir, printer_name).locked() as state:
        card = state.card
        if card is None:
            return None
        state.removed.append({"serial": card["serial"], "card_no": card["card_no"]})
        state.card = None
        return str(card["serial"])


def replace_ribbon(state_dir: Path, printer_name: str, prints: int = RIBBON_PRINTS) -> None:
    with StateFile(state_dir, printer_name).locked() as state:
        state.ribbon_left = prints
