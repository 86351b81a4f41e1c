"""The print queue: which job a printer takes next, and taking it exactly once.

Order: approved priority prints first (earliest deadline first), then the ordinary
queue in arrival order; jobs waiting for a new blank after a spoil keep their place.
On PostgreSQL the claim is ``SELECT ... FOR UPDATE SKIP LOCKED`` so stations sharing
one database never take the same job; on SQLite every transaction holds the write lock
(see printstation.storage.db), which serialises claims the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from printstation.jobs.machine import ACTIVE, HARDWARE, WAITING, JobFlow
from printstation.ledger.stock import BlankLedger, get_setting
from printstation.storage.models import Blank, Job


def queue_order() -> tuple[Any, ...]:
    return (Job.priority_rank, Job.deadline.asc().nulls_last(), Job.id)


def claim_next(
    session: Session,
    *,
    station: str,
    printer: str,
    actor: str,
    lease_id: str | None = None,
) -> JobFlow | None:
    """Claim the next waiting job for ``printer``; None when the queue is empty.

    ``lease_id``: the lease of the batch claiming it (printstation.jobs.lease), stored
    on the job with its claim, so the job is recovered if that batch is gone.

    When the blanks left are no more than the supervisor's reserve, only approved
    priority prints may be claimed: the reserve is theirs.
    """
    query = select(Job).where(Job.state.in_(sorted(WAITING)))
    reserve = get_setting(session, "reserve")
    if reserve and BlankLedger(session, actor).available() <= reserve:
        query = query.where(Job.priority_rank == 0)
    job = session.execute(
        query.order_by(*queue_order()).limit(1).with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if job is None:
        session.rollback()
        return None
    job.station, job.printer, job.lease_id = station, printer, lease_id
    flow = JobFlow(job, session, actor)
    flow.step("claim", printer=printer, station=station)
    return flow


def waiting_count(session: Session) -> int:
    return len(session.execute(select(Job.id).where(Job.state.in_(sorted(WAITING)))).all())


def recover_unleased(session: Session, *, station: str, actor: str) -> list[int]:
    """Settle this station's active jobs that no batch lease holds (claimed before
    batches held leases); returns those made unresolved. The caller commits.

    A job that carries a lease is left to ``printstation.jobs.lease.recover_abandoned``,
    which never touches the jobs of a batch that is still running.
    """
    query = select(Job).where(
        Job.station == station, Job.state.in_(sorted(ACTIVE)), Job.lease_id.is_(None)
    )
    jobs = session.execute(query.order_by(Job.id).with_for_update()).scalars().all()
    return [job.id for job in jobs if settle_interrupted(session, job, actor)]


def settle_interrupted(session: Session, job: Job, actor: str) -> bool:
    """Take ``job`` from a worker that is gone; True if it became ``unresolved``.

    The caller commits.
    """
    flow = JobFlow(job, session, actor)
    job.lease_id = None
    if job.state not in HARDWARE:
        flow.step("release", commit=False)
        return False
    blank = session.execute(
        select(Blank).where(Blank.job_id == job.id, Blank.state == "in_use")
    ).scalar_one_or_none()
    if blank is not None:
        BlankLedger(session, actor).mark_unknown(blank.serial, job)
    job.last_error = (
        f"the station stopped while this card was in printer "
        f"{job.printer} ({job.state}); check the printer's output and "
        "reject box, then resolve the job"
    )
    flow.step("interrupt", commit=False, printer=job.printer, serial=job.serial)
    return True
