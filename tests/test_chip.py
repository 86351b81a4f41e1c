"""The chip's content (build_files) and personalisation logic, against an in-process chip."""

from __future__ import annotations

import io
from datetime import date, datetime

import numpy as np
import pytest
from PIL import Image, ImageDraw

from printstation.chip import card as chip
from printstation.chip.tlv import decode_biodata, decode_capabilities, iter_tlv, tlv
from printstation.errors import ChipError, ChipVerificationFailed
from printstation.records import Address, CardRecord, EnrolmentMedia, Fingerprint
from printstation.sim.chip.iso7816 import VirtualChip


def make_record(**changes: object) -> CardRecord:
    values: dict[str, object] = {
        "enrolment_id": "5371-20181118-000123",
        "nik": "5371015708900002",
        "name": "MARIA MAGDALENA DA SILVA",
        "birth_place": "KUPANG",
        "birth_date": date(1990, 8, 17),
        "sex": "P",
        "blood_type": "O",
        "address": Address(
            "JL. EL TARI II NO. 5",
            "001",
            "002",
            "OEBOBO",
            "OEBOBO",
            "KOTA KUPANG",
            "NUSA TENGGARA TIMUR",
        ),
        "religion": "KATOLIK",
        "marital_status": "BELUM KAWIN",
        "occupation": "PELAJAR/MAHASISWA",
        "citizenship": "WNI",
        "valid_until": None,
        "recorded_at": datetime(2018, 11, 18, 10, 22),
        "approved_at": datetime(2018, 11, 20, 8, 0),
    }
    values.update(changes)
    return CardRecord(**values)  # type: ignore[arg-type]


def make_photo(width: int = 600, height: int = 800, seed: int = 1) -> bytes:
    """A noisy portrait-sized JPEG: hard to compress, like a real face photo."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 190, width)[None, :, None]
    pixels = (rng.random((height, width, 3)) * 60 + ramp).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=95)
    return out.getvalue()


def make_signature() -> bytes:
    image = Image.new("L", (600, 200), 255)
    ImageDraw.Draw(image).line([(50, 150), (200, 50), (300, 160), (500, 40)], fill=0, width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def make_media(photo: bytes | None = None) -> EnrolmentMedia:
    prints = (
        Fingerprint("right_index", b"FMR\0" + bytes(range(256)) + bytes(60)),
        Fingerprint("left_index", b"FMR\0" + bytes(340)),
    )
    return EnrolmentMedia(photo or make_photo(), make_signature(), prints)


class ChipEncoder:
    """An encoder wired straight to a VirtualChip (no pcscd), following 61xx and 6Cxx."""

    reader_name = "in-process"

    def __init__(self, virtual: VirtualChip, extended: bool = True) -> None:
        self.chip = virtual
        self.apdu_count = 0
        self.extended = extended

    @property
    def max_command_data(self) -> int:
        return 65535 if self.extended else 255

    @property
    def max_response_data(self) -> int:
        return 65536 if self.extended else 256

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.apdu_count += 1
        reply = self.chip.process(apdu)
        data, sw = reply[:-2], int.from_bytes(reply[-2:], "big")
        while sw >> 8 == 0x61:
            self.apdu_count += 1
            more = self.chip.process(bytes([0, 0xC0, 0, 0, sw & 0xFF]))
            data, sw = data + more[:-2], int.from_bytes(more[-2:], "big")
        return data, sw


# --- build_files ---------------------------------------------------------------------------


def test_build_files_fits_capacity_and_keeps_room_for_the_security_object() -> None:
    files = chip.build_files(make_record(), make_media(make_photo(1200, 1600)))
    total = sum(len(v) for v in files.values())
    assert set(files) == {0x6FF0, 0x6FF1, 0x6FF2, 0x6FF3, 0x6FF4, 0x6FF5}
    assert total <= 8192 - chip.SECURITY_RESERVE
    photo = Image.open(io.BytesIO(files[chip.EF_PHOTO]))
    assert photo.format == "JPEG"
    assert photo.size[0] <= chip.PHOTO_SIZE[0] and photo.size[1] <= chip.PHOTO_SIZE[1]


def test_a_smaller_chip_gets_a_smaller_photo() -> None:
    big = chip.build_files(make_record(), make_media(), capacity=8192)
    small = chip.build_files(make_record(), make_media(), capacity=6144)
    assert len(small[chip.EF_PHOTO]) < len(big[chip.EF_PHOTO])
    assert sum(len(v) for v in small.values()) <= 6144 - chip.SECURITY_RESERVE


def test_photo_below_the_quality_floor_is_refused() -> None:
    with pytest.raises(ChipError, match=r"photo does not fit.*quality 25 and 90x120"):
        chip.build_files(make_record(), make_media(), capacity=3400)


def test_photo_steps_down_in_resolution_before_failing() -> None:
    files = chip.build_files(make_record(), make_media(), capacity=3600)
    photo = Image.open(io.BytesIO(files[chip.EF_PHOTO]))
    assert photo.size[0] < chip.PHOTO_SIZE[0]
    assert photo.size[0] >= chip.PHOTO_MIN_SIZE[0]
    assert sum(len(v) for v in files.values()) <= 3600 - chip.SECURITY_RESERVE


def test_profile_carries_the_configured_capacity() -> None:
    profile = chip.chip_profile("ektp", 16384)
    assert profile.capacity == 16384
    assert profile.df == chip.DF_EKTP
    assert chip.chip_profile("ektp") is chip.PROFILES["ektp"]
    with pytest.raises(ChipError, match="unknown chip profile"):
        chip.chip_profile("passport")


def test_signature_is_a_small_one_bit_png() -> None:
    files = chip.build_files(make_record(), make_media())
    signature = Image.open(io.BytesIO(files[chip.EF_SIGNATURE]))
    assert signature.mode == "1"
    assert len(files[chip.EF_SIGNATURE]) <= chip.SIGNATURE_BUDGET


def test_biodata_round_trips_through_ber_tlv() -> None:
    record = make_record(citizenship="WNA", valid_until=date(2023, 8, 17))
    fields = decode_biodata(chip.build_files(record, make_media())[chip.EF_BIODATA])
    assert fields["nik"] == "5371015708900002"
    assert fields["name"] == "MARIA MAGDALENA DA SILVA"
    assert fields["birth_date"] == "19900817"
    assert fields["valid_until"] == "20230817"
    assert fields["address.rw"] == "002"
    assert fields["address.province"] == "NUSA TENGGARA TIMUR"


def test_capabilities_list_the_files_written() -> None:
    files = chip.build_files(make_record(), make_media())
    caps = decode_capabilities(files[chip.EF_CAPABILITIES])
    assert caps["capacity"] == 8192
    assert caps["files"] == sorted(files)


def test_fingerprints_are_written_as_given() -> None:
    media = make_media()
    files = chip.build_files(make_record(), media)
    assert files[chip.EF_MINUTIAE_1] == media.fingerprints[0].template
    assert files[chip.EF_MINUTIAE_2] == media.fingerprints[1].template


def test_a_template_that_is_not_iso_19794_2_is_refused() -> None:
    media = EnrolmentMedia(make_photo(), make_signature(), (Fingerprint("right_index", b"xx"),))
    with pytest.raises(ChipError, match="right_index"):
        chip.build_files(make_record(), media)


def test_long_tlv_lengths() -> None:
    value = bytes(300)
    encoded = tlv(0x5F2E, value)
    assert encoded[:5] == bytes([0x5F, 0x2E, 0x82, 0x01, 0x2C])
    assert list(iter_tlv(encoded)) == [(0x5F2E, value)]


# --- personalisation ----------------------------------------------------------------------


@pytest.mark.parametrize("extended", [True, False])
def test_personalise_then_read_back(extended: bool) -> None:
    files = chip.build_files(make_record(), make_media())
    encoder = ChipEncoder(VirtualChip("201811000001", extended=extended), extended)
    result = chip.personalise(encoder, files)
    assert result.serial == "201811000001"
    assert result.bytes_written == sum(len(v) for v in files.values())
    assert chip.read_files(encoder) == files
    assert result.locked
    assert result.apdus == (24 if extended else 68)


def test_a_full_chip_is_a_chip_error() -> None:
    files = chip.build_files(make_record(), make_media())
    encoder = ChipEncoder(VirtualChip("201811000002", capacity=4096))
    with pytest.raises(ChipError, match="full") as caught:
        chip.personalise(encoder, files)
    assert caught.value.sw == 0x6A84


def test_a_byte_changed_on_the_chip_fails_verification() -> None:
    class FlippingChip(VirtualChip):
        def write(self, offset: int, data: bytes) -> None:
            super().write(offset, data[:-1] + bytes([data[-1] ^ 0xFF]))

    files = {chip.EF_BIODATA: b"\xe1\x03\xc1\x01A"}
    with pytest.raises(ChipVerificationFailed, match="6FF1"):
        chip.personalise(ChipEncoder(FlippingChip("201811000003")), files)


def test_reading_an_unpersonalised_chip_says_so() -> None:
    with pytest.raises(ChipError, match="never personalised"):
        chip.read_files(ChipEncoder(VirtualChip("201811000004")))
