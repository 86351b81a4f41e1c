"""The station's plain data types, shared by intake, layout, chip and jobs.

No I/O and no database here: these are the values that move between layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

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
