"""The card printer driver: one method per printer command, over any Transport.

The driver puts the printer in ACK/NACK error mode (``Pem;4``) when it opens it, so
every command is confirmed by a reply: ``OK`` for an action, the value for a query,
``NACK;<code>`` for a refusal, which becomes the matching station error (a jam, an
open cover, an empty feeder, a ribbon fault). A command whose reply does not come in
time raises PrinterTimeout; nothing is retried behind the caller's back, because a
card may have moved.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from printstation.config import PrinterConfig
from printstation.drivers import protocol
from printstation.drivers.transport import Transport, UsbTransport, find_device
from printstation.errors import ConfigError, PrinterNotFound, PrinterTimeout
from printstation.panels import CardPanels

log = logging.getLogger(__name__)

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


class CardPrinter:
    """A card printer reached through a transport; ``name`` is the station's name for it."""

    def __init__(
        self,
        transport: Transport,
        name: str,
        *,
        reply_timeout_ms: int = REPLY_TIMEOUT_MS,
        mechanical_timeout_ms: int = MECHANICAL_TIMEOUT_MS,
    ) -> None:
        self.transport = transport
        self.name = name
        self.reply_timeout_ms = reply_timeout_ms
        self.mechanical_timeout_ms = mechanical_timeout_ms

    # --- conversation -------------------------------------------------------------------

    def _exchange(self, frame: bytes, timeout_ms: int | None = None) -> bytes:
        """Send one frame and return its whole reply."""
        timeout_ms = timeout_ms or self.reply_timeout_ms
        self.transport.write(frame)
        deadline = time.monotonic() + timeout_ms / 1000
        reply = b""
        while not protocol.reply_complete(reply):
            left_ms = int((deadline - time.monotonic()) * 1000)
            try:
                if left_ms <= 0:
                    raise PrinterTimeout("no reply")
                reply += self.transport.read(left_ms)
            except PrinterTimeout as exc:
                raise PrinterTimeout(
                    f"printer {self.name} did not answer {protocol.command_name(frame)} within "
                    f"{timeout_ms / 1000:g} s: check that it is powered and shows no error"
                ) from exc
        log.debug("printer %s: %s -> %r", self.name, protocol.command_name(frame), reply)
        return reply

    def _query(self, frame: bytes) -> str:
        reply = self._exchange(frame)
        return protocol.parse_reply(reply, command=protocol.command_of(frame), printer=self.name)

    def _number(self, frame: bytes) -> int:
        reply = self._exchange(frame)
        return protocol.parse_number(reply, command=protocol.command_of(frame), printer=self.name)

    def _act(self, frame: bytes, *, mechanical: bool = False) -> None:
        timeout = self.mechanical_timeout_ms if mechanical else self.reply_timeout_ms
        reply = self._exchange(frame, timeout)
        protocol.parse_ack(reply, command=protocol.command_of(frame), printer=self.name)

    # --- lifecycle ----------------------------------------------------------------------

    def open(self) -> None:
        """Open the connection and switch the printer to ACK/NACK replies."""
        self.transport.open()
        self.set_error_mode(ACK_NACK_MODE)

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

    def status(self) -> str:
        """The printer's last status (``Rlr;p``): ``OK``, ``NO CARD``, ``ERR JAM``..."""
        return self._query(protocol.read_status())

    def counters(self) -> PrinterCounters:
        return PrinterCounters(
            panels_printed=self._number(protocol.read_counter("p")),
            cards_inserted=self._number(protocol.read_counter("c")),
        )

    def ribbon_left(self) -> int:
        """Prints left on the ribbon."""
        return self._number(protocol.read_counter("n"))

    def ribbon_type(self) -> str:
        return self._query(protocol.read_ribbon_type())

    def cover_open(self) -> bool:
        return self._query(protocol.read_sensor("o")) == "OPEN"

    def card_present(self) -> bool:
        return self._query(protocol.read_sensor("p")) == "CARD"

    # --- settings -----------------------------------------------------------------------

    def set_error_mode(self, mode: int) -> None:
        self._act(protocol.set_error_mode(mode))

    def set_feeder_mode(self, *, manual: bool = False) -> None:
        self._act(protocol.set_feeder_mode(manual))

    # --- card moves and printing --------------------------------------------------------

    def start(self) -> None:
        """Begin a card sequence (``Ss``); refused if the feeder is empty."""
        self._act(protocol.start_sequence(), mechanical=True)

    def insert_card(self) -> None:
        self._act(protocol.insert_card(), mechanical=True)

    def card_to_contact_station(self) -> None:
        """Feed a blank and hold it at the chip encoder (``Sis``)."""
        self._act(protocol.to_contact_station(), mechanical=True)

    def card_to_contactless_station(self) -> None:
        self._act(protocol.to_contactless_station(), mechanical=True)

    def back_to_front(self) -> None:
        """Bring the card from the encoder to the print head (``Sr``)."""
        self._act(protocol.to_print_head(), mechanical=True)

    def download_panels(self, panels: CardPanels, levels: int = 64) -> None:
        """Send the five panels (``Db`` y, m, c, k, o); Y, M, C at ``levels`` levels."""
        for frame in protocol.encode_panels(panels, levels):
            self._act(frame, mechanical=True)

    def download_frames(self, frames: list[bytes]) -> None:
        """Send panel frames already encoded (rendering ahead keeps the printer busy)."""
        for frame in frames:
            self._act(frame, mechanical=True)

    def eject(self) -> None:
        """Print what was downloaded and eject the card to the output hopper (``Se``)."""
        self._act(protocol.print_and_eject(), mechanical=True)

    def reject(self) -> None:
        """Send the card to the reject box (``Ser``): a spoiled blank."""
        self._act(protocol.reject_under_output(), mechanical=True)

    def reject_under_feeder(self) -> None:
        self._act(protocol.reject_under_feeder(), mechanical=True)

    def reset(self) -> None:
        """Soft reset (``Srs``); sets ACK/NACK mode again, which a reset clears."""
        self._act(protocol.soft_reset(), mechanical=True)
        self.set_error_mode(ACK_NACK_MODE)


def _simulated_transport(cfg: PrinterConfig, state_dir: Path) -> UsbTransport:
    import usb.core

    from printstation.sim.usb_backend import VENDOR_ID, simulated_backend

    sim_name = cfg.uri.split(":", 1)[1] or cfg.name
    backend = simulated_backend(sim_name, state_dir, cfg.simulator)
    device = usb.core.find(idVendor=VENDOR_ID, backend=backend)
    if device is None:
        raise PrinterNotFound(f"printer not found: {cfg.uri} — check the simulator set-up")
    return UsbTransport(device, name=cfg.name)


def open_printer(cfg: PrinterConfig, *, state_dir: Path) -> CardPrinter:
    """Find, open and prepare the printer a configuration names (USB or simulated)."""
    if cfg.simulated:
        transport = _simulated_transport(cfg, state_dir)
    elif cfg.uri.startswith("usb:"):
        transport = UsbTransport(find_device(cfg.uri), name=cfg.name)
    else:
        raise ConfigError(
            f"printer {cfg.name}: unknown address {cfg.uri!r}; use usb:VVVV:PPPP or simulated:NAME"
        )
    printer = CardPrinter(transport, cfg.name)
    try:
        printer.open()
    except Exception:
        transport.close()
        raise
    return printer
