"""The outbox's writing side: a report for the central system in the event's own transaction.

Every card issued, spoiled, replaced or destroyed, each daily posting and each audit
checkpoint becomes one ``outbox`` row, added in the transaction that records the event
(``printstation.ledger.audit.record`` calls ``from_event`` for every event, so no path that
records one of these events can forget its report; ``checkpoints.take`` and the daily
posting call ``append``). The rows are numbered while the audit chain's head row is
locked, so the numbers are gapless across every station sharing the database. Delivery
(``printstation sync``) and the signed export live in ``printstation.outbox``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printstation.storage.models import AuditEvent, OutboxRecord

#: Audit actions that are reported, and the record kind each becomes.
REPORTED: dict[str, str] = {
    "stock.issue": "card.issued",
    "stock.spoil": "card.spoiled",
    "card.replaced": "card.replaced",
    "destruction.record": "card.destroyed",
}
#: Every kind of record (the format: docs/outbox.md).
KINDS = (
    "card.issued",
    "card.spoiled",
    "card.replaced",
    "card.destroyed",
    "stock.posting",
    "audit.checkpoint",
)
#: The version of the record's payload format.
FORMAT = 1


def station_of(session: Session) -> str:
    """The name of the station whose session this is (as its AuditSetup says)."""
    from printstation.ledger.audit import setup_of

    return getattr(setup_of(session), "station", None) or "STATION"


def _next_seq(session: Session) -> int:
    """The next number; the caller holds the audit head's lock (no flush: the station's
    changes are flushed in the order it made them, at commit)."""
    with session.no_autoflush:
        stored = session.execute(select(func.max(OutboxRecord.seq))).scalar_one_or_none() or 0
        unflushed = [o.seq for o in session.new if isinstance(o, OutboxRecord)]
    return max([stored, *unflushed]) + 1


def append(
    session: Session,
    kind: str,
    facts: dict[str, Any],
    *,
    at: datetime,
    event_id: int | None = None,
) -> OutboxRecord:
    """Add one record in the caller's transaction (committed with the change it tells)."""
    from printstation.ledger.audit import locked_head

    if kind not in KINDS:
        raise ValueError(f"unknown outbox record kind {kind!r}")
    locked_head(session)
    seq = _next_seq(session)
    station = station_of(session)
    key = str(uuid.uuid4())
    at = at.replace(tzinfo=None)
    payload = {
        "format": FORMAT,
        "key": key,
        "seq": seq,
        "station": station,
        "kind": kind,
        "at": at.isoformat(timespec="microseconds") + "Z",
        "event": event_id,
        "facts": facts,
    }
    record = OutboxRecord(
        seq=seq,
        key=key,
        kind=kind,
        station=station,
        at=at,
        event_id=event_id,
        payload=payload,
        attempts=0,
    )
    session.add(record)
    return record


def from_event(session: Session, event: AuditEvent) -> None:
    """The records an audit event calls for (none for most events)."""
    kind = REPORTED.get(event.action)
    if kind is None:
        return
    detail = dict(event.detail or {})
    if kind == "card.destroyed":
        serials = detail.pop("serials", None) or []
        destruction = event.subject.removeprefix("destruction ").strip()
        for serial in serials:
            facts = {"serial": serial, "destruction": _int_or(destruction), **detail}
            append(session, kind, facts, at=event.at, event_id=event.id)
        return
    facts = {"serial": event.subject, **detail}
    if kind == "card.replaced":
        facts["replaced_by"] = facts.pop("by", None)
    append(session, kind, facts, at=event.at, event_id=event.id)


def _int_or(text: str) -> int | str:
    return int(text) if text.isdigit() else text
