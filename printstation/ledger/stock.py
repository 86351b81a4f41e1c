"""The blank ledger: every serialised blank and its one fate.

A blank moves on_hand -> loaded (in a printer's feeder) -> in_use (read at the encoder,
bound to a job) -> issued | spoiled | unknown (a crash left its fate open until an
operator resolves it). A blank a person asks to write off is ``pending`` until a second
person decides (see printstation.ledger.writeoffs). The auditor's invariant, checked
against independent records (lots received, issued cards, spoilage rows, write-off
requests), is

    received = issued + spoiled + on hand + unknown + pending

where "on hand" counts on_hand, loaded and in_use blanks: still the office's, not yet
consumed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from printstation.errors import BlankAlreadyUsed, StockError, UnknownBlank
from printstation.ledger import audit
from printstation.storage.models import (
    Blank,
    IssuedCard,
    Job,
    Lot,
    Setting,
    Spoilage,
    WriteOff,
    utcnow,
)

ON_HAND_STATES = ("on_hand", "loaded", "in_use")
SPOIL_CAUSES = (
    "encoding_failed",
    "print_failed",
    "damaged",
    "data_changed",
    "misfeed",
    "test_print",
)
#: Every cause a spoilage can have: those above, and a blank no one can find, written
#: off only on a confirmed request (printstation.ledger.writeoffs), never by a printer.
WRITEOFF_CAUSES = (*SPOIL_CAUSES, "lost")
_SERIAL = re.compile(r"^(?P<prefix>.*?)(?P<number>[0-9]+)$")


#: Blanks written per INSERT statement when a lot is received (a bound on parameters).
RECEIVE_CHUNK = 5_000


@dataclass(frozen=True)
class SerialRun:
    """``count`` consecutive serials: a fixed prefix, then a counter of fixed width."""

    prefix: str
    start: int
    width: int
    count: int

    @property
    def first(self) -> str:
        return self.serial(self.start)

    @property
    def last(self) -> str:
        return self.serial(self.start + self.count - 1)

    def serial(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.width}d}"

    def __contains__(self, serial: object) -> bool:
        if not isinstance(serial, str) or len(serial) != len(self.prefix) + self.width:
            return False
        number = serial[len(self.prefix) :]
        if not serial.startswith(self.prefix) or not (number.isascii() and number.isdigit()):
            return False
        return self.start <= int(number) < self.start + self.count

    def chunks(self, size: int) -> Iterator[range]:
        end = self.start + self.count
        for low in range(self.start, end, size):
            yield range(low, min(low + size, end))


def serial_run(first: str, count: int) -> SerialRun:
    """The run of ``count`` serials from ``first`` (its trailing digits are the counter)."""
    match = _SERIAL.match(first)
    if not match or count < 1:
        raise StockError(f"a serial range needs a first serial ending in digits, got {first!r}")
    prefix, number = match["prefix"], match["number"]
    start, width = int(number), len(number)
    if len(str(start + count - 1)) > width:
        raise StockError(f"serial range from {first} for {count} blanks overflows {width} digits")
    return SerialRun(prefix, start, width, count)


def serial_range(first: str, count: int) -> list[str]:
    """``count`` consecutive serials from ``first`` (its trailing digits are the counter)."""
    run = serial_run(first, count)
    return [run.serial(n) for n in range(run.start, run.start + count)]


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
    #: Blanks awaiting a decision on a write-off request (neither on hand nor consumed).
    pending: int = 0
    #: Cross-check: write-off requests still undecided (one per pending blank).
    requests_pending: int = 0

    @property
    def balanced(self) -> bool:
        return (
            self.received == self.issued + self.spoiled + self.on_hand + self.unknown + self.pending
            and self.blanks_total == self.received
            and self.blanks_issued == self.issued
            and self.blanks_spoiled == self.spoiled
            and self.requests_pending == self.pending
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "issued": self.issued,
            "spoiled": self.spoiled,
            "on_hand": self.on_hand,
            "unknown": self.unknown,
            "pending": self.pending,
            "loaded": self.loaded,
            "balanced": self.balanced,
        }


class BlankLedger:
    """Operations on the blank stock, each in the caller's session and audited."""

    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = actor

    def receive(self, first_serial: str, count: int, reference: str) -> Lot:
        """Receive ``count`` consecutive blanks from ``first_serial`` as one lot.

        The clash check is one range query (the lot's serials share prefix and width, so
        they sort together) and the blanks go in with bulk INSERTs of RECEIVE_CHUNK rows:
        a lot of a million blanks needs no statement with a million parameters.
        """
        run = serial_run(first_serial, count)
        first, last = run.first, run.last
        candidates = self.session.execute(
            select(Blank.serial).where(
                Blank.serial >= first,
                Blank.serial <= last,
                func.length(Blank.serial) == len(first),
            )
        ).scalars()
        clash = next((s for s in candidates if s in run), None)
        if clash is not None:
            raise StockError(
                f"blank {clash} was already received: a lot cannot be received twice",
                where=reference,
            )
        lot = Lot(
            reference=reference,
            first_serial=first,
            last_serial=last,
            count=count,
            received_by=self.actor,
        )
        self.session.add(lot)
        self.session.flush()
        now = utcnow()
        for numbers in run.chunks(RECEIVE_CHUNK):
            self.session.execute(
                insert(Blank),
                [
                    {
                        "serial": run.serial(n),
                        "lot_id": lot.id,
                        "state": "on_hand",
                        "updated_at": now,
                    }
                    for n in numbers
                ],
            )
        audit.record(
            self.session,
            self.actor,
            "stock.receive",
            reference,
            first=first,
            last=last,
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
        # The replay of the ledger from the log (printstation.ledger.replay) needs it.
        audit.record(self.session, self.actor, "stock.bind", serial, printer=printer, job=job.id)
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
        self,
        serial: str,
        cause: str,
        *,
        job: Job | None = None,
        detail: str | None = None,
        writeoff: int | None = None,
    ) -> Spoilage:
        """Spoil ``serial``: the printer reported it (a batch), or a second person
        confirmed write-off request ``writeoff`` (printstation.ledger.writeoffs)."""
        if cause not in WRITEOFF_CAUSES:
            raise StockError(f"unknown spoil cause {cause!r}; one of {', '.join(WRITEOFF_CAUSES)}")
        blank = self._get_many([serial])[0]
        if blank.state in ("issued", "spoiled"):
            raise BlankAlreadyUsed(f"blank {serial} is already {blank.state}: it cannot be spoiled")
        if (blank.state == "pending") != (writeoff is not None):
            raise StockError(
                f"blank {serial} is {blank.state}: only a confirmed write-off request spoils "
                "a blank pending write-off, and only a blank pending write-off",
                where=serial,
            )
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
            **({"writeoff": writeoff} if writeoff is not None else {}),
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
        requests = self.session.execute(
            select(func.count()).select_from(WriteOff).where(WriteOff.status == "pending")
        ).scalar_one()
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
            pending=by_state.get("pending", 0),
            requests_pending=int(requests),
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
