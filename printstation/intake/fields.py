"""The rules one enrolment line's fields must keep before anything is stored.

Every rule raises ``FieldError`` naming the field (as written in the import format,
``address.street``, ``fingerprints[1].template``) and a reason an operator can act on.
Text is upper-cased and its spaces collapsed, as the format allows; then it must use
only what the card prints and must fit its place on the card face, measured with the
card template's own fonts and boxes, so a record accepted here never fails at print time.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from printstation.config import OfficeConfig
from printstation.errors import InputError
from printstation.intake.nik import check_nik
from printstation.intake.regions import Regions
from printstation.layout.face import field_values
from printstation.layout.template import Template
from printstation.layout.text import find_font, fit_text
from printstation.records import (
    BLOOD_TYPES,
    CITIZENSHIPS,
    ISSUE_REASONS,
    MARITAL_STATUSES,
    RELIGIONS,
    Address,
    CardRecord,
)

FORMAT_VERSION = 1
#: The office whose residents' addresses are accepted whatever their NIK's region, when
#: the caller does not name its own (the product's default office).
DEFAULT_HOME = OfficeConfig().regency
TEXT_ALLOWED = re.compile(r"^[A-Z0-9 .,'/()\-]*$")
#: Characters a text field may hold: a first, cheap limit before the card is measured.
TEXT_LIMITS = {
    "name": 60,
    "birth_place": 30,
    "occupation": 40,
    "street": 60,
    "village": 40,
    "district": 40,
    "regency": 40,
    "province": 40,
}
REQUIRED = (
    "format",
    "enrolment_id",
    "nik",
    "name",
    "birth_place",
    "birth_date",
    "sex",
    "blood_type",
    "address",
    "religion",
    "marital_status",
    "occupation",
    "citizenship",
    "photo",
    "signature",
    "fingerprints",
    "recorded_at",
    "approved_at",
    "issue_reason",
)
ADDRESS_REQUIRED = ("street", "rt", "rw", "village", "district", "regency", "province")
#: Nobody alive was born before this; an earlier date is a typing error.
EARLIEST_BIRTH = date(1900, 1, 1)
#: The face leaves this many dots free at a value's right end (glyph ink overhang).
_INK_SLACK = 4
#: Where a field's value sits on the face, for the operator's message.
_FIELD_OF_VALUE = {
    "birth": "birth_place",
    "street": "address.street",
    "village": "address.village",
    "district": "address.district",
    "rt_rw": "address.rt",
}


class FieldError(InputError):
    """A line's field is wrong; carries the field's name."""

    code = "enrolment_field"

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason, where=field_name)
        self.field = field_name


def text_field(obj: dict[str, Any], key: str, *, prefix: str = "", limit: int | None = None) -> str:
    name = prefix + key
    value = obj.get(key)
    if value is None:
        raise FieldError(name, "is missing: every record needs it")
    if not isinstance(value, str):
        raise FieldError(name, f"must be text, got {type(value).__name__}")
    value = " ".join(value.upper().split())
    if not value:
        raise FieldError(name, "is empty: every record needs it")
    if not TEXT_ALLOWED.match(value):
        bad = "".join(sorted({c for c in value if not TEXT_ALLOWED.match(c)}))
        raise FieldError(
            name,
            f"has characters the card cannot print: {bad!r} "
            "(only A-Z, 0-9, space and . , ' / - ( ) are allowed)",
        )
    limit = limit or TEXT_LIMITS.get(key)
    if limit and len(value) > limit:
        raise FieldError(name, f"is {len(value)} characters long; at most {limit} fit on the card")
    return value


def choice_field(obj: dict[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = obj.get(key)
    if value is None:
        raise FieldError(key, f"is missing: one of {', '.join(choices)}")
    if isinstance(value, str):
        value = " ".join(value.split())
        if key != "issue_reason":
            value = value.upper()
    if value not in choices:
        raise FieldError(key, f"{value!r} is not one of {', '.join(choices)}")
    return str(value)


def date_field(obj: dict[str, Any], key: str) -> date:
    value = obj.get(key)
    if value is None:
        raise FieldError(key, "is missing: a date YYYY-MM-DD")
    try:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise FieldError(key, f"{value!r} is not a real date (YYYY-MM-DD)") from None


def timestamp_field(obj: dict[str, Any], key: str, now: datetime) -> datetime:
    value = obj.get(key)
    if value is None:
        raise FieldError(key, "is missing: a date and time with its time zone")
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise FieldError(
            key,
            f"{value!r} is not a date and time with a time zone (like 2018-11-18T10:22:00+08:00)",
        )
    if parsed > now:
        raise FieldError(key, f"{value} is in the future; check the exporting system's clock")
    return parsed


def _digits(address: dict[str, Any], key: str) -> str:
    value = address.get(key)
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,3}", value.strip()):
        raise FieldError(f"address.{key}", f"{value!r} is not 1 to 3 digits")
    return f"{int(value):03d}"


def _format_version(obj: dict[str, Any]) -> None:
    version = obj.get("format")
    if type(version) is not int or version != FORMAT_VERSION:
        raise FieldError(
            "format",
            f"version {version!r} is not supported: this station reads version "
            f"{FORMAT_VERSION}; ask for a version {FORMAT_VERSION} export",
        )


def _required(obj: dict[str, Any]) -> None:
    for key in REQUIRED:
        if key not in obj:
            raise FieldError(key, "is missing: every record needs it")
    address = obj["address"]
    if not isinstance(address, dict):
        raise FieldError("address", "must be an object with street, rt, rw, village, ...")
    for key in ADDRESS_REQUIRED:
        if key not in address:
            raise FieldError(f"address.{key}", "is missing: every address needs it")


def _nik(obj: dict[str, Any], birth_date: date, sex: str, regions: Regions) -> str:
    nik = obj.get("nik")
    if not isinstance(nik, str):
        raise FieldError("nik", "must be the 16 digits of the NIK, as text")
    try:
        check_nik(nik, birth_date, sex, regions)  # type: ignore[arg-type]
    except InputError as exc:
        raise FieldError("nik", exc.message) from None
    return nik


def _dates(
    obj: dict[str, Any], birth_date: date, citizenship: str, now: datetime
) -> tuple[date | None, datetime, datetime]:
    today = now.date()
    if birth_date > today:
        raise FieldError("birth_date", f"{birth_date} is in the future")
    if birth_date < EARLIEST_BIRTH:
        raise FieldError("birth_date", f"{birth_date} is before {EARLIEST_BIRTH.year}")
    valid_until = None
    if citizenship == "WNA":
        if obj.get("valid_until") is None:
            raise FieldError("valid_until", "is required for WNA: the date the card expires")
        valid_until = date_field(obj, "valid_until")
        if valid_until <= today:
            raise FieldError("valid_until", f"{valid_until} has already passed")
    elif obj.get("valid_until") is not None:
        raise FieldError("valid_until", "must be null for WNI (the card says SEUMUR HIDUP)")
    recorded = timestamp_field(obj, "recorded_at", now)
    approved = timestamp_field(obj, "approved_at", now)
    if recorded.date() < birth_date:
        raise FieldError("recorded_at", f"{recorded:%Y-%m-%d} is before the birth date")
    if approved < recorded:
        raise FieldError(
            "approved_at",
            f"{approved.isoformat()} is before recorded_at {recorded.isoformat()}: "
            "a record is approved after it is recorded",
        )
    return valid_until, recorded, approved


_REGENCY_WORDS = ("KABUPATEN ", "KAB. ", "KAB ")


def _regency_name(name: str) -> str:
    """A regency as the table names it: Kabupaten Kupang is KUPANG, Kota Kupang KOTA KUPANG."""
    for word in _REGENCY_WORDS:
        if name.startswith(word):
            return name[len(word) :].strip()
    return name


def _province_name(name: str) -> str:
    return name.removeprefix("PROVINSI ").strip()


def check_address_region(
    addr: Address, nik: str, regions: Regions, home_regency: str | None = None
) -> None:
    """FieldError when the address's regency or province disagrees with the NIK's codes.

    The NIK's first digits name the province (PP) and regency (PPKK) where the person
    was registered; the address must name that province and, where the table lists the
    province's regencies, that regency. The NIK does not change when a person moves, so
    an address in the office's own regency (``home_regency``: a resident registered
    elsewhere who lives here now) is also accepted, if its province is that regency's.
    """
    province = regions.province(nik[:2])
    regency = regions.regency(nik[:4])
    said_province = _province_name(addr.province)
    said_regency = _regency_name(addr.regency)
    home = regions.regency_by_name(_regency_name(home_regency)) if home_regency else None
    if home is not None and said_regency == home.name:
        home_province = regions.province(home.province_code)
        if home_province is not None and said_province != home_province.name:
            raise FieldError(
                "address.province",
                f"{addr.province!r} is not the province of {addr.regency} ({home_province.name})",
            )
        return
    if province is not None and said_province != province.name:
        raise FieldError(
            "address.province",
            f"{addr.province!r} disagrees with the NIK {nik}: its province code "
            f"{nik[:2]} is {province.name}",
        )
    if regency is not None and said_regency != regency.name:
        where = f" or this office's {home.name}" if home is not None else ""
        raise FieldError(
            "address.regency",
            f"{addr.regency!r} disagrees with the NIK {nik}: its regency code {nik[:4]} is "
            f"{regency.name}{where}",
        )


def parse_record(
    obj: Any, regions: Regions, now: datetime, *, home_regency: str | None = DEFAULT_HOME
) -> CardRecord:
    """Validate one decoded line into a CardRecord, or raise FieldError for its first fault.

    ``home_regency`` is the office's regency (its residents' addresses may be there
    whatever their NIK's region; see check_address_region)."""
    if not isinstance(obj, dict):
        raise FieldError("line", "is not a JSON object ({...})")
    _format_version(obj)
    _required(obj)
    enrolment_id = obj.get("enrolment_id")
    if not isinstance(enrolment_id, str) or not re.fullmatch(r"[0-9A-Za-z\-]{1,40}", enrolment_id):
        raise FieldError("enrolment_id", "must be 1 to 40 letters, digits and '-'")
    birth_date = date_field(obj, "birth_date")
    sex = choice_field(obj, "sex", ("L", "P"))
    citizenship = choice_field(obj, "citizenship", CITIZENSHIPS)
    valid_until, recorded, approved = _dates(obj, birth_date, citizenship, now)
    nik = _nik(obj, birth_date, sex, regions)
    address = obj["address"]
    addr = Address(
        street=text_field(address, "street", prefix="address."),
        rt=_digits(address, "rt"),
        rw=_digits(address, "rw"),
        village=text_field(address, "village", prefix="address."),
        district=text_field(address, "district", prefix="address."),
        regency=text_field(address, "regency", prefix="address."),
        province=text_field(address, "province", prefix="address."),
    )
    check_address_region(addr, nik, regions, home_regency)
    reason = choice_field(obj, "issue_reason", ISSUE_REASONS)
    replaces = obj.get("replaces_serial")
    if replaces is not None:
        if reason == "new":
            raise FieldError("replaces_serial", "is only for reprints (lost, damaged, data_change)")
        if not isinstance(replaces, str) or not re.fullmatch(r"[0-9A-Za-z\-]{1,40}", replaces):
            raise FieldError("replaces_serial", f"{replaces!r} is not a card serial")
    return CardRecord(
        enrolment_id=enrolment_id,
        nik=nik,
        name=text_field(obj, "name"),
        birth_place=text_field(obj, "birth_place"),
        birth_date=birth_date,
        sex=sex,  # type: ignore[arg-type]
        blood_type=choice_field(obj, "blood_type", BLOOD_TYPES),
        address=addr,
        religion=choice_field(obj, "religion", RELIGIONS),
        marital_status=choice_field(obj, "marital_status", MARITAL_STATUSES),
        occupation=text_field(obj, "occupation"),
        citizenship=citizenship,
        valid_until=valid_until,
        recorded_at=recorded,
        approved_at=approved,
        issue_reason=reason,  # type: ignore[arg-type]
        replaces_serial=replaces,
    )


@lru_cache(maxsize=8)
def _font_paths(template: Template) -> tuple[Path, Path]:
    folders = template.fonts.folders
    return find_font(template.fonts.regular, folders), find_font(template.fonts.bold, folders)


def check_fits_card(record: CardRecord, template: Template) -> None:
    """FieldError for the first value that would not fit its place on the card face.

    The same fitting the face uses (shrink within limits, then wrap), measured a dot
    narrower than the face allows, so whatever passes here prints without overflow.
    """
    regular, bold = _font_paths(template)
    values = field_values(record)
    row_top, row_advance = template.body.top, 0
    for spec in template.fields:
        value = values[spec.key]
        fitted = fit_text(
            value,
            bold if spec.bold else regular,
            size=spec.size,
            min_size=spec.min_size,
            max_width=spec.value_right - spec.value_x - _INK_SLACK,
            max_lines=spec.max_lines,
            single_line_min=spec.single_line_min,
        )
        if fitted is None:
            lines = "one line" if spec.max_lines == 1 else f"{spec.max_lines} lines"
            raise FieldError(
                _FIELD_OF_VALUE.get(spec.key, spec.key),
                f"{value!r} is too wide for the card's {spec.label} ({lines}, even at the "
                "smallest print size); it must be shortened or abbreviated at the source",
            )
        if not spec.same_row:
            row_top, row_advance = row_top + row_advance, 0
        advance = spec.row_pitch + (len(fitted.lines) - 1) * template.body.wrap_pitch
        if row_top + advance > template.body.bottom:
            raise FieldError(
                _FIELD_OF_VALUE.get(spec.key, spec.key),
                "the card has no room left for it: the wrapped lines above took the space; "
                "shorten the longer values at the source",
            )
        row_advance = max(row_advance, advance)
