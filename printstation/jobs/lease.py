"""A running batch's lease, and recovering the jobs of a batch that is gone.

A batch opens a lease (a row in ``batch_leases``) and renews it every
``RENEW_SECONDS`` from a thread of its own while it runs; every job a worker claims
carries the lease's id. When the process is killed the renewals stop. Any command that
lists, shows or settles jobs first calls ``recover_abandoned``: a job held by a lease
older than ``STALE_SECONDS`` (or one its batch ended without letting go) is taken back
as after a crash — to the queue if it never reached a printer, else ``unresolved`` with
its blank ``unknown`` — and nothing is printed. A live batch's jobs are never touched.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from printstation.jobs.machine import ACTIVE
from printstation.jobs.queue import recover_unleased, settle_interrupted
from printstation.storage.db import Database
from printstation.storage.models import BatchLease, Job, utcnow

#: This machine, as a lease names it.
HOST = socket.gethostname()[:255]
#: How often a live batch renews its lease (at most 5 s apart, with room for a slow commit).
RENEW_SECONDS = 2.0
#: A lease not renewed for this long belongs to a batch that is gone.
STALE_SECONDS = 15.0
#: Overrides STALE_SECONDS (tests make a killed batch's lease stale sooner).
STALE_ENV = "PRINTSTATION_LEASE_STALE_SECONDS"


def stale_seconds() -> float:
    """STALE_SECONDS, or the number in $PRINTSTATION_LEASE_STALE_SECONDS."""
    value = os.environ.get(STALE_ENV)
    return float(value) if value else STALE_SECONDS


class Lease:
    """The lease of one running batch; ``close`` ends it. Renews itself until closed."""

    def __init__(
        self, db: Database, *, station: str, printers: list[str], actor: str, renew: bool = True
    ) -> None:
        self.db = db
        self.id = str(uuid.uuid4())
        with db.transaction() as session:
            session.add(
                BatchLease(
                    id=self.id,
                    station=station,
                    printers=",".join(printers)[:400],
                    actor=actor,
                    host=HOST,
                    pid=os.getpid(),
                )
            )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if renew:
            self._thread = threading.Thread(
                target=self._renew_until_closed, name=f"lease-{self.id[:8]}", daemon=True
            )
            self._thread.start()

    def renew(self) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(BatchLease).where(BatchLease.id == self.id).values(renewed_at=utcnow())
            )

    def _renew_until_closed(self) -> None:
        while not self._stop.wait(RENEW_SECONDS):
            try:
                self.renew()
            except Exception:  # a failed renewal is retried; staleness is the safe side
                continue

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self.db.transaction() as session:
            session.execute(
                update(BatchLease).where(BatchLease.id == self.id).values(ended_at=utcnow())
            )

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def live_leases(session: Session) -> list[str]:
    """The leases of batches still running: renewed lately, and, for a batch on this
    machine, its process alive (a killed batch here is seen at once, not after the wait)."""
    cutoff = utcnow() - timedelta(seconds=stale_seconds())
    rows = session.execute(
        select(BatchLease.id, BatchLease.host, BatchLease.pid).where(
            BatchLease.ended_at.is_(None), BatchLease.renewed_at >= cutoff
        )
    ).all()
    return [lease for lease, host, pid in rows if host != HOST or _alive(pid)]


def _alive(pid: int | None) -> bool:
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def recover_abandoned(session: Session, *, actor: str) -> list[int]:
    """Take back the jobs of batches that are gone; returns those made ``unresolved``.

    Runs in the caller's transaction (the caller commits).
    """
    live = live_leases(session)
    query = select(Job).where(Job.state.in_(sorted(ACTIVE)), Job.lease_id.is_not(None))
    if live:
        query = query.where(Job.lease_id.not_in(live))
    jobs = session.execute(query.order_by(Job.id).with_for_update()).scalars().all()
    return [job.id for job in jobs if settle_interrupted(session, job, actor)]


def recover_for_batch(session: Session, *, station: str, actor: str) -> list[int]:
    """What a batch starting at ``station`` takes back first: the jobs of batches that
    are gone, and this station's jobs claimed before batches held leases. Returns those
    made ``unresolved``; the caller commits."""
    return recover_abandoned(session, actor=actor) + recover_unleased(
        session, station=station, actor=actor
    )
