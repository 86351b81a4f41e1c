"""Write-off requests and a second person's decision on them.

A blank becomes "not a card" without the printer saying so only on two people's word:
an operator (or supervisor) asks (``stock spoil``, ``stock lost``, ``job resolve`` as
spoiled or none), the blank is pending; a supervisor who is not the same person (another
NIP) confirms, holding the card where there is one, or rejects. A supervisor trying to
decide their own request, through any account of theirs, is refused and the refusal
stays in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from printstation.errors import InputError
from printstation.operations.base import Actor, operation, refusal, transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from printstation.station import Station
    from printstation.storage.models import WriteOff


@dataclass(frozen=True)
class WriteOffRequest:
    """A write-off request and, once decided, its decision."""

    id: int
    serial: str
    #: spoil, lost, job_spoiled, job_none
    kind: str
    cause: str
    #: The blank's state when it was asked for.
    state_before: str
    printer: str | None
    job: int | None
    note: str | None
    requested_by: str
    #: When it was asked for, in the office's zone.
    requested_at: datetime
    #: pending, confirmed, rejected
    status: str
    #: Whether the card should physically be at the station (held at confirmation).
    card_expected: bool
    #: What the station knew of the card when it was asked for.
    evidence: dict[str, Any]
    decided_by: str | None = None
    decided_at: datetime | None = None
    card_in_hand: bool | None = None
    decision_note: str | None = None
    #: After a rejection: the blank's state (its shelf or feeder, or unknown).
    state_after: str | None = None
    #: The blank's state now.
    blank_state: str | None = None


def nip_of(session: Session, actor: Actor) -> str | None:
    """The NIP of the person signed in as ``actor`` (None in set-up mode or for an
    account made before NIPs were recorded)."""
    if actor.setup:
        return None
    if actor.nip:
        return actor.nip
    from printstation.people import users

    return users.nip_of(session, actor.name)


def request_result(station: Station, session: Session, row: WriteOff) -> WriteOffRequest:
    from printstation.ledger.writeoffs import CARD_EXPECTED
    from printstation.operations.jobs import office_time
    from printstation.storage.models import Blank

    blank = session.get(Blank, row.serial)
    return WriteOffRequest(
        id=row.id,
        serial=row.serial,
        kind=row.kind,
        cause=row.cause,
        state_before=row.state_before,
        printer=row.printer,
        job=row.job_id,
        note=row.note,
        requested_by=row.requested_by,
        requested_at=office_time(station, row.requested_at),
        status=row.status,
        card_expected=row.kind in CARD_EXPECTED,
        evidence=dict(row.evidence or {}),
        decided_by=row.decided_by,
        decided_at=office_time(station, row.decided_at) if row.decided_at else None,
        card_in_hand=row.card_in_hand,
        decision_note=row.decision_note,
        state_after=row.state_after,
        blank_state=blank.state if blank is not None else None,
    )


@operation("stock.read")
def list_requests(station: Station, actor: Actor, all_: bool = False) -> list[WriteOffRequest]:
    """Write-off requests awaiting a decision (``all_``: every request), oldest first."""
    from sqlalchemy import select

    from printstation.storage.models import WriteOff

    query = select(WriteOff).order_by(WriteOff.id)
    if not all_:
        query = query.where(WriteOff.status == "pending")
    with transaction(station) as s:
        return [request_result(station, s, row) for row in s.execute(query).scalars()]


@operation("writeoff.decide")
def confirm(
    station: Station,
    actor: Actor,
    request_id: int,
    card_in_hand: bool | None = None,
    note: str | None = None,
) -> WriteOffRequest:
    """Confirm a write-off: the blank is spoiled with the request's cause. Never your own
    request; with the card in hand where there is one (else a note saying why)."""
    return _decide(station, actor, request_id, "confirm", card_in_hand, note)


@operation("writeoff.decide")
def reject(
    station: Station,
    actor: Actor,
    request_id: int,
    note: str,
    card_in_hand: bool | None = None,
) -> WriteOffRequest:
    """Reject a write-off: the blank goes back to its shelf or feeder only when it was
    never fed and you hold it, else it is unknown until a new request settles it."""
    return _decide(station, actor, request_id, "reject", card_in_hand, note)


def _decide(
    station: Station,
    actor: Actor,
    request_id: int,
    how: str,
    card_in_hand: bool | None,
    note: str | None,
) -> WriteOffRequest:
    from printstation.ledger import audit, writeoffs
    from printstation.people.users import same_person
    from printstation.storage.models import WriteOff

    if actor.setup:
        raise InputError(
            "in set-up mode no one can countersign a write-off: sign in with your own account"
        )
    try:
        with transaction(station) as s:
            row = s.get(WriteOff, request_id, with_for_update=True)
            if row is None:
                raise InputError(f"there is no write-off request {request_id}")
            nip = nip_of(s, actor)
            # A request without a NIP (set-up mode) cannot be confirmed by anyone, but
            # another person may reject it: that writes nothing off.
            anonymous = row.requested_nip is None and row.requested_by != actor.name
            may_reject = how == "reject" and anonymous and nip is not None
            if (
                row.status == "pending"
                and not may_reject
                and same_person(s, row.requested_by, actor.name)
            ):
                raise writeoffs.OwnWriteOff(
                    f"{actor.name} cannot decide write-off request {request_id} (blank "
                    f"{row.serial}): it was asked for by {row.requested_by}, the same person "
                    "(or one the station cannot tell apart: an account without a NIP); "
                    "another supervisor must decide it",
                    where=actor.name,
                )
            if how == "confirm":
                row, _spoilage = writeoffs.confirm(
                    s, request_id, actor.name, nip, card_in_hand=card_in_hand, note=note
                )
            else:
                row = writeoffs.reject(
                    s, request_id, actor.name, nip, note=note or "", card_in_hand=card_in_hand
                )
            s.flush()
            return request_result(station, s, row)
    except writeoffs.OwnWriteOff:
        with refusal(station) as s2:
            audit.record(
                s2, actor.name, "writeoff.self_refused", f"write-off {request_id}", decision=how
            )
        raise
