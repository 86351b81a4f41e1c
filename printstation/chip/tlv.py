"""BER-TLV for the chip's data files, and the biodata (EF 6FF1) and capabilities
(EF 6FF0) encodings. The tags are listed in docs/chip.md."""

from __future__ import annotations

from collections.abc import Iterator

from printstation.errors import ChipError
from printstation.records import CardRecord

#: Biodata template and its fields, in the order written.
TAG_BIODATA = 0xE1
TAG_ADDRESS = 0xE2
BIODATA_TAGS: dict[str, int] = {
    "nik": 0xC1,
    "name": 0xC2,
    "birth_place": 0xC3,
    "birth_date": 0xC4,
    "sex": 0xC5,
    "blood_type": 0xC6,
    "religion": 0xC7,
    "marital_status": 0xC8,
    "occupation": 0xC9,
    "citizenship": 0xCA,
    "valid_until": 0xCB,
    "issue_reason": 0xCC,
    "replaces_serial": 0xCD,
}
ADDRESS_TAGS: dict[str, int] = {
    "street": 0xC1,
    "rt": 0xC2,
    "rw": 0xC3,
    "village": 0xC4,
    "district": 0xC5,
    "regency": 0xC6,
    "province": 0xC7,
}

TAG_CAPABILITIES = 0xE0
TAG_PROFILE_VERSION = 0xC1
TAG_CAPACITY = 0xC2
TAG_FILE_LIST = 0xC3
TAG_PHOTO_FORMAT = 0xC4
TAG_SIGNATURE_FORMAT = 0xC5
TAG_MINUTIAE_FORMAT = 0xC6
PROFILE_VERSION = 1
FORMAT_JPEG = 0x01
FORMAT_PNG_1BIT = 0x02
FORMAT_ISO_19794_2 = 0x03
#: The value of valid_until for a card valid for life (WNI): "SEUMUR HIDUP".
LIFETIME = "00000000"


def encode_tag(tag: int) -> bytes:
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    if length <= 0xFF:
        return bytes([0x81, length])
    if length <= 0xFFFF:
        return bytes([0x82]) + length.to_bytes(2, "big")
    raise ChipError(f"a TLV value of {length} bytes is too long for the chip")


def tlv(tag: int, value: bytes) -> bytes:
    return encode_tag(tag) + encode_length(len(value)) + value


def iter_tlv(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Walk one level of BER-TLV: (tag, value) pairs. ChipError on malformed data."""
    pos = 0
    while pos < len(data):
        if data[pos] in (0x00, 0xFF):  # padding between objects
            pos += 1
            continue
        start = pos
        tag = data[pos]
        pos += 1
        if tag & 0x1F == 0x1F:
            while pos < len(data) and data[pos] & 0x80:
                tag, pos = (tag << 8) | data[pos], pos + 1
            if pos >= len(data):
                raise ChipError(f"truncated tag at offset {start}")
            tag, pos = (tag << 8) | data[pos], pos + 1
        if pos >= len(data):
            raise ChipError(f"missing length at offset {start}")
        length = data[pos]
        pos += 1
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 3 or pos + count > len(data):
                raise ChipError(f"bad length at offset {start}")
            length = int.from_bytes(data[pos : pos + count], "big")
            pos += count
        if pos + length > len(data):
            raise ChipError(f"value at offset {start} runs past the end")
        yield tag, data[pos : pos + length]
        pos += length


def _text(value: str) -> bytes:
    return value.encode("utf-8")


def encode_biodata(record: CardRecord) -> bytes:
    """EF 6FF1: the holder's biodata as template E1 (dates as YYYYMMDD)."""
    values: dict[str, str | None] = {
        "nik": record.nik,
        "name": record.name,
        "birth_place": record.birth_place,
        "birth_date": record.birth_date.strftime("%Y%m%d"),
        "sex": record.sex,
        "blood_type": record.blood_type,
        "religion": record.religion,
        "marital_status": record.marital_status,
        "occupation": record.occupation,
        "citizenship": record.citizenship,
        "valid_until": record.valid_until.strftime("%Y%m%d") if record.valid_until else LIFETIME,
        "issue_reason": record.issue_reason,
        "replaces_serial": record.replaces_serial,
    }
    body = bytearray()
    for name, tag in BIODATA_TAGS.items():
        value = values[name]
        if value is not None:
            body += tlv(tag, _text(value))
        if name == "blood_type":
            address = b"".join(
                tlv(atag, _text(getattr(record.address, field)))
                for field, atag in ADDRESS_TAGS.items()
            )
            body += tlv(TAG_ADDRESS, address)
    return tlv(TAG_BIODATA, bytes(body))


def decode_biodata(data: bytes) -> dict[str, str]:
    """Read EF 6FF1 back into field names (address fields prefixed ``address.``)."""
    templates = dict(iter_tlv(data))
    if TAG_BIODATA not in templates:
        raise ChipError("the biodata file holds no biodata template (E1)")
    names = {tag: name for name, tag in BIODATA_TAGS.items()}
    address_names = {tag: name for name, tag in ADDRESS_TAGS.items()}
    out: dict[str, str] = {}
    for tag, value in iter_tlv(templates[TAG_BIODATA]):
        if tag == TAG_ADDRESS:
            for atag, avalue in iter_tlv(value):
                if atag in address_names:
                    out[f"address.{address_names[atag]}"] = avalue.decode("utf-8")
        elif tag in names:
            out[names[tag]] = value.decode("utf-8")
    return out


def encode_capabilities(capacity: int, fids: list[int]) -> bytes:
    """EF 6FF0: profile version, capacity, the files written, and their formats."""
    body = (
        tlv(TAG_PROFILE_VERSION, bytes([PROFILE_VERSION]))
        + tlv(TAG_CAPACITY, capacity.to_bytes(2, "big"))
        + tlv(TAG_FILE_LIST, b"".join(fid.to_bytes(2, "big") for fid in sorted(fids)))
        + tlv(TAG_PHOTO_FORMAT, bytes([FORMAT_JPEG]))
        + tlv(TAG_SIGNATURE_FORMAT, bytes([FORMAT_PNG_1BIT]))
        + tlv(TAG_MINUTIAE_FORMAT, bytes([FORMAT_ISO_19794_2]))
    )
    return tlv(TAG_CAPABILITIES, body)


def decode_capabilities(data: bytes) -> dict[str, int | list[int]]:
    templates = dict(iter_tlv(data))
    if TAG_CAPABILITIES not in templates:
        raise ChipError("the capabilities file holds no template (E0)")
    fields = dict(iter_tlv(templates[TAG_CAPABILITIES]))
    files = fields.get(TAG_FILE_LIST, b"")
    return {
        "version": int.from_bytes(fields.get(TAG_PROFILE_VERSION, b"\0"), "big"),
        "capacity": int.from_bytes(fields.get(TAG_CAPACITY, b"\0"), "big"),
        "files": [int.from_bytes(files[i : i + 2], "big") for i in range(0, len(files), 2)],
    }
