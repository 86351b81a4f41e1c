"""Intake of approved enrolments: validate each line, normalise its media, queue its job.

Each line is accepted or rejected on its own, with the line number, the field and the
reason. A rejected line changes nothing; importing the same bundle again adds nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from printstation import audit
from printstation.approvals import new_job
from printstation.bundle import open_bundle
from printstation.errors import InputError
from printstation.minutiae import parse_fmr
from printstation.models import Enrolment, IssuedCard, Job
from printstation.nik import check_nik
from printstation.records import (
    BLOOD_TYPES,
    CITIZENSHIPS,
    FINGERS,
    ISSUE_REASONS,
    MARITAL_STATUSES,
    RELIGIONS,
    Address,
    CardRecord,
    EnrolmentMedia,
    Fingerprint,
    record_from_dict,
    record_to_dict,
)
from printstation.regions import Regions

#: The stored photo: the card's photo aspect (3:4) at the resolution the face needs.
PHOTO_SIZE = (300, 400)
SIGNATURE_BOX = (480, 200)
MIN_PHOTO = (300, 400)
#: Anything larger is refused before it is decoded (a decompression bomb guard).
MAX_IMAGE_PIXELS = 6000 * 6000
TEXT_ALLOWED = re.compile(r"^[A-Z0-9 .,'/()\-]*$")
ACTIVE_JOB_STATES = (
    "queued",
    "claimed",
    "rendered",
    "feeding",
    "at_encoder",
    "encoded",
    "printing",
    "retry",
    "paused",
    "unresolved",
)
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


class FieldError(InputError):
    """A line's field is wrong; carries the field's name."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason, where=field_name)
        self.field = field_name


@dataclass
class ImportReport:
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "errors": self.errors,
        }


def _text(
    obj: dict[str, Any],
    key: str,
    *,
    prefix: str = "",
    limit: int | None = None,
    allow_empty: bool = False,
) -> str:
    name = prefix + key
    value = obj.get(key)
    if value is None or (not isinstance(value, str)):
        raise FieldError(name, "is required and must be text")
    value = " ".join(value.upper().split())
    if not value and not allow_empty:
        raise FieldError(name, "is empty")
    if not TEXT_ALLOWED.match(value):
        bad = sorted({c for c in value if not TEXT_ALLOWED.match(c)})
        raise FieldError(name, f"has characters the card cannot print: {''.join(bad)!r}")
    limit = limit or TEXT_LIMITS.get(key)
    if limit and len(value) > limit:
        raise FieldError(name, f"is {len(value)} characters long; at most {limit} fit on the card")
    return value


def _choice(obj: dict[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = obj.get(key)
    if isinstance(value, str):
        value = value.strip().upper() if key not in ("issue_reason",) else value.strip()
    if value not in choices:
        raise FieldError(key, f"{value!r} is not one of {', '.join(choices)}")
    return str(value)


def _date(obj: dict[str, Any], key: str, today: date) -> date:
    value = obj.get(key)
    try:
        parsed = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise FieldError(key, f"{value!r} is not a real date (YYYY-MM-DD)")
    if key == "birth_date" and parsed > today:
        raise FieldError(key, f"{parsed} is in the future")
    return parsed


def _timestamp(obj: dict[str, Any], key: str, now: datetime) -> datetime:
    value = obj.get(key)
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise FieldError(key, f"{value!r} is not a timestamp with a time zone (ISO 8601)")
    if parsed > now:
        raise FieldError(key, f"{value} is in the future")
    return parsed


def parse_record(obj: Any, regions: Regions, now: datetime) -> CardRecord:
    """Validate one decoded line into a CardRecord, or raise FieldError."""
    if not isinstance(obj, dict):
        raise FieldError("line", "is not a JSON object")
    if obj.get("format") != 1:
        raise FieldError("format", f"version {obj.get('format')!r} is not supported (expected 1)")
    enrolment_id = obj.get("enrolment_id")
    if not isinstance(enrolment_id, str) or not re.fullmatch(r"[0-9A-Za-z\-]{1,40}", enrolment_id):
        raise FieldError("enrolment_id", "is required: letters, digits and '-', at most 40")
    nik = obj.get("nik")
    if not isinstance(nik, str):
        raise FieldError("nik", "is required: 16 digits as text")
    today = now.date()
    birth_date = _date(obj, "birth_date", today)
    sex = _choice(obj, "sex", ("L", "P"))
    try:
        check_nik(nik, birth_date, sex, regions)
    except InputError as exc:
        raise FieldError("nik", exc.message) from None
    address = obj.get("address")
    if not isinstance(address, dict):
        raise FieldError("address", "is required: an object")
    addr = Address(
        street=_text(address, "street", prefix="address."),
        rt=_digits(address, "rt"),
        rw=_digits(address, "rw"),
        village=_text(address, "village", prefix="address."),
        district=_text(address, "district", prefix="address."),
        regency=_text(address, "regency", prefix="address."),
        province=_text(address, "province", prefix="address."),
    )
    citizenship = _choice(obj, "citizenship", CITIZENSHIPS)
    valid_until = None
    if citizenship == "WNA":
        valid_until = _date(obj, "valid_until", today)
        if valid_until < today:
            raise FieldError("valid_until", f"{valid_until} has already passed")
    elif obj.get("valid_until") is not None:
        raise FieldError("valid_until", "must be null for WNI (printed as SEUMUR HIDUP)")
    recorded = _timestamp(obj, "recorded_at", now)
    approved = _timestamp(obj, "approved_at", now)
    if approved < recorded:
        raise FieldError(
            "approved_at", "is before recorded_at: a record is approved after it is recorded"
        )
    reason = _choice(obj, "issue_reason", ISSUE_REASONS)
    replaces = obj.get("replaces_serial")
    if replaces is not None and (not isinstance(replaces, str) or reason == "new"):
        raise FieldError("replaces_serial", "is only for reprints, as text")
    return CardRecord(
        enrolment_id=enrolment_id,
        nik=nik,
        name=_text(obj, "name"),
        birth_place=_text(obj, "birth_place"),
        birth_date=birth_date,
        sex=sex,  # type: ignore[arg-type]
        blood_type=_choice(obj, "blood_type", BLOOD_TYPES),
        address=addr,
        religion=_choice(obj, "religion", RELIGIONS),
        marital_status=_choice(obj, "marital_status", MARITAL_STATUSES),
        occupation=_text(obj, "occupation"),
        citizenship=citizenship,
        valid_until=valid_until,
        recorded_at=recorded,
        approved_at=approved,
        issue_reason=reason,  # type: ignore[arg-type]
        replaces_serial=replaces,
    )


def _digits(address: dict[str, Any], key: str) -> str:
    value = address.get(key)
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,3}", value.strip()):
        raise FieldError(f"address.{key}", f"{value!r} is not 1 to 3 digits")
    return f"{int(value):03d}"


def _open_image(data: bytes, field_name: str, kinds: tuple[str, ...]) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in kinds:
            raise FieldError(field_name, f"is {image.format}, expected {' or '.join(kinds)}")
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise FieldError(
                field_name, f"is {image.width}x{image.height} pixels: too large for a card photo"
            )
        image.load()
    except FieldError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise FieldError(field_name, f"cannot be decoded as an image ({exc})") from None
    return image


def normalise_photo(data: bytes) -> bytes:
    """Crop to 3:4 around the centre and scale to PHOTO_SIZE; JPEG for storage."""
    image = _open_image(data, "photo", ("JPEG", "PNG"))
    if image.width < MIN_PHOTO[0] or image.height < MIN_PHOTO[1]:
        raise FieldError(
            "photo",
            f"is {image.width}x{image.height}; at least {MIN_PHOTO[0]}x{MIN_PHOTO[1]} is needed",
        )
    if image.width >= image.height:
        raise FieldError("photo", f"is {image.width}x{image.height}: a portrait photo is needed")
    image = image.convert("RGB")
    target = PHOTO_SIZE[0] / PHOTO_SIZE[1]
    w, h = image.size
    if w / h > target:
        new_w = round(h * target)
        box = ((w - new_w) // 2, 0, (w - new_w) // 2 + new_w, h)
    else:
        new_h = round(w / target)
        box = (0, (h - new_h) // 2, w, (h - new_h) // 2 + new_h)
    out = io.BytesIO()
    image.crop(box).resize(PHOTO_SIZE, Image.Resampling.LANCZOS).save(out, "JPEG", quality=90)
    return out.getvalue()


def normalise_signature(data: bytes) -> bytes:
    image = _open_image(data, "signature", ("PNG", "JPEG")).convert("L")
    image.thumbnail(SIGNATURE_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


@dataclass(frozen=True)
class ParsedLine:
    record: CardRecord
    media: EnrolmentMedia
    content_hash: str


def parse_line(
    text: str, read_media: Callable[[str], bytes], regions: Regions, now: datetime
) -> ParsedLine:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FieldError("line", f"is not valid JSON ({exc.msg} at column {exc.colno})") from None
    record = parse_record(obj, regions, now)
    digest = hashlib.sha256(text.strip().encode("utf-8"))

    photo = normalise_photo(media_at(obj, "photo", "", read_media, digest))
    signature = normalise_signature(media_at(obj, "signature", "", read_media, digest))
    prints = obj.get("fingerprints")
    if not isinstance(prints, list) or len(prints) != 2:
        raise FieldError("fingerprints", "must list exactly two fingers")
    fingerprints = []
    for i, fp in enumerate(prints):
        where = f"fingerprints[{i}]"
        if not isinstance(fp, dict) or fp.get("finger") not in FINGERS:
            raise FieldError(f"{where}.finger", f"must be one of {', '.join(FINGERS)}")
        template = media_at(fp, "template", where, read_media, digest)
        try:
            parse_fmr(template)
        except InputError as exc:
            raise FieldError(
                f"{where}.template", f"is not an ISO/IEC 19794-2 record: {exc.message}"
            ) from None
        fingerprints.append(Fingerprint(finger=fp["finger"], template=template))
    if fingerprints[0].finger == fingerprints[1].finger:
        raise FieldError("fingerprints", "names the same finger twice")
    return ParsedLine(
        record, EnrolmentMedia(photo, signature, tuple(fingerprints)), digest.hexdigest()
    )


def media_at(
    obj: dict[str, Any], key: str, where: str, read_media: Callable[[str], bytes], digest: Any
) -> bytes:
    name = f"{where}.{key}" if where else key
    relpath = obj.get(key)
    if not isinstance(relpath, str):
        raise FieldError(name, "is required: a path inside the bundle")
    try:
        data = read_media(relpath)
    except InputError as exc:
        raise FieldError(name, exc.message) from None
    digest.update(data)
    return data


def _store(session: Session, parsed: ParsedLine, source: str, line: int, actor: str) -> bool:
    """Store one parsed line; False when it is already here. Raises FieldError on conflict."""
    record = parsed.record
    existing = session.get(Enrolment, record.enrolment_id)
    if existing is not None:
        if existing.content_hash == parsed.content_hash:
            return False
        raise FieldError(
            "enrolment_id", f"{record.enrolment_id} was already imported with different content"
        )
    pending = session.execute(
        select(Job.id).where(Job.nik == record.nik, Job.state.in_(ACTIVE_JOB_STATES)).limit(1)
    ).scalar_one_or_none()
    if pending is not None:
        raise FieldError("nik", f"{record.nik} already has a card waiting to print (job {pending})")
    valid = session.execute(
        select(IssuedCard.serial).where(IssuedCard.nik == record.nik, IssuedCard.status == "valid")
    ).scalar_one_or_none()
    if valid is not None and record.issue_reason == "new":
        raise FieldError(
            "issue_reason",
            f"NIK {record.nik} already has a valid card ({valid}); "
            "only a reprint (lost, damaged, data_change) may be imported",
        )
    media = parsed.media
    session.add(
        Enrolment(
            id=record.enrolment_id,
            nik=record.nik,
            name=record.name,
            record=record_to_dict(record),
            photo=media.photo,
            signature=media.signature,
            finger_1=media.fingerprints[0].finger,
            template_1=media.fingerprints[0].template,
            finger_2=media.fingerprints[1].finger,
            template_2=media.fingerprints[1].template,
            content_hash=parsed.content_hash,
            source=source[-400:],
            line=line,
            imported_by=actor,
        )
    )
    session.flush()
    job = new_job(session, record, actor)
    audit.record(
        session,
        actor,
        "enrolment.import",
        record.enrolment_id,
        nik=record.nik,
        job=job.id,
        source=source,
        line=line,
    )
    return True


def import_bundle(
    session_factory: Callable[[], Session],
    path: Path,
    regions: Regions,
    actor: str,
    *,
    now: datetime | None = None,
    batch: int = 200,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a bundle line by line; each batch of accepted lines commits together."""
    now = now or datetime.now(UTC)
    report = ImportReport()
    bundle = open_bundle(path)
    session = session_factory()
    try:
        pending = 0
        for number, text in bundle.lines():
            if not text.strip():
                continue
            try:
                parsed = parse_line(text, bundle.read_media, regions, now)
                with session.begin_nested():
                    added = _store(session, parsed, bundle.name, number, actor)
            except FieldError as exc:
                report.rejected += 1
                report.errors.append({"line": number, "field": exc.field, "reason": exc.message})
            else:
                if added:
                    report.accepted += 1
                    pending += 1
                else:
                    report.duplicates += 1
            if pending >= batch:
                session.commit()
                pending = 0
            if progress:
                progress(number)
        audit.record(
            session,
            actor,
            "enrolment.import_bundle",
            bundle.name[-80:],
            **report.as_dict() | {"errors": len(report.errors)},
        )
        session.commit()
    finally:
        session.close()
        bundle.close()
    return report


def load_card(enrolment: Enrolment) -> tuple[CardRecord, EnrolmentMedia]:
    """Rebuild the typed record and media of a stored enrolment."""
    media = EnrolmentMedia(
        photo=enrolment.photo,
        signature=enrolment.signature,
        fingerprints=(
            Fingerprint(enrolment.finger_1, enrolment.template_1),
            Fingerprint(enrolment.finger_2, enrolment.template_2),
        ),
    )
    return record_from_dict(enrolment.record), media
