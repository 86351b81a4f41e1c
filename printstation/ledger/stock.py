"""The blank ledger: every serialised blank and its one fate.

A blank moves on_hand -> loaded (in a printer's feeder) -> in_use (read at the encoder,
bound to a job) -> issued | spoiled | unknown (a crash left its fate open until an
operator resolves it). The auditor's invariant, checked against independent records
(lots received, issued cards, spoilage rows), is

    received = issued + spoiled + on hand + unknown

where "on hand" counts on_hand, loaded and in_use blanks: still the office's, not yet
consumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printstation.errors import BlankAlreadyUsed, StockError, UnknownBlank
from printstation.ledger import audit
from printstation.storage.models import Blank, IssuedCard, Job, Lot, Setting, Spoilage

ON_HAND_STATES = ("on_hand", "loaded", "in_use")
SPOIL_CAUSES = (
    "encoding_failed",
    "print_failed",
    "damaged",
    "data_changed",
    "misfeed",
    "test_print",
)
_SERIAL = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)$")


def serial_range(first: str, count: int) -> list[str]:
    """``count`` consecutive serials from ``first`` (its trailing digits are the counter)."""
    match = _SERIAL.match(first)
    if not match or count < 1:
        raise StockError(f"a serial range needs a first serial ending in digits, got {first!r}")
    prefix, number = match["prefix"], match["number"]
    start, width = int(number), len(number)
    last = start + count - 1
    if len(str(last)) > width:
        raise StockError(f"serial range from {first} for {count} blanks overflows {width} digits")
    return [f"{prefix}{n:0{width}d}" for n in range(start, last + 1)]


@dataclass(frozen=True)
class StockCounts:
    received: int
    issued: int
    spoiled: int
    on_hand: int
    unknown: int
    loaded: int
    #: Cross-checks: the fates recorded on blanks agree with issued cards and spoilages.
    blanks_issued: int
    blanks_spoiled: int
    blanks_total: int

    @property
    def balanced(self) -> bool:
        return (
            self.received == self.issued + self.spoiled + self.on_hand + self.unknown
            and self.blanks_total == self.received
            and self.blanks_issued == self.issued
            and self.blanks_spoiled == self.spoiled
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "issued": self.issued,
            "spoiled": self.spoiled,
            "on_hand": self.on_hand,
            "unknown": self.unknown,
            "loaded": self.loaded,
            "balanced": self.balanced,
        }


class BlankLedger:
    """Operations on the blank stock, each in the caller's session and audited."""

    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = actor

    def receive(self, first_serial: str, count: int, reference: str) -> Lot:
        serials = serial_range(first_serial, count)
        clash = self.session.execute(
            select(Blank.serial).where(Blank.serial.in_(serials)).limit(1)
        ).scalar_one_or_none()
        if clash is not None:
            raise StockError(
                f"blank {clash} was already received: a lot cannot be received twice",
                where=reference,
            )
        lot = Lot(
            reference=reference,
            first_serial=serials[0],
            last_serial=serials[-1],
            count=count,
            received_by=self.actor,
        )
        self.session.add(lot)
        self.session.flush()
        self.session.add_all(Blank(serial=s, lot_id=lot.id, state="on_hand") for s in serials)
        audit.record(
            self.session,
            self.actor,
            "stock.receive",
            reference,
            first=serials[0],
            last=serials[-1],
            count=count,
        )
        return lot

    def load(self, printer: str, serials: list[str]) -> None:
        """Record blanks put into a printer's feeder."""
        blanks = self._get_many(serials)
        for blank in blanks:
            if blank.state != "on_hand":
                raise StockError(
                    f"blank {blank.serial} is {blank.state}, not on hand: it cannot be loaded"
                )
            blank.state, blank.printer = "loaded", printer
        audit.record(
            self.session, self.actor, "stock.load", printer, serials=serials, count=len(serials)
        )

    def on_hand_serials(self, limit: int) -> list[str]:
        return list(
            self.session.execute(
                select(Blank.serial)
                .where(Blank.state == "on_hand")
                .order_by(Blank.serial)
                .limit(limit)
            ).scalars()
        )

    def identify(self, serial: str, printer: str, job: Job) -> Blank:
        """Bind the blank read at ``printer``'s encoder to ``job``.

        A serial this station never received, or one that already has a fate, is a
        security event: the caller must reject the card and never print it.
        """
        blank = self.session.get(Blank, serial, with_for_update=True)
        if blank is None:
            audit.record(
                self.session,
                self.actor,
                "security.unknown_blank",
                serial,
                printer=printer,
                job=job.id,
            )
            raise UnknownBlank(
                f"blank {serial} at the encoder of printer {printer} is not in this station's "
                "received stock: the card was rejected; take it out of the reject box and "
                "report it to the supervisor",
                where=printer,
            )
        if blank.state not in ("loaded", "on_hand"):
            audit.record(
                self.session,
                self.actor,
                "security.blank_reused",
                serial,
                printer=printer,
                job=job.id,
                state=blank.state,
            )
            raise BlankAlreadyUsed(
                f"blank {serial} at the encoder of printer {printer} is already {blank.state}: "
                "the card was rejected; report it to the supervisor",
                where=printer,
            )
        blank.state, blank.printer, blank.job_id = "in_use", printer, job.id
        return blank

    def issue(self, serial: str, job: Job, printer: str) -> IssuedCard:
        blank = self._in_use(serial, job)
        blank.state = "issued"
        card = IssuedCard(
            serial=serial,
            nik=job.nik,
            enrolment_id=job.enrolment_id,
            job_id=job.id,
            printer=printer,
        )
        self.session.add(card)
        audit.record(self.session, self.actor, "stock.issue", serial, job=job.id, nik=job.nik)
        return card

    def spoil(
        self, serial: str, cause: str, *, job: Job | None = None, detail: str | None = None
    ) -> Spoilage:
        if cause not in SPOIL_CAUSES:
            raise StockError(f"unknown spoil cause {cause!r}; one of {', '.join(SPOIL_CAUSES)}")
        blank = self._get_many([serial])[0]
        if blank.state in ("issued", "spoiled"):
            raise BlankAlreadyUsed(f"blank {serial} is already {blank.state}: it cannot be spoiled")
        blank.state = "spoiled"
        spoilage = Spoilage(
            serial=serial, cause=cause, job_id=job.id if job else None, detail=detail, by=self.actor
        )
        self.session.add(spoilage)
        audit.record(
            self.session,
            self.actor,
            "stock.spoil",
            serial,
            cause=cause,
            job=job.id if job else None,
            detail=detail,
        )
        return spoilage

    def mark_unknown(self, serial: str, job: Job) -> None:
        blank = self._in_use(serial, job)
        blank.state = "unknown"
        audit.record(self.session, self.actor, "stock.unknown", serial, job=job.id)

    def unbind(self, serial: str, job: Job) -> None:
        """The operator found the blank unused (still in the feeder): loaded again."""
        blank = self._in_use(serial, job)
        blank.state, blank.job_id = "loaded", None
        audit.record(self.session, self.actor, "stock.unbind", serial, job=job.id)

    def counts(self) -> StockCounts:
        by_state = dict(
            self.session.execute(select(Blank.state, func.count()).group_by(Blank.state)).all()
        )
        received = self.session.execute(select(func.coalesce(func.sum(Lot.count), 0))).scalar_one()
        issued = self.session.execute(select(func.count()).select_from(IssuedCard)).scalar_one()
        spoiled = self.session.execute(select(func.count()).select_from(Spoilage)).scalar_one()
        return StockCounts(
            received=int(received),
            issued=int(issued),
            spoiled=int(spoiled),
            on_hand=sum(by_state.get(s, 0) for s in ON_HAND_STATES),
            unknown=by_state.get("unknown", 0),
            loaded=by_state.get("loaded", 0),
            blanks_issued=by_state.get("issued", 0),
            blanks_spoiled=by_state.get("spoiled", 0),
            blanks_total=sum(by_state.values()),
        )

    def not_loaded(self) -> int:
        """Blanks on hand and not in any printer's feeder: the store the reserve is kept in."""
        return int(
            self.session.execute(
                select(func.count()).select_from(Blank).where(Blank.state == "on_hand")
            ).scalar_one()
        )

    def loaded_by_printer(self) -> dict[str, int]:
        """Blanks in each printer's feeder, by printer name."""
        rows = self.session.execute(
            select(Blank.printer, func.count())
            .where(Blank.state == "loaded")
            .group_by(Blank.printer)
            .order_by(Blank.printer)
        ).all()
        return {str(printer): int(n) for printer, n in rows}

    def available(self) -> int:
        """Blanks not yet consumed and not bound to a card: what the queue can still use."""
        return int(
            self.session.execute(
                select(func.count())
                .select_from(Blank)
                .where(Blank.state.in_(("on_hand", "loaded")))
            ).scalar_one()
        )

    def _in_use(self, serial: str, job: Job) -> Blank:
        blank = self._get_many([serial])[0]
        if blank.state not in ("in_use", "unknown") or blank.job_id != job.id:
            raise StockError(
                f"blank {serial} is {blank.state} for job {blank.job_id}, "
                f"not in use by job {job.id}"
            )
        return blank

    def _get_many(self, serials: list[str]) -> list[Blank]:
        found = {
            b.serial: b
            for b in self.session.execute(select(Blank).where(Blank.serial.in_(serials))).scalars()
        }
        missing = [s for s in serials if s not in found]
        if missing:
            raise UnknownBlank(
                f"blank {missing[0]} is not in this station's received stock"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            )
        return [found[s] for s in serials]


#: Settings a supervisor may change, with their defaults.
SETTINGS = {"reserve": 0, "low_stock": 50}


def get_setting(session: Session, key: str) -> int:
    row = session.get(Setting, key)
    return int(row.value) if row is not None else SETTINGS[key]


def set_setting(session: Session, key: str, value: int, actor: str) -> int:
    """Change a setting (audited); returns the value it had."""
    if key not in SETTINGS:
        raise StockError(f"unknown setting {key!r}; one of {', '.join(SETTINGS)}")
    if value < 0:
        raise StockError(f"{key} cannot be negative")
    row = session.get(Setting, key)
    old = int(row.value) if row is not None else SETTINGS[key]
    if row is None:
        session.add(Setting(key=key, value=str(value), updated_by=actor))
    else:
        row.value, row.updated_by = str(value), actor
    audit.record(session, actor, f"stock.{key}", key, old=old, new=value)
    return old
