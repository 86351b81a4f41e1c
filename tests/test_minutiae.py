from __future__ import annotations

import struct

import pytest

from printstation.errors import InputError
from printstation.intake.minutiae import (
    FingerMinutiaeRecord,
    FingerView,
    MalformedFMR,
    Minutia,
    MinutiaType,
    build_fmr,
    encode_fmr,
    parse_fmr,
)

MINUTIAE = [
    Minutia(MinutiaType.RIDGE_ENDING, 10, 20, 0, 80),
    Minutia(MinutiaType.BIFURCATION, 299, 399, 255, 100),
    Minutia(MinutiaType.OTHER, 150, 7, 64, 0),
]


def good() -> bytes:
    return build_fmr(MINUTIAE, 300, 400, finger_position="right_index")


def test_layout_of_a_record():
    data = good()
    assert len(data) == 24 + 4 + 3 * 6 + 2
    assert data[:8] == b"FMR\x00 20\x00"
    assert struct.unpack(">I", data[8:12])[0] == len(data)
    assert struct.unpack(">HHHH", data[14:22]) == (300, 400, 197, 197)
    assert data[22] == 1 and data[23] == 0
    assert data[24] == 2  # right index
    assert data[27] == 3
    # first minutia: ridge ending (01) at x 10, y 20
    assert data[28:34] == bytes([0x40, 10, 0, 20, 0, 80])
    assert data[-2:] == b"\x00\x00"


def test_round_trip():
    record = parse_fmr(good())
    assert (record.width, record.height, record.x_resolution, record.y_resolution) == (
        300,
        400,
        197,
        197,
    )
    assert record.finger_position == 2
    assert list(record.minutiae) == MINUTIAE
    assert record.minutiae[1].angle_degrees == pytest.approx(358.59375)


def test_multi_view_with_extended_data_round_trip():
    record = FingerMinutiaeRecord(
        256,
        360,
        197,
        197,
        (
            FingerView(2, tuple(MINUTIAE[:1]), view_number=0, impression_type=0, quality=70),
            FingerView(7, tuple(MINUTIAE[2:]), view_number=1, impression_type=8, quality=55,
                       extended_data=b"\x00\x01\x00\x05x"),
        ),
        capture_equipment=0x1ABC,
    )  # fmt: skip
    assert parse_fmr(encode_fmr(record)) == record


def test_typical_template_size():
    minutiae = [Minutia(MinutiaType.RIDGE_ENDING, i, i, 0) for i in range(45)]
    assert len(build_fmr(minutiae, 300, 400, finger_position=7)) == 24 + 4 + 270 + 2


def _patched(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


@pytest.mark.parametrize(
    ("mutate", "offset", "reason"),
    [
        (lambda d: d[:20], 0, "shorter than its 24-byte header"),
        (lambda d: b"FIR\x00" + d[4:], 0, "format identifier"),
        (lambda d: _patched(d, 4, b"030\x00"), 4, "version"),
        (lambda d: _patched(d, 8, struct.pack(">I", 999)), 8, "says 999"),
        (lambda d: _patched(d, 14, b"\x00\x00"), 14, "width is 0"),
        (lambda d: _patched(d, 20, b"\x00\x00"), 20, "y resolution is 0"),
        (lambda d: _patched(d, 22, b"\x00"), 22, "no finger view"),
        (lambda d: _patched(d, 23, b"\x01"), 23, "reserved byte"),
        (lambda d: _patched(d, 24, b"\x0b"), 24, "finger position 11"),
        (lambda d: _patched(d, 25, b"\x0f"), 25, "impression type 15"),
        (lambda d: _patched(d, 26, b"\x65"), 26, "finger quality 101"),
        (lambda d: _patched(d, 28, b"\xc0"), 28, "type 3 is reserved"),
        (lambda d: _patched(d, 30, b"\x40"), 30, "reserved bits"),
        (lambda d: _patched(d, 28, b"\x41\x2c"), 28, "outside the 300x400 image"),
        (lambda d: _patched(d, 33, b"\xff"), 33, "quality 255"),
    ],
)
def test_malformed_records_name_offset_and_reason(mutate, offset, reason):
    data = mutate(good())
    if len(data) >= 12 and offset != 8:
        data = data[:8] + struct.pack(">I", len(data)) + data[12:]
    with pytest.raises(MalformedFMR) as info:
        parse_fmr(data)
    assert isinstance(info.value, InputError)
    assert info.value.offset == offset
    assert reason in str(info.value)
    assert f"byte {offset}" in str(info.value)


def _with_length(data: bytes) -> bytes:
    return data[:8] + struct.pack(">I", len(data)) + data[12:]


def test_truncated_in_a_minutia():
    data = _with_length(good()[:40])
    with pytest.raises(MalformedFMR, match="ends inside minutia 3 of 3") as info:
        parse_fmr(data)
    assert info.value.offset == 40


def test_more_minutiae_claimed_than_present():
    data = _with_length(_patched(good(), 27, b"\x09"))
    with pytest.raises(MalformedFMR, match="ends inside minutia"):
        parse_fmr(data)


def test_extended_data_past_the_end():
    data = _with_length(good()[:-2] + b"\x00\x10")
    with pytest.raises(MalformedFMR, match="runs past the record's end"):
        parse_fmr(data)


def test_trailing_bytes():
    data = _with_length(good() + b"\x00\x00")
    with pytest.raises(MalformedFMR, match="follow the last finger view"):
        parse_fmr(data)


def test_build_refuses_values_out_of_range():
    with pytest.raises(ValueError, match="minutia x"):
        build_fmr([Minutia(MinutiaType.BIFURCATION, 300, 1, 0)], 300, 400)
    with pytest.raises(ValueError, match="unknown finger"):
        build_fmr(MINUTIAE, 300, 400, finger_position="right_toe")
    with pytest.raises(ValueError, match="number of minutiae"):
        build_fmr([MINUTIAE[0]] * 256, 300, 400)
