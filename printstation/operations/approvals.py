"""Requests awaiting a supervisor, and the supervisor's decision on them.

An operator asks for a priority print or a reprint (``printstation.operations.jobs``);
a supervisor who is another person than the one who asked (another NIP) approves or
rejects it. A supervisor who tries to decide their own request, through any of their
accounts, is refused, and the refusal stays in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, cast

from printstation.operations.base import Actor, operation, refusal, transaction
from printstation.operations.jobs import days_until, office_time

if TYPE_CHECKING:
    from printstation.station import Station


@dataclass(frozen=True)
class PendingRequest:
    id: int
    kind: str
    job: int
    #: The holder's NIK and name, from the job's enrolment.
    nik: str
    name: str
    reason: str
    deadline: date | None
    #: Days from the office's today to the deadline (negative: overdue).
    days_left: int | None
    #: For a reprint: the serial of the valid card it replaces.
    replaces: str | None
    note: str | None
    requested_by: str
    #: When it was asked for, in the office's zone.
    requested_at: datetime
    job_state: str


@dataclass(frozen=True)
class Decision:
    id: int
    kind: str
    job: int
    #: approved or rejected
    status: str
    decided_by: str
    decided_at: datetime
    note: str | None
    #: The job's state after the decision (an approved reprint is queued, a rejected one
    #: cancelled).
    job_state: str


@operation("job.read")
def list_pending(station: Station, actor: Actor) -> list[PendingRequest]:
    """Requests still waiting for a decision, oldest first (those of finished jobs are
    left out: they need none)."""
    from sqlalchemy import select

    from printstation.jobs.machine import TERMINAL
    from printstation.storage.models import Approval, Enrolment, IssuedCard, Job

    replaces = (
        select(IssuedCard.serial)
        .where(IssuedCard.nik == Job.nik, IssuedCard.status == "valid")
        .limit(1)
        .correlate(Job)
        .scalar_subquery()
    )
    query = (
        select(Approval, Job.nik, Job.state, Enrolment.name, replaces)
        .join(Job, Job.id == Approval.job_id)
        .join(Enrolment, Enrolment.id == Job.enrolment_id)
        .where(Approval.status == "pending", Job.state.not_in(sorted(TERMINAL)))
        .order_by(Approval.id)
    )
    with transaction(station) as s:
        return [
            PendingRequest(
                id=a.id,
                kind=a.kind,
                job=a.job_id,
                nik=nik,
                name=name,
                reason=a.reason,
                deadline=a.deadline,
                days_left=days_until(station, a.deadline),
                replaces=serial if a.kind == "reprint" else None,
                note=a.note,
                requested_by=a.requested_by,
                requested_at=office_time(station, a.requested_at),
                job_state=state,
            )
            for a, nik, state, name, serial in s.execute(query).all()
        ]


@operation("approval.decide")
def decide(
    station: Station, actor: Actor, request_id: int, approve: bool, note: str | None = None
) -> Decision:
    """Approve or reject a request; never one you asked for yourself."""
    from sqlalchemy import select

    from printstation.jobs import approvals
    from printstation.ledger import audit
    from printstation.storage.models import Job

    try:
        with transaction(station) as s:
            decided = approvals.decide(
                s, request_id, actor.name, approve=approve, note=note or None
            )
            state = s.execute(select(Job.state).where(Job.id == decided.job_id)).scalar_one()
            return Decision(
                id=decided.id,
                kind=decided.kind,
                job=decided.job_id,
                status=decided.status,
                decided_by=actor.name,
                decided_at=office_time(station, cast(datetime, decided.decided_at)),
                note=decided.decision_note,
                job_state=state,
            )
    except approvals.OwnRequest as exc:
        with refusal(station) as s2:
            audit.record(
                s2,
                actor.name,
                "approval.self_refused",
                f"request {request_id}",
                approve=approve,
                nip=actor.nip,
                reason=exc.message,
            )
        raise
