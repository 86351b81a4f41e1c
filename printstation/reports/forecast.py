"""The stock forecast: when the blanks on hand reach the reserve and run out.

The figures (see docs/stock-forecast.md):

- the issue rate: cards issued per day over the last 7 and the last 30 office days (the
  office's own dates, in its zone, ending yesterday: today is not over yet);
- the queued demand: every job that will still take a blank (held awaiting approval,
  queued, being printed, to retry, paused), the priority ones apart;
- the projection at each rate, counting the queue: the queue's blanks are spoken for, the
  rest go at the rate, so on hand reaches zero ``(on hand - queued) / rate`` days from
  today and the reserve ``(on hand - queued - reserve) / rate`` days from today; a queue
  larger than the stock is short today; no issues and a covered queue never run out;
- the priority jobs at risk: the queue printed in its order (priority first, earliest
  deadline first) finds no blank for them: their deadline falls after the stock is gone;
- each printer's ribbon prints left against the jobs that will print on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printstation.ledger.stock import BlankLedger, get_setting
from printstation.reports.period import Period
from printstation.storage.models import Approval, Enrolment, IssuedCard, Job

#: The windows of the issue rate, in office days.
WINDOWS = (7, 30)
#: The job states that will still take a blank from stock.
DEMAND_STATES = (
    "held",
    "queued",
    "claimed",
    "rendered",
    "feeding",
    "at_encoder",
    "encoded",
    "printing",
    "retry",
    "paused",
)
#: Of those, the ones a printer is working on now.
PRINTING_STATES = ("claimed", "rendered", "feeding", "at_encoder", "encoded", "printing")


def mask_nik(nik: str) -> str:
    """A NIK as a letter names it: the region (6 digits) and the last 4, the rest hidden."""
    if len(nik) <= 10:
        return nik
    return nik[:6] + "*" * (len(nik) - 10) + nik[-4:]


@dataclass(frozen=True)
class Projection:
    """On hand against the queue at one issue rate."""

    days: int
    issued: int
    #: Cards issued per day over the window.
    rate: float
    #: The last day the stock covers (None: it never runs out at this rate).
    zero_on: date | None
    #: The day on hand reaches the reserve (None: never at this rate).
    reserve_on: date | None
    #: Days from today until each (None: never; 0: today).
    days_to_zero: float | None
    days_to_reserve: float | None


@dataclass(frozen=True)
class PriorityJob:
    job: int
    nik: str
    name: str
    reason: str
    deadline: date | None
    state: str
    #: Its turn in the print order (1: the next card printed).
    position: int
    #: True when the blanks on hand cover it in that order.
    covered: bool
    #: The request awaits a supervisor's decision (not yet at the front of the queue).
    awaiting_approval: bool = False


@dataclass(frozen=True)
class Ribbon:
    printer: str
    #: Prints the ribbon has left, as the printer last said (None: not known).
    ribbon_left: int | None
    #: Jobs bound to this printer, and the station's queue any printer may take.
    queued_for_it: int
    queued_any: int
    #: The prints this printer is short of for its own jobs and its share of the rest
    #: (None when its ribbon is not known).
    short: int | None
    #: Why the ribbon is not known (the printer's error), if it is not.
    error: str | None = None


@dataclass(frozen=True)
class Forecast:
    today: date
    timezone: str
    on_hand: int
    loaded: int
    not_loaded: int
    reserve: int
    low_stock: int
    #: Blanks the queue will take: all of it, the priority ones, awaiting approval.
    demand: int
    priority_demand: int
    ordinary_demand: int
    awaiting_approval: int
    printing: int
    #: On hand less the queue (negative: the queue is short by that many).
    free: int
    shortfall: int
    projections: list[Projection]
    priority_jobs: list[PriorityJob]
    at_risk: list[PriorityJob]
    ribbons: list[Ribbon] = field(default_factory=list)

    def projection(self, days: int) -> Projection:
        return next(p for p in self.projections if p.days == days)


def project(
    on_hand: int, demand: int, reserve: int, issued: int, days: int, today: date
) -> Projection:
    """On hand at ``issued`` cards over ``days`` days, the queue's ``demand`` taken first."""
    rate = issued / days if days else 0.0
    zero_days = _days(on_hand - demand, rate)
    reserve_days = _days(on_hand - demand - reserve, rate)
    return Projection(
        days=days,
        issued=issued,
        rate=round(rate, 2),
        zero_on=_date(today, zero_days),
        reserve_on=_date(today, reserve_days),
        days_to_zero=None if zero_days is None else round(zero_days, 1),
        days_to_reserve=None if reserve_days is None else round(reserve_days, 1),
    )


def _days(left: int, rate: float) -> float | None:
    if left <= 0:
        return 0.0
    if rate <= 0:
        return None
    return left / rate


def _date(today: date, days: float | None) -> date | None:
    return None if days is None else today + timedelta(days=math.floor(days))


def print_order(jobs: list[PriorityJob]) -> list[PriorityJob]:
    """Priority jobs in the order the queue prints them: those approved first, each
    group by earliest deadline (none last), then job number."""
    return sorted(
        jobs,
        key=lambda j: (j.awaiting_approval, j.deadline is None, j.deadline or date.max, j.job),
    )


def cover(jobs: list[PriorityJob], on_hand: int) -> list[PriorityJob]:
    """``jobs`` numbered in print order, each covered while blanks on hand last."""
    ordered = print_order(jobs)
    return [
        PriorityJob(
            job=j.job,
            nik=j.nik,
            name=j.name,
            reason=j.reason,
            deadline=j.deadline,
            state=j.state,
            position=n,
            covered=n <= on_hand,
            awaiting_approval=j.awaiting_approval,
        )
        for n, j in enumerate(ordered, start=1)
    ]


def ribbon_against_queue(
    ribbons: dict[str, int | None],
    errors: dict[str, str | None],
    bound: dict[str, int],
    unbound: int,
) -> list[Ribbon]:
    """Each printer's ribbon against its own jobs and an even share of the unbound queue
    (the printers whose ribbon is known share it)."""
    known = [p for p, left in ribbons.items() if left is not None]
    share = math.ceil(unbound / len(known)) if known else unbound
    out = []
    for printer, left in ribbons.items():
        short = None
        if left is not None:
            short = max(0, bound.get(printer, 0) + share - left)
        out.append(
            Ribbon(
                printer=printer,
                ribbon_left=left,
                queued_for_it=bound.get(printer, 0),
                queued_any=unbound,
                short=short,
                error=errors.get(printer),
            )
        )
    return out


def issued_between(session: Session, tz: ZoneInfo, first: date, last: date) -> int:
    period = Period(first, last, tz)
    return int(
        session.execute(
            select(func.count())
            .select_from(IssuedCard)
            .where(IssuedCard.issued_at >= period.start, IssuedCard.issued_at < period.end)
        ).scalar_one()
    )


def forecast(
    session: Session,
    tz: ZoneInfo,
    today: date,
    ribbons: dict[str, int | None],
    ribbon_errors: dict[str, str | None] | None = None,
) -> Forecast:
    """The forecast from the ledger, the queue and the issues of the last office days;
    ``ribbons`` are the printers' prints left as last read."""
    ledger = BlankLedger(session, "forecast")
    counts = ledger.counts()
    reserve, low = get_setting(session, "reserve"), get_setting(session, "low_stock")
    by_state = dict(
        session.execute(
            select(Job.state, func.count()).where(Job.state.in_(DEMAND_STATES)).group_by(Job.state)
        ).all()
    )
    demand = sum(int(n) for n in by_state.values())
    printing = sum(int(by_state.get(s, 0)) for s in PRINTING_STATES)
    priority = _priority_jobs(session)
    awaiting = sum(1 for j in priority if j.awaiting_approval)
    covered = cover(priority, counts.on_hand)
    projections = [
        project(
            counts.on_hand,
            demand,
            reserve,
            issued_between(session, tz, today - timedelta(days=days), today - timedelta(days=1)),
            days,
            today,
        )
        for days in WINDOWS
    ]
    bound = dict(
        session.execute(
            select(Job.printer, func.count())
            .where(Job.state.in_(DEMAND_STATES), Job.printer.is_not(None))
            .group_by(Job.printer)
        ).all()
    )
    unbound = demand - sum(int(n) for n in bound.values())
    return Forecast(
        today=today,
        timezone=tz.key,
        on_hand=counts.on_hand,
        loaded=counts.loaded,
        not_loaded=ledger.not_loaded(),
        reserve=reserve,
        low_stock=low,
        demand=demand,
        priority_demand=len(priority),
        ordinary_demand=demand - len(priority),
        awaiting_approval=awaiting,
        printing=printing,
        free=counts.on_hand - demand,
        shortfall=max(0, demand - counts.on_hand),
        projections=projections,
        priority_jobs=covered,
        at_risk=[j for j in covered if not j.covered],
        ribbons=ribbon_against_queue(
            ribbons, ribbon_errors or {}, {str(k): int(v) for k, v in bound.items()}, unbound
        ),
    )


def _priority_jobs(session: Session) -> list[PriorityJob]:
    """Open jobs approved as priority (rank 0) or with a priority request pending."""
    pending = {
        a.job_id: a
        for a in session.execute(
            select(Approval)
            .where(Approval.kind == "priority", Approval.status == "pending")
            .order_by(Approval.id)
        ).scalars()
    }
    approved = {
        a.job_id: a
        for a in session.execute(
            select(Approval)
            .where(Approval.kind == "priority", Approval.status == "approved")
            .order_by(Approval.id)
        ).scalars()
    }
    rows = session.execute(
        select(Job, Enrolment.name)
        .join(Enrolment, Enrolment.id == Job.enrolment_id)
        .where(Job.state.in_(DEMAND_STATES))
        .where((Job.priority_rank == 0) | Job.id.in_(list(pending)))
        .order_by(Job.id)
    ).all()
    out = []
    for job, name in rows:
        waiting = job.priority_rank != 0 and job.id in pending
        asked = pending.get(job.id) if waiting else approved.get(job.id)
        out.append(
            PriorityJob(
                job=job.id,
                nik=mask_nik(job.nik),
                name=name,
                reason=asked.reason if asked is not None else "",
                deadline=job.deadline or (asked.deadline if asked is not None else None),
                state=job.state,
                position=0,
                covered=True,
                awaiting_approval=waiting,
            )
        )
    return out
