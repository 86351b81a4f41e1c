"""The append-only audit log: every event chained to the one before by a keyed MAC.

Each event's MAC (HMAC-SHA256) covers its own fields and the previous event's MAC, with
a key kept outside the database (the station's ``keys/audit.key``, which reaches the
session through its Database's AuditSetup): whoever can write the database but not read
the key cannot change, insert or append an event and make the chain agree again.
Events numbered below the head's ``keyed_from`` predate the key and carry the plain
SHA-256 the station used before. Appends lock the chain's head row, so concurrent
stations append one at a time and the chain never forks. Signed checkpoints of the head
(printstation.ledger.checkpoints) catch a cut tail or a wiped log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from printstation.errors import ConfigError
from printstation.ledger import outbox
from printstation.storage.db import AUDIT_INFO, AuditSetup
from printstation.storage.models import AuditEvent, AuditHead, utcnow

GENESIS = "0" * 64
#: Where a session keeps the head row it has locked in its current transaction.
_HEAD_KEY = "printstation.ledger.audit.head"


#: A checkpoint is due when the last one is older than this.
CHECKPOINT_EVERY = timedelta(days=1)


def _body(
    prev_hash: str, at: datetime, actor: str, action: str, subject: str, detail: dict[str, Any]
) -> bytes:
    return json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), actor, action, subject, detail],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    ).encode("utf-8")


def _digest(
    prev_hash: str, at: datetime, actor: str, action: str, subject: str, detail: dict[str, Any]
) -> str:
    """The unkeyed SHA-256 of the events written before the station had a key."""
    return hashlib.sha256(_body(prev_hash, at, actor, action, subject, detail)).hexdigest()


def mac(
    key: bytes,
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any],
) -> str:
    """An event's MAC: HMAC-SHA256 under the audit key."""
    body = _body(prev_hash, at, actor, action, subject, detail)
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def setup_of(session: Session) -> AuditSetup:
    found = session.info.get(AUDIT_INFO)
    return found if isinstance(found, AuditSetup) else AuditSetup(None)


def session_key(session: Session) -> bytes | None:
    """The session's MAC key, None when its database was opened without one."""
    key = setup_of(session).key
    if callable(key):
        key = key(session)
    return key or None


def audit_key(session: Session) -> bytes:
    """The MAC key of the session's database; a ConfigError when it was opened without one."""
    setup = setup_of(session)
    key = setup.key
    if callable(key):
        key = key(session)
    if not key:
        raise ConfigError(
            "this database was opened without the station's audit key (keys/audit.key): "
            "it cannot record an event; open it through the station"
        )
    return key


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
    key = audit_key(session)
    event = AuditEvent(
        # Numbered from the locked head, so no flush is needed to learn the id.
        id=head.last_id + 1,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        detail=detail,
        prev_hash=head.last_hash,
        hash=mac(key, head.last_hash, at, actor, action, subject, detail),
    )
    session.add(event)
    head.last_id = event.id
    head.last_hash = event.hash
    outbox.from_event(session, event)  # its report for the central system, if it has one
    checkpoint = setup_of(session).checkpoint
    if checkpoint is not None and (
        head.checkpoint_at is None or at - head.checkpoint_at >= CHECKPOINT_EVERY
    ):
        checkpoint(session, "daily")
    return event


def locked_head(session: Session) -> AuditHead:
    """The chain's head row, locked until the session's transaction ends."""
    return _locked_head(session)


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


@dataclass(frozen=True)
class HeadMark:
    """A trusted position of the chain: the MAC event ``event_id`` had (a checkpoint)."""

    event_id: int
    mac: str
    keyed_from: int
    #: How the problem names it, e.g. ``checkpoint 3 (2026-12-02 18:00 UTC, daily)``.
    label: str


@dataclass
class ChainSummary:
    events: int = 0
    last_id: int = 0
    keyed_from: int = 1
    #: Events whose MAC was checked (none when the key was not given).
    macs_checked: int = 0
    problems: list[ChainProblem] | None = None


def verify_chain(
    session: Session,
    key: bytes | None = None,
    marks: Iterable[HeadMark] = (),
    *,
    on_event: Callable[[AuditEvent], None] | None = None,
    batch: int = 2000,
) -> list[ChainProblem]:
    """Check the whole chain; name every event that was changed, removed or inserted.

    Events are streamed (constant memory). ``key``: the MAC key (None: the MACs are not
    checked, only the links, the numbering and the checkpoints). ``marks``: checkpoints
    the chain must pass through. ``on_event`` sees every event in order (the replay).
    """
    return check_chain(session, key, marks, on_event=on_event, batch=batch).problems or []


def check_chain(
    session: Session,
    key: bytes | None = None,
    marks: Iterable[HeadMark] = (),
    *,
    on_event: Callable[[AuditEvent], None] | None = None,
    batch: int = 2000,
) -> ChainSummary:
    if key is None:
        key = session_key(session)
    problems: list[ChainProblem] = []
    summary = ChainSummary(problems=problems)
    at_event: dict[int, list[HeadMark]] = {}
    for m in marks:
        at_event.setdefault(m.event_id, []).append(m)
    head = session.get(AuditHead, 1)
    keyed_from = head.keyed_from if head is not None else 1
    for ms in at_event.values():
        for m in ms:
            if m.keyed_from != keyed_from:
                problems.append(
                    ChainProblem(
                        m.event_id,
                        f"the chain says keyed MACs begin at event {keyed_from}, "
                        f"{m.label} says at event {m.keyed_from} (the head row was edited)",
                    )
                )
                keyed_from = min(keyed_from, m.keyed_from)
    summary.keyed_from = keyed_from
    prev = GENESIS
    last_id = 0
    query = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch)
    for event in session.execute(query).scalars():
        at = event.at.replace(tzinfo=None)
        summary.events += 1
        if event.id != last_id + 1:
            if event.id > last_id + 1:
                gone = (
                    f"event {last_id + 1} is missing"
                    if event.id == last_id + 2
                    else f"events {last_id + 1} to {event.id - 1} are missing"
                )
                problems.append(
                    ChainProblem(
                        event.id, f"{gone} before it (event numbers must be gapless): deleted"
                    )
                )
            else:
                problems.append(ChainProblem(event.id, "is numbered out of order"))
        if event.prev_hash != prev:
            problems.append(
                ChainProblem(
                    event.id,
                    "does not follow the event before it (an event was removed or inserted)",
                )
            )
        fields = (event.prev_hash, at, event.actor, event.action, event.subject, event.detail)
        if event.id < keyed_from:
            if _digest(*fields) != event.hash:
                problems.append(ChainProblem(event.id, "content was changed after it was written"))
        elif key is not None:
            summary.macs_checked += 1
            if not hmac.compare_digest(mac(key, *fields), event.hash):
                problems.append(
                    ChainProblem(
                        event.id,
                        "its MAC does not match (changed, inserted or forged without the "
                        "audit key)",
                    )
                )
        for m in at_event.pop(event.id, ()):
            if m.mac != event.hash:
                problems.append(
                    ChainProblem(
                        event.id,
                        f"is not the event {m.label} saw (the chain was rewritten up to here)",
                    )
                )
        if on_event is not None:
            on_event(event)
        prev = event.hash
        last_id = event.id
    summary.last_id = last_id
    if head is None:
        problems.append(
            ChainProblem(last_id, "the chain's head row was deleted (audit_head has no row)")
        )
    elif head.last_hash != prev or head.last_id != last_id:
        problems.append(
            ChainProblem(
                last_id,
                f"the chain's end does not match its head, which says event {head.last_id} "
                "(events were removed from the end, or the head was edited)",
            )
        )
    for event_id, ms in sorted(at_event.items()):
        if event_id == 0:
            continue  # a checkpoint of the empty chain
        for m in ms:
            what = (
                "the log is empty (wiped)" if last_id == 0 else f"the chain ends at event {last_id}"
            )
            problems.append(
                ChainProblem(
                    event_id,
                    f"{what}, but {m.label} saw event {event_id}: "
                    f"events after {last_id} were removed"
                    if event_id > last_id
                    else f"{m.label} saw event {event_id}, which is not in the chain (deleted)",
                )
            )
    return summary
