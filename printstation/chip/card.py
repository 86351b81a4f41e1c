"""The e-KTP chip: its file profile, the bytes each file holds, and personalisation.

``build_files`` turns an approved record and its media into file contents that fit
the chip, signed by the station's document signer (EF 6FF6); ``personalise`` writes
them through an encoder, reads every file back and checks its hash, then locks the
chip; ``read_serial`` identifies the blank; ``read_card`` reads an issued chip. The
APDUs and the file formats are described in docs/chip.md.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

from printstation.chip.security_object import build_security_object
from printstation.chip.tlv import encode_biodata, encode_capabilities
from printstation.errors import ChipError, ChipVerificationFailed
from printstation.records import CardRecord, EnrolmentMedia

if TYPE_CHECKING:
    from printstation.chip.pki import Signer

MF = 0x3F00
DF_EKTP = 0x7F0A
EF_CAPABILITIES = 0x6FF0
EF_BIODATA = 0x6FF1
EF_PHOTO = 0x6FF2
EF_SIGNATURE = 0x6FF3
EF_MINUTIAE_1 = 0x6FF4
EF_MINUTIAE_2 = 0x6FF5
EF_SECURITY = 0x6FF6
DEFAULT_CAPACITY = 8192
#: Bytes kept for the signed security object (EF 6FF6).
SECURITY_RESERVE = 1536

FILE_NAMES: dict[int, str] = {
    EF_CAPABILITIES: "capabilities",
    EF_BIODATA: "biodata",
    EF_PHOTO: "photo",
    EF_SIGNATURE: "signature",
    EF_MINUTIAE_1: "minutiae 1",
    EF_MINUTIAE_2: "minutiae 2",
    EF_SECURITY: "security object",
}
PROFILE_FILES = tuple(FILE_NAMES)
#: The files the security object signs (all but itself).
DATA_FILES = tuple(fid for fid in PROFILE_FILES if fid != EF_SECURITY)
MINUTIAE_FILES = (EF_MINUTIAE_1, EF_MINUTIAE_2)

#: Photo on the chip: at most this size (3:4, as on the card), JPEG quality searched.
PHOTO_SIZE = (150, 200)
#: Below this size a photo no longer identifies its holder: the job fails instead.
PHOTO_MIN_SIZE = (90, 120)
#: Each step down in resolution keeps this share of the width and height.
PHOTO_SIZE_STEP = 0.9
PHOTO_QUALITY_MAX = 90
PHOTO_QUALITY_FLOOR = 25
#: Signature on the chip: 1-bit PNG of the ink's bounding box, at most this size.
SIGNATURE_SIZE = (240, 96)
SIGNATURE_BUDGET = 1024
SIGNATURE_INK_THRESHOLD = 128

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_WRONG_LENGTH = 0x6700
SW_FILE_NOT_FOUND = 0x6A82
SW_NOT_ENOUGH_MEMORY = 0x6A84
SW_FILE_EXISTS = 0x6A89
SW_LOCKED = 0x6985
GET_SERIAL = bytes.fromhex("00CA010100")
#: Proprietary end of personalisation: afterwards the chip refuses writes (6985).
LOCK = bytes.fromhex("80F00000")
LCS_OPERATIONAL = 0x05
DESCRIPTOR_EF = 0x01
DESCRIPTOR_DF = 0x38
MAX_OFFSET = 0x7FFF


class Encoder(Protocol):
    """What chip.py needs of an encoder (drivers.encoder.PcscEncoder has it)."""

    reader_name: str
    apdu_count: int

    @property
    def max_command_data(self) -> int: ...

    @property
    def max_response_data(self) -> int: ...

    def transmit(self, apdu: bytes) -> tuple[bytes, int]: ...


@dataclass(frozen=True)
class ChipProfile:
    """The chip as configured: its layout, capacity and the photo's limits."""

    name: str = "ektp"
    df: int = DF_EKTP
    files: tuple[int, ...] = PROFILE_FILES
    capacity: int = DEFAULT_CAPACITY
    security_reserve: int = SECURITY_RESERVE
    photo_size: tuple[int, int] = PHOTO_SIZE
    photo_min_size: tuple[int, int] = PHOTO_MIN_SIZE
    photo_quality_max: int = PHOTO_QUALITY_MAX
    photo_quality_floor: int = PHOTO_QUALITY_FLOOR


PROFILES: dict[str, ChipProfile] = {"ektp": ChipProfile()}


def chip_profile(name: str = "ektp", capacity: int | None = None) -> ChipProfile:
    """The named profile (``[chip] profile``), with the configured capacity."""
    base = PROFILES.get(name)
    if base is None:
        raise ChipError(f"unknown chip profile {name!r}: known are {', '.join(PROFILES)}")
    if capacity is None or capacity == base.capacity:
        return base
    return ChipProfile(**{**base.__dict__, "capacity": capacity})


@dataclass(frozen=True)
class PersonalisationResult:
    serial: str
    apdus: int
    bytes_written: int
    locked: bool = False


@dataclass
class ChipContent:
    """What a reader finds on a chip: its serial, its files and whether it is locked."""

    serial: str
    files: dict[int, bytes] = field(default_factory=dict)
    locked: bool = False


def file_label(fid: int) -> str:
    return f"EF {fid:04X} ({FILE_NAMES.get(fid, 'unknown')})"


# --- content ----------------------------------------------------------------------------


def _photo_sizes(profile: ChipProfile) -> list[tuple[int, int]]:
    sizes = [profile.photo_size]
    width, height = profile.photo_size
    while True:
        width, height = int(width * PHOTO_SIZE_STEP), int(height * PHOTO_SIZE_STEP)
        if width < profile.photo_min_size[0] or height < profile.photo_min_size[1]:
            break
        sizes.append((width, height))
    if sizes[-1] != profile.photo_min_size:
        sizes.append(profile.photo_min_size)
    return sizes


def compress_photo(photo: bytes, budget: int, profile: ChipProfile | None = None) -> bytes:
    """The photo as a JPEG within ``budget`` bytes: best quality first, then smaller.

    The JPEG quality is searched (binary search) from the profile's maximum down to its
    floor at full size; if even the floor does not fit, the resolution steps down to
    the profile's minimum. Below both floors the photo would be useless: ChipError.
    """
    profile = profile or PROFILES["ektp"]
    try:
        original = ImageOps.exif_transpose(Image.open(io.BytesIO(photo))).convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise ChipError(f"the photo cannot be read: {exc}") from exc

    smallest = 0
    for size in _photo_sizes(profile):
        image = original.copy()
        image.thumbnail(size, Image.Resampling.LANCZOS)

        def encode(quality: int, image: Image.Image = image) -> bytes:
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality, optimize=True, subsampling=2)
            return out.getvalue()

        floor = encode(profile.photo_quality_floor)
        smallest = len(floor)
        if smallest > budget:
            continue
        best, low, high = floor, profile.photo_quality_floor + 1, profile.photo_quality_max
        while low <= high:
            quality = (low + high) // 2
            candidate = encode(quality)
            if len(candidate) <= budget:
                best, low = candidate, quality + 1
            else:
                high = quality - 1
        return best
    width, height = profile.photo_min_size
    raise ChipError(
        f"the photo does not fit the chip: {smallest} bytes at JPEG quality "
        f"{profile.photo_quality_floor} and {width}x{height}, {budget} bytes left for it; "
        "re-take a plainer photo (even background) or use a larger chip profile"
    )


def compress_signature(signature: bytes, budget: int = SIGNATURE_BUDGET) -> bytes:
    """The signature's ink, cropped, as a 1-bit PNG within ``budget`` bytes."""
    try:
        image = Image.open(io.BytesIO(signature))
        gray = ImageOps.exif_transpose(image).convert("L")
    except (UnidentifiedImageError, OSError) as exc:
        raise ChipError(f"the signature cannot be read: {exc}") from exc
    ink = gray.point(lambda v: 255 if v < SIGNATURE_INK_THRESHOLD else 0)
    box = ink.getbbox()
    if box is not None:
        gray = gray.crop(box)
    size = SIGNATURE_SIZE
    while size[0] >= 32:
        scaled = gray.copy()
        scaled.thumbnail(size, Image.Resampling.LANCZOS)
        bits = scaled.point(lambda v: 255 if v >= SIGNATURE_INK_THRESHOLD else 0).convert("1")
        out = io.BytesIO()
        bits.save(out, "PNG", optimize=True)
        if out.tell() <= budget:
            return out.getvalue()
        size = (size[0] * 3 // 4, size[1] * 3 // 4)
    raise ChipError(f"the signature does not fit in {budget} bytes")


def build_files(
    record: CardRecord,
    media: EnrolmentMedia,
    capacity: int = DEFAULT_CAPACITY,
    *,
    signer: Signer | None = None,
    signed: bool | None = None,
    security_reserve: int | None = None,
    profile: ChipProfile | None = None,
) -> dict[int, bytes]:
    """The content of each EF of DF 7F0A for one card; the photo takes what is left.

    With a ``signer`` EF 6FF6 holds the security object signing every other file;
    without one it is left out (the chip is then not signed), its room still kept.
    ``signed=True`` without a signer builds the files of a card to be signed later with
    ``add_security_object`` (rendering in another process, signing where the key is).
    """
    profile = profile or chip_profile(capacity=capacity)
    reserve = profile.security_reserve if security_reserve is None else security_reserve
    if len(media.fingerprints) > len(MINUTIAE_FILES):
        raise ChipError(
            f"the chip holds {len(MINUTIAE_FILES)} fingerprint templates, "
            f"the enrolment has {len(media.fingerprints)}"
        )
    files: dict[int, bytes] = {EF_BIODATA: encode_biodata(record)}
    for fid, finger in zip(MINUTIAE_FILES, media.fingerprints, strict=False):
        if not finger.template.startswith(b"FMR\0"):
            raise ChipError(f"the {finger.finger} template is not an ISO 19794-2 record")
        files[fid] = finger.template
    files[EF_SIGNATURE] = compress_signature(media.signature)
    fids = [EF_CAPABILITIES, EF_PHOTO, *files]
    if signer is not None or signed:
        fids.append(EF_SECURITY)
    files[EF_CAPABILITIES] = encode_capabilities(profile.capacity, fids)
    budget = profile.capacity - reserve - sum(len(v) for v in files.values())
    if budget <= 0:
        raise ChipError(f"no room for the photo on a {profile.capacity}-byte chip")
    files[EF_PHOTO] = compress_photo(media.photo, budget, profile)
    if signer is not None:
        return add_security_object(files, signer, profile.capacity)
    return dict(sorted(files.items()))


def add_security_object(
    files: dict[int, bytes], signer: Signer, capacity: int = DEFAULT_CAPACITY
) -> dict[int, bytes]:
    """The files with EF 6FF6: the security object signing every other file."""
    unsigned = {fid: data for fid, data in files.items() if fid != EF_SECURITY}
    sod = build_security_object(unsigned, signer)
    room = capacity - sum(len(v) for v in unsigned.values())
    if len(sod) > room:
        raise ChipError(
            f"the security object takes {len(sod)} bytes, more than the {room} left "
            "for it: use a signer certificate with a smaller key (EC P-256)"
        )
    return dict(sorted({**unsigned, EF_SECURITY: sod}.items()))


# --- APDUs --------------------------------------------------------------------------------


def _check(encoder: Encoder, sw: int, doing: str, *allowed: int) -> None:
    if sw == SW_LOCKED and sw not in allowed:
        raise ChipError(
            f"the chip in reader {encoder.reader_name!r} refused {doing} (SW 6985): "
            "it is locked, personalised before; reject the card",
            where=encoder.reader_name,
            sw=sw,
        )
    if sw != SW_OK and sw not in allowed:
        raise ChipError(
            f"the chip in reader {encoder.reader_name!r} refused {doing} (SW {sw:04X})",
            where=encoder.reader_name,
            sw=sw,
        )


def _apdu(cla: int, ins: int, p1: int, p2: int, data: bytes = b"", ne: int | None = None) -> bytes:
    """Build a command APDU, extended when the data or Ne need it."""
    extended = len(data) > 255 or (ne is not None and ne > 256)
    header = bytes([cla, ins, p1, p2])
    if not extended:
        body = (bytes([len(data)]) + data) if data else b""
        if ne is not None:
            body += bytes([ne & 0xFF])
        return header + body
    body = (b"\x00" + len(data).to_bytes(2, "big") + data) if data else b""
    if ne is not None:
        body += (b"" if data else b"\x00") + (ne & 0xFFFF).to_bytes(2, "big")
    return header + body


def read_serial(encoder: Encoder) -> str:
    """The blank's chip serial (GET DATA 00 CA 01 01)."""
    data, sw = encoder.transmit(GET_SERIAL)
    _check(encoder, sw, "GET DATA (chip serial)")
    try:
        serial = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise ChipError(f"the chip serial is not text: {data.hex()}") from exc
    if not serial.isalnum():
        raise ChipError(f"the chip serial {serial!r} is not letters and digits")
    return serial


def select(encoder: Encoder, p1: int, fid: int) -> int:
    """SELECT without answer data; return the status word (9000 or 6A82)."""
    _, sw = encoder.transmit(_apdu(0x00, 0xA4, p1, 0x0C, fid.to_bytes(2, "big")))
    _check(encoder, sw, f"SELECT {fid:04X}", SW_FILE_NOT_FOUND)
    return sw


def _fcp(fid: int, size: int | None) -> bytes:
    body = b""
    if size is not None:
        body += b"\x80\x02" + size.to_bytes(2, "big")
    body += bytes([0x82, 0x01, DESCRIPTOR_DF if size is None else DESCRIPTOR_EF])
    body += b"\x83\x02" + fid.to_bytes(2, "big")
    return bytes([0x62, len(body)]) + body


def create_file(encoder: Encoder, fid: int, size: int | None) -> int:
    """CREATE FILE (a DF when ``size`` is None); the new file is then selected."""
    _, sw = encoder.transmit(_apdu(0x00, 0xE0, 0x00, 0x00, _fcp(fid, size)))
    label = file_label(fid) if size is not None else f"DF {fid:04X}"
    if sw == SW_NOT_ENOUGH_MEMORY:
        raise ChipError(
            f"the chip in reader {encoder.reader_name!r} is full: no room for {label} "
            f"({size} bytes)",
            where=encoder.reader_name,
            sw=sw,
        )
    _check(encoder, sw, f"CREATE FILE {label}", SW_FILE_EXISTS)
    return sw


def select_ef_size(encoder: Encoder, fid: int) -> int | None:
    """SELECT an EF of the current DF answering its FCP; its size, or None if absent."""
    data, sw = encoder.transmit(_apdu(0x00, 0xA4, 0x02, 0x04, fid.to_bytes(2, "big"), 256))
    _check(encoder, sw, f"SELECT {file_label(fid)}", SW_FILE_NOT_FOUND)
    if sw == SW_FILE_NOT_FOUND:
        return None
    pos = data.find(b"\x80\x02")
    if not data.startswith(b"\x62") or pos < 0:
        raise ChipError(f"the chip gave no size for {file_label(fid)}: {data.hex()}")
    return int.from_bytes(data[pos + 2 : pos + 4], "big")


def update_binary(encoder: Encoder, fid: int, content: bytes) -> None:
    chunk = max(1, min(encoder.max_command_data, MAX_OFFSET))
    offset = 0
    while offset < len(content):
        part = content[offset : offset + chunk]
        cmd = _apdu(0x00, 0xD6, offset >> 8, offset & 0xFF, part)
        _, sw = encoder.transmit(cmd)
        _check(encoder, sw, f"UPDATE BINARY {file_label(fid)} at offset {offset}")
        offset += len(part)


def read_binary(encoder: Encoder, fid: int, size: int) -> bytes:
    chunk = max(1, min(encoder.max_response_data, 0xFFFF))
    out = bytearray()
    while len(out) < size:
        want = min(chunk, size - len(out))
        offset = len(out)
        if offset > MAX_OFFSET:
            raise ChipError(f"{file_label(fid)} is too large to read ({size} bytes)")
        data, sw = encoder.transmit(_apdu(0x00, 0xB0, offset >> 8, offset & 0xFF, ne=want))
        _check(encoder, sw, f"READ BINARY {file_label(fid)} at offset {offset}", SW_END_OF_FILE)
        if not data:
            break
        out += data
    return bytes(out)


def _select_df(encoder: Encoder, create: bool) -> None:
    select(encoder, 0x00, MF)
    if select(encoder, 0x01, DF_EKTP) == SW_FILE_NOT_FOUND:
        if not create:
            raise ChipError(
                f"the chip in reader {encoder.reader_name!r} holds no e-KTP application "
                f"(DF {DF_EKTP:04X}): it was never personalised",
                where=encoder.reader_name,
                sw=SW_FILE_NOT_FOUND,
            )
        create_file(encoder, DF_EKTP, None)


def _first_difference(back: bytes, content: bytes) -> int:
    return next(
        (i for i, (a, b) in enumerate(zip(back, content, strict=False)) if a != b),
        min(len(back), len(content)),
    )


def lock(encoder: Encoder) -> None:
    """End personalisation (LOCK ``80 F0 00 00``): the chip refuses writes from now on."""
    _, sw = encoder.transmit(LOCK)
    _check(encoder, sw, "LOCK (end of personalisation)")


def read_locked(encoder: Encoder) -> bool:
    """Whether DF 7F0A is locked: its FCP life-cycle byte (8A) says operational (05)."""
    data, sw = encoder.transmit(_apdu(0x00, 0xA4, 0x00, 0x04, DF_EKTP.to_bytes(2, "big"), 256))
    _check(encoder, sw, f"SELECT DF {DF_EKTP:04X}", SW_FILE_NOT_FOUND)
    pos = data.find(b"\x8a\x01")
    return sw == SW_OK and pos >= 0 and data[pos + 2 : pos + 3] == bytes([LCS_OPERATIONAL])


def personalise(
    encoder: Encoder, files: dict[int, bytes], *, lock_chip: bool = True
) -> PersonalisationResult:
    """Write ``files`` into DF 7F0A of the chip in the encoder, check each, then lock it.

    Every file is read back and its SHA-256 compared with what was written before the
    next one starts; only a chip whose every file checked is locked. Raises ChipError
    when the chip refuses a command (full: 6A84; locked: 6985) and
    ChipVerificationFailed when a file reads back different or the lock did not hold.
    """
    start = encoder.apdu_count
    serial = read_serial(encoder)
    _select_df(encoder, create=True)
    written = 0
    for fid, content in sorted(files.items()):
        if not content:
            raise ChipError(f"{file_label(fid)} is empty: nothing to write")
        if create_file(encoder, fid, len(content)) == SW_FILE_EXISTS:
            size = select_ef_size(encoder, fid)
            if size != len(content):
                raise ChipError(
                    f"{file_label(fid)} already exists on chip {serial} with {size} bytes: "
                    "the chip was written before",
                    where=encoder.reader_name,
                    sw=SW_FILE_EXISTS,
                )
        update_binary(encoder, fid, content)
        written += len(content)
        back = read_binary(encoder, fid, len(content))
        if hashlib.sha256(back).digest() != hashlib.sha256(content).digest():
            raise ChipVerificationFailed(
                f"{file_label(fid)} on chip {serial} reads back different from what was "
                f"written (first difference at byte {_first_difference(back, content)}): "
                "reject the card",
                where=encoder.reader_name,
            )
    locked = False
    if lock_chip:
        lock(encoder)
        if not read_locked(encoder):
            raise ChipVerificationFailed(
                f"chip {serial} accepted LOCK but does not report itself locked: reject the card",
                where=encoder.reader_name,
            )
        locked = True
    return PersonalisationResult(serial, encoder.apdu_count - start, written, locked)


def read_files(encoder: Encoder) -> dict[int, bytes]:
    """Read every profile file present in DF 7F0A."""
    _select_df(encoder, create=False)
    out: dict[int, bytes] = {}
    for fid in PROFILE_FILES:
        size = select_ef_size(encoder, fid)
        if size is not None:
            out[fid] = read_binary(encoder, fid, size)
    return out


def read_card(encoder: Encoder) -> ChipContent:
    """Serial, files and lock state of the chip in the encoder (nothing is written)."""
    serial = read_serial(encoder)
    files = read_files(encoder)
    return ChipContent(serial, files, read_locked(encoder))
