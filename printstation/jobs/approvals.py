"""Decisions a supervisor makes: priority prints and reprints.

An operator requests; a supervisor who is another person approves or rejects: four-eyes
compares people (their NIPs, ``people.users.same_person``), not account names, so a second
account of the requester's own cannot decide; the database refuses a decision by the same
account or the same NIP too. An approved priority moves its job to the front of the
queue, earliest deadline first, and lets it use the blanks held in reserve. A reprint's
job is held until approved; when the new card is issued the earlier one is recorded as
replaced, so a NIK never has two valid cards.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from printstation.errors import InputError, JobError, PermissionDenied
from printstation.jobs.machine import TERMINAL, JobFlow
from printstation.ledger import audit
from printstation.people import users
from printstation.storage.models import Approval, IssuedCard, Job, utcnow

PRIORITY_REASONS = ("cpns", "age17", "disaster", "suket", "other")


def request_priority(
    session: Session,
    job_id: int,
    reason: str,
    actor: str,
    *,
    deadline: date | None = None,
    note: str | None = None,
) -> Approval:
    if reason not in PRIORITY_REASONS:
        raise InputError(f"priority reason {reason!r} is not one of {', '.join(PRIORITY_REASONS)}")
    job = _job(session, job_id)
    if job.state not in ("queued", "held"):
        raise JobError(f"job {job_id} is {job.state}: only a waiting job can be made priority")
    pending = session.execute(
        select(Approval).where(
            Approval.job_id == job_id, Approval.kind == "priority", Approval.status == "pending"
        )
    ).scalar_one_or_none()
    if pending is not None:
        raise JobError(f"job {job_id} already has a pending priority request ({pending.id})")
    approval = Approval(
        kind="priority",
        job_id=job_id,
        reason=reason,
        deadline=deadline,
        note=note,
        requested_by=actor,
        requested_nip=users.nip_of(session, actor),
    )
    session.add(approval)
    session.flush()
    audit.record(
        session,
        actor,
        "priority.request",
        f"job {job_id}",
        approval=approval.id,
        reason=reason,
        deadline=deadline,
        note=note,
    )
    return approval


class OwnRequest(PermissionDenied):
    """A supervisor tried to decide a request they made themselves (through this account
    or another of the same person's), or cannot be told apart from the requester."""

    code = "own_request"


def decide(
    session: Session, approval_id: int, actor: str, *, approve: bool, note: str | None = None
) -> Approval:
    """A supervisor's decision; never the requester's own (``OwnRequest``).

    Runs in the caller's transaction: nothing is committed here. The caller records the
    audit event of a refused self-decision in a transaction of its own.
    """
    approval = session.get(Approval, approval_id, with_for_update=True)
    if approval is None:
        raise InputError(f"there is no request {approval_id}")
    if approval.status != "pending":
        raise JobError(
            f"request {approval_id} was already {approval.status} by {approval.decided_by}"
        )
    if approval.requested_by == actor:
        raise OwnRequest(
            f"{actor} asked for request {approval_id}: another supervisor must decide it",
            where=actor,
        )
    requested_nip = approval.requested_nip or users.nip_of(session, approval.requested_by)
    decided_nip = users.nip_of(session, actor)
    if decided_nip is None or requested_nip is None:
        who = actor if decided_nip is None else approval.requested_by
        raise OwnRequest(
            f"{who} has no account with a NIP (set-up mode, or an account made before NIPs "
            f"were recorded), so nobody can tell the two people of request {approval_id} "
            "apart: a supervisor with a NIP must decide it, on a request by an account with one",
            where=actor,
        )
    if requested_nip == decided_nip or users.same_person(session, approval.requested_by, actor):
        raise OwnRequest(
            f"{actor} and {approval.requested_by}, who asked for request {approval_id}, are "
            f"one person (NIP {decided_nip}): another supervisor must decide it",
            where=actor,
        )
    job = _job(session, approval.job_id)
    if job.state in TERMINAL:
        raise JobError(
            f"job {job.id} is already {job.state}: request {approval_id} no longer needs a decision"
        )
    approval.status = "approved" if approve else "rejected"
    approval.decided_by, approval.decided_at, approval.decision_note = actor, utcnow(), note
    approval.requested_nip, approval.decided_nip = requested_nip, decided_nip
    if approve and approval.kind == "priority":
        job.priority_rank, job.deadline = 0, approval.deadline
    audit.record(
        session,
        actor,
        f"{approval.kind}.{approval.status}",
        f"job {job.id}",
        approval=approval.id,
        note=note,
    )
    if approval.kind == "reprint" and job.state == "held":
        flow = JobFlow(job, session, actor)
        flow.step("approve" if approve else "cancel", commit=False, approval=approval.id)
    session.flush()
    return approval


def pending(session: Session) -> list[Approval]:
    return list(
        session.execute(
            select(Approval).where(Approval.status == "pending").order_by(Approval.id)
        ).scalars()
    )


def _require_approved_reprint(session: Session, job: Job, valid: str, doing: str) -> None:
    """A job for a NIK that has a valid card goes on only as an approved reprint."""
    approved = session.execute(
        select(Approval.id).where(
            Approval.job_id == job.id, Approval.kind == "reprint", Approval.status == "approved"
        )
    ).scalar_one_or_none()
    if approved is None:
        raise JobError(
            f"NIK {job.nik} already has a valid card ({valid}) and job {job.id} "
            f"is not an approved reprint: it cannot be {doing}"
        )


def check_issuable(session: Session, job: Job) -> str | None:
    """Refuse, before a blank is fed, a job that would give its NIK a second valid card.

    Returns the serial of the valid card an approved reprint replaces, or None.
    """
    previous = session.execute(
        select(IssuedCard.serial).where(IssuedCard.nik == job.nik, IssuedCard.status == "valid")
    ).scalar_one_or_none()
    if previous is None:
        return None
    _require_approved_reprint(session, job, previous, "printed")
    return previous


def retire_previous_card(session: Session, job: Job, new_serial: str) -> IssuedCard | None:
    """Mark the NIK's valid card replaced by ``new_serial`` (a reprint being issued)."""
    previous = session.execute(
        select(IssuedCard)
        .where(IssuedCard.nik == job.nik, IssuedCard.status == "valid")
        .with_for_update()
    ).scalar_one_or_none()
    if previous is None:
        return None
    _require_approved_reprint(session, job, previous.serial, "issued")
    previous.status, previous.replaced_by = "replaced", new_serial
    session.flush()
    audit.record(
        session, "station", "card.replaced", previous.serial, by=new_serial, job=job.id, nik=job.nik
    )
    return previous


def _job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise InputError(f"there is no job {job_id}")
    return job
