"""A batch's lease: the jobs of a batch that is gone are recovered, a live batch's are not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from printstation.jobs.lease import STALE_SECONDS, Lease, recover_abandoned
from printstation.ledger.stock import BlankLedger
from printstation.storage.db import Database
from printstation.storage.models import BatchLease, Blank, Job, utcnow
from tests.factories import add_job


def _station_with_jobs(url: str) -> tuple[Database, Lease, Lease]:
    db = Database(url)
    db.create_schema()
    dead = Lease(db, station="S1", printers=["P1"], actor="ani", renew=False)
    live = Lease(db, station="S1", printers=["P2"], actor="ani", renew=False)
    with db.transaction() as s:
        BlankLedger(s, "ani").receive("B0001", 4, "R-1")
        s.flush()
        BlankLedger(s, "ani").load("P1", ["B0001", "B0002", "B0003"])
        for n, (state, lease) in enumerate(
            [("printing", dead), ("claimed", dead), ("printing", live), ("printing", None)], 1
        ):
            add_job(s, n, state=state, lease_id=lease.id if lease else None, printer="P1")
        s.flush()
        s.execute(update(Blank).where(Blank.serial == "B0001").values(state="in_use", job_id=1))
        s.execute(update(Blank).where(Blank.serial == "B0003").values(state="in_use", job_id=3))
        s.execute(
            update(BatchLease)
            .where(BatchLease.id == dead.id)
            .values(renewed_at=utcnow() - timedelta(seconds=STALE_SECONDS + 1))
        )
    return db, dead, live


def test_jobs_of_a_gone_batch_are_recovered_and_a_live_batchs_are_not(database_url: str) -> None:
    db, _dead, live = _station_with_jobs(database_url)
    with db.transaction() as s:
        assert recover_abandoned(s, actor="citra") == [1]
    with db.session() as s:
        states = {j.id: (j.state, j.lease_id) for j in s.query(Job).order_by(Job.id)}
        assert states[1] == ("unresolved", None)
        assert states[2] == ("queued", None)
        assert states[3] == ("printing", live.id)
        assert states[4] == ("printing", None)
        assert s.get(Blank, "B0001").state == "unknown"
        assert s.get(Blank, "B0003").state == "in_use"
    db.dispose()


def test_a_batch_that_renews_keeps_its_jobs_and_one_that_ended_lets_them_go(
    database_url: str,
) -> None:
    db, _dead, live = _station_with_jobs(database_url)
    live.renew()
    with db.transaction() as s:
        recover_abandoned(s, actor="citra")
    with db.session() as s:
        assert s.get(Job, 3).state == "printing"
    live.close()
    with db.transaction() as s:
        assert recover_abandoned(s, actor="citra") == [3]
    db.dispose()


def test_a_killed_batch_on_this_machine_is_seen_at_once(database_url: str) -> None:
    """Its lease is fresh, but its process is gone: no need to wait for the lease to age."""
    import subprocess
    import sys

    db, _dead, _live = _station_with_jobs(database_url)
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys\n"
            "from printstation.storage.db import Database\n"
            "from printstation.jobs.lease import Lease\n"
            "lease = Lease(Database(sys.argv[1]), station='S1', printers=['P1'], actor='ani',"
            " renew=False)\n"
            "print(lease.id, flush=True)\n"
            "os._exit(9)  # killed: the lease is never closed\n",
            database_url,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    gone = opened.stdout.strip()
    assert opened.returncode == 9 and gone, opened.stderr
    with db.transaction() as s:
        s.execute(update(Job).where(Job.id == 4).values(lease_id=gone))
    with db.transaction() as s:
        assert 4 in recover_abandoned(s, actor="citra")
    with db.session() as s:
        assert s.get(Job, 3).state == "printing"  # the live batch (this process) keeps its job
    db.dispose()
