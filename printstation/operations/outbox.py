"""Reporting up: the outbox's records delivered to the central system, how far behind it
is, the signed export for an office without a link and its acknowledgement file.

``sync``, ``export_status`` and ``apply_ack`` are ``outbox.sync`` (operators and
supervisors); ``status`` is ``station.read`` (everyone). The console's server delivers on
its own every ``[central] interval`` seconds (``open_sender``, not an operation: nobody
acts, the station reports what it already recorded).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from printstation.errors import ConfigError, InputError
from printstation.operations.base import Actor, operation, transaction

if TYPE_CHECKING:
    from printstation.outbox.delivery import Delivered
    from printstation.station import Station

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxStatus:
    """How far behind the outbox is (times in UTC, ISO 8601)."""

    configured: bool
    url: str | None
    total: int
    pending: int
    oldest_pending_seq: int | None
    oldest_pending_at: str | None
    #: Seconds the oldest pending record has waited.
    oldest_pending_age: float | None
    last_ack_seq: int | None
    last_ack_id: str | None
    last_ack_at: str | None
    last_error: str | None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def backlog_of(station: Station) -> OutboxStatus:
    from printstation.outbox.store import backlog

    with station.db.session() as s:
        found = backlog(s)
    now = datetime.now(UTC)
    central = station.config.central
    return OutboxStatus(
        configured=central is not None,
        url=central.url if central is not None else None,
        total=found.total,
        pending=found.pending,
        oldest_pending_seq=found.oldest_seq,
        oldest_pending_at=_iso(found.oldest_at),
        oldest_pending_age=(now - found.oldest_at).total_seconds() if found.oldest_at else None,
        last_ack_seq=found.last_ack_seq,
        last_ack_id=found.last_ack_id,
        last_ack_at=_iso(found.last_ack_at),
        last_error=found.last_error,
    )


@operation("station.read")
def status(station: Station, actor: Actor) -> OutboxStatus:
    """How many records wait for the central system, since when, and the last ack."""
    return backlog_of(station)


@operation("outbox.sync")
def sync(station: Station, actor: Actor, *, max_batches: int | None = None) -> Delivered:
    """Send the pending records to ``[central] url`` until none waits (or a batch fails:
    ``error`` says why; the records stay pending)."""
    from printstation.outbox.delivery import deliver

    return deliver(station, max_batches=max_batches)


@dataclass(frozen=True)
class Exported:
    path: str
    count: int
    first: int | None
    last: int | None
    encoding: str


@operation("outbox.sync")
def export_status(
    station: Station, actor: Actor, since: int, out: Path, *, pem: bool = False
) -> Exported:
    """Write every record numbered ``since`` or later as a CMS file signed by the station's
    document signer (DER, or PEM with ``pem``)."""
    from printstation.ledger import audit
    from printstation.outbox import export, store

    if since < 1:
        raise InputError(f"record numbers begin at 1 (--since {since})")
    signer = station.signer
    if signer is None:
        raise ConfigError(
            "the station has no document signer ([pki] in the configuration): "
            "a status file cannot be signed",
            where=str(station.config.source),
        )
    with transaction(station) as s:
        records = store.since(s, since)
        content = export.export_document(records, station=station.config.name, since=since)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(export.sign(content, signer, pem=pem))
        first = records[0]["seq"] if records else None
        last = records[-1]["seq"] if records else None
        audit.record(
            s, actor.name, "outbox.export", str(out)[:80], since=since, first=first, last=last
        )
    return Exported(str(out), len(records), first, last, "PEM" if pem else "DER")


@dataclass(frozen=True)
class AckApplied:
    path: str
    acks: int
    applied: int
    #: Already acknowledged, or not a record of this station's database.
    ignored: int


@operation("outbox.sync")
def apply_ack(station: Station, actor: Actor, path: Path) -> AckApplied:
    """Apply the central system's acknowledgement file: its records are no longer pending."""
    from printstation.ledger import audit
    from printstation.outbox import export, store

    acks = export.read_ack_file(path)
    with transaction(station) as s:
        applied, ignored = store.apply_acks(s, acks, "file")
        audit.record(s, actor.name, "outbox.ack", str(path)[:80], acks=len(acks), applied=applied)
    return AckApplied(str(path), len(acks), applied, ignored)


_SENDERS: dict[int, tuple[threading.Thread, threading.Event]] = {}


def open_sender(station: Station) -> None:
    """The server's start-up: deliver every ``[central] interval`` seconds in a thread,
    when ``[central]`` is configured. Not an operation."""
    central = station.config.central
    if central is None or id(station) in _SENDERS:
        return
    stop = threading.Event()

    def loop() -> None:
        from printstation.outbox.delivery import deliver

        while not stop.is_set():
            try:
                done = deliver(station, stop=stop)
                if done.error:
                    log.warning("outbox: %s", done.error)
            except Exception:
                log.exception("outbox: the delivery failed")
            stop.wait(central.interval)

    thread = threading.Thread(target=loop, name="outbox-sender", daemon=True)
    _SENDERS[id(station)] = (thread, stop)
    thread.start()


def close_sender(station: Station, timeout: float | None = None) -> None:
    """The server's shutdown: stop delivering (a batch in flight is acknowledged or sent
    again next time). Not an operation."""
    found = _SENDERS.pop(id(station), None)
    if found is not None:
        thread, stop = found
        stop.set()
        thread.join(timeout)
