"""ISO/IEC 19794-2:2005 finger minutiae records (the chip's fingerprint templates).

Layout, all numbers big-endian::

    record header, 24 bytes
      0  "FMR\\0"             format identifier
      4  " 20\\0"             version
      8  uint32               length of the whole record
     12  uint16               capture equipment: certification (4 bits), device type (12)
     14  uint16, uint16       image width, height (pixels)
     18  uint16, uint16       x, y resolution (pixels per centimetre; 197 = 500 dpi)
     22  uint8                number of finger views
     23  uint8                reserved (0)
    each finger view
      +0 uint8                finger position (0 unknown, 1-5 right thumb..little,
                              6-10 left thumb..little)
      +1 uint8                view number (4 bits), impression type (4 bits)
      +2 uint8                finger quality (0-100)
      +3 uint8                number of minutiae
      +4 6 bytes a minutia:   type (2 bits) and x (14 bits); reserved (2) and y (14);
                              angle (1 unit = 360/256 degrees); quality (0-100)
      then uint16             extended data length, and that many bytes
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from printstation.errors import InputError
from printstation.records import FINGERS

FORMAT_ID = b"FMR\x00"
VERSION = b" 20\x00"
HEADER_SIZE = 24
VIEW_HEADER_SIZE = 4
MINUTIA_SIZE = 6
#: Pixels per centimetre of a 500 dpi fingerprint image.
DEFAULT_RESOLUTION = 197
#: Impression types of the 2005 edition: live-scan plain/rolled, non-live plain/rolled,
#: latent impression/tracing/photo/lift, swipe.
IMPRESSION_TYPES = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 8})
#: Finger names (records.FINGERS) to ISO finger position codes 1-10.
FINGER_POSITIONS = {name: code for code, name in enumerate(FINGERS, start=1)}


class MinutiaType(IntEnum):
    OTHER = 0
    RIDGE_ENDING = 1
    BIFURCATION = 2


class MalformedFMR(InputError):
    """A finger minutiae record that does not follow ISO/IEC 19794-2:2005."""

    code = "malformed_fmr"

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason, where=f"finger minutiae record, byte {offset}")
        self.offset = offset


@dataclass(frozen=True)
class Minutia:
    type: MinutiaType
    x: int
    y: int
    #: 0-255, one unit is 360/256 = 1.40625 degrees, counter-clockwise from the x axis.
    angle: int
    quality: int = 60

    @property
    def angle_degrees(self) -> float:
        return self.angle * 360.0 / 256.0


@dataclass(frozen=True)
class FingerView:
    finger_position: int
    minutiae: tuple[Minutia, ...]
    view_number: int = 0
    impression_type: int = 0
    quality: int = 60
    extended_data: bytes = b""


@dataclass(frozen=True)
class FingerMinutiaeRecord:
    width: int
    height: int
    x_resolution: int
    y_resolution: int
    views: tuple[FingerView, ...]
    capture_equipment: int = 0

    @property
    def finger_position(self) -> int:
        return self.views[0].finger_position

    @property
    def minutiae(self) -> tuple[Minutia, ...]:
        return self.views[0].minutiae


def finger_position_code(finger: int | str) -> int:
    """The ISO code of a finger given by code (0-10) or name ("right_index")."""
    if isinstance(finger, str):
        if finger not in FINGER_POSITIONS:
            raise ValueError(f"unknown finger {finger!r} (known: {', '.join(FINGERS)})")
        return FINGER_POSITIONS[finger]
    if not 0 <= finger <= 10:
        raise ValueError(f"finger position must be 0-10, got {finger}")
    return finger


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be {low}-{high}, got {value}")


def encode_fmr(record: FingerMinutiaeRecord) -> bytes:
    """The bytes of a (possibly multi-view) record; ValueError on values out of range."""
    _check_range("width", record.width, 1, 0x3FFF + 1)
    _check_range("height", record.height, 1, 0x3FFF + 1)
    _check_range("x resolution", record.x_resolution, 1, 0xFFFF)
    _check_range("y resolution", record.y_resolution, 1, 0xFFFF)
    _check_range("capture equipment", record.capture_equipment, 0, 0xFFFF)
    _check_range("number of views", len(record.views), 1, 255)
    body = bytearray()
    for view in record.views:
        finger_position_code(view.finger_position)
        _check_range("view number", view.view_number, 0, 15)
        if view.impression_type not in IMPRESSION_TYPES:
            raise ValueError(f"impression type {view.impression_type} is not defined")
        _check_range("finger quality", view.quality, 0, 100)
        _check_range("number of minutiae", len(view.minutiae), 0, 255)
        _check_range("extended data length", len(view.extended_data), 0, 0xFFFF)
        body += bytes(
            (
                view.finger_position,
                (view.view_number << 4) | view.impression_type,
                view.quality,
                len(view.minutiae),
            )
        )
        for m in view.minutiae:
            _check_range("minutia x", m.x, 0, record.width - 1)
            _check_range("minutia y", m.y, 0, record.height - 1)
            _check_range("minutia angle", m.angle, 0, 255)
            _check_range("minutia quality", m.quality, 0, 100)
            body += struct.pack(">HHBB", (int(m.type) << 14) | m.x, m.y, m.angle, m.quality)
        body += struct.pack(">H", len(view.extended_data)) + view.extended_data
    header = (
        FORMAT_ID
        + VERSION
        + struct.pack(
            ">IHHHHHBB",
            HEADER_SIZE + len(body),
            record.capture_equipment,
            record.width,
            record.height,
            record.x_resolution,
            record.y_resolution,
            len(record.views),
            0,
        )
    )
    return header + bytes(body)


def build_fmr(
    minutiae: list[Minutia],
    width: int,
    height: int,
    resolution: int = DEFAULT_RESOLUTION,
    finger_position: int | str = 0,
    *,
    quality: int = 60,
    impression_type: int = 0,
    capture_equipment: int = 0,
) -> bytes:
    """A one-view record of ``minutiae`` found on a ``width`` x ``height`` image."""
    view = FingerView(
        finger_position_code(finger_position),
        tuple(minutiae),
        impression_type=impression_type,
        quality=quality,
    )
    record = FingerMinutiaeRecord(
        width, height, resolution, resolution, (view,), capture_equipment=capture_equipment
    )
    return encode_fmr(record)


def parse_fmr(data: bytes) -> FingerMinutiaeRecord:
    """Read a record; MalformedFMR (an InputError) names the byte offset and the fault."""
    if len(data) < HEADER_SIZE:
        raise MalformedFMR(0, f"record is {len(data)} bytes, shorter than its 24-byte header")
    if data[0:4] != FORMAT_ID:
        raise MalformedFMR(0, f"format identifier is {data[0:4]!r}, not b'FMR\\x00'")
    if data[4:8] != VERSION:
        raise MalformedFMR(4, f"version is {data[4:8]!r}, not b' 20\\x00' (2005 edition)")
    length, equipment, width, height, xres, yres, count, reserved = struct.unpack_from(
        ">IHHHHHBB", data, 8
    )
    if length != len(data):
        raise MalformedFMR(8, f"record length field says {length} but the record has {len(data)}")
    for offset, name, value in ((14, "width", width), (16, "height", height)):
        if value == 0:
            raise MalformedFMR(offset, f"image {name} is 0")
    for offset, name, value in ((18, "x", xres), (20, "y", yres)):
        if value == 0:
            raise MalformedFMR(offset, f"{name} resolution is 0")
    if count == 0:
        raise MalformedFMR(22, "the record holds no finger view")
    if reserved != 0:
        raise MalformedFMR(23, f"reserved byte is {reserved}, must be 0")
    offset = HEADER_SIZE
    views = []
    for _ in range(count):
        view, offset = _parse_view(data, offset, width, height)
        views.append(view)
    if offset != len(data):
        raise MalformedFMR(offset, f"{len(data) - offset} bytes follow the last finger view")
    return FingerMinutiaeRecord(width, height, xres, yres, tuple(views), equipment)


def _parse_view(data: bytes, offset: int, width: int, height: int) -> tuple[FingerView, int]:
    if offset + VIEW_HEADER_SIZE > len(data):
        raise MalformedFMR(offset, "record ends inside a finger view header")
    position, view_impression, quality, count = data[offset : offset + 4]
    if position > 10:
        raise MalformedFMR(offset, f"finger position {position} is not 0-10")
    impression = view_impression & 0x0F
    if impression not in IMPRESSION_TYPES:
        raise MalformedFMR(offset + 1, f"impression type {impression} is not defined")
    if quality > 100:
        raise MalformedFMR(offset + 2, f"finger quality {quality} is over 100")
    offset += VIEW_HEADER_SIZE
    minutiae = []
    for i in range(count):
        if offset + MINUTIA_SIZE > len(data):
            raise MalformedFMR(offset, f"record ends inside minutia {i + 1} of {count}")
        type_x, reserved_y, angle, m_quality = struct.unpack_from(">HHBB", data, offset)
        kind, x, y = type_x >> 14, type_x & 0x3FFF, reserved_y & 0x3FFF
        if kind == 3:
            raise MalformedFMR(offset, f"minutia {i + 1}: type 3 is reserved")
        if reserved_y >> 14:
            raise MalformedFMR(offset + 2, f"minutia {i + 1}: reserved bits are set")
        if x >= width or y >= height:
            raise MalformedFMR(
                offset, f"minutia {i + 1} at ({x}, {y}) is outside the {width}x{height} image"
            )
        if m_quality > 100:
            raise MalformedFMR(offset + 5, f"minutia {i + 1}: quality {m_quality} is over 100")
        minutiae.append(Minutia(MinutiaType(kind), x, y, angle, m_quality))
        offset += MINUTIA_SIZE
    if offset + 2 > len(data):
        raise MalformedFMR(offset, "record ends before the extended data length")
    (extended_length,) = struct.unpack_from(">H", data, offset)
    offset += 2
    if offset + extended_length > len(data):
        raise MalformedFMR(
            offset - 2, f"extended data of {extended_length} bytes runs past the record's end"
        )
    extended = bytes(data[offset : offset + extended_length])
    view = FingerView(
        position, tuple(minutiae), view_impression >> 4, impression, quality, extended
    )
    return view, offset + extended_length
