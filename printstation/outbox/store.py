"""The outbox's rows: what is pending, acknowledgements applied, how far behind it is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from printstation.storage.models import OutboxRecord


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)


def parse_time(text: str | None) -> datetime:
    """A time the central system gave (ISO 8601; a trailing Z is UTC); now when none."""
    if not text:
        return datetime.now(UTC).replace(tzinfo=None)
    return _naive_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def pending(session: Session, limit: int, *, after: int = 0) -> list[dict[str, Any]]:
    """The oldest ``limit`` records not yet acknowledged (their payloads), from ``after``."""
    rows = session.execute(
        select(OutboxRecord.payload)
        .where(OutboxRecord.acked_at.is_(None), OutboxRecord.seq > after)
        .order_by(OutboxRecord.seq)
        .limit(limit)
    ).scalars()
    return [dict(p) for p in rows]


def since(session: Session, first: int) -> list[dict[str, Any]]:
    """Every record numbered ``first`` or later, acknowledged or not (an export)."""
    rows = session.execute(
        select(OutboxRecord.payload).where(OutboxRecord.seq >= first).order_by(OutboxRecord.seq)
    ).scalars()
    return [dict(p) for p in rows]


@dataclass(frozen=True)
class Ack:
    key: str
    ack: str
    at: datetime


def apply_acks(session: Session, acks: Iterable[Ack], how: str) -> tuple[int, int]:
    """Store the acknowledgements; returns (newly acknowledged, already or unknown).

    A record already acknowledged keeps its first acknowledgement."""
    applied = ignored = 0
    for ack in acks:
        done = session.execute(
            update(OutboxRecord)
            .where(OutboxRecord.key == ack.key, OutboxRecord.acked_at.is_(None))
            .values(ack_id=ack.ack[:80], acked_at=_naive_utc(ack.at), acked_by=how, last_error=None)
        )
        if getattr(done, "rowcount", 0):
            applied += 1
        else:
            ignored += 1
    return applied, ignored


def note_failure(session: Session, keys: list[str], error: str) -> None:
    """A batch that did not go: its records' tries counted and the reason kept."""
    session.execute(
        update(OutboxRecord)
        .where(OutboxRecord.key.in_(keys), OutboxRecord.acked_at.is_(None))
        .values(attempts=OutboxRecord.attempts + 1, last_error=error[:500])
    )


@dataclass(frozen=True)
class Backlog:
    """How far behind the outbox is."""

    total: int
    pending: int
    #: The oldest pending record: its number and time (UTC), None when none waits.
    oldest_seq: int | None
    oldest_at: datetime | None
    #: The last acknowledgement: the record's number, the central system's id and time.
    last_ack_seq: int | None
    last_ack_id: str | None
    last_ack_at: datetime | None
    #: Why the last try of a pending record failed, if it did.
    last_error: str | None


def backlog(session: Session) -> Backlog:
    total = session.execute(select(func.count()).select_from(OutboxRecord)).scalar_one()
    waiting = session.execute(
        select(func.count()).select_from(OutboxRecord).where(OutboxRecord.acked_at.is_(None))
    ).scalar_one()
    oldest = session.execute(
        select(OutboxRecord.seq, OutboxRecord.at, OutboxRecord.last_error)
        .where(OutboxRecord.acked_at.is_(None))
        .order_by(OutboxRecord.seq)
        .limit(1)
    ).first()
    last = session.execute(
        select(OutboxRecord.seq, OutboxRecord.ack_id, OutboxRecord.acked_at)
        .where(OutboxRecord.acked_at.is_not(None))
        .order_by(OutboxRecord.acked_at.desc(), OutboxRecord.seq.desc())
        .limit(1)
    ).first()

    def aware(moment: datetime | None) -> datetime | None:
        return moment.replace(tzinfo=UTC) if moment is not None else None

    return Backlog(
        total=total,
        pending=waiting,
        oldest_seq=oldest[0] if oldest else None,
        oldest_at=aware(oldest[1]) if oldest else None,
        last_ack_seq=last[0] if last else None,
        last_ack_id=last[1] if last else None,
        last_ack_at=aware(last[2]) if last else None,
        last_error=oldest[2] if oldest else None,
    )
