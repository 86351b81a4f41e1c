"""NIK (Nomor Induk Kependudukan) rules: ``PP KK CC DDMMYY SSSS``.

PP province, KK regency/city, CC district at registration, DDMMYY the birth date
(women: DD + 40), SSSS a serial from 0001. The year has two digits: a NIK alone says
the century only by the rule that nobody is born in the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from printstation.errors import InvalidNIK
from printstation.intake.regions import Regions
from printstation.records import Sex

NIK_LENGTH = 16
FEMALE_DAY_OFFSET = 40


@dataclass(frozen=True)
class NikParts:
    province: str  # PP
    regency: str  # KK
    district: str  # CC
    birth_date: date
    sex: Sex
    serial: str  # SSSS

    @property
    def regency_code(self) -> str:
        return self.province + self.regency

    @property
    def district_code(self) -> str:
        return self.province + self.regency + self.district


def _birth_date(day: int, month: int, yy: int, today: date, nik: str) -> date:
    for year in (2000 + yy, 1900 + yy):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    raise InvalidNIK(
        f"birth date {day:02d}-{month:02d}-{yy:02d} (digits 7-12) is not a real date", where=nik
    )


def parse_nik(nik: str, *, today: date | None = None) -> NikParts:
    """Split a NIK into its parts; raise InvalidNIK saying exactly what is wrong."""
    if not isinstance(nik, str):
        raise InvalidNIK(f"NIK must be text, got {type(nik).__name__}")
    if len(nik) != NIK_LENGTH:
        raise InvalidNIK(f"NIK must have 16 digits, got {len(nik)} characters", where=nik)
    bad = [c for c in nik if c not in "0123456789"]
    if bad:
        raise InvalidNIK(f"NIK must be digits only, found {bad[0]!r}", where=nik)
    province, regency, district = nik[0:2], nik[2:4], nik[4:6]
    for what, code in (("province", province), ("regency", regency), ("district", district)):
        if code == "00":
            raise InvalidNIK(f"{what} code 00 does not exist", where=nik)
    day_field, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if 1 <= day_field <= 31:
        sex: Sex = "L"
        day = day_field
    elif FEMALE_DAY_OFFSET + 1 <= day_field <= FEMALE_DAY_OFFSET + 31:
        sex = "P"
        day = day_field - FEMALE_DAY_OFFSET
    else:
        raise InvalidNIK(
            f"day field {day_field:02d} (digits 7-8) must be 01-31 (men) or 41-71 (women)",
            where=nik,
        )
    if not 1 <= month <= 12:
        raise InvalidNIK(f"month {month:02d} (digits 9-10) must be 01-12", where=nik)
    birth = _birth_date(day, month, yy, today or date.today(), nik)
    serial = nik[12:16]
    if serial == "0000":
        raise InvalidNIK(
            "serial 0000 (digits 13-16) is not issued; serials start at 0001", where=nik
        )
    return NikParts(province, regency, district, birth, sex, serial)


def check_nik(nik: str, birth_date: date, sex: Sex, regions: Regions) -> NikParts:
    """Check a NIK against its holder's birth date and sex and the region table.

    The birth date is compared on day, month and the year's last two digits, so a
    holder born more than a century ago is not mistaken for a child.
    """
    parts = parse_nik(nik, today=max(date.today(), birth_date))
    if sex not in ("L", "P"):
        raise InvalidNIK(f"sex must be L or P, got {sex!r}", where=nik)
    day_field = int(nik[6:8])
    expected_day = birth_date.day + (FEMALE_DAY_OFFSET if sex == "P" else 0)
    if parts.sex != sex:
        said = "a woman (day + 40)" if parts.sex == "P" else "a man"
        raise InvalidNIK(f"NIK says {said} but the record says sex {sex}", where=nik)
    if (day_field, int(nik[8:10]), int(nik[10:12])) != (
        expected_day,
        birth_date.month,
        birth_date.year % 100,
    ):
        raise InvalidNIK(
            f"NIK birth date {nik[6:12]} disagrees with the record's birth date "
            f"{birth_date:%d-%m-%Y} (expected {expected_day:02d}{birth_date:%m%y})",
            where=nik,
        )
    if regions.province(parts.province) is None:
        raise InvalidNIK(f"province {parts.province} is not in the region table", where=nik)
    if regions.regencies_of(parts.province) and regions.regency(parts.regency_code) is None:
        raise InvalidNIK(f"regency {parts.regency_code} is not in the region table", where=nik)
    if regions.districts_of(parts.regency_code) and regions.district(parts.district_code) is None:
        raise InvalidNIK(f"district {parts.district_code} is not in the region table", where=nik)
    return parts


def make_nik(
    province: str, regency: str, district: str, birth_date: date, sex: Sex, serial: int
) -> str:
    """Compose a NIK from two-digit province, regency and district codes."""
    for what, code in (("province", province), ("regency", regency), ("district", district)):
        if len(code) != 2 or not code.isdigit() or code == "00":
            raise ValueError(f"{what} code must be two digits 01-99, got {code!r}")
    if sex not in ("L", "P"):
        raise ValueError(f"sex must be L or P, got {sex!r}")
    if not 1 <= serial <= 9999:
        raise ValueError(f"serial must be 1-9999, got {serial}")
    day = birth_date.day + (FEMALE_DAY_OFFSET if sex == "P" else 0)
    return (
        f"{province}{regency}{district}{day:02d}{birth_date:%m}{birth_date.year % 100:02d}"
        f"{serial:04d}"
    )
