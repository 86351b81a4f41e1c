"""The station at a glance: the queue by state, the priority jobs still to print, the blank
stock and the cards whose fate is open, read cheaply enough to refresh a screen often.

``dashboard`` only reads: it takes back no abandoned batch (``jobs.show_job`` does) and
compares no printer counter (``stock.show`` does, and audits a new difference), so it
costs a few indexed counts however long the queue is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from printstation.operations.base import Actor, operation, transaction
from printstation.operations.jobs import STATES, days_until, priority_reason

if TYPE_CHECKING:
    from printstation.station import Station

#: How many priority jobs, and how many cards of open fate, the dashboard lists.
LISTED = 20


@dataclass(frozen=True)
class PriorityJob:
    id: int
    nik: str
    name: str
    state: str
    #: The approved priority's reason (cpns, age17, disaster, suket, other).
    reason: str | None
    deadline: date | None
    #: Days from the office's today to the deadline (negative: overdue).
    days_left: int | None


@dataclass(frozen=True)
class OpenFate:
    """A job whose card's fate is open (unresolved): a person looks at the printer."""

    id: int
    nik: str
    name: str
    printer: str | None
    serial: str | None


@dataclass(frozen=True)
class StockGlance:
    #: On hand: on the shelf, in a feeder or at an encoder.
    on_hand: int
    #: On hand and not in any printer (where the reserve is kept).
    not_loaded: int
    loaded: int
    reserve: int
    low_stock: int
    #: True when the blanks on hand are at or below the low-stock level.
    low: bool
    #: True when the blanks not loaded are below the priority reserve.
    below_reserve: bool
    unknown: int
    pending: int


@dataclass(frozen=True)
class Dashboard:
    #: Every job state (printstation.storage.states.JobState) and its count, zeros too.
    queue: dict[str, int]
    total_jobs: int
    #: Approved priority jobs not yet issued nor cancelled, nearest deadline first.
    priority: list[PriorityJob]
    priority_total: int
    stock: StockGlance
    #: Jobs of open fate (unresolved), oldest first.
    open_fate: list[OpenFate]
    open_fate_total: int
    today: date
    warnings: list[str] = field(default_factory=list)


@operation("job.read")
def dashboard(station: Station, actor: Actor) -> Dashboard:
    """The queue's counts by state, the priority jobs with their deadlines, the blank
    stock against its reserve and low-stock level, and the cards of open fate."""
    from sqlalchemy import func, select

    from printstation.jobs.machine import TERMINAL
    from printstation.ledger.stock import ON_HAND_STATES, get_setting
    from printstation.storage.models import Blank, Enrolment, Job

    reason = priority_reason()
    waiting = (Job.priority_rank == 0, Job.state.not_in(sorted(TERMINAL)))
    with transaction(station) as s:
        counted = dict(s.execute(select(Job.state, func.count()).group_by(Job.state)).all())
        queue = {state: int(counted.get(state, 0)) for state in STATES}
        priority_total = int(
            s.execute(select(func.count()).select_from(Job).where(*waiting)).scalar_one()
        )
        priority = [
            PriorityJob(
                id=job_id,
                nik=nik,
                name=name,
                state=state,
                reason=why,
                deadline=deadline,
                days_left=days_until(station, deadline),
            )
            for job_id, nik, name, state, deadline, why in s.execute(
                select(Job.id, Job.nik, Enrolment.name, Job.state, Job.deadline, reason)
                .join(Enrolment, Enrolment.id == Job.enrolment_id)
                .where(*waiting)
                .order_by(Job.deadline.is_(None), Job.deadline, Job.id)
                .limit(LISTED)
            ).all()
        ]
        blanks = dict(s.execute(select(Blank.state, func.count()).group_by(Blank.state)).all())
        reserve, low = get_setting(s, "reserve"), get_setting(s, "low_stock")
        unresolved = Job.state == "unresolved"
        open_total = int(
            s.execute(select(func.count()).select_from(Job).where(unresolved)).scalar_one()
        )
        open_fate = [
            OpenFate(id=job_id, nik=nik, name=name, printer=printer, serial=serial)
            for job_id, nik, name, printer, serial in s.execute(
                select(Job.id, Job.nik, Enrolment.name, Job.printer, Job.serial)
                .join(Enrolment, Enrolment.id == Job.enrolment_id)
                .where(unresolved)
                .order_by(Job.id)
                .limit(LISTED)
            ).all()
        ]
    on_hand = sum(int(blanks.get(state, 0)) for state in ON_HAND_STATES)
    not_loaded = int(blanks.get("on_hand", 0))
    stock = StockGlance(
        on_hand=on_hand,
        not_loaded=not_loaded,
        loaded=int(blanks.get("loaded", 0)),
        reserve=reserve,
        low_stock=low,
        low=on_hand <= low,
        below_reserve=bool(reserve) and not_loaded < reserve,
        unknown=int(blanks.get("unknown", 0)),
        pending=int(blanks.get("pending", 0)),
    )
    warnings: list[str] = []
    if stock.low:
        warnings.append(f"low stock: {on_hand} blanks on hand (the level is {low})")
    if stock.below_reserve:
        warnings.append(
            f"{not_loaded} blanks on hand and not loaded, below the priority reserve of {reserve}"
        )
    if open_total:
        warnings.append(f"{open_total} jobs of unknown fate: look at the printer and settle each")
    return Dashboard(
        queue=queue,
        total_jobs=sum(queue.values()),
        priority=priority,
        priority_total=priority_total,
        stock=stock,
        open_fate=open_fate,
        open_fate_total=open_total,
        today=station.today(),
        warnings=warnings,
    )
