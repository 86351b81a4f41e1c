"""A simulated printer's contact station: a virtual chip served to pcscd through vpcd.

vpcd (the pcsc-lite driver of the virtual readers) listens on a TCP port per reader;
a card "inserted" is a client connected to that port. Every message is a 2-byte
big-endian length and a payload. A 1-byte payload is a control byte: 0x00 power off,
0x01 power on, 0x02 reset (no reply to these three), 0x04 get ATR (reply: the ATR).
A longer payload is a command APDU, answered with data + SW1 SW2. A closed socket is
a removed card. pcscd polls each reader about every 400 ms, sending 0x04 to check
that the card is alive; it powers a newly seen card on (0x01, then 0x04).

Each chip is one JSON file ``<chips_dir>/<serial>.json`` written after every change,
so issued virtual cards survive the process.

Faults for one insertion (``insert(serial, fault=...)``):

- ``corrupt``: the first UPDATE BINARY stores one byte flipped and answers 9000;
- ``write_error``: every UPDATE BINARY answers 6581 (memory failure);
- ``torn``: the first UPDATE BINARY stores half its data, then the card is gone;
- ``slow`` (or ``slow:SECONDS``): every APDU is answered after a delay;
- ``extended_refused``: the ATR claims extended APDUs but the chip answers them 6700
  (the encoder checks the claim with a harmless command before relying on it).

The chip reports whatever serial its blank has; whether that serial is known to the
station's stock, or already used, is for the station to decide, not the chip.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

from smartcard import scard

from printstation.config import VPCD_FIRST_PORT, vpcd_reader_name
from printstation.errors import EncoderError
from printstation.sim.chip.iso7816 import (
    DEFAULT_CAPACITY,
    SW_MEMORY_FAILURE,
    SW_OK,
    MalformedApdu,
    VirtualChip,
    parse_command,
    sw_bytes,
)

VPCD_READERS = 8
CHIP_FAULTS = ("corrupt", "write_error", "torn", "slow", "extended_refused")
DEFAULT_SLOW_DELAY_S = 0.05
REMOVAL_TIMEOUT_S = 1.5
TORN_SETTLE_S = 1.0
INS_UPDATE_BINARY = 0xD6

CTRL_POWER_OFF = 0x00
CTRL_POWER_ON = 0x01
CTRL_RESET = 0x02
CTRL_ATR = 0x04


def build_atr(extended: bool) -> bytes:
    """The chip's ATR: T=1, historical bytes with the card capabilities (ISO 7816-4 8.1.1).

    Capabilities: selection by FID (0x10), 1-byte data units (0x01), and extended
    Lc/Le (0x40) when the chip takes extended APDUs.
    """
    historical = bytes([0x80, 0x73, 0x10, 0x01, 0x40 if extended else 0x00])
    body = bytes([0x80 | len(historical), 0x01]) + historical
    tck = 0
    for byte in body:
        tck ^= byte
    return b"\x3b" + body + bytes([tck])


def parse_fault(fault: str | None) -> tuple[str | None, float]:
    """Split ``slow:0.2`` into its name and delay; check the name."""
    if fault is None:
        return None, 0.0
    name, _, arg = fault.partition(":")
    if name not in CHIP_FAULTS:
        raise ValueError(f"unknown chip fault {fault!r}: known are {', '.join(CHIP_FAULTS)}")
    delay = float(arg) if arg else DEFAULT_SLOW_DELAY_S
    return name, delay if name == "slow" else 0.0


def _reader_for_port(port: int) -> str | None:
    index = port - VPCD_FIRST_PORT
    if not 0 <= index < VPCD_READERS:
        return None
    return vpcd_reader_name(index)


def port_for_reader(reader: str) -> int | None:
    """The vpcd port serving the virtual reader named ``reader`` (None if not one)."""
    for index in range(VPCD_READERS):
        if vpcd_reader_name(index) == reader:
            return VPCD_FIRST_PORT + index
    return None


def reader_listed(reader: str) -> bool:
    """Whether pcscd runs and lists ``reader`` (no card needed)."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    try:
        hresult, names = scard.SCardListReaders(context, [])
        return hresult == scard.SCARD_S_SUCCESS and reader in names
    finally:
        scard.SCardReleaseContext(context)


def wait_reader_present(reader: str, timeout_s: float, present: bool = True) -> bool:
    """Wait until pcscd reports a card in ``reader`` (or none, with ``present=False``).

    False on timeout or without pcscd.
    """
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    try:
        state = scard.SCARD_STATE_UNAWARE
        deadline = time.monotonic() + timeout_s
        while True:
            wait_ms = max(0, int((deadline - time.monotonic()) * 1000))
            hresult, states = scard.SCardGetStatusChange(context, wait_ms, [(reader, state)])
            if hresult != scard.SCARD_S_SUCCESS:
                return False
            state = states[0][1] & ~scard.SCARD_STATE_CHANGED
            if bool(state & scard.SCARD_STATE_PRESENT) == present:
                return True
            if wait_ms == 0:
                return False
    finally:
        scard.SCardReleaseContext(context)


def _quickack(sock: socket.socket) -> None:
    """Acknowledge at once: vpcd writes length and payload apart (Nagle + delayed ACK)."""
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


class _Session:
    """One inserted card: the socket to vpcd and the thread answering it."""

    def __init__(self, sock: socket.socket, chip: VirtualChip, fault: str | None) -> None:
        self.sock = sock
        self.chip = chip
        self.fault, self.delay = parse_fault(fault)
        self.atr = build_atr(chip.extended)
        if self.fault == "extended_refused":
            chip.extended = False
        #: Set once vpcd has asked this socket for the ATR: pcscd talks to this card.
        self.seen = threading.Event()
        self.closed = threading.Event()
        self.apdus = 0
        self.torn = False
        self._fault_spent = False
        self.thread = threading.Thread(target=self._serve, name=f"vchip-{chip.serial}", daemon=True)

    def _recv_exact(self, size: int) -> bytes | None:
        buf = bytearray()
        while len(buf) < size:
            _quickack(self.sock)
            try:
                part = self.sock.recv(size - len(buf))
            except OSError:
                return None
            if not part:
                return None
            buf += part
        return bytes(buf)

    def _send(self, payload: bytes) -> bool:
        try:
            self.sock.sendall(len(payload).to_bytes(2, "big") + payload)
        except OSError:
            return False
        return True

    def _serve(self) -> None:
        try:
            while True:
                header = self._recv_exact(2)
                if header is None:
                    break
                payload = self._recv_exact(int.from_bytes(header, "big"))
                if payload is None:
                    break
                if len(payload) == 1:
                    if not self._control(payload[0]):
                        break
                    continue
                reply = self._apdu(payload)
                if reply is None or not self._send(reply):
                    break
        finally:
            self.close()

    def _control(self, ctrl: int) -> bool:
        if ctrl in (CTRL_POWER_ON, CTRL_RESET):
            self.chip.reset()
        # A power-off keeps the session state: with several pcsc-lite readers sharing one
        # vpcd library, an idle reader's thread may power off a card another reader is
        # using (docs/chip.md, "Virtual readers"); the next power-on resets it anyway.
        elif ctrl == CTRL_ATR:
            if not self._send(self.atr):
                return False
            self.seen.set()
        return True

    def _apdu(self, apdu: bytes) -> bytes | None:
        """The reply to one command, or None when the card is torn away."""
        self.apdus += 1
        if self.delay:
            time.sleep(self.delay)
        if self.fault in ("corrupt", "write_error", "torn") and apdu[1:2] == bytes(
            [INS_UPDATE_BINARY]
        ):
            try:
                cmd = parse_command(apdu)
            except MalformedApdu:
                return self.chip.process(apdu)
            if self.fault == "write_error":
                return sw_bytes(SW_MEMORY_FAILURE)
            sw = self.chip.check_update(cmd)
            if sw != SW_OK or self._fault_spent or cmd.cla != 0:
                return self.chip.process(apdu)
            self._fault_spent = True
            if self.fault == "corrupt":
                data = bytearray(cmd.data)
                data[len(data) // 2] ^= 0x01
                self.chip.write(cmd.p1p2, bytes(data))
                return sw_bytes(SW_OK)
            self.chip.write(cmd.p1p2, cmd.data[: len(cmd.data) // 2])
            self.torn = True
            return None
        return self.chip.process(apdu)

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        self.chip.flush()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


#: Per vpcd port: until when pcscd needs to settle after a torn card, and whether a
#: removal is still to be noticed. Kept per port, not per ChipStation, because a later
#: station object on the same reader (the next command, the next test) must wait too.
_READER_SETTLE: dict[int, tuple[float, bool]] = {}


class ChipStation:
    """One simulated printer's contact station, holding at most one card's chip."""

    def __init__(
        self,
        host: str,
        port: int,
        chips_dir: Path,
        faults: object | None = None,
        *,
        capacity: int = DEFAULT_CAPACITY,
        extended: bool = True,
        presence_timeout_s: float = 5.0,
        reader_name: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.chips_dir = Path(chips_dir)
        #: Accepted for the simulated printer's sake; it passes each card's fault to insert().
        self.faults = faults
        self.capacity = capacity
        self.extended = extended
        self.presence_timeout_s = presence_timeout_s
        #: The PC/SC name pcscd gives this port's reader; insert() waits until pcscd
        #: reports a card there. Worked out from the port for the station's vpcd set-up.
        self.reader_name = reader_name if reader_name is not None else _reader_for_port(port)
        self._session: _Session | None = None
        self._last: _Session | None = None

    def chip_path(self, serial: str) -> Path:
        if not serial or not serial.isalnum():
            raise ValueError(f"a chip serial is letters and digits, not {serial!r}")
        return self.chips_dir / f"{serial}.json"

    def stored_serials(self) -> list[str]:
        """Serials of the chips kept in the chips folder (written at least once)."""
        if not self.chips_dir.is_dir():
            return []
        return sorted(path.stem for path in self.chips_dir.glob("*.json"))

    def chip(self, serial: str) -> VirtualChip:
        """The stored chip of ``serial`` (blank if never written), for inspection."""
        return VirtualChip(
            serial, capacity=self.capacity, path=self.chip_path(serial), extended=self.extended
        )

    @property
    def inserted(self) -> str | None:
        """Serial of the card at the station, if any and still connected."""
        session = self._session
        if session is None or session.closed.is_set():
            return None
        return session.chip.serial

    @property
    def apdus(self) -> int:
        """APDUs the card at the station (or the last one) has answered."""
        session = self._session or self._last
        return session.apdus if session else 0

    def insert(self, serial: str, fault: str | None = None) -> None:
        """Bring the blank ``serial`` to the station; return once pcscd has powered it."""
        parse_fault(fault)
        if self._session is not None and not self._session.closed.is_set():
            raise RuntimeError(
                f"card {self._session.chip.serial} is still at the station on port {self.port}"
            )
        self.remove()
        self._await_removal()
        chip = self.chip(serial)
        where = f"virtual reader {self.host}:{self.port}"
        try:
            sock = socket.create_connection((self.host, self.port), timeout=2.0)
        except OSError as exc:
            raise EncoderError(
                f"cannot reach the virtual reader ({exc}): start pcscd with the vpcd driver",
                where=where,
            ) from exc
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session = _Session(sock, chip, fault)
        self._session = session
        session.thread.start()
        deadline = time.monotonic() + self.presence_timeout_s
        seen = session.seen.wait(self.presence_timeout_s)
        if seen and self.reader_name:
            seen = wait_reader_present(self.reader_name, deadline - time.monotonic())
        if not seen:
            self.remove()
            raise EncoderError(
                f"pcscd did not see the card {serial} within {self.presence_timeout_s:g} s",
                where=where,
            )

    def remove(self) -> None:
        """The card leaves the station.

        pcscd notices a removal only at its next poll; rather than wait for it here (while
        the printer has printing to do), the next insert() waits for it if it must.
        """
        session, self._session = self._session, None
        if session is None:
            return
        session.close()
        if session.thread.is_alive() and session.thread is not threading.current_thread():
            session.thread.join(timeout=2.0)
        self._last = session
        if session.torn:
            # After a failed transmit pcscd keeps the reader's old state for a while and
            # misses a card connected meanwhile (measured: > 5 s); a second is enough.
            _READER_SETTLE[self.port] = (time.monotonic() + TORN_SETTLE_S, False)
        else:
            _READER_SETTLE[self.port] = (0.0, True)

    def _await_removal(self) -> None:
        """Before a new card connects, pcscd must have seen the last one leave."""
        settle_until, removal_pending = _READER_SETTLE.pop(self.port, (0.0, False))
        left = settle_until - time.monotonic()
        if left > 0:
            time.sleep(left)
        if removal_pending and self.reader_name:
            wait_reader_present(self.reader_name, REMOVAL_TIMEOUT_S, present=False)

    def __enter__(self) -> ChipStation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()
