"""A batch's lease in the runner: a killed batch's printing card can be settled without
printing more, and a live batch's jobs are left alone by everyone else."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from printstation.jobs import runner
from printstation.jobs.lease import STALE_ENV, live_leases, recover_abandoned
from printstation.sim.printer.ops import set_cable
from printstation.storage.models import BatchLease, Job
from printstation.tools.demo import prepare_demo
from tests.conftest import port_open, require_service
from tests.jobs import crash_tools as ct

#: How old a lease must be for the commands run after the kill to call it stale.
STALE = 1.0


def command(crash: ct.CrashStation, *args: str, stale: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PRINTSTATION_DATABASE_URL"}
    env[STALE_ENV] = str(stale)
    return subprocess.run(
        [*ct.PYTHON_M, "--config", str(crash.config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_a_card_printing_when_the_batch_is_killed_can_be_settled(tmp_path: Path) -> None:
    require_service("pcscd with vsmartcard-vpcd (reader C, ports 35967-35968)", port_open(35967))
    # 0.25 of 16 s a card: the card prints for about 3 s, time for the kill to find it.
    crash = ct.make_station(tmp_path / "station", cards=2, blanks=4, faults=[], time_scale=0.25)
    try:
        with crash.station.db.session() as s:
            mark = ct.audit_mark(s)
        run = ct.start_batch(crash, tmp_path / "run.log")
        killed = ct.kill_on_event(
            run, crash.folder / "station.db", mark, ("job.printing",), timeout=90.0
        )
        assert killed, (tmp_path / "run.log").read_text()[-2000:]
        with crash.station.db.session() as s:
            printing = s.execute(select(Job).where(Job.state == "printing")).scalar_one()
            job_id, lease_id = printing.id, printing.lease_id
            lease = s.get(BatchLease, lease_id) if lease_id else None
            assert lease is not None and lease.ended_at is None  # held by the killed batch
            renewed = aware(lease.renewed_at)
        # Wait until the killed batch's lease is older than the commands below allow.
        time.sleep(
            max(0.0, (renewed + timedelta(seconds=STALE + 0.3) - datetime.now(UTC)).total_seconds())
        )

        listed = command(crash, "job", "list", "--state", "unresolved", "--json", stale=STALE)
        assert listed.returncode == 0, listed.stderr
        assert [j["id"] for j in json.loads(listed.stdout)] == [job_id]
        ct.clear_printer(crash)  # the operator takes the card out of the path
        settled = command(
            crash, "job", "resolve", str(job_id), "--outcome", "spoiled", "--json", stale=STALE
        )
        assert settled.returncode == 0, settled.stderr
        with crash.station.db.session() as s:
            job = s.get(Job, job_id)
            assert job is not None and job.state == "queued" and job.lease_id is None
            # nothing printed meanwhile: no job of that batch went on
            assert not s.execute(select(Job).where(Job.state == "issued")).first()
    finally:
        crash.close()


def test_a_live_batchs_jobs_are_left_alone(tmp_path: Path) -> None:
    """While a batch prints, recovering abandoned jobs (as ``job list`` does) and starting
    another batch on the same station do not touch the jobs it holds."""
    require_service("pcscd with vsmartcard-vpcd", port_open(35963))
    station = prepare_demo(tmp_path, 2, 2)
    set_cable(station.config.sim_dir, "P2", plugged=False)  # the second batch claims nothing
    seen: dict[int, tuple[str, str | None, bool]] = {}
    second: list[runner.WorkerReport] = []

    def on_event(printer: str, kind: str, job_id: int | None, detail: dict[str, Any]) -> None:
        if kind != "claimed" or job_id is None or seen:
            return
        with station.db.transaction() as s:
            recover_abandoned(s, actor="citra")
        second.extend(runner.run_batch(station, ["P2"], "budi", render_processes=0))
        with station.db.session() as s:
            job = s.get(Job, job_id)
            assert job is not None
            seen[job_id] = (job.state, job.lease_id, job.lease_id in live_leases(s))

    try:
        (first,) = runner.run_batch(station, ["P1"], "ani", events=on_event)
        with station.db.session() as s:
            states = [j.state for j in s.execute(select(Job).order_by(Job.id)).scalars()]
            leases = s.execute(select(BatchLease)).scalars().all()
            ended = all(lease.ended_at is not None for lease in leases)
    finally:
        station.close()
    ((state, lease_id, live),) = seen.values()
    assert state == "claimed" and lease_id is not None and live
    assert second[0].stopped_by == "printer_not_found"
    assert first.stopped_by is None and first.issued == 2
    assert states == ["issued", "issued"]
    assert len(leases) == 2 and ended
