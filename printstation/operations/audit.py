"""The auditor's work: the reconciliation, the destruction record, the daily posting, the
audit chain's check and the audit log.

Reports only read, with one exception: a physical count that differs from the ledger is
a discrepancy, recorded as a ``stock.discrepancy`` audit event in the same transaction
that reads the figures. A report's PDF, when asked for, is written here (the office's
name and the station's from the configuration), never by an interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from printstation.errors import InputError, PrintStationError
from printstation.operations.base import Actor, operation, transaction

if TYPE_CHECKING:
    from cryptography import x509
    from sqlalchemy.orm import Session

    from printstation.ledger.audit import ChainProblem
    from printstation.ledger.checkpoints import Checkpoint
    from printstation.ledger.replay import LedgerProblem
    from printstation.reports.destruction import DestructionRecord
    from printstation.reports.monthly import MonthlyReport
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
class LogEntry:
    id: int
    #: In the office's zone, ISO 8601 with the offset.
    at: str
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class ChainCheck:
    """What ``audit verify`` found: the chain against its checkpoints, and the ledger
    replayed from the log against the tables."""

    events: int
    valid: bool
    problems: list[ChainProblem]
    #: The ledger's differences from its replay (the first ones, named).
    ledger: list[LedgerProblem] = field(default_factory=list)
    #: How many ledger differences there are in all.
    ledger_differences: int = 0
    #: Checkpoints whose signature held, checked against the chain.
    checkpoints: int = 0
    #: Events whose MAC was checked (0 without the key).
    macs_checked: int = 0
    #: What could not be checked here (no key, no certificate), not a sign of tampering.
    warnings: list[str] = field(default_factory=list)
    #: The events the problems name, as the table holds them now (a deleted one is absent).
    named: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class CheckpointTaken:
    """A checkpoint just taken, and the verification bundle written (if asked)."""

    event_id: int
    mac: str
    method: str
    at: str
    #: The files written for an auditor: checkpoints and the signer's certificate.
    files: list[str] = field(default_factory=list)


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
        result = _with_counters(s, actor, result)
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
        station.checkpoint(s, f"report {name}")
    if pdf is None:
        return Report(result, name)

    def write(path: Path, **kw: Any) -> Path:
        from printstation.reports.posting import write_reconciliation_pdf

        return write_reconciliation_pdf(result, path, station.config.office, **kw)

    return Report(result, name, _write_pdf(station, pdf, name, write))


def _with_counters(s: Session, actor: Actor, result: Reconciliation) -> Reconciliation:
    """The reconciliation with each printer's counter against the ledger (a new difference
    is a ``printer.discrepancy`` event) and the spoiled cards not presented at a
    destruction held after they were spoiled."""
    from dataclasses import replace

    from printstation.ledger import counters
    from printstation.reports.destruction import not_presented

    return replace(
        result,
        printer_counters=counters.checks(s, actor.name),
        not_presented=[b.serial for b in not_presented(s)],
    )


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
        station.checkpoint(s, f"report {name}")
    if pdf is None:
        return Report(record, name)

    def write(path: Path, **kw: Any) -> Path:
        from printstation.reports.destruction import write_pdf

        return write_pdf(record, path, **kw)

    return Report(record, name, _write_pdf(station, pdf, name, write))


@dataclass(frozen=True)
class DestructionRecorded:
    """A destruction as recorded: its number, when, the two people, the officials, the
    serials presented."""

    id: int
    #: In the office's zone, ISO 8601 with the offset.
    at: str
    recorded_by: str
    recorded_by_nip: str | None
    witness: str
    witness_nip: str | None
    officials: list[dict[str, str]]
    serials: list[str]
    note: str | None
    #: Spoiled cards still awaiting destruction after this one.
    awaiting: int
    #: Spoiled cards of an older spoilage this destruction did not present (a discrepancy).
    not_presented: list[str]


@operation("destruction.record")
def destroy(
    station: Station,
    actor: Actor,
    witness: Actor,
    serials: list[str],
    officials: list[str],
    note: str | None = None,
) -> DestructionRecorded:
    """Record the destruction of the spoiled cards ``serials`` by two people: ``actor``
    (a supervisor or an auditor) and ``witness``, a second person signed in here (another
    NIP), in front of ``officials`` (``NAME:NIP`` each).

    A serial that is not spoiled, or already destroyed, is refused (audited as
    ``destruction.refused``) and nothing is recorded; a spoiled card of an older spoilage
    not presented is named in the result as a discrepancy.
    """
    from printstation.errors import PermissionDenied, PrintStationError
    from printstation.intake.serials import canonical_serial
    from printstation.ledger import audit
    from printstation.ledger import destruction as ledger
    from printstation.operations.base import authorize, refusal
    from printstation.people.users import same_person
    from printstation.reports.destruction import awaiting_destruction, not_presented
    from printstation.reports.indonesian import as_local

    authorize(station, witness, "destruction.witness")
    people = [ledger.Official.parse(text) for text in officials]
    wanted = [canonical_serial(station.config, s) for s in serials]
    note = (note or "").strip() or None
    try:
        with transaction(station) as s:
            if actor.setup or witness.setup or same_person(s, actor.name, witness.name):
                raise PermissionDenied(
                    f"{witness.name} cannot witness a destruction recorded by {actor.name}: "
                    "the second person must be someone else (another NIP)",
                    where=witness.name,
                )
            done = ledger.record(
                s,
                recorded_by=actor.name,
                recorded_by_nip=actor.nip,
                witness=witness.name,
                witness_nip=witness.nip,
                serials=wanted,
                officials=people,
                note=note,
            )
            missing = [b.serial for b in not_presented(s)]
            return DestructionRecorded(
                id=done.id,
                at=as_local(done.at, station.timezone).isoformat(timespec="seconds"),
                recorded_by=actor.name,
                recorded_by_nip=actor.nip,
                witness=witness.name,
                witness_nip=witness.nip,
                officials=[o.as_json() for o in people],
                serials=wanted,
                note=note,
                awaiting=len(awaiting_destruction(s)),
                not_presented=missing,
            )
    except PrintStationError as exc:
        with refusal(station) as s:
            audit.record(
                s,
                actor.name,
                "destruction.refused",
                exc.where or actor.name,
                serials=wanted,
                witness=witness.name,
                reason=exc.message,
            )
        raise


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
        station.checkpoint(s, f"report {name}")
        from printstation.ledger.outbox import append as report_up
        from printstation.reports.posting import posting_json
        from printstation.storage.models import utcnow

        report_up(s, "stock.posting", posting_json(result), at=utcnow())
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
    _write_bundle(station, path.parent, f"{path.stem}.")
    return str(path)


def _write_bundle(station: Station, folder: Path, prefix: str = "") -> list[str]:
    """What an auditor needs beside a report to verify a copy of the database elsewhere:
    the checkpoints file and the document signer's certificate (never the MAC key,
    which only the station's administrator copies, to an auditor trusted with it)."""
    import shutil

    from printstation.chip.pki import certificate_pem

    written: list[str] = []
    folder.mkdir(parents=True, exist_ok=True)
    if station.checkpoints_path.exists():
        target = folder / f"{prefix}checkpoints.jsonl"
        shutil.copyfile(station.checkpoints_path, target)
        written.append(str(target))
    signer = station.signer
    if signer is not None:
        target = folder / f"{prefix}signer.pem"
        target.write_text(certificate_pem(signer.certificate), encoding="ascii")
        written.append(str(target))
    return written


@operation("audit.report")
def checkpoint(station: Station, actor: Actor, *, out: Path | None = None) -> CheckpointTaken:
    """Sign the audit chain's head now (also done daily and with every report); ``out``:
    a folder to write the verification bundle to (checkpoints and certificate)."""
    with transaction(station) as s:
        taken: Checkpoint = station.checkpoint(s, f"asked by {actor.name}")  # type: ignore[assignment]
    files = _write_bundle(station, out) if out is not None else []
    return CheckpointTaken(taken.event_id, taken.mac, taken.method, taken.at, files)


@operation("audit.verify")
def verify_chain(station: Station, actor: Actor) -> ChainCheck:
    """Check the audit log: every event's MAC and link, gapless numbering, the chain
    against every signed checkpoint (the station's ``keys/checkpoints.jsonl`` and the
    table), and the ledger replayed from the log against the tables."""
    from printstation.ledger.checkpoints import read_file

    certificate = station.signer.certificate if station.signer is not None else None
    with transaction(station) as s:
        key = station.audit_key(s)
        return _verify(
            s,
            key,
            read_file(station.checkpoints_path),
            certificate,
            {station.config.name},
            tz=station.timezone,
        )


def verify_copy(
    database_url: str,
    checkpoints: Path,
    *,
    key: Path | None = None,
    certificate: Path | None = None,
) -> ChainCheck:
    """Verify a copy of a station's database on another machine, against the station's
    checkpoints file (exported with its reports), with the MAC key if the auditor holds
    it and the signer's certificate for signed checkpoints.

    No operation's role check: there is no station here, and the copy's accounts are not
    what is trusted: the checkpoints file and the keys given are.
    """
    from printstation.chip.pki import load_certificate
    from printstation.ledger.checkpoints import read_file, read_key
    from printstation.storage.db import AuditSetup, Database, schema_is_current

    if not checkpoints.exists():
        raise InputError(f"there is no checkpoints file {checkpoints}", where=str(checkpoints))
    copy = database_url.removeprefix("sqlite:///")
    if copy != database_url and not Path(copy.split("?", 1)[0]).is_file():
        raise InputError(f"there is no database file {copy}", where=database_url)
    marks = read_file(checkpoints)
    mac_key = read_key(key) if key is not None else None
    cert = load_certificate(certificate) if certificate is not None else None
    db = Database(database_url, audit=AuditSetup(mac_key))
    try:
        if not schema_is_current(db.engine):
            raise InputError(
                "the database is not at this program's schema: verify it with the station's "
                "own version of printstation",
                where=database_url,
            )
        with db.session() as s:
            return _verify(s, mac_key, marks, cert, {c.station for c in marks})
    finally:
        db.dispose()


def _verify(
    s: Session,
    key: bytes | None,
    trusted: list[Checkpoint],
    certificate: x509.Certificate | None,
    own: set[str],
    *,
    tz: ZoneInfo | None = None,
) -> ChainCheck:
    from printstation.ledger.audit import ChainProblem, check_chain
    from printstation.ledger.checkpoints import genuine, in_table
    from printstation.ledger.replay import Replay

    problems: list[ChainProblem] = []
    warnings: list[str] = []
    in_file = {c.signature for c in trusted}
    table = list(in_table(s))
    in_rows = {c.signature for c in table}
    marks = []
    unchecked = 0
    for source, found in (
        ("file", trusted),
        ("table", [c for c in table if c.signature not in in_file]),
    ):
        for c in found:
            ok = genuine(c, key=key, certificate=certificate)
            if source == "table" and c.method != "hmac-sha256" and c.station not in own:
                ok = None  # another station's signer (a shared database)
            if ok is None:
                unchecked += 1
            elif ok:
                marks.append(c.mark())
            else:
                where = "checkpoints file" if source == "file" else "audit_checkpoints table"
                problems.append(
                    ChainProblem(
                        c.event_id,
                        f"{c.label()} in the {where} has a bad signature (forged or altered)",
                    )
                )
    for c in trusted:
        if c.signature not in in_rows:
            problems.append(
                ChainProblem(
                    c.event_id, f"{c.label()} was deleted from the audit_checkpoints table"
                )
            )
    if unchecked:
        warnings.append(
            f"{unchecked} checkpoint(s) not checked here (another station's signer, or no "
            "MAC key or signer's certificate given)"
        )
    if key is None:
        warnings.append(
            "event MACs not checked (no --key): events after the last checkpoint are not "
            "protected against an edit that recomputes the hashes"
        )
    if not trusted:
        warnings.append("no checkpoints file entries: a cut tail or a wiped log cannot be seen")
    replay = Replay()
    summary = check_chain(s, key, marks, on_event=replay.feed)
    problems.extend(summary.problems or [])
    if summary.keyed_from > 1:
        warnings.append(
            f"events 1 to {summary.keyed_from - 1} predate the audit key (plain SHA-256)"
        )
    ledger, differences = replay.compare(s)
    return ChainCheck(
        events=summary.events,
        valid=not problems and not differences,
        problems=problems,
        ledger=ledger,
        ledger_differences=differences,
        checkpoints=len(marks),
        macs_checked=summary.macs_checked,
        warnings=warnings,
        named=_named(s, problems, tz or ZoneInfo("UTC")),
    )


def _named(s: Session, problems: list[ChainProblem], tz: ZoneInfo) -> list[LogEntry]:
    """The events ``problems`` name, as they are in the table now, by id."""
    from sqlalchemy import select

    from printstation.storage.models import AuditEvent

    ids = sorted({p.event_id for p in problems if p.event_id > 0})[:100]
    if not ids:
        return []
    found = s.execute(select(AuditEvent).where(AuditEvent.id.in_(ids)).order_by(AuditEvent.id))
    return [_entry(e, tz) for e in found.scalars()]


def _entry(e: Any, tz: ZoneInfo) -> LogEntry:
    from printstation.reports.indonesian import as_local

    return LogEntry(
        id=e.id,
        at=as_local(e.at, tz).isoformat(timespec="seconds"),
        actor=e.actor,
        action=e.action,
        subject=e.subject,
        detail=dict(e.detail or {}),
    )


@operation("audit.read")
def log(
    station: Station,
    actor: Actor,
    limit: int = 20,
    *,
    offset: int = 0,
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
    ``offset``: how many of the newest matching events to skip (a page further on);
    ``subject``: the exact subject; ``job``: the events of one print job; ``serial``: the
    events that name one blank; ``date_from``/``date_to``: office days, inclusive.
    """
    from sqlalchemy import String, cast, or_, select

    from printstation.reports.indonesian import zone_name
    from printstation.reports.period import local_midnight, naive_utc
    from printstation.storage.models import AuditEvent

    if limit < 1:
        raise InputError(f"show at least one event, not {limit}")
    if offset < 0:
        raise InputError(f"the events to skip cannot be negative ({offset})")
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
        ordered = query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset)
        events = [_entry(e, tz) for e in s.execute(ordered).scalars()]
    return AuditLog(events=events, timezone=tz.key, zone=zone_name(tz))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _containing(text: str) -> str:
    return f"%{_escape_like(text)}%"


def _doctor_check() -> None:
    """Register the audit chain's check with ``printstation doctor`` (imported by it)."""
    from printstation.operations.doctor import Finding, check

    @check("audit")
    def audit_keys(station: Station) -> list[Finding]:
        """The audit key is present (and private: see the files check) and the chain's
        head has a recent checkpoint: events written more than a day after the last
        checkpoint could be cut without a trace."""
        from datetime import datetime, timedelta

        from printstation.ledger.checkpoints import read_file
        from printstation.storage.models import AuditHead

        found: list[Finding] = []
        key = station.audit_key_path
        with station.db.session() as s:
            head = s.get(AuditHead, 1)
        events = head.last_id if head is not None else 0
        if not key.exists():
            if head is not None and head.last_id >= head.keyed_from:
                found.append(
                    Finding(
                        "audit",
                        str(key),
                        "the audit key is missing while the log has events MACed with it: "
                        "restore it from the station's backup (or copy it from the station "
                        "sharing this database); the station cannot record events",
                    )
                )
            return found
        try:
            checkpoints = read_file(station.checkpoints_path)
        except PrintStationError as exc:
            return [Finding("audit", str(station.checkpoints_path), exc.message)]
        if events and not checkpoints:
            found.append(
                Finding(
                    "audit",
                    str(station.checkpoints_path),
                    "the audit log has no checkpoint in the checkpoints file: "
                    "run printstation audit checkpoint",
                )
            )
        elif checkpoints:
            last = checkpoints[-1]
            age = datetime.now(UTC).replace(tzinfo=None) - datetime.fromisoformat(last.at)
            if age > timedelta(days=1) and events > last.event_id:
                found.append(
                    Finding(
                        "audit",
                        str(station.checkpoints_path),
                        f"the last checkpoint is {age.days} day(s) old and "
                        f"{events - last.event_id} event(s) came after it: "
                        "run printstation audit checkpoint",
                    )
                )
        return found


_doctor_check()


@dataclass(frozen=True)
class SpoiledCard:
    """A spoiled card awaiting destruction: its serial, the cause, when it was spoiled
    (office time), who recorded it, and its printer and job (if it had them)."""

    serial: str
    cause: str
    at: datetime
    by: str
    printer: str | None
    job_id: int | None


@operation("audit.report")
def awaiting_destruction(station: Station, actor: Actor) -> list[SpoiledCard]:
    """The spoiled cards not yet presented at a destruction, oldest first."""
    from printstation.operations.jobs import office_time
    from printstation.reports.destruction import awaiting_destruction as awaiting

    with transaction(station) as s:
        return [
            SpoiledCard(b.serial, b.cause, office_time(station, b.at), b.by, b.printer, b.job_id)
            for b in awaiting(s)
        ]


@dataclass(frozen=True)
class DestructionHeldSummary:
    """A destruction recorded: its number, when (office time) and office day, the two
    people, the officials present, how many cards, the note."""

    id: int
    at: datetime
    day: date
    recorded_by: str
    witness: str
    officials: list[dict[str, str]]
    count: int
    note: str | None


@operation("audit.report")
def recent_destructions(
    station: Station, actor: Actor, limit: int = 10
) -> list[DestructionHeldSummary]:
    """The latest destructions recorded, newest first (``limit`` of them)."""
    from sqlalchemy import select

    from printstation.operations.jobs import office_time
    from printstation.storage.models import Destruction

    if limit < 1:
        raise InputError(f"show at least one destruction, not {limit}")
    with transaction(station) as s:
        found = s.execute(
            select(Destruction).order_by(Destruction.at.desc(), Destruction.id.desc()).limit(limit)
        ).scalars()
        shown = []
        for d in found:
            at = office_time(station, d.at)
            shown.append(
                DestructionHeldSummary(
                    id=d.id,
                    at=at,
                    day=at.date(),
                    recorded_by=d.recorded_by,
                    witness=d.witness,
                    officials=list(d.officials or []),
                    count=d.count,
                    note=d.note,
                )
            )
        return shown


@operation("audit.report")
def monthly(
    station: Station,
    actor: Actor,
    month: str | date | None = None,
    *,
    pdf: Path | None = None,
    number: str | None = None,
) -> Report[MonthlyReport]:
    """The monthly blank-use report for the province (laporan bulanan penggunaan blangko)
    for ``month`` (``YYYY-MM``, default this month): on hand as it opened and closed,
    received by lot and allocation letter, issued, spoiled by cause, destroyed, pending
    write-off, unknown, with each earlier month of the year. ``pdf``: a file (or a folder
    for the usual name) for the office's letter; ``number``: its Nomor (else a line to
    fill in). The head of office signs as the configuration names them, the maker as
    their account does."""
    from printstation.reports.monthly import Signatory, monthly_report, parse_month
    from printstation.storage.models import User

    today = station.today()
    if month is None:
        first = today.replace(day=1)
    elif isinstance(month, date):
        first = month.replace(day=1)
    else:
        first = parse_month(month)
    office = station.config.office
    with transaction(station) as s:
        account = s.get(User, actor.name)
        maker = Signatory(
            "Pengelola Blangko KTP-el",
            (account.full_name if account is not None else None) or "",
            actor.nip or "",
        )
        head = Signatory(office.head_title or "Kepala Dinas", office.head_name, office.head_nip)
        result = monthly_report(
            s,
            station.timezone,
            first,
            today=today,
            number=number or "",
            head=head,
            maker=maker,
        )
        name = f"laporan-bulanan-blangko-{first:%Y-%m}"
        station.checkpoint(s, f"report {name}")
    if pdf is None:
        return Report(result, name)

    def write(path: Path, **kw: Any) -> Path:
        from printstation.reports.monthly import write_pdf

        return write_pdf(result, path, office, **kw)

    return Report(result, name, _write_pdf(station, pdf, name, write))
