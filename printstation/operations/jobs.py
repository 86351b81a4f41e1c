"""Print jobs: list, search and show them, settle one a crash left open, cancel, requeue,
resume; ask for a priority print or a reprint; a job's photo, card face and history.

Listing, showing and settling first take back the jobs of a batch that is gone (its
lease is stale, see ``printstation.jobs.lease``), so what the operator sees is what
needs a person; the paged search only reads, cheaply at any queue length. Times are in
the office's zone; ``days_left`` counts from the office's today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from printstation.errors import InputError, JobError
from printstation.operations.base import Actor, operation, transaction
from printstation.storage.states import JobState

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from printstation.station import Station
    from printstation.storage.models import Job

#: The states a job can be in (printstation.jobs.machine).
STATES = tuple(state.value for state in JobState)
#: What an operator can say came out of the printer (printstation.jobs.resolve.OUTCOMES).
OUTCOMES = ("issued", "spoiled", "none")
#: Why a blank was spoiled (printstation.ledger.stock.SPOIL_CAUSES).
SPOIL_CAUSES = (
    "encoding_failed",
    "print_failed",
    "damaged",
    "data_changed",
    "misfeed",
    "test_print",
)
#: Why a job may be printed first (printstation.jobs.approvals.PRIORITY_REASONS).
PRIORITY_REASONS = ("cpns", "age17", "disaster", "suket", "other")
#: Why a NIK with a valid card gets another (printstation.storage.rows.REPRINT_REASONS).
REPRINT_REASONS = ("lost", "damaged", "data_change")


@dataclass(frozen=True)
class JobRow:
    id: int
    nik: str
    #: The holder's name, from the enrolment.
    name: str
    state: str
    attempts: int
    printer: str | None
    serial: str | None
    #: True once a priority print is approved for it.
    priority: bool
    priority_reason: str | None
    deadline: date | None
    #: Days from the office's today to the deadline (negative: overdue).
    days_left: int | None
    #: When its state last changed, in the office's zone.
    updated_at: datetime


@dataclass(frozen=True)
class ApprovalInfo:
    id: int
    kind: str
    reason: str
    status: str
    deadline: date | None
    note: str | None
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None


@dataclass(frozen=True)
class BlankInfo:
    serial: str
    state: str
    printer: str | None
    #: Why it was spoiled, for a spoiled blank.
    cause: str | None = None


@dataclass(frozen=True)
class JobDetail(JobRow):
    enrolment_id: str
    station: str | None
    last_error: str | None
    created_at: datetime
    #: The office's zone: its name (WITA) and its key (Asia/Makassar).
    zone: str
    timezone: str
    approvals: list[ApprovalInfo] = field(default_factory=list)
    #: The blanks this job has used or holds.
    blanks: list[BlankInfo] = field(default_factory=list)


@dataclass(frozen=True)
class JobChange:
    """A job moved by a person: from which state to which, by whom, why."""

    job: int
    before: str
    state: str
    by: str
    reason: str | None = None


@dataclass(frozen=True)
class ResolveResult:
    job: int
    outcome: str
    #: The blank settled (None when no blank left the feeder and none was named).
    serial: str | None
    cause: str | None
    state: str
    by: str
    #: The job's other blanks whose fate is still open: settle each of them too.
    still_unknown: list[str] = field(default_factory=list)
    #: The write-off request ``spoiled`` (or ``none`` for a blank whose chip was read)
    #: made: the blank is pending until a supervisor who is not you decides.
    writeoff: int | None = None
    #: The settled blank's state after this (pending while its write-off is undecided).
    blank_state: str | None = None


@dataclass(frozen=True)
class PriorityRequest:
    request: int
    job: int
    reason: str
    deadline: date | None
    days_left: int | None
    note: str | None
    requested_by: str
    requested_at: datetime


@dataclass(frozen=True)
class ReprintRequest:
    request: int
    job: int
    nik: str
    name: str
    reason: str
    #: The serial of the valid card the reprint replaces.
    replaces: str
    note: str | None
    requested_by: str
    requested_at: datetime


def office_time(station: Station, moment: datetime) -> datetime:
    """``moment`` (UTC, naive or aware) in the office's zone, to the second."""
    from printstation.reports.indonesian import as_local

    return as_local(moment, station.timezone).replace(microsecond=0)


def days_until(station: Station, deadline: date | None) -> int | None:
    return None if deadline is None else (deadline - station.today()).days


def _recover(session: Session, actor: Actor) -> None:
    from printstation.jobs.lease import recover_abandoned

    recover_abandoned(session, actor=actor.name)
    session.flush()


def priority_reason() -> Any:
    """The reason of a job's approved priority, as a column of a query over jobs."""
    from sqlalchemy import select

    from printstation.storage.models import Approval, Job

    return (
        select(Approval.reason)
        .where(
            Approval.job_id == Job.id,
            Approval.kind == "priority",
            Approval.status == "approved",
        )
        .order_by(Approval.id.desc())
        .limit(1)
        .correlate(Job)
        .scalar_subquery()
    )


def _row_query() -> Any:
    from sqlalchemy import select

    from printstation.storage.models import Enrolment, Job

    return select(Job, Enrolment.name, priority_reason()).join(
        Enrolment, Enrolment.id == Job.enrolment_id
    )


def _row(station: Station, job: Job, name: str, reason: str | None) -> dict[str, Any]:
    return {
        "id": job.id,
        "nik": job.nik,
        "name": name,
        "state": job.state,
        "attempts": job.attempts,
        "printer": job.printer,
        "serial": job.serial,
        "priority": job.priority_rank == 0,
        "priority_reason": reason if job.priority_rank == 0 else None,
        "deadline": job.deadline,
        "days_left": days_until(station, job.deadline),
        "updated_at": office_time(station, job.updated_at),
    }


def _locked_job(session: Session, job_id: int) -> Job:
    from printstation.storage.models import Job

    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise InputError(f"there is no job {job_id}")
    return job


@operation("job.read")
def list_jobs(
    station: Station,
    actor: Actor,
    states: tuple[str, ...] | list[str] = (),
    search: str | None = None,
) -> list[JobRow]:
    """Jobs, oldest first: only those in ``states`` if given, and only those whose NIK
    starts with ``search`` (digits) or whose holder's name contains it (any case)."""
    from printstation.storage.models import Enrolment, Job

    unknown = sorted(set(states) - set(STATES))
    if unknown:
        raise InputError(f"{', '.join(unknown)} is not a job state; one of {', '.join(STATES)}")
    query = _row_query()
    if states:
        query = query.where(Job.state.in_(sorted(set(states))))
    text = (search or "").strip()
    if text:
        if text.isdigit():
            query = query.where(Job.nik.startswith(text, autoescape=True))
        else:
            from sqlalchemy import func

            query = query.where(func.lower(Enrolment.name).contains(text.lower(), autoescape=True))
    with transaction(station) as s:
        _recover(s, actor)
        return [
            JobRow(**_row(station, job, name, reason))
            for job, name, reason in s.execute(query.order_by(Job.id)).all()
        ]


@operation("job.read")
def show_job(station: Station, actor: Actor, job_id: int) -> JobDetail:
    """One job: its state, holder, printer, last error, requests and blanks."""
    from sqlalchemy import select

    from printstation.reports.indonesian import zone_name
    from printstation.storage.models import Approval, Blank, Job, Spoilage

    with transaction(station) as s:
        _recover(s, actor)
        found = s.execute(_row_query().where(Job.id == job_id)).first()
        if found is None:
            raise InputError(f"there is no job {job_id}")
        job, name, reason = found
        approvals = [
            ApprovalInfo(
                id=a.id,
                kind=a.kind,
                reason=a.reason,
                status=a.status,
                deadline=a.deadline,
                note=a.note,
                requested_by=a.requested_by,
                requested_at=office_time(station, a.requested_at),
                decided_by=a.decided_by,
                decided_at=office_time(station, a.decided_at) if a.decided_at else None,
                decision_note=a.decision_note,
            )
            for a in s.execute(
                select(Approval).where(Approval.job_id == job_id).order_by(Approval.id)
            ).scalars()
        ]
        blanks = [
            BlankInfo(serial=b.serial, state=b.state, printer=b.printer, cause=cause)
            for b, cause in s.execute(
                select(Blank, Spoilage.cause)
                .outerjoin(Spoilage, Spoilage.serial == Blank.serial)
                .where(Blank.job_id == job_id)
                .order_by(Blank.updated_at, Blank.serial)
            ).all()
        ]
        return JobDetail(
            **_row(station, job, name, reason),
            enrolment_id=job.enrolment_id,
            station=job.station,
            last_error=job.last_error,
            created_at=office_time(station, job.created_at),
            zone=zone_name(station.timezone),
            timezone=station.timezone.key,
            approvals=approvals,
            blanks=blanks,
        )


@operation("job.resolve")
def resolve(
    station: Station,
    actor: Actor,
    job_id: int,
    outcome: str,
    serial: str | None = None,
    cause: str = "print_failed",
    note: str | None = None,
) -> ResolveResult:
    """Settle an unresolved job: the card came out good (``issued``, its serial), it is
    spoiled (``spoiled``, its cause), or no blank left the feeder (``none``).

    ``spoiled``, and ``none`` for a blank whose chip was read at the encoder, ask for a
    write-off: the job is requeued at once, the blank pending until a supervisor who is
    not you confirms or rejects it (``stock writeoff``)."""
    from printstation.intake.serials import canonical_serial
    from printstation.jobs.resolve import settle
    from printstation.operations.writeoffs import nip_of
    from printstation.storage.models import Blank

    if serial is not None:
        serial = canonical_serial(station.config, serial)
    with transaction(station) as s:
        _recover(s, actor)
        done = settle(
            s,
            job_id,
            outcome,
            actor.name,
            serial=serial,
            cause=cause,
            note=note,
            commit=False,
            nip=nip_of(s, actor),
        )
        blank = s.get(Blank, done.serial) if done.serial else None
        return ResolveResult(
            job=job_id,
            outcome=outcome,
            serial=done.serial,
            cause=cause if outcome == "spoiled" else None,
            state=done.job.state,
            by=actor.name,
            still_unknown=done.still_unknown,
            writeoff=done.writeoff,
            blank_state=blank.state if blank is not None else None,
        )


def _refusal(job: Job, doing: str) -> JobError:
    """Why ``job`` cannot be ``doing`` in its state, in the operator's words."""
    from printstation.jobs.machine import ACTIVE

    state = job.state
    if state == "unresolved":
        why = "look at the printer and settle what came out first (job resolve)"
    elif state in ACTIVE:
        why = "a printer is working on it"
    elif state in ("issued", "cancelled"):
        why = "it is finished"
    elif state == "held":
        why = "its reprint awaits a supervisor's decision"
    elif state == "failed":
        why = "a supervisor may requeue it"
    elif state == "paused":
        why = "resume it once the printer is cleared"
    else:
        why = "nothing needs doing"
    return JobError(f"job {job.id} is {state} and cannot be {doing}: {why}")


def _move(
    station: Station,
    actor: Actor,
    job_id: int,
    trigger: str,
    doing: str,
    reason: str | None = None,
) -> JobChange:
    from printstation.jobs.machine import JobFlow

    with transaction(station) as s:
        job = _locked_job(s, job_id)
        flow = JobFlow(job, s, actor.name)
        if not flow.can(trigger):
            raise _refusal(job, doing)
        before = job.state
        note: dict[str, object] = {"reason": reason} if reason else {}
        flow.step(trigger, commit=False, **note)
        return JobChange(job_id, before, job.state, actor.name, reason)


@operation("job.cancel")
def cancel(station: Station, actor: Actor, job_id: int, reason: str) -> JobChange:
    """Cancel a job no printer is working on (supervisor); the reason is audited."""
    why = (reason or "").strip()
    if not why:
        raise InputError(f"say why job {job_id} is cancelled (--reason)")
    return _move(station, actor, job_id, "cancel", "cancelled", why)


@operation("job.requeue")
def requeue(station: Station, actor: Actor, job_id: int) -> JobChange:
    """Put a failed job back in the queue (supervisor). An unresolved job is settled
    instead (``resolve``): its card's fate must be known first."""
    return _move(station, actor, job_id, "requeue", "requeued")


@operation("job.resume")
def resume(station: Station, actor: Actor, job_id: int) -> JobChange:
    """Return a paused job to the queue once its printer is cleared."""
    return _move(station, actor, job_id, "resume", "resumed")


@operation("priority.request")
def request_priority(
    station: Station,
    actor: Actor,
    job_id: int,
    reason: str,
    deadline: date | None = None,
    note: str | None = None,
) -> PriorityRequest:
    """Ask for a waiting job to be printed first; a supervisor other than you decides."""
    from printstation.jobs import approvals

    today = station.today()
    if deadline is not None and deadline < today:
        raise InputError(
            f"the deadline {deadline.isoformat()} has already passed (today is "
            f"{today.isoformat()}): give the date by which the card is needed"
        )
    with transaction(station) as s:
        request = approvals.request_priority(
            s, job_id, reason, actor.name, deadline=deadline, note=note or None
        )
        return PriorityRequest(
            request=request.id,
            job=job_id,
            reason=request.reason,
            deadline=request.deadline,
            days_left=days_until(station, request.deadline),
            note=request.note,
            requested_by=request.requested_by,
            requested_at=office_time(station, request.requested_at),
        )


@operation("reprint.request")
def request_reprint(
    station: Station, actor: Actor, nik: str, reason: str, note: str | None = None
) -> ReprintRequest:
    """Ask for a new card for a NIK that has a valid one (lost, damaged, data change).

    Makes a held job for the NIK's latest enrolment and a pending reprint request; a
    supervisor other than you approves it, and the card it replaces is recorded as
    replaced when the new one is issued.
    """
    from sqlalchemy import select

    from printstation.jobs.machine import TERMINAL
    from printstation.ledger import audit
    from printstation.storage.models import Approval, Enrolment, IssuedCard, Job

    nik = (nik or "").strip()
    if not (nik.isdigit() and len(nik) == 16):
        raise InputError(f"a NIK is 16 digits; {nik!r} is not one")
    if reason not in REPRINT_REASONS:
        raise InputError(
            f"a reprint's reason is one of {', '.join(REPRINT_REASONS)}, not {reason!r}"
        )
    with transaction(station) as s:
        card = s.execute(
            select(IssuedCard).where(IssuedCard.nik == nik, IssuedCard.status == "valid")
        ).scalar_one_or_none()
        if card is None:
            raise InputError(
                f"NIK {nik} has no valid card issued by this station: a reprint replaces "
                "one; import the enrolment as a new card instead"
            )
        open_job = s.execute(
            select(Job.id, Job.state)
            .where(Job.nik == nik, Job.state.not_in(sorted(TERMINAL)))
            .order_by(Job.id)
            .limit(1)
        ).first()
        if open_job is not None:
            raise JobError(
                f"NIK {nik} already has job {open_job.id} ({open_job.state}): settle or "
                "cancel it before asking for a reprint"
            )
        enrolment = s.execute(
            select(Enrolment)
            .where(Enrolment.nik == nik)
            .order_by(Enrolment.imported_at.desc(), Enrolment.id.desc())
            .limit(1)
        ).scalar_one()
        job = Job(enrolment_id=enrolment.id, nik=nik, state="held")
        s.add(job)
        s.flush()
        words = f"replaces {card.serial}" + (f"; {note.strip()}" if note and note.strip() else "")
        request = Approval(
            kind="reprint", job_id=job.id, reason=reason, note=words, requested_by=actor.name
        )
        s.add(request)
        s.flush()
        audit.record(
            s,
            actor.name,
            "reprint.request",
            f"job {job.id}",
            approval=request.id,
            nik=nik,
            reason=reason,
            replaces=card.serial,
            enrolment=enrolment.id,
            note=note or None,
        )
        return ReprintRequest(
            request=request.id,
            job=job.id,
            nik=nik,
            name=enrolment.name,
            reason=reason,
            replaces=card.serial,
            note=request.note,
            requested_by=actor.name,
            requested_at=office_time(station, request.requested_at),
        )


#: A search by name counts at most this many matches (newest first).
NAME_MATCHES_COUNTED = 1000


@dataclass(frozen=True)
class JobPage:
    """One page of a job search, newest first: ``total`` jobs match in all."""

    rows: list[JobRow]
    total: int
    page: int
    per_page: int
    #: A search by name stops counting at NAME_MATCHES_COUNTED: ``total`` is then that
    #: many and more match (a person narrows the search rather than page through them).
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class HistoryEvent:
    """One audit event about a job (or a blank it used), in the office's zone."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


#: The most rows a search page holds.
MAX_PER_PAGE = 200


@operation("job.read")
def search_jobs(
    station: Station,
    actor: Actor,
    state: str | None = None,
    search: str | None = None,
    page: int = 1,
    per_page: int = 50,
    states: tuple[str, ...] | list[str] = (),
) -> JobPage:
    """One page of jobs, newest first: only those in ``state`` (or any of ``states``) if
    given, and only those whose NIK starts with ``search`` (digits) or whose holder's
    name contains it (any case). Only reads: a batch that is gone is taken back by
    ``show_job`` and the batch."""
    from sqlalchemy import func, select

    from printstation.storage.models import Enrolment, Job

    wanted_states = sorted({*states, *([state] if state else [])})
    for name in wanted_states:
        if name not in STATES:
            raise InputError(f"{name} is not a job state; one of {', '.join(STATES)}")
    if page < 1:
        raise InputError(f"a page is numbered from 1, not {page}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InputError(f"a page holds 1 to {MAX_PER_PAGE} jobs, not {per_page}")
    conditions: list[Any] = []
    if wanted_states:
        conditions.append(Job.state.in_(wanted_states))
    text = (search or "").strip()
    by_name = bool(text) and not text.isdigit()
    if text.isdigit():
        # A range, not LIKE: it reads the NIK index on both databases ("9" < ":").
        conditions += [Job.nik >= text, Job.nik < text + ":"]
    elif by_name:
        # The names are read from their own index (enrolments' rows hold the media).
        # They are ASCII (printstation.intake.fields.TEXT_ALLOWED), which SQLite's LIKE
        # already compares in any case; PostgreSQL's ILIKE does.
        if station.db.engine.dialect.name == "sqlite":
            matches = Enrolment.name.contains(text, autoescape=True)
        else:
            matches = Enrolment.name.icontains(text, autoescape=True)
        named = select(Enrolment.id).where(matches)
        conditions.append(Job.enrolment_id.in_(named))
    start = (page - 1) * per_page
    with transaction(station) as s:
        # The page's ids first, from the indexes alone; then only their rows are read.
        ids = select(Job.id).where(*conditions).order_by(Job.id.desc())
        more = False
        if by_name:
            # One pass over the matches gives both the count and the page; a name that
            # many share is counted up to NAME_MATCHES_COUNTED (newest first).
            capped = ids.limit(NAME_MATCHES_COUNTED + 1)
            matched = s.connection().execute(capped).scalars().all()  # Core: no ORM rows
            more = len(matched) > NAME_MATCHES_COUNTED
            matched = matched[:NAME_MATCHES_COUNTED]
            total, wanted = len(matched), matched[start : start + per_page]
        else:
            total = int(
                s.execute(select(func.count()).select_from(Job).where(*conditions)).scalar_one()
            )
            wanted = list(s.execute(ids.limit(per_page).offset(start)).scalars())
        query = _row_query().where(Job.id.in_(wanted)).order_by(Job.id.desc())
        found = s.execute(query).all() if wanted else []
        rows = [JobRow(**_row(station, job, name, reason)) for job, name, reason in found]
    return JobPage(rows=rows, total=total, page=page, per_page=per_page, more=more)


def _enrolment_of(session: Session, job_id: int) -> Any:
    from sqlalchemy import select

    from printstation.storage.models import Enrolment, Job

    found = session.execute(
        select(Enrolment).join(Job, Job.enrolment_id == Enrolment.id).where(Job.id == job_id)
    ).scalar_one_or_none()
    if found is None:
        raise InputError(f"there is no job {job_id}")
    return found


#: The longest side of a photo thumbnail, in pixels.
MAX_THUMBNAIL = 600


@operation("job.read")
def photo(station: Station, actor: Actor, job_id: int, size: int = 160) -> bytes:
    """The holder's photo as a JPEG thumbnail whose longest side is ``size`` pixels."""
    import io

    from PIL import Image

    if not 16 <= size <= MAX_THUMBNAIL:
        raise InputError(f"a thumbnail is 16 to {MAX_THUMBNAIL} pixels, not {size}")
    with transaction(station) as s:
        data = bytes(_enrolment_of(s, job_id).photo)
    try:
        opened = Image.open(io.BytesIO(data))
        if opened.format == "JPEG":
            opened.draft("RGB", (size, size))
        image = opened.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(f"cannot read the photo of job {job_id}: {exc}") from exc
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@operation("job.read")
def face_preview(station: Station, actor: Actor, job_id: int, width: int = 508) -> bytes:
    """The card's front as the printer would print it today, a PNG ``width`` pixels wide
    (the layout the batch uses, printstation.layout.face)."""
    import io

    from PIL import Image

    from printstation.layout import face
    from printstation.records import IssueInfo
    from printstation.storage.rows import load_card

    template = station.template
    if not 64 <= width <= template.width:
        raise InputError(f"a preview is 64 to {template.width} pixels wide, not {width}")
    with transaction(station) as s:
        record, media = load_card(_enrolment_of(s, job_id))
    office = station.config.office
    issue = IssueInfo(place=office.issue_place, date=station.today())
    image = face.render_face(record, media, issue, office, template).image
    height = round(image.height * width / image.width)
    out = io.BytesIO()
    image.resize((width, height), Image.Resampling.LANCZOS).save(out, "PNG", optimize=False)
    return out.getvalue()


#: The action of a job history's first entry: its enrolment's import.
IMPORTED = "enrolment.import"


@operation("job.read")
def history(station: Station, actor: Actor, job_id: int) -> list[HistoryEvent]:
    """A job's story, oldest first: its enrolment's import (``IMPORTED``, from the
    enrolment's row: the audit log records an import per bundle, numbered 0 here), then
    the audit log's events about the job and the blanks it used."""
    from sqlalchemy import select

    from printstation.storage.models import AuditEvent, Blank, Enrolment, Job

    with transaction(station) as s:
        job = s.get(Job, job_id)
        if job is None:
            raise InputError(f"there is no job {job_id}")
        serials = list(s.execute(select(Blank.serial).where(Blank.job_id == job_id)).scalars())
        subjects = [f"job {job_id}", *serials]
        events = s.execute(
            select(AuditEvent).where(AuditEvent.subject.in_(subjects)).order_by(AuditEvent.id)
        ).scalars()
        imported = s.execute(
            select(
                Enrolment.imported_at, Enrolment.imported_by, Enrolment.source, Enrolment.line
            ).where(Enrolment.id == job.enrolment_id)
        ).one()
        first = HistoryEvent(
            id=0,
            at=office_time(station, imported.imported_at),
            actor=imported.imported_by,
            action=IMPORTED,
            subject=job.enrolment_id,
            detail={"source": imported.source, "line": imported.line},
        )
        return [first] + [
            HistoryEvent(
                id=e.id,
                at=office_time(station, e.at),
                actor=e.actor,
                action=e.action,
                subject=e.subject,
                detail=dict(e.detail or {}),
            )
            for e in events
        ]
