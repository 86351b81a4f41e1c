"""Intake of approved enrolments: validate each line, normalise its media, queue its job.

Each line is accepted or rejected on its own, with the line number, the field and the
reason (printstation.intake.fields for the record, printstation.intake.media for
photo, signature and templates). A rejected line changes nothing (its work is rolled
back to a savepoint); importing the same bundle again adds nothing and counts the lines
as duplicates.

The import streams: one line is read, checked and stored at a time, accepted lines are
committed in batches, and nothing is kept per accepted line, so memory does not grow
with the bundle (only the list of rejections grows, with the rejections).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from printstation.errors import InputError
from printstation.intake.bundle import BundleReader, ManifestLine, open_bundle
from printstation.intake.fields import (
    TEXT_LIMITS,
    FieldError,
    check_fits_card,
    parse_record,
)
from printstation.intake.media import (
    MediaTargets,
    check_template,
    normalise_photo,
    normalise_signature,
)
from printstation.intake.regions import Regions
from printstation.layout.template import Template, load_template
from printstation.ledger import audit
from printstation.records import (
    FINGERS,
    CardRecord,
    EnrolmentMedia,
)
from printstation.storage.models import Enrolment, IssuedCard, Job
from printstation.storage.rows import REPRINT_REASONS, enrolment_row, load_card, new_job

__all__ = [
    "TEXT_LIMITS",
    "FieldError",
    "ImportReport",
    "import_bundle",
    "load_card",
    "parse_record",
]

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
DEFAULT_BATCH = 200


@dataclass
class ImportReport:
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    #: Accepted reprints, whose job waits for a supervisor: line, enrolment id, NIK,
    #: issue reason and the serial it replaces.
    held: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "errors": self.errors,
        }

    def reject(self, line: int, field_name: str, reason: str) -> None:
        self.rejected += 1
        self.errors.append({"line": line, "field": field_name, "reason": reason})


@dataclass(frozen=True)
class RawMedia:
    """A line's media as read from the bundle, not decoded yet."""

    photo: tuple[str, bytes]
    signature: tuple[str, bytes]
    templates: tuple[tuple[str, bytes], ...]  # (finger, template)


@dataclass(frozen=True)
class CheckedLine:
    """A line whose record is valid; its media are read but not decoded."""

    record: CardRecord
    raw: RawMedia
    content_hash: str


def _media(obj: dict[str, Any], key: str, where: str, bundle: BundleReader) -> tuple[str, bytes]:
    name = f"{where}.{key}" if where else key
    relpath = obj.get(key)
    if not isinstance(relpath, str):
        raise FieldError(name, "must be the path of a file inside the bundle")
    try:
        return relpath, bundle.read_media(relpath)
    except InputError as exc:
        raise FieldError(name, exc.message) from None


def _fingerprints(obj: dict[str, Any], bundle: BundleReader) -> tuple[tuple[str, bytes], ...]:
    prints = obj.get("fingerprints")
    if not isinstance(prints, list) or len(prints) != 2:
        raise FieldError("fingerprints", "must list exactly two fingers")
    read = []
    for i, fp in enumerate(prints):
        where = f"fingerprints[{i}]"
        if not isinstance(fp, dict) or fp.get("finger") not in FINGERS:
            raise FieldError(f"{where}.finger", f"must be one of {', '.join(FINGERS)}")
        read.append((fp["finger"], _media(fp, "template", where, bundle)[1]))
    if read[0][0] == read[1][0]:
        raise FieldError("fingerprints", f"names the {read[0][0]} twice; two fingers are needed")
    return tuple(read)


def check_line(
    line: ManifestLine, bundle: BundleReader, regions: Regions, template: Template, now: datetime
) -> CheckedLine:
    """Validate one manifest line and read its media; FieldError for the first fault."""
    if line.data is None:
        raise FieldError("line", f"is {line.size} bytes long: not an enrolment record")
    try:
        text = line.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FieldError("line", f"is not UTF-8 text (byte {exc.start})") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FieldError("line", f"is not valid JSON ({exc.msg} at column {exc.colno})") from None
    record = parse_record(obj, regions, now)
    check_fits_card(record, template)
    raw = RawMedia(
        _media(obj, "photo", "", bundle),
        _media(obj, "signature", "", bundle),
        _fingerprints(obj, bundle),
    )
    digest = hashlib.sha256(text.strip().encode("utf-8"))
    for data in (raw.photo[1], raw.signature[1], *(t for _, t in raw.templates)):
        digest.update(data)
    return CheckedLine(record, raw, digest.hexdigest())


def normalise_media(raw: RawMedia, targets: MediaTargets) -> EnrolmentMedia:
    """Decode and normalise a line's media (the expensive step, done once per record)."""
    photo = normalise_photo(raw.photo[1], raw.photo[0], targets.photo)
    signature = normalise_signature(raw.signature[1], raw.signature[0], targets.signature)
    fingerprints = tuple(
        check_template(f"fingerprints[{i}].template", finger, data)
        for i, (finger, data) in enumerate(raw.templates)
    )
    return EnrolmentMedia(photo, signature, fingerprints)


def _check_nik_free(session: Session, record: CardRecord) -> None:
    pending = session.execute(
        select(Job.id).where(Job.nik == record.nik, Job.state.in_(ACTIVE_JOB_STATES)).limit(1)
    ).scalar_one_or_none()
    if pending is not None:
        raise FieldError(
            "nik", f"{record.nik} already has a card waiting to be printed (job {pending})"
        )
    valid = session.execute(
        select(IssuedCard.serial).where(IssuedCard.nik == record.nik, IssuedCard.status == "valid")
    ).scalar_one_or_none()
    if valid is None:
        return
    if record.issue_reason == "new":
        raise FieldError(
            "issue_reason",
            f"NIK {record.nik} already has a valid card ({valid}); only a reprint "
            "(lost, damaged or data_change) may be imported for it",
        )
    if record.replaces_serial is not None and record.replaces_serial != valid:
        raise FieldError(
            "replaces_serial",
            f"{record.replaces_serial} is not the valid card of NIK {record.nik} ({valid})",
        )


def store_line(
    session: Session,
    checked: CheckedLine,
    targets: MediaTargets,
    source: str,
    line: int,
    actor: str,
) -> bool:
    """Store one checked line; False when it is already here. FieldError on conflict."""
    record = checked.record
    existing = session.get(Enrolment, record.enrolment_id)
    if existing is not None:
        same = existing.content_hash == checked.content_hash
        session.expunge(existing)
        if same:
            return False
        raise FieldError(
            "enrolment_id",
            f"{record.enrolment_id} was already imported with different content "
            f"(line {existing.line} of {Path(existing.source).name}); a correction needs "
            "a new enrolment id",
        )
    _check_nik_free(session, record)
    media = normalise_media(checked.raw, targets)
    session.add(
        enrolment_row(
            record,
            media,
            content_hash=checked.content_hash,
            source=source[-400:],
            line=line,
            imported_by=actor,
        )
    )
    session.flush()
    job = new_job(session, record, actor)  # a reprint waits for a supervisor
    audit.record(
        session,
        actor,
        "enrolment.import",
        record.enrolment_id,
        nik=record.nik,
        job=job.id,
        source=source[-200:],
        line=line,
    )
    return True


def import_bundle(
    session_factory: Callable[[], Session],
    path: Path,
    regions: Regions,
    actor: str,
    *,
    template: Template | None = None,
    now: datetime | None = None,
    batch: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a bundle line by line; accepted lines are committed ``batch`` at a time.

    ``progress`` is called with each line's number once it is done. A bundle that
    cannot be opened at all raises (an InputError); a bad line never does.
    """
    now = now or datetime.now(UTC)
    template = template or load_template()
    targets = MediaTargets.from_template(template)
    report = ImportReport()
    bundle = open_bundle(path)
    session = session_factory()
    try:
        pending = 0
        for line in bundle.lines():
            if line.data is not None and not line.data.strip():
                continue
            try:
                checked = check_line(line, bundle, regions, template, now)
                with session.begin_nested():
                    added = store_line(session, checked, targets, bundle.name, line.number, actor)
            except FieldError as exc:
                report.reject(line.number, exc.field, exc.message)
            else:
                if added:
                    report.accepted += 1
                    pending += 1
                    if checked.record.issue_reason in REPRINT_REASONS:
                        report.held.append(
                            {
                                "line": line.number,
                                "enrolment_id": checked.record.enrolment_id,
                                "nik": checked.record.nik,
                                "reason": checked.record.issue_reason,
                                "replaces": checked.record.replaces_serial,
                            }
                        )
                else:
                    report.duplicates += 1
            if pending >= batch:
                session.commit()
                session.expunge_all()
                pending = 0
            if progress:
                progress(line.number)
        audit.record(
            session,
            actor,
            "enrolment.import_bundle",
            bundle.name[-80:],
            **report.as_dict() | {"errors": len(report.errors), "held": len(report.held)},
        )
        session.commit()
    finally:
        session.close()
        bundle.close()
    return report
