"""The card printer's command protocol as pure functions: bytes in, bytes out.

Frames are ``ESC`` + command + ``;``-separated parameters + ``CR``. Replies are ASCII,
ended by CR, by NUL (usblp) or by the end of a short bulk-IN transfer.

How a printer answers depends on its family (printstation.drivers.profiles and the
``[families.*]`` tables of printer-profiles.toml). Real Evolis printers run in error
mode ``Pem;2`` and answer a refused command with a fault text (``CARD JAM``, ``COVER
OPEN``, ``FEEDER EMPTY``, ``ERROR RIBBON``, ``HOPPER FULL``, ``ERROR TIME OUT``,
``ERROR CDE``, ``ERROR PARAMETRES``, ``NEED CLEANING``), which the family maps to a
fault kind and ``kind_error`` to the station's error. What follows describes the
station's own dialect, which only the simulator speaks.

The simulator's dialect uses ACK/NACK error mode (``Pem;4``) so that every command
is confirmed: an action command answers ``OK``, a query answers its value, and a
refused command answers ``NACK;<code>`` or ``NACK;<code>;<detail>`` where the code is
one of ``1`` (command error), ``2`` (parameter error), ``T`` (jam or mechanical
timeout), ``C`` (cover open), ``F`` (feeder error), ``R`` (ribbon error). The detail
narrows the cause: ``misfeed`` (no blank left a loaded feeder), ``double_feed`` (two
blanks left together), ``output_full``, ``reject_full``. In the other error modes a
refused command answers its status text instead (``ERR JAM``, ``ERR COVER``...), which
the same parser maps to the same errors.

Sensors (``Rse``): ``o`` cover, ``p`` card in the path, ``f`` feeder (``OK``, ``LOW``,
``EMPTY``), ``h`` output hopper and ``b`` reject box (``OK``, ``FULL``), ``k`` cleaning
(``OK``, ``DUE``). Counters
(``Rco``): ``n`` prints left on the ribbon, ``p`` panels printed, ``c`` cards inserted,
``f`` blanks in the feeder, ``h`` cards in the output hopper, ``b`` cards in the reject
box, ``k`` cards since the last cleaning. A printer without a sensor or counter refuses
it with a parameter error.

Panels travel in ``Db`` frames: ``ESC Db;<panel>;<levels>;<data> CR``. K and O are
1 bit a pixel (levels 2); Y, M and C are 5, 6 or 7 bits a pixel (levels 32, 64, 128),
bit-packed MSB first, line after line. The data may contain CR bytes: its length
follows from the panel and the level count.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from printstation.errors import (
    CardMisfeed,
    CoverOpen,
    DoubleFeed,
    FeederEmpty,
    OutputHopperFull,
    PrinterError,
    PrinterJam,
    PrinterNeedsOperator,
    PrinterProtocolError,
    RejectBoxFull,
    RibbonError,
)
from printstation.layout.panels import PANEL_HEIGHT, PANEL_WIDTH, CardPanels

ESC = 0x1B
CR = 0x0D
PANEL_ORDER = "ymcko"
COLOUR_LEVELS = (32, 64, 128)
BITS_FOR_LEVELS = {2: 1, 32: 5, 64: 6, 128: 7}
PIXELS = PANEL_WIDTH * PANEL_HEIGHT
COUNTERS = {
    "n": "prints left on the ribbon",
    "p": "panels printed",
    "c": "cards inserted",
    "f": "blanks in the feeder",
    "h": "cards in the output hopper",
    "b": "cards in the reject box",
    "k": "cards since cleaning",
}
SENSORS = {
    "o": "cover",
    "p": "card in the path",
    "f": "feeder",
    "h": "output hopper",
    "b": "reject box",
    "k": "cleaning",
}

COMMAND_NAMES: dict[str, str] = {
    "Pem": "set error mode",
    "Pmi": "set feeder mode",
    "Pr": "set ribbon type",
    "Rtp": "read model",
    "Rfv": "read firmware version",
    "Rsn": "read serial number",
    "Rr": "read ribbon type",
    "Rco": "read counter",
    "Rlr": "read last status",
    "Rse": "read sensor",
    "Ss": "start sequence",
    "Sr": "sequence recto: select the front for the downloads",
    "Se": "print and eject",
    "Si": "insert card",
    "Sis": "card to contact station",
    "Sic": "card to contactless station",
    "Ser": "reject card under output",
    "Seb": "reject card under feeder",
    "Srs": "soft reset",
    "Db": "download panel",
}


def frame(command: str, *params: str | bytes) -> bytes:
    """One command frame: ESC, the command, ';'-joined parameters, CR."""
    parts = [command.encode("ascii")]
    parts.extend(p if isinstance(p, bytes) else p.encode("ascii") for p in params)
    return bytes([ESC]) + b";".join(parts) + bytes([CR])


def command_of(data: bytes) -> str:
    """The command and its text parameters (not panel data), for logging: ``Db;c``."""
    body = data[1:] if data[:1] == bytes([ESC]) else data
    if body.startswith(b"Db;"):
        return body[:4].decode("ascii", "replace")
    return body.rstrip(b"\r").decode("ascii", "replace")


def command_name(data: bytes) -> str:
    """A readable name of a frame's command: ``Sis (card to contact station)``."""
    text = command_of(data)
    head = text.split(";", 1)[0]
    name = COMMAND_NAMES.get(head)
    return f"{text} ({name})" if name else text


# --- builders ---------------------------------------------------------------------------


def set_error_mode(mode: int) -> bytes:
    if mode not in (0, 2, 4):
        raise ValueError(f"error mode must be 0, 2 or 4, not {mode}")
    return frame("Pem", str(mode))


def set_feeder_mode(manual: bool = False) -> bytes:
    return frame("Pmi", "M" if manual else "F")


def read_model() -> bytes:
    return frame("Rtp")


def read_firmware() -> bytes:
    return frame("Rfv")


def read_serial() -> bytes:
    return frame("Rsn")


def read_ribbon_type() -> bytes:
    return frame("Rr")


def read_counter(which: str) -> bytes:
    """One of COUNTERS: ``n`` prints left on the ribbon, ``p`` panels printed..."""
    if which not in COUNTERS:
        raise ValueError(f"counter must be one of {', '.join(COUNTERS)}, not {which!r}")
    return frame("Rco", which)


def read_status() -> bytes:
    return frame("Rlr", "p")


def read_sensor(which: str) -> bytes:
    """One of SENSORS: ``o`` the cover, ``p`` card present, ``f`` feeder..."""
    if which not in SENSORS:
        raise ValueError(f"sensor must be one of {', '.join(SENSORS)}, not {which!r}")
    return frame("Rse", which)


def set_ribbon_type(ribbon: str) -> bytes:
    if not ribbon.isalpha():
        raise ValueError(f"ribbon type is letters such as ymcko, not {ribbon!r}")
    return frame("Pr", ribbon)


def start_sequence() -> bytes:
    return frame("Ss")


def to_print_head() -> bytes:
    return frame("Sr")


def print_and_eject() -> bytes:
    return frame("Se")


def insert_card() -> bytes:
    return frame("Si")


def to_contact_station() -> bytes:
    return frame("Sis")


def to_contactless_station() -> bytes:
    return frame("Sic")


def reject_under_output() -> bytes:
    return frame("Ser")


def reject_under_feeder() -> bytes:
    return frame("Seb")


def soft_reset() -> bytes:
    return frame("Srs")


def download_panel(panel: str, levels: int, data: bytes) -> bytes:
    expected = panel_data_length(panel, levels)
    if len(data) != expected:
        raise ValueError(
            f"panel {panel} at {levels} levels needs {expected} bytes, got {len(data)}"
        )
    return frame("Db", panel, str(levels), data)


# --- replies ----------------------------------------------------------------------------

_NEEDS_OPERATOR: dict[str, tuple[type[PrinterError], str]] = {
    "T": (
        PrinterJam,
        "card jammed on printer {p} during {c}: open the cover, remove the card and press resume",
    ),
    "C": (CoverOpen, "cover open on printer {p}: close the cover and press resume"),
    "F": (FeederEmpty, "feeder empty on printer {p}: load blanks and press resume"),
    "R": (
        RibbonError,
        "ribbon ended or missing on printer {p}: replace the ribbon and press resume",
    ),
}
_DETAILS: dict[str, tuple[type[PrinterError], str]] = {
    "misfeed": (
        CardMisfeed,
        "blank did not feed on printer {p}: fan the blanks in the feeder, reseat them "
        "and press resume",
    ),
    "double_feed": (
        DoubleFeed,
        "two blanks fed together on printer {p} during {c}: open the cover, take both "
        "cards out, record them, and press resume",
    ),
    "output_full": (
        OutputHopperFull,
        "output hopper full on printer {p}: take the printed cards out and press resume",
    ),
    "reject_full": (
        RejectBoxFull,
        "reject box full on printer {p}: empty it, record the rejected cards and press resume",
    ),
}
#: Status texts (``Rlr;p``, and replies in error modes 0 and 2) -> NACK code and detail.
STATUS_FAULTS: dict[str, tuple[str, str]] = {
    "ERR JAM": ("T", ""),
    "ERR COVER": ("C", ""),
    "ERR FEEDER": ("F", ""),
    "ERR MISFEED": ("F", "misfeed"),
    "ERR DOUBLE FEED": ("T", "double_feed"),
    "ERR RIBBON": ("R", ""),
    "ERR HOPPER FULL": ("T", "output_full"),
    "ERR REJECT FULL": ("T", "reject_full"),
}


#: A fault kind (a family's ``replies``, printstation.drivers.profiles) -> NACK code and
#: detail, so each kind has the error and operator message of its NACK.
KIND_FAULTS: dict[str, tuple[str, str]] = {
    "jam": ("T", ""),
    "cover_open": ("C", ""),
    "feeder_empty": ("F", ""),
    "ribbon": ("R", ""),
    "misfeed": ("F", "misfeed"),
    "double_feed": ("T", "double_feed"),
    "output_full": ("T", "output_full"),
    "reject_full": ("T", "reject_full"),
    "command": ("1", ""),
    "parameter": ("2", ""),
    "cleaning": ("K", ""),
}


def kind_error(kind: str, *, command: str, printer: str) -> PrinterError:
    """The station error for a fault kind a printer's reply stands for."""
    code, detail = KIND_FAULTS[kind]
    return nack_error(code, detail, command=command, printer=printer)


def clean_reply(raw: bytes) -> str:
    """Reply text without the trailing CR and NULs the usblp driver leaves."""
    return raw.rstrip(b"\x00\r\n").decode("ascii", "replace")


def split_reply(raw: bytes | bytearray) -> tuple[bytes, int] | None:
    """The first whole reply in ``raw`` (ended by CR or NUL) and how many bytes it took,
    with the NULs usblp pads it with; None while it is still arriving."""
    start = 0
    while start < len(raw) and raw[start] == 0:
        start += 1
    ends = [i for i in (raw.find(b"\r", start), raw.find(b"\x00", start)) if i >= 0]
    if not ends:
        return None
    end = min(ends) + 1
    used = end
    while used < len(raw) and raw[used] == 0:
        used += 1
    return bytes(raw[start:end]), used


def split_transfer(raw: bytes | bytearray) -> tuple[bytes, int] | None:
    """Like split_reply, but a reply with no CR or NUL ends where the bytes end: what a
    short bulk-IN transfer delivered is the whole reply. None if only NULs arrived."""
    found = split_reply(raw)
    if found is not None:
        return found
    text = bytes(raw).lstrip(b"\x00")
    return (text, len(raw)) if text else None


def nack_error(code: str, detail: str, *, command: str, printer: str) -> PrinterError:
    """The station error for a NACK code, with a message that tells the operator what to do."""
    if detail in _DETAILS:
        cls, template = _DETAILS[detail]
        return cls(template.format(p=printer, c=command))
    if code in _NEEDS_OPERATOR:
        cls, template = _NEEDS_OPERATOR[code]
        return cls(template.format(p=printer, c=command))
    if code == "K":
        return PrinterNeedsOperator(
            f"printer {printer} asks for cleaning during {command}: run a cleaning card "
            "and press resume"
        )
    kind = {"1": "command error", "2": "parameter error"}.get(code, f"unknown code {code!r}")
    return PrinterProtocolError(
        f"printer {printer} refused {command} ({kind}): reset the printer and retry; "
        "if it persists, check the driver and firmware versions"
    )


def parse_reply(
    raw: bytes, *, command: str, printer: str, replies: dict[str, str] | None = None
) -> str:
    """The text of a reply, or the station error a NACK, or a fault text of the printer's
    family (``replies``: text -> fault kind), stands for."""
    text = clean_reply(raw)
    if replies is not None and text in replies:
        raise kind_error(replies[text], command=command, printer=printer)
    if text == "NACK" or text.startswith("NACK;"):
        fields = text.split(";")
        code = fields[1] if len(fields) > 1 else "1"
        detail = fields[2] if len(fields) > 2 else ""
        raise nack_error(code, detail, command=command, printer=printer)
    if text in STATUS_FAULTS and not command.startswith("Rlr"):
        code, detail = STATUS_FAULTS[text]
        raise nack_error(code, detail, command=command, printer=printer)
    return text


def status_error(status: str, *, printer: str) -> PrinterError | None:
    """The error a status text (``Rlr;p``) stands for; None when the printer is fine."""
    if status not in STATUS_FAULTS:
        return None
    code, detail = STATUS_FAULTS[status]
    return nack_error(code, detail, command="Rlr;p", printer=printer)


def parse_ack(
    raw: bytes, *, command: str, printer: str, replies: dict[str, str] | None = None
) -> None:
    """Accept ``OK``; anything else is an error."""
    text = parse_reply(raw, command=command, printer=printer, replies=replies)
    if text != "OK":
        raise PrinterProtocolError(f"printer {printer} answered {text!r} to {command}, not OK")


def parse_number(
    raw: bytes, *, command: str, printer: str, replies: dict[str, str] | None = None
) -> int:
    text = parse_reply(raw, command=command, printer=printer, replies=replies)
    try:
        return int(text)
    except ValueError:
        raise PrinterProtocolError(
            f"printer {printer} answered {text!r} to {command}, not a number"
        ) from None


# --- panels -----------------------------------------------------------------------------


def bits_per_pixel(panel: str, levels: int) -> int:
    if panel in "ko" and len(panel) == 1:
        if levels != 2:
            raise ValueError(f"panel {panel} is 1 bit a pixel: levels must be 2, not {levels}")
        return 1
    if panel in ("y", "m", "c"):
        if levels not in COLOUR_LEVELS:
            raise ValueError(f"levels for panel {panel} must be 32, 64 or 128, not {levels}")
        return BITS_FOR_LEVELS[levels]
    raise ValueError(f"unknown panel {panel!r}: expected one of y, m, c, k, o")


def panel_data_length(panel: str, levels: int) -> int:
    return PIXELS * bits_per_pixel(panel, levels) // 8


def _quantise_table(levels: int) -> np.ndarray:
    top = levels - 1
    return ((np.arange(256, dtype=np.uint32) * top + 127) // 255).astype(np.uint8)


def quantise(values: np.ndarray, levels: int) -> np.ndarray:
    """0..255 to 0..levels-1, rounding to the nearest level."""
    return _quantise_table(levels)[values]


def dequantise(codes: np.ndarray, levels: int) -> np.ndarray:
    """0..levels-1 back to 0..255 (the exact inverse of quantise on its range)."""
    top = levels - 1
    table = ((np.arange(levels, dtype=np.uint32) * 255 + top // 2) // top).astype(np.uint8)
    return table[codes]


def _pack(codes: np.ndarray, bits: int) -> bytes:
    """Pack codes of ``bits`` bits MSB first: 8 pixels become ``bits`` bytes."""
    groups = codes.reshape(-1, 8)
    words = np.zeros(groups.shape[0], dtype=np.uint64)
    for i in range(8):
        words |= groups[:, i].astype(np.uint64) << np.uint64(bits * (7 - i))
    as_bytes = words.astype(">u8").view(np.uint8).reshape(-1, 8)
    return as_bytes[:, 8 - bits :].tobytes()


def _unpack(data: bytes, bits: int) -> np.ndarray:
    raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, bits)
    padded = np.zeros((raw.shape[0], 8), dtype=np.uint8)
    padded[:, 8 - bits :] = raw
    words = padded.view(">u8").reshape(-1, 1).astype(np.uint64)
    shifts = np.arange(7, -1, -1, dtype=np.uint64) * np.uint64(bits)
    mask = np.uint64((1 << bits) - 1)
    return ((words >> shifts) & mask).astype(np.uint8).reshape(-1)


def encode_panel(panel: str, image: Image.Image, levels: int) -> bytes:
    """A panel's data for a ``Db`` frame."""
    bits = bits_per_pixel(panel, levels)
    if image.size != (PANEL_WIDTH, PANEL_HEIGHT):
        raise ValueError(f"panel {panel} must be {PANEL_WIDTH}x{PANEL_HEIGHT}, got {image.size}")
    if bits == 1:
        ink = np.asarray(image.convert("1"), dtype=bool)
        return np.packbits(ink, axis=None).tobytes()
    values = np.asarray(image.convert("L"), dtype=np.uint8)
    return _pack(quantise(values, levels), bits)


def decode_panel(panel: str, levels: int, data: bytes) -> Image.Image:
    """The image a panel's data stands for: mode "1" for K and O, "L" for Y, M, C."""
    bits = bits_per_pixel(panel, levels)
    expected = panel_data_length(panel, levels)
    if len(data) != expected:
        raise ValueError(
            f"panel {panel} at {levels} levels needs {expected} bytes, got {len(data)}"
        )
    shape = (PANEL_HEIGHT, PANEL_WIDTH)
    if bits == 1:
        ink = np.unpackbits(np.frombuffer(data, dtype=np.uint8)).astype(bool).reshape(shape)
        return Image.fromarray(ink)
    codes = _unpack(data, bits).reshape(shape)
    return Image.fromarray(dequantise(codes, levels), mode="L")


def encode_panels(panels: CardPanels, levels: int = 64) -> list[bytes]:
    """The five ``Db`` frames for a card, in ribbon order y, m, c, k, o."""
    frames = []
    for panel in PANEL_ORDER:
        panel_levels = 2 if panel in "ko" else levels
        data = encode_panel(panel, getattr(panels, panel), panel_levels)
        frames.append(frame("Db", panel, str(panel_levels), data))
    return frames


def db_frame_length(header: bytes) -> int | None:
    """Total length of a ``Db`` frame from its first bytes, or None if more are needed.

    ``header`` starts at the ESC. Raises ValueError if the header is malformed.
    """
    body = header[1:]
    parts = body.split(b";", 3)
    if len(parts) < 4:
        if len(body) > 16:
            raise ValueError(f"malformed Db header {bytes(header[:20])!r}")
        return None
    _, panel, levels, _ = parts
    prefix = 1 + len(b";".join(parts[:3])) + 1
    length = panel_data_length(panel.decode("ascii", "replace"), int(levels))
    return prefix + length + 1


def decode_db_frame(data: bytes) -> tuple[str, Image.Image]:
    """The panel letter and image carried by one whole ``Db`` frame."""
    if data[:4] != b"\x1bDb;" or data[-1:] != b"\r":
        raise ValueError("not a Db frame")
    panel_b, levels_b, payload = data[4:-1].split(b";", 2)
    panel = panel_b.decode("ascii")
    return panel, decode_panel(panel, int(levels_b), payload)
