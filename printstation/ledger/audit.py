"""The append-only audit log: every event chained to the one before by SHA-256.

Each event's hash covers its own fields and the previous event's hash, so changing,
deleting or inserting an event breaks the chain at that point. Appends lock the chain's
head row, so concurrent stations append one at a time and the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from printstation.errors import ConfigError
from printstation.storage.models import AuditEvent, AuditHead, utcnow

GENESIS = "0" * 64
#: Where a session keeps the head row it has locked in its current transaction.
_HEAD_KEY = "printstation.ledger.audit.head"


def _digest(
    prev_hash: str, at: datetime, actor: str, action: str, subject: str, detail: dict[str, Any]
) -> str:
    body = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), actor, action, subject, detail],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _locked_head(session: Session) -> AuditHead:
    """The chain's head row, locked for the rest of the session's transaction.

    It is read afresh once a transaction (another session may have appended since) and
    then reused: the lock holds until the transaction ends. A lock taken inside a
    savepoint is not reused, since rolling the savepoint back releases it.
    """
    transaction = session.get_transaction()
    held = session.info.get(_HEAD_KEY)
    if transaction is not None and held is not None and held[0] is transaction:
        head: AuditHead = held[1]
        return head
    found = session.execute(
        select(AuditHead)
        .where(AuditHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)  # another session may have appended
    ).scalar_one_or_none()
    if found is None:  # the migrations create it; without it appends could fork
        raise ConfigError(
            "the audit log has no head row: this database was not created by the "
            "station's migrations; start the station once to bring it up to date"
        )
    if not session.in_nested_transaction():
        session.info[_HEAD_KEY] = (session.get_transaction(), found)
    return found


def record(session: Session, actor: str, action: str, subject: str, /, **detail: Any) -> AuditEvent:
    """Append one event in the caller's transaction (committed with the change it records)."""
    head = _locked_head(session)
    at = utcnow().replace(tzinfo=None)
    detail = json.loads(json.dumps(detail, default=str))
    event = AuditEvent(
        # Numbered from the locked head, so no flush is needed to learn the id.
        id=head.last_id + 1,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        detail=detail,
        prev_hash=head.last_hash,
        hash=_digest(head.last_hash, at, actor, action, subject, detail),
    )
    session.add(event)
    head.last_id = event.id
    head.last_hash = event.hash
    return event


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


def verify_chain(session: Session) -> list[ChainProblem]:
    """Re-hash the whole chain; name every event that was changed, removed or inserted."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    last_id = 0
    for event in session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars():
        at = event.at.replace(tzinfo=None)
        if event.prev_hash != prev:
            problems.append(
                ChainProblem(
                    event.id,
                    "does not follow the event before it (an event was removed or inserted)",
                )
            )
        expected = _digest(
            event.prev_hash, at, event.actor, event.action, event.subject, event.detail
        )
        if expected != event.hash:
            problems.append(ChainProblem(event.id, "content was changed after it was written"))
        prev = event.hash
        last_id = event.id
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_hash != prev or head.last_id != last_id):
        problems.append(
            ChainProblem(
                last_id,
                "the chain's end does not match its head (events were removed from the end)",
            )
        )
    return problems
