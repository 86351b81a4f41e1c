"""The auditor's work: the reconciliation, the destruction record, the daily posting, the
audit chain's check and the audit log.

Reports only read, with one exception: a physical count that differs from the ledger is
a discrepancy, recorded as a ``stock.discrepancy`` audit event in the same transaction
that reads the figures. A report's PDF, when asked for, is written here (the office's
name and the station's from the configuration), never by an interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from printstation.errors import InputError
from printstation.operations.base import Actor, operation, transaction

if TYPE_CHECKING:
    from printstation.ledger.audit import ChainProblem
    from printstation.reports.destruction import DestructionRecord
    from printstation.reports.reconcile import Reconciliation
    from printstation.station import Station

T = TypeVar("T")


@dataclass(frozen=True)
class Report(Generic[T]):
    """A report's figures, the name its files take, and where its PDF went (if asked)."""

    data: T
    #: The file name without its extension, e.g. ``posting-stok-blangko-2024-05-03``.
    name: str
    pdf: str | None = None


@dataclass(frozen=True)
class ChainCheck:
    events: int
    valid: bool
    problems: list[ChainProblem]


@dataclass(frozen=True)
class LogEntry:
    id: int
    #: In the office's zone, ISO 8601 with the offset.
    at: str
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditLog:
    events: list[LogEntry]
    #: The office's zone: its key (Asia/Makassar) and the name people use (WITA).
    timezone: str
    zone: str


@operation("audit.report")
def reconcile(
    station: Station,
    actor: Actor,
    date_from: date | None = None,
    date_to: date | None = None,
    counted: int | None = None,
    explanation: str | None = None,
    *,
    pdf: Path | None = None,
) -> Report[Reconciliation]:
    """Reconcile blank stock over office days (default: today), against a physical count.

    A count that differs from the ledger's closing figure is a discrepancy, recorded as a
    ``stock.discrepancy`` audit event with the count, the ledger's figure, the variance
    and the explanation. ``pdf``: a file (or a folder for the usual name) to write the
    signed document to.
    """
    from printstation.ledger import audit
    from printstation.reports.reconcile import reconcile as run

    if counted is not None and counted < 0:
        raise InputError(f"a count of blanks cannot be negative ({counted})")
    today = station.today()
    last = date_to or today
    first = date_from or min(last, today)
    note = (explanation or "").strip() or None
    with transaction(station) as s:
        result = run(s, station.timezone, first, last, counted, explanation=note, today=today)
        found = result.discrepancy
        if found is not None:
            audit.record(
                s,
                actor.name,
                "stock.discrepancy",
                result.period.label,
                counted=found.counted,
                on_hand=found.on_hand,
                variance=found.variance,
                direction=found.direction,
                explanation=found.explanation,
                date_from=first.isoformat(),
                date_to=last.isoformat(),
                ledger_balanced=result.balanced,
            )
    name = f"rekonsiliasi-blangko-{first.isoformat()}_{last.isoformat()}"
    if pdf is None:
        return Report(result, name)

    def write(path: Path, **kw: Any) -> Path:
        from printstation.reports.posting import write_reconciliation_pdf

        return write_reconciliation_pdf(result, path, station.config.office, **kw)

    return Report(result, name, _write_pdf(station, pdf, name, write))


@operation("audit.report")
def destruction_record(
    station: Station, actor: Actor, day: date | None = None, *, pdf: Path | None = None
) -> Report[DestructionRecord]:
    """The office day's record of the blanks spoiled and destroyed (berita acara)."""
    from printstation.reports.destruction import destruction_record as build

    when = day or station.today()
    with transaction(station) as s:
        record = build(s, station.timezone, when, station.config.office)
    name = f"berita-acara-pemusnahan-{when.isoformat()}"
    if pdf is None:
        return Report(record, name)

    def write(path: Path, **kw: Any) -> Path:
        from printstation.reports.destruction import write_pdf

        return write_pdf(record, path, **kw)

    return Report(record, name, _write_pdf(station, pdf, name, write))


@operation("audit.report")
def posting(
    station: Station, actor: Actor, day: date | None = None, *, pdf: Path | None = None
) -> Report[Reconciliation]:
    """The office day's stock posting: opening, received, issued, spoiled, unknown, closing."""
    from printstation.reports.reconcile import reconcile as run

    when = day or station.today()
    with transaction(station) as s:
        result = run(s, station.timezone, when, when, today=station.today())
    name = f"posting-stok-blangko-{when.isoformat()}"
    if pdf is None:
        return Report(result, name)

    def write(path: Path, **kw: Any) -> Path:
        from printstation.reports.posting import write_posting_pdf

        return write_posting_pdf(result, path, station.config.office, **kw)

    return Report(result, name, _write_pdf(station, pdf, name, write))


def _write_pdf(station: Station, out: Path, name: str, write: Callable[..., Path]) -> str:
    """Write a report's PDF to ``out`` (a folder: as NAME.pdf in it); returns the path."""
    from datetime import UTC, datetime

    path = out / f"{name}.pdf" if out.is_dir() else out
    write(path, station=station.config.name, now=datetime.now(UTC))
    return str(path)


@operation("audit.verify")
def verify_chain(station: Station, actor: Actor) -> ChainCheck:
    """Re-hash the audit log; name every event changed, removed or inserted."""
    from sqlalchemy import func, select

    from printstation.ledger.audit import verify_chain as check
    from printstation.storage.models import AuditEvent

    with transaction(station) as s:
        events = int(s.execute(select(func.count()).select_from(AuditEvent)).scalar_one())
        problems = check(s)
    return ChainCheck(events=events, valid=not problems, problems=problems)


@operation("audit.read")
def log(
    station: Station,
    actor: Actor,
    limit: int = 20,
    *,
    by: str | None = None,
    action: str | None = None,
    subject: str | None = None,
    job: int | None = None,
    serial: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> AuditLog:
    """The latest audit events, newest first, that match every filter given.

    ``by``: who acted; ``action``: one action (``stock.load``) or a family (``stock``);
    ``subject``: the exact subject; ``job``: the events of one print job; ``serial``: the
    events that name one blank; ``date_from``/``date_to``: office days, inclusive.
    """
    from sqlalchemy import String, cast, or_, select

    from printstation.reports.indonesian import as_local, zone_name
    from printstation.reports.period import local_midnight, naive_utc
    from printstation.storage.models import AuditEvent

    if limit < 1:
        raise InputError(f"show at least one event, not {limit}")
    if date_from and date_to and date_from > date_to:
        raise InputError(f"the period starts {date_from} after it ends {date_to}: swap them")
    tz = station.timezone
    query = select(AuditEvent)
    if by:
        query = query.where(AuditEvent.actor == by)
    if action:
        family = action.rstrip(".*")
        query = query.where(
            or_(
                AuditEvent.action == family,
                AuditEvent.action.like(_escape_like(family) + ".%", escape="\\"),
            )
        )
    if subject:
        query = query.where(AuditEvent.subject == subject)
    if job is not None:
        query = query.where(
            or_(AuditEvent.subject == f"job {job}", AuditEvent.detail["job"].as_integer() == job)
        )
    if serial:
        query = query.where(
            or_(
                AuditEvent.subject == serial,
                cast(AuditEvent.detail, String).like(_containing(f'"{serial}"'), escape="\\"),
            )
        )
    if date_from:
        query = query.where(AuditEvent.at >= naive_utc(local_midnight(date_from, tz)))
    if date_to:
        after = date.fromordinal(date_to.toordinal() + 1)
        query = query.where(AuditEvent.at < naive_utc(local_midnight(after, tz)))
    with transaction(station) as s:
        events = [
            LogEntry(
                id=e.id,
                at=as_local(e.at, tz).isoformat(timespec="seconds"),
                actor=e.actor,
                action=e.action,
                subject=e.subject,
                detail=dict(e.detail or {}),
            )
            for e in s.execute(query.order_by(AuditEvent.id.desc()).limit(limit)).scalars()
        ]
    return AuditLog(events=events, timezone=tz.key, zone=zone_name(tz))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _containing(text: str) -> str:
    return f"%{_escape_like(text)}%"
