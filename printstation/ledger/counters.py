"""The printers' own counters cross-check the ledger.

A printer counts every card it takes from its feeder (``Rco;c``, cards inserted). The
station records that counter the first time it talks to a printer (the baseline, with
the printer's own serial number, so a swapped printer is noticed) and from then on

    cards fed since the baseline = blanks the ledger consumed through it since then

where a blank "consumed through printer P" is one read at P's encoder and bound to a
job there (``blanks.printer = P`` with a job) whose fate is in use, issued, spoiled,
unknown or pending write-off, plus the cards P rejected at its encoder as not this
station's or already used (``security.unknown_blank``/``security.blank_reused`` events:
a card fed all the same). A blank unbound from its job (``job resolve --outcome none``:
"no blank left the feeder") is not consumed: if the printer fed it all the same, the
counters say so.

A difference the printer's open jobs cannot explain (a card in flight, or a job a stop
left unresolved: up to one card each) is a discrepancy the auditor must explain:
``printer.discrepancy`` is recorded once for each new difference (not on every look),
``printer.counters_agree`` when it is gone again, ``printer.baseline`` when a printer is
first seen. The baseline's authority is that first event, not the table: a baseline
edited or deleted in the database is put back (and recorded). A printer replaced by
another device keeps the difference it had, shown beside the new device's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printstation.ledger import audit
from printstation.storage.models import AuditEvent, Blank, Job, PrinterCounter, utcnow
from printstation.storage.states import JobState

#: Fates of a blank that has left the feeder for good.
CONSUMED_STATES = ("in_use", "issued", "spoiled", "unknown", "pending")
#: A job in these states at a printer may have a card out of the feeder and not yet
#: bound (in flight, or left by a stop for the operator to settle).
OPEN_JOB_STATES = (
    JobState.FEEDING,
    JobState.AT_ENCODER,
    JobState.ENCODED,
    JobState.PRINTING,
    JobState.UNRESOLVED,
)
#: Cards fed and rejected at the encoder without a blank of this station's being bound.
FED_AND_REJECTED = ("security.unknown_blank", "security.blank_reused")


@dataclass(frozen=True)
class CounterCheck:
    """One printer (one device) checked against the ledger."""

    printer: str
    device_serial: str
    baseline_fed: int
    baseline_at: datetime
    #: The counter as last read, and when.
    fed: int
    read_at: datetime
    #: Cards the printer fed since the baseline, and blanks the ledger consumed through it.
    fed_since: int
    consumed_since: int
    #: True for the device answering under this name now; False for one replaced.
    current: bool = True
    #: The printer's jobs in flight or left unresolved (OPEN_JOB_STATES): a card each may
    #: have left the feeder and not be bound yet.
    unresolved: int = 0

    @property
    def difference(self) -> int:
        """fed - consumed: positive when the printer fed cards the ledger does not show."""
        return self.fed_since - self.consumed_since

    @property
    def unsettled(self) -> bool:
        """The cards fed beyond the ledger may be those of its open jobs (printing now, or
        unresolved): not a discrepancy until the jobs are done or settled."""
        return 0 < self.difference <= self.unresolved

    @property
    def discrepancy(self) -> bool:
        return self.difference != 0 and not self.unsettled

    def message(self) -> str:
        """The difference in an operator's words (empty when the counters agree)."""
        if not self.difference:
            return ""
        device = f" (device {self.device_serial})" if self.device_serial else ""
        if self.unsettled:
            return (
                f"printer {self.printer}{device} fed {self.difference} card(s) the ledger "
                f"does not show yet: its {self.unresolved} job(s) printing or unresolved must "
                "finish or be settled (job resolve, with the serial of every card that left "
                "the feeder)"
            )
        if self.difference > 0:
            what = (
                f"fed {self.difference} card(s) more than the ledger consumed through it "
                f"({self.fed_since} fed, {self.consumed_since} consumed)"
            )
        else:
            what = (
                f"fed {-self.difference} card(s) fewer than the ledger consumed through it "
                f"({self.fed_since} fed, {self.consumed_since} consumed)"
            )
        return (
            f"printer {self.printer}{device} {what} since the station first saw it: "
            "a discrepancy the auditor must explain"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "printer": self.printer,
            "device_serial": self.device_serial,
            "current": self.current,
            "baseline_fed": self.baseline_fed,
            "baseline_at": _utc(self.baseline_at).isoformat(timespec="seconds"),
            "fed": self.fed,
            "read_at": _utc(self.read_at).isoformat(timespec="seconds"),
            "fed_since": self.fed_since,
            "consumed_since": self.consumed_since,
            "difference": self.difference,
            "unresolved_jobs": self.unresolved,
            "discrepancy": self.discrepancy,
            "message": self.message() or None,
        }


def _utc(moment: datetime) -> datetime:
    """Aware, UTC (SQLite gives the stored UTC time back without its zone)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def consumed_through(session: Session, printer: str, *, after_event: int = 0) -> int:
    """Blanks the ledger consumed through ``printer`` (see the module's docstring), with
    the cards it rejected at its encoder after audit event ``after_event``."""
    bound = session.execute(
        select(func.count())
        .select_from(Blank)
        .where(
            Blank.printer == printer,
            Blank.job_id.is_not(None),
            Blank.state.in_(CONSUMED_STATES),
        )
    ).scalar_one()
    rejected = session.execute(
        select(AuditEvent.detail).where(
            AuditEvent.action.in_(FED_AND_REJECTED), AuditEvent.id > after_event
        )
    ).scalars()
    return int(bound) + sum(1 for d in rejected if (d or {}).get("printer") == printer)


def _last_event(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(AuditEvent.id), 0))).scalar_one())


def _baseline_of(session: Session, printer: str, device: str) -> dict[str, Any] | None:
    """The first ``printer.baseline`` event of this printer and device (the audit log,
    which an insider cannot rewrite unseen, is the baseline's authority, not the table)."""
    for detail in session.execute(
        select(AuditEvent.detail)
        .where(AuditEvent.action == "printer.baseline", AuditEvent.subject == f"printer {printer}")
        .order_by(AuditEvent.id)
    ).scalars():
        if (detail or {}).get("device_serial", "") == device:
            return dict(detail)
    return None


def _restore(session: Session, actor: str, row: PrinterCounter) -> None:
    """Put back a baseline edited in the table from its audit event (audited)."""
    first = _baseline_of(session, row.printer, row.device_serial)
    if first is None:
        return
    true = (int(first["fed"]), int(first["consumed"]), int(first.get("after_event", 0)))
    found = (row.baseline_fed, row.baseline_consumed, row.baseline_event)
    if "after_event" not in first:
        true = (true[0], true[1], row.baseline_event)
    if true == found:
        return
    audit.record(
        session,
        actor,
        "printer.discrepancy",
        f"printer {row.printer}",
        kind="baseline_edited",
        device_serial=row.device_serial,
        table={"fed": found[0], "consumed": found[1], "after_event": found[2]},
        audit_log={"fed": true[0], "consumed": true[1], "after_event": true[2]},
    )
    row.baseline_fed, row.baseline_consumed, row.baseline_event = true


def _check(session: Session, row: PrinterCounter) -> CounterCheck:
    # The rejections counted at the baseline are in baseline_consumed: count only later ones.
    consumed = consumed_through(session, row.printer, after_event=row.baseline_event)
    bound_at_baseline = row.baseline_consumed
    return CounterCheck(
        printer=row.printer,
        device_serial=row.device_serial,
        baseline_fed=row.baseline_fed,
        baseline_at=row.baseline_at,
        fed=row.last_fed,
        read_at=row.last_at,
        fed_since=row.last_fed - row.baseline_fed,
        consumed_since=consumed - bound_at_baseline,
        current=row.current,
        unresolved=int(
            session.execute(
                select(func.count())
                .select_from(Job)
                .where(Job.printer == row.printer, Job.state.in_(OPEN_JOB_STATES))
            ).scalar_one()
        ),
    )


def _replaced(row: PrinterCounter) -> CounterCheck:
    """A replaced device as it stood when another answered under its name."""
    fed_since = row.last_fed - row.baseline_fed
    return CounterCheck(
        printer=row.printer,
        device_serial=row.device_serial,
        baseline_fed=row.baseline_fed,
        baseline_at=row.baseline_at,
        fed=row.last_fed,
        read_at=row.last_at,
        fed_since=fed_since,
        consumed_since=fed_since - row.reported_difference,
        current=False,
    )


def observe(
    session: Session, actor: str, printer: str, fed: int | None, device_serial: str | None
) -> CounterCheck | None:
    """Record a reading of ``printer``'s cards-fed counter and check it (None when the
    printer keeps no such counter). The first reading of a device is its baseline; a new
    difference is a ``printer.discrepancy`` event."""
    if fed is None:
        return None
    device = (device_serial or "").strip()
    now = utcnow()
    rows = list(
        session.execute(
            select(PrinterCounter).where(PrinterCounter.printer == printer).with_for_update()
        ).scalars()
    )
    row = next((r for r in rows if r.device_serial == device), None)
    for other in rows:
        if other is not row and other.current:
            left = _check(session, other).difference
            # Kept as it stood when it went: a swap does not hide the old device's difference.
            other.current, other.reported_difference = False, left
            audit.record(
                session,
                actor,
                "printer.discrepancy",
                f"printer {printer}",
                kind="replaced",
                device_serial=device,
                was=other.device_serial,
                difference=left,
            )
    first = _baseline_of(session, printer, device) if row is None else None
    if row is None and first is not None:
        # The row is gone but the log has the baseline: a deleted row resets nothing.
        row = PrinterCounter(
            printer=printer,
            device_serial=device,
            baseline_fed=int(first["fed"]),
            baseline_consumed=int(first["consumed"]),
            baseline_event=int(first.get("after_event", 0)),
            baseline_at=now,
            last_fed=fed,
            last_at=now,
            reported_difference=0,
            current=True,
        )
        session.add(row)
        audit.record(
            session,
            actor,
            "printer.discrepancy",
            f"printer {printer}",
            kind="baseline_missing",
            device_serial=device,
            fed=fed,
        )
        session.flush()
    elif row is None:
        # Bound blanks only: rejections before the baseline are not counted at all.
        after = _last_event(session)
        bound = consumed_through(session, printer, after_event=after)
        row = PrinterCounter(
            printer=printer,
            device_serial=device,
            baseline_fed=fed,
            baseline_consumed=bound,
            baseline_event=after,
            baseline_at=now,
            last_fed=fed,
            last_at=now,
            reported_difference=0,
            current=True,
        )
        session.add(row)
        audit.record(
            session,
            actor,
            "printer.baseline",
            f"printer {printer}",
            device_serial=device,
            fed=fed,
            consumed=bound,
            after_event=after,
        )
        session.flush()
    else:
        _restore(session, actor, row)
        row.current = True
        row.last_fed, row.last_at = fed, now
    check = _check(session, row)
    _report(session, actor, row, check)
    return check


def _report(session: Session, actor: str, row: PrinterCounter, check: CounterCheck) -> None:
    """One event for each new difference, one when it is gone (a difference its
    unresolved jobs may explain is not one yet)."""
    difference = check.difference if check.discrepancy else 0
    if difference == row.reported_difference:
        return
    if difference:
        audit.record(
            session,
            actor,
            "printer.discrepancy",
            f"printer {row.printer}",
            kind="counter",
            device_serial=row.device_serial,
            fed_since=check.fed_since,
            consumed_since=check.consumed_since,
            difference=check.difference,
            was=row.reported_difference,
        )
    else:
        audit.record(
            session,
            actor,
            "printer.counters_agree",
            f"printer {row.printer}",
            device_serial=row.device_serial,
            fed_since=check.fed_since,
            was=row.reported_difference,
        )
    row.reported_difference = difference


def checks(session: Session, actor: str | None = None) -> list[CounterCheck]:
    """Every printer the station has seen (its current device) against the ledger now (with
    the counter as last read), and any replaced device that went with a difference. With
    ``actor``, a new difference is recorded as an event."""
    rows = list(
        session.execute(
            select(PrinterCounter).order_by(PrinterCounter.printer, PrinterCounter.id)
        ).scalars()
    )
    found = []
    for row in rows:
        if not row.current:
            if row.reported_difference:  # a replaced device's difference, as it went
                found.append(_replaced(row))
            continue
        check = _check(session, row)
        if actor is not None:
            _restore(session, actor, row)
            check = _check(session, row)
            _report(session, actor, row, check)
        found.append(check)
    return found
