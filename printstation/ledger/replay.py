"""The blank ledger re-derived from the audit log, and compared with the tables.

Every change of a blank's state or of a ledger row is an audit event carrying the
serial(s) and the new state, so replaying the events in order gives the lots, each
blank's state, the spoilages and the issued cards the tables must hold. A row deleted
or changed in the database without its event (a blank removed together with a lowered
lot count, a state changed by hand) shows as a difference: the serial, what the log
says and what the table says. The events are fed one at a time (``feed``), so the log
is streamed; only the replayed state is held.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from printstation.errors import StockError
from printstation.ledger.stock import serial_run
from printstation.storage.models import AuditEvent, Blank, IssuedCard, Lot, Spoilage

#: Events that set one blank (the subject) to a state.
_SETS_STATE = {
    "stock.bind": "in_use",
    "stock.issue": "issued",
    "stock.spoil": "spoiled",
    "stock.unknown": "unknown",
    "stock.unbind": "loaded",
    "writeoff.request": "pending",
}
#: More blanks than one receipt can hold (``stock receive`` takes up to 1,000,000).
MAX_LOT = 10_000_000
#: How many differences are named one by one before the rest are only counted.
MAX_NAMED = 200


@dataclass(frozen=True)
class LedgerProblem:
    #: lot, blank, spoilage or issued card.
    what: str
    #: The serial (or the lot's reference).
    subject: str
    log_says: str
    table_says: str

    def __str__(self) -> str:
        return (
            f"{self.what} {self.subject}: the audit log says {self.log_says}, "
            f"the table says {self.table_says}"
        )


@dataclass
class _LotSeen:
    reference: str
    first: str
    last: str
    count: int


@dataclass
class Replay:
    """The ledger as the audit log tells it."""

    lots: list[_LotSeen] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)
    #: serial -> cause
    spoilages: dict[str, str] = field(default_factory=dict)
    #: serial -> status (valid, replaced)
    cards: dict[str, str] = field(default_factory=dict)
    #: What the log itself says wrongly: (serial, what) — a serial never received, a
    #: destruction of a blank not spoiled, a receipt no lot can hold.
    strays: list[tuple[str, str]] = field(default_factory=list)

    def feed(self, event: AuditEvent) -> None:
        action = event.action
        detail: dict[str, Any] = event.detail or {}
        if action == "stock.receive":
            first, count = str(detail.get("first")), int(detail.get("count") or 0)
            self.lots.append(_LotSeen(event.subject, first, str(detail.get("last")), count))
            try:
                if count > MAX_LOT:
                    raise StockError(f"{count} blanks is more than a lot holds")
                run = serial_run(first, count)
            except StockError as exc:  # a forged event (its MAC is named too)
                self.strays.append((first, f"event {event.id} ({action}): {exc.message}"))
                return
            for number in range(run.start, run.start + count):
                self.states.setdefault(run.serial(number), "on_hand")
        elif action == "stock.load":
            for serial in detail.get("serials") or []:
                self._set(event, str(serial), "loaded")
        elif action in _SETS_STATE:
            state = _SETS_STATE[action]
            self._set(event, event.subject, state)
            if action == "stock.spoil":
                self.spoilages[event.subject] = str(detail.get("cause"))
            elif action == "stock.issue":
                self.cards[event.subject] = "valid"
        elif action == "writeoff.reject":
            self._set(event, event.subject, str(detail.get("state_after")))
        elif action == "card.replaced":
            self.cards[event.subject] = "replaced"
        elif action == "destruction.record":
            for serial in detail.get("serials") or []:
                if self.states.get(str(serial)) != "spoiled":
                    said = self.states.get(str(serial), "never received")
                    self.strays.append(
                        (str(serial), f"event {event.id} destroyed it while it was {said}")
                    )

    def _set(self, event: AuditEvent, serial: str, state: str) -> None:
        if serial not in self.states:
            self.strays.append(
                (serial, f"event {event.id} ({event.action}) names it but no lot received it")
            )
        self.states[serial] = state

    def compare(self, session: Session) -> tuple[list[LedgerProblem], int]:
        """The differences between the replayed ledger and the tables: the first
        MAX_NAMED named, and how many there are in all."""
        problems: list[LedgerProblem] = []
        total = 0
        for problem in self._differences(session):
            total += 1
            if len(problems) < MAX_NAMED:
                problems.append(problem)
        return problems, total

    def _differences(self, session: Session) -> Iterator[LedgerProblem]:
        for serial, what in self.strays:
            yield LedgerProblem("blank", serial, what, "-")
        rows = list(session.execute(select(Lot).order_by(Lot.id)).scalars())
        for index in range(max(len(rows), len(self.lots))):
            seen = self.lots[index] if index < len(self.lots) else None
            row = rows[index] if index < len(rows) else None
            if seen is None and row is not None:
                yield LedgerProblem("lot", row.reference, "no such lot was received", _lot(row))
            elif row is None and seen is not None:
                yield LedgerProblem("lot", seen.reference, _lot(seen), "no such lot (deleted)")
            elif row is not None and seen is not None and _lot(row) != _lot(seen):
                yield LedgerProblem("lot", seen.reference, _lot(seen), _lot(row))
        left = dict(self.states)
        query = select(Blank.serial, Blank.state).order_by(Blank.serial)
        for serial, state in session.execute(query.execution_options(yield_per=5000)):
            said = left.pop(serial, None)
            if said is None:
                yield LedgerProblem("blank", serial, "no such blank was received", state)
            elif said != state:
                yield LedgerProblem("blank", serial, said, state)
        for serial, said in sorted(left.items()):
            yield LedgerProblem("blank", serial, said, "no such blank (the row was deleted)")
        spoiled = dict(self.spoilages)
        for serial, cause in session.execute(select(Spoilage.serial, Spoilage.cause)):
            said_cause = spoiled.pop(serial, None)
            if said_cause is None:
                yield LedgerProblem("spoilage", serial, "not spoiled", f"spoiled ({cause})")
            elif said_cause != cause:
                yield LedgerProblem(
                    "spoilage", serial, f"spoiled ({said_cause})", f"spoiled ({cause})"
                )
        for serial, cause in sorted(spoiled.items()):
            yield LedgerProblem("spoilage", serial, f"spoiled ({cause})", "no spoilage row")
        cards = dict(self.cards)
        for serial, status in session.execute(select(IssuedCard.serial, IssuedCard.status)):
            said_status = cards.pop(serial, None)
            if said_status is None:
                yield LedgerProblem("issued card", serial, "never issued", status)
            elif said_status != status:
                yield LedgerProblem("issued card", serial, said_status, status)
        for serial, status in sorted(cards.items()):
            yield LedgerProblem("issued card", serial, status, "no issued-card row")


def _lot(lot: Lot | _LotSeen) -> str:
    first = lot.first_serial if isinstance(lot, Lot) else lot.first
    last = lot.last_serial if isinstance(lot, Lot) else lot.last
    return f"{lot.count} blanks {first} to {last} ({lot.reference})"
