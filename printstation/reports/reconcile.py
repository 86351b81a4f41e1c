"""The auditor's reconciliation of blank stock over a period of office-local days.

Each figure comes from the record of its own event, dated: lots received (Lot.received_at),
cards issued (IssuedCard.issued_at), blanks spoiled (Spoilage.at) and blanks whose fate a
crash left open (the ``stock.unknown`` audit events, and blanks still unknown), and blanks
pending write-off (requested, not yet decided: the ``writeoffs`` rows). With "consumed"
meaning issued or spoiled:

    opening on hand = received before the period - consumed before it
    unknown         = blanks unknown as the period ends (a stock, not a flow)
    pending         = blanks pending write-off as the period ends (a stock too)
    closing on hand = received by the period's end - consumed by then - unknown - pending

so opening + received - issued - spoiled - unknown - pending = closing. A write-off
asked for but not confirmed is never counted spoiled: it shows as pending, with its
serial, until a second person decides. When the period reaches
today, the closing figures are also checked against the blanks' current states and the
ledger's own cross-checks; any disagreement makes the reconciliation unbalanced and is
named in ``problems``.

The physical count is a second, separate fact: the ledger may balance and the blanks
counted on the shelf still differ from its closing figure. Any non-zero variance
(counted - closing) is a ``Discrepancy``: "kurang" when fewer were counted than the
ledger says, "lebih" when more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printstation.ledger.counters import CounterCheck
from printstation.ledger.stock import WRITEOFF_CAUSES, BlankLedger
from printstation.ledger.writeoffs import pending_at, rejected_unknown_before
from printstation.reports.period import Period, naive_utc
from printstation.storage.models import AuditEvent, Blank, IssuedCard, Lot, Spoilage


@dataclass(frozen=True)
class SpoiledBlank:
    serial: str
    cause: str
    at: datetime
    job_id: int | None
    printer: str | None
    by: str


#: The variance's sign as an Indonesian office writes it.
SHORT, OVER = "kurang", "lebih"


@dataclass(frozen=True)
class Discrepancy:
    """The physical count differs from the ledger's closing figure."""

    counted: int
    on_hand: int
    #: counted - on hand: negative when blanks are missing (kurang), positive when over.
    variance: int
    #: "kurang" (fewer counted than the ledger says) or "lebih" (more).
    direction: str
    #: The auditor's explanation, if given; the PDF leaves a line to write it otherwise.
    explanation: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "counted": self.counted,
            "on_hand": self.on_hand,
            "variance": self.variance,
            "direction": self.direction,
            "explanation": self.explanation,
        }


def discrepancy_of(
    counted: int | None, on_hand: int, explanation: str | None = None
) -> Discrepancy | None:
    """The discrepancy between a count and the ledger; None without a count or when equal."""
    if counted is None or counted == on_hand:
        return None
    variance = counted - on_hand
    return Discrepancy(counted, on_hand, variance, SHORT if variance < 0 else OVER, explanation)


@dataclass(frozen=True)
class Reconciliation:
    period: Period
    opening_on_hand: int
    received: int
    issued: int
    spoiled_by_cause: dict[str, int]
    unknown: int
    closing_on_hand: int
    counted: int | None
    balanced: bool
    spoiled: list[SpoiledBlank]
    #: Why the reconciliation does not balance (empty when it does).
    problems: list[str] = field(default_factory=list)
    #: The auditor's explanation of a difference between the count and the ledger.
    explanation: str | None = None
    #: Each printer's cards fed against the blanks consumed through it, as last read
    #: (printstation.ledger.counters); a difference is a discrepancy.
    printer_counters: list[CounterCheck] = field(default_factory=list)
    #: Spoiled serials not presented at a destruction held after they were spoiled.
    not_presented: list[str] = field(default_factory=list)
    #: Blanks pending write-off as the period ends: asked for, not yet decided.
    pending: int = 0
    pending_serials: list[str] = field(default_factory=list)

    @property
    def spoiled_total(self) -> int:
        return sum(self.spoiled_by_cause.values())

    @property
    def variance(self) -> int | None:
        """counted - closing on hand: negative when fewer blanks were counted (kurang)."""
        return None if self.counted is None else self.counted - self.closing_on_hand

    @property
    def discrepancy(self) -> Discrepancy | None:
        """The count's difference from the ledger; None without a count or when they agree.

        Independent of ``balanced``: the ledger can balance while the count disagrees.
        """
        return discrepancy_of(self.counted, self.closing_on_hand, self.explanation)

    @property
    def printer_discrepancies(self) -> list[CounterCheck]:
        return [c for c in self.printer_counters if c.discrepancy]

    @property
    def spoiled_serials(self) -> list[str]:
        return [s.serial for s in self.spoiled]

    def as_json(self) -> dict[str, Any]:
        return {
            "opening_on_hand": self.opening_on_hand,
            "received": self.received,
            "issued": self.issued,
            "spoiled": {"total": self.spoiled_total, "by_cause": dict(self.spoiled_by_cause)},
            "unknown": self.unknown,
            "pending": self.pending,
            "pending_serials": list(self.pending_serials),
            "closing_on_hand": self.closing_on_hand,
            "counted": self.counted,
            "variance": self.variance,
            "discrepancy": None if self.discrepancy is None else self.discrepancy.as_json(),
            "balanced": self.balanced,
            "spoiled_serials": self.spoiled_serials,
            "printer_counters": [c.as_json() for c in self.printer_counters],
            "printer_discrepancy": bool(self.printer_discrepancies),
            "not_presented_at_destruction": list(self.not_presented),
        }

    def summary_rows(self) -> list[tuple[str, int | str | None]]:
        """(item, value) in the order an auditor reads them; for text and CSV output."""
        rows: list[tuple[str, int | str | None]] = [
            ("opening_on_hand", self.opening_on_hand),
            ("received", self.received),
            ("issued", self.issued),
            ("spoiled_total", self.spoiled_total),
        ]
        rows += [(f"spoiled_{cause}", n) for cause, n in self.spoiled_by_cause.items()]
        rows += [
            ("unknown", self.unknown),
            ("pending", self.pending),
            ("closing_on_hand", self.closing_on_hand),
            ("counted", self.counted),
            ("variance", self.variance),
            ("direction", None if self.discrepancy is None else self.discrepancy.direction),
            ("explanation", None if self.discrepancy is None else self.discrepancy.explanation),
            ("balanced", "true" if self.balanced else "false"),
        ]
        return rows


def reconcile(
    session: Session,
    tz: ZoneInfo,
    date_from: date,
    date_to: date,
    counted: int | None = None,
    *,
    explanation: str | None = None,
    today: date | None = None,
) -> Reconciliation:
    """Reconcile the blanks over the office-local days ``date_from`` to ``date_to``.

    ``counted`` is the physical count of blanks on hand at the period's end, and
    ``explanation`` the auditor's account of any difference from the ledger. ``today``
    (the office's local date, default now) decides whether the period's end is the
    present, so that its closing can be checked against the blanks' current states.
    Reads only.
    """
    period = Period(date_from, date_to, tz)
    start, end = period.start, period.end
    received_before = _received_before(session, start)
    received_by_end = _received_before(session, end)
    issued_before = _issued_before(session, start)
    issued_by_end = _issued_before(session, end)
    spoiled_before = _spoiled_before(session, start)
    spoiled = spoiled_between(session, start, end)
    by_cause = dict.fromkeys(WRITEOFF_CAUSES, 0)
    for blank in spoiled:
        by_cause[blank.cause] = by_cause.get(blank.cause, 0) + 1
    pending_serials = sorted(pending_at(session, end))
    pending = len(pending_serials)
    unknown = len(unknown_at(session, end) - set(pending_serials))

    opening = received_before - issued_before - spoiled_before
    received = received_by_end - received_before
    issued = issued_by_end - issued_before
    consumed_by_end = issued_by_end + spoiled_before + len(spoiled)
    closing = received_by_end - consumed_by_end - unknown - pending

    problems: list[str] = []
    if opening + received - issued - len(spoiled) - unknown - pending != closing:
        problems.append(
            "opening + received - issued - spoiled - unknown - pending differs from closing"
        )
    if opening < 0 or closing < 0:
        problems.append("more blanks consumed than received: a consumption predates its lot")
    if period.reaches(today or datetime.now(tz).date()):
        problems += _current_state_problems(session, closing, unknown, pending)
    return Reconciliation(
        period=period,
        opening_on_hand=opening,
        received=received,
        issued=issued,
        spoiled_by_cause=by_cause,
        unknown=unknown,
        closing_on_hand=closing,
        counted=counted,
        balanced=not problems,
        spoiled=spoiled,
        problems=problems,
        explanation=explanation,
        pending=pending,
        pending_serials=pending_serials,
    )


def spoiled_between(session: Session, start: datetime, end: datetime) -> list[SpoiledBlank]:
    """Blanks spoiled from ``start`` (inclusive) to ``end`` (exclusive), in time order."""
    rows = session.execute(
        select(Spoilage, Blank.printer)
        .join(Blank, Blank.serial == Spoilage.serial)
        .where(Spoilage.at >= start, Spoilage.at < end)
        .order_by(Spoilage.at, Spoilage.serial)
    ).all()
    return [
        SpoiledBlank(
            serial=spoilage.serial,
            cause=spoilage.cause,
            at=spoilage.at,
            job_id=spoilage.job_id,
            printer=printer,
            by=spoilage.by,
        )
        for spoilage, printer in rows
    ]


def unknown_at(session: Session, moment: datetime) -> set[str]:
    """Serials whose fate was open at ``moment``: marked unknown before it, not yet consumed."""
    marked = set(
        session.execute(
            select(AuditEvent.subject).where(
                AuditEvent.action == "stock.unknown", AuditEvent.at < naive_utc(moment)
            )
        ).scalars()
    )
    marked |= set(
        session.execute(
            select(Blank.serial).where(Blank.state == "unknown", Blank.updated_at < moment)
        ).scalars()
    )
    marked |= rejected_unknown_before(session, moment)
    if not marked:
        return set()
    issued = session.execute(
        select(IssuedCard.serial).where(
            IssuedCard.serial.in_(marked), IssuedCard.issued_at < moment
        )
    ).scalars()
    spoiled = session.execute(
        select(Spoilage.serial).where(Spoilage.serial.in_(marked), Spoilage.at < moment)
    ).scalars()
    return marked - set(issued) - set(spoiled)


def _received_before(session: Session, moment: datetime) -> int:
    return int(
        session.execute(
            select(func.coalesce(func.sum(Lot.count), 0)).where(Lot.received_at < moment)
        ).scalar_one()
    )


def _issued_before(session: Session, moment: datetime) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(IssuedCard).where(IssuedCard.issued_at < moment)
        ).scalar_one()
    )


def _spoiled_before(session: Session, moment: datetime) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(Spoilage).where(Spoilage.at < moment)
        ).scalar_one()
    )


def _current_state_problems(
    session: Session, closing: int, unknown: int, pending: int = 0
) -> list[str]:
    counts = BlankLedger(session, "auditor").counts()
    problems = []
    if counts.on_hand != closing:
        problems.append(
            f"closing on hand {closing} differs from the {counts.on_hand} blanks on hand, "
            "loaded or in use now"
        )
    if counts.unknown != unknown:
        problems.append(f"unknown {unknown} differs from the {counts.unknown} blanks unknown now")
    if counts.pending != pending:
        problems.append(
            f"pending write-off {pending} differs from the {counts.pending} blanks pending now"
        )
    if not counts.balanced:
        problems.append(
            "the ledger's records disagree: lots "
            f"{counts.received} vs blanks {counts.blanks_total}, issued cards {counts.issued} "
            f"vs issued blanks {counts.blanks_issued}, spoilages {counts.spoiled} vs spoiled "
            f"blanks {counts.blanks_spoiled}, write-off requests pending "
            f"{counts.requests_pending} vs blanks pending {counts.pending}"
        )
    return problems
