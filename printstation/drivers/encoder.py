"""The chip encoder: a PC/SC reader reached through pyscard and pcscd.

This is the one place where smartcard exceptions and PC/SC result codes become the
station's errors (ReaderNotFound, NoCardInReader, EncoderError); messages name the
reader and, when known, the printer it belongs to.
"""

from __future__ import annotations

import contextlib
import time
from types import TracebackType

from smartcard import scard
from smartcard.CardConnection import CardConnection
from smartcard.Exceptions import (
    CardConnectionException,
    NoCardException,
    NoReadersException,
    SmartcardException,
)
from smartcard.System import readers as list_readers

from printstation.errors import EncoderError, NoCardInReader, ReaderNotFound

SHORT_MAX_DATA = 255
SHORT_MAX_RESPONSE = 256
EXTENDED_MAX_DATA = 65535
EXTENDED_MAX_RESPONSE = 65536
#: A GET RESPONSE chain longer than this is a misbehaving chip, not data.
MAX_RESPONSE_CHAIN = 512
#: SELECT MF (no answer data) as an extended APDU: harmless, and it proves that the
#: reader and the chip both take an extended Lc before the encoder relies on it.
EXTENDED_PROBE = bytes.fromhex("00A4000C0000023F00")
SW_OK = 0x9000


def atr_historical_bytes(atr: bytes) -> bytes:
    """The historical bytes of an ATR (ISO 7816-3 8.2), or b"" if it cannot be parsed."""
    if len(atr) < 2:
        return b""
    count = atr[1] & 0x0F
    pos, indicator = 2, atr[1] >> 4
    while True:
        pos += bin(indicator & 0x07).count("1")  # TA, TB, TC
        if not indicator & 0x08:
            break
        if pos >= len(atr):
            return b""
        indicator = atr[pos] >> 4
        pos += 1
    return atr[pos : pos + count]


def atr_declares_extended(atr: bytes) -> bool:
    """Whether the ATR's card capabilities (compact-TLV tag 7x, 3rd byte bit 0x40) say so."""
    hist = atr_historical_bytes(atr)
    if not hist or hist[0] != 0x80:
        return False
    pos = 1
    while pos < len(hist):
        tag, length = hist[pos] >> 4, hist[pos] & 0x0F
        value = hist[pos + 1 : pos + 1 + length]
        if tag == 0x7 and len(value) >= 3:
            return bool(value[2] & 0x40)
        pos += 1 + length
    return False


def with_le(apdu: bytes, le: int) -> bytes:
    """The same short command with Le replaced (for a 6Cxx answer)."""
    if len(apdu) == 4:
        return apdu + bytes([le])
    if len(apdu) == 5:
        return apdu[:4] + bytes([le])
    lc = apdu[4]
    if lc and len(apdu) == 5 + lc:
        return apdu + bytes([le])
    if lc and len(apdu) == 6 + lc:
        return apdu[:-1] + bytes([le])
    raise EncoderError("the chip asked for a new Le on an extended command")


class PcscEncoder:
    """One PC/SC reader and the chip in it. Use as a context manager or connect().

    The PC/SC context and the reader's connection object are kept from card to card
    (``close`` releases them), so each card costs pcscd only its connect and APDUs; a
    chip's support for extended APDUs is probed until one chip of its kind (its ATR)
    has taken one.
    """

    def __init__(self, reader_name: str, *, printer: str | None = None) -> None:
        self.reader_name = reader_name
        self.printer = printer
        self.apdu_count = 0
        self.atr = b""
        self.extended = False
        self._connection: CardConnection | None = None
        self._reader_connection: CardConnection | None = None
        self._context: int | None = None
        #: ATRs whose chips took an extended APDU through this reader.
        self._extended_atrs: set[bytes] = set()

    @property
    def where(self) -> str:
        suffix = f" of printer {self.printer}" if self.printer else ""
        return f"reader {self.reader_name!r}{suffix}"

    @property
    def max_command_data(self) -> int:
        """Largest command data field the chip and reader take (Lc)."""
        return EXTENDED_MAX_DATA if self.extended else SHORT_MAX_DATA

    @property
    def max_response_data(self) -> int:
        """Largest response data one command can ask for (Ne)."""
        return EXTENDED_MAX_RESPONSE if self.extended else SHORT_MAX_RESPONSE

    @property
    def connected(self) -> bool:
        return self._connection is not None

    # --- errors -----------------------------------------------------------------------

    def _no_card(self, detail: str) -> NoCardInReader:
        return NoCardInReader(f"no chip in {self.where}: {detail}", where=self.reader_name)

    def _not_found(self, detail: str) -> ReaderNotFound:
        return ReaderNotFound(
            f"{self.where} not found: {detail}; check the printer's USB cable and that "
            "pcscd is running",
            where=self.reader_name,
        )

    def _convert(self, exc: Exception, doing: str) -> EncoderError:
        detail = f"{doing}: {exc}"
        if isinstance(exc, NoCardException):
            return self._no_card(detail)
        if isinstance(exc, NoReadersException):
            return self._not_found(detail)
        text = str(exc).lower()
        if "unknown reader" in text or "reader is unavailable" in text:
            return self._not_found(detail)
        if "removed" in text or "no smart card" in text:
            return self._no_card(detail)
        return EncoderError(f"chip encoder {self.where} failed {detail}", where=self.reader_name)

    # --- presence ---------------------------------------------------------------------

    def _pcsc_context(self) -> int:
        if self._context is None:
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult != scard.SCARD_S_SUCCESS:
                raise self._not_found(
                    f"pcscd not reachable ({scard.SCardGetErrorMessage(hresult)})"
                )
            self._context = context
        return self._context

    def _drop_context(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            scard.SCardReleaseContext(context)

    def wait_for_card(self, timeout_s: float) -> None:
        """Return once pcscd reports a card in the reader; NoCardInReader on timeout."""
        context = self._pcsc_context()
        try:
            state = scard.SCARD_STATE_UNAWARE
            deadline = time.monotonic() + timeout_s
            while True:
                wait_ms = max(0, int((deadline - time.monotonic()) * 1000))
                hresult, states = scard.SCardGetStatusChange(
                    context, wait_ms, [(self.reader_name, state)]
                )
                if hresult == scard.SCARD_E_TIMEOUT:
                    break
                if hresult in (scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE):
                    raise self._not_found(scard.SCardGetErrorMessage(hresult))
                if hresult != scard.SCARD_S_SUCCESS:
                    raise EncoderError(
                        f"cannot watch {self.where}: {scard.SCardGetErrorMessage(hresult)}",
                        where=self.reader_name,
                    )
                state = states[0][1] & ~scard.SCARD_STATE_CHANGED
                if state & scard.SCARD_STATE_UNKNOWN:
                    raise self._not_found("pcscd does not know it")
                if state & scard.SCARD_STATE_PRESENT and not state & scard.SCARD_STATE_MUTE:
                    return
                if wait_ms == 0:
                    break
        except EncoderError:
            self._drop_context()  # pcscd may have restarted: the next wait asks afresh
            raise
        raise self._no_card(f"no card arrived within {timeout_s:g} s")

    # --- connection -------------------------------------------------------------------

    def connect(self) -> None:
        """Open an exclusive connection to the chip and read what its ATR declares."""
        if self._connection is not None:
            return
        connection = self._reader_connection or self._new_reader_connection()
        try:
            connection.connect(mode=scard.SCARD_SHARE_EXCLUSIVE)
            self.atr = bytes(connection.getATR())
        except (SmartcardException, CardConnectionException) as exc:
            self._release_reader_connection()  # start afresh next time (pcscd may be new)
            raise self._convert(exc, "connecting") from exc
        self._connection = connection
        # Only a success is remembered: a probe that failed (a faulty chip, a reader
        # that refuses) is tried again on the next card.
        self.extended = self.atr in self._extended_atrs or (
            atr_declares_extended(self.atr) and self._extended_works()
        )
        if self.extended:
            self._extended_atrs.add(self.atr)

    def _new_reader_connection(self) -> CardConnection:
        try:
            reader = next((r for r in list_readers() if str(r) == self.reader_name), None)
        except SmartcardException as exc:
            raise self._not_found(str(exc)) from exc
        if reader is None:
            raise self._not_found("pcscd lists no such reader")
        self._reader_connection = reader.createConnection()
        return self._reader_connection

    def _release_reader_connection(self) -> None:
        connection, self._reader_connection = self._reader_connection, None
        if connection is not None:
            with contextlib.suppress(SmartcardException):
                connection.release()

    def _extended_works(self) -> bool:
        """Whether an extended command goes through, as the ATR claims.

        A reader or chip that cannot take it answers 6700 (or pcscd refuses the
        buffer); either way the encoder then stays with short APDUs.
        """
        try:
            _, sw = self._raw(EXTENDED_PROBE)
        except NoCardInReader:
            raise
        except EncoderError:
            return False
        return sw == SW_OK

    def disconnect(self) -> None:
        """End the connection to the chip (before the card moves on)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        # The card or pcscd may be gone already: then there is nothing left to close.
        with contextlib.suppress(SmartcardException):
            connection.disconnect()

    def close(self) -> None:
        """Disconnect and release what the encoder holds in pcscd."""
        self.disconnect()
        self._release_reader_connection()
        with contextlib.suppress(SmartcardException):
            self._drop_context()

    def __enter__(self) -> PcscEncoder:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- APDUs ------------------------------------------------------------------------

    def _raw(self, apdu: bytes) -> tuple[bytes, int]:
        if self._connection is None:
            raise EncoderError(f"{self.where} is not connected", where=self.reader_name)
        self.apdu_count += 1
        try:
            data, sw1, sw2 = self._connection.transmit(list(apdu))
        except (SmartcardException, CardConnectionException) as exc:
            raise self._convert(exc, f"sending {apdu[:4].hex(' ').upper()}") from exc
        return bytes(data), (sw1 << 8) | sw2

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Send one command; follow 61xx with GET RESPONSE and 6Cxx with the right Le."""
        data, sw = self._raw(apdu)
        if sw >> 8 == 0x6C:
            data, sw = self._raw(with_le(apdu, sw & 0xFF))
        collected = bytearray(data)
        for _ in range(MAX_RESPONSE_CHAIN):
            if sw >> 8 != 0x61:
                return bytes(collected), sw
            more, sw = self._raw(bytes([0x00, 0xC0, 0x00, 0x00, sw & 0xFF]))
            collected += more
        raise EncoderError(
            f"the chip in {self.where} never finished its answer", where=self.reader_name
        )
