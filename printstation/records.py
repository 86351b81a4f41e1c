"""The station's plain data types, shared by intake, layout, chip and jobs.

No I/O and no database here: these are the values that move between layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Sex = Literal["L", "P"]
IssueReason = Literal["new", "lost", "damaged", "data_change"]

RELIGIONS = (
    "ISLAM",
    "KRISTEN",
    "KATOLIK",
    "HINDU",
    "BUDDHA",
    "KHONGHUCU",
    "KEPERCAYAAN TERHADAP TUHAN YME",
)
MARITAL_STATUSES = ("BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI")
BLOOD_TYPES = ("A", "B", "AB", "O", "A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-", "-")
CITIZENSHIPS = ("WNI", "WNA")
ISSUE_REASONS = ("new", "lost", "damaged", "data_change")
FINGERS = (
    "right_thumb",
    "right_index",
    "right_middle",
    "right_ring",
    "right_little",
    "left_thumb",
    "left_index",
    "left_middle",
    "left_ring",
    "left_little",
)


@dataclass(frozen=True)
class Address:
    street: str
    rt: str
    rw: str
    village: str
    district: str
    regency: str
    province: str


@dataclass(frozen=True)
class CardRecord:
    """One approved enrolment's printable and encodable content (upper-case text)."""

    enrolment_id: str
    nik: str
    name: str
    birth_place: str
    birth_date: date
    sex: Sex
    blood_type: str
    address: Address
    religion: str
    marital_status: str
    occupation: str
    citizenship: str
    valid_until: date | None
    recorded_at: datetime
    approved_at: datetime
    issue_reason: IssueReason = "new"
    replaces_serial: str | None = None

    @property
    def sex_text(self) -> str:
        return "LAKI-LAKI" if self.sex == "L" else "PEREMPUAN"

    @property
    def valid_until_text(self) -> str:
        if self.valid_until is None:
            return "SEUMUR HIDUP"
        return self.valid_until.strftime("%d-%m-%Y")


@dataclass(frozen=True)
class Fingerprint:
    finger: str
    #: ISO/IEC 19794-2 finger minutiae record, starting b"FMR\\0".
    template: bytes


@dataclass(frozen=True)
class EnrolmentMedia:
    """The media of one enrolment, as stored after import (already normalised)."""

    #: JPEG, cropped to the card's photo aspect at the resolution the face needs.
    photo: bytes
    #: PNG, the holder's signature on white.
    signature: bytes
    fingerprints: tuple[Fingerprint, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class IssueInfo:
    """What the station adds at print time."""

    place: str
    date: date


def record_to_dict(r: CardRecord) -> dict[str, object]:
    """The record as JSON-able values, in the field names of the import format."""
    a = r.address
    return {
        "enrolment_id": r.enrolment_id,
        "nik": r.nik,
        "name": r.name,
        "birth_place": r.birth_place,
        "birth_date": r.birth_date.isoformat(),
        "sex": r.sex,
        "blood_type": r.blood_type,
        "address": {
            "street": a.street,
            "rt": a.rt,
            "rw": a.rw,
            "village": a.village,
            "district": a.district,
            "regency": a.regency,
            "province": a.province,
        },
        "religion": r.religion,
        "marital_status": r.marital_status,
        "occupation": r.occupation,
        "citizenship": r.citizenship,
        "valid_until": r.valid_until.isoformat() if r.valid_until else None,
        "recorded_at": r.recorded_at.isoformat(),
        "approved_at": r.approved_at.isoformat(),
        "issue_reason": r.issue_reason,
        "replaces_serial": r.replaces_serial,
    }


def record_from_dict(d: dict[str, Any]) -> CardRecord:
    """The inverse of record_to_dict (for values already validated)."""
    return CardRecord(
        enrolment_id=d["enrolment_id"],
        nik=d["nik"],
        name=d["name"],
        birth_place=d["birth_place"],
        birth_date=date.fromisoformat(d["birth_date"]),
        sex=d["sex"],
        blood_type=d["blood_type"],
        address=Address(**d["address"]),
        religion=d["religion"],
        marital_status=d["marital_status"],
        occupation=d["occupation"],
        citizenship=d["citizenship"],
        valid_until=date.fromisoformat(d["valid_until"]) if d.get("valid_until") else None,
        recorded_at=datetime.fromisoformat(d["recorded_at"]),
        approved_at=datetime.fromisoformat(d["approved_at"]),
        issue_reason=d.get("issue_reason", "new"),
        replaces_serial=d.get("replaces_serial"),
    )
