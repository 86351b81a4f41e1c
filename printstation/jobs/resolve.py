"""Settling what a crash or a fault left open: an operator says what came out.

A job is ``unresolved`` when the station stopped while its card was in a printer. The
operator looks at the printer (its output hopper, reject box, the card path) and says:
the card came out good (``issued``), it is spoiled (``spoiled``, with its cause), or no
blank left the feeder (``none``). Nothing is guessed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from printstation.errors import InputError, JobError
from printstation.jobs import approvals
from printstation.jobs.machine import JobFlow
from printstation.ledger import audit
from printstation.ledger.stock import SPOIL_CAUSES, BlankLedger
from printstation.storage.models import Blank, Job

OUTCOMES = ("issued", "spoiled", "none")


def resolve(
    session: Session,
    job_id: int,
    outcome: str,
    actor: str,
    *,
    serial: str | None = None,
    cause: str = "print_failed",
    note: str | None = None,
) -> Job:
    if outcome not in OUTCOMES:
        raise InputError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    if outcome == "spoiled" and cause not in SPOIL_CAUSES:
        raise InputError(f"cause {cause!r} is not one of {', '.join(SPOIL_CAUSES)}")
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise InputError(f"no job {job_id}")
    if job.state != "unresolved":
        raise JobError(f"job {job_id} is {job.state}, not unresolved: nothing to settle")
    ledger = BlankLedger(session, actor)
    blank = _blank_of(session, job, serial, ledger)
    flow = JobFlow(job, session, actor)
    audit.record(
        session,
        actor,
        "job.resolve",
        f"job {job_id}",
        outcome=outcome,
        serial=blank.serial if blank else None,
        cause=cause,
        note=note,
    )
    if outcome == "issued":
        if blank is None:
            raise InputError(f"job {job_id}: give the serial of the card that came out (--serial)")
        approvals.retire_previous_card(session, job, blank.serial)
        ledger.issue(blank.serial, job, job.printer or "-")
        job.serial = blank.serial
        flow.step("resolve_issued", serial=blank.serial)
    elif outcome == "spoiled":
        if blank is None:
            raise InputError(f"job {job_id}: give the serial of the spoiled card (--serial)")
        ledger.spoil(blank.serial, cause, job=job, detail=note or "settled by the operator")
        flow.step("requeue", serial=blank.serial, cause=cause)
    else:
        if blank is not None:
            ledger.unbind(blank.serial, job)
        flow.step("requeue", reason="no blank was consumed")
    return job


def _blank_of(session: Session, job: Job, serial: str | None, ledger: BlankLedger) -> Blank | None:
    """The job's blank: the one a crash left unknown, or the serial the operator read."""
    unknown = session.execute(
        select(Blank).where(Blank.job_id == job.id, Blank.state == "unknown")
    ).scalar_one_or_none()
    if unknown is not None:
        if serial is not None and serial != unknown.serial:
            raise InputError(
                f"job {job.id} had blank {unknown.serial} at the encoder, "
                f"not {serial}: check the serial printed on the card"
            )
        return unknown
    if serial is None:
        return None
    blank = session.get(Blank, serial, with_for_update=True)
    if blank is None:
        raise InputError(f"blank {serial} is not in this station's stock")
    if blank.state != "loaded":
        raise InputError(
            f"blank {serial} is {blank.state}: only a loaded blank can have been "
            f"in printer {job.printer}"
        )
    blank.state, blank.job_id = "unknown", job.id
    session.flush()
    return blank
