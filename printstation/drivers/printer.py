"""The card printer driver: one method per printer command, over any Transport.

The driver speaks the dialect of the printer's family (printstation.drivers.profiles):
when it opens the printer it sets the family's error mode (``Pem;2`` on real printers,
the host manages errors; ``Pem;4``, ACK/NACK, on the simulator's own dialect). Every
command is answered: ``OK`` for an action, the value for a query, and a refusal (a
family's fault text such as ``CARD JAM``, or ``NACK;<code>``) becomes the matching
station error (a jam, an open cover, an empty feeder, a ribbon fault). A query the
family has no known command for is not asked: its reading is None. A command whose
reply does not come in time raises PrinterTimeout; nothing is retried behind the
caller's back, because a card may have moved.

Strict request/response by default (a printer processes one command at a time): ``send``
puts the first frame on the wire and returns, so the station does its own work (storing
a job's state, preparing the next card) while the printer carries it out; each next
frame goes out once the reply before it is read, and none after a refusal. Only a
family that allows pipelining gets the frames together.

Error messages speak of what the printer was doing in an operator's words ("card jammed
on printer P1 during the download of the cyan panel"); the command as written on the
wire (``Db;c``) is kept in the error's ``detail["command"]``.

``read_status`` gathers what an operator needs at a glance (identity, state, feeder,
ribbon, counters, warnings); the printer's profile (printstation.drivers.profiles)
turns raw readings into warnings such as "ribbon low".
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from printstation.config import PrinterConfig
from printstation.drivers import protocol
from printstation.drivers.backends import backend_for
from printstation.drivers.profiles import (
    COUNTER_QUERY,
    DEFAULT_FAMILY,
    SENSOR_QUERY,
    SIMULATOR_FAMILY,
    PrinterFamily,
    PrinterProfile,
    get_family,
    get_profile,
    profile_for_model,
)
from printstation.drivers.transport import Transport
from printstation.errors import (
    PrinterDisconnected,
    PrinterError,
    PrinterNotFound,
    PrinterProtocolError,
    PrinterTimeout,
)
from printstation.layout.panels import CardPanels

log = logging.getLogger(__name__)

#: What each command asks of the printer, as an operator would say it ("... during {it}").
DOING: dict[str, str] = {
    "Pem": "the setting of its error mode",
    "Pmi": "the setting of its feeder mode",
    "Pr": "the setting of its ribbon type",
    "Rtp": "the reading of its model",
    "Rfv": "the reading of its firmware version",
    "Rsn": "the reading of its serial number",
    "Rr": "the reading of its ribbon type",
    "Rlr": "the reading of its status",
    "Ss": "the start of a card",
    "Si": "the feed of a blank",
    "Sis": "the feed of a blank to the chip encoder",
    "Sic": "the feed of a blank to the contactless encoder",
    "Sr": "the selection of the card's front for printing",
    "Se": "the printing of the card",
    "Ser": "the move of the card to the reject box",
    "Seb": "the move of the card to the reject slot under the feeder",
    "Srs": "a reset",
}
PANEL_NAMES = {"y": "yellow", "m": "magenta", "c": "cyan", "k": "black", "o": "overlay"}


def doing(frame: bytes) -> str:
    """What ``frame`` asks of the printer in an operator's words, without the command's
    mnemonic: ``the download of the cyan panel`` for ``Db;c``."""
    head, _, param = protocol.command_of(frame).partition(";")
    param = param.split(";", 1)[0]
    if head == "Db":
        return f"the download of the {PANEL_NAMES.get(param, 'next')} panel"
    if head == "Rco":
        return f"the reading of its counter of {protocol.COUNTERS.get(param, 'cards')}"
    if head == "Rse":
        return f"the reading of its {protocol.SENSORS.get(param, 'sensors')} sensor"
    return DOING.get(head, "a command")


def _with_command(exc: PrinterError, frame: bytes) -> PrinterError:
    """``exc`` with the command it answers, as written on the wire, in its detail."""
    exc.detail.setdefault("command", protocol.command_of(frame))
    return exc


#: Queries and settings answer at once; card moves and printing take mechanical time.
REPLY_TIMEOUT_MS = 5_000
MECHANICAL_TIMEOUT_MS = 60_000
ACK_NACK_MODE = 4


@dataclass(frozen=True)
class PrinterInfo:
    model: str
    firmware: str
    serial: str


@dataclass(frozen=True)
class PrinterCounters:
    panels_printed: int
    cards_inserted: int


@dataclass(frozen=True)
class PrinterWarning:
    """Something an operator should see to before it stops the printer."""

    code: str
    message: str


#: Warning codes: what each means for the operator ({p}: printer, {n}: a number).
WARNINGS = {
    "feeder_empty": "feeder empty on printer {p}: load blanks",
    "feeder_low": "feeder low on printer {p}: {n} blanks left",
    "ribbon_ended": "ribbon ended on printer {p}: replace the ribbon",
    "ribbon_low": "ribbon low on printer {p}: {n} prints left",
    "output_full": "output hopper full on printer {p}: take the printed cards out",
    "reject_full": "reject box full on printer {p}: empty it and record the rejected cards",
    "cover_open": "cover open on printer {p}: close it",
    "cleaning_due": "printer {p} is due for cleaning: run a cleaning card",
}


@dataclass
class PrinterStatus:
    """One printer at a glance; ``as_json`` gives the keys ``printer status --json`` shows."""

    name: str
    model: str
    firmware: str
    serial: str
    #: ready, card_in_path, jammed, cover_open, ribbon_error, feeder_empty, misfeed,
    #: output_full, reject_full (or disconnected / not_found when it cannot be asked)
    state: str
    #: feeder state (ok, low, empty) and blanks in it (None if the printer cannot count)
    feeder: dict[str, Any] = field(default_factory=dict)
    ribbon_type: str = ""
    ribbon_left: int | None = None
    counters: dict[str, int | None] = field(default_factory=dict)
    warnings: list[PrinterWarning] = field(default_factory=list)
    profile: str = ""
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_STATE_OF_STATUS = {
    "OK": "ready",
    "NO CARD": "feeder_empty",
    "ERR JAM": "jammed",
    "ERR DOUBLE FEED": "jammed",
    "ERR COVER": "cover_open",
    "ERR RIBBON": "ribbon_error",
    "ERR FEEDER": "feeder_empty",
    "ERR MISFEED": "misfeed",
    "ERR HOPPER FULL": "output_full",
    "ERR REJECT FULL": "reject_full",
}


#: A fault kind (a family's replies) -> the state ``read_status`` names.
_STATE_OF_KIND = {
    "jam": "jammed",
    "double_feed": "jammed",
    "cover_open": "cover_open",
    "ribbon": "ribbon_error",
    "feeder_empty": "feeder_empty",
    "misfeed": "misfeed",
    "output_full": "output_full",
    "reject_full": "reject_full",
    "cleaning": "cleaning_due",
}


class PendingReplies:
    """The replies owed for frames sent together (``CardPrinter.send``)."""

    def __init__(self, printer: CardPrinter, count: int) -> None:
        self.printer = printer
        self.count = count

    def wait(self) -> None:
        """Read every reply, then raise the first refusal among them.

        Replies after a refusal are read too, so none is later taken for the answer to
        another command. A reply that never comes raises PrinterTimeout at once. Wait
        for pipelines in the order they were sent.
        """
        count, self.count = self.count, 0
        refused = self.printer._read_owed(count)
        if refused is not None:
            raise refused


class CardPrinter:
    """A card printer reached through a transport; ``name`` is the station's name for it."""

    def __init__(
        self,
        transport: Transport,
        name: str,
        *,
        reply_timeout_ms: int = REPLY_TIMEOUT_MS,
        mechanical_timeout_ms: int = MECHANICAL_TIMEOUT_MS,
        profile: PrinterProfile | None = None,
        family: PrinterFamily | None = None,
    ) -> None:
        self.transport = transport
        self.name = name
        self.profile = profile
        #: How the printer speaks: error mode, fault replies, queries, pipelining.
        self.family = family or get_family()
        self.reply_timeout_ms = reply_timeout_ms
        self.mechanical_timeout_ms = mechanical_timeout_ms
        #: Bytes read past the reply waited for: pipelined replies may share one read.
        self._received = bytearray()
        #: Frames given to ``send`` whose replies are still to be read, with their
        #: timeouts and whether they are on the wire yet (strict request/response writes
        #: the next frame only once the reply before it is read).
        self._owed: deque[tuple[bytes, int, bool]] = deque()

    # --- conversation -------------------------------------------------------------------

    def _exchange(self, frame: bytes, timeout_ms: int | None = None) -> bytes:
        """Send one frame and return its whole reply."""
        if self._owed:  # a pipeline whose sender stopped before reading its replies
            refused = self._read_owed(len(self._owed), abandoned=True)
            if refused is not None:
                log.warning("printer %s: unread refusal before %r: %s", self.name, frame, refused)
        self._write(frame)
        return self._reply(frame, timeout_ms or self.reply_timeout_ms)

    def ask(self, frame: bytes, *, timeout_ms: int | None = None) -> bytes:
        """One frame and its reply as received (``printer probe``): no parsing."""
        return self._exchange(frame, timeout_ms)

    def _write(self, frame: bytes) -> None:
        try:
            self.transport.write(frame)
        except PrinterError as exc:
            _with_command(exc, frame)
            raise

    def _reply(self, frame: bytes, timeout_ms: int) -> bytes:
        """The next whole reply (the one owed to ``frame``); what follows it is kept."""
        deadline = time.monotonic() + timeout_ms / 1000
        short = False
        while (found := self._split(short)) is None:
            left_ms = int((deadline - time.monotonic()) * 1000)
            try:
                if left_ms <= 0:
                    raise PrinterTimeout("no reply")
                chunk = self.transport.read(left_ms)
                self._received += chunk
                short = 0 < len(chunk) < getattr(self.transport, "read_size", 0)
            except PrinterTimeout as exc:
                raise PrinterTimeout(
                    f"printer {self.name} did not answer within {timeout_ms / 1000:g} s "
                    f"during {doing(frame)}: check that it is powered and shows no error",
                    detail={"command": protocol.command_of(frame)},
                ) from exc
            except PrinterError as exc:
                _with_command(exc, frame)
                raise
        reply, used = found
        del self._received[:used]
        log.debug("printer %s: %s -> %r", self.name, protocol.command_name(frame), reply)
        return reply

    def _split(self, short: bool) -> tuple[bytes, int] | None:
        """The next whole reply in what was read: ended by CR or NUL, or, when the last
        bulk-IN transfer was short and no other reply can follow it (strict
        request/response), by the end of that transfer."""
        if short and not self.family.pipelining:
            return protocol.split_transfer(self._received)
        return protocol.split_reply(self._received)

    def send(self, frames: list[bytes], *, mechanical: bool = True) -> PendingReplies:
        """Start ``frames``; ``wait()`` on the result reads their replies.

        Strict request/response (the default; a family may allow pipelining): only the
        first frame goes out now, so the station works while the printer carries it out;
        each next frame goes out once the reply before it is read, and none after a
        refusal. With pipelining every frame goes out at once.
        """
        timeout = self.mechanical_timeout_ms if mechanical else self.reply_timeout_ms
        for frame in frames:
            sent = self.family.pipelining or not self._owed
            if sent:
                self._write(frame)
            self._owed.append((frame, timeout, sent))
        return PendingReplies(self, len(frames))

    def _read_owed(self, count: int, *, abandoned: bool = False) -> PrinterError | None:
        """Read up to ``count`` owed replies in order, writing the frames not yet sent
        (none after a refusal, none of an abandoned pipeline); the first refusal."""
        refused: PrinterError | None = None
        for _ in range(min(count, len(self._owed))):
            frame, timeout, sent = self._owed.popleft()
            if not sent:
                if refused is not None or abandoned:
                    continue
                self._write(frame)
            reply = self._reply(frame, timeout)
            try:
                self._ack(reply, frame)
            except PrinterError as exc:
                refused = refused or _with_command(exc, frame)
        return refused

    def _ack(self, reply: bytes, frame: bytes) -> None:
        protocol.parse_ack(
            reply, command=doing(frame), printer=self.name, replies=self.family.replies
        )

    def _query(self, frame: bytes) -> str:
        reply = self._exchange(frame)
        if frame == self._frame_for("status"):
            text = protocol.clean_reply(reply)
            if text in protocol.STATUS_FAULTS or text in self.family.replies:
                return text  # the status asked for (``ERR JAM``), not a refusal
        try:
            return protocol.parse_reply(
                reply, command=doing(frame), printer=self.name, replies=self.family.replies
            )
        except PrinterError as exc:
            _with_command(exc, frame)
            raise

    def _number(self, frame: bytes) -> int:
        reply = self._exchange(frame)
        try:
            return protocol.parse_number(
                reply, command=doing(frame), printer=self.name, replies=self.family.replies
            )
        except PrinterError as exc:
            _with_command(exc, frame)
            raise

    def _act(self, frame: bytes, *, mechanical: bool = False) -> None:
        timeout = self.mechanical_timeout_ms if mechanical else self.reply_timeout_ms
        reply = self._exchange(frame, timeout)
        try:
            self._ack(reply, frame)
        except PrinterError as exc:
            _with_command(exc, frame)
            raise

    # --- lifecycle ----------------------------------------------------------------------

    def open(self) -> None:
        """Open the connection and set the family's error mode (``Pem;2`` on real
        printers: the host manages errors)."""
        self.transport.open()
        self.set_error_mode(self.family.error_mode)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> CardPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- queries ------------------------------------------------------------------------

    def identify(self) -> PrinterInfo:
        return PrinterInfo(
            model=self._query(protocol.read_model()),
            firmware=self._query(protocol.read_firmware()),
            serial=self._query(protocol.read_serial()),
        )

    def _frame_for(self, purpose: str) -> bytes | None:
        """The frame of one of the family's queries; None when none is known for it."""
        command = self.family.query(purpose)
        if not command:
            return None
        head, *params = command.split(";")
        return protocol.frame(head, *params)

    def status(self) -> str:
        """The printer's last status (``Rlr;p``): ``OK``, ``NO CARD``, ``ERR JAM``...
        (on real printers, where the card is: ``OK``, ``CARD``, ``SMART CARD``...)."""
        return self._query(self._frame_for("status") or protocol.read_status())

    def counters(self) -> PrinterCounters:
        return PrinterCounters(
            panels_printed=self.counter("p") or 0,
            cards_inserted=self.counter("c") or 0,
        )

    def ribbon_left(self) -> int | None:
        """Prints left on the ribbon; None where the family's query for it is unknown."""
        frame = self._frame_for("ribbon_left")
        return None if frame is None else self._number(frame)

    def ribbon_type(self) -> str:
        return self._query(self._frame_for("ribbon_type") or protocol.read_ribbon_type())

    def cover_open(self) -> bool:
        return self.sensor("o") == "OPEN"

    def card_present(self) -> bool:
        if self.family.status_means == "position":
            return self.status() != "OK"
        return self.sensor("p") == "CARD"

    def sensor(self, which: str) -> str | None:
        """A sensor's reading (``Rse``); None if this printer has no such sensor, or its
        family no known query for it."""
        frame = self._frame_for(SENSOR_QUERY[which])
        if frame is None:
            return None
        try:
            return self._query(frame)
        except PrinterProtocolError:
            return None

    def counter(self, which: str) -> int | None:
        """A counter (``Rco``); None if this printer does not keep it, or its family has
        no known query for it."""
        frame = self._frame_for(COUNTER_QUERY[which])
        if frame is None:
            return None
        try:
            return self._number(frame)
        except PrinterProtocolError:
            return None

    def _profile(self, model: str) -> PrinterProfile:
        if self.profile is None:
            self.profile = profile_for_model(model) or get_profile()
        return self.profile

    def warnings(self, *, ribbon_left: int | None = None) -> list[PrinterWarning]:
        """What needs an operator soon: feeder, ribbon, hopper, reject box, cover, cleaning."""
        profile = self.profile or get_profile()
        if ribbon_left is None:
            ribbon_left = self.counter("n")
        feeder = self.sensor("f")
        found: list[tuple[str, int | None]] = []
        if feeder == "EMPTY":
            found.append(("feeder_empty", None))
        elif feeder == "LOW":
            found.append(("feeder_low", self.counter("f")))
        if ribbon_left is not None and ribbon_left <= 0:
            found.append(("ribbon_ended", None))
        elif ribbon_left is not None and ribbon_left <= profile.ribbon_low:
            found.append(("ribbon_low", ribbon_left))
        if self.sensor("h") == "FULL":
            found.append(("output_full", None))
        if self.sensor("b") == "FULL":
            found.append(("reject_full", None))
        if self.sensor("o") == "OPEN":
            found.append(("cover_open", None))
        if self.sensor("k") == "DUE":
            found.append(("cleaning_due", None))
        return [
            PrinterWarning(code, WARNINGS[code].format(p=self.name, n="?" if n is None else n))
            for code, n in found
        ]

    def state(self) -> str:
        """The printer's state as ``read_status`` names it (``ready``, ``jammed``...).

        Where the status is the card's position (real printers), ``OK`` is ready and
        any other position a card in the path: faults show in command replies only."""
        status = self.status()
        if self.family.status_means == "position":
            if status in self.family.replies:
                return _STATE_OF_KIND.get(self.family.replies[status], "error")
            return "ready" if status == "OK" else "card_in_path"
        state = _STATE_OF_STATUS.get(status, status.lower().replace(" ", "_"))
        if state == "ready" and self.card_present():
            state = "card_in_path"
        return state

    def glance(self) -> dict[str, Any]:
        """What changes card by card, in a few queries (``read_status`` asks some twenty):
        the state, the feeder (state and blanks), ribbon prints left, and the output
        hopper's and reject box's counts. For a worker between cards."""
        state = self.state()
        feeder = self.sensor("f")
        return {
            "state": state,
            "feeder": {"state": (feeder or "unknown").lower(), "cards": self.counter("f")},
            "ribbon_left": self.counter("n"),
            "counters": {"output_hopper": self.counter("h"), "reject_box": self.counter("b")},
        }

    def read_status(self) -> PrinterStatus:
        """Identity, state, feeder, ribbon, counters and warnings in one look."""
        info = self.identify()
        profile = self._profile(info.model)
        state = self.state()
        ribbon_left = self.counter("n")
        feeder = self.sensor("f")
        counters = {
            "panels_printed": self.counter("p"),
            "cards_inserted": self.counter("c"),
            "output_hopper": self.counter("h"),
            "reject_box": self.counter("b"),
            "since_cleaning": self.counter("k"),
        }
        return PrinterStatus(
            name=self.name,
            model=info.model,
            firmware=info.firmware,
            serial=info.serial,
            state=state,
            feeder={"state": (feeder or "unknown").lower(), "cards": self.counter("f")},
            ribbon_type=self.ribbon_type(),
            ribbon_left=ribbon_left,
            counters=counters,
            warnings=self.warnings(ribbon_left=ribbon_left),
            profile=profile.name,
        )

    # --- settings -----------------------------------------------------------------------

    def set_error_mode(self, mode: int) -> None:
        self._act(protocol.set_error_mode(mode))

    def set_feeder_mode(self, *, manual: bool = False) -> None:
        self._act(protocol.set_feeder_mode(manual))

    def set_ribbon_type(self, ribbon: str) -> None:
        self._act(protocol.set_ribbon_type(ribbon))

    # --- card moves and printing --------------------------------------------------------

    def start(self) -> None:
        """Begin a card sequence (``Ss``); refused if the feeder is empty."""
        self._act(protocol.start_sequence(), mechanical=True)

    def insert_card(self) -> None:
        self._act(protocol.insert_card(), mechanical=True)

    def card_to_contact_station(self) -> None:
        """Feed a blank and hold it at the chip encoder (``Sis``)."""
        self._act(protocol.to_contact_station(), mechanical=True)

    def start_feed_to_contact_station(self) -> PendingReplies:
        """``Sis`` with its reply read later: the station works while the blank moves."""
        return self.send([protocol.to_contact_station()])

    def card_to_contactless_station(self) -> None:
        self._act(protocol.to_contactless_station(), mechanical=True)

    def back_to_front(self) -> None:
        """``Sr``, "sequence recto" (A5013 guide): select the front for the panel
        downloads that follow; the printer takes the card from the encoder to the head."""
        self._act(protocol.to_print_head(), mechanical=True)

    def download_panels(self, panels: CardPanels, levels: int = 64) -> None:
        """Send the five panels (``Db`` y, m, c, k, o); Y, M, C at ``levels`` levels."""
        for frame in protocol.encode_panels(panels, levels):
            self._act(frame, mechanical=True)

    def download_frames(self, frames: list[bytes]) -> None:
        """Send panel frames already encoded (rendering ahead keeps the printer busy)."""
        for frame in frames:
            self._act(frame, mechanical=True)

    def print_head_and_panels(self, frames: list[bytes]) -> PendingReplies:
        """``Sr`` (select the front) and the panel downloads; with strict request/response
        the station works while the printer answers ``Sr``, then each panel goes out
        once the reply before it is read."""
        return self.send([protocol.to_print_head(), *frames])

    def start_eject(self) -> PendingReplies:
        """``Se`` with its reply read later: the station works while the card prints."""
        return self.send([protocol.print_and_eject()])

    def eject(self) -> None:
        """Print what was downloaded and eject the card to the output hopper (``Se``)."""
        self._act(protocol.print_and_eject(), mechanical=True)

    def reject(self) -> None:
        """Send the card to the reject box (``Ser``): a spoiled blank."""
        self._act(protocol.reject_under_output(), mechanical=True)

    def reject_under_feeder(self) -> None:
        self._act(protocol.reject_under_feeder(), mechanical=True)

    def reset(self) -> None:
        """Soft reset (``Srs``); sets the error mode again, which a reset clears."""
        self._act(protocol.soft_reset(), mechanical=True)
        self.set_error_mode(self.family.error_mode)


def open_printer(cfg: PrinterConfig, *, state_dir: Path, chip_station: Any = None) -> CardPrinter:
    """Find, open and prepare the printer a configuration names (USB or simulated).

    ``chip_station`` replaces a simulated printer's vpcd chip station (an object with
    ``insert(serial, fault)`` and ``remove()``), e.g. to read its status without pcscd.
    """
    transport, profile = backend_for(cfg).connect(
        cfg, state_dir=state_dir, chip_station=chip_station
    )
    family = get_family(cfg.profile or default_family(cfg), printer=cfg.name)
    printer = CardPrinter(transport, cfg.name, profile=profile, family=family)
    try:
        printer.open()
    except Exception:
        transport.close()
        raise
    return printer


def default_family(cfg: PrinterConfig) -> str:
    """The family a printer entry that names none speaks: A5013 (the simulator's own
    for a simulated printer)."""
    return SIMULATOR_FAMILY if cfg.simulated else DEFAULT_FAMILY


class NoChip:
    """A chip station that holds nothing: for looking at a simulated printer only."""

    def insert(self, serial: str, fault: str | None = None) -> None:
        return None

    def remove(self) -> None:
        return None


def printer_status(cfg: PrinterConfig, *, state_dir: Path) -> PrinterStatus:
    """A configured printer's status; a printer that cannot be reached says why."""
    try:
        printer = open_printer(cfg, state_dir=state_dir, chip_station=NoChip())
    except PrinterError as exc:
        return _unreachable(cfg, exc)
    try:
        return printer.read_status()
    except PrinterError as exc:
        return _unreachable(cfg, exc)
    finally:
        printer.close()


def _unreachable(cfg: PrinterConfig, exc: PrinterError) -> PrinterStatus:
    if isinstance(exc, PrinterNotFound):
        state = "not_found"
    elif isinstance(exc, PrinterDisconnected):
        state = "disconnected"
    elif isinstance(exc, PrinterTimeout):
        state = "not_answering"
    else:
        state = exc.code
    return PrinterStatus(
        name=cfg.name, model="", firmware="", serial="", state=state, error=exc.message
    )
