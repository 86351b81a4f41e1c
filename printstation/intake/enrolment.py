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
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from printstation.errors import InputError
from printstation.intake.bundle import (
    MAX_LINE_BYTES,
    BundleError,
    BundleReader,
    ManifestLine,
    open_bundle,
)
from printstation.intake.fields import (
    DEFAULT_HOME,
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
from printstation.storage.models import FINAL_JOB_STATES, Enrolment, IssuedCard, Job
from printstation.storage.rows import REPRINT_REASONS, enrolment_row, load_card, new_job
from printstation.storage.states import JobState

__all__ = [
    "TEXT_LIMITS",
    "FieldError",
    "ImportReport",
    "import_bundle",
    "load_card",
    "parse_record",
]

#: A job in any of these states is the NIK's card still to come: one at a time per NIK
#: (the database's ix_jobs_one_open_per_nik refuses a second, even from a concurrent import).
ACTIVE_JOB_STATES = tuple(str(state) for state in JobState if state not in FINAL_JOB_STATES)
DEFAULT_BATCH = 200
#: The deepest nesting of arrays and objects a line may have (an enrolment has 3).
MAX_DEPTH = 8
#: The longest number a line may hold, in characters (the format has only small ones).
MAX_NUMBER_CHARS = 20
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')


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


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKey(key)
        obj[key] = value
    return obj


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise FieldError("line", f"has a number of {len(text)} digits: at most {MAX_NUMBER_CHARS}")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise FieldError(
            "line", f"has a number of {len(text)} characters: at most {MAX_NUMBER_CHARS}"
        )
    return float(text)


def _constant(text: str) -> Any:
    raise FieldError("line", f"holds {text}, which is not JSON: an export never writes it")


def _depth(text: str) -> int:
    """How deeply ``text``'s arrays and objects nest (strings' brackets not counted)."""
    deepest = depth = 0
    for char in _STRINGS.sub("", text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_json_line(text: str) -> Any:
    """One manifest line's JSON, decoded under limits; FieldError naming what is wrong.

    Nesting deeper than MAX_DEPTH, a number longer than MAX_NUMBER_CHARS, NaN or
    Infinity, and a key that appears twice in one object (the last would silently win,
    putting another value on the card) reject the line.
    """
    if len(text) > MAX_LINE_BYTES:
        raise FieldError("line", f"is {len(text)} characters long: not an enrolment record")
    depth = _depth(text)
    if depth > MAX_DEPTH:
        raise FieldError(
            "line", f"nests {depth} levels deep: an enrolment nests at most {MAX_DEPTH}"
        )
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
        )
    except _DuplicateKey as exc:
        raise FieldError(
            exc.key,
            f"appears twice in one object of the line: which value is meant cannot be told; "
            f"the line is rejected (key {exc.key!r})",
        ) from None
    except json.JSONDecodeError as exc:
        raise FieldError("line", f"is not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise FieldError("line", "nests too deeply: not an enrolment record") from None


def check_line(
    line: ManifestLine,
    bundle: BundleReader,
    regions: Regions,
    template: Template,
    now: datetime,
    *,
    home_regency: str | None = DEFAULT_HOME,
) -> CheckedLine:
    """Validate one manifest line and read its media; FieldError for the first fault."""
    if line.data is None:
        raise FieldError("line", f"is {line.size} bytes long: not an enrolment record")
    try:
        text = line.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FieldError("line", f"is not UTF-8 text (byte {exc.start})") from None
    obj = parse_json_line(text)
    record = parse_record(obj, regions, now, home_regency=home_regency)
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
            "nik",
            f"{record.nik} already has a card to come (job {pending}): settle or cancel "
            "that job first",
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


def _store_or_duplicate(
    session: Session,
    checked: CheckedLine,
    targets: MediaTargets,
    source: str,
    line: int,
    actor: str,
) -> bool:
    """store_line in its own savepoint; a row another import wrote at the same moment
    (the database refuses it) is this line's duplicate or a FieldError, never a crash."""
    try:
        with session.begin_nested():
            return store_line(session, checked, targets, source, line, actor)
    except IntegrityError:
        pass
    record = checked.record
    existing = session.get(Enrolment, record.enrolment_id)
    if existing is not None:
        same = existing.content_hash == checked.content_hash
        session.expunge(existing)
        if same:
            return False
    raise FieldError(
        "nik",
        f"{record.nik} already has a card to come: another import queued it at the same "
        "moment (the database allows one open job per NIK)",
    )


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
    home_regency: str | None = DEFAULT_HOME,
) -> ImportReport:
    """Import a bundle line by line; accepted lines are committed ``batch`` at a time.

    ``progress`` is called with each line's number once it is done. A bundle that
    cannot be opened at all raises (an InputError); a bad line never does.

    The run is in the audit log however it ends: ``enrolment.import_start`` is committed
    first, each batch's commit carries ``enrolment.import_progress`` (the last line and
    the counts so far), and the end is ``enrolment.import_bundle``, or, when the import
    stops (a flood of blank lines, a database error, Ctrl-C), ``enrolment.import_stopped``
    with the reason and what was committed; a killed process leaves the start and its
    last progress. ``home_regency`` is the office's regency (see parse_record).
    """
    now = now or datetime.now(UTC)
    template = template or load_template()
    targets = MediaTargets.from_template(template)
    report = ImportReport()
    bundle = open_bundle(path)
    session = session_factory()
    name = bundle.name[-80:]
    committed = {"line": 0, "accepted": 0, "rejected": 0, "duplicates": 0}
    try:
        start = audit.record(
            session, actor, "enrolment.import_start", name, source=bundle.name[-200:]
        )
        run = start.id
        session.commit()
        pending = 0
        last = 0
        try:
            for line in bundle.lines():
                last = line.number
                try:
                    checked = check_line(
                        line, bundle, regions, template, now, home_regency=home_regency
                    )
                    added = _store_or_duplicate(
                        session, checked, targets, bundle.name, line.number, actor
                    )
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
                    committed = _commit_progress(session, actor, name, run, line.number, report)
                    pending = 0
                if progress:
                    progress(line.number)
        except BundleError as exc:
            # The bundle itself stopped the reading (a flood of blank lines, a damaged
            # zip) between two lines: what was accepted so far is sound, keep it.
            committed = _commit_progress(session, actor, name, run, last, report)
            _record_stop(session_factory, actor, name, run, committed, last, exc)
            raise
        except BaseException as exc:
            session.rollback()
            _record_stop(session_factory, actor, name, run, committed, last, exc)
            raise
        audit.record(
            session,
            actor,
            "enrolment.import_bundle",
            name,
            run=run,
            **report.as_dict() | {"errors": len(report.errors), "held": len(report.held)},
        )
        session.commit()
    finally:
        session.close()
        bundle.close()
    return report


def _counts(report: ImportReport) -> dict[str, int]:
    return {
        "accepted": report.accepted,
        "rejected": report.rejected,
        "duplicates": report.duplicates,
    }


def _commit_progress(
    session: Session, actor: str, name: str, run: int, line: int, report: ImportReport
) -> dict[str, int]:
    """Commit the batch with an event saying how far the run got; the committed counts."""
    counts = {"line": line} | _counts(report)
    audit.record(session, actor, "enrolment.import_progress", name, run=run, **counts)
    session.commit()
    session.expunge_all()
    return counts


def _record_stop(
    session_factory: Callable[[], Session],
    actor: str,
    name: str,
    run: int,
    committed: dict[str, int],
    line: int,
    exc: BaseException,
) -> None:
    """Record, in a session of its own, that the run stopped, why, and what it kept."""
    reason = f"{type(exc).__name__}: {exc}"[:300] if str(exc) else type(exc).__name__
    session = session_factory()
    try:
        audit.record(
            session,
            actor,
            "enrolment.import_stopped",
            name,
            run=run,
            reason=reason,
            stopped_at_line=line,
            committed=committed,
            note="lines after the committed ones were not kept; importing the bundle again "
            "adds only what is missing",
        )
        session.commit()
    except Exception:  # the database itself may be what failed; the first error is raised
        session.rollback()
    finally:
        session.close()
