"""Write-offs: a blank becomes "not a card" only when a second person confirms it.

Whatever turns a blank into something other than a card without the printer saying so
is a request here: a spoil by hand (``stock spoil``), a job settled ``spoiled`` or
``none`` by an operator (the chip and the printer cannot confirm their word), a blank
declared lost. Until a supervisor who is not the requester (another person: another NIP)
decides, the blank is ``pending``: counted, never on hand, never consumed, so

    received = issued + spoiled + on hand + unknown + pending

A confirmed request spoils the blank (its cause, the spoilage row, ``stock.spoil``); a
rejected one puts the blank where the evidence puts it: back to its shelf or feeder only
when the supervisor holds the card and it was never fed, otherwise ``unknown`` (its fate
open, to be settled by a new request). Nothing goes back to stock on one person's word.

Spoils the printer itself reports during a batch (encoding_failed, print_failed, a
misfeed the runner detects) stay direct: the printer said so.

Events (same transaction as the change, replayed by the audit verifier):

- ``writeoff.request`` serial {request, kind, cause, state_before, printer, job, note}
- ``writeoff.confirm`` serial {request, cause, card_in_hand}, then ``stock.spoil``
  serial {cause, job, detail, writeoff}
- ``writeoff.reject`` serial {request, state_after, card_in_hand}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from printstation.errors import BlankAlreadyUsed, InputError, PermissionDenied, StockError
from printstation.ledger import audit
from printstation.ledger.stock import WRITEOFF_CAUSES, BlankLedger
from printstation.storage.models import (
    AuditEvent,
    Blank,
    Job,
    PrinterCounter,
    Spoilage,
    WriteOff,
    utcnow,
)
from printstation.storage.states import WriteOffKind

#: States a blank can be written off from: not yet a card, nor already decided.
REQUESTABLE = ("on_hand", "loaded", "in_use", "unknown")
#: Kinds whose card should be physically at the station: a confirmation holds it, or
#: says (a note) why not.
CARD_EXPECTED = frozenset({WriteOffKind.SPOIL, WriteOffKind.JOB_SPOILED, WriteOffKind.JOB_NONE})
#: The spoil cause a lost blank is recorded with.
LOST = "lost"
#: The spoil cause of a job an operator settled ``none`` though its chip was read: the
#: printer fed the blank and no card came out.
NONE_CAUSE = "misfeed"


class OwnWriteOff(PermissionDenied):
    """The person deciding a write-off is the person who asked for it."""

    code = "own_request"


def request(
    session: Session,
    actor: str,
    nip: str | None,
    serial: str,
    kind: str,
    cause: str,
    *,
    job: Job | None = None,
    note: str | None = None,
    state_before: str | None = None,
) -> WriteOff:
    """Ask for ``serial`` to be written off; the blank becomes ``pending``.

    ``state_before`` is the blank's state before the caller's own transaction touched it
    (a settlement binds a loaded blank to its job first); default its state now. A
    request by someone without a NIP (set-up mode, an account made before NIPs were
    recorded) can only be rejected: no one can countersign it (the database refuses a
    confirmation without both NIPs).
    """
    if kind not in WriteOffKind.__members__.values():
        raise InputError(f"write-off kind {kind!r} is not one of {', '.join(WriteOffKind)}")
    if cause not in WRITEOFF_CAUSES:
        raise InputError(f"cause {cause!r} is not one of {', '.join(WRITEOFF_CAUSES)}")
    blank = session.get(Blank, serial, with_for_update=True)
    if blank is None:
        raise StockError(f"blank {serial} is not in this station's received stock", where=serial)
    if blank.state == "pending":
        waiting = _pending_of(session, serial)
        raise StockError(
            f"blank {serial} already awaits a supervisor's decision on write-off request "
            f"{waiting.id if waiting else '?'}",
            where=serial,
        )
    if blank.state not in REQUESTABLE:
        raise BlankAlreadyUsed(
            f"blank {serial} is already {blank.state}: it cannot be written off", where=serial
        )
    before = state_before or blank.state
    evidence = _evidence(session, blank, job)
    row = WriteOff(
        serial=serial,
        cause=cause,
        kind=str(kind),
        state_before=before,
        printer=blank.printer,
        job_id=job.id if job is not None else blank.job_id,
        evidence=evidence,
        note=note,
        requested_by=actor,
        requested_nip=nip,
        requested_at=utcnow(),
        status="pending",
    )
    session.add(row)
    blank.state = "pending"
    session.flush()
    audit.record(
        session,
        actor,
        "writeoff.request",
        serial,
        request=row.id,
        kind=row.kind,
        cause=cause,
        state_before=before,
        printer=row.printer,
        job=row.job_id,
        note=note,
    )
    return row


def confirm(
    session: Session,
    request_id: int,
    actor: str,
    nip: str | None,
    *,
    card_in_hand: bool | None,
    note: str | None = None,
) -> tuple[WriteOff, Spoilage]:
    """A second person confirms: the blank is spoiled with the request's cause.

    A card that should physically exist (a spoil, a job's card) is confirmed with it in
    hand, or with a note saying why not; a lost blank needs a note. The caller has
    checked that ``actor`` is not the requester as a person (another NIP).
    """
    row = _undecided(session, request_id, actor, nip)
    if nip is None or row.requested_nip is None:
        who = actor if nip is None else row.requested_by
        raise PermissionDenied(
            f"write-off request {request_id}: {who}'s account has no NIP, so the station "
            "cannot tell the two people apart; it cannot be confirmed (reject it, or ask "
            "from an account that has the person's NIP)",
            where=actor,
        )
    note = (note or "").strip() or None
    if row.kind == WriteOffKind.LOST:
        if card_in_hand:
            raise InputError(
                f"write-off request {request_id} is for blank {row.serial} declared lost: "
                "if you hold the card it is not lost; reject the request instead"
            )
        if note is None:
            raise InputError(
                f"write-off request {request_id}: confirming that blank {row.serial} is lost "
                "needs a note (--note): where it was looked for, who was told"
            )
        card_in_hand = False
    elif card_in_hand is None:
        raise InputError(
            f"write-off request {request_id}: say whether you hold the card {row.serial} "
            "(--card-in-hand, or --no-card with a note saying why)"
        )
    elif not card_in_hand and note is None:
        raise InputError(
            f"write-off request {request_id}: the card {row.serial} should be here; confirming "
            "without it needs a note (--note) saying why"
        )
    blank = session.get(Blank, row.serial, with_for_update=True)
    if blank is None or blank.state != "pending":
        state = blank.state if blank is not None else "missing"
        raise StockError(
            f"blank {row.serial} is {state}, not pending: the ledger disagrees with write-off "
            f"request {request_id}; tell the auditor",
            where=row.serial,
        )
    row.status, row.decided_by, row.decided_nip = "confirmed", actor, nip
    row.decided_at, row.card_in_hand, row.decision_note = utcnow(), card_in_hand, note
    session.flush()
    audit.record(
        session,
        actor,
        "writeoff.confirm",
        row.serial,
        request=row.id,
        cause=row.cause,
        card_in_hand=card_in_hand,
        note=note,
    )
    job = session.get(Job, row.job_id) if row.job_id is not None else None
    detail = row.note or note or f"write-off {row.id}"
    spoilage = BlankLedger(session, actor).spoil(
        row.serial, row.cause, job=job, detail=detail, writeoff=row.id
    )
    return row, spoilage


def reject(
    session: Session,
    request_id: int,
    actor: str,
    nip: str | None,
    *,
    note: str,
    card_in_hand: bool | None = None,
) -> WriteOff:
    """A second person rejects: the blank goes where the evidence puts it.

    Back to the shelf or feeder only when the request was a spoil by hand or a loss of a
    blank never fed (on hand or loaded) and the supervisor holds it; otherwise
    ``unknown``, its fate open until a new request settles it.
    """
    note = note.strip()
    if not note:
        raise InputError(f"write-off request {request_id}: say why it is rejected (--note)")
    row = _undecided(session, request_id, actor, nip)
    blank = session.get(Blank, row.serial, with_for_update=True)
    if blank is None or blank.state != "pending":
        state = blank.state if blank is not None else "missing"
        raise StockError(
            f"blank {row.serial} is {state}, not pending: the ledger disagrees with write-off "
            f"request {request_id}; tell the auditor",
            where=row.serial,
        )
    by_hand = row.kind in (WriteOffKind.SPOIL, WriteOffKind.LOST)
    if by_hand and row.state_before in ("on_hand", "loaded") and card_in_hand:
        after = row.state_before
    else:
        after = "unknown"
    blank.state = after
    row.status, row.decided_by, row.decided_nip = "rejected", actor, nip
    row.decided_at, row.card_in_hand, row.decision_note = utcnow(), card_in_hand, note
    row.state_after = after
    session.flush()
    audit.record(
        session,
        actor,
        "writeoff.reject",
        row.serial,
        request=row.id,
        state_after=after,
        card_in_hand=card_in_hand,
        note=note,
    )
    return row


def pending(session: Session) -> list[WriteOff]:
    """Requests awaiting a decision, oldest first."""
    return list(
        session.execute(
            select(WriteOff).where(WriteOff.status == "pending").order_by(WriteOff.id)
        ).scalars()
    )


def pending_at(session: Session, moment: datetime) -> set[str]:
    """Serials pending a write-off at ``moment``: asked for before it, decided after."""
    return set(
        session.execute(
            select(WriteOff.serial).where(
                WriteOff.requested_at < moment,
                (WriteOff.decided_at.is_(None)) | (WriteOff.decided_at >= moment),
            )
        ).scalars()
    )


def rejected_unknown_before(session: Session, moment: datetime) -> set[str]:
    """Serials a rejection before ``moment`` left ``unknown``."""
    return set(
        session.execute(
            select(WriteOff.serial).where(
                WriteOff.status == "rejected",
                WriteOff.state_after == "unknown",
                WriteOff.decided_at < moment,
            )
        ).scalars()
    )


def _undecided(session: Session, request_id: int, actor: str, nip: str | None) -> WriteOff:
    row = session.get(WriteOff, request_id, with_for_update=True)
    if row is None:
        raise InputError(f"there is no write-off request {request_id}")
    if row.status != "pending":
        raise StockError(
            f"write-off request {request_id} was already {row.status} by {row.decided_by}",
            where=f"write-off {request_id}",
        )
    if row.requested_by == actor or (nip is not None and row.requested_nip == nip):
        raise OwnWriteOff(
            f"{actor} asked for write-off request {request_id} (blank {row.serial}): another "
            "person, a supervisor, must decide it",
            where=actor,
        )
    return row


def _pending_of(session: Session, serial: str) -> WriteOff | None:
    return session.execute(
        select(WriteOff).where(WriteOff.serial == serial, WriteOff.status == "pending")
    ).scalar_one_or_none()


def _event(session: Session, subject: str) -> dict[str, Any] | None:
    """The last audit event about ``subject`` before the requester's own word (their
    ``job.resolve``), as evidence."""
    last = session.execute(
        select(AuditEvent)
        .where(AuditEvent.subject == subject, AuditEvent.action != "job.resolve")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if last is None:
        return None
    return {
        "id": last.id,
        "at": last.at.isoformat(timespec="seconds"),
        "actor": last.actor,
        "action": last.action,
        "detail": last.detail,
    }


def _evidence(session: Session, blank: Blank, job: Job | None) -> dict[str, Any]:
    """What the station says about where the card is: the blank's record, its last
    event, the printer's cards-fed counter as last read, and its job's state, last error
    and last event."""
    found: dict[str, Any] = {
        "blank": {"state": blank.state, "printer": blank.printer, "job": blank.job_id},
        "last_blank_event": _event(session, blank.serial),
    }
    printer = blank.printer or (job.printer if job is not None else None)
    if printer is not None:
        counter = session.execute(
            select(PrinterCounter).where(
                PrinterCounter.printer == printer, PrinterCounter.current.is_(True)
            )
        ).scalar_one_or_none()
        if counter is not None:  # what the printer itself last said it fed
            found["printer"] = {
                "name": printer,
                "device_serial": counter.device_serial,
                "cards_fed": counter.last_fed,
                "read_at": counter.last_at.isoformat(timespec="seconds"),
                "counter_difference": counter.reported_difference,
            }
    job = job or (session.get(Job, blank.job_id) if blank.job_id is not None else None)
    if job is not None:
        found["job"] = {
            "id": job.id,
            "state": job.state,
            "printer": job.printer,
            "attempts": job.attempts,
            "last_error": job.last_error,
            "last_event": _event(session, f"job {job.id}"),
        }
    return found
